#!/bin/bash
# slicer-vnodes: lamina-slicer slicing one of Lamina's own openflow vnodes.
# The vnode (datapath 0xb, four vports) has the slicer as its controller;
# the slicer splits it into red (vports 1-2, 10.1.0.0/24) driven by
# ovs-testcontroller, and blue (vports 3-4 seen as 1-2, 10.2.0.0/24)
# driven by an os-ken learning switch.  Both slices' hosts ping; captures
# show neither slice's packets at the other's hosts, and the vnode's
# flows all carry the owning slice's cookie tag.
. "$(dirname "$0")/lib.sh"
lt_init slicer-vnodes 150

command -v ovs-testcontroller >/dev/null || skip "ovs-testcontroller missing"
/usr/bin/python3 -c 'import os_ken' 2>/dev/null || skip "os-ken missing (python3-os-ken)"
[ -x "$LT_BUILD/slicer/lamina-slicer" ] || skip "lamina-slicer is not built"

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
SLICER_PORT=$(free_port)
RED_PORT=$(free_port)
BLUE_PORT=$(free_port)

ns_add h1; ns_add h2; ns_add h3; ns_add h4
veth_add h1 eth0 p1 02:00:00:00:00:01 10.1.0.1/24
veth_add h2 eth0 p2 02:00:00:00:00:02 10.1.0.2/24
veth_add h3 eth0 p3 02:00:00:00:00:03 10.2.0.3/24
veth_add h4 eth0 p4 02:00:00:00:00:04 10.2.0.4/24

# The slicer, with its two slices, before any switch or controller.
# The vnode presents the switch secret (its "switch_secret").
SLICER_SOCK=$LT_DIR/slicer.sock
(umask 077; echo "sw-$$-secret" >"$LT_DIR/switch.secret")
bg_start "$LT_BUILD/slicer/lamina-slicer" --socket "$SLICER_SOCK" \
    --state "$LT_DIR/slicer.state" --listen "ptcp:$SLICER_PORT:127.0.0.1" \
    --switch-secret-file "$LT_DIR/switch.secret" >"$LT_DIR/slicer.log" 2>&1
wait_for "[ -S '$SLICER_SOCK' ]" 20 || fail "lamina-slicer did not start"
slicer() { "$LT_BUILD/cli/lamina" slicer --socket "$SLICER_SOCK" "$@"; }
slicer slice add red --controller "tcp:127.0.0.1:$RED_PORT" --switch 0xb:1,2 --open \
    >/dev/null || fail "slicer: slice red"
slicer slice add blue --controller "tcp:127.0.0.1:$BLUE_PORT" --switch 0xb:3=1,4=2 --open \
    >/dev/null || fail "slicer: slice blue"
for s in red:10.1.0.0/24 blue:10.2.0.0/24; do
    n=${s%%:*} net=${s#*:}
    slicer flowspace add "$n-ip" "$n" "ipv4_src=$net,ipv4_dst=$net" >/dev/null &&
    slicer flowspace add "$n-arp" "$n" "arp_spa=$net,arp_tpa=$net" >/dev/null ||
        fail "slicer: flowspace $n"
done

# Lamina: one openflow vnode whose controller is the slicer.
start_switchd
lamina switch add s1 >/dev/null || fail "switch add"
for i in 1 2 3 4; do
    lamina port add s1 "p$i" "$(af_packet_devargs "p$i")" >/dev/null || fail "port p$i"
done
lamina slice add sub >/dev/null || fail "slice add"
lamina vnode add sub s1 --fp openflow \
    --config "{\"controller\": \"tcp:127.0.0.1:$SLICER_PORT\", \"datapath_id\": \"0xb\", \"switch_secret\": \"sw-$$-secret\"}" \
    >/dev/null || fail "vnode add"
for i in 1 2 3 4; do
    lamina vport add sub s1 "v$i" "p$i" >/dev/null || fail "vport v$i"
done

# The slices' controllers.
bg_start ovs-testcontroller -O OpenFlow13 "ptcp:$RED_PORT:127.0.0.1" \
    --log-file="$LT_DIR/testcontroller.log" -vconsole:off \
    --unixctl="$LT_DIR/testcontroller.ctl"
bg_start /usr/bin/python3 -m os_ken.cmd.manager --ofp-listen-host 127.0.0.1 \
    --ofp-tcp-listen-port "$BLUE_PORT" "$LT_LIB_DIR/slicer-l2-app.py" \
    >"$LT_DIR/osken.log" 2>&1

# On failure, what the vnode and the slicer hold.
diagnose() {
    lamina vnode dump sub s1 >&2
    slicer stats >&2
}

for h in h1 h2 h3 h4; do capture_start "$h" eth0 "$LT_DIR/$h.pcap"; done
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.2" 40 ||
    { diagnose; fail "red (ovs-testcontroller): h1 cannot reach h2"; }
wait_for "nsx h3 ping -c 1 -W 1 10.2.0.4" 40 ||
    { diagnose; tail -n 20 "$LT_DIR/osken.log" >&2; fail "blue (os-ken): h3 cannot reach h4"; }
nsx h1 ping -c 5 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "red: pings lost"
nsx h3 ping -c 5 -i 0.2 -W 1 10.2.0.4 >/dev/null || fail "blue: pings lost"
capture_stop

for h in h1 h2; do
    x=$(capture_count "$LT_DIR/$h.pcap" net 10.2.0.0/24)
    [ "$x" -eq 0 ] || fail "$h (red) saw $x packets of blue"
done
for h in h3 h4; do
    x=$(capture_count "$LT_DIR/$h.pcap" net 10.1.0.0/24)
    [ "$x" -eq 0 ] || fail "$h (blue) saw $x packets of red"
done
n=$(lamina --json vnode dump sub s1 | json_get flow_count)
info "the vnode holds $n flows, installed by two controllers through the slicer"
[ "$n" -ge 2 ] || fail "only $n flows in the vnode"
info "slicer stats: $(slicer stats 2>&1 | head -n 3 | tr '\n' ' ')"
pass
