#!/bin/bash
# tunnel-bfd: BFD (10 ms x 3) over the MPLS-in-UDP tunnel between two
# lamina-switchd "machines" (tunnel-lib): each tunnel port runs a session
# between the underlay addresses, IPv4 UDP to 3784 on the underlay.
# Checks: both sessions come Up with each other's underlay address and
# next-hop MAC; the underlay carries BFD between the two addresses; a
# session given addresses on a tunnel is refused; mb's switchd killed (the
# far end dies): ma's session goes Down on "control detection time
# expired" within the detection bound while the tunnel port stays up;
# mb restarted from its state file (the session with it): Up again and
# the hosts reach each other.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-bfd 60

# On a loaded box the bound grows with the load average (as in bfd-frr).
LOAD=$(cut -d' ' -f1 /proc/loadavg)
DETECT_MAX_MS=$(awk -v l="$LOAD" 'BEGIN {b = l < 2 ? 50 : 25 * l; printf "%d", (b > 600 ? 600 : b)}')
info "load average $LOAD: detection bound $DETECT_MAX_MS ms"

tun_two_machines_up
tun_two_machines_config
BFD='{"tx_ms": 10, "rx_ms": 10, "multiplier": 3}'
for m in ma mb; do
    tunl $m port set s$m tun --bfd "$BFD" || fail "$m: port set tun --bfd"
done
bfd() { tunl "$1" --json bfd list | json_get "0.$2"; }
wait_for '[ "$(bfd ma state)" = Up ] && [ "$(bfd mb state)" = Up ]' 15 ||
    fail "sessions not Up: ma $(tunl ma --json bfd list), mb $(tunl mb --json bfd list)"
[ "$(bfd ma local)" = "$TUN_IP_A" ] && [ "$(bfd ma peer)" = "$TUN_IP_B" ] ||
    fail "ma's session is not between the underlay addresses: $(tunl ma --json bfd list)"
mac=$(bfd ma peer_mac)
[ "${mac,,}" = "$TUN_MAC_B" ] || fail "ma's peer MAC $mac, not $TUN_MAC_B"
[ "$(bfd mb remote_disc)" = "$(bfd ma local_disc)" ] || fail "discriminators do not match"
info "Up: $(tunl ma bfd list | cut -c1-120 | tr "\n" " ")"

capture_start ma ul "$LT_DIR/underlay.pcap"
rx0=$(bfd ma rx_packets)
wait_for '[ $(($(bfd ma rx_packets) - rx0)) -ge 20 ]' 5 || fail "ma receives no control packets"
capture_stop
n=$(tun_pcap_count "$LT_DIR/underlay.pcap" src $TUN_IP_B and dst $TUN_IP_A and udp dst port 3784)
[ "$n" -ge 10 ] || fail "only $n BFD packets from $TUN_IP_B to $TUN_IP_A:3784 on the underlay"

err=$(tunl ma port set sma tun --bfd '{"local": "10.0.0.1", "peer": "10.0.0.2"}' 2>&1) &&
    fail "a tunnel's bfd with addresses accepted"
echo "$err" | grep -q "underlay addresses" || fail "the refusal does not say why: $err"
[ "$(bfd ma state)" = Up ] || fail "the refused change touched the session: $(bfd ma state)"

# The far end dies.
downs0=$(bfd ma downs)
lt_stop_pid "$TUN_PID_mb" KILL
wait_for '[ "$(bfd ma state)" = Down ]' 5 || fail "ma still $(bfd ma state) after mb died"
[ "$(bfd ma diag)" = "control detection time expired" ] || fail "diag: $(bfd ma diag)"
detect_us=$(bfd ma last_detect_us)
info "mb killed: Down $((detect_us / 1000)) ms after its last packet"
[ "$detect_us" -le $((DETECT_MAX_MS * 1000)) ] ||
    fail "detection took $detect_us us (at most $DETECT_MAX_MS ms)"
[ "$(bfd ma downs)" -gt "$downs0" ] || fail "downs: $(bfd ma downs)"
[ "$(tunl ma --json port list | json_get 2.up)" != False ] || fail "the tunnel port went down itself"

# mb comes back from its state file, its session with it.
tun_switchd mb
wait_for '[ "$(bfd ma state)" = Up ] && [ "$(bfd mb state)" = Up ]' 15 ||
    fail "not Up after mb restarted: ma $(bfd ma state), mb $(tunl mb --json bfd list)"
wait_for "nsx ha ping -c 1 -W 1 10.1.0.2" 20 || fail "ha cannot reach hb after mb restarted"
pass "Up over the tunnel; Down $((detect_us / 1000)) ms after the far end's last packet; Up again after restart"
