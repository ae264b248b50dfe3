#!/usr/bin/env bash
# Installs dependencies, builds, and runs the default test suite (everything but the `slow` and
# `gpu` labels). Parity tests read ../shared/fixtures (or $SEGX_FIXTURES) and skip without it.
#   scripts/test.sh            default suite
#   scripts/test.sh -L parity  any ctest arguments are passed through
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$("$root/scripts/build.sh" -DSEGX_WERROR=ON)
cd "$build"
if [[ $# -eq 0 ]]; then
  set -- -LE 'slow|gpu'
fi
# The JUnit report lets .ci/run check that no parity test was skipped.
ctest --output-on-failure --parallel "$(nproc)" --timeout 900 --output-junit "$build/ctest-results.xml" "$@"
