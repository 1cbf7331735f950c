"""Variants as data (SPEC 1.7, 4): the design table, parsing, printing, codes and listings."""
from __future__ import annotations

import itertools
import json
from array import array

import pytest

from fuzzcore import variants as V
from fuzzcore.variants import (
    DESIGNS, ORACLES, SUBSYSTEMS, CtDesign, Design, Variant, VariantError,
    non_reference_designs, variants_json)

EXPECTED_ORDER = {
    "pks": ["ptregs", "byvalue", "early_save", "percpu", "thread_slot", "idtentry_only",
            "stack7", "v9"],
    "pkru": ["thread", "xsave", "write_pkru_image", "kthread_mm", "thread_noframe",
             "sigframe_nobv"],
    "pasid": ["final", "v1", "mem_noinval", "ipi"],
    "fpu": ["lazy", "sigrestore_nobh", "irq_fpu_usable_old", "sigfail_noreset"],
    "ct": ["generic", "soft_old", "hard_old", "exit_cs", "fast_syscall32", "norecursion"],
}
NAMED = [(d.subsystem, d.design) for d in DESIGNS]


# --- the table ---------------------------------------------------------------------------------

def test_oracles_in_spec_order() -> None:
    assert ORACLES == (
        "rcu_eqs", "ct_user", "ct_recursion", "sched_atomic", "pks_handler_init", "pks_restore",
        "pks_task", "pks_access", "pks_refcount", "pks_depth", "fpu_consistent", "fpu_coherent",
        "fpu_user", "kernel_fpu", "pkru_user", "pkru_signal", "pasid_lost", "pasid_leak")


def test_table_order_codes_and_references() -> None:
    assert SUBSYSTEMS == ("pks", "pkru", "pasid", "fpu", "ct")
    for sub, names in EXPECTED_ORDER.items():
        rows = V.designs_of(sub)
        assert [d.design for d in rows] == names
        assert [d.code for d in rows] == list(range(len(names)))
        assert [d.reference for d in rows] == [True] + [False] * (len(names) - 1)
    assert [d.subsystem for d in DESIGNS] == [s for s in SUBSYSTEMS for _ in EXPECTED_ORDER[s]]


def test_code_constants_match_table() -> None:
    for d in DESIGNS:
        const = f"{d.subsystem.upper()}_{d.design.upper()}"
        assert getattr(V, const) == d.code, const
    assert (V.V_PKS, V.V_PKRU, V.V_PASID, V.V_FPU, V.V_CT_DECIDE, V.V_CT_WINDOWS,
            V.V_CT_GUARD, V.V_CT_OLD_IRQ, V.V_LEN) == (0, 1, 2, 3, 4, 5, 6, 7, 8)


def test_expects_are_verdicts() -> None:
    for d in DESIGNS:
        assert d.expect in ("clean", "judge") or d.expect in ORACLES
        if d.reference:
            assert d.expect == "clean"


def test_every_design_with_a_known_oracle_has_a_breaking_program() -> None:
    """The table's expected oracles are what the model says: each one is the verdict of a
    program in tests/programs (checked on both cores by test_ct.py)."""
    from pathlib import Path

    from fuzzcore.program import Program
    programs: dict[str, set[str]] = {}
    for path in (Path(__file__).parent / "programs").rglob("*.fz"):
        p = Program.load(path)
        programs.setdefault(str(Variant.parse(p.variant or "")), set()).add(p.expect or "")
    for d in DESIGNS:
        if d.reference or d.expect in ("clean", "judge"):
            continue
        v = str(Variant.parse(f"{d.subsystem}={d.design}"))
        assert d.expect in programs.get(v, set()), f"{v}: no program expecting {d.expect}"


def test_text_fields_are_one_line() -> None:
    for d in DESIGNS:
        for text in (d.source, d.description):
            assert text and "\n" not in text and text == text.strip()


# --- parsing and printing ----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "reference", " reference "])
def test_reference_spellings(text: str) -> None:
    v = Variant.parse(text)
    assert v == Variant.reference() == Variant()
    assert v.is_reference and str(v) == "reference"
    assert [d.design for d in v.designs()] == ["ptregs", "thread", "final", "lazy", "generic"]


@pytest.mark.parametrize("sub,name", NAMED)
def test_every_design_round_trips(sub: str, name: str) -> None:
    v = Variant.parse(f"{sub}={name}")
    assert getattr(v, sub) == name
    assert v.design(sub) == V.get_design(sub, name)
    expected = "reference" if v.design(sub).reference else f"{sub}={name}"
    assert str(v) == expected
    assert Variant.parse(str(v)) == v
    assert v.is_reference == v.design(sub).reference


