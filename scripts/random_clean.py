#!/usr/bin/env python3
"""Run at least N random events through the compiled core and fail on the first oracle.

The reference designs (and ``ct=soft_old``) must never trip an oracle (SPEC 1.7).  This runs
random programs (``Program.from_bytes`` of random bytes: half uniform, half weighted towards the
events that go deep -- ``step``, ``ret``, entries -- so that exits, switches and signal delivery
are reached) on the compiled core, in batches, from the initial state each time.  On the first
violation (or a broken type invariant, with ``--debug``) it prints that program in text form
(``Program.serialize``, with its headers and the violation as a note) and exits 1.

    python scripts/random_clean.py                       # 1,000,000 events, reference, small
    python scripts/random_clean.py --events 5000000 --variant ct=soft_old --config large
    python scripts/random_clean.py --seed 7 --vendor amd --debug

Exit status: 0 clean, 1 a violation (the program is printed), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fuzzcore.config import CONFIGS, VENDORS, Config  # noqa: E402
from fuzzcore.events import BY_NAME, EVENTS, NEVENTS  # noqa: E402
from fuzzcore.program import Event, Program  # noqa: E402

DEFAULT_EVENTS = 1_000_000

# Relative weights of the events in the biased half; every event keeps some weight.
WEIGHTS = {
    "step": 14, "ret": 6, "syscall": 4, "user_fault": 2, "irq": 4, "nmi": 1, "mce": 1, "db": 1,
    "bp": 1, "uaccess_fault": 2, "vmalloc_fault": 2, "sleep": 2, "yield": 3, "wake": 2,
    "migrate": 2, "kill": 2, "fork": 1, "clone": 1, "exec": 1, "exit": 1, "use_mm": 1,
    "unuse_mm": 1, "raise_softirq": 1, "kmap": 2, "kunmap": 2, "pmem_read": 1,
    "stray_write": 1,
}
DEFAULT_WEIGHT = 0.5
_NAMES = [e.name for e in EVENTS]
_WEIGHTS = [WEIGHTS.get(n, DEFAULT_WEIGHT) for n in _NAMES]


def random_bytes(rng: random.Random, n_events: int, cfg: Config, biased: bool) -> bytes:
    """Bytes for ``Program.from_bytes``: uniform, or with opcodes drawn from ``WEIGHTS``."""
    if not biased:
        return rng.randbytes(2 * n_events)
    out = bytearray()
    for name in rng.choices(_NAMES, _WEIGHTS, k=n_events):
        b0 = BY_NAME[name].opcode + NEVENTS * rng.randrange(cfg.ncpu)
        out += bytes((b0, rng.randrange(256)))
    return bytes(out)


def random_program(rng: random.Random, cfg: Config, lo: int = 20, hi: int = 40,
                   biased: bool | None = None) -> Program:
    """A random program of lo..hi events, valid for ``cfg``."""
    n = rng.randint(lo, hi)
    if biased is None:
        biased = rng.random() < 0.5
    return Program.from_bytes(random_bytes(rng, n, cfg, biased), cfg)


def first_violation(core, variant, cfg: Config, vendor: str, programs: list[Program],
                    debug: bool):
    """Re-run ``programs`` one by one; the first that stops, with its Violation text."""
    from fuzzcore.runner import ModelError, run
    for p in programs:
        try:
            result = run(p, variant, cfg.name, vendor, debug=debug)
        except ModelError as e:
            return p, f"model invariant broken: {e}"
        if result.violation:
            return p.with_events(p.events[:result.events_run]), result.violation.describe()
    return None, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=DEFAULT_EVENTS,
                    help=f"events to run, at least (default {DEFAULT_EVENTS})")
    ap.add_argument("--variant", default="reference")
    ap.add_argument("--config", default="small", choices=list(CONFIGS))
    ap.add_argument("--vendor", "--cpu-vendor", default="intel", choices=list(VENDORS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-length", type=int, default=20)
    ap.add_argument("--max-length", type=int, default=40)
    ap.add_argument("--batch", type=int, default=2000, help="programs per batch")
    ap.add_argument("--debug", action="store_true", help="check the type invariant per step")
    args = ap.parse_args(argv)
    if args.events < 0 or not 1 <= args.min_length <= args.max_length or args.batch < 1:
        print("random_clean: bad --events/--min-length/--max-length/--batch", file=sys.stderr)
        return 2

    from fuzzcore.engine import is_compiled
    from fuzzcore.runner import resolve_variant
    from fuzzcore.variants import VariantError
    import importlib
    core = importlib.import_module("fuzzcore._core")
    if not is_compiled(core):
        print("random_clean: the compiled core did not load (build it: python setup.py "
              "build_ext --inplace)", file=sys.stderr)
        return 2
    try:
        variant = resolve_variant(args.variant)
    except VariantError as e:
        print(f"random_clean: {e}", file=sys.stderr)
        return 2
    cfg = CONFIGS[args.config]
    m = core.Machine(variant.codes(), cfg.code, VENDORS[args.vendor])
    m.debug = 1 if args.debug else 0
    rng = random.Random(args.seed)
    total = programs_run = 0
    t0 = time.perf_counter()
    while total < args.events:
        batch = [random_program(rng, cfg, args.min_length, args.max_length)
                 for _ in range(args.batch)]
        events = array("i")
        lengths = array("i")
        for p in batch:
            events.extend(p.to_arrays(cfg))
            lengths.append(len(p.events))
        ran, violations = m.run_batch(events, lengths)
        total += sum(lengths)
        programs_run += len(batch)
        if violations:
            program, what = first_violation(core, variant, cfg, args.vendor, batch, args.debug)
            if program is None:     # the batch path and run() disagree: report it too
                program, what = batch[0], "run_batch reported a violation run() cannot find"
            program = Program(program.events, {
                "format": "fuzzcore-program 1", "config": cfg.name, "cpu-vendor": args.vendor,
                "variant": str(variant), "found-by": f"scripts/random_clean.py --seed {args.seed}",
                "note": what})
            print(f"random_clean: violation after {programs_run} programs ({total} events): "
                  f"{what}", file=sys.stderr)
            sys.stdout.write(program.serialize())
            return 1
    dt = time.perf_counter() - t0
    print(f"random_clean: clean: {total} events in {programs_run} programs, variant {variant}, "
          f"config {cfg.name}, vendor {args.vendor}, seed {args.seed} ({dt:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
