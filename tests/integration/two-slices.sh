#!/bin/bash
# two-slices: red and blue share one switch and use the SAME host MAC and
# IP addresses.  Each slice pings within itself; no frame of one slice ever
# reaches a host of the other.  Proven twice: by a capture on every host
# (each slice's pings carry their own payload pattern) and by the switch's
# per-slice and per-vport counters.
. "$(dirname "$0")/lib.sh"
lt_init two-slices 90

MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
for slice in red blue; do
    ns_add "$slice-a"
    ns_add "$slice-b"
    veth_add "$slice-a" eth0 "${slice:0:1}a" "$MAC_A" 10.0.0.1/24
    veth_add "$slice-b" eth0 "${slice:0:1}b" "$MAC_B" 10.0.0.2/24
done

start_switchd
lamina switch add s1 || fail "switch add"
for slice in red blue; do
    c=${slice:0:1}
    lamina port add s1 "p-${c}a" "$(af_packet_devargs "${c}a")" || fail "port add ${c}a"
    lamina port add s1 "p-${c}b" "$(af_packet_devargs "${c}b")" || fail "port add ${c}b"
    lamina slice add "$slice" || fail "slice add $slice"
    lamina vnode add "$slice" s1 || fail "vnode add $slice"
    lamina vport add "$slice" s1 a "p-${c}a" || fail "vport add $slice a"
    lamina vport add "$slice" s1 b "p-${c}b" || fail "vport add $slice b"
done

for h in red-a red-b blue-a blue-b; do
    capture_start "$h" eth0 "$LT_DIR/$h.pcap"
done

# Each slice's ICMP payload is its own pattern: aa.. for red, bb.. for blue.
wait_for "nsx red-a ping -c 1 -W 1 -p aa 10.0.0.2" 20 || fail "red: a cannot reach b"
wait_for "nsx blue-a ping -c 1 -W 1 -p bb 10.0.0.2" 20 || fail "blue: a cannot reach b"
nsx red-a ping -c 5 -i 0.2 -W 1 -p aa 10.0.0.2 >/dev/null || fail "red: pings lost"
nsx blue-a ping -c 5 -i 0.2 -W 1 -p bb 10.0.0.2 >/dev/null || fail "blue: pings lost"
capture_stop

# The pattern starts after the ICMP header (8) and ping's timestamp (16).
RED='icmp and icmp[24:4] = 0xaaaaaaaa'
BLUE='icmp and icmp[24:4] = 0xbbbbbbbb'
for h in red-a red-b; do
    n=$(capture_count "$LT_DIR/$h.pcap" "$RED")
    x=$(capture_count "$LT_DIR/$h.pcap" "$BLUE")
    info "$h: $n red ICMP, $x blue ICMP"
    [ "$n" -ge 6 ] || fail "$h saw only $n of its own slice's ICMP packets"
    [ "$x" -eq 0 ] || fail "$h saw $x ICMP packets of blue"
done
for h in blue-a blue-b; do
    n=$(capture_count "$LT_DIR/$h.pcap" "$BLUE")
    x=$(capture_count "$LT_DIR/$h.pcap" "$RED")
    info "$h: $n blue ICMP, $x red ICMP"
    [ "$n" -ge 6 ] || fail "$h saw only $n of its own slice's ICMP packets"
    [ "$x" -eq 0 ] || fail "$h saw $x ICMP packets of red"
done

# Counters: every frame a slice carried entered and left by its own ports.
for slice in red blue; do
    c=${slice:0:1}
    stats=$(lamina --json stats slice "$slice") || fail "stats slice $slice"
    rx=$(echo "$stats" | json_get slices.0.rx_packets)
    tx=$(echo "$stats" | json_get slices.0.tx_packets)
    info "$slice: rx $rx tx $tx"
    [ "$rx" -ge 12 ] && [ "$tx" -ge 12 ] || fail "$slice carried too little: rx $rx tx $tx"
    vn=$(lamina --json stats vnode "$slice") || fail "stats vnode $slice"
    for i in 0 1; do
        port=$(echo "$vn" | json_get "vnodes.0.vports.$i.port")
        [ "$port" = "p-${c}a" ] || [ "$port" = "p-${c}b" ] ||
            fail "$slice has a vport on $port, not on its own ports"
    done
    # What left red's vports is what red's hosts received, and vice versa.
    a_tx=$(echo "$vn" | json_get vnodes.0.vports.0.tx_packets)
    b_tx=$(echo "$vn" | json_get vnodes.0.vports.1.tx_packets)
    [ $((a_tx + b_tx)) -eq "$tx" ] || fail "$slice: vports sent $((a_tx + b_tx)), slice sent $tx"
done
pass
