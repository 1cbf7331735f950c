"""The command line (SPEC 4): ``fuzzcore run`` exit codes, ``--json``, ``--trace``, flags over
headers, one-line errors for bad input; ``fuzzcore variants --json``.

In-process tests use click's CliRunner with the ``use_core`` fixture (both cores); a few run
``python -m fuzzcore.cli`` in a subprocess, as a user would, to see the real stderr and exit
status."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS, ROOT

from fuzzcore.cli import main
from fuzzcore.variants import DESIGNS, ORACLES, SUBSYSTEMS, variants_json

VIOLATING = PROGRAMS / "ct" / "hard_old_get_user.fz"     # ct=hard_old, rcu_eqs at event 4
CLEAN_TEXT = "cpu0 syscall\ncpu0 step\ncpu1 ret\ncpu0 step\ncpu0 ret\n"
JSON_KEYS = {"verdict", "oracle", "event_index", "cpu", "task", "variant"}


def cli(*args: str, input: str | bytes | None = None):
    result = CliRunner().invoke(main, list(args), input=input)
    return result


def write(tmp_path: Path, text: str | bytes, name: str = "p.fz") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def subprocess_cli(*args: str, pure: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "FUZZCORE_PURE_PYTHON"}
    if pure:
        env["FUZZCORE_PURE_PYTHON"] = "1"
    return subprocess.run([sys.executable, "-m", "fuzzcore.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def one_line_error(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert "Traceback" not in stderr and lines[0].strip()
    return lines[0]


# --- exit codes and output -----------------------------------------------------------------

def test_clean_program_exits_0(use_core, tmp_path: Path) -> None:
    r = cli("run", write(tmp_path, CLEAN_TEXT))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("clean")
    assert r.stderr == ""


def test_violation_exits_1(use_core) -> None:
    r = cli("run", str(VIOLATING))
    assert r.exit_code == 1, r.output
    assert "rcu_eqs" in r.stdout and "event 4" in r.stdout


def test_json_clean(use_core, tmp_path: Path) -> None:
    r = cli("run", "--json", write(tmp_path, CLEAN_TEXT))
    assert r.exit_code == 0
    obj = json.loads(r.stdout)
    assert JSON_KEYS <= set(obj)
    assert obj["verdict"] == "clean" and obj["oracle"] is None
    assert obj["event_index"] is None and obj["cpu"] is None and obj["task"] is None
    assert obj["variant"] == "reference"


def test_json_violation(use_core) -> None:
    r = cli("run", "--json", str(VIOLATING))
    assert r.exit_code == 1
    obj = json.loads(r.stdout)
    assert JSON_KEYS <= set(obj)
    assert obj["verdict"] == "violation" and obj["oracle"] == "rcu_eqs"
    assert obj["event_index"] == 4 and obj["cpu"] == 0 and obj["task"] == "t0"
    assert obj["variant"] == "ct=hard_old"
    assert obj["oracle"] in ORACLES


def test_trace_marks_skips_names_steps_and_fields(use_core, tmp_path: Path) -> None:
    r = cli("run", "--trace", write(tmp_path, CLEAN_TEXT))
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    skipped = [line for line in lines if "skip" in line.lower()]
    assert len(skipped) == 1 and "cpu1 ret" in skipped[0]
    assert not any("skip" in line.lower() for line in lines if "cpu0 syscall" in line)
    text = r.stdout
    for step in ("swapgs", "user_exit", "syscall_exit_to_user_mode_prepare"):
        assert step in text, step
    # field-named changes
    assert any("cpu0.gs_user" in line and "1" in line and "0" in line for line in lines)
    assert any("cpu0.ct" in line and "USER" in line and "KERNEL" in line for line in lines)
    assert any("cpu0.if" in line for line in lines)
    assert "clean" in lines[-1]


def test_trace_ends_with_the_violation(use_core) -> None:
    r = cli("run", "--trace", str(VIOLATING))
    assert r.exit_code == 1
    assert "rcu_eqs" in r.stdout.splitlines()[-1]


def test_trace_json(use_core, tmp_path: Path) -> None:
    r = cli("run", "--trace", "--json", write(tmp_path, CLEAN_TEXT))
    obj = json.loads(r.stdout)
    assert [e["skipped"] for e in obj["trace"]] == [False, False, True, False, False]
    assert [e["event"] for e in obj["trace"]] == CLEAN_TEXT.splitlines()
    steps = obj["trace"][1]["steps"]
    assert [s["name"] for s in steps] == ["swapgs"]
    assert ["cpu0.gs_user", "1", "0"] in steps[0]["changes"]


def test_stdin(use_core) -> None:
    r = cli("run", "--json", "-", input=VIOLATING.read_bytes())
    assert r.exit_code == 1 and json.loads(r.stdout)["oracle"] == "rcu_eqs"


def test_debug_flag(use_core) -> None:
    assert cli("run", "--debug", str(VIOLATING)).exit_code == 1


# --- flags override headers ------------------------------------------------------------------

def test_variant_flag_overrides_the_header(use_core) -> None:
    r = cli("run", "--json", "--variant", "reference", str(VIOLATING))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["variant"] == "reference"
    r = cli("run", "--json", "--variant", "ct=fast_syscall32", str(VIOLATING))
    assert json.loads(r.stdout)["variant"] == "ct=fast_syscall32"


def test_config_flag_overrides_the_header(use_core, tmp_path: Path) -> None:
    path = write(tmp_path, "# config: small\ncpu3 syscall\n")
    r = cli("run", path)
    assert r.exit_code == 2                        # cpu3 is outside small
    r = cli("run", "--json", "--config", "large", path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["config"] == "large"
    path = write(tmp_path, "# config: large\ncpu0 syscall\n", "q.fz")
    assert json.loads(cli("run", "--json", "--config", "medium", path).stdout)["config"] == \
        "medium"


def test_vendor_flag_overrides_the_header(use_core, tmp_path: Path) -> None:
    path = write(tmp_path, "# cpu-vendor: intel\ncpu0 syscall\n")
    obj = json.loads(cli("run", "--json", "--cpu-vendor", "amd", path).stdout)
    assert obj["cpu_vendor"] == "amd"
    obj = json.loads(cli("run", "--json", path).stdout)
    assert obj["cpu_vendor"] == "intel"


# --- bad input: exit 2, one line, no traceback ------------------------------------------------

BAD_FILES = {
    "unknown event": ("cpu0 syscal\n", "syscal"),
    "bad argument": ("cpu0 wrpkru 300\n", "300"),
    "cpu outside config": ("cpu7 syscall\n", "cpu7"),
    "task outside config": ("cpu0 wake t9\n", "t9"),
    "unknown variant header": ("# variant: foo=bar\ncpu0 syscall\n", "foo"),
    "unknown design header": ("# variant: ct=nope\ncpu0 syscall\n", "nope"),
    "malformed variant header": ("# variant: nonsense\ncpu0 syscall\n", "nonsense"),
    "unknown config header": ("# config: huge\ncpu0 syscall\n", "huge"),
    "unknown vendor header": ("# cpu-vendor: via\ncpu0 syscall\n", "via"),
    "bad format header": ("# format: fuzzcore-program 9\ncpu0 syscall\n", "9"),
    "non-utf8": (b"cpu0 syscall\n\xff\xfe\n", "UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_exits_2_with_one_line(use_core, tmp_path: Path, case: str) -> None:
    text, word = BAD_FILES[case]
    path = write(tmp_path, text)
    r = cli("run", path)
    assert r.exit_code == 2, r.output
    line = one_line_error(r.stderr)
    assert word in line
    assert r.stdout == ""


@pytest.mark.parametrize("variant,word", [("foo=bar", "foo"), ("ct=nope", "nope"),
                                          ("nonsense", "nonsense"), ("pks=ptregs,pks=v9", "pks")])
def test_bad_variant_flag_exits_2_with_one_line(use_core, variant: str, word: str) -> None:
    r = cli("run", "--variant", variant, str(VIOLATING))
    assert r.exit_code == 2, r.output
    assert word in one_line_error(r.stderr)


def test_missing_file_exits_2_with_one_line(use_core, tmp_path: Path) -> None:
    r = cli("run", str(tmp_path / "nope.fz"))
    assert r.exit_code == 2
    assert "nope.fz" in one_line_error(r.stderr)


@pytest.mark.parametrize("case", ["unknown event", "non-utf8", "unknown design header"])
def test_bad_input_in_a_real_process(tmp_path: Path, case: str) -> None:
    text, word = BAD_FILES[case]
    out = subprocess_cli("run", write(tmp_path, text))
    assert out.returncode == 2
    assert word in one_line_error(out.stderr)
    assert out.stdout == ""


def test_missing_file_in_a_real_process(tmp_path: Path) -> None:
    out = subprocess_cli("run", str(tmp_path / "missing.fz"))
    assert out.returncode == 2
    assert "missing.fz" in one_line_error(out.stderr)


@pytest.mark.parametrize("args", [("--config", "huge"), ("--cpu-vendor", "via"), ("DIR",)])
def test_bad_option_values_are_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    argv = [str(tmp_path) if a == "DIR" else a for a in args]
    if "DIR" not in args:
        argv.append(str(VIOLATING))
    out = subprocess_cli("run", *argv)
    assert out.returncode == 2
    one_line_error(out.stderr)


def test_real_process_exit_codes_and_cores_agree() -> None:
    outs = [subprocess_cli("run", "--json", "--trace", str(VIOLATING), pure=p)
            for p in (False, True)]
    assert [o.returncode for o in outs] == [1, 1]
    assert json.loads(outs[0].stdout) == json.loads(outs[1].stdout)
    clean = subprocess_cli("run", "--variant", "reference", str(VIOLATING))
    assert clean.returncode == 0 and clean.stderr == ""


# --- fuzzcore variants ---------------------------------------------------------------------------

def test_variants_json() -> None:
    r = cli("variants", "--json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert isinstance(rows, list) and len(rows) == len(DESIGNS)
    keys = {"subsystem", "design", "reference", "expect", "source", "description"}
    for row in rows:
        assert isinstance(row, dict) and keys <= set(row), row
        assert row["subsystem"] in SUBSYSTEMS
        assert isinstance(row["reference"], bool)
        assert row["expect"] in ORACLES + ("clean", "judge")
        assert isinstance(row["source"], str) and row["source"]
        assert isinstance(row["description"], str) and row["description"]
        if row["reference"]:
            assert row["expect"] == "clean"
    assert len({(r["subsystem"], r["design"]) for r in rows}) == len(rows)
    for sub in SUBSYSTEMS:
        assert sum(1 for r in rows if r["subsystem"] == sub and r["reference"]) == 1, sub
    assert rows == variants_json()


def test_variants_table_lists_every_design() -> None:
    r = cli("variants")
    assert r.exit_code == 0
    for d in DESIGNS:
        assert any(d.subsystem in line and d.design in line for line in r.stdout.splitlines())
