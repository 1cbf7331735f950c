"""What the Atheris harnesses in ``harnesses/`` share (SPEC 3.1): bytes -> runs -> verdicts.

Data flow: libFuzzer's bytes -> the core's binary decoder (``Machine.run_bytes``, exactly
``Program.from_bytes``) on each variant of the harness -> oracles.  A violation prints
``DEDUP_TOKEN: <oracle>`` (libFuzzer's ``-minimize_crash`` keys on it) and raises
:class:`FoundViolation`, whose message holds the oracle, the variant and the text program.

Which variants: ``$FUZZCORE_VARIANT`` (one, or several separated by ``;``; each must only name
the harness's subsystems), else every non-reference design of the harness's subsystems whose
expected verdict is not ``clean`` (``all``: every non-reference design).  Each input runs on
each.  ``$FUZZCORE_CONFIG`` and ``$FUZZCORE_CPU_VENDOR`` choose the configuration and vendor.

Feedback for libFuzzer, besides the edges of the instrumented core (``scripts/atheris-run``):
model-level coverage (SPEC 3.1), the core's hash of each transition with its abstract state, so
that an input reaching a new abstract state x transition joins the corpus even where no new C
edge is hit.  ``$FUZZCORE_MODEL_COVERAGE`` chooses how it reaches libFuzzer:

* ``novelty`` (the default while the core has no ``cov_run``): the core's bitmap ``Machine.cov``
  is global across runs and ``cov_new`` counts the entries a run set first; after such a run
  :class:`NoveltyFeed` finds them and reports each once as a feature through Atheris' counters
  (``_reserve_counter`` / ``_trace_branch``).  Cheap per execution, but every model feature is
  seen once, so libFuzzer's entropic schedule takes each for rare forever.
* ``exact``: :class:`ExactFeed` registers a counter buffer with libFuzzer itself
  (``__sanitizer_cov_8bit_counters_init``), which clears it before and reads it after every
  execution, and makes the core mark in it the run's own features (no hit counts: see
  :class:`ExactFeed`).  The
  buffer is ``Machine.cov_run`` when the core has it (small: the default then), else the 1 MiB
  bitmap ``Machine.cov`` itself (exact, but libFuzzer clears and scans 1 MiB per execution).
* ``0``: off.

The harnesses hand ``atheris.Setup`` their command line through :func:`libfuzzer_argv`, which
puts :data:`LIBFUZZER_DEFAULTS` (``-entropic=0 -reduce_inputs=0``) first; the command line's
own flags win.

``$FUZZCORE_HARNESS_MODE=differential`` also runs every input on the interpreted ``_core.py`` and
raises :class:`CoreDisagreement` with both outcomes when the cores differ (the verdict, the
violating event, or the final state); violations are then compared, not raised.
"""
from __future__ import annotations

import ctypes
import os
import sys
from typing import Callable, Mapping

from . import layout, runner
from .config import VENDORS, get_config
from .engine import INSTRUMENTED, load_source_core
from .program import FORMAT, Program
from .variants import (DESIGNS, ORACLES, SUBSYSTEMS, CLEAN, Variant, VariantError)

VARIANT_ENV = "FUZZCORE_VARIANT"
CONFIG_ENV = "FUZZCORE_CONFIG"
VENDOR_ENV = "FUZZCORE_CPU_VENDOR"
MODE_ENV = "FUZZCORE_HARNESS_MODE"          # "differential": compiled vs interpreted core
MODEL_COVERAGE_ENV = "FUZZCORE_MODEL_COVERAGE"   # novelty | exact | 0 (default: see above)
MODEL_MODES = ("novelty", "exact", "0")

# libFuzzer flags every harness starts with; a flag of the same name in argv wins.
# -entropic=0: most of the model's ~4,700 features are seen in a few runs in a hundred, and the
# entropic schedule's bookkeeping for such features (a scan of its rare-feature list, an update
# of the input's frequencies, per feature per run) made libFuzzer's own share of a run about
# 1.5 times longer.  Without it the harness runs 15-45% faster, and over 6 designs x 10 seeds
# it found every design as soon or sooner in wall time (BENCHMARKS.md, "Atheris harnesses").
# -reduce_inputs=0: with it on, libFuzzer binary-searches the running input's unique features
# for every feature of every run (about 13 ns each, ~180 features a run: ~2 us of ~15-20) to
# spot a shorter input with the same features.  What that buys, shorter corpus inputs, did not
# show in the search: time to first violation over 6 designs x 10 seeds was as good or better
# (geometric mean of the medians 2.86 s against 3.05 s; BENCHMARKS.md).
LIBFUZZER_DEFAULTS = ("-entropic=0", "-reduce_inputs=0")

