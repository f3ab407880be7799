/* spc: lamina-sp's OpenFlow 1.3 controller core (see spc.h). */
#include "spc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ofauth.h"
#include "ofchan.h"
#include "ofstream.h"
#include "util.h"

#define MOD "spc"

#define SPC_PORT_DOWN 1         /* OFPPC_PORT_DOWN */
#define SPC_LINK_DOWN 1         /* OFPPS_LINK_DOWN */
#define SPC_PR_DELETE 1         /* OFPPR_DELETE */

/* One channel: accepted, or opened to a target (and reopened). */
struct spc_conn {
    struct ofchan *ch;          /* NULL while waiting to reconnect */
    char *target;               /* active: what to connect to */
    char secret[OFAUTH_SECRET_MAX + 1];
    struct ofchan_backoff backoff;
    bool hello_sent;
    bool features_asked;
    bool dead;                  /* refused: close after this pass */
    struct spc_sw sw;
};

struct spc {
    const struct spc_app_class *app;
    void *app_state;
    struct ofstream_listener *listener;
    char listen_secret[OFAUTH_SECRET_MAX + 1];
    struct spc_conn **conns;
    size_t n_conns;
    uint32_t next_xid;
    uint64_t app_wakeup_ms;
    struct ofpbuf out;
};

extern const struct spc_app_class spc_app_l2, spc_app_l3;

/* The app named 'name', or NULL. */
const struct spc_app_class *
spc_app_find(const char *name)
{
    const struct spc_app_class *apps[] = { &spc_app_l2, &spc_app_l3 };
    for (size_t i = 0; i < ARRAY_SIZE(apps); i++) {
        if (!strcmp(apps[i]->name, name)) {
            return apps[i];
        }
    }
    return NULL;
}

/* A controller running 'app' with its arguments. */
int
spc_create(const struct spc_app_class *app, int argc, char **argv,
           struct spc **spcp, char *msg, size_t size)
{
    struct spc *spc = xzalloc(sizeof *spc);
    spc->app = app;
    spc->next_xid = 1;
    ofpbuf_init(&spc->out, 256);
    if (app->init) {
        int error = app->init(spc, argc, argv, msg, size);
        if (error) {
            ofpbuf_uninit(&spc->out);
            free(spc);
            return error;
        }
    }
    *spcp = spc;
    return 0;
}

static void
conn_close(struct spc *spc, struct spc_conn *c, const char *why)
{
    if (c->sw.up && spc->app->switch_down) {
        spc->app->switch_down(spc, &c->sw);
    }
    if (c->ch) {
        LOG_INFO(MOD, "%s: %s%s%s", ofchan_peer(c->ch),
                 c->sw.up ? "switch down" : "closed", why ? ": " : "", why ?: "");
    }
    ofchan_destroy(c->ch);
    c->ch = NULL;
    c->sw.up = false;
    c->sw.n_ports = 0;
    c->hello_sent = c->features_asked = c->dead = false;
}

/* Frees the controller and closes its channels; accepts NULL. */
void
spc_destroy(struct spc *spc)
{
    if (!spc) {
        return;
    }
    for (size_t i = 0; i < spc->n_conns; i++) {
        conn_close(spc, spc->conns[i], "controller stops");
        free(spc->conns[i]->target);
        free(spc->conns[i]);
    }
    free(spc->conns);
    if (spc->app->destroy) {
        spc->app->destroy(spc);
    }
    ofstream_listener_close(spc->listener);
    ofpbuf_uninit(&spc->out);
    free(spc);
}

void *
spc_app_state(const struct spc *spc)
{
    return spc->app_state;
}

void
spc_set_app_state(struct spc *spc, void *state)
{
    spc->app_state = state;
}

