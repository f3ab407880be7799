#!/bin/bash
# leasing-two-inps: the whole leasing story on one machine with the real
# daemons.  Two InPs, each a lamina-switchd (inp-a: a1 - a2, inp-b: b1 -
# b2) with a lamina-inpd beside it; their border ports (a2:to-b and
# b2:to-a) are the two ends of one veth pair.  A real lamina-brokerd; the
# inpds register and heartbeat.  An SP leases a virtual network with one
# node on each InP and a link between them: both switchds get slice
# L<id>, with a border vlink on the label the broker chose; the SP's hosts
# (h1 on a1, h2 on b1) ping each other across both InPs, and the frames on
# the border carry that label.  A renew answers the same end on both
# InPs.  Release removes the slice on both.
. "$(dirname "$0")/lib.sh"
lt_init leasing-two-inps 240

BRK=$LT_BUILD/broker/lamina-brokerd
INPD=$LT_BUILD/inp-agent/lamina-inpd
LAMINA=$LT_BUILD/cli/lamina
[ -x "$BRK" ] || skip "lamina-brokerd is not built"
[ -x "$INPD" ] || skip "lamina-inpd is not built"
BASE=$(lt_free_port_range 10)
PB=$BASE; PA=$((BASE + 1)); PBB=$((BASE + 2))
U=http://127.0.0.1:$PB
cd "$LT_DIR" || exit 1

ns_add h1
ns_add h2
veth_add h1 eth0 h1 02:00:00:00:02:01 10.8.0.1/24
veth_add h2 eth0 h2 02:00:00:00:02:02 10.8.0.2/24
BA=$(rif ba)
BB=$(rif bb)
veth_pair ba bb

# Two switchds: A on the harness's socket, B on its own socket and DPDK prefix.
start_switchd
SOCK_A=$LT_SOCK
SOCK_B=$LT_DIR/switchd-b.sock
LT_SOCK=$SOCK_B LT_STATE=$LT_DIR/switchd-b.state
LT_DPDK_PREFIXES+=("${LT_PREFIX}swb")
# shellcheck disable=SC2046
start_switchd -- -l 0-1 --no-pci --file-prefix "${LT_PREFIX}swb" $(lt_eal_memory)
LT_SOCK=$SOCK_A LT_STATE=$LT_DIR/switchd.state
lam() { local s=$1; shift; "$LAMINA" --socket "$s" "$@"; }
has_slice() { lam "$1" --json slice list | jq -e --arg s "$2" 'any(.[]; .name == $s)' >/dev/null; }

for s in a1 a2; do lam "$SOCK_A" switch add $s || fail "switch add $s"; done
lam "$SOCK_A" link add la a1:to-a2 a2:to-a1 --rate 1G || fail "link add la"
lam "$SOCK_A" port add a1 h1 "$(afpacket_devargs h1)" || fail "port add h1"
lam "$SOCK_A" port add a2 to-b "$(afpacket_devargs ba)" || fail "port add to-b"
for s in b1 b2; do lam "$SOCK_B" switch add $s || fail "switch add $s"; done
lam "$SOCK_B" link add lb b1:to-b2 b2:to-b1 --rate 1G || fail "link add lb"
lam "$SOCK_B" port add b1 h2 "$(afpacket_devargs h2)" || fail "port add h2"
lam "$SOCK_B" port add b2 to-a "$(afpacket_devargs bb)" || fail "port add to-a"

# The broker and its principals.
"$BRK" --listen "127.0.0.1:$PB" --db "$LT_DIR/broker.db" --admin-token-file "$LT_DIR/admin.tok" \
    --heartbeat 1 --missed 3 >>"$LT_DIR/brokerd.log" 2>&1 &
