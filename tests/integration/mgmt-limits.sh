#!/bin/bash
# mgmt-limits: the management socket stays usable under a flood of idle
# clients and when the daemon runs out of descriptors.  Over the cap, a
# client is told "server busy" at once (not "Broken pipe"); idle clients
# are closed after --mgmt-idle-timeout, after which `lamina switch list`
# answers; with its descriptors used up, lamina-switchd does not spin,
# logs the shortage once, keeps answering its connected clients and
# serves new ones as soon as descriptors come back.
. "$(dirname "$0")/lib.sh"
lt_init mgmt-limits 120

IDLE=5
FLOOD=$(dirname "$0")/mgmt-flood.py

start_switchd --mgmt-idle-timeout "$IDLE"
lamina switch add s1 || fail "switch add s1"
# Descriptors the daemon holds by itself (DPDK keeps one per hugepage
# segment, so this depends on the machine).
nfds() { ls /proc/"$LT_SWITCHD_PID"/fd | wc -l; }
base_fds=$(nfds)

# now: seconds since the epoch, with decimals.
now() { echo "$EPOCHREALTIME"; }
# elapsed T0: seconds since T0.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}'; }
# report FILE KEY: a member of a flood report.
report() { json_get "$2" <"$1"; }

# ---- 300 idle clients: 256 held, the rest told the server is busy.
t0=$(now)
bg_start python3 "$FLOOD" "$LT_SOCK" 300 "$LT_DIR/flood1"
flood1=$LT_LAST_PID
wait_for "[ -s '$LT_DIR/flood1' ]" 10 || fail "the flood did not report"
info "flood of 300: $(cat "$LT_DIR/flood1")"
[ "$(report "$LT_DIR/flood1" busy)" -ge 40 ] ||
    fail "clients over the cap were not told the server is busy"
[ "$(report "$LT_DIR/flood1" stats.clients)" -eq 256 ] ||
    fail "the server does not hold its 256 clients"
t1=$(now)
if out=$(lamina switch list 2>&1); then
    # Only if the idle ones were already closed.
    awk -v e="$(elapsed "$t0")" -v i="$IDLE" 'BEGIN {exit !(e >= i)}' ||
        fail "switch list answered while 256 clients held the socket"
else
    echo "$out" | grep -q "server busy: 256 clients" ||
        fail "a client over the cap got '$out', not 'server busy'"
    awk -v e="$(elapsed "$t1")" 'BEGIN {exit !(e < 1)}' ||
        fail "the busy answer took $(elapsed "$t1") s"
fi
wait_for "timeout 1 '$LT_BUILD/cli/lamina' --socket '$LT_SOCK' switch list" \
    $((IDLE + 5)) || fail "switch list does not answer once idle clients time out"
e=$(elapsed "$t0")
info "switch list answers again $e s after the flood began"
awk -v e="$e" -v i="$IDLE" 'BEGIN {exit !(e < i + 3)}' ||
    fail "switch list answered only $e s after the flood (idle timeout $IDLE s)"
lamina switch list | grep -q s1 || fail "switch list lost s1"
lt_stop_pid "$flood1"

# ---- Out of descriptors: leave lamina-switchd 16 free ones, then flood.
wait_for "[ \$(nfds) -lt $((base_fds + 8)) ]" 10 ||
    fail "the first flood's clients were not closed ($(nfds) descriptors open, $base_fds before)"
open_fds=$(nfds)
limit=$((open_fds + 16))
prlimit --pid "$LT_SWITCHD_PID" --nofile="$limit:$limit" ||
    skip "prlimit cannot lower the descriptor limit"
info "lamina-switchd: $open_fds descriptors open, limit now $limit"
cpu() { awk '{print $14 + $15}' /proc/"$LT_SWITCHD_PID"/task/"$LT_SWITCHD_PID"/stat; }
logged0=$(grep -c "Too many open files" "$LT_DIR/switchd.log")

bg_start python3 "$FLOOD" "$LT_SOCK" 40 "$LT_DIR/flood2"
wait_for "[ -s '$LT_DIR/flood2' ]" 10 || fail "the second flood did not report"
info "flood of 40: $(cat "$LT_DIR/flood2")"
[ "$(report "$LT_DIR/flood2" stats.accept_failures)" -ge 1 ] ||
    fail "the flood did not exhaust the descriptors"
# A connected client is answered at once while descriptors are short.
awk -v t="$(report "$LT_DIR/flood2" stats_seconds)" 'BEGIN {exit !(t < 1)}' ||
    fail "rpc.stats took $(report "$LT_DIR/flood2" stats_seconds) s while out of descriptors"

# No spin: the control thread uses little CPU while accept() fails.
c0=$(cpu)
sleep 2
ticks=$(( $(cpu) - c0 ))
info "control thread: $ticks ticks of CPU in 2 s while out of descriptors"
[ "$ticks" -lt 60 ] || fail "lamina-switchd spins while out of descriptors ($ticks ticks in 2 s)"
kill -0 "$LT_SWITCHD_PID" || fail "lamina-switchd died"

# New clients are served once idle ones go; the shortage was logged once
# (at most once a minute), not once per attempt.
t2=$(now)
wait_for "timeout 2 '$LT_BUILD/cli/lamina' --socket '$LT_SOCK' switch list" 30 ||
    fail "switch list does not answer after running out of descriptors"
info "switch list answers $(elapsed "$t2") s later"
logged=$(( $(grep -c "Too many open files" "$LT_DIR/switchd.log") - logged0 ))
info "shortage logged $logged times"
[ "$logged" -eq 1 ] ||
    fail "the descriptor shortage was logged $logged times"
lt_stop_pid "$LT_LAST_PID"
lamina switch list | grep -q s1 || fail "switch list lost s1"
pass
