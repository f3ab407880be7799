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

# A topology file of `lamina topo` as the substrate: CPU from the switches,
# bandwidth from the link rates (1G = 1000).  The mapping is checked here
# against the file itself, apart from libvne's reader.
topo=$src/topologies/examples/abilene.topo
printf '{"nodes": [{"id": 0, "cpu": 60, "allowed": [3]}, {"id": 1, "cpu": 90},
                   {"id": 2, "cpu": 40}, {"id": 3, "cpu": 100}],
         "links": [{"src": 0, "dst": 1, "bw": 600}, {"src": 1, "dst": 2, "bw": 700},
                   {"src": 2, "dst": 3, "bw": 300}, {"src": 3, "dst": 0, "bw": 500}]}' >"$tmp/req3.json"
expect 0 "virtual node 0 (cpu 60) -> substrate node 3 (s3)" "$lamina" vne embed \
    --substrate "$topo" --request "$tmp/req3.json"
"$lamina" vne embed --substrate "$topo" --request "$tmp/req3.json" --json >"$tmp/m3.json" || fail=1
cat >"$tmp/check_topo.py" <<'PY'
import json, re, sys
sw, cpu, bw = {}, [], {}
for line in open(sys.argv[1]):
    w = line.split('#')[0].split()
    if w and w[0] == 'switch':
        sw[w[1]] = len(cpu)
        cpu.append(float(re.search(r'cpu=(\S+)', line).group(1)))
    elif w and w[0] == 'link':
        rate = re.search(r'rate=(\d+)G', line).group(1)
        bw[frozenset((sw[w[1]], sw[w[2]]))] = int(rate) * 1000
req, m = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
assert m['accepted']
host = {int(k): v for k, v in m['nodes'].items()}
assert len(set(host.values())) == len(host) == len(req['nodes'])
assert host[0] == 3
for n in req['nodes']:
    assert n['cpu'] <= cpu[host[n['id']]]
used = {}
for vl, ml in zip(req['links'], m['links']):
    p = ml['path']
    assert p[0] == host[vl['src']] and p[-1] == host[vl['dst']], (vl, p)
    assert len(set(p)) == len(p)
    for a, b in zip(p, p[1:]):
        e = frozenset((a, b))
        assert e in bw, ('no link', a, b)
        used[e] = used.get(e, 0) + vl['bw']
for e, u in used.items():
    assert u <= bw[e], ('overbooked', sorted(e), u)
PY
python3 "$tmp/check_topo.py" "$topo" "$tmp/req3.json" "$tmp/m3.json" || fail=1
# The same request across 2 and 3 InPs of the same map (multi-domain), with
# both kinds of advertisements: a valid mapping on the whole map.
for k in 2 3; do
    for adv in full abstract; do
        "$lamina" vne embed --substrate "$topo" --request "$tmp/req3.json" --inps $k \
            --advertise $adv --json >"$tmp/md.json" || fail=1
        python3 "$tmp/check_topo.py" "$topo" "$tmp/req3.json" "$tmp/md.json" ||
            { echo "FAIL: --inps $k --advertise $adv"; fail=1; }
    done
done
expect 0 "accepted across" "$lamina" vne embed --substrate "$topo" --request "$tmp/req3.json" --inps 2
expect 2 "--inps needs a number of InPs" "$lamina" vne embed --substrate "$topo" --request "$tmp/req3.json" --inps 0
expect 2 "--advertise must be full or abstract" "$lamina" vne simulate --instance "$inst" --inps 2 --advertise some
expect 1 "cannot split 11 nodes across 12 InPs" "$lamina" vne embed --substrate "$topo" --request "$tmp/req3.json" --inps 12
# A multi-domain run prints itself beside the merged substrate's.
"$lamina" vne simulate --instance "$inst" --requests 60 --inps 3 --advertise abstract --check \
    --json >"$tmp/md-sum.json" 2>"$tmp/md-err" || { cat "$tmp/md-err"; fail=1; }
grep -q "checker: OK" "$tmp/md-err" || { echo "FAIL: md run not checked"; fail=1; }
python3 - "$tmp/md-sum.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
assert d['inps'] == 3 and d['advertise'] == 'abstract', d
assert d['arrived'] == 60 and d['price'] > 0
assert 0 < d['rac'] <= 1 and 0 < d['merged']['rac'] <= 1, d
PY
# Past what the 1G links carry: rejected, naming bandwidth.
sed 's/"bw": 700/"bw": 1700/' "$tmp/req3.json" >"$tmp/req4.json"
expect 1 "rejected: bw" "$lamina" vne embed --substrate "$topo" --request "$tmp/req4.json"
printf 'topology x\nswitch a\nlink a b\n' >"$tmp/bad.topo"
expect 1 "bad.topo:3:" "$lamina" vne embed --substrate "$tmp/bad.topo" --request "$tmp/req.json"

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
