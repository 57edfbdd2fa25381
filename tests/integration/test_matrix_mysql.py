"""restore-mysql on every MySQL-family server of the version matrix (harness/matrix.py):
MariaDB 10.11 and Oracle MySQL 9.7 (the nearest to 3scale's MySQL 8.0 that Debian has). On
each, dumps are made by that server's own dump tool (mariadb-dump, mysqldump 9.7) and restored
by the agent with one connection and with the default parallel loading, and by the server's own
client; CHECKSUM TABLE and every definition must equal the source's. MySQL 9.7 adds what its
mysqldump writes (GTID_PURGED, 0900 collations, /*!80016 */, invisible columns, functional
indexes) and a caching_sha2_password login over TCP without TLS."""
import os
import random
import unittest

from harness import matrix, servers
from integration.common import (FIXTURES, MariaDB, Mysql97, TempDirTestCase, gzip_bytes,
                                 run_agent, stderr_text)

_MYSQL97 = {}  # "source" / "target" -> matrix.Mysql97


def mysql97(role):
    """A MySQL 9.7 server: the source that dumps, or the target restored into. They differ as a
    backup's server and a restore's do: a dump with GTIDs names the source's server uuid."""
    if role not in _MYSQL97:
        if "mysql-9.7" in matrix.missing():
            raise AssertionError("MySQL 9.7 is not installed: run container/install-servers.sh")
        _MYSQL97[role] = matrix.Mysql97(None).start()
    return Mysql97(_MYSQL97[role])


def tearDownModule():
    for server in _MYSQL97.values():
        server.stop()
    _MYSQL97.clear()


# name -> (source, target): MariaDB restores into the harness's server itself.
FLAVOURS = {"mariadb_10_11": (MariaDB, MariaDB),
            "mysql_9_7": (lambda: mysql97("source"), lambda: mysql97("target"))}


def restore(db, name, dump, *extra):
    """The agent restores `dump` into database `name` of `db`, with the GTID state of a server
    that has not run the dump's transactions."""
    db.drop(name)
    db.reset_gtids()
    return run_agent(["restore-mysql", "--socket", db.socket, "--user", "root", "--database",
                      name, "--create-database", "--progress", "never", *extra, dump])


class SakilaEverywhere:
    """Sakila with routines, triggers, views and an event, dumped by the server's own tool."""

    make = None

    @classmethod
    def setUpClass(cls):
        cls.db, cls.dst = cls.make[0](), cls.make[1]()
        cls.db.load(os.path.join(FIXTURES, "mysql", "sakila-schema.sql"))
        cls.db.load(os.path.join(FIXTURES, "mysql", "sakila-data.sql"))
        cls.db.execute("CREATE EVENT IF NOT EXISTS nightly_cleanup ON SCHEDULE EVERY 1 DAY "
                       "DO DELETE FROM rental WHERE return_date < '2000-01-01'", "sakila")
        # As 3scale's backup procedure dumps it.
        cls.dump = cls.db.dump("sakila", "--single-transaction", "--routines", "--triggers",
                               "--events")
        cls.source = cls.db.checksums("sakila")
        cls.source_defs = cls.db.definitions("sakila")

    def test_serial_parallel_and_the_servers_own_client_agree(self):
        path = self.write("sakila.sql.gz", gzip_bytes(self.dump))
        self.assertEqual(len(self.source), 16)
        for name, extra in (("sakila_serial", ["--jobs", "1"]), ("sakila_parallel", [])):
            with self.subTest(name):
                p = restore(self.dst, name, path, *extra)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(self.dst.checksums(name), self.source)
                self.assertEqual(self.dst.definitions(name), self.source_defs)
        self.dst.recreate("sakila_client")
        self.dst.reset_gtids()
        self.dst.load(self.dump, "sakila_client")
        self.assertEqual(self.dst.checksums("sakila_client"), self.source)
        self.assertEqual(self.dst.definitions("sakila_client"), self.source_defs)


class TrickyEverywhere:
    """Every byte value in blobs (no --hex-blob), quotes, escapes, DELIMITER and comment text in
    strings, 4-byte UTF-8, NULLs, a 5 MB row."""

    make = None

    @classmethod
    def setUpClass(cls):
        cls.db, cls.dst = cls.make[0](), cls.make[1]()
        cls.db.recreate("tricky")
        cls.db.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB, s TEXT CHARACTER SET utf8mb4 "
            "COLLATE utf8mb4_bin, n INT NULL) ENGINE=InnoDB", "tricky")
        all_bytes = bytes(range(256))
        strings = ["it's", 'say "hi"', "back\\slash\\", "semi;colon;;", "end */ comment /* start",
                   "\nDELIMITER ;;\nSELECT 1;;\nDELIMITER ;\n", "emoji \U0001F600 han 漢字",
                   "tab\tnewline\nreturn\r", "", "'; DROP TABLE t; --"]
        rows = [f"({i}, X'{(all_bytes * (i + 1)).hex()}', X'{s.encode().hex()}', "
                f"{'NULL' if i % 3 == 0 else i})" for i, s in enumerate(strings)]
        cls.db.execute("INSERT INTO t VALUES " + ",".join(rows), "tricky")
        big = random.Random(7).randbytes(5 * 1024 * 1024)
        cls.db.load(b"INSERT INTO t VALUES (200, X'" + big.hex().encode() + b"', 'big', 1);",
                    "tricky")
        cls.dump = cls.db.dump("tricky", "--single-transaction")

    def test_round_trip_serial_and_parallel(self):
        path = self.write("tricky.sql.gz", gzip_bytes(self.dump))
        for name, extra in (("tricky_serial", ["--jobs", "1"]), ("tricky_parallel", [])):
            with self.subTest(name):
                p = restore(self.dst, name, path, *extra)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(self.dst.checksums(name), self.db.checksums("tricky"))


