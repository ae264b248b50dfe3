#!/usr/bin/python3
"""Times training iterations of segx or of the official Mask2Former on the same job, for
scripts/bench_train_step.sh: the reference `small` model (../shared/fixtures/reference-model/
small/config.yaml; segx: tests/parity/model/data/small.json), the synthetic n200 set, batch 4,
large-scale jitter to 256x256 crops (scale 0.1-2.0, flip), 12544 sampled points, AdamW with the
config's solver, deep supervision, one data-loader worker, THREADS compute threads.

  train_step_timing.py segx SEGX_BINARY WORK_DIR ITERATIONS THREADS
  train_step_timing.py official PEERS_KIT WORK_DIR ITERATIONS THREADS

Prints one JSON line {"s_per_iter": ..., "data_s": ..., "iterations": ...}: the median time of
the second half of the iterations (after warm-up), read from the run's own log (segx:
metrics.jsonl with one record per iteration; detectron2: metrics.json, whose "time" is the
median of the last 20 iterations). Runs in WORK_DIR/<side>, replaced on each call.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.environ.get("SEGX_FIXTURES", os.path.join(ROOT, "..", "shared", "fixtures"))
N200 = os.path.join(FIXTURES, "synth", "n200")
SMALL_YAML = os.path.join(FIXTURES, "reference-model", "small", "config.yaml")
BATCH, CROP = 4, 256


def segx_config(iterations):
    with open(os.path.join(ROOT, "tests", "parity", "model", "data", "small.json")) as f:
        model = json.load(f)
    for key in ("num_classes", "test", "classifier"):  # the label space is n200's
        model.pop(key, None)
    return {
        "datasets": [{"name": "n200", "format": "coco_panoptic",
                      "path": os.path.join(N200, "panoptic_gt.json"),
                      "images": os.path.join(N200, "images")}],
        "model": model,
        # The small config's SOLVER (BASE_LR 1e-4, BACKBONE_MULTIPLIER 0.1, WEIGHT_DECAY 0.05,
        # full-model clipping at 0.01, 10 warm-up iterations), at batch 4.
        "solver": {"base_lr": 1e-4, "max_iter": iterations, "ims_per_batch": BATCH,
                   "warmup_iters": 10, "warmup_factor": 1.0, "backbone_multiplier": 0.1,
                   "weight_decay": 0.05, "clip_gradients": 0.01,
                   "checkpoint_period": 10 * iterations, "log_period": 1},
        "input": {"crop_size": [CROP, CROP], "min_scale": 0.1, "max_scale": 2.0, "flip": True},
        "loss": {"num_points": 12544, "no_object_weight": 0.1, "class_weight": 2.0,
                 "mask_weight": 5.0, "dice_weight": 5.0},
        "dataloader": {"workers": 1, "prefetch": 2},
        "seed": 0,
    }


def run(cmd, log, env=None):
    with open(log, "w") as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if p.returncode != 0:
        sys.exit(f"train_step_timing: {cmd[0]} exited {p.returncode}; see {log}")


def time_segx(binary, work, iterations, threads):
    config = os.path.join(work, "train.json")
    with open(config, "w") as f:
        json.dump(segx_config(iterations), f, indent=1)
    run([binary, "train", "--config", config, "--out-dir", os.path.join(work, "run"),
         "-j", str(threads)], os.path.join(work, "log.txt"))
    times, data = [], []
    with open(os.path.join(work, "run", "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if "time" in r and r.get("iteration", -1) >= iterations // 2:
                times.append(r["time"])
                data.append(r.get("data_time", 0.0))
    return statistics.median(times), statistics.median(data)


def time_official(kit, work, iterations, threads):
    # The end-of-training evaluation runs on one image (its own split), not on the whole set.
    with open(os.path.join(N200, "panoptic_gt.json")) as f:
        gt = json.load(f)
    val = dict(gt, images=gt["images"][:1], annotations=gt["annotations"][:1])
    val_json = os.path.join(work, "val.json")
    with open(val_json, "w") as f:
        json.dump(val, f)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = os.path.join(work, "run")
    run(["/usr/bin/python3", os.path.join(kit, "train.py"), "Mask2Former",
         "--images", os.path.join(N200, "images"),
         "--panoptic-json", os.path.join(N200, "panoptic_gt.json"),
         "--panoptic-dir", os.path.join(N200, "panoptic_gt"),
         "--val-panoptic-json", val_json, "--",
         "--config-file", SMALL_YAML, "OUTPUT_DIR", out,
         "SOLVER.MAX_ITER", str(iterations), "SOLVER.IMS_PER_BATCH", str(BATCH),
         "SOLVER.CHECKPOINT_PERIOD", str(10 * iterations), "INPUT.IMAGE_SIZE", str(CROP),
         "TEST.EVAL_PERIOD", "0", "DATALOADER.NUM_WORKERS", "1", "SEED", "0",
         "MODEL.MASK_FORMER.TEST.INSTANCE_ON", "False", "MODEL.MASK_FORMER.TEST.SEMANTIC_ON",
         "False"], os.path.join(work, "log.txt"), env)
    last = None
    with open(os.path.join(out, "metrics.json")) as f:
        for line in f:
            r = json.loads(line)
            if "time" in r:
                last = r
    if last is None or last["iteration"] < iterations // 2:
        sys.exit(f"train_step_timing: no timed iteration after warm-up in {out}/metrics.json")
    return last["time"], last.get("data_time", 0.0)


def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("segx", "official"):
        sys.exit(__doc__)
    side, tool, work, iterations, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    work = os.path.join(work, side)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if side == "segx":
        s, d = time_segx(tool, work, iterations, threads)
    else:
        s, d = time_official(tool, work, iterations, threads)
    print(json.dumps({"s_per_iter": round(s, 4), "data_s": round(d, 4), "iterations": iterations}))


if __name__ == "__main__":
    main()
