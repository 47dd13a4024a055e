#!/usr/bin/env python3
"""The guard: a bench run's figures against the committed thresholds (bench/thresholds.json).

    python3 bench/check.py RESULTS_JSON [THRESHOLDS_JSON]

Each threshold names a row of results.json and either a ratio ("of" ÷ "over", two runners
of the same row, so the machine's speed cancels out) or one figure ("of" alone), and the
most it may be ("max"). Prints one line per threshold and exits 0 when every figure is
within its threshold, 1 when one is past it (a regression), 2 when one could not be
measured (its row or runner is missing: a peer not installed, a section left out).
`bench/run --check` measures a quick run and calls this.
"""
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def figure(results, threshold):
    """The measured figure a threshold is about, or None when the run lacks it."""
    row = next((r for r in results["rows"] if r["row"] == threshold["row"]), None)
    if row is None:
        return None
    of = row["values"].get(threshold["of"])
    if "over" not in threshold:
        return of
    over = row["values"].get(threshold["over"])
    if of is None or not over:
        return None
    return of / over


def check(results, thresholds):
    """(name, figure or None, max, verdict) for each threshold; verdict is ok, REGRESSION or
    'not measured'."""
    verdicts = []
    for threshold in thresholds:
        value = figure(results, threshold)
        if value is None:
            verdict = "not measured"
        elif value > threshold["max"]:
            verdict = "REGRESSION"
        else:
            verdict = "ok"
        verdicts.append((threshold["name"], value, threshold["max"], verdict))
    return verdicts


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    results = json.loads(Path(argv[1]).read_text())
    thresholds = json.loads(Path(argv[2] if len(argv) == 3 else BENCH / "thresholds.json").read_text())
    verdicts = check(results, thresholds["thresholds"])
    width = max(len(name) for name, *_ in verdicts)
    for name, value, most, verdict in verdicts:
        shown = "—" if value is None else f"{value:.3g}"
        print(f"{name:<{width}}  {shown:>8}  (at most {most:g})  {verdict}")
    regressions = sum(v == "REGRESSION" for *_, v in verdicts)
    missing = sum(v == "not measured" for *_, v in verdicts)
    print(f"\n{len(verdicts) - regressions - missing} within their thresholds, "
          f"{regressions} past, {missing} not measured ({argv[1]}, run of {results.get('when', '?')})")
    return 1 if regressions else 2 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
