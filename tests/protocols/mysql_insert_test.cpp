#include "protocols/mysql_insert.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using Row = std::vector<std::string>;

// LOAD DATA's reading of the default text format: fields by tab, rows by newline, `\` escapes,
// \N for NULL (returned as "<NULL>").
std::vector<Row> ReadRows(const std::string& data) {
  std::vector<Row> rows(1);
  std::string field;
  bool null = false;
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (c == '\\' && i + 1 < data.size()) {
      const char e = data[++i];
      if (e == 'N') null = true;
      field.push_back(e == 't' ? '\t' : e == 'n' ? '\n' : e == '0' ? '\0' : e);
      if (e == 'N') field.pop_back();
    } else if (c == '\t' || c == '\n') {
      rows.back().push_back(null ? "<NULL>" : field);
      field.clear();
      null = false;
      if (c == '\n') rows.emplace_back();
    } else {
      field.push_back(c);
    }
  }
  rows.pop_back();
  return rows;
}

// mysqldump's escaping of a string value (mysql_real_escape_string).
std::string DumpQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    switch (c) {
      case '\0':
        out += "\\0";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\x1a':
        out += "\\Z";
        break;
      default:
        out += c;
    }
  }
  return out + "'";
}

std::vector<Row> Convert(const std::string& sql, ra::InsertRows* r = nullptr) {
  ra::InsertRows rows;
  std::string data, why;
  REQUIRE_MESSAGE(ra::MysqlInsertToRows(sql, &rows, &data, &why), why);
  if (r != nullptr) *r = rows;
  return ReadRows(data);
}

bool Refused(const std::string& sql) {
  ra::InsertRows rows;
  std::string data = "kept", why;
  const bool ok = ra::MysqlInsertToRows(sql, &rows, &data, &why);
  CHECK(data == "kept");  // nothing appended on refusal
  return !ok && !why.empty();
}

}  // namespace

TEST_CASE("insert to rows: the forms mysqldump and mariadb-dump write") {
  ra::InsertRows r;
  CHECK(Convert("INSERT INTO `actor` VALUES (1,'PENELOPE','GUINESS','2006-02-15 04:34:33'),"
                "(2,'NICK',NULL,'2006-02-15 04:34:33')",
                &r) == std::vector<Row>{{"1", "PENELOPE", "GUINESS", "2006-02-15 04:34:33"},
                                        {"2", "NICK", "<NULL>", "2006-02-15 04:34:33"}});
  CHECK(r.table == "`actor`");
  CHECK(r.columns.empty());
  CHECK(r.modifier.empty());
  CHECK(r.rows == 2);
  Convert("INSERT IGNORE INTO `db`.`t` (`a`,`b c`) VALUES (-1.5e-3,+7)", &r);
  CHECK(r.modifier == "IGNORE");
  CHECK(r.table == "`db`.`t`");
  CHECK(r.columns == "(`a`,`b c`)");
  Convert("REPLACE INTO t VALUE (1);", &r);
  CHECK(r.modifier == "REPLACE");
  CHECK(Convert("INSERT INTO t VALUES (0x00FF0A5C,X'414243',_binary 'a\\'b',0x)") ==
        std::vector<Row>{{std::string("\0\xff\n\\", 4), "ABC", "a'b", ""}});
  CHECK(Convert("INSERT INTO t VALUES ('it''s','\\%\\_\\q','tab\there', \"dq\")") ==
        std::vector<Row>{{"it's", "\\%\\_q", "tab\there", "dq"}});
}

TEST_CASE("insert to rows: all 256 byte values, as mysqldump escapes them, come back whole") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::string sql =
      "INSERT INTO t VALUES (1," + DumpQuoted(all) + "),(2," + DumpQuoted(all + all) + ")";
  const auto rows = Convert(sql);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][1] == all);
  CHECK(rows[1][1] == all + all);
}

TEST_CASE("insert to rows: anything uncertain stays an INSERT") {
  CHECK(Refused("INSERT INTO t VALUES (1,ST_GeomFromText('POINT(1 1)'))"));
  CHECK(Refused("INSERT INTO t VALUES (b'0101')"));
  CHECK(Refused("INSERT INTO t VALUES (_utf8mb4'x')"));
  CHECK(Refused("INSERT INTO t VALUES (DEFAULT)"));
  CHECK(Refused("INSERT INTO t VALUES (1+1)"));
  CHECK(Refused("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a=VALUES(a)"));
  CHECK(Refused("INSERT INTO t SELECT * FROM u"));
  CHECK(Refused("INSERT INTO t VALUES (1,'unterminated"));
  CHECK(Refused("INSERT /* comment */ INTO t VALUES (1)"));
  CHECK(Refused("UPDATE t SET a = 1"));
  CHECK(Refused("INSERT INTO t VALUES (1),"));
  CHECK(Refused("INSERT INTO t VALUES (1,2),(3)"));
  CHECK(Refused("INSERT INTO t VALUES (1),(2,3)"));
}

TEST_CASE("insert to rows: where binary literals are, per value position") {
  ra::InsertRows r;
  Convert("INSERT INTO t VALUES (1,'a',0x00,NULL),(2,_binary 'b','c',X'01')", &r);
  CHECK(r.fields == 4);
  CHECK(r.binary_values == std::vector<bool>{false, true, true, true});
  Convert("INSERT INTO t VALUES (1,'a')", &r);
  CHECK(r.binary_values == std::vector<bool>{false, false});
}
