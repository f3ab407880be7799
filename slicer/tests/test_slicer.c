/*
 * Unit tests of the slicer's rules, without sockets: flowspace algebra and
 * parsing, id translation, the action checks, PACKET_IN ownership, the
 * token bucket and the validation of slices and flowspace.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flowspace.h"
#include "slicer.h"

static struct ofp_match
M(const char *text)
{
    struct ofp_match m[FS_MAX_EXPANSION];
    char msg[256];
    int n = fs_match_parse(text, m, FS_MAX_EXPANSION, msg, sizeof msg);
    if (n != 1) {
        fail_msg("parse \"%s\": %d (%s)", text, n, msg);
    }
    return m[0];
}

static char *
S(const struct ofp_match *m)
{
    static char buf[4][512];
    static int i;
    char *t = fs_match_to_string(m);
    char *b = buf[i++ % 4];
    snprintf(b, 512, "%s", t);
    free(t);
    return b;
}

/* ---- Flowspace algebra ---------------------------------------------------- */

static void
test_intersect(void **state)
{
    struct ofp_match a, b, r;
    (void) state;

    a = M("ipv4_dst=10.0.0.0/8");
    b = M("ipv4_dst=10.1.0.0/16,tcp_dst=80");
    assert_true(fs_match_intersect(&a, &b, &r));
    assert_string_equal(S(&r), "eth_type=0x0800,ip_proto=6,ipv4_dst=10.1.0.0/255.255.0.0,tcp_dst=80");

    /* Disjoint prefixes, protocols, VLANs. */
    a = M("ipv4_dst=10.1.0.0/16");
    b = M("ipv4_dst=10.2.0.0/16");
    assert_false(fs_match_overlaps(&a, &b));
    a = M("ipv4_src=10.0.0.1");
    b = M("arp_spa=10.0.0.1");
    assert_false(fs_match_overlaps(&a, &b));
    a = M("vlan_vid=10");
    b = M("vlan_vid=20");
    assert_false(fs_match_overlaps(&a, &b));
    b = M("vlan_vid=none");
    assert_false(fs_match_overlaps(&a, &b));

    /* "Any VLAN" (present bit, masked) meets VLAN 10. */
    a = M("vlan_vid=0x1000/0x1000");
    b = M("vlan_vid=10,eth_dst=02:00:00:00:00:01");
    assert_true(fs_match_intersect(&a, &b, &r));
    assert_int_equal(r.v.vlan_vid, 0x100a);
    assert_false((r.masked >> OFP_F_VLAN_VID) & 1);     /* exact now */

    /* The empty match is the whole space. */
    a = M("any");
    assert_true(fs_match_intersect(&a, &b, &r));
    assert_true(ofp_match_equal(&r, &b));

    /* Masks combine: 10.0.0.0/8 and x.x.0.5/0.0.255.255. */
    a = M("ipv4_dst=10.0.0.0/8");
    b = M("ipv4_dst=0.0.0.5/0.0.255.255");
    assert_true(fs_match_intersect(&a, &b, &r));
    assert_int_equal(r.v.ipv4_dst, 0x0a000005);
    assert_int_equal(r.m.ipv4_dst, 0xff00ffff);
}

static void
test_covers(void **state)
{
    struct ofp_match a, b;
    (void) state;

    a = M("ipv4_dst=10.0.0.0/8");
    b = M("ipv4_dst=10.1.2.3,tcp_dst=22");
    assert_true(fs_match_covers(&a, &b));
    assert_false(fs_match_covers(&b, &a));
    a = M("any");
    assert_true(fs_match_covers(&a, &b));
    a = M("ipv4_dst=10.0.0.0/8,ip_dscp=1");
    assert_false(fs_match_covers(&a, &b));
}

static void
test_packet(void **state)
{
    static const uint8_t frame[] = {
        0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1,   /* dst, src */
        0x81, 0x00, 0x20, 0x0a,                     /* VLAN 10, pcp 1 */
        0x08, 0x00,                                 /* IPv4 */
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
        10, 1, 0, 1, 10, 1, 0, 2,
        0x30, 0x39, 0x00, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0,
        0, 0, 0, 0,
    };
    struct ofp_match p, fs;
    (void) state;

    fs_packet_parse(frame, sizeof frame, 3, &p);
    assert_int_equal(p.v.in_port, 3);
    assert_int_equal(p.v.vlan_vid, 0x100a);
    assert_int_equal(p.v.vlan_pcp, 1);
    assert_int_equal(p.v.eth_type, 0x0800);
    assert_int_equal(p.v.ipv4_src, 0x0a010001);
    assert_int_equal(p.v.tcp_dst, 80);

    fs = M("vlan_vid=10");
    assert_true(fs_match_has_packet(&fs, &p));
    fs = M("vlan_vid=20");
    assert_false(fs_match_has_packet(&fs, &p));
    fs = M("ipv4_src=10.1.0.0/24,tcp_dst=80");
    assert_true(fs_match_has_packet(&fs, &p));
    fs = M("udp_dst=80");                       /* no UDP header */
    assert_false(fs_match_has_packet(&fs, &p));
    fs = M("in_port=4");
    assert_false(fs_match_has_packet(&fs, &p));

    /* Truncated: the parse keeps what it read. */
    fs_packet_parse(frame, 20, 3, &p);
    assert_true(ofp_match_has(&p, OFP_F_ETH_TYPE));
    assert_false(ofp_match_has(&p, OFP_F_IPV4_SRC));
}

