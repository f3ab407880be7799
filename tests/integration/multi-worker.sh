#!/bin/bash
# multi-worker: one switch served by two worker lcores (`switch add
# --workers 2`), four afpacket host ports split 2/2 between them:
#   p1 (worker A) h1 red      p2 (worker B) h2 red
#   p3 (worker A) h3 blue     p4 (worker B) h4: red VLAN 10, blue VLAN 20
# Red is untagged on p1, p2; blue untagged on p3; both share p4 by VLAN.
# Checks, with frames crossing from one worker to the other:
#   - a switch asking for more workers than the process has is refused;
#   - ping h1 <-> h2 both ways (l2learn learning across the handoff);
#   - isolation: counted frames of each slice reach its own hosts only;
#   - red's policer, with red received on both workers, passes no more
#     than its rate in total (each worker polices half of it);
#   - red's guarantee on p4 (rate-limited), fed from both workers, holds
#     while blue floods p4 from worker A;
#   - a restart restores the switch on two workers, ports split as before.
. "$(dirname "$0")/lib.sh"
lt_init multi-worker 60

LINK=10000000           # bit/s on p4
R=5000000               # red's guarantee on p4
POL=4000000             # red's policer
SINK=02:00:00:00:00:99  # nobody: flooded to p4 (the only other vport)

for i in 1 2 3 4; do
    ns_add "h$i"
    veth_add "h$i" eth0 "p$i" "02:00:00:00:00:0$i" "10.9.0.$i/24"
done

# A control lcore and two workers.  Both workers on CPU 0: every other
# session's DPDK workers (EAL -l 0-1) crowd CPU 1, where a worker was seen
# descheduled for seconds, starving the port it owns; they still run
# concurrently with each other (preempted, not in turn), and the unit test
# dataplane-workers runs them on both CPUs.
prefix=${LT_PREFIX}sw
LCORES=${LT_MW_LCORES:-0@0,1@0,2@0}
MPORT=$(lt_free_port)
# shellcheck disable=SC2046
start_switchd --metrics "127.0.0.1:$MPORT" -- --lcores "$LCORES" --no-pci \
    --file-prefix "$prefix" $(lt_eal_memory)
if lamina switch add big --workers 3 2>"$LT_DIR/err"; then
    fail "a switch with 3 workers was accepted by a process with 2"
fi
grep -q "2 worker lcores" "$LT_DIR/err" || fail "unclear refusal: $(cat "$LT_DIR/err")"
lamina switch add s1 --workers 2 || fail "switch add --workers 2"
[ "$(lamina --json switch config | json_get switches.0.workers)" = 2 ] ||
    fail "the state does not keep the switch's 2 workers"
for i in 1 2 3 4; do
    lamina port add s1 "p$i" "$(afpacket_devargs "p$i")" >/dev/null || fail "port p$i"
done
lamina port set s1 p4 --rate $LINK || fail "rate on p4"
lamina slice add red --guarantee $R >/dev/null || fail "slice red"
lamina slice add blue >/dev/null || fail "slice blue"
lamina vnode add red s1 >/dev/null && lamina vnode add blue s1 >/dev/null || fail "vnodes"
lamina vport add red s1 a p1 && lamina vport add red s1 b p2 &&
    lamina vport add red s1 out p4 --vlan 10 || fail "vports red"
lamina vport add blue s1 a p3 && lamina vport add blue s1 out p4 --vlan 20 ||
    fail "vports blue"
if lamina vnode add blue s1/of --fp openflow 2>"$LT_DIR/err"; then
    fail "an openflow vnode was accepted on a switch with 2 workers"
fi
grep -q "not yet on a switch with 2 workers" "$LT_DIR/err" ||
    fail "unclear refusal: $(cat "$LT_DIR/err")"

# Each worker owns two ports: p1, p3 one; p2, p4 the other.
owner() { lamina --json stats port "$1" | json_get ports.0.worker_lcore; }
o1=$(owner p1); o2=$(owner p2); o3=$(owner p3); o4=$(owner p4)
info "owners: p1 $o1, p2 $o2, p3 $o3, p4 $o4"
[ "$o1" != "$o2" ] && [ "$o1" = "$o3" ] && [ "$o2" = "$o4" ] ||
    fail "ports not split 2/2: p1 $o1 p2 $o2 p3 $o3 p4 $o4"

# Pings across the workers, both ways.
wait_for "nsx h1 ping -c 1 -W 1 10.9.0.2" 10 || fail "no ping h1 -> h2"
nsx h2 ping -c 3 -i 0.2 -W 1 10.9.0.1 >/dev/null || fail "no ping h2 -> h1"
info "pings across workers OK"

