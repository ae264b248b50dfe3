#!/usr/bin/env bash
# Regenerates the committed man pages and shell completions from the CLI definition.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$("$root/scripts/build.sh")
rm -rf "$root/man" "$root/completions"
mkdir -p "$root/man" "$root/completions"
"$build/cli/segx" generate man "$root/man"
"$build/cli/segx" generate completions "$root/completions"
echo "updated man/ and completions/" >&2
