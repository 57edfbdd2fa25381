// What a plain pg_dump statement does, read from its first words (PostgreSQL lexical rules:
// unquoted names fold to lower case, "quoted" ones keep theirs). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocols/statement.h"

namespace ra {

StatementInfo ClassifyPgStatement(std::string_view text);

// The relation of `COPY relation [(cols)] FROM stdin`, exactly as the dump writes it (quotes
// kept): safe to put back into SQL (TRUNCATE ONLY relation).
std::string PgCopyRelation(std::string_view copy_statement);

// The database a psql \connect argument names: the argument itself, or, when it is a conninfo
// string as pg_dumpall writes it ("dbname='quote\'db'"), its dbname value with libpq's quoting
// undone.
std::string PgConninfoDbname(std::string_view arg);

// For `SET [SESSION|LOCAL] standard_conforming_strings = on|off` the new value, else nothing.
std::optional<bool> PgStandardConformingStrings(std::string_view text);

}  // namespace ra
