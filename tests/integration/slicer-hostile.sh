#!/bin/bash
# The isolation property: red's controller is hostile.  It sends thousands
# of random FLOW_MODs, GROUP_MODs and PACKET_OUTs (outputs to every port
# number and reserved port, set-field on every field, push/pop, huge
# priorities, overlapping matches, deletes of everything; PACKET_OUT
# payloads tagged "HOSTILE").  Blue, driven by os-ken, must not notice:
# its hosts never receive one of red's packets (captures), its flows on the
# bridge are untouched (dump-flows before/after), it still forwards; and
# red's refusals come back as OpenFlow errors.
#
# Then violet, a slice defined by a VLAN set (VIDs 100-131 on its own
# ports 6 and 7), gets a hostile controller too (set-field vlan_vid/pcp,
# tunnel id, MPLS label, push/pop VLAN and MPLS, biased towards VIDs near
# its set): every flow of violet's on the bridge must match only VIDs of
# its set, and no action may tag outside it, push or pop a tag, or set a
# tunnel id.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-hostile 180
COUNT=${SLICER_HOSTILE_COUNT:-4000}
SLICER_VIOLET=1

slicer_world
ns_add h6; ns_add h7
veth_add h6 eth0 p6 02:00:00:00:00:06 -
veth_add h7 eth0 p7 02:00:00:00:00:07 -
sw_port_add p6; sw_port_add p7
vsctl add-port br0 "$(rif p6)" -- set Interface "$(rif p6)" ofport_request=6 \
    -- add-port br0 "$(rif p7)" -- set Interface "$(rif p7)" ofport_request=7 || fail "ports 6, 7"
slicer slice add violet --controller tcp:127.0.0.1:6635 --switch 0xa:6=1,7=2 --open >/dev/null ||
    fail "slice add violet"
slicer flowspace add violet-vlans violet vlan_vid=100-131 >/dev/null || fail "flowspace violet"
slicer flowspace list | grep -q 'violet-vlans.*vlan_vid' || fail "violet's VLAN set not listed: $(slicer flowspace list)"
start_osken 6634
wait_for "[ \"\$(slicer_stat blue switches.0.controller)\" = up ]" 60 ||
    fail "blue's controller did not come up"
wait_for "nsx h3 ping -c 1 -W 1 10.2.0.4" 30 || fail "blue: h3 cannot reach h4"
wait_for "nsx h4 ping -c 1 -W 1 10.2.0.5" 20 || fail "blue: h4 cannot reach srv"
wait_for "nsx srv ping -c 1 -W 1 10.2.0.3" 20 || fail "blue: srv cannot reach h3"
slice_flows 2 >"$LT_DIR/blue-before.txt"
[ "$(wc -l <"$LT_DIR/blue-before.txt")" -ge 6 ] || fail "blue installed too few flows"

for h in h3 h4 srv; do
    capture_start "$h" eth0 "$LT_DIR/$h.pcap"
done
info "hostile controller: $COUNT random messages"
of_peer controller --listen 6633 --seed "$$" hostile --count "$COUNT" \
    >"$LT_DIR/hostile.json" 2>>"$LT_DIR/hostile.log" || fail "hostile controller failed"
cat "$LT_DIR/hostile.json" >&2
# Blue still works, and ARP of blue still reaches every blue host.
nsx h3 ping -c 2 -i 0.2 -W 1 10.2.0.4 >/dev/null || fail "blue broken after the attack"
capture_stop

slice_flows 2 >"$LT_DIR/blue-after.txt"
missing=$(comm -23 "$LT_DIR/blue-before.txt" "$LT_DIR/blue-after.txt")
[ -z "$missing" ] || { echo "$missing" >&2; fail "blue's flows were touched"; }
for h in h3 h4; do
    n=$(tcpdump -r "$LT_DIR/$h.pcap" -n -A 2>/dev/null | grep -c HOSTILE)
    [ "$n" -eq 0 ] || fail "$h (blue) received $n of red's packets"
    n=$(capture_count "$LT_DIR/$h.pcap" net 10.1.0.0/24 and not ether src "$(mac_of "$h")")
    [ "$n" -eq 0 ] || fail "$h (blue) received $n frames of red's prefix"
