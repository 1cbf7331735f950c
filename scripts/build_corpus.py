#!/usr/bin/env python3
"""Build ``corpus/`` (SPEC 3.4) with the fuzzer: one minimized reproducer per design.

For every non-reference design whose ``expect`` is an oracle, run a single-process campaign
(``fuzzcore.fuzz.fuzz``: fixed seed, a runs and a time budget) on that design alone until it
finds that oracle, and write the minimized reproducer to ``corpus/<subsystem>/<design>.fz``
(atomically, with the campaign's ``found-by`` header: the command that finds it again).  For
``judge`` designs the campaign runs its whole budget and every oracle it finds is written, as
``corpus/<subsystem>/<design>.<oracle>.fz``.  Nothing is written by hand: a design whose
expected oracle is not found within the budget is reported (with what was found instead), and
so is a finding on which the reference designs trip too (a model bug, not a corpus entry: its
program is printed at the end).

    python scripts/build_corpus.py                          # every design, seed 1
    python scripts/build_corpus.py --design pasid=v1 --time 900
    python scripts/build_corpus.py --runs 2000000 --judge-runs 1000000 --seed 7
    python scripts/build_corpus.py --shorten-only --shorten 600   # the entries there now

``--shorten SECONDS`` then gives every entry written (``--shorten-only``: every entry already
there, no campaign) to the minimizer's exhaustive search pass (``fuzzcore minimize --search``):
an entry gets shorter wherever ``fuzzcore check`` finds a shorter program with its verdict in
the time given; its ``found-by`` header still finds the original, its note says both lengths.

Exit status: 0 every expected oracle found, 1 some not found, 2 bad arguments.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fuzzcore.corpus import save as save_program  # noqa: E402
from fuzzcore.fuzz import CampaignError, expect_of, fuzz  # noqa: E402
from fuzzcore.minimize import minimize  # noqa: E402
from fuzzcore.program import Program  # noqa: E402
from fuzzcore.runner import run  # noqa: E402
from fuzzcore.variants import CLEAN, JUDGE, Variant, non_reference_designs  # noqa: E402


def corpus_path(root: Path, variant: Variant, oracle: str | None = None) -> Path:
    [design] = variant.non_reference()
    name = design.design if oracle is None else f"{design.design}.{oracle}"
    return root / design.subsystem / f"{name}.fz"


def save(finding, dest: Path) -> str:
    """Copy the campaign's reproducer to ``dest`` after checking it like ``replay`` does."""
    program = Program.load(finding.path)
    got = run(program).oracle
    ref = run(program, Variant.reference()).oracle
    if finding.kernel_finding:
        return "not saved: a known kernel finding (tests/programs/pasid/rule_r_*.fz)"
    if got != finding.oracle or ref is not None:
        return f"not saved: it gives {got}, the reference {ref or 'clean'}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    save_program(program, dest)
    return str(dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20_000_000,
                    help="executions per design with an expected oracle (default 20M)")
    ap.add_argument("--time", type=float, default=600.0,
                    help="seconds per design with an expected oracle (default 600)")
    ap.add_argument("--judge-runs", type=int, default=2_000_000,
                    help="executions per judge design (default 2M)")
    ap.add_argument("--corpus", default=str(ROOT / "corpus"), help="default: corpus/")
    ap.add_argument("--design", action="append", default=[],
                    help="only this variant (repeatable); default: every non-reference design")
    ap.add_argument("--shorten", type=float, default=0.0, metavar="SECONDS",
                    help="then search exhaustively for a shorter program per entry")
    ap.add_argument("--shorten-only", action="store_true",
                    help="no campaigns: only --shorten the entries already there")
    ap.add_argument("--entry", action="append", default=[], metavar="PATH",
                    help="with --shorten-only: only these entries (repeatable)")
    args = ap.parse_args(argv)
    root = Path(args.corpus)
    if args.shorten_only:
        return shorten([Path(e) for e in args.entry] or sorted(root.rglob("*.fz")),
                       args.shorten)
    variants = non_reference_designs()
    if args.design:
        wanted = [str(Variant.parse(d)) for d in args.design]
        variants = [v for v in variants if str(v) in wanted]
        if len(variants) != len(wanted):
            print("build_corpus: --design must name non-reference designs", file=sys.stderr)
            return 2
    missing = 0
    model_bugs: list[str] = []     # reproducers the reference designs trip too
    print("| design | expect | found | seconds | executions | events | file |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for v in variants:
        expect = expect_of(v)
        if expect == CLEAN:
            continue
        work = Path(tempfile.mkdtemp(prefix="build_corpus."))
        t0 = time.monotonic()
        try:
            if expect == JUDGE:
                result = fuzz([str(v)], runs=args.judge_runs, seed=args.seed, out=str(work),
                              progress=False)
            else:
                result = fuzz([str(v)], runs=args.runs, time_budget=args.time, seed=args.seed,
                              out=str(work), progress=False)
            for f in result.findings:
                if expect == JUDGE:
                    where = save(f, corpus_path(root, v, f.oracle))
                elif f.oracle == expect:
                    where = save(f, corpus_path(root, v))
                else:
                    where = "(not the expected oracle: not saved)"
                if f.kernel_finding:
                    where += f" [the known kernel finding {f.kernel_finding}]"
                elif f.reference != CLEAN:
                    where += f" [the reference trips {f.reference} too: printed below]"
                    model_bugs.append(Path(f.path).read_text() if f.path else f.found_by)
                print(f"| {v} | {expect} | {f.oracle} | {f.seconds:.2f} | {f.execs} | "
                      f"{f.length} | {where} |", flush=True)
            if expect != JUDGE and not any(f.oracle == expect for f in result.findings):
                missing += 1
                [vs] = result.variants
                print(f"| {v} | {expect} | NOT FOUND | {vs.seconds:.1f} | {vs.execs} | - | - |",
                      flush=True)
            if result.interrupted:
                return 130
        except CampaignError as e:
            print(f"build_corpus: {e}", file=sys.stderr)
            return 2
        finally:
            shutil.rmtree(work, ignore_errors=True)
        del t0
    for text in model_bugs:
        print("\nThe reference designs trip this one too (a model bug, not a corpus entry):\n")
        print("```\n" + text.rstrip("\n") + "\n```")
    if args.shorten > 0:
        shorten(sorted(root.rglob("*.fz")), args.shorten)
    return 1 if missing else 0


def shorten(paths: list[Path], seconds: float) -> int:
    """Re-minimize each entry with the exhaustive search pass; save the shorter ones."""
    print("\n| entry | oracle | events before | after | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for path in paths:
        entry = Program.load(path)
        oracle = entry.expect
        if not oracle or oracle == CLEAN:
            continue
        result = minimize(entry, oracle=oracle, source=str(path), search=seconds)
        after = len(result.program.events)
        if after < len(entry.events):
            program = result.program
            program.headers["note"] = (program.headers.get("note", "") + "; "
                                       f"minimize --search: {len(entry.events)} -> {after} "
                                       "events").lstrip("; ")
            if run(program).oracle != oracle or run(program, Variant.reference()).oracle:
                print(f"| {path.name} | {oracle} | not saved: the shorter program does not "
                      "replay like the entry |", flush=True)
                continue
            save_program(program, path)
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"| {name} | {oracle} | {len(entry.events)} | {after} | "
              f"{result.seconds:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
