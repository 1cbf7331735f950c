"""Build the machine core (fuzzcore/_core.py, Cython pure Python mode) into a C extension.

gcc builds the normal, fast core.  A failed compile is an error, never a silent fall-back to the
interpreted core.

Beside it, when clang is found (``$FUZZCORE_CLANG``, else ``clang`` on PATH), the same generated
C is compiled again with clang and ``-fsanitize=fuzzer-no-link`` into
``fuzzcore/_instrumented/``: the coverage-instrumented core that Atheris harnesses load through
``scripts/atheris-run`` (``fuzzcore/instrumented.py``).  It is optional: without clang, or if
that compile fails, one line says so and the normal build is unaffected.
``python setup.py build_ext --inplace --instrumented-only`` builds just that one.

The instrumented build leaves out ``trace-cmp`` (``-fno-sanitize-coverage=trace-cmp``): a
callback into libFuzzer on every comparison made the core four to five times slower, and its
comparisons are between model state values, not input bytes, so libFuzzer's compare-guided
mutations gain little.

Nor does it instrument everything: only the model, Machine's C methods (Cython's cdef methods,
``CDEF_METHOD``), less the model-coverage hooks (``NOT_INSTRUMENTED``), through
sanitizer-coverage allow- and ignorelists.  Cython's runtime (memoryviews, module set-up, the
Python wrappers of the methods, ``run_bytes``' decoding loop among them) was 9,600 of 11,111
counters, yet libFuzzer clears and scans every counter after every execution, and the few of
them a run reaches say nothing the model's own edges do not; the hooks' branches follow the
state the model-coverage hash already reports, with hit counts that grow with the run, so they
only gave libFuzzer about 16 more features per execution to track.  Together about a tenth of
an Atheris execution (BENCHMARKS.md).
``FUZZCORE_SANCOV_FLAGS`` replaces the coverage flags (e.g. ``-fsanitize=fuzzer-no-link``
alone to keep trace-cmp and instrument everything).
"""
import os
import shutil

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "initializedcheck": False,
    "cdivision": True,
    "embedsignature": True,
}

INSTRUMENTED = "fuzzcore._instrumented._core"  # its file; the module inside stays fuzzcore._core
SANCOV = (os.environ.get("FUZZCORE_SANCOV_FLAGS")
          or "-fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp").split()
# What the instrumented build instruments: Machine's cdef methods (Cython's C name prefix)...
CDEF_METHOD = "__pyx_f_8fuzzcore_5_core_7Machine_"
NOT_INSTRUMENTED = ("cover", "observe")    # ...but these: the model-coverage hash and its hook
GCC_ONLY = ("-flto", "-ffat-lto-objects", "-fno-semantic-interposition")

OPTIMIZE = ["-O3", "-fno-wrapv", "-Wno-unused-function"]   # both builds (see _core.py)

core = cythonize(
    [Extension("fuzzcore._core", ["fuzzcore/_core.py"], extra_compile_args=OPTIMIZE)],
    compiler_directives=DIRECTIVES,
)
instrumented = Extension(
    INSTRUMENTED, list(core[0].sources),          # the C that cythonize just wrote
    extra_compile_args=OPTIMIZE + SANCOV,
    extra_link_args=SANCOV,
    optional=True,
)


def clang_argv(argv):
    """A compiler or linker command line with clang in place of the compiler (and launchers
    such as ccache), gcc-only flags dropped."""
    flags = list(argv)
    while flags and not flags[0].startswith("-"):
        flags.pop(0)
    return [shutil.which(os.environ.get("FUZZCORE_CLANG") or "clang")] + [
        f for f in flags if not f.startswith(GCC_ONLY)]


class BuildExt(build_ext):
    """build_ext that builds the instrumented core with clang, in its own temp directory."""

    user_options = build_ext.user_options + [
        ("instrumented-only", None, "build only the clang-instrumented core")]
    boolean_options = build_ext.boolean_options + ["instrumented-only"]

    def initialize_options(self):
        super().initialize_options()
        self.instrumented_only = 0

    def finalize_options(self):
        super().finalize_options()
        if self.instrumented_only:
            self.extensions = [e for e in self.extensions if e.name == INSTRUMENTED]

    def build_extension(self, ext):
        if ext.name != INSTRUMENTED:
            return super().build_extension(ext)
        if shutil.which(os.environ.get("FUZZCORE_CLANG") or "clang") is None:
            print("fuzzcore: clang not found: skipping the instrumented core "
                  "(apt-get install clang for Atheris coverage)", flush=True)
            return None
        cc = self.compiler
        saved = (cc.compiler_so, cc.linker_so, self.build_temp)
        cc.compiler_so = clang_argv(cc.compiler_so)
        cc.linker_so = clang_argv(cc.linker_so)
        self.build_temp = os.path.join(self.build_temp, "instrumented")
        args = ext.extra_compile_args
        if "FUZZCORE_SANCOV_FLAGS" not in os.environ:
            ext.extra_compile_args = args + self.coverage_lists()
        try:
            return super().build_extension(ext)
        finally:
            cc.compiler_so, cc.linker_so, self.build_temp = saved
            ext.extra_compile_args = args

    def coverage_lists(self) -> list[str]:
        """Write the sanitizer-coverage allowlist and ignorelist; the flags that use them."""
        os.makedirs(self.build_temp, exist_ok=True)
        lists = {
            "allowlist": ["src:*", f"fun:{CDEF_METHOD}*"],
            "ignorelist": [f"fun:{CDEF_METHOD}{name}" for name in NOT_INSTRUMENTED],
        }
        flags = []
        for kind, lines in lists.items():
            path = os.path.abspath(os.path.join(self.build_temp, f"sancov-{kind}.txt"))
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            flags.append(f"-fsanitize-coverage-{kind}={path}")
        return flags

    def copy_extensions_to_source(self):
        build_py = self.get_finalized_command("build_py")
        for ext in self.extensions:
            inplace_file, regular_file = self._get_inplace_equivalent(build_py, ext)
            os.makedirs(os.path.dirname(inplace_file) or ".", exist_ok=True)
            if ext.optional and not os.path.exists(regular_file) and os.path.exists(inplace_file):
                os.remove(inplace_file)      # not rebuilt: never leave a stale core behind
        super().copy_extensions_to_source()


setup(
    ext_modules=core + [instrumented],
    cmdclass={"build_ext": BuildExt},
)
