#!/bin/bash
# tunnel-reroute: fast reroute across machines.  Two "machines" (ma, mb:
# a lamina-switchd each, tunnel-lib) joined by two tunnels over two
# underlays: tun over ul (192.0.2.1 - .2, each machine's ul on bridge br0
# in namespace net) and tun2 over ul2 (198.51.100.1 - .2, a veth pair),
# both with BFD at 10 ms x 3.  Slice green's border
# vlink leaves by tun with label 1000 and has a backup out of tun2 with
# label 2000 on both sides (--backup-border).  Frames flow ha -> hb at a
# known rate; a silent cut of ul (ma's bridge port taken off the bridge:
# every interface stays up, no port is told, only BFD sees it; the
# kernel here has no netem): both heads move to tun2, the loss is bounded
# (100 ms at the rate, more on a loaded box); the cut lifted: both come
# back to tun after BFD is Up and the hold-down, with nothing lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tunnel-lib.sh"
lt_init tunnel-reroute 60

RATE=5000
HOLD_MS=1000
LOAD=$(cut -d' ' -f1 /proc/loadavg)
MAX_MS=$(awk -v l="$LOAD" 'BEGIN {b = l < 2 ? 100 : 50 * l; printf "%d", (b > 1000 ? 1000 : b)}')
info "load average $LOAD: restoration bound $MAX_MS ms at $RATE frames/s"
. "$(dirname "$0")/reroute-lib.sh"

tun_reroute_setup
[ "$(tunl ma --json vlink list | json_get 0.backup_border.port)" = tun2 ] ||
    fail "vlink list: $(tunl ma --json vlink list)"
err=$(tunl ma vlink add green x --path sma --border '{"port":"tun","label":1001}' \
      --backup sma --backup-border '{"port":"tun2"}' 2>&1) && fail "a backup border without a label accepted"
echo "$err" | grep -q "backup_border" || fail "the refusal does not name backup_border: $err"
[ "$(tunl ma --json vlink list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] ||
    fail "the refused vlink was stored: $(tunl ma vlink list)"
st() { RR_LAMINA="tunl $1" fr "s$1"; }
onprim() { RR_LAMINA="tunl $1" fr "s$1" | grep -q '^primary'; }
set -- $(st ma); RA=$2 VA=$3
set -- $(st mb); RB=$2

# 1. The silent cut: ma's end of ul off the bridge.
lost=$(run_traffic 3 "nsx net ip link set uma nomaster" :) || exit 1
ms=$((lost * 1000 / RATE))
info "silent cut: $lost frames lost = $ms ms at $RATE/s; ma $(st ma), mb $(st mb)"
set -- $(st ma); [ "$1" = backup ] && [ "$2" -gt "$RA" ] || fail "ma's end did not move: $(st ma)"
set -- $(st mb); [ "$1" = backup ] && [ "$2" -gt "$RB" ] || fail "mb's end did not move: $(st mb)"
[ "$lost" -gt 0 ] || [ "$MAX_MS" -gt 100 ] || fail "no frame lost to a silent cut: the test saw no cut"
[ "$ms" -le "$MAX_MS" ] || fail "traffic restored after $ms ms ($lost frames), over $MAX_MS ms"
dec2=$(tunl mb --json stats port tun2 | json_get ports.0.tunnel.counters.decapsulated)
[ "$dec2" -ge $((RATE * 3 / 2)) ] || fail "tun2 decapsulated only $dec2 frames on mb"

# 2. The cut lifted: once BFD is Up again both ends wait the hold-down
# and come back, make before break: nothing lost.
nsx net ip link set uma master br0 || fail "uma back on the bridge"
wait_for tun_all_up 15 || fail "sessions not Up after the cut: $(tunl ma --json bfd list)"
lost2=$(run_traffic 3 : :) || exit 1
wait_for 'onprim ma && onprim mb' 5 || fail "not back on tun: ma $(st ma), mb $(st mb)"
set -- $(st ma); [ "$3" -gt "$VA" ] || fail "ma's end reverted $3 times: $(st ma)"
[ "$lost2" -eq 0 ] || fail "$lost2 frames lost on the way back"
pass "silent cut of a tunnel: restored over the other in $ms ms ($lost frames); back after the hold-down, nothing lost"
