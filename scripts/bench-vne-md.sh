#!/bin/sh
# Multi-domain embedding benchmark (docs/performance-embedding.md): each
# shared instance split across 2, 3 and 4 InPs, with full and with
# abstracted advertisements, against the same requests embedded on the
# merged substrate as one InP (the upper bound).  Prints a Markdown table.
# Every multi-domain run is replayed through the independent checker.
# usage: scripts/bench-vne-md.sh [BUILD_DIR] [INSTANCE...]
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")/.." && pwd)
lamina=$build/cli/lamina
[ -x "$lamina" ] || { echo "bench-vne-md: $lamina not built" >&2; exit 1; }
if [ $# -eq 0 ]; then
    set -- "$src/data/vne/instances/wx100-l016-s0.json" \
           "$src/data/vne/instances/geant-l016-s0.json"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "| instance | InPs | advertised | RAC | merged RAC | RAC / merged | LRC | merged LRC | price | ms/request |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for inst in "$@"; do
    name=$(basename "$inst" .json)
    for k in 2 3 4; do
        for adv in full abstract; do
            LAMINA_NO_PROGRESS=1 "$lamina" vne simulate --instance "$inst" --inps $k \
                --advertise $adv --check --json >"$tmp/out.json" 2>"$tmp/err" || {
                cat "$tmp/err" >&2; exit 1; }
            grep -q "checker: OK" "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
            python3 - "$tmp/out.json" "$name" $k $adv <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d['merged']
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {d['rac']:.3f} | {m['rac']:.3f} "
      f"| {d['rac'] / m['rac']:.3f} | {d['lrc']:.3f} | {m['lrc']:.3f} | {d['price']:.0f} "
      f"| {d['ms_per_request']:.1f} |")
PY
        done
    done
done
