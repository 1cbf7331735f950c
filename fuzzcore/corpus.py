"""The corpus (SPEC 3.4): reproducers kept as text programs, each with its expected verdict.

Data flow: events -> program -> machine -> oracles -> minimize -> **corpus** / export.  A
corpus is a directory of ``.fz`` files (SPEC 2.1 text, with ``# variant:`` and ``# expect:``
headers).  :meth:`Corpus.add` files a program as ``<subsystem>/<design>[-n].fz``, but any
layout loads: entries are read recursively.  Replay (``replay.py``) and the fuzzing campaign
read and write it through this module only.

Two promises (SPEC 6):

* **Nothing bad is skipped silently.**  An entry that cannot be used (unreadable, corrupt UTF-8,
  a truncated or invalid line, no ``expect``, an unknown variant) becomes a
  :class:`~fuzzcore.program.ProgramError` in :attr:`Corpus.problems`, located as
  ``file:line:col``.  Only an unreadable corpus directory itself is an exception
  (:class:`CorpusError`), with one clear line.
* **Writes are atomic.**  :func:`save` writes a temporary file in the same directory, fsyncs it
  and renames it over the target: a reader sees the old file or the new one, never half of
  one, and a failure (a full disk) leaves the old file intact and raises :class:`CorpusError`.
  :meth:`Corpus.add` never overwrites: it links the finished file to the first free name, which
  is atomic and safe with several campaign processes adding at once.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .program import Program, ProgramError
from .runner import resolve_variant
from .variants import CLEAN, ORACLES, Variant, VariantError

__all__ = ["Corpus", "CorpusEntry", "CorpusError", "read_entry", "save", "atomic_write",
           "write_output"]

SUFFIX = ".fz"
_HEADER_LINE = re.compile(r"\s*#\s*([a-z-]+)\s*:\s*(.*)")


class CorpusError(OSError):
    """A corpus directory or file that cannot be read or written; the message is one line."""


@dataclass(frozen=True)
class CorpusEntry:
    """One usable corpus file: its program, the variant it runs on and the verdict expected."""

    path: Path
    program: Program
    variant: Variant
    expect: str             # an oracle name or "clean"


def _header_position(text: str, key: str) -> tuple[int, int]:
    """(line, column) of the value of the last ``# key:`` header (the one the parser keeps)."""
    where = (1, 1)
    for lineno, line in enumerate(text.split("\n"), 1):
        m = _HEADER_LINE.fullmatch(line)
        if m and m.group(1) == key:
            where = (lineno, m.start(2) + 1)
    return where


def read_entry(path: str | os.PathLike[str]) -> CorpusEntry:
    """Read one corpus file; any reason it cannot serve as an entry is a located
    :class:`ProgramError` (``file:line:col: message``)."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ProgramError(f"cannot read: {e.strerror or e}", name) from None
    if not data:
        raise ProgramError("empty file (truncated?)", name, 1, 1)
    program = Program.parse_bytes(data, name)       # UTF-8 and syntax, located
    if not data.endswith(b"\n"):
        # Every saved entry ends with a newline; without one the last line may have lost
        # characters ("sigreturn 25" from "sigreturn 257") and still parse.
        lines = data.split(b"\n")
        col = len(lines[-1].decode("utf-8", "replace")) + 1
        raise ProgramError("no newline at the end of the last line: truncated file?",
                           name, len(lines), col)
    text = data.decode("utf-8-sig")
    if program.expect is None:
        raise ProgramError("no '# expect:' header (a corpus entry must say its verdict)",
                           name, 1, 1)
    if program.expect != CLEAN and program.expect not in ORACLES:
        line, col = _header_position(text, "expect")
        raise ProgramError(f"expect {program.expect!r} is neither 'clean' nor an oracle "
                           f"({', '.join(ORACLES)})", name, line, col)
    try:
        variant = resolve_variant(None, program)
    except VariantError as e:
        line, col = _header_position(text, "variant")
        raise ProgramError(f"variant: {e}", name, line, col) from None
    return CorpusEntry(Path(path), program, variant, program.expect)


def atomic_write(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``path`` by ``data`` atomically; on failure the old file is intact."""
    path = Path(path)
    directory = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise CorpusError(f"{path}: cannot save: {e.strerror or e}") from None
    try:
        try:
            # mkstemp makes 0600 files; keep the target's mode, or use a normal file's.
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            mode = 0o644
        os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except OSError as e:
        if fd >= 0:
            os.close(fd)
        _unlink_quietly(tmp)
        raise CorpusError(f"{path}: cannot save ({e.strerror or e}); "
                          f"the previous file, if any, is unchanged") from None
    _fsync_directory(directory)
    return path


def save(program: Program, path: str | os.PathLike[str]) -> Path:
    """Write ``program`` in canonical text to ``path``, atomically (see :func:`atomic_write`)."""
    return atomic_write(path, program.serialize().encode("utf-8"))


def write_output(text: str, out: str | os.PathLike[str],
                 inputs: tuple[str | os.PathLike[str], ...] = ()) -> Path:
    """Write a command's output file atomically, refusing to overwrite any of its inputs."""
    target = Path(out)
    for source in inputs:
        if _same_file(target, Path(source)):
            raise CorpusError(f"{target}: refusing to overwrite the input {source}")
    return atomic_write(target, text.encode("utf-8"))


