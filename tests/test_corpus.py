"""The corpus (SPEC 3.4, 6): loading recursively, every bad entry reported with file:line:col
and none skipped, one clear error for an unreadable directory, atomic saves (including a
simulated full disk), non-clobbering ``add``, and replay (``fuzzcore replay``) on one core and
on both cores, which must agree."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROGRAMS, ROOT, program_files

from fuzzcore import corpus as corpus_module
from fuzzcore import replay as replay_module
from fuzzcore.cli import main
from fuzzcore.corpus import Corpus, CorpusError, read_entry, save
from fuzzcore.program import Program
from fuzzcore.replay import replay
from fuzzcore.variants import Variant

GOOD = "# variant: pks=byvalue\n# expect: pks_restore\n" + "".join(
    f"{e.text()}\n" for e in Program.load(PROGRAMS / "pks" / "byvalue_irq_during_kmap.fz").events)


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- loading ----------------------------------------------------------------------------------

def test_load_reads_every_program_recursively() -> None:
    c = Corpus.load(PROGRAMS)
    assert c.ok and len(c) == len(program_files())
    for entry in c:
        assert entry.program.expect == entry.expect
        assert entry.variant == Variant.parse(entry.program.variant or "")
        assert entry.path.suffix == ".fz"


BAD = {
    # name: (content, expected "line:col: message" fragment)
    "corrupt_utf8.fz": (b"# expect: clean\ncpu0 syscall\ncpu0 r\xc3et\n", ":3:7: invalid UTF-8"),
    "truncated_mid_line.fz": (GOOD.encode()[:-7], ":8:5: missing event"),
    "truncated_value.fz": (b"# expect: clean\ncpu0 syscall\ncpu0 sigreturn 25",
                           ":3:18: no newline at the end of the last line"),
    "invalid_line.fz": ("# expect: clean\ncpu0 syscall\ncpu7 ret\n", ":3:1: cpu7 outside"),
    "no_expect.fz": ("# variant: pks=byvalue\ncpu0 syscall\n", ":1:1: no '# expect:' header"),
    "unknown_variant.fz": ("# expect: clean\n# variant: pks=nope\ncpu0 syscall\n",
                           ":2:12: variant: unknown pks design 'nope'"),
    "unknown_expect.fz": ("#  expect:  judge\ncpu0 syscall\n", ":1:13: expect 'judge'"),
    "empty.fz": (b"", ":1:1: empty file"),
}


def test_bad_entries_are_reported_with_their_location_never_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pks" / "byvalue.fz", GOOD)
    for name, (content, _) in BAD.items():
        write(tmp_path / "bad" / name, content)
    write(tmp_path / "notes.txt", "not a corpus file")        # not .fz: not an entry
    c = Corpus.load(tmp_path)
    assert [e.path.name for e in c] == ["byvalue.fz"]
    assert len(c.problems) == len(BAD) and not c.ok
    by_name = {Path(p.path).name: str(p) for p in c.problems}
    for name, (_, fragment) in BAD.items():
        assert fragment in by_name[name], by_name[name]
        assert by_name[name].startswith(str(tmp_path / "bad" / name) + ":")


def test_unreadable_directory_is_one_clear_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CorpusError, match="no such corpus directory"):
        Corpus.load(tmp_path / "missing")
    write(tmp_path / "file.fz", GOOD)
    with pytest.raises(CorpusError, match="not a directory"):
        Corpus.load(tmp_path / "file.fz")
    # Permission bits do not stop root, so the refusal is simulated where the OS would say it.
    locked = tmp_path / "locked"
    write(locked / "sub" / "a.fz", GOOD)
    real_scandir = os.scandir

    def scandir(path=".", *args):
        if Path(path) in (locked, locked / "sub"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(CorpusError) as info:
        Corpus.load(locked)
    assert str(info.value) == f"{locked}: cannot read corpus directory: Permission denied"
    # An unreadable subdirectory is a problem of the corpus, not silently nothing.
    monkeypatch.setattr(os, "scandir", lambda path=".", *a: (
        scandir(path, *a) if Path(path) != locked else real_scandir(path, *a)))
    c = Corpus.load(locked)
    assert len(c) == 0 and [str(p) for p in c.problems] == [
        f"{locked / 'sub'}: cannot read directory: Permission denied"]


def test_read_entry_accepts_what_save_writes(tmp_path: Path) -> None:
    program = Program.parse(GOOD)
    entry = read_entry(save(program, tmp_path / "x.fz"))
    assert entry.program.events == program.events and entry.expect == "pks_restore"


# --- atomic saves -----------------------------------------------------------------------------

def test_save_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "entry.fz"
    save(Program.parse(GOOD), target)
    assert target.read_text() == Program.parse(GOOD).serialize()
    os.chmod(target, 0o640)
    other = Program.parse("# expect: clean\ncpu0 syscall\n")
    save(other, target)
    assert target.read_text() == other.serialize()
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)     # the mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.fz"]


@pytest.mark.parametrize("failing", ["fsync", "write", "replace"])
def test_a_failed_save_leaves_the_old_file_intact(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   failing: str) -> None:
    target = tmp_path / "entry.fz"
    save(Program.parse(GOOD), target)
    before = target.read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(corpus_module.os, failing, disk_full)
    with pytest.raises(CorpusError) as info:
        save(Program.parse("# expect: clean\ncpu0 syscall\n"), target)
    monkeypatch.undo()
    message = str(info.value)
    assert message.startswith(f"{target}: cannot save (No space left on device)")
    assert "\n" not in message
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.fz"]   # no temp file left


# --- adding -----------------------------------------------------------------------------------

def test_add_names_by_design_and_never_clobbers(tmp_path: Path) -> None:
    c = Corpus.load(tmp_path / "corpus", create=True)
    first = c.add(Program.parse(GOOD))
    assert first == tmp_path / "corpus" / "pks" / "byvalue.fz"
    assert c.add(Program.parse(GOOD)) == first                  # the same finding: not twice
    variant2 = Program.parse(GOOD.replace("cpu0 kunmap", "cpu0 kunmap\ncpu1 nmi"))
    second = c.add(variant2)
    assert second.name == "byvalue-2.fz"
    foreign = "# note: someone else's file\n# expect: clean\ncpu1 nmi\n"
    write(second.with_name("byvalue-3.fz"), foreign)
    third = c.add(Program.parse(GOOD.replace("cpu0 irq 0", "cpu0 irq 1")))
    assert third.name == "byvalue-4.fz"
    assert second.with_name("byvalue-3.fz").read_text() == foreign
    ct = c.add(Program.parse("# variant: ct=soft/old/new/noguard\n# expect: clean\ncpu0 ret\n"))
    assert ct.relative_to(c.root) == Path("ct", "soft-old-new-noguard.fz")
    multi = c.add(Program.parse("# variant: pks=percpu,pasid=v1\n# expect: clean\ncpu0 ret\n"))
    assert multi.relative_to(c.root) == Path("multi", "pks-percpu+pasid-v1.fz")
    ref = c.add(Program.parse("# expect: clean\ncpu0 ret\n"))
    assert ref.relative_to(c.root) == Path("reference", "clean.fz")
    with pytest.raises(ValueError, match="expect"):
        c.add(Program.parse("cpu0 ret\n"))
    again = Corpus.load(c.root)
    assert again.ok and len(again) == 7


def test_concurrent_adds_never_share_a_name(tmp_path: Path) -> None:
    programs = [Program.parse(GOOD + "".join(["cpu1 nmi\n"] * i)) for i in range(12)]
    corpora = [Corpus.load(tmp_path, create=True) for _ in programs]   # as separate processes
    paths: list[Path] = []
    threads = [threading.Thread(target=lambda c=c, p=p: paths.append(c.add(p)))
               for c, p in zip(corpora, programs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == len(programs)
    loaded = Corpus.load(tmp_path)
    assert loaded.ok and sorted(e.program.events for e in loaded) == sorted(
        p.events for p in programs)


# --- replay -----------------------------------------------------------------------------------

def test_replay_of_the_programs_passes() -> None:
    report = replay([str(PROGRAMS)])
    assert report.ok, "\n".join(report.lines())
    assert report.lines()[-1] == f"{len(program_files())} passed, 0 failed"


def test_replay_on_both_cores_agrees() -> None:
    report = replay([str(PROGRAMS)], cores=["compiled", "interpreted"])
    assert report.ok, "\n".join(report.lines())
    assert all(e.cores == ("compiled", "interpreted") for e in report.entries)
    for path in program_files():
        entry = read_entry(path)
        compiled = replay_module.verdict(entry.program, entry.variant,
                                         replay_module.load_core("compiled"))
        interpreted = replay_module.verdict(entry.program, entry.variant,
                                            replay_module.load_core("interpreted"))
        assert compiled == interpreted
        assert (compiled is not None) == (entry.program.expect != "clean")


def test_replay_reports_disagreeing_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    real = replay_module._run
    interpreted = replay_module.load_core("interpreted")
    monkeypatch.setattr(replay_module, "_run", lambda p, v, m=None: (
        (None, ()) if m is interpreted and not v.is_reference else real(p, v, m)))
    report = replay([str(PROGRAMS / "pks" / "byvalue_irq_during_kmap.fz")],
                    cores=["compiled", "interpreted"])
    assert not report.ok
    assert "cores disagree on the variant: compiled: violation: pks_restore" in report.lines()[0]
    assert "interpreted: clean" in report.lines()[0]


def test_replay_fails_bad_entries_and_mismatches(tmp_path: Path) -> None:
    write(tmp_path / "ok.fz", GOOD)
    write(tmp_path / "wrong.fz", GOOD.replace("pks_restore", "rcu_eqs"))
    write(tmp_path / "broken.fz", b"# expect: clean\ncpu0 \xff\n")
    lines = replay([str(tmp_path)]).lines()
    assert lines[-1] == "1 passed, 2 failed"
    assert any(line.startswith("ERROR") and "broken.fz:2:6: invalid UTF-8" in line
               for line in lines)
    assert any(line.startswith("FAIL") and "expected rcu_eqs, got pks_restore" in line
               for line in lines)
    with pytest.raises(CorpusError, match="no such file or directory"):
        replay([str(tmp_path / "missing")])
    with pytest.raises(ValueError, match="unknown core"):
        replay([str(tmp_path)], cores=["fast"])


def test_replay_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = CliRunner().invoke(main, ["replay", str(PROGRAMS), "--cores", "compiled,interpreted",
                                  "-q"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [f"{len(program_files())} passed, 0 failed"]
    r = CliRunner().invoke(main, ["replay", str(PROGRAMS), "--cores", "compiled,slow"])
    assert r.exit_code == 2 and r.stderr.startswith("fuzzcore: unknown core 'slow'")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".", *a: (
        (_ for _ in ()).throw(PermissionError(errno.EACCES, "Permission denied", str(path)))
        if Path(path) == locked else real_scandir(path, *a)))
    r = CliRunner().invoke(main, ["replay", str(locked)])
    assert r.exit_code == 2
    assert r.stderr == f"fuzzcore: {locked}: cannot read corpus directory: Permission denied\n"


def test_replay_command_in_a_subprocess_on_both_cores() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FUZZCORE_PURE_PYTHON"}
    out = subprocess.run([sys.executable, "-m", "fuzzcore.cli", "replay", "tests/programs",
                          "--cores", "compiled,interpreted"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == f"{len(program_files())} passed, 0 failed"
