// The LOAD DATA statement that stores the rows of an INSERT (protocols/mysql_insert.h) exactly
// as the INSERT would have, given the table's shape (protocols/mysql_table.h) and the session's
// character_set_client. Pure; no I/O.
//
// An INSERT's quoted strings are in the client's character set and converted to each column's;
// its binary literals (0x.., _binary '..') are stored as they are. LOAD DATA has one character
// set for the whole file, so the rows are read as binary (nothing converted) and:
//   - binary columns, and text columns in the client's character set, take the field as it is;
//   - other text columns (another character set, MySQL's JSON) take CONVERT(@field USING
//     client charset), which the server then converts to the column's, as for the INSERT;
//   - other columns (numbers, dates, ...) take the text as it is.
// Refused (the caller sends the INSERT): a table that is not InnoDB (a rolled-back LOAD DATA
// must leave nothing behind), BIT and spatial columns, generated columns without a column list
// on MySQL (without one, invisible columns are left out), a column list naming unknown or
// generated columns, a count of values that differs, a binary
// literal in a column that would read it otherwise (a number, a converted text column).
#pragma once

#include <string>

#include "protocols/mysql_insert.h"
#include "protocols/mysql_table.h"

namespace ra {

struct MysqlServerTraits {
  std::string client_charset;  // the session's character_set_client
  // MariaDB ignores the values an INSERT without a column list gives generated columns (as
  // mariadb-dump writes them); MySQL refuses them.
  bool ignores_generated_values = false;
};

bool MysqlLoadStatement(const InsertRows& rows, const MysqlTableShape& shape,
                        const MysqlServerTraits& server, const std::string& file_name,
                        std::string* sql, std::string* why);

}  // namespace ra