static void
test_parse(void **state)
{
    struct ofp_match m[FS_MAX_EXPANSION];
    char msg[256];
    (void) state;

    /* Prerequisites are added. */
    assert_int_equal(fs_match_parse("tcp_dst=80", m, 4, msg, sizeof msg), 1);
    assert_string_equal(S(&m[0]), "eth_type=0x0800,ip_proto=6,tcp_dst=80");
    assert_int_equal(fs_match_parse("ipv6_dst=2001:db8::/32", m, 4, msg,
                                    sizeof msg), 1);
    assert_int_equal(m[0].v.eth_type, 0x86dd);
    /* Ranges: maskable fields become prefixes, others single values. */
    assert_int_equal(fs_match_parse("ipv4_dst=10.0.0.0-10.0.0.255", m, 16,
                                    msg, sizeof msg), 1);
    assert_int_equal(fs_match_parse("ipv4_dst=10.0.0.1-10.0.0.6", m, 16,
                                    msg, sizeof msg), 4);  /* 1,2-3,4-5,6 */
    assert_int_equal(fs_match_parse("tcp_dst=1000-1003,ipv4_src=10.0.0.0/8",
                                    m, 16, msg, sizeof msg), 4);
    assert_int_equal(m[3].v.tcp_dst, 1003);
    assert_int_equal(m[3].v.ipv4_src, 0x0a000000);
    assert_int_equal(fs_match_parse("tcp_dst=1-60000", m, 16, msg,
                                    sizeof msg), -1);
    /* Errors name the field. */
    assert_int_equal(fs_match_parse("nosuch=1", m, 4, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "nosuch"));
    assert_int_equal(fs_match_parse("vlan_pcp=9", m, 4, msg, sizeof msg), -1);
    assert_int_equal(fs_match_parse("tcp_dst=80/0xff", m, 4, msg, sizeof msg),
                     -1);
    assert_int_equal(fs_match_parse("eth_type=0x800,eth_type=0x806", m, 4,
                                    msg, sizeof msg), -1);
}

static void
test_ranges(void **state)
{
    uint64_t v[64], mk[64];
    (void) state;

    assert_int_equal(fs_range_to_prefixes(0, 255, 8, v, mk, 64), 1);
    assert_int_equal(mk[0], 0);
    assert_int_equal(fs_range_to_prefixes(1000, 1999, 16, v, mk, 64), 7);
    assert_int_equal(fs_range_to_prefixes(5, 5, 16, v, mk, 64), 1);
    assert_int_equal(mk[0], 0xffff);
    assert_int_equal(fs_range_to_prefixes(0, 0xffffffff, 32, v, mk, 64), 1);
    assert_int_equal(fs_range_to_prefixes(1, 0xfffffffe, 32, v, mk, 64), 62);

    /* A VLAN set: VIDs 100-131 as four prefixes, the tag present in each. */
    struct ofp_match m[8];
    char msg[128];
    assert_int_equal(fs_match_parse("vlan_vid=100-131", m, 8, msg, sizeof msg), 4);
    assert_int_equal(m[0].v.vlan_vid, 0x1000 | 100);
    assert_int_equal(m[0].m.vlan_vid, 0x1ffc);
    assert_int_equal(m[3].v.vlan_vid, 0x1000 | 128);
    assert_int_equal(fs_match_parse("vlan_vid=7-7", m, 8, msg, sizeof msg), 1);
    assert_false((m[0].masked >> OFP_F_VLAN_VID) & 1);
    assert_int_equal(m[0].v.vlan_vid, 0x1000 | 7);
    assert_true(fs_match_parse("vlan_vid=none-5", m, 8, msg, sizeof msg) < 0);
}

/* ---- A configuration: slices red (VLAN 10) and blue (IPv4 10.2/16) --------- */

struct world {
    struct slicer_config cfg;
    struct slice *red, *blue;
    struct ofp_msg msg;         /* for its arena */
};

static int
add_slice(struct world *w, const char *json, struct slice **s)
{
    json_t *p = json_loads(json, 0, NULL);
    char msg[256];
    const char *field;
    int error = slicer_slice_add(&w->cfg, p, s, msg, sizeof msg, &field);
    json_decref(p);
    return error;
}

static int
add_fs(struct world *w, const char *json)
{
    json_t *p = json_loads(json, 0, NULL);
    struct fs_entry *e;
    char msg[256];
    const char *field;
    int error = slicer_fs_add(&w->cfg, p, &e, msg, sizeof msg, &field);
    json_decref(p);
    return error;
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);

    slicer_config_init(&w->cfg);
    /* Red: ports 1, 2 and the shared trunk 5 (seen as 3). */
    assert_int_equal(add_slice(w, "{\"name\":\"red\",\"controller\":"
                               "\"tcp:127.0.0.1:6633\",\"switches\":"
                               "[\"0xa:1,2,5=3\"]}", &w->red), 0);
    assert_int_equal(add_slice(w, "{\"name\":\"blue\",\"controller\":"
                               "\"tcp:127.0.0.1:6634\",\"switches\":"
                               "[\"0xa:3=1,4=2,5=3\"],\"queue\":7}",
                               &w->blue), 0);
    assert_int_equal(add_fs(w, "{\"name\":\"red-vlan\",\"slice\":\"red\","
                            "\"match\":\"vlan_vid=10\"}"), 0);
    assert_int_equal(add_fs(w, "{\"name\":\"blue-ip\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=20,ipv4_dst=10.2.0.0/16\"}"),
                     0);
    ofp_msg_init(&w->msg, OFPT_FLOW_MOD, 0);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    ofp_msg_free(&w->msg);
    slicer_config_destroy(&w->cfg);
    free(w);
    return 0;
}

