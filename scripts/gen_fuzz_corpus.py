#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/), small and made
by hand: PNGs of every colour type, bit depth, interlace method and row filter (zlib, no image
library), RLE strings and counts, polygons, COCO and manifest JSON, safetensors files, pickles of
numpy arrays (protocols 2-5), torch.save archives, detectron2 YAML and Python literals, tokenizer
text and a tiny BPE merges file, model and training configs. A few small fixtures from
../shared/fixtures are copied in where present.

    /usr/bin/python3 scripts/gen_fuzz_corpus.py [--out tests/fuzz/corpus]

The output is deterministic: running it again rewrites the same files.
"""
import argparse
import io
import json
import os
import pickle
import shutil
import struct
import sys
import zipfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.environ.get("SEGX_FIXTURES", os.path.join(ROOT, "..", "shared", "fixtures"))


# ---------------------------------------------------------------------------------------- PNG
def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, bit_depth):
    """Samples of one row (ints) packed as the PNG stores them."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if bit_depth == 8:
        return bytes(samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << bit_depth) | s
        nbits += bit_depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp, first_filter):
    """Each row filtered with filter type (first_filter + y) % 5, so every filter is used."""
    out, prev = bytearray(), bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        f = (first_filter + y) % 5
        line = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][f]
            line.append((x - pred) & 0xFF)
        out.append(f)
        out += line
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def make_png(width, height, color_type, bit_depth, interlace, first_filter=0, extra=b"", seed=1):
    channels = CHANNELS[color_type]
    maxv = (1 << bit_depth) - 1
    if color_type == 3:
        maxv = min(maxv, 5)
    pixels = [[[(seed * 31 + x * 7 + y * 13 + c * 5) % (maxv + 1) for c in range(channels)]
               for x in range(width)] for y in range(height)]
    bpp = max(1, channels * bit_depth // 8)

    def rows_of(xs, ys):
        return [pack_row([s for x in xs for s in pixels[y][x]], bit_depth) for y in ys]

    if interlace:
        raw = b""
        for p, (x0, y0, dx, dy) in enumerate(ADAM7):
            xs, ys = list(range(x0, width, dx)), list(range(y0, height, dy))
            if xs and ys:
                raw += filter_rows(rows_of(xs, ys), bpp, first_filter + p)
    else:
        raw = filter_rows(rows_of(range(width), range(height)), bpp, first_filter)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    if color_type == 3:
        png += chunk(b"PLTE", bytes(v for i in range(maxv + 1) for v in (i * 40, 255 - i * 30, i * 9)))
    png += extra
    data = zlib.compress(raw, 9)
    # Two IDAT chunks: readers must join them.
    png += chunk(b"IDAT", data[: len(data) // 2]) + chunk(b"IDAT", data[len(data) // 2:])
    return png + chunk(b"IEND", b"")


def png_corpus():
    files = {}
    depths = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}
    for ct, ds in depths.items():
        for d in ds:
            for il in (0, 1):
                w, h = (9, 7) if il else (5, 3)
                files[f"ct{ct}_d{d}_i{il}.png"] = make_png(w, h, ct, d, il, first_filter=ct + d)
    files["palette_trns.png"] = make_png(4, 4, 3, 8, 0, extra=chunk(b"tRNS", bytes([0, 128, 255])))
    files["grey_trns.png"] = make_png(4, 2, 0, 8, 0, extra=chunk(b"tRNS", b"\x00\x07"))
    files["rgb_trns.png"] = make_png(3, 2, 2, 16, 0, extra=chunk(b"tRNS", b"\x00\x01\x00\x02\x00\x03"))
    files["one_pixel.png"] = make_png(1, 1, 0, 1, 1)
    files["text_chunk.png"] = make_png(2, 2, 2, 8, 0, extra=chunk(b"tEXt", b"Comment\x00segx"))
    return files


def panoptic_png_corpus():
    files = {}
    for name, (ct, d, il) in {"rgb8.png": (2, 8, 0), "rgb8_adam7.png": (2, 8, 1),
                              "rgba8.png": (6, 8, 0), "grey16.png": (0, 16, 0),
                              "grey8.png": (0, 8, 0), "palette.png": (3, 8, 0),
                              "rgb16.png": (2, 16, 0)}.items():
        files[name] = make_png(6, 4, ct, d, il, first_filter=1, seed=len(name))
    # Long runs of one id, as real panoptic maps have.
    rows = [bytes([1, 2, 3] * 8 + [9, 9, 9] * 8) for _ in range(3)]
    raw = b"".join(b"\x00" + r for r in rows)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 3, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    files["runs.png"] = png
    return files


# ---------------------------------------------------------------------------------------- RLE
def rle_to_string(counts):
    """pycocotools rleToString."""
    out = bytearray()
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = (x != -1) if (ch & 0x10) else (x != 0)
            if more:
                ch |= 0x20
            out.append(ch + 48)
    return bytes(out)


def rle_corpus():
    files = {}
    cases = {"small": (4, 5, [3, 4, 2, 6, 5]), "full": (3, 3, [0, 9]), "empty": (2, 8, [16]),
             "big_runs": (40, 50, [1000, 3, 700, 297]), "stripes": (6, 6, [1, 1] * 18)}
    for name, (h, w, counts) in cases.items():
        files[name] = bytes([h, w]) + rle_to_string(counts)
    files["bad_chars"] = bytes([3, 3]) + b"~~ \x01"
    files["truncated"] = bytes([5, 5]) + b"0o"
    return files


def counts_corpus():
    files = {}
    for name, (h, w, counts) in {"small": (4, 5, [3, 4, 2, 6, 5]), "zero_first": (2, 2, [0, 4]),
                                 "short": (3, 3, [2, 2]), "long": (3, 3, [2, 2, 9]),
                                 "huge": (1, 1, [0xFFFFFFFF, 1])}.items():
        files[name] = bytes([0, h, 0, w]) + struct.pack(f"<{len(counts)}I", *counts)
    return files


def polygon_corpus():
    files = {}

    def ints(h, w, parts, xy):
        return bytes([h, w, parts, 0]) + struct.pack(f"<{len(xy)}h", *[int(v * 16) for v in xy])

    def raw(h, w, parts, xy):
        return bytes([h, w, parts, 1]) + struct.pack(f"<{len(xy)}d", *xy)

    files["square"] = ints(9, 9, 0, [1, 1, 6, 1, 6, 6, 1, 6])
    files["two_parts"] = ints(20, 30, 1, [0, 0, 10, 0, 5, 8, 12, 12, 25, 12, 25, 18])
    files["outside"] = ints(5, 5, 0, [-100, -100, 200, -50, 150, 300])
    files["doubles"] = raw(10, 10, 0, [0.5, 0.5, 9.5, 0.25, 4.75, 9.9])
    files["nan_inf"] = raw(4, 4, 0, [float("nan"), 1.0, float("inf"), 2.0, 3.0, -float("inf")])
    files["far"] = raw(8, 8, 0, [4e8, 1.0, 2.0, 3.0, 1e300, 5.0])
    return files


# -------------------------------------------------------------------------------------- JSON
def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


COCO_IMAGES = [{"id": 1, "file_name": "a.jpg", "height": 4, "width": 5},
               {"id": 2, "file_name": "b/c.png", "height": 7, "width": 3}]
COCO_CATS = [{"id": 1, "name": "cat", "supercategory": "animal"},
             {"id": 7, "name": "sky", "supercategory": "stuff", "isthing": 0}]


def coco_instances_corpus():
    anns = [
        {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 6.0, "bbox": [0, 0, 3, 2],
         "segmentation": [[0, 0, 3, 0, 3, 2, 0, 2]]},
        {"id": 2, "image_id": 1, "category_id": 7, "iscrowd": 1, "area": 5, "bbox": [1, 1, 2, 2],
         "segmentation": {"size": [4, 5], "counts": rle_to_string([3, 4, 2, 6, 5]).decode()}},
        {"id": 3, "image_id": 2, "category_id": 1, "iscrowd": 1, "area": 4, "bbox": [0, 0, 1, 4],
         "segmentation": {"size": [7, 3], "counts": [0, 4, 17]}},
        {"id": 4, "image_id": 2, "category_id": 7, "iscrowd": 0, "bbox": [0.5, 1.5, 1.25, 2]},
    ]
    files = {"instances.json": dumps({"images": COCO_IMAGES, "categories": COCO_CATS,
                                      "annotations": anns}),
             "empty.json": b'{"images":[],"categories":[],"annotations":[]}',
             "string_ids.json": dumps({"images": [{"id": "x1", "height": 2, "width": 2}],
                                       "categories": COCO_CATS,
                                       "annotations": [{"id": 9, "image_id": "x1", "category_id": 1,
                                                        "iscrowd": 1.0, "bbox": [0, 0, 1, 1]}]})}
    fixture = os.path.join(FIXTURES, "real", "faster_coco_eval_tests", "gt_ignore_test.json")
    if os.path.exists(fixture):
        with open(fixture, "rb") as f:
            files["fixture_gt_ignore_test.json"] = f.read()
    return files


def coco_results_corpus():
    return {
        "boxes.json": dumps([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 3], "score": 0.9},
                             {"image_id": 2, "category_id": 7, "bbox": [1, 1, 1, 1], "score": 0.1}]),
        "masks.json": dumps([{"image_id": 1, "category_id": 2, "score": 0.5,
                              "segmentation": {"size": [4, 5],
                                               "counts": rle_to_string([3, 4, 2, 6, 5]).decode()}},
                             {"image_id": 2, "category_id": 7, "score": 1,
                              "segmentation": {"size": [7, 3], "counts": [1, 20]}}]),
        "polygons.json": dumps([{"image_id": 3, "category_id": 1, "score": 0.3,
                                 "segmentation": [[0, 0, 1, 0, 1, 1]]}]),
        "empty.json": b"[]",
    }


