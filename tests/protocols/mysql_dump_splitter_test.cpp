#include "protocols/mysql_dump_splitter.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "tests/split_helpers.h"

using ra::SplitError;
using ra::test::SplitMysql;
using ra::test::SplitResult;

namespace {

// Every chunk size from 1 to 16 and the whole buffer must give the same statements, positions
// and status.
SplitResult SplitAllChunkings(const std::string& input) {
  const SplitResult whole = SplitMysql(input, 0);
  for (size_t chunk = 1; chunk <= 16; ++chunk) {
    const SplitResult r = SplitMysql(input, chunk);
    CAPTURE(chunk);
    REQUIRE(r.statements.size() == whole.statements.size());
    for (size_t i = 0; i < r.statements.size(); ++i) {
      CAPTURE(i);
      CHECK(r.statements[i].text == whole.statements[i].text);
      CHECK(r.statements[i].line == whole.statements[i].line);
      CHECK(r.statements[i].offset == whole.statements[i].offset);
      CHECK(r.statements[i].number == whole.statements[i].number);
    }
    CHECK(r.status.error.code == whole.status.error.code);
    CHECK(r.status.error.line == whole.status.error.line);
    CHECK(r.completed == whole.completed);
  }
  return whole;
}

std::vector<std::string> Texts(const SplitResult& r) {
  std::vector<std::string> out;
  for (const auto& s : r.statements) out.push_back(s.text);
  return out;
}

}  // namespace

TEST_CASE("splits on semicolons outside quotes and comments") {
  const std::string in =
      "SET NAMES utf8mb4;\n"
      "INSERT INTO `t` VALUES (1,'a;b'),(2,\"c;d\"),(3,`e;f`);\n"
      "-- a comment; with a semicolon\n"
      "# another; comment\n"
      "/* block ; comment */\n"
      "SELECT 1 /* inline ; */ ;\n";
  const SplitResult r = SplitAllChunkings(in);
  REQUIRE(r.status.ok());
  CHECK(Texts(r) ==
        std::vector<std::string>{"SET NAMES utf8mb4",
                                 "INSERT INTO `t` VALUES (1,'a;b'),(2,\"c;d\"),(3,`e;f`)",
                                 "SELECT 1 /* inline ; */"});
  CHECK(r.statements[0].line == 1);
  CHECK(r.statements[0].offset == 0);
  CHECK(r.statements[1].line == 2);
  CHECK(r.statements[1].offset == 19);
  CHECK(r.statements[2].line == 6);
  CHECK(r.statements[2].number == 3);
}

TEST_CASE("backslash escapes and doubled quotes") {
  const std::string in =
      "INSERT INTO t VALUES ('it\\'s; ok', 'a''b;c', \"q\\\";\", 'back\\\\');\n"
      "INSERT INTO `we``ird;name` VALUES ('x');\n";
  const SplitResult r = SplitAllChunkings(in);
  REQUIRE(r.status.ok());
  REQUIRE(r.statements.size() == 2);
  CHECK(r.statements[0].text ==
        "INSERT INTO t VALUES ('it\\'s; ok', 'a''b;c', \"q\\\";\", 'back\\\\')");
  CHECK(r.statements[1].text == "INSERT INTO `we``ird;name` VALUES ('x')");
}

TEST_CASE("conditional comments are code and are sent unchanged") {
  const std::string in =
      "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n"
      "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;\n"
      "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n";
  const SplitResult r = SplitAllChunkings(in);
  REQUIRE(r.status.ok());
  CHECK(Texts(r) == std::vector<std::string>{
                        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
                        "/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */",
                        "/*!40000 ALTER TABLE `t` DISABLE KEYS */"});
  CHECK(r.statements[1].offset == 66);
}

TEST_CASE("quotes inside a conditional comment are tracked") {
  const SplitResult r = SplitAllChunkings("/*!50003 SET x = ';' */;\nSELECT 2;");
  REQUIRE(r.statements.size() == 2);
  CHECK(r.statements[0].text == "/*!50003 SET x = ';' */");
  CHECK(r.statements[1].text == "SELECT 2");
}

