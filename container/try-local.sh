#!/usr/bin/env bash
# The main job on a local default: installs what it needs, builds the agent, starts a throwaway
# MariaDB, makes a sample backup with the real mariadb-dump (Sakila: tables, routines, triggers,
# views) unless you give one (`try-local.sh BACKUP.sql.gz`), checks it with `inspect`, restores
# it with `restore-agent restore-mysql` into database 'restored', and prints what was restored.
# Everything runs under a temp dir, which is removed at the end with the server.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
backup=${1:-}
[ -z "$backup" ] || backup=$(readlink -f "$backup")
bash "$repo/container/install-deps.sh" >/dev/null
agent=$(bash "$repo/container/build.sh" | tail -n 1)
work=$(mktemp -d /tmp/restore-agent-try.XXXXXX)
harness="$repo/tests/harness/servers.py"
trap 'python3 "$harness" stop "$work/servers" >/dev/null; rm -rf "$work"' EXIT
python3 "$harness" start "$work/servers" --only mariadb
sock="$work/servers/mariadb/mysqld.sock"
mariadb=(mariadb --no-defaults --socket="$sock" -uroot)

if [ -z "$backup" ]; then
  fixtures="${RA_FIXTURES_DIR:-$repo/../shared/fixtures}/mysql"
  echo "== making a sample backup with mariadb-dump (Sakila from $fixtures)"
  "${mariadb[@]}" < "$fixtures/sakila-schema.sql"
  "${mariadb[@]}" < "$fixtures/sakila-data.sql"
  backup="$work/system-mysql-backup.gz"
  mariadb-dump --no-defaults --socket="$sock" -uroot --single-transaction --routines --triggers \
    --events sakila | gzip > "$backup"
fi

echo "== restore-agent inspect $backup"
"$agent" inspect "$backup"
echo
echo "== restore-agent restore-mysql (into a throwaway MariaDB, database 'restored')"
"$agent" restore-mysql --socket "$sock" --user root --database restored --create-database \
  --report "$work/report.json" "$backup"
echo
echo "== what the server now holds"
tables=$("${mariadb[@]}" -N -e "SELECT table_name FROM information_schema.tables
  WHERE table_schema = 'restored' AND table_type = 'BASE TABLE' ORDER BY table_name")
count_sql=""
for t in $tables; do
  count_sql+="${count_sql:+ UNION ALL }SELECT '$t' AS \`table\`, COUNT(*) AS \`rows\` FROM \`$t\`"
done
"${mariadb[@]}" --table restored -e "$count_sql;
  SELECT object, COUNT(*) AS n FROM (
    SELECT LOWER(routine_type) AS object FROM information_schema.routines WHERE routine_schema = 'restored'
    UNION ALL SELECT 'trigger' FROM information_schema.triggers WHERE trigger_schema = 'restored'
    UNION ALL SELECT 'view' FROM information_schema.views WHERE table_schema = 'restored') o
  GROUP BY object ORDER BY object;"
echo "report: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], r["statements"], "statements,", r["rows"], "rows in", round(r["seconds"],2), "s")' "$work/report.json")"
