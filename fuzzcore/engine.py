"""Selects the machine core: the compiled extension, or ``_core.py`` interpreted.

Data flow: events -> program -> **machine** -> oracles.  Everything that runs the model imports
``core`` from here.  ``FUZZCORE_PURE_PYTHON=1`` loads the very same source file interpreted
(the debugging and coverage path); otherwise the compiled extension must load, and a build that
silently fell back to the interpreted core is an error, never a quiet slowdown.
``FUZZCORE_CORE=instrumented`` loads the coverage-instrumented build (``instrumented.py``) in
its place, as ``fuzzcore._core``; when that build is missing or cannot load (no libFuzzer
preloaded: ``scripts/atheris-run`` preloads it), one line on stderr says so and the normal core
runs.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from . import instrumented

PURE_ENV = "FUZZCORE_PURE_PYTHON"
CORE_ENV = instrumented.CORE_ENV


def load_source_core() -> ModuleType:
    """The interpreted core: ``_core.py`` itself, whatever extension sits beside it."""
    name = "fuzzcore._core_py"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).with_name("_core.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def is_compiled(module: ModuleType) -> bool:
    return not str(getattr(module, "__file__", "")).endswith(".py")


def load_instrumented_core() -> ModuleType:
    """The coverage-instrumented extension, registered as ``fuzzcore._core``.  ImportError when
    it was not built, or when libFuzzer's symbols are missing (``__sancov_lowest_stack``...)."""
    path = instrumented.core_path()
    if path is None:
        raise ImportError(instrumented.missing_reason())
    name = instrumented.MODULE
    loaded = sys.modules.get(name)
    if loaded is not None:
        if Path(str(getattr(loaded, "__file__", ""))) == path:
            return loaded
        raise ImportError("the normal core is already loaded in this process")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)   # dlopen: needs libFuzzer's symbols
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def is_instrumented(module: ModuleType) -> bool:
    path = instrumented.core_path()
    return path is not None and Path(str(getattr(module, "__file__", ""))) == path


def load_core() -> ModuleType:
    if os.environ.get(PURE_ENV) == "1":
        return load_source_core()
    if instrumented.requested():
        try:
            return load_instrumented_core()
        except ImportError as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            if "undefined symbol" in reason:
                reason = ("the instrumented core needs libFuzzer preloaded "
                          "(run harnesses through scripts/atheris-run)")
            print(f"fuzzcore: {reason}; using the uninstrumented core", file=sys.stderr,
                  flush=True)
    module = importlib.import_module("fuzzcore._core")
    if not is_compiled(module):
        raise ImportError(
            "fuzzcore: the compiled core did not load (found only _core.py); rebuild with "
            "`pip install .`, or set FUZZCORE_PURE_PYTHON=1 to run the interpreted core")
    return module


core = load_core()
COMPILED = is_compiled(core)
INSTRUMENTED = is_instrumented(core)
