#!/bin/sh
# Runs the whole meson test suite in each build directory given, then
# prints one line "N passed, N failed" over all of them (CI counts it).
# usage: run-tests.sh BUILD TIMEOUT_MULT [BUILD_ASAN]
set -u
build=$1
mult=$2
asan=${3:-}

passed=0
failed=0

run_suite() {
    dir=$1
    echo "=== meson test in $dir ==="
    meson test -C "$dir" --print-errorlogs --timeout-multiplier "$mult" \
        --num-processes 1
    log="$dir/meson-logs/testlog.json"
    if [ -f "$log" ]; then
        p=$(grep -c '"result": "OK"' "$log")
        s=$(grep -c '"result": "SKIP"' "$log")
        t=$(grep -c '"result"' "$log")
        passed=$((passed + p))
        failed=$((failed + t - p - s))
    else
        failed=$((failed + 1))
    fi
}

run_suite "$build"
if [ -n "$asan" ]; then
    if [ ! -f "$asan/build.ninja" ]; then
        meson setup "$asan" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
    fi
    ninja -C "$asan" >/dev/null || { echo "ASan build failed"; failed=$((failed + 1)); }
    [ -f "$asan/build.ninja" ] && run_suite "$asan"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
