"""restore-mysql's fast path (--jobs > 1): INSERTs loaded as LOAD DATA LOCAL rows and secondary
indexes added after the data, on both MySQL-family servers of the version matrix. Each dump is
made by the server's own dump tool and restored by the agent (parallel, so the fast path runs)
and by the server's own client; CHECKSUM TABLE, every value read back and every definition
(SHOW CREATE TABLE included) must be equal. MySQL 9.7 ships local_infile=OFF: the agent turns
it on where it may and puts it back, also after an error; a user who may not is warned and
loaded with INSERTs."""
import os
import random
import unittest

from integration.common import TempDirTestCase, gzip_bytes, read_json, run_agent, stderr_text
from integration.test_matrix_mysql import FLAVOURS, restore, tearDownModule  # noqa: F401

SCHEMA = """
CREATE TABLE parent (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL, UNIQUE KEY code (code))
  ENGINE=InnoDB;
CREATE TABLE kinds (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  parent_id INT NULL,
  amount DECIMAL(30,10) NULL, ratio DOUBLE NULL, f FLOAT NULL, small TINYINT UNSIGNED NULL,
  d DATE NULL, dt DATETIME(6) NULL, tm TIME(3) NULL, y YEAR NULL, ts TIMESTAMP NULL,
  e ENUM('a','b','c d') NULL, st SET('x','y','z') NULL, j JSON NULL,
  l1 VARCHAR(50) CHARACTER SET latin1 NULL,
  u3 VARCHAR(50) CHARACTER SET utf8mb3 COLLATE utf8mb3_bin NULL,
  bin VARBINARY(300) NULL, blb BLOB NULL, body TEXT NULL,
  gen_s INT AS (small * 2) STORED, gen_v VARCHAR(60) AS (CONCAT(l1, '!')) VIRTUAL,
  KEY parent (parent_id), KEY amount (amount, d), KEY gv (gen_v), FULLTEXT KEY body (body),
  UNIQUE KEY u3 (u3),
  CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE bits (id INT PRIMARY KEY, b BIT(5) NULL, KEY b (b)) ENGINE=InnoDB;
CREATE TABLE places (id INT PRIMARY KEY, pt POINT NOT NULL, name VARCHAR(20), KEY name (name))
  ENGINE=InnoDB;
CREATE TABLE plain_myisam (id INT PRIMARY KEY, v VARCHAR(20), KEY v (v)) ENGINE=MyISAM;
"""


def sql_string(b):
    """A bytes value as a hex literal (every byte as itself)."""
    return "X'" + b.hex() + "'" if b else "''"


def kinds_rows(n):
    rnd = random.Random(11)
    all_bytes = bytes(range(256))
    texts = ["plain", "tab\there", "new\nline", "back\\slash", "quote ' and \"", "\\N", "NULL",
             "emoji \U0001F600", "", "semi;colon", "\x1a\r\x00 end"]
    rows = []
    for i in range(1, n + 1):
        t = texts[i % len(texts)]
        null = i % 7 == 0
        values = [
            str(i), "NULL" if i % 5 == 0 else str(1 + i % 3),
            "NULL" if null else f"{'-' if i % 2 else ''}{rnd.randrange(10**19)}.{rnd.randrange(10**10):010d}",
            "NULL" if null else repr(rnd.choice([1.7976931348623157e308, 5e-324, -0.0, 1 / 3, 2.5e-7])),
            "NULL" if null else repr(rnd.choice([3.4e38, 1.5, -2.25e-10])),
            "NULL" if null else str(i % 256),
            "NULL" if null else f"'{1000 + i % 9000:04d}-0{1 + i % 9}-{1 + i % 28:02d}'",
            "NULL" if null else f"'2024-02-29 23:59:59.{i % 1000000:06d}'",
            "NULL" if null else f"'{'-' if i % 2 else ''}{i % 838}:59:59.{i % 1000:03d}'",
            "NULL" if null else str(1901 + i % 255),
            "NULL" if null else f"'2038-01-19 03:14:0{i % 8}'",
            "NULL" if null else "'" + ["a", "b", "c d"][i % 3] + "'",
            "NULL" if null else "'" + ["", "x", "x,z", "x,y,z"][i % 4] + "'",
            "NULL" if null else "'{\"k\": [" + str(i) + ", \"a\\\\\"b\"], \"t\": null}'",
            "NULL" if null else sql_string(("café ñ " + str(i)).encode("latin1")) + "",
            f"'€ü{i}'",
            "NULL" if null else sql_string(all_bytes[i % 256:] + all_bytes[:i % 256]),
            "NULL" if null else sql_string(all_bytes * (1 + i % 3)),
            "NULL" if null else sql_string(f"word{i % 13} {t} more text {i}".encode()),
        ]
        rows.append("(" + ",".join(values) + ")")
    return rows