def coco_panoptic_corpus():
    segs = [{"id": 3, "category_id": 1, "iscrowd": 0, "area": 7, "bbox": [0, 0, 2, 2]},
            {"id": 2 + 256 * 3, "category_id": 7, "iscrowd": 1, "area": 9.0, "bbox": [1, 1, 3, 3]}]
    cats = [{"id": 1, "name": "cat", "isthing": 1, "color": [220, 20, 60]},
            {"id": 7, "name": "sky", "isthing": 0, "color": [70, 130, 180.0]}]
    return {
        "panoptic.json": dumps({"images": COCO_IMAGES, "categories": cats, "annotations": [
            {"image_id": 1, "file_name": "a.png", "segments_info": segs},
            {"image_id": 2, "file_name": "b/c.png", "segments_info": []}]}),
        "minimal.json": b'{"images":[],"annotations":[],"categories":[]}',
    }


def manifest_corpus():
    header = {"segx_manifest": 1, "dataset": "fuzz", "root": "imgs",
              "categories": [{"id": 1, "name": "cat", "isthing": True, "color": [1, 2, 3]},
                             {"id": 7, "name": "sky", "isthing": False}]}
    rec1 = {"file_name": "a.jpg", "image_id": 1, "height": 4, "width": 5,
            "pan_seg_file_name": "a.png",
            "segments_info": [{"id": 3, "category_id": 1, "iscrowd": 0, "area": 7}],
            "annotations": [{"category_id": 1, "bbox": [0, 0, 2, 2], "bbox_mode": "XYWH_ABS",
                             "segmentation": {"size": [4, 5], "counts": "0o1"}, "iscrowd": 0}]}
    rec2 = {"file_name": "/abs/b.png", "image_id": "b", "height": 2, "width": 2,
            "sem_seg_file_name": "b_sem.png", "extra": {"kept": [1, 2]}}
    lines = b"\n".join(dumps(x) for x in (header, rec1, rec2)) + b"\n"
    return {"manifest.jsonl": lines, "header_only.jsonl": dumps(header) + b"\n",
            "blank_lines.jsonl": dumps(header) + b"\n\n\n" + dumps(rec2) + b"\n"}


