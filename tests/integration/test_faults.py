"""Faults against real servers: the database server killed in the middle of each restore kind
(the agent exits non-zero within 10 s and names where it was); every kind of input truncated at
100 random offsets and with random bit flips (a clear error and a documented exit code each
time, no crash, no hang, nothing touched by inspect or the swap's preflight); a full disk while
the swap installs the RDB (the old data untouched and still loaded); and secrets: the password
never in /proc/PID/cmdline, logs or reports, a readable password file warned about, the files
the agent creates not readable by others."""
import glob
import gzip
import os
import random
import shutil
import signal
import stat
import subprocess
import time
import unittest

from harness import sample_backup_set, servers
from integration.common import (AGENT, FIXTURES, MariaDB, Postgres, Redis, TempDirTestCase,
                                 read_json, run_agent, stderr_text)

DOCUMENTED = {0, 3, 4, 6, 7, 8}  # inspect/swap verdicts on damaged input (README, exit codes)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Faults(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.set_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ra-faults-{os.getpid()}")
        sample_backup_set.make(cls.set_dir, scale=2)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.set_dir, ignore_errors=True)

    def own(self, kind, **kw):
        state = self.path(f"{kind}-state")
        info = getattr(servers, f"start_{kind}")(state, **kw)
        self.addCleanup(servers.stop_process, info["pid"])
        return info

    def killed_mid_restore(self, argv, env, server_pid, progressed):
        agent = subprocess.Popen([AGENT, *argv], env=dict(os.environ, **env),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and agent.poll() is None and not progressed():
            time.sleep(0.02)
        self.assertIsNone(agent.poll(), "the restore ended before the server could be killed")
        os.kill(server_pid, signal.SIGKILL)
        killed = time.monotonic()
        _, err = agent.communicate(timeout=60)
        self.assertLess(time.monotonic() - killed, 10)
        self.assertNotIn(agent.returncode, (0, -signal.SIGSEGV, -signal.SIGABRT), err.decode())
        return agent.returncode, err.decode(errors="replace")

    def test_mysql_server_killed_mid_restore(self):
        info = self.own("mariadb")
        db = MariaDB(info)
        db.execute("CREATE DATABASE system")
        backup = os.path.join(self.set_dir, "system-mysql-backup.gz")

        def progressed():
            rows = db.query("SELECT COALESCE(SUM(table_rows), 0) FROM information_schema.tables "
                            "WHERE table_schema = 'system'")
            return int(rows[0][0] or 0) > 1000

        rc, err = self.killed_mid_restore(
            ["restore-mysql", "--socket", info["socket"], "--user", "root", "--database", "system",
             "--progress", "never", backup], {}, info["pid"], progressed)
        self.assertEqual(rc, 6, err)
        self.assertRegex(err, r"system-mysql-backup\.gz:\d+ \(statement \d+, byte \d+\)")
        self.assertRegex(err, r"\(in (INSERT|CREATE|DROP|ALTER|SET)")  # what it was running

    def test_postgres_server_killed_mid_restore(self):
        info = self.own("postgres")
        pg = Postgres(info)
        backup = os.path.join(self.set_dir, "zync-database-backup.gz")

        def progressed():
            return pg.psql("SELECT 1 FROM pg_database WHERE datname = 'zync_production'", check=False) != []

        with open(os.path.join(info["datadir"], "postmaster.pid")) as f:
            postmaster = int(f.readline())  # info["pid"] is runuser's when running as root
        rc, err = self.killed_mid_restore(["restore-postgres", "--progress", "never", backup],
                                          servers.postgres_env(info), postmaster, progressed)
        self.assertIn(rc, (5, 6), err)
        self.assertRegex(err, r"zync-database-backup\.gz:\d+ \(statement \d+, byte \d+\)")

    def test_damaged_inputs_give_documented_exit_codes(self):
        rnd = random.Random(20261124)
        inputs = {name: read(os.path.join(self.set_dir, name))
                  for name in ("system-mysql-backup.gz", "zync-database-backup.gz",
                               "backend-redis-dump.rdb")}
        inputs["plain.sql"] = gzip.decompress(inputs["system-mysql-backup.gz"])[:300000]
        for rdb in sorted(glob.glob(os.path.join(FIXTURES, "rdb", "*.rdb")))[:6]:
            inputs[os.path.basename(rdb)] = read(rdb)
        path = self.path("damaged")
        runs = 0
        for name, data in inputs.items():
            cuts = sorted(rnd.randrange(1, len(data)) for _ in range(100 if len(data) > 1000 else 20))
            variants = [("cut", c, data[:c]) for c in cuts]
            for _ in range(20):
                b = bytearray(data)
                pos = rnd.randrange(len(b))
                b[pos] ^= 1 << rnd.randrange(8)
                variants.append(("flip", pos, bytes(b)))
            for how, where, blob in variants:
                with open(path, "wb") as f:
                    f.write(blob)
                p = run_agent(["inspect", "--progress", "never", path], timeout=60)
                runs += 1
                self.assertIn(p.returncode, DOCUMENTED, f"{name} {how} at {where}: {stderr_text(p)}")
                if how == "cut":
                    self.assertNotEqual(p.returncode, 0, f"{name} cut at {where} was called whole")
        self.assertGreaterEqual(runs, 800)

    def test_swap_preflight_on_damaged_rdb_touches_nothing(self):
        info = self.own("redis")
        r = Redis(info)
        r.pipe(["SET old:1 a", "SET old:2 b"])
        r.save()
        names = sorted(os.listdir(info["dir"]))
        dump = read(os.path.join(info["dir"], "dump.rdb"))
        data = read(os.path.join(self.set_dir, "backend-redis-dump.rdb"))
        rnd = random.Random(7)
        for cut in sorted(rnd.randrange(1, len(data)) for _ in range(10)):
            bad = self.write("bad.rdb", data[:cut])
            p = run_agent(["restore-redis", "swap", "--socket", info["socket"], "--progress",
                           "never", bad])
            self.assertIn(p.returncode, (3, 4), stderr_text(p))
            self.assertEqual(sorted(os.listdir(info["dir"])), names)
            self.assertEqual(read(os.path.join(info["dir"], "dump.rdb")), dump)
        self.assertEqual(r.cli("GET", "old:1"), "a")
        self.assertEqual(r.cli("CONFIG", "GET", "appendonly").split("\n")[1], "no")

    @unittest.skipUnless(os.geteuid() == 0, "mounting a small tmpfs needs root")
    def test_disk_full_while_installing_the_rdb(self):
        data_dir = self.path("small-disk")
        os.makedirs(data_dir)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", data_dir]).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.addCleanup(subprocess.run, ["umount", "-l", data_dir])
        info = self.own("redis", extra_args=["--dir", data_dir])
        r = Redis(info)
        r.pipe([f"SET old:{i} value{i}" for i in range(100)])
        r.save()
        old = read(os.path.join(data_dir, "dump.rdb"))
        big = os.path.join(self.set_dir, "backend-redis-dump.rdb")  # larger than the disk
        self.assertGreater(os.path.getsize(big), 400 << 10)
        p = run_agent(["restore-redis", "swap", "--socket", info["socket"], "--progress", "never", big])
        self.assertEqual(p.returncode, 7, stderr_text(p))
        self.assertIn("No space left on device", stderr_text(p))
        self.assertEqual(read(os.path.join(data_dir, "dump.rdb")), old)
        # Nothing left behind but the journal, which says the swap was undone.
        left = sorted(f for f in os.listdir(data_dir) if f not in ("dump.rdb", "redis.log"))
        self.assertEqual(left, [".restore-agent-redis-swap.journal"])
        with open(os.path.join(data_dir, left[0])) as f:
            self.assertIn('"step":"undone"', f.read().replace(" ", ""))
        p = run_agent(["restore-redis", "recover", "--socket", info["socket"]])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("nothing to recover", stderr_text(p))
        self.assertEqual(r.cli("DBSIZE"), "100")
        self.assertEqual(r.cli("GET", "old:7"), "value7")

    def test_password_never_in_cmdline_logs_or_report(self):
        info = self.own("mariadb")
        db = MariaDB(info)
        secret = "S3cret-Value-That-Must-Not-Leak"
        db.execute(f"CREATE USER 'ra'@'localhost' IDENTIFIED BY '{secret}'; "
                   "GRANT ALL ON *.* TO 'ra'@'localhost'; CREATE DATABASE system")
        pwfile = self.write("pw", secret.encode() + b"\n")
        os.chmod(pwfile, 0o644)
        report = self.path("report.json")
        backup = os.path.join(self.set_dir, "system-mysql-backup.gz")
        agent = subprocess.Popen([AGENT, "restore-mysql", "--socket", info["socket"], "--user", "ra",
                                  "--database", "system", "--password-file", pwfile, "--report",
                                  report, "--log-format", "json", "--progress", "always", backup],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        cmdlines = []
        while agent.poll() is None:
            try:
                with open(f"/proc/{agent.pid}/cmdline", "rb") as f:
                    cmdlines.append(f.read())
                with open(f"/proc/{agent.pid}/environ", "rb") as f:
                    cmdlines.append(f.read())
            except OSError:
                break
            time.sleep(0.05)
        out, err = agent.communicate()
        self.assertEqual(agent.returncode, 0, err.decode())
        self.assertTrue(cmdlines)
        for blob in [*cmdlines, out, err, read(report)]:
            self.assertNotIn(secret.encode(), blob)
        self.assertIn(b"is readable by other users", err)  # the 0644 password file
        mode = stat.S_IMODE(os.stat(report).st_mode)
        self.assertEqual(mode & 0o007, 0, oct(mode))


if __name__ == "__main__":
    unittest.main()
