#!/bin/bash
# afpacket-burst: a host's burst of back-to-back frames crosses Lamina's
# own AF_PACKET ports without a kernel-ring drop.  The host port's ring
# starts at 512 frames and grows while bursts fill it (dp_afpacket.c):
# bursts of 4,096 full-size frames are sent until the port reports a ring
# of 8,192 frames, then one more burst of 4,000 frames, counted on both
# sides, must arrive with no frame dropped by the kernel for a full ring.
# Idle, the worker blocks (few rounds a second) and a frame wakes it.  A
# port with max-frames equal to frames keeps its size (and, under the
# same bursts, shows the drops as "kernel-ring").  A "vnet-hdr" port,
# whose first ring holds only 15 frames, takes a steady 40 Mbit/s stream
# while its worker runs sparse rounds: nearly every frame gets through,
# and where the ring grows the worker goes on reading the new one (it
# once stopped for a second or more), a step of 16 times (15 frames to
# 240).
. "$(dirname "$0")/lib.sh"
lt_init afpacket-burst 90

ns_add a; ns_add b; ns_add c; ns_add d
veth_add a eth0 a 02:00:00:00:00:01 -
veth_add b eth0 b 02:00:00:00:00:02 -
veth_add c eth0 c 02:00:00:00:00:03 -
veth_add d eth0 d 02:00:00:00:00:04 -
MPORT=$(lt_free_port)
start_switchd --metrics "127.0.0.1:$MPORT"
lamina switch add s1 >/dev/null || fail "switch add"
lamina port add s1 a "afpacket:$(rif a)" >/dev/null || fail "port a"
lamina port add s1 b "afpacket:$(rif b)" >/dev/null || fail "port b"
lamina port add s1 c "afpacket:$(rif c),frames=256,max-frames=256" >/dev/null || fail "port c"
lamina port add s1 d "afpacket:$(rif d),vnet-hdr" >/dev/null || fail "port d"
if lamina port add s1 e "afpacket:$(rif c),frames=1024,max-frames=512" 2>"$LT_DIR/err"; then
    fail "max-frames below frames was accepted"
fi
grep -q "max-frames=512 is below frames=1024" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina slice add k >/dev/null && lamina vnode add k s1 >/dev/null || fail "slice k"
lamina vport add k s1 a a && lamina vport add k s1 b b && lamina vport add k s1 c c &&
    lamina vport add k s1 d d ||
    fail "vports"

