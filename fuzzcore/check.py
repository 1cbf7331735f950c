"""`fuzzcore check`: bounded exhaustive exploration, breadth first (SPEC 3.6).

Data flow: variant + configuration -> **check** (drives the compiled core's ``chk_expand``, one
layer at a time) -> a certificate, or a shortest violating program -> corpus/export.  ``fuzz``
says "found"; ``check`` also says "absent, up to N events".  The README's "Exhaustive search"
section says what a result proves and argues for the argument domain built here.

Layer d holds the states first reached by a program of d events, so the first violation met
while expanding layer d is a shortest program (d + 1 events).  This module owns the numpy
arrays (nodes: parent int32 and domain index uint16; the visited table of uint64 hashes, at
most half full), the layers, the limits (time, memory) and turning a node back into a program;
the core does everything per state and per event (``Machine.chk_*`` in ``_core.py``).

Domains (``domain()``): ``reduced`` (the default: fresh values), ``full`` (every value the
grammar allows, up to renaming: 0, every value the state holds, a fresh one; with value
symmetry), ``literal`` (every value the grammar allows, literally: for tests).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .config import VENDORS, Config, get_config
from .engine import load_source_core
from .events import EVENTS, INT, NONE, OPT_TASK, TASK
from .program import Event, Program
from .runner import ModelError, new_machine, resolve_variant, run
from .variants import ORACLES, Variant, VariantError, non_reference_designs

K = load_source_core()  # the core's constants (CHK_*): the compiled module keeps them in C

DEFAULT_DEPTH = 6
DEFAULT_MEMORY_GB = 8.0
CHUNK_NODES = 512            # nodes per call into the core (progress and limits between)
MIN_TABLE = 1 << 12
DOMAINS = ("reduced", "full", "literal")

PKRU_ARG_EVENTS = ("wrpkru", "pkey_alloc")
SIGRETURN_SPECIAL = (256, 257, 258)


class CheckError(ValueError):
    """Bad input to check (variant, depth, limits): one line, exit status 2."""


# --- the argument domain -----------------------------------------------------------------------

def pkru_class(v: int) -> int:
    """Which of keys 1..3 a PKRU value denies (bit k-1): the core's ``pkru_class``."""
    return (1 if v & 12 else 0) | (2 if v & 48 else 0) | (4 if v & 192 else 0)


def _pkru_specs() -> list[int]:
    """0, a fresh value of each other class, and each class's values when none is fresh."""
    specs = [0] + [K.CHK_FRESH_PKRU - k for k in range(1, 8)]
    for k in range(1, 8):
        size = sum(1 for v in range(1, 64) if pkru_class(4 * v) == k)
        specs += [K.CHK_CLASS_VALUE - (32 * k + j) for j in range(size)]
    return specs


def _present_specs(kind: str, count: int = 16) -> list[int]:
    base = K.CHK_PRESENT_FPU if kind == "fpu" else K.CHK_PRESENT_PKRU
    return [base - j for j in range(count)]


def arg_specs(name: str, config: Config, domain_kind: str = "reduced") -> list[int]:
    """The argument specs ``check`` tries for one event (the core resolves the CHK_* ones
    against the state the event runs in)."""
    kind = next(e for e in EVENTS if e.name == name)
    tasks = list(range(config.nuser + config.nkthread))
    if kind.arg == NONE:
        return [-1]
    if kind.arg == TASK:
        return tasks
    if kind.arg == OPT_TASK:
        return [-1] + tasks
    assert kind.arg == INT
    if domain_kind == "literal" or name in ("irq", "pkey_access"):
        return list(range(kind.lo, kind.hi + 1))
    full = domain_kind == "full"
    if name == "fpu_write":
        # full: 0, every value a field holds, and a fresh one -- every value up to renaming
        return ([0] + _present_specs("fpu") if full else []) + [K.CHK_FRESH_FPU]
    pkru = _pkru_specs() + (_present_specs("pkru") if full else [])
    if name in PKRU_ARG_EVENTS:
        return pkru
    if name == "sigreturn":
        return list(SIGRETURN_SPECIAL) + pkru
    raise AssertionError(f"no domain for {name}")      # events.py grew an INT event


