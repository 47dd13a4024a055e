#!/usr/bin/env python3
"""krepis against its peers, measured in one run on generated inputs (see bench/README.md).

Prints one row per measurement with krepis's figure, each peer's, and krepis's ratio to
each; writes bench/results/results.json and the latency samples for the chart.
Usage: bench.py BUILD_DIR OUT_DIR [--quick] [--baseline OTHER_BUILD_DIR] [--only SECTION,...]

--baseline adds a column "baseline": the same krepis rows (warm runs, their instructions,
the batches) measured on another build, interleaved with this one, to compare a change with
the commit before it (build that commit in a worktree with -DKREPIS_BENCH=ON).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import warm_ab  # beside this script: one warm run, its faults and CPU

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BUILD = Path(sys.argv[1]).resolve()
OUT = Path(sys.argv[2]).resolve()
QUICK = "--quick" in sys.argv
BASELINE = Path(sys.argv[sys.argv.index("--baseline") + 1]).resolve() if "--baseline" in sys.argv else None
# --only warm,batch: only those sections (warm, instructions, batch, cold, worker, idle,
# process, deadline, memory).
ONLY = set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None


def wanted(section):
    return ONLY is None or section in ONLY
KREPIS = BUILD / "krepis"
FLOOR = BUILD / "bench" / "krepis_floor"
CORE = BUILD / "bench" / "krepis_core_bench"
PEERS_JS = BENCH / "peers.mjs"
NODE = shutil.which("node")
DENO = BENCH / ".peers" / "node_modules" / ".bin" / "deno"
PEERS = [p for p in ("node-vm", "isolated-vm", "quickjs")]

TRIVIAL = "1 + 1"
OBJECTS = "JSON.stringify(Array.from({length: 1000}, (_, i) => ({i, name: 'item' + i, even: i % 2 === 0})))"
REALISTIC = """
const rows = input.orders.filter((o) => o.status !== 'cancelled');
const byCustomer = {};
for (const o of rows) {
  const c = byCustomer[o.customer] ??= {orders: 0, total: 0, items: new Set()};
  c.orders++; c.total += o.total; for (const item of o.items) c.items.add(item);
}
Object.entries(byCustomer).map(([name, c]) => ({name, orders: c.orders,
  total: Math.round(c.total * 100) / 100, items: [...c.items].sort()}))
  .sort((a, b) => b.total - a.total);
