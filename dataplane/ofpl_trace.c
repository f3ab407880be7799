/*
 * ofpl_trace: which flows of an OpenFlow pipeline a frame would meet, for
 * `lamina trace` (dp_trace.c); see ofpl_trace() in ofpl.h.  It shares the
 * classifier (table_lookup() in ofpl_pvt.h) with the fast path, so the
 * flow it names is the flow the fast path would choose.
 */
#include <inttypes.h>

#include "ofpbuf.h"
#include "ofpl_pvt.h"

/* Adds the output of action 'a' to 'outs'. */
static void
trace_output(const struct ofpl_pipeline *pl, const struct ofp_action *a,
             uint16_t in_vport, uint8_t table, struct ofpl_out *outs,
             unsigned *n, unsigned max, struct ofpbuf *s)
{
    struct ofpl_out o = { .kind = OFPL_OUT_DROP, .table = table };
    uint32_t port = a->output.port;

    if (a->type != OFPAT_OUTPUT || *n >= max) {
        return;
    }
    if (port >= 1 && port <= OFPL_MAX_PORTS) {
        if (port - 1 == in_vport || !ofpl_port_live(pl, port - 1)) {
            /* The fast path skips these too. */
            ofpbuf_printf(s, "output:%" PRIu32 " skipped: %s\n", port,
                          port - 1 == in_vport ? "the ingress port"
                          : "port not up");
            return;
        }
        o.kind = OFPL_OUT_PORT;
        o.port = port - 1;
    } else if (port == OFPP13_IN_PORT) {
        o.kind = OFPL_OUT_PORT;
        o.port = in_vport;
    } else if (port == OFPP13_FLOOD || port == OFPP13_ALL) {
        o.kind = OFPL_OUT_FLOOD;
        o.port = in_vport;
    } else if (port == OFPP13_CONTROLLER) {
        o.kind = OFPL_OUT_CONTROLLER;
        o.port = in_vport;
    } else {
        return;
    }
    outs[(*n)++] = o;
}

/* Walks the tables; see ofpl.h. */
unsigned
ofpl_trace(const struct ofpl_pipeline *pl, const uint8_t *data, uint32_t len,
           uint16_t in_vport, struct ofpbuf *s, struct ofpl_out *outs,
           unsigned max)
{
    struct ofpl_key key;
    struct ofp_hdrs h;
    const struct ofp_action *last_set_output = NULL;
    uint8_t last_table = 0;
    unsigned n = 0;
    int t = 0;

    memset(&key, 0, sizeof key);
    key.w[0] = (uint32_t) in_vport + 1;
    ofpl_key_parse(data, len, &key, &h);

    for (unsigned steps = 0; t >= 0 && steps < OFPL_MAX_TABLES; steps++) {
        const struct ofpl_table *tb = &pl->tables[t];
        const struct ofpl_flow *f = table_lookup(tb, &key);

        if (!f) {
            ofpbuf_printf(s, "table %d: no flow matches -> %s\n", t,
                          pl->params.miss == OFPL_MISS_CONTROLLER
                          ? "to the controller (table miss)" : "drop");
            if (pl->params.miss == OFPL_MISS_CONTROLLER && n < max) {
                outs[n++] = (struct ofpl_out) {
                    .kind = OFPL_OUT_CONTROLLER, .table = t,
                    .reason = OFPL_REASON_NO_MATCH, .port = in_vport };
            }
            return n;
        }
        const struct ofp_instructions *in = &f->insts;
        ofpbuf_printf(s, "table %d: priority %u cookie %#" PRIx64 " match ",
                      t, f->priority, f->cookie);
        size_t before = s->size;
        ofp_match_format(&f->match, s);
        if (s->size == before) {
            ofpbuf_printf(s, "(any)");
        }
        ofpbuf_printf(s, " -> ");
        before = s->size;
        ofp_insts_format(in, s);
        if (s->size == before) {
            ofpbuf_printf(s, "(no instructions: drop)");
        }
        ofpbuf_printf(s, " [%" PRIu64 " packets so far]\n", f->n_packets);
        last_table = t;
        for (size_t i = 0; i < in->apply.n; i++) {
            trace_output(pl, &in->apply.actions[i], in_vport, t, outs, &n, max,
                         s);
        }
        if (in->present & (1u << OFPIT_CLEAR_ACTIONS)) {
            last_set_output = NULL;
        }
        for (size_t i = 0; i < in->write.n; i++) {
            if (in->write.actions[i].type == OFPAT_OUTPUT) {
                last_set_output = &in->write.actions[i];
            }
        }
        if (in->present & (1u << OFPIT_WRITE_METADATA)) {
            key.w[5] = (key.w[5] & ~in->metadata_mask)
                       | (in->metadata & in->metadata_mask);
        }
        t = in->present & (1u << OFPIT_GOTO_TABLE) ? in->goto_table : -1;
        if (t >= (int) pl->params.n_tables) {
            t = -1;
        }
    }
    if (last_set_output) {
        ofpbuf_printf(s, "action set: output\n");
        trace_output(pl, last_set_output, in_vport, last_table, outs, &n, max,
                     s);
    }
    return n;
}
