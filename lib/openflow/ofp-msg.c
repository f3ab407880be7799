/* Decoding and encoding of whole OpenFlow 1.3 messages (see ofp-msg.h). */
#include "ofp-msg.h"

#include <errno.h>
#include <string.h>

#include "ofp-wire-pvt.h"
#include "util.h"

#define HDR_LEN sizeof(struct ofp_header)

const char *
ofp_msg_type_name(uint8_t type)
{
    switch (type) {
#define OFP_MSG_TYPE_NAME(NAME, VALUE, TEXT) case VALUE: return TEXT;
    OFP_MSG_TYPES(OFP_MSG_TYPE_NAME)
#undef OFP_MSG_TYPE_NAME
    }
    return NULL;
}

const char *
ofp_mp_type_name(uint16_t type)
{
    switch (type) {
#define OFP_MP_TYPE_NAME(NAME, VALUE, TEXT) case VALUE: return TEXT;
    OFP_MP_TYPES(OFP_MP_TYPE_NAME)
#undef OFP_MP_TYPE_NAME
    }
    return NULL;
}

void
ofp_msg_init(struct ofp_msg *msg, enum ofp_msg_type type, uint32_t xid)
{
    memset(msg, 0, offsetof(struct ofp_msg, arena));
    msg->version = OFP13_VERSION_WIRE;
    msg->type = type;
    msg->xid = xid;
    ofp_arena_init(&msg->arena);
}

void
ofp_msg_free(struct ofp_msg *msg)
{
    if (msg) {
        ofp_arena_destroy(&msg->arena);
    }
}

/* ---- Decoding. ---- */

static int
bad_len(struct ofp_error *err)
{
    return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
}

static void
copy_str(char *dst, const char *src, size_t size)
{
    memcpy(dst, src, size);
    dst[size - 1] = '\0';
}

static int
decode_hello(const uint8_t *p, size_t len, struct ofp_hello *h,
             struct ofp_error *err)
{
    size_t ofs = 0;

    memset(h, 0, sizeof *h);
    while (len - ofs >= sizeof(struct ofp_hello_elem_header)) {
        uint16_t type = get_be16(p + ofs);
        uint16_t elen = get_be16(p + ofs + 2);

        if (elen < 4 || elen > len - ofs) {
            return bad_len(err);
        }
        if (type == OFPHET_VERSIONBITMAP && !h->has_bitmap) {
            if (elen < 8) {
                return bad_len(err);
            }
            h->has_bitmap = true;
            h->bitmap = get_be32(p + ofs + 4);
        }
        /* Unknown elements are ignored, as the specification asks. */
        ofs += MIN(ROUND_UP8(elen), len - ofs);
    }
    return 0;
}

static void
decode_port(const uint8_t *p, struct ofp_port_info *pi)
{
    struct ofp11_port w;

    WIRE_PULL(w, p);
    pi->port_no = be32toh(w.port_no);
    memcpy(pi->hw_addr, w.hw_addr.ea, 6);
    copy_str(pi->name, w.name, sizeof pi->name);
    pi->config = be32toh(w.config);
    pi->state = be32toh(w.state);
    pi->curr = be32toh(w.curr);
    pi->advertised = be32toh(w.advertised);
    pi->supported = be32toh(w.supported);
    pi->peer = be32toh(w.peer);
    pi->curr_speed = be32toh(w.curr_speed);
    pi->max_speed = be32toh(w.max_speed);
}

static int
decode_packet_in(const uint8_t *p, size_t len, struct ofp_msg *msg,
                 struct ofp_error *err)
{
    struct ofp_packet_in_body *pi = &msg->packet_in;
    struct ofp13_packet_in w;
    size_t used;
    int error;

    if (len < HDR_LEN + sizeof w) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    pi->buffer_id = be32toh(w.pi.buffer_id);
    pi->total_len = be16toh(w.pi.total_len);
    pi->reason = w.pi.reason;
    pi->table_id = w.pi.table_id;
    pi->cookie = be64toh(w.cookie);
    p += HDR_LEN + sizeof w;
    len -= HDR_LEN + sizeof w;
    error = ofp_match_decode(p, len, &pi->match, &used, err);
    if (error) {
        return error;
    }
    if (len - used < 2) {
        return bad_len(err);
    }
    pi->data = p + used + 2;
    pi->data_len = len - used - 2;
    return 0;
}

static bool
packet_out_port_is_valid(uint32_t port)
{
    return (port && port <= OFPP13_MAX) || port == OFPP13_CONTROLLER
           || port == OFPP13_LOCAL;
}

static int
decode_packet_out(const uint8_t *p, size_t len, struct ofp_msg *msg,
                  struct ofp_error *err)
{
    struct ofp_packet_out_body *po = &msg->packet_out;
    struct ofp11_packet_out w;
    size_t actions_len;
    int error;

    if (len < HDR_LEN + sizeof w) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    po->buffer_id = be32toh(w.buffer_id);
    po->in_port = be32toh(w.in_port);
    actions_len = be16toh(w.actions_len);
    p += HDR_LEN + sizeof w;
    len -= HDR_LEN + sizeof w;
    if (actions_len > len || actions_len % 8) {
        return bad_len(err);
    }
    if (!packet_out_port_is_valid(po->in_port)) {
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    }
    error = ofp_actions_decode(p, actions_len, &msg->arena, &po->actions,
                               err);
    if (error) {
        return error;
    }
    po->data = p + actions_len;
    po->data_len = len - actions_len;
    return 0;
}

static int
decode_flow_mod(const uint8_t *p, size_t len, struct ofp_msg *msg,
                struct ofp_error *err)
{
    struct ofp_flow_mod_body *fm = &msg->flow_mod;
    struct ofp11_flow_mod w;
    size_t used;
    int error;

    if (len < HDR_LEN + sizeof w + 8) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    fm->cookie = be64toh(w.cookie);
    fm->cookie_mask = be64toh(w.cookie_mask);
    fm->table_id = w.table_id;
    fm->command = w.command;
    fm->idle_timeout = be16toh(w.idle_timeout);
    fm->hard_timeout = be16toh(w.hard_timeout);
    fm->priority = be16toh(w.priority);
    fm->buffer_id = be32toh(w.buffer_id);
    fm->out_port = be32toh(w.out_port);
    fm->out_group = be32toh(w.out_group);
    fm->flags = be16toh(w.flags);

