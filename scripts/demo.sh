#!/bin/bash
# make demo: Lamina in three minutes, on one machine.
#
# Scene 1, slices: one lamina-switchd holds three switches s1 - s2 - s3.
# Two slices, red and blue, have two hosts each (network namespaces on
# veths) with the SAME MAC and IP addresses, a vnode on s1 and s3 and a
# virtual link over s2.  Both ping; blue floods over its policer; every
# host's capture shows it saw only its own slice.
#
# Scene 2, heterogeneous slices: three slices on one switch, each with its
# own forwarding logic (IPv4 through lamina-sp's OpenFlow L3 app, IPv6
# through the eBPF router program, a made-up non-IP protocol through its
# eBPF program), the same host addresses, all carrying traffic at once;
# the captures show no frame crossed (tests/integration/hetero-lib.sh,
# shared with the hetero-slices test).
#
# Scenes 3-9, leasing: two infrastructure providers (InPs), each a
# lamina-switchd with three switches and a lamina-inpd beside it, joined
# by an inter-domain link (a veth pair between their border ports).  A
# lamina-brokerd (SQLite in the run's directory).  Two service providers
# (SPs) each rent a virtual network across both InPs with
# `lamina lease request` (examples/leasing/sp1.yaml, sp2.yaml), with the
# same host addresses; their hosts ping across both InPs and see nothing
# of the other SP; the bills; SP2's 40-second lease expires live, its
# slices go on both InPs and the capacity comes back.
#
# usage: scripts/demo.sh [BUILD_DIR]      as root; everything is removed
#                                          at the end, also on Ctrl-C
#   DEMO_FAST=1       shorter floods and fewer pings (the integration test)
#   DEMO_PORT=N       the broker's port (default 8470; the agents N+1, N+2)
set -u
BUILD=$(cd "${1:-build}" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
export LAMINA_BUILD=$BUILD
. "$SRC/tests/integration/lib.sh"

FAST=${DEMO_FAST:-0}
[ "$FAST" = 1 ] && { FLOOD_S=1; PINGS=3; } || { FLOOD_S=3; PINGS=5; }

if [ -t 1 ]; then
    bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
    bold() { printf '\n== %s\n' "$*"; }
fi
say() { printf '   %s\n' "$*"; }
indent() { sed 's/^/     /'; }
show() { printf '   $ lamina %s\n' "$*"; lamina "$@" | indent; }

# isolated A B: in the captures $LT_DIR/{A,B}-h{1,2}.pcap, counts the ICMP
# of A (payload aa..) and of B (bb..); 0 if each host saw its own and no
# other.
isolated() {
    local h a b ok=0
    for h in "$1-h1" "$1-h2" "$2-h1" "$2-h2"; do
        a=$(capture_count "$LT_DIR/$h.pcap" 'icmp and icmp[24:4] = 0xaaaaaaaa')
        b=$(capture_count "$LT_DIR/$h.pcap" 'icmp and icmp[24:4] = 0xbbbbbbbb')
        printf '   captured on %-8s %s ICMP (aa..) %3d   %s ICMP (bb..) %3d\n' "$h" "$1" "$a" "$2" "$b"
        case $h in
        "$1"-*) [ "$b" -eq 0 ] && [ "$a" -gt 0 ] || ok=1 ;;
        *) [ "$a" -eq 0 ] && [ "$b" -gt 0 ] || ok=1 ;;
        esac
    done
    return $ok
}

lt_init demo 200
T0=$(date +%s)

# ------------------------------------------------------------------ scene 1
bold "1. Slices: red and blue on one substrate, with the same addresses"
VIEW=$(lt_free_port)
start_switchd --metrics "127.0.0.1:$VIEW"
say "live view of this switch while the scene runs: http://127.0.0.1:$VIEW/"
say "(Prometheus metrics at http://127.0.0.1:$VIEW/metrics; docs/observability.md)"
for s in s1 s2 s3; do lamina switch add $s >/dev/null || fail "switch add $s"; done
lamina link add l12 s1:to-s2 s2:to-s1 --rate 1G --delay 100us >/dev/null || fail "link l12"
lamina link add l23 s2:to-s3 s3:to-s2 --rate 1G --delay 100us >/dev/null || fail "link l23"
MAC1=02:00:00:00:00:01 MAC2=02:00:00:00:00:02
for slice in red blue; do
    c=${slice:0:1}
    ns_add "$slice-h1"
    ns_add "$slice-h2"
    veth_add "$slice-h1" eth0 "${c}1" $MAC1 10.0.0.1/24
    veth_add "$slice-h2" eth0 "${c}2" $MAC2 10.0.0.2/24
    lamina port add s1 "$slice-h1" "$(af_packet_devargs "${c}1")" >/dev/null || fail "port"
    lamina port add s3 "$slice-h2" "$(af_packet_devargs "${c}2")" >/dev/null || fail "port"
