#!/usr/bin/env python3
"""Hunts every oracle on every design: each input runs on each non-reference design of every
subsystem (pks, pkru, pasid, fpu, ct; the clean-expected ct=soft_old included), or on
``$FUZZCORE_VARIANT`` (any variants, ``;``-separated).  The first oracle that fires is the
crash.  Slower per input than the subsystem harnesses by the number of designs.

    scripts/atheris-run harnesses/fuzz_all.py [-runs=N] [-seed=S] [-max_total_time=T] ...

See ``fuzzcore/harness.py`` for the environment (variant, config, vendor, differential mode).
"""
import sys

import atheris

from fuzzcore.harness import harness_or_exit, libfuzzer_argv

HARNESS = harness_or_exit("all", found_by="atheris harnesses/fuzz_all.py")
RUN = HARNESS.run


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:       # not even one event (two bytes each)
        return
    RUN(data)


if __name__ == "__main__":
    atheris.Setup(libfuzzer_argv(sys.argv), TestOneInput)
    atheris.Fuzz()
