"""Coverage-guided campaigns (SPEC 3.2): ``fuzzcore fuzz``.

Data flow: bytes -> **fuzz** (engine: mutate, run on the machine, keep what adds coverage) ->
violation -> minimize -> findings (text programs) -> corpus / export::

    --corpus DIR (bytes, .fz) -+
                               v
    Engine (one per variant): pick an input -> mutate it at 2-byte event granularity ->
        machine.run_bytes() (the core decodes and runs it in C) -> model coverage (the core's
        abstract state x transition bitmap) + value features of the final state
        (``Machine.value_features``, in the core too: it runs once per execution)
       |  new coverage: keep the input (in memory, and as <corpus>/<sha1>, written in
       |  batches by a helper process: fuzzcore.corpus_writer)
       |  a violation of an oracle not seen yet on this variant: a Hit
       v
    Campaign: (variant, oracle) first seen -> <out>/<sub>=<design>/<oracle>.bin (raw bytes)
       -> minimize() -> check it replays (and that the reference designs stay clean)
       -> <oracle>.fz (text, headers) -> progress line, stats.jsonl, final table

The engine works on the fuzz engines' binary form (``Program.from_bytes``: two bytes per
event, b0 = opcode + NEVENTS * (cpu + ncpu * extra), b1 = the argument), so no Python object is
made per event.  Mutations respect event boundaries: insert a random event, append events,
insert a run of ``step`` on one CPU, insert a nest (an interrupt, a short body, ``ret``),
delete, duplicate, swap neighbours, a new argument from the event's own range (sigreturn's
256/257 included), another event on the same CPU, another CPU, splice with another input,
truncate; 2% of executions run a fresh random input.

Four things make the deep designs (those that break only after a dozen events in the right
order) fall in seconds rather than minutes:

* **Kept inputs hold only events that did something.**  Three random events in four are
  skipped by their guards; the core reports which events ran a micro-step or an action
  (``run_bytes(data, effective)``), and the input is kept without the others: the same run,
  half as long, and every mutation lands on an event that matters.
* **Growth from the final state.**  30% of parents are not mutated but grown: run, then up
  to four random events appended that do something (a skipped one is drawn again), 40% of
  them on the CPU that acted last.
* **Interrupts that return.**  The designs break where a handler runs between two micro-steps
  of what it interrupted, and show it when that code resumes.  One mutation inserts a whole
  nest (an injected event, up to two events, ``ret``), and 15% of growth candidates are
  ``ret`` (skipped by its guard unless the CPU is inside an interrupt, a fault or a syscall).
* **Cells (Go-Explore).**  The core's coverage does not see values, only where the machine
  is; many designs break on a value relation (registers against the task's image or logical
  state, the PASID MSR against the mm's PASID).  So the engine also counts, per CPU, a tuple
  of such relations in the final state (``Machine.value_features``) as coverage.  Features and
  coverage entries are so many that nearly every new input adds some: thousands of parents,
  most ending in common states.  Each kept input is also filed under the *cell* of each CPU
  (the coarse part of its feature, packed into an int by the core: :data:`CELL`), and 70% of
  the parents are drawn through the cells: the least chosen of five drawn, so a state reached
  once gets its share of the search.  One choice in five draws only among the newest cells
  (:data:`CELL_RECENT`): the frontier, where the next step of a deep sequence was just
  reached, gets it at once, not after thousands of older cells had their turn.

The other parents are chosen by a weight fixed when they are kept: short ones and
those that found more first.  The in-memory corpus of a variant is bounded
(``DEFAULT_MAX_CORPUS``): beyond it, the newest quarter and the heaviest quarter stay (the
corpus directory keeps everything).

Every variant has its own :class:`Engine` (machine, coverage, in-memory corpus, random
generator seeded from ``(seed, variant)``), and the campaign runs them round robin in slices of
a fixed number of executions.  A variant's search therefore does not depend on the other
variants of the campaign, and a finding reproduces alone: its ``found-by`` header,
``fuzzcore fuzz --variant V --seed S --runs E``, finds it again at execution E, when the
campaign started from the same ``--corpus`` contents (none by default).  With ``--jobs N`` the
workers (seeds ``seed + i``) import each other's inputs as they go: only a single-process
campaign is deterministic.  Only an explicit ``--corpus DIR`` is read at start; the default
``<out>/corpus`` is only written (and shared by ``--jobs`` workers).
"""
from __future__ import annotations

import itertools
import json
import math
import operator
import os
import random
import shlex
import signal
import sys
import time
import traceback
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import layout
from .config import CONFIGS, DEFAULT_CONFIG, DEFAULT_VENDOR, VENDORS, Config, get_config
from .corpus import CorpusError, atomic_write
from .corpus import save as save_program
from .corpus_writer import JOBS_FLUSH_INTERVAL, CorpusWriter, input_hash
from .events import BY_NAME, EVENTS, INT, NEVENTS, NONE, OPT_TASK
from .program import Program, ProgramError
from .runner import new_machine, read_violation, resolve_variant
from .variants import (CLEAN, JUDGE, KERNEL_FINDINGS, ORACLES, Variant, VariantError,
                       non_reference_designs)

_L = layout._core          # the state layout's constants (one layout for both cores)

__all__ = ["Engine", "Hit", "Finding", "VariantStats", "CampaignResult", "CampaignError",
           "fuzz", "select_variants", "expect_of", "variant_dirname", "input_hash",
           "load_corpus_dir", "DEFAULT_TIME", "EXIT_INTERRUPTED"]

DEFAULT_TIME = 60.0          # seconds, when neither --time nor --runs is given
DEFAULT_MAX_EVENTS = 64      # longest input the engine builds (events)
DEFAULT_MAX_CORPUS = 10_000  # in-memory corpus entries per variant (pruned to half beyond)
SLICE_EXECS = 1000           # executions per round-robin slice (a count: deterministic)
STATS_INTERVAL = 1.0         # seconds between stats.jsonl lines
TTY_INTERVAL = 0.5           # seconds between progress-line updates on a terminal
PLAIN_INTERVAL = 10.0        # ... and between plain progress lines otherwise
IMPORT_INTERVAL = 2.0        # seconds between looks at the corpus of a --jobs worker
IMPORT_CHUNK = 500           # other jobs' inputs it imports between two slices (at most)
EXIT_INTERRUPTED = 130
FRESH_RATE = 0.02            # share of executions that run a fresh random input
CELL_RATE = 0.7              # share of parents chosen through the cells (the rest by weight)
CELL_TOURNAMENT = 5          # cells drawn per choice; the least chosen of them wins
CELL_RECENT_RATE = 0.2       # share of cell choices made among the newest cells only
CELL_RECENT = 64             # ... that many of them
CELL_MEMBERS = 16            # inputs kept per cell (a random one replaced beyond)
GROW_RATE = 0.3              # share of parents grown by events that do something, not mutated
GROW_EVENTS = 4              # at most this many events per growth
GROW_SAME_CPU = 0.4          # share of grown events put on the CPU of the input's last event
GROW_SAME_CPU_DRAW = round(GROW_SAME_CPU * 256)   # ... as a threshold for a random byte
GROW_RET = 0.15              # share of growth candidates made `ret` (skipped unless nested)
GROW_RET_DRAW = round(GROW_RET * 256)
NEST_IRQ = 0.5               # share of nests (_insert_nest) opened by irq; the rest by any
                             # injected event (nmi, mce, db, bp, the kernel faults)
NEST_BODY = 2                # at most this many events between the nest's entry and its ret
MAX_FILE_BYTES = 1 << 20     # longer corpus files are truncated to the engine's maximum


class CampaignError(Exception):
    """Bad campaign input (variant, corpus, out directory): one line, exit status 2."""


