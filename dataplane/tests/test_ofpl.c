/*
 * Unit tests of the OpenFlow pipeline (ofpl.h), without DPDK, on a fake
 * clock: priorities and masks (tuple-space search and its early stop),
 * the exact-match cache and its invalidation, goto-table and metadata,
 * the action set, packet rewrites with checksums, timeouts and
 * FLOW_REMOVED, table-miss behaviour, modify/delete with their filters,
 * the overlap check, groups (all, select, indirect, fast failover with
 * port liveness) and meters, the SCTP checksum after a port rewrite,
 * copy_ttl_in/out, the IPv6 ND fields, the tuples' bucket slots, the
 * short run of plain output flows and the flows' layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ofpl.h"
#include "ofpl_pvt.h"

#define SEC 1000000000ull
#define HEADROOM 64

/* ---- Frames ------------------------------------------------------------- */

struct frame {
    uint8_t buf[HEADROOM + 256];
    struct ofpl_packet pkt;
};

static uint16_t
csum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) {
        s += p[i] << 8 | p[i + 1];
    }
    if (n & 1) {
        s += p[n - 1] << 8;
    }
    while (s >> 16) {
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t) ~s;
}

/* An Ethernet/IPv4/UDP frame dst_last -> ..., 10.0.0.src -> 10.0.0.dst. */
static struct ofpl_packet *
udp_frame(struct frame *f, uint8_t dst_mac, uint8_t ip_src, uint8_t ip_dst,
          uint16_t sport, uint16_t dport)
{
    uint8_t *p = f->buf + HEADROOM;

    memset(f->buf, 0, sizeof f->buf);
    p[0] = 0x02; p[5] = dst_mac;
    p[6] = 0x02; p[11] = 0x99;
    p[12] = 0x08; p[13] = 0x00;
    uint8_t *ip = p + 14;
    ip[0] = 0x45; ip[3] = 46; ip[8] = 64; ip[9] = 17;
    ip[12] = 10; ip[15] = ip_src;
    ip[16] = 10; ip[19] = ip_dst;
    uint16_t c = csum(ip, 20, 0);
    ip[10] = c >> 8; ip[11] = c;
    uint8_t *udp = ip + 20;
    udp[0] = sport >> 8; udp[1] = sport;
    udp[2] = dport >> 8; udp[3] = dport;
    udp[5] = 26;
    f->pkt.data = p;
    f->pkt.len = 60;
    f->pkt.headroom = HEADROOM;
    f->pkt.idx = 0;
    return &f->pkt;
}

static struct ofpl_packet *
arp_frame(struct frame *f)
{
    uint8_t *p = f->buf + HEADROOM;

    memset(f->buf, 0, sizeof f->buf);
    memset(p, 0xff, 6);
    p[6] = 0x02; p[11] = 0x01;
    p[12] = 0x08; p[13] = 0x06;
    p[14] = 0; p[15] = 1; p[16] = 8; p[17] = 0; p[18] = 6; p[19] = 4;
    p[21] = 1;
    f->pkt.data = p;
    f->pkt.len = 60;
    f->pkt.headroom = HEADROOM;
    f->pkt.idx = 0;
    return &f->pkt;
}

/* ---- Outputs ----------------------------------------------------------- */

struct outs {
    int n;
    struct ofpl_out o[16];
    uint8_t eth_dst_last[16];
};

static void
record(void *aux, const struct ofpl_packet *pkt, const struct ofpl_out *o)
{
    struct outs *r = aux;
    if (r->n < 16) {
        r->eth_dst_last[r->n] = pkt->data[5];
        r->o[r->n++] = *o;
    }
}

/* Runs 'pkt' in on vport 'in'; all outputs (emitted then final) in 'r'. */
static void
run(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in,
    uint64_t now, struct outs *r)
{
    struct ofpl_out last;

    memset(r, 0, sizeof *r);
    ofpl_run(pl, pkt, in, now, record, r, &last);
    if (last.kind != OFPL_OUT_DROP) {
        record(r, pkt, &last);
    }
}

/* The vport a single-output packet went to, -1 for a drop, -2 flood,
 * -3 controller. */
static int
run1(struct ofpl_pipeline *pl, struct ofpl_packet *pkt, uint16_t in, uint64_t now)
{
    struct outs r;

    run(pl, pkt, in, now, &r);
    if (!r.n) {
        return -1;
    }
    assert_int_equal(r.n, 1);
    return r.o[0].kind == OFPL_OUT_PORT ? r.o[0].port
           : r.o[0].kind == OFPL_OUT_FLOOD ? -2 : -3;
}

/* ---- Flow mods --------------------------------------------------------- */

struct fm {
    struct ofp_flow_mod_body b;
    struct ofp_action apply[8], write[8];
};

static struct ofp_flow_mod_body *
fm_init(struct fm *f, uint8_t table, uint16_t priority)
{
    memset(f, 0, sizeof *f);
    f->b.table_id = table;
    f->b.priority = priority;
    f->b.buffer_id = OFP13_NO_BUFFER;
    f->b.out_port = OFPP13_ANY;
    f->b.out_group = 0xffffffff;
    ofp_match_init(&f->b.match);
    f->b.insts.apply.actions = f->apply;
    f->b.insts.write.actions = f->write;
    return &f->b;
}

static void
fm_apply(struct fm *f, struct ofp_action a)
{
    f->apply[f->b.insts.apply.n++] = a;
    f->b.insts.present |= 1u << OFPIT_APPLY_ACTIONS;
}

static void
fm_write(struct fm *f, struct ofp_action a)
{
    f->write[f->b.insts.write.n++] = a;
    f->b.insts.present |= 1u << OFPIT_WRITE_ACTIONS;
}

static void
fm_goto(struct fm *f, uint8_t table)
{
    f->b.insts.goto_table = table;
    f->b.insts.present |= 1u << OFPIT_GOTO_TABLE;
}

static struct ofp_action
act(uint16_t type)
{
    struct ofp_action a = { .type = type };
    return a;
}

static struct ofp_action
act_group(uint32_t id)
{
    struct ofp_action a = { .type = OFPAT_GROUP, .group_id = id };
    return a;
}

static int
mod(struct ofpl_pipeline *pl, struct fm *f, uint64_t now)
{
    struct ofp_error err = { 0, 0 };
    int error = ofpl_flow_mod(pl, &f->b, now, NULL, NULL, &err);
    return error ? (err.type << 16 | err.code) : 0;
}

#define ERR(T, C) ((T) << 16 | (C))

static struct ofpl_pipeline *
pipeline(enum ofpl_miss miss)
{
    struct ofpl_params p = { .n_tables = 4, .miss = miss };
    struct ofpl_pipeline *pl = ofpl_create(&p);

    assert_non_null(pl);
    for (uint16_t v = 0; v < 8; v++) {
        ofpl_set_port_live(pl, v, true);
    }
    return pl;
}

/* ---- Tests --------------------------------------------------------------- */

static void
test_priority_and_cache(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;
    struct ofpl_counts c;

    /* in_port=1 -> 2 (prio 10); in_port=1,ip -> 3 (prio 20). */
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 20);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 2);
    assert_int_equal(run1(pl, arp_frame(&fr), 0, 0), 1);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 1, 0), -1);
    /* Again, from the cache. */
    ofpl_counts(pl, &c);
    uint64_t hits = c.emc_hits;
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 2);
    ofpl_counts(pl, &c);
    assert_int_equal(c.emc_hits, hits + 1);
    assert_int_equal(c.tuples, 2);

    /* A new, better flow invalidates the cache. */
    fm_init(&f, 0, 30);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    fm_apply(&f, ofp_action_output(5, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 4);
    /* Never back out of the ingress port unless asked by IN_PORT. */
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 4, 0), -1);
    fm_init(&f, 0, 40);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 5);
    fm_apply(&f, ofp_action_output(OFPP13_IN_PORT, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 4, 0), 4);
    /* Ports that are not live get nothing. */
    ofpl_set_port_live(pl, 1, false);
    assert_int_equal(run1(pl, arp_frame(&fr), 0, 0), -1);
    ofpl_destroy(pl);
}

/* More flows than cache entries, each seen once: after a run of
 * OFPL_EMC_THRASH misses only one packet in OFPL_EMC_THRASH_PROBE probes
 * the cache and writes its entry on a miss (the others cost neither a
 * hash of the whole key nor a write), every packet still takes the right
 * flow, and the first hit ends the run: a repeated flow is cached again
 * at its first miss.  (That a burst probes the same packets as one by
 * one, test_burst_same_as_one_by_one checks: equal hits and misses.) */
