#!/usr/bin/env bash
# `segx eval pq` side by side with panopticapi's pq_compute on 5,000 GT + 5,000 prediction
# 640x480 panoptic PNGs from the synthetic generator, with a decode-only pass over the same PNGs
# (build/tests/bench_eval_decode: the floor) and PQ over RLE manifests (no PNG decoded).
# segx and panopticapi run alternately REPEATS times (default 5); medians of wall time and peak
# RSS go to scripts/results/eval_pq.json with the machine, date and commit
# (scripts/bench_harness.py). Without the peers set up, segx's side only and no ratio.
# Usage: scripts/bench_eval_pq.sh [BUILD_DIR] [DATA_DIR]   (REPEATS, THREADS, SEGX_BENCH_IMAGES)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
data=${2:-/tmp/segx-bench-data}
images=${SEGX_BENCH_IMAGES:-5000}
segx=$build/cli/segx
ninja -C "$build" -j2 segx bench_eval_decode >/dev/null
if [ ! -f "$data/panoptic_pred.json" ]; then
  rm -rf "$data"
  "$segx" -q convert synth --images "$images" --predictions --no-images --out-dir "$data" --threads "$threads"
fi
for side in gt pred; do
  [ -f "$data/rle_$side.jsonl" ] || "$build/tests/bench_eval_decode" rle-manifest \
    "$data/panoptic_$side.json" "$data/panoptic_$side" "$data/rle_$side.jsonl"
done
n=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['annotations']))" "$data/panoptic_gt.json")
peers_check panopticapi
panopticapi="$PY -m panopticapi.evaluation --gt_json_file $data/panoptic_gt.json \
  --pred_json_file $data/panoptic_pred.json --gt_folder $data/panoptic_gt --pred_folder $data/panoptic_pred"
"${harness[@]}" --bench eval_pq --out "$results_dir/eval_pq.json" --repeats "$repeats" --threads "$threads" \
  --data "$n GT + $n prediction 640x480 panoptic PNGs (segx convert synth --images $n --predictions)" \
  "${HARNESS_PEERS[@]}" \
  --job "eval pq from PNGs" \
    --segx "$segx -q eval pq --gt-json $data/panoptic_gt.json --pred-json $data/panoptic_pred.json --threads $threads" \
    --floor "decode-only" "$build/tests/bench_eval_decode panoptic $threads $data/panoptic_gt $data/panoptic_pred" \
    --peer "panopticapi pq_compute ($(nproc) processes)" "$panopticapi" \
  --job "eval pq from RLE manifests (no PNG decoded)" \
    --segx "$segx -q eval pq --gt-manifest $data/rle_gt.jsonl --pred-manifest $data/rle_pred.jsonl --threads $threads" \
    --peer "panopticapi pq_compute ($(nproc) processes)" "$panopticapi" \
    --note "panopticapi reads the PNGs"
