#!/bin/bash
# sp-lease: lamina-sp, the SP's daemon, on broker-lib.sh's two InPs
# (inp-a: s1 - s2 with h1; inp-b: t1 - t2 with h2; one broker).
#   - `lamina-sp run VN.json` leases a virtual network of two ebpf vnodes
#     (one per InP) running the example l2learn program with its "macs"
#     table, waits for it to be active and pushes the program through the
#     broker and each InP agent; h1 pings h2 across both InPs and the
#     program learns the MACs;
#   - another SP pushing a program to this lease gets 404 and nothing
#     changes; a hostile program from the owner is refused (422) and
#     nothing changes; a good one from the owner is swapped in;
#   - SIGINT to lamina-sp releases the lease: the slices are gone;
#   - an openflow VN: lamina-sp runs its L2 app on both InPs' vnodes.
. "$(dirname "$0")/lib.sh"
lt_init sp-lease 200
. "$(dirname "$0")/broker-lib.sh"

SP="$LT_BUILD/sp-controller/lamina-sp"
OBJ=$LT_BUILD/dataplane
for p in l2learn hostile_loop; do
    [ -f "$OBJ/$p.o" ] || skip "$OBJ/$p.o is not built"
done
broker_two_inps

"$LT_BUILD/cli/lamina" --json principal add sp2 --role sp | json_get token >"$LT_DIR/sp2.tok" ||
    fail "principal sp2"

cat >"$LT_DIR/vn.json" <<EOF
{"idempotency_key": "sp-lease-$$",
 "nodes": [
   {"name": "left", "cpu": 10, "fp": "ebpf", "program": "$OBJ/l2learn.o",
    "tables": [{"name": "macs", "type": "hash", "size": 1024}]},
   {"name": "right", "cpu": 10, "fp": "ebpf", "program": "$OBJ/l2learn.o",
    "tables": [{"name": "macs", "type": "hash", "size": 1024}]}],
 "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
 "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"},
            {"name": "h2", "node": "right", "at": "inp-b/ap1"}],
 "time": {"start": "now", "duration": "10m"}}
EOF
bg_start "$SP" --broker "$U" --token-file "$LT_DIR/sp1.tok" run "$LT_DIR/vn.json" \
    >"$LT_DIR/sp.out" 2>"$LT_DIR/sp.log"
SP_PID=$LT_LAST_PID
wait_for "grep -q deployed '$LT_DIR/sp.out'" 60 ||
    { cat "$LT_DIR/sp.log" >&2; tail -n 5 "$LT_DIR/inp-a.log" "$LT_DIR/inp-b.log" >&2;
      fail "lamina-sp did not deploy its VN"; }
ID=$(sed -n 's/^lease //p' "$LT_DIR/sp.out")
[ -n "$ID" ] || fail "lamina-sp printed no lease id"
has_slice "$SOCK_A" "L$ID" && has_slice "$SOCK_B" "L$ID" || fail "slice L$ID not on both switchds"
info "lease $ID active and deployed by lamina-sp"

# Where the pushed programs are: the agents' copies, not the SP's path.
vnode_cfg() {   # SOCK SWITCH -> the vnode's config as JSON
    sw "$1" --json switch config | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(json.dumps([v.get("config") for v in c["vnodes"] if v["slice"] == sys.argv[1] and v["switch"] == sys.argv[2]][0]))' "L$ID" "$2"
}
cfg_a=$(vnode_cfg "$SOCK_A" s1) || fail "config of the vnode on inp-a"
echo "$cfg_a" | grep -q "programs/L$ID-left-" || fail "inp-a's vnode does not run the pushed program: $cfg_a"
echo "$cfg_a" | grep -q '"macs"' || fail "inp-a's vnode has no macs table: $cfg_a"

wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 through the eBPF vnodes"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost through the eBPF vnodes"
dump=$(sw "$SOCK_A" --json vnode table dump "L$ID" s1 macs) || fail "table dump on inp-a"
n=$(echo "$dump" | json_get tables.0.entries_n)
[ "$n" -ge 2 ] || fail "the l2learn program on inp-a learned $n MACs: $dump"
info "h1 pings h2 through l2learn on both InPs ($n MACs learned on inp-a)"

# Another SP cannot push to this lease; nothing changes.
"$SP" --broker "$U" --token-file "$LT_DIR/sp2.tok" push "$ID" left "$OBJ/hostile_loop.o" \
    2>"$LT_DIR/push2.err" && fail "sp2 pushed a program to sp1's lease"
