#!/usr/bin/env python3
"""bench/check.py, the guard of the bench's figures, on made-up results: within every
threshold it passes, one figure past its threshold fails it (exit 1), a figure left out is
'not measured' (exit 2). And every threshold of bench/thresholds.json names a row bench.py
writes and runners that row has, so no threshold can go unmeasured unnoticed."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve()
CHECK = ROOT / "bench" / "check.py"
THRESHOLDS = json.loads((ROOT / "bench" / "thresholds.json").read_text())["thresholds"]


def results_within():
    """A run whose every guarded figure sits at 90 % of its threshold."""
    rows = {}
    for t in THRESHOLDS:
        values = rows.setdefault(t["row"], {})
        if "over" in t:
            values.setdefault(t["over"], 10.0)
            values[t["of"]] = values[t["over"]] * t["max"] * 0.9
        else:
            values[t["of"]] = t["max"] * 0.9
    return {"when": "test", "rows": [{"row": r, "unit": "", "values": v} for r, v in rows.items()]}


def run(results):
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(results, f)
        f.flush()
        done = subprocess.run([sys.executable, str(CHECK), f.name], capture_output=True, text=True)
    return done.returncode, done.stdout


failures = []
status, out = run(results_within())
if status != 0 or any(not l.endswith(" ok") for l in out.splitlines()[:len(THRESHOLDS)]):
    failures.append(f"within every threshold, check.py said {status}:\n{out}")

# Each threshold in turn pushed past its limit fails the check, naming it.
for t in THRESHOLDS:
    results = results_within()
    values = next(r["values"] for r in results["rows"] if r["row"] == t["row"])
    values[t["of"]] = values[t["of"]] * 1.2 / 0.9 if t["max"] > 0 else 1
    status, out = run(results)
    line = next((l for l in out.splitlines() if l.startswith(t["name"])), "")
    if status != 1 or not line.endswith("REGRESSION"):
        failures.append(f"{t['name']} past its threshold: exit {status}, line {line!r}")

# A runner left out (a peer not installed) is not measured, and says so.
results = results_within()
for r in results["rows"]:
    r["values"].pop("isolated-vm", None)
status, out = run(results)
if status != 2 or not any(l.endswith("not measured") for l in out.splitlines()):
    failures.append(f"a peer left out: exit {status}\n{out}")

# The thresholds name rows bench.py writes, and runners those rows have: each as a literal
# of bench.py's source (a deadline case's key, a bomb's script, a runner's key).
bench_source = (ROOT / "bench" / "bench.py").read_text()
for t in THRESHOLDS:
    row, names = t["row"], [t["of"]] + ([t["over"]] if "over" in t else [])
    if row.startswith("deadline 50 ms, overshoot: "):
        literals = [f'"{row.removeprefix("deadline 50 ms, overshoot: ")}":']
    elif row == "memory bomb, 128 MB cap: peak RSS":
        literals, names = [f'"{t["of"]}.js"'], []
    else:
        literals = [f'"{row}"']
    literals += [f'"{name}"' for name in names]
    for literal in literals:
        if literal not in bench_source:
            failures.append(f"threshold {t['name']!r}: bench.py has no {literal}")
    if not t.get("why"):
        failures.append(f"threshold {t['name']!r} does not say why its figure is what it is")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"bench/check.py: {len(THRESHOLDS)} thresholds, each enforced")
