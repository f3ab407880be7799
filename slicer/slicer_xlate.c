/*
 * slicer_xlate: what a slice's controller may do, and how it looks on the
 * switch.  Pure functions of the configuration (no sockets), so that the
 * rules can be unit-tested one by one.  See slicer.h and docs/slicer.md.
 *
 * The rules, stricter than FlowVisor's (which checked only outputs):
 * - output: only to the slice's ports (translated), IN_PORT, CONTROLLER;
 *   FLOOD and ALL become the list of the slice's ports; NORMAL and LOCAL
 *   are refused (they reach every port); TABLE only in a PACKET_OUT whose
 *   packet lies in the slice's flowspace.
 * - group: only the slice's own id range.
 * - set-field on a field the flowspace constrains: only to a value that
 *   keeps the packet inside the same flowspace match; set-field on a tag
 *   (VLAN id or PCP, tunnel id, MPLS label) that another slice's flowspace
 *   constrains and this one's does not, and push/pop VLAN when any slice
 *   constrains the VLAN, are refused; push/pop MPLS when it constrains
 *   anything above Ethernet, are refused (they would move the packet out
 *   of the match that admitted it, and a later table or port of another
 *   slice would then take it).
 * - set-queue: only the slice's own queue.
 * All refusals are OpenFlow errors (OFPBAC_BAD_OUT_PORT,
 * OFPBAC_BAD_OUT_GROUP, OFPBAC_EPERM, OFPBAC_BAD_QUEUE, ...).
 */
#include "slicer.h"

#include <errno.h>
#include <string.h>

#include "flowspace.h"
#include "util.h"

#define OFPG_ALL_ 0xfffffffc
#define OFPG_ANY_ 0xffffffff
#define OFPM_ALL_ 0xffffffff
#define OFPFF_SEND_FLOW_REM_ 1

uint64_t
xlate_cookie_tag_mask(const struct slicer_config *cfg)
{
    return UINT64_C(0xffff) << cfg->tag_shift;
}

/* The controller's own cookie bits: all below the tag but one, which
 * marks the flows made from the controller's table-miss entry. */
uint64_t
xlate_cookie_ctrl_mask(const struct slicer_config *cfg)
{
    return (UINT64_C(1) << (cfg->tag_shift - 1)) - 1;
}

/* The cookie bit of flows narrowed from a table-miss entry (priority 0,
 * empty match).  Such a flow no longer matches everything, so a switch
 * reports its PACKET_INs as OFPR_ACTION; the slicer gives them back to
 * the controller as OFPR_NO_MATCH, which is what the controller's own
 * entry would have produced (learning switches such as ovs-testcontroller
 * ignore anything else). */
uint64_t
xlate_cookie_miss_bit(const struct slicer_config *cfg)
{
    return UINT64_C(1) << (cfg->tag_shift - 1);
}

uint16_t
xlate_cookie_tag(const struct slicer_config *cfg, uint64_t cookie)
{
    return cookie >> cfg->tag_shift;
}

static int
refuse(struct ofp_error *err, uint16_t type, uint16_t code)
{
    *err = OFP_ERROR(type, code);
    return EPROTO;
}

/* Calls 'cb' for every flowspace match of the slice on its switch. */
static bool
fs_applies(const struct fs_entry *e, const struct xlate_ctx *x)
{
    return e->slice == x->slice && (!e->dpid || e->dpid == x->dp->dpid);
}

/* True if a flowspace entry constrains field 'f': with 'others' false,
 * one of x's slice on this switch; with 'others' true, one of any other
 * slice on any switch. */
static bool
fs_constrains(const struct xlate_ctx *x, enum ofp_field f, bool others)
{
    for (size_t i = 0; i < x->cfg->n_fs; i++) {
        const struct fs_entry *e = x->cfg->fs[i];
        if (others ? e->slice == x->slice : !fs_applies(e, x)) {
            continue;
        }
        for (size_t k = 0; k < e->n_matches; k++) {
            if (ofp_match_has(&e->matches[k], f)) {
                return true;
            }
        }
    }
    return false;
}