done
# srv is shared: red may reach it, but only with red's packets.
n=$(tcpdump -r "$LT_DIR/srv.pcap" -n -A 'net 10.2.0.0/24' 2>/dev/null | grep -c HOSTILE)
[ "$n" -eq 0 ] || fail "srv received $n of red's packets as blue traffic"
check_flows_in_slices >"$LT_DIR/bad-flows.txt"
[ -s "$LT_DIR/bad-flows.txt" ] && { head "$LT_DIR/bad-flows.txt" >&2; fail "flows outside their slice"; }

errors=$(json_get errors <"$LT_DIR/hostile.json")
[ "$errors" -gt $((COUNT / 4)) ] || fail "only $errors errors for $COUNT hostile messages"
for e in OFPBAC_BAD_OUT_PORT OFPBAC_EPERM OFPBMC_EPERM; do
    grep -q "$e" "$LT_DIR/hostile.json" || fail "no $e among red's errors"
done
info "red: $(slicer_stat red refused) refused, $(slicer_stat red flow_mods) FLOW_MODs accepted, $(slicer_stat red packet_outs) PACKET_OUTs"

# Violet (VLAN set 100-131) is hostile in turn.
info "violet's hostile controller: $((COUNT / 2)) random messages"
of_peer controller --listen 6635 --seed "$((RANDOM + 1))" hostile --count "$((COUNT / 2))" \
    >"$LT_DIR/violet.json" 2>>"$LT_DIR/violet.log" || fail "violet's hostile controller failed"
cat "$LT_DIR/violet.json" >&2
accepted=$(slicer_stat violet flow_mods)
[ "${accepted:-0}" -gt 50 ] || fail "violet: only ${accepted:-0} FLOW_MODs accepted"
ofctl dump-flows br0 "cookie=0x3000000000000/0xffff000000000000" >"$LT_DIR/violet-flows.txt"
/usr/bin/python3 - "$LT_DIR/violet-flows.txt" <<'PY' >"$LT_DIR/violet-bad.txt"
import re, sys
SET = set(range(100, 132))
n = 0
for line in open(sys.argv[1]):
    if "cookie=" not in line:
        continue
    n += 1
    match, _, actions = line.partition("actions=")
    bad = []
    if not re.search(r"in_port=[67],", match):
        bad.append("port")
    m = re.search(r"dl_vlan=(\d+)", match)
    t = re.search(r"vlan_tci=(0x[0-9a-f]+)/(0x[0-9a-f]+)", match)
    if m:
        vids = {int(m.group(1))}
    elif t:
        v, k = int(t.group(1), 16), int(t.group(2), 16)
        vids = {x for x in range(4096) if (0x1000 | x) & k == v & k} if k & 0x1000 and v & 0x1000 else {None}
    else:
        vids = {None}
    if not vids <= SET:
        bad.append("match beyond the VLAN set")
    for x in re.findall(r"set_field:(\d+)->vlan_vid|mod_vlan_vid:(\d+)", actions):
        vid = int(x[0]) & 0xfff if x[0] else int(x[1])
        if vid not in SET:
            bad.append("tags VID %d" % vid)
    if re.search(r"push_vlan|pop_vlan|strip_vlan|tun_id|set_tunnel|pbb", actions):
        bad.append("tag action")
    if bad:
        print("BAD (%s) %s" % (", ".join(bad), line.strip()))
print("violet: %d flows checked" % n, file=sys.stderr)
PY
[ -s "$LT_DIR/violet-bad.txt" ] && { head "$LT_DIR/violet-bad.txt" >&2; fail "violet's flows leave its VLAN set"; }
grep -q OFPBAC_EPERM "$LT_DIR/violet.json" || fail "no OFPBAC_EPERM among violet's errors"
slice_flows 2 >"$LT_DIR/blue-after2.txt"
missing=$(comm -23 "$LT_DIR/blue-before.txt" "$LT_DIR/blue-after2.txt")
[ -z "$missing" ] || { echo "$missing" >&2; fail "blue's flows were touched by violet"; }
check_flows_in_slices >"$LT_DIR/bad-flows.txt"
[ -s "$LT_DIR/bad-flows.txt" ] && { head "$LT_DIR/bad-flows.txt" >&2; fail "flows outside their slice"; }
info "violet: $(slicer_stat violet refused) refused, $accepted FLOW_MODs accepted, every flow inside VIDs 100-131"
pass
