/*
 * switchd_rpc: lamina-switchd's JSON-RPC methods: check, then call the
 * dataplane, then save the state file.  See switchd_rpc.h.
 */
#include "switchd_rpc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dataplane.h"
#include "fp_ebpf.h"
#include "log.h"
#include "pktdesc.h"
#include "switchd_state.h"
#include "util.h"

#define MOD "switchd"

#ifndef LAMINA_VERSION
#define LAMINA_VERSION "unknown"
#endif

/* ---- Helpers ------------------------------------------------------------ */

/* Checks the members of 'params' against 'allowed'.  While replaying the
 * state file, unknown members (from a newer daemon) are only logged. */
static int
check_members(const struct switchd_rpc *rpc, const json_t *params,
              const char *const *allowed, struct jsonrpc_error *err)
{
    int error = jsonrpc_params_check(params, allowed, err);

    if (error && rpc->replaying && json_is_object(params)) {
        LOG_DBG(MOD, "state file: ignoring %s", err->message);
        jsonrpc_error_clear(err);
        return 0;
    }
    return error;
}

/* Fills 'err' with -32602 and 'fmt'; returns EINVAL. */
static int __attribute__((format(printf, 2, 3)))
bad_param(struct jsonrpc_error *err, const char *fmt, ...)
{
    char msg[JSONRPC_MSG_LEN];
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);
    jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS, "%s", msg);
    return EINVAL;
}

/* True if member 'key' of 'params' is present and null. */
static bool
param_is_null(const json_t *params, const char *key)
{
    return json_is_null(json_object_get(params, key));
}

/* A name member that may also be absent or null (then '*out' is NULL). */
static int
opt_name(const json_t *params, const char *key, const char **out,
         struct jsonrpc_error *err)
{
    *out = NULL;
    return param_is_null(params, key)
           ? 0 : jsonrpc_param_name(params, key, false, out, err);
}

/* An optional integer member: absent or null leaves '*out' alone. */
static int
opt_uint(const json_t *params, const char *key, uint64_t max, uint64_t *out,
         struct jsonrpc_error *err)
{
    return param_is_null(params, key)
           ? 0 : jsonrpc_param_uint(params, key, false, 0, max, out, err);
}

static int
opt_u32(const json_t *params, const char *key, uint32_t max, uint32_t *out,
        struct jsonrpc_error *err)
{
    uint64_t v = *out;
    int error = opt_uint(params, key, max, &v, err);

    *out = v;
    return error;
}

/* Checks that 'guarantee' fits under 'ceiling' (0: no ceiling). */
static int
check_guarantee(const char *what, uint64_t guarantee, uint64_t ceiling,
                struct jsonrpc_error *err)
{
    if (ceiling && guarantee > ceiling) {
        return bad_param(err, "%s: guarantee_bps %llu exceeds ceiling_bps "
                         "%llu", what, (unsigned long long) guarantee,
                         (unsigned long long) ceiling);
    }
    return 0;
}

/* Turns the outcome 'error' of a dataplane call into the method's
 * answer: on failure an application error carrying the dataplane's
 * sentence; on success the state file is saved. */
static int
dp_outcome(struct switchd_rpc *rpc, int error, const struct dp_error *dperr,
           const char *what, struct jsonrpc_error *err)
{
    if (error) {
        jsonrpc_error_set_errno(err, error, NULL, "%s", dperr->msg[0]
                                ? dperr->msg : what);
        if (!dperr->msg[0]) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof err->message - n, ": %s",
                     strerror(error));
        }
        if (!rpc->replaying) {
            LOG_INFO(MOD, "refused: %s", err->message);
        }
        return error;
    }
    rpc->n_changes++;
    rpc->dirty = true;
    return 0;
}

/* The running configuration, for statefile_revert(). */
static json_t *
switchd_rpc_current(void *aux)
{
    (void) aux;
    return dp_config_to_json();
}

const struct statefile_schema switchd_rpc_schema = {
    .what = "state file",
    .sections = switchd_state_sections,
    .is_derived = switchd_state_is_derived,
    .current = switchd_rpc_current,
};

void
switchd_rpc_begin(void *rpc_)
{
    struct switchd_rpc *rpc = rpc_;

    rpc->n_changes_before = rpc->n_changes;
    dp_batch_begin();
}

int
switchd_rpc_end(void *rpc_, struct jsonrpc_error *err)
{
    dp_batch_end();
    return switchd_rpc_commit(rpc_, err);
}

/* Saves the state file if a change was made since the last save: once per
 * client message (a whole batch), before its answer goes out.  If it
 * cannot be saved, the change is undone and 'err' says why. */
int
switchd_rpc_commit(struct switchd_rpc *rpc, struct jsonrpc_error *err)
{
    int error;

    if (!rpc->dirty || rpc->replaying) {
        rpc->dirty = false;
        return 0;
    }
    rpc->replaying = true;      /* an undo is not a client's change */
    error = statefile_commit(rpc->server, &switchd_rpc_schema,
                             rpc->state_path, 0640, dp_config_to_json(),
                             &rpc->saved, rpc, err);
    rpc->replaying = false;
    rpc->dirty = false;
    if (error) {
        rpc->n_save_errors++;
        rpc->n_changes = rpc->n_changes_before;
    }
    return error;
}

/* Replays the state file and takes what it restored as saved. */
int
switchd_rpc_restore(struct switchd_rpc *rpc, char *msg, size_t msg_size)
{
    int error;

    rpc->replaying = true;
    dp_pause();
    error = statefile_restore(rpc->server, &switchd_rpc_schema,
                              rpc->state_path, 0640, msg, msg_size);
    dp_resume();
    rpc->replaying = false;
    rpc->dirty = false;
    json_decref(rpc->saved);
    rpc->saved = dp_config_to_json();
    return error;
}

/* A copy of section 'key' of the configuration whose elements match each
 * non-NULL value of the NULL-terminated (member, value) pairs. */
static json_t *
config_select(const char *key, ...)
{
    json_t *config = dp_config_to_json();
    json_t *section = json_object_get(config, key);
    json_t *out = json_array();
    size_t i;
    json_t *elem;

    json_array_foreach(section, i, elem) {
        bool match = true;
        va_list args;
        const char *member;

        va_start(args, key);
        while ((member = va_arg(args, const char *))) {
            const char *value = va_arg(args, const char *);
            const char *have = json_string_value(json_object_get(elem, member));
            if (value && (!have || strcmp(have, value))) {
                match = false;
            }
        }
        va_end(args);
        if (match) {
            json_array_append(out, elem);
        }
    }
    json_decref(config);
    return out;
}

/* The element of config section 'key' whose 'member' is 'value', or NULL.
 * Returns a new reference. */
static json_t *
config_find(const char *key, const char *member, const char *value)
{
    json_t *found = config_select(key, member, value, NULL);
    json_t *elem = json_incref(json_array_get(found, 0));

    json_decref(found);
    return elem;
}

/* Integer member 'key' of 'obj', or 'dflt'. */
static uint64_t
json_u64(const json_t *obj, const char *key, uint64_t dflt)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_integer(v) && json_integer_value(v) >= 0
           ? (uint64_t) json_integer_value(v) : dflt;
}

#define RPC_HANDLER(NAME)                                               \
    static int NAME(const json_t *params, json_t **result,              \
                    struct jsonrpc_error *err, void *rpc_)

