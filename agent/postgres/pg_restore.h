// restore-postgres: loads a plain pg_dump / pg_dumpall backup (gzip or plain, file or stdin)
// into PostgreSQL through PgConnection with psql's semantics. The life cycle is the shared
// skeleton's (agent/core/dump_restore.h); this is its PostgreSQL half: the splitter, psql's
// meta-commands, the router (pg_route.h) and the connections (main, and PgLoader's).
#pragma once

#include <string>

#include "agent/core/credentials.h"
#include "agent/core/dump_restore.h"

namespace ra {

struct RestorePostgresOptions {
  DumpRestoreOptions restore;
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;  // database name, conninfo string or URI
  PasswordOptions password;
  std::string on_error = "stop";  // stop | continue
  // The sessions' maintenance_work_mem (index builds, foreign key checks); "" (the default)
  // keeps the server's: 256MB made the index builds of a 1 GB dump 35% slower than the
  // server's 64MB on two cores. Each loading connection may use this much.
  std::string maintenance_work_mem;
};

int RunRestorePostgres(const RestorePostgresOptions& options);

}  // namespace ra