    if (fm->command > OFPFC_DELETE_STRICT) {
        return OFP_FAIL(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND);
    }
    if (fm->table_id == OFPTT_ALL && fm->command < OFPFC_DELETE) {
        return OFP_FAIL(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    }
    if (fm->flags & ~0x1f) {
        return OFP_FAIL(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS);
    }
    p += HDR_LEN + sizeof w;
    len -= HDR_LEN + sizeof w;
    error = ofp_match_decode(p, len, &fm->match, &used, err);
    if (error) {
        return error;
    }
    return ofp_insts_decode(p + used, len - used, fm->table_id, &msg->arena,
                            &fm->insts, err);
}

static int
decode_flow_removed(const uint8_t *p, size_t len, struct ofp_msg *msg,
                    struct ofp_error *err)
{
    struct ofp_flow_removed_body *fr = &msg->flow_removed;
    struct ofp12_flow_removed w;
    size_t used;
    int error;

    if (len < HDR_LEN + sizeof w + 8) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    fr->cookie = be64toh(w.cookie);
    fr->priority = be16toh(w.priority);
    fr->reason = w.reason;
    fr->table_id = w.table_id;
    fr->duration_sec = be32toh(w.duration_sec);
    fr->duration_nsec = be32toh(w.duration_nsec);
    fr->idle_timeout = be16toh(w.idle_timeout);
    fr->hard_timeout = be16toh(w.hard_timeout);
    fr->packet_count = be64toh(w.packet_count);
    fr->byte_count = be64toh(w.byte_count);
    error = ofp_match_decode(p + HDR_LEN + sizeof w, len - HDR_LEN - sizeof w,
                             &fr->match, &used, err);
    if (error) {
        return error;
    }
    return used == len - HDR_LEN - sizeof w ? 0 : bad_len(err);
}

/* Decodes the buckets in 'len' bytes at 'p'.  'bad' is the error code for a
 * malformed bucket length. */
static int
decode_buckets(const uint8_t *p, size_t len, struct ofp_arena *arena,
               struct ofp_bucket **bucketsp, size_t *np,
               struct ofp_error *err)
{
    size_t n = 0, ofs;
    struct ofp_bucket *buckets;

    for (ofs = 0; ofs < len; n++) {
        size_t blen;
        if (len - ofs < sizeof(struct ofp11_bucket)) {
            return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET);
        }
        blen = get_be16(p + ofs);
        if (blen < sizeof(struct ofp11_bucket) || blen % 8
            || blen > len - ofs) {
            return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET);
        }
        ofs += blen;
    }
    buckets = n ? ofp_arena_alloc(arena, n * sizeof *buckets) : NULL;
    ofs = 0;
    for (size_t i = 0; i < n; i++) {
        struct ofp11_bucket w;
        size_t blen;
        int error;

        WIRE_PULL(w, p + ofs);
        blen = be16toh(w.len);
        buckets[i].weight = be16toh(w.weight);
        buckets[i].watch_port = be32toh(w.watch_port);
        buckets[i].watch_group = be32toh(w.watch_group);
        error = ofp_actions_decode(p + ofs + sizeof w, blen - sizeof w, arena,
                                   &buckets[i].actions, err);
        if (error) {
            return error;
        }
        ofs += blen;
    }
    *bucketsp = buckets;
    *np = n;
    return 0;
}

static int
decode_group_mod(const uint8_t *p, size_t len, struct ofp_msg *msg,
                 struct ofp_error *err)
{
    struct ofp_group_mod_body *gm = &msg->group_mod;
    struct ofp11_group_mod w;
    int error;

    if (len < HDR_LEN + sizeof w) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    gm->command = be16toh(w.command);
    gm->type = w.type;
    gm->group_id = be32toh(w.group_id);
    if (gm->command > OFPGC11_DELETE) {
        return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND);
    }
    if (gm->type > OFPGT11_FF) {
        return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE);
    }
    if (gm->group_id > OFPG_MAX
        && !(gm->command == OFPGC11_DELETE && gm->group_id == OFPG_ALL)) {
        return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    error = decode_buckets(p + HDR_LEN + sizeof w, len - HDR_LEN - sizeof w,
                           &msg->arena, &gm->buckets, &gm->n_buckets, err);
    if (error || gm->command == OFPGC11_DELETE) {
        return error;
    }
    if (gm->type == OFPGT11_INDIRECT && gm->n_buckets != 1) {
        return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    }
    for (size_t i = 0; i < gm->n_buckets; i++) {
        const struct ofp_bucket *bk = &gm->buckets[i];
        if (gm->type != OFPGT11_SELECT && bk->weight) {
            return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED,
                            OFPGMFC_WEIGHT_UNSUPPORTED);
        }
        if (gm->type == OFPGT11_FF && bk->watch_port == OFPP13_ANY
            && bk->watch_group == OFPG_ANY) {
            return OFP_FAIL(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH);
        }
    }
    return 0;
}

static int decode_meter_bands(const uint8_t *p, size_t len,
                              struct ofp_arena *, struct ofp_meter_band **,
                              size_t *np, struct ofp_error *);

static int
decode_meter_mod(const uint8_t *p, size_t len, struct ofp_msg *msg,
                 struct ofp_error *err)
{
    struct ofp_meter_mod_body *mm = &msg->meter_mod;
    struct ofp13_meter_mod w;

    if (len < HDR_LEN + sizeof w) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    mm->command = be16toh(w.command);
    mm->flags = be16toh(w.flags);
    mm->meter_id = be32toh(w.meter_id);
    if (mm->command > OFPMC13_DELETE) {
        return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND);
    }
    if ((mm->flags & ~0xf)
        || ((mm->flags & OFPMF13_KBPS) && (mm->flags & OFPMF13_PKTPS))) {
        return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS);
    }
    if (!mm->meter_id
        || (mm->meter_id > OFPM13_MAX
            && mm->meter_id != OFPM13_CONTROLLER
            && mm->meter_id != OFPM13_SLOWPATH
            && !(mm->command == OFPMC13_DELETE
                 && mm->meter_id == OFPM13_ALL))) {
        return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER);
    }
    p += HDR_LEN + sizeof w;
    len -= HDR_LEN + sizeof w;
    return decode_meter_bands(p, len, &msg->arena, &mm->bands, &mm->n_bands,
                              err);
}

/* Decodes the 'len' bytes of meter bands at 'p' (METER_MOD, METER_CONFIG
 * reply). */
