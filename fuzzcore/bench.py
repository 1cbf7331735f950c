"""``fuzzcore bench``: events per second of the compiled and the interpreted core (SPEC 5).

Data flow: random bytes -> programs (the fuzz engines' binary decoding) -> the core's
``run_batch``.  Both cores run the same programs; the interpreted core runs a slice of them
(it is two orders of magnitude slower), and its rate is measured on that slice.
"""
from __future__ import annotations

import random
import statistics
import time
from array import array

from .config import get_config
from .engine import load_source_core
from .program import Program
from .runner import resolve_variant


def random_batch(n_programs: int, length: int, config_name: str, seed: int):
    """Random programs through ``Program.from_bytes``: flat triples and their lengths."""
    rng = random.Random(seed)
    cfg = get_config(config_name)
    events = array("i")
    lengths = array("i")
    for _ in range(n_programs):
        data = rng.randbytes(2 * length)
        arr = Program.from_bytes(data, cfg).to_arrays(cfg)
        events.extend(arr)
        lengths.append(len(arr) // 3)
    return events, lengths


def measure(module, codes, config_code: int, events, lengths) -> tuple[float, int, int]:
    m = module.Machine(codes, config_code, 0)
    t0 = time.perf_counter()
    total, violations = m.run_batch(events, lengths)
    return time.perf_counter() - t0, total, violations


def bench_cores(n_events: int, length: int, variant: str | None, config_name: str,
                seed: int, repeat: int = 5) -> dict:
    """Both cores on the same random batch, ``repeat`` times each (this VM's timings vary by
    up to 1.6x from run to run, so the best is the figure, as ``timeit`` reports; the median
    is reported beside it)."""
    import importlib
    compiled = importlib.import_module("fuzzcore._core")
    interpreted = load_source_core()
    v = resolve_variant(variant)
    cfg = get_config(config_name)
    n_programs = max(1, n_events // length)
    events, lengths = random_batch(n_programs, length, config_name, seed)
    # warm-up, then the measurement (one core: this process)
    measure(compiled, v.codes(), cfg.code, events[:3 * length * 10], lengths[:10])
    slice_programs = max(1, n_programs // 100)
    n_slice = sum(lengths[:slice_programs])
    times, times_py = [], []
    for _ in range(max(1, repeat)):
        dt, total, violations = measure(compiled, v.codes(), cfg.code, events, lengths)
        times.append(dt)
        dt_py, total_py, _ = measure(interpreted, v.codes(), cfg.code, events[:3 * n_slice],
                                     lengths[:slice_programs])
        times_py.append(dt_py)
    dt, dt_py = min(times), min(times_py)
    rate = total / dt
    rate_py = total_py / dt_py
    median = total / statistics.median(times)
    median_py = total_py / statistics.median(times_py)
    report = {
        "variant": str(v), "config": cfg.name, "program_length": length, "seed": seed,
        "compiled_events": total, "compiled_seconds": dt, "compiled_events_per_s": rate,
        "compiled_violations": violations,
        "interpreted_events": total_py, "interpreted_seconds": dt_py,
        "interpreted_events_per_s": rate_py, "ratio": rate / rate_py, "repeat": len(times),
        "compiled_events_per_s_median": median, "interpreted_events_per_s_median": median_py,
    }
    report["lines"] = [
        f"variant {v}, config {cfg.name}, {n_programs} random programs of {length} events, "
        f"best of {len(times)} (median)",
        f"compiled:    {total:>10,} events in {dt:7.3f} s = {rate / 1e6:8.2f} M events/s "
        f"({median / 1e6:.2f})",
        f"interpreted: {total_py:>10,} events in {dt_py:7.3f} s = {rate_py / 1e3:8.2f} k events/s "
        f"({median_py / 1e3:.2f})",
        f"ratio compiled/interpreted: {rate / rate_py:,.0f}x ({median / median_py:,.0f}x)",
    ]
    return report
