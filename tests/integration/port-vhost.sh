#!/bin/bash
# port-vhost: vhost-user ports (net_vhost), so that a slice's hosts can be
# VMs.  The "VM" is a second DPDK process, dpdk-testpmd on a virtio-user
# device (what a guest's virtio-net driver would be), swapping the MAC
# addresses of every frame and sending it back (macswap).
#   - forwarding: host h1 (afpacket port) -> slice x -> VLAN 10 on the
#     vhost port -> testpmd -> back -> h1: h1 gets its frames back;
#   - isolation: slice y has host h2 and VLAN 20 on the same vhost port:
#     h2 sees nothing of h1's traffic, and h1 nothing of h2's.
# The vhost-user socket lives in the test's directory; testpmd has its own
# DPDK prefix; both are removed at the end.
. "$(dirname "$0")/lib.sh"
lt_init port-vhost 90

TESTPMD=$(command -v dpdk-testpmd) || skip "dpdk-testpmd is not installed"
ns_add h1; ns_add h2
veth_add h1 eth0 h1 02:00:00:00:0a:01 -
veth_add h2 eth0 h2 02:00:00:00:0a:02 -
start_switchd
sock=$LT_DIR/vhost0.sock
lamina switch add s1 >/dev/null || fail "switch add"
lamina port add s1 h1 "$(afpacket_devargs h1)" >/dev/null || fail "port h1"
lamina port add s1 h2 "$(afpacket_devargs h2)" >/dev/null || fail "port h2"
lamina port add s1 vm "net_vhost0,iface=$sock,queues=1" >/dev/null || fail "vhost port"
[ -S "$sock" ] || fail "no vhost-user socket at $sock"
for s in x y; do
    lamina slice add $s >/dev/null && lamina vnode add $s s1 >/dev/null || fail "slice $s"
done
lamina vport add x s1 host h1 && lamina vport add x s1 vm vm --vlan 10 || fail "vports x"
lamina vport add y s1 host h2 && lamina vport add y s1 vm vm --vlan 20 || fail "vports y"

# The VM: testpmd on virtio-user, its memory shared with the switch.
vu_prefix=${LT_PREFIX}vu
LT_DPDK_PREFIXES+=("$vu_prefix")
bg_start "$TESTPMD" -l 0-1 --no-pci --file-prefix "$vu_prefix" --single-file-segments $(lt_eal_memory) \
    --vdev "net_virtio_user0,path=$sock,queues=1" -- \
    --forward-mode=macswap --port-topology=loop --stats-period 1 --no-mlockall --total-num-mbufs=4096 \
    </dev/null >"$LT_DIR/testpmd.log" 2>&1
VM_PID=$LT_LAST_PID
wait_for "grep -q 'Port 0: link state change event\|Port 0: .*Link up\|Port statistics' '$LT_DIR/testpmd.log' || ! kill -0 $VM_PID" 30 ||
    { tail -n 20 "$LT_DIR/testpmd.log" >&2; fail "testpmd did not start"; }
kill -0 "$VM_PID" 2>/dev/null || { tail -n 20 "$LT_DIR/testpmd.log" >&2; fail "testpmd exited"; }

recv() {    # recv NS SECONDS: frames NS receives meanwhile
    nsx "$1" "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration "$2" --json |
        json_get packets
}
send() {    # send NS SRC-MAC COUNT: frames to the VM's MAC
    nsx "$1" "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac "$2" \
        --dst-mac 02:00:00:00:0b:01 --rate 2k --size 200 --count "$3" --duration 3 \
        >/dev/null || fail "sending from $1"
}

# The vhost port comes up once the virtio-user device has connected.
wait_for "lamina --json port list s1 | grep -q vm && send h1 02:00:00:00:0a:01 5 && [ \$(lamina --json stats port vm | json_get ports.0.rx_packets) -gt 0 ]" 30 ||
    { tail -n 20 "$LT_DIR/testpmd.log" >&2; fail "nothing came back from the VM"; }

for who in h1 h2; do
    other=h2; mac=02:00:00:00:0a:01
    [ $who = h2 ] && { other=h1; mac=02:00:00:00:0a:02; }
    recv $who 3 >"$LT_DIR/$who.got" &
    r1=$!
    recv $other 3 >"$LT_DIR/$other.got" &
    r2=$!
    sleep 0.5
    send $who $mac 1000
    wait $r1 $r2
    got=$(cat "$LT_DIR/$who.got"); leak=$(cat "$LT_DIR/$other.got")
    info "$who: $got of 1000 frames back from the VM; $other saw $leak"
    [ "$got" -ge 950 ] || fail "$who got only $got of its 1000 frames back through the VM"
    [ "$leak" = 0 ] || fail "$other received $leak frames of $who's slice"
done
vm_rx=$(lamina --json stats port vm | json_get ports.0.rx_packets)
vm_tx=$(lamina --json stats port vm | json_get ports.0.tx_packets)
info "vhost port: $vm_tx frames to the VM, $vm_rx back"

lt_stop_pid "$VM_PID" INT
pass
