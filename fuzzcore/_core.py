"""The machine core: apply events to the state vector and check the oracles.

Data flow: events -> program -> **machine (guards, micro-steps) -> oracles** -> minimize ->
corpus/export.  This is the only compiled module.  It is written once, in Cython's pure Python
mode: ``_core.pxd`` types it, ``setup.py`` compiles it, and ``FUZZCORE_PURE_PYTHON=1`` runs this
very file interpreted (see ``fuzzcore/engine.py``).

The whole model state is one flat ``int`` vector ``S`` with a fixed, named layout (below), sized
for the largest configuration.  A snapshot is a copy, a diff is an element-wise compare, a hash
is a hash of the bytes.  Field names for traces come from this file's own globals
(``fuzzcore/layout.py``), so there is one definition of the layout.

Reading guide: every event is ``ev_<name>`` (guard, then effect); every micro-step of SPEC
Appendix A is ``st_<name>`` and cites the kernel function it mirrors; every oracle is checked in
``note_*``/``check_state``.  A design choice is read from ``self.v_*`` at the one place it matters.
"""
from array import array

import cython

if cython.compiled:
    from cython.cimports.libc.string import memcmp, memcpy

# The layout and every other integer constant.  Interpreted, they are the assignments below;
# compiled, they are C enum constants of _core.pxd, generated from these very values by
# scripts/gen_pxd.py (so the C compiler folds them into the code).
if not cython.compiled:
    # --------------------------------------------------------------------------------------------
    # Sizes (the largest configuration, SPEC 1.1) and value encodings.

    MAX_CPU = 4
    MAX_TASK = 14          # 8 user slots + 2 kthreads + 4 idle tasks
    MAX_DEPTH = 12         # frames per task, index 0 being the task's base (user mode / thread body)
    MAX_MM = 10
    MAX_SIG = 4            # nested signal frames on a user stack

    PKS_INIT = 84          # keys 1..3 access-disabled (SPEC 1.2)
    INIT_PKRU = 84         # init_pkru_value
    PKEY1_BITS = 12        # AD(1) | WD(1): key 1 protects pmem

    # ct_state (context_tracking.state)
    CT_KERNEL = 0
    CT_USER = 1
    CT_IDLE = 2

    # task kinds and run states
    K_USER = 0
    K_KTHREAD = 1
    K_IDLE = 2
    TS_FREE = 0
    TS_RUNNING = 1
    TS_RUNNABLE = 2
    TS_SLEEPING = 3
    TS_DEAD = 4
    TS_NEW = 5             # a fork/clone child between fpu_clone (1) and (4)

    # frame kinds (SPEC 1.4)
    FK_BASE = 0
    FK_SYSCALL = 1
    FK_PF = 2
    FK_GP = 3
    FK_IRQ = 4
    FK_NMI = 5
    FK_MCE = 6
    FK_DB = 7
    FK_BP = 8
    FK_VMALLOC = 9         # a #PF from kernel on a vmalloc address (pre-5.8 designs)
    FK_SOFTIRQ = 10        # softirqs run by local_bh_enable() in task context (do_softirq())

    # F_FIXUP: a #PF with no body (do_user_addr_fault() returns without handling the fault)
    PF_FULL = 0            # an ordinary #PF: its body handles the fault and may sleep
    PF_FIXUP = 1           # faulthandler_disabled(): only the exception-table fixup runs
    PF_PKUERR = 2          # a pkey access error from user: bad_area_access_error(), SIGSEGV
    PF_PATH_VSYSCALL = 1   # F_PF_PATH: emulate_vsyscall() (user accesses only)
    PF_PATH_MM = 2         # F_PF_PATH: handle_mm_fault() (copy-on-write, file reads, locks)

    # which Appendix A sequence a frame runs
    SEQ_BASE = 0
    SEQ_SYSCALL = 1        # A.1
    SEQ_USER = 2           # A.2: exception or irq from user
    SEQ_KERNEL = 3         # A.3: exception or irq from kernel
    SEQ_NMI = 4            # A.4: NMI-like

    # irq kinds
    IRQ_DEVICE = 0
    IRQ_TIMER = 1
    IRQ_IPI = 2

    # nmi_state
    NMI_NOT_RUNNING = 0
    NMI_EXECUTING = 1
    NMI_LATCHED = 2

    # --------------------------------------------------------------------------------------------
    # Opcodes: the order of fuzzcore/events.py (tests/test_events.py checks it).

    (OP_STEP, OP_SYSCALL, OP_USER_FAULT, OP_RET, OP_IRQ, OP_NMI, OP_MCE, OP_DB, OP_BP,
     OP_UACCESS_FAULT, OP_VMALLOC_FAULT, OP_SLEEP, OP_YIELD, OP_WAKE, OP_MIGRATE, OP_KILL,
     OP_FORK, OP_CLONE, OP_EXEC, OP_EXIT, OP_USE_MM, OP_UNUSE_MM, OP_RAISE_SOFTIRQ, OP_KMAP,
     OP_KUNMAP, OP_PMEM_READ, OP_STRAY_WRITE, OP_WRPKRU, OP_XRSTOR_INIT_PKRU, OP_FPU_WRITE,
     OP_ENQCMD, OP_PKEY_ACCESS, OP_KFPU_BEGIN, OP_KFPU_END, OP_SIGRETURN, OP_PASID_BIND,
     OP_PKEY_ALLOC, OP_RSEQ, NOPS) = range(39)

    # Oracles, in SPEC 1.8 table order: the index is the bit in G_VIOL_MASK.
    (O_RCU_EQS, O_CT_USER, O_CT_RECURSION, O_SCHED_ATOMIC, O_PKS_HANDLER_INIT, O_PKS_RESTORE,
     O_PKS_TASK, O_PKS_ACCESS, O_PKS_REFCOUNT, O_PKS_DEPTH, O_FPU_CONSISTENT, O_FPU_COHERENT,
     O_FPU_USER, O_KERNEL_FPU, O_PKRU_USER, O_PKRU_SIGNAL, O_PASID_LOST, O_PASID_LEAK,
     NORACLES) = range(19)

    # Variant record (fuzzcore/variants.py, Variant.codes()).
    (V_PKS, V_PKRU, V_PASID, V_FPU, V_CT_DECIDE, V_CT_WINDOWS, V_CT_GUARD, V_CT_OLD_IRQ,
     NVARIANT) = range(9)
    CT_DECIDE_CS = 0
    CT_DECIDE_SOFT = 1
    CT_DECIDE_EXIT_CS = 2
    CT_WIN_CLOSED = 0
    CT_WIN_OLD = 1
    CT_WIN_GET_USER_ONLY = 2

    # --------------------------------------------------------------------------------------------
    # Micro-steps (SPEC Appendix A).  A frame's F_PHASE is the step it runs next; PH_BODY means
    # it waits in its body.  Switch steps live in C_SW_STEP, body operations in F_BODYOP.

    (PH_BODY,
     # entry
     ST_SWAPGS, ST_USER_EXIT, ST_SYSCALL_IRQ_ENABLE, ST_OLD_IRQ_ENABLE, ST_GET_USER,
     ST_IRQENTRY_KERNEL, ST_PKS_SAVE, ST_ENTRY_BY_KIND, ST_NMI_SWAPGS, ST_NMI_ENTER,
     ST_CT_CHANGE, ST_PKS_SAVE2, ST_GP_FIXUP, ST_PF_FIXUP, ST_PF_PKUERR,
     # exit
     ST_IRQ_EXIT, ST_SOFTIRQ_END, ST_SOFTIRQ_RETURN, ST_PKS_RESTORE, ST_EXIT_PREPARE,
     ST_EXIT_LOOP, ST_EXIT_SCHEDULE, ST_NOTIFY_RESUME, ST_EXIT_FPU, ST_USER_ENTER,
     ST_SWAPGS_EXIT, ST_SYSRET, ST_OLD_WORK, ST_OLD_USER_ENTER, ST_OLD_IRQ_DISABLE,
     ST_OLD_RECHECK, ST_OLD_USER_EXIT, ST_IRQENTRY_EXIT_KERNEL, ST_PREEMPT_IRQ_ENABLE,
     ST_PREEMPT_SCHEDULE, ST_SOFT_USER_ENTER, ST_IRET, ST_NMI_EXIT, ST_NMI_SWAPGS_EXIT,
     ST_NMI_IRET,
     # signal delivery (A.6)
     ST_SIG_PREPARE_PKRU, ST_SIG_LOCK, ST_SIG_RESTORE, ST_SIG_ACTIVATE, ST_SIG_XSAVE,
     ST_SIG_UPDATE_PKRU, ST_SIG_UNLOCK, ST_SIG_FAULT_IN, ST_SIG_SETUP_FRAME,
     ST_SIG_CLEAR_USER_STATES, ST_SIG_MARK_ACTIVATE,
     # context switch (A.5): C_SW_STEP holds one of these
     SW_PICK, SW_FPU_PREPARE, SW_PKRU_LOAD, SW_PKRS_LOAD, SW_CURRENT, SW_FPU_FINISH, SW_FINISH,
     # body operations (A.9 - A.11, kernel_fpu_begin): F_BODYOP_STEP holds one of these
     BO_CLONE_RESTORE, BO_CLONE_ACTIVATE, BO_CLONE_XSAVE, BO_CLONE_UNLOCK, BO_PKS_UPDATE2,
     BO_MIGRATE_ENABLE, BO_SIGRETURN_XRSTOR, BO_SIGRETURN_FAULT_IN, BO_SIGRETURN_SUPERVISOR,
     BO_SIGRETURN_ACTIVATE, BO_KFPU_XSAVE, BO_KFPU_INVALIDATE,
     NSTEPS) = range(72)


    BOP_NONE = 0
    BOP_FPU_CLONE = 1
    BOP_PKS_UPDATE = 2
    BOP_SIGRETURN = 3
    BOP_KFPU_BEGIN = 4

    # Handler kinds of a body (fuzzcore/handlers.py, CONTEXTS order): which body events run
    (CTX_SYSCALL, CTX_PF_USER, CTX_PF_KERNEL, CTX_GP, CTX_GP_FIXED, CTX_IRQ, CTX_SOFTIRQ,
     CTX_NMI, CTX_MCE, CTX_DB_USER, CTX_DB_KERNEL, CTX_BP_USER, CTX_BP_KERNEL, CTX_KTHREAD,
     CTX_IDLE, CTX_VMALLOC, CTX_SIGRETURNED, NCTX) = range(18)
    CTX_NONE = -1          # not in a body: user mode, or steps pending

    # PKS designs (variants.py order)
    PKS_PTREGS = 0
    PKS_BYVALUE = 1
    PKS_EARLY_SAVE = 2
    PKS_PERCPU = 3
    PKS_THREAD_SLOT = 4
    PKS_IDTENTRY_ONLY = 5
    PKS_STACK7 = 6
    PKS_V9 = 7
    PKS_STACK_DEPTH = 7
    PKEY1_AD = 4           # AD(1)

    # PKRU, PASID and FPU designs (variants.py order)
    PKRU_THREAD = 0
    PKRU_XSAVE = 1
    PKRU_WRITE_PKRU_IMAGE = 2
    PKRU_KTHREAD_MM = 3
    PKRU_THREAD_NOFRAME = 4
    PKRU_SIGFRAME_NOBV = 5
    PASID_FINAL = 0
    PASID_V1 = 1
    PASID_MEM_NOINVAL = 2
    PASID_IPI = 3
    FPU_LAZY = 0
    FPU_SIGRESTORE_NOBH = 1
    FPU_IRQ_FPU_USABLE_OLD = 2
    FPU_SIGFAIL_NORESET = 3
    FPU_CLOBBERED = 256    # what a kernel-FPU section leaves in the registers
    SIGRETURN_KEEP = 256
    SIGRETURN_CORRUPT = 257
    SIGRETURN_PKRU_INIT = 258  # the user cleared the frame's XSTATE_BV[PKRU]: PKRU from init, 0
    SIG_HANDLER = 1        # F_SIG_CHECK: the return to user starts a signal handler
    SIG_RETURNED = 2       # F_SIG_CHECK: the return to user ends a sigreturn

    # --------------------------------------------------------------------------------------------
    # The state layout.  Every field is one int.

    # Global header
    (G_NCPU,          # CPUs in the configuration
     G_NUSER,         # user-task slots
     G_NKTHREAD,      # kernel threads
     G_NTASK,         # nuser + nkthread + ncpu (idle tasks last)
     G_VENDOR,        # 0 intel, 1 amd (XSAVE init tracker, SPEC 1.6)
     G_EVENT,         # index of the event being run
     G_STEPS,         # micro-steps run so far
     G_VIOL,          # 0, or 1 + the oracle of the verdict
     G_VIOL_MASK,     # every oracle that failed in the violating check (bit per oracle)
     G_VIOL_EVENT,    # event index of the violation
     G_VIOL_STEP,     # micro-step running when it was found (-1: the event itself)
     G_VIOL_CPU,
     G_VIOL_TASK,
     G_VIOL_EXPECTED,  # expected value, for the verdict's oracle
     G_VIOL_ACTUAL,    # actual value
     G_CHECK_MASK,    # oracles failed so far in the check under way
     G_CHECK_STEP,    # the micro-step of the check under way (-1: an event)
     G_CHECK_EXP,
     G_CHECK_ACT,
     G_USED,          # the prefix of the vector this configuration uses
     G_KICK,          # IPIs were sent: take them on every CPU where IF=1
     G_KERNEL_FINDING,  # the violation is a known kernel finding (KF_*), not a design's
     G_NFIELDS) = range(23)
    KF_NONE = 0
    KF_EXEC_PASID_ACTIVATED = 1  # v6.8: exec keeps pasid_activated (README, semantics)

    # Per CPU, at CPU_BASE + cpu * CPU_SIZE
    (C_CURR,          # task running on this CPU (`current`)
     C_IF,            # hardware interrupt flag
     C_GS_USER,       # GS base is the user's (swapgs state)
     C_CT,            # context_tracking.state: CT_KERNEL / CT_USER / CT_IDLE
     C_CT_CALLS,      # context-tracking calls in progress (the recursion counter's subject)
     C_RCU_NMI,       # rcu_nmi_enter nesting
     C_RCU_IRQ,       # outstanding rcu_irq_enter calls
     C_PREEMPT,       # preempt_count: preempt-disable part
     C_SOFTIRQ,       # preempt_count: softirq part (serving or BH-disabled, fpregs_lock)
     C_HARDIRQ,       # preempt_count: hardirq part
     C_NMI,           # preempt_count: NMI part
     C_NEED_RESCHED,  # set by a timer body, cleared by every context switch here
     C_PEND_TIMER,    # pending IRQs held while IF=0 (at most one of each kind)
     C_PEND_DEV,
     C_PEND_IPI,
     C_NMI_STATE,     # NMI_NOT_RUNNING / NMI_EXECUTING / NMI_LATCHED
     C_IN_MCE,        # inside #MC (MCIP: set by the #MC, cleared when do_machine_check() ends)
     C_DR7_OFF,       # NMI and kernel #DB frames open (DR7 cleared while non-zero; #MC frames
                      # clear it for their whole handler, see db_blocked())
     C_SOFTIRQ_PENDING,  # local_softirq_pending(): raised, not yet run
     C_SW_STEP,       # next step of the context switch under way, 0 if none
     C_SW_PREV,       # the switch's prev task
     C_SW_NEXT,       # the task asked for (yield T), or the one picked; -1 none
     C_SW_DEPTH,      # the frame depth the switch runs at; frames above it run first
     C_IN_KFPU,       # in_kernel_fpu
     C_FPU,           # hardware FPU register file value (256: clobbered by the kernel)
     C_PKRU,          # hardware PKRU
     C_XINUSE_PKRU,   # XINUSE[PKRU]
     C_PASID,         # IA32_PASID: -1 invalid, else the id
     C_PKRS,          # IA32_PKRS MSR
     C_PKRS_CACHE,    # per-CPU pkrs_cache
     C_OWNER,         # fpu_fpregs_owner_ctx: a task id or -1
     C_PKS_SLOT_PKRS,  # pks=percpu: the one per-CPU save slot (MSR, thread.pkrs, refcount)
     C_PKS_SLOT_TPKRS,
     C_PKS_SLOT_REF,
     C_RQ_LEN,        # run-queue length; the queue follows, front first
     C_RQ) = range(36)
    CPU_SIZE = C_RQ + MAX_TASK
    CPU_BASE = G_NFIELDS

    # Per task, at TASK_BASE + task * TASK_SIZE
    (T_STATE,         # TS_*
     T_KIND,          # K_USER / K_KTHREAD / K_IDLE
     T_CPU,           # the CPU it runs on or waits for
     T_MM,            # mm id (-1 none); a kthread's is the one it uses
     T_DEPTH,         # frames above the base frame
     T_RESUME_IF,     # while switched out: the IF it resumes with
     T_MIGRATE_DISABLE,
     T_SIGPENDING,    # a signal is pending
     T_WINDOW,        # open atomic windows (fpregs_lock, signal delivery, ...): state oracles wait
     T_NEED_FPU_LOAD,  # TIF_NEED_FPU_LOAD
     T_LAST_CPU,      # fpu.last_cpu
     T_FPS_FPU,       # fpstate: fpu component
     T_FPS_PKRU,      # fpstate: PKRU component
     T_FPS_PKRU_BV,   # fpstate: XSTATE_BV[PKRU]
     T_FPS_PASID,     # fpstate: PASID component (-1 invalid)
     T_FPS_PASID_BV,  # fpstate: XSTATE_BV[PASID]
     T_THREAD_PKRU,   # thread.pkru
     T_THREAD_PKRS,   # thread.pkrs
     T_PKS_REF,       # the design's kmap refcount
     T_PASID_ACT,     # pasid_activated
     T_L_FPU,         # logical state L (SPEC 1.8)
     T_L_PKRU,
     T_L_PASID,
     T_NSIG,          # signal frames on the user stack
     T_RSEQ,          # an rseq area is registered (rseq(2)); fork keeps it, clone and exec not
     T_NOTIFY_RESUME,  # TIF_NOTIFY_RESUME: rseq_preempt() on a switch-out, or task work
     T_MCE_WORK,      # a user #MC queued kill_me_maybe() as task work (SIGBUS on exit)
     T_PASID_ACT_EXEC,  # not kernel state, a label: pasid_activated was set before an exec;
                        # tells the v6.8 exec finding (README) from any other pasid_lost
     T_PKS_SLOT_PKRS,  # pks=thread_slot: the one per-thread save slot
     T_PKS_SLOT_TPKRS,
     T_PKS_SLOT_REF,
     T_PKS_IDX,       # pks=stack7: the stack index
     T_PKS_STACK) = range(33)  # pks=stack7: 7 x (MSR, thread.pkrs, refcount); then signal frames
    T_SIGFRAMES = T_PKS_STACK + 3 * PKS_STACK_DEPTH  # MAX_SIG x (fpu, pkru, pkru_bv, L.fpu, L.pkru, L.pasid)
    SIG_SIZE = 6
    T_FRAME0 = T_SIGFRAMES + MAX_SIG * SIG_SIZE

    # Per frame, at T_FRAME0 + depth * FRAME_SIZE inside its task
    (F_KIND,          # FK_*
     F_SEQ,           # SEQ_*: which Appendix A sequence it runs
     F_FROM_USER,     # the hardware CS was user
     F_IRQ_IF,        # the interrupted IF (restored by iret)
     F_PHASE,         # next step (ST_*), or PH_BODY
     F_IRQ_KIND,      # irq: IRQ_DEVICE / IRQ_TIMER / IRQ_IPI
     F_SOFTIRQ,       # irq: in its softirq phase
     F_FIXUP,         # pf: PF_FULL, PF_FIXUP (no body: the fixup only) or PF_PKUERR
     F_UFAULT,        # its pending umem step was hit by a fixup-only #PF: the access fails
     F_SYSCALL_OP,    # syscall: the operation this syscall is (fork, exec, sigreturn...), 0
                      # while it is none yet; after rt_sigreturn only the return follows
     F_PF_PATH,       # pf from user: PF_PATH_* once its body chose vsyscall emulation or
                      # handle_mm_fault()
     F_SIG_RETRY,     # signal delivery: the XSAVE to the frame failed; fault in and retry
     F_ENQCMD_PASID,  # gp: the mm had a PASID when the ENQCMD ran (pasid_lost judges it)
     F_CT_PREV,       # soft context tracking: ct_state saved at entry (-1 none)
     F_CT_READ,       # a two-step ct call under way: 0 none, 1 will change, 2 bailed/no-op
     F_CT_NEXT,       # the step after the ct change
     F_CT_IF,         # IF saved by local_irq_save around a two-step ct call
     F_EXIT_RCU,      # irqentry_enter did rcu_irq_enter in idle: no preemption on exit
     F_RCU_IRQ,       # old designs: rcu_irq_enter around an irq from kernel
     F_GS_SWAPPED,    # paranoid entry swapped GS
     F_KMAPS,         # kmaps this frame itself holds
     F_KFPU,          # this frame opened a kernel-FPU section
     F_PKS_SAVED,     # 1: its PKS save has run and its restore has not; 2: restored
     F_SAVE_PKRS,     # the design's saved data
     F_SAVE_TPKRS,
     F_SAVE_REF,
     F_ENTRY_PKRS,    # PKRS, thread.pkrs and refcount at entry (oracle pks_restore)
     F_ENTRY_TPKRS,
     F_ENTRY_REF,
     F_BODYOP,        # a multi-step body operation under way (BOP_*)
     F_BODYOP_STEP,   # its next step
     F_BODYOP_ARG,    # its argument (fork: the child)
     F_SIGSEGV,       # #GP: the fixup failed, SIGSEGV pending on exit
     F_RESUME,        # the step a scheduled-out frame resumes at (PH_BODY for the body)
     F_SIG_PKRU,      # signal delivery: the PKRU sig_prepare_pkru() kept
     F_SIG_CHECK,     # SIG_HANDLER / SIG_RETURNED: what the next return to user must show
     F_SIG_EXPECT,    # the PKRU a sigreturn must leave
     FRAME_SIZE) = range(38)

    TASK_SIZE = T_FRAME0 + MAX_DEPTH * FRAME_SIZE

    # Per mm, at MM_BASE + mm * MM_SIZE
    (MM_USERS,        # tasks using it (threads, and kthreads through use_mm); 0: free
     MM_PASID,        # its PASID, -1 none
     MM_CPUS,         # mm_cpumask(): CPUs it was loaded on (switch_mm_irqs_off(), exec)
     MM_SIZE) = range(4)

    # Order: header, CPUs, mms, tasks -- so a configuration's state is a prefix of the vector
    # (STATE_SIZE is the largest), and resetting copies only that prefix.
    MM_BASE = CPU_BASE + MAX_CPU * CPU_SIZE
    TASK_BASE = MM_BASE + MAX_MM * MM_SIZE
    STATE_SIZE = TASK_BASE + MAX_TASK * TASK_SIZE

    # Trace records: (kind, event index, cpu, step or opcode); appended when tracing.
    TR_EVENT = 0      # an event ran (arg: opcode)
    TR_SKIP = 1       # an event was skipped
    TR_STEP = 2       # a micro-step ran (arg: step id)
    TR_IRQ_TAKEN = 3  # a held IRQ was taken (arg: irq kind)
    TR_NMI_LATCHED = 4
    TR_IRQ_HELD = 5   # an irq arrived with IF=0 and is held

    # Per-step flags (Machine.step_flags, built once per design from the rules that define them)
    SF_INSTR = 1          # instrumentable (step_instr_mark 1)
    SF_INSTR_FRAME = 2    # instrumentable depending on the top frame (step_instr_mark 2)
    SF_UMEM = 4           # touches user memory (step_touches_umem)
    SF_NEUTRAL = 8        # check-neutral (step_check_neutral)
    SF_UMEM_NOPF = 16     # touches user memory with page faults disabled (step_umem_nopf)
    TR_SIZE = 4
    MAX_STEPS_PER_EVENT = 4096  # a livelock guard: no event legitimately runs this many steps
    COV_SIZE = 1 << 20     # model coverage: edges between abstract states (a bitmap)
    COV_OFF = 0            # cov_on: no model coverage
    COV_BITMAP = 1         # the bitmap cov (across runs, cov_new) and cov_run when set
    COV_RUN_ONLY = 2       # cov_run only: a fuzz engine that reads the run's own counters
    VF_CELL = 33           # value_features: the field holding the CPU's cell (fuzz.py's key)

    # The binary decoding of fuzz engines (program.py, Program.from_bytes), done here for speed:
    # argument kinds of the decoder table set by set_decoder().
    ARG_NONE = 0
    ARG_INT = 1
    ARG_TASK = 2
    ARG_OPT_TASK = 3

    # fuzzcore check (fuzzcore/check.py): the argument specs of its domain beyond literals,
    # resolved against the state an event runs in (chk_resolve), and its limits
    CHK_FRESH_FPU = -2     # an FPU value no field holds (the smallest, 1..255)
    CHK_FRESH_PKRU = -8    # CHK_FRESH_PKRU - K: a PKRU value of access class K (1..7) no
                           # field holds, never INIT_PKRU
    CHK_CLASS_VALUE = -100  # CHK_CLASS_VALUE - (32 K + j): the j-th value of class K, only
                            # while no fresh value of K is left
    CHK_PRESENT_FPU = -400  # CHK_PRESENT_FPU - j: the j-th FPU value some field holds (not 0)
    CHK_PRESENT_PKRU = -500  # CHK_PRESENT_PKRU - j: the j-th PKRU value some field holds
    CHK_MAX_PRESENT = 64
    CHK_MAX_DEPTH = 64     # the longest path it replays
    CHK_MAX_POS = 1024     # value fields of one state (FPU, PKRU), either kind
    CHK_OK = 0             # chk_expand's out[CHK_OUT_STATUS]
    CHK_VIOLATION = 1
    CHK_MODEL_ERROR = 2    # the debug invariant broke, or a livelock (debug_error says)
    CHK_RESTORE_ERROR = 3  # verify: an undo left the state other than it was
    # chk_expand's in/out record: nodes and table entries so far, transitions, status, the
    # violation's (parent node, domain index), the first known kernel finding's, the table's
    # entry limit
    (CHK_OUT_NODES, CHK_OUT_COUNT, CHK_OUT_TRANSITIONS, CHK_OUT_STATUS, CHK_OUT_PARENT,
     CHK_OUT_INDEX, CHK_OUT_KF, CHK_OUT_KF_PARENT, CHK_OUT_KF_INDEX, CHK_OUT_MAX_COUNT,
     CHK_OUT_SIZE) = range(11)


STEP_NAMES = (
    "body",
    "swapgs", "user_exit", "instrumentation_begin+local_irq_enable", "local_irq_enable",
    "get_user", "irqentry_enter", "pks_save", "handler_entry", "paranoid_swapgs",
    "irqentry_nmi_enter", "ct_state_change", "pks_stack_bump", "fixup_pasid_exception",
    "kernelmode_fixup_or_oops", "bad_area_access_error",
    "irq_exit", "softirq_end", "do_softirq:local_irq_restore", "pks_restore",
    "syscall_exit_to_user_mode_prepare", "exit_to_user_mode_loop", "__schedule",
    "resume_user_mode_work", "arch_exit_to_user_mode_prepare", "user_enter", "swapgs",
    "sysret", "exit_work", "user_enter", "local_irq_disable", "exit_work_recheck",
    "user_exit", "irqentry_exit", "preempt_schedule_irq:local_irq_enable",
    "preempt_schedule_irq:__schedule", "ct_soft_user_enter", "iret", "irqentry_nmi_exit",
    "paranoid_swapgs_restore", "iret",
    "sig_prepare_pkru", "fpregs_lock", "fpregs_restore_userregs", "fpregs_activate",
    "xsave_to_sigframe", "update_pkru_in_sigframe", "fpregs_unlock", "__clear_user+retry",
    "x64_setup_rt_frame", "fpu__clear_user_states", "fpregs_mark_activate",
    "__schedule", "switch_fpu_prepare", "x86_pkru_load", "x86_pkrs_load", "switch_current",
    "switch_fpu_finish", "finish_task_switch",
    "fpu_clone:fpregs_restore_userregs", "fpu_clone:fpregs_activate",
    "fpu_clone:xsave_to_child", "fpu_clone:fpregs_unlock",
    "pks_update:second_write", "kunmap_local:migrate_enable",
    "sigreturn:xrstor_from_frame", "sigreturn:fault_in_readable+retry",
    "sigreturn:os_xrstor_supervisor", "sigreturn:fpregs_mark_activate",
    "kernel_fpu_begin:save_fpregs_to_fpstate", "kernel_fpu_begin:__cpu_invalidate_fpregs_state",
)


