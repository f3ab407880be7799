#!/bin/bash
# demo: `make demo` (scripts/demo.sh) run non-interactively, shortened
# (DEMO_FAST=1: shorter flood, fewer pings; the 40 s lease still expires
# live), on a broker port of its own, so that a broken demo fails CI.
# The demo checks what it shows (isolation by capture, MPLS labels on the
# inter-domain link, the lease's end on both InPs) and fails otherwise;
# it bounds itself in time and cleans up like every test (lib.sh).
here=$(cd "$(dirname "$0")" && pwd)
DEMO_FAST=1 DEMO_PORT=$(. "$here/lib.sh" && lt_free_port_range 3) \
    exec "$here/../../scripts/demo.sh" "${LAMINA_BUILD:-$here/../../build}"
