#!/usr/bin/env bash
# Fails (exit 1, listing them) when CTest's JUnit report names a skipped or not-run parity test.
# scripts/test.sh writes the report to BUILD/ctest-results.xml; .ci/run calls this where the
# shared fixtures exist, so that none of the parity tests can quietly stop running.
# Usage: scripts/check-no-skipped-parity.sh REPORT.xml
set -euo pipefail
report=${1:?usage: check-no-skipped-parity.sh REPORT.xml}
[[ -f $report ]] || { echo "check-no-skipped-parity: $report: no CTest report" >&2; exit 1; }
# One <testcase ...> element per line in CTest's report: name first, status last.
skipped=$(grep -o '<testcase name="parity\.[^"]*"[^>]*status="\(notrun\|disabled\)"' "$report" \
  | sed 's/<testcase name="\([^"]*\)".*/\1/' || true)
total=$(grep -c '<testcase name="parity\.' "$report" || true)
if [[ -n $skipped ]]; then
  echo "check-no-skipped-parity: the fixtures are present but these parity tests did not run:" >&2
  echo "$skipped" | sed 's/^/  /' >&2
  exit 1
fi
if [[ $total -eq 0 ]]; then
  echo "check-no-skipped-parity: $report lists no parity test" >&2
  exit 1
fi
echo "check-no-skipped-parity: all $total parity tests ran" >&2
