#!/usr/bin/env bash
# The learning benchmark of `segx train`: trains a recipe from scratch on the first 160 images of
# the synthetic n200 fixture (a dataset segx did not generate), predicts the last 40 with
# `segx infer` and scores them with `segx eval pq | miou | ap`. Appends the summary lines to
# scripts/bench_train_n200.results.txt and leaves the tables, reports and a training-curve
# picture in RUN_DIR/eval_last40; the same figures, with the machine and the commit, replace the
# recipe's entry in scripts/results/bench_train_n200.json (what the README's table is made from).
# The training time is the sum of the per-iteration times in RUN_DIR/metrics.jsonl (validation
# included), so a run resumed across sessions still reports the time it trained; run it on an
# otherwise idle machine, since that time is part of the result.
#
#   scripts/bench_train_n200.sh [RECIPE] [RUN_DIR]
#
# An unfinished run in RUN_DIR is resumed; a finished one is only evaluated.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${SEGX_FIXTURES:-$root/../shared/fixtures}
recipe=${1:-$root/datasets/recipes/n200_panoptic.json}
run=${2:-$root/runs/n200}
results=$root/scripts/bench_train_n200.results.txt
n200=$fixtures/synth/n200
if [[ ! -f $n200/panoptic_gt.json ]]; then
  echo "bench_train_n200: no fixtures at '$fixtures' (set SEGX_FIXTURES)" >&2
  exit 66
fi
build=$("$root/scripts/build.sh")
segx=$build/cli/segx

resume=()
[[ -d $run ]] && resume=(--resume)
"$segx" train --config "$recipe" --out-dir "$run" -j 2 "${resume[@]}"

out=$run/eval_last40
rm -rf "$out"
mkdir -p "$out"
# The validation split as a manifest: the header and the last 40 records.
"$segx" convert panoptic2manifest "$n200/panoptic_gt.json" --images-dir "$n200/images" \
  -o "$out/all.jsonl"
{ head -n 1 "$out/all.jsonl"; tail -n 40 "$out/all.jsonl"; } > "$out/gt.jsonl"

# infer keeps the records' image ids and writes PNGs + COCO panoptic JSON beside its manifest.
"$segx" infer - --config "$run/model_config.json" --weights "$run/model_final.safetensors" \
  --out-dir "$out/pred" -o "$out/pred.jsonl" < "$out/gt.jsonl"
"$segx" eval pq --gt-manifest "$out/gt.jsonl" --pred-manifest "$out/pred.jsonl" \
  --json "$out/pq.json" > "$out/pq.txt"
"$segx" eval miou --gt-manifest "$out/gt.jsonl" --pred-manifest "$out/pred.jsonl" \
  --json "$out/miou.json" > "$out/miou.txt"
# Mask AP of the thing segments (scored by the model) against the GT things.
"$segx" convert manifest2panoptic "$out/gt.jsonl" -o "$out/gt_panoptic.json" \
  --out-dir "$out/gt_panoptic"
"$segx" convert panoptic2instances "$out/gt_panoptic.json" --png-dir "$out/gt_panoptic" \
  --things-only --id-start 1 -o "$out/instances_gt.json"
"$segx" convert panoptic2results "$out/pred.jsonl" --things-only -o "$out/results_segm.json"
"$segx" eval ap --gt "$out/instances_gt.json" --results "$out/results_segm.json" \
  --iou-type segm --json "$out/ap.json" > "$out/ap.txt"
"$segx" visualize plot "$run/metrics.jsonl" -o "$out/training_curve.png"

summary=$(/usr/bin/python3 "$root/scripts/train_results.py" --recipe "$recipe" --run "$run" \
  --eval-dir "$out" --results "$root/scripts/results/bench_train_n200.json")
{
  echo "$(date -u +%FT%TZ) recipe=$(basename "$recipe") run=$run $summary"
  grep -E '^(All|Things|Stuff) ' "$out/pq.txt" | sed 's/^/  PQ  /'
  grep -A 1 -E '^ +mIoU' "$out/miou.txt" | sed 's/^/  /'
  head -n 1 "$out/ap.txt" | sed 's/^/  segm /'
} | tee -a "$results"
