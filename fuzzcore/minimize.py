"""Shrink a violating program to a short, 1-minimal reproducer (SPEC 3.3).

Data flow: events -> program -> machine -> oracles -> **minimize** -> corpus/export.  A finding
comes in (a text program, or a fuzz engine's crash file decoded by :func:`load_input`); a
program that a kernel developer can read comes out, with ``# expect:`` naming its oracle and
``# minimized-from:`` naming where it came from.

How it works
------------
The **predicate** is "the same oracle fires on the same variant, configuration and CPU vendor":
running the candidate gives a violation, and its verdict (the first failing oracle in SPEC 1.8
table order) is the target oracle.  Which event or micro-step trips it, and with which values,
may change; the oracle's name is what deduplicates findings and keys the corpus.  The predicate
runs the machine core directly: one machine, reset between candidates, fed the flat
``(cpu, opcode, arg)`` triples (each event's triple is computed once).  That costs a few
microseconds per candidate with the compiled core, where ``runner.run()`` would spend most of
its time building a machine and a :class:`~fuzzcore.runner.Result`.  The predicate also reports
*where* the oracle fired: the events after that point never run, so every accepted candidate
is cut right after it for free.

Candidates are **memoized by the hash of their canonical text** (the event lines; headers never
change while shrinking), so a candidate that two passes both propose reaches the core once:
``runs`` counts predicate evaluations that reached the core, ``cache_hits`` those answered by
the memo.

A candidate is only ever tried if it is **simpler** than the current program in one fixed
total order (:func:`simplicity`): fewer events; then a lower total argument cost (no task for
``yield``, the lowest task, the lowest value, ``sigreturn``'s "keep" before any edit); then,
event by event, lower CPU numbers and argument costs.  Every accepted change therefore moves
strictly down a well-founded order, so the passes cannot undo each other and the loop ends.

The **passes** are named verb phrases, each a method of :class:`Shrinker` with its own
``tried``/``succeeded`` counters, each usable on its own:

``truncate_after_violation``
    drop the events after the one where the oracle fired (they never run);
``remove_event_chunks``
    delta debugging: remove runs of k consecutive events, k halving from n/2 down to 2;
``remove_steps``
    remove ``step`` events (all at once, then each run of consecutive steps, then one at a
    time): an event runs the pending micro-steps first, so most explicit steps only matter
    where an injected event must land between two of them;
``simplify_arguments``
    move each argument towards its simplest value: ``yield`` without a task, lower tasks, the
    lowest value of the range, one bit cleared at a time (PKRU and PKRS values are bit sets),
    ``sigreturn 256`` (keep the frame);
``rename_tasks_lowest``
    one consistent renaming of the user tasks (and of the kthreads) mentioned to the lowest
    numbers, in order of first mention or in numeric order;
``rename_cpus_lowest``
    the same for CPUs, alone or together with the initially running tasks (``t<c>`` runs on
    ``cpu<c>`` at start, so swapping two CPUs and their tasks often keeps the finding);
``remove_single_events``
    try removing each event on its own;
``remove_event_pairs``
    try removing two events together (an interrupt and its ``ret``, where neither goes alone);
``replace_entries``
    replace a kernel entry (``mce``, ``nmi``, ``syscall``, ...) by another one whose sequence
    has fewer micro-steps, dropping the ``step`` events the old one needed: a finding reached
    through a long #MC exit often needs only a syscall's.

They run in that order, in **rounds, until a round changes nothing**.  That final round tried
removing every single event (and every pair) of the final program and none kept the
violation: the result is **1-minimal** by construction (``MinimizeResult.one_minimal`` checks it
again through the memo, without running anything).  Renamings only produce names that exist in
the configuration, and every candidate is validated like a parsed program before it runs.

Removing events finds only programs inside the one found.  ``minimize(search=seconds)``
(``fuzzcore minimize --search``) then runs ``shortest_by_search``: ``fuzzcore check --oracle``
to one event less, which finds a shortest program with the same verdict wherever the bound is
reachable in the time given, even one that shares no event with the finding.

Speed: typical findings of 10-60 events shrink in a few milliseconds to a few tens of
milliseconds with the compiled core (``tests/test_minimize.py`` prints the figures).
"""
from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from . import runner
from .config import DEFAULT_CONFIG, DEFAULT_VENDOR, VENDORS, Config, get_config
from .events import BY_NAME, INT, OPT_TASK, SIGRETURN_CORRUPT, SIGRETURN_KEEP, TASK
from .program import FORMAT, Event, Program, ProgramError
from .variants import ORACLES, Variant

