/*
 * ofp-msg: the OpenFlow 1.3 codec, whole messages.
 *
 * What?
 * -----
 * One codec for every Lamina program that speaks OpenFlow: the switch side
 * of an `openflow` vnode, the slicer (both of its faces) and the tests.
 *
 *   bytes --ofp_decode()--> struct ofp_msg --ofp_encode()--> bytes
 *
 * ofp_decode() checks a complete message (use struct ofp_framer from
 * ofp-framer.h to cut a TCP stream into messages) and either fills a
 * struct ofp_msg or returns EPROTO with the OpenFlow error that the
 * specification names for the fault (OFPBRC_BAD_VERSION, OFPBRC_BAD_TYPE,
 * OFPBRC_BAD_LEN, OFPBAC_*, OFPBIC_*, OFPBMC_*, OFPFMFC_*, ...).  The
 * caller answers the peer with ofp_encode_error_reply().  Decoding never
 * reads outside [buf, buf + len), whatever the bytes: a libFuzzer target
 * runs under AddressSanitizer in the tests.
 *
 * Memory
 * ------
 * A decoded message borrows from two places: byte payloads (packet data,
 * echo data, error data) point into the input buffer, which must therefore
 * outlive the message; arrays (actions, buckets, bands, multipart entries)
 * live in the message's own arena (ofp-arena.h), so a typical FLOW_MOD is
 * decoded without any allocation.  ofp_msg_free() releases the arena; a
 * message must not be copied by value.
 *
 * Encoding
 * --------
 * ofp_encode() appends the wire form of any struct ofp_msg to a struct
 * ofpbuf: code that builds a message fills the struct (ofp_msg_init() sets
 * version and type) and encodes it; a proxy decodes, rewrites fields and
 * encodes.  The few messages sent without a decoded request have shortcuts
 * (ofp_encode_hello(), ofp_encode_error_reply(), ...).  Encoders do not
 * validate: encode-then-decode does.
 *
 * Only OpenFlow 1.3 (wire version 0x04) is spoken; HELLO of any version is
 * accepted so that version negotiation (ofp_hello_negotiate()) can work.
 */
#ifndef LAMINA_OFP_MSG_H
#define LAMINA_OFP_MSG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openflow/openflow-1.3.h>

#include "ofp-actions.h"
#include "ofp-arena.h"
#include "ofp-errors.h"
#include "ofp-match.h"
#include "ofpbuf.h"

#define OFP13_VERSION_WIRE 0x04

/* X(NAME, value, "text"): message types of OpenFlow 1.3. */
#define OFP_MSG_TYPES(X)                                        \
    X(OFPT_HELLO, 0, "HELLO")                                   \
    X(OFPT_ERROR, 1, "ERROR")                                   \
    X(OFPT_ECHO_REQUEST, 2, "ECHO_REQUEST")                     \
    X(OFPT_ECHO_REPLY, 3, "ECHO_REPLY")                         \
    X(OFPT_EXPERIMENTER, 4, "EXPERIMENTER")                     \
    X(OFPT_FEATURES_REQUEST, 5, "FEATURES_REQUEST")             \
    X(OFPT_FEATURES_REPLY, 6, "FEATURES_REPLY")                 \
    X(OFPT_GET_CONFIG_REQUEST, 7, "GET_CONFIG_REQUEST")         \
    X(OFPT_GET_CONFIG_REPLY, 8, "GET_CONFIG_REPLY")             \
    X(OFPT_SET_CONFIG, 9, "SET_CONFIG")                         \
    X(OFPT_PACKET_IN, 10, "PACKET_IN")                          \
    X(OFPT_FLOW_REMOVED, 11, "FLOW_REMOVED")                    \
    X(OFPT_PORT_STATUS, 12, "PORT_STATUS")                      \
    X(OFPT_PACKET_OUT, 13, "PACKET_OUT")                        \
    X(OFPT_FLOW_MOD, 14, "FLOW_MOD")                            \
    X(OFPT_GROUP_MOD, 15, "GROUP_MOD")                          \
    X(OFPT_PORT_MOD, 16, "PORT_MOD")                            \
    X(OFPT_TABLE_MOD, 17, "TABLE_MOD")                          \
    X(OFPT_MULTIPART_REQUEST, 18, "MULTIPART_REQUEST")          \
    X(OFPT_MULTIPART_REPLY, 19, "MULTIPART_REPLY")              \
    X(OFPT_BARRIER_REQUEST, 20, "BARRIER_REQUEST")              \
    X(OFPT_BARRIER_REPLY, 21, "BARRIER_REPLY")                  \
    X(OFPT_QUEUE_GET_CONFIG_REQUEST, 22, "QUEUE_GET_CONFIG_REQUEST") \
    X(OFPT_QUEUE_GET_CONFIG_REPLY, 23, "QUEUE_GET_CONFIG_REPLY") \
    X(OFPT_ROLE_REQUEST, 24, "ROLE_REQUEST")                    \
    X(OFPT_ROLE_REPLY, 25, "ROLE_REPLY")                        \
    X(OFPT_GET_ASYNC_REQUEST, 26, "GET_ASYNC_REQUEST")          \
    X(OFPT_GET_ASYNC_REPLY, 27, "GET_ASYNC_REPLY")              \
    X(OFPT_SET_ASYNC, 28, "SET_ASYNC")                          \
    X(OFPT_METER_MOD, 29, "METER_MOD")

