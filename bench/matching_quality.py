"""How right the matcher is (issue 24): precision and recall of each rule against pairs people
judged by reading both sides (tests/matching/, whose README says how they were judged).

The labelled set: the first 45 distinct operations of the real ESF Thüringen 2014-2020 list
(tests/real/ESF_Thueringen_2014_2020-excerpt.csv) × the five fields of RIS3 Thüringen
(data/strategies/thueringen-2014-2020.yaml) = 225 pairs. The list is loaded with `s3kg load
national-operations` and the graph built with `s3kg build` in a new project, as a user would;
the matcher is then run on the published store at each threshold of the text rule.

    python bench/matching_quality.py [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from loaders.core.queries import select_values
from loaders.link import matching

PROJECT = Path(__file__).resolve().parent.parent
LABELS = PROJECT / "tests" / "matching" / "thueringen-esf-2014-2020.csv"
OPERATIONS = PROJECT / "tests" / "real" / "ESF_Thueringen_2014_2020-excerpt.csv"
STRATEGY = "https://w3id.org/s3kg/id/strategy/thueringen-2014-2020/priority/"
THRESHOLDS = (0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2)


def build(root: Path) -> Path:
    """A new project holding the product's data (without the default build's real exports, so that
    the figures stay those of the list alone against the curated and strategy texts) and the real
    list, loaded and built by the CLI."""
    shutil.copytree(PROJECT / "data", root / "data", ignore=shutil.ignore_patterns("exports"))
    sources = root / "data" / "sources.yaml"
    lines = sources.read_text(encoding="utf-8").splitlines(keepends=True)
    sources.write_text("".join(line for line in lines if "exports/" not in line), encoding="utf-8")
    (root / "exports").mkdir()
    shutil.copy(OPERATIONS, root / "exports" / OPERATIONS.name)
    for step in (["load", "national-operations", f"exports/{OPERATIONS.name}"], ["build"]):
        done = subprocess.run(
            [sys.executable, "-m", "s3kg.cli", *step, "--data-dir", str(root / "data")],
            capture_output=True, text=True, cwd=root, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"s3kg {step[0]} failed:\n{done.stderr[-3000:]}")
    return (root / "var" / "store" / "current").resolve()  # the published build (loaders/publish/store.py)


def judged(half: int | None = None) -> dict[tuple[str, str], bool]:
    """(operation title, priority id) → whether people judged that the operation serves it; with
    `half` 0 or 1, only the pairs of the 1st, 3rd, 5th… (0) or 2nd, 4th… (1) operation: the
    threshold of the text rule is chosen on half 0 and reported on half 1, which it never saw."""
    with LABELS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rank = {title: n for n, title in enumerate(dict.fromkeys(r["operation"] for r in rows))}
    return {
        (r["operation"], r["priority"]): r["serves"] == "yes" for r in rows if half is None or rank[r["operation"]] % 2 == half
    }


def predicted(store: ox.Store, threshold: float) -> dict[tuple[str, str], str]:
    """(operation title, priority id) → the rule that links them, at the text rule's threshold."""
    titles: dict[str, str] = dict(select_values(store, "SELECT ?p ?t WHERE { ?p a s3:Project ; dcterms:title ?t }"))
    found: dict[tuple[str, str], str] = {}
    for project, priority, evidence in matching.candidates(store, threshold):
        if priority.startswith(STRATEGY) and project in titles:
            found[(titles[project].strip(), priority[len(STRATEGY) :])] = evidence.rule
    return found


def scores(labels: dict[tuple[str, str], bool], found: dict[tuple[str, str], str]) -> dict[str, dict[str, float]]:
    """Per rule and overall: predicted, correct, precision and recall (over all the pairs judged yes)."""
    positives = sum(labels.values())
    per: dict[str, list[bool]] = defaultdict(list)
    for pair, rule in found.items():
        if pair in labels:
            per[rule].append(labels[pair])
            per["overall"].append(labels[pair])
    out = {}
    for rule in [*matching.RULES, "overall"]:
        hits = per.get(rule, [])
        correct = sum(hits)
        out[rule] = {
            "predicted": len(hits),
            "correct": correct,
            "precision": round(correct / len(hits), 3) if hits else float("nan"),
            "recall": round(correct / positives, 3) if positives else float("nan"),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="build in this (new) folder and keep it")
    args = parser.parse_args()
    sets = {"all": judged(), "tuning half": judged(0), "held-out half": judged(1)}
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        store = ox.Store.read_only(str(build(root)))
        found = {t: predicted(store, t) for t in sorted({*THRESHOLDS, matching.TEXT_THRESHOLD})}
    results = {name: {str(t): scores(labels, f) for t, f in found.items()} for name, labels in sets.items()}
    sizes = {name: {"pairs": len(labels), "positives": sum(labels.values())} for name, labels in sets.items()}
    if args.json:
        print(json.dumps({"threshold": matching.TEXT_THRESHOLD, "sets": sizes, "results": results}))
        return
    print(f"text threshold in use: {matching.TEXT_THRESHOLD}; sets: {sizes}\n")
    print("| set | threshold | rule | predicted | correct | precision | recall |\n|---|---|---|---|---|---|---|")
    for name, by_threshold in results.items():
        for threshold, by_rule in by_threshold.items():
            for rule, s in by_rule.items():
                if s["predicted"] or rule == "overall":
                    row = f"{s['predicted']} | {s['correct']} | {s['precision']} | {s['recall']}"
                    print(f"| {name} | {threshold} | {rule} | {row} |")


if __name__ == "__main__":
    main()
