#!/bin/bash
# web-view: the live view served by lamina-switchd (--metrics, --web-map)
# loaded in headless Chromium: the switches (laid out by the map's
# coordinates), the link, the hosts and the slice's overlay are drawn, the
# slice is listed, and while pings flow the slice's rate and the link's
# rate are above zero.  A screenshot is kept in the test's directory.
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
bg_start "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
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
pass "screenshot in $LT_BUILD/meson-logs/web-view.png"
