#!/bin/bash
# reroute: fast reroute of a virtual link.  Slice green joins h1 (on s1)
# and h3 (on s3) by virtual link wan on the path s1 - s3, with the backup
# path s1 - s2 - s3.  Every substrate link runs BFD at 10 ms x 3; s1 - s3
# is a veth pair (af_packet ends) that the test cuts silently (an
# emulated loss of 100%: no port is told, only BFD can see it).  Frames
# flow from h1 to h3 at a known rate; the packets lost over the cut, the
# move to the backup and the move back (after the link returns, BFD is Up
# again and the hold-down has passed) give the restoration time, bounded.
# Then the same with `link set --down` (the port says it at once).
# The silent cut is an emulated loss of 100%: it drops BFD as well.
. "$(dirname "$0")/lib.sh"
lt_init reroute 90

RATE=5000                   # frames/s
HOLD_MS=500
LOAD=$(cut -d' ' -f1 /proc/loadavg)
# At most 100 ms without traffic on a quiet box; the workers wait for a
# CPU now and then on a loaded one (load average L over its 2 cores): then
# 100 ms x L / 2, at most 1 s.
MAX_MS=$(awk -v l="$LOAD" 'BEGIN {b = l < 2 ? 100 : 50 * l; printf "%d", (b > 1000 ? 1000 : b)}')
info "load average $LOAD: restoration bound $MAX_MS ms at $RATE frames/s"

. "$(dirname "$0")/reroute-lib.sh"
reroute_setup
R1=$(reroutes s1) R3=$(reroutes s3)

# 1. A silent cut: the link loses every frame (BFD's too) but no port is
# told; back after 1 s.  Both ends move (s3's sends nothing, but checks
# its path every round all the same).
lost=$(run_traffic 6 "lamina link set l13 --loss 100%" "lamina link set l13 --loss 0") || exit 1
ms=$((lost * 1000 / RATE))
info "silent cut (BFD): $lost frames lost = $ms ms at $RATE/s; s1 $(fr s1)"
[ "$(reroutes s1)" -gt "$R1" ] || fail "s1's end did not move to the backup: $(fr s1)"
[ "$(reroutes s3)" -gt "$R3" ] || fail "s3's end did not move to the backup: $(fr s3)"
wait_for "back $((R1 + 1))" 10 ||
    fail "not back on the primary after the link returned: s1 $(fr s1); $(sessions)"
# No frame lost happens when a BFD flap (a worker waiting for a CPU on a
# loaded box) had already moved the traffic just before the cut.
[ "$lost" -gt 0 ] || [ "$MAX_MS" -gt 100 ] || fail "no frame lost to a silent cut: the test saw no cut"
[ "$ms" -le "$MAX_MS" ] || fail "traffic restored after $ms ms ($lost frames), over $MAX_MS ms"
CUT1_MS=$ms

# 2. The link set down (the ports say so at once), back up after 1 s:
# back on the primary only after BFD is Up again and the hold-down.
wait_for all_up 15 || fail "BFD sessions not all Up: $(sessions)"
lost=$(run_traffic 6 "lamina link set l13 --down" "lamina link set l13 --up") || exit 1
ms=$((lost * 1000 / RATE))
info "link set down: $lost frames lost = $ms ms; s1 $(fr s1)"
# (A BFD flap on a loaded box adds a reroute and a revert of its own.)
wait_for "back $((R1 + 2))" 10 || fail "s1's end: $(fr s1)"
[ "$ms" -le "$MAX_MS" ] || fail "traffic restored after $ms ms ($lost frames), over $MAX_MS ms"
pass "restored in $CUT1_MS ms (BFD) and $ms ms (link down), reverted after the hold-down"
