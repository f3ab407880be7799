#!/bin/bash
# leasing-transit: three InPs in a line (broker_line_inps 3), the middle
# one with no access point.  An SP leases a node on inp-1 and one on
# inp-3 with a link between them: the only path crosses inp-2, which gets
# a transit virtual link (border to border, no vnode) with the label
# agreed with each neighbour.  h1 and h2 ping each other across the three
# InPs; each inter-domain link carries only its agreed label.  Release
# removes the slice on all three.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker-lib.sh"
lt_init leasing-transit 240
LAMINA=$LT_BUILD/cli/lamina

broker_line_inps 3
cat >"$LT_DIR/vn.yaml" <<'YAML'
idempotency_key: transit-1
nodes:
  - {name: left, cpu: 10}
  - {name: right, cpu: 10}
links:
  - {endpoints: [left, right], bandwidth: 10M}
access:
  - {name: h1, node: left, at: inp-1/ap1}
  - {name: h2, node: right, at: inp-3/ap1}
time: {start: now, duration: 10m}
YAML
LAMINA_TOKEN=$(cat "$LT_DIR/sp1.tok") "$LAMINA" --json lease request "$LT_DIR/vn.yaml" \
    >"$LT_DIR/lease.json" || { cat "$LT_DIR/lease.json"; tail -3 "$LT_DIR"/inp-*.log >&2;
                                fail "lease request"; }
ID=$(json_get id <"$LT_DIR/lease.json")
[ "$(json_get state <"$LT_DIR/lease.json")" = active ] || fail "lease $ID is not active"
json_get parts.inp-2.transit_vlinks.0 <"$LT_DIR/lease.json" >"$LT_DIR/transit.json" ||
    fail "the broker sent inp-2 no transit vlink: $(cat "$LT_DIR/lease.json")"
L_IN=$(json_get label_in <"$LT_DIR/transit.json")
L_OUT=$(json_get label_out <"$LT_DIR/transit.json")
[ "$L_IN" -ge 1000 ] && [ "$L_IN" -le 1999 ] && [ "$L_OUT" -ge 2000 ] && [ "$L_OUT" -le 2999 ] ||
    fail "labels $L_IN, $L_OUT are outside their links' pools (1000.., 2000..)"
info "lease $ID active; inp-2 carries it in transit, labels $L_IN (from inp-1) and $L_OUT (to inp-3)"
for i in 1 2 3; do has_slice "$LT_DIR/inp-$i.sock" "L$ID" || fail "no slice L$ID on inp-$i"; done

# On inp-2: one vlink from border to border, no vnode.
sw "$LT_DIR/inp-2.sock" --json vlink list "L$ID" >"$LT_DIR/vl2.json"
[ "$(json_get 0.border_in.label <"$LT_DIR/vl2.json")" = "$L_IN" ] &&
    [ "$(json_get 0.border.label <"$LT_DIR/vl2.json")" = "$L_OUT" ] &&
    [ "$(json_get 0.border_in.port <"$LT_DIR/vl2.json")" = to-prev ] ||
    fail "inp-2's transit vlink is not from to-prev/$L_IN to to-next/$L_OUT: $(cat "$LT_DIR/vl2.json")"
[ "$(sw "$LT_DIR/inp-2.sock" --json vnode list "L$ID" | json_get "")" = "[]" ] ||
    fail "inp-2 has a vnode of L$ID"
# Its neighbours use the same labels on their side of each link.
[ "$(sw "$LT_DIR/inp-1.sock" --json vlink list "L$ID" | json_get 0.border.label)" = "$L_IN" ] ||
    fail "inp-1's border label differs from inp-2's label_in $L_IN"
[ "$(sw "$LT_DIR/inp-3.sock" --json vlink list "L$ID" | json_get 0.border.label)" = "$L_OUT" ] ||
    fail "inp-3's border label differs from inp-2's label_out $L_OUT"

capture_start - "$(rif b1e)" "$LT_DIR/b12.pcap"
capture_start - "$(rif b2e)" "$LT_DIR/b23.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.7.0.2" 20 || fail "h1 cannot reach h2 across three InPs"
nsx h1 ping -c 5 -i 0.2 -W 1 10.7.0.2 >/dev/null || fail "pings lost across three InPs"
capture_stop
for c in "b12:$L_IN" "b23:$L_OUT"; do
    f=$LT_DIR/${c%%:*}.pcap l=${c##*:}
    mpls=$(capture_count "$f" mpls "$l")
    other=$(capture_count "$f" not mpls "$l")
    [ "$mpls" -ge 12 ] || fail "only $mpls frames with label $l on ${c%%:*}"
    [ "$other" -eq 0 ] || fail "$other frames without label $l on ${c%%:*}"
    info "${c%%:*}: $mpls frames, all with label $l"
done

LAMINA_TOKEN=$(cat "$LT_DIR/sp1.tok") "$LAMINA" lease release "$ID" >/dev/null || fail "release"
for i in 1 2 3; do
    wait_for "! has_slice $LT_DIR/inp-$i.sock L$ID" 5 || fail "slice L$ID still on inp-$i"
done
nsx h1 ping -c 1 -W 1 10.7.0.2 >/dev/null && fail "h1 still reaches h2 after release"
pass "a virtual link across three InPs, the middle one in transit"
