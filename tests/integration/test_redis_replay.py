"""restore-redis replay against real redis-server 7: every fixture RDB and a harness-made RDB
with every Redis 7 type and encoding, replayed and compared key by key (DEBUG DIGEST-VALUE and
absolute expiry) with a server that loaded the same RDB at startup; --db, --replace, a forged
newer version, values too big for one command, AOF on, a target killed mid-replay, and TLS."""
import base64
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import servers
from integration.common import FIXTURES, Redis, TempDirTestCase, read_json, run_agent, stderr_text
from integration.test_rdb import fill

DEBUG = ["--enable-debug-command", "yes"]
# These need a module the test server does not have; a server cannot even load them at start.
NEEDS_MODULE = {"redis_40_with_module.rdb", "redis_60_with_module_aux.rdb"}


def snapshot(r, dbs=None):
    """(db, key) -> (type, digest, absolute expiry) for every key of every database, and the
    function libraries with their code."""
    keyspace = r.cli("INFO", "keyspace")
    present = [int(line.split(":")[0][2:]) for line in keyspace.splitlines() if line.startswith("db")]
    out = {}
    for db in present if dbs is None else dbs:
        for k in [k for k in r.cli("--scan", db=db).split("\n") if k]:
            out[(db, k)] = (r.cli("TYPE", k, db=db), r.cli("DEBUG", "DIGEST-VALUE", k, db=db),
                            r.cli("PEXPIRETIME", k, db=db))
    if dbs is None:
        out["functions"] = r.cli("FUNCTION", "LIST", "WITHCODE")
    return out


