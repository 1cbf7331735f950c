"""The committed corpus (SPEC 3.4): every entry was produced by the fuzzer, gives its expected
verdict on its variant on both cores, leaves the reference clean, and is 1-minimal."""
from __future__ import annotations

from pathlib import Path

import pytest

from fuzzcore.config import get_config
from fuzzcore.minimize import OracleFires, is_one_minimal
from fuzzcore.program import Program
from fuzzcore.replay import replay
from fuzzcore.variants import Variant

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
ENTRIES = sorted(CORPUS.rglob("*.fz"))


def test_corpus_is_not_empty() -> None:
    assert len(ENTRIES) >= 15


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_entry_is_fuzzer_made_and_one_minimal(path: Path) -> None:
    program = Program.load(path)
    assert program.headers.get("found-by", "").startswith("fuzzcore fuzz ")
    assert program.expect and program.variant
    variant = Variant.parse(program.variant)
    fires = OracleFires(variant, get_config(program.config), program.cpu_vendor, program.expect)
    assert fires(tuple(program.events)) is not None
    assert is_one_minimal(program.events, fires)


def test_whole_corpus_replays_on_both_cores() -> None:
    report = replay([str(CORPUS)], cores=["compiled", "interpreted"])
    assert report.ok, "\n".join(report.lines())
    assert len(report.entries) == len(ENTRIES)
