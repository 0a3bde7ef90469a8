#!/usr/bin/env bash
# Configures and builds meter (and its tests) into ./build. BUILD_TYPE and
# BUILD_DIR may be set; extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}"
