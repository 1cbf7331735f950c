#!/usr/bin/env python3
"""Time to first violation under Atheris: the harness ``harnesses/fuzz_all.py`` on one design.

    python scripts/bench_atheris_ttfv.py --design ct=exit_cs --design pks=percpu \\
        --seeds 1-5 --cap 60 --jobs 2 [--flags=-entropic=1 --flags=-entropic=0]

Each trial is one libFuzzer process from an empty corpus (``scripts/atheris-run``: the
instrumented core, model coverage as the harness sets it), ``FUZZCORE_VARIANT=<design>``,
``-seed=<seed>``, stopped at the first violation or after ``--cap`` seconds.  Each ``--flags``
string (written ``--flags=...``, as it starts with a dash) is one setting of extra libFuzzer
flags over the harness's defaults (``fuzzcore.harness.LIBFUZZER_DEFAULTS``); every setting runs
on the same designs and seeds, interleaved, so the VM's speed phases fall on all of them alike.
Prints per trial the executions and seconds to the violation, then per design and setting the
median executions, median seconds and how many seeds found it.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "harnesses" / "fuzz_all.py"


def seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def trial(design: str, seed: int, flags: str, cap: float) -> tuple[int | None, float]:
    """(executions to the violation or None, seconds)."""
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work, "corpus")
        corpus.mkdir()
        env = dict(os.environ, FUZZCORE_VARIANT=design)
        cmd = [sys.executable, "-m", "fuzzcore.atheris_launch", str(HARNESS), str(corpus),
               f"-seed={seed}", f"-max_total_time={int(cap)}", "-print_final_stats=1",
               f"-artifact_prefix={work}/", *flags.split()]
        start = time.perf_counter()
        out = subprocess.run(cmd, env=env, cwd=work, capture_output=True, text=True,
                             errors="replace").stderr
        seconds = time.perf_counter() - start
    if "DEDUP_TOKEN:" not in out:
        return None, seconds
    runs = re.search(r"stat::number_of_executed_units: (\d+)", out)
    return (int(runs.group(1)) if runs else -1), seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", action="append", required=True)
    ap.add_argument("--seeds", default="1-5")
    ap.add_argument("--cap", type=float, default=60)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--flags", action="append", default=None,
                    help="extra libFuzzer flags, one setting per use (default: one, none)")
    args = ap.parse_args()
    settings = args.flags or [""]
    plan = [(d, s, f) for d in args.design for s in seeds(args.seeds) for f in settings]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda p: trial(*p, args.cap), plan))
    table: dict[tuple[str, str], list[tuple[int | None, float]]] = {}
    for (design, seed, flags), (runs, secs) in zip(plan, results):
        print(f"{design} seed {seed} [{flags or 'defaults'}]: "
              + (f"{runs:,} executions, {secs:.2f} s" if runs is not None
                 else f"not found in {secs:.0f} s"), flush=True)
        table.setdefault((design, flags), []).append((runs, secs))
    print("\n| design | libFuzzer flags | found | median executions | median seconds |")
    print("| --- | --- | --- | --- | --- |")
    for (design, flags), rows in table.items():
        # a trial that did not find it counts as the cap (and as infinitely many executions)
        runs = [r if r is not None else float("inf") for r, _ in rows]
        secs = [s if r is not None else args.cap for r, s in rows]
        med = statistics.median(runs)
        print(f"| {design} | {flags or '(defaults)'} | {sum(r is not None for r, _ in rows)}/"
              f"{len(rows)} | {'-' if med == float('inf') else f'{med:,.0f}'} | "
              f"{statistics.median(secs):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
