/* Helpers for the fuzzing targets, shared by the driver and libFuzzer
 * builds.  See fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *
fuzz_temp_file(const uint8_t *data, size_t size)
{
    /* A memfd, named by its /proc path: no disk, no flush on rewrite. */
    static char path[64];
    static int fd = -1;
    size_t done = 0;

    if (fd < 0) {
        fd = memfd_create("lamina-fuzz", MFD_CLOEXEC);
        if (fd < 0) {
            abort();            /* the harness, not the target, failed */
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0)) {
        abort();
    }
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, done);
        if (n <= 0) {
            abort();
        }
        done += n;
    }
    return path;
}

char *
fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s) {
        abort();
    }
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
