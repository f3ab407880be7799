# slicer-lib.sh: helpers for lamina-slicer's integration tests, on top of
# lib.sh (source lib.sh first).
#
# The control plane of a test lives in one private namespace, "sw": Open
# vSwitch (userspace datapath, its own ovsdb and rundir in $LT_DIR), the
# slicer(s) and the slice controllers.  So 127.0.0.1:6653 and the
# controller ports are the test's own, and the tap devices of OVS's netdev
# datapath never show on the host.  The root-side ends of the hosts' veths
# are moved into "sw" to become bridge ports.
#
#   sw_ns_init                       namespace sw
#   sw_port_add ROOTIF               moves root end ROOTIF into sw, up
#   start_ovs BRIDGE DPID PORT…      ovsdb-server + ovs-vswitchd in sw, a
#                                    netdev bridge, fail-mode secure,
#                                    OpenFlow13, ports PORT (root names)
#                                    numbered 1.. in order, controller
#                                    tcp:127.0.0.1:$SLICER_PORT
#   start_vswitchd / stop_vswitchd [SIG]   (re)start ovs-vswitchd alone
#   vsctl ARGS… / ofctl ARGS…        on the test's OVS (ofctl inside sw)
#   start_slicer [ARGS…]             lamina-slicer in sw; SLICER_NAME names
#                                    its socket/state/log, SLICER_PORT its port;
#                                    --switches-open (OVS presents no secret)
#   stop_slicer [SIG]
#   slicer ARGS…                     `lamina slicer` on $SLICER_SOCK
#   slicer_stat SLICE KEY            one counter of stats.get
#   start_osken PORT [ENV=VAL…]      the os-ken learning switch app in sw
#   of_peer ARGS…                    build/tools/of-peer inside sw
#   slicer_world [RED_SECRET]        the standard world (see below)
#   slice_flows TAG                  the bridge's flows of one slice
#   check_flows_in_slices            prints flows outside their slice

SLICER_PORT=${SLICER_PORT:-6653}
SLICER_SOCK=""
SLICER_PID=""
OVS_DIR=""
OVS_PID=""

sw_ns_init() {
    ns_add sw
}

sw_port_add() {
    ip link set "$(rif "$1")" netns "$(ns sw)" || fail "move $1 into sw"
    nsx sw ip link set "$(rif "$1")" up
}

ovs_env() { env OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" OVS_LOGDIR="$OVS_DIR" "$@"; }
vsctl() { ovs_env ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ofctl() { nsx sw env OVS_RUNDIR="$OVS_DIR" ovs-ofctl -O OpenFlow13 "$@"; }

start_vswitchd() {
    bg_start ip netns exec "$(ns sw)" env OVS_RUNDIR="$OVS_DIR" OVS_DBDIR="$OVS_DIR" \
        OVS_LOGDIR="$OVS_DIR" ovs-vswitchd "unix:$OVS_DIR/db.sock" \
        --unixctl="$OVS_DIR/vswitchd.ctl" --pidfile="$OVS_DIR/vswitchd.pid" \
        --log-file="$OVS_DIR/vswitchd.log" 2>>"$OVS_DIR/vswitchd.err"
    OVS_PID=$LT_LAST_PID
}

stop_vswitchd() { lt_stop_pid "$OVS_PID" "${1:-TERM}"; }

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
    start_vswitchd
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
    local exe=$LT_BUILD/slicer/lamina-slicer name=${SLICER_NAME:-slicer}
    [ -x "$exe" ] || skip "$exe is not built"
    SLICER_SOCK=$LT_DIR/$name.sock
    rm -f "$SLICER_SOCK"
    bg_start ip netns exec "$(ns sw)" "$exe" --socket "$SLICER_SOCK" \
        --state "$LT_DIR/$name.state" --listen "ptcp:$SLICER_PORT:127.0.0.1" \
        --switches-open "$@" \
        >>"$LT_DIR/$name.log" 2>&1
    SLICER_PID=$LT_LAST_PID
    wait_for "[ -S '$SLICER_SOCK' ] || ! kill -0 $SLICER_PID" 20
    kill -0 "$SLICER_PID" 2>/dev/null || { cat "$LT_DIR/$name.log" >&2; fail "lamina-slicer did not start"; }
    info "lamina-slicer ($name) pid $SLICER_PID"
}

stop_slicer() {
    [ -n "$SLICER_PID" ] || return 0
    lt_stop_pid "$SLICER_PID" "${1:-TERM}"
    SLICER_PID=""
}

slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }

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
    OSKEN_PID=$LT_LAST_PID
}

of_peer() { nsx sw "$LT_BUILD/tools/of-peer" "$@"; }

mac_of() { echo "02:00:00:00:00:0${1#h}"; }

