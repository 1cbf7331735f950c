#!/usr/bin/env bash
# Executions per second under Atheris with the instrumented core on 64-event programs (SPEC 5).
#
#   scripts/bench_atheris.sh [RUNS [libFuzzer flags...]]   # default 300000 runs per phase
#   scripts/bench_atheris.sh 300000 -entropic=1     # extra flags override the harness defaults
#
# One libFuzzer process (one core), -seed=1, inputs cycled or cut to 128 bytes = 64 events
# (scripts/bench_atheris.py), through scripts/atheris-run (ubsan_with_fuzzer.so preloaded,
# FUZZCORE_CORE=instrumented), model-level coverage on, the harnesses' libFuzzer defaults
# (fuzzcore.harness.LIBFUZZER_DEFAULTS).  Two phases:
#   cold  from an empty corpus: includes the warm-up, when nearly every run finds something;
#   warm  from the corpus the cold phase left: the steady state of a campaign.
# Prints runs / wall second and runs / CPU second of the whole process (user+sys: robust on a
# loaded machine), then the harness's split of a run's time and the fuzzing loop's rate (from the
# 16th execution to the last: interpreter start-up, about 0.35 s, excluded).
# The corpus directory is made on tmpfs (/dev/shm) when there is one: the cold phase writes a
# file per new input (about 2,400), and on a VM disk each creation can cost a millisecond of
# system time (this VM's ext4, mounted with discard: a third of the phase, and the cause of most
# of its spread; BENCHMARKS.md), which measures the disk, not the fuzzer.
# Environment: FUZZCORE_VARIANT (default reference: no oracle fires), FUZZCORE_CONFIG,
# FUZZCORE_MODEL_COVERAGE=0 (no model coverage), FUZZCORE_BENCH_BYTES (default 128),
# FUZZCORE_BENCH_DIR (where to make the corpus directory instead, e.g. /tmp for the disk).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-300000}
shift || true
EXTRA=("$@")
base=${FUZZCORE_BENCH_DIR:-}
if [ -z "$base" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then base=/dev/shm; fi
work=$(mktemp -d ${base:+-p "$base"})
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
echo "corpus directory: $work/corpus ($(stat -f -c %T "$work"))"

phase() {  # label
    local label=$1
    TIMEFORMAT='%R %U %S'
    { time scripts/atheris-run scripts/bench_atheris.py "$work/corpus" -runs="$RUNS" -seed=1 \
        -max_len=128 -print_final_stats=1 -artifact_prefix="$work/" ${EXTRA[@]+"${EXTRA[@]}"} > "$work/$label.log" 2>&1; } 2> "$work/$label.time" || {
        echo "bench_atheris: the $label phase failed:" >&2; tail -20 "$work/$label.log" >&2; exit 1; }
    python3 - "$label" "$RUNS" "$work/$label.time" "$work/$label.log" "-seed=1" "-max_len=128" \
        ${EXTRA[@]+"${EXTRA[@]}"} <<'PY'
import re, sys
label, runs, timefile, logfile = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
real, user, sys_ = map(float, open(timefile).read().split()[-3:])
log = open(logfile, errors="replace").read()
head = [l for l in log.splitlines() if l.startswith("fuzzcore") and "harness" in l]
fallback = [l for l in log.splitlines() if "uninstrumented core" in l and l.startswith("fuzzcore:")]
done = re.findall(r"DONE +(.*)", log)
split = re.findall(r"^bench: .*", log, re.M)
if label == "cold":
    print(head[0] if head else "fuzzcore harness: (no description line)")
    if len(sys.argv) > 5:
        print("libFuzzer flags: " + " ".join(sys.argv[5:]))
    for line in fallback:
        print(line)
print(f"{label}: {runs:,} runs in {real:.2f} s wall = {runs / real:,.0f} exec/s; "
      f"{user + sys_:.2f} CPU s = {runs / (user + sys_):,.0f} exec per CPU second"
      + (f"  [{done[-1].strip()}]" if done else ""))
if split:
    loop = re.search(r"per run ([0-9.]+) us", split[-1])
    print("  " + split[-1] + (f" = {1e6 / float(loop.group(1)):,.0f} exec/s in the fuzzing loop"
                              if loop else ""))
found = re.search(r"^bench: an oracle fired.*?(?=^\S|\Z)", log, re.M | re.S)
if found:
    print("  " + found.group(0).rstrip().replace("\n", "\n  "))
PY
}
phase cold
phase warm
