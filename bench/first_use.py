#!/usr/bin/env python3
"""What the first use of each web API costs a run (issue 15, point 3), in instructions
(callgrind), which a shared machine's load does not move.

    python3 bench/first_use.py BUILD_DIR

For each snippet, krepis_core_bench runs it N times on one warm sandbox, each run in a fresh
context as every run is. From the counts at N = 4 and N = 24, less the same for `1 + 1`:
  per run   what every run that uses the API pays (the global made, the class's JavaScript
            evaluated in the context, the call);
  once      what the first such run of an isolate pays on top (compiling built-in
            JavaScript, building templates).
Prints a Markdown table for docs/PERFORMANCE.md.
"""
import subprocess
import sys
from pathlib import Path

SNIPPETS = [
    ("console.table", "console.table([{a: 1}])"),
    ("TextEncoder", "new TextEncoder().encode('a')"),
    ("TextDecoder", "new TextDecoder().decode(new Uint8Array([97]))"),
    ("atob", "atob('YQ==')"),
    ("structuredClone", "structuredClone({a: 1})"),
    ("queueMicrotask", "queueMicrotask(() => {})"),
    ("performance.now", "performance.now()"),
    ("setTimeout (fired)", "setTimeout(() => {}, 0)"),
    ("crypto.randomUUID", "crypto.randomUUID()"),
    ("crypto.subtle.digest", "crypto.subtle.digest('SHA-256', new Uint8Array(1))"),
    ("DOMException", "new DOMException('x')"),
    ("EventTarget + Event", "new EventTarget().dispatchEvent(new Event('x'))"),
    ("AbortController", "new AbortController().abort()"),
    ("URL (ASCII host)", "new URL('https://example.com/a?b=c').href"),
    ("URL (IDNA host)", "new URL('https://bücher.example/').href"),
    ("URLSearchParams", "new URLSearchParams('a=1').get('a')"),
]
LOW, HIGH = 4, 24


def instructions(core, n, code):
    err = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          str(core), "warm", str(n), code],
                         capture_output=True, text=True, check=True).stderr
    return int(next(l for l in err.splitlines() if "Collected" in l).split()[-1])


def main():
    core = Path(sys.argv[1]) / "bench" / "krepis_core_bench"
    base = {n: instructions(core, n, "1 + 1") for n in (LOW, HIGH)}
    print("| API, first use in a run | per run (instructions) | once per isolate (instructions) |")
    print("| --- | ---: | ---: |")
    for name, code in SNIPPETS:
        extra = {n: instructions(core, n, code) - base[n] for n in (LOW, HIGH)}
        per_run = (extra[HIGH] - extra[LOW]) / (HIGH - LOW)
        once = extra[LOW] - LOW * per_run
        print(f"| `{name}` | {per_run / 1000:,.0f}k | {max(once, 0) / 1000:,.0f}k |", flush=True)


if __name__ == "__main__":
    main()