port() { lamina --json stats port "$1" | json_get "ports.0.$2"; }
kring() { lamina --json stats port "$1" | json_get ports.0.drops | /usr/bin/python3 -c '
import json, sys; print(json.load(sys.stdin).get("kernel-ring", 0))'; }
burst() {   # burst NS COUNT TAG: COUNT frames of 1514 bytes, back to back
    nsx "$1" "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac "$2" \
        --dst-mac 02:00:00:00:00:02 --rate 0 --size 1514 --count "$3" --duration 5 \
        --payload-tag "$4" >/dev/null || fail "sending a burst from $1"
}

[ "$(port a ring_frames)" = 512 ] || fail "port a does not start with a 512-frame ring"
# b learns where it is (the bursts then go to b only).
nsx b "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac 02:00:00:00:00:02 \
    --dst-mac ff:ff:ff:ff:ff:ff --rate 100 --count 3 --duration 1 >/dev/null

# Grow port a's ring with bursts (losses allowed while it grows).
i=0
until [ "$(port a ring_frames)" -ge 8192 ]; do
    i=$((i + 1))
    [ $i -le 30 ] || fail "port a's ring did not grow to 8192 frames (at $(port a ring_frames) after 30 bursts, $(kring a) kernel-ring drops, $(port a rx_packets) received)"
    burst a 02:00:00:00:00:01 4096 warm
done
info "port a: ring of $(port a ring_frames) frames after $i bursts ($(port a ring_grows) grows, $(kring a) kernel-ring drops meanwhile)"

# The measured burst.
k0=$(kring a); rx0=$(port a rx_packets); tx0=$(port b tx_packets)
nsx b "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 4 --json \
    >"$LT_DIR/b.json" &
r=$!
sleep 0.5
burst a 02:00:00:00:00:01 4000 last
wait $r
got=$(json_get packets <"$LT_DIR/b.json")
k1=$(kring a); rx1=$(port a rx_packets); tx1=$(port b tx_packets)
info "burst of 4000: port a received $((rx1 - rx0)), port b sent $((tx1 - tx0)), host b received $got, kernel-ring drops $((k1 - k0))"
[ "$((k1 - k0))" = 0 ] || fail "$((k1 - k0)) frames of the burst dropped for a full ring"
[ "$((rx1 - rx0))" -ge 4000 ] || fail "port a received only $((rx1 - rx0)) of 4000 frames"
[ "$got" -ge 3800 ] || fail "host b received only $got of 4000 frames"

# Idle, the worker blocks on its ports' sockets (every port here is an
# afpacket: port): a few rounds a second, not thousands; a frame wakes it.
sleep 0.5
r0=$(lamina --json switch workers | json_get 0.rounds)
sleep 2
r1=$(lamina --json switch workers | json_get 0.rounds)
info "idle worker: $((r1 - r0)) rounds in 2 s, $(lamina --json switch workers | json_get 0.blocks) blocks so far"
[ $((r1 - r0)) -lt 200 ] || fail "an idle worker ran $((r1 - r0)) rounds in 2 s (it should block)"
nsx b "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 3 --json >"$LT_DIR/wake.json" &
r=$!
sleep 0.5
nsx a "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac 02:00:00:00:00:01 \
    --dst-mac 02:00:00:00:00:02 --rate 10 --size 100 --count 10 --duration 2 >/dev/null
wait $r
[ "$(json_get packets <"$LT_DIR/wake.json")" -ge 10 ] ||
    fail "a blocked worker forwarded only $(json_get packets <"$LT_DIR/wake.json") of 10 frames sent 0.1 s apart"

# The "vnet-hdr" port: 10,000 frames of 1000 bytes, 0.2 ms apart.  Its
# 15-frame ring grows if the worker falls behind (a slow build may keep
# up without), and nearly every frame must get through either way.
[ "$(port d ring_frames)" = 15 ] || fail "port d (vnet-hdr) does not start with a 15-frame ring"
nsx d "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac 02:00:00:00:00:04 \
    --dst-mac 02:00:00:00:00:02 --rate 5000 --size 1000 --duration 2 >/dev/null ||
    fail "sending from d"
wait_for '[ "$(port d rx_packets)" -ge 9000 ]' 2 || true
got=$(port d rx_packets)
info "port d (vnet-hdr): received $got of 10000, ring of $(port d ring_frames) frames after $(port d ring_grows) grows, $(kring d) kernel-ring drops"
[ "$got" -ge 9000 ] ||
    fail "port d received only $got of 10000 frames sent at 5000 a second ($(kring d) kernel-ring drops)"
# A "vnet-hdr" ring grows 16 times at a step: from 15 frames straight to
# its ceiling, 16 MiB (240 frames), with no ring of 60 between.
[ "$(port d ring_grows)" = 0 ] || [ "$(port d ring_frames)" = 240 ] ||
    fail "port d's ring grew to $(port d ring_frames) frames after $(port d ring_grows) grows, not 240"

# The fixed ring: it stays at 256 frames, and what overflows it is counted.
for n in 1 2 3; do burst c 02:00:00:00:00:03 4096 fixed; done
[ "$(port c ring_frames)" = 256 ] || fail "port c's fixed ring grew to $(port c ring_frames)"
[ "$(port c ring_grows)" = 0 ] || fail "port c's fixed ring grew"
info "port c (fixed 256 frames): $(kring c) kernel-ring drops over 3 bursts of 4096"

# The same figures where a monitoring system reads them.
command -v curl >/dev/null || pass "(curl is not installed: metrics not checked)"
curl -sf -o "$LT_DIR/metrics.txt" "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics"
grep -q '^lamina_port_ring_frames{switch="s1",port="a"} 8192$' "$LT_DIR/metrics.txt" ||
    fail "no ring size of port a in the metrics: $(grep ring_frames "$LT_DIR/metrics.txt")"
mtu_a=$(ip -j link show dev "$(rif a)" | json_get 0.mtu)
grep -q "^lamina_port_mtu{switch=\"s1\",port=\"a\"} $mtu_a\$" "$LT_DIR/metrics.txt" ||
    fail "no MTU $mtu_a of port a in the metrics: $(grep port_mtu "$LT_DIR/metrics.txt")"
grep -q "^lamina_port_drops_total{switch=\"s1\",port=\"c\",reason=\"kernel-ring\"} $(kring c)\$" \
    "$LT_DIR/metrics.txt" ||
    fail "port c's kernel-ring drops are not in the metrics: $(grep 'port="c",reason="kernel-ring"' "$LT_DIR/metrics.txt")"
pass
