#include "protocols/mysql_table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

// As MySQL 8's SHOW CREATE TABLE writes Sakila's film_actor-like tables, with more kinds.
const char* kFilm =
    "CREATE TABLE `film` (\n"
    "  `film_id` smallint unsigned NOT NULL AUTO_INCREMENT,\n"
    "  `title` varchar(128) NOT NULL COMMENT 'a, (comma) and `KEY x`',\n"
    "  `cover` mediumblob,\n"
    "  `flags` bit(3) DEFAULT NULL,\n"
    "  `spot` point NOT NULL /*!80003 SRID 4326 */,\n"
    "  `title_len` int GENERATED ALWAYS AS (char_length(`title`)) VIRTUAL,\n"
    "  `secret` int DEFAULT NULL /*!80023 INVISIBLE */,\n"
    "  `language_id` tinyint unsigned NOT NULL,\n"
    "  PRIMARY KEY (`film_id`),\n"
    "  UNIQUE KEY `uq_title` (`title`(50)),\n"
    "  KEY `idx_title` (`title`),\n"
    "  KEY `idx_fk_language_id` (`language_id`),\n"
    "  SPATIAL KEY `sp` (`spot`),\n"
    "  FULLTEXT KEY `ft1` (`title`),\n"
    "  FULLTEXT KEY `ft2` (`title`) /*!50100 WITH PARSER `ngram` */ ,\n"
    "  CONSTRAINT `fk_film_language` FOREIGN KEY (`language_id`) REFERENCES `language` "
    "(`language_id`) ON DELETE RESTRICT ON UPDATE CASCADE,\n"
    "  CONSTRAINT `len` CHECK ((`title_len` < 200))\n"
    ") ENGINE=InnoDB AUTO_INCREMENT=1001 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci";

}  // namespace

TEST_CASE("table shape: columns and keys of a mysqldump CREATE TABLE") {
  ra::MysqlTableShape t;
  std::string why;
  REQUIRE_MESSAGE(ra::ParseMysqlCreateTable(kFilm, &t, &why), why);
  REQUIRE(t.columns.size() == 8);
  CHECK(t.columns[0].name == "film_id");
  CHECK(t.columns[0].auto_increment);
  CHECK(t.columns[1].type == "varchar");
  CHECK_FALSE(t.columns[1].binary);
  CHECK(t.columns[2].binary);
  CHECK(t.columns[3].bit);
  CHECK(t.columns[4].spatial);
  CHECK(t.columns[5].generated);
  CHECK_FALSE(t.columns[1].generated);
  CHECK(t.columns[6].invisible);
  CHECK(t.Column("language_id") == &t.columns[7]);
  REQUIRE(t.keys.size() == 9);
  CHECK(t.keys[0].kind == ra::MysqlKeyKind::kPrimary);
  CHECK(t.keys[1].kind == ra::MysqlKeyKind::kUnique);
  CHECK(t.keys[1].columns == std::vector<std::string>{"title"});
  CHECK(t.keys[2].kind == ra::MysqlKeyKind::kPlain);
  CHECK(t.keys[4].kind == ra::MysqlKeyKind::kSpatial);
  CHECK(t.keys[5].kind == ra::MysqlKeyKind::kFulltext);
  CHECK(t.keys[7].kind == ra::MysqlKeyKind::kForeign);
  CHECK(t.keys[7].columns == std::vector<std::string>{"language_id"});
  CHECK(t.keys[8].kind == ra::MysqlKeyKind::kCheck);
  CHECK(t.innodb);
  CHECK_FALSE(t.partitioned);
}

