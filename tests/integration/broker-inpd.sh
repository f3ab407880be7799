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
. "$(dirname "$0")/broker-lib.sh"
broker_two_inps

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
