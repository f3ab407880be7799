#!/bin/bash
# bench.sh: forwarding rate of Lamina against its two reference points, in
# one run on one machine (`make bench` runs it as scripts/bench.sh BUILD).
#
# Each contender gets the same setup: one forwarding core (lcore 1, the
# main thread on lcore 0), two `net_null` ports, 64-byte frames, traffic
# in both directions (net_null hands out a full burst on every receive poll,
# so this measures what one core can forward, not a fixed offered load).
#
#   (a) dpdk-testpmd, mac forwarding: the ceiling;
#   (b) lamina-switchd, one slice (l2learn vnode) between two access ports;
#   (c) Open vSwitch's DPDK datapath (ovs-vswitchd-dpdk), in_port flows
#       installed before traffic starts.
#
# Method, the same for all three: start, let it run WARMUP seconds, read
# the TX packet counters of both ports, wait WINDOW seconds, read them
# again; the rate is the difference over the time between the two reads
# (the midpoint of each read, so the read's own latency cancels).  Summed
# over both ports = both directions.  The counters come from each program's
# own view of the ethdev stats: testpmd `show port stats all`, OVS
# `ovs-ofctl dump-ports` (live; the Interface statistics column in the
# database is refreshed only every 5 s), lamina `lamina stats port --json`.
#
# Prints Mpps of each and the ratios, writes BUILD/bench.json.
# Environment: LAMINA_BENCH_WARMUP (s, default 3), LAMINA_BENCH_WINDOW
# (s, default 10), LAMINA_BENCH_ONLY (space-separated subset of
# "testpmd lamina ovs").
#
# Every process it starts is tracked by PID and stopped at exit; its files
# live in one temporary directory that is removed; OVS runs inside a
# private network namespace so the tap devices of its netdev datapath
# (ovs-netdev, the bridge's local port) never appear on the host.
. "$(dirname "$0")/bench-lib.sh"

# ---------------------------------------------------------------- main
log "memory: $memmode; warm-up ${WARMUP} s, window ${WINDOW} s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
testpmd=null lamina=null ovs=null
bench_contenders

r_tp=$(bench_ratio "$lamina" "$testpmd")
r_ovs=$(bench_ratio "$lamina" "$ovs")

printf '%-32s %8s Mpps\n' "testpmd (mac fwd, ceiling)" "$testpmd" \
    "lamina-switchd (1 slice)" "$lamina" "ovs-vswitchd-dpdk (in_port)" "$ovs"
printf 'lamina/testpmd %s   lamina/ovs %s\n' "$r_tp" "$r_ovs"

cat >"$build/bench.json" <<EOF
{"testpmd_mpps": $testpmd, "lamina_mpps": $lamina, "ovs_dpdk_mpps": $ovs,
 "lamina_over_testpmd": $r_tp, "lamina_over_ovs": $r_ovs,
 "frame_bytes": 64, "forwarding_cores": 1, "warmup_s": $WARMUP, "window_s": $WINDOW,
 "memory": "$memmode", "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF
log "wrote $build/bench.json"
[ "$testpmd" != null ] && [ "$ovs" != null ]
