"""``fuzzcore fuzz`` (SPEC 3.2): the engine finds known bugs, findings are saved minimized with
their headers and replay to their oracle, the campaign is deterministic given --seed/--runs,
Ctrl-C loses nothing, --jobs shares a corpus, and bad input is one line with exit 2.

The campaigns here run the compiled core on a few designs the engine finds within a few
thousand executions, with fixed seeds and --runs budgets (deterministic, so not flaky)."""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MODES, ROOT, L, load_core

from fuzzcore import fuzz as fz
from fuzzcore.cli import main
from fuzzcore.program import Program
from fuzzcore.runner import decoder_table, run
from fuzzcore.config import get_config
from fuzzcore.events import EVENTS, NEVENTS
from fuzzcore.variants import Variant

QUICK = ["pks=byvalue", "ct=hard_old", "ct=norecursion", "pks=idtentry_only"]


def minimizer():
    """The real minimizer; a stand-in (drop single events while the oracle stays) only if
    fuzzcore.minimize is not there."""
    try:
        from fuzzcore.minimize import minimize
        return minimize
    except ImportError:
        return stand_in_minimize


class _Result:
    def __init__(self, program: Program, oracle: str):
        self.program, self.oracle = program, oracle


def stand_in_minimize(program, variant=None, oracle=None, config=None, cpu_vendor=None):
    events = list(program.events)
    i = 0
    while i < len(events):
        cand = program.with_events(events[:i] + events[i + 1:])
        if run(cand, variant, config, cpu_vendor).oracle == oracle:
            events = list(cand.events)
        else:
            i += 1
    return _Result(program.with_events(events), oracle)


def campaign(tmp_path: Path, variants=QUICK, runs=60_000, seed=1, name="out", **kw):
    kw.setdefault("minimizer", minimizer())
    return fz.fuzz(variants, runs=runs, seed=seed, out=str(tmp_path / name), progress=False,
                   **kw)


def headers_of(path: str) -> dict[str, str]:
    return Program.load(path).headers


def test_finds_known_bugs_quickly(tmp_path: Path) -> None:
    result = campaign(tmp_path)
    found = {(f.variant, f.oracle) for f in result.findings}
    for v in QUICK:
        expect = fz.expect_of(Variant.parse(v))
        assert (v, expect) in found, result.table()
    assert all(vs.done for vs in result.variants)
    assert result.execs < 60_000                      # every variant stopped once done
    assert result.exit_code == 0
    first = {f.variant: f for f in result.findings if f.oracle == f.expect}
    assert first["pks=byvalue"].execs < 100 and first["ct=hard_old"].execs < 20_000


def test_finding_saved_minimized_with_headers_and_replays(tmp_path: Path) -> None:
    result = campaign(tmp_path, ["ct=hard_old"])
    [f] = [f for f in result.findings if f.oracle == "rcu_eqs"]
    path = Path(f.path)
    assert path == tmp_path / "out" / "ct=hard_old" / "rcu_eqs.fz"
    h = headers_of(f.path)
    assert h["format"] == "fuzzcore-program 1" and h["config"] == "small"
    assert h["cpu-vendor"] == "intel" and h["variant"] == "ct=hard_old"
    assert h["expect"] == "rcu_eqs"
    raw = path.with_suffix(".bin").read_bytes()
    assert h["minimized-from"] == hashlib.sha1(raw).hexdigest()
    by = shlex.split(h["found-by"])
    assert by[:2] == ["fuzzcore", "fuzz"] and "--seed" in by and "--variant" in by
    program = Program.load(f.path)
    assert f.minimized and len(program) == f.length < f.raw_events
    assert run(program).oracle == "rcu_eqs"                       # its headers suffice
    assert run(program, Variant.reference()).oracle is None       # the fix holds
    # found-by reproduces: the same variant, seed and runs find the same input again
    opts = dict(zip(by[2::2], by[3::2]))
    again = fz.fuzz([opts["--variant"]], runs=int(opts["--runs"]), seed=int(opts["--seed"]),
                    out=str(tmp_path / "again"), progress=False, minimizer=minimizer())
    [g] = [g for g in again.findings if g.oracle == "rcu_eqs"]
    assert (g.raw_hash, g.execs) == (f.raw_hash, f.execs)
    assert Path(g.path).read_text() == path.read_text()


