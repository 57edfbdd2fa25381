#include "protocols/pg_dump_splitter.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "protocols/pg_statement.h"
#include "tests/split_helpers.h"

using ra::PgDumpItem;
using ra::PgDumpSplitter;
using ra::SplitError;
using Type = ra::PgDumpItem::Type;

namespace {

struct PgSplit {
  std::vector<PgDumpItem> items;  // consecutive COPY data merged into one item
  ra::SplitStatus status;
};

PgSplit SplitPg(const std::string& input, size_t chunk) {
  PgDumpSplitter splitter;
  PgSplit r;
  PgDumpItem item;
  auto drain = [&] {
    while (splitter.Next(&item)) {
      if (item.type == Type::kCopyData && !r.items.empty() &&
          r.items.back().type == Type::kCopyData) {
        r.items.back().text += item.text;
        r.items.back().rows += item.rows;
      } else {
        r.items.push_back(item);
      }
    }
  };
  if (chunk == 0) chunk = std::max<size_t>(1, input.size());
  for (size_t i = 0; i < input.size() && r.status.ok(); i += chunk) {
    r.status = splitter.Feed(std::string_view(input).substr(i, chunk));
    drain();
  }
  if (r.status.ok()) r.status = splitter.Finish();
  drain();
  return r;
}

PgSplit SplitAll(const std::string& input) {
  const PgSplit whole = SplitPg(input, 0);
  for (size_t chunk = 1; chunk <= 16; ++chunk) {
    CAPTURE(chunk);
    const PgSplit r = SplitPg(input, chunk);
    REQUIRE(r.items.size() == whole.items.size());
    for (size_t i = 0; i < r.items.size(); ++i) {
      CAPTURE(i);
      CHECK(r.items[i].type == whole.items[i].type);
      CHECK(r.items[i].text == whole.items[i].text);
      CHECK(r.items[i].command == whole.items[i].command);
      CHECK(r.items[i].args == whole.items[i].args);
      CHECK(r.items[i].line == whole.items[i].line);
      CHECK(r.items[i].offset == whole.items[i].offset);
      CHECK(r.items[i].number == whole.items[i].number);
      CHECK(r.items[i].rows == whole.items[i].rows);
    }
    CHECK(r.status.error.code == whole.status.error.code);
    CHECK(r.status.error.line == whole.status.error.line);
  }
  return whole;
}

std::vector<std::string> Statements(const PgSplit& r) {
  std::vector<std::string> out;
  for (const auto& i : r.items) {
    if (i.type == Type::kStatement) out.push_back(i.text);
  }
  return out;
}

}  // namespace

TEST_CASE("pg: semicolons, quotes and comments") {
  const PgSplit r = SplitAll(
      "SET client_encoding = 'UTF8';\n"
      "-- comment; here\n"
      "/* block /* nested; */ still; */\n"
      "SELECT 'a;b', \"we;ird\"\"t\", 'it''s';\n"
      "SELECT 'back\\';\n"
      "SELECT E'esc\\';still', 2;\n");
  REQUIRE(r.status.ok());
  CHECK(Statements(r) == std::vector<std::string>{"SET client_encoding = 'UTF8'",
                                                  "SELECT 'a;b', \"we;ird\"\"t\", 'it''s'",
                                                  "SELECT 'back\\'", "SELECT E'esc\\';still', 2"});
  CHECK(r.items[1].line == 4);
  CHECK(r.items[1].offset == 80);
}

TEST_CASE("pg: standard_conforming_strings off makes backslash escape in '...'") {
  const PgSplit r = SplitAll(
      "SET standard_conforming_strings = off;\nSELECT 'a\\';b';\n"
      "SET standard_conforming_strings TO on;\nSELECT 'c\\';\n");
  REQUIRE(r.status.ok());
  CHECK(Statements(r) ==
        std::vector<std::string>{"SET standard_conforming_strings = off", "SELECT 'a\\';b'",
                                 "SET standard_conforming_strings TO on", "SELECT 'c\\'"});
}

TEST_CASE("pg: dollar quoting with and without tags, nested other tags, parameters") {
  const PgSplit r = SplitAll(
      "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
      "CREATE FUNCTION g() RETURNS text AS $fn$ BEGIN RETURN $x$;'$y$x$; END $fn$ LANGUAGE "
      "plpgsql;\n"
      "PREPARE p(int) AS SELECT $1 + a$b FROM t;\n"
      "SELECT $tag$ a $ b $$ c $tag$;\n");
  REQUIRE(r.status.ok());
  const auto st = Statements(r);
  REQUIRE(st.size() == 4);
  CHECK(st[0] == "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql");
  CHECK(st[1] ==
        "CREATE FUNCTION g() RETURNS text AS $fn$ BEGIN RETURN $x$;'$y$x$; END $fn$ LANGUAGE "
        "plpgsql");
  CHECK(st[2] == "PREPARE p(int) AS SELECT $1 + a$b FROM t");
  CHECK(st[3] == "SELECT $tag$ a $ b $$ c $tag$");
}

