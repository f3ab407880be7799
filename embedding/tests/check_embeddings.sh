#!/bin/sh
# Runs every algorithm on a real shared instance (data/vne/instances/
# geant-l016-s0.json, GEANT, 1000 requests), writes the embeddings, and
# replays them with check_embeddings.py, the checker that ships with the
# data (Python, networkx): it must accept them and find the RAC, LRC and
# LAR that the simulator printed.  The exact MIP runs on the first 40
# requests only (a prefix instance written here), with 300 ms per request.
# The multi-domain embedding across 3 InPs is replayed the same way.
# usage: check_embeddings.sh LAMINA_BINARY SOURCE_ROOT
set -eu
lamina=$1
src=$2
checker=$src/data/vne/check_embeddings.py
inst=$src/data/vne/instances/geant-l016-s0.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! python3 -c 'import networkx' 2>/dev/null; then
    echo "python3-networkx missing: skipping"
    exit 77
fi

python3 - "$inst" "$tmp/prefix.json" <<'PY'
import json, sys
inst = json.load(open(sys.argv[1]))
inst['requests'] = inst['requests'][:40]
json.dump(inst, open(sys.argv[2], 'w'))
PY

fail=0
# check NAME INSTANCE SIMULATE_JSON EMBEDDINGS: the checker accepts the
# embeddings and finds the simulator's metrics.
check() {
    out=$(python3 "$checker" "$2" "$4" | tail -1)
    echo "$1: $out"
    case "$out" in
    *": OK "*) ;;
    *) echo "FAIL: check_embeddings.py rejected $1"; fail=1; return ;;
    esac
    python3 - "$3" "$out" <<'PY' || fail=1
import json, re, sys
sim = json.load(open(sys.argv[1]))
chk = dict(re.findall(r'(rac|lrc|lar)=([0-9.]+)', sys.argv[2]))
for k, v in chk.items():
    digits = len(v.split('.')[1])
    if abs(round(sim[k], digits) - float(v)) > 10 ** -digits:
        print('FAIL: %s %s: simulator %r, checker %s' % (sim['algo'], k, sim[k], v))
        sys.exit(1)
PY
}

for algo in $("$lamina" vne algos | awk '{print $1}'); do
    file=$inst
    extra=""
    if [ "$algo" = mip ]; then
        file=$tmp/prefix.json
        extra="--time-limit 300"
    fi
    # shellcheck disable=SC2086
    "$lamina" vne simulate --instance "$file" --algo "$algo" --json \
        --embeddings "$tmp/$algo.json" $extra >"$tmp/$algo.out"
    check "$algo" "$file" "$tmp/$algo.out" "$tmp/$algo.json"
done

# The multi-domain embedding (3 InPs, both kinds of advertisements): its
# mappings live on the merged substrate, so the same checker judges them.
for adv in full abstract; do
    "$lamina" vne simulate --instance "$inst" --inps 3 --advertise $adv --json \
        --embeddings "$tmp/md-$adv.json" >"$tmp/md-$adv.out"
    check "multi-domain, 3 InPs, $adv" "$inst" "$tmp/md-$adv.out" "$tmp/md-$adv.json"
done
exit $fail