# ------------------------------------------------------------------------------- safetensors
def safetensors(tensors, metadata=None, align=8):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % align)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_corpus():
    return {
        "two.safetensors": safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                        "b": ("I64", [1], struct.pack("<q", 7))},
                                       {"format": "pt"}),
        "dtypes.safetensors": safetensors({"h": ("F16", [3], b"\x00" * 6), "bf": ("BF16", [1, 1], b"\x00\x01"),
                                           "u8": ("U8", [5], b"abcde"), "bool": ("BOOL", [2], b"\x00\x01"),
                                           "d": ("F64", [], struct.pack("<d", 0.5)),
                                           "i32": ("I32", [0, 4], b"")}),
        "empty.safetensors": safetensors({}),
        "overflow_shape.safetensors": safetensors({"x": ("F32", [2**40, 2**40, 2**40], b"")}),
    }


# ----------------------------------------------------------------------------------- pickles
def numpy_pickles():
    """detectron2 .pkl files: {"model": {name: ndarray}} of several dtypes and orders."""
    files = {}
    try:
        import numpy as np
    except ImportError:
        return files
    model = {"w": np.arange(6, dtype=np.float32).reshape(2, 3),
             "b": np.array([1, -2], dtype=">i4"),
             "f": np.asfortranarray(np.arange(4, dtype=np.float64).reshape(2, 2)),
             "u": np.array([1, 2, 3], dtype=np.uint8), "s": np.float16(1.5).reshape(()),
             "t": np.array([True, False])}
    for protocol in (2, 3, 4, 5):
        files[f"d2_p{protocol}.pkl"] = pickle.dumps(
            {"model": model, "__author__": "segx", "matching_heuristics": True}, protocol=protocol)
    files["flat_p2.pkl"] = pickle.dumps({"x": np.zeros((1, 2), dtype=np.int64)}, protocol=2)
    files["blobs_p2.pkl"] = pickle.dumps({"blobs": {"a": np.ones(2, dtype=np.float32)}}, protocol=2)
    return files


