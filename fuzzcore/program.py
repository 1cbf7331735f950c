"""Programs (SPEC 2): a sequence of events on named CPUs, with its text and binary forms.

Data flow: events -> **program** -> machine -> oracles -> minimize -> corpus/export.  The event
table (``events.py``) says what may be written; this module turns text (``.fz``, the stable
canonical form) and fuzzer bytes (the binary form, which may change between versions) into
:class:`Program` values, writes them back as canonical text, and flattens them into the
``(cpu, opcode, arg)`` triples the machine core runs.  Parsing validates against a configuration
(``config.py``) and runs nothing.
"""
from __future__ import annotations

import array
import codecs
import difflib
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .config import CONFIGS, DEFAULT_CONFIG, DEFAULT_VENDOR, VENDORS, Config, get_config
from .events import (BY_NAME, EVENTS, INT, NEVENTS, NO_ARG, NONE, OPT_TASK, SIGRETURN_CORRUPT,
                     SIGRETURN_KEEP, SIGRETURN_PKRU_INIT, TASK, EventKind)

__all__ = ["FORMAT", "GRAMMAR", "HEADER_KEYS", "Event", "Program", "ProgramError"]

FORMAT = "fuzzcore-program 1"
# SPEC 2.1's header keys, in the order serialize() writes them.
HEADER_KEYS: tuple[str, ...] = (
    "format", "config", "cpu-vendor", "variant", "expect", "expect-state", "found-by",
    "minimized-from", "note")
# Headers that may span several lines: their values are joined with a space.
MULTILINE_KEYS = ("note", "expect-state")
_STATE_ITEM = re.compile(r"[a-z0-9_\[\].]+=\S+")

_TOKEN = re.compile(r"\S+")
_CPU = re.compile(r"cpu([0-9]+)")
_TASKNAME = re.compile(r"([tk])([0-9]+)")
_NUMBER = re.compile(r"-?[0-9]+")  # "-" only so that "-1" reads as out of range, not as garbage
_HEADER = re.compile(r"\s*#\s*([a-z-]+)\s*:(.*)")


class ProgramError(ValueError):
    """Bad program input, located as ``path:line:col`` (1-based; 0 when not about one line)."""

    def __init__(self, message: str, path: str = "<string>", line: int = 0, col: int = 0):
        # All four go to args so that the error pickles (campaign workers send errors back).
        super().__init__(message, path, line, col)
        self.message = message
        self.path = path
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Event:
    """One program line: ``cpu`` performs event ``name`` with ``arg``.

    ``arg`` is an int for INT arguments, a task name (``"t1"``, ``"k0"``) for task arguments and
    None when absent.
    """

    cpu: int
    name: str
    arg: int | str | None = None

    def text(self) -> str:
        """The canonical line, e.g. ``cpu0 yield t2``."""
        head = f"cpu{self.cpu} {self.name}"
        return head if self.arg is None else f"{head} {self.arg}"


def _resolve(config: Config | str | None, default: str = DEFAULT_CONFIG) -> Config:
    if isinstance(config, Config):
        return config
    return get_config(config if config is not None else default)


@functools.cache
def _task_names(cfg: Config) -> tuple[str, ...]:
    """The tasks a program may name, in binary-form order: user slots, then kthreads."""
    return (tuple(f"t{i}" for i in range(cfg.nuser))
            + tuple(f"k{i}" for i in range(cfg.nkthread)))


def _span(first: str, count: int) -> str:
    return f"{first}0" if count == 1 else f"{first}0..{first}{count - 1}"


def _task_index(cfg: Config, name: str) -> int | None:
    """Index of a task name in ``_task_names(cfg)``, or None if the configuration lacks it."""
    try:
        return _task_names(cfg).index(name)
    except ValueError:
        return None


