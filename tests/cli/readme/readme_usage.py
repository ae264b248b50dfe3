#!/usr/bin/env python3
"""Runs README.md's usage block as written: every complete command, on generated data.

Each command (a line of the block, with its `\\` continuations; a line ending in `&` runs
together with the next) must have a case in CASES below, keyed by its exact text: the setup
that makes its inputs in a fresh folder (small `segx convert synth` sets, fixture files) and
the exit codes it may end with. A README command without a case fails, and so does a case
whose command left the README, so the two cannot drift apart. Lines with `...` are sketches:
they are not run, but every option they name must be in their command's --help.

Usage: readme_usage.py --bin-dir DIR [--source DIR] [--fixtures DIR] [--slow]
  --slow runs the cases marked slow (the recipes' full trainings) instead of the others.
Exit 0 when every case passes (cases needing absent fixtures are skipped, with the reason).
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass


@dataclass
class Case:
    setup: str = ""            # bash, run in the case's folder before the command
    exit_codes: tuple = (0,)   # what the command may exit with
    fixtures: bool = False     # needs ../shared/fixtures
    slow: bool = False         # runs only with --slow


# Shell helpers every setup can use. $F is the fixtures folder, $SRC the source tree.
HELPERS = r"""
set -euo pipefail
synth() {  # a small synthetic panoptic set with predictions in _synth/
  segx -q convert synth --images 6 --width 96 --height 72 --predictions --seed 3 --out-dir _synth
}
panoptic_as() {  # $1: ground truth (gt) or predictions (pred); $2: NAME -> NAME.json + NAME/
  cp "_synth/panoptic_$1.json" "$2.json"; cp -r "_synth/panoptic_$1" "$2"
}
small_model() {  # $1: folder, $2: config name, $3: weights name (the reference small model)
  mkdir -p "$1"
  cp "$SRC/tests/parity/model/data/small.json" "$1/$2"
  cp "$F/reference-model/small/weights.safetensors" "$1/$3"
}
tiny_train_config() {  # train.json: a tiny model on _synth, a few iterations
  python3 - <<'PY'
import json
json.dump({"datasets": [{"path": "_synth/manifest.jsonl"}],
           "model": {"architecture": "mask2former",
                     "resnet": {"depth": 18, "stem_out_channels": 8, "res2_out_channels": 8, "norm": "GN"},
                     "pixel_decoder": {"conv_dim": 32, "mask_dim": 32, "transformer_enc_layers": 1,
                                       "transformer_nheads": 4, "transformer_dim_feedforward": 32},
                     "decoder": {"hidden_dim": 32, "num_queries": 8, "nheads": 4,
                                 "dim_feedforward": 32, "dec_layers": 2}},
           "solver": {"max_iter": 4, "ims_per_batch": 2, "checkpoint_period": 2, "log_period": 1},
           "input": {"crop_size": 64}, "loss": {"num_points": 256}, "seed": 1},
          open("train.json", "w"), indent=1)
PY
}
"""

CASES = {
    # Data
    "segx convert panoptic2instances panoptic_val2017.json --things-only --id-start 1 -o instances.json":
        Case("synth; panoptic_as gt panoptic_val2017"),
    "segx convert panoptic2semantic pan.json --scheme contiguous --out-dir sem/":
        Case("synth; panoptic_as gt pan"),
    "segx convert instances2panoptic inst.json --overlap smaller -o pan.json --out-dir pan/":
        Case("synth; segx -q convert panoptic2instances _synth/panoptic_gt.json -o inst.json"),
    "segx convert cityscapes cityscapes/ --to coco-panoptic -o cs.json --out-dir cs/":
        Case("cp -r $F/real/mmseg_tests/pseudo_cityscapes_dataset cityscapes", fixtures=True),
    "segx convert synth --images 5000 --predictions --out-dir data/":
        Case(slow=True),
    "segx convert lint pan.json":
        Case("synth; panoptic_as gt pan", exit_codes=(0, 1)),
    "segx convert panoptic2results pred.json --things-only -o results.json":
        Case("synth; panoptic_as pred pred"),
    "segx convert derive train.jsonl --to semantic --slice 40:100 --out-dir sem/ -o sem.jsonl":
        Case("segx -q convert synth --images 100 --width 48 --height 32 --out-dir _train; "
             "segx -q convert panoptic2manifest _train/panoptic_gt.json --images-dir _train/images "
             "-o train.jsonl"),
    # Evaluation
    "segx eval pq --gt-json gt.json --gt-dir gt/ --pred-json pred.json --pred-dir pred/ --json pq.json":
        Case("synth; panoptic_as gt gt; panoptic_as pred pred"),
    "segx eval miou --gt-dir gt/ --pred-dir pred/ --num-classes 19 --averaging mmseg":
        Case("mkdir gt pred; for d in gt pred; do cp $F/real/mmseg_tests/pseudo_cityscapes_dataset/"
             "gtFine/val/frankfurt/*_labelTrainIds.png $d/; done", fixtures=True),
    "segx eval miou --gt-manifest ade_val.jsonl --pred-manifest pred.jsonl":
        Case("synth; for s in gt pred; do "
             "segx -q convert panoptic2semantic _synth/panoptic_$s.json --out-dir sem_$s; "
             "segx -q convert semantic-folder --images _synth/images --labels sem_$s "
             "--categories _synth/categories.json -o $s.jsonl; done; mv gt.jsonl ade_val.jsonl"),
    "segx eval ap --gt instances.json --results results.json --iou-type segm --fail-under AP=0.3":
        Case("synth; segx -q convert panoptic2instances _synth/panoptic_gt.json --things-only -o instances.json; "
             "segx -q convert panoptic2results _synth/panoptic_pred.json --things-only -o results.json",
             exit_codes=(0, 1)),
    "for i in 1 2 3 4 5 6 7 8; do segx eval pq --gt-json gt.json --pred-json pred.json --shard $i/8 --partial part$i.json; done":
        Case("synth; panoptic_as gt gt; panoptic_as pred pred"),
    "segx eval merge part*.json --json pq.json":
        Case("synth; panoptic_as gt gt; panoptic_as pred pred; for i in 1 2 3 4 5 6 7 8; do "
             "segx -q eval pq --gt-json gt.json --pred-json pred.json --shard $i/8 --partial part$i.json; done"),
    # Label spaces
    "segx vocab build datasets/coco_panoptic.json datasets/ade20k.json datasets/cityscapes.json -o vocab.json":
        Case("ln -s $SRC/datasets datasets"),
    "segx vocab apply vocab.json train.jsonl > unified.jsonl":
        Case("segx -q vocab build $SRC/datasets/coco_panoptic.json $SRC/datasets/ade20k.json -o vocab.json; "
             "segx -q convert panoptic2manifest $F/real/panopticapi_sample/panoptic_examples.json "
             "--name coco_panoptic -o train.jsonl", fixtures=True),
    "segx vocab apply --inverse vocab.json preds.json > coco_ids.json":
        Case("segx -q vocab build $SRC/datasets/coco_panoptic.json $SRC/datasets/ade20k.json -o vocab.json; "
             "segx -q vocab apply vocab.json $F/real/panopticapi_sample/panoptic_examples.json "
             "--dataset coco_panoptic > preds.json",
             fixtures=True),
    # Models
    "segx model import config.yaml model_final.pkl --out-dir out/":
        Case("cp $F/reference-model/small/config.yaml config.yaml; "
             "python3 $SRC/tests/cli/readme/safetensors_to_pkl.py "
             "$F/reference-model/small/weights.safetensors model_final.pkl", fixtures=True),
    "segx model import mask2former-swin-tiny-coco-panoptic/ --out-dir hf/":
        Case("cp -r $SRC/tests/parity/model/data/huggingface/m2f_swin_w7 "
             "mask2former-swin-tiny-coco-panoptic"),
    "segx infer images/ --config out/model.json --weights out/weights.safetensors --task panoptic --out-dir pred/":
        Case("synth; cp -r _synth/images images; small_model out model.json weights.safetensors", fixtures=True),
    "segx infer images/ --config out/model.json --weights out/weights.safetensors --tokenizer bpe_simple_vocab_16e6.txt.gz":
        Case("synth; cp -r _synth/images images; mkdir out; "
             "cp $SRC/tests/parity/model/data/oneformer_small.json out/model.json; "
             "cp $F/reference-model/oneformer_small/weights.safetensors out/weights.safetensors; "
             "cp $F/reference-model/tokenizer/bpe_simple_vocab_16e6.txt.gz .", fixtures=True),
    "segx infer - --config run/model_config.json --weights run/model_final.safetensors < val.jsonl | segx eval pq --gt-manifest val.jsonl --pred-manifest -":
        Case("synth; tiny_train_config; segx -q train --config train.json --out-dir run -j 1; "
             "cp _synth/manifest.jsonl val.jsonl; ln -s _synth/images images; "
             "ln -s _synth/panoptic_gt panoptic_gt"),
    # Training
    "segx train --config datasets/recipes/n200_panoptic.json --out-dir runs/n200 -j 2":
        Case("ln -s $SRC/datasets datasets", fixtures=True, slow=True),
    "segx train --config datasets/recipes/n200_oneformer.json --out-dir runs/n200_oneformer -j 2":
        Case("ln -s $SRC/datasets datasets", fixtures=True, slow=True),
    "segx train --config train.json --out-dir runs/n200 --resume":
        Case("synth; tiny_train_config; segx -q train --config train.json --out-dir runs/n200 -j 1; "
             "python3 -c \"import json; c=json.load(open('train.json')); c['solver']['max_iter']=6; "
             "json.dump(c, open('train.json', 'w'))\""),
    "segx train --config train.json --out-dir runs/q16 model.decoder.num_queries=16 solver.max_iter=2":
        Case("synth; tiny_train_config"),
    "RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 segx train --config train.json --out-dir runs/ddp & "
    "RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 segx train --config train.json --out-dir runs/ddp; wait":
        Case("synth; tiny_train_config"),
    # Pictures
    "segx visualize overlay --coco-panoptic pan.json --images images/ --out-dir overlays/":
        Case("synth; panoptic_as gt pan; cp -r _synth/images images"),
    "segx visualize compare --coco-panoptic gt.json --pred pred.json --images images/ --out-dir compare/":
        Case("synth; panoptic_as gt gt; panoptic_as pred pred; cp -r _synth/images images"),
    "segx visualize errors --coco-panoptic gt.json --pred pred.json --images images/ --out-dir errors/":
        Case("synth; panoptic_as gt gt; panoptic_as pred pred; cp -r _synth/images images"),
    "segx visualize overlay --coco-instances gt.json --results results.json --images images/ --out-dir dets/":
        Case("synth; cp -r _synth/images images; "
             "segx -q convert panoptic2instances _synth/panoptic_gt.json --things-only -o gt.json; "
             "segx -q convert panoptic2results _synth/panoptic_pred.json --things-only -o results.json"),
    "segx visualize plot pq.json -o pq_per_class.png":
        Case("synth; segx -q eval pq --gt-json _synth/panoptic_gt.json --pred-json _synth/panoptic_pred.json "
             "--json pq.json"),
}


def usage_commands(readme):
    """The usage block's commands: comments stripped, continuations joined."""
    text = open(readme, encoding="utf-8").read()
    block = re.search(r"^## Usage\n+```sh\n(.*?)^```", text, re.S | re.M)
    if not block:
        sys.exit(f"{readme}: no ```sh block under '## Usage'")
    commands, pending = [], ""
    for raw in block.group(1).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()  # a comment starts with '#' after a space
        if not line.strip():
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = pending + line.strip()
        pending = ""
        if line.endswith("&"):  # runs with the next line (two processes of one job)
            pending = line + " "
            continue
        commands.append(line)
    return commands


