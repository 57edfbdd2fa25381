"""restore-postgres into every PostgreSQL of the version matrix (10, 13, 15, 17): a source cluster
of that version holds zync_production and pagila (with rows) and a corpus of every form
pg_dump and pg_dumpall write — databases whose names need quoting (a space, a quote,
non-ASCII) in other encodings and locales (so the dump has \\encoding and
\\connect -reuse-previous=on "dbname='...'"), partitioned tables, inheritance, an unlogged table,
large objects, sequences, extensions, an event trigger, a publication. It is dumped with
`pg_dumpall -c --if-exists` of that version's own client, then restored into one fresh cluster
by the agent and into another by psql -f; the two are compared by pg_dumpall."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import matrix, servers
from integration.common import FIXTURES, TempDirTestCase, run_agent, stderr_text
from integration.test_restore_postgres import PAGILA_ROWS, ZYNC_ROWS, pagila_for_postgres_15

ODD_DATABASES = ("second db", "quote'db", "ünïcödé")

FORMS = r"""
CREATE EXTENSION hstore;
CREATE EXTENSION pg_trgm;
CREATE TABLE parted (id int, region text, v text) PARTITION BY LIST (region);
CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu');
CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us');
INSERT INTO parted SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'v' || g
  FROM generate_series(1, 200) g;
