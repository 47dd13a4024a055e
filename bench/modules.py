#!/usr/bin/env python3
"""ES module jobs: what importing a shared 50 KB library costs a run.

1. In-process (bench/core_bench.cc `module`): one warm sandbox runs a module job importing
   the library, and one importing nothing; microseconds per run, and instructions per run
   (callgrind, which this shared machine's noise does not move), when valgrind is there.
2. A batch of 300 such jobs over 3 tenants (`krepis batch --jobs 2`), against the same jobs
   with the library's work inlined as classic scripts (no import): CPU per job over the whole
   process tree (getrusage of the children) and wall time per batch.
Medians of interleaved rounds.

Usage: modules.py BUILD_DIR [--baseline OTHER_BUILD_DIR] [--rounds N]

--baseline runs the batches on another build too, interleaved with this one (a commit
before a change, built with its krepis and krepis_core_bench targets), and its in-process
rows.
"""
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUILD = Path(sys.argv[1]).resolve()
BASELINE = Path(sys.argv[sys.argv.index("--baseline") + 1]).resolve() if "--baseline" in sys.argv else None
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 7
TENANTS = ["t0", "t1", "t2"]
JOBS_PER_TENANT = 100


def library():
    """About 50 KB of functions, as a utility library is."""
    parts = []
    i = 0
    while sum(len(p) for p in parts) < 50 * 1024:
        parts.append(
            f"export function f{i}(x) {{ const items = [x, {i}, x * {i}]; "
            f"return items.reduce((a, b) => a + b, 0) % {i + 7}; }}\n")
        i += 1
    parts.append("export const sum = (xs) => xs.reduce((a, b) => a + b, 0);\n")
    return "".join(parts)


def make_batch(root, modular):
    jobs = root / ("modules" if modular else "classic")
    manifest = root / "tenants.toml"
    manifest.write_text("".join(f"[tenants.{t}]\n" for t in TENANTS))
    for tenant in TENANTS:
        folder = jobs / tenant
        (folder / "lib").mkdir(parents=True, exist_ok=True)
        (folder / "lib" / "shared.mjs").write_text(library())
        for j in range(JOBS_PER_TENANT):
            if modular:
                code = (f"import {{ f{j}, sum }} from './lib/shared.mjs';\n"
                        f"export default sum([1, 2, 3]) + f{j}({j});\n")
                (folder / f"job{j}.mjs").write_text(code)
            else:
                code = (f"const f = (x) => [x, {j}, x * {j}].reduce((a, b) => a + b, 0) % {j + 7};\n"
                        f"[1, 2, 3].reduce((a, b) => a + b, 0) + f({j});\n")
                (folder / f"job{j}.js").write_text(code)
    return jobs, manifest


def run_batch(krepis, jobs, manifest):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(krepis), "batch", str(jobs), "--tenants", str(manifest), "--json",
                           "--jobs", "2"], capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(done.stdout.strip().splitlines()[-1])["summary"]
    ok = summary["counts"]["ok"]
    if ok != len(TENANTS) * JOBS_PER_TENANT:
        sys.exit(f"{krepis}: only {ok} jobs ok:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000 / ok, wall * 1000


def in_process(root):
    """Per-run microseconds (and instructions) of module jobs on one warm sandbox."""
    folder = root / "modules" / TENANTS[0]
    alone = root / "alone"
    alone.mkdir(exist_ok=True)
    (alone / "alone.mjs").write_text("export default 1;\n")
    cores = {"krepis": BUILD / "bench" / "krepis_core_bench"}
    if BASELINE:
        cores["baseline"] = BASELINE / "bench" / "krepis_core_bench"
    jobs = {"imports the library": (folder, "job1.mjs"), "imports nothing": (alone, "alone.mjs")}
    means = {(core, job): [] for core in cores for job in jobs}
    for _ in range(ROUNDS):
        for (core, job), values in means.items():
            done = subprocess.run([str(cores[core]), "module", "300", *map(str, jobs[job])],
                                  capture_output=True, text=True)
            # A baseline from before core_bench's `module` mode (or with other arguments)
            # has no in-process rows.
            if done.returncode == 0:
                values.append(statistics.mean(json.loads(done.stdout)["samples_us"]))
    print("in-process, one warm sandbox, 300 runs of a module job")
    for (core, job), values in means.items():
        if not values:
            print(f"  {core:9} {job:20} (no `module` mode in this build)")
            continue
        line = f"  {core:9} {job:20} {statistics.median(values):8.1f} us/run"
        if shutil.which("valgrind"):
            counts = []
            for n in (5, 25):
                err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                      str(cores[core]), "module", str(n), *map(str, jobs[job])],
                                     capture_output=True, text=True).stderr
                counts.append(int(next(l for l in err.splitlines() if "Collected" in l).split()[-1]))
            line += f"  {(counts[1] - counts[0]) / 20 / 1e6:6.2f} M instructions/run"
        print(line)


def main():
    builds = {"krepis": BUILD / "krepis"}
    if BASELINE:
        builds["baseline"] = BASELINE / "krepis"
    with tempfile.TemporaryDirectory(prefix="krepis-modules-bench-") as folder:
        root = Path(folder)
        batches = {"modules": make_batch(root, True), "classic": make_batch(root, False)}
        in_process(root)
        samples = {(b, kind): [] for b in builds for kind in batches}
        for _ in range(ROUNDS):
            for kind, (jobs, manifest) in batches.items():
                for name, krepis in builds.items():
                    samples[(name, kind)].append(run_batch(krepis, jobs, manifest))
        print(f"{len(TENANTS) * JOBS_PER_TENANT} jobs, --jobs 2, median of {ROUNDS} rounds")
        print(f"{'batch':10} {'build':9} {'cpu ms/job':>11} {'wall ms/batch':>14}")
        for (name, kind), values in samples.items():
            cpu = statistics.median(v[0] for v in values)
            wall = statistics.median(v[1] for v in values)
            print(f"{kind:10} {name:9} {cpu:11.3f} {wall:14.1f}")


if __name__ == "__main__":
    main()
