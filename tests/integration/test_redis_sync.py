"""restore-redis sync on every Redis of the version matrix: the agent acts as the server's master
and hands it the backup as a full resync. On each version: the data afterwards equals the
backup key by key (type, DEBUG DIGEST-VALUE, absolute expiry, function libraries), with the
append-only file on and off, and a restart loads it again; the old data is served during the
load on Redis 7 and later (a client polls GET every millisecond; the longest gap is measured
and asserted generously), and Redis 6 answers -LOADING but is not restarted; the agent killed
at each step, then `restore-redis recover`, ends in exactly the old or exactly the new data;
corrupt and too-new backups, cluster mode and a replica are refused with nothing changed."""
import os
import shutil
import socket
import subprocess
import threading
import time
import unittest

from harness import matrix, servers
from integration.common import Redis, TempDirTestCase, read_json, run_agent, stderr_text
from integration.test_matrix_redis import NEWER, fill, prepare, snapshot, write_backup_b
from integration.test_redis_replay import make_tls_files


def low_free_port():
    for port in range(20000 + os.getpid() % 20000, 55000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise AssertionError("no free port below 55000")


class Poller(threading.Thread):
    """GET who every millisecond over one connection: the longest time without a valid reply,
    and the error replies seen (-LOADING)."""

    def __init__(self, sock_path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.sock.settimeout(30)
        self.stop = False
        self.longest = 0.0
        self.errors = set()
        self.values = set()

    def run(self):
        last_ok = time.monotonic()
        f = self.sock.makefile("rb")
        while not self.stop:
            self.sock.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nwho\r\n")
            line = f.readline()
            if line.startswith(b"$"):
                self.values.add(f.readline().strip().decode())
                now = time.monotonic()
                self.longest = max(self.longest, now - last_ok)
                last_ok = now
            else:
                self.errors.add(line.split()[0].decode() if line.strip() else "?")
            time.sleep(0.001)


class SyncEverywhere:
    version = None

    @classmethod
    def setUpClass(cls):
        b = write_backup_b(cls)
        # A larger backup, so that its load takes long enough to poll during it.
        b.cli("DEBUG", "POPULATE", "1500000", "big", "64")
        with open(b.save(), "rb") as f:
            cls.big_bytes = f.read()
        servers.stop_process(b.info["pid"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        super().setUp()
        prepare(self, "dump-b.rdb")
        self.journal = self.path("sync.journal")

    def start(self, args, name="redis", fill_a=True):
        info = matrix.start_redis(self.version, self.state, args, name=name)
        self.pids.append(info["pid"])
        r = Redis(info)
        if fill_a:
            fill(r, self.major, "A")
            r.cli("SAVE")  # on disk too, as a production server has its data
        return r

    def sync(self, r, *args, env=None):
        return run_agent(["restore-redis", "sync", "--socket", r.info["socket"], "--progress",
                          "never", "--journal", self.journal, *args], env=env)

    def recover(self, r):
        return run_agent(["restore-redis", "recover", "--socket", r.info["socket"], "--progress",
                          "never", "--sync-journal", self.journal])

    def settings(self, r):
        return {k: r.cli("CONFIG", "GET", k).split("\n")[-1]
                for k in ("repl-diskless-load", "replica-lazy-flush")}

    def restart(self, r, args):
        servers.stop_process(r.info["pid"])
        return self.start(args, name=os.path.basename(r.info["dir"]), fill_a=False)

    # --- tests -----------------------------------------------------------------------------

    def test_sync_with_aof_on_and_off_then_restart(self):
        for args in (self.aof_on, self.aof_off):
            with self.subTest(args=args[1]):
                r = self.start(args, name="aof-" + args[1])
                before = self.settings(r)
                report = self.path("r.json")
                p = self.sync(r, "--report", report, self.backup)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(snapshot(r, self.major), self.expected_b)
                self.assertEqual(r.cli("ROLE").split("\n")[0], "master")
                self.assertEqual(self.settings(r), before)
                rep = read_json(report)
                self.assertEqual(rep["status"], "ok")
                self.assertEqual(rep["durability"], "aof-rewrite" if args[1] == "yes" else "bgsave")
                r = self.restart(r, args)
                self.assertEqual(snapshot(r, self.major), self.expected_b, "after a restart")

    def test_old_data_served_while_loading(self):
        r = self.start(self.aof_off)
        pid = r.info["pid"]
        big = self.write("big.rdb", self.big_bytes)
        poller = Poller(r.info["socket"])
        poller.start()
        p = self.sync(r, big)
        poller.stop = True
        poller.join()
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(r.cli("GET", "who"), "B")
        self.assertEqual(r.info["pid"], pid)
        os.kill(pid, 0)  # the same server, never restarted
        self.assertEqual(poller.values, {"A", "B"})  # old data until the swap, then the new
        print(f"\n{self.version}: longest gap {poller.longest:.3f} s, errors {poller.errors}")
        if self.major >= 7:
            self.assertLess(poller.longest, 1.0)
            self.assertEqual(poller.errors, set())
        else:
            self.assertTrue(poller.errors <= {"-LOADING"}, poller.errors)

    def test_killed_at_each_step_then_recover(self):
        for step, holds in (("replicaof", "A"), ("half-streamed", "A"), ("loaded", "B"),
                            ("promoted", "B"), ("settings-restored", "B")):
            with self.subTest(step=step):
                r = self.start(self.aof_off, name="kill-" + step)
                expected_a = snapshot(r, self.major)
                before = self.settings(r)
                p = self.sync(r, self.backup, env={"RA_FAULT_INJECT": f"after:{step}"})
                self.assertEqual(p.returncode, 137, stderr_text(p))
                p = self.recover(r)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertIn("recovered", stderr_text(p))
                self.assertEqual(r.cli("ROLE").split("\n")[0], "master")
                self.assertEqual(self.settings(r), before)
                want = expected_a if holds == "A" else self.expected_b
                self.assertEqual(snapshot(r, self.major), want, f"killed after {step}")
                r = self.restart(r, self.aof_off)
                self.assertEqual(snapshot(r, self.major), want, f"restart after {step}")
                self.assertFalse(os.path.exists(self.journal))  # archived

    def test_a_later_sync_recovers_first(self):
        r = self.start(self.aof_off)
        p = self.sync(r, self.backup, env={"RA_FAULT_INJECT": "after:half-streamed"})
        self.assertEqual(p.returncode, 137, stderr_text(p))
        p = self.sync(r, self.backup)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("did not finish", stderr_text(p))
        self.assertEqual(snapshot(r, self.major), self.expected_b)

    def test_over_tls_with_a_password_and_tls_replication(self):
        # Clients only on TLS with a client certificate, a password, and tls-replication yes:
        # the agent connects as the other commands do, turns tls-replication off for its
        # loopback link and puts it back.
        if not matrix.redis_has_tls(self.version):
            self.skipTest(f"the matrix's {self.version} is built without TLS")
        tls = make_tls_files(self.path("tls"))
        port = low_free_port()
        r = self.start(self.aof_off + [
            "--tls-port", str(port), "--tls-cert-file", tls["server.crt"], "--tls-key-file",
            tls["server.key"], "--tls-ca-cert-file", tls["ca.crt"], "--tls-auth-clients", "yes",
            "--tls-replication", "yes"], name="tls")
        r.cli("CONFIG", "SET", "requirepass", "S3cret-pass")
        p = run_agent(["restore-redis", "sync", "--host", "127.0.0.1", "--port", str(port), "--tls",
                       "--cacert", tls["ca.crt"], "--cert", tls["client.crt"], "--key",
                       tls["client.key"], "--progress", "never", "--journal", self.journal,
                       self.backup], env={"REDISCLI_AUTH": "S3cret-pass"})
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertNotIn("S3cret-pass", stderr_text(p))
        subprocess.run(["redis-cli", "-s", r.info["socket"], "--no-auth-warning", "-a",
                        "S3cret-pass", "CONFIG", "SET", "requirepass", ""], check=True,
                       stdout=subprocess.DEVNULL)
        self.assertEqual(snapshot(r, self.major), self.expected_b)
        self.assertEqual(r.cli("CONFIG", "GET", "tls-replication").split("\n")[-1], "yes")

    def test_refusals_change_nothing(self):
        r = self.start(self.aof_off)
        expected_a, before = snapshot(r, self.major), self.settings(r)
        corrupt = bytearray(self.backup_bytes)
        corrupt[len(corrupt) // 2] ^= 0xFF
        newer = NEWER.get(self.version)
        cases = [("corrupt", self.write("corrupt.rdb", bytes(corrupt)), 4),
                 ("forged newer", self.write("newer.rdb", b"REDIS0013" + self.backup_bytes[9:]), 3)]
        if newer:
            src = Redis(matrix.start_redis(newer, self.path("newer"), [], name="src"))
            src.cli("SET", "k", "v")
            with open(src.save(), "rb") as f:
                cases.append(("newer", self.write("newer2.rdb", f.read()), 3))
            servers.stop_process(src.info["pid"])
        for what, path, code in cases:
            with self.subTest(what):
                p = self.sync(r, path)
                self.assertEqual(p.returncode, code, stderr_text(p))
                self.assertIn("nothing was changed", stderr_text(p))
        master = self.start(self.aof_off, name="master", fill_a=False)
        replica = self.start(self.aof_off, name="replica", fill_a=False)
        replica.cli("REPLICAOF", "127.0.0.1", str(master.info["port"]))
        p = self.sync(replica, self.backup)
        self.assertEqual(p.returncode, 9, stderr_text(p))
        self.assertIn("it is a replica of 127.0.0.1", stderr_text(p))
        # The cluster bus listens 10000 ports higher: a port that leaves room for it.
        cluster = self.start(self.aof_off + ["--port", str(low_free_port()), "--cluster-enabled",
                                             "yes", "--cluster-config-file",
                                             self.path("nodes.conf")], name="cluster", fill_a=False)
        p = self.sync(cluster, self.backup)
        self.assertEqual(p.returncode, 9, stderr_text(p))
        self.assertIn("cluster mode", stderr_text(p))
        p = self.sync(r, "--check", self.backup)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(snapshot(r, self.major), expected_a)
        self.assertEqual(self.settings(r), before)


for version in matrix.REDIS:
    name = "Sync_" + version.replace("-", "_").replace(".", "_")
    globals()[name] = type(name, (SyncEverywhere, TempDirTestCase), {"version": version})
del name, version

if __name__ == "__main__":
    unittest.main()
