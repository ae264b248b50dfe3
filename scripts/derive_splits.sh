#!/usr/bin/env bash
# The training splits of the co-training experiments, made from one synthetic draw with segx's own
# commands (as a user weakens their own data):
#   all.jsonl                      the draw's 200 images as a panoptic manifest
#   semantic_40_100.jsonl          images 41-100, semantic labels only (label PNGs in semantic_40_100/)
#   boxes_100_160.jsonl            images 101-160, boxes of the things only
# Images 1-40 with panoptic labels and the full 1-160 are slices of the draw's COCO panoptic JSON
# in the recipes themselves.
#
#   scripts/derive_splits.sh DRAW_DIR OUT_DIR
#
# Does nothing when OUT_DIR/.complete exists (made last).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
draw=$(realpath "${1:?usage: derive_splits.sh DRAW_DIR OUT_DIR}")
out=${2:?usage: derive_splits.sh DRAW_DIR OUT_DIR}
[[ -f $out/.complete ]] && exit 0
build=${SEGX_BUILD_DIR:-$root/build}
[[ -x $build/cli/segx ]] || build=$("$root/scripts/build.sh")
segx=$build/cli/segx

rm -rf "$out"
mkdir -p "$out"
"$segx" convert panoptic2manifest "$draw/panoptic_gt.json" --images-dir "$draw/images" \
  --name "$(basename "$draw")" -o "$out/all.jsonl"
"$segx" convert derive "$out/all.jsonl" --to semantic --slice 40:100 \
  --out-dir "$out/semantic_40_100" -o "$out/semantic_40_100.jsonl"
"$segx" convert derive "$out/all.jsonl" --to boxes --slice 100:160 -o "$out/boxes_100_160.jsonl"
touch "$out/.complete"