static void
test_cache_thrash(void **state)
{
    struct ofpl_params p = { .n_tables = 1, .miss = OFPL_MISS_DROP,
                             .emc_entries = 16 };
    struct ofpl_pipeline *pl = ofpl_create(&p);
    struct ofpl_counts c0, c1;
    struct frame fr;
    struct fm f;
    (void) state;

    assert_non_null(pl);
    for (uint16_t v = 0; v < 8; v++) {
        ofpl_set_port_live(pl, v, true);
    }
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    /* 200 distinct flows (source ports), then each one again at once:
     * the repeat hits only if the first packet was cached. */
    ofpl_counts(pl, &c0);
    for (uint16_t sport = 1000; sport < 1200; sport++) {
        assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, sport, 9), 0, 0), 1);
        /* A different packet in between, so the repeat is no train. */
        assert_int_equal(run1(pl, udp_frame(&fr, 1, 3, 2, sport, 9), 0, 0), 1);
    }
    ofpl_counts(pl, &c1);
    assert_int_equal(c1.emc_hits, c0.emc_hits);
    assert_int_equal(c1.emc_misses, c0.emc_misses + 400);
    assert_int_equal(pl->emc_miss_run, 400);

    /* Cached packets: the twins (host 3) that probed: the run before
     * them below OFPL_EMC_THRASH, or one in OFPL_EMC_THRASH_PROBE after;
     * find the last one. */
    uint16_t cached = 0;
    for (uint16_t sport = 1000; sport < 1200; sport++) {
        uint32_t run = 2 * (sport - 1000) + 1;      /* before its twin */
        if (run >= OFPL_EMC_THRASH && (run + 1) % OFPL_EMC_THRASH_PROBE == 0) {
            cached = sport;
        }
    }
    assert_true(cached);
    /* It is still cached (no probe after it), but with the run at 400
     * the next packet does not probe the cache: a miss, not written. */
    assert_int_not_equal(401 % OFPL_EMC_THRASH_PROBE, 0);
    ofpl_counts(pl, &c0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 3, 2, cached, 9), 0, 0), 1);
    ofpl_counts(pl, &c1);
    assert_int_equal(c1.emc_hits, c0.emc_hits);
    assert_int_equal(pl->emc_miss_run, 401);
    /* New flows up to the packet before the next probe (none of them
     * probes, so nothing is written); then the cached flow probes: a
     * hit, which ends the run. */
    for (uint16_t sport = 2000; (pl->emc_miss_run + 1) % OFPL_EMC_THRASH_PROBE; sport++) {
        assert_int_equal(run1(pl, udp_frame(&fr, 1, 5, 2, sport, 9), 0, 0), 1);
    }
    ofpl_counts(pl, &c0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 3, 2, cached, 9), 0, 0), 1);
    ofpl_counts(pl, &c1);
    assert_int_equal(c1.emc_hits, c0.emc_hits + 1);
    assert_int_equal(pl->emc_miss_run, 0);          /* a hit ends the run */
    /* Now every packet probes again: the repeat of a new flow hits. */
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 7, 2, 1, 9), 0, 0), 1);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 8, 2, 1, 9), 0, 0), 1);
    ofpl_counts(pl, &c0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 7, 2, 1, 9), 0, 0), 1);
    ofpl_counts(pl, &c1);
    assert_int_equal(c1.emc_hits, c0.emc_hits + 1);
    ofpl_destroy(pl);
}

static void
test_masks_and_many_rules(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;

    fm_init(&f, 0, 100);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_masked_u(&f.b.match, OFP_F_IPV4_DST, 0x0a000000, 0xff000000);
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 200);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_masked_u(&f.b.match, OFP_F_IPV4_DST, 0x0a000005, 0xffffffff);
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 9, 1, 2), 0, 0), 1);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 5, 1, 2), 0, 0), 2);

    /* 10,000 exact rules on tcp/udp ports, each its own value, and rules
     * with 50 distinct masks below them: every one still found. */
    for (unsigned i = 0; i < 10000; i++) {
        fm_init(&f, 1, 300);
        ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
        ofp_match_set_u(&f.b.match, OFP_F_UDP_DST, i);
        fm_apply(&f, ofp_action_output(1 + i % 7, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    for (unsigned i = 0; i < 50; i++) {
        fm_init(&f, 1, 10 + i);
        ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_masked_u(&f.b.match, OFP_F_IPV4_SRC, 0x0b000000, ~0u << (i % 32));
        ofp_match_set_masked_u(&f.b.match, OFP_F_ETH_SRC, 0, (uint64_t) i + 1);
        fm_apply(&f, ofp_action_output(7, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    fm_init(&f, 0, 300);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 8);
    fm_goto(&f, 1);
    assert_int_equal(mod(pl, &f, 0), 0);
    for (unsigned i = 0; i < 10000; i += 997) {
        assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 9, 1, i), 7, 0), i % 7);
    }
    struct ofp_table_stats ts;
    ofpl_table_stats(pl, 1, &ts);
    assert_int_equal(ts.active_count, 10050);
    ofpl_destroy(pl);
}

static void
test_goto_metadata_action_set(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct outs r;
    struct fm f;

    /* t0: write output:2, metadata 0x5, goto 1.
     * t1 (metadata 5): write set eth_dst=..:77, goto 2.
     * t2: apply output:4; no write: the set runs at the end. */
    fm_init(&f, 0, 1);
    fm_write(&f, ofp_action_output(2, 0));
    f.b.insts.metadata = 5;
    f.b.insts.metadata_mask = 0xff;
    f.b.insts.present |= 1u << OFPIT_WRITE_METADATA;
    fm_goto(&f, 1);
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 1, 1);
    ofp_match_set_u(&f.b.match, OFP_F_METADATA, 5);
    fm_write(&f, ofp_action_set_field_u(OFP_F_ETH_DST, 0x020000000077ull));
    fm_goto(&f, 2);
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 2, 1);
    fm_apply(&f, ofp_action_output(4, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    run(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.o[0].port, 3);           /* apply output:4 first */
    assert_int_equal(r.eth_dst_last[0], 1);
    assert_int_equal(r.o[1].port, 1);           /* then the set: output:2 */
    assert_int_equal(r.eth_dst_last[1], 0x77);  /* after its set_field */
    assert_int_equal(fr.pkt.data[5], 0x77);

    /* Metadata 6 in table 1: a miss, so the action set never runs. */
    fm_init(&f, 0, 1);
    fm_write(&f, ofp_action_output(2, 0));
    f.b.insts.metadata = 6;
    f.b.insts.metadata_mask = 0xff;
    f.b.insts.present |= 1u << OFPIT_WRITE_METADATA;
    fm_goto(&f, 1);
    f.b.command = 1;        /* modify */
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), -1);

    /* clear_actions in table 1 empties the set. */
    fm_init(&f, 1, 1);
    ofp_match_set_u(&f.b.match, OFP_F_METADATA, 6);
    f.b.insts.present |= 1u << OFPIT_CLEAR_ACTIONS;
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), -1);

    /* goto backwards or past the last table is refused. */
    fm_init(&f, 2, 1);
    fm_goto(&f, 1);
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID));
    fm_init(&f, 2, 1);
    fm_goto(&f, 4);
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID));
    fm_init(&f, 4, 1);
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID));
    ofpl_destroy(pl);
}

