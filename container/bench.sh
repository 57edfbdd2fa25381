#!/usr/bin/env bash
# The side-by-side benchmark (tests/bench/bench.py): restore-agent against gunzip | mariadb,
# gunzip | psql, gzip -dc, redis-server's startup load and redis-cli --pipe, on the same servers,
# alternating, medians of --runs (default 3). Figures go to tests/bench/results/ (latest.json,
# latest.md, latest.png) and, with --readme, into README.md's performance table.
#
#   container/bench.sh [--runs N] [--scale 17] [--zync-scale 100] [--backend-keys 3000000]
#                      [--set DIR] [--jobs N] [--readme README.md]
#                      [--mysql SOCKET|HOST:PORT --postgres HOST:PORT --redis HOST:PORT]
#
# Without connection options it starts the test harness's servers; with them it runs against
# yours, e.g. the containers of container/compose.yaml (podman compose up -d):
#   container/bench.sh --mysql 127.0.0.1:13306 --postgres 127.0.0.1:15432 --redis 127.0.0.1:16379
# (then MYSQL_PWD / PGUSER / PGPASSWORD as the compose file sets them).
# A run at about 1 GB of SQL: container/bench.sh --scale 57 --zync-scale 330 --runs 1
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/container/install-deps.sh" >/dev/null
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
# The plot, and /usr/bin/time for wall time and peak RSS.
for p in python3-matplotlib time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
agent=$(bash "$repo/container/build.sh" | tail -n 1)
exec /usr/bin/python3 "$repo/tests/bench/bench.py" --agent "$agent" "$@"
