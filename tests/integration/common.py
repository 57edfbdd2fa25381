"""Shared helpers of the integration tests: the agent under test, the harness's servers, and
small clients built on the real command-line tools (mariadb, mariadb-dump, psql, redis-cli)."""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import servers

AGENT = os.environ.get("RA_AGENT", "restore-agent")
UNIT_TESTS = os.environ.get("RA_UNIT_TESTS", "")
FIXTURES = os.environ.get("RA_FIXTURES_DIR",
                          os.path.join(os.path.dirname(__file__), "..", "fixtures"))


def run_agent(args, env=None, input_bytes=None, stdin=None, timeout=600):
    """Runs the agent; returns CompletedProcess with bytes stdout/stderr."""
    full_env = dict(os.environ)
    full_env.pop("MYSQL_PWD", None)
    if env:
        full_env.update(env)
    return subprocess.run([AGENT, *args], input=input_bytes, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=full_env, timeout=timeout)


class MariaDB:
    """The harness's MariaDB, driven through the real `mariadb` client."""

    version = "mariadb-10.11"

    def __init__(self, info=None):
        self.info = info or servers.load()["mariadb"]
        self.socket = self.info["socket"]

    def cmd(self, *args):
        return servers.mariadb_cmd(self.info, *args)

    def dump_cmd(self, *args):
        return ["mariadb-dump", "--no-defaults", f"--socket={self.socket}", "-uroot", *args]

    def execute(self, sql, db=None):
        args = self.cmd(*( [db] if db else []), "-e", sql)
        subprocess.run(args, check=True)

    def load(self, path_or_bytes, db=None):
        if isinstance(path_or_bytes, bytes):
            data = path_or_bytes
        else:
            with open(path_or_bytes, "rb") as f:
                data = f.read()
        subprocess.run(self.cmd(*([db] if db else [])), input=data, check=True)

    def query(self, sql, db=None):
        """Rows as lists of strings (NULL as None), via --batch (tabs, newlines escaped)."""
        out = subprocess.run(self.cmd("--batch", "--skip-column-names",
                                      *([db] if db else []), "-e", sql),
                             stdout=subprocess.PIPE, check=True).stdout
        rows = []
        for line in out.decode("utf-8", errors="surrogateescape").split("\n"):
            if line == "":
                continue
            rows.append([None if v == "NULL" else v for v in line.split("\t")])
        return rows

    def recreate(self, db):
        self.execute(f"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}`")

    def drop(self, db):
        self.execute(f"DROP DATABASE IF EXISTS `{db}`")

    def dump(self, db, *extra):
        return subprocess.run(self.dump_cmd(*extra, db), stdout=subprocess.PIPE, check=True).stdout

    def reset_gtids(self):
        """Before loading a dump that sets GTID_PURGED (MySQL with GTIDs; nothing on MariaDB)."""

    def tables(self, db):
        return [r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() "
            "AND table_type = 'BASE TABLE' ORDER BY table_name", db)]

    def checksums(self, db):
        """CHECKSUM TABLE of every base table: {table: checksum}."""
        tables = self.tables(db)
        if not tables:
            return {}
        quoted = ", ".join(f"`{t.replace('`', '``')}`" for t in tables)
        rows = self.query(f"CHECKSUM TABLE {quoted} EXTENDED", db)
        # Rows name the table as db.table, in the order asked.
        assert len(rows) == len(tables), rows
        return {t: r[1] for t, r in zip(tables, rows)}

    def row_counts(self, db):
        """{table: rows} of every base table, in one query."""
        tables = self.tables(db)
        if not tables:
            return {}
        sql = " UNION ALL ".join(
            f"SELECT {i}, COUNT(*) FROM `{t.replace('`', '``')}`" for i, t in enumerate(tables))
        return {tables[int(i)]: int(n) for i, n in self.query(sql, db)}

    def definitions(self, db):
        """Routines, triggers, views and events of db, with db's name taken out."""
        def norm(rows):
            return sorted([[(v or "").replace(f"`{db}`", "`DB`").replace(db + ".", "DB.")
                            for v in r] for r in rows])
        q = {
            "routines": "SELECT routine_name, routine_type, routine_definition, dtd_identifier, "
                        "sql_mode, security_type FROM information_schema.routines "
                        f"WHERE routine_schema = '{db}'",
            "triggers": "SELECT trigger_name, event_manipulation, event_object_table, "
                        "action_timing, action_statement, sql_mode FROM information_schema.triggers "
                        f"WHERE trigger_schema = '{db}'",
            "views": "SELECT table_name, view_definition, check_option, security_type "
                     f"FROM information_schema.views WHERE table_schema = '{db}'",
            "events": "SELECT event_name, event_definition, interval_value, interval_field, "
                      f"status FROM information_schema.events WHERE event_schema = '{db}'",
        }
        out = {k: norm(self.query(v)) for k, v in q.items()}
        # Every table's definition as SHOW CREATE TABLE gives it: columns, every index in its
        # order, foreign keys, options (the deferred indexes must come back exactly).
        out["tables"] = norm([self.query(f"SHOW CREATE TABLE `{t.replace('`', '``')}`", db)[0]
                              for t in self.tables(db)])
        return out


