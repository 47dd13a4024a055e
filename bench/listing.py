#!/usr/bin/env python3
"""Planning a batch of 100,000 jobs over 1,000 tenants (issue 19, point 6): the folder is made
once (Zipf-distributed jobs per tenant, each job a one-line file, some with an input), then
bench/plan_bench.cc plans shard 0 of 1 and of 8, by jobs and by tenant, five times each.
Prints the median and slowest milliseconds and the peak resident set of the planning
process. The parent of a batch holds this plan and no job's bytes (workers read the files).

Usage: listing.py BUILD_DIR [--jobs N] [--tenants N] [--keep FOLDER]
"""
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD = Path(sys.argv[1]).resolve()
JOBS = int(sys.argv[sys.argv.index("--jobs") + 1]) if "--jobs" in sys.argv else 100_000
TENANTS = int(sys.argv[sys.argv.index("--tenants") + 1]) if "--tenants" in sys.argv else 1000
KEEP = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None


def make_folder(root):
    weights = [1 / rank for rank in range(1, TENANTS + 1)]
    scale = JOBS / sum(weights)
    counts = [max(1, round(w * scale)) for w in weights]
    counts[0] += JOBS - sum(counts)  # exactly JOBS in all
    for t, count in enumerate(counts):
        folder = root / f"tenant-{t:04}"
        folder.mkdir(parents=True)
        for j in range(count):
            (folder / f"job-{j:06}.js").write_text("1 + 1\n")
            if j % 10 == 0:
                (folder / f"job-{j:06}.json").write_text("{}\n")


def main():
    folder = KEEP or Path(tempfile.mkdtemp(prefix="krepis-listing-"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not any(folder.iterdir()):
            make_folder(folder)
        print(f"{JOBS} jobs over {TENANTS} tenants (Zipf), shard 0 planned 5 times")
        print(f"{'shards':>6} {'by':7} {'jobs here':>9} {'median ms':>9} {'max ms':>7} {'peak RSS':>9}")
        for shards, by in ((1, "jobs"), (8, "jobs"), (8, "tenant")):
            done = subprocess.run([str(BUILD / "bench" / "krepis_plan_bench"), str(folder),
                                   str(shards), by], capture_output=True, text=True, check=True)
            figures = json.loads(done.stdout)
            print(f"{shards:>6} {by:7} {figures['jobs']:>9} {statistics.median(figures['ms']):9.1f}"
                  f" {max(figures['ms']):7.1f} {figures['peak_rss_kib'] / 1024:7.1f} MB")
    finally:
        if not KEEP:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
