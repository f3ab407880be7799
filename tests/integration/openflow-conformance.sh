#!/bin/bash
# openflow-conformance: OpenFlow 1.3 conformance cases (of_conformance.py,
# generated from tables of fields, actions, instructions, groups, meters,
# counters and errors) run by one tester, which is both the controller
# (os-ken's OpenFlow 1.3 codec) and the hosts (raw sockets in namespace t),
# against a Lamina `openflow` vnode whose four vports own four afpacket
# ports whole (tags included).
#
# As a test (default): the quick subset against Lamina only; every case
# must pass.  With LAMINA_CONFORMANCE=full (scripts/bench-conformance.sh):
# every case, against Lamina and then against Open vSwitch's userspace
# datapath (a private ovsdb-server and ovs-vswitchd in $LT_DIR, a netdev
# bridge on four more veths into the same tester namespace), the same
# tester in the same run; prints per-group counts for both and the cases
# Open vSwitch passes and Lamina fails; results in
# $LAMINA_CONFORMANCE_OUT (a directory) if set.  Exit 0 when Lamina passes
# every case Open vSwitch passes.
. "$(dirname "$0")/lib.sh"
FULL=${LAMINA_CONFORMANCE:-quick}
if [ "$FULL" = full ]; then lt_init openflow-conformance 900; else lt_init openflow-conformance 60; fi

/usr/bin/python3 -c 'import os_ken' 2>/dev/null || skip "os-ken is not installed (python3-os-ken)"
TESTER=$(dirname "$0")/of_conformance.py
QUICK=--quick
[ "$FULL" = full ] && QUICK=
OUT=${LAMINA_CONFORMANCE_OUT:-$LT_DIR}
mkdir -p "$OUT"

ns_add t
for i in 1 2 3 4; do
    veth_add t "l$i" "l$i" "02:00:00:00:f1:0$i" -
done

CPORT=$(lt_free_port_range 2) || fail "no free TCP port"
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
lamina slice add red >/dev/null || fail "slice add"
for i in 1 2 3 4; do
    lamina port add s1 "p$i" "afpacket:$(rif "l$i")" || fail "port add p$i"
done

# The tester listens first; the vnode connects to it.
bg_start /usr/bin/python3 "$TESTER" --listen "$CPORT" --netns "$(ns t)" --ifaces l1,l2,l3,l4 \
    --name lamina $QUICK --out "$OUT/lamina.json" ${LAMINA_CONFORMANCE_ONLY:+--only "$LAMINA_CONFORMANCE_ONLY"} \
    >"$LT_DIR/lamina.txt" 2>"$LT_DIR/lamina.err"
tester=$LT_LAST_PID
wait_for "ss -ltn | grep -q '127.0.0.1:$CPORT '" 10 || fail "the tester does not listen"
lamina vnode add red s1 --fp openflow --config "{\"controller\": \"tcp:127.0.0.1:$CPORT\"}" ||
    fail "vnode add"
for i in 1 2 3 4; do
    lamina vport add red s1 "v$i" "p$i" --vlans all || fail "vport v$i"
done
wait "$tester"
rc=$?
cat "$LT_DIR/lamina.txt"; [ -s "$OUT/lamina.json" ] || { tail -n 20 "$LT_DIR/lamina.err" >&2; fail "the tester stopped (Lamina)"; }
[ "$FULL" = full ] || {
    [ $rc = 0 ] || { cat "$LT_DIR/lamina.err" >&2; fail "Lamina failed conformance cases"; }
    pass "$(tail -n 1 "$LT_DIR/lamina.txt")"
}
stop_switchd

# ---- Open vSwitch's userspace datapath, same tester, same cases.
VSWITCHD=/usr/lib/openvswitch-switch/ovs-vswitchd
[ -x "$VSWITCHD" ] || VSWITCHD=$(command -v ovs-vswitchd)
[ -x "$VSWITCHD" ] || skip "ovs-vswitchd is not installed"
for i in 1 2 3 4; do
    veth_add t "o$i" "o$i" "02:00:00:00:f2:0$i" -