def test_combinations_round_trip_in_subsystem_order() -> None:
    per_sub = [[(s, d.design) for d in V.designs_of(s)] for s in SUBSYSTEMS]
    count = 0
    for combo in itertools.product(*per_sub):
        v = Variant(**dict(combo))
        text = str(v)
        assert Variant.parse(text) == v
        # written in any order, it prints in subsystem order
        shuffled = ",".join(f"{s}={n}" for s, n in reversed(combo))
        assert Variant.parse(shuffled) == v
        expected = ",".join(f"{s}={n}" for s, n in combo if V.get_design(s, n).code != 0)
        assert text == (expected or "reference")
        count += 1
    assert count == 8 * 6 * 4 * 4 * 6


def test_canonical_examples() -> None:
    assert str(Variant.parse("pasid=v1,pks=percpu")) == "pks=percpu,pasid=v1"
    assert str(Variant.parse(" pks = percpu ,  pasid=v1 ")) == "pks=percpu,pasid=v1"
    assert str(Variant.parse("pks=ptregs,ct=generic")) == "reference"
    assert str(Variant.parse("ct=soft_old")) == "ct=soft_old"


# --- context tracking --------------------------------------------------------------------------

CT_CHOICES = {
    "generic": ("cs", "closed", "new", "guard"),
    "soft_old": ("soft", "old", "old", "guard"),
    "hard_old": ("cs", "old", "old", "guard"),
    "exit_cs": ("exit_cs", "old", "old", "guard"),
    "fast_syscall32": ("cs", "get_user_only", "new", "guard"),
    "norecursion": ("soft", "old", "old", "noguard"),
}


@pytest.mark.parametrize("preset", list(CT_CHOICES))
def test_ct_presets_and_explicit_form(preset: str) -> None:
    ct = Variant.parse(f"ct={preset}").ct_design
    assert (ct.decide, ct.windows, ct.irq, ct.guard) == CT_CHOICES[preset]
    assert ct.preset == preset and ct.name == preset
    explicit = Variant.parse("ct=" + "/".join(CT_CHOICES[preset]))
    assert explicit == Variant.parse(f"ct={preset}") and explicit.ct == preset
    assert Variant(ct="/".join(CT_CHOICES[preset])).ct == preset


def test_ct_explicit_non_preset() -> None:
    v = Variant.parse("ct = soft / closed / new / noguard")
    assert v.ct == "soft/closed/new/noguard"
    assert str(v) == "ct=soft/closed/new/noguard"
    assert Variant.parse(str(v)) == v
    d = v.design("ct")
    assert (d.subsystem, d.reference, d.expect, d.code) == (
        "ct", False, "judge", V.CT_EXPLICIT)
    assert not v.is_reference
    assert str(Variant.parse("pks=v9,ct=cs/old/new/noguard")) == "pks=v9,ct=cs/old/new/noguard"


def test_every_ct_combination_parses() -> None:
    combos = list(itertools.product(V.CT_DECIDES, V.CT_WINDOWS, V.CT_IRQS, V.CT_GUARDS))
    assert len(combos) == 3 * 3 * 2 * 2
    names = {Variant.parse("ct=" + "/".join(c)).ct for c in combos}
    assert len(names) == len(combos)
    assert set(CT_CHOICES) <= names


# --- codes -------------------------------------------------------------------------------------

def test_codes_reference() -> None:
    codes = Variant.reference().codes()
    assert isinstance(codes, array) and codes.typecode == "i" and len(codes) == 8
    assert list(codes) == [0, 0, 0, 0, 0, 0, 1, 0]


def test_codes_layout() -> None:
    v = Variant.parse("pks=v9,pkru=thread_noframe,pasid=ipi,fpu=sigfail_noreset,ct=exit_cs")
    assert list(v.codes()) == [7, 4, 3, 3, 2, 1, 1, 1]
    v = Variant.parse("pks=percpu,ct=fast_syscall32")
    assert list(v.codes()) == [3, 0, 0, 0, 0, 2, 1, 0]
    v = Variant.parse("ct=norecursion")
    assert list(v.codes()) == [0, 0, 0, 0, 1, 1, 0, 1]
    v = Variant.parse("ct=soft/closed/old/noguard")
    codes = v.codes()
    assert (codes[V.V_CT_DECIDE], codes[V.V_CT_WINDOWS], codes[V.V_CT_GUARD],
            codes[V.V_CT_OLD_IRQ]) == (V.CT_DECIDE_SOFT, V.CT_WINDOWS_CLOSED, V.CT_NOGUARD,
                                        V.CT_IRQ_OLD)


