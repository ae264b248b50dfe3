#!/usr/bin/python3
"""The official model's inference forward, timed per stage (the peer side of bench_model_forward.sh).

  source /tmp/segx-peers/env.sh
  scripts/profile_official_forward.py CONFIG.yaml --weights W.pth [--size HxW] [--threads N]
                                      [--repeat N] [--input input.safetensors] [KEY VALUE ...]

Builds the model as ../shared/peers/forward.py does (make_cfg, seed 0, build_model, the
checkpoint loaded with detectron2's DetectionCheckpointer, eval mode) and runs model([sample])
--repeat times under torch.no_grad(). Forward hooks on the backbone, the pixel decoder's
forward_features and the predictor take the time between stages; nothing else is changed.
Prints one JSON line for the fastest run: forward_s (the whole model([sample]): normalisation and
padding, backbone, pixel decoder, transformer decoder, post-processing), the stages
(preprocess_s, backbone_s, pixel_decoder_s, decoder_s, postprocess_s) and peak_rss_mb.
--input takes the image from a safetensors file ("input.image_u8", as export_official_model.py
writes it); without it the image is drawn as forward.py draws it.
"""
import argparse
import json
import os
import resource
import struct
import sys
import time

import torch

SCRIPTS = os.path.dirname(os.path.abspath(__file__))


def read_image(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    t = json.loads(raw[8:8 + n])["input.image_u8"]
    a, b = t["data_offsets"]
    return torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.uint8).reshape(
        t["shape"])


class StageClock:
    """Marks the time at stage boundaries during one model([sample]) call."""

    def __init__(self, model):
        self.marks = {}
        mark = lambda name: (lambda *_: self.marks.__setitem__(name, time.perf_counter()))  # noqa
        model.backbone.register_forward_pre_hook(mark("backbone_start"))
        model.backbone.register_forward_hook(mark("backbone_end"))
        head = model.sem_seg_head
        original = head.pixel_decoder.forward_features

        def forward_features(*args, **kwargs):
            self.marks["pixel_decoder_start"] = time.perf_counter()
            out = original(*args, **kwargs)
            self.marks["pixel_decoder_end"] = time.perf_counter()
            return out
        head.pixel_decoder.forward_features = forward_features
        head.predictor.register_forward_pre_hook(mark("decoder_start"))
        head.predictor.register_forward_hook(mark("decoder_end"))

    def stages(self, start, end):
        m = self.marks
        return {"preprocess_s": m["backbone_start"] - start,
                "backbone_s": m["backbone_end"] - m["backbone_start"],
                "pixel_decoder_s": m["pixel_decoder_end"] - m["pixel_decoder_start"],
                "decoder_s": m["decoder_end"] - m["decoder_start"],
                "postprocess_s": end - m["decoder_end"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("config")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--size", default="256x320")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--input", default="")
    ap.add_argument("--task", default="panoptic")
    ap.add_argument("opts", nargs="*")
    a = ap.parse_args()
    sys.path.insert(0, os.environ.get("PEERS_DIR", os.path.join(SCRIPTS, "..", "..", "shared",
                                                                "peers")))
    from forward import make_cfg
    from detectron2.checkpoint import DetectionCheckpointer
    from detectron2.modeling import build_model

    torch.manual_seed(0)
    if a.threads:
        torch.set_num_threads(a.threads)
    cfg = make_cfg(a.config, a.opts)
    model = build_model(cfg)
    DetectionCheckpointer(model).load(a.weights)
    model.eval()
    h, w = (int(v) for v in a.size.split("x"))
    image = read_image(a.input) if a.input else torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
    h, w = image.shape[1:]
    sample = {"image": image.float(), "height": h, "width": w, "task": f"The task is {a.task}"}
    clock = StageClock(model)
    runs = []
    with torch.no_grad():
        for _ in range(a.repeat):
            start = time.perf_counter()
            model([sample])
            end = time.perf_counter()
            runs.append(dict(forward_s=end - start, **clock.stages(start, end)))
    best = min(runs, key=lambda r: r["forward_s"])
    out = {k: round(v, 4) for k, v in best.items()}
    out.update(size=f"{h}x{w}", threads=torch.get_num_threads(),
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
