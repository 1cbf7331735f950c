"""Program text and binary forms (SPEC 2.1, 2.2): round trips, canonical form, every error."""
from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzcore.config import CONFIGS, Config
from fuzzcore.events import BY_NAME, EVENTS, INT, NEVENTS, NONE, OPT_TASK, TASK, EventKind
from fuzzcore.program import FORMAT, GRAMMAR, HEADER_KEYS, Event, Program, ProgramError

SMALL, MEDIUM, LARGE = CONFIGS["small"], CONFIGS["medium"], CONFIGS["large"]


def tasks_of(cfg: Config) -> list[str]:
    return [f"t{i}" for i in range(cfg.nuser)] + [f"k{i}" for i in range(cfg.nkthread)]


def op(name: str) -> int:
    return BY_NAME[name].opcode


# -- strategies ----------------------------------------------------------------------------

@st.composite
def events(draw: st.DrawFn, cfg: Config) -> Event:
    kind: EventKind = draw(st.sampled_from(EVENTS))
    cpu = draw(st.integers(0, cfg.ncpu - 1))
    arg: int | str | None = None
    if kind.arg == INT:
        arg = draw(st.integers(kind.lo, kind.hi))
    elif kind.arg == TASK:
        arg = draw(st.sampled_from(tasks_of(cfg)))
    elif kind.arg == OPT_TASK:
        arg = draw(st.none() | st.sampled_from(tasks_of(cfg)))
    return Event(cpu, kind.name, arg)


free_text = st.text(st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)),
                    max_size=20).map(str.strip)


@st.composite
def programs(draw: st.DrawFn) -> tuple[Program, str]:
    """A valid program and the name of its configuration (not always in its headers)."""
    name = draw(st.sampled_from(sorted(CONFIGS)))
    values = {
        "format": st.just(FORMAT), "config": st.just(name),
        "cpu-vendor": st.sampled_from(["intel", "amd"]),
        "variant": free_text, "expect": free_text, "found-by": free_text,
        "minimized-from": free_text, "note": free_text,
        "expect-state": st.lists(st.from_regex(r"[a-z0-9_.\[\]]{1,12}=[0-9A-Za-z_-]{1,6}",
                                               fullmatch=True), max_size=4).map(" ".join),
    }
    keys = draw(st.lists(st.sampled_from(HEADER_KEYS), unique=True))
    headers = {k: draw(values[k]) for k in keys}
    evs = draw(st.lists(events(CONFIGS[name]), max_size=30))
    return Program(evs, headers), name


def parse_as(text: str, name: str, headers: dict[str, str]) -> Program:
    # Without a config header the configuration has to come from the caller.
    return Program.parse(text, config=None if "config" in headers else name)


# -- text form -----------------------------------------------------------------------------

@given(programs())
def test_serialize_parse_round_trip(case: tuple[Program, str]) -> None:
    prog, name = case
    text = prog.serialize()
    back = parse_as(text, name, prog.headers)
    assert back == prog
    assert back.serialize() == text
    assert Program.parse_bytes(text.encode(), config=name) == Program(prog.events, back.headers)
    assert text.endswith("\n") or text == ""


def test_spec_example_is_canonical() -> None:
    text = ("# format: fuzzcore-program 1\n# config: small\n# variant: pks=thread_slot\n"
            "# expect: pks_restore\ncpu0 syscall\ncpu0 kmap\ncpu0 step\ncpu0 uaccess_fault\n"
            "cpu0 irq 0\ncpu0 ret\ncpu0 ret\ncpu0 pmem_read\n")
    prog = Program.parse(text)
    assert prog.serialize() == text
    assert len(prog) == 8
    assert prog.events[4] == Event(0, "irq", 0)
    assert (prog.config, prog.cpu_vendor, prog.variant, prog.expect) == (
        "small", "intel", "pks=thread_slot", "pks_restore")


def test_defaults_without_headers() -> None:
    prog = Program.parse("cpu1 wake t2\n")
    assert (prog.config, prog.cpu_vendor, prog.variant, prog.expect) == (
        "small", "intel", None, None)
    assert prog.events == [Event(1, "wake", "t2")]


