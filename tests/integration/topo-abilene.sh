#!/bin/bash
# topo-abilene: `lamina topo` brings Abilene (Topology Zoo) up with one
# host per switch, and down again.
#
#   - the hosts are named network namespaces (`ip netns exec` reaches them);
#   - a ping between the coasts (New York h0 - Los Angeles h5) works, and
#     its round trip is within 10% of twice the sum of the emulated link
#     delays along the default slice's path (`lamina topo path`);
#   - a link of that path capped at 20 Mbit/s at runtime (`topo link set`)
#     carries 20 Mbit/s within 5%, measured on the link's counters while
#     lamina-gen offers twice that;
#   - taking that link down does not cut h0 from h5 (Abilene has another
#     way round: the default slice's pseudowires move to their backup
#     paths, as docs/topologies.md says); up again, the ping still works;
#   - taking h5's host link down cuts it off, up restores it;
#   - `topo down` leaves no namespace, veth, process, DPDK file or run
#     directory behind.
. "$(dirname "$0")/lib.sh"
lt_init topo-abilene 240

lt_topo_init ab
DATA=$LT_LIB_DIR/../../data/topology-zoo

topo import "$DATA/Abilene.gml" --rate 1G --host-per-switch \
    -o "$LT_DIR/abilene.topo" || fail "import"
t0=$EPOCHREALTIME
topo up "$LT_DIR/abilene.topo" --name "$NAME" --netns-prefix "$NSP" ||
    fail "topo up"
info "up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}') s"
PID=$(cat "$RUN/switchd.pid")
PREFIX=$(json_get dpdk_prefix <"$RUN/record.json")

topo status --name "$NAME" --json >"$LT_DIR/status.json" || fail "topo status"
[ "$(json_get hosts <"$LT_DIR/status.json" | json_get 10.netns)" = "${NSP}h10" ] ||
    fail "status: host h10 is not in namespace ${NSP}h10"
[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["links"]))' \
     <"$LT_DIR/status.json")" = 14 ] || fail "status: not 14 links"
ip netns exec "${NSP}h0" true || fail "ip netns exec ${NSP}h0 does not work"
topo exec --name "$NAME" h0 ip -o addr show eth0 | grep -q "10.0.0.1/16" ||
    fail "h0 has no address 10.0.0.1/16"

# --- the coasts: New York (h0, 10.0.0.1) to Los Angeles (h5, 10.0.0.6)
topo path --name "$NAME" h0 h5 --json >"$LT_DIR/path.json" || fail "topo path"
want_us=$(json_get rtt_us <"$LT_DIR/path.json")
info "path $(json_get switches <"$LT_DIR/path.json" | tr -d '\n '), emulated RTT $want_us us"
wait_for "topo exec --name $NAME h0 ping -c 1 -W 1 10.0.0.6" 20 ||
    fail "h0 cannot ping h5"
topo exec --name "$NAME" h0 ping -c 10 -i 0.2 -W 2 10.0.0.6 >"$LT_DIR/ping.txt" ||
    fail "ping h0 -> h5 lost packets: $(tail -2 "$LT_DIR/ping.txt")"
# The median round trip, in microseconds.
got_us=$(grep -o 'time=[0-9.]*' "$LT_DIR/ping.txt" | cut -d= -f2 | sort -n |
         awk '{v[NR] = $1} END {printf "%d", v[int((NR + 1) / 2)] * 1000}')
info "RTT median $got_us us, emulated $want_us us"
awk -v g="$got_us" -v w="$want_us" 'BEGIN {exit !(g >= 0.9 * w && g <= 1.1 * w)}' ||
    fail "RTT $got_us us is not within 10% of $want_us us"