static struct spc_conn *
conn_add(struct spc *spc, const char *secret)
{
    struct spc_conn *c = xzalloc(sizeof *c);
    c->sw.spc = spc;
    str_copy(c->secret, secret ?: "", sizeof c->secret);
    spc->conns = xrealloc(spc->conns, (spc->n_conns + 1) * sizeof *spc->conns);
    spc->conns[spc->n_conns++] = c;
    return c;
}

static int
secret_ok(const char *secret, char *msg, size_t size)
{
    return secret && secret[0] ? ofauth_secret_check(secret, msg, size) : 0;
}

/* Listens for switches on 'target'. */
int
spc_listen(struct spc *spc, const char *target, const char *secret,
           char *msg, size_t size)
{
    struct ofstream_target t;
    int error = ofstream_target_parse(target, &t, msg, size);
    if (!error && (!t.passive || t.tls)) {
        snprintf(msg, size, "listen target \"%s\": only ptcp: is supported", target);
        error = EINVAL;
    }
    if (!error) {
        error = secret_ok(secret, msg, size);
    }
    if (!error && spc->listener) {
        snprintf(msg, size, "listen target \"%s\": already listening", target);
        error = EEXIST;
    }
    if (!error) {
        struct ofstream_listener_limits limits = {
            .max_conns = 256, .max_per_source = 0, .pause_ms = 100,
        };
        error = ofstream_listener_open(&t, NULL, &limits, "lamina-sp",
                                       &spc->listener, msg, size);
    }
    if (!error) {
        str_copy(spc->listen_secret, secret ?: "", sizeof spc->listen_secret);
        LOG_INFO(MOD, "listening for switches on %s (port %u)", target,
                 ofstream_listener_port(spc->listener));
    }
    return error;
}

/* Connects to switch 'target', reconnecting after failures. */
int
spc_connect(struct spc *spc, const char *target, const char *secret,
            char *msg, size_t size)
{
    struct ofstream_target t;
    int error = ofstream_target_parse(target, &t, msg, size);
    if (!error && (t.passive || t.tls)) {
        snprintf(msg, size, "switch target \"%s\": only tcp: is supported", target);
        error = EINVAL;
    }
    if (!error) {
        error = secret_ok(secret, msg, size);
    }
    if (error) {
        return error;
    }
    struct spc_conn *c = conn_add(spc, secret);
    c->target = xstrdup(target);
    ofchan_backoff_init(&c->backoff, 100, 2000);
    return 0;
}

size_t
spc_n_switches(const struct spc *spc)
{
    size_t n = 0;
    for (size_t i = 0; i < spc->n_conns; i++) {
        n += spc->conns[i]->sw.up;
    }
    return n;
}

struct spc_sw *
spc_switch(const struct spc *spc, size_t idx)
{
    for (size_t i = 0; i < spc->n_conns; i++) {
        if (spc->conns[i]->sw.up && idx-- == 0) {
            return &spc->conns[i]->sw;
        }
    }
    return NULL;
}

static struct spc_conn *
conn_of(struct spc_sw *sw)
{
    return (struct spc_conn *) ((char *) sw - offsetof(struct spc_conn, sw));
}

static void
conn_queue(struct spc_conn *c, struct ofpbuf *b)
{
    if (c->ch && b->size) {
        ofchan_queue(c->ch, b->data, b->size);
    }
    ofpbuf_clear(b);
}

/* Sends 'msg' to 'sw'. */
void
spc_send(struct spc_sw *sw, struct ofp_msg *msg)
{
    struct spc *spc = sw->spc;
    if (!msg->xid) {
        msg->xid = spc->next_xid++;
    }
    ofpbuf_clear(&spc->out);
    if (ofp_encode(msg, &spc->out)) {
        LOG_ERR(MOD, "cannot encode %s", ofp_msg_type_name(msg->type));
        return;
    }
    conn_queue(conn_of(sw), &spc->out);
}