done
lamina slice add red --guarantee 100M >/dev/null || fail "slice red"
lamina slice add blue --guarantee 100M --policer 200M >/dev/null || fail "slice blue"
for slice in red blue; do
    for s in s1 s3; do lamina vnode add $slice $s >/dev/null || fail "vnode"; done
    lamina vport add $slice s1 h1 "$slice-h1" >/dev/null || fail "vport"
    lamina vport add $slice s3 h2 "$slice-h2" >/dev/null || fail "vport"
    lamina vlink add $slice wan --path s1,s2,s3 >/dev/null || fail "vlink"
done
say "s1 - s2 - s3 in one lamina-switchd; hosts {red,blue}-h1 10.0.0.1 on s1, -h2 10.0.0.2 on s3"
say "(the commands: lamina switch add, link add, port add, slice add, vnode add,"
say " vport add, vlink add --path s1,s2,s3: see README.md)"
show slice list
for h in red-h1 red-h2 blue-h1 blue-h2; do capture_start "$h" eth0 "$LT_DIR/$h.pcap"; done
for slice in red blue; do
    p=$([ $slice = red ] && echo aa || echo bb)
    wait_for "nsx $slice-h1 ping -c 1 -W 1 -p $p 10.0.0.2" 20 || fail "$slice: no reply"
    printf '   %s-h1 -> 10.0.0.2: ' $slice
    nsx "$slice-h1" ping -c "$PINGS" -i 0.2 -W 1 -p $p 10.0.0.2 | grep -E 'packets transmitted' |
        tr '\n' ' '
    echo
done
say "blue floods at 300 Mbit/s for $FLOOD_S s over its 200 Mbit/s policer; red pings on:"
bg_start ip netns exec "$(ns blue-h1)" "$BUILD/tools/lamina-gen" send --iface eth0 \
    --src-mac $MAC1 --dst-mac $MAC2 --bps 300M --size 1000 --duration "$FLOOD_S"
FLOOD=$LT_LAST_PID
printf '   red-h1 -> 10.0.0.2 meanwhile: '
nsx red-h1 ping -c $((FLOOD_S * 3)) -i 0.2 -W 1 -p aa 10.0.0.2 | grep -E 'packets transmitted' |
    tr '\n' ' '
echo
wait "$FLOOD" 2>/dev/null
capture_stop
show stats slice
isolated red blue || fail "a host saw another slice's packets"
say "Same addresses, one substrate, no packet crossed between red and blue."
stop_switchd

# ------------------------------------------------------------------ scene 2
bold "2. Heterogeneous slices: three forwarding planes side by side on one switch"
. "$SRC/tests/integration/hetero-lib.sh"
HETERO_SAY=say
LT_STATE=$LT_DIR/hetero.state     # a switchd of its own, not scene 1's configuration
say "hosts {v4,r6,xn}-a and -b, MACs $MAC_A and $MAC_B in all three slices"
hetero_setup
show vnode list
hetero_traffic $((PINGS * 4))
hetero_check $((PINGS * 4))
for s in r6 xn; do
    say "$s's program: $(lamina --json vnode dump $s s1 | json_get program.counters)"
done
say "IPv4, IPv6 and xnet at once, each by its own SP's logic, none in another's captures."
lt_stop_pid "$HETERO_SP_PID"
stop_switchd
unset -f lamina

