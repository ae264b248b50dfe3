#!/usr/bin/env bash
# The model forward of segx (LibTorch, tests/bench/bench_model.cpp) side by side with the official
# Mask2Former code (../shared/peers/forward.py, detectron2 on CPU), same configs, same weights,
# same input size and thread count:
#   - the small reference fixture (reference-model/small: config.yaml + weights.safetensors,
#     converted to a .pth state dict for detectron2's checkpointer), 180x250;
#   - the standard R50 Mask2Former (maskformer2_R50_bs16_50ep), random init (seed 0), 256x320.
# segx runs with OMP_WAIT_POLICY=PASSIVE, as the segx launcher starts segx-torch (torch_exec.cpp).
# Each tool times its own forward passes inside one process (model loading excluded): segx the
# mean of its iterations (20 small, 3 R50), forward.py the best of --repeat (3). The processes
# alternate REPEATS times (default 5); medians go to scripts/results/infer.json with the machine,
# date and commit (scripts/bench_harness.py). Without the peers (detectron2), segx's side only.
# BLAS: OpenBLAS is selected through Debian's alternatives
#   (update-alternatives --set libblas.so.3-x86_64-linux-gnu \
#      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3).
# Usage: scripts/bench_infer.sh [BUILD_DIR]   (REPEATS, THREADS, SEGX_FIXTURES)
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
fixtures=${SEGX_FIXTURES:-$root/../shared/fixtures}
small=$fixtures/reference-model/small
if [ ! -f "$small/weights.safetensors" ]; then
  echo "bench_infer: no reference-model fixtures at '$fixtures' (set SEGX_FIXTURES)" >&2
  exit 66
fi
ninja -C "$build" -j2 bench_model >/dev/null
peers_check detectron2 mask2former
kit=${PEERS_KIT:-$root/../shared/peers}
src=${PEERS_SRC:-$kit/src}
work=$build/bench_infer_data
mkdir -p "$work"
if [ -z "$PEERS_MISSING" ] && [ ! -f "$work/small_weights.pth" ]; then
  # safetensors -> torch state dict (detectron2 parameter names, as stored)
  "$PY" - "$small/weights.safetensors" "$work/small_weights.pth" <<'PY'
import json, struct, sys
import torch
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}
state = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    a, b = t["data_offsets"]
    buf = bytearray(raw[8 + n + a:8 + n + b])
    state[name] = torch.frombuffer(buf, dtype=dtypes[t["dtype"]]).reshape(t["shape"]).clone()
torch.save(state, sys.argv[2])
PY
fi
bm=$build/tests/bench_model
fwd="$PY $kit/forward.py"
metric_segx='"forward_s": ([0-9.eE+-]+)'
metric_peer='"forward_s": ([0-9.eE+-]+)'
"${harness[@]}" --bench infer --out "$results_dir/infer.json" --repeats "$repeats" --threads "$threads" \
  --data "random uint8 image; small fixture 180x250 (reference weights), R50 256x320 (random init)" \
  "${HARNESS_PEERS[@]}" \
  --job "infer forward, small fixture config 180x250" \
    --segx "env OMP_WAIT_POLICY=PASSIVE SEGX_BENCH_THREADS=$threads SEGX_FIXTURES=$fixtures $bm --benchmark_filter=SmallFixture --benchmark_format=json" \
    --metric "$metric_segx" \
    --peer "official Mask2Former (forward.py)" \
      "$fwd $small/config.yaml --weights $work/small_weights.pth --size 180x250 --threads $threads --repeat 3" \
    --metric "$metric_peer" \
    --note "seconds per forward, model loading excluded (segx: mean of 20; official: best of 3)" \
  --job "infer forward, R50 256x320" \
    --segx "env OMP_WAIT_POLICY=PASSIVE SEGX_BENCH_THREADS=$threads $bm --benchmark_filter=R50Standard --benchmark_format=json" \
    --metric "$metric_segx" \
    --peer "official Mask2Former (forward.py)" \
      "$fwd $src/Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml --size 256x320 --threads $threads --repeat 3" \
    --metric "$metric_peer" \
    --note "seconds per forward, model loading excluded (segx: mean of 3; official: best of 3)"