/* A FLOW_MOD 'command' of 'match' at 'priority' in table 0, any port. */
static void
flow_mod_init(struct ofp_msg *m, uint8_t command, uint16_t priority,
              const struct ofp_match *match)
{
    ofp_msg_init(m, OFPT_FLOW_MOD, 0);
    m->flow_mod.command = command;
    m->flow_mod.priority = priority;
    m->flow_mod.buffer_id = OFP13_NO_BUFFER;
    m->flow_mod.out_port = OFPP13_ANY;
    m->flow_mod.out_group = OFPP13_ANY;
    m->flow_mod.match = *match;
}

/* FLOW_MOD ADD of 'match' -> 'acts' in table 0. */
void
spc_flow_add(struct spc_sw *sw, uint16_t priority, uint16_t idle_timeout,
             const struct ofp_match *match, const struct ofp_action *acts,
             size_t n_acts)
{
    struct ofp_msg m;
    flow_mod_init(&m, OFPFC_ADD, priority, match);
    m.flow_mod.idle_timeout = idle_timeout;
    m.flow_mod.insts.present = 1u << OFPIT_APPLY_ACTIONS;
    m.flow_mod.insts.apply.actions = (struct ofp_action *) acts;
    m.flow_mod.insts.apply.n = n_acts;
    spc_send(sw, &m);
    ofp_msg_free(&m);
}

/* FLOW_MOD DELETE_STRICT of 'match' at 'priority'. */
void
spc_flow_del(struct spc_sw *sw, uint16_t priority, const struct ofp_match *match)
{
    struct ofp_msg m;
    flow_mod_init(&m, OFPFC_DELETE_STRICT, priority, match);
    spc_send(sw, &m);
    ofp_msg_free(&m);
}

/* PACKET_OUT of 'data' with 'acts'. */
void
spc_packet_out(struct spc_sw *sw, uint32_t in_port, const struct ofp_action *acts,
               size_t n_acts, const void *data, size_t len)
{
    struct ofp_msg m;
    ofp_msg_init(&m, OFPT_PACKET_OUT, 0);
    m.packet_out.buffer_id = OFP13_NO_BUFFER;
    m.packet_out.in_port = in_port;
    m.packet_out.actions.actions = (struct ofp_action *) acts;
    m.packet_out.actions.n = n_acts;
    m.packet_out.data = data;
    m.packet_out.data_len = len;
    spc_send(sw, &m);
    ofp_msg_free(&m);
}

/* Priority 0, match all: to the controller, whole frames. */
void
spc_flow_miss_to_controller(struct spc_sw *sw)
{
    struct ofp_match match;
    struct ofp_action a = ofp_action_output(OFPP13_CONTROLLER, 0xffff);
    ofp_match_init(&match);
    spc_flow_add(sw, 0, 0, &match, &a, 1);
}

struct spc_port *
spc_port_find(struct spc_sw *sw, uint32_t port_no)
{
    for (size_t i = 0; i < sw->n_ports; i++) {
        if (sw->ports[i].port_no == port_no) {
            return &sw->ports[i];
        }
    }
    return NULL;
}

/* Stores 'pi' in 'sw''s port table (or removes it if 'gone'). */
static void
port_update(struct spc_sw *sw, const struct ofp_port_info *pi, bool gone)
{
    struct spc_port *p = spc_port_find(sw, pi->port_no);
    if (pi->port_no > OFPP13_MAX) {
        return;                 /* LOCAL and other reserved ports */
    }
    if (gone) {
        if (p) {
            *p = sw->ports[--sw->n_ports];
        }
        return;
    }
    if (!p) {
        if (sw->n_ports >= SPC_MAX_PORTS) {
            LOG_WARN(MOD, "dpid %016llx: more than %d ports, port %u ignored",
                     (unsigned long long) sw->dpid, SPC_MAX_PORTS, pi->port_no);
            return;
        }
        p = &sw->ports[sw->n_ports++];
    }
    p->port_no = pi->port_no;
    memcpy(p->hw_addr, pi->hw_addr, 6);
    str_copy(p->name, pi->name, sizeof p->name);
    p->live = !(pi->config & SPC_PORT_DOWN) && !(pi->state & SPC_LINK_DOWN);
}

