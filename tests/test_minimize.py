"""The minimizer (SPEC 3.3): each named pass on its own, the fixpoint's 1-minimality, the memo
and its counters, every program of ``tests/programs`` minimized (same oracle, 1-minimal, same
result on both cores), crash-file input, ``fuzzcore minimize`` exit codes, and the speed on
random findings (printed, not asserted).

Passes are tested first with synthetic predicates (``Needs``: "these events occur in this
order"), where the right answer is known exactly, then on the real machine."""
from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INTERPRETED, PROGRAMS, reproducer_files

from fuzzcore import runner
from fuzzcore.cli import main
from fuzzcore.config import CONFIGS, get_config
from fuzzcore.minimize import (PASSES, OracleFires, Shrinker, cpu_renamings, is_one_minimal,
                               load_input, minimize, program_hash, simpler_arguments,
                               task_renamings)
from fuzzcore.program import Event, Program, ProgramError
from fuzzcore.variants import Variant, non_reference_designs

SMALL = get_config("small")


def events(text: str) -> tuple[Event, ...]:
    return tuple(Program.parse(text).events)


class Needs:
    """Synthetic predicate: fires at the last of ``needed`` (event texts, or callables on an
    Event) when they occur in this order; counts its calls."""

    def __init__(self, *needed):
        self.needed = [n if callable(n) else (lambda e, t=n: e.text() == t) for n in needed]
        self.calls = 0

    def __call__(self, evs):
        self.calls += 1
        k = 0
        for i, e in enumerate(evs):
            if self.needed[k](e):
                k += 1
                if k == len(self.needed):
                    return i
        return None


def real_predicate(program: Program, variant: str | None = None, module=None) -> OracleFires:
    v = runner.resolve_variant(variant, program)
    cfg = get_config(program.config)
    oracle = runner.run(program, v).oracle
    assert oracle is not None
    return OracleFires(v, cfg, program.cpu_vendor, oracle, module=module)


# --- each pass on its own ---------------------------------------------------------------------

def test_truncate_after_violation_cuts_what_never_runs() -> None:
    s = Shrinker(events("cpu0 syscall\ncpu0 kmap\ncpu0 ret\ncpu1 nmi\ncpu0 step\n"),
                 Needs("cpu0 syscall", "cpu0 kmap"), SMALL)
    assert s.run_pass("truncate_after_violation")
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu0 kmap"]
    assert s.passes["truncate_after_violation"] == {"tried": 1, "succeeded": 1}
    assert not s.run_pass("truncate_after_violation")       # nothing left to cut


def test_remove_event_chunks_removes_runs_of_junk() -> None:
    junk = "".join(f"cpu1 fpu_write {i}\n" for i in range(1, 21))
    text = "cpu0 syscall\n" + junk + "cpu0 kmap\n" + junk + "cpu0 irq 0\n"
    s = Shrinker(events(text), Needs("cpu0 syscall", "cpu0 kmap", "cpu0 irq 0"), SMALL)
    s.run_pass("remove_event_chunks")
    # Chunks of 2 and more: at most one junk event between two needed ones can survive.
    assert len(s.current) <= 5 and s.current[0].text() == "cpu0 syscall"
    assert s.passes["remove_event_chunks"]["succeeded"] >= 2
    assert s.passes["remove_single_events"]["tried"] == 0   # counters are per pass


def test_remove_steps_removes_only_steps() -> None:
    text = "cpu0 step\ncpu0 syscall\ncpu0 step\ncpu0 step\ncpu1 ret\ncpu0 kmap\ncpu0 step\n"
    s = Shrinker(events(text), Needs("cpu0 syscall", "cpu0 kmap", "cpu0 step"), SMALL)
    s.run_pass("remove_steps")
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu1 ret", "cpu0 kmap",
                                             "cpu0 step"]


def test_remove_steps_on_the_machine() -> None:
    # Every event runs the pending micro-steps first: a step before kmap is redundant.
    base = Program.load(PROGRAMS / "pks" / "byvalue_irq_during_kmap.fz")
    padded = base.with_events([base.events[0], Event(0, "step"), Event(0, "step")]
                              + base.events[1:])
    s = Shrinker(padded.events, real_predicate(padded), SMALL)
    assert s.run_pass("remove_steps")
    assert sum(e.name == "step" for e in s.current) < sum(e.name == "step" for e in padded.events)


