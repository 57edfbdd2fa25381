"""restore-postgres against real PostgreSQL clusters started by the harness: a source cluster
holding zync_production (the zync schema) and pagila with generated rows, dumped with
`pg_dumpall -c --if-exists | gzip` as the 3scale backup procedure does, restored by the agent
into a second cluster."""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import servers
from integration.common import (FIXTURES, UNIT_TESTS, Postgres, TempDirTestCase, read_json,
                                 run_agent, stderr_text)

DATABASES = ("zync_production", "pagila")

ZYNC_ROWS = r"""
INSERT INTO tenants (id, endpoint, access_token, created_at, updated_at)
  SELECT g, 'https://tenant-' || g || '.example.com', md5(g::text), now(), now()
  FROM generate_series(1, 300) g;
INSERT INTO models (id, tenant_id, record_type, record_id, created_at, updated_at)
  SELECT g, 1 + g % 300, (ARRAY['Application','Service','Proxy'])[1 + g % 3], g, now(), now()
  FROM generate_series(1, 2000) g;
INSERT INTO entries (id, data, tenant_id, model_id, created_at, updated_at)
  SELECT g, jsonb_build_object('name', 'entry ' || g, 'tags', jsonb_build_array('a', g),
                               'text', E'tab\there\nnewline \\ backslash'),
         1 + g % 300, 1 + g % 2000, now(), now()
  FROM generate_series(1, 3000) g;
INSERT INTO que_jobs (id, job_class, args, data, job_schema_version)
  SELECT g, 'ZyncJob', jsonb_build_array(g, 'x'), '{}'::jsonb, 2 FROM generate_series(1, 500) g;
CREATE TABLE extras (id int PRIMARY KEY, b bytea, t text, a int[], ta text[], j jsonb, lo oid);
INSERT INTO extras VALUES
  (1, (SELECT string_agg(set_byte('\x00'::bytea, 0, g), ''::bytea) FROM generate_series(0, 255) g),
   E'tabs\there\nnewlines\r\nand \\backslashes\\ and \\. alone', '{1,2,3}', '{"a b","c,d","\\\\"}',
   '{"k": [1, "x", null], "nested": {"q": "\"quoted\""}}', lo_from_bytea(0, 'large object bytes')),
  (2, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, '\x'::bytea, '', '{}', '{}', '[]', NULL);
"""

PAGILA_ROWS = r"""
INSERT INTO language (name) SELECT 'Language ' || g FROM generate_series(1, 6) g;
INSERT INTO category (name) SELECT 'Category ' || g FROM generate_series(1, 16) g;
INSERT INTO actor (first_name, last_name)
  SELECT 'First' || g, 'Last''s ' || g FROM generate_series(1, 200) g;
INSERT INTO film (title, description, language_id)
  SELECT 'Film ' || g, 'A film; with "quotes" and ' || g, 1 + g % 6 FROM generate_series(1, 500) g;
INSERT INTO film_actor (actor_id, film_id) SELECT 1 + g % 200, 1 + g % 500 FROM generate_series(1, 1500) g
  ON CONFLICT DO NOTHING;
"""


def pagila_for_postgres_15():
    """The Pagila fixture was dumped for PostgreSQL 18 with pgvector; Debian 12 has PostgreSQL 15
    and no pgvector package. Adapt it: gen_random_uuid() for uuidv7(), STORED for VIRTUAL
    generated columns, and without the sections of the vector extension and film_embedding."""
    with open(os.path.join(FIXTURES, "postgres", "pagila-schema.sql"), "rb") as f:
        text = f.read()
    sections = text.split(b"\n--\n-- Name: ")
    kept = [s for s in sections
            if not (s.startswith(b"vector;") or b"EXTENSION vector" in s or b"film_embedding" in s)]
    text = b"\n--\n-- Name: ".join(kept)
    return text.replace(b"uuidv7()", b"gen_random_uuid()").replace(b") VIRTUAL\n", b") STORED\n")


def agent_env(pg):
    return servers.postgres_env(pg.info)


