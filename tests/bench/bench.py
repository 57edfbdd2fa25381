#!/usr/bin/env python3
"""Side-by-side benchmark of restore-agent against the tools operators use today, on the same
servers, in the same run, alternating, several times (medians and ratios reported).

    bench.py [--set DIR] [--scale 17] [--zync-scale 100] [--backend-keys 3000000] [--runs 3]
             [--mysql SOCKET|HOST:PORT] [--postgres HOST:PORT|SOCKETDIR:PORT] [--redis HOST:PORT]
             [--jobs N] [--out tests/bench/results] [--readme README.md]

Without --set it writes a 3scale-like backup set with the real dump tools (the sample set's
shape: about 300 MB of mysqldump, a zync pg_dumpall of similar size, an RDB of about 3 million
backend-redis keys). Without --mysql/--postgres/--redis it starts the test harness's servers
(tests/harness/servers.py); with them it uses those servers (for instance the containers of
container/compose.yaml) and resets their data between runs (DROP DATABASE system,
zync_production; FLUSHALL).

Measured (wall seconds with /usr/bin/time, peak RSS, client and server CPU):
  restore-mysql        restore-agent restore-mysql (--jobs) and --jobs 1  vs  gunzip -c | mariadb
  restore-postgres     restore-agent restore-postgres (--jobs) and --jobs 1  vs  gunzip -c | psql
  inspect              restore-agent inspect  vs  gzip -dc > /dev/null
  redis replay         restore-agent restore-redis replay  vs  the server's own startup load of the
                       RDB  vs  redis-cli --pipe of RESTORE commands
  redis swap           swap + restart + finish, and the time Redis is not serving
Results: OUT/latest.json (every sample), OUT/latest.md (the table), OUT/latest.png (the plot,
when matplotlib is installed); --readme FILE replaces the table between the bench markers.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "harness"))
import sample_backup_set  # noqa: E402
import servers  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """CPU of a local server: its own and its reaped children's (PostgreSQL's backends end with
    their connections and are counted by the postmaster), or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / TICKS
    except OSError:
        return None


def loaded(info_output):
    """INFO persistence says the data is loaded ("async_loading:0" is another field)."""
    return b"\nloading:0\r" in info_output


def timed(argv, env=None, server_pid=None, stdin=None):
    """Runs argv under /usr/bin/time: wall s, peak RSS MiB, client CPU s, server CPU s."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        before = cpu_seconds(server_pid)
        p = subprocess.run(["/usr/bin/time", "-f", "%e %M %U %S", "-o", t.name, *argv],
                           env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        after = cpu_seconds(server_pid)
        if p.returncode != 0:
            raise RuntimeError(f"{argv[:3]} failed ({p.returncode}): {p.stderr.decode()[-2000:]}")
        wall, rss, user, sys_ = t.read().split()[-4:]
    return {"wall": float(wall), "rss_mib": int(rss) / 1024, "cpu": float(user) + float(sys_),
            "server_cpu": None if before is None else round(after - before, 2)}


class Targets:
    """The servers benchmarked: the harness's, or the ones given as connection options."""

    def __init__(self, a, state):
        self.state = state
        self.own = {}
        if not (a.mysql and a.postgres and a.redis) or a.mysql_server != "mariadb":
            os.makedirs(state, exist_ok=True)
        self.mysql97 = None
        if a.mysql_server == "mysql-9.7":
            # Oracle MySQL 9.7 of the version matrix (its chroot); its own mysql client compares.
            sys.path.insert(0, os.path.join(ROOT, "tests"))
            from harness import matrix
            self.mysql97 = matrix.Mysql97(state).start(["--innodb-buffer-pool-size=1G"])
            self.my_args, self.my_pid = ["--socket", self.mysql97.socket], self.mysql97.pid
        elif a.mysql:
            self.my_args = (["--socket", a.mysql] if a.mysql.startswith("/") else
                            ["--host", a.mysql.rsplit(":", 1)[0], "--port", a.mysql.rsplit(":", 1)[1]])
            self.my_pid = None
        else:
            info = servers.start_mariadb(state, extra_args=["--innodb-buffer-pool-size=1G"])
            self.own["mariadb"] = info
            self.my_args, self.my_pid = ["--socket", info["socket"]], info["pid"]
        if a.postgres:
            host, port = a.postgres.rsplit(":", 1)
            self.pg_env = {"PGHOST": host, "PGPORT": port, "PGUSER": os.environ.get("PGUSER", "postgres")}
            self.pg_pid = None
        else:
            # Durable, as a production server runs (the test harness turns fsync off).
            info = servers.start_postgres(state, extra_settings=(
                "fsync=on", "synchronous_commit=on", "full_page_writes=on"))
            self.own["postgres"] = info
            with open(os.path.join(info["datadir"], "postmaster.pid")) as f:
                postmaster = int(f.readline())  # info["pid"] may be runuser's
            self.pg_env, self.pg_pid = servers.postgres_env(info), postmaster
        if a.redis:
            host, port = a.redis.rsplit(":", 1)
            self.redis_args, self.redis_pid = ["-h", host, "-p", port], None
        else:
            info = servers.start_redis(state, name="redis-target")
            self.own["redis"] = info
            self.redis_args, self.redis_pid = ["-s", info["socket"]], info["pid"]

    def mariadb(self, *args):
        if self.mysql97:
            return self.mysql97.client(*args)
        return ["mariadb", "--no-defaults", *self.my_args, "-uroot", *args]

    def pg(self):
        return dict(os.environ, **self.pg_env)

    def redis_cli(self, *args):
        return ["redis-cli", *self.redis_args, *args]

    def agent_redis(self):
        return (["--socket", self.redis_args[1]] if self.redis_args[0] == "-s" else
                ["--host", self.redis_args[1], "--port", self.redis_args[3]])

    def stop(self):
        for info in self.own.values():
            servers.stop_process(info["pid"])
        if self.mysql97:
            self.mysql97.stop()


