#!/usr/bin/python3
"""The bars of the issue "OneFormer and DaTaSeg co-training that pay off", checked against the
runs scripts/train_experiment.sh recorded in scripts/results/experiments.json.

Every bar compares runs of the same length: the recipes run with the budget's overrides and tag
(BUDGET_TAG, e.g. `TAG=it2500 scripts/train_experiment.sh RECIPE -- solver.max_iter=2500
solver.eval_period=2500`). A bar holds on a draw when its condition holds there; bars 1-3 are
checked on both fixture draws, bar 4 on n200. A run not yet on record leaves its bar open.

  scripts/experiment_bars.py [--experiments FILE] [--markdown]

Prints one line per bar and draw (or, with --markdown, the README's table rows); exit 0.
gen-readme-tables.py renders the same rows into README.md.
"""
import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGET_TAG = "it2500"  # 2500 iterations: 22 minutes here with margin for slower machines
BOTH_DRAWS = ("n200", "n200s1")


def run_key(recipe, draw):
    return f"{recipe}+{BUDGET_TAG}@{draw}"


# (bar, what it asks, draws, [(label, recipe, field)], condition on the figures, in that order)
BARS = [
    ("1", "OneFormer (panoptic prompt) PQ >= Mask2Former PQ", BOTH_DRAWS,
     [("OneFormer", "n200_oneformer", "PQ"), ("Mask2Former", "n200_panoptic", "PQ")],
     lambda one, m2f: one >= m2f),
    ("1", "OneFormer semantic prompt mIoU >= its panoptic output's mIoU", BOTH_DRAWS,
     [("semantic prompt", "n200_oneformer", "semantic_prompt_mIoU"),
      ("panoptic", "n200_oneformer", "mIoU")],
     lambda sem, pan: sem >= pan),
    ("1", "OneFormer instance prompt mask AP >= its panoptic output's mask AP", BOTH_DRAWS,
     [("instance prompt", "n200_oneformer", "instance_prompt_mask_AP"),
      ("panoptic", "n200_oneformer", "mask_AP")],
     lambda ins, pan: ins >= pan),
    ("2", "Mask2Former PQ things >= 45", BOTH_DRAWS,
     [("things", "n200_panoptic", "PQ_things")], lambda things: things >= 0.45),
    ("2", "Mask2Former PQ >= 60", BOTH_DRAWS,
     [("PQ", "n200_panoptic", "PQ")], lambda pq: pq >= 0.60),
    ("3", "co-trained PQ >= baseline PQ + 10", BOTH_DRAWS,
     [("co-trained", "n200_weak_cotrain", "PQ"), ("baseline", "n200_weak_baseline", "PQ")],
     lambda co, base: co >= base + 0.10),
    ("3", "co-trained PQ >= 90% of full panoptic labels' PQ", BOTH_DRAWS,
     [("co-trained", "n200_weak_cotrain", "PQ"), ("full", "n200_panoptic", "PQ")],
     lambda co, full: co >= 0.9 * full),
    ("4", "label spaces, linear classifier: PQ >= 90% of every class's PQ", ("n200",),
     [("co-trained", "n200_labelspace_linear", "PQ"), ("every class", "n200_panoptic", "PQ")],
     lambda co, full: co >= 0.9 * full),
    ("4", "label spaces, embedding classifier: PQ >= 90% of every class's PQ", ("n200",),
     [("co-trained", "n200_labelspace_embedding", "PQ"), ("every class", "n200_panoptic", "PQ")],
     lambda co, full: co >= 0.9 * full),
]


def check(runs):
    """One row per bar and draw: (bar, asks, draw, figures text, 'met' / 'not met' / 'no run')."""
    rows = []
    for bar, asks, draws, operands, condition in BARS:
        for draw in draws:
            values, shown = [], []
            for label, recipe, field in operands:
                value = runs.get(run_key(recipe, draw), {}).get(field)
                values.append(value)
                shown.append(f"{label} {'-' if value is None else f'{100 * value:.1f}'}")
            if any(v is None for v in values):
                status = "no run"
            else:
                status = "met" if condition(*values) else "not met"
            rows.append((bar, asks, draw, ", ".join(shown), status))
    return rows


def markdown(runs):
    lines = [f"| bar | asks (runs `+{BUDGET_TAG}`) | draw | figures | status |",
             "|---|---|---|---|---|"]
    for bar, asks, draw, figures, status in check(runs):
        lines.append(f"| {bar} | {asks} | {draw} | {figures} | {status} |")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--experiments",
                    default=os.path.join(ROOT, "scripts", "results", "experiments.json"))
    ap.add_argument("--markdown", action="store_true", help="the README table's rows")
    a = ap.parse_args()
    try:
        with open(a.experiments) as f:
            runs = json.load(f)["runs"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"experiment_bars: {a.experiments}: {e}")
    if a.markdown:
        print("\n".join(markdown(runs)))
        return
    for bar, asks, draw, figures, status in check(runs):
        print(f"bar {bar}  {draw:7} {status:8} {asks}: {figures}")


if __name__ == "__main__":
    main()
