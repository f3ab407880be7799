/*
 * dpdk_files: what a DPDK process leaves on the file system, without DPDK.
 *
 * A DPDK primary process keeps a runtime directory (/var/run/dpdk/PREFIX
 * for root, named by its --file-prefix) and, with hugepages, one file per
 * page in each mounted hugetlbfs (PREFIXmap_N).  A process killed hard
 * leaves both behind; the next one with the same prefix reuses them, and
 * pages held by stale files are lost to everyone.  Every part that starts
 * or stops a DPDK process (lamina-switchd itself, the topology builder,
 * test helpers) probes hugepages and removes these files the same way,
 * through this module.  It is plain file work: lib/ has no DPDK
 * dependency, and a process that never initialized DPDK can clean up
 * after one that did.
 */
#ifndef LAMINA_DPDK_FILES_H
#define LAMINA_DPDK_FILES_H 1

/* Where DPDK's runtime directories of root live. */
#define DPDK_FILES_RUN_DIR "/var/run/dpdk"

/* Free hugepage memory in MB (HugePages_Free times Hugepagesize of
 * /proc/meminfo), or 0 when no hugetlbfs is mounted. */
unsigned long dpdk_files_hugepages_free_mb(void);

/* Removes the runtime directory 'runtime_dir' (when NULL,
 * DPDK_FILES_RUN_DIR/'prefix') with what it holds, and the hugepage files
 * 'prefix'map_* in every mounted hugetlbfs.  A 'runtime_dir' that is not
 * under a "dpdk" directory is left alone; 'prefix' may be NULL (only the
 * runtime directory is removed). */
void dpdk_files_remove(const char *runtime_dir, const char *prefix);

#endif /* LAMINA_DPDK_FILES_H */
