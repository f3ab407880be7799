#!/bin/bash
# metrics-prometheus: lamina-switchd serves its counters at /metrics
# (--metrics); `promtool check metrics` accepts the exposition; a real
# Prometheus server scrapes the switch every second and its query API
# answers a rate > 0 for the slice that carries pings, and no rate for the
# idle one.  Slice counters are per switch (label "switch").
. "$(dirname "$0")/lib.sh"
lt_init metrics-prometheus 120

command -v promtool >/dev/null || skip "promtool is not installed (prometheus)"
command -v prometheus >/dev/null || skip "prometheus is not installed"
command -v curl >/dev/null || skip "curl is not installed"

MPORT=$(lt_free_port)
ns_add a
ns_add b
veth_add a eth0 va 02:00:00:00:00:01 10.0.0.1/24
veth_add b eth0 vb 02:00:00:00:00:02 10.0.0.2/24

start_switchd --metrics "127.0.0.1:$MPORT"
lamina switch add s1 || fail "switch add"
lamina port add s1 pa "$(af_packet_devargs va)" || fail "port add pa"
lamina port add s1 pb "$(af_packet_devargs vb)" || fail "port add pb"
lamina slice add red || fail "slice add red"
lamina slice add idle || fail "slice add idle"
lamina vnode add red s1 || fail "vnode add"
lamina vport add red s1 a pa || fail "vport add a"
lamina vport add red s1 b pb || fail "vport add b"

URL=http://127.0.0.1:$MPORT/metrics
curl -sf -D "$LT_DIR/headers" -o "$LT_DIR/metrics.txt" "$URL" || fail "GET $URL"
grep -qi '^content-type: text/plain; version=0.0.4' "$LT_DIR/headers" ||
    fail "wrong content type: $(cat "$LT_DIR/headers")"
promtool check metrics <"$LT_DIR/metrics.txt" >"$LT_DIR/promtool.out" 2>&1 ||
    fail "promtool refuses the exposition: $(head -5 "$LT_DIR/promtool.out")"
for m in 'lamina_slice_rx_packets_total{slice="red",switch="s1"}' \
         'lamina_slice_drops_total{slice="red",switch="s1",reason="policer"}' \
         'lamina_slice_mbufs_held{slice="red"}' \
         'lamina_slice_gso_held{slice="red"}' \
         'lamina_port_drops_total{switch="s1",port="pa",reason="no-binding"}' \
         'lamina_vport_tx_packets_total{slice="red",switch="s1",vport="b"}' \
         'lamina_queue_packets{slice="red",switch="s1",port="pb"}'; do
    grep -qF "$m " "$LT_DIR/metrics.txt" || fail "no sample $m"
done
# Off by default and loopback only: the listener is on 127.0.0.1.
ss -ltn "sport = :$MPORT" | grep -q "127.0.0.1:$MPORT" || fail "metrics not on loopback"

# A real Prometheus scraping the switch every second.
PPORT=$(lt_free_port)
mkdir -p "$LT_DIR/prom"
cat >"$LT_DIR/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lamina-switchd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
bg_start prometheus --config.file="$LT_DIR/prom/prometheus.yml" \
    --storage.tsdb.path="$LT_DIR/prom/data" \
    --web.listen-address="127.0.0.1:$PPORT" >"$LT_DIR/prometheus.log" 2>&1
PROM=http://127.0.0.1:$PPORT
wait_for "curl -sf $PROM/-/ready" 30 || fail "prometheus did not start: $(tail -5 "$LT_DIR/prometheus.log")"

# Traffic in red while Prometheus scrapes.
wait_for "nsx a ping -c 1 -W 1 10.0.0.2" 20 || fail "a cannot reach b in red"
bg_start ip netns exec "$(ns a)" ping -q -i 0.05 -w 60 10.0.0.2
PING_PID=$LT_LAST_PID

# query EXPR: the first value of an instant query, or nothing.
query() {
    curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
red_rate() {
    local v
    v=$(query 'rate(lamina_slice_rx_packets_total{slice="red",switch="s1"}[5s])')
    [ -n "$v" ] && awk -v v="$v" 'BEGIN {exit !(v > 0)}'
}
wait_for red_rate 40 || fail "prometheus has no rate > 0 for red: $(query 'lamina_slice_rx_packets_total')"
info "red's rate in prometheus: $(query 'rate(lamina_slice_rx_packets_total{slice="red"}[5s])') packets/s"
idle=$(query 'rate(lamina_slice_rx_packets_total{slice="idle"}[5s])')
[ -z "$idle" ] || awk -v v="$idle" 'BEGIN {exit !(v == 0)}' || fail "idle slice has rate $idle"
up=$(query 'up{job="lamina-switchd"}')
[ "$up" = 1 ] || fail "scrape target is not up: '$up'"
lt_stop_pid "$PING_PID"
pass "red at $(query 'rate(lamina_slice_rx_packets_total{slice="red"}[5s])') packets/s"
