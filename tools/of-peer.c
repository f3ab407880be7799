/*
 * of-peer: an OpenFlow 1.3 peer on Lamina's codec, for the slicer's tests
 * and benchmark.  Not a product: each mode does one job and prints one
 * JSON line.
 *
 * As a controller (listens; the slicer or a switch connects to it):
 *   of-peer controller --listen PORT [--secret S] MODE [--count N]
 *     hostile   random FLOW_MODs, GROUP_MODs and PACKET_OUTs: outputs to
 *               every port number and reserved port, set-field on every
 *               field, push/pop, huge priorities, overlapping matches;
 *               PACKET_OUT payloads carry the tag "HOSTILE"
 *     quota     N distinct FLOW_MOD ADDs, counts OFPFMFC_TABLE_FULL
 *     burst     N BARRIER_REQUESTs at once, counts OFPBRC_EPERM (rate limit)
 *     echo      N ECHO round trips, one at a time: median and p99
 *     barrier   N BARRIER round trips, one at a time: median and p99
 *     flowmod   N FLOW_MOD ADDs then a BARRIER: FLOW_MODs per second
 *     reactive  answers every PACKET_IN with a PACKET_OUT (until killed)
 *     hold      stays connected, counts what arrives (until killed)
 *   --match M (quota/flowmod: the flows' match, e.g. ipv4_src=10.1.0.0/24)
 *   --duration S  (reactive/hold: stop after S seconds)
 *
 * As a switch (connects to a controller or to the slicer):
 *   of-peer switch --connect IP:PORT --dpid D --ports N [--secret S] MODE
 *                  [--count N]       (--secret: the slicer's switch secret)
 *     serve     answers handshake, port-desc, flow stats (empty), barrier,
 *               echo; counts FLOW_MODs (until killed or --duration)
 *     packetin  after the controller installs its first flow (or 1 s),
 *               N PACKET_INs one at a time, waiting for each PACKET_OUT:
 *               median and p99 round trip
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flowspace.h"
#include "ofauth.h"
#include "ofp-framer.h"
#include "ofp-msg.h"
#include "util.h"
#include "tools-util.h"

struct peer {
    int fd;
    struct ofp_framer in;
    struct ofpbuf out;
    struct ofp_msg msg;
    uint64_t errors;
    uint64_t err_counts[16][32];
    uint64_t flow_mods, packet_outs, packet_ins, replies;
};

static void
die(const char *fmt, const char *arg)
{
    fprintf(stderr, "of-peer: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static void
peer_flush(struct peer *p)
{
    size_t ofs = 0;
    while (ofs < p->out.size) {
        ssize_t n = send(p->fd, p->out.data + ofs, p->out.size - ofs,
                         MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                struct pollfd pfd = { p->fd, POLLOUT, 0 };
                poll(&pfd, 1, 100);
                continue;
            }
            die("send: %s", strerror(errno));
        }
        ofs += n;
    }
    ofpbuf_clear(&p->out);
}

static void
peer_uninit(struct peer *p)
{
    ofp_framer_destroy(&p->in);
    ofpbuf_uninit(&p->out);
    ofp_msg_free(&p->msg);
}

static void
peer_send(struct peer *p, const struct ofp_msg *m)
{
    ofp_encode(m, &p->out);
}

/* Reads the next message into p->msg; returns false on timeout. */
static bool
peer_recv(struct peer *p, int timeout_ms)
{
    const uint8_t *buf;
    size_t len;

    for (;;) {
        int error = ofp_framer_next(&p->in, &buf, &len);
        if (!error) {
            struct ofp_error err;
            ofp_msg_free(&p->msg);
            if (ofp_decode(buf, len, &p->msg, &err)) {
                continue;
            }
            if (p->msg.type == OFPT_ERROR) {
                p->errors++;
                if (p->msg.error.type < 16 && p->msg.error.code < 32) {
                    p->err_counts[p->msg.error.type][p->msg.error.code]++;
                }
            }
            if (p->msg.type == OFPT_ECHO_REQUEST) {
                ofp_encode_echo_reply(&p->out, &p->msg);
                peer_flush(p);
            }
            return true;
        }
        if (error == EBADMSG) {
            die("%s", "broken stream");
        }
        struct pollfd pfd = { p->fd, POLLIN, 0 };
        int n = poll(&pfd, 1, timeout_ms);
        if (n <= 0) {
            return false;
        }
        ssize_t r = recv(p->fd, ofp_framer_space(&p->in, 65536), 65536, 0);
        if (r <= 0) {
            die("%s", "connection closed");
        }
        ofp_framer_commit(&p->in, r);
    }
}