# --- a link of the path capped at 20 Mbit/s
LINK=$(json_get links.1 <"$LT_DIR/path.json")          # s2-s9
A=${LINK%-*}; B=${LINK#*-}
topo link --name "$NAME" "$A" "$B" set rate=20M || fail "topo link set rate"
[ "$("$LAMINA_BIN" --socket "$RUN/switchd.sock" link list --json |
     python3 -c 'import json,sys; print([l["rate_bps"] for l in json.load(sys.stdin) if l["name"] == sys.argv[1]][0])' "$LINK")" = 20000000 ] ||
    fail "link $LINK is not at 20 Mbit/s"
link_tx_bytes() {
    "$LAMINA_BIN" --socket "$RUN/switchd.sock" stats link "$LINK" --json |
        python3 -c 'import json,sys; print(sum(e["tx_bytes"] for e in json.load(sys.stdin)["links"][0]["ends"]))'
}
bg_start ip netns exec "${NSP}h0" "$LT_BUILD/tools/lamina-gen" send --iface eth0 \
    --src-mac 02:00:00:00:00:01 --dst-mac 02:00:00:00:00:06 \
    --bps 40M --size 1000 --duration 8 --json
sleep 1.5                       # the queue fills, the rate settles
# Each read is stamped with the midpoint of the time it took.
s=$EPOCHREALTIME; b1=$(link_tx_bytes); t1=$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.6f", (a + b) / 2}')
sleep 5
s=$EPOCHREALTIME; b2=$(link_tx_bytes); t2=$(awk -v a="$s" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.6f", (a + b) / 2}')
rate=$(awk -v a="$b1" -v b="$b2" -v t1="$t1" -v t2="$t2" 'BEGIN {printf "%d", (b - a) * 8 / (t2 - t1)}')
info "link $LINK carried $rate bit/s (cap 20000000, offered 40 Mbit/s)"
awk -v r="$rate" 'BEGIN {exit !(r >= 19000000 && r <= 21000000)}' ||
    fail "link $LINK carried $rate bit/s, not 20 Mbit/s within 5%"
wait "$LT_LAST_PID"
topo link --name "$NAME" "$A" "$B" set rate=1G || fail "topo link set rate=1G"

# --- down and up again
topo link --name "$NAME" "$A" "$B" down || fail "topo link down"
topo exec --name "$NAME" h0 ping -c 3 -i 0.3 -W 1 10.0.0.6 >"$LT_DIR/ping-down.txt" ||
    fail "h0 does not reach h5 with $LINK down (the map joins them another way): $(tail -2 "$LT_DIR/ping-down.txt")"
topo status --name "$NAME" | grep -E "^$LINK " | grep -q DOWN ||
    fail "status does not show $LINK down"
topo link --name "$NAME" "$A" "$B" up || fail "topo link up"
wait_for "topo exec --name $NAME h0 ping -c 1 -W 1 10.0.0.6" 10 ||
    fail "h0 does not reach h5 after $LINK came back up"

# --- a host link down and up: h5 and its switch
H5_SW=$(topo status --name "$NAME" --json | json_get hosts.5.switch)
topo link --name "$NAME" h5 "$H5_SW" down || fail "topo link h5 $H5_SW down"
if topo exec --name "$NAME" h0 ping -c 2 -i 0.3 -W 1 10.0.0.6 >/dev/null; then
    fail "h0 still reaches h5 with h5's host link down"
fi
topo link --name "$NAME" h5 "$H5_SW" up || fail "topo link h5 $H5_SW up"
wait_for "topo exec --name $NAME h0 ping -c 1 -W 1 10.0.0.6" 10 ||
    fail "h0 does not reach h5 after its host link came back up"
info "h5's host link: down cuts it off, up restores it"

# --- down leaves nothing behind
VETHS=$(python3 -c 'import json,sys; print(" ".join(h["veth"] for h in json.load(sys.stdin)["hosts"]))' <"$RUN/record.json")
topo down --name "$NAME" || fail "topo down"
left=""
ip netns list | grep -q "^$NSP" && left="$left namespaces"
for v in $VETHS; do
    ip link show "$v" >/dev/null 2>&1 && left="$left veth:$v"
done
kill -0 "$PID" 2>/dev/null && left="$left pid:$PID"
[ -e "/var/run/dpdk/$PREFIX" ] && left="$left /var/run/dpdk/$PREFIX"
[ -e "$RUN" ] && left="$left $RUN"
[ -z "$left" ] || fail "topo down left:$left"
pass