def expect_of(variant: Variant) -> str:
    """What the variant is expected to give: the one non-reference design's ``expect``,
    ``clean`` for the reference, ``judge`` for a combination of designs."""
    designs = variant.non_reference()
    if not designs:
        return CLEAN
    return designs[0].expect if len(designs) == 1 else JUDGE


def variant_dirname(variant: Variant) -> str:
    """``<subsystem>=<design>`` (``,`` between several); an explicit ct design's ``/`` -> ``+``."""
    return str(variant).replace("/", "+")


def select_variants(names: Iterable[str] | None) -> list[Variant]:
    """Each name is one variant (it may contain commas); ``all`` or nothing: every
    non-reference design.  Raises :class:`CampaignError` for an unknown one."""
    out: list[Variant] = []
    for name in names or ("all",):
        try:
            chosen = non_reference_designs() if name.strip() == "all" else \
                [resolve_variant(Variant.parse(name))]
        except VariantError as e:
            raise CampaignError(f"--variant {name!r}: {e}") from None
        out += [v for v in chosen if v not in out]
    return out


def _os_error(e: OSError, path: Path) -> str:
    """One line: corpus.CorpusError messages already name the file."""
    return str(e) if isinstance(e, CorpusError) else f"cannot write {path}: {e.strerror or e}"


# --- the engine ------------------------------------------------------------------------------

@dataclass
class Hit:
    """A violation the engine has not reported before (for its variant)."""
    variant: Variant
    oracle: str
    data: bytes         # the raw input
    stop: int           # index of the violating event
    execs: int          # the engine's executions, this one included
    seconds: float      # the engine's fuzzing time until this execution
    kernel_finding: str | None = None   # its verdict's label (variants.KERNEL_FINDINGS)

    @property
    def slot(self) -> int:
        return finding_slot(self.oracle, self.kernel_finding)

    @property
    def name(self) -> str:
        """Its files' name: the oracle, and the label of a known kernel finding."""
        return self.oracle + (f".{self.kernel_finding}" if self.kernel_finding else "")


# A campaign reports each (design, oracle) once, and a known kernel finding apart from the
# oracle it trips, so that a labelled pasid_lost never hides an unlabelled one.
NSLOTS = len(ORACLES) + len(KERNEL_FINDINGS)


def finding_slot(oracle: str, kernel_finding: str | None) -> int:
    if kernel_finding is None:
        return ORACLES.index(oracle)
    return len(ORACLES) + [k[0] for k in KERNEL_FINDINGS].index(kernel_finding)


# The cell of a CPU: the coarse part of its value feature, packed into one int by the core
# (field VF_CELL of ``Machine.value_features``, whose docstring names the fields it packs): the
# relations the designs break (registers against image and logical state, TIF_NEED_FPU_LOAD,
# ownership, kernel FPU, signal frames, PASID activation, open windows, interrupt context)
# without the frame details that make features so many.
CELL = _L.VF_CELL

OP_IRQ = BY_NAME["irq"].opcode
OP_RET = BY_NAME["ret"].opcode
INJECTED_OPS = tuple(e.opcode for e in EVENTS if e.injected)   # they can open a nest