def reset_mysql(t):
    sql = "DROP DATABASE IF EXISTS `system`; CREATE DATABASE `system`"
    if t.mysql97:  # its dump sets GTID_PURGED: a fresh server's GTID state for each restore
        sql += "; RESET BINARY LOGS AND GTIDS"
    subprocess.run(t.mariadb("-e", sql), check=True)


def reset_postgres(t):
    for sql in ("DROP DATABASE IF EXISTS zync_production", "DROP ROLE IF EXISTS zync"):
        subprocess.run(["psql", "-X", "-q", "-d", "postgres", "-c", sql], env=t.pg(), check=True,
                       stdout=subprocess.DEVNULL)


def reset_redis(t):
    subprocess.run(t.redis_cli("FLUSHALL"), check=True, stdout=subprocess.DEVNULL)


def restore_commands(rdb, path, state):
    """A RESP file of RESTORE commands for every key of `rdb` (DUMP payloads of a server that
    loaded it), as an operator would feed to redis-cli --pipe."""
    info = servers.start_redis(state, name="redis-dump", extra_args=["--dbfilename", "load.rdb"])
    try:
        servers.stop_process(info["pid"])
        shutil.copy(rdb, os.path.join(info["dir"], "load.rdb"))
        info = servers.start_redis(state, name="redis-dump", extra_args=["--dbfilename", "load.rdb"])
        s = socket.socket(socket.AF_UNIX)
        s.connect(info["socket"])
        f = s.makefile("rwb")

        def command(*args):
            out = b"*%d\r\n" % len(args)
            for x in args:
                x = x if isinstance(x, bytes) else str(x).encode()
                out += b"$%d\r\n%s\r\n" % (len(x), x)
            return out

        def reply():
            line = f.readline()
            kind, rest = line[:1], line[1:-2]
            if kind == b"$":
                n = int(rest)
                return None if n < 0 else f.read(n + 2)[:-2]
            if kind == b"*":
                return [reply() for _ in range(int(rest))]
            if kind == b":":
                return int(rest)
            if kind == b"-":
                raise RuntimeError(rest.decode())
            return rest

        with open(path, "wb") as out:
            for db in range(16):
                f.write(command("SELECT", db))
                f.flush()
                reply()
                out.write(command("SELECT", db))
                cursor = b"0"
                while True:
                    f.write(command("SCAN", cursor, "COUNT", 5000))
                    f.flush()
                    cursor, keys = reply()
                    for k in keys:
                        f.write(command("DUMP", k) + command("PTTL", k))
                    f.flush()
                    for k in keys:
                        payload, ttl = reply(), reply()
                        if payload is not None:
                            out.write(command("RESTORE", k, max(ttl, 0), payload))
                    if cursor == b"0":
                        break
        s.close()
    finally:
        servers.stop_process(info["pid"])