def help_text(bin_dir, words):
    """--help of the segx subcommand named by the leading words of a command."""
    path = []
    for w in words:
        if w.startswith("-") or len(path) == 2:
            break
        path.append(w)
    while path:
        r = subprocess.run([os.path.join(bin_dir, "segx"), *path, "--help"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout
        path.pop()
    return ""


def check_sketch(bin_dir, command):
    """A sketch's segx invocations name only options their --help lists."""
    problems = []
    for part in re.split(r"\|\||&&|\||;", command):
        words = shlex.split(part.replace("...", " "), posix=True)
        if "segx" not in words:
            continue
        words = words[words.index("segx") + 1:]
        helptext = help_text(bin_dir, words)
        for w in words:
            if w.startswith("-") and len(w) > 1:
                flag = w.split("=")[0]
                if not re.search(rf"(^|[\s,]){re.escape(flag)}([\s,=]|$)", helptext, re.M):
                    problems.append(f"option {flag} is not in the --help of 'segx {words[0]}'")
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--source", default=os.path.normpath(os.path.join(here, "../../..")))
    ap.add_argument("--fixtures", default=os.environ.get("SEGX_FIXTURES"))
    ap.add_argument("--slow", action="store_true")
    a = ap.parse_args()
    bin_dir = os.path.abspath(a.bin_dir)
    fixtures = a.fixtures or os.path.join(a.source, "..", "shared", "fixtures")
    have_fixtures = os.path.isdir(os.path.join(fixtures, "reference-model"))

    commands = usage_commands(os.path.join(a.source, "README.md"))
    failures = []
    for stale in sorted(set(CASES) - set(commands)):
        failures.append(f"case for a command no longer in the README: {stale}")
    # /usr/bin ahead of the rest: the README's Python script needs Debian's python3 (torch, numpy).
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, "/usr/bin", os.environ["PATH"]]),
               F=os.path.abspath(fixtures), SRC=os.path.abspath(a.source))
    for cmd in commands:
        if "..." in cmd:
            failures += [f"sketch '{cmd}': {p}" for p in check_sketch(bin_dir, cmd)]
            continue
        case = CASES.get(cmd)
        if case is None:
            failures.append(f"README command without a case in {__file__}: {cmd}")
            continue
        if case.slow != a.slow:
            continue
        if case.fixtures and not have_fixtures:
            print(f"SKIP (no fixtures at {fixtures}): {cmd}")
            continue
        with tempfile.TemporaryDirectory(prefix="segx-readme-") as root:
            # The work folder stands where the project root would, beside shared/fixtures, so
            # that paths the README's commands reach from the root (the recipes' datasets,
            # ../../../shared/... from datasets/recipes/ through the `datasets` link) resolve.
            work = os.path.join(root, "project")
            os.makedirs(os.path.join(root, "shared"))
            os.mkdir(work)
            os.symlink(os.path.abspath(fixtures), os.path.join(root, "shared", "fixtures"))
            # The setup's own failure is reported as such, not as the command's.
            setup = subprocess.run(["bash", "-c", HELPERS + case.setup], cwd=work, env=env,
                                   capture_output=True, text=True)
            if setup.returncode != 0:
                failures.append(f"setup of '{cmd}' failed ({setup.returncode}): {setup.stderr.strip()}")
                continue
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=work, env=env,
                               capture_output=True, text=True)
            if r.returncode in case.exit_codes:
                print(f"ok ({r.returncode}): {cmd}")
            else:
                tail = "\n    ".join((r.stderr.strip() or r.stdout.strip()).splitlines()[-5:])
                failures.append(f"'{cmd}' exited {r.returncode}, expected "
                                f"{' or '.join(map(str, case.exit_codes))}:\n    {tail}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(commands)} README commands, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
