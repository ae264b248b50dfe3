#!/usr/bin/env bash
# `segx eval miou --cityscapes-label-ids` side by side with cityscapesScripts'
# evalPixelLevelSemanticLabeling (Cython confusion matrix) on Cityscapes-layout 640x480 label PNGs
# made from the synthetic panoptic set: gtFine/val/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png
# (+ _gtFine_instanceIds.png, which cityscapesScripts also reads; segx reads hard links of the
# labelIds files in a folder of their own), predictions as labelIds for
# cityscapesScripts and as trainIds for segx (the encodings each tool reads; same labels). The
# synthetic semantic classes map onto the 19 evaluated Cityscapes classes and three void ones.
# With a decode-only pass over segx's PNGs (build/tests/bench_eval_decode semantic: the floor).
# Alternating runs, REPEATS times (default 5); medians go to scripts/results/eval_miou.json with the
# machine, date and commit (scripts/bench_harness.py). Without the peers, segx's side only.
# Usage: scripts/bench_eval_miou.sh [BUILD_DIR] [DATA_DIR]   (REPEATS, THREADS, MIOU_IMAGES=5000)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
data=${2:-/tmp/segx-bench-data}
images=${SEGX_BENCH_IMAGES:-5000}
miou_images=${MIOU_IMAGES:-5000}
segx=$build/cli/segx
ninja -C "$build" -j2 segx bench_eval_decode >/dev/null
if [ ! -f "$data/panoptic_pred.json" ]; then
  rm -rf "$data"
  "$segx" -q convert synth --images "$images" --predictions --no-images --out-dir "$data" --threads "$threads"
fi
for side in gt pred; do
  [ -d "$data/semantic_$side" ] || "$segx" -q convert panoptic2semantic "$data/panoptic_$side.json" \
    --out-dir "$data/semantic_$side" --threads "$threads"
done
cs=$data/cityscapes_$miou_images
if [ ! -f "$cs/.done" ]; then
  rm -rf "$cs"
  "$PY" - "$data" "$cs" "$miou_images" "$threads" <<'PY'
import multiprocessing, os, sys
import numpy as np
from PIL import Image
data, cs, n, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# trainId k <- labelId LABEL_IDS[k] (cityscapesScripts' labels.py); 0, 1, 4: void labels
LABEL_IDS = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33]
VOID = [0, 1, 4]
to_label = np.zeros(256, np.uint8)
to_train = np.full(256, 255, np.uint8)
for v in range(256):
    k = v % 22
    to_label[v] = LABEL_IDS[k] if k < 19 else VOID[k - 19]
    to_train[v] = k if k < 19 else 255
names = sorted(os.listdir(f"{data}/semantic_gt"))[:n]
cities = ["aachen", "bremen", "jena", "ulm"]
def one(i):
    city = cities[i % len(cities)]
    stem = f"{city}_{i // len(cities):06d}_000019"
    gt = np.array(Image.open(f"{data}/semantic_gt/{names[i]}"))
    pred = np.array(Image.open(f"{data}/semantic_pred/{names[i]}"))
    d = f"{cs}/gtFine/val/{city}"
    Image.fromarray(to_label[gt]).save(f"{d}/{stem}_gtFine_labelIds.png")
    # segx's GT folder: the same files (hard links), without the instanceIds PNGs
    os.link(f"{d}/{stem}_gtFine_labelIds.png", f"{cs}/segx_gt/val/{city}/{stem}_gtFine_labelIds.png")
    Image.fromarray(to_label[gt].astype(np.uint16)).save(f"{d}/{stem}_gtFine_instanceIds.png")
    Image.fromarray(to_label[pred]).save(f"{cs}/results/{city}/{stem}_pred.png")
    Image.fromarray(to_train[pred]).save(f"{cs}/segx_pred/val/{city}/{stem}_gtFine_labelIds.png")
for c in cities:
    for sub in ("gtFine/val", "results", "segx_gt/val", "segx_pred/val"):
        os.makedirs(f"{cs}/{sub}/{c}", exist_ok=True)
os.makedirs(f"{cs}/export", exist_ok=True)
with multiprocessing.Pool(threads) as p:
    p.map(one, range(len(names)), chunksize=64)
open(f"{cs}/.done", "w").close()
PY
fi
n=$(find "$cs/gtFine/val" -name '*_gtFine_labelIds.png' | wc -l)
peers_check cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling
"${harness[@]}" --bench eval_miou --out "$results_dir/eval_miou.json" --repeats "$repeats" --threads "$threads" \
  --data "$n GT + $n prediction 640x480 Cityscapes-layout label PNGs (from segx convert synth)" \
  "${HARNESS_PEERS[@]}" \
  --job "eval miou (Cityscapes labelIds)" \
    --segx "$segx -q eval miou --gt-dir $cs/segx_gt --pred-dir $cs/segx_pred --gt-suffix _gtFine_labelIds.png \
      --pred-suffix _gtFine_labelIds.png --cityscapes-label-ids --num-classes 19 --threads $threads" \
    --floor "decode-only" "$build/tests/bench_eval_decode semantic $threads $cs/segx_gt $cs/segx_pred" \
    --peer "cityscapesScripts evalPixelLevelSemanticLabeling (1 process)" \
      "env CITYSCAPES_DATASET=$cs CITYSCAPES_RESULTS=$cs/results CITYSCAPES_EXPORT_DIR=$cs/export \
       $PY -m cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling" \
    --note "cityscapesScripts also reads the instanceIds PNGs (its iIoU)"
