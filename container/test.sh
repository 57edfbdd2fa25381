#!/usr/bin/env bash
# The test command: on a fresh Debian 12 machine installs every dependency, builds, and runs
# every test — unit tests, then integration tests against real MariaDB, PostgreSQL and Redis
# servers that the harness starts in a temp dir and always stops; then the same tests on an
# ASan+UBSan build (build-asan/), and each libFuzzer target for RA_FUZZ_SECONDS (default 30)
# after replaying its saved regression inputs. Extra arguments go to ctest (e.g. `-L unit`,
# `-L integration`, `-R sakila`); RA_SANITIZE=0 or RA_FUZZ_SECONDS=0 skip those parts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash container/install-deps.sh
bash container/build.sh >/dev/null
# The static agent (tests/integration/test_static.py runs it in a chroot and builds the image).
bash container/build-static.sh >/dev/null
(cd "${RA_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 1200 "$@")

if [ "${RA_SANITIZE:-1}" != 0 ]; then
  echo "== the same tests on an ASan+UBSan build"
  RA_BUILD_DIR=build-asan RA_BUILD_TYPE=Debug RA_CMAKE_ARGS="-DRA_SANITIZE=ON" \
    bash container/build.sh >/dev/null
  # Leaks are reported by the unit tests' own run; the client libraries keep process-lifetime
  # allocations (TLS and plugin tables) that the agent cannot free.
  (cd build-asan && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure --timeout 1200 -E "test_static" "$@")
  ASAN_OPTIONS=detect_leaks=1 build-asan/unit_tests >/dev/null
fi

if [ "${RA_FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== libFuzzer targets, ${RA_FUZZ_SECONDS:-30} s each"
  bash container/fuzz.sh "${RA_FUZZ_SECONDS:-30}"
fi