static int
decode_meter_bands(const uint8_t *p, size_t len, struct ofp_arena *arena,
                   struct ofp_meter_band **bandsp, size_t *np,
                   struct ofp_error *err)
{
    size_t n;

    if (len % sizeof(struct ofp13_meter_band_drop)) {
        return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
    }
    n = len / sizeof(struct ofp13_meter_band_drop);
    *np = n;
    *bandsp = n ? ofp_arena_alloc(arena, n * sizeof **bandsp) : NULL;
    for (size_t i = 0; i < n; i++, p += 16) {
        struct ofp13_meter_band_dscp_remark b;
        struct ofp_meter_band *band = &(*bandsp)[i];

        WIRE_PULL(b, p);
        band->type = be16toh(b.type);
        band->rate = be32toh(b.rate);
        band->burst_size = be32toh(b.burst_size);
        if (be16toh(b.len) != 16
            || (band->type != OFPMBT13_DROP
                && band->type != OFPMBT13_DSCP_REMARK)) {
            return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
        }
        if (!band->rate) {
            return OFP_FAIL(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE);
        }
        if (band->type == OFPMBT13_DSCP_REMARK) {
            band->prec_level = b.prec_level;
        }
    }
    return 0;
}

static int
decode_flow_stats_request(const uint8_t *p, size_t len,
                          struct ofp_flow_stats_request *r,
                          struct ofp_error *err)
{
    struct ofp11_flow_stats_request w;
    size_t used;
    int error;

    if (len < sizeof w + 8) {
        return bad_len(err);
    }
    WIRE_PULL(w, p);
    r->table_id = w.table_id;
    r->out_port = be32toh(w.out_port);
    r->out_group = be32toh(w.out_group);
    r->cookie = be64toh(w.cookie);
    r->cookie_mask = be64toh(w.cookie_mask);
    error = ofp_match_decode(p + sizeof w, len - sizeof w, &r->match, &used,
                             err);
    if (error) {
        return error;
    }
    return used == len - sizeof w ? 0 : bad_len(err);
}

static int
decode_mp_request(const uint8_t *p, size_t len, struct ofp_multipart_body *mp,
                  struct ofp_error *err)
{
    switch (mp->type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
    case OFPMP_GROUP_DESC:
    case OFPMP_GROUP_FEATURES:
    case OFPMP_METER_FEATURES:
        return len ? bad_len(err) : 0;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        return decode_flow_stats_request(p, len, &mp->flow_req, err);
    case OFPMP_PORT_STATS:
    case OFPMP_GROUP:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        if (len != 8) {
            return bad_len(err);
        }
        /* port_no, group_id and meter_id share the first word. */
        mp->port_no = get_be32(p);
        return 0;
    default:
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    }
}

/* Counts the length-prefixed entries of a multipart reply: the 16-bit
 * length sits at 'len_ofs' in each entry and must be at least 'min', a
 * multiple of 8 and within the body. */
static int
count_entries(const uint8_t *p, size_t len, size_t len_ofs, size_t min,
              size_t *np, struct ofp_error *err)
{
    size_t n = 0;

    for (size_t ofs = 0; ofs < len; n++) {
        size_t elen;
        if (len - ofs < min) {
            return bad_len(err);
        }
        elen = get_be16(p + ofs + len_ofs);
        if (elen < min || elen % 8 || elen > len - ofs) {
            return bad_len(err);
        }
        ofs += elen;
    }
    *np = n;
    return 0;
}

static int
decode_flow_stats(const uint8_t *p, size_t len, struct ofp_arena *arena,
                  struct ofp_multipart_body *mp, struct ofp_error *err)
{
    size_t n;
    int error = count_entries(p, len, 0, sizeof(struct ofp11_flow_stats) + 8,
                              &n, err);
    if (error) {
        return error;
    }
    mp->list.n = n;
    mp->list.flows = n ? ofp_arena_alloc(arena, n * sizeof *mp->list.flows)
                       : NULL;
    for (size_t i = 0; i < n; i++) {
        struct ofp_flow_stats *fs = &mp->list.flows[i];
        struct ofp11_flow_stats w;
        size_t elen, used;

        WIRE_PULL(w, p);
        elen = be16toh(w.length);
        fs->table_id = w.table_id;
        fs->duration_sec = be32toh(w.duration_sec);
        fs->duration_nsec = be32toh(w.duration_nsec);
        fs->priority = be16toh(w.priority);
        fs->idle_timeout = be16toh(w.idle_timeout);
        fs->hard_timeout = be16toh(w.hard_timeout);
        fs->flags = be16toh(w.flags);
        fs->cookie = be64toh(w.cookie);
        fs->packet_count = be64toh(w.packet_count);
        fs->byte_count = be64toh(w.byte_count);
        error = ofp_match_decode(p + sizeof w, elen - sizeof w, &fs->match,
                                 &used, err);
        if (!error) {
            error = ofp_insts_decode(p + sizeof w + used,
                                     elen - sizeof w - used, fs->table_id,
                                     arena, &fs->insts, err);
        }
        if (error) {
            return error;
        }
        p += elen;
    }
    return 0;
}

static int
decode_mp_reply(const uint8_t *p, size_t len, struct ofp_arena *arena,
                struct ofp_multipart_body *mp, struct ofp_error *err)
{
    size_t n;
    int error;