static void
test_config_validation(void **state)
{
    struct world *w = *state;
    struct slice *s;

    /* Flowspace for a slice that does not exist. */
    assert_int_equal(add_fs(w, "{\"name\":\"x\",\"slice\":\"nosuch\","
                            "\"match\":\"any\"}"), ENOENT);
    /* Overlap with red on the shared port 5. */
    assert_int_equal(add_fs(w, "{\"name\":\"x\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=10\"}"), EBUSY);
    /* ... unless allowed. */
    assert_int_equal(add_fs(w, "{\"name\":\"x\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=10\","
                            "\"allow_overlap\":true}"), 0);
    /* Disjoint from red: VLAN 30. */
    assert_int_equal(add_fs(w, "{\"name\":\"y\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=30\"}"), 0);
    /* Names, switches, dpids. */
    assert_int_equal(add_fs(w, "{\"name\":\"y\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=31\"}"), EEXIST);
    assert_int_equal(add_fs(w, "{\"name\":\"z\",\"slice\":\"blue\","
                            "\"match\":\"vlan_vid=32\",\"dpid\":\"0xb\"}"),
                     EINVAL);
    assert_int_equal(add_fs(w, "{\"name\":\"z\",\"slice\":\"blue\","
                            "\"match\":\"in_port=1\"}"), EINVAL);
    assert_int_equal(add_slice(w, "{\"name\":\"red\",\"controller\":"
                               "\"tcp:127.0.0.1:1\",\"switches\":[\"1:1\"]}",
                               &s), EEXIST);
    assert_int_equal(add_slice(w, "{\"name\":\"g\",\"controller\":"
                               "\"udp:1.2.3.4:5\",\"switches\":[\"1:1\"]}",
                               &s), EINVAL);
    assert_int_equal(add_slice(w, "{\"name\":\"g\",\"controller\":"
                               "\"tcp:127.0.0.1:1\",\"switches\":[\"1:1,1\"]}",
                               &s), EINVAL);
    assert_int_equal(add_slice(w, "{\"name\":\"g\",\"controller\":"
                               "\"tcp:127.0.0.1:1\",\"switches\":[\"1:1\"],"
                               "\"tag\":1}", &s), EEXIST);
    /* Deleting a slice takes its flowspace. */
    size_t n = w->cfg.n_fs;
    slicer_slice_remove(&w->cfg, w->blue);
    assert_int_equal(w->cfg.n_fs, n - 3);
    w->blue = NULL;
}

static void
test_ids(void **state)
{
    struct world *w = *state;
    struct slice_dp *dp = slice_dp_find(w->blue, 0xa);

    assert_int_equal(w->red->tag, 1);
    assert_int_equal(w->blue->tag, 2);
    assert_true(dp->vdpid == 0x000200000000000aULL);
    assert_ptr_equal(slice_dp_find_virtual(w->blue, 0x000200000000000aULL), dp);
    assert_int_equal(slice_dp_phys_port(dp, 1), 3);
    assert_int_equal(slice_dp_virt_port(dp, 5), 3);
    assert_int_equal(slice_dp_phys_port(dp, 4), 0);    /* not blue's */
    assert_int_equal(slice_dp_virt_port(dp, 1), 0);
    assert_int_equal(xlate_group_to_phys(w->blue, 5), (2u << 20) | 5);
    assert_int_equal(xlate_meter_to_phys(w->blue, 5), (2u << 16) | 5);
}

static struct ofp_flow_mod_body
flow(const char *match, const struct ofp_action *acts, size_t n)
{
    struct ofp_flow_mod_body fm;
    memset(&fm, 0, sizeof fm);
    fm.command = OFPFC_ADD;
    fm.priority = 100;
    fm.buffer_id = OFP13_NO_BUFFER;
    fm.out_port = OFPP13_ANY;
    fm.out_group = 0xffffffff;
    fm.cookie = 0xffffffffffffffffULL;
    fm.match = M(match);
    fm.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    fm.insts.apply.actions = (struct ofp_action *) acts;
    fm.insts.apply.n = n;
    return fm;
}

