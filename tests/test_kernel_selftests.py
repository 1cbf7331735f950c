"""The kernel's own self-tests as a conformance suite (tests/kernel/, the fidelity issue §4).

Each ``tests/kernel/<selftest>/<case>.fz`` translates one case of a kernel self-test into the
event language: its note names the test and what could not be mapped, it runs clean on the
reference designs and ends in the final state the test asserts (``# expect-state:``), on both
cores.  ``tests/kernel/historical.toml`` names, for the cases whose bug the model has as a
design, that design and the oracle it must trip.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from conftest import ROOT, run_program

from fuzzcore.program import Program

KERNEL = ROOT / "tests" / "kernel"
FILES = sorted(KERNEL.rglob("*.fz"))
IDS = [str(p.relative_to(KERNEL)) for p in FILES]
HISTORICAL = tomllib.loads((KERNEL / "historical.toml").read_text())
SELFTESTS = ("pkey_sighandler_tests", "protection_keys", "xstate", "corrupt_xstate_header",
             "test_fpu")


def test_every_selftest_the_issue_names_has_translations() -> None:
    assert {p.parent.name for p in FILES} == set(SELFTESTS)
    assert len([p for p in FILES if p.parent.name == "pkey_sighandler_tests"]) == 5


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_headers_name_the_test_and_what_was_not_mapped(path: Path) -> None:
    program = Program.load(path)
    note = program.headers.get("note", "")
    assert program.variant == "reference" and program.expect == "clean"
    assert program.expect_state, "the final state the test asserts"
    assert ("translates " in note or "lib/test_fpu" in note) and "Not mapped" in note or \
        path.stem == "test_fpu_softirq_context", note


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_clean_on_the_reference_with_the_asserted_final_state(core, path: Path) -> None:
    result = run_program(core, Program.load(path))
    assert result.verdict == "clean", result.violation.describe()
    assert not result.state_mismatches, [m.describe() for m in result.state_mismatches]


@pytest.mark.parametrize("name", sorted(HISTORICAL), ids=lambda n: n)
def test_trips_its_historical_design(core, name: str) -> None:
    entry = HISTORICAL[name]
    program = Program.load(KERNEL / name)
    if "cpu-vendor" in entry:
        program.headers["cpu-vendor"] = entry["cpu-vendor"]
    result = run_program(core, program, variant=entry["variant"])
    assert result.oracle == entry["expect"], result.violation
