"""Variants (SPEC 1.7): which design of each subsystem the model consults.

Data flow: events -> program -> machine -> oracles -> minimize -> corpus/export.  A variant does
not change the events or the program; it selects the design the machine consults at each choice
point (the PKS save, the PKRU switch, the PASID fixup, the FPU restore, the context-tracking
decision).  The machine core reads it as eight integers, ``Variant.codes()``; the oracles are the
same for every variant, and ``expect`` below says which one a design is expected to trip.

``DESIGNS`` is the table of every named design, the reference (the must-be-clean design) first in
each subsystem; a design's ``code`` is its index within its subsystem.  A context-tracking design
is four independent choices (SPEC 1.7 (a)-(d)); the named ``ct`` designs are presets of them, and
any other combination can be written ``ct=<decide>/<windows>/<irq>/<guard>``.

Adding a design: a row in its subsystem's table below (expected verdict, source,
description), a ``<SUBSYSTEM>_<DESIGN>`` code constant, and the machine's branch on that code.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Mapping

SUBSYSTEMS: tuple[str, ...] = ("pks", "pkru", "pasid", "fpu", "ct")

# Oracle names, in SPEC 1.8 table order (the order decides which verdict wins).
ORACLES: tuple[str, ...] = (
    "rcu_eqs", "ct_user", "ct_recursion", "sched_atomic",
    "pks_handler_init", "pks_restore", "pks_task", "pks_access", "pks_refcount", "pks_depth",
    "fpu_consistent", "fpu_coherent", "fpu_user", "kernel_fpu",
    "pkru_user", "pkru_signal", "pasid_lost", "pasid_leak",
)
# Known findings about the reference kernel itself (not the model, not a design): a violation
# the core labels with one of these (G_KERNEL_FINDING, the index + 1) is reported as such
# (README, "The model's semantics").  Order: the core's KF_* codes.
KERNEL_FINDINGS: tuple[tuple[str, str, str], ...] = (
    ("exec_keeps_pasid_activated", "pasid_lost",
     "v6.8 resets pasid_activated in dup_task_struct() (fork) only; after exec, ENQCMD in the "
     "new mm's PASID takes #GP and try_fixup_enqcmd_gp() refuses: SIGSEGV"),
)
CLEAN = "clean"   # expected: no oracle ever fires
JUDGE = "judge"   # expected verdict not known beforehand: the fuzzer decides
EXPECTS: tuple[str, ...] = (CLEAN, JUDGE) + ORACLES

# Layout of Variant.codes(), the array the machine core reads.
V_PKS = 0
V_PKRU = 1
V_PASID = 2
V_FPU = 3
V_CT_DECIDE = 4
V_CT_WINDOWS = 5
V_CT_GUARD = 6
V_CT_OLD_IRQ = 7
V_LEN = 8

# Design codes: the index of the design in its subsystem's table (tests check they agree).
PKS_PTREGS, PKS_BYVALUE, PKS_EARLY_SAVE, PKS_PERCPU = 0, 1, 2, 3
PKS_THREAD_SLOT, PKS_IDTENTRY_ONLY, PKS_STACK7, PKS_V9 = 4, 5, 6, 7
PKS_STACK_DEPTH = 7  # pks=stack7's capacity (pks_depth)
PKRU_THREAD, PKRU_XSAVE, PKRU_WRITE_PKRU_IMAGE, PKRU_KTHREAD_MM, PKRU_THREAD_NOFRAME = 0, 1, 2, 3, 4
PKRU_SIGFRAME_NOBV = 5
PASID_FINAL, PASID_V1, PASID_MEM_NOINVAL, PASID_IPI = 0, 1, 2, 3
FPU_LAZY, FPU_SIGRESTORE_NOBH, FPU_IRQ_FPU_USABLE_OLD, FPU_SIGFAIL_NORESET = 0, 1, 2, 3
CT_GENERIC, CT_SOFT_OLD, CT_HARD_OLD, CT_EXIT_CS, CT_FAST_SYSCALL32, CT_NORECURSION = range(6)
CT_EXPLICIT = -1  # Design.code of a ct design that is no preset

# The four ct choices: name -> the value stored in codes().
CT_DECIDE_CS, CT_DECIDE_SOFT, CT_DECIDE_EXIT_CS = 0, 1, 2
CT_WINDOWS_CLOSED, CT_WINDOWS_OLD, CT_WINDOWS_GET_USER_ONLY = 0, 1, 2
CT_IRQ_NEW, CT_IRQ_OLD = 0, 1
CT_NOGUARD, CT_GUARD = 0, 1
CT_DECIDES: Mapping[str, int] = {
    "cs": CT_DECIDE_CS, "soft": CT_DECIDE_SOFT, "exit_cs": CT_DECIDE_EXIT_CS}
CT_WINDOWS: Mapping[str, int] = {
    "closed": CT_WINDOWS_CLOSED, "old": CT_WINDOWS_OLD, "get_user_only": CT_WINDOWS_GET_USER_ONLY}
CT_IRQS: Mapping[str, int] = {"new": CT_IRQ_NEW, "old": CT_IRQ_OLD}
CT_GUARDS: Mapping[str, int] = {"guard": CT_GUARD, "noguard": CT_NOGUARD}


class VariantError(ValueError):
    """A variant text, design or subsystem that does not exist; the message is one line."""


@dataclass(frozen=True)
class Design:
    subsystem: str
    design: str
    reference: bool     # the must-be-clean design of its subsystem
    expect: str         # an oracle name, CLEAN or JUDGE (provisional)
    source: str         # seed file, commit id + title, or LKML thread
    description: str    # one line
    code: int           # index within its subsystem (CT_EXPLICIT for a non-preset ct design)


# The table.  Per subsystem, in this order, the first row the reference:
#   design, expect, source, description.
_Row = tuple[str, str, str, str]
_TABLE: dict[str, list[_Row]] = {
    "pks": [
        ("ptregs", CLEAN,
         "seeds/004 (Andy: save PKRS in an enlarged pt_regs); kernel-notes 1d final design",
         "save as the last step of irqentry_enter/irqentry_nmi_enter (frame keeps MSR, "
         "thread.pkrs, refcount; then PKS_INIT, 0, PKS_INIT); restore as the first exit step"),
        ("byvalue", "pks_restore",
         "seeds/000 (R1: [PATCH RFC V2 17/17] x86/entry: Preserve PKRS MSR across exceptions)",
         "saves into a by-value copy of idtentry_state, so the restore writes PKRS 0 and "
         "refcount 0"),
        ("early_save", "rcu_eqs",
         "seeds/000 (tglx: \"No.\" to idt_save_pkrs() before the state is established)",
         "as ptregs, but the save is the first software step of irqentry_enter (before "
         "user_exit/rcu_irq_enter) and calls traceable write_pkrs(): instrumentable"),
        ("percpu", "pks_restore",
         "seeds/000 (R2: tglx, \"#PF does not work because #PF can schedule\")",
         "as ptregs, but the save overwrites one per-CPU slot that the restore reads; the "
         "switch still loads thread.pkrs"),
        ("thread_slot", "pks_restore",
         "seeds/004 (R3: Andy, more than one saved value per thread)",
         "as ptregs, but the save overwrites one per-thread slot that the restore reads"),
        ("idtentry_only", "pks_handler_init",
         "seeds/000 (R4: \"#MC does not go through idtentry_enter(). Neither do #NMI, #DB, #BP\")",
         "as ptregs, but NMI, #MC, #DB and #BP (irqentry_nmi_enter) neither save nor restore"),
        ("stack7", JUDGE,
         "seeds/004 (R5: tglx, \"a stack of 7 entries and an index\")",
         "a per-thread stack of 7 saved values and an index; a push stores the value, then "
         "bumps the index, as two steps"),
        ("v9", JUDGE,
         "LKML [PATCH V9 27/45] x86/pkeys: Preserve PKRS MSR across exceptions (2022)",
         "the series as posted: no thread.pkrs reset at the save, refcount not saved, MSR "
         "before thread.pkrs in an update, PKRS loaded before current switches"),
    ],
    "pkru": [
        ("thread", CLEAN,
         "9782a712eb97 x86/fpu: Add PKRU storage outside of task XSAVE buffer (v5.14); "
         "70044df250d0, ae6012d72fa6 (signals)",
         "thread.pkru switched by x86_pkru_load, kernel XRSTORs exclude PKRU; the signal frame "
         "carries PKRU with its XSTATE_BV bit set (update_pkru_in_sigframe)"),
        ("xsave", "pkru_user",
         "0cecca9d03c9 x86/fpu: Eager switch PKRU state (v5.2-v5.13)",
         "PKRU is an XSAVE component the kernel's XRSTORs load; switch_fpu_finish writes it "
         "from next's image, init_pkru_value when the component is init"),
        ("write_pkru_image", "pkru_user",
         "0d714dba1626 x86/fpu: Update xstate's PKRU value on write_pkru() (bug #6); seeds/002",
         "xsave with 510b80a6a0f1 (the switch loads 0 for an init component); write_pkru "
         "still skips an image without the component"),
        ("kthread_mm", "pkru_user",
         "fixed by 12f7764ac612 x86/process: Check PF_KTHREAD and not current->mm for kernel "
         "threads (bug #5)",
         "xsave whose switch_fpu_finish tests current->mm instead of PF_KTHREAD"),
        ("thread_noframe", "pkru_user",
         "seeds/002 (tglx's proposal taken literally; Dave's signal-frame ABI concern)",
         "thread, but PKRU is not in the signal frame: sigreturn leaves the handler's PKRU"),
        ("sigframe_nobv", "pkru_user",
         "70044df250d0 x86/pkeys: Update PKRU to enable all pkeys before XSAVE, without "
         "ae6012d72fa6 (bug #15)",
         "sig_prepare_pkru() writes 0 before the XSAVE; on AMD XSTATE_BV[PKRU] is then 0 in "
         "the frame and sigreturn's XRSTOR loads 0 whatever update_pkru_in_sigframe() wrote"),
    ],
    "pasid": [
        ("final", CLEAN,
         "fa6af69f38d3 x86/traps: Demand-populate PASID MSR via #GP (v5.18)",
         "try_fixup_enqcmd_gp is the first body step of a #GP from user, IF=0; on success the "
         "frame waits in its body with IF=0"),
        ("v1", "fpu_coherent",
         "seeds/001 ([PATCH 4/8] x86/traps: Demand-populate PASID MSR via #GP, 2021-09)",
         "fixup after cond_local_irq_enable, under fpregs_lock: the MSR if !TIF_NEED_FPU_LOAD "
         "|| fpregs_state_valid, else the memory image; has_valid_pasid for pasid_activated"),
        ("mem_noinval", "fpu_coherent",
         "seeds/001 (Andy: write memory and invalidate preserved copies by zapping last_cpu)",
         "v1, but with TIF_NEED_FPU_LOAD set it writes the memory image without zapping "
         "last_cpu"),
        ("ipi", "pasid_lost",
         "20f0afd1fb3d x86/mmu: Allocate/free a PASID (v5.10); removed by 9bfecd058339 "
         "x86/cpufeatures: Force disable X86_FEATURE_ENQCMD and remove update_pasid() (bug #11)",
         "pasid_bind IPIs every CPU the mm ran on; the IPI body runs update_pasid (MSR, or the "
         "image and last_cpu = -1 when TIF_NEED_FPU_LOAD) whatever it interrupted, and so does "
         "switch_fpu_finish; no #GP fixup: ENQCMD without the PASID loaded is a SIGSEGV"),
    ],
    "fpu": [
        ("lazy", CLEAN,
         "5f409e20b794 x86/fpu: Defer FPU state load until return to userspace (v5.2; v6.8 "
         "behaviour)",
         "deferred restore: switch_fpu_prepare/finish, fpregs_restore_userregs on exit to "
         "user, kernel_fpu_begin disables preemption"),
        ("sigrestore_nobh", "fpu_consistent",
         "fixed by 68239654acaf (id unverified) x86/fpu: Disable bottom halves while loading FPU "
         "registers (bug #1)",
         "the sigreturn restore runs without fpregs_lock"),
        ("irq_fpu_usable_old", "kernel_fpu",
         "fixed by 59f5ede3bc0f x86/fpu: Prevent FPU state corruption (bug #13)",
         "old irq_fpu_usable: !in_interrupt() || interrupted_user_mode() || "
         "interrupted_kernel_fpu_idle(), true in an irq inside fpregs_lock"),
        ("sigfail_noreset", "fpu_consistent",
         "fixed by efa165504943 x86/fpu: Reset state for all signal restore failures (bug #10)",
         "a failed sigreturn restore does not reset the FPU state"),
    ],
    "ct": [
        ("generic", CLEAN,
         "generic entry, kernel/entry/common.c (kernel-notes 1e); seeds/003",
         "cs/closed/new/guard: user_exit/user_enter by CS, the closed windows of Appendix A"),
        ("soft_old", CLEAN,
         "seeds/003 (Frederic: soft tracking, exception_enter/exception_exit)",
         "soft/old/old/guard: entry saves prev ct_state and leaves USER; exit re-enters USER iff "
         "prev was USER"),
        ("hard_old", "rcu_eqs",
         "seeds/003 (Frederic: CS is hard tracking, not synchronized with the soft state)",
         "cs/old/old/guard: CS decides, with the old windows (get_user at IF=1 before user_exit, "
         "user_enter at IF=1, vmalloc faults)"),
        ("exit_cs", "ct_user",
         "fixed by 6c1e0256fad8 context_tracking: Restore correct previous context state on "
         "exception exit (bug #19)",
         "exit_cs/old/old/guard: soft entry, CS exit: an exception preempted in the exit dead "
         "zone returns to user without user_enter"),
        ("fast_syscall32", "rcu_eqs",
         "fixed by 9999c8c01f34 x86/entry: Call enter_from_user_mode() with IRQs off (bug #21)",
         "cs/get_user_only/new/guard: closed, plus do_fast_syscall_32's IF=1 get_user before "
         "user_exit"),
        ("norecursion", "ct_recursion",
         "fixed by aed5ed47724f context_tracking: Protect against recursion (bug #22)",
         "soft/old/old/noguard: soft_old without the context-tracking recursion guard"),
    ],
}

DESIGNS: tuple[Design, ...] = tuple(
    Design(sub, name, code == 0, expect, source, desc, code)
    for sub in SUBSYSTEMS
    for code, (name, expect, source, desc) in enumerate(_TABLE[sub]))
_BY_SUB: dict[str, dict[str, Design]] = {
    sub: {d.design: d for d in DESIGNS if d.subsystem == sub} for sub in SUBSYSTEMS}


def designs_of(subsystem: str) -> tuple[Design, ...]:
    """The named designs of one subsystem, the reference first."""
    return tuple(_subsystem_table(subsystem).values())


def get_design(subsystem: str, name: str) -> Design:
    """The design named ``name`` (for ``ct``, a preset or ``decide/windows/irq/guard``)."""
    if subsystem == "ct":
        return CtDesign.parse(name).design
    table = _subsystem_table(subsystem)
    if name not in table:
        raise VariantError(
            f"unknown {subsystem} design {name!r} (valid: {', '.join(table)})")
    return table[name]


def _subsystem_table(subsystem: str) -> dict[str, Design]:
    if subsystem not in _BY_SUB:
        raise VariantError(
            f"unknown subsystem {subsystem!r} (valid: {', '.join(SUBSYSTEMS)})")
    return _BY_SUB[subsystem]


# --- context tracking: four choices ----------------------------------------------------------

@dataclass(frozen=True)
class CtDesign:
    """A context-tracking design (SPEC 1.7 (a)-(d)); ``text`` is ``decide/windows/irq/guard``."""
    decide: str    # cs | soft | exit_cs: how non-NMI-like frames decide user_exit/user_enter
    windows: str   # closed | old | get_user_only: the syscall entry/exit windows
    irq: str       # new | old: old = every irq from kernel does rcu_irq_enter/rcu_irq_exit
    guard: str     # guard | noguard: the context-tracking recursion guard

    def __post_init__(self) -> None:
        for part, value, valid in (("decide", self.decide, CT_DECIDES),
                                   ("windows", self.windows, CT_WINDOWS),
                                   ("irq", self.irq, CT_IRQS),
                                   ("guard", self.guard, CT_GUARDS)):
            if value not in valid:
                raise VariantError(
                    f"unknown ct {part} {value!r} (valid: {', '.join(valid)})")

    @classmethod
    def parse(cls, text: str) -> CtDesign:
        """A preset name or ``decide/windows/irq/guard``."""
        text = text.strip()
        if text in CT_PRESETS:
            return CT_PRESETS[text]
        parts = [p.strip() for p in text.split("/")]
        if len(parts) != 4:
            raise VariantError(
                f"unknown ct design {text!r} (valid: {', '.join(CT_PRESETS)}, "
                f"or decide/windows/irq/guard)")
        return cls(*parts)

    @property
    def text(self) -> str:
        return f"{self.decide}/{self.windows}/{self.irq}/{self.guard}"

    @property
    def preset(self) -> str | None:
        """The preset this design equals, if any."""
        return _CT_PRESET_NAMES.get(self)

    @property
    def name(self) -> str:
        """The canonical name: the preset's, else the explicit text."""
        return self.preset or self.text

    @property
    def design(self) -> Design:
        """The table row of a preset; a synthesized row (expect ``judge``) for any other."""
        if self.preset is not None:
            return _BY_SUB["ct"][self.preset]
        return Design("ct", self.text, False, JUDGE, "explicit ct design (SPEC 1.7 (a)-(d))",
                      f"decide {self.decide}, windows {self.windows}, irq paths {self.irq}, "
                      f"{'recursion guard' if self.guard == 'guard' else 'no recursion guard'}",
                      CT_EXPLICIT)


