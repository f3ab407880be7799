#include "ofp-actions.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ofpbuf.h"
#include "ofp-wire-pvt.h"

const char *
ofp_action_type_name(uint16_t type)
{
    switch (type) {
#define OFP_ACTION_NAME(NAME, VALUE, TEXT) case VALUE: return TEXT;
    OFP_ACTION_TYPES(OFP_ACTION_NAME)
#undef OFP_ACTION_NAME
    }
    return NULL;
}

static bool
output_port_is_valid(uint32_t port)
{
    return (port != 0 && port <= OFPP13_MAX)
           || (port >= OFPP13_IN_PORT && port <= OFPP13_LOCAL);
}

/* Decodes the set-field action at 'p' of 'len' bytes. */
static int
decode_set_field(const uint8_t *p, size_t len, struct ofp_action *a,
                 struct ofp_error *err)
{
    uint32_t hdr;
    unsigned int tlv_len;
    enum ofp_field f;

    if (len < 8) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN);
    }
    hdr = get_be32(p + 4);
    tlv_len = hdr & 0xff;
    if (8 + tlv_len > len) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN);
    }
    if ((hdr >> 16) != OFPXMC_OPENFLOW_BASIC) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    }
    f = ofp_field_from_oxm((hdr >> 9) & 0x7f);
    if (!ofp_field_settable(f)) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    }
    if ((hdr >> 8) & 1) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT);
    }
    if (tlv_len != ofp_fields[f].len || ROUND_UP8(8 + tlv_len) != len) {
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN);
    }
    a->set_field.field = f;
    ofp_value_from_wire(f, p + 8, &a->set_field.value);
    {
        uint32_t max = ofp_fields[f].max;
        const union ofp_value *v = &a->set_field.value;
        uint64_t x = tlv_len == 1 ? v->u8 : tlv_len == 2 ? v->u16
                     : tlv_len == 4 ? v->u32 : 0;
        if (max && x > max) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT);
        }
    }
    return 0;
}

/* Decodes one action of 'len' bytes (already checked: >= 8, multiple of
 * 8, within the list). */
static int
decode_action(const uint8_t *p, size_t len, struct ofp_action *a,
              struct ofp_error *err)
{
    uint16_t type = get_be16(p);

    a->type = type;
    switch (type) {
    case OFPAT_OUTPUT:
        if (len != sizeof(struct ofp13_action_output)) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        a->output.port = get_be32(p + 4);
        a->output.max_len = get_be16(p + 8);
        if (!output_port_is_valid(a->output.port)) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
        }
        return 0;

    case OFPAT_GROUP:
    case OFPAT_SET_QUEUE:
        if (len != 8) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        if (type == OFPAT_GROUP) {
            a->group_id = get_be32(p + 4);
            if (a->group_id > OFPG_MAX) {
                return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
            }
        } else {
            a->queue_id = get_be32(p + 4);
        }
        return 0;

    case OFPAT_SET_MPLS_TTL:
    case OFPAT_SET_NW_TTL:
        if (len != 8) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        a->ttl = p[4];
        return 0;

    case OFPAT_PUSH_VLAN:
    case OFPAT_PUSH_MPLS:
    case OFPAT_POP_MPLS:
        if (len != 8) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        a->ethertype = get_be16(p + 4);
        if ((type == OFPAT_PUSH_VLAN
             && a->ethertype != 0x8100 && a->ethertype != 0x88a8)
            || (type == OFPAT_PUSH_MPLS
                && a->ethertype != 0x8847 && a->ethertype != 0x8848)) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT);
        }
        return 0;

    case OFPAT_COPY_TTL_OUT:
    case OFPAT_COPY_TTL_IN:
    case OFPAT_DEC_MPLS_TTL:
    case OFPAT_POP_VLAN:
    case OFPAT_DEC_NW_TTL:
        if (len != 8) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        return 0;

    case OFPAT_SET_FIELD:
        return decode_set_field(p, len, a, err);

    case OFPAT_EXPERIMENTER:
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER);

    default:
        return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);
    }
}

int
ofp_actions_decode(const uint8_t *p, size_t len, struct ofp_arena *arena,
                   struct ofp_action_list *list, struct ofp_error *err)
{
    size_t n = 0, ofs;

