/*
 * ofpl_mod: changes to the OpenFlow pipeline: FLOW_MOD, GROUP_MOD,
 * METER_MOD and flow timeouts (run with the worker paused).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl_pvt.h"

/* ---- Flow mods ------------------------------------------------------------ */

static int
error(struct ofp_error *err, uint16_t type, uint16_t code)
{
    *err = OFP_ERROR(type, code);
    return EPROTO;
}

int
ofpl_check_actions(const struct ofpl_pipeline *pl, const struct ofp_action *acts,
                   size_t n, bool packet_out, struct ofp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_action *a = &acts[i];
        if (a->type == OFPAT_OUTPUT) {
            uint32_t p = a->output.port;
            bool ok = (p >= 1 && p <= OFPL_MAX_PORTS) || p == OFPP13_IN_PORT
                      || p == OFPP13_FLOOD || p == OFPP13_ALL
                      || p == OFPP13_CONTROLLER
                      || (packet_out && p == OFPP13_TABLE);
            if (!ok) {
                return error(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
            }
        } else if (a->type == OFPAT_GROUP) {
            if (!group_find(pl, a->group_id)) {
                return error(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
            }
        }
    }
    return 0;
}

/* Does flow 'f' lie inside the (non-strict) match of 'val'/'mask'? */
bool
ofpl_flow_covered(const struct ofpl_flow *f, const struct ofpl_key *val,
                  const struct ofpl_key *mask)
{
    const struct ofpl_key *fm = &f->tuple->mask;
    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        if ((mask->w[i] & ~fm->w[i]) || (f->val.w[i] & mask->w[i]) != val->w[i]) {
            return false;
        }
    }
    return true;
}

static bool
flow_same_match(const struct ofpl_flow *f, const struct ofpl_key *val,
                const struct ofpl_key *mask, uint16_t priority)
{
    return f->priority == priority && !memcmp(&f->tuple->mask, mask, sizeof *mask)
           && !memcmp(&f->val, val, sizeof *val);
}

static bool
acts_have_port(const struct ofp_action_list *l, uint32_t port)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->actions[i].type == OFPAT_OUTPUT && l->actions[i].output.port == port) {
            return true;
        }
    }
    return false;
}

bool
ofpl_acts_have_group(const struct ofp_action_list *l, uint32_t group)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->actions[i].type == OFPAT_GROUP && l->actions[i].group_id == group) {
            return true;
        }
    }
    return false;
}

/* The filters of a modify/delete/stats request besides the match. */
bool
ofpl_flow_selected(const struct ofpl_flow *f, uint64_t cookie,
                   uint64_t cookie_mask, uint32_t out_port, uint32_t out_group)
{
    if ((f->cookie & cookie_mask) != (cookie & cookie_mask)) {
        return false;
    }
    if (out_port != OFPP13_ANY && !acts_have_port(&f->insts.apply, out_port)
        && !acts_have_port(&f->insts.write, out_port)) {
        return false;
    }
    if (out_group != OFPG_ANY && !ofpl_acts_have_group(&f->insts.apply, out_group)
        && !ofpl_acts_have_group(&f->insts.write, out_group)) {
        return false;
    }
    return true;
}

