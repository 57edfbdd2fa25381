// What a mysqldump statement does, read from its first words, and how many rows an extended
// INSERT carries. Pure functions over statement text as MysqlDumpSplitter yields it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/statement.h"

namespace ra {

struct MysqlStatementInfo {
  StatementKind kind = StatementKind::kOther;
  std::string schema;  // qualifier of the table, or the database of USE / CREATE DATABASE
  std::string object;  // table, view, routine, trigger or event name (unquoted)
  // INSERT without IGNORE: the server's affected-row count must equal the rows sent.
  bool plain_insert = false;
};

// Looks into `/*!NNNNN ... */` conditional comments as the server does; skips plain comments.
MysqlStatementInfo ClassifyMysqlStatement(std::string_view text);

// Rows of `INSERT ... VALUES (...),(...)`: the top-level tuples after VALUES. 0 for
// INSERT ... SELECT or anything else.
uint64_t CountInsertRows(std::string_view text);

// "schema.object", with `current_db` (from USE or --database) when the statement names no schema.
std::string QualifiedName(const MysqlStatementInfo& info, const std::string& current_db);

// A short, secret-free description for messages: "INSERT into `film`", "CREATE TABLE `actor`".
std::string DescribeStatement(const MysqlStatementInfo& info);

}  // namespace ra
