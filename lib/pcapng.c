/*
 * pcapng: a minimal pcapng writer; see pcapng.h and the format in
 * draft-ietf-opsawg-pcapng.
 */
#include "pcapng.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define PCAPNG_SHB 0x0a0d0d0a
#define PCAPNG_IDB 0x00000001
#define PCAPNG_EPB 0x00000006
#define PCAPNG_LINKTYPE_ETHERNET 1

struct pcapng {
    FILE *f;
    unsigned n_ifaces;
    int error;
};

static void
put(struct pcapng *w, const void *p, size_t n)
{
    if (!w->error && fwrite(p, 1, n, w->f) != n) {
        w->error = errno ? errno : EIO;
    }
}

static void
put32(struct pcapng *w, uint32_t v)
{
    put(w, &v, 4);      /* host order: the byte-order magic says which */
}

static void
put16(struct pcapng *w, uint16_t v)
{
    put(w, &v, 2);
}

static size_t
pad4(size_t n)
{
    return (n + 3) & ~(size_t) 3;
}

/* Writes option 'code' with 'len' bytes of 'v', padded. */
static void
put_option(struct pcapng *w, uint16_t code, const void *v, uint16_t len)
{
    static const uint8_t zeros[4];
    put16(w, code);
    put16(w, len);
    put(w, v, len);
    put(w, zeros, pad4(len) - len);
}

int
pcapng_open(const char *path, struct pcapng **wp, char *err, size_t errsize)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    struct pcapng *w;

    *wp = NULL;
    if (fd < 0) {
        int error = errno;
        snprintf(err, errsize, "%s: %s", path, strerror(error));
        return error;
    }
    w = xzalloc(sizeof *w);
    w->f = fdopen(fd, "w");
    if (!w->f) {
        int error = errno;
        close(fd);
        free(w);
        snprintf(err, errsize, "%s: %s", path, strerror(error));
        return error;
    }
    /* Section Header Block: no options, section length unknown. */
    put32(w, PCAPNG_SHB);
    put32(w, 28);
    put32(w, 0x1a2b3c4d);
    put16(w, 1);
    put16(w, 0);
    put32(w, 0xffffffff);
    put32(w, 0xffffffff);
    put32(w, 28);
    *wp = w;
    return 0;
}

unsigned
pcapng_interface(struct pcapng *w, const char *name, uint32_t snaplen)
{
    size_t nlen = strlen(name);
    uint8_t tsresol = 9;                        /* nanoseconds */
    uint32_t total = 20 + 4 + pad4(nlen) + 4 + 4 + 4;

    put32(w, PCAPNG_IDB);
    put32(w, total);
    put16(w, PCAPNG_LINKTYPE_ETHERNET);
    put16(w, 0);
    put32(w, snaplen);
    put_option(w, 2, name, nlen);               /* if_name */
    put_option(w, 9, &tsresol, 1);              /* if_tsresol */
    put32(w, 0);                                /* opt_endofopt */
    put32(w, total);
    return w->n_ifaces++;
}

int
pcapng_packet(struct pcapng *w, unsigned iface, uint64_t ts_ns,
              const void *data, uint32_t caplen, uint32_t origlen,
              enum pcapng_dir dir)
{
    static const uint8_t zeros[4];
    uint32_t flags = dir == PCAPNG_DIR_IN ? 1 : dir == PCAPNG_DIR_OUT ? 2 : 0;
    uint32_t total = 28 + pad4(caplen) + (flags ? 8 : 0) + 4 + 4;

    put32(w, PCAPNG_EPB);
    put32(w, total);
    put32(w, iface);
    put32(w, ts_ns >> 32);
    put32(w, (uint32_t) ts_ns);
    put32(w, caplen);
    put32(w, origlen);
    put(w, data, caplen);
    put(w, zeros, pad4(caplen) - caplen);
    if (flags) {
        put_option(w, 2, &flags, 4);            /* epb_flags */
    }
    put32(w, 0);
    put32(w, total);
    return w->error;
}

int
pcapng_flush(struct pcapng *w)
{
    if (!w->error && fflush(w->f)) {
        w->error = errno;
    }
    return w->error;
}

int
pcapng_close(struct pcapng *w)
{
    int error;

    if (!w) {
        return 0;
    }
    pcapng_flush(w);
    if (fclose(w->f) && !w->error) {
        w->error = errno;
    }
    error = w->error;
    free(w);
    return error;
}
