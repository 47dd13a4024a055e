#!/usr/bin/env python3
"""Where a `krepis batch --jobs 2` of 1000 trivial jobs spends its CPU, in one run: perf samples
of the whole process tree (cpu-clock, DWARF call stacks), each put in one bucket, per job.

  python3 bench/batch_profile.py KREPIS [--hz 5000] [--top 15]
  python3 bench/batch_profile.py --rounds N LABEL=KREPIS LABEL=KREPIS ...   (before and after)

e.g. python3 bench/batch_profile.py build/krepis   (needs `perf`; ~15 s a run)

Buckets, first match wins: a V8 platform thread ("V8 DefaultWorke": GC and compile tasks);
a stack through `krepis::Sandbox::run` (V8's context and run, as the in-process warm run
measures it: the context, globals, compile, run, result, the reclaiming GC); through
`krepis::Sandbox::Sandbox` (an isolate made); else "outside V8", split into the parent
process (the first pid: its start, planning, the job threads) and the workers (the wire, job
files, the memory watch, the process's start). Unlike `batch_cpu.py --core`, which subtracts
an in-process figure measured minutes apart, every bucket here comes from the same run, so
the machine's drift lands on all of them alike; the error is the samples' (±2 % of a bucket
of 1000 samples). Each sample counts for its own period (the CPU time it stands for); a stack
that perf could not unwind to its thread's start (~1 %: deep V8 frames past the 16 KiB copied)
may land outside V8 when it was in it. Lost samples are reported. With --rounds and several
binaries, they take turns, and each bucket's median per job is shown with every run's figure:
a minute's drift moves one run of each, not one binary.
"""
import argparse
import collections
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_cpu import make_batch  # noqa: E402


def samples(script_text):
    """(comm, pid, period in ns, frames leaf first) for each sample of
    `perf script -F comm,pid,tid,period,ip,sym`."""
    head, frames = None, []
    for line in script_text.splitlines():
        if not line.strip():
            if head:
                yield (*head, frames)
            head, frames = None, []
        elif not line[0].isspace():
            # "comm pid/tid period", where comm may hold spaces ("V8 DefaultWorke")
            rest, period = line.split()[:-1], line.split()[-1]
            comm, ids = " ".join(rest[:-1]), rest[-1]
            head, frames = (comm, int(ids.split("/")[0]), int(period)), []
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else "?")
    if head:
        yield (*head, frames)


def bucket(comm, is_parent, frames):
    if comm.startswith("V8 "):
        return "V8's threads (GC, compile tasks)"
    if any("krepis::Sandbox::run" in f for f in frames):
        return "V8's context and run (Sandbox::run)"
    if any("krepis::Sandbox::Sandbox" in f for f in frames):
        return "isolates made (Sandbox::Sandbox)"
    return "outside V8: the parent" if is_parent else "outside V8: the workers"


def where(frames):
    """What a sample outside V8 was doing: its innermost krepis or loader frame, and whether it
    was in the kernel."""
    kernel = any(f.startswith(("entry_SYSCALL", "asm_exc_page_fault")) for f in frames)
    named = next((f for f in frames if "krepis::" in f or f.startswith(("_dl_", "__libc_start"))),
                 frames[-1] if frames else "?")
    return ("kernel: " if kernel else "") + named[:90]


def profile(krepis, hz):
    """One perf run of the batch: (jobs, CPU ns by bucket, CPU ns by part outside V8, samples,
    lost-sample lines)."""
    work = Path(tempfile.mkdtemp(prefix="krepis-batch-profile-"))
    try:
        manifest, jobs = make_batch(work)
        n_jobs = sum(1 for _ in jobs.glob("*/*.js"))
        data = work / "perf.data"
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(hz),
                        "--call-graph", "dwarf,16384", "-o", str(data), "--",
                        krepis, "batch", "--jobs", "2", "--json", "--tenants", str(manifest),
                        str(jobs)], check=True, stdout=subprocess.DEVNULL)
        # --no-inline: inlined calls are not looked up (addr2line made this take minutes);
        # every bucket is a real function's frame.
        text = subprocess.run(["perf", "script", "--no-inline", "-i", str(data), "-F",
                               "comm,pid,tid,period,ip,sym"],
                              check=True, capture_output=True, text=True).stdout
        stats = subprocess.run(["perf", "report", "-i", str(data), "--stats"],
                               capture_output=True, text=True).stdout
        lost = [line.strip() for line in stats.splitlines() if "LOST" in line.upper()]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    buckets = collections.Counter()
    outside = collections.Counter()
    parent = None
    count = 0
    for comm, pid, period, frames in samples(text):
        parent = pid if parent is None else parent
        name = bucket(comm, pid == parent, frames)
        buckets[name] += period
        count += 1
        if name.startswith("outside"):
            outside[(name.removeprefix("outside V8: "), where(frames))] += period
    return n_jobs, buckets, outside, count, lost


OUTSIDE = "outside V8's context and run"
MADE = "isolates made (Sandbox::Sandbox)"


def per_job(n_jobs, buckets):
    """µs a job for each bucket, and the outside-V8 total."""
    us = {name: ns * 1e-3 / n_jobs for name, ns in buckets.items()}
    us["all"] = sum(buckets.values()) * 1e-3 / n_jobs
    us[OUTSIDE] = sum(v for n, v in us.items() if n.startswith("outside V8:"))
    return us


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("krepis", nargs="+",
                    help="KREPIS, or several LABEL=KREPIS to compare, taking turns")
    ap.add_argument("--hz", type=int, default=5000)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each binary, taking turns; medians are shown")
    a = ap.parse_args()
    if not shutil.which("perf"):
        raise SystemExit("batch_profile: needs perf (Debian: linux-perf)")
    binaries = dict(b.split("=", 1) if "=" in b else (b, b) for b in a.krepis)
    if len(binaries) == 1 and a.rounds == 1:
        return show_one(*profile(next(iter(binaries.values())), a.hz), a.hz, a.top)
    rows = {label: [] for label in binaries}
    for _ in range(a.rounds):
        for label, krepis in binaries.items():
            n_jobs, buckets, _, _, lost = profile(krepis, a.hz)
            rows[label].append(per_job(n_jobs, buckets))
            for line in lost:
                print(f"  {label}: perf lost samples: {line}")
    names = sorted({n for runs in rows.values() for run in runs for n in run})
    print(f"CPU per job, µs: median of {a.rounds} runs each, taking turns [each run]")
    for name in names:
        cells = []
        for label, runs in rows.items():
            values = [run.get(name, 0.0) for run in runs]
            each = " ".join(f"{v:.0f}" for v in values)
            cells.append(f"{label} {statistics.median(values):7.1f} [{each}]")
        print(f"  {name:40} " + "   ".join(cells))


def show_one(n_jobs, buckets, outside, count, lost, hz, top):
    us = per_job(n_jobs, buckets)
    print(f"{n_jobs} jobs, {count} samples at {hz} Hz: CPU per job, µs")
    for line in lost:
        print(f"  perf lost samples: {line}")
    for name in sorted(buckets):
        print(f"  {name:44} {us[name]:7.1f}")
    print(f"  {'all':44} {us['all']:7.1f}")
    print(f"outside V8's context and run: {us[OUTSIDE]:.1f} µs a job, "
          f"{us[OUTSIDE] + us.get(MADE, 0.0):.1f} with the isolates made")
    print(f"the {top} largest parts outside V8:")
    for (side, what), ns in outside.most_common(top):
        print(f"  {ns * 1e-3 / n_jobs:6.1f}  {side:8} {what}")  # a sample's period is in ns


if __name__ == "__main__":
    main()