    switch (mp->type) {
    case OFPMP_DESC: {
        struct ofp_desc_stats w;
        struct ofp_desc *d;

        if (len != sizeof w) {
            return bad_len(err);
        }
        WIRE_PULL(w, p);
        d = mp->desc = ofp_arena_alloc(arena, sizeof *mp->desc);
        copy_str(d->mfr_desc, w.mfr_desc, sizeof d->mfr_desc);
        copy_str(d->hw_desc, w.hw_desc, sizeof d->hw_desc);
        copy_str(d->sw_desc, w.sw_desc, sizeof d->sw_desc);
        copy_str(d->serial_num, w.serial_num, sizeof d->serial_num);
        copy_str(d->dp_desc, w.dp_desc, sizeof d->dp_desc);
        return 0;
    }

    case OFPMP_FLOW:
        return decode_flow_stats(p, len, arena, mp, err);

    case OFPMP_AGGREGATE:
        if (len != sizeof(struct ofp_aggregate_stats_reply)) {
            return bad_len(err);
        }
        mp->aggregate.packet_count = get_be64(p);
        mp->aggregate.byte_count = get_be64(p + 8);
        mp->aggregate.flow_count = get_be32(p + 16);
        return 0;

    case OFPMP_TABLE:
        if (len % sizeof(struct ofp13_table_stats)) {
            return bad_len(err);
        }
        n = mp->list.n = len / sizeof(struct ofp13_table_stats);
        mp->list.tables = ofp_arena_alloc(arena, n * sizeof *mp->list.tables);
        for (size_t i = 0; i < n; i++, p += 24) {
            struct ofp13_table_stats w;
            WIRE_PULL(w, p);
            mp->list.tables[i].table_id = w.table_id;
            mp->list.tables[i].active_count = be32toh(w.active_count);
            mp->list.tables[i].lookup_count = be64toh(w.lookup_count);
            mp->list.tables[i].matched_count = be64toh(w.matched_count);
        }
        return 0;

    case OFPMP_PORT_STATS:
        if (len % sizeof(struct ofp13_port_stats)) {
            return bad_len(err);
        }
        n = mp->list.n = len / sizeof(struct ofp13_port_stats);
        mp->list.ports = ofp_arena_alloc(arena, n * sizeof *mp->list.ports);
        for (size_t i = 0; i < n; i++, p += 112) {
            struct ofp_port_stats *ps = &mp->list.ports[i];
            ps->port_no = get_be32(p);
            ps->rx_packets = get_be64(p + 8);
            ps->tx_packets = get_be64(p + 16);
            ps->rx_bytes = get_be64(p + 24);
            ps->tx_bytes = get_be64(p + 32);
            ps->rx_dropped = get_be64(p + 40);
            ps->tx_dropped = get_be64(p + 48);
            ps->rx_errors = get_be64(p + 56);
            ps->tx_errors = get_be64(p + 64);
            ps->rx_frame_err = get_be64(p + 72);
            ps->rx_over_err = get_be64(p + 80);
            ps->rx_crc_err = get_be64(p + 88);
            ps->collisions = get_be64(p + 96);
            ps->duration_sec = get_be32(p + 104);
            ps->duration_nsec = get_be32(p + 108);
        }
        return 0;

    case OFPMP_PORT_DESC:
        if (len % sizeof(struct ofp11_port)) {
            return bad_len(err);
        }
        n = mp->list.n = len / sizeof(struct ofp11_port);
        mp->list.port_descs = ofp_arena_alloc(arena,
                                              n * sizeof *mp->list.port_descs);
        for (size_t i = 0; i < n; i++, p += 64) {
            decode_port(p, &mp->list.port_descs[i]);
        }
        return 0;

    case OFPMP_GROUP:
        error = count_entries(p, len, 0, sizeof(struct ofp13_group_stats),
                              &n, err);
        if (error) {
            return error;
        }
        mp->list.n = n;
        mp->list.groups = ofp_arena_alloc(arena, n * sizeof *mp->list.groups);
        for (size_t i = 0; i < n; i++) {
            struct ofp_group_stats *gs = &mp->list.groups[i];
            size_t elen = get_be16(p);

            if ((elen - 40) % 16) {
                return bad_len(err);
            }
            gs->group_id = get_be32(p + 4);
            gs->ref_count = get_be32(p + 8);
            gs->packet_count = get_be64(p + 16);
            gs->byte_count = get_be64(p + 24);
            gs->duration_sec = get_be32(p + 32);
            gs->duration_nsec = get_be32(p + 36);
            gs->n_buckets = (elen - 40) / 16;
            gs->buckets = ofp_arena_alloc(arena, gs->n_buckets
                                                 * sizeof *gs->buckets);
            for (size_t j = 0; j < gs->n_buckets; j++) {
                gs->buckets[j].packet_count = get_be64(p + 40 + 16 * j);
                gs->buckets[j].byte_count = get_be64(p + 48 + 16 * j);
            }
            p += elen;
        }
        return 0;

    case OFPMP_GROUP_DESC:
        error = count_entries(p, len, 0, sizeof(struct ofp11_group_desc_stats),
                              &n, err);
        if (error) {
            return error;
        }
        mp->list.n = n;
        mp->list.group_descs = ofp_arena_alloc(arena, n * sizeof
                                               *mp->list.group_descs);
        for (size_t i = 0; i < n; i++) {
            struct ofp_group_desc *gd = &mp->list.group_descs[i];
            size_t elen = get_be16(p);

            gd->type = p[2];
            gd->group_id = get_be32(p + 4);
            error = decode_buckets(p + 8, elen - 8, arena, &gd->buckets,
                                   &gd->n_buckets, err);
            if (error) {
                return error;
            }
            p += elen;
        }
        return 0;

    case OFPMP_METER:
        error = count_entries(p, len, 4, sizeof(struct ofp13_meter_stats),
                              &n, err);
        if (error) {
            return error;
        }
        mp->list.n = n;
        mp->list.meters = ofp_arena_alloc(arena, n * sizeof *mp->list.meters);
        for (size_t i = 0; i < n; i++) {
            struct ofp_meter_stats *ms = &mp->list.meters[i];
            size_t elen = get_be16(p + 4);

            if ((elen - 40) % 16) {
                return bad_len(err);
            }
            ms->meter_id = get_be32(p);
            ms->flow_count = get_be32(p + 12);
            ms->packet_in_count = get_be64(p + 16);
            ms->byte_in_count = get_be64(p + 24);
            ms->duration_sec = get_be32(p + 32);
            ms->duration_nsec = get_be32(p + 36);
            ms->n_bands = (elen - 40) / 16;
            ms->bands = ofp_arena_alloc(arena, ms->n_bands * sizeof *ms->bands);
            for (size_t j = 0; j < ms->n_bands; j++) {
                ms->bands[j].packet_count = get_be64(p + 40 + 16 * j);
                ms->bands[j].byte_count = get_be64(p + 48 + 16 * j);
            }
            p += elen;
        }
        return 0;

    case OFPMP_METER_CONFIG:
        error = count_entries(p, len, 0, 8, &n, err);
        if (error) {
            return error;
        }
        mp->list.n = n;
        mp->list.meter_configs = ofp_arena_alloc(arena,
                                                 n * sizeof *mp->list.meter_configs);
        for (size_t i = 0; i < n; i++) {
            struct ofp_meter_config *mc = &mp->list.meter_configs[i];
            size_t elen = get_be16(p);

            mc->flags = get_be16(p + 2);
            mc->meter_id = get_be32(p + 4);
            error = decode_meter_bands(p + 8, elen - 8, arena, &mc->bands,
                                       &mc->n_bands, err);
            if (error) {
                return error;
            }
            p += elen;
        }
        return 0;

    case OFPMP_GROUP_FEATURES: {
        struct ofp_group_features *gf = &mp->group_features;
        if (len != 40) {
            return bad_len(err);
        }
        gf->types = get_be32(p);
        gf->capabilities = get_be32(p + 4);
        for (int i = 0; i < 4; i++) {
            gf->max_groups[i] = get_be32(p + 8 + 4 * i);
            gf->actions[i] = get_be32(p + 24 + 4 * i);
        }
        return 0;
    }

    case OFPMP_METER_FEATURES: {
        struct ofp_meter_features *mf = &mp->meter_features;
        if (len != 16) {
            return bad_len(err);
        }
        mf->max_meter = get_be32(p);
        mf->band_types = get_be32(p + 4);
        mf->capabilities = get_be32(p + 8);
        mf->max_bands = p[12];
        mf->max_color = p[13];
        return 0;
    }

    default:
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    }
}

