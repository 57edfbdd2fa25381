"""The command table: every subcommand logs only JSON lines with --log-format json (a log
collector reads them), and every subcommand's --help says what it does and exits 0."""
import json
import os
import subprocess

from harness import servers
from integration.common import (AGENT, MariaDB, Postgres, TempDirTestCase, run_agent,
                                 stderr_text)

# Every command of the table, with the options it is run with here, and what it must log.
SUBCOMMANDS = ("restore-mysql", "restore-postgres", "inspect", "restore-redis swap",
               "restore-redis finish", "restore-redis recover", "restore-redis rollback",
               "restore-redis replay")


class JsonLogs(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = servers.load()
        cls.redis = cls.servers["redis"]

    def assert_json_lines(self, p, min_lines=1):
        lines = [l for l in p.stderr.decode(errors="replace").splitlines() if l.strip()]
        self.assertGreaterEqual(len(lines), min_lines, stderr_text(p))
        for line in lines:
            record = json.loads(line)  # raises on a line that is not JSON
            self.assertIn(record["level"], ("info", "warning", "error"), line)
            self.assertIn("time", record)
            self.assertIn("msg", record)
        return [json.loads(l) for l in lines]

    def redis_args(self):
        return ["--socket", self.redis["socket"], "--log-format", "json", "--progress", "never"]

    def test_restore_mysql(self):
        db = MariaDB()
        db.recreate("jsonlog")
        path = self.write("d.sql", b"CREATE TABLE t (a INT);\nINSERT INTO t VALUES (1),(2);\n")
        p = run_agent(["restore-mysql", "--socket", db.socket, "--user", "root", "--database",
                       "jsonlog", "--log-format", "json", "--progress", "always", path])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        records = self.assert_json_lines(p, 3)
        self.assertTrue(any(r.get("rows") == 2 for r in records), records)

    def test_restore_postgres(self):
        pg = Postgres()
        pg.psql("DROP DATABASE IF EXISTS jsonlog")
        pg.psql("CREATE DATABASE jsonlog")
        path = self.write("d.sql", b"CREATE TABLE t (a int);\nCOPY t (a) FROM stdin;\n1\n2\n\\.\n")
        p = run_agent(["restore-postgres", "-d", "jsonlog", "--log-format", "json", path],
                      env=pg.env)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_json_lines(p, 2)

    def test_inspect(self):
        p = run_agent(["inspect", "--log-format", "json", self.path("missing.gz")])
        self.assertEqual(p.returncode, 7, stderr_text(p))
        self.assertEqual(self.assert_json_lines(p)[0]["error"], "io")

    def test_redis_swap_finish_recover_rollback(self):
        bad = self.write("bad.rdb", b"REDIS0009garbage")
        for sub, args, code in (("swap", [bad], 4), ("finish", ["--data-dir", self.tmp], 2),
                                ("recover", ["--data-dir", self.tmp], 0),
                                ("rollback", ["--data-dir", self.tmp], 2)):
            with self.subTest(sub=sub):
                p = run_agent(["restore-redis", sub, *self.redis_args(), *args])
                self.assertEqual(p.returncode, code, stderr_text(p))
                self.assert_json_lines(p)

    def test_redis_replay(self):
        src = os.path.join(os.environ.get("RA_FIXTURES_DIR", ""), "rdb", "integer_keys.rdb")
        p = run_agent(["restore-redis", "replay", *self.redis_args(), "--db-map", "0:9",
                       "--flush-target-dbs", src])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assert_json_lines(p, 3)


class Help(TempDirTestCase):
    def test_every_subcommand(self):
        for sub in SUBCOMMANDS + ("version",):
            with self.subTest(sub=sub):
                p = subprocess.run([AGENT, *sub.split(), "--help"], stdout=subprocess.PIPE)
                self.assertEqual(p.returncode, 0)
                text = p.stdout.decode()
                self.assertIn("Usage:", text)
                if sub != "version":
                    self.assertIn("Exit codes", text)
                    for option in ("--log-format", "--progress", "--report"):
                        self.assertIn(option, text)
                if sub.startswith("restore-redis"):
                    for option in ("--tls", "--cacert", "--socket", "--password-file"):
                        self.assertIn(option, text)
                    self.assertNotIn("not available", text)
