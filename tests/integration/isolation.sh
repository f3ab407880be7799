#!/bin/bash
# isolation: red and blue share an egress port limited to LINK bit/s.
# Red is guaranteed R; blue is guaranteed R/5 and floods at ten times
# that.  From the switch's queue counters: red keeps at least 95% of R
# while blue floods, and once blue stops, red may use the whole link
# (the scheduler is work conserving).
. "$(dirname "$0")/lib.sh"
lt_init isolation 120

LINK=20000000           # bit/s on the shared egress port
R=10000000              # red's guarantee
B=2000000               # blue's guarantee; blue floods at 10 * B
SINK=02:00:00:00:00:99

ns_add red
ns_add blue
ns_add sink
veth_add red eth0 ri 02:00:00:00:00:01 -
veth_add blue eth0 bi 02:00:00:00:00:01 -      # the same address as red's
veth_add sink eth0 so "$SINK" -

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 red-in "$(af_packet_devargs ri)" || fail "port red-in"
lamina port add s1 blue-in "$(af_packet_devargs bi)" || fail "port blue-in"
lamina port add s1 out "$(af_packet_devargs so)" --rate $LINK || fail "port out"
lamina slice add red --guarantee $R || fail "slice red"
lamina slice add blue --guarantee $B || fail "slice blue"
for s in red blue; do
    lamina vnode add $s s1 || fail "vnode $s"
    lamina vport add $s s1 in "$s-in" || fail "vport $s in"
done
lamina vport add red s1 out out --vlan 10 || fail "vport red out"
lamina vport add blue s1 out out --vlan 20 || fail "vport blue out"

# An over-committed guarantee is refused: the port has LINK in all.
lamina slice add greedy --guarantee $LINK || fail "slice greedy"
lamina vnode add greedy s1 || fail "vnode greedy"
if lamina vport add greedy s1 out out --vlan 30 2>"$LT_DIR/err"; then
    fail "a guarantee beyond the port's rate was accepted"
fi
grep -q "does not fit" "$LT_DIR/err" || fail "unclear refusal: $(cat "$LT_DIR/err")"

rate() { queue_rate "$1" out "$2"; }   # rate SLICE SECONDS, on "out"

send() {   # send NS BPS SECONDS
    bg_start ip netns exec "$(ns "$1")" "$LT_BUILD/tools/lamina-gen" send \
        --iface eth0 --src-mac 02:00:00:00:00:01 --dst-mac $SINK \
        --bps "$2" --size 1000 --duration "$3"
}

# Phase 1: blue floods at 10x its guarantee, red sends a little over R.
send blue $((10 * B)) 8
BLUE_PID=$LT_LAST_PID
send red $((R * 11 / 10)) 8
RED_PID=$LT_LAST_PID
sleep 2
red=$(rate red 4)
info "while blue floods: red $red bit/s (guaranteed $R), link $LINK"
[ "$red" -ge $((R * 95 / 100)) ] || fail "red got $red bit/s, under 95% of its guarantee $R"
wait "$BLUE_PID" "$RED_PID" 2>/dev/null

q=$(lamina --json stats queue blue)
drops=$(echo "$q" | /usr/bin/python3 -c '
import json, sys
print(sum(q["dropped"] for q in json.load(sys.stdin)["queues"] if q["port"] == "out"))')
info "blue's queue on out dropped $drops frames"
[ "$drops" -gt 0 ] || fail "blue's flood was never held back"

# Phase 2: blue is silent; red offers more than the link.
send red $((LINK * 3 / 2)) 7
RED_PID=$LT_LAST_PID
sleep 2
red=$(rate red 4)
info "blue silent: red $red bit/s of $LINK"
[ "$red" -ge $((LINK * 95 / 100)) ] || fail "red got $red bit/s, not the whole idle link ($LINK)"
[ "$red" -le $((LINK * 105 / 100)) ] || fail "red got $red bit/s, over the link rate $LINK"
wait "$RED_PID" 2>/dev/null
pass
