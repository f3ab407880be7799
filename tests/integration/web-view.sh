#!/bin/bash
# web-view: the live view served by lamina-switchd (--metrics, --web-map)
# loaded in headless Chromium: the switches (laid out by the map's
# coordinates), the link, the hosts and the slice's overlay are drawn, the
# slice is listed, and while pings flow the slice's rate and the link's
# rate are above zero.  A screenshot is kept in the test's directory.
# Then the same page served by lamina-brokerd (/view, its picture at
# /v1/view behind the token): two InPs drawn as groups of their nodes, the
# link between them, and an active lease across both (its nodes, its
# paths, its row with the state).
. "$(dirname "$0")/lib.sh"
lt_init web-view 120

CHROMIUM=$(command -v chromium || command -v chromium-browser) ||
    skip "chromium is not installed"
command -v curl >/dev/null || skip "curl is not installed"

ns_add a
ns_add b
veth_add a eth0 va 02:00:00:00:00:01 10.0.0.1/24
veth_add b eth0 vb 02:00:00:00:00:02 10.0.0.2/24
cat >"$LT_DIR/map.gml" <<'GML'
graph [
  node [ id 1 label "Lisbon" Latitude 38.7 Longitude -9.1 ]
  node [ id 2 label "Berlin" Latitude 52.5 Longitude 13.4 ]
  edge [ source 1 target 2 ]
]
GML

MPORT=$(lt_free_port)
start_switchd --metrics "127.0.0.1:$MPORT" --web-map "$LT_DIR/map.gml"
lamina switch add s1 || fail "switch add s1"
lamina switch add s2 || fail "switch add s2"
lamina link add l12 s1:to-s2 s2:to-s1 || fail "link add"
lamina port add s1 pa "$(af_packet_devargs va)" || fail "port add pa"
lamina port add s2 pb "$(af_packet_devargs vb)" || fail "port add pb"
lamina slice add red || fail "slice add red"
lamina vnode add red s1 || fail "vnode add s1"
lamina vnode add red s2 || fail "vnode add s2"
lamina vport add red s1 a pa || fail "vport add a"
lamina vport add red s2 b pb || fail "vport add b"
lamina vlink add red wan --path s1,s2 || fail "vlink add"

URL=http://127.0.0.1:$MPORT/
curl -sf "$URL" | grep -q "<svg id=\"map\"" || fail "GET $URL: no page"
curl -sf "${URL}view.json" >"$LT_DIR/view.json" || fail "GET view.json"
python3 - "$LT_DIR/view.json" <<'PY' || fail "view.json: $(cat "$LT_DIR/view.json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert [s["name"] for s in v["switches"]] == ["s1", "s2"], v["switches"]
assert v["switches"][0]["label"] == "Lisbon" and v["switches"][0]["x"] == -9.1
assert v["links"][0]["name"] == "l12"
assert v["slices"][0]["vlinks"][0]["path"] == ["s1", "s2"]
PY

wait_for "nsx a ping -c 1 -W 1 10.0.0.2" 20 || fail "a cannot reach b in red"
bg_start ip netns exec "$(ns a)" ping -q -i 0.02 -w 100 10.0.0.2
PING_PID=$LT_LAST_PID

# Headless Chromium driven over its DevTools port (tests/integration/
# cdp.py): the page runs 6 s of real time, getting an event a second.
CPORT=$(lt_free_port)
mkdir -p "$LT_DIR/chrome"
# TMPDIR: Chromium's own scratch directory goes with the test's files.
bg_start env TMPDIR="$LT_DIR" "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --user-data-dir="$LT_DIR/chrome" --window-size=1000,800 \
    --remote-debugging-address=127.0.0.1 --remote-debugging-port="$CPORT" \
    about:blank 2>>"$LT_DIR/chromium.log" >/dev/null
timeout 60 python3 "$(dirname "$0")/cdp.py" "$CPORT" "$URL" 6 \
    "$LT_DIR/dom.html" "$LT_DIR/web-view.png" ||
    fail "driving chromium failed: $(tail -3 "$LT_DIR/chromium.log")"
python3 - "$LT_DIR/dom.html" <<'PY' || fail "the page is not right (dom.html kept)"
import re, sys
dom = open(sys.argv[1]).read()
def count(cls):
    return len(re.findall(r'class="%s[ "]' % cls, dom))
checks = {"switch": 2, "link": 1, "host": 2, "slice-row": 1}
for cls, n in checks.items():
    got = count(cls)
    print("%s: %d" % (cls, got))
    assert got == n, "%d elements of class %s, not %d" % (got, cls, n)