def test_simplify_arguments_moves_towards_the_simplest_value() -> None:
    text = "cpu0 wrpkru 212\ncpu0 yield t2\ncpu0 sigreturn 200\ncpu0 irq 1\n"
    needs = Needs(lambda e: e.name == "wrpkru" and e.arg & 16, lambda e: e.name == "yield",
                  lambda e: e.name == "sigreturn", lambda e: e.name == "irq")
    s = Shrinker(events(text), needs, SMALL)
    assert s.run_pass("simplify_arguments")
    assert [e.text() for e in s.current] == ["cpu0 wrpkru 16", "cpu0 yield",
                                             "cpu0 sigreturn 256", "cpu0 irq 0"]


def test_simpler_arguments_are_strictly_simpler_and_valid() -> None:
    assert simpler_arguments(Event(0, "wrpkru", 20), SMALL) == [0, 4, 16]
    assert simpler_arguments(Event(0, "sigreturn", 256), SMALL) == []
    assert simpler_arguments(Event(0, "sigreturn", 3), SMALL)[:2] == [256, 0]
    assert simpler_arguments(Event(0, "yield", "k0"), SMALL) == [None, "t0", "t1", "t2", "t3"]
    assert simpler_arguments(Event(0, "wake", "t2"), SMALL) == ["t0", "t1"]
    assert simpler_arguments(Event(0, "syscall"), SMALL) == []


def test_rename_tasks_lowest_renames_consistently() -> None:
    text = "cpu0 syscall\ncpu0 wake t3\ncpu0 kill t3\ncpu0 migrate t2\n"
    same = lambda name: (lambda e: e.name == name)  # noqa: E731
    s = Shrinker(events(text), Needs(same("syscall"), same("wake"), same("kill"),
                                     same("migrate")), SMALL)
    assert s.run_pass("rename_tasks_lowest")
    assert [e.text() for e in s.current][1:] == ["cpu0 wake t0", "cpu0 kill t0",
                                                 "cpu0 migrate t1"]


def test_rename_tasks_keeps_what_the_predicate_needs() -> None:
    text = "cpu0 wake t3\ncpu0 kill t3\n"
    s = Shrinker(events(text), Needs("cpu0 wake t3", "cpu0 kill t3"), SMALL)
    assert not s.run_pass("rename_tasks_lowest")
    assert s.passes["rename_tasks_lowest"]["tried"] >= 1


def test_rename_cpus_lowest_with_and_without_their_tasks() -> None:
    s = Shrinker(events("cpu1 syscall\ncpu1 kill t1\n"),
                 Needs(lambda e: e.name == "syscall", lambda e: e.name == "kill"), SMALL)
    assert s.run_pass("rename_cpus_lowest")
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu0 kill t0"]


def test_rename_cpus_lowest_on_the_machine() -> None:
    # The byvalue program moved to cpu1 (where t1 runs at start) comes back to cpu0.
    base = Program.load(PROGRAMS / "pks" / "byvalue_irq_during_kmap.fz")
    moved = base.with_events(Event(1, e.name, e.arg) for e in base.events)
    s = Shrinker(moved.events, real_predicate(moved), SMALL)
    assert s.run_pass("rename_cpus_lowest")
    assert all(e.cpu == 0 for e in s.current)


def test_renamings_stay_inside_every_configuration() -> None:
    for cfg in CONFIGS.values():
        top = cfg.ncpu - 1
        evs = events(f"# config: {cfg.name}\ncpu{top} wake t{cfg.nuser - 1}\n"
                     f"cpu{top} use_mm k{cfg.nkthread - 1}\n")
        for mapping in task_renamings(evs, cfg):
            for old, new in mapping.items():
                assert int(new[1:]) < (cfg.nuser if new[0] == "t" else cfg.nkthread), old
        for cpus, tasks in cpu_renamings(evs, cfg):
            assert sorted(cpus.values()) == list(range(cfg.ncpu))
            assert all(int(t[1:]) < cfg.nuser for t in tasks.values())