static bool
wait_type(struct peer *p, uint8_t type, int timeout_ms)
{
    uint64_t deadline = time_ms() + timeout_ms;
    while (time_ms() < deadline) {
        if (!peer_recv(p, deadline - time_ms())) {
            return false;
        }
        if (p->msg.type == type) {
            return true;
        }
    }
    return false;
}

static void
hello(struct peer *p)
{
    ofp_encode_hello(&p->out, 1, 1u << OFP13_VERSION_WIRE);
    peer_flush(p);
    if (!wait_type(p, OFPT_HELLO, 10000)) {
        die("%s", "no HELLO");
    }
}

static void
print_errors(struct peer *p)
{
    bool first = true;
    printf("\"errors\": %" PRIu64 ", \"by_error\": {", p->errors);
    for (int t = 0; t < 16; t++) {
        for (int c = 0; c < 32; c++) {
            char name[96];
            if (p->err_counts[t][c]) {
                printf("%s\"%s\": %" PRIu64, first ? "" : ", ",
                       ofp_error_format(OFP_ERROR(t, c), name, sizeof name),
                       p->err_counts[t][c]);
                first = false;
            }
        }
    }
    printf("}");
}

static void
print_latency(const char *what, uint64_t *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, tools_cmp_u64);
    printf("{\"what\": \"%s\", \"count\": %zu, \"median_us\": %.2f, "
           "\"p99_us\": %.2f, \"min_us\": %.2f}\n", what, n,
           n ? ns[n / 2] / 1e3 : 0, n ? ns[n * 99 / 100] / 1e3 : 0,
           n ? ns[0] / 1e3 : 0);
}

/* ---- Random messages ---------------------------------------------------- */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint32_t
random_port(void)
{
    static const uint32_t reserved[] = {
        OFPP13_IN_PORT, OFPP13_TABLE, OFPP13_NORMAL, OFPP13_FLOOD,
        OFPP13_ALL, OFPP13_CONTROLLER, OFPP13_LOCAL,
    };
    if (rnd() % 3 == 0) {
        return reserved[rnd() % ARRAY_SIZE(reserved)];
    }
    return 1 + rnd() % 12;      /* every port of a small switch, and more */
}

static uint32_t
random_ip(void)
{
    switch (rnd() % 4) {
    case 0: return 0x0a010000 | (rnd() & 0xff);        /* 10.1.0.x */
    case 1: return 0x0a020000 | (rnd() & 0xff);        /* 10.2.0.x */
    case 2: return 0x0a000000 | (rnd() & 0xffffff);
    default: return rnd();
    }
}

static void
random_match(struct ofp_match *m)
{
    ofp_match_init(m);
    if (rnd() % 2) {
        ofp_match_set_u(m, OFP_F_IN_PORT, 1 + rnd() % 8);
    }
    switch (rnd() % 4) {
    case 0:
        ofp_match_set_masked_u(m, OFP_F_IPV4_SRC, random_ip(),
                               ~0u << (rnd() % 33 & 31));
        break;
    case 1:
        ofp_match_set_u(m, OFP_F_IPV4_DST, random_ip());
        if (rnd() % 2) {
            ofp_match_set_u(m, OFP_F_IP_PROTO, 6);
            ofp_match_set_u(m, OFP_F_TCP_DST, rnd() & 0xffff);
        }
        break;
    case 2:
        ofp_match_set_masked_u(m, OFP_F_ARP_TPA, random_ip(), 0xffffff00);
        break;
    default:
        break;                  /* everything */
    }
    if (rnd() % 4 == 0) {
        uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 + rnd() % 5 };
        union ofp_value v;
        memset(&v, 0, sizeof v);
        memcpy(v.mac, mac, 6);
        ofp_match_set(m, OFP_F_ETH_DST, &v, NULL);
    }
    if (rnd() % 8 == 0) {
        /* Half near the VLAN sets the tests give slices (100-131). */
        ofp_match_set_u(m, OFP_F_VLAN_VID, OFPVID_PRESENT
                        | (rnd() % 2 ? 90 + rnd() % 50 : rnd() % 4096));
    }
    fs_match_add_prereqs(m);
}

