#!/usr/bin/env bash
# Training speed of segx against the official Mask2Former, side by side in one run: the same
# model (the reference `small` config), data (synthetic n200), batch 4, 256x256 large-scale-jitter
# crops, 12544 sampled points, one data-loader worker and THREADS compute threads on each side.
# scripts/train_step_timing.py runs each trainer for ITERATIONS (default 40) and reads the
# median seconds per iteration after warm-up from the trainer's own log; scripts/bench_harness.py
# alternates the two REPEATS times (default 3) and writes the medians with the machine, date and
# commit to scripts/results/train_step.json (the README's training-speed row).
# Usage: scripts/bench_train_step.sh [BUILD_DIR]   (REPEATS, THREADS, ITERATIONS)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
fixtures=${SEGX_FIXTURES:-$root/../shared/fixtures}
if [ ! -f "$fixtures/synth/n200/panoptic_gt.json" ]; then
  echo "bench_train_step: no fixtures at '$fixtures' (set SEGX_FIXTURES)" >&2
  exit 66
fi
peers_check detectron2 mask2former
kit=${PEERS_KIT:-$root/../shared/peers}
iterations=${ITERATIONS:-40}
work=$build/bench_train_step
timing="$PY $root/scripts/train_step_timing.py"
"${harness[@]}" --bench train_step --out "$results_dir/train_step.json" --repeats "$repeats" \
  --threads "$threads" --log-dir "$work/logs" "${HARNESS_PEERS[@]}" \
  --data "synthetic n200 (640x480), batch 4, 256x256 LSJ crops, reference small Mask2Former (R50 narrow, 5 decoder layers)" \
  --job "train step, small Mask2Former, batch 4 at 256x256" \
  --segx "$timing segx $build/cli/segx $work $iterations $threads" \
  --metric '"s_per_iter": ([0-9.eE+-]+)' \
  --peer "official Mask2Former (train_net.py)" "$timing official $kit $work $iterations $threads" \
  --metric '"s_per_iter": ([0-9.eE+-]+)' \
  --note "median seconds per iteration over the second half of $iterations iterations (data loading, forward, losses, backward, AdamW step), from each trainer's own log"