def domain(config: Config, domain_kind: str = "reduced") -> list[tuple[int, int, int]]:
    """Every (cpu, opcode, argspec) the search runs from each state, in the order it tries
    them (per CPU: step and the injected events, then the others; each in the event table's
    order): the first violation it meets in a layer is the one it reports."""
    if domain_kind not in DOMAINS:
        raise CheckError(f"unknown domain {domain_kind!r} (valid: {', '.join(DOMAINS)})")
    out = []
    for cpu in range(config.ncpu):
        # the core runs a CPU's events that first run its pending steps (all but step and
        # the injected ones) as one group: the steps run once for all of them
        for e in sorted(EVENTS, key=lambda e: not (e.name == "step" or e.injected)):
            out += [(cpu, e.opcode, spec) for spec in arg_specs(e.name, config, domain_kind)]
    return out


# --- results -------------------------------------------------------------------------------------

@dataclass
class Counterexample:
    program: Program
    oracle: str
    kernel_finding: str | None = None

    @property
    def length(self) -> int:
        return len(self.program.events)


@dataclass
class CheckResult:
    variant: Variant
    config: Config
    cpu_vendor: str
    depth: int                      # asked for
    depth_completed: int            # every program of up to this many events was run
    states: int                     # distinct states seen (the initial one included)
    transitions: int                # events that did something
    seconds: float
    domain_kind: str
    value_symmetry: bool
    oracle: str | None = None       # the one oracle searched for (the others looked past)
    stopped: str | None = None      # None, "time" or "memory": why depth_completed < depth
    states_exact: bool = True       # False: the table filled up in the last layer, whose
                                    # states were then run but not all counted
    exhausted: bool = False         # a layer brought no new state: every reachable state seen
    violation: Counterexample | None = None
    kernel_findings: list[Counterexample] = field(default_factory=list)
    peak_bytes: int = 0             # the search's arrays at their largest
    layers: list[tuple[int, int, float]] = field(default_factory=list)  # (depth, states, s)
    path: Path | None = None        # where the counterexample was written

    @property
    def verdict(self) -> str:
        return "violation" if self.violation else "clean"

    @property
    def bytes_per_state(self) -> float:
        return self.peak_bytes / max(self.states, 1)

    @property
    def collision_probability(self) -> float:
        """An upper bound on the chance that two of the states seen share a hash (n^2/2^65),
        as TLC reports for its fingerprints."""
        return min(1.0, self.states * self.states / 2.0 ** 65)

    def claim(self) -> str:
        """The sentence the result proves, plainly."""
        where = (f"{self.config.name}, {self.cpu_vendor}, {self.domain_kind} argument domain")
        if self.violation:
            v = self.violation
            which = "has this verdict" if self.oracle else "trips an oracle"
            return (f"{self.variant}: violation {v.oracle} in {v.length} events; no program of "
                    f"fewer events {which} ({where})")
        known = ""
        if self.kernel_findings:
            known = " other than the known kernel finding " + ", ".join(
                f"{k.kernel_finding} ({k.length} events)" for k in self.kernel_findings)
        if self.exhausted:
            return (f"{self.variant}: no violation{known} in any program of any length: all "
                    f"{self.states:,} reachable states seen ({where})")
        states = (f"{self.states:,} states" if self.states_exact else
                  f"at least {self.states:,} states: the memory limit stopped the counting, "
                  f"not the search")
        text = (f"{self.variant}: no violation{known} in any program of up to "
                f"{self.depth_completed} events ({states}; {where})")
        if self.stopped:
            text += (f"; the {self.stopped} limit ran out before depth {self.depth}: this "
                     f"certifies depth {self.depth_completed} only")
        return text

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "verdict": self.verdict,
            "variant": str(self.variant),
            "config": self.config.name,
            "cpu_vendor": self.cpu_vendor,
            "depth": self.depth,
            "depth_completed": self.depth_completed,
            "complete": self.stopped is None,
            "stopped": self.stopped,
            "exhausted": self.exhausted,
            "states": self.states,
            "states_exact": self.states_exact,
            "transitions": self.transitions,
            "seconds": round(self.seconds, 3),
            "domain": self.domain_kind,
            "value_symmetry": self.value_symmetry,
            "oracle_searched": self.oracle,
            "bytes_per_state": round(self.bytes_per_state, 1),
            "collision_probability": self.collision_probability,
            "layers": [{"depth": d, "states": s, "seconds": round(t, 3)}
                       for d, s, t in self.layers],
            "kernel_findings": [{"finding": k.kernel_finding, "oracle": k.oracle,
                                 "length": k.length,
                                 "program": [e.text() for e in k.program.events]}
                                for k in self.kernel_findings],
        }
        if self.violation:
            out["oracle"] = self.violation.oracle
            out["length"] = self.violation.length
            out["program"] = [e.text() for e in self.violation.program.events]
            out["path"] = str(self.path) if self.path else None
        return out