static int
decode_multipart(const uint8_t *p, size_t len, struct ofp_msg *msg,
                 struct ofp_error *err)
{
    struct ofp_multipart_body *mp = &msg->mp;
    struct ofp13_multipart_header w;

    if (len < HDR_LEN + sizeof w) {
        return bad_len(err);
    }
    WIRE_PULL(w, p + HDR_LEN);
    mp->type = be16toh(w.type);
    mp->flags = be16toh(w.flags);
    p += HDR_LEN + sizeof w;
    len -= HDR_LEN + sizeof w;
    if (mp->type == OFPMP_EXPERIMENTER) {
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);
    }
    return (msg->type == OFPT_MULTIPART_REQUEST
            ? decode_mp_request(p, len, mp, err)
            : decode_mp_reply(p, len, &msg->arena, mp, err));
}

static int
decode_body(const uint8_t *p, size_t len, struct ofp_msg *msg,
            struct ofp_error *err)
{
    switch (msg->type) {
    case OFPT_HELLO:
        return decode_hello(p + HDR_LEN, len - HDR_LEN, &msg->hello, err);

    case OFPT_ERROR:
        if (len < HDR_LEN + sizeof(struct ofp_error_msg)) {
            return bad_len(err);
        }
        msg->error.type = get_be16(p + HDR_LEN);
        msg->error.code = get_be16(p + HDR_LEN + 2);
        msg->error.data = p + HDR_LEN + 4;
        msg->error.data_len = len - HDR_LEN - 4;
        return 0;

    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
        msg->echo.data = p + HDR_LEN;
        msg->echo.len = len - HDR_LEN;
        return 0;

    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
        return len == HDR_LEN ? 0 : bad_len(err);

    case OFPT_FEATURES_REPLY: {
        struct ofp_switch_features w;
        if (len != HDR_LEN + sizeof w) {
            return bad_len(err);
        }
        WIRE_PULL(w, p + HDR_LEN);
        msg->features.datapath_id = be64toh(w.datapath_id);
        msg->features.n_buffers = be32toh(w.n_buffers);
        msg->features.n_tables = w.n_tables;
        msg->features.auxiliary_id = w.auxiliary_id;
        msg->features.capabilities = be32toh(w.capabilities);
        return 0;
    }

    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG:
        if (len != HDR_LEN + sizeof(struct ofp_switch_config)) {
            return bad_len(err);
        }
        msg->config.flags = get_be16(p + HDR_LEN);
        msg->config.miss_send_len = get_be16(p + HDR_LEN + 2);
        if (msg->type == OFPT_SET_CONFIG && (msg->config.flags & ~0x7)) {
            return OFP_FAIL(err, OFPET_SWITCH_CONFIG_FAILED,
                            OFPSCFC_BAD_FLAGS);
        }
        return 0;

    case OFPT_PACKET_IN:
        return decode_packet_in(p, len, msg, err);
    case OFPT_PACKET_OUT:
        return decode_packet_out(p, len, msg, err);
    case OFPT_FLOW_MOD:
        return decode_flow_mod(p, len, msg, err);
    case OFPT_FLOW_REMOVED:
        return decode_flow_removed(p, len, msg, err);

    case OFPT_PORT_STATUS:
        if (len != HDR_LEN + sizeof(struct ofp_port_status)
                   + sizeof(struct ofp11_port)) {
            return bad_len(err);
        }
        msg->port_status.reason = p[HDR_LEN];
        decode_port(p + HDR_LEN + sizeof(struct ofp_port_status),
                    &msg->port_status.port);
        return 0;

    case OFPT_GROUP_MOD:
        return decode_group_mod(p, len, msg, err);
    case OFPT_METER_MOD:
        return decode_meter_mod(p, len, msg, err);
    case OFPT_MULTIPART_REQUEST:
    case OFPT_MULTIPART_REPLY:
        return decode_multipart(p, len, msg, err);

    case OFPT_ROLE_REQUEST:
    case OFPT_ROLE_REPLY: {
        struct ofp12_role_request w;
        if (len != HDR_LEN + sizeof w) {
            return bad_len(err);
        }
        WIRE_PULL(w, p + HDR_LEN);
        msg->role.role = be32toh(w.role);
        msg->role.generation_id = be64toh(w.generation_id);
        if (msg->role.role > OFPCR12_ROLE_SECONDARY) {
            return OFP_FAIL(err, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE);
        }
        return 0;
    }

    case OFPT_EXPERIMENTER:
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);

    default:
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE);
    }
}

int
ofp_decode(const void *buf, size_t len, struct ofp_msg *msg,
           struct ofp_error *err)
{
    const uint8_t *p = buf;

    ofp_arena_init(&msg->arena);
    msg->raw = p;
    msg->raw_len = len;
    msg->version = msg->type = 0;
    msg->xid = 0;
    if (len < HDR_LEN) {
        return bad_len(err);
    }
    msg->version = p[0];
    msg->type = p[1];
    msg->xid = get_be32(p + 4);
    if (get_be16(p + 2) != len) {
        return bad_len(err);
    }
    if (msg->version != OFP13_VERSION_WIRE && msg->type != OFPT_HELLO) {
        return OFP_FAIL(err, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION);
    }
    return decode_body(p, len, msg, err);
}

