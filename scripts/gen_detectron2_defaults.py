#!/usr/bin/python3
"""The config defaults of Mask2Former, MaskFormer and OneFormer, read off the official code.

  source /tmp/segx-peers/env.sh          # after ../shared/peers/setup.sh
  scripts/gen_detectron2_defaults.py [--out lib/segx/io/detectron2_defaults] [--check]

For each repository, runs (in a child process: upstream's registries collide) what its
train_net.py runs before merging a config file: detectron2's get_cfg(), add_deeplab_config()
and the repository's add_*_config(), and writes the resulting config tree in typed JSON
(scripts/detectron2_official.py) to OUT/<repository>.json. segx builds these files into its
library (lib/CMakeLists.txt), so that it resolves detectron2 configs without Python.
--check compares instead of writing and exits 1 on a difference.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detectron2_official import PEERS, REPOSITORIES, ROOT, official_defaults, typed  # noqa: E402

OUT = os.path.join(ROOT, "lib", "segx", "io", "detectron2_defaults")


def origins():
    """The peers' commit of each repository (ORIGINS.md's table)."""
    commits = {}
    with open(os.path.join(PEERS, "ORIGINS.md")) as f:
        for line in f:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 4 and len(cells[3]) == 40:
                commits[cells[1]] = f"{cells[2]}@{cells[3]}"
    return commits


def child(repo):
    cfg = official_defaults(repo)
    commits = origins()
    folder, functions = REPOSITORIES[repo]
    doc = {
        "generated_by": "scripts/gen_detectron2_defaults.py",
        "repository": repo,
        "calls": ["detectron2.config.get_cfg", "detectron2.projects.deeplab.add_deeplab_config"]
        + functions,
        "sources": [commits.get("detectron2", "detectron2"), commits.get(folder, folder)],
        "config": typed(cfg),
    }
    sys.stdout.write(json.dumps(doc, indent=1, allow_nan=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child)
    differ = 0
    for repo in REPOSITORIES:
        text = subprocess.run([sys.executable, __file__, "--child", repo], check=True,
                              stdout=subprocess.PIPE, text=True).stdout
        path = os.path.join(a.out, repo + ".json")
        if a.check:
            old = open(path).read() if os.path.exists(path) else ""
            if old != text:
                print(f"{path}: differs from the official defaults", file=sys.stderr)
                differ = 1
            continue
        os.makedirs(a.out, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path, ROOT)}", file=sys.stderr)
    return differ


if __name__ == "__main__":
    sys.exit(main())
