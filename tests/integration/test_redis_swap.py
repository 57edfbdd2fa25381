"""restore-redis swap / finish / recover / rollback against real redis-server 7 processes that
the harness starts and restarts: data A in the server, backup B from another server; after the
swap, restart and finish every key of B is there (DEBUG DIGEST-VALUE and absolute expiry),
nothing of A is left, another restart loads B from the AOF, and the -old files still hold A.
A crash after each journal step, followed by recover or rollback, ends in exactly A or B."""
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import servers
from integration.common import Redis, TempDirTestCase, run_agent, stderr_text
from integration.test_rdb import fill

AOF_ON = ["--appendonly", "yes", "--appenddirname", "appendonlydir", "--enable-debug-command", "yes"]
AOF_OFF = ["--appendonly", "no", "--appenddirname", "appendonlydir", "--enable-debug-command", "yes"]


def snapshot(r):
    """Every key of db 0 and 1: (db, key) -> (type, digest, absolute expiry in ms)."""
    out = {}
    for db in (0, 1):
        keys = [k for k in r.cli("--scan", db=db).split("\n") if k]
        for k in keys:
            out[(db, k)] = (r.cli("TYPE", k, db=db), r.cli("DEBUG", "DIGEST-VALUE", k, db=db),
                            r.cli("PEXPIRETIME", k, db=db))
    return out