int
ofp_hello_negotiate(const struct ofp_hello *hello, uint8_t peer_version,
                    uint32_t ours, uint8_t *version, struct ofp_error *err)
{
    uint32_t common;

    if (hello->has_bitmap) {
        common = hello->bitmap & ours;
    } else {
        /* Without a bitmap the peer speaks every version up to its own. */
        common = ours & (peer_version >= 31 ? UINT32_MAX
                         : (UINT32_C(2) << peer_version) - 1);
    }
    common &= ~UINT32_C(1);         /* Version 0 does not exist. */
    if (!common) {
        return OFP_FAIL(err, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE);
    }
    *version = 31 - __builtin_clz(common);
    return 0;
}

/* ---- Encoding. ---- */

/* Appends a header; the length is patched by end_msg(). */
static size_t
start_msg(struct ofpbuf *b, uint8_t version, uint8_t type, uint32_t xid)
{
    size_t start = b->size;
    uint8_t *p = ofpbuf_put_zeros(b, HDR_LEN);

    p[0] = version;
    p[1] = type;
    put_be32(p + 4, xid);
    return start;
}

static void
end_msg(struct ofpbuf *b, size_t start)
{
    put_be16(ofpbuf_at(b, start + 2), b->size - start);
}

static void
encode_port(const struct ofp_port_info *pi, struct ofpbuf *b)
{
    struct ofp11_port w;

    memset(&w, 0, sizeof w);
    w.port_no = htobe32(pi->port_no);
    memcpy(w.hw_addr.ea, pi->hw_addr, 6);
    str_copy(w.name, pi->name, sizeof w.name);
    w.config = htobe32(pi->config);
    w.state = htobe32(pi->state);
    w.curr = htobe32(pi->curr);
    w.advertised = htobe32(pi->advertised);
    w.supported = htobe32(pi->supported);
    w.peer = htobe32(pi->peer);
    w.curr_speed = htobe32(pi->curr_speed);
    w.max_speed = htobe32(pi->max_speed);
    ofpbuf_put(b, &w, sizeof w);
}

static void
encode_buckets(const struct ofp_bucket *buckets, size_t n, struct ofpbuf *b)
{
    for (size_t i = 0; i < n; i++) {
        size_t start = b->size;
        uint8_t *p = ofpbuf_put_zeros(b, sizeof(struct ofp11_bucket));

        put_be16(p + 2, buckets[i].weight);
        put_be32(p + 4, buckets[i].watch_port);
        put_be32(p + 8, buckets[i].watch_group);
        ofp_actions_encode(buckets[i].actions.actions, buckets[i].actions.n,
                           b);
        put_be16(ofpbuf_at(b, start), b->size - start);
    }
}

static void
encode_flow_stats_request(const struct ofp_flow_stats_request *r,
                          struct ofpbuf *b)
{
    struct ofp11_flow_stats_request w;

    memset(&w, 0, sizeof w);
    w.table_id = r->table_id;
    w.out_port = htobe32(r->out_port);
    w.out_group = htobe32(r->out_group);
    w.cookie = htobe64(r->cookie);
    w.cookie_mask = htobe64(r->cookie_mask);
    ofpbuf_put(b, &w, sizeof w);
    ofp_match_encode(&r->match, b);
}

static int
encode_mp_request(const struct ofp_multipart_body *mp, struct ofpbuf *b)
{
    uint8_t *p;

    switch (mp->type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
    case OFPMP_GROUP_DESC:
    case OFPMP_GROUP_FEATURES:
    case OFPMP_METER_FEATURES:
        return 0;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        encode_flow_stats_request(&mp->flow_req, b);
        return 0;
    case OFPMP_PORT_STATS:
    case OFPMP_GROUP:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        p = ofpbuf_put_zeros(b, 8);
        put_be32(p, mp->port_no);
        return 0;
    default:
        return EINVAL;
    }
}

static void
encode_meter_bands(const struct ofp_meter_band *bands, size_t n,
                   struct ofpbuf *b)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_meter_band *band = &bands[i];
        uint8_t *p = ofpbuf_put_zeros(b, sizeof(struct ofp13_meter_band_drop));
        put_be16(p, band->type);
        put_be16(p + 2, 16);
        put_be32(p + 4, band->rate);
        put_be32(p + 8, band->burst_size);
        if (band->type == OFPMBT13_DSCP_REMARK) {
            p[12] = band->prec_level;
        }
    }
}

static void
put_counter_pairs(const struct ofp_counter_pair *c, size_t n,
                  struct ofpbuf *b)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = ofpbuf_put_uninit(b, 16);
        put_be64(p, c[i].packet_count);
        put_be64(p + 8, c[i].byte_count);
    }
}

