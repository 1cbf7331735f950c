"""What a handler's body may do: the handler kind x body event table, with a kernel path for
every allowed cell (the fidelity issue, rule s).

Data flow: events -> program -> **machine (guards)**.  A body event runs only in a body whose
kind allows it here; the core reads this table as one bitmask per kind (``body_masks()``) and
numbers the kinds ``CTX_*`` in the order of ``CONTEXTS`` (``tests/test_build.py`` checks it).
The finer guards (a sleepable context needs preempt count 0 and IF=1, ``kfpu_begin`` asks
``irq_fpu_usable()``, ``kunmap`` needs a kmap of this frame...) stay with their events in the
core; this table says only whether some kernel path does that thing in that context at all, so
that a reproducer is a path a kernel developer recognises.

Sources: Linux v6.8 (the v6.8 tarball import, sndrzt/linux-6.8 3bc197e7cf3c; PKS, never merged,
from Ira Weiny's series), read for this table.  ``stray_write`` is the bug the PKS designs
exist to catch: any kernel code in any context can do it, so it is allowed wherever a body runs.
``ret`` ends every body.  Where the kernel plausibly does a thing the table errs on allowing it
(a missed bug is also a failure), but never without a citation.
"""
from __future__ import annotations

from dataclasses import dataclass

from .events import BY_NAME


@dataclass(frozen=True)
class Context:
    name: str
    what: str
    allowed: dict[str, str]          # body event -> the kernel path that does it here
    nofault: bool = False            # its user accesses are all *_nofault: a #PF only fixes up
    kprobes: bool = True             # int3 (a kprobe) can land in its body


_SYSCALL_PATHS = {
    "fork": "kernel/fork.c kernel_clone()",
    "clone": "kernel/fork.c kernel_clone() (CLONE_VM|CLONE_THREAD)",
    "exec": "fs/exec.c begin_new_exec()",
    "exit": "kernel/exit.c do_exit()",
    "sigreturn": "arch/x86/kernel/signal_64.c rt_sigreturn()",
    "pasid_bind": "drivers/iommu/iommu-sva.c iommu_sva_bind_device()",
    "pkey_alloc": "mm/mprotect.c pkey_alloc() -> arch_set_user_pkey_access() -> write_pkru()",
    "rseq": "kernel/rseq.c sys_rseq() (glibc registers one for every thread)",
}

_TASK_COMMON = {
    "kmap": "lib/iov_iter.c copy_page_to_iter() -> kmap_local_page(); for pmem, fs/dax.c "
            "dax_iomap_iter() and drivers/nvdimm/pmem.c read_pmem()",
    "kunmap": "the kunmap_local() of the same path",
    "pmem_read": "drivers/nvdimm/pmem.c read_pmem() -> copy_mc_to_kernel(); fs/dax.c "
                 "dax_copy_to_iter() -> _copy_mc_to_iter()",
    "stray_write": "the bug model: any kernel code",
    "kfpu_begin": "arch/x86/crypto/crc32c-intel_glue.c crc32c_pcl_intel_update(): "
                  "crypto_simd_usable() -> kernel_fpu_begin()",
    "kfpu_end": "the kernel_fpu_end() of the same path",
    "sleep": "a blocking wait -> schedule()",
    "yield": "kernel/sched/core.c do_sched_yield(), cond_resched()",
    "wake": "try_to_wake_up(): a futex wake, complete(), rwsem_wake()",
    "migrate": "kernel/sched/fair.c run_rebalance_domains() (SCHED_SOFTIRQ), run at the exit "
               "of an irq taken at this point (IRQs are on), or newidle_balance() in schedule()",
    "kill": "kernel/signal.c kill_something_info() (kill(2)); mm/oom_kill.c "
            "__oom_kill_process() from an allocation",
}