def plain_pickles():
    files = {}
    values = {"nested": {"a": [1, 2.5, None, True, "x", b"y", (1, 2)], "b": {"c": 2**70}},
              "strings": ["é", "a" * 300, b"\x00" * 3], "ints": [0, -1, 255, 65536, -2**31, 2**63]}
    for protocol in (0, 2, 3, 4, 5):
        files[f"plain_p{protocol}.pkl"] = pickle.dumps(values, protocol=protocol)
    shared = [1, 2]
    files["memo.pkl"] = pickle.dumps({"x": shared, "y": shared}, protocol=4)
    files["global.pkl"] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03."
    return files


def torch_archives():
    """torch.save zip archives written with the zipfile module, as torch >= 1.6 lays them out."""
    files = {}
    try:
        import torch
    except ImportError:
        return files
    state = {"conv.weight": torch.arange(8, dtype=torch.float32).reshape(2, 1, 2, 2),
             "conv.bias": torch.tensor([0.5, -1.0], dtype=torch.float64),
             "bn.num_batches_tracked": torch.tensor(3),
             "half": torch.ones(3, dtype=torch.float16), "mask": torch.tensor([True, False])}
    base = torch.arange(12, dtype=torch.int32)
    state["view"] = base[2:8].reshape(2, 3).t()
    for name, obj in {"state.pth": state, "model.pth": {"model": state, "iteration": 5},
                      "empty.pth": {}}.items():
        buf = io.BytesIO()
        torch.save(obj, buf)
        files[name] = normalize_zip(buf.getvalue())
    return files


