"""A program's ``# expect-state:`` header checked against the machine's final state.

Data flow: program (its header) + machine (the state after the last event) -> **a list of
mismatches** -> ``fuzzcore run`` (exit 1, like a violation), ``fuzzcore replay`` and the tests.
Fields are named as ``--trace`` names them (``cpu0.pkru``, ``t0.nsig``, ``t1.frame[1].kind``);
a value is the number, or the name the trace prints for it (``cpu0.ct=USER``,
``cpu0.curr=t2``).  It is the final state of the program's own run: pending steps a program
leaves unrun stay unrun.  The kernel's self-tests (``tests/kernel/``) assert their final
states this way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from . import layout
from .config import Config
from .program import Program

_CPU_FIELD = re.compile(r"cpu([0-9]+)\.")


@dataclass(frozen=True)
class StateMismatch:
    field: str
    expected: str
    actual: str

    def describe(self) -> str:
        return f"state mismatch: {self.field}: expected {self.expected}, got {self.actual}"


@lru_cache(maxsize=None)
def _fields(config: Config) -> dict[str, int]:
    """Slot index by trace name, for the slots ``config`` uses."""
    names = tuple(config.task_name(t) for t in range(config.ntask))
    out = {}
    for i, name in enumerate(layout.field_names(config.ncpu, config.ntask, names)):
        m = _CPU_FIELD.match(name)
        if (m and int(m.group(1)) >= config.ncpu) or name.startswith(("task", "slot")):
            continue
        out.setdefault(name, i)
    return out


def check(program: Program, state, config: Config) -> tuple[StateMismatch, ...]:
    """The mismatches between ``program``'s expected state and ``state``.  An unknown field is
    a ValueError (bad input, not a mismatch)."""
    fields = _fields(config)
    names = tuple(config.task_name(t) for t in range(config.ntask))
    out = []
    for field, want in program.expect_state:
        if field not in fields:
            raise ValueError(f"expect-state: no state field {field!r} in configuration "
                             f"{config.name!r} (fields are named as --trace names them)")
        value = state[fields[field]]
        shown = layout.format_value(field, value, names)
        if want not in (str(value), shown):
            out.append(StateMismatch(field, want, shown))
    return tuple(out)