class Mysql8Family(TempDirTestCase):
    """What MySQL 8.0 and later (here 9.7) do that MariaDB does not."""

    @classmethod
    def setUpClass(cls):
        cls.db, cls.dst = mysql97("source"), mysql97("target")
        cls.db.recreate("m8")
        cls.db.execute(
            "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, secret INT INVISIBLE, "
            "v VARBINARY(16), j JSON, INDEX ab ((a + b)), INDEX jv ((CAST(j->'$.k' AS UNSIGNED)))) "
            "DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_0900_ai_ci; "
            "INSERT INTO t (id, a, b, secret, v, j) VALUES (1, 1, 2, 42, 0x00FF0A27, "
            "'{\"k\": 5}'), (2, NULL, 3, NULL, 0x5C27, NULL)", "m8")
        cls.dump = cls.db.dump("m8", "--single-transaction", "--set-gtid-purged=ON")

    def test_dump_has_the_8_0_forms(self):
        for needle in (b"SET @@GLOBAL.GTID_PURGED", b"utf8mb4_0900_ai_ci", b"/*!80023 INVISIBLE */",
                       b"((`a` + `b`))", b"_binary "):
            self.assertIn(needle, self.dump)

    def test_gtids_invisible_columns_functional_indexes_serial_and_parallel(self):
        path = self.write("m8.sql", self.dump)
        for name, extra in (("m8_serial", ["--jobs", "1"]), ("m8_parallel", ["--jobs", "3"])):
            with self.subTest(name):
                p = restore(self.dst, name, path, *extra)
                self.assertEqual(p.returncode, 0, stderr_text(p))
                self.assertEqual(self.dst.checksums(name), self.db.checksums("m8"))
                self.assertEqual(self.dst.query("SELECT id, secret, HEX(v) FROM t ORDER BY id", name),
                                 [["1", "42", "00FF0A27"], ["2", None, "5C27"]])
                create = self.dst.query("SHOW CREATE TABLE t", name)[0][1]
                self.assertEqual(create, self.db.query("SHOW CREATE TABLE t", "m8")[0][1])

    def test_caching_sha2_password_over_tcp_without_tls(self):
        # The first login after FLUSH PRIVILEGES needs a full authentication: over TCP without
        # TLS the password goes RSA-encrypted with the server's public key, which Connector/C
        # asks the server for (as `mysql --get-server-public-key` does).
        self.db.execute("DROP USER IF EXISTS 'sha2'@'%'; CREATE USER 'sha2'@'%' IDENTIFIED WITH "
                        "caching_sha2_password BY 'Sha2-Pa55'; GRANT ALL ON *.* TO 'sha2'@'%'; "
                        "FLUSH PRIVILEGES")
        self.db.reset_gtids()
        self.db.recreate("m8_tcp")
        path = self.write("probe.sql", b"CREATE TABLE tls SELECT VARIABLE_VALUE AS cipher FROM "
                                       b"performance_schema.session_status WHERE "
                                       b"VARIABLE_NAME = 'Ssl_cipher';\n")
        p = run_agent(["restore-mysql", "--host", "127.0.0.1", "--port", str(self.db.info["port"]),
                       "--user", "sha2", "--database", "m8_tcp", "--jobs", "1", path],
                      env={"MYSQL_PWD": "Sha2-Pa55"})
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.db.query("SELECT CONCAT('[', cipher, ']') FROM tls", "m8_tcp"),
                         [["[]"]])  # no TLS
        self.assertEqual(self.db.query("SELECT plugin FROM mysql.user WHERE user = 'sha2'"),
                         [["caching_sha2_password"]])


for suffix, make in FLAVOURS.items():
    for base in (SakilaEverywhere, TrickyEverywhere):
        name = base.__name__.replace("Everywhere", "") + "_" + suffix
        globals()[name] = type(name, (base, TempDirTestCase), {"make": make})
del base, name, make, suffix

if __name__ == "__main__":
    unittest.main()