TEST_CASE("pg: parentheses and BEGIN ATOMIC bodies keep semicolons inside") {
  const PgSplit r = SplitAll(
      "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b "
      "VALUES (2));\n"
      "CREATE OR REPLACE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT "
      "CASE WHEN true THEN 1 END; END;\n"
      "BEGIN;\nSELECT 3;\nEND;\n");
  REQUIRE(r.status.ok());
  const auto st = Statements(r);
  REQUIRE(st.size() == 5);
  CHECK(st[1].find("END; END") != std::string::npos);
  CHECK(st[2] == "BEGIN");
  CHECK(st[3] == "SELECT 3");
  CHECK(st[4] == "END");
}

TEST_CASE("pg: COPY data is passed on byte-exact up to the \\. line") {
  const std::string data = "1\tx;y\n\\N\t\\.\n2\t'quote\\ttab\\nnl\\\\'\n\\\\.\n";
  const PgSplit r = SplitAll("COPY public.t (a, b) FROM stdin;\n" + data +
                             "\\.\nSELECT 1;\nCOPY t FROM stdin;\r\nx\r\n\\.\r\n");
  REQUIRE(r.status.ok());
  REQUIRE(r.items.size() == 7);
  CHECK(r.items[0].type == Type::kStatement);
  CHECK(r.items[0].text == "COPY public.t (a, b) FROM stdin");
  CHECK(r.items[1].type == Type::kCopyData);
  CHECK(r.items[1].text == data);
  CHECK(r.items[1].rows == 4);
  CHECK(r.items[1].line == 2);
  CHECK(r.items[1].offset == 33);
  CHECK(r.items[1].number == 1);
  CHECK(r.items[2].type == Type::kCopyEnd);
  CHECK(r.items[2].rows == 4);
  CHECK(r.items[2].line == 6);
  CHECK(r.items[3].text == "SELECT 1");
  CHECK(r.items[3].number == 2);
  CHECK(r.items[5].text == "x\r\n");
  CHECK(r.items[6].type == Type::kCopyEnd);
}

TEST_CASE("pg: an empty COPY block and large COPY data") {
  std::string big;
  for (int i = 0; i < 40000; ++i) big += std::to_string(i) + "\t" + std::string(i % 50, 'v') + "\n";
  PgDumpSplitter s;
  REQUIRE(s.Feed("COPY a FROM stdin;\n\\.\nCOPY b FROM stdin;\n" + big + "\\.\n").ok());
  REQUIRE(s.Finish().ok());
  PgDumpItem item;
  std::vector<PgDumpItem> items;
  while (s.Next(&item)) items.push_back(item);
  REQUIRE(items.size() >= 5);
  CHECK(items[1].type == Type::kCopyEnd);
  CHECK(items[1].rows == 0);
  std::string joined;
  uint64_t rows = 0;
  size_t data_items = 0;
  for (size_t i = 3; i + 1 < items.size(); ++i) {
    REQUIRE(items[i].type == Type::kCopyData);
    CHECK(items[i].text.size() <= PgDumpSplitter::kCopyChunkBytes + 64);
    joined += items[i].text;
    rows += items[i].rows;
    ++data_items;
  }
  CHECK(data_items > 1);  // handed on in large buffers, not whole and not a row at a time
  CHECK(joined == big);
  CHECK(rows == 40000);
  CHECK(items.back().rows == 40000);
}

TEST_CASE("pg: psql meta-commands") {
  const PgSplit r = SplitAll(
      "\\restrict AbC123\nSET x = 1;\n\\connect -reuse-previous=on \"dbname='zync_production'\"\n"
      "\\c template1\n\\set ON_ERROR_STOP on\n\\unrestrict AbC123\n");
  REQUIRE(r.status.ok());
  REQUIRE(r.items.size() == 6);
  CHECK(r.items[0].command == "restrict");
  CHECK(r.items[0].args == std::vector<std::string>{"AbC123"});
  CHECK(r.items[2].command == "connect");
  CHECK(r.items[2].args ==
        std::vector<std::string>{"-reuse-previous=on", "dbname='zync_production'"});
  CHECK(r.items[2].line == 3);
  CHECK(r.items[3].command == "connect");
  CHECK(r.items[3].args == std::vector<std::string>{"template1"});
  CHECK(r.items[4].command == "set");
  CHECK(r.items[4].args == std::vector<std::string>{"ON_ERROR_STOP", "on"});
  CHECK(r.items[5].command == "unrestrict");
}

