"""fuzzcore: a state-machine fuzzer for the x86 kernel's entry/exit, exception nesting, context
tracking, lazy FPU/XSAVE, PKRU, PKRS and PASID state.

Data flow, one module per stage:
events (``events``) -> program (``program``) -> machine (``_core`` via ``engine``, driven by
``runner``) -> oracles (in the core) -> minimize -> corpus / export.  Variants (``variants``)
choose the design consulted at each choice point of the machine.
"""
__version__ = "0.1.0"
