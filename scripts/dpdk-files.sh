# dpdk-files.sh: what the shell harnesses (tests/integration/lib.sh and
# scripts/bench-lib.sh) remove after a DPDK process, as lib/dpdk_files.c
# does for the daemons: the file prefix's runtime directory and the
# hugepage files of a process that ran without --in-memory.

# dpdk_files_remove PREFIX
dpdk_files_remove() {
    local m
    rm -rf "/var/run/dpdk/$1"
    for m in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
        rm -f "$m/${1}map_"*
    done
}
