#!/usr/bin/python3
"""Training runs side by side: their losses averaged over windows of iterations, from each run's
metrics.jsonl (the log lines segx train writes every solver.log_period iterations).

  scripts/loss_windows.py [--window 200] [--until N] [--task panoptic] [--json FILE] NAME=RUN_DIR ...

Per window and run: the classification loss (loss_ce), the loss of one task's images (the
"tasks" entry a multi-task run logs, per image times the batch, so on the scale of total_loss;
a single-task run's total_loss), and loss_contrastive (weighted) where the run has it. Runs that
share a seed, data and schedule (e.g. a recipe and its KEY=VALUE variants, each stopped at any
iteration) are compared iteration for iteration, long before their final scores exist; --until
leaves out the iterations from N on, so that runs stopped at N are not compared on a part window.
"""
import argparse
import json
import os
import sys


def read_log(run_dir):
    path = os.path.join(run_dir, "metrics.jsonl")
    lines = []
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"loss_windows: '{path}' line {number}: {e}")
                if "loss_ce" in entry and "iteration" in entry:
                    lines.append(entry)
    except OSError as e:
        sys.exit(f"loss_windows: '{path}': {e.strerror}")
    return lines


def recipe_of(run_dir):
    """The recipe and KEY=VALUE overrides the run was trained with (its train_config.json)."""
    try:
        with open(os.path.join(run_dir, "train_config.json")) as f:
            saved = json.load(f)
    except (OSError, json.JSONDecodeError):
        return None
    source = saved.get("_source", "")
    if source.startswith(os.getcwd() + os.sep):
        source = os.path.relpath(source)
    return {"recipe": source, "overrides": saved.get("_overrides", [])}


def task_loss(entry, task):
    tasks = entry.get("tasks")
    if tasks is None:
        return entry["total_loss"]
    return tasks[task]["loss"] if task in tasks else None


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def windows(lines, width, task):
    by_window = {}
    for entry in lines:
        by_window.setdefault(entry["iteration"] // width, []).append(entry)
    out = {}
    for w, entries in sorted(by_window.items()):
        out[w * width] = {
            "loss_ce": mean(e["loss_ce"] for e in entries),
            "task_loss": mean(task_loss(e, task) for e in entries),
            "loss_contrastive": mean(e.get("loss_contrastive") for e in entries),
        }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="NAME=RUN_DIR")
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--task", default="panoptic", choices=["panoptic", "instance", "semantic"])
    parser.add_argument("--until", type=int, help="leave out iterations from this one on")
    parser.add_argument("--json", help="also write the table as JSON to this file")
    args = parser.parse_args()
    if args.window <= 0:
        sys.exit("loss_windows: --window must be positive")
    table, recipes = {}, {}
    for spec in args.runs:
        name, sep, run_dir = spec.partition("=")
        if not sep or not name or not run_dir:
            sys.exit(f"loss_windows: '{spec}': expected NAME=RUN_DIR")
        lines = read_log(run_dir)
        if args.until is not None:
            lines = [e for e in lines if e["iteration"] < args.until]
        table[name] = windows(lines, args.window, args.task)
        recipes[name] = recipe_of(run_dir)

    starts = sorted({s for t in table.values() for s in t})
    cell = max(30, max(len(name) for name in table) + 2)
    print(f"iterations   " + "".join(f"{name:<{cell}}" for name in table))
    print(f"{'':13}" + "".join(f"{'ce   ' + args.task + '  contrastive':<{cell}}" for _ in table))
    for s in starts:
        row = f"{s:>5}-{s + args.window - 1:<6} "
        for name in table:
            w = table[name].get(s)
            if w is None:
                row += " " * cell
                continue
            contrastive = "-" if w["loss_contrastive"] is None else f"{w['loss_contrastive']:.2f}"
            task = "-" if w["task_loss"] is None else f"{w['task_loss']:.1f}"
            row += f"{w['loss_ce']:.2f} {task:>6} {contrastive:>6}".ljust(cell)
        print(row.rstrip())
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"window": args.window, "until": args.until, "task": args.task,
                       "recipes": recipes,
                       "runs": table}, f, indent=1)


if __name__ == "__main__":
    main()
