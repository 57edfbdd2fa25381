// Where restore-postgres sends a statement when it loads with several connections (--jobs > 1).
//
//   COPY t FROM stdin                     a loading connection (job key t); its data follows
//   CREATE INDEX ... ON t,                a loading connection once t's data is in (job key
//   ALTER TABLE t ADD CONSTRAINT (not FK)   "t (post-data)", so t's barrier does not wait for it)
//   SET, set_config(...)                  main, then replayed on the loading connections
//   SELECT setval(...)                    main, at once (a sequence does not depend on data)
//   anything else (foreign keys, ACLs,    main, once every job is done
//   triggers, comments, CREATE TABLE...)
//
// With one connection everything goes to main in dump order, exactly as psql.
#pragma once

#include <string>

#include "agent/core/route.h"
#include "protocols/statement.h"

namespace ra {

// `table` is the statement's table as QualifiedName(info, "") gives it.
Route PgRoute(const StatementInfo& info, const std::string& table, bool parallel);

}  // namespace ra
