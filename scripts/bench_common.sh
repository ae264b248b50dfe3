# Sourced by scripts/bench_*.sh: paths, repeats, threads and the peer tools' set-up.
#   REPEATS (default 5): alternating runs of segx and each peer; medians are reported
#   THREADS (default 2; SEGX_BENCH_THREADS also read): segx's --threads and the peers' workers
#   SEGX_PEERS_ENV (default /tmp/segx-peers/env.sh): the peers' environment (../shared/peers/README.md)
# peers_check MODULE... sets PEERS_MISSING to a reason ("" when every module imports) and
# HARNESS_PEERS to the matching bench_harness.py argument.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
repeats=${REPEATS:-5}
threads=${THREADS:-${SEGX_BENCH_THREADS:-2}}
harness=(/usr/bin/python3 "$root/scripts/bench_harness.py")
results_dir=$root/scripts/results
peers_env=${SEGX_PEERS_ENV:-/tmp/segx-peers/env.sh}
PY=/usr/bin/python3

peers_check() {
  PEERS_MISSING=""
  if [ ! -f "$peers_env" ]; then
    PEERS_MISSING="no $peers_env (run ../shared/peers/setup.sh)"
  else
    # shellcheck disable=SC1090
    source "$peers_env"
    local m
    for m in "$@"; do
      if ! "$PY" -c "import $m" 2>/dev/null; then
        PEERS_MISSING="python3 cannot import $m after sourcing $peers_env"
        break
      fi
    done
  fi
  HARNESS_PEERS=()
  if [ -n "$PEERS_MISSING" ]; then
    echo "# peers not set up: $PEERS_MISSING; timing segx only, no ratio" >&2
    HARNESS_PEERS=(--peers-missing "$PEERS_MISSING")
  fi
}
