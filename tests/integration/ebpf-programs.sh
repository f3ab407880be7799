#!/bin/bash
# ebpf-programs: the three example eBPF programs (dataplane/ebpf/examples)
# each run a slice's vnode on one lamina-switchd, with hosts in network
# namespaces:
#  - l2: the L2 learning program; ping; its MAC table seen through
#    `lamina vnode table dump`; five program swaps under a ping stream
#    lose no packet and keep the table;
#  - r6: the IPv6 router; routes, neighbours and interface MACs set by the
#    SP through `lamina vnode table set`; ping -6 across two subnets; the
#    hop limit is decremented; ICMPv6 time exceeded and destination
#    unreachable come back from the router's address;
#  - xn: the router of "xnet", a made-up non-IP protocol (ethertype
#    0x88b5): a frame sent by one host arrives at the other, re-addressed,
#    with its ttl decremented.
# A hostile program is refused by `lamina vnode set` and changes nothing;
# a restart reloads the programs, tables and the SP's entries from the
# state file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/hetero-lib.sh"
lt_init ebpf-programs 150

OBJ=$LT_BUILD/dataplane
for p in l2learn ipv6_router xnet_router hostile_loop; do
    [ -f "$OBJ/$p.o" ] || skip "$OBJ/$p.o is not built"
done

ns_add l2-a; ns_add l2-b
veth_add l2-a eth0 la "$MAC_A" 10.0.0.1/24
veth_add l2-b eth0 lb "$MAC_B" 10.0.0.2/24
for h in r6-a r6-b; do
    ns_add "$h"
done
veth_add r6-a eth0 6a "$MAC_A" -
veth_add r6-b eth0 6b "$MAC_B" -
for h in r6-a r6-b; do
    nsx "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
done
ns_add xn-a; ns_add xn-b
veth_add xn-a eth0 xa "$MAC_A" -
veth_add xn-b eth0 xb "$MAC_B" -

start_switchd
lamina switch add s1 || fail "switch add"
for c in la lb 6a 6b xa xb; do
    lamina port add s1 "p-$c" "$(af_packet_devargs "$c")" || fail "port add $c"
done
tables() { hetero_tables "$@"; }

# ---- l2: the L2 learning program
lamina slice add l2 || fail "slice add l2"
lamina vnode add l2 s1 --fp ebpf --program "$OBJ/l2learn.o" \
    --config "$(tables macs:hash:1024)" || fail "vnode add l2 (ebpf)"
lamina vport add l2 s1 a p-la || fail "vport add l2 a"
lamina vport add l2 s1 b p-lb || fail "vport add l2 b"
wait_for "nsx l2-a ping -c 1 -W 1 10.0.0.2" 20 || fail "l2: a cannot reach b"
dump=$(lamina --json vnode table dump l2 s1 macs) || fail "table dump"
n=$(echo "$dump" | json_get tables.0.entries_n)
info "l2: $n MAC entries learned by the program"
[ "$n" -eq 2 ] || fail "l2: the program learned $n MACs, not 2: $dump"
echo "$dump" | grep -q \"0x0000020000000001\" || fail "l2: MAC of a not learned"

# Five swaps under a stream of 100 pings: none lost.
nsx l2-a ping -c 100 -i 0.01 -W 1 10.0.0.2 >"$LT_DIR/l2-ping.txt" 2>&1 &
pingpid=$!
LT_PIDS+=("$pingpid")
for i in 1 2 3 4 5; do
    lamina vnode set l2 s1 --program "$OBJ/l2learn.o" || fail "swap $i"
done
wait "$pingpid"
grep -q " 0% packet loss" "$LT_DIR/l2-ping.txt" || fail "l2: pings lost across swaps: $(tail -2 "$LT_DIR/l2-ping.txt")"
swaps=$(lamina --json vnode dump l2 s1 | json_get swaps)
[ "$swaps" -eq 5 ] || fail "l2: $swaps swaps counted, not 5"
[ "$(lamina --json vnode table dump l2 s1 | json_get tables.0.entries_n)" -eq 2 ] ||
    fail "l2: the table did not survive the swaps"

# A hostile program: refused with the reason, the old one keeps running.
if out=$(lamina vnode set l2 s1 --program "$OBJ/hostile_loop.o" 2>&1); then
    fail "l2: a looping program was accepted"
