#!/usr/bin/env bash
# The test command: on a fresh Debian 12 machine installs every dependency and the server
# version matrix (container/install-servers.sh, cached outside the clone), builds, and runs
# every test — unit tests, then integration tests against real servers that the harness starts
# in temp dirs and always stops: Debian's MariaDB 10.11, PostgreSQL 15 and Redis 7.0, and the
# matrix (MySQL 9.7; PostgreSQL 10, 13, 17; Redis 6.0, Valkey 8.0, Redis 8.0); the image run
# with podman. Then the same tests but the matrix, the static agent, the image, the faults and
# the launcher on an ASan+UBSan build (build-asan/; Redis sync on 7.0 only), and each
# libFuzzer target for RA_FUZZ_SECONDS (default 30) after replaying its saved regression inputs. Extra arguments go to ctest (e.g. `-L unit`,
# `-L integration`, `-R sakila`); RA_SANITIZE=0 or RA_FUZZ_SECONDS=0 skip those parts.
# Each part's time is printed as it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
part() { echo "== $1: $(( SECONDS - part_started )) s"; part_started=$SECONDS; }
part_started=$SECONDS
bash container/install-deps.sh
part "dependencies"
bash container/install-servers.sh >/dev/null
part "server matrix (container/install-servers.sh)"
bash container/build.sh >/dev/null
part "build"
# The static agent (tests/integration/test_static.py runs it in a chroot, test_container.py as
# an image with podman).
bash container/build-static.sh >/dev/null
part "static build"
if [ "${RA_SANITIZE:-1}" != 0 ]; then
  # The ASan+UBSan build is made while the tests run, niced (the tests wait on servers more than
  # they use the CPU): it saves the wall time of a build.
  RA_BUILD_DIR=build-asan RA_BUILD_TYPE=Debug RA_CMAKE_ARGS="-DRA_SANITIZE=ON" \
    nice -n 19 bash container/build.sh >build-asan.log 2>&1 &
  asan_build=$!
  trap 'kill "$asan_build" 2>/dev/null || true' EXIT
fi
(cd "${RA_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 1200 "$@")
part "tests"

if [ "${RA_SANITIZE:-1}" != 0 ]; then
  echo "== the same tests on an ASan+UBSan build"
  wait "$asan_build" || { tail -n 50 build-asan.log; exit 1; }
  trap - EXIT
  # Leaks are reported by the unit tests' own run; the client libraries keep process-lifetime
  # allocations (TLS and plugin tables) that the agent cannot free. Every engine's restore paths
  # run here (restore-mysql with LOAD DATA, restore-postgres, swap, replay, sync on Redis 7.0,
  # the CLI, the sidecar); what is left out ran above and spends its time in servers and
  # processes, not in new agent code: the version matrix, the static agent and the image, the
  # server-kill faults and the launcher (a coordinator of agent runs the tests above cover).
  (cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 RA_REDIS_VERSIONS=redis-7.0 \
    ctest --output-on-failure --timeout 1200 \
    -E "test_static|test_matrix|test_container|test_faults|test_launcher" "$@")
  ASAN_OPTIONS=detect_leaks=1 build-asan/unit_tests >/dev/null
  part "ASan+UBSan build and tests"
fi

if [ "${RA_FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== libFuzzer targets, ${RA_FUZZ_SECONDS:-30} s each"
  bash container/fuzz.sh "${RA_FUZZ_SECONDS:-30}"
  part "fuzzers"
fi
