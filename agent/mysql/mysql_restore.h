// restore-mysql: streams a mysqldump (gzip or plain, file or stdin) into a MySQL/MariaDB server
// through MysqlConnection with the `mysql` client's semantics. The life cycle is the shared
// skeleton's (agent/core/dump_restore.h); this is its MySQL half: the splitter, the router
// (mysql_route.h) and the connections (main, and MysqlLoader's with --jobs > 1).
#pragma once

#include <string>

#include "agent/core/credentials.h"
#include "agent/core/dump_restore.h"

namespace ra {

struct RestoreMysqlOptions {
  DumpRestoreOptions restore;
  std::string host;
  unsigned port = 0;
  std::string socket;
  std::string user;
  std::string database;
  bool create_database = false;
  PasswordOptions password;
  bool force = false;
  // With --jobs > 1: INSERTs loaded as LOAD DATA rows, secondary indexes added after the data.
  bool load_data = true;
  bool defer_indexes = true;
};

// Returns the exit code; throws ra::Error (agent/cli maps it to an exit code).
int RunRestoreMysql(const RestoreMysqlOptions& options);

}  // namespace ra
