#!/bin/bash
# bench-conformance.sh: the OpenFlow 1.3 conformance run (not a test; the
# figures are in docs/openflow-switch.md).
#
#     scripts/bench-conformance.sh BUILD
#
# Every case of tests/integration/of_conformance.py (about 290, generated
# from tables: each OXM field matched exactly and masked, untagged and
# tagged, set where settable; push/pop VLAN/MPLS/PBB, TTL actions, groups,
# meters, table-miss, packet-out, counters, and errors with the
# specification's type and code) against a Lamina `openflow` vnode and,
# in the same run with the same tester, against Open vSwitch's userspace
# datapath (tests/integration/openflow-conformance.sh with
# LAMINA_CONFORMANCE=full does the work).  Prints per-group pass counts for
# both and the cases one passes and the other fails; the per-case results
# are in BUILD/conformance/{lamina,ovs}.json.  Exit status 1 if Open
# vSwitch passes a case Lamina fails.
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 1
mkdir -p "$BUILD/conformance"
echo "bench-conformance: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
LAMINA_BUILD=$BUILD LAMINA_CONFORMANCE=full LAMINA_CONFORMANCE_OUT=$BUILD/conformance \
    "$(dirname "$0")/../tests/integration/openflow-conformance.sh"
