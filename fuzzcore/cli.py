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
    sys.exit(1 if result.violation else 0)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--quiet", "-q", is_flag=True, help="print only mismatches and the summary")
def replay(paths: tuple[str, ...], quiet: bool) -> None:
    """Run every program under PATHS (default: corpus/) and check its expected verdict, and
    that the reference design is clean on it.  Exit 1 on any mismatch."""
    from .replay import replay as replay_paths
    try:
        report = replay_paths(paths or ("corpus",))
    except OSError as e:
        fail(str(e))
    for line in report.lines():
        if not quiet or not line.startswith("ok"):
            click.echo(line)
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--events", default=2_000_000, show_default=True, help="events per measurement")
@click.option("--length", default=64, show_default=True, help="events per random program")
@click.option("--variant", default=None)
@click.option("--config", type=click.Choice(list(CONFIGS)), default="small")
@click.option("--seed", default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def bench(events: int, length: int, variant: str | None, config: str, seed: int,
          as_json: bool) -> None:
    """Events per second of the compiled and the interpreted core on random programs."""
    from .bench import bench_cores
    try:
        report = bench_cores(events, length, variant, config, seed)
    except (VariantError, ValueError) as e:
        fail(str(e))
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for line in report["lines"]:
            click.echo(line)


if __name__ == "__main__":
    main()
