// Where restore-mysql sends a statement when it loads with several connections (--jobs > 1).
//
//   INSERT / REPLACE into t           a loading connection (job key t)
//   CREATE / DROP / ALTER TABLE t     main, once t's INSERTs are committed
//   SET (session), USE                main, then replayed on the loading connections
//   SET GLOBAL / @@GLOBAL.x           main only: server state, not session state (GTID_PURGED
//                                     may be set once)
//   LOCK / UNLOCK TABLES              skipped: they would lock the loading connections out
//   ALTER TABLE t DISABLE/ENABLE KEYS skipped: a no-op for InnoDB, table locks for MyISAM
//   anything else (views, routines,   main, once every job is done
//   triggers, events, other DDL)
//
// With one connection everything goes to main in dump order, exactly as the mysql client.
#pragma once

#include <string>

#include "agent/core/route.h"
#include "protocols/statement.h"

namespace ra {

// `table` is the statement's table qualified with the current database (QualifiedName).
Route MysqlRoute(const StatementInfo& info, const std::string& table, bool parallel);

}  // namespace ra
