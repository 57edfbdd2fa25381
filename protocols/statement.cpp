#include "protocols/statement.h"

namespace ra {

const char* StatementKindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kSet:
      return "set";
    case StatementKind::kUse:
      return "use";
    case StatementKind::kCreateDatabase:
      return "create-database";
    case StatementKind::kCreateTable:
      return "create-table";
    case StatementKind::kDropTable:
      return "drop-table";
    case StatementKind::kAlterTable:
      return "alter-table";
    case StatementKind::kCreateView:
      return "create-view";
    case StatementKind::kCreateRoutine:
      return "create-routine";
    case StatementKind::kCreateTrigger:
      return "create-trigger";
    case StatementKind::kCreateEvent:
      return "create-event";
    case StatementKind::kOtherDdl:
      return "other-ddl";
    case StatementKind::kInsert:
      return "insert";
    case StatementKind::kLockTables:
      return "lock-tables";
    case StatementKind::kUnlockTables:
      return "unlock-tables";
    case StatementKind::kTransaction:
      return "transaction";
    case StatementKind::kCopyFromStdin:
      return "copy";
    case StatementKind::kCreateRole:
      return "create-role";
    case StatementKind::kDropRole:
      return "drop-role";
    case StatementKind::kDropDatabase:
      return "drop-database";
    case StatementKind::kOther:
      return "other";
  }
  return "other";
}

std::string QualifiedName(const StatementInfo& info, const std::string& current_db) {
  if (!info.schema.empty()) return info.schema + "." + info.object;
  return current_db.empty() ? info.object : current_db + "." + info.object;
}

std::string DescribeStatement(const StatementInfo& info) {
  auto quoted = [](const std::string& name) { return "'" + name + "'"; };
  std::string target = info.object.empty() ? std::string() : quoted(info.object);
  if (!info.schema.empty() && !info.object.empty()) target = quoted(info.schema) + "." + target;
  switch (info.kind) {
    case StatementKind::kInsert:
      return "INSERT into " + target;
    case StatementKind::kCreateTable:
      return "CREATE TABLE " + target;
    case StatementKind::kDropTable:
      return "DROP TABLE " + target;
    case StatementKind::kAlterTable:
      return "ALTER TABLE " + target;
    case StatementKind::kCreateView:
      return "CREATE VIEW " + target;
    case StatementKind::kCreateRoutine:
      return "CREATE routine " + target;
    case StatementKind::kCreateTrigger:
      return "CREATE TRIGGER " + target;
    case StatementKind::kCreateEvent:
      return "CREATE EVENT " + target;
    case StatementKind::kCreateDatabase:
      return "CREATE DATABASE " + quoted(info.schema);
    case StatementKind::kUse:
      return "USE " + quoted(info.schema);
    case StatementKind::kLockTables:
      return "LOCK TABLES " + target;
    case StatementKind::kUnlockTables:
      return "UNLOCK TABLES";
    case StatementKind::kSet:
      return "SET";
    case StatementKind::kTransaction:
      return "transaction control";
    case StatementKind::kCopyFromStdin:
      return "COPY into " + target;
    case StatementKind::kCreateRole:
      return "CREATE ROLE " + target;
    case StatementKind::kDropRole:
      return "DROP ROLE " + target;
    case StatementKind::kDropDatabase:
      return "DROP DATABASE " + quoted(info.schema);
    case StatementKind::kOtherDdl:
      return target.empty() ? "DDL" : "DDL on " + target;
    case StatementKind::kOther:
      return "statement";
  }
  return "statement";
}

}  // namespace ra
