"""The ``fuzzcore`` command line (SPEC 4): thin click wrappers over the Python API.

Data flow: the CLI reads programs and flags, calls ``runner`` / ``variants`` / ``bench``, and
prints.  Exit codes: 0 clean or success, 1 a violation or a mismatch, 2 bad usage or input,
always with one clear line and never a traceback for bad input.
"""
from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from .config import CONFIGS, VENDORS
from .program import Program, ProgramError
from .variants import VariantError, variants_json, variants_table


def fail(message: str) -> NoReturn:
    click.echo(f"fuzzcore: {message}", err=True)
    sys.exit(2)


@click.group()
@click.version_option(package_name="fuzzcore")
def main() -> None:
    """fuzzcore: fuzz designs of the x86 kernel's entry, FPU and protection-key state."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="print a JSON list")
def variants(as_json: bool) -> None:
    """List every design: subsystem, reference, expected verdict, source, description."""
    if as_json:
        click.echo(json.dumps(variants_json(), indent=2))
    else:
        click.echo(variants_table())


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--variant", "variant", default=None, help="subsystem=design,... (overrides the header)")
@click.option("--config", type=click.Choice(list(CONFIGS)), default=None)
@click.option("--cpu-vendor", type=click.Choice(list(VENDORS)), default=None)
@click.option("--trace", is_flag=True, help="print every event, its micro-steps and state changes")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.option("--debug", is_flag=True, help="check the state's type invariant after every step")
@click.option("--ignore", multiple=True, metavar="ORACLE",
              help="never report this oracle (look past a known violation); repeatable")
def run(file: str, variant: str | None, config: str | None, cpu_vendor: str | None,
        trace: bool, as_json: bool, debug: bool, ignore: tuple[str, ...]) -> None:
    """Run one text program; exit 0 clean, 1 violation, 2 bad input."""
    from .runner import ModelError, format_trace
    from .runner import run as run_program
    try:
        if file == "-":
            program = Program.parse_bytes(sys.stdin.buffer.read(), "<stdin>", config)
        else:
            program = Program.load(file, config)
        result = run_program(program, variant, config, cpu_vendor, trace=trace,
                             debug=True if debug else None, ignore=ignore)
    except (ProgramError, VariantError, ValueError) as e:
        fail(str(e))
    except ModelError as e:
        click.echo(f"fuzzcore: internal model error: {e}", err=True)
        sys.exit(3)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=None if not trace else 1))
    elif trace:
        click.echo(format_trace(result))
    else:
        v = result.violation
        click.echo(v.describe() if v else f"clean ({result.events_run} events, {result.variant})")
        for m in result.state_mismatches:
            click.echo(m.describe())
    sys.exit(1 if result.failed else 0)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--quiet", "-q", is_flag=True, help="print only mismatches and the summary")
@click.option("--cores", default=None, metavar="LIST",
              help="run every entry on each core of LIST (compiled,interpreted) and require "
                   "identical results (default: the selected core)")
def replay(paths: tuple[str, ...], quiet: bool, cores: str | None) -> None:
    """Run every program under PATHS (default: corpus/) and check its expected verdict, and
    that the reference design is clean on it.  Exit 1 on any mismatch."""
    from .replay import replay as replay_paths
    try:
        report = replay_paths(paths or ("corpus",),
                              [c.strip() for c in cores.split(",") if c.strip()] if cores else None)
    except (OSError, ValueError) as e:
        fail(str(e))
    for line in report.lines():
        if not quiet or not line.startswith("ok"):
            click.echo(line)
    sys.exit(0 if report.ok else 1)


@main.command("minimize")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--variant", default=None, help="subsystem=design,... (overrides the header)")
@click.option("--config", type=click.Choice(list(CONFIGS)), default=None)
@click.option("--cpu-vendor", type=click.Choice(list(VENDORS)), default=None)
@click.option("--oracle", default=None, help="the oracle to keep (default: the one INPUT trips)")
@click.option("-o", "--output", "out", default=None, metavar="OUT",
              help="write the minimized program here (atomically; never over INPUT)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead")
@click.option("--input-form", type=click.Choice(["auto", "text", "binary"]), default="auto",
              show_default=True, help="INPUT is a .fz text program or a fuzz engine's bytes")
@click.option("--search", type=float, default=0.0, metavar="SECONDS",
              help="then search exhaustively (fuzzcore check) for a shorter program with the "
                   "same verdict, for up to SECONDS")
def minimize_command(input_path: str, variant: str | None, config: str | None,
                     cpu_vendor: str | None, oracle: str | None, out: str | None,
                     as_json: bool, input_form: str, search: float) -> None:
    """Shrink INPUT (a text program or a crash file) to a 1-minimal program that trips the same
    oracle; print it (or write OUT) and the per-pass counters on stderr."""
    from .corpus import write_output
    from .minimize import load_input, minimize
    from .runner import ModelError
    try:
        program = load_input(input_path, config, input_form)
        result = minimize(program, variant, oracle, config, cpu_vendor, source=input_path,
                          search=search)
        text = result.program.serialize()
        if out is not None:
            write_output(text, out, inputs=(input_path,))
    except (ProgramError, VariantError, ValueError, OSError) as e:
        fail(str(e))
    except ModelError as e:
        click.echo(f"fuzzcore: internal model error: {e}", err=True)
        sys.exit(3)
    click.echo(result.summary(), err=True)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    elif out is None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {out}", err=True)


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", required=True,
              type=click.Choice(["trace", "json", "pytest", "mermaid"]))
@click.option("--variant", default=None, help="subsystem=design,... (overrides the header)")
@click.option("--config", type=click.Choice(list(CONFIGS)), default=None)
@click.option("--cpu-vendor", type=click.Choice(list(VENDORS)), default=None)
@click.option("-o", "--output", "out", default=None, metavar="OUT",
              help="write here (atomically; never over FILE) instead of stdout")
def export_command(file: str, fmt: str, variant: str | None, config: str | None,
                   cpu_vendor: str | None, out: str | None) -> None:
    """Export one program as an annotated trace, JSON, a pytest regression test or a Mermaid
    sequence diagram."""
    from .corpus import write_output
    from .export import export
    from .minimize import load_input
    from .runner import ModelError
    try:
        program = load_input(file, config)
        text = export(program, fmt, variant, config, cpu_vendor, source=file)
        if out is not None:
            write_output(text, out, inputs=(file,))
    except (ProgramError, VariantError, ValueError, OSError) as e:
        fail(str(e))
    except ModelError as e:
        click.echo(f"fuzzcore: internal model error: {e}", err=True)
        sys.exit(3)
    if out is None:
        click.echo(text, nl=False)


@main.command()
@click.option("--events", default=2_000_000, show_default=True, help="events per measurement")
@click.option("--length", default=64, show_default=True, help="events per random program")
@click.option("--variant", default=None)
@click.option("--config", type=click.Choice(list(CONFIGS)), default="small")
@click.option("--seed", default=1, show_default=True)
@click.option("--repeat", default=5, show_default=True, type=click.IntRange(1),
              help="measurements per core; the best is reported, the median beside it")
@click.option("--json", "as_json", is_flag=True)
def bench(events: int, length: int, variant: str | None, config: str, seed: int,
          repeat: int, as_json: bool) -> None:
    """Events per second of the compiled and the interpreted core on random programs."""
    from .bench import bench_cores
    try:
        report = bench_cores(events, length, variant, config, seed, repeat)
    except (VariantError, ValueError) as e:
        fail(str(e))
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for line in report["lines"]:
            click.echo(line)


@main.command("fuzz")
@click.option("--variant", "variants", multiple=True, metavar="V",
              help="a variant to fuzz (subsystem=design,...; repeat the option for several), "
                   "or 'all' (default: every non-reference design)")
@click.option("--time", "time_budget", type=float, default=None, metavar="S",
              help="total seconds (default 60 unless --runs; 0: until Ctrl-C)")
@click.option("--runs", type=int, default=None, metavar="N", help="total executions")
@click.option("--jobs", type=int, default=1, show_default=True, metavar="N",
              help="worker processes sharing the corpus (seeds seed+i)")
@click.option("--seed", type=int, default=None, help="random seed (default: a random one)")
@click.option("--corpus", default=None, metavar="DIR",
              help="inputs to start from and to share (default: OUT/corpus, not read at start)")
@click.option("--out", default="findings", show_default=True, metavar="DIR",
              help="findings: OUT/<subsystem>=<design>/<oracle>.fz, stats.jsonl")
@click.option("--config", type=click.Choice(list(CONFIGS)), default="small", show_default=True)
@click.option("--cpu-vendor", type=click.Choice(list(VENDORS)), default="intel",
              show_default=True)
def fuzz_command(variants: tuple[str, ...], time_budget: float | None, runs: int | None,
                 jobs: int, seed: int | None, corpus: str | None, out: str, config: str,
                 cpu_vendor: str) -> None:
    """Coverage-guided campaign over the designs (SPEC 3.2); every finding is minimized and
    saved as text.  Exit 0 done, 1 a design expected clean broke, 2 bad input, 130 Ctrl-C."""
    from .fuzz import run_command
    sys.exit(run_command(variants, time_budget, runs, jobs, seed, corpus, out, config,
                         cpu_vendor))


@main.command("check")
@click.option("--variant", "variants", multiple=True, metavar="V",
              help="a variant to check (subsystem=design,...; repeat the option for several), "
                   "or 'all': the reference and every other design (default: the reference)")
@click.option("--depth", default=6, show_default=True, type=int, metavar="N",
              help="explore every program of up to N events")
@click.option("--config", type=click.Choice(list(CONFIGS)), default="small", show_default=True)
@click.option("--cpu-vendor", type=click.Choice(list(VENDORS)), default="intel",
              show_default=True)
@click.option("--time", "time_budget", type=float, default=None, metavar="S",
              help="seconds per variant; the depth completed by then is what is certified")
@click.option("--memory", "memory_gb", type=float, default=8.0, show_default=True,
              metavar="GB", help="the search's arrays at most this large (per variant)")
@click.option("--domain", "domain_kind", type=click.Choice(["reduced", "full"]),
              default="reduced", show_default=True,
              help="event arguments: the reduced domain (README) or every value")
@click.option("--value-symmetry/--no-value-symmetry", default=None,
              help="hash states up to a renaming of FPU and PKRU values (a reduction; "
                   "default: on for the full and literal domains)")
@click.option("--oracle", default=None, metavar="ORACLE",
              help="the shortest program whose verdict is this oracle (a program that trips "
                   "another first ends there)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object per variant")
@click.option("-o", "--out", default="findings", show_default=True, metavar="DIR",
              help="shortest programs: DIR/<variant>/<oracle>.check.fz")
def check_command(variants: tuple[str, ...], depth: int, config: str, cpu_vendor: str,
                  time_budget: float | None, memory_gb: float, domain_kind: str,
                  value_symmetry: bool | None, oracle: str | None, as_json: bool,
                  out: str) -> None:
    """Bounded exhaustive search, breadth first (SPEC 3.6): every program of up to N events.
    Exit 0: no violation in any of them (a certificate; with --time or --memory, for the
    depth completed, which it says); 1: a violation, whose shortest program is printed and
    written to DIR; 2: bad input."""
    from .check_cli import run_command
    sys.exit(run_command(variants, depth, config, cpu_vendor, time_budget, memory_gb,
                         as_json, out, domain_kind, value_symmetry, oracle))


def entry() -> None:
    """The console entry point: click's usage errors as one line and exit 2 (SPEC 4)."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.UsageError as e:
        if type(e).__name__ == "NoArgsIsHelpError":     # bare `fuzzcore`: the help text
            click.echo(e.format_message())
            sys.exit(0)
        where = f"{e.ctx.command_path}: " if e.ctx is not None else ""
        fail(f"{where}{e.format_message()}")
    except click.exceptions.Abort:
        click.echo("fuzzcore: aborted", err=True)
        sys.exit(130)
    except click.exceptions.ClickException as e:
        fail(e.format_message())


if __name__ == "__main__":
    entry()
