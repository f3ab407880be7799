#!/bin/bash
# broker-inpd: the whole leasing path with the real daemons.  Two InPs,
# each a lamina-switchd with a lamina-inpd beside it (inp-a: s1 - s2, host
# h1 on s1; inp-b: t1 - t2, host h2 on t1), joined by an inter-domain link
# (border to-b on s2 and to-a on t2, a veth pair); one lamina-brokerd.
#   - both agents register with the broker and stay up (heartbeats);
#   - an SP leases a network across both with `lamina lease request`:
#     the slice is built on both switchds and h1 pings h2 across the InPs;
#   - renew: the same end on both agents;
#   - release: the slices are gone from both switchds, the ping stops;
#   - a short lease expires by itself: gone on both switchds within about
#     a second of its end;
#   - a silent agent (SIGSTOP) is marked down at the broker, with its
#     leases listed, and comes back.
. "$(dirname "$0")/lib.sh"
lt_init broker-inpd 240
BRK=$LT_BUILD/broker/lamina-brokerd
INPD=$LT_BUILD/inp-agent/lamina-inpd
[ -x "$BRK" ] || skip "lamina-brokerd is not built"
[ -x "$INPD" ] || skip "lamina-inpd is not built"
BASE=$((20000 + ($$ % 2000) * 10 + 5))
PB=$BASE; PA=$((BASE + 1)); PBB=$((BASE + 2))
U=http://127.0.0.1:$PB
export LAMINA_BROKER=$U

ns_add h1
ns_add h2
veth_add h1 eth0 h1 02:00:00:00:02:01 10.9.0.1/24
veth_add h2 eth0 h2 02:00:00:00:02:02 10.9.0.2/24
BA=$(rif ba)
BB=$(rif bb)
ip link add "$BA" type veth peer name "$BB" || fail "veth pair for the inter-domain link"
LT_LINKS+=("$BA")
for i in "$BA" "$BB"; do
    ip link set "$i" mtu 1600
    lt_if_prepare "" "$i"
done

# Two switchds: each its socket, state and DPDK prefix.
SOCK_A=$LT_DIR/a.sock SOCK_B=$LT_DIR/b.sock
switchd() {  # NAME
    LT_SOCK=$LT_DIR/$1.sock LT_STATE=$LT_DIR/$1.state
    LT_DPDK_PREFIXES+=("${LT_PREFIX}$1")
    # shellcheck disable=SC2046
    start_switchd -- -l 0-1 --no-pci --file-prefix "${LT_PREFIX}$1" $(lt_eal_memory)
}
sw() { local s=$1; shift; "$LT_BUILD/cli/lamina" --socket "$s" "$@"; }
switchd a
sw "$SOCK_A" switch add s1 && sw "$SOCK_A" switch add s2 &&
    sw "$SOCK_A" link add l12 s1:to-s2 s2:to-s1 &&
    sw "$SOCK_A" port add s1 h1 "$(af_packet_devargs h1)" &&
    sw "$SOCK_A" port add s2 to-b "$(af_packet_devargs ba)" || fail "substrate of inp-a"
switchd b
sw "$SOCK_B" switch add t1 && sw "$SOCK_B" switch add t2 &&
    sw "$SOCK_B" link add l12 t1:to-t2 t2:to-t1 &&
    sw "$SOCK_B" port add t1 h2 "$(af_packet_devargs h2)" &&
    sw "$SOCK_B" port add t2 to-a "$(af_packet_devargs bb)" || fail "substrate of inp-b"
