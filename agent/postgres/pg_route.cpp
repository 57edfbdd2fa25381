#include "agent/postgres/pg_route.h"

namespace ra {

Route PgRoute(const StatementInfo& info, const std::string& table, bool parallel) {
  if (!parallel) return Route::Main();
  switch (info.kind) {
    case StatementKind::kCopyFromStdin:
      return Route::Worker(table);
    case StatementKind::kCreateIndex:
      return Route::Worker(table + " (post-data)", Route::Barrier::kKey, table);
    case StatementKind::kAddConstraint:
      if (info.foreign_key) return Route::Main(Route::Barrier::kAll);
      return Route::Worker(table + " (post-data)", Route::Barrier::kKey, table);
    case StatementKind::kSet:
      return Route::Session();
    case StatementKind::kSetval:
      return Route::Main();
    default:
      return Route::Main(Route::Barrier::kAll);
  }
}

}  // namespace ra