def test_remove_single_events() -> None:
    text = "cpu1 fpu_write 3\ncpu0 syscall\ncpu1 ret\ncpu0 kmap\ncpu1 nmi\n"
    s = Shrinker(events(text), Needs("cpu0 syscall", "cpu0 kmap"), SMALL)
    s.run_pass("remove_single_events")
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu0 kmap"]


class Without:
    """Synthetic predicate: fires at the last event when the program holds ``needed`` in order
    and none of ``poison`` alone: removing a poison event loses it, removing it with its
    partner keeps it (``poison`` maps an event to its partner)."""

    def __init__(self, needed: tuple[str, ...], pairs: tuple[tuple[str, str], ...]):
        self.needs = Needs(*needed)
        self.pairs = pairs

    def __call__(self, evs):
        texts = [e.text() for e in evs]
        for a, b in self.pairs:
            if (a in texts) != (b in texts):
                return None
        return self.needs(evs)


def test_remove_event_pairs_removes_what_goes_only_together() -> None:
    text = "cpu0 syscall\ncpu0 mce\ncpu0 fork\ncpu0 ret\ncpu0 kfpu_begin\n"
    pred = Without(("cpu0 syscall", "cpu0 fork", "cpu0 kfpu_begin"),
                   (("cpu0 mce", "cpu0 ret"),))
    s = Shrinker(events(text), pred, SMALL)
    assert not s.run_pass("remove_single_events")
    assert s.run_pass("remove_event_pairs")
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu0 fork", "cpu0 kfpu_begin"]


def test_remove_event_pairs_on_the_machine() -> None:
    """An #MC and its ret around the fork, removed together (the corpus entry this pass
    shortened: fuzzcore check found 4 events where the rounds had left 6)."""
    program = Program.parse("# variant: fpu=irq_fpu_usable_old\ncpu0 syscall\ncpu0 fork\n"
                            "cpu0 mce\ncpu0 irq 0\ncpu0 ret\ncpu0 kfpu_begin\n")
    result = minimize(program)
    assert [e.text() for e in result.program.events] == [
        "cpu0 syscall", "cpu0 fork", "cpu0 irq 0", "cpu0 kfpu_begin"]
    assert result.passes["remove_event_pairs"]["succeeded"] == 1


def test_replace_entries_swaps_a_long_exit_for_a_short_one() -> None:
    """The fuzzer's reproducer of ct=exit_cs went through an #MC's long exit, 15 steps of it;
    a syscall's exit reaches the same window: fuzzcore check's shortest length, 7 events."""
    program = Program.parse("# variant: ct=exit_cs\ncpu0 mce\ncpu0 ret\n" + "cpu0 step\n" * 15
                            + "cpu0 irq 0\ncpu0 ret\ncpu0 enqcmd\n")
    result = minimize(program)
    assert [e.text() for e in result.program.events] == [
        "cpu0 syscall", "cpu0 ret", "cpu0 step", "cpu0 step", "cpu0 irq 0", "cpu0 ret",
        "cpu0 enqcmd"]
    assert result.passes["replace_entries"]["succeeded"] == 1
    assert runner.run(result.program).oracle == "ct_user"


def test_replace_entries_keeps_what_needs_its_entry() -> None:
    # Only the #MC fires: no other entry is adopted, and no step is lost for it.
    text = "cpu0 mce\ncpu0 step\ncpu0 step\ncpu0 ret\n"
    pred = Without(("cpu0 mce", "cpu0 step"), ())
    s = Shrinker(events(text), pred, SMALL)
    assert not s.run_pass("replace_entries")
    assert s.passes["replace_entries"]["tried"] == 8 * 2