enum ofp_msg_type {
#define OFP_MSG_TYPE_ENUM(NAME, VALUE, TEXT) NAME = VALUE,
    OFP_MSG_TYPES(OFP_MSG_TYPE_ENUM)
#undef OFP_MSG_TYPE_ENUM
};

/* X(NAME, value, "text"): multipart types. */
#define OFP_MP_TYPES(X)                                 \
    X(OFPMP_DESC, 0, "desc")                            \
    X(OFPMP_FLOW, 1, "flow")                            \
    X(OFPMP_AGGREGATE, 2, "aggregate")                  \
    X(OFPMP_TABLE, 3, "table")                          \
    X(OFPMP_PORT_STATS, 4, "port_stats")                \
    X(OFPMP_QUEUE, 5, "queue")                          \
    X(OFPMP_GROUP, 6, "group")                          \
    X(OFPMP_GROUP_DESC, 7, "group_desc")                \
    X(OFPMP_GROUP_FEATURES, 8, "group_features")        \
    X(OFPMP_METER, 9, "meter")                          \
    X(OFPMP_METER_CONFIG, 10, "meter_config")           \
    X(OFPMP_METER_FEATURES, 11, "meter_features")       \
    X(OFPMP_TABLE_FEATURES, 12, "table_features")       \
    X(OFPMP_PORT_DESC, 13, "port_desc")

enum ofp_mp_type {
#define OFP_MP_TYPE_ENUM(NAME, VALUE, TEXT) NAME = VALUE,
    OFP_MP_TYPES(OFP_MP_TYPE_ENUM)
#undef OFP_MP_TYPE_ENUM
    OFPMP_EXPERIMENTER = 0xffff
};

#define OFPMPF_MORE 1           /* REQ_MORE / REPLY_MORE. */

/* ---- Message bodies (host byte order). ---- */

struct ofp_hello {
    bool has_bitmap;            /* A version-bitmap element was present. */
    uint32_t bitmap;            /* Bit N: wire version N (first 32 bits). */
};

struct ofp_error_body {
    uint16_t type, code;
    const uint8_t *data;        /* Into the input buffer. */
    size_t data_len;
};

struct ofp_bytes {              /* ECHO_REQUEST / ECHO_REPLY payload. */
    const uint8_t *data;
    size_t len;
};

struct ofp_features {
    uint64_t datapath_id;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint8_t auxiliary_id;
    uint32_t capabilities;
};

struct ofp_config {             /* GET_CONFIG_REPLY, SET_CONFIG. */
    uint16_t flags;
    uint16_t miss_send_len;
};

struct ofp_packet_in_body {
    uint32_t buffer_id;
    uint16_t total_len;
    uint8_t reason;
    uint8_t table_id;
    uint64_t cookie;
    struct ofp_match match;
    const uint8_t *data;
    size_t data_len;
};

struct ofp_packet_out_body {
    uint32_t buffer_id;
    uint32_t in_port;
    struct ofp_action_list actions;
    const uint8_t *data;
    size_t data_len;
};

struct ofp_flow_mod_body {
    uint64_t cookie, cookie_mask;
    uint8_t table_id;
    uint8_t command;            /* OFPFC_*. */
    uint16_t idle_timeout, hard_timeout;
    uint16_t priority;
    uint32_t buffer_id;
    uint32_t out_port;
    uint32_t out_group;
    uint16_t flags;             /* OFPFF_*. */
    struct ofp_match match;
    struct ofp_instructions insts;
};

struct ofp_flow_removed_body {
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason;
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t idle_timeout, hard_timeout;
    uint64_t packet_count, byte_count;
    struct ofp_match match;
};

/* A port as in ofp11_port (PORT_STATUS, port-desc multipart). */
struct ofp_port_info {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[OFP_MAX_PORT_NAME_LEN];   /* Always NUL-terminated. */
    uint32_t config, state;
    uint32_t curr, advertised, supported, peer;
    uint32_t curr_speed, max_speed;
};

struct ofp_port_status_body {
    uint8_t reason;             /* OFPPR_*. */
    struct ofp_port_info port;
};