    /* First pass: lengths, so that the array is allocated once. */
    for (ofs = 0; ofs < len; n++) {
        size_t alen;

        if (len - ofs < 4) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        alen = get_be16(p + ofs + 2);
        if (alen < 8 || alen % 8 || alen > len - ofs) {
            return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN);
        }
        ofs += alen;
    }

    list->n = n;
    list->actions = n ? ofp_arena_alloc(arena, n * sizeof *list->actions)
                      : NULL;
    for (size_t i = 0, o = 0; i < n; i++) {
        size_t alen = get_be16(p + o + 2);
        int error = decode_action(p + o, alen, &list->actions[i], err);
        if (error) {
            return error;
        }
        o += alen;
    }
    return 0;
}

static void
encode_action(const struct ofp_action *a, struct ofpbuf *b)
{
    uint8_t *p;

    if (a->type == OFPAT_OUTPUT) {
        p = ofpbuf_put_zeros(b, 16);
        put_be16(p, OFPAT_OUTPUT);
        put_be16(p + 2, 16);
        put_be32(p + 4, a->output.port);
        put_be16(p + 8, a->output.max_len);
        return;
    }
    if (a->type == OFPAT_SET_FIELD) {
        enum ofp_field f = a->set_field.field;
        unsigned int flen = f < OFP_F_N ? ofp_fields[f].len : 0;
        size_t len = ROUND_UP8(8 + flen);

        p = ofpbuf_put_zeros(b, len);
        put_be16(p, OFPAT_SET_FIELD);
        put_be16(p + 2, len);
        if (flen) {
            put_be32(p + 4, (OFPXMC_OPENFLOW_BASIC << 16)
                            | (ofp_fields[f].oxm_field << 9) | flen);
            ofp_value_to_wire(f, &a->set_field.value, p + 8);
        }
        return;
    }

    p = ofpbuf_put_zeros(b, 8);
    put_be16(p, a->type);
    put_be16(p + 2, 8);
    switch (a->type) {
    case OFPAT_GROUP:
        put_be32(p + 4, a->group_id);
        break;
    case OFPAT_SET_QUEUE:
        put_be32(p + 4, a->queue_id);
        break;
    case OFPAT_SET_MPLS_TTL:
    case OFPAT_SET_NW_TTL:
        p[4] = a->ttl;
        break;
    case OFPAT_PUSH_VLAN:
    case OFPAT_PUSH_MPLS:
    case OFPAT_POP_MPLS:
        put_be16(p + 4, a->ethertype);
        break;
    default:
        break;
    }
}

void
ofp_actions_encode(const struct ofp_action *acts, size_t n, struct ofpbuf *b)
{
    for (size_t i = 0; i < n; i++) {
        encode_action(&acts[i], b);
    }
}

int
ofp_insts_decode(const uint8_t *p, size_t len, uint8_t table_id,
                 struct ofp_arena *arena, struct ofp_instructions *in,
                 struct ofp_error *err)
{
    size_t ofs = 0;

    memset(in, 0, sizeof *in);
    while (ofs < len) {
        const uint8_t *q = p + ofs;
        uint16_t type, ilen;
        int error = 0;

        if (len - ofs < 4) {
            return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
        }
        type = get_be16(q);
        ilen = get_be16(q + 2);
        if (ilen < 8 || ilen % 8 || ilen > len - ofs) {
            return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
        }
        if (type == OFPIT_EXPERIMENTER) {
            return OFP_FAIL(err, OFPET_BAD_INSTRUCTION,
                            OFPBIC_BAD_EXPERIMENTER);
        }
        if (type < OFPIT_GOTO_TABLE || type > OFPIT_METER) {
            return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST);
        }
        if (ofp_insts_has(in, type)) {
            return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_DUP_INST);
        }
        in->present |= 1u << type;

        switch (type) {
        case OFPIT_GOTO_TABLE:
            if (ilen != 8) {
                return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
            }
            in->goto_table = q[4];
            if (in->goto_table > OFPTT_MAX
                || (table_id != OFPTT_ALL && in->goto_table <= table_id)) {
                return OFP_FAIL(err, OFPET_BAD_INSTRUCTION,
                                OFPBIC_BAD_TABLE_ID);
            }
            break;
        case OFPIT_WRITE_METADATA:
            if (ilen != 24) {
                return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
            }
            in->metadata = get_be64(q + 8);
            in->metadata_mask = get_be64(q + 16);
            break;
        case OFPIT_WRITE_ACTIONS:
            error = ofp_actions_decode(q + 8, ilen - 8, arena, &in->write,
                                       err);
            break;
        case OFPIT_APPLY_ACTIONS:
            error = ofp_actions_decode(q + 8, ilen - 8, arena, &in->apply,
                                       err);
            break;
        case OFPIT_CLEAR_ACTIONS:
            if (ilen != 8) {
                return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
            }
            break;
        case OFPIT_METER:
            if (ilen != 8) {
                return OFP_FAIL(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
            }
            in->meter_id = get_be32(q + 4);
            break;
        }
        if (error) {
            return error;
        }
        ofs += ilen;
    }
    return 0;
}