static void
test_rewrites(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;

    /* set ipv4_dst, udp dst, dec_ttl, push a VLAN and set its vid. */
    fm_init(&f, 0, 1);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_IPV4_DST, 0xc0a80101));
    fm_apply(&f, ofp_action_set_field_u(OFP_F_UDP_DST, 8080));
    fm_apply(&f, act(OFPAT_DEC_NW_TTL));
    struct ofp_action push = { .type = OFPAT_PUSH_VLAN, .ethertype = 0x8100 };
    fm_apply(&f, push);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 42));
    fm_apply(&f, ofp_action_output(2, 0));
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
    assert_int_equal(mod(pl, &f, 0), 0);

    struct ofpl_packet *p = udp_frame(&fr, 1, 1, 2, 1, 2);
    assert_int_equal(run1(pl, p, 0, 0), 1);
    assert_int_equal(p->len, 64);
    assert_int_equal(p->headroom, HEADROOM - 4);
    uint8_t *d = p->data;
    assert_int_equal(d[12] << 8 | d[13], 0x8100);
    assert_int_equal((d[14] << 8 | d[15]) & 0xfff, 42);
    assert_int_equal(d[16] << 8 | d[17], 0x0800);
    uint8_t *ip = d + 18;
    assert_int_equal(ip[8], 63);
    assert_int_equal(ip[16], 192);
    assert_int_equal(ip[19], 1);
    assert_int_equal(csum(ip, 20, 0), 0);       /* header checksum valid */
    assert_int_equal(ip[22] << 8 | ip[23], 8080);

    /* A second pipeline: match the VLAN, pop it, output. */
    struct ofpl_pipeline *pl2 = pipeline(OFPL_MISS_DROP);
    fm_init(&f, 0, 1);
    ofp_match_set_u(&f.b.match, OFP_F_VLAN_VID, 0x1000 | 42);
    fm_apply(&f, act(OFPAT_POP_VLAN));
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl2, &f, 0), 0);
    assert_int_equal(run1(pl2, p, 0, 0), 2);
    assert_int_equal(p->len, 60);
    assert_int_equal(p->data[12] << 8 | p->data[13], 0x0800);

    /* TTL 1: dec_ttl drops. */
    p = udp_frame(&fr, 1, 1, 2, 1, 2);
    p->data[14 + 8] = 1;
    assert_int_equal(run1(pl, p, 0, 0), -1);
    ofpl_destroy(pl);
    ofpl_destroy(pl2);
}

struct removed_log {
    int n;
    struct ofpl_removed r[8];
};

static void
removed_cb(void *aux, const struct ofpl_removed *r)
{
    struct removed_log *log = aux;
    if (log->n < 8) {
        log->r[log->n] = *r;
        log->r[log->n++].match = NULL;
    }
}

static void
test_timeouts(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct removed_log log = { 0 };
    struct frame fr;
    struct fm f;

    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    f.b.idle_timeout = 10;
    f.b.flags = 1;          /* OFPFF_SEND_FLOW_REM */
    f.b.cookie = 0xabc;
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 2);
    f.b.hard_timeout = 5;
    fm_apply(&f, ofp_action_output(1, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    assert_int_equal(ofpl_expire(pl, 4 * SEC, removed_cb, &log), 0);
    assert_int_equal(ofpl_expire(pl, 5 * SEC, removed_cb, &log), 1);
    assert_int_equal(log.n, 0);                 /* no SEND_FLOW_REM flag */
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 1, 5 * SEC), -1);
    /* Used at 8 s: alive at 15 s, gone at 18 s. */
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 8 * SEC), 1);
    assert_int_equal(ofpl_expire(pl, 15 * SEC, removed_cb, &log), 0);
    assert_int_equal(ofpl_expire(pl, 18 * SEC, removed_cb, &log), 1);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].reason, 0);       /* OFPRR_IDLE_TIMEOUT */
    assert_int_equal(log.r[0].cookie, 0xabc);
    assert_int_equal(log.r[0].packet_count, 1);
    assert_int_equal(log.r[0].duration_ns, 18 * SEC);
    /* The cache does not keep a removed flow alive. */
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 18 * SEC), -1);
    ofpl_destroy(pl);
}

static void
test_table_miss(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_CONTROLLER);
    struct frame fr;
    struct outs r;
    struct fm f;

    run(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 3, 0, &r);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.o[0].kind, OFPL_OUT_CONTROLLER);
    assert_int_equal(r.o[0].reason, OFPL_REASON_NO_MATCH);
    assert_int_equal(r.o[0].max_len, OFPL_MAX_LEN_MISS);
    assert_int_equal(r.o[0].port, 3);
    ofpl_destroy(pl);

    /* Drop by default; a priority-0 match-all flow sends to the controller
     * as a table miss (reason no_match), with its cookie and max_len. */
    pl = pipeline(OFPL_MISS_DROP);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 3, 0), -1);
    fm_init(&f, 0, 0);
    f.b.cookie = 7;
    fm_apply(&f, ofp_action_output(OFPP13_CONTROLLER, 128));
    assert_int_equal(mod(pl, &f, 0), 0);
    run(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 3, 0, &r);
    assert_int_equal(r.o[0].kind, OFPL_OUT_CONTROLLER);
    assert_int_equal(r.o[0].reason, OFPL_REASON_NO_MATCH);
    assert_int_equal(r.o[0].max_len, 128);
    assert_int_equal(r.o[0].cookie, 7);
    /* A controller output with a match: reason action; plus a copy out. */
    fm_init(&f, 0, 5);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 4);
    fm_apply(&f, ofp_action_output(1, 0));
    fm_apply(&f, ofp_action_output(OFPP13_CONTROLLER, 0xffff));
    assert_int_equal(mod(pl, &f, 0), 0);
    run(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 3, 0, &r);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.o[0].kind, OFPL_OUT_PORT);
    assert_int_equal(r.o[1].kind, OFPL_OUT_CONTROLLER);
    assert_int_equal(r.o[1].reason, OFPL_REASON_ACTION);
    ofpl_destroy(pl);
}

static void
test_modify_delete_overlap(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct removed_log log = { 0 };
    struct ofp_error err;
    struct frame fr;
    struct fm f;

    for (unsigned i = 1; i <= 4; i++) {
        fm_init(&f, 0, 10);
        ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, i);
        f.b.cookie = i;
        f.b.flags = 1;
        fm_apply(&f, ofp_action_output(i == 4 ? 1 : i + 1, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    /* Overlap: same priority, intersecting matches. */
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    f.b.flags = 2;          /* OFPFF_CHECK_OVERLAP */
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP));
    f.b.priority = 11;
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 5);
    f.b.flags = 2;
    assert_int_equal(mod(pl, &f, 0), 0);        /* disjoint: fine */

    /* Modify (non-strict, all in_port flows with cookie 2) to output:4. */
    fm_init(&f, 0, 0);
    f.b.command = 1;
    f.b.cookie = 2;
    f.b.cookie_mask = 0xff;
    fm_apply(&f, ofp_action_output(4, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, arp_frame(&fr), 1, 0), 3);
    assert_int_equal(run1(pl, arp_frame(&fr), 0, 0), 1);

    /* Delete strict needs the exact priority. */
    fm_init(&f, 0, 9);
    f.b.command = 4;
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    assert_int_equal(ofpl_flow_mod(pl, &f.b, 0, removed_cb, &log, &err), 0);
    assert_int_equal(log.n, 0);
    f.b.priority = 10;
    assert_int_equal(ofpl_flow_mod(pl, &f.b, 0, removed_cb, &log, &err), 0);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.r[0].reason, 2);       /* OFPRR_DELETE */
    assert_int_equal(run1(pl, arp_frame(&fr), 0, 0), -1);

    /* Delete by out_port in all tables. */
    fm_init(&f, 0xff, 0);
    f.b.command = 3;
    f.b.out_port = 4;
    assert_int_equal(ofpl_flow_mod(pl, &f.b, 0, removed_cb, &log, &err), 0);
    assert_int_equal(log.n, 3);                 /* cookie 2 (now out 4), 3 */
    assert_int_equal(run1(pl, arp_frame(&fr), 2, 0), -1);
    assert_int_equal(run1(pl, arp_frame(&fr), 3, 0), 0);   /* in 4 -> 1 */
    ofpl_destroy(pl);
}

static int
group_mod(struct ofpl_pipeline *pl, uint16_t cmd, uint8_t type, uint32_t id,
          struct ofp_bucket *b, size_t n)
{
    struct ofp_group_mod_body gm = { .command = cmd, .type = type, .group_id = id,
                                     .buckets = b, .n_buckets = n };
    struct ofp_error err = { 0, 0 };
    int error = ofpl_group_mod(pl, &gm, 0, NULL, NULL, &err);
    return error ? (err.type << 16 | err.code) : 0;
}

