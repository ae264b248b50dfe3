#!/usr/bin/env python3
"""Convert an official detectron2 Mask2Former/OneFormer/MaskFormer checkpoint (.pth or model-zoo
.pkl) and its config.yaml to segx: weights.safetensors (same parameter names, F32) + model.json.

  scripts/convert_detectron2_checkpoint.py model_final.pkl config.yaml out_dir \
      [--thing-classes 0-79]

Needs only Debian's python3-torch and python3-yaml. Training-only tensors (criterion.*, the
OneFormer text encoder) are dropped; segx reports any other mismatch by name when loading.
MaskFormer checkpoints of the head's first format (pixel decoder tensors directly under
sem_seg_head.) are renamed as MaskFormerHead._load_from_state_dict renames them.
"""
import argparse
import json
import os
import pickle
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from segx_safetensors import config_from_yaml, tensor_bytes, write_safetensors  # noqa: E402

DROP = ("criterion.", "text_encoder.", "text_projector.", "prompt_ctx.")


def load_state(path):
    import torch
    if path.endswith(".pkl"):
        with open(path, "rb") as f:
            data = pickle.load(f, encoding="latin1")
        state = data.get("model", data)
        return {k: torch.as_tensor(v) for k, v in state.items()}
    data = torch.load(path, map_location="cpu")
    state = data.get("model", data) if isinstance(data, dict) else data
    return {k: v for k, v in state.items() if hasattr(v, "shape")}


def pixel_decoder_name(key):
    """MaskFormerHead version 1 kept the pixel decoder's tensors under sem_seg_head. itself."""
    head = "sem_seg_head."
    if key.startswith(head) and not key.startswith((head + "predictor.", head + "pixel_decoder.")):
        return head + "pixel_decoder." + key[len(head):]
    return key


def parse_ids(text):
    ids = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            ids.extend(range(int(a), int(b) + 1))
        elif part:
            ids.append(int(part))
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("config_yaml")
    ap.add_argument("out_dir")
    ap.add_argument("--thing-classes", default="0-79",
                    help="contiguous ids of thing classes (COCO panoptic: 0-79)")
    a = ap.parse_args()
    import yaml
    with open(a.config_yaml) as f:
        cfg = yaml.safe_load(f)
    config = config_from_yaml(cfg, parse_ids(a.thing_classes))
    state = load_state(a.checkpoint)
    if not any(k.startswith("sem_seg_head.predictor.") for k in state):
        raise SystemExit(f"{a.checkpoint}: not a Mask2Former/OneFormer/MaskFormer checkpoint "
                         "(no sem_seg_head.predictor.* tensors)")
    if config["architecture"] == "maskformer":
        state = {pixel_decoder_name(k): v for k, v in state.items()}
    tensors = {k: tensor_bytes(v) for k, v in state.items() if not k.startswith(DROP)}
    os.makedirs(a.out_dir, exist_ok=True)
    write_safetensors(os.path.join(a.out_dir, "weights.safetensors"), tensors,
                      {"source": os.path.basename(a.checkpoint)})
    with open(os.path.join(a.out_dir, "model.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    print(f"{len(tensors)} tensors -> {a.out_dir}/weights.safetensors, model.json", file=sys.stderr)


if __name__ == "__main__":
    main()
