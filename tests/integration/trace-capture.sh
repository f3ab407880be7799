#!/bin/bash
# trace-capture: `lamina trace` shows the path of a described frame
# through a running switch without sending it (flood before learning,
# the learned port after), and `lamina capture` writes the frames of a
# port and of a vport during a ping into pcapng files that tcpdump reads
# back; `lamina trace live` traces the next real frames on a port.  The
# openflow and ebpf forwarding planes trace too (slices on VLANs of the
# same ports).
. "$(dirname "$0")/lib.sh"
lt_init trace-capture 90

command -v tcpdump >/dev/null || skip "tcpdump is not installed"
ns_add a
ns_add b
veth_add a eth0 va 02:00:00:00:00:01 10.0.0.1/24
veth_add b eth0 vb 02:00:00:00:00:02 10.0.0.2/24

start_switchd
lamina switch add s1 || fail "switch add"
lamina port add s1 pa "$(af_packet_devargs va)" || fail "port add pa"
lamina port add s1 pb "$(af_packet_devargs vb)" || fail "port add pb"
lamina slice add red || fail "slice add red"
lamina vnode add red s1 || fail "vnode add"
lamina vport add red s1 a pa || fail "vport add a"
lamina vport add red s1 b pb || fail "vport add b"

# Before any traffic: the unknown destination floods; nothing is counted.
TO_B="eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,ip_src=10.0.0.1,ip_dst=10.0.0.2,proto=icmp"
lamina trace s1 pa "$TO_B" >"$LT_DIR/trace1.txt" || fail "trace: $(cat "$LT_DIR/trace1.txt")"
cat "$LT_DIR/trace1.txt" >&2
grep -q "port pa, untagged -> slice red, vport a" "$LT_DIR/trace1.txt" || fail "no classification"
grep -q "not learned -> flood" "$LT_DIR/trace1.txt" || fail "no flood before learning"
grep -q "out of port pb" "$LT_DIR/trace1.txt" || fail "no output on pb"
rx=$(lamina --json stats slice red | json_get slices.0.rx_packets)
[ "$rx" -eq 0 ] || fail "the trace was counted: rx $rx"
err=$(lamina trace s1 pa "vlan=99999" 2>&1) && fail "a bad vlan was traced"
echo "$err" | grep -q 'vlan: "99999" is not a valid value' || fail "bad vlan not named: $err"
err=$(lamina trace s1 nosuch "$TO_B" 2>&1) && fail "an unknown port was traced"
echo "$err" | grep -q "no port nosuch" || fail "unknown port not named: $err"

# Each forwarding plane traces: openflow (slice green on VLAN 10, no flow
# yet: a miss) and ebpf (slice blue on VLAN 20, the example L2 program:
# the program, its hash, its table lookups and its action).
lamina slice add green || fail "slice add green"
lamina vnode add green s1 --fp openflow || fail "vnode add green (openflow)"
lamina vport add green s1 a pa --vlan 10 || fail "vport add green a"
lamina vport add green s1 b pb --vlan 10 || fail "vport add green b"
lamina trace s1 pa "vlan=10,$TO_B" >"$LT_DIR/trace-of.txt" || fail "trace openflow"
cat "$LT_DIR/trace-of.txt" >&2
grep -q "port pa, vlan 10 -> slice green" "$LT_DIR/trace-of.txt" ||
    fail "openflow: no classification: $(cat "$LT_DIR/trace-of.txt")"
grep -q "(openflow): table 0: no flow matches" "$LT_DIR/trace-of.txt" ||
    fail "openflow: no table miss traced"
grep -q "out of port" "$LT_DIR/trace-of.txt" && fail "openflow: a miss was sent out"
OBJ=$LT_BUILD/dataplane
[ -f "$OBJ/l2learn.o" ] || fail "$OBJ/l2learn.o is not built"
lamina slice add blue || fail "slice add blue"
lamina vnode add blue s1 --fp ebpf --program "$OBJ/l2learn.o" \
    --config '{"tables": [{"name": "macs", "type": "hash", "size": 64}]}' ||
    fail "vnode add blue (ebpf)"