static void
encode_inst_actions(uint16_t type, const struct ofp_action_list *list,
                    struct ofpbuf *b)
{
    size_t start = b->size;
    uint8_t *p = ofpbuf_put_zeros(b, 8);

    put_be16(p, type);
    ofp_actions_encode(list->actions, list->n, b);
    put_be16(ofpbuf_at(b, start + 2), b->size - start);
}

void
ofp_insts_encode(const struct ofp_instructions *in, struct ofpbuf *b)
{
    uint8_t *p;

    if (ofp_insts_has(in, OFPIT_METER)) {
        p = ofpbuf_put_zeros(b, 8);
        put_be16(p, OFPIT_METER);
        put_be16(p + 2, 8);
        put_be32(p + 4, in->meter_id);
    }
    if (ofp_insts_has(in, OFPIT_APPLY_ACTIONS)) {
        encode_inst_actions(OFPIT_APPLY_ACTIONS, &in->apply, b);
    }
    if (ofp_insts_has(in, OFPIT_CLEAR_ACTIONS)) {
        p = ofpbuf_put_zeros(b, 8);
        put_be16(p, OFPIT_CLEAR_ACTIONS);
        put_be16(p + 2, 8);
    }
    if (ofp_insts_has(in, OFPIT_WRITE_ACTIONS)) {
        encode_inst_actions(OFPIT_WRITE_ACTIONS, &in->write, b);
    }
    if (ofp_insts_has(in, OFPIT_WRITE_METADATA)) {
        p = ofpbuf_put_zeros(b, 24);
        put_be16(p, OFPIT_WRITE_METADATA);
        put_be16(p + 2, 24);
        put_be64(p + 8, in->metadata);
        put_be64(p + 16, in->metadata_mask);
    }
    if (ofp_insts_has(in, OFPIT_GOTO_TABLE)) {
        p = ofpbuf_put_zeros(b, 8);
        put_be16(p, OFPIT_GOTO_TABLE);
        put_be16(p + 2, 8);
        p[4] = in->goto_table;
    }
}

static void
format_port(uint32_t port, struct ofpbuf *s)
{
    switch (port) {
    case OFPP13_IN_PORT: ofpbuf_printf(s, "IN_PORT"); break;
    case OFPP13_TABLE: ofpbuf_printf(s, "TABLE"); break;
    case OFPP13_NORMAL: ofpbuf_printf(s, "NORMAL"); break;
    case OFPP13_FLOOD: ofpbuf_printf(s, "FLOOD"); break;
    case OFPP13_ALL: ofpbuf_printf(s, "ALL"); break;
    case OFPP13_CONTROLLER: ofpbuf_printf(s, "CONTROLLER"); break;
    case OFPP13_LOCAL: ofpbuf_printf(s, "LOCAL"); break;
    case OFPP13_ANY: ofpbuf_printf(s, "ANY"); break;
    default: ofpbuf_printf(s, "%" PRIu32, port); break;
    }
}

void
ofp_actions_format(const struct ofp_action *acts, size_t n, struct ofpbuf *s)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_action *a = &acts[i];
        const char *name = ofp_action_type_name(a->type);

        if (i) {
            ofpbuf_printf(s, ",");
        }
        switch (a->type) {
        case OFPAT_OUTPUT:
            ofpbuf_printf(s, "output:");
            format_port(a->output.port, s);
            if (a->output.port == OFPP13_CONTROLLER) {
                ofpbuf_printf(s, "/%u", a->output.max_len);
            }
            break;
        case OFPAT_GROUP:
            ofpbuf_printf(s, "group:%" PRIu32, a->group_id);
            break;
        case OFPAT_SET_QUEUE:
            ofpbuf_printf(s, "set_queue:%" PRIu32, a->queue_id);
            break;
        case OFPAT_SET_MPLS_TTL:
        case OFPAT_SET_NW_TTL:
            ofpbuf_printf(s, "%s:%u", name, a->ttl);
            break;
        case OFPAT_PUSH_VLAN:
        case OFPAT_PUSH_MPLS:
        case OFPAT_POP_MPLS:
            ofpbuf_printf(s, "%s:0x%04x", name, a->ethertype);
            break;
        case OFPAT_SET_FIELD:
            if (a->set_field.field < OFP_F_N) {
                ofpbuf_printf(s, "set_field:");
                ofp_value_format(a->set_field.field, &a->set_field.value, s);
                ofpbuf_printf(s, "->%s", ofp_fields[a->set_field.field].name);
            }
            break;
        default:
            if (name) {
                ofpbuf_printf(s, "%s", name);
            } else {
                ofpbuf_printf(s, "action%u", a->type);
            }
            break;
        }
    }
    ofpbuf_cstr(s);
}

