#!/usr/bin/env bash
# The learning benchmark of `segx train`: trains a recipe from scratch on the first 160 images of
# the synthetic n200 fixture (a dataset segx did not generate), then predicts the last 40 with
# `segx infer` and scores them with `segx eval pq | miou | ap`. Appends the numbers to
# scripts/bench_train_n200.results.txt. Run with the machine otherwise idle: training time is
# part of the result.
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

start=$(date +%s)
resume=()
[[ -d $run ]] && resume=(--resume)
"$segx" train --config "$recipe" --output "$run" -j 2 "${resume[@]}"
train_s=$(($(date +%s) - start))

eval_dir=$run/eval_last40
rm -rf "$eval_dir"
mkdir -p "$eval_dir"
# The validation split: the manifest's header and its last 40 records.
"$segx" convert panoptic2manifest "$n200/panoptic_gt.json" --images-dir "$n200/images" \
  -o "$eval_dir/all.jsonl"
{ head -n 1 "$eval_dir/all.jsonl"; tail -n 40 "$eval_dir/all.jsonl"; } > "$eval_dir/gt.jsonl"
"$segx" convert manifest2panoptic "$eval_dir/gt.jsonl" -o "$eval_dir/gt.json"

"$segx" infer - --config "$run/model_config.json" --weights "$run/model_final.safetensors" \
  --out-dir "$eval_dir/pred" -o /dev/null < "$eval_dir/gt.jsonl"
"$segx" eval pq --gt-json "$eval_dir/gt.json" --gt-dir "$n200/panoptic_gt" \
  --pred-json "$eval_dir/pred/panoptic.json" --pred-dir "$eval_dir/pred/panoptic" \
  --json "$eval_dir/pq.json" | tee "$eval_dir/pq.txt"
"$segx" eval miou --gt-json "$eval_dir/gt.json" --gt-dir "$n200/panoptic_gt" \
  --pred-json "$eval_dir/pred/panoptic.json" --pred-dir "$eval_dir/pred/panoptic" \
  --json "$eval_dir/miou.json" > "$eval_dir/miou.txt"
"$segx" convert panoptic2instances "$eval_dir/gt.json" --png-dir "$n200/panoptic_gt" \
  --things-only --id-start 1 -o "$eval_dir/instances_gt.json"
"$segx" convert panoptic2results "$eval_dir/pred/panoptic.json" \
  --png-dir "$eval_dir/pred/panoptic" --things-only -o "$eval_dir/results_segm.json"
"$segx" eval ap --gt "$eval_dir/instances_gt.json" --results "$eval_dir/results_segm.json" \
  --iou-type segm --json "$eval_dir/ap.json" > "$eval_dir/ap.txt"
"$segx" visualize plot "$run/metrics.jsonl" -o "$eval_dir/training_curve.png"

summary=$(python3 - "$eval_dir" "$run/metrics.jsonl" <<'PY'
import json, sys
d, metrics = sys.argv[1], sys.argv[2]
pq = json.load(open(f"{d}/pq.json"))
miou = json.load(open(f"{d}/miou.json"))
ap = json.load(open(f"{d}/ap.json"))
def find(obj, *keys):
    for k in keys:
        obj = obj[k]
    return obj
losses = [json.loads(l) for l in open(metrics) if '"total_loss"' in l]
print(json.dumps({"pq": pq.get("summary", pq), "miou": miou.get("summary", {}),
                  "ap_segm": ap.get("stats", ap.get("summary")),
                  "iterations": losses[-1]["iteration"] + 1,
                  "loss_first": losses[0]["total_loss"], "loss_last": losses[-1]["total_loss"]}))
PY
)
{
  echo "$(date -u +%FT%TZ) recipe=$(basename "$recipe") train_wall_s=$train_s"
  echo "  $summary"
} | tee -a "$results"