/* A new flow for 'fm' (instructions copied); NULL if out of memory. */
static struct ofpl_flow *
flow_new(const struct ofp_flow_mod_body *fm, const struct ofpl_key *val,
         uint64_t now_ns)
{
    size_t na = fm->insts.apply.n, nw = fm->insts.write.n;
    size_t size = sizeof(struct ofpl_flow) + (na + nw) * sizeof(struct ofp_action);
    /* On a cache line: see struct ofpl_flow. */
    struct ofpl_flow *f = aligned_alloc(64, (size + 63) & ~(size_t) 63);

    if (!f) {
        return NULL;
    }
    memset(f, 0, size);
    f->priority = fm->priority;
    f->table_id = fm->table_id;
    f->val = *val;
    f->cookie = fm->cookie;
    f->created_ns = f->used_ns = now_ns;
    f->flags = fm->flags;
    f->idle_timeout = fm->idle_timeout;
    f->hard_timeout = fm->hard_timeout;
    f->match = fm->match;
    f->insts = fm->insts;
    if (na) {
        memcpy(f->acts, fm->insts.apply.actions, na * sizeof *f->acts);
    }
    if (nw) {
        memcpy(f->acts + na, fm->insts.write.actions, nw * sizeof *f->acts);
    }
    f->insts.apply.actions = na ? f->acts : NULL;
    f->insts.write.actions = nw ? f->acts + na : NULL;
    if (f->insts.present == 1u << OFPIT_APPLY_ACTIONS && na == 1 && !nw
        && f->acts[0].type == OFPAT_OUTPUT && f->acts[0].output.port >= 1
        && f->acts[0].output.port <= OFPL_MAX_PORTS) {
        f->out_port = f->acts[0].output.port;
    }
    return f;
}

static void
flow_report(const struct ofpl_flow *f, uint8_t reason, uint64_t now_ns,
            ofpl_removed_fn *removed, void *aux)
{
    if (removed && (f->flags & OFPFF_SEND_FLOW_REM)) {
        struct ofpl_removed r = {
            .match = &f->match, .cookie = f->cookie, .priority = f->priority,
            .reason = reason, .table_id = f->table_id,
            .duration_ns = now_ns - f->created_ns,
            .idle_timeout = f->idle_timeout, .hard_timeout = f->hard_timeout,
            .packet_count = f->n_packets, .byte_count = f->n_bytes,
        };
        removed(aux, &r);
    }
}

static void
flow_delete(struct ofpl_pipeline *pl, struct ofpl_flow *f, uint8_t reason,
            uint64_t now_ns, ofpl_removed_fn *removed, void *aux)
{
    flow_report(f, reason, now_ns, removed, aux);
    ofpl_table_remove(&pl->tables[f->table_id], f);
    pl->n_flows--;
    pl->gen++;
    free(f);
}

static int
flow_check(const struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
           struct ofp_error *err)
{
    const struct ofp_instructions *in = &fm->insts;

    if ((in->present & (1u << OFPIT_GOTO_TABLE))
        && (in->goto_table >= pl->params.n_tables || in->goto_table <= fm->table_id)) {
        return error(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);
    }
    if ((in->present & (1u << OFPIT_METER)) && !meter_find(pl, in->meter_id)) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER);
    }
    if (ofpl_check_actions(pl, in->apply.actions, in->apply.n, false, err)
        || ofpl_check_actions(pl, in->write.actions, in->write.n, false, err)) {
        return EPROTO;
    }
    struct ofp_match m = fm->match;
    return (ofp_actions_check_match(&m, in->apply.actions, in->apply.n, err)
            || ofp_actions_check_match(&m, in->write.actions, in->write.n, err)) ? EPROTO : 0;
}

static int
flow_add(struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
         uint64_t now_ns, struct ofp_error *err)
{
    struct ofpl_table *tb = &pl->tables[fm->table_id];
    struct ofpl_key val, mask;
    struct ofpl_flow *old = NULL, *f;

    ofpl_match_to_keys(&fm->match, &val, &mask);
    for (uint32_t i = 0; i < tb->n_tuples && !old; i++) {
        struct ofpl_tuple *tu = tb->tuples[i];
        if (memcmp(&tu->mask, &mask, sizeof mask)) {
            continue;
        }
        uint32_t h = tuple_hash(tu, &val);
        for (f = tuple_chain(tu, h); f; f = f->next) {
            if (f->hash == h && f->priority == fm->priority
                && !memcmp(&f->val, &val, sizeof val)) {
                old = f;
                break;
            }
        }
    }
    if (!old && (fm->flags & OFPFF_CHECK_OVERLAP)) {
        for (f = tb->flows; f; f = f->lnext) {
            if (f->priority != fm->priority) {
                continue;
            }
            bool overlap = true;
            for (int w = 0; w < OFPL_KEY_WORDS && overlap; w++) {
                uint64_t both = f->tuple->mask.w[w] & mask.w[w];
                overlap = !((f->val.w[w] ^ val.w[w]) & both);
            }
            if (overlap) {
                return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP);
            }
        }
    }
    if (!old && pl->n_flows >= pl->params.max_flows) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL);
    }
    f = flow_new(fm, &val, now_ns);
    if (!f) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
    }
    if (old) {
        /* Same match and priority: the new flow replaces it; counters
         * stay unless OFPFF_RESET_COUNTS (as Open vSwitch does). */
        if (!(fm->flags & OFPFF12_RESET_COUNTS)) {
            f->n_packets = old->n_packets;
            f->n_bytes = old->n_bytes;
        }
        ofpl_table_remove(tb, old);
        pl->n_flows--;
        free(old);
    }
    if (!ofpl_table_insert(tb, f, &mask)) {
        free(f);
        pl->gen++;
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
    }
    pl->n_flows++;
    pl->gen++;
    return 0;
}