def test_search_finds_a_shorter_program_removals_cannot() -> None:
    """The fuzzer's 7-event reproducer of fpu=sigfail_noreset is 1-minimal and no pair goes;
    the bounded search finds 5 events that share little with it."""
    program = Program.parse(
        "# variant: fpu=sigfail_noreset\ncpu0 mce\ncpu0 ret\ncpu0 fpu_write 2\n"
        "cpu0 syscall\ncpu0 sigreturn 257\ncpu0 step\ncpu0 step\n")
    assert len(minimize(program).program.events) == 7
    result = minimize(program, search=60)
    assert len(result.program.events) == 5
    assert result.passes["shortest_by_search"] == {"tried": 1, "succeeded": 1}
    assert runner.run(result.program).oracle == result.oracle == "fpu_consistent"


def test_passes_never_accept_a_less_simple_program() -> None:
    # A predicate that holds everywhere: the shrinker must still terminate, at the simplest
    # program that fires (one event, lowest CPU, simplest argument).
    s = Shrinker(events("cpu1 wrpkru 255\ncpu1 yield k0\ncpu0 kill t3\n"),
                 lambda evs: len(evs) - 1 if evs else None, SMALL)
    s.shrink()
    assert [e.text() for e in s.current] == ["cpu0 wrpkru 0"]


# --- the fixpoint, 1-minimality, the memo ----------------------------------------------------

def test_shrink_is_one_minimal_and_counts_add_up() -> None:
    needs = Needs("cpu0 syscall", "cpu0 kmap", "cpu0 irq 0")
    text = "".join(f"cpu{i % 2} fpu_write {i}\n" for i in range(1, 30))
    s = Shrinker(events("cpu0 syscall\n" + text + "cpu0 kmap\n" + text + "cpu0 irq 0\n"),
                 needs, SMALL)
    s.shrink()
    assert [e.text() for e in s.current] == ["cpu0 syscall", "cpu0 kmap", "cpu0 irq 0"]
    # runs are exactly the predicate's calls; the memo answered the rest.  Every candidate a
    # pass tried was one or the other, plus the initial check (one run).
    assert s.runs == needs.calls
    assert s.cache_hits > 0
    assert s.runs + s.cache_hits == 1 + sum(c["tried"] for c in s.passes.values())
    # The 1-minimality check reads the memo: no further call.
    assert s.one_minimal() and needs.calls == s.runs
    assert is_one_minimal(s.current, needs)
    assert list(s.passes) == list(PASSES)


def test_memo_answers_repeated_candidates_without_running() -> None:
    needs = Needs("cpu0 syscall")
    s = Shrinker(events("cpu0 syscall\ncpu0 ret\n"), needs, SMALL)
    assert (s.runs, s.cache_hits, needs.calls) == (1, 0, 1)
    candidate = events("cpu0 ret\n")
    assert s.fires(candidate) is None and s.fires(candidate) is None
    assert (s.runs, s.cache_hits, needs.calls) == (2, 1, 2)
    # The key is the hash of the canonical text: the same events, however built, hit.
    assert s.fires((Event(0, "ret"),)) is None and needs.calls == 2


def test_rounds_run_to_a_fixpoint() -> None:
    # Removing the step only pays off after the wrpkru is simplified: a second round is needed
    # and the last round changes nothing.
    s = Shrinker(events("cpu0 wrpkru 3\ncpu0 syscall\n"),
                 Needs(lambda e: e.name == "wrpkru", "cpu0 syscall"), SMALL)
    s.shrink()
    assert [e.text() for e in s.current] == ["cpu0 wrpkru 0", "cpu0 syscall"]
    assert s.rounds == 2


# --- minimize() on the machine ----------------------------------------------------------------

@pytest.mark.parametrize("path", reproducer_files(), ids=lambda p: p.stem)
def test_every_program_keeps_its_oracle_and_is_one_minimal(path: Path) -> None:
    program = Program.load(path)
    result = minimize(program, source=str(path))
    assert result.oracle == program.expect
    assert result.program.expect == program.expect
    assert result.program.headers["minimized-from"] == str(path)
    assert len(result.program) <= len(program)
    assert result.one_minimal
    # Independently of the minimizer's memo: the verdict, and every single removal.
    again = Program.parse(result.program.serialize())
    assert runner.run(again).oracle == program.expect
    assert is_one_minimal(again.events, real_predicate(again))
    # Minimizing a minimized program changes nothing.
    assert minimize(again).program.events == again.events