done
od=$LT_DIR/ovs
mkdir -p "$od"
oenv() { env OVS_RUNDIR="$od" OVS_DBDIR="$od" OVS_LOGDIR="$od" "$@"; }
vsctl() { oenv ovs-vsctl --db="unix:$od/db.sock" --timeout=30 "$@"; }
ovsdb-tool create "$od/conf.db" /usr/share/openvswitch/vswitch.ovsschema || fail "ovsdb-tool create"
bg_start oenv ovsdb-server "$od/conf.db" --remote="punix:$od/db.sock" --unixctl="$od/ovsdb.ctl" \
    --log-file="$od/ovsdb-server.log" >"$od/ovsdb-server.out" 2>&1
wait_for "[ -S '$od/db.sock' ]" 10 || fail "ovsdb-server did not start"
vsctl --no-wait init || fail "ovs-vsctl init"
bg_start oenv "$VSWITCHD" "unix:$od/db.sock" --unixctl="$od/vswitchd.ctl" --log-file="$od/vswitchd.log" \
    >"$od/vswitchd.out" 2>&1
ovs_pid=$LT_LAST_PID
br=$(rif br)
bg_start /usr/bin/python3 "$TESTER" --listen "$((CPORT + 1))" --netns "$(ns t)" --ifaces o1,o2,o3,o4 \
    --name ovs --out "$OUT/ovs.json" --settle "ovs-appctl -t $od/vswitchd.ctl dpctl/del-flows" ${LAMINA_CONFORMANCE_ONLY:+--only "$LAMINA_CONFORMANCE_ONLY"} \
    >"$LT_DIR/ovs.txt" 2>"$LT_DIR/ovs.err"
tester=$LT_LAST_PID
wait_for "ss -ltn | grep -q '127.0.0.1:$((CPORT + 1)) '" 10 || fail "the tester does not listen"
vsctl add-br "$br" -- set Bridge "$br" datapath_type=netdev protocols=OpenFlow13 fail-mode=secure \
    -- set-controller "$br" "tcp:127.0.0.1:$((CPORT + 1))" \
    -- set controller "$br" connection-mode=out-of-band \
    -- add-port "$br" "$(rif o1)" -- set Interface "$(rif o1)" ofport_request=1 \
    -- add-port "$br" "$(rif o2)" -- set Interface "$(rif o2)" ofport_request=2 \
    -- add-port "$br" "$(rif o3)" -- set Interface "$(rif o3)" ofport_request=3 \
    -- add-port "$br" "$(rif o4)" -- set Interface "$(rif o4)" ofport_request=4 ||
    { tail -n 20 "$od/vswitchd.log" >&2; fail "ovs bridge"; }
sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1" 2>/dev/null
wait "$tester"
cat "$LT_DIR/ovs.txt"
vsctl --if-exists del-br "$br"
lt_stop_pid "$ovs_pid"

/usr/bin/python3 - "$OUT/lamina.json" "$OUT/ovs.json" <<'EOF' || fail "Lamina fails cases Open vSwitch passes"
import json, sys
lam = json.load(open(sys.argv[1]))["cases"]
ovs = json.load(open(sys.argv[2]))["cases"]
only_ovs = [c for c, v in ovs.items() if v == "pass" and lam.get(c) != "pass"]
only_lam = [c for c, v in lam.items() if v == "pass" and ovs.get(c) != "pass"]
print("cases %d: lamina passes %d, ovs passes %d; lamina only %d, ovs only %d" % (
    len(lam), sum(v == "pass" for v in lam.values()), sum(v == "pass" for v in ovs.values()),
    len(only_lam), len(only_ovs)))
for c in only_ovs:
    print("ovs passes, lamina fails: %s (%s)" % (c, lam.get(c, "not run")[:160]))
for c in only_lam:
    print("lamina passes, ovs fails: %s (%s)" % (c, ovs.get(c, "not run")[:160]))
sys.exit(1 if only_ovs else 0)
EOF
pass