def test_deterministic_given_seed_and_runs(tmp_path: Path) -> None:
    variants = ["ct=hard_old", "pks=v9", "ct=soft_old"]
    a = campaign(tmp_path, variants, runs=15_000, name="a")
    b = campaign(tmp_path, variants, runs=15_000, name="b")
    key = [(f.variant, f.oracle, f.execs, f.raw_hash, f.length) for f in a.findings]
    assert key == [(f.variant, f.oracle, f.execs, f.raw_hash, f.length) for f in b.findings]
    assert key and a.execs == b.execs == 15_000     # judge and clean designs use it all
    for f, g in zip(a.findings, b.findings):
        assert Path(f.path).read_text() == Path(g.path).read_text()
    assert sorted(os.listdir(tmp_path / "a" / "corpus")) == \
        sorted(os.listdir(tmp_path / "b" / "corpus"))
    other = campaign(tmp_path, variants, runs=15_000, seed=2, name="c")
    assert [f.raw_hash for f in other.findings] != [f.raw_hash for f in a.findings]


def test_table_rows_and_stats_file(tmp_path: Path) -> None:
    result = campaign(tmp_path, ["pks=byvalue", "ct=soft_old"], runs=3_000)
    table = result.table()
    lines = table.splitlines()
    assert lines[0].split()[:2] == ["variant", "oracle"]
    [soft] = [ln for ln in lines if ln.startswith("ct=soft_old")]
    assert soft.split()[1] == "-" and soft.split()[-1] == "-"       # a '-' row
    [byv] = [ln for ln in lines if ln.startswith("pks=byvalue")]
    assert "pks_restore" in byv and byv.endswith("pks_restore.fz")
    stats = [json.loads(s) for s in (tmp_path / "out" / "stats.jsonl").read_text().splitlines()]
    assert stats and {"time", "execs", "execs_per_s", "coverage", "corpus",
                      "findings"} <= set(stats[-1])
    assert stats[-1]["execs"] == result.execs and stats[-1]["findings"] == 1


def corpus_is_consistent(folder: Path) -> None:
    names = os.listdir(folder)
    assert names and not [n for n in names if n.startswith(".")]       # no temporaries
    for n in names:
        assert hashlib.sha1((folder / n).read_bytes()).hexdigest() == n


def test_interrupt_keeps_findings_and_prints_table(tmp_path: Path) -> None:
    def hook(execs: int) -> None:
        if execs >= 8_000:
            raise KeyboardInterrupt

    result = campaign(tmp_path, ["pks=byvalue", "ct=soft_old", "pks=v9"], runs=10**9,
                      hook=hook)
    assert result.interrupted and result.exit_code == fz.EXIT_INTERRUPTED
    assert 8_000 <= result.execs <= 8_001
    assert result.findings and all(Path(f.path).is_file() and Path(f.bin_path).is_file()
                                   for f in result.findings)
    assert "pks=byvalue" in result.table() and "interrupted" in result.table()
    corpus_is_consistent(tmp_path / "out" / "corpus")


def test_sigint_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzzcore.cli", "fuzz", "--variant", "pks=byvalue",
         "--variant", "ct=soft_old", "--time", "0", "--seed", "3", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "pks=byvalue" / "pks_restore.fz").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "pks=byvalue" in stdout and "pks_restore.fz" in stdout and "Traceback" not in stderr
    assert run(Program.load(out / "pks=byvalue" / "pks_restore.fz")).oracle == "pks_restore"
    corpus_is_consistent(out / "corpus")


def test_jobs_share_the_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fz, "IMPORT_INTERVAL", 0.05)
    monkeypatch.setattr(fz, "JOBS_FLUSH_INTERVAL", 0.05)   # workers may end within a second
    corpus = tmp_path / "shared"
    result = campaign(tmp_path, ["ct=hard_old", "pks=v9"], runs=60_000, jobs=2,
                      corpus=str(corpus))
    assert result.jobs == 2 and not result.errors, result.errors
    assert result.execs >= 59_000
    assert ("ct=hard_old", "rcu_eqs") in {(f.variant, f.oracle) for f in result.findings}
    keys = [(f.variant, f.oracle) for f in result.findings]
    assert len(keys) == len(set(keys))                      # one finder per (variant, oracle)
    assert result.imported > 0                              # the workers read each other's
    corpus_is_consistent(corpus)
    for f in result.findings:
        assert run(Program.load(f.path)).oracle == f.oracle
        assert f"--seed {1 + f.worker}" in f.found_by


