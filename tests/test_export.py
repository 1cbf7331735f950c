"""Export (SPEC 3.5): the annotated trace, JSON, the standalone pytest regression test (run in a
subprocess: it fails on the buggy variant and passes with FUZZCORE_VARIANT=reference) and the
Mermaid sequence diagram (checked against the subset of Mermaid's sequenceDiagram grammar it
emits, naming every CPU and task involved); ``fuzzcore export`` exit codes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS, reproducer_files

from fuzzcore.cli import main
from fuzzcore.export import FORMATS, export
from fuzzcore.program import Program
from fuzzcore.runner import run

THREAD_SLOT = PROGRAMS / "pks" / "thread_slot_nested.fz"
IPI = PROGRAMS / "pasid" / "rule_t_update_pasid_invalidates.fz"


def programs() -> list[Path]:
    return reproducer_files()


# --- trace ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", programs(), ids=lambda p: p.stem)
def test_trace_has_one_line_per_event_and_ends_with_the_violation(path: Path) -> None:
    program = Program.load(path)
    result = run(program)
    text = export(program, "trace")
    lines = text.splitlines()
    assert lines[0].startswith(f"# fuzzcore trace: variant {result.variant}")
    heads = [line for line in lines if re.match(r"^ {0,2}\d+  cpu\d", line)]
    assert [int(h.split()[0]) for h in heads] == list(range(result.events_run))
    for head, event in zip(heads, program.events):
        assert head.split("//")[0].split()[1:3] == event.text().split()[:2]
    assert lines[-1] == result.violation.describe()
    assert f"<== {result.oracle}" in text
    # Only state that matters: no frame bookkeeping, no verdict slots.
    comments = [line.split("//", 1)[1] for line in lines if "//" in line]
    assert comments
    assert not [c for c in comments if re.search(r"\.frame\[|\.phase|\.seq|\bviol", c)]


def test_trace_shows_the_pks_story_in_kernel_names() -> None:
    text = export(Program.load(THREAD_SLOT), "trace")
    assert "t0.thread.pkrs PKS_INIT -> RW(1), t0.refcount 0 -> 1" in text
    assert "cpu0.PKRS RW(1) -> PKS_INIT" in text
    assert re.search(r"^       \. pks_update:second_write +// cpu0\.PKRS PKS_INIT -> RW\(1\)$",
                     text, re.M)
    assert "~ irq 0 held (IF=0)" in text and "~ irq 0 taken" in text


def test_trace_of_the_ipi_names_fpu_and_pasid_state() -> None:
    text = export(Program.load(IPI), "trace")
    assert "t0.TIF_NEED_FPU_LOAD 0 -> 1" in text
    assert "t0.fpstate.pasid invalid -> 1" in text
    assert "cpu0.current t0 -> k0" in text


def test_trace_of_a_clean_program() -> None:
    text = export(Program.parse("cpu0 syscall\ncpu0 ret\ncpu0 kmap\n"), "trace")
    assert text.splitlines()[-1] == "verdict: clean (3 events)"
    assert "  2  cpu0 kmap   [skipped]" in text


# --- json -------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [THREAD_SLOT, IPI], ids=lambda p: p.stem)
def test_json_has_events_verdict_and_step_diffs(path: Path) -> None:
    program = Program.load(path)
    data = json.loads(export(program, "json"))
    if program.expect == "clean":
        assert data["verdict"] == "clean" and data["oracle"] is None
    else:
        assert data["verdict"] == "violation" and data["oracle"] == program.expect
    assert data["program"]["events"] == [e.text() for e in program.events]
    assert Program.parse(data["program"]["text"]).events == program.events
    assert data["events"] == len(data["trace"])
    assert [t["event"] for t in data["trace"]] == [e.text() for e in program.events][
        :data["events"]]
    changes = [c for t in data["trace"] for s in t["steps"] for c in s["changes"]]
    assert ["cpu0.if", "1", "0"] in changes
    assert all(s["kind"] in ("event", "step", "irq_taken", "irq_held", "nmi_latched")
               for t in data["trace"] for s in t["steps"])


# --- pytest -----------------------------------------------------------------------------------

def run_pytest(path: Path, variant: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FUZZCORE_VARIANT", "PYTEST_ADDOPTS")}
    if variant is not None:
        env["FUZZCORE_VARIANT"] = variant
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(path)], cwd=path.parent, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("path", [THREAD_SLOT, PROGRAMS / "pkru" / "write_pkru_image_amd.fz"],
                         ids=lambda p: p.stem)
def test_pytest_export_fails_on_the_bug_and_passes_on_the_fix(path: Path,
                                                               tmp_path: Path) -> None:
    program = Program.load(path)
    test_file = tmp_path / f"test_{path.stem}.py"
    test_file.write_text(export(program, "pytest", source=str(path)))
    buggy = run_pytest(test_file, None)
    assert buggy.returncode == 1, buggy.stdout + buggy.stderr
    assert f"violation: {program.expect} at event" in buggy.stdout
    fixed = run_pytest(test_file, "reference")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "1 passed" in fixed.stdout


def test_pytest_export_embeds_any_text_exactly(tmp_path: Path) -> None:
    program = Program.parse("# note: quotes ''' and a backslash \\ survive\n"
                            "# variant: pks=byvalue\ncpu0 syscall\n")
    source = export(program, "pytest")
    assert "FAILS while the bug is present" in source
    namespace: dict[str, object] = {}
    exec(compile(source, "exported.py", "exec"), namespace)
    assert namespace["PROGRAM"] == program.serialize()
    assert namespace["BUGGY_VARIANT"] == "pks=byvalue"


# --- mermaid ----------------------------------------------------------------------------------

_NAME = r"(?:cpu|t|k|idle)\d+"
_MERMAID_LINE = re.compile(
    rf"sequenceDiagram|    participant {_NAME}"
    rf"|    {_NAME}(?:->>|-->>|-\)|-x){_NAME}: [^;#\n]+"
    rf"|    Note over {_NAME},{_NAME}: [^;#\n]+")


@pytest.mark.parametrize("path", programs(), ids=lambda p: p.stem)
def test_mermaid_is_a_sequence_diagram_naming_every_cpu_and_task(path: Path) -> None:
    program = Program.load(path)
    result = run(program)
    text = export(program, "mermaid")
    lines = text.splitlines()
    assert lines[0] == "sequenceDiagram"
    for line in lines:
        assert _MERMAID_LINE.fullmatch(line), line
    declared = [line.split()[1] for line in lines if line.startswith("    participant ")]
    assert len(set(declared)) == len(declared)
    used = set()
    for line in lines[1:]:
        m = re.match(rf"    ({_NAME})(?:->>|-->>|-\)|-x)({_NAME}):", line)
        if m:
            used |= {m.group(1), m.group(2)}
    assert used <= set(declared)
    ran = program.events[:result.events_run]
    assert {f"cpu{e.cpu}" for e in ran} <= set(declared)
    assert {e.arg for e in ran if isinstance(e.arg, str)} <= set(declared)
    assert sum(bool(re.search(r": \[\d+\] ", line)) for line in lines) == result.events_run
    assert lines[-1].startswith(f"    Note over cpu{result.violation.cpu},"
                                f"{result.violation.task}: violation: {result.oracle}")


def test_mermaid_shows_context_switches_between_tasks() -> None:
    text = export(Program.load(IPI), "mermaid")
    assert "    t0-->>k0: switch on cpu0" in text and "    k0-->>t0: switch on cpu0" in text
    assert "    t1->>t2: [1] migrate t2" in text


# --- the command ------------------------------------------------------------------------------

def cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_export_every_format(fmt: str, tmp_path: Path) -> None:
    r = cli("export", str(THREAD_SLOT), "--format", fmt)
    assert r.exit_code == 0, r.output
    assert r.stdout == export(Program.load(THREAD_SLOT), fmt, source=str(THREAD_SLOT))
    out = tmp_path / f"out.{fmt}"
    r = cli("export", str(THREAD_SLOT), "--format", fmt, "-o", str(out))
    assert r.exit_code == 0 and out.read_text() == r.stdout or out.read_text()


def test_cli_export_flags_override_headers() -> None:
    r = cli("export", str(THREAD_SLOT), "--format", "json", "--variant", "reference")
    assert json.loads(r.stdout)["verdict"] == "clean"


def test_cli_export_bad_input(tmp_path: Path) -> None:
    src = tmp_path / "p.fz"
    src.write_bytes(THREAD_SLOT.read_bytes())
    r = cli("export", str(src), "--format", "trace", "-o", str(src))
    assert r.exit_code == 2 and "refusing to overwrite the input" in r.stderr
    assert src.read_bytes() == THREAD_SLOT.read_bytes()
    bad = tmp_path / "bad.fz"
    bad.write_bytes(b"cpu0 syscall\ncpu0 \xfe\n")
    for args in (("export", str(bad), "--format", "trace"),
                 ("export", str(src), "--format", "trace", "--variant", "pks=nope"),
                 ("export", str(tmp_path / "missing.fz"), "--format", "mermaid")):
        r = cli(*args)
        assert r.exit_code == 2, r.output
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("fuzzcore: ")