__all__ = ["PASSES", "MinimizeResult", "OracleFires", "Shrinker", "minimize", "load_input",
           "program_hash", "simplicity", "is_one_minimal"]

Events = tuple[Event, ...]
# A predicate answers, for a candidate, the index of the event at which the target oracle
# fired, or None if it did not fire.
Predicate = Callable[[Events], "int | None"]

# The passes, in the order a round runs them.  The final round changes nothing, so none of
# its removals keeps the violation: the result is 1-minimal (and no two events go together).
PASSES: tuple[str, ...] = (
    "truncate_after_violation",
    "remove_event_chunks",
    "remove_steps",
    "simplify_arguments",
    "rename_tasks_lowest",
    "rename_cpus_lowest",
    "remove_single_events",
    "remove_event_pairs",
    "replace_entries",
)
# Not part of the rounds: a bounded exhaustive search for a shorter program with the same
# verdict (minimize(search=seconds)), which finds what removing events cannot.
SEARCH_PASS = "shortest_by_search"
# The events that enter the kernel (each followed by its Appendix A sequence), the cheapest
# sequence first: what replace_entries swaps among.
ENTRY_EVENTS: tuple[str, ...] = ("syscall", "irq", "user_fault", "uaccess_fault",
                                 "vmalloc_fault", "bp", "db", "nmi", "mce")


# --- program identity and the simplicity order ----------------------------------------------

def _text_digest(lines: Sequence[bytes]) -> bytes:
    return hashlib.blake2b(b"\n".join(lines), digest_size=16).digest()


def program_hash(program: Program | Sequence[Event]) -> str:
    """A short, stable id of a program's events (hash of their canonical text lines).  Headers
    are not part of it: the same events are the same finding whatever the metadata says."""
    events = program.events if isinstance(program, Program) else program
    return "blake2b:" + _text_digest([e.text().encode() for e in events]).hex()[:16]


def _user_and_kthread_names(cfg: Config) -> tuple[str, ...]:
    """Task arguments a program may name, cheapest first: user slots, then kthreads."""
    return (tuple(f"t{i}" for i in range(cfg.nuser))
            + tuple(f"k{i}" for i in range(cfg.nkthread)))


def argument_cost(event: Event, cfg: Config) -> int:
    """How far an argument is from its simplest value (0 = simplest)."""
    kind = BY_NAME[event.name]
    arg = event.arg
    if kind.arg == INT:
        assert isinstance(arg, int)
        if event.name == "sigreturn":
            # "keep" leaves the frame as the kernel wrote it: the least special case.  An
            # edited value comes next, a corrupt frame last.
            if arg == SIGRETURN_KEEP:
                return 0
            return SIGRETURN_CORRUPT if arg == SIGRETURN_CORRUPT else arg + 1
        return arg - kind.lo
    if kind.arg in (TASK, OPT_TASK):
        if arg is None:
            return 0
        index = _user_and_kthread_names(cfg).index(str(arg))
        return index + (kind.arg == OPT_TASK)
    return 0


def simplicity(events: Sequence[Event], cfg: Config) -> tuple:
    """The total order the shrinker descends: shorter first, then lower total argument cost,
    then event by event lower CPU and argument cost (a shortlex order)."""
    costs = [argument_cost(e, cfg) for e in events]
    return (len(events), sum(costs), tuple(zip((e.cpu for e in events), costs)))


# --- the predicate: the same oracle on the same machine ---------------------------------------

