"""The machine (SPEC 1.1, 1.4, 1.5, Appendix A): initial state, the micro-step rule, held IRQs,
NMI latching, skipped events, scheduling events, preemption.  Every test runs on the compiled
and on the interpreted core (the ``driver`` fixture), with the type-invariant check on.

Expected step sequences are written from SPEC Appendix A; ``A`` below maps each Appendix A step
to the name the core's trace gives it (``STEP_NAMES``), so that a renamed step is fixed in one
place and a reordered, dropped or added step fails the test.
"""
from __future__ import annotations

import array

import pytest

from conftest import L, Driver

# --- Appendix A, by name ---------------------------------------------------------------------

A = {
    # A.1 syscall entry / exit
    "swapgs": "swapgs",
    "enter_from_user_mode": "user_exit",
    "irq_enable": "instrumentation_begin+local_irq_enable",
    "exit_prepare": "syscall_exit_to_user_mode_prepare",
    "exit_loop": "exit_to_user_mode_loop",
    "fpu_restore": "arch_exit_to_user_mode_prepare",
    "user_enter": "user_enter",
    "sysret": "sysret",
    # A.2 / A.3
    "irqentry_enter_kernel": "irqentry_enter",
    "pks_save": "pks_save",
    "by_kind": "handler_entry",
    "irq_exit": "irq_exit",
    "pks_restore": "pks_restore",
    "irqentry_exit_kernel": "irqentry_exit",
    "iret": "iret",
    # A.4
    "paranoid_swapgs": "paranoid_swapgs",
    "nmi_enter": "irqentry_nmi_enter",
    "nmi_exit": "irqentry_nmi_exit",
    "paranoid_swapgs_restore": "paranoid_swapgs_restore",
    # A.6
    "sig": ["sig_prepare_pkru", "fpregs_lock", "fpregs_restore_userregs", "xsave_to_sigframe",
            "update_pkru_in_sigframe", "fpregs_unlock", "x64_setup_rt_frame",
            "fpu__clear_user_states", "fpregs_mark_activate"],          # registers live
    "notify_resume": "resume_user_mode_work",        # rseq after a switch-out, task work
    "preempt_irq_enable": "preempt_schedule_irq:local_irq_enable",
    "preempt_schedule": "preempt_schedule_irq:__schedule",
    # A.10 (the fork/clone event runs (1); these are pending)
    "fpu_clone": ["fpu_clone:fpregs_restore_userregs", "fpu_clone:xsave_to_child",
                  "fpu_clone:fpregs_unlock"],
}
SWITCH = ["__schedule", "switch_fpu_prepare", "x86_pkru_load", "x86_pkrs_load",
          "switch_current", "switch_fpu_finish", "finish_task_switch"]            # A.5 (0)-(6)
SYSCALL_ENTRY = [A["swapgs"], A["enter_from_user_mode"], A["irq_enable"]]        # A.1 entry
EXIT_TO_USER = [A["exit_loop"], A["fpu_restore"], A["user_enter"], A["swapgs"],
                A["sysret"]]                                                      # A.1 exit (2)-(6)
SYSCALL_EXIT = [A["exit_prepare"]] + EXIT_TO_USER                                # A.1 exit
FROM_FPU_RESTORE = EXIT_TO_USER[1:]                                              # SPEC 1.1, t2
USER_ENTRY = [A["swapgs"], A["enter_from_user_mode"], A["pks_save"], A["by_kind"]]  # A.2 entry
KERNEL_ENTRY = [A["irqentry_enter_kernel"], A["pks_save"], A["by_kind"]]        # A.3 entry
KERNEL_EXIT = [A["pks_restore"], A["irqentry_exit_kernel"], A["iret"]]           # A.3 exit (2)-(4)
NMI_ENTRY = [A["paranoid_swapgs"], A["nmi_enter"], A["pks_save"]]                # A.4 entry
NMI_EXIT = [A["pks_restore"], A["nmi_exit"], A["paranoid_swapgs_restore"], A["iret"]]

PKS_INIT = 84
INIT_PKRU = 84


@pytest.fixture
def d(driver) -> Driver:
    """The reference design on ``small``."""
    return driver()


def in_syscall_body(d: Driver, cpu: int = 0) -> None:
    assert d.steps(f"cpu{cpu} syscall") == []
    assert d.steps("\n".join([f"cpu{cpu} step"] * 3)) == SYSCALL_ENTRY
    assert d.pending(cpu) is None


def masked(state: bytes) -> bytes:
    """The state without the event counter (the one field every event writes)."""
    a = array.array("i")
    a.frombytes(state)
    a[L.G_EVENT] = 0
    return a.tobytes()


# --- 1.1 initial state -------------------------------------------------------------------------

def test_initial_state_small(d: Driver) -> None:
    cfg = d.cfg
    assert (d.g("NCPU"), d.g("NUSER"), d.g("NKTHREAD")) == (2, 4, 1)
    assert (cfg.ncpu, cfg.nuser, cfg.nlive, cfg.nkthread) == (2, 4, 3, 1)
    # who runs where
    assert (d.curr(0), d.curr(1)) == ("t0", "t1")
    assert d.user_mode(0) and d.user_mode(1)
    assert d.queue(0) == ["t2", "k0"] and d.queue(1) == []
    assert d.pending(0) is None and d.pending(1) is None
    # mms: t0, t1 threads of m0; t2 alone in m1; k0 none; t3 free
    assert d.task("t0", "MM") == d.task("t1", "MM")
    assert d.task("t2", "MM") not in (-1, d.task("t0", "MM"))
    assert d.task("k0", "MM") == -1
    assert d.mm(d.task("t0", "MM"), "USERS") == 2 and d.mm(d.task("t2", "MM"), "USERS") == 1
    assert d.task("t3", "STATE") == L.TS_FREE and d.task("t3", "MM") == -1
    assert d.task("k0", "KIND") == L.K_KTHREAD and d.task("t2", "KIND") == L.K_USER
    assert (d.task("t0", "STATE"), d.task("t1", "STATE")) == (L.TS_RUNNING, L.TS_RUNNING)
    assert (d.task("t2", "STATE"), d.task("k0", "STATE")) == (L.TS_RUNNABLE, L.TS_RUNNABLE)
    # k0 at the top of its loop: a kthread body, no frame, IF=1 when it runs
    assert d.task("k0", "DEPTH") == 0 and d.task("k0", "RESUME_IF") == 1
    for m in range(L.MAX_MM):
        assert d.mm(m, "PASID") == -1


