"""The Atheris harnesses and the instrumented core (SPEC 3.1).

In process (no atheris needed): the harness shape of ``harnesses/*.py``, the variant choice,
the violation report (``DEDUP_TOKEN:`` and an exception holding the oracle, the variant and a
text program that reproduces it) for every breaking program in ``tests/programs``, the
differential mode, the model-coverage bookkeeping, the launcher's plan and the engine's
fall-back lines.

In subprocesses, through the launcher (skipped without atheris): every harness runs a few
hundred inputs cleanly and finds a crash on a buggy design; both model-coverage feeds reach
libFuzzer; and, with the instrumented build (skipped without clang), libFuzzer's ``cov:`` after
the same ``-runs``/``-seed`` is larger than with the normal core: the core reports its own
edges.  Every run has a fixed ``-seed``, a small budget and ``-artifact_prefix`` in a temporary
directory.
"""
from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, program_files

from fuzzcore import atheris_launch, engine, harness, instrumented, runner
from fuzzcore.config import CONFIGS
from fuzzcore.engine import load_source_core
from fuzzcore.harness import (CoreDisagreement, FoundViolation, Harness, HarnessError,
                              NoveltyFeed)
from fuzzcore.program import Program
from fuzzcore.variants import CLEAN, DESIGNS, ORACLES, Variant

HARNESSES = {"fuzz_all.py": "all", "fuzz_pks.py": "pks", "fuzz_fpu.py": "fpu",
             "fuzz_ct.py": "ct"}
GROUP_OF = {"pks": "pks", "fpu": "fpu", "pkru": "fpu", "pasid": "fpu", "ct": "ct"}

HAVE_ATHERIS = importlib.util.find_spec("atheris") is not None
needs_atheris = pytest.mark.skipif(
    not HAVE_ATHERIS, reason="atheris is not installed (bash scripts/install-deps)")
needs_instrumented = pytest.mark.skipif(
    instrumented.core_path() is None,
    reason=f"{instrumented.missing_reason()}: the instrumented core is not there to test")