assert 'id="sw-s1"' in dom and 'id="sw-s2"' in dom and 'id="link-l12"' in dom
assert 'class="slice-path"' in dom and 'data-slice="red"' in dom
events = int(re.search(r'data-events="(\d+)"', dom).group(1))
rx = float(re.search(r'id="slice-red"[^>]*data-rx-rate="([0-9.e+]+)"', dom).group(1))
link = float(re.search(r'id="link-l12"[^>]*data-rate="([0-9.e+]+)"', dom).group(1))
print("events %d, red rx rate %.1f packets/s, link l12 %.0f bit/s" % (events, rx, link))
assert events >= 2, "only %d updates" % events
assert rx > 0, "red's rate is 0 while pings flow"
assert link > 0, "the link's rate is 0 while pings flow"
srate = float(re.search(r'class="slice-path" data-slice="red" data-link="l12" data-rate="([0-9.e+]+)"', dom).group(1))
print("red on l12: %.0f bit/s" % srate)
assert srate > 0, "red's rate on l12 is 0 while pings flow"
PY
[ -s "$LT_DIR/web-view.png" ] || fail "no screenshot"
# Keep the artefact where the test's runs are kept.
mkdir -p "$LT_BUILD/meson-logs"
cp "$LT_DIR/web-view.png" "$LT_BUILD/meson-logs/web-view.png"
lt_stop_pid "$PING_PID"

# ---- The broker's view: InPs as groups, the link between them, a lease.
# lamina-brokerd with two InP peers (broker-fake-inp.py plays the agents'
# side of the two-phase commit) and one lease across both.
BRK=$LT_BUILD/broker/lamina-brokerd
[ -x "$BRK" ] || fail "lamina-brokerd is not built"
BASE=$(lt_free_port_range 3)
PB=$BASE; PA=$((BASE + 1)); PBB=$((BASE + 2))
U=http://127.0.0.1:$PB
offer() {  # NAME NODE1 NODE2 BORDER PEER PEER-BORDER AP
    cat <<EOF
{"name": "$1", "advertise": "full", "max_lease_s": 86400,
 "nodes": [{"name": "$2", "cpu": 100}, {"name": "$3", "cpu": 100}],
 "links": [{"a": "$2", "b": "$3", "bandwidth": "1G"}],
 "access": [{"name": "$7", "node": "$2", "port": "h1"}],
 "borders": [{"name": "$4", "node": "$3", "port": "to-peer", "peer_inp": "$5",
              "peer_border": "$6", "bandwidth": "1G", "labels": [1000, 1999]}]}
EOF
}
offer inp-a s1 s2 ab inp-b ba a1 >"$LT_DIR/offer-a.json"
offer inp-b t1 t2 ba inp-a ab b1 >"$LT_DIR/offer-b.json"
HERE=$(cd "$(dirname "$0")" && pwd)
bg_start python3 "$HERE/broker-fake-inp.py" "$PA" agent-a "$LT_DIR/offer-a.json"
bg_start python3 "$HERE/broker-fake-inp.py" "$PBB" agent-b "$LT_DIR/offer-b.json"
bg_start "$BRK" --listen "127.0.0.1:$PB" --db "$LT_DIR/broker.db" \
    --admin-token-file "$LT_DIR/admin.tok" --heartbeat 60 --missed 3 2>>"$LT_DIR/brokerd.log"
wait_for "curl -s -o /dev/null $U/v1/status" 10 || fail "brokerd did not start"
for p in "$PA:agent-a" "$PBB:agent-b"; do
    wait_for "curl -sf -H 'Authorization: Bearer ${p#*:}' http://127.0.0.1:${p%%:*}/v1/leases" 10 ||
        fail "fake InP ${p#*:} did not start"
done
ADMIN=$(cat "$LT_DIR/admin.tok")
post() {  # PATH TOKEN BODY -> the answer's JSON
    curl -sf -X POST -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        --data-binary "$3" "$U$1"
}
for p in inp-a:inp inp-b:inp sp1:sp; do
    post /v1/principals "$ADMIN" "{\"name\": \"${p%%:*}\", \"role\": \"${p##*:}\"}" |
        json_get token >"$LT_DIR/${p%%:*}.tok" || fail "principal ${p%%:*}"
done
post /v1/inps "$(cat "$LT_DIR/inp-a.tok")" "{\"name\": \"inp-a\", \"endpoint\": \"http://127.0.0.1:$PA\",
    \"agent_token\": \"agent-a\", \"offer\": $(cat "$LT_DIR/offer-a.json")}" >/dev/null || fail "register inp-a"
post /v1/inps "$(cat "$LT_DIR/inp-b.tok")" "{\"name\": \"inp-b\", \"endpoint\": \"http://127.0.0.1:$PBB\",
    \"agent_token\": \"agent-b\", \"offer\": $(cat "$LT_DIR/offer-b.json")}" >/dev/null || fail "register inp-b"