TEST_CASE("DELIMITER changes the terminator, as around routines and triggers") {
  const std::string in =
      "DELIMITER ;;\n"
      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `ins` AFTER "
      "INSERT ON `film` FOR EACH ROW BEGIN\n"
      "    INSERT INTO film_text (film_id, title) VALUES (new.film_id, new.title);\n"
      "  END */;;\n"
      "delimiter ;\n"
      "SELECT 'DELIMITER $$';\n"
      "DELIMITER //\n"
      "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT '//'; END//\n"
      "DELIMITER ;\n"
      "SELECT 3;\n";
  const SplitResult r = SplitAllChunkings(in);
  REQUIRE(r.status.ok());
  REQUIRE(r.statements.size() == 4);
  CHECK(r.statements[0].text.rfind("/*!50003 CREATE*/", 0) == 0);
  CHECK(r.statements[0].text.find("VALUES (new.film_id, new.title);\n  END */") !=
        std::string::npos);
  CHECK(r.statements[0].line == 2);
  CHECK(r.statements[1].text == "SELECT 'DELIMITER $$'");
  CHECK(r.statements[2].text == "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT '//'; END");
  CHECK(r.statements[3].text == "SELECT 3");
  CHECK(r.delimiter == ";");
}

TEST_CASE("a word starting with d is not a DELIMITER command") {
  const SplitResult r = SplitAllChunkings("DROP TABLE a;\ndelimiters;\nDELIMITER;\n");
  REQUIRE(r.statements.size() == 3);
  CHECK(r.statements[0].text == "DROP TABLE a");
  CHECK(r.statements[1].text == "delimiters");
  CHECK(r.statements[2].text == "DELIMITER");
}

TEST_CASE("double dash needs whitespace to start a comment") {
  const SplitResult r = SplitAllChunkings("SELECT 1--1;\nSELECT 2 -- two; \n+1;\nSELECT 3 ---x\n;");
  REQUIRE(r.status.ok());
  REQUIRE(r.statements.size() == 3);
  CHECK(r.statements[0].text == "SELECT 1--1");
  CHECK(r.statements[1].text == "SELECT 2 -- two; \n+1");
  CHECK(r.statements[2].text == "SELECT 3 ---x");
}

TEST_CASE("comment-only and empty statements are dropped") {
  const SplitResult r = SplitAllChunkings(";\n/* only a comment */;\n-- x\n;;SELECT 1;");
  REQUIRE(r.status.ok());
  CHECK(Texts(r) == std::vector<std::string>{"SELECT 1"});
  CHECK(r.statements[0].number == 1);
}

TEST_CASE("the mariadb-dump sandbox line is a client command") {
  const std::string in =
      "/*M!999999\\- enable the sandbox mode */ \n"
      "-- MariaDB dump 10.19-10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n"
      "/*!40101 SET NAMES utf8mb4 */;\n"
      "-- Dump completed on 2026-11-24  6:30:01\n";
  const SplitResult r = SplitAllChunkings(in);
  REQUIRE(r.status.ok());
  CHECK(Texts(r) == std::vector<std::string>{"/*!40101 SET NAMES utf8mb4 */"});
  CHECK(r.statements[0].line == 3);
  CHECK(r.completed);
  ra::MysqlDumpSplitter s;
  s.Feed(in);
  s.Finish();
  CHECK(s.saw_sandbox_command());
  CHECK(s.dump_header() == "-- MariaDB dump 10.19-10.11.19-MariaDB, for debian-linux-gnu (x86_64)");
  CHECK(s.dump_completed_line() == "-- Dump completed on 2026-11-24  6:30:01");
}

TEST_CASE("binary bytes pass through unchanged") {
  std::string value;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (c == '\'' || c == '\\') value += '\\';
    value += c;
  }
  const std::string stmt = "INSERT INTO b VALUES ('" + value + "')";
  const SplitResult r = SplitAllChunkings(stmt + ";\n" + stmt + ";");
  REQUIRE(r.status.ok());
  REQUIRE(r.statements.size() == 2);
  CHECK(r.statements[0].text == stmt);
  CHECK(r.statements[1].text == stmt);
  CHECK(r.statements[1].offset == stmt.size() + 2);
}

TEST_CASE("a last statement without a delimiter is executed") {
  const SplitResult r = SplitAllChunkings("SELECT 1;\nSELECT 2\n");
  CHECK(Texts(r) == std::vector<std::string>{"SELECT 1", "SELECT 2"});
}

