"""Turn one program into something a person or another tool reads (SPEC 3.5).

Data flow: events -> program -> machine -> oracles -> minimize -> corpus / **export**.  Every
format starts from ``runner.run(program, ..., trace=True)``:

``trace``
    annotated like the traces kernel developers write in their mails (the seeds): one line per
    event, its micro-steps indented under it, and as ``// ...`` comments only the state that
    matters for the finding (see :data:`FIELDS`), ending with the violation;
``json``
    ``Result.to_json()`` with the trace (every event, skipped or not, every micro-step and its
    full state diff by field name), plus the program itself;
``pytest``
    a standalone regression test that fails while the bug is present;
``mermaid``
    a ``sequenceDiagram``: one lifeline per CPU and per task involved, events as messages,
    context switches as dashed messages, the violation as a note.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

from . import layout
from .program import Event, Program
from .runner import Result, TraceStep, run
from .variants import Variant

__all__ = ["FORMATS", "FIELDS", "export", "export_trace", "export_json", "export_pytest",
           "export_mermaid"]

FORMATS: tuple[str, ...] = ("trace", "json", "pytest", "mermaid")

# What the annotated trace shows, by family: the state field's leaf name (see layout.py) and
# the name a kernel developer knows it by.  A trace shows the always-fields, the family of the
# oracle that fired and the families of the variant's non-reference designs (all of them for a
# clean run on the reference); frame bookkeeping (phases, saved copies) is left to
# ``fuzzcore run --trace``, which shows every field.
ALWAYS: dict[str, str] = {"curr": "current", "state": "state", "depth": "depth", "if": "IF"}
FIELDS: dict[str, dict[str, str]] = {
    "ct": {"ct": "ct_state", "ct_calls": "ct.recursion", "rcu_nmi": "rcu_nmi_nesting",
           "rcu_irq": "rcu_irq", "hardirq": "hardirq", "need_resched": "need_resched"},
    "pks": {"pkrs": "PKRS", "thread_pkrs": "thread.pkrs", "pks_ref": "refcount",
            "pks_slot_pkrs": "slot.pkrs", "pks_slot_tpkrs": "slot.thread_pkrs",
            "pks_slot_ref": "slot.refcount", "pks_idx": "pks_stack.index"},
    "fpu": {"fpu": "fpregs", "owner": "fpregs_owner", "need_fpu_load": "TIF_NEED_FPU_LOAD",
            "last_cpu": "fpu.last_cpu", "fps_fpu": "fpstate.fpregs", "l_fpu": "L.fpu",
            "in_kfpu": "in_kernel_fpu", "softirq": "softirq", "pasid": "IA32_PASID",
            "fps_pasid": "fpstate.pasid"},
    "pkru": {"pkru": "PKRU", "xinuse_pkru": "XINUSE[PKRU]", "thread_pkru": "thread.pkru",
             "fps_pkru": "fpstate.pkru", "fps_pkru_bv": "fpstate.XSTATE_BV[PKRU]",
             "l_pkru": "L.pkru", "need_fpu_load": "TIF_NEED_FPU_LOAD",
             "owner": "fpregs_owner", "sigframe.pkru": "sigframe.pkru",
             "sigframe.pkru_bv": "sigframe.XSTATE_BV[PKRU]"},
    "pasid": {"pasid": "IA32_PASID", "fps_pasid": "fpstate.pasid",
              "fps_pasid_bv": "fpstate.XSTATE_BV[PASID]", "pasid_act": "pasid_activated",
              "need_fpu_load": "TIF_NEED_FPU_LOAD", "owner": "fpregs_owner",
              "last_cpu": "fpu.last_cpu", "mm.pasid": "mm.pasid", "l_pasid": "L.pasid"},
}
_ORACLE_FAMILY = {"rcu_eqs": "ct", "ct_user": "ct", "ct_recursion": "ct", "sched_atomic": "ct",
                  "fpu_consistent": "fpu", "fpu_coherent": "fpu", "fpu_user": "fpu",
                  "kernel_fpu": "fpu", "pkru_user": "pkru", "pkru_signal": "pkru",
                  "pasid_lost": "pasid", "pasid_leak": "pasid"}
_PKS_INIT = 84           # SPEC 1.2: PKS_INIT = init_pkru_value = 84 (keys 1..3 access-disabled)
_PKS_RW1 = 80            # PKS_INIT with key 1's bits cleared: the pmem key writable


def export(program: Program, fmt: str, variant: Variant | str | None = None,
           config: str | None = None, cpu_vendor: str | None = None, *,
           source: str | None = None) -> str:
    """``program`` in format ``fmt`` (one of :data:`FORMATS`), run on ``variant``,
    ``config`` and ``cpu_vendor`` (flags override the program's headers).  ``source`` names
    where the program came from, for the ``pytest`` file's docstring."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (valid: {', '.join(FORMATS)})")
    result = run(program, variant, config, cpu_vendor, trace=True)
    if fmt == "trace":
        return export_trace(result)
    if fmt == "json":
        return export_json(program, result)
    if fmt == "pytest":
        return export_pytest(program, result, source)
    return export_mermaid(result)


# --- trace ------------------------------------------------------------------------------------

def _families(result: Result) -> list[str]:
    fams = [_ORACLE_FAMILY.get(result.oracle or "", "pks")] if result.oracle else []
    fams += [d.subsystem for d in result.variant.non_reference()]
    if not fams:
        fams = list(FIELDS)
    return list(dict.fromkeys(fams))


def _shown_fields(families: Iterable[str]) -> dict[str, str]:
    shown = dict(ALWAYS)
    for fam in families:
        shown.update(FIELDS[fam])
    return shown


def _leaf(field: str) -> tuple[str, str] | None:
    """(owner, leaf key of FIELDS) for a field name, None for frame bookkeeping and globals."""
    if "." not in field or ".frame[" in field:
        return None
    owner, rest = field.split(".", 1)
    m = re.fullmatch(r"sigframe\[\d+\]\.(\w+)", rest)
    if m:
        return owner, f"sigframe.{m.group(1)}"
    if owner.startswith("mm"):
        return owner, f"mm.{rest}"
    return owner, rest


def _value(key: str, text: str) -> str:
    """A value the way the mails write it: named special values."""
    if key in ("pkrs", "thread_pkrs", "pks_slot_pkrs", "pks_slot_tpkrs"):
        return {str(_PKS_INIT): "PKS_INIT", str(_PKS_RW1): "RW(1)"}.get(text, text)
    if key in ("pkru", "thread_pkru", "fps_pkru", "l_pkru", "sigframe.pkru"):
        return "init_pkru_value" if text == str(_PKS_INIT) else text
    if key in ("pasid", "fps_pasid") and text == "-1":
        return "invalid"
    if key == "mm.pasid" and text == "-1":
        return "none"
    if key == "owner" and text == "-1":
        return "NULL"
    return text


def _comment(step: TraceStep, shown: dict[str, str]) -> str:
    parts = []
    for field, before, after in step.changes:
        split = _leaf(field)
        if split is None or split[1] not in shown:
            continue
        owner, key = split
        label = shown[key]
        if key.startswith("mm."):              # mm0.pasid, not mm0.mm.pasid
            label = label.split(".", 1)[1]
        elif key.startswith("sigframe."):      # t0.sigframe[1].pkru: keep which frame
            label = field.split(".")[1] + "." + label.split(".", 1)[1]
        parts.append(f"{owner}.{label} {_value(key, before)} -> {_value(key, after)}")
    return ", ".join(parts)


def _step_label(step: TraceStep, event: Event) -> str:
    mark = {"step": ".", "event": "!"}.get(step.kind, "~")
    if step.kind == "irq_held":
        name = f"{event.text().split(' ', 1)[1]} held (IF=0)"
    elif step.kind == "nmi_latched":
        name = "nmi latched"
    else:
        name = step.name
    where = "" if step.cpu == event.cpu else f"cpu{step.cpu} "
    return f"{where}{mark} {name}"


def _annotated(code: str, comment: str, width: int = 44) -> str:
    return f"{code.ljust(width - 2)}  // {comment}" if comment else code


# `ret` changes only frame bookkeeping; say what it did.
_RET_HINT = "exit pending"


def export_trace(result: Result) -> str:
    """The annotated trace (see the module docstring)."""
    families = _families(result)
    shown = _shown_fields(families)
    v = result.violation
    lines = [f"# fuzzcore trace: variant {result.variant}, config {result.config.name}, "
             f"cpu-vendor {result.cpu_vendor}",
             f"# under each event: '.' a micro-step, '!' the event itself, '~' an irq held or "
             f"taken; // what changed in IF, current, state, depth and the "
             f"{'/'.join(families)} state (`fuzzcore run --trace` shows every field)"]
    for te in result.trace or []:
        head = f"{te.index:3d}  {te.event.text()}" + ("   [skipped]" if te.skipped else "")
        rows = [(f"       {_step_label(s, te.event)}",
                 _comment(s, shown) or (_RET_HINT if s.kind == "event" and s.name == "ret" else ""))
                for s in te.steps]
        if v is not None and te.index == v.event_index:
            mark = f"<== {v.oracle}: expected {v.expected}, got {v.actual}"
            if rows:
                code, comment = rows[-1]
                rows[-1] = (code, (comment + ", " if comment else "") + mark)
            else:
                head = _annotated(head, mark)
        # An event that is nothing but itself reads best on one line.
        if len(rows) == 1 and te.steps[0].kind == "event" and te.steps[0].cpu == te.event.cpu:
            lines.append(_annotated(head, rows[0][1]))
            continue
        lines.append(head)
        lines += [_annotated(code, comment) for code, comment in rows]
    lines.append(v.describe() if v else f"verdict: clean ({result.events_run} events)")
    return "\n".join(lines) + "\n"


# --- json -------------------------------------------------------------------------------------

def export_json(program: Program, result: Result) -> str:
    """``Result.to_json()`` with the trace, plus the program (headers, event lines, text)."""
    out = result.to_json()
    out["program"] = {"headers": dict(program.headers),
                      "events": [e.text() for e in program.events],
                      "text": program.serialize()}
    return json.dumps(out, indent=1) + "\n"


# --- pytest -----------------------------------------------------------------------------------

_PYTEST = '''\
"""Regression test for {title}, exported by `fuzzcore export --format pytest`.

Source: {source}
Found on: {variant} (config {config}, cpu-vendor {vendor}): {finding}

The test asserts that the program below runs CLEAN.  So it FAILS while the bug is present --
on the buggy variant, the default -- and PASSES on a design that fixes it:

    python -m pytest THIS_FILE                               # fails: the bug is there
    FUZZCORE_VARIANT=reference python -m pytest THIS_FILE    # passes: the fix holds

FUZZCORE_VARIANT takes any variant text (`fuzzcore variants` lists the designs).
"""
import os

from fuzzcore.program import Program
from fuzzcore.runner import run

BUGGY_VARIANT = {variant_literal}
CONFIG = {config_literal}
CPU_VENDOR = {vendor_literal}
PROGRAM = {program_literal}


def test_{name}_is_clean():
    variant = os.environ.get("FUZZCORE_VARIANT", BUGGY_VARIANT)
    result = run(Program.parse(PROGRAM, "<{name}>"), variant, CONFIG, CPU_VENDOR)
    assert result.violation is None, result.violation.describe()
'''


def _literal(text: str) -> str:
    """A readable Python literal for a program's text: a triple-quoted string (its opening
    backslash-newline is a line continuation) when that round-trips, else repr()."""
    if "'''" not in text and "\\" not in text and not text.endswith("'"):
        return "'''\\\n" + text + "'''"
    return repr(text)


def export_pytest(program: Program, result: Result, source: str | None = None) -> str:
    """A standalone pytest file that fails while the finding reproduces (see the template)."""
    from .minimize import program_hash
    v = result.violation
    variant = str(result.variant)
    oracle = v.oracle if v else "clean"
    name = re.sub(r"\W+", "_", f"{oracle}_on_{variant}").strip("_").lower()
    finding = (v.describe() if v else
               "clean (the test guards against a regression that makes it violate)")
    text = _literal(program.serialize())
    assert eval(text) == program.serialize()    # the literal must round-trip exactly
    return _PYTEST.format(
        title=f"{oracle} on {variant}", source=source or program.headers.get(
            "minimized-from", program_hash(program)),
        variant=variant, config=result.config.name, vendor=result.cpu_vendor,
        finding=finding, variant_literal=repr(variant),
        config_literal=repr(result.config.name), vendor_literal=repr(result.cpu_vendor),
        program_literal=text, name=name)


# --- mermaid ----------------------------------------------------------------------------------

_TASK_ARG_EVENTS = ("wake", "migrate", "kill", "use_mm", "yield")


def _mermaid_text(text: str) -> str:
    # ';' ends a statement and '#' starts an entity code in Mermaid message text.
    return text.replace(";", ",").replace("#", "no.")


def _initial_current(result: Result) -> dict[int, str]:
    """Which task runs on each CPU at start, read from a fresh machine of the same kind."""
    from .runner import new_machine, task_names
    cfg = result.config
    m = new_machine(result.variant, cfg, result.cpu_vendor)
    names = task_names(cfg)
    fields = layout.field_names(cfg.ncpu, cfg.ntask, names)
    return {c: layout.format_value(f"cpu{c}.curr", m.S[fields.index(f"cpu{c}.curr")], names)
            for c in range(cfg.ncpu)}


def export_mermaid(result: Result) -> str:
    """A Mermaid ``sequenceDiagram`` of the run (see the module docstring)."""
    current = _initial_current(result)
    initial = dict(current)
    messages: list[str] = []
    involved: list[str] = []
    cpus_used: list[int] = []

    def involve(name: str) -> None:
        if name not in involved:
            involved.append(name)

    def apply_switches(step: TraceStep) -> None:
        for field, before, after in step.changes:
            m = re.fullmatch(r"cpu(\d+)\.curr", field)
            if m:
                c = int(m.group(1))
                current[c] = after
                involve(before)
                involve(after)
                messages.append(f"    {before}-->>{after}: switch on cpu{c}")

    def send(event: Event, arrow: str, label: str) -> None:
        c = event.cpu
        if c not in cpus_used:
            cpus_used.append(c)
        me = current[c]
        involve(me)
        if event.name in _TASK_ARG_EVENTS and isinstance(event.arg, str):
            involve(event.arg)
            messages.append(f"    {me}{arrow}{event.arg}: {_mermaid_text(label)}")
        else:
            messages.append(f"    cpu{c}{arrow}{me}: {_mermaid_text(label)}")

    for te in result.trace or []:
        e = te.event
        label = f"[{te.index}] {e.text().split(' ', 1)[1]}"
        injected = e.name in ("irq", "nmi", "mce", "db", "bp", "uaccess_fault", "vmalloc_fault")
        sent = False
        for s in te.steps:
            if s.kind == "event" and not sent:
                send(e, "-)" if injected else "->>", label)
                sent = True
            elif s.kind in ("irq_held", "nmi_latched"):
                send(e, "-)", f"{label} {'held' if s.kind == 'irq_held' else 'latched'}")
                sent = True
            elif s.kind == "irq_taken":
                c = s.cpu
                if c not in cpus_used:
                    cpus_used.append(c)
                involve(current[c])
                messages.append(f"    cpu{c}-){current[c]}: {s.name}")
            apply_switches(s)
        if te.skipped and not sent:
            send(e, "-x", f"{label} (skipped)")
        elif not sent:
            # Only pending micro-steps ran (a `step`, or a violation before the event).
            send(e, "->>", label)
    v = result.violation
    if v is not None:
        involve(v.task)
        if v.cpu not in cpus_used:
            cpus_used.append(v.cpu)
        messages.append(f"    Note over cpu{v.cpu},{v.task}: {_mermaid_text(v.describe())}")

    # Each CPU next to the task it started with, then the other tasks in order of appearance.
    order: list[str] = []
    for c in sorted(cpus_used):
        order.append(f"cpu{c}")
        if initial[c] in involved:
            order.append(initial[c])
    order += [t for t in involved if t not in order]
    lines = ["sequenceDiagram"]
    lines += [f"    participant {p}" for p in order]
    lines += messages
    return "\n".join(lines) + "\n"