fi
echo "$out" | grep -q "loops" || fail "l2: the refusal does not say why: $out"
info "l2: refused as expected: $out"
nsx l2-a ping -c 2 -W 1 10.0.0.2 >/dev/null || fail "l2: forwarding broke after a refused swap"
[ "$(lamina --json vnode dump l2 s1 | json_get program.path)" = "$OBJ/l2learn.o" ] ||
    fail "l2: the refused program replaced the old one"

# ---- r6: the IPv6 router
hetero_r6 addr:array:16      # hetero-lib.sh: the program, tables, hosts
capture_start r6-b eth0 "$LT_DIR/r6-b.pcap"
wait_for "nsx r6-a ping -6 -c 1 -W 1 2001:db8:2::1" 20 || fail "r6: a cannot reach b across the router"
nsx r6-a ping -6 -c 5 -i 0.2 -W 1 2001:db8:2::1 >/dev/null || fail "r6: pings lost"
capture_stop
# Echo requests reach b with hop limit 63 (ping sends 64), from the router's MAC.
n=$(capture_count "$LT_DIR/r6-b.pcap" "ether src $R6_MAC1 and icmp6 and ip6[40] = 128 and ip6[7] = 63")
info "r6: $n echo requests at b, routed (hop limit 63)"
[ "$n" -ge 5 ] || fail "r6: only $n routed echo requests at b"
[ "$(capture_count "$LT_DIR/r6-b.pcap" "icmp6 and ip6[40] = 128 and ip6[7] = 64")" -eq 0 ] ||
    fail "r6: an echo request reached b without a hop limit decrement"
lamina --json vnode table dump r6 s1 routes | grep -q '"plen": 64' || fail "r6: routes dump"
# ICMPv6 errors from the router's own addresses (2001:db8:1::ff on vport 0,
# 2001:db8:2::ff on vport 1: addr[2v] high, addr[2v+1] low 64 bits): time
# exceeded when the hop limit runs out, destination unreachable (no route)
# for a network it has no route to.  ping shows them only if the kernel
# found their checksums right.
lamina vnode table set r6 s1 addr 0 0x20010db800010000 &&
    lamina vnode table set r6 s1 addr 1 0xff &&
    lamina vnode table set r6 s1 addr 2 0x20010db800020000 &&
    lamina vnode table set r6 s1 addr 3 0xff || fail "r6: router addresses"
capture_start r6-a eth0 "$LT_DIR/r6-a-err.pcap"
out=$(nsx r6-a ping -6 -c 1 -t 1 -W 2 2001:db8:2::1 2>&1)
info "r6: ping with hop limit 1: $(echo "$out" | grep -i from)"
echo "$out" | grep -q "From 2001:db8:1::ff.*Time exceeded" ||
    fail "r6: no time exceeded from 2001:db8:1::ff: $out"
out=$(nsx r6-a ping -6 -c 1 -W 2 2001:db8:7::1 2>&1)
info "r6: ping to a network without a route: $(echo "$out" | grep -i from)"
echo "$out" | grep -q "From 2001:db8:1::ff.*Destination unreachable: No route" ||
    fail "r6: no destination unreachable from 2001:db8:1::ff: $out"
capture_stop
n=$(capture_count "$LT_DIR/r6-a-err.pcap" "ether src $R6_MAC0 and icmp6 and (ip6[40] = 1 or ip6[40] = 3)")
[ "$n" -eq 2 ] || fail "r6: $n ICMPv6 errors at a, not 2"
[ "$(lamina --json vnode dump r6 s1 | json_get program.counters.reply)" -eq 2 ] ||
    fail "r6: the program's reply counter is not 2"

# ---- xn: the router of a made-up non-IP protocol
hetero_xn       # hetero-lib.sh
capture_start xn-b eth0 "$LT_DIR/xn-b.pcap"
wait_for "hetero_send_xnet 1; sleep 0.2; [ \$(capture_count '$LT_DIR/xn-b.pcap' 'ether proto 0x88b5') -ge 1 ]" 20 ||
    fail "xn: no xnet frame reached b"
capture_stop
# Re-addressed by the router (to b's MAC from the router's), ttl 9 -> 8.
n=$(capture_count "$LT_DIR/xn-b.pcap" "ether proto 0x88b5 and ether src $XN_MAC1 and ether dst $MAC_B and ether[22] = 8")
[ "$n" -ge 1 ] || fail "xn: the frames at b were not routed: $(tcpdump -r "$LT_DIR/xn-b.pcap" -nxe 2>/dev/null | head -5)"
[ "$(capture_count "$LT_DIR/xn-b.pcap" "ether proto 0x88b5 and ether[23:4] = 0x786e6574")" -ge 1 ] ||
    fail "xn: payload lost"