struct ofp_bucket {
    uint16_t weight;
    uint32_t watch_port;
    uint32_t watch_group;
    struct ofp_action_list actions;
};

struct ofp_group_mod_body {
    uint16_t command;           /* OFPGC11_ADD, _MODIFY, _DELETE. */
    uint8_t type;               /* OFPGT11_ALL, _SELECT, _INDIRECT, _FF. */
    uint32_t group_id;
    struct ofp_bucket *buckets;
    size_t n_buckets;
};

struct ofp_meter_band {
    uint16_t type;              /* OFPMBT13_DROP or OFPMBT13_DSCP_REMARK. */
    uint32_t rate;
    uint32_t burst_size;
    uint8_t prec_level;         /* DSCP_REMARK only. */
};

struct ofp_meter_mod_body {
    uint16_t command;           /* OFPMC13_*. */
    uint16_t flags;             /* OFPMF13_*. */
    uint32_t meter_id;
    struct ofp_meter_band *bands;
    size_t n_bands;
};

struct ofp_role_body {          /* ROLE_REQUEST, ROLE_REPLY. */
    uint32_t role;              /* OFPCR12_ROLE_*. */
    uint64_t generation_id;
};

/* Multipart request bodies. */
struct ofp_flow_stats_request {     /* OFPMP_FLOW, OFPMP_AGGREGATE. */
    uint8_t table_id;
    uint32_t out_port;
    uint32_t out_group;
    uint64_t cookie, cookie_mask;
    struct ofp_match match;
};

/* Multipart reply entries. */
struct ofp_desc {
    char mfr_desc[DESC_STR_LEN];
    char hw_desc[DESC_STR_LEN];
    char sw_desc[DESC_STR_LEN];
    char serial_num[SERIAL_NUM_LEN];
    char dp_desc[DESC_STR_LEN];
};

struct ofp_flow_stats {
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t priority, idle_timeout, hard_timeout, flags;
    uint64_t cookie, packet_count, byte_count;
    struct ofp_match match;
    struct ofp_instructions insts;
};

struct ofp_aggregate_stats {
    uint64_t packet_count, byte_count;
    uint32_t flow_count;
};

struct ofp_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count, matched_count;
};

struct ofp_port_stats {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
    uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
    uint32_t duration_sec, duration_nsec;
};

struct ofp_counter_pair {
    uint64_t packet_count, byte_count;
};

struct ofp_group_stats {
    uint32_t group_id, ref_count;
    uint64_t packet_count, byte_count;
    uint32_t duration_sec, duration_nsec;
    struct ofp_counter_pair *buckets;
    size_t n_buckets;
};

struct ofp_group_desc {
    uint8_t type;
    uint32_t group_id;
    struct ofp_bucket *buckets;
    size_t n_buckets;
};

struct ofp_meter_stats {
    uint32_t meter_id, flow_count;
    uint64_t packet_in_count, byte_in_count;
    uint32_t duration_sec, duration_nsec;
    struct ofp_counter_pair *bands;
    size_t n_bands;
};

struct ofp_meter_config {          /* METER_CONFIG reply entry. */
    uint16_t flags;                 /* OFPMF13_*. */
    uint32_t meter_id;
    struct ofp_meter_band *bands;
    size_t n_bands;
};

struct ofp_meter_features {        /* METER_FEATURES reply. */
    uint32_t max_meter;
    uint32_t band_types;            /* 1 << OFPMBT13_*. */
    uint32_t capabilities;          /* OFPMF13_* flags supported. */
    uint8_t max_bands, max_color;
};

struct ofp_group_features {        /* GROUP_FEATURES reply. */
    uint32_t types;                 /* 1 << OFPGT11_*. */
    uint32_t capabilities;          /* OFPGFC_*. */
    uint32_t max_groups[4];         /* Per group type. */
    uint32_t actions[4];            /* 1 << OFPAT_*, per group type. */
};

/* Group capabilities (OFPGFC_*). */
#define OFPGFC_SELECT_WEIGHT   (1u << 0)
#define OFPGFC_SELECT_LIVENESS (1u << 1)
#define OFPGFC_CHAINING        (1u << 2)
#define OFPGFC_CHAINING_CHECKS (1u << 3)

struct ofp_multipart_body {
    uint16_t type;              /* enum ofp_mp_type. */
    uint16_t flags;             /* OFPMPF_MORE. */
    union {
        /* Requests. */
        struct ofp_flow_stats_request flow_req;  /* FLOW, AGGREGATE. */
        uint32_t port_no;                        /* PORT_STATS. */
        uint32_t group_id;                       /* GROUP. */
        uint32_t meter_id;                       /* METER, METER_CONFIG. */