/* True if the slice's flowspace on this switch constrains field 'f' in
 * match 'fs', or in any of its matches when 'fs' is NULL. */
static bool
field_defines(const struct xlate_ctx *x, const struct ofp_match *fs,
              enum ofp_field f)
{
    return fs ? ofp_match_has(fs, f) : fs_constrains(x, f, false);
}

/* True if a slice other than x's constrains field 'f' in its flowspace,
 * on any switch: a tag that defines another slice (its VLAN, its tunnel
 * id) that x's packets carried onwards would put them in that slice at
 * the next table or the next switch. */
static bool
field_defines_other(const struct xlate_ctx *x, enum ofp_field f)
{
    return fs_constrains(x, f, true);
}

/* Tag fields: set-field on one of them, where it defines another slice and
 * not x's own, is refused (x's own is checked against its flowspace). */
static bool
is_tag_field(enum ofp_field f)
{
    return f == OFP_F_VLAN_VID || f == OFP_F_VLAN_PCP || f == OFP_F_TUNNEL_ID
           || f == OFP_F_MPLS_LABEL;
}

/* Fields that push/pop MPLS leaves alone (it changes the ethertype and
 * hides or reveals everything above). */
static const uint64_t l2_fields = (UINT64_C(1) << OFP_F_IN_PORT)
                                  | (UINT64_C(1) << OFP_F_METADATA)
                                  | (UINT64_C(1) << OFP_F_ETH_DST)
                                  | (UINT64_C(1) << OFP_F_ETH_SRC)
                                  | (UINT64_C(1) << OFP_F_VLAN_VID)
                                  | (UINT64_C(1) << OFP_F_VLAN_PCP)
                                  | (UINT64_C(1) << OFP_F_TUNNEL_ID);

static bool
defines_above_l2(const struct xlate_ctx *x, const struct ofp_match *fs)
{
    for (int f = 0; f < OFP_F_N; f++) {
        if (!((l2_fields >> f) & 1) && field_defines(x, fs, f)) {
            return true;
        }
    }
    return false;
}

int
xlate_actions(const struct xlate_ctx *x, const struct ofp_match *fs,
              uint32_t in_port, bool packet_out,
              const struct ofp_action_list *in, struct ofp_arena *arena,
              struct ofp_action_list *out, struct ofp_error *err)
{
    const struct slice *s = x->slice;
    const struct slice_dp *dp = x->dp;
    size_t cap = in->n + 1, n = 0;
    bool has_output = false, has_queue = false;
    struct ofp_action *acts;

    for (size_t i = 0; i < in->n; i++) {
        const struct ofp_action *a = &in->actions[i];
        if (a->type == OFPAT_OUTPUT && (a->output.port == OFPP13_FLOOD
                                        || a->output.port == OFPP13_ALL)) {
            cap += dp->n_ports;
        }
    }
    acts = ofp_arena_alloc(arena, cap * sizeof *acts);
    /* The slice's queue, when it has one, comes first: set-queue applies to
     * the outputs after it. */
    for (size_t i = 0; i < in->n; i++) {
        has_output |= in->actions[i].type == OFPAT_OUTPUT;
        has_queue |= in->actions[i].type == OFPAT_SET_QUEUE;
    }
    if (s->has_queue && has_output && !has_queue) {
        acts[n].type = OFPAT_SET_QUEUE;
        acts[n].queue_id = s->queue_id;
        n++;
    }