static void
test_groups(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct ofp_action a[4] = {
        ofp_action_output(2, 0), ofp_action_output(3, 0),
        ofp_action_set_field_u(OFP_F_ETH_DST, 0x020000000055ull),
        ofp_action_output(4, 0),
    };
    struct ofp_bucket b[3] = {
        { .weight = 1, .watch_port = 2, .watch_group = 0xffffffff, .actions = { &a[0], 1 } },
        { .weight = 1, .watch_port = 3, .watch_group = 0xffffffff, .actions = { &a[1], 1 } },
        { .weight = 1, .watch_port = 4, .watch_group = 0xffffffff, .actions = { &a[2], 2 } },
    };
    struct frame fr;
    struct outs r;
    struct fm f;

    /* A flow to a group that does not exist is refused. */
    fm_init(&f, 0, 1);
    fm_apply(&f, act_group(1));
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP));

    /* ALL: three copies, the third rewritten on its own copy. */
    assert_int_equal(group_mod(pl, 0, 0, 1, b, 3), 0);
    assert_int_equal(group_mod(pl, 0, 0, 1, b, 3),
                     ERR(OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS));
    assert_int_equal(mod(pl, &f, 0), 0);
    run(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0, &r);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.o[0].port, 1);
    assert_int_equal(r.o[1].port, 2);
    assert_int_equal(r.o[2].port, 3);
    assert_int_equal(r.eth_dst_last[1], 1);
    assert_int_equal(r.eth_dst_last[2], 0x55);
    assert_int_equal(fr.pkt.data[5], 1);        /* the original untouched */

    /* INDIRECT takes exactly one bucket. */
    assert_int_equal(group_mod(pl, 0, 2, 2, b, 2),
                     ERR(OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP));
    /* SELECT: each flow sticks to one bucket; both get some. */
    assert_int_equal(group_mod(pl, 1, 1, 1, b, 2), 0);
    int seen[8] = { 0 };
    for (unsigned i = 0; i < 64; i++) {
        int v = run1(pl, udp_frame(&fr, 1, 1, 2, 1000 + i, 2), 0, 0);
        assert_true(v == 1 || v == 2);
        seen[v]++;
        assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1000 + i, 2), 0, 0), v);
    }
    assert_true(seen[1] > 0 && seen[2] > 0);
    /* FAST FAILOVER: the first live watched port. */
    assert_int_equal(group_mod(pl, 1, 3, 1, b, 3), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 1);
    ofpl_set_port_live(pl, 1, false);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 2);
    ofpl_set_port_live(pl, 2, false);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), 3);
    ofpl_set_port_live(pl, 3, false);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 0), -1);

    /* A loop through a chain of groups is refused: 5 -> 6 -> 5. */
    struct ofp_action g5 = act_group(5), g6 = act_group(6);
    struct ofp_bucket c5 = { .watch_port = OFPP13_ANY, .watch_group = 0xffffffff,
                             .actions = { &g6, 1 } };
    struct ofp_bucket c6 = { .watch_port = OFPP13_ANY, .watch_group = 0xffffffff,
                             .actions = { &g5, 1 } };
    assert_int_equal(group_mod(pl, 0, 2, 5, b, 1), 0);
    assert_int_equal(group_mod(pl, 0, 2, 6, &c6, 1), 0);
    assert_int_equal(group_mod(pl, 1, 2, 5, &c5, 1),
                     ERR(OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP));
    assert_int_equal(group_mod(pl, 2, 0, 6, NULL, 0), 0);
    assert_int_equal(group_mod(pl, 2, 0, 5, NULL, 0), 0);

    /* Deleting the group removes the flow that uses it. */
    struct ofp_table_stats ts;
    ofpl_table_stats(pl, 0, &ts);
    assert_int_equal(ts.active_count, 1);
    assert_int_equal(group_mod(pl, 2, 0, 0xfffffffc, NULL, 0), 0);
    ofpl_table_stats(pl, 0, &ts);
    assert_int_equal(ts.active_count, 0);
    assert_int_equal(ofpl_n_groups(pl), 0);
    ofpl_destroy(pl);
}

/* Set-field and pop_mpls must fit what the flow's match (and the actions
 * before them) say of the packet: OFPBAC_MATCH_INCONSISTENT otherwise. */
static void
test_match_inconsistent(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    const int bad = ERR(OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT);
    struct ofp_action pop_mpls = act(OFPAT_POP_MPLS), push_vlan = act(OFPAT_PUSH_VLAN);
    struct ofp_action push_mpls = act(OFPAT_PUSH_MPLS);
    struct fm f;

    pop_mpls.ethertype = 0x0800;
    push_vlan.ethertype = 0x8100;
    push_mpls.ethertype = 0x8847;
    fm_init(&f, 0, 1);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_IPV4_SRC, 0x0a000001));
    assert_int_equal(mod(pl, &f, 0), bad);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    assert_int_equal(mod(pl, &f, 0), 0);
    /* After push_mpls the IPv4 header is no longer the packet's. */
    fm_init(&f, 0, 2);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    fm_apply(&f, push_mpls);
    fm_write(&f, ofp_action_set_field_u(OFP_F_IPV4_SRC, 0x0a000001));
    assert_int_equal(mod(pl, &f, 0), bad);
    /* vlan_vid needs a tag: one the match requires or one pushed. */
    fm_init(&f, 0, 3);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1005));
    assert_int_equal(mod(pl, &f, 0), bad);
    fm_init(&f, 0, 3);
    fm_apply(&f, push_vlan);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1005));
    assert_int_equal(mod(pl, &f, 0), 0);
    /* pop_mpls needs an MPLS eth_type. */
    fm_init(&f, 0, 4);
    fm_apply(&f, pop_mpls);
    assert_int_equal(mod(pl, &f, 0), bad);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x8847);
    assert_int_equal(mod(pl, &f, 0), 0);
    ofpl_destroy(pl);
}

static void
test_meters(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct ofp_meter_band band = { .type = 1, .rate = 100, .burst_size = 10 };
    struct ofp_meter_mod_body mm = { .command = 0, .flags = 2 | 4, .meter_id = 1,
                                     .bands = &band, .n_bands = 1 };
    struct ofp_error err;
    struct frame fr;
    struct fm f;

    fm_init(&f, 0, 1);
    f.b.insts.meter_id = 1;
    f.b.insts.present |= 1u << OFPIT_METER;
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), ERR(OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER));
    assert_int_equal(ofpl_meter_mod(pl, &mm, 0, NULL, NULL, &err), 0);
    assert_int_equal(mod(pl, &f, 0), 0);

    /* 100 pkt/s, burst 10: a burst of 50 at once lets 10 through; half a
     * second later 50 more tokens. */
    int pass = 0;
    for (int i = 0; i < 50; i++) {
        pass += run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, SEC) == 1;
    }
    assert_int_equal(pass, 10);
    pass = 0;
    for (int i = 0; i < 100; i++) {
        pass += run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, SEC + SEC / 2 + i * (SEC / 1000)) == 1;
    }
    assert_true(pass >= 10 && pass <= 22);

    struct ofp_msg msg;
    struct ofp_meter_stats ms;
    ofp_msg_init(&msg, OFPT_MULTIPART_REPLY, 0);
    ofpl_meter_stats(pl, 0, 2 * SEC, &ms, &msg);
    assert_int_equal(ms.packet_in_count, 150);
    assert_int_equal(ms.flow_count, 1);
    assert_int_equal(ms.bands[0].packet_count, 150 - 10 - pass);
    ofp_msg_free(&msg);

    /* Deleting the meter removes its flow. */
    mm.command = 2;
    assert_int_equal(ofpl_meter_mod(pl, &mm, 0, NULL, NULL, &err), 0);
    assert_int_equal(run1(pl, udp_frame(&fr, 1, 1, 2, 1, 2), 0, 3 * SEC), -1);
    ofpl_destroy(pl);
}

static void
test_flow_stats_and_replace(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;

    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    run1(pl, arp_frame(&fr), 0, 0);
    run1(pl, arp_frame(&fr), 0, 0);
    /* Same match and priority again: replaced (counters kept). */
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    assert_int_equal(run1(pl, arp_frame(&fr), 0, 0), 2);

    struct ofp_table_stats ts;
    ofpl_table_stats(pl, 0, &ts);
    assert_int_equal(ts.active_count, 1);
    assert_int_equal(ts.lookup_count, 3);
    assert_int_equal(ts.matched_count, 3);
    ofpl_destroy(pl);
}

/* Bursts: a train of identical packets is counted as many; a packet that
 * differs breaks it; a rewriting flow is never taken as a train. */