# Harness name -> the subsystems it fuzzes.
GROUPS: Mapping[str, tuple[str, ...]] = {
    "all": SUBSYSTEMS,
    "pks": ("pks",),
    "fpu": ("fpu", "pkru", "pasid"),
    "ct": ("ct",),
}


class HarnessError(ValueError):
    """A bad harness setting (environment); the message is one line."""


class FoundViolation(Exception):
    """An oracle fired: ``oracle``, ``variant`` and the text ``program`` that trips it."""

    def __init__(self, oracle: str, variant: str, program: str, detail: str):
        self.oracle, self.variant, self.program = oracle, variant, program
        super().__init__(f"{oracle} on variant {variant}: {detail}\n{program}")


class CoreDisagreement(Exception):
    """The compiled and the interpreted core disagree on one input."""


def default_variants(group: str) -> list[Variant]:
    """Every non-reference design of the group's subsystems expected to break (``all``: every
    non-reference design), one variant each, references elsewhere."""
    subs = GROUPS[group]
    return [Variant(**{d.subsystem: d.design}) for d in DESIGNS
            if d.subsystem in subs and not d.reference
            and (group == "all" or d.expect != CLEAN)]


def parse_variants(group: str, text: str) -> list[Variant]:
    """``$FUZZCORE_VARIANT``: variants separated by ``;``, each naming only the group's
    subsystems with at least one non-reference design."""
    out = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        try:
            v = runner.resolve_variant(item)
        except VariantError as e:
            raise HarnessError(f"{VARIANT_ENV}={text!r}: {e}") from None
        named = {part.partition("=")[0].strip() for part in item.split(",") if "=" in part}
        foreign = sorted(named - set(GROUPS[group]))
        if foreign:
            raise HarnessError(
                f"{VARIANT_ENV}={text!r}: the {group} harness fuzzes {', '.join(GROUPS[group])}, "
                f"not {', '.join(foreign)} (use harnesses/fuzz_all.py)")
        out.append(v)
    if not out:
        raise HarnessError(f"{VARIANT_ENV}={text!r}: no variant named")
    return out