post /v1/requests "$(cat "$LT_DIR/sp1.tok")" '{"idempotency_key": "view-1",
    "nodes": [{"name": "left", "cpu": 10}, {"name": "right", "cpu": 10}],
    "links": [{"endpoints": ["left", "right"], "bandwidth": "10M"}],
    "access": [{"name": "h1", "node": "left", "at": "inp-a/a1"},
               {"name": "h2", "node": "right", "at": "inp-b/b1"}],
    "time": {"start": "now", "duration": "1h"}}' >"$LT_DIR/lease.json" ||
    fail "lease request: $(tail -3 "$LT_DIR/brokerd.log")"
LEASE=$(json_get id <"$LT_DIR/lease.json")
[ "$(json_get state <"$LT_DIR/lease.json")" = active ] || fail "lease not active: $(cat "$LT_DIR/lease.json")"

# The picture needs a token; the page does not (it holds no data).
[ "$(curl -s -o /dev/null -w '%{http_code}' "$U/v1/view")" = 401 ] || fail "/v1/view without a token"
curl -sf "$U/view" | grep -q "<svg id=\"map\"" || fail "GET /view: no page"
curl -sf -H "Authorization: Bearer $ADMIN" "$U/v1/view" >"$LT_DIR/bview.json" || fail "GET /v1/view"
python3 - "$LT_DIR/bview.json" "$LEASE" <<'PY' || fail "/v1/view: $(head -c 800 "$LT_DIR/bview.json")"
import json, sys
v = json.load(open(sys.argv[1]))
assert [i["name"] for i in v["inps"]] == ["inp-a", "inp-b"], v["inps"]
assert v["inps"][0]["switches"] == ["inp-a/s1", "inp-a/s2"], v["inps"][0]
inter = [l for l in v["links"] if l.get("inter")]
assert len(inter) == 1 and inter[0]["a"] == "inp-a/s2" and inter[0]["b"] == "inp-b/t2", inter
lease = v["slices"][0]
assert lease["name"] == sys.argv[2] and lease["state"] == "active", lease
assert sorted(lease["switches"]) == ["inp-a/s1", "inp-b/t1"], lease
hops = {tuple(vl["path"]) for vl in lease["vlinks"]}
assert ("inp-a/s2", "inp-b/t2") in hops, hops
PY
# An InP sees only its own part of a lease.
curl -sf -H "Authorization: Bearer $(cat "$LT_DIR/inp-a.tok")" "$U/v1/view" >"$LT_DIR/iview.json" ||
    fail "GET /v1/view (inp-a)"
python3 -c 'import json, sys
l = json.load(open(sys.argv[1]))["slices"][0]
assert l["switches"] == ["inp-a/s1"], l
# its own paths and the hop over its border, nothing inside inp-b
assert "inp-b/t1" not in [n for vl in l["vlinks"] for n in vl["path"]], l' "$LT_DIR/iview.json" ||
    fail "inp-a sees more than its part: $(cat "$LT_DIR/iview.json")"

timeout 60 python3 "$(dirname "$0")/cdp.py" "$CPORT" "$U/view#token=$ADMIN" 3 \
    "$LT_DIR/bdom.html" "$LT_DIR/web-view-broker.png" ||
    fail "driving chromium (broker) failed: $(tail -3 "$LT_DIR/chromium.log")"
python3 - "$LT_DIR/bdom.html" "$LEASE" <<'PY' || fail "the broker's page is not right (bdom.html kept)"
import re, sys
dom, lease = open(sys.argv[1]).read(), sys.argv[2]
def count(cls):
    return len(re.findall(r'class="%s[ "]' % cls, dom))
for cls, n in {"inp": 2, "switch": 4, "host": 2, "link inter": 1, "slice-row lease": 1}.items():
    got = count(cls)
    print("%s: %d" % (cls, got))
    assert got == n, "%d elements of class %s, not %d" % (got, cls, n)
assert 'id="inp-inp-a"' in dom and 'id="inp-inp-b"' in dom
assert re.search(r'id="slice-%s"[^>]*data-state="active"' % lease, dom), "no active lease row"
assert 'class="slice-node" data-slice="%s"' % lease in dom, "the lease's nodes are not drawn"
assert 'class="slice-path" data-slice="%s"' % lease in dom, "the lease's paths are not drawn"
assert int(re.search(r'data-events="(\d+)"', dom).group(1)) >= 2, "the page did not poll"
PY
cp "$LT_DIR/web-view-broker.png" "$LT_BUILD/meson-logs/web-view-broker.png"
pass "screenshots in $LT_BUILD/meson-logs/web-view{,-broker}.png"