static void
test_burst_trains(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr[8];
    struct ofpl_packet pk[8];
    struct ofpl_out o[8];
    uint16_t in[8] = { 0 };
    struct fm f;

    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 20);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
    ofp_match_set_u(&f.b.match, OFP_F_UDP_DST, 99);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_UDP_DST, 100));
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    for (int i = 0; i < 8; i++) {
        pk[i] = *udp_frame(&fr[i], 1, 1, 2, 7, i == 5 ? 99 : 53);
        pk[i].data = fr[i].buf + HEADROOM;
        pk[i].len = 64;         /* trains need 64 bytes to compare */
        pk[i].idx = i;
    }
    for (int round = 0; round < 2; round++) {
        ofpl_run_burst(pl, pk, in, 8, 0, record, NULL, o);
        for (int i = 0; i < 8; i++) {
            assert_int_equal(o[i].kind, OFPL_OUT_PORT);
            assert_int_equal(o[i].port, i == 5 ? 2 : 1);
        }
        assert_int_equal(pk[5].data[14 + 20 + 3], round ? 100 : 100);
        pk[5].data[14 + 20 + 3] = 99;           /* rewritten: put it back */
    }
    struct ofp_table_stats ts;
    ofpl_table_stats(pl, 0, &ts);
    assert_int_equal(ts.lookup_count, 16);
    assert_int_equal(ts.matched_count, 16);
    struct ofpl_counts c;
    ofpl_counts(pl, &c);
    assert_true(c.train_hits >= 10);
    ofpl_destroy(pl);
}

/* The pipeline of the burst tests: exact rules on UDP source ports, a
 * rewriting rule, a catch-all below them; a cache of 16 entries, so that
 * traffic of many flows makes it thrash.  The plain outputs are
 * write-actions if 'write', else apply-actions (which take the short
 * run). */