def startup_load(rdb, state, n):
    """Seconds from starting redis-server on `rdb` until it answers with the data loaded."""
    d = os.path.join(state, f"redis-startup-{n}")
    os.makedirs(d, exist_ok=True)
    shutil.copy(rdb, os.path.join(d, "dump.rdb"))
    sock = os.path.join(d, "redis.sock")
    start = time.monotonic()
    proc = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--dir", d,
                             "--save", "", "--appendonly", "no", "--logfile", os.path.join(d, "log")])
    while True:
        r = subprocess.run(["redis-cli", "-s", sock, "INFO", "persistence"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        if r.returncode == 0 and loaded(r.stdout):
            break
        time.sleep(0.005)
    wall = time.monotonic() - start
    proc.terminate()
    proc.wait()
    shutil.rmtree(d, ignore_errors=True)
    return {"wall": round(wall, 3)}


class GapPoller(threading.Thread):
    """GET over one connection every millisecond: the longest time without a valid reply."""

    def __init__(self, sock_path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(sock_path)
        self.stop = False
        self.longest = 0.0

    def run(self):
        f = self.sock.makefile("rb")
        last_ok = time.monotonic()
        while not self.stop:
            self.sock.sendall(b"*2\r\n$3\r\nGET\r\n$5\r\nold:0\r\n")
            line = f.readline()
            if line.startswith(b"$"):
                if line.strip() != b"$-1":
                    f.readline()
                now = time.monotonic()
                self.longest = max(self.longest, now - last_ok)
                last_ok = now
            time.sleep(0.001)


def sync_cycle(agent, rdb, state, n):
    """restore-redis sync into a local redis-server (append-only on, old data), as swap_cycle's:
    the total (durability included), when the new data was served, the longest time without a
    valid reply to a client polling GET."""
    d = os.path.join(state, f"redis-sync-{n}")
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "redis.sock")
    p = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--dir", d,
                          "--appendonly", "yes", "--logfile", os.path.join(d, "log")])
    while subprocess.run(["redis-cli", "-s", sock, "PING"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL).returncode != 0:
        time.sleep(0.005)
    subprocess.run(["redis-cli", "-s", sock, "DEBUG", "POPULATE", "100000", "old"],
                   stdout=subprocess.DEVNULL)
    report = os.path.join(d, "report.json")
    poller = GapPoller(sock)
    poller.start()
    r = timed([agent, "restore-redis", "sync", "--socket", sock, "--progress", "never",
               "--journal", os.path.join(d, "journal"), "--report", report, rdb])
    poller.stop = True
    poller.join()
    with open(report) as f:
        new_data = json.load(f)["seconds_to_new_data"]
    p.terminate()
    p.wait()
    shutil.rmtree(d, ignore_errors=True)
    return {"wall": r["wall"], "rss_mib": r["rss_mib"], "cpu": r["cpu"],
            "new_data": round(new_data, 3), "not_serving": round(poller.longest, 3)}


def swap_cycle(agent, rdb, state, n):
    """swap --as-aof-base, restart, finish on a local redis-server with old data; returns the
    total and the time Redis was not serving (stop until it answers with the backup loaded)."""
    d = os.path.join(state, f"redis-swap-{n}")
    os.makedirs(d, exist_ok=True)
    sock = os.path.join(d, "redis.sock")
    cmd = ["redis-server", "--port", "0", "--unixsocket", sock, "--dir", d, "--appendonly", "yes",
           "--logfile", os.path.join(d, "log")]

    def start():
        p = subprocess.Popen(cmd)
        while True:
            r = subprocess.run(["redis-cli", "-s", sock, "INFO", "persistence"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            if r.returncode == 0 and loaded(r.stdout):
                return p
            time.sleep(0.005)

    p = start()
    subprocess.run(["redis-cli", "-s", sock, "DEBUG", "POPULATE", "100000", "old"],
                   stdout=subprocess.DEVNULL)
    t0 = time.monotonic()
    swap = timed([agent, "restore-redis", "swap", "--socket", sock, "--as-aof-base", "--progress",
                  "never", rdb])
    t1 = time.monotonic()
    p.terminate()
    p.wait()
    p = start()
    t2 = time.monotonic()
    finish = timed([agent, "restore-redis", "finish", "--socket", sock])
    t3 = time.monotonic()
    p.terminate()
    p.wait()
    shutil.rmtree(d, ignore_errors=True)
    return {"wall": round(t3 - t0, 3), "swap": swap["wall"], "not_serving": round(t2 - t1, 3),
            "finish": finish["wall"], "rss_mib": max(swap["rss_mib"], finish["rss_mib"])}


def median(samples, key):
    values = [s[key] for s in samples if s.get(key) is not None]
    return round(statistics.median(values), 3) if values else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", help="an existing backup set (else one is generated)")
    p.add_argument("--scale", type=float, default=17)
    p.add_argument("--zync-scale", type=float, default=100)
    p.add_argument("--backend-keys", type=int, default=3_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--jobs", type=int, default=0, help="--jobs for the agent (0: its default)")
    p.add_argument("--mysql")
    p.add_argument("--mysql-server", choices=["mariadb", "mysql-9.7"], default="mariadb",
                   help="the MySQL started when --mysql is not given: the harness's MariaDB, or "
                        "Oracle MySQL 9.7 of the version matrix (compared with its mysql client)")
    p.add_argument("--postgres")
    p.add_argument("--redis")
    p.add_argument("--agent", default=os.path.join(ROOT, "build", "restore-agent"))
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "bench", "results"))
    p.add_argument("--label", default="", help="a name for this run in the results")
    p.add_argument("--readme", help="README to update between the bench markers")
    p.add_argument("--parts", default="mysql,postgres,inspect,redis",
                   help="what to measure, comma-separated (the table shows what was measured)")
    a = p.parse_args()
    parts = set(a.parts.split(","))

    work = tempfile.mkdtemp(prefix="ra-bench-")
    state = os.path.join(work, "servers")
    targets = None
    try:
        bset = a.set
        if not bset:
            bset = os.path.join(work, "set")
            print(f"bench: writing the backup set (scale {a.scale}, zync {a.zync_scale}, "
                  f"{a.backend_keys} backend keys)", flush=True)
            sample_backup_set.make(bset, a.scale, a.zync_scale, a.backend_keys)
        my_gz = os.path.join(bset, "system-mysql-backup.gz")
        pg_gz = os.path.join(bset, "zync-database-backup.gz")
        rdb = os.path.join(bset, "backend-redis-dump.rdb")
        targets = Targets(a, state)
        if targets.mysql97:
            my_gz = mysql97_dump(a.agent, targets, my_gz, work)
        sizes = measure_sizes(a.agent, my_gz, pg_gz, rdb)
        resp = os.path.join(work, "restore.resp")
        restore_commands(rdb, resp, state)
        jobs = ["--jobs", str(a.jobs)] if a.jobs else []
        samples = {k: [] for k in ("mysql_agent", "mysql_agent_serial", "mysql_client", "pg_agent",
                                   "pg_agent_serial", "pg_psql", "inspect_agent", "inspect_gzip",
                                   "replay_agent", "redis_startup", "redis_pipe", "swap", "sync")}
        for run in range(a.runs):
            print(f"bench: run {run + 1}/{a.runs}", flush=True)
            order = [0, 1, 2] if run % 2 == 0 else [2, 1, 0]  # alternate who goes first
            my = [("mysql_agent", [a.agent, "restore-mysql", *targets.my_args, "--user", "root",
                                   "--database", "system", "--progress", "never", *jobs, my_gz]),
                  ("mysql_agent_serial", [a.agent, "restore-mysql", *targets.my_args, "--user",
                                          "root", "--database", "system", "--progress", "never",
                                          "--jobs", "1", my_gz]),
                  ("mysql_client", ["bash", "-c", f"gunzip -c '{my_gz}' | " +
                                    " ".join(targets.mariadb("system"))])]
            for i in order if "mysql" in parts else []:
                reset_mysql(targets)
                samples[my[i][0]].append(timed(my[i][1], server_pid=targets.my_pid))
            pg = [("pg_agent", [a.agent, "restore-postgres", "--progress", "never", *jobs, pg_gz]),
                  ("pg_agent_serial", [a.agent, "restore-postgres", "--progress", "never", "--jobs",
                                       "1", pg_gz]),
                  ("pg_psql", ["bash", "-c", f"gunzip -c '{pg_gz}' | psql -X -q -d postgres "
                                             "> /dev/null 2>&1"])]
            for i in order if "postgres" in parts else []:
                reset_postgres(targets)
                samples[pg[i][0]].append(timed(pg[i][1], env=targets.pg(), server_pid=targets.pg_pid))
            ins = [("inspect_agent", [a.agent, "inspect", "--progress", "never", my_gz]),
                   ("inspect_gzip", ["bash", "-c", f"gzip -dc '{my_gz}' > /dev/null"])]
            for i in (order[:2] if run % 2 == 0 else [1, 0]) if "inspect" in parts else []:
                samples[ins[i][0]].append(timed(ins[i][1]))
            if "redis" not in parts:
                continue
            reset_redis(targets)
            samples["replay_agent"].append(timed([a.agent, "restore-redis", "replay",
                                                  *targets.agent_redis(), "--progress", "never", rdb],
                                                 server_pid=targets.redis_pid))
            reset_redis(targets)
            with open(resp, "rb") as f:
                samples["redis_pipe"].append(timed(targets.redis_cli("--pipe"), stdin=f,
                                                   server_pid=targets.redis_pid))
            samples["redis_startup"].append(startup_load(rdb, state, run))
            samples["swap"].append(swap_cycle(a.agent, rdb, state, run))
            samples["sync"].append(sync_cycle(a.agent, rdb, state, run))

        med = {k: {m: median(v, m) for m in ("wall", "rss_mib", "cpu", "server_cpu", "not_serving",
                                              "swap", "finish", "new_data")}
               for k, v in samples.items()}
        result = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  "label": a.label, "machine": f"{os.cpu_count()} CPUs", "runs": a.runs,
                  "jobs": a.jobs or os.cpu_count(), "sizes": sizes, "medians": med, "samples": samples,
                  "mysql_server": a.mysql_server,
                  "targets": "given" if a.mysql else "harness servers"}
        write_results(result, a.out, a.readme)
    finally:
        if targets:
            targets.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure_sizes(agent, my_gz, pg_gz, rdb):
    sizes = {}
    for name, path in (("mysql", my_gz), ("postgres", pg_gz)):
        out = subprocess.run([agent, "inspect", "--json", path], stdout=subprocess.PIPE, check=True)
        j = json.loads(out.stdout)
        sizes[name] = {"gzip_mb": round(os.path.getsize(path) / 1e6, 1),
                       "sql_mb": round(j["uncompressed_bytes"] / 1e6, 1),
                       "rows": j["contents"]["rows"]}
    j = json.loads(subprocess.run([agent, "inspect", "--json", rdb], stdout=subprocess.PIPE,
                                  check=True).stdout)
    sizes["redis"] = {"rdb_mb": round(os.path.getsize(rdb) / 1e6, 1), "keys": j["keys"]}
    print("bench: sizes", json.dumps(sizes), flush=True)
    return sizes


def mysql97_dump(agent, targets, my_gz, work):
    """The set's system database as MySQL 9.7's own mysqldump writes it (the set's is MariaDB's,
    whose first line MySQL's client does not read): restored by the agent, dumped again."""
    reset_mysql(targets)
    subprocess.run([agent, "restore-mysql", *targets.my_args, "--user", "root", "--database",
                    "system", "--progress", "never", my_gz], check=True)
    out = os.path.join(work, "system-mysql97.gz")
    with open(out, "wb") as f:
        dump = subprocess.Popen(targets.mysql97.dump_cmd("--single-transaction", "system"),
                                stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-c"], stdin=dump.stdout, stdout=f, check=True)
        if dump.wait() != 0:
            raise RuntimeError("mysqldump 9.7 failed")
    return out


def ratio(a, b):
    return f"{b / a:.2f}x" if a and b else "—"


def sync_note(m):
    sync, startup = m["sync"], m["redis_startup"]
    if sync["wall"] is None:
        return ""
    return (f"new data served after {sync['new_data']:.2f} s ({sync['new_data'] / startup['wall']:.2f}x "
            f"the startup load); longest wait for a reply {sync['not_serving']:.2f} s")


def table(r):
    m, s = r["medians"], r["sizes"]

    def row(what, cmd, key, vs=None, note=""):
        x = m[key]
        if x["wall"] is None:  # not measured (--parts)
            return None
        cells = [what, cmd, f"{x['wall']:.2f}", f"{x['rss_mib']:.0f} MiB" if x.get("rss_mib") else "—",
                 f"{x['cpu']:.2f}" if x.get("cpu") is not None else "—",
                 f"{x['server_cpu']:.2f}" if x.get("server_cpu") is not None else "—",
                 ratio(x["wall"], m[vs]["wall"]) if vs else note]
        return "| " + " | ".join(cells) + " |"

    j = r["jobs"]
    lines = [
        f"Medians of {r['runs']} alternating runs, {r['machine']}, {r['targets']}, --jobs {j}. "
        "Speed-up: the usual tool's wall time over the agent's.",
        "",
        "| backup | command | wall s | peak RSS | client CPU s | server CPU s | speed-up |",
        "|---|---|---|---|---|---|---|",
        row(f"{'MySQL 9.7: ' if r.get('mysql_server') == 'mysql-9.7' else ''}"
            f"mysqldump {s['mysql']['sql_mb']} MB ({s['mysql']['rows']} rows, {s['mysql']['gzip_mb']} MB gzip)",
            f"restore-agent restore-mysql --jobs {j}", "mysql_agent", "mysql_client"),
        row("", "restore-agent restore-mysql --jobs 1", "mysql_agent_serial", "mysql_client"),
        row("", "gunzip -c \\| mysql (9.7's)" if r.get("mysql_server") == "mysql-9.7"
            else "gunzip -c \\| mariadb", "mysql_client"),
        row(f"pg_dumpall {s['postgres']['sql_mb']} MB ({s['postgres']['rows']} rows, {s['postgres']['gzip_mb']} MB gzip)",
            f"restore-agent restore-postgres --jobs {j}", "pg_agent", "pg_psql"),
        row("", "restore-agent restore-postgres --jobs 1", "pg_agent_serial", "pg_psql"),
        row("", "gunzip -c \\| psql", "pg_psql"),
        row("the mysqldump gzip", "restore-agent inspect", "inspect_agent", "inspect_gzip"),
        row("", "gzip -dc > /dev/null", "inspect_gzip"),
        row(f"RDB {s['redis']['rdb_mb']} MB, {s['redis']['keys']} keys", "restore-agent restore-redis replay",
            "replay_agent", "redis_startup"),
        row("", "redis-server startup load of the RDB", "redis_startup"),
        row("", "redis-cli --pipe of RESTORE commands", "redis_pipe"),
        row("", "swap + restart + finish (total)", "swap",
            note=f"not serving {m['swap']['not_serving']:.2f} s" if m["swap"]["wall"] else ""),
        row("", "restore-agent restore-redis sync (total)", "sync",
            note=sync_note(m)),
    ]
    return "\n".join(line for line in lines if line is not None)


def write_results(r, out, readme):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(r, f, indent=1)
    md = table(r)
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        m = r["medians"]
        client = "gunzip|mysql" if r.get("mysql_server") == "mysql-9.7" else "gunzip|mariadb"
        groups = [("MySQL restore", ["mysql_agent", "mysql_agent_serial", "mysql_client"],
                   ["agent", "agent --jobs 1", client]),
                  ("PostgreSQL restore", ["pg_agent", "pg_agent_serial", "pg_psql"],
                   ["agent", "agent --jobs 1", "gunzip|psql"]),
                  ("inspect", ["inspect_agent", "inspect_gzip"], ["agent", "gzip -dc"]),
                  ("Redis", ["replay_agent", "redis_startup", "redis_pipe", "swap", "sync"],
                   ["replay", "startup load", "redis-cli --pipe", "swap cycle", "sync"])]
        groups = [g for g in groups if all(m[k]["wall"] is not None for k in g[1])]
        fig, axes = plt.subplots(1, len(groups), figsize=(max(4.5 * len(groups), 7), 4),
                                 squeeze=False)
        for ax, (title, keys, labels) in zip(axes[0], groups):
            values = [m[k]["wall"] for k in keys]
            ax.bar(labels, values,
                   color=["#2a6f97", "#61a5c2", "#c0c0c0", "#a0a0a0", "#2a6f97"][:len(keys)])
            ax.set_title(title)
            ax.set_ylabel("seconds (median)")
            ax.tick_params(axis="x", labelrotation=20)
        fig.suptitle(f"restore-agent vs the usual tools ({r['machine']}, medians of {r['runs']}, "
                     f"MySQL: {r.get('mysql_server', 'mariadb')})")
        fig.tight_layout()
        fig.savefig(os.path.join(out, "latest.png"), dpi=90)
    except ImportError:
        print("bench: matplotlib not installed: no plot")
    if readme:
        with open(readme) as f:
            text = f.read()
        start, end = "<!-- bench:start -->", "<!-- bench:end -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            _, tail = rest.split(end, 1)
            with open(readme, "w") as f:
                f.write(head + start + "\n" + md + "\n" + end + tail)


if __name__ == "__main__":
    main()
