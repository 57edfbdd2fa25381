#include "protocols/statement.h"

#include <array>

namespace ra {
namespace {

struct KindText {
  const char* name;  // StatementKindName
  const char* verb;  // DescribeStatement: what precedes the target
};

// Indexed by StatementKind, in its order.
constexpr std::array<KindText, 24> kKinds = {{
    {"set", "SET"},
    {"use", "USE"},
    {"create-database", "CREATE DATABASE"},
    {"create-table", "CREATE TABLE"},
    {"drop-table", "DROP TABLE"},
    {"alter-table", "ALTER TABLE"},
    {"keys-toggle", "ALTER TABLE"},
    {"create-index", "CREATE INDEX on"},
    {"add-constraint", "ALTER TABLE"},
    {"create-view", "CREATE VIEW"},
    {"create-routine", "CREATE routine"},
    {"create-trigger", "CREATE TRIGGER"},
    {"create-event", "CREATE EVENT"},
    {"other-ddl", "DDL on"},
    {"insert", "INSERT into"},
    {"lock-tables", "LOCK TABLES"},
    {"unlock-tables", "UNLOCK TABLES"},
    {"transaction", "transaction control"},
    {"copy", "COPY into"},
    {"create-role", "CREATE ROLE"},
    {"drop-role", "DROP ROLE"},
    {"drop-database", "DROP DATABASE"},
    {"setval", "SELECT setval of"},
    {"other", "statement"},
}};
static_assert(static_cast<size_t>(StatementKind::kOther) + 1 == kKinds.size());

std::string Quoted(const std::string& name) { return "'" + name + "'"; }

}  // namespace

const char* StatementKindName(StatementKind kind) { return kKinds[static_cast<size_t>(kind)].name; }

std::string QualifiedName(const StatementInfo& info, const std::string& current_db) {
  if (!info.schema.empty()) return info.schema + "." + info.object;
  return current_db.empty() ? info.object : current_db + "." + info.object;
}

std::string DescribeStatement(const StatementInfo& info) {
  const std::string verb = kKinds[static_cast<size_t>(info.kind)].verb;
  switch (info.kind) {
    case StatementKind::kCreateDatabase:
    case StatementKind::kDropDatabase:
    case StatementKind::kUse:
      return verb + " " + Quoted(info.schema);
    case StatementKind::kSet:
    case StatementKind::kTransaction:
    case StatementKind::kUnlockTables:
    case StatementKind::kOther:
      return verb;
    default:
      break;
  }
  std::string target = info.object.empty() ? std::string() : Quoted(info.object);
  if (!info.schema.empty() && !info.object.empty()) target = Quoted(info.schema) + "." + target;
  if (target.empty()) return info.kind == StatementKind::kOtherDdl ? "DDL" : verb;
  return verb + " " + target;
}

std::string Where(const std::string& source, uint64_t line, uint64_t number, uint64_t offset) {
  return source + ":" + std::to_string(line) + " (statement " + std::to_string(number) + ", byte " +
         std::to_string(offset) + ")";
}

std::string DescribeSplitError(const std::string& source, const SplitError& error) {
  return source + ":" + std::to_string(error.line) + " (byte " + std::to_string(error.offset) +
         "): " + error.message;
}

}  // namespace ra
