#include "protocols/mysql_load_data.h"

#include <doctest/doctest.h>

#include <string>

namespace {

const char* kTable =
    "CREATE TABLE `t` (\n"
    "  `id` int NOT NULL,\n"
    "  `name` varchar(20) DEFAULT NULL,\n"
    "  `l1` varchar(20) CHARACTER SET latin1 DEFAULT NULL,\n"
    "  `bin` varbinary(20) DEFAULT NULL,\n"
    "  `j` json DEFAULT NULL,\n"
    "  `c` varchar(5) COLLATE utf8mb4_bin DEFAULT NULL,\n"
    "  PRIMARY KEY (`id`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci";

struct Case {
  ra::MysqlTableShape shape;
  Case(const char* create = kTable) {
    std::string why;
    REQUIRE(ra::ParseMysqlCreateTable(create, &shape, &why));
  }
  // The LOAD DATA for `insert`, or "refused: why".
  std::string Load(const std::string& insert, const std::string& client = "utf8mb4",
                   bool mariadb = false) {
    ra::InsertRows rows;
    std::string data, why, sql;
    REQUIRE(ra::MysqlInsertToRows(insert, &rows, &data, &why));
    if (!ra::MysqlLoadStatement(rows, shape, {client, mariadb}, "f", &sql, &why))
      return "refused: " + why;
    return sql;
  }
};

}  // namespace

TEST_CASE("load data: the shape knows each text column's character set") {
  Case c;
  CHECK(c.shape.name == "`t`");
  CHECK(c.shape.charset == "utf8mb4");
  CHECK(c.shape.Column("name")->charset == "utf8mb4");
  CHECK(c.shape.Column("l1")->charset == "latin1");
  CHECK(c.shape.Column("c")->charset == "utf8mb4");
  CHECK(c.shape.Column("j")->json);
  CHECK(c.shape.Column("bin")->charset.empty());
  CHECK(ra::MysqlCharsetName("UTF8") == "utf8mb3");
}

TEST_CASE("load data: binary file, columns converted only where the INSERT converts") {
  Case c;
  CHECK(c.Load("INSERT INTO `t` VALUES (1,'a','é',0x00,'{}','x')") ==
        "LOAD DATA LOCAL INFILE 'f'  INTO TABLE `t` CHARACTER SET binary FIELDS TERMINATED BY "
        "'\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (`id`,`name`,@restore_agent_2,`bin`,"
        "@restore_agent_4,`c`) SET `l1` = CONVERT(@restore_agent_2 USING utf8mb4), `j` = "
        "CONVERT(@restore_agent_4 USING utf8mb4)");
  // A latin1 client: every utf8mb4 column is converted, the latin1 one is not.
  const std::string latin1 = c.Load("INSERT INTO `t` VALUES (1,'a','b',NULL,NULL,'x')", "latin1");
  CHECK(latin1.find("(`id`,@restore_agent_1,`l1`,`bin`,@restore_agent_4,@restore_agent_5)") !=
        std::string::npos);
  CHECK(c.Load("REPLACE INTO `t` (`id`,`c`) VALUES (1,'a')").find("'f' REPLACE INTO TABLE `t`") !=
        std::string::npos);
}

TEST_CASE("load data: refusals") {
  Case c;
  CHECK(c.Load("INSERT INTO `t` VALUES (1,'a')").rfind("refused: a count", 0) == 0);
  CHECK(c.Load("INSERT INTO `t` (`id`,`nope`) VALUES (1,'a')").rfind("refused: a column", 0) == 0);
  // Binary literals: fine into binary columns and text columns in the client's charset.
  CHECK(c.Load("INSERT INTO `t` VALUES (1,0x41,'a',_binary 'x',NULL,'x')").rfind("LOAD", 0) == 0);
  CHECK(c.Load("INSERT INTO `t` VALUES (1,'a',0x41,NULL,NULL,'x')").rfind("refused: a binary", 0) ==
        0);
  CHECK(
      c.Load("INSERT INTO `t` VALUES (0x41,'a','a',NULL,NULL,'x')").rfind("refused: a binary", 0) ==
      0);
  Case bits("CREATE TABLE `b` (`id` int, `f` bit(3), `g` point) ENGINE=InnoDB");
  CHECK(bits.Load("INSERT INTO `b` (`id`) VALUES (1)").rfind("LOAD", 0) == 0);
  CHECK(bits.Load("INSERT INTO `b` (`id`,`f`) VALUES (1,2)").rfind("refused: a BIT", 0) == 0);
  Case myisam("CREATE TABLE `m` (`id` int) ENGINE=MyISAM");
  CHECK(myisam.Load("INSERT INTO `m` VALUES (1)") == "refused: not an InnoDB table");
  Case gen(
      "CREATE TABLE `g` (`id` int, `x` int GENERATED ALWAYS AS (`id` + 1) VIRTUAL) "
      "ENGINE=InnoDB");
  CHECK(gen.Load("INSERT INTO `g` VALUES (1,2)").rfind("refused: a generated", 0) == 0);
  CHECK(gen.Load("INSERT INTO `g` VALUES (1,2)", "utf8mb4", true)
            .find("(`id`,@restore_agent_ignored)") != std::string::npos);
  CHECK(gen.Load("INSERT INTO `g` (`id`) VALUES (1)").rfind("LOAD", 0) == 0);
  CHECK(gen.Load("INSERT INTO `g` (`id`,`x`) VALUES (1,2)").rfind("refused: a column", 0) == 0);
  Case inv(
      "CREATE TABLE `i` (`id` int, `s` int DEFAULT NULL /*!80023 INVISIBLE */) "
      "ENGINE=InnoDB");
  CHECK(inv.Load("INSERT INTO `i` VALUES (1)").find("(`id`)") != std::string::npos);
}