@dataclass
class Progress:
    """What the live display shows, after every chunk of nodes."""
    variant: Variant
    depth: int              # the layer being built (programs of this many events)
    frontier_done: int
    frontier: int
    states: int
    transitions: int
    seconds: float
    bytes: int


# --- the search ----------------------------------------------------------------------------------

def _triples_to_events(triples: list[int], config: Config) -> list[Event]:
    out = []
    for i in range(0, len(triples), 3):
        cpu, op, arg = triples[i:i + 3]
        kind = EVENTS[op]
        if kind.arg in (TASK, OPT_TASK):
            value: int | str | None = None if arg < 0 else config.task_name(arg)
        elif kind.arg == INT:
            value = arg
        else:
            value = None
        out.append(Event(cpu, kind.name, value))
    return out


def _command(variant: Variant, config: Config, vendor: str, depth: int,
             domain_kind: str, oracle: str | None = None) -> str:
    parts = ["fuzzcore check", f"--variant {variant}" if str(variant) != "reference" else "",
             f"--depth {depth}", f"--config {config.name}", f"--cpu-vendor {vendor}"]
    if domain_kind != "reduced":
        parts.append(f"--domain {domain_kind}")
    if oracle:
        parts.append(f"--oracle {oracle}")
    return " ".join(p for p in parts if p)


