#!/bin/sh
# Runs the decoder's libFuzzer target for a bounded time, from the golden
# seeds.  usage: run-fuzz.sh FUZZER SEEDS-WRITER WORKDIR [RUNS] [SECONDS]
set -e
fuzzer=$(readlink -f "$1")
seeds=$(readlink -f "$2")
work=$3
runs=${4:-2000000}
secs=${5:-10}
rm -rf "$work"
mkdir -p "$work/corpus" "$work/seeds"
"$seeds" "$work/seeds"
cd "$work"
# libFuzzer exits 77 on a failure by default, which meson counts as SKIP.
exec nice "$fuzzer" -error_exitcode=1 -runs="$runs" -max_total_time="$secs" -max_len=4096 \
    -print_final_stats=1 -detect_leaks=1 corpus seeds
