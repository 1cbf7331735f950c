#!/usr/bin/env python3
"""Time to first violation of the fuzzer, per design (SPEC 5), as a Markdown table.

For every non-reference design: ``--trials`` seeded trials (seeds 1..N) of the campaign engine
(``fuzzcore.fuzz.Engine``: one variant, an empty corpus, this process on one core), each until
the design's expected oracle fires (for a ``judge`` design: any oracle) or ``--cap`` seconds
pass.  Reported: how many trials found it, the median time and executions to that first
violation (a trial that did not find it counts as longer than any that did; the median is
"> cap" when fewer than half found it), the mean executions per second, and for the findings
the minimizer (``fuzzcore.minimize.minimize``): the median time per minimization and the
median minimized length; after the table, each design's executions per seed (the spread a
median of a few seeds hides).  Time is the engine's own: mutation, execution and coverage, not
the minimizer.  A ``clean`` design is run with ``--clean-cap`` and expected to find nothing.

    python scripts/bench_ttfv.py                      # every design, 5 trials, cap 120 s
    python scripts/bench_ttfv.py --jobs 2 --cap 600   # two trials at a time, one core each
    python scripts/bench_ttfv.py --trials 3 --cap 30 --design pks=byvalue --design ct=hard_old

Exit status: 0; 2 bad arguments.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fuzzcore.config import get_config  # noqa: E402
from fuzzcore.engine import COMPILED  # noqa: E402
from fuzzcore.fuzz import SLICE_EXECS, Engine, expect_of  # noqa: E402
from fuzzcore.minimize import minimize  # noqa: E402
from fuzzcore.program import Program  # noqa: E402
from fuzzcore.variants import CLEAN, JUDGE, Variant, non_reference_designs  # noqa: E402


def trial_args(args: tuple) -> dict:
    text, seed, cap, config, vendor = args
    return trial(Variant.parse(text), seed, cap, config, vendor)


def trial(variant: Variant, seed: int, cap: float, config: str, vendor: str) -> dict:
    """One engine from an empty corpus until its target oracle fires or ``cap`` passes."""
    cfg = get_config(config)
    expect = expect_of(variant)
    engine = Engine(variant, cfg, vendor, seed)
    others: list[str] = []
    while engine.seconds < cap:
        hit = engine.fuzz(SLICE_EXECS)
        if hit is None:
            continue
        engine.known.add(hit.oracle)
        if expect != JUDGE and hit.oracle != expect:
            others.append(hit.oracle)
            continue
        raw = Program.from_bytes(hit.data[:2 * (hit.stop + 1)], cfg)
        t0 = time.perf_counter()
        result = minimize(raw, variant=variant, oracle=hit.oracle, config=cfg.name,
                          cpu_vendor=vendor)
        return {"found": True, "oracle": hit.oracle, "seconds": hit.seconds,
                "execs": hit.execs, "rate": hit.execs / hit.seconds if hit.seconds else 0.0,
                "raw": len(raw), "length": len(result.program),
                "minimize_seconds": time.perf_counter() - t0, "others": others}
    return {"found": False, "oracle": None, "seconds": engine.seconds, "execs": engine.execs,
            "rate": engine.execs / engine.seconds if engine.seconds else 0.0,
            "others": others}


def median_or_cap(values: list[float], n: int, fmt: str) -> str:
    """The median over n trials where the missing ones are +infinity."""
    if len(values) * 2 <= n - 1 or not values:
        return "> cap"
    padded = sorted(values) + [float("inf")] * (n - len(values))
    m = statistics.median(padded)
    return "> cap" if m == float("inf") else fmt.format(m)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--cap", type=float, default=120.0, help="seconds per trial (default 120)")
    ap.add_argument("--clean-cap", type=float, default=10.0,
                    help="seconds per trial of a design expected clean (default 10)")
    ap.add_argument("--config", default="small")
    ap.add_argument("--cpu-vendor", default="intel")
    ap.add_argument("--design", action="append", default=[],
                    help="only this variant (repeatable)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="trials run side by side, one process (one core) each (default 1)")
    args = ap.parse_args(argv)
    variants = non_reference_designs()
    if args.design:
        wanted = [str(Variant.parse(d)) for d in args.design]
        variants = [v for v in variants if str(v) in wanted]
    command = "python scripts/bench_ttfv.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"`{command.strip()}` ({'compiled' if COMPILED else 'INTERPRETED'} core, config "
          f"{args.config}, {args.cpu_vendor}; seeds 1..{args.trials}, cap {args.cap:g} s)\n")
    print("| design | expect | found | median time to first violation | median executions "
          "| exec/s | minimized length (median) | minimizer time (median) | also found |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    all_minimize: list[float] = []
    per_seed: list[str] = []     # executions per trial: the spread a median hides
    tasks = [(str(v), seed, args.clean_cap if expect_of(v) == CLEAN else args.cap, args.config,
              args.cpu_vendor) for v in variants for seed in range(1, args.trials + 1)]
    if args.jobs > 1:
        import multiprocessing as mp
        pool = mp.get_context("fork").Pool(args.jobs, maxtasksperchild=1)
        results = pool.imap(trial_args, tasks)
    else:
        pool = None
        results = map(trial_args, tasks)
    for v in variants:
        expect = expect_of(v)
        trials = [next(results) for _ in range(args.trials)]
        hits = [t for t in trials if t["found"]]
        n = len(trials)
        rate = statistics.mean(t["rate"] for t in trials)
        oracles = sorted({t["oracle"] for t in hits}) if expect == JUDGE else []
        others = sorted({o for t in trials for o in t["others"]} | set(oracles))
        found = f"{len(hits)}/{n}" + (" (expected none)" if expect == CLEAN else "")
        if hits:
            lengths = statistics.median(t["length"] for t in hits)
            mins = [t["minimize_seconds"] for t in hits]
            all_minimize += mins
            length, mtime = f"{lengths:g}", f"{statistics.median(mins) * 1000:.0f} ms"
        else:
            length = mtime = "-"
        if expect == CLEAN and not hits:
            ttfv = execs = "-"
        else:
            ttfv = median_or_cap([t["seconds"] for t in hits], n, "{:.2f} s")
            execs = median_or_cap([t["execs"] for t in hits], n, "{:,.0f}")
            per_seed.append(f"- `{v}`: " + ", ".join(
                f"{seed}: " + (f"{t['execs']:,}" if t["found"] else "-")
                for seed, t in enumerate(trials, 1)))
        print(f"| `{v}` | {expect} | {found} | {ttfv} | {execs} "
              f"| {rate:,.0f} | {length} | {mtime} | {', '.join(others) or '-'} |", flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    if per_seed:
        print("\nexecutions to the first violation, per seed (-: not found within the cap):")
        print("\n".join(per_seed))
    if all_minimize:
        print(f"\nminimizer: {len(all_minimize)} findings, median "
              f"{statistics.median(all_minimize) * 1000:.0f} ms, max "
              f"{max(all_minimize) * 1000:.0f} ms per minimization")
    return 0


if __name__ == "__main__":
    sys.exit(main())
