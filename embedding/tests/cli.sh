#!/bin/sh
# `lamina vne` front end: help everywhere, clear errors with the right exit
# status (0 ok, 1 failure, 2 usage), and the JSON summary's fields.
# usage: cli.sh LAMINA_BINARY SOURCE_ROOT
set -u
lamina=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() {      # expect STATUS PATTERN COMMAND...: exit status and output
    want=$1 pattern=$2
    shift 2
    "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" != "$want" ] || ! grep -q -- "$pattern" "$tmp/out"; then
        echo "FAIL: $* -> status $got (want $want), output:"
        cat "$tmp/out"
        fail=1
    fi
}

inst=$src/data/vne/instances/geant-l016-s0.json
expect 0 "simulate" "$lamina" vne --help
expect 2 "usage" "$lamina" vne
expect 0 "--instance FILE" "$lamina" vne simulate --help
expect 0 "--substrate FILE" "$lamina" vne embed --help
expect 0 "--markdown" "$lamina" vne compare --help
expect 0 "lamina.*default" "$lamina" vne algos
expect 2 "unknown command 'frobnicate'" "$lamina" vne frobnicate
expect 2 "unknown algorithm 'nope'" "$lamina" vne simulate --instance "$inst" --algo nope
expect 2 "--instance FILE is required" "$lamina" vne simulate
expect 2 "needs a count" "$lamina" vne simulate --instance "$inst" --requests x
expect 1 "missing.json: No such file" "$lamina" vne simulate --instance "$tmp/missing.json"
printf '{"format": "lamina-vne-instance/1", "substrate": {"nodes": [], "links": []}}' >"$tmp/bad.json"
expect 1 "bad.json: substrate: no nodes" "$lamina" vne simulate --instance "$tmp/bad.json"
python3 - "$inst" "$tmp/long.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d['requests'][0]['lifetime'] = 1e308
json.dump(d, open(sys.argv[2], 'w'))
PY
expect 1 'long.json: requests\[0\]: "lifetime" 1e+308 is larger' "$lamina" vne simulate --instance "$tmp/long.json" --json
printf 'graph [\n node [ id 0 ]\n edge [ source 0 target 9 ]\n]\n' >"$tmp/bad.gml"
printf '{"nodes": [{"id": 0, "cpu": 1}], "links": []}' >"$tmp/req.json"
expect 1 "bad.gml:3: edge target 9 names no node" "$lamina" vne embed --substrate "$tmp/bad.gml" --request "$tmp/req.json"
printf 'graph [\n directed 0\n]\n' >"$tmp/empty.gml"
expect 1 "empty.gml:1: the graph has no nodes" "$lamina" vne embed --substrate "$tmp/empty.gml" --request "$tmp/req.json"
expect 1 "empty.gml:1: the graph has no nodes" "$lamina" topo import "$tmp/empty.gml"
printf 'graph [\n node [ id 0 Latitude 1000 Longitude 0 ]\n]\n' >"$tmp/far.gml"
expect 1 "far.gml:2: node Latitude 1000 is out of range" "$lamina" topo import "$tmp/far.gml"

# One request into a Topology Zoo substrate, with a location constraint.
printf '{"nodes": [{"id": 0, "cpu": 10, "allowed": [3]}, {"id": 1, "cpu": 10}],
         "links": [{"src": 0, "dst": 1, "bw": 20}]}' >"$tmp/req2.json"
expect 0 "virtual node 0 (cpu 10) -> substrate node 3" "$lamina" vne embed \
    --substrate "$src/data/topology-zoo/Geant2012.gml" --request "$tmp/req2.json"
expect 1 "rejected: cpu" "$lamina" vne embed --cpu 5 \
    --substrate "$src/data/topology-zoo/Geant2012.gml" --request "$tmp/req2.json"

# The JSON summary has the promised fields; the CSV one row per event.
"$lamina" vne simulate --instance "$inst" --requests 50 --json --csv "$tmp/ev.csv" >"$tmp/sum.json" || fail=1
python3 - "$tmp/sum.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
for k in ('rac', 'lrc', 'lar', 'accepted', 'arrived', 'ms_per_request'):
    assert k in d, k
assert d['arrived'] == 50
PY
rows=$(($(wc -l <"$tmp/ev.csv") - 1))
[ "$rows" = 100 ] || { echo "FAIL: CSV has $rows event rows, want 100"; fail=1; }
exit $fail
