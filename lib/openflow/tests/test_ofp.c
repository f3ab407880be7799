/* Unit tests of the OpenFlow 1.3 codec: round trips of every message type,
 * the bytes real ovs-ofctl sends, malformed and truncated messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "ofp-msg.h"
#include "ofp-framer.h"
#include "util.h"
#include "ofp-wire-pvt.h"

#include "golden-ofctl.h"

/* ---- Helpers. ---- */

static void
report_error(const char *what, struct ofp_error err)
{
    char buf[80];
    print_message("%s: %s\n", what, ofp_error_format(err, buf, sizeof buf));
}

/* Decodes 'len' bytes at 'p' from a private heap copy of exactly 'len'
 * bytes, so that AddressSanitizer sees any read past the end.  Returns the
 * decode result; on success, re-encodes and checks that decoding the
 * re-encoding gives the same bytes again. */
static int
decode_checked(const uint8_t *p, size_t len, struct ofp_error *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    struct ofp_msg msg;
    int error;

    memcpy(copy, p, len);
    error = ofp_decode(copy, len, &msg, err);
    if (!error) {
        struct ofpbuf b1 = OFPBUF_INITIALIZER, b2 = OFPBUF_INITIALIZER;
        struct ofp_msg again;
        struct ofp_error err2;

        if (!ofp_encode(&msg, &b1)) {
            int e2 = ofp_decode(b1.data, b1.size, &again, &err2);
            if (e2) {
                report_error("re-decode", err2);
            }
            assert_int_equal(e2, 0);
            assert_int_equal(ofp_encode(&again, &b2), 0);
            assert_int_equal(b1.size, b2.size);
            assert_memory_equal(b1.data, b2.data, b1.size);
            ofp_msg_free(&again);
        }
        struct ofpbuf s = OFPBUF_INITIALIZER;
        ofp_msg_format(&msg, &s);
        ofpbuf_uninit(&s);
        ofpbuf_uninit(&b1);
        ofpbuf_uninit(&b2);
    }
    ofp_msg_free(&msg);
    free(copy);
    return error;
}

/* Every prefix of a valid message, with the header length either left as
 * is (must be OFPBRC_BAD_LEN) or patched to the prefix length (must not
 * crash), and every single-byte corruption (must not crash). */
static void
abuse_message(const uint8_t *wire, size_t len)
{
    uint8_t *buf = malloc(len);
    struct ofp_error err;

    for (size_t cut = 0; cut < len; cut++) {
        memcpy(buf, wire, cut);
        err.type = err.code = 0xdead;
        assert_int_equal(decode_checked(buf, cut, &err), EPROTO);
        assert_int_equal(err.type, OFPET_BAD_REQUEST);
        assert_int_equal(err.code, OFPBRC_BAD_LEN);
        if (cut >= 8) {
            put_be16(buf + 2, cut);
            decode_checked(buf, cut, &err);
        }
    }
    for (size_t i = 0; i < len; i++) {
        static const uint8_t flips[] = { 0xff, 0x01, 0x80, 0x10 };
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(buf, wire, len);
            buf[i] ^= flips[f];
            decode_checked(buf, len, &err);
        }
    }
    free(buf);
}

/* Encodes 'in', decodes it into 'out' (which borrows from 'wire'), checks
 * that re-encoding gives the same bytes, and abuses the bytes. */
static void
roundtrip(const struct ofp_msg *in, struct ofp_msg *out, struct ofpbuf *wire)
{
    struct ofpbuf again = OFPBUF_INITIALIZER;
    struct ofp_error err;
    int error;

    ofpbuf_init(wire, 0);
    assert_int_equal(ofp_encode(in, wire), 0);
    assert_int_equal(get_be16(wire->data + 2), wire->size);
    error = ofp_decode(wire->data, wire->size, out, &err);
    if (error) {
        report_error("roundtrip", err);
    }
    assert_int_equal(error, 0);
    assert_int_equal(out->type, in->type);
    assert_int_equal(out->xid, in->xid);
    assert_int_equal(ofp_encode(out, &again), 0);
    assert_int_equal(again.size, wire->size);
    assert_memory_equal(again.data, wire->data, wire->size);
    ofpbuf_uninit(&again);
    abuse_message(wire->data, wire->size);
}

static void
expect_error(const struct ofp_msg *in, uint16_t type, uint16_t code)
{
    struct ofpbuf wire = OFPBUF_INITIALIZER;
    struct ofp_msg out;
    struct ofp_error err = { 0, 0 };

    assert_int_equal(ofp_encode(in, &wire), 0);
    assert_int_equal(ofp_decode(wire.data, wire.size, &out, &err), EPROTO);
    if (err.type != type || err.code != code) {
        report_error("got", err);
        report_error("expected", (struct ofp_error) { type, code });
    }
    assert_int_equal(err.type, type);
    assert_int_equal(err.code, code);
    ofp_msg_free(&out);
    ofpbuf_uninit(&wire);
}

static void
expect_bytes_error(const uint8_t *p, size_t len, uint16_t type,
                   uint16_t code)
{
    struct ofp_error err = { 0, 0 };
    assert_int_equal(decode_checked(p, len, &err), EPROTO);
    if (err.type != type || err.code != code) {
        report_error("got", err);
        report_error("expected", (struct ofp_error) { type, code });
    }
    assert_int_equal(err.type, type);
    assert_int_equal(err.code, code);
}

