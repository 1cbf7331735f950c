#!/usr/bin/env python3
"""The minimizer's yardstick (SPEC 5): for every corpus entry, the shortest program that trips
its oracle on its design, found by `fuzzcore check --oracle`, against the entry's length.

    python scripts/bench_check.py [--time 600] [--memory 8] [--json out.jsonl] [PATHS...]

Prints a markdown table for BENCHMARKS.md: design, oracle, BFS shortest length (or "> d" when
no program of up to d events has that verdict before the time ran out), the corpus entry's
length, what `minimize` (without its search pass) makes of the entry today, seconds.  Where
BFS is shorter, the shorter programs are printed after the table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fuzzcore.check import check  # noqa: E402
from fuzzcore.minimize import minimize  # noqa: E402
from fuzzcore.program import Program  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "corpus")])
    ap.add_argument("--time", type=float, default=600.0, help="seconds per entry")
    ap.add_argument("--memory", type=float, default=8.0, help="GB per entry")
    ap.add_argument("--json", default=None, help="also write one JSON object per entry here")
    args = ap.parse_args()
    files = sorted(f for p in args.paths
                   for f in ([Path(p)] if Path(p).is_file() else Path(p).rglob("*.fz")))
    rows, gaps = [], []
    out = open(args.json, "w") if args.json else None
    for f in files:
        entry = Program.load(f)
        oracle = entry.expect
        if not oracle or oracle == "clean":
            continue
        r = check(entry.variant, entry.config, entry.cpu_vendor, depth=len(entry.events),
                  time_budget=args.time, memory_gb=args.memory, oracle=oracle)
        now = len(minimize(entry, oracle=oracle).program.events)   # today's passes, no search
        if r.violation:
            bfs = str(r.violation.length)
            if r.violation.length < len(entry.events):
                gaps.append((f, entry, r.violation.program))
        else:
            bfs = f"> {r.depth_completed}"
        name = f.relative_to(ROOT) if f.is_relative_to(ROOT) else f
        rows.append((str(entry.variant), oracle, bfs, len(entry.events), now, r.seconds,
                     r.states, name))
        line = {"entry": str(name), "variant": entry.variant, "oracle": oracle,
                "corpus_length": len(entry.events), "minimized_now": now, "check": r.to_json()}
        if out:
            out.write(json.dumps(line) + "\n")
            out.flush()
        print(f"{name}: {bfs} vs {len(entry.events)} ({r.seconds:.1f} s, {r.states:,} states)",
              file=sys.stderr, flush=True)
    print("| design | oracle | BFS shortest | corpus entry | minimize (no search) | BFS seconds "
          "| BFS states |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for variant, oracle, bfs, length, now, seconds, states, _ in rows:
        print(f"| `{variant}` | {oracle} | {bfs} | {length} | {now} | {seconds:.1f} | "
              f"{states:,} |")
    for f, entry, shortest in gaps:
        print(f"\n{f}: {len(entry.events)} events; BFS: {len(shortest.events)}")
        print("".join(f"    {e.text()}\n" for e in shortest.events), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
