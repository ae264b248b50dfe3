#!/usr/bin/env bash
# `segx eval ap` (segm and bbox) side by side with faster-coco-eval and pycocotools (COCOeval
# evaluate/accumulate/summarize; whole processes, JSON loading included) on a 5,000-image 640x480
# COCO set: synth/n200 replicated 25 times with remapped image and annotation ids (the synthetic
# generator writes panoptic data only). Plus process start-up: `segx --version` against the same
# through `segx-torch` (which loads LibTorch). Alternating runs, REPEATS times (default 5);
# medians go to scripts/results/eval_ap.json with the machine, date and commit
# (scripts/bench_harness.py). Without the peers set up, segx's side only and no ratio.
# Usage: scripts/bench_eval_ap.sh [BUILD_DIR]   (REPEATS, THREADS=2, COPIES=25)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
fixtures=${SEGX_FIXTURES:-$root/../shared/fixtures}
copies=${COPIES:-25}
data=$build/bench_eval_ap_data_x$copies
segx=$build/cli/segx
ninja -C "$build" -j2 segx segx-torch >/dev/null

if [ ! -f "$data/instances_gt.json" ]; then
  mkdir -p "$data"
  "$PY" - "$fixtures/synth/n200" "$data" "$copies" <<'PY'
import json, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
gt = json.load(open(f"{src}/instances_gt.json"))
n_img = max(im["id"] for im in gt["images"])
n_ann = max(a["id"] for a in gt["annotations"])
out = dict(gt, images=[], annotations=[])
for c in range(copies):
    for im in gt["images"]:
        out["images"].append(dict(im, id=im["id"] + c * n_img))
    for a in gt["annotations"]:
        out["annotations"].append(dict(a, id=a["id"] + c * n_ann, image_id=a["image_id"] + c * n_img))
json.dump(out, open(f"{dst}/instances_gt.json", "w"))
for name in ("results_segm.json", "results_bbox.json"):
    res = json.load(open(f"{src}/{name}"))
    rep = [dict(r, image_id=r["image_id"] + c * n_img) for c in range(copies) for r in res]
    json.dump(rep, open(f"{dst}/{name}", "w"))
PY
fi

cat > "$data/peer_ap.py" <<'PY'
# One COCOeval run as the peers' README shows it: load both JSON files, evaluate, accumulate,
# summarize (prints the 12 stats).
import sys
lib, gt_file, res_file, kind = sys.argv[1:5]
if lib == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
else:
    from faster_coco_eval import COCO, COCOeval_faster as COCOeval
gt = COCO(gt_file)
e = COCOeval(gt, gt.loadRes(res_file), kind)
e.evaluate()
e.accumulate()
e.summarize()
print(list(e.stats))
PY
desc=$("$PY" -c "import json,sys;d=json.load(open(sys.argv[1]));print(len(d['images']),'images,',len(d['annotations']),'annotations')" "$data/instances_gt.json")
peers_check pycocotools.cocoeval faster_coco_eval
jobs=()
for type in segm bbox; do
  cmd="$segx eval ap --gt $data/instances_gt.json --results $data/results_$type.json --iou-type $type --threads $threads"
  for lib in faster-coco-eval pycocotools; do
    mod=${lib//-/_}
    jobs+=(--job "eval ap $type" --segx "$cmd"
           --peer "$lib" "$PY $data/peer_ap.py $mod $data/instances_gt.json $data/results_$type.json $type")
  done
done
"${harness[@]}" --bench eval_ap --out "$results_dir/eval_ap.json" --repeats "$repeats" --threads "$threads" \
  --data "synth/n200 x $copies: $desc, 640x480" \
  "${HARNESS_PEERS[@]}" "${jobs[@]}" \
  --job "process start-up (--version)" --segx "$segx --version" \
    --peer "segx-torch --version (loads LibTorch)" "$build/cli/segx-torch --version" \
    --note "not a peer tool: the same code with LibTorch loaded, as every segx process did before the split"
