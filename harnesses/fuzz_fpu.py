#!/usr/bin/env python3
"""Hunts lazy-FPU, PKRU and PASID bugs: the registers, the XSAVE image and the MSRs that must
agree across context switch, signals, kernel-FPU sections, interrupts and #GP fixups.

Every non-reference ``fpu``, ``pkru`` and ``pasid`` design expected to break, or
``$FUZZCORE_VARIANT`` (those subsystems only): fpu_consistent, fpu_coherent, fpu_user,
kernel_fpu, pkru_user, pkru_signal, pasid_lost, pasid_leak.  The known programs breaking
pkru=sigframe_nobv and pkru=write_pkru_image need an AMD CPU: ``FUZZCORE_CPU_VENDOR=amd``.

    scripts/atheris-run harnesses/fuzz_fpu.py [-runs=N] [-seed=S] [-max_total_time=T] ...

See ``fuzzcore/harness.py`` for the environment (variant, config, vendor, differential mode).
"""
import sys

import atheris

from fuzzcore.harness import harness_or_exit, libfuzzer_argv

HARNESS = harness_or_exit("fpu", found_by="atheris harnesses/fuzz_fpu.py")
RUN = HARNESS.run


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:       # not even one event (two bytes each)
        return
    RUN(data)


if __name__ == "__main__":
    atheris.Setup(libfuzzer_argv(sys.argv), TestOneInput)
    atheris.Fuzz()