/* Handles one message from the switch of 'c'. */
static void
conn_handle(struct spc *spc, struct spc_conn *c, const uint8_t *raw, size_t len)
{
    struct ofp_msg msg, out;
    struct ofp_error err;
    struct spc_sw *sw = &c->sw;

    if (ofp_decode(raw, len, &msg, &err)) {
        LOG_WARN(MOD, "%s: undecodable message (%zu bytes) ignored",
                 ofchan_peer(c->ch), len);
        ofp_msg_free(&msg);
        return;
    }
    switch (msg.type) {
    case OFPT_HELLO: {
        uint8_t version;
        if (ofp_hello_negotiate(&msg.hello, msg.version, 1u << OFP13_VERSION_WIRE,
                                &version, &err)) {
            LOG_WARN(MOD, "%s: the switch does not speak OpenFlow 1.3 "
                     "(HELLO version %u)", ofchan_peer(c->ch), msg.version);
            ofp_encode_error_reply(&spc->out, raw, len, err);
            conn_queue(c, &spc->out);
            ofchan_flush(c->ch);
            c->dead = true;
            break;
        }
        if (!c->features_asked) {
            c->features_asked = true;
            ofp_msg_init(&out, OFPT_FEATURES_REQUEST, 0);
            spc_send(sw, &out);
            ofp_msg_free(&out);
        }
        break;
    }
    case OFPT_ECHO_REQUEST:
        ofp_encode_echo_reply(&spc->out, &msg);
        conn_queue(c, &spc->out);
        break;
    case OFPT_FEATURES_REPLY:
        sw->dpid = msg.features.datapath_id;
        ofp_msg_init(&out, OFPT_MULTIPART_REQUEST, 0);
        out.mp.type = OFPMP_PORT_DESC;
        spc_send(sw, &out);
        ofp_msg_free(&out);
        break;
    case OFPT_MULTIPART_REPLY:
        if (msg.mp.type == OFPMP_PORT_DESC) {
            for (size_t i = 0; i < msg.mp.list.n; i++) {
                port_update(sw, &msg.mp.list.port_descs[i], false);
            }
            if (!(msg.mp.flags & OFPMPF_MORE) && !sw->up) {
                sw->up = true;
                LOG_INFO(MOD, "%s: switch up, dpid %016llx, %zu ports",
                         ofchan_peer(c->ch), (unsigned long long) sw->dpid,
                         sw->n_ports);
                if (spc->app->switch_up) {
                    spc->app->switch_up(spc, sw);
                }
            }
        }
        break;
    case OFPT_PORT_STATUS:
        port_update(sw, &msg.port_status.port,
                    msg.port_status.reason == SPC_PR_DELETE);
        if (sw->up && spc->app->port_status) {
            spc->app->port_status(spc, sw, &msg);
        }
        break;
    case OFPT_PACKET_IN:
        if (sw->up && spc->app->packet_in) {
            spc->app->packet_in(spc, sw, &msg);
        }
        break;
    case OFPT_ERROR:
        LOG_WARN(MOD, "%s: switch error type %u code %u", ofchan_peer(c->ch),
                 msg.error.type, msg.error.code);
        break;
    default:
        break;
    }
    ofp_msg_free(&msg);
}

/* Takes 'c' forward: connect, HELLO and credential, messages.  Returns
 * false if the channel died. */
