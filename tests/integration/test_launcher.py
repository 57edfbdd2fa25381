"""restore-launcher end to end with no cluster: a fake `oc`/`kubectl` (tests/launcher/fake_oc.py,
first on PATH) maps the launcher's commands onto this machine, where each data pod is a local
directory plus a MariaDB, PostgreSQL or Redis server of the harness. The sample 3scale backup
set (tests/harness/sample_backup_set.py, written by the real dump tools) is restored end to end,
in template mode (DeploymentConfigs, oc) and operator mode (Deployments, kubectl), and what the
servers then hold is compared with the backup. Also: a failure injected in the middle leaves
zync's replicas put back and a rerun finishes from the journal; plan changes nothing and refuses
a broken set; verify restores the set into its own throwaway servers."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import sample_backup_set, servers
from integration.common import AGENT, MariaDB, Postgres, Redis, TempDirTestCase

LAUNCHER = os.environ.get("RA_LAUNCHER", "restore-launcher")
FAKE_OC = os.path.join(os.path.dirname(__file__), "..", "launcher", "fake_oc.py")

import sys  # noqa: E402
sys.path.insert(0, os.path.dirname(FAKE_OC))
import fake_oc  # noqa: E402

SAMPLE = None
SAMPLE_DIR = None


def setUpModule():
    global SAMPLE, SAMPLE_DIR
    SAMPLE_DIR = tempfile.mkdtemp(prefix="ra-launcher-sample-")
    SAMPLE = os.path.join(SAMPLE_DIR, "set")
    sample_backup_set.make(SAMPLE, scale=0.5)


def tearDownModule():
    shutil.rmtree(SAMPLE_DIR, ignore_errors=True)


def inspect(path):
    p = subprocess.run([AGENT, "inspect", "--json", "--progress", "never", path],
                       stdout=subprocess.PIPE, check=True)
    return json.loads(p.stdout)


def census(path):
    return {t["name"]: t["rows"] for t in inspect(path)["contents"]["tables"]}


class Launcher(TempDirTestCase):
    WRITERS = {"system-app": 3, "system-sidekiq": 2, "backend-worker": 2}

    def world(self, operator, kind, pending=False):
        """Servers, pods and workloads of a 3scale install, in a fake cluster."""
        self.state = self.path("cluster")
        fake_oc.new_world(self.state, operator, kind)
        bin_dir = self.path("bin")
        os.makedirs(bin_dir)
        for name in ("oc", "kubectl"):
            os.symlink(os.path.abspath(FAKE_OC), os.path.join(bin_dir, name))
        self.env = dict(os.environ, PATH=bin_dir + ":" + os.environ["PATH"],
                        FAKE_OC_STATE=self.state)
        servers_dir = self.path("servers")

        my = servers.start_mariadb(servers_dir)
        self.addCleanup(servers.stop_process, my["pid"])
        self.mariadb = MariaDB(my)
        pw = sample_backup_set.MYSQL_ROOT_PASSWORD.replace("'", "''")
        self.mariadb.execute(f"ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '{pw}'")
        fake_oc.add_workload(self.state, "system-mysql", pending=pending, env={
            "MYSQL_ROOT_PASSWORD": sample_backup_set.MYSQL_ROOT_PASSWORD,
            "MYSQL_TCP_PORT": str(my["port"])})

        pg = servers.start_postgres(servers_dir)
        self.addCleanup(servers.stop_process, pg["pid"])
        self.postgres = Postgres(pg)
        fake_oc.add_workload(self.state, "zync-database", pending=pending,
                             env=servers.postgres_env(pg))

        self.redis = {}
        for name in ("backend-redis", "system-redis"):
            data = os.path.join(self.state, "pods", name, "var", "lib", "redis", "data")
            os.makedirs(data, exist_ok=True)
            info = servers.start_redis(servers_dir, name=name,
                                       extra_args=["--dir", data, "--appendonly", "yes"])
            r = Redis(info)
            self.redis[name] = r
            self.addCleanup(lambda n=name: servers.stop_process(self.server_pid(n)))
            r.pipe(["SET old:key stale", "SET old:other stale"], db=0)
            fake_oc.add_workload(self.state, name, pending=pending,
                                 env={"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(info["port"])},
                                 server={"cmd": info["cmd"], "pid": info["pid"], "log": info["log"],
                                         "ping": ["redis-cli", "-s", info["socket"], "ping"]})
        for name, n in self.WRITERS.items():
            fake_oc.add_workload(self.state, name, replicas=n, pending=pending)
        for name in ("system-sphinx", "zync", "zync-que"):
            fake_oc.add_workload(self.state, name, pending=pending)
        self.backup = self.path("backup")
        shutil.copytree(SAMPLE, self.backup)

    def server_pid(self, name):
        return self.cluster()["workloads"].get(name, {}).get("server", {}).get("pid") or \
            self.redis[name].info["pid"]

    def cluster(self):
        with open(os.path.join(self.state, "state.json")) as f:
            return json.load(f)

    def keep_calls(self):
        shutil.copy(os.path.join(self.state, "calls.jsonl"), "/tmp/last-calls.jsonl")

    def calls(self):
        with open(os.path.join(self.state, "calls.jsonl")) as f:
            return [json.loads(line)["args"] for line in f]

    def launcher(self, *args, env=None):
        p = subprocess.run([LAUNCHER, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env or self.env, timeout=600)
        return p.returncode, p.stdout.decode(errors="replace")

    def run_all(self, *extra, env=None):
        return self.launcher("run", "--backup-dir", self.backup, "--yes", "--agent", AGENT,
                             "--pod-timeout", "5", *extra, env=env)

    def assert_restored(self, methods):
        """What the servers hold is what the backup holds; `methods`: each Redis's."""
        dump = census(os.path.join(self.backup, "system-mysql-backup.gz"))
        self.assertEqual(self.mariadb.row_counts("system"), dump)
        zync = census(os.path.join(self.backup, "zync-database-backup.gz"))
        got = {f"zync_production.{t}": n for t, n in self.postgres.row_counts("zync_production").items()}
        self.assertEqual(got, {t: n for t, n in zync.items() if t.startswith("zync_production.")})
        for name in ("backend-redis", "system-redis"):
            rdb = inspect(os.path.join(self.backup, f"{name}-dump.rdb"))
            r = self.redis[name]
            for d in rdb["databases"]:
                self.assertEqual(int(r.cli("DBSIZE", db=d["db"])), d["keys"], f"{name} db{d['db']}")
            self.assertEqual(r.cli("EXISTS", "old:key"), "0")  # the old data is replaced...
            data = os.path.join(self.state, "pods", name, "var", "lib", "redis", "data")
            old_kept = any(f.endswith("-old") for f in os.listdir(data))
            self.assertEqual(old_kept, methods[name] == "swap", (name, os.listdir(data)))
            self.assertFalse(os.path.exists(os.path.join(data, "restore-agent-backup.rdb")))
            self.assertEqual(r.cli("CONFIG", "GET", "appendonly").split("\n")[1], "yes")
        # The storage tree arrived whole.
        want = [os.path.relpath(os.path.join(d, f), os.path.join(self.backup, "local/dir/system"))
                for d, _, fs in os.walk(os.path.join(self.backup, "local/dir/system")) for f in fs]
        pod_storage = os.path.join(self.state, "pods", "system-app", "opt/system/public/system")
        got_files = [os.path.relpath(os.path.join(d, f), pod_storage)
                     for d, _, fs in os.walk(pod_storage) for f in fs]
        self.assertEqual(sorted(got_files), sorted(want))

    def assert_replicas_back(self):
        c = self.cluster()
        for name, n in self.WRITERS.items():
            self.assertEqual(c["workloads"][name]["replicas"], n, name)
        if c["operator"]:
            self.assertEqual(c["apimanager"]["spec"]["zync"], {"appSpec": {"replicas": 2}})
        else:
            self.assertEqual(c["workloads"]["zync"]["replicas"], 1)
            self.assertEqual(c["workloads"]["zync-que"]["replicas"], 1)

    def test_template_install_with_deploymentconfigs_and_oc(self):
        self.world(operator=False, kind="dc", pending=True)
        # system-redis lacks the memory to hold old and new data at once: --redis auto gives it
        # the swap; backend-redis gets the sync.
        self.redis["system-redis"].cli("CONFIG", "SET", "maxmemory", "1mb")
        rc, out = self.run_all("--install", "auto")
        self.assertEqual(rc, 0, out)
        self.assertIn("All 10 steps done", out)
        self.assertIn("backend-redis gets sync: every precondition of sync holds", out)
        self.assertIn("system-redis gets swap: sync is not possible here (", out)
        self.assertIn("over maxmemory", out)
        self.keep_calls()
        self.assert_restored({"backend-redis": "sync", "system-redis": "swap"})
        self.assert_replicas_back()
        c = self.cluster()
        self.assertEqual(c["applied"], ["Secret/system-smtp"])
        params = c["new_app"]["params"]
        self.assertEqual(len(params), 33)
        self.assertEqual(params["SYSTEM_DATABASE"], "system")
        self.assertEqual(params["SYSTEM_DATABASE_ROOT_PASSWORD"], sample_backup_set.MYSQL_ROOT_PASSWORD)
        self.assertEqual(params["APP_LABEL"], "3scale-api-management")
        self.assertEqual(params["ZYNC_DATABASE_PASSWORD"], sample_backup_set.ZYNC_DATABASE_PASSWORD)
        self.assertEqual(params["WILDCARD_DOMAIN"], "apps.example.com")
        # No secret on any command line the launcher ran, nor in what it printed.
        calls = json.dumps(self.calls())
        self.assertNotIn(sample_backup_set.MYSQL_ROOT_PASSWORD, calls)
        self.assertNotIn(sample_backup_set.MYSQL_ROOT_PASSWORD, out)
        # The backup was streamed into the pod: no copy of the gzip in the pod.
        pod = os.path.join(self.state, "pods", "system-mysql")
        self.assertFalse([f for _, _, fs in os.walk(pod) for f in fs if f.endswith(".gz")])
        self.assertNotIn(["rollout", "latest", "dc/backend-redis"], self.calls())  # sync: none
        self.assertIn(["rollout", "latest", "dc/system-redis"], self.calls())
        # A rerun has nothing left to do.
        rc, out = self.run_all()
        self.assertEqual(rc, 0, out)
        self.assertIn("done earlier", out)

    def test_operator_install_with_deployments_and_kubectl_failure_and_rerun(self):
        self.world(operator=True, kind="deployment")
        env = dict(self.env, FAKE_OC_FAIL="exec:zync-database")
        rc, out = self.run_all("--cli", "kubectl", "--redis", "swap", env=env)
        self.assertEqual(rc, 4, out)
        self.assertIn("STOPPED at step 'zync-database'", out)
        # zync was put back although the restore failed, to the spec saved before.
        self.assertEqual(self.cluster()["apimanager"]["spec"]["zync"], {"appSpec": {"replicas": 2}})
        self.assertTrue(any(a[:2] == ["patch", "apimanager/3scale"] and '"replicas":0' in a[-1]
                            for a in self.calls()))
        mysql_restores = lambda: sum(1 for a in self.calls()  # noqa: E731
                                     if a[0] == "exec" and "restore-mysql" in a)
        self.assertEqual(mysql_restores(), 1)

        rc, out = self.run_all("--cli", "kubectl", "-n", "threescale", "--redis", "swap")
        self.assertEqual(rc, 0, out)
        self.assertIn("Continuing from the journal", out)
        with open(os.path.join(self.state, "calls.jsonl")) as f:
            rerun = [json.loads(line) for line in f][-60:]
        self.assertTrue(all(c["namespace"] == "threescale" and c["cli"] == "kubectl" for c in rerun))
        self.assertIn("done earlier: install, stop-writers, system-mysql", out)
        self.assertEqual(mysql_restores(), 1)  # not run again
        self.assert_restored({"backend-redis": "swap", "system-redis": "swap"})
        self.assert_replicas_back()
        c = self.cluster()
        self.assertEqual(len(c["applied"]), 12)
        self.assertIsNone(c["new_app"])
        self.assertIn(["rollout", "restart", "deployment/backend-redis"], self.calls())
        self.assertTrue(any(a[0] == "cp" and a[1].endswith("/.") for a in self.calls()))  # no rsync

        # --only reruns one step, done or not.
        rc, out = self.run_all("--cli", "kubectl", "--only", "resync-domains")
        self.assertEqual(rc, 0, out)
        self.assertIn("1. resync-domains", out)

    def test_plan_changes_nothing_and_a_broken_set_is_refused(self):
        self.world(operator=False, kind="dc")
        rc, out = self.launcher("plan", "--backup-dir", self.backup, "--agent", AGENT)
        self.assertEqual(rc, 0, out)
        self.assertIn("restore-mysql --host 127.0.0.1 --user root --password-env MYSQL_ROOT_PASSWORD", out)
        self.assertIn("oc scale dc/zync --replicas=0", out)
        self.assertIn("backend-redis gets sync", out)
        # Reads only: gets, and the agent's `sync --check` (the backup streamed, nothing written).
        for a in self.calls():
            self.assertTrue(a[0] == "get" or (a[0] == "cp" and a[-1].endswith(":/tmp/restore-agent"))
                            or a[-4:] == ["sync", "--check", "--progress", "never", "-"] or
                            a[-5:-1] == ["sync", "--check", "--progress", "never"], a)
        for name in ("backend-redis", "system-redis"):
            self.assertEqual(self.redis[name].cli("GET", "old:key"), "stale")
        gz = os.path.join(self.backup, "system-mysql-backup.gz")
        with open(gz, "rb") as f:
            data = f.read()
        with open(gz, "wb") as f:
            f.write(data[: len(data) // 2])
        before = len(self.calls())
        rc, out = self.run_all()
        self.assertEqual(rc, 3, out)
        self.assertIn("system-mysql-backup.gz", out)
        self.assertIn("NOT restorable", out)
        self.assertEqual(len(self.calls()), before)  # not one call to the cluster
        rc, out = self.launcher("run", "--backup-dir", SAMPLE, "--agent", AGENT,
                                env=dict(self.env))  # no --yes, not a terminal
        self.assertEqual(rc, 5, out)

    def test_verify_restores_the_set_into_throwaway_servers(self):
        report = self.path("verify.json")
        rc, out = self.launcher("verify", "--backup-dir", SAMPLE, "--agent", AGENT, "--report", report,
                                env=dict(os.environ))
        self.assertEqual(rc, 0, out)
        self.assertIn("VERIFIED", out)
        with open(report) as f:
            r = json.load(f)
        dump = census(os.path.join(SAMPLE, "system-mysql-backup.gz"))
        self.assertEqual(r["system-mysql"]["tables"], dump)
        self.assertEqual(r["zync-database"]["databases"]["zync_production"]["public.entries"],
                         census(os.path.join(SAMPLE, "zync-database-backup.gz"))["zync_production.public.entries"])
        # A partitioned table's rows are in its partitions, an inheritance parent's own rows are
        # its own: counted with ONLY, as the dump holds them.
        zync = r["zync-database"]["databases"]["zync_production"]
        self.assertEqual([zync["public.event_log"], zync["public.event_log_eu"],
                          zync["public.event_log_us"]], [0, 66, 134])
        self.assertEqual([zync["public.audit_base"], zync["public.audit_2026"]], [1, 30])
        self.assertEqual(r["system-mysql"]["tables"]["usage_archive"], 3)
        rdb = inspect(os.path.join(SAMPLE, "backend-redis-dump.rdb"))
        self.assertEqual(r["backend-redis"]["keys"], {f"db{d['db']}": d["keys"] for d in rdb["databases"]})
        self.assertGreater(r["system-storage"]["files"], 0)


if __name__ == "__main__":
    unittest.main()