@dataclass
class Program:
    """A program: events in order, plus the SPEC 2.1 headers (metadata; never run)."""

    events: list[Event] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Anything else could not survive serialize() -> parse().
        for key, value in self.headers.items():
            if key not in HEADER_KEYS:
                raise ValueError(f"unknown header {key!r} (valid: {', '.join(HEADER_KEYS)})")
            if "\n" in value or value != value.strip():
                raise ValueError(f"header {key!r}: value must be one stripped line: {value!r}")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(f"header {key!r}: value is not valid UTF-8 text: {value!r}") \
                    from None

    def __len__(self) -> int:
        return len(self.events)

    @property
    def config(self) -> str:
        return self.headers.get("config", DEFAULT_CONFIG)

    @property
    def cpu_vendor(self) -> str:
        return self.headers.get("cpu-vendor", DEFAULT_VENDOR)

    @property
    def variant(self) -> str | None:
        return self.headers.get("variant")

    @property
    def expect_state(self) -> list[tuple[str, str]]:
        """The ``# expect-state:`` items, (field, value) in order (SPEC 4: fields named as
        ``--trace`` names them)."""
        return [tuple(item.split("=", 1)) for item in  # type: ignore[misc]
                self.headers.get("expect-state", "").split()]

    @property
    def expect(self) -> str | None:
        return self.headers.get("expect")

    def with_events(self, events: Iterable[Event]) -> Program:
        """A copy with other events and the same headers (what the minimizer builds)."""
        return Program(list(events), dict(self.headers))

    # -- text form ---------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str, path: str = "<string>",
              config: Config | str | None = None) -> Program:
        """Parse SPEC 2.1 text strictly; raise :class:`ProgramError` at the first bad token.

        Events are validated against ``config`` if given, else the ``# config:`` header, else
        ``small``.  Headers are read first, so a header may appear anywhere in the file.
        """
        # Not splitlines(): \f, \x1c, \u2028... would shift line numbers from an editor's.
        lines = text.split("\n")
        headers: dict[str, str] = {}
        for lineno, line in enumerate(lines, 1):
            m = _HEADER.fullmatch(line)
            if m is None or m.group(1) not in HEADER_KEYS:
                continue  # a free comment or not a comment at all
            raw = m.group(2)
            col = m.start(2) + len(raw) - len(raw.lstrip()) + 1
            value = _check_header(m.group(1), raw.strip(), path, lineno, col)
            if m.group(1) in MULTILINE_KEYS and headers.get(m.group(1)):
                value = f"{headers[m.group(1)]} {value}".strip()   # it may span lines
            headers[m.group(1)] = value
        cfg = _resolve(config, headers.get("config", DEFAULT_CONFIG))
        events = []
        for lineno, line in enumerate(lines, 1):
            code = line.split("#", 1)[0]
            tokens = [(m.group(), m.start() + 1) for m in _TOKEN.finditer(code)]
            if tokens:
                events.append(_parse_event(tokens, cfg, path, lineno))
        return cls(events, {k: headers[k] for k in HEADER_KEYS if k in headers})

    @classmethod
    def parse_bytes(cls, data: bytes, path: str = "<string>",
                    config: Config | str | None = None) -> Program:
        """Decode UTF-8 (a leading BOM is dropped), then :meth:`parse`."""
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            start = data.rfind(b"\n", 0, e.start) + 1
            line = data.count(b"\n", 0, e.start) + 1
            col = len(data[start:e.start].decode("utf-8")) + 1
            raise ProgramError(f"invalid UTF-8 byte 0x{data[e.start]:02x}",
                               path, line, col) from None
        return cls.parse(text, path, config)

    @classmethod
    def load(cls, path: str | os.PathLike[str], config: Config | str | None = None) -> Program:
        """Read and parse a ``.fz`` file; an unreadable file is a :class:`ProgramError` too."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ProgramError(f"cannot read: {e.strerror or e}", os.fspath(path)) from None
        return cls.parse_bytes(data, os.fspath(path), config)

    def serialize(self) -> str:
        """Canonical text: headers in SPEC order, then one event per line, trailing newline."""
        lines = []
        for key in HEADER_KEYS:
            value = self.headers.get(key)
            if value is not None:
                lines.append(f"# {key}: {value}" if value else f"# {key}:")
        lines.extend(e.text() for e in self.events)
        return "".join(line + "\n" for line in lines)

    # -- binary form (for fuzz engines) ------------------------------------------------------
    #
    # Two bytes per event.  b0: opcode = b0 % NEVENTS, q = b0 // NEVENTS, cpu = q % ncpu.
    # b1: the argument, see _decode_arg.  The one range wider than a byte (sigreturn 0..258,
    # whose 256 keep, 257 corrupt and 258 PKRU-init matter) also uses the spare quotient q // ncpu, so
    # that every value is reachable; every other range uses b1 alone.

    @classmethod
    def from_bytes(cls, data: bytes, config: Config | str = DEFAULT_CONFIG) -> Program:
        """Decode fuzzer bytes; never raises, and every event is valid for ``config``."""
        cfg = _resolve(config)
        events = []
        for i in range(0, len(data) - 1, 2):  # a trailing odd byte is ignored
            q, opcode = divmod(data[i], NEVENTS)
            kind = EVENTS[opcode]
            arg = _decode_arg(kind, data[i + 1], q // cfg.ncpu, cfg)
            events.append(Event(q % cfg.ncpu, kind.name, arg))
        return cls(events, {"config": cfg.name})

    def to_bytes(self, config: Config | str | None = None) -> bytes:
        """Bytes that :meth:`from_bytes` decodes back to these events.

        Raises ValueError for an event invalid in the configuration, or one the binary form
        cannot express (sigreturn 256-258 on cpu2/cpu3 of ``large``: b0 would pass 255).
        """
        cfg = _resolve(config, self.config)
        out = bytearray()
        for e in self.events:
            kind = _kind(e.name)
            if not 0 <= e.cpu < cfg.ncpu:
                raise ValueError(f"{e.text()!r}: cpu{e.cpu} outside configuration {cfg.name!r}")
            extra, b1 = _encode_arg(kind, e, cfg)
            b0 = kind.opcode + NEVENTS * (e.cpu + cfg.ncpu * extra)
            if b0 > 255:
                raise ValueError(f"{e.text()!r} has no binary form in configuration {cfg.name!r}")
            out += bytes((b0, b1))
        return bytes(out)

    # -- machine form ------------------------------------------------------------------------

    def to_arrays(self, config: Config | str | None = None) -> array.array[int]:
        """Flat ``(cpu, opcode, arg)`` triples for the core; arg is the int, a core task id
        (``tN`` -> N, ``kN`` -> ``config.kthread_id(N)``) or -1 for none."""
        cfg = _resolve(config, self.config)
        out = array.array("i")
        for e in self.events:
            kind = _kind(e.name)
            if not 0 <= e.cpu < cfg.ncpu:
                raise ValueError(f"{e.text()!r}: cpu{e.cpu} outside configuration {cfg.name!r}")
            if kind.arg in (TASK, OPT_TASK) and e.arg is not None:
                if not isinstance(e.arg, str) or _task_index(cfg, e.arg) is None:
                    raise ValueError(f"{e.text()!r}: no task {e.arg!r} in {cfg.name!r}")
                n = int(e.arg[1:])
                arg = n if e.arg[0] == "t" else cfg.kthread_id(n)
            elif kind.arg == INT and isinstance(e.arg, int) and kind.lo <= e.arg <= kind.hi:
                arg = e.arg
            elif kind.arg in (NONE, OPT_TASK) and e.arg is None:
                arg = NO_ARG
            else:
                raise ValueError(f"{e.text()!r}: bad argument for {kind.name!r}")
            out.extend((e.cpu, kind.opcode, arg))
        return out


def _kind(name: str) -> EventKind:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown event {name!r}") from None


def _decode_arg(kind: EventKind, b1: int, extra: int, cfg: Config) -> int | str | None:
    if kind.arg == INT:
        span = kind.hi - kind.lo + 1
        return kind.lo + (b1 + (256 * extra if span > 256 else 0)) % span
    tasks = _task_names(cfg)
    if kind.arg == TASK:
        return tasks[b1 % len(tasks)]
    if kind.arg == OPT_TASK:
        i = b1 % (len(tasks) + 1)
        return tasks[i - 1] if i else None
    return None


def _encode_arg(kind: EventKind, e: Event, cfg: Config) -> tuple[int, int]:
    """(extra quotient, b1) for :meth:`Program.to_bytes`; the inverse of _decode_arg."""
    bad = ValueError(f"{e.text()!r}: argument invalid for {kind.name!r} in {cfg.name!r}")
    if kind.arg == INT:
        if not isinstance(e.arg, int) or not kind.lo <= e.arg <= kind.hi:
            raise bad
        return divmod(e.arg - kind.lo, 256)
    if kind.arg in (TASK, OPT_TASK) and isinstance(e.arg, str):
        i = _task_index(cfg, e.arg)
        if i is None:
            raise bad
        return 0, i + (kind.arg == OPT_TASK)
    if kind.arg in (NONE, OPT_TASK) and e.arg is None:
        return 0, 0
    raise bad


def _check_header(key: str, value: str, path: str, line: int, col: int) -> str:
    """Validate the headers whose values fuzzcore itself understands; return the value."""
    if key == "format" and value.split() != FORMAT.split():
        raise ProgramError(f"unsupported format {value!r} (expected {FORMAT!r})", path, line, col)
    if key == "format":
        return FORMAT
    if key == "config" and value not in CONFIGS:
        raise ProgramError(f"unknown configuration {value!r} (valid: {', '.join(CONFIGS)})",
                           path, line, col)
    if key == "cpu-vendor" and value not in VENDORS:
        raise ProgramError(f"unknown cpu-vendor {value!r} (valid: {', '.join(VENDORS)})",
                           path, line, col)
    if key == "expect-state":
        for m in _TOKEN.finditer(value):
            if not _STATE_ITEM.fullmatch(m.group()):
                raise ProgramError(f"expect-state: {m.group()!r} is not FIELD=VALUE (a field "
                                   "as --trace names it, e.g. cpu0.pkru=60)", path, line,
                                   col + m.start())
    return value


def _parse_event(tokens: list[tuple[str, int]], cfg: Config, path: str, line: int) -> Event:
    """One event line, already split into (token, 1-based column) pairs."""

    def fail(col: int, message: str) -> ProgramError:
        return ProgramError(message, path, line, col)

    cpu_tok, cpu_col = tokens[0]
    m = _CPU.fullmatch(cpu_tok)
    if m is None:
        raise fail(cpu_col, f"expected 'cpu<N>', got {cpu_tok!r}")
    cpu = int(m.group(1))
    if cpu >= cfg.ncpu:
        raise fail(cpu_col, f"{cpu_tok} outside configuration {cfg.name!r} "
                            f"({_span('cpu', cfg.ncpu)})")
    if len(tokens) < 2:
        raise fail(cpu_col + len(cpu_tok), "missing event")
    name, name_col = tokens[1]
    kind = BY_NAME.get(name)
    if kind is None:
        close = difflib.get_close_matches(name, BY_NAME, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise fail(name_col, f"unknown event {name!r}{hint}")
    if len(tokens) > 3 or (len(tokens) == 3 and kind.arg == NONE):
        tok, col = tokens[2 if kind.arg == NONE else 3]
        raise fail(col, f"unexpected argument {tok!r}: {name!r} takes "
                        + ("no argument" if kind.arg == NONE else "one argument"))
    if len(tokens) == 2:
        if kind.arg in (NONE, OPT_TASK):
            return Event(cpu, name)
        what = ("a task (t<N> or k<N>)" if kind.arg == TASK
                else f"a number in [{kind.lo}, {kind.hi}]")
        raise fail(name_col + len(name), f"missing argument: {name!r} takes {what}")
    tok, col = tokens[2]
    if kind.arg == INT:
        if not _NUMBER.fullmatch(tok):
            raise fail(col, f"argument of {name!r} is not a decimal integer: {tok!r}")
        value = int(tok)
        if not kind.lo <= value <= kind.hi:
            raise fail(col, f"argument {tok} of {name!r} out of range [{kind.lo}, {kind.hi}]")
        return Event(cpu, name, value)
    m = _TASKNAME.fullmatch(tok)
    if m is None:
        raise fail(col, f"bad task {tok!r} (expected t<N> or k<N>)")
    task = f"{m.group(1)}{int(m.group(2))}"
    if _task_index(cfg, task) is None:
        known = _span("t", cfg.nuser) + (f", {_span('k', cfg.nkthread)}" if cfg.nkthread else "")
        raise fail(col, f"task {tok} outside configuration {cfg.name!r} ({known})")
    return Event(cpu, name, task)


_GRAMMAR_HEAD = """\
program    = { line } ;                      (* UTF-8 text *)
line       = [ ws ] [ event-line [ ws ] ] [ comment ] newline ;
event-line = cpu ws event ;
cpu        = "cpu" number ;                  (* number < ncpu of the configuration *)
task       = ( "t" | "k" ) number ;          (* t: user slot < nuser; k: kthread < nkthread *)
number     = digit { digit } ;               (* decimal *)
ws         = ( " " | tab ) { " " | tab } ;   (* canonical form: one space *)
comment    = "#" { any character but newline } ;
header     = "#" [ ws ] key [ ws ] ":" [ ws ] value ;    (* a whole comment line, anywhere *)
"""


def _grammar() -> str:
    """The README grammar, generated from the event table so the two cannot drift apart."""
    def rhs(kind: EventKind) -> str:
        name = f'"{kind.name}"'
        if kind.arg == INT:
            note = (f": {SIGRETURN_KEEP} keep, {SIGRETURN_CORRUPT} corrupt, "
                    f"{SIGRETURN_PKRU_INIT} PKRU bit cleared"
                    if kind.name == "sigreturn" else "")
            return f"{name} ws number".ljust(31) + f"(* {kind.lo}..{kind.hi}{note} *)"
        if kind.arg == TASK:
            return f"{name} ws task"
        if kind.arg == OPT_TASK:
            return f"{name} [ ws task ]"
        return name

    def alts(words: Iterable[str]) -> str:
        return " | ".join(f'"{w}"' for w in words)

    events = "\n           | ".join(rhs(k) for k in EVENTS)
    return (_GRAMMAR_HEAD
            + f"key        = {alts(HEADER_KEYS[:5])}\n           | {alts(HEADER_KEYS[5:])} ;\n"
            + f'           (* format: "{FORMAT}"; config: {alts(CONFIGS)};\n'
            + f"              cpu-vendor: {alts(VENDORS)}; the other values are free text *)\n"
            + f"event      = {events} ;\n")


GRAMMAR: str = _grammar()
