#!/usr/bin/env python3
"""Writes a safetensors file's F32 tensors as a detectron2 model-zoo pickle ({"model": {name:
numpy array}}), so the README's checkpoint conversion runs on the reference small model.
Usage: safetensors_to_pkl.py IN.safetensors OUT.pkl"""
import json
import pickle
import struct
import sys

import numpy as np

src, dst = sys.argv[1:3]
with open(src, "rb") as f:
    (size,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(size))
    data = f.read()
model = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    if info["dtype"] != "F32":
        sys.exit(f"{src}: {name} is {info['dtype']}, expected F32")
    begin, end = info["data_offsets"]
    model[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
with open(dst, "wb") as f:
    pickle.dump({"model": model, "__author__": "segx readme test"}, f, protocol=2)
