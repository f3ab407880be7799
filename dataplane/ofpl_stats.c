/*
 * ofpl_stats: what the controller and people read back from the OpenFlow
 * pipeline (run with the worker paused).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl_pvt.h"

/* ---- Statistics ---------------------------------------------------------------- */

static void
duration(uint64_t ns, uint32_t *sec, uint32_t *nsec)
{
    *sec = ns / 1000000000ull;
    *nsec = ns % 1000000000ull;
}

void
ofpl_flow_stats(const struct ofpl_pipeline *pl,
                const struct ofp_flow_stats_request *req, uint64_t now_ns,
                ofpl_flow_fn *cb, void *aux)
{
    unsigned t0 = 0, t1 = pl->params.n_tables;
    struct ofpl_key val, mask;

    if (req->table_id != OFPTT_ALL) {
        if (req->table_id >= t1) {
            return;
        }
        t0 = req->table_id;
        t1 = t0 + 1;
    }
    ofpl_match_to_keys(&req->match, &val, &mask);
    for (unsigned t = t0; t < t1; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            if (!ofpl_flow_covered(f, &val, &mask)
                || !ofpl_flow_selected(f, req->cookie, req->cookie_mask,
                                  req->out_port, req->out_group)) {
                continue;
            }
            struct ofp_flow_stats fs = {
                .table_id = t, .priority = f->priority,
                .idle_timeout = f->idle_timeout, .hard_timeout = f->hard_timeout,
                .flags = f->flags, .cookie = f->cookie,
                .packet_count = f->n_packets, .byte_count = f->n_bytes,
                .match = f->match, .insts = f->insts,
            };
            duration(now_ns - f->created_ns, &fs.duration_sec, &fs.duration_nsec);
            cb(aux, &fs);
        }
    }
}

void
ofpl_table_stats(const struct ofpl_pipeline *pl, uint8_t table_id,
                 struct ofp_table_stats *ts)
{
    const struct ofpl_table *tb = &pl->tables[table_id];

    ts->table_id = table_id;
    ts->active_count = tb->n_flows;
    ts->lookup_count = tb->lookups;
    ts->matched_count = tb->matches;
}

size_t
ofpl_n_groups(const struct ofpl_pipeline *pl)
{
    return pl->n_groups;
}

uint32_t
ofpl_group_id(const struct ofpl_pipeline *pl, size_t i)
{
    return pl->groups[i]->id;
}

static uint32_t
group_refs(const struct ofpl_pipeline *pl, uint32_t id)
{
    uint32_t n = 0;
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            n += ofpl_acts_have_group(&f->insts.apply, id) || ofpl_acts_have_group(&f->insts.write, id);
        }
    }
    return n;
}

void
ofpl_group_stats(const struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                 struct ofp_group_stats *gs, struct ofp_msg *msg)
{
    const struct ofpl_group *g = pl->groups[i];

    memset(gs, 0, sizeof *gs);
    gs->group_id = g->id;
    gs->ref_count = group_refs(pl, g->id);
    gs->packet_count = g->n_packets;
    gs->byte_count = g->n_bytes;
    duration(now_ns - g->created_ns, &gs->duration_sec, &gs->duration_nsec);
    gs->n_buckets = g->n_buckets;
    gs->buckets = ofp_msg_alloc(msg, (g->n_buckets + 1) * sizeof *gs->buckets);
    for (size_t b = 0; b < g->n_buckets; b++) {
        gs->buckets[b].packet_count = g->buckets[b].n_packets;
        gs->buckets[b].byte_count = g->buckets[b].n_bytes;
    }
}

void
ofpl_group_desc(const struct ofpl_pipeline *pl, size_t i,
                struct ofp_group_desc *gd, struct ofp_msg *msg)
{
    const struct ofpl_group *g = pl->groups[i];

    gd->type = g->type;
    gd->group_id = g->id;
    gd->n_buckets = g->n_buckets;
    gd->buckets = ofp_msg_alloc(msg, (g->n_buckets + 1) * sizeof *gd->buckets);
    for (size_t b = 0; b < g->n_buckets; b++) {
        gd->buckets[b] = (struct ofp_bucket) {
            .weight = g->buckets[b].weight,
            .watch_port = g->buckets[b].watch_port,
            .watch_group = g->buckets[b].watch_group,
            .actions = { g->buckets[b].acts, g->buckets[b].n_acts },
        };
    }
}

size_t
ofpl_n_meters(const struct ofpl_pipeline *pl)
{
    return pl->n_meters;
}

uint32_t
ofpl_meter_id(const struct ofpl_pipeline *pl, size_t i)
{
    return pl->meters[i]->id;
}

