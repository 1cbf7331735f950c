"""Names for every slot of the machine's state vector, and readable values.

Data flow: machine -> **trace / export**.  The layout is defined once, by the constants of
``_core.py``; this module reads them from the interpreted source (the compiled module keeps
them as C globals), so compiled and interpreted runs print identical traces.
"""
from __future__ import annotations

from functools import lru_cache

from .engine import load_source_core
from .events import EVENTS

_core = load_source_core()

CT_NAMES = {0: "KERNEL", 1: "USER", 2: "IDLE"}
TASK_STATES = {0: "free", 1: "running", 2: "runnable", 3: "sleeping", 4: "dead", 5: "new"}
FRAME_KINDS = {0: "base", 1: "syscall", 2: "pf", 3: "gp", 4: "irq", 5: "nmi", 6: "mce",
               7: "db", 8: "bp", 9: "pf(vmalloc)", 10: "softirq"}
NMI_STATES = {0: "not_running", 1: "executing", 2: "latched"}
PF_KINDS = {0: "full", 1: "fixup", 2: "pkuerr"}


def _fields(prefix: str) -> dict[int, str]:
    """{offset: name} for the constants ``<prefix>NAME`` that form one record's fields."""
    out: dict[int, str] = {}
    for name, value in vars(_core).items():
        if name.startswith(prefix) and isinstance(value, int) and name.isupper():
            out.setdefault(value, name[len(prefix):].lower())
    return out


def step_name(step: int) -> str:
    if 0 <= step < len(_core.STEP_NAMES):
        return _core.STEP_NAMES[step]
    return f"step{step}"


@lru_cache(maxsize=None)
def field_names(ncpu: int, ntask: int, names: tuple[str, ...]) -> tuple[str, ...]:
    """The name of every slot, e.g. ``cpu0.ct``, ``t1.need_fpu_load``, ``t0.frame[1].phase``.
    ``names`` gives the task names in core order."""
    c = _core
    out = [f"slot{i}" for i in range(c.STATE_SIZE)]
    g = _fields("G_")
    for off, name in g.items():
        if off < c.G_NFIELDS:
            out[off] = name
    cpu_fields = {k: v for k, v in _fields("C_").items() if k < c.C_RQ}
    for cpu in range(c.MAX_CPU):
        base = c.CPU_BASE + cpu * c.CPU_SIZE
        for off, name in cpu_fields.items():
            out[base + off] = f"cpu{cpu}.{name}"
        for i in range(c.MAX_TASK):
            out[base + c.C_RQ + i] = f"cpu{cpu}.rq[{i}]"
    task_fields = {k: v for k, v in _fields("T_").items() if k < c.T_PKS_STACK}
    frame_fields = {k: v for k, v in _fields("F_").items() if k < c.FRAME_SIZE}
    sig_fields = ("fpu", "pkru", "pkru_bv", "l_fpu", "l_pkru", "l_pasid")
    for t in range(c.MAX_TASK):
        tname = names[t] if t < len(names) else f"task{t}"
        base = c.TASK_BASE + t * c.TASK_SIZE
        for off, name in task_fields.items():
            out[base + off] = f"{tname}.{name}"
        for s in range(c.PKS_STACK_DEPTH):
            for i, name in enumerate(("pkrs", "tpkrs", "ref")):
                out[base + c.T_PKS_STACK + 3 * s + i] = f"{tname}.pks_stack[{s}].{name}"
        for s in range(c.MAX_SIG):
            for i, name in enumerate(sig_fields):
                out[base + c.T_SIGFRAMES + s * c.SIG_SIZE + i] = f"{tname}.sigframe[{s}].{name}"
        for d in range(c.MAX_DEPTH):
            fbase = base + c.T_FRAME0 + d * c.FRAME_SIZE
            for off, name in frame_fields.items():
                out[fbase + off] = f"{tname}.frame[{d}].{name}"
    for m in range(c.MAX_MM):
        base = c.MM_BASE + m * c.MM_SIZE
        for off, name in _fields("MM_").items():
            if off < c.MM_SIZE:
                out[base + off] = f"mm{m}.{name}"
    return tuple(out)


def format_value(field: str, value: int, names: tuple[str, ...]) -> str:
    """A value as a reader wants it: ct states, steps, task names by name."""
    leaf = field.rsplit(".", 1)[-1]
    if leaf == "ct" or leaf == "ct_prev":
        return CT_NAMES.get(value, str(value))
    if leaf in ("phase", "ct_next", "resume", "sw_step", "bodyop_step"):
        return step_name(value) if value else ("body" if leaf == "phase" else "-")
    if leaf == "state":
        return TASK_STATES.get(value, str(value))
    if leaf == "kind" and ".frame[" in field:
        return FRAME_KINDS.get(value, str(value))
    if leaf == "nmi_state":
        return NMI_STATES.get(value, str(value))
    if leaf == "syscall_op":
        return EVENTS[value].name if 0 < value < len(EVENTS) else "-"
    if leaf == "fixup":
        return PF_KINDS.get(value, str(value))
    if leaf in ("curr", "owner", "sw_prev", "sw_next", "bodyop_arg") or leaf.startswith("rq["):
        return names[value] if 0 <= value < len(names) else str(value)
    return str(value)
