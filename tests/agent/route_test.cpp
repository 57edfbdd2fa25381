// The routing decisions of the parallel loaders, without a server: each statement a dump holds,
// through its dialect's classifier, to main / a loading connection / skipped, with its barrier.
#include <doctest/doctest.h>

#include "agent/mysql/mysql_route.h"
#include "agent/postgres/pg_route.h"
#include "protocols/mysql_statement.h"
#include "protocols/pg_statement.h"

namespace {

using ra::Route;
using ra::StatementInfo;

Route Mysql(const char* sql, bool parallel = true) {
  const StatementInfo info = ra::ClassifyMysqlStatement(sql);
  return ra::MysqlRoute(info, ra::QualifiedName(info, "db"), parallel);
}

Route Pg(const char* sql, bool parallel = true) {
  const StatementInfo info = ra::ClassifyPgStatement(sql);
  return ra::PgRoute(info, ra::QualifiedName(info, ""), parallel);
}

}  // namespace

TEST_CASE("mysql route: INSERTs to the loading connections, schema on main behind barriers") {
  Route r = Mysql("INSERT INTO `actor` VALUES (1,'A')");
  CHECK(r.target == Route::Target::kWorker);
  CHECK(r.job_key == "db.actor");
  r = Mysql("CREATE TABLE `actor` (id int)");
  CHECK(r.target == Route::Target::kMain);
  CHECK(r.barrier == Route::Barrier::kKey);
  CHECK(r.wait_for == "db.actor");
  CHECK(Mysql("DROP TABLE IF EXISTS `actor`").wait_for == "db.actor");
  CHECK(Mysql("ALTER TABLE `actor` ADD KEY k (a)").barrier == Route::Barrier::kKey);
  CHECK(Mysql("/*!50001 CREATE VIEW `v` AS select 1 */").barrier == Route::Barrier::kAll);
  CHECK(Mysql("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = 1").barrier ==
        Route::Barrier::kAll);
}

TEST_CASE("mysql route: session state replayed, server state not, locks skipped") {
  CHECK(Mysql("/*!40101 SET NAMES utf8mb4 */").session);
  CHECK(Mysql("SET @@SESSION.SQL_LOG_BIN= 0").session);
  CHECK(Mysql("USE `sakila`").session);
  // mysqldump 8+ with GTIDs: global, once, on main only (error 3546 if replayed).
  const Route gtid = Mysql("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'uuid:1-5'");
  CHECK(gtid.target == Route::Target::kMain);
  CHECK_FALSE(gtid.session);
  CHECK(gtid.barrier == Route::Barrier::kNone);
  CHECK_FALSE(Mysql("SET GLOBAL local_infile = 1").session);
  CHECK(Mysql("LOCK TABLES `actor` WRITE").target == Route::Target::kSkip);
  CHECK(Mysql("UNLOCK TABLES").target == Route::Target::kSkip);
  CHECK(Mysql("/*!40000 ALTER TABLE `actor` DISABLE KEYS */").target == Route::Target::kSkip);
  CHECK(Mysql("/*!40000 ALTER TABLE `actor` ENABLE KEYS */").target == Route::Target::kSkip);
}

TEST_CASE("mysql route: one connection runs everything on main, in order") {
  for (const char* sql : {"INSERT INTO t VALUES (1)", "LOCK TABLES t WRITE", "SET NAMES utf8",
                          "/*!40000 ALTER TABLE `t` DISABLE KEYS */", "CREATE TABLE t (a int)"}) {
    CAPTURE(sql);
    const Route r = Mysql(sql, false);
    CHECK(r.target == Route::Target::kMain);
    CHECK(r.barrier == Route::Barrier::kNone);
  }
}

TEST_CASE("pg route: COPY and post-data to the loading connections") {
  Route r = Pg("COPY public.entries (id, data) FROM stdin");
  CHECK(r.target == Route::Target::kWorker);
  CHECK(r.job_key == "public.entries");
  r = Pg("CREATE INDEX idx ON public.entries USING btree (model_id)");
  CHECK(r.target == Route::Target::kWorker);
  CHECK(r.barrier == Route::Barrier::kKey);
  CHECK(r.wait_for == "public.entries");
  CHECK(r.job_key == "public.entries (post-data)");
  CHECK(Pg("CREATE UNIQUE INDEX u ON ONLY public.t USING btree (a)").wait_for == "public.t");
  CHECK(Pg("ALTER TABLE ONLY public.tenants\n    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id)")
            .wait_for == "public.tenants");
  CHECK(Pg("ALTER TABLE ONLY \"Odd Schema\".\"T\"\n    ADD CONSTRAINT c CHECK (a > 0)").wait_for ==
        "Odd Schema.T");
}

TEST_CASE("pg route: foreign keys and everything else wait for all, on main") {
  const Route fk =
      Pg("ALTER TABLE ONLY public.entries\n    ADD CONSTRAINT fk FOREIGN KEY "
         "(model_id) REFERENCES public.models(id)");
  CHECK(fk.target == Route::Target::kMain);
  CHECK(fk.barrier == Route::Barrier::kAll);
  CHECK(Pg("ALTER TABLE public.t OWNER TO zync").barrier == Route::Barrier::kAll);
  CHECK(Pg("CREATE TABLE public.t (a int)").barrier == Route::Barrier::kAll);
  CHECK(Pg("GRANT ALL ON TABLE public.t TO zync").barrier == Route::Barrier::kAll);
  const Route setval = Pg("SELECT pg_catalog.setval('public.t_id_seq', 42, true)");
  CHECK(setval.target == Route::Target::kMain);
  CHECK(setval.barrier == Route::Barrier::kNone);
  CHECK(Pg("SET statement_timeout = 0").session);
  CHECK(Pg("SELECT pg_catalog.set_config('search_path', '', false)").session);
  CHECK(ra::PgCopyRelation("COPY public.entries (id, data) FROM stdin") == "public.entries");
  CHECK(ra::PgCopyRelation("COPY \"s\".\"a b\" (id) FROM stdin") == "\"s\".\"a b\"");
}