static struct ofpl_pipeline *
burst_pipeline_as(bool write)
{
    void (*put)(struct fm *, struct ofp_action) = write ? fm_write : fm_apply;
    struct ofpl_params p = { .n_tables = 1, .miss = OFPL_MISS_DROP,
                             .emc_entries = 16 };
    struct ofpl_pipeline *pl = ofpl_create(&p);
    struct fm f;

    assert_non_null(pl);
    for (uint16_t v = 0; v < 8; v++) {
        ofpl_set_port_live(pl, v, true);
    }
    for (uint16_t sport = 1000; sport < 1100; sport += 3) {
        fm_init(&f, 0, 20);
        ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
        ofp_match_set_u(&f.b.match, OFP_F_UDP_SRC, sport);
        put(&f, ofp_action_output(1 + sport % 3, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    fm_init(&f, 0, 30);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
    ofp_match_set_u(&f.b.match, OFP_F_UDP_DST, 99);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_UDP_DST, 100));
    fm_apply(&f, ofp_action_output(5, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 10);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    put(&f, ofp_action_output(4, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    return pl;
}

static struct ofpl_pipeline *
burst_pipeline(void)
{
    return burst_pipeline_as(false);
}

/* ofpl_run_burst() (trains counted in bulk, and any lookahead a burst may
 * do) gives exactly the outputs, rewrites and counters of running the
 * same packets one by one, whatever the burst size, with trains,
 * rewrites, cache hits and a thrashing cache mixed. */
static void
test_burst_same_as_one_by_one(void **state)
{
    enum { N = 400 };
    static struct frame fa[N], fb[N];
    struct ofpl_packet pa[N], pb[N];
    struct ofpl_out oa[N], ob[N];
    uint16_t in[N];
    struct ofpl_pipeline *a = burst_pipeline(), *b = burst_pipeline();
    (void) state;

    for (int i = 0; i < N; i++) {
        /* Runs of identical packets (trains), repeats of earlier flows
         * (cache hits while it does not thrash), then 200 new flows in a
         * row (the cache thrashes), every 7th rewritten. */
        uint16_t sport = i < 100 ? 1000 + (i / 4) % 10
                         : i < 300 ? 1000 + i : 1000 + (i / 3) % 50;
        uint16_t dport = i % 7 ? 53 : 99;

        in[i] = 6 + (i / 8) % 2;    /* never where they go out */
        pa[i] = *udp_frame(&fa[i], 1, 1, 2, sport, dport);
        pa[i].data = fa[i].buf + HEADROOM;
        pa[i].len = 64;
        pa[i].idx = i;
        pb[i] = *udp_frame(&fb[i], 1, 1, 2, sport, dport);
        pb[i].data = fb[i].buf + HEADROOM;
        pb[i].len = 64;
        pb[i].idx = i;
    }
    for (int i = 0; i < N; i++) {
        ofpl_run(a, &pa[i], in[i], 0, record, NULL, &oa[i]);
    }
    for (int i = 0, burst = 1; i < N; i += burst, burst = burst % 40 + 7) {
        uint16_t n = N - i < burst ? N - i : burst;
        ofpl_run_burst(b, &pb[i], &in[i], n, 0, record, NULL, &ob[i]);
    }

    struct ofpl_counts ca, cb;
    ofpl_counts(a, &ca);
    ofpl_counts(b, &cb);
    for (int i = 0; i < N; i++) {
        assert_int_equal(oa[i].kind, OFPL_OUT_PORT);
        assert_int_equal(ob[i].kind, oa[i].kind);
        assert_int_equal(ob[i].port, oa[i].port);
        assert_memory_equal(pb[i].data, pa[i].data, 64);
    }
    assert_int_equal(oa[7].port, 4);            /* OpenFlow port 5 */
    assert_int_equal(pa[7].data[14 + 20 + 3], 100);
    assert_int_equal(cb.emc_hits, ca.emc_hits);
    assert_int_equal(cb.emc_misses, ca.emc_misses);
    assert_int_equal(cb.train_hits, ca.train_hits);
    assert_true(ca.train_hits > 0);
    assert_true(ca.emc_hits > ca.train_hits);
    assert_true(ca.emc_misses > 200);
    struct ofp_table_stats ta, tb;
    ofpl_table_stats(a, 0, &ta);
    ofpl_table_stats(b, 0, &tb);
    assert_int_equal(ta.lookup_count, N);
    assert_int_equal(tb.lookup_count, ta.lookup_count);
    assert_int_equal(tb.matched_count, ta.matched_count);
    ofpl_destroy(a);
    ofpl_destroy(b);
}

/* Runs the 'n' packets 'pk' (from vports 'in') in bursts of 32 into 'o'. */
static void
run_bursts(struct ofpl_pipeline *pl, struct ofpl_packet *pk, uint16_t *in,
           int n, struct ofpl_out *o)
{
    for (int i = 0; i < n; i += 32) {
        ofpl_run_burst(pl, &pk[i], &in[i], n - i < 32 ? n - i : 32, 0,
                       record, NULL, &o[i]);
    }
}

/* The short run (a packet whose only flow is one apply-actions output to
 * a port), in look-ahead bursts, gives what the full run gives for the
 * same output by write-actions, packet by packet: outputs, nothing back
 * out of the
 * ingress port or to a port that is not live, the counters of every flow
 * and of the table; after a modify that adds a rewrite and after a
 * delete, no stale flow answers.  Flows lie on a cache line with their
 * hot fields where struct ofpl_flow says. */
static void
test_short_run(void **state)
{
    enum { N = 320 };
    static struct frame fa[N], fb[N];
    struct ofpl_packet pa[N], pb[N];
    struct ofpl_out oa[N], ob[N];
    uint16_t in[N];
    /* 'a' outputs by write-actions, which the full run executes (the
     * action set), 'b' by apply-actions: the same outputs. */
    struct ofpl_pipeline *a = burst_pipeline_as(true), *b = burst_pipeline();
    struct fm f;
    (void) state;

    for (const struct ofpl_flow *fl = a->tables[0].flows; fl; fl = fl->lnext) {
        assert_int_equal(fl->out_port, 0);
    }
    assert_int_equal(offsetof(struct ofpl_flow, n_packets) / 64, 2);
    assert_int_equal(offsetof(struct ofpl_flow, out_port) / 64, 2);
    assert_int_equal(offsetof(struct ofpl_flow, insts) % 64, 0);
    assert_int_equal(offsetof(struct ofpl_flow, acts) % 64, 0);
    for (const struct ofpl_flow *fl = b->tables[0].flows; fl; fl = fl->lnext) {
        assert_int_equal((uintptr_t) fl % 64, 0);
        /* Only the flows of one plain output to a port take the short run. */
        bool plain = fl->insts.apply.n == 1 && !fl->insts.write.n;
        assert_int_equal(fl->out_port, plain ? fl->acts[0].output.port : 0);
    }
    ofpl_set_port_live(a, 2, false);
    ofpl_set_port_live(b, 2, false);

    for (int round = 0; round < 4; round++) {
        if (round == 1) {
            /* The catch-all flow (output:4) now rewrites first. */
            for (int k = 0; k < 2; k++) {
                fm_init(&f, 0, 10);
                f.b.command = OFPFC_MODIFY_STRICT;
                ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
                fm_apply(&f, ofp_action_set_field_u(OFP_F_IP_DSCP, 10));
                (k ? fm_apply : fm_write)(&f, ofp_action_output(4, 0));
                assert_int_equal(mod(k ? b : a, &f, 0), 0);
            }
        } else if (round == 2) {
            /* The flows on source ports 1000, 1003, ... are gone. */
            for (int k = 0; k < 2; k++) {
                fm_init(&f, 0, 20);
                f.b.command = OFPFC_DELETE;
                ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
                ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
                assert_int_equal(mod(k ? b : a, &f, 0), 0);
            }
        } else if (round == 3) {
            /* A plain output for all UDP again, above the rewrite. */
            for (int k = 0; k < 2; k++) {
                fm_init(&f, 0, 15);
                ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
                ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
                (k ? fm_apply : fm_write)(&f, ofp_action_output(2, 0));
                assert_int_equal(mod(k ? b : a, &f, 0), 0);
            }
        }
        for (int i = 0; i < N; i++) {
            /* Distinct flows (the cache thrashes), a third of them on the
             * source-port flows (output:1..3, port 3 not live), every
             * fifth from the port a source-port flow would send it to;
             * in the last round each packet twice (a train). */
            int j = round == 3 ? i / 2 : i;
            uint16_t sport = j % 3 ? 5000 + j : 1000 + 3 * (j % 33);
            in[i] = j % 5 == 0 ? sport % 3 : 6;
            uint8_t src = 1 + j / 256, dst = j % 256;
            pa[i] = *udp_frame(&fa[i], 1, src, dst, sport, 53 + round);
            pb[i] = *udp_frame(&fb[i], 1, src, dst, sport, 53 + round);
            pa[i].len = pb[i].len = 64;     /* long enough for a train */
        }
        for (int i = 0; i < N; i++) {
            ofpl_run(a, &pa[i], in[i], 0, record, NULL, &oa[i]);
        }
        run_bursts(b, pb, in, N, ob);
        assert_true(b->emc_miss_share > OFPL_EMC_AHEAD_SHARE);  /* looks ahead */
        int sent = 0, dropped = 0;
        for (int i = 0; i < N; i++) {
            assert_int_equal(ob[i].kind, oa[i].kind);
            assert_int_equal(ob[i].port, oa[i].port);
            assert_memory_equal(pb[i].data, pa[i].data, 64);
            sent += oa[i].kind == OFPL_OUT_PORT;
            dropped += oa[i].kind == OFPL_OUT_DROP;
        }
        assert_true(sent > N / 2);
        assert_true(round == 2 ? !dropped : dropped > 0);
        struct ofpl_counts ca, cb;
        ofpl_counts(a, &ca);
        ofpl_counts(b, &cb);
        assert_int_equal(cb.emc_hits, ca.emc_hits);
        assert_int_equal(cb.emc_misses, ca.emc_misses);
        assert_int_equal(cb.train_hits, ca.train_hits);
        assert_int_equal(cb.train_hits, round == 3 ? N / 2 : 0);
        assert_int_equal(pa[1].data[14 + 1], round == 1 || round == 2 ? 10 << 2 : 0);
        /* Every flow counted the same packets and bytes. */
        const struct ofpl_flow *x = a->tables[0].flows, *y = b->tables[0].flows;
        for (; x && y; x = x->lnext, y = y->lnext) {
            assert_int_equal(y->priority, x->priority);
            assert_int_equal(y->n_packets, x->n_packets);
            assert_int_equal(y->n_bytes, x->n_bytes);
        }
        assert_null(x);
        assert_null(y);
        struct ofp_table_stats ta, tb;
        ofpl_table_stats(a, 0, &ta);
        ofpl_table_stats(b, 0, &tb);
        assert_int_equal(tb.lookup_count, ta.lookup_count);
        assert_int_equal(tb.matched_count, ta.matched_count);
    }
    ofpl_destroy(a);
    ofpl_destroy(b);
}

/* An Ethernet/IPv4/SCTP frame 1000 -> 2000 with one 16-byte chunk and a
 * stale checksum. */
static struct ofpl_packet *
sctp_frame(struct frame *f)
{
    struct ofpl_packet *p = udp_frame(f, 1, 1, 2, 1000, 2000);
    uint8_t *ip = p->data + 14, *l4 = ip + 20;

    ip[3] = 48;
    ip[9] = 132;
    ip[10] = ip[11] = 0;
    uint16_t c = csum(ip, 20, 0);
    ip[10] = c >> 8; ip[11] = c;
    memset(l4 + 4, 0, 28);
    l4[4] = 1; l4[5] = 2; l4[6] = 3; l4[7] = 4;     /* verification tag */
    l4[8] = 0xde; l4[9] = 0xad;                     /* stale checksum */
    l4[12] = 0xc0; l4[13] = 3; l4[15] = 16;         /* chunk */
    for (int i = 0; i < 12; i++) {
        l4[16 + i] = i + 1;
    }
    p->len = 62;
    return p;
}

/* Rewriting an SCTP port recomputes the CRC-32C checksum (the expected
 * value from an independent bitwise CRC-32C of the rewritten packet). */
static void
test_sctp_checksum(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;
    (void) state;

    fm_init(&f, 0, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 132);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_SCTP_DST, 3000));
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    struct ofpl_packet *p = sctp_frame(&fr);
    assert_int_equal(run1(pl, p, 0, 0), 1);
    const uint8_t *l4 = p->data + 34;
    assert_int_equal(l4[2] << 8 | l4[3], 3000);
    static const uint8_t want[4] = { 0x88, 0xb2, 0x30, 0xe6 };
    assert_memory_equal(l4 + 8, want, 4);

    /* A first fragment: the CRC covers bytes it lacks, left alone. */
    p = sctp_frame(&fr);
    p->data[14 + 6] = 0x20;
    assert_int_equal(run1(pl, p, 0, 0), 1);
    assert_int_equal(p->data[34 + 8], 0xde);
    ofpl_destroy(pl);
}

/* An MPLS frame: one label (TTL 10) over IPv4 (TTL 64), or two labels
 * (TTLs 10 and 30) when 'stack'. */
static struct ofpl_packet *
mpls_frame(struct frame *f, bool stack)
{
    struct ofpl_packet *p = udp_frame(f, 1, 1, 2, 1, 2);
    uint8_t *d = p->data;
    uint32_t n = stack ? 8 : 4;

    memmove(d - n, d, 12);
    p->data -= n;
    p->headroom -= n;
    p->len += n;
    d = p->data;
    d[12] = 0x88; d[13] = 0x47;
    d[14] = 0; d[15] = 0x06; d[16] = 0x40 | !stack; d[17] = 10; /* label 100 */
    if (stack) {
        d[18] = 0; d[19] = 0x0c; d[20] = 0x81; d[21] = 30;      /* label 200 */
    }
    return p;
}

/* copy_ttl_out and copy_ttl_in between an MPLS label and the IPv4 header
 * or label under it; the IPv4 checksum stays valid. */
static void
test_copy_ttl(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct frame fr;
    struct fm f;
    (void) state;

    fm_init(&f, 0, 2);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 1);
    fm_apply(&f, act(OFPAT_COPY_TTL_OUT));
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    fm_init(&f, 0, 2);
    ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, 2);
    fm_apply(&f, act(OFPAT_COPY_TTL_IN));
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    struct ofpl_packet *p = mpls_frame(&fr, false);
    assert_int_equal(run1(pl, p, 0, 0), 1);
    assert_int_equal(p->data[17], 64);              /* IP TTL -> label */

    p = mpls_frame(&fr, false);
    assert_int_equal(run1(pl, p, 1, 0), 2);
    const uint8_t *ip = p->data + 18;
    assert_int_equal(ip[8], 10);                    /* label TTL -> IP */
    assert_int_equal(csum(ip, 20, 0), 0);

    p = mpls_frame(&fr, true);
    assert_int_equal(run1(pl, p, 0, 0), 1);
    assert_int_equal(p->data[17], 30);              /* inner label -> outer */
    p = mpls_frame(&fr, true);
    assert_int_equal(run1(pl, p, 1, 0), 2);
    assert_int_equal(p->data[21], 10);              /* outer -> inner label */
    assert_int_equal(p->data[22 + 8], 64);          /* IP untouched */

    /* No MPLS: nothing to copy, the frame is unchanged. */
    p = udp_frame(&fr, 1, 1, 2, 1, 2);
    uint8_t before[60];
    memcpy(before, p->data, 60);
    assert_int_equal(run1(pl, p, 1, 0), 2);
    assert_memory_equal(p->data, before, 60);
    ofpl_destroy(pl);
}

