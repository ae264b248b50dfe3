#!/usr/bin/env bash
# The whole inference forward of segx against the official code, same weights, same input, same
# thread count, per stage:
#   - Mask2Former Swin-T (maskformer2_swin_tiny_bs16_50ep) at 512x512;
#   - Mask2Former R50 (maskformer2_R50_bs16_50ep) at 800x1216.
# scripts/export_official_model.py builds each official model (seed 0, random init) and writes
# its state dict (.pth for the official side, safetensors + model.json for segx) and the input
# image forward.py would draw. Then, alternating REPEATS times (default 5) in one run:
#   - segx: tests/bench/bench_model (BM_Exported, fastest of 3 iterations in one process);
#   - the official code timed by ../shared/peers/forward.py (model([sample]), best of 3);
#   - the official code per stage by scripts/profile_official_forward.py (forward hooks; best
#     of 3), beside segx's own per-stage times from the same bench_model run.
# Both sides do what the official config asks: normalise and pad, backbone, pixel decoder,
# transformer decoder, then semantic, panoptic and instance inference at the input size.
# Threads: segx runs with OMP_WAIT_POLICY=PASSIVE, as the segx launcher starts segx-torch
# (cli/torch_exec.cpp); the official code as users run it (OpenMP's default, spinning). One more
# row per model runs the official code with PASSIVE too, to show what the policy alone is worth.
# Medians go to scripts/results/model_forward.json (scripts/bench_harness.py: machine, date,
# commit, peak RSS of each process).
# Usage: scripts/bench_model_forward.sh [BUILD_DIR]   (REPEATS, THREADS, MODELS="swin_t r50")
set -euo pipefail
source "$(dirname "$0")/bench_common.sh"
build=$(cd "${1:-$root/build}" && pwd)
ninja -C "$build" -j2 bench_model >/dev/null
peers_check detectron2 mask2former
if [ -n "$PEERS_MISSING" ]; then
  echo "bench_model_forward: the official models come from the peers: $PEERS_MISSING" >&2
  exit 69
fi
kit=${PEERS_KIT:-$root/../shared/peers}
src=${PEERS_SRC:-$kit/src}
work=$build/bench_model_forward
m2f=$src/Mask2Former/configs/coco/panoptic-segmentation
declare -A config=([swin_t]=$m2f/swin/maskformer2_swin_tiny_bs16_50ep.yaml
                   [r50]=$m2f/maskformer2_R50_bs16_50ep.yaml)
declare -A size=([swin_t]=512x512 [r50]=800x1216)
declare -A title=([swin_t]="Mask2Former Swin-T 512x512" [r50]="Mask2Former R50 800x1216")
bm=$build/tests/bench_model
jobs=()
for name in ${MODELS:-swin_t r50}; do
  dir=$work/$name
  if [ ! -f "$dir/weights.pth" ]; then
    "$PY" "$root/scripts/export_official_model.py" "${config[$name]}" "$dir" --size "${size[$name]}"
  fi
  segx="env OMP_WAIT_POLICY=PASSIVE SEGX_BENCH_THREADS=$threads SEGX_BENCH_MODEL=$dir $bm --benchmark_filter=BM_Exported --benchmark_format=json"
  official="$PY $kit/forward.py ${config[$name]} --weights $dir/weights.pth --size ${size[$name]} --threads $threads --repeat 3"
  passive="env OMP_WAIT_POLICY=PASSIVE $official"
  staged="$PY $root/scripts/profile_official_forward.py ${config[$name]} --weights $dir/weights.pth --input $dir/input.safetensors --threads $threads --repeat 3"
  jobs+=(--job "${title[$name]}: whole forward"
         --segx "$segx" --metric '"forward_s": ([0-9.eE+-]+)'
         --peer "official Mask2Former (forward.py)" "$official" --metric '"forward_s": ([0-9.eE+-]+)'
         --note "seconds of the fastest of 3 forwards in one process: normalisation, backbone, pixel decoder, transformer decoder, semantic + panoptic + instance inference; model loading excluded"
         --job "${title[$name]}: whole forward, official also with OMP_WAIT_POLICY=PASSIVE"
         --segx "$segx" --metric '"forward_s": ([0-9.eE+-]+)'
         --peer "official Mask2Former (forward.py, OMP_WAIT_POLICY=PASSIVE)" "$passive" --metric '"forward_s": ([0-9.eE+-]+)'
         --note "as the row above, the official process started with segx's OpenMP policy")
  for stage in backbone pixel_decoder decoder postprocess; do
    jobs+=(--job "${title[$name]}: $stage"
           --segx "$segx" --metric "\"${stage}_s\": ([0-9.eE+-]+)"
           --peer "official Mask2Former (profile_official_forward.py)" "$staged"
           --metric "\"${stage}_s\": ([0-9.eE+-]+)"
           --note "seconds in this stage during the fastest whole forward")
  done
done
"${harness[@]}" --bench model_forward --out "$results_dir/model_forward.json" \
  --repeats "$repeats" --threads "$threads" \
  --data "official Mask2Former weights (seed 0) and input image exported by export_official_model.py" \
  "${jobs[@]}"
