#!/bin/bash
# port-types: the DPDK port types a user meets, each carrying a slice's
# traffic end to end (ping):
#   af_xdp  - two hosts on veths read with net_af_xdp;
#   memif   - a host on af_packet, then a memif server/client pair inside
#             the switch (slice "m1" on one side, "m2" on the other);
#   tap     - a net_tap device moved into a host namespace;
#   afpacket - Lamina's own AF_PACKET port (not an ethdev): a host on it,
#             and a second host on a VLAN sub-interface (the kernel passes
#             the tag beside the frame; the port must put it back); and
#             40 such ports on one switch, past DPDK's 32-ethdev limit;
# plus net_ring and net_null, which need no peer, opened and closed.
. "$(dirname "$0")/lib.sh"
lt_init port-types 120

ns_add xa; ns_add xb; ns_add ma; ns_add mb; ns_add ta; ns_add tb
veth_add xa eth0 xa 02:00:00:00:00:01 10.1.0.1/24
veth_add xb eth0 xb 02:00:00:00:00:02 10.1.0.2/24
veth_add ma eth0 ma 02:00:00:00:00:03 10.2.0.1/24
veth_add mb eth0 mb 02:00:00:00:00:04 10.2.0.2/24
veth_add ta eth0 ta 02:00:00:00:00:05 10.3.0.1/24

start_switchd
lamina switch add s1 >/dev/null || fail "switch add"

# af_xdp on both hosts.
lamina port add s1 xa "net_af_xdp0,iface=$(rif xa)" || fail "af_xdp port xa"
lamina port add s1 xb "net_af_xdp1,iface=$(rif xb)" || fail "af_xdp port xb"
lamina slice add x >/dev/null && lamina vnode add x s1 >/dev/null || fail "slice x"
lamina vport add x s1 a xa && lamina vport add x s1 b xb || fail "vports x"
wait_for "nsx xa ping -c 1 -W 1 10.1.0.2" 20 || fail "no ping over af_xdp ports"
info "af_xdp: ping OK"

# memif: host ma -> slice m1 -> memif server == client -> slice m2 -> host mb.
sock=$LT_DIR/memif.sock
lamina port add s1 ma "$(af_packet_devargs ma)" || fail "port ma"
lamina port add s1 mb "$(af_packet_devargs mb)" || fail "port mb"
lamina port add s1 msrv "net_memif0,role=server,socket=$sock,id=0" || fail "memif server"
lamina port add s1 mcli "net_memif1,role=client,socket=$sock,id=0" || fail "memif client"
for s in m1 m2; do lamina slice add $s >/dev/null && lamina vnode add $s s1 >/dev/null || fail "slice $s"; done
lamina vport add m1 s1 host ma && lamina vport add m1 s1 wire msrv || fail "vports m1"
lamina vport add m2 s1 wire mcli && lamina vport add m2 s1 host mb || fail "vports m2"
wait_for "nsx ma ping -c 1 -W 1 10.2.0.2" 20 || fail "no ping across the memif pair"
m1=$(lamina --json stats port msrv | json_get ports.0.tx_packets)
[ "$m1" -gt 0 ] || fail "nothing left by the memif server port"
info "memif: ping OK ($m1 frames out of the server end)"

# tap: the device DPDK makes, moved into namespace tb.
lamina port add s1 tap "net_tap0,iface=$(rif tp)" || fail "tap port"
LT_LINKS+=("$(rif tp)")
ip link set "$(rif tp)" netns "$(ns tb)" || fail "moving the tap into tb"
nsx tb ip addr add 10.3.0.2/24 dev "$(rif tp)"
nsx tb ip link set "$(rif tp)" up
nsx tb sysctl -qw "net.ipv6.conf.$(rif tp).disable_ipv6=1"
lamina port add s1 ta "$(af_packet_devargs ta)" || fail "port ta"
lamina slice add t >/dev/null && lamina vnode add t s1 >/dev/null || fail "slice t"
lamina vport add t s1 host ta && lamina vport add t s1 tap tap || fail "vports t"
wait_for "nsx ta ping -c 1 -W 1 10.3.0.2" 20 || fail "no ping into the tap device"
info "tap: ping OK"

# afpacket: native ports, untagged on ka, VLAN 7 on kb.  This kernel has
# no 802.1Q module, so kb's side is raw tagged frames from lamina-gen.
ns_add ka; ns_add kb
veth_add ka eth0 ka 02:00:00:00:00:07 10.4.0.1/24
veth_add kb eth0 kb 02:00:00:00:00:08 -
lamina port add s1 ka "afpacket:$(rif ka)" || fail "afpacket port ka"
lamina port add s1 kb "afpacket:$(rif kb),frames=1024" || fail "afpacket port kb"
if lamina port add s1 kc "afpacket:$(rif ka),frames=100" 2>"$LT_DIR/err"; then
    fail "a ring of 100 frames (not a power of 2) was accepted"
fi
grep -q "power of 2" "$LT_DIR/err" || fail "unclear error: $(cat "$LT_DIR/err")"
lamina slice add k >/dev/null && lamina vnode add k s1 >/dev/null || fail "slice k"
lamina vport add k s1 a ka && lamina vport add k s1 b kb --vlan 7 || fail "vports k"
recv() {   # recv NS: frames of the tag "afp" seen in NS over 3 s
    nsx "$1" "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 3 --tag afp --json |
        json_get packets
}
recv ka >"$LT_DIR/ka.count" &
r1=$!
sleep 0.5
nsx kb "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac 02:00:00:00:00:08 \
    --dst-mac 02:00:00:00:00:07 --vlan 7 --rate 1k --count 100 --duration 2 \
    --payload-tag afp >/dev/null || fail "sending tagged frames from kb"
wait $r1
got=$(cat "$LT_DIR/ka.count")
info "afpacket: $got of 100 VLAN-7 frames from kb reached ka"
[ "$got" -ge 95 ] || fail "only $got of 100 tagged frames crossed the afpacket ports"
untagged=$(lamina --json stats port kb | json_get ports.0.drops)
[ "$untagged" = "{}" ] || fail "port kb dropped frames: $untagged"
for i in $(seq 1 40); do
    ip link add "$(rif "m$i")" type veth peer name "$(rif "n$i")" || fail "veth $i"
    LT_LINKS+=("$(rif "m$i")")
    ip link set "$(rif "m$i")" up
    lamina port add s1 "many$i" "afpacket:$(rif "m$i")" >/dev/null || fail "afpacket port $i"
done
n=$(lamina --json port list s1 | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
info "afpacket: $n ports on s1"
[ "$n" -gt 40 ] || fail "only $n ports on s1"
for i in $(seq 1 40); do lamina port del s1 "many$i" >/dev/null || fail "port del $i"; done

# Peerless devices open and close cleanly.
lamina port add s1 r0 net_ring0 && lamina port del s1 r0 || fail "net_ring"
lamina port add s1 n0 net_null0 && lamina port del s1 n0 || fail "net_null"
pass
