#!/usr/bin/python3
"""Make the mIoU parity fixture: small Cityscapes-layout label PNGs and what cityscapesScripts'
pixel-level evaluator (evalPixelLevelSemanticLabeling) printed and wrote for them.

  source /tmp/segx-peers/env.sh     # the peers (../shared/peers/README.md)
  /usr/bin/python3 scripts/gen_miou_cityscapes_reference.py [--fixtures ../shared/fixtures]

Writes tests/parity/metrics/data/cityscapes_miou/ (replacing it):
  gtFine/val/<city>/<frame>_gtFine_labelIds.png     GT labelIds (uint8)
  gtFine/val/<city>/<frame>_gtFine_instanceIds.png  GT instanceIds (16-bit; the evaluator reads them for nIoU)
  results/<city>/<frame>_pred_labelIds.png          predictions in labelIds: the evaluator's input
  results_trainIds/<city>/<frame>_pred_trainIds.png the same predictions in trainIds (255: a labelId
                                                    with ignoreInEval), segx's input
  resultPixelLevelSemanticLabeling.json             the evaluator's JSON, as it wrote it
  evalPixelLevelSemanticLabeling.txt                what it printed (stdout and stderr)
  CMD                                               the evaluator's command line and versions

The frames (64x32 each; names are made up in the Cityscapes pattern):
  frankfurt_000001_00000K (K = 0..3): crops of the real Cityscapes frame in
    real/mmseg_tests/pseudo_cityscapes_dataset (labelIds and instanceIds as they are); the
    prediction is the GT shifted by up to a pixel with seeded rectangles of other classes and of
    void labelIds (0 unlabeled, 4 static: counted as misses of the GT class).
  lindau_000001_00000K (K = 0..1): synth/n200 semantic_gt / semantic_pred images 1 and 2, nearest
    downsampled by 10 and cropped, category ids mapped to Cityscapes labelIds by a seeded table
    (some to ignored labelIds); instanceIds are labelId*1000 for classes with instances.
Then in every prediction: pole (17) is replaced by building (11), so pole is in the GT only;
a rectangle of train (31) lies on evaluated GT pixels of frankfurt_000001_000000, so train is in
the prediction only (IoU 0); motorcycle (32) is painted only on GT pixels with an ignored labelId
of frankfurt_000001_000001, so it is predicted but never counted (IoU NaN, as for the classes
absent from both sides). Everything is drawn from numpy.random.RandomState(SEED).
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
from PIL import Image

from cityscapesscripts.helpers.labels import id2label, labels

SEED = 20261204
W, H = 64, 32
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "parity", "metrics", "data", "cityscapes_miou")
MODULE = "cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling"

EVALUATED = sorted(l.id for l in labels if l.id >= 0 and not l.ignoreInEval)
IGNORED = sorted(l.id for l in labels if l.id >= 0 and l.ignoreInEval)
GT_ONLY, PRED_ONLY, PRED_ON_IGNORED_ONLY = 17, 31, 32  # pole, train, motorcycle
REAL_CROPS = [(1, 1), (0, 2), (1, 2), (2, 3)]  # (row, column) of 32x64 tiles of the 128x256 frame
SYNTH_IMAGES = [1, 2]


def save(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)


def instance_ids(label_ids):
    inst = label_ids.astype(np.uint16)
    for lid in np.unique(label_ids):
        if id2label[int(lid)].hasInstances:
            inst[label_ids == lid] = int(lid) * 1000
    return inst


def rectangle(rng):
    h, w = rng.randint(3, 11), rng.randint(4, 17)
    y, x = rng.randint(0, H - h + 1), rng.randint(0, W - w + 1)
    return slice(y, y + h), slice(x, x + w)


def real_frames(fixtures, rng):
    base = os.path.join(fixtures, "real/mmseg_tests/pseudo_cityscapes_dataset/gtFine/val/frankfurt",
                        "frankfurt_000000_000294_gtFine_")
    label = np.array(Image.open(base + "labelIds.png"))
    inst = np.array(Image.open(base + "instanceIds.png")).astype(np.uint16)
    paint = [i for i in EVALUATED if i not in (GT_ONLY, PRED_ONLY, PRED_ON_IGNORED_ONLY)]
    for k, (r, c) in enumerate(REAL_CROPS):
        window = slice(r * H, (r + 1) * H), slice(c * W, (c + 1) * W)
        gt = label[window].copy()
        pred = np.roll(gt, (rng.randint(-1, 2), rng.randint(-1, 2)), axis=(0, 1))
        for _ in range(2):
            pred[rectangle(rng)] = paint[rng.randint(len(paint))]
        pred[rectangle(rng)] = (0, 4)[rng.randint(2)]
        yield "frankfurt", "frankfurt_000001_{:06d}".format(k), gt, inst[window].copy(), pred


def synth_frames(fixtures, rng):
    pool = [i for i in EVALUATED + IGNORED if i not in (GT_ONLY, PRED_ONLY, PRED_ON_IGNORED_ONLY)]
    table = np.zeros(256, np.uint8)  # category 0 (unlabeled) -> labelId 0
    for cat in range(1, 256):
        table[cat] = pool[rng.randint(len(pool))]
    n200 = os.path.join(fixtures, "synth/n200")
    for k, n in enumerate(SYNTH_IMAGES):
        def load(kind):
            a = np.array(Image.open(os.path.join(n200, kind, "{:012d}.png".format(n))))
            return table[a[::10, ::10][8:8 + H, :W]]
        gt = load("semantic_gt")
        yield "lindau", "lindau_000001_{:06d}".format(k), gt, instance_ids(gt), load("semantic_pred")


def make_frames(fixtures):
    rng = np.random.RandomState(SEED)
    frames = list(real_frames(fixtures, rng)) + list(synth_frames(fixtures, rng))
    for i, (_, _, gt, _, pred) in enumerate(frames):
        assert gt.shape == pred.shape == (H, W), gt.shape
        pred[pred == GT_ONLY] = 11
        if i == 0:
            while True:  # a train rectangle that covers evaluated GT pixels
                box = rectangle(rng)
                if np.isin(gt[box], EVALUATED).sum() >= 10:
                    break
            pred[box] = PRED_ONLY
        if i == 1:
            box = rectangle(rng)
            mask = np.zeros_like(gt, bool)
            mask[box] = True
            mask &= np.isin(gt, IGNORED)
            if not mask.any():
                mask = np.isin(gt, IGNORED)
            pred[mask] = PRED_ON_IGNORED_ONLY
    gts = np.stack([f[2] for f in frames])
    preds = np.stack([f[4] for f in frames])
    assert GT_ONLY in gts and GT_ONLY not in preds
    assert PRED_ONLY in preds and PRED_ONLY not in gts
    assert PRED_ON_IGNORED_ONLY not in gts and PRED_ON_IGNORED_ONLY in preds
    assert np.isin(gts[preds == PRED_ON_IGNORED_ONLY], IGNORED).all()
    assert np.isin(gts, IGNORED).any() and np.isin(preds, (0, 4)).any()
    assert preds.max() <= max(EVALUATED)  # the evaluator's C loop indexes a 34x34 matrix
    return frames


def to_train_ids(pred):
    table = np.full(256, 255, np.uint8)
    for l in labels:
        if l.id >= 0 and not l.ignoreInEval:
            table[l.id] = l.trainId
    return table[pred]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fixtures", default=os.path.join(HERE, "..", "..", "shared", "fixtures"))
    args = parser.parse_args()
    out = os.path.abspath(OUT)
    if os.path.isdir(out):
        shutil.rmtree(out)
    for city, frame, gt, inst, pred in make_frames(args.fixtures):
        save(os.path.join(out, "gtFine/val", city, frame + "_gtFine_labelIds.png"), gt)
        save(os.path.join(out, "gtFine/val", city, frame + "_gtFine_instanceIds.png"), inst)
        save(os.path.join(out, "results", city, frame + "_pred_labelIds.png"), pred)
        save(os.path.join(out, "results_trainIds", city, frame + "_pred_trainIds.png"), to_train_ids(pred))
    # Relative paths from inside the folder, so that CMD is the command exactly as it ran.
    settings = {"CITYSCAPES_DATASET": ".", "CITYSCAPES_RESULTS": "results", "CITYSCAPES_EXPORT_DIR": "."}
    command = [sys.executable, "-m", MODULE]
    run = subprocess.run(command, env=dict(os.environ, **settings), cwd=out, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, check=False)
    with open(os.path.join(out, "evalPixelLevelSemanticLabeling.txt"), "wb") as f:
        f.write(run.stdout)
    if run.returncode != 0:
        sys.exit("{} failed ({}):\n{}".format(MODULE, run.returncode, run.stdout.decode(errors="replace")))
    import cityscapesscripts
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as ev
    with open(os.path.join(cityscapesscripts.__path__[0], "VERSION")) as f:
        version = f.read().strip()
    with open(os.path.join(out, "CMD"), "w") as f:
        f.write("# Written by scripts/gen_miou_cityscapes_reference.py (seed {}); run in this folder after\n"
                "# `source /tmp/segx-peers/env.sh` (the peers: ../shared/peers/README.md):\n".format(SEED))
        f.write(" ".join("{}={}".format(k, v) for k, v in settings.items()) + " " + " ".join(command) + "\n")
        f.write("# cityscapesScripts {} (Cython confusion matrix: {}), numpy {}, Pillow {}, "
                "Python {}\n".format(version, ev.CSUPPORT, np.__version__, Image.__version__,
                                     sys.version.split()[0]))
    print("wrote {}".format(os.path.relpath(out)))

if __name__ == "__main__":
    main()
