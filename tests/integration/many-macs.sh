#!/bin/bash
# many-macs: an l2learn vnode under traffic of 8,192 stations at full rate.
# Two net_pcap ports replay tools/lamina-pcapgen's files in a loop (4,096
# source MACs per side, every frame to a station of the other side, as the
# benchmark does); the vnode learns every station on the port it sends
# from, the frames leave by the other port, and removing a vport forgets
# exactly the stations learned on it.  (Learning and aging with 65,536
# stations are unit-tested: dataplane/tests/test_mactable.c.)
. "$(dirname "$0")/lib.sh"
lt_init many-macs 60

N=4096
"$LT_BUILD/tools/lamina-pcapgen" --out-a "$LT_DIR/a.pcap" --out-b "$LT_DIR/b.pcap" \
    --macs $N >/dev/null || fail "lamina-pcapgen"
# The pcap driver holds one mbuf per frame of each file.
start_switchd --mbufs $((2 * N + 32768))
lamina switch add s1 || fail "switch add"
lamina port add s1 n0 "net_pcap0,rx_pcap=$LT_DIR/a.pcap,infinite_rx=1" || fail "port n0"
lamina port add s1 n1 "net_pcap1,rx_pcap=$LT_DIR/b.pcap,infinite_rx=1" || fail "port n1"
lamina slice add red || fail "slice add"
lamina vnode add red s1 --config '{"mac_table_size": 16384}' || fail "vnode add"
lamina vport add red s1 a n0 || fail "vport a"
lamina vport add red s1 b n1 || fail "vport b"

# macs_on: "<stations learned on vport a> <on vport b> <elsewhere>"
macs_on() {
    lamina --json vnode dump red s1 | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
d = d.get("state", d)
macs = d["macs"]
idx = {v["name"]: v["index"] for v in d.get("vports", [])}
va, vb = idx.get("a", -1), idx.get("b", -1)
a = sum(1 for m in macs if m["mac"].startswith("02:0a:") and m["vport"] == va)
b = sum(1 for m in macs if m["mac"].startswith("02:0b:") and m["vport"] == vb)
print(a, b, len(macs) - a - b)'
}
wait_for "[ \"\$(macs_on)\" = '$N $N 0' ]" 20 || fail "learned $(macs_on) (a b elsewhere), not $N $N 0"
info "learned $N stations on each side"
# Each station set one bit of the table's summary (8 bits per entry of
# 16,384): far from the quarter that has it rebuilt.
rebuilds=$(lamina --json vnode dump red s1 | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin); print(d.get("state", d)["summary_rebuilds"])')
[ "$rebuilds" = 0 ] || fail "the summary was rebuilt $rebuilds times for $((2 * N)) stations learned once"

# Forwarding at full rate: both ports transmit, and what one receives the
# other sends (every destination is known: no frame is dropped or held).
tx() {
    lamina --json stats port | /usr/bin/python3 -c 'import json, sys
d = {p["name"]: p for p in json.load(sys.stdin)["ports"]}
print(d["n0"]["tx_packets"], d["n1"]["tx_packets"], d["n0"]["rx_packets"], d["n1"]["rx_packets"])'
}
drops() { lamina --json stats port | /usr/bin/python3 -c 'import json, sys
print({p["name"]: {k: v for k, v in p.get("drops", {}).items() if v} for p in json.load(sys.stdin)["ports"]})'; }
read -r t0a t0b r0a r0b <<<"$(tx)"
d0=$(drops)
wait_for "read -r a b _ _ <<<\"\$(tx)\"; [ \$a -gt \$((t0a + 100000)) ] && [ \$b -gt \$((t0b + 100000)) ]" 20 ||
    fail "ports did not forward 100,000 frames each: $(tx)"
read -r t1a t1b r1a r1b <<<"$(tx)"
info "since learning: n0 received $((r1a - r0a)), n1 sent $((t1b - t0b)); n1 received $((r1b - r0b)), n0 sent $((t1a - t0a))"
# (Frames received before the vports were bound count as no-binding.)
[ "$(drops)" = "$d0" ] || fail "drops since learning: $d0 -> $(drops)"
# A round's frames are counted in and out within it; a read may fall
# between the two, so allow a few bursts.
[ $(((r1a - r0a) - (t1b - t0b))) -le 256 ] && [ $(((r1b - r0b) - (t1a - t0a))) -le 256 ] ||
    fail "frames received but not sent: $(tx)"

# Removing vport b forgets the stations learned on it, only those.
lamina vport del red s1 b || fail "vport del"
[ "$(macs_on | cut -d' ' -f1,3)" = "$N 0" ] || fail "after vport del: $(macs_on)"
wait_for "[ \"\$(macs_on | cut -d' ' -f2)\" = 0 ]" 5 || fail "stations of b still learned: $(macs_on)"
pass "$N + $N stations learned on their ports, forwarded, forgotten with their vport"