# Isolation: 200 red broadcasts from h2 (worker B), 200 blue from h3
# (worker A); who sees which.
recv() {   # recv NS TAG: frames of TAG seen in NS over 3 s, into $LT_DIR/NS.TAG
    nsx "$1" "$LT_BUILD/tools/lamina-gen" recv --iface eth0 --duration 3 --tag "$2" \
        --json | json_get packets >"$LT_DIR/$1.$2" &
}
recv h1 mwred; r1=$!; recv h3 mwred; r2=$!; recv h4 mwred; r3=$!
recv h1 mwblue; r4=$!; recv h2 mwblue; r5=$!; recv h4 mwblue; r6=$!
sleep 0.5
for x in "h2 02:00:00:00:00:02 mwred" "h3 02:00:00:00:00:03 mwblue"; do
    set -- $x
    nsx "$1" "$LT_BUILD/tools/lamina-gen" send --iface eth0 --src-mac "$2" \
        --dst-mac ff:ff:ff:ff:ff:ff --rate 200 --count 200 --duration 2 \
        --payload-tag "$3" >/dev/null &
done
wait $r1 $r2 $r3 $r4 $r5 $r6
for f in h1.mwred h4.mwred h4.mwblue h3.mwred h1.mwblue h2.mwblue; do
    eval "n_${f/./_}=$(cat "$LT_DIR/$f")"
done
info "red: h1 $n_h1_mwred h4 $n_h4_mwred, h3 $n_h3_mwred; blue: h4 $n_h4_mwblue, h1 $n_h1_mwblue h2 $n_h2_mwblue"
[ "$n_h1_mwred" -ge 190 ] && [ "$n_h4_mwred" -ge 190 ] || fail "red's frames lost on their way"
[ "$n_h4_mwblue" -ge 190 ] || fail "blue's frames lost on their way"
[ "$n_h3_mwred" -eq 0 ] || fail "$n_h3_mwred red frames reached blue's host h3"
[ "$n_h1_mwblue" -eq 0 ] && [ "$n_h2_mwblue" -eq 0 ] ||
    fail "blue frames reached red's hosts (h1 $n_h1_mwblue, h2 $n_h2_mwblue)"

rate() { queue_rate "$1" p4 "$2"; }    # rate SLICE SECONDS, on p4

send() {   # send NS SRC BPS SECONDS
    bg_start ip netns exec "$(ns "$1")" "$LT_BUILD/tools/lamina-gen" send \
        --iface eth0 --src-mac "$2" --dst-mac $SINK --bps "$3" --size 1000 \
        --duration "$4"
}

# Policer: red offers 2 x POL, half on each worker; POL in all gets by.
lamina slice set red --policer $POL || fail "red's policer"
send h1 02:00:00:00:00:01 $POL 5; s1=$LT_LAST_PID
send h2 02:00:00:00:00:02 $POL 5; s2=$LT_LAST_PID
sleep 1.5
red=$(rate red 3)
info "policed red, offered $((2 * POL)) bit/s on two workers: $red bit/s (policer $POL)"
[ "$red" -le $((POL * 110 / 100)) ] || fail "red got $red bit/s past its $POL policer"
[ "$red" -ge $((POL * 80 / 100)) ] || fail "red got only $red bit/s of its $POL policer"
wait "$s1" "$s2" 2>/dev/null
pol=$(lamina --json stats slice red | json_get slices.0.drops.policer)
[ "$pol" -gt 0 ] || fail "no policer drop counted"

# Guarantee: blue floods p4 from worker A at 2 x LINK; red (from both
# workers, 11/10 of R) keeps at least 95% of R.
lamina slice set red --policer 0 || fail "red's policer off"
send h3 02:00:00:00:00:03 $((2 * LINK)) 6; s3=$LT_LAST_PID
send h1 02:00:00:00:00:01 $((R * 11 / 20)) 6; s1=$LT_LAST_PID
send h2 02:00:00:00:00:02 $((R * 11 / 20)) 6; s2=$LT_LAST_PID
sleep 2
red=$(rate red 3)
blue=$(rate blue 0.5)
info "blue flooding p4 ($blue bit/s): red $red bit/s (guaranteed $R of $LINK)"
if [ "$red" -lt $((R * 95 / 100)) ]; then
    lamina --json stats slice red | json_get slices.0.drops >&2
    lamina --json switch workers >&2
    fail "red got $red bit/s, under 95% of its guarantee $R"
fi
wait "$s1" "$s2" "$s3" 2>/dev/null
lamina --json switch workers | json_get 0.handoff >"$LT_DIR/ho"
info "handoff of the first worker: $(cat "$LT_DIR/ho")"
curl -sf -o "$LT_DIR/metrics.txt" "http://127.0.0.1:$MPORT/metrics" || fail "GET /metrics"
grep -E '^lamina_worker_handoff_out_total\{lcore="[0-9]+"\} [1-9]' "$LT_DIR/metrics.txt" >/dev/null ||
    fail "no handoff counted in /metrics"

# A restart restores the switch on two workers, its ports split as before.
stop_switchd
# shellcheck disable=SC2046
start_switchd -- --lcores "$LCORES" --no-pci --file-prefix "$prefix" $(lt_eal_memory)
[ "$(owner p1)" = "$o1" ] && [ "$(owner p2)" = "$o2" ] && [ "$(owner p4)" = "$o4" ] ||
    fail "after a restart: p1 $(owner p1) p2 $(owner p2) p4 $(owner p4)"
wait_for "nsx h2 ping -c 1 -W 1 10.9.0.1" 10 || fail "no ping h2 -> h1 after a restart"
pass