/* A FLOW_MOD with a rich match and all instruction types. */
static void
make_flow_mod(struct ofp_msg *m, uint8_t command)
{
    struct ofp_flow_mod_body *fm = &m->flow_mod;
    struct ofp_action *apply, *write;
    union ofp_value v, mk;

    ofp_msg_init(m, OFPT_FLOW_MOD, 42);
    fm->cookie = 0x1122334455667788ULL;
    fm->cookie_mask = command >= OFPFC_MODIFY ? UINT64_MAX : 0;
    fm->table_id = 1;
    fm->command = command;
    fm->idle_timeout = 10;
    fm->hard_timeout = 20;
    fm->priority = 1000;
    fm->buffer_id = OFP13_NO_BUFFER;
    fm->out_port = OFPP13_ANY;
    fm->out_group = OFPG_ANY;
    fm->flags = OFPFF_SEND_FLOW_REM;

    struct ofp_match *mt = &fm->match;
    ofp_match_set_u(mt, OFP_F_IN_PORT, 3);
    ofp_match_set_masked_u(mt, OFP_F_METADATA, 0x10, 0xf0);
    ofp_match_set_u(mt, OFP_F_ETH_DST, 0x0a0b0c0d0e0fULL);
    ofp_match_set_masked_u(mt, OFP_F_ETH_SRC, 0x020000000000ULL,
                           0x020000000000ULL);
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(mt, OFP_F_VLAN_VID, OFPVID_PRESENT | 10);
    ofp_match_set_u(mt, OFP_F_VLAN_PCP, 5);
    ofp_match_set_u(mt, OFP_F_IP_PROTO, 17);
    ofp_match_set_u(mt, OFP_F_IP_DSCP, 46);
    ofp_match_set_u(mt, OFP_F_IP_ECN, 2);
    memset(&v, 0, sizeof v);
    memset(&mk, 0, sizeof mk);
    v.ipv6[0] = 0x20; v.ipv6[1] = 0x01; v.ipv6[2] = 0x0d; v.ipv6[3] = 0xb8;
    memset(mk.ipv6, 0xff, 4);
    ofp_match_set(mt, OFP_F_IPV6_SRC, &v, &mk);
    v.ipv6[15] = 1;
    ofp_match_set(mt, OFP_F_IPV6_DST, &v, NULL);
    ofp_match_set_u(mt, OFP_F_UDP_DST, 4789);
    ofp_match_set_u(mt, OFP_F_UDP_SRC, 1234);
    ofp_match_set_masked_u(mt, OFP_F_TUNNEL_ID, 0x55, 0xff);

    apply = ofp_msg_alloc(m, 8 * sizeof *apply);
    apply[0] = ofp_action_set_field_u(OFP_F_IPV4_DST, 0x0a000001);
    apply[0].set_field.field = OFP_F_UDP_DST;
    apply[0].set_field.value.u16 = 53;
    apply[1] = ofp_action_set_field_u(OFP_F_ETH_SRC, 0x001122334455ULL);
    apply[2].type = OFPAT_PUSH_VLAN;
    apply[2].ethertype = 0x8100;
    apply[3].type = OFPAT_POP_VLAN;
    apply[4].type = OFPAT_PUSH_MPLS;
    apply[4].ethertype = 0x8847;
    apply[5].type = OFPAT_DEC_MPLS_TTL;
    apply[6].type = OFPAT_DEC_NW_TTL;
    apply[7] = ofp_action_output(OFPP13_CONTROLLER, 128);
    fm->insts.apply.actions = apply;
    fm->insts.apply.n = 8;

    write = ofp_msg_alloc(m, 4 * sizeof *write);
    write[0].type = OFPAT_SET_QUEUE;
    write[0].queue_id = 7;
    write[1].type = OFPAT_GROUP;
    write[1].group_id = 9;
    write[2].type = OFPAT_POP_MPLS;
    write[2].ethertype = 0x0800;
    write[3] = ofp_action_output(2, 0);
    fm->insts.write.actions = write;
    fm->insts.write.n = 4;

    fm->insts.present = (1u << OFPIT_METER) | (1u << OFPIT_APPLY_ACTIONS)
                        | (1u << OFPIT_CLEAR_ACTIONS)
                        | (1u << OFPIT_WRITE_ACTIONS)
                        | (1u << OFPIT_WRITE_METADATA)
                        | (1u << OFPIT_GOTO_TABLE);
    fm->insts.meter_id = 5;
    fm->insts.metadata = 0x100;
    fm->insts.metadata_mask = 0xf00;
    fm->insts.goto_table = 4;
}

/* ---- Round trips. ---- */

static void
test_flow_mod_roundtrip(void **state)
{
    for (uint8_t cmd = OFPFC_ADD; cmd <= OFPFC_DELETE_STRICT; cmd++) {
        struct ofp_msg in, out;
        struct ofpbuf wire;

        make_flow_mod(&in, cmd);
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.flow_mod.command, cmd);
        assert_true(ofp_match_equal(&in.flow_mod.match, &out.flow_mod.match));
        assert_int_equal(out.flow_mod.insts.apply.n, 8);
        assert_int_equal(out.flow_mod.insts.write.n, 4);
        assert_int_equal(out.flow_mod.insts.apply.actions[0].set_field.field,
                         OFP_F_UDP_DST);
        assert_int_equal(out.flow_mod.insts.apply.actions[7].output.port,
                         OFPP13_CONTROLLER);
        assert_int_equal(out.flow_mod.insts.goto_table, 4);
        assert_int_equal(out.flow_mod.insts.meter_id, 5);
        assert_true(ofp_match_has(&out.flow_mod.match, OFP_F_IPV6_SRC));
        assert_int_equal(out.flow_mod.match.m.ipv6_src[3], 0xff);
        assert_int_equal(out.flow_mod.match.m.ipv6_src[4], 0);
        ofp_msg_free(&in);
        ofp_msg_free(&out);
        ofpbuf_uninit(&wire);
    }
}

static void
test_match_fields_roundtrip(void **state)
{
    /* Each field alone, with its prerequisites. */
    for (int f = 0; f < OFP_F_N; f++) {
        struct ofp_msg in, out;
        struct ofpbuf wire;
        struct ofp_match *m;
        const struct ofp_field_info *fi = &ofp_fields[f];

        ofp_msg_init(&in, OFPT_FLOW_MOD, f);
        in.flow_mod.buffer_id = OFP13_NO_BUFFER;
        m = &in.flow_mod.match;
        switch (fi->prereq) {
        case OFP_PRE_VLAN:
            ofp_match_set_u(m, OFP_F_VLAN_VID, OFPVID_PRESENT | 1);
            break;
        case OFP_PRE_IP: case OFP_PRE_IPV4:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x0800);
            break;
        case OFP_PRE_IPV6:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x86dd);
            break;
        case OFP_PRE_ARP:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x0806);
            break;
        case OFP_PRE_MPLS:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x8847);
            break;
        case OFP_PRE_TCP: case OFP_PRE_UDP: case OFP_PRE_SCTP:
        case OFP_PRE_ICMPV4:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x0800);
            ofp_match_set_u(m, OFP_F_IP_PROTO,
                            fi->prereq == OFP_PRE_TCP ? 6
                            : fi->prereq == OFP_PRE_UDP ? 17
                            : fi->prereq == OFP_PRE_SCTP ? 132 : 1);
            break;
        case OFP_PRE_ICMPV6:
        case OFP_PRE_ND: case OFP_PRE_ND_NS: case OFP_PRE_ND_NA:
            ofp_match_set_u(m, OFP_F_ETH_TYPE, 0x86dd);
            ofp_match_set_u(m, OFP_F_IP_PROTO, 58);
            if (fi->prereq != OFP_PRE_ICMPV6) {
                ofp_match_set_u(m, OFP_F_ICMPV6_TYPE,
                                fi->prereq == OFP_PRE_ND_NS ? 135 : 136);
            }
            break;
        case OFP_PRE_NONE:
            break;
        }
        if (!ofp_match_has(m, f)) {
            ofp_match_set_u(m, f, fi->max ? fi->max : 1);
        }
        roundtrip(&in, &out, &wire);
        assert_true(ofp_match_equal(&in.flow_mod.match, &out.flow_mod.match));
        ofp_msg_free(&in);
        ofp_msg_free(&out);
        ofpbuf_uninit(&wire);
    }
}

