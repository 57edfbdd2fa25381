#include "agent/mysql/mysql_route.h"

namespace ra {

Route MysqlRoute(const StatementInfo& info, const std::string& table, bool parallel) {
  if (!parallel) return Route::Main();
  switch (info.kind) {
    case StatementKind::kInsert:
      return Route::Worker(table);
    case StatementKind::kLockTables:
    case StatementKind::kUnlockTables:
    case StatementKind::kKeysToggle:
      return Route::Skip();
    case StatementKind::kCreateTable:
    case StatementKind::kDropTable:
    case StatementKind::kAlterTable:
      return Route::Main(Route::Barrier::kKey, table);
    case StatementKind::kSet:
      return info.global ? Route::Main() : Route::Session();
    case StatementKind::kUse:
      return Route::Session();
    default:
      return Route::Main(Route::Barrier::kAll);
  }
}

}  // namespace ra
