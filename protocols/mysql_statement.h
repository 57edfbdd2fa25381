// What a mysqldump statement does, read from its first words, and how many rows an extended
// INSERT carries. Pure functions over statement text as MysqlDumpSplitter yields it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/statement.h"

namespace ra {

// Looks into `/*!NNNNN ... */` conditional comments as the server does; skips plain comments.
StatementInfo ClassifyMysqlStatement(std::string_view text);

// Rows of `INSERT ... VALUES (...),(...)`: the top-level tuples after VALUES. 0 for
// INSERT ... SELECT or anything else.
uint64_t CountInsertRows(std::string_view text);

}  // namespace ra
