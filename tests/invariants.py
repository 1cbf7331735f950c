"""SPEC 1.3's type invariant, written again from outside the core, for the tests.

The core checks its own invariant when ``debug`` is on; this independent version reads a state
snapshot through the layout constants and lists every problem, so a core whose own check is too
lax (or has the same bug as the code it checks) is still caught.  It checks ranges, counts never
negative, stack depths, exactly one current task per CPU, every task in exactly one place (a run
queue, a CPU, or neither when sleeping, dead or free, allowing for the context switch under
way), the hardware facts of user mode, and the mm reference counts.
"""
from __future__ import annotations

from conftest import L

from fuzzcore.config import Config

FLAGS = ("IF", "GS_USER", "NEED_RESCHED", "PEND_TIMER", "PEND_DEV", "PEND_IPI", "IN_MCE",
         "XINUSE_PKRU", "IN_KFPU", "SOFTIRQ_PENDING")
COUNTS = ("CT_CALLS", "RCU_NMI", "RCU_IRQ", "PREEMPT", "SOFTIRQ", "HARDIRQ", "NMI", "DR7_OFF")
ZERO_IN_USER_MODE = ("PREEMPT", "SOFTIRQ", "HARDIRQ", "NMI", "RCU_NMI", "RCU_IRQ", "CT_CALLS",
                     "DR7_OFF", "IN_MCE", "IN_KFPU")


def problems(S, cfg: Config) -> list[str]:
    out: list[str] = []
    ncpu, ntask = cfg.ncpu, cfg.ntask

    def C(c: int, f: str) -> int:
        return S[L.CPU_BASE + c * L.CPU_SIZE + getattr(L, "C_" + f)]

    def T(t: int, f: str) -> int:
        return S[L.TASK_BASE + t * L.TASK_SIZE + getattr(L, "T_" + f)]

    idle = {cfg.idle_id(c) for c in range(ncpu)}
    where: dict[int, list[tuple[str, int]]] = {t: [] for t in range(ntask)}
    in_switch: set[int] = set()
    for c in range(ncpu):
        cur = C(c, "CURR")
        if not 0 <= cur < ntask:
            out.append(f"cpu{c}: current {cur} out of range")
            continue
        where[cur].append(("current", c))
        for f in FLAGS:
            if C(c, f) not in (0, 1):
                out.append(f"cpu{c}.{f} = {C(c, f)}")
        for f in COUNTS:
            if C(c, f) < 0:
                out.append(f"cpu{c}.{f} negative ({C(c, f)})")
        if C(c, "CT") not in (L.CT_KERNEL, L.CT_USER, L.CT_IDLE):
            out.append(f"cpu{c}.ct = {C(c, 'CT')}")
        if C(c, "NMI_STATE") not in (L.NMI_NOT_RUNNING, L.NMI_EXECUTING, L.NMI_LATCHED):
            out.append(f"cpu{c}.nmi_state = {C(c, 'NMI_STATE')}")
        if not 0 <= C(c, "FPU") <= 256:
            out.append(f"cpu{c}.fpu = {C(c, 'FPU')}")
        if not -1 <= C(c, "OWNER") < ntask:
            out.append(f"cpu{c}.owner = {C(c, 'OWNER')}")
        if C(c, "SW_STEP"):
            in_switch.update((C(c, "SW_PREV"), C(c, "SW_NEXT")))
        n = C(c, "RQ_LEN")
        if not 0 <= n <= L.MAX_TASK:
            out.append(f"cpu{c}: run-queue length {n}")
            continue
        for i in range(n):
            q = S[L.CPU_BASE + c * L.CPU_SIZE + L.C_RQ + i]
            if not 0 <= q < ntask:
                out.append(f"cpu{c}: queued task {q} out of range")
                continue
            where[q].append(("queue", c))
            if T(q, "CPU") != c:
                out.append(f"task {cfg.task_name(q)} queued on cpu{c} but T_CPU={T(q, 'CPU')}")
        kind, depth = T(cur, "KIND"), T(cur, "DEPTH")
        if kind == L.K_USER and depth == 0:          # user mode: hardware and kernel facts
            if C(c, "SW_STEP"):
                out.append(f"cpu{c}: user mode during a context switch")
            if C(c, "IF") != 1:
                out.append(f"cpu{c}: user mode with IF=0")
            if C(c, "GS_USER") != 1:
                out.append(f"cpu{c}: user mode with the kernel GS")
            for f in ZERO_IN_USER_MODE:
                if C(c, f):
                    out.append(f"cpu{c}: user mode with {f}={C(c, f)}")
    for t in range(ntask):
        name = cfg.task_name(t)
        st, w = T(t, "STATE"), where[t]
        if not 0 <= T(t, "DEPTH") < L.MAX_DEPTH:
            out.append(f"{name}: frame depth {T(t, 'DEPTH')}")
        if not 0 <= T(t, "NSIG") <= L.MAX_SIG:
            out.append(f"{name}: {T(t, 'NSIG')} signal frames")
        for f in ("WINDOW", "MIGRATE_DISABLE"):
            if T(t, f) < 0:
                out.append(f"{name}.{f} negative")
        if t in idle:
            if any(k == "queue" for k, _ in w):
                out.append(f"{name} is queued")
            continue
        queued = sum(1 for k, _ in w if k == "queue")
        current = sum(1 for k, _ in w if k == "current")
        if queued + current > 1:
            out.append(f"{name} in several places: {w}")
        switching = t in in_switch
        if st == L.TS_RUNNING and current != 1 and not switching:
            out.append(f"running {name} is current nowhere")
        if st == L.TS_RUNNABLE and queued + current != 1 and not switching:
            out.append(f"runnable {name} is in {queued + current} places")
        if st in (L.TS_SLEEPING, L.TS_DEAD) and queued:
            out.append(f"{name} (state {st}) is queued")
        if st in (L.TS_FREE, L.TS_NEW) and w:
            out.append(f"{name} (state {st}) is in {w}")
        if current and st != L.TS_RUNNING and not switching:
            out.append(f"current {name} has state {st}")
        if st == L.TS_FREE and (T(t, "DEPTH") != 0 or T(t, "MM") != -1):
            out.append(f"free slot {name} still has frames or an mm")
        if T(t, "KIND") == L.K_KTHREAD and st != L.TS_FREE and T(t, "NSIG"):
            out.append(f"kthread {name} has signal frames")
    for m in range(L.MAX_MM):
        users = sum(1 for t in range(ntask)
                    if T(t, "STATE") != L.TS_FREE and T(t, "MM") == m)
        have = S[L.MM_BASE + m * L.MM_SIZE + L.MM_USERS]
        if have != users:
            out.append(f"mm{m}: users {have}, but {users} tasks use it")
    return out
