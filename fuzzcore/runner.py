"""Run one program on one variant and configuration: the verdict, and on request the trace.

Data flow: program -> **runner** -> machine (``engine.core``) -> verdict / trace ->
minimize, corpus, export.  This is the documented ``run()`` of SPEC 2.3.  The compiled core
does the work; this module turns its state vector and trace records into Python objects.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

from . import layout, state_check
from .config import CONFIGS, VENDORS, Config, get_config
from .engine import core
from .events import EVENTS, INT, NONE, OPT_TASK, TASK
from .program import Event, Program
from .variants import KERNEL_FINDINGS, ORACLES, Variant, VariantError

DEBUG_ENV = "FUZZCORE_DEBUG"


class ModelError(RuntimeError):
    """The model broke its own type invariant (a bug in fuzzcore, not in the design)."""


@dataclass(frozen=True)
class Violation:
    oracle: str
    event_index: int
    step: str | None        # the micro-step during which it was found, None for the event
    cpu: int
    task: str
    expected: int
    actual: int
    oracles: tuple[str, ...]  # every oracle that failed in the same check, table order
    kernel_finding: str | None = None   # a known finding about the kernel itself (variants.py)

    def describe(self) -> str:
        where = f"event {self.event_index}" + (f", step {self.step}" if self.step else "")
        also = f" (also: {', '.join(self.oracles[1:])})" if len(self.oracles) > 1 else ""
        known = (f" [known kernel finding: {self.kernel_finding}]" if self.kernel_finding
                 else "")
        return (f"violation: {self.oracle} at {where} on cpu{self.cpu} task {self.task}: "
                f"expected {self.expected}, got {self.actual}{also}{known}")


@dataclass(frozen=True)
class TraceStep:
    kind: str               # "step", "event", "irq_taken", "irq_held", "nmi_latched"
    name: str
    cpu: int
    changes: tuple[tuple[str, str, str], ...]   # (field, before, after)


@dataclass
class TraceEvent:
    index: int
    event: Event
    skipped: bool
    steps: list[TraceStep] = field(default_factory=list)


@dataclass
class Result:
    verdict: str            # "clean" or "violation"
    violation: Violation | None
    variant: Variant
    config: Config
    cpu_vendor: str
    events_run: int
    trace: list[TraceEvent] | None = None
    # the program's # expect-state against the final state (its own variant, config, vendor)
    state_mismatches: tuple = ()

    @property
    def failed(self) -> bool:
        """A violation, or a final state other than the program's ``# expect-state``."""
        return self.violation is not None or bool(self.state_mismatches)

    @property
    def oracle(self) -> str | None:
        return self.violation.oracle if self.violation else None

    def to_json(self) -> dict[str, object]:
        v = self.violation
        out: dict[str, object] = {
            "verdict": self.verdict,
            "oracle": v.oracle if v else None,
            "event_index": v.event_index if v else None,
            "cpu": v.cpu if v else None,
            "task": v.task if v else None,
            "step": v.step if v else None,
            "expected": v.expected if v else None,
            "actual": v.actual if v else None,
            "oracles": list(v.oracles) if v else [],
            "kernel_finding": v.kernel_finding if v else None,
            "variant": str(self.variant),
            "config": self.config.name,
            "cpu_vendor": self.cpu_vendor,
            "events": self.events_run,
            "state_mismatches": [{"field": m.field, "expected": m.expected, "actual": m.actual}
                                 for m in self.state_mismatches],
        }
        if self.trace is not None:
            out["trace"] = [
                {"index": te.index, "event": te.event.text(), "skipped": te.skipped,
                 "steps": [{"kind": s.kind, "name": s.name, "cpu": s.cpu,
                            "changes": [list(ch) for ch in s.changes]} for s in te.steps]}
                for te in self.trace]
        return out


def resolve_variant(variant: Variant | str | None, program: Program | None = None) -> Variant:
    """The variant to run: the argument, else the program's header, else the references."""
    if isinstance(variant, Variant):
        return variant
    text = variant if variant is not None else (program.variant if program else None)
    return Variant.parse(text or "")


def debug_default() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def new_machine(variant: Variant, config: Config, cpu_vendor: str, debug: bool = False,
                module=None):
    """A machine of the selected core (or of ``module``), with the binary decoder's table."""
    m = (module or core).Machine(variant.codes(), config.code, VENDORS[cpu_vendor])
    m.debug = 1 if debug else 0
    m.set_decoder(*decoder_table())
    return m


def decoder_table() -> tuple[list[int], list[int], list[int]]:
    """Per opcode: argument kind (the core's ARG_*), lowest value, span (events.py)."""
    codes = {NONE: 0, INT: 1, TASK: 2, OPT_TASK: 3}
    return ([codes[e.arg] for e in EVENTS], [e.lo for e in EVENTS],
            [e.hi - e.lo + 1 for e in EVENTS])


def task_names(config: Config) -> tuple[str, ...]:
    return tuple(config.task_name(t) for t in range(config.ntask))


def read_violation(state, config: Config) -> Violation | None:
    viol = state[core_index("G_VIOL")]
    if viol == 0:
        return None
    g = core_index
    mask = state[g("G_VIOL_MASK")]
    step = state[g("G_VIOL_STEP")]
    known = state[g("G_KERNEL_FINDING")]
    finding = None
    if known and KERNEL_FINDINGS[known - 1][1] == ORACLES[viol - 1]:
        finding = KERNEL_FINDINGS[known - 1][0]
    return Violation(
        oracle=ORACLES[viol - 1],
        event_index=state[g("G_VIOL_EVENT")],
        step=layout.step_name(step) if step >= 0 else None,
        cpu=state[g("G_VIOL_CPU")],
        task=config.task_name(state[g("G_VIOL_TASK")]),
        expected=state[g("G_VIOL_EXPECTED")],
        actual=state[g("G_VIOL_ACTUAL")],
        oracles=tuple(o for i, o in enumerate(ORACLES) if mask >> i & 1),
        kernel_finding=finding,
    )


