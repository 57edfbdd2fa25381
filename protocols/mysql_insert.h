// MysqlInsertToRows: an extended INSERT of a dump as the rows LOAD DATA reads, with exactly the
// values the INSERT would have stored. The fastest MySQL loaders (MySQL Shell's util.loadDump)
// send rows this way rather than SQL text, which the server would otherwise parse.
//
// Converted: INSERT [LOW_PRIORITY|DELAYED|HIGH_PRIORITY] [IGNORE] [INTO] table [(columns)]
// VALUES (...),(...) and REPLACE likewise, whose every value is NULL, a number, a quoted string
// (backslash escapes and doubled quotes undone as the server does), a hex literal (0x.., X'..')
// or a _binary string. The rows use LOAD DATA's default text format: fields separated by tab,
// rows by newline, `\` escaping tab, newline, backslash and NUL, and \N for NULL.
//
// Anything else — a function call (spatial values written as functions), a bit literal, another
// charset introducer, DEFAULT, an expression, ON DUPLICATE KEY UPDATE, INSERT ... SELECT, a
// comment — is not converted: the caller sends the INSERT as it was. Pure; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ra {

struct InsertRows {
  std::string modifier;  // "", "IGNORE" or "REPLACE": LOAD DATA's duplicate-key handling
  std::string table;     // as written: `t` or `db`.`t`
  std::string columns;   // "(`a`,`b`)" as written, or "" for all columns
  uint64_t rows = 0;
  size_t fields = 0;  // values per row (every row has as many)
  // Per value position: a binary literal (0x.., X'..', _binary '..') appeared there in some
  // row. INSERT stores such bytes unconverted; LOAD DATA converts them from its character set,
  // which is the same only for binary columns (the caller checks).
  std::vector<bool> binary_values;
};

// Appends the rows of `insert` to *data and fills *out; returns false (and *why, and *data as
// it was) when the statement must go as the INSERT it is (also when its rows differ in
// their number of values: the server's own error says which row).
bool MysqlInsertToRows(std::string_view insert, InsertRows* out, std::string* data,
                       std::string* why);

}  // namespace ra
