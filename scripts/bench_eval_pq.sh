#!/usr/bin/env bash
# Speed of `segx eval pq` and `segx eval miou` against a decode-only pass over the same PNGs, and
# of PQ over RLE manifests (no PNG decoded): 5,000 GT + 5,000 prediction 640x480 images from the
# synthetic generator. Reference on this machine kind: panopticapi pq_compute 39.8 s wall.
# Usage: scripts/bench_eval_pq.sh [BUILD_DIR] [DATA_DIR] [RESULTS_FILE]
set -euo pipefail
build=${1:-build}
data=${2:-/tmp/segx-bench-eval}
results=${3:-scripts/bench_eval_pq.results.txt}
threads=${SEGX_BENCH_THREADS:-2}
images=${SEGX_BENCH_IMAGES:-5000}
segx="$build/cli/segx"
ninja -C "$build" -j2 segx bench_eval_decode >/dev/null
if [ ! -f "$data/panoptic_pred.json" ]; then
  rm -rf "$data"
  "$segx" -q convert synth --images "$images" --predictions --no-images --out "$data" --threads "$threads"
fi
for side in gt pred; do
  [ -d "$data/semantic_$side" ] || "$segx" -q convert panoptic2semantic "$data/panoptic_$side.json" \
    --out-dir "$data/semantic_$side" --threads "$threads"
  [ -f "$data/rle_$side.jsonl" ] || "$build/tests/bench_eval_decode" rle-manifest \
    "$data/panoptic_$side.json" "$data/panoptic_$side" "$data/rle_$side.jsonl"
done
# Each measurement runs 3 times (the machine may be shared); compare the best of each.
t() { for _ in 1 2 3; do /usr/bin/time -f "$1: %e s wall, %M KiB max RSS" "${@:2}" 2>&1 >/dev/null | tail -1; done; }
# The decode-only pass prints its own time (decoding alone) and is timed as a whole process too
# (listing the files and start-up included, as in the eval commands' times).
d() { for _ in 1 2 3; do /usr/bin/time -f "  whole process: %e s wall, %M KiB max RSS" "$build/tests/bench_eval_decode" "$@" 2>&1; done; }
{
  echo "# bench_eval_pq: $(date -u +%FT%TZ) on $(nproc) cores, $threads threads, $images images"
  echo "# data: $data"
  d panoptic "$threads" "$data/panoptic_gt" "$data/panoptic_pred"
  t "segx eval pq (PNG)" "$segx" -q eval pq --gt-json "$data/panoptic_gt.json" \
    --pred-json "$data/panoptic_pred.json" --threads "$threads"
  t "segx eval pq (RLE manifests, no PNG decoded)" "$segx" -q eval pq \
    --gt-manifest "$data/rle_gt.jsonl" --pred-manifest "$data/rle_pred.jsonl" --threads "$threads"
  d semantic "$threads" "$data/semantic_gt" "$data/semantic_pred"
  t "segx eval miou" "$segx" -q eval miou --gt-dir "$data/semantic_gt" \
    --pred-dir "$data/semantic_pred" --num-classes 256 --ignore-index 0 --threads "$threads"
  echo "# reference: panopticapi pq_compute 39.8 s wall (2 processes) on the same kind of set"
} 2>&1 | tee "$results"
