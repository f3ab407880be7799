#!/bin/bash
# Flow quota and control-message rate limit on a real Open vSwitch bridge:
# both take effect and are reported to the controller as OpenFlow errors
# (OFPFMFC_TABLE_FULL, OFPBRC_EPERM), never as silent drops; the switch
# holds exactly the quota.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/slicer-lib.sh"
lt_init slicer-limits 120

slicer_world
slicer slice set red --max-flows 30 >/dev/null || fail "slice set"
# Each flow of red's IPv4 space becomes one flow per red port (1, 2, 5):
# 30 switch entries hold 10 of the controller's flows.
of_peer controller --listen 6633 quota --count 25 --match ipv4_src=10.1.0.0/24 \
    >"$LT_DIR/quota.json" 2>>"$LT_DIR/peer.log" || fail "quota controller"
cat "$LT_DIR/quota.json" >&2
[ "$(json_get by_error.OFPET_FLOW_MOD_FAILED/OFPFMFC_TABLE_FULL <"$LT_DIR/quota.json")" -eq 15 ] ||
    fail "expected 15 TABLE_FULL errors"
n=$(slice_flows 1 | wc -l)
[ "$n" -eq 30 ] || fail "red has $n flows on the bridge, quota 30"
[ "$(slicer_stat red switches.0.flows)" -eq 30 ] || fail "slicer counts $(slicer_stat red switches.0.flows) flows"
[ "$(slicer_stat red quota_refused)" -eq 15 ] || fail "quota_refused counter"

slicer slice set red --max-flows 0 --rate 50 --burst 10 >/dev/null || fail "slice set"
of_peer controller --listen 6633 burst --count 100 >"$LT_DIR/burst.json" \
    2>>"$LT_DIR/peer.log" || fail "burst controller"
cat "$LT_DIR/burst.json" >&2
limited=$(json_get by_error.OFPET_BAD_REQUEST/OFPBRC_EPERM <"$LT_DIR/burst.json")
replies=$(json_get replies <"$LT_DIR/burst.json")
[ "$((limited + replies))" -eq 100 ] || fail "$limited errors + $replies replies != 100 requests"
# (The controller's FEATURES_REQUEST took one token of the burst.)
[ "$limited" -ge 80 ] && [ "$replies" -ge 9 ] || fail "rate limit: $replies passed, $limited refused"
[ "$(slicer_stat red rate_limited)" -eq "$limited" ] || fail "rate_limited counter"
pass