class Replay(TempDirTestCase):
    def server(self, name, rdb=None, args=()):
        state = self.path(name)
        os.makedirs(os.path.join(state, "redis"), exist_ok=True)
        if rdb is not None:
            shutil.copy(rdb, os.path.join(state, "redis", "dump.rdb"))
        info = servers.start_redis(state, extra_args=[*DEBUG, "--dbfilename", "dump.rdb", *args])
        self.addCleanup(servers.stop_process, info["pid"])
        return Redis(info)

    def replay(self, r, *args):
        return run_agent(["restore-redis", "replay", "--socket", r.info["socket"], "--progress",
                          "never", *args])

    def made_by_redis7(self):
        src = self.server("src")
        fill(src)
        src.pipe(["SET expiring soon PX 600000", "SET b1 one"], db=1)
        path = self.path("redis7.rdb")
        shutil.copy(src.save(), path)
        return path

    def test_every_fixture_and_redis7_rdb_matches_a_server_loading_it(self):
        files = sorted(glob.glob(os.path.join(FIXTURES, "rdb", "*.rdb")))
        files = [f for f in files if os.path.basename(f) not in NEEDS_MODULE] + [self.made_by_redis7()]
        self.assertGreaterEqual(len(files), 27)
        for rdb in files:
            with self.subTest(rdb=os.path.basename(rdb)):
                name = os.path.basename(rdb).replace(".", "_")
                reference = self.server("ref-" + name, rdb)
                target = self.server("dst-" + name)
                report = self.path(name + ".json")
                p = self.replay(target, "--report", report, rdb)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                expected = snapshot(reference)
                self.assertEqual(snapshot(target), expected)
                restored = sum(d["restored"] for d in read_json(report)["databases"])
                self.assertEqual(restored, len(expected) - 1)  # all but the functions entry
                servers.stop_process(reference.info["pid"])
                servers.stop_process(target.info["pid"])

    def test_function_libraries_come_along(self):
        rdb = self.made_by_redis7()  # one library, "mylib"
        reference = self.server("ref", rdb)
        self.assertIn("mylib", reference.cli("FUNCTION", "LIST"))
        target = self.server("dst")
        target.cli("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', "
                   "function() return 2 end)")
        p = self.replay(target, rdb)  # same name, other code: refused before anything is written
        self.assertEqual(p.returncode, 6, stderr_text(p))
        self.assertIn("function library 'mylib' exists on the target with other code", stderr_text(p))
        self.assertEqual(target.cli("DBSIZE"), "0")
        report = self.path("r.json")
        p = self.replay(target, "--replace", "--report", report, rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(read_json(report)["functions_loaded"], 1)
        self.assertEqual(snapshot(target), snapshot(reference))
        p = self.replay(target, "--flush-target-dbs", "--report", report, rdb)  # same code: kept
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(read_json(report)["functions_unchanged"], 1)

    def test_redis_own_test_assets(self):
        # Redis's tests/assets: each inspected and replayed, compared with a server that loaded
        # it as its dump.rdb at startup (the AOF with an RDB preamble too: as an RDB, Redis loads
        # the preamble and ignores the tail, and says so is all the agent does differently).
        assets = os.path.join(FIXTURES, "redis-assets")
        files = sorted(glob.glob(os.path.join(assets, "*.rdb")) + [os.path.join(assets, "rdb-preamble.aof")])
        self.assertEqual(len(files), 9)
        for path in files:
            name = os.path.basename(path)
            with self.subTest(asset=name):
                p = run_agent(["inspect", "--json", path])
                r = json.loads(p.stdout)
                target = self.server("dst-" + name)
                target.cli("SET", "canary", "stays")
                if name == "corrupt_ziplist.rdb":  # Redis loads it unsanitized; the agent refuses
                    self.assertEqual(p.returncode, 4)
                    self.assertIn("malformed ziplist", r["error"])
                    p = self.replay(target, "--flush-target-dbs", path)
                    self.assertEqual(p.returncode, 4, stderr_text(p))
                    self.assertIn("nothing was written", stderr_text(p))
                    self.assertEqual(target.cli("GET", "canary"), "stays")
                    continue
                self.assertEqual(p.returncode, 0, p.stdout.decode())
                reference = self.server("ref-" + name, path)
                self.assertEqual(r["keys"], sum(int(l.split("keys=")[1].split(",")[0]) for l in
                                                reference.cli("INFO", "keyspace").splitlines()
                                                if l.startswith("db")))
                p = self.replay(target, "--flush-target-dbs", path)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                if name == "corrupt_empty_keys.rdb":
                    self.assertEqual(r["empty_keys"], 9)
                    self.assertIn("Redis skips them", stderr_text(p))
                if name == "rdb-preamble.aof":
                    self.assertGreater(r["trailing_bytes"], 0)
                    self.assertIn("bytes after the end of its RDB", stderr_text(p))
                expected = snapshot(reference)
                if not r["keys"]:  # nothing to write: nothing was flushed either
                    expected[(0, "canary")] = ("string", target.cli("DEBUG", "DIGEST-VALUE", "canary"), "-1")
                self.assertEqual(snapshot(target), expected)

    def test_binary_key_names_are_escaped(self):
        src = self.server("src")
        key = b"bin\x00key\r\n\xff"
        with socket.socket(socket.AF_UNIX) as sock:  # RESP: a name redis-cli cannot pass
            sock.connect(src.info["socket"])
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(key), key))
            self.assertEqual(sock.recv(16), b"+OK\r\n")
        self.assertEqual(src.cli("DBSIZE"), "1")
        rdb = self.path("bin.rdb")
        shutil.copy(src.save(), rdb)
        p = run_agent(["inspect", "--keys", rdb])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn(b'"bin\\x00key\\r\\n\\xff"', p.stdout)
        self.assertNotIn(key, p.stdout)
        p = run_agent(["inspect", "--json", "--keys", rdb])
        entry = json.loads(p.stdout)["key_list"][0]
        self.assertEqual(base64.b64decode(entry["key_base64"]), key)

    def test_expired_keys_are_skipped_and_counted(self):
        target = self.server("dst")
        report = self.path("r.json")
        p = self.replay(target, "--report", report, os.path.join(FIXTURES, "rdb", "keys_with_expiry.rdb"))
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(read_json(report)["databases"][0]["skipped_expired"], 1)
        self.assertEqual(snapshot(target), {"functions": ""})

    def test_db_selection_leaves_other_databases_alone(self):
        rdb = self.made_by_redis7()
        reference = self.server("ref", rdb)
        target = self.server("dst")
        target.pipe(["SET queue:job stay", "RPUSH jobs a b"], db=1)
        db1_before = snapshot(target, [1])
        p = self.replay(target, "--db", "0", rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(snapshot(target, [1]), db1_before)
        self.assertEqual(snapshot(target, [0]), snapshot(reference, [0]))
        # --db-map writes a source database into another one.
        p = self.replay(target, "--db", "1", "--db-map", "1:5", rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual({k[1]: v for k, v in snapshot(target, [5]).items()},
                         {k[1]: v for k, v in snapshot(reference, [1]).items()})

    def test_existing_keys_with_and_without_replace(self):
        rdb = self.made_by_redis7()
        reference = self.server("ref", rdb)
        target = self.server("dst")
        target.pipe(["SET str:raw old-value", "SET unrelated stays"])
        p = self.replay(target, rdb)
        self.assertEqual(p.returncode, 6, stderr_text(p))
        self.assertIn("BUSYKEY", stderr_text(p))
        self.assertIn("RESTORE 'str:raw' (db 0", stderr_text(p))
        p = self.replay(target, "--replace", rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("replaced", stderr_text(p))
        got = snapshot(target)
        self.assertEqual(got.pop((0, "unrelated"))[0], "string")
        self.assertEqual(got, snapshot(reference))
        p = self.replay(target, "--flush-target-dbs", rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(snapshot(target), snapshot(reference))

    def test_newer_backup_is_refused_before_writing(self):
        with open(self.made_by_redis7(), "rb") as f:
            data = f.read()
        forged = self.write("forged.rdb", b"REDIS0012" + data[9:])
        target = self.server("dst")
        p = self.replay(target, forged)
        # The forged header breaks the CRC64 too: either way nothing is written.
        self.assertIn(p.returncode, (3, 4), stderr_text(p))
        self.assertEqual(target.cli("DBSIZE"), "0")
        # With a matching checksum the version rule itself speaks.
        body = b"REDIS0012" + data[9:-8]
        forged_ok = self.write("forged-ok.rdb", body + crc64(body).to_bytes(8, "little"))
        p = self.replay(target, forged_ok)
        self.assertEqual(p.returncode, 3, stderr_text(p))
        self.assertIn("the backup is rdb version 12 but redis 7.0", stderr_text(p))
        self.assertIn("nothing was written", stderr_text(p))
        self.assertEqual(target.cli("DBSIZE"), "0")

    def test_values_too_big_for_one_command_are_written_in_pieces(self):
        src = self.server("src")
        # Random text: LZF in the RDB must not shrink the values under the limit.
        noise = lambda n: base64.b64encode(os.urandom(n)).decode()
        src.pipe(["RPUSH big:list " + " ".join(noise(750) for _ in range(3000)),
                  "HSET big:hash " + " ".join(f"f{i} " + noise(600) for i in range(3000)),
                  "SET small ok"])
        # Just under the target's 1 MB proto-max-bulk-len: storable, but not in one RESTORE.
        src.cli("-x", "SET", "big:string", input_bytes=noise(800 * 1024).encode()[:1048576 - 600])
        src.cli("PEXPIREAT", "big:list", "4102444800000")
        rdb = self.path("big.rdb")
        shutil.copy(src.save(), rdb)
        target = self.server("dst")
        target.cli("CONFIG", "SET", "proto-max-bulk-len", "1mb")
        report = self.path("r.json")
        p = self.replay(target, "--report", report, rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(read_json(report)["databases"][0]["written_in_pieces"], 3)
        self.assertEqual(snapshot(target), snapshot(src))

    def test_aof_is_rewritten_when_on(self):
        rdb = self.made_by_redis7()
        target = self.server("dst", args=["--appendonly", "yes"])
        report = self.path("r.json")
        p = self.replay(target, "--report", report, rdb)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertTrue(read_json(report)["aof_rewritten"])
        expected = snapshot(target)
        servers.stop_process(target.info["pid"])
        again = self.server("dst", args=["--appendonly", "yes"])
        self.assertEqual(snapshot(again), expected)

    def test_killed_target_mid_replay(self):
        src = self.server("src")
        src.cli("DEBUG", "POPULATE", "1500000", "key", "20")
        rdb = self.path("many.rdb")
        shutil.copy(src.save(), rdb)
        servers.stop_process(src.info["pid"])
        target = self.server("dst")
        agent = subprocess.Popen([os.environ["RA_AGENT"], "restore-redis", "replay", "--socket",
                                  target.info["socket"], "--progress", "never", rdb],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and int(target.cli("DBSIZE") or 0) < 10000:
            time.sleep(0.01)
        os.kill(target.info["pid"], signal.SIGKILL)
        killed = time.monotonic()
        _, err = agent.communicate(timeout=30)
        self.assertLess(time.monotonic() - killed, 10)
        self.assertEqual(agent.returncode, 6, err.decode())
        self.assertIn("connection lost", err.decode())
        self.assertRegex(err.decode(), r"\d+ keys were acknowledged \(the last: RESTORE 'key:\d+' \(db 0, backup byte \d+\)\)")

    def test_tls_with_verification_and_client_certificate(self):
        rdb = self.made_by_redis7()
        tls = make_tls_files(self.path("tls"))
        port = servers.free_port()
        target = self.server("dst", args=[
            "--tls-port", str(port), "--tls-cert-file", tls["server.crt"], "--tls-key-file",
            tls["server.key"], "--tls-ca-cert-file", tls["ca.crt"], "--tls-auth-clients", "yes"])

        def replay_tls(*args):
            return run_agent(["restore-redis", "replay", "--host", "127.0.0.1", "--port", str(port),
                              "--progress", "never", "--wait", "0", *args, rdb])

        client = ["--cert", tls["client.crt"], "--key", tls["client.key"]]
        p = replay_tls("--tls", *client)  # the system store does not know the test CA
        self.assertEqual(p.returncode, 5, stderr_text(p))
        self.assertIn("certificate verification failed", stderr_text(p))
        p = replay_tls("--tls", "--cacert", tls["ca.crt"], "--sni", "elsewhere.test", *client)
        self.assertEqual(p.returncode, 5, stderr_text(p))
        self.assertIn("hostname mismatch", stderr_text(p))
        p = replay_tls("--tls", "--cacert", tls["ca.crt"])  # no client certificate
        self.assertEqual(p.returncode, 5, stderr_text(p))
        p = replay_tls()  # plain client on the TLS port
        self.assertEqual(p.returncode, 5, stderr_text(p))
        self.assertIn("add --tls", stderr_text(p))
        self.assertEqual(target.cli("DBSIZE"), "0")

        p = replay_tls("--tls", "--cacert", tls["ca.crt"], *client)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(snapshot(target), snapshot(self.server("loaded", rdb=rdb)))


def make_tls_files(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, by the openssl CLI."""
    os.makedirs(d, exist_ok=True)
    f = {n: os.path.join(d, n) for n in
         ["ca.key", "ca.crt", "server.key", "server.crt", "client.key", "client.crt", "san.ext"]}

    def ssl(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f["ca.key"], "-out",
        f["ca.crt"], "-days", "2", "-subj", "/CN=restore-agent test CA")
    with open(f["san.ext"], "w") as out:
        out.write("subjectAltName=IP:127.0.0.1,DNS:redis.test\n")
    for who in ("server", "client"):
        csr = os.path.join(d, who + ".csr")
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f[who + ".key"], "-out", csr,
            "-subj", "/CN=" + who)
        ssl("x509", "-req", "-in", csr, "-CA", f["ca.crt"], "-CAkey", f["ca.key"],
            "-CAcreateserial", "-out", f[who + ".crt"], "-days", "2", "-extfile", f["san.ext"])
    return f


def crc64(data):
    """Redis's CRC64 (Jones), for forging a file whose checksum still holds."""
    poly = 0x95AC9329AC4BC9B5
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    crc = 0
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


if __name__ == "__main__":
    unittest.main()
