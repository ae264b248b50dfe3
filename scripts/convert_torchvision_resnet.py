#!/usr/bin/env python3
"""Convert torchvision ResNet ImageNet weights (resnet50-*.pth) to segx/detectron2 backbone
names (backbone.stem.conv1.*, backbone.resN.i.convK.*, FrozenBN running stats) in safetensors.

  scripts/convert_torchvision_resnet.py resnet50-0676ba61.pth backbone.safetensors

torchvision strides in the 3x3 convolution, like Mask2Former configs (STRIDE_IN_1X1: False),
and uses RGB inputs in 0..1 normalised by ImageNet statistics: use pixel_mean 123.675, 116.28,
103.53 and pixel_std 58.395, 57.12, 57.375 (RGB). Needs Debian's python3-torch only.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from segx_safetensors import tensor_bytes, write_safetensors  # noqa: E402

BN = {"weight": "weight", "bias": "bias", "running_mean": "running_mean",
      "running_var": "running_var"}


def rename(k):
    if k.startswith("fc.") or k.endswith("num_batches_tracked"):
        return None
    m = re.match(r"(conv1|bn1)\.(\w+)$", k)
    if m:
        return ("backbone.stem.conv1." + ("" if m[1] == "conv1" else "norm.") + m[2])
    m = re.match(r"layer(\d)\.(\d+)\.(conv|bn)(\d)\.(\w+)$", k)
    if m:
        base = f"backbone.res{int(m[1]) + 1}.{m[2]}.conv{m[4]}."
        return base + ("" if m[3] == "conv" else "norm.") + m[5]
    m = re.match(r"layer(\d)\.(\d+)\.downsample\.([01])\.(\w+)$", k)
    if m:
        base = f"backbone.res{int(m[1]) + 1}.{m[2]}.shortcut."
        return base + ("" if m[3] == "0" else "norm.") + m[4]
    raise SystemExit(f"unexpected torchvision tensor {k}: not a ResNet checkpoint?")


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    import torch
    state = torch.load(sys.argv[1], map_location="cpu")
    out = {}
    for k, v in state.items():
        n = rename(k)
        if n:
            out[n] = tensor_bytes(v)
    write_safetensors(sys.argv[2], out, {"source": os.path.basename(sys.argv[1])})
    print(f"{len(out)} tensors -> {sys.argv[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
