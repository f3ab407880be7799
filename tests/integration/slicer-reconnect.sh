#!/bin/bash
# Either side may go away and come back, in any order, without a slice
# losing its flows:
#   1. blue's controller restarts: the slicer dials it again (backoff), the
#      switch keeps forwarding meanwhile;
#   2. the slicer itself is killed and restarted: it restores its slices from
#      the state file, the switch and the controllers reconnect, and it
#      relearns the slices' flows from the switch (flow dump, cookie tags);
#   3. ovs-vswitchd restarts and comes back empty: the slicer pushes every
#      slice's recorded flows again, before any controller acts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-reconnect 180

both_up() {
    [ "$(slicer_stat red switches.0.controller)" = up ] &&
        [ "$(slicer_stat blue switches.0.controller)" = up ]
}

slicer_world
start_osken 6633
start_osken 6634
BLUE_OSKEN=$OSKEN_PID
wait_for both_up 60 || fail "controllers did not come up"
wait_for "nsx h3 ping -c 1 -W 1 10.2.0.4" 30 || fail "blue: h3 cannot reach h4"
wait_for "nsx h1 ping -c 1 -W 1 10.1.0.2" 30 || fail "red: h1 cannot reach h2"
slice_flows 2 >"$LT_DIR/blue-0.txt"
slice_flows 1 >"$LT_DIR/red-0.txt"

info "1. blue's controller restarts"
lt_stop_pid "$BLUE_OSKEN"
wait_for "[ \"\$(slicer_stat blue switches.0.controller)\" != up ]" 20 ||
    fail "the slicer did not notice blue's controller leaving"
nsx h3 ping -c 2 -i 0.2 -W 1 10.2.0.4 >/dev/null || fail "blue stopped forwarding without its controller"
start_osken 6634
wait_for both_up 60 || fail "blue's controller did not come back"
[ "$(slicer_stat blue switches.0.connects)" -ge 2 ] || fail "no second connection"

info "2. the slicer is killed and restarted"
stop_slicer KILL
start_slicer
[ "$(slicer slice list | grep -c name=)" -eq 2 ] || fail "slices not restored"
wait_for both_up 60 || { tail "$LT_DIR/slicer.log" >&2; fail "switch and controllers did not reconnect"; }
wait_for "[ \"\$(slicer_stat blue switches.0.flows)\" -ge $(wc -l <"$LT_DIR/blue-0.txt") ]" 20 ||
    fail "the slicer did not relearn blue's flows ($(slicer_stat blue switches.0.flows))"
nsx h3 ping -c 2 -i 0.2 -W 1 10.2.0.4 >/dev/null || fail "blue broken after the slicer restart"
nsx h1 ping -c 2 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "red broken after the slicer restart"
slice_flows 2 >"$LT_DIR/blue-1.txt"

info "3. ovs-vswitchd restarts empty"
stop_vswitchd
start_vswitchd
wait_for "ofctl dump-flows br0 | grep -q cookie=0x2" 30 || fail "no flows after the OVS restart"
wait_for "[ -z \"\$(slice_flows 2 | comm -23 '$LT_DIR/blue-1.txt' -)\" ]" 10 ||
    { slice_flows 2 | comm -23 "$LT_DIR/blue-1.txt" - >&2; fail "blue's flows were not pushed again"; }
grep -q 'pushed .* recorded flows again' "$LT_DIR/slicer.log" || fail "no re-push logged"
wait_for both_up 60 || fail "controllers did not come back after the OVS restart"
nsx h3 ping -c 2 -i 0.2 -W 1 10.2.0.4 >/dev/null || fail "blue broken after the OVS restart"
nsx h1 ping -c 2 -i 0.2 -W 1 10.1.0.2 >/dev/null || fail "red broken after the OVS restart"
check_flows_in_slices >"$LT_DIR/bad-flows.txt"
[ -s "$LT_DIR/bad-flows.txt" ] && { head "$LT_DIR/bad-flows.txt" >&2; fail "flows outside their slice"; }
pass
