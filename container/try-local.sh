#!/usr/bin/env bash
# The main job on local throwaway servers, no cluster needed:
#   container/try-local.sh [BACKUP_DIR] [--scale N]
# installs what it needs (container/install-deps.sh), builds restore-agent and restore-launcher,
# writes a sample 3scale backup set with the real dump tools unless you give one (BACKUP_DIR: the
# files of the 3scale backup procedure), checks it, and runs `restore-launcher verify`: the whole
# set restored with the agent into throwaway MariaDB, PostgreSQL and Redis servers, and a report
# of tables and rows, databases, keys per Redis db and storage files next to what the backup
# holds. Everything runs under a temp dir that is removed at the end.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
backup=""
scale=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) backup=$(readlink -f "$1"); shift ;;
  esac
done
bash "$repo/container/install-deps.sh" >/dev/null
agent=$(bash "$repo/container/build.sh" | tail -n 1)
launcher="$(dirname "$agent")/restore-launcher"
work=$(mktemp -d /tmp/restore-launcher-try.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ -z "$backup" ]; then
  backup="$work/backup-set"
  echo "== writing a sample 3scale backup set (mariadb-dump, pg_dumpall, redis-server) in $backup"
  python3 "$repo/tests/harness/sample_backup_set.py" "$backup" --scale "$scale" >/dev/null
fi

echo "== restore-launcher plan --backup-dir $backup   (what a run against a cluster would do)"
"$launcher" plan --backup-dir "$backup" --agent "$agent" > "$work/plan.txt"
sed -n '/^Steps/,$p' "$work/plan.txt" | sed -n '1,24p'
echo "   ... (the whole plan: restore-launcher plan --backup-dir DIR)"
echo
echo "== restore-launcher verify --backup-dir $backup"
"$launcher" verify --backup-dir "$backup" --agent "$agent" --work-dir "$work/servers" \
  --report "$work/verify.json"