@pytest.mark.parametrize("config", ["small", "medium", "large"])
def test_initial_state_every_config(driver, config: str) -> None:
    d = driver(config=config)
    cfg = d.cfg
    expected = {"small": (2, 4, 3, 1), "medium": (3, 6, 4, 1), "large": (4, 8, 6, 2)}[config]
    assert (cfg.ncpu, cfg.nuser, cfg.nlive, cfg.nkthread) == expected
    assert (d.g("NCPU"), d.g("NUSER"), d.g("NKTHREAD")) == (cfg.ncpu, cfg.nuser, cfg.nkthread)
    live = [f"t{i}" for i in range(cfg.nlive)]
    kthreads = [f"k{i}" for i in range(cfg.nkthread)]
    # t0..t(ncpu-1) run on cpu0..; the rest of the live tasks, then the kthreads, wait on cpu0
    for c in range(cfg.ncpu):
        assert d.curr(c) == f"t{c}" and d.user_mode(c)
    assert d.queue(0) == live[cfg.ncpu:] + kthreads
    for c in range(1, cfg.ncpu):
        assert d.queue(c) == []
    # threads in pairs per mm, distinct mms per pair
    mms = [d.task(t, "MM") for t in live]
    for i, t in enumerate(live):
        assert mms[i] == mms[i - i % 2], t
        if i % 2 == 0 and i + 1 < len(live):
            assert mms[i] == mms[i + 1]
    assert len(set(mms)) == (cfg.nlive + 1) // 2
    for t in live:
        assert d.mm(d.task(t, "MM"), "USERS") == mms.count(d.task(t, "MM"))
    for i in range(cfg.nlive, cfg.nuser):
        assert d.task(f"t{i}", "STATE") == L.TS_FREE
    for k in kthreads:
        assert d.task(k, "KIND") == L.K_KTHREAD and d.task(k, "MM") == -1
        assert d.task(k, "STATE") == L.TS_RUNNABLE and d.task(k, "DEPTH") == 0
    # CPUs
    for c in range(cfg.ncpu):
        assert d.cpu(c, "IF") == 1
        assert d.cpu(c, "GS_USER") == 1
        assert d.cpu(c, "CT") == L.CT_USER
        for f in ("PREEMPT", "SOFTIRQ", "HARDIRQ", "NMI", "NEED_RESCHED", "PEND_TIMER",
                  "PEND_DEV", "PEND_IPI", "IN_MCE", "DR7_OFF", "CT_CALLS", "RCU_NMI",
                  "RCU_IRQ", "IN_KFPU", "SW_STEP"):
            assert d.cpu(c, f) == 0, (c, f)
        assert d.cpu(c, "NMI_STATE") == L.NMI_NOT_RUNNING
        assert d.cpu(c, "XINUSE_PKRU") == 1
        assert d.cpu(c, "PKRU") == INIT_PKRU      # the running task's L.pkru (pkru_user)
        assert d.cpu(c, "PASID") == -1
        assert d.cpu(c, "PKRS") == PKS_INIT and d.cpu(c, "PKRS_CACHE") == PKS_INIT
        assert d.cpu(c, "FPU") == 0
        # FPU: the running task owns the registers
        assert d.cpu(c, "OWNER") == d.tid(f"t{c}")
        assert d.task(f"t{c}", "LAST_CPU") == c
        assert d.task(f"t{c}", "NEED_FPU_LOAD") == 0
    # tasks not running
    for t in live[cfg.ncpu:]:
        assert d.task(t, "NEED_FPU_LOAD") == 1
        assert d.task(t, "LAST_CPU") == -1
        assert d.task(t, "FPS_FPU") == 0
        assert d.task(t, "FPS_PKRU") == INIT_PKRU and d.task(t, "FPS_PKRU_BV") == 1
        assert d.task(t, "FPS_PASID_BV") == 0
    # every task
    for t in live + kthreads:
        assert d.task(t, "THREAD_PKRU") == INIT_PKRU, t
        assert d.task(t, "THREAD_PKRS") == PKS_INIT, t
        assert d.task(t, "PKS_REF") == 0, t
        assert d.task(t, "PASID_ACT") == 0, t
        assert d.task(t, "SIGPENDING") == 0, t
        assert d.task(t, "NSIG") == 0, t
        assert d.task(t, "MIGRATE_DISABLE") == 0, t
        assert (d.task(t, "L_FPU"), d.task(t, "L_PKRU"), d.task(t, "L_PASID")) == (
            0, INIT_PKRU, 0), t
    # idle tasks: one per CPU, never queued
    for c in range(cfg.ncpu):
        idle = cfg.idle_id(c)
        assert d.task(idle, "KIND") == L.K_IDLE
        assert all(d.name(idle) not in d.queue(q) for q in range(cfg.ncpu))
    assert d.violation() is None


def test_waiting_user_task_returns_to_user_from_the_fpu_restore(d: Driver) -> None:
    """SPEC 1.1: t2 waits as if preempted in user mode; switched in, it runs A.1 exit from the
    FPU restore on and is then in user mode."""
    in_syscall_body(d)
    assert d.steps("cpu0 yield t2") == []
    assert d.step_until_idle(0) == SWITCH + FROM_FPU_RESTORE
    assert d.curr(0) == "t2" and d.user_mode(0)
    assert d.cpu(0, "IF") == 1 and d.cpu(0, "GS_USER") == 1 and d.cpu(0, "CT") == L.CT_USER
    # the FPU restore loaded t2's registers
    assert d.task("t2", "NEED_FPU_LOAD") == 0 and d.cpu(0, "OWNER") == d.tid("t2")
    assert d.task("t2", "LAST_CPU") == 0
    assert d.violation() is None