static void
test_flow_mod_split(void **state)
{
    struct world *w = *state;
    struct xlate_ctx x = { &w->cfg, w->red, slice_dp_find(w->red, 0xa) };
    struct ofp_action out2 = ofp_action_output(2, 0);
    struct ofp_flow_mod_body fm = flow("eth_dst=02:00:00:00:00:02", &out2, 1);
    struct ofp_flow_mod_body *p;
    struct ofp_error err;
    size_t n;

    /* No in_port: one flow per red port, each inside VLAN 10. */
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(p[0].match.v.in_port, 1);
    assert_int_equal(p[2].match.v.in_port, 5);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(p[i].match.v.vlan_vid, 0x100a);
        assert_true(p[i].cookie >> 48 == 1);
        /* The controller's 47 cookie bits; bit 47 (table miss) clear. */
        assert_true((p[i].cookie & 0xffffffffffffULL) == 0x7fffffffffffULL);
        assert_true(p[i].flags & 1);                /* SEND_FLOW_REM */
        assert_int_equal(p[i].insts.apply.actions[0].output.port, 2);
    }

    /* The controller's table-miss entry (priority 0, empty match) is
     * narrowed to the slice; its pieces carry the table-miss bit. */
    struct ofp_action to_ctrl = ofp_action_output(OFPP13_CONTROLLER, 128);
    fm = flow("", &to_ctrl, 1);
    fm.priority = 0;
    fm.cookie = 0;
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err), 0);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        assert_true(p[i].match.present != 0);
        assert_true(p[i].cookie & xlate_cookie_miss_bit(&w->cfg));
    }

    /* Virtual in_port 3 is physical 5. */
    fm = flow("in_port=3", &out2, 1);
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].match.v.in_port, 5);

    /* A foreign in_port is refused. */
    fm = flow("in_port=4", &out2, 1);
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err),
                     EPROTO);
    assert_int_equal(err.type, OFPET_BAD_MATCH);
    assert_int_equal(err.code, OFPBMC_EPERM);

    /* Outside the flowspace entirely: refused for ADD... */
    fm = flow("vlan_vid=20", &out2, 1);
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err),
                     EPROTO);
    assert_int_equal(err.code, OFPBMC_EPERM);
    /* ... a no-op for MODIFY_STRICT. */
    fm.command = OFPFC_MODIFY_STRICT;
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err), 0);
    assert_int_equal(n, 0);

    /* A non-strict DELETE of everything is confined by the cookie tag. */
    fm = flow("any", NULL, 0);
    fm.command = OFPFC_DELETE;
    fm.cookie = 0x1234;
    fm.cookie_mask = 0xffff;
    assert_int_equal(xlate_flow_mod(&x, &fm, &w->msg.arena, &p, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(p[0].cookie_mask == 0xffff00000000ffffULL);
    assert_true(p[0].cookie == 0x0001000000001234ULL);
}

static int
check_actions(struct world *w, struct slice *s, const struct ofp_match *fs,
              uint32_t in_port, const struct ofp_action *a, size_t n,
              struct ofp_action_list *out, struct ofp_error *err)
{
    struct xlate_ctx x = { &w->cfg, s, slice_dp_find(s, 0xa) };
    struct ofp_action_list in = { (struct ofp_action *) a, n };
    return xlate_actions(&x, fs, in_port, false, &in, &w->msg.arena, out, err);
}

/* Adds slice green (IPv4 10.3/16 on its own port 6) and slice tan
 * (tunnel id 5 on its own port 7) to the world. */
static void
add_green_tan(struct world *w, struct slice **green, struct slice **tan)
{
    assert_int_equal(add_slice(w, "{\"name\":\"green\",\"controller\":"
                               "\"tcp:127.0.0.1:6635\",\"switches\":"
                               "[\"0xa:6=1\"]}", green), 0);
    assert_int_equal(add_fs(w, "{\"name\":\"green-ip\",\"slice\":\"green\","
                            "\"match\":\"ipv4_dst=10.3.0.0/16\"}"), 0);
    assert_int_equal(add_slice(w, "{\"name\":\"tan\",\"controller\":"
                               "\"tcp:127.0.0.1:6636\",\"switches\":"
                               "[\"0xa:7=1\"]}", tan), 0);
    assert_int_equal(add_fs(w, "{\"name\":\"tan-tun\",\"slice\":\"tan\","
                            "\"match\":\"tunnel_id=5\"}"), 0);
}

static void
test_actions(void **state)
{
    struct world *w = *state;
    struct ofp_match red_fs = M("vlan_vid=10");
    struct ofp_match blue_fs = M("vlan_vid=20,ipv4_dst=10.2.0.0/16");
    struct ofp_action_list out;
    struct ofp_error err;
    struct ofp_action a[2];

#define REFUSED(S, FS, TYPE, CODE)                                          \
    do {                                                                    \
        assert_int_equal(check_actions(w, S, FS, 1, a, 1, &out, &err),      \
                         EPROTO);                                           \
        assert_int_equal(err.type, TYPE);                                   \
        assert_int_equal(err.code, CODE);                                   \
    } while (0)

    /* Outputs: own ports translated, others refused. */
    a[0] = ofp_action_output(3, 0);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    assert_int_equal(out.actions[0].output.port, 5);
    a[0] = ofp_action_output(4, 0);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
    a[0] = ofp_action_output(OFPP13_NORMAL, 0);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
    a[0] = ofp_action_output(OFPP13_LOCAL, 0);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
    a[0] = ofp_action_output(OFPP13_TABLE, 0);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
    a[0] = ofp_action_output(OFPP13_CONTROLLER, 0);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);

    /* FLOOD: the slice's other ports only. */
    a[0] = ofp_action_output(OFPP13_FLOOD, 0);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.actions[0].output.port, 2);
    assert_int_equal(out.actions[1].output.port, 5);

    /* Set-field on the field that defines the slice: only inside it. */
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 20);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 10);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    a[0] = ofp_action_set_field_u(OFP_F_IPV4_DST, 0x0a010203);    /* 10.1.2.3 */
    REFUSED(w->blue, &blue_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_IPV4_DST, 0x0a020203);    /* 10.2.2.3 */
    assert_int_equal(check_actions(w, w->blue, &blue_fs, 3, a, 1, &out, &err), 0);
    /* Red is VLAN-defined: its IP fields are free; blue's VLAN is not. */
    a[0] = ofp_action_set_field_u(OFP_F_IPV4_DST, 0x0a010203);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    a[0] = ofp_action_set_field_u(OFP_F_ETH_DST, 0x020000000001ULL);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    /* Unknown packet (a group bucket): every defining field protected. */
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 10);
    REFUSED(w->red, NULL, OFPET_BAD_ACTION, OFPBAC_EPERM);

    /* Push/pop VLAN moves a VLAN-defined packet out of its slice. */
    memset(a, 0, sizeof a);
    a[0].type = OFPAT_POP_VLAN;
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0].type = OFPAT_PUSH_VLAN;
    a[0].ethertype = 0x8100;
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0].type = OFPAT_PUSH_MPLS;
    a[0].ethertype = 0x8847;
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    REFUSED(w->blue, &blue_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);

    /* Groups: own range; queues: own queue, forced before outputs. */
    memset(a, 0, sizeof a);
    a[0].type = OFPAT_GROUP;
    a[0].group_id = 7;
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
    assert_int_equal(out.actions[0].group_id, (1u << 20) | 7);
    a[0].group_id = SLICE_GROUP_MAX + 1;
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
    a[0].type = OFPAT_SET_QUEUE;
    a[0].queue_id = 7;
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_BAD_QUEUE);
    assert_int_equal(check_actions(w, w->blue, &blue_fs, 3, a, 1, &out, &err), 0);
    a[0] = ofp_action_output(2, 0);
    assert_int_equal(check_actions(w, w->blue, &blue_fs, 3, a, 1, &out, &err), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(out.actions[0].type, OFPAT_SET_QUEUE);
    assert_int_equal(out.actions[0].queue_id, 7);
    assert_int_equal(out.actions[1].output.port, 4);

    /* A tunnel id picks an overlay past the switch: a slice not defined
     * by tunnel ids may not set one, even while no slice claims any. */
    a[0] = ofp_action_set_field_u(OFP_F_TUNNEL_ID, 9);
    REFUSED(w->red, &red_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);

    /* Tags that define other slices never leave: green is IP-defined on
     * its own port 6, red and blue are VLAN-defined, tan owns tunnel id 5.
     * Green may not set a VLAN id, push or pop a tag, or set a tunnel id;
     * it may set what defines nobody (PCP, its own IP range). */
    struct slice *green, *tan;
    add_green_tan(w, &green, &tan);
    struct ofp_match green_fs = M("ipv4_dst=10.3.0.0/16");
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 10);
    REFUSED(green, &green_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 99);
    REFUSED(green, &green_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_TUNNEL_ID, 5);
    REFUSED(green, &green_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    REFUSED(green, NULL, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_PCP, 3);
    assert_int_equal(check_actions(w, green, &green_fs, 1, a, 1, &out, &err), 0);
    a[0] = ofp_action_set_field_u(OFP_F_IPV4_DST, 0x0a030001);    /* 10.3.0.1 */
    assert_int_equal(check_actions(w, green, &green_fs, 1, a, 1, &out, &err), 0);
    memset(a, 0, sizeof a);
    a[0].type = OFPAT_PUSH_VLAN;
    a[0].ethertype = 0x8100;
    REFUSED(green, &green_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0].type = OFPAT_POP_VLAN;
    REFUSED(green, &green_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    /* Tan's own tunnel id stays its own; red's VLAN is red's to keep. */
    struct ofp_match tan_fs = M("tunnel_id=5");
    a[0] = ofp_action_set_field_u(OFP_F_TUNNEL_ID, 5);
    assert_int_equal(check_actions(w, tan, &tan_fs, 1, a, 1, &out, &err), 0);
    a[0] = ofp_action_set_field_u(OFP_F_TUNNEL_ID, 6);
    REFUSED(tan, &tan_fs, OFPET_BAD_ACTION, OFPBAC_EPERM);
    a[0] = ofp_action_set_field_u(OFP_F_VLAN_VID, 0x1000 | 10);
    assert_int_equal(check_actions(w, w->red, &red_fs, 1, a, 1, &out, &err), 0);
#undef REFUSED
}

/* The isolation property for tags, on random actions: a packet of a
 * slice's flowspace that any accepted set-field (VLAN id or PCP, tunnel
 * id, IPv4 destination) or push/pop VLAN changes stays in that flowspace
 * and never carries a VLAN id or tunnel id that another slice's flowspace
 * claims (tags travel: the next switch classifies by them).  Red is VLAN 10, blue VLAN 20 and IPv4
 * 10.2/16, green IPv4 10.3/16 on its own port, tan tunnel id 5. */
static void
test_tag_property(void **state)
{
    struct world *w = *state;
    struct slice *green, *tan;

    add_green_tan(w, &green, &tan);
    struct slice *slices[3] = { w->red, green, tan };
    struct ofp_match fss[3] = { M("vlan_vid=10"), M("ipv4_dst=10.3.0.0/16"),
                                M("tunnel_id=5") };
    static const enum ofp_field tags[] = { OFP_F_VLAN_VID, OFP_F_VLAN_PCP,
                                           OFP_F_TUNNEL_ID, OFP_F_IPV4_DST };
    uint32_t seed = 12345, accepted = 0;

    for (int iter = 0; iter < 4000; iter++) {
        seed = seed * 1103515245 + 12345;
        int k = (seed >> 8) % 3;
        uint32_t r = seed >> 4;
        struct ofp_match p;
        struct ofp_action a[1];
        struct ofp_action_list out;
        struct ofp_error err;

        ofp_match_init(&p);         /* a packet of slice k */
        ofp_match_set_u(&p, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&p, OFP_F_VLAN_VID, k == 0 ? 0x1000 | 10 : 0);
        ofp_match_set_u(&p, OFP_F_IPV4_DST, k == 1 ? 0x0a030001 : 0x0a090001);
        if (k == 2) {
            ofp_match_set_u(&p, OFP_F_TUNNEL_ID, 5);
        }
        assert_true(fs_match_has_packet(&fss[k], &p));

        memset(a, 0, sizeof a);
        switch (r % 6) {
        case 0: case 1: case 2: case 3: {
            enum ofp_field f = tags[r % 4];
            uint32_t v = (r >> 3) % 32;
            uint64_t x = f == OFP_F_VLAN_VID ? (0x1000 | (v < 24 ? 10 + v % 12 : v))
                         : f == OFP_F_VLAN_PCP ? v % 8
                         : f == OFP_F_TUNNEL_ID ? v % 8
                         : 0x0a000001u | (v % 4) << 16;
            a[0] = ofp_action_set_field_u(f, x);
            break;
        }
        case 4:
            a[0].type = OFPAT_PUSH_VLAN;
            a[0].ethertype = 0x8100;
            break;
        default:
            a[0].type = OFPAT_POP_VLAN;
            break;
        }
        if (check_actions(w, slices[k], &fss[k], 1, a, 1, &out, &err)) {
            assert_int_equal(err.code, OFPBAC_EPERM);
            continue;
        }
        accepted++;
        if (a[0].type == OFPAT_SET_FIELD) {
            ofp_match_set(&p, a[0].set_field.field, &a[0].set_field.value, NULL);
        } else if (a[0].type == OFPAT_PUSH_VLAN) {
            ofp_match_set_u(&p, OFP_F_VLAN_VID, p.v.vlan_vid | 0x1000);
        } else {
            ofp_match_set_u(&p, OFP_F_VLAN_VID, 0);
        }
        /* The packet stays in its slice's flowspace, and carries no tag
         * value (VLAN id, tunnel id) that defines another slice. */
        assert_true(fs_match_has_packet(&fss[k], &p));
        for (size_t i = 0; i < w->cfg.n_fs; i++) {
            const struct fs_entry *e = w->cfg.fs[i];
            for (size_t m = 0; e->slice != slices[k] && m < e->n_matches; m++) {
                for (int t = 0; t < 2; t++) {
                    enum ofp_field f = t ? OFP_F_TUNNEL_ID : OFP_F_VLAN_VID;
                    union ofp_value v, mk;
                    if (ofp_match_has(&e->matches[m], f)
                        && ofp_match_get(&p, f, &v, &mk)
                        && ofp_value_to_u64(f, &v)) {
                        assert_false(fs_match_field_allows(&e->matches[m], f, &v));
                    }
                }
            }
        }
    }
    assert_true(accepted > 400);    /* the property was put to the test */
}

/* The same property for a slice defined by a VLAN set and for sequences of
 * actions.  Violet owns VLANs 100-131 on its own port (a range: the
 * flowspace expands it into prefixes, and a flow is checked against each
 * piece on its own).  A hostile controller's sequences of 1..3 actions
 * (set-field on vlan_vid, vlan_pcp, tunnel_id, mpls_label, push/pop VLAN,
 * MPLS and PBB) never move a packet of a piece out of it, nor give it a
 * VLAN id or tunnel id another slice claims; PBB is refused outright. */
static void
test_tag_property_vlan_set(void **state)
{
    struct world *w = *state;
    struct slice *green, *tan, *violet;

    add_green_tan(w, &green, &tan);
    assert_int_equal(add_slice(w, "{\"name\":\"violet\",\"controller\":"
                               "\"tcp:127.0.0.1:6637\",\"switches\":"
                               "[\"0xa:8=1\"]}", &violet), 0);
    assert_int_equal(add_fs(w, "{\"name\":\"violet-vlans\",\"slice\":\"violet\","
                            "\"match\":\"vlan_vid=100-131\"}"), 0);
    const struct fs_entry *ve = slicer_fs_find(&w->cfg, "violet-vlans");
    assert_non_null(ve);
    assert_true(ve->n_matches >= 2);
    static const uint16_t kinds[] = { OFPAT_SET_FIELD, OFPAT_SET_FIELD, OFPAT_SET_FIELD,
                                      OFPAT_PUSH_VLAN, OFPAT_POP_VLAN, OFPAT_PUSH_MPLS,
                                      OFPAT_POP_MPLS, 26 /* push_pbb */, 27 /* pop_pbb */ };
    static const enum ofp_field fields[] = { OFP_F_VLAN_VID, OFP_F_VLAN_PCP,
                                             OFP_F_TUNNEL_ID, OFP_F_MPLS_LABEL };
    struct ofp_match red_fs = M("vlan_vid=10"), tan_fs = M("tunnel_id=5");
    uint32_t seed = 424242, accepted = 0, pbb_refused = 0;

    for (int iter = 0; iter < 8000; iter++) {
        seed = seed * 1103515245 + 12345;
        uint32_t r = seed >> 4;
        int k = r % 3;
        struct slice *s = k == 0 ? w->red : k == 1 ? violet : tan;
        const struct ofp_match *fs = k == 0 ? &red_fs : k == 1
                                     ? &ve->matches[(r >> 2) % ve->n_matches] : &tan_fs;
        struct ofp_match p;
        struct ofp_action a[3];
        struct ofp_action_list out;
        struct ofp_error err;
        size_t n = 1 + (r >> 9) % 3;
        bool pbb = false;

        ofp_match_init(&p);         /* a packet of that flowspace piece */
        ofp_match_set_u(&p, OFP_F_ETH_TYPE, 0x0800);
        ofp_match_set_u(&p, OFP_F_VLAN_VID, k == 0 ? 0x1000 | 10
                        : k == 1 ? fs->v.vlan_vid : 0);
        ofp_match_set_u(&p, OFP_F_IPV4_DST, 0x0a090001);
        if (k == 2) {
            ofp_match_set_u(&p, OFP_F_TUNNEL_ID, 5);
        }
        assert_true(fs_match_has_packet(fs, &p));

        memset(a, 0, sizeof a);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245 + 12345;
            uint32_t q = seed >> 4;
            a[i].type = kinds[q % 9];
            pbb |= a[i].type == 26 || a[i].type == 27;
            if (a[i].type == OFPAT_SET_FIELD) {
                enum ofp_field f = fields[(q >> 4) % 4];
                uint32_t v = (q >> 6) % 256;
                uint64_t x = f == OFP_F_VLAN_VID ? 0x1000 | (v < 128 ? 90 + v % 50 : v)
                             : f == OFP_F_VLAN_PCP ? v % 8
                             : f == OFP_F_TUNNEL_ID ? v % 8 : v;
                a[i] = ofp_action_set_field_u(f, x);
            } else if (a[i].type == OFPAT_PUSH_VLAN) {
                a[i].ethertype = 0x8100;
            } else if (a[i].type == OFPAT_PUSH_MPLS) {
                a[i].ethertype = 0x8847;
            } else if (a[i].type == OFPAT_POP_MPLS) {
                a[i].ethertype = 0x0800;
            } else if (a[i].type == 26) {
                a[i].ethertype = 0x88e7;
            }
        }
        if (check_actions(w, s, fs, 1, a, n, &out, &err)) {
            assert_true(err.code == OFPBAC_EPERM || err.code == OFPBAC_BAD_TYPE);
            pbb_refused += pbb;
            continue;
        }
        assert_false(pbb);
        accepted++;
        for (size_t i = 0; i < n; i++) {
            /* Push/pop VLAN is refused while any slice is VLAN-defined. */
            assert_true(a[i].type != OFPAT_PUSH_VLAN && a[i].type != OFPAT_POP_VLAN);
            if (a[i].type == OFPAT_SET_FIELD) {
                ofp_match_set(&p, a[i].set_field.field, &a[i].set_field.value, NULL);
            } else if (a[i].type == OFPAT_PUSH_MPLS || a[i].type == OFPAT_POP_MPLS) {
                ofp_match_set_u(&p, OFP_F_ETH_TYPE, a[i].ethertype);
            }
        }
        assert_true(fs_match_has_packet(fs, &p));
        for (size_t i = 0; i < w->cfg.n_fs; i++) {
            const struct fs_entry *e = w->cfg.fs[i];
            for (size_t m = 0; e->slice != s && m < e->n_matches; m++) {
                for (int t = 0; t < 2; t++) {
                    enum ofp_field f = t ? OFP_F_TUNNEL_ID : OFP_F_VLAN_VID;
                    union ofp_value v;
                    if (ofp_match_has(&e->matches[m], f)
                        && ofp_match_get(&p, f, &v, NULL)
                        && ofp_value_to_u64(f, &v)) {
                        assert_false(fs_match_field_allows(&e->matches[m], f, &v));
                    }
                }
            }
        }
    }
    assert_true(accepted > 400);
    assert_true(pbb_refused > 400);
}

