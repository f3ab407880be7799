#!/bin/bash
# topo-machines: `lamina topo up MAP --machines FILE` splits ring6 over
# three "machines" (namespaces ma, mb, mc, each with its own
# lamina-switchd, on one underlay: a Linux bridge in namespace net).
#
#   - status names each switch's machine, and all three daemons answer;
#   - some default-slice virtual links transit a third machine (a piece
#     with border_in and border there);
#   - every host reaches every other across the cut links (MPLS-in-UDP
#     tunnels);
#   - the cut links keep their emulated delay: h1 - h4's round trip is at
#     least 90% of the one `topo path` computes;
#   - only ARP, MPLS-in-UDP and BFD (every tunnel runs a session) cross
#     the underlay;
#   - a cut link set to 5 ms delays both ways (RTT >= 10 ms); taken down,
#     its two hosts still talk (the default slice's virtual link between
#     them moves to its backup around the ring, through the other
#     tunnels), and after it comes back up the link returns to it;
#     status follows;
#   - with s2-s3 down, h2 - h5 and h3 - h6 (whose paths cross it between
#     two other machines' pieces) still talk: the end-to-end BFD of their
#     virtual links moves the heads; back once it is up;
#   - `topo down` leaves the daemons running and empty, and no namespace;
#   - ring6 over two machines (ma, mb) cuts two links between the same
#     pair: two tunnel pairs, UDP 6635 and 6636; h1 reaches every host;
#     with --no-bfd, no session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init topo-machines 90

lt_topo_init tm

for n in ma mb mc net; do ns_add "$n"; done
tun_bridge_underlay ma mb mc
for m in ma mb mc; do tun_switchd "$m"; done
i=1
for m in ma mb mc; do
    echo "$m socket=$LT_DIR/$m.sock underlay=ul ip=192.0.2.$i netns=$(ns "$m")  # machine $i"
    i=$((i + 1))
done >"$LT_DIR/machines"

capture_start net br0 "$LT_DIR/underlay.pcap"
topo up "$LT_LIB_DIR/../../topologies/examples/ring6.topo" --name "$NAME" \
    --netns-prefix "$NSP" --machines "$LT_DIR/machines" || fail "topo up --machines"
