#!/usr/bin/env bash
# One training experiment of the issue "OneFormer and DaTaSeg co-training that pay off": trains a
# recipe from datasets/recipes/ on images 1-160 of each synthetic draw named, predicts images
# 161-200 with `segx infer`, scores them with `segx eval pq | miou | ap` and records the figures
# (with the training time summed from metrics.jsonl, the machine and the commit) under
# "RECIPE[+TAG]@DRAW" in scripts/results/experiments.json, plus the mean over the draws of the
# same recipe. A OneFormer recipe is also scored with its semantic prompt (mIoU) and its instance
# prompt (mask AP).
#
#   scripts/train_experiment.sh RECIPE [DRAW ...] [-- KEY=VALUE ...]
#
# DRAW: n200, n200s1 (default: both) or any folder of the same kind under the fixtures' synth/
# (or an absolute path to one). The recipe is written for n200: every dataset and validation path
# with a path component "n200" is redirected to the draw by `segx train` overrides, so the one
# recipe runs on any draw. Recipes that train on weaker labels read manifests that
# scripts/derive_splits.sh makes from the draw with `segx convert derive`; this script makes them
# first. A recipe that trains on a vocabulary (its "vocabulary", e.g. the label-space experiment's
# splits/<draw>/labelspace_vocab.json) predicts the vocabulary's classes: its predictions are
# mapped back to the draw's ids through the scoring vocabulary beside it (NAME_scoring_vocab.json,
# the same classes joined by the draw's categories, made by derive_splits.sh) with
# `segx vocab apply --inverse`, and scored on the draw's full label space. KEY=VALUE after "--"
# are further `segx train` overrides (set TAG to record them under their own name). RUNS (default runs/experiments) holds the runs; an unfinished run is resumed,
# a finished one only scored. Run on an otherwise idle machine: the time is part of the result.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$(cd "${SEGX_FIXTURES:-$root/../shared/fixtures}" 2>/dev/null && pwd) || {
  echo "train_experiment: no fixtures (set SEGX_FIXTURES)" >&2
  exit 66
}
recipe=$(realpath "${1:?usage: train_experiment.sh RECIPE [DRAW ...] [-- KEY=VALUE ...]}")
shift
draws=()
while [[ $# -gt 0 && $1 != -- ]]; do draws+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
extra_overrides=("$@")
[[ ${#draws[@]} -eq 0 ]] && draws=(n200 n200s1)
runs=${RUNS:-$root/runs/experiments}
name=$(basename "$recipe" .json)${TAG:++$TAG}
results=$root/scripts/results/experiments.json

build=${SEGX_BUILD_DIR:-$root/build}
[[ -x $build/cli/segx ]] || build=$("$root/scripts/build.sh")
segx=$build/cli/segx
export SEGX_BUILD_DIR=$build

for draw in "${draws[@]}"; do
  if [[ $draw == /* ]]; then draw_dir=$draw; else draw_dir=$fixtures/synth/$draw; fi
  draw_name=$(basename "$draw_dir")
  [[ -f $draw_dir/panoptic_gt.json ]] || { echo "train_experiment: no draw at $draw_dir" >&2; exit 66; }
  splits=$runs/splits/$draw_name
  "$root/scripts/derive_splits.sh" "$draw_dir" "$splits"
  run=$runs/$name/$draw_name
  mkdir -p "$(dirname "$run")"

  # Dataset and validation paths of the recipe, redirected to this draw.
  mapfile -t overrides < <(/usr/bin/python3 "$root/scripts/experiment_overrides.py" "$recipe" \
    --draw-dir "$draw_dir" --splits "$splits")
  resume=()
  [[ -d $run ]] && resume=(--resume)
  if [[ ! -f $run/model_final.safetensors ]]; then
    "$segx" train --config "$recipe" --out-dir "$run" -j 2 "${resume[@]}" \
      "${overrides[@]}" "${extra_overrides[@]}"
  fi

  out=$run/eval_last40
  rm -rf "$out"
  mkdir -p "$out"
  "$segx" convert panoptic2manifest "$draw_dir/panoptic_gt.json" --images-dir "$draw_dir/images" \
    -o "$out/all.jsonl"
  { head -n 1 "$out/all.jsonl"; tail -n 40 "$out/all.jsonl"; } > "$out/gt.jsonl"
  # The GT things as COCO instances, for mask AP.
  "$segx" convert manifest2panoptic "$out/gt.jsonl" -o "$out/gt_panoptic.json" \
    --out-dir "$out/gt_panoptic"
  "$segx" convert panoptic2instances "$out/gt_panoptic.json" --png-dir "$out/gt_panoptic" \
    --things-only --id-start 1 -o "$out/instances_gt.json"

  infer=("$segx" infer - --config "$run/model_config.json" --weights "$run/model_final.safetensors")
  "${infer[@]}" --out-dir "$out/pred" -o "$out/pred.jsonl" < "$out/gt.jsonl"
  # Predictions in a vocabulary's classes go back to the draw's ids.
  vocabulary=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("vocabulary", ""))' \
    "$run/train_config.json")
  to_draw_ids() { :; }
  if [[ -n $vocabulary ]]; then
    scoring_vocab=${vocabulary%_vocab.json}_scoring_vocab.json
    [[ -f $scoring_vocab ]] || { echo "train_experiment: no scoring vocabulary $scoring_vocab" >&2; exit 66; }
    to_draw_ids() {
      "$segx" vocab apply "$scoring_vocab" "$1" --inverse --dataset "$draw_name" -o "$1.draw_ids"
      mv "$1.draw_ids" "$1"
    }
  fi
  to_draw_ids "$out/pred.jsonl"
  "$segx" eval pq --gt-manifest "$out/gt.jsonl" --pred-manifest "$out/pred.jsonl" \
    --json "$out/pq.json" > "$out/pq.txt"
  "$segx" eval miou --gt-manifest "$out/gt.jsonl" --pred-manifest "$out/pred.jsonl" \
    --json "$out/miou.json" > "$out/miou.txt"
  "$segx" convert panoptic2results "$out/pred.jsonl" --things-only -o "$out/results_segm.json"
  "$segx" eval ap --gt "$out/instances_gt.json" --results "$out/results_segm.json" \
    --iou-type segm --json "$out/ap.json" > "$out/ap.txt"
  prompts=()
  if grep -q '"architecture": *"oneformer"' "$run/model_config.json"; then
    # The same weights with the semantic and the instance prompt.
    "${infer[@]}" --task semantic --out-dir "$out/pred_semantic" -o "$out/pred_semantic.jsonl" \
      < "$out/gt.jsonl"
    to_draw_ids "$out/pred_semantic.jsonl"
    # The semantic prompt writes label PNGs: scored against the ground truth's semantic labels.
    "$segx" convert derive "$out/gt.jsonl" --to semantic --out-dir "$out/gt_semantic" \
      -o "$out/gt_semantic.jsonl"
    "$segx" eval miou --gt-manifest "$out/gt_semantic.jsonl" \
      --pred-manifest "$out/pred_semantic.jsonl" --manifest-labels semantic \
      --json "$out/miou_semantic_prompt.json" > "$out/miou_semantic_prompt.txt"
    "${infer[@]}" --task instance --out-dir "$out/pred_instance" -o "$out/pred_instance.jsonl" \
      < "$out/gt.jsonl"
    to_draw_ids "$out/pred_instance/results.json"
    # The instance prompt ranks every class (segx infer --task instance); mask AP is over things.
    /usr/bin/python3 - "$out/instances_gt.json" "$out/pred_instance/results.json" \
      "$out/results_instance_prompt.json" <<'PY'
import json, sys
things = {c["id"] for c in json.load(open(sys.argv[1]))["categories"]}
results = [r for r in json.load(open(sys.argv[2])) if r["category_id"] in things]
json.dump(results, open(sys.argv[3], "w"))
PY
    "$segx" eval ap --gt "$out/instances_gt.json" --results "$out/results_instance_prompt.json" \
      --iou-type segm --json "$out/ap_instance_prompt.json" > "$out/ap_instance_prompt.txt"
    prompts=(--semantic-prompt "$out/miou_semantic_prompt.json"
             --instance-prompt "$out/ap_instance_prompt.json")
  fi
  "$segx" visualize plot "$run/metrics.jsonl" -o "$out/training_curve.png"

  summary=$(/usr/bin/python3 "$root/scripts/train_results.py" --recipe "$recipe" --run "$run" \
    --eval-dir "$out" --results "$results" --key "$name@$draw_name" --draw "$draw_name" \
    --overrides "${extra_overrides[*]}" "${prompts[@]}")
  echo "train_experiment: $name@$draw_name $summary"
  grep -E '^(All|Things|Stuff) ' "$out/pq.txt" | sed 's/^/  PQ  /'
done