class LoadDataEverywhere:
    make = None

    @classmethod
    def setUpClass(cls):
        cls.db, cls.dst = cls.make[0](), cls.make[1]()
        cls.db.recreate("ld")
        cls.db.execute(SCHEMA, "ld")
        cls.db.execute("INSERT INTO parent VALUES (1,'one'),(2,'two'),(3,'three')", "ld")
        cols = ("id,parent_id,amount,ratio,f,small,d,dt,tm,y,ts,e,st,j,l1,u3,bin,blb,body")
        rows = kinds_rows(3000)
        for k in range(0, len(rows), 500):
            cls.db.load(("SET NAMES utf8mb4; INSERT INTO kinds (" + cols + ") VALUES " +
                         ",".join(rows[k:k + 500])).encode(), "ld")
        cls.db.execute("INSERT INTO bits VALUES (1, b'10101'), (2, NULL), (3, b'0'); "
                       "INSERT INTO places VALUES (1, POINT(1.5, -2), 'a'), (2, POINT(0, 0), NULL); "
                       "INSERT INTO plain_myisam VALUES (1, 'x'), (2, NULL)", "ld")
        # Small INSERTs so that every table's rows are many jobs over the connections.
        cls.dump = cls.db.dump("ld", "--single-transaction", "--net-buffer-length=16384")
        cls.hex_dump = cls.db.dump("ld", "--single-transaction", "--hex-blob",
                                  "--net-buffer-length=16384")
        cls.source = cls.db.checksums("ld")
        cls.source_defs = cls.db.definitions("ld")
        cls.values = cls.db.query("SELECT * FROM kinds ORDER BY id", "ld")

    def restore_and_compare(self, dump, name):
        path = self.write(name + ".sql.gz", gzip_bytes(dump))
        report = self.path(name + ".json")
        p = restore(self.dst, name, path, "--jobs", "3", "--report", report)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertEqual(self.dst.checksums(name), self.source)
        self.assertEqual(self.dst.definitions(name), self.source_defs)
        self.assertEqual(self.dst.query("SELECT * FROM kinds ORDER BY id", name), self.values)
        return read_json(report), stderr_text(p)

    def test_rows_and_deferred_indexes_equal_the_servers_own_client(self):
        for dump, name in ((self.dump, "ld_agent"), (self.hex_dump, "ld_hex")):
            with self.subTest(name):
                r, _ = self.restore_and_compare(dump, name)
                # kinds and parent as rows; bits (BIT) and places (spatial) as INSERTs.
                self.assertGreater(r["load_data"]["inserts_as_rows"], 10)
                self.assertGreaterEqual(r["load_data"]["inserts_as_sql"], 2)
                self.assertEqual(r["load_data"]["rolled_back_to_sql"], 0)
                # kinds, bits, places have secondary indexes (MyISAM keeps its own).
                self.assertEqual(r["deferred_indexes"]["tables"], 3)
                self.assertEqual(r["deferred_indexes"]["indexes"], 6)
        self.dst.recreate("ld_client")
        self.dst.reset_gtids()
        self.dst.load(self.dump, "ld_client")
        self.assertEqual(self.dst.checksums("ld_client"), self.source)
        self.assertEqual(self.dst.definitions("ld_client"), self.source_defs)

    def test_insert_semantics_kept_where_rows_would_differ(self):
        # One statement per table, so that the result does not depend on which connection runs
        # first: IGNORE with a duplicate (a warning: rolled back to the INSERT), REPLACE of a
        # duplicate (rows: 3 affected for 2), a lax sql_mode with values that warn, and a
        # NO_BACKSLASH_ESCAPES session (sent as INSERT).
        sql = (b"SET NAMES utf8mb4;\n"
               b"CREATE TABLE ig (id INT PRIMARY KEY, v VARCHAR(10), KEY v (v)) ENGINE=InnoDB;\n"
               b"CREATE TABLE rp (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;\n"
               b"CREATE TABLE lax (id INT PRIMARY KEY, v VARCHAR(4), n INT) ENGINE=InnoDB;\n"
               b"CREATE TABLE nbe (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;\n"
               b"INSERT IGNORE INTO ig VALUES (1,'a'),(1,'dup'),(2,'b');\n"
               b"REPLACE INTO rp VALUES (1,'a'),(1,'b');\n"
               b"SET SESSION sql_mode = '';\n"
               b"INSERT INTO lax VALUES (1,'truncated',''),(2,'x','7abc');\n"
               b"SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES';\n"
               b"INSERT INTO nbe VALUES (1,'a\\nb'),(2,'c\\\\d');\n")
        path = self.write("sem.sql", sql)
        report = self.path("sem.json")
        p = restore(self.dst, "sem_agent", path, "--jobs", "2", "--report", report)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.dst.recreate("sem_client")
        self.dst.load(sql, "sem_client")
        for t in ("ig", "rp", "lax", "nbe"):
            q = f"SELECT * FROM {t} ORDER BY id"
            self.assertEqual(self.dst.query(q, "sem_agent"), self.dst.query(q, "sem_client"), t)
        self.assertEqual(self.dst.query("SELECT v FROM nbe ORDER BY id", "sem_agent"),
                         [["a\\\\nb"], ["c\\\\\\\\d"]])  # --batch escapes the backslashes
        r = read_json(report)["load_data"]
        self.assertEqual(r["inserts_as_rows"], 1)  # REPLACE
        self.assertEqual(r["rolled_back_to_sql"], 2)  # IGNORE's duplicate, lax's warnings
        self.assertEqual(r["inserts_as_sql"], 3)


