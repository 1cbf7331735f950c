"""fuzzcore: a state-machine fuzzer for the x86 kernel's entry/exit, exception nesting, context
tracking, lazy FPU/XSAVE, PKRU, PKRS and PASID state.

Data flow, one module per stage:
events (``events``) -> program (``program``) -> machine (``_core`` via ``engine``, driven by
``runner``) -> oracles (in the core) -> minimize -> corpus / export.  Variants (``variants``)
choose the design consulted at each choice point of the machine.
"""
__version__ = "0.1.0"

# The Python API of SPEC 4, imported on first use so that `import fuzzcore` does not load the
# machine core (the engine picks compiled, interpreted or instrumented at that point).
_API = {
    "Program": "program", "ProgramError": "program", "Variant": "variants",
    "VariantError": "variants", "run": "runner", "Result": "runner", "minimize": "minimize",
    "Corpus": "corpus", "export": "export",
}


def __getattr__(name: str):
    if name in _API:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{_API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_API)