void
ofp_insts_format(const struct ofp_instructions *in, struct ofpbuf *s)
{
    bool first = true;

#define SEP() (first ? (first = false, "") : ",")
    if (ofp_insts_has(in, OFPIT_METER)) {
        ofpbuf_printf(s, "%smeter:%" PRIu32, SEP(), in->meter_id);
    }
    if (ofp_insts_has(in, OFPIT_APPLY_ACTIONS)) {
        ofpbuf_printf(s, "%s", SEP());
        ofp_actions_format(in->apply.actions, in->apply.n, s);
    }
    if (ofp_insts_has(in, OFPIT_CLEAR_ACTIONS)) {
        ofpbuf_printf(s, "%sclear_actions", SEP());
    }
    if (ofp_insts_has(in, OFPIT_WRITE_ACTIONS)) {
        ofpbuf_printf(s, "%swrite_actions(", SEP());
        ofp_actions_format(in->write.actions, in->write.n, s);
        ofpbuf_printf(s, ")");
    }
    if (ofp_insts_has(in, OFPIT_WRITE_METADATA)) {
        ofpbuf_printf(s, "%swrite_metadata:0x%" PRIx64 "/0x%" PRIx64, SEP(),
                      in->metadata, in->metadata_mask);
    }
    if (ofp_insts_has(in, OFPIT_GOTO_TABLE)) {
        ofpbuf_printf(s, "%sgoto_table:%u", SEP(), in->goto_table);
    }
    if (first) {
        ofpbuf_printf(s, "drop");
    }
#undef SEP
    ofpbuf_cstr(s);
}

struct ofp_action
ofp_action_output(uint32_t port, uint16_t max_len)
{
    struct ofp_action a = { .type = OFPAT_OUTPUT };
    a.output.port = port;
    a.output.max_len = max_len;
    return a;
}

int
ofp_actions_check_match(struct ofp_match *m, const struct ofp_action *acts,
                        size_t n, struct ofp_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct ofp_action *a = &acts[i];

        switch (a->type) {
        case OFPAT_SET_FIELD:
            if (a->set_field.field >= OFP_F_N
                || !ofp_match_prereq_ok(m, ofp_fields[a->set_field.field].prereq)
                /* Matching vlan_vid needs nothing; rewriting it needs a tag. */
                || (a->set_field.field == OFP_F_VLAN_VID
                    && !ofp_match_prereq_ok(m, OFP_PRE_VLAN))) {
                return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT);
            }
            break;
        case OFPAT_PUSH_VLAN:
            ofp_match_set_masked_u(m, OFP_F_VLAN_VID, OFPVID_PRESENT, OFPVID_PRESENT);
            break;
        case OFPAT_POP_VLAN:
            ofp_match_clear(m, OFP_F_VLAN_VID);
            break;
        case OFPAT_POP_MPLS:
            if (!ofp_match_prereq_ok(m, OFP_PRE_MPLS)) {
                return OFP_FAIL(err, OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT);
            }
            /* fall through */
        case OFPAT_PUSH_MPLS:
            /* What the match said beyond eth_type was of the old payload. */
            ofp_match_clear(m, OFP_F_IP_PROTO);
            ofp_match_set_u(m, OFP_F_ETH_TYPE, a->ethertype);
            break;
        default:
            break;
        }
    }
    return 0;
}

struct ofp_action
ofp_action_set_field_u(enum ofp_field f, uint64_t value)
{
    struct ofp_action a = { .type = OFPAT_SET_FIELD };
    struct ofp_match m;

    ofp_match_init(&m);
    ofp_match_set_u(&m, f, value);
    a.set_field.field = f;
    ofp_match_get(&m, f, &a.set_field.value, NULL);
    return a;
}