def test_canonicalisation() -> None:
    messy = (
        "# a free comment: with a colon, ignored\n"
        "   \t\n"
        "#note:   spaced out  \r\n"
        "cpu1\t\tyield   k0   # trailing comment\n"
        "  cpu0 wrpkru\t007\r\n"
        "# expect: pks_restore\n"
        "#config: medium\n"
        "cpu2 yield\n"
        "cpu0 migrate t05#glued comment\n"
        "# format:   fuzzcore-program    1\n"
        "# Config: large\n"  # keys are lowercase: this one is free text
        "# unknown-key: whatever\n"
        "# cpu-vendor: intel\n# cpu-vendor: amd\n"  # the last one wins
    )
    prog = Program.parse(messy)
    assert prog.serialize() == (
        "# format: fuzzcore-program 1\n# config: medium\n# cpu-vendor: amd\n"
        "# expect: pks_restore\n# note: spaced out\n"
        "cpu1 yield k0\ncpu0 wrpkru 7\ncpu2 yield\ncpu0 migrate t5\n")
    assert list(prog.headers) == ["format", "config", "cpu-vendor", "expect", "note"]


def test_empty_and_comment_only_programs() -> None:
    assert Program.parse("") == Program()
    assert Program.parse("# just words\n\n   \n").serialize() == ""
    assert Program.parse("# note:\n").headers == {"note": ""}
    assert Program.parse("# note:\n").serialize() == "# note:\n"


def test_header_anywhere_sets_the_configuration() -> None:
    # cpu3 exists only in large; the header comes after the event that needs it.
    assert Program.parse("cpu3 step\n# config: large\n").events == [Event(3, "step")]


def test_config_argument_overrides_header() -> None:
    with pytest.raises(ProgramError, match="cpu3 outside configuration 'small'"):
        Program.parse("# config: large\ncpu3 step\n", config="small")
    assert Program.parse("cpu3 step\n", config=LARGE).events == [Event(3, "step")]
    with pytest.raises(ValueError, match="unknown configuration 'huge'"):
        Program.parse("cpu0 step\n", config="huge")


# Each case: text, line, column, the whole message.
ERRORS = [
    ("cpu0 sycall\n", 1, 6, "unknown event 'sycall' (did you mean 'syscall'?)"),
    ("cpu0 zzzzzz\n", 1, 6, "unknown event 'zzzzzz'"),
    ("cpu0 step\n  cpu1   wake\n", 2, 14, "missing argument: 'wake' takes a task (t<N> or k<N>)"),
    ("cpu0 irq # one\n", 1, 9, "missing argument: 'irq' takes a number in [0, 1]"),
    ("cpu0 syscall 1\n", 1, 14, "unexpected argument '1': 'syscall' takes no argument"),
    ("cpu0 irq 1 2\n", 1, 12, "unexpected argument '2': 'irq' takes one argument"),
    ("cpu0 yield t1 t2\n", 1, 15, "unexpected argument 't2': 'yield' takes one argument"),
    ("cpu0 wrpkru 0x10\n", 1, 13, "argument of 'wrpkru' is not a decimal integer: '0x10'"),
    ("cpu0 wrpkru +1\n", 1, 13, "argument of 'wrpkru' is not a decimal integer: '+1'"),
    ("cpu0 wrpkru \u0661\n", 1, 13, "argument of 'wrpkru' is not a decimal integer: '\u0661'"),
    ("cpu0 wrpkru 256\n", 1, 13, "argument 256 of 'wrpkru' out of range [0, 255]"),
    ("cpu0 pkey_access -1\n", 1, 18, "argument -1 of 'pkey_access' out of range [0, 3]"),
    ("cpu0 sigreturn 259\n", 1, 16, "argument 259 of 'sigreturn' out of range [0, 258]"),
    ("cpu0 wake x1\n", 1, 11, "bad task 'x1' (expected t<N> or k<N>)"),
    ("cpu0 wake t\n", 1, 11, "bad task 't' (expected t<N> or k<N>)"),
    ("cpu0 wake idle0\n", 1, 11, "bad task 'idle0' (expected t<N> or k<N>)"),
    ("cpu2 step\n", 1, 1, "cpu2 outside configuration 'small' (cpu0..cpu1)"),
    ("\tcpu9 step\n", 1, 2, "cpu9 outside configuration 'small' (cpu0..cpu1)"),
    ("# config: medium\ncpu3 step\n", 2, 1, "cpu3 outside configuration 'medium' (cpu0..cpu2)"),
    ("cpu0 wake t4\n", 1, 11, "task t4 outside configuration 'small' (t0..t3, k0)"),
    ("cpu0 migrate k1\n", 1, 14, "task k1 outside configuration 'small' (t0..t3, k0)"),
    ("# config: large\ncpu0 kill k2\n", 2, 11,
     "task k2 outside configuration 'large' (t0..t7, k0..k1)"),
    ("cpux step\n", 1, 1, "expected 'cpu<N>', got 'cpux'"),
    ("syscall\n", 1, 1, "expected 'cpu<N>', got 'syscall'"),
    ("cpu0\n", 1, 5, "missing event"),
    ("cpu0 step\n# config:  huge\n", 2, 12,
     "unknown configuration 'huge' (valid: small, medium, large)"),
    ("#cpu-vendor: via\n", 1, 14, "unknown cpu-vendor 'via' (valid: intel, amd)"),
    ("# format: fuzzcore-program 2\n", 1, 11,
     "unsupported format 'fuzzcore-program 2' (expected 'fuzzcore-program 1')"),
]