class OracleFires:
    """The predicate "running the events gives ``oracle`` as the verdict" on one variant,
    configuration and vendor.  One machine is reused for every candidate; each distinct event
    is validated and encoded once.  Calls return the index of the violating event or None."""

    def __init__(self, variant: Variant, cfg: Config, cpu_vendor: str, oracle: str,
                 debug: bool = False, module=None):
        if oracle not in ORACLES:
            raise ValueError(f"unknown oracle {oracle!r} (valid: {', '.join(ORACLES)})")
        self.variant = variant
        self.config = cfg
        self.cpu_vendor = cpu_vendor
        self.oracle = oracle
        self.machine = runner.new_machine(variant, cfg, cpu_vendor, debug, module=module)
        self._state = self.machine.S
        self._target = ORACLES.index(oracle) + 1       # G_VIOL holds the oracle's index + 1
        self._model_error = len(ORACLES) + 1           # G_VIOL of a broken type invariant
        self._viol = runner.core_index("G_VIOL")
        self._viol_event = runner.core_index("G_VIOL_EVENT")
        self._triples: dict[Event, array | None] = {}

    def encode(self, events: Sequence[Event]) -> array | None:
        """The core's triples, or None if an event is invalid in the configuration."""
        out = array("i")
        triples = self._triples
        for e in events:
            t = triples.get(e, False)
            if t is False:
                try:
                    t = Program([e]).to_arrays(self.config)
                except ValueError:
                    t = None
                triples[e] = t
            if t is None:
                return None
            out.extend(t)
        return out

    def __call__(self, events: Events) -> int | None:
        triples = self.encode(events)
        if triples is None:
            return None
        m = self.machine
        m.reset()
        m.run(triples)
        viol = self._state[self._viol]
        if viol == self._model_error:
            # A bug in the model, not in the design: never hide it behind "did not fire".
            text = "\n".join(e.text() for e in events)
            raise runner.ModelError(f"model invariant broken: {m.debug_error}\n{text}")
        return self._state[self._viol_event] if viol == self._target else None


# --- the shrinker ---------------------------------------------------------------------------