static struct ofp_action
random_action(void)
{
    struct ofp_action a;
    memset(&a, 0, sizeof a);
    switch (rnd() % 8) {
    case 0: case 1: case 2:
        return ofp_action_output(random_port(), 0xffff);
    case 3: {
        /* set-field on any field, with any value. */
        static const enum ofp_field fields[] = {
            OFP_F_ETH_DST, OFP_F_ETH_SRC, OFP_F_VLAN_VID, OFP_F_VLAN_PCP,
            OFP_F_IP_DSCP, OFP_F_IPV4_SRC, OFP_F_IPV4_DST, OFP_F_TCP_SRC,
            OFP_F_TCP_DST, OFP_F_UDP_DST, OFP_F_ARP_SPA, OFP_F_ARP_TPA,
            OFP_F_MPLS_LABEL, OFP_F_TUNNEL_ID, OFP_F_METADATA,
        };
        enum ofp_field f = fields[rnd() % ARRAY_SIZE(fields)];
        uint64_t v = f == OFP_F_IPV4_DST || f == OFP_F_IPV4_SRC
                     || f == OFP_F_ARP_TPA || f == OFP_F_ARP_SPA
                     ? random_ip() : rnd();
        if (f == OFP_F_VLAN_VID) {
            v = OFPVID_PRESENT | (rnd() % 2 ? 90 + rnd() % 50 : v & 0xfff);
        } else if (f == OFP_F_VLAN_PCP) {
            v &= 7;
        } else if (f == OFP_F_IP_DSCP) {
            v &= 63;
        } else if (f == OFP_F_MPLS_LABEL) {
            v &= 0xfffff;
        }
        return ofp_action_set_field_u(f, v);
    }
    case 4:
        a.type = rnd() % 2 ? OFPAT_PUSH_VLAN : OFPAT_POP_VLAN;
        a.ethertype = 0x8100;
        return a;
    case 5:
        a.type = OFPAT_GROUP;
        a.group_id = rnd() % 3 ? rnd() % 8 : rnd() % 0xffffff00;
        return a;
    case 6:
        a.type = rnd() % 3 == 0 ? OFPAT_PUSH_MPLS : rnd() % 2 ? OFPAT_POP_MPLS
                 : OFPAT_SET_QUEUE;
        a.ethertype = a.type == OFPAT_POP_MPLS ? 0x0800 : 0x8847;
        a.queue_id = rnd() % 4;
        return a;
    default:
        a.type = OFPAT_DEC_NW_TTL;
        return a;
    }
}

static void
random_actions(struct ofp_msg *m, struct ofp_action_list *l)
{
    l->n = rnd() % 4;
    l->actions = ofp_msg_alloc(m, (l->n + 1) * sizeof *l->actions);
    for (size_t i = 0; i < l->n; i++) {
        l->actions[i] = random_action();
    }
}

/* A frame from one of the hosts' prefixes (or not), tagged "HOSTILE". */
static size_t
random_frame(uint8_t *f)
{
    static const char tag[] = "HOSTILE";
    uint32_t src = random_ip(), dst = random_ip();

    memset(f, 0, 64);
    memset(f, 0xff, 6);                         /* broadcast */
    f[6] = 0x02; f[11] = 0x66;
    f[12] = 0x08; f[13] = 0x00;                 /* IPv4 */
    f[14] = 0x45; f[16] = 0; f[17] = 50;
    f[22] = 64; f[23] = 17;                     /* UDP */
    f[26] = src >> 24; f[27] = src >> 16; f[28] = src >> 8; f[29] = src;
    f[30] = dst >> 24; f[31] = dst >> 16; f[32] = dst >> 8; f[33] = dst;
    f[34] = 0x30; f[35] = 0x39; f[36] = 0x30; f[37] = 0x39;
    f[38] = 0; f[39] = 30;
    memcpy(f + 42, tag, sizeof tag - 1);
    return 64;
}

