"""Where the coverage-instrumented core lives, and whether it can be built or loaded.

Data flow: ``setup.py`` compiles the same ``_core.py`` (its Cython C) a second time, with clang
and ``-fsanitize=fuzzer-no-link``, into ``fuzzcore/_instrumented/`` beside the normal gcc build.
``engine`` loads it as ``fuzzcore._core`` when ``FUZZCORE_CORE=instrumented``; it only loads with
libFuzzer's symbols present, which ``atheris_launch`` arranges by preloading atheris' sanitizer
library.  Without it, libFuzzer sees no edge inside the compiled core (fuzzing-notes.md).

This module imports nothing heavy: the launcher uses it before any core is loaded.
"""
from __future__ import annotations

import importlib.machinery
import os
import shutil
from pathlib import Path

CORE_ENV = "FUZZCORE_CORE"        # "instrumented": load the coverage build (else the normal core)
INSTRUMENTED = "instrumented"
CLANG_ENV = "FUZZCORE_CLANG"      # the clang to build with (default: clang on PATH)
DIR = Path(__file__).with_name("_instrumented")
MODULE = "fuzzcore._core"         # the instrumented build keeps the name (PyInit__core)


def requested() -> bool:
    """Does the environment ask for the instrumented core?"""
    return os.environ.get(CORE_ENV, "") == INSTRUMENTED


def core_path() -> Path | None:
    """The instrumented extension for this interpreter, or None when it was not built."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = DIR / f"_core{suffix}"
        if path.is_file():
            return path
    return None


def clang() -> str | None:
    """The clang that builds it: ``$FUZZCORE_CLANG``, else ``clang`` on PATH."""
    return shutil.which(os.environ.get(CLANG_ENV) or "clang")


def missing_reason() -> str | None:
    """None when the instrumented core is built, else one line saying why not and what to do."""
    if core_path() is not None:
        return None
    if clang() is None:
        return ("no instrumented core: clang not found (apt-get install clang, then "
                "bash scripts/install-deps)")
    return "no instrumented core built yet (run scripts/build-instrumented)"
