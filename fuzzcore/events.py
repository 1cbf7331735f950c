"""The event language (SPEC 1.5): every event's name, opcode and argument kind.

Data flow: events -> program -> machine.  This table is the one place the event vocabulary is
defined: the text parser, the binary decoder and the README grammar read it, and the machine
core numbers its ``OP_*`` constants in the same order (``tests/test_events.py`` checks that).
"""
from __future__ import annotations

from dataclasses import dataclass

# Argument kinds.
NONE = "none"          # no argument
INT = "int"            # a decimal number in [lo, hi]
TASK = "task"          # t<N> or k<N>
OPT_TASK = "opt_task"  # an optional task (yield)


@dataclass(frozen=True)
class EventKind:
    name: str
    opcode: int
    arg: str = NONE
    lo: int = 0
    hi: int = 0
    injected: bool = False  # lands between micro-steps instead of first running what is pending


_TABLE = [
    # name,            arg,      lo, hi,  injected
    ("step",            NONE,     0, 0,   False),
    ("syscall",         NONE,     0, 0,   False),
    ("user_fault",      NONE,     0, 0,   False),
    ("ret",             NONE,     0, 0,   False),
    ("irq",             INT,      0, 1,   True),
    ("nmi",             NONE,     0, 0,   True),
    ("mce",             NONE,     0, 0,   True),
    ("db",              NONE,     0, 0,   True),
    ("bp",              NONE,     0, 0,   True),
    ("uaccess_fault",   NONE,     0, 0,   True),
    ("vmalloc_fault",   NONE,     0, 0,   True),
    ("sleep",           NONE,     0, 0,   False),
    ("yield",           OPT_TASK, 0, 0,   False),
    ("wake",            TASK,     0, 0,   False),
    ("migrate",         TASK,     0, 0,   False),
    ("kill",            TASK,     0, 0,   False),
    ("fork",            NONE,     0, 0,   False),
    ("clone",           NONE,     0, 0,   False),
    ("exec",            NONE,     0, 0,   False),
    ("exit",            NONE,     0, 0,   False),
    ("use_mm",          TASK,     0, 0,   False),
    ("unuse_mm",        NONE,     0, 0,   False),
    ("raise_softirq",   NONE,     0, 0,   False),
    ("kmap",            NONE,     0, 0,   False),
    ("kunmap",          NONE,     0, 0,   False),
    ("pmem_read",       NONE,     0, 0,   False),
    ("stray_write",     NONE,     0, 0,   False),
    ("wrpkru",          INT,      0, 255, False),
    ("xrstor_init_pkru", NONE,    0, 0,   False),
    ("fpu_write",       INT,      0, 255, False),
    ("enqcmd",          NONE,     0, 0,   False),
    ("pkey_access",     INT,      0, 3,   False),
    ("kfpu_begin",      NONE,     0, 0,   False),
    ("kfpu_end",        NONE,     0, 0,   False),
    ("sigreturn",       INT,      0, 258, False),
    ("pasid_bind",      NONE,     0, 0,   False),
    ("pkey_alloc",      INT,      0, 255, False),
    ("rseq",            NONE,     0, 0,   False),
]

EVENTS: tuple[EventKind, ...] = tuple(
    EventKind(name, i, arg, lo, hi, inj) for i, (name, arg, lo, hi, inj) in enumerate(_TABLE))
BY_NAME: dict[str, EventKind] = {e.name: e for e in EVENTS}
NEVENTS = len(EVENTS)

# In the core's event triple (cpu, opcode, arg), "no argument" is -1.
NO_ARG = -1
# sigreturn's special arguments (0..255: the user edited the frame's PKRU to that value).
SIGRETURN_KEEP = 256        # the frame as the kernel wrote it
SIGRETURN_CORRUPT = 257     # an invalid frame: XRSTOR faults (#GP), the FPU state is reset
SIGRETURN_PKRU_INIT = 258   # the user cleared the frame's XSTATE_BV[PKRU]: PKRU from init (0)