def oracle_mask(names: Iterable[str]) -> int:
    mask = 0
    for name in names:
        if name not in ORACLES:
            raise ValueError(f"unknown oracle {name!r} (valid: {', '.join(ORACLES)})")
        mask |= 1 << ORACLES.index(name)
    return mask


def core_index(name: str) -> int:
    return getattr(layout._core, name)


def run(program: Program, variant: Variant | str | None = None, config: str | None = None,
        cpu_vendor: str | None = None, trace: bool = False,
        debug: bool | None = None, ignore: Iterable[str] = ()) -> Result:
    """Run ``program`` (flags override its headers) and return the verdict (SPEC 2.3).
    ``ignore`` names oracles never to report (to look past a known violation)."""
    cfg = get_config(config or program.config)
    vendor = cpu_vendor or program.cpu_vendor
    if vendor not in VENDORS:
        raise ValueError(f"unknown cpu vendor {vendor!r} (valid: {', '.join(VENDORS)})")
    v = resolve_variant(variant, program)
    m = new_machine(v, cfg, vendor, debug_default() if debug is None else debug)
    m.tracing = 1 if trace else 0
    m.ignore_mask = oracle_mask(ignore)
    initial = bytes(m.S) if trace else b""
    events = program.to_arrays(cfg)
    stop = m.run(events)
    state = m.S
    if state[core_index("G_VIOL")] == len(ORACLES) + 1:
        raise ModelError(f"model invariant broken: {m.debug_error}")
    violation = read_violation(state, cfg)
    n = len(program.events) if stop < 0 else stop + 1
    result = Result("violation" if violation else "clean", violation, v, cfg, vendor, n)
    if program.expect_state and (v, cfg.name, vendor) == (
            resolve_variant(None, program), program.config, program.cpu_vendor):
        result.state_mismatches = state_check.check(program, state, cfg)
    if trace:
        result.trace = build_trace(program.events[:n], m, cfg, initial)
    return result


def build_trace(events: list[Event], m, cfg: Config, initial: bytes) -> list[TraceEvent]:
    import array as _array
    names = task_names(cfg)
    fields = layout.field_names(cfg.ncpu, cfg.ntask, names)
    records = list(m.trace)
    snapshots = list(m.snapshots)
    out = [TraceEvent(i, e, False) for i, e in enumerate(events)]
    prev = _array.array("i")
    prev.frombytes(initial)
    snap = 0
    kinds = {core_index("TR_EVENT"): "event", core_index("TR_STEP"): "step",
             core_index("TR_IRQ_TAKEN"): "irq_taken", core_index("TR_IRQ_HELD"): "irq_held",
             core_index("TR_NMI_LATCHED"): "nmi_latched"}
    skip = core_index("TR_SKIP")
    for r in range(0, len(records), 4):
        kind, index, cpu, arg = records[r:r + 4]
        if index >= len(out):
            continue
        if kind == skip:
            out[index].skipped = True
            continue
        cur = _array.array("i")
        cur.frombytes(snapshots[snap])
        snap += 1
        changes = tuple((fields[i], layout.format_value(fields[i], prev[i], names),
                         layout.format_value(fields[i], cur[i], names))
                        for i in range(len(cur)) if cur[i] != prev[i] and not
                        fields[i].startswith(("steps", "event", "check_")))
        prev = cur
        if kind == core_index("TR_STEP"):
            name = layout.step_name(arg)
        elif kind == core_index("TR_IRQ_TAKEN"):
            name = f"irq {arg} taken"
        else:
            name = EVENTS[arg].name
        out[index].steps.append(TraceStep(kinds[kind], name, cpu, changes))
    return out


def format_trace(result: Result) -> str:
    """The human-readable trace: each event, its micro-steps indented, state changes by name."""
    lines = [f"# variant: {result.variant}  config: {result.config.name}  "
             f"cpu-vendor: {result.cpu_vendor}"]
    for te in result.trace or []:
        mark = "   [skipped]" if te.skipped else ""
        lines.append(f"{te.index:4d}  {te.event.text()}{mark}")
        for s in te.steps:
            if s.kind == "step":
                label = f"cpu{s.cpu} . {s.name}"
            elif s.kind == "event":
                label = f"cpu{s.cpu} ! {s.name}"
            else:
                label = f"cpu{s.cpu} ~ {s.name.replace('_', ' ')}"
            lines.append(f"        {label}")
            for name, before, after in s.changes:
                lines.append(f"            // {name}: {before} -> {after}")
    v = result.violation
    lines.append(v.describe() if v else "verdict: clean")
    lines += [m.describe() for m in result.state_mismatches]
    return "\n".join(lines)


def random_program_arrays(rng, n_events: int, config: Config):
    """Random (cpu, opcode, arg) triples through the binary decoder's mapping."""
    data = bytes(rng.getrandbits(8) for _ in range(2 * n_events))
    return Program.from_bytes(data, config).to_arrays(config)


__all__ = ["run", "Result", "Violation", "ModelError", "format_trace", "resolve_variant",
           "Iterable", "CONFIGS"]
