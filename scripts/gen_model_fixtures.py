#!/usr/bin/python3
"""Model parity fixtures made by the official Mask2Former / OneFormer / MaskFormer code.

  source /tmp/segx-peers/env.sh          # after ../shared/peers/setup.sh
  scripts/gen_model_fixtures.py [NAME ...] [--out tests/parity/model/data] [--list]

Each fixture is the official model of a config from the peers' repositories, shrunk in width and
depth by config overrides (the structure stays upstream's), with seeded and perturbed weights, run
once on CPU on a seeded random image whose size is not a multiple of 32. It writes, under
OUT/NAME/:
  weights.safetensors  the state dict under detectron2's names (F32; buffers included)
  outputs.safetensors  the input and every intermediate tensor the official modules returned,
                       named as segx's model trace names them (see CAPTURE below), and the
                       post-processed results ("post.*")
  meta.json            the config file and overrides, seeds, shapes, segments_info, thing ids
  config.yaml          detectron2's own dump of the resolved config (cfg.dump())
  model.json           the segx model config for these weights (keys read off the resolved cfg)

Run from the project root with Debian's python3 and the peers' env.sh sourced. One repository
per process (upstream's registries collide), so each fixture runs in a child process.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.environ.get("PEERS_DIR", os.path.join(ROOT, "..", "shared", "peers"))

# Shrinking overrides shared by the Mask2Former-style heads (as the shared reference fixtures).
M2F_HEAD = [
    "MODEL.SEM_SEG_HEAD.CONVS_DIM", "32", "MODEL.SEM_SEG_HEAD.MASK_DIM", "32",
    "MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", "2",
    "MODEL.MASK_FORMER.HIDDEN_DIM", "32", "MODEL.MASK_FORMER.NUM_OBJECT_QUERIES", "16",
    "MODEL.MASK_FORMER.NHEADS", "4", "MODEL.MASK_FORMER.DIM_FEEDFORWARD", "64",
    "MODEL.MASK_FORMER.DEC_LAYERS", "4", "TEST.DETECTIONS_PER_IMAGE", "16",
    "MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD", "0.1",
    "MODEL.MASK_FORMER.TEST.OVERLAP_THRESHOLD", "0.2",
]
ONEFORMER_HEAD = [
    "MODEL.SEM_SEG_HEAD.CONVS_DIM", "32", "MODEL.SEM_SEG_HEAD.MASK_DIM", "32",
    "MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", "2",
    "MODEL.ONE_FORMER.HIDDEN_DIM", "32", "MODEL.ONE_FORMER.NUM_OBJECT_QUERIES", "16",
    "MODEL.ONE_FORMER.NHEADS", "4", "MODEL.ONE_FORMER.DIM_FEEDFORWARD", "64",
    "MODEL.ONE_FORMER.DEC_LAYERS", "4", "MODEL.ONE_FORMER.CLASS_DEC_LAYERS", "2",
    "TEST.DETECTIONS_PER_IMAGE", "16", "MODEL.IS_TRAIN", "False",
    "MODEL.TEST.OBJECT_MASK_THRESHOLD", "0.1", "MODEL.TEST.OVERLAP_THRESHOLD", "0.2",
    "MODEL.TEST.SEMANTIC_ON", "True", "MODEL.TEST.INSTANCE_ON", "True",
    "MODEL.TEST.PANOPTIC_ON", "True",
]
MASKFORMER_HEAD = [
    "MODEL.SEM_SEG_HEAD.CONVS_DIM", "32", "MODEL.SEM_SEG_HEAD.MASK_DIM", "32",
    "MODEL.MASK_FORMER.HIDDEN_DIM", "32", "MODEL.MASK_FORMER.NUM_OBJECT_QUERIES", "16",
    "MODEL.MASK_FORMER.NHEADS", "4", "MODEL.MASK_FORMER.DIM_FEEDFORWARD", "64",
    "MODEL.MASK_FORMER.DEC_LAYERS", "3",
]
SMALL_RESNET = ["MODEL.RESNETS.WIDTH_PER_GROUP", "4", "MODEL.RESNETS.RES2_OUT_CHANNELS", "16",
                "MODEL.RESNETS.STEM_OUT_CHANNELS", "16"]
SMALL_SWIN = ["MODEL.SWIN.EMBED_DIM", "8", "MODEL.SWIN.DEPTHS", "[2, 2, 2, 2]",
              "MODEL.SWIN.NUM_HEADS", "[2, 2, 4, 4]"]

M2F_COCO = "Mask2Former/configs/coco/panoptic-segmentation/"
FIXTURES = {
    # name: (config under the peers' src/, overrides, input HxW, notes)
    "m2f_swin_w7": (M2F_COCO + "swin/maskformer2_swin_tiny_bs16_50ep.yaml",
                    SMALL_SWIN + M2F_HEAD, (72, 100),
                    "Swin window 7 (Swin-T config): window padding at every stage"),
    "m2f_swin_w12": (M2F_COCO + "swin/maskformer2_swin_base_384_bs16_50ep.yaml",
                     SMALL_SWIN + ["MODEL.SWIN.APE", "True"] + M2F_HEAD, (72, 100),
                     "Swin window 12, pretrain size 384 (Swin-B 384 config), with the absolute "
                     "position embedding (APE) on"),
    "m2f_r101": (M2F_COCO + "maskformer2_R101_bs16_50ep.yaml", SMALL_RESNET + M2F_HEAD,
                 (72, 100), "ResNet-101 (Mask2Former R101 config)"),
    "oneformer_swin": ("OneFormer/configs/ade20k/swin/oneformer_swin_tiny_bs16_160k.yaml",
                       SMALL_SWIN + ONEFORMER_HEAD, (72, 100), "OneFormer with Swin"),
    "oneformer_convnext": ("OneFormer/configs/ade20k/convnext/oneformer_convnext_large_bs16_160k.yaml",
                           ["MODEL.CONVNEXT.DIMS", "[8, 16, 32, 64]",
                            "MODEL.CONVNEXT.DEPTHS", "[2, 2, 2, 2]"] + ONEFORMER_HEAD,
                           (72, 100), "OneFormer with ConvNeXt (layer scale 1.0, as LSIT)"),
    "maskformer_r50_fpn": ("MaskFormer/configs/ade20k-150/maskformer_R50_bs16_160k.yaml",
                           SMALL_RESNET + MASKFORMER_HEAD, (72, 100),
                           "MaskFormer, BasePixelDecoder (FPN), decoder on res5, semantic only"),
    "maskformer_r50_transformer_encoder": (
        "MaskFormer/configs/coco-panoptic/maskformer_panoptic_R50_bs64_554k.yaml",
        SMALL_RESNET + MASKFORMER_HEAD + [
            "MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", "2",
            "MODEL.MASK_FORMER.TEST.OBJECT_MASK_THRESHOLD", "0.1",
            "MODEL.MASK_FORMER.TEST.OVERLAP_THRESHOLD", "0.2"],
        (72, 100),
        "MaskFormer, TransformerEncoderPixelDecoder, decoder on its encoder output, panoptic, "
        "no padding (SIZE_DIVISIBILITY 0)"),
    "maskformer_r50_prenorm": (
        "MaskFormer/configs/ade20k-150/maskformer_R50_bs16_160k.yaml",
        SMALL_RESNET + MASKFORMER_HEAD + [
            "MODEL.SEM_SEG_HEAD.PIXEL_DECODER_NAME", "TransformerEncoderPixelDecoder",
            "MODEL.SEM_SEG_HEAD.TRANSFORMER_ENC_LAYERS", "1", "MODEL.SEM_SEG_HEAD.NORM", "",
            "MODEL.MASK_FORMER.PRE_NORM", "True", "MODEL.MASK_FORMER.ENC_LAYERS", "1"],
        (72, 100),
        "MaskFormer pre-norm: TransformerEncoderPixelDecoder and the decoder's own encoder "
        "(ENC_LAYERS 1) with PRE_NORM, decoder on res5, convolutions without GroupNorm"),
    "maskformer_r101c": ("MaskFormer/configs/ade20k-150/maskformer_R101c_bs16_160k.yaml",
                         ["MODEL.RESNETS.WIDTH_PER_GROUP", "4",
                          "MODEL.RESNETS.RES2_OUT_CHANNELS", "16",
                          "MODEL.RESNETS.STEM_OUT_CHANNELS", "16"] + MASKFORMER_HEAD,
                         (72, 100), "MaskFormer R101c: DeepLab stem, res5 multi-grid [1, 2, 4]"),
    "backbone_r152": (M2F_COCO + "maskformer2_R101_bs16_50ep.yaml",
                      SMALL_RESNET + M2F_HEAD + ["MODEL.RESNETS.DEPTH", "152"], (72, 100),
                      "ResNet-152 (the R101 config at depth 152): backbone tensors only"),
}
BACKBONE_ONLY = {"backbone_r152"}
# Fixtures whose frozen batch-norm variances are drawn in [1, 2] instead of [0.5, 1.5] (gains
# below ~1.2 instead of ~1.7), so that res5 stays near unit scale as in trained models: a post-norm
# DETR encoder over res5 of scale ~600 attends almost one-hot, and the float rounding of any two
# correct backbones (~1e-6 of res5's scale) moves its output past the tests' 1e-4 bound.
CALM_BACKBONE = {"maskformer_r50_transformer_encoder"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("names", nargs="*", help="fixtures to make (default: all)")
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "parity", "model", "data"))
    ap.add_argument("--list", action="store_true", help="list the fixtures and exit")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child process: make one fixture
    a = ap.parse_args()
    if a.list:
        for name, (cfg, _, hw, notes) in FIXTURES.items():
            print(f"{name:36s} {hw[0]}x{hw[1]}  {cfg}\n{'':36s} {notes}")
        return
    if a.one:
        from model_fixture_capture import make_fixture
        cfg, opts, hw, notes = FIXTURES[a.one]
        make_fixture(a.one, os.path.join(PEERS, "src", cfg), opts, hw, notes,
                     os.path.join(a.out, a.one), backbone_only=a.one in BACKBONE_ONLY,
                     var_low=1.0 if a.one in CALM_BACKBONE else 0.5)
        return
    names = a.names or list(FIXTURES)
    for name in names:
        if name not in FIXTURES:
            sys.exit(f"gen_model_fixtures: unknown fixture '{name}' (--list shows them)")
    for name in names:
        print(f"gen_model_fixtures: {name}", file=sys.stderr)
        subprocess.run([sys.executable, os.path.abspath(__file__), "--one", name, "--out", a.out],
                       check=True)


if __name__ == "__main__":
    main()