@cython.cclass
class Machine:
    """One model instance: the state vector, the variant's choices and the tracing switch."""

    def __init__(self, variant, config_code: cython.int, vendor: cython.int):
        self.S = array('i', [0]) * STATE_SIZE
        self.init_state = array('i', [0]) * STATE_SIZE
        self.v_pks = variant[V_PKS]
        self.v_pkru = variant[V_PKRU]
        self.v_pasid = variant[V_PASID]
        self.v_fpu = variant[V_FPU]
        self.v_ct_decide = variant[V_CT_DECIDE]
        self.v_ct_windows = variant[V_CT_WINDOWS]
        self.v_ct_guard = variant[V_CT_GUARD]
        self.v_ct_old_irq = variant[V_CT_OLD_IRQ]
        self.debug = 0
        self.ignore_mask = 0
        self.cov = array('B', [0]) * COV_SIZE
        self.cov_on = 0
        self.cov_new = 0
        self.actions = 0
        self.clean_cpu = -1
        self.used_depth = array('i', [MAX_DEPTH - 1]) * MAX_TASK
        self.cov_run = None
        self.kept_bytes = bytearray(512)
        self.kept_view = self.kept_bytes
        self.dec_kind = array('i', [0]) * NOPS
        self.dec_lo = array('i', [0]) * NOPS
        self.dec_span = array('i', [1]) * NOPS
        self.tracing = 0
        self.trace = array('i')
        self.snapshots = []
        self.debug_error = ""
        self.step_flags = array('B', [0]) * NSTEPS
        # fuzzcore check's search buffers (chk_init sets its domain)
        self.chk_dom = array('i', [0, OP_STEP, -1])
        self.chk_ndom = 0
        self.chk_sym = 0
        self.chk_verify = 0
        self.chk_target = -1
        self.chk_snap = array('i', [0]) * STATE_SIZE
        self.chk_buf = array('i', [0]) * STATE_SIZE
        self.chk_fpu_pos = array('i', [0]) * CHK_MAX_POS
        self.chk_pkru_pos = array('i', [0]) * CHK_MAX_POS
        self.chk_nfpu = 0
        self.chk_npkru = 0
        self.chk_rn_fpu = array('i', [-1]) * (FPU_CLOBBERED + 1)
        self.chk_rn_pkru = array('i', [-1]) * 64
        self.chk_rank = array('i', [0]) * 8
        self.chk_fresh = array('i', [0]) * 8
        self.chk_present = array('i', [0]) * (2 * CHK_MAX_PRESENT)
        self.chk_npresent_fpu = 0
        self.chk_npresent_pkru = 0
        self.chk_prog = array('i', [0]) * (3 * CHK_MAX_DEPTH)
        self.chk_path = array('i', [0]) * CHK_MAX_DEPTH
        self.chk_plen = array('i', [0]) * (MAX_CPU + 1 + MAX_TASK)
        self.chk_phash = array('Q', [0]) * (MAX_CPU + 1 + MAX_TASK)
        self.chk_changed = array('i', [0]) * (MAX_CPU + 1 + MAX_TASK)
        self.chk_node = array('i', [0]) * STATE_SIZE
        self.chk_parent = array('i', [0])
        self.chk_code = array('H', [0])
        self.chk_table = array('Q', [0])
        self.chk_out = array('l', [0]) * CHK_OUT_SIZE
        self.chk_store = 0
        self.chk_nnodes = 0
        self.chk_count = 0
        self.chk_transitions = 0
        self.chk_base_hash = 0
        self.chk_base_seen = 0
        self.chk_counting = 1
        # fuzzcore/handlers.py: the body events each handler kind may run
        from fuzzcore.handlers import body_masks
        masks, nofault, kprobes = body_masks()
        self.body_ok = array('q', masks)
        self.ctx_nofault = nofault
        self.ctx_kprobes = kprobes
        st: cython.int
        for st in range(NSTEPS):
            mark: cython.int = self.step_instr_mark(st)
            self.step_flags[st] = ((SF_INSTR if mark == 1 else SF_INSTR_FRAME if mark == 2 else 0)
                                   | (SF_UMEM if self.step_touches_umem(st) else 0)
                                   | (SF_UMEM_NOPF if self.step_umem_nopf(st) else 0)
                                   | (SF_NEUTRAL if self.step_check_neutral(st) else 0))
        self.build_initial(config_code, vendor)
        self.init_state[:] = self.S
        self.reset()

    # ----------------------------------------------------------------------------------------
    # Addressing

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def cpu(self, c: cython.int) -> cython.int:
        return CPU_BASE + c * CPU_SIZE

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def task(self, t: cython.int) -> cython.int:
        return TASK_BASE + t * TASK_SIZE

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def frame(self, t: cython.int, d: cython.int) -> cython.int:
        return TASK_BASE + t * TASK_SIZE + T_FRAME0 + d * FRAME_SIZE

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def top(self, t: cython.int) -> cython.int:
        return self.frame(t, self.S[self.task(t) + T_DEPTH])

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def curr(self, c: cython.int) -> cython.int:
        return self.S[CPU_BASE + c * CPU_SIZE + C_CURR]

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def idle_of(self, c: cython.int) -> cython.int:
        return self.S[G_NUSER] + self.S[G_NKTHREAD] + c

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def user_mode(self, c: cython.int) -> cython.bint:
        """The hardware CS is user: a user task runs at its base frame."""
        t: cython.int = self.curr(c)
        T: cython.int = self.task(t)
        return self.S[T + T_KIND] == K_USER and self.S[T + T_DEPTH] == 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def rcu_watching(self, c: cython.int) -> cython.bint:
        C: cython.int = self.cpu(c)
        return (self.S[C + C_CT] == CT_KERNEL or self.S[C + C_RCU_NMI] > 0
                or self.S[C + C_RCU_IRQ] > 0)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def preempt_count(self, c: cython.int) -> cython.int:
        C: cython.int = self.cpu(c)
        return (self.S[C + C_PREEMPT] + self.S[C + C_SOFTIRQ] + self.S[C + C_HARDIRQ]
                + self.S[C + C_NMI])

    # ----------------------------------------------------------------------------------------
    # Initial state (SPEC 1.1)

    def build_initial(self, config_code: cython.int, vendor: cython.int):
        ncpu: cython.int = 2 + config_code
        nuser: cython.int = (4, 6, 8)[config_code]
        nlive: cython.int = (3, 4, 6)[config_code]
        nkthread: cython.int = (1, 1, 2)[config_code]
        ntask: cython.int = nuser + nkthread + ncpu
        self.S[G_NCPU] = ncpu
        self.S[G_NUSER] = nuser
        self.S[G_NKTHREAD] = nkthread
        self.S[G_NTASK] = ntask
        self.S[G_USED] = TASK_BASE + ntask * TASK_SIZE
        self.S[G_VENDOR] = vendor
        self.S[G_VIOL_STEP] = -1
        self.S[G_CHECK_STEP] = -1
        m: cython.int
        for m in range(MAX_MM):
            self.S[MM_BASE + m * MM_SIZE + MM_PASID] = -1
        t: cython.int
        for t in range(MAX_TASK):
            self.init_task_slot(t)
            T: cython.int = TASK_BASE + t * TASK_SIZE
            if t >= ntask:
                continue
            if t < nuser:
                self.S[T + T_KIND] = K_USER
            elif t < nuser + nkthread:
                self.S[T + T_KIND] = K_KTHREAD
            else:
                self.S[T + T_KIND] = K_IDLE
        # user tasks: pairs of threads per mm (t0,t1 of m0; t2,t3 of m1; ...); the last live
        # task of an odd count is alone in its mm.
        for t in range(nlive):
            T = TASK_BASE + t * TASK_SIZE
            self.S[T + T_STATE] = TS_RUNNABLE
            self.S[T + T_MM] = t // 2
            self.S[MM_BASE + (t // 2) * MM_SIZE + MM_USERS] += 1
        c: cython.int
        for c in range(ncpu):
            C: cython.int = CPU_BASE + c * CPU_SIZE
            self.S[C + C_IF] = 1
            self.S[C + C_GS_USER] = 1
            self.S[C + C_CT] = CT_USER
            self.S[C + C_XINUSE_PKRU] = 1
            self.S[C + C_PKRU] = INIT_PKRU
            self.S[C + C_PASID] = -1
            self.S[C + C_PKRS] = PKS_INIT
            self.S[C + C_PKRS_CACHE] = PKS_INIT
            self.S[C + C_SW_NEXT] = -1
            self.S[C + C_SW_PREV] = -1
            # cpu c runs t(c) in user mode and owns the FPU registers
            T = TASK_BASE + c * TASK_SIZE
            self.S[C + C_CURR] = c
            self.S[C + C_OWNER] = c
            self.S[T + T_STATE] = TS_RUNNING
            self.S[T + T_CPU] = c
            self.S[T + T_NEED_FPU_LOAD] = 0
            self.S[T + T_LAST_CPU] = c
            self.S[MM_BASE + self.S[T + T_MM] * MM_SIZE + MM_CPUS] |= 1 << c
            # the idle task
            T = TASK_BASE + (nuser + nkthread + c) * TASK_SIZE
            self.S[T + T_STATE] = TS_RUNNABLE
            self.S[T + T_CPU] = c
        # the rest of the live user tasks, then the kthreads, wait on cpu0 as if preempted in
        # user mode: a timer irq frame from user whose exit resumes at the FPU restore
        C = CPU_BASE
        for t in range(ncpu, nlive):
            T = TASK_BASE + t * TASK_SIZE
            self.S[T + T_CPU] = 0
            self.S[T + T_RESUME_IF] = 0
            self.S[T + T_DEPTH] = 1
            F: cython.int = T + T_FRAME0 + FRAME_SIZE
            self.S[F + F_KIND] = FK_IRQ
            self.S[F + F_SEQ] = SEQ_USER
            self.S[F + F_FROM_USER] = 1
            self.S[F + F_IRQ_IF] = 1
            self.S[F + F_IRQ_KIND] = IRQ_TIMER
            self.S[F + F_CT_PREV] = CT_USER
            # preempted in exit_to_user_mode_loop(): it resumes after schedule() -- at the
            # FPU restore (A.1 exit (3)); in the old designs at the work loop, which comes
            # before user_enter there
            self.S[F + F_PHASE] = ST_OLD_WORK if self.v_ct_windows == CT_WIN_OLD else ST_EXIT_FPU
            self.S[F + F_ENTRY_PKRS] = PKS_INIT
            self.S[F + F_ENTRY_TPKRS] = PKS_INIT
            self.S[C + C_RQ + self.S[C + C_RQ_LEN]] = t
            self.S[C + C_RQ_LEN] += 1
        for t in range(nuser, ntask):
            # a kthread's (and idle's) fpstate is never maintained: its PKRU component is
            # not a value anyone set (what pkru=kthread_mm loads, #5)
            T = TASK_BASE + t * TASK_SIZE
            self.S[T + T_FPS_PKRU] = 0
        for t in range(nuser, nuser + nkthread):
            T = TASK_BASE + t * TASK_SIZE
            self.S[T + T_STATE] = TS_RUNNABLE
            self.S[T + T_CPU] = 0
            self.S[C + C_RQ + self.S[C + C_RQ_LEN]] = t
            self.S[C + C_RQ_LEN] += 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def init_task_slot(self, t: cython.int) -> cython.void:
        """A free user slot: what fork/clone fill and exit leaves."""
        T: cython.int = TASK_BASE + t * TASK_SIZE
        i: cython.int
        for i in range(TASK_SIZE):
            self.S[T + i] = 0
        self.S[T + T_STATE] = TS_FREE
        self.S[T + T_MM] = -1
        self.S[T + T_CPU] = -1
        self.S[T + T_LAST_CPU] = -1
        self.S[T + T_NEED_FPU_LOAD] = 1
        self.S[T + T_FPS_PKRU] = INIT_PKRU
        self.S[T + T_FPS_PKRU_BV] = 1
        self.S[T + T_FPS_PASID] = -1
        self.S[T + T_THREAD_PKRU] = INIT_PKRU
        self.S[T + T_THREAD_PKRS] = PKS_INIT
        self.S[T + T_L_PKRU] = INIT_PKRU
        self.S[T + T_RESUME_IF] = 1
        for i in range(MAX_DEPTH):
            self.S[T + T_FRAME0 + i * FRAME_SIZE + F_CT_PREV] = -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def restore_initial(self) -> cython.void:
        """Copy the used prefix of the initial state back (cheap: the layout is flat)."""
        self.copy_initial(0, self.init_state[G_USED])
        t: cython.int
        for t in range(self.init_state[G_NTASK]):
            self.used_depth[t] = self.init_state[TASK_BASE + t * TASK_SIZE + T_DEPTH]

    @cython.cfunc
    @cython.exceptval(check=False)
    def restore_used(self) -> cython.void:
        """restore_initial() for a state that ran from the initial one inside this Machine
        (run_batch): a task's frames above its deepest frame since (used_depth: push, fork
        and a freed slot raise it) still hold their initial values, so they are not copied."""
        self.copy_initial(0, TASK_BASE)
        t: cython.int
        T: cython.int
        for t in range(self.init_state[G_NTASK]):
            T = TASK_BASE + t * TASK_SIZE
            self.copy_initial(T, T_FRAME0 + (self.used_depth[t] + 1) * FRAME_SIZE)
            self.used_depth[t] = self.init_state[T + T_DEPTH]

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def copy_initial(self, start: cython.int, n: cython.int) -> cython.void:
        """S[start:start + n] = the initial state's; c's state oracles count as unchecked."""
        self.clean_cpu = -1
        if cython.compiled:
            memcpy(cython.address(self.S[start]), cython.address(self.init_state[start]),
                   n * cython.sizeof(cython.int))
        else:
            self.S[start:start + n] = self.init_state[start:start + n]

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def frame_written(self, t: cython.int, d: cython.int) -> cython.void:
        """Frame d of task t may leave its initial value (restore_used copies it back)."""
        if d > self.used_depth[t]:
            self.used_depth[t] = d

    def reset(self):
        """Back to the initial state."""
        self.restore_initial()
        self.snapshots = []
        del self.trace[:]

    # ----------------------------------------------------------------------------------------
    # Oracles (SPEC 1.8).  Point oracles note a failure into the check under way; state
    # oracles are evaluated by check_state; finish_check turns the check into the verdict.

    @cython.cfunc
    @cython.exceptval(check=False)
    def fail(self, oracle: cython.int, expected: cython.int, actual: cython.int) -> cython.void:
        if (self.ignore_mask >> oracle) & 1:
            return                      # the user asked to look past this oracle
        first: cython.bint = self.S[G_CHECK_MASK] == 0
        bit: cython.int = 1 << oracle
        if first or bit < (self.S[G_CHECK_MASK] & -self.S[G_CHECK_MASK]):
            self.S[G_CHECK_EXP] = expected
            self.S[G_CHECK_ACT] = actual
        self.S[G_CHECK_MASK] |= bit

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def note_instr(self, c: cython.int) -> cython.void:
        """rcu_eqs: an instrumentable step or body event runs only where RCU watches."""
        if not self.rcu_watching(c):
            self.fail(O_RCU_EQS, 1, 0)

    @cython.cfunc
    @cython.exceptval(check=False)
    def note_schedule(self, c: cython.int) -> cython.void:
        """sched_atomic for a voluntary schedule(): preempt count 0, IF=1, not in interrupt."""
        C: cython.int = self.cpu(c)
        if self.preempt_count(c) != 0 or self.S[C + C_IF] != 1:
            self.fail(O_SCHED_ATOMIC, 0, self.preempt_count(c) * 2 + self.S[C + C_IF])

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def check_state(self, c: cython.int) -> cython.void:
        """The state oracles for CPU c, outside the atomic windows of its current task."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_SW_STEP] != 0:
            return
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        if self.S[T + T_WINDOW] != 0:
            return
        if self.user_mode(c) and self.S[C + C_CT] != CT_USER:
            self.fail(O_CT_USER, CT_USER, self.S[C + C_CT])
        self.check_pks(c, t)
        self.check_fpu(c, t)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def check_fpu(self, c: cython.int, t: cython.int) -> cython.void:
        """fpu_consistent, fpu_coherent, pkru_user, pasid_leak (SPEC 1.8; kernel-notes F1,
        F2, K1, A1-A2)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        kind: cython.int = self.S[T + T_KIND]
        if kind == K_USER:
            # fpregs_assert_state_consistent(): live registers are the task's, and right
            if not self.S[T + T_NEED_FPU_LOAD] and not self.S[C + C_IN_KFPU]:
                if not self.fpregs_state_valid(c, t):
                    self.fail(O_FPU_CONSISTENT, t, self.S[C + C_OWNER])
                elif self.S[C + C_FPU] != self.S[T + T_L_FPU]:
                    self.fail(O_FPU_CONSISTENT, self.S[T + T_L_FPU], self.S[C + C_FPU])
            if self.S[C + C_PKRU] != self.S[T + T_L_PKRU]:
                self.fail(O_PKRU_USER, self.S[T + T_L_PKRU], self.S[C + C_PKRU])
            if self.S[T + T_DEPTH] == 0 and self.S[C + C_PASID] >= 0:
                if self.S[C + C_PASID] != self.mm_pasid(t):
                    self.fail(O_PASID_LEAK, self.mm_pasid(t), self.S[C + C_PASID])
        elif kind == K_KTHREAD and self.S[T + T_MM] >= 0:
            # a kthread doing uaccess on a user mm runs with init_pkru_value (K4, #5)
            if self.S[C + C_PKRU] != INIT_PKRU:
                self.fail(O_PKRU_USER, INIT_PKRU, self.S[C + C_PKRU])
        # preserved copies: the owner of this CPU's registers, and the current task's copy --
        # not while the CPU holding that copy is inside a window of its own task (SPEC 1.8:
        # atomic for the CPU too; judged again when it closes there)
        self.check_coherent(self.S[C + C_OWNER], c)
        lc: cython.int = self.S[T + T_LAST_CPU]
        if (lc >= 0 and lc != c and self.S[self.cpu(lc) + C_OWNER] == t
                and not self.cpu_in_window(lc)):
            self.check_coherent(t, lc)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def cpu_in_window(self, c: cython.int) -> cython.bint:
        """CPU c is inside an atomic window: a context switch, or a window of its current
        task (SPEC 1.8)."""
        C: cython.int = self.cpu(c)
        return (self.S[C + C_SW_STEP] != 0
                or self.S[self.task(self.S[C + C_CURR]) + T_WINDOW] != 0)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def check_coherent(self, t: cython.int, c: cython.int) -> cython.void:
        """fpu_coherent: TIF_NEED_FPU_LOAD(t) && fpregs_state_valid(t, c) => CPU c's fpu and
        IA32_PASID equal t's image (Andy's rule, kernel-notes 1c)."""
        if t < 0:
            return
        T: cython.int = self.task(t)
        C: cython.int = self.cpu(c)
        if (not self.S[T + T_NEED_FPU_LOAD] or self.S[T + T_LAST_CPU] != c
                or self.S[T + T_WINDOW] != 0):
            return
        if self.S[C + C_FPU] != self.S[T + T_FPS_FPU]:
            self.fail(O_FPU_COHERENT, self.S[T + T_FPS_FPU], self.S[C + C_FPU])
            return
        img: cython.int = self.image_pasid(t)
        if self.S[C + C_PASID] != img:
            self.fail(O_FPU_COHERENT, img, self.S[C + C_PASID])

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def check_pks(self, c: cython.int, t: cython.int) -> cython.void:
        """pks_task and pks_refcount (SPEC 1.8, kernel-notes P3, P5).  pks_task judges task
        context: syscall frames, and softirqs run by local_bh_enable() on top of them."""
        T: cython.int = self.task(t)
        depth: cython.int = self.S[T + T_DEPTH]
        d: cython.int
        only_syscall: cython.bint = True
        level: cython.int = 0       # the newest frame whose PKS save is in force, 0 none
        held: cython.int = 0        # kmaps held by that frame and the frames above it
        F: cython.int = self.frame(t, depth)
        pkrs: cython.int = self.S[self.cpu(c) + C_PKRS]
        # only_syscall matters only where the MSR differs from the thread's value; elsewhere
        # the walk ends at the save in force
        kinds_matter: cython.bint = pkrs != self.S[T + T_THREAD_PKRS]
        # one walk down the frames (this runs after every step)
        for d in range(depth, 0, -1):
            # a softirq run by local_bh_enable() is task context too: no exception entry
            if self.S[F + F_KIND] != FK_SYSCALL and self.S[F + F_KIND] != FK_SOFTIRQ:
                only_syscall = False
            if level == 0:
                held += self.S[F + F_KMAPS]
                if self.S[F + F_PKS_SAVED] == 1:
                    level = d
                    if not kinds_matter:
                        break
            F -= FRAME_SIZE
        if level == 0:
            held += self.S[F + F_KMAPS]     # no save in force: the base frame's count too
        if only_syscall and pkrs != self.S[T + T_THREAD_PKRS]:
            self.fail(O_PKS_TASK, self.S[T + T_THREAD_PKRS], pkrs)
        if self.S[T + T_PKS_REF] != held:
            self.fail(O_PKS_REFCOUNT, held, self.S[T + T_PKS_REF])

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def finish_check(self, c: cython.int, check: cython.bint) -> cython.bint:
        """Close the check under way; returns True when it produced the verdict.  Without
        ``check`` the state oracles are known to pass (see step_check_neutral)."""
        if check:
            self.check_state(c)
        elif self.debug and self.neutral_check_fires(c):
            return True
        mask: cython.int = self.S[G_CHECK_MASK]
        if mask == 0:
            return False
        o: cython.int = 0
        while not (mask >> o) & 1:
            o += 1
        self.S[G_VIOL] = o + 1
        self.S[G_VIOL_MASK] = mask
        self.S[G_VIOL_EVENT] = self.S[G_EVENT]
        self.S[G_VIOL_STEP] = self.S[G_CHECK_STEP]
        self.S[G_VIOL_CPU] = c
        self.S[G_VIOL_TASK] = self.curr(c)
        self.S[G_VIOL_EXPECTED] = self.S[G_CHECK_EXP]
        self.S[G_VIOL_ACTUAL] = self.S[G_CHECK_ACT]
        return True

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def after(self, c: cython.int, step: cython.int, check: cython.bint) -> cython.bint:
        """End of one micro-step or event action on c: check, trace, debug-validate.
        ``check``: evaluate the state oracles (False only where they are known to pass)."""
        self.actions += 1       # an event that ends no action changed nothing (run_bytes)
        self.S[G_CHECK_STEP] = step
        stop: cython.bint = self.finish_check(c, check)
        self.S[G_CHECK_MASK] = 0
        self.S[G_CHECK_STEP] = -1
        self.clean_cpu = c      # the state oracles of c pass here (or the program stops)
        if self.tracing or self.cov_on or self.debug:
            return self.observe(c, step, stop)
        return stop

    @cython.cfunc
    @cython.exceptval(check=False)
    def neutral_check_fires(self, c: cython.int) -> cython.bint:
        """Debug mode: the state oracles skipped after a check-neutral step run anyway, and
        any difference they make is a debug error (step_check_neutral is wrong)."""
        before: cython.int = self.S[G_CHECK_MASK]
        self.check_state(c)
        if self.S[G_CHECK_MASK] == before:
            return False
        self.debug_error = "event %d: the state oracles fire after check-neutral step %d" % (
            self.S[G_EVENT], self.S[G_CHECK_STEP])
        self.S[G_VIOL] = NORACLES + 1
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def observe(self, c: cython.int, step: cython.int, stop: cython.bint) -> cython.bint:
        """after() for tools: the snapshot, coverage and the type invariant (kept out of the
        inlined fast path)."""
        if self.tracing:
            self.snapshots.append(bytes(self.S))
        if self.cov_on:
            self.cover(c, step)
        if self.debug and not stop:
            err = self.validate()
            if err:
                self.debug_error = "event %d: %s" % (self.S[G_EVENT], err)
                self.S[G_VIOL] = NORACLES + 1
                return True
        return stop

    @cython.cfunc
    @cython.exceptval(check=False)
    def cover(self, c: cython.int, step: cython.int) -> cython.void:
        """Model-level coverage (SPEC 3.1): the transition just taken on the acting CPU (the
        micro-step or event) together with its abstract state (the top frame, IF, ct, held
        IRQs, FPU ownership, PKS access, windows ...), hashed into a bitmap.  New entries count
        as progress even where no new C edge is hit."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        d: cython.int = self.S[T + T_DEPTH]
        F: cython.int = self.frame(t, d)
        sig: cython.uint = cython.cast(cython.uint, (step + 1) & 127)
        sig |= cython.cast(cython.uint, self.S[F + F_KIND] & 15) << 7
        sig |= cython.cast(cython.uint, min(d, 7)) << 11
        sig |= cython.cast(cython.uint, self.S[C + C_IF] & 1) << 14
        sig |= cython.cast(cython.uint, self.S[C + C_CT] & 3) << 15
        sig |= cython.cast(cython.uint, (self.S[C + C_PEND_TIMER] | self.S[C + C_PEND_DEV]
                                         | self.S[C + C_PEND_IPI]) & 1) << 17
        sig |= cython.cast(cython.uint, self.S[T + T_NEED_FPU_LOAD] & 1) << 18
        sig |= cython.cast(cython.uint, 1 if self.S[C + C_OWNER] == t else 0) << 19
        sig |= cython.cast(cython.uint, self.S[C + C_IN_KFPU] & 1) << 20
        sig |= cython.cast(cython.uint, 1 if self.S[T + T_WINDOW] > 0 else 0) << 21
        sig |= cython.cast(cython.uint, 1 if self.S[C + C_PKRS] & (3 * PKEY1_AD) else 0) << 22
        sig |= cython.cast(cython.uint, 1 if self.S[C + C_SW_STEP] else 0) << 23
        sig |= cython.cast(cython.uint, self.S[C + C_NMI_STATE] & 3) << 24
        sig |= cython.cast(cython.uint, self.S[T + T_KIND] & 3) << 26
        sig |= cython.cast(cython.uint, 1 if self.S[T + T_SIGPENDING] or self.S[T + T_NSIG] else 0) << 28
        sig |= cython.cast(cython.uint, 1 if self.S[T + T_PKS_REF] else 0) << 29
        sig |= cython.cast(cython.uint, 1 if self.S[C + C_SOFTIRQ] else 0) << 30
        # the mask is for the interpreted core; cast, so C does not do it on Python ints
        h: cython.uint = ((sig * cython.cast(cython.uint, 2654435761))
                          & cython.cast(cython.uint, 0xFFFFFFFF))
        idx: cython.uint = (h >> 12) & (COV_SIZE - 1)
        if self.cov_run is not None:
            k: cython.Py_ssize_t = idx & (len(self.cov_run) - 1)
            self.cov_run[k] = 1     # seen in this run (hit counts only multiply features)
            if self.cov_on == COV_RUN_ONLY:
                return          # the 1 MiB bitmap's cache misses are most of a run's cost
        if self.cov[idx] == 0:
            self.cov_new += 1
            self.cov[idx] = 1

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def record(self, kind: cython.int, c: cython.int, arg: cython.int) -> cython.void:
        if self.tracing:
            self.trace_append(kind, c, arg)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def skipped(self, c: cython.int, op: cython.int) -> cython.void:
        """An event was skipped.  It should have written nothing, but run_one's check skip
        does not rely on that: c's state oracles count as unchecked again."""
        self.clean_cpu = -1
        self.record(TR_SKIP, c, op)

    @cython.cfunc
    @cython.exceptval(check=False)
    def trace_append(self, kind: cython.int, c: cython.int, arg: cython.int) -> cython.void:
        """record() when tracing (kept out of the inlined fast path)."""
        self.trace.append(kind)
        self.trace.append(self.S[G_EVENT])
        self.trace.append(c)
        self.trace.append(arg)

    # ----------------------------------------------------------------------------------------
    # Frames: the hardware part of every kernel entry (SPEC 1.5: push, IF=0, CS kernel).

    @cython.cfunc
    @cython.exceptval(check=False)
    def push(self, c: cython.int, kind: cython.int) -> cython.int:
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        from_user: cython.bint = self.user_mode(c)
        d: cython.int = self.S[T + T_DEPTH] + 1
        F: cython.int = self.frame(t, d)
        self.frame_written(t, d)
        i: cython.Py_ssize_t        # a wide index: gcc turns the loop into one memset
        for i in range(FRAME_SIZE):
            self.S[F + i] = 0
        self.S[T + T_DEPTH] = d
        self.S[F + F_KIND] = kind
        self.S[F + F_FROM_USER] = from_user
        self.S[F + F_IRQ_IF] = self.S[C + C_IF]
        self.S[F + F_CT_PREV] = -1
        self.S[F + F_ENTRY_PKRS] = self.S[C + C_PKRS]
        self.S[F + F_ENTRY_TPKRS] = self.S[T + T_THREAD_PKRS]
        self.S[F + F_ENTRY_REF] = self.S[T + T_PKS_REF]
        self.S[C + C_IF] = 0
        nmi_like: cython.bint = kind == FK_NMI or (
            not from_user and (kind == FK_MCE or kind == FK_DB or kind == FK_BP))
        if kind == FK_SYSCALL:
            self.S[F + F_SEQ] = SEQ_SYSCALL
            self.S[F + F_PHASE] = ST_SWAPGS
        elif nmi_like:
            self.S[F + F_SEQ] = SEQ_NMI
            self.S[F + F_PHASE] = ST_NMI_SWAPGS
        elif from_user:
            self.S[F + F_SEQ] = SEQ_USER
            self.S[F + F_PHASE] = ST_SWAPGS
        else:
            self.S[F + F_SEQ] = SEQ_KERNEL
            # pks=early_save: the save is the first software step of irqentry_enter()
            self.S[F + F_PHASE] = ST_PKS_SAVE if self.v_pks == PKS_EARLY_SAVE \
                else ST_IRQENTRY_KERNEL
        # hardware side effects of the vector itself.  #MC sets MCIP, user or kernel (a second
        # #MC while it is set is a shutdown); its local_db_save() is db_blocked()'s.  The
        # kernel-mode #DB clears DR7 (exc_debug_kernel()); exc_debug_user() keeps it.
        if kind == FK_NMI:
            self.S[C + C_NMI_STATE] = NMI_EXECUTING
            self.S[C + C_DR7_OFF] += 1       # exc_nmi: local_db_save()
        elif kind == FK_MCE:
            self.S[C + C_IN_MCE] = 1
        elif kind == FK_DB and nmi_like:
            self.S[C + C_DR7_OFF] += 1       # exc_debug_kernel(): local_db_save()
        return F

    @cython.cfunc
    @cython.exceptval(check=False)
    def pop(self, c: cython.int, t: cython.int) -> cython.void:
        """Pop t's top frame: iret/sysret.  Restores the interrupted IF."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        kind: cython.int = self.S[F + F_KIND]
        self.S[C + C_IF] = self.S[F + F_IRQ_IF]
        self.S[T + T_DEPTH] -= 1
        nmi_like: cython.bint = self.S[F + F_SEQ] == SEQ_NMI
        if kind == FK_NMI:
            self.S[C + C_DR7_OFF] -= 1
        elif kind == FK_MCE and nmi_like:
            # exc_machine_check_kernel(): the IST frame cannot take a second #MC before its
            # iret, so MCIP counts until the pop (a user #MC clears it when its body ends)
            self.S[C + C_IN_MCE] = 0
        elif kind == FK_DB and nmi_like:
            self.S[C + C_DR7_OFF] -= 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def db_blocked(self, c: cython.int) -> cython.bint:
        """DR7 is cleared: an NMI or kernel #DB is open on c, or the current task is inside an
        #MC handler, user or kernel (exc_machine_check(): local_db_save() ... local_db_restore()
        around the whole handler, the user path's exit to user included).  An #MC frame can be
        switched out in its exit loop; the cleared DR7 goes with it, so it is read per task."""
        if self.S[self.cpu(c) + C_DR7_OFF] > 0:
            return True
        t: cython.int = self.curr(c)
        d: cython.int
        for d in range(self.S[self.task(t) + T_DEPTH], 0, -1):
            if self.S[self.frame(t, d) + F_KIND] == FK_MCE:
                return True
        return False

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def in_interrupt(self, c: cython.int) -> cython.bint:
        """in_interrupt(): hardirq, softirq (serving or BH-disabled) or NMI count."""
        C: cython.int = self.cpu(c)
        return self.S[C + C_HARDIRQ] + self.S[C + C_SOFTIRQ] + self.S[C + C_NMI] > 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def preempt_point(self, c: cython.int) -> cython.void:
        """preempt_enable() -> preempt_schedule() (include/linux/preempt.h, kernel/sched/core.c):
        the count has dropped to 0 with IRQs on and need_resched set: the task is switched out
        right here and resumes where it was (its top frame's phase, a body operation's next
        step still pending)."""
        C: cython.int = self.cpu(c)
        if (self.S[C + C_SW_STEP] != 0 or self.S[C + C_NEED_RESCHED] == 0 or self.S[C + C_IF] != 1
                or self.preempt_count(c) != 0):
            return
        t: cython.int = self.S[C + C_CURR]
        if self.S[self.task(t) + T_KIND] == K_IDLE:
            return
        self.start_switch(c, -1, TS_RUNNABLE, self.S[self.top(t) + F_PHASE], 1)

    @cython.cfunc
    @cython.exceptval(check=False)
    def local_bh_enable(self, c: cython.int) -> cython.void:
        """local_bh_enable() (fpregs_unlock(); __local_bh_enable_ip(), kernel/softirq.c): the
        BH count drops; softirqs raised meanwhile run now unless in interrupt context
        (do_softirq(): a softirq frame on top, in task context), then preempt_check_resched()
        (after the softirqs: at their return)."""
        C: cython.int = self.cpu(c)
        self.S[C + C_SOFTIRQ] -= 1
        if self.S[C + C_SOFTIRQ_PENDING] and not self.in_interrupt(c) and self.do_softirq(c):
            return
        self.preempt_point(c)

    @cython.cfunc
    @cython.exceptval(check=False)
    def do_softirq(self, c: cython.int) -> cython.bint:
        """do_softirq() -> __do_softirq() from local_bh_enable(): no exception entry (so no PKS
        save: it runs on the task's PKRS and refcount), softirq count +1, IRQs on.  False at
        the model's nesting bound (they stay pending)."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        if self.S[self.task(t) + T_DEPTH] + 1 >= MAX_DEPTH:
            return False
        F: cython.int = self.push(c, FK_SOFTIRQ)
        self.S[F + F_PHASE] = PH_BODY
        self.S[F + F_SOFTIRQ] = 1
        self.S[C + C_SOFTIRQ_PENDING] = 0
        self.S[C + C_SOFTIRQ] += 1
        self.S[C + C_IF] = 1
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def migrate_enable(self, c: cython.int, t: cython.int) -> cython.void:
        """migrate_enable() (kernel/sched/core.c): the outermost one re-enables migration
        inside preempt_disable()/preempt_enable(): a preemption point."""
        T: cython.int = self.task(t)
        self.S[T + T_MIGRATE_DISABLE] -= 1
        if self.S[T + T_MIGRATE_DISABLE] == 0:
            self.preempt_point(c)

    # ----------------------------------------------------------------------------------------
    # What is pending on a CPU (SPEC 1.5, the micro-step rule)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def pending(self, c: cython.int) -> cython.int:
        """0: nothing; 1: the top frame's next step; 2: the context switch's next step."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        d: cython.int = self.S[T + T_DEPTH]
        F: cython.int = self.frame(t, d)
        if self.S[C + C_SW_STEP] == 0 or d > self.S[C + C_SW_DEPTH]:
            # a frame pushed on top of a switch under way runs (and waits in its body) first
            if self.S[F + F_PHASE] != PH_BODY or self.S[F + F_BODYOP] != BOP_NONE:
                return 1
            return 0
        return 2

    @cython.cfunc
    @cython.exceptval(check=False)
    def next_step(self, c: cython.int) -> cython.int:
        """The id of the step that would run next on c, or -1."""
        p: cython.int = self.pending(c)
        if p == 0:
            return -1
        if p == 2:
            return self.S[self.cpu(c) + C_SW_STEP]
        F: cython.int = self.top(self.curr(c))
        if self.S[F + F_BODYOP] != BOP_NONE:
            return self.S[F + F_BODYOP_STEP]
        return self.S[F + F_PHASE]

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def step_is_instr(self, c: cython.int, st: cython.int) -> cython.bint:
        """Appendix A's instr/noinstr mark of a step, as the design places it: one table
        lookup (step_flags), the top frame read only for the two steps whose mark it decides."""
        f: cython.int = self.step_flags[st]
        if f & SF_INSTR_FRAME == 0:
            return f & SF_INSTR != 0
        F: cython.int = self.top(self.curr(c))
        if st == ST_PKS_SAVE:
            return self.S[F + F_SEQ] != SEQ_NMI
        return self.S[F + F_KIND] != FK_VMALLOC

    @cython.cfunc
    @cython.exceptval(check=False)
    def step_instr_mark(self, st: cython.int) -> cython.int:
        """The design's instr/noinstr mark of a step: 1 instr, 0 noinstr, 2 instr unless the
        top frame says otherwise (step_is_instr reads it).  Only step_flags is built from it."""
        old: cython.bint = self.v_ct_windows == CT_WIN_OLD
        if st == ST_SYSCALL_IRQ_ENABLE or st == ST_EXIT_PREPARE or st == ST_EXIT_LOOP:
            return 1
        if st == ST_EXIT_SCHEDULE or st == ST_IRQ_EXIT or st == ST_SOFTIRQ_END:
            return 1
        if st == ST_SOFTIRQ_RETURN or st == ST_NOTIFY_RESUME:
            return 1
        if st == ST_OLD_WORK or st == SW_PICK:
            return 1
        if st == ST_PREEMPT_IRQ_ENABLE or st == ST_PREEMPT_SCHEDULE:
            return 1                # irqentry_exit(): instrumentation_begin() around the resched
        if st >= ST_SIG_PREPARE_PKRU and st <= ST_SIG_MARK_ACTIVATE:
            return 1
        if st >= BO_CLONE_RESTORE and st < NSTEPS:
            return 1
        if st == ST_GP_FIXUP or st == ST_PF_FIXUP or st == ST_PF_PKUERR:
            return 1
        if st == ST_EXIT_FPU:
            return 0 if old else 1  # old designs: everything after user_enter is noinstr
        if st == ST_PKS_SAVE:
            # pks=early_save calls the traceable write_pkrs() from irqentry_enter(), except in
            # an NMI-like frame (step_is_instr)
            return 2 if self.v_pks == PKS_EARLY_SAVE else 0
        if st == ST_ENTRY_BY_KIND:
            return 2                # instr except in a vmalloc #PF frame (step_is_instr)
        return 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def step_touches_umem(self, st: cython.int) -> cython.bint:
        """Steps that access user memory (a uaccess fault can land in them): with page faults
        enabled, where the #PF's body resolves the fault and may sleep (the old entry's
        get_user, rseq and task work, the signal frame's fault-in and its puts) -- and the
        pagefault_disable()d ones of step_umem_nopf."""
        return (st == ST_GET_USER or st == ST_NOTIFY_RESUME or st == ST_SIG_FAULT_IN
                or st == ST_SIG_SETUP_FRAME or st == BO_SIGRETURN_FAULT_IN
                or self.step_umem_nopf(st))

    @cython.cfunc
    @cython.exceptval(check=False)
    def step_umem_nopf(self, st: cython.int) -> cython.bint:
        """User-memory steps under pagefault_disable(): copy_fpstate_to_sigframe()'s XSAVE and
        update_pkru_in_sigframe(), __restore_fpregs_from_user()'s XRSTOR (fpu/signal.c).  A
        fault there runs only the fixup; the step fails and the code retries after faulting
        the page in."""
        return st == ST_SIG_XSAVE or st == ST_SIG_UPDATE_PKRU or st == BO_SIGRETURN_XRSTOR

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def step_check_neutral(self, st: cython.int) -> cython.bint:
        """Steps that write nothing the state oracles (check_state) read, in every design:
        they change only GS, IF, the phase, the NMI/RCU/ct-call counts, the frame's ct
        bookkeeping and ct_state -- which check_state reads only for a user task at depth 0,
        while these steps run in a frame above it and leave the depth alone.  After such a
        step on c, check_state(c) gives what it gave at c's last check (run_one skips it).
        tests/test_machine.py::test_check_neutral_steps_write_nothing_the_checks_read proves
        the list on random runs of every design (the written and the read state indices are
        disjoint), and debug mode runs the skipped checks anyway (neutral_check_fires)."""
        return (st == ST_SWAPGS or st == ST_USER_EXIT or st == ST_SYSCALL_IRQ_ENABLE
                or st == ST_OLD_IRQ_ENABLE or st == ST_GET_USER or st == ST_IRQENTRY_KERNEL
                or st == ST_NMI_SWAPGS or st == ST_NMI_ENTER or st == ST_CT_CHANGE
                or st == ST_EXIT_PREPARE or st == ST_USER_ENTER or st == ST_SWAPGS_EXIT
                or st == ST_OLD_USER_ENTER or st == ST_OLD_IRQ_DISABLE or st == ST_OLD_RECHECK
                or st == ST_SOFT_USER_ENTER or st == ST_NMI_EXIT or st == ST_NMI_SWAPGS_EXIT)

    # ----------------------------------------------------------------------------------------
    # Running steps

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def run_one(self, c: cython.int, p: cython.int) -> cython.bint:
        """Run the pending micro-step (``p`` = pending(c), non-zero) on c.  Returns True when
        the program must stop."""
        st: cython.int
        bodyop: cython.bint = False     # a body operation's step (nothing below changes it)
        if p == 2:
            st = self.S[self.cpu(c) + C_SW_STEP]
        else:
            F: cython.int = self.top(self.curr(c))
            bodyop = self.S[F + F_BODYOP] != BOP_NONE
            st = self.S[F + F_BODYOP_STEP] if bodyop else self.S[F + F_PHASE]
        self.S[G_STEPS] += 1
        if self.step_is_instr(c, st):
            self.note_instr(c)
        self.record(TR_STEP, c, st)
        if p == 2:
            self.switch_step(c, st)
        elif bodyop:
            self.bodyop_step(c, st)
        else:
            self.frame_step(c, st)
        # the state oracles of c passed at the last after(), on c, with nothing written since
        # (clean_cpu), and a check-neutral step changes nothing they read: they still pass
        if self.after(c, st, not (self.clean_cpu == c and self.step_flags[st] & SF_NEUTRAL)):
            return True
        return self.take_held_irq(c)

    @cython.cfunc
    @cython.exceptval(check=False)
    def run_pending(self, c: cython.int, p: cython.int) -> cython.bint:
        """Run c's pending steps, the first being ``p`` = pending(c).  Returns True when the
        program must stop."""
        n: cython.int = 0
        while p != 0:
            if self.run_one(c, p):
                return True
            p = self.pending(c)
            n += 1
            if n > MAX_STEPS_PER_EVENT:
                self.debug_error = "livelock: more than %d steps in one event" % n
                self.S[G_VIOL] = NORACLES + 1
                return True
        return False

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def take_held_irq(self, c: cython.int) -> cython.bint:
        """The pending-IRQ rule: at the first point with IF=1, take the held IRQ (timer, then
        device, then IPI) before anything else runs on c."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_IF] != 1:
            return False
        if self.S[self.task(self.S[C + C_CURR]) + T_DEPTH] + 1 >= MAX_DEPTH:
            return False                # the model's nesting bound: it stays held
        kind: cython.int
        if self.S[C + C_PEND_TIMER]:
            kind = IRQ_TIMER
            self.S[C + C_PEND_TIMER] = 0
        elif self.S[C + C_PEND_DEV]:
            kind = IRQ_DEVICE
            self.S[C + C_PEND_DEV] = 0
        elif self.S[C + C_PEND_IPI]:
            kind = IRQ_IPI
            self.S[C + C_PEND_IPI] = 0
        else:
            return False
        F: cython.int = self.push(c, FK_IRQ)
        self.S[F + F_IRQ_KIND] = kind
        self.record(TR_IRQ_TAKEN, c, kind)
        return self.after(c, -1, True)

    # ----------------------------------------------------------------------------------------
    # Context tracking calls (kernel/context_tracking.c).  In closed designs a call is one
    # step; in the old designs it is two (read the state under local_irq_save, then change it)
    # and a vmalloc fault can land between them.

    @cython.cfunc
    @cython.exceptval(check=False)
    def ct_set(self, c: cython.int, new: cython.int) -> cython.void:
        """Change ct_state; ct_recursion fires if another call is in progress."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_CT] != new:
            if self.S[C + C_CT_CALLS] > 0:
                self.fail(O_CT_RECURSION, 0, self.S[C + C_CT_CALLS])
            self.S[C + C_CT] = new

    @cython.cfunc
    @cython.exceptval(check=False)
    def ct_call(self, c: cython.int, F: cython.int, to: cython.int, cond: cython.bint,
                nxt: cython.int) -> cython.void:
        """user_exit (to=CT_KERNEL) or user_enter (to=CT_USER) if cond, then go on at nxt.

        context_tracking_recursion_enter(): with the guard, a call made while another is in
        progress on this CPU returns at once (aed5ed47724f)."""
        C: cython.int = self.cpu(c)
        if self.v_ct_windows != CT_WIN_OLD:
            if cond:
                self.ct_set(c, to)
            self.S[F + F_PHASE] = nxt
            return
        # old: the read step; local_irq_save.  context_tracking_user_exit/enter() of that era
        # also return at once when in_interrupt() (04421fe2671c).
        if self.S[C + C_HARDIRQ] + self.S[C + C_SOFTIRQ] + self.S[C + C_NMI] > 0:
            cond = False
        if not cond:
            # exception_enter() makes no call when prev is KERNEL; a call in_interrupt()
            # returns before local_irq_save(): either way a single step
            self.S[F + F_PHASE] = nxt
            return
        bail: cython.bint = self.v_ct_guard and self.S[C + C_CT_CALLS] > 0
        self.S[F + F_CT_IF] = self.S[C + C_IF]
        self.S[C + C_IF] = 0
        if not bail:
            self.S[C + C_CT_CALLS] += 1
            self.S[F + F_CT_READ] = 1 + to       # 1: to KERNEL, 2: to USER
        else:
            self.S[F + F_CT_READ] = 3            # the recursion guard bailed out
        self.S[F + F_CT_NEXT] = nxt
        self.S[F + F_PHASE] = ST_CT_CHANGE

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_ct_change(self, c: cython.int, F: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        r: cython.int = self.S[F + F_CT_READ]
        if r == 1 or r == 2:
            self.S[C + C_CT_CALLS] -= 1
            self.ct_set(c, CT_KERNEL if r == 1 else CT_USER)
        self.S[F + F_CT_READ] = 0
        self.S[C + C_IF] = self.S[F + F_CT_IF]          # local_irq_restore
        self.S[F + F_PHASE] = self.S[F + F_CT_NEXT]

    @cython.cfunc
    @cython.exceptval(check=False)
    def soft_prev(self, c: cython.int, F: cython.int) -> cython.bint:
        """Soft tracking (exception_enter): remember ct_state; user_exit iff it was USER."""
        prev: cython.int = self.S[self.cpu(c) + C_CT]
        self.S[F + F_CT_PREV] = prev
        return prev == CT_USER

    # ----------------------------------------------------------------------------------------
    # Frame steps (Appendix A.1 - A.4)

    @cython.cfunc
    @cython.exceptval(check=False)
    def frame_step(self, c: cython.int, st: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        seq: cython.int = self.S[F + F_SEQ]
        kind: cython.int = self.S[F + F_KIND]
        old: cython.bint = self.v_ct_windows == CT_WIN_OLD
        if st == ST_SWAPGS:
            # A.1 (1), A.2 (1): swapgs to the kernel GS
            self.S[C + C_GS_USER] = 0
            if seq == SEQ_SYSCALL and self.v_ct_windows != CT_WIN_CLOSED:
                self.S[F + F_PHASE] = ST_OLD_IRQ_ENABLE
            elif seq == SEQ_USER and self.v_pks == PKS_EARLY_SAVE:
                self.S[F + F_PHASE] = ST_PKS_SAVE
            else:
                self.S[F + F_PHASE] = ST_USER_EXIT
        elif st == ST_OLD_IRQ_ENABLE:
            # old syscall entry (and do_fast_syscall_32 before 9999c8c01f34): IRQs on early
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = ST_GET_USER
        elif st == ST_GET_USER:
            # do_fast_syscall_32: get_user() of the vDSO-saved EBP, before user_exit
            self.S[F + F_PHASE] = ST_USER_EXIT
        elif st == ST_USER_EXIT:
            # enter_from_user_mode() / irqentry_enter_from_user_mode(): user_exit_irqoff()
            if seq == SEQ_SYSCALL:
                # the old entry has no separate instrumentation_begin: the body follows
                self.ct_call(c, F, CT_KERNEL, True, PH_BODY if old else ST_SYSCALL_IRQ_ENABLE)
            else:
                cond: cython.bint = True
                if self.v_ct_decide != CT_DECIDE_CS:
                    cond = self.soft_prev(c, F)
                self.ct_call(c, F, CT_KERNEL, cond,
                             ST_ENTRY_BY_KIND if self.v_pks == PKS_EARLY_SAVE else ST_PKS_SAVE)
        elif st == ST_CT_CHANGE:
            self.st_ct_change(c, F)
        elif st == ST_GP_FIXUP:
            self.st_gp_fixup_v1(c, t, F)
        elif st == ST_SYSCALL_IRQ_ENABLE:
            # A.1 (3): instrumentation_begin(); local_irq_enable()
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = PH_BODY
            self.enter_body(c, F)
        elif st == ST_IRQENTRY_KERNEL:
            self.st_irqentry_kernel(c, t, F)
        elif st == ST_PKS_SAVE:
            if self.st_pks_save(c, t, F):
                self.S[F + F_PHASE] = ST_PKS_SAVE2
            else:
                self.after_pks_save(c, F)
        elif st == ST_PKS_SAVE2:
            self.st_pks_stack_bump(c, t, F)
            self.after_pks_save(c, F)
        elif st == ST_ENTRY_BY_KIND:
            self.st_entry_by_kind(c, t, F)
        elif st == ST_NMI_SWAPGS:
            # paranoid_entry: swapgs iff GSBASE is the user's (read by RDMSR, not from CS)
            if self.S[C + C_GS_USER]:
                self.S[C + C_GS_USER] = 0
                self.S[F + F_GS_SWAPPED] = 1
            self.S[F + F_PHASE] = ST_NMI_ENTER
        elif st == ST_NMI_ENTER:
            # irqentry_nmi_enter(): __nmi_enter(); rcu_nmi_enter() (ct_nmi_enter)
            self.S[C + C_NMI] += 1
            self.S[C + C_RCU_NMI] += 1
            self.S[F + F_PHASE] = ST_PKS_SAVE
        elif st == ST_IRQ_EXIT:
            self.st_irq_exit(c, F)
        elif st == ST_SOFTIRQ_END:
            self.st_softirq_end(c, F)
        elif st == ST_SOFTIRQ_RETURN:
            # do_softirq(): local_irq_restore(); back in local_bh_enable():
            # preempt_check_resched()
            self.pop(c, t)
            self.frame_popped(c, t, F)
            self.preempt_point(c)
        elif st == ST_PF_FIXUP:
            self.st_pf_fixup(c, t, F)
        elif st == ST_PF_PKUERR:
            # bad_area_access_error() -> force_sig_pkuerr(): SIGSEGV (SEGV_PKUERR), delivered
            # on this #PF's exit (arch/x86/mm/fault.c)
            self.S[F + F_SIGSEGV] = 1
            self.S[F + F_PHASE] = ST_PKS_RESTORE
        elif st == ST_NOTIFY_RESUME:
            self.st_notify_resume(c, t, F)
        elif st == ST_PREEMPT_IRQ_ENABLE:
            # preempt_schedule_irq(): preempt_disable(); local_irq_enable() -- an irq may be
            # taken here; its exit does not preempt, its softirqs may run
            self.S[C + C_PREEMPT] += 1
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = ST_PREEMPT_SCHEDULE
        elif st == ST_PREEMPT_SCHEDULE:
            # ... __schedule(SM_PREEMPT) (IRQs off inside; the count is the switch's own, as
            # for every schedule() here); back with IRQs off, need_resched clear, go on
            self.S[C + C_PREEMPT] -= 1
            self.start_switch(c, -1, TS_RUNNABLE,
                              ST_SOFT_USER_ENTER if self.v_ct_decide == CT_DECIDE_SOFT
                              else ST_IRET, 0)
            self.switch_step(c, SW_PICK)
        elif st == ST_PKS_RESTORE:
            # irqentry_exit() runs with IRQs off (handle_page_fault: local_irq_disable())
            self.S[C + C_IF] = 0
            self.st_pks_restore(c, t, F)
            if seq == SEQ_USER:
                self.S[F + F_PHASE] = ST_OLD_WORK if old else ST_EXIT_LOOP
            elif seq == SEQ_KERNEL:
                self.S[F + F_PHASE] = ST_IRQENTRY_EXIT_KERNEL
            else:
                self.S[F + F_PHASE] = ST_NMI_EXIT
        elif st == ST_EXIT_PREPARE:
            # syscall_exit_to_user_mode_prepare(); local_irq_disable_exit_to_user()
            self.S[C + C_IF] = 0
            self.S[F + F_PHASE] = ST_EXIT_LOOP
        elif st == ST_EXIT_LOOP:
            self.st_exit_loop(c, t, F)
        elif st == ST_EXIT_SCHEDULE:
            # exit_to_user_mode_loop(): schedule() -- this step is the switch's __schedule()
            # (A.5 (0)); it returns with IRQs on, back to the loop check
            self.note_schedule(c)
            self.start_switch(c, -1, TS_RUNNABLE, ST_OLD_WORK if old else ST_EXIT_LOOP, 1)
            self.switch_step(c, SW_PICK)
        elif st == ST_EXIT_FPU:
            self.st_exit_fpu(c, t, F)
            self.S[F + F_PHASE] = ST_SWAPGS_EXIT if old else ST_USER_ENTER
        elif st == ST_USER_ENTER:
            # exit_to_user_mode(): user_enter_irqoff()
            cond = True
            if seq == SEQ_USER and self.v_ct_decide == CT_DECIDE_SOFT:
                cond = self.S[F + F_CT_PREV] == CT_USER
            self.ct_call(c, F, CT_USER, cond, ST_SWAPGS_EXIT)
        elif st == ST_SWAPGS_EXIT:
            self.S[C + C_GS_USER] = 1
            self.S[F + F_PHASE] = ST_SYSRET
        elif st == ST_SYSRET:
            # sysret / iret to user: the return-to-user point
            self.pop(c, t)
            self.frame_popped(c, t, F)
            self.returned_to_user(c, t, F)
        elif st == ST_OLD_WORK:
            self.st_old_work(c, t, F)
        elif st == ST_OLD_USER_ENTER:
            cond = True
            if seq == SEQ_USER and self.v_ct_decide == CT_DECIDE_SOFT:
                cond = self.S[F + F_CT_PREV] == CT_USER
            self.ct_call(c, F, CT_USER, cond, ST_OLD_IRQ_DISABLE)
        elif st == ST_OLD_IRQ_DISABLE:
            self.S[C + C_IF] = 0
            self.S[F + F_PHASE] = ST_OLD_RECHECK
        elif st == ST_OLD_RECHECK:
            # old asm exit: re-check the work flags with IRQs off
            if (self.S[C + C_NEED_RESCHED] or self.S[T + T_SIGPENDING] or self.S[F + F_SIGSEGV]
                    or self.S[T + T_NOTIFY_RESUME]):
                self.S[C + C_IF] = 1
                self.S[F + F_PHASE] = ST_OLD_USER_EXIT
            else:
                self.S[F + F_PHASE] = ST_EXIT_FPU
        elif st == ST_OLD_USER_EXIT:
            self.ct_call(c, F, CT_KERNEL, True, ST_OLD_WORK)
        elif st == ST_IRQENTRY_EXIT_KERNEL:
            self.st_irqentry_exit_kernel(c, t, F)
        elif st == ST_SOFT_USER_ENTER:
            # exception_exit(prev_ctx): back to the saved state on the CPU it now runs on
            self.ct_call(c, F, CT_USER, self.S[F + F_CT_PREV] == CT_USER, ST_IRET)
        elif st == ST_IRET:
            self.pop(c, t)
            self.frame_popped(c, t, F)
        elif st == ST_NMI_EXIT:
            # irqentry_nmi_exit(): rcu_nmi_exit(); __nmi_exit()
            self.S[C + C_RCU_NMI] -= 1
            self.S[C + C_NMI] -= 1
            self.S[F + F_PHASE] = ST_NMI_SWAPGS_EXIT
        elif st == ST_NMI_SWAPGS_EXIT:
            if self.S[F + F_GS_SWAPPED]:
                self.S[C + C_GS_USER] = 1
            self.S[F + F_PHASE] = ST_NMI_IRET
        elif st == ST_NMI_IRET:
            self.pop(c, t)
            self.frame_popped(c, t, F)
            if self.S[F + F_KIND] == FK_NMI:
                latched: cython.bint = self.S[C + C_NMI_STATE] == NMI_LATCHED
                self.S[C + C_NMI_STATE] = NMI_NOT_RUNNING
                if latched:
                    # exc_nmi: nmi_restart -- the latched NMI runs right after the iret
                    self.push(c, FK_NMI)
        elif st >= ST_SIG_PREPARE_PKRU and st <= ST_SIG_MARK_ACTIVATE:
            self.signal_step(c, t, F, st)

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_irqentry_kernel(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A.3 (1) irqentry_enter(), kernel path (kernel/entry/common.c)."""
        C: cython.int = self.cpu(c)
        kind: cython.int = self.S[F + F_KIND]
        T: cython.int = self.task(t)
        # "Checking for rcu_is_watching() here would prevent the nesting interrupt to invoke
        # rcu_irq_enter()": in idle it is unconditional.
        if self.S[T + T_KIND] == K_IDLE:
            self.S[C + C_RCU_IRQ] += 1
            self.S[F + F_EXIT_RCU] = 1
        elif self.v_ct_old_irq and kind == FK_IRQ:
            # old irq_enter(): rcu_irq_enter() around every irq from kernel
            self.S[C + C_RCU_IRQ] += 1
            self.S[F + F_RCU_IRQ] = 1
        nxt: cython.int = ST_ENTRY_BY_KIND if self.v_pks == PKS_EARLY_SAVE else ST_PKS_SAVE
        if self.v_ct_decide != CT_DECIDE_CS:
            # exception_enter(): soft tracking leaves USER whatever CS says
            self.ct_call(c, F, CT_KERNEL, self.soft_prev(c, F), nxt)
        else:
            self.S[F + F_PHASE] = nxt

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_entry_by_kind(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A.2 (4) / A.3 (3): the handler's own first step."""
        C: cython.int = self.cpu(c)
        kind: cython.int = self.S[F + F_KIND]
        if kind == FK_PF:
            fixup: cython.int = self.S[F + F_FIXUP]
            if fixup == PF_FIXUP:
                # faulthandler_disabled(): bad_area_nosemaphore() before any
                # local_irq_enable(): the fixup runs with IRQs off, and no body
                self.S[F + F_PHASE] = ST_PF_FIXUP
                return
            # do_user_addr_fault(): local_irq_enable() from user, or if the interrupted
            # kernel context had IF=1
            self.S[C + C_IF] = 1 if self.S[F + F_FROM_USER] else self.S[F + F_IRQ_IF]
            if fixup == PF_PKUERR:
                self.S[F + F_PHASE] = ST_PF_PKUERR
                return
        elif kind == FK_GP:
            if self.v_pasid == PASID_V1 or self.v_pasid == PASID_MEM_NOINVAL:
                # v1 (2021-09): cond_local_irq_enable() first, the fixup is a later step
                self.S[C + C_IF] = self.S[F + F_IRQ_IF]
                self.S[F + F_PHASE] = ST_GP_FIXUP
                return
            # exc_general_protection(): `if (user_mode(regs) && try_fixup_enqcmd_gp())
            # return;` with IRQs off (A.8), else cond_local_irq_enable() and SIGSEGV.  Before
            # fa6af69f38d3 (v5.18, pasid=ipi's era) there was no fixup: ENQCMD's #GP was a
            # SIGSEGV.
            if self.v_pasid == PASID_IPI or not self.try_fixup_enqcmd_gp(c, t):
                self.S[C + C_IF] = self.S[F + F_IRQ_IF]
                self.gp_sigsegv(t, F)
        elif kind == FK_MCE and self.S[F + F_FROM_USER]:
            # exc_machine_check_user() -> do_machine_check(): IRQs stay off to its end
            # (5567d11c21a1); the recovery, kill_me_maybe(), is queued as task work and runs
            # with IRQs on in the exit loop (queue_task_work(): TIF_NOTIFY_RESUME)
            T: cython.int = self.task(t)
            self.S[T + T_MCE_WORK] = 1
            self.S[T + T_NOTIFY_RESUME] = 1
        elif kind == FK_IRQ:
            # irq_enter_rcu(): hardirq count +1; the handler runs with IRQs off
            self.S[C + C_HARDIRQ] += 1
            if self.S[F + F_IRQ_KIND] == IRQ_TIMER:
                self.S[C + C_NEED_RESCHED] = 1   # the tick's scheduler_tick() -> resched_curr()
            elif self.S[F + F_IRQ_KIND] == IRQ_IPI:
                self.update_pasid(c, t)
        elif kind == FK_VMALLOC:
            pass                            # vmalloc_fault(): noinstr, IF stays 0
        else:
            # #DB / #BP from user: interrupt-like, IRQs on (exc_debug_user(): "It's safe to
            # allow irq's after DR6 has been saved"; do_int3_user(): cond_local_irq_enable())
            self.S[C + C_IF] = 1
        self.S[F + F_PHASE] = PH_BODY
        self.enter_body(c, F)

    @cython.cfunc
    @cython.exceptval(check=False)
    def gp_sigsegv(self, t: cython.int, F: cython.int) -> cython.void:
        """The #GP is not a PASID fault: SIGSEGV.  pasid_lost: never for an ENQCMD issued
        while the mm had a PASID (its L.pasid is active).
        A task whose pasid_activated was set in an earlier mm (v6.8 resets it in
        dup_task_struct() only, not in exec) is the known kernel finding the README
        describes: labelled (G_KERNEL_FINDING), never hidden."""
        T: cython.int = self.task(t)
        self.S[F + F_SIGSEGV] = 1
        if self.S[F + F_ENQCMD_PASID]:
            if self.S[T + T_PASID_ACT_EXEC] and not (self.ignore_mask >> O_PASID_LOST) & 1:
                self.S[G_KERNEL_FINDING] = KF_EXEC_PASID_ACTIVATED
            self.fail(O_PASID_LOST, 0, 1)

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_gp_fixup_v1(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """[PATCH 4/8] x86/traps: Demand-populate PASID MSR via #GP (2021-09), after IRQs are
        on, under fpregs_lock(): fpu__pasid_write() writes the MSR when
        !TIF_NEED_FPU_LOAD || fpregs_state_valid, else the memory image (kernel-notes 1c).
        pasid=mem_noinval writes memory whenever TIF_NEED_FPU_LOAD, without zapping last_cpu."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        pasid: cython.int = self.mm_pasid(t)
        self.S[F + F_PHASE] = PH_BODY
        if pasid < 0 or self.S[T + T_PASID_ACT]:
            self.gp_sigsegv(t, F)
            self.enter_body(c, F)
            return
        regs: cython.bint = not self.S[T + T_NEED_FPU_LOAD]
        if self.v_pasid == PASID_V1 and self.fpregs_state_valid(c, t):
            regs = True
        if regs:
            self.S[C + C_PASID] = pasid
        else:
            self.S[T + T_FPS_PASID] = pasid
            self.S[T + T_FPS_PASID_BV] = 1
        self.S[T + T_PASID_ACT] = 1                 # has_valid_pasid
        self.enter_body(c, F)

    @cython.cfunc
    @cython.exceptval(check=False)
    def update_pasid(self, c: cython.int, t: cython.int) -> cython.void:
        """pasid=ipi (20f0afd1fb3d, removed by 9bfecd058339): update_pasid(), from the bind's
        IPI (whatever it interrupted) and from switch_fpu_finish(): `if (!current->mm)
        return;` with TIF_NEED_FPU_LOAD clear, WRMSR; else the memory image, and when that
        changes it, `__fpu_invalidate_fpregs_state(fpu)` (last_cpu = -1) -- with no
        fpregs_lock() ("No need to hold fregs_lock() since the task's fpstate won't be
        changed by others").  Bug #11 is this landing inside a multi-step FPU sequence."""
        T: cython.int = self.task(t)
        if self.S[T + T_MM] < 0:
            return
        pasid: cython.int = self.mm_pasid(t)
        if not self.S[T + T_NEED_FPU_LOAD]:
            self.S[self.cpu(c) + C_PASID] = pasid
        elif self.image_pasid(t) != pasid:
            self.S[T + T_FPS_PASID] = pasid
            self.S[T + T_FPS_PASID_BV] = 1 if pasid >= 0 else 0
            self.S[T + T_LAST_CPU] = -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def try_fixup_enqcmd_gp(self, c: cython.int, t: cython.int) -> cython.bint:
        """A.8 (pasid=final, arch/x86/kernel/traps.c): load the mm's PASID on demand."""
        T: cython.int = self.task(t)
        mm: cython.int = self.S[T + T_MM]
        if mm < 0 or self.S[MM_BASE + mm * MM_SIZE + MM_PASID] < 0 or self.S[T + T_PASID_ACT]:
            return False
        self.S[self.cpu(c) + C_PASID] = self.S[MM_BASE + mm * MM_SIZE + MM_PASID]
        self.S[T + T_PASID_ACT] = 1
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_pf_fixup(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """do_user_addr_fault(): `if (unlikely(faulthandler_disabled() || !mm))
        bad_area_nosemaphore()` -> kernelmode_fixup_or_oops(): the exception table redirects
        the access, which fails; no body runs (arch/x86/mm/fault.c).  A pagefault_disable()d
        step it hit takes its failure path when it runs (F_UFAULT)."""
        below: cython.int = F - FRAME_SIZE
        st: cython.int = self.S[below + F_PHASE]
        if self.S[below + F_BODYOP] != BOP_NONE:
            st = self.S[below + F_BODYOP_STEP]
        if self.S[F + F_FROM_USER] == 0 and self.step_flags[st] & SF_UMEM_NOPF:
            self.S[below + F_UFAULT] = 1
        self.S[F + F_PHASE] = ST_PKS_RESTORE

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_notify_resume(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """exit_to_user_mode_loop(): _TIF_NOTIFY_RESUME -> resume_user_mode_work():
        task_work_run() (a user #MC's kill_me_maybe(): SIGBUS) and rseq_handle_notify_resume()
        (user memory, page faults enabled: a #PF here may sleep).  Back to the loop check."""
        T: cython.int = self.task(t)
        self.S[T + T_NOTIFY_RESUME] = 0
        if self.S[T + T_MCE_WORK]:
            self.S[T + T_MCE_WORK] = 0
            self.S[F + F_SIGSEGV] = 1            # kill_me_maybe(): force_sig(SIGBUS)
        self.S[F + F_PHASE] = ST_OLD_WORK if self.v_ct_windows == CT_WIN_OLD else ST_EXIT_LOOP

    @cython.cfunc
    @cython.exceptval(check=False)
    def enter_body(self, c: cython.int, F: cython.int) -> cython.void:
        """A handler body starts (a softirq run included): pks_handler_init.  Not for a
        syscall, nor for softirqs run by local_bh_enable() (no exception entry: nothing
        resets PKRS there)."""
        if self.S[F + F_KIND] != FK_SYSCALL and self.S[F + F_KIND] != FK_SOFTIRQ:
            if self.S[self.cpu(c) + C_PKRS] != PKS_INIT:
                self.fail(O_PKS_HANDLER_INIT, PKS_INIT, self.S[self.cpu(c) + C_PKRS])

    @cython.cfunc
    @cython.exceptval(check=False)
    def pks_saves(self, F: cython.int) -> cython.bint:
        """Whether the design saves PKS state on this frame at all."""
        kind: cython.int = self.S[F + F_KIND]
        if self.v_pks == PKS_IDTENTRY_ONLY:
            # RFC V2 hooked idtentry_enter() only: #MC, NMI, #DB, #BP bypass it (R4)
            return not (kind == FK_NMI or kind == FK_MCE or kind == FK_DB or kind == FK_BP)
        if self.v_pks == PKS_V9 and self.S[F + F_FROM_USER]:
            # V9: user-mode #DB/#MC/#BP call irqentry_enter_from_user_mode() directly
            return not (kind == FK_MCE or kind == FK_DB or kind == FK_BP)
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_pks_save(self, c: cython.int, t: cython.int, F: cython.int) -> cython.bint:
        """The PKS save at entry (pks_save_pt_regs(), kernel-notes 1d "Final design" 5, and
        the rejected designs R1-R5).  Returns True when a second step (stack7's bump) follows.

        ptregs: the frame records the MSR (pkrs_cache), thread.pkrs and the refcount, then
        the handler gets thread.pkrs = PKS_INIT, refcount 0, MSR = PKS_INIT."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if not self.pks_saves(F):
            return False
        msr: cython.int = self.S[C + C_PKRS_CACHE]
        tp: cython.int = self.S[T + T_THREAD_PKRS]
        ref: cython.int = self.S[T + T_PKS_REF]
        self.S[F + F_PKS_SAVED] = 1
        v: cython.int = self.v_pks
        if v == PKS_V9:
            # aux.pkrs = current->thread.pkrs; pks_write_pkrs(PKS_INIT): no reset of
            # thread.pkrs, the refcount neither saved nor reset (H3, P5)
            self.S[F + F_SAVE_TPKRS] = tp
            self.pks_write_pkrs(c, PKS_INIT)
            return False
        if v == PKS_BYVALUE:
            # idt_save_pkrs(idtentry_state_t state): the caller's copy stays zero (R1)
            msr = 0
            tp = 0
            ref = 0
        if v == PKS_PERCPU:
            self.S[C + C_PKS_SLOT_PKRS] = msr
            self.S[C + C_PKS_SLOT_TPKRS] = tp
            self.S[C + C_PKS_SLOT_REF] = ref
        elif v == PKS_THREAD_SLOT:
            self.S[T + T_PKS_SLOT_PKRS] = msr
            self.S[T + T_PKS_SLOT_TPKRS] = tp
            self.S[T + T_PKS_SLOT_REF] = ref
        elif v == PKS_STACK7:
            # push: store at stack[idx] ... then bump the index (a second step)
            idx: cython.int = self.S[T + T_PKS_IDX]
            self.S[F + F_PKS_SAVED] = 0     # the save is complete only after the bump
            if idx >= PKS_STACK_DEPTH:
                self.fail(O_PKS_DEPTH, PKS_STACK_DEPTH, idx + 1)
                return True
            G: cython.int = T + T_PKS_STACK + 3 * idx
            self.S[G] = msr
            self.S[G + 1] = tp
            self.S[G + 2] = ref
            return True
        else:
            self.S[F + F_SAVE_PKRS] = msr
            self.S[F + F_SAVE_TPKRS] = tp
            self.S[F + F_SAVE_REF] = ref
        self.pks_reset_for_handler(c, t)
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def pks_reset_for_handler(self, c: cython.int, t: cython.int) -> cython.void:
        T: cython.int = self.task(t)
        self.S[T + T_THREAD_PKRS] = PKS_INIT
        self.S[T + T_PKS_REF] = 0
        self.pks_write_pkrs(c, PKS_INIT)

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_pks_stack_bump(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """pks=stack7, the push's second step: idx++, then the handler's fresh PKRS."""
        T: cython.int = self.task(t)
        if self.S[T + T_PKS_IDX] < PKS_STACK_DEPTH:
            self.S[T + T_PKS_IDX] += 1
        self.S[F + F_PKS_SAVED] = 1
        self.pks_reset_for_handler(c, t)

    @cython.cfunc
    @cython.exceptval(check=False)
    def after_pks_save(self, c: cython.int, F: cython.int) -> cython.void:
        seq: cython.int = self.S[F + F_SEQ]
        if seq == SEQ_NMI:
            self.S[F + F_PHASE] = PH_BODY      # A.4: the save is irqentry_nmi_enter's last step
            self.enter_body(c, F)
        elif self.v_pks == PKS_EARLY_SAVE:
            self.S[F + F_PHASE] = ST_USER_EXIT if seq == SEQ_USER else ST_IRQENTRY_KERNEL
        else:
            self.S[F + F_PHASE] = ST_ENTRY_BY_KIND

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_pks_restore(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """The PKS restore, first step of irqentry_exit()/irqentry_nmi_exit()
        (pks_restore_pt_regs()): thread.pkrs, refcount and MSR from the save."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if self.S[F + F_PKS_SAVED] != 1:
            return
        self.S[F + F_PKS_SAVED] = 2
        self.pks_restore_from_save(c, t, F)
        self.check_pks_restore(c, t, F)

    @cython.cfunc
    @cython.exceptval(check=False)
    def pks_restore_from_save(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        v: cython.int = self.v_pks
        if v == PKS_V9:
            # current->thread.pkrs = aux.pkrs; pks_write_pkrs(current->thread.pkrs)
            self.S[T + T_THREAD_PKRS] = self.S[F + F_SAVE_TPKRS]
            self.pks_write_pkrs(c, self.S[T + T_THREAD_PKRS])
            return
        G: cython.int = F + F_SAVE_PKRS
        if v == PKS_PERCPU:
            G = C + C_PKS_SLOT_PKRS            # the slot of the CPU it runs on now (R2)
        elif v == PKS_THREAD_SLOT:
            G = T + T_PKS_SLOT_PKRS
        elif v == PKS_STACK7:
            if self.S[T + T_PKS_IDX] > 0:
                self.S[T + T_PKS_IDX] -= 1
            G = T + T_PKS_STACK + 3 * self.S[T + T_PKS_IDX]
        self.S[T + T_THREAD_PKRS] = self.S[G + 1]
        self.S[T + T_PKS_REF] = self.S[G + 2]
        self.pks_write_pkrs(c, self.S[G])

    @cython.cfunc
    @cython.exceptval(check=False)
    def pks_write_pkrs(self, c: cython.int, v: cython.int) -> cython.void:
        """pks_write_pkrs(): WRMSR only when the per-CPU cache differs."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_PKRS_CACHE] != v:
            self.S[C + C_PKRS_CACHE] = v
            self.S[C + C_PKRS] = v

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_irq_exit(self, c: cython.int, F: cython.int) -> cython.void:
        """A.2/A.3 exit (1): irq_exit_rcu(): hardirq -1; run softirqs if raised and not
        already in interrupt context (invoke_softirq())."""
        C: cython.int = self.cpu(c)
        self.S[C + C_HARDIRQ] -= 1
        if self.S[C + C_SOFTIRQ_PENDING] and not self.in_interrupt(c):
            self.S[C + C_SOFTIRQ_PENDING] = 0
            self.S[F + F_SOFTIRQ] = 1
            self.S[C + C_SOFTIRQ] += 1
            self.S[C + C_IF] = 1                 # __do_softirq(): local_irq_enable()
            self.S[F + F_PHASE] = PH_BODY
            self.enter_body(c, F)
        else:
            # in interrupt context (an irq that hit a softirq run or a BH-disabled region):
            # they stay pending, for that run's restart or for local_bh_enable()
            self.S[F + F_PHASE] = ST_PKS_RESTORE

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_softirq_end(self, c: cython.int, F: cython.int) -> cython.void:
        """The end of a softirq run (__do_softirq()): softirqs raised meanwhile restart it
        (`if (pending) ... goto restart`); else softirq count -1, IRQs off, and the irq's exit
        goes on (A.7), or do_softirq() returns into local_bh_enable()."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_SOFTIRQ_PENDING]:
            self.S[C + C_SOFTIRQ_PENDING] = 0
            self.S[F + F_PHASE] = PH_BODY
            self.S[C + C_IF] = 1
            self.enter_body(c, F)
            return
        self.S[C + C_SOFTIRQ] -= 1
        self.S[C + C_IF] = 0
        self.S[F + F_SOFTIRQ] = 0
        if self.S[F + F_KIND] == FK_SOFTIRQ:
            self.S[F + F_PHASE] = ST_SOFTIRQ_RETURN
        else:
            self.S[F + F_PHASE] = ST_PKS_RESTORE

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_exit_loop(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A.1 exit (2): exit_to_user_mode_loop() work check (kernel/entry/common.c)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if self.S[C + C_NEED_RESCHED]:
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = ST_EXIT_SCHEDULE
        elif self.S[T + T_MCE_WORK] or (self.S[T + T_NOTIFY_RESUME]
                                        and not self.signal_deliverable(t, F)):
            # get_signal() runs task_work_run() before dequeuing: task work first
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = ST_NOTIFY_RESUME
        elif self.signal_deliverable(t, F):
            self.S[C + C_IF] = 1
            self.S[F + F_PHASE] = ST_SIG_PREPARE_PKRU
        else:
            self.S[C + C_IF] = 0
            self.S[F + F_PHASE] = ST_EXIT_FPU

    @cython.cfunc
    @cython.exceptval(check=False)
    def signal_deliverable(self, t: cython.int, F: cython.int) -> cython.bint:
        """A signal is pending.  With MAX_SIG frames already on the user stack it is dropped
        (the model's bound on nested handlers)."""
        T: cython.int = self.task(t)
        if not (self.S[T + T_SIGPENDING] or self.S[F + F_SIGSEGV]):
            return False
        if self.S[T + T_NSIG] >= MAX_SIG:
            self.S[T + T_SIGPENDING] = 0
            self.S[F + F_SIGSEGV] = 0
            return False
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_old_work(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """Old exit work, IRQs on: schedule and signals only (TIF_NEED_FPU_LOAD is not work)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        self.S[C + C_IF] = 1
        if self.S[C + C_NEED_RESCHED]:
            self.S[F + F_PHASE] = ST_EXIT_SCHEDULE
        elif self.S[T + T_MCE_WORK] or (self.S[T + T_NOTIFY_RESUME]
                                        and not self.signal_deliverable(t, F)):
            self.S[F + F_PHASE] = ST_NOTIFY_RESUME
        elif self.signal_deliverable(t, F):
            self.S[F + F_PHASE] = ST_SIG_PREPARE_PKRU
        else:
            self.S[F + F_PHASE] = ST_OLD_USER_ENTER

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_exit_fpu(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A.1 exit (3) arch_exit_to_user_mode_prepare(): switch_fpu_return()."""
        T: cython.int = self.task(t)
        if self.S[T + T_NEED_FPU_LOAD]:
            self.fpregs_restore_userregs(c, t)

    @cython.cfunc
    @cython.exceptval(check=False)
    def fpregs_restore_userregs(self, c: cython.int, t: cython.int) -> cython.void:
        """arch/x86/kernel/fpu/context.h fpregs_restore_userregs() as one step, where IRQs are
        off (the exit to user): the XRSTOR, then the activation.  Under fpregs_lock() with
        IRQs on (signal delivery, fpu_clone()) its two halves are steps of their own, so that
        an interrupt can land between them."""
        self.fpregs_restore_xrstor(c, t)
        self.fpregs_mark_activate(c, t)

    @cython.cfunc
    @cython.exceptval(check=False)
    def fpregs_restore_xrstor(self, c: cython.int, t: cython.int) -> cython.void:
        """fpregs_restore_userregs()'s `if (!fpregs_state_valid(fpu, cpu))
        restore_fpregs_from_fpstate(...)`: XRSTOR from fpstate; PKRU is excluded under
        pkru=thread (30a304a13873)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if not self.fpregs_state_valid(c, t):
            self.S[C + C_FPU] = self.S[T + T_FPS_FPU]
            self.S[C + C_PASID] = self.image_pasid(t)
            if self.pkru_in_xsave():
                self.xrstor_pkru(c, self.S[T + T_FPS_PKRU], self.S[T + T_FPS_PKRU_BV])

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def fpregs_state_valid(self, c: cython.int, t: cython.int) -> cython.bint:
        """fpu == fpu_fpregs_owner_ctx && cpu == fpu->last_cpu (fpu/context.h)."""
        return self.S[self.cpu(c) + C_OWNER] == t and self.S[self.task(t) + T_LAST_CPU] == c

    @cython.cfunc
    @cython.exceptval(check=False)
    def fpregs_mark_activate(self, c: cython.int, t: cython.int) -> cython.void:
        """fpregs_activate() + last_cpu + clear TIF_NEED_FPU_LOAD (fpu/core.c)."""
        self.S[self.cpu(c) + C_OWNER] = t
        self.S[self.task(t) + T_LAST_CPU] = c
        self.S[self.task(t) + T_NEED_FPU_LOAD] = 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def pkru_in_xsave(self) -> cython.bint:
        """Before 5.14 PKRU was an XSAVE component the kernel's XRSTORs loaded."""
        return (self.v_pkru == PKRU_XSAVE or self.v_pkru == PKRU_WRITE_PKRU_IMAGE
                or self.v_pkru == PKRU_KTHREAD_MM)

    @cython.cfunc
    @cython.exceptval(check=False)
    def wrpkru(self, c: cython.int, v: cython.int) -> cython.void:
        """WRPKRU: sets XINUSE[PKRU], except that AMD's init tracker marks PKRU init after a
        WRPKRU of 0 (SPEC 1.6, bug #6/#15)."""
        C: cython.int = self.cpu(c)
        self.S[C + C_PKRU] = v
        self.S[C + C_XINUSE_PKRU] = 0 if (v == 0 and self.S[G_VENDOR] == 1) else 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def xrstor_pkru(self, c: cython.int, v: cython.int, bv: cython.int) -> cython.void:
        """XRSTOR of a PKRU component: a clear XSTATE_BV bit loads the hardware init value 0."""
        C: cython.int = self.cpu(c)
        self.S[C + C_PKRU] = v if bv else 0
        self.S[C + C_XINUSE_PKRU] = 1 if bv else 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def xsave(self, c: cython.int, t: cython.int) -> cython.void:
        """save_fpregs_to_fpstate(): XSAVE the registers into t's image; XSTATE_BV[PKRU] is
        XINUSE[PKRU].  The registers keep their contents."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        self.S[T + T_FPS_FPU] = self.S[C + C_FPU]
        self.S[T + T_FPS_PASID] = self.S[C + C_PASID]
        self.S[T + T_FPS_PASID_BV] = 1 if self.S[C + C_PASID] >= 0 else 0
        self.S[T + T_FPS_PKRU] = self.S[C + C_PKRU]
        self.S[T + T_FPS_PKRU_BV] = self.S[C + C_XINUSE_PKRU]

    @cython.cfunc
    @cython.exceptval(check=False)
    def fpu_clear_user_states(self, c: cython.int, t: cython.int) -> cython.void:
        """fpu__clear_user_states(): init user state into the registers, pkru_write_default(),
        supervisor state (PASID) from fpstate if the registers are not valid, activate."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if not self.fpregs_state_valid(c, t):
            self.S[C + C_PASID] = self.image_pasid(t)
        self.S[C + C_FPU] = 0
        self.wrpkru(c, INIT_PKRU)
        self.fpregs_mark_activate(c, t)

    @cython.cfunc
    @cython.exceptval(check=False)
    def write_pkru(self, c: cython.int, t: cython.int, v: cython.int) -> cython.void:
        """write_pkru(): the kernel sets the current task's PKRU (pkey_alloc, ...).
        pkru=thread: WRPKRU if it differs (72a6c08c44e4).  Before 5.14 it also edited the
        XSAVE image, but only when the image had the component (get_xsave_addr() != NULL)."""
        T: cython.int = self.task(t)
        if self.pkru_in_xsave():
            if self.S[T + T_FPS_PKRU_BV]:
                self.S[T + T_FPS_PKRU] = v
            self.wrpkru(c, v)
        elif self.S[self.cpu(c) + C_PKRU] != v:
            self.wrpkru(c, v)

    @cython.cfunc
    @cython.exceptval(check=False)
    def returned_to_user(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """The return-to-user point (after sysret/iret to user): fpu_user, pkru_signal."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if self.S[C + C_FPU] != self.S[T + T_L_FPU]:
            self.fail(O_FPU_USER, self.S[T + T_L_FPU], self.S[C + C_FPU])
        elif self.S[T + T_L_PASID] and self.S[C + C_PASID] != self.mm_pasid(t):
            self.fail(O_FPU_USER, self.mm_pasid(t), self.S[C + C_PASID])
        chk: cython.int = self.S[F + F_SIG_CHECK]
        if chk == SIG_HANDLER and self.S[C + C_PKRU] != INIT_PKRU:
            self.fail(O_PKRU_SIGNAL, INIT_PKRU, self.S[C + C_PKRU])
        elif chk == SIG_RETURNED and self.S[C + C_PKRU] != self.S[F + F_SIG_EXPECT]:
            self.fail(O_PKRU_SIGNAL, self.S[F + F_SIG_EXPECT], self.S[C + C_PKRU])
        self.S[F + F_SIG_CHECK] = 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def image_pasid(self, t: cython.int) -> cython.int:
        """IA32_PASID as an XRSTOR(S) of t's fpstate loads it: a clear XSTATE_BV[PASID] bit
        loads the init value (no PASID, -1)."""
        T: cython.int = self.task(t)
        return self.S[T + T_FPS_PASID] if self.S[T + T_FPS_PASID_BV] else -1

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def mm_pasid(self, t: cython.int) -> cython.int:
        mm: cython.int = self.S[self.task(t) + T_MM]
        return self.S[MM_BASE + mm * MM_SIZE + MM_PASID] if mm >= 0 else -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def frame_popped(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A frame's exit is complete.  pks_restore was judged at its PKS restore step if it
        had one (so that it precedes what the restored state trips next); else here."""
        if self.S[F + F_PKS_SAVED] == 0:
            self.check_pks_restore(c, t, F)

    @cython.cfunc
    @cython.exceptval(check=False)
    def check_pks_restore(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """pks_restore: PKRS, thread.pkrs and the refcount equal their values at entry."""
        T: cython.int = self.task(t)
        if self.S[self.cpu(c) + C_PKRS] != self.S[F + F_ENTRY_PKRS]:
            self.fail(O_PKS_RESTORE, self.S[F + F_ENTRY_PKRS], self.S[self.cpu(c) + C_PKRS])
        elif self.S[T + T_THREAD_PKRS] != self.S[F + F_ENTRY_TPKRS]:
            self.fail(O_PKS_RESTORE, self.S[F + F_ENTRY_TPKRS], self.S[T + T_THREAD_PKRS])
        elif self.S[T + T_PKS_REF] != self.S[F + F_ENTRY_REF]:
            self.fail(O_PKS_RESTORE, self.S[F + F_ENTRY_REF], self.S[T + T_PKS_REF])

    @cython.cfunc
    @cython.exceptval(check=False)
    def st_irqentry_exit_kernel(self, c: cython.int, t: cython.int, F: cython.int) -> cython.void:
        """A.3 exit (3): irqentry_exit() to kernel: rcu_irq_exit() if it entered RCU (no
        preemption then); else irqentry_exit_cond_resched() when the interrupted IF=1."""
        C: cython.int = self.cpu(c)
        after: cython.int = ST_SOFT_USER_ENTER if self.v_ct_decide == CT_DECIDE_SOFT else ST_IRET
        if self.S[F + F_EXIT_RCU]:
            self.S[C + C_RCU_IRQ] -= 1
            self.S[F + F_EXIT_RCU] = 0
            self.S[F + F_PHASE] = after
            return
        if self.S[F + F_RCU_IRQ]:
            self.S[C + C_RCU_IRQ] -= 1           # old irq_exit(): rcu_irq_exit() before preemption
            self.S[F + F_RCU_IRQ] = 0
        if (self.S[F + F_IRQ_IF] == 1 and self.preempt_count(c) == 0 and self.S[C + C_NEED_RESCHED]
                and self.S[C + C_HARDIRQ] == 0):
            # irqentry_exit_cond_resched() -> preempt_schedule_irq(): its IRQs-on window,
            # then the switch; it resumes with the rest of the exit
            self.S[F + F_PHASE] = ST_PREEMPT_IRQ_ENABLE
        else:
            self.S[F + F_PHASE] = after

    @cython.cfunc
    @cython.exceptval(check=False)
    def signal_step(self, c: cython.int, t: cython.int, F: cython.int,
                    st: cython.int) -> cython.void:
        """A.6 signal delivery: handle_signal() -> setup_rt_frame() -> x64_setup_rt_frame() ->
        get_sigframe() -> copy_fpstate_to_sigframe() (arch/x86/kernel/signal.c,
        signal_64.c, fpu/signal.c), then fpu__clear_user_states() (fpu/core.c)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        n: cython.int = self.S[T + T_NSIG]
        G: cython.int = T + T_SIGFRAMES + (n - 1) * SIG_SIZE
        if st == ST_SIG_PREPARE_PKRU:
            self.S[T + T_WINDOW] += 1
            self.S[F + F_SIG_PKRU] = self.S[C + C_PKRU]
            if not self.pkru_in_xsave() and self.v_pkru != PKRU_THREAD_NOFRAME:
                # sig_prepare_pkru() (70044df250d0): all keys on while the frame is written
                self.write_pkru(c, t, 0)
            self.S[F + F_PHASE] = ST_SIG_LOCK
        elif st == ST_SIG_LOCK:
            self.S[C + C_SOFTIRQ] += 1           # retry: fpregs_lock(): local_bh_disable()
            self.S[F + F_PHASE] = ST_SIG_RESTORE
        elif st == ST_SIG_RESTORE:
            # `if (test_thread_flag(TIF_NEED_FPU_LOAD)) fpregs_restore_userregs();`: the XRSTOR
            # here, the activation (IRQs are on) a step of its own
            if self.S[T + T_NEED_FPU_LOAD]:
                self.fpregs_restore_xrstor(c, t)
                self.S[F + F_PHASE] = ST_SIG_ACTIVATE
            else:
                self.S[F + F_PHASE] = ST_SIG_XSAVE
        elif st == ST_SIG_ACTIVATE:
            self.fpregs_mark_activate(c, t)
            self.S[F + F_PHASE] = ST_SIG_XSAVE
        elif st == ST_SIG_XSAVE:
            # pagefault_disable(); copy_fpregs_to_sigframe(): XSAVE straight to the user stack
            if self.S[F + F_UFAULT]:
                self.sig_copy_failed(F)
                return
            G = T + T_SIGFRAMES + n * SIG_SIZE
            self.S[T + T_NSIG] = n + 1
            self.S[G + 0] = self.S[C + C_FPU]
            self.S[G + 1] = self.S[C + C_PKRU]
            self.S[G + 2] = 0 if self.v_pkru == PKRU_THREAD_NOFRAME else self.S[C + C_XINUSE_PKRU]
            # update_pkru_in_sigframe() (70044df250d0) exists only where sig_prepare_pkru()
            # wrote 0 first: not before 5.14 (the XSAVE holds PKRU), nor in tglx's proposal
            self.S[F + F_PHASE] = (ST_SIG_UNLOCK if self.pkru_in_xsave()
                                   or self.v_pkru == PKRU_THREAD_NOFRAME else ST_SIG_UPDATE_PKRU)
        elif st == ST_SIG_UPDATE_PKRU:
            # xsave_to_user_sigframe() -> update_pkru_in_sigframe() (6a1853bdf178: inside the
            # fpregs_lock()/pagefault_disable() section): the kept PKRU into the frame;
            # ae6012d72fa6 also sets its XSTATE_BV bit (pkru=thread; not so in #15).  tglx's
            # noframe proposal keeps PKRU out.
            if self.S[F + F_UFAULT]:
                self.S[T + T_NSIG] = n - 1       # the frame is written again on the retry
                self.sig_copy_failed(F)
                return
            self.S[G + 1] = self.S[F + F_SIG_PKRU]
            if self.v_pkru == PKRU_THREAD:
                self.S[G + 2] = 1
            self.S[F + F_PHASE] = ST_SIG_UNLOCK
        elif st == ST_SIG_UNLOCK:
            # pagefault_enable(); fpregs_unlock(); on a fault: `if (!__clear_user(buf_fx,
            # fpstate->user_size)) goto retry;`
            self.S[F + F_PHASE] = ST_SIG_FAULT_IN if self.S[F + F_SIG_RETRY] else ST_SIG_SETUP_FRAME
            self.local_bh_enable(c)
        elif st == ST_SIG_FAULT_IN:
            # __clear_user() faults the frame in (page faults enabled), then `goto retry`
            self.S[F + F_SIG_RETRY] = 0
            self.S[C + C_SOFTIRQ] += 1           # fpregs_lock()
            self.S[F + F_PHASE] = ST_SIG_RESTORE
        elif st == ST_SIG_SETUP_FRAME:
            # x64_setup_rt_frame(): unsafe_put_user() of the ucontext, copy_siginfo_to_user():
            # user memory with page faults enabled, IRQs on (a #PF here may sleep)
            self.S[F + F_PHASE] = ST_SIG_CLEAR_USER_STATES
        elif st == ST_SIG_CLEAR_USER_STATES:
            # fpu__clear_user_states(): fpregs_lock(); the supervisor state (PASID) from
            # fpstate if the registers are not valid; init user state; pkru_write_default()
            self.S[C + C_SOFTIRQ] += 1
            if not self.fpregs_state_valid(c, t):
                self.S[C + C_PASID] = self.image_pasid(t)
            self.S[C + C_FPU] = 0
            self.wrpkru(c, INIT_PKRU)
            self.S[F + F_PHASE] = ST_SIG_MARK_ACTIVATE
        else:
            # ... fpregs_mark_activate(); fpregs_unlock().  L is pushed (into the frame) and
            # reset; the signal is delivered (a forced synchronous one first: SIGSEGV, SIGBUS)
            self.fpregs_mark_activate(c, t)
            self.S[G + 3] = self.S[T + T_L_FPU]
            self.S[G + 4] = self.S[T + T_L_PKRU]
            self.S[T + T_L_FPU] = 0
            self.S[T + T_L_PKRU] = INIT_PKRU
            if self.S[F + F_SIGSEGV]:
                self.S[F + F_SIGSEGV] = 0
            else:
                self.S[T + T_SIGPENDING] = 0
            self.S[F + F_SIG_CHECK] = SIG_HANDLER
            self.S[T + T_WINDOW] -= 1
            self.S[F + F_PHASE] = ST_OLD_WORK if self.v_ct_windows == CT_WIN_OLD else ST_EXIT_LOOP
            self.local_bh_enable(c)

    @cython.cfunc
    @cython.exceptval(check=False)
    def sig_copy_failed(self, F: cython.int) -> cython.void:
        """copy_fpregs_to_sigframe() hit a fault it could not take (a fixup-only #PF): no
        frame; unlock, fault the page in, retry."""
        self.S[F + F_UFAULT] = 0
        self.S[F + F_SIG_RETRY] = 1
        self.S[F + F_PHASE] = ST_SIG_UNLOCK

    # ----------------------------------------------------------------------------------------
    # Context switch (A.5)

    @cython.cfunc
    @cython.exceptval(check=False)
    def start_switch(self, c: cython.int, want: cython.int, prev_state: cython.int,
                     resume: cython.int, resume_if: cython.int) -> cython.void:
        """schedule(): IF=0 at once; the switch's steps become the CPU's pending steps.
        The caller's top frame resumes at `resume` with IF `resume_if`."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        self.S[F + F_PHASE] = resume
        self.S[T + T_RESUME_IF] = resume_if
        self.S[T + T_STATE] = prev_state
        self.S[C + C_IF] = 0
        self.S[C + C_SW_STEP] = SW_PICK
        self.S[C + C_SW_PREV] = t
        self.S[C + C_SW_NEXT] = want
        self.S[C + C_SW_DEPTH] = self.S[T + T_DEPTH]

    @cython.cfunc
    @cython.exceptval(check=False)
    def switching_out(self, t: cython.int) -> cython.bint:
        """t is the prev of a context switch under way on some CPU."""
        c: cython.int
        for c in range(self.S[G_NCPU]):
            C: cython.int = self.cpu(c)
            if self.S[C + C_SW_STEP] != 0 and self.S[C + C_SW_PREV] == t:
                return True
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def rq_remove(self, c: cython.int, t: cython.int) -> cython.bint:
        C: cython.int = self.cpu(c)
        n: cython.int = self.S[C + C_RQ_LEN]
        i: cython.int
        j: cython.int
        for i in range(n):
            if self.S[C + C_RQ + i] == t:
                for j in range(i, n - 1):
                    self.S[C + C_RQ + j] = self.S[C + C_RQ + j + 1]
                self.S[C + C_RQ + n - 1] = 0
                self.S[C + C_RQ_LEN] = n - 1
                return True
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def rq_push(self, c: cython.int, t: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        self.S[C + C_RQ + self.S[C + C_RQ_LEN]] = t
        self.S[C + C_RQ_LEN] += 1
        self.S[self.task(t) + T_CPU] = c
        self.S[self.task(t) + T_STATE] = TS_RUNNABLE

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def in_queue(self, c: cython.int, t: cython.int) -> cython.bint:
        C: cython.int = self.cpu(c)
        i: cython.int
        for i in range(self.S[C + C_RQ_LEN]):
            if self.S[C + C_RQ + i] == t:
                return True
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def switch_step(self, c: cython.int, st: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        prev: cython.int = self.S[C + C_SW_PREV]
        P: cython.int = self.task(prev)
        nxt: cython.int = self.S[C + C_SW_NEXT]
        if st == SW_PICK:
            # __schedule(): pick_next_task().  A runnable prev (yield, preemption, or woken
            # while switching out) is requeued at the back once it is off the CPU; with an
            # empty queue it is picked again.
            if nxt < 0 or not self.rq_remove(c, nxt):
                if self.S[C + C_RQ_LEN] > 0:
                    nxt = self.S[C + C_RQ]
                    self.rq_remove(c, nxt)
                elif self.S[P + T_STATE] == TS_RUNNABLE and self.S[P + T_KIND] != K_IDLE:
                    nxt = prev
                else:
                    nxt = self.idle_of(c)
            if nxt == prev:
                self.S[P + T_STATE] = TS_RUNNING
                self.S[C + C_SW_STEP] = SW_FINISH
            else:
                # context_switch(): prepare_task_switch() -> rseq_preempt(prev) sets
                # TIF_NOTIFY_RESUME for a task with an rseq area; then switch_mm_irqs_off()
                # loads next's mm and sets this CPU in its mm_cpumask (a kthread without an mm
                # keeps prev's: lazy TLB); nmi_uaccess_okay() reads it
                if self.S[P + T_RSEQ]:
                    self.S[P + T_NOTIFY_RESUME] = 1
                self.mm_load(c, nxt)
                self.S[C + C_SW_STEP] = SW_FPU_PREPARE
            self.S[C + C_SW_NEXT] = nxt
        elif st == SW_FPU_PREPARE:
            # __switch_to(): if (!TIF_NEED_FPU_LOAD) switch_fpu_prepare(): a user task's live
            # registers are saved (XSAVE) and stay cached: last_cpu := c, the owner stays prev
            if self.S[P + T_KIND] == K_USER and not self.S[P + T_NEED_FPU_LOAD]:
                self.xsave(c, prev)
                self.S[P + T_LAST_CPU] = c
            self.S[C + C_SW_STEP] = SW_PKRU_LOAD
        elif st == SW_PKRU_LOAD:
            # x86_pkru_load(prev, next) (pkru=thread, 5.14+); before 5.14 PKRU was switched
            # by switch_fpu_finish() instead
            if not self.pkru_in_xsave():
                N: cython.int = self.task(nxt)
                self.S[P + T_THREAD_PKRU] = self.S[C + C_PKRU]
                if self.S[C + C_PKRU] != self.S[N + T_THREAD_PKRU]:
                    self.wrpkru(c, self.S[N + T_THREAD_PKRU])
            self.S[C + C_SW_STEP] = SW_PKRS_LOAD
        elif st == SW_PKRS_LOAD:
            # x86_pkrs_load(next): pks_write_pkrs(next->thread.pkrs)
            self.pks_write_pkrs(c, self.S[self.task(nxt) + T_THREAD_PKRS])
            self.S[C + C_SW_STEP] = SW_CURRENT
        elif st == SW_CURRENT:
            # raw_cpu_write(current_task, next): prev's frames and IF stay with it
            N = self.task(nxt)
            self.S[C + C_CURR] = nxt
            self.S[N + T_STATE] = TS_RUNNING
            self.S[N + T_CPU] = c
            self.S[C + C_SW_DEPTH] = self.S[N + T_DEPTH]
            self.S[C + C_SW_STEP] = SW_FPU_FINISH
        elif st == SW_FPU_FINISH:
            # switch_fpu_finish(): set TIF_NEED_FPU_LOAD on next
            self.S[self.task(nxt) + T_NEED_FPU_LOAD] = 1
            if self.pkru_in_xsave():
                self.switch_pkru_from_image(c, nxt)
            if self.v_pasid == PASID_IPI:
                self.update_pasid(c, nxt)       # 5.10-5.13: "update_pasid();" at its end
            self.S[C + C_SW_STEP] = SW_FINISH
        else:
            # finish_task_switch(): IF := next's saved IF; need_resched cleared
            N = self.task(nxt)
            self.S[C + C_SW_STEP] = 0
            self.S[C + C_SW_PREV] = -1
            self.S[C + C_SW_NEXT] = -1
            self.S[C + C_SW_DEPTH] = 0
            self.S[C + C_NEED_RESCHED] = 0
            self.S[C + C_IF] = self.S[N + T_RESUME_IF]
            if self.S[N + T_KIND] == K_IDLE:
                self.S[C + C_CT] = CT_IDLE       # idle re-enters EQS: ct_idle_enter()
            if nxt != prev:
                if self.S[P + T_STATE] == TS_DEAD:
                    self.release_task(prev)
                elif self.S[P + T_STATE] == TS_RUNNABLE and self.S[P + T_KIND] != K_IDLE:
                    self.rq_push(self.S[P + T_CPU], prev)

    @cython.cfunc
    @cython.exceptval(check=False)
    def switch_pkru_from_image(self, c: cython.int, t: cython.int) -> cython.void:
        """switch_fpu_finish() before 5.14 (0cecca9d03c9): PKRU from the incoming task's
        image -- init_pkru_value for a kthread or an init-state component (510b80a6a0f1:
        0 for the latter); pkru=kthread_mm tests current->mm instead of PF_KTHREAD (#5)."""
        T: cython.int = self.task(t)
        val: cython.int = INIT_PKRU
        user: cython.bint = self.S[T + T_KIND] == K_USER
        if self.v_pkru == PKRU_KTHREAD_MM:
            user = self.S[T + T_MM] >= 0
        if user:
            if self.S[T + T_FPS_PKRU_BV]:
                val = self.S[T + T_FPS_PKRU]
            elif self.v_pkru == PKRU_WRITE_PKRU_IMAGE:
                val = 0
        self.wrpkru(c, val)

    @cython.cfunc
    @cython.exceptval(check=False)
    def release_task(self, t: cython.int) -> cython.void:
        """A dead task's slot is freed once it is switched out (finish_task_switch)."""
        T: cython.int = self.task(t)
        mm: cython.int = self.S[T + T_MM]
        if mm >= 0:
            self.mm_put(mm)
        self.init_task_slot(t)
        self.frame_written(t, MAX_DEPTH - 1)

    @cython.cfunc
    @cython.exceptval(check=False)
    def mm_load(self, c: cython.int, t: cython.int) -> cython.void:
        """switch_mm_irqs_off() to t's mm, if it has one: CPU c joins mm_cpumask()."""
        mm: cython.int = self.S[self.task(t) + T_MM]
        if mm >= 0:
            self.S[MM_BASE + mm * MM_SIZE + MM_CPUS] |= 1 << c

    @cython.cfunc
    @cython.exceptval(check=False)
    def mm_put(self, mm: cython.int) -> cython.void:
        M: cython.int = MM_BASE + mm * MM_SIZE
        self.S[M + MM_USERS] -= 1
        if self.S[M + MM_USERS] == 0:
            self.S[M + MM_PASID] = -1
            self.S[M + MM_CPUS] = 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def mm_new(self) -> cython.int:
        m: cython.int
        for m in range(MAX_MM):
            if self.S[MM_BASE + m * MM_SIZE + MM_USERS] == 0:
                self.S[MM_BASE + m * MM_SIZE + MM_USERS] = 1
                self.S[MM_BASE + m * MM_SIZE + MM_PASID] = -1
                self.S[MM_BASE + m * MM_SIZE + MM_CPUS] = 0
                return m
        return -1

    # ----------------------------------------------------------------------------------------
    # Body operations with several steps (A.10)

    @cython.cfunc
    @cython.exceptval(check=False)
    def bodyop_step(self, c: cython.int, st: cython.int) -> cython.void:
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        if st >= BO_SIGRETURN_XRSTOR and st <= BO_SIGRETURN_ACTIVATE:
            self.sigreturn_step(c, t, F, st)
        elif st == BO_PKS_UPDATE2:
            arg: cython.int = self.S[F + F_BODYOP_ARG]
            if self.v_pks == PKS_V9:
                self.S[T + T_THREAD_PKRS] = arg & 255
            else:
                self.pks_write_pkrs(c, self.S[T + T_THREAD_PKRS])
            self.S[T + T_WINDOW] -= 1
            self.S[C + C_PREEMPT] -= 1
            if arg & 256:
                self.S[F + F_BODYOP_STEP] = BO_MIGRATE_ENABLE
            else:
                self.end_bodyop(F)
            self.preempt_point(c)               # preempt_enable()
        elif st == BO_MIGRATE_ENABLE:
            self.end_bodyop(F)
            self.migrate_enable(c, t)
        elif st == BO_KFPU_XSAVE:
            self.xsave(c, t)                    # save_fpregs_to_fpstate()
            self.S[F + F_BODYOP_STEP] = BO_KFPU_INVALIDATE
        elif st == BO_KFPU_INVALIDATE:
            self.S[C + C_OWNER] = -1            # __cpu_invalidate_fpregs_state()
            self.S[C + C_FPU] = FPU_CLOBBERED
            self.S[T + T_WINDOW] -= 1
            self.end_bodyop(F)
        elif st == BO_CLONE_RESTORE:
            # fpregs_lock() is held; `if (test_thread_flag(TIF_NEED_FPU_LOAD))
            # fpregs_restore_userregs();`: the XRSTOR, then (a step of its own, IRQs on) the
            # activation
            if self.S[T + T_NEED_FPU_LOAD]:
                self.fpregs_restore_xrstor(c, t)
                self.S[F + F_BODYOP_STEP] = BO_CLONE_ACTIVATE
            else:
                self.S[F + F_BODYOP_STEP] = BO_CLONE_XSAVE
        elif st == BO_CLONE_ACTIVATE:
            self.fpregs_mark_activate(c, t)
            self.S[F + F_BODYOP_STEP] = BO_CLONE_XSAVE
        elif st == BO_CLONE_XSAVE:
            # save_fpregs_to_fpstate(dst_fpu), the PASID bit cleared ("x86/fpu: Clear PASID
            # when copying fpstate"); copy_thread(): the child's thread.pkru := PKRU
            K: cython.int = self.task(self.S[F + F_BODYOP_ARG])
            self.xsave(c, self.S[F + F_BODYOP_ARG])
            self.S[K + T_FPS_PASID] = -1
            self.S[K + T_FPS_PASID_BV] = 0
            self.S[K + T_THREAD_PKRU] = self.S[C + C_PKRU]
            self.S[F + F_BODYOP_STEP] = BO_CLONE_UNLOCK
        else:
            # fpregs_unlock(); wake_up_new_task(): the child waits at the back of the queue
            self.S[T + T_WINDOW] -= 1
            self.rq_push(c, self.S[F + F_BODYOP_ARG])
            self.end_bodyop(F)
            self.local_bh_enable(c)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def end_bodyop(self, F: cython.int) -> cython.void:
        """The body operation is over: its step and argument are dead, and zeroed, so that
        states that differ only in them are one (fuzzcore check)."""
        self.S[F + F_BODYOP] = BOP_NONE
        self.S[F + F_BODYOP_STEP] = 0
        self.S[F + F_BODYOP_ARG] = 0

    # ----------------------------------------------------------------------------------------
    # Events (SPEC 1.5): guard, then effect.  Each returns False when skipped.

    @cython.cfunc
    @cython.exceptval(check=False)
    def body_ctx(self, c: cython.int) -> cython.int:
        """With nothing pending on c: the handler kind of the body the CPU is in (CTX_*,
        fuzzcore/handlers.py), CTX_NONE in user mode."""
        t: cython.int = self.curr(c)
        T: cython.int = self.task(t)
        if self.S[T + T_DEPTH] == 0:
            kind: cython.int = self.S[T + T_KIND]
            if kind == K_KTHREAD:
                return CTX_KTHREAD
            return CTX_IDLE if kind == K_IDLE else CTX_NONE
        F: cython.int = self.top(t)
        k: cython.int = self.S[F + F_KIND]
        user: cython.bint = self.S[F + F_FROM_USER] != 0
        if k == FK_SYSCALL:
            return CTX_SIGRETURNED if self.S[F + F_SYSCALL_OP] == OP_SIGRETURN else CTX_SYSCALL
        if k == FK_PF:
            return CTX_PF_USER if user else CTX_PF_KERNEL
        if k == FK_GP:
            return CTX_GP if self.S[F + F_SIGSEGV] else CTX_GP_FIXED
        if k == FK_IRQ:
            return CTX_SOFTIRQ if self.S[F + F_SOFTIRQ] else CTX_IRQ
        if k == FK_SOFTIRQ:
            return CTX_SOFTIRQ
        if k == FK_NMI:
            return CTX_NMI
        if k == FK_MCE:
            return CTX_MCE
        if k == FK_DB:
            return CTX_DB_USER if user else CTX_DB_KERNEL
        if k == FK_BP:
            return CTX_BP_USER if user else CTX_BP_KERNEL
        return CTX_VMALLOC

    @cython.cfunc
    @cython.exceptval(check=False)
    def nmi_uaccess_okay(self, c: cython.int) -> cython.bint:
        """arch/x86/mm/tlb.c nmi_uaccess_okay(): `if (loaded_mm != current_mm) return false;`
        -- copy_from_user_nmi() and the *_nofault accessors return at once otherwise (no #PF):
        a task without an mm (idle, a kthread not using one), or a switch between
        switch_mm_irqs_off() (the end of __schedule's pick) and `current` changing, to a task
        of another mm (a kthread keeps the previous mm: lazy TLB)."""
        C: cython.int = self.cpu(c)
        mm: cython.int = self.S[self.task(self.S[C + C_CURR]) + T_MM]
        if mm < 0:
            return False
        sw: cython.int = self.S[C + C_SW_STEP]
        if sw >= SW_FPU_PREPARE and sw <= SW_CURRENT:
            nmm: cython.int = self.S[self.task(self.S[C + C_SW_NEXT]) + T_MM]
            if nmm >= 0 and nmm != mm:
                return False
        return True

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def in_nmi_like(self, c: cython.int) -> cython.bint:
        return self.S[self.cpu(c) + C_NMI] > 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def in_idle(self, c: cython.int) -> cython.bint:
        t: cython.int = self.curr(c)
        T: cython.int = self.task(t)
        return self.S[T + T_KIND] == K_IDLE and self.S[T + T_DEPTH] == 0

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def idle_exit_eqs(self, c: cython.int) -> cython.void:
        """ct_idle_exit(): idle leaves RCU's extended quiescent state."""
        if self.S[self.cpu(c) + C_CT] == CT_IDLE:
            self.S[self.cpu(c) + C_CT] = CT_KERNEL

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def task_arg_ok(self, t: cython.int) -> cython.bint:
        return t >= 0 and t < self.S[G_NUSER] + self.S[G_NKTHREAD]

    @cython.cfunc
    @cython.exceptval(check=False)
    def uaccess_fault(self, c: cython.int, t: cython.int) -> cython.int:
        """A #PF from kernel at a user access (arch/x86/mm/fault.c do_user_addr_fault()): at a
        pending step that touches user memory, or in a body whose kind accesses user memory
        (fuzzcore/handlers.py) with an mm (a kthread: after kthread_use_mm()); in atomic and
        nofault contexts only where nmi_uaccess_okay().  It is fixup-only (F_FIXUP, no body)
        when faulthandler_disabled(): the step runs under pagefault_disable(), the context is
        atomic (preempt count: irq, softirq, NMI, BH-disabled, a kernel-FPU section), or every
        access of that kind of body is a *_nofault one."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        st: cython.int = self.next_step(c)
        fixup: cython.bint
        if st >= 0:
            if self.step_flags[st] & SF_UMEM == 0:
                return 0
            if st == ST_NOTIFY_RESUME and not self.S[T + T_RSEQ]:
                return 0                # task work alone (kill_me_maybe()) reads no user memory
            fixup = self.step_flags[st] & SF_UMEM_NOPF != 0 or self.preempt_count(c) != 0
        else:
            ctx: cython.int = self.body_ctx(c)
            if ctx == CTX_NONE or not (self.body_ok[ctx] >> OP_UACCESS_FAULT) & 1:
                return 0
            if self.S[T + T_MM] < 0:
                return 0                # no mm: no user access (kthread without use_mm)
            fixup = self.preempt_count(c) != 0 or (self.ctx_nofault >> ctx) & 1
            if fixup and not self.nmi_uaccess_okay(c):
                return 0
            if ctx == CTX_PF_USER:
                # a #PF from user reads user memory only in emulate_vsyscall(), which returns
                # before any VMA lookup: not in a fault that handle_mm_fault() handles
                if self.S[self.top(t) + F_PF_PATH] == PF_PATH_MM:
                    return 0
                self.S[self.top(t) + F_PF_PATH] = PF_PATH_VSYSCALL
        F: cython.int = self.push(c, FK_PF)
        self.S[F + F_FIXUP] = PF_FIXUP if fixup else PF_FULL
        return 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def injected(self, c: cython.int, op: cython.int, arg: cython.int) -> cython.int:
        """Injected events: they land between two micro-steps, at the current point.
        Returns 0 skipped, 1 ran, 2 held (irq with IF=0, or a latched NMI)."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        if self.S[T + T_DEPTH] + 1 >= MAX_DEPTH and not (op == OP_IRQ and self.S[C + C_IF] == 0):
            return 0                    # the model's nesting bound (MAX_DEPTH frames)
        if op == OP_IRQ:
            if self.S[C + C_IF] == 1:
                F: cython.int = self.push(c, FK_IRQ)
                self.S[F + F_IRQ_KIND] = arg
                return 1
            if arg == IRQ_TIMER:
                if self.S[C + C_PEND_TIMER]:
                    return 0
                self.S[C + C_PEND_TIMER] = 1
            else:
                if self.S[C + C_PEND_DEV]:
                    return 0
                self.S[C + C_PEND_DEV] = 1
            return 2
        if op == OP_NMI:
            if self.S[C + C_NMI_STATE] == NMI_EXECUTING:
                self.S[C + C_NMI_STATE] = NMI_LATCHED
                return 2
            if self.S[C + C_NMI_STATE] == NMI_LATCHED:
                return 0
            self.push(c, FK_NMI)
            return 1
        if op == OP_MCE:
            if self.S[C + C_IN_MCE]:
                return 0                # MCIP set: a second #MC is a shutdown, not a nesting
            self.push(c, FK_MCE)
            return 1
        if op == OP_DB:
            if self.db_blocked(c):
                return 0
            self.push(c, FK_DB)
            return 1
        st: cython.int
        ctx: cython.int
        if op == OP_BP:
            st = self.next_step(c)
            # int3 lands only in instrumentable text (kprobes are not allowed in noinstr), and
            # never in the #BP handler itself (exc_int3 and do_int3 are NOKPROBE_SYMBOL)
            if st < 0:
                ctx = self.body_ctx(c)
                if not (self.user_mode(c) or (ctx != CTX_NONE and (self.ctx_kprobes >> ctx) & 1)):
                    return 0
            elif not self.step_is_instr(c, st):
                return 0
            elif self.S[self.top(t) + F_KIND] == FK_PF and (
                    st == ST_ENTRY_BY_KIND or st == ST_PF_FIXUP or st == ST_PF_PKUERR):
                return 0                # NOKPROBE_SYMBOL(do_user_addr_fault) (mm/fault.c)
            if self.S[self.top(t) + F_KIND] == FK_BP:
                return 0
            self.push(c, FK_BP)
            return 1
        if op == OP_UACCESS_FAULT:
            return self.uaccess_fault(c, t)
        if op == OP_VMALLOC_FAULT:
            # pre-5.8: any kernel step or body touching kernel memory, with the kernel GS --
            # but not an NMI-like frame's own entry or exit: the paranoid entry and exit and
            # nmi_enter()/nmi_exit() touch only the IST stack and per-CPU data, never vmalloc
            # space (its handlers may: module text)
            if self.v_ct_windows != CT_WIN_OLD or self.user_mode(c) or self.S[C + C_GS_USER]:
                return 0
            if self.S[self.top(t) + F_SEQ] == SEQ_NMI and self.next_step(c) >= 0:
                return 0
            if self.in_idle(c) and self.S[C + C_CT] == CT_IDLE and self.next_step(c) < 0:
                return 0
            self.push(c, FK_VMALLOC)
            return 1
        return 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def body_event(self, c: cython.int, op: cython.int, arg: cython.int) -> cython.bint:
        """Every event that is not injected, after the CPU's pending steps have run.  A body
        event runs only in a body whose handler kind allows it (fuzzcore/handlers.py); its own
        guard follows."""
        C: cython.int = self.cpu(c)
        t: cython.int = self.S[C + C_CURR]
        T: cython.int = self.task(t)
        if op == OP_SYSCALL or op == OP_USER_FAULT:
            if not self.user_mode(c):
                return False
            self.push(c, FK_SYSCALL if op == OP_SYSCALL else FK_PF)
            return True
        if (op == OP_FPU_WRITE or op == OP_WRPKRU or op == OP_XRSTOR_INIT_PKRU
                or op == OP_ENQCMD or op == OP_PKEY_ACCESS):
            if not self.user_mode(c):
                return False
            self.ev_user(c, t, op, arg)
            return True
        ctx: cython.int = self.body_ctx(c)
        if ctx == CTX_NONE or not (self.body_ok[ctx] >> op) & 1:
            return False
        F: cython.int = self.top(t)
        if ctx != CTX_PF_USER or op == OP_RET or op == OP_STRAY_WRITE:
            return self.body_op(c, t, op, arg, ctx)
        # the body of a #PF from user is emulate_vsyscall() or handle_mm_fault(), not both
        # (do_user_addr_fault()): what handle_mm_fault() does excludes user accesses
        if self.S[F + F_PF_PATH] == PF_PATH_VSYSCALL or not self.body_op(c, t, op, arg, ctx):
            return False
        self.S[F + F_PF_PATH] = PF_PATH_MM
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def body_op(self, c: cython.int, t: cython.int, op: cython.int, arg: cython.int,
                ctx: cython.int) -> cython.bint:
        """A body event its handler kind allows: its own guard, then its effect."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if op == OP_KFPU_BEGIN or op == OP_KFPU_END:
            return self.ev_kernel_fpu(c, t, op, ctx)
        F: cython.int = self.top(t)
        if op == OP_RET:
            if ctx == CTX_KTHREAD or ctx == CTX_IDLE:
                return False
            if self.S[F + F_KMAPS] > 0 or self.S[F + F_KFPU]:
                return False
            if ctx != CTX_VMALLOC:
                self.note_instr(c)
            k: cython.int = self.S[F + F_KIND]
            if self.S[F + F_SOFTIRQ]:
                self.S[F + F_PHASE] = ST_SOFTIRQ_END
            elif k == FK_SYSCALL:
                self.S[F + F_PHASE] = ST_OLD_WORK if self.v_ct_windows == CT_WIN_OLD \
                    else ST_EXIT_PREPARE
            elif k == FK_IRQ:
                self.S[F + F_PHASE] = ST_IRQ_EXIT
            else:
                if k == FK_MCE and self.S[F + F_FROM_USER]:
                    # do_machine_check() ends: `mce_wrmsrl(MSR_IA32_MCG_STATUS, 0)` (MCIP)
                    self.S[C + C_IN_MCE] = 0
                self.S[F + F_PHASE] = ST_PKS_RESTORE
            return True
        if op == OP_SLEEP:
            if self.preempt_count(c) != 0 or self.S[C + C_IF] != 1:
                return False
            self.note_instr(c)
            self.note_schedule(c)
            self.start_switch(c, -1, TS_SLEEPING, PH_BODY, 1)
            return True
        if op == OP_YIELD:
            idle: cython.bint = ctx == CTX_IDLE
            if not idle and (self.preempt_count(c) != 0 or self.S[C + C_IF] != 1):
                return False
            if arg >= 0 and not self.in_queue(c, arg):
                return False
            if idle:
                self.idle_exit_eqs(c)
            self.note_instr(c)
            self.note_schedule(c)
            self.start_switch(c, arg, TS_RUNNABLE, PH_BODY, 1)
            return True
        if op == OP_WAKE or op == OP_MIGRATE:
            if not self.task_arg_ok(arg):
                return False
            A: cython.int = self.task(arg)
            if op == OP_WAKE:
                if self.S[A + T_STATE] != TS_SLEEPING:
                    return False
            else:
                if (self.S[A + T_STATE] != TS_RUNNABLE or self.S[A + T_MIGRATE_DISABLE] > 0
                        or self.S[A + T_CPU] == c or not self.in_queue(self.S[A + T_CPU], arg)):
                    return False
            self.idle_body_op(c, ctx == CTX_IDLE)
            if op == OP_WAKE:
                self.try_to_wake_up(c, arg)
                return True
            self.rq_remove(self.S[A + T_CPU], arg)
            self.rq_push(c, arg)
            return True
        if op == OP_KILL:
            if not self.task_arg_ok(arg):
                return False
            if (ctx == CTX_DB_USER or ctx == CTX_BP_USER) and arg != t:
                return False            # force_sig_fault(): the trapping task itself
            A = self.task(arg)
            if (self.S[A + T_KIND] != K_USER or self.S[A + T_STATE] == TS_FREE
                    or self.S[A + T_STATE] == TS_DEAD or self.S[A + T_SIGPENDING]):
                return False
            self.note_instr(c)
            self.S[A + T_SIGPENDING] = 1
            return True
        if op == OP_RAISE_SOFTIRQ:
            if self.S[C + C_SOFTIRQ_PENDING]:
                return False            # already pending: it would change nothing
            self.note_instr(c)
            self.S[C + C_SOFTIRQ_PENDING] = 1
            return True
        if op == OP_USE_MM:
            if self.S[T + T_MM] >= 0 or not self.task_arg_ok(arg):
                return False
            A = self.task(arg)
            if self.S[A + T_KIND] != K_USER or self.S[A + T_MM] < 0:
                return False
            self.note_instr(c)
            self.S[T + T_MM] = self.S[A + T_MM]
            self.S[MM_BASE + self.S[A + T_MM] * MM_SIZE + MM_USERS] += 1
            self.mm_load(c, t)                  # kthread_use_mm() -> switch_mm_irqs_off()
            return True
        if op == OP_UNUSE_MM:
            if self.S[T + T_MM] < 0:
                return False
            self.note_instr(c)
            self.mm_put(self.S[T + T_MM])
            self.S[T + T_MM] = -1
            return True
        if op == OP_KMAP or op == OP_KUNMAP or op == OP_PMEM_READ or op == OP_STRAY_WRITE:
            return self.ev_pks(c, t, op)
        # syscall operations (the table allows the rest only in a syscall's body).  Each is
        # the syscall itself: one per syscall, and not where another syscall's code path
        # holds a kmap.  Each may sleep (copy_process()'s allocations, mmap_write_lock(),
        # copy_from_user()...): never in atomic context, such as a kernel-FPU section
        if self.S[F + F_SYSCALL_OP] or self.S[F + F_KMAPS] > 0 or self.preempt_count(c) != 0:
            return False
        if not self.syscall_op(c, t, op, arg):
            return False
        self.S[F + F_SYSCALL_OP] = op
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def syscall_op(self, c: cython.int, t: cython.int, op: cython.int,
                   arg: cython.int) -> cython.bint:
        """The syscalls with an event of their own (SPEC 1.5): guard, then effect."""
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        if op == OP_FORK or op == OP_CLONE:
            return self.ev_fork(c, t, op == OP_CLONE)
        if op == OP_EXEC:
            return self.ev_exec(c, t)
        if op == OP_EXIT:
            self.note_instr(c)
            self.note_schedule(c)
            self.start_switch(c, -1, TS_DEAD, PH_BODY, 0)
            return True
        if op == OP_PASID_BIND:
            # iommu_sva_bind_device(): the mm gets a PASID on the first bind
            mm: cython.int = self.S[T + T_MM]
            if self.S[MM_BASE + mm * MM_SIZE + MM_PASID] >= 0:
                return False
            self.note_instr(c)
            self.S[MM_BASE + mm * MM_SIZE + MM_PASID] = mm + 1
            if self.v_pasid == PASID_IPI:
                self.ipi_mm_cpus(mm)
            return True
        if op == OP_PKEY_ALLOC:
            # the kernel sets the task's PKRU on its behalf (write_pkru()); key 0 stays open.
            # This syscall no longer ends a sigreturn: pkru_signal has nothing to judge.
            self.note_instr(c)
            self.write_pkru(c, t, arg & ~3)
            self.S[T + T_L_PKRU] = arg & ~3
            self.S[F + F_SIG_CHECK] = 0
            return True
        if op == OP_SIGRETURN:
            if self.S[T + T_NSIG] == 0:
                return False
            self.note_instr(c)
            self.ev_sigreturn(c, t, arg)
            return True
        if op == OP_RSEQ:
            # kernel/rseq.c sys_rseq(): register the area (once)
            if self.S[T + T_RSEQ]:
                return False
            self.note_instr(c)
            self.S[T + T_RSEQ] = 1
            return True
        return False

    @cython.cfunc
    @cython.exceptval(check=False)
    def try_to_wake_up(self, c: cython.int, t: cython.int) -> cython.void:
        """wake T from CPU c (kernel/sched/core.c try_to_wake_up()): select_task_rq() keeps
        a migrate-disabled task on its own CPU (`is_migration_disabled(p)`: its cpus_ptr is
        that CPU alone); any other goes to the waker's queue.  A task still switching out
        only becomes runnable; finish_task_switch() queues it (ttwu_runnable)."""
        A: cython.int = self.task(t)
        cpu: cython.int = c
        if self.S[A + T_MIGRATE_DISABLE] > 0:
            cpu = self.S[A + T_CPU]
        if self.switching_out(t):
            self.S[A + T_STATE] = TS_RUNNABLE
            self.S[A + T_CPU] = cpu
            return
        self.rq_push(cpu, t)

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_exec(self, c: cython.int, t: cython.int) -> cython.bint:
        """exec: begin_new_exec() -> exec_mmap() (a new mm, no PASID), flush_thread():
        fpu_flush_thread() (init fpstate, TIF_NEED_FPU_LOAD, last_cpu -1) and
        pkru_flush_thread(); PKS reset.  Before 5.14 fpu__clear() loaded init state eagerly.
        v6.8 resets pasid_activated in dup_task_struct() only (kernel/fork.c), not here: the
        flag outlives the mm it was set for (README, semantics: a kernel finding)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        self.note_instr(c)
        mm: cython.int = self.mm_new()
        if mm < 0:
            return False
        self.mm_put(self.S[T + T_MM])
        self.S[T + T_MM] = mm
        self.mm_load(c, t)                      # exec_mmap() -> activate_mm()
        self.S[T + T_FPS_FPU] = 0
        self.S[T + T_FPS_PASID] = -1
        self.S[T + T_FPS_PASID_BV] = 0
        self.S[T + T_FPS_PKRU] = 0
        self.S[T + T_FPS_PKRU_BV] = 0
        if self.pkru_in_xsave():
            self.S[C + C_FPU] = 0
            self.S[C + C_PASID] = -1
            self.wrpkru(c, INIT_PKRU)
            self.fpregs_mark_activate(c, t)
        else:
            self.S[T + T_LAST_CPU] = -1
            self.S[T + T_NEED_FPU_LOAD] = 1
            self.write_pkru(c, t, INIT_PKRU)
        self.S[T + T_THREAD_PKRS] = PKS_INIT
        self.S[T + T_PASID_ACT_EXEC] = self.S[T + T_PASID_ACT]
        self.S[T + T_RSEQ] = 0                  # rseq_execve()
        self.S[self.top(t) + F_SIG_CHECK] = 0
        self.S[T + T_L_FPU] = 0
        self.S[T + T_L_PKRU] = INIT_PKRU
        self.S[T + T_L_PASID] = 0
        self.S[T + T_NSIG] = 0
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_pks(self, c: cython.int, t: cython.int, op: cython.int) -> cython.bint:
        """kmap/kunmap of a pmem page and the accesses (kernel-notes 1d, SPEC 1.5).
        kmap_local_page(): migrate_disable() and the refcounted enable
        (__pgmap_mk_readwrite(): `if (!current->pgmap_prot_count++) pks_mk_readwrite()`)."""
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        held: cython.int = self.S[F + F_KMAPS]
        pkrs: cython.int = self.S[self.cpu(c) + C_PKRS]
        if op == OP_PMEM_READ:
            # memcpy_mcsafe() from the mapped page: key 1 must be writable
            if held == 0:
                return False
            self.note_instr(c)
            if pkrs & (3 * PKEY1_AD) != 0:
                self.fail(O_PKS_ACCESS, 0, pkrs)
            return True
        if op == OP_STRAY_WRITE:
            # a stray write outside every kmap window of this thread context: a softirq run by
            # local_bh_enable() enters no exception, so it runs inside the window of the code
            # that called it, where the design grants the access
            G: cython.int = F
            while self.S[G + F_KIND] == FK_SOFTIRQ:
                G -= FRAME_SIZE
                held += self.S[G + F_KMAPS]
            if held != 0:
                return False
            self.note_instr(c)
            if pkrs & (3 * PKEY1_AD) == 0:
                self.fail(O_PKS_ACCESS, 1, pkrs)
            return True
        if op == OP_KUNMAP and held == 0:
            return False
        self.note_instr(c)
        ref: cython.int = self.S[T + T_PKS_REF]
        tp: cython.int = self.S[T + T_THREAD_PKRS] & ~(3 * PKEY1_AD)
        if op == OP_KMAP:
            self.S[T + T_MIGRATE_DISABLE] += 1
            self.S[F + F_KMAPS] = held + 1
            self.S[T + T_PKS_REF] = ref + 1
            if ref == 0:
                self.pks_update(c, t, F, tp, False)        # pks_set_readwrite(1)
        else:
            # kunmap_local(): the refcounted disable (`if (!--count)`), then migrate_enable()
            self.S[F + F_KMAPS] = held - 1
            self.S[T + T_PKS_REF] = ref - 1
            if ref == 1:
                self.pks_update(c, t, F, tp | PKEY1_AD, True)   # pks_set_noaccess(1)
            else:
                self.migrate_enable(c, t)
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def pks_update(self, c: cython.int, t: cython.int, F: cython.int,
                   new: cython.int, then_migrate_enable: cython.bint) -> cython.void:
        """A.11 __pks_update_protection(): `preempt_disable(); ... preempt_enable();` around
        two writes, the second pending: an irq may land between them, but its exit does not
        preempt.  The reference writes thread.pkrs first, then the MSR; V9 writes the MSR
        first (H2).  A kunmap's migrate_enable() follows as a step of its own."""
        T: cython.int = self.task(t)
        self.S[T + T_WINDOW] += 1
        self.S[self.cpu(c) + C_PREEMPT] += 1
        if self.v_pks == PKS_V9:
            self.pks_write_pkrs(c, new)
        else:
            self.S[T + T_THREAD_PKRS] = new
        self.S[F + F_BODYOP] = BOP_PKS_UPDATE
        self.S[F + F_BODYOP_STEP] = BO_PKS_UPDATE2
        self.S[F + F_BODYOP_ARG] = new | (256 if then_migrate_enable else 0)

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_user(self, c: cython.int, t: cython.int, op: cython.int, arg: cython.int) -> cython.void:
        """User-mode instructions; each also updates the logical state L (SPEC 1.8)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        if op == OP_FPU_WRITE:
            self.S[C + C_FPU] = arg
            self.S[T + T_L_FPU] = arg
        elif op == OP_WRPKRU:
            self.wrpkru(c, arg & ~3)               # key 0 stays open
            self.S[T + T_L_PKRU] = arg & ~3
        elif op == OP_XRSTOR_INIT_PKRU:
            self.xrstor_pkru(c, 0, 0)
            self.S[T + T_L_PKRU] = 0
        elif op == OP_PKEY_ACCESS:
            # a user write to a page of pkey `arg`: denied if AD or WD is set
            shift: cython.int = 2 * arg
            hw_denied: cython.bint = (self.S[C + C_PKRU] >> shift) & 3 != 0
            l_denied: cython.bint = (self.S[T + T_L_PKRU] >> shift) & 3 != 0
            if hw_denied != l_denied:
                self.fail(O_PKRU_USER, self.S[T + T_L_PKRU], self.S[C + C_PKRU])
            if hw_denied:
                # the access traps at once: a #PF from user with PF_PK, whose handler sends
                # SIGSEGV (SEGV_PKUERR) and whose exit delivers it
                F: cython.int = self.push(c, FK_PF)
                self.S[F + F_FIXUP] = PF_PKUERR
        else:
            # ENQCMD: succeeds iff IA32_PASID is valid; else #GP from user.  The #GP frame
            # notes whether the mm had a PASID when the instruction ran (pasid_lost: an ENQCMD
            # that raced the bind on another thread may fail)
            if self.mm_pasid(t) >= 0:
                self.S[T + T_L_PASID] = 1
            if self.S[C + C_PASID] < 0:
                F: cython.int = self.push(c, FK_GP)
                self.S[F + F_ENQCMD_PASID] = 1 if self.mm_pasid(t) >= 0 else 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def irq_fpu_usable(self, c: cython.int, design: cython.int) -> cython.bint:
        """irq_fpu_usable() (fpu/core.c, 59f5ede3bc0f): never in NMI or a section; in
        hardirq only if it did not interrupt a BH-disabled (fpregs_lock) region.  The old
        rule (#13) only asked whether a section was open."""
        C: cython.int = self.cpu(c)
        if self.S[C + C_NMI] > 0 or self.S[C + C_IN_KFPU]:
            return False
        if design == FPU_IRQ_FPU_USABLE_OLD:
            return True
        if self.S[C + C_HARDIRQ] == 0:
            return True
        return self.S[C + C_SOFTIRQ] == 0

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_kernel_fpu(self, c: cython.int, t: cython.int, op: cython.int,
                      ctx: cython.int) -> cython.bint:
        """kernel_fpu_begin_mask() / kernel_fpu_end() (5.2-6.14, fpu/core.c).  The begin is a
        body operation of three steps, IRQs on in task context: preempt_disable(),
        in_kernel_fpu, TIF_NEED_FPU_LOAD set (this event); save_fpregs_to_fpstate(); then
        __cpu_invalidate_fpregs_state().  The end is preempt_enable(): a preemption point."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        if op == OP_KFPU_END:
            if not self.S[F + F_KFPU]:
                return False
            self.note_instr(c)
            self.S[C + C_IN_KFPU] = 0
            self.S[C + C_PREEMPT] -= 1
            self.S[F + F_KFPU] = 0
            self.preempt_point(c)
            return True
        if self.S[C + C_IN_KFPU] or not self.irq_fpu_usable(c, self.v_fpu):
            return False
        if ctx != CTX_IRQ and ctx != CTX_SOFTIRQ and self.S[C + C_SOFTIRQ] > 0:
            # irq_fpu_usable(): "Task context except from within fpregs_lock()'ed critical
            # regions" -- a rule for callers: no task-context caller holds fpregs_lock()
            return False
        self.note_instr(c)
        if not self.irq_fpu_usable(c, FPU_LAZY):
            self.fail(O_KERNEL_FPU, 1, 0)
        self.S[C + C_PREEMPT] += 1
        self.S[C + C_IN_KFPU] = 1
        self.S[F + F_KFPU] = 1
        self.S[T + T_WINDOW] += 1               # preempt-disabled: atomic for the task
        self.S[F + F_BODYOP] = BOP_KFPU_BEGIN
        self.S[F + F_BODYOP_STEP] = BO_KFPU_INVALIDATE
        if self.S[T + T_KIND] == K_USER and not self.S[T + T_NEED_FPU_LOAD]:
            # `if (!(current->flags & PF_KTHREAD) && !test_thread_flag(TIF_NEED_FPU_LOAD))
            # { set_thread_flag(TIF_NEED_FPU_LOAD); save_fpregs_to_fpstate(...); }`
            self.S[T + T_NEED_FPU_LOAD] = 1
            self.S[F + F_BODYOP_STEP] = BO_KFPU_XSAVE
        return True

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_sigreturn(self, c: cython.int, t: cython.int, arg: cython.int) -> cython.void:
        """rt_sigreturn, A.9 (1): restore_altstack() first (d10b554919d4), fpregs_lock();
        the rest is pending.  After it only the return follows (CTX_SIGRETURNED).
        fpu=sigrestore_nobh (#1) takes no lock."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        F: cython.int = self.top(t)
        self.S[T + T_WINDOW] += 1
        if self.v_fpu != FPU_SIGRESTORE_NOBH:
            self.S[C + C_SOFTIRQ] += 1
        self.S[F + F_BODYOP] = BOP_SIGRETURN
        self.S[F + F_BODYOP_STEP] = BO_SIGRETURN_XRSTOR
        # an edit of the frame's PKRU keeps key 0 open, as every PKRU write does
        self.S[F + F_BODYOP_ARG] = arg & ~3 if arg < SIGRETURN_KEEP else arg

    @cython.cfunc
    @cython.exceptval(check=False)
    def sigreturn_step(self, c: cython.int, t: cython.int, F: cython.int,
                       st: cython.int) -> cython.void:
        """A.9 (2)-(3): fpu__restore_sig() -> __fpu_restore_sig() -> restore_fpregs_from_user()
        (fpu/signal.c)."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        arg: cython.int = self.S[F + F_BODYOP_ARG]
        locks: cython.bint = self.v_fpu != FPU_SIGRESTORE_NOBH
        G: cython.int = T + T_SIGFRAMES + (self.S[T + T_NSIG] - 1) * SIG_SIZE
        if st == BO_SIGRETURN_XRSTOR:
            if arg == SIGRETURN_CORRUPT and not self.S[F + F_UFAULT]:
                # XRSTOR #GP (not a #PF): fatal.  `if (test_thread_flag(TIF_NEED_FPU_LOAD))
                # __cpu_invalidate_fpregs_state();` then fpu__clear_user_states(): every failure
                # resets the FPU state (efa165504943); not so in #10
                if self.v_fpu != FPU_SIGFAIL_NORESET:
                    if self.S[T + T_NEED_FPU_LOAD]:
                        self.S[C + C_OWNER] = -1
                    self.fpu_clear_user_states(c, t)
                self.S[F + F_BODYOP_STEP] = BO_SIGRETURN_ACTIVATE
                return
            if self.S[F + F_UFAULT]:
                # a #PF under pagefault_disable(): "the microcode might have modified the FPU
                # registers nevertheless": if they are not current's, invalidate them;
                # fpregs_unlock(); fault_in_readable(); goto retry
                self.S[F + F_UFAULT] = 0
                self.S[C + C_FPU] = FPU_CLOBBERED
                if self.S[T + T_NEED_FPU_LOAD]:
                    self.S[C + C_OWNER] = -1
                self.S[F + F_BODYOP_STEP] = BO_SIGRETURN_FAULT_IN
                if locks:
                    self.local_bh_enable(c)
                return
            if arg < SIGRETURN_KEEP:
                self.S[G + 1] = arg                 # the user edited the frame's PKRU
            elif arg == SIGRETURN_PKRU_INIT:
                self.S[G + 2] = 0                   # ... or cleared its XSTATE_BV bit
            # XRSTOR from the user's frame: fpu, and PKRU unless tglx's noframe proposal; a
            # clear bit (or a feature outside the frame's xfeatures: init_bv) loads init, 0
            self.S[C + C_FPU] = self.S[G + 0]
            if self.v_pkru != PKRU_THREAD_NOFRAME:
                self.xrstor_pkru(c, self.S[G + 1], self.S[G + 2])
            self.S[F + F_BODYOP_STEP] = (BO_SIGRETURN_SUPERVISOR if self.S[T + T_NEED_FPU_LOAD]
                                         else BO_SIGRETURN_ACTIVATE)
            return
        if st == BO_SIGRETURN_FAULT_IN:
            # fault_in_readable(buf) (page faults enabled), then `goto retry`: fpregs_lock()
            if locks:
                self.S[C + C_SOFTIRQ] += 1
            self.S[F + F_BODYOP_STEP] = BO_SIGRETURN_XRSTOR
            return
        if st == BO_SIGRETURN_SUPERVISOR:
            # `if (test_thread_flag(TIF_NEED_FPU_LOAD) && xfeatures_mask_supervisor())
            # os_xrstor_supervisor(fpu->fpstate);`: the XRSTOR from the frame loaded user
            # state only; IA32_PASID comes from fpstate
            self.S[C + C_PASID] = self.image_pasid(t)
            self.S[F + F_BODYOP_STEP] = BO_SIGRETURN_ACTIVATE
            return
        # fpregs_mark_activate(); fpregs_unlock(); L popped
        self.fpregs_mark_activate(c, t)
        self.S[T + T_WINDOW] -= 1
        self.S[T + T_NSIG] -= 1
        if arg == SIGRETURN_CORRUPT:
            self.S[T + T_L_FPU] = 0
            self.S[T + T_L_PKRU] = INIT_PKRU
            self.S[T + T_SIGPENDING] = 1           # SIGSEGV
        else:
            # L: what the user asked for -- its edit of the frame (a value, or init: 0), else
            # what it was entitled to when the signal came; the frame's PKRU is what the
            # return must show (pkru_signal)
            self.S[T + T_L_FPU] = self.S[G + 3]
            expect: cython.int = 0 if arg == SIGRETURN_PKRU_INIT else self.S[G + 1]
            self.S[T + T_L_PKRU] = self.S[G + 4] if arg == SIGRETURN_KEEP else expect
            self.S[F + F_SIG_CHECK] = SIG_RETURNED
            self.S[F + F_SIG_EXPECT] = expect
        self.end_bodyop(F)
        if locks:
            self.local_bh_enable(c)

    @cython.cfunc
    @cython.exceptval(check=False)
    def ipi_mm_cpus(self, mm: cython.int) -> cython.void:
        """pasid=ipi: an IPI to every CPU the mm has run on (held where IF=0)."""
        cpus: cython.int = self.S[MM_BASE + mm * MM_SIZE + MM_CPUS]
        c: cython.int
        for c in range(self.S[G_NCPU]):
            if (cpus >> c) & 1:
                self.S[self.cpu(c) + C_PEND_IPI] = 1
                self.S[G_KICK] = 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def idle_body_op(self, c: cython.int, idle: cython.bint) -> cython.void:
        """The idle loop leaves EQS for the operation and re-enters it afterwards."""
        if idle:
            self.idle_exit_eqs(c)
            self.note_instr(c)
            self.S[self.cpu(c) + C_CT] = CT_IDLE
        else:
            self.note_instr(c)

    @cython.cfunc
    @cython.exceptval(check=False)
    def ev_fork(self, c: cython.int, t: cython.int, thread: cython.bint) -> cython.bint:
        """fork/clone: copy_process() with fpu_clone() (A.10) as a body operation."""
        C: cython.int = self.cpu(c)
        T: cython.int = self.task(t)
        child: cython.int = -1
        i: cython.int
        for i in range(self.S[G_NUSER]):
            if self.S[self.task(i) + T_STATE] == TS_FREE:
                child = i
                break
        if child < 0:
            return False
        mm: cython.int = self.S[T + T_MM]
        if not thread:
            mm = self.mm_new()
            if mm < 0:
                return False
        else:
            self.S[MM_BASE + mm * MM_SIZE + MM_USERS] += 1
        self.note_instr(c)
        K: cython.int = self.task(child)
        self.S[K + T_STATE] = TS_NEW
        self.S[K + T_KIND] = K_USER
        self.S[K + T_MM] = mm
        self.S[K + T_CPU] = c
        self.S[K + T_NEED_FPU_LOAD] = 1
        self.S[K + T_LAST_CPU] = -1
        self.S[K + T_THREAD_PKRS] = PKS_INIT
        self.S[K + T_PASID_ACT] = 0
        self.S[K + T_RESUME_IF] = 1         # schedule_tail() returns with IRQs on
        self.S[K + T_L_FPU] = self.S[T + T_L_FPU]
        self.S[K + T_L_PKRU] = self.S[T + T_L_PKRU]
        self.S[K + T_L_PASID] = 0
        self.S[K + T_PASID_ACT_EXEC] = 0
        # rseq_fork(): a CLONE_VM child registers its own area; a fork child keeps the parent's
        self.S[K + T_RSEQ] = 0 if thread else self.S[T + T_RSEQ]
        # the child's user stack is a copy of the parent's memory (fork) or the same memory
        # (clone): the signal frames on it, and the logical state each one saved, come along,
        # so a child forked in a handler returns through the frame (rt_sigreturn)
        self.S[K + T_NSIG] = self.S[T + T_NSIG]
        for i in range(MAX_SIG * SIG_SIZE):
            self.S[K + T_SIGFRAMES + i] = self.S[T + T_SIGFRAMES + i]
        # ret_from_fork: a copy of the parent's syscall frame whose exit is pending
        self.S[K + T_DEPTH] = 1
        src: cython.int = self.top(t)
        dst: cython.int = self.frame(child, 1)
        self.frame_written(child, 1)
        for i in range(FRAME_SIZE):
            self.S[dst + i] = self.S[src + i]
        self.S[dst + F_PHASE] = ST_OLD_WORK if self.v_ct_windows == CT_WIN_OLD else ST_EXIT_PREPARE
        self.S[dst + F_KMAPS] = 0
        self.S[dst + F_KFPU] = 0
        self.S[dst + F_ENTRY_TPKRS] = PKS_INIT
        self.S[dst + F_ENTRY_PKRS] = PKS_INIT
        self.S[dst + F_ENTRY_REF] = 0
        self.S[dst + F_SAVE_TPKRS] = PKS_INIT
        self.S[dst + F_SAVE_PKRS] = PKS_INIT
        self.S[dst + F_SAVE_REF] = 0
        # fpu_clone (1): fpregs_lock(); the rest is pending
        F: cython.int = self.top(t)
        self.S[C + C_SOFTIRQ] += 1
        self.S[T + T_WINDOW] += 1
        self.S[F + F_BODYOP] = BOP_FPU_CLONE
        self.S[F + F_BODYOP_STEP] = BO_CLONE_RESTORE
        self.S[F + F_BODYOP_ARG] = child
        return True

    # ----------------------------------------------------------------------------------------
    # Driving

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def event(self, c: cython.int, op: cython.int, arg: cython.int) -> cython.bint:
        """Run one event on CPU c.  Returns True when the program must stop (a violation)."""
        r: cython.int
        if op == OP_STEP:
            r = self.pending(c)
            if r == 0:
                self.skipped(c, op)
                return False
            return self.run_one(c, r)
        if (op == OP_IRQ or op == OP_NMI or op == OP_MCE or op == OP_DB or op == OP_BP
                or op == OP_UACCESS_FAULT or op == OP_VMALLOC_FAULT):
            r = self.injected(c, op, arg)
            if r == 0:
                self.skipped(c, op)
                return False
            self.record(TR_EVENT if r == 1 else (TR_IRQ_HELD if op == OP_IRQ else
                                                 TR_NMI_LATCHED), c, op)
            return self.after(c, -1, True)
        # the pending steps run first; the common case, nothing pending, costs no call
        r = self.pending(c)
        if r != 0 and self.run_pending(c, r):
            return True
        return self.event_body(c, op, arg)

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def event_body(self, c: cython.int, op: cython.int, arg: cython.int) -> cython.bint:
        """The rest of a non-injected event once c's pending steps have run: the event itself,
        then the IPIs it sent."""
        if not self.body_event(c, op, arg):
            self.skipped(c, op)
            return False
        self.record(TR_EVENT, c, op)
        if self.after(c, -1, True):
            return True
        if self.S[G_KICK]:
            self.S[G_KICK] = 0
            cc: cython.int
            for cc in range(self.S[G_NCPU]):
                if self.take_held_irq(cc):
                    return True
        return False

    def run(self, events, start: cython.int = 0) -> cython.int:
        """Run flat (cpu, opcode, arg) triples from the current state.  Returns the index of
        the violating event, or -1.  Events naming a CPU outside the configuration are
        skipped (the parser never produces them)."""
        ev: cython.int[:] = events
        n: cython.int = len(ev) // 3
        i: cython.int
        c: cython.int
        ncpu: cython.int = self.S[G_NCPU]
        self.clean_cpu = -1             # S may have been written from outside
        for i in range(start, n):
            if self.S[G_VIOL] != 0:
                return self.S[G_VIOL_EVENT]
            self.S[G_EVENT] = i
            c = ev[3 * i]
            if c < 0 or c >= ncpu:
                continue
            if self.event(c, ev[3 * i + 1], ev[3 * i + 2]):
                return i
        return -1

    def run_batch(self, events, lengths) -> tuple:
        """Run many programs, each from the initial state: ``events`` holds their triples back
        to back, ``lengths`` their event counts.  Returns (events run, violations).  The
        fast path for fuzzing and benchmarks: no trace, no Python per event."""
        ev: cython.int[::1] = events
        ln: cython.int[::1] = lengths
        p: cython.int
        i: cython.int
        c: cython.int
        off: cython.int = 0
        total: cython.long = 0
        violations: cython.int = 0
        ncpu: cython.int = self.S[G_NCPU]
        self.restore_initial()          # S may have been written from outside
        for p in range(len(ln)):
            if p > 0:
                self.restore_used()
            for i in range(ln[p]):
                self.S[G_EVENT] = i
                c = ev[3 * (off + i)]
                total += 1
                if c < 0 or c >= ncpu:
                    continue
                if self.event(c, ev[3 * (off + i) + 1], ev[3 * (off + i) + 2]):
                    violations += 1
                    break
            off += ln[p]
        return total, violations

    def set_decoder(self, kinds, los, spans):
        """The binary decoding's table (from events.py): per opcode, its argument kind, lowest
        value and span."""
        i: cython.int
        for i in range(NOPS):
            self.dec_kind[i] = kinds[i]
            self.dec_lo[i] = los[i]
            self.dec_span[i] = spans[i]

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def event_bytes(self, b0: cython.int, b1: cython.int) -> cython.bint:
        """Run one event in the fuzz engines' binary form, decoded exactly as Program.from_bytes
        does: b0 = opcode + NOPS * (cpu + ncpu * extra), b1 the argument (``extra``: its high
        bits where the argument's range is wider than a byte)."""
        ncpu: cython.int = self.S[G_NCPU]
        q: cython.int = b0 // NOPS
        op: cython.int = b0 % NOPS
        kind: cython.int = self.dec_kind[op]
        arg: cython.int = -1
        extra: cython.int
        if kind == ARG_INT:
            extra = q // ncpu if self.dec_span[op] > 256 else 0
            arg = self.dec_lo[op] + (b1 + 256 * extra) % self.dec_span[op]
        elif kind == ARG_TASK:
            arg = b1 % (self.S[G_NUSER] + self.S[G_NKTHREAD])
        elif kind == ARG_OPT_TASK:
            arg = b1 % (self.S[G_NUSER] + self.S[G_NKTHREAD] + 1) - 1
        return self.event(q % ncpu, op, arg)

    @cython.cfunc
    @cython.exceptval(check=False)
    def kept_buffer(self, size: cython.int) -> cython.void:
        """kept_bytes (run_bytes' and grow_bytes' effective events) holds at least size bytes."""
        if len(self.kept_bytes) < size:
            self.kept_bytes = bytearray(size)
            self.kept_view = self.kept_bytes

    def run_bytes(self, data: bytes, effective: bytearray = None) -> cython.int:
        """Decode fuzzer bytes (event_bytes) and run them from the current state: two bytes
        per event.  Returns the index of the violating event, or -1.  No Python object per
        event: the harnesses' fast path.  With ``effective``, the events that did something
        (ran a micro-step or an action, the violating one included) are appended to it: the
        same run without the others."""
        n: cython.int = len(data) // 2
        i: cython.int
        b0: cython.int
        b1: cython.int
        before: cython.long
        stop: cython.bint
        result: cython.int = -1
        collect: cython.bint = effective is not None
        k: cython.int = 0
        if collect:
            self.kept_buffer(2 * n)
        kept: cython.uchar[::1] = self.kept_view   # filled in C, appended once
        self.clean_cpu = -1             # S may have been written from outside
        for i in range(n):
            if self.S[G_VIOL] != 0:
                result = self.S[G_VIOL_EVENT]
                break
            before = self.actions
            b0 = data[2 * i]
            b1 = data[2 * i + 1]
            self.S[G_EVENT] = i
            stop = self.event_bytes(b0, b1)
            if collect and self.actions != before:
                kept[k] = b0
                kept[k + 1] = b1
                k += 2
            if stop:
                result = i
                break
        if collect and k:
            effective += self.kept_bytes[:k]
        return result

    def grow_bytes(self, pool: bytes, k: cython.int, base: cython.int, cpu: cython.int,
                   same_cpu: cython.int, ret_draw: cython.int, effective: bytearray) -> cython.int:
        """The fuzz engine's growth step (fuzz.Engine._grow), here so that no Python runs per
        candidate: from the current state, the candidates of ``pool`` (four bytes each: b0
        and b1 as run_bytes reads them, then two draws: below ``ret_draw`` the event becomes
        ``ret`` (b0's quotient kept), below ``same_cpu`` it is moved to ``cpu`` when that
        still fits a byte) run in turn until ``k`` of them did something, or one violates.
        Those are appended to ``effective`` (the others changed nothing); they are events
        base, base + 1, ... of the input.  Returns the violating event's
        index, or -1."""
        m: cython.int = len(pool) // 4
        ncpu: cython.int = self.S[G_NCPU]
        i: cython.int
        b0: cython.int
        moved: cython.int
        before: cython.long
        stop: cython.bint
        grown: cython.int = 0
        result: cython.int = -1
        self.kept_buffer(2 * k)
        kept: cython.uchar[::1] = self.kept_view
        self.clean_cpu = -1
        for i in range(m):
            b0 = pool[4 * i]
            if pool[4 * i + 3] < ret_draw:       # fuzz.GROW_RET: let the interrupted resume
                b0 = OP_RET + NOPS * (b0 // NOPS)
            if cpu >= 0 and pool[4 * i + 2] < same_cpu:
                # fuzz.Engine._with_cpu (tests/test_fuzz.py compares grow_bytes with it)
                moved = b0 % NOPS + NOPS * (cpu + ncpu * (b0 // NOPS // ncpu))
                if moved <= 255:
                    b0 = moved
            before = self.actions
            self.S[G_EVENT] = base + grown
            stop = self.event_bytes(b0, pool[4 * i + 1])
            if self.actions != before:
                kept[2 * grown] = b0
                kept[2 * grown + 1] = pool[4 * i + 1]
                grown += 1
                if stop:
                    result = base + grown - 1
                    break
                if grown == k:
                    break
        if grown:
            effective += self.kept_bytes[:2 * grown]
        return result

    # ----------------------------------------------------------------------------------------
    # Exhaustive search (`fuzzcore check`): one breadth-first layer's expansion, in C.  The
    # orchestration -- layers, the numpy arrays, limits, the counterexample -- is in
    # fuzzcore/check.py; the README ("Exhaustive search") argues for the argument domain and
    # for value symmetry (chk_resolve, chk_canon).
    #
    # A node is a state reached from the initial one by a path of domain entries; a node keeps
    # only (parent, domain index), and its state is rebuilt by replaying its path (chk_replay).
    # Its children are its domain's events run one by one, each undone by chk_undo.  A child
    # is new when its hash (chk_child_hash: of its live regions, chk_region_len) is not in the
    # table.

    def chk_init(self, dom, value_sym: cython.int, verify: cython.int,
                 target: cython.int = -1):
        """The search's domain: flat (cpu, opcode, argspec) triples; argspec is a literal
        argument (-1: none) or a CHK_* spec.  ``value_sym``: hash states up to a renaming of
        FPU and PKRU values; ``verify``: check every undo against the expanded state;
        ``target``: the one oracle searched for (-1: any); a program whose verdict is another
        stops there, unreported."""
        self.chk_dom = array('i', dom)
        self.chk_ndom = len(dom) // 3
        self.chk_sym = value_sym
        self.chk_verify = verify
        self.chk_target = target

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_value_fields(self) -> cython.void:
        """Where the live state holds FPU values (chk_fpu_pos) and PKRU values (chk_pkru_pos),
        in a fixed order: the CPUs' registers; per task its image, logical state and signal
        frames, thread.pkru, and per frame the PKRU a signal delivery kept and the one a
        sigreturn must leave, and a sigreturn's edit of the frame (ev_sigreturn)."""
        nf: cython.int = 0
        npk: cython.int = 0
        c: cython.int
        t: cython.int
        d: cython.int
        sg: cython.int
        g: cython.int
        F: cython.int
        for c in range(self.S[G_NCPU]):
            self.chk_fpu_pos[nf] = CPU_BASE + c * CPU_SIZE + C_FPU
            self.chk_pkru_pos[npk] = CPU_BASE + c * CPU_SIZE + C_PKRU
            nf += 1
            npk += 1
        for t in range(self.S[G_NTASK]):
            T: cython.int = TASK_BASE + t * TASK_SIZE
            self.chk_fpu_pos[nf] = T + T_FPS_FPU
            self.chk_fpu_pos[nf + 1] = T + T_L_FPU
            nf += 2
            self.chk_pkru_pos[npk] = T + T_FPS_PKRU
            self.chk_pkru_pos[npk + 1] = T + T_THREAD_PKRU
            self.chk_pkru_pos[npk + 2] = T + T_L_PKRU
            npk += 3
            for sg in range(MAX_SIG):
                g = T + T_SIGFRAMES + sg * SIG_SIZE
                self.chk_fpu_pos[nf] = g             # fpu, then the logical fpu
                self.chk_fpu_pos[nf + 1] = g + 3
                nf += 2
                self.chk_pkru_pos[npk] = g + 1       # pkru, then the logical pkru
                self.chk_pkru_pos[npk + 1] = g + 4
                npk += 2
            for d in range(self.S[T + T_DEPTH] + 1):
                F = T + T_FRAME0 + d * FRAME_SIZE
                self.chk_pkru_pos[npk] = F + F_SIG_PKRU
                self.chk_pkru_pos[npk + 1] = F + F_SIG_EXPECT
                npk += 2
                if self.S[F + F_BODYOP] == BOP_SIGRETURN and self.S[F + F_BODYOP_ARG] < SIGRETURN_KEEP:
                    self.chk_pkru_pos[npk] = F + F_BODYOP_ARG
                    npk += 1
        self.chk_nfpu = nf
        self.chk_npkru = npk

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def pkru_class(self, v: cython.int) -> cython.int:
        """The access class of a PKRU value: bit k-1 set when key k (1..3) has AD or WD set --
        all the model reads of a value besides equality (pkey_access; key 0 stays open)."""
        return ((1 if v & 12 else 0) | (2 if v & 48 else 0) | (4 if v & 192 else 0))

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_canon(self) -> cython.void:
        """The live regions of S into chk_buf (same offsets), their FPU and PKRU values renamed
        by first occurrence (chk_value_fields' order), keeping the values the model itself
        compares against (FPU: 0 and FPU_CLOBBERED; PKRU: 0 and INIT_PKRU) and a PKRU value's
        class: states that differ only by such a renaming have the same futures up to it
        (fuzzcore/check.py gives the argument)."""
        r: cython.int
        st: cython.int
        n: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            st = self.chk_region_start(r)
            n = self.chk_region_len(0, r)
            if cython.compiled:
                memcpy(cython.address(self.chk_buf[st]), cython.address(self.S[st]),
                       n * cython.sizeof(cython.int))
            else:
                self.chk_buf[st:st + n] = self.S[st:st + n]
        self.chk_value_fields()
        i: cython.int
        p: cython.int
        v: cython.int
        k: cython.int
        labels: cython.int = 0
        for i in range(self.chk_nfpu):
            p = self.chk_fpu_pos[i]
            v = self.S[p]
            if v == 0 or v == FPU_CLOBBERED:
                continue
            if self.chk_rn_fpu[v] < 0:
                labels += 1
                self.chk_rn_fpu[v] = 1000 + labels
            self.chk_buf[p] = self.chk_rn_fpu[v]
        for k in range(8):
            self.chk_rank[k] = 0
        for i in range(self.chk_npkru):
            p = self.chk_pkru_pos[i]
            v = self.S[p]
            if v == 0 or v == INIT_PKRU:
                continue
            if self.chk_rn_pkru[v >> 2] < 0:
                k = self.pkru_class(v)
                self.chk_rank[k] += 1
                self.chk_rn_pkru[v >> 2] = 2000 + 100 * k + self.chk_rank[k]
            self.chk_buf[p] = self.chk_rn_pkru[v >> 2]
        self.chk_unmark()

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_unmark(self) -> cython.void:
        """Clear the renaming tables where chk_value_fields' values of S marked them."""
        i: cython.int
        v: cython.int
        for i in range(self.chk_nfpu):
            v = self.S[self.chk_fpu_pos[i]]
            if 0 <= v <= FPU_CLOBBERED:
                self.chk_rn_fpu[v] = -1
        for i in range(self.chk_npkru):
            v = self.S[self.chk_pkru_pos[i]]
            if 0 <= v < 256:
                self.chk_rn_pkru[v >> 2] = -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_hash_ints(self, src: cython.int, start: cython.int, n: cython.int,
                      seed: cython.int) -> cython.ulonglong:
        """A 64-bit hash of ``n`` ints from ``start`` of S (src 0), chk_snap (1) or chk_buf
        (2), read as little-endian 64-bit words: four independent lanes of xxHash64's round,
        then its avalanche.  The masks keep the interpreted core's Python ints at 64 bits
        (compiled they cost nothing), so both cores give every state the same hash."""
        m: cython.ulonglong = 0xFFFFFFFFFFFFFFFF
        lo32: cython.ulonglong = 0xFFFFFFFF
        p1: cython.ulonglong = 0x9E3779B185EBCA87
        p2: cython.ulonglong = 0xC2B2AE3D27D4EB4F
        p3: cython.ulonglong = 0x165667B19E3779F9
        s0: cython.ulonglong = 0x60EA27EEADC0B5D6      # lane seeds
        s3: cython.ulonglong = 0x61C8864E7A143579
        h2: cython.ulonglong = cython.cast(cython.ulonglong, seed)
        h0: cython.ulonglong = (h2 + s0) & m
        h1: cython.ulonglong = (h2 + p2) & m
        h3: cython.ulonglong = (h2 + s3) & m
        x0: cython.ulonglong = 0
        x1: cython.ulonglong = 0
        x2: cython.ulonglong = 0
        x3: cython.ulonglong = 0
        nw: cython.int = n >> 1
        i: cython.int = 0
        base: cython.p_int = cython.NULL
        if cython.compiled:
            base = (cython.address(self.S[start]) if src == 0 else
                    cython.address(self.chk_snap[start]) if src == 1 else
                    cython.address(self.chk_buf[start]))
        else:
            a = self.S if src == 0 else self.chk_snap if src == 1 else self.chk_buf
        while i + 4 <= nw:
            if cython.compiled:
                memcpy(cython.address(x0), base + 2 * i, 8)
                memcpy(cython.address(x1), base + 2 * i + 2, 8)
                memcpy(cython.address(x2), base + 2 * i + 4, 8)
                memcpy(cython.address(x3), base + 2 * i + 6, 8)
            else:
                j = start + 2 * i
                x0 = (a[j] & lo32) | ((a[j + 1] & lo32) << 32)
                x1 = (a[j + 2] & lo32) | ((a[j + 3] & lo32) << 32)
                x2 = (a[j + 4] & lo32) | ((a[j + 5] & lo32) << 32)
                x3 = (a[j + 6] & lo32) | ((a[j + 7] & lo32) << 32)
            h0 = (h0 + x0 * p2) & m
            h0 = (((h0 << 31) | (h0 >> 33)) * p1) & m
            h1 = (h1 + x1 * p2) & m
            h1 = (((h1 << 31) | (h1 >> 33)) * p1) & m
            h2 = (h2 + x2 * p2) & m
            h2 = (((h2 << 31) | (h2 >> 33)) * p1) & m
            h3 = (h3 + x3 * p2) & m
            h3 = (((h3 << 31) | (h3 >> 33)) * p1) & m
            i += 4
        h: cython.ulonglong = (((h0 << 1) | (h0 >> 63)) + ((h1 << 7) | (h1 >> 57))
                               + ((h2 << 12) | (h2 >> 52)) + ((h3 << 18) | (h3 >> 46))
                               + cython.cast(cython.ulonglong, n)) & m
        while i <= nw:
            if i < nw:
                if cython.compiled:
                    memcpy(cython.address(x0), base + 2 * i, 8)
                else:
                    j = start + 2 * i
                    x0 = (a[j] & lo32) | ((a[j + 1] & lo32) << 32)
            elif n & 1:
                if cython.compiled:
                    x0 = cython.cast(cython.ulonglong, base[2 * i]) & lo32
                else:
                    x0 = a[start + 2 * i] & lo32
            else:
                break
            h = (h ^ ((((x0 * p2) & m) << 31 | ((x0 * p2) & m) >> 33) * p1)) & m
            h = ((((h << 27) | (h >> 37)) * p1) + p3) & m
            i += 1
        h = ((h ^ (h >> 33)) * p2) & m
        h = ((h ^ (h >> 29)) * p3) & m
        return h ^ (h >> 32)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_region_len(self, src: cython.int, r: cython.int) -> cython.int:
        """The live length of region r of S (src 0) or chk_snap (1).  Regions: each CPU (its
        run queue up to its length), the mms, each task (its header, PKS stack and signal
        frames, and its frames up to its depth: push() writes a whole frame, so those above
        are dead).  Region starts are fixed (chk_region_start)."""
        ncpu: cython.int = self.S[G_NCPU]
        st: cython.int = self.chk_region_start(r)
        if r < ncpu:
            return C_RQ + (self.S[st + C_RQ_LEN] if src == 0 else self.chk_snap[st + C_RQ_LEN])
        if r == ncpu:
            return MAX_MM * MM_SIZE
        return T_FRAME0 + FRAME_SIZE * (
            1 + (self.S[st + T_DEPTH] if src == 0 else self.chk_snap[st + T_DEPTH]))

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def chk_region_start(self, r: cython.int) -> cython.int:
        ncpu: cython.int = self.S[G_NCPU]
        if r < ncpu:
            return CPU_BASE + r * CPU_SIZE
        if r == ncpu:
            return MM_BASE
        return TASK_BASE + (r - ncpu - 1) * TASK_SIZE

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_combine(self, total: cython.ulonglong) -> cython.ulonglong:
        """The state's hash from the sum of its regions' hashes (each seeded by its region,
        so no two regions trade places) and G_KICK, the one live header field."""
        m: cython.ulonglong = 0xFFFFFFFFFFFFFFFF
        p1: cython.ulonglong = 0x9E3779B185EBCA87
        f1: cython.ulonglong = 0xFF51AFD7ED558CCD
        f2: cython.ulonglong = 0xC4CEB9FE1A85EC53
        h: cython.ulonglong = (total + cython.cast(cython.ulonglong, self.S[G_KICK]) * p1) & m
        h = ((h ^ (h >> 33)) * f1) & m
        h = ((h ^ (h >> 33)) * f2) & m
        return h ^ (h >> 33)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_hash_now(self) -> cython.ulonglong:
        """The current state's hash, from scratch: with value symmetry, of its canonical
        vector; else the combined hashes of its regions."""
        src: cython.int = 0
        if self.chk_sym:
            self.chk_canon()
            src = 2
        m: cython.ulonglong = 0xFFFFFFFFFFFFFFFF
        total: cython.ulonglong = 0
        r: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            total = (total + self.chk_hash_ints(src, self.chk_region_start(r),
                                                self.chk_region_len(0, r), r)) & m
        return self.chk_combine(total)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_same(self, r: cython.int, n: cython.int) -> cython.bint:
        """Region r's first n ints are equal in S and chk_snap."""
        st: cython.int = self.chk_region_start(r)
        if cython.compiled:
            return memcmp(cython.address(self.S[st]), cython.address(self.chk_snap[st]),
                          n * cython.sizeof(cython.int)) == 0
        else:
            return self.S[st:st + n] == self.chk_snap[st:st + n]

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_child_hash(self) -> cython.ulonglong:
        """The hash of a child of the node in chk_snap: a region the event left as it was
        keeps the node's region hash (chk_node_hashes); the others are hashed and marked
        for chk_undo."""
        m: cython.ulonglong = 0xFFFFFFFFFFFFFFFF
        total: cython.ulonglong = 0
        r: cython.int
        n: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            n = self.chk_region_len(0, r)
            if n == self.chk_plen[r] and self.chk_same(r, n):
                self.chk_changed[r] = 0
                total = (total + self.chk_phash[r]) & m
            else:
                self.chk_changed[r] = 1
                total = (total + self.chk_hash_ints(0, self.chk_region_start(r), n, r)) & m
        if self.chk_sym:
            return self.chk_hash_now()
        return self.chk_combine(total)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_mark_changed(self) -> cython.void:
        """chk_child_hash's marks for chk_undo, without the hashing: the regions whose live
        part the event changed."""
        r: cython.int
        n: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            n = self.chk_region_len(0, r)
            self.chk_changed[r] = 0 if n == self.chk_plen[r] and self.chk_same(r, n) else 1

    def chk_state_hash(self) -> int:
        """The hash the search gives the current state (for tests and tools)."""
        return self.chk_hash_now()

    def chk_canonical(self) -> list:
        """The current state's live regions with value symmetry's renaming (for tests)."""
        self.chk_canon()
        out = []
        r: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            st: cython.int = self.chk_region_start(r)
            out += list(self.chk_buf[st:st + self.chk_region_len(0, r)])
        return out

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_fresh_values(self) -> cython.void:
        """chk_fresh[0]: the smallest FPU value 1..255 no field holds (there are fewer FPU
        fields than values: one always exists); chk_fresh[K]: the smallest PKRU value of
        class K no field holds, never INIT_PKRU, or -1 when there is none.  chk_present: the
        distinct FPU values (not 0) and PKRU values (not 0) the fields hold, in field order."""
        self.chk_value_fields()
        i: cython.int
        v: cython.int
        k: cython.int
        self.chk_npresent_fpu = 0
        self.chk_npresent_pkru = 0
        for i in range(self.chk_nfpu):
            v = self.S[self.chk_fpu_pos[i]]
            if 0 <= v <= FPU_CLOBBERED:
                if (self.chk_rn_fpu[v] < 0 and v != 0 and v != FPU_CLOBBERED
                        and self.chk_npresent_fpu < CHK_MAX_PRESENT):
                    self.chk_present[self.chk_npresent_fpu] = v
                    self.chk_npresent_fpu += 1
                self.chk_rn_fpu[v] = 1
        for i in range(self.chk_npkru):
            v = self.S[self.chk_pkru_pos[i]]
            if 0 <= v < 256:
                if (self.chk_rn_pkru[v >> 2] < 0 and v != 0
                        and self.chk_npresent_pkru < CHK_MAX_PRESENT):
                    self.chk_present[CHK_MAX_PRESENT + self.chk_npresent_pkru] = v
                    self.chk_npresent_pkru += 1
                self.chk_rn_pkru[v >> 2] = 1
        self.chk_fresh[0] = -1
        for v in range(1, 256):
            if self.chk_rn_fpu[v] < 0:
                self.chk_fresh[0] = v
                break
        for k in range(1, 8):
            self.chk_fresh[k] = -1
        for v in range(1, 64):
            k = self.pkru_class(4 * v)
            if self.chk_rn_pkru[v] < 0 and 4 * v != INIT_PKRU and self.chk_fresh[k] < 0:
                self.chk_fresh[k] = 4 * v
        self.chk_unmark()

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_resolve(self, spec: cython.int) -> cython.int:
        """A domain entry's argument in the current state (chk_fresh_values has run): the
        literal, or the value its spec names; -1000 when the entry does not apply here."""
        if spec >= -1:
            return spec
        if spec == CHK_FRESH_FPU:
            return self.chk_fresh[0]
        j: cython.int
        if CHK_PRESENT_FPU - CHK_MAX_PRESENT < spec <= CHK_PRESENT_FPU:
            j = CHK_PRESENT_FPU - spec
            return self.chk_present[j] if j < self.chk_npresent_fpu else -1000
        if CHK_PRESENT_PKRU - CHK_MAX_PRESENT < spec <= CHK_PRESENT_PKRU:
            j = CHK_PRESENT_PKRU - spec
            return (self.chk_present[CHK_MAX_PRESENT + j] if j < self.chk_npresent_pkru
                    else -1000)
        k: cython.int
        if CHK_FRESH_PKRU - 7 <= spec < CHK_FRESH_PKRU:
            k = CHK_FRESH_PKRU - spec
            return self.chk_fresh[k] if self.chk_fresh[k] >= 0 else -1000
        x: cython.int = CHK_CLASS_VALUE - spec
        k = x // 32
        j = x % 32
        if self.chk_fresh[k] >= 0:
            return -1000            # a fresh value of the class stands for every other
        v: cython.int
        for v in range(1, 64):
            if self.pkru_class(4 * v) == k:
                if j == 0:
                    return 4 * v
                j -= 1
        return -1000

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_replay(self, start: cython.int) -> cython.int:
        """Rebuild a node's state: the initial state, then the path chk_path[start:]; the
        resolved triples go to chk_prog.  Returns the path's length, or -1 when an event of
        it stops (it never should: a node's path is violation-free)."""
        self.restore_initial()
        s: cython.int
        k: cython.int
        spec: cython.int
        arg: cython.int
        depth: cython.int = CHK_MAX_DEPTH - start
        for s in range(depth):
            k = self.chk_path[start + s]
            spec = self.chk_dom[3 * k + 2]
            if spec < -1:
                self.chk_fresh_values()
            arg = self.chk_resolve(spec)
            self.chk_prog[3 * s] = self.chk_dom[3 * k]
            self.chk_prog[3 * s + 1] = self.chk_dom[3 * k + 1]
            self.chk_prog[3 * s + 2] = arg
            self.S[G_EVENT] = s
            if self.event(self.chk_dom[3 * k], self.chk_dom[3 * k + 1], arg):
                return -1
        return depth

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def chk_load(self, start: cython.int, k: cython.int) -> cython.void:
        """S[start:start + k] = chk_snap's."""
        if cython.compiled:
            memcpy(cython.address(self.S[start]), cython.address(self.chk_snap[start]),
                   k * cython.sizeof(cython.int))
        else:
            self.S[start:start + k] = self.chk_snap[start:start + k]

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_save(self) -> cython.void:
        """Keep the node's state (chk_snap), its regions' live lengths and hashes."""
        n: cython.int = self.S[G_USED]
        if cython.compiled:
            memcpy(cython.address(self.chk_snap[0]), cython.address(self.S[0]),
                   n * cython.sizeof(cython.int))
        else:
            self.chk_snap[0:n] = self.S[0:n]
        r: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            self.chk_plen[r] = self.chk_region_len(1, r)
            self.chk_phash[r] = self.chk_hash_ints(1, self.chk_region_start(r),
                                                   self.chk_plen[r], r)
            self.chk_changed[r] = 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_undo(self) -> cython.void:
        """Back to the node after one event (chk_child_hash has marked what changed): the
        header, and the live part of each changed region.  What is left above a region's
        live part is dead (chk_region_len)."""
        self.chk_load(0, CPU_BASE)
        r: cython.int
        for r in range(self.chk_snap[G_NCPU] + 1 + self.chk_snap[G_NTASK]):
            if self.chk_changed[r]:
                self.chk_load(self.chk_region_start(r), self.chk_plen[r])
                self.chk_changed[r] = 0
        self.clean_cpu = -1

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_differs(self) -> cython.int:
        """verify: the first live slot where S is not the node's state (G_EVENT aside), or
        -1."""
        i: cython.int
        for i in range(CPU_BASE):
            if i != G_EVENT and self.S[i] != self.chk_snap[i]:
                return i
        r: cython.int
        n: cython.int
        st: cython.int
        for r in range(self.S[G_NCPU] + 1 + self.S[G_NTASK]):
            n = self.chk_region_len(0, r)
            st = self.chk_region_start(r)
            if n != self.chk_plen[r]:
                return st
            for i in range(n):
                if self.S[st + i] != self.chk_snap[st + i]:
                    return st + i
        return -1

    @cython.cfunc
    @cython.inline
    @cython.exceptval(check=False)
    def injected_op(self, op: cython.int) -> cython.bint:
        """The events that land between micro-steps (events.py's ``injected``)."""
        return (op == OP_IRQ or op == OP_NMI or op == OP_MCE or op == OP_DB or op == OP_BP
                or op == OP_UACCESS_FAULT or op == OP_VMALLOC_FAULT)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_insert(self, h: cython.ulonglong, i: cython.long, k: cython.int) -> cython.void:
        """A child state's hash into the table (linear probing, 0 empty); a new one is
        counted, and appended as node (i, k) when the layer's nodes are stored."""
        if h == 0:
            h = 1
        mask: cython.ulonglong = len(self.chk_table) - 1
        idx: cython.ulonglong = h & mask
        while self.chk_table[idx] != 0:
            if self.chk_table[idx] == h:
                return
            idx = (idx + 1) & mask
        self.chk_table[idx] = h
        self.chk_count += 1
        if self.chk_store:
            self.chk_parent[self.chk_nnodes] = cython.cast(cython.int, i)
            self.chk_code[self.chk_nnodes] = k
            self.chk_nnodes += 1

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_stopped(self, i: cython.long, k: cython.int) -> cython.int:
        """An event of entry k from node i stopped the program: a model error, a violation
        (CHK_VIOLATION: the search ends), a known kernel finding, noted once, or a verdict
        other than chk_target's (CHK_OK: the search goes on, past this dead end)."""
        if self.S[G_VIOL] == NORACLES + 1:
            status: cython.int = CHK_MODEL_ERROR
        elif self.S[G_KERNEL_FINDING] != 0:
            if self.chk_out[CHK_OUT_KF] == 0:
                self.chk_out[CHK_OUT_KF] = self.S[G_KERNEL_FINDING]
                self.chk_out[CHK_OUT_KF_PARENT] = i
                self.chk_out[CHK_OUT_KF_INDEX] = k
            return CHK_OK
        elif self.chk_target >= 0 and self.S[G_VIOL] - 1 != self.chk_target:
            return CHK_OK                       # another oracle's verdict: a dead end
        else:
            status = CHK_VIOLATION
        self.chk_out[CHK_OUT_PARENT] = i
        self.chk_out[CHK_OUT_INDEX] = k
        return status

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_verified(self, i: cython.long, k: cython.int) -> cython.int:
        """verify: the state is the node's again after entry k."""
        if not self.chk_verify:
            return CHK_OK
        bad: cython.int = self.chk_differs()
        if bad < 0:
            return CHK_OK
        self.debug_error = "node %d, entry %d: slot %d is not the node's after the event" % (
            i, k, bad)
        return CHK_RESTORE_ERROR

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_child(self, i: cython.long, k: cython.int, depth: cython.int,
                  body: cython.bint) -> cython.int:
        """Run entry k from the node in chk_snap, note the transition and its state, undo.
        ``body``: c's pending steps have run (chk_body_events), only the event proper runs
        (event_body); if it is skipped, the child is the pending steps' state, noted once."""
        c: cython.int = self.chk_dom[3 * k]
        op: cython.int = self.chk_dom[3 * k + 1]
        arg: cython.int = self.chk_resolve(self.chk_dom[3 * k + 2])
        if arg == -1000:
            return CHK_OK
        before: cython.long = self.actions
        self.S[G_EVENT] = depth
        stop: cython.bint = self.event_body(c, op, arg) if body else self.event(c, op, arg)
        if self.actions == before and not stop:
            if body and not self.chk_base_seen:
                # the pending steps, then this event skipped: the base state is a child
                self.chk_base_seen = 1
                self.chk_transitions += 1
                if self.chk_counting:
                    self.chk_insert(self.chk_base_hash, i, k)
            return self.chk_verified(i, k)      # a skipped event is no transition
        self.chk_transitions += 1
        status: cython.int
        if stop:
            status = self.chk_stopped(i, k)
            if status != CHK_OK:
                return status
            self.chk_mark_changed()
        elif self.chk_counting:
            self.chk_insert(self.chk_child_hash(), i, k)
        else:
            self.chk_mark_changed()
        self.chk_undo()
        return self.chk_verified(i, k)

    @cython.cfunc
    @cython.exceptval(check=False)
    def chk_body_events(self, i: cython.long, c: cython.int, k0: cython.int, k1: cython.int,
                        depth: cython.int) -> cython.int:
        """Entries k0..k1-1: c's events that first run c's pending steps.  Those steps are the
        same for all, so they run once, and each event proper runs from their state (the
        base); the base itself is a child only through an event it skips.  The node comes
        back after."""
        status: cython.int = CHK_OK
        k: cython.int
        if self.pending(c) == 0:
            for k in range(k0, k1):
                status = self.chk_child(i, k, depth, False)
                if status != CHK_OK:
                    return status
            return CHK_OK
        n: cython.int = self.S[G_USED]
        if cython.compiled:
            memcpy(cython.address(self.chk_node[0]), cython.address(self.chk_snap[0]),
                   n * cython.sizeof(cython.int))
        else:
            self.chk_node[0:n] = self.chk_snap[0:n]
        self.S[G_EVENT] = depth
        if self.run_pending(c, self.pending(c)):
            # every one of these events stops in the pending steps: the first stands for all
            self.chk_transitions += 1
            status = self.chk_stopped(i, k0)
            if status == CHK_OK:
                self.chk_mark_changed()
                self.chk_undo()
            return status
        if self.chk_counting:
            self.chk_base_hash = self.chk_child_hash()
        self.chk_base_seen = 0
        self.chk_save()
        for k in range(k0, k1):
            status = self.chk_child(i, k, depth, True)
            if status != CHK_OK:
                break
        if status != CHK_VIOLATION and status != CHK_MODEL_ERROR:
            if cython.compiled:
                memcpy(cython.address(self.S[0]), cython.address(self.chk_node[0]),
                       n * cython.sizeof(cython.int))
            else:
                self.S[0:n] = self.chk_node[0:n]
            self.chk_save()
            self.clean_cpu = -1
        return status

    def chk_expand(self, parent: cython.int[::1], code: cython.ushort[::1],
                   lo: cython.long, hi: cython.long, store: cython.int,
                   table: cython.ulonglong[::1], out: cython.long[::1]) -> cython.long:
        """Expand nodes lo..hi-1 of one layer: run every domain entry from each, count the
        transitions (an event that does nothing is none), and insert the new states into
        ``table``, appending them as nodes (parent, domain index) when ``store``.  ``out``
        carries the counts in and out (CHK_OUT_*).  Stops before a node whose children might
        not fit (the node arrays' length; the table's entry limit, out[CHK_OUT_MAX_COUNT]; -1:
        the table is full, run the layer without counting its states), and at a violation: the first of the layer, so a shortest.  A known kernel finding is
        noted once and the search goes on.  Returns the next node to expand.

        The domain is grouped by CPU: its step and injected events first, then the events
        that run its pending steps first (chk_body_events)."""
        ndom: cython.int = self.chk_ndom
        self.chk_parent = parent
        self.chk_code = code
        self.chk_table = table
        self.chk_out = out
        self.chk_store = store
        self.chk_nnodes = out[CHK_OUT_NODES]
        self.chk_count = out[CHK_OUT_COUNT]
        self.chk_transitions = 0
        max_count: cython.long = out[CHK_OUT_MAX_COUNT]
        self.chk_counting = 1 if max_count >= 0 else 0
        i: cython.long
        j: cython.long
        k: cython.int
        k1: cython.int
        start: cython.int
        depth: cython.int
        status: cython.int = CHK_OK
        i = lo
        while i < hi:
            if ((store and self.chk_nnodes + ndom > len(parent))
                    or (self.chk_counting and self.chk_count + ndom > max_count)):
                break
            start = CHK_MAX_DEPTH              # the node's path, from the root
            j = i
            while j != 0:
                start -= 1
                self.chk_path[start] = code[j]
                j = parent[j]
            depth = CHK_MAX_DEPTH - start
            if self.chk_replay(start) < 0:
                status = CHK_MODEL_ERROR
                self.debug_error = "node %d: its path stops on replay" % i
                break
            self.chk_save()
            self.chk_fresh_values()
            k = 0
            while k < ndom and status == CHK_OK:
                if self.injected_op(self.chk_dom[3 * k + 1]) or self.chk_dom[3 * k + 1] == OP_STEP:
                    status = self.chk_child(i, k, depth, False)
                    k += 1
                else:
                    k1 = k + 1
                    while (k1 < ndom and self.chk_dom[3 * k1] == self.chk_dom[3 * k]
                           and not self.injected_op(self.chk_dom[3 * k1 + 1])
                           and self.chk_dom[3 * k1 + 1] != OP_STEP):
                        k1 += 1
                    status = self.chk_body_events(i, self.chk_dom[3 * k], k, k1, depth)
                    k = k1
            if status != CHK_OK:
                break
            i += 1
        out[CHK_OUT_STATUS] = status
        out[CHK_OUT_NODES] = self.chk_nnodes
        out[CHK_OUT_COUNT] = self.chk_count
        out[CHK_OUT_TRANSITIONS] += self.chk_transitions
        return i

    def chk_rehash(self, old: cython.ulonglong[::1], new: cython.ulonglong[::1]):
        """Move every hash of ``old`` into ``new`` (a larger power of two)."""
        mask: cython.ulonglong = len(new) - 1
        i: cython.long
        h: cython.ulonglong
        idx: cython.ulonglong
        for i in range(len(old)):
            h = old[i]
            if h != 0:
                idx = h & mask
                while new[idx] != 0:
                    idx = (idx + 1) & mask
                new[idx] = h

    def chk_program(self, parent: cython.int[::1], code: cython.ushort[::1], node: cython.long,
                    last: cython.int) -> list:
        """The resolved (cpu, opcode, arg) triples of node's path, then of domain entry
        ``last`` (-1: none) from its state; the machine is left after them."""
        start: cython.int = CHK_MAX_DEPTH
        j: cython.long = node
        while j != 0:
            start -= 1
            self.chk_path[start] = code[j]
            j = parent[j]
        depth: cython.int = self.chk_replay(start)
        out = list(self.chk_prog[:3 * max(depth, 0)])
        if depth >= 0 and last >= 0:
            spec: cython.int = self.chk_dom[3 * last + 2]
            self.chk_fresh_values()
            arg: cython.int = self.chk_resolve(spec)
            out += [self.chk_dom[3 * last], self.chk_dom[3 * last + 1], arg]
            self.S[G_EVENT] = depth
            self.event(self.chk_dom[3 * last], self.chk_dom[3 * last + 1], arg)
        return out

    def cov_reset_run(self):
        """Start a coverage-collecting run: count new coverage entries from zero."""
        self.cov_new = 0

    def value_features(self) -> tuple:
        """The fuzz engine's value features of the current state (fuzzcore/fuzz.py): one tuple
        per CPU of the relations the abstract-state coverage (cover) does not see.  For the
        current task: registers against its XSAVE image and logical state (FPU, PKRU, PASID),
        FPU ownership, signal frames, refcount, the top frame and body operation.  Fields, in
        order:
        0 cpu, 1 fpu == logical, 2 fpu == image, 3 fpu == 0, 4 logical fpu == 0,
        5 TIF_NEED_FPU_LOAD, 6 owner == current, 7 last_cpu == cpu, 8 pkru == logical,
        9 pkru == thread.pkru, 10 pkru == image, 11 XINUSE[PKRU], 12 image's PKRU bit,
        13 pasid >= 0, 14 pasid == mm's, 15 mm has a PASID, 16 image pasid == mm's,
        17 pasid_activated, 18 logical pasid, 19 signal frames, 20 signal pending, 21 depth,
        22 top frame kind, 23 body operation, 24 task kind, 25 sw step, 26 in kernel FPU,
        27 softirq count, 28 PKS refcount > 0, 29 depth > 0, 30 frames > 0, 31 window open,
        32 in hardirq or NMI,
        33 (VF_CELL) the cell: the coarse fields (0-2, 5-8, 10, 12-17, 20, 24, 26, 29-32:
        the relations the designs break, without the frame details that make features so
        many) packed into one int, bit i for the flag of field i, the task kind in bits
        24-25 and the cpu from bit 33: the engine's Go-Explore archive key, an int because
        the engine hashes it for every input it keeps.
        Once per execution, so it is here in the core (7 us as Python, 1 us compiled)."""
        out = []
        c: cython.int
        for c in range(self.S[G_NCPU]):
            C: cython.int = self.cpu(c)
            t: cython.int = self.S[C + C_CURR]
            T: cython.int = self.task(t)
            d: cython.int = self.S[T + T_DEPTH]
            F: cython.int = self.frame(t, d)
            fpu: cython.int = self.S[C + C_FPU]
            pkru: cython.int = self.S[C + C_PKRU]
            pasid: cython.int = self.S[C + C_PASID]
            mm: cython.int = self.S[T + T_MM]
            mmp: cython.int = self.S[MM_BASE + mm * MM_SIZE + MM_PASID] if mm >= 0 else -2
            fpu_logical: cython.bint = fpu == self.S[T + T_L_FPU]
            fpu_image: cython.bint = fpu == self.S[T + T_FPS_FPU]
            need_load: cython.int = self.S[T + T_NEED_FPU_LOAD]
            owned: cython.bint = self.S[C + C_OWNER] == t
            last_here: cython.bint = self.S[T + T_LAST_CPU] == c
            pkru_logical: cython.bint = pkru == self.S[T + T_L_PKRU]
            pkru_image: cython.bint = pkru == self.S[T + T_FPS_PKRU]
            image_pkru_bit: cython.int = self.S[T + T_FPS_PKRU_BV]
            pasid_valid: cython.bint = pasid >= 0
            pasid_mm: cython.bint = pasid == mmp
            mm_pasid: cython.bint = mmp >= 0
            image_pasid_mm: cython.bint = self.S[T + T_FPS_PASID] == mmp
            activated: cython.int = self.S[T + T_PASID_ACT]
            pending: cython.int = self.S[T + T_SIGPENDING]
            kind: cython.int = self.S[T + T_KIND]
            in_kfpu: cython.int = self.S[C + C_IN_KFPU]
            nested: cython.bint = d > 0
            frames: cython.bint = self.S[T + T_NSIG] > 0
            window: cython.bint = self.S[T + T_WINDOW] > 0
            in_irq: cython.bint = self.S[C + C_HARDIRQ] + self.S[C + C_NMI] > 0
            low: cython.int = (
                fpu_logical << 1 | fpu_image << 2 | (need_load != 0) << 5 | owned << 6
                | last_here << 7 | pkru_logical << 8 | pkru_image << 10
                | (image_pkru_bit != 0) << 12 | pasid_valid << 13 | pasid_mm << 14
                | mm_pasid << 15 | image_pasid_mm << 16 | (activated != 0) << 17
                | (pending != 0) << 20 | (kind & 3) << 24 | (in_kfpu != 0) << 26
                | nested << 29 | frames << 30)
            cell: cython.longlong = low | cython.cast(
                cython.longlong, window | in_irq << 1 | c << 2) << 31
            out.append((
                c, fpu_logical, fpu_image, fpu == 0, self.S[T + T_L_FPU] == 0, need_load,
                owned, last_here, pkru_logical, pkru == self.S[T + T_THREAD_PKRU], pkru_image,
                self.S[C + C_XINUSE_PKRU], image_pkru_bit, pasid_valid, pasid_mm, mm_pasid,
                image_pasid_mm, activated, self.S[T + T_L_PASID], self.S[T + T_NSIG], pending,
                d, self.S[F + F_KIND], self.S[F + F_BODYOP], kind, self.S[C + C_SW_STEP],
                in_kfpu, self.S[C + C_SOFTIRQ], self.S[T + T_PKS_REF] > 0, nested, frames,
                window, in_irq, cell))
        return tuple(out)

    def pending_step(self, c: cython.int) -> int:
        """The next micro-step pending on CPU c, or -1 (for tools and tests)."""
        return self.next_step(c)

    # ----------------------------------------------------------------------------------------
    # The debug type invariant (SPEC 1.3), checked after every micro-step when self.debug.

    def validate(self) -> str:
        ncpu = self.S[G_NCPU]
        ntask = self.S[G_NTASK]
        place = [0] * ntask
        for c in range(ncpu):
            C = CPU_BASE + c * CPU_SIZE
            cur = self.S[C + C_CURR]
            if not 0 <= cur < ntask:
                return "cpu%d: current %d out of range" % (c, cur)
            place[cur] += 1
            if self.S[TASK_BASE + cur * TASK_SIZE + T_STATE] not in (TS_RUNNING, TS_DEAD,
                                                                TS_SLEEPING, TS_RUNNABLE):
                return "cpu%d: current task %d in state %d" % (
                    c, cur, self.S[TASK_BASE + cur * TASK_SIZE + T_STATE])
            for f in (C_IF, C_GS_USER, C_NEED_RESCHED, C_PEND_TIMER, C_PEND_DEV, C_PEND_IPI,
                      C_IN_MCE, C_XINUSE_PKRU, C_IN_KFPU, C_SOFTIRQ_PENDING):
                if self.S[C + f] not in (0, 1):
                    return "cpu%d: flag field %d is %d" % (c, f, self.S[C + f])
            for f in (C_CT_CALLS, C_RCU_NMI, C_RCU_IRQ, C_PREEMPT, C_SOFTIRQ, C_HARDIRQ,
                      C_NMI, C_DR7_OFF):
                if self.S[C + f] < 0:
                    return "cpu%d: count field %d negative (%d)" % (c, f, self.S[C + f])
            if self.S[C + C_CT] not in (CT_KERNEL, CT_USER, CT_IDLE):
                return "cpu%d: bad ct_state %d" % (c, self.S[C + C_CT])
            if self.S[C + C_NMI_STATE] not in (0, 1, 2):
                return "cpu%d: bad nmi_state" % c
            if not 0 <= self.S[C + C_FPU] <= 256:
                return "cpu%d: fpu value %d" % (c, self.S[C + C_FPU])
            n = self.S[C + C_RQ_LEN]
            if not 0 <= n <= MAX_TASK:
                return "cpu%d: run-queue length %d" % (c, n)
            for i in range(n):
                q = self.S[C + C_RQ + i]
                if not 0 <= q < ntask:
                    return "cpu%d: queued task %d out of range" % (c, q)
                place[q] += 1
                if self.S[TASK_BASE + q * TASK_SIZE + T_STATE] != TS_RUNNABLE:
                    return "cpu%d: queued task %d is not runnable" % (c, q)
                if self.S[TASK_BASE + q * TASK_SIZE + T_CPU] != c:
                    return "task %d queued on cpu%d but says cpu%d" % (
                        q, c, self.S[TASK_BASE + q * TASK_SIZE + T_CPU])
        for t in range(ntask):
            T = TASK_BASE + t * TASK_SIZE
            st = self.S[T + T_STATE]
            kind = self.S[T + T_KIND]
            if not 0 <= self.S[T + T_DEPTH] < MAX_DEPTH:
                return "task %d: frame depth %d" % (t, self.S[T + T_DEPTH])
            if self.S[T + T_WINDOW] < 0 or self.S[T + T_MIGRATE_DISABLE] < 0 or self.S[T + T_PKS_REF] < -1000:
                return "task %d: negative count" % t
            if kind == K_IDLE:
                if place[t] > 1:
                    return "idle task %d in %d places" % (t, place[t])
                continue
            if st == TS_RUNNING and place[t] != 1:
                return "running task %d is current on %d CPUs" % (t, place[t])
            if st == TS_RUNNABLE:
                # a runnable task is queued, or is a prev whose switch has not picked yet
                if place[t] != 1 and not self.is_switch_prev(t):
                    return "runnable task %d in %d places" % (t, place[t])
            if st in (TS_SLEEPING, TS_FREE, TS_NEW) and place[t] != 0:
                if not self.is_switch_prev(t):
                    return "task %d (state %d) in %d places" % (t, st, place[t])
        return ""

    def is_switch_prev(self, t) -> bool:
        """t is the prev or the picked next of a context switch under way."""
        for c in range(self.S[G_NCPU]):
            C = CPU_BASE + c * CPU_SIZE
            if self.S[C + C_SW_STEP] != 0 and t in (self.S[C + C_SW_PREV], self.S[C + C_SW_NEXT]):
                return True
        return False