static void
test_simple_roundtrips(void **state)
{
    static const uint8_t payload[] = "ping payload";
    struct ofp_msg in, out;
    struct ofpbuf wire;

    ofp_msg_init(&in, OFPT_HELLO, 1);
    in.hello.has_bitmap = true;
    in.hello.bitmap = (1u << 4) | (1u << 1);
    roundtrip(&in, &out, &wire);
    assert_true(out.hello.has_bitmap);
    assert_int_equal(out.hello.bitmap, 0x12);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_ERROR, 2);
    in.error.type = OFPET_BAD_MATCH;
    in.error.code = OFPBMC_BAD_PREREQ;
    in.error.data = payload;
    in.error.data_len = sizeof payload;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.error.code, OFPBMC_BAD_PREREQ);
    assert_int_equal(out.error.data_len, sizeof payload);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    for (int t = OFPT_ECHO_REQUEST; t <= OFPT_ECHO_REPLY; t++) {
        ofp_msg_init(&in, t, 3);
        in.echo.data = payload;
        in.echo.len = sizeof payload;
        roundtrip(&in, &out, &wire);
        assert_memory_equal(out.echo.data, payload, sizeof payload);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }

    static const uint8_t empty_types[] = {
        OFPT_FEATURES_REQUEST, OFPT_GET_CONFIG_REQUEST,
        OFPT_BARRIER_REQUEST, OFPT_BARRIER_REPLY,
    };
    for (size_t i = 0; i < sizeof empty_types; i++) {
        ofp_msg_init(&in, empty_types[i], 4);
        roundtrip(&in, &out, &wire);
        assert_int_equal(wire.size, 8);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }

    ofp_msg_init(&in, OFPT_FEATURES_REPLY, 5);
    in.features.datapath_id = 0x0000aabbccddeeffULL;
    in.features.n_buffers = 256;
    in.features.n_tables = 254;
    in.features.auxiliary_id = 1;
    in.features.capabilities = OFPC_FLOW_STATS | OFPC_PORT_STATS;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 32);
    assert_int_equal(out.features.datapath_id, 0x0000aabbccddeeffULL);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    for (int t = OFPT_GET_CONFIG_REPLY; t <= OFPT_SET_CONFIG; t++) {
        ofp_msg_init(&in, t, 6);
        in.config.flags = OFPC_FRAG_DROP;
        in.config.miss_send_len = 128;
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.config.miss_send_len, 128);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }

    for (int t = OFPT_ROLE_REQUEST; t <= OFPT_ROLE_REPLY; t++) {
        ofp_msg_init(&in, t, 7);
        in.role.role = OFPCR12_ROLE_PRIMARY;
        in.role.generation_id = 99;
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.role.role, OFPCR12_ROLE_PRIMARY);
        assert_int_equal(out.role.generation_id, 99);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }
}

static void
test_packet_roundtrips(void **state)
{
    static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                       0, 1, 2, 3, 4, 5, 0x08, 0x06 };
    struct ofp_msg in, out;
    struct ofpbuf wire;
    struct ofp_action acts[2];

    ofp_msg_init(&in, OFPT_PACKET_IN, 10);
    in.packet_in.buffer_id = OFP13_NO_BUFFER;
    in.packet_in.total_len = sizeof frame;
    in.packet_in.reason = OFPR_NO_MATCH;
    in.packet_in.table_id = 3;
    in.packet_in.cookie = 0xabcdef;
    ofp_match_set_u(&in.packet_in.match, OFP_F_IN_PORT, 7);
    in.packet_in.data = frame;
    in.packet_in.data_len = sizeof frame;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.packet_in.data_len, sizeof frame);
    assert_memory_equal(out.packet_in.data, frame, sizeof frame);
    assert_int_equal(out.packet_in.match.v.in_port, 7);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_PACKET_OUT, 11);
    in.packet_out.buffer_id = OFP13_NO_BUFFER;
    in.packet_out.in_port = OFPP13_CONTROLLER;
    acts[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, OFPVID_PRESENT | 3);
    acts[1] = ofp_action_output(OFPP13_FLOOD, 0);
    in.packet_out.actions.actions = acts;
    in.packet_out.actions.n = 2;
    in.packet_out.data = frame;
    in.packet_out.data_len = sizeof frame;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.packet_out.actions.n, 2);
    assert_int_equal(out.packet_out.actions.actions[1].output.port,
                     OFPP13_FLOOD);
    assert_int_equal(out.packet_out.data_len, sizeof frame);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_FLOW_REMOVED, 12);
    in.flow_removed.cookie = 5;
    in.flow_removed.priority = 100;
    in.flow_removed.reason = OFPRR_IDLE_TIMEOUT;
    in.flow_removed.table_id = 2;
    in.flow_removed.duration_sec = 30;
    in.flow_removed.idle_timeout = 10;
    in.flow_removed.packet_count = 1000;
    in.flow_removed.byte_count = 64000;
    ofp_match_set_u(&in.flow_removed.match, OFP_F_ETH_TYPE, 0x0806);
    ofp_match_set_u(&in.flow_removed.match, OFP_F_ARP_OP, 2);
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.flow_removed.byte_count, 64000);
    assert_int_equal(out.flow_removed.match.v.arp_op, 2);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_PORT_STATUS, 13);
    in.port_status.reason = OFPPR_MODIFY;
    in.port_status.port.port_no = 4;
    memcpy(in.port_status.port.hw_addr, "\x02\x00\x00\x00\x00\x04", 6);
    strcpy(in.port_status.port.name, "veth4");
    in.port_status.port.state = OFPPS_LINK_DOWN;
    in.port_status.port.curr_speed = 10000000;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 80);
    assert_string_equal(out.port_status.port.name, "veth4");
    assert_int_equal(out.port_status.port.curr_speed, 10000000);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);
}

static void
test_group_meter_roundtrips(void **state)
{
    struct ofp_msg in, out;
    struct ofpbuf wire;
    static const uint8_t types[] = {
        OFPGT11_ALL, OFPGT11_SELECT, OFPGT11_INDIRECT, OFPGT11_FF
    };

    for (size_t t = 0; t < sizeof types; t++) {
        struct ofp_bucket *bk;
        size_t n = types[t] == OFPGT11_INDIRECT ? 1 : 3;

        ofp_msg_init(&in, OFPT_GROUP_MOD, 20 + t);
        in.group_mod.command = OFPGC11_ADD;
        in.group_mod.type = types[t];
        in.group_mod.group_id = 100 + t;
        bk = ofp_msg_alloc(&in, n * sizeof *bk);
        for (size_t i = 0; i < n; i++) {
            struct ofp_action *a = ofp_msg_alloc(&in, 2 * sizeof *a);
            a[0] = ofp_action_set_field_u(OFP_F_ETH_DST, 0x020000000000ULL + i);
            a[1] = ofp_action_output(i + 1, 0);
            bk[i].weight = types[t] == OFPGT11_SELECT ? 10 * (i + 1) : 0;
            bk[i].watch_port = types[t] == OFPGT11_FF ? i + 1 : OFPP13_ANY;
            bk[i].watch_group = OFPG_ANY;
            bk[i].actions.actions = a;
            bk[i].actions.n = 2;
        }
        in.group_mod.buckets = bk;
        in.group_mod.n_buckets = n;
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.group_mod.type, types[t]);
        assert_int_equal(out.group_mod.n_buckets, n);
        assert_int_equal(out.group_mod.buckets[n - 1].actions.actions[1]
                         .output.port, n);
        ofp_msg_free(&in); ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }

    ofp_msg_init(&in, OFPT_GROUP_MOD, 30);
    in.group_mod.command = OFPGC11_DELETE;
    in.group_mod.group_id = OFPG_ALL;
    roundtrip(&in, &out, &wire);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_meter_band bands[2] = {
        { .type = OFPMBT13_DROP, .rate = 1000, .burst_size = 100 },
        { .type = OFPMBT13_DSCP_REMARK, .rate = 500, .burst_size = 50,
          .prec_level = 2 },
    };
    for (uint16_t cmd = OFPMC13_ADD; cmd <= OFPMC13_DELETE; cmd++) {
        ofp_msg_init(&in, OFPT_METER_MOD, 31);
        in.meter_mod.command = cmd;
        in.meter_mod.flags = OFPMF13_KBPS | OFPMF13_BURST | OFPMF13_STATS;
        in.meter_mod.meter_id = 7;
        in.meter_mod.bands = bands;
        in.meter_mod.n_bands = 2;
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.meter_mod.n_bands, 2);
        assert_int_equal(out.meter_mod.bands[1].prec_level, 2);
        assert_int_equal(out.meter_mod.bands[0].rate, 1000);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }
}