static void
send_random(struct peer *p, uint32_t xid)
{
    struct ofp_msg m;
    uint8_t frame[64];

    switch (rnd() % 6) {
    case 0: case 1: case 2: {
        static const uint8_t cmds[] = { OFPFC_ADD, OFPFC_ADD, OFPFC_ADD,
                                        OFPFC_MODIFY, OFPFC_MODIFY_STRICT,
                                        OFPFC_DELETE, OFPFC_DELETE_STRICT };
        ofp_msg_init(&m, OFPT_FLOW_MOD, xid);
        m.flow_mod.command = cmds[rnd() % ARRAY_SIZE(cmds)];
        m.flow_mod.table_id = rnd() % 4 ? 0 : rnd() % 3;
        m.flow_mod.priority = rnd() % 2 ? 0xffff : rnd() & 0xffff;
        m.flow_mod.buffer_id = OFP13_NO_BUFFER;
        m.flow_mod.out_port = OFPP13_ANY;
        m.flow_mod.out_group = 0xffffffff;
        m.flow_mod.cookie = rnd();
        m.flow_mod.cookie_mask = rnd() % 2 ? rnd() : 0;
        random_match(&m.flow_mod.match);
        m.flow_mod.insts.present = 1u << OFPIT_APPLY_ACTIONS;
        random_actions(&m, &m.flow_mod.insts.apply);
        if (rnd() % 4 == 0) {
            m.flow_mod.insts.present |= 1u << OFPIT_GOTO_TABLE;
            m.flow_mod.insts.goto_table = m.flow_mod.table_id + 1;
        }
        break;
    }
    case 3: {
        ofp_msg_init(&m, OFPT_GROUP_MOD, xid);
        m.group_mod.command = rnd() % 3;
        m.group_mod.type = rnd() % 4;
        m.group_mod.group_id = rnd() % 4 ? rnd() % 8 : 0xfffffffc;
        m.group_mod.n_buckets = m.group_mod.type == 2 ? 1 : 1 + rnd() % 3;
        m.group_mod.buckets = ofp_msg_alloc(&m, 4 * sizeof *m.group_mod.buckets);
        for (size_t i = 0; i < m.group_mod.n_buckets; i++) {
            struct ofp_bucket *b = &m.group_mod.buckets[i];
            b->weight = m.group_mod.type == 1 ? 1 : 0;
            b->watch_port = m.group_mod.type == 3 ? 1 + rnd() % 8 : OFPP13_ANY;
            b->watch_group = 0xffffffff;
            random_actions(&m, &b->actions);
        }
        break;
    }
    default:
        ofp_msg_init(&m, OFPT_PACKET_OUT, xid);
        m.packet_out.buffer_id = OFP13_NO_BUFFER;
        m.packet_out.in_port = rnd() % 2 ? OFPP13_CONTROLLER : 1 + rnd() % 8;
        random_actions(&m, &m.packet_out.actions);
        if (!m.packet_out.actions.n) {
            m.packet_out.actions.actions[0] = ofp_action_output(random_port(), 0);
            m.packet_out.actions.n = 1;
        }
        m.packet_out.data = frame;
        m.packet_out.data_len = random_frame(frame);
        break;
    }
    peer_send(p, &m);
    ofp_msg_free(&m);
}

/* ---- Controller --------------------------------------------------------- */

static void
flow_add(struct ofp_msg *m, uint32_t xid, const struct ofp_match *match,
         uint16_t priority, uint32_t out_port)
{
    ofp_msg_init(m, OFPT_FLOW_MOD, xid);
    m->flow_mod.command = OFPFC_ADD;
    m->flow_mod.priority = priority;
    m->flow_mod.buffer_id = OFP13_NO_BUFFER;
    m->flow_mod.out_port = OFPP13_ANY;
    m->flow_mod.out_group = 0xffffffff;
    m->flow_mod.match = *match;
    m->flow_mod.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    m->flow_mod.insts.apply.actions = ofp_msg_alloc(m, sizeof(struct ofp_action));
    m->flow_mod.insts.apply.actions[0] = ofp_action_output(out_port, 0);
    m->flow_mod.insts.apply.n = 1;
}

static void
barrier_and_wait(struct peer *p, uint32_t xid, int timeout_ms)
{
    ofp_encode_simple(&p->out, OFPT_BARRIER_REQUEST, xid);
    peer_flush(p);
    uint64_t deadline = time_ms() + timeout_ms;
    while (time_ms() < deadline) {
        if (!peer_recv(p, deadline - time_ms())) {
            break;
        }
        if (p->msg.type == OFPT_BARRIER_REPLY && p->msg.xid == xid) {
            return;
        }
    }
    die("%s", "no BARRIER_REPLY");
}

