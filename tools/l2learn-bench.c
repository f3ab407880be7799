/*
 * l2learn-bench: the l2learn plane's cut-through pair (pair() of
 * dataplane/fp_l2learn.c) alone, on the frames of issue 17's l2learn rows,
 * timed in cycles per packet.
 *
 *     lamina-pcapgen --out-a a.pcap --out-b b.pcap --macs 1024 --size imix
 *     l2learn-bench [--rounds R] [--table N] a.pcap b.pcap
 *
 * Side a's frames enter on vport 0, side b's on vport 1, a burst of 32
 * from one side at a time, the sides alternating, as the switch takes
 * them from two net_pcap ports.  Each frame is first copied from the
 * stored file into a receive buffer of 2,048 bytes (the driver's copy:
 * outside the timing, but in the caches as it is in the switch), two
 * bursts' worth of buffers used in turn, as the mempool's per-core cache
 * hands the same ones back.  The table
 * has N entries (default 4 x the stations, as bench-traffic.sh sizes it).
 *
 * Prints one JSON line: cycles per packet (TSC) of pair() in each round
 * (both files once), the best and median round, the best window of 8,192
 * packets and the tenth percentile of windows, the frames that went out
 * and a checksum of the verdicts (which must not change with an
 * optimization).  The plane alone resolves differences of a tenth of a
 * cycle that the whole switch, behind the driver's copy, cannot: compare
 * builds by the best window and its tenth percentile, alternating them.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include <jansson.h>
#include <rte_mbuf.h>

#include "dp_fp.h"
#include "tools-util.h"

#define BURST 32
#define BUF_SIZE 2048
#define HEADROOM 128
#define N_BUFS 64                   /* receive buffers, used round robin */
#define WINDOW 8192

struct side {
    uint8_t *file;                  /* the whole pcap file */
    uint32_t *off, *len;            /* each frame's place in it */
    uint32_t n;
};

static void
side_free(struct side *s)
{
    free(s->file);
    free(s->off);
    free(s->len);
    memset(s, 0, sizeof *s);
}

/* The records of pcap file 'p' of 'size' bytes: their number, or -1 with
 * the reason in '*why'; with 'off' and 'len', where each frame is. */
static long
index_pcap(const uint8_t *p, size_t size, uint32_t *off, uint32_t *len,
           const char **why)
{
    size_t at = 24;
    long n = 0;
    uint32_t magic, rec[4];

    if (size < 24 || (memcpy(&magic, p, 4), magic != 0xa1b2c3d4)) {
        *why = "not a pcap file (of this machine's byte order)";
        return -1;
    }
    while (at < size) {
        if (size - at < sizeof rec) {
            *why = "truncated record header";
            return -1;
        }
        memcpy(rec, p + at, sizeof rec);
        at += sizeof rec;
        if (rec[2] < 14 || rec[2] > BUF_SIZE - HEADROOM || rec[2] > size - at) {
            *why = rec[2] > size - at ? "truncated frame"
                                      : "a frame outside 14..1920 bytes";
            return -1;
        }
        if (off) {
            off[n] = at;
            len[n] = rec[2];
        }
        at += rec[2];
        n++;
    }
    if (!n) {
        *why = "no frames";
        return -1;
    }
    return n;
}

/* Reads the pcap file 'path' (as lamina-pcapgen writes it) into 's'.
 * Returns 0, or -1 with a message naming the file on stderr. */
static int
read_pcap(const char *path, struct side *s)
{
    const char *why = "out of memory";
    FILE *f = fopen(path, "rb");
    long size = -1, n;

    memset(s, 0, sizeof *s);
    if (!f) {
        perror(path);
        return -1;
    }
    if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)
        && (s->file = malloc(size + 1)) != NULL
        && fread(s->file, 1, size, f) != (size_t) size) {
        why = "cannot be read";
        free(s->file);
        s->file = NULL;
    }
    fclose(f);
    if (size < 0) {
        why = "cannot be read";
    } else if (s->file
               && (n = index_pcap(s->file, size, NULL, NULL, &why)) > 0
               && (s->off = malloc(n * sizeof *s->off)) != NULL
               && (s->len = malloc(n * sizeof *s->len)) != NULL) {
        s->n = index_pcap(s->file, size, s->off, s->len, &why);
        return 0;
    }
    fprintf(stderr, "l2learn-bench: %s: %s\n", path, why);
    side_free(s);
    return -1;
}

/* What the rounds measured. */
struct result {
    uint64_t *cyc;                  /* [1..rounds]: millicycles per packet */
    uint64_t *win;                  /* of each window of WINDOW packets */
    uint64_t n_win, w_used;
    uint64_t out, sum;
};

/* Runs round 0 (it learns every station and warms the caches; not
 * counted) and 'rounds' timed rounds of both sides' frames through the
 * pair of plane 'state'.  Returns 0, or -1 if the plane declined a
 * burst. */
static int
run(void *state, const struct side sd[2], unsigned rounds, struct rte_mbuf *mb,
    struct result *res)
{
    static const uint8_t is_vlink[2];
    struct dp_fp_ctx ctx = { .now_s = 1, .n_vports = 2, .is_vlink = is_vlink };
    uint64_t per_round = (uint64_t) sd[0].n + sd[1].n, w_cyc = 0, w_pk = 0;
    uint32_t pos[2] = { 0, 0 }, next_buf = 0;