static void
test_multipart_roundtrips(void **state)
{
    struct ofp_msg in, out;
    struct ofpbuf wire;

    /* Requests. */
    static const uint16_t empty_req[] = {
        OFPMP_DESC, OFPMP_TABLE, OFPMP_PORT_DESC, OFPMP_GROUP_DESC
    };
    for (size_t i = 0; i < 4; i++) {
        ofp_msg_init(&in, OFPT_MULTIPART_REQUEST, 40);
        in.mp.type = empty_req[i];
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.mp.type, empty_req[i]);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }
    for (uint16_t t = OFPMP_FLOW; t <= OFPMP_AGGREGATE; t++) {
        ofp_msg_init(&in, OFPT_MULTIPART_REQUEST, 41);
        in.mp.type = t;
        in.mp.flow_req.table_id = OFPTT_ALL;
        in.mp.flow_req.out_port = OFPP13_ANY;
        in.mp.flow_req.out_group = OFPG_ANY;
        in.mp.flow_req.cookie = 3;
        in.mp.flow_req.cookie_mask = 0xff;
        ofp_match_set_u(&in.mp.flow_req.match, OFP_F_ETH_TYPE, 0x0800);
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.mp.flow_req.cookie_mask, 0xff);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }
    static const uint16_t id_req[] = {
        OFPMP_PORT_STATS, OFPMP_GROUP, OFPMP_METER, OFPMP_METER_CONFIG
    };
    for (size_t i = 0; i < 4; i++) {
        ofp_msg_init(&in, OFPT_MULTIPART_REQUEST, 42);
        in.mp.type = id_req[i];
        in.mp.port_no = 0xffffffff;
        roundtrip(&in, &out, &wire);
        assert_int_equal(out.mp.port_no, 0xffffffff);
        ofp_msg_free(&out); ofpbuf_uninit(&wire);
    }

    /* Replies. */
    struct ofp_desc desc = { "Lamina", "vnode", "0.1", "42", "s1" };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 50);
    in.mp.type = OFPMP_DESC;
    in.mp.desc = &desc;
    roundtrip(&in, &out, &wire);
    assert_string_equal(out.mp.desc->mfr_desc, "Lamina");
    assert_string_equal(out.mp.desc->dp_desc, "s1");
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_msg fm;
    make_flow_mod(&fm, OFPFC_ADD);
    struct ofp_flow_stats flows[2];
    memset(flows, 0, sizeof flows);
    for (int i = 0; i < 2; i++) {
        flows[i].table_id = 1;
        flows[i].priority = 10 + i;
        flows[i].packet_count = 5 + i;
        flows[i].byte_count = 500;
        flows[i].cookie = 9;
        flows[i].match = fm.flow_mod.match;
        flows[i].insts = fm.flow_mod.insts;
    }
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 51);
    in.mp.type = OFPMP_FLOW;
    in.mp.flags = OFPMPF_MORE;
    in.mp.list.n = 2;
    in.mp.list.flows = flows;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.n, 2);
    assert_int_equal(out.mp.list.flows[1].priority, 11);
    assert_int_equal(out.mp.flags, OFPMPF_MORE);
    assert_true(ofp_match_equal(&out.mp.list.flows[0].match,
                                &fm.flow_mod.match));
    ofp_msg_free(&out); ofpbuf_uninit(&wire);
    ofp_msg_free(&fm);

    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 52);
    in.mp.type = OFPMP_AGGREGATE;
    in.mp.aggregate.packet_count = 1ULL << 40;
    in.mp.aggregate.byte_count = 3;
    in.mp.aggregate.flow_count = 4;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.aggregate.packet_count, 1ULL << 40);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_table_stats tables[3] = {
        { 0, 1, 2, 3 }, { 1, 4, 5, 6 }, { 2, 7, 8, 9 }
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 53);
    in.mp.type = OFPMP_TABLE;
    in.mp.list.n = 3;
    in.mp.list.tables = tables;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.tables[2].matched_count, 9);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_port_stats ports[2] = {
        { .port_no = 1, .rx_packets = 10, .collisions = 3,
          .duration_sec = 8 },
        { .port_no = 2, .tx_bytes = 99, .duration_nsec = 7 },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 54);
    in.mp.type = OFPMP_PORT_STATS;
    in.mp.list.n = 2;
    in.mp.list.ports = ports;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.ports[0].collisions, 3);
    assert_int_equal(out.mp.list.ports[1].tx_bytes, 99);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_port_info pinfo[2] = {
        { .port_no = 1, .name = "p1", .curr_speed = 1000 },
        { .port_no = OFPP13_LOCAL, .name = "br0" },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 55);
    in.mp.type = OFPMP_PORT_DESC;
    in.mp.list.n = 2;
    in.mp.list.port_descs = pinfo;
    roundtrip(&in, &out, &wire);
    assert_string_equal(out.mp.list.port_descs[1].name, "br0");
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_counter_pair counters[2] = { { 1, 2 }, { 3, 4 } };
    struct ofp_group_stats groups[2] = {
        { .group_id = 1, .ref_count = 2, .packet_count = 3,
          .buckets = counters, .n_buckets = 2 },
        { .group_id = 2 },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 56);
    in.mp.type = OFPMP_GROUP;
    in.mp.list.n = 2;
    in.mp.list.groups = groups;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.groups[0].n_buckets, 2);
    assert_int_equal(out.mp.list.groups[0].buckets[1].byte_count, 4);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_action act = ofp_action_output(3, 0);
    struct ofp_bucket bucket = { 0, OFPP13_ANY, OFPG_ANY, { &act, 1 } };
    struct ofp_group_desc gdesc[2] = {
        { OFPGT11_INDIRECT, 5, &bucket, 1 },
        { OFPGT11_ALL, 6, NULL, 0 },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 57);
    in.mp.type = OFPMP_GROUP_DESC;
    in.mp.list.n = 2;
    in.mp.list.group_descs = gdesc;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.group_descs[0].buckets[0].actions.actions[0]
                     .output.port, 3);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    struct ofp_meter_stats meters[1] = {
        { .meter_id = 7, .flow_count = 2, .packet_in_count = 5,
          .bands = counters, .n_bands = 2 },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 58);
    in.mp.type = OFPMP_METER;
    in.mp.list.n = 1;
    in.mp.list.meters = meters;
    roundtrip(&in, &out, &wire);
    assert_int_equal(out.mp.list.meters[0].n_bands, 2);
    assert_int_equal(out.mp.list.meters[0].bands[1].packet_count, 3);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    /* Meter config: the bands as METER_MOD gave them; meter features. */
    struct ofp_meter_band bands[2] = {
        { .type = OFPMBT13_DROP, .rate = 1000, .burst_size = 100 },
        { .type = OFPMBT13_DSCP_REMARK, .rate = 500, .prec_level = 2 },
    };
    struct ofp_meter_config mcs[2] = {
        { .flags = OFPMF13_KBPS | OFPMF13_BURST, .meter_id = 3,
          .bands = bands, .n_bands = 2 },
        { .flags = OFPMF13_PKTPS, .meter_id = 4, .bands = bands, .n_bands = 1 },
    };
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 59);
    in.mp.type = OFPMP_METER_CONFIG;
    in.mp.list.n = 2;
    in.mp.list.meter_configs = mcs;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 16 + (8 + 32) + (8 + 16));
    assert_int_equal(out.mp.list.n, 2);
    assert_int_equal(out.mp.list.meter_configs[0].flags, OFPMF13_KBPS | OFPMF13_BURST);
    assert_int_equal(out.mp.list.meter_configs[0].bands[0].burst_size, 100);
    assert_int_equal(out.mp.list.meter_configs[0].bands[1].prec_level, 2);
    assert_int_equal(out.mp.list.meter_configs[1].meter_id, 4);
    assert_int_equal(out.mp.list.meter_configs[1].n_bands, 1);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_MULTIPART_REQUEST, 60);
    in.mp.type = OFPMP_METER_FEATURES;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 16);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 61);
    in.mp.type = OFPMP_METER_FEATURES;
    in.mp.meter_features.max_meter = 7;
    in.mp.meter_features.band_types = 6;
    in.mp.meter_features.capabilities = 0xf;
    in.mp.meter_features.max_bands = 16;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 32);
    assert_int_equal(out.mp.meter_features.max_meter, 7);
    assert_int_equal(out.mp.meter_features.band_types, 6);
    assert_int_equal(out.mp.meter_features.max_bands, 16);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);

    ofp_msg_init(&in, OFPT_MULTIPART_REQUEST, 62);
    in.mp.type = OFPMP_GROUP_FEATURES;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 16);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);
    ofp_msg_init(&in, OFPT_MULTIPART_REPLY, 63);
    in.mp.type = OFPMP_GROUP_FEATURES;
    in.mp.group_features.types = 0xf;
    in.mp.group_features.capabilities = OFPGFC_CHAINING;
    in.mp.group_features.max_groups[3] = 99;
    in.mp.group_features.actions[1] = 1u << 25;
    roundtrip(&in, &out, &wire);
    assert_int_equal(wire.size, 56);
    assert_int_equal(out.mp.group_features.types, 0xf);
    assert_int_equal(out.mp.group_features.capabilities, OFPGFC_CHAINING);
    assert_int_equal(out.mp.group_features.max_groups[3], 99);
    assert_int_equal(out.mp.group_features.actions[1], 1u << 25);
    ofp_msg_free(&out); ofpbuf_uninit(&wire);
}