static int
run_controller(int port, const char *mode, long count, const char *secret,
               const char *match_text, double duration)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct peer p;
    struct ofp_match match;
    char msg[256];
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    uint64_t *lat = xcalloc(count + 1, sizeof *lat);

    ofp_match_init(&match);
    if (match_text && fs_match_parse(match_text, &match, 1, msg, sizeof msg) < 0) {
        die("--match: %s", msg);
    }
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *) &sin, sizeof sin) || listen(lfd, 1)) {
        die("listen: %s", strerror(errno));
    }
    memset(&p, 0, sizeof p);
    ofp_framer_init(&p.in);
    ofpbuf_init(&p.out, 0);
    p.fd = accept(lfd, NULL, NULL);
    setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    hello(&p);
    if (secret) {
        ofauth_encode_credential(&p.out, 7, secret);
    }
    ofp_encode_simple(&p.out, OFPT_FEATURES_REQUEST, 2);
    peer_flush(&p);
    if (!wait_type(&p, OFPT_FEATURES_REPLY, 10000)) {
        die("%s", "no FEATURES_REPLY");
    }
    uint64_t dpid = p.msg.features.datapath_id;
    fprintf(stderr, "of-peer: switch %#" PRIx64 " connected\n", dpid);

    if (!strcmp(mode, "hostile")) {
        for (long i = 0; i < count; i++) {
            send_random(&p, 1000 + i);
            if (i % 64 == 63) {
                peer_flush(&p);
                while (peer_recv(&p, 0)) {
                }
            }
        }
        barrier_and_wait(&p, 99, 60000);
        /* Errors for the last messages may trail the barrier reply. */
        while (peer_recv(&p, 300)) {
        }
        printf("{\"mode\": \"hostile\", \"sent\": %ld, ", count);
        print_errors(&p);
        printf("}\n");
    } else if (!strcmp(mode, "quota") || !strcmp(mode, "flowmod")) {
        uint64_t t0 = time_ns();
        struct ofp_msg m;
        for (long i = 0; i < count; i++) {
            /* Distinct flows: one priority each. */
            flow_add(&m, 1000 + i, &match, 1 + i % 60000, 1);
            m.flow_mod.table_id = i / 60000;
            peer_send(&p, &m);
            ofp_msg_free(&m);
            if (p.out.size > 65536) {
                peer_flush(&p);
                while (peer_recv(&p, 0)) {
                }
            }
        }
        barrier_and_wait(&p, 99, 120000);
        double secs = (time_ns() - t0) / 1e9;
        while (peer_recv(&p, 200)) {
        }
        printf("{\"mode\": \"%s\", \"sent\": %ld, \"seconds\": %.4f, "
               "\"per_second\": %.0f, ", mode, count, secs, count / secs);
        print_errors(&p);
        printf("}\n");
    } else if (!strcmp(mode, "burst")) {
        long replies = 0;
        for (long i = 0; i < count; i++) {
            ofp_encode_simple(&p.out, OFPT_BARRIER_REQUEST, 1000 + i);
        }
        peer_flush(&p);
        uint64_t deadline = time_ms() + 10000;
        while (replies + (long) p.errors < count && time_ms() < deadline) {
            if (!peer_recv(&p, deadline - time_ms())) {
                break;
            }
            replies += p.msg.type == OFPT_BARRIER_REPLY;
        }
        printf("{\"mode\": \"burst\", \"sent\": %ld, \"replies\": %ld, ", count,
               replies);
        print_errors(&p);
        printf("}\n");
    } else if (!strcmp(mode, "echo") || !strcmp(mode, "barrier")) {
        bool echo = !strcmp(mode, "echo");
        for (long i = 0; i < count; i++) {
            uint64_t t0 = time_ns();
            ofp_encode_simple(&p.out, echo ? OFPT_ECHO_REQUEST
                                           : OFPT_BARRIER_REQUEST, 5000 + i);
            peer_flush(&p);
            if (!wait_type(&p, echo ? OFPT_ECHO_REPLY : OFPT_BARRIER_REPLY,
                           5000)) {
                die("%s", "no reply");
            }
            lat[i] = time_ns() - t0;
        }
        print_latency(mode, lat, count);
    } else if (!strcmp(mode, "reactive") || !strcmp(mode, "hold")) {
        bool reactive = !strcmp(mode, "reactive");
        uint64_t end = duration > 0 ? time_ms() + duration * 1000 : UINT64_MAX;
        if (reactive) {
            /* A table-miss flow, as a real controller would install. */
            struct ofp_msg m;
            struct ofp_match any;
            ofp_match_init(&any);
            flow_add(&m, 3, &any, 0, OFPP13_CONTROLLER);
            peer_send(&p, &m);
            ofp_msg_free(&m);
            peer_flush(&p);
        }
        while (time_ms() < end) {
            if (!peer_recv(&p, 200)) {
                continue;
            }
            if (p.msg.type == OFPT_PACKET_IN && reactive) {
                struct ofp_msg m;
                p.packet_ins++;
                ofp_msg_init(&m, OFPT_PACKET_OUT, p.msg.xid);
                m.packet_out.buffer_id = OFP13_NO_BUFFER;
                m.packet_out.in_port = p.msg.packet_in.match.v.in_port;
                m.packet_out.actions.actions = ofp_msg_alloc(&m, sizeof(struct ofp_action));
                m.packet_out.actions.actions[0] = ofp_action_output(OFPP13_IN_PORT, 0);
                m.packet_out.actions.n = 1;
                m.packet_out.data = p.msg.packet_in.data;
                m.packet_out.data_len = p.msg.packet_in.data_len;
                peer_send(&p, &m);
                ofp_msg_free(&m);
                peer_flush(&p);
            }
        }
        printf("{\"mode\": \"%s\", \"packet_ins\": %" PRIu64 ", ", mode,
               p.packet_ins);
        print_errors(&p);
        printf("}\n");
    } else {
        die("unknown mode %s", mode);
    }
    fflush(stdout);
    close(p.fd);
    close(lfd);
    peer_uninit(&p);
    free(lat);
    return 0;
}

