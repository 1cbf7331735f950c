"""The build (SPEC 2.3, 5): the compiled core is what a normal run uses, the interpreted core is
the very same source, and the generated/numbered tables agree with their sources of truth."""
from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import re
import subprocess
import sys
from array import array

import pytest

from conftest import INTERPRETED, ROOT, load_core

from fuzzcore import engine, variants
from fuzzcore.config import CONFIGS
from fuzzcore.events import EVENTS, NEVENTS
from fuzzcore.variants import ORACLES, Variant

PROBE = ("import json, fuzzcore.engine as e; "
         "print(json.dumps({'compiled': e.COMPILED, 'file': e.core.__file__}))")


def probe(pure: str | None) -> dict:
    """engine's choice in a fresh interpreter, with FUZZCORE_PURE_PYTHON unset or set."""
    env = {k: v for k, v in os.environ.items() if k != engine.PURE_ENV}
    if pure is not None:
        env[engine.PURE_ENV] = pure
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def is_extension(path: str) -> bool:
    return any(path.endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES)


def test_default_run_uses_the_compiled_extension() -> None:
    """A normal run (no FUZZCORE_PURE_PYTHON) must load the C extension, never _core.py."""
    info = probe(None)
    assert info["compiled"] is True
    assert is_extension(info["file"]), info["file"]
    assert not info["file"].endswith(".py")


def test_pure_python_env_loads_the_source() -> None:
    info = probe("1")
    assert info["compiled"] is False
    assert info["file"].endswith(os.path.join("fuzzcore", "_core.py")), info["file"]


def test_this_session_core() -> None:
    """Whatever this session was started with, engine.COMPILED says the truth about it."""
    assert engine.COMPILED == is_extension(str(engine.core.__file__))
    if os.environ.get(engine.PURE_ENV) != "1":
        assert engine.COMPILED


def test_compiled_module_is_an_extension() -> None:
    module = importlib.import_module("fuzzcore._core")
    assert is_extension(module.__file__)
    assert engine.is_compiled(module)
    assert not engine.is_compiled(INTERPRETED)
    assert INTERPRETED.__file__.endswith("_core.py")


def test_pxd_is_not_stale() -> None:
    out = subprocess.run([sys.executable, "scripts/gen_pxd.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_compiled_extension_is_built_from_the_current_source() -> None:
    """A stale .so (built from an older _core.py) disagrees with the source on the step table
    and the state size: rebuild with ``python setup.py build_ext --inplace``."""
    compiled = load_core("compiled")
    assert tuple(compiled.STEP_NAMES) == tuple(INTERPRETED.STEP_NAMES)
    for cfg in CONFIGS.values():
        a = compiled.Machine(Variant().codes(), cfg.code, 0)
        b = INTERPRETED.Machine(Variant().codes(), cfg.code, 0)
        assert len(a.S) == len(b.S) == INTERPRETED.STATE_SIZE
        assert bytes(a.S) == bytes(b.S), cfg.name


def test_opcodes_follow_the_event_table() -> None:
    core = INTERPRETED
    for e in EVENTS:
        assert getattr(core, "OP_" + e.name.upper()) == e.opcode, e.name
    assert core.NOPS == NEVENTS == len(EVENTS)
    ops = {name for name in vars(core) if name.startswith("OP_")}
    assert ops == {"OP_" + e.name.upper() for e in EVENTS}
    assert [e.opcode for e in EVENTS] == list(range(NEVENTS))


def test_oracle_constants_follow_the_oracle_table() -> None:
    core = INTERPRETED
    for i, name in enumerate(ORACLES):
        assert getattr(core, "O_" + name.upper()) == i, name
    assert core.NORACLES == len(ORACLES)
    assert {n for n in vars(core) if n.startswith("O_")} == {"O_" + o.upper() for o in ORACLES}


def test_variant_record_layout_matches() -> None:
    core = INTERPRETED
    for name in ("V_PKS", "V_PKRU", "V_PASID", "V_FPU", "V_CT_DECIDE", "V_CT_WINDOWS",
                 "V_CT_GUARD", "V_CT_OLD_IRQ"):
        assert getattr(core, name) == getattr(variants, name), name
    assert core.NVARIANT == variants.V_LEN
    assert (core.CT_DECIDE_CS, core.CT_DECIDE_SOFT, core.CT_DECIDE_EXIT_CS) == (
        variants.CT_DECIDE_CS, variants.CT_DECIDE_SOFT, variants.CT_DECIDE_EXIT_CS)
    assert (core.CT_WIN_CLOSED, core.CT_WIN_OLD, core.CT_WIN_GET_USER_ONLY) == (
        variants.CT_WINDOWS_CLOSED, variants.CT_WINDOWS_OLD, variants.CT_WINDOWS_GET_USER_ONLY)
    # design codes the core names itself must be the table's
    for name in dir(core):
        for sub in ("PKS", "PKRU", "PASID", "FPU"):
            if name.startswith(sub + "_") and hasattr(variants, name) and name != "PKS_INIT":
                assert getattr(core, name) == getattr(variants, name), name


def test_step_table_is_consistent() -> None:
    core = INTERPRETED
    assert len(core.STEP_NAMES) == core.NSTEPS
    assert core.STEP_NAMES[core.PH_BODY] == "body"
    assert all(isinstance(n, str) and n for n in core.STEP_NAMES)


def test_machine_accepts_every_variant_code_array() -> None:
    for mode in ("compiled", "interpreted"):
        core = load_core(mode)
        m = core.Machine(array("i", Variant.parse("ct=soft_old").codes()), 2, 1)
        assert m.run(array("i")) == -1


def test_handler_kinds_follow_the_handler_table() -> None:
    """The core numbers its CTX_* handler kinds in the order of fuzzcore/handlers.py; every
    allowed cell there cites a kernel path, and the known kernel findings' codes match."""
    from fuzzcore import handlers
    core = INTERPRETED
    for i, ctx in enumerate(handlers.CONTEXTS):
        assert getattr(core, "CTX_" + ctx.name.upper()) == i, ctx.name
        assert all(len(path) > 10 for path in ctx.allowed.values()), ctx.name
    assert core.NCTX == len(handlers.CONTEXTS)
    assert core.KF_EXEC_PASID_ACTIVATED == 1 + [k[0] for k in variants.KERNEL_FINDINGS].index(
        "exec_keeps_pasid_activated")


def test_search_functions_compile_to_c_arithmetic() -> None:
    """The search's per-state and per-event functions (``chk_*``) stay C: a 64-bit constant
    or a stepped range that Cython cannot type turns into Python integer arithmetic and costs
    a factor of several, silently.  Reads the C that ``setup.py`` generated beside the core."""
    source = ROOT / "fuzzcore" / "_core.c"
    if not source.exists():
        pytest.skip("no generated _core.c (the extension was built elsewhere)")
    python_ops = re.compile(r"PyNumber_|__Pyx_PyLong_From|PyLong_From|__Pyx_PyLong_As|"
                            r"PyObject_RichCompare|PyObject_GetItem")
    offenders = set()
    name = None
    for line in source.read_text().splitlines():
        start = re.match(r"static [^(]*__pyx_f_8fuzzcore_5_core_7Machine_(chk_\w+)\(", line)
        if start and line.endswith("{"):
            name = start.group(1)
        elif line == "}":
            name = None
        elif name and python_ops.search(line):
            offenders.add(name)
    assert not offenders, f"Python objects in the search's C functions: {sorted(offenders)}"
