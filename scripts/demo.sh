#!/usr/bin/env bash
# The main job on an embedded default: install, build, generate a synthetic dataset with
# perturbed predictions, convert and lint it, build a vocabulary, evaluate (PQ, mIoU, COCO AP),
# run the reference-shaped model, and draw pictures. Everything lands in demo/ (or $1).
# Training (`segx train`) joins this pipeline once it exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo}
build=$("$root/scripts/build.sh")
segx="$build/cli/segx"
rm -rf "$out"
mkdir -p "$out"
step() { printf '\n== %s\n' "$*" >&2; }

step "generate 40 synthetic 640x480 images with ground truth and perturbed predictions"
"$segx" convert synth --images 40 --predictions --out "$out/data"

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

step "eval ap (pycocotools' 12 lines), segm from the converted predictions"
python3 - "$out/instances_pred.json" "$out/results_segm.json" <<'PY'
import json, sys
pred = json.load(open(sys.argv[1]))
# Prediction segments carry their score in the panoptic JSON; the synthetic generator keeps it.
res = [{"image_id": a["image_id"], "category_id": a["category_id"], "segmentation": a["segmentation"],
        "score": a.get("score", 1.0)} for a in pred["annotations"]]
json.dump(res, open(sys.argv[2], "w"))
PY
"$segx" eval ap --gt "$out/instances_gt.json" --results "$out/results_segm.json" --iou-type segm --json "$out/ap.json"

step "visualize: overlays of the ground truth, GT | prediction, a contact sheet, a PQ bar chart"
"$segx" visualize overlay --coco-panoptic "$out/data/panoptic_gt.json" --images "$out/data/images" --limit 4 -o "$out/overlay"
"$segx" visualize compare --coco-panoptic "$out/data/panoptic_gt.json" --pred "$out/data/panoptic_pred.json" \
  --images "$out/data/images" --limit 2 -o "$out/compare"
"$segx" visualize sheet --coco-panoptic "$out/data/panoptic_gt.json" --images "$out/data/images" --limit 16 -o "$out/sheet.png"
"$segx" visualize plot "$out/pq.json" -o "$out/pq_per_class.png"

step "done: results in $out"
ls "$out" >&2