class Shrinker:
    """Named passes over one program, descending :func:`simplicity` while ``predicate`` holds.

    ``predicate`` may be any callable with the :data:`Predicate` contract (the tests use
    synthetic ones); :class:`OracleFires` is the real one.  Each pass is a method that can be
    run on its own; :meth:`shrink` runs them in rounds to a fixpoint.
    """

    def __init__(self, events: Sequence[Event], predicate: Predicate, config: Config | str):
        self.config = config if isinstance(config, Config) else get_config(config)
        self.predicate = predicate
        self.current: Events = tuple(events)
        self.passes: OrderedDict[str, dict[str, int]] = OrderedDict(
            (name, {"tried": 0, "succeeded": 0}) for name in PASSES)
        self.runs = 0
        self.cache_hits = 0
        self.rounds = 0
        self._memo: dict[bytes, int | None] = {}
        self._lines: dict[Event, bytes] = {}
        self._costs: dict[Event, int] = {}
        self._pass = "truncate_after_violation"   # whose counters consider() updates
        stop = self.fires(self.current)
        if stop is None:
            raise ValueError("the predicate does not hold on the program to shrink")
        self.stop = stop                          # where the oracle fires in self.current

    # -- the one place candidates are judged ---------------------------------------------------

    def key(self, events: Sequence[Event]) -> bytes:
        """The memo key: a hash of the canonical text of the events."""
        lines = self._lines
        parts = []
        for e in events:
            line = lines.get(e)
            if line is None:
                line = lines[e] = e.text().encode()
            parts.append(line)
        return _text_digest(parts)

    def fires(self, events: Events, count: bool = True) -> int | None:
        """The memoized predicate."""
        k = self.key(events)
        if k in self._memo:
            if count:
                self.cache_hits += 1
            return self._memo[k]
        self.runs += 1
        stop = self._memo[k] = self.predicate(events)
        return stop

    def order(self, events: Sequence[Event]) -> tuple:
        costs = self._costs
        cs = []
        for e in events:
            c = costs.get(e)
            if c is None:
                c = costs[e] = argument_cost(e, self.config)
            cs.append(c)
        return (len(events), sum(cs), tuple(zip((e.cpu for e in events), cs)))

    def consider(self, candidate: Sequence[Event]) -> bool:
        """Adopt ``candidate`` if it is simpler than the current program and still fires.
        Counts towards the running pass.  The adopted program is cut after its violation."""
        candidate = tuple(candidate)
        if self.order(candidate) >= self.order(self.current):
            return False        # not simpler: never tried, so the passes cannot cycle
        stats = self.passes[self._pass]
        stats["tried"] += 1
        stop = self.fires(candidate)
        if stop is None:
            return False
        if stop + 1 < len(candidate):
            candidate = candidate[:stop + 1]
            # Same run up to the violation, which stops it: same verdict, no need to run.
            self._memo.setdefault(self.key(candidate), stop)
        self.current = candidate
        self.stop = stop
        stats["succeeded"] += 1
        return True

    def run_pass(self, name: str) -> bool:
        """Run one pass by name; True if it changed the program."""
        if name not in self.passes:
            raise ValueError(f"unknown pass {name!r} (valid: {', '.join(PASSES)})")
        before = self.passes[name]["succeeded"]
        self._pass = name
        getattr(self, name)()
        return self.passes[name]["succeeded"] > before

    def shrink(self) -> Events:
        """Rounds of every pass until a whole round changes nothing."""
        while True:
            self.rounds += 1
            changed = False
            for name in PASSES:
                changed |= self.run_pass(name)
            if not changed:
                return self.current

    def one_minimal(self) -> bool:
        """Whether removing any single event loses the violation (through the memo: after
        :meth:`shrink` every answer is already known and nothing runs)."""
        cur = self.current
        return all(self.fires(cur[:i] + cur[i + 1:], count=False) is None
                   for i in range(len(cur)))

    # -- the passes ----------------------------------------------------------------------------

    def truncate_after_violation(self) -> None:
        """Drop the events after the violating one: a violation stops the program."""
        if self.stop + 1 < len(self.current):
            self.consider(self.current[:self.stop + 1])

    def remove_event_chunks(self) -> None:
        """Delta debugging: remove k consecutive events, k = n/2, n/4, ..., 2."""
        size = len(self.current) // 2
        while size >= 2:
            i = 0
            while i < len(self.current):
                cur = self.current
                if not self.consider(cur[:i] + cur[i + size:]):
                    i += size
            size //= 2

    def remove_steps(self) -> None:
        """Remove ``step`` events: all of them, then each run of consecutive steps on one CPU,
        then each step alone."""
        cur = self.current
        if sum(e.name == "step" for e in cur) > 1:
            self.consider(tuple(e for e in cur if e.name != "step"))
        i = len(self.current) - 1
        while i >= 0:
            cur = self.current
            i = min(i, len(cur) - 1)
            if i < 0:
                break
            if cur[i].name != "step":
                i -= 1
                continue
            first = i
            while first > 0 and cur[first - 1].name == "step" and cur[first - 1].cpu == cur[i].cpu:
                first -= 1
            if first < i:
                self.consider(cur[:first] + cur[i + 1:])
            i = first - 1
        self._remove_each(lambda e: e.name == "step")

    def simplify_arguments(self) -> None:
        """Move each argument to the simplest value that keeps the violation."""
        for i in reversed(range(len(self.current))):
            # Again from the new value: clearing one bit can make another clearable.
            while i < len(self.current) and self._simplify_argument_at(i):
                pass

    def _simplify_argument_at(self, i: int) -> bool:
        cur = self.current
        return any(self.consider(cur[:i] + (replace(cur[i], arg=value),) + cur[i + 1:])
                   for value in simpler_arguments(cur[i], self.config))

    def rename_tasks_lowest(self) -> None:
        """Rename the tasks mentioned, consistently, to the lowest numbers."""
        # Every renaming is computed for, and applied to, the same snapshot: applied to a
        # program an earlier renaming already changed, it would mean something else.
        base = self.current
        for mapping in list(task_renamings(base, self.config)):
            self.consider(rename(base, {}, mapping))

    def rename_cpus_lowest(self) -> None:
        """Rename the CPUs used, consistently, to the lowest numbers; alone, and together with
        the tasks that run on them at start."""
        base = self.current
        for cpus, tasks in list(cpu_renamings(base, self.config)):
            self.consider(rename(base, cpus, tasks))

    def remove_single_events(self) -> None:
        """Try removing each event on its own (the pass that makes the result 1-minimal)."""
        self._remove_each(lambda e: True)

    def remove_event_pairs(self) -> None:
        """Try removing two events together: an interrupt's entry and its ``ret``, say,
        where neither goes alone (from the end, the later event first)."""
        j = len(self.current) - 1
        while j >= 1:
            i = j - 1
            while i >= 0 and j < len(self.current):
                cur = self.current
                if self.consider(cur[:i] + cur[i + 1:j] + cur[j + 1:]):
                    break                       # both gone: go on below them
                i -= 1
            j = min(j - 1, len(self.current) - 1)

    def replace_entries(self) -> None:
        """Swap an entry event for another entry on the same CPU (simplest argument), and drop
        the first k ``step`` events of that CPU after it, k from all of them down to one: the
        candidate is shorter, so it is adopted only when it keeps the violation."""
        i = len(self.current) - 1
        while i >= 0:
            cur = self.current
            if i < len(cur) and cur[i].name in ENTRY_EVENTS:
                old = cur[i]
                steps = [j for j in range(i + 1, len(cur))
                         if cur[j].name == "step" and cur[j].cpu == old.cpu]
                done = False
                for name in ENTRY_EVENTS:
                    if name == old.name or done:
                        continue
                    kind = BY_NAME[name]
                    new = Event(old.cpu, name, kind.lo if kind.arg == INT else None)
                    for k in range(len(steps), 0, -1):
                        drop = set(steps[:k])
                        if self.consider(tuple(new if j == i else e for j, e in enumerate(cur)
                                               if j not in drop)):
                            done = True
                            break
            i -= 1

    def shortest_by_search(self, variant: Variant, cpu_vendor: str, oracle: str,
                           seconds: float) -> None:
        """Run ``fuzzcore check --oracle`` to one event less than the current program, for at
        most ``seconds``: a program it finds is a shortest one with the same verdict (it may
        share no event with this one)."""
        from .check import check
        stats = self.passes.setdefault(SEARCH_PASS, {"tried": 0, "succeeded": 0})
        if len(self.current) < 2:
            return
        stats["tried"] += 1
        found = check(variant, self.config.name, cpu_vendor, depth=len(self.current) - 1,
                      time_budget=seconds, oracle=oracle).violation
        if found is not None:
            self._pass = SEARCH_PASS
            stats["tried"] -= 1                     # consider() counts it
            self.consider(tuple(found.program.events))

    def _remove_each(self, which: Callable[[Event], bool]) -> None:
        # From the end, so that a removal never shifts the events still to try.
        i = len(self.current) - 1
        while i >= 0:
            cur = self.current
            if i < len(cur) and which(cur[i]):
                self.consider(cur[:i] + cur[i + 1:])
            i -= 1


