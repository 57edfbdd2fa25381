"""The RDB reader on files written by the harness's real redis-server 7: every type and encoding
it writes, small (compact encodings) and large (full encodings), expiries, two databases, a
function library; checked key by key against the live server with `inspect --keys`."""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import servers
from integration.common import UNIT_TESTS, Redis, TempDirTestCase, run_agent, stderr_text

# (key, db, commands that make it, expected type, expected encoding)
BIG = 600  # past every *-max-*-entries default (hash 512, zset 128, set 512)


def fill(r):
    r.pipe([
        "SET str:int 12345", "SET str:raw hello-world", "SET str:neg -42",
        "SET str:big " + "abcdefghij" * 3000,  # LZF-compressed in the file
        "SET str:ttl temporary PX 3600000",
        "RPUSH list:small a b c 1 2 3",
        "RPUSH list:big " + " ".join(f"element-{i}" for i in range(5000)),
        "SADD set:ints 1 2 3 100000 -5",
        "SADD set:strings alpha beta gamma",
        "SADD set:big " + " ".join(f"member-{i}" for i in range(BIG)),
        "ZADD zset:small 1 a 2.5 b -3 c",
        "ZADD zset:big " + " ".join(f"{i}.25 m{i}" for i in range(BIG)),
        "HSET hash:small f1 v1 f2 v2 f3 3",
        "HSET hash:big " + " ".join(f"field{i} value{i}" for i in range(BIG)),
        "XADD stream:s 1-1 name alice age 30", "XADD stream:s 2-1 name bob",
        "XADD stream:s 3-1 name carol",
        "XGROUP CREATE stream:s readers 0",
        "XREADGROUP GROUP readers consumer-1 COUNT 2 STREAMS stream:s >",
        "EXPIREAT hash:small 4102444800",  # 2100-01-01
    ])
    # A plain (non-listpack) quicklist node: one element larger than the packed threshold.
    r.cli("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "1000")
    r.cli("RPUSH", "list:plain", "x" * 5000, "small")
    r.pipe(["SET db1:key one", "LPUSH db1:queue job1 job2", "SET db1:ttl x EX 86400"], db=1)
    r.cli("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)")


class RdbFromRedis7(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ra-redis-")
        cls.redis = Redis(servers.start_redis(cls.dir, extra_args=["--enable-debug-command", "yes"]))
        fill(cls.redis)
        with open(cls.redis.save(), "rb") as f:
            cls.rdb = f.read()

    @classmethod
    def tearDownClass(cls):
        servers.stop_process(cls.redis.info["pid"])
        shutil.rmtree(cls.dir, ignore_errors=True)

    def inspect(self, data, *extra):
        p = run_agent(["inspect", "--json", *extra, self.write("dump.rdb", data)])
        return p, json.loads(p.stdout) if p.stdout else {}

    def test_every_key_matches_the_live_server(self):
        p, r = self.inspect(self.rdb, "--keys")
        self.assertEqual(p.returncode, 0, stderr_text(p) + p.stdout.decode())
        self.assertEqual(r["format"], "rdb")
        self.assertEqual(r["checksum"], "ok")
        self.assertEqual(r["redis_version"], self.redis.cli("INFO", "server").split("redis_version:")[1].split()[0])
        self.assertEqual(r["functions"], 1)
        keyspace = self.redis.cli("INFO", "keyspace")
        for d in r["databases"]:
            self.assertIn(f"db{d['db']}:keys={d['keys']},expires={d['expires']},", keyspace)
        counters = {"string": "STRLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD",
                    "hash": "HLEN", "stream": "XLEN"}
        encodings = {}
        for k in r["key_list"]:
            db, key = k["db"], k["key"]
            with self.subTest(key=key):
                self.assertEqual(k["type"], self.redis.cli("TYPE", key, db=db))
                self.assertEqual(k["elements"], int(self.redis.cli(counters[k["type"]], key, db=db)))
                pttl = int(self.redis.cli("PTTL", key, db=db))
                self.assertEqual(k["expire_ms"] >= 0, pttl >= 0)
                encodings[key] = k["encoding"]
        self.assertEqual(len(r["key_list"]), 19)  # 16 in db 0, 3 in db 1
        # Compact and full encodings of each type, as Redis 7.0 writes them.
        self.assertEqual(encodings["list:small"], "quicklist2")
        self.assertEqual(encodings["list:plain"], "quicklist2")
        self.assertEqual(encodings["set:ints"], "intset")
        self.assertEqual(encodings["set:big"], "hashtable")
        self.assertEqual(encodings["zset:small"], "listpack")
        self.assertEqual(encodings["zset:big"], "skiplist")
        self.assertEqual(encodings["hash:small"], "listpack")
        self.assertEqual(encodings["hash:big"], "hashtable")
        self.assertTrue(encodings["stream:s"].startswith("stream-listpacks"))
        self.assertEqual(r["keys_with_expiry"], 3)

    def test_gzipped_and_chunked(self):
        p, r = self.inspect(gzip.compress(self.rdb))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(r["keys"], 19)
        if UNIT_TESTS:
            t = subprocess.run([UNIT_TESTS, "--test-case=rdb corpus*"],
                               env=dict(os.environ, RA_RDB_CORPUS=self.write("c.rdb", self.rdb)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.assertEqual(t.returncode, 0, t.stdout.decode(errors="replace"))

    def test_truncated_and_corrupted(self):
        for cut in (9, 100, len(self.rdb) // 2, len(self.rdb) - 9, len(self.rdb) - 1):
            with self.subTest(cut=cut):
                p, r = self.inspect(self.rdb[:cut])
                self.assertEqual(p.returncode, 4, p.stdout.decode())
                self.assertFalse(r["intact"])
                self.assertIn("truncated", r["error"])
        bad = bytearray(self.rdb)
        bad[len(bad) // 3] ^= 0x40
        p, r = self.inspect(bytes(bad))
        self.assertEqual(p.returncode, 4, p.stdout.decode())
        self.assertFalse(r["intact"])
        p, r = self.inspect(b"REDIS0099" + self.rdb[9:])
        self.assertEqual(p.returncode, 3)
        self.assertIn("bad_version", r["error"])


if __name__ == "__main__":
    unittest.main()
