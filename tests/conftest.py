"""Shared fixtures: the two machine cores, and a small driver that reads the state by name.

``core_mode`` parametrizes a test over the compiled extension and the interpreted ``_core.py``.
Both are loaded directly, whatever ``FUZZCORE_PURE_PYTHON`` says, so every test that takes the
fixture runs on both cores in one session:

- ``fuzzcore._core``: the compiled extension.  Importing it must give a ``.so``; if only the
  ``.py`` is importable the compiled tests fail (``tests/test_build.py`` says why).
- ``fuzzcore.engine.load_source_core()``: ``_core.py`` interpreted.

``Driver`` builds ``Machine(variant.codes(), config.code, vendor)`` with the type-invariant
check on (``debug = 1``) and tracing on, runs text events, and reads the state vector through
the layout constants of the interpreted module (one layout for both cores).  A broken type
invariant (``G_VIOL == NORACLES + 1``) fails the test at once with the core's message.
``run_program`` runs a ``Program`` through ``fuzzcore.runner.run`` with the chosen core.
"""
from __future__ import annotations

import array
import importlib
from pathlib import Path
from types import ModuleType

import pytest

from fuzzcore import runner
from fuzzcore.config import CONFIGS, VENDORS, Config
from fuzzcore.engine import is_compiled, load_source_core
from fuzzcore.events import BY_NAME, EVENTS
from fuzzcore.program import Event, Program
from fuzzcore.variants import ORACLES, Variant

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"

INTERPRETED = load_source_core()
L = INTERPRETED            # the layout constants (identical in both cores)
MODES = ("compiled", "interpreted")


def load_core(mode: str) -> ModuleType:
    if mode == "interpreted":
        return INTERPRETED
    module = importlib.import_module("fuzzcore._core")
    if not is_compiled(module):
        pytest.fail(f"fuzzcore._core is not a compiled extension: {module.__file__} "
                    "(run `python setup.py build_ext --inplace`)")
    return module


@pytest.fixture(params=MODES)
def core_mode(request: pytest.FixtureRequest) -> str:
    """"compiled" or "interpreted": the test runs once with each core."""
    return request.param


@pytest.fixture
def core(core_mode: str) -> ModuleType:
    return load_core(core_mode)