class Corpus:
    """A directory of reproducers.  :meth:`load` reads every ``.fz`` file below it."""

    def __init__(self, root: str | os.PathLike[str], entries: list[CorpusEntry] | None = None,
                 problems: list[ProgramError] | None = None):
        self.root = Path(root)
        self.entries: list[CorpusEntry] = entries or []
        self.problems: list[ProgramError] = problems or []

    @classmethod
    def load(cls, root: str | os.PathLike[str], create: bool = False) -> Corpus:
        """Read every entry under ``root`` (recursively, sorted by path).  An unreadable or
        missing ``root`` raises :class:`CorpusError` (``create=True`` makes a missing one);
        a bad file or subdirectory is recorded in :attr:`problems`."""
        root = Path(root)
        if create:
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise CorpusError(f"{root}: cannot create corpus directory: "
                                  f"{e.strerror or e}") from None
        try:
            with os.scandir(root):
                pass
        except FileNotFoundError:
            raise CorpusError(f"{root}: no such corpus directory") from None
        except NotADirectoryError:
            raise CorpusError(f"{root}: not a directory") from None
        except OSError as e:
            raise CorpusError(f"{root}: cannot read corpus directory: "
                              f"{e.strerror or e}") from None
        corpus = cls(root)
        for path in corpus._files():
            try:
                corpus.entries.append(read_entry(path))
            except ProgramError as e:
                corpus.problems.append(e)
        corpus.problems.sort(key=lambda e: (e.path, e.line, e.col))
        return corpus

    def _files(self) -> list[Path]:
        files: list[Path] = []

        def unreadable(error: OSError) -> None:
            where = error.filename or str(self.root)
            self.problems.append(ProgramError(
                f"cannot read directory: {error.strerror or error}", str(where)))

        for directory, subdirs, names in os.walk(self.root, onerror=unreadable):
            subdirs.sort()
            files.extend(Path(directory, n) for n in names
                         if n.endswith(SUFFIX) and not n.startswith("."))
        return sorted(files)

    def __iter__(self) -> Iterator[CorpusEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def ok(self) -> bool:
        """True when every file loaded as an entry."""
        return not self.problems

    # -- writing -------------------------------------------------------------------------------

    def save(self, program: Program, path: str | os.PathLike[str]) -> Path:
        """Atomically write ``program`` to ``path`` (relative paths are under the root)."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        return save(program, target)

    def name_for(self, program: Program) -> Path:
        """``<subsystem>/<design>`` (no suffix) for a program's variant: its one non-reference
        design; ``multi/<a>+<b>`` for several; ``reference/<expect>`` for none."""
        variant = resolve_variant(None, program)
        designs = variant.non_reference()
        if len(designs) == 1:
            rel = Path(designs[0].subsystem, _file_part(designs[0].design))
        elif designs:
            rel = Path("multi", "+".join(f"{d.subsystem}-{_file_part(d.design)}"
                                         for d in designs))
        else:
            rel = Path("reference", _file_part(program.expect or CLEAN))
        return rel

    def add(self, program: Program) -> Path:
        """File ``program`` under a new name (``<design>.fz``, ``<design>-2.fz``, ...), never
        overwriting; a program whose events, variant and expect are already in the corpus is
        not added twice (its existing path is returned).  It must carry a valid ``expect``."""
        if program.expect is None or (program.expect != CLEAN and program.expect not in ORACLES):
            raise ValueError(f"corpus entries need '# expect:' with 'clean' or an oracle, "
                             f"got {program.expect!r}")
        variant = resolve_variant(None, program)
        for entry in self.entries:
            if (entry.variant == variant and entry.expect == program.expect
                    and entry.program.events == program.events):
                return entry.path
        rel = self.name_for(program)
        directory = self.root / rel.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CorpusError(f"{directory}: cannot create: {e.strerror or e}") from None
        path = _link_to_free_name(directory, rel.name, program.serialize().encode("utf-8"))
        self.entries.append(CorpusEntry(path, program, variant, program.expect))
        return path


# --- helpers --------------------------------------------------------------------------------

def _file_part(name: str) -> str:
    """A design or oracle name as a file-name part (explicit ct designs contain '/')."""
    return re.sub(r"[^A-Za-z0-9_.+-]", "-", name)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _unlink_quietly(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable.  Best effort: some filesystems refuse to fsync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _link_to_free_name(directory: Path, stem: str, data: bytes) -> Path:
    """Write ``data`` to a temporary file, then hard-link it to the first free
    ``stem[-n].fz``: a link fails instead of replacing an existing file, so two writers can
    never take the same name, and no reader ever sees a partial file."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise CorpusError(f"{directory}: cannot save: {e.strerror or e}") from None
    try:
        try:
            os.fchmod(fd, 0o644)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        n = 1
        while True:
            target = directory / (f"{stem}{SUFFIX}" if n == 1 else f"{stem}-{n}{SUFFIX}")
            try:
                os.link(tmp, target)
                break
            except FileExistsError:
                n += 1
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
                    raise
                # No hard links here: reserve the name exclusively, then rename over it.
                try:
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
                except FileExistsError:
                    n += 1
                    continue
                os.replace(tmp, target)
                break
    except OSError as e:
        _unlink_quietly(tmp)
        raise CorpusError(f"{directory}: cannot save {stem}{SUFFIX}: "
                          f"{e.strerror or e}") from None
    _unlink_quietly(tmp)
    _fsync_directory(directory)
    return target
