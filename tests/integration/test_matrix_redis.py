"""restore-redis on every Redis of the version matrix (harness/matrix.py): Redis 6.0 (one
appendonly.aof file, RDB 9), 7.0 (appendonlydir, RDB 10), Valkey 8.0 (RDB 11) and Redis 8.0
(RDB 12). On each: a backup B written by that version, a live server holding A with its
append-only file on; swap (plain, --as-aof-base, --offline) then restarts and finish, each
proven by restarting the server from its append-only data; recover and rollback after the agent
is killed mid-swap; replay into an empty server; inspect; and the refusal of a backup newer than
the server. Every comparison is key by key: type, DEBUG DIGEST-VALUE, absolute expiry."""
import json
import os
import shutil
import tempfile
import time
import unittest

from harness import matrix, servers
from integration.common import Redis, TempDirTestCase, run_agent, stderr_text

# A newer backup per version: what each must refuse (the forged 13 is newer than any reader).
NEWER = {"redis-6.0": "redis-7.0", "redis-7.0": "valkey-8.0", "valkey-8.0": "redis-8.0"}


def fill(r, major, who):
    """Every type in compact and full encodings, expiries, two databases; functions from 7."""
    big = 600
    r.pipe([
        f"SET who {who}", f"SET only:in:{who} yes", "SET str:int 12345", "SET str:neg -42",
        "SET str:big " + "abcdefghij" * 3000, "SET str:ttl temporary PX 3600000",
        "RPUSH list:small a b c 1 2 3",
        "RPUSH list:big " + " ".join(f"element-{i}" for i in range(5000)),
        "SADD set:ints 1 2 3 100000 -5", "SADD set:strings alpha beta gamma",
        "SADD set:big " + " ".join(f"member-{i}" for i in range(big)),
        "ZADD zset:small 1 a 2.5 b -3 c",
        "ZADD zset:big " + " ".join(f"{i}.25 m{i}" for i in range(big)),
        "HSET hash:small f1 v1 f2 v2", "HSET hash:big " + " ".join(f"f{i} v{i}" for i in range(big)),
        "XADD stream:s 1-1 name alice", "XADD stream:s 2-1 name bob",
        "XGROUP CREATE stream:s readers 0", "EXPIREAT hash:small 4102444800",
    ])
    r.pipe([f"SET who {who}", "LPUSH queue job1 job2", "SET db1:ttl x EX 86400"], db=1)
    if major >= 7:
        r.cli("FUNCTION", "LOAD", "REPLACE", f"#!lua name=lib{who}\n"
              "redis.register_function('f', function() return 1 end)")


def snapshot(r, major):
    """(db, key) -> (type, digest, absolute expiry ms or -1), and the function libraries.
    Redis 6 has no PEXPIRETIME: its expiry is now + PTTL, compared to the second."""
    out = {}
    keyspace = r.cli("INFO", "keyspace")
    for db in [int(line.split(":")[0][2:]) for line in keyspace.splitlines() if line.startswith("db")]:
        for k in [k for k in r.cli("--scan", db=db).split("\n") if k]:
            if major >= 7:
                expiry = int(r.cli("PEXPIRETIME", k, db=db))
            else:
                pttl = int(r.cli("PTTL", k, db=db))
                expiry = -1 if pttl < 0 else round((time.time() * 1000 + pttl) / 1000)
            out[(db, k)] = (r.cli("TYPE", k, db=db), r.cli("DEBUG", "DIGEST-VALUE", k, db=db), expiry)
    if major >= 7:
        out["functions"] = r.cli("FUNCTION", "LIST", "WITHCODE")
    return out


def write_backup_b(cls):
    """For a test class of `cls.version`: its settings, and backup B written by that version
    (cls.backup_bytes, cls.expected_b). Returns the server B, still running."""
    if cls.version in matrix.missing():
        raise AssertionError(f"{cls.version} is not installed: run container/install-servers.sh")
    cls.major = matrix.redis_major(cls.version)
    cls.aof_on = matrix.redis_aof_args(cls.version, True)
    cls.aof_off = matrix.redis_aof_args(cls.version, False)
    cls.dir = tempfile.mkdtemp(prefix=f"ra-{cls.version}-")
    b = Redis(matrix.start_redis(cls.version, cls.dir, cls.aof_off, name="b"))
    fill(b, cls.major, "B")
    with open(b.save(), "rb") as f:
        cls.backup_bytes = f.read()
    cls.expected_b = snapshot(b, cls.major)
    return b


def prepare(test, backup_name):
    """In a test's setUp: its servers' state dir, their pids stopped at cleanup, the backup file."""
    test.state = test.path("state")
    test.pids = []
    test.addCleanup(lambda: [servers.stop_process(p) for p in test.pids])
    test.backup = test.write(backup_name, test.backup_bytes)