@pytest.mark.parametrize("sub,name", NAMED)
def test_codes_per_design(sub: str, name: str) -> None:
    v = Variant(**{sub: name})
    codes = v.codes()
    index = {"pks": V.V_PKS, "pkru": V.V_PKRU, "pasid": V.V_PASID, "fpu": V.V_FPU}
    if sub in index:
        assert codes[index[sub]] == V.get_design(sub, name).code
        assert list(codes[V.V_CT_DECIDE:]) == [0, 0, 1, 0]
    else:
        decide, windows, irq, guard = CT_CHOICES[name]
        assert list(codes[V.V_CT_DECIDE:]) == [
            V.CT_DECIDES[decide], V.CT_WINDOWS[windows], V.CT_GUARDS[guard], V.CT_IRQS[irq]]


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("pkz=percpu", "unknown subsystem 'pkz' (valid: pks, pkru, pasid, fpu, ct)"),
    ("pks=perc", "unknown pks design 'perc' (valid: ptregs, byvalue, early_save, percpu, "
                 "thread_slot, idtentry_only, stack7, v9)"),
    ("pkru=xsav", "unknown pkru design 'xsav' (valid: thread, xsave, write_pkru_image, "
                  "kthread_mm, thread_noframe, sigframe_nobv)"),
    ("pasid=v2", "unknown pasid design 'v2' (valid: final, v1, mem_noinval, ipi)"),
    ("fpu=eager", "unknown fpu design 'eager' (valid: lazy, sigrestore_nobh, "
                  "irq_fpu_usable_old, sigfail_noreset)"),
    ("ct=hard", "unknown ct design 'hard' (valid: generic, soft_old, hard_old, exit_cs, "
                "fast_syscall32, norecursion, or decide/windows/irq/guard)"),
    ("ct=cs/old", "unknown ct design 'cs/old' (valid: generic, soft_old, hard_old, exit_cs, "
                  "fast_syscall32, norecursion, or decide/windows/irq/guard)"),
    ("ct=hard/old/old/guard", "unknown ct decide 'hard' (valid: cs, soft, exit_cs)"),
    ("ct=cs/open/new/guard", "unknown ct windows 'open' (valid: closed, old, get_user_only)"),
    ("ct=cs/old/mid/guard", "unknown ct irq 'mid' (valid: new, old)"),
    ("ct=cs/old/old/yes", "unknown ct guard 'yes' (valid: guard, noguard)"),
    ("pks=percpu,pks=v9", "subsystem 'pks' named twice in 'pks=percpu,pks=v9'"),
    ("pks", "expected subsystem=design, got 'pks'"),
    ("pks=", "expected subsystem=design, got 'pks='"),
    ("=percpu", "expected subsystem=design, got '=percpu'"),
    ("pks=percpu=v9", "expected subsystem=design, got 'pks=percpu=v9'"),
    ("pks=percpu,", "expected subsystem=design, got ''"),
    ("reference,pks=percpu", "expected subsystem=design, got 'reference'"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(VariantError) as info:
        Variant.parse(text)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_constructor_validates() -> None:
    with pytest.raises(VariantError, match=r"unknown pks design 'nope' \(valid: ptregs"):
        Variant(pks="nope")
    with pytest.raises(VariantError, match=r"unknown subsystem 'x'"):
        V.get_design("x", "y")
    with pytest.raises(VariantError, match=r"unknown ct decide"):
        CtDesign("hard", "old", "old", "guard")


# --- helpers -----------------------------------------------------------------------------------

def test_non_reference_designs() -> None:
    vs = non_reference_designs()
    assert len(vs) == len(DESIGNS) - len(SUBSYSTEMS)
    assert [str(v) for v in vs] == [
        f"{d.subsystem}={d.design}" for d in DESIGNS if not d.reference]
    for v in vs:
        assert not v.is_reference and len(v.non_reference()) == 1


def test_presets() -> None:
    presets = Variant.presets()
    assert "reference" in presets and presets["reference"].is_reference


# --- listings ----------------------------------------------------------------------------------

def test_variants_json() -> None:
    data = variants_json()
    json.dumps(data)
    assert len(data) == len(DESIGNS)
    for obj in data:
        assert list(obj) == ["subsystem", "design", "reference", "expect", "source",
                             "description"]
        assert isinstance(obj["reference"], bool)
        for key in ("subsystem", "design", "expect", "source", "description"):
            assert isinstance(obj[key], str) and obj[key]
        assert obj["expect"] in ("clean", "judge") or obj["expect"] in ORACLES
    for sub in SUBSYSTEMS:
        refs = [o["design"] for o in data if o["subsystem"] == sub and o["reference"]]
        assert len(refs) == 1
    assert {o["design"] for o in data if o["reference"]} == {
        "ptregs", "thread", "final", "lazy", "generic"}


def test_variants_table() -> None:
    lines = V.variants_table().splitlines()
    assert len(lines) == 1 + len(DESIGNS)
    assert lines[0].split()[:5] == ["subsystem", "design", "ref", "expect", "source"]
    # the columns before the description are aligned
    start = lines[0].index("description")
    for line, d in zip(lines[1:], DESIGNS):
        assert line.split()[0] == d.subsystem and line.split()[1] == d.design
        assert line[start:] == d.description
        assert d.expect in line and d.source in line
        assert ("*" in line[:start].split()) == d.reference


def test_markdown_table() -> None:
    lines = V.markdown_table().splitlines()
    assert len(lines) == 2 + len(DESIGNS)
    assert lines[0].startswith("| subsystem | design | reference | expect |")
    for line in lines[2:]:
        assert line.startswith("| `") and line.endswith(" |")
        assert line.replace("\\|", "").count("|") == 7
