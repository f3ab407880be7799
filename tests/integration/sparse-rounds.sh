#!/bin/bash
# sparse-rounds: a worker serving many switches whose ports can all tell it
# they have work (afpacket host ports, in-process links) runs sparse rounds
# while not busy: only the ports with work are served (docs/design.md,
# "Sparse rounds").  On a line of 60 switches with 1 ms links (`lamina topo
# gen line`, one lamina-switchd, a host per switch):
#
#   - idle, the worker blocks: few rounds a second, not thousands;
#   - a ping from one end of the line to the other (59 delayed hops each
#     way) keeps within 25% of the emulated round trip (118 ms; loose for
#     a loaded machine and ASan): a frame whose port or delay line a
#     sparse round missed would wait for the next full round (up to
#     100 ms) or for ever;
#   - while the pings cross, the worker's rounds are sparse ones, save
#     about one full round in 100 ms.
. "$(dirname "$0")/lib.sh"
lt_init sparse-rounds 90

lt_topo_init sr
N=60

topo gen line $N --delay 1ms -o "$LT_DIR/line.topo" || fail "topo gen line $N"
topo up "$LT_DIR/line.topo" --name "$NAME" --netns-prefix "$NSP" --slice tree --quiet ||
    fail "topo up"
SOCK=$RUN/switchd.sock
workers() { "$LAMINA_BIN" --socket "$SOCK" --json switch workers; }
first=h1
last=h$N
last_ip=10.0.0.$N     # as `topo gen` numbers them
want_us=$(topo path --name "$NAME" "$first" "$last" --json | json_get rtt_us) ||
    fail "topo path $first $last"
wait_for "topo exec --name $NAME $first ping -c 1 -W 1 $last_ip" 20 ||
    fail "$first cannot ping $last ($last_ip)"

# Idle: the worker blocks in its epoll set.
workers >"$LT_DIR/w0.json" || fail "switch workers"
sleep 2
workers >"$LT_DIR/w1.json" || fail "switch workers"
r0=$(json_get 0.rounds <"$LT_DIR/w0.json"); r1=$(json_get 0.rounds <"$LT_DIR/w1.json")
b0=$(json_get 0.blocks <"$LT_DIR/w0.json"); b1=$(json_get 0.blocks <"$LT_DIR/w1.json")
info "idle worker: $((r1 - r0)) rounds and $((b1 - b0)) blocks in 2 s"
[ "$((b1 - b0))" -gt 0 ] || fail "the idle worker never blocked"
[ "$((r1 - r0))" -lt 200 ] || fail "an idle worker ran $((r1 - r0)) rounds in 2 s"

# Pings across the line: within 25% of the emulated round trip, in
# sparse rounds.
s0=$(json_get 0.sparse_rounds <"$LT_DIR/w1.json") || fail "no sparse_rounds in switch workers"
t0=$EPOCHREALTIME
topo exec --name "$NAME" "$first" ping -c 10 -i 0.2 -W 2 "$last_ip" >"$LT_DIR/ping.txt" ||
    fail "ping $first -> $last lost packets: $(tail -2 "$LT_DIR/ping.txt")"
t1=$EPOCHREALTIME
workers >"$LT_DIR/w2.json" || fail "switch workers"
r2=$(json_get 0.rounds <"$LT_DIR/w2.json"); s2=$(json_get 0.sparse_rounds <"$LT_DIR/w2.json")
got_us=$(grep -o 'time=[0-9.]*' "$LT_DIR/ping.txt" | cut -d= -f2 | sort -n |
         awk '{v[NR] = $1 * 1000} END {printf "%d", v[int((NR + 1) / 2)]}')
full=$(( (r2 - r1) - (s2 - s0) ))
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%d", (b - a) * 1000}')
info "$first - $last: median RTT $got_us us, emulated $want_us us; $((s2 - s0)) sparse and $full full rounds in $ms ms"
[ "$got_us" -le $((want_us * 5 / 4)) ] ||
    fail "RTT $got_us us is more than 25% over the emulated $want_us us"
[ "$((s2 - s0))" -gt 100 ] || fail "only $((s2 - s0)) sparse rounds while pings crossed"
# About one full round per 100 ms, and a few after the busiest rounds.
[ "$full" -le $((ms / 100 + 40)) ] || fail "$full full rounds in $ms ms (sparse rounds not used)"
pass "idle worker blocks; pings over $((N - 1)) delayed hops at $got_us / $want_us us in sparse rounds"
