#!/usr/bin/env bash
# Benchmark of `segx eval ap` (segm and bbox) on a 5,000-image 640x480 COCO set: wall time and
# peak RSS from /usr/bin/time -v, plus segx's own load/evaluation split. The set is synth/n200
# replicated 25 times with remapped image and annotation ids (the synthetic generator writes
# panoptic data only), so the reference figures in the README (faster-coco-eval, pycocotools)
# should be re-measured on this same set for a strict comparison.
# Usage: scripts/bench_eval_ap.sh [BUILD_DIR] [OUT_FILE]   (THREADS=2 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/build/bench_eval_ap.txt}
fixtures=${SEGX_FIXTURES:-$root/../shared/fixtures}
threads=${THREADS:-2}
copies=${COPIES:-25}
data=$build/bench_eval_ap_data
segx=$build/cli/segx

if [ ! -f "$data/instances_gt.json" ]; then
  mkdir -p "$data"
  python3 - "$fixtures/synth/n200" "$data" "$copies" <<'PY'
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

{
  echo "# segx eval ap benchmark: $(date -u +%FT%TZ), $(nproc) cores, threads=$threads"
  echo "# data: synth/n200 x $copies = $(python3 -c "import json;d=json.load(open('$data/instances_gt.json'));print(len(d['images']),'images,',len(d['annotations']),'annotations')")"
  "$segx" --version
  for type in segm bbox; do
    res=$data/results_$type.json
    log=$(mktemp)
    "$segx" --version >/dev/null  # warm the page cache for the binary's libraries
    /usr/bin/time -v "$segx" eval ap --gt "$data/instances_gt.json" --results "$res" \
      --iou-type "$type" --threads "$threads" >"$log.out" 2>"$log"
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
    split=$(grep -o "loading .* s, evaluation .* s" "$log" || true)
    echo "$type wall=$wall maxrss_kb=$rss ($split)"
    head -1 "$log.out"
    rm -f "$log" "$log.out"
  done
  /usr/bin/time -f "startup only (segx --version): wall=%e s maxrss_kb=%M" "$segx" --version 2>&1 >/dev/null
} | tee "$out"