# --- candidate generators (pure functions, testable alone) ------------------------------------

def simpler_arguments(event: Event, cfg: Config) -> list[int | str | None]:
    """Values to try instead of ``event.arg``, simplest first, each strictly simpler."""
    kind = BY_NAME[event.name]
    if kind.arg == INT:
        arg = event.arg
        assert isinstance(arg, int)
        values = {kind.lo}
        if event.name == "sigreturn":
            values.add(SIGRETURN_KEEP)
        if kind.hi - kind.lo < 8:
            values.update(range(kind.lo, kind.hi + 1))    # small ranges: every value
        elif arg <= 255:
            # PKRU/PKRS-like values are bit sets (AD/WD per key): clear one bit at a time.
            values.update(arg & ~(1 << b) for b in range(8) if arg >> b & 1)
        candidates = [Event(event.cpu, event.name, v) for v in values
                      if kind.lo <= v <= kind.hi]
    elif kind.arg in (TASK, OPT_TASK):
        names: list[str | None] = list(_user_and_kthread_names(cfg))
        if kind.arg == OPT_TASK:
            names.insert(0, None)
        candidates = [Event(event.cpu, event.name, n) for n in names]
    else:
        return []
    mine = argument_cost(event, cfg)
    scored = sorted((argument_cost(c, cfg), c.arg) for c in candidates
                    if argument_cost(c, cfg) < mine)
    return [arg for _, arg in scored]


def _lowest_first(used: list[int], universe: int) -> Iterator[dict[int, int]]:
    """Permutations of range(universe) that send ``used`` (in first-mention order) to the
    lowest numbers: in order of first mention, then in numeric order.  Identity skipped."""
    seen = []
    for order in (used, sorted(used)):
        perm = {old: new for new, old in enumerate(order)}
        rest = [n for n in range(universe) if n not in perm]
        free = [n for n in range(universe) if n not in perm.values()]
        perm.update(zip(rest, free))
        if perm not in seen and any(k != v for k, v in perm.items()):
            seen.append(perm)
            yield perm


