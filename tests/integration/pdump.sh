#!/bin/bash
# pdump: DPDK's own capture tool, dpdk-dumpcap (a secondary process),
# attaches to a running lamina-switchd (rte_pdump_init() at start) and
# captures a port's frames during a ping into a pcapng file that tcpdump
# reads back; the switch forwards on; a clean stop (SIGTERM, after
# rte_pdump_uninit()) leaves no DPDK runtime files behind.
. "$(dirname "$0")/lib.sh"
lt_init pdump 60

DUMPCAP=$(command -v dpdk-dumpcap) || skip "dpdk-dumpcap is not installed (dpdk)"
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
# A secondary process maps the primary's hugepages: no --no-huge; 128 MB
# for the switch, some for dpdk-dumpcap's own pool.
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
[ "${free:-0}" -ge 128 ] && grep -qs ' hugetlbfs ' /proc/mounts ||
    skip "$free free hugepages: a secondary process cannot attach without them"

ns_add a
ns_add b
veth_add a eth0 va 02:00:00:00:00:01 10.0.0.1/24
veth_add b eth0 vb 02:00:00:00:00:02 10.0.0.2/24
PREFIX=${LT_PREFIX}sw
# A secondary maps the primary's memory at the same addresses: a fixed
# base far from where libraries and (under ASan) the shadow live.
start_switchd -- -l 0-1 --no-pci --file-prefix "$PREFIX" -m 128 --base-virtaddr 0x200000000000
grep -q "pdump on" "$LT_DIR/switchd.log" || fail "pdump is not on: $(tail -5 "$LT_DIR/switchd.log")"
lamina switch add s1 || fail "switch add"
DEV_A=$(af_packet_devargs va)
lamina port add s1 pa "$DEV_A" || fail "port add pa"
lamina port add s1 pb "$(af_packet_devargs vb)" || fail "port add pb"
lamina slice add red || fail "slice add red"
lamina vnode add red s1 || fail "vnode add"
lamina vport add red s1 a pa || fail "vport add a"
lamina vport add red s1 b pb || fail "vport add b"
wait_for "nsx a ping -c 1 -W 1 10.0.0.2" 20 || fail "a cannot reach b"

# The ethdev's name is the devargs' first word (net_af_packetN).
wait_for "'$DUMPCAP' --file-prefix='$PREFIX' -D >'$LT_DIR/ifaces.txt' 2>&1" 15 ||
    fail "dpdk-dumpcap cannot attach: $(tail -5 "$LT_DIR/ifaces.txt")"
grep -q "${DEV_A%%,*}" "$LT_DIR/ifaces.txt" || fail "port ${DEV_A%%,*} not listed: $(cat "$LT_DIR/ifaces.txt")"
bg_start timeout 30 "$DUMPCAP" --file-prefix="$PREFIX" -i "${DEV_A%%,*}" \
    -w "$LT_DIR/pa.pcapng" -c 6 -q
DUMP_PID=$LT_LAST_PID
# dumpcap writes its header once the capture is enabled.
wait_for "[ -s '$LT_DIR/pa.pcapng' ]" 15 || fail "dpdk-dumpcap did not start capturing"
nsx a ping -c 6 -i 0.1 -W 1 10.0.0.2 >/dev/null || fail "pings lost while capturing"
wait_for "! kill -0 $DUMP_PID 2>/dev/null" 15 || fail "dpdk-dumpcap did not stop at 6 packets"
tcpdump -nn -r "$LT_DIR/pa.pcapng" >"$LT_DIR/pa.txt" 2>"$LT_DIR/pa.err" ||
    fail "tcpdump cannot read the capture: $(cat "$LT_DIR/pa.err")"
cat "$LT_DIR/pa.txt" >&2
n=$(grep -c "ICMP echo" "$LT_DIR/pa.txt")
[ "$n" -ge 3 ] || fail "the capture holds $n ICMP echo frames: $(head -3 "$LT_DIR/pa.txt")"
nsx a ping -c 2 -i 0.1 -W 1 10.0.0.2 >/dev/null || fail "pings lost after the capture"

stop_switchd TERM
[ ! -e "/var/run/dpdk/$PREFIX" ] || fail "DPDK runtime files left after SIGTERM: $(ls "/var/run/dpdk/$PREFIX")"
ls /dev/hugepages 2>/dev/null | grep -q "^$PREFIX" && fail "hugepage files of $PREFIX left"
pass "dpdk-dumpcap captured $n ICMP echo frames on ${DEV_A%%,*}"
