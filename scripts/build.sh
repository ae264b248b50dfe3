#!/usr/bin/env bash
# Configures and builds segx into build/ (or $SEGX_BUILD_DIR). Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SEGX_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${SEGX_BUILD_TYPE:-Release} "$@" >&2
cmake --build "$build" --parallel "$(nproc)" >&2
echo "$build"
