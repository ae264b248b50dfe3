#!/usr/bin/env bash
# The main job on an embedded default: install, build, generate a synthetic dataset with
# perturbed predictions, convert and lint it, build a vocabulary, evaluate (PQ, mIoU, COCO AP),
# draw pictures, then train Mask2Former from scratch on 160 generated images, predict the 40
# held-out ones with the trained model and score them. Everything lands in demo/ (or $1).
# Training takes about 25 minutes on 2 idle cores; SEGX_DEMO_MAX_ITER=N stops it after N
# iterations (the model then comes from the last checkpoint).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo}
build=$("$root/scripts/build.sh")
segx="$build/cli/segx"
rm -rf "$out"
mkdir -p "$out"
step() { printf '\n== %s\n' "$*" >&2; }

step "generate 40 synthetic 640x480 images with ground truth and perturbed predictions"
"$segx" convert synth --images 40 --predictions --out-dir "$out/data"

step "convert: panoptic -> COCO instances (GT and predictions), panoptic -> semantic PNGs"
"$segx" convert panoptic2instances "$out/data/panoptic_gt.json" --things-only --id-start 1 -o "$out/instances_gt.json"
"$segx" convert panoptic2instances "$out/data/panoptic_pred.json" --things-only --id-start 1 -o "$out/instances_pred.json"
"$segx" convert panoptic2semantic "$out/data/panoptic_gt.json" --scheme category --out-dir "$out/semantic_gt"
"$segx" convert panoptic2semantic "$out/data/panoptic_pred.json" --scheme category --out-dir "$out/semantic_pred"

step "lint the ground truth"
"$segx" convert lint "$out/data/panoptic_gt.json"

step "vocab: merge COCO panoptic, ADE20K and Cityscapes label spaces by name"
"$segx" vocab build "$root/datasets/coco_panoptic.json" "$root/datasets/ade20k.json" \
  "$root/datasets/cityscapes.json" -o "$out/vocab.json"

step "eval pq (panopticapi's table)"
"$segx" eval pq --gt-json "$out/data/panoptic_gt.json" --gt-dir "$out/data/panoptic_gt" \
  --pred-json "$out/data/panoptic_pred.json" --pred-dir "$out/data/panoptic_pred" --json "$out/pq.json"

step "eval miou"
"$segx" eval miou --gt-json "$out/data/panoptic_gt.json" --gt-dir "$out/data/panoptic_gt" \
  --pred-json "$out/data/panoptic_pred.json" --pred-dir "$out/data/panoptic_pred" --json "$out/miou.json"

step "eval ap (pycocotools' 12 lines), segm from the scored prediction segments"
"$segx" convert panoptic2results "$out/data/panoptic_pred.json" --things-only -o "$out/results_segm.json"
"$segx" eval ap --gt "$out/instances_gt.json" --results "$out/results_segm.json" --iou-type segm --json "$out/ap.json"

step "visualize: overlays of the ground truth, GT | prediction, a contact sheet, a PQ bar chart"
"$segx" visualize overlay --coco-panoptic "$out/data/panoptic_gt.json" --images "$out/data/images" --limit 4 --out-dir "$out/overlay"
"$segx" visualize compare --coco-panoptic "$out/data/panoptic_gt.json" --pred "$out/data/panoptic_pred.json" \
  --images "$out/data/images" --limit 2 -o "$out/compare"
"$segx" visualize sheet --coco-panoptic "$out/data/panoptic_gt.json" --images "$out/data/images" --limit 16 -o "$out/sheet.png"
"$segx" visualize plot "$out/pq.json" -o "$out/pq_per_class.png"

step "train Mask2Former from scratch on 160 generated images (datasets/recipes/synth_demo.json)"
"$segx" convert synth --images 200 --out-dir "$out/synth"
# The recipe names demo/synth; point it at this run's folder.
sed "s#\.\./\.\./demo/synth/#$out/synth/#g" "$root/datasets/recipes/synth_demo.json" > "$out/train.json"
max_iter=()
if [[ -n ${SEGX_DEMO_MAX_ITER:-} ]]; then max_iter=(--max-iter "$SEGX_DEMO_MAX_ITER"); fi
"$segx" train --config "$out/train.json" --out-dir "$out/run" -j 2 "${max_iter[@]}"
weights=$out/run/model_final.safetensors
[[ -f $weights ]] || weights=$out/run/model_last.safetensors

step "infer the 40 held-out images with the trained model; eval pq and miou on them"
{ head -n 1 "$out/synth/manifest.jsonl"; tail -n 40 "$out/synth/manifest.jsonl"; } > "$out/synth/val.jsonl"
# The manifest's file names are relative to its folder.
(cd "$out/synth" && "$segx" infer - --config "$out/run/model_config.json" --weights "$weights" \
  --out-dir "$out/infer" -o "$out/infer.jsonl" < val.jsonl)
"$segx" eval pq --gt-manifest "$out/synth/val.jsonl" --pred-manifest "$out/infer.jsonl" --json "$out/model_pq.json"
"$segx" eval miou --gt-manifest "$out/synth/val.jsonl" --pred-manifest "$out/infer.jsonl" --json "$out/model_miou.json"
"$segx" visualize plot "$out/run/metrics.jsonl" -o "$out/training_curve.png"
"$segx" visualize overlay --manifest "$out/infer.jsonl" --images "$out/synth/images" --limit 4 --out-dir "$out/model_overlay"

step "done: results in $out"
ls "$out" >&2
