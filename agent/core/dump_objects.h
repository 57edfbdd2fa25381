// DumpObjects: what a dump creates besides rows — tables, views, routines, triggers, events —
// counted one way for the preflight census, inspect and the restores' summaries.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "protocols/statement.h"

namespace ra {

struct DumpObjects {
  uint64_t tables = 0;          // CREATE TABLE statements
  std::set<std::string> views;  // mariadb-dump creates each view twice (placeholder, real)
  uint64_t routines = 0, triggers = 0, events = 0;

  // Counts a statement that creates one of them; `name` is its qualified name.
  void Count(const StatementInfo& info, const std::string& name) {
    switch (info.kind) {
      case StatementKind::kCreateTable:
        ++tables;
        break;
      case StatementKind::kCreateView:
        views.insert(name);
        break;
      case StatementKind::kCreateRoutine:
        ++routines;
        break;
      case StatementKind::kCreateTrigger:
        ++triggers;
        break;
      case StatementKind::kCreateEvent:
        ++events;
        break;
      default:
        break;
    }
  }
};

}  // namespace ra
