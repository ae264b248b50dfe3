#!/usr/bin/python3
"""How detectron2 resolves every official Mask2Former / MaskFormer / OneFormer config, for segx's
config import tests.

  source /tmp/segx-peers/env.sh          # after ../shared/peers/setup.sh
  scripts/gen_detectron2_config_refs.py [--check]

Runs the official code (one repository per child process: upstream's registries collide) the way
each repository's train_net.py does (get_cfg, add_deeplab_config, add_*_config, merge_from_file,
merge_from_list) over:
  - every configs/**/*.yaml of the peers' Mask2Former, MaskFormer and OneFormer (youtubevis configs
    with train_net_video.py's defaults);
  - a few official configs with overrides (the model fixtures' among them);
  - the test files under tests/unit/io/data/detectron2 (YAML scalars, base lists, errors);
and writes, per case, either the keys whose resolved value differs from the repository's
defaults (typed JSON: scripts/detectron2_official.py) or the error detectron2 raised; the
metadata of each dataset named by DATASETS.TRAIN[0] (thing ids, class names); and what
scripts/model_fixture_capture.py segx_model_config() makes of each resolved config. Output:
  tests/parity/model/data/detectron2_config_refs.json.gz  official configs (parity test;
                                                          gzip: 440 KiB of JSON, 20 KiB packed)
  tests/unit/io/data/detectron2/refs.json                the test files (unit test)
--check compares instead of writing and exits 1 on a difference.
"""
import argparse
import glob
import gzip
import json
import os
import subprocess
import sys

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from detectron2_official import PEERS, REPOSITORIES, ROOT, leaves, official_defaults, typed  # noqa

OFFICIAL_OUT = os.path.join(ROOT, "tests", "parity", "model", "data",
                            "detectron2_config_refs.json.gz")
LOCAL_DIR = os.path.join(ROOT, "tests", "unit", "io", "data", "detectron2")
LOCAL_OUT = os.path.join(LOCAL_DIR, "refs.json")
FOLDERS = {"Mask2Former": ["mask2former", "mask2former_video"], "MaskFormer": ["maskformer"],
           "OneFormer": ["oneformer"]}

# Official configs with overrides: (repository, config under the peers' src/, opts). The model
# fixtures' overrides are added from tests/parity/model/data/*/meta.json.
OPTS_CASES = [
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["MODEL.RESNETS.DEPTH", "101", "SOLVER.STEPS", "[1, 2]", "INPUT.MIN_SIZE_TRAIN", "(640,)",
      "MODEL.WEIGHTS", "'model.pkl'", "MODEL.SWIN.QK_SCALE", "0.5", "OUTPUT_DIR", "out dir",
      "DATASETS.TRAIN", "('coco_2017_train',)", "SEED", "-0x10", "TEST.EVAL_PERIOD", "1_000",
      "SOLVER.WEIGHT_DECAY_BIAS", "None", "MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD", "1e-1",
      "INPUT.MIN_SIZE_TEST", "0", "MODEL.PIXEL_STD", "[1, 2.5, '3']", "MODEL.DEVICE", "cpu",
      "MODEL.SWIN.OUT_FEATURES", "'res5',", "INPUT.FORMAT", " 'RGB'  # comment",
      "GLOBAL.HACK", "-1.5e+3", "MODEL.MASK_FORMER.TEST.PANOPTIC_ON", "False"]),
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["SOLVER.BASE_LR", "1"]),
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["MODEL.RESNETS.DEPTH", "fifty"]),
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["MODEL.RESNETS.NO_SUCH_KEY", "1"]),
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["MODEL.PIXEL_MEAN", "{1: 2}"]),
    ("mask2former", "Mask2Former/configs/coco/panoptic-segmentation/maskformer2_R50_bs16_50ep.yaml",
     ["MODEL.SWIN", "1"]),
    ("oneformer", "OneFormer/configs/ade20k/swin/oneformer_swin_tiny_bs16_160k.yaml",
     ["MODEL.IS_TRAIN", "False", "MODEL.TEST.TASK", "semantic", "WANDB.NAME", "'x'",
      "MODEL.DiNAT.DROP_RATE", "1", "MODEL.SWIN.QK_SCALE", "(1, 2)"]),
]
# The test files: (file under tests/unit/io/data/detectron2, repository).
LOCAL_CASES = [(os.path.basename(p), "oneformer" if "oneformer" in p else "mask2former")
               for p in sorted(glob.glob(os.path.join(LOCAL_DIR, "*.yaml")))]


def differences(cfg, defaults):
    """The typed leaves of cfg whose value (or type) differs from the defaults'."""
    base = {k: json.dumps(v) for k, v in leaves(typed(defaults))}
    out = {}
    for key, value in leaves(typed(cfg)):
        if base.get(key) != json.dumps(value):
            out[key] = value
    return out


