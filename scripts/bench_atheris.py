#!/usr/bin/env python3
"""An Atheris harness for measuring executions per second on fixed-length programs (SPEC 5).

The production harness (``fuzzcore.harness``) on every input, after the input is cycled or cut
to exactly ``$FUZZCORE_BENCH_BYTES`` bytes (default 128: 64 events), so every execution runs a
64-event program whatever length libFuzzer chose.  Variant from ``$FUZZCORE_VARIANT`` (default
``reference``, expected clean).  A violation does not stop the measurement: the first is
printed (with its program), and the count is in the summary lines.  Every 100,000 runs it
prints where the time went: inside the harness (core runs and Python; timed on one run in
``SAMPLE``), of that in model-coverage reports, and the rest (Atheris and libFuzzer).  Run it
through ``scripts/bench_atheris.sh``.
"""
import os
import sys
import time

import atheris

os.environ.setdefault("FUZZCORE_VARIANT", "reference")

from fuzzcore.harness import FoundViolation, harness_or_exit, libfuzzer_argv  # noqa: E402

N_BYTES = int(os.environ.get("FUZZCORE_BENCH_BYTES", "128"))
HARNESS = harness_or_exit("all", found_by="scripts/bench_atheris.py")
RUN = HARNESS.run
STATS = {"runs": 0, "harness": 0.0, "reports": 0, "report": 0.0, "start": 0.0, "found": 0}
EVERY = 100_000     # a multiple of SAMPLE
SAMPLE = 16         # the harness's share of the time is measured on one run in SAMPLE

if HARNESS.model is not None:
    _report = HARNESS.model.report

    def timed_report(k, m):
        t = time.perf_counter()
        _report(k, m)
        STATS["report"] += time.perf_counter() - t
        STATS["reports"] += 1

    HARNESS.model.report = timed_report


def found(e: FoundViolation) -> None:
    """A throughput run goes on; the first finding is shown."""
    STATS["found"] += 1
    if STATS["found"] == 1:
        print(f"bench: an oracle fired (the run goes on): {e}", file=sys.stderr, flush=True)


def TestOneInput(data: bytes) -> None:
    if len(data) != N_BYTES:
        data = ((data or b"\0") * (N_BYTES // max(1, len(data)) + 1))[:N_BYTES]
    n = STATS["runs"] = STATS["runs"] + 1
    if n % SAMPLE:              # most runs untimed: two clock reads cost ~2% of a run
        try:
            RUN(data)
        except FoundViolation as e:
            found(e)
        return
    t = time.perf_counter()
    if n == SAMPLE:
        STATS["start"] = t
    try:
        RUN(data)
    except FoundViolation as e:
        found(e)
    STATS["harness"] += (time.perf_counter() - t) * SAMPLE
    if n % EVERY == 0:
        wall = (time.perf_counter() - STATS["start"]) / (n - SAMPLE + 1)   # since run SAMPLE
        inside, report = STATS["harness"] / n, STATS["report"] / n
        print(f"bench: {n:,} runs: per run {wall * 1e6:.1f} us = harness {inside * 1e6:.1f} us "
              f"(of which model-coverage reports {report * 1e6:.1f} us, {STATS['reports']:,} "
              f"reports) + Atheris/libFuzzer {(wall - inside) * 1e6:.1f} us; {STATS['found']} "
              "violating runs", file=sys.stderr, flush=True)


if __name__ == "__main__":
    atheris.Setup(libfuzzer_argv(sys.argv), TestOneInput)
    atheris.Fuzz()
