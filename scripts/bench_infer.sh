#!/bin/sh
# Times the model forward (per stage) and post-processing; writes bench_infer_results.json.
# Reference (official Python code, this 2-core machine kind, Debian reference BLAS):
#   small fixture config 180x250: 0.22 s/forward; R50 standard 256x320: 6.7 s/forward.
# BLAS: OpenBLAS is selected through Debian's alternatives
#   (update-alternatives --set libblas.so.3-x86_64-linux-gnu \
#      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3).
set -eu
cd "$(dirname "$0")/.."
ninja -C build -j2 bench_model
out=${1:-bench_infer_results.json}
./build/tests/bench_model --benchmark_out="$out" --benchmark_out_format=json \
  --benchmark_counters_tabular=true
echo "results in $out" >&2