void
ofpl_meter_stats(const struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                 struct ofp_meter_stats *ms, struct ofp_msg *msg)
{
    const struct ofpl_meter *m = pl->meters[i];
    uint32_t flows = 0;

    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        for (const struct ofpl_flow *f = pl->tables[t].flows; f; f = f->lnext) {
            flows += (f->insts.present & (1u << OFPIT_METER)) && f->insts.meter_id == m->id;
        }
    }
    memset(ms, 0, sizeof *ms);
    ms->meter_id = m->id;
    ms->flow_count = flows;
    ms->packet_in_count = m->n_packets;
    ms->byte_in_count = m->n_bytes;
    duration(now_ns - m->created_ns, &ms->duration_sec, &ms->duration_nsec);
    ms->n_bands = m->n_bands;
    ms->bands = ofp_msg_alloc(msg, (m->n_bands + 1) * sizeof *ms->bands);
    for (size_t b = 0; b < m->n_bands; b++) {
        ms->bands[b].packet_count = m->bands[b].n_packets;
        ms->bands[b].byte_count = m->bands[b].n_bytes;
    }
}

void
ofpl_meter_config(const struct ofpl_pipeline *pl, size_t i,
                  struct ofp_meter_config *mc, struct ofp_msg *msg)
{
    const struct ofpl_meter *m = pl->meters[i];

    memset(mc, 0, sizeof *mc);
    mc->meter_id = m->id;
    mc->flags = m->flags;
    mc->n_bands = m->n_bands;
    mc->bands = ofp_msg_alloc(msg, (m->n_bands + 1) * sizeof *mc->bands);
    for (size_t b = 0; b < m->n_bands; b++) {
        mc->bands[b].type = m->bands[b].type;
        mc->bands[b].rate = m->bands[b].rate;
        mc->bands[b].burst_size = m->bands[b].burst;
        mc->bands[b].prec_level = m->bands[b].prec_level;
    }
}

void
ofpl_meter_features(struct ofp_meter_features *mf)
{
    memset(mf, 0, sizeof *mf);
    mf->max_meter = OFPM13_MAX;
    mf->band_types = 1u << OFPMBT13_DROP | 1u << OFPMBT13_DSCP_REMARK;
    mf->capabilities = OFPMF13_KBPS | OFPMF13_PKTPS | OFPMF13_BURST
                       | OFPMF13_STATS;
    mf->max_bands = OFPL_METER_MAX_BANDS;
    mf->max_color = 0;
}

const uint16_t ofpl_action_types[] = {
    OFPAT_OUTPUT, OFPAT_COPY_TTL_OUT, OFPAT_COPY_TTL_IN, OFPAT_SET_MPLS_TTL,
    OFPAT_DEC_MPLS_TTL, OFPAT_PUSH_VLAN, OFPAT_POP_VLAN, OFPAT_PUSH_MPLS,
    OFPAT_POP_MPLS, OFPAT_SET_QUEUE, OFPAT_GROUP, OFPAT_SET_NW_TTL,
    OFPAT_DEC_NW_TTL, OFPAT_SET_FIELD,
};
const size_t ofpl_n_action_types = sizeof ofpl_action_types / sizeof *ofpl_action_types;

void
ofpl_group_features(struct ofp_group_features *gf)
{
    uint32_t actions = 0;

    for (size_t i = 0; i < ofpl_n_action_types; i++) {
        actions |= 1u << ofpl_action_types[i];
    }
    memset(gf, 0, sizeof *gf);
    gf->types = 1u << OFPGT11_ALL | 1u << OFPGT11_SELECT | 1u << OFPGT11_INDIRECT
                | 1u << OFPGT11_FF;
    /* Select buckets are weighted and skip dead ones; groups may chain
     * (to OFPL_MAX_DEPTH) and GROUP_MOD refuses loops. */
    gf->capabilities = OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS
                       | OFPGFC_CHAINING | OFPGFC_CHAINING_CHECKS;
    for (int t = 0; t < 4; t++) {
        gf->max_groups[t] = OFPG_MAX;
        gf->actions[t] = actions;
    }
}

void
ofpl_counts(const struct ofpl_pipeline *pl, struct ofpl_counts *c)
{
    memset(c, 0, sizeof *c);
    c->flows = pl->n_flows;
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        c->tuples += pl->tables[t].n_tuples;
    }
    c->groups = pl->n_groups;
    c->meters = pl->n_meters;
    c->emc_hits = pl->emc_hits + pl->train_hits;
    c->train_hits = pl->train_hits;
    c->emc_misses = pl->emc_misses;
    c->generation = pl->gen;
}