CONTEXTS: tuple[Context, ...] = (
    Context("syscall", "a system call's body (task context)", {
        **_TASK_COMMON, **_SYSCALL_PATHS,
        "uaccess_fault": "copy_from_user()/copy_to_user() of the syscall's arguments",
    }),
    Context("pf_user", "a #PF from user handling the fault (do_user_addr_fault(), IRQs on)", {
        **_TASK_COMMON,
        "kmap": "mm/memory.c wp_page_copy() -> __wp_page_copy_user() -> copy_mc_user_highpage()"
                " (kmap_local_page of the source page: a DAX/pmem page)",
        "kunmap": "the kunmap_local() of copy_mc_user_highpage()",
        "pmem_read": "copy_mc_user_highpage() -> copy_mc_to_kernel() on copy-on-write",
        "kfpu_begin": "a file fault's read: filemap_fault() -> ext4 extent checksum -> "
                      "crc32c_pcl_intel_update() -> kernel_fpu_begin()",
        "sleep": "lock_mm_and_find_vma(), folio_lock() in handle_mm_fault()",
        "wake": "mmap_read_unlock() -> rwsem_wake(); folio_unlock()",
        "kill": "mm/oom_kill.c __oom_kill_process() from the fault's allocation",
        "uaccess_fault": "arch/x86/entry/vsyscall/vsyscall_64.c emulate_vsyscall() (vsyscall="
                         "xonly, the default): the emulated gettimeofday() writes user memory",
    }),
    Context("pf_kernel", "a #PF from kernel at a user access, with page faults enabled", {
        **_TASK_COMMON,
        "kmap": "the same copy-on-write path as a #PF from user (handle_mm_fault())",
        "kunmap": "the kunmap_local() of copy_mc_user_highpage()",
        "pmem_read": "copy_mc_user_highpage() -> copy_mc_to_kernel() on copy-on-write",
        "kfpu_begin": "filemap_fault() -> ext4 extent checksum -> kernel_fpu_begin()",
        "sleep": "lock_mm_and_find_vma(), folio_lock() in handle_mm_fault()",
        "wake": "mmap_read_unlock() -> rwsem_wake()",
        "kill": "mm/oom_kill.c __oom_kill_process() from the fault's allocation",
        "uaccess_fault": "the perf software page-fault event: perf_callchain_user() -> "
                         "copy_from_user_nmi() (nofault: a #PF there only fixes up)",
    }, nofault=True),
    Context("gp", "a #GP from user that is not a PASID fault (exc_general_protection(), "
                  "after cond_local_irq_enable())", {
        "stray_write": "the bug model: any kernel code",
        "uaccess_fault": "arch/x86/kernel/umip.c fixup_umip_exception() -> "
                         "insn_fetch_from_user() -> copy_from_user()",
    }),
    Context("gp_fixed", "a #GP whose try_fixup_enqcmd_gp() succeeded: `return;` follows", {}),
    Context("irq", "a hardirq handler's body (IRQs off)", {
        "kmap": "drivers/mmc/host/tmio_mmc_core.c tmio_mmc_pio_irq() -> kmap_local_page() of "
                "the request's page (a DAX page under O_DIRECT); libata ata_pio_xfer()",
        "kunmap": "the kunmap_local() of the same PIO transfer",
        "pmem_read": "the PIO transfer's access to the mapped page (ata_pio_xfer() -> "
                     "sff_data_xfer())",
        "stray_write": "the bug model: any kernel code",
        "kfpu_begin": "arch/x86/kernel/fpu/core.c irq_fpu_usable(): \"In hard interrupt context "
                      "it's safe when soft interrupts are enabled\"",
        "kfpu_end": "the kernel_fpu_end() of the same section",
        "wake": "kernel/time/hrtimer.c hrtimer_wakeup() -> wake_up_process(); complete()",
        "kill": "kernel/time/itimer.c it_real_fn() -> kill_pid_info(SIGALRM); evdev "
                "kill_fasync(SIGIO)",
        "uaccess_fault": "perf's hrtimer sampling: perf_callchain_user() -> "
                         "copy_from_user_nmi() under pagefault_disable()",
        "raise_softirq": "raise_softirq_irqoff() from a driver (NET_RX, tasklets, the tick's "
                         "SCHED_SOFTIRQ)",
    }),
    Context("softirq", "a softirq run (on irq exit, or from local_bh_enable())", {
        "kmap": "include/crypto/scatterwalk.h scatterwalk_map() -> kmap_local_page() (IPsec "
                "in NET_RX)",
        "kunmap": "scatterwalk_unmap() -> kunmap_local()",
        "pmem_read": "the crypto walk's access to the mapped page",
        "stray_write": "the bug model: any kernel code",
        "kfpu_begin": "crypto/simd.c simd_skcipher_encrypt() -> crypto_simd_usable() -> "
                      "kernel_fpu_begin(); net/netfilter/nft_set_pipapo_avx2.c",
        "kfpu_end": "the kernel_fpu_end() of the same section",
        "wake": "kernel/time/timer.c process_timeout() -> wake_up_process()",
        "migrate": "kernel/sched/fair.c run_rebalance_domains() -> load_balance() -> "
                   "attach_tasks()",
        "kill": "net/socket.c sock_wake_async() -> kill_fasync(SIGIO)",
        "uaccess_fault": "bpf_probe_read_user() -> copy_from_user_nofault()",
        "raise_softirq": "a softirq raising another (net_tx_action, tasklet_schedule()): "
                         "__do_softirq() restarts",
    }),
    Context("nmi", "an NMI handler's body", {
        "stray_write": "the bug model: any kernel code",
        "uaccess_fault": "arch/x86/events/core.c perf_callchain_user() -> copy_from_user_nmi()"
                         " (arch/x86/lib/usercopy.c: nmi_uaccess_okay(), pagefault_disable())",
    }),
    Context("mce", "do_machine_check(), user or kernel: noinstr, IRQs off, MCIP held", {
        "stray_write": "the bug model: any kernel code",
    }, kprobes=False),
    Context("db_user", "exc_debug_user() after local_irq_enable()", {
        "stray_write": "the bug model: any kernel code",
        "sleep": "arch/x86/kernel/cpu/intel.c handle_bus_lock(): `while (!__ratelimit("
                 "&bld_ratelimit)) msleep(20);`",
        "yield": "msleep() -> schedule()",
        "migrate": "run_rebalance_domains() at the exit of an irq taken here (IRQs are on)",
        "kill": "arch/x86/kernel/traps.c send_sigtrap() -> force_sig_fault(SIGTRAP): the "
                "current task only",
        "uaccess_fault": "notify_debug() -> perf_bp_event() -> perf_callchain_user() "
                         "(nofault)",
    }, nofault=True),
    Context("db_kernel", "exc_debug_kernel(): NMI-like, DR7 cleared", {
        "stray_write": "the bug model: any kernel code",
        "uaccess_fault": "kernel/events/hw_breakpoint.c hw_breakpoint_handler() -> "
                         "perf_bp_event() -> perf_callchain_user() (nofault)",
    }),
    Context("bp_user", "do_int3_user() after cond_local_irq_enable()", {
        "stray_write": "the bug model: any kernel code",
        "migrate": "run_rebalance_domains() at the exit of an irq taken here (IRQs are on)",
        "kill": "do_int3_user() -> do_trap() -> force_sig(SIGTRAP): the current task only",
    }),
    Context("bp_kernel", "exc_int3() -> do_int3(): a kprobe handler, NMI-like", {
        "stray_write": "the bug model: any kernel code",
        "uaccess_fault": "kernel/trace/trace_kprobe.c fetch_store_string_user() -> "
                         "strncpy_from_user_nofault(); bpf_probe_read_user()",
    }, kprobes=False),
    Context("kthread", "a kernel thread's body (task context)", {
        **_TASK_COMMON,
        "kmap": "mm/khugepaged.c __collapse_huge_page_copy() -> copy_mc_user_highpage() "
                "(kmap_local_page)",
        "pmem_read": "mm/khugepaged.c: `if (copy_mc_user_highpage(page, src_page, _address, "
                     "vma) > 0)`",
        "kfpu_begin": "lib/raid6/avx2.c raid6_avx21_gen_syndrome() -> kernel_fpu_begin() "
                      "(md's raid5d)",
        "sleep": "kernel/kthread.c kthread() -> schedule_preempt_disabled()",
        "wake": "kernel/kthread.c kthread() -> complete(done)",
        "migrate": "kernel/sched/fair.c active_load_balance_cpu_stop() -> attach_one_task() "
                   "(the stopper thread)",
        "kill": "drivers/block/drbd/drbd_worker.c: send_sig(SIGXCPU, task, 1)",
        "uaccess_fault": "drivers/usb/gadget/function/f_fs.c ffs_user_copy_worker(): "
                         "kthread_use_mm() then copy_to_iter() (a kthread using an mm only)",
        "use_mm": "kernel/kthread.c kthread_use_mm() (io_uring, f_fs, vhost workers)",
        "unuse_mm": "kernel/kthread.c kthread_unuse_mm()",
    }),
    Context("idle", "the idle loop (do_idle()), in RCU's extended quiescent state between "
                    "its operations (which leave it)", {
        "yield": "kernel/sched/idle.c do_idle() -> schedule_idle()",
        "wake": "do_idle() -> flush_smp_call_function_queue() -> sched_ttwu_pending()",
        "migrate": "schedule_idle() -> __schedule() -> pick_next_task_fair() -> "
                   "newidle_balance()",
    }, kprobes=False),
    Context("vmalloc", "vmalloc_fault() (pre-5.8): noinstr, no body", {}, kprobes=False),
    Context("sigreturned", "a syscall after rt_sigreturn restored the frame: only the return "
                           "follows (arch/x86/kernel/signal_64.c rt_sigreturn())", {}),
)

