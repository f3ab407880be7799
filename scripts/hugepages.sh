#!/bin/sh
# Reserves 2 MiB hugepages for DPDK and mounts hugetlbfs, if the machine
# allows it.  When it does not (containers, no permission), Lamina's
# daemons fall back to DPDK's --no-huge mode on their own, so this script
# never fails the build: it only reports what it could do.
set -u

want=${LAMINA_HUGEPAGES:-512}
nr=/proc/sys/vm/nr_hugepages

if [ -w "$nr" ]; then
    have=$(cat "$nr")
    if [ "$have" -lt "$want" ]; then
        echo "$want" > "$nr" 2>/dev/null || true
    fi
fi

if ! grep -qs '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
    mkdir -p /dev/hugepages 2>/dev/null
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi

free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -gt 0 ] && grep -qs ' /dev/hugepages hugetlbfs' /proc/mounts; then
    echo "hugepages: ${free} free 2 MiB pages on /dev/hugepages"
else
    echo "hugepages: none available; DPDK runs with --no-huge"
fi