# ------------------------------------------------------------------ leasing
# From here on the commands run in the run's directory, with the built
# binaries on PATH: they are printed as a reader would type them.
cd "$LT_DIR" || fail "no run directory"
export PATH=$BUILD/cli:$BUILD/broker:$BUILD/inp-agent:$PATH
PORT=${DEMO_PORT:-8470}
export LAMINA_BROKER=http://127.0.0.1:$PORT
run() {     # CMD...: print it, run it, indent its output
    printf '   $ %s\n' "$*"
    "$@" 2>&1 | indent
    return "${PIPESTATUS[0]}"
}
as() { local who=$1; shift; LAMINA_TOKEN=$(cat "$who.tok") "$@"; }
as_run() {  # WHO CMD...: run as principal WHO, printed with its token
    printf '   $ LAMINA_TOKEN=$(cat %s.tok) %s\n' "$1" "${*:2}"
    as "$@" 2>&1 | indent
    return "${PIPESTATUS[0]}"
}
sw() { local s=$1; shift; lamina --socket "$s.sock" "$@"; }
swq() {     # INP ARGS...: the CLI on INP's switchd, printed, output hidden
    printf '   $ lamina --socket %s.sock %s\n' "$1" "${*:2}"
    sw "$@" >/dev/null 2>"$LT_DIR/err" || { cat "$LT_DIR/err"; return 1; }
}
capacity() {    # INP: the resources the agent counts as used, now
    local port=$((PORT + $([ "$1" = inp-a ] && echo 1 || echo 2)))
    printf '   $ curl -H "Authorization: Bearer $(cat %s.agent)" http://127.0.0.1:%s/v1/capacity\n' \
        "$1" "$port"
    curl -s -H "Authorization: Bearer $(cat "$1.agent")" "http://127.0.0.1:$port/v1/capacity" |
        python3 -c '
import json, sys
c = json.load(sys.stdin)
for r in sorted(c["total"]):
    if c["free_now"].get(r) != c["total"][r]:
        print("     %-14s free %12s of %12s" % (r, c["free_now"].get(r), c["total"][r]))
print("     (every other resource free in full; holds: %d)" % len(c["holds"]))'
}
has_slice() { sw "$1" --json slice list | json_get "" | grep -q "\"$2\""; }

bold "3. Two infrastructure providers: inp-a (a1 - a2 - a3) and inp-b (b1 - b2 - b3)"
say "Each is a lamina-switchd of its own, with its own socket and DPDK prefix."
say "Access points on a1 and b3 (a port per SP host), border ports a3:to-b and b1:to-a,"
say "joined by a veth pair: the inter-domain link."
for sp in sp1 sp2; do
    ns_add "$sp-h1"
    ns_add "$sp-h2"
    veth_add "$sp-h1" eth0 "${sp}a" $MAC1 10.0.0.1/24
    veth_add "$sp-h2" eth0 "${sp}b" $MAC2 10.0.0.2/24
done
BA=$(rif ba) BB=$(rif bb)
veth_pair ba bb
for inp in inp-a inp-b; do
    LT_SOCK=$LT_DIR/$inp.sock LT_STATE=$LT_DIR/$inp.state
    LT_DPDK_PREFIXES+=("${LT_PREFIX}$inp")
    # shellcheck disable=SC2046
    view=$(lt_free_port)
    start_switchd --metrics "127.0.0.1:$view" \
        -- -l 0-1 --no-pci --file-prefix "${LT_PREFIX}$inp" $(lt_eal_memory) 2>/dev/null
    printf '   $ lamina-switchd --socket %s.sock --state %s.state --metrics 127.0.0.1:%s -- --no-pci ...   (pid %s)\n' \
        $inp $inp "$view" "$LT_SWITCHD_PID"
    say "   live view of $inp: http://127.0.0.1:$view/"
