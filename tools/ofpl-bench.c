/*
 * ofpl-bench: the OpenFlow pipeline (dataplane/ofpl.h) alone, on the rules
 * and traffic of issue 17's OpenFlow rows, timed in cycles per packet.
 *
 *     ofpl-bench [--rules N] [--flows K] [--rounds R] [--emc E]
 *
 * The rules are those of scripts/bench-openflow.sh's make_flows_spread
 * (per direction: R, the largest power of 2 <= N/2, rules on in_port and
 * an IPv4 source prefix covering 10.<port>.0.0/16 at priority 10, and
 * N/2 - R exact /32 sources spread over them at priority 20); the frames
 * are those of tools/lamina-pcapgen with --flows K (64-byte IPv4/UDP,
 * 10.1.<flow> from port 1, 10.2.<flow> from port 2), replayed in order.
 * As in the switch, each burst of 32 comes from one port, the ports
 * alternating, and each frame is first copied out of the stored file into
 * a receive buffer (the net_pcap driver's copy, outside the timing).
 *
 * Prints one JSON line: cycles per packet (TSC) of ofpl_run_burst() for
 * each round of 2 x K packets, the best and median round, the best window
 * of 8,192 packets and the tenth percentile of windows, the cache's
 * hits and misses, and a checksum of the outputs (which must not change
 * with an optimization).  The best window and its tenth percentile are
 * what noise inflates least: compare builds by them, alternating them,
 * on a CPU of their own where possible (taskset).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "ofpl.h"
#include "tools-util.h"

#define BURST 32
#define FRAME_LEN 64
#define HEADROOM 128

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

/* Frame 'flow' of the side entering on OpenFlow port 'port' (1 or 2), as
 * lamina-pcapgen builds it (the checksum left out: nothing reads it). */
static void
build_frame(uint8_t *f, unsigned port, uint32_t flow)
{
    memset(f, 0, FRAME_LEN);
    f[0] = 0x02; f[1] = port == 1 ? 0xb : 0xa; f[5] = flow % 251;
    f[6] = 0x02; f[7] = port == 1 ? 0xa : 0xb; f[11] = flow % 1024;
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    put16(ip + 2, FRAME_LEN - 14);
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10; ip[13] = port; ip[14] = flow >> 8; ip[15] = flow;
    ip[16] = 10; ip[17] = 3 - port; ip[18] = flow; ip[19] = flow >> 8;
    put16(ip + 20, 1024 + flow % 64512);
    put16(ip + 22, 5000 + flow / 64512);
    put16(ip + 24, FRAME_LEN - 34);
}