/* Replaces the instructions of 'f' with those of 'fm'. */
static int
flow_modify(struct ofpl_pipeline *pl, struct ofpl_flow *f,
            const struct ofp_flow_mod_body *fm, uint64_t now_ns)
{
    struct ofpl_flow *n = flow_new(fm, &f->val, now_ns);
    struct ofpl_table *tb = &pl->tables[f->table_id];
    struct ofpl_key mask = f->tuple->mask;

    if (!n) {
        return ENOMEM;
    }
    n->priority = f->priority;
    n->match = f->match;
    n->cookie = f->cookie;
    n->created_ns = f->created_ns;
    n->flags = f->flags;
    n->idle_timeout = f->idle_timeout;
    n->hard_timeout = f->hard_timeout;
    if (!(fm->flags & OFPFF12_RESET_COUNTS)) {
        n->n_packets = f->n_packets;
        n->n_bytes = f->n_bytes;
    }
    n->used_ns = f->used_ns;
    ofpl_table_remove(tb, f);
    free(f);
    ofpl_table_insert(tb, n, &mask);
    pl->gen++;
    return 0;
}

int
ofpl_flow_mod(struct ofpl_pipeline *pl, const struct ofp_flow_mod_body *fm,
              uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
              struct ofp_error *err)
{
    bool strict = fm->command == OFPFC_MODIFY_STRICT
                  || fm->command == OFPFC_DELETE_STRICT;
    bool del = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    struct ofpl_key val, mask;
    unsigned t0, t1;

    if (fm->command > OFPFC_DELETE_STRICT) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND);
    }
    if (fm->table_id == OFPTT_ALL && del) {
        t0 = 0;
        t1 = pl->params.n_tables;
    } else if (fm->table_id >= pl->params.n_tables) {
        return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    } else {
        t0 = fm->table_id;
        t1 = t0 + 1;
    }
    if (!del && flow_check(pl, fm, err)) {
        return EPROTO;
    }
    if (fm->command == OFPFC_ADD) {
        return flow_add(pl, fm, now_ns, err);
    }

    ofpl_match_to_keys(&fm->match, &val, &mask);
    for (unsigned t = t0; t < t1; t++) {
        struct ofpl_table *tb = &pl->tables[t];
        struct ofpl_flow *f, *next;

        /* Collect first: modify re-inserts at the head of the list. */
        size_t n = 0, cap = tb->n_flows;
        struct ofpl_flow **sel = cap ? malloc(cap * sizeof *sel) : NULL;
        if (cap && !sel) {
            return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
        }
        for (f = tb->flows; f; f = next) {
            next = f->lnext;
            bool hit = strict ? flow_same_match(f, &val, &mask, fm->priority)
                              : ofpl_flow_covered(f, &val, &mask);
            if (hit && ofpl_flow_selected(f, fm->cookie, fm->cookie_mask,
                                     del ? fm->out_port : OFPP13_ANY,
                                     del ? fm->out_group : OFPG_ANY)) {
                sel[n++] = f;
            }
        }
        for (size_t i = 0; i < n; i++) {
            if (del) {
                flow_delete(pl, sel[i], OFPRR_DELETE, now_ns, removed, aux);
            } else if (flow_modify(pl, sel[i], fm, now_ns)) {
                free(sel);
                return error(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN);
            }
        }
        free(sel);
    }
    return 0;
}

