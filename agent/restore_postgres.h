// restore-postgres: streams a plain pg_dump / pg_dumpall backup (gzip or plain, file or stdin)
// into PostgreSQL through PgConnection with psql's semantics: statements, COPY data in large
// buffers, \connect to each database of a cluster dump.
#pragma once

#include "agent/command_options.h"

namespace ra {

int RunRestorePostgres(const RestorePostgresOptions& options);

}  // namespace ra
