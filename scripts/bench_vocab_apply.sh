#!/usr/bin/env bash
# Throughput of `segx vocab apply` (forward and --inverse) on a large manifest, side by side with
# a Python json.loads/json.dumps pass doing the same category-id rewrite (not a peer tool: the
# plain-Python way of doing it). Alternating runs, REPEATS times (default 5); medians go to
# scripts/results/vocab_apply.json with the machine, date and commit (scripts/bench_harness.py).
# Needs ../shared/fixtures.
# Usage: scripts/bench_vocab_apply.sh [BUILD_DIR] [RECORDS]   (REPEATS; RECORDS default 20000)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
N=${2:-20000}
SEGX=$build/cli/segx
FIX=${SEGX_FIXTURES:-$root/../shared/fixtures}
ninja -C "$build" -j2 segx >/dev/null
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$SEGX" -q convert panoptic2manifest "$FIX/real/panopticapi_sample/panoptic_examples.json" --name coco_panoptic -o "$TMP/m2.jsonl"
{ head -1 "$TMP/m2.jsonl"; for ((i = 0; i < N / 2; i++)); do tail -n +2 "$TMP/m2.jsonl"; done; } > "$TMP/m.jsonl"
"$SEGX" -q vocab build "$root/datasets/ade20k.json" "$TMP/m.jsonl" -o "$TMP/v.json"
"$SEGX" -q vocab apply "$TMP/v.json" "$TMP/m.jsonl" -o "$TMP/u.jsonl"
"$SEGX" -q vocab apply --inverse "$TMP/v.json" "$TMP/u.jsonl" -o "$TMP/b.jsonl"
cmp "$TMP/b.jsonl" "$TMP/m.jsonl"   # the round trip is byte-identical
cat > "$TMP/rewrite.py" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
table = dict((a, b) for a, b in v["mappings"]["coco_panoptic"])
def walk(x):
    if isinstance(x, dict):
        if "category_id" in x: x["category_id"] = table[x["category_id"]]
        for val in x.values(): walk(val)
    elif isinstance(x, list):
        for e in x: walk(e)
with open(sys.argv[2]) as f, open(sys.argv[3], "w") as out:
    next(f)
    for line in f:
        r = json.loads(line); walk(r); out.write(json.dumps(r, separators=(",", ":")) + "\n")
PY
size=$(du -m "$TMP/m.jsonl" | cut -f1)
"${harness[@]}" --bench vocab_apply --out "$results_dir/vocab_apply.json" --repeats "$repeats" --threads 1 \
  --data "$N manifest records ($size MB) from the panopticapi sample" \
  --job "vocab apply" --segx "$SEGX -q vocab apply $TMP/v.json $TMP/m.jsonl -o $TMP/u.jsonl" \
    --peer "Python json loads/dumps rewrite" "$PY $TMP/rewrite.py $TMP/v.json $TMP/m.jsonl $TMP/p.jsonl" \
  --job "vocab apply --inverse" --segx "$SEGX -q vocab apply --inverse $TMP/v.json $TMP/u.jsonl -o $TMP/b.jsonl"