    res->sum = 0xcbf29ce484222325ull;
    for (unsigned r = 0; r <= rounds; r++) {
        uint64_t done = 0, t_round = 0;
        unsigned side = 0;

        while (done < per_round) {
            const struct side *s = &sd[side];
            struct rte_mbuf *pkts[BURST];
            uint16_t n = 0;

            while (n < BURST && pos[side] < s->n) {
                struct rte_mbuf *m = &mb[next_buf++ % N_BUFS];
                uint32_t k = pos[side]++;

                m->data_off = HEADROOM;
                m->data_len = s->len[k];
                m->pkt_len = s->len[k];
                memcpy((uint8_t *) m->buf_addr + HEADROOM, s->file + s->off[k], s->len[k]);
                pkts[n++] = m;
            }
            if (pos[side] == s->n) {
                pos[side] = 0;
            }

            uint64_t bytes_in, bytes_out;
            uint64_t t0 = __rdtsc();
            uint16_t k = dp_fp_l2learn.pair(state, pkts, n, side, &ctx, &bytes_in,
                                            &bytes_out);
            uint64_t t = __rdtsc() - t0;

            if (k == DP_FP_PAIR_DECLINED) {
                return -1;
            }
            t_round += t;
            done += n;
            if (r) {
                res->out += k;
                res->sum = (res->sum ^ (k | (uint64_t) side << 16)) * 0x100000001b3ull;
                w_cyc += t;
                w_pk += n;
                if (w_pk >= WINDOW && res->w_used < res->n_win) {
                    res->win[res->w_used++] = w_cyc * 1000 / w_pk;
                    w_cyc = w_pk = 0;
                }
            }
            side ^= 1;
        }
        res->cyc[r] = t_round * 1000 / per_round;
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    static const struct option longopts[] = {
        { "rounds", required_argument, NULL, 'n' },
        { "table", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    static struct rte_mbuf mb[N_BUFS];
    unsigned rounds = 200, table = 0;
    struct side sd[2] = { { 0 }, { 0 } };
    struct result res = { 0 };
    uint8_t *bufs = NULL;
    void *state = NULL;
    int c, status = 1;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': rounds = strtoul(optarg, NULL, 10); break;
        case 't': table = strtoul(optarg, NULL, 10); break;
        default: argc = 0; break;               /* the usage */
        }
    }
    if (argc - optind != 2 || !rounds || rounds > 1000) {
        fprintf(stderr, "usage: l2learn-bench [--rounds R (1..1000, default 200)] "
                "[--table ENTRIES] A.pcap B.pcap\n");
        return 2;
    }
    if (read_pcap(argv[optind], &sd[0]) || read_pcap(argv[optind + 1], &sd[1])) {
        goto out;
    }
    if (!table) {
        table = 4 * (sd[0].n > sd[1].n ? sd[0].n : sd[1].n);
    }

    json_t *config = json_pack("{s:i}", "mac_table_size", (int) table);
    struct dp_error err = { { 0 } };
    int error = dp_fp_l2learn.create(config, &state, &err);

    json_decref(config);
    if (error) {
        fprintf(stderr, "l2learn-bench: %s\n", err.msg);
        goto out;
    }

    /* The receive buffers: mbufs outside any pool, as the plane sees
     * them (it reads the data pointer and the lengths only). */
    uint64_t per_round = (uint64_t) sd[0].n + sd[1].n;
    res.n_win = (uint64_t) rounds * (per_round / WINDOW + 2);
    res.win = calloc(res.n_win, sizeof *res.win);
    res.cyc = calloc(rounds + 1, sizeof *res.cyc);
    bufs = aligned_alloc(64, (size_t) N_BUFS * BUF_SIZE);
    if (!res.win || !res.cyc || !bufs) {
        fprintf(stderr, "l2learn-bench: out of memory\n");
        goto out;
    }
    for (unsigned i = 0; i < N_BUFS; i++) {
        mb[i].buf_addr = bufs + (size_t) i * BUF_SIZE;
        mb[i].buf_len = BUF_SIZE;
        mb[i].nb_segs = 1;
    }
    if (run(state, sd, rounds, mb, &res)) {
        fprintf(stderr, "l2learn-bench: the plane declined a burst (a tagged "
                "or short frame): the pair does not take such traffic\n");
        goto out;
    }

    qsort(res.cyc + 1, rounds, sizeof *res.cyc, tools_cmp_u64);
    qsort(res.win, res.w_used, sizeof *res.win, tools_cmp_u64);
    /* No window when the rounds hold fewer than WINDOW packets: null. */
    char best_w[32] = "null", p10_w[32] = "null";
    if (res.w_used) {
        snprintf(best_w, sizeof best_w, "%.2f", res.win[0] / 1000.0);
        snprintf(p10_w, sizeof p10_w, "%.2f", res.win[res.w_used / 10] / 1000.0);
    }
    printf("{\"frames_a\": %u, \"frames_b\": %u, \"table\": %u, \"rounds\": %u, "
           "\"cycles_per_packet\": {\"best_round\": %.2f, \"median_round\": %.2f, "
           "\"best_window\": %s, \"p10_window\": %s}, \"out\": %" PRIu64
           ", \"checksum\": \"%016" PRIx64 "\"}\n",
           sd[0].n, sd[1].n, table, rounds, res.cyc[1] / 1000.0,
           res.cyc[1 + rounds / 2] / 1000.0, best_w, p10_w, res.out, res.sum);
    status = 0;
out:
    if (state) {
        dp_fp_l2learn.destroy(state);
    }
    free(bufs);
    free(res.win);
    free(res.cyc);
    side_free(&sd[0]);
    side_free(&sd[1]);
    return status;
}
