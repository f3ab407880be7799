#!/bin/bash
# gso-host: TCP super-frames through hosts' ports (afpacket "vnet-hdr",
# dataplane/dp_gso.h).  Two switches joined by a 300 Mbit/s link, a
# host on each (`lamina topo up`: vnet-hdr ports, TSO on in the hosts):
#   - 24 MiB over TCP from h1 to h2 arrive intact (SHA-256), carried as
#     super-frames (h1's port reads far fewer frames than h1 sent TCP
#     segments), and the link's transmitted bytes are within 5% of the
#     wire bytes of those segments (payload and headers of each, label
#     and control word included), not of the super-frames;
#   - over the link with 1% loss, segments (not super-frames) are lost
#     at about that rate, and the data still arrives intact;
#   - over the link at 10 Mbit/s, whose rate bucket is smaller than a
#     super-frame, 1 MiB arrives intact (super-frames queued as segments);
#   - the same transfer from h1 to a third host c on an afpacket port
#     without vnet-hdr: the switch cuts each super-frame into segments
#     with their checksums (c's kernel counts no checksum error), and
#     the data arrives intact;
#   - a second slice sends super-frames whose segments are over its
#     port's MTU: dropped ("over-mtu"), none sent; with the interface's
#     MTU raised after the port opened, the switch follows it and they
#     leave; then it floods
#     super-frames into that port, blocked: it holds only its share of
#     the super-frame buffers (the rest dropped as "gso-quota"), and
#     h1's transfer beside it still arrives intact as super-frames, none
#     dropped for want of a buffer;
#   - host ports count the wire bytes of the segments, as links do;
#   - no frame is refused ("gso-refused") anywhere.
. "$(dirname "$0")/lib.sh"
lt_init gso-host 60

lt_topo_init g

cat >"$LT_DIR/two.topo" <<EOF
topology two
switch s1 cpu=100
switch s2 cpu=100
link s1 s2 rate=300M delay=500us
host h1 s1 ip=10.0.0.1/16 mac=02:00:00:00:00:01
host h2 s2 ip=10.0.0.2/16 mac=02:00:00:00:00:02
EOF
unset LAMINA_TOPO_HOST_GSO
"$LAMINA_BIN" topo up "$LT_DIR/two.topo" --name "$NAME" --netns-prefix "$NSP" \
    >/dev/null || fail "topo up"
S=$RUN/switchd.sock
sw() { "$LAMINA_BIN" --socket "$S" "$@"; }
ip netns exec "${NSP}h1" ethtool -k eth0 | grep -q "tcp-segmentation-offload: on" ||
    fail "h1 has TSO off: its port would see no super-frames"

# c: a host on s2 behind an ordinary afpacket port (checksum offload
# off on both sides, as lib.sh makes every veth).
ns_add c
veth_add c eth0 c 02:00:00:00:00:03 10.0.0.3/16
sw port add s2 c "afpacket:$(rif c)" >/dev/null || fail "port c"
sw vport add default s2 c c >/dev/null || fail "vport c"

head -c $((24 << 20)) /dev/urandom >"$LT_DIR/data"
want=$(sha256sum <"$LT_DIR/data" | cut -d' ' -f1)

stat_of() {     # PORT FIELD
    sw --json stats port "$1" | json_get "ports.0.$2"
}
port_drop() {   # PORT REASON: PORT's drops with REASON
    sw --json stats port "$1" | json_get ports.0.drops | /usr/bin/python3 -c '
import json, sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$2"
}
refused() {     # the sum of "gso-refused" over every port
    sw --json stats port | /usr/bin/python3 -c '
import json, sys
print(sum(p.get("drops", {}).get("gso-refused", 0) for p in json.load(sys.stdin)["ports"]))'
}
tcp_stat() {    # NS FIELD: a Tcp: counter of /proc/net/snmp in NS
    ip netns exec "$1" awk -v f="$2" '$1 == "Tcp:" && !h {for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next}
        $1 == "Tcp:" {print $c[f]}' /proc/net/snmp
}
# transfer FROM_NS TO_NS TO_IP [FILE]: sends FILE (the data), prints
# the receiver's "BYTES SHA256".
transfer() {
    local port=$((20000 + RANDOM % 20000))
    ip netns exec "$2" timeout 20 /usr/bin/python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b); n += len(b)
print(n, h.hexdigest())' "$port" >"$LT_DIR/recv.txt" &
    local r=$!
    wait_for "ip netns exec $2 ss -ltn | grep -q :$port" 5 || fail "receiver in $2 not listening"
    ip netns exec "$1" timeout 20 /usr/bin/python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(open(sys.argv[3], "rb").read()); s.close()' "$3" "$port" "${4:-$LT_DIR/data}" ||
        fail "sending from $1 to $3"
    wait $r || fail "receiver in $2 failed"
    cat "$LT_DIR/recv.txt"
}

