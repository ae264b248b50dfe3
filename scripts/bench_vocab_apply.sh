#!/usr/bin/env bash
# Throughput of `segx vocab apply` (forward and --inverse) on a large manifest, next to a Python
# json.loads/json.dumps pass doing the same category-id rewrite. Needs ../shared/fixtures.
# Usage: scripts/bench_vocab_apply.sh [build-dir] [records]   -> results in build/bench_vocab_apply.txt
set -euo pipefail
BUILD=${1:-build}
N=${2:-20000}
SEGX=$BUILD/cli/segx
FIX=${SEGX_FIXTURES:-$(dirname "$0")/../../shared/fixtures}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
$SEGX -q convert panoptic2manifest "$FIX/real/panopticapi_sample/panoptic_examples.json" --name coco_panoptic -o "$TMP/m2.jsonl"
{ head -1 "$TMP/m2.jsonl"; for ((i = 0; i < N / 2; i++)); do tail -n +2 "$TMP/m2.jsonl"; done; } > "$TMP/m.jsonl"
$SEGX -q vocab build datasets/ade20k.json "$TMP/m.jsonl" -o "$TMP/v.json"
t() { local s=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $s" | bc; }
fwd=$(t $SEGX -q vocab apply "$TMP/v.json" "$TMP/m.jsonl" -o "$TMP/u.jsonl")
inv=$(t $SEGX -q vocab apply --inverse "$TMP/v.json" "$TMP/u.jsonl" -o "$TMP/b.jsonl")
cmp "$TMP/b.jsonl" "$TMP/m.jsonl"
py=$(t python3 - "$TMP/v.json" "$TMP/m.jsonl" "$TMP/p.jsonl" <<'PY'
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
)
size=$(du -m "$TMP/m.jsonl" | cut -f1)
{
  echo "segx vocab apply on $N records ($size MB, $(nproc) cores), $(date -u +%FT%TZ)"
  echo "forward:  $fwd s ($(echo "$N / $fwd" | bc) records/s)"
  echo "inverse:  $inv s (byte-identical round trip)"
  echo "python json loads/dumps rewrite: $py s; ratio python/segx = $(echo "scale=2; $py / $fwd" | bc)"
} | tee "$BUILD/bench_vocab_apply.txt"
