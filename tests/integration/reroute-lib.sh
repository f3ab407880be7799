#!/bin/bash
# reroute-lib.sh: the fast-reroute setup that tests/integration/reroute.sh
# and scripts/bench-reroute.sh share (sourced after lib.sh and lt_init,
# with RATE (frames/s) and HOLD_MS set).
#
# reroute_setup builds s1, s2, s3 with links l13 (a veth pair, af_packet
# ends), l12 and l23 (rings), each with BFD at 10 ms x 3; hosts h1
# (10.1.0.1, on s1) and h3 (10.1.0.3, on s3); slice green with virtual
# link wan on s1 - s3, backup s1 - s2 - s3; waits for every session Up
# and a ping across.  Helpers: all_up, sessions (BFD states), fr SW (the
# state of wan's end on SW: path, reroutes, reverts), back N (s1's end on
# the primary with as many reverts as reroutes, at least N), reroutes SW
# (how many so far), run_traffic.  fr and run_traffic serve other
# setups too (tunnel-reroute.sh): RR_LAMINA is the CLI to ask (default
# lamina), RR_TX and RR_RX the sending and receiving host namespaces
# (h1, h3), RR_TX_MAC, RR_RX_MAC their MACs, and RR_HEAD the head switch
# that back looks at (s1).

all_up() { [ "$(lamina --json bfd list | grep -o '"Up"' | wc -l)" -ge 6 ]; }

sessions() {
    lamina --json bfd list | /usr/bin/python3 -c '
import json, sys
print(" ".join("%s/%s:%s" % (s["switch"], s["port"], s["state"]) for s in json.load(sys.stdin)))'
}

fr() {
    ${RR_LAMINA:-lamina} --json stats vnode green | /usr/bin/python3 -c '
import json, sys
for vn in json.load(sys.stdin)["vnodes"]:
    for vp in vn["vports"]:
        if vn["switch"] == sys.argv[1] and vp["name"] == "vl-wan":
            print(vp["path"], vp["reroutes"], vp["reverts"])' "$1"
}

reroutes() { fr "$1" | cut -d' ' -f2; }

back() {
    set -- $(fr "${RR_HEAD:-s1}") "$1"
    [ "$1" = primary ] && [ "$2" = "$3" ] && [ "$2" -ge "$4" ]
}

# run_traffic SECONDS CUT_CMD RESTORE_CMD: frames RR_TX -> RR_RX at RATE for
# SECONDS, CUT_CMD after 1 s, RESTORE_CMD 1 s later; prints the frames
# lost (sent less received).  Fails if the generator sent less than
# RR_MIN_SENT_PCT (90) percent of what it was asked.
run_traffic() {
    local secs=$1 rpid spid sent got
    nsx "${RR_RX:-h3}" "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration $((secs + 2)) \
        --json >"$LT_DIR/recv.json" &
    rpid=$!
    sleep 0.5
    nsx "${RR_TX:-h1}" "$LT_BUILD/tools/lamina-gen" send --iface eth0 \
        --src-mac "${RR_TX_MAC:-02:00:00:00:00:01}" \
        --dst-mac "${RR_RX_MAC:-02:00:00:00:00:03}" --rate "$RATE" --size 100 --duration "$secs" \
        --json >"$LT_DIR/send.json" &
    spid=$!
    sleep 1
    eval "$2"
    sleep 1
    eval "$3"
    wait $spid || fail "lamina-gen send failed"
    wait $rpid || fail "lamina-gen recv failed"
    sent=$(json_get packets <"$LT_DIR/send.json")
    got=$(json_get packets <"$LT_DIR/recv.json")
    info "sent $sent, received $got"
    if [ "$sent" -lt $((RATE * secs * ${RR_MIN_SENT_PCT:-90} / 100)) ]; then
        info "lamina-gen sent only $sent frames of $((RATE * secs))"
        fail "lamina-gen sent only $sent frames"
    fi
    echo $((sent - got))
}

reroute_setup() {
    local s bfd='{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}'

    ns_add h1
    ns_add h3
    veth_add h1 eth0 h1 02:00:00:00:00:01 10.1.0.1/24
    veth_add h3 eth0 h3 02:00:00:00:00:03 10.1.0.3/24
    veth_pair l13a l13b
    start_switchd
    for s in s1 s2 s3; do lamina switch add $s >/dev/null || fail "switch add $s"; done
    lamina link add l13 s1:to-s3 s3:to-s1 --devargs-a "afpacket:$(rif l13a)" \
        --devargs-b "afpacket:$(rif l13b)" --bfd "$bfd" || fail "link add l13"
    lamina link add l12 s1:to-s2 s2:to-s1 --bfd "$bfd" || fail "link add l12"
    lamina link add l23 s2:to-s3 s3:to-s2 --bfd "$bfd" || fail "link add l23"
    lamina port add s1 h1 "afpacket:$(rif h1)" && lamina port add s3 h3 "afpacket:$(rif h3)" ||
        fail "host ports"
    lamina slice add green >/dev/null && lamina vnode add green s1 && lamina vnode add green s3 &&
        lamina vport add green s1 h1 h1 && lamina vport add green s3 h3 h3 || fail "slice green"
    lamina vlink add green wan --path s1,s3 --backup s1,s2,s3 --hold "$HOLD_MS" >/dev/null ||
        fail "vlink add with a backup path"
    [ "$(lamina --json vlink list | json_get 0.backup)" = '["s1", "s2", "s3"]' ] ||
        fail "vlink list: $(lamina --json vlink list)"
    wait_for all_up 15 || fail "BFD sessions not all Up: $(sessions)"
    # The ends may have used the backup while l13's session came Up.
    wait_for 'back 0' 10 || fail "s1's end not on the primary: $(fr s1)"
    # h1 reaches h3 over the virtual link (and the vnodes learn the MACs).
    wait_for "nsx h1 ping -c 1 -W 1 10.1.0.3" 10 ||
        fail "h1 cannot reach h3: $(lamina --json stats port | head -c 2000)"
}
