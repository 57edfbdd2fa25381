#include "protocols/mysql_statement.h"

#include <doctest/doctest.h>

using ra::ClassifyMysqlStatement;
using ra::CountInsertRows;
using ra::StatementKind;

TEST_CASE("classifies the statements mysqldump writes") {
  struct Case {
    const char* text;
    StatementKind kind;
    const char* schema;
    const char* object;
  };
  const Case cases[] = {
      {"/*!40101 SET NAMES utf8mb4 */", StatementKind::kSet, "", ""},
      {"SET @saved_cs_client     = @@character_set_client", StatementKind::kSet, "", ""},
      {"USE `sakila`", StatementKind::kUse, "sakila", ""},
      {"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `sakila` /*!40100 DEFAULT CHARACTER SET utf8mb4 "
       "*/",
       StatementKind::kCreateDatabase, "sakila", ""},
      {"DROP TABLE IF EXISTS `actor`", StatementKind::kDropTable, "", "actor"},
      {"CREATE TABLE `actor` (\n  `actor_id` smallint(5) unsigned NOT NULL AUTO_INCREMENT",
       StatementKind::kCreateTable, "", "actor"},
      {"CREATE TABLE IF NOT EXISTS db.`t2` (a int)", StatementKind::kCreateTable, "DB", "t2"},
      {"/*!40000 ALTER TABLE `actor` DISABLE KEYS */", StatementKind::kKeysToggle, "", "actor"},
      {"/*!40000 ALTER TABLE db.`actor` ENABLE KEYS */", StatementKind::kKeysToggle, "DB", "actor"},
      {"ALTER TABLE `actor` ADD KEY `k` (`a`)", StatementKind::kAlterTable, "", "actor"},
      {"CREATE UNIQUE INDEX `k` ON `actor` (`a`)", StatementKind::kCreateIndex, "", "actor"},
      {"CREATE INDEX `k` ON `actor` (`a`)", StatementKind::kCreateIndex, "", "actor"},
      {"LOCK TABLES `actor` WRITE", StatementKind::kLockTables, "", "actor"},
      {"UNLOCK TABLES", StatementKind::kUnlockTables, "", ""},
      {"INSERT INTO `actor` VALUES (1,'PENELOPE','GUINESS','2006-02-15 04:34:33')",
       StatementKind::kInsert, "", "actor"},
      {"INSERT IGNORE INTO `a``b` VALUES (1)", StatementKind::kInsert, "", "a`b"},
      {"REPLACE INTO x VALUES (1)", StatementKind::kInsert, "", "X"},
      {"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY "
       "DEFINER */\n/*!50001 VIEW `actor_info` AS select 1 */",
       StatementKind::kCreateView, "", "actor_info"},
      {"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER "
       "`customer_create_date` "
       "BEFORE INSERT ON `customer` FOR EACH ROW SET NEW.create_date = NOW() */",
       StatementKind::kCreateTrigger, "", "customer_create_date"},
      {"CREATE DEFINER=`root`@`localhost` PROCEDURE `film_in_stock`(IN p_film_id INT)",
       StatementKind::kCreateRoutine, "", "film_in_stock"},
      {"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `ev` ON SCHEDULE "
       "EVERY 1 DAY DO SELECT 1 */",
       StatementKind::kCreateEvent, "", "ev"},
      {"/*!50001 DROP VIEW IF EXISTS `v`*/", StatementKind::kOtherDdl, "", "v"},
      {"START TRANSACTION", StatementKind::kTransaction, "", ""},
      {"-- leading comment\nSELECT 1", StatementKind::kOther, "", ""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const auto info = ClassifyMysqlStatement(c.text);
    CHECK(info.kind == c.kind);
    CHECK(info.schema == c.schema);
    CHECK(info.object == c.object);
  }
  CHECK(ClassifyMysqlStatement("INSERT INTO t VALUES (1)").plain_insert);
  CHECK_FALSE(ClassifyMysqlStatement("INSERT IGNORE INTO t VALUES (1)").plain_insert);
  CHECK_FALSE(ClassifyMysqlStatement("REPLACE INTO t VALUES (1)").plain_insert);
  // Server-wide settings are not session state (mysqldump 8+ writes GTID_PURGED once).
  CHECK(ClassifyMysqlStatement("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'u:1-5'").global);
  CHECK(ClassifyMysqlStatement("SET GLOBAL local_infile = 1").global);
  CHECK(ClassifyMysqlStatement("SET PERSIST x = 1").global);
  CHECK_FALSE(ClassifyMysqlStatement("SET @@SESSION.SQL_LOG_BIN= 0").global);
  CHECK_FALSE(ClassifyMysqlStatement("SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN").global);
  CHECK_FALSE(ClassifyMysqlStatement("/*!40101 SET NAMES utf8mb4 */").global);
}

TEST_CASE("counts the rows of extended inserts") {
  CHECK(CountInsertRows("INSERT INTO `t` VALUES (1,'a'),(2,'b'),(3,'c')") == 3);
  CHECK(CountInsertRows("INSERT INTO `t` (`a`,`b`) VALUES (1,'(x),(y)'),(2,\"),(\")") == 2);
  CHECK(CountInsertRows("INSERT INTO t VALUES (1,POINT(1,2)),(2,'it\\'s (')") == 2);
  CHECK(CountInsertRows("INSERT INTO t VALUE (1)") == 1);
  CHECK(CountInsertRows("insert into `values` values (1), (2)") == 2);
  CHECK(CountInsertRows("INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a=VALUES(a)") == 1);
  CHECK(CountInsertRows("INSERT INTO t SELECT * FROM u") == 0);
  CHECK(CountInsertRows("INSERT INTO t VALUES (1,'unterminated") == 1);
}

TEST_CASE("descriptions carry no data") {
  const auto info = ClassifyMysqlStatement("INSERT INTO `users` VALUES (1,'secret-password')");
  CHECK(ra::DescribeStatement(info) == "INSERT into 'users'");
}