unsigned
ofpl_expire(struct ofpl_pipeline *pl, uint64_t now_ns, ofpl_removed_fn *removed,
            void *aux)
{
    unsigned n = 0;

    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        struct ofpl_flow *f, *next;
        for (f = pl->tables[t].flows; f; f = next) {
            next = f->lnext;
            if (f->hard_timeout
                && now_ns - f->created_ns >= f->hard_timeout * 1000000000ull) {
                flow_delete(pl, f, OFPRR_HARD_TIMEOUT, now_ns, removed, aux);
                n++;
            } else if (f->idle_timeout
                       && now_ns - f->used_ns >= f->idle_timeout * 1000000000ull) {
                flow_delete(pl, f, OFPRR_IDLE_TIMEOUT, now_ns, removed, aux);
                n++;
            }
        }
    }
    return n;
}

/* Removes the flows whose instructions use group 'group' (or meter
 * 'meter'), reporting 'reason'. */
static void
flows_delete_using(struct ofpl_pipeline *pl, uint32_t group, uint32_t meter,
                   uint8_t reason, uint64_t now_ns, ofpl_removed_fn *removed,
                   void *aux)
{
    for (unsigned t = 0; t < pl->params.n_tables; t++) {
        struct ofpl_flow *f, *next;
        for (f = pl->tables[t].flows; f; f = next) {
            next = f->lnext;
            bool uses = group != OFPG_ANY
                        ? ofpl_acts_have_group(&f->insts.apply, group)
                          || ofpl_acts_have_group(&f->insts.write, group)
                        : (f->insts.present & (1u << OFPIT_METER))
                          && f->insts.meter_id == meter;
            if (uses) {
                flow_delete(pl, f, reason, now_ns, removed, aux);
            }
        }
    }
}

/* ---- Groups ---------------------------------------------------------------- */

static void
group_free(struct ofpl_group *g)
{
    if (g) {
        for (size_t b = 0; b < g->n_buckets; b++) {
            free(g->buckets[b].acts);
        }
        free(g->buckets);
        free(g);
    }
}

static struct ofpl_group *
group_new(const struct ofp_group_mod_body *gm, uint64_t now_ns)
{
    struct ofpl_group *g = calloc(1, sizeof *g);

    if (!g || !(g->buckets = calloc(gm->n_buckets + 1, sizeof *g->buckets))) {
        free(g);
        return NULL;
    }
    g->id = gm->group_id;
    g->type = gm->type;
    g->created_ns = now_ns;
    g->n_buckets = gm->n_buckets;
    for (size_t i = 0; i < gm->n_buckets; i++) {
        const struct ofp_bucket *src = &gm->buckets[i];
        struct ofpl_bucket *b = &g->buckets[i];
        b->weight = src->weight;
        b->watch_port = src->watch_port;
        b->watch_group = src->watch_group;
        b->n_acts = src->actions.n;
        b->acts = calloc(src->actions.n + 1, sizeof *b->acts);
        if (!b->acts) {
            group_free(g);
            return NULL;
        }
        if (src->actions.n) {
            memcpy(b->acts, src->actions.actions, src->actions.n * sizeof *b->acts);
        }
    }
    return g;
}

static void
group_remove_at(struct ofpl_pipeline *pl, size_t i, uint64_t now_ns,
                ofpl_removed_fn *removed, void *aux)
{
    struct ofpl_group *g = pl->groups[i];

    memmove(&pl->groups[i], &pl->groups[i + 1],
            (pl->n_groups - i - 1) * sizeof *pl->groups);
    pl->n_groups--;
    flows_delete_using(pl, g->id, 0, OFPRR_GROUP_DELETE, now_ns, removed, aux);
    group_free(g);
    pl->gen++;
}