/* ---- Bytes from real ovs-ofctl (golden-ofctl.h, see make-golden.sh). ---- */

static void
check_golden(const uint8_t *bytes, size_t len, struct ofp_msg *msg)
{
    struct ofpbuf again = OFPBUF_INITIALIZER;
    struct ofp_error err;
    int error = ofp_decode(bytes, len, msg, &err);

    if (error) {
        report_error("golden", err);
    }
    assert_int_equal(error, 0);
    /* Our encoder writes the same bytes as Open vSwitch. */
    assert_int_equal(ofp_encode(msg, &again), 0);
    assert_int_equal(again.size, len);
    assert_memory_equal(again.data, bytes, len);
    ofpbuf_uninit(&again);
    abuse_message(bytes, len);
}

#define GOLDEN(NAME, MSG) check_golden(NAME, sizeof NAME, MSG)

static void
test_golden_ofctl(void **state)
{
    struct ofp_msg m;
    const struct ofp_flow_mod_body *fm = &m.flow_mod;

    GOLDEN(golden_add_flow_0, &m);
    assert_int_equal(m.type, OFPT_FLOW_MOD);
    assert_int_equal(fm->command, OFPFC_ADD);
    assert_int_equal(fm->priority, 100);
    assert_int_equal(fm->match.v.eth_type, 0x0800);
    assert_int_equal(fm->match.v.ipv4_src, 0x0a000000);
    assert_int_equal(fm->match.m.ipv4_src, 0xff000000);
    assert_int_equal(fm->match.v.ipv4_dst, 0x0a010203);
    assert_int_equal(fm->insts.apply.n, 2);
    assert_int_equal(fm->insts.apply.actions[0].set_field.field,
                     OFP_F_ETH_DST);
    assert_int_equal(fm->insts.apply.actions[1].output.port, 2);
    assert_int_equal(fm->insts.goto_table, 1);
    ofp_msg_free(&m);

    GOLDEN(golden_add_flow_tcp_0, &m);
    assert_int_equal(fm->table_id, 1);
    assert_int_equal(fm->cookie, 0x42);
    assert_int_equal(fm->idle_timeout, 30);
    assert_int_equal(fm->match.v.in_port, 3);
    assert_int_equal(fm->match.v.vlan_vid, OFPVID_PRESENT | 5);
    assert_int_equal(fm->match.v.tcp_dst, 80);
    assert_int_equal(fm->insts.meter_id, 2);
    assert_int_equal(fm->insts.write.actions[0].group_id, 3);
    assert_int_equal(fm->insts.metadata_mask, 0xff);
    ofp_msg_free(&m);

    GOLDEN(golden_add_flow_arp_0, &m);
    assert_int_equal(fm->match.v.arp_op, 1);
    assert_int_equal(fm->match.v.arp_spa, 0x0a000001);
    ofp_msg_free(&m);

    GOLDEN(golden_add_flow_v6_0, &m);
    assert_int_equal(fm->match.v.icmpv6_type, 135);
    assert_true(ofp_insts_has(&fm->insts, OFPIT_CLEAR_ACTIONS));
    ofp_msg_free(&m);

    GOLDEN(golden_add_flow_vlan_0, &m);
    assert_int_equal(fm->insts.apply.actions[0].type, OFPAT_POP_VLAN);
    ofp_msg_free(&m);

    GOLDEN(golden_mod_flows_strict_0, &m);
    assert_int_equal(fm->command, OFPFC_MODIFY_STRICT);
    assert_int_equal(fm->match.v.udp_src, 53);
    ofp_msg_free(&m);

    GOLDEN(golden_del_flows_0, &m);
    assert_int_equal(fm->command, OFPFC_DELETE);
    assert_int_equal(fm->table_id, OFPTT_ALL);
    ofp_msg_free(&m);

    GOLDEN(golden_add_group_0, &m);
    assert_int_equal(m.group_mod.type, OFPGT11_SELECT);
    assert_int_equal(m.group_mod.n_buckets, 2);
    assert_int_equal(m.group_mod.buckets[1].weight, 20);
    ofp_msg_free(&m);

    GOLDEN(golden_add_group_ff_0, &m);
    assert_int_equal(m.group_mod.type, OFPGT11_FF);
    assert_int_equal(m.group_mod.buckets[1].watch_port, 2);
    ofp_msg_free(&m);

    GOLDEN(golden_add_meter_0, &m);
    assert_int_equal(m.meter_mod.meter_id, 1);
    assert_int_equal(m.meter_mod.bands[0].type, OFPMBT13_DROP);
    assert_int_equal(m.meter_mod.bands[0].rate, 1000);
    assert_int_equal(m.meter_mod.bands[0].burst_size, 100);
    ofp_msg_free(&m);

    GOLDEN(golden_add_meter_dscp_0, &m);
    assert_int_equal(m.meter_mod.bands[0].type, OFPMBT13_DSCP_REMARK);
    assert_int_equal(m.meter_mod.bands[0].prec_level, 1);
    ofp_msg_free(&m);

    GOLDEN(golden_dump_flows_0, &m);
    assert_int_equal(m.type, OFPT_MULTIPART_REQUEST);
    assert_int_equal(m.mp.type, OFPMP_FLOW);
    assert_int_equal(m.mp.flow_req.match.v.ip_proto, 6);
    ofp_msg_free(&m);

    GOLDEN(golden_dump_ports_0, &m);
    assert_int_equal(m.mp.type, OFPMP_PORT_STATS);
    assert_int_equal(m.mp.port_no, OFPP13_ANY);
    ofp_msg_free(&m);

    GOLDEN(golden_dump_groups_0, &m);
    assert_int_equal(m.mp.type, OFPMP_GROUP_DESC);
    ofp_msg_free(&m);

    GOLDEN(golden_packet_out_0, &m);
    assert_int_equal(m.packet_out.in_port, OFPP13_CONTROLLER);
    assert_int_equal(m.packet_out.actions.actions[0].output.port,
                     OFPP13_FLOOD);
    assert_int_equal(m.packet_out.data_len, 42);
    ofp_msg_free(&m);
}