class LocalInfileOnMysql97(TempDirTestCase):
    """MySQL 9.7 ships local_infile=OFF (as 8.0 does)."""

    @classmethod
    def setUpClass(cls):
        cls.db = FLAVOURS["mysql_9_7"][1]()
        cls.sql = (b"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10), KEY v (v)) ENGINE=InnoDB;\n" +
                   b"".join(b"INSERT INTO t VALUES (%d,'v%d');\n" % (i, i) for i in range(1, 50)))

    def local_infile(self):
        return self.db.query("SELECT @@GLOBAL.local_infile")[0][0]

    def test_turned_on_for_the_restore_and_put_back(self):
        self.assertEqual(self.local_infile(), "0")
        report = self.path("r.json")
        p = restore(self.db, "li_root", self.write("t.sql", self.sql), "--jobs", "2",
                    "--report", report)
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("turned the server's local_infile ON for the restore", stderr_text(p))
        self.assertEqual(read_json(report)["load_data"]["local_infile"], "turned on for the restore")
        self.assertEqual(read_json(report)["load_data"]["inserts_as_rows"], 49)
        self.assertEqual(self.local_infile(), "0")

    def test_put_back_after_an_error(self):
        bad = self.sql + b"INSERT INTO t VALUES (1,'duplicate');\n"
        p = restore(self.db, "li_err", self.write("bad.sql", bad), "--jobs", "2")
        self.assertEqual(p.returncode, 6, stderr_text(p))
        self.assertIn("Duplicate entry '1'", stderr_text(p))
        self.assertIn("statements 1 to 50 were applied", stderr_text(p))
        self.assertIn("put the server's local_infile back to OFF", stderr_text(p))
        self.assertEqual(self.local_infile(), "0")

    def test_a_user_who_may_not_is_warned_and_loads_inserts(self):
        self.db.execute("DROP USER IF EXISTS 'app'@'localhost'; CREATE USER 'app'@'localhost' "
                        "IDENTIFIED BY 'App-Pa55'; GRANT ALL ON li_app.* TO 'app'@'localhost'; "
                        "DROP DATABASE IF EXISTS li_app; CREATE DATABASE li_app")
        report = self.path("app.json")
        p = run_agent(["restore-mysql", "--socket", self.db.socket, "--user", "app", "--database",
                       "li_app", "--jobs", "2", "--progress", "never", "--report", report,
                       self.write("t.sql", self.sql)], env={"MYSQL_PWD": "App-Pa55"})
        self.assertEqual(p.returncode, 0, stderr_text(p))
        self.assertIn("local_infile=OFF and 'app' may not turn it on", stderr_text(p))
        self.assertIn("SET GLOBAL local_infile = ON", stderr_text(p))
        r = read_json(report)["load_data"]
        self.assertEqual((r["local_infile"], r["inserts_as_rows"], r["inserts_as_sql"]), ("off", 0, 49))
        self.assertEqual(self.db.query("SELECT COUNT(*) FROM t", "li_app"), [["49"]])
        self.assertEqual(self.local_infile(), "0")


for suffix, make in FLAVOURS.items():
    name = "LoadData_" + suffix
    globals()[name] = type(name, (LoadDataEverywhere, TempDirTestCase), {"make": make})
del name, make, suffix

if __name__ == "__main__":
    unittest.main()
