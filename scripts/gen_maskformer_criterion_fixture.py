#!/usr/bin/python3
"""The original MaskFormer's training losses on seeded inputs, for segx's criterion parity test.

  source /tmp/segx-peers/env.sh          # after ../shared/peers/setup.sh
  scripts/gen_maskformer_criterion_fixture.py [--out tests/parity/train/data/maskformer_criterion]

Runs the official SetCriterion and HungarianMatcher (mask_former/modeling/criterion.py and
matcher.py, built as MaskFormer.from_config builds them: cost_class 1, cost_mask MASK_WEIGHT,
cost_dice DICE_WEIGHT, eos_coef NO_OBJECT_WEIGHT, deep supervision) on CPU on random predictions
of three decoder layers and random targets of two images. Writes OUT/:
  inputs.safetensors   layer{k}.pred_logits [B, Q, K+1], layer{k}.pred_masks [B, Q, h, w]
                       (k = 0 .. L-1, the last is the final layer), image{b}.labels [N_b],
                       image{b}.masks [N_b, H, W] (0/1, H = 4h as upstream's padded targets)
  losses.safetensors   every loss term as upstream names it (loss_ce, loss_mask, loss_dice,
                       loss_ce_0, ...) unweighted, "total" (the weighted sum), and each layer's
                       matching: match.layer{k}.image{b} = int64 [2, n] (query row, target col)
  meta.json            sizes, seeds, weights
The matching is deterministic (scipy's linear_sum_assignment), so the test compares exactly.
"""
import argparse
import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from segx_safetensors import tensor_bytes, write_safetensors  # noqa: E402

SEED = 5
B, Q, K, LAYERS = 2, 7, 5, 3
MASK_HW = (9, 11)  # predictions at stride 4 of a 36 x 44 padded image
TARGETS = [3, 2]   # ground-truth masks per image
NO_OBJECT_WEIGHT, MASK_WEIGHT, DICE_WEIGHT = 0.1, 20.0, 1.0  # MaskFormer's config defaults


def random_targets(gen):
    h, w = MASK_HW[0] * 4, MASK_HW[1] * 4
    targets = []
    for n in TARGETS:
        labels = torch.randint(0, K, (n,), generator=gen)
        # Blobs: thresholded smooth noise, so masks cover regions rather than single pixels.
        noise = torch.randn(n, 1, MASK_HW[0], MASK_HW[1], generator=gen)
        smooth = torch.nn.functional.interpolate(noise, size=(h, w), mode="bilinear",
                                                 align_corners=False)[:, 0]
        targets.append({"labels": labels, "masks": (smooth > 0.3).float()})
    return targets


def random_outputs(gen):
    layers = []
    for _ in range(LAYERS):
        layers.append({"pred_logits": torch.randn(B, Q, K + 1, generator=gen) * 2,
                       "pred_masks": torch.randn(B, Q, *MASK_HW, generator=gen) * 3})
    out = dict(layers[-1])
    out["aux_outputs"] = layers[:-1]
    return layers, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "tests", "parity", "train", "data",
                                                  "maskformer_criterion"))
    a = ap.parse_args()
    from mask_former.modeling.criterion import SetCriterion
    from mask_former.modeling.matcher import HungarianMatcher

    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    targets = random_targets(gen)
    layers, outputs = random_outputs(gen)
    matcher = HungarianMatcher(cost_class=1, cost_mask=MASK_WEIGHT, cost_dice=DICE_WEIGHT)
    weight_dict = {"loss_ce": 1, "loss_mask": MASK_WEIGHT, "loss_dice": DICE_WEIGHT}
    for i in range(LAYERS - 1):
        weight_dict.update({k + f"_{i}": v for k, v in list(weight_dict.items())[:3]})
    criterion = SetCriterion(K, matcher=matcher, weight_dict=weight_dict,
                             eos_coef=NO_OBJECT_WEIGHT, losses=["labels", "masks"])
    with torch.no_grad():
        losses = criterion(outputs, targets)
    total = sum(losses[k] * weight_dict[k] for k in losses)

    inputs = {}
    for k, layer in enumerate(layers):
        inputs[f"layer{k}.pred_logits"] = tensor_bytes(layer["pred_logits"])
        inputs[f"layer{k}.pred_masks"] = tensor_bytes(layer["pred_masks"])
    for b, t in enumerate(targets):
        inputs[f"image{b}.labels"] = tensor_bytes(t["labels"])
        inputs[f"image{b}.masks"] = tensor_bytes(t["masks"])
    result = {name: tensor_bytes(v.reshape(())) for name, v in losses.items()}
    result["total"] = tensor_bytes(total.reshape(()))
    for k, layer in enumerate(layers):
        for b, (rows, cols) in enumerate(matcher(layer, targets)):
            result[f"match.layer{k}.image{b}"] = tensor_bytes(torch.stack([rows, cols]))
    os.makedirs(a.out, exist_ok=True)
    write_safetensors(os.path.join(a.out, "inputs.safetensors"), inputs)
    write_safetensors(os.path.join(a.out, "losses.safetensors"), result)
    meta = {"generator": "scripts/gen_maskformer_criterion_fixture.py", "seed": SEED,
            "batch": B, "queries": Q, "classes": K, "layers": LAYERS,
            "mask_hw": list(MASK_HW), "targets_per_image": TARGETS,
            "no_object_weight": NO_OBJECT_WEIGHT, "mask_weight": MASK_WEIGHT,
            "dice_weight": DICE_WEIGHT, "class_weight": 1.0, "torch": torch.__version__,
            "losses": {k: float(v) for k, v in sorted(losses.items())}, "total": float(total)}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
