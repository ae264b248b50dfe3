#!/usr/bin/python3
"""Small checkpoint files for the tests of segx's safe checkpoint readers (lib/segx/io/pickle,
checkpoint), written with Debian's python3, numpy and torch:

  scripts/gen_checkpoint_fixtures.py [--out tests/unit/io/data/checkpoints]

detectron2 model-zoo pickles ({"model": {name: ndarray}, "__author__": ..., ...}), one per way
they are found in the wild, all holding the same arrays (several dtypes, both byte orders, Fortran
order, 0-d, empty, a numpy scalar) and the same scalars:
  d2_p2.pkl .. d2_p5.pkl   pickle protocols 2-5 (5: numpy's _frombuffer of in-band bytearrays)
  d2_numpy2_p2/p4/p5.pkl   as numpy 2 writes them (numpy._core.multiarray._reconstruct,
                           numpy._core.numeric._frombuffer). Debian's numpy is 1.24, so stand-in
                           modules numpy._core.* are put in sys.modules and a reducer_override
                           swaps numpy's callables for them: the stream is what numpy 2 emits,
                           and loading it back here (with the stand-ins) checks it.
  d2_py2.pkl               as Python 2 wrote them: str as BINSTRING, dtype args as ints,
                           the model an OrderedDict of [key, value] pairs
  d2.expected.safetensors  what they hold; metadata "names" (file order) and "info" as JSON
torch.save zip archives, each with NAME.expected.safetensors:
  torch_state_dict.pth     a module's state_dict() plus f16/bf16/f64/int/bool tensors
  torch_d2.pth             detectron2's {"model": ..., "optimizer": ..., "iteration": ...}
  torch_views.pth          views: storage offsets, transposes, steps, a stride-0 expand, tied
                           tensors, an nn.Parameter, a numpy array beside tensors
  pytorch_model.bin        Hugging Face's flat state dict with tied embeddings
  torch_bigendian.pth      torch_views' float tensors re-packed with byteorder "big"
Refused files (the tests check nothing runs and the message names the problem):
  evil_os_system.pkl, evil_eval_p4.pkl, evil_subprocess_p5.pkl, evil.pth
                           __reduce__ to posix.system / builtins.eval / subprocess.call, each
                           touching a marker file relative to the working directory (checked
                           here to really run under pickle.load / torch.load)
  evil_object_array.pkl    an object array
  torch_legacy.pth         the pre-1.6 torch.save format
  bad_view.pth             a tensor view reaching past its storage  } archives written by hand
  bad_storage_size.pth     a storage of 2^40 floats in 16 bytes      } (handmade_torch_zip):
  stride0_bomb.pth         a 2^40-element view of one float          } torch would not write them
  numpy.npz                a zip that is no torch.save archive
All but torch_legacy.pth (whose storage keys are addresses) come out the same on every run.
"""
import argparse
import collections
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import types
import zipfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from segx_safetensors import write_safetensors  # noqa: E402

ST_DTYPES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
             "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8",
             "uint16": "U16", "uint32": "U32", "uint64": "U64", "bool": "BOOL"}


def np_entry(a):
    """(safetensors dtype, shape, C-order little-endian bytes) of a numpy array or scalar."""
    a = np.asarray(a)
    le = a.astype(a.dtype.newbyteorder("<"), order="C")
    return ST_DTYPES[le.dtype.name], list(a.shape), np.ascontiguousarray(le).tobytes()


