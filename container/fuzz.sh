#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, with ASan and UBSan) in build-fuzz/, replays every saved
# regression input (tests/fuzz/regressions/TARGET/), then fuzzes each target for SECONDS
# (default 30) from a seed corpus made of the fixtures. A crash leaves its input in
# build-fuzz/crashes/TARGET/ and fails the script: add it to tests/fuzz/regressions/TARGET/.
#
#   container/fuzz.sh [SECONDS] [TARGET...]      targets: mysql_splitter pg_splitter rdb_reader inflate
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(mysql_splitter pg_splitter rdb_reader inflate)
out=${RA_FUZZ_BUILD:-$repo/build-fuzz}
fixtures=${RA_FIXTURES_DIR:-$repo/tests/fixtures}

CC=clang CXX=clang++ cmake -S "$repo" -B "$out" -DRA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j"$(nproc)" >/dev/null

# Seeds: the first byte of an input chooses the chunk size (tests/fuzz/fuzz_common.h).
seed() {  # seed TARGET NAME < bytes
  local dir="$out/corpus/$1"
  mkdir -p "$dir"
  { printf '\077'; cat; } > "$dir/$2"
}
mkdir -p "$out/corpus"
for f in "$fixtures"/mysql/*.sql; do
  head -c 16384 "$f" | seed mysql_splitter "$(basename "$f")"
  head -c 16384 "$f" | gzip -c | seed inflate "$(basename "$f").gz"
done
for f in "$fixtures"/postgres/*.sql; do
  head -c 16384 "$f" | seed pg_splitter "$(basename "$f")"
done
for f in "$fixtures"/rdb/*.rdb; do
  [ "$(stat -c %s "$f")" -le 65536 ] && seed rdb_reader "$(basename "$f")" < "$f"
done
printf 'SELECT 1;\n' | gzip -c | seed inflate two-members-a.gz
{ printf 'a'; } | gzip -c >> "$out/corpus/inflate/two-members-a.gz"

failed=0
for t in "${targets[@]}"; do
  exe="$out/fuzz_$t"
  regressions="$repo/tests/fuzz/regressions/$t"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "fuzz: $t: replaying $(ls "$regressions" | wc -l) regression inputs"
    "$exe" -runs=0 "$regressions"/* >/dev/null 2>&1 || { echo "fuzz: $t: a regression input fails"; failed=1; }
  fi
  mkdir -p "$out/crashes/$t" "$out/work/$t"
  echo "fuzz: $t: fuzzing for ${seconds}s"
  # malloc_limit catches a single allocation driven by a claimed length; the RSS limit is higher
  # because ASan's quarantine and allocator keep freed buffers in the fuzzing process.
  if ! "$exe" -max_total_time="$seconds" -max_len=65536 -timeout=10 -malloc_limit_mb=2048 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$out/crashes/$t/" "$out/work/$t" "$out/corpus/$t" \
      > "$out/$t.log" 2>&1; then
    echo "fuzz: $t: FAILED, see $out/$t.log and $out/crashes/$t/"
    tail -n 30 "$out/$t.log"
    failed=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$out/$t.log" | tail -n 2 | sed "s/^/fuzz: $t: /"
  fi
done
exit $failed
