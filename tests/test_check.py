"""`fuzzcore check` (fuzzcore/check.py, the core's chk_*): the search finds exactly the states a
plain breadth-first search over ``Machine.run`` finds, its first violation is a shortest one
and replays, its reductions keep the shortest lengths, its argument domain loses nothing the
wider domains find, and the reference designs are clean to a shallow depth (the CI guard
against a modelling error that trips them).

Both cores run the search (``use_core``); the interpreted one at smaller depths.
"""
from __future__ import annotations

import array
import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import load_core

from fuzzcore import runner
from fuzzcore.check import CheckError, check, domain, pkru_class
from fuzzcore.cli import main
from fuzzcore.config import get_config
from fuzzcore.events import BY_NAME
from fuzzcore.program import Event, Program
from fuzzcore.variants import Variant

SMALL = get_config("small")

# designs whose shortest violation is short, with its length (BFS; BENCHMARKS.md has them all)
SHORT = {"pks=early_save": 2, "ct=fast_syscall32": 3}


def literal_entries(names: tuple[str, ...], config=SMALL) -> list[tuple[int, int, int]]:
    """A domain of literal arguments only, so that a plain search needs no fresh values."""
    args = {"fpu_write": [1, 2], "wrpkru": [0, 4], "pkey_alloc": [8], "sigreturn": [256, 257],
            "irq": [0, 1], "pkey_access": [1]}
    out = []
    for cpu in range(config.ncpu):
        for name in names:
            e = BY_NAME[name]
            if e.arg in ("task", "opt_task"):
                values = [0, 2]
            else:
                values = args.get(name, [-1])
            out += [(cpu, e.opcode, a) for a in values]
    return out


def plain_bfs(variant: str, entries, depth: int) -> list[int]:
    """States per layer, by the book: every program from the initial state through
    ``Machine.run``, a state new when its hash is; an event that ran no action is no
    transition.  Shares nothing with the search but the machine and its state hash."""
    m = runner.new_machine(Variant.parse(variant), SMALL, "intel")
    m.chk_init([x for t in entries for x in t], 0, 0)
    seen = {m.chk_state_hash()}
    layer = [[]]
    counts = []
    for _ in range(depth):
        nxt = []
        for prog in layer:
            for e in entries:
                m.reset()
                flat = [x for t in prog for x in t]
                assert m.run(runner_array(flat)) == -1
                before = m.actions
                stop = m.run(runner_array(list(e)))
                if m.actions == before and stop < 0:
                    continue
                assert stop < 0, f"violation on {variant}: {prog + [e]}"
                h = m.chk_state_hash()
                if h not in seen:
                    seen.add(h)
                    nxt.append(prog + [e])
        layer = nxt
        counts.append(len(seen))
    m.reset()
    return counts


def runner_array(flat: list[int]) -> array.array:
    return array.array("i", flat)


NAMES = ("step", "syscall", "ret", "irq", "nmi", "uaccess_fault", "sleep", "yield", "wake",
         "fork", "kmap", "kunmap", "fpu_write", "wrpkru", "kfpu_begin", "kfpu_end", "sigreturn",
         "kill", "pkey_access", "raise_softirq")


@pytest.mark.parametrize("variant", ["", "pks=percpu,ct=soft_old"])
def test_search_finds_the_states_a_plain_search_finds(use_core, core_mode, variant) -> None:
    depth = 3 if core_mode == "compiled" else 2
    entries = literal_entries(NAMES)
    r = check(variant or None, depth=depth, entries=entries, verify=True)
    assert r.violation is None
    assert [s for _, s, _ in r.layers] == plain_bfs(variant, entries, depth)


def test_both_cores_count_the_same_states() -> None:
    counts = []
    for mode in ("compiled", "interpreted"):
        saved = runner.core
        runner.core = load_core(mode)
        try:
            r = check(None, depth=2, verify=True)
            counts.append((r.states, r.transitions, r.layers[-1][1]))
        finally:
            runner.core = saved
    assert counts[0] == counts[1]


@pytest.mark.parametrize("variant,length", sorted(SHORT.items()))
def test_first_violation_is_a_shortest_program_that_replays(use_core, tmp_path, variant,
                                                            length) -> None:
    r = check(variant, depth=length + 2)
    assert r.violation is not None and r.violation.length == length
    assert r.depth_completed == length - 1
    program = r.violation.program
    assert program.headers["found-by"].startswith("fuzzcore check --variant " + variant)
    assert program.headers["expect"] == r.violation.oracle
    replayed = runner.run(Program.parse(program.serialize()))
    assert replayed.oracle == r.violation.oracle
    assert replayed.violation.event_index == length - 1
    assert check(variant, depth=length - 1).violation is None