grep -q "HTTP 404" "$LT_DIR/push2.err" || fail "sp2's push: $(cat "$LT_DIR/push2.err")"
[ "$(vnode_cfg "$SOCK_A" s1)" = "$cfg_a" ] || fail "sp2's refused push changed the vnode"
# The owner's hostile program is refused; nothing changes.
"$SP" --broker "$U" --token-file "$LT_DIR/sp1.tok" push "$ID" left "$OBJ/hostile_loop.o" \
    2>"$LT_DIR/push1.err" && fail "a looping program was accepted"
grep -q "HTTP 422" "$LT_DIR/push1.err" || fail "hostile push: $(cat "$LT_DIR/push1.err")"
[ "$(vnode_cfg "$SOCK_A" s1)" = "$cfg_a" ] || fail "a refused program changed the vnode"
nsx h1 ping -c 2 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost after the refused pushes"
# A vnode that is not in the lease.
"$SP" --broker "$U" --token-file "$LT_DIR/sp1.tok" push "$ID" nowhere "$OBJ/l2learn.o" \
    2>/dev/null && fail "a push to an unknown vnode was accepted"
# The owner swaps in a good program (tables kept).
"$SP" --broker "$U" --token-file "$LT_DIR/sp1.tok" push "$ID" left "$OBJ/l2learn.o" ||
    fail "the owner's push"
cfg_a2=$(vnode_cfg "$SOCK_A" s1)
[ "$cfg_a2" != "$cfg_a" ] || fail "the owner's push changed nothing"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost after the swap"
info "sp2's push: 404; hostile push: 422; owner's swap: ok, traffic goes on"

# Ctrl-C releases the lease.
kill -INT "$SP_PID"
wait_for "! kill -0 $SP_PID" 30 || fail "lamina-sp did not stop"
wait $SP_PID || fail "lamina-sp exited with an error: $(tail -3 "$LT_DIR/sp.log")"
wait_for "! has_slice $SOCK_A L$ID && ! has_slice $SOCK_B L$ID" 10 || fail "slices left after lamina-sp stopped"
info "Ctrl-C: lease $ID released, slices gone"

# An openflow VN: lamina-sp listens on the nodes' controller target and
# runs its L2 app on both InPs' vnodes.
CPORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$LT_DIR/vn-of.json" <<EOF
{"idempotency_key": "sp-lease-of-$$",
 "nodes": [
   {"name": "left", "cpu": 10, "fp": "openflow", "controller": "tcp:127.0.0.1:$CPORT", "app": "l2"},
   {"name": "right", "cpu": 10, "fp": "openflow", "controller": "tcp:127.0.0.1:$CPORT", "app": "l2"}],
 "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
 "access": [{"name": "h1", "node": "left", "at": "inp-a/ap1"},
            {"name": "h2", "node": "right", "at": "inp-b/ap1"}],
 "time": {"start": "now", "duration": "10m"}}
EOF
bg_start "$SP" --broker "$U" --token-file "$LT_DIR/sp1.tok" run "$LT_DIR/vn-of.json" \
    >"$LT_DIR/sp-of.out" 2>"$LT_DIR/sp-of.log"
SP_PID=$LT_LAST_PID
wait_for "grep -q deployed '$LT_DIR/sp-of.out'" 60 || { cat "$LT_DIR/sp-of.log" >&2; fail "the openflow VN was not deployed"; }
ID=$(sed -n 's/^lease //p' "$LT_DIR/sp-of.out")
wait_for "[ \$(grep -c 'switch up' '$LT_DIR/sp-of.log') -ge 2 ]" 20 ||
    { cat "$LT_DIR/sp-of.log" >&2; fail "the two openflow vnodes did not reach lamina-sp"; }
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 20 || fail "h1 cannot reach h2 through lamina-sp's L2 app"
nsx h1 ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null || fail "pings lost through the openflow vnodes"
info "openflow VN (lease $ID): h1 pings h2 through lamina-sp's L2 app on both InPs"
kill -INT "$SP_PID"
wait_for "! kill -0 $SP_PID" 30 || fail "lamina-sp (openflow VN) did not stop"
wait $SP_PID || fail "lamina-sp (openflow VN) exited with an error"
wait_for "! has_slice $SOCK_A L$ID && ! has_slice $SOCK_B L$ID" 10 || fail "openflow VN: slices left"
pass