def normalize_zip(data):
    """The same archive with fixed timestamps (torch.save stamps the current time)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ------------------------------------------------------------------------------- vocabularies
def vocabulary_corpus():
    vocab = {"name": "fuzz", "version": 1, "classes": [
        {"id": 1, "name": "cat", "synonyms": ["kitty"], "isthing": True, "parent": "animal",
         "sources": {"coco": 17}},
        {"id": 2, "name": "sky", "isthing": False, "color": [70, 130, 180]}]}
    return {"vocab.json": dumps(vocab), "minimal.json": b'{"classes":[]}',
            "float_id.json": b'{"classes":[{"id":1e300,"name":"x"},{"id":2.5,"name":"y"}]}'}


# ---------------------------------------------------------------------------------- detectron2
YAML_CONFIG = b"""\
MODEL:
  META_ARCHITECTURE: "MaskFormer"
  BACKBONE:
    NAME: "build_resnet_backbone"
  WEIGHTS: "R-50.pkl"
  PIXEL_MEAN: [123.675, 116.280, 103.530]
  RESNETS:
    DEPTH: 50
    STRIDE_IN_1X1: False
    OUT_FEATURES: ["res2", "res3", "res4", "res5"]
  SEM_SEG_HEAD:
    NAME: "MaskFormerHead"
    NUM_CLASSES: 133
    PIXEL_DECODER_NAME: "MSDeformAttnPixelDecoder"
  MASK_FORMER:
    TRANSFORMER_DECODER_NAME: "MultiScaleMaskedTransformerDecoder"
    NUM_OBJECT_QUERIES: 100
    TEST:
      SEMANTIC_ON: True
      OVERLAP_THRESHOLD: 0.8
DATASETS:
  TRAIN: ("coco_2017_train_panoptic",)
  TEST: ("coco_2017_val_panoptic_with_sem_seg",)
SOLVER:
  BASE_LR: 0.0001
  STEPS: (327778, 355092)
  MAX_ITER: 368750
INPUT:
  MIN_SIZE_TRAIN: !!python/object/apply:eval ["[int(x * 0.1 * 1024) for x in range(5, 21)]"]
  CROP:
    ENABLED: True
    SIZE: [1024, 1024]
TEST:
  EVAL_PERIOD: 5000
