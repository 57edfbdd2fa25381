#!/usr/bin/env bash
# Configures and builds restore-agent and its tests in build/ (RelWithDebInfo). Prints the
# agent's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${RA_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${RA_BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
echo "$PWD/$build_dir/restore-agent"
