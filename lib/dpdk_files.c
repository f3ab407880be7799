/* dpdk_files: hugepage probing and DPDK runtime-file cleanup. */
#include "dpdk_files.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define MOD "dpdk_files"

unsigned long
dpdk_files_hugepages_free_mb(void)
{
    unsigned long free_pages = 0, page_kb = 0;
    bool mounted = false;
    char line[512];
    FILE *f;

    f = fopen("/proc/mounts", "r");
    while (f && fgets(line, sizeof line, f)) {
        mounted |= strstr(line, " hugetlbfs ") != NULL;
    }
    if (f) {
        fclose(f);
    }
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "HugePages_Free: %lu", &free_pages);
        sscanf(line, "Hugepagesize: %lu kB", &page_kb);
    }
    if (f) {
        fclose(f);
    }
    return mounted ? free_pages * page_kb / 1024 : 0;
}

static int
dpdk_files_remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void) sb;
    (void) flag;
    (void) ftw;
    if (remove(path) < 0 && errno != ENOENT) {
        LOG_WARN(MOD, "cannot remove %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Removes the hugepage files 'prefix'map_* of every mounted hugetlbfs. */
static void
dpdk_files_remove_hugepages(const char *prefix)
{
    size_t plen = strlen(prefix);
    char line[1024];
    FILE *f = fopen("/proc/mounts", "r");

    while (f && fgets(line, sizeof line, f)) {
        char mnt[512], type[64];
        struct dirent *de;
        DIR *d;

        if (sscanf(line, "%*s %511s %63s", mnt, type) != 2
            || strcmp(type, "hugetlbfs") || !(d = opendir(mnt))) {
            continue;
        }
        while ((de = readdir(d))) {
            if (!strncmp(de->d_name, prefix, plen)
                && !strncmp(de->d_name + plen, "map_", 4)) {
                char *path = xasprintf("%s/%s", mnt, de->d_name);
                if (unlink(path) < 0 && errno != ENOENT) {
                    LOG_WARN(MOD, "cannot remove %s: %s", path,
                             strerror(errno));
                }
                free(path);
            }
        }
        closedir(d);
    }
    if (f) {
        fclose(f);
    }
}

void
dpdk_files_remove(const char *runtime_dir, const char *prefix)
{
    char *dir = NULL;

    if (!runtime_dir && prefix && *prefix && !strchr(prefix, '/')) {
        runtime_dir = dir = xasprintf(DPDK_FILES_RUN_DIR "/%s", prefix);
    }
    if (runtime_dir && *runtime_dir && strstr(runtime_dir, "/dpdk/")) {
        nftw(runtime_dir, dpdk_files_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
    if (prefix && *prefix && !strchr(prefix, '/')) {
        dpdk_files_remove_hugepages(prefix);
    }
    free(dir);
}
