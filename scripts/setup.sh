#!/usr/bin/env bash
# Installs the Debian 12 packages segx needs to build, test and run (idempotent; uses sudo when
# not root). Called by scripts/test.sh and scripts/demo.sh, so a fresh machine needs nothing else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libtorch-dev libgloo-dev libopenblas0-pthread
  libopencv-dev libcli11-dev libfmt-dev nlohmann-json3-dev rapidjson-dev
  libspng-dev libdeflate-dev zlib1g-dev libzip-dev libssl-dev libjemalloc-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-torch python3-yaml wordnet-base
  man-db
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