/* True if group 'from' (an installed one) forwards, through any chain of
 * group actions, to group 'target'.  The installed groups hold no loop
 * (each GROUP_MOD is checked), so the walk ends; 'depth' bounds it all the
 * same. */
static bool
group_reaches(const struct ofpl_pipeline *pl, uint32_t from, uint32_t target,
              int depth)
{
    const struct ofpl_group *g = group_find(pl, from);

    if (!g || depth > 64) {
        return false;
    }
    for (size_t b = 0; b < g->n_buckets; b++) {
        for (size_t k = 0; k < g->buckets[b].n_acts; k++) {
            const struct ofp_action *a = &g->buckets[b].acts[k];
            if (a->type == OFPAT_GROUP
                && (a->group_id == target
                    || group_reaches(pl, a->group_id, target, depth + 1))) {
                return true;
            }
        }
    }
    return false;
}

int
ofpl_group_mod(struct ofpl_pipeline *pl, const struct ofp_group_mod_body *gm,
               uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
               struct ofp_error *err)
{
    bool found;
    size_t i;

    if (gm->command == OFPGC11_DELETE) {
        if (gm->group_id == OFPG_ALL) {
            while (pl->n_groups) {
                group_remove_at(pl, pl->n_groups - 1, now_ns, removed, aux);
            }
        } else {
            i = id_search((void *const *) pl->groups, pl->n_groups, gm->group_id, &found);
            if (found) {
                group_remove_at(pl, i, now_ns, removed, aux);
            }
        }
        return 0;
    }
    if (gm->command != OFPGC11_ADD && gm->command != OFPGC11_MODIFY) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND);
    }
    if (gm->group_id > OFPG_MAX) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    if (gm->type > OFPGT11_FF) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE);
    }
    if (gm->type == OFPGT11_INDIRECT && gm->n_buckets != 1) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    for (size_t b = 0; b < gm->n_buckets; b++) {
        const struct ofp_action_list *l = &gm->buckets[b].actions;
        for (size_t k = 0; k < l->n; k++) {
            if (l->actions[k].type == OFPAT_GROUP
                && (l->actions[k].group_id == gm->group_id
                    || group_reaches(pl, l->actions[k].group_id, gm->group_id, 0))) {
                return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP);
            }
        }
        if (ofpl_check_actions(pl, l->actions, l->n, false, err)) {
            return EPROTO;
        }
    }
    i = id_search((void *const *) pl->groups, pl->n_groups, gm->group_id, &found);
    if (gm->command == OFPGC11_ADD && found) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS);
    }
    if (gm->command == OFPGC11_MODIFY && !found) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP);
    }
    struct ofpl_group *g = group_new(gm, now_ns);
    if (!g) {
        return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS);
    }
    if (found) {
        g->created_ns = pl->groups[i]->created_ns;
        group_free(pl->groups[i]);
        pl->groups[i] = g;
    } else {
        if (pl->n_groups == pl->alloc_groups) {
            size_t n = pl->alloc_groups ? 2 * pl->alloc_groups : 16;
            struct ofpl_group **a = realloc(pl->groups, n * sizeof *a);
            if (!a) {
                group_free(g);
                return error(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS);
            }
            pl->groups = a;
            pl->alloc_groups = n;
        }
        memmove(&pl->groups[i + 1], &pl->groups[i],
                (pl->n_groups - i) * sizeof *pl->groups);
        pl->groups[i] = g;
        pl->n_groups++;
    }
    pl->gen++;
    return 0;
}

/* ---- Meters ---------------------------------------------------------------- */