class RedisEverywhere:
    version = None

    @classmethod
    def setUpClass(cls):
        b = write_backup_b(cls)
        servers.stop_process(b.info["pid"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    # --- servers ---------------------------------------------------------------------------

    def start(self, args, name="redis"):
        info = matrix.start_redis(self.version, self.state, args, name=name)
        self.pids.append(info["pid"])
        return Redis(info)

    def restart(self, args):
        servers.stop_process(self.redis.info["pid"])
        self.redis = self.start(args)
        return self.redis

    def setUp(self):
        super().setUp()
        prepare(self, "dump-b.rdb")
        self.redis = self.start(self.aof_on)
        fill(self.redis, self.major, "A")
        self.expected_a = snapshot(self.redis, self.major)
        self.data = self.redis.info["dir"]

    def agent(self, *args, env=None):
        return run_agent(["restore-redis", *args, "--socket", self.redis.info["socket"],
                          "--progress", "never"], env=env)

    def must(self, *args, env=None):
        p = self.agent(*args, env=env)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        return p

    def assert_holds(self, expected, what):
        got = snapshot(self.redis, self.major)
        self.assertEqual(sorted(map(str, got)), sorted(map(str, expected)), f"keys differ from {what}")
        self.assertEqual(got, expected, f"values or expiries differ from {what}")

    def aof_name(self):
        return "appendonlydir" if self.major >= 7 else "appendonly.aof"

    # --- tests -----------------------------------------------------------------------------

    def test_swap_restart_finish_and_rollback(self):
        self.must("swap", self.backup)
        self.assertTrue(os.path.exists(os.path.join(self.data, self.aof_name() + "-old")))
        self.restart(self.aof_off)  # the procedure's ConfigMap says appendonly no
        p = self.must("finish")
        self.assertIn("append-only file rewritten", stderr_text(p))
        self.assert_holds(self.expected_b, "B after finish")
        self.restart(self.aof_on)  # from the append-only data finish rewrote
        self.assertTrue(os.path.exists(os.path.join(self.data, self.aof_name())))
        self.assert_holds(self.expected_b, "B after a restart from the AOF")
        self.must("rollback")
        self.restart(self.aof_on)
        self.assert_holds(self.expected_a, "A after rollback")

    def test_as_aof_base_one_restart(self):
        self.must("swap", "--as-aof-base", self.backup)
        self.restart(self.aof_on)  # no ConfigMap edit: appendonly yes
        self.assert_holds(self.expected_b, "B after one restart")
        self.must("finish")
        self.restart(self.aof_on)
        self.assert_holds(self.expected_b, "B after another restart")

    def test_offline_then_either_appendonly(self):
        servers.stop_process(self.redis.info["pid"])
        p = run_agent(["restore-redis", "swap", "--offline", "--data-dir", self.data,
                       "--aof-layout", "dir" if self.major >= 7 else "file", "--progress", "never",
                       self.backup])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        for args in (self.aof_on, self.aof_off):
            self.redis = self.start(args)
            self.assert_holds(self.expected_b, f"B with {args[1]}")
            servers.stop_process(self.redis.info["pid"])

    def test_killed_mid_swap_then_recover_or_rollback(self):
        for step in ("staged", "moved"):
            with self.subTest(step=step):
                p = self.agent("swap", self.backup, env={"RA_FAULT_INJECT": f"after:{step}"})
                self.assertEqual(p.returncode, 137, stderr_text(p))
                self.must("recover")
                self.restart(self.aof_off)
                self.must("finish")
                self.assert_holds(self.expected_b, f"B (killed after {step}, recovered)")
                self.must("rollback")
                self.restart(self.aof_on)
                self.assert_holds(self.expected_a, f"A (rolled back after {step})")

    def test_replay_into_an_empty_server(self):
        target = self.start(matrix.redis_aof_args(self.version, False), name="target")
        p = run_agent(["restore-redis", "replay", "--socket", target.info["socket"], "--progress",
                       "never", self.backup])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(snapshot(target, self.major), self.expected_b)

    def test_inspect_counts_what_the_server_loads(self):
        p = run_agent(["inspect", "--json", "--keys", self.backup])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        r = json.loads(p.stdout)
        keys = [k for k in self.expected_b if k != "functions"]
        self.assertEqual(r["keys"], len(keys))
        self.assertEqual(sorted((k["db"], k["key"]) for k in r["key_list"]), sorted(keys))
        self.assertEqual(r["functions"], 1 if self.major >= 7 else 0)
        self.assertEqual(r["rdb_version"], {6: 9, 7: 10, 8: 11 if "valkey" in self.version else 12}[self.major])

    def test_refuses_a_newer_backup(self):
        newer = NEWER.get(self.version)
        if newer:
            src = Redis(matrix.start_redis(newer, self.path("newer"), [], name="src"))
            src.cli("SET", "k", "v")
            with open(src.save(), "rb") as f:
                data = f.read()
            servers.stop_process(src.info["pid"])
        else:  # nothing newer here: a forged version no Redis has written
            data = b"REDIS0013" + self.backup_bytes[9:]
        path = self.write("newer.rdb", data)
        before = sorted(os.listdir(self.data))
        for sub in ("swap", "replay"):
            with self.subTest(sub=sub):
                p = self.agent(sub, path)
                self.assertEqual(p.returncode, 3, stderr_text(p))
                self.assertEqual(sorted(os.listdir(self.data)), before)
        self.assert_holds(self.expected_a, "A, untouched")


for _version in matrix.REDIS:
    _name = "Redis_" + _version.replace("-", "_").replace(".", "_")
    globals()[_name] = type(_name, (RedisEverywhere, TempDirTestCase), {"version": _version})

if __name__ == "__main__":
    unittest.main()