info "xn: xnet frames routed to b (ttl decremented, re-addressed)"

# ---- The slice's table quota: counted across its vnodes on a switch.
lamina slice add qt --table-quota 100 || fail "slice add qt"
lamina vnode add qt s1/a --fp ebpf --program "$OBJ/l2learn.o" \
    --config "$(tables macs:hash:64)" || fail "vnode add qt s1/a"
lamina vnode add qt s1/b --fp ebpf --program "$OBJ/l2learn.o" \
    --config "$(tables macs:hash:64)" 2>"$LT_DIR/err" && fail "quota: s1/b accepted"
grep -q "exceed the slice's table quota of 100" "$LT_DIR/err" ||
    fail "quota: unclear error: $(cat "$LT_DIR/err")"
lamina --json vnode list qt | grep -q 's1/b' && fail "quota: a refused vnode exists"
lamina slice set qt --table-quota 32 2>"$LT_DIR/err" && fail "quota: lowered below use"
grep -q "hold 64 table entries" "$LT_DIR/err" || fail "quota: unclear error: $(cat "$LT_DIR/err")"
lamina slice set qt --table-quota 128 || fail "quota: slice set 128"
lamina vnode add qt s1/b --fp ebpf --program "$OBJ/l2learn.o" \
    --config "$(tables macs:hash:64)" || fail "quota: s1/b refused within the quota"
lamina vnode set qt s1/b --config "$(tables macs:hash:64 more:array:8)" 2>/dev/null &&
    fail "quota: vnode set grew past the quota"
n=$(lamina --json vnode table dump qt s1/b | /usr/bin/python3 -c 'import json, sys
print(len(json.load(sys.stdin)["tables"]))') || fail "quota: table dump"
[ "$n" = 1 ] || fail "quota: s1/b has $n tables after a refused set"
lamina slice del qt || fail "slice del qt"

# The programs' counters say what they did.
for s in l2 r6 xn; do
    d=$(lamina --json vnode dump "$s" s1) || fail "vnode dump $s"
    info "$s: $(echo "$d" | json_get program.counters) jit=$(echo "$d" | json_get program.jit)"
done
[ "$(lamina --json vnode dump r6 s1 | json_get program.counters.bad_action)" -eq 0 ] ||
    fail "r6: bad actions"

# A restart reloads each vnode's program and tables from the state file,
# with the entries the SP set (not those a program wrote: the L2 program
# learns anew).  One SP entry deleted before: it stays deleted.
lamina vnode table set r6 s1 routes 2001:db8:9::/48 1 || fail "route 9"
lamina vnode table del r6 s1 routes 2001:db8:9::/48 || fail "route 9 del"
stop_switchd KILL
start_switchd
[ "$(lamina --json vnode dump l2 s1 | json_get program.path)" = "$OBJ/l2learn.o" ] ||
    fail "restart: l2's program was not reloaded"
[ "$(lamina --json vnode dump r6 s1 | json_get tables.2.name)" = iface ] ||
    fail "restart: r6's tables were not recreated"
wait_for "nsx l2-a ping -c 1 -W 1 10.0.0.2" 20 || fail "restart: l2 does not forward"
n_entries() { # SLICE TABLE
    lamina --json vnode table dump "$1" s1 "$2" | /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["tables"][0]["entries_n"])'
}
for t in routes:2 neigh:2 iface:2; do
    n=$(n_entries r6 "${t%%:*}") || fail "restart: dump r6 ${t%%:*}"
    [ "$n" = "${t##*:}" ] || fail "restart: r6 table ${t%%:*} has $n entries, not ${t##*:}"
done
[ "$(n_entries xn routes)" = 2 ] || fail "restart: xn routes not restored"
grep -q '"entries"' "$LT_STATE" || fail "restart: no SP entries in the state file"
lamina --json vnode list l2 | grep -q '"entries"' &&
    fail "restart: l2's learned entries are kept as the SP's"
wait_for "nsx r6-a ping -6 -c 1 -W 1 2001:db8:2::1" 20 || fail "restart: r6 does not route"

pass
