#!/bin/bash
# revisitation: one substrate switch hosts two vnodes of the same slice
# (an embedding may place two virtual nodes of a virtual network on one
# switch).  Slice red has vnodes s1/a and s1/b joined by a virtual link
# inside s1 (no label on any wire: the frames are handed over inside the
# switch); hosts on either vnode ping each other.  Slice blue, with the
# same host addresses, shares the switch and sees none of it.  Then the
# named vnodes and the inside link come back after a restart (state
# file), and bad requests are refused without changing anything.
. "$(dirname "$0")/lib.sh"
lt_init revisitation 60

MAC_A=02:00:00:00:00:01
MAC_B=02:00:00:00:00:02
for slice in red blue; do
    ns_add "$slice-a"
    ns_add "$slice-b"
    veth_add "$slice-a" eth0 "${slice:0:1}a" "$MAC_A" 10.0.0.1/24
    veth_add "$slice-b" eth0 "${slice:0:1}b" "$MAC_B" 10.0.0.2/24
done

n_vnodes() {
    /usr/bin/python3 -c 'import json, sys; v = json.load(sys.stdin)
print(len(v if isinstance(v, list) else v["vnodes"]))'
}

start_switchd
lamina switch add s1 || fail "switch add"
for c in ra rb ba bb; do
    lamina port add s1 "p-$c" "$(af_packet_devargs "$c")" || fail "port add $c"
done
lamina slice add red || fail "slice add red"
lamina vnode add red s1/a || fail "vnode add red s1/a"
lamina vnode add red s1/b || fail "vnode add red s1/b"
lamina vport add red s1/a h p-ra || fail "vport add red s1/a"
lamina vport add red s1/b h p-rb || fail "vport add red s1/b"
lamina vlink add red ab --path s1/a,s1/b || fail "vlink add inside s1"
lamina slice add blue || fail "slice add blue"
lamina vnode add blue s1 || fail "vnode add blue"
lamina vport add blue s1 a p-ba || fail "vport add blue a"
lamina vport add blue s1 b p-bb || fail "vport add blue b"

# Refused, nothing changed: a second s1/a, a link from s1/a to itself, a
# bad address.
lamina vnode add red s1/a 2>"$LT_DIR/err" && fail "a second vnode s1/a was accepted"
grep -q "already has a vnode s1/a" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina vlink add red aa --path s1/a,s1/a 2>"$LT_DIR/err" && fail "a link from s1/a to itself"
grep -q "s1/a\" twice" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina vnode add red 's1/a/b' 2>/dev/null && fail "vnode address s1/a/b was accepted"
n=$(lamina --json vnode list red | n_vnodes) || fail "vnode list"
[ "$n" = 2 ] || fail "red has $n vnodes after refused requests, not 2"

ping_both() {
    capture_start red-a eth0 "$LT_DIR/red-a$1.pcap"
    capture_start red-b eth0 "$LT_DIR/red-b$1.pcap"
    capture_start blue-a eth0 "$LT_DIR/blue-a$1.pcap"
    capture_start blue-b eth0 "$LT_DIR/blue-b$1.pcap"
    wait_for "nsx red-a ping -c 1 -W 1 -p aa 10.0.0.2" 20 || fail "red: s1/a cannot reach s1/b$1"
    wait_for "nsx blue-a ping -c 1 -W 1 -p bb 10.0.0.2" 20 || fail "blue: a cannot reach b$1"
    nsx red-b ping -c 5 -i 0.2 -W 1 -p aa 10.0.0.1 >/dev/null || fail "red: pings lost$1"
    capture_stop
    RED='icmp and icmp[24:4] = 0xaaaaaaaa'
    BLUE='icmp and icmp[24:4] = 0xbbbbbbbb'
    for h in red-a red-b; do
        n=$(capture_count "$LT_DIR/$h$1.pcap" "$RED")
        x=$(capture_count "$LT_DIR/$h$1.pcap" "$BLUE")
        info "$h$1: $n red ICMP, $x blue ICMP"
        [ "$n" -ge 12 ] || fail "$h saw only $n red ICMP packets$1"
        [ "$x" -eq 0 ] || fail "$h saw $x blue ICMP packets$1"
        m=$(capture_count "$LT_DIR/$h$1.pcap" "mpls")
        [ "$m" -eq 0 ] || fail "$h saw $m labelled frames$1"
    done
    for h in blue-a blue-b; do
        x=$(capture_count "$LT_DIR/$h$1.pcap" "$RED")
        [ "$x" -eq 0 ] || fail "$h saw $x red ICMP packets$1"
    done
}
ping_both ""

# `lamina trace` follows a frame from s1/a through the inside link into
# s1/b and out of b's port.
TO_B="eth_src=$MAC_A,eth_dst=$MAC_B,ip_src=10.0.0.1,ip_dst=10.0.0.2,proto=icmp"
lamina trace s1 p-ra "$TO_B" >"$LT_DIR/trace.txt" || fail "trace: $(cat "$LT_DIR/trace.txt")"
grep -q "out of port p-rb" "$LT_DIR/trace.txt" || fail "the trace does not reach p-rb: $(cat "$LT_DIR/trace.txt")"
grep -q "vnode red/s1/a (l2learn)" "$LT_DIR/trace.txt" &&
    grep -q "vnode red/s1/b (l2learn)" "$LT_DIR/trace.txt" ||
    fail "the trace does not cross both vnodes: $(cat "$LT_DIR/trace.txt")"

# Counters: the frames crossed the inside link in both directions.
st=$(lamina --json stats vnode red) || fail "stats vnode red"
for i in 0 1; do
    sw=$(echo "$st" | json_get "vnodes.$i.switch")
    rx=$(echo "$st" | json_get "vnodes.$i.rx_packets")
    info "vnode red $sw: rx $rx"
    [ "$rx" -ge 6 ] || fail "vnode red $sw received only $rx frames"
done
echo "$st" | grep -q '"s1/b"' || fail "stats do not name vnode s1/b"

# A restart replays the named vnodes and the inside link from the state.
stop_switchd KILL
start_switchd
wait_for "lamina --json vlink list red | grep -q '\"ab\"'" 20 || fail "vlink ab not restored"
n=$(lamina --json vnode list red | n_vnodes) || fail "vnode list"
[ "$n" = 2 ] || fail "red has $n vnodes after the restart, not 2"
ping_both " after the restart"

# Deleting: the vnode ending the link is busy; the link, then it, go.
lamina vnode del red s1/a 2>/dev/null && fail "deleted s1/a under its virtual link"
lamina vlink del red ab || fail "vlink del"
lamina vnode del red s1/a || fail "vnode del s1/a"
nsx red-b ping -c 1 -W 1 10.0.0.1 >/dev/null 2>&1 && fail "red still carries traffic without s1/a"
lamina slice del red || fail "slice del red"
pass