@pytest.fixture
def use_core(core: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Make ``fuzzcore.runner.run`` (and the CLI in-process) use the fixture's core."""
    monkeypatch.setattr(runner, "core", core)
    return core


def run_program(core: ModuleType, program: Program, variant: str | None = None,
                config: str | None = None, trace: bool = False) -> runner.Result:
    """``runner.run`` on ``core`` with debug checks on."""
    saved = runner.core
    runner.core = core
    try:
        return runner.run(program, variant, config, trace=trace, debug=True)
    finally:
        runner.core = saved


# --- a driver that names the state ------------------------------------------------------------

def step_id(name: str) -> int:
    return L.STEP_NAMES.index(name)


class Driver:
    """One machine on one core; feed it text events, read fields by name.

    Events are appended to one growing program, so event indices in the trace and in a
    violation are the program's.  Every call to :meth:`run` returns the trace records of the
    events it ran.
    """

    def __init__(self, core: ModuleType, variant: str = "", config: str = "small",
                 vendor: str = "intel", debug: bool = True):
        self.core = core
        self.cfg: Config = CONFIGS[config]
        self.variant = Variant.parse(variant)
        self.m = core.Machine(self.variant.codes(), self.cfg.code, VENDORS[vendor])
        self.m.debug = 1 if debug else 0
        self.m.tracing = 1
        self.events = array.array("i")
        self.texts: list[str] = []
        self.stop = -1

    # -- running -------------------------------------------------------------------------------

    def run(self, text: str) -> list[tuple[str, int, int, int]]:
        """Run the events of ``text`` (one per line, comments allowed).  Returns the new trace
        records as (kind, event index, cpu, arg) with kind one of event/skip/step/irq_taken/
        nmi_latched/irq_held."""
        program = Program.parse(text, config=self.cfg)
        start = len(self.events) // 3
        before = len(self.m.trace)
        self.events.extend(program.to_arrays(self.cfg))
        self.texts += [e.text() for e in program.events]
        self.stop = self.m.run(self.events, start)
        self.check_model()
        records = list(self.m.trace)[before:]
        return [(TRACE_KINDS[records[i]], records[i + 1], records[i + 2], records[i + 3])
                for i in range(0, len(records), 4)]

    def check_model(self) -> None:
        if self.S[L.G_VIOL] == L.NORACLES + 1:
            pytest.fail(f"type invariant broken: {self.m.debug_error}\nprogram:\n"
                        + "\n".join(self.texts))

    def steps(self, text: str) -> list[str]:
        """Run ``text``; the names of the micro-steps it ran (held IRQs taken: "irq K taken")."""
        out = []
        for kind, _, _, arg in self.run(text):
            if kind == "step":
                out.append(L.STEP_NAMES[arg])
            elif kind == "irq_taken":
                out.append(f"irq {arg} taken")
        return out

    def kinds(self, text: str) -> list[str]:
        """Run ``text``; the record kinds (event, skip, step, ...)."""
        return [r[0] for r in self.run(text)]

    def step_until_idle(self, cpu: int, limit: int = 200) -> list[str]:
        """``cpu<N> step`` until nothing is pending; the steps run."""
        out: list[str] = []
        for _ in range(limit):
            if self.pending(cpu) is None:
                return out
            out += self.steps(f"cpu{cpu} step")
        raise AssertionError(f"cpu{cpu} still has steps pending after {limit}")

    # -- reading -------------------------------------------------------------------------------

    @property
    def S(self):
        return self.m.S

    def state_bytes(self) -> bytes:
        return bytes(self.m.S)

    def tid(self, name: str) -> int:
        if name.startswith("idle"):
            return self.cfg.idle_id(int(name[4:]))
        n = int(name[1:])
        return n if name[0] == "t" else self.cfg.kthread_id(n)

    def name(self, tid: int) -> str:
        return self.cfg.task_name(tid)

    def g(self, field: str) -> int:
        return self.S[getattr(L, "G_" + field)]

    def cpu(self, c: int, field: str) -> int:
        return self.S[L.CPU_BASE + c * L.CPU_SIZE + getattr(L, "C_" + field)]

    def set_cpu(self, c: int, field: str, value: int) -> None:
        self.S[L.CPU_BASE + c * L.CPU_SIZE + getattr(L, "C_" + field)] = value

    def task(self, t: str | int, field: str) -> int:
        tid = self.tid(t) if isinstance(t, str) else t
        return self.S[L.TASK_BASE + tid * L.TASK_SIZE + getattr(L, "T_" + field)]

    def frame(self, t: str | int, depth: int, field: str) -> int:
        tid = self.tid(t) if isinstance(t, str) else t
        return self.S[L.TASK_BASE + tid * L.TASK_SIZE + L.T_FRAME0 + depth * L.FRAME_SIZE
                      + getattr(L, "F_" + field)]

    def top(self, t: str | int, field: str) -> int:
        return self.frame(t, self.task(t, "DEPTH"), field)

    def mm(self, m: int, field: str) -> int:
        return self.S[L.MM_BASE + m * L.MM_SIZE + getattr(L, "MM_" + field)]

    def curr(self, c: int) -> str:
        return self.name(self.cpu(c, "CURR"))

    def queue(self, c: int) -> list[str]:
        base = L.CPU_BASE + c * L.CPU_SIZE + L.C_RQ
        return [self.name(self.S[base + i]) for i in range(self.cpu(c, "RQ_LEN"))]

    def pending(self, c: int) -> str | None:
        """The name of the next pending micro-step on ``c``, None if nothing is pending."""
        st = self.m.pending_step(c)
        return None if st < 0 else L.STEP_NAMES[st]

    def user_mode(self, c: int) -> bool:
        t = self.cpu(c, "CURR")
        return self.task(t, "KIND") == L.K_USER and self.task(t, "DEPTH") == 0

    def violation(self) -> str | None:
        v = self.g("VIOL")
        return None if v == 0 else ORACLES[v - 1]


TRACE_KINDS = {L.TR_EVENT: "event", L.TR_SKIP: "skip", L.TR_STEP: "step",
               L.TR_IRQ_TAKEN: "irq_taken", L.TR_NMI_LATCHED: "nmi_latched",
               L.TR_IRQ_HELD: "irq_held"}


@pytest.fixture
def driver(core: ModuleType):
    """A factory: ``driver(variant="", config="small", vendor="intel")`` on the fixture's core."""
    def make(variant: str = "", config: str = "small", vendor: str = "intel") -> Driver:
        return Driver(core, variant, config, vendor)
    return make


def load_script(name: str) -> ModuleType:
    """A module from scripts/ (they are programs, not a package)."""
    import importlib.util
    import sys
    key = f"fuzzcore_scripts_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, ROOT / "scripts" / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def first_difference(a: bytes, b: bytes, cfg: Config) -> str:
    """The name of the first state field where two snapshots differ (for failure messages)."""
    from fuzzcore import layout
    x, y = array.array("i"), array.array("i")
    x.frombytes(a)
    y.frombytes(b)
    if len(x) != len(y):
        return f"state sizes differ: {len(x)} != {len(y)}"
    names = layout.field_names(cfg.ncpu, cfg.ntask,
                               tuple(cfg.task_name(t) for t in range(cfg.ntask)))
    for i, (u, v) in enumerate(zip(x, y)):
        if u != v:
            return f"{names[i]}: {u} != {v}"
    return "no difference"


def program_files() -> list[Path]:
    return sorted(PROGRAMS.rglob("*.fz"))


def reproducer_files() -> list[Path]:
    """The programs that trip an oracle (a design's reproducer, or the known kernel finding);
    the others show a rule's corrected, clean behaviour."""
    return [p for p in program_files() if Program.load(p).expect not in (None, "clean")]


__all__ = ["load_script", "first_difference", "Driver", "L", "MODES", "INTERPRETED",
           "load_core", "run_program", "program_files", "reproducer_files", "step_id", "EVENTS", "BY_NAME", "Event",
           "ROOT"]
