#!/bin/bash
# The isolation property: red's controller is hostile.  It sends thousands
# of random FLOW_MODs, GROUP_MODs and PACKET_OUTs (outputs to every port
# number and reserved port, set-field on every field, push/pop, huge
# priorities, overlapping matches, deletes of everything; PACKET_OUT
# payloads tagged "HOSTILE").  Blue, driven by os-ken, must not notice:
# its hosts never receive one of red's packets (captures), its flows on the
# bridge are untouched (dump-flows before/after), it still forwards; and
# red's refusals come back as OpenFlow errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-hostile 180
COUNT=${SLICER_HOSTILE_COUNT:-4000}

slicer_world
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
pass
