/*
 * ofp-actions: OpenFlow 1.3 actions and instructions.
 *
 * Actions decode into an array of struct ofp_action (type plus the
 * arguments of that type, in host byte order), allocated from the
 * message's arena.  Instructions decode into struct ofp_instructions, which
 * has one slot per instruction type: the specification allows each type at
 * most once (OFPBIC_DUP_INST), so a flow's instructions are a small record
 * rather than a list, and the pipeline reads them without searching.
 *
 * Checks made while decoding, with the specification's errors: lengths
 * (OFPBAC_BAD_LEN, OFPBIC_BAD_LEN), unknown types (OFPBAC_BAD_TYPE,
 * OFPBIC_UNKNOWN_INST), experimenter actions (OFPBAC_BAD_EXPERIMENTER),
 * output to port 0 or OFPP_ANY (OFPBAC_BAD_OUT_PORT), group ids above
 * OFPG_MAX (OFPBAC_BAD_OUT_GROUP), push ethertypes (OFPBAC_BAD_ARGUMENT),
 * set-field of an unknown or read-only field (OFPBAC_BAD_SET_TYPE), with a
 * mask or a wrong length (OFPBAC_BAD_SET_ARGUMENT, OFPBAC_BAD_SET_LEN),
 * goto-table backwards (OFPBIC_BAD_TABLE_ID).  What a switch can only check
 * with its own state (is port 7 mine? does group 3 exist?) is left to the
 * switch and the slicer.
 */
#ifndef LAMINA_OFP_ACTIONS_H
#define LAMINA_OFP_ACTIONS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofp-arena.h"
#include "ofp-errors.h"
#include "ofp-match.h"

struct ofpbuf;

/* X(NAME, value, "text") */
#define OFP_ACTION_TYPES(X)                         \
    X(OFPAT_OUTPUT, 0, "output")                    \
    X(OFPAT_COPY_TTL_OUT, 11, "copy_ttl_out")       \
    X(OFPAT_COPY_TTL_IN, 12, "copy_ttl_in")         \
    X(OFPAT_SET_MPLS_TTL, 15, "set_mpls_ttl")       \
    X(OFPAT_DEC_MPLS_TTL, 16, "dec_mpls_ttl")       \
    X(OFPAT_PUSH_VLAN, 17, "push_vlan")             \
    X(OFPAT_POP_VLAN, 18, "pop_vlan")               \
    X(OFPAT_PUSH_MPLS, 19, "push_mpls")             \
    X(OFPAT_POP_MPLS, 20, "pop_mpls")               \
    X(OFPAT_SET_QUEUE, 21, "set_queue")             \
    X(OFPAT_GROUP, 22, "group")                     \
    X(OFPAT_SET_NW_TTL, 23, "set_nw_ttl")           \
    X(OFPAT_DEC_NW_TTL, 24, "dec_nw_ttl")           \
    X(OFPAT_SET_FIELD, 25, "set_field")

enum ofp_action_type {
#define OFP_ACTION_ENUM(NAME, VALUE, TEXT) NAME = VALUE,
    OFP_ACTION_TYPES(OFP_ACTION_ENUM)
#undef OFP_ACTION_ENUM
    OFPAT_EXPERIMENTER = 0xffff
};

/* Reserved port numbers of OpenFlow 1.1+ (32 bit). */
enum ofp13_port_no {
    OFPP13_MAX        = 0xffffff00,
    OFPP13_IN_PORT    = 0xfffffff8,
    OFPP13_TABLE      = 0xfffffff9,
    OFPP13_NORMAL     = 0xfffffffa,
    OFPP13_FLOOD      = 0xfffffffb,
    OFPP13_ALL        = 0xfffffffc,
    OFPP13_CONTROLLER = 0xfffffffd,
    OFPP13_LOCAL      = 0xfffffffe,
    OFPP13_ANY        = 0xffffffff,
};

#define OFP13_NO_BUFFER 0xffffffff

struct ofp_action {
    uint16_t type;                      /* enum ofp_action_type. */
    union {
        struct {
            uint32_t port;
            uint16_t max_len;
        } output;                       /* OFPAT_OUTPUT. */
        uint32_t group_id;              /* OFPAT_GROUP. */
        uint32_t queue_id;              /* OFPAT_SET_QUEUE. */
        uint16_t ethertype;             /* PUSH_VLAN, PUSH_MPLS, POP_MPLS. */
        uint8_t ttl;                    /* SET_MPLS_TTL, SET_NW_TTL. */
        struct {
            uint8_t field;              /* enum ofp_field. */
            union ofp_value value;
        } set_field;                    /* OFPAT_SET_FIELD. */
    };
};