static bool
conn_run(struct spc *spc, struct spc_conn *c)
{
    int error = ofchan_run(c->ch);
    if (!error && ofchan_is_connected(c->ch) && !c->hello_sent) {
        c->hello_sent = true;
        ofp_encode_hello(&spc->out, spc->next_xid++, 1u << OFP13_VERSION_WIRE);
        if (c->secret[0]) {
            ofauth_encode_credential(&spc->out, spc->next_xid++, c->secret);
        }
        conn_queue(c, &spc->out);
    }
    for (int budget = 256; !error && !c->dead && budget > 0; budget--) {
        const uint8_t *m;
        size_t len;
        error = ofchan_recv(c->ch, &m, &len);
        if (!error) {
            if (c->target) {
                ofchan_backoff_success(&c->backoff);
            }
            conn_handle(spc, c, m, len);
        }
    }
    if (error == EAGAIN) {
        error = ofchan_flush(c->ch);
    }
    if (c->dead && (!error || error == EAGAIN)) {
        error = EPROTO;
    }
    if (error && error != EAGAIN) {
        conn_close(spc, c, c->dead ? "not OpenFlow 1.3" : ofchan_error(c->ch));
        return false;
    }
    return true;
}

/* One pass of the event loop. */
void
spc_run(struct spc *spc, int timeout_ms)
{
    uint64_t now = time_ms();
    struct pollfd *fds = xcalloc(spc->n_conns + 1, sizeof *fds);
    size_t n = 0;

    /* (Re)connect active channels that are due. */
    for (size_t i = 0; i < spc->n_conns; i++) {
        struct spc_conn *c = spc->conns[i];
        if (c->target && !c->ch && ofchan_backoff_due(&c->backoff, now)) {
            char msg[256];
            if (ofchan_open(c->target, NULL, NULL, &c->ch, msg, sizeof msg)) {
                LOG_WARN(MOD, "%s: %s", c->target, msg);
                ofchan_backoff_failed(&c->backoff, now);
            }
        }
    }
    if (spc->app->run) {
        spc->app_wakeup_ms = spc->app->run(spc, now);
    }
    for (size_t i = 0; i < spc->n_conns; i++) {
        struct spc_conn *c = spc->conns[i];
        if (c->ch && ofchan_backlog(c->ch)) {
            if (ofchan_flush(c->ch) && ofchan_is_dead(c->ch)) {
                conn_close(spc, c, ofchan_error(c->ch));
            }
        }
    }
    now = time_ms();
    int timeout = timeout_ms;
    if (spc->app->run) {
        timeout = spc->app_wakeup_ms <= now ? 0
                  : (int) MIN((uint64_t) timeout, spc->app_wakeup_ms - now);
    }
    for (size_t i = 0; i < spc->n_conns; i++) {
        struct spc_conn *c = spc->conns[i];
        if (c->ch) {
            fds[n].fd = ofchan_fd(c->ch);
            fds[n].events = ofchan_events(c->ch);
            n++;
            if (ofchan_wakeup_now(c->ch)) {
                timeout = 0;
            }
        } else if (c->target) {
            uint64_t due = c->backoff.next_try_ms;
            timeout = due <= now ? 0 : (int) MIN((uint64_t) timeout, due - now);
        }
    }
    if (spc->listener) {
        fds[n].fd = ofstream_listener_fd(spc->listener);
        fds[n].events = ofstream_listener_events(spc->listener);
        n++;
    }
    poll(fds, n, timeout);
    free(fds);

    if (spc->listener) {
        struct ofstream *s;
        while (!ofstream_listener_accept(spc->listener, &s)) {
            struct spc_conn *c = conn_add(spc, spc->listen_secret);
            c->ch = ofchan_create(s, NULL);
            LOG_INFO(MOD, "%s: switch connected", ofchan_peer(c->ch));
        }
    }
    for (size_t i = 0; i < spc->n_conns; i++) {
        struct spc_conn *c = spc->conns[i];
        if (!c->ch) {
            continue;
        }
        if (!conn_run(spc, c) && !c->target) {
            free(c);
            spc->conns[i--] = spc->conns[--spc->n_conns];
        } else if (!c->ch && c->target) {
            ofchan_backoff_failed(&c->backoff, time_ms());
        }
    }
}
