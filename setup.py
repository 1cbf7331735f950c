"""Build the machine core (fuzzcore/_core.py, Cython pure Python mode) into a C extension.

gcc builds the normal, fast core.  The coverage-instrumented build for Atheris is a separate
step (its own issue).  A failed compile is an error, never a silent fall-back to the
interpreted core.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "initializedcheck": False,
    "cdivision": True,
    "embedsignature": True,
}

setup(
    ext_modules=cythonize(
        [Extension("fuzzcore._core", ["fuzzcore/_core.py"],
                   extra_compile_args=["-O2", "-Wno-unused-function"])],
        compiler_directives=DIRECTIVES,
    ),
)
