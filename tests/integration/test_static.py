"""The fully static restore-agent as a pod would run it: copied alone into an empty root that
holds only etc/hosts (system-mysql, zync-database, backend-redis -> 127.0.0.1), chrooted into,
reaching the harness's servers over TCP by those names; also as a UID with no passwd entry, as
OpenShift runs pods. Then the FROM scratch image, and the example manifests' command lines."""
import glob
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import yaml

from harness import servers
from integration.common import FIXTURES, MariaDB, Postgres, TempDirTestCase, stderr_text

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATIC = os.environ.get("RA_STATIC_AGENT",
                        os.path.join(REPO, "build-static", "agent", "restore-agent"))
ARBITRARY_UID = 1000720000  # an OpenShift-style uid with no passwd entry


@unittest.skipUnless(os.geteuid() == 0, "chroot needs root (CI runs as root)")
class StaticAgentInChroot(TempDirTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(STATIC):
            raise AssertionError(f"static agent missing: run container/build-static.sh ({STATIC})")
        cls.mysql = MariaDB()
        cls.pg = Postgres()
        cls.mysql.recreate("static_src")
        cls.mysql.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); "
                          "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'c')", "static_src")
        cls.mysql_dump = gzip.compress(cls.mysql.dump("static_src"))
        cls.pg.psql("DROP DATABASE IF EXISTS static_src")
        cls.pg.psql("CREATE DATABASE static_src")
        cls.pg.psql("CREATE TABLE t (id int PRIMARY KEY, v text); "
                    "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 50) g", "static_src")
        cls.pg_dump = gzip.compress(subprocess.run(["pg_dump", "-d", "static_src"], env=cls.pg.env,
                                                   stdout=subprocess.PIPE, check=True).stdout)

    def make_root(self):
        """An empty root: the agent, etc/hosts and the backups, readable by any uid."""
        root = self.path("root")
        os.makedirs(os.path.join(root, "etc"))
        os.makedirs(os.path.join(root, "tmp"), mode=0o1777)
        os.chmod(os.path.join(root, "tmp"), 0o1777)
        shutil.copy(STATIC, os.path.join(root, "restore-agent"))
        with open(os.path.join(root, "etc", "hosts"), "w") as f:
            f.write("127.0.0.1 system-mysql zync-database backend-redis\n")
        for name, data in (("system-mysql-backup.gz", self.mysql_dump),
                           ("zync-database-backup.gz", self.pg_dump)):
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        shutil.copy(os.path.join(FIXTURES, "rdb", "redis_50_with_streams.rdb"),
                    os.path.join(root, "backend-redis-dump.rdb"))
        for dirpath, dirnames, filenames in os.walk(root):
            os.chmod(dirpath, 0o1777 if dirpath.endswith("tmp") else 0o755)
            for f in filenames:
                os.chmod(os.path.join(dirpath, f), 0o755)
        return root

    def chroot(self, root, args, uid=None, env=None):
        cmd = [shutil.which("chroot") or "/usr/sbin/chroot"]
        if uid is not None:
            cmd.append(f"--userspec={uid}:0")
        cmd += [root, "/restore-agent", *args]
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={"PATH": "/", **(env or {})}, timeout=300)

    def test_binary(self):
        out = subprocess.run(["file", STATIC], stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertIn("statically linked", out)
        self.assertLessEqual(os.path.getsize(STATIC), 10 * 1024 * 1024)
        version = subprocess.run([STATIC, "version"], stdout=subprocess.PIPE, check=True).stdout.decode()
        self.assertIn("(static)", version)
        for plugin in ("caching_sha2_password", "sha256_password", "mysql_native_password",
                       "client_ed25519", "dialog", "mysql_clear_password"):
            self.assertIn(plugin, version)
        self.assertIn("ssl: OpenSSL", version)

    def test_restores_by_service_name_from_an_empty_root(self):
        root = self.make_root()
        myport = str(self.mysql.info["port"])
        self.mysql.drop("static_dst")
        p = self.chroot(root, ["restore-mysql", "--host", "system-mysql", "--port", myport, "--user",
                               "root", "--database", "static_dst", "--create-database",
                               "--progress", "never", "/system-mysql-backup.gz"])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.mysql.checksums("static_dst"), self.mysql.checksums("static_src"))

        self.pg.psql("DROP DATABASE IF EXISTS static_dst")
        self.pg.psql("CREATE DATABASE static_dst")
        p = self.chroot(root, ["restore-postgres", "--host", "zync-database", "--port",
                               str(self.pg.info["port"]), "--dbname", "static_dst", "--progress",
                               "never", "/zync-database-backup.gz"], env={"PGUSER": "postgres"})
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.pg.row_counts("static_dst"), {"public.t": 50})

        p = self.chroot(root, ["inspect", "--json", "/backend-redis-dump.rdb"])
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(json.loads(p.stdout)["keys"], 14)

    def test_uid_without_passwd_entry(self):
        root = self.make_root()
        args = ["restore-postgres", "--host", "zync-database", "--port", str(self.pg.info["port"]),
                "--dbname", "static_uid", "--progress", "never", "/zync-database-backup.gz"]
        # No --username, no PGUSER, no passwd entry: a clear error, not a libpq lookup failure.
        p = self.chroot(root, args, uid=ARBITRARY_UID)
        self.assertEqual(p.returncode, 2, stderr_text(p))
        self.assertIn("cannot tell which user to connect as: pass --username or set PGUSER", stderr_text(p))
        self.assertIn(f"uid {ARBITRARY_UID}", stderr_text(p))
        # nss_wrapper's passwd file, as the RHEL images generate it, names the uid.
        with open(os.path.join(root, "tmp", "passwd"), "w") as f:
            f.write(f"postgres:x:{ARBITRARY_UID}:0:PostgreSQL:/var/lib/pgsql:/bin/bash\n")
        self.pg.psql("DROP DATABASE IF EXISTS static_uid")
        self.pg.psql("CREATE DATABASE static_uid")
        p = self.chroot(root, args, uid=ARBITRARY_UID, env={"NSS_WRAPPER_PASSWD": "/tmp/passwd"})
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.pg.row_counts("static_uid"), {"public.t": 50})
        # And --username wins over everything.
        p = self.chroot(root, ["restore-mysql", "--host", "system-mysql", "--port",
                               str(self.mysql.info["port"]), "--user", "root", "--database",
                               "static_uid", "--create-database", "--progress", "never",
                               "/system-mysql-backup.gz"], uid=ARBITRARY_UID)
        self.assertEqual(p.returncode, 0, stderr_text(p))