def deep(core_mode: str, compiled: int, interpreted: int) -> int:
    """The interpreted core is two orders of magnitude slower: a shallower search."""
    return compiled if core_mode == "compiled" else interpreted


def test_oracle_search_gives_a_shortest_program_with_that_verdict(use_core, core_mode) -> None:
    """pks=v9 has three verdicts at 5 events (its corpus entries): --oracle finds each, a
    program that trips another oracle first ends there, and nothing shorter has it."""
    if core_mode == "interpreted":
        pytest.skip("depth 5: the compiled core's test")
    for oracle in ("pks_access", "pks_refcount", "pks_restore"):
        r = check("pks=v9", depth=5, oracle=oracle)
        assert r.violation is not None and r.violation.length == 5, oracle
        assert runner.run(r.violation.program).oracle == r.violation.oracle == oracle
        assert r.depth_completed == 4


@pytest.mark.parametrize("variant", ["", "ct=soft_old"])
@pytest.mark.parametrize("vendor", ["intel", "amd"])
def test_reference_designs_are_clean_to_depth(use_core, core_mode, variant, vendor) -> None:
    """The CI guard: a modelling error that makes a design the kernel shipped trip an oracle
    within a few events fails here, with the shortest program in the message."""
    depth = deep(core_mode, 5, 2)
    r = check(variant or None, depth=depth, cpu_vendor=vendor)
    assert r.violation is None, r.violation.program.serialize()
    assert r.depth_completed == depth


def test_reference_medium_is_clean_to_depth(use_core, core_mode) -> None:
    r = check(None, config="medium", depth=deep(core_mode, 4, 2))
    assert r.violation is None, r.violation.program.serialize()


@pytest.mark.parametrize("variant", sorted(SHORT) + ["pkru=xsave"])
def test_value_symmetry_keeps_shortest_lengths(use_core, core_mode, variant) -> None:
    depth = deep(core_mode, 4, 2)
    plain = check(variant, depth=depth)
    sym = check(variant, depth=depth, value_symmetry=True)
    assert (plain.violation is None) == (sym.violation is None)
    if plain.violation:
        assert plain.violation.length == sym.violation.length
    else:
        assert sym.states <= plain.states


@pytest.mark.parametrize("variant", ["", "pks=early_save", "pkru=thread_noframe",
                                     "fpu=irq_fpu_usable_old"])
def test_reduced_domain_finds_what_the_full_and_literal_domains_find(use_core, core_mode,
                                                                     variant) -> None:
    """The README's argument for the reduced domain, checked where it is cheap (depth 3-4;
    scripts/check_domains.py does depth 6 for every design)."""
    verdicts = []
    literal = deep(core_mode, 3, 1)
    for kind, depth in (("reduced", deep(core_mode, 4, 2)), ("full", deep(core_mode, 4, 2)),
                        ("literal", literal)):
        r = check(variant or None, depth=depth, domain_kind=kind)
        v = r.violation
        verdicts.append((v.oracle, v.length) if v and v.length <= literal else None)
    assert verdicts[0] == verdicts[1] == verdicts[2]


def test_time_and_memory_limits_certify_the_completed_depth(use_core, core_mode) -> None:
    r = check(None, depth=8, time_budget=0.5)
    assert r.stopped == "time" and r.depth_completed < 8
    assert f"certifies depth {r.depth_completed} only" in r.claim()
    # room for the nodes of all but the last layer, not for the last layer's states
    depth, gb = (4, 1e-3) if core_mode == "compiled" else (3, 1e-4)
    r = check(None, depth=depth, memory_gb=gb)
    assert r.depth_completed == depth and not r.states_exact   # the last layer ran uncounted
    assert "the memory limit stopped the counting, not the search" in r.claim()
    r = check(None, depth=depth + 1, memory_gb=gb)
    assert r.stopped == "memory" and r.depth_completed < depth + 1


def test_bad_input_is_a_check_error(use_core) -> None:
    with pytest.raises(CheckError):
        check(None, depth=-1)
    with pytest.raises(CheckError):
        check(None, memory_gb=0)
    with pytest.raises(CheckError):
        check(None, domain_kind="huge")


