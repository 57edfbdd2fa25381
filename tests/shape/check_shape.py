#!/usr/bin/env python3
"""Checks the shape of the code, as a test (ctest label `unit`):

1. Layers: every #include "agent/..." crosses only downward. protocols/ is pure (no agent/);
   agent/core includes no engine; an engine (mysql, postgres, redis) includes core and
   protocols only; inspect likewise; the launcher includes core and its own folder, never an
   engine; only agent/cli sees everything. Each client library's header is included in its
   engine only (mysql.h, libpq-fe.h, hiredis, OpenSSL), ISA-L in the gzip stage, CLI11 in the
   command lines.
2. Function length: no function in agent/ or protocols/ is longer than 80 lines (universal-ctags
   finds each function's first and last line).

    check_shape.py [--list N]   # --list: print the N longest functions and exit 0
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAX_LINES = 80

# folder -> folders it may include from (besides itself)
ALLOWED = {
    "protocols": set(),
    "agent/core": {"protocols"},
    "agent/mysql": {"agent/core", "protocols"},
    "agent/postgres": {"agent/core", "protocols"},
    "agent/redis": {"agent/core", "protocols"},
    "agent/inspect": {"agent/core", "protocols"},
    "agent/cli": {"agent/core", "agent/mysql", "agent/postgres", "agent/redis", "agent/inspect",
                  "protocols"},
    "agent/launcher": {"agent/core"},
}
# system header (prefix) -> folders (or files) where it may be included
LIBRARY_HEADERS = {
    "mysql.h": ("agent/mysql",), "errmsg.h": ("agent/mysql",), "mysqld_error.h": ("agent/mysql",),
    "libpq-fe.h": ("agent/postgres",),
    "hiredis/": ("agent/redis",),
    "openssl/": ("agent/redis",),
    "isa-l": ("agent/core/inflate.",),
    "zlib.h": (),  # ISA-L inflates; zlib is only the client libraries' own dependency
    "CLI/": ("agent/cli", "agent/launcher/launcher_main.cpp"),
}


def sources(*dirs):
    for d in dirs:
        for base, _, files in os.walk(os.path.join(ROOT, d)):
            for f in sorted(files):
                if f.endswith((".h", ".cpp")):
                    yield os.path.relpath(os.path.join(base, f), ROOT)


def folder_of(path):
    for folder in sorted(ALLOWED, key=len, reverse=True):
        if path.startswith(folder + "/"):
            return folder
    return None


def check_layers():
    problems = []
    for path in sources("agent", "protocols"):
        here = folder_of(path)
        with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for n, line in enumerate(text.splitlines(), 1):
            m = re.match(r'\s*#\s*include\s*([<"])([^>"]+)[>"]', line)
            if not m:
                continue
            header = m.group(2)
            if m.group(1) == '"' and header.startswith(("agent/", "protocols/")):
                there = folder_of(header)
                if there != here and there not in ALLOWED[here]:
                    problems.append(f"{path}:{n}: {here} includes {header} ({there} is not below it)")
                continue
            for prefix, places in LIBRARY_HEADERS.items():
                if header.startswith(prefix) and not (places and path.startswith(places)):
                    where = " or ".join(places) if places else "no file of agent/ or protocols/"
                    problems.append(f"{path}:{n}: {header} belongs in {where}")
    return problems


def ctags():
    for name in ("ctags-universal", "universal-ctags", "ctags"):
        exe = shutil.which(name)
        if exe and b"Universal Ctags" in subprocess.run([exe, "--version"], capture_output=True).stdout:
            return exe
    sys.exit("check_shape.py: universal-ctags is needed (container/install-deps.sh installs it)")


def function_lengths():
    out = subprocess.run([ctags(), "-R", "--languages=C++", "--c++-kinds=f", "--fields=+ne",
                          "-x", "--_xformat=%{end} %{line} %N %F", "agent", "protocols"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or parts[0] == "" or not parts[0].isdigit():
            continue
        end, start, name, path = int(parts[0]), int(parts[1]), parts[2], parts[3]
        if name.startswith("__anon"):
            continue
        found.append((end - start + 1, name, f"{path}:{start}"))
    return sorted(found, reverse=True)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--list":
        for length, name, where in function_lengths()[: int(sys.argv[2])]:
            print(f"{length:4d}  {name}  {where}")
        return 0
    problems = check_layers()
    lengths = function_lengths()
    if not lengths:
        problems.append("ctags found no functions: the check itself is broken")
    for length, name, where in lengths:
        if length > MAX_LINES:
            problems.append(f"{where}: {name} is {length} lines (at most {MAX_LINES})")
    for p in problems:
        print(p)
    print(f"checked {len(list(sources('agent', 'protocols')))} files, {len(lengths)} functions "
          f"(longest {lengths[0][0] if lengths else 0} lines): "
          f"{'ok' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
