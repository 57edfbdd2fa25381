#include "agent/core/error.h"

#include <array>

namespace ra {
namespace {

struct KindFacts {
  int exit_code;
  const char* name;
};

// Indexed by ErrorKind, in its order; the exit codes README.md documents.
constexpr std::array<KindFacts, 10> kKinds = {{
    {1, "internal"},
    {2, "usage"},
    {3, "bad-format"},
    {4, "corrupt-input"},
    {5, "connect"},
    {6, "server"},
    {7, "io"},
    {8, "incomplete-input"},
    {9, "precondition"},
    {130, "interrupted"},
}};
static_assert(static_cast<size_t>(ErrorKind::kInterrupted) + 1 == kKinds.size());

}  // namespace

int ExitCodeFor(ErrorKind kind, int signal) {
  if (kind == ErrorKind::kInterrupted) return 128 + (signal > 0 ? signal : 2);
  return kKinds[static_cast<size_t>(kind)].exit_code;
}

const char* ErrorKindName(ErrorKind kind) { return kKinds[static_cast<size_t>(kind)].name; }

}  // namespace ra
