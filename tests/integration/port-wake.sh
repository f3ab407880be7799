#!/bin/bash
# port-wake: an idle worker whose ports are DPDK ethdevs with receive
# interrupts (two net_tap devices, each moved into a host namespace)
# blocks instead of sleeping in short steps, and a frame wakes it: a few
# rounds a second while idle, not thousands; pings sent while it is
# blocked are answered, and quickly.  The worker runs as a real-time
# thread (--worker-priority 1, as under `lamina topo up`): it must still
# block when idle.
. "$(dirname "$0")/lib.sh"
lt_init port-wake 60

if "$LT_BUILD/vswitch/lamina-switchd" --worker-priority 100 >"$LT_DIR/bad" 2>&1; then
    fail "--worker-priority 100 was accepted"
fi
grep -q "worker-priority" "$LT_DIR/bad" || fail "unclear error: $(cat "$LT_DIR/bad")"

ns_add a; ns_add b
start_switchd --worker-priority 1
tid=$(grep -lx 'rte-worker-1' /proc/"$LT_SWITCHD_PID"/task/*/comm | head -1 | cut -d/ -f5)
[ -n "$tid" ] || fail "no worker thread in lamina-switchd"
chrt -p "$tid" | grep -q SCHED_FIFO || fail "the worker is not real-time: $(chrt -p "$tid")"
lamina switch add s1 >/dev/null || fail "switch add"
tap_add s1 a a 02:00:00:00:07:01 10.7.0.1/24
tap_add s1 b b 02:00:00:00:07:02 10.7.0.2/24
lamina slice add w >/dev/null && lamina vnode add w s1 >/dev/null || fail "slice w"
lamina vport add w s1 a a >/dev/null && lamina vport add w s1 b b >/dev/null || fail "vports w"
wait_for "nsx a ping -c 1 -W 1 10.7.0.2" 20 || fail "no ping between the tap ports"

# Idle: the worker blocks on the taps' interrupt descriptors.
sleep 0.5
b0=$(lamina --json switch workers | json_get 0.blocks)
r0=$(lamina --json switch workers | json_get 0.rounds)
sleep 2
r1=$(lamina --json switch workers | json_get 0.rounds)
b1=$(lamina --json switch workers | json_get 0.blocks)
info "idle worker: $((r1 - r0)) rounds and $((b1 - b0)) blocks in 2 s"
[ "$((b1 - b0))" -gt 0 ] || fail "the worker never blocked with net_tap ports only"
[ $((r1 - r0)) -lt 200 ] || fail "an idle worker ran $((r1 - r0)) rounds in 2 s (it should block)"

# Woken by frames: pings 0.3 s apart find it blocked each time.
nsx a ping -c 8 -i 0.3 -W 1 10.7.0.2 >"$LT_DIR/ping" || fail "pings to a blocked worker were lost: $(tail -2 "$LT_DIR/ping")"
med=$(grep -o 'time=[0-9.]*' "$LT_DIR/ping" | cut -d= -f2 | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
info "ping to a blocked worker: median $med ms"
awk -v m="$med" 'BEGIN {exit !(m < 20)}' || fail "a blocked worker answered in $med ms (median)"
pass "blocks on net_tap interrupts, wakes on frames (median $med ms)"