wait_for "ip netns exec ${NSP}h1 ping -c 1 -W 1 10.0.0.2" 10 || fail "h1 cannot ping h2"
wait_for "ip netns exec ${NSP}h1 ping -c 1 -W 1 10.0.0.3" 10 || fail "h1 cannot ping c"

# --- h1 -> h2: whole super-frames over the link
seg0=$(tcp_stat "${NSP}h1" OutSegs); rx0=$(stat_of h1 rx_packets)
lb0=$(stat_of to-s2 tx_bytes); hb0=$(stat_of h2 tx_bytes)
got=$(transfer "${NSP}h1" "${NSP}h2" 10.0.0.2)
segs=$(($(tcp_stat "${NSP}h1" OutSegs) - seg0)); frames=$(($(stat_of h1 rx_packets) - rx0))
link=$(($(stat_of to-s2 tx_bytes) - lb0)); host=$(($(stat_of h2 tx_bytes) - hb0))
[ "$got" = "$((24 << 20)) $want" ] || fail "h2 received \"$got\", not $((24 << 20)) bytes of $want"
# Wire bytes: the data plus, per segment, outer Ethernet, label, control
# word, inner Ethernet, IPv4 and TCP with timestamps (22 + 14 + 20 + 32).
wire=$(((24 << 20) + segs * 88))
info "h1 -> h2: $segs TCP segments in $frames frames read from h1; link sent $link bytes, wire bytes $wire"
[ "$frames" -lt $((segs / 4)) ] || fail "h1's port read $frames frames for $segs segments: no super-frames"
awk -v a="$link" -v b="$wire" 'BEGIN {d = a / b - 1; exit !(d < 0.05 && d > -0.05)}' ||
    fail "the link counted $link bytes for $wire wire bytes (not within 5%)"
# h2's port counts the wire bytes of the segments too (Ethernet, IPv4,
# TCP with timestamps: 66 per segment), as the link does, not the
# super-frames' length (4% less here).
hwire=$(((24 << 20) + segs * 66))
info "h2's port sent $host bytes, wire bytes $hwire"
awk -v a="$host" -v b="$hwire" 'BEGIN {d = a / b - 1; exit !(d < 0.005 && d > -0.005)}' ||
    fail "h2's port counted $host bytes for $hwire wire bytes (not within 0.5%)"

# --- h1 -> h2 over the link with 1% loss: lost per segment, not per
# super-frame (the link cuts them), and TCP repairs it
"$LAMINA_BIN" topo link --name "$NAME" s1 s2 set loss=1% >/dev/null || fail "topo link set loss"
seg0=$(tcp_stat "${NSP}h1" OutSegs); rx0=$(stat_of h1 rx_packets)
lost0=$(port_drop to-s2 link-loss)
got=$(transfer "${NSP}h1" "${NSP}h2" 10.0.0.2)
segs=$(($(tcp_stat "${NSP}h1" OutSegs) - seg0)); frames=$(($(stat_of h1 rx_packets) - rx0))
lost=$(($(port_drop to-s2 link-loss) - lost0))
info "1% loss: $segs segments in $frames frames, $lost segments lost on the link"
[ "$got" = "$((24 << 20)) $want" ] || fail "over the lossy link h2 received \"$got\""
# 1% of the segments, not of the frames: at least 0.4% of the segments
# (a super-frame lost whole would count once for up to 45).
[ "$lost" -ge $((segs * 4 / 1000)) ] && [ "$lost" -le $((segs * 25 / 1000)) ] ||
    fail "$lost segments lost of $segs (frames $frames): not about 1% per segment"
"$LAMINA_BIN" topo link --name "$NAME" s1 s2 set loss=0 >/dev/null || fail "topo link set loss=0"

# --- h1 -> h2 over the link at 10 Mbit/s, whose rate bucket (10 ms,
# 12,500 bytes) can never hold a super-frame: they are queued as their
# segments, and 1 MiB arrives intact (whole, they would wait forever).
"$LAMINA_BIN" topo link --name "$NAME" s1 s2 set rate=10M >/dev/null || fail "topo link set rate=10M"
head -c $((1 << 20)) "$LT_DIR/data" >"$LT_DIR/data1"
got=$(transfer "${NSP}h1" "${NSP}h2" 10.0.0.2 "$LT_DIR/data1")
[ "$got" = "$((1 << 20)) $(sha256sum <"$LT_DIR/data1" | cut -d' ' -f1)" ] ||
    fail "over the 10 Mbit/s link h2 received \"$got\""
"$LAMINA_BIN" topo link --name "$NAME" s1 s2 set rate=300M >/dev/null || fail "topo link set rate=300M"