def test_kthread_waits_at_the_top_of_its_loop(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 yield k0")
    assert d.step_until_idle(0) == SWITCH
    assert d.curr(0) == "k0" and d.task("k0", "DEPTH") == 0
    assert d.cpu(0, "IF") == 1 and d.pending(0) is None
    assert d.queue(0) == ["t2", "t0"]
    # a kthread body is sleepable and may use an mm
    assert d.kinds("cpu0 use_mm t1") == ["event"]


def test_idle_runs_in_eqs_and_leaves_it_to_yield(d: Driver) -> None:
    in_syscall_body(d, 1)
    d.run("cpu1 sleep")
    assert d.step_until_idle(1) == SWITCH
    assert d.curr(1) == "idle1" and d.cpu(1, "CT") == L.CT_IDLE
    assert d.queue(1) == []
    # idle is not sleepable; it may yield only to a task waiting on its own queue
    assert d.kinds("cpu1 sleep\ncpu1 yield t2") == ["skip", "skip"]
    d.run("cpu0 syscall\ncpu0 wake t1")           # wake onto cpu0's queue
    assert d.queue(0) == ["t2", "k0", "t1"]
    assert d.kinds("cpu1 migrate t1") == ["event"]
    assert d.queue(0) == ["t2", "k0"] and d.queue(1) == ["t1"]
    assert d.cpu(1, "CT") == L.CT_IDLE            # idle re-entered EQS after the operation
    assert d.kinds("cpu1 yield") == ["event"]
    assert d.cpu(1, "CT") == L.CT_KERNEL          # ct_idle_exit first
    assert d.step_until_idle(1) == SWITCH
    assert d.curr(1) == "t1" and d.queue(1) == []
    # t1 resumes in its syscall body; sleeping again brings idle back, in EQS again
    d.run("cpu1 sleep")
    d.step_until_idle(1)
    assert d.curr(1) == "idle1" and d.cpu(1, "CT") == L.CT_IDLE
    assert d.violation() is None


# --- 1.5 the micro-step rule -------------------------------------------------------------------

def test_syscall_does_only_the_hardware_part(d: Driver) -> None:
    before = d.state_bytes()
    records = d.run("cpu0 syscall")
    assert [r[0] for r in records] == ["event"]
    assert d.task("t0", "DEPTH") == 1 and d.top("t0", "KIND") == L.FK_SYSCALL
    assert d.top("t0", "FROM_USER") == 1
    assert not d.user_mode(0)                  # CS kernel
    assert d.cpu(0, "IF") == 0
    # nothing of the software entry ran
    assert d.cpu(0, "GS_USER") == 1 and d.cpu(0, "CT") == L.CT_USER
    assert d.pending(0) == A["swapgs"]
    assert d.g("STEPS") == 0
    # the other CPU is untouched
    assert d.curr(1) == "t1" and d.user_mode(1) and d.pending(1) is None
    assert before != d.state_bytes()


def test_step_runs_exactly_one_micro_step(d: Driver) -> None:
    d.run("cpu0 syscall")
    seen = []
    for expected in SYSCALL_ENTRY:
        assert d.pending(0) == expected
        records = d.run("cpu0 step")
        assert [r[0] for r in records] == ["step"]
        seen.append(d.pending(0))
    assert d.g("STEPS") == 3
    assert d.cpu(0, "GS_USER") == 0 and d.cpu(0, "CT") == L.CT_KERNEL and d.cpu(0, "IF") == 1
    assert seen[-1] is None
    # nothing pending: step is skipped and changes nothing
    before = masked(d.state_bytes())
    assert d.kinds("cpu0 step\ncpu1 step") == ["skip", "skip"]
    assert masked(d.state_bytes()) == before


def test_ret_makes_the_exit_pending_and_runs_none_of_it(d: Driver) -> None:
    in_syscall_body(d)
    steps_before = d.g("STEPS")
    records = d.run("cpu0 ret")
    assert [r[0] for r in records] == ["event"]
    assert d.g("STEPS") == steps_before
    assert d.pending(0) == A["exit_prepare"]
    assert d.cpu(0, "IF") == 1 and d.cpu(0, "CT") == L.CT_KERNEL
    assert d.task("t0", "DEPTH") == 1
    assert d.step_until_idle(0) == SYSCALL_EXIT
    assert d.user_mode(0) and d.cpu(0, "IF") == 1 and d.cpu(0, "GS_USER") == 1
    assert d.cpu(0, "CT") == L.CT_USER and d.task("t0", "DEPTH") == 0


def test_ret_is_refused_while_the_frame_holds_a_kmap(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 kmap")
    records = d.run("cpu0 ret")            # the PKS update's pending step runs, then: refused
    assert [r[0] for r in records] == ["step", "skip"]
    assert d.pending(0) is None and d.task("t0", "DEPTH") == 1
    assert d.kinds("cpu0 kunmap") == ["event"]
    d.step_until_idle(0)
    assert d.kinds("cpu0 ret") == ["event"] and d.pending(0) == A["exit_prepare"]
    d.step_until_idle(0)
    assert d.user_mode(0) and d.violation() is None


def test_a_program_that_ends_leaves_pending_steps_unrun(d: Driver) -> None:
    d.run("cpu0 syscall\ncpu0 step\ncpu1 user_fault")
    assert d.pending(0) == A["enter_from_user_mode"]
    assert d.pending(1) == A["swapgs"]
    assert d.cpu(0, "CT") == L.CT_USER and d.cpu(0, "GS_USER") == 0
    assert d.cpu(1, "GS_USER") == 1
    assert d.g("STEPS") == 1


def test_an_event_first_runs_the_pending_steps_of_its_cpu_only(d: Driver) -> None:
    d.run("cpu0 syscall\ncpu1 syscall")
    records = d.run("cpu0 kill t1")
    assert [(r[0], r[2]) for r in records] == [("step", 0)] * 3 + [("event", 0)]
    assert d.pending(1) == A["swapgs"]          # cpu1's steps are still pending
    assert d.task("t1", "SIGPENDING") == 1


def test_pending_steps_run_even_when_the_guard_then_fails(d: Driver) -> None:
    d.run("cpu0 syscall")
    records = d.run("cpu0 use_mm t1")          # use_mm needs a kthread body
    assert [r[0] for r in records] == ["step"] * 3 + ["skip"]
    assert d.pending(0) is None and d.cpu(0, "CT") == L.CT_KERNEL


def test_user_fault_sequence(d: Driver) -> None:
    """A.2 for a #PF from user: entry, a sleepable body with IF=1, exit through A.1 (2)-(6)."""
    d.run("cpu0 user_fault")
    assert d.top("t0", "KIND") == L.FK_PF and d.cpu(0, "IF") == 0
    assert d.step_until_idle(0) == USER_ENTRY
    assert d.cpu(0, "IF") == 1 and d.cpu(0, "CT") == L.CT_KERNEL
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == [A["pks_restore"]] + EXIT_TO_USER
    assert d.user_mode(0) and d.cpu(0, "CT") == L.CT_USER and d.cpu(0, "IF") == 1


def test_device_irq_from_user_sequence(d: Driver) -> None:
    records = d.run("cpu0 irq 0")
    assert [r[0] for r in records] == ["event"]      # IF=1: taken at once
    assert d.top("t0", "KIND") == L.FK_IRQ and d.top("t0", "FROM_USER") == 1
    assert d.step_until_idle(0) == USER_ENTRY
    assert d.cpu(0, "HARDIRQ") == 1 and d.cpu(0, "IF") == 0
    assert d.cpu(0, "NEED_RESCHED") == 0            # only the timer sets it
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == [A["irq_exit"], A["pks_restore"]] + EXIT_TO_USER
    assert d.cpu(0, "HARDIRQ") == 0 and d.user_mode(0) and d.curr(0) == "t0"


def test_device_irq_from_kernel_sequence(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 irq 0")
    assert d.top("t0", "KIND") == L.FK_IRQ and d.top("t0", "FROM_USER") == 0
    assert d.top("t0", "IRQ_IF") == 1
    assert d.step_until_idle(0) == KERNEL_ENTRY
    assert d.cpu(0, "HARDIRQ") == 1 and d.cpu(0, "IF") == 0
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == [A["irq_exit"]] + KERNEL_EXIT
    assert d.task("t0", "DEPTH") == 1 and d.top("t0", "KIND") == L.FK_SYSCALL
    assert d.cpu(0, "IF") == 1 and d.pending(0) is None   # back in the syscall body


def test_uaccess_fault_body_takes_the_interrupted_if(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 uaccess_fault")
    assert d.top("t0", "KIND") == L.FK_PF and d.top("t0", "FROM_USER") == 0
    assert d.step_until_idle(0) == KERNEL_ENTRY
    assert d.cpu(0, "IF") == 1
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == KERNEL_EXIT
    assert d.task("t0", "DEPTH") == 1 and d.cpu(0, "IF") == 1


def test_nmi_from_user_and_from_kernel(d: Driver) -> None:
    d.run("cpu0 nmi")
    assert d.top("t0", "KIND") == L.FK_NMI and d.cpu(0, "NMI_STATE") == L.NMI_EXECUTING
    assert d.step_until_idle(0) == NMI_ENTRY
    assert d.cpu(0, "GS_USER") == 0 and d.top("t0", "GS_SWAPPED") == 1
    assert d.cpu(0, "NMI") == 1 and d.cpu(0, "RCU_NMI") == 1 and d.cpu(0, "IF") == 0
    assert d.cpu(0, "CT") == L.CT_USER                    # RCU watches through rcu_nmi_enter
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == NMI_EXIT
    assert d.user_mode(0) and d.cpu(0, "GS_USER") == 1 and d.cpu(0, "IF") == 1
    assert d.cpu(0, "NMI_STATE") == L.NMI_NOT_RUNNING and d.cpu(0, "NMI") == 0
    # from kernel: GS is already the kernel's, paranoid entry does not swap
    in_syscall_body(d, 1)
    d.run("cpu1 nmi")
    assert d.step_until_idle(1) == NMI_ENTRY
    assert d.top("t1", "GS_SWAPPED") == 0 and d.cpu(1, "GS_USER") == 0
    d.run("cpu1 ret")
    assert d.step_until_idle(1) == NMI_EXIT
    assert d.cpu(1, "GS_USER") == 0 and d.cpu(1, "IF") == 1 and d.task("t1", "DEPTH") == 1


@pytest.mark.parametrize("event,kind", [("db", L.FK_DB), ("mce", L.FK_MCE), ("bp", L.FK_BP)])
def test_db_mce_bp_are_a2_from_user_and_nmi_like_from_kernel(driver, event, kind) -> None:
    d = driver()
    d.run(f"cpu0 {event}")
    assert d.top("t0", "KIND") == kind and d.top("t0", "SEQ") == L.SEQ_USER
    assert d.step_until_idle(0) == USER_ENTRY
    # A.2 (4): IF1 from user -- but do_machine_check() runs with IRQs off to its end
    # (5567d11c21a1); its kill_me_maybe() is task work in the exit loop (SIGBUS)
    assert d.cpu(0, "IF") == (0 if event == "mce" else 1)
    d.run("cpu0 ret")
    if event == "mce":
        assert d.step_until_idle(0) == [A["pks_restore"], A["exit_loop"], A["notify_resume"],
                                        A["exit_loop"]] + A["sig"] + EXIT_TO_USER
    else:
        assert d.step_until_idle(0) == [A["pks_restore"]] + EXIT_TO_USER
    in_syscall_body(d, 1)
    d.run(f"cpu1 {event}")
    assert d.top("t1", "KIND") == kind and d.top("t1", "SEQ") == L.SEQ_NMI
    assert d.step_until_idle(1) == NMI_ENTRY
    assert d.cpu(1, "IF") == 0 and d.cpu(1, "NMI") == 1
    d.run("cpu1 ret")
    assert d.step_until_idle(1) == NMI_EXIT
    assert d.cpu(1, "IF") == 1 and d.cpu(1, "NMI") == 0
    assert d.violation() is None


def test_interrupted_sequence_keeps_its_rest(d: Driver) -> None:
    """A frame interrupted in the middle of a sequence keeps the rest; when the frames above it
    are gone, its rest is pending again."""
    d.run("cpu0 syscall\ncpu0 step")
    assert d.pending(0) == A["enter_from_user_mode"]
    d.run("cpu0 nmi")
    assert d.pending(0) == A["paranoid_swapgs"]
    d.run("cpu0 ret")
    assert d.steps("\n".join(["cpu0 step"] * 4)) == NMI_EXIT
    assert d.pending(0) == A["enter_from_user_mode"]
    assert d.steps("cpu0 step\ncpu0 step") == SYSCALL_ENTRY[1:]


def test_switch_resumes_after_a_frame_pushed_during_it(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 yield")
    assert d.cpu(0, "IF") == 0 and d.pending(0) == SWITCH[0]
    assert d.steps("cpu0 step") == SWITCH[:1]
    d.run("cpu0 nmi")
    assert d.pending(0) == A["paranoid_swapgs"]          # the NMI's own steps first
    d.run("cpu0 ret")                                      # runs the NMI entry, then ret
    assert d.steps("\n".join(["cpu0 step"] * 4)) == NMI_EXIT
    assert d.pending(0) == SWITCH[1]                       # the switch resumes
    assert d.step_until_idle(0) == SWITCH[1:] + FROM_FPU_RESTORE
    assert d.curr(0) == "t2"


# --- held IRQs ---------------------------------------------------------------------------------

def test_irq_with_if0_is_held_and_taken_right_after_the_step_that_sets_if(d: Driver) -> None:
    d.run("cpu0 syscall")
    records = d.run("cpu0 irq 0")
    assert [r[0] for r in records] == ["irq_held"]
    assert d.cpu(0, "PEND_DEV") == 1 and d.task("t0", "DEPTH") == 1
    assert d.steps("cpu0 step\ncpu0 step") == SYSCALL_ENTRY[:2]     # IF still 0: held
    assert d.cpu(0, "PEND_DEV") == 1 and d.task("t0", "DEPTH") == 1
    records = d.run("cpu0 step")                                      # local_irq_enable
    assert [r[0] for r in records] == ["step", "irq_taken"]
    assert records[1][3] == L.IRQ_DEVICE
    assert d.cpu(0, "PEND_DEV") == 0
    assert d.task("t0", "DEPTH") == 2 and d.top("t0", "KIND") == L.FK_IRQ
    assert d.top("t0", "FROM_USER") == 0 and d.top("t0", "IRQ_IF") == 1
    assert d.cpu(0, "IF") == 0
    # before anything else: the irq's entry is what is pending now, not the syscall body
    assert d.pending(0) == KERNEL_ENTRY[0]
    records = d.run("cpu0 kill t1")
    assert [L.STEP_NAMES[r[3]] for r in records if r[0] == "step"] == KERNEL_ENTRY
    assert d.violation() is None


def test_held_timer_is_taken_before_the_held_device(d: Driver) -> None:
    d.run("cpu0 syscall\ncpu0 irq 0\ncpu0 irq 1")
    assert d.cpu(0, "PEND_DEV") == 1 and d.cpu(0, "PEND_TIMER") == 1
    assert d.steps("cpu0 step\ncpu0 step\ncpu0 step") == SYSCALL_ENTRY + ["irq 1 taken"]
    assert d.top("t0", "IRQ_KIND") == L.IRQ_TIMER
    assert d.cpu(0, "PEND_TIMER") == 0 and d.cpu(0, "PEND_DEV") == 1
    # the device waits while the timer's handler runs with IF=0
    d.run("cpu0 ret")
    assert d.cpu(0, "PEND_DEV") == 1 and d.cpu(0, "NEED_RESCHED") == 1


def test_held_device_is_taken_after_the_timer_returns(d: Driver) -> None:
    """In an NMI (IF=0) both are held; the NMI's iret to user sets IF=1: timer first, and the
    device right after the timer's own exit sets IF=1 again."""
    d.run("cpu0 nmi\ncpu0 irq 0\ncpu0 irq 1\ncpu0 ret")
    steps = d.steps("\n".join(["cpu0 step"] * 4))
    assert steps == NMI_EXIT + ["irq 1 taken"]
    assert d.top("t0", "FROM_USER") == 1 and d.top("t0", "IRQ_KIND") == L.IRQ_TIMER
    assert d.cpu(0, "PEND_DEV") == 1


def test_a_second_held_irq_of_a_kind_is_skipped(d: Driver) -> None:
    d.run("cpu0 syscall\ncpu0 irq 0\ncpu0 irq 1")
    before = masked(d.state_bytes())
    records = d.run("cpu0 irq 0\ncpu0 irq 1")
    assert [r[0] for r in records] == ["skip", "skip"]
    assert masked(d.state_bytes()) == before
    d.step_until_idle(0)
    # after the timer has been taken, a new timer may be held again
    assert d.cpu(0, "PEND_TIMER") == 0 and d.cpu(0, "IF") == 0
    assert d.kinds("cpu0 irq 1") == ["irq_held"]


def test_held_irq_is_taken_when_the_switch_restores_if1(d: Driver) -> None:
    """An irq arriving during a context switch (IF=0) is taken right after finish_task_switch
    restores the incoming task's IF=1 (k0 waits with IF=1), before k0 runs anything."""
    in_syscall_body(d)
    d.run("cpu0 yield k0")
    assert d.steps("cpu0 step") == SWITCH[:1]
    assert d.kinds("cpu0 irq 0") == ["irq_held"]
    assert d.steps("\n".join(["cpu0 step"] * 6)) == SWITCH[1:] + ["irq 0 taken"]
    assert d.curr(0) == "k0" and d.task("k0", "DEPTH") == 1
    assert d.top("k0", "KIND") == L.FK_IRQ and d.top("k0", "FROM_USER") == 0
    assert d.pending(0) == KERNEL_ENTRY[0]


def test_held_irq_is_per_cpu(d: Driver) -> None:
    d.run("cpu0 syscall\ncpu0 irq 1")
    assert d.cpu(1, "PEND_TIMER") == 0
    assert d.kinds("cpu1 irq 1") == ["event"]               # cpu1 has IF=1: taken at once


# --- NMI latching, #DB and #MC nesting ---------------------------------------------------------

def test_nmi_during_nmi_is_latched_and_taken_after_the_iret(d: Driver) -> None:
    d.run("cpu0 nmi")
    records = d.run("cpu0 nmi")
    assert [r[0] for r in records] == ["nmi_latched"]
    assert d.cpu(0, "NMI_STATE") == L.NMI_LATCHED and d.task("t0", "DEPTH") == 1
    # a third one changes nothing
    before = masked(d.state_bytes())
    d.run("cpu0 nmi")
    assert masked(d.state_bytes()) == before
    d.run("cpu0 ret")
    assert d.steps("\n".join(["cpu0 step"] * 3)) == NMI_EXIT[:3]
    assert d.task("t0", "DEPTH") == 1                        # still in the first NMI
    assert d.steps("cpu0 step") == [A["iret"]]
    # right after the iret: the latched NMI, a new frame whose entry is pending
    assert d.task("t0", "DEPTH") == 1 and d.top("t0", "KIND") == L.FK_NMI
    assert d.cpu(0, "NMI_STATE") == L.NMI_EXECUTING
    assert d.pending(0) == A["paranoid_swapgs"]
    assert d.top("t0", "FROM_USER") == 1
    d.run("cpu0 ret")
    assert d.step_until_idle(0) == NMI_EXIT
    assert d.user_mode(0) and d.cpu(0, "NMI_STATE") == L.NMI_NOT_RUNNING
    assert d.violation() is None


@pytest.mark.parametrize("outer,inner,skipped", [
    ("nmi", "db", True), ("db", "db", True), ("mce", "mce", True),
    ("mce", "db", True),        # exc_machine_check(): local_db_save() around the handler
    ("nmi", "mce", False), ("db", "mce", False)])
def test_db_and_mce_nesting_guards(driver, outer: str, inner: str, skipped: bool) -> None:
    d = driver()
    in_syscall_body(d)
    d.run(f"cpu0 {outer}")
    d.step_until_idle(0)
    before = masked(d.state_bytes())
    kinds = d.kinds(f"cpu0 {inner}")
    if skipped:
        assert kinds == ["skip"]
        assert masked(d.state_bytes()) == before
    else:
        assert kinds == ["event"] and d.task("t0", "DEPTH") == 3


def test_db_is_allowed_again_after_the_nmi(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 nmi\ncpu0 ret")
    d.step_until_idle(0)
    assert d.kinds("cpu0 db") == ["event"]


# --- skipped events change nothing -------------------------------------------------------------

SKIPPED_IN_SYSCALL_BODY = """\
cpu0 syscall
cpu0 user_fault
cpu0 wrpkru 3
cpu0 xrstor_init_pkru
cpu0 fpu_write 7
cpu0 enqcmd
cpu0 pkey_access 1
cpu0 step
cpu0 use_mm t1
cpu0 unuse_mm
cpu0 raise_softirq
cpu0 kunmap
cpu0 pmem_read
cpu0 kfpu_end
cpu0 sigreturn 0
cpu0 wake t2
cpu0 wake t1
cpu0 migrate t1
cpu0 migrate t0
cpu0 yield t1
cpu0 kill k0
cpu0 kill t3
cpu0 vmalloc_fault
"""
SKIPPED_IN_USER_MODE = """\
cpu1 step
cpu1 ret
cpu1 sleep
cpu1 yield
cpu1 wake t2
cpu1 migrate t2
cpu1 kill t0
cpu1 fork
cpu1 clone
cpu1 exec
cpu1 exit
cpu1 use_mm t0
cpu1 unuse_mm
cpu1 raise_softirq
cpu1 kmap
cpu1 kunmap
cpu1 pmem_read
cpu1 stray_write
cpu1 kfpu_begin
cpu1 kfpu_end
cpu1 sigreturn 1
cpu1 pasid_bind
cpu1 pkey_alloc 4
cpu1 uaccess_fault
cpu1 vmalloc_fault
"""


def test_skipped_events_change_nothing(d: Driver) -> None:
    in_syscall_body(d)                   # cpu0: syscall body, nothing pending; cpu1: user mode
    before = masked(d.state_bytes())
    text = SKIPPED_IN_SYSCALL_BODY + SKIPPED_IN_USER_MODE
    records = d.run(text)
    n = len(text.splitlines())
    assert [r[0] for r in records] == ["skip"] * n
    assert [r[1] for r in records] == list(range(3 + 1, 3 + 1 + n))
    assert masked(d.state_bytes()) == before


def test_skipped_events_inside_an_nmi_change_nothing(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 nmi")
    d.step_until_idle(0)
    before = masked(d.state_bytes())
    text = "cpu0 db\ncpu0 vmalloc_fault\ncpu0 sleep\ncpu0 yield\ncpu0 raise_softirq\n" \
           "cpu0 fork\ncpu0 exit\ncpu0 exec\ncpu0 step\ncpu0 syscall"
    assert d.kinds(text) == ["skip"] * 10
    assert masked(d.state_bytes()) == before


# --- scheduling events -------------------------------------------------------------------------

def test_yield_goes_to_the_front_and_the_caller_to_the_back(d: Driver) -> None:
    in_syscall_body(d)
    assert d.kinds("cpu0 yield") == ["event"]
    assert d.cpu(0, "IF") == 0 and d.pending(0) == SWITCH[0]      # IF=0 at once
    assert d.step_until_idle(0) == SWITCH + FROM_FPU_RESTORE
    assert d.curr(0) == "t2" and d.queue(0) == ["k0", "t0"]
    assert d.task("t0", "STATE") == L.TS_RUNNABLE
    # t0 is later switched back in, in its syscall body with IF=1
    in_syscall_body(d)
    d.run("cpu0 yield t0")
    assert d.step_until_idle(0) == SWITCH
    assert d.curr(0) == "t0" and d.queue(0) == ["k0", "t2"]
    assert d.cpu(0, "IF") == 1 and d.pending(0) is None and d.task("t0", "DEPTH") == 1
    assert d.violation() is None


def test_yield_to_a_task_not_on_this_queue_is_skipped(d: Driver) -> None:
    in_syscall_body(d, 1)
    before = masked(d.state_bytes())
    assert d.kinds("cpu1 yield t2\ncpu1 yield t1\ncpu1 yield k0") == ["skip"] * 3
    assert masked(d.state_bytes()) == before


def test_sleep_and_wake(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 sleep")
    assert d.cpu(0, "IF") == 0
    d.step_until_idle(0)
    assert d.curr(0) == "t2" and d.task("t0", "STATE") == L.TS_SLEEPING
    assert "t0" not in d.queue(0) and "t0" not in d.queue(1)
    # a sleeping task stays until woken: migrate is refused
    in_syscall_body(d, 1)
    assert d.kinds("cpu1 migrate t0") == ["skip"]
    assert d.kinds("cpu1 wake t0") == ["event"]
    assert d.queue(1) == ["t0"] and d.task("t0", "STATE") == L.TS_RUNNABLE
    assert d.task("t0", "CPU") == 1
    assert d.kinds("cpu1 wake t0") == ["skip"]                  # not sleeping any more
    d.run("cpu1 yield t0")
    d.step_until_idle(1)
    assert d.curr(1) == "t0" and d.task("t0", "DEPTH") == 1 and d.cpu(1, "IF") == 1
    assert d.queue(1) == ["t1"]
    assert d.violation() is None


def test_sleep_needs_a_sleepable_context(d: Driver) -> None:
    # the body of an irq is not sleepable, nor is the syscall body with IF=0
    in_syscall_body(d)
    d.run("cpu0 irq 0\ncpu0 step\ncpu0 step\ncpu0 step")
    assert d.kinds("cpu0 sleep\ncpu0 yield") == ["skip", "skip"]
    # a #PF from user may sleep
    d.run("cpu1 user_fault")
    assert d.kinds("cpu1 sleep") == ["step"] * 4 + ["event"]


def test_migrate_moves_a_waiting_task_to_the_back(d: Driver) -> None:
    in_syscall_body(d, 1)
    assert d.kinds("cpu1 migrate k0") == ["event"]
    assert d.queue(0) == ["t2"] and d.queue(1) == ["k0"] and d.task("k0", "CPU") == 1
    assert d.kinds("cpu1 migrate t2") == ["event"]
    assert d.queue(0) == [] and d.queue(1) == ["k0", "t2"]
    # guards: a running task, or one already on this queue
    before = masked(d.state_bytes())
    assert d.kinds("cpu1 migrate t0\ncpu1 migrate t1\ncpu1 migrate t2") == ["skip"] * 3
    assert masked(d.state_bytes()) == before
    assert d.violation() is None


def test_migrate_refuses_a_task_with_migration_disabled(d: Driver) -> None:
    """kmap_local_page() disables migration (not preemption): t0 may yield while holding the
    mapping, but no CPU may pull it off cpu0's queue."""
    in_syscall_body(d)
    assert d.kinds("cpu0 kmap") == ["event"]
    # the PKS update runs preempt-disabled (__pks_update_protection()); its MSR write is
    # pending; kmap_local_page() itself leaves preemption on
    assert d.task("t0", "MIGRATE_DISABLE") == 1 and d.cpu(0, "PREEMPT") == 1
    assert d.steps("cpu0 step") == ["pks_update:second_write"]
    assert d.cpu(0, "PREEMPT") == 0
    d.run("cpu0 yield")
    d.step_until_idle(0)
    assert d.queue(0) == ["k0", "t0"] and d.task("t0", "MIGRATE_DISABLE") == 1
    in_syscall_body(d, 1)
    before = masked(d.state_bytes())
    assert d.kinds("cpu1 migrate t0") == ["skip"]
    assert masked(d.state_bytes()) == before
    assert d.kinds("cpu1 migrate k0") == ["event"]
    assert d.queue(0) == ["t0"] and d.queue(1) == ["k0"]
    assert d.violation() is None


def test_fork_child_waits_at_the_back_with_its_exit_pending(d: Driver) -> None:
    in_syscall_body(d)
    m0 = d.task("t0", "MM")
    assert d.kinds("cpu0 fork") == ["event"]
    assert d.pending(0) == A["fpu_clone"][0]             # fpu_clone (1) ran; the rest pends
    assert "t3" not in d.queue(0)
    assert d.steps("cpu0 step\ncpu0 step\ncpu0 step") == A["fpu_clone"]
    assert d.queue(0) == ["t2", "k0", "t3"]
    assert d.task("t3", "STATE") == L.TS_RUNNABLE and d.task("t3", "KIND") == L.K_USER
    child_mm = d.task("t3", "MM")
    assert child_mm not in (-1, m0, d.task("t2", "MM")) and d.mm(child_mm, "USERS") == 1
    assert d.mm(child_mm, "PASID") == -1
    assert d.task("t3", "DEPTH") == 1 and d.frame("t3", 1, "KIND") == L.FK_SYSCALL
    assert d.task("t3", "NEED_FPU_LOAD") == 1 and d.task("t3", "LAST_CPU") == -1
    assert d.task("t3", "THREAD_PKRS") == PKS_INIT and d.task("t3", "PASID_ACT") == 0
    # the child returns to user through the syscall exit (ret_from_fork)
    d.run("cpu0 yield t3")
    assert d.step_until_idle(0) == SWITCH + SYSCALL_EXIT
    assert d.curr(0) == "t3" and d.user_mode(0) and d.cpu(0, "CT") == L.CT_USER
    assert d.violation() is None


def test_clone_shares_the_mm(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 clone\ncpu0 step\ncpu0 step\ncpu0 step")
    m0 = d.task("t0", "MM")
    assert d.task("t3", "MM") == m0 and d.mm(m0, "USERS") == 3
    assert d.queue(0) == ["t2", "k0", "t3"]


def test_fork_with_no_free_slot_is_skipped_and_exit_frees_one(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 fork")                              # t3, the last free slot
    records = d.run("cpu0 fork")                    # one per syscall: its steps run, then skip
    assert [r[0] for r in records] == ["step"] * 3 + ["skip"]
    d.run("cpu0 ret")
    d.step_until_idle(0)
    in_syscall_body(d)                              # another syscall: no free slot
    before = masked(d.state_bytes())
    assert d.kinds("cpu0 clone\ncpu0 fork") == ["skip", "skip"]
    assert masked(d.state_bytes()) == before
    # t1 exits: its slot is free once it is switched out
    in_syscall_body(d, 1)
    m0 = d.task("t1", "MM")
    assert d.kinds("cpu1 exit") == ["event"]
    assert d.task("t1", "STATE") == L.TS_DEAD and d.cpu(1, "IF") == 0
    d.step_until_idle(1)
    assert d.curr(1) == "idle1"
    assert d.task("t1", "STATE") == L.TS_FREE and d.task("t1", "MM") == -1
    assert d.mm(m0, "USERS") == 1
    assert all("t1" not in d.queue(c) for c in range(2))
    assert d.kinds("cpu0 fork") == ["event"]
    d.step_until_idle(0)
    assert d.task("t1", "STATE") == L.TS_RUNNABLE and d.queue(0)[-1] == "t1"
    assert d.violation() is None


def test_exec_gives_a_new_mm_and_resets_the_thread(d: Driver) -> None:
    in_syscall_body(d, 1)
    m0 = d.task("t1", "MM")
    assert d.kinds("cpu1 exec") == ["event"]
    new = d.task("t1", "MM")
    assert new not in (-1, m0, d.task("t2", "MM"))
    assert d.mm(m0, "USERS") == 1 and d.mm(new, "USERS") == 1 and d.mm(new, "PASID") == -1
    assert d.task("t1", "NEED_FPU_LOAD") == 1 and d.task("t1", "PASID_ACT") == 0
    assert d.task("t1", "THREAD_PKRS") == PKS_INIT
    assert (d.task("t1", "L_FPU"), d.task("t1", "L_PKRU"), d.task("t1", "L_PASID")) == (
        0, INIT_PKRU, 0)
    d.run("cpu1 ret")
    d.step_until_idle(1)
    assert d.user_mode(1) and d.violation() is None


def test_kill_makes_a_signal_pending_and_the_exit_delivers_it(d: Driver) -> None:
    in_syscall_body(d)
    assert d.kinds("cpu0 kill t1") == ["event"]
    assert d.task("t1", "SIGPENDING") == 1
    steps = d.steps("cpu1 syscall\ncpu1 ret") + d.step_until_idle(1)
    assert steps == SYSCALL_ENTRY + [A["exit_prepare"], A["exit_loop"]] + A["sig"] \
        + EXIT_TO_USER
    assert d.task("t1", "SIGPENDING") == 0 and d.task("t1", "NSIG") == 1
    assert d.user_mode(1) and d.violation() is None


def test_use_mm_and_unuse_mm(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 yield k0")
    d.step_until_idle(0)
    m0 = d.task("t1", "MM")
    assert d.kinds("cpu0 use_mm t1") == ["event"]
    assert d.task("k0", "MM") == m0 and d.mm(m0, "USERS") == 3
    before = masked(d.state_bytes())
    assert d.kinds("cpu0 use_mm t2\ncpu0 use_mm k0") == ["skip", "skip"]
    assert masked(d.state_bytes()) == before
    # a kthread using an mm may fault on user memory
    assert d.kinds("cpu0 uaccess_fault") == ["event"]
    d.run("cpu0 ret")
    d.step_until_idle(0)
    assert d.kinds("cpu0 unuse_mm") == ["event"]
    assert d.task("k0", "MM") == -1 and d.mm(m0, "USERS") == 2
    assert d.kinds("cpu0 unuse_mm\ncpu0 uaccess_fault") == ["skip", "skip"]
    assert d.violation() is None


# --- preemption and need_resched ---------------------------------------------------------------

def test_timer_from_user_makes_the_exit_loop_schedule(d: Driver) -> None:
    d.run("cpu0 irq 1")
    assert d.step_until_idle(0) == USER_ENTRY
    assert d.cpu(0, "NEED_RESCHED") == 1                 # the timer's body
    d.run("cpu0 ret")
    assert d.steps("cpu0 step\ncpu0 step\ncpu0 step") == [
        A["irq_exit"], A["pks_restore"], A["exit_loop"]]
    assert d.cpu(0, "IF") == 1                            # the loop runs its work with IF=1
    # (2a): schedule() is the context switch itself (A.5 (0) __schedule first)
    assert d.step_until_idle(0) == SWITCH + FROM_FPU_RESTORE
    assert d.curr(0) == "t2" and d.queue(0) == ["k0", "t0"]
    assert d.cpu(0, "NEED_RESCHED") == 0                  # cleared by the switch
    # t0 resumes at the loop check (A.1 exit (2)), finds no work and returns to user
    in_syscall_body(d)
    d.run("cpu0 yield t0")
    assert d.step_until_idle(0) == SWITCH + EXIT_TO_USER
    assert d.curr(0) == "t0" and d.user_mode(0)
    assert d.violation() is None


def test_a_task_with_rseq_runs_resume_user_mode_work_after_a_switch_out(d: Driver) -> None:
    """rseq(2) registers an area; every later switch-out sets TIF_NOTIFY_RESUME
    (rseq_preempt()), and the exit loop runs rseq_handle_notify_resume(): user memory with page
    faults enabled, where a #PF may sleep (rule k)."""
    in_syscall_body(d)
    assert d.kinds("cpu0 rseq\ncpu0 rseq") == ["event", "skip"]     # one area per task
    d.run("cpu0 yield")
    d.step_until_idle(0)
    assert d.curr(0) == "t2" and d.task("t0", "NOTIFY_RESUME") == 1
    in_syscall_body(d)
    assert d.steps("cpu0 yield t0\ncpu0 ret") == SWITCH
    assert d.steps("cpu0 step\ncpu0 step") == [A["exit_prepare"], A["exit_loop"]]
    assert d.pending(0) == A["notify_resume"] and d.cpu(0, "IF") == 1
    assert d.kinds("cpu0 uaccess_fault") == ["event"]                # umem, page faults on
    assert d.top("t0", "KIND") == L.FK_PF and d.top("t0", "FIXUP") == L.PF_FULL
    d.step_until_idle(0)
    assert d.kinds("cpu0 sleep") == ["event"]                        # the #PF may sleep
    assert d.violation() is None


def test_irq_exit_to_kernel_preempts_with_if1_and_preempt_count_0(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 irq 1\ncpu0 ret")
    assert d.steps("cpu0 step\ncpu0 step\ncpu0 step") == [
        A["irq_exit"], A["pks_restore"], A["irqentry_exit_kernel"]]
    # preempt_schedule_irq(): preempt_disable(); local_irq_enable(); __schedule()
    assert d.pending(0) == A["preempt_irq_enable"]
    assert d.steps("cpu0 step") == [A["preempt_irq_enable"]]
    assert d.cpu(0, "IF") == 1 and d.cpu(0, "PREEMPT") == 1
    assert d.step_until_idle(0) == [A["preempt_schedule"]] + SWITCH[1:] + FROM_FPU_RESTORE
    assert d.curr(0) == "t2" and d.queue(0) == ["k0", "t0"]
    # t0 resumes with its irq's iret and is back in its syscall body with IF=1
    in_syscall_body(d)
    d.run("cpu0 yield t0")
    assert d.step_until_idle(0) == SWITCH + [A["iret"]]
    assert d.task("t0", "DEPTH") == 1 and d.cpu(0, "IF") == 1 and d.pending(0) is None
    assert d.violation() is None


def test_no_preemption_with_a_non_zero_preempt_count(d: Driver) -> None:
    """A timer taken inside fpregs_lock (signal delivery: BH disabled) sets need_resched, but
    its exit to kernel must not preempt; fpregs_unlock()'s local_bh_enable() does
    (preempt_check_resched())."""
    in_syscall_body(d)
    d.run("cpu0 kill t0\ncpu0 ret")
    assert d.steps("\n".join(["cpu0 step"] * 5)) == [A["exit_prepare"], A["exit_loop"]] \
        + A["sig"][:3]
    assert d.cpu(0, "SOFTIRQ") == 1 and d.cpu(0, "IF") == 1
    assert d.kinds("cpu0 irq 1") == ["event"]
    d.run("cpu0 ret")
    assert d.steps("cpu0 step\ncpu0 step\ncpu0 step") == [
        A["irq_exit"], A["pks_restore"], A["irqentry_exit_kernel"]]
    assert d.pending(0) == A["iret"]                      # not __schedule
    assert d.cpu(0, "NEED_RESCHED") == 1
    assert d.step_until_idle(0) == [A["iret"]] + A["sig"][3:6] + SWITCH + FROM_FPU_RESTORE
    assert d.curr(0) == "t2" and d.violation() is None
    # t0 resumes the delivery right after fpregs_unlock()
    in_syscall_body(d)
    d.run("cpu0 yield t0")
    assert d.step_until_idle(0) == SWITCH + A["sig"][6:] + EXIT_TO_USER
    assert d.task("t0", "NSIG") == 1 and d.violation() is None


def test_no_preemption_with_interrupted_if0(driver) -> None:
    """ct=soft_old has vmalloc faults: one lands in a timer's exit after irq_exit (IF=0,
    preempt count 0, need_resched set).  Its own exit must not preempt (interrupted IF=0);
    the timer's exit, whose interrupted IF=1, does."""
    d = driver("ct=soft_old")
    d.run("cpu0 syscall")
    d.step_until_idle(0)
    assert d.cpu(0, "IF") == 1 and d.cpu(0, "CT") == L.CT_KERNEL
    d.run("cpu0 irq 1\ncpu0 ret")
    assert d.steps("cpu0 step") == [A["irq_exit"]]
    assert d.cpu(0, "IF") == 0 and d.cpu(0, "NEED_RESCHED") == 1
    assert d.cpu(0, "HARDIRQ") == 0 and d.cpu(0, "SOFTIRQ") == 0 and d.cpu(0, "PREEMPT") == 0
    assert d.kinds("cpu0 vmalloc_fault") == ["event"]
    assert d.top("t0", "KIND") == L.FK_VMALLOC and d.top("t0", "IRQ_IF") == 0
    d.run("cpu0 ret")
    vmalloc_exit: list[str] = []
    for _ in range(10):                 # until the vmalloc frame is popped (or a switch)
        if d.task("t0", "DEPTH") != 3 or d.curr(0) != "t0" or d.pending(0) is None:
            break
        vmalloc_exit += d.steps("cpu0 step")
    assert SWITCH[0] not in vmalloc_exit and A["pks_restore"] in vmalloc_exit
    assert vmalloc_exit[-1] == A["iret"]
    assert d.curr(0) == "t0" and d.cpu(0, "NEED_RESCHED") == 1
    rest = d.step_until_idle(0)
    assert A["preempt_schedule"] in rest and d.curr(0) == "t2"
    assert d.violation() is None


def test_no_preemption_on_an_irq_exit_in_idle(d: Driver) -> None:
    """A.3: in idle, irqentry_enter does rcu_irq_enter (exit_rcu) and the exit never preempts."""
    in_syscall_body(d, 1)
    d.run("cpu1 sleep")
    d.step_until_idle(1)
    assert d.curr(1) == "idle1"
    d.run("cpu1 irq 1")
    assert d.step_until_idle(1) == KERNEL_ENTRY
    assert d.cpu(1, "RCU_IRQ") == 1 and d.cpu(1, "NEED_RESCHED") == 1
    d.run("cpu1 ret")
    assert d.step_until_idle(1) == [A["irq_exit"]] + KERNEL_EXIT
    assert d.curr(1) == "idle1" and d.cpu(1, "RCU_IRQ") == 0
    assert d.cpu(1, "CT") == L.CT_IDLE and d.violation() is None


def test_every_context_switch_clears_need_resched(d: Driver) -> None:
    # need_resched set on cpu0 by a timer inside fpregs_lock; then a yield (a switch) clears it
    in_syscall_body(d)
    d.run("cpu0 kill t0\ncpu0 ret\n" + "cpu0 step\n" * 5 + "cpu0 irq 1\ncpu0 ret")
    assert d.cpu(0, "NEED_RESCHED") == 1
    d.step_until_idle(0)
    assert d.cpu(0, "NEED_RESCHED") == 0


# --- irqentry_exit runs with IRQs off (A.2 exit (2), A.3 exit (2)) ----------------------------

def test_irqentry_exit_from_user_runs_with_if0(d: Driver) -> None:
    d.run("cpu0 user_fault")
    d.step_until_idle(0)
    d.run("cpu0 ret")
    assert d.steps("cpu0 step") == [A["pks_restore"]]
    assert d.cpu(0, "IF") == 0
    assert d.kinds("cpu0 irq 0") == ["irq_held"]


def test_irqentry_exit_to_kernel_runs_with_if0(d: Driver) -> None:
    in_syscall_body(d)
    d.run("cpu0 uaccess_fault\ncpu0 ret")
    assert d.steps("cpu0 step") == [A["pks_restore"]]
    assert d.cpu(0, "IF") == 0
    assert d.kinds("cpu0 irq 0") == ["irq_held"]


def state_without_event_indices(S) -> list[int]:
    """The state, but for the program positions (the event under way, the violating one)."""
    state = list(S)
    state[L.G_EVENT] = state[L.G_VIOL_EVENT] = 0
    return state


@pytest.mark.parametrize("variant", ["reference", "pks=v9", "fpu=sigrestore_nobh", "pasid=ipi",
                                     "ct=hard_old"])
def test_run_bytes_reports_every_event_that_changed_something(core, variant: str) -> None:
    """``run_bytes(data, effective)`` collects the events that ran a micro-step or an action.
    The fuzz engine keeps only those, so an event left out must change nothing: stepping
    event by event, the state moves only on collected events, and the collected events alone
    reach the same final state and verdict (compiled and interpreted core)."""
    import random

    from fuzzcore.config import get_config
    from fuzzcore.variants import Variant

    from fuzzcore.runner import new_machine

    m = new_machine(Variant.parse(variant), get_config("medium"), "intel", module=core)
    rng = random.Random(variant)
    S = m.S
    for _ in range(150):
        data = rng.randbytes(2 * rng.randint(1, 64))
        m.reset()
        effective = bytearray()
        stop = m.run_bytes(data, effective)
        final = state_without_event_indices(S)
        m.reset()
        collected = bytearray()
        for i in range(0, len(data), 2):
            S[L.G_EVENT] = 0
            before = bytes(S)
            m.run_bytes(data[i:i + 2], collected)
            S[L.G_EVENT] = 0
            if bytes(S) != before:
                assert collected.endswith(data[i:i + 2]), (variant, data.hex(), i)
            if S[L.G_VIOL]:
                break
        assert collected == effective
        m.reset()
        again = bytearray()
        stop_again = m.run_bytes(bytes(effective), again)
        assert again == effective
        assert (stop_again >= 0) == (stop >= 0)
        assert state_without_event_indices(S) == final


def test_check_neutral_steps_write_nothing_the_checks_read() -> None:
    """run_one skips the state oracles after a step that ``step_check_neutral`` lists (when
    they passed at the CPU's last check, nothing written since).  That is sound when such a
    step writes no state index that check_state reads right after it: check_state then reads
    the same values it read before the step, and gives the same result.  The interpreted core
    runs random programs of every design on a state vector that records the indices each step
    writes and each check_state reads; for the listed steps the two sets never meet, and
    every listed step ran."""
    import random

    from conftest import INTERPRETED as core
    from fuzzcore.config import get_config
    from fuzzcore.runner import decoder_table
    from fuzzcore.variants import CT_PRESETS, Variant, non_reference_designs

    class Recording(array.array):
        log: set | None = None          # the indices read (or written) while recording

        def __getitem__(self, i):
            if Recording.log is not None and Recording.reading and isinstance(i, int):
                Recording.log.add(i)
            return array.array.__getitem__(self, i)

        def __setitem__(self, i, v):
            if Recording.log is not None and not Recording.reading:
                Recording.log.update([i] if isinstance(i, int) else range(*i.indices(len(self))))
            array.array.__setitem__(self, i, v)

    class Probe(core.Machine):
        """Records what each micro-step writes and what the check right after it reads."""
        written: set | None = None
        step = -1

        def run_step(self, run, c, st):
            Recording.log, Recording.reading = set(), False
            run(self, c, st)
            self.written, self.step, Recording.log = Recording.log, st, None

        def frame_step(self, c, st):
            self.run_step(core.Machine.frame_step, c, st)

        def switch_step(self, c, st):
            self.run_step(core.Machine.switch_step, c, st)

        def bodyop_step(self, c, st):
            self.run_step(core.Machine.bodyop_step, c, st)

        def check_state(self, c):
            Recording.log, Recording.reading = set(), True
            core.Machine.check_state(self, c)
            read, Recording.log = Recording.log, None
            if self.written is not None and self.step_check_neutral(self.step):
                assert not (self.written & read), (core.STEP_NAMES[self.step],
                                                   sorted(self.written & read))
                ran[self.step] += 1
            self.written = None

        def after(self, c, step, check):
            if step < 0:
                self.written = None
            return core.Machine.after(self, c, step, True)     # always check, to see

    ran = [0] * core.NSTEPS
    rng = random.Random(1)
    variants = ([Variant.reference()] + non_reference_designs()
                + [Variant.parse("ct=" + name) for name in CT_PRESETS])
    for variant in variants:
        for config in ("small", "medium", "large"):
            for vendor in (0, 1):
                m = Probe(variant.codes(), get_config(config).code, vendor)
                m.set_decoder(*decoder_table())
                m.S = Recording("i", m.S)
                for _ in range(4):
                    m.reset()
                    m.run_bytes(rng.randbytes(2 * rng.choice((32, 64, 200))))
    never = [core.STEP_NAMES[st] for st in range(core.NSTEPS)
             if core.Machine.step_check_neutral(None, st) and ran[st] == 0]
    assert not never, never


@pytest.mark.parametrize("variant", ["reference", "ct=hard_old", "ct=soft_old", "pks=v9"])
def test_skipped_state_checks_never_fire_in_debug_mode(core, variant: str) -> None:
    """Debug mode evaluates the state oracles run_one skips after check-neutral steps, and
    reports any difference as a debug error (neutral_check_fires): random programs give none."""
    import random

    from fuzzcore.config import get_config
    from fuzzcore.runner import new_machine
    from fuzzcore.variants import Variant

    m = new_machine(Variant.parse(variant), get_config("medium"), "intel", module=core)
    m.debug = 1
    rng = random.Random(variant)
    for _ in range(300):
        m.reset()
        m.run_bytes(rng.randbytes(2 * rng.randint(1, 100)))
        assert m.debug_error == "", m.debug_error


@pytest.mark.parametrize("variant", ["reference", "pks=v9", "fpu=lazy"])
def test_run_batch_restores_every_frame_a_program_used(core, variant: str) -> None:
    """Between programs run_batch copies back only the frames each task used (used_depth):
    after k programs the state is the one the k-th program leaves when run alone."""
    from fuzzcore.bench import random_batch
    from fuzzcore.config import get_config
    from fuzzcore.variants import Variant

    ev, ln = random_batch(60, 64, "large", 3)
    codes, code = Variant.parse(variant).codes(), get_config("large").code
    batch, alone = core.Machine(codes, code, 0), core.Machine(codes, code, 0)
    for k in range(1, len(ln), 7):
        batch.run_batch(ev[:3 * sum(ln[:k])], ln[:k])
        alone.reset()
        alone.run(ev[3 * sum(ln[:k - 1]):3 * sum(ln[:k])])
        assert bytes(batch.S) == bytes(alone.S), (variant, k)


def test_sigreturn_reloads_the_pasid_from_fpstate_when_the_registers_are_not_valid(
        d: Driver) -> None:
    """restore_fpregs_from_user(): XRSTOR from the signal frame restores user state only; with
    TIF_NEED_FPU_LOAD set, os_xrstor_supervisor() loads IA32_PASID from fpstate before
    fpregs_mark_activate().  Found by the fuzzer on the reference design (fpu_user): t1's
    forked child owns cpu1's registers (PASID cleared), then t1 sigreturns."""
    d.run("""\
cpu1 syscall
cpu1 pasid_bind
cpu1 kill t1
cpu1 ret
cpu1 enqcmd
cpu1 ret
cpu1 syscall
cpu1 fork
cpu1 ret
cpu1 syscall
cpu1 yield
cpu1 syscall
cpu1 yield
cpu1 sigreturn 256
""")
    assert d.curr(1) == "t1" and d.task("t1", "NEED_FPU_LOAD") == 1
    assert d.cpu(1, "PASID") == -1                     # the child's (cleared) PASID
    d.step_until_idle(1)
    assert d.cpu(1, "PASID") == d.task("t1", "FPS_PASID") == d.mm(d.task("t1", "MM"), "PASID") >= 0
    d.run("cpu1 ret\ncpu1 kfpu_begin")
    assert d.g("VIOL") == 0


def test_kernel_fpu_begin_is_refused_in_task_context_inside_fpregs_lock(d: Driver) -> None:
    """Rule b: irq_fpu_usable()'s "Task context except from within fpregs_lock()'ed critical
    regions" is a rule for callers.  No task-context body runs inside such a region in the model
    (a #PF there is fixup-only), so the guard is shown by putting the state there directly: a
    syscall body with the BH count raised, as fpregs_lock() raises it."""
    in_syscall_body(d)
    d.set_cpu(0, "SOFTIRQ", 1)
    before = masked(d.state_bytes())
    assert d.kinds("cpu0 kfpu_begin") == ["skip"]
    assert masked(d.state_bytes()) == before
    d.set_cpu(0, "SOFTIRQ", 0)
    assert d.kinds("cpu0 kfpu_begin") == ["event"]


def test_a_pf_under_pagefault_disable_has_no_body(d: Driver) -> None:
    """Rule a: the fault that hits copy_fpregs_to_sigframe()'s XSAVE runs entry, the fixup (IRQs
    off) and the exit; then the XSAVE fails and the kernel's retry runs."""
    in_syscall_body(d)
    d.run("cpu0 kill t0\ncpu0 ret")
    d.steps("\n".join(["cpu0 step"] * 5))
    assert d.pending(0) == "xsave_to_sigframe"
    assert d.kinds("cpu0 uaccess_fault") == ["event"]
    assert d.top("t0", "FIXUP") == L.PF_FIXUP
    assert d.steps("\n".join(["cpu0 step"] * 4)) == [
        A["irqentry_enter_kernel"], A["pks_save"], A["by_kind"], "kernelmode_fixup_or_oops"]
    assert d.cpu(0, "IF") == 0
    assert d.steps("\n".join(["cpu0 step"] * 3)) == KERNEL_EXIT
    assert d.frame("t0", 1, "UFAULT") == 1
    assert d.steps("\n".join(["cpu0 step"] * 5)) == [
        "xsave_to_sigframe", "fpregs_unlock", "__clear_user+retry", "fpregs_restore_userregs",
        "xsave_to_sigframe"]
    assert d.task("t0", "NSIG") == 1 and d.violation() is None
