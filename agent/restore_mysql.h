// restore-mysql: streams a mysqldump (gzip or plain, file or stdin) into a MySQL/MariaDB server
// through MysqlConnection, statement by statement, with the `mysql` client's semantics.
#pragma once

#include "agent/command_options.h"

namespace ra {

// Returns the exit code; throws ra::Error for failures (main maps them to exit codes).
int RunRestoreMysql(const RestoreMysqlOptions& options);

}  // namespace ra