#define MEMBERS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Member "bfd" of 'params' into '*bp': absent leaves '*given' false;
 * null or false removes the session; an object {local, peer, tx_ms,
 * rx_ms (or tx_us, rx_us), multiplier} starts one.  'need_addr': the
 * addresses are required (a port; a link has defaults). */
static int
opt_bfd(const json_t *params, const char *what, bool need_addr,
        struct dp_bfd_params *bp, bool *given, struct jsonrpc_error *err)
{
    const json_t *j = json_object_get(params, "bfd");
    uint64_t ms, us, mult = 3;

    memset(bp, 0, sizeof *bp);
    *given = j != NULL;
    if (!j || json_is_null(j) || json_is_false(j)) {
        return 0;
    }
    if (!json_is_object(j)) {
        return bad_param(err, "%s: parameter \"bfd\" must be an object, null "
                         "or false", what);
    }
    if (jsonrpc_params_check(j, MEMBERS("local", "peer", "tx_ms", "rx_ms",
                                        "tx_us", "rx_us", "multiplier"), err)
        || jsonrpc_param_string(j, "local", need_addr, &bp->local, err)
        || jsonrpc_param_string(j, "peer", need_addr, &bp->peer, err)
        || jsonrpc_param_uint(j, "multiplier", false, 1, 255, &mult, err)) {
        return EINVAL;
    }
    const char *keys[2][2] = { { "tx_ms", "tx_us" }, { "rx_ms", "rx_us" } };
    for (int i = 0; i < 2; i++) {
        ms = us = 0;
        if (jsonrpc_param_uint(j, keys[i][0], false, 1, 60000, &ms, err)
            || jsonrpc_param_uint(j, keys[i][1], false, 1000, 60000000, &us, err)) {
            return EINVAL;
        }
        if (ms && us) {
            return bad_param(err, "%s: bfd: give %s or %s, not both", what,
                             keys[i][0], keys[i][1]);
        }
        *(i ? &bp->rx_us : &bp->tx_us) = ms ? ms * 1000 : us;
    }
    const char *addr[2] = { bp->local, bp->peer };
    for (int i = 0; i < 2; i++) {
        struct in_addr a;
        if (addr[i] && (inet_pton(AF_INET, addr[i], &a) != 1 || !a.s_addr)) {
            return bad_param(err, "%s: bfd \"%s\": \"%.40s\" is not an IPv4 "
                             "address", what, i ? "peer" : "local", addr[i]);
        }
    }
    bp->enable = true;
    bp->mult = mult;
    return 0;
}

/* ---- Switches ----------------------------------------------------------- */

/* A method whose only parameter is "name", calling 'fn' with it. */
static int
rpc_by_name(struct switchd_rpc *rpc, const json_t *params,
            int (*fn)(const char *, struct dp_error *), const char *what,
            struct jsonrpc_error *err)
{
    struct dp_error dperr = { "" };
    const char *name;

    if (check_members(rpc, params, MEMBERS("name"), err)
        || jsonrpc_param_name(params, "name", true, &name, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, fn(name, &dperr), &dperr, what, err);
}

/* A list method: configuration section 'section', filtered by the
 * optional parameters "slice" and/or "switch" when 'by_slice' /
 * 'by_switch' allow them. */
static int
rpc_list(struct switchd_rpc *rpc, const json_t *params, const char *section,
         bool by_slice, bool by_switch, json_t **result,
         struct jsonrpc_error *err)
{
    const char *members[3] = { NULL, NULL, NULL };
    const char *slice = NULL, *sw = NULL;
    size_t n = 0;

    if (by_slice) {
        members[n++] = "slice";
    }
    if (by_switch) {
        members[n++] = "switch";
    }
    if (check_members(rpc, params, members, err)
        || (by_slice && opt_name(params, "slice", &slice, err))
        || (by_switch && opt_name(params, "switch", &sw, err))) {
        return EINVAL;
    }
    *result = config_select(section, "slice", slice, "switch", sw, NULL);
    return 0;
}

RPC_HANDLER(switch_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *name;
    uint32_t workers = 1;

    if (check_members(rpc, params, MEMBERS("name", "workers"), err)
        || jsonrpc_param_name(params, "name", true, &name, err)
        || opt_u32(params, "workers", DP_MAX_WORKERS, &workers, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_switch_add_workers(name, workers, &dperr), &dperr,
                      "switch.add", err);
}

RPC_HANDLER(switch_del)
{
    return rpc_by_name(rpc_, params, dp_switch_del, "switch.del", err);
}

RPC_HANDLER(switch_list)
{
    return rpc_list(rpc_, params, "switches", false, false, result, err);
}

/* ---- Ports -------------------------------------------------------------- */

/* Checks DPDK devargs for what can be checked without probing. */
static int
check_devargs(const char *key, const char *devargs,
              struct jsonrpc_error *err)
{
    size_t n = strlen(devargs);

    if (!n || n >= SWITCHD_MAX_DEVARGS) {
        return bad_param(err, "parameter \"%s\" must be 1..%d characters",
                         key, SWITCHD_MAX_DEVARGS - 1);
    }
    for (size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char) devargs[i])) {
            return bad_param(err, "parameter \"%s\": character %zu is a "
                             "space or a control character", key, i + 1);
        }
    }
    return 0;
}

