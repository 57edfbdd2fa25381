#!/usr/bin/env python3
"""Throwaway MariaDB, PostgreSQL and Redis servers for tests, benchmarks and scripts.

Each server runs from the binaries on PATH (Debian's packages), in a temp state directory, on a
unix socket and a free loopback port, as whatever user runs the tests (root included: MariaDB
runs as root, PostgreSQL, which refuses root, as 'nobody'). `start` waits until each answers its
own readiness check; `stop` always stops them (SIGTERM, then SIGKILL) and removes the state.

    servers.py start STATE_DIR [--only mariadb,postgres,redis]
    servers.py stop STATE_DIR
    servers.py env STATE_DIR      # shell exports for scripts

The state file STATE_DIR/servers.json says how to reach each server; tests read it through
load(). Nothing here listens beyond 127.0.0.1.
"""
import argparse
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time

KINDS = ("mariadb", "postgres", "redis")
_PROCESSES = {}  # pid -> Popen of the servers this process started (reaped by stop_process)
READY_TIMEOUT = 90.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_root():
    return os.geteuid() == 0


def _pg_bindir():
    for candidate in sorted(
        (d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int, reverse=True
    ) if os.path.isdir("/usr/lib/postgresql") else []:
        path = os.path.join("/usr/lib/postgresql", candidate, "bin")
        if os.path.exists(os.path.join(path, "postgres")):
            return path
    found = shutil.which("postgres")
    if found:
        return os.path.dirname(found)
    raise RuntimeError("postgres server binaries not found (install the postgresql package)")


def _tail(path, lines=30):
    try:
        with open(path, "rb") as f:
            return b"".join(f.readlines()[-lines:]).decode(errors="replace")
    except OSError:
        return "(no log)"


def _wait_ready(name, proc, check, log):
    """Polls a readiness check (not a sleep standing in for one) until it passes."""
    _PROCESSES[proc.pid] = proc
    deadline = time.monotonic() + READY_TIMEOUT
    delay = 0.05
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} while starting:\n{_tail(log)}")
        if check():
            return
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise RuntimeError(f"{name} not ready after {READY_TIMEOUT:.0f} s:\n{_tail(log)}")


def _quiet(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw).returncode == 0


# --- MariaDB -------------------------------------------------------------------------------