CT_PRESETS: Mapping[str, CtDesign] = {
    "generic": CtDesign("cs", "closed", "new", "guard"),
    "soft_old": CtDesign("soft", "old", "old", "guard"),
    "hard_old": CtDesign("cs", "old", "old", "guard"),
    "exit_cs": CtDesign("exit_cs", "old", "old", "guard"),
    "fast_syscall32": CtDesign("cs", "get_user_only", "new", "guard"),
    "norecursion": CtDesign("soft", "old", "old", "noguard"),
}
_CT_PRESET_NAMES: dict[CtDesign, str] = {d: n for n, d in CT_PRESETS.items()}


# --- variants --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One design per subsystem, by name; the defaults are the references.

    ``ct`` holds the canonical name: a preset's, else ``decide/windows/irq/guard``.
    """
    pks: str = "ptregs"
    pkru: str = "thread"
    pasid: str = "final"
    fpu: str = "lazy"
    ct: str = "generic"

    def __post_init__(self) -> None:
        for sub in SUBSYSTEMS[:-1]:
            get_design(sub, getattr(self, sub))
        object.__setattr__(self, "ct", CtDesign.parse(self.ct).name)

    @classmethod
    def parse(cls, text: str) -> Variant:
        """``subsystem=design,...``; empty or a preset name (``reference``) for a preset."""
        text = text.strip()
        if text in PRESETS:
            text = PRESETS[text]
        choices: dict[str, str] = {}
        for item in text.split(",") if text else []:
            sub, eq, name = item.partition("=")
            sub, name = sub.strip(), name.strip()
            if not eq or not sub or not name or "=" in name:
                raise VariantError(f"expected subsystem=design, got {item.strip()!r}")
            _subsystem_table(sub)
            if sub in choices:
                raise VariantError(f"subsystem {sub!r} named twice in {text!r}")
            choices[sub] = name
        return cls(**choices)

    @classmethod
    def reference(cls) -> Variant:
        return cls()

    @classmethod
    def presets(cls) -> dict[str, Variant]:
        """The named whole-variant presets."""
        return {name: cls.parse(text) for name, text in PRESETS.items()}

    def __str__(self) -> str:
        text = ",".join(f"{d.subsystem}={d.design}" for d in self.non_reference())
        return text or "reference"

    @property
    def ct_design(self) -> CtDesign:
        return CtDesign.parse(self.ct)

    def design(self, subsystem: str) -> Design:
        return get_design(subsystem, getattr(self, subsystem))

    def designs(self) -> tuple[Design, ...]:
        """The chosen design of every subsystem, in subsystem order."""
        return tuple(self.design(sub) for sub in SUBSYSTEMS)

    def non_reference(self) -> list[Design]:
        """The chosen designs that are not their subsystem's reference."""
        return [d for d in self.designs() if not d.reference]

    @property
    def is_reference(self) -> bool:
        return not self.non_reference()

    def codes(self) -> array[int]:
        """The machine core's view: see the ``V_*`` index constants."""
        ct = self.ct_design
        out = array("i", [0] * V_LEN)
        out[V_PKS] = self.design("pks").code
        out[V_PKRU] = self.design("pkru").code
        out[V_PASID] = self.design("pasid").code
        out[V_FPU] = self.design("fpu").code
        out[V_CT_DECIDE] = CT_DECIDES[ct.decide]
        out[V_CT_WINDOWS] = CT_WINDOWS[ct.windows]
        out[V_CT_GUARD] = CT_GUARDS[ct.guard]
        out[V_CT_OLD_IRQ] = CT_IRQS[ct.irq]
        return out


