#!/bin/sh
# Runs one fuzzing target for a bounded number of runs and seconds, from
# its seeds, in WORKDIR (where a failing input is saved as crash-fuzz-*).
# usage: run-fuzz.sh FUZZER WORKDIR RUNS SECONDS SEED-FILE-OR-DIR...
set -e
fuzzer=$(readlink -f "$1")
work=$2
runs=$3
secs=$4
shift 4
seeds=""
for s in "$@"; do
    seeds="$seeds $(readlink -f "$s")"
done
rm -rf "$work"
mkdir -p "$work"
cd "$work"
# A sanitizer report must abort, so that the driver saves the input.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1:print_stacktrace=1"
# shellcheck disable=SC2086
exec nice "$fuzzer" -runs="$runs" -max_total_time="$secs" $seeds
