"""Replay programs with their expected verdicts (SPEC 3.4): the regression gate of CI.

Data flow: corpus / test programs (read through ``corpus.py``) -> machine, on one or several
cores -> a report.  An entry passes when its variant gives its ``expect``ed verdict and, for a
non-reference variant, the reference design is clean on it (the fix holds).  Asked for several
cores (``compiled``, ``interpreted``), every entry runs on each and must give the identical
violation (oracle, event, micro-step, CPU, task, values) on all of them; a disagreement fails
the entry.  A file that is not a usable entry fails too, with its location: nothing is skipped.
"""
from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from . import runner, state_check
from .config import get_config
from .corpus import Corpus, CorpusEntry, CorpusError, read_entry
from .engine import is_compiled, load_source_core
from .program import Program, ProgramError
from .runner import ModelError, Violation
from .variants import ORACLES, Variant

__all__ = ["CORES", "Entry", "Report", "load_core", "program_files", "replay", "replay_entry",
           "replay_file", "verdict"]

CORES: tuple[str, ...] = ("compiled", "interpreted")


@dataclass
class Entry:
    path: str
    variant: str
    expect: str
    got: str
    reference: str | None      # the reference design's verdict, when the variant is not it
    error: str | None = None
    cores: tuple[str, ...] = ()    # the cores it ran on (empty: the default core)
    state: str | None = None       # its # expect-state mismatches, if any

    @property
    def ok(self) -> bool:
        return (self.error is None and self.got == self.expect
                and self.reference in (None, "clean") and self.state is None)


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
            elif not e.ok and e.state and e.got == e.expect:
                out.append(f"FAIL   {e.path}: {e.variant} -> {e.got}, but {e.state}")
            elif not e.ok:
                ref = f", reference {e.reference}" if e.reference not in (None, "clean") else ""
                out.append(f"FAIL   {e.path}: {e.variant} expected {e.expect}, got {e.got}{ref}")
            else:
                out.append(f"ok     {e.path}: {e.variant} -> {e.got}")
        bad = sum(not e.ok for e in self.entries)
        out.append(f"{len(self.entries) - bad} passed, {bad} failed")
        return out


def load_core(name: str) -> ModuleType:
    """The core module called ``name``: the compiled extension or ``_core.py`` interpreted."""
    if name == "interpreted":
        return load_source_core()
    if name == "compiled":
        module = importlib.import_module("fuzzcore._core")
        if not is_compiled(module):
            raise ValueError("the compiled core is not built (python setup.py build_ext "
                             "--inplace, or pip install .)")
        return module
    raise ValueError(f"unknown core {name!r} (valid: {', '.join(CORES)})")


def verdict(program: Program, variant: Variant, module: ModuleType | None = None
            ) -> Violation | None:
    """The first violation of ``program`` on ``variant`` (its own config and vendor headers),
    on ``module`` (default: the core ``runner`` uses), or None when clean."""
    return _run(program, variant, module)[0]


def _run(program: Program, variant: Variant, module: ModuleType | None
         ) -> tuple[Violation | None, tuple[state_check.StateMismatch, ...]]:
    """The verdict, and on the program's own variant its ``# expect-state`` mismatches."""
    cfg = get_config(program.config)
    m = runner.new_machine(variant, cfg, program.cpu_vendor, runner.debug_default(),
                           module=module)
    m.run(program.to_arrays(cfg))
    if m.S[runner.core_index("G_VIOL")] == len(ORACLES) + 1:
        raise ModelError(f"model invariant broken: {m.debug_error}")
    own = variant == runner.resolve_variant(None, program)
    mismatches = state_check.check(program, m.S, cfg) if own else ()
    return runner.read_violation(m.S, cfg), mismatches


def _describe(v: Violation | None) -> str:
    return v.describe() if v else "clean"


def replay_entry(entry: CorpusEntry, cores: Iterable[str] | None = None) -> Entry:
    """Run one entry on its variant and on the reference, on each of ``cores``."""
    names = tuple(cores or ())
    modules = [load_core(n) for n in names] or [None]
    variant = entry.variant
    runs: list[tuple[Violation | None, Violation | None]] = []
    states: list[tuple[state_check.StateMismatch, ...]] = []
    try:
        for module in modules:
            got, mismatches = _run(entry.program, variant, module)
            ref = None if variant.is_reference else _run(entry.program,
                                                         Variant.reference(), module)[0]
            runs.append((got, ref))
            states.append(mismatches)
    except (ModelError, ValueError) as e:
        return Entry(str(entry.path), str(variant), entry.expect, "?", None,
                     error=f"internal model error: {e}" if isinstance(e, ModelError) else str(e),
                     cores=names)
    got, ref = runs[0]
    for k in range(1, len(runs)):
        name, other = names[k], runs[k]
        if other != runs[0]:
            which = "variant" if other[0] != got else "reference"
            return Entry(str(entry.path), str(variant), entry.expect, "?", None,
                         error=f"cores disagree on the {which}: {names[0]}: "
                               f"{_describe(runs[0][0 if which == 'variant' else 1])}; {name}: "
                               f"{_describe(other[0 if which == 'variant' else 1])}",
                         cores=names)
        if states[k] != states[0]:
            return Entry(str(entry.path), str(variant), entry.expect, "?", None,
                         error=f"cores disagree on the final state: {names[0]} and {name}",
                         cores=names)
    return Entry(str(entry.path), str(variant), entry.expect, got.oracle if got else "clean",
                 None if variant.is_reference else (ref.oracle if ref else "clean"),
                 cores=names,
                 state="; ".join(m.describe() for m in states[0]) or None)


def _problem(error: ProgramError) -> Entry:
    return Entry(error.path, "?", "?", "?", None, error=str(error))


def program_files(paths: Iterable[str]) -> list[Path]:
    """Every .fz file under the given files and directories, sorted; unreadable ones raise."""
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            corpus = Corpus.load(path)
            files += sorted([e.path for e in corpus.entries]
                            + [Path(e.path) for e in corpus.problems if os.path.isfile(e.path)])
        elif path.exists():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return files


def replay_file(path: Path | str, cores: Iterable[str] | None = None) -> Entry:
    try:
        return replay_entry(read_entry(path), cores)
    except ProgramError as e:
        return _problem(e)


def replay(paths: Iterable[str], cores: Iterable[str] | None = None) -> Report:
    """Replay every entry under ``paths`` (directories are read as corpora, recursively).
    A missing path or an unreadable directory raises :class:`~fuzzcore.corpus.CorpusError`."""
    cores = tuple(cores or ())
    for name in cores:
        load_core(name)                  # an unknown or missing core fails before any run
    report = Report()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            corpus = Corpus.load(path)
            results = [(str(e.path), replay_entry(e, cores)) for e in corpus.entries]
            results += [(e.path, _problem(e)) for e in corpus.problems]
            report.entries += [entry for _, entry in sorted(results, key=lambda r: r[0])]
        elif path.exists():
            report.entries.append(replay_file(path, cores))
        else:
            raise CorpusError(f"{path}: no such file or directory")
    return report