def test_corpus_dir_is_loaded_text_and_binary(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    text = (ROOT / "tests" / "programs" / "ct" / "exit_cs_preempt_dead_zone.fz").read_text()
    (corpus / "exit_cs.fz").write_text(text)
    (corpus / "random").write_bytes(bytes(range(40)))
    result = campaign(tmp_path, ["ct=exit_cs"], runs=10, corpus=str(corpus))
    [f] = [f for f in result.findings if f.oracle == "ct_user"]
    assert f.execs == 1            # the .fz seed ('exit_cs.fz' sorts before 'random')
    assert f"--corpus {corpus}" in f.found_by


# --- bad input: one line, exit 2 ---------------------------------------------------------------

def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def fuzz_cli(*args: str):
    return CliRunner().invoke(main, ["fuzz", "--runs", "100", *args])


def test_unknown_variant(tmp_path: Path) -> None:
    r = fuzz_cli("--variant", "pks=nonsense", "--out", str(tmp_path))
    assert r.exit_code == 2
    assert "pks=nonsense" in one_line(r.stderr)


def test_corpus_not_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    r = fuzz_cli("--corpus", str(f), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "not a directory" in one_line(r.stderr)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_corpus_dir(tmp_path: Path) -> None:
    d = tmp_path / "locked"
    d.mkdir()
    d.chmod(0)
    try:
        r = fuzz_cli("--corpus", str(d), "--out", str(tmp_path / "o"))
    finally:
        d.chmod(0o755)
    assert r.exit_code == 2 and str(d) in one_line(r.stderr)


@pytest.mark.parametrize("content", [b"cpu0 syscall\ncpu0 frobnicate\n", b"cpu0 sys\xffcall\n",
                                     b"cpu7 syscall\n"])
def test_corrupt_corpus_file(tmp_path: Path, content: bytes) -> None:
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "bad.fz").write_bytes(content)
    r = fuzz_cli("--corpus", str(d), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2
    line = one_line(r.stderr)
    assert "bad.fz" in line and "corrupt corpus file" in line
    assert not (tmp_path / "o" / "stats.jsonl").exists()     # nothing ran


def test_cli_runs_and_prints_the_table(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["fuzz", "--variant", "pks=byvalue", "--runs", "2000",
                                  "--seed", "5", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "pks_restore" in r.stdout and "variant" in r.stdout.splitlines()[0]
    assert (tmp_path / "pks=byvalue" / "pks_restore.fz").is_file()
    assert "finding: pks=byvalue pks_restore" in r.stderr


def test_full_disk_loses_no_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture) -> None:
    from fuzzcore.corpus import CorpusError

    def full(program, path):
        raise CorpusError(f"{path}: cannot save (No space left on device); the previous "
                          "file, if any, is unchanged")

    monkeypatch.setattr(fz, "save_program", full)
    result = fz.fuzz(["pks=byvalue"], runs=100, seed=1, out=str(tmp_path), progress=True,
                     minimizer=minimizer())
    [f] = result.findings
    assert f.path is None and "No space left" in f.error
    assert "(not saved)" in result.table() and result.exit_code == 1
    err = capsys.readouterr().err
    assert "No space left" in err and "# expect: pks_restore" in err   # the program itself
    assert Path(f.bin_path).is_file()


def test_corpus_dir_mirrors_the_bounded_corpus(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fz, "DEFAULT_MAX_CORPUS", 400)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "mine").write_bytes(bytes(range(64)))        # a user's file: never removed
    result = campaign(tmp_path, ["ct=soft_old"], runs=20_000, corpus=str(seeds))
    [vs] = result.variants
    files = set(os.listdir(seeds))
    assert "mine" in files and vs.corpus <= 400
    # the directory holds what the engine holds (its files were pruned with it), not more
    assert len(files) <= vs.corpus + 1 and len(files) >= vs.corpus // 2
    corpus_is_consistent_except(seeds, {"mine"})


def corpus_is_consistent_except(folder: Path, names: set[str]) -> None:
    for n in os.listdir(folder):
        assert not n.startswith(".")
        if n not in names:
            assert hashlib.sha1((folder / n).read_bytes()).hexdigest() == n


def test_kept_inputs_hold_only_events_that_did_something_and_cells_hold_their_states() -> None:
    """The engine keeps inputs without their skipped events (a kept input run again reports
    every one of its events as effective), and files each under the cell of every CPU's
    final state (run again, it ends there)."""
    from fuzzcore.config import get_config

    cfg = get_config("small")
    engine = fz.Engine(Variant.parse("fpu=sigfail_noreset"), cfg, "intel", seed=3)
    engine.fuzz(4000)
    assert len(engine.corpus) > 100 and len(engine.cell_keys) > 20
    m = engine.m
    for data in engine.corpus[:300]:
        m.reset()
        effective = bytearray()
        assert m.run_bytes(data, effective) < 0
        assert bytes(effective) == data
    for key in engine.cell_keys[:100]:
        for data in engine.cells[key]:
            m.reset()
            m.run_bytes(data)
            cells = [engine._cell_of(f) for f in m.value_features()]
            assert key in cells
    assert sum(engine.cell_chosen) > 0


def test_a_share_of_cell_choices_goes_to_the_newest_cells(monkeypatch) -> None:
    """The frontier: with CELL_RECENT_RATE at 1 every cell choice is among the newest
    CELL_RECENT cells; at 0 the choices spread over all of them."""
    engine = fz.Engine(Variant.parse("fpu=sigfail_noreset"), get_config("small"), "intel", seed=3)
    engine.fuzz(4000)
    n = len(engine.cell_keys)
    assert n > 2 * fz.CELL_RECENT
    monkeypatch.setattr(fz, "CELL_RATE", 1.0)
    for rate, chosen_old in ((1.0, False), (0.0, True)):
        monkeypatch.setattr(fz, "CELL_RECENT_RATE", rate)
        before = list(engine.cell_chosen)
        for _ in range(500):
            engine._pick()
        moved = [j for j in range(n) if engine.cell_chosen[j] != before[j]]
        assert moved and any(j < n - fz.CELL_RECENT for j in moved) == chosen_old


def test_a_nest_is_an_injected_event_a_short_body_and_ret_on_one_cpu() -> None:
    """_insert_nest puts, at an event boundary of the input, an injected event (irq about
    half the time), up to NEST_BODY events and ``ret``, all on one CPU (that of the event
    before, mostly); the input's own events are kept around it."""
    cfg = get_config("small")
    engine = fz.Engine(Variant.parse("reference"), cfg, "intel", seed=5)
    data = bytes(range(40, 60))
    heads, bodies, same_cpu = [], set(), 0
    for _ in range(2000):
        out = engine._insert_nest(data)
        extra = len(out) - len(data)
        p = next(i for i in range(0, len(data) + 1, 2) if out[:i] == data[:i]
                 and out[i + extra:] == data[i:])
        nest = out[p:p + extra]
        events = [(b0 % NEVENTS, engine._cpu_of(b0)) for b0 in nest[::2]]
        assert EVENTS[events[0][0]].injected and events[-1][0] == fz.OP_RET
        assert len({c for _, c in events}) == 1 and nest[1::2][-1] == 0
        heads.append(events[0][0])
        bodies.add(len(events) - 2)
        same_cpu += p > 0 and events[0][1] == engine._cpu_of(data[p - 2])
    assert bodies == set(range(fz.NEST_BODY + 1))
    assert 0.4 < heads.count(fz.OP_IRQ) / len(heads) < 0.7
    assert set(heads) == set(fz.INJECTED_OPS)
    assert same_cpu > 1200


@pytest.mark.parametrize("mode", MODES)
def test_grow_bytes_runs_the_candidates_that_do_something(mode: str) -> None:
    """Machine.grow_bytes (the engine's growth, in the core) is the same as running its
    candidates one at a time, made ``ret`` and moved to ``cpu`` where the draws say so,
    keeping those that did something, until k of them did or one violates."""
    import random

    cfg = get_config("small")
    engine = fz.Engine(Variant.parse("fpu=sigrestore_nobh"), cfg, "intel", seed=2)
    engine.fuzz(3000)
    parents = [d for d in engine.corpus if d][:150]
    core = load_core(mode)
    m = core.Machine(Variant.parse("fpu=sigrestore_nobh").codes(), cfg.code, 0)
    m.set_decoder(*decoder_table())
    g_event = L.G_EVENT
    rng = random.Random(7)
    grown_some = 0
    for data in parents * 4:
        k, cpu, draw = 1 + rng.randrange(4), engine._cpu_of(data[-2]), rng.randrange(257)
        ret_draw = rng.choice((0, fz.GROW_RET_DRAW, 256))
        pool = rng.randbytes(16 * k)
        m.reset()
        assert m.run_bytes(data) < 0
        expected, stop_expected = bytearray(), -1
        for i in range(4 * k):
            b0, b1 = pool[4 * i], pool[4 * i + 1]
            if pool[4 * i + 3] < ret_draw:
                b0 = fz.OP_RET + NEVENTS * (b0 // NEVENTS)
            if pool[4 * i + 2] < draw and engine._with_cpu(b0, cpu) <= 255:
                b0 = engine._with_cpu(b0, cpu)
            before = m.actions
            stop = m.run_bytes(bytes((b0, b1)))
            if m.actions != before:
                expected += bytes((b0, b1))
                if stop >= 0:
                    stop_expected = len(data) // 2 + len(expected) // 2 - 1
                    break
                if len(expected) == 2 * k:
                    break
        state = list(m.S)
        m.reset()
        m.run_bytes(data)
        effective = bytearray(b"prefix")
        stop = m.grow_bytes(pool, k, len(data) // 2, cpu, draw, ret_draw, effective)
        assert (bytes(effective[6:]), stop) == (bytes(expected), stop_expected)
        now = list(m.S)
        state[g_event] = now[g_event] = 0      # the event index: per run_bytes call above
        assert now == state
        grown_some += len(expected) > 0
    assert grown_some > 300


@pytest.mark.parametrize("mode", MODES)
def test_value_features_read_the_fields_their_docstring_names(mode: str) -> None:
    """One tuple per CPU of its current task's relations; a field moves when its state does,
    and only its CPU's tuple moves."""
    cfg = get_config("small")
    m = load_core(mode).Machine(Variant.parse("reference").codes(), cfg.code, 0)
    m.reset()
    before = m.value_features()
    assert [f[0] for f in before] == list(range(cfg.ncpu))
    assert {len(f) for f in before} == {34}
    assert all(f[1] and f[6] for f in before)   # registers hold the logical state, owned
    C = L.CPU_BASE + 1 * L.CPU_SIZE
    T = L.TASK_BASE + m.S[C + L.C_CURR] * L.TASK_SIZE
    m.S[T + L.T_NEED_FPU_LOAD] = 1
    m.S[C + L.C_FPU] = m.S[T + L.T_L_FPU] + 1
    after = m.value_features()
    assert after[0] == before[0]
    # fields 1-3: registers == logical, == image, == 0 (all 0 at first); 5: TIF_NEED_FPU_LOAD
    # and 33, the cell: bits 1, 2 and 5 are the flags of fields 1, 2 and 5 (3 is not coarse)
    assert [i for i in range(34) if after[1][i] != before[1][i]] == [1, 2, 3, 5, 33]
    assert after[1][5] == 1 and not after[1][1]
    assert after[1][33] ^ before[1][33] == 1 << 1 | 1 << 2 | 1 << 5
    assert before[1][33] >> 33 == 1 and before[0][33] >> 33 == 0     # the cpu


@pytest.fixture(params=["helper process", "inline"])
def disk_mode(request, monkeypatch) -> str:
    """The corpus writer both ways: in its forked helper, and inline (no ``os.fork``)."""
    if request.param == "inline":
        monkeypatch.delattr(os, "fork")
    return request.param


def test_corpus_writer_batches_and_skips_inputs_pruned_before_the_flush(
        tmp_path: Path, disk_mode: str) -> None:
    writer = fz.CorpusWriter(tmp_path, lambda msg: None)
    a, b = b"\x01\x00\x02\x00", b"\x03\x01"
    writer.add(a)
    writer.add(b)
    writer.drop(b)                          # pruned before any write: never on disk
    assert list(tmp_path.iterdir()) == []
    writer.sync()
    assert sorted(p.name for p in tmp_path.iterdir()) == [fz.input_hash(a)]
    assert (tmp_path / fz.input_hash(a)).read_bytes() == a
    assert bool(writer.disk.pid) == (disk_mode == "helper process")
    writer.drop(a)
    assert (tmp_path / fz.input_hash(a)).exists()   # removed at the next flush
    writer.sync()
    assert list(tmp_path.iterdir()) == []
    writer.add(a)                           # kept again after its removal: written again
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [fz.input_hash(a)]


def test_corpus_writer_gathers_while_its_helper_is_on_a_batch(tmp_path: Path,
                                                              monkeypatch) -> None:
    from fuzzcore import corpus_writer
    apply = corpus_writer.CorpusFiles.apply

    def slow_apply(self, batch):                # the helper, forked after this, is slow
        time.sleep(0.5)
        return apply(self, batch)

    monkeypatch.setattr(corpus_writer.CorpusFiles, "apply", slow_apply)
    writer = fz.CorpusWriter(tmp_path, lambda msg: None, interval=0.0)
    a, b, c = b"\x01\x00", b"\x02\x00", b"\x03\x00"
    writer.add(a)
    writer.flush_due()                          # handed over: the helper sleeps on it
    assert writer.disk.busy() and not writer.pending
    writer.add(b)
    writer.add(c)
    writer.flush_due()                          # busy: the loop does not wait, b and c stay
    assert set(writer.pending) == {fz.input_hash(b), fz.input_hash(c)}
    writer.drop(c)                              # pruned meanwhile: never touches the disk
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fz.input_hash(a), fz.input_hash(b)])


def test_corpus_writer_never_removes_a_file_it_did_not_write(tmp_path: Path,
                                                              disk_mode: str) -> None:
    seed = b"\x05\x00"
    (tmp_path / fz.input_hash(seed)).write_bytes(seed)     # a seed, or another job's file
    writer = fz.CorpusWriter(tmp_path, lambda msg: None)
    writer.add(seed)
    writer.sync()
    writer.drop(seed)
    writer.close()
    assert (tmp_path / fz.input_hash(seed)).read_bytes() == seed


def test_corpus_writer_close_leaves_every_kept_input_on_disk(tmp_path: Path,
                                                            disk_mode: str) -> None:
    writer = fz.CorpusWriter(tmp_path, lambda msg: None, interval=0.0)
    kept = [i.to_bytes(3, "little") for i in range(3000)]
    for i, data in enumerate(kept):
        writer.add(data)
        if i % 500 == 0:
            writer.flush_due()              # batches in flight while more are kept
    writer.close()
    assert {p.name for p in tmp_path.iterdir()} == {fz.input_hash(d) for d in kept}
    assert writer.waited >= 0.0 and not writer.failed


def test_corpus_writer_that_cannot_write_warns_once_and_keeps_going(tmp_path: Path,
                                                                   disk_mode: str) -> None:
    messages: list[str] = []
    folder = tmp_path / "corpus"
    folder.write_text("not a directory")
    writer = fz.CorpusWriter(folder, messages.append)
    for data in (b"\x01\x00", b"\x02\x00"):
        writer.add(data)
        writer.sync()
    writer.add(b"\x03\x00")
    writer.close()
    assert len(messages) == 1 and "cannot write corpus file" in messages[0], messages
    assert writer.failed


def test_corpus_writer_whose_helper_died_warns_once(tmp_path: Path) -> None:
    messages: list[str] = []
    writer = fz.CorpusWriter(tmp_path, messages.append)
    writer.add(b"\x01\x00")
    writer.sync()
    os.kill(writer.disk.pid, signal.SIGKILL)
    writer.add(b"\x02\x00")
    writer.sync()                           # no exception: the campaign goes on
    writer.add(b"\x03\x00")
    writer.close()
    assert len(messages) == 1 and "writer process died" in messages[0], messages
    assert (tmp_path / fz.input_hash(b"\x01\x00")).exists()
