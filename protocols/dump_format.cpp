#include "protocols/dump_format.h"

#include <array>

namespace ra {
namespace {

bool Contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

// The line of `tail` that starts with `prefix`, searching from the end.
std::string_view LastLineStartingWith(std::string_view tail, std::string_view prefix) {
  size_t pos = tail.size();
  while (pos > 0) {
    const size_t found = tail.rfind(prefix, pos - 1);
    if (found == std::string_view::npos) return {};
    if (found == 0 || tail[found - 1] == '\n') {
      size_t end = tail.find('\n', found);
      if (end == std::string_view::npos) end = tail.size();
      std::string_view line = tail.substr(found, end - found);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      return line;
    }
    if (found == 0) break;
    pos = found;
  }
  return {};
}

}  // namespace

namespace {

struct KindFacts {
  const char* name;
  const char* trailer;  // the line the dump tool writes last ("" when it writes none)
};

// Indexed by DumpKind, in its order.
constexpr std::array<KindFacts, 5> kKinds = {{
    {"unknown", ""},
    {"mysqldump", "-- Dump completed"},
    {"pg_dump", "-- PostgreSQL database dump complete"},
    {"pg_dumpall", "-- PostgreSQL database cluster dump complete"},
    {"rdb", ""},
}};
static_assert(static_cast<size_t>(DumpKind::kRdb) + 1 == kKinds.size());

}  // namespace

const char* DumpKindName(DumpKind kind) { return kKinds[static_cast<size_t>(kind)].name; }

const char* ExpectedTrailer(DumpKind kind) { return kKinds[static_cast<size_t>(kind)].trailer; }

DumpKind DetectDumpKind(std::string_view head) {
  if (head.substr(0, 5) == "REDIS") return DumpKind::kRdb;
  if (Contains(head, "-- PostgreSQL database cluster dump")) return DumpKind::kPostgresClusterDump;
  if (Contains(head, "-- PostgreSQL database dump")) return DumpKind::kPostgresDump;
  if (Contains(head, "-- MySQL dump") || Contains(head, "-- MariaDB dump") ||
      head.substr(0, 13) == "/*M!999999\\- " ||
      Contains(head, "/*!40101 SET @OLD_CHARACTER_SET_CLIENT")) {
    return DumpKind::kMysqlDump;
  }
  return DumpKind::kUnknown;
}

std::string_view FindCompletionTrailer(DumpKind kind, std::string_view tail) {
  const std::string_view trailer = ExpectedTrailer(kind);
  return trailer.empty() ? std::string_view() : LastLineStartingWith(tail, trailer);
}

}  // namespace ra