VERSION: 2
"""


def detectron2_yaml_corpus():
    files = {"mask2former.yaml": YAML_CONFIG,
             "base.yaml": b'_BASE_: "../Base-COCO.yaml"\nMODEL:\n  WEIGHTS: ""\n',
             "anchors.yaml": b"A: &x [1, 2, {k: v}]\nB: *x\nC: {<<: {d: 1}, e: 0x1F}\n"
                             b"D: [.5, 1e3, -.inf, .NaN, ~, yes, Off, '3', 0o17, 1_000]\n",
             # An alias inside its own anchor (a cycle; a fuzz finding, see fuzz_findings_test).
             "alias_cycle.yaml": b"A: &x [1, {k: *x}]\nB: !!python/tuple &y [1, *y]\n",
             "oneformer.yaml": b"MODEL:\n  META_ARCHITECTURE: OneFormer\n  ONE_FORMER:\n"
                               b"    NUM_OBJECT_QUERIES: 150\n    CLASS_WEIGHT: 2.0\n"
                               b"  TEXT_ENCODER:\n    CONTEXT_LENGTH: 77\n"}
    for name in ("small", "oneformer_small"):
        path = os.path.join(FIXTURES, "reference-model", name, "config.yaml")
        if os.path.exists(path):
            with open(path, "rb") as f:
                files[f"fixture_{name}.yaml"] = f.read()
    return files


def detectron2_literal_corpus():
    literals = ["1", "-3.5e-2", "0x1f", "0o17", "0b101", "1_000", "True", "None", "'a\\x41\\n'",
                '"double"', "(1,)", "[1, (2, 3), [4.0, 'x']]", "{'a': 1}", "{1, 2}", "b'bytes'",
                "1+2j", "-(1)", "inf", "('coco_2017_train',)", "[[[[[]]]]]", "u'\\u00e9'",
                "r'\\d+'", "'''triple'''", "1e999", "123456789012345678901234567890"]
    return {f"lit{i:02d}": s.encode() for i, s in enumerate(literals)}


# ---------------------------------------------------------------------------------- tokenizer
def tokenizer_corpus():
    texts = ["a photo with a cat", "the task is panoptic", "Straße 東京 naïve café",
             "it's   don't  we'll  I'M", "1234 5.5 ---!!!", "<|startoftext|>sky<|endoftext|>",
             "\t\n\x00\xff", "a" * 200, "😀 emoji 🐈‍⬛"]
    return {f"text{i}": t.encode("utf-8", "surrogatepass") for i, t in enumerate(texts)}


def bpe_corpus():
    merges = ["#version: 0.2", "t h", "th e</w>", "a </w>", "p h", "ph o", "pho t", "phot o</w>",
              "c a", "ca t</w>", "s k", "sk y</w>", "Ã ©", "e r</w>"]
    return {"tiny.txt": ("\n".join(merges) + "\n").encode(),
            "header_only.txt": b"#version: 0.2\n",
            "odd.txt": b"#version: 0.2\nonlyone\na b c\n\n t\n"}


# --------------------------------------------------------------------------- model and train
MODEL_CONFIG = {"schema_version": 1, "architecture": "mask2former", "num_classes": 3,
                "backbone": "resnet", "resnet": {"depth": 50},
                "pixel_decoder": {"name": "msdeformattn"},
                "class_names": ["cat", "sky", "road"], "thing_classes": [0]}


def model_config_corpus():
    swin = dict(MODEL_CONFIG, backbone="swin", swin={"embed_dim": 96, "depths": [2, 2, 6, 2]})
    mf = {"architecture": "maskformer", "num_classes": 2, "backbone": "convnext",
          "pixel_decoder": {"name": "fpn"}}
    return {"m2f.json": dumps(MODEL_CONFIG), "swin.json": dumps(swin), "maskformer.json": dumps(mf),
            "oneformer.json": dumps(dict(MODEL_CONFIG, architecture="oneformer"))}


def train_config_corpus():
    train = {"schema_version": 1, "datasets": [
        {"name": "a", "path": "a.jsonl", "rate": 2.0, "tasks": ["panoptic", "semantic"]},
        {"name": "b", "format": "coco_panoptic", "path": "b.json", "images_dir": "imgs",
         "start": -10, "stop": 100}],
        "validation": {"path": "val.jsonl"}, "model": MODEL_CONFIG,
        "solver": {"base_lr": 0.0001, "max_iter": 10, "ims_per_batch": 2, "amp": False},
        "input": {"size": 256}, "loss": {"class_weight": 2.0, "num_points": 100},
        "text_encoder": {"tokenizer": "bpe.txt.gz", "context_length": 77},
        "output": "out", "seed": 7, "workers": 1}
    with_overrides = dumps(train) + b"\n--\nsolver.max_iter=20\ndatasets.0.rate=0.5\nmodel.num_classes=4"
    return {"train.json": dumps(train),
            "named_model.json": dumps(dict(train, model="model.json")),
            "overrides.json": with_overrides}


# -------------------------------------------------------------------------------------- main
CORPORA = {
    "png": png_corpus, "panoptic_png": panoptic_png_corpus, "rle_string": rle_corpus,
    "rle_counts": counts_corpus, "polygons": polygon_corpus,
    "coco_instances": coco_instances_corpus, "coco_results": coco_results_corpus,
    "coco_panoptic": coco_panoptic_corpus, "manifest": manifest_corpus,
    "safetensors": safetensors_corpus,
    "checkpoint": lambda: {**torch_archives(), **{k: v for k, v in numpy_pickles().items()
                                                 if k.startswith("d2_p2")},
                           "two.safetensors": safetensors_corpus()["two.safetensors"]},
    "pickle": lambda: {**numpy_pickles(), **plain_pickles()},
    "vocabulary": vocabulary_corpus, "detectron2_yaml": detectron2_yaml_corpus,
    "detectron2_literal": detectron2_literal_corpus, "clip_tokenizer": tokenizer_corpus,
    "bpe_merges": bpe_corpus, "model_config": model_config_corpus,
    "train_config": train_config_corpus,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "tests", "fuzz", "corpus"))
    parser.add_argument("targets", nargs="*", help="only these corpora (default: all)")
    args = parser.parse_args()
    total = 0
    for target, make in CORPORA.items():
        if args.targets and target not in args.targets:
            continue
        folder = os.path.join(args.out, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in sorted(make().items()):
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
            total += len(data)
    print(f"gen_fuzz_corpus: {total} bytes in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