@pytest.mark.parametrize("path", [PROGRAMS / "pks" / "percpu_pf_sleeps.fz",
                                  PROGRAMS / "fpu" / "sigrestore_nobh_softirq.fz"],
                         ids=lambda p: p.stem)
def test_both_cores_minimize_alike(path: Path) -> None:
    program = Program.load(path)
    compiled = Shrinker(program.events, real_predicate(program), SMALL)
    interpreted = Shrinker(program.events, real_predicate(program, module=INTERPRETED), SMALL)
    assert compiled.shrink() == interpreted.shrink()
    assert compiled.passes == interpreted.passes


def test_debug_mode_checks_the_type_invariant_while_minimizing() -> None:
    program = Program.load(PROGRAMS / "pks" / "thread_slot_nested.fz")
    assert minimize(program, debug=True).oracle == "pks_restore"


def test_headers_flags_and_errors() -> None:
    program = Program.load(PROGRAMS / "pkru" / "write_pkru_image_amd.fz")
    result = minimize(program)
    h = result.program.headers
    assert (h["variant"], h["cpu-vendor"], h["expect"]) == ("pkru=write_pkru_image", "amd",
                                                            "pkru_user")
    assert h["minimized-from"] == program_hash(program)
    # An existing minimized-from is the finding's origin: kept.
    assert minimize(result.program).program.headers["minimized-from"] == program_hash(program)
    # A flag overrides the header and is written down.
    bare = Program(list(Program.load(PROGRAMS / "pks" / "byvalue_irq_during_kmap.fz").events))
    assert minimize(bare, "pks=byvalue").program.headers["variant"] == "pks=byvalue"
    with pytest.raises(ValueError, match="clean on reference.*nothing to minimize"):
        minimize(bare)
    with pytest.raises(ValueError, match="trips pks_restore, not rcu_eqs"):
        minimize(bare, "pks=byvalue", oracle="rcu_eqs")
    with pytest.raises(ValueError, match="unknown oracle"):
        minimize(bare, "pks=byvalue", oracle="nope")


# --- input: text programs and crash files -----------------------------------------------------

def test_load_input_text_bytes_and_errors(tmp_path: Path) -> None:
    text = tmp_path / "finding"
    text.write_text("cpu0 syscall\ncpu0 kmap\n")
    assert [e.text() for e in load_input(text).events] == ["cpu0 syscall", "cpu0 kmap"]
    crash = tmp_path / "crash-0a1b"
    data = Program.parse("cpu0 syscall\ncpu0 kmap\ncpu1 nmi\n").to_bytes()
    crash.write_bytes(data)
    assert load_input(crash).events == Program.from_bytes(data).events
    bad = tmp_path / "bad.fz"                     # a text program that does not parse
    bad.write_text("cpu0 syscall\ncpu0 kmapp\n")
    with pytest.raises(ProgramError, match=r"bad.fz:2:6: unknown event 'kmapp'"):
        load_input(bad)
    corrupt = tmp_path / "corrupt.fz"             # .fz is text even when corrupt
    corrupt.write_bytes(b"cpu0 syscall\ncpu0 \xff\n")
    with pytest.raises(ProgramError, match=r"corrupt.fz:2:6: invalid UTF-8"):
        load_input(corrupt)
    prose = tmp_path / "notes"                    # text, not bytes: an error, never decoded
    prose.write_text("this is not a program\nat all\n")
    with pytest.raises(ProgramError):
        load_input(prose)
    assert load_input(prose, form="binary").events    # unless asked to
    with pytest.raises(ProgramError, match="cannot read"):
        load_input(tmp_path / "missing")


def test_a_crash_file_minimizes_to_text(tmp_path: Path) -> None:
    rng = random.Random(5)
    while True:
        data = bytes(rng.getrandbits(8) for _ in range(120))
        if runner.run(Program.from_bytes(data), "pks=byvalue").oracle == "pks_restore":
            break
    crash = tmp_path / "crash-1234"
    crash.write_bytes(data)
    result = minimize(load_input(crash), "pks=byvalue", source=str(crash))
    assert result.program.headers["minimized-from"] == str(crash)
    assert runner.run(Program.parse(result.program.serialize())).oracle == "pks_restore"
    assert len(result.program) < 60