/* ---- Switch ------------------------------------------------------------- */

static void
switch_answer(struct peer *p, uint64_t dpid, int n_ports)
{
    struct ofp_msg *req = &p->msg, m;

    switch (req->type) {
    case OFPT_FEATURES_REQUEST:
        ofp_msg_init(&m, OFPT_FEATURES_REPLY, req->xid);
        m.features.datapath_id = dpid;
        m.features.n_tables = 4;
        m.features.capabilities = 0x4f;
        peer_send(p, &m);
        break;
    case OFPT_BARRIER_REQUEST:
        ofp_encode_simple(&p->out, OFPT_BARRIER_REPLY, req->xid);
        break;
    case OFPT_FLOW_MOD:
        p->flow_mods++;
        return;
    case OFPT_PACKET_OUT:
        p->packet_outs++;
        return;
    case OFPT_MULTIPART_REQUEST:
        ofp_msg_init(&m, OFPT_MULTIPART_REPLY, req->xid);
        m.mp.type = req->mp.type;
        if (req->mp.type == OFPMP_PORT_DESC) {
            m.mp.list.port_descs = ofp_msg_alloc(&m, n_ports * sizeof *m.mp.list.port_descs);
            for (int i = 0; i < n_ports; i++) {
                struct ofp_port_info *pi = &m.mp.list.port_descs[i];
                pi->port_no = i + 1;
                pi->hw_addr[0] = 2;
                pi->hw_addr[5] = i + 1;
                snprintf(pi->name, sizeof pi->name, "p%d", i + 1);
                pi->curr_speed = pi->max_speed = 10000000;
            }
            m.mp.list.n = n_ports;
        } else if (req->mp.type == OFPMP_DESC) {
            m.mp.desc = ofp_msg_alloc(&m, sizeof *m.mp.desc);
            strcpy(m.mp.desc->sw_desc, "of-peer");
        }
        peer_send(p, &m);
        ofp_msg_free(&m);
        break;
    default:
        return;
    }
    peer_flush(p);
}