CREATE TABLE parent (id int PRIMARY KEY, t text);
CREATE TABLE child (extra int) INHERITS (parent);
INSERT INTO parent VALUES (1, 'parent row');
INSERT INTO child VALUES (2, 'child row', 7);
CREATE UNLOGGED TABLE scratch (k text PRIMARY KEY, h hstore);
INSERT INTO scratch VALUES ('a', 'x=>1, y=>"two words"'), ('b', NULL);
CREATE INDEX scratch_trgm ON scratch USING gin (k gin_trgm_ops);
CREATE SEQUENCE counter START 5;
SELECT nextval('counter'), nextval('counter');
SELECT lo_from_bytea(0, '\x00ff0a5c'::bytea);
CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER audit_ddl ON ddl_command_start EXECUTE PROCEDURE on_ddl();
CREATE PUBLICATION pub FOR TABLE parent;
"""


def for_major(major, schema):
    """A schema dumped by a newer pg_dump, as PostgreSQL `major` takes it: 10 knows neither
    table access methods nor EXECUTE FUNCTION, gen_random_uuid() nor generated columns."""
    if major != "10":
        return schema
    schema = schema.replace(b"SET default_table_access_method = heap;", b"")
    schema = schema.replace(b"EXECUTE FUNCTION", b"EXECUTE PROCEDURE")
    schema = schema.replace(b"gen_random_uuid()", b"md5(random()::text)::uuid")
    return re.sub(rb" GENERATED ALWAYS AS \(.*\) STORED", b"", schema)


def normalize(dump):
    """pg_dumpall output without what differs between two restores of one backup: the random
    \\restrict keys."""
    return re.sub(rb"^\\(un)?restrict \S+$", b"", dump, flags=re.M)


class Cluster:
    """One PostgreSQL of `major` in a temp dir, reached over TCP by every client."""

    def __init__(self, major, state):
        self.major = major
        self.info = matrix.start_postgres(major, state)
        self.env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(self.info["port"]),
                        PGUSER="postgres")
        self.env.pop("PGDATABASE", None)

    def client(self, tool, *args, input_bytes=None, check=True):
        p = subprocess.run(matrix.pg_client(self.major, tool) +
                           ["-h", "127.0.0.1", "-p", str(self.info["port"]), "-U", "postgres", *args],
                           input=input_bytes, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env)
        if check and p.returncode != 0:
            raise AssertionError(f"{tool} {args}: {p.stderr.decode(errors='replace')}")
        return p

    def psql(self, sql, db="postgres", stop=True):
        # Debian's psql 15 loads the source of every version.
        subprocess.run(["psql", "-X", "-q", "-v", f"ON_ERROR_STOP={int(stop)}", "-d", db],
                       input=sql, check=True, env=self.env, stdout=subprocess.DEVNULL,
                       stderr=None if stop else subprocess.DEVNULL)

    def dumpall(self):
        return self.client("pg_dumpall", "-c", "--if-exists").stdout

    def stop(self):
        servers.stop_process(self.info["pid"])


class PostgresEverywhere:
    major = None

    @classmethod
    def setUpClass(cls):
        if f"postgresql-{cls.major}" in matrix.missing():
            raise AssertionError(f"PostgreSQL {cls.major} is not installed: run "
                                 "container/install-servers.sh")
        cls.dir = tempfile.mkdtemp(prefix=f"ra-pg{cls.major}-")
        cls.clusters = []
        src = cls.cluster("source")
        src.psql(b"CREATE ROLE zync LOGIN; CREATE DATABASE zync_production OWNER zync; "
                 b"CREATE DATABASE pagila;")
        with open(os.path.join(FIXTURES, "postgres", "zync-structure.sql"), "rb") as f:
            src.psql(for_major(cls.major, f.read()), "zync_production")
        src.psql(ZYNC_ROWS.encode(), "zync_production")  # the schema's session set search_path
        # Pagila needs PostgreSQL 12 (partitioned primary keys, ...): on 10, what it takes.
        old = cls.major == "10"
        src.psql(for_major(cls.major, pagila_for_postgres_15()), "pagila", stop=not old)
        src.psql(PAGILA_ROWS.encode(), "pagila", stop=not old)
        # On 10 every database needs a collation other than its ctype (matrix.start_postgres),
        # which only UTF8 allows here (the machine's locales are C and C.UTF-8).
        encodings = ("UTF8",) * 3 if cls.major == "10" else ("SQL_ASCII", "LATIN1", "UTF8")
        ctype = "C.UTF-8" if cls.major == "10" else "C"
        for db, encoding in zip(ODD_DATABASES, encodings):
            quoted = '"' + db.replace('"', '""') + '"'
            src.psql(f"CREATE DATABASE {quoted} ENCODING '{encoding}' LC_COLLATE 'C' "
                     f"LC_CTYPE '{ctype}' TEMPLATE template0".encode())
            src.psql(FORMS.encode() + "CREATE TABLE t (s text); INSERT INTO t VALUES ('été');"
                     .encode(), db)
        cls.dump = src.dumpall()
        if cls.major == "10":
            # pg_dump 13 (no pg_dump 10 can be had here) writes the trigger syntax of 11+; the
            # dump of a PostgreSQL 10 pod, written by its own pg_dump 10, says PROCEDURE.
            cls.dump = cls.dump.replace(b"EXECUTE FUNCTION", b"EXECUTE PROCEDURE")

    @classmethod
    def cluster(cls, name):
        c = Cluster(cls.major, os.path.join(cls.dir, name))
        cls.clusters.append(c)
        return c

    @classmethod
    def tearDownClass(cls):
        for c in getattr(cls, "clusters", []):
            c.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_dump_has_every_form(self):
        for needle in (b"\\encoding SQL_ASCII" if self.major != "10" else b"\\connect", b"\\connect -reuse-previous=on \"dbname='second db'\"",
                       b"ATTACH PARTITION", b"INHERITS", b"CREATE UNLOGGED TABLE", b"lo_create",
                       b"setval", b"CREATE EXTENSION", b"CREATE EVENT TRIGGER", b"CREATE PUBLICATION"):
            self.assertTrue(needle in self.dump, f"{needle} is not in the dump")

    def test_agent_equals_psql(self):
        path = self.write("zync-database-backup.gz", self.dump)
        for jobs in ("0", "1"):
            with self.subTest(jobs=jobs):
                agent = self.cluster(f"agent-{jobs}")
                p = run_agent(["restore-postgres", "--progress", "never", "--jobs", jobs, path],
                              env=agent.env)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                psql = self.cluster(f"psql-{jobs}")
                psql.client("psql", "-X", "-q", "-f", "-", "-d", "postgres", input_bytes=self.dump,
                            check=False)
                self.assertEqual(normalize(agent.dumpall()), normalize(psql.dumpall()))
                agent.stop()
                psql.stop()


for _major in matrix.POSTGRES:
    _name = f"Postgres{_major}"
    globals()[_name] = type(_name, (PostgresEverywhere, TempDirTestCase), {"major": _major})

if __name__ == "__main__":
    unittest.main()