class Mysql97(MariaDB):
    """Oracle MySQL 9.7 of the version matrix (harness.matrix.Mysql97), driven through its own
    mysql client and mysqldump inside its chroot."""

    version = "mysql-9.7"

    def __init__(self, server):
        self.server = server
        self.socket = server.socket
        self.info = {"port": server.port, "socket": server.socket}

    def cmd(self, *args):
        return self.server.client(*args)

    def dump_cmd(self, *args):
        return self.server.dump_cmd(*args)

    def reset_gtids(self):
        # A dump of a server with GTIDs says SET @@GLOBAL.GTID_PURGED, which fails (3546) where
        # those transactions ran: each restore here starts as a fresh server would.
        self.execute("RESET BINARY LOGS AND GTIDS")


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6)


class TempDirTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ra-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p


def stderr_text(proc):
    return proc.stderr.decode(errors="replace")


def read_json(path):
    with open(path) as f:
        return json.load(f)


class Postgres:
    """A PostgreSQL cluster of the harness, driven through the real psql and pg_dump."""

    def __init__(self, info=None):
        self.info = info or servers.load()["postgres"]
        self.env = dict(os.environ, **servers.postgres_env(self.info))
        self.env.pop("PGDATABASE", None)
        self.env.pop("PGPASSWORD", None)

    def psql(self, sql, db="postgres", check=True):
        """Rows as lists of strings, from psql -At (fields split on '|')."""
        p = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        if check and p.returncode != 0:
            raise AssertionError(f"psql failed: {p.stderr.decode(errors='replace')}")
        return [line.split("|") for line in p.stdout.decode().splitlines() if line != ""]

    def run_file(self, path_or_bytes, db="postgres"):
        if isinstance(path_or_bytes, bytes):
            data = path_or_bytes
        else:
            with open(path_or_bytes, "rb") as f:
                data = f.read()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], input=data,
                       check=True, env=self.env, stdout=subprocess.DEVNULL)

    def dumpall(self, *extra):
        return subprocess.run(["pg_dumpall", *extra], stdout=subprocess.PIPE, check=True,
                              env=self.env).stdout

    def dump(self, db, *extra):
        """pg_dump of db, without the random \\restrict keys, for comparisons."""
        out = subprocess.run(["pg_dump", *extra, "-d", db], stdout=subprocess.PIPE, check=True,
                             env=self.env).stdout
        return b"\n".join(l for l in out.split(b"\n")
                          if not l.startswith((b"\\restrict ", b"\\unrestrict ")))

    def databases(self):
        return sorted(r[0] for r in self.psql(
            "SELECT datname FROM pg_database WHERE NOT datistemplate"))

    def row_counts(self, db):
        tables = [r[0] for r in self.psql(
            "SELECT schemaname || '.' || tablename FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1", db)]
        # Each table's own rows, as a dump holds them (a partitioned table's are in its partitions),
        # in one query.
        if not tables:
            return {}
        sql = " UNION ALL ".join(f"SELECT {i}, count(*) FROM ONLY {t}" for i, t in enumerate(tables))
        return {tables[int(i)]: int(n) for i, n in self.psql(sql, db)}


class Redis:
    """A redis-server of the harness, driven through the real redis-cli."""

    def __init__(self, info):
        self.info = info

    def cli(self, *args, db=0, input_bytes=None):
        p = subprocess.run(["redis-cli", "-s", self.info["socket"], "-n", str(db), *args],
                           input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise AssertionError(f"redis-cli {args}: {p.stderr.decode(errors='replace')}")
        return p.stdout.decode(errors="surrogateescape").rstrip("\n")

    def pipe(self, commands, db=0):
        """Runs many commands through one redis-cli (one per line, arguments without spaces)."""
        self.cli(db=db, input_bytes="\n".join(commands).encode() + b"\n")

    def save(self):
        self.cli("SAVE")
        return os.path.join(self.info["dir"], "dump.rdb")