/* ---- Malformed messages and their errors. ---- */

static void
test_header_errors(void **state)
{
    uint8_t b[16] = { 0x04, OFPT_BARRIER_REQUEST, 0, 8, 0, 0, 0, 1 };

    expect_bytes_error(b, 4, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    expect_bytes_error(b, 9, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    b[3] = 16;
    expect_bytes_error(b, 16, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    b[3] = 8;
    b[0] = 0x01;
    expect_bytes_error(b, 8, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION);
    b[0] = 0x04;
    b[1] = 99;
    expect_bytes_error(b, 8, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE);
    b[1] = OFPT_PORT_MOD;
    expect_bytes_error(b, 8, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE);
    b[1] = OFPT_EXPERIMENTER;
    expect_bytes_error(b, 8, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);

    /* HELLO of another version still decodes (for negotiation). */
    uint8_t hello[] = { 0x06, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x52 };
    struct ofp_msg m;
    struct ofp_error err;
    uint8_t v;
    assert_int_equal(ofp_decode(hello, sizeof hello, &m, &err), 0);
    assert_int_equal(ofp_hello_negotiate(&m.hello, m.version, 1u << 4, &v,
                                         &err), 0);
    assert_int_equal(v, 4);
    assert_int_equal(ofp_hello_negotiate(&m.hello, m.version, 1u << 5, &v,
                                         &err), EPROTO);
    assert_int_equal(err.type, OFPET_HELLO_FAILED);
    assert_int_equal(err.code, OFPHFC_INCOMPATIBLE);
    m.hello.has_bitmap = false;
    assert_int_equal(ofp_hello_negotiate(&m.hello, 0x01, 1u << 4, &v, &err),
                     EPROTO);
    assert_int_equal(ofp_hello_negotiate(&m.hello, 0x05, 0x12, &v, &err), 0);
    assert_int_equal(v, 4);
    ofp_msg_free(&m);
}

static void
test_match_errors(void **state)
{
    struct ofp_msg m;
    struct ofp_match *mt = &m.flow_mod.match;

#define FRESH() (ofp_msg_init(&m, OFPT_FLOW_MOD, 1), \
                 m.flow_mod.buffer_id = OFP13_NO_BUFFER)

    FRESH();
    ofp_match_set_u(mt, OFP_F_IPV4_SRC, 1);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x86dd);
    ofp_match_set_u(mt, OFP_F_IPV4_SRC, 1);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(mt, OFP_F_TCP_DST, 80);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(mt, OFP_F_IP_PROTO, 1);
    ofp_match_set_u(mt, OFP_F_ICMPV6_TYPE, 1);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_VLAN_PCP, 3);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_VLAN_VID, 0);      /* OFPVID_NONE. */
    ofp_match_set_u(mt, OFP_F_VLAN_PCP, 3);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);

    FRESH();
    ofp_match_set_u(mt, OFP_F_VLAN_VID, OFPVID_PRESENT | 1);
    ofp_match_set_u(mt, OFP_F_VLAN_PCP, 8);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);

    FRESH();
    ofp_match_set_u(mt, OFP_F_VLAN_VID, 5);      /* No OFPVID_PRESENT. */
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);

    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x8847);
    ofp_match_set_u(mt, OFP_F_MPLS_LABEL, 1 << 20);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);

    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_TYPE, 0x0800);
    ofp_match_set_u(mt, OFP_F_IP_DSCP, 64);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);

    FRESH();
    ofp_match_set_masked_u(mt, OFP_F_IN_PORT, 1, 0xff);
    expect_error(&m, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);

    /* Raw edits of an encoded match. */
    struct ofpbuf wire = OFPBUF_INITIALIZER;
    FRESH();
    ofp_match_set_u(mt, OFP_F_ETH_DST, 1);
    ofp_match_set_u(mt, OFP_F_ETH_SRC, 2);
    ofp_match_set_masked_u(mt, OFP_F_TUNNEL_ID, 0x10, 0xf0);
    ofp_encode(&m, &wire);
    /* FLOW_MOD: header 8 + body 40, match header 4, then the TLVs in
     * encoding order: eth_src, eth_dst (4 + 6 each), tunnel_id. */
    uint8_t *eth_src = wire.data + 48 + 4;
    uint8_t *tunnel = eth_src + 20;
    uint8_t save;

    eth_src[2] = 3 << 1;                        /* eth_src -> eth_dst. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_DUP_FIELD);
    eth_src[2] = 4 << 1;
    eth_src[3] = 5;                             /* TLV length 5. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_LEN);
    eth_src[3] = 6;
    eth_src[2] = 60 << 1;                       /* Unknown field. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_FIELD);
    eth_src[2] = 4 << 1;
    eth_src[0] = 0x00;                          /* Class NXM_0. */
    eth_src[1] = 0x00;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_FIELD);
    eth_src[0] = 0x80;
    save = tunnel[4 + 7];
    tunnel[4 + 7] = 0x11;                       /* Value bit outside mask. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_WILDCARDS);
    tunnel[4 + 7] = save;
    wire.data[49] = 0;                          /* OFPMT_STANDARD. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_TYPE);
    wire.data[49] = 1;
    wire.data[51] = 3;                          /* Match length 3. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_MATCH,
                       OFPBMC_BAD_LEN);
    ofpbuf_uninit(&wire);
#undef FRESH
}

static void
flow_mod_with_actions(struct ofp_msg *m, const struct ofp_action *acts,
                      size_t n)
{
    ofp_msg_init(m, OFPT_FLOW_MOD, 1);
    m->flow_mod.buffer_id = OFP13_NO_BUFFER;
    m->flow_mod.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    m->flow_mod.insts.apply.actions = (struct ofp_action *) acts;
    m->flow_mod.insts.apply.n = n;
}

static void
test_action_errors(void **state)
{
    struct ofp_msg m;
    struct ofp_action a;

    a = ofp_action_output(0, 0);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);

    a = ofp_action_output(OFPP13_ANY, 0);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);

    memset(&a, 0, sizeof a);
    a.type = 99;
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);
    for (uint16_t pbb = 26; pbb <= 27; pbb++) {   /* push/pop PBB */
        a.type = pbb;
        flow_mod_with_actions(&m, &a, 1);
        expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);
    }

    a.type = OFPAT_PUSH_VLAN;
    a.ethertype = 0x0800;
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT);

    a.type = OFPAT_PUSH_MPLS;
    a.ethertype = 0x8100;
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT);

    a.type = OFPAT_GROUP;
    a.group_id = OFPG_ALL;
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);

    a = ofp_action_set_field_u(OFP_F_IN_PORT, 1);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);

    a = ofp_action_set_field_u(OFP_F_VLAN_PCP, 9);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT);

    /* Fields a set-field may not write: eth_type, ip_proto, metadata. */
    a = ofp_action_set_field_u(OFP_F_ETH_TYPE, 0x86dd);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    a = ofp_action_set_field_u(OFP_F_IP_PROTO, 17);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    a = ofp_action_set_field_u(OFP_F_METADATA, 1);
    flow_mod_with_actions(&m, &a, 1);
    expect_error(&m, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);

    /* Raw edits: action at 48 + 8 (empty match) + 8 (instruction), on a
     * settable 2-byte field. */
    struct ofpbuf wire = OFPBUF_INITIALIZER;
    a = ofp_action_set_field_u(OFP_F_VLAN_VID, OFPVID_PRESENT | 5);
    flow_mod_with_actions(&m, &a, 1);
    ofp_encode(&m, &wire);
    uint8_t *act = wire.data + 64;
    act[6] |= 1;                                /* has_mask. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_ACTION,
                       OFPBAC_BAD_SET_ARGUMENT);
    act[6] &= ~1;
    act[7] = 3;                                 /* OXM length 3. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_ACTION,
                       OFPBAC_BAD_SET_LEN);
    act[7] = 2;
    act[3] = 12;                                /* Action length 12. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_ACTION,
                       OFPBAC_BAD_LEN);
    act[3] = 16;
    act[0] = 0xff;                              /* Experimenter. */
    act[1] = 0xff;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_ACTION,
                       OFPBAC_BAD_EXPERIMENTER);
    ofpbuf_uninit(&wire);
}

