# slicer-lib.sh: helpers for lamina-slicer's integration tests, on top of
# lib.sh (source lib.sh first).
#
# The control plane of a test lives in one private namespace, "sw": Open
# vSwitch (userspace datapath, its own ovsdb and rundir in $LT_DIR), the
# slicer and the slice controllers.  So 127.0.0.1:6653 and the controller
# ports are the test's own, and the tap devices of OVS's netdev datapath
# never show on the host.  The root-side ends of the hosts' veths are moved
# into "sw" to become bridge ports.
#
#   sw_ns_init                       namespace sw
#   sw_port_add ROOTIF               moves root end ROOTIF into sw, up
#   start_ovs BRIDGE DPID PORT…      ovsdb-server + ovs-vswitchd in sw, a
#                                    netdev bridge, fail-mode secure,
#                                    OpenFlow13, ports PORT (root names)
#                                    numbered 1.. in order, controller
#                                    tcp:127.0.0.1:$SLICER_PORT
#   vsctl ARGS… / ofctl ARGS…        on the test's OVS (ofctl inside sw)
#   start_slicer [ARGS…]             lamina-slicer in sw on $SLICER_SOCK
#   slicer ARGS…                     `lamina slicer` on the test's socket
#   start_osken PORT [ENV=VAL…]      the os-ken learning switch app in sw
#   of_peer ARGS…                    build/slicer/of-peer inside sw
#   vlan_add NS IF VID IP/LEN        an 802.1Q interface IF.VID in NS

SLICER_PORT=${SLICER_PORT:-6653}
SLICER_SOCK=""
SLICER_PID=""
OVS_DIR=""

sw_ns_init() {
    ns_add sw
    SLICER_SOCK=$LT_DIR/slicer.sock
}

sw_port_add() {
    ip link set "$(rif "$1")" netns "$(ns sw)" || fail "move $1 into sw"
    nsx sw ip link set "$(rif "$1")" up
}

vlan_add() {
    nsx "$1" ip link add link "$2" name "$2.$3" type vlan id "$3" ||
        fail "vlan $3 on $2 in $1"
    nsx "$1" sysctl -qw "net.ipv6.conf.$2/$3.disable_ipv6=1" >/dev/null 2>&1
    nsx "$1" ip addr add "$4" dev "$2.$3"
    nsx "$1" ip link set "$2.$3" up
}

ovs_env() { env OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" "$@"; }
vsctl() { ovs_env ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ofctl() { nsx sw env OVS_RUNDIR="$OVS_DIR" ovs-ofctl -O OpenFlow13 "$@"; }

start_ovs() {
    local br=$1 dpid=$2 i=1 p args=()
    shift 2
    command -v ovs-vswitchd >/dev/null || skip "ovs-vswitchd missing (openvswitch-switch)"
    OVS_DIR=$LT_DIR/ovs
    mkdir -p "$OVS_DIR"
    ovsdb-tool create "$OVS_DIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema ||
        fail "ovsdb-tool create"
    bg_start env OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" \
        ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
        --unixctl="$OVS_DIR/ovsdb-server.ctl" --pidfile="$OVS_DIR/ovsdb-server.pid" \
        --log-file="$OVS_DIR/ovsdb-server.log" 2>>"$OVS_DIR/ovsdb-server.err"
    wait_for "[ -S '$OVS_DIR/db.sock' ]" 20 || fail "ovsdb-server did not start"
    vsctl --no-wait init || fail "ovs-vsctl init"
    bg_start ip netns exec "$(ns sw)" env OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" \
        OVS_LOGDIR="$OVS_DIR" ovs-vswitchd "unix:$OVS_DIR/db.sock" \
        --unixctl="$OVS_DIR/vswitchd.ctl" --pidfile="$OVS_DIR/vswitchd.pid" \
        --log-file="$OVS_DIR/vswitchd.log" 2>>"$OVS_DIR/vswitchd.err"
    OVS_PID=$LT_LAST_PID
    args=(add-br "$br" -- set Bridge "$br" datapath_type=netdev fail-mode=secure
          protocols=OpenFlow13 other-config:datapath-id="$dpid"
          other-config:disable-in-band=true)
    for p in "$@"; do
        args+=(-- add-port "$br" "$(rif "$p")" -- set Interface "$(rif "$p")"
               ofport_request=$i)
        i=$((i + 1))
    done
    vsctl "${args[@]}" || { tail -n 20 "$OVS_DIR/vswitchd.log" >&2; fail "OVS bridge"; }
    vsctl set-controller "$br" "tcp:127.0.0.1:$SLICER_PORT" -- \
        set Controller "$br" connection-mode=out-of-band max_backoff=1000 \
        inactivity_probe=0 || fail "set-controller"
    info "OVS bridge $br (dpid $dpid) in $(ns sw), ports $*"
}

start_slicer() {
    local exe=$LT_BUILD/slicer/lamina-slicer
    [ -x "$exe" ] || skip "$exe is not built"
    rm -f "$SLICER_SOCK"
    bg_start ip netns exec "$(ns sw)" "$exe" --socket "$SLICER_SOCK" \
        --state "$LT_DIR/slicer.state" --listen "ptcp:$SLICER_PORT:127.0.0.1" "$@" \
        >>"$LT_DIR/slicer.log" 2>&1
    SLICER_PID=$LT_LAST_PID
    wait_for "[ -S '$SLICER_SOCK' ] || ! kill -0 $SLICER_PID" 20
    kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/slicer.log" >&2; fail "lamina-slicer did not start"; }
    info "lamina-slicer pid $SLICER_PID"
}

stop_slicer() {
    [ -n "$SLICER_PID" ] || return 0
    lt_stop_pid "$SLICER_PID" "${1:-TERM}"
    SLICER_PID=""
}

slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }

# slicer_stat SLICE KEY: a counter of one slice (stats.get).
slicer_stat() {
    slicer stats --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["slices"]:
    if s["name"] == sys.argv[1]:
        v = s
        for k in sys.argv[2].split("."):
            v = v[int(k)] if isinstance(v, list) else v[k]
        print(v)' "$1" "$2"
}

start_osken() {
    local port=$1
    shift
    command -v osken-manager >/dev/null || skip "osken-manager missing (python3-os-ken)"
    bg_start ip netns exec "$(ns sw)" env "$@" /usr/bin/python3 /usr/bin/osken-manager \
        --ofp-tcp-listen-port "$port" --ofp-listen-host 127.0.0.1 \
        "$LT_LIB_DIR/slicer-l2-app.py" >>"$LT_DIR/osken-$port.log" 2>&1
}

of_peer() { nsx sw "$LT_BUILD/slicer/of-peer" "$@"; }
