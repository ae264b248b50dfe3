#!/usr/bin/env bash
# The training splits of the co-training experiments, made from one synthetic draw with segx's own
# commands (as a user weakens their own data):
#   all.jsonl                      the draw's 200 images as a panoptic manifest
#   semantic_40_100.jsonl          images 41-100, semantic labels only (label PNGs in semantic_40_100/)
#   boxes_100_160.jsonl            images 101-160, boxes of the things only
#   labelspace_a.jsonl             images 1-80 panoptic, classes thing_1-10 and stuff_92-107 only
#                                  (the others unlabeled)
#   labelspace_b.jsonl             images 81-160 panoptic, the other classes plus an overlap
#                                  (thing_9, thing_10, stuff_107) under other ids and names
#                                  (datasets/recipes/labelspace/n200_b_renames.json)
#   labelspace_vocab.json          `segx vocab build` of the two with the committed synonym table
#                                  (datasets/recipes/labelspace/n200_synonyms.json), and its class
#                                  embeddings labelspace_classes.safetensors
#   labelspace_scoring_vocab.json  the same plus the draw's own categories, which must join the
#                                  classes without opening one: it maps predictions back to the
#                                  draw's ids for scoring on the full label space
# Images 1-40 with panoptic labels and the full 1-160 are slices of the draw's COCO panoptic JSON
# in the recipes themselves.
#
#   scripts/derive_splits.sh DRAW_DIR OUT_DIR
#
# Each group is made once: OUT_DIR/.complete and OUT_DIR/.labelspace_complete mark them done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
draw=$(realpath "${1:?usage: derive_splits.sh DRAW_DIR OUT_DIR}")
out=${2:?usage: derive_splits.sh DRAW_DIR OUT_DIR}
build=${SEGX_BUILD_DIR:-$root/build}
[[ -x $build/cli/segx ]] || build=$("$root/scripts/build.sh")
segx=$build/cli/segx

if [[ ! -f $out/.complete ]]; then
  rm -rf "$out"
  mkdir -p "$out"
  "$segx" convert panoptic2manifest "$draw/panoptic_gt.json" --images-dir "$draw/images" \
    --name "$(basename "$draw")" -o "$out/all.jsonl"
  "$segx" convert derive "$out/all.jsonl" --to semantic --slice 40:100 \
    --out-dir "$out/semantic_40_100" -o "$out/semantic_40_100.jsonl"
  "$segx" convert derive "$out/all.jsonl" --to boxes --slice 100:160 -o "$out/boxes_100_160.jsonl"
  touch "$out/.complete"
fi

if [[ ! -f $out/.labelspace_complete ]]; then
  tables=$root/datasets/recipes/labelspace
  rm -rf "$out"/labelspace_*
  "$segx" convert derive "$out/all.jsonl" --to panoptic --slice 0:80 --keep-classes 1-10,92-107 \
    --name labelspace_a --out-dir "$out/labelspace_a" -o "$out/labelspace_a.jsonl"
  "$segx" convert derive "$out/all.jsonl" --to panoptic --slice 80:160 \
    --keep-classes 9-21,107-122 --rename "$tables/n200_b_renames.json" --name labelspace_b \
    --out-dir "$out/labelspace_b" -o "$out/labelspace_b.jsonl"
  merge=(--policy synonyms --synonyms "$tables/n200_synonyms.json" --strict)
  "$segx" vocab build "$out/labelspace_a.jsonl" "$out/labelspace_b.jsonl" "${merge[@]}" \
    -o "$out/labelspace_vocab.json" --embeddings "$out/labelspace_classes.safetensors"
  "$segx" vocab build "$out/labelspace_a.jsonl" "$out/labelspace_b.jsonl" "$out/all.jsonl" \
    "${merge[@]}" -o "$out/labelspace_scoring_vocab.json"
  # The draw's categories must each join a class of the merged two (none added or changed).
  "$segx" vocab diff "$out/labelspace_vocab.json" "$out/labelspace_scoring_vocab.json" \
    -o "$out/labelspace_scoring_diff.json"
  /usr/bin/python3 - "$out/labelspace_scoring_diff.json" <<'PY'
import json, sys
diff = json.load(open(sys.argv[1]))
changed = {k: v for k, v in diff.items() if k != "remapped" and v}
if changed:
    sys.exit(f"derive_splits: the draw's categories change the merged label space: {changed}")
PY
  touch "$out/.labelspace_complete"
fi