static void
test_instruction_errors(void **state)
{
    struct ofp_msg m;
    struct ofpbuf wire = OFPBUF_INITIALIZER;

    ofp_msg_init(&m, OFPT_FLOW_MOD, 1);
    m.flow_mod.table_id = 3;
    m.flow_mod.insts.present = 1u << OFPIT_GOTO_TABLE;
    m.flow_mod.insts.goto_table = 2;
    expect_error(&m, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);
    m.flow_mod.insts.goto_table = 0xff;
    expect_error(&m, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);

    /* clear_actions then goto_table: edit the clear instruction at 56. */
    ofp_msg_init(&m, OFPT_FLOW_MOD, 1);
    m.flow_mod.insts.present = (1u << OFPIT_CLEAR_ACTIONS)
                               | (1u << OFPIT_GOTO_TABLE);
    m.flow_mod.insts.goto_table = 1;
    ofp_encode(&m, &wire);
    uint8_t *inst = wire.data + 56;
    inst[1] = OFPIT_GOTO_TABLE;
    inst[4] = 1;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_INSTRUCTION,
                       OFPBIC_DUP_INST);
    inst[1] = 7;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_INSTRUCTION,
                       OFPBIC_UNKNOWN_INST);
    inst[0] = inst[1] = 0xff;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_INSTRUCTION,
                       OFPBIC_BAD_EXPERIMENTER);
    inst[0] = 0;
    inst[1] = OFPIT_CLEAR_ACTIONS;
    inst[3] = 4;
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_INSTRUCTION,
                       OFPBIC_BAD_LEN);
    inst[3] = 16;                               /* Clear with 16 bytes. */
    expect_bytes_error(wire.data, wire.size, OFPET_BAD_INSTRUCTION,
                       OFPBIC_BAD_LEN);
    ofpbuf_uninit(&wire);
}

