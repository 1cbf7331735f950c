"""Run an Atheris harness on the coverage-instrumented core: ``scripts/atheris-run``.

    python -m fuzzcore.atheris_launch HARNESS [libFuzzer flags...]

Data flow: the launcher sets the environment and execs the harness; the harness' ``engine``
then loads ``fuzzcore/_instrumented/`` (``FUZZCORE_CORE=instrumented``), whose edges reach
libFuzzer because atheris' sanitizer library (libFuzzer linked in) is preloaded: ``LD_PRELOAD=
<atheris.path()>/ubsan_with_fuzzer.so``, or ``asan_with_fuzzer.so`` (with
``ASAN_OPTIONS=detect_leaks=0``) when ``FUZZCORE_SANITIZER=asan`` (fuzzing-notes.md,
native_extension_fuzzing.md).  Without the instrumented build (no clang) one line says so and
the harness runs on the uninstrumented core.  The harness keeps its own path as ``argv[0]``, so
libFuzzer's ``-fork``/``-jobs``/``-merge``/``-minimize_crash`` re-run it with this environment.

Exit status: the harness'; 2 for bad usage or a missing atheris.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from . import instrumented

SANITIZER_ENV = "FUZZCORE_SANITIZER"     # ubsan (default) | asan
LIBRARIES = {"ubsan": "ubsan_with_fuzzer.so", "asan": "asan_with_fuzzer.so"}
USAGE = "usage: scripts/atheris-run HARNESS [libFuzzer flags...]"


def sanitizer_library(name: str) -> Path | None:
    """atheris' sanitizer library with libFuzzer linked in, or None."""
    import atheris
    path = Path(atheris.path()) / LIBRARIES[name]
    return path if path.is_file() else None


def plan(harness: str, args: list[str], env: dict[str, str]) -> tuple[list[str], dict[str, str],
                                                                    str | None]:
    """The command, its environment, and the one line to print (None when all is well)."""
    env = dict(env)
    argv = [sys.executable, harness, *args]
    name = env.get(SANITIZER_ENV) or "ubsan"
    if name not in LIBRARIES:
        raise ValueError(f"{SANITIZER_ENV}={name!r} (valid: {', '.join(LIBRARIES)})")
    reason = instrumented.missing_reason()
    library = sanitizer_library(name)
    if reason is None and library is None:
        reason = f"atheris ships no {LIBRARIES[name]}: no native coverage"
    if reason is not None:
        env[instrumented.CORE_ENV] = "normal"
        return argv, env, f"fuzzcore: {reason}; running the uninstrumented core"
    env["LD_PRELOAD"] = " ".join(p for p in (str(library), env.get("LD_PRELOAD", "")) if p)
    env[instrumented.CORE_ENV] = instrumented.INSTRUMENTED
    if name == "asan":
        env["ASAN_OPTIONS"] = ":".join(
            p for p in ("detect_leaks=0", env.get("ASAN_OPTIONS", "")) if p)
    return argv, env, None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0 if args else 2
    harness, rest = args[0], args[1:]
    if not Path(harness).is_file():
        print(f"fuzzcore: no harness {harness!r}", file=sys.stderr)
        return 2
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzzcore: atheris is not installed (bash scripts/install-deps)", file=sys.stderr)
        return 2
    try:
        command, env, note = plan(harness, rest, dict(os.environ))
    except ValueError as e:
        print(f"fuzzcore: {e}", file=sys.stderr)
        return 2
    if note:
        print(note, file=sys.stderr, flush=True)
    sys.stdout.flush()
    os.execve(command[0], command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