static uint16_t nd_csum(const uint8_t *p);

/* An Ethernet/IPv6/ICMPv6 Neighbor Solicitation (or Advertisement, 'na')
 * for target 2001:db8::<t> with a source (target) link-layer address
 * option 02:00:00:00:00:<l>, checksum valid. */
static struct ofpl_packet *
nd_frame(struct frame *f, bool na, uint8_t t, uint8_t l)
{
    uint8_t *p = f->buf + HEADROOM;

    memset(f->buf, 0, sizeof f->buf);
    p[0] = 0x33; p[1] = 0x33; p[5] = 1;
    p[6] = 0x02; p[11] = 0x99;
    p[12] = 0x86; p[13] = 0xdd;
    uint8_t *ip = p + 14, *icmp = ip + 40;
    ip[0] = 0x60; ip[5] = 32; ip[6] = 58; ip[7] = 255;
    ip[8] = 0xfe; ip[9] = 0x80; ip[23] = 1;                 /* src fe80::1 */
    ip[24] = 0xff; ip[25] = 0x02; ip[35] = 1; ip[36] = 0xff; ip[39] = t;
    icmp[0] = na ? 136 : 135;
    icmp[8] = 0x20; icmp[9] = 0x01; icmp[10] = 0x0d; icmp[11] = 0xb8;
    icmp[23] = t;
    icmp[24] = na ? 2 : 1; icmp[25] = 1;                    /* option */
    icmp[26] = 0x02; icmp[31] = l;
    f->pkt.data = p;
    f->pkt.len = 14 + 40 + 32;
    f->pkt.headroom = HEADROOM;
    f->pkt.idx = 0;
    uint16_t c = nd_csum(p);
    icmp[2] = c >> 8; icmp[3] = c;
    return &f->pkt;
}

/* The ICMPv6 checksum over the pseudo-header and the 32-byte message of
 * an nd_frame(): 0 when the stored one is right. */
static uint16_t
nd_csum(const uint8_t *p)
{
    const uint8_t *ip = p + 14;
    uint32_t s = 32 + 58;

    for (int i = 8; i < 40; i += 2) {
        s += ip[i] << 8 | ip[i + 1];
    }
    return csum(ip + 40, 32, s);
}

/* IPv6 ND fields: parsed (target, SLL in a solicitation, TLL in an
 * advertisement), matched with their prerequisites, rewritten with the
 * ICMPv6 checksum kept valid. */
