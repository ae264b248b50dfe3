#!/usr/bin/python3
"""Summarises one training run for scripts/bench_train_n200.sh and scripts/train_experiment.sh.

Reads RUN/metrics.jsonl (training time, iterations, loss) and the reports `segx eval` wrote into
EVAL_DIR (pq.json, miou.json, ap.json; a OneFormer run's semantic- and instance-prompt reports
with --semantic-prompt / --instance-prompt), and replaces the run's entry in the results file
(JSON: {"runs": {KEY: record}}; KEY is the recipe's file name unless --key names it) with them,
the machine and the commit. Records carrying a "draw" are also averaged per experiment (the KEY
before "@") over their draws into "means". Prints one summary line.

The training time is the sum over metrics.jsonl of each log line's mean iteration time times
the iterations it covers, plus the validation passes' seconds: the time the run spent training,
however many sessions it took (a resumed run appends to the same file; iterations redone after
an interruption count, since they were spent). Nothing here is typed by hand.

Usage: train_results.py --recipe RECIPE.json --run RUN_DIR --eval-dir DIR --results FILE.json
           [--key NAME@DRAW --draw DRAW --overrides "K=V ..."]
           [--semantic-prompt MIOU.json --instance-prompt AP.json]
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine_info import machine  # noqa: E402


def training_time(metrics_path):
    seconds, iterations, losses = 0.0, 0, []
    previous = -1
    with open(metrics_path) as f:
        for line in f:
            record = json.loads(line)
            if "eval" in record:
                seconds += record["eval"].get("seconds", 0.0)
                continue
            if "time" not in record:
                continue
            it = record["iteration"]
            if it <= previous:  # a resumed run starts again from its checkpoint
                previous = it - 1
            covered = it - previous
            seconds += record["time"] * covered
            iterations = max(iterations, it + 1)
            previous = it
            if "total_loss" in record:
                losses.append(record["total_loss"])
    return seconds, iterations, losses


def commit(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


MEAN_FIELDS = ("PQ", "PQ_things", "PQ_stuff", "mIoU", "mask_AP", "semantic_prompt_mIoU",
               "instance_prompt_mask_AP", "train_seconds", "seconds_per_iteration")


def draw_means(runs):
    """Per experiment (the key before "@"), the mean of each figure over the draws it ran on."""
    groups = {}
    for key, record in runs.items():
        if "draw" in record and "@" in key:
            groups.setdefault(key.rsplit("@", 1)[0], []).append(record)
    means = {}
    for name, records in sorted(groups.items()):
        entry = {"draws": sorted(r["draw"] for r in records)}
        for field in MEAN_FIELDS:
            values = [r[field] for r in records if r.get(field) is not None]
            if len(values) == len(records):
                entry[field] = round(sum(values) / len(values), 4)
        means[name] = entry
    return means


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--eval-dir", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--key", help="entry name (default: the recipe's file name)")
    p.add_argument("--draw", help="the synthetic draw trained and scored")
    p.add_argument("--overrides", default="", help="segx train overrides given beyond the draw's")
    p.add_argument("--semantic-prompt", help="eval miou report of the semantic prompt")
    p.add_argument("--instance-prompt", help="eval ap report of the instance prompt")
    a = p.parse_args()

    seconds, iterations, losses = training_time(os.path.join(a.run, "metrics.jsonl"))
    with open(os.path.join(a.eval_dir, "pq.json")) as f:
        pq = json.load(f)
    with open(os.path.join(a.eval_dir, "miou.json")) as f:
        miou = json.load(f)
    with open(os.path.join(a.eval_dir, "ap.json")) as f:
        ap = json.load(f)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    record = {
        "recipe": os.path.basename(a.recipe),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(root),
        "machine": machine(),
        "iterations": iterations,
        "train_seconds": round(seconds, 1),
        "seconds_per_iteration": round(seconds / iterations, 3) if iterations else None,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "images_scored": pq.get("images"),
        "PQ": pq["All"]["pq"], "SQ": pq["All"]["sq"], "RQ": pq["All"]["rq"],
        "PQ_things": pq["Things"]["pq"], "PQ_stuff": pq["Stuff"]["pq"],
        "mIoU": miou["mIoU"],
        "mask_AP": ap["stats"]["AP"],
    }
    if a.draw:
        record["draw"] = a.draw
    if a.overrides:
        record["overrides"] = a.overrides
    if a.semantic_prompt:
        with open(a.semantic_prompt) as f:
            record["semantic_prompt_mIoU"] = json.load(f)["mIoU"]
    if a.instance_prompt:
        with open(a.instance_prompt) as f:
            record["instance_prompt_mask_AP"] = json.load(f)["stats"]["AP"]
    key = a.key or record["recipe"]
    results = {"runs": {}}
    if os.path.exists(a.results):
        with open(a.results) as f:
            results = json.load(f)
    results["runs"][key] = record
    if a.draw:
        results["means"] = draw_means(results["runs"])
    os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
    tmp = a.results + ".tmp"
    with open(tmp, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, a.results)
    print(f"train_s={seconds:.0f} iterations={iterations} "
          f"s_per_iteration={record['seconds_per_iteration']} (from metrics.jsonl) "
          f"commit={record['commit']} cpu='{record['machine']['cpu']}'")


if __name__ == "__main__":
    sys.exit(main())