static void
test_packet_out(void **state)
{
    struct world *w = *state;
    struct xlate_ctx x = { &w->cfg, w->red, slice_dp_find(w->red, 0xa) };
    uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
                          0x81, 0x00, 0x00, 10, 0x88, 0xb5 };
    struct ofp_action acts[1] = { ofp_action_output(OFPP13_TABLE, 0) };
    struct ofp_packet_out_body po = { OFP13_NO_BUFFER, 1, { acts, 1 }, frame,
                                      sizeof frame };
    struct ofp_error err;

    /* A VLAN 10 frame of red may go through the pipeline. */
    assert_int_equal(xlate_packet_out(&x, &po, &w->msg.arena, &err), 0);
    /* A VLAN 20 frame is not red's. */
    frame[15] = 20;
    po = (struct ofp_packet_out_body) { OFP13_NO_BUFFER, 1, { acts, 1 }, frame,
                                        sizeof frame };
    assert_int_equal(xlate_packet_out(&x, &po, &w->msg.arena, &err), EPROTO);
    assert_int_equal(err.code, OFPBRC_EPERM);
    /* Foreign in_port, unknown buffer. */
    frame[15] = 10;
    po = (struct ofp_packet_out_body) { OFP13_NO_BUFFER, 4, { acts, 1 }, frame,
                                        sizeof frame };
    assert_int_equal(xlate_packet_out(&x, &po, &w->msg.arena, &err), EPROTO);
    assert_int_equal(err.code, OFPBRC_BAD_PORT);
    po = (struct ofp_packet_out_body) { 77, OFPP13_CONTROLLER, { acts, 1 },
                                        NULL, 0 };
    assert_int_equal(xlate_packet_out(&x, &po, &w->msg.arena, &err), EPROTO);
    assert_int_equal(err.code, OFPBRC_BUFFER_UNKNOWN);
}