def check(variant: Variant | str | None = None, config: str = "small", cpu_vendor: str = "intel",
          depth: int = DEFAULT_DEPTH, time_budget: float | None = None,
          memory_gb: float = DEFAULT_MEMORY_GB, domain_kind: str = "reduced",
          value_symmetry: bool | None = None, verify: bool = False,
          progress: Callable[[Progress], None] | None = None,
          entries: list[tuple[int, int, int]] | None = None,
          oracle: str | None = None) -> CheckResult:
    """Explore every program of up to ``depth`` events (see the module docstring).  Stops at
    the first violation (a shortest program), or when ``time_budget`` seconds or
    ``memory_gb`` GB of search arrays run out (then ``depth_completed`` says what holds).
    ``value_symmetry``: None is on for the full and literal domains, off for the reduced one.
    ``oracle``: the shortest program whose verdict is this oracle (a program that trips
    another first ends there, as a run does: the minimizer's yardstick).
    ``verify`` checks every undo against the state (slow; for tests); ``entries`` replaces
    the domain (for tests)."""
    v = resolve_variant(variant)
    cfg = get_config(config)
    if cpu_vendor not in VENDORS:
        raise CheckError(f"unknown cpu vendor {cpu_vendor!r} (valid: {', '.join(VENDORS)})")
    if not 0 <= depth < K.CHK_MAX_DEPTH:
        raise CheckError(f"--depth must be 0..{K.CHK_MAX_DEPTH - 1}, not {depth}")
    if memory_gb <= 0:
        raise CheckError(f"--memory must be positive, not {memory_gb}")
    if time_budget is not None and time_budget <= 0:
        raise CheckError(f"--time must be positive, not {time_budget}")
    dom = domain(cfg, domain_kind) if entries is None else list(entries)
    if len(dom) > 0xFFFF:
        raise CheckError(f"the domain has {len(dom)} entries; at most 65535")
    sym = domain_kind != "reduced" if value_symmetry is None else value_symmetry
    budget = int(memory_gb * 2 ** 30)
    if oracle is not None and oracle not in ORACLES:
        raise CheckError(f"unknown oracle {oracle!r} (valid: {', '.join(ORACLES)})")
    m = new_machine(v, cfg, cpu_vendor)
    m.chk_init([x for triple in dom for x in triple], 1 if sym else 0, int(verify),
               ORACLES.index(oracle) if oracle else -1)
    ndom = len(dom)
    t0 = time.perf_counter()
    result = CheckResult(v, cfg, cpu_vendor, depth, 0, 1, 0, 0.0, domain_kind, sym, oracle)
    search = _Search(m, ndom, budget)
    lo, hi = 0, 1
    for d in range(depth):
        last = d + 1 == depth
        i = lo
        while i < hi:
            if not search.make_room(store=not last):
                if not last:
                    result.stopped = "memory"
                    break
                search.counting = False      # the last layer: run, but no longer count
            i = search.expand(i, min(hi, i + CHUNK_NODES), store=not last)
            status = search.status
            if search.kernel_finding is not None and not result.kernel_findings:
                node, index = search.kernel_finding
                result.kernel_findings.append(_counterexample(
                    m, v, cfg, cpu_vendor, search.parent, search.code, node, index, depth,
                    domain_kind, oracle))
            if status == K.CHK_VIOLATION:
                node, index = search.violation
                result.violation = _counterexample(
                    m, v, cfg, cpu_vendor, search.parent, search.code, node, index, depth,
                    domain_kind, oracle)
                break
            if status != K.CHK_OK:
                raise ModelError(f"check: {m.debug_error}")
            elapsed = time.perf_counter() - t0
            if progress is not None:
                progress(Progress(v, d + 1, i - lo, hi - lo, search.count, search.transitions,
                                  elapsed, search.bytes))
            if time_budget is not None and elapsed > time_budget and i < hi:
                result.stopped = "time"
                break
        result.states = search.count
        result.transitions = search.transitions
        result.peak_bytes = search.peak_bytes
        if result.violation or result.stopped:
            break
        result.depth_completed = d + 1
        result.layers.append((d + 1, result.states, time.perf_counter() - t0))
        if not last and search.nnodes == hi:
            result.exhausted = True      # no new state: deeper layers are empty
            break
        lo, hi = hi, search.nnodes
    result.states_exact = search.counting
    result.seconds = time.perf_counter() - t0
    m.reset()
    return result


class _Search:
    """The numpy arrays of one search and the calls into the core that fill them: nodes
    (parent int32, domain index uint16), the visited table (uint64 hashes, at most half
    full), and the CHK_OUT_* record the core keeps its counts in."""

    def __init__(self, m, ndom: int, budget: int):
        self.m = m
        self.ndom = ndom
        self.budget = budget
        self.table = np.zeros(MIN_TABLE, dtype=np.ulonglong)
        self.parent = np.zeros(1 << 12, dtype=np.int32)
        self.code = np.zeros(1 << 12, dtype=np.uint16)
        self.parent[0] = -1
        root = m.chk_state_hash() or 1
        self.table[root & (len(self.table) - 1)] = root
        self.out = np.zeros(K.CHK_OUT_SIZE, dtype=np.int_)
        self.out[K.CHK_OUT_NODES] = 1
        self.out[K.CHK_OUT_COUNT] = 1
        self.counting = True        # False: the table is full; the last layer runs uncounted
        self.peak_bytes = self.bytes

    @property
    def bytes(self) -> int:
        return self.table.nbytes + self.parent.nbytes + self.code.nbytes

    @property
    def count(self) -> int:
        return int(self.out[K.CHK_OUT_COUNT])

    @property
    def nnodes(self) -> int:
        return int(self.out[K.CHK_OUT_NODES])

    @property
    def transitions(self) -> int:
        return int(self.out[K.CHK_OUT_TRANSITIONS])

    @property
    def status(self) -> int:
        return int(self.out[K.CHK_OUT_STATUS])

    @property
    def violation(self) -> tuple[int, int]:
        return int(self.out[K.CHK_OUT_PARENT]), int(self.out[K.CHK_OUT_INDEX])

    @property
    def kernel_finding(self) -> tuple[int, int] | None:
        if not self.out[K.CHK_OUT_KF]:
            return None
        return int(self.out[K.CHK_OUT_KF_PARENT]), int(self.out[K.CHK_OUT_KF_INDEX])

    def make_room(self, store: bool) -> bool:
        """Room for one more node's children: grow the table or the node arrays (doubling)
        within the budget.  False when that would pass it."""
        while True:
            if self.counting and self.count + self.ndom > len(self.table) // 2:
                if self.bytes + 2 * self.table.nbytes > self.budget:
                    return False
                bigger = np.zeros(2 * len(self.table), dtype=np.ulonglong)
                self.m.chk_rehash(self.table, bigger)
                self.table = bigger
            elif store and self.nnodes + self.ndom > len(self.parent):
                if self.bytes + self.parent.nbytes + self.code.nbytes > self.budget:
                    return False
                self.parent = np.concatenate([self.parent, np.zeros_like(self.parent)])
                self.code = np.concatenate([self.code, np.zeros_like(self.code)])
            else:
                self.peak_bytes = max(self.peak_bytes, self.bytes)
                return True

    def expand(self, lo: int, hi: int, store: bool) -> int:
        self.out[K.CHK_OUT_MAX_COUNT] = len(self.table) // 2 if self.counting else -1
        return self.m.chk_expand(self.parent, self.code, lo, hi, 1 if store else 0,
                                 self.table, self.out)


