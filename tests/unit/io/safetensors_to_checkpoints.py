#!/usr/bin/python3
"""Writes a safetensors file's tensors as the official checkpoint formats, for the checkpoint
reader's parity test (tests/unit/io/checkpoint_test.cpp):
  OUT/weights.pkl   detectron2 model zoo: pickle.dump({"model": {name: ndarray}, ...}) (protocol 4,
                    Python 3's default, as detectron2's conversion scripts write them)
  OUT/weights.pth   torch.save({"model": OrderedDict of tensors, "iteration": ...}) (zip)
Usage: safetensors_to_checkpoints.py IN.safetensors OUT_DIR
Exits 3 when numpy or torch is missing, so that the test can skip with that reason."""
import collections
import json
import os
import pickle
import struct
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"missing python module: {e.name}", file=sys.stderr)
    sys.exit(3)

NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
         "I8": "i1", "U8": "u1", "BOOL": "?"}

src, out = sys.argv[1:3]
with open(src, "rb") as f:
    (size,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(size))
    data = f.read()
arrays = collections.OrderedDict()
for name, info in sorted(header.items(), key=lambda kv: kv[1].get("data_offsets", [0])[0]
                         if kv[0] != "__metadata__" else -1):
    if name == "__metadata__":
        continue
    begin, end = info["data_offsets"]
    arrays[name] = np.frombuffer(data[begin:end], NUMPY[info["dtype"]]).reshape(info["shape"]).copy()
with open(os.path.join(out, "weights.pkl"), "wb") as f:
    pickle.dump({"model": arrays, "__author__": "segx parity"}, f, protocol=4)
model = collections.OrderedDict((k, torch.from_numpy(v)) for k, v in arrays.items())
torch.save({"model": model, "iteration": 0}, os.path.join(out, "weights.pth"))