LT_PIDS+=("$!")
wait_for "curl -s -o /dev/null $U/v1/status" 10 || { tail brokerd.log >&2; fail "brokerd did not start"; }
ADMIN=$(cat admin.tok)
code() {    # METHOD PATH TOKEN [BODY] -> status; the body in $LT_DIR/out
    curl -s -o "$LT_DIR/out" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
        -H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$U$2"
}
out() { json_get "$1" <"$LT_DIR/out"; }
for p in inp-a:inp inp-b:inp sp1:sp; do
    [ "$(code POST /v1/principals "$ADMIN" "{\"name\": \"${p%%:*}\", \"role\": \"${p##*:}\"}")" = 201 ] ||
        fail "principal $p: $(cat out)"
    out token >"${p%%:*}.tok"
done
SP1=$(cat sp1.tok)

# The two agents (nodes and links derived from their switchds).
inpd_config() {     # NAME PORT SOCKET ACCESS-NODE ACCESS-PORT BORDER NODE PORT PEER PEER-BORDER
    cat >"$LT_DIR/$1.json" <<EOF
{"name": "$1", "switchd_socket": "$3", "listen": "127.0.0.1:$2",
 "broker": "$U", "token_file": "$LT_DIR/$1.tok", "state": "$LT_DIR/$1.state",
 "agent_token_file": "$LT_DIR/$1.agent", "heartbeat_s": 1, "node_cpu": 100,
 "offer": {"access": [{"name": "ap1", "node": "$4", "port": "$5"}],
           "borders": [{"name": "$6", "node": "$7", "port": "$8", "peer_inp": "$9",
                        "peer_border": "${10}", "bandwidth": "1G",
                        "price_mbps_hour": 0.002, "labels": [1000, 1999]}]}}
EOF
}
echo "agent-inp-a-$$-0123456789" >"$LT_DIR/inp-a.agent"
echo "agent-inp-b-$$-0123456789" >"$LT_DIR/inp-b.agent"
inpd_config inp-a "$PA" "$SOCK_A" a1 h1 ab a2 to-b inp-b ba
inpd_config inp-b "$PBB" "$SOCK_B" b1 h2 ba b2 to-a inp-a ab
for n in inp-a inp-b; do
    bg_start env LAMINA_LOG=debug "$INPD" --config "$LT_DIR/$n.json" >>"$LT_DIR/$n.log" 2>&1
done
wait_for "[ \"\$(curl -s -H 'Authorization: Bearer $ADMIN' $U/v1/inps | jq '.inps | map(select(.up)) | length')\" = 2 ]" 40 ||
    fail "the two InPs are not both up at the broker: $(curl -s -H "Authorization: Bearer $ADMIN" "$U/v1/inps")"
info "inp-a and inp-b registered and up"

# The SP's lease across both InPs.
REQ='{"idempotency_key": "two-inps-1", "nodes": [{"name": "left", "cpu": 10}, {"name": "right", "cpu": 10}],
      "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
      "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"}, {"name": "h2", "node": "right", "at": "inp-b/ap1"}],
      "time": {"start": "now", "duration": "10m"}}'
st=$(code POST /v1/requests "$SP1" "$REQ")
[ "$st" = 201 ] || fail "lease request: HTTP $st: $(cat out)"
ID=$(out id)
[ "$(out state)" = active ] || fail "lease $ID is $(out state), not active"
for s in "$SOCK_A" "$SOCK_B"; do
    has_slice "$s" "L$ID" || fail "no slice L$ID on $s"
done
LABEL=$(lam "$SOCK_A" --json vlink list "L$ID" | jq -r '.[] | select(.border) | .border.label')
LABEL_B=$(lam "$SOCK_B" --json vlink list "L$ID" | jq -r '.[] | select(.border) | .border.label')
[ -n "$LABEL" ] && [ "$LABEL" = "$LABEL_B" ] || fail "border labels differ: inp-a $LABEL, inp-b $LABEL_B"
info "lease $ID active on both InPs, border label $LABEL"

capture_start - "$BB" "$LT_DIR/border.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.8.0.2" 20 || fail "h1 cannot reach h2 across the two InPs"
nsx h1 ping -c 5 -i 0.2 -W 1 10.8.0.2 >/dev/null || fail "pings lost across the two InPs"
capture_stop
mpls=$(capture_count "$LT_DIR/border.pcap" mpls "$LABEL")
plain=$(capture_count "$LT_DIR/border.pcap" not mpls)
[ "$mpls" -ge 12 ] || fail "only $mpls frames with label $LABEL on the inter-domain link"
[ "$plain" -eq 0 ] || fail "$plain frames without MPLS on the inter-domain link"
info "h1 <-> h2 across both InPs; $mpls frames with label $LABEL on the border"

# Renew: one end, granted on both agents.
[ "$(code POST "/v1/leases/$ID/renew" "$SP1" '{"duration": "20m"}')" = 200 ] || fail "renew: $(cat out)"
END=$(code GET "/v1/leases/$ID" "$SP1" >/dev/null; out end)
END_S=$(date -d "$END" +%s) || fail "the broker's end \"$END\" is not a time"
for n in inp-a:$PA inp-b:$PBB; do
    e=$(curl -s -H "Authorization: Bearer agent-${n%%:*}-$$-0123456789" \
        "http://127.0.0.1:${n##*:}/v1/leases" | jq --arg l "$ID" '.leases[] | select(.lease == $l) | .end')
    info "${n%%:*}: lease $ID ends at $e"
    [ "$e" = "$END_S" ] || fail "${n%%:*} holds lease $ID until $e, the broker says $END_S"
done
info "renewed: end $END on the broker and on both agents"

# Release: the slice goes on both InPs.
[ "$(code POST "/v1/leases/$ID/release" "$SP1")" = 200 ] || fail "release: $(cat out)"
for s in "$SOCK_A" "$SOCK_B"; do
    wait_for "! has_slice '$s' L$ID" 5 || fail "slice L$ID still on $s after release"
done
nsx h1 ping -c 1 -W 1 10.8.0.2 >/dev/null && fail "h1 still reaches h2 after release"
info "released: no slice left on either InP"
pass