# --- h1 -> c: super-frames cut into segments for an ordinary port,
# which counts their wire bytes
e0=$(tcp_stat "${NSP}c" InCsumErrors); tx0=$(stat_of c tx_packets)
seg0=$(tcp_stat "${NSP}h1" OutSegs); cb0=$(stat_of c tx_bytes)
got=$(transfer "${NSP}h1" "$(ns c)" 10.0.0.3)
e1=$(tcp_stat "${NSP}c" InCsumErrors); sent=$(($(stat_of c tx_packets) - tx0))
segs=$(($(tcp_stat "${NSP}h1" OutSegs) - seg0)); cbytes=$(($(stat_of c tx_bytes) - cb0))
cwire=$(((24 << 20) + segs * 66))
info "h1 -> c: port c sent $sent frames (super-frames it cut count once), $cbytes bytes for $cwire wire bytes; c's checksum errors $((e1 - e0))"
[ "$got" = "$((24 << 20)) $want" ] || fail "c received \"$got\", not $((24 << 20)) bytes of $want"
[ "$((e1 - e0))" = 0 ] || fail "c's TCP saw $((e1 - e0)) checksum errors in the cut segments"
awk -v a="$cbytes" -v b="$cwire" 'BEGIN {d = a / b - 1; exit !(d < 0.005 && d > -0.005)}' ||
    fail "port c counted $cbytes bytes for $cwire wire bytes (not within 0.5%)"

# --- a slice "hog" on s1 sends super-frames from a packet socket into
# hog-in, for hog-out.
ns_add hog
veth_add hog eth0 hg 02:00:00:00:00:a1 -
veth_add hog sink hs 02:00:00:00:00:a2 -
ip netns exec "$(ns hog)" ethtool -K eth0 tx on tso on >/dev/null ||
    fail "TSO on in the hog's namespace"
sw slice add hog >/dev/null || fail "slice hog"
# The pool `lamina topo up` gives its daemon: 4,096 buffers.
sw slice set hog --gso-quota 4096 >/dev/null || fail "a super-frame quota of the whole pool (4096) refused"
! sw slice set hog --gso-quota 4097 >/dev/null 2>&1 ||
    fail "a super-frame quota of 4097, over the pool's 4096, was accepted"
sw slice set hog --gso-quota 0 >/dev/null || fail "the hog's default super-frame share"
[ "$(sw --json slice list | /usr/bin/python3 -c 'import json,sys
print([s.get("gso_quota", 0) for s in json.load(sys.stdin) if s["name"] == "default"][0])')" = 2048 ] ||
    fail "the topology's default slice does not hold half of the pool (gso_quota 2048): $(sw --json slice list)"
sw port add s1 hog-in "afpacket:$(rif hg),vnet-hdr" >/dev/null || fail "port hog-in"
sw port add s1 hog-out "afpacket:$(rif hs),vnet-hdr" --queue-len 4096 >/dev/null ||
    fail "port hog-out"
sw vnode add hog s1 >/dev/null || fail "vnode hog"
sw vport add hog s1 in hog-in >/dev/null || fail "vport hog in"
sw vport add hog s1 out hog-out >/dev/null || fail "vport hog out"
gso_held() { sw --json stats slice hog | json_get slices.0.gso_held; }
hog_drops() {   # REASON: hog's drops with REASON
    sw --json stats slice hog | json_get slices.0.drops | /usr/bin/python3 -c '
import json, sys; print(json.load(sys.stdin).get(sys.argv[1], 0))' "$1"
}
# flood N MSS: N TCP super-frames of 64,000 bytes (virtio header: TCPv4,
# segment size MSS, partial checksum) from a packet socket in the hog's
# namespace.
flood() {
    ip netns exec "$(ns hog)" timeout 10 /usr/bin/python3 -c '
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(263, 15, 1)                    # SOL_PACKET, PACKET_VNET_HDR
s.bind(("eth0", 0x0800))
pay = 64000
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + pay, 1, 0x4000, 64, 6, 0,
                 bytes([10, 9, 0, 1]), bytes([10, 9, 0, 2]))
tcp = struct.pack("!HHIIBBHHH", 5001, 5002, 1, 0, 5 << 4, 0x18, 65535, 0, 0)
frame = bytes.fromhex("0200000000990200000000a1") + b"\x08\x00" + ip + tcp + bytes(pay)
vh = struct.pack("<BBHHHH", 1, 1, 54, int(sys.argv[2]), 34, 16)
for i in range(int(sys.argv[1])):
    s.send(vh + frame)
    time.sleep(0.00005)' "$1" "$2" || fail "sending super-frames from the hog's namespace"
}

