#!/bin/bash
# tunnel-mtu: the MTU of an MPLS-in-UDP tunnel between two switchds on two
# "machines" (underlay MTU 1500: inner IP packets up to 1450 bytes).
# Checks: a 1450-byte ping with DF passes; a 1500-byte one with DF is
# answered by ICMP "fragmentation needed, mtu 1450", which the sender's
# kernel takes (its route to the peer learns MTU 1450) and the drop is
# counted as mtu-icmp-sent; a TCP stream of 1500-byte segments gets
# through after path MTU discovery; a 1500-byte packet without DF is
# a counted drop (mtu-exceeded), never silent.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-mtu 90

tun_two_machines_up
tun_two_machines_config
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb across the tunnel"
[ "$(tun_stat ma tunnel.inner_mtu)" = 1450 ] || fail "inner MTU is $(tun_stat ma tunnel.inner_mtu), not 1450"

nsx ha ping -c 2 -i 0.2 -W 1 -M do -s 1422 10.1.0.2 >/dev/null ||
    fail "a 1450-byte packet with DF does not pass"

out=$(nsx ha ping -c 1 -W 2 -M do -s 1472 10.1.0.2 2>&1)
info "1500 bytes with DF: $(echo "$out" | grep -i -m1 'mtu\|frag')"
echo "$out" | grep -qi "frag needed.*mtu = 1450" ||
    { tunl ma --json stats port tun >&2; nsx ha ip route get 10.1.0.2 >&2; fail "no ICMP fragmentation-needed with MTU 1450 came back: $out"; }
nsx ha ip route get 10.1.0.2 | grep -q "mtu 1450" ||
    fail "the sender's route did not learn MTU 1450: $(nsx ha ip route get 10.1.0.2)"
icmp=$(tun_stat ma drops.mtu-icmp-sent)
[ "$icmp" -ge 1 ] || fail "the too-big drop is not counted as mtu-icmp-sent"
[ "$(tun_stat ma tunnel.counters.icmp_too_big_sent)" -ge 1 ] || fail "icmp_too_big_sent not counted"

# TCP with full-size segments: path MTU discovery makes it fit.
nsx hb python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.1.0.2", 5201)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
open(sys.argv[1], "w").write(str(n))' "$LT_DIR/tcp.bytes" &
srv=$!
LT_PIDS+=("$srv")
wait_for "nsx hb ss -ltn | grep -q 10.1.0.2:5201" 10 || fail "TCP server did not start"
nsx ha ip route flush cache
nsx ha python3 -c '
import socket
s = socket.create_connection(("10.1.0.2", 5201), timeout=20)
s.sendall(b"x" * 1000000); s.close()' || fail "the TCP stream across the tunnel failed"
wait "$srv"
[ "$(cat "$LT_DIR/tcp.bytes" 2>/dev/null)" = 1000000 ] ||
    fail "TCP received $(cat "$LT_DIR/tcp.bytes" 2>/dev/null) of 1000000 bytes"

# Without DF the switch cannot say too-big: a counted drop.
nsx ha ip route flush cache
before=$(tun_stat ma drops.mtu-exceeded)
nsx ha ping -c 2 -i 0.2 -W 1 -M dont -s 1472 10.1.0.2 >/dev/null 2>&1 &&
    fail "a 1500-byte packet without DF passed a 1450-byte tunnel"
after=$(tun_stat ma drops.mtu-exceeded)
[ "$after" -ge $((before + 2)) ] || fail "oversize without DF not counted ($before -> $after)"
nsx ha ping -c 1 -W 1 10.1.0.2 >/dev/null || fail "small pings no longer pass"
pass
