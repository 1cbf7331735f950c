#!/usr/bin/env python3
"""Hunts PKS/PKRS save-and-restore bugs across exception entry and exit.

Every non-reference ``pks`` design expected to break (byvalue, early_save, percpu, thread_slot,
idtentry_only, and the unjudged stack7 and v9), or ``$FUZZCORE_VARIANT`` (pks designs only):
the oracles that fire are pks_restore, pks_handler_init, pks_task, pks_access, pks_refcount,
pks_depth, and rcu_eqs for a save before the entry state is established.

    scripts/atheris-run harnesses/fuzz_pks.py [-runs=N] [-seed=S] [-max_total_time=T] ...

See ``fuzzcore/harness.py`` for the environment (variant, config, vendor, differential mode).
"""
import sys

import atheris

from fuzzcore.harness import harness_or_exit, libfuzzer_argv

HARNESS = harness_or_exit("pks", found_by="atheris harnesses/fuzz_pks.py")
RUN = HARNESS.run


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:       # not even one event (two bytes each)
        return
    RUN(data)


if __name__ == "__main__":
    atheris.Setup(libfuzzer_argv(sys.argv), TestOneInput)
    atheris.Fuzz()