class NoveltyFeed:
    """Model coverage as first sightings, reported to libFuzzer through Atheris' counters.

    An entry is a bitmap index of one machine's ``cov`` (a hashed abstract state x transition).
    The entries a run set first are found (``new_entries``) and each is reported once, as the
    libFuzzer feature ``slot(k, entry)``: libFuzzer's features are (counter, bucket of the
    counter's value in the run: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+), so bumping counter
    ``slot % COUNTERS`` to ``BUCKET_HITS[slot // COUNTERS]`` gives ``8 * COUNTERS`` distinct
    features from ``COUNTERS`` counters.  Few counters matter: libFuzzer clears and scans every
    registered counter on every execution (16 Ki cost well under a microsecond, 64 Ki about
    six).  The counters are reserved at the first report after ``Fuzz()`` started (before, the
    Atheris counter calls are placeholders).

    Finding the entries: a compare of the bitmap with a shadow copy (``shadow[k]``; about
    0.1-0.2 ms, only after runs that found something).
    """

    COUNTERS = 1 << 14
    BUCKET_HITS = (1, 2, 3, 4, 8, 16, 32, 128)
    STRIDE = 0x9E3779B1          # spreads the machines' entries over the slots
    BIG_BLOCK = 1 << 16
    BLOCK = 1 << 12

    def __init__(self, n_machines: int):
        self.slots = self.COUNTERS * len(self.BUCKET_HITS)
        self.base: int | None = None
        self.shadow: list[bytearray | None] = [None] * n_machines
        self.reported = 0           # entries found (and reported, once fuzzing runs)
        self._atheris = atheris_module()

    def slot(self, k: int, entry: int) -> tuple[int, int]:
        """The (counter, hits) reporting ``entry`` of machine ``k``."""
        s = (entry + k * self.STRIDE) % self.slots
        return s % self.COUNTERS, self.BUCKET_HITS[s // self.COUNTERS]

    def _counter_function(self) -> Callable[[int], None] | None:
        """Atheris' counter bump, reserving the counters at the first call after ``Fuzz()``."""
        a = self._atheris
        if not fuzzing(a):
            return None                     # nothing to report to
        if self.base is None:
            self.base = a._reserve_counter()
            for _ in range(self.COUNTERS - 1):
                a._reserve_counter()
            a.UpdateCounterArrays()         # hand them to libFuzzer now, not next run
        return a._trace_branch

    def new_entries(self, k: int, m) -> list[int]:
        """The entries machine ``k`` (``m``) set first in its last run."""
        view = memoryview(m.cov)
        shadow = self.shadow[k]
        if shadow is None:
            shadow = self.shadow[k] = bytearray(len(view))
        # The bitmap only gains entries and a run sets few: compare 64 KiB, then 4 KiB blocks
        # (memcmp, no copies), then the bits of the blocks that changed, and update those.
        out = []
        big, small = self.BIG_BLOCK, self.BLOCK
        for top in range(0, len(view), big):
            if shadow.startswith(view[top:top + big], top):
                continue
            for off in range(top, top + big, small):
                end = off + small
                if shadow.startswith(view[off:end], off):
                    continue
                bits = (int.from_bytes(view[off:end], "little")
                        ^ int.from_bytes(shadow[off:end], "little"))
                while bits:
                    low = bits & -bits
                    out.append(off + (low.bit_length() - 1) // 8)
                    bits ^= low
                shadow[off:end] = view[off:end]
        return out

    def report(self, k: int, m) -> None:
        """Report what machine ``k`` (``m``) found first in its last run (``m.cov_new > 0``)."""
        entries = self.new_entries(k, m)
        self.reported += len(entries)
        bump = self._counter_function()
        if bump is None:
            return
        hits: dict[int, int] = {}
        for entry in entries:
            counter, n = self.slot(k, entry)
            hits[counter] = min(255, hits.get(counter, 0) + n)   # 8-bit counters
        base = self.base
        for counter, n in hits.items():
            for _ in range(n):
                bump(base + counter)


class ExactFeed:
    """Model coverage per execution: a counter buffer registered with libFuzzer, written by the
    core during the run (``Machine.cov_run`` when the core has it, else ``Machine.cov``).

    libFuzzer zeroes registered counters before every execution and turns the non-zero ones
    into features after it, so each run reports exactly its own abstract states x transitions
    All machines share the buffer.  It is registered
    at the first run under ``Fuzz()`` (:meth:`start`); the PC table libFuzzer wants beside it
    is all zeros, as Atheris' own.
    """

    # cov_run's size (a power of two: the core masks with size - 1).  The core marks an entry
    # with 1 (no hit counts) and writes only cov_run (COV_RUN_ONLY), and the map is small:
    # libFuzzer's cost per execution grows with its features and corpus, and 16 Ki counters
    # with hit-count buckets made 40,000 features, a corpus of 9,000 and 8,000 exec/s
    # (scripts/bench_atheris.sh; BENCHMARKS.md).
    RUN_COUNTERS = 1 << 12

    def __init__(self, machines: list):
        self.machines = machines
        self.per_run = all(hasattr(m, "cov_run") for m in machines)
        self.size = self.RUN_COUNTERS if self.per_run else len(memoryview(machines[0].cov))
        self.started = False
        self._keep: tuple = ()

    def start(self) -> bool:
        """Once fuzzing runs: register the buffer and hand it to the machines (True), or say
        in one line that libFuzzer's registration is missing (False, for good)."""
        if self.started or not fuzzing(atheris_module()):
            return False
        self.started = True
        counters_init = libfuzzer_function("__sanitizer_cov_8bit_counters_init")
        pcs_init = libfuzzer_function("__sanitizer_cov_pcs_init")
        if counters_init is None or pcs_init is None:
            print("fuzzcore: libFuzzer's __sanitizer_cov_8bit_counters_init not found: no model "
                  "coverage", file=sys.stderr, flush=True)
            return False
        counters = (ctypes.c_uint8 * self.size)()
        pcs = (ctypes.c_size_t * (2 * self.size))()      # (pc, flags) per counter
        for f in (counters_init, pcs_init):
            f.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
            f.restype = None
        counters_init(ctypes.addressof(counters), ctypes.addressof(counters) + self.size)
        pcs_init(ctypes.addressof(pcs), ctypes.addressof(pcs) + ctypes.sizeof(pcs))
        view = memoryview(counters).cast("B")
        for m in self.machines:
            if self.per_run:
                m.cov_run = view
                m.cov_on = layout._core.COV_RUN_ONLY   # libFuzzer reads cov_run, not the bitmap
            else:
                m.cov = view
        self._keep = (counters, pcs, view)     # libFuzzer holds raw pointers into these
        return True


def atheris_module():
    try:
        import atheris
    except ImportError:
        return None
    return atheris


def fuzzing(atheris) -> bool:
    """Has ``atheris.Fuzz()`` started?  It rebinds the module's counter functions."""
    return (atheris is not None
            and atheris._reserve_counter is not getattr(atheris, "native", atheris)._reserve_counter)


def libfuzzer_function(name: str):
    """A libFuzzer entry point: from a preloaded sanitizer library (the global namespace), else
    from Atheris' built-in libFuzzer; None when neither is loaded."""
    libraries: list[str | None] = [None]
    builtin = getattr(sys.modules.get("atheris.core_with_libfuzzer"), "__file__", None)
    if builtin:
        libraries.append(builtin)
    for library in libraries:
        try:
            return getattr(ctypes.CDLL(library), name)
        except (OSError, AttributeError, TypeError):
            continue
    return None


class Harness:
    """The machines of one harness and the per-input run (``run``, the hot path)."""

    def __init__(self, group: str, found_by: str = "", env: Mapping[str, str] = os.environ):
        if group not in GROUPS:
            raise HarnessError(f"unknown harness group {group!r} (valid: {', '.join(GROUPS)})")
        self.group = group
        self.found_by = found_by or f"harness {group}"
        text = env.get(VARIANT_ENV, "").strip()
        self.variants = parse_variants(group, text) if text else default_variants(group)
        try:
            self.config = get_config(env.get(CONFIG_ENV) or "small")
        except ValueError as e:
            raise HarnessError(f"{CONFIG_ENV}: {e}") from None
        self.vendor = env.get(VENDOR_ENV) or "intel"
        if self.vendor not in VENDORS:
            raise HarnessError(f"{VENDOR_ENV}: unknown cpu vendor {self.vendor!r} "
                               f"(valid: {', '.join(VENDORS)})")
        mode = env.get(MODE_ENV, "")
        if mode not in ("", "differential"):
            raise HarnessError(f"{MODE_ENV}: unknown mode {mode!r} (valid: differential)")
        self.differential = mode == "differential"
        self.debug = runner.debug_default()
        self.machines = [runner.new_machine(v, self.config, self.vendor, self.debug)
                         for v in self.variants]
        model = env.get(MODEL_COVERAGE_ENV, "") or (
            "exact" if all(hasattr(m, "cov_run") for m in self.machines) else "novelty")
        if model not in MODEL_MODES:
            raise HarnessError(f"{MODEL_COVERAGE_ENV}: unknown mode {model!r} "
                               f"(valid: {', '.join(MODEL_MODES)})")
        self.model_mode = "off" if model == "0" else model
        self.model: NoveltyFeed | None = None     # the first-sightings feed, when in use
        self.exact: ExactFeed | None = None
        if model == "novelty":
            self.model = NoveltyFeed(len(self.machines))
        elif model == "exact":
            self.exact = ExactFeed(self.machines)
        for m in self.machines:
            m.cov_on = layout._core.COV_OFF if model == "0" else layout._core.COV_BITMAP
        self.interpreted = []
        if self.differential:
            source = load_source_core()
            self.interpreted = [runner.new_machine(v, self.config, self.vendor, self.debug,
                                                   module=source) for v in self.variants]
        self._plan = tuple(zip(range(len(self.machines)), self.machines, self.variants))
        self.run = self._run_differential if self.differential else self._run

    def describe(self) -> str:
        core = "instrumented" if INSTRUMENTED else "uninstrumented"
        return (f"fuzzcore {self.group} harness: {len(self.variants)} variant(s) "
                f"[{'; '.join(map(str, self.variants))}], config {self.config.name}, "
                f"cpu-vendor {self.vendor}, {core} core, model coverage {self.model_mode}"
                + (" (Machine.cov_run)" if self.exact and self.exact.per_run else "")
                + (", differential" if self.differential else ""))

    # -- the hot path -----------------------------------------------------------------------

    def _run(self, data: bytes) -> None:
        if self.exact is not None and not self.exact.started:
            self.exact.start()
        model = self.model
        for k, m, variant in self._plan:
            m.reset()
            if model is None:               # exact or off: libFuzzer reads the run itself
                stop = m.run_bytes(data)
            else:
                m.cov_new = 0
                stop = m.run_bytes(data)
                if m.cov_new:
                    model.report(k, m)
            if stop >= 0:                   # an oracle fired (or, debugging, the model broke)
                self.found(m, variant, data, stop)

    def _run_differential(self, data: bytes) -> None:
        if self.exact is not None and not self.exact.started:
            self.exact.start()
        for k, m, variant in self._plan:
            m.reset()
            m.cov_new = 0
            stop = m.run_bytes(data)
            if self.model is not None and m.cov_new:
                self.model.report(k, m)
            mi = self.interpreted[k]
            mi.reset()
            stop_i = mi.run_bytes(data)
            if stop != stop_i or bytes(m.S) != bytes(mi.S):
                self.disagree(variant, data, stop, m, stop_i, mi)

    # -- findings ---------------------------------------------------------------------------

    def program(self, data: bytes, n_events: int, variant: Variant,
                expect: str | None) -> Program:
        """The text program of the first ``n_events`` events of ``data``, with headers."""
        events = Program.from_bytes(data[:2 * n_events], self.config).events
        headers = {"format": FORMAT, "config": self.config.name, "cpu-vendor": self.vendor,
                   "variant": str(variant), "found-by": self.found_by}
        if expect:
            headers["expect"] = expect
        return Program(events, headers)

    def found(self, m, variant: Variant, data: bytes, stop: int) -> None:
        if m.S[MODEL_ERROR_SLOT] == len(ORACLES) + 1:
            raise runner.ModelError(f"model invariant broken on {variant}: {m.debug_error}\n"
                                    + self.program(data, len(data) // 2, variant, None)
                                    .serialize())
        violation = runner.read_violation(m.S, self.config)
        assert violation is not None
        oracle = violation.oracle
        program = self.program(data, stop + 1, variant, oracle)
        check = runner.run(program, variant).oracle        # the text form must reproduce it
        detail = violation.describe()
        if check != oracle:
            detail += f" [the text program gives {check or 'clean'}: decoder mismatch]"
        print(f"DEDUP_TOKEN: {oracle}", file=sys.stderr, flush=True)
        raise FoundViolation(oracle, str(variant), program.serialize(), detail)

    def disagree(self, variant: Variant, data: bytes, stop: int, m, stop_i: int, mi) -> None:
        names = layout.field_names(self.config.ncpu, self.config.ntask,
                                   runner.task_names(self.config))
        diffs = [f"{names[i]}: {a} != {b}" for i, (a, b) in enumerate(zip(m.S, mi.S)) if a != b]
        n = len(data) // 2 if stop < 0 and stop_i < 0 else max(stop, stop_i) + 1
        program = self.program(data, n, variant, None).serialize()
        print("DEDUP_TOKEN: differential", file=sys.stderr, flush=True)
        raise CoreDisagreement(
            f"compiled and interpreted cores disagree on variant {variant}: compiled stops at "
            f"{stop}, interpreted at {stop_i}; state (compiled != interpreted): "
            f"{'; '.join(diffs[:8]) or 'equal'}\n{program}")


MODEL_ERROR_SLOT = runner.core_index("G_VIOL")   # NORACLES + 1 there: the model broke


def libfuzzer_argv(argv: list[str]) -> list[str]:
    """``argv`` for ``atheris.Setup``: the program, then each of :data:`LIBFUZZER_DEFAULTS`
    that ``argv`` does not set itself, then ``argv``'s own arguments."""
    named = {arg.partition("=")[0] for arg in argv[1:] if arg.startswith("-")}
    return [argv[0], *(flag for flag in LIBFUZZER_DEFAULTS
                       if flag.partition("=")[0] not in named), *argv[1:]]


def harness_or_exit(group: str, found_by: str = "") -> Harness:
    """A :class:`Harness` from the environment; a bad setting is one line and exit 2."""
    try:
        h = Harness(group, found_by)
    except HarnessError as e:
        print(f"fuzzcore: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    print(h.describe(), file=sys.stderr, flush=True)
    return h