static void
test_packet_in_owner(void **state)
{
    struct world *w = *state;
    uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1,
                          0x81, 0x00, 0x00, 10, 0x08, 0x00,
                          0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0,
                          10, 2, 0, 1, 10, 2, 0, 2 };

    /* By headers: VLAN 10 on port 1 or 5 is red's. */
    assert_ptr_equal(xlate_packet_in_owner(&w->cfg, 0xa, 1, UINT64_MAX, frame,
                                           sizeof frame), w->red);
    assert_ptr_equal(xlate_packet_in_owner(&w->cfg, 0xa, 5, UINT64_MAX, frame,
                                           sizeof frame), w->red);
    /* ... but not on blue's port 3. */
    assert_null(xlate_packet_in_owner(&w->cfg, 0xa, 3, UINT64_MAX, frame,
                                      sizeof frame));
    /* VLAN 20 to 10.2.0.2 on the trunk is blue's. */
    frame[15] = 20;
    assert_ptr_equal(xlate_packet_in_owner(&w->cfg, 0xa, 5, UINT64_MAX, frame,
                                           sizeof frame), w->blue);
    /* Nobody's switch. */
    assert_null(xlate_packet_in_owner(&w->cfg, 0xb, 5, UINT64_MAX, frame,
                                      sizeof frame));
    /* By cookie: a flow of blue sent it. */
    assert_ptr_equal(xlate_packet_in_owner(&w->cfg, 0xa, 3,
                                           0x0002000000000042ULL, frame, 14),
                     w->blue);
}