"""

N_WARM = 300 if QUICK else 2000
N_OBJECTS = 100 if QUICK else 300
N_COLD = 20 if QUICK else 50
# A start is ~30 ms: 20 rounds of each command take a few seconds, and 8 were too few for this
# machine's drift (the quick run flagged `run -e 1` that 50 rounds found within).
N_PROCESS = 20 if QUICK else 30
N_DEADLINE = 8 if QUICK else 20


def run_json(cmd, **kw):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
    return json.loads(out.strip().splitlines()[-1])


def median(xs):
    return statistics.median(xs) if xs else None


def peer_available(peer):
    if NODE is None:
        return False
    if peer == "node-vm":
        return True
    module = {"isolated-vm": "isolated-vm", "quickjs": "quickjs-emscripten"}[peer]
    return (BENCH / ".peers" / "node_modules" / module).is_dir()


def timed(cmd, **kw):
    """Wall seconds and peak RSS (KiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss, proc.returncode


def peak_rss_kib(cmd):
    """Peak RSS of one process, as /usr/bin/time measures it. Not os.wait4's figure for a
    child of this script: Linux starts a forked child's peak at its parent's RSS, so every
    process under 100 MiB would read as this Python process's size."""
    with tempfile.NamedTemporaryFile("r") as out:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return int(out.read().split()[-1])


def interleaved(commands, rounds):
    """Wall seconds of each command over `rounds` rounds, the commands taking turns within
    each round: this shared machine's speed drifts over seconds, and measuring one command's
    runs after another's would hand the drift to whichever ran in the slower stretch. The
    order turns round every round, so that no command always runs first (after this script's
    own pause) or right after the same other."""
    for cmd in commands.values():
        timed(cmd)  # page cache
    walls = {name: [] for name in commands}
    order = list(commands.items())
    for round_ in range(rounds):
        for name, cmd in order if round_ % 2 == 0 else reversed(order):
            walls[name].append(timed(cmd)[0])
    return walls


def make_batch(root, tenants, jobs_per_tenant, code, with_input):
    manifest = root / "tenants.toml"
    lines = []
    for t in range(tenants):
        lines.append(f"[tenants.t{t}]\ndeadline_ms = 1000\n")
        folder = root / "jobs" / f"t{t}"
        folder.mkdir(parents=True)
        for j in range(jobs_per_tenant):
            (folder / f"{j:04}.js").write_text(code.replace("__J__", str(j)))
            if with_input:
                orders = [{"customer": f"c{(j * 7 + k) % 13}", "status": "cancelled" if k % 9 == 0 else "paid",
                           "total": round(10 + (k * 37 % 500) / 3, 2), "items": [f"sku{k % 17}", f"sku{(k * 3) % 23}"]}
                          for k in range(200)]
                (folder / f"{j:04}.json").write_text(json.dumps({"orders": orders}))
    manifest.write_text("".join(lines))
    return manifest, root / "jobs"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    latency = {}
    overshoot = {}

    def row(name, unit, values, lower_is_better=True):
        rows.append({"row": name, "unit": unit, "values": values})
        shown = "  ".join(f"{k} {v:.3g}" for k, v in values.items() if v is not None)
        print(f"{name:<48} [{unit}]  {shown}", flush=True)

    if wanted("warm"):
        # Warm runs: fresh context + script on a warm engine instance.
        for label, code, n in (("warm run: fresh context + trivial script", TRIVIAL, N_WARM),
                               ("warm run: fresh context + 1000 objects, JSON", OBJECTS, N_OBJECTS)):
            values = {}
            samples = run_json([str(CORE), "warm", str(n), code])["samples_us"]
            values["krepis"] = median(samples) / 1000
            if BASELINE:
                values["baseline"] = median(run_json([str(BASELINE / "bench" / "krepis_core_bench"), "warm", str(n), code])["samples_us"]) / 1000
            floor = run_json([str(FLOOR), "warm", str(n), code])["samples_us"]
            values["v8-floor"] = median(floor) / 1000
            if code == TRIVIAL:
                latency["krepis"], latency["v8-floor"] = samples, floor
            for peer in PEERS:
                if peer_available(peer):
                    peer_samples = run_json([NODE, str(PEERS_JS), peer, "warm", str(n), code])["samples_us"]
                    values[peer] = median(peer_samples) / 1000
                    if code == TRIVIAL:
                        latency[peer] = peer_samples
            row(label, "ms per run", values)

        # The page faults of a warm run (V8's freed pages faulted in again by the next contexts,
        # which core/engine/page_pool keeps): the difference of 700 and 200 runs, per run, in
        # quick runs too (the first runs fill the pool).
        def faults_per_run(program, code, n=500, warm_up=200):
            before, _, _ = warm_ab.run(str(program), warm_up, code)
            after, _, _ = warm_ab.run(str(program), warm_up + n, code)
            return (after - before) / n
        for label, code in (("warm run page faults: trivial script", TRIVIAL),
                            ("warm run page faults: 1000 objects, JSON", OBJECTS)):
            row(label, "minor faults per run", {"krepis": faults_per_run(CORE, code),
                                                "v8-floor": faults_per_run(FLOOR, code)})

    if wanted("instructions"):
        # The same warm run counted in instructions (callgrind), which this shared machine's noise
        # does not move: the difference of 110 and 10 runs, per run.
        if shutil.which("valgrind"):
            def instructions(program, code):
                counts = []
                for n in (10, 110):
                    err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                          str(program), "warm", str(n), code],
                                         capture_output=True, text=True).stderr
                    counts.append(int(next(l for l in err.splitlines() if "Collected" in l).split()[-1]))
                return (counts[1] - counts[0]) / 100
            for label, code in (("warm run, instructions (callgrind)", TRIVIAL),
                                ("warm run, 1000 objects, instructions (callgrind)", OBJECTS)):
                values = {"krepis": instructions(CORE, code) / 1000, "v8-floor": instructions(FLOOR, code) / 1000}
                if BASELINE:
                    values["baseline"] = instructions(BASELINE / "bench" / "krepis_core_bench", code) / 1000
                row(label, "thousand instructions per run", values)

    if wanted("batch"):
        # Whole batches, whole processes: per job.
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            for label, tenants, per, code, with_input in (
                    ("batch of 1000 trivial jobs, whole process", 10, 100, "__J__ + 1", False),
                    ("batch of 300 realistic jobs, whole process", 10, 30, REALISTIC, True)):
                root = tmp / label.split()[2]
                manifest, jobs = make_batch(root, tenants, per, code, with_input)
                total = tenants * per
                commands = {"krepis": [str(KREPIS), "batch", "--jobs", "2", "--json", "--tenants",
                                       str(manifest), str(jobs)]}
                if BASELINE:
                    commands["baseline"] = [str(BASELINE / "krepis")] + commands["krepis"][1:]
                for peer in PEERS:
                    if peer_available(peer):
                        commands[peer] = [NODE, str(PEERS_JS), peer, "batch", str(jobs)]
                walls = interleaved(commands, 5)
                row(label, "ms per job", {name: min(xs) * 1000 / total for name, xs in walls.items()})

    if wanted("cold"):
        # A new engine instance and its first run.
        values = {"krepis": median(run_json([str(CORE), "cold", str(N_COLD)])["samples_us"]) / 1000,
                  "v8-floor": median(run_json([str(FLOOR), "cold", str(N_COLD)])["samples_us"]) / 1000}
        for peer in PEERS:
            if peer_available(peer) and peer != "node-vm":
                values[peer] = median(run_json([NODE, str(PEERS_JS), peer, "cold", str(N_COLD)])["samples_us"]) / 1000
        row("cold instance + first run", "ms", values)

    if wanted("worker"):
        # A batch worker process's start-up: fork, confinement (Landlock, seccomp, rlimits),
        # V8's platform and the first isolate, with its first run; then a warm run on it.
        out = run_json([str(BUILD / "bench" / "krepis_worker_bench"), str(N_COLD)])
        row("sandboxed worker start-up + first run", "ms",
            {"krepis first": median(out["first_us"]) / 1000, "krepis warm": median(out["warm_us"]) / 1000})

    if wanted("idle"):
        # Idle warm instances.
        values = {"krepis": run_json([str(CORE), "idle", "100"])["rss_kib_each"],
                  "v8-floor": run_json([str(FLOOR), "idle", "100"])["rss_kib_each"]}
        for peer in PEERS:
            if peer_available(peer):
                values[peer] = run_json([NODE, "--expose-gc", str(PEERS_JS), peer, "idle", "100"])["rss_kib_each"]
        row("idle warm instance, RSS each (100 tenants)", "KiB", values)

    if wanted("process"):
        # One process per script.
        values = {}
        commands = {"krepis": [str(KREPIS), "run", "-e", "1"], "v8-floor": [str(FLOOR), "once"]}
        if BASELINE:
            commands["baseline"] = [str(BASELINE / "krepis"), "run", "-e", "1"]
        if NODE:
            commands["node -e"] = [NODE, "-e", "1"]
        if DENO.exists():
            commands["deno"] = [str(DENO), "eval", "1"]
        for name, xs in interleaved(commands, N_PROCESS).items():
            values[name] = median(xs) * 1000
        row("one process per script (run 1)", "ms", values)

    if wanted("deadline"):
        # Deadline overshoot, 50 ms: every family of work a script controls. The first five
        # check for interrupts; the rest (ops in a loop, builtins that check none, parsing a
        # big input, serialising a big result, compiling a big WebAssembly module) are ended by
        # the ops' own check or by condemnation 40 ms after termination was first requested.
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "files").mkdir()
            (tmp / "tenants.toml").write_text(
                '[tiers.w]\nops = ["fs.write"]\n[tenants.w]\ntier = "w"\nfs_root = "files"\n')
            (tmp / "big-input.json").write_text("[" + '{"k":"value","n":12345},' * 2_000_000 + "0]")
            script = lambda name: [str(ROOT / "tests" / "scripts" / name)]
            cases = {"loop": script("infinite-loop.js"), "regex": script("catastrophic-regex.js"),
                     "microtasks": script("microtask-flood.js"), "finally": script("loop-in-finally.js"),
                     "wasm": script("wasm-infinite-loop.js"),
                     "ops (writeText loop)": ["--tenants", str(tmp / "tenants.toml"), "--tenant", "w",
                                              "-e", "for (;;) krepis.fs.writeText('f', 'x')"],
                     "builtin (replaceAll on 32 MB)": ["--heap-mb", "1024", "-e",
                                                       "'a'.repeat(2 ** 25).replaceAll('a', 'bb').length"],
                     "input parsing (50 MB)": ["--heap-mb", "1024", "--input", str(tmp / "big-input.json"),
                                               "-e", "input.length"],
                     # 2M strings, 66 MB of JSON: a string result past 16 MiB is refused by its
                     # length at once, so the serialisation is of an array.
                     "result serialisation (66 MB)": ["--heap-mb", "1024", "-e",
                                                      "Array(2 ** 21).fill('x'.repeat(30))"],
                     "WebAssembly compilation (7 MB)": ["--heap-mb", "512"] + script("wasm-compile-big.js")}
            overshoot = {}
            for case, args in cases.items():
                xs = []
                finished = []
                for _ in range(N_DEADLINE):
                    out = subprocess.run([str(KREPIS), "run", "--json", "--deadline-ms", "50"] + args,
                                         capture_output=True, text=True).stdout
                    report = json.loads(out.splitlines()[0])
                    # Only a run the deadline stopped overshoots it; one that ends first (the linear
                    # regexp engine finishes a catastrophic pattern in milliseconds) is noted as such.
                    (xs if report["status"] == "timeout" else finished).append(report["wall_ms"] - 50)
                overshoot[case] = xs
                # Written whatever the runs' statuses, with how many the deadline did not stop:
                # a case that turns oom or crashed must fail the guard, not go unmeasured.
                row(f"deadline 50 ms, overshoot: {case}", "ms median / worst",
                    {"krepis median": median(xs), "krepis worst": max(xs) if xs else None,
                     "krepis runs not timeout": N_DEADLINE - len(xs)})
                if finished:
                    row(f"deadline 50 ms: {case} ended by itself, before", "ms before the deadline",
                        {"krepis median": -median(finished)})
        for peer in PEERS:
            if peer_available(peer):
                xs = [run_json([NODE, str(PEERS_JS), peer, "deadline", "50", "for (;;) {}"])["overshoot_ms"]
                      for _ in range(N_DEADLINE)]
                row(f"deadline 50 ms, overshoot: loop ({peer})", "ms median / worst",
                    {f"{peer} median": median(xs), f"{peer} worst": max(xs)})

    if wanted("memory"):
        # Memory bombs under a 128 MB cap: the runner's peak RSS.
        bombs = ["heap-bomb-incremental.js", "arraybuffer-bomb.js", "json-parse-40mb.js",
                 "builtin-jumps-over-cap.js", "arraybuffer-2gb.js", "holey-then-doubles-bomb.js",
                 "dictionary-fill-bomb.js", "map-bomb.js"]
        values = {}
        for bomb in bombs:
            values[bomb.removesuffix(".js")] = peak_rss_kib(
                [str(KREPIS), "run", "--json", "--heap-mb", "128", "--deadline-ms", "5000",
                 str(ROOT / "tests" / "scripts" / bomb)]) / 1024
        row("memory bomb, 128 MB cap: peak RSS", "MiB", values)

    machine = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
    cpus = os.cpu_count()
    result = {"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{machine}, {cpus} cpus",
              "quick": QUICK, "rows": rows, "overshoot_ms": overshoot}
    (OUT / "results.json").write_text(json.dumps(result, indent=1))
    for name, xs in latency.items():
        xs = sorted(xs)
        with open(OUT / f"latency-{name}.dat", "w") as f:
            for i, x in enumerate(xs):
                f.write(f"{x / 1000:.4f} {(i + 1) / len(xs):.4f}\n")
    print(f"\nresults: {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