CTX = {ctx.name: i for i, ctx in enumerate(CONTEXTS)}

# Events whose guard is not a body's: user-mode events, injected events, and `step`.  Every
# other event runs in a body and is looked up here; `ret` is allowed in every body.
BODY_EVENTS = ("kmap", "kunmap", "pmem_read", "stray_write", "kfpu_begin", "kfpu_end", "sleep",
               "yield", "wake", "migrate", "kill", "uaccess_fault", "raise_softirq", "use_mm",
               "unuse_mm", "fork", "clone", "exec", "exit", "sigreturn", "pasid_bind",
               "pkey_alloc", "rseq")


def body_masks() -> tuple[list[int], int, int]:
    """(one bitmask of allowed opcodes per context, the contexts whose user accesses are all
    nofault, the contexts where a kprobe can land), for the core."""
    assert len(BY_NAME) < 63, "the core keeps a context's events in one 64-bit mask"
    masks = []
    nofault = 0
    kprobes = 0
    for i, ctx in enumerate(CONTEXTS):
        unknown = set(ctx.allowed) - set(BODY_EVENTS)
        assert not unknown, f"{ctx.name}: not body events: {sorted(unknown)}"
        mask = 1 << BY_NAME["ret"].opcode
        for name in ctx.allowed:
            mask |= 1 << BY_NAME[name].opcode
        masks.append(mask)
        nofault |= ctx.nofault << i
        kprobes |= ctx.kprobes << i
    return masks, nofault, kprobes


def markdown_table() -> str:
    """The table for the README: one row per handler kind, its allowed events."""
    rows = ["| handler kind | what | body events it may run |", "| --- | --- | --- |"]
    for ctx in CONTEXTS:
        events = ", ".join(f"`{e}`" for e in BODY_EVENTS if e in ctx.allowed) or "none"
        rows.append(f"| `{ctx.name}` | {ctx.what} | {events} |")
    return "\n".join(rows)
