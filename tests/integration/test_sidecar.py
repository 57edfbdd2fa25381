"""Sidecar and init-container use: --wait until the database accepts connections (a server that
starts after the agent), and --once-marker (a restarted container does not restore again; a
failed restore leaves no marker)."""
import gzip
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import servers
from integration.common import MariaDB, TempDirTestCase, read_json, run_agent, stderr_text


class Sidecar(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.recreate("marker_src")
        cls.db.execute("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1),(2)", "marker_src")
        cls.dump = gzip.compress(cls.db.dump("marker_src"))

    def args(self, db, *extra):
        return ["restore-mysql", "--socket", self.db.socket, "--user", "root", "--database", db,
                "--create-database", "--progress", "never", *extra]

    def test_once_marker(self):
        backup = self.write("system-mysql-backup.gz", self.dump)
        marker = self.path("restored.marker")
        self.db.drop("marker_dst")
        p = run_agent(self.args("marker_dst", "--once-marker", marker, backup))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(oct(os.stat(marker).st_mode & 0o777), "0o640")
        self.assertRegex(read_json(marker)["backup_checksum"], r"^crc64:[0-9a-f]{16} size:\d+$")
        # A restarted container: nothing is restored again (the dropped table stays dropped).
        self.db.execute("DROP TABLE t", "marker_dst")
        report = self.path("r.json")
        p = run_agent(self.args("marker_dst", "--once-marker", marker, "--report", report, backup))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("was restored already at", stderr_text(p))
        self.assertEqual(read_json(report)["status"], "skipped")
        self.assertEqual(self.db.tables("marker_dst"), [])
        # Another backup is restored despite the marker.
        other = self.write("other.gz", gzip.compress(self.db.dump("marker_src") + b"\n"))
        p = run_agent(self.args("marker_dst", "--once-marker", marker, other))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.db.tables("marker_dst"), ["t"])
        # A failed restore leaves no marker.
        fresh = self.path("fresh.marker")
        p = run_agent(["restore-mysql", "--socket", self.db.socket, "--user", "nobody_here",
                       "--database", "marker_dst", "--once-marker", fresh, backup])
        self.assertEqual(p.returncode, 5, stderr_text(p))
        self.assertFalse(os.path.exists(fresh))
        p = run_agent(self.args("marker_dst", "--once-marker", fresh, "-"), input_bytes=self.dump)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--once-marker needs a backup file", stderr_text(p))

    def test_wait_for_a_server_that_starts_later(self):
        state = tempfile.mkdtemp(prefix="ra-late-pg-")
        self.addCleanup(shutil.rmtree, state, True)
        port = servers.free_port()
        sql = b"CREATE TABLE late (id int);\nINSERT INTO late VALUES (1), (2);\n"
        agent = subprocess.Popen(
            [os.environ["RA_AGENT"], "restore-postgres", "--host", "127.0.0.1", "--port", str(port),
             "--username", "postgres", "--dbname", "postgres", "--wait", "120", "--progress",
             "never", self.write("late.sql", sql)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            # The agent says it is retrying before the server exists.
            first = b""
            while b"waiting for PostgreSQL" not in first:
                line = agent.stderr.readline()
                self.assertTrue(line, "the agent ended before it waited: " + first.decode())
                first += line
            self.assertIn(b"waiting for PostgreSQL (attempt 1)", first)
            self.assertIsNone(agent.poll(), "the agent gave up before the server started")
            info = servers.start_postgres(state, port=port)
            self.addCleanup(servers.stop_process, info["pid"])
            out, err = agent.communicate(timeout=120)
            err = first + err
        finally:
            if agent.poll() is None:
                agent.kill()
        self.assertEqual(agent.returncode, 0, err.decode())
        self.assertIn(b"waiting for PostgreSQL (attempt 1)", err)
        self.assertRegex(err.decode(), r"connected to .* after \d+ attempts")


if __name__ == "__main__":
    unittest.main()
