#!/bin/bash
# harness-selftest: proves lib.sh on its own, without any Lamina daemon.
# Two namespaces joined by a plain veth pair ping each other while both
# ends are captured; then the world is torn down in a child run of the
# harness and we check that nothing of it is left (namespaces, links,
# processes, files).
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --inner ]; then
    # The child run: builds a world, prints its names, ends with pass.
    lt_init selftest-inner 30
    ns_add a
    ns_add b
    veth_link a eth0 02:00:00:00:00:0a 10.9.0.1/24 b eth0 02:00:00:00:00:0b 10.9.0.2/24
    ns_add c
    veth_add c eth0 c0 02:00:00:00:00:0c 10.9.1.1/24
    capture_start a eth0 "$LT_DIR/a.pcap"
    bg_start sleep 300
    echo "WORLD $(ns a) $(ns b) $(ns c) $(rif c0) $LT_LAST_PID $LT_DIR"
    pass
fi

lt_init harness-selftest 60

ns_add h1
ns_add h2
veth_link h1 eth0 02:00:00:00:00:01 10.9.0.1/24 h2 eth0 02:00:00:00:00:02 10.9.0.2/24

# IPv6 is off and so are TX checksum offloads.
[ "$(nsx h1 sysctl -n net.ipv6.conf.eth0.disable_ipv6)" = 1 ] || fail "IPv6 still on in h1"
nsx h1 ethtool -k eth0 | grep -q '^tx-checksumming: off' || fail "TX checksum offload still on"
[ "$(nsx h1 cat /sys/class/net/eth0/address)" = 02:00:00:00:00:01 ] || fail "MAC of h1"

capture_start h1 eth0 "$LT_DIR/h1.pcap"
capture_start h2 eth0 "$LT_DIR/h2.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 10 || fail "h1 cannot reach h2"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "ping h1 -> h2 lost packets"
capture_stop
for h in h1 h2; do
    n=$(capture_count "$LT_DIR/$h.pcap" icmp)
    [ "$n" -ge 8 ] || fail "capture on $h holds $n ICMP packets, expected at least 8"
    v6=$(capture_count "$LT_DIR/$h.pcap" ip6)
    [ "$v6" -eq 0 ] || fail "capture on $h holds $v6 IPv6 packets (noise)"
done
info "ping and captures fine"

# lamina-gen, which other tests count with: a receiver filtering on a
# payload tag sees the tagged frames (untagged and tagged), not the others.
# The receiver listens longer than the sender sends (150 frames over 1.5 s),
# so however late it starts it counts most of them.
gen_count() {   # gen_count TAG SEND-ARGS...: frames h2 counts with TAG
    local tag=$1
    shift
    nsx h2 "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 3 \
        --tag "$tag" --json >"$LT_DIR/gen.json" &
    local rpid=$!
    nsx h1 "$LT_BUILD/tools/lamina-gen" send --iface eth0 \
        --dst-mac 02:00:00:00:00:02 --src-mac 02:00:00:00:00:01 --rate 100 \
        --size 100 --duration 1.5 "$@" >/dev/null || fail "lamina-gen send $*"
    wait "$rpid" || fail "lamina-gen recv"
    jq -r .packets "$LT_DIR/gen.json"
}
[ "$(gen_count abc --payload-tag abc)" -ge 100 ] || fail "lamina-gen: tagged payload not counted"
[ "$(gen_count abc --payload-tag abc --vlan 7-9)" -ge 100 ] || fail "lamina-gen: tagged payload in VLAN frames not counted"
[ "$(gen_count abc --payload-tag xyz)" -eq 0 ] || fail "lamina-gen: another tag counted"
info "lamina-gen counts by payload tag"

wait_for "false" 0.2 && fail "wait_for accepted a false condition"
wait_for "true" 1 || fail "wait_for refused a true condition"

# The cleanup check: run the harness in a child, then look for its world.
out=$("$0" --inner)
echo "$out" | grep -q '^PASS: selftest-inner' || fail "inner run did not pass: $out"
read -r _ nsa nsb nsc root pid dir <<<"$(echo "$out" | grep '^WORLD')"
[ -n "$dir" ] || fail "inner run printed no world"
for n in "$nsa" "$nsb" "$nsc"; do
    ip netns list | grep -qw "$n" && fail "namespace $n left behind"
done
ip link show "$root" >/dev/null 2>&1 && fail "link $root left behind"
kill -0 "$pid" 2>/dev/null && fail "process $pid left behind"
[ -e "$dir" ] && fail "directory $dir left behind"
info "inner run cleaned up $nsa $nsb $nsc $root pid $pid $dir"

# A failing inner run cleans up too (and says FAIL).
out=$(bash -c '. "$1"; lt_init selftest-failing 30; ns_add x; echo "NS $(ns x)"; fail "on purpose"' _ "$LT_LIB_DIR/lib.sh")
rc=$?
[ $rc -eq 1 ] || fail "failing inner run exited $rc"
echo "$out" | grep -q '^FAIL: selftest-failing: on purpose' || fail "failing inner run printed: $out"
n=$(echo "$out" | awk '/^NS/ {print $2}')
ip netns list | grep -qw "$n" && fail "namespace $n of the failing run left behind"

pass