class PostgresRestore(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.src = Postgres()
        for db in DATABASES:
            cls.src.psql(f"DROP DATABASE IF EXISTS {db}")
        cls.src.psql("DROP ROLE IF EXISTS zync; DROP ROLE IF EXISTS reporting")
        cls.src.psql("CREATE ROLE zync LOGIN PASSWORD 'zync-secret'")
        cls.src.psql("CREATE ROLE reporting NOLOGIN")
        cls.src.psql("CREATE DATABASE zync_production OWNER zync")
        cls.src.psql("CREATE DATABASE pagila")
        cls.src.run_file(os.path.join(FIXTURES, "postgres", "zync-structure.sql"), "zync_production")
        cls.src.run_file(ZYNC_ROWS.encode(), "zync_production")
        cls.src.psql("GRANT SELECT ON tenants TO reporting", "zync_production")
        cls.src.run_file(pagila_for_postgres_15(), "pagila")
        cls.src.run_file(PAGILA_ROWS.encode(), "pagila")
        cls.dumpall = cls.src.dumpall("-c", "--if-exists")
        cls.dumpall_gz = gzip.compress(cls.dumpall)
        # A second, fresh cluster to restore into.
        cls.target_dir = tempfile.mkdtemp(prefix="ra-pg-target-")
        cls.dst = Postgres(servers.start_postgres(cls.target_dir))

    @classmethod
    def tearDownClass(cls):
        servers.stop_process(cls.dst.info["pid"])
        shutil.rmtree(cls.target_dir, ignore_errors=True)

    def restore(self, args, pg=None, **kw):
        pg = pg or self.dst
        return run_agent(["restore-postgres", "--progress", "never", *args], env=agent_env(pg), **kw)

    def assert_same_as_source(self):
        for db in DATABASES:
            with self.subTest(db=db):
                self.assertEqual(self.dst.row_counts(db), self.src.row_counts(db))
                self.assertEqual(self.dst.dump(db), self.src.dump(db))
        self.assertEqual(self.dst.psql("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN "
                                       "('zync', 'reporting') ORDER BY 1"),
                         [["reporting", "f"], ["zync", "t"]])
        self.assertEqual(self.dst.psql("SELECT encode(lo_get(lo), 'escape') FROM extras WHERE id = 1",
                                       "zync_production"), [["large object bytes"]])
        self.assertEqual(self.dst.psql("SELECT md5(b), length(b) FROM extras WHERE id = 1",
                                       "zync_production"),
                         self.src.psql("SELECT md5(b), length(b) FROM extras WHERE id = 1",
                                       "zync_production"))

    def test_1_fresh_cluster_then_over_an_older_copy(self):
        path = self.write("zync-database-backup.gz", self.dumpall_gz)
        report = self.path("report.json")
        p = self.restore(["--report", report, path])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_same_as_source()
        err = stderr_text(p)
        self.assertIn("role 'postgres' is the one the restore is connected as", err)
        self.assertIn("role 'postgres' exists already", err)
        r = read_json(report)
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["errors"], 0)
        self.assertEqual(r["warnings"], 2)
        self.assertIn("zync_production", r["databases"])
        rows = {t["name"]: t["rows"] for t in r["tables"] if t["rows"]}
        self.assertEqual(rows["zync_production.public.entries"], 3000)
        self.assertEqual(rows["pagila.public.actor"], 200)
        for t in r["tables"]:
            self.assertEqual(t["rows"], t["server_rows"], t)

        # The real 3scale case: the cluster holds an older copy of the same databases.
        self.dst.psql("DELETE FROM entries WHERE id > 100; INSERT INTO tenants (id, endpoint, "
                      "access_token, created_at, updated_at) VALUES (9999, 'x', 'y', now(), now()); "
                      "CREATE TABLE stray (id int)", "zync_production")
        self.dst.psql("DROP TABLE film_actor CASCADE", "pagila")
        p = self.restore([path])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_same_as_source()

    def test_2_stdin_and_splitter_corpus(self):
        p = self.restore(["-"], input_bytes=self.dumpall_gz)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_same_as_source()
        with open(self.write("redirect.sql.gz", self.dumpall_gz), "rb") as f:  # - < file
            p = self.restore(["-"], stdin=f)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_same_as_source()
        if UNIT_TESTS:
            corpus = self.write("dumpall.sql", self.dumpall)
            single = self.write("pg_dump.sql", self.src.dump("zync_production"))
            t = subprocess.run([UNIT_TESTS, "--test-case=pg: real dump corpus*"],
                               env=dict(os.environ, RA_PG_SPLITTER_CORPUS=f"{corpus}:{single}"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(t.returncode, 0, t.stdout.decode(errors="replace"))

    def test_3_single_database_pg_dump(self):
        dump = subprocess.run(["pg_dump", "-d", "pagila"], stdout=subprocess.PIPE, check=True,
                              env=self.src.env).stdout
        self.dst.psql("DROP DATABASE IF EXISTS pagila_copy")
        self.dst.psql("CREATE DATABASE pagila_copy")
        p = self.restore(["--dbname", "pagila_copy", self.write("pagila.sql.gz", gzip.compress(dump))])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.dst.row_counts("pagila_copy"), self.src.row_counts("pagila"))
        self.assertEqual(self.dst.dump("pagila_copy"), self.src.dump("pagila"))

    def test_4_parallel_and_serial_give_the_source(self):
        # --jobs 4: COPY blocks, indexes and constraints on four connections; --jobs 1: one.
        path = self.write("jobs.sql.gz", self.dumpall_gz)
        for jobs in ("4", "1"):
            with self.subTest(jobs=jobs):
                report = self.path(f"jobs{jobs}.json")
                p = self.restore(["--jobs", jobs, "--report", report, path])
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual("with 4 connections" in stderr_text(p), jobs == "4")
                self.assert_same_as_source()
                for t in read_json(report)["tables"]:
                    self.assertEqual(t["rows"], t["server_rows"], t)

    def test_5_large_copy_split_over_connections(self):
        # 250,000 rows (over the split threshold) in a database the dump creates: the COPY block
        # is split over three connections by line groups; the rows must be exactly the source's.
        self.src.psql("DROP DATABASE IF EXISTS splitdb")
        self.src.psql("CREATE DATABASE splitdb")
        self.src.psql("CREATE TABLE big (id int PRIMARY KEY, t text, j jsonb); "
                      "INSERT INTO big SELECT g, repeat(E'x\\t\\n', g % 7) || g, "
                      "jsonb_build_object('g', g) FROM generate_series(1, 250000) g", "splitdb")
        dump = subprocess.run(["pg_dump", "-C", "-d", "splitdb"], stdout=subprocess.PIPE,
                              check=True, env=self.src.env).stdout
        self.dst.psql("DROP DATABASE IF EXISTS splitdb")
        report = self.path("split.json")
        p = self.restore(["--jobs", "3", "--report", report, "-d", "postgres",
                          self.write("split.sql.gz", gzip.compress(dump))])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("loading splitdb.public.big (250000 rows) over 3 connections", stderr_text(p))
        digest = ("SELECT count(*), md5(string_agg(id::text || '|' || t || '|' || j::text, ',' "
                  "ORDER BY id)) FROM big")
        self.assertEqual(self.dst.psql(digest, "splitdb"), self.src.psql(digest, "splitdb"))
        big = [t for t in read_json(report)["tables"] if t["name"].endswith("public.big")]
        self.assertEqual([(t["rows"], t["server_rows"]) for t in big], [(250000, 250000)])
        self.src.psql("DROP DATABASE splitdb")
        self.dst.psql("DROP DATABASE splitdb")

    def test_inspect_pg_dumpall(self):
        p = run_agent(["inspect", "--json", self.write("all.gz", self.dumpall_gz)])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        r = json.loads(p.stdout)
        self.assertEqual(r["format"], "pg_dumpall")
        self.assertTrue(r["complete"])
        self.assertEqual(r["trailer"], "-- PostgreSQL database cluster dump complete")
        for db in DATABASES:
            self.assertIn(db, r["contents"]["databases"])
        rows = {t["name"]: t["rows"] for t in r["contents"]["tables"]}
        for db in DATABASES:
            for table, n in self.src.row_counts(db).items():
                self.assertEqual(rows[f"{db}.{table}"], n, table)
        cut = self.dumpall[: self.dumpall.rindex(b"-- PostgreSQL database cluster dump complete")]
        p = run_agent(["inspect", self.write("cut.sql", cut)])
        self.assertEqual(p.returncode, 8, stderr_text(p))

    def test_truncated_gzip(self):
        gz = self.dumpall_gz
        before = self.dst.databases()
        p = self.restore([self.write("cut.gz", gz[: len(gz) // 2])])
        self.assertEqual(p.returncode, 4, stderr_text(p))
        self.assertRegex(stderr_text(p), r"truncated gzip input '.*cut.gz': compressed data ends at byte \d+")
        self.assertEqual(self.dst.databases(), before)
        p = self.restore(["-"], input_bytes=gz[: len(gz) - 10])
        self.assertEqual(p.returncode, 4, stderr_text(p))
        self.assertIn("truncated gzip input 'stdin'", stderr_text(p))

    def test_unknown_meta_command_refused_before_anything_changes(self):
        text = self.dumpall.replace(b"\\connect zync_production\n",
                                    b"\\connect zync_production\n\\! rm -rf /tmp/x\n", 1)
        line = text[: text.index(b"\\! rm")].count(b"\n") + 1
        self.dst.psql("DROP DATABASE IF EXISTS canary")
        self.dst.psql("CREATE DATABASE canary")
        p = self.restore([self.write("meta.sql", text)])
        self.assertEqual(p.returncode, 3, stderr_text(p))
        self.assertIn(f"meta.sql:{line} ", stderr_text(p))
        self.assertIn("unsupported psql meta-command '\\!'", stderr_text(p))
        self.assertIn("nothing was restored", stderr_text(p))
        self.assertIn("canary", self.dst.databases())  # the dump's DROPs never ran

    def test_maintenance_work_mem_reaches_every_session(self):
        # The main connection (INSERT) and a loading connection (COPY) record the setting they
        # run with.
        sql = (b"CREATE TABLE seen (who text, v text DEFAULT current_setting('maintenance_work_mem'));\n"
               b"COPY seen (who) FROM stdin;\ncopy\n\\.\n"
               b"INSERT INTO seen (who) VALUES ('main');\n")
        path = self.write("mwm.sql", sql)
        server_default = self.dst.psql("SHOW maintenance_work_mem")[0][0]
        for args, want in ((["--maintenance-work-mem", "77MB"], "77MB"), ([], server_default)):
            with self.subTest(args=args):
                self.dst.psql("DROP DATABASE IF EXISTS mwm")
                self.dst.psql("CREATE DATABASE mwm")
                p = self.restore(["-d", "mwm", *args, path])
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(self.dst.psql("SELECT who, v FROM seen ORDER BY who", "mwm"),
                                 [["copy", want], ["main", want]])
        p = self.restore(["-d", "mwm", "--maintenance-work-mem", "lots", path])
        self.assertEqual(p.returncode, 2, stderr_text(p))
        self.assertIn("--maintenance-work-mem 'lots': give a size such as 128MB", stderr_text(p))

    def test_errors_stop_or_continue(self):
        sql = (b"CREATE TABLE a (id int);\n"
               b"INSERT INTO a VALUES (1);\n"
               b"INSERT INTO missing VALUES (1);\n"
               b"COPY a (id) FROM stdin;\n2\n3\n\\.\n")
        self.dst.psql("DROP DATABASE IF EXISTS errs")
        self.dst.psql("CREATE DATABASE errs")
        path = self.write("errs.sql", sql)
        p = self.restore(["-d", "errs", path])
        self.assertEqual(p.returncode, 6, stderr_text(p))
        offset = sql.index(b"INSERT INTO missing")
        self.assertIn(f"errs.sql:3 (statement 3, byte {offset}): ERROR 42P01: relation \"missing\" "
                      "does not exist", stderr_text(p))
        self.assertEqual(self.dst.psql("SELECT id FROM a ORDER BY id", "errs"), [["1"]])
        self.dst.psql("DROP TABLE a", "errs")
        report = self.path("r.json")
        p = self.restore(["-d", "errs", "--on-error", "continue", "--report", report, path])
        self.assertEqual(p.returncode, 6, stderr_text(p))
        self.assertIn("1 of 4 statements failed", stderr_text(p))
        self.assertEqual(self.dst.psql("SELECT id FROM a ORDER BY id", "errs"), [["1"], ["2"], ["3"]])
        self.assertEqual(read_json(report)["errors"], 1)

    def test_z_client_connected_to_the_database_being_dropped(self):
        # zync-que still connected: DROP DATABASE zync_production cannot run.
        env = dict(self.dst.env, PGAPPNAME="zync-que")
        client = subprocess.Popen(["psql", "-X", "-q", "-d", "zync_production"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not self.dst.psql(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'zync-que'"):
                time.sleep(0.05)
            p = self.restore([self.write("all.gz", self.dumpall_gz)])
        finally:
            client.stdin.close()
            client.wait(timeout=30)
        self.assertEqual(p.returncode, 6, stderr_text(p))
        err = stderr_text(p)
        self.assertIn("cannot drop database 'zync_production': 1 other session is connected", err)
        self.assertIn("zync and zync-que deployments) must be scaled to zero", err)
        self.assertIn("application 'zync-que'", err)
        self.assertIn("Nothing was restored", err)
        # Checked before the first DROP: pagila, dropped first in the dump, is still there.
        self.assertEqual(self.dst.row_counts("pagila"), self.src.row_counts("pagila"))
        self.assertEqual(self.dst.row_counts("zync_production")["public.entries"], 3000)

    def test_z_client_connected_stdin(self):
        # From stdin nothing is known in advance: the DROP itself fails, and the agent stops
        # there, naming the database and who is connected.
        env = dict(self.dst.env, PGAPPNAME="zync-que")
        client = subprocess.Popen(["psql", "-X", "-q", "-d", "zync_production"], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not self.dst.psql(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'zync-que'"):
                time.sleep(0.05)
            p = self.restore(["-"], input_bytes=self.dumpall_gz)
        finally:
            client.stdin.close()
            client.wait(timeout=30)
        self.assertEqual(p.returncode, 6, stderr_text(p))
        err = stderr_text(p)
        self.assertRegex(err, r"stdin:\d+ \(statement \d+, byte \d+\): cannot drop database "
                              r"'zync_production': 1 other session is connected")
        self.assertIn("application 'zync-que'", err)
        self.assertIn("55006", err)
        self.assertEqual(self.dst.row_counts("zync_production")["public.entries"], 3000)
        # The restore stopped: restore the whole cluster again so that later checks hold.
        p = self.restore(["-"], input_bytes=self.dumpall_gz)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_same_as_source()


if __name__ == "__main__":
    unittest.main()