# MTU: super-frames of 1,600-byte segments (1,654-byte frames) are over
# hog-out's MTU of 1500: dropped as "over-mtu", none sent (the kernel
# would have cut them).
flood 20 1600
wait_for '[ "$(port_drop hog-out over-mtu)" -ge 10 ]' 5 ||
    fail "no super-frame dropped as over hog-out's MTU: $(sw --json stats port hog-out)"
sunk=$(ip -n "$(ns hog)" -s -j link show sink | json_get 0.stats64.rx.packets)
info "hog-out: $(port_drop hog-out over-mtu) super-frames over its MTU, the sink received $sunk frames"
[ "$sunk" = 0 ] || fail "hog-out sent $sunk frames over its MTU of 1500"
[ "$(stat_of hog-out mtu)" = 1500 ] || fail "hog-out shows MTU $(stat_of hog-out mtu), not 1500"

# The interface's MTU raised to 9000 after the port opened: the switch
# follows it (rtnetlink), and the same super-frames now leave whole.
ip link set dev "$(rif hs)" mtu 9000 && ip -n "$(ns hog)" link set dev sink mtu 9000 ||
    fail "MTU 9000 on $(rif hs)"
wait_for '[ "$(stat_of hog-out mtu)" = 9000 ]' 5 ||
    fail "hog-out still shows MTU $(stat_of hog-out mtu) after its interface's became 9000"
over0=$(port_drop hog-out over-mtu)
flood 20 1600
wait_for '[ "$(ip -n "$(ns hog)" -s -j link show sink | json_get 0.stats64.rx.packets)" -ge 10 ]' 5 ||
    fail "hog-out sent nothing at MTU 9000: $(sw --json stats port hog-out)"
[ "$(port_drop hog-out over-mtu)" = "$over0" ] ||
    fail "hog-out dropped $(($(port_drop hog-out over-mtu) - over0)) super-frames as over an MTU of 9000"
info "hog-out at MTU 9000: the sink received $(ip -n "$(ns hog)" -s -j link show sink | json_get 0.stats64.rx.packets) frames"
ip link set dev "$(rif hs)" mtu 1500 && ip -n "$(ns hog)" link set dev sink mtu 1500 ||
    fail "MTU 1500 on $(rif hs) again"
wait_for '[ "$(stat_of hog-out mtu)" = 1500 ]' 5 ||
    fail "hog-out still shows MTU $(stat_of hog-out mtu) after its interface's became 1500 again"

# Isolation of the super-frame pool: hog-out's interface now sends at 1
# kbit/s (a tbf qdisc that keeps what waits charged to the switch's
# socket: the socket fills and the switch queues), with room for 4,096
# in the hog's queue; the hog floods super-frames of 1,448-byte segments
# until hog-in has had 4,600 (more than the pool holds: read, or dropped
# for want of a buffer).  It may hold only its share of the 4,096
# buffers (a quarter, "gso-quota" for the rest), so h1's stream still
# finds buffers: its data arrives intact as super-frames, with no frame
# of h1 dropped for want of a buffer.  Without the share the hog holds
# the whole pool and h1's super-frames are dropped ("no-mbuf").
tc qdisc add dev "$(rif hs)" root tbf rate 1kbit burst 100kb limit 1000mb ||
    fail "tbf on $(rif hs)"
wait_for 'flood 500 1448; [ $(($(stat_of hog-in rx_packets) + $(port_drop hog-in no-mbuf))) -ge 4600 ]' 25 ||
    fail "hog-in read only $(stat_of hog-in rx_packets) super-frames"
wait_for '[ "$(hog_drops gso-quota)" -ge 100 ]' 5 ||
    fail "the hog holds $(gso_held) super-frames, none dropped over its share"
held=$(gso_held)
info "hog holds $held super-frames, $(hog_drops gso-quota) dropped over its share"
[ "$held" -le 1024 ] || fail "the hog holds $held super-frames, more than its share of 1024"
nm0=$(port_drop h1 no-mbuf)
seg0=$(tcp_stat "${NSP}h1" OutSegs); rx0=$(stat_of h1 rx_packets)
got=$(transfer "${NSP}h1" "${NSP}h2" 10.0.0.2)
segs=$(($(tcp_stat "${NSP}h1" OutSegs) - seg0)); frames=$(($(stat_of h1 rx_packets) - rx0))
nm=$(($(port_drop h1 no-mbuf) - nm0))
info "beside the hog: h1 -> h2 $segs segments in $frames frames, $nm dropped for want of a buffer"
[ "$got" = "$((24 << 20)) $want" ] || fail "beside the hog h2 received \"$got\""
[ "$nm" = 0 ] || fail "h1's port dropped $nm frames for want of a buffer beside the hog"
[ "$frames" -lt $((segs / 4)) ] || fail "beside the hog h1's port read $frames frames for $segs segments"

[ "$(refused)" = 0 ] || fail "$(refused) frames refused (gso-refused)"
pass