lamina vport add blue s1 a pa --vlan 20 || fail "vport add blue a"
lamina vport add blue s1 b pb --vlan 20 || fail "vport add blue b"
HASH=$(lamina --json vnode dump blue s1 | json_get program.fnv1a)
lamina trace s1 pa "vlan=20,$TO_B" >"$LT_DIR/trace-bpf.txt" || fail "trace ebpf"
cat "$LT_DIR/trace-bpf.txt" >&2
for want in "port pa, vlan 20 -> slice blue" "program l2learn.o (fnv1a $HASH," \
    "lookup macs[0x20000000002] -> miss" "would set macs[0x20000000001] = 0x0" \
    "returned 0xfffe -> flood" "out of port pb"; do
    grep -qF "$want" "$LT_DIR/trace-bpf.txt" || fail "ebpf trace lacks: $want"
done
lamina --json vnode table dump blue s1 macs | grep -q '"key"' &&
    fail "the ebpf trace wrote the program's table"

# Captures of port pb and of vport red:a during a ping.
out=$(lamina --json capture start s1 pb --write "$LT_DIR/pb.pcapng") || fail "capture start: $out"
ID_PB=$(echo "$out" | json_get id)
out=$(lamina --json capture start s1 --vport red:a --write "$LT_DIR/a.pcapng" --count 4) ||
    fail "capture start vport: $out"
ID_A=$(echo "$out" | json_get id)
err=$(lamina capture start s1 pb --write "$LT_DIR/x.pcapng" 2>&1) && fail "second capture of pb started"
echo "$err" | grep -q "already being captured" || fail "busy port not named: $err"

wait_for "nsx a ping -c 1 -W 1 10.0.0.2" 20 || fail "a cannot reach b"
nsx a ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "pings lost"

# After traffic the switch learned b: the trace names the port.
lamina trace s1 pa "$TO_B" >"$LT_DIR/trace2.txt" || fail "trace 2"
grep -q "dst 02:00:00:00:00:02 learned on vport 1 -> output" "$LT_DIR/trace2.txt" ||
    fail "learned port not traced: $(cat "$LT_DIR/trace2.txt")"

# cap_done ID: capture ID has its count.
cap_done() {
    lamina --json capture list | python3 -c 'import json, sys
sys.exit(not any(c["id"] == int(sys.argv[1]) and c["state"] == "done"
                 for c in json.load(sys.stdin)["captures"]))' "$1"
}
wait_for "cap_done $ID_A" 10 ||
    fail "the vport capture did not stop at its count: $(lamina capture list)"
lamina capture list >&2
lamina capture stop "$ID_PB" >/dev/null || fail "capture stop pb"
lamina capture stop "$ID_A" >/dev/null || fail "capture stop a"
lamina capture stop "$ID_A" 2>/dev/null && fail "a stopped capture stopped twice"

# Live: the next 2 frames that really arrive on pb (b's echo replies).
out=$(lamina --json trace live s1 pb --count 2) || fail "trace live: $out"
ID_LIVE=$(echo "$out" | json_get id)
nsx a ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "pings lost (live)"
wait_for "cap_done $ID_LIVE" 10 || fail "trace live did not get 2 frames: $(lamina capture list)"
lamina --json capture stop "$ID_LIVE" >"$LT_DIR/live.json" || fail "capture stop (live)"
python3 - "$LT_DIR/live.json" <<'PY' || fail "live traces: $(head -c 600 "$LT_DIR/live.json")"
import json, sys
c = json.load(open(sys.argv[1]))
assert len(c["traces"]) == 2, len(c["traces"])
for t in c["traces"]:
    texts = [s["stage"] + ": " + s["text"] for s in t["stages"]]
    assert any("port pb, untagged -> slice red, vport b" in x for x in texts), texts
    assert any(x.startswith("output: ") and "out of port pa" in x for x in texts), texts
PY

tcpdump -nn -r "$LT_DIR/pb.pcapng" >"$LT_DIR/pb.txt" 2>"$LT_DIR/pb.err" ||
    fail "tcpdump cannot read pb.pcapng: $(cat "$LT_DIR/pb.err")"
req=$(grep -c "ICMP echo request" "$LT_DIR/pb.txt")
rep=$(grep -c "ICMP echo reply" "$LT_DIR/pb.txt")
info "pb: $req echo requests, $rep echo replies"
[ "$req" -ge 4 ] && [ "$rep" -ge 4 ] || fail "pb capture: $req requests, $rep replies: $(head "$LT_DIR/pb.txt")"
tcpdump -nn -r "$LT_DIR/a.pcapng" >"$LT_DIR/a.txt" 2>"$LT_DIR/a.err" ||
    fail "tcpdump cannot read a.pcapng: $(cat "$LT_DIR/a.err")"
n=$(wc -l <"$LT_DIR/a.txt")
[ "$n" -eq 4 ] || fail "vport capture holds $n frames, not its count 4"
pass