static void
test_message_errors(void **state)
{
    struct ofp_msg m;

    ofp_msg_init(&m, OFPT_FLOW_MOD, 1);
    m.flow_mod.command = 5;
    expect_error(&m, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND);
    m.flow_mod.command = OFPFC_ADD;
    m.flow_mod.table_id = OFPTT_ALL;
    expect_error(&m, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    m.flow_mod.table_id = 0;
    m.flow_mod.flags = 0x100;
    expect_error(&m, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS);

    struct ofp_action acts[1] = { ofp_action_output(1, 0) };
    struct ofp_bucket bk[2] = {
        { 0, OFPP13_ANY, OFPG_ANY, { acts, 1 } },
        { 0, OFPP13_ANY, OFPG_ANY, { acts, 1 } },
    };
    ofp_msg_init(&m, OFPT_GROUP_MOD, 1);
    m.group_mod.type = 7;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE);
    m.group_mod.type = OFPGT11_INDIRECT;
    m.group_mod.command = 9;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND);
    m.group_mod.command = OFPGC11_ADD;
    m.group_mod.buckets = bk;
    m.group_mod.n_buckets = 2;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    m.group_mod.type = OFPGT11_FF;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH);
    m.group_mod.type = OFPGT11_ALL;
    m.group_mod.group_id = OFPG_ANY;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP);
    m.group_mod.group_id = 1;
    bk[1].weight = 3;
    expect_error(&m, OFPET_GROUP_MOD_FAILED, OFPGMFC_WEIGHT_UNSUPPORTED);
    bk[1].weight = 0;
    {
        struct ofpbuf wire = OFPBUF_INITIALIZER;
        ofp_encode(&m, &wire);
        wire.data[17] = 12;                     /* First bucket length. */
        expect_bytes_error(wire.data, wire.size, OFPET_GROUP_MOD_FAILED,
                           OFPGMFC_BAD_BUCKET);
        ofpbuf_uninit(&wire);
    }

    struct ofp_meter_band band = { OFPMBT13_DROP, 100, 10, 0 };
    ofp_msg_init(&m, OFPT_METER_MOD, 1);
    m.meter_mod.meter_id = 1;
    m.meter_mod.bands = &band;
    m.meter_mod.n_bands = 1;
    m.meter_mod.flags = OFPMF13_KBPS | OFPMF13_PKTPS;
    expect_error(&m, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS);
    m.meter_mod.flags = OFPMF13_KBPS;
    m.meter_mod.command = 3;
    expect_error(&m, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND);
    m.meter_mod.command = OFPMC13_ADD;
    m.meter_mod.meter_id = 0;
    expect_error(&m, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER);
    m.meter_mod.meter_id = 1;
    band.type = 3;
    expect_error(&m, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
    band.type = OFPMBT13_DROP;
    band.rate = 0;
    expect_error(&m, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE);

    ofp_msg_init(&m, OFPT_MULTIPART_REQUEST, 1);
    m.mp.type = OFPMP_TABLE_FEATURES;
    {
        struct ofpbuf wire = OFPBUF_INITIALIZER;
        uint8_t mp[16] = { 4, OFPT_MULTIPART_REQUEST, 0, 16, 0, 0, 0, 1,
                           0, OFPMP_TABLE_FEATURES };
        expect_bytes_error(mp, sizeof mp, OFPET_BAD_REQUEST,
                           OFPBRC_BAD_MULTIPART);
        mp[8] = mp[9] = 0xff;
        expect_bytes_error(mp, sizeof mp, OFPET_BAD_REQUEST,
                           OFPBRC_BAD_EXPERIMENTER);
        ofpbuf_uninit(&wire);
    }

    ofp_msg_init(&m, OFPT_ROLE_REQUEST, 1);
    m.role.role = 9;
    expect_error(&m, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE);

    ofp_msg_init(&m, OFPT_SET_CONFIG, 1);
    m.config.flags = 0x80;
    expect_error(&m, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS);

    ofp_msg_init(&m, OFPT_PACKET_OUT, 1);
    m.packet_out.in_port = 0;
    expect_error(&m, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    {
        struct ofpbuf wire = OFPBUF_INITIALIZER;
        m.packet_out.in_port = 1;
        ofp_encode(&m, &wire);
        wire.data[17] = 8;                      /* actions_len past end. */
        expect_bytes_error(wire.data, wire.size, OFPET_BAD_REQUEST,
                           OFPBRC_BAD_LEN);
        ofpbuf_uninit(&wire);
    }
}

/* ---- Helpers around the codec. ---- */

static void
test_error_reply(void **state)
{
    uint8_t req[100];
    struct ofpbuf b = OFPBUF_INITIALIZER;
    struct ofp_msg m;
    struct ofp_error err;
    char text[80];

    memset(req, 0xab, sizeof req);
    req[0] = 4; req[1] = OFPT_FLOW_MOD; req[2] = 0; req[3] = 100;
    put_be32(req + 4, 0x01020304);
    ofp_encode_error_reply(&b, req, sizeof req,
                           OFP_ERROR(OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ));
    assert_int_equal(ofp_decode(b.data, b.size, &m, &err), 0);
    assert_int_equal(m.xid, 0x01020304);
    assert_int_equal(m.error.type, OFPET_BAD_MATCH);
    assert_int_equal(m.error.code, OFPBMC_BAD_PREREQ);
    assert_int_equal(m.error.data_len, 64);
    assert_string_equal(ofp_error_format(OFP_ERROR(m.error.type,
                                                   m.error.code),
                                         text, sizeof text),
                        "OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ");
    ofp_msg_free(&m);
    ofpbuf_uninit(&b);
}

static void
test_format(void **state)
{
    struct ofp_msg m;
    struct ofp_error err;
    struct ofpbuf s = OFPBUF_INITIALIZER;

    assert_int_equal(ofp_decode(golden_add_flow_0, sizeof golden_add_flow_0,
                                &m, &err), 0);
    ofp_msg_format(&m, &s);
    assert_string_equal(ofpbuf_cstr(&s),
        "FLOW_MOD xid=2 add table=0 priority=100 eth_type=0x0800,"
        "ipv4_src=10.0.0.0/255.0.0.0,ipv4_dst=10.1.2.3 "
        "actions=set_field:00:11:22:33:44:55->eth_dst,output:2,"
        "goto_table:1");
    ofp_msg_free(&m);
    ofpbuf_uninit(&s);
}

static void
test_framer(void **state)
{
    struct ofpbuf stream = OFPBUF_INITIALIZER;
    struct ofp_framer fr;
    const uint8_t *msg;
    size_t len, n_msgs = 0;

    for (int i = 0; i < 100; i++) {
        struct ofp_msg m;
        make_flow_mod(&m, i % 5);
        m.xid = i;
        ofp_encode(&m, &stream);
        ofp_encode_simple(&stream, OFPT_BARRIER_REQUEST, i);
        ofp_msg_free(&m);
    }

    /* Feed in odd-sized pieces; every message comes out whole. */
    ofp_framer_init(&fr);
    assert_int_equal(ofp_framer_next(&fr, &msg, &len), EAGAIN);
    for (size_t ofs = 0; ofs < stream.size; ) {
        size_t chunk = MIN((size_t) 37 + ofs % 91, stream.size - ofs);
        ofp_framer_feed(&fr, stream.data + ofs, chunk);
        ofs += chunk;
        while (!ofp_framer_next(&fr, &msg, &len)) {
            struct ofp_msg m;
            struct ofp_error err;
            assert_int_equal(ofp_decode(msg, len, &m, &err), 0);
            assert_int_equal(m.xid, n_msgs / 2);
            ofp_msg_free(&m);
            n_msgs++;
        }
    }
    assert_int_equal(n_msgs, 200);
    assert_int_equal(ofp_framer_pending(&fr), 0);

    /* A header with length < 8 breaks the stream. */
    uint8_t bad[8] = { 4, 0, 0, 4 };
    ofp_framer_feed(&fr, bad, sizeof bad);
    assert_int_equal(ofp_framer_next(&fr, &msg, &len), EBADMSG);
    ofp_framer_destroy(&fr);
    ofpbuf_uninit(&stream);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_mod_roundtrip),
        cmocka_unit_test(test_match_fields_roundtrip),
        cmocka_unit_test(test_simple_roundtrips),
        cmocka_unit_test(test_packet_roundtrips),
        cmocka_unit_test(test_group_meter_roundtrips),
        cmocka_unit_test(test_multipart_roundtrips),
        cmocka_unit_test(test_golden_ofctl),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_match_errors),
        cmocka_unit_test(test_action_errors),
        cmocka_unit_test(test_instruction_errors),
        cmocka_unit_test(test_message_errors),
        cmocka_unit_test(test_error_reply),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_framer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