done
# substrate INP X ACCESS-SWITCH HOST BORDER-SWITCH BORDER-PORT BORDER-IF:
# switches X1 - X2 - X3, the SPs' host ports on ACCESS-SWITCH, the border.
substrate() {
    local i=$1 x=$2
    swq "$i" switch add ${x}1 && swq "$i" switch add ${x}2 && swq "$i" switch add ${x}3 &&
        swq "$i" link add ${x}12 ${x}1:to-${x}2 ${x}2:to-${x}1 --rate 1G &&
        swq "$i" link add ${x}23 ${x}2:to-${x}3 ${x}3:to-${x}2 --rate 1G &&
        swq "$i" port add "$3" "sp1-$4" "$(af_packet_devargs "sp1${x}")" &&
        swq "$i" port add "$3" "sp2-$4" "$(af_packet_devargs "sp2${x}")" &&
        swq "$i" port add "$5" "$6" "$(af_packet_devargs "$7")" || fail "the substrate of $i"
}
substrate inp-a a a1 h1 a3 to-b ba
substrate inp-b b b3 h2 b1 to-a bb
printf '   %-8s %-18s %-9s %s\n' host MAC IP "attached to"
for sp in sp1 sp2; do
    printf '   %-8s %-18s %-9s %s\n' "$sp-h1" $MAC1 10.0.0.1 "inp-a a1 port $sp-h1" \
        "$sp-h2" $MAC2 10.0.0.2 "inp-b b3 port $sp-h2"
done

bold "4. The broker: lamina-brokerd, its store a SQLite file, and its principals"
run_broker() {
    printf '   $ lamina-brokerd --listen 127.0.0.1:%s --db broker.db --admin-token-file admin.tok --warn 15 &\n' "$PORT"
    bg_start lamina-brokerd --listen "127.0.0.1:$PORT" --db broker.db \
        --admin-token-file admin.tok --warn 15 --heartbeat 1 --missed 3 2>>brokerd.log
    wait_for "curl -s -o /dev/null $LAMINA_BROKER/v1/status" 10 ||
        { tail -5 brokerd.log; fail "lamina-brokerd did not start (port $PORT taken? DEMO_PORT=N)"; }
}
run_broker
say "export LAMINA_BROKER=$LAMINA_BROKER LAMINA_TOKEN=\$(cat admin.tok)"
for p in inp-a:inp inp-b:inp sp1:sp sp2:sp; do
    printf '   $ lamina principal add %s --role %s > %s.tok    (its bearer token, shown once)\n' \
        "${p%%:*}" "${p##*:}" "${p%%:*}"
    as admin lamina --json principal add "${p%%:*}" --role "${p##*:}" | json_get token \
        >"${p%%:*}.tok" || fail "principal ${p%%:*}"
done

bold "5. An agent per InP: lamina-inpd registers its offer and heartbeats"
for n in inp-a:1 inp-b:2; do
    inp=${n%%:*}
    sed -e "s|127.0.0.1:8470|127.0.0.1:$PORT|" -e "s|127.0.0.1:847[12]|127.0.0.1:$((PORT + ${n##*:}))|" \
        "$SRC/examples/leasing/$inp.json" >"$inp.json"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$inp.agent"
done
say "inp-a.json (examples/leasing/): its switches' CPU, its links, access points, border, prices"
indent <inp-a.json
for inp in inp-a inp-b; do
    printf '   $ lamina-inpd --config %s.json &\n' "$inp"
    bg_start lamina-inpd --config "$inp.json" >>"$inp.log" 2>&1
done
inp_up() { as admin lamina --json inp show "$1" | json_get up | grep -qi true; }
wait_for "inp_up inp-a && inp_up inp-b" 20 || { tail -5 inp-a.log inp-b.log; fail "the agents did not register"; }
as_run admin lamina inp list

bold "6. Two SPs rent a virtual network each, across both InPs"
cp "$SRC/examples/leasing/sp1.yaml" "$SRC/examples/leasing/sp2.yaml" .
say "sp1.yaml (examples/leasing/):"
grep -v '^#' sp1.yaml | indent
as_run sp1 lamina lease request sp1.yaml --dry-run || fail "sp1's dry run"
as_run sp1 lamina lease request sp1.yaml || fail "sp1's request"
ID1=$(as sp1 lamina --json lease list | json_get leases.0.id)
say "sp2.yaml: the same shape on ap2, same host addresses, cpu 20, 20M, 40 s"
as_run sp2 lamina lease request sp2.yaml || fail "sp2's request"
ID2=$(as sp2 lamina --json lease list | json_get leases.0.id)
T_LEASE2=$(date +%s)
say "On each InP's switchd, a slice per lease (L$ID1, L$ID2):"
run lamina --socket inp-a.sock vlink list || fail "vlink list on inp-a"
run lamina --socket inp-b.sock vlink list || fail "vlink list on inp-b"
say "What inp-a's agent counts as used now (both leases; the broker holds the same view):"
capacity inp-a
as_run admin lamina inp list