# --- harness files --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_harness_file_has_the_atheris_shape(name: str) -> None:
    """Shebang and run bit (libFuzzer's -fork/-merge re-run argv[0]), a docstring saying what
    it hunts, TestOneInput returning early on unusable input, Setup/Fuzz under __main__."""
    path = ROOT / "harnesses" / name
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env python3\n")
    assert os.access(path, os.X_OK), f"{name} is not executable"
    tree = ast.parse(text)
    doc = ast.get_docstring(tree)
    assert doc and doc.startswith("Hunts"), doc
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    first = funcs["TestOneInput"].body[0]
    assert isinstance(first, ast.If) and isinstance(first.body[0], ast.Return)
    main = [n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
    calls = {ast.unparse(c.func) for c in ast.walk(main[0]) if isinstance(c, ast.Call)}
    assert {"atheris.Setup", "atheris.Fuzz", "libfuzzer_argv"} <= calls
    assert f'harness_or_exit("{HARNESSES[name]}"' in text


def test_libfuzzer_defaults_come_first_and_a_flag_in_argv_wins() -> None:
    assert harness.LIBFUZZER_DEFAULTS == ("-entropic=0", "-reduce_inputs=0")
    assert harness.libfuzzer_argv(["h.py", "corpus", "-runs=5"]) == [
        "h.py", "-entropic=0", "-reduce_inputs=0", "corpus", "-runs=5"]
    assert harness.libfuzzer_argv(["h.py", "-entropic=1", "-runs=5"]) == [
        "h.py", "-reduce_inputs=0", "-entropic=1", "-runs=5"]
    assert harness.libfuzzer_argv(["h.py", "-reduce_inputs=1", "-entropic=1"]) == [
        "h.py", "-reduce_inputs=1", "-entropic=1"]
    assert harness.libfuzzer_argv(["h.py"]) == ["h.py", "-entropic=0", "-reduce_inputs=0"]
    # a file that merely starts like the flag is not the flag
    assert harness.libfuzzer_argv(["h.py", "entropic=1"]) == [
        "h.py", "-entropic=0", "-reduce_inputs=0", "entropic=1"]


# --- which variants ---------------------------------------------------------------------------

def test_default_variants_are_the_non_reference_designs_expected_to_break() -> None:
    for group, subs in harness.GROUPS.items():
        got = {d.subsystem + "=" + d.design for v in harness.default_variants(group)
               for d in v.non_reference()}
        want = {d.subsystem + "=" + d.design for d in DESIGNS if d.subsystem in subs
                and not d.reference and (group == "all" or d.expect != CLEAN)}
        assert got == want, group
    assert "ct=soft_old" not in {str(v) for v in harness.default_variants("ct")}
    assert "ct=soft_old" in {str(v) for v in harness.default_variants("all")}
    assert len(harness.default_variants("all")) == sum(not d.reference for d in DESIGNS)
    fpu = {str(v).split("=")[0] for v in harness.default_variants("fpu")}
    assert fpu == {"fpu", "pkru", "pasid"}


def test_variant_env_must_name_the_harness_subsystems() -> None:
    env = {harness.VARIANT_ENV: "pks=byvalue; pks=percpu"}
    assert [str(v) for v in Harness("pks", env=env).variants] == ["pks=byvalue", "pks=percpu"]
    both = {harness.VARIANT_ENV: "pks=byvalue,ct=hard_old"}
    assert [str(v) for v in Harness("all", env=both).variants] == ["pks=byvalue,ct=hard_old"]
    for group, text in (("pks", "ct=hard_old"), ("fpu", "pks=byvalue,pkru=xsave"),
                        ("ct", "pasid=v1")):
        with pytest.raises(HarnessError) as e:
            Harness(group, env={harness.VARIANT_ENV: text})
        assert "\n" not in str(e.value) and "fuzz_all" in str(e.value)
    for env in ({harness.VARIANT_ENV: "pks=nosuch"}, {harness.CONFIG_ENV: "huge"},
                {harness.VENDOR_ENV: "via"}, {harness.MODE_ENV: "both"},
                {harness.MODEL_COVERAGE_ENV: "sometimes"}):
        with pytest.raises(HarnessError) as e:
            Harness("all", env=env)
        assert "\n" not in str(e.value)


# --- the report of a violation ----------------------------------------------------------------

def breaking_programs() -> list[Path]:
    return [p for p in program_files()
            if Program.load(p).expect not in (None, CLEAN)
            and not Variant.parse(Program.load(p).variant or "").is_reference]


@pytest.mark.parametrize("path", breaking_programs(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_violation_prints_dedup_token_and_raises_with_the_program(
        path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The binary form of every breaking program, through its subsystem's harness: the
    exception names the oracle and the variant and holds a text program that reproduces it."""
    program = Program.load(path)
    cfg = CONFIGS[program.config]
    try:
        data = program.to_bytes(cfg)
    except ValueError:
        pytest.skip("no binary form")
    variant = Variant.parse(program.variant or "")
    group = GROUP_OF[variant.non_reference()[0].subsystem]
    env = {harness.VARIANT_ENV: program.variant or "", harness.CONFIG_ENV: program.config,
           harness.VENDOR_ENV: program.cpu_vendor}
    h = Harness(group, found_by="test", env=env)
    with pytest.raises(FoundViolation) as e:
        h.run(data)
    found = e.value
    assert found.oracle == program.expect
    assert found.variant == str(variant)
    err = capsys.readouterr().err
    assert f"DEDUP_TOKEN: {program.expect}\n" in err
    message = str(found)
    assert message.startswith(f"{program.expect} on variant {variant}")
    assert found.program in message
    text = Program.parse(found.program)
    assert text.variant == str(variant) and text.expect == program.expect
    assert "decoder mismatch" not in message
    assert runner.run(text).oracle == program.expect
    assert len(text.events) <= len(program.events)


def test_clean_inputs_return_and_unusable_inputs_are_harmless() -> None:
    import random
    h = Harness("all", env={harness.VARIANT_ENV: "ct=soft_old"})
    rng = random.Random(5)
    for n in (0, 1, 2, 3, 64, 129):
        h.run(rng.randbytes(n))


def test_differential_mode_compares_the_cores(capsys: pytest.CaptureFixture[str]) -> None:
    program = Program.load(ROOT / "tests/programs/pks/byvalue_irq_during_kmap.fz")
    data = program.to_bytes()
    env = {harness.VARIANT_ENV: "pks=byvalue", harness.MODE_ENV: "differential"}
    h = Harness("pks", env=env)
    h.run(data)                         # the cores agree; the violation is not raised here
    cfg = CONFIGS["small"]
    h.interpreted[0] = runner.new_machine(Variant.parse("pks=ptregs"), cfg, "intel",
                                          module=load_source_core())
    with pytest.raises(CoreDisagreement) as e:
        h.run(data)
    assert "DEDUP_TOKEN: differential" in capsys.readouterr().err
    assert "compiled stops at" in str(e.value) and "cpu0 kmap" in str(e.value)


# --- model coverage bookkeeping ---------------------------------------------------------------

class FakeMachine:
    """What NoveltyFeed reads of a machine: the global bitmap and the run's count."""

    def __init__(self):
        self.cov = bytearray(1 << 20)
        self.cov_new = 0

    def set(self, *entries: int) -> None:
        for i in entries:
            if not self.cov[i]:
                self.cov[i] = 1
                self.cov_new += 1


def test_novelty_feed_finds_the_entries_a_run_set_first() -> None:
    feed = NoveltyFeed(1)
    m = FakeMachine()
    m.set(5, 4096, 70000, (1 << 20) - 1)
    assert sorted(feed.new_entries(0, m)) == [5, 4096, 70000, (1 << 20) - 1]
    m.cov_new = 0
    m.set(6, 70000, 123457)
    assert sorted(feed.new_entries(0, m)) == [6, 123457]


def test_novelty_feed_slots_use_counter_buckets() -> None:
    feed = NoveltyFeed(3)
    seen, n = set(), 0
    for k in range(3):
        for entry in range(0, 1 << 20, 997):
            counter, hits = feed.slot(k, entry)
            assert 0 <= counter < feed.COUNTERS and hits in feed.BUCKET_HITS
            seen.add((counter, hits))
            n += 1
    assert len(seen) > 0.95 * n         # few collisions
    many = {feed.slot(0, entry) for entry in range(0, 1 << 20, 7)}
    assert len(many) > 4 * feed.COUNTERS   # up to 8 features per counter


def test_harness_turns_model_coverage_on() -> None:
    h = Harness("pks", env={harness.VARIANT_ENV: "pks=ptregs"})
    per_run = hasattr(h.machines[0], "cov_run")      # the core lists a run's own features
    assert h.machines[0].cov_on == 1
    assert h.model_mode == ("exact" if per_run else "novelty")
    assert (h.exact is not None) == per_run and (h.model is not None) != per_run
    off = Harness("pks", env={harness.VARIANT_ENV: "pks=ptregs", harness.MODEL_COVERAGE_ENV: "0"})
    assert off.machines[0].cov_on == 0 and off.model is None and off.exact is None
    exact = Harness("pks", env={harness.VARIANT_ENV: "pks=ptregs",
                                harness.MODEL_COVERAGE_ENV: "exact"})
    assert exact.exact is not None and exact.model is None
    exact.run(b"\x01\x00" * 8)          # no libFuzzer here: the buffer stays unregistered
    assert not exact.exact.started


# --- the launcher and the engine's fall-backs -------------------------------------------------

@needs_atheris
def test_launcher_preloads_the_sanitizer_library_and_asks_for_the_instrumented_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = ROOT / "fuzzcore" / "_core.py"          # any file: "the build is there"
    monkeypatch.setattr(instrumented, "core_path", lambda: fake)
    argv, env, note = atheris_launch.plan("h.py", ["-runs=1"], {"LD_PRELOAD": "/x.so"})
    assert note is None and argv[1:] == ["h.py", "-runs=1"]
    first, rest = env["LD_PRELOAD"].split(" ", 1)
    assert first.endswith("/ubsan_with_fuzzer.so") and Path(first).is_file() and rest == "/x.so"
    assert env[instrumented.CORE_ENV] == "instrumented"
    _, env, _ = atheris_launch.plan("h.py", [], {atheris_launch.SANITIZER_ENV: "asan"})
    assert env["LD_PRELOAD"].endswith("/asan_with_fuzzer.so")
    assert "detect_leaks=0" in env["ASAN_OPTIONS"]


@needs_atheris
@pytest.mark.parametrize("clang", [None, "/usr/bin/clang"])
def test_launcher_without_the_instrumented_build_says_so_in_one_line(
        monkeypatch: pytest.MonkeyPatch, clang: str | None) -> None:
    monkeypatch.setattr(instrumented, "core_path", lambda: None)
    monkeypatch.setattr(instrumented, "clang", lambda: clang)
    _, env, note = atheris_launch.plan("h.py", [], {})
    assert note is not None and "\n" not in note
    assert note.startswith("fuzzcore: no instrumented core")
    assert note.endswith("running the uninstrumented core")
    assert ("clang not found" in note) == (clang is None)
    assert "LD_PRELOAD" not in env and env[instrumented.CORE_ENV] == "normal"


def test_engine_falls_back_in_one_line_when_the_build_is_missing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(instrumented, "core_path", lambda: None)
    monkeypatch.setattr(instrumented, "clang", lambda: None)
    monkeypatch.setenv(instrumented.CORE_ENV, "instrumented")
    monkeypatch.delenv(engine.PURE_ENV, raising=False)
    module = engine.load_core()
    assert engine.is_compiled(module) and not engine.is_instrumented(module)
    err = capsys.readouterr().err.splitlines()
    assert err == ["fuzzcore: no instrumented core: clang not found (apt-get install clang, "
                   "then bash scripts/install-deps); using the uninstrumented core"]


@needs_instrumented
def test_engine_falls_back_in_one_line_without_the_preload() -> None:
    out = run([sys.executable, "-c", "import fuzzcore.engine as e; "
               "print(e.core.__file__, e.INSTRUMENTED)"], {instrumented.CORE_ENV: "instrumented"})
    assert out.returncode == 0, out.stdout
    lines = out.stdout.splitlines()
    assert lines[0] == ("fuzzcore: the instrumented core needs libFuzzer preloaded (run "
                        "harnesses through scripts/atheris-run); using the uninstrumented core")
    assert lines[1].endswith("fuzzcore/_core" + importlib.machinery.EXTENSION_SUFFIXES[0]
                             + " False")


# --- through the launcher, in subprocesses ----------------------------------------------------

def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FUZZCORE_") and k not in ("LD_PRELOAD", "ASAN_OPTIONS")}
    env.update(extra)
    return env


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, env=clean_env(env), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def launch(name: str, flags: list[str], env: dict[str, str],
           normal: bool = False) -> subprocess.CompletedProcess:
    """The harness through the launcher (instrumented core when built), or, ``normal``,
    straight on the normal core."""
    path = str(ROOT / "harnesses" / name) if not name.startswith("/") else name
    if normal:
        return run([sys.executable, path, *flags], {instrumented.CORE_ENV: "normal", **env})
    return run([sys.executable, "-m", "fuzzcore.atheris_launch", path, *flags], env)


def final_cov(output: str) -> int:
    """libFuzzer's last ``cov:`` figure (0 when it printed none: no counters at all)."""
    found = re.findall(r"\bcov: (\d+)", output)
    return int(found[-1]) if found else 0


CLEAN_VARIANT = {"fuzz_all.py": "reference", "fuzz_pks.py": "pks=ptregs",
                 "fuzz_fpu.py": "fpu=lazy", "fuzz_ct.py": "ct=soft_old"}


@needs_atheris
@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_harness_runs_a_few_hundred_inputs(name: str, tmp_path: Path) -> None:
    out = launch(name, ["-runs=400", "-seed=1", "-len_control=0", "-max_len=256",
                        f"-artifact_prefix={tmp_path}/"],
                 {harness.VARIANT_ENV: CLEAN_VARIANT[name]})
    assert out.returncode == 0, out.stdout[-3000:]
    assert "Done 400 runs" in out.stdout
    variant = Variant.parse(CLEAN_VARIANT[name])
    assert f"fuzzcore {HARNESSES[name]} harness: 1 variant(s) [{variant}]" in out.stdout
    assert "entropic power schedule" not in out.stdout     # LIBFUZZER_DEFAULTS reached it


@needs_atheris
def test_a_libfuzzer_flag_given_overrides_the_harness_default(tmp_path: Path) -> None:
    out = launch("fuzz_pks.py", ["-runs=50", "-seed=1", "-entropic=1",
                                 f"-artifact_prefix={tmp_path}/"],
                 {harness.VARIANT_ENV: CLEAN_VARIANT["fuzz_pks.py"]})
    assert out.returncode == 0, out.stdout[-3000:]
    assert "INFO: Running with entropic power schedule" in out.stdout


# (harness, environment, flags, seeds to try in turn).  pks and all find one from an empty
# corpus in a few hundred runs; ct=norecursion in a few thousand; the FPU family needs deeper
# event sequences: pkru=xsave on AMD, long inputs, some 3,000-20,000 runs.
CRASHES = {
    "fuzz_pks.py": ({}, ["-runs=5000"], (1, 2)),
    "fuzz_all.py": ({}, ["-runs=5000"], (1, 2)),
    "fuzz_ct.py": ({harness.VARIANT_ENV: "ct=norecursion"},
                   ["-runs=20000", "-len_control=0", "-max_len=512"], (1, 2, 4)),
    "fuzz_fpu.py": ({harness.VARIANT_ENV: "pkru=xsave", harness.VENDOR_ENV: "amd"},
                    ["-runs=30000", "-len_control=0", "-max_len=512"], (3, 4, 1, 6)),
}


@needs_atheris
@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_harness_finds_a_crash_on_a_buggy_design(name: str, tmp_path: Path) -> None:
    env, flags, seeds = CRASHES[name]
    for seed in seeds:
        out = launch(name, [*flags, f"-seed={seed}", f"-artifact_prefix={tmp_path}/"], env)
        if "DEDUP_TOKEN:" in out.stdout:
            break
    else:
        pytest.fail(f"no crash with seeds {seeds}:\n{out.stdout[-3000:]}")
    assert out.returncode != 0
    oracle = re.search(r"^DEDUP_TOKEN: (\w+)$", out.stdout, re.M).group(1)
    assert oracle in ORACLES
    m = re.search(rf"^FoundViolation: {oracle} on variant (\S+): violation: {oracle} at event",
                  out.stdout, re.M)
    assert m, out.stdout[-3000:]
    variant = m.group(1)
    if harness.VARIANT_ENV in env:
        assert variant == env[harness.VARIANT_ENV]
    text = out.stdout[m.end():].split("\n", 1)[1].split("\n\n", 1)[0]
    program = Program.parse(text)
    assert program.variant == variant and program.expect == oracle and program.events
    assert runner.run(program).oracle == oracle
    assert list(tmp_path.glob("crash-*")), "libFuzzer wrote no crash file"


@needs_atheris
def test_model_coverage_feeds_reach_libfuzzer(tmp_path: Path) -> None:
    """On the normal core libFuzzer sees nothing but the model: no cov without a feed, some
    with either feed (Atheris' counters; a buffer registered with libFuzzer itself)."""
    cov = {}
    for mode in ("0", "novelty", "exact"):
        out = launch("fuzz_all.py", ["-runs=1000", "-seed=1", "-len_control=0", "-max_len=256",
                                     f"-artifact_prefix={tmp_path}/"],
                     {harness.VARIANT_ENV: "reference", harness.MODEL_COVERAGE_ENV: mode},
                     normal=True)
        assert out.returncode == 0, out.stdout[-3000:]
        assert f"model coverage {'off' if mode == '0' else mode}" in out.stdout
        cov[mode] = final_cov(out.stdout)
    assert cov["0"] == 0, cov
    assert cov["novelty"] > 50 and cov["exact"] > 50, cov


@needs_atheris
@needs_instrumented
def test_instrumented_core_reports_its_own_edges(tmp_path: Path) -> None:
    """Same harness, -runs, -seed: libFuzzer's cov: is larger with the instrumented core, and
    without model coverage the normal core gives it nothing at all."""
    flags = ["-runs=500", "-seed=1", f"-artifact_prefix={tmp_path}/"]
    cov = {}
    for model in ("novelty", "0"):
        env = {harness.VARIANT_ENV: "reference", harness.MODEL_COVERAGE_ENV: model}
        inst = launch("fuzz_all.py", flags, env)
        normal = launch("fuzz_all.py", flags, env, normal=True)
        for out in (inst, normal):
            assert out.returncode == 0, out.stdout[-3000:]
        assert ", instrumented core," in inst.stdout and "Coverage symbols" not in inst.stdout
        assert ", uninstrumented core," in normal.stdout
        assert re.search(r"INFO: Loaded 1 modules +\((\d+) inline 8-bit counters\)", inst.stdout)
        cov[model] = final_cov(inst.stdout), final_cov(normal.stdout)
    assert cov["novelty"][0] > cov["novelty"][1], cov
    assert cov["0"][1] == 0 and cov["0"][0] >= 100, cov


@needs_instrumented
@pytest.mark.skipif(shutil.which("objdump") is None, reason="objdump (binutils) is not installed")
def test_instrumented_core_instruments_the_model_and_not_the_coverage_hooks() -> None:
    """setup.py's lists: sanitizer counters are bumped in Machine's C methods only, none in
    NOT_INSTRUMENTED.  A bump is ``addb $0x1`` (or ``incb``) to an address in the
    ``__sancov_cntrs`` section."""
    so = str(instrumented.core_path())
    tree = ast.parse((ROOT / "setup.py").read_text())
    setup = {ast.unparse(n.targets[0]): ast.literal_eval(n.value) for n in tree.body
             if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) in
             ("CDEF_METHOD", "NOT_INSTRUMENTED")}
    sections = subprocess.run(["objdump", "-h", so], capture_output=True, text=True).stdout
    size, vma = re.search(r"__sancov_cntrs\s+([0-9a-f]+)\s+([0-9a-f]+)", sections).groups()
    lo, hi = int(vma, 16), int(vma, 16) + int(size, 16)
    bumps: dict[str, int] = {}
    function = ""
    for line in subprocess.run(["objdump", "-d", so], capture_output=True,
                               text=True).stdout.splitlines():
        if head := re.match(r"[0-9a-f]+ <(.+)>:$", line):
            function = head.group(1)
        elif (bump := re.search(r"(?:addb\s+\$0x1,|incb\s).*# ([0-9a-f]+)", line)) and \
                lo <= int(bump.group(1), 16) < hi:
            bumps[function] = bumps.get(function, 0) + 1
    method = setup["CDEF_METHOD"]
    outside = sorted(f for f in bumps if not f.startswith(method))
    assert not outside, outside[:10]
    assert sum(bumps.values()) == hi - lo          # every counter is in one of them
    assert not {method + name for name in setup["NOT_INSTRUMENTED"]} & set(bumps)
    assert bumps[method + "event"] > 10 and bumps[method + "check_pks"] > 10


@needs_atheris
@needs_instrumented
def test_instrumented_core_is_built_from_the_current_source(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import json, fuzzcore.engine as e\n"
        "from fuzzcore.variants import Variant\n"
        "src = e.load_source_core()\n"
        "m, n = e.core.Machine(Variant().codes(), 2, 0), src.Machine(Variant().codes(), 2, 0)\n"
        "print(json.dumps({'instrumented': e.INSTRUMENTED, 'file': e.core.__file__,\n"
        "    'steps': list(e.core.STEP_NAMES) == list(src.STEP_NAMES),\n"
        "    'state': bytes(m.S) == bytes(n.S)}))\n")
    out = run([sys.executable, "-m", "fuzzcore.atheris_launch", str(probe)], {})
    assert out.returncode == 0, out.stdout
    info = json.loads(out.stdout.splitlines()[-1])
    assert info == {"instrumented": True, "file": str(instrumented.core_path()),
                    "steps": True, "state": True}, "stale: run scripts/build-instrumented"


@needs_atheris
def test_launcher_without_the_instrumented_build_runs_uninstrumented(tmp_path: Path) -> None:
    code = ("import sys, fuzzcore.instrumented as i; i.core_path = lambda: None; "
            "i.clang = lambda: None; from fuzzcore.atheris_launch import main; "
            "sys.exit(main(sys.argv[1:]))")
    out = run([sys.executable, "-c", code, str(ROOT / "harnesses" / "fuzz_pks.py"),
               "-runs=50", "-seed=1", f"-artifact_prefix={tmp_path}/"],
              {harness.VARIANT_ENV: "pks=ptregs"})
    assert out.returncode == 0, out.stdout[-3000:]
    notes = [line for line in out.stdout.splitlines() if line.startswith("fuzzcore:")]
    assert notes == ["fuzzcore: no instrumented core: clang not found (apt-get install clang, "
                     "then bash scripts/install-deps); running the uninstrumented core"]
    assert ", uninstrumented core," in out.stdout


def test_atheris_run_script_usage_and_bad_harness() -> None:
    script = str(ROOT / "scripts" / "atheris-run")
    assert os.access(script, os.X_OK)
    usage = run(["bash", script], {})
    assert usage.returncode == 2 and usage.stdout.startswith("usage: scripts/atheris-run")
    missing = run(["bash", script, "harnesses/nosuch.py"], {})
    assert missing.returncode == 2
    assert missing.stdout.strip() == "fuzzcore: no harness 'harnesses/nosuch.py'"