def _first_mentions(values: Iterator[int]) -> list[int]:
    out: list[int] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def task_renamings(events: Sequence[Event], cfg: Config) -> Iterator[dict[str, str]]:
    """Consistent renamings of the user tasks, and of the kthreads, named in ``events`` to the
    lowest names of their kind (always names the configuration has)."""
    for prefix, count in (("t", cfg.nuser), ("k", cfg.nkthread)):
        used = _first_mentions(int(e.arg[1:]) for e in events
                               if isinstance(e.arg, str) and e.arg[0] == prefix)
        for perm in _lowest_first(used, count):
            yield {f"{prefix}{a}": f"{prefix}{b}" for a, b in perm.items()}


def cpu_renamings(events: Sequence[Event],
                  cfg: Config) -> Iterator[tuple[dict[int, int], dict[str, str]]]:
    """(CPU permutation, task renaming) pairs that send the CPUs used to the lowest numbers:
    each permutation alone, then with the tasks that run on those CPUs at start (``t<c>`` on
    ``cpu<c>``, SPEC 1.1) permuted the same way."""
    used = _first_mentions(e.cpu for e in events)
    for perm in _lowest_first(used, cfg.ncpu):
        yield perm, {}
        yield perm, {f"t{a}": f"t{b}" for a, b in perm.items() if a != b}


def rename(events: Sequence[Event], cpus: dict[int, int], tasks: dict[str, str]) -> Events:
    """``events`` with CPUs and task arguments renamed (unmapped names stay)."""
    return tuple(Event(cpus.get(e.cpu, e.cpu), e.name,
                       tasks.get(e.arg, e.arg) if isinstance(e.arg, str) else e.arg)
                 for e in events)


def is_one_minimal(events: Sequence[Event], predicate: Predicate) -> bool:
    """Whether removing any single event from ``events`` makes ``predicate`` fail."""
    events = tuple(events)
    return all(predicate(events[:i] + events[i + 1:]) is None for i in range(len(events)))


# --- the API --------------------------------------------------------------------------------

@dataclass
class MinimizeResult:
    """What :func:`minimize` returns."""

    program: Program            # the minimized program, headers kept, plus expect/minimized-from
    oracle: str
    passes: OrderedDict[str, dict[str, int]]    # pass name -> {"tried": n, "succeeded": n}
    runs: int                   # predicate evaluations that reached the core
    cache_hits: int             # predicate evaluations answered by the memo
    seconds: float
    original_length: int = 0
    rounds: int = 0
    one_minimal: bool = True

    def summary(self) -> str:
        """The per-pass counter table (what ``fuzzcore minimize`` prints on stderr)."""
        width = max(len(name) for name in self.passes)
        lines = [f"minimized {self.original_length} -> {len(self.program)} events "
                 f"({self.oracle}) in {self.seconds * 1000:.1f} ms: {self.runs} runs, "
                 f"{self.cache_hits} cache hits, {self.rounds} rounds"
                 + ("" if self.one_minimal else ", NOT 1-minimal"),
                 f"  {'pass'.ljust(width)}  tried  succeeded"]
        for name, c in self.passes.items():
            lines.append(f"  {name.ljust(width)}  {c['tried']:5d}  {c['succeeded']:9d}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        return {"program": self.program.serialize(), "oracle": self.oracle,
                "events_before": self.original_length, "events_after": len(self.program),
                "passes": {k: dict(v) for k, v in self.passes.items()}, "runs": self.runs,
                "cache_hits": self.cache_hits, "rounds": self.rounds,
                "one_minimal": self.one_minimal, "seconds": self.seconds}