static int
add_rule(struct ofpl_pipeline *pl, uint16_t priority, unsigned port,
         uint32_t src, unsigned bits)
{
    struct ofp_flow_mod_body fm;
    struct ofp_action out = ofp_action_output(3 - port, 0);
    struct ofp_error err;

    memset(&fm, 0, sizeof fm);
    fm.priority = priority;
    fm.buffer_id = OFP13_NO_BUFFER;
    fm.out_port = OFPP13_ANY;
    fm.out_group = 0xffffffff;
    ofp_match_init(&fm.match);
    ofp_match_set_u(&fm.match, OFP_F_IN_PORT, port);
    ofp_match_set_u(&fm.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_masked_u(&fm.match, OFP_F_IPV4_SRC, src,
                           bits == 32 ? UINT32_MAX : ~(UINT32_MAX >> bits));
    fm.insts.apply.actions = &out;
    fm.insts.apply.n = 1;
    fm.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    return ofpl_flow_mod(pl, &fm, 0, NULL, NULL, &err);
}

/* make_flows_spread of scripts/bench-openflow.sh. */
static int
add_rules(struct ofpl_pipeline *pl, unsigned n)
{
    unsigned half = n / 2, r = 1, bits = 16;

    while (r * 2 <= half) {
        r *= 2;
        bits++;
    }
    for (unsigned d = 1; d <= 2; d++) {
        for (unsigned j = 0; j < r; j++) {
            uint32_t a = j * (65536 / r);
            if (add_rule(pl, 10, d, 10u << 24 | d << 16 | a, bits)) {
                return -1;
            }
        }
        unsigned extra = half - r;
        for (unsigned k = 0; k < extra; k++) {
            uint32_t f = (uint32_t) ((uint64_t) k * 65536 / extra);
            if (add_rule(pl, 20, d, 10u << 24 | d << 16 | f, 32)) {
                return -1;
            }
        }
    }
    return 0;
}

static void
no_emit(void *aux, const struct ofpl_packet *pkt, const struct ofpl_out *o)
{
    (void) aux; (void) pkt; (void) o;
}

int
main(int argc, char *argv[])
{
    unsigned rules = 10000, flows = 65536, rounds = 9, emc = 0;
    static const struct option longopts[] = {
        { "rules", required_argument, NULL, 'r' },
        { "flows", required_argument, NULL, 'f' },
        { "rounds", required_argument, NULL, 'n' },
        { "emc", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;
        switch (c) {
        case 'r': rules = v; break;
        case 'f': flows = v; break;
        case 'n': rounds = v; break;
        case 'e': emc = v; break;
        default:
            fprintf(stderr, "usage: ofpl-bench [--rules N] [--flows K] "
                    "[--rounds R] [--emc ENTRIES]\n");
            return 2;
        }
    }
    if (rules < 2 || !flows || flows > 65536 || !rounds || rounds > 1000) {
        fprintf(stderr, "ofpl-bench: --rules >= 2, --flows 1..65536, "
                "--rounds 1..1000\n");
        return 2;
    }

    struct ofpl_params p = { .n_tables = 1, .miss = OFPL_MISS_DROP,
                             .emc_entries = emc };
    struct ofpl_pipeline *pl = ofpl_create(&p);
    if (!pl || add_rules(pl, rules)) {
        fprintf(stderr, "ofpl-bench: cannot build the pipeline of %u rules\n", rules);
        return 1;
    }
    ofpl_set_port_live(pl, 0, true);
    ofpl_set_port_live(pl, 1, true);

    /* The stored files (side a from port 1, side b from port 2) and the
     * receive buffers of one burst. */
    uint8_t *file[2];
    static uint8_t rx[BURST][HEADROOM + FRAME_LEN];
    for (unsigned s = 0; s < 2; s++) {
        file[s] = malloc((size_t) flows * FRAME_LEN);
        if (!file[s]) {
            fprintf(stderr, "ofpl-bench: out of memory\n");
            return 1;
        }
        for (uint32_t i = 0; i < flows; i++) {
            build_frame(file[s] + (size_t) i * FRAME_LEN, s + 1, i);
        }
    }

    /* Each round is timed in windows of WINDOW packets too: the best
     * window is what preemption by other threads touched least. */
    enum { WINDOW = 8192 };
    uint64_t n_win = (uint64_t) rounds * (2ull * flows / WINDOW + 1);
    uint64_t *win = calloc(n_win, sizeof *win), w_used = 0, w_cyc = 0, w_pk = 0;
    uint64_t *cyc = calloc(rounds + 1, sizeof *cyc), sum = 0xcbf29ce484222325ull;
    uint32_t pos[2] = { 0, 0 };
    uint64_t packets_per_round = 2ull * flows;
    struct ofpl_packet pk[BURST];
    struct ofpl_out out[BURST];
    uint16_t in[BURST];

    /* Round 0 warms the caches and is not counted. */
    for (unsigned r = 0; r <= rounds; r++) {
        uint64_t t = 0;
        for (uint64_t done = 0; done < packets_per_round; done += BURST) {
            unsigned s = (done / BURST) % 2;
            for (unsigned i = 0; i < BURST; i++) {
                memcpy(rx[i] + HEADROOM, file[s] + (size_t) pos[s] * FRAME_LEN, FRAME_LEN);
                pos[s] = (pos[s] + 1) % flows;
                pk[i].data = rx[i] + HEADROOM;
                pk[i].len = FRAME_LEN;
                pk[i].headroom = HEADROOM;
                pk[i].idx = i;
                in[i] = s;
            }
            uint64_t t0 = __rdtsc();
            ofpl_run_burst(pl, pk, in, BURST, 1, no_emit, NULL, out);
            uint64_t dt = __rdtsc() - t0;
            t += dt;
            if (r) {
                w_cyc += dt;
                w_pk += BURST;
                if (w_pk == WINDOW && w_used < n_win) {
                    win[w_used++] = w_cyc;
                    w_cyc = w_pk = 0;
                }
            }
            for (unsigned i = 0; i < BURST; i++) {
                sum = (sum ^ ((uint64_t) out[i].kind << 16 | out[i].port))
                      * 0x100000001b3ull;           /* FNV-1a */
            }
        }
        cyc[r] = t;
    }

    struct ofpl_counts cn;
    ofpl_counts(pl, &cn);
    printf("{\"rules\": %u, \"flows_per_direction\": %u, \"tuples\": %" PRIu64
           ", \"cycles_per_packet\": [", rules, flows, cn.tuples);
    for (unsigned r = 1; r <= rounds; r++) {
        printf("%s%.1f", r > 1 ? ", " : "", (double) cyc[r] / packets_per_round);
    }
    qsort(cyc + 1, rounds, sizeof *cyc, tools_cmp_u64);
    qsort(win, w_used, sizeof *win, tools_cmp_u64);
    printf("], \"best\": %.1f, \"median\": %.1f, \"best_window\": %.1f, "
           "\"window_p10\": %.1f, \"window_packets\": %d, \"cache_hits\": %" PRIu64
           ", \"train_hits\": %" PRIu64 ", \"cache_misses\": %" PRIu64
           ", \"outputs_checksum\": \"%016" PRIx64 "\"}\n",
           (double) cyc[1] / packets_per_round,
           (double) cyc[1 + rounds / 2] / packets_per_round,
           w_used ? (double) win[0] / WINDOW : 0.0,
           w_used ? (double) win[w_used / 10] / WINDOW : 0.0, WINDOW,
           cn.emc_hits, cn.train_hits, cn.emc_misses, sum);
    ofpl_destroy(pl);
    free(cyc);
    free(win);
    free(file[0]);
    free(file[1]);
    return 0;
}
