#!/usr/bin/env python3
"""CPU per job of a `krepis batch --jobs 2` of 1000 trivial jobs (bench.py's make_batch:
10 tenants x 100 jobs, code `J + 1`, deadline_ms = 1000), over the whole process tree.

  python3 bench/batch_cpu.py [--rounds N] [--split] [--core BENCH] [--jobs N] LABEL=KREPIS ...

e.g. python3 bench/batch_cpu.py --core build/bench/krepis_core_bench before=OLD/krepis after=build/krepis

Each round runs every binary once, in turn (interleaved). Per job: total CPU (user+sys of
the parent and its reaped workers, os.wait4), minor faults, voluntary/involuntary context
switches, wall. --split also polls /proc every 5 ms (perturbs a little): CPU of the workers
(sum of their threads' schedstat, ns, at the last sample before each exits, so a worker's
last 5 ms are missed and counted as the parent's), parent = total - workers.
--core BENCH: V8 context+run CPU in-process: `krepis_core_bench warm N '1+1'` for N = 200
and 2200, CPU difference / 2000 (excludes the process start), subtracted to give
"outside V8" per job.
"""
import argparse
import json
import os
import statistics
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

def make_batch(root, tenants=10, per=100, code="__J__ + 1"):
    manifest = root / "tenants.toml"
    lines = []
    for t in range(tenants):
        lines.append(f"[tenants.t{t}]\ndeadline_ms = 1000\n")
        folder = root / "jobs" / f"t{t}"
        folder.mkdir(parents=True, exist_ok=True)
        for j in range(per):
            (folder / f"{j:04}.js").write_text(code.replace("__J__", str(j)))
    manifest.write_text("".join(lines))
    return manifest, root / "jobs"


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def proc_sample(pid):
    """(cpu ns summed over live threads, minflt of the process, vol, invol ctx of live threads)"""
    stat = read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    minflt = int(fields[7])
    ns = vol = invol = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in tids:
        s = read(f"/proc/{pid}/task/{tid}/schedstat")
        if s:
            ns += int(s.split()[0])
        st = read(f"/proc/{pid}/task/{tid}/status")
        if st:
            for line in st.splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    vol += int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches"):
                    invol += int(line.split()[1])
    return ns, minflt, vol, invol


class Poller(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.last = {}  # child pid -> sample
        self.stop = False

    def run(self):
        while not self.stop:
            kids = set()
            try:
                for tid in os.listdir(f"/proc/{self.pid}/task"):
                    c = read(f"/proc/{self.pid}/task/{tid}/children")
                    if c:
                        kids.update(int(x) for x in c.split())
            except OSError:
                pass
            for k in kids:
                s = proc_sample(k)
                if s:
                    self.last[k] = s
            time.sleep(0.005)


def run_once(cmd, split):
    t0 = time.perf_counter()
    # stderr to a file: a pipe read only after the wait would hang a batch that fills it.
    err_file = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err_file)
    poller = None
    if split:
        poller = Poller(p.pid)
        poller.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err_file.seek(0)
    err = err_file.read().decode(errors="replace")
    err_file.close()
    p.returncode = status
    if status != 0:
        raise SystemExit(f"{cmd[0]} failed: {status} {err[:500]!r}")
    r = {"cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime,
         "minflt": ru.ru_minflt, "vcsw": ru.ru_nvcsw, "ivcsw": ru.ru_nivcsw, "wall": wall}
    if poller:
        poller.stop = True
        poller.join()
        w = list(poller.last.values())
        r["workers_cpu"] = sum(x[0] for x in w) / 1e9
        r["parent_cpu"] = r["cpu"] - r["workers_cpu"]
        r["workers_minflt"] = sum(x[1] for x in w)
        r["workers_vcsw"] = sum(x[2] for x in w)
        r["workers_ivcsw"] = sum(x[3] for x in w)
        r["n_workers"] = len(w)
    return r


def core_cost(bench, code="1+1"):
    def one(n):
        p = subprocess.Popen([bench, "warm", str(n), code], stdout=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        return ru.ru_utime + ru.ru_stime, ru.ru_minflt
    lo = [one(200) for _ in range(3)]
    hi = [one(2200) for _ in range(3)]
    cpu = (statistics.median(h[0] for h in hi) - statistics.median(l[0] for l in lo)) / 2000
    flt = (statistics.median(h[1] for h in hi) - statistics.median(l[1] for l in lo)) / 2000
    return cpu, flt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bins", nargs="+", help="LABEL=path/to/krepis")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--jobs", default="2")
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--core", help="krepis_core_bench, for the V8 context+run CPU")
    ap.add_argument("--out", help="write all rows as JSON here")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="krepis-batch-cpu-"))
    try:
        measure(a, *make_batch(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(a, manifest, jobs):
    n_jobs = sum(1 for _ in jobs.glob("*/*.js"))
    bins = dict(b.split("=", 1) for b in a.bins)
    rows = {k: [] for k in bins}
    for rnd in range(a.rounds):
        for label, path in bins.items():
            cmd = [path, "batch", "--jobs", a.jobs, "--json", "--tenants", str(manifest), str(jobs)]
            rows[label].append(run_once(cmd, a.split))
    v8 = None
    if a.core:
        v8, v8flt = core_cost(a.core)
        print(f"V8 context+run in-process (krepis_core_bench warm, CPU): {v8*1e6:.0f} us/run, "
              f"{v8flt:.1f} minor faults/run")
    keys = ["cpu", "user", "sys", "minflt", "vcsw", "ivcsw", "wall"]
    if a.split:
        keys += ["parent_cpu", "workers_cpu", "workers_minflt", "workers_vcsw", "workers_ivcsw"]
    scale = {"cpu": 1e6, "user": 1e6, "sys": 1e6, "wall": 1e6, "parent_cpu": 1e6, "workers_cpu": 1e6}
    print(f"per job ({n_jobs} jobs, {a.rounds} rounds): median [min]; times in us")
    print(f"{'':22}" + "".join(f"{label:>22}" for label in bins))
    for k in keys:
        line = f"{k:22}"
        for label in bins:
            xs = [r[k] * scale.get(k, 1) / n_jobs for r in rows[label]]
            line += f"{statistics.median(xs):>13.1f} [{min(xs):6.1f}]"
        print(line)
    if v8 is not None:
        line = f"{'cpu outside V8':22}"
        for label in bins:
            xs = [r["cpu"] * 1e6 / n_jobs - v8 * 1e6 for r in rows[label]]
            line += f"{statistics.median(xs):>13.1f} [{min(xs):6.1f}]"
        print(line)
    if a.out:
        Path(a.out).write_text(json.dumps({"rows": rows, "v8_us": v8 and v8 * 1e6}, indent=1))


if __name__ == "__main__":
    main()