class RedisSwap(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        # Backup B, written by a real server, and its expected content.
        cls.bdir = tempfile.mkdtemp(prefix="ra-redis-b-")
        b = Redis(servers.start_redis(cls.bdir, extra_args=AOF_OFF))
        fill(b)
        b.pipe(["SET who B", "SET only:in:b yes", "HSET b:hash f v"])
        b.pipe(["SET who B", "RPUSH b:queue j1 j2"], db=1)
        with open(b.save(), "rb") as f:
            cls.backup_bytes = f.read()
        cls.expected_b = snapshot(b)
        assert len(cls.expected_b) > 20, cls.expected_b
        servers.stop_process(b.info["pid"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.bdir, ignore_errors=True)

    def start(self, args):
        info = servers.start_redis(self.state, extra_args=args)
        self.pids.append(info["pid"])
        return Redis(info)

    def restart(self, r, args):
        servers.stop_process(r.info["pid"])
        return self.start(args)

    def setUp(self):
        super().setUp()
        self.state = self.path("state")
        self.pids = []
        self.addCleanup(lambda: [servers.stop_process(p) for p in self.pids])
        self.backup = self.write("backend-redis-dump.rdb", self.backup_bytes)
        r = self.start(AOF_ON)
        fill(r)
        r.pipe(["SET who A", "SET only:in:a yes", "SET a:ttl x PX 7200000"])
        r.pipe(["SET who A", "RPUSH a:queue old1"], db=1)
        self.expected_a = snapshot(r)
        self.redis = r
        self.data = r.info["dir"]

    def agent(self, *args, env=None):
        return run_agent(["restore-redis", *args, "--socket", self.redis.info["socket"],
                          "--progress", "never"], env=env)

    def assert_holds(self, r, expected, what):
        got = snapshot(r)
        self.assertEqual(sorted(got), sorted(expected), f"keys differ from {what}")
        self.assertEqual(got, expected, f"values or expiries differ from {what}")

    def assert_old_holds_a(self):
        # The -old data still holds A: a separate server started on a copy of it.
        check = self.path("check-old")
        os.makedirs(os.path.join(check, "redis"))
        shutil.copytree(os.path.join(self.data, "appendonlydir-old"), os.path.join(check, "redis", "appendonlydir"))
        info = servers.start_redis(check, extra_args=AOF_ON)
        try:
            self.assert_holds(Redis(info), self.expected_a, "A (from appendonlydir-old)")
        finally:
            servers.stop_process(info["pid"])

    def test_swap_restart_finish(self):
        p = self.agent("swap", self.backup)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertTrue(os.path.isdir(os.path.join(self.data, "appendonlydir-old")))
        self.assertTrue(os.path.exists(os.path.join(self.data, ".restore-agent-redis-swap.journal")))
        # The ConfigMap of the procedure says appendonly no for this restart.
        self.redis = self.restart(self.redis, AOF_OFF)
        p = self.agent("finish")
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("key counts match", stderr_text(p))
        self.assertIn("append-only file rewritten", stderr_text(p))
        self.assert_holds(self.redis, self.expected_b, "B after finish")
        self.assertEqual(self.redis.cli("CONFIG", "GET", "appendonly").split("\n")[1], "yes")
        # Another restart, appendonly yes again: B comes back from the new AOF.
        self.redis = self.restart(self.redis, AOF_ON)
        self.assert_holds(self.redis, self.expected_b, "B after a restart from the AOF")
        self.assert_old_holds_a()
        # And rollback brings A back.
        p = self.agent("rollback")
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.redis = self.restart(self.redis, AOF_ON)
        self.assert_holds(self.redis, self.expected_a, "A after rollback")

    def test_as_aof_base_one_restart(self):
        p = self.agent("swap", "--as-aof-base", self.backup)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        manifest = os.path.join(self.data, "appendonlydir", "appendonly.aof.manifest")
        with open(manifest) as f:
            self.assertEqual(f.read(), "file appendonly.aof.1.base.rdb seq 1 type b\n")
        self.redis = self.restart(self.redis, AOF_ON)  # no ConfigMap edit: appendonly yes
        self.assert_holds(self.redis, self.expected_b, "B after one restart")
        p = self.agent("finish")
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.redis = self.restart(self.redis, AOF_ON)
        self.assert_holds(self.redis, self.expected_b, "B after another restart")
        self.assert_old_holds_a()

    def test_offline_init_container(self):
        servers.stop_process(self.redis.info["pid"])
        p = run_agent(["restore-redis", "swap", "--offline", "--data-dir", self.data, "--progress",
                       "never", self.backup])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        for args in (AOF_ON, AOF_OFF):  # whatever its appendonly setting, Redis loads B
            r = self.start(args)
            self.assert_holds(r, self.expected_b, f"B with {args[1]}")
            servers.stop_process(r.info["pid"])
        self.assert_old_holds_a()

    def test_refuses_bad_backups_and_touches_nothing(self):
        before = sorted(os.listdir(self.data))
        cut = self.write("cut.rdb", self.backup_bytes[: len(self.backup_bytes) // 2])
        p = self.agent("swap", cut)
        self.assertEqual(p.returncode, 4, stderr_text(p))
        self.assertIn("nothing was changed", stderr_text(p))
        newer = self.write("newer.rdb", b"REDIS0012" + self.backup_bytes[9:])
        p = self.agent("swap", newer)
        self.assertNotEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(sorted(os.listdir(self.data)), before)
        self.assert_holds(self.redis, self.expected_a, "A, untouched")

    def test_a_failing_step_changes_nothing(self):
        # Staging cannot write its copy (here a directory is in the way, as a full disk would
        # stop it): the swap fails before anything moves; recover then says it was undone.
        os.mkdir(os.path.join(self.data, ".restore-agent-staged-dump.rdb"))
        p = self.agent("swap", self.backup)
        self.assertEqual(p.returncode, 7, stderr_text(p))
        self.assertIn("cannot create", stderr_text(p))
        p = self.agent("recover")
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("undone", stderr_text(p))
        self.redis = self.restart(self.redis, AOF_ON)
        self.assert_holds(self.redis, self.expected_a, "A after a failed staging")

    def test_crash_after_each_step_then_recover_or_rollback(self):
        for step in ("begin", "staged", "config-set", "moved", "installed"):
            for action in ("recover", "rollback"):
                with self.subTest(step=step, action=action):
                    p = self.agent("swap", self.backup, env={"RA_FAULT_INJECT": f"after:{step}"})
                    self.assertEqual(p.returncode, 137, stderr_text(p))
                    p = self.agent(action)
                    self.assertEqual(p.returncode, 0, stderr_text(p))
                    swapped = action == "recover" and step != "begin"
                    self.redis = self.restart(self.redis, AOF_OFF if swapped else AOF_ON)
                    if swapped:
                        p = self.agent("finish")
                        self.assertEqual(p.returncode, 0, stderr_text(p))
                        self.assert_holds(self.redis, self.expected_b, f"B ({step}, {action})")
                        p = self.agent("rollback")  # back to A for the next round
                        self.assertEqual(p.returncode, 0, stderr_text(p))
                        self.redis = self.restart(self.redis, AOF_ON)
                    self.assert_holds(self.redis, self.expected_a, f"A ({step}, {action})")


if __name__ == "__main__":
    unittest.main()
