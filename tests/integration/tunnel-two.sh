#!/bin/bash
# tunnel-two: two MPLS-in-UDP tunnels between the same two underlay
# addresses (tunnel-lib's machines), told apart by UDP destination port:
# "tun" on 6635 (the default) and "tun2" with port=6636.  Slice green's
# border vlink moves from tun to tun2 on both sides: the hosts reach each
# other, tun2 decapsulates and tun does not, and the underlay carries UDP
# to 6636.  A third tunnel on a port already used between the addresses,
# and a port out of range, are refused.  Both tunnels then run BFD, a
# session each, paired tunnel by tunnel.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-two 60

tun_two_machines_up
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb over tun"
for m in ma mb; do
    if [ $m = ma ]; then l=$TUN_IP_A r=$TUN_IP_B; else l=$TUN_IP_B r=$TUN_IP_A; fi
    tunl $m port add s$m tun2 "mplsudp:underlay=ul,local=$l,remote=$r,port=6636" ||
        fail "$m: a second tunnel to the same remote on port 6636 refused"
    tunl $m vlink del green wan || fail "$m: vlink del"
    tunl $m vlink add green wan --path s$m >/dev/null \
        --border "{\"port\":\"tun2\",\"label\":$TUN_LABEL}" || fail "$m: border vlink over tun2"
done
[ "$(tunl ma --json stats port tun2 | json_get ports.0.tunnel.port)" = 6636 ] ||
    fail "tun2's port: $(tunl ma --json stats port tun2)"
dec0=$(tun_stat ma tunnel.counters.decapsulated)
capture_start ma ul "$LT_DIR/underlay.pcap"
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb over tun2"
nsx ha ping -c 3 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "pings lost over tun2"
capture_stop
dec2=$(tunl ma --json stats port tun2 | json_get ports.0.tunnel.counters.decapsulated)
[ "$dec2" -ge 3 ] || fail "tun2 decapsulated $dec2 frames"
[ "$(tun_stat ma tunnel.counters.decapsulated)" = "$dec0" ] || fail "tun still decapsulates"
n=$(tun_pcap_count "$LT_DIR/underlay.pcap" udp dst port 6636)
[ "$n" -ge 6 ] || fail "only $n datagrams to UDP 6636 on the underlay"
# Both tunnels run BFD, each its own session: the sessions pair up tunnel
# by tunnel (by source port, then discriminator) and come Up.
for m in ma mb; do
    for t in tun tun2; do
        tunl $m port set s$m $t --bfd '{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}' ||
            fail "$m: bfd on $t beside another tunnel to the same remote"
    done
done
pairs() {
    /usr/bin/python3 - "$(tunl ma --json bfd list)" "$(tunl mb --json bfd list)" <<'PY'
import json, sys
a = {s["port"]: s for s in json.loads(sys.argv[1])}
b = {s["port"]: s for s in json.loads(sys.argv[2])}
ok = all(a[t]["state"] == b[t]["state"] == "Up" and a[t]["remote_disc"] == b[t]["local_disc"]
         for t in ("tun", "tun2"))
sys.exit(0 if ok else 1)
PY
}
wait_for pairs 15 || fail "two sessions to one remote not Up tunnel by tunnel: $(tunl ma --json bfd list)"
tunl ma port add sma tun3 "mplsudp:underlay=ul,local=$TUN_IP_A,remote=$TUN_IP_B,port=6636" \
    2>/dev/null && fail "a third tunnel on a port in use accepted"
err=$(tunl ma port add sma tun3 "mplsudp:underlay=ul,local=$TUN_IP_A,remote=$TUN_IP_B,port=3784" 2>&1) &&
    fail "a tunnel on BFD's port accepted"
echo "$err" | grep -q "port" || fail "the refusal does not name the port: $err"
pass "two tunnels between one pair of addresses, told apart by UDP port, a BFD session each"