def _counterexample(m, variant: Variant, config: Config, vendor: str, parent, code,
                    node: int, index: int, depth: int, domain_kind: str,
                    oracle: str | None = None) -> Counterexample:
    """The program that reaches ``node`` then runs domain entry ``index``, confirmed by the
    ordinary runner, with its SPEC 2.1 headers."""
    triples = m.chk_program(parent, code, node, index)
    events = _triples_to_events(triples, config)
    program = Program(events, {
        "format": "fuzzcore-program 1", "config": config.name, "cpu-vendor": vendor,
        "variant": str(variant), "found-by": _command(variant, config, vendor, depth,
                                                     domain_kind, oracle)})
    verdict = run(program, variant, config.name, vendor)
    if verdict.violation is None or verdict.violation.event_index != len(events) - 1:
        raise ModelError(f"check: the program it found does not violate at its last event "
                         f"when run:\n{program.serialize()}")
    program.headers["expect"] = verdict.violation.oracle
    which = "has this verdict" if oracle else "trips an oracle"
    program.headers["note"] = (f"shortest: no program of fewer events {which} on {variant} "
                               f"({domain_kind} argument domain)")
    return Counterexample(program, verdict.violation.oracle, verdict.violation.kernel_finding)


def select_variants(names: Iterable[str] | None) -> list[Variant]:
    """Each name is one variant (it may contain commas); ``all``: the reference and every
    other design; nothing: the reference.  Raises :class:`CheckError` for an unknown one."""
    out: list[Variant] = []
    for name in names or ("reference",):
        try:
            if name.strip() == "all":
                chosen = [resolve_variant(None)] + non_reference_designs()
            else:
                chosen = [resolve_variant(Variant.parse(name))]
        except VariantError as e:
            raise CheckError(f"--variant {name!r}: {e}") from None
        out += [v for v in chosen if v not in out]
    return out


def write_counterexample(result: CheckResult, out_dir: str) -> Path:
    """``OUT/<variant>/<oracle>.check.fz``, atomically."""
    from .corpus import write_output
    from .fuzz import variant_dirname
    assert result.violation is not None
    path = Path(out_dir) / variant_dirname(result.variant) / f"{result.violation.oracle}.check.fz"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(result.violation.program.serialize(), str(path))
    return path


__all__ = ["check", "domain", "arg_specs", "CheckResult", "CheckError", "Counterexample",
           "Progress", "select_variants", "write_counterexample", "pkru_class",
           "DEFAULT_DEPTH", "DEFAULT_MEMORY_GB"]