bold "7. Traffic across both InPs; neither SP sees the other"
for sp in sp1 sp2; do capture_start "$sp-h1" eth0 "$LT_DIR/$sp-h1.pcap"; capture_start "$sp-h2" eth0 "$LT_DIR/$sp-h2.pcap"; done
capture_start - "$BB" "$LT_DIR/border.pcap"
for sp in sp1 sp2; do
    p=$([ $sp = sp1 ] && echo aa || echo bb)
    wait_for "nsx $sp-h1 ping -c 1 -W 1 -p $p 10.0.0.2" 20 || fail "$sp: h1 cannot reach h2 across the InPs"
    printf '   $ ip netns exec %s ping -c %s -p %s 10.0.0.2\n     ' "$(ns $sp-h1)" "$PINGS" $p
    nsx "$sp-h1" ping -c "$PINGS" -i 0.2 -W 1 -p $p 10.0.0.2 | grep -E 'packets transmitted' | tr '\n' ' '
    echo
done
capture_stop
isolated sp1 sp2 || fail "a host saw the other SP's packets"
say "On the inter-domain link every frame carries the MPLS label the broker agreed:"
for l in $(tcpdump -r border.pcap -n -e 2>/dev/null | grep -o 'label [0-9]*' | sort | uniq -c |
           awk '{print $3 ":" $1}'); do
    say "  label ${l%%:*}: ${l##*:} frames"
done
plain=$(capture_count border.pcap not mpls)
say "  without a label: $plain frames"
[ "$plain" -eq 0 ] || fail "$plain frames without MPLS on the inter-domain link"

bold "8. The bills: each SP's per lease and InP, each InP's revenue (prorated to the second)"
say "Prices (examples/leasing/inp-*.json), per hour: inp-a 36 per CPU unit, 3.6 per Mbit/s"
say "inside, 7.2 on the border; inp-b half that inside.  A virtual link's bandwidth counts"
say "once per substrate link and border it crosses (3 x 10M = 30000000 for sp1 on each InP)."
for who in sp1 sp2 inp-a inp-b; do as_run $who lamina lease bill || fail "bill of $who"; done

bold "9. SP2's 40 s lease ends while we watch"
say "The broker warns the SP before the end (--warn 15): a long poll on the lease's events"
wait_for "as sp2 lamina --json lease events $ID2 | grep -q ending_soon" 45 ||
    fail "no ending_soon event for lease $ID2"
as_run sp2 lamina lease events "$ID2" --wait 5
say "... then it ends; waiting for its 'ended' event"
ended() { as sp2 lamina --json lease events "$ID2" --wait 10 | grep -q '"ended"'; }
wait_for ended 45 || fail "lease $ID2 did not end"
as_run sp2 lamina lease events "$ID2"
as_run sp2 lamina lease list
for inp in inp-a inp-b; do
    wait_for "! has_slice $inp L$ID2" 5 || fail "slice L$ID2 still on $inp"
done
say "Its slice L$ID2 is gone from both switchds within a second; L$ID1 stays:"
run lamina --socket inp-a.sock slice list
run lamina --socket inp-b.sock slice list
nsx sp2-h1 ping -c 1 -W 1 10.0.0.2 >/dev/null && fail "sp2's hosts still reach each other"
nsx sp1-h1 ping -c 1 -W 1 10.0.0.2 >/dev/null || fail "sp1 lost its network"
say "sp2-h1 -> 10.0.0.2: no answer;  sp1-h1 -> 10.0.0.2: still answers"
say "The capacity is back on the InPs (free = total - sp1's lease), one lease each left:"
for inp in inp-a inp-b; do capacity $inp; done
as_run admin lamina inp list
as_run sp2 lamina lease bill

bold "Done in $(( $(date +%s) - T0 )) s"
say "Next: README.md (Leasing), docs/broker.md, docs/inpd.md, make test, make bench."
pass "everything it made is being removed"
