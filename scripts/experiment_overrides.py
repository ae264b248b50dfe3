#!/usr/bin/python3
"""Prints the `segx train` overrides (one KEY=VALUE per line) that run a recipe written for the
n200 draw on another draw: every dataset and validation path of the recipe that lies in the
fixtures' synth/n200 folder moves to DRAW_DIR, and every one in a splits/n200 folder (the
manifests, vocabularies and class embeddings scripts/derive_splits.sh makes) moves to SPLITS:
the same for the recipe's "vocabulary" and its model's classifier.embeddings. Paths are resolved against the
recipe's folder, as `segx train` resolves them; the overrides are absolute.

Usage: experiment_overrides.py RECIPE.json --draw-dir DIR --splits DIR
"""
import argparse
import json
import os
import sys

PATH_KEYS = ("path", "images")


def redirect(path, draw_dir, splits):
    parts = os.path.normpath(path).split(os.sep)
    for i in range(len(parts) - 1):
        if parts[i + 1] != "n200":
            continue
        if parts[i] == "synth":
            return os.path.join(draw_dir, *parts[i + 2:])
        if parts[i] == "splits":
            return os.path.join(splits, *parts[i + 2:])
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("recipe")
    p.add_argument("--draw-dir", required=True)
    p.add_argument("--splits", required=True)
    a = p.parse_args()
    with open(a.recipe) as f:
        recipe = json.load(f)
    base = os.path.dirname(os.path.abspath(a.recipe))
    draw_dir, splits = os.path.abspath(a.draw_dir), os.path.abspath(a.splits)
    sections = [(f"datasets.{i}", d, PATH_KEYS) for i, d in enumerate(recipe.get("datasets", []))]
    if "validation" in recipe:
        sections.append(("validation", recipe["validation"], PATH_KEYS))
    sections.append(("", recipe, ("vocabulary",)))
    classifier = recipe.get("model", {}) if isinstance(recipe.get("model"), dict) else {}
    sections.append(("model.classifier", classifier.get("classifier", {}), ("embeddings",)))
    for prefix, section, keys in sections:
        for key in keys:
            if key not in section:
                continue
            moved = redirect(os.path.join(base, section[key]), draw_dir, splits)
            if moved is not None:
                print(f"{prefix + '.' if prefix else ''}{key}={moved}")


if __name__ == "__main__":
    sys.exit(main())