@unittest.skipUnless(shutil.which("podman"), "podman not installed")
class Image(unittest.TestCase):
    def test_image_holds_the_static_agent(self):
        image = subprocess.run(["bash", os.path.join(REPO, "container", "build-image.sh")],
                               env=dict(os.environ, RA_STATIC_AGENT=STATIC, RA_IMAGE="localhost/restore-agent:test"),
                               stdout=subprocess.PIPE, check=True).stdout.decode().strip().splitlines()[-1]
        self.assertEqual(image, "localhost/restore-agent:test")
        config = json.loads(subprocess.run(["podman", "image", "inspect", image],
                                           stdout=subprocess.PIPE, check=True).stdout)[0]["Config"]
        self.assertNotIn(config.get("User", "0"), ("", "0", "root"))
        self.assertEqual(config["Entrypoint"], ["/restore-agent"])
        # Without running it: create a container and copy the file out.
        cid = subprocess.run(["podman", "create", image], stdout=subprocess.PIPE,
                             check=True).stdout.decode().strip()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run(["podman", "cp", f"{cid}:/restore-agent", tmp], check=True)
                with open(os.path.join(tmp, "restore-agent"), "rb") as a, open(STATIC, "rb") as b:
                    self.assertEqual(a.read(), b.read())
        finally:
            subprocess.run(["podman", "rm", "-f", cid], stdout=subprocess.DEVNULL)
        layers = json.loads(subprocess.run(["podman", "image", "inspect", image],
                                           stdout=subprocess.PIPE, check=True).stdout)[0]["RootFS"]["Layers"]
        self.assertEqual(len(layers), 1, "FROM scratch: one layer holding only the agent")


class Manifests(unittest.TestCase):
    def test_command_lines_are_accepted_by_the_agent(self):
        agent = os.environ.get("RA_AGENT", STATIC)
        files = sorted(glob.glob(os.path.join(REPO, "container", "k8s", "*.yaml")))
        self.assertGreaterEqual(len(files), 2)
        checked = 0
        for path in files:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
            for doc in docs:
                spec = doc["spec"]
                pod = spec["template"]["spec"] if "template" in spec else spec
                for container in pod.get("initContainers", []) + pod.get("containers", []):
                    if "restore-agent" not in container.get("image", ""):
                        continue
                    args = container.get("command", [])[1:] + container.get("args", [])
                    p = subprocess.run([agent, "--check-args", *args], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
                    self.assertEqual(p.returncode, 0, f"{path}: {args}: {p.stderr.decode()}")
                    self.assertEqual(p.stdout.strip(), b"ok")
                    checked += 1
        self.assertGreaterEqual(checked, 2)
        p = subprocess.run([agent, "--check-args", "restore-mysql", "--no-such-flag", "x"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 2)

    def test_compose_file_holds_the_3scale_versions_on_loopback(self):
        # container/compose.yaml cannot run here (no containers); check what it declares.
        with open(os.path.join(REPO, "container", "compose.yaml")) as f:
            services = yaml.safe_load(f)["services"]
        images = sorted(s["image"].rsplit("/", 1)[-1] for s in services.values())
        self.assertEqual(images, ["mysql:8.0", "postgres:13", "redis:6.2", "redis:7.0"])
        for name, s in services.items():
            for port in s.get("ports", []):
                self.assertTrue(port.startswith("127.0.0.1:"), f"{name}: {port}")


if __name__ == "__main__":
    unittest.main()