topo status --name "$NAME" --json >"$LT_DIR/status.json" || fail "topo status"
python3 - "$LT_DIR/status.json" <<'PY' || fail "status: $(cat "$LT_DIR/status.json")"
import json, sys
st = json.load(open(sys.argv[1]))
assert st["daemon"]["running"], "not every machine answers"
machines = {s["name"]: s["machine"] for s in st["switches"]}
assert sorted(set(machines.values())) == ["ma", "mb", "mc"], machines
assert len(st["links"]) == 6
PY
for m in ma mb mc; do
    [ "$(tunl "$m" --json switch list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
        fail "machine $m does not hold 2 switches"
done

# The default slice's virtual links across machines: border pieces at
# the ends, and transit pieces (border_in and border) in between.
transit=0
for m in ma mb mc; do
    n=$(tunl "$m" --json vlink list default |
        python3 -c 'import json,sys; print(sum(1 for v in json.load(sys.stdin) if "border_in" in v and "border" in v))') ||
        fail "vlink list on $m"
    transit=$((transit + n))
done
info "$transit transit pieces of virtual links"
[ "$transit" -ge 1 ] || fail "no virtual link transits a machine: the test no longer covers transit"
wait_for "topo exec --name $NAME h1 ping -c 1 -W 1 10.0.0.4" 20 || fail "h1 cannot reach h4"
for src in 1 2 3; do
    for dst in 1 2 3 4 5 6; do
        [ "$src" = "$dst" ] && continue
        topo exec --name "$NAME" "h$src" ping -c 2 -i 0.2 -W 1 "10.0.0.$dst" >/dev/null ||
            fail "h$src cannot reach h$dst across machines"
    done
done
info "h1..h3 reach every host"

want_us=$(topo path --name "$NAME" h1 h4 --json | json_get rtt_us) || fail "topo path"
topo exec --name "$NAME" h1 ping -c 5 -i 0.2 -W 1 10.0.0.4 >"$LT_DIR/ping.txt" || fail "h1 - h4 lost pings"
got_us=$(grep -o 'time=[0-9.]*' "$LT_DIR/ping.txt" | cut -d= -f2 | sort -n |
         awk '{v[NR] = $1} END {printf "%d", v[int((NR + 1) / 2)] * 1000}')
info "h1 - h4 RTT median $got_us us, emulated $want_us us"
awk -v g="$got_us" -v w="$want_us" 'BEGIN {exit !(g >= 0.9 * w)}' ||
    fail "RTT $got_us us is below the emulated $want_us us: a tunnel lost its link's delay"
capture_stop
# (IGMP: the kernel of the underlay's namespace joining its groups.)
other=$(tun_pcap_count "$LT_DIR/underlay.pcap" not arp and not igmp and not udp dst port 6635 and not udp dst port 3784)
tunnelled=$(tun_pcap_count "$LT_DIR/underlay.pcap" udp dst port 6635)
info "underlay: $tunnelled MPLS-in-UDP datagrams, $other other frames"
[ "$tunnelled" -ge 20 ] || fail "only $tunnelled datagrams on the underlay"
[ "$other" -eq 0 ] || fail "$other frames on the underlay are neither ARP, tunnels nor BFD"

# --- a cut link (a tunnel pair) changed and taken down at runtime
CUT=$(topo status --name "$NAME" --json |
      python3 -c 'import json,sys; print([l["name"] for l in json.load(sys.stdin)["links"] if l.get("tunnel")][0])') ||
    fail "status shows no cut link"
A=${CUT%-*}; B=${CUT#*-}; HA=h${A#s}; HB=h${B#s}; IPB=10.0.0.${B#s}
# fr M: "path reroutes reverts" of the default slice's vlink ends on M.
fr() {
    tunl "$1" --json stats vnode default | python3 -c '
import json, sys
for vn in json.load(sys.stdin)["vnodes"]:
    for vp in vn["vports"]:
        if "reroutes" in vp:
            print(vn["switch"], vp["name"], vp["path"], vp["reroutes"], vp["reverts"])'
}
MA=$(topo status --name "$NAME" --json | python3 -c 'import json,sys; print([s["machine"] for s in json.load(sys.stdin)["switches"] if s["name"] == sys.argv[1]][0])' "$A")
topo link --name "$NAME" "$A" "$B" set delay=5ms || fail "topo link $A $B set delay=5ms"
# The round trip over the cut link, measured while its tunnels' BFD is Up and
# the vlink ends are on their primary paths (a BFD flap of the loaded
# machine moves them to the backup, whose round trip is shorter): up to 3
# tries, each after waiting for that.
for try in 1 2 3; do
    wait_for "tunl $MA --json bfd list | python3 -c 'import json,sys; b = json.load(sys.stdin); sys.exit(not b or any(s[\"state\"] != \"Up\" for s in b))'" 10 ||
        fail "$MA's tunnel sessions not all Up: $(tunl "$MA" bfd list)"
    wait_for '! fr $MA | grep -q backup' 10 || fail "vlink ends on the backup: $(fr "$MA")"
    topo exec --name "$NAME" "$HA" ping -c 3 -i 0.2 -W 2 "$IPB" >"$LT_DIR/ping5.txt"
    min_ms=$(grep -o 'time=[0-9.]*' "$LT_DIR/ping5.txt" | cut -d= -f2 | sort -n | head -1)
    min_ms=${min_ms:-0}
    info "cut link $CUT at delay 5 ms: $HA - $HB RTT min $min_ms ms (try $try)"
    awk -v m="$min_ms" 'BEGIN {exit !(m >= 9.5)}' && [ "$(grep -c 'time=' "$LT_DIR/ping5.txt")" = 3 ] && break
    [ "$try" = 3 ] && fail "RTT $min_ms ms over $CUT at 5 ms each way, or pings lost (3 tries): $(cat "$LT_DIR/ping5.txt") $(fr "$MA")"
done
[ "$(topo status --name "$NAME" --json | python3 -c 'import json,sys,os; print([l["delay_us"] for l in json.load(sys.stdin)["links"] if l["name"] == sys.argv[1]][0])' "$CUT")" = 5000 ] ||
    fail "status does not show $CUT at 5 ms"
wait_for "tunl $MA --json bfd list | python3 -c 'import json,sys; b = json.load(sys.stdin); sys.exit(not b or any(s[\"state\"] != \"Up\" for s in b))'" 10 ||
    fail "$MA's tunnel sessions not all Up: $(tunl "$MA" bfd list)"
wait_for '! fr $MA | grep -q backup' 10 || fail "vlink ends on the backup before the cut: $(fr "$MA")"
topo link --name "$NAME" "$A" "$B" down || fail "topo link $A $B down"
topo status --name "$NAME" | grep -E "^$CUT " | grep -q DOWN || fail "status does not show $CUT down"
wait_for "topo exec --name $NAME $HA ping -c 1 -W 1 $IPB >/dev/null" 10 ||
    fail "$HA no longer reaches $HB with $CUT down, though the ring still joins them: $(fr "$MA")"
fr "$MA" | grep -q "^$A vl-.* backup [1-9]" || fail "no vlink end on $A moved to its backup: $(fr "$MA")"
topo exec --name "$NAME" "$HA" ping -c 3 -i 0.2 -W 1 "$IPB" >/dev/null || fail "$HA - $HB lost pings on the backup"
topo link --name "$NAME" "$A" "$B" up || fail "topo link $A $B up"
wait_for '! fr $MA | grep -q backup' 15 || fail "not back on $CUT after it came up: $(fr "$MA")"
topo exec --name "$NAME" "$HA" ping -c 2 -i 0.2 -W 1 "$IPB" >/dev/null || fail "$HA does not reach $HB after $CUT came back"
info "cut link $CUT: set; down: $HA - $HB over the backup; up: back on it, across machines"

# --- a cut next to neither head: h2 - h5 and h3 - h6 cross s2-s3 between
# pieces on other machines; their heads see it only by the end-to-end BFD
# inside the virtual link (bfd list kind vlink, on both paths).
for m in ma mb mc; do
    wait_for "tunl $m --json bfd list | python3 -c 'import json,sys; b = json.load(sys.stdin); sys.exit(not any(s.get(\"kind\") == \"vlink\" for s in b) or any(s[\"state\"] != \"Up\" for s in b))'" 10 ||
        fail "$m: not every session (tunnels and virtual links) Up: $(tunl "$m" bfd list)"
done
topo link --name "$NAME" s2 s3 down || fail "topo link s2 s3 down"
for pair in 2:5 3:6; do
    wait_for "topo exec --name $NAME h${pair%:*} ping -c 1 -W 1 10.0.0.${pair#*:} >/dev/null" 10 ||
        fail "h${pair%:*} no longer reaches h${pair#*:} with s2-s3 down: $(for m in ma mb mc; do fr $m; done)"
done
topo link --name "$NAME" s2 s3 up || fail "topo link s2 s3 up"
for m in ma mb mc; do
    wait_for '! fr $m | grep -q backup' 15 || fail "$m: not back on the paths after s2-s3 came up: $(fr "$m")"
done
for pair in 2:5 3:6; do
    topo exec --name "$NAME" "h${pair%:*}" ping -c 2 -i 0.2 -W 1 "10.0.0.${pair#*:}" >/dev/null ||
        fail "h${pair%:*} does not reach h${pair#*:} after s2-s3 came back"
done
info "s2-s3 down: h2 - h5 and h3 - h6 over their backups (end-to-end BFD); up: back"

topo down --name "$NAME" || fail "topo down"
for m in ma mb mc; do
    [ "$(tunl "$m" --json switch list)" = "[]" ] || fail "machine $m still holds: $(tunl "$m" switch list)"
done
ip netns list | grep -q "^${NSP}h" && fail "host namespaces left"
[ -e "/run/lamina/topo-$NAME" ] && fail "run directory left"

# --- two machines sharing two cut links: tunnels told apart by UDP port
head -2 "$LT_DIR/machines" >"$LT_DIR/machines2"
topo up "$LT_LIB_DIR/../../topologies/examples/ring6.topo" --name "$NAME" --no-bfd \
    --netns-prefix "$NSP" --machines "$LT_DIR/machines2" || fail "topo up over 2 machines"
ports=$(tunl ma --json port list | python3 -c '
import json, sys
print(" ".join(sorted(p["devargs"].rpartition("port=")[2] if "port=" in p["devargs"] else "6635"
                      for p in json.load(sys.stdin) if p["devargs"].startswith("mplsudp:"))))')
[ "$ports" = "6635 6636" ] || fail "ma's tunnels use UDP ports \"$ports\", not 6635 and 6636"
[ "$(tunl ma --json bfd list)" = "[]" ] || fail "BFD sessions with --no-bfd: $(tunl ma bfd list)"
for i in 2 3 4 5 6; do
    wait_for "topo exec --name $NAME h1 ping -c 1 -W 1 10.0.0.$i >/dev/null" 10 ||
        fail "h1 cannot reach h$i over two machines"
done
info "ring6 over 2 machines: tunnels on UDP $ports, h1 reaches every host"
topo down --name "$NAME" || fail "topo down (2 machines)"
pass
