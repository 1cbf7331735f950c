"""Selects the machine core: the compiled extension, or ``_core.py`` interpreted.

Data flow: events -> program -> **machine** -> oracles.  Everything that runs the model imports
``core`` from here.  ``FUZZCORE_PURE_PYTHON=1`` loads the very same source file interpreted
(the debugging and coverage path); otherwise the compiled extension must load, and a build that
silently fell back to the interpreted core is an error, never a quiet slowdown.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

PURE_ENV = "FUZZCORE_PURE_PYTHON"


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


def load_core() -> ModuleType:
    if os.environ.get(PURE_ENV) == "1":
        return load_source_core()
    module = importlib.import_module("fuzzcore._core")
    if not is_compiled(module):
        raise ImportError(
            "fuzzcore: the compiled core did not load (found only _core.py); rebuild with "
            "`pip install .`, or set FUZZCORE_PURE_PYTHON=1 to run the interpreted core")
    return module


core = load_core()
COMPILED = is_compiled(core)