    for (size_t i = 0; i < in->n; i++) {
        const struct ofp_action *a = &in->actions[i];
        struct ofp_action t = *a;

        switch (a->type) {
        case OFPAT_OUTPUT: {
            uint32_t p = a->output.port;
            if (p && p < OFPP13_MAX) {
                t.output.port = slice_dp_phys_port(dp, p);
                if (!t.output.port) {
                    return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
                }
            } else if (p == OFPP13_IN_PORT || p == OFPP13_CONTROLLER) {
                /* The packet's own port, or back to the slicer. */
            } else if (p == OFPP13_TABLE) {
                if (!packet_out || !fs) {
                    return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
                }
            } else if (p == OFPP13_FLOOD || p == OFPP13_ALL) {
                for (size_t k = 0; k < dp->n_ports; k++) {
                    if (dp->ports[k].phys == in_port) {
                        continue;
                    }
                    acts[n] = *a;
                    acts[n].output.port = dp->ports[k].phys;
                    n++;
                }
                continue;
            } else {
                /* NORMAL, LOCAL, ANY: would reach ports of other slices. */
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
            }
            break;
        }
        case OFPAT_GROUP:
            if (a->group_id > SLICE_GROUP_MAX) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
            }
            t.group_id = xlate_group_to_phys(s, a->group_id);
            break;
        case OFPAT_SET_QUEUE:
            if (!s->has_queue || a->queue_id != s->queue_id) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_QUEUE);
            }
            break;
        case OFPAT_SET_FIELD: {
            enum ofp_field f = a->set_field.field;
            if (f >= OFP_F_N || f == OFP_F_IN_PORT) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
            }
            if (field_defines(x, fs, f)
                && (!fs || !fs_match_field_allows(fs, f,
                                                  &a->set_field.value))) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_EPERM);
            }
            if (is_tag_field(f) && !field_defines(x, fs, f)
                && field_defines_other(x, f)) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_EPERM);
            }
            /* A tunnel id picks the overlay (VXLAN, GRE key) a packet
             * joins past this switch, where no flowspace the slicer sees
             * applies: only a slice defined by tunnel ids sets one, within
             * its own (checked above). */
            if (f == OFP_F_TUNNEL_ID && !field_defines(x, fs, f)) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_EPERM);
            }
            break;
        }
        case OFPAT_PUSH_VLAN:
        case OFPAT_POP_VLAN:
            /* Also when another slice is VLAN-defined: a pushed tag (or
             * the inner one a pop reveals) could carry its VID. */
            if (field_defines(x, fs, OFP_F_VLAN_VID)
                || field_defines(x, fs, OFP_F_VLAN_PCP)
                || field_defines_other(x, OFP_F_VLAN_VID)
                || field_defines_other(x, OFP_F_VLAN_PCP)) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_EPERM);
            }
            break;
        case OFPAT_PUSH_MPLS:
        case OFPAT_POP_MPLS:
            if (defines_above_l2(x, fs)) {
                return refuse(err, OFPET_BAD_ACTION, OFPBAC_EPERM);
            }
            break;
        case OFPAT_COPY_TTL_OUT:
        case OFPAT_COPY_TTL_IN:
        case OFPAT_SET_MPLS_TTL:
        case OFPAT_DEC_MPLS_TTL:
        case OFPAT_SET_NW_TTL:
        case OFPAT_DEC_NW_TTL:
            /* TTLs and copies change no field a flowspace can match. */
            break;
        default:
            /* Anything else (push/pop PBB, which would hide the tags that
             * classify the packet, or a type yet unknown) is refused here
             * too, whatever the codec let through. */
            return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);
        }
        acts[n++] = t;
    }
    out->actions = acts;
    out->n = n;
    return 0;
}

/* Translates the instructions of one flow piece. */
static int
xlate_insts(const struct xlate_ctx *x, const struct ofp_match *fs,
            uint32_t in_port, const struct ofp_instructions *in,
            struct ofp_arena *arena, struct ofp_instructions *out,
            struct ofp_error *err)
{
    int error;

    *out = *in;
    if (ofp_insts_has(in, OFPIT_APPLY_ACTIONS)) {
        error = xlate_actions(x, fs, in_port, false, &in->apply, arena,
                              &out->apply, err);
        if (error) {
            return error;
        }
    }
    if (ofp_insts_has(in, OFPIT_WRITE_ACTIONS)) {
        error = xlate_actions(x, fs, in_port, false, &in->write, arena,
                              &out->write, err);
        if (error) {
            return error;
        }
    }
    if (ofp_insts_has(in, OFPIT_METER)) {
        if (!in->meter_id || in->meter_id > SLICE_METER_MAX) {
            return refuse(err, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER);
        }
        out->meter_id = xlate_meter_to_phys(x->slice, in->meter_id);
    }
    return 0;
}

