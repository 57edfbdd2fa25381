#!/usr/bin/env bash
# The test command: on a fresh Debian 12 machine installs every dependency, builds, and runs
# every test — unit tests, then integration tests against real MariaDB, PostgreSQL and Redis
# servers that the harness starts in a temp dir and always stops. Extra arguments go to ctest
# (e.g. `-L unit`, `-L integration`, `-R sakila`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash container/install-deps.sh
bash container/build.sh >/dev/null
# The static agent (tests/integration/test_static.py runs it in a chroot and builds the image).
bash container/build-static.sh >/dev/null
cd "${RA_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1200 "$@"
