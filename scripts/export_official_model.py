#!/usr/bin/python3
"""One official model's seeded weights and input, for timing segx and the official code alike.

  source /tmp/segx-peers/env.sh
  scripts/export_official_model.py CONFIG.yaml OUT_DIR [--size HxW] [KEY VALUE ...]

Builds the model of CONFIG (a config of the peers' Mask2Former, OneFormer or MaskFormer
repository) as ../shared/peers/forward.py does (seed 0, random init, MODEL.DEVICE cpu), then draws
the random uint8 input image exactly as forward.py does after building. Writes under OUT_DIR:
  weights.pth          the state dict, for forward.py --weights
  weights.safetensors  the same tensors under the same names, for segx (training-only tensors and
                       integer index buffers left out: segx computes those)
  model.json           the segx model config of these weights
  input.safetensors    "input.image_u8" [3, H, W], the image forward.py feeds
So both sides run the same weights on the same input.
"""
import argparse
import json
import os
import sys

import torch

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SCRIPTS)
from model_fixture_capture import TRAINING_ONLY, segx_model_config, thing_ids  # noqa: E402
from segx_safetensors import tensor_bytes, write_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("out_dir")
    ap.add_argument("--size", default="256x320", help="HxW of the input image")
    ap.add_argument("opts", nargs="*", help="config overrides: KEY VALUE ...")
    a = ap.parse_args()
    sys.path.insert(0, os.environ.get("PEERS_DIR", os.path.join(SCRIPTS, "..", "..", "shared",
                                                                "peers")))
    from forward import make_cfg
    from detectron2.modeling import build_model

    torch.manual_seed(0)  # as forward.py: the seed, then the model, then the image
    cfg = make_cfg(a.config, a.opts)
    model = build_model(cfg)
    h, w = (int(v) for v in a.size.split("x"))
    image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
    os.makedirs(a.out_dir, exist_ok=True)
    state = model.state_dict()
    torch.save(state, os.path.join(a.out_dir, "weights.pth"))
    kept = {k: tensor_bytes(v) for k, v in state.items()
            if not k.startswith(TRAINING_ONLY) and v.dtype != torch.int64}
    write_safetensors(os.path.join(a.out_dir, "weights.safetensors"), kept)
    write_safetensors(os.path.join(a.out_dir, "input.safetensors"),
                      {"input.image_u8": tensor_bytes(image)})
    with open(os.path.join(a.out_dir, "model.json"), "w") as f:
        json.dump(segx_model_config(cfg, thing_ids(cfg)), f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