def resolve(repo, path, opts):
    """{"diff": ...} or {"error": ...} for a config as the repository's train_net.py reads it."""
    cfg = official_defaults(repo)
    try:
        cfg.merge_from_file(path)
        cfg.merge_from_list(list(opts))
    except Exception as e:  # noqa: BLE001 - every failure is a reference result
        return {"error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}, None
    return {"diff": differences(cfg, official_defaults(repo))}, cfg


def dataset_metadata(name):
    from detectron2.data import MetadataCatalog
    meta = MetadataCatalog.get(name).as_dict()
    out = {}
    for key in ("thing_dataset_id_to_contiguous_id", "stuff_dataset_id_to_contiguous_id"):
        if key in meta:
            out[key] = sorted([int(k), int(v)] for k, v in meta[key].items())
    for key in ("thing_classes", "stuff_classes"):
        if key in meta:
            names = list(meta[key])
            out[key] = names if len(names) <= 200 else len(names)
    return out


def model_config(cfg, metadata):
    """scripts/model_fixture_capture.py's transcription of the mapping, where it applies."""
    from model_fixture_capture import segx_model_config
    things = sorted(v for _, v in metadata.get("thing_dataset_id_to_contiguous_id", []))
    try:
        out = segx_model_config(cfg, things)
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}
    del out["thing_classes"]  # compared through the dataset metadata
    return out


def child(folder):
    """Every case of one peers folder, as JSON on stdout."""
    src = os.path.join(PEERS, "src")
    repos = FOLDERS[folder]
    out = {"configs": {}, "opts_cases": [], "local": {}, "datasets": {}}

    def record_dataset(repo, cfg):
        if cfg is not None and len(cfg.DATASETS.TRAIN):
            name = cfg.DATASETS.TRAIN[0]
            key = f"{repo}/{name}"
            if key not in out["datasets"]:
                out["datasets"][key] = dataset_metadata(name)
            return out["datasets"][key]
        return {}

    for path in sorted(glob.glob(os.path.join(src, folder, "configs", "**", "*.yaml"),
                                 recursive=True)):
        rel = os.path.relpath(path, src)
        repo = repos[-1] if "/youtubevis" in rel else repos[0]
        result, cfg = resolve(repo, path, [])
        result["repository"] = repo
        if cfg is not None:
            result["segx_model_config"] = model_config(cfg, record_dataset(repo, cfg))
        out["configs"][rel] = result
    cases = list(OPTS_CASES)
    for meta_path in sorted(glob.glob(os.path.join(ROOT, "tests", "parity", "model", "data", "*",
                                                   "meta.json"))):
        with open(meta_path) as f:
            meta = json.load(f)
        config = meta["config_file"][len("src/"):]
        repo = {"Mask2Former": "mask2former", "MaskFormer": "maskformer",
                "OneFormer": "oneformer"}[config.split("/")[0]]
        cases.append((repo, config, meta["opts"]))
    for repo, config, opts in cases:
        if repo not in repos:
            continue
        result, cfg = resolve(repo, os.path.join(src, config), opts)
        result.update(repository=repo, config=config, opts=opts)
        if cfg is not None:
            record_dataset(repo, cfg)
        out["opts_cases"].append(result)
    for name, repo in LOCAL_CASES:
        if repo in repos:
            result, _ = resolve(repo, os.path.join(LOCAL_DIR, name), [])
            result["repository"] = repo
            out["local"][name] = result
    sys.stdout.write(json.dumps(out, allow_nan=False))


def write(path, doc, check):
    """JSON, gzip-compressed (without a time stamp) for a path ending in .gz."""
    text = json.dumps(doc, indent=0, sort_keys=True, allow_nan=False) + "\n"
    packed = path.endswith(".gz")
    if check:
        old = ""
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            old = (gzip.decompress(data) if packed else data).decode()
        if old != text:
            print(f"{path}: differs from what the official code gives", file=sys.stderr)
            return 1
        return 0
    data = gzip.compress(text.encode(), compresslevel=9, mtime=0) if packed else text.encode()
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(data) // 1024} KiB)", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child)
    official = {"generated_by": "scripts/gen_detectron2_config_refs.py", "configs": {},
                "opts_cases": [], "datasets": {}}
    local = {"generated_by": "scripts/gen_detectron2_config_refs.py", "cases": {}}
    for folder in FOLDERS:
        text = subprocess.run([sys.executable, __file__, "--child", folder], check=True,
                              stdout=subprocess.PIPE, text=True).stdout
        part = json.loads(text)
        official["configs"].update(part["configs"])
        official["opts_cases"] += part["opts_cases"]
        official["datasets"].update(part["datasets"])
        local["cases"].update(part["local"])
    return write(OFFICIAL_OUT, official, a.check) | write(LOCAL_OUT, local, a.check)


if __name__ == "__main__":
    sys.exit(main())
