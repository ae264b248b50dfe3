#!/usr/bin/env bash
# `segx convert panoptic2instances` and `panoptic2semantic` side by side with panopticapi's
# converters (converters/panoptic2detection_coco_format.py, panoptic2semantic_segmentation.py)
# on the 5,000 GT 640x480 panoptic PNGs of the synthetic set, whole processes, with a
# decode-only pass over the same PNGs (build/tests/bench_eval_decode: the floor).
# Alternating runs, REPEATS times (default 5); medians go to scripts/results/convert.json with the
# machine, date and commit (scripts/bench_harness.py). Without the peers, segx's side only.
# Usage: scripts/bench_convert.sh [BUILD_DIR] [DATA_DIR]   (REPEATS, THREADS, SEGX_BENCH_IMAGES)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
data=${2:-/tmp/segx-bench-data}
images=${SEGX_BENCH_IMAGES:-5000}
segx=$build/cli/segx
ninja -C "$build" -j2 segx bench_eval_decode >/dev/null
if [ ! -f "$data/panoptic_pred.json" ]; then
  rm -rf "$data"
  "$segx" -q convert synth --images "$images" --predictions --no-images --out-dir "$data" --threads "$threads"
fi
out=$data/convert_out
rm -rf "$out"
mkdir -p "$out"
# panopticapi's converters take the categories as a separate JSON list
"$PY" -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['categories'], open(sys.argv[2], 'w'))" \
  "$data/panoptic_gt.json" "$data/categories.json"
n=$("$PY" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['annotations']))" "$data/panoptic_gt.json")
peers_check panopticapi
conv=/work/shared/peers/src/panopticapi/converters
[ -z "${PEERS_SRC:-}" ] || conv=$PEERS_SRC/panopticapi/converters
gt=$data/panoptic_gt
"${harness[@]}" --bench convert --out "$results_dir/convert.json" --repeats "$repeats" --threads "$threads" \
  --data "$n GT 640x480 panoptic PNGs + JSON (segx convert synth --images $n)" \
  "${HARNESS_PEERS[@]}" \
  --job "convert panoptic2instances" \
    --segx "$segx -q convert panoptic2instances $gt.json --png-dir $gt -o $out/instances_segx.json --threads $threads" \
    --floor "decode-only" "$build/tests/bench_eval_decode panoptic $threads $gt" \
    --peer "panopticapi panoptic2detection_coco_format.py ($(nproc) processes)" \
      "$PY $conv/panoptic2detection_coco_format.py --input_json_file $gt.json --segmentations_folder $gt \
       --output_json_file $out/instances_panopticapi.json --categories_json_file $data/categories.json" \
  --job "convert panoptic2semantic (PNGs)" \
    --segx "$segx -q convert panoptic2semantic $gt.json --png-dir $gt --out-dir $out/semantic_segx --overwrite --threads $threads" \
    --floor "decode-only" "$build/tests/bench_eval_decode panoptic $threads $gt" \
    --peer "panopticapi panoptic2semantic_segmentation.py ($(nproc) processes)" \
      "$PY $conv/panoptic2semantic_segmentation.py --input_json_file $gt.json --segmentations_folder $gt \
       --semantic_seg_folder $out/semantic_panopticapi --categories_json_file $data/categories.json"
