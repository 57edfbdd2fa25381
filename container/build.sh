#!/usr/bin/env bash
# Configures and builds restore-agent and its tests in build/ (RelWithDebInfo). Prints the
# agent's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${RA_BUILD_DIR:-build}
# RA_CMAKE_ARGS: extra cmake options (container/test.sh: -DRA_SANITIZE=ON for build-asan/).
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${RA_BUILD_TYPE:-RelWithDebInfo} ${RA_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "$PWD/$build_dir/restore-agent"
