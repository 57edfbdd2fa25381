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

    def psql(self, sql, db="postgres"):
        # Debian's psql 15 loads the source of every version.
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql,
                       check=True, env=self.env, stdout=subprocess.DEVNULL)

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
            src.psql(f.read() + ZYNC_ROWS.encode(), "zync_production")
        src.psql(pagila_for_postgres_15() + PAGILA_ROWS.encode(), "pagila")
        for db, encoding in zip(ODD_DATABASES, ("SQL_ASCII", "LATIN1", "UTF8")):
            quoted = '"' + db.replace('"', '""') + '"'
            src.psql(f"CREATE DATABASE {quoted} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' "
                     "TEMPLATE template0".encode())
            src.psql(FORMS.encode() + "CREATE TABLE t (s text); INSERT INTO t VALUES ('été');"
                     .encode(), db)
        cls.dump = src.dumpall()

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
        for needle in (b"\\encoding SQL_ASCII", b"\\connect -reuse-previous=on \"dbname='second db'\"",
                       b"PARTITION OF", b"INHERITS", b"CREATE UNLOGGED TABLE", b"lo_create",
                       b"setval", b"CREATE EXTENSION", b"CREATE EVENT TRIGGER", b"CREATE PUBLICATION"):
            self.assertIn(needle, self.dump)

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
