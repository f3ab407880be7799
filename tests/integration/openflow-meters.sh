#!/bin/bash
# openflow-meters: meters of an openflow vnode measured on real traffic of
# a known rate.  h1 sends with lamina-gen (paced by the clock) through a
# flow metered by one meter, h2 counts what arrives; the meter's statistics
# (ovs-ofctl meter-stats) must account for every frame:
#   - meter 1, 200 pkt/s with a burst of 100, drop band, offered 1000 pkt/s:
#     about 200 pkt/s pass, the band counts the rest;
#   - meter 2, 800 kb/s with a burst of 200 kb, drop band, offered 500-byte
#     frames at 1000 pkt/s (4 Mb/s): about 200 pkt/s pass;
#   - meter 3, 200 pkt/s DSCP-remark band: nothing is dropped, the band
#     counts the frames beyond the rate (the rewrite itself is checked byte
#     for byte in test_ofpl.c).
# h2 has no address and IPv6 off: what it receives is what the switch sent.
# Rates are measured against what lamina-gen says it sent and in how long,
# with a wide tolerance (the machine is shared): a meter that does not
# act, or acts on every frame, fails.
. "$(dirname "$0")/lib.sh"
lt_init openflow-meters 60

command -v ovs-ofctl >/dev/null || skip "ovs-ofctl is not installed (openvswitch-common)"
PORT=$(lt_free_port_range 1) || fail "no free TCP port"
T=tcp:127.0.0.1:$PORT
ofctl() { timeout 10 ovs-ofctl -O OpenFlow13 "$@" "$T"; }
ofctl_args() { local cmd=$1; shift; timeout 10 ovs-ofctl -O OpenFlow13 "$cmd" "$T" "$@"; }

ns_add h1; ns_add h2
veth_add h1 eth0 p1 02:00:00:00:00:01 -
veth_add h2 eth0 p2 02:00:00:00:00:02 -
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
lamina port add s1 p1 "afpacket:$(rif p1)" && lamina port add s1 p2 "afpacket:$(rif p2)" ||
    fail "port add"
lamina slice add red >/dev/null || fail "slice add"
lamina vnode add red s1 --fp openflow --config "{\"listen\": \"ptcp:$PORT:127.0.0.1\", \"open\": true}" ||
    fail "vnode add"
lamina vport add red s1 v1 p1 && lamina vport add red s1 v2 p2 || fail "vport add"
wait_for "ofctl show" 10 || fail "ovs-ofctl cannot reach the vnode on $T"

ofctl_args add-meter "meter=1,pktps,burst,stats,band=type=drop,rate=200,burst_size=100" &&
ofctl_args add-meter "meter=2,kbps,burst,stats,band=type=drop,rate=800,burst_size=200" &&
ofctl_args add-meter "meter=3,pktps,stats,band=type=dscp_remark,rate=200,prec_level=1" ||
    fail "add-meter"

# run METER SIZE PPS: h1 sends SIZE-byte frames at PPS for 2 s through
# METER; sets SENT, SECS, GOT, IN (the meter's packet_in_count) and BAND
# (its band's packet count).
run() {
    local m=$1 tag=meter$1 rp
    ofctl del-flows && ofctl_args add-flow "priority=10,in_port=1,actions=meter:$m,output:2" ||
        fail "flow through meter $m"
    nsx h2 "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 4 --json \
        >"$LT_DIR/recv$m.json" &
    rp=$!
    wait_for "nsx h2 ss -0 -p | grep -q lamina-gen" 5 || fail "lamina-gen recv did not start"
    nsx h1 "$LT_BUILD/tools/lamina-gen" send --iface eth0 --dst-mac 02:00:00:00:00:02 \
        --src-mac 02:00:00:00:00:01 --rate "$3" --size "$2" --duration 2 --payload-tag "$tag" \
        --json >"$LT_DIR/sent$m.json" || fail "lamina-gen send"
    wait "$rp" || fail "lamina-gen recv"
    SENT=$(json_get packets <"$LT_DIR/sent$m.json")
    SECS=$(json_get duration <"$LT_DIR/sent$m.json")
    GOT=$(json_get packets <"$LT_DIR/recv$m.json")
    local st
    st=$(ofctl_args meter-stats "meter=$m")
    IN=$(echo "$st" | grep -o 'packet_in_count:[0-9]*' | cut -d: -f2)
    BAND=$(echo "$st" | grep -o '0: packet_count:[0-9]*' | cut -d: -f3)
    info "meter $m: sent $SENT in $SECS s, received $GOT; meter in $IN, band $BAND"
    [ -n "$IN" ] && [ -n "$BAND" ] || fail "meter-stats of meter $m: $st"
}

# within X LO HI: LO <= X <= HI (floats).
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# near X WANT: X within -35%..+30% of WANT (the meter measures the rate
# as frames reach it: a worker descheduled on a loaded machine delivers
# them in bursts, and tokens beyond the burst size are lost).
near() { within "$1" "$(awk -v w="$2" 'BEGIN { print w * 0.65 }')" "$(awk -v w="$2" 'BEGIN { print w * 1.3 }')"; }

# drop_band M PPS BURST: meter M let about PPS frames/s plus BURST frames
# through, and its band counted the rest: h2 received what entered the
# meter less what the band dropped.  (A loaded machine may lose a few
# frames in the sockets' rings, before the meter or after it: 10% of what
# was sent are allowed.)
drop_band() {
    local want slack=$((SENT / 10 + 1))
    want=$(awk -v s="$SECS" -v r="$2" -v b="$3" 'BEGIN { print r * s + b }')
    near "$GOT" "$want" || fail "meter $1: $GOT of $SENT passed, want about $want"
    [ "$IN" -le "$SENT" ] && [ "$IN" -ge $((SENT - slack)) ] &&
        [ $((IN - BAND)) -ge "$GOT" ] && [ $((IN - BAND - GOT)) -le "$slack" ] ||
        fail "meter $1 counts: in $IN, band $BAND, received $GOT, sent $SENT"
}

run 1 100 1000
[ "$SENT" -ge 1000 ] || fail "lamina-gen sent only $SENT frames"
drop_band 1 200 100
# 800 kb/s of 500-byte frames is 200 frames/s; the burst, 200 kb, 50 frames.
run 2 500 1000
drop_band 2 200 50

run 3 100 1000
[ "$GOT" -ge $((SENT - SENT / 10 - 1)) ] && [ "$IN" -ge "$GOT" ] ||
    fail "meter 3 (remark) dropped frames: $GOT of $SENT (meter in $IN)"
want=$(awk -v s="$SECS" -v n="$SENT" 'BEGIN { print n - 200 * s }')
near "$BAND" "$want" ||
    fail "meter 3 band counted $BAND, want about $want"
pass "meters measured on real traffic: drop (pkt/s, kb/s with bursts) and remark bands"