# --- the command ------------------------------------------------------------------------------

def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_minimize_prints_program_and_counters(tmp_path: Path) -> None:
    src = PROGRAMS / "pks" / "percpu_pf_sleeps.fz"
    r = cli("minimize", str(src))
    assert r.exit_code == 0, r.output
    assert Program.parse(r.stdout).expect == "pks_restore"
    assert "remove_single_events" in r.stderr and "tried" in r.stderr
    r = cli("minimize", str(src), "--json")
    data = json.loads(r.stdout)
    assert set(data["passes"]) == set(PASSES) and data["oracle"] == "pks_restore"


def test_cli_minimize_writes_out_and_never_over_its_input(tmp_path: Path) -> None:
    src = tmp_path / "in.fz"
    original = (PROGRAMS / "pks" / "percpu_pf_sleeps.fz").read_bytes()
    src.write_bytes(original)
    r = cli("minimize", str(src), "-o", str(src))
    assert r.exit_code == 2 and "refusing to overwrite the input" in r.stderr
    assert src.read_bytes() == original
    out = tmp_path / "out.fz"
    r = cli("minimize", str(src), "-o", str(out))
    assert r.exit_code == 0 and Program.load(out).expect == "pks_restore"


@pytest.mark.parametrize("content, args, message", [
    (b"cpu0 syscall\ncpu0 km\xffap\n", (), "p.fz:2:8: invalid UTF-8"),
    (b"cpu0 syscall\ncpu0 sigret", (), "p.fz:2:6: unknown event 'sigret'"),
    (b"cpu0 syscall\n", (), "clean on reference"),
    (b"cpu0 syscall\n", ("--variant", "pks=nope"), "unknown pks design 'nope'"),
    (None, (), "cannot read"),
])
def test_cli_minimize_bad_input_is_one_line_exit_2(tmp_path: Path, content, args,
                                                   message) -> None:
    path = tmp_path / "p.fz"
    if content is not None:
        path.write_bytes(content)
    r = cli("minimize", str(path), *args)
    assert r.exit_code == 2
    assert message in r.stderr and len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.output


# --- speed (printed, not asserted) ------------------------------------------------------------

def random_findings(per_variant: int = 2, seed: int = 11) -> list[tuple[Program, Variant]]:
    """Random programs of 10-60 events that violate, as a fuzz engine would find them."""
    rng = random.Random(seed)
    out = []
    for v in non_reference_designs():
        m = runner.new_machine(v, SMALL, "intel")   # one machine, the core's own decoder
        found = 0
        for _ in range(4000):
            data = bytes(rng.getrandbits(8) for _ in range(2 * rng.randint(10, 60)))
            m.reset()
            if m.run_bytes(data) >= 0:
                out.append((Program.from_bytes(data), v))
                found += 1
                if found == per_variant:
                    break
    return out


def test_speed_on_random_findings(capsys: pytest.CaptureFixture[str]) -> None:
    findings = random_findings()
    assert findings
    rows = []
    for program, v in findings:
        started = time.perf_counter()
        result = minimize(program, v)
        elapsed = time.perf_counter() - started
        assert result.one_minimal
        rows.append((str(v), len(program), len(result.program), result.oracle, result.runs,
                     result.cache_hits, elapsed))
    times = [r[-1] for r in rows]
    with capsys.disabled():
        print(f"\nminimizer on {len(rows)} random findings (compiled core: "
              f"{runner.core.__name__}): median {statistics.median(times) * 1000:.1f} ms, "
              f"max {max(times) * 1000:.1f} ms, mean length "
              f"{statistics.mean(r[1] for r in rows):.0f} -> "
              f"{statistics.mean(r[2] for r in rows):.1f} events")
        for r in rows[::max(1, len(rows) // 8)]:
            print(f"  {r[0]:26s} {r[1]:3d} -> {r[2]:2d} {r[3]:16s} runs {r[4]:4d} "
                  f"hits {r[5]:3d} {r[6] * 1000:6.1f} ms")
