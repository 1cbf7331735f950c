"""The `fuzzcore check` command: the live display, the counterexample files, the exit status.

Data flow: CLI flags -> **check_cli** -> ``check.check`` per variant -> progress on stderr
(rich, live on a terminal; a plain line every few seconds otherwise), the claim and any
shortest program on stdout (or JSON lines), ``OUT/<variant>/<oracle>.check.fz``.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Sequence, TextIO

from .check import (CheckError, CheckResult, Progress, check, select_variants,
                    write_counterexample)
from .runner import ModelError

PLAIN_INTERVAL = 10.0      # seconds between progress lines when stderr is not a terminal
EXIT_CLEAN, EXIT_VIOLATION, EXIT_INPUT, EXIT_MODEL = 0, 1, 2, 3


def _gb(n: int) -> str:
    return f"{n / 2 ** 30:.2f} GB"


def progress_text(p: Progress, depth: int) -> str:
    rate = p.states / p.seconds if p.seconds > 0 else 0.0
    share = p.frontier_done / p.frontier if p.frontier else 1.0
    return (f"{p.variant}  depth {p.depth}/{depth}  frontier {p.frontier_done:,}/"
            f"{p.frontier:,} ({share:.0%})  states {p.states:,}  {rate:,.0f} states/s  "
            f"memory {_gb(p.bytes)}  {p.seconds:.1f} s")


class Display:
    """Progress on ``stream``: a rich live line on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO, depth: int, enabled: bool = True):
        self.stream = stream
        self.depth = depth
        self.enabled = enabled
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.live = None
        self.last = time.monotonic()     # plain lines: the first after PLAIN_INTERVAL
        if enabled and self.tty:
            from rich.console import Console
            from rich.live import Live
            self.live = Live("", console=Console(file=stream), refresh_per_second=4,
                             transient=True)
            self.live.start()

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        text = progress_text(p, self.depth)
        if self.live is not None:
            self.live.update(text)
            return
        now = time.monotonic()
        if now - self.last >= PLAIN_INTERVAL:
            self.last = now
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def summary_table(results: list[CheckResult]) -> str:
    """One row per variant, as rich renders it (plain text when not a terminal)."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table
    table = Table(title="fuzzcore check")
    for col in ("variant", "verdict", "oracle", "length", "clean to depth", "states",
                "seconds"):
        table.add_column(col, justify="left" if col in ("variant", "verdict", "oracle")
                         else "right")
    for r in results:
        v = r.violation
        depth = f"{r.depth_completed}" + ("" if r.stopped is None else f" ({r.stopped})")
        table.add_row(str(r.variant), r.verdict, v.oracle if v else "-",
                      str(v.length) if v else "-", depth, f"{r.states:,}", f"{r.seconds:.1f}")
    buf = StringIO()
    Console(file=buf, width=120).print(table)
    return buf.getvalue()


def run_command(variants: Sequence[str], depth: int, config: str, cpu_vendor: str,
                time_budget: float | None, memory_gb: float, as_json: bool, out: str,
                domain_kind: str, value_symmetry: bool, oracle: str | None = None,
                stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """``fuzzcore check``: every variant in turn; exit 0 no violation within what completed
    (the claim says how deep), 1 a violation, 2 bad input, 3 the model broke."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        chosen = select_variants(variants)
    except CheckError as e:
        stderr.write(f"fuzzcore: {e}\n")
        return EXIT_INPUT
    results = []
    status = EXIT_CLEAN
    for v in chosen:
        display = Display(stderr, depth, enabled=True)
        try:
            r = check(v, config, cpu_vendor, depth, time_budget, memory_gb, domain_kind,
                      value_symmetry, progress=display, oracle=oracle)
        except (CheckError, ValueError) as e:
            display.close()
            stderr.write(f"fuzzcore: {e}\n")
            return EXIT_INPUT
        except ModelError as e:
            display.close()
            stderr.write(f"fuzzcore: internal model error: {e}\n")
            return EXIT_MODEL
        display.close()
        if r.violation is not None:
            status = EXIT_VIOLATION
            try:
                r.path = write_counterexample(r, out)
            except OSError as e:
                stderr.write(f"fuzzcore: cannot write the counterexample: {e}\n")
        results.append(r)
        if as_json:
            stdout.write(json.dumps(r.to_json()) + "\n")
        else:
            stdout.write(r.claim() + "\n")
            for k in r.kernel_findings:
                stdout.write(f"  known kernel finding {k.kernel_finding} ({k.oracle}), "
                             f"{k.length} events:\n")
                stdout.write("".join(f"    {e.text()}\n" for e in k.program.events))
            if r.violation is not None:
                where = f" (written to {r.path})" if r.path else ""
                stdout.write(f"  shortest program, {r.violation.length} events{where}:\n")
                stdout.write("".join(f"    {e.text()}\n"
                                     for e in r.violation.program.events))
            stdout.write(f"  {r.states:,} states, {r.transitions:,} transitions, "
                         f"{r.seconds:.1f} s, {r.bytes_per_state:.1f} bytes/state, "
                         f"hash collision probability < {r.collision_probability:.1e}\n")
        stdout.flush()
    if not as_json and len(results) > 1:
        stdout.write(summary_table(results))
    return status