static int
encode_mp_reply(const struct ofp_multipart_body *mp, struct ofpbuf *b)
{
    uint8_t *p;

    switch (mp->type) {
    case OFPMP_DESC: {
        struct ofp_desc_stats *w = ofpbuf_put_zeros(b, sizeof *w);
        if (mp->desc) {
            str_copy(w->mfr_desc, mp->desc->mfr_desc, DESC_STR_LEN);
            str_copy(w->hw_desc, mp->desc->hw_desc, DESC_STR_LEN);
            str_copy(w->sw_desc, mp->desc->sw_desc, DESC_STR_LEN);
            str_copy(w->serial_num, mp->desc->serial_num, SERIAL_NUM_LEN);
            str_copy(w->dp_desc, mp->desc->dp_desc, DESC_STR_LEN);
        }
        return 0;
    }

    case OFPMP_FLOW:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_flow_stats *fs = &mp->list.flows[i];
            size_t start = b->size;

            p = ofpbuf_put_zeros(b, sizeof(struct ofp11_flow_stats));
            p[2] = fs->table_id;
            put_be32(p + 4, fs->duration_sec);
            put_be32(p + 8, fs->duration_nsec);
            put_be16(p + 12, fs->priority);
            put_be16(p + 14, fs->idle_timeout);
            put_be16(p + 16, fs->hard_timeout);
            put_be16(p + 18, fs->flags);
            put_be64(p + 24, fs->cookie);
            put_be64(p + 32, fs->packet_count);
            put_be64(p + 40, fs->byte_count);
            ofp_match_encode(&fs->match, b);
            ofp_insts_encode(&fs->insts, b);
            put_be16(ofpbuf_at(b, start), b->size - start);
        }
        return 0;

    case OFPMP_AGGREGATE:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp_aggregate_stats_reply));
        put_be64(p, mp->aggregate.packet_count);
        put_be64(p + 8, mp->aggregate.byte_count);
        put_be32(p + 16, mp->aggregate.flow_count);
        return 0;

    case OFPMP_TABLE:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_table_stats *ts = &mp->list.tables[i];
            p = ofpbuf_put_zeros(b, sizeof(struct ofp13_table_stats));
            p[0] = ts->table_id;
            put_be32(p + 4, ts->active_count);
            put_be64(p + 8, ts->lookup_count);
            put_be64(p + 16, ts->matched_count);
        }
        return 0;

    case OFPMP_PORT_STATS:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_port_stats *ps = &mp->list.ports[i];
            const uint64_t c[12] = {
                ps->rx_packets, ps->tx_packets, ps->rx_bytes, ps->tx_bytes,
                ps->rx_dropped, ps->tx_dropped, ps->rx_errors, ps->tx_errors,
                ps->rx_frame_err, ps->rx_over_err, ps->rx_crc_err,
                ps->collisions,
            };
            p = ofpbuf_put_zeros(b, sizeof(struct ofp13_port_stats));
            put_be32(p, ps->port_no);
            for (int j = 0; j < 12; j++) {
                put_be64(p + 8 + 8 * j, c[j]);
            }
            put_be32(p + 104, ps->duration_sec);
            put_be32(p + 108, ps->duration_nsec);
        }
        return 0;

    case OFPMP_PORT_DESC:
        for (size_t i = 0; i < mp->list.n; i++) {
            encode_port(&mp->list.port_descs[i], b);
        }
        return 0;

    case OFPMP_GROUP:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_group_stats *gs = &mp->list.groups[i];
            p = ofpbuf_put_zeros(b, sizeof(struct ofp13_group_stats));
            put_be16(p, 40 + 16 * gs->n_buckets);
            put_be32(p + 4, gs->group_id);
            put_be32(p + 8, gs->ref_count);
            put_be64(p + 16, gs->packet_count);
            put_be64(p + 24, gs->byte_count);
            put_be32(p + 32, gs->duration_sec);
            put_be32(p + 36, gs->duration_nsec);
            put_counter_pairs(gs->buckets, gs->n_buckets, b);
        }
        return 0;

    case OFPMP_GROUP_DESC:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_group_desc *gd = &mp->list.group_descs[i];
            size_t start = b->size;

            p = ofpbuf_put_zeros(b, sizeof(struct ofp11_group_desc_stats));
            p[2] = gd->type;
            put_be32(p + 4, gd->group_id);
            encode_buckets(gd->buckets, gd->n_buckets, b);
            put_be16(ofpbuf_at(b, start), b->size - start);
        }
        return 0;

    case OFPMP_METER:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_meter_stats *ms = &mp->list.meters[i];
            p = ofpbuf_put_zeros(b, sizeof(struct ofp13_meter_stats));
            put_be32(p, ms->meter_id);
            put_be16(p + 4, 40 + 16 * ms->n_bands);
            put_be32(p + 12, ms->flow_count);
            put_be64(p + 16, ms->packet_in_count);
            put_be64(p + 24, ms->byte_in_count);
            put_be32(p + 32, ms->duration_sec);
            put_be32(p + 36, ms->duration_nsec);
            put_counter_pairs(ms->bands, ms->n_bands, b);
        }
        return 0;

    case OFPMP_METER_CONFIG:
        for (size_t i = 0; i < mp->list.n; i++) {
            const struct ofp_meter_config *mc = &mp->list.meter_configs[i];
            p = ofpbuf_put_zeros(b, 8);
            put_be16(p, 8 + 16 * mc->n_bands);
            put_be16(p + 2, mc->flags);
            put_be32(p + 4, mc->meter_id);
            encode_meter_bands(mc->bands, mc->n_bands, b);
        }
        return 0;

    case OFPMP_GROUP_FEATURES:
        p = ofpbuf_put_zeros(b, 40);
        put_be32(p, mp->group_features.types);
        put_be32(p + 4, mp->group_features.capabilities);
        for (int i = 0; i < 4; i++) {
            put_be32(p + 8 + 4 * i, mp->group_features.max_groups[i]);
            put_be32(p + 24 + 4 * i, mp->group_features.actions[i]);
        }
        return 0;

    case OFPMP_METER_FEATURES:
        p = ofpbuf_put_zeros(b, 16);
        put_be32(p, mp->meter_features.max_meter);
        put_be32(p + 4, mp->meter_features.band_types);
        put_be32(p + 8, mp->meter_features.capabilities);
        p[12] = mp->meter_features.max_bands;
        p[13] = mp->meter_features.max_color;
        return 0;

    default:
        return EINVAL;
    }
}