static void
test_nd_fields(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct ofp_error err;
    union ofp_value tgt;
    struct frame fr;
    struct fm f;
    (void) state;

    memset(&tgt, 0, sizeof tgt);
    tgt.ipv6[0] = 0x20; tgt.ipv6[1] = 0x01; tgt.ipv6[2] = 0x0d; tgt.ipv6[3] = 0xb8;
    tgt.ipv6[15] = 7;

    /* NS for ::7 from SLL ...:05: rewrite target to ::9 and SLL to ...:0a. */
    fm_init(&f, 0, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 58);
    ofp_match_set_u(&f.b.match, OFP_F_ICMPV6_TYPE, 135);
    ofp_match_set(&f.b.match, OFP_F_IPV6_ND_TARGET, &tgt, NULL);
    ofp_match_set_u(&f.b.match, OFP_F_IPV6_ND_SLL, 0x020000000005ull);
    assert_int_equal(ofp_match_validate(&f.b.match, &err), 0);
    union ofp_value nt = tgt;
    nt.ipv6[15] = 9;
    struct ofp_action sa = { .type = OFPAT_SET_FIELD };
    sa.set_field.field = OFP_F_IPV6_ND_TARGET;
    sa.set_field.value = nt;
    fm_apply(&f, sa);
    fm_apply(&f, ofp_action_set_field_u(OFP_F_IPV6_ND_SLL, 0x02000000000aull));
    fm_apply(&f, ofp_action_output(2, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    /* NA for ::7 with TLL ...:06 goes to port 3. */
    fm_init(&f, 0, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 58);
    ofp_match_set_u(&f.b.match, OFP_F_ICMPV6_TYPE, 136);
    ofp_match_set_u(&f.b.match, OFP_F_IPV6_ND_TLL, 0x020000000006ull);
    fm_apply(&f, ofp_action_output(3, 0));
    assert_int_equal(mod(pl, &f, 0), 0);

    struct ofpl_packet *p = nd_frame(&fr, false, 7, 5);
    assert_int_equal(nd_csum(p->data), 0);
    assert_int_equal(run1(pl, p, 0, 0), 1);
    const uint8_t *icmp = p->data + 54;
    assert_int_equal(icmp[23], 9);
    assert_int_equal(icmp[31], 0x0a);
    assert_int_equal(nd_csum(p->data), 0);

    assert_int_equal(run1(pl, nd_frame(&fr, false, 7, 6), 0, 0), -1);  /* SLL */
    assert_int_equal(run1(pl, nd_frame(&fr, false, 8, 5), 0, 0), -1);  /* target */
    assert_int_equal(run1(pl, nd_frame(&fr, true, 7, 6), 0, 0), 2);
    assert_int_equal(run1(pl, nd_frame(&fr, true, 7, 5), 0, 0), -1);
    /* An NS has no TLL: the NA flow does not take it even with SLL ...:06. */
    p = nd_frame(&fr, false, 7, 6);
    p->data[54 + 24] = 2;                   /* option type 2 in an NS */
    assert_int_equal(run1(pl, p, 0, 0), -1);

    /* Prerequisites: SLL needs type 135, TLL 136, the target either. */
    struct ofp_match m;
    ofp_match_init(&m);
    ofp_match_set_u(&m, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(&m, OFP_F_IP_PROTO, 58);
    ofp_match_set_u(&m, OFP_F_ICMPV6_TYPE, 136);
    ofp_match_set_u(&m, OFP_F_IPV6_ND_SLL, 1);
    assert_int_not_equal(ofp_match_validate(&m, &err), 0);
    assert_int_equal(err.type, OFPET_BAD_MATCH);
    assert_int_equal(err.code, OFPBMC_BAD_PREREQ);
    ofp_match_init(&m);
    ofp_match_set_u(&m, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(&m, OFP_F_IP_PROTO, 58);
    ofp_match_set(&m, OFP_F_IPV6_ND_TARGET, &tgt, NULL);
    assert_int_not_equal(ofp_match_validate(&m, &err), 0);
    ofp_match_set_u(&m, OFP_F_ICMPV6_TYPE, 136);
    assert_int_equal(ofp_match_validate(&m, &err), 0);
    ofpl_destroy(pl);
}

/* Meters on offered traffic: a kb/s drop band with a burst passes what the
 * rate and the burst allow; a DSCP-remark band past its rate raises the
 * drop precedence (AF11 -> AF12) and passes; the configuration and the
 * features read back as given. */
static void
test_meter_rates(void **state)
{
    struct ofpl_pipeline *pl = pipeline(OFPL_MISS_DROP);
    struct ofp_meter_band drop = { .type = OFPMBT13_DROP, .rate = 800,
                                   .burst_size = 80 };
    struct ofp_meter_band remark = { .type = OFPMBT13_DSCP_REMARK, .rate = 100,
                                     .burst_size = 10, .prec_level = 1 };
    struct ofp_meter_mod_body kb = { .command = OFPMC13_ADD, .meter_id = 2,
        .flags = OFPMF13_KBPS | OFPMF13_BURST | OFPMF13_STATS,
        .bands = &drop, .n_bands = 1 };
    struct ofp_meter_mod_body pk = { .command = OFPMC13_ADD, .meter_id = 3,
        .flags = OFPMF13_PKTPS | OFPMF13_BURST, .bands = &remark, .n_bands = 1 };
    struct ofp_error err;
    struct frame fr;
    struct fm f;
    (void) state;

    assert_int_equal(ofpl_meter_mod(pl, &kb, 0, NULL, NULL, &err), 0);
    assert_int_equal(ofpl_meter_mod(pl, &pk, 0, NULL, NULL, &err), 0);
    for (uint16_t in = 0; in < 2; in++) {
        fm_init(&f, 0, 1);
        ofp_match_set_u(&f.b.match, OFP_F_IN_PORT, in + 1);
        f.b.insts.meter_id = 2 + in;
        f.b.insts.present |= 1u << OFPIT_METER;
        fm_apply(&f, ofp_action_output(3, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }

    /* 800 kb/s = 100,000 B/s, burst 80 kb = 10,000 B: 2000 frames of 200
     * bytes a second (four times the rate) for one second pass the burst
     * (50 frames) and a second of the rate (500). */
    int pass = 0;
    for (int i = 0; i < 2000; i++) {
        struct ofpl_packet *p = udp_frame(&fr, 1, 1, 2, 1, 2);
        p->len = 200;
        pass += run1(pl, p, 0, SEC + (uint64_t) i * (SEC / 2000)) == 2;
    }
    assert_true(pass >= 540 && pass <= 560);

    /* 100 pkt/s, burst 10, remark: 20 AF11 frames at once, all pass, the
     * last 10 as AF12 with a valid header checksum. */
    int remarked = 0;
    for (int i = 0; i < 20; i++) {
        struct ofpl_packet *p = udp_frame(&fr, 1, 1, 2, 1, 2);
        uint8_t *ip = p->data + 14;
        ip[1] = 10 << 2;
        ip[10] = ip[11] = 0;
        uint16_t c = csum(ip, 20, 0);
        ip[10] = c >> 8; ip[11] = c;
        assert_int_equal(run1(pl, p, 1, SEC), 2);
        assert_int_equal(csum(ip, 20, 0), 0);
        assert_true(ip[1] >> 2 == 10 || ip[1] >> 2 == 12);
        remarked += ip[1] >> 2 == 12;
    }
    assert_int_equal(remarked, 10);

    struct ofp_msg msg;
    struct ofp_meter_config mc;
    struct ofp_meter_features mf;
    ofp_msg_init(&msg, OFPT_MULTIPART_REPLY, 0);
    assert_int_equal(ofpl_meter_id(pl, 0), 2);
    ofpl_meter_config(pl, 0, &mc, &msg);
    assert_int_equal(mc.flags, kb.flags);
    assert_int_equal(mc.n_bands, 1);
    assert_int_equal(mc.bands[0].rate, 800);
    assert_int_equal(mc.bands[0].burst_size, 80);
    ofpl_meter_config(pl, 1, &mc, &msg);
    assert_int_equal(mc.bands[0].type, OFPMBT13_DSCP_REMARK);
    assert_int_equal(mc.bands[0].prec_level, 1);
    ofp_msg_free(&msg);
    ofpl_meter_features(&mf);
    assert_int_equal(mf.band_types, 1u << OFPMBT13_DROP | 1u << OFPMBT13_DSCP_REMARK);
    assert_true(mf.capabilities & OFPMF13_BURST);

    /* More bands than the features say: refused. */
    struct ofp_meter_band many[17];
    for (int i = 0; i < 17; i++) {
        many[i] = drop;
    }
    struct ofp_meter_mod_body big = { .command = OFPMC13_ADD, .meter_id = 9,
        .flags = OFPMF13_KBPS, .bands = many, .n_bands = 17 };
    assert_int_not_equal(ofpl_meter_mod(pl, &big, 0, NULL, NULL, &err), 0);
    assert_int_equal(err.code, OFPMMFC_OUT_OF_BANDS);
    ofpl_destroy(pl);
}

/* Every bucket's slot says its chain's first hash and length. */
static void
check_slots(const struct ofpl_pipeline *pl)
{
    const struct ofpl_table *tb = &pl->tables[0];

    for (uint32_t t = 0; t < tb->n_tuples; t++) {
        const struct ofpl_tuple *tu = tb->tuples[t];
        uint32_t total = 0;
        assert_true(2 * tu->n_flows <= tu->bucket_mask + 1);
        for (uint32_t b = 0; b <= tu->bucket_mask; b++) {
            const struct ofpl_slot *s = &tu->buckets[b];
            uint32_t n = 0;
            for (const struct ofpl_flow *f = s->flow; f; f = f->next) {
                assert_int_equal(f->hash & tu->bucket_mask, b);
                n++;
            }
            assert_int_equal(s->n, n);
            if (s->flow) {
                assert_int_equal(s->hash, s->flow->hash);
            }
            total += n;
        }
        assert_int_equal(total, tu->n_flows);
    }
}

/* Exact rules on UDP source ports in one tuple, over several growths of
 * its buckets, then strict deletes of every third: the slots in front of
 * the chains stay true, and every packet finds its own rule, or the
 * catch-all below once its rule is gone, one by one and in bursts (the
 * look-ahead of a thrashing cache). */
static void
test_tuple_slots(void **state)
{
    enum { N = 600 };
    struct ofpl_params p = { .n_tables = 1, .miss = OFPL_MISS_DROP,
                             .emc_entries = 16 };
    struct ofpl_pipeline *pl = ofpl_create(&p);
    static struct frame fr[N];
    struct ofpl_packet pk[N];
    struct ofpl_out o[N];
    uint16_t in[N];
    struct fm f;
    (void) state;

    assert_non_null(pl);
    for (uint16_t v = 0; v < 8; v++) {
        ofpl_set_port_live(pl, v, true);
    }
    fm_init(&f, 0, 1);
    ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
    fm_apply(&f, ofp_action_output(7, 0));
    assert_int_equal(mod(pl, &f, 0), 0);
    for (uint16_t i = 0; i < N; i++) {
        fm_init(&f, 0, 100 + i % 5);
        ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
        ofp_match_set_u(&f.b.match, OFP_F_UDP_SRC, 2000 + i);
        fm_apply(&f, ofp_action_output(2 + i % 5, 0));
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    check_slots(pl);
    for (uint16_t i = 0; i < N; i += 3) {
        fm_init(&f, 0, 100 + i % 5);
        f.b.command = 4;            /* delete strict */
        ofp_match_set_u(&f.b.match, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&f.b.match, OFP_F_IP_PROTO, 17);
        ofp_match_set_u(&f.b.match, OFP_F_UDP_SRC, 2000 + i);
        assert_int_equal(mod(pl, &f, 0), 0);
    }
    check_slots(pl);
    for (int pass = 0; pass < 2; pass++) {
        for (uint16_t i = 0; i < N; i++) {
            pk[i] = *udp_frame(&fr[i], 1, 1, 2, 2000 + i, 53);
            pk[i].data = fr[i].buf + HEADROOM;
            pk[i].idx = i;
            in[i] = 0;
            if (pass == 0) {
                ofpl_run(pl, &pk[i], 0, 0, record, NULL, &o[i]);
            }
        }
        if (pass == 1) {
            for (uint16_t i = 0; i < N; i += 32) {
                ofpl_run_burst(pl, &pk[i], &in[i], N - i < 32 ? N - i : 32, 0,
                               record, NULL, &o[i]);
            }
        }
        for (uint16_t i = 0; i < N; i++) {
            assert_int_equal(o[i].kind, OFPL_OUT_PORT);
            assert_int_equal(o[i].port, i % 3 ? 1 + i % 5 : 6);
        }
    }
    ofpl_destroy(pl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_and_cache),
        cmocka_unit_test(test_cache_thrash),
        cmocka_unit_test(test_masks_and_many_rules),
        cmocka_unit_test(test_goto_metadata_action_set),
        cmocka_unit_test(test_rewrites),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_table_miss),
        cmocka_unit_test(test_modify_delete_overlap),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_match_inconsistent),
        cmocka_unit_test(test_meters),
        cmocka_unit_test(test_flow_stats_and_replace),
        cmocka_unit_test(test_burst_trains),
        cmocka_unit_test(test_sctp_checksum),
        cmocka_unit_test(test_copy_ttl),
        cmocka_unit_test(test_nd_fields),
        cmocka_unit_test(test_meter_rates),
        cmocka_unit_test(test_burst_same_as_one_by_one),
        cmocka_unit_test(test_tuple_slots),
        cmocka_unit_test(test_short_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
