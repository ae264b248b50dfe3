#!/usr/bin/env bash
# The checks segx's LibTorch code gets on a GPU machine (PyTorch 2.x with CUDA, as the machines
# lent to this project carry), where segx's other build dependencies are missing and cannot be
# installed: everything comes from .device/ (scripts/device-prepare.sh).
#  1. Every LibTorch-facing source (lib model/train/infer, *_torch.cpp, cli/torch, their tests)
#     compiles against that LibTorch: the code uses no LibTorch-1.13-only API.
#  2. The model parity tests (tests/parity/model, CPU) and their CUDA run (tests/gpu/model) are
#     built into one program, linked with that LibTorch, and run.
# Writes logs to $OUT (or .device/out). Exit status: the number of failed steps.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dev=$root/.device
out=${OUT:-$dev/out}
mkdir -p "$out"
cd "$root"
py=${PYTHON:-python3}
torch=$("$py" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
abi=$("$py" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
"$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
  "device", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")' | tee "$out/env.txt"
nccl_inc=$(dirname "$torch")/nvidia/nccl/include
cxx=${CXX:-g++}
jobs=$(nproc)
flags=(-std=c++17 -O2 -D_GLIBCXX_USE_CXX11_ABI="$abi" -DFMT_HEADER_ONLY
  -DSEGX_SOURCE_DIR="\"$root\"" -DSEGX_BINARY="\"/nonexistent/segx\""
  -Ilib -Icli -Itests -isystem "$dev/include" -isystem "$dev/include/opencv4"
  -isystem "$dev/googletest/include" -isystem "$torch/include"
  -isystem "$torch/include/torch/csrc/api/include")
# The definitions LibTorch's CMake package gives its users (USE_DISTRIBUTED, USE_C10D_GLOO, ...).
targets=$(ls "$torch"/share/cmake/Caffe2/Caffe2Targets.cmake \
  /usr/lib/x86_64-linux-gnu/cmake/Caffe2/Caffe2Targets.cmake 2>/dev/null | head -1)
for def in $(grep -h 'INTERFACE_COMPILE_DEFINITIONS "[A-Z]' "$targets" | sed 's/.*"\(.*\)"/\1/' | tr ';' ' '); do
  flags+=(-D"$def")
done
# Gloo's headers, where the LibTorch does not ship them (Debian's come from libgloo-dev).
[[ -d $torch/include/gloo ]] || flags+=(-isystem "$dev/gloo-include")
failed=0

compile_check() {
# 1. compile check
sources=${CHECK_SOURCES:-}
[[ -n $sources ]] || sources=$(ls lib/segx/{model,train,infer}/*.cpp lib/segx/*/*_torch.cpp cli/torch/*.cpp \
  tests/{unit,cli,parity,gpu,slow}/{model,train,infer}/*.cpp 2>/dev/null)
nccl_flags=""
[[ -f $nccl_inc/nccl.h ]] && nccl_flags="-DSEGX_HAVE_NCCL -DUSE_C10D_NCCL -DUSE_DISTRIBUTED -isystem $nccl_inc"
echo "compile check: $(echo "$sources" | wc -l) files, $cxx $($cxx -dumpversion), NCCL: ${nccl_flags:+yes}" | tee "$out/compile.txt"
export CXX_FLAGS="${flags[*]} $nccl_flags"
echo "$sources" | xargs -P "$jobs" -I{} sh -c \
  '$0 $CXX_FLAGS -fsyntax-only {} 2>"$1/$(echo {} | tr / _).err" || echo "FAILED {}"' \
  "$cxx" "$out" >>"$out/compile.txt"
if grep -q FAILED "$out/compile.txt"; then
  failed=$((failed + 1))
  grep FAILED "$out/compile.txt"
  for f in "$out"/*.err; do [[ -s $f ]] && head -30 "$f"; done | head -150
else
  echo "compile check: all compiled" | tee -a "$out/compile.txt"
fi
find "$out" -name '*.err' -size 0 -delete

}

model_parity() {
# 2. model parity, CPU and CUDA, in one program
build=$dev/build
mkdir -p "$build"
parity_sources=(lib/segx/model/*.cpp lib/segx/infer/postprocess.cpp lib/segx/io/safetensors.cpp
  lib/segx/io/safetensors_torch.cpp lib/segx/io/stream.cpp lib/segx/core/{config_table,error,log}.cpp
  tests/support/fixtures.cpp tests/parity/model/model_parity_test.cpp
  tests/gpu/model/model_parity_cuda_test.cpp
  "$dev/googletest/src/gtest-all.cc" "$dev/googletest/src/gtest_main.cc")
torch_libs=(-ltorch -ltorch_cpu -lc10)
[[ -e $torch/lib/libtorch_cuda.so ]] && torch_libs+=(-ltorch_cuda -lc10_cuda)
printf '%s\n' "${parity_sources[@]}" | xargs -P "$jobs" -I{} sh -c \
  'o="$1/$(echo {} | tr / _).o"; $0 $CXX_FLAGS -I"$2/googletest" -c {} -o "$o" || echo "FAILED {}"' \
  "$cxx" "$build" "$dev" >"$out/parity_build.txt" 2>&1
if grep -q FAILED "$out/parity_build.txt" || ! "$cxx" "$build"/*.o -o "$build/model_parity" \
    -L"$torch/lib" -L"$dev/lib" -Wl,-rpath,"$torch/lib" -Wl,-rpath,"$dev/lib" \
    -Wl,--no-as-needed "${torch_libs[@]}" -Wl,--as-needed \
    -ldeflate -lpthread >>"$out/parity_build.txt" 2>&1; then
  failed=$((failed + 1))
  tail -40 "$out/parity_build.txt"
else
  SEGX_FIXTURES=$dev/fixtures "$build/model_parity" --gtest_output=xml:"$out/model_parity.xml" 2>&1 \
    | tee "$out/model_parity.txt" | grep -E '^\[ *(OK|FAILED|SKIPPED|PASSED) |Failure|worst' | head -60
  [[ ${PIPESTATUS[0]} -eq 0 ]] || failed=$((failed + 1))
  grep -q 'SKIPPED' "$out/model_parity.txt" && { echo "a test was skipped: no CUDA?"; failed=$((failed + 1)); }
fi
}

# The parity run first: it is the shorter and the one that needs the GPU.
model_parity
compile_check
echo "device-check: $failed step(s) failed"
exit "$failed"