static int
encode_body(const struct ofp_msg *msg, struct ofpbuf *b)
{
    uint8_t *p;

    switch (msg->type) {
    case OFPT_HELLO:
        if (msg->hello.has_bitmap) {
            p = ofpbuf_put_zeros(b, 8);
            put_be16(p, OFPHET_VERSIONBITMAP);
            put_be16(p + 2, 8);
            put_be32(p + 4, msg->hello.bitmap);
        }
        return 0;

    case OFPT_ERROR:
        p = ofpbuf_put_uninit(b, 4);
        put_be16(p, msg->error.type);
        put_be16(p + 2, msg->error.code);
        ofpbuf_put(b, msg->error.data, msg->error.data_len);
        return 0;

    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
        ofpbuf_put(b, msg->echo.data, msg->echo.len);
        return 0;

    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
        return 0;

    case OFPT_FEATURES_REPLY: {
        struct ofp_switch_features w;
        memset(&w, 0, sizeof w);
        w.datapath_id = htobe64(msg->features.datapath_id);
        w.n_buffers = htobe32(msg->features.n_buffers);
        w.n_tables = msg->features.n_tables;
        w.auxiliary_id = msg->features.auxiliary_id;
        w.capabilities = htobe32(msg->features.capabilities);
        ofpbuf_put(b, &w, sizeof w);
        return 0;
    }

    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG:
        p = ofpbuf_put_uninit(b, 4);
        put_be16(p, msg->config.flags);
        put_be16(p + 2, msg->config.miss_send_len);
        return 0;

    case OFPT_PACKET_IN: {
        const struct ofp_packet_in_body *pi = &msg->packet_in;
        struct ofp13_packet_in w;
        memset(&w, 0, sizeof w);
        w.pi.buffer_id = htobe32(pi->buffer_id);
        w.pi.total_len = htobe16(pi->total_len);
        w.pi.reason = pi->reason;
        w.pi.table_id = pi->table_id;
        w.cookie = htobe64(pi->cookie);
        ofpbuf_put(b, &w, sizeof w);
        ofp_match_encode(&pi->match, b);
        ofpbuf_put_zeros(b, 2);
        ofpbuf_put(b, pi->data, pi->data_len);
        return 0;
    }

    case OFPT_PACKET_OUT: {
        const struct ofp_packet_out_body *po = &msg->packet_out;
        size_t start = b->size;

        p = ofpbuf_put_zeros(b, sizeof(struct ofp11_packet_out));
        put_be32(p, po->buffer_id);
        put_be32(p + 4, po->in_port);
        ofp_actions_encode(po->actions.actions, po->actions.n, b);
        put_be16(ofpbuf_at(b, start + 8), b->size - start - 16);
        ofpbuf_put(b, po->data, po->data_len);
        return 0;
    }

    case OFPT_FLOW_MOD: {
        const struct ofp_flow_mod_body *fm = &msg->flow_mod;
        struct ofp11_flow_mod w;
        memset(&w, 0, sizeof w);
        w.cookie = htobe64(fm->cookie);
        w.cookie_mask = htobe64(fm->cookie_mask);
        w.table_id = fm->table_id;
        w.command = fm->command;
        w.idle_timeout = htobe16(fm->idle_timeout);
        w.hard_timeout = htobe16(fm->hard_timeout);
        w.priority = htobe16(fm->priority);
        w.buffer_id = htobe32(fm->buffer_id);
        w.out_port = htobe32(fm->out_port);
        w.out_group = htobe32(fm->out_group);
        w.flags = htobe16(fm->flags);
        ofpbuf_put(b, &w, sizeof w);
        ofp_match_encode(&fm->match, b);
        ofp_insts_encode(&fm->insts, b);
        return 0;
    }

    case OFPT_FLOW_REMOVED: {
        const struct ofp_flow_removed_body *fr = &msg->flow_removed;
        struct ofp12_flow_removed w;
        memset(&w, 0, sizeof w);
        w.cookie = htobe64(fr->cookie);
        w.priority = htobe16(fr->priority);
        w.reason = fr->reason;
        w.table_id = fr->table_id;
        w.duration_sec = htobe32(fr->duration_sec);
        w.duration_nsec = htobe32(fr->duration_nsec);
        w.idle_timeout = htobe16(fr->idle_timeout);
        w.hard_timeout = htobe16(fr->hard_timeout);
        w.packet_count = htobe64(fr->packet_count);
        w.byte_count = htobe64(fr->byte_count);
        ofpbuf_put(b, &w, sizeof w);
        ofp_match_encode(&fr->match, b);
        return 0;
    }

    case OFPT_PORT_STATUS:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp_port_status));
        p[0] = msg->port_status.reason;
        encode_port(&msg->port_status.port, b);
        return 0;

    case OFPT_GROUP_MOD:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp11_group_mod));
        put_be16(p, msg->group_mod.command);
        p[2] = msg->group_mod.type;
        put_be32(p + 4, msg->group_mod.group_id);
        encode_buckets(msg->group_mod.buckets, msg->group_mod.n_buckets, b);
        return 0;

    case OFPT_METER_MOD:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp13_meter_mod));
        put_be16(p, msg->meter_mod.command);
        put_be16(p + 2, msg->meter_mod.flags);
        put_be32(p + 4, msg->meter_mod.meter_id);
        encode_meter_bands(msg->meter_mod.bands, msg->meter_mod.n_bands, b);
        return 0;

    case OFPT_MULTIPART_REQUEST:
    case OFPT_MULTIPART_REPLY:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp13_multipart_header));
        put_be16(p, msg->mp.type);
        put_be16(p + 2, msg->mp.flags);
        return (msg->type == OFPT_MULTIPART_REQUEST
                ? encode_mp_request(&msg->mp, b)
                : encode_mp_reply(&msg->mp, b));

    case OFPT_ROLE_REQUEST:
    case OFPT_ROLE_REPLY:
        p = ofpbuf_put_zeros(b, sizeof(struct ofp12_role_request));
        put_be32(p, msg->role.role);
        put_be64(p + 8, msg->role.generation_id);
        return 0;

    default:
        return EINVAL;
    }
}

int
ofp_encode(const struct ofp_msg *msg, struct ofpbuf *b)
{
    size_t start = start_msg(b, msg->version, msg->type, msg->xid);
    int error = encode_body(msg, b);

    if (error) {
        b->size = start;
        return error;
    }
    end_msg(b, start);
    return 0;
}

void
ofp_encode_hello(struct ofpbuf *b, uint32_t xid, uint32_t bitmap)
{
    size_t start = start_msg(b, OFP13_VERSION_WIRE, OFPT_HELLO, xid);
    uint8_t *p = ofpbuf_put_zeros(b, 8);

    put_be16(p, OFPHET_VERSIONBITMAP);
    put_be16(p + 2, 8);
    put_be32(p + 4, bitmap);
    end_msg(b, start);
}

void
ofp_encode_simple(struct ofpbuf *b, enum ofp_msg_type type, uint32_t xid)
{
    end_msg(b, start_msg(b, OFP13_VERSION_WIRE, type, xid));
}

void
ofp_encode_echo_reply(struct ofpbuf *b, const struct ofp_msg *req)
{
    size_t start = start_msg(b, OFP13_VERSION_WIRE, OFPT_ECHO_REPLY,
                             req->xid);
    ofpbuf_put(b, req->echo.data, req->echo.len);
    end_msg(b, start);
}

void
ofp_encode_error_reply(struct ofpbuf *b, const void *req, size_t req_len,
                       struct ofp_error err)
{
    const uint8_t *r = req;
    uint32_t xid = req_len >= HDR_LEN ? get_be32(r + 4) : 0;
    size_t start = start_msg(b, OFP13_VERSION_WIRE, OFPT_ERROR, xid);
    uint8_t *p = ofpbuf_put_uninit(b, 4);

    put_be16(p, err.type);
    put_be16(p + 2, err.code);
    ofpbuf_put(b, req, MIN(req_len, (size_t) 64));
    end_msg(b, start);
}
