#!/usr/bin/env python3
"""Warm runs of two or more in-process benchmarks, taking turns: per-run page faults, CPU and
median wall time, and each one's ratio to the first (paired within rounds, then the median
of the rounds), so that the machine's drift lands on every binary alike.

  python3 bench/warm_ab.py ROUNDS N CODE LABEL=BINARY ...

e.g. python3 bench/warm_ab.py 6 1000 '1+1' before=OLD/bench/krepis_core_bench \\
         after=build/bench/krepis_core_bench floor=build/bench/krepis_floor

BINARY is krepis_core_bench or krepis_floor (both take `warm N CODE` and print
{"samples_us": [...]}). Faults and CPU per run are the difference of `warm 20` and
`warm 20+N` (getrusage of the children), so the process's start is left out; the wall time
is the median of the N samples. The order of the binaries alternates from round to round.
"""
import json
import resource
import statistics
import subprocess
import sys

WARM_UP = 20


def run(binary, count, code):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([binary, "warm", str(count), code], capture_output=True, text=True,
                         check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return after.ru_minflt - before.ru_minflt, cpu, json.loads(out)["samples_us"]


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    rounds, n, code = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    variants = [arg.split("=", 1) for arg in sys.argv[4:]]
    results = {label: {"faults": [], "cpu_us": [], "median_us": []} for label, _ in variants}
    for r in range(rounds):
        for label, binary in (variants if r % 2 == 0 else variants[::-1]):
            faults0, cpu0, _ = run(binary, WARM_UP, code)
            faults1, cpu1, samples = run(binary, WARM_UP + n, code)
            results[label]["faults"].append((faults1 - faults0) / n)
            results[label]["cpu_us"].append((cpu1 - cpu0) / n * 1e6)
            results[label]["median_us"].append(statistics.median(samples))
    first = results[variants[0][0]]
    print(f"{'':14} {'faults/run':>10} {'cpu µs/run':>10} {'median µs':>10} {'time ratio':>10} "
          f"{'cpu ratio':>10}   (medians of {rounds} rounds of {n} runs)")
    for label, _ in variants:
        d = results[label]
        time_ratio = statistics.median(a / b for a, b in zip(d["median_us"], first["median_us"]))
        cpu_ratio = statistics.median(a / b for a, b in zip(d["cpu_us"], first["cpu_us"]))
        print(f"{label:14} {statistics.median(d['faults']):10.2f} {statistics.median(d['cpu_us']):10.1f} "
              f"{statistics.median(d['median_us']):10.1f} {time_ratio:10.3f} {cpu_ratio:10.3f}   "
              f"per round: {[round(x) for x in d['median_us']]}")


if __name__ == "__main__":
    main()