static int
run_switch(const char *connect_to, uint64_t dpid, int n_ports, const char *mode,
           long count, double duration, const char *secret)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    char ip[64];
    const char *colon = strrchr(connect_to, ':');
    struct peer p;
    int one = 1;
    uint64_t *lat = xcalloc(count + 1, sizeof *lat);

    if (!colon) {
        die("--connect %s: not IP:PORT", connect_to);
    }
    snprintf(ip, sizeof ip, "%.*s", (int) (colon - connect_to), connect_to);
    inet_pton(AF_INET, ip, &sin.sin_addr);
    sin.sin_port = htons(atoi(colon + 1));
    memset(&p, 0, sizeof p);
    ofp_framer_init(&p.in);
    ofpbuf_init(&p.out, 0);
    for (int i = 0; ; i++) {
        p.fd = socket(AF_INET, SOCK_STREAM, 0);
        if (!connect(p.fd, (struct sockaddr *) &sin, sizeof sin)) {
            break;
        }
        close(p.fd);
        if (i > 100) {
            die("connect: %s", strerror(errno));
        }
        usleep(100000);
    }
    setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    hello(&p);
    if (secret) {
        ofauth_encode_credential(&p.out, 7, secret);     /* the switch secret */
        peer_flush(&p);
    }

    if (!strcmp(mode, "serve")) {
        uint64_t end = duration > 0 ? time_ms() + duration * 1000 : UINT64_MAX;
        while (time_ms() < end) {
            if (peer_recv(&p, 200)) {
                switch_answer(&p, dpid, n_ports);
            }
        }
        printf("{\"mode\": \"serve\", \"flow_mods\": %" PRIu64 "}\n",
               p.flow_mods);
    } else if (!strcmp(mode, "packetin")) {
        uint8_t frame[64];
        uint64_t start = time_ms();
        /* Serve until the controller installed something (or 2 s). */
        while (!p.flow_mods && time_ms() < start + 2000) {
            if (peer_recv(&p, 50)) {
                switch_answer(&p, dpid, n_ports);
            }
        }
        rng_state = 1;
        for (long i = 0; i < count; i++) {
            struct ofp_msg m;
            ofp_msg_init(&m, OFPT_PACKET_IN, 0);
            m.packet_in.buffer_id = OFP13_NO_BUFFER;
            m.packet_in.total_len = 64;
            m.packet_in.cookie = UINT64_MAX;
            ofp_match_set_u(&m.packet_in.match, OFP_F_IN_PORT, 1);
            random_frame(frame);
            /* 10.1.0.1 -> 10.1.0.2: inside a 10.1.0.0/24 slice. */
            frame[26] = 10; frame[27] = 1; frame[28] = 0; frame[29] = 1;
            frame[30] = 10; frame[31] = 1; frame[32] = 0; frame[33] = 2;
            m.packet_in.data = frame;
            m.packet_in.data_len = 64;
            uint64_t t0 = time_ns();
            peer_send(&p, &m);
            peer_flush(&p);
            for (;;) {
                if (!peer_recv(&p, 5000)) {
                    die("%s", "no PACKET_OUT");
                }
                if (p.msg.type == OFPT_PACKET_OUT) {
                    break;
                }
                switch_answer(&p, dpid, n_ports);
            }
            lat[i] = time_ns() - t0;
        }
        print_latency("packet_in", lat, count);
    } else {
        die("unknown mode %s", mode);
    }
    fflush(stdout);
    close(p.fd);
    peer_uninit(&p);
    free(lat);
    return 0;
}

int
main(int argc, char *argv[])
{
    const char *role = argc > 1 ? argv[1] : "", *mode = NULL;
    const char *connect_to = NULL, *secret = NULL, *match = NULL;
    long count = 1000, port = 0, n_ports = 4;
    uint64_t dpid = 1;
    double duration = 0;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--listen") && v) { port = atol(v); i++; }
        else if (!strcmp(a, "--connect") && v) { connect_to = v; i++; }
        else if (!strcmp(a, "--count") && v) { count = atol(v); i++; }
        else if (!strcmp(a, "--secret") && v) { secret = v; i++; }
        else if (!strcmp(a, "--match") && v) { match = v; i++; }
        else if (!strcmp(a, "--ports") && v) { n_ports = atol(v); i++; }
        else if (!strcmp(a, "--seed") && v) { rng_state = strtoull(v, NULL, 0) | 1; i++; }
        else if (!strcmp(a, "--duration") && v) { duration = atof(v); i++; }
        else if (!strcmp(a, "--dpid") && v) { dpid = strtoull(v, NULL, 0); i++; }
        else if (a[0] != '-' && !mode) { mode = a; }
        else { die("bad argument %s (see the comment at the top of of-peer.c)", a); }
    }
    if (!mode) {
        die("%s", "usage: of-peer controller|switch ... MODE");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(role, "controller") && port) {
        return run_controller(port, mode, count, secret, match, duration);
    }
    if (!strcmp(role, "switch") && connect_to) {
        return run_switch(connect_to, dpid, n_ports, mode, count, duration, secret);
    }
    die("%s", "usage: of-peer controller --listen PORT MODE | "
        "switch --connect IP:PORT MODE");
    return 2;
}