RPC_HANDLER(port_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_port_params p = { 0 };
    struct dp_error dperr = { "" };
    struct dp_bfd_params bfd;
    bool up = true, has_bfd;
    int error;

    if (check_members(rpc, params, MEMBERS("switch", "name", "devargs",
                                           "rate_bps", "queue_len", "delay_us",
                                           "loss_ppm", "up", "bfd"), err)
        || jsonrpc_param_name(params, "switch", true, &p.sw, err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || jsonrpc_param_string(params, "devargs", true, &p.devargs, err)
        || check_devargs("devargs", p.devargs, err)
        || opt_uint(params, "rate_bps", SWITCHD_MAX_RATE, &p.rate_bps, err)
        || opt_u32(params, "queue_len", SWITCHD_MAX_QUEUE, &p.queue_len, err)
        || opt_u32(params, "delay_us", SWITCHD_MAX_DELAY_US, &p.delay_us, err)
        || opt_u32(params, "loss_ppm", SWITCHD_MAX_LOSS_PPM, &p.loss_ppm, err)
        || jsonrpc_param_bool(params, "up", false, &up, err)
        || opt_bfd(params, "port.add", false, &bfd, &has_bfd, err)) {
        return EINVAL;
    }
    error = dp_port_add(&p, &dperr);
    if (!error) {
        /* A port saved down (the state file) comes back down. */
        error = !up ? dp_port_set_up(p.sw, p.name, false, &dperr) : 0;
        if (!error && bfd.enable) {
            error = dp_port_set_bfd(p.sw, p.name, &bfd, &dperr);
        }
        if (error) {
            struct dp_error ignore;
            dp_port_del(p.sw, p.name, &ignore);
        }
    }
    return dp_outcome(rpc, error, &dperr, "port.add", err);
}

RPC_HANDLER(port_del)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *sw, *name;

    if (check_members(rpc, params, MEMBERS("switch", "name"), err)
        || jsonrpc_param_name(params, "switch", true, &sw, err)
        || jsonrpc_param_name(params, "name", true, &name, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_port_del(sw, name, &dperr), &dperr,
                      "port.del", err);
}

RPC_HANDLER(port_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    struct dp_port_params p = { 0 };
    json_t *cur;

    struct dp_bfd_params bfd;
    bool has_bfd;

    if (check_members(rpc, params, MEMBERS("switch", "name", "rate_bps",
                                           "delay_us", "loss_ppm", "up",
                                           "bfd"), err)
        || jsonrpc_param_name(params, "switch", true, &p.sw, err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || opt_bfd(params, "port.set", false, &bfd, &has_bfd, err)) {
        return EINVAL;
    }
    bool has_props = json_object_get(params, "rate_bps")
                     || json_object_get(params, "delay_us")
                     || json_object_get(params, "loss_ppm");
    bool up = true;
    if (!has_props && !has_bfd && !json_object_get(params, "up")) {
        return bad_param(err, "port %s/%s: nothing to set (give rate_bps, "
                         "delay_us, loss_ppm, up or bfd)", p.sw, p.name);
    }
    if (jsonrpc_param_bool(params, "up", false, &up, err)) {
        return EINVAL;
    }
    /* What is not given keeps its value. */
    cur = config_select("ports", "switch", p.sw, "name", p.name, NULL);
    json_t *port = json_array_get(cur, 0);
    p.rate_bps = json_u64(port, "rate_bps", 0);
    p.delay_us = json_u64(port, "delay_us", 0);
    p.loss_ppm = json_u64(port, "loss_ppm", 0);
    json_decref(cur);
    if (opt_uint(params, "rate_bps", SWITCHD_MAX_RATE, &p.rate_bps, err)
        || opt_u32(params, "delay_us", SWITCHD_MAX_DELAY_US, &p.delay_us, err)
        || opt_u32(params, "loss_ppm", SWITCHD_MAX_LOSS_PPM, &p.loss_ppm, err)) {
        return EINVAL;
    }
    int error = has_props ? dp_port_set(&p, &dperr) : 0;
    if (!error && json_object_get(params, "up")) {
        error = dp_port_set_up(p.sw, p.name, up, &dperr);
    }
    if (!error && has_bfd) {
        error = dp_port_set_bfd(p.sw, p.name, &bfd, &dperr);
    }
    return dp_outcome(rpc, error, &dperr, "port.set", err);
}

RPC_HANDLER(port_list)
{
    return rpc_list(rpc_, params, "ports", false, true, result, err);
}

/* ---- Links -------------------------------------------------------------- */

/* Reads the emulation members of a link into 'p'. */
static int
link_props(const json_t *params, struct dp_link_params *p,
           struct jsonrpc_error *err)
{
    return opt_uint(params, "rate_bps", SWITCHD_MAX_RATE, &p->rate_bps, err)
           || opt_u32(params, "delay_us", SWITCHD_MAX_DELAY_US, &p->delay_us,
                      err)
           || opt_u32(params, "loss_ppm", SWITCHD_MAX_LOSS_PPM, &p->loss_ppm,
                      err) ? EINVAL : 0;
}

RPC_HANDLER(link_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_link_params p = { 0 };
    struct dp_error dperr = { "" };
    struct dp_bfd_params bfd;
    bool up = true, has_bfd;
    int error;

    if (check_members(rpc, params, MEMBERS("name", "sw_a", "port_a", "sw_b",
                                           "port_b", "devargs_a", "devargs_b",
                                           "rate_bps", "delay_us",
                                           "loss_ppm", "up", "bfd"), err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || jsonrpc_param_name(params, "sw_a", true, &p.sw_a, err)
        || jsonrpc_param_name(params, "port_a", true, &p.port_a, err)
        || jsonrpc_param_name(params, "sw_b", true, &p.sw_b, err)
        || jsonrpc_param_name(params, "port_b", true, &p.port_b, err)
        || jsonrpc_param_string(params, "devargs_a", false, &p.devargs_a, err)
        || jsonrpc_param_string(params, "devargs_b", false, &p.devargs_b, err)
        || (p.devargs_a && check_devargs("devargs_a", p.devargs_a, err))
        || (p.devargs_b && check_devargs("devargs_b", p.devargs_b, err))
        || link_props(params, &p, err)
        || jsonrpc_param_bool(params, "up", false, &up, err)
        || opt_bfd(params, "link.add", false, &bfd, &has_bfd, err)) {
        return EINVAL;
    }
    if (!p.devargs_a != !p.devargs_b) {
        return bad_param(err, "link \"%s\": give both devargs_a and "
                         "devargs_b (a link over DPDK devices) or neither "
                         "(a link of in-process rings)", p.name);
    }
    if (!strcmp(p.sw_a, p.sw_b) && !strcmp(p.port_a, p.port_b)) {
        return bad_param(err, "link \"%s\": both ends are port \"%s\" of "
                         "switch \"%s\"", p.name, p.port_a, p.sw_a);
    }
    dp_pause();
    error = dp_link_add(&p, &dperr);
    if (!error) {
        error = !up ? dp_link_set_up(p.name, false, &dperr) : 0;
        if (!error && bfd.enable) {
            error = dp_link_set_bfd(p.name, &bfd, &dperr);
        }
        if (error) {
            struct dp_error ignore;
            dp_link_del(p.name, &ignore);
        }
    }
    dp_resume();
    return dp_outcome(rpc, error, &dperr, "link.add", err);
}

RPC_HANDLER(link_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_link_params p = { 0 }, old;
    struct dp_error dperr = { "" };
    bool up = true, has_props;
    json_t *cur;
    int error = 0;

    struct dp_bfd_params bfd;
    bool has_bfd;

    if (check_members(rpc, params, MEMBERS("name", "rate_bps", "delay_us",
                                           "loss_ppm", "up", "bfd"), err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || opt_bfd(params, "link.set", false, &bfd, &has_bfd, err)) {
        return EINVAL;
    }
    cur = config_find("links", "name", p.name);
    if (!cur) {
        jsonrpc_error_set_errno(err, ENOENT, "name", "no link \"%s\"", p.name);
        return ENOENT;
    }
    p.sw_a = p.sw_b = p.port_a = p.port_b = NULL;
    p.rate_bps = json_u64(cur, "rate_bps", 0);
    p.delay_us = json_u64(cur, "delay_us", 0);
    p.loss_ppm = json_u64(cur, "loss_ppm", 0);
    up = !json_is_false(json_object_get(cur, "up"));
    old = p;
    has_props = json_object_get(params, "rate_bps")
                || json_object_get(params, "delay_us")
                || json_object_get(params, "loss_ppm");
    if (link_props(params, &p, err)
        || jsonrpc_param_bool(params, "up", false, &up, err)) {
        json_decref(cur);
        return EINVAL;
    }
    if (!has_props && !has_bfd && !json_object_get(params, "up")) {
        json_decref(cur);
        return bad_param(err, "link \"%s\": nothing to set (give rate_bps, "
                         "delay_us, loss_ppm, up or bfd)", p.name);
    }
    dp_pause();
    if (has_props) {
        error = dp_link_set(&p, &dperr);
    }
    if (!error && json_object_get(params, "up")) {
        error = dp_link_set_up(p.name, up, &dperr);
        if (error && has_props) {
            struct dp_error ignore;
            dp_link_set(&old, &ignore);
        }
    }
    if (!error && has_bfd) {
        /* Checked above: only a vanished link could refuse it. */
        error = dp_link_set_bfd(p.name, &bfd, &dperr);
    }
    dp_resume();
    json_decref(cur);
    return dp_outcome(rpc, error, &dperr, "link.set", err);
}

RPC_HANDLER(link_del)
{
    return rpc_by_name(rpc_, params, dp_link_del, "link.del", err);
}

RPC_HANDLER(link_list)
{
    return rpc_list(rpc_, params, "links", false, false, result, err);
}

/* ---- Slices and queues -------------------------------------------------- */

static const char *const slice_members[] = {
    "name", "guarantee_bps", "ceiling_bps", "policer_bps", "policer_burst",
    "budget", "mbuf_quota", "table_quota", "gso_quota", NULL,
};

/* Reads the limits of a slice into 'p' (members absent keep their value). */
static int
slice_limits(const json_t *params, struct dp_slice_params *p,
             struct jsonrpc_error *err)
{
    if (opt_uint(params, "guarantee_bps", SWITCHD_MAX_RATE, &p->guarantee_bps,
                 err)
        || opt_uint(params, "ceiling_bps", SWITCHD_MAX_RATE, &p->ceiling_bps,
                    err)
        || opt_uint(params, "policer_bps", SWITCHD_MAX_RATE, &p->policer_bps,
                    err)
        || opt_u32(params, "policer_burst", SWITCHD_MAX_BURST,
                   &p->policer_burst, err)
        || opt_u32(params, "budget", SWITCHD_MAX_BUDGET, &p->budget, err)
        || opt_u32(params, "mbuf_quota", SWITCHD_MAX_MBUFS, &p->mbuf_quota,
                   err)
        || opt_u32(params, "table_quota", UINT32_MAX, &p->table_quota, err)
        || opt_u32(params, "gso_quota", SWITCHD_MAX_GSO_MBUFS,
                   &p->gso_quota, err)) {
        return EINVAL;
    }
    char what[96];
    snprintf(what, sizeof what, "slice \"%s\"", p->name);
    return check_guarantee(what, p->guarantee_bps, p->ceiling_bps, err);
}

RPC_HANDLER(slice_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_slice_params p = { 0 };
    struct dp_error dperr = { "" };

    if (check_members(rpc, params, slice_members, err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || slice_limits(params, &p, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_slice_add(&p, &dperr), &dperr, "slice.add",
                      err);
}

RPC_HANDLER(slice_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_slice_params p = { 0 };
    struct dp_error dperr = { "" };
    json_t *cur;
    int error;

    if (check_members(rpc, params, slice_members, err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)) {
        return EINVAL;
    }
    cur = config_find("slices", "name", p.name);
    if (!cur) {
        jsonrpc_error_set_errno(err, ENOENT, "name", "no slice \"%s\"",
                                p.name);
        return ENOENT;
    }
    p.guarantee_bps = json_u64(cur, "guarantee_bps", 0);
    p.ceiling_bps = json_u64(cur, "ceiling_bps", 0);
    p.policer_bps = json_u64(cur, "policer_bps", 0);
    p.policer_burst = json_u64(cur, "policer_burst", 0);
    p.budget = json_u64(cur, "budget", 0);
    p.mbuf_quota = json_u64(cur, "mbuf_quota", 0);
    p.table_quota = json_u64(cur, "table_quota", 0);
    p.gso_quota = json_u64(cur, "gso_quota", 0);
    json_decref(cur);
    error = slice_limits(params, &p, err);
    if (error) {
        return error;
    }
    return dp_outcome(rpc, dp_slice_set(&p, &dperr), &dperr, "slice.set",
                      err);
}

RPC_HANDLER(slice_del)
{
    return rpc_by_name(rpc_, params, dp_slice_del, "slice.del", err);
}

RPC_HANDLER(slice_list)
{
    return rpc_list(rpc_, params, "slices", false, false, result, err);
}

RPC_HANDLER(queue_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw, *port;
    uint64_t guarantee, ceiling = 0;
    char what[200];

    if (check_members(rpc, params, MEMBERS("slice", "switch", "port",
                                           "guarantee_bps", "ceiling_bps"),
                      err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || jsonrpc_param_name(params, "switch", true, &sw, err)
        || jsonrpc_param_name(params, "port", true, &port, err)
        || jsonrpc_param_uint(params, "guarantee_bps", true, 0,
                              SWITCHD_MAX_RATE, &guarantee, err)
        || opt_uint(params, "ceiling_bps", SWITCHD_MAX_RATE, &ceiling, err)) {
        return EINVAL;
    }
    snprintf(what, sizeof what, "queue of slice \"%s\" on port \"%s\" of "
             "switch \"%s\"", slice, port, sw);
    if (check_guarantee(what, guarantee, ceiling, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_queue_set(slice, sw, port, guarantee, ceiling,
                                        &dperr),
                      &dperr, "queue.set", err);
}

RPC_HANDLER(queue_list)
{
    return rpc_list(rpc_, params, "queues", true, true, result, err);
}

/* ---- Vnodes and vports -------------------------------------------------- */

/* True if 's' is a vnode address: "SWITCH" (the slice's default vnode
 * there) or "SWITCH/NAME" (a named vnode, for several virtual nodes of one
 * slice on one switch), each part a valid name. */
static bool
vnode_addr_is_valid(const char *s)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    char sw[64];

    if (!slash) {
        return name_is_valid(s);
    }
    if (slash - s >= (ptrdiff_t) sizeof sw) {
        return false;
    }
    snprintf(sw, sizeof sw, "%.*s", (int) (slash - s), s);
    return name_is_valid(sw) && name_is_valid(slash + 1);
}

/* Parameter "switch" of a method that names a vnode: its address
 * (vnode_addr_is_valid()). */
static int
param_vnode(const json_t *params, const char **out, struct jsonrpc_error *err)
{
    const char *s = NULL;
    int error = jsonrpc_param_string(params, "switch", true, &s, err);

    if (error) {
        return error;
    }
    if (!vnode_addr_is_valid(s)) {
        return bad_param(err, "parameter \"switch\": \"%.80s\" is not a vnode "
                         "address (SWITCH or SWITCH/NAME, each a valid name)", s);
    }
    *out = s;
    return 0;
}

/* The forwarding plane's config of vnode.add / vnode.set: "config", with
 * "program" (the CLI's --program) folded in.  A new reference in
 * '*config' (NULL when neither is given). */
static int
vnode_fp_config(const json_t *params, const char *slice, const char *sw,
                json_t **config, struct jsonrpc_error *err)
{
    const json_t *c = json_object_get(params, "config");
    const json_t *program = json_object_get(params, "program");

    *config = NULL;
    if (c && !json_is_null(c) && !json_is_object(c)) {
        return bad_param(err, "vnode of slice \"%s\" on switch \"%s\": "
                         "parameter \"config\" must be an object", slice, sw);
    }
    if (program && !json_is_null(program) && !json_is_string(program)) {
        return bad_param(err, "vnode of slice \"%s\" on switch \"%s\": "
                         "parameter \"program\" must be a file name", slice, sw);
    }
    if (c && json_is_object(c)) {
        *config = json_deep_copy(c);
    }
    if (program && json_is_string(program)) {
        if (!*config) {
            *config = json_object();
        }
        json_object_set(*config, "program", (json_t *) program);
    }
    return 0;
}

RPC_HANDLER(vnode_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw, *fp;
    json_t *config;

    if (check_members(rpc, params, MEMBERS("slice", "switch", "fp", "config",
                                           "program"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)
        || opt_name(params, "fp", &fp, err)
        || vnode_fp_config(params, slice, sw, &config, err)) {
        return EINVAL;
    }
    int error = dp_vnode_add(slice, sw, fp, config, &dperr);
    json_decref(config);
    return dp_outcome(rpc, error, &dperr, "vnode.add", err);
}

RPC_HANDLER(vnode_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw;
    json_t *config;

    if (check_members(rpc, params, MEMBERS("slice", "switch", "config",
                                           "program"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)
        || vnode_fp_config(params, slice, sw, &config, err)) {
        return EINVAL;
    }
    if (!config) {
        return bad_param(err, "vnode.set: give \"config\" or \"program\"");
    }
    /* Keep what the new config leaves out (e.g. the tables, the window). */
    const struct dp_fp_class *cls;
    void *state = dp_vnode_fp_state(slice, sw, &cls);
    if (state) {
        json_t *old = cls->config(state);
        json_object_update_missing(config, old);
        json_decref(old);
    }
    int error = dp_vnode_set(slice, sw, config, &dperr);
    json_decref(config);
    return dp_outcome(rpc, error, &dperr, "vnode.set", err);
}

/* The "ebpf" plane of vnode {slice, switch} in 'params', for the table
 * methods, after checking the members 'members'. */
static void *
ebpf_params(struct switchd_rpc *rpc, const json_t *params,
            const char *const *members, struct jsonrpc_error *err)
{
    const struct dp_fp_class *cls;
    const char *slice, *sw;
    void *state;

    if (check_members(rpc, params, members, err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)) {
        return NULL;
    }
    state = dp_vnode_fp_state(slice, sw, &cls);
    if (!state) {
        jsonrpc_error_set_errno(err, ENOENT, NULL, "slice %s has no vnode "
                                "%s", slice, sw);
        return NULL;
    }
    if (cls != &dp_fp_ebpf) {
        jsonrpc_error_set_errno(err, EINVAL, NULL, "vnode %s/%s runs forwarding "
                                "plane \"%s\", which has no tables (only "
                                "\"ebpf\" has)", slice, sw, cls->name);
        return NULL;
    }
    return state;
}

RPC_HANDLER(vnode_table_dump)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *table;
    void *state = ebpf_params(rpc, params, MEMBERS("slice", "switch", "table"),
                              err);

    if (!state || opt_name(params, "table", &table, err)) {
        return EINVAL;
    }
    json_t *tables = fp_ebpf_table_dump(state, table, &dperr);
    if (!tables) {
        jsonrpc_error_set_errno(err, ENOENT, NULL, "%s", dperr.msg);
        return ENOENT;
    }
    *result = json_pack("{s:o}", "tables", tables);
    return 0;
}

RPC_HANDLER(vnode_table_set)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *table;
    void *state = ebpf_params(rpc, params, MEMBERS("slice", "switch", "table",
                                                   "key", "value"), err);

    if (!state || jsonrpc_param_name(params, "table", true, &table, err)) {
        return EINVAL;
    }
    if (!json_object_get(params, "key") || !json_object_get(params, "value")) {
        return bad_param(err, "vnode.table.set needs \"key\" and \"value\"");
    }
    int error = fp_ebpf_table_set(state, table, json_object_get(params, "key"),
                                  json_object_get(params, "value"), &dperr);
    return dp_outcome(rpc, error, &dperr, "vnode.table.set", err);
}

RPC_HANDLER(vnode_table_del)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *table;
    void *state = ebpf_params(rpc, params, MEMBERS("slice", "switch", "table",
                                                   "key"), err);

    if (!state || jsonrpc_param_name(params, "table", true, &table, err)) {
        return EINVAL;
    }
    if (!json_object_get(params, "key")) {
        return bad_param(err, "vnode.table.del needs \"key\"");
    }
    int error = fp_ebpf_table_del(state, table, json_object_get(params, "key"),
                                  &dperr);
    return dp_outcome(rpc, error, &dperr, "vnode.table.del", err);
}

RPC_HANDLER(vnode_del)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw;

    if (check_members(rpc, params, MEMBERS("slice", "switch"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_vnode_del(slice, sw, &dperr), &dperr,
                      "vnode.del", err);
}

RPC_HANDLER(vnode_list)
{
    return rpc_list(rpc_, params, "vnodes", true, true, result, err);
}

RPC_HANDLER(vnode_dump)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw;

    if (check_members(rpc, params, MEMBERS("slice", "switch"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)) {
        return EINVAL;
    }
    *result = dp_vnode_dump(slice, sw, &dperr);
    if (!*result) {
        jsonrpc_error_set_errno(err, ENOENT, NULL, "%s", dperr.msg[0]
                                ? dperr.msg : "no such vnode");
        return ENOENT;
    }
    return 0;
}

/* Parses one element of a "vlans" list, a VID or "FIRST-LAST" (a string
 * of digits counts as a VID, as `lamina vport add --vlans` sends them),
 * into 'set'. */
static int
parse_vlan_elem(const json_t *e, uint64_t *set, struct jsonrpc_error *err)
{
    long first, last;

    if (json_is_integer(e)) {
        first = last = (long) json_integer_value(e);
    } else if (json_is_string(e)) {
        const char *str = json_string_value(e);
        char *end;
        first = strtol(str, &end, 10);
        last = first;
        if (*end == '-' && end != str) {
            last = strtol(end + 1, &end, 10);
        }
        if (*end || end == str || !*str) {
            return bad_param(err, "\"vlans\": \"%s\" is neither a VID nor "
                             "a range FIRST-LAST", str);
        }
    } else {
        return bad_param(err, "\"vlans\" holds VIDs (integers) and "
                         "\"FIRST-LAST\" ranges");
    }
    if (first < 1 || last > 4094 || first > last) {
        return bad_param(err, "\"vlans\": %ld-%ld is not a range within "
                         "1..4094", first, last);
    }
    for (long v = first; v <= last; v++) {
        set[v / 64] |= UINT64_C(1) << (v % 64);
    }
    return 0;
}

/* Fills 'b' from vport.add's "vlan", "vlans" and "keep_tag". */
static int
parse_vport_binding(const json_t *params, struct dp_vport_binding *b,
                    struct jsonrpc_error *err)
{
    const json_t *jvlan = json_object_get(params, "vlan");
    const json_t *jvlans = json_object_get(params, "vlans");
    bool keep_tag = false;

    memset(b, 0, sizeof *b);
    b->kind = DP_BIND_UNTAGGED;
    b->vlan = -1;
    if (jsonrpc_param_bool(params, "keep_tag", false, &keep_tag, err)) {
        return EINVAL;
    }
    /* Untagged: absent, null or -1 (as a state file may say). */
    if (jvlan && !json_is_null(jvlan)
        && !(json_is_integer(jvlan) && json_integer_value(jvlan) == -1)) {
        uint64_t v;
        if (jsonrpc_param_uint(params, "vlan", true, 1, 4094, &v, err)) {
            return EINVAL;
        }
        b->kind = DP_BIND_VLAN;
        b->vlan = v;
    }
    if (jvlans && !json_is_null(jvlans)) {
        if (b->kind == DP_BIND_VLAN) {
            return bad_param(err, "give \"vlan\" or \"vlans\", not both");
        }
        if ((json_is_string(jvlans)
             && !strcmp(json_string_value(jvlans), "all"))
            || (json_is_array(jvlans) && json_array_size(jvlans) == 1
                && json_is_string(json_array_get(jvlans, 0))
                && !strcmp(json_string_value(json_array_get(jvlans, 0)),
                           "all"))) {
            b->kind = DP_BIND_PORT;
            return 0;               /* tags are always kept */
        }
        if (!json_is_array(jvlans) || !json_array_size(jvlans)) {
            return bad_param(err, "\"vlans\" must be \"all\" or a non-empty "
                             "list of VIDs and \"FIRST-LAST\" ranges");
        }
        size_t i;
        const json_t *e;
        json_array_foreach(jvlans, i, e) {
            if (parse_vlan_elem(e, b->vlans, err)) {
                return EINVAL;
            }
        }
        if (!keep_tag) {
            return bad_param(err, "\"vlans\": a set of VLANs keeps its tags "
                             "(the vnode must see which VLAN a frame is on): "
                             "add \"keep_tag\": true");
        }
        b->kind = DP_BIND_VLANS;
    } else if (keep_tag) {
        if (b->kind != DP_BIND_VLAN) {
            return bad_param(err, "\"keep_tag\" needs \"vlan\" or \"vlans\"");
        }
        b->kind = DP_BIND_VLANS;
        b->vlans[b->vlan / 64] |= UINT64_C(1) << (b->vlan % 64);
        b->vlan = -1;
    }
    return 0;
}

RPC_HANDLER(vport_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    struct dp_vport_binding b;
    const char *slice, *sw, *vport, *port;

    if (check_members(rpc, params, MEMBERS("slice", "switch", "vport", "port",
                                           "vlan", "vlans", "keep_tag"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)
        || jsonrpc_param_name(params, "vport", true, &vport, err)
        || jsonrpc_param_name(params, "port", true, &port, err)) {
        return EINVAL;
    }
    if (!strncmp(vport, "vl-", 3)) {
        return bad_param(err, "vport \"%s\": names starting with \"vl-\" are "
                         "kept for the ends of virtual links", vport);
    }
    if (parse_vport_binding(params, &b, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_vport_bind(slice, sw, vport, port, &b, &dperr),
                      &dperr, "vport.add", err);
}

RPC_HANDLER(vport_del)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *sw, *vport;

    if (check_members(rpc, params, MEMBERS("slice", "switch", "vport"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || param_vnode(params, &sw, err)
        || jsonrpc_param_name(params, "vport", true, &vport, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_vport_del(slice, sw, vport, &dperr), &dperr,
                      "vport.del", err);
}

RPC_HANDLER(vport_list)
{
    return rpc_list(rpc_, params, "vports", true, true, result, err);
}

/* ---- Virtual links ------------------------------------------------------ */

/* The border member 'member' of vlink.add ("border": the tail's,
 * "border_in": the head's of a transit link), {"port": NAME, "label": N},
 * into '*port' and '*label' (absent: left alone).  Returns 0 or EINVAL
 * with 'err'. */
static int
vlink_border_param(const json_t *params, const char *member, const char *vlink,
                   const char **port, uint32_t *label, struct jsonrpc_error *err)
{
    static const char *const allowed[] = { "port", "label", NULL };
    const json_t *border = json_object_get(params, member);
    uint64_t l = 0;

    if (!border || json_is_null(border)) {
        return 0;
    }
    if (!json_is_object(border)) {
        return bad_param(err, "vlink \"%s\": parameter \"%s\" must be an "
                         "object {\"port\", \"label\"}", vlink, member);
    }
    if (jsonrpc_params_check(border, allowed, err)
        || jsonrpc_param_name(border, "port", true, port, err)
        || jsonrpc_param_uint(border, "label", true, DP_MPLS_LABEL_MIN,
                              DP_MPLS_LABEL_MAX, &l, err)) {
        snprintf(err->message + strlen(err->message),
                 sizeof err->message - strlen(err->message), " (in %s)", member);
        return EINVAL;
    }
    *label = l;
    return 0;
}

/* Member 'key' of 'params': an array of 'min'..SWITCHD_MAX_PATH switch
 * names (vnode addresses at the ends), none twice in a row, into 'path' and '*n' (for vlink "name"). */
static int
vlink_path_param(const json_t *params, const char *key, const char *name,
                 size_t min, const char **path, size_t *n,
                 struct jsonrpc_error *err)
{
    const json_t *jpath = json_object_get(params, key);
    json_t *hop;
    size_t i;

    if (!json_is_array(jpath) || json_array_size(jpath) < min
        || json_array_size(jpath) > SWITCHD_MAX_PATH) {
        return bad_param(err, "vlink \"%s\": parameter \"%s\" must be an "
                         "array of %zu..%d switch names", name, key, min,
                         SWITCHD_MAX_PATH);
    }
    json_array_foreach(jpath, i, hop) {
        bool end = i == 0 || i + 1 == json_array_size(jpath);
        if (!json_is_string(hop)
            || !(end ? vnode_addr_is_valid(json_string_value(hop))
                     : name_is_valid(json_string_value(hop)))) {
            return bad_param(err, "vlink \"%s\": %s element %zu is not a "
                             "valid %s", name, key, i, end ? "vnode address "
                             "(SWITCH or SWITCH/NAME)" : "switch name");
        }
        path[i] = json_string_value(hop);
        if (i && !strcmp(path[i], path[i - 1])) {
            return bad_param(err, "vlink \"%s\": %s visits switch \"%s\" "
                             "twice in a row", name, key, path[i]);
        }
    }
    *n = json_array_size(jpath);
    return 0;
}

RPC_HANDLER(vlink_add)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_vlink_params p = { 0 };
    const char *path[SWITCHD_MAX_PATH], *backup[SWITCHD_MAX_PATH];
    struct dp_error dperr = { "" };
    uint64_t label = 0;
    bool has_bfd;
    int error;

    if (check_members(rpc, params, MEMBERS("slice", "name", "path", "label",
                                           "border", "border_in", "backup",
                                           "hold_ms", "backup_border", "bfd"),
                      err)
        || opt_u32(params, "hold_ms", 3600000, &p.hold_ms, err)
        || opt_bfd(params, "vlink.add", false, &p.bfd, &has_bfd, err)
        || jsonrpc_param_name(params, "slice", true, &p.slice, err)
        || jsonrpc_param_name(params, "name", true, &p.name, err)
        || opt_uint(params, "label", DP_MPLS_LABEL_MAX, &label, err)
        || vlink_border_param(params, "border", p.name, &p.border_port,
                              &p.border_label, err)
        || vlink_border_param(params, "border_in", p.name, &p.border_in_port,
                              &p.border_in_label, err)
        || vlink_border_param(params, "backup_border", p.name,
                              &p.backup_border_port, &p.backup_border_label,
                              err)) {
        return EINVAL;
    }
    if (label && label < DP_MPLS_LABEL_MIN) {
        return bad_param(err, "vlink \"%s\": label %llu is reserved (use "
                         "%d..%d, or 0 to allocate one)", p.name,
                         (unsigned long long) label, DP_MPLS_LABEL_MIN,
                         DP_MPLS_LABEL_MAX);
    }
    if (strlen(p.name) + 3 >= DP_NAME_LEN) {
        return bad_param(err, "vlink \"%s\": name longer than %d characters "
                         "(its vports are named \"vl-<name>\")", p.name,
                         DP_NAME_LEN - 4);
    }
    if (vlink_path_param(params, "path", p.name, p.border_port ? 1 : 2, path,
                         &p.n_path, err)) {
        return EINVAL;
    }
    if (json_object_get(params, "backup")) {
        if (vlink_path_param(params, "backup", p.name,
                             p.backup_border_port ? 1 : 2, backup, &p.n_backup,
                             err)) {
            return EINVAL;
        }
        p.backup = backup;
    }
    p.path = path;
    p.label = label;
    error = dp_outcome(rpc, dp_vlink_add(&p, &dperr), &dperr, "vlink.add",
                       err);
    if (!error && !rpc->replaying) {
        /* Answer with the vlink as configured: it shows the label. */
        json_t *all = config_select("vlinks", "slice", p.slice, "name",
                                    p.name, NULL);
        *result = json_incref(json_array_get(all, 0));
        json_decref(all);
    }
    return error;
}

RPC_HANDLER(vlink_del)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *slice, *name;

    if (check_members(rpc, params, MEMBERS("slice", "name"), err)
        || jsonrpc_param_name(params, "slice", true, &slice, err)
        || jsonrpc_param_name(params, "name", true, &name, err)) {
        return EINVAL;
    }
    return dp_outcome(rpc, dp_vlink_del(slice, name, &dperr), &dperr,
                      "vlink.del", err);
}

RPC_HANDLER(vlink_list)
{
    return rpc_list(rpc_, params, "vlinks", true, false, result, err);
}

/* ---- Introspection ------------------------------------------------------ */

/* capture.start {switch, port | vport "SLICE:VPORT", file, count?,
 * snaplen?}: frames of a port or vport into a pcapng file. */
RPC_HANDLER(capture_start)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    struct dp_capture_params cp = { .snaplen = 65535 };
    const char *vport = NULL;
    char slice[DP_NAME_LEN];
    int error;

    if (check_members(rpc, params, MEMBERS("switch", "port", "vport", "file",
                                           "count", "snaplen"), err)
        || jsonrpc_param_name(params, "switch", true, &cp.sw, err)
        || opt_name(params, "port", &cp.port, err)
        || (!param_is_null(params, "vport")
            && jsonrpc_param_string(params, "vport", false, &vport, err))
        || jsonrpc_param_string(params, "file", true, &cp.file, err)
        || opt_uint(params, "count", UINT32_MAX, &cp.count, err)
        || opt_u32(params, "snaplen", 65535, &cp.snaplen, err)) {
        return EINVAL;
    }
    if (!cp.port == !vport) {
        return bad_param(err, "give a port or a vport (SLICE:VPORT), not %s",
                         cp.port ? "both" : "neither");
    }
    if (vport) {
        const char *colon = strchr(vport, ':');
        if (!colon || (size_t) (colon - vport) >= sizeof slice) {
            return bad_param(err, "parameter \"vport\": \"%.80s\" is not "
                             "SLICE:VPORT", vport);
        }
        snprintf(slice, sizeof slice, "%.*s", (int) (colon - vport), vport);
        cp.slice = slice;
        cp.vport = colon + 1;
    }
    if (cp.file[0] != '/') {
        return bad_param(err, "parameter \"file\": \"%.80s\" is not an "
                         "absolute path", cp.file);
    }
    if (cp.snaplen < 64) {
        return bad_param(err, "parameter \"snaplen\": at least 64 bytes");
    }
    error = dp_capture_start(&cp, result, &dperr);
    if (error) {
        jsonrpc_error_set_errno(err, error, NULL, "%s", dperr.msg);
    }
    return error;
}

/* trace.live {switch, port, count}: traces the next 'count' (1..100)
 * frames received on the port as they arrive (a capture whose frames are
 * traced instead of written); `capture.list` / `capture.stop` show the
 * traces. */
RPC_HANDLER(trace_live)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    struct dp_capture_params cp = { .snaplen = 65535, .trace = true };
    int error;

    if (check_members(rpc, params, MEMBERS("switch", "port", "count"), err)
        || jsonrpc_param_name(params, "switch", true, &cp.sw, err)
        || jsonrpc_param_name(params, "port", true, &cp.port, err)
        || jsonrpc_param_uint(params, "count", true, 1, 100, &cp.count,
                              err)) {
        return EINVAL;
    }
    error = dp_capture_start(&cp, result, &dperr);
    if (error) {
        jsonrpc_error_set_errno(err, error, NULL, "%s", dperr.msg);
    }
    return error;
}

/* capture.stop {id}: stops a capture, writing what is left ('id' an
 * integer or its decimal string). */
RPC_HANDLER(capture_stop)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    uint64_t id;
    int error;

    const char *sid = json_string_value(json_object_get(params, "id"));
    if (check_members(rpc, params, MEMBERS("id"), err)) {
        return EINVAL;
    }
    if (sid) {      /* the CLI's positional arguments are strings */
        char *end;
        id = strtoull(sid, &end, 10);
        if (!*sid || *end || !id || id > UINT32_MAX) {
            return bad_param(err, "parameter \"id\": \"%.40s\" is not a "
                             "capture id", sid);
        }
    } else if (jsonrpc_param_uint(params, "id", true, 1, UINT32_MAX, &id,
                                  err)) {
        return EINVAL;
    }
    error = dp_capture_stop(id, result, &dperr);
    if (error) {
        jsonrpc_error_set_errno(err, error, NULL, "%s", dperr.msg);
    }
    return error;
}

RPC_HANDLER(capture_list)
{
    if (check_members(rpc_, params, MEMBERS("id"), err)) {
        return EINVAL;
    }
    *result = json_pack("{s:o}", "captures", dp_capture_list());
    return 0;
}

/* trace.packet {switch, port, packet}: the path of a described frame
 * (lib/pktdesc.h), without sending it (dp_trace_packet()). */
RPC_HANDLER(trace_packet)
{
    struct switchd_rpc *rpc = rpc_;
    struct dp_error dperr = { "" };
    const char *sw, *port, *desc;
    uint8_t frame[PKTDESC_MAX_LEN];
    size_t len;
    char msg[256];

    if (check_members(rpc, params, MEMBERS("switch", "port", "packet"), err)
        || jsonrpc_param_name(params, "switch", true, &sw, err)
        || jsonrpc_param_name(params, "port", true, &port, err)
        || jsonrpc_param_string(params, "packet", true, &desc, err)) {
        return EINVAL;
    }
    if (pktdesc_build(desc, frame, &len, msg, sizeof msg)) {
        return bad_param(err, "parameter \"packet\": %s", msg);
    }
    *result = dp_trace_packet(sw, port, frame, len, &dperr);
    if (!*result) {
        jsonrpc_error_set_errno(err, ENOENT, NULL, "%s", dperr.msg);
        return ENOENT;
    }
    return 0;
}

RPC_HANDLER(bfd_list)
{
    if (check_members(rpc_, params, MEMBERS(NULL), err)) {
        return EINVAL;
    }
    *result = dp_bfd_list();
    return 0;
}

RPC_HANDLER(stats_get)
{
    static const char *const kinds[] = { "port", "slice", "vnode", "queue",
                                         "link", NULL };
    struct switchd_rpc *rpc = rpc_;
    const char *kind = NULL, *name;
    bool known = false;

    if (check_members(rpc, params, MEMBERS("kind", "name"), err)
        || (!param_is_null(params, "kind")
            && jsonrpc_param_string(params, "kind", false, &kind, err))
        || opt_name(params, "name", &name, err)) {
        return EINVAL;
    }
    for (size_t i = 0; kind && kinds[i]; i++) {
        known |= !strcmp(kind, kinds[i]);
    }
    if (kind && !known) {
        return bad_param(err, "parameter \"kind\": \"%.40s\" is not one of "
                         "port, slice, vnode, queue, link", kind);
    }
    *result = dp_stats_to_json(kind, name);
    if (!*result) {
        jsonrpc_error_set(err, JSONRPC_INTERNAL_ERROR,
                          "the dataplane returned no counters");
        return EIO;
    }
    return 0;
}

/* Answers the configuration as saved, but with the vnodes' OpenFlow
 * secrets replaced by "(set)", as the slicer's config.get does: reading
 * the configuration is not being the slice's controller. */
RPC_HANDLER(config_get)
{
    struct switchd_rpc *rpc = rpc_;
    json_t *vn;
    size_t i;

    if (check_members(rpc, params, (const char *const[]) { NULL }, err)) {
        return EINVAL;
    }
    *result = dp_config_to_json();
    json_array_foreach(json_object_get(*result, "vnodes"), i, vn) {
        json_t *config = json_object_get(vn, "config");
        static const char *const keys[] = { "secret", "switch_secret" };
        for (size_t k = 0; k < 2; k++) {
            if (json_is_string(json_object_get(config, keys[k]))) {
                json_object_set_new(config, keys[k], json_string("(set)"));
            }
        }
    }
    return 0;
}

RPC_HANDLER(workers_get)
{
    struct switchd_rpc *rpc = rpc_;

    if (check_members(rpc, params, (const char *const[]) { NULL }, err)) {
        return EINVAL;
    }
    *result = dp_workers_to_json();
    return 0;
}

RPC_HANDLER(daemon_version)
{
    struct switchd_rpc *rpc = rpc_;

    if (check_members(rpc, params, (const char *const[]) { NULL }, err)) {
        return EINVAL;
    }
    *result = json_pack("{s:s, s:s, s:i, s:s?, s:s?, s:I, s:i, s:i}",
                        "version", LAMINA_VERSION,
                        "dpdk", rpc->dpdk_version ? rpc->dpdk_version : "",
                        "pid", (int) getpid(),
                        "socket", rpc->socket_path,
                        "state", rpc->state_path,
                        "uptime_ms", (json_int_t) (time_ms() - rpc->start_ms),
                        "changes", (int) rpc->n_changes,
                        "state_save_errors", (int) rpc->n_save_errors);
    return 0;
}

const struct jsonrpc_method switchd_rpc_methods[] = {
    { "switch.add", switch_add, "add a substrate switch {name, workers: "
      "worker lcores serving it (default 1)}" },
    { "switch.del", switch_del, "delete an empty switch {name}" },
    { "switch.list", switch_list, "list switches" },
    { "port.add", port_add,
      "add a DPDK port {switch, name, devargs, rate_bps?, queue_len?, "
      "delay_us?, loss_ppm?}" },
    { "port.del", port_del, "delete a port {switch, name}" },
    { "port.set", port_set,
      "set a port's emulation or state {switch, name, rate_bps?, delay_us?, "
      "loss_ppm?, up?}" },
    { "port.list", port_list, "list ports {switch?}" },
    { "link.add", link_add, "link two switches {name, sw_a, port_a, sw_b, "
      "port_b, devargs_a?, devargs_b?, rate_bps?, delay_us?, loss_ppm?, "
      "up?}" },
    { "link.set", link_set,
      "change a link {name, rate_bps?, delay_us?, loss_ppm?, up?}" },
    { "link.del", link_del, "delete a link {name}" },
    { "link.list", link_list, "list links" },
    { "slice.add", slice_add, "add a slice {name, guarantee_bps?, "
      "ceiling_bps?, policer_bps?, policer_burst?, budget?, mbuf_quota?, "
      "table_quota?, gso_quota?}" },
    { "slice.set", slice_set, "change a slice's limits (same params)" },
    { "slice.del", slice_del, "delete a slice and all it holds {name}" },
    { "slice.list", slice_list, "list slices" },
    { "queue.set", queue_set, "set a (slice, port) queue {slice, switch, "
      "port, guarantee_bps, ceiling_bps?}" },
    { "queue.list", queue_list, "list queue overrides {slice?, switch?}" },
    { "vnode.add", vnode_add,
      "add a vnode {slice, switch, fp?, config?, program?}" },
    { "vnode.set", vnode_set, "change a vnode's live forwarding plane, e.g. "
      "swap its eBPF program {slice, switch, config?, program?}" },
    { "vnode.table.dump", vnode_table_dump,
      "an ebpf vnode's tables {slice, switch, table?}" },
    { "vnode.table.set", vnode_table_set,
      "set an entry of an ebpf vnode's table {slice, switch, table, key, value}" },
    { "vnode.table.del", vnode_table_del,
      "delete an entry of an ebpf vnode's table {slice, switch, table, key}" },
    { "vnode.del", vnode_del, "delete a vnode {slice, switch}" },
    { "vnode.list", vnode_list, "list vnodes {slice?, switch?}" },
    { "vnode.dump", vnode_dump,
      "a vnode's forwarding state (MAC table) {slice, switch}" },
    { "vport.add", vport_add,
      "bind a vport to a port {slice, switch, vport, port, vlan?, vlans?, "
      "keep_tag?}" },
    { "vport.del", vport_del, "delete a vport {slice, switch, vport}" },
    { "vport.list", vport_list, "list vports {slice?, switch?}" },
    { "vlink.add", vlink_add,
      "add a virtual link {slice, name, path: [switch...], label?, "
      "border?: {port, label}, border_in?: {port, label}, backup?: "
      "[switch...], hold_ms?, backup_border?: {port, label}, bfd?: {tx_ms, "
      "rx_ms, multiplier} (end-to-end, on both paths)}" },
    { "vlink.del", vlink_del, "delete a virtual link {slice, name}" },
    { "vlink.list", vlink_list, "list virtual links {slice?}" },
    { "stats.get", stats_get, "counters {kind?, name?}" },
    { "bfd.list", bfd_list, "BFD sessions of ports and links: state, "
      "timers, counters, last detection time" },
    { "capture.start", capture_start, "capture a port or vport into a "
      "pcapng file {switch, port | vport, file, count?, snaplen?}" },
    { "capture.stop", capture_stop, "stop a capture {id}" },
    { "capture.list", capture_list, "list captures" },
    { "trace.live", trace_live, "trace the next frames received on a port "
      "{switch, port, count}" },
    { "trace.packet", trace_packet, "the path of a frame, without sending "
      "it {switch, port, packet}" },
    { "config.get", config_get, "the whole configuration" },
    { "workers.get", workers_get, "worker lcore load" },
    { "daemon.version", daemon_version, "versions, pid, paths, uptime" },
    { NULL, NULL, NULL },
};
