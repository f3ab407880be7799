#!/bin/bash
# leasing-revisit: revisitation through the broker and the InP agent, with
# the real daemons.  One InP (inp-a) whose lamina-switchd has ONE switch
# s1, hosts h1 and h2 on it (access points ap1, ap2).  A request for two
# virtual nodes joined by a virtual link, h1 at one and h2 at the other:
#   - without "revisit" it does not fit (two nodes, one switch);
#   - with "revisit": true it is placed with both nodes on s1, inp-a
#     builds named vnodes s1/left and s1/right joined by a vlink inside
#     the switch, and h1 pings h2 through both vnodes;
#   - released, the slice is gone and the ping stops.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/broker-lib.sh"
lt_init leasing-revisit 60
broker_one_inp_hosts 12 10.12.1
sw "$SOCK" switch add s1 &&
    sw "$SOCK" port add s1 h1 "$(afpacket_devargs h1)" &&
    sw "$SOCK" port add s1 h2 "$(afpacket_devargs h2)" || fail "the substrate of inp-a"
broker_one_inp s1 s1 sp1:sp

LAMINA_TOKEN=$(cat sp1.tok)
vn() {  # KEY [EXTRA-LINE]
    printf '%s\n' "idempotency_key: $1" "$2" \
        "nodes:" "  - {name: left, cpu: 5}" "  - {name: right, cpu: 5}" \
        "links:" "  - {endpoints: [left, right], bandwidth: 10M}" \
        "access:" "  - {name: h1, node: left, at: inp-a/ap1}" \
        "  - {name: h2, node: right, at: inp-a/ap2}" \
        "time: {start: now, duration: 10m}"
}

# ---- Without revisit: two nodes do not fit on one switch ----
vn sp1-rv-0 "" >vn0.yaml
"$LT_BUILD/cli/lamina" lease request vn0.yaml --dry-run >dry0.out 2>&1
grep -q "fits: false" dry0.out || fail "two nodes fit one switch without revisit: $(cat dry0.out)"

# ---- With revisit: named vnodes on s1, a vlink inside it ----
vn sp1-rv-1 "revisit: true" >vn1.yaml
"$LT_BUILD/cli/lamina" --json lease request vn1.yaml >l1.json ||
    { tail -5 inp-a.log >&2; fail "lease request with revisit: $(cat l1.json)"; }
L1=$(json_get id <l1.json)
[ "$(json_get state <l1.json)" = active ] || fail "lease: $(cat l1.json)"
sw "$SOCK" --json vnode list "L$L1" >vnodes.json || fail "vnode list"
python3 - vnodes.json <<'EOF' || fail "vnodes of L$L1: $(cat vnodes.json)"
import json, sys
v = json.load(open(sys.argv[1]))
v = v.get("vnodes", v) if isinstance(v, dict) else v
addrs = sorted(x["switch"] for x in v)
sys.exit(0 if addrs == ["s1/left", "s1/right"] else 1)
EOF
sw "$SOCK" --json vlink list "L$L1" >vlinks.json || fail "vlink list"
grep -q '"s1/left"' vlinks.json && grep -q '"s1/right"' vlinks.json ||
    fail "no vlink between s1/left and s1/right: $(cat vlinks.json)"
wait_for "nsx h1 ping -c 1 -W 1 10.12.1.2" 20 || fail "h1 cannot reach h2 through two vnodes of s1"
nsx h1 ping -c 3 -i 0.2 -W 2 10.12.1.2 >/dev/null || fail "pings lost between the vnodes"
info "lease $L1: s1/left and s1/right on one switch, h1 pings h2"

# ---- Release: gone ----
"$LT_BUILD/cli/lamina" lease release "$L1" >/dev/null || fail "release"
wait_for "! has_slice $SOCK L$L1" 5 || fail "slice L$L1 left after release"
nsx h1 ping -c 1 -W 1 10.12.1.2 >/dev/null && fail "h1 still reaches h2 after the release"
pass
