"""The hand-written programs (tests/programs/**/*.fz): each gives its ``# expect:`` verdict and
its ``# expect-state:`` final state on its ``# variant:``, and the fix holds: the reference
design runs it clean, and so does Frederic's ``ct=soft_old`` for the context-tracking
programs (SPEC 1.7, 3.4).  Two kinds: a design's reproducer (it names the design), and a
kernel-conformance rule's program (``rule_*.fz``, the fidelity issue: it may run on the
reference, and shows the corrected behaviour -- clean, or the known kernel finding it
labels).  Every check runs on the compiled and on the interpreted core, with the
type-invariant check on."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PROGRAMS, program_files, run_program

from fuzzcore.program import Program
from fuzzcore.variants import CLEAN, JUDGE, ORACLES, Variant

FILES = program_files()
IDS = [str(p.relative_to(PROGRAMS)) for p in FILES]


def is_ct_program(path: Path, program: Program) -> bool:
    variant = Variant.parse(program.variant or "")
    return path.parent.name == "ct" or variant.ct != "generic"


def test_there_are_programs() -> None:
    assert len(FILES) >= 5
    assert any(p.parent.name == "ct" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_headers(path: Path) -> None:
    program = Program.load(path)
    assert program.variant, f"{path}: no '# variant:' header"
    assert program.expect in ORACLES + (CLEAN, JUDGE), f"{path}: bad expect {program.expect!r}"
    if not path.name.startswith("rule_"):
        assert not Variant.parse(program.variant).is_reference, "a reproducer names its design"
    else:
        assert program.headers.get("note", "").startswith("rule "), "a rule program says which"
    assert program.events


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_expected_verdict_on_its_variant(core, path: Path) -> None:
    program = Program.load(path)
    result = run_program(core, program)
    assert not result.state_mismatches, [m.describe() for m in result.state_mismatches]
    if program.expect == JUDGE:
        return
    if program.expect == CLEAN:
        assert result.verdict == "clean", result.violation and result.violation.describe()
        return
    assert result.verdict == "violation", f"{path.name}: expected {program.expect}, got clean"
    assert result.oracle == program.expect, result.violation.describe()
    v = result.violation
    assert 0 <= v.event_index < len(program.events)
    assert result.events_run == v.event_index + 1
    assert program.expect in v.oracles and v.oracles[0] == v.oracle


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_clean_on_the_reference(core, path: Path) -> None:
    program = Program.load(path)
    result = run_program(core, program, variant="reference")
    if Variant.parse(program.variant).is_reference and program.expect != CLEAN:
        # a known finding about the reference kernel (variants.KERNEL_FINDINGS), labelled
        assert result.violation and result.violation.kernel_finding, result.violation
        return
    assert result.verdict == "clean", result.violation.describe()
    assert result.events_run == len(program.events)
    assert str(result.variant) == "reference"


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_ct_programs_clean_on_soft_old(core, path: Path) -> None:
    program = Program.load(path)
    if not is_ct_program(path, program):
        pytest.skip("not a context-tracking program")
    result = run_program(core, program, variant="ct=soft_old")
    assert result.verdict == "clean", result.violation.describe()


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_both_cores_agree_on_the_trace(path: Path) -> None:
    from conftest import load_core
    program = Program.load(path)
    a = run_program(load_core("compiled"), program, trace=True)
    b = run_program(load_core("interpreted"), program, trace=True)
    assert a.to_json() == b.to_json()
