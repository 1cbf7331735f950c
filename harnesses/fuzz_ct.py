#!/usr/bin/env python3
"""Hunts context-tracking and RCU bugs on kernel entry and exit: RCU not watching where it
must (rcu_eqs), returning to user without user_enter (ct_user), context-tracking recursion
(ct_recursion), scheduling while atomic (sched_atomic).

Every non-reference ``ct`` design expected to break (hard_old, exit_cs, fast_syscall32,
norecursion), or ``$FUZZCORE_VARIANT`` (ct designs only, presets or decide/windows/irq/guard).

    scripts/atheris-run harnesses/fuzz_ct.py [-runs=N] [-seed=S] [-max_total_time=T] ...

See ``fuzzcore/harness.py`` for the environment (variant, config, vendor, differential mode).
"""
import sys

import atheris

from fuzzcore.harness import harness_or_exit, libfuzzer_argv

HARNESS = harness_or_exit("ct", found_by="atheris harnesses/fuzz_ct.py")
RUN = HARNESS.run


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:       # not even one event (two bytes each)
        return
    RUN(data)


if __name__ == "__main__":
    atheris.Setup(libfuzzer_argv(sys.argv), TestOneInput)
    atheris.Fuzz()