static void
test_token_bucket(void **state)
{
    struct token_bucket tb;
    uint64_t t = 1000000000ULL;
    int ok = 0;
    (void) state;

    token_bucket_init(&tb, 100, 10, t);
    for (int i = 0; i < 50; i++) {
        ok += token_bucket_take(&tb, t);
    }
    assert_int_equal(ok, 10);                       /* the burst */
    assert_false(token_bucket_take(&tb, t + 5000000));      /* 0.5 token */
    assert_true(token_bucket_take(&tb, t + 10000000));      /* 1 token */
    ok = 0;
    for (int i = 0; i < 1000; i++) {                /* 1 s at 1 kHz */
        ok += token_bucket_take(&tb, t + 10000000 + (uint64_t) i * 1000000);
    }
    assert_in_range(ok, 98, 101);
    token_bucket_init(&tb, 0, 0, t);                /* unlimited */
    for (int i = 0; i < 1000; i++) {
        assert_true(token_bucket_take(&tb, t));
    }
}

static void
test_flow_table(void **state)
{
    struct flow_table t;
    uint8_t key[3][8] = { "aaaaaaa", "bbbbbbb", "ccccccc" };
    (void) state;

    flow_table_init(&t);
    for (int i = 0; i < 1000; i++) {
        uint8_t k[8];
        memcpy(k, key[i % 3], 8);
        k[0] = i;
        k[1] = i >> 8;
        flow_table_put(&t, 0, i % 7, 0, k, 8, k, 8);
    }
    assert_int_equal(t.n, 1000);
    flow_table_put(&t, 0, 0, 0, (uint8_t *) "\0\0aaaaa", 8, key[0], 8);
    assert_int_equal(t.n, 1000);                    /* replaced */
    struct flow_rec *r = flow_table_find(&t, 0, 0, (uint8_t *) "\0\0aaaaa", 8,
                                         flow_key_hash(0, 0,
                                                       (uint8_t *) "\0\0aaaaa",
                                                       8));
    assert_non_null(r);
    flow_table_remove(&t, r);
    assert_int_equal(t.n, 999);
    flow_table_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intersect),
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_packet),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_token_bucket),
        cmocka_unit_test(test_flow_table),
        cmocka_unit_test_setup_teardown(test_config_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_mod_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_property, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_property_vlan_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packet_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_packet_in_owner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