static struct ofpl_meter *
meter_new(const struct ofp_meter_mod_body *mm, uint64_t now_ns)
{
    struct ofpl_meter *m = calloc(1, sizeof *m + mm->n_bands * sizeof m->bands[0]);

    if (!m) {
        return NULL;
    }
    m->id = mm->meter_id;
    m->flags = mm->flags;
    m->created_ns = m->last_ns = now_ns;
    m->n_bands = mm->n_bands;
    for (size_t i = 0; i < mm->n_bands; i++) {
        const struct ofp_meter_band *src = &mm->bands[i];
        struct ofpl_band *b = &m->bands[i];
        uint64_t burst;

        b->type = src->type;
        b->rate = src->rate;
        b->burst = src->burst_size;
        b->prec_level = src->prec_level;
        if (mm->flags & OFPMF13_PKTPS) {
            b->per_s = src->rate;
            burst = mm->flags & OFPMF13_BURST && src->burst_size
                    ? src->burst_size : (src->rate / 10 ? src->rate / 10 : 1);
        } else {
            b->per_s = (uint64_t) src->rate * 1000 / 8;        /* kbit/s */
            burst = mm->flags & OFPMF13_BURST && src->burst_size
                    ? (uint64_t) src->burst_size * 1000 / 8 : b->per_s / 10;
            if (burst < 1514) {
                burst = 1514;
            }
        }
        b->capacity = burst * 1000000ull;
        b->tokens = b->capacity;
    }
    return m;
}

int
ofpl_meter_mod(struct ofpl_pipeline *pl, const struct ofp_meter_mod_body *mm,
               uint64_t now_ns, ofpl_removed_fn *removed, void *aux,
               struct ofp_error *err)
{
    bool found;
    size_t i;

    if (mm->command == OFPMC13_DELETE) {
        for (i = pl->n_meters; i-- > 0;) {
            struct ofpl_meter *m = pl->meters[i];
            if (mm->meter_id == OFPM13_ALL || m->id == mm->meter_id) {
                memmove(&pl->meters[i], &pl->meters[i + 1],
                        (pl->n_meters - i - 1) * sizeof *pl->meters);
                pl->n_meters--;
                flows_delete_using(pl, OFPG_ANY, m->id, OFPRR_DELETE, now_ns,
                                   removed, aux);
                free(m);
                pl->gen++;
            }
        }
        return 0;
    }
    if (mm->command != OFPMC13_ADD && mm->command != OFPMC13_MODIFY) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND);
    }
    if (!mm->meter_id || mm->meter_id > OFPM13_MAX) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER);
    }
    if ((mm->flags & OFPMF13_KBPS) && (mm->flags & OFPMF13_PKTPS)) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS);
    }
    if (mm->n_bands > OFPL_METER_MAX_BANDS) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS);
    }
    for (size_t b = 0; b < mm->n_bands; b++) {
        if (mm->bands[b].type != OFPMBT13_DROP
            && mm->bands[b].type != OFPMBT13_DSCP_REMARK) {
            return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
        }
        if (!mm->bands[b].rate) {
            return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE);
        }
    }
    i = id_search((void *const *) pl->meters, pl->n_meters, mm->meter_id, &found);
    if (mm->command == OFPMC13_ADD && found) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS);
    }
    if (mm->command == OFPMC13_MODIFY && !found) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER);
    }
    struct ofpl_meter *m = meter_new(mm, now_ns);
    if (!m) {
        return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS);
    }
    if (found) {
        struct ofpl_meter *old = pl->meters[i];
        m->created_ns = old->created_ns;
        m->n_packets = old->n_packets;
        m->n_bytes = old->n_bytes;
        free(old);
        pl->meters[i] = m;
    } else {
        if (pl->n_meters == pl->alloc_meters) {
            size_t n = pl->alloc_meters ? 2 * pl->alloc_meters : 16;
            struct ofpl_meter **a = realloc(pl->meters, n * sizeof *a);
            if (!a) {
                free(m);
                return error(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS);
            }
            pl->meters = a;
            pl->alloc_meters = n;
        }
        memmove(&pl->meters[i + 1], &pl->meters[i],
                (pl->n_meters - i) * sizeof *pl->meters);
        pl->meters[i] = m;
        pl->n_meters++;
    }
    pl->gen++;
    return 0;
}