TEST_CASE("pg: unknown meta-commands and stray backslashes are errors naming them") {
  PgSplit r = SplitAll("SELECT 1;\n\n\\i /etc/passwd\nSELECT 2;\n");
  CHECK(r.status.error.code == SplitError::Code::kBadCommand);
  CHECK(r.status.error.message.find("'\\i'") != std::string::npos);
  CHECK(r.status.error.line == 3);
  CHECK(Statements(r) == std::vector<std::string>{"SELECT 1"});
  r = SplitAll("SELECT 1 \\g\n");
  CHECK(r.status.error.code == SplitError::Code::kBadCommand);
}

TEST_CASE("pg: truncated input is an error, never a silent end") {
  for (const char* cut :
       {"SELECT 'abc", "SELECT E'a\\", "SELECT \"id", "SELECT $$ body", "SELECT $t$ body $t",
        "/* comment", "/* a /* b */ c", "COPY t FROM stdin;\n1\n2", "COPY t FROM stdin;\n1\n\\"}) {
    CAPTURE(cut);
    const PgSplit r = SplitAll(cut);
    CHECK(r.status.error.code == SplitError::Code::kUnterminated);
    CHECK(r.status.error.message.find("end of input inside") != std::string::npos);
  }
  CHECK(SplitAll("COPY t FROM stdin;\n1\n\\.").status.ok());  // "\." at the very end
  CHECK(Statements(SplitAll("SELECT 1")) == std::vector<std::string>{"SELECT 1"});
}

TEST_CASE("pg: garbage never crashes") {
  std::string garbage;
  uint32_t x = 99;
  for (int i = 0; i < 20000; ++i) {
    x = x * 1103515245 + 12345;
    garbage += static_cast<char>((x >> 16) & 0xff);
  }
  SplitAll(garbage);
  SplitAll("COPY t FROM stdin;\n" + garbage);
}

TEST_CASE("pg: classification") {
  using ra::StatementKind;
  auto c = [](const char* s) { return ra::ClassifyPgStatement(s); };
  CHECK(c("COPY public.actor (actor_id, first_name) FROM stdin").kind ==
        StatementKind::kCopyFromStdin);
  CHECK(c("COPY public.actor (actor_id, first_name) FROM stdin").object == "actor");
  CHECK(c("COPY public.actor (actor_id, first_name) FROM stdin").schema == "public");
  CHECK(c("COPY \"Mixed\" TO stdout").kind == StatementKind::kOther);
  CHECK(c("CREATE TABLE public.que_jobs (\n id bigint)").kind == StatementKind::kCreateTable);
  CHECK(c("CREATE TABLE public.que_jobs (\n id bigint)").object == "que_jobs");
  CHECK(c("DROP DATABASE IF EXISTS zync_production").kind == StatementKind::kDropDatabase);
  CHECK(c("DROP DATABASE IF EXISTS zync_production").schema == "zync_production");
  CHECK(c("DROP ROLE IF EXISTS postgres").kind == StatementKind::kDropRole);
  CHECK(c("DROP ROLE IF EXISTS postgres").object == "postgres");
  CHECK(c("CREATE ROLE \"Zync\"").object == "Zync");
  CHECK(c("CREATE ROLE zync").kind == StatementKind::kCreateRole);
  CHECK(c("SELECT pg_catalog.set_config('search_path', '', false)").kind == StatementKind::kSet);
  CHECK(c("CREATE OR REPLACE FUNCTION public.f() RETURNS int").kind ==
        StatementKind::kCreateRoutine);
  CHECK(c("ALTER TABLE ONLY public.t ADD CONSTRAINT pk PRIMARY KEY (id)").object == "t");
  CHECK(ra::PgStandardConformingStrings("SET standard_conforming_strings = 'off'") == false);
  CHECK(ra::PgStandardConformingStrings("set standard_conforming_strings to on") == true);
  CHECK(!ra::PgStandardConformingStrings("SET client_encoding = 'UTF8'").has_value());
}

TEST_CASE("pg: schema fixtures split the same at every chunk size") {
  for (const char* name : {"zync-structure.sql", "pagila-schema.sql"}) {
    const std::string path = ra::test::FixturesDir() + "/postgres/" + name;
    REQUIRE_MESSAGE(std::filesystem::exists(path), "fixture missing: ", path);
    CAPTURE(name);
    const PgSplit r = SplitAll(ra::test::ReadFile(path));
    CHECK(r.status.ok());
    CHECK(r.items.size() > 50);
    for (const auto& item : r.items) {
      if (item.type == Type::kStatement)
        CHECK(item.text.find("\n\n--\n-- Name:") == std::string::npos);
    }
  }
}

// Real pg_dump / pg_dumpall output written by the integration tests (RA_PG_SPLITTER_CORPUS:
// files joined by ':').
TEST_CASE("pg: real dump corpus splits the same at every chunk size") {
  ra::test::ForEachCorpusFile("RA_PG_SPLITTER_CORPUS", [](const std::string& path) {
    CAPTURE(path);
    const PgSplit r = SplitAll(ra::test::ReadFile(path));
    CHECK(r.status.ok());
    CHECK(r.items.size() > 10);
  });
}