struct ofp_action_list {
    struct ofp_action *actions;
    size_t n;
};

/* X(NAME, value, "text") */
#define OFP_INSTRUCTION_TYPES(X)                        \
    X(OFPIT_GOTO_TABLE, 1, "goto_table")                \
    X(OFPIT_WRITE_METADATA, 2, "write_metadata")        \
    X(OFPIT_WRITE_ACTIONS, 3, "write_actions")          \
    X(OFPIT_APPLY_ACTIONS, 4, "apply_actions")          \
    X(OFPIT_CLEAR_ACTIONS, 5, "clear_actions")          \
    X(OFPIT_METER, 6, "meter")

enum ofp_instruction_type {
#define OFP_INSTRUCTION_ENUM(NAME, VALUE, TEXT) NAME = VALUE,
    OFP_INSTRUCTION_TYPES(OFP_INSTRUCTION_ENUM)
#undef OFP_INSTRUCTION_ENUM
    OFPIT_EXPERIMENTER = 0xffff
};

/* A flow's instructions.  They are encoded in the order the pipeline runs
 * them (meter, apply, clear, write, metadata, goto), which is also the
 * order of their type numbers except for meter. */
struct ofp_instructions {
    uint32_t present;                   /* 1 << OFPIT_*. */
    uint32_t meter_id;                  /* OFPIT_METER. */
    struct ofp_action_list apply;       /* OFPIT_APPLY_ACTIONS. */
    struct ofp_action_list write;       /* OFPIT_WRITE_ACTIONS. */
    uint64_t metadata;                  /* OFPIT_WRITE_METADATA. */
    uint64_t metadata_mask;
    uint8_t goto_table;                 /* OFPIT_GOTO_TABLE. */
};

static inline bool
ofp_insts_has(const struct ofp_instructions *in, enum ofp_instruction_type t)
{
    return t < 32 && ((in->present >> t) & 1);
}

/* Decodes 'len' bytes of actions at 'p' into 'list' (from 'arena').
 * Returns 0 or EPROTO with '*err' set. */
int ofp_actions_decode(const uint8_t *p, size_t len, struct ofp_arena *arena,
                       struct ofp_action_list *list, struct ofp_error *err);

/* Appends the wire form of the 'n' actions at 'acts' to 'b'. */
void ofp_actions_encode(const struct ofp_action *acts, size_t n,
                        struct ofpbuf *b);

/* Decodes 'len' bytes of instructions at 'p'; 'table_id' is the table of
 * the flow (goto-table must go forward), or 0xff when unknown.  Returns 0 or
 * EPROTO with '*err' set. */
int ofp_insts_decode(const uint8_t *p, size_t len, uint8_t table_id,
                     struct ofp_arena *arena, struct ofp_instructions *insts,
                     struct ofp_error *err);

void ofp_insts_encode(const struct ofp_instructions *insts,
                      struct ofpbuf *b);

/* Checks the 'n' actions at 'acts', applied in order to packets that
 * match '*m', against what the match says of them (OpenFlow 1.3 section
 * 7.2.5): a set-field needs its field's prerequisites (set-field
 * ipv4_src needs eth_type=0x0800; vlan_vid, though matching it needs
 * nothing, needs a tag, as in Open vSwitch) and pop_mpls needs
 * an MPLS eth_type, else OFPBAC_MATCH_INCONSISTENT.  push_vlan,
 * pop_vlan, push_mpls and pop_mpls change what later actions may assume;
 * '*m' is updated to what holds after the actions (the write-actions of
 * the same flow are checked from there).  Returns 0 or EPROTO with '*err'
 * set. */
int ofp_actions_check_match(struct ofp_match *m, const struct ofp_action *acts,
                            size_t n, struct ofp_error *err);

/* Appends text such as "output:2,set_field:10.0.0.1->ipv4_dst". */
void ofp_actions_format(const struct ofp_action *acts, size_t n,
                        struct ofpbuf *s);
void ofp_insts_format(const struct ofp_instructions *insts,
                      struct ofpbuf *s);

/* Returns "output", ... or NULL for types Lamina does not know. */
const char *ofp_action_type_name(uint16_t type);

/* Builders, for code that makes actions rather than decoding them. */
struct ofp_action ofp_action_output(uint32_t port, uint16_t max_len);
struct ofp_action ofp_action_set_field_u(enum ofp_field f, uint64_t value);

#endif /* LAMINA_OFP_ACTIONS_H */
