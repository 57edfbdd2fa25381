// The shape of a table as mysqldump and mariadb-dump write it (SHOW CREATE TABLE): its columns
// and what loading rows into them with LOAD DATA needs to know, its keys and constraints, and
// the plan to create it without its secondary indexes and add them after the data — what
// MySQL Shell's loader calls deferTableIndexes. Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ra {

struct MysqlColumn {
  std::string name;      // unquoted
  std::string type;      // lower case: "int", "varbinary", ...
  bool binary = false;   // binary, varbinary, *blob: bytes stored as given
  bool text = false;     // char, varchar, *text, enum, set: characters in `charset`
  bool json = false;     // MySQL's JSON (MariaDB's is longtext: text)
  std::string charset;   // of a text column: its own, else the table's default ("" unknown)
  bool bit = false;      // BIT
  bool spatial = false;  // geometry types
  bool generated = false;
  bool invisible = false;
  bool auto_increment = false;
};

enum class MysqlKeyKind { kPrimary, kUnique, kPlain, kFulltext, kSpatial, kForeign, kCheck };

struct MysqlKey {
  MysqlKeyKind kind = MysqlKeyKind::kPlain;
  std::string text;                  // the definition as written: "KEY `idx` (`a`,`b`)"
  std::vector<std::string> columns;  // its (own) columns, unquoted
};

struct MysqlTableShape {
  std::string name;  // as written: `t` or `db`.`t`
  std::vector<MysqlColumn> columns;
  std::vector<MysqlKey> keys;  // in the order written
  std::string options;         // what follows the closing parenthesis: ENGINE=... PARTITION ...
  std::string charset;         // DEFAULT CHARSET=, "" when not given
  bool innodb = false;
  bool partitioned = false;
  const MysqlColumn* Column(std::string_view name) const;
};

// Reads a CREATE TABLE statement; false (and *why) when it is not one this code understands.
bool ParseMysqlCreateTable(std::string_view create, MysqlTableShape* out, std::string* why);

// A character set's canonical name: lower case, utf8 as utf8mb3.
std::string MysqlCharsetName(std::string_view name);

// The column names of an INSERT's column list "(`a`,`b`)", unquoted.
std::vector<std::string> MysqlColumnList(std::string_view list);

struct DeferredIndexes {
  std::string create;                // the CREATE TABLE without the deferred definitions
  std::vector<std::string> alters;   // run after the data, in this order: plain and spatial
                                     // keys in one ALTER, then one per FULLTEXT key (InnoDB
                                     // builds one at a time)
  std::vector<std::string> foreign;  // then, once every table has its keys: the foreign keys
};

// Plans creating `create` without its secondary indexes. Kept: the primary key, unique keys,
// CHECK constraints. Deferred: plain, FULLTEXT and SPATIAL keys and — so that no key a foreign
// key needs goes missing while it exists — the foreign keys themselves, which only
// `foreign_key_checks_off` allows (the dump's session sets it; adding them back then checks
// no rows, as the serial restore did not). `table` is the quoted name the ALTERs use. False
// (and *why) when the table keeps its definition: not InnoDB, partitioned, nothing to defer,
// foreign keys with checks on, an AUTO_INCREMENT column that only a deferred key covers,
// TEMPORARY or IF NOT EXISTS (the table may exist already).
bool PlanDeferredIndexes(std::string_view create, const MysqlTableShape& shape,
                         const std::string& table, bool foreign_key_checks_off,
                         DeferredIndexes* out, std::string* why);

}  // namespace ra
