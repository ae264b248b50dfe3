#!/usr/bin/env bash
# Gathers into .device/ (in .gitignore) what scripts/device-check.sh needs on a GPU machine that
# has PyTorch with CUDA, a compiler and CMake but none of segx's other build dependencies: the
# headers of fmt, nlohmann/json, RapidJSON, CLI11, OpenCV, libdeflate, Gloo and GoogleTest (with
# GoogleTest's sources), libdeflate's shared library, the generated build_info.hpp and the
# reference-model fixtures the parity tests read. Run it here, then run device-check.sh there with
# `.device` carried. Usage: scripts/device-prepare.sh [FIXTURES] (default ../shared/fixtures)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${1:-${SEGX_FIXTURES:-$root/../shared/fixtures}}
out=$root/.device
rm -rf "$out"
mkdir -p "$out/include/segx/core" "$out/lib" "$out/googletest" "$out/fixtures/expected"
for d in fmt nlohmann rapidjson CLI opencv4 gtest; do cp -r "/usr/include/$d" "$out/include/"; done
cp /usr/include/libdeflate.h "$out/include/"
mkdir -p "$out/gloo-include" && cp -r /usr/include/gloo "$out/gloo-include/"
cp -L /usr/lib/x86_64-linux-gnu/libdeflate.so.0 "$out/lib/"
ln -s libdeflate.so.0 "$out/lib/libdeflate.so"
cp -r /usr/src/googletest/googletest/src "/usr/src/googletest/googletest/include" "$out/googletest/"
version=$(sed -n 's/^project(segx VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
sed -e "s/@PROJECT_VERSION@/$version/" -e 's/@Torch_VERSION@/device-check/' \
  -e 's/@OpenCV_VERSION@/none/' "$root/lib/segx/core/build_info.hpp.in" \
  >"$out/include/segx/core/build_info.hpp"
for m in small oneformer_small; do
  mkdir -p "$out/fixtures/reference-model/$m"
  cp "$fixtures/reference-model/$m/"{weights.safetensors,outputs.safetensors,meta.json} \
    "$out/fixtures/reference-model/$m/"
done
cp -r "$fixtures/reference-model/tokenizer" "$out/fixtures/reference-model/"
du -sh "$out"
