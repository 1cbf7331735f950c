#!/usr/bin/env python3
"""Regenerate fuzzcore/_core.pxd from fuzzcore/_core.py.

The core is written once, in Cython pure Python mode.  Its .pxd (the typed view Cython compiles
against) is derived from the .py: every integer constant becomes a C int, every
``@cython.cfunc`` method a C method.  Run this after changing the core's signatures or layout;
``tests/test_build.py`` fails while the committed .pxd is stale.

    python scripts/gen_pxd.py          # rewrite the .pxd
    python scripts/gen_pxd.py --check  # exit 1 if it is stale
"""
from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "fuzzcore" / "_core.py"
PXD = CORE.with_suffix(".pxd")
CTYPES = {"cython.int": "int", "cython.bint": "bint", "cython.void": "void",
          "cython.long": "long", "cython.ulonglong": "unsigned long long"}

ATTRIBUTES = """\
    cdef public int[::1] S           # the state vector (layout: the constants above)
    cdef public int[::1] init_state  # the configuration's initial state
    cdef public int v_pks, v_pkru, v_pasid, v_fpu           # design codes (variants.py)
    cdef public int v_ct_decide, v_ct_windows, v_ct_guard, v_ct_old_irq
    cdef public int debug            # check the type invariant after every micro-step
    cdef public int ignore_mask      # oracles (bit per oracle) never reported
    cdef public unsigned char[::1] cov  # model coverage bitmap (COV_SIZE)
    cdef public int cov_on, cov_new  # collecting coverage?, new entries in this run
    cdef public long actions         # micro-steps and event actions run (never reset)
    cdef int clean_cpu               # the CPU whose state oracles passed last, nothing written since
    cdef unsigned char[::1] step_flags  # per step, its SF_* flags in this design
    cdef long long[::1] body_ok      # per handler kind (CTX_*), the body events it may run (bit per opcode)
    cdef int ctx_nofault, ctx_kprobes  # handler kinds whose user accesses are nofault / where kprobes land
    cdef int[::1] used_depth         # per task, its deepest frame written since the last restore
    cdef public unsigned char[::1] cov_run  # the run's features (marked 1) for a fuzz engine, or None
    cdef public int[::1] dec_kind, dec_lo, dec_span  # the binary decoding's table
    cdef object kept_bytes           # run_bytes'/grow_bytes' effective events (a bytearray, grown as needed)
    cdef unsigned char[::1] kept_view  # ... and its buffer, written in C
    cdef public int tracing          # record trace entries and state snapshots
    cdef public object trace         # array('i') of (kind, event, cpu, arg) records
    cdef public list snapshots       # the state after every recorded step (bytes)
    cdef public str debug_error      # what the type-invariant check found
    cdef int[::1] chk_dom            # fuzzcore check: its domain, (cpu, opcode, argspec) triples
    cdef int chk_ndom, chk_sym, chk_verify  # ... its size; value symmetry on?; verify every undo?
    cdef int chk_target              # the one oracle searched for, -1 any
    cdef int[::1] chk_snap           # the state being expanded (its used prefix)
    cdef int[::1] chk_buf            # value symmetry: the live regions renamed (chk_canon)
    cdef int[::1] chk_fpu_pos, chk_pkru_pos  # where the state holds FPU and PKRU values
    cdef int chk_nfpu, chk_npkru
    cdef int[::1] chk_rn_fpu, chk_rn_pkru  # value renaming (-1: not seen yet)
    cdef int[::1] chk_rank           # per PKRU class, labels given so far
    cdef int[::1] chk_fresh          # [0] a fresh FPU value, [K] a fresh PKRU value of class K
    cdef int[::1] chk_present        # the FPU values, then (from CHK_MAX_PRESENT) the PKRU values held
    cdef int chk_npresent_fpu, chk_npresent_pkru
    cdef int[::1] chk_prog           # the resolved (cpu, opcode, arg) triples of the last path
    cdef int[::1] chk_path           # the domain indices of the path being replayed
    cdef int[::1] chk_plen           # per region (chk_region_len), the node's live length ...
    cdef unsigned long long[::1] chk_phash  # ... and hash
    cdef int[::1] chk_changed        # per region: the event changed it (chk_undo restores it)
    cdef int[::1] chk_node           # the node's state while the base is its pending steps' state
    cdef int[::1] chk_parent         # chk_expand's arrays: the nodes' parents ...
    cdef unsigned short[::1] chk_code  # ... and domain indices
    cdef unsigned long long[::1] chk_table  # ... the visited hashes
    cdef long[::1] chk_out           # ... and its CHK_OUT_* record
    cdef int chk_store               # store this layer's new states as nodes
    cdef long chk_nnodes, chk_count, chk_transitions  # nodes, table entries, transitions
    cdef unsigned long long chk_base_hash  # chk_body_events: its base state's hash ...
    cdef int chk_base_seen           # ... and whether it was noted as a child
    cdef int chk_counting            # insert new states (0: the table is full, only run)
"""


def constants(src: str) -> list[str]:
    """Module-level integer constants: ``NAME = expr`` and ``(A, B, ...) = range(n)``."""
    names = []
    nodes = []
    for node in ast.parse(src).body:
        # the constants sit in the module's `if not cython.compiled:` block
        nodes += node.body if isinstance(node, ast.If) else [node]
    for node in nodes:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target = node.targets[0]
        if isinstance(target, ast.Name) and target.id.isupper() and not isinstance(
                node.value, ast.Tuple):
            names.append(target.id)
        elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Call):
            names += [elt.id for elt in target.elts]
    return names


def methods(src: str) -> list[str]:
    out = []
    pattern = (r"    @cython\.cfunc\n((?:    @cython\.[^\n]*\n)*)    def (\w+)\(self(.*?)\)"
               r"(?: -> ([\w.]+))?:")
    for decorators, name, args, ret in re.findall(pattern, src, re.S):
        params = []
        for arg in filter(None, (a.strip() for a in args.split(","))):
            pname, ptype = (p.strip() for p in arg.split(":"))
            params.append(f", {CTYPES[ptype]} {pname}")
        inline = "inline " if "inline" in decorators else ""
        out.append(f"    cdef {inline}{CTYPES[ret]} {name}(self{''.join(params)}) noexcept")
    return out


def values(names: list[str]) -> dict[str, int]:
    """The constants' values, from running _core.py interpreted."""
    spec = importlib.util.spec_from_file_location("_core_for_pxd", CORE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: int(getattr(module, name)) for name in names}


def render() -> str:
    src = CORE.read_text()
    consts = values(constants(src))
    lines = ["# Generated by scripts/gen_pxd.py from _core.py: do not edit by hand.",
             "# The typed view of the machine core; _core.py documents every field.", "",
             "cimport cython", "", "# Compile-time constants: the values _core.py assigns when interpreted.",
             "cdef enum:"]
    lines += [f"    {name} = {value}" for name, value in consts.items()]
    lines += ["", "", "@cython.final", "cdef class Machine:", ATTRIBUTES.rstrip("\n"), ""]
    lines += methods(src)
    return "\n".join(lines) + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not PXD.exists() or PXD.read_text() != text:
            print(f"{PXD} is stale: run python scripts/gen_pxd.py", file=sys.stderr)
            return 1
        return 0
    PXD.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