def torch_entry(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
    return ST_DTYPES[str(t.dtype).replace("torch.", "")], list(t.shape), data


def write_expected(path, entries, names, info):
    write_safetensors(path, entries, {"names": json.dumps(names), "info": json.dumps(info)})


# ---- detectron2 model-zoo pickles ----------------------------------------------------------

def d2_model():
    rng = np.random.default_rng(0)
    m = {}
    m["backbone.stem.conv1.weight"] = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    m["backbone.stem.conv1.norm.bias"] = np.array([0.5, -1.25, 3.0, 1e-8], np.float32)
    m["sem_seg_head.fortran_f4"] = np.asfortranarray(rng.standard_normal((3, 5)).astype("<f4"))
    m["sem_seg_head.big_endian_f4"] = rng.standard_normal((2, 3)).astype(">f4")
    m["sem_seg_head.big_endian_fortran_i4"] = np.asfortranarray(
        np.arange(-6, 18, dtype=">i4").reshape(2, 3, 4))
    m["f8"] = np.array([[np.pi, -0.0], [1e300, -1e-300]], "<f8")
    m["f8_big"] = np.array([2.5, -7.0, 1e-5], ">f8")
    m["f2"] = np.array([1.0, -2.5, 65504.0, 6e-8, 0.1], np.float16)
    m["i8"] = np.array([-(2**62), -1, 0, 2**40 + 3], np.int64)
    m["i2"] = np.array([-32768, 7, 32767], ">i2")
    m["i1"] = np.array([-128, -1, 0, 127], np.int8)
    m["u1"] = np.array([0, 1, 200, 255], np.uint8)
    m["b1"] = np.array([True, False, True], np.bool_)
    m["zero_d"] = np.array(3.5, np.float32)
    m["empty"] = np.zeros((0, 3), np.float32)
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    m["non_contiguous"] = base[:, ::2]  # pickled as a C-order copy
    m["transposed"] = base.T  # F-contiguous: pickled in Fortran order
    m["numpy_scalar"] = np.float32(0.75)  # numpy.core.multiarray.scalar
    return m


def d2_checkpoint():
    return {"model": d2_model(), "__author__": "segx fixtures", "iteration": 7, "lr": 0.25,
            "matching_heuristics": True, "nothing": None, "big": 2**70, "neg": -5,
            "notes": ["lists are not scalars"]}


D2_INFO = {"__author__": "segx fixtures", "iteration": "7", "lr": "0.25",
           "matching_heuristics": "True", "nothing": "None", "big": str(2**70), "neg": "-5"}


class Numpy2Pickler(pickle.Pickler):
    """Pickles numpy arrays as numpy 2 does: its callables live in numpy._core."""

    def __init__(self, f, protocol):
        super().__init__(f, protocol=protocol)
        self.protocol = protocol

    def reducer_override(self, obj):
        if type(obj) is np.ndarray:
            rv = obj.__reduce_ex__(self.protocol)
            return (NUMPY2[rv[0].__name__],) + tuple(rv[1:])
        if isinstance(obj, np.generic):
            rv = obj.__reduce__()
            return (NUMPY2["scalar"],) + tuple(rv[1:])
        return NotImplemented


def install_numpy2_names():
    """Stand-ins named numpy._core.multiarray._reconstruct etc. that call numpy 1's."""
    import numpy.core.multiarray as ma
    import numpy.core.numeric as nu
    out = {}
    pkg = types.ModuleType("numpy._core")
    pkg.__path__ = []
    sys.modules["numpy._core"] = pkg
    for modname, real, names in (("numpy._core.multiarray", ma, ("_reconstruct", "scalar")),
                                 ("numpy._core.numeric", nu, ("_frombuffer",))):
        mod = types.ModuleType(modname)
        for name in names:
            def f(*args, _real=getattr(real, name)):
                return _real(*args)
            f.__module__, f.__name__, f.__qualname__ = modname, name, name
            setattr(mod, name, f)
            out[name] = f
        sys.modules[modname] = mod
        setattr(pkg, modname.rsplit(".", 1)[1], mod)
    return out


NUMPY2 = install_numpy2_names()


class Py2Pickler(pickle._Pickler):
    """Writes str and bytes as Python 2's str (BINSTRING) and numpy dtype args as ints, as
    Detectron-era model-zoo pickles are."""
    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        if isinstance(obj, str):
            obj = obj.encode("latin1")
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + n.to_bytes(4, "little") + obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def reducer_override(self, obj):
        if isinstance(obj, np.dtype):
            cls, (code, align, copy), state = obj.__reduce__()
            return cls, (code, int(align), int(copy)), state
        if isinstance(obj, collections.OrderedDict):  # Python 2.7's OrderedDict.__reduce__
            return collections.OrderedDict, ([[k, v] for k, v in obj.items()],)
        return NotImplemented


def write_pickles(out):
    ckpt = d2_checkpoint()
    for proto in (2, 3, 4, 5):
        with open(os.path.join(out, f"d2_p{proto}.pkl"), "wb") as f:
            pickle.dump(ckpt, f, protocol=proto)
    for proto in (2, 4, 5):
        path = os.path.join(out, f"d2_numpy2_p{proto}.pkl")
        with open(path, "wb") as f:
            Numpy2Pickler(f, protocol=proto).dump(ckpt)
        data = open(path, "rb").read()
        assert b"numpy._core" in data and b"numpy.core" not in data, path
    with open(os.path.join(out, "d2_py2.pkl"), "wb") as f:
        Py2Pickler(f, protocol=2).dump(dict(ckpt, model=collections.OrderedDict(ckpt["model"])))
    # Each loads back in Python to what was written (py2 as detectron2 loads it: latin1).
    for name in sorted(os.listdir(out)):
        if name.startswith("d2_") and name.endswith(".pkl"):
            with open(os.path.join(out, name), "rb") as f:
                back = pickle.load(f, encoding="latin1")
            for k, v in ckpt["model"].items():
                # numpy 1.24 loads protocol <= 4 big-endian arrays swapped to native order
                w, v = np.asarray(back["model"][k]), np.asarray(v)
                assert w.dtype.str[1:] == v.dtype.str[1:] and np.array_equal(w, v), (name, k)
    model = ckpt["model"]
    write_expected(os.path.join(out, "d2.expected.safetensors"),
                   {k: np_entry(v) for k, v in model.items()}, list(model), D2_INFO)


# ---- torch.save archives -------------------------------------------------------------------

def save_torch(out, name, obj, entries, names, info):
    torch.save(obj, os.path.join(out, name))
    write_expected(os.path.join(out, name + ".expected.safetensors"), entries, names, info)


def state_dict_extras(sd):
    sd["extra.f16"] = torch.tensor([1.0, -2.5, 65504.0], dtype=torch.float16)
    sd["extra.bf16"] = torch.tensor([1.0, -2.5, 3.0e38, 1e-3], dtype=torch.bfloat16)
    sd["extra.f64"] = torch.tensor([[1.0 / 3, -2.0]], dtype=torch.float64)
    sd["extra.i32"] = torch.tensor([-(2**31), 5], dtype=torch.int32)
    sd["extra.i16"] = torch.tensor([-7, 300], dtype=torch.int16)
    sd["extra.i8"] = torch.tensor([-128, 127], dtype=torch.int8)
    sd["extra.u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["extra.bool"] = torch.tensor([True, False, True])
    sd["extra.empty"] = torch.zeros(0, 2)
    return sd


def write_torch(out):
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                 torch.nn.Flatten(), torch.nn.Linear(4, 2))
    module[1].running_mean.uniform_()
    sd = state_dict_extras(module.state_dict())
    entries = {k: torch_entry(v) for k, v in sd.items()}
    save_torch(out, "torch_state_dict.pth", sd, entries, list(sd), {})

    sd2 = collections.OrderedDict((f"sem_seg_head.{k}", v) for k, v in module.state_dict().items())
    opt = torch.optim.Adam(module.parameters())
    module(torch.randn(2, 3, 3, 3)).sum().backward()
    opt.step()  # tensors in the optimizer's state: not returned
    d2 = {"model": sd2, "optimizer": opt.state_dict(), "scheduler": {"last_epoch": 3},
          "iteration": 99, "__author__": "segx fixtures"}
    save_torch(out, "torch_d2.pth", d2, {k: torch_entry(v) for k, v in sd2.items()}, list(sd2),
               {"iteration": "99", "__author__": "segx fixtures"})

    views = views_dict()
    save_torch(out, "torch_views.pth", views, {k: entry_of(v) for k, v in views.items()},
               list(views), {})

    g = torch.Generator().manual_seed(1)
    emb = torch.randn(10, 4, generator=g)
    hf = {"embeddings.word_embeddings.weight": emb,
          "encoder.layer.0.attention.self.query.weight": torch.randn(4, 4, generator=g),
          "encoder.layer.0.attention.self.query.bias": torch.zeros(4),
          "embeddings.position_ids": torch.arange(6).unsqueeze(0),
          "lm_head.weight": emb}  # tied: one storage, two names
    save_torch(out, "pytorch_model.bin", hf, {k: torch_entry(v) for k, v in hf.items()},
               list(hf), {})

    write_bigendian(out)
    torch.save({"w": torch.ones(2)}, os.path.join(out, "torch_legacy.pth"),
               _use_new_zipfile_serialization=False)


def views_dict():
    base = torch.arange(60, dtype=torch.float32)
    p = torch.nn.Parameter(torch.tensor([[1.5, -2.0]]))
    tied = torch.arange(4, dtype=torch.int64) * 3
    return collections.OrderedDict([
        ("offset_view", base[10:20].view(2, 5)),
        ("transposed", base[:12].view(3, 4).t()),
        ("stepped", base.view(6, 10)[::2, 1::3]),
        ("whole", base),
        ("last", base[59:]),
        ("expanded", torch.arange(3.0).view(3, 1).expand(3, 4)),
        ("zero_d_view", base[7]),
        ("param", p),
        ("tied_a", tied),
        ("tied_b", tied),
        ("numpy_i2", np.arange(-2, 4, dtype=np.int16).reshape(2, 3)),
    ])


def entry_of(v):
    return np_entry(v) if isinstance(v, np.ndarray) else torch_entry(v)


def write_bigendian(out):
    """torch_views' float32 tensors in an archive marked byteorder "big" (as torch >= 2.1
    writes on big-endian machines), the storages byte-swapped."""
    views = collections.OrderedDict((k, v) for k, v in views_dict().items()
                                    if isinstance(v, torch.Tensor) and v.dtype == torch.float32)
    buf = io.BytesIO()
    torch.save(views, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    path = os.path.join(out, "torch_bigendian.pth")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            archive, _, record = info.filename.partition("/")
            if record.startswith("data/"):
                data = np.frombuffer(data, "<f4").astype(">f4").tobytes()
            dst.writestr(zipfile.ZipInfo(info.filename.replace(archive, "torch_bigendian", 1)),
                         data)
        dst.writestr(zipfile.ZipInfo("torch_bigendian/byteorder"), "big")
    write_expected(path + ".expected.safetensors",
                   {k: torch_entry(v) for k, v in views.items()}, list(views), {})


# ---- refused files -------------------------------------------------------------------------

class Reduce:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def write_evil(out):
    ok = np.ones((2, 2), np.float32)
    evil = {
        "evil_os_system.pkl": (2, Reduce(os.system, "touch segx_pwned_os_system")),
        "evil_eval_p4.pkl": (4, Reduce(eval, "open('segx_pwned_eval', 'w').close()")),
        "evil_subprocess_p5.pkl": (5, Reduce(subprocess.call, ["touch", "segx_pwned_subprocess"])),
    }
    for name, (proto, payload) in evil.items():
        # The payload comes after a good array: refusing must not depend on where it is.
        with open(os.path.join(out, name), "wb") as f:
            pickle.dump({"model": {"ok": ok, "payload": payload}}, f, protocol=proto)
    torch.save({"model": {"w": torch.ones(2)}, "x": Reduce(os.system, "touch segx_pwned_torch")},
               os.path.join(out, "evil.pth"))
    with open(os.path.join(out, "evil_object_array.pkl"), "wb") as f:
        pickle.dump({"model": {"ok": ok, "objects": np.array([1, "two"], dtype=object)}}, f,
                    protocol=2)
    # Check that they really are hostile: Python's own loaders run them.
    markers = {"evil_os_system.pkl": "segx_pwned_os_system", "evil_eval_p4.pkl": "segx_pwned_eval",
               "evil_subprocess_p5.pkl": "segx_pwned_subprocess", "evil.pth": "segx_pwned_torch"}
    for name, marker in markers.items():
        with tempfile.TemporaryDirectory() as tmp:
            load = "torch.load" if name.endswith(".pth") else "pickle.load"
            code = f"import pickle, torch; {load}(open({os.path.join(out, name)!r}, 'rb'))"
            subprocess.run([sys.executable, "-c", code], cwd=tmp, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            assert os.path.exists(os.path.join(tmp, marker)), f"{name} did not run its payload"


class StorageRef:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class StoragePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
        return None


def handmade_torch_zip(path, tensors, records):
    """A torch.save-like archive whose data.pkl declares whatever views and sizes it is given."""
    buf = io.BytesIO()
    StoragePickler(buf, protocol=2).dump(tensors)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("archive/data.pkl"), buf.getvalue())
        for key, data in records.items():
            z.writestr(zipfile.ZipInfo(f"archive/data/{key}"), data)
        z.writestr(zipfile.ZipInfo("archive/version"), "3\n")


def write_malformed(out):
    four = np.arange(4, dtype="<f4").tobytes()
    s = StorageRef("0", 4)
    handmade_torch_zip(os.path.join(out, "bad_view.pth"),
                       {"ok": TensorRef(s, 0, [2, 2], [2, 1]), "bad": TensorRef(s, 1, [2, 2], [2, 1])},
                       {"0": four})
    handmade_torch_zip(os.path.join(out, "bad_storage_size.pth"),
                       {"w": TensorRef(StorageRef("0", 2**40), 0, [4], [1])}, {"0": four})
    handmade_torch_zip(os.path.join(out, "stride0_bomb.pth"),
                       {"w": TensorRef(StorageRef("0", 1), 0, [2**20, 2**20], [0, 0])},
                       {"0": four[:4]})
    buf = io.BytesIO()
    np.savez(buf, w=np.ones(2, np.float32))
    with open(os.path.join(out, "numpy.npz"), "wb") as f:
        f.write(buf.getvalue())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests/unit/io/data/checkpoints"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    write_pickles(args.out)
    write_torch(args.out)
    write_evil(args.out)
    write_malformed(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, n)) for n in os.listdir(args.out))
    print(f"{args.out}: {len(os.listdir(args.out))} files, {total} bytes")


if __name__ == "__main__":
    main()
