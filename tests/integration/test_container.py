"""The FROM scratch image run for real with podman (runc, lowered ulimits through a
CONTAINERS_CONF file, as this machine needs), as an arbitrary UID with no passwd entry, against
the harness's servers on loopback: a MySQL and a PostgreSQL restore, and the sidecar pattern —
a container that restores with --once-marker on a volume, is restarted, and does not restore
twice."""
import gzip
import os
import shutil
import subprocess
import time
import unittest

from integration.common import MariaDB, Postgres, TempDirTestCase
from integration.test_static import ARBITRARY_UID, REPO, STATIC

IMAGE = "localhost/restore-agent:matrix"


@unittest.skipUnless(os.geteuid() == 0, "podman run here needs root (CI runs as root)")
class Container(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("podman") or not shutil.which("runc"):
            raise AssertionError("podman and runc are needed: container/install-deps.sh installs them")
        if not os.path.exists(STATIC):
            raise AssertionError(f"static agent missing: run container/build-static.sh ({STATIC})")
        subprocess.run(["bash", os.path.join(REPO, "container", "build-image.sh")], check=True,
                       env=dict(os.environ, RA_STATIC_AGENT=STATIC, RA_IMAGE=IMAGE),
                       stdout=subprocess.DEVNULL)
        cls.mysql, cls.pg = MariaDB(), Postgres()
        cls.mysql.recreate("ctr_src")
        cls.mysql.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); "
                          "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')", "ctr_src")
        cls.pg.psql("DROP DATABASE IF EXISTS ctr_src")
        cls.pg.psql("CREATE DATABASE ctr_src")
        cls.pg.psql("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 40)",
                    "ctr_src")

    def setUp(self):
        super().setUp()
        os.chmod(self.tmp, 0o755)
        self.conf = self.write("containers.conf", b'[containers]\ndefault_ulimits = '
                               b'["nofile=1024:1024", "nproc=1024:1024"]\n[engine]\nruntime = "runc"\n')
        self.backups = self.path("backups")
        os.makedirs(self.backups, mode=0o755)
        for name, data in (("system-mysql-backup.gz", gzip.compress(self.mysql.dump("ctr_src"))),
                           ("zync-database-backup.gz", gzip.compress(self.pg.dump("ctr_src")))):
            with open(os.path.join(self.backups, name), "wb") as f:
                f.write(data)
            os.chmod(os.path.join(self.backups, name), 0o644)

    def podman(self, *args, check=True):
        p = subprocess.run(["podman", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, CONTAINERS_CONF=self.conf), timeout=300)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {args}: {p.stderr.decode(errors='replace')}")
        return p

    def run_args(self, *volumes):
        args = ["--user", f"{ARBITRARY_UID}:0", "--network", "host", "-v",
                f"{self.backups}:/backup:ro"]
        for v in volumes:
            args += ["-v", v]
        return args

    def mysql_restore(self, db, *extra):
        return ["restore-mysql", "--host", "127.0.0.1", "--port", str(self.mysql.info["port"]),
                "--user", "root", "--database", db, "--create-database", *extra,
                "/backup/system-mysql-backup.gz"]

    def test_mysql_and_postgres_restores_as_an_arbitrary_uid(self):
        self.mysql.drop("ctr_dst")
        p = self.podman("run", "--rm", *self.run_args(), IMAGE, *self.mysql_restore("ctr_dst"))
        self.assertIn(b"restored", p.stderr)
        self.assertEqual(self.mysql.checksums("ctr_dst"), self.mysql.checksums("ctr_src"))
        self.pg.psql("DROP DATABASE IF EXISTS ctr_dst")
        self.pg.psql("CREATE DATABASE ctr_dst")
        self.podman("run", "--rm", *self.run_args(), "-e", "PGUSER=postgres", IMAGE,
                    "restore-postgres", "--host", "127.0.0.1", "--port", str(self.pg.info["port"]),
                    "--dbname", "ctr_dst", "/backup/zync-database-backup.gz")
        self.assertEqual(self.pg.row_counts("ctr_dst"), {"public.t": 40})

    def test_sidecar_restarted_does_not_restore_twice(self):
        state = self.path("state")
        os.makedirs(state)
        os.chmod(state, 0o777)
        self.mysql.drop("ctr_side")
        name = f"ra-sidecar-{os.getpid()}"
        self.addCleanup(self.podman, "rm", "-f", name, check=False)
        self.podman("run", "-d", "--name", name, *self.run_args(f"{state}:/state"), IMAGE,
                    *self.mysql_restore("ctr_side", "--once-marker", "/state/marker", "--stay"))
        self.wait_for_log(name, b"staying up until stopped", 1)
        self.assertTrue(os.path.exists(os.path.join(state, "marker")))
        # What the application wrote after the restore must survive the sidecar's restart.
        self.mysql.execute("INSERT INTO t VALUES (99, 'written later')", "ctr_side")
        self.podman("restart", name)
        self.wait_for_log(name, b"staying up until stopped", 2)
        self.assertIn(b"was restored already", self.podman("logs", name).stderr)
        self.assertEqual(self.mysql.query("SELECT v FROM t WHERE id = 99", "ctr_side"),
                         [["written later"]])

    def wait_for_log(self, name, text, times):
        """Polls the container's log (its readiness signal) until `text` appears `times` times."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            p = self.podman("logs", name, check=False)
            if (p.stdout + p.stderr).count(text) >= times:
                return
            state = self.podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
            if state in (b"exited", b"stopped"):
                self.fail(f"container {state}: {p.stderr.decode(errors='replace')}")
            time.sleep(0.2)
        self.fail(f"'{text.decode()}' not seen {times} times in the container's log")


if __name__ == "__main__":
    unittest.main()