has_slice() { sw "$1" --json slice list | python3 -c '
import json, sys
sys.exit(0 if any(s["name"] == sys.argv[1] for s in json.load(sys.stdin)) else 1)' "$2"; }

# The broker and its principals.
bg_start "$BRK" --listen "127.0.0.1:$PB" --db "$LT_DIR/broker.db" \
    --admin-token-file "$LT_DIR/admin.tok" --warn 3 --heartbeat 1 --missed 3 \
    2>>"$LT_DIR/brokerd.log"
wait_for "curl -s -o /dev/null $U/v1/status" 10 || fail "brokerd did not start"
export LAMINA_TOKEN
LAMINA_TOKEN=$(cat "$LT_DIR/admin.tok")
for p in inp-a:inp inp-b:inp sp1:sp; do
    "$LT_BUILD/cli/lamina" --json principal add "${p%%:*}" --role "${p##*:}" | json_get token \
        >"$LT_DIR/${p%%:*}.tok" || fail "principal ${p%%:*}"
done

# The agents.
agent() {  # NAME PORT SOCK ACCESS-NODE BORDER BORDER-NODE BORDER-PORT PEER-BORDER PEER LABELS
    echo "agent-$1-token-0123456789abcdef" >"$LT_DIR/$1.agent"
    cat >"$LT_DIR/$1.json" <<EOF
{"name": "$1", "switchd_socket": "$3", "listen": "127.0.0.1:$2",
 "broker": "$U", "token_file": "$LT_DIR/$1.tok", "heartbeat_s": 1,
 "agent_token_file": "$LT_DIR/$1.agent", "state": "$LT_DIR/$1.state.json",
 "max_lease_s": 3600, "node_cpu": 100,
 "offer": {"access": [{"name": "ap1", "node": "$4", "port": "$( [ "$4" = s1 ] && echo h1 || echo h2)"}],
           "borders": [{"name": "$5", "node": "$6", "port": "$7", "peer_inp": "$9",
                        "peer_border": "$8", "bandwidth": "1G", "labels": ${10}}]}}
EOF
    bg_start "$INPD" --config "$LT_DIR/$1.json" >>"$LT_DIR/$1.log" 2>&1
}
agent inp-a "$PA" "$SOCK_A" s1 ab s2 to-b ba inp-b "[1000, 1999]"
PID_A=$LT_LAST_PID
agent inp-b "$PBB" "$SOCK_B" t1 ba t2 to-a ab inp-a "[1500, 2999]"
PID_B=$LT_LAST_PID
inp_up() {
    curl -s -H "Authorization: Bearer $LAMINA_TOKEN" "$U/v1/inps/$1" | json_get up | grep -qi true
}
wait_for "inp_up inp-a && inp_up inp-b" 20 || {
    tail -5 "$LT_DIR/inp-a.log" "$LT_DIR/inp-b.log" >&2; fail "the agents did not register"; }
info "both agents registered and up"

# ---- A lease across both InPs ----
LAMINA_TOKEN=$(cat "$LT_DIR/sp1.tok")
cat >"$LT_DIR/vn.yaml" <<'EOF'
idempotency_key: sp1-across-1
nodes:
  - {name: left, cpu: 10}
  - {name: right, cpu: 10}
links:
  - {endpoints: [left, right], bandwidth: 10M}
access:
  - {name: h1, node: left, at: inp-a/ap1}
  - {name: h2, node: right, at: inp-b/ap1}
time: {start: now, duration: 10m}
EOF
"$LT_BUILD/cli/lamina" lease request "$LT_DIR/vn.yaml" --dry-run | grep -q "fits: true" || fail "dry run"
"$LT_BUILD/cli/lamina" --json lease request "$LT_DIR/vn.yaml" >"$LT_DIR/l1.json" ||
    { tail -5 "$LT_DIR/inp-a.log" "$LT_DIR/inp-b.log" >&2; fail "lease request"; }
L1=$(json_get id <"$LT_DIR/l1.json")
[ "$(json_get state <"$LT_DIR/l1.json")" = active ] || fail "lease: $(cat "$LT_DIR/l1.json")"
has_slice "$SOCK_A" "L$L1" && has_slice "$SOCK_B" "L$L1" || fail "slice L$L1 not on both switchds"
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 across the InPs"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost across the InPs"
info "lease $L1 active: h1 pings h2 across inp-a and inp-b"

# ---- Renew: the same end on both agents ----
"$LT_BUILD/cli/lamina" --json lease renew "$L1" --duration 5m >"$LT_DIR/renew.json" || fail "renew"
end=$(json_get end_ts <"$LT_DIR/renew.json")
agent_end() {  # NAME PORT
    curl -s -H "Authorization: Bearer $(cat "$LT_DIR/$1.agent")" "http://127.0.0.1:$2/v1/leases" |
        python3 -c 'import json,sys; print("".join(str(l["end"]) for l in json.load(sys.stdin)["leases"] if str(l["lease"]) == sys.argv[1]))' "$L1"
}
[ "$(agent_end inp-a "$PA")" = "$end" ] && [ "$(agent_end inp-b "$PBB")" = "$end" ] ||
    fail "ends differ: broker $end, inp-a $(agent_end inp-a "$PA"), inp-b $(agent_end inp-b "$PBB")"

# ---- A silent agent is marked down, its leases listed; then back ----
kill -STOP "$PID_B"
wait_for "! inp_up inp-b" 10 || { kill -CONT "$PID_B"; fail "inp-b not marked down"; }
curl -s -H "Authorization: Bearer $LAMINA_TOKEN" "$U/v1/inps/inp-b" | grep -q "$L1" ||
    { kill -CONT "$PID_B"; fail "the leases of inp-b are not listed"; }
kill -CONT "$PID_B"
wait_for "inp_up inp-b" 10 || fail "inp-b not up again"

# ---- Release: gone from both switchds ----
"$LT_BUILD/cli/lamina" lease release "$L1" >/dev/null || fail "release"
wait_for "! has_slice $SOCK_A L$L1 && ! has_slice $SOCK_B L$L1" 5 || fail "slices left after release"
nsx h1 ping -c 1 -W 1 10.9.0.2 >/dev/null && fail "h1 still reaches h2 after the release"

# ---- Expiry: a short lease ends by itself on both InPs ----
sed 's/sp1-across-1/sp1-across-2/; s/duration: 10m/duration: 6s/' "$LT_DIR/vn.yaml" >"$LT_DIR/vn2.yaml"
"$LT_BUILD/cli/lamina" --json lease request "$LT_DIR/vn2.yaml" >"$LT_DIR/l2.json" || fail "short lease"
L2=$(json_get id <"$LT_DIR/l2.json")
end2=$(json_get end_ts <"$LT_DIR/l2.json")
has_slice "$SOCK_A" "L$L2" && has_slice "$SOCK_B" "L$L2" || fail "slice L$L2 not on both switchds"
"$LT_BUILD/cli/lamina" --json lease events "$L2" --wait 10 >/dev/null || fail "events"
wait_for "! has_slice $SOCK_A L$L2 && ! has_slice $SOCK_B L$L2" 12 || fail "L$L2 outlived its end"
gone=$(date +%s)
[ "$gone" -le $((end2 + 2)) ] || fail "L$L2 removed at $gone, its end was $end2"
"$LT_BUILD/cli/lamina" --json lease events "$L2" >"$LT_DIR/ev.json"
grep -q ending_soon "$LT_DIR/ev.json" || fail "no warning before the end: $(cat "$LT_DIR/ev.json")"
"$LT_BUILD/cli/lamina" lease bill | grep -q "$L1" || fail "bill"
pass
