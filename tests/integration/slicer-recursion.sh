#!/bin/bash
# Recursion: red's controller is a second lamina-slicer (the inner one),
# which connects to the outer slicer as a switch (red's virtual switch,
# dpid 0x100000000000a) and slices red again:
#   pink:  red's ports 1, 2 and 10.1.0.0/25 (narrower than red): works,
#          through both slicers, with its own os-ken;
#   thief: red's port 3 (srv) and blue's prefix 10.2.0.0/24 (wider than
#          red: the inner slicer cannot know): every flow it tries is
#          refused by the outer slicer, the OpenFlow error travels back
#          up to its controller, and nothing of it reaches the bridge.
# The inner slicer writes its tag 16 bits lower in the cookie
# (--tag-shift 32), so both owners are visible on the bridge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-recursion 180

slicer_world
OUTER_SOCK=$SLICER_SOCK
SLICER_NAME=inner SLICER_PORT=6633 start_slicer --tag-shift 32
INNER_SOCK=$SLICER_SOCK
SLICER_SOCK=$OUTER_SOCK
inner() { "$LT_BUILD/cli/lamina" slicer --socket "$INNER_SOCK" "$@"; }

inner slice add pink --controller tcp:127.0.0.1:6635 --open \
    --switch 0x100000000000a:1,2 >/dev/null || fail "inner slice pink"
inner flowspace add pink-ip pink ipv4_src=10.1.0.0/25,ipv4_dst=10.1.0.0/25 >/dev/null &&
inner flowspace add pink-arp pink arp_spa=10.1.0.0/25,arp_tpa=10.1.0.0/25 >/dev/null ||
    fail "inner flowspace pink"
inner slice add thief --controller tcp:127.0.0.1:6636 --open \
    --switch 0x100000000000a:3 >/dev/null || fail "inner slice thief"
inner flowspace add thief-ip thief ipv4_src=10.2.0.0/24,ipv4_dst=10.2.0.0/24 >/dev/null &&
inner flowspace add thief-arp thief arp_spa=10.2.0.0/24,arp_tpa=10.2.0.0/24 >/dev/null ||
    fail "inner flowspace thief"

start_osken 6634          # blue
start_osken 6635          # pink
start_osken 6636          # thief
wait_for "[ \"\$(slicer_stat red switches.0.controller)\" = up ] &&
          [ \"\$(slicer_stat blue switches.0.controller)\" = up ]" 60 ||
    fail "outer: red (the inner slicer) or blue did not come up"
SLICER_SOCK=$INNER_SOCK
wait_for "[ \"\$(slicer_stat pink switches.0.controller)\" = up ] &&
          [ \"\$(slicer_stat thief switches.0.controller)\" = up ]" 60 ||
    fail "inner: pink or thief did not come up"
SLICER_SOCK=$OUTER_SOCK

capture_start h3 eth0 "$LT_DIR/h3.pcap"
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.2" 30 || fail "pink: h1 cannot reach h2 through two slicers"
nsx h2 ping -c 3 -i 0.2 -W 1 10.1.0.1 >/dev/null || fail "pink: h2 -> h1"
wait_for "nsx h3 ping -c 1 -W 1 10.2.0.4" 30 || fail "blue: h3 cannot reach h4"
nsx srv ping -c 2 -W 1 10.2.0.3 >/dev/null || fail "blue: srv -> h3"
capture_stop

# The thief's controller was told no, by the outer slicer, through the inner.
wait_for "grep -q 'error type=4 code=11' '$LT_DIR/osken-6636.log'" 10 ||
    fail "thief's controller got no OFPBMC_EPERM"
[ "$(SLICER_SOCK=$INNER_SOCK slicer_stat thief errors_from_switch)" -gt 0 ] ||
    fail "inner slicer saw no error for thief"
# On the bridge: red's flows (outer tag 1) all belong to pink (inner tag 1)
# and stay in pink's half of red's prefix; blue's are blue's.
ofctl dump-flows br0 | grep -v OFPST_FLOW >"$LT_DIR/flows.txt"
cat "$LT_DIR/flows.txt" >&2
while read -r line; do
    cookie=${line#*cookie=}; cookie=${cookie%%,*}
    outer=$((cookie >> 48)); innertag=$(((cookie >> 32) & 0xffff))
    case "$outer:$innertag:$line" in
    1:1:*_s*=10.1.0.0/25,*) echo "$line" | grep -Eq 'in_port=[12],' || echo "BAD $line";;
    2:*:*_s*=10.2.0.0/24,*) ;;
    *) echo "BAD $line";;
    esac
done <"$LT_DIR/flows.txt" >"$LT_DIR/bad.txt"
[ -s "$LT_DIR/bad.txt" ] && { cat "$LT_DIR/bad.txt" >&2; fail "flows outside their (inner) slice"; }
grep -q 'cookie=0x1000100' "$LT_DIR/flows.txt" || fail "no pink flow on the bridge"
n=$(capture_count "$LT_DIR/h3.pcap" net 10.1.0.0/24)
[ "$n" -eq 0 ] || fail "h3 received $n frames of red/pink"
pass