# slicer_world [RED_SECRET]: the world of the slicer tests.
#
#   h1 10.1.0.1 (red)  ─ p1 ┐                 ┌ p3 ─ h3 10.2.0.3 (blue)
#   h2 10.1.0.2 (red)  ─ p2 ┤  OVS br0 (0xa)  ├ p4 ─ h4 10.2.0.4 (blue)
#                           └────── p5 ───────┘
#              srv: shared, 10.1.0.5 (red) and 10.2.0.5 (blue) on eth0
#
# Slices red (ports 1, 2, 5; controller tcp:127.0.0.1:6633) and blue
# (ports 3, 4, 5 seen as 1, 2, 3; controller :6634), IP-defined: a slice's
# packets are IPv4 and ARP between addresses of its /24.  (The kernel here
# has no 802.1Q devices, so hosts cannot tag; VLAN-defined slices are
# covered by the unit tests.)  The slicer is started; the controllers are
# the test's business.
slicer_world() {
    sw_ns_init
    ns_add h1; ns_add h2; ns_add h3; ns_add h4; ns_add srv
    veth_add h1 eth0 p1 02:00:00:00:00:01 10.1.0.1/24
    veth_add h2 eth0 p2 02:00:00:00:00:02 10.1.0.2/24
    veth_add h3 eth0 p3 02:00:00:00:00:03 10.2.0.3/24
    veth_add h4 eth0 p4 02:00:00:00:00:04 10.2.0.4/24
    veth_add srv eth0 p5 02:00:00:00:00:05 10.1.0.5/24
    nsx srv ip addr add 10.2.0.5/24 dev eth0
    for p in p1 p2 p3 p4 p5; do sw_port_add "$p"; done

    start_ovs br0 000000000000000a p1 p2 p3 p4 p5
    start_slicer
    slicer slice add red --controller tcp:127.0.0.1:6633 --switch 0xa:1,2,5 \
        $(if [ -n "${1:-}" ]; then echo "--secret $1"; else echo --open; fi) \
        >/dev/null || fail "slice add red"
    # Blue sees its ports as 1, 2, 3.
    slicer slice add blue --controller tcp:127.0.0.1:6634 --switch 0xa:3=1,4=2,5=3 \
        --open >/dev/null || fail "slice add blue"
    # A slice's packets: IPv4 and ARP between addresses of its prefix.
    slicer flowspace add red-ip red ipv4_src=10.1.0.0/24,ipv4_dst=10.1.0.0/24 >/dev/null &&
    slicer flowspace add red-arp red arp_spa=10.1.0.0/24,arp_tpa=10.1.0.0/24 >/dev/null ||
        fail "flowspace red"
    slicer flowspace add blue-ip blue ipv4_src=10.2.0.0/24,ipv4_dst=10.2.0.0/24 >/dev/null &&
    slicer flowspace add blue-arp blue arp_spa=10.2.0.0/24,arp_tpa=10.2.0.0/24 >/dev/null ||
        fail "flowspace blue"
    # Overlapping flowspace is refused (on the shared port 5).
    slicer flowspace add blue-steal blue ipv4_dst=10.1.0.5 2>/dev/null &&
        fail "overlapping flowspace accepted"
    slicer flowspace list | grep -q blue-steal && fail "refused entry listed"
}

# slice_flows TAG: the bridge's flows of the slice with cookie tag TAG,
# without counters, sorted.
slice_flows() {
    ofctl dump-flows br0 "cookie=0x$1000000000000/0xffff000000000000" |
        grep -v OFPST_FLOW | sed -E 's/(duration|n_packets|n_bytes|idle_age|hard_age)=[^,]*, ?//g' |
        sort
}

# check_flows_in_slices: every flow on the bridge has a slice's tag (the top
# 16 bits of its cookie), stays on that slice's ports, and has both of its
# addresses (nw_src and nw_dst, or arp_spa and arp_tpa) inside the slice's
# prefix.  Prints the offenders.
check_flows_in_slices() {
    local line cookie tag prefix ports addrs
    ofctl dump-flows br0 | grep -v 'OFPST_FLOW\|^ *$' | while read -r line; do
        cookie=${line#*cookie=}
        cookie=${cookie%%,*}
        tag=$((cookie >> 48))
        case $tag in
        1) prefix=10.1.0.; ports='[125]';;
        2) prefix=10.2.0.; ports='[345]';;
        3) [ "${SLICER_VIOLET:-0}" = 1 ] && continue   # check_violet_flows
           echo "BAD (tag) $line"; continue;;
        *) echo "BAD (tag) $line"; continue;;
        esac
        echo "$line" | grep -Eq "in_port=$ports," || { echo "BAD (port) $line"; continue; }
        addrs=$(echo "$line" | grep -Eo '(nw_src|nw_dst|arp_spa|arp_tpa)=[0-9./]*')
        [ "$(echo "$addrs" | grep -c .)" -eq 2 ] || { echo "BAD (match) $line"; continue; }
        echo "$addrs" | grep -vq "=$prefix" && echo "BAD (prefix) $line"
    done
}
