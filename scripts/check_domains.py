#!/usr/bin/env python3
"""Check the reduced argument domain of `fuzzcore check` (README, "What check proves"): on every
design it must give the same verdict as the full domain -- every value the grammar allows, up
to the renaming the model cannot tell apart -- to the same depth: clean, or the same oracle at
the same shortest length.

    python scripts/check_domains.py [--depth 6] [--time 1800] [--vendor intel ...] [--json F]

Prints a markdown table for BENCHMARKS.md and exits 1 on any difference.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fuzzcore.check import check, select_variants  # noqa: E402


def verdict(r) -> str:
    if r.violation:
        return f"{r.violation.oracle} in {r.violation.length}"
    if r.stopped:
        return f"clean to {r.depth_completed} ({r.stopped})"
    return f"clean to {r.depth_completed}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--time", type=float, default=1800.0, help="seconds per search")
    ap.add_argument("--memory", type=float, default=8.0)
    ap.add_argument("--vendor", action="append", default=None)
    ap.add_argument("--variant", action="append", default=None, help="default: all")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = open(args.json, "w") if args.json else None
    rows = []
    differ = False
    for vendor in args.vendor or ["intel"]:
        for v in select_variants(args.variant or ["all"]):
            results = {kind: check(v, "small", vendor, args.depth, args.time, args.memory,
                                   domain_kind=kind) for kind in ("reduced", "full")}
            red, full = results["reduced"], results["full"]
            same = verdict(red) == verdict(full)
            # a search the time stopped proves less, and says so; it is no difference
            if not same and not (red.stopped or full.stopped):
                differ = True
            rows.append((str(v), vendor, verdict(red), verdict(full), red.states, full.states,
                         red.seconds, full.seconds, "yes" if same else "NO"))
            if out:
                out.write(json.dumps({k: r.to_json() for k, r in results.items()}) + "\n")
                out.flush()
            print(" | ".join(str(x) for x in rows[-1]), file=sys.stderr, flush=True)
    print(f"| design | vendor | reduced (depth {args.depth}) | full | states reduced | "
          f"states full | s reduced | s full | same |")
    print("|---|---|---|---|---:|---:|---:|---:|---|")
    for name, vendor, a, b, sa, sb, ta, tb, same in rows:
        print(f"| `{name}` | {vendor} | {a} | {b} | {sa:,} | {sb:,} | {ta:.1f} | {tb:.1f} | "
              f"{same} |")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
