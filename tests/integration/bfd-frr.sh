#!/bin/bash
# bfd-frr: a BFD session (RFC 5880/5881, 10 ms x 3) between a switch port
# and FRRouting's bfdd, run privately in a namespace on the far end of a
# veth.  The session comes Up (the port answers bfdd's ARP for its
# address and resolves bfdd's MAC); cutting the veth (ip link set down in
# bfdd's namespace) takes the switch's side Down with "control detection
# time expired" within the detection time; the link back brings it Up
# again; taking the switch's port down takes bfdd's side Down.
. "$(dirname "$0")/lib.sh"
lt_init bfd-frr 60

BFDD=/usr/lib/frr/bfdd
[ -x "$BFDD" ] || skip "FRRouting's bfdd is not installed (Debian frr)"
id frr >/dev/null 2>&1 || skip "no user frr (Debian frr)"
# Detection: 3 x 10 ms, at most 50 ms asked.  On a loaded box (load
# average L above its 2 cores) the worker and bfdd wait for a CPU now and
# then: the bound grows to 50 ms x L / 2 (at most 600 ms), and the session
# may flap while Up (a flap is reported, not failed; the quiet figure is
# the bench's).
LOAD=$(cut -d' ' -f1 /proc/loadavg)
DETECT_MAX_MS=$(awk -v l="$LOAD" 'BEGIN {b = l < 2 ? 50 : 25 * l; printf "%d", (b > 600 ? 600 : b)}')
CUT_MAX_MS=$((DETECT_MAX_MS + 100))
info "load average $LOAD: detection bound $DETECT_MAX_MS ms"

ns_add frr
veth_add frr eth0 bfd 02:00:00:00:13:02 10.13.0.2/24

# bfdd drops to user frr: its files in a directory of its own.
FRR=$LT_DIR/frr
mkdir -p "$FRR" && chmod 755 "$LT_DIR" && chown frr:frr "$FRR"
cat >"$FRR/bfdd.conf" <<EOF
bfd
 peer 10.13.0.1 local-address 10.13.0.2
  receive-interval 10
  transmit-interval 10
  detect-multiplier 3
 !
!
EOF
chown frr:frr "$FRR/bfdd.conf"
bg_start ip netns exec "$(ns frr)" "$BFDD" -f "$FRR/bfdd.conf" -i "$FRR/bfdd.pid" \
    --vty_socket "$FRR" --bfdctl "$FRR/bfdd.sock" -z "$FRR/zserv.api" \
    -u frr -g frr --log "file:$FRR/bfdd.log" -A 127.0.0.1 -P 0
BFDD_PID=$LT_LAST_PID
frr_state() {
    ip netns exec "$(ns frr)" vtysh --vty_socket "$FRR" -c 'show bfd peers' 2>/dev/null |
        awk '/Status:/ {print $2; exit}'
}
wait_for "[ -n \"\$(frr_state)\" ]" 10 || fail "bfdd (pid $BFDD_PID) did not start: $(tail -3 "$FRR/bfdd.log")"

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 p1 "afpacket:$(rif bfd)" \
    --bfd '{"local": "10.13.0.1", "peer": "10.13.0.2", "tx_ms": 10, "rx_ms": 10, "multiplier": 3}' ||
    fail "port add with bfd"

bfd() { lamina --json bfd list | json_get "0.$1"; }
wait_for '[ "$(bfd state)" = Up ]' 15 ||
    fail "the session did not come Up: ours $(bfd state) ($(bfd diag)), bfdd's $(frr_state); $(lamina --json bfd list)"
wait_for '[ "$(frr_state)" = up ]' 5 || fail "bfdd's side is $(frr_state), ours Up"
# Both Poll sequences done: 10 ms each way, detection 30 ms.
wait_for '[ "$(bfd detect_us)" = 30000 ] && [ "$(bfd tx_interval_us)" = 10000 ]' 5 ||
    fail "timers not at 10 ms x 3: $(lamina --json bfd list)"
[ "$(bfd peer_mac)" = 02:00:00:00:13:02 ] || fail "peer MAC $(bfd peer_mac)"
[ "$(bfd arp_rx)" -ge 1 ] || fail "the port answered no ARP request"
info "Up: $(lamina bfd list | cut -c1-120 | tr "\n" " ")"

# Stay Up for a second (no flap at 10 ms on this box), then cut.
rx0=$(bfd rx_packets)
sleep 1
rx1=$(bfd rx_packets)
[ $((rx1 - rx0)) -ge 50 ] || fail "only $((rx1 - rx0)) control packets in 1 s from bfdd (10 ms asked)"
flaps=$(bfd downs)
[ "$flaps" = 0 ] || info "the session flapped $flaps times while the link was up (load $LOAD)"
[ "$flaps" = 0 ] || [ "$DETECT_MAX_MS" -gt 50 ] || fail "$flaps flaps on a quiet box: $(lamina --json bfd list)"
wait_for '[ "$(bfd state)" = Up ] && [ "$(bfd detect_us)" = 30000 ]' 15 || fail "not Up before the cut"
ups0=$(bfd ups)

cut_ms=$(( ${EPOCHREALTIME/./} / 1000 ))
ip -n "$(ns frr)" link set eth0 down
wait_for '[ "$(bfd state)" = Down ]' 5 || fail "still $(bfd state) after the cut"
down_ms=$(bfd last_change_unix_ms)
detect_us=$(bfd last_detect_us)
[ "$(bfd diag)" = "control detection time expired" ] || fail "diag: $(bfd diag)"
info "cut -> Down: $((down_ms - cut_ms)) ms; last packet -> Down: $((detect_us / 1000)) ms"
[ "$detect_us" -le $((DETECT_MAX_MS * 1000)) ] ||
    fail "detection took $detect_us us after the last packet (at most ${DETECT_MAX_MS} ms)"
[ $((down_ms - cut_ms)) -le "$CUT_MAX_MS" ] ||
    fail "Down $((down_ms - cut_ms)) ms after the cut (at most $CUT_MAX_MS ms)"

# The link back: Up again (slow start, about a second or two).
ip -n "$(ns frr)" link set eth0 up
wait_for '[ "$(bfd state)" = Up ] && [ "$(frr_state)" = up ]' 15 ||
    fail "not Up again after the link returned: ours $(bfd state), bfdd's $(frr_state)"
[ "$(bfd ups)" -gt "$ups0" ] || fail "ups: $(bfd ups)"

# The switch's port down: bfdd hears silence and goes down.
lamina port set s1 p1 --down || fail "port set --down"
wait_for '[ "$(frr_state)" = down ]' 5 || fail "bfdd still $(frr_state) after the port went down"
lamina port set s1 p1 --no-bfd || fail "port set --no-bfd"
[ "$(lamina --json bfd list)" = "[]" ] || fail "session left after --no-bfd"
pass "Up with bfdd, Down $((down_ms - cut_ms)) ms after the cut ($((detect_us / 1000)) ms after the last packet)"