        /* Replies. */
        struct ofp_desc *desc;                   /* DESC. */
        struct ofp_aggregate_stats aggregate;    /* AGGREGATE. */
        struct ofp_meter_features meter_features; /* METER_FEATURES. */
        struct ofp_group_features group_features; /* GROUP_FEATURES. */
        struct {
            size_t n;
            union {
                struct ofp_flow_stats *flows;
                struct ofp_table_stats *tables;
                struct ofp_port_stats *ports;
                struct ofp_port_info *port_descs;
                struct ofp_group_stats *groups;
                struct ofp_group_desc *group_descs;
                struct ofp_meter_stats *meters;
                struct ofp_meter_config *meter_configs;
            };
        } list;
    };
};

/* A decoded (or to-be-encoded) message. */
struct ofp_msg {
    uint8_t version;            /* Wire version (0x04). */
    uint8_t type;               /* enum ofp_msg_type. */
    uint32_t xid;
    const uint8_t *raw;         /* Decoded: the input message. */
    size_t raw_len;
    union {
        struct ofp_hello hello;
        struct ofp_error_body error;
        struct ofp_bytes echo;
        struct ofp_features features;
        struct ofp_config config;
        struct ofp_packet_in_body packet_in;
        struct ofp_packet_out_body packet_out;
        struct ofp_flow_mod_body flow_mod;
        struct ofp_flow_removed_body flow_removed;
        struct ofp_port_status_body port_status;
        struct ofp_group_mod_body group_mod;
        struct ofp_meter_mod_body meter_mod;
        struct ofp_multipart_body mp;
        struct ofp_role_body role;
    };
    struct ofp_arena arena;
};

/* Returns "FLOW_MOD", ... or NULL for an unknown type. */
const char *ofp_msg_type_name(uint8_t type);
const char *ofp_mp_type_name(uint16_t type);

/* Initializes 'msg' as an empty OpenFlow 1.3 message of 'type' with 'xid',
 * ready to be filled and encoded. */
void ofp_msg_init(struct ofp_msg *msg, enum ofp_msg_type type, uint32_t xid);

/* Releases what 'msg' (which may be NULL) allocated; it may then be decoded
 * into or initialized again. */
void ofp_msg_free(struct ofp_msg *msg);

/* Decodes the complete message of 'len' bytes at 'buf' into 'msg' (which
 * need not be initialized; free it with ofp_msg_free() whatever the
 * result).
 *
 * Returns 0 on success.  Returns EPROTO if the message is malformed or not
 * supported, with the error to send back in '*err'.  'buf' must stay valid
 * and unchanged while 'msg' is used. */
int ofp_decode(const void *buf, size_t len, struct ofp_msg *msg,
               struct ofp_error *err);

/* Allocates from 'msg''s arena: for code that fills a message to encode. */
static inline void *
ofp_msg_alloc(struct ofp_msg *msg, size_t n)
{
    return ofp_arena_alloc(&msg->arena, n);
}

/* Appends the wire form of 'msg' to 'b'.  Returns 0, or EINVAL if 'msg'
 * has a type or multipart type this codec does not encode (nothing is
 * appended then). */
int ofp_encode(const struct ofp_msg *msg, struct ofpbuf *b);

/* Shortcuts. */
void ofp_encode_hello(struct ofpbuf *b, uint32_t xid, uint32_t bitmap);
void ofp_encode_simple(struct ofpbuf *b, enum ofp_msg_type type,
                       uint32_t xid);   /* Header-only messages. */
void ofp_encode_echo_reply(struct ofpbuf *b, const struct ofp_msg *req);

/* Appends an OFPT_ERROR answering the message at 'req' ('req_len' bytes,
 * may be shorter than a header): same xid, with the first 64 bytes of the
 * request as data, as the specification asks. */
void ofp_encode_error_reply(struct ofpbuf *b, const void *req, size_t req_len,
                            struct ofp_error err);

/* Version negotiation (section 6.3.1).  'hello' is the peer's HELLO,
 * 'peer_version' the version in its header, 'ours' the bitmap of versions
 * we speak (bit N for wire version N).  Returns 0 with the agreed version
 * in '*version', or EPROTO with OFPHFC_INCOMPATIBLE in '*err'. */
int ofp_hello_negotiate(const struct ofp_hello *hello, uint8_t peer_version,
                        uint32_t ours, uint8_t *version,
                        struct ofp_error *err);

/* Appends a one-line text form of 'msg' to 's' (NUL-terminated), e.g.
 * "FLOW_MOD xid=7 add table=0 priority=100 eth_type=0x0800 actions=...". */
void ofp_msg_format(const struct ofp_msg *msg, struct ofpbuf *s);

#endif /* LAMINA_OFP_MSG_H */