def start_mariadb(state, extra_args=()):
    root = os.path.join(state, "mariadb")
    datadir = os.path.join(root, "data")
    os.makedirs(root, exist_ok=True)
    log = os.path.join(root, "error.log")
    user_args = ["--user=root"] if is_root() else []
    install = subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--datadir={datadir}",
         "--auth-root-authentication-method=normal", "--skip-test-db", *user_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if install.returncode != 0:
        raise RuntimeError("mariadb-install-db failed:\n" + install.stdout.decode(errors="replace"))
    sock = os.path.join(root, "mysqld.sock")
    port = free_port()
    mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
    cmd = [mariadbd, "--no-defaults", f"--datadir={datadir}", f"--socket={sock}", f"--port={port}",
           "--bind-address=127.0.0.1", f"--pid-file={os.path.join(root, 'mysqld.pid')}",
           f"--log-error={log}", "--max-allowed-packet=1G", "--skip-name-resolve",
           "--innodb-buffer-pool-size=256M", "--innodb-log-file-size=256M",
           "--event-scheduler=OFF", *user_args, *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    info = {"pid": proc.pid, "socket": sock, "host": "127.0.0.1", "port": port, "user": "root",
            "datadir": datadir, "log": log, "cmd": cmd}
    _wait_ready("mariadb", proc, lambda: _quiet(
        ["mariadb-admin", "--no-defaults", f"--socket={sock}", "-uroot", "ping"]), log)
    # root over TCP too (skip-name-resolve makes the client host '127.0.0.1').
    subprocess.run(mariadb_cmd(info) + ["-e",
                   "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; "
                   "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"], check=True)
    return info


def mariadb_cmd(info, *args):
    """argv of the mariadb client connected as root over the socket."""
    return ["mariadb", "--no-defaults", f"--socket={info['socket']}", "-uroot", *args]


# --- PostgreSQL ----------------------------------------------------------------------------


def _as_pg_user(cmd):
    return ["runuser", "-u", "nobody", "--", *cmd] if is_root() else cmd


def start_postgres(state, extra_settings=(), port=None, bindir=None,
                   locale_args=("--locale=C.UTF-8",)):
    root = os.path.join(state, "postgres")
    os.makedirs(root, exist_ok=True)
    if is_root():
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        # nobody must be able to reach the state dir.
        path = os.path.abspath(state)
        while path != "/":
            mode = os.stat(path).st_mode
            os.chmod(path, mode | 0o011)
            path = os.path.dirname(path)
    bindir = bindir or _pg_bindir()
    datadir = os.path.join(root, "data")
    log = os.path.join(root, "postgres.log")
    init = subprocess.run(
        _as_pg_user([os.path.join(bindir, "initdb"), "-D", datadir, "-U", "postgres",
                     "--auth=trust", "-E", "UTF8", *locale_args]),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if init.returncode != 0:
        raise RuntimeError("initdb failed:\n" + init.stdout.decode(errors="replace"))
    port = port or free_port()
    settings = ["listen_addresses=127.0.0.1", f"port={port}", f"unix_socket_directories={root}",
                "max_connections=50", "fsync=off", "synchronous_commit=off",
                "full_page_writes=off", *extra_settings]
    cmd = [os.path.join(bindir, "postgres"), "-D", datadir]
    for s in settings:
        cmd += ["-c", s]
    logf = open(log, "ab")
    if is_root():
        os.chown(log, pwd.getpwnam("nobody").pw_uid, -1)
    proc = subprocess.Popen(_as_pg_user(cmd), stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True)
    logf.close()  # the server holds its own descriptor
    info = {"pid": proc.pid, "socket_dir": root, "host": "127.0.0.1", "port": port,
            "user": "postgres", "datadir": datadir, "log": log, "bindir": bindir, "cmd": cmd}
    # The npm servers come without client programs: Debian's pg_isready asks any version.
    ready = os.path.join(bindir, "pg_isready")
    if not os.path.exists(ready):
        ready = os.path.join(_pg_bindir(), "pg_isready")
    _wait_ready("postgres", proc, lambda: _quiet(
        [ready, "-h", root, "-p", str(port), "-U", "postgres"]), log)
    return info


def postgres_env(info):
    """PG* variables that make psql, pg_dump and the agent reach this server."""
    return {"PGHOST": info["socket_dir"], "PGPORT": str(info["port"]), "PGUSER": info["user"]}


# --- Redis ---------------------------------------------------------------------------------


def start_redis(state, name="redis", extra_args=(), binary=None):
    root = os.path.join(state, name)
    os.makedirs(root, exist_ok=True)
    port = free_port()
    sock = os.path.join(root, "redis.sock")
    log = os.path.join(root, "redis.log")
    cmd = [binary or shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
           "--bind", "127.0.0.1", "--unixsocket", sock, "--unixsocketperm", "700", "--dir", root,
           "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", log,
           *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    info = {"pid": proc.pid, "socket": sock, "host": "127.0.0.1", "port": port, "dir": root,
            "log": log, "cmd": cmd}

    def ping():
        r = subprocess.run(["redis-cli", "-s", sock, "ping"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        return r.returncode == 0 and r.stdout.strip() == b"PONG"

    _wait_ready("redis", proc, ping, log)
    return info


# --- lifecycle -----------------------------------------------------------------------------

STARTERS = {"mariadb": start_mariadb, "postgres": start_postgres, "redis": start_redis}


def state_file(state):
    return os.path.join(state, "servers.json")


def load(state=None):
    """The running servers of a state dir (default: $RA_SERVERS_STATE)."""
    state = state or os.environ["RA_SERVERS_STATE"]
    with open(state_file(state)) as f:
        return json.load(f)


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_process(pid, timeout=30.0):
    """SIGTERM the server's process group, then SIGKILL; returns once it is gone."""
    proc = _PROCESSES.pop(pid, None)
    if proc is not None:
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done == pid:
                    return
            except ChildProcessError:
                if not _alive(pid):
                    return
            time.sleep(0.05)


def start(state, kinds=KINDS):
    stop(state)
    os.makedirs(state, exist_ok=True)
    os.chmod(state, 0o755)
    servers = {}
    try:
        for kind in kinds:
            servers[kind] = STARTERS[kind](state)
            with open(state_file(state), "w") as f:
                json.dump(servers, f, indent=2)
    except Exception:
        for info in servers.values():
            stop_process(info["pid"])
        raise
    return servers


def stop(state):
    try:
        servers = load(state)
    except (OSError, ValueError):
        servers = {}
    for info in servers.values():
        stop_process(info["pid"])
    if os.environ.get("RA_KEEP_SERVER_STATE") != "1":
        shutil.rmtree(state, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("start", "stop", "env"))
    parser.add_argument("state")
    parser.add_argument("--only", default=",".join(KINDS))
    args = parser.parse_args()
    state = os.path.abspath(args.state)
    if args.action == "start":
        kinds = [k for k in args.only.split(",") if k]
        for k in kinds:
            if k not in KINDS:
                parser.error(f"unknown server '{k}'")
        servers = start(state, kinds)
        for kind, info in servers.items():
            where = info.get("socket") or info.get("socket_dir")
            print(f"{kind}: pid {info['pid']}, 127.0.0.1:{info['port']}, {where}")
    elif args.action == "stop":
        stop(state)
        print("stopped")
    else:
        servers = load(state)
        if "mariadb" in servers:
            print(f"export RA_MYSQL_SOCKET={servers['mariadb']['socket']}")
            print(f"export RA_MYSQL_PORT={servers['mariadb']['port']}")
        if "postgres" in servers:
            for k, v in postgres_env(servers["postgres"]).items():
                print(f"export {k}={v}")
        if "redis" in servers:
            print(f"export RA_REDIS_SOCKET={servers['redis']['socket']}")
            print(f"export RA_REDIS_PORT={servers['redis']['port']}")


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print(f"servers.py: {e}", file=sys.stderr)
        sys.exit(1)