class Engine:
    """A coverage-guided fuzzer for one variant: one machine (with its model-coverage map),
    an in-memory corpus of byte inputs and a random generator seeded by ``(seed, variant)``.

    :meth:`fuzz` runs up to ``n`` executions and returns at the first violation whose oracle
    is not in :attr:`known`; the caller adds it there.  ``on_new_input`` sees every input that
    added coverage and ``on_drop`` every input pruned (the campaign mirrors the corpus in its
    directory)."""

    append_weight = 4       # relative weight of the append mutation (see _mutators)

    def __init__(self, variant: Variant, config: Config, cpu_vendor: str, seed: int,
                 max_events: int = DEFAULT_MAX_EVENTS,
                 on_new_input: Callable[[bytes], None] | None = None,
                 max_corpus: int | None = None,
                 on_drop: Callable[[bytes], None] | None = None):
        self.variant = variant
        self.config = config
        self.cpu_vendor = cpu_vendor
        self.seed = seed
        self.max_events = max_events
        self.rng = random.Random(f"fuzzcore-fuzz:{seed}:{variant}")
        self.m = new_machine(variant, config, cpu_vendor)
        self.m.cov_on = 1
        self.corpus: list[bytes] = []
        self.weights: list[float] = []   # selection weights of the corpus entries
        self.cum: list[float] = []       # and their running sums
        self.members: set[bytes] = set(self.corpus)
        self.max_corpus = max_corpus or DEFAULT_MAX_CORPUS
        self.known: set[int] = set()     # finding slots already reported (finding_slot)
        self.execs = 0
        self.seconds = 0.0
        self.coverage = 0                # model-coverage entries of this machine
        self.on_new_input = on_new_input
        self.on_drop = on_drop
        self._r = self.rng.random
        self.features: set[int] = set()
        self._cell_of = operator.itemgetter(CELL)
        self.cells: dict[int, list[bytes]] = {}     # cell -> inputs that end in it
        self.cell_keys: list[int] = []              # the cells in order of discovery
        self.cell_chosen: list[int] = []            # how often each was chosen
        self._grow_by = 0                           # the next execution grows its input
        self.last_input = b""                       # what the last execution ran
        self._final_features: tuple = ()            # the last clean execution's features
        self._steps = [bytes((NEVENTS * c, 0)) for c in range(config.ncpu)]
        # per opcode: how many argument values b1 (and the quotient) select; 0: no argument
        ntasks = config.nuser + config.nkthread
        self._arg_span = [0 if e.arg == NONE else (e.hi - e.lo + 1) if e.arg == INT
                          else ntasks + (e.arg == OPT_TASK) for e in EVENTS]
        ncpu = config.ncpu
        self._ncpu = ncpu
        self._mutators = (
            (self._insert_event, 6), (self._append, self.append_weight),
            (self._insert_steps, 6), (self._insert_nest, 4), (self._delete, 5),
            (self._duplicate, 3), (self._swap, 3), (self._change_arg, 5),
            (self._change_opcode, 5), (self._change_cpu, 4), (self._splice, 3),
            (self._truncate, 2))
        total = sum(w for _, w in self._mutators)
        acc = 0.0
        self._mut_cum = []
        for _, w in self._mutators:
            acc += w / total
            self._mut_cum.append(acc)
        self._mut_fns = [f for f, _ in self._mutators]

    # -- corpus ------------------------------------------------------------------------------

    def _add(self, data: bytes, new: int, dnew: int = 0) -> None:
        if data in self.members:
            return
        self.members.add(data)
        # Favour short inputs, and those that found more.
        weight = (1.0 + min(new + dnew, 32) / 8.0) * 16.0 / (8.0 + len(data) // 2)
        self.corpus.append(data)
        self.weights.append(weight)
        self.cum.append((self.cum[-1] if self.cum else 0.0) + weight)
        if self.on_new_input is not None:
            self.on_new_input(data)
        if len(self.corpus) > self.max_corpus:
            self._prune()

    def _prune(self) -> None:
        """Down to half the maximum: the newest quarter (the frontier) and the heaviest
        quarter (shortest, most productive) of the rest.  Memory stays bounded and selection
        undiluted; the corpus directory keeps everything."""
        quarter = self.max_corpus // 4
        old = len(self.corpus) - quarter
        heavy = sorted(range(old), key=lambda i: -self.weights[i])[:quarter]
        keep = sorted(heavy) + list(range(old, len(self.corpus)))
        if self.on_drop is not None:
            kept = set(keep)
            for i in range(len(self.corpus)):
                if i not in kept:
                    self.on_drop(self.corpus[i])
        self.corpus = [self.corpus[i] for i in keep]
        self.weights = [self.weights[i] for i in keep]
        self.members = set(self.corpus)
        self.cum = list(itertools.accumulate(self.weights))

    def execute(self, data: bytes) -> int:
        """Run one input from the initial state; returns the violating event or -1.  Adds the
        input to the corpus when it is clean and found new coverage, without the events
        that did nothing (skipped by their guards): the same run, so mutations land on
        events that matter.  When :meth:`next_input` asked for it, the input first grows
        (:meth:`_grow`); :attr:`last_input` is what ran."""
        m = self.m
        m.reset()
        m.cov_reset_run()
        effective = bytearray()
        stop = m.run_bytes(data, effective)
        if self._grow_by:
            if stop < 0:
                data, stop = self._grow(data, effective, self._grow_by)
            self._grow_by = 0
        self.last_input = data
        self.execs += 1
        new = m.cov_new
        dnew = self._data_features() if stop < 0 else 0
        if new or dnew:
            self.coverage += new
            if stop < 0:
                kept = bytes(effective)
                self._add(kept, new, dnew)
                self._add_to_cells(kept)
            elif stop > 0:
                self._add(bytes(effective[:-2]), new)  # the way there, short of the violation
        return stop

    def _grow(self, data: bytes, effective: bytearray, k: int) -> tuple[bytes, int]:
        """From the final state of ``data`` (where the machine is), up to ``k`` random events
        that do something: a skipped one is dropped and another drawn (four candidates per
        event at most).  Often on the CPU that acted last: its pending steps and its body go
        on there.  Often ``ret``: an input that ends inside an interrupt must return for the
        code it interrupted to resume, and the designs break when it does.  The core runs
        the candidates (``Machine.grow_bytes``).
        Returns the grown input and the violating event or -1."""
        cpu = self._cpu_of(data[-2]) if data else -1
        before = len(effective)
        stop = self.m.grow_bytes(self.rng.randbytes(16 * k), k, len(data) // 2, cpu,
                                 GROW_SAME_CPU_DRAW, GROW_RET_DRAW, effective)
        return data + effective[before:], stop

    def _add_to_cells(self, data: bytes) -> None:
        """File a kept input under the cell of every CPU's final state (the machine is
        there): the Go-Explore archive :meth:`_pick` draws from."""
        cell_of = self._cell_of
        for feature in self._final_features:
            key = cell_of(feature)
            members = self.cells.get(key)
            if members is None:
                self.cells[key] = [data]
                self.cell_keys.append(key)
                self.cell_chosen.append(0)
            elif len(members) < CELL_MEMBERS:
                members.append(data)
            else:
                members[self._below(CELL_MEMBERS)] = data

    def _data_features(self) -> int:
        """How many of the final state's value features (``Machine.value_features``) are
        new to this engine."""
        feats = self.features
        before = len(feats)
        self._final_features = final = self.m.value_features()
        feats.update(final)         # one tuple per CPU, each with its CPU: never equal
        return len(feats) - before

    def seed_input(self, data: bytes) -> Hit | None:
        """Run an imported input (from a corpus directory); kept if it adds coverage."""
        data = data[:2 * self.max_events]
        t0 = time.perf_counter()
        try:
            stop = self.execute(data)
        finally:
            self.seconds += time.perf_counter() - t0
        return self._hit(data, stop) if stop >= 0 else None

    def _hit(self, data: bytes, stop: int) -> Hit | None:
        v = read_violation(self.m.S, self.config)
        if v is None or finding_slot(v.oracle, v.kernel_finding) in self.known:
            return None
        return Hit(self.variant, v.oracle, data, stop, self.execs, self.seconds,
                   v.kernel_finding)

    # -- the loop ----------------------------------------------------------------------------

    def fuzz(self, n: int, hook: Callable[[int], None] | None = None) -> Hit | None:
        """Up to ``n`` executions; returns at the first unknown violation.  ``hook(execs)``
        runs after every execution (tests use it to interrupt a campaign)."""
        m = self.m
        t0 = time.perf_counter()
        base_seconds = self.seconds
        try:
            for _ in range(n):
                stop = self.execute(self.next_input())
                data = self.last_input
                if stop >= 0:
                    v = read_violation(m.S, self.config)
                    if (v is not None
                            and finding_slot(v.oracle, v.kernel_finding) not in self.known):
                        self.seconds = base_seconds + (time.perf_counter() - t0)
                        return Hit(self.variant, v.oracle, data, stop, self.execs,
                                   self.seconds, v.kernel_finding)
                if hook is not None:
                    hook(self.execs)
            return None
        finally:
            self.seconds = base_seconds + (time.perf_counter() - t0)

    def next_input(self) -> bytes:
        r = self._r
        if not self.corpus or r() < FRESH_RATE:
            return self.fresh()
        parent = self._pick()
        if r() < GROW_RATE:
            self._grow_by = 1 + self._below(GROW_EVENTS)
            return parent[:2 * (self.max_events - GROW_EVENTS)]
        data = parent
        fns, cum = self._mut_fns, self._mut_cum
        for _ in range(1 + min(int(-math.log(1.0 - r()) / 0.7), 6)):
            data = fns[bisect_right(cum, r())](data)
        if not data or data == parent:
            data = self._insert_event(parent)
        return data[:2 * self.max_events]

    def _pick(self) -> bytes:
        """A corpus entry: mostly through the cells (the least chosen of a few drawn, at
        times only among the newest, then one of its inputs), else by the weights given when
        it was added.  Inputs are many and most end in common states; cells are few, so a
        state reached once, the next step of a deep sequence, gets its share at once."""
        r = self._r          # int(r() * n): _below, inlined on this hot path
        keys = self.cell_keys
        if keys and r() < CELL_RATE:
            chosen = self.cell_chosen
            last = len(keys) - 1
            span = min(CELL_RECENT, last + 1) if r() < CELL_RECENT_RATE else last + 1
            best = last - int(r() * span)
            fewest = chosen[best]
            for _ in range(CELL_TOURNAMENT - 1):
                j = last - int(r() * span)
                if chosen[j] < fewest:
                    best, fewest = j, chosen[j]
            chosen[best] = fewest + 1
            members = self.cells[keys[best]]
            return members[int(r() * len(members))]
        cum = self.cum
        return self.corpus[min(bisect_right(cum, r() * cum[-1]), len(cum) - 1)]

    def fresh(self) -> bytes:
        n = 1 + int(self._r() * self.max_events)
        return self.rng.randbytes(2 * n)

    def _cpu_of(self, b0: int) -> int:
        """The CPU of an event's first byte (b0 = opcode + NEVENTS * (cpu + ncpu * extra))."""
        return (b0 // NEVENTS) % self._ncpu

    def _with_cpu(self, b0: int, cpu: int) -> int:
        """The first byte with its CPU replaced (opcode and extra kept); above 255 when it
        does not fit a byte (the caller decides)."""
        q = b0 // NEVENTS
        return b0 % NEVENTS + NEVENTS * (cpu + self._ncpu * (q // self._ncpu))

    def _below(self, n: int) -> int:
        """A uniform integer in [0, n) (n >= 1), cheaper than randrange."""
        return int(self._r() * n)

    # -- mutations: every position is an event boundary (an even byte offset) -----------------

    def _insert_event(self, data: bytes) -> bytes:
        p = 2 * self._below(len(data) // 2 + 1)
        return data[:p] + self.rng.randbytes(2) + data[p:]

    def _append(self, data: bytes) -> bytes:
        """One to three random events at the end: the final state is what the value features
        see, so inputs grow from where they stop."""
        return data + self.rng.randbytes(2 + 2 * self._below(3))

    def _insertion_point(self, data: bytes) -> tuple[int, int]:
        """An event boundary of ``data`` and a CPU for what goes there: the CPU of the event
        before, mostly (its pending steps and body go on there)."""
        p = 2 * self._below(len(data) // 2 + 1)
        if p and self._r() < 0.75:
            return p, self._cpu_of(data[p - 2])
        return p, self._below(self._ncpu)

    def _insert_steps(self, data: bytes) -> bytes:
        """A run of ``step`` (opcode 0) on one CPU: the CPU of the event before, mostly."""
        p, cpu = self._insertion_point(data)
        k = 1 + min(int(-math.log(1.0 - self._r()) / 0.35), 15)
        return data[:p] + self._steps[cpu] * k + data[p:]

    def _insert_nest(self, data: bytes) -> bytes:
        """An interrupt with a body at an event boundary, on the CPU of the event before
        (mostly): an injected event (irq half the time), up to :data:`NEST_BODY` random
        events, ``ret``.  Entry code breaks where a handler runs between two micro-steps of
        what it interrupted and that code then resumes: three to four events in one place,
        which single-event mutations rarely assemble."""
        p, cpu = self._insertion_point(data)
        head = OP_IRQ if self._r() < NEST_IRQ else INJECTED_OPS[self._below(len(INJECTED_OPS))]
        at = NEVENTS * cpu
        rb = self.rng.randbytes(1 + 2 * NEST_BODY)
        nest = bytearray((head + at, rb[0]))
        for j in range(1, 1 + 2 * self._below(NEST_BODY + 1), 2):
            nest += bytes((rb[j] % NEVENTS + at, rb[j + 1]))
        nest += bytes((OP_RET + at, 0))
        return data[:p] + nest + data[p:]

    def _delete(self, data: bytes) -> bytes:
        n = len(data) // 2
        if n <= 1:
            return data
        i = self._below(n)
        k = 1 if self._r() < 0.7 else 1 + self._below(max(1, n // 4))
        return data[:2 * i] + data[2 * (i + k):]

    def _duplicate(self, data: bytes) -> bytes:
        n = len(data) // 2
        if n == 0:
            return data
        i = self._below(n)
        k = 1 + self._below(min(8, n - i))
        chunk = data[2 * i:2 * (i + k)]
        p = 2 * (i + k) if self._r() < 0.6 else 2 * self._below(n + 1)
        return data[:p] + chunk + data[p:]

    def _swap(self, data: bytes) -> bytes:
        n = len(data) // 2
        if n < 2:
            return data
        i = 2 * self._below(n - 1)
        return data[:i] + data[i + 2:i + 4] + data[i:i + 2] + data[i + 4:]

    def _change_arg(self, data: bytes) -> bytes:
        """A new argument for one event, drawn from its own range (values above 255, such as
        sigreturn's keep and corrupt, go through the quotient of b0), often a boundary."""
        n = len(data) // 2
        if n == 0:
            return data
        i = 2 * self._below(n)
        b0 = data[i]
        q, op = divmod(b0, NEVENTS)
        span = self._arg_span[op]
        if span == 0:                   # no argument: change the event instead
            return self._change_opcode(data)
        x = self._r()
        if x < 0.35:
            value = self._below(span)
        elif x < 0.55:
            value = span - 1 - self._below(min(span, 3))   # the top: sigreturn 258/257/256
        elif x < 0.7:
            value = 0
        else:                           # a neighbour of the current value
            extra = q // self._ncpu if span > 256 else 0
            cur = (data[i + 1] + 256 * extra) % span
            value = (cur + (1 if x < 0.85 else -1)) % span
        extra, b1 = divmod(value, 256) if span > 256 else (0, value)
        if span > 256:
            b0 = op + NEVENTS * (q % self._ncpu + self._ncpu * extra)
            if b0 > 255:
                return data
        return data[:i] + bytes((b0, b1)) + data[i + 2:]

    def _change_opcode(self, data: bytes) -> bytes:
        """Another event on the same CPU (the quotient b0 // NEVENTS is kept when it fits)."""
        n = len(data) // 2
        if n == 0:
            return data
        i = 2 * self._below(n)
        q = data[i] // NEVENTS
        op = self._below(NEVENTS)
        b0 = op + NEVENTS * q
        if b0 > 255:
            b0 = op + NEVENTS * (q % self._ncpu)
        return data[:i] + bytes((b0,)) + data[i + 1:]

    def _change_cpu(self, data: bytes) -> bytes:
        n = len(data) // 2
        ncpu = self._ncpu
        if n == 0 or ncpu < 2:
            return data
        i = 2 * self._below(n)
        q, op = divmod(data[i], NEVENTS)
        cpu = (q % ncpu + 1 + self._below(ncpu - 1)) % ncpu
        b0 = self._with_cpu(data[i], cpu)
        if b0 > 255:
            b0 = op + NEVENTS * cpu
        return data[:i] + bytes((b0,)) + data[i + 1:]

    def _splice(self, data: bytes) -> bytes:
        """This input's prefix, another corpus entry's suffix (or a chunk of it inserted)."""
        if len(self.corpus) < 2:
            return self._insert_event(data)
        other = self._pick()
        n, m = len(data) // 2, len(other) // 2
        if self._r() < 0.5:
            return data[:2 * self._below(n + 1)] + other[2 * self._below(m + 1):]
        j = 2 * self._below(max(m, 1))
        k = 1 + self._below(8)
        p = 2 * self._below(n + 1)
        return data[:p] + other[j:j + 2 * k] + data[p:]

    def _truncate(self, data: bytes) -> bytes:
        n = len(data) // 2
        if n <= 1:
            return data
        return data[:2 * (1 + self._below(n - 1))]


# --- findings --------------------------------------------------------------------------------

@dataclass
class Finding:
    """A (variant, oracle) pair met for the first time in the campaign, and its files."""
    variant: str
    oracle: str
    expect: str
    seconds: float              # the variant's fuzzing time to this first violation
    execs: int                  # the variant's executions up to it
    raw_hash: str               # sha1 of the raw input (minimized-from)
    raw_events: int             # events up to the violating one
    length: int                 # events of the saved (minimized) program
    path: str | None            # the .fz reproducer (None: it could not be written)
    bin_path: str | None        # the raw input
    found_by: str
    minimize_seconds: float
    minimized: bool             # False: the minimizer failed, the .fz is the raw program
    reference: str = CLEAN      # the reference designs' verdict on the reproducer
    worker: int = 0
    error: str | None = None    # why something could not be saved
    # a known finding about the reference kernel itself (variants.KERNEL_FINDINGS): the
    # verdict carries its label, on the design and on the reference alike
    kernel_finding: str | None = None

    @property
    def model_bug(self) -> bool:
        """The reference designs trip it too, and it is not a known kernel finding."""
        return self.reference != CLEAN and self.kernel_finding is None

    def to_json(self) -> dict:
        return dict(self.__dict__)


def found_by_command(variant: Variant, seed: int, execs: int, config: Config, vendor: str,
                     corpus: str | None) -> str:
    """The command that finds this again: the variant alone, its seed, its executions."""
    args = ["fuzzcore", "fuzz", "--variant", str(variant), "--seed", str(seed),
            "--runs", str(execs), "--config", config.name, "--cpu-vendor", vendor]
    if corpus is not None:
        args += ["--corpus", corpus]
    return shlex.join(args)


def default_minimizer():
    """``fuzzcore.minimize.minimize``, imported when the first finding needs it."""
    from .minimize import minimize
    return minimize


class FindingSaver:
    """Saves a hit: the raw bytes, then the minimized program, each atomically, under
    ``<out>/<variant dir>/<oracle>.{bin,fz}``."""

    def __init__(self, out: Path, config: Config, vendor: str, corpus_arg: str | None,
                 minimizer: Callable | None = None, log: Callable[[str], None] | None = None):
        self.out = out
        self.config = config
        self.vendor = vendor
        self.corpus_arg = corpus_arg
        self.minimizer = minimizer
        self.log = log or (lambda s: None)

    def save(self, hit: Hit, seed: int, worker: int = 0) -> Finding:
        from .runner import run
        cfg, variant = self.config, hit.variant
        expect = expect_of(variant)
        raw_hash = input_hash(hit.data)
        found_by = found_by_command(variant, seed, hit.execs, cfg, self.vendor, self.corpus_arg)
        folder = self.out / variant_dirname(variant)
        errors: list[str] = []
        bin_path: Path | None = folder / f"{hit.name}.bin"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write(bin_path, hit.data)
        except OSError as e:
            errors.append(_os_error(e, bin_path))
            bin_path = None
        raw = Program.from_bytes(hit.data[:2 * (hit.stop + 1)], cfg)
        program, minimized, t0 = raw, False, time.perf_counter()
        interrupted: BaseException | None = None
        try:
            minimize = self.minimizer or default_minimizer()
            result = minimize(raw, variant=variant, oracle=hit.oracle, config=cfg.name,
                              cpu_vendor=self.vendor)
            candidate = result.program
            check = run(candidate, variant, cfg.name, self.vendor)
            if check.oracle == hit.oracle:
                program, minimized = candidate, True
            else:
                errors.append(f"minimized program gives {check.oracle or 'clean'}, "
                              f"not {hit.oracle}: kept the raw program")
        except KeyboardInterrupt as e:      # a second Ctrl-C: save the raw program, then stop
            interrupted = e
            errors.append("interrupted while minimizing: kept the raw program")
        except Exception as e:  # noqa: BLE001 - a minimizer bug must not lose the finding
            errors.append(f"minimizer failed ({type(e).__name__}: {e}): kept the raw program")
        minimize_seconds = time.perf_counter() - t0
        headers = {"format": "fuzzcore-program 1", "config": cfg.name,
                   "cpu-vendor": self.vendor, "variant": str(variant), "expect": hit.oracle,
                   "found-by": found_by, "minimized-from": raw_hash,
                   "note": (f"fuzzcore fuzz: found after {hit.execs} executions; "
                            f"{len(raw)} -> {len(program)} events"
                            + ("" if minimized else " (not minimized)"))}
        known: str | None = hit.kernel_finding
        try:    # the fix must hold: a reference that trips too means the model is wrong
            ref_run = run(program, Variant.reference(), cfg.name, self.vendor)
            reference = ref_run.oracle or CLEAN
            if ref_run.violation and ref_run.violation.kernel_finding:
                known = ref_run.violation.kernel_finding
        except Exception as e:  # noqa: BLE001
            reference = f"error: {e}"
        if known is not None:
            headers["note"] += (f"; the known kernel finding {known} (the reference designs "
                                "trip it too: README, semantics)")
        elif reference != CLEAN:
            headers["note"] += f"; THE REFERENCE DESIGNS TRIP {reference} TOO"
            errors.append(f"the reference designs trip {reference} on it too (a model bug?)")
        program = Program(list(program.events), headers)
        path: Path | None = folder / f"{hit.name}.fz"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            save_program(program, path)
        except OSError as e:      # never lose it: the text goes to the log instead
            errors.append(_os_error(e, path) + "; the program follows:\n"
                          + program.serialize().rstrip("\n"))
            path = None
        finding = Finding(str(variant), hit.oracle, expect, hit.seconds, hit.execs, raw_hash,
                          len(raw), len(program), str(path) if path else None,
                          str(bin_path) if bin_path else None, found_by, minimize_seconds,
                          minimized, reference, worker, "; ".join(errors) or None, known)
        for err in errors:
            self.log(f"fuzzcore: {variant} {hit.oracle}: {err}")
        if interrupted is not None:
            raise interrupted
        return finding


# --- corpus directory ------------------------------------------------------------------------

def corpus_files(folder: Path) -> list[Path]:
    """The inputs under ``folder`` (recursively), sorted; hidden files (temporaries) skipped."""
    out = []
    for root, dirs, files in os.walk(folder, onerror=_raise):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out += [Path(root) / f for f in files if not f.startswith(".")]
    return sorted(out)


def _raise(e: OSError) -> None:
    raise e


def read_input(path: Path, config: Config) -> bytes:
    """One corpus file as engine bytes: a ``.fz`` is parsed and encoded, anything else is
    taken as it is.  Raises ProgramError (bad text) or OSError."""
    if path.suffix == ".fz":
        program = Program.load(path, config)
        try:
            return program.to_bytes(config)
        except ValueError as e:
            raise ProgramError(str(e), str(path)) from None
    with open(path, "rb") as f:
        return f.read(MAX_FILE_BYTES)


def load_corpus_dir(folder: Path, config: Config) -> list[bytes]:
    """Every input of a corpus directory, in name order.  Raises CampaignError naming the
    first unreadable directory or file, or the first corrupt ``.fz``."""
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise CampaignError(f"--corpus {folder}: not a directory")
    try:
        files = corpus_files(folder)
    except OSError as e:
        raise CampaignError(f"--corpus {e.filename or folder}: cannot read directory: "
                            f"{e.strerror or e}") from None
    out = []
    for path in files:
        try:
            out.append(read_input(path, config))
        except ProgramError as e:
            raise CampaignError(f"corrupt corpus file {e}") from None
        except OSError as e:
            raise CampaignError(f"cannot read corpus file {path}: {e.strerror or e}") from None
    return out


# --- the campaign (one process) --------------------------------------------------------------

@dataclass
class VariantStats:
    variant: str
    expect: str
    execs: int = 0
    seconds: float = 0.0
    coverage: int = 0
    corpus: int = 0
    done: bool = False      # its expected oracle was found


class Campaign:
    """Round robin over the variants' engines in slices of ``SLICE_EXECS`` executions, until
    the budget is spent, every variant is done, or a stop is requested."""

    def __init__(self, variants: Sequence[Variant], config: Config, vendor: str, seed: int,
                 saver: FindingSaver, corpus_writer: CorpusWriter,
                 seeds: Sequence[bytes] = (), worker: int = 0,
                 max_events: int = DEFAULT_MAX_EVENTS,
                 hook: Callable[[int], None] | None = None,
                 on_finding: Callable[[Finding], None] | None = None,
                 claim: Callable[[int, int], bool] | None = None,
                 is_done: Callable[[int], bool] | None = None):
        self.variants = list(variants)
        self.config = config
        self.seed = seed
        self.worker = worker
        self.saver = saver
        self.hook = hook
        self.on_finding = on_finding
        self.claim = claim
        self.is_done_shared = is_done
        self.engines = [Engine(v, config, vendor, seed, max_events, corpus_writer.add,
                               on_drop=corpus_writer.drop)
                        for v in self.variants]
        self.expects = [expect_of(v) for v in self.variants]
        self.done = [False] * len(self.variants)
        self.findings: list[Finding] = []
        self.execs = 0
        self.interrupted = False
        self._seeds = list(seeds)
        self._seeded = False
        self.imported = 0       # inputs read from the corpus directory (seeds, other jobs')
        self._next = 0

    def stats(self) -> list[VariantStats]:
        return [VariantStats(str(e.variant), x, e.execs, e.seconds, e.coverage, len(e.corpus), d)
                for e, x, d in zip(self.engines, self.expects, self.done)]

    def coverage(self) -> int:
        return sum(e.coverage for e in self.engines)

    def corpus_size(self) -> int:
        return sum(len(e.corpus) for e in self.engines)

    def active(self) -> list[int]:
        return [i for i in range(len(self.engines)) if not self.done[i]]

    def import_inputs(self, inputs: Iterable[bytes]) -> None:
        """Run inputs from outside on every active engine (seeds, other workers' finds)."""
        for data in inputs:
            self.imported += 1
            for i in self.active():
                hit = self.engines[i].seed_input(data)
                self.execs += 1
                if hit is not None:
                    self._record(i, hit)

    def run_slice(self, budget_execs: int | None) -> bool:
        """One slice of the next active engine.  False when there is nothing left to do."""
        if not self._seeded:
            self._seeded = True
            self.import_inputs(self._seeds)
        if self.is_done_shared is not None:
            for i in self.active():
                if self.is_done_shared(i):
                    self.done[i] = True
        active = self.active()
        if not active or (budget_execs is not None and budget_execs <= 0):
            return False
        i = next((j for j in active if j >= self._next), active[0])
        self._next = i + 1
        n = SLICE_EXECS if budget_execs is None else min(SLICE_EXECS, budget_execs)
        engine = self.engines[i]
        start = engine.execs
        base = self.execs
        hook = self.hook
        wrapped = None if hook is None else (lambda k: hook(base + k - start))
        try:
            while not self.done[i]:
                left = n - (engine.execs - start)
                if left <= 0:
                    break
                hit = engine.fuzz(left, wrapped)
                self.execs = base + (engine.execs - start)
                if hit is None:
                    break
                self._record(i, hit)
        finally:
            self.execs = base + (engine.execs - start)
        return True

    def _record(self, i: int, hit: Hit) -> None:
        engine = self.engines[i]
        engine.known.add(hit.slot)
        if self.claim is not None and not self.claim(i, hit.slot):
            return                  # another worker has it
        finding = self.saver.save(hit, self.seed, self.worker)
        self.findings.append(finding)
        if hit.oracle == self.expects[i]:
            self.done[i] = True
        if self.on_finding is not None:
            self.on_finding(finding)


# --- progress line and stats file ------------------------------------------------------------

class Monitor:
    """The live progress line on stderr and ``<out>/stats.jsonl``."""

    def __init__(self, out: Path, progress: bool, stream=None):
        self.stream = stream or sys.stderr
        self.progress = progress
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.monotonic()
        self.last_line = -1e9
        self.last_stats = -1e9
        self.last_execs = 0
        self.last_time = self.t0
        self.rate = 0.0
        self.dirty = False
        try:
            self.stats_file = open(out / "stats.jsonl", "w", encoding="utf-8")
        except OSError as e:
            raise CampaignError(f"cannot write {out / 'stats.jsonl'}: {e.strerror or e}") \
                from None

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def update(self, execs: int, coverage: int, corpus: int, findings: int, done: int,
               total: int, force: bool = False) -> None:
        now = time.monotonic()
        if now - self.last_time >= 0.25 or force:
            dt = now - self.last_time
            if dt > 0:
                self.rate = (execs - self.last_execs) / dt
            self.last_time, self.last_execs = now, execs
        elapsed = now - self.t0
        if now - self.last_stats >= STATS_INTERVAL or force:
            self.last_stats = now
            rate = execs / elapsed if elapsed > 0 else 0.0
            line = {"time": round(elapsed, 3), "execs": execs, "execs_per_s": round(rate, 1),
                    "coverage": coverage, "corpus": corpus, "findings": findings,
                    "variants_done": done, "variants": total}
            try:
                self.stats_file.write(json.dumps(line) + "\n")
                self.stats_file.flush()
            except OSError:
                pass
        interval = TTY_INTERVAL if self.tty else PLAIN_INTERVAL
        if self.progress and (now - self.last_line >= interval or force):
            self.last_line = now
            rate = execs / elapsed if elapsed > 0 else 0.0
            text = (f"#{execs} {elapsed:7.1f}s  {rate:8,.0f} exec/s  cov {coverage}  "
                    f"corp {corpus}  findings {findings}  done {done}/{total}")
            if self.tty:
                self.stream.write("\r" + text + "\x1b[K")
                self.dirty = True
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def message(self, text: str) -> None:
        if self.dirty:
            self.stream.write("\r\x1b[K")
            self.dirty = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.dirty:
            self.stream.write("\n")
            self.dirty = False
        self.stream.flush()
        try:
            self.stats_file.close()
        except OSError:
            pass


# --- results ---------------------------------------------------------------------------------

@dataclass
class CampaignResult:
    findings: list[Finding]
    variants: list[VariantStats]
    execs: int
    seconds: float
    interrupted: bool
    out: str
    corpus: str
    seed: int
    jobs: int = 1
    errors: list[str] = field(default_factory=list)
    imported: int = 0           # inputs read from the corpus directory

    @property
    def exit_code(self) -> int:
        """130 interrupted; 1 a design expected clean tripped an oracle, or the reference
        designs trip on a reproducer too (the model is wrong), or a reproducer could not be
        written, or a job failed; else 0."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.errors or any((f.expect == CLEAN and f.kernel_finding is None) or f.model_bug
                              or f.path is None for f in self.findings):
            return 1
        return 0

    def rows(self) -> list[list[str]]:
        rows = []
        for vs in self.variants:
            mine = [f for f in self.findings if f.variant == vs.variant]
            for f in mine:
                mark = " *" if f.oracle == vs.expect else ""
                mark += " !" if f.model_bug else ""
                mark += " (kernel)" if f.kernel_finding else ""
                rows.append([vs.variant, f.oracle + mark,
                             f"{f.seconds:.3f}s", f"{f.execs}",
                             f"{f.length}" + ("" if f.minimized else " (raw)"),
                             f.path or "(not saved)"])
            if not mine:
                rows.append([vs.variant, "-", "-", f"{vs.execs}", "-", "-"])
        return rows

    def table(self) -> str:
        head = ["variant", "oracle", "first violation", "executions", "min. length",
                "reproducer"]
        rows = [head] + self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(head) - 1)]
        lines = ["  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip()
                 for r in rows]
        rate = self.execs / self.seconds if self.seconds > 0 else 0.0
        found = sum(1 for vs in self.variants if vs.done)
        expecting = sum(1 for vs in self.variants if vs.expect not in (CLEAN, JUDGE))
        bad = sum(1 for f in self.findings if f.model_bug)
        known = sum(1 for f in self.findings if f.kernel_finding)
        lines.append("")
        lines.append(f"{len(self.findings)} findings; expected oracle found for {found} of "
                     f"{expecting} designs (* marks it)"
                     + (f"; {bad} also trip the reference designs (! marks them: a model "
                        f"bug?)" if bad else "")
                     + (f"; {known} known kernel finding{'s' if known > 1 else ''} "
                        f"(README, semantics)" if known else "")
                     + f"; {self.execs:,} executions in "
                     f"{self.seconds:.1f} s ({rate:,.0f}/s), {self.jobs} "
                     f"{'job' if self.jobs == 1 else 'jobs'}, seed {self.seed}"
                     + ("; interrupted" if self.interrupted else ""))
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        return {"findings": [f.to_json() for f in self.findings],
                "variants": [dict(v.__dict__) for v in self.variants],
                "execs": self.execs, "seconds": self.seconds, "interrupted": self.interrupted,
                "out": self.out, "corpus": self.corpus, "seed": self.seed, "jobs": self.jobs}


# --- the public entry point -----------------------------------------------------------------

class _Interrupt:
    """SIGINT -> a flag (the campaign stops between slices); a second SIGINT raises."""

    def __init__(self) -> None:
        self.requested = False
        self.old = None

    def __enter__(self) -> _Interrupt:
        import threading
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)


def _prepare(variants, config, cpu_vendor, out, corpus):
    if config not in CONFIGS:
        raise CampaignError(f"unknown configuration {config!r} (valid: {', '.join(CONFIGS)})")
    if cpu_vendor not in VENDORS:
        raise CampaignError(f"unknown cpu vendor {cpu_vendor!r} (valid: {', '.join(VENDORS)})")
    cfg = get_config(config)
    chosen = select_variants(variants)
    out_dir = Path(out)
    corpus_dir = Path(corpus) if corpus is not None else out_dir / "corpus"
    seeds = load_corpus_dir(corpus_dir, cfg) if corpus is not None else []
    for folder, what in ((out_dir, "--out"), (corpus_dir, "--corpus")):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CampaignError(f"{what} {folder}: cannot create directory: "
                                f"{e.strerror or e}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise CampaignError(f"{what} {folder}: directory not writable")
    return cfg, chosen, out_dir, corpus_dir, seeds


def fuzz(variants: Iterable[str] | None = None, *, time_budget: float | None = None,
         runs: int | None = None, jobs: int = 1, seed: int = 0, corpus: str | None = None,
         out: str = "findings", config: str = DEFAULT_CONFIG,
         cpu_vendor: str = DEFAULT_VENDOR, progress: bool = True,
         max_events: int = DEFAULT_MAX_EVENTS, hook: Callable[[int], None] | None = None,
         minimizer: Callable | None = None, stream=None) -> CampaignResult:
    """Run a campaign (SPEC 3.2) and return its result; ``result.table()`` is the final table.

    ``variants``: variant texts (each may contain commas), ``all`` or None for every
    non-reference design.  Budget: ``time_budget`` seconds and/or ``runs`` executions in total
    (neither: ``DEFAULT_TIME`` seconds; ``time_budget=0``: until interrupted).  ``jobs`` > 1
    runs worker processes with seeds ``seed + i`` that share ``corpus`` (default
    ``<out>/corpus``).  ``hook(execs)`` runs after every execution of a single-process
    campaign.  ``minimizer`` replaces :func:`fuzzcore.minimize.minimize` (same signature).
    Raises :class:`CampaignError` for bad input, before anything runs."""
    if jobs < 1:
        raise CampaignError(f"--jobs {jobs}: must be at least 1")
    if runs is not None and runs < 0:
        raise CampaignError(f"--runs {runs}: must not be negative")
    if time_budget is not None and time_budget < 0:
        raise CampaignError(f"--time {time_budget}: must not be negative")
    if time_budget is None and runs is None:
        time_budget = DEFAULT_TIME
    if time_budget == 0:
        time_budget = None
    cfg, chosen, out_dir, corpus_dir, seeds = _prepare(variants, config, cpu_vendor, out, corpus)
    monitor = Monitor(out_dir, progress, stream)
    if progress:
        budget = ", ".join(([f"{time_budget:g} s"] if time_budget is not None else [])
                           + ([f"{runs} runs"] if runs is not None else [])) or "no limit"
        monitor.message(f"fuzzcore fuzz: {len(chosen)} variants, seed {seed}, {budget}, "
                        f"{jobs} {'job' if jobs == 1 else 'jobs'}, config {cfg.name}, "
                        f"{cpu_vendor}; findings in {out_dir}, corpus in {corpus_dir}"
                        + (f" ({len(seeds)} inputs loaded)" if corpus is not None else ""))
    try:
        if jobs == 1:
            return _run_single(chosen, cfg, cpu_vendor, seed, out_dir, corpus_dir, corpus,
                               seeds, time_budget, runs, max_events, hook, minimizer, monitor)
        return _run_jobs(chosen, cfg, cpu_vendor, seed, out_dir, corpus_dir, corpus,
                        time_budget, runs, jobs, max_events, minimizer, monitor)
    finally:
        monitor.close()


def _run_single(chosen, cfg, vendor, seed, out_dir, corpus_dir, corpus_arg, seeds,
                time_budget, runs, max_events, hook, minimizer, monitor) -> CampaignResult:
    saver = FindingSaver(out_dir, cfg, vendor, corpus_arg, minimizer, monitor.message)
    writer = CorpusWriter(corpus_dir, monitor.message)

    def announce(f: Finding) -> None:
        if monitor.progress:
            monitor.message(finding_line(f))

    try:
        campaign = Campaign(chosen, cfg, vendor, seed, saver, writer, seeds, 0, max_events,
                            hook, announce)
    except BaseException:
        writer.close()                  # its helper process must not outlive the campaign
        raise
    t0 = time.monotonic()
    deadline = None if time_budget is None else t0 + time_budget
    with _Interrupt() as stop:
        try:
            while not stop.requested:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                left = None if runs is None else runs - campaign.execs
                if not campaign.run_slice(left):
                    break
                writer.flush_due()
                monitor.update(campaign.execs, campaign.coverage(), campaign.corpus_size(),
                               len(campaign.findings), sum(campaign.done), len(chosen))
            campaign.interrupted = stop.requested
        except KeyboardInterrupt:
            campaign.interrupted = True
        finally:
            seconds = time.monotonic() - t0         # fuzzing; the disk's last writes apart
            writer.close()
    if writer.waited >= 1.0:
        monitor.message(f"fuzzcore fuzz: waited {writer.waited:.1f} s for the last corpus "
                        f"files to reach {corpus_dir}")
    monitor.update(campaign.execs, campaign.coverage(), campaign.corpus_size(),
                   len(campaign.findings), sum(campaign.done), len(chosen), force=True)
    return CampaignResult(campaign.findings, campaign.stats(), campaign.execs, seconds,
                          campaign.interrupted, str(out_dir), str(corpus_dir), seed,
                          imported=campaign.imported)


def finding_line(f: Finding) -> str:
    where = f.path or "(not saved)"
    mark = " (expected)" if f.oracle == f.expect else ""
    return (f"finding: {f.variant} {f.oracle}{mark} after {f.seconds:.3f} s, {f.execs} execs"
            f" -> {where} ({f.length} events)")


# --- --jobs N: worker processes sharing the corpus directory --------------------------------

def _run_jobs(chosen, cfg, vendor, seed, out_dir, corpus_dir, corpus_arg, time_budget, runs,
              jobs, max_events, minimizer, monitor) -> CampaignResult:
    """Workers with seeds ``seed + i`` fuzz every variant round robin, write new inputs to
    ``corpus_dir`` and import each other's; findings are claimed in a shared table (one
    finder per (variant, oracle)), saved by the worker that claimed them and reported here.
    The parent owns the progress line, the stats file, the time budget and SIGINT."""
    import multiprocessing as mp
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    nvar = len(chosen)
    flags = ctx.Array("b", nvar * NSLOTS)
    queue = ctx.Queue()
    stop = ctx.Event()
    opts = {"variants": [str(v) for v in chosen], "config": cfg.name, "vendor": vendor,
            "out": str(out_dir), "corpus_dir": str(corpus_dir), "corpus_arg": corpus_arg,
            "max_events": max_events, "minimizer": minimizer}
    procs = []
    for w in range(jobs):
        share = None if runs is None else runs // jobs + (1 if w < runs % jobs else 0)
        p = ctx.Process(target=_worker_main, name=f"fuzzcore-fuzz-{w}",
                        args=(w, seed + w, share, opts, queue, stop, flags), daemon=True)
        procs.append(p)
    t0 = time.monotonic()
    deadline = None if time_budget is None else t0 + time_budget
    findings: list[Finding] = []
    latest: dict[int, tuple[int, list[VariantStats]]] = {}
    finished: set[int] = set()
    imported: dict[int, int] = {}
    errors: list[str] = []
    interrupted = False

    def aggregate() -> tuple[int, int, int, list[VariantStats]]:
        execs = sum(e for e, _ in latest.values())
        out = []
        for i, v in enumerate(chosen):
            per = [stats[i] for _, stats in latest.values() if i < len(stats)]
            x = expect_of(v)
            done = x in ORACLES and bool(flags[i * NSLOTS + ORACLES.index(x)])
            out.append(VariantStats(str(v), x, sum(s.execs for s in per),
                                    sum(s.seconds for s in per),
                                    max((s.coverage for s in per), default=0),
                                    max((s.corpus for s in per), default=0), done))
        return (execs, sum(s.coverage for s in out), sum(s.corpus for s in out), out)

    def handle(msg) -> None:
        kind, w = msg[0], msg[1]
        if kind == "stats":
            latest[w] = (msg[2], msg[3])
            imported[w] = msg[4]
        elif kind == "finding":
            findings.append(msg[2])
            if monitor.progress:
                monitor.message(finding_line(msg[2]) + f" [job {w}]")
        elif kind == "log":
            monitor.message(msg[2])
        elif kind == "done":
            latest[w] = (msg[2], msg[3])
            imported[w] = msg[4]
            finished.add(w)
        elif kind == "error":
            errors.append(f"job {w}: {msg[2]}")
            monitor.message(f"fuzzcore: job {w} failed: {msg[2]}")
            finished.add(w)

    import queue as queue_mod
    with _Interrupt() as sig:
        try:
            for p in procs:
                p.start()
            while len(finished) < jobs:
                if sig.requested or (deadline is not None and time.monotonic() >= deadline):
                    interrupted = interrupted or sig.requested
                    stop.set()
                try:
                    handle(queue.get(timeout=0.2))
                except queue_mod.Empty:
                    for w, p in enumerate(procs):
                        if w not in finished and not p.is_alive() and p.exitcode is not None:
                            # it may have sent "done" just before exiting: look once more
                            try:
                                while True:
                                    handle(queue.get(timeout=0.5))
                            except queue_mod.Empty:
                                pass
                            if w not in finished:
                                errors.append(f"job {w} exited with status {p.exitcode}")
                                monitor.message(f"fuzzcore: job {w} exited with status "
                                                f"{p.exitcode}")
                                finished.add(w)
                execs, cov, corp, stats = aggregate()
                monitor.update(execs, cov, corp, len(findings), sum(s.done for s in stats),
                               nvar)
        except KeyboardInterrupt:       # a second Ctrl-C: stop waiting politely
            interrupted = True
            stop.set()
            deadline_kill = time.monotonic() + 5
            while len(finished) < jobs and time.monotonic() < deadline_kill:
                try:
                    handle(queue.get(timeout=0.2))
                except (queue_mod.Empty, KeyboardInterrupt):
                    pass
        interrupted = interrupted or sig.requested
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.terminate()
            p.join()
    execs, cov, corp, stats = aggregate()
    monitor.update(execs, cov, corp, len(findings), sum(s.done for s in stats), nvar,
                   force=True)
    return CampaignResult(findings, stats, execs, time.monotonic() - t0, interrupted,
                          str(out_dir), str(corpus_dir), seed, jobs, errors,
                          sum(imported.values()))


def _worker_main(w: int, seed: int, runs: int | None, opts: dict, queue, stop, flags) -> None:
    """One ``--jobs`` worker: a :class:`Campaign` with shared claims and corpus imports."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides when to stop
    campaign = writer = None
    try:
        cfg = get_config(opts["config"])
        variants = [resolve_variant(Variant.parse(t)) for t in opts["variants"]]
        expects = [expect_of(v) for v in variants]
        norc = NSLOTS

        def log(text: str) -> None:
            queue.put(("log", w, text))

        def claim(i: int, slot: int) -> bool:
            with flags.get_lock():
                k = i * norc + slot
                if flags[k]:
                    return False
                flags[k] = 1
                return True

        def is_done(i: int) -> bool:
            x = expects[i]
            return x in ORACLES and bool(flags[i * norc + ORACLES.index(x)])

        corpus_dir = Path(opts["corpus_dir"])
        explicit = opts["corpus_arg"] is not None
        seeds = load_corpus_dir(corpus_dir, cfg) if explicit else []
        seen = {p.name for p in corpus_dir.iterdir()} if corpus_dir.is_dir() else set()
        saver = FindingSaver(Path(opts["out"]), cfg, opts["vendor"], opts["corpus_arg"],
                             opts["minimizer"], log)
        writer = CorpusWriter(corpus_dir, log, JOBS_FLUSH_INTERVAL)
        campaign = Campaign(variants, cfg, opts["vendor"], seed, saver, writer, seeds, w,
                            opts["max_events"], None,
                            lambda f: queue.put(("finding", w, f)), claim, is_done)
        last_stats = last_import = time.monotonic()
        # Other jobs' files, seen and not imported yet.  Imported a chunk between two slices:
        # the other job keeps thousands a second, each runs on every engine here, and a look's
        # worth at once (18,000 inputs, 3.6 s) kept the worker from seeing the stop.
        backlog: list[str] = []
        while not stop.is_set():
            left = None if runs is None else runs - campaign.execs
            if not campaign.run_slice(left):
                break
            writer.flush_due()
            now = time.monotonic()
            if not backlog and now - last_import >= IMPORT_INTERVAL:
                last_import = now
                backlog = _new_names(corpus_dir, seen, writer.written, log)
            if backlog:
                chunk, backlog = backlog[:IMPORT_CHUNK], backlog[IMPORT_CHUNK:]
                fresh = _read_inputs(corpus_dir, chunk, cfg, log)
                if fresh:
                    campaign.import_inputs(fresh)
            if now - last_stats >= 0.5:
                last_stats = now
                queue.put(("stats", w, campaign.execs, campaign.stats(), campaign.imported))
        writer.close()
        queue.put(("done", w, campaign.execs, campaign.stats(), campaign.imported))
    except BaseException as e:  # noqa: BLE001 - report, never hang the parent
        detail = f"{type(e).__name__}: {e}"
        if not isinstance(e, (CampaignError, KeyboardInterrupt)):
            detail += "\n" + traceback.format_exc()
        if campaign is not None:
            queue.put(("stats", w, campaign.execs, campaign.stats(), campaign.imported))
        queue.put(("error", w, detail))
    finally:
        if writer is not None:
            writer.close()
        queue.close()
        queue.join_thread()


def _new_names(folder: Path, seen: set[str], own: set[str],
               log: Callable[[str], None]) -> list[str]:
    """The inputs that appeared in ``folder`` since the last look (not our own, not
    temporaries), by name; each is seen once."""
    try:
        names = sorted(e.name for e in os.scandir(folder)
                       if not e.name.startswith(".") and e.name not in seen and e.is_file())
    except OSError as e:
        log(f"fuzzcore: cannot list {folder}: {e.strerror or e}")
        return []
    seen.update(names)
    return [name for name in names if name not in own]


def _read_inputs(folder: Path, names: Sequence[str], cfg: Config,
                 log: Callable[[str], None]) -> list[bytes]:
    """The inputs of ``names`` in ``folder``.  A file gone meanwhile is skipped (the job that
    wrote it pruned it); one that cannot be read or parsed, with a warning (the campaign goes
    on)."""
    out = []
    for name in names:
        try:
            out.append(read_input(folder / name, cfg))
        except FileNotFoundError:
            pass
        except (OSError, ProgramError) as e:
            log(f"fuzzcore: skipped corpus file {folder / name}: {e}")
    return out


# --- the command line ---------------------------------------------------------------------

def run_command(variants: Sequence[str], time_budget: float | None, runs: int | None,
                jobs: int, seed: int | None, corpus: str | None, out: str, config: str,
                cpu_vendor: str, stdout=None, stderr=None) -> int:
    """``fuzzcore fuzz``: run, print the table on stdout, return the exit status (0, 1 a
    design expected clean was broken or a job failed, 2 bad input, 130 interrupted)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF
    try:
        result = fuzz(variants or None, time_budget=time_budget, runs=runs, jobs=jobs,
                      seed=seed, corpus=corpus, out=out, config=config,
                      cpu_vendor=cpu_vendor, stream=stderr,
                      progress=True)
    except CampaignError as e:
        stderr.write(f"fuzzcore: {e}\n")
        stderr.flush()
        return 2
    stdout.write(result.table())
    stdout.flush()
    return result.exit_code