def test_reduced_domain_has_a_fresh_value_per_pkru_class() -> None:
    entries = [e for e in domain(SMALL) if e[0] == 0 and e[1] == BY_NAME["wrpkru"].opcode]
    m = runner.new_machine(Variant.parse(""), SMALL, "intel")
    m.chk_init([x for t in entries for x in t], 0, 0)
    parent, code = array.array("i", [-1]), array.array("H", [0])    # node 0: the root
    triples = m.chk_program(parent, code, 0, 0)
    assert triples[2] == 0
    values = []
    for k in range(len(entries)):
        t = m.chk_program(parent, code, 0, k)
        if t[2] != -1000:
            values.append(t[2])
    assert sorted(pkru_class(v) for v in values) == list(range(8))
    assert 84 not in values                      # INIT_PKRU is a value the model compares to


# --- the renaming argument behind the domain and value symmetry -------------------------------

def pkru_renaming(rng: random.Random) -> dict[int, int]:
    """A random permutation of the PKRU values (multiples of 4) within each access class,
    fixing 0 and INIT_PKRU (84)."""
    out = {0: 0, 84: 84}
    for k in range(1, 8):
        values = [v for v in range(4, 256, 4) if pkru_class(v) == k and v != 84]
        image = values[:]
        rng.shuffle(image)
        out.update(zip(values, image))
    return out


@settings(max_examples=150, deadline=None)
@given(data=st.binary(min_size=2, max_size=160), seed=st.integers(0, 2 ** 32 - 1),
       variant=st.sampled_from(["", "pkru=xsave", "pkru=sigframe_nobv", "pasid=ipi",
                                "fpu=sigfail_noreset"]),
       vendor=st.sampled_from(["intel", "amd"]))
def test_renaming_values_renames_the_run(data, seed, variant, vendor) -> None:
    """FPU values may be renamed by any bijection fixing 0, PKRU values by one that keeps each
    value's class and fixes 0 and INIT_PKRU: the run is the same run, renamed (same verdict,
    same event, the same state up to the renaming)."""
    rng = random.Random(seed)
    fpu = list(range(1, 256))
    rng.shuffle(fpu)
    rename_fpu = dict(zip(range(1, 256), fpu)) | {0: 0}
    rename_pkru = pkru_renaming(rng)
    program = Program.from_bytes(data, SMALL)
    renamed = []
    for e in program.events:
        arg = e.arg
        if e.name == "fpu_write":
            arg = rename_fpu[arg]
        elif e.name in ("wrpkru", "pkey_alloc") or (e.name == "sigreturn" and arg < 256):
            arg = rename_pkru[arg & ~3] | (arg & 3)
        renamed.append(Event(e.cpu, e.name, arg))
    results = []
    for prog in (program, program.with_events(renamed)):
        m = runner.new_machine(Variant.parse(variant), SMALL, vendor)
        m.chk_init([0, 0, -1], 1, 0)
        stop = m.run(prog.to_arrays(SMALL))
        results.append((stop, runner.read_violation(m.S, SMALL), m.chk_canonical()))
    (stop_a, viol_a, canon_a), (stop_b, viol_b, canon_b) = results
    assert stop_a == stop_b
    assert (viol_a and viol_a.oracle) == (viol_b and viol_b.oracle)
    if stop_a < 0:
        assert canon_a == canon_b


# --- the command line ----------------------------------------------------------------------------

def test_cli_certificate_exits_0_and_says_the_depth(use_core, tmp_path) -> None:
    result = CliRunner().invoke(main, ["check", "--depth", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "no violation in any program of up to 3 events" in result.output


def test_cli_violation_exits_1_writes_the_program(use_core, tmp_path) -> None:
    result = CliRunner().invoke(main, ["check", "--variant", "pks=early_save", "--depth", "4",
                                       "--json", "-o", str(tmp_path)])
    assert result.exit_code == 1, result.output
    line = json.loads(result.output.strip().splitlines()[-1])
    assert {"verdict", "variant", "depth_completed", "states", "transitions", "seconds",
            "oracle", "length", "program"} <= set(line)
    assert line["verdict"] == "violation" and line["length"] == 2
    written = Program.load(tmp_path / "pks=early_save" / f"{line['oracle']}.check.fz")
    assert [e.text() for e in written.events] == line["program"]
    assert written.headers["found-by"].startswith("fuzzcore check")


@pytest.mark.parametrize("args", [["--variant", "pks=nope"], ["--depth", "-2"],
                                  ["--memory", "0"], ["--time", "-1"]])
def test_cli_bad_input_exits_2(use_core, tmp_path, args) -> None:
    result = CliRunner().invoke(main, ["check", *args, "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