@pytest.mark.parametrize(("text", "line", "col", "message"), ERRORS)
def test_parse_errors(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(ProgramError) as info:
        Program.parse(text, path="prog.fz")
    err = info.value
    assert (err.path, err.line, err.col, err.message) == ("prog.fz", line, col, message)
    assert str(err) == f"prog.fz:{line}:{col}: {message}"


def test_error_path_defaults_and_first_error_wins() -> None:
    with pytest.raises(ProgramError) as info:
        Program.parse("cpu0 step\ncpu0 bogus\ncpu7 step\n")
    assert str(info.value) == "<string>:2:6: unknown event 'bogus'"


def test_program_error_pickles() -> None:
    err = ProgramError("missing event", "a.fz", 3, 7)
    back = pickle.loads(pickle.dumps(err))
    assert (back.message, back.path, back.line, back.col) == ("missing event", "a.fz", 3, 7)
    assert str(back) == "a.fz:3:7: missing event"
    assert isinstance(back, ValueError)


def test_non_utf8() -> None:
    with pytest.raises(ProgramError) as info:
        Program.parse_bytes(b"cpu0 step\ncpu0 \xc3\xa9\xff step\n", "bin.fz")
    assert str(info.value) == "bin.fz:2:7: invalid UTF-8 byte 0xff"
    # A BOM is not an error and is not part of the first token.
    assert Program.parse_bytes(b"\xef\xbb\xbfcpu0 step\n").events == [Event(0, "step")]


def test_load(tmp_path: Path) -> None:
    good = tmp_path / "good.fz"
    good.write_text("# config: medium\ncpu2 wake t5\n")
    assert Program.load(good).events == [Event(2, "wake", "t5")]
    assert Program.load(str(good)).config == "medium"

    bad = tmp_path / "bad.fz"
    bad.write_bytes(b"cpu0 step\n\x80")
    with pytest.raises(ProgramError) as info:
        Program.load(bad)
    assert (info.value.path, info.value.line, info.value.col) == (str(bad), 2, 1)

    missing = tmp_path / "missing.fz"
    with pytest.raises(ProgramError) as info:
        Program.load(missing)
    assert str(info.value) == f"{missing}: cannot read: No such file or directory"
    with pytest.raises(ProgramError, match="cannot read: Is a directory"):
        Program.load(tmp_path)


def test_headers_must_be_known_and_one_line() -> None:
    with pytest.raises(ValueError, match="unknown header 'colour'"):
        Program([], {"colour": "red"})
    with pytest.raises(ValueError, match="one stripped line"):
        Program([], {"note": "two\nlines"})
    with pytest.raises(ValueError, match="one stripped line"):
        Program([], {"note": " padded"})


def test_with_events_copies_headers() -> None:
    prog = Program([Event(0, "step")], {"config": "large", "note": "x"})
    other = prog.with_events(e for e in [Event(3, "nmi")])
    assert other == Program([Event(3, "nmi")], {"config": "large", "note": "x"})
    other.headers["note"] = "changed"
    assert prog.headers["note"] == "x"


def test_event_text() -> None:
    assert Event(0, "yield", "t2").text() == "cpu0 yield t2"
    assert Event(1, "yield").text() == "cpu1 yield"
    assert Event(3, "sigreturn", 257).text() == "cpu3 sigreturn 257"


def test_grammar_lists_every_event_with_its_argument() -> None:
    alternatives = GRAMMAR.split("\nevent      = ", 1)[1].split("\n           | ")
    rows = {row.split()[0].strip('"'): row.strip() for row in alternatives}
    assert len(rows) == len(EVENTS)
    for kind in EVENTS:
        row = rows[kind.name]
        if kind.arg == INT:
            assert "ws number" in row and f"{kind.lo}..{kind.hi}" in row
        elif kind.arg == TASK:
            assert row.rstrip(" ;").endswith("ws task")
        elif kind.arg == OPT_TASK:
            assert "[ ws task ]" in row
        else:
            assert row.rstrip(" ;").endswith(f'"{kind.name}"')
    for key in HEADER_KEYS:
        assert f'"{key}"' in GRAMMAR


# -- binary form ---------------------------------------------------------------------------

@settings(max_examples=300)
@given(st.binary(max_size=200), st.sampled_from(sorted(CONFIGS)))
def test_from_bytes_never_raises_and_is_valid(data: bytes, name: str) -> None:
    prog = Program.from_bytes(data, name)
    assert len(prog) == len(data) // 2
    assert prog.config == name
    # Valid for the configuration: the strict parser accepts its text unchanged.
    assert Program.parse(prog.serialize()) == prog
    # And the bytes it re-encodes to decode to the same events.
    assert Program.from_bytes(prog.to_bytes(), name).events == prog.events


@given(programs())
def test_to_bytes_from_bytes_round_trip(case: tuple[Program, str]) -> None:
    prog, name = case
    cfg = CONFIGS[name]
    # The one thing the binary form cannot say (see Program.to_bytes).
    evs = [e for e in prog.events
           if not (e.name == "sigreturn" and isinstance(e.arg, int) and e.arg > 255
                   and op("sigreturn") + NEVENTS * (e.cpu + cfg.ncpu) > 255)]
    data = Program(evs).to_bytes(name)
    assert len(data) == 2 * len(evs)
    assert Program.from_bytes(data, name).events == evs


def test_from_bytes_mapping() -> None:
    def one(b0: int, b1: int, cfg: str = "small") -> Event:
        (event,) = Program.from_bytes(bytes((b0, b1)), cfg).events
        return event

    assert one(op("step"), 99) == Event(0, "step")
    assert one(op("wrpkru") + NEVENTS, 7) == Event(1, "wrpkru", 7)
    assert one(op("irq"), 5) == Event(0, "irq", 1)              # 0 + 5 % 2
    assert one(op("pkey_access"), 6) == Event(0, "pkey_access", 2)
    assert one(op("step") + 2 * NEVENTS, 0) == Event(0, "step")  # cpu = 2 % ncpu
    assert one(op("step") + 2 * NEVENTS, 0, "medium") == Event(2, "step")
    # Tasks: t0..t3, k0 in small; OPT_TASK's 0 is "no task".
    assert one(op("wake"), 4) == Event(0, "wake", "k0")
    assert one(op("wake"), 5) == Event(0, "wake", "t0")
    assert one(op("yield"), 0) == Event(0, "yield")
    assert one(op("yield"), 1) == Event(0, "yield", "t0")
    assert one(op("yield"), 5) == Event(0, "yield", "k0")
    assert one(op("yield"), 6) == Event(0, "yield")
    assert one(op("use_mm"), 9, "large") == Event(0, "use_mm", "k1")
    # sigreturn's keep/corrupt/PKRU-init come from the quotient beyond the CPU.
    assert one(op("sigreturn"), 200) == Event(0, "sigreturn", 200)
    assert one(op("sigreturn") + 2 * NEVENTS, 0) == Event(0, "sigreturn", 256)
    assert one(op("sigreturn") + 3 * NEVENTS, 1) == Event(1, "sigreturn", 257)
    assert one(op("sigreturn") + 3 * NEVENTS, 2) == Event(1, "sigreturn", 258)
    # A trailing odd byte is ignored; nothing is not an error.
    assert Program.from_bytes(bytes((op("nmi"), 0, op("mce")))).events == [Event(0, "nmi")]
    assert Program.from_bytes(b"").events == []


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_from_bytes_reaches_every_event_cpu_and_argument(name: str) -> None:
    cfg = CONFIGS[name]
    seen = {(e.cpu, e.name, e.arg)
            for b0 in range(256) for b1 in range(256)
            for e in Program.from_bytes(bytes((b0, b1)), cfg).events}
    for kind in EVENTS:
        for cpu in range(cfg.ncpu):
            if kind.arg == INT:
                values: list[int | str | None] = list(range(kind.lo, kind.hi + 1))
                if kind.hi - kind.lo >= 256 and op(kind.name) + NEVENTS * (cpu + cfg.ncpu) > 255:
                    values = values[:256]  # large, cpu2/cpu3: keep/corrupt need a second quotient
            elif kind.arg == TASK:
                values = list(tasks_of(cfg))
            elif kind.arg == OPT_TASK:
                values = [None, *tasks_of(cfg)]
            else:
                values = [None]
            assert {(cpu, kind.name, v) for v in values} <= seen, (kind.name, cpu)


def test_to_bytes_rejects_what_it_cannot_encode() -> None:
    with pytest.raises(ValueError, match="cpu2 outside configuration 'small'"):
        Program([Event(2, "step")]).to_bytes()
    with pytest.raises(ValueError, match="argument invalid"):
        Program([Event(0, "wake", "t9")]).to_bytes()
    with pytest.raises(ValueError, match="argument invalid"):
        Program([Event(0, "irq", 2)]).to_bytes()
    with pytest.raises(ValueError, match="no binary form"):
        Program([Event(3, "sigreturn", 256)]).to_bytes("large")
    assert Program([Event(1, "sigreturn", 257)]).to_bytes("large") == bytes(
        (op("sigreturn") + NEVENTS * 5, 1))


# -- machine form --------------------------------------------------------------------------

def test_to_arrays() -> None:
    prog = Program.parse("cpu1 wake k0\ncpu0 irq 1\ncpu0 step\ncpu0 yield\ncpu1 yield t2\n"
                         "cpu0 sigreturn 257\n")
    arr = prog.to_arrays(SMALL)
    assert arr.typecode == "i"
    assert list(arr) == [1, op("wake"), SMALL.kthread_id(0),
                         0, op("irq"), 1,
                         0, op("step"), -1,
                         0, op("yield"), -1,
                         1, op("yield"), 2,
                         0, op("sigreturn"), 257]
    assert SMALL.kthread_id(0) == 4
    large = Program.parse("# config: large\ncpu3 use_mm k1\ncpu2 kill t7\n")
    assert list(large.to_arrays()) == [3, op("use_mm"), 9, 2, op("kill"), 7]
    assert list(large.to_arrays("large")) == list(large.to_arrays(LARGE))


def test_to_arrays_rejects_invalid_events() -> None:
    for bad in [Event(0, "wake"), Event(0, "wake", "k1"), Event(0, "irq", 3),
                Event(0, "step", 1), Event(2, "step")]:
        with pytest.raises(ValueError):
            Program([bad]).to_arrays(SMALL)
    with pytest.raises(ValueError, match="unknown event 'nope'"):
        Program([Event(0, "nope")]).to_arrays(SMALL)


@given(programs())
def test_to_arrays_shape(case: tuple[Program, str]) -> None:
    prog, name = case
    cfg = CONFIGS[name]
    arr = list(prog.to_arrays(cfg))
    assert len(arr) == 3 * len(prog)
    for (cpu, opcode, arg), e in zip(zip(arr[::3], arr[1::3], arr[2::3]), prog.events):
        kind = EVENTS[opcode]
        assert (cpu, kind.name) == (e.cpu, e.name)
        if kind.arg == NONE or e.arg is None:
            assert arg == -1
        elif kind.arg == INT:
            assert arg == e.arg
        else:
            assert cfg.task_name(arg) == e.arg


def test_header_value_must_be_encodable() -> None:
    with pytest.raises(ValueError, match="not valid UTF-8"):
        Program([], {"note": "\ud800"})
