"""Replay programs with their expected verdicts (SPEC 3.4): the regression gate of CI.

Data flow: corpus / test programs (text, with ``# variant:`` and ``# expect:`` headers) ->
runner -> a report.  An entry passes when its variant gives its ``expect``ed verdict and, for a
non-reference variant, the reference design is clean on it (the fix holds).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .program import Program, ProgramError
from .runner import run
from .variants import Variant, VariantError


@dataclass
class Entry:
    path: str
    variant: str
    expect: str
    got: str
    reference: str | None      # the reference design's verdict, when the variant is not it
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.got == self.expect and self.reference in (None, "clean")


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries) and bool(self.entries)

    def lines(self) -> list[str]:
        out = []
        for e in self.entries:
            if e.error:
                out.append(f"ERROR  {e.path}: {e.error}")
            elif not e.ok:
                ref = f", reference {e.reference}" if e.reference not in (None, "clean") else ""
                out.append(f"FAIL   {e.path}: {e.variant} expected {e.expect}, got {e.got}{ref}")
            else:
                out.append(f"ok     {e.path}: {e.variant} -> {e.got}")
        bad = sum(not e.ok for e in self.entries)
        out.append(f"{len(self.entries) - bad} passed, {bad} failed")
        return out


def program_files(paths: Iterable[str]) -> list[Path]:
    """Every .fz file under the given files and directories, sorted; unreadable ones raise."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                raise OSError(f"{path}: directory not readable")
            files += sorted(path.rglob("*.fz"))
        elif path.exists():
            files.append(path)
        else:
            raise OSError(f"{path}: no such file or directory")
    return files


def replay_file(path: Path) -> Entry:
    try:
        program = Program.load(path)
        if program.expect is None:
            raise ProgramError("no '# expect:' header", str(path))
        variant = Variant.parse(program.variant or "")
        result = run(program, variant)
        reference = None
        if not variant.is_reference:
            reference = run(program, Variant.reference()).verdict
        got = result.oracle or "clean"
        return Entry(str(path), str(variant), program.expect, got, reference)
    except (ProgramError, VariantError, ValueError) as e:
        return Entry(str(path), "?", "?", "?", None, error=str(e))


def replay(paths: Iterable[str]) -> Report:
    return Report([replay_file(p) for p in program_files(paths)])