# Named whole-variant presets: name -> variant text.
PRESETS: Mapping[str, str] = {"reference": ""}


def non_reference_designs() -> list[Variant]:
    """One variant per non-reference design of the table: that design, references elsewhere."""
    return [Variant(**{d.subsystem: d.design}) for d in DESIGNS if not d.reference]


# --- listings (``fuzzcore variants``, README) ------------------------------------------------

_JSON_KEYS = ("subsystem", "design", "reference", "expect", "source", "description")


def variants_json() -> list[dict[str, str | bool]]:
    """Every design as SPEC 4's ``fuzzcore variants --json`` objects."""
    return [{k: getattr(d, k) for k in _JSON_KEYS} for d in DESIGNS]


def _rows() -> list[list[str]]:
    return [[d.subsystem, d.design, "*" if d.reference else "", d.expect, d.source,
             d.description] for d in DESIGNS]


def variants_table() -> str:
    """An aligned text table of every design (``*`` marks the references)."""
    rows = [["subsystem", "design", "ref", "expect", "source", "description"]] + _rows()
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]) for r in rows) + "\n"


def markdown_table() -> str:
    """The same table in Markdown, for the README."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    head = ["subsystem", "design", "reference", "expect", "source", "description"]
    rows = [line(head), line(["---"] * len(head))]
    rows += [line([f"`{r[0]}`", f"`{r[1]}`", "yes" if r[2] else "", f"`{r[3]}`", r[4], r[5]])
             for r in _rows()]
    return "\n".join(rows) + "\n"
