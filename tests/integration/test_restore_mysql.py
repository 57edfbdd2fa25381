"""restore-mysql against the harness's real MariaDB server."""
import os
import random
import signal
import socket
import subprocess
import time
import unittest

from harness import servers
from integration.common import (FIXTURES, UNIT_TESTS, MariaDB, TempDirTestCase, gzip_bytes,
                                 read_json, run_agent, stderr_text)


def base_args(db, socket_path):
    return ["restore-mysql", "--socket", socket_path, "--user", "root", "--database", db,
            "--progress", "never"]


class SakilaRoundTrip(TempDirTestCase):
    """Sakila with routines, triggers, views and an event: dumped by mariadb-dump, restored by
    the agent and by the mariadb client, compared table by table and definition by definition."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.load(os.path.join(FIXTURES, "mysql", "sakila-schema.sql"))
        cls.db.load(os.path.join(FIXTURES, "mysql", "sakila-data.sql"))
        cls.db.execute("CREATE EVENT IF NOT EXISTS nightly_cleanup ON SCHEDULE EVERY 1 DAY "
                       "DO DELETE FROM rental WHERE return_date < '2000-01-01'", "sakila")
        cls.dump = cls.db.dump("sakila", "--routines", "--triggers", "--events")

    def test_round_trip_matches_source_and_mariadb_client(self):
        path = self.write("sakila.sql.gz", gzip_bytes(self.dump))
        report = self.path("report.json")
        self.db.drop("sakila_agent")
        p = run_agent(base_args("sakila_agent", self.db.socket) +
                      ["--create-database", "--report", report, path])
        self.assertEqual(p.returncode, 0, stderr_text(p))

        self.db.recreate("sakila_client")
        self.db.load(self.dump, "sakila_client")

        source = self.db.checksums("sakila")
        self.assertEqual(len(source), 16)
        self.assertEqual(self.db.checksums("sakila_agent"), source)
        self.assertEqual(self.db.checksums("sakila_client"), source)
        source_defs = self.db.definitions("sakila")
        self.assertEqual(len(source_defs["routines"]), 6)
        self.assertEqual(len(source_defs["triggers"]), 6)
        self.assertEqual(len(source_defs["views"]), 7)
        self.assertEqual(len(source_defs["events"]), 1)
        self.assertEqual(self.db.definitions("sakila_agent"), source_defs)
        self.assertEqual(self.db.definitions("sakila_client"), source_defs)

        # The summary counted rows while streaming; they match the server's tables.
        r = read_json(report)
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["tables_created"], 16)
        counted = {t["name"].split(".", 1)[1]: t["rows"] for t in r["tables"]}
        self.assertEqual(counted, self.db.row_counts("sakila"))
        self.assertEqual(r["uncompressed_bytes"], len(self.dump))
        self.assertEqual(r["input_bytes"], os.path.getsize(path))
        self.assertTrue(r["dump"]["completed"])
        self.assertGreater(r["seconds"], 0)

    def test_stdin(self):
        self.db.drop("sakila_stdin")
        p = run_agent(base_args("sakila_stdin", self.db.socket) + ["--create-database", "-"],
                      input_bytes=gzip_bytes(self.dump))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.db.checksums("sakila_stdin"), self.db.checksums("sakila"))

    def test_stdin_redirected_from_a_file(self):
        # `restore-agent restore-mysql - < backup.gz`: stdin is a regular file, checked end to
        # end first through its own open file, then restored from where the reader stood.
        path = self.write("stdin.sql.gz", gzip_bytes(self.dump))
        self.db.drop("sakila_redirect")
        with open(path, "rb") as f:
            p = run_agent(base_args("sakila_redirect", self.db.socket) + ["--create-database", "-"],
                          stdin=f)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("checked 'stdin' end to end", stderr_text(p))
        self.assertEqual(self.db.checksums("sakila_redirect"), self.db.checksums("sakila"))

    def test_plain_and_multi_member_gzip(self):
        half = len(self.dump) // 2
        multi = gzip_bytes(self.dump[:half]) + gzip_bytes(self.dump[half:])
        pigz = subprocess.run(["pigz", "-c", "-p", "2", "-b", "128"], input=self.dump,
                              stdout=subprocess.PIPE, check=True).stdout
        for name, data in (("plain.sql", self.dump), ("multi.sql.gz", multi), ("pigz.sql.gz", pigz)):
            with self.subTest(name):
                self.db.drop("sakila_variant")
                p = run_agent(base_args("sakila_variant", self.db.socket) +
                              ["--create-database", self.write(name, data)])
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(self.db.checksums("sakila_variant"), self.db.checksums("sakila"))

    def test_splitter_on_real_dump_at_every_chunk_size(self):
        if not UNIT_TESTS:
            self.skipTest("RA_UNIT_TESTS not set")
        path = self.write("sakila.sql", self.dump)
        env = dict(os.environ, RA_SPLITTER_CORPUS=path)
        p = subprocess.run([UNIT_TESTS, "--test-case=real dump corpus*"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(p.returncode, 0, p.stdout.decode(errors="replace"))
        self.assertIn(b"1 passed", p.stdout)

    def test_inspect_lists_tables_with_rows(self):
        path = self.write("sakila.sql.gz", gzip_bytes(self.dump))
        p = run_agent(["inspect", "--json", path])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        import json
        r = json.loads(p.stdout)
        self.assertEqual(r["format"], "mysqldump")
        self.assertTrue(r["intact"])
        self.assertTrue(r["complete"])
        self.assertIn("Dump completed", r["trailer"])
        rows = {t["name"]: t["rows"] for t in r["contents"]["tables"]}
        self.assertEqual(rows, self.db.row_counts("sakila"))
        self.assertEqual(len(r["contents"]["views"]), 7)


class TrickyData(TempDirTestCase):
    """Blobs with every byte value (dumped without --hex-blob), quotes, backslashes, semicolons,
    comment and DELIMITER text inside strings, 4-byte UTF-8, NULLs and one row over 4 MB."""

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.recreate("tricky")
        cls.db.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB, s TEXT CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_bin, n INT NULL) ENGINE=InnoDB; "
            "CREATE TABLE `we;ird``name` (`col;1` VARCHAR(20)) ENGINE=InnoDB", "tricky")
        all_bytes = bytes(range(256))
        strings = [
            "it's", 'say "hi"', "back\\slash\\", "semi;colon;;", "end */ comment /* start",
            "\nDELIMITER ;;\nSELECT 1;;\nDELIMITER ;\n", "-- not a comment", "# nor this",
            "emoji \U0001F600 clef \U0001D11E han 漢字", "tab\tnewline\nreturn\r", "",
            "/*!50000 conditional */", "'; DROP TABLE t; --",
        ]
        rows = []
        for i, s in enumerate(strings):
            blob = all_bytes if i % 2 == 0 else bytes(reversed(all_bytes)) * (i + 1)
            n = "NULL" if i % 3 == 0 else str(i)
            rows.append(f"({i}, X'{blob.hex()}', X'{s.encode('utf-8').hex()}', {n})")
        rows.append("(100, NULL, NULL, NULL)")
        cls.db.execute("INSERT INTO t VALUES " + ",".join(rows), "tricky")
        big = random.Random(42).randbytes(5 * 1024 * 1024)
        # Larger than 4 MB: sent in one statement (the server allows 1 GB packets).
        cls.db.load(b"INSERT INTO t VALUES (200, X'" + big.hex().encode() + b"', 'big', 1);",
                    "tricky")
        cls.db.execute("INSERT INTO `we;ird``name` VALUES ('a;b'), ('c`d')", "tricky")
        cls.dump = cls.db.dump("tricky", "--routines", "--triggers")
        assert b"X'" not in cls.dump[:200], "dumped with hex blobs"

    def content(self, db):
        return self.db.query("SELECT id, MD5(b), HEX(s), n, LENGTH(b) FROM t ORDER BY id", db)

    def test_round_trip(self):
        self.db.drop("tricky_copy")
        p = run_agent(base_args("tricky_copy", self.db.socket) +
                      ["--create-database", self.write("tricky.sql.gz", gzip_bytes(self.dump))])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.db.checksums("tricky_copy"), self.db.checksums("tricky"))
        self.assertEqual(self.content("tricky_copy"), self.content("tricky"))
        big = [r for r in self.content("tricky_copy") if r[0] == "200"]
        self.assertEqual(big[0][4], str(5 * 1024 * 1024))
        self.assertEqual(self.db.query("SELECT `col;1` FROM `we;ird``name` ORDER BY 1", "tricky_copy"),
                         [["a;b"], ["c`d"]])


class Failures(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.recreate("small")
        cls.db.execute("CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(100)); "
                       "INSERT INTO a VALUES (1,'one'),(2,'two'),(3,'three')", "small")
        cls.dump = cls.db.dump("small")
        cls.db.execute("CREATE USER IF NOT EXISTS 'ra_user'@'%' IDENTIFIED BY 'Right-Pa55'; "
                       "GRANT ALL ON *.* TO 'ra_user'@'%'")

    def test_truncated_gzip_file_restores_nothing(self):
        gz = gzip_bytes(self.dump)
        path = self.write("cut.sql.gz", gz[: len(gz) // 2])
        self.db.recreate("trunc_file")
        p = run_agent(base_args("trunc_file", self.db.socket) + [path])
        self.assertEqual(p.returncode, 4, stderr_text(p))
        err = stderr_text(p)
        self.assertIn("truncated gzip input", err)
        self.assertRegex(err, r"ends at byte \d+")
        self.assertEqual(self.db.tables("trunc_file"), [], "preflight must keep the database untouched")

    def test_truncated_gzip_stdin_says_where(self):
        gz = gzip_bytes(self.dump)
        self.db.recreate("trunc_stdin")
        p = run_agent(base_args("trunc_stdin", self.db.socket) + ["-"], input_bytes=gz[: len(gz) - 20])
        self.assertEqual(p.returncode, 4, stderr_text(p))
        self.assertRegex(stderr_text(p), r"truncated gzip input 'stdin': compressed data ends at byte \d+")

    def test_dump_without_trailer(self):
        cut = self.dump[: self.dump.rindex(b"-- Dump completed")]
        path = self.write("notrailer.sql.gz", gzip_bytes(cut))
        p = run_agent(["inspect", path])
        self.assertEqual(p.returncode, 8, stderr_text(p))
        self.assertIn(b"complete:    no", p.stdout)
        self.assertIn(b"intact:      yes", p.stdout)
        self.db.recreate("notrailer")
        p = run_agent(base_args("notrailer", self.db.socket) + [path])
        self.assertEqual(p.returncode, 8, stderr_text(p))
        self.assertIn("incomplete", stderr_text(p))
        self.assertEqual(self.db.tables("notrailer"), [])
        # Through stdin it cannot be checked first: it is restored and then reported incomplete.
        p = run_agent(base_args("notrailer", self.db.socket) + ["-"], input_bytes=gzip_bytes(cut))
        self.assertEqual(p.returncode, 8, stderr_text(p))
        self.assertIn("incomplete", stderr_text(p))

    def test_wrong_password_is_clear_and_never_shown(self):
        path = self.write("small.sql.gz", gzip_bytes(self.dump))
        report = self.path("report.json")
        wrong = "Wrong-Secret-9876"
        self.db.recreate("pw")
        args = ["restore-mysql", "--host", "127.0.0.1", "--port", str(self.db.info["port"]),
                "--user", "ra_user", "--database", "pw", "--report", report]
        for env, extra in (({"MYSQL_PWD": wrong}, []),
                           ({"DB_PASS": wrong}, ["--password-env", "DB_PASS"]),
                           ({}, ["--password-file", self.write("pwfile", wrong.encode() + b"\n")])):
            with self.subTest(extra=extra):
                p = run_agent(args + extra + [path], env=env)
                self.assertEqual(p.returncode, 5, stderr_text(p))
                self.assertIn("Access denied for user 'ra_user'", stderr_text(p))
                self.assertNotIn(wrong.encode(), p.stdout + p.stderr)
                with open(report, "rb") as f:
                    self.assertNotIn(wrong.encode(), f.read())
        os.chmod(self.path("pwfile"), 0o600)
        with open(self.path("pwfile"), "w") as f:
            f.write("Right-Pa55\n")
        p = run_agent(args + ["--password-file", self.path("pwfile"), path])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertNotIn(b"Right-Pa55", p.stdout + p.stderr)
        self.assertEqual(self.db.checksums("pw"), self.db.checksums("small"))
        p = run_agent(args + [path], env={"MYSQL_PWD": "Right-Pa55"})
        self.assertEqual(p.returncode, 0, stderr_text(p))

    def test_unreachable_server_gives_up_after_wait(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # bound, not listening: connections are refused
            started = time.monotonic()
            p = run_agent(["restore-mysql", "--host", "127.0.0.1", "--port", str(port), "--user",
                           "root", "--wait", "2", self.write("s.sql", self.dump)])
            elapsed = time.monotonic() - started
        self.assertEqual(p.returncode, 5, stderr_text(p))
        self.assertGreaterEqual(elapsed, 1.5)
        self.assertLess(elapsed, 10)
        self.assertRegex(stderr_text(p),
                         rf"cannot connect to '127.0.0.1:{port}' as 'root' after \d+ attempts")

    def test_first_server_error_stops_with_position(self):
        sql = (b"CREATE TABLE x (id INT PRIMARY KEY);\n"
               b"INSERT INTO x VALUES (1);\n"
               b"\n-- a comment\nINSERT INTO missing_table VALUES (1);\n"
               b"INSERT INTO x VALUES (2);\n")
        path = self.write("err.sql", sql)
        self.db.recreate("errs")
        p = run_agent(base_args("errs", self.db.socket) + ["--jobs", "1", path])
        self.assertEqual(p.returncode, 6, stderr_text(p))
        offset = sql.index(b"INSERT INTO missing")
        self.assertIn(f"{path}:5 (statement 3, byte {offset}): [1146 42S02] Table 'errs.missing_table' "
                      "doesn't exist", stderr_text(p))
        self.assertEqual(self.db.query("SELECT id FROM x", "errs"), [["1"]])

        self.db.recreate("errs")
        report = self.path("force.json")
        p = run_agent(base_args("errs", self.db.socket) + ["--jobs", "1", "--force", "--report", report,
                                                           path])
        self.assertEqual(p.returncode, 6, stderr_text(p))
        self.assertIn("1 of 4 statements failed", stderr_text(p))
        self.assertEqual(self.db.query("SELECT id FROM x ORDER BY id", "errs"), [["1"], ["2"]])
        r = read_json(report)
        self.assertEqual(r["statements_failed"], 1)
        self.assertEqual(r["status"], "failed")

    def test_parallel_error_names_the_statement(self):
        # With several loading connections, INSERTs after the failing one may have run already;
        # the error still names the statement, and nothing hangs.
        sql = (b"CREATE TABLE x (id INT PRIMARY KEY);\n" +
               b"".join(b"INSERT INTO x VALUES (%d);\n" % i for i in range(1, 200)) +
               b"INSERT INTO x VALUES (5);\n" +
               b"".join(b"INSERT INTO x VALUES (%d);\n" % i for i in range(300, 400)))
        path = self.write("dup.sql", sql)
        self.db.recreate("perrs")
        p = run_agent(base_args("perrs", self.db.socket) + ["--jobs", "4", path])
        self.assertEqual(p.returncode, 6, stderr_text(p))
        offset = sql.index(b"INSERT INTO x VALUES (5);\n", sql.index(b"(199)"))
        self.assertIn(f"{path}:201 (statement 201, byte {offset}): [1062 23000] Duplicate entry '5'",
                      stderr_text(p))
        # Which other INSERTs ran depends on the connections' timing (--jobs 1 is strict order).
        self.assertGreater(int(self.db.query("SELECT COUNT(*) FROM x", "perrs")[0][0]), 0)

    def test_parallel_and_serial_restores_are_identical(self):
        # One large table in many INSERT chunks (across the loading connections), small tables,
        # a MyISAM table (its DISABLE/ENABLE KEYS are skipped in parallel), utf8mb3_bin, a
        # trigger and a view; restored with --jobs 1 and --jobs 4, compared by CHECKSUM TABLE
        # and definitions.
        self.db.recreate("par_src")
        self.db.execute(
            "CREATE TABLE big (id INT PRIMARY KEY, k VARCHAR(40) COLLATE utf8mb3_bin, v TEXT, "
            "KEY (k)) DEFAULT CHARSET=utf8mb3; "
            "INSERT INTO big SELECT seq, CONCAT('k', seq % 997), REPEAT('ü€', seq % 50) "
            "FROM seq_1_to_60000; "
            "CREATE TABLE small (id INT PRIMARY KEY, t TIMESTAMP NULL) ENGINE=MyISAM; "
            "INSERT INTO small SELECT seq, '2026-03-29 02:30:00' FROM seq_1_to_500; "
            "CREATE TABLE log (id INT AUTO_INCREMENT PRIMARY KEY, n INT); "
            "CREATE TRIGGER big_ai AFTER INSERT ON big FOR EACH ROW INSERT INTO log (n) VALUES (NEW.id); "
            "CREATE VIEW v AS SELECT k, COUNT(*) AS n FROM big GROUP BY k", "par_src")
        dump = self.db.dump("par_src", "--triggers", "--net-buffer-length=16384")
        self.assertGreater(dump.count(b"INSERT INTO `big`"), 50)
        path = self.write("par.sql.gz", gzip_bytes(dump))
        results = {}
        for jobs in ("1", "4"):
            db = f"par_{jobs}"
            self.db.drop(db)
            p = run_agent(base_args(db, self.db.socket) + ["--create-database", "--jobs", jobs, path])
            self.assertEqual(p.returncode, 0, stderr_text(p))
            if jobs == "4":
                self.assertIn("loading with 4 connections", stderr_text(p))
            results[jobs] = (self.db.checksums(db), self.db.definitions(db))
        self.assertEqual(results["1"], results["4"])
        self.assertEqual(results["4"][0], self.db.checksums("par_src"))

    def test_json_logs_and_report(self):
        import json
        report = self.path("r.json")
        self.db.drop("jsonlog")
        p = run_agent(["restore-mysql", "--socket", self.db.socket, "--user", "root", "--database",
                       "jsonlog", "--create-database", "--log-format", "json", "--progress",
                       "always", "--report", report, self.write("s.sql.gz", gzip_bytes(self.dump))])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        lines = [json.loads(l) for l in p.stderr.decode().splitlines()]
        self.assertTrue(lines)
        for line in lines:
            self.assertIn(line["level"], ("info", "warning", "error"))
            self.assertIn("time", line)
        summary = [l for l in lines if l["msg"].startswith("restored ")]
        self.assertEqual(len(summary), 1, lines)
        self.assertEqual(summary[0]["rows"], 3)
        self.assertEqual(summary[0]["tables_created"], 1)
        self.assertGreater(summary[0]["statements"], 3)
        r = read_json(report)
        self.assertEqual(oct(os.stat(report).st_mode & 0o777), "0o640")
        self.assertEqual(r["rows"], 3)
        self.assertEqual(r["tables"][0]["name"], "jsonlog.a")

    def test_progress_lines_when_not_a_terminal(self):
        # A slow statement keeps the restore running past one progress interval.
        sql = b"SELECT SLEEP(11);\nCREATE TABLE p (id INT);\n"
        self.db.recreate("prog")
        p = run_agent(base_args("prog", self.db.socket)[:-2] + ["--progress", "auto",
                      self.write("slow.sql", sql)])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertRegex(stderr_text(p), r"progress: +\d+\.\d% .* of .* MB/s +ETA")

    def test_sigterm_stops_between_statements_and_says_where(self):
        sql = b"CREATE TABLE before_sleep (id INT);\nSELECT SLEEP(30);\nCREATE TABLE after_sleep (id INT);\n"
        self.db.recreate("sig")
        proc = subprocess.Popen([os.environ.get("RA_AGENT")] + base_args("sig", self.db.socket) +
                                [self.write("sig.sql", sql)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        # Readiness: the server shows the agent's SLEEP in its process list.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            rows = self.db.query("SELECT id FROM information_schema.processlist "
                                 "WHERE info LIKE 'SELECT SLEEP(30)%'")
            if rows:
                break
            time.sleep(0.05)
        self.assertTrue(rows, "the agent never reached the SLEEP statement")
        proc.send_signal(signal.SIGTERM)
        self.db.execute(f"KILL QUERY {rows[0][0]}")  # end the sleep early: SLEEP returns 1
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 143, err.decode())
        self.assertIn("interrupted by signal 15 before", err.decode())
        self.assertIn("statements 1 to 2 were applied", err.decode())
        self.assertEqual(self.db.tables("sig"), ["before_sleep"])

    def test_refuses_other_dump_kinds(self):
        pg = b"--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\n"
        p = run_agent(base_args("small", self.db.socket) + [self.write("pg.sql", pg)])
        self.assertEqual(p.returncode, 3, stderr_text(p))
        self.assertIn("use restore-postgres", stderr_text(p))

    def test_help_for_every_subcommand(self):
        for sub in ("restore-mysql", "inspect", "version"):
            p = run_agent([sub, "--help"])
            self.assertEqual(p.returncode, 0)
            self.assertIn(b"Usage:", p.stdout)
        p = run_agent(["restore-mysql", "--help"])
        self.assertIn(b"Exit codes", p.stdout)
        self.assertIn(b"--password-env", p.stdout)
        p = run_agent(["restore-mysql"])
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
