#!/bin/sh
# Runs one fuzzing target (libFuzzer or the stand-alone driver, which
# take the same flags) for a bounded number of runs and seconds from its
# seeds, in WORKDIR, where a failing input is saved as crash-*.
# usage: run-fuzz.sh FUZZER WORKDIR RUNS SECONDS SEED-FILE-OR-DIR...
set -e
fuzzer=$(readlink -f "$1")
work=$2
runs=$3
secs=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
# libFuzzer takes directories only: gather the seeds in one.
for s in "$@"; do
    if [ -d "$s" ]; then
        find "$s" -maxdepth 1 -type f -exec cp {} "$work/seeds/" \;
    elif [ -f "$s" ]; then
        cp "$s" "$work/seeds/"
    fi
done
cd "$work"
# A sanitizer report must abort, so that the failing input is saved.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1:print_stacktrace=1"
# libFuzzer exits 77 on a failure by default, which meson counts as SKIP.
exec nice "$fuzzer" -error_exitcode=1 -runs="$runs" -max_total_time="$secs" -max_len=65536 \
    -print_final_stats=1 corpus seeds