static void
set_cookie_filter(const struct xlate_ctx *x, const struct ofp_flow_mod_body *in,
                  struct ofp_flow_mod_body *p)
{
    uint64_t ctrl = xlate_cookie_ctrl_mask(x->cfg);
    uint64_t tag = (uint64_t) x->slice->tag << x->cfg->tag_shift;

    p->cookie_mask = (in->cookie_mask & ctrl) | xlate_cookie_tag_mask(x->cfg);
    p->cookie = (in->cookie & in->cookie_mask & ctrl) | tag;
}

/* Translates out_port/out_group filters of MODIFY/DELETE and flow stats. */
static int
xlate_filters(const struct xlate_ctx *x, uint32_t *out_port,
              uint32_t *out_group, struct ofp_error *err)
{
    if (*out_port && *out_port < OFPP13_MAX) {
        uint32_t p = slice_dp_phys_port(x->dp, *out_port);
        if (!p) {
            return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
        }
        *out_port = p;
    }
    if (*out_group != OFPG_ANY_) {
        if (*out_group > SLICE_GROUP_MAX) {
            return refuse(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
        }
        *out_group = xlate_group_to_phys(x->slice, *out_group);
    }
    return 0;
}

int
xlate_flow_mod(const struct xlate_ctx *x, const struct ofp_flow_mod_body *in,
               struct ofp_arena *arena, struct ofp_flow_mod_body **piecesp,
               size_t *n_pieces, struct ofp_error *err)
{
    const struct slice_dp *dp = x->dp;
    struct ofp_flow_mod_body *pieces;
    uint32_t only_port = 0;
    size_t n = 0, cap = 0;
    int error;

    *piecesp = NULL;
    *n_pieces = 0;
    if (ofp_match_has(&in->match, OFP_F_IN_PORT)) {
        only_port = slice_dp_phys_port(dp, in->match.v.in_port);
        if (!only_port) {
            return refuse(err, OFPET_BAD_MATCH, OFPBMC_EPERM);
        }
    }

    if (in->command == OFPFC_DELETE) {
        /* The tag in the cookie confines a non-strict delete to the
         * slice's flows, whatever the match: one message is enough. */
        pieces = ofp_arena_alloc(arena, sizeof *pieces);
        pieces[0] = *in;
        if (only_port) {
            pieces[0].match.v.in_port = only_port;
        }
        error = xlate_filters(x, &pieces[0].out_port, &pieces[0].out_group,
                              err);
        if (error) {
            return error;
        }
        set_cookie_filter(x, in, &pieces[0]);
        *piecesp = pieces;
        *n_pieces = 1;
        return 0;
    }

    for (size_t i = 0; i < x->cfg->n_fs; i++) {
        if (fs_applies(x->cfg->fs[i], x)) {
            cap += x->cfg->fs[i]->n_matches * (only_port ? 1 : dp->n_ports);
        }
    }
    if (cap > SLICE_MAX_PIECES) {
        cap = SLICE_MAX_PIECES;
    }
    pieces = ofp_arena_alloc(arena, (cap ? cap : 1) * sizeof *pieces);

    for (size_t i = 0; i < x->cfg->n_fs; i++) {
        const struct fs_entry *e = x->cfg->fs[i];
        if (!fs_applies(e, x)) {
            continue;
        }
        for (size_t k = 0; k < e->n_matches; k++) {
            const struct ofp_match *fsm = &e->matches[k];
            for (size_t pi = 0; pi < dp->n_ports; pi++) {
                uint32_t port = dp->ports[pi].phys;
                struct ofp_match pm, r, translated;
                struct ofp_flow_mod_body *p;
                bool dup = false;

                if (only_port && port != only_port) {
                    continue;
                }
                translated = in->match;
                ofp_match_clear(&translated, OFP_F_IN_PORT);
                ofp_match_init(&pm);
                ofp_match_set_u(&pm, OFP_F_IN_PORT, port);
                if (!fs_match_intersect(&translated, fsm, &r)
                    || !fs_match_intersect(&r, &pm, &r)) {
                    continue;
                }
                for (size_t d = 0; d < n && !dup; d++) {
                    dup = ofp_match_equal(&pieces[d].match, &r);
                }
                if (dup) {
                    continue;
                }
                if (n >= cap) {
                    return refuse(err, OFPET_FLOW_MOD_FAILED,
                                  OFPFMFC_TABLE_FULL);
                }
                p = &pieces[n];
                *p = *in;
                p->match = r;
                error = xlate_insts(x, fsm, port, &in->insts, arena,
                                    &p->insts, err);
                if (error) {
                    return error;
                }
                if (in->command == OFPFC_ADD) {
                    p->cookie = ((uint64_t) x->slice->tag << x->cfg->tag_shift)
                                | (in->cookie & xlate_cookie_ctrl_mask(x->cfg));
                    if (!in->priority && !in->match.present) {
                        p->cookie |= xlate_cookie_miss_bit(x->cfg);
                    }
                    p->cookie_mask = 0;
                    /* The slicer learns of every flow that goes away. */
                    p->flags |= OFPFF_SEND_FLOW_REM_;
                } else {
                    set_cookie_filter(x, in, p);
                    error = xlate_filters(x, &p->out_port, &p->out_group, err);
                    if (error) {
                        return error;
                    }
                }
                n++;
            }
        }
    }
    if (!n && in->command == OFPFC_ADD) {
        /* Nothing of this flow lies in the slice's flowspace. */
        return refuse(err, OFPET_BAD_MATCH, OFPBMC_EPERM);
    }
    *piecesp = pieces;
    *n_pieces = n;
    return 0;
}

static bool
buffer_known(const struct slice_dp *dp, uint32_t buffer_id)
{
    for (size_t i = 0; i < SLICE_BUFFER_RING; i++) {
        if (dp->buffers[i] == buffer_id && buffer_id != OFP13_NO_BUFFER) {
            return true;
        }
    }
    return false;
}

int
xlate_packet_out(const struct xlate_ctx *x, struct ofp_packet_out_body *po,
                 struct ofp_arena *arena, struct ofp_error *err)
{
    const struct ofp_match *fs = NULL;
    uint32_t in_port = 0;
    struct ofp_action_list out;
    int error;

    if (po->in_port && po->in_port < OFPP13_MAX) {
        in_port = slice_dp_phys_port(x->dp, po->in_port);
        if (!in_port) {
            return refuse(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
        }
        po->in_port = in_port;
    } else if (po->in_port != OFPP13_CONTROLLER && po->in_port != OFPP13_ANY) {
        return refuse(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    }
    if (po->buffer_id != OFP13_NO_BUFFER
        && !buffer_known(x->dp, po->buffer_id)) {
        return refuse(err, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    }
    if (po->data_len) {
        struct ofp_match pkt;
        fs_packet_parse(po->data, po->data_len, in_port, &pkt);
        for (size_t i = 0; i < x->cfg->n_fs && !fs; i++) {
            const struct fs_entry *e = x->cfg->fs[i];
            if (!fs_applies(e, x)) {
                continue;
            }
            for (size_t k = 0; k < e->n_matches && !fs; k++) {
                if (fs_match_has_packet(&e->matches[k], &pkt)) {
                    fs = &e->matches[k];
                }
            }
        }
        if (!fs) {
            /* The bytes are not a packet of this slice. */
            return refuse(err, OFPET_BAD_REQUEST, OFPBRC_EPERM);
        }
    }
    error = xlate_actions(x, fs, in_port, true, &po->actions, arena, &out,
                          err);
    if (error) {
        return error;
    }
    po->actions = out;
    return 0;
}

int
xlate_group_mod(const struct xlate_ctx *x, struct ofp_group_mod_body *gm,
                struct ofp_arena *arena, struct ofp_error *err)
{
    if (gm->command == OFPGC11_DELETE && gm->group_id == OFPG_ALL_) {
        return 0;               /* The caller expands it. */
    }
    if (gm->group_id > SLICE_GROUP_MAX) {
        return refuse(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    gm->group_id = xlate_group_to_phys(x->slice, gm->group_id);
    for (size_t i = 0; i < gm->n_buckets; i++) {
        struct ofp_bucket *b = &gm->buckets[i];
        struct ofp_action_list out;
        int error;

        if (b->watch_port && b->watch_port < OFPP13_MAX) {
            b->watch_port = slice_dp_phys_port(x->dp, b->watch_port);
            if (!b->watch_port) {
                return refuse(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH);
            }
        }
        if (b->watch_group != OFPG_ANY_) {
            if (b->watch_group > SLICE_GROUP_MAX) {
                return refuse(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH);
            }
            b->watch_group = xlate_group_to_phys(x->slice, b->watch_group);
        }
        /* A bucket's packets are not known: every field the flowspace
         * defines is protected. */
        error = xlate_actions(x, NULL, 0, false, &b->actions, arena, &out,
                              err);
        if (error) {
            return error;
        }
        b->actions = out;
    }
    return 0;
}

int
xlate_meter_mod(const struct xlate_ctx *x, struct ofp_meter_mod_body *mm,
                struct ofp_error *err)
{
    if (mm->command == OFPMC13_DELETE && mm->meter_id == OFPM_ALL_) {
        return 0;               /* The caller expands it. */
    }
    if (!mm->meter_id || mm->meter_id > SLICE_METER_MAX) {
        return refuse(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER);
    }
    mm->meter_id = xlate_meter_to_phys(x->slice, mm->meter_id);
    return 0;
}

/* ---- Back to the slice's view ----------------------------------------- */

void
xlate_actions_back(const struct xlate_ctx *x, struct ofp_action_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct ofp_action *a = &l->actions[i];
        if (a->type == OFPAT_OUTPUT && a->output.port
            && a->output.port < OFPP13_MAX) {
            uint32_t v = slice_dp_virt_port(x->dp, a->output.port);
            a->output.port = v ? v : a->output.port;
        } else if (a->type == OFPAT_GROUP) {
            a->group_id &= SLICE_GROUP_MAX;
        }
    }
}

void
xlate_insts_back(const struct xlate_ctx *x, struct ofp_instructions *in)
{
    if (ofp_insts_has(in, OFPIT_APPLY_ACTIONS)) {
        xlate_actions_back(x, &in->apply);
    }
    if (ofp_insts_has(in, OFPIT_WRITE_ACTIONS)) {
        xlate_actions_back(x, &in->write);
    }
    if (ofp_insts_has(in, OFPIT_METER)) {
        in->meter_id &= SLICE_METER_MAX;
    }
}

bool
xlate_match_back(const struct xlate_ctx *x, struct ofp_match *m)
{
    if (ofp_match_has(m, OFP_F_IN_PORT)) {
        uint32_t v = slice_dp_virt_port(x->dp, m->v.in_port);
        if (!v) {
            return false;
        }
        m->v.in_port = v;
    }
    return true;
}

/* ---- PACKET_IN -------------------------------------------------------- */

struct slice *
xlate_packet_in_owner(const struct slicer_config *cfg, uint64_t dpid,
                      uint32_t in_port, uint64_t cookie, const void *data,
                      size_t len)
{
    uint16_t tag = xlate_cookie_tag(cfg, cookie);
    const struct fs_entry *best = NULL;
    struct ofp_match pkt;

    if (tag && cookie != UINT64_MAX) {
        struct slice *s = slicer_slice_by_tag(cfg, tag);
        struct slice_dp *dp = s ? slice_dp_find(s, dpid) : NULL;
        if (dp && slice_dp_virt_port(dp, in_port)) {
            return s;
        }
    }
    fs_packet_parse(data, len, in_port, &pkt);
    for (size_t i = 0; i < cfg->n_fs; i++) {
        const struct fs_entry *e = cfg->fs[i];
        const struct slice_dp *dp;

        if ((e->dpid && e->dpid != dpid)
            || (best && best->priority >= e->priority)) {
            continue;
        }
        dp = slice_dp_find(e->slice, dpid);
        if (!dp || !slice_dp_virt_port(dp, in_port)) {
            continue;
        }
        for (size_t k = 0; k < e->n_matches; k++) {
            if (fs_match_has_packet(&e->matches[k], &pkt)) {
                best = e;
                break;
            }
        }
    }
    return best ? best->slice : NULL;
}
