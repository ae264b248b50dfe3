#!/usr/bin/env bash
# Speed of `segx convert panoptic2instances` against a decode-only pass over the same PNGs:
# 5,000 GT + 5,000 prediction 640x480 panoptic PNGs from the synthetic generator.
# Usage: scripts/bench_convert.sh [BUILD_DIR] [DATA_DIR] [RESULTS_FILE]
set -euo pipefail
build=${1:-build}
data=${2:-/tmp/segx-bench-convert}
results=${3:-scripts/bench_convert.results.txt}
threads=${SEGX_BENCH_THREADS:-2}
ninja -C "$build" -j2 segx bench_convert >/dev/null
if [ ! -f "$data/panoptic_pred.json" ]; then
  rm -rf "$data"
  "$build/cli/segx" -q convert synth --images 5000 --predictions --no-images --out "$data" --threads "$threads"
fi
{
  echo "# bench_convert: $(date -u +%FT%TZ) on $(nproc) cores, $threads threads"
  echo "# data: $data (5000 GT + 5000 prediction 640x480 PNGs)"
  # Interleaved repetitions so that other load on a shared machine hits every variant alike;
  # "CPU" is the whole process's CPU time (all threads), the steadier figure under such load.
  # The two compared passes interleave; OpenCV's (42 s of libpng) runs once, on its own.
  SEGX_BENCH_THREADS=$threads "$build/tests/bench_convert" "$data/panoptic_gt.json" "$data/panoptic_pred.json" \
    --benchmark_filter='DecodeOnly/|PanopticToInstances' --benchmark_repetitions=5 \
    --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
  SEGX_BENCH_THREADS=$threads "$build/tests/bench_convert" "$data/panoptic_gt.json" "$data/panoptic_pred.json" \
    --benchmark_filter='DecodeOnlyOpenCv'
  echo "# the CLI end to end (JSON written to stdout, discarded)"
  for f in panoptic_gt panoptic_pred; do
    /usr/bin/time -f "segx convert panoptic2instances $f.json: %e s wall, %M KiB max RSS" \
      "$build/cli/segx" -q convert panoptic2instances "$data/$f.json" -o - --threads "$threads" 2>&1 >/dev/null
  done
} 2>&1 | tee "$results"