TEST_CASE("table shape: the deferred-index plan") {
  ra::MysqlTableShape t;
  std::string why;
  REQUIRE(ra::ParseMysqlCreateTable(kFilm, &t, &why));
  ra::DeferredIndexes plan;
  REQUIRE_MESSAGE(ra::PlanDeferredIndexes(kFilm, t, "`film`", true, &plan, &why), why);
  ra::MysqlTableShape created;
  REQUIRE(ra::ParseMysqlCreateTable(plan.create, &created, &why));
  CHECK(created.columns.size() == 8);
  REQUIRE(created.keys.size() == 3);  // primary, unique, check
  CHECK(created.keys[2].kind == ra::MysqlKeyKind::kCheck);
  CHECK(created.options == t.options);
  REQUIRE(plan.alters.size() == 3);
  CHECK(plan.alters[0] ==
        "ALTER TABLE `film` ADD KEY `idx_title` (`title`), ADD KEY `idx_fk_language_id` "
        "(`language_id`), ADD SPATIAL KEY `sp` (`spot`)");
  CHECK(plan.alters[1] == "ALTER TABLE `film` ADD FULLTEXT KEY `ft1` (`title`)");
  CHECK(plan.alters[2] ==
        "ALTER TABLE `film` ADD FULLTEXT KEY `ft2` (`title`) /*!50100 WITH PARSER `ngram` */");
  REQUIRE(plan.foreign.size() == 1);
  CHECK(plan.foreign[0].rfind("ALTER TABLE `film` ADD CONSTRAINT `fk_film_language` FOREIGN", 0) ==
        0);

  CHECK_FALSE(ra::PlanDeferredIndexes(kFilm, t, "`film`", false, &plan, &why));
  CHECK(why.find("foreign_key_checks") != std::string::npos);
}

TEST_CASE("table shape: tables that keep their definition") {
  const auto keeps = [](const std::string& sql) {
    ra::MysqlTableShape t;
    std::string why;
    REQUIRE(ra::ParseMysqlCreateTable(sql, &t, &why));
    ra::DeferredIndexes plan;
    const bool deferred = ra::PlanDeferredIndexes(sql, t, "`t`", true, &plan, &why);
    return deferred ? std::string() : why;
  };
  CHECK(keeps("CREATE TABLE `t` (`a` int, KEY `k` (`a`)) ENGINE=MyISAM") == "not InnoDB");
  CHECK(keeps("CREATE TABLE `t` (`a` int, PRIMARY KEY (`a`)) ENGINE=InnoDB") ==
        "no secondary index");
  CHECK(keeps("CREATE TABLE `t` (`a` int NOT NULL AUTO_INCREMENT, `b` int, KEY `k` (`a`))"
              " ENGINE=InnoDB")
            .find("AUTO_INCREMENT") != std::string::npos);
  CHECK(keeps("CREATE TABLE `t` (`a` int, KEY `k` (`a`)) ENGINE=InnoDB\n"
              "/*!50100 PARTITION BY HASH (`a`) PARTITIONS 4 */") == "partitioned");
  CHECK(keeps("CREATE TABLE IF NOT EXISTS `t` (`a` int, KEY `k` (`a`)) ENGINE=InnoDB")
            .find("IF NOT EXISTS") != std::string::npos);
  CHECK(keeps("CREATE TABLE `t` (`a` int, KEY `k` (`a`)) ENGINE=InnoDB").empty());
}

TEST_CASE("table shape: unquoted names, as a hand-written file has them") {
  ra::MysqlTableShape t;
  std::string why;
  REQUIRE(ra::ParseMysqlCreateTable(
      "CREATE TABLE t (id INT PRIMARY KEY, keyname VARCHAR(10), v INT, KEY v (v))", &t, &why));
  REQUIRE(t.columns.size() == 3);
  CHECK(t.columns[1].name == "keyname");
  REQUIRE(t.keys.size() == 1);
  CHECK(t.keys[0].columns == std::vector<std::string>{"v"});
  CHECK(t.name == "t");
}

TEST_CASE("table shape: an INSERT's column list") {
  CHECK(ra::MysqlColumnList("(`a`,`b``c`, d)") == std::vector<std::string>{"a", "b`c", "d"});
  CHECK(ra::MysqlColumnList("").empty());
}
