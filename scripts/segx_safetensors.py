"""A dependency-free safetensors writer shared by the fixture generators and benchmark scripts
(python3-torch only). Importing official checkpoints is `segx model import`, in C++."""
import json
import struct

_DTYPES = {  # torch dtype name -> (safetensors name, element size)
    "float32": ("F32", 4), "float16": ("F16", 2), "bfloat16": ("BF16", 2),
    "float64": ("F64", 8), "int64": ("I64", 8), "int32": ("I32", 4),
    "uint8": ("U8", 1), "bool": ("BOOL", 1),
}


def tensor_bytes(t):
    """(dtype name, shape, little-endian bytes) of a torch tensor (stored as float32)."""
    import torch
    t = t.detach().cpu().contiguous()
    if t.is_floating_point():
        t = t.to(torch.float32)
    name = str(t.dtype).replace("torch.", "")
    if name not in _DTYPES:
        raise SystemExit(f"cannot store dtype {name}")
    if t.numel() == 0:
        return _DTYPES[name][0], list(t.shape), b""
    data = t.reshape(-1).view(torch.uint8).numpy().tobytes()
    return _DTYPES[name][0], list(t.shape), data


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> (dtype, shape, bytes). Header padded to 8 bytes like the format."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)