def minimize(program: Program, variant: Variant | str | None = None, oracle: str | None = None,
             config: str | None = None, cpu_vendor: str | None = None, *,
             source: str | None = None, debug: bool | None = None,
             search: float = 0.0) -> MinimizeResult:
    """Shrink ``program`` while ``oracle`` stays its verdict on ``variant`` (flags override the
    program's headers, as in :func:`fuzzcore.runner.run`).  ``search`` > 0: then look for a
    shorter program by exhaustive search for up to that many seconds (shortest_by_search),
    and shrink what it finds.

    ``oracle`` defaults to the one the program trips; a clean program, or one whose verdict is
    another oracle, is a ValueError.  ``source`` (a path) goes into ``# minimized-from:``,
    else the program's hash; an existing ``minimized-from`` (the finding's origin) is kept.
    """
    started = time.perf_counter()
    cfg = get_config(config or program.config)
    vendor = cpu_vendor or program.cpu_vendor
    if vendor not in VENDORS:
        raise ValueError(f"unknown cpu vendor {vendor!r} (valid: {', '.join(VENDORS)})")
    if oracle is not None and oracle not in ORACLES:
        raise ValueError(f"unknown oracle {oracle!r} (valid: {', '.join(ORACLES)})")
    v = runner.resolve_variant(variant, program)
    if debug is None:
        debug = runner.debug_default()
    where = source or "program"
    first = runner.run(program, v, cfg.name, vendor, debug=debug)
    if first.violation is None:
        raise ValueError(f"{where}: clean on {v} (config {cfg.name}, cpu-vendor {vendor}): "
                         f"nothing to minimize (does the finding still reproduce?)")
    target = oracle or first.violation.oracle
    if first.violation.oracle != target:
        raise ValueError(f"{where}: trips {first.violation.oracle}, not {target}, on {v}")

    predicate = OracleFires(v, cfg, vendor, target, debug)
    shrinker = Shrinker(program.events, predicate, cfg)
    shrinker.shrink()
    if search > 0:
        before = len(shrinker.current)
        shrinker.shortest_by_search(v, vendor, target, search)
        if len(shrinker.current) < before:
            shrinker.shrink()

    headers = dict(program.headers)
    headers["format"] = FORMAT
    if config is not None or cfg.name != DEFAULT_CONFIG or "config" in headers:
        headers["config"] = cfg.name
    if cpu_vendor is not None or vendor != DEFAULT_VENDOR or "cpu-vendor" in headers:
        headers["cpu-vendor"] = vendor
    if variant is not None or not v.is_reference or "variant" in headers:
        headers["variant"] = str(v)
    headers["expect"] = target
    headers.setdefault("minimized-from", source or program_hash(program))
    result_program = Program(list(shrinker.current), headers)

    # The fast path must agree with the documented run(); if it ever did not, the corpus would
    # hold a wrong expectation, so fail loudly instead.
    check = runner.run(result_program, v, cfg.name, vendor, debug=debug)
    if check.oracle != target:
        raise RuntimeError(f"minimizer bug: the result gives {check.oracle}, not {target}:\n"
                           + result_program.serialize())
    return MinimizeResult(result_program, target, shrinker.passes, shrinker.runs,
                          shrinker.cache_hits, time.perf_counter() - started,
                          original_length=len(program), rounds=shrinker.rounds,
                          one_minimal=shrinker.one_minimal())


def looks_like_text(data: bytes, path: str = "") -> bool:
    """Whether an input file is a text program rather than a fuzz engine's bytes.

    Text: a ``.fz`` file, or valid UTF-8 with no control characters but whitespace that has
    more than one line or starts like a program (``#`` or ``cpu``).  Anything else is bytes
    for :meth:`Program.from_bytes` (libFuzzer's crash files have no extension).
    """
    if path.endswith(".fz"):
        return True
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(ord(ch) < 32 and ch not in "\t\n\r\f\v" or ord(ch) == 127 for ch in text):
        return False
    return "\n" in text.rstrip("\n") or text.lstrip().startswith(("#", "cpu")) or not text


def load_input(path: str | os.PathLike[str], config: str | None = None,
               form: str = "auto") -> Program:
    """A finding to minimize or export: a text program (parsed strictly: a text file that does
    not parse is an error, never bytes), or a fuzz engine's crash file decoded by
    :meth:`Program.from_bytes` for ``config``.  ``form`` is ``auto``, ``text`` or ``binary``."""
    if form not in ("auto", "text", "binary"):
        raise ValueError(f"unknown input form {form!r} (valid: auto, text, binary)")
    name = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ProgramError(f"cannot read: {e.strerror or e}", name) from None
    if form == "text" or (form == "auto" and looks_like_text(data, name)):
        return Program.parse_bytes(data, name, config)
    return Program.from_bytes(data, config or DEFAULT_CONFIG)