TEST_CASE("truncated input inside a string or comment is an error") {
  const std::string full = "INSERT INTO t VALUES ('abc;def'), (\"x\"); /* c */ SELECT `a`;";
  // Cuts inside each quoted or commented construct fail; cuts between statements do not.
  for (std::string inside : {"'abc", "def'", "\"x", "/* c", "c */", "`a"}) {
    const size_t cut = full.find(inside) + inside.size() - 1;
    CAPTURE(cut);
    const SplitResult r = SplitAllChunkings(full.substr(0, cut));
    CHECK(r.status.error.code == SplitError::Code::kUnterminated);
    CHECK(r.status.error.message.find("end of input inside") != std::string::npos);
    CHECK(r.status.error.line == 1);
  }
  for (const char* boundary : {"; /*", " SELECT"}) {
    const size_t cut = full.find(boundary) + 1;
    CHECK(SplitAllChunkings(full.substr(0, cut)).status.ok());
  }
  const SplitResult whole = SplitAllChunkings(full);
  CHECK(whole.status.ok());
  CHECK(whole.statements.size() == 2);
}

TEST_CASE("garbage never crashes and errors are sticky") {
  std::string garbage;
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245 + 12345;
    garbage += static_cast<char>((x >> 16) & 0xff);
  }
  const SplitResult r = SplitAllChunkings(garbage);
  uint64_t last = 0;
  for (const auto& st : r.statements) {
    CHECK(st.offset >= last);
    last = st.offset;
  }
  ra::MysqlDumpSplitter s;
  CHECK(s.Feed("DELIMITER \n").error.code == SplitError::Code::kBadCommand);
  CHECK(s.Feed("SELECT 1;").error.code == SplitError::Code::kBadCommand);
  CHECK(s.Finish().error.code == SplitError::Code::kBadCommand);
}

TEST_CASE("statement size limit") {
  ra::MysqlDumpSplitter s(64);
  const auto st = s.Feed("INSERT INTO t VALUES ('" + std::string(100, 'x') + "');");
  CHECK(st.error.code == SplitError::Code::kStatementTooLarge);
  CHECK(st.error.line == 1);
}

TEST_CASE("sakila fixtures split the same at every chunk size") {
  for (const char* name : {"sakila-schema.sql", "sakila-data.sql"}) {
    const std::string path = ra::test::FixturesDir() + "/mysql/" + name;
    REQUIRE_MESSAGE(std::filesystem::exists(path), "fixture missing: ", path);
    std::string text = ra::test::ReadFile(path);
    if (text.size() > 400000)
      text.resize(400000);  // chunk size 1 over 3 MB is slow; the head is enough
    CAPTURE(name);
    const SplitResult r = SplitAllChunkings(text);
    CHECK(r.statements.size() > 10);
  }
}

TEST_CASE("sakila schema: routines and triggers are whole statements") {
  const std::string text = ra::test::ReadFile(ra::test::FixturesDir() + "/mysql/sakila-schema.sql");
  const SplitResult r = SplitMysql(text, 0);
  REQUIRE(r.status.ok());
  int triggers = 0, procedures = 0, functions = 0;
  for (const auto& st : r.statements) {
    if (st.text.find("CREATE TRIGGER") != std::string::npos) ++triggers;
    if (st.text.find("CREATE PROCEDURE") != std::string::npos) ++procedures;
    if (st.text.find("CREATE FUNCTION") != std::string::npos) ++functions;
    CHECK(st.text.find("DELIMITER") == std::string::npos);
  }
  CHECK(triggers == 3);
  CHECK(procedures == 3);
  CHECK(functions == 3);
}

// Real mariadb-dump output written by the integration tests (RA_SPLITTER_CORPUS: files joined
// by ':'); checked at every chunk size.
TEST_CASE("real dump corpus splits the same at every chunk size") {
  ra::test::ForEachCorpusFile("RA_SPLITTER_CORPUS", [](const std::string& path) {
    CAPTURE(path);
    const std::string text = ra::test::ReadFile(path);
    REQUIRE(!text.empty());
    const SplitResult r = SplitAllChunkings(text);
    CHECK(r.status.ok());
    CHECK(r.completed);
  });
}
