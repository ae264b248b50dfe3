#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, AddressSanitizer + UBSan; a build folder of
# its own, build-fuzz/ or $FUZZ_BUILD_DIR, holding segx_core and the targets only) and runs each
# target, or those named, for FUZZ_SECONDS seconds on a working copy of its committed corpus
# (tests/fuzz/corpus/<target>).
#   scripts/fuzz.sh                       every target, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh png  one target for ten minutes
#   scripts/fuzz.sh --ci                  CI: a fresh copy of the corpus, nothing recorded
#   scripts/fuzz.sh --summary             CPU seconds, executions and coverage per target so far
# Without --ci the working corpus is kept (build-fuzz/work/<target>) so that runs across sessions
# build on each other, and each run appends a line to scripts/results/fuzz.json (target, seconds,
# CPU seconds, executions, cov/ft from libFuzzer's final stats, findings, machine, commit, date).
# A finding (crash, leak, timeout, out-of-memory, UBSan report) keeps its reproducer under
# build-fuzz/findings/ and makes the script exit 1 after the remaining targets ran. Reproduce one
# with build-fuzz/tests/fuzz/fuzz_<target> build-fuzz/findings/<target>/crash-...
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
results=$root/scripts/results/fuzz.json
ci=0
targets=()
for arg in "$@"; do
  case $arg in
    --ci) ci=1 ;;
    --summary) exec /usr/bin/python3 "$root/scripts/fuzz_results.py" summary "$results" ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; exit 64 ;;
    *) targets+=("$arg") ;;
  esac
done

# Debian's clang with libFuzzer (libclang-rt-14-dev holds libclang_rt.fuzzer).
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "fuzz.sh: installing clang and libFuzzer" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    clang llvm libclang-rt-dev >&2
fi
"$root/scripts/setup.sh"  # segx_core's own libraries

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DSEGX_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
# One build at a time: two fuzz.sh runs side by side (one per core) share the build folder.
flock "$build/.build.lock" cmake --build "$build" --parallel "${FUZZ_BUILD_JOBS:-$(nproc)}" >&2

corpus_root=$root/tests/fuzz/corpus
if ((${#targets[@]} == 0)); then
  for dir in "$corpus_root"/*/; do targets+=("$(basename "$dir")"); done
fi

# The longest input each target takes (libFuzzer -max_len) and its dictionary.
max_len() {
  case $1 in
    png|panoptic_png|checkpoint|pickle|coco_instances|detectron2_yaml) echo 16384 ;;
    safetensors|coco_results|coco_panoptic|manifest|train_config|model_config|vocabulary) echo 8192 ;;
    *) echo 4096 ;;
  esac
}
dict_of() {
  case $1 in
    png|panoptic_png) echo png ;;
    pickle|checkpoint) echo pickle ;;
    detectron2_yaml|detectron2_literal) echo yaml ;;
    coco_*|manifest|safetensors|vocabulary|model_config|train_config) echo json ;;
    *) echo "" ;;
  esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
failed=()
for target in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$target
  if [[ ! -x $bin || ! -d $corpus_root/$target ]]; then
    echo "fuzz.sh: no target or corpus named '$target'" >&2
    exit 64
  fi
  if ((ci)); then
    work=$(mktemp -d)
  else
    work=$build/work/$target
  fi
  mkdir -p "$work" "$build/findings/$target" "$build/logs"
  cp -n "$corpus_root/$target"/* "$work"/ 2>/dev/null || true
  log=$build/logs/$target.log
  dict=$(dict_of "$target")
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")"
        -print_final_stats=1 -artifact_prefix="$build/findings/$target/")
  [[ -n $dict ]] && args+=(-dict="$root/tests/fuzz/dict/$dict.dict")
  before=$(ls "$build/findings/$target" | wc -l)
  TIMEFORMAT='%U %S'
  status=0
  { time "$bin" "${args[@]}" "$work" >"$log" 2>&1 || status=$?; } 2>"$build/logs/$target.time"
  after=$(ls "$build/findings/$target" | wc -l)
  findings=$((after - before))
  if ((status != 0 && findings == 0)); then findings=1; fi  # e.g. a failure to start
  line=$(/usr/bin/python3 "$root/scripts/fuzz_results.py" line "$target" "$seconds" \
         "$build/logs/$target.time" "$log" "$findings" "$commit" "$(ls "$work" | wc -l)")
  echo "$line" >&2
  if ((!ci)); then echo "$line" >>"$results"; fi
  if ((ci)); then rm -rf "$work"; fi
  if ((findings > 0)); then
    failed+=("$target")
    echo "fuzz.sh: $target: finding(s) in $build/findings/$target; log $log:" >&2
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 >&2 || true
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
