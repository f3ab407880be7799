/*
 * slicer_rpc: lamina-slicer's JSON-RPC methods and its state file.
 *
 * Methods (params as in docs/slicer.md):
 *   slice.add, slice.set, slice.del, slice.list
 *   flowspace.add, flowspace.del, flowspace.list
 *   switch.list, stats.get, config.get
 *
 * Every change is validated before it is applied (slicer_config.c) and is
 * listed at once.  The state file holds the params each slice and
 * flowspace entry was created with (plus the tag the slice was given, so
 * the cookies of flows already on the switches keep their owner), and is
 * written after each request that changed something, before the answer
 * (lib/statefile.h); a change that cannot be saved is undone and refused.
 * Restoring replays the entries through these same methods.
 */
#include "slicer_pvt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowspace.h"
#include "log.h"
#include "util.h"

static int
app_error(struct jsonrpc_error *err, int error, const char *field,
          const char *msg)
{
    if (error == EINVAL) {
        jsonrpc_error_set(err, JSONRPC_INVALID_PARAMS, "%s", msg);
        if (field) {
            err->data = json_pack("{s:s}", "field", field);
        }
    } else {
        jsonrpc_error_set_errno(err, error, field, "%s", msg);
    }
    return error;
}

static json_t *
slice_json(const struct slice *s)
{
    json_t *o = json_deep_copy(s->spec), *dps = json_array();
    char buf[32];

    json_object_del(o, "secret");
    json_object_set_new(o, "has_secret", json_boolean(s->secret[0]));
    json_object_set_new(o, "open", json_boolean(s->open));
    json_object_set_new(o, "tag", json_integer(s->tag));
    for (size_t i = 0; i < s->n_dps; i++) {
        const struct slice_dp *dp = &s->dps[i];
        json_t *ports = json_array();
        json_t *d = json_object();
        for (size_t k = 0; k < dp->n_ports; k++) {
            json_array_append_new(ports, json_pack("{s:I,s:I}", "port",
                                                   (json_int_t) dp->ports[k].phys,
                                                   "vport",
                                                   (json_int_t) dp->ports[k].virt));
        }
        snprintf(buf, sizeof buf, "%#018" PRIx64, dp->dpid);
        json_object_set_new(d, "dpid", json_string(buf));
        snprintf(buf, sizeof buf, "%#018" PRIx64, dp->vdpid);
        json_object_set_new(d, "vdpid", json_string(buf));
        json_object_set_new(d, "ports", ports);
        json_array_append_new(dps, d);
    }
    json_object_set_new(o, "datapaths", dps);
    return o;
}

static json_t *
fs_json(const struct fs_entry *e)
{
    json_t *o = json_object(), *m = json_array();
    char buf[32];

    json_object_set_new(o, "name", json_string(e->name));
    json_object_set_new(o, "slice", json_string(e->slice->name));
    if (e->dpid) {
        snprintf(buf, sizeof buf, "%#018" PRIx64, e->dpid);
        json_object_set_new(o, "dpid", json_string(buf));
    } else {
        json_object_set_new(o, "dpid", json_string("any"));
    }
    json_object_set_new(o, "priority", json_integer(e->priority));
    json_object_set_new(o, "allow_overlap", json_boolean(e->allow_overlap));
    json_object_set_new(o, "match", json_deep_copy(json_object_get(e->spec,
                                                                   "match")));
    for (size_t i = 0; i < e->n_matches; i++) {
        char *t = fs_match_to_string(&e->matches[i]);
        json_array_append_new(m, json_string(t));
        free(t);
    }
    json_object_set_new(o, "matches", m);
    return o;
}

static const char *const slice_keys[] = {
    "name", "controller", "switches", "secret", "open", "max_flows", "rate",
    "burst", "queue", "bandwidth_bps", "tag", NULL,
};

static int
rpc_slice_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
              void *aux)
{
    struct slicer *s = aux;
    struct slice *slice;
    const char *field;
    char msg[512];
    int error;

    if (jsonrpc_params_check(params, slice_keys, err)) {
        return EINVAL;
    }
    error = slicer_slice_add(&s->cfg, params, &slice, msg, sizeof msg, &field);
    if (error) {
        return app_error(err, error, field, msg);
    }
    /* Without a secret or a certificate (ssl:), whoever listens on the
     * controller address becomes the slice's controller: only when said
     * so.  (A state file of an older slicer has such slices: they are
     * restored as open, and said.) */
    if (!slice->secret[0] && !slice->open && strncmp(slice->controller, "ssl:", 4)) {
        if (!s->replaying) {
            slicer_slice_remove(&s->cfg, slice);
            return app_error(err, EINVAL, "secret", "a slice needs --secret S "
                             "(its controller presents it), an ssl: controller, "
                             "or --open (whoever listens on its controller "
                             "address then controls it)");
        }
        slice->open = true;
        json_object_set_new(slice->spec, "open", json_true());
        LOG_WARN("slicer", "slice %s has no secret: restored as open", slice->name);
    }
    /* The tag is part of the slice's identity on the switches. */
    json_object_set_new(slice->spec, "tag", json_integer(slice->tag));
    slicer_slice_added(s, slice);
    LOG_INFO("slicer", "slice %s added (tag %u, controller %s)", slice->name,
             slice->tag, slice->controller);
    *result = slice_json(slice);
    return 0;
}

static int
rpc_slice_set(const json_t *params, json_t **result, struct jsonrpc_error *err,
              void *aux)
{
    static const char *const keys[] = { "name", "max_flows", "rate", "burst",
                                        "secret", NULL };
    struct slicer *s = aux;
    const char *name = NULL, *secret = NULL;
    uint64_t v;
    struct slice *slice;

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "name", true, &name, err)
        || jsonrpc_param_string(params, "secret", false, &secret, err)) {
        return EINVAL;
    }
    slice = slicer_slice_find(&s->cfg, name);
    if (!slice) {
        return app_error(err, ENOENT, "name", "no such slice");
    }
    for (const char *const *k = keys + 1; *k && strcmp(*k, "secret"); k++) {
        if (!json_object_get(params, *k)) {
            continue;
        }
        if (jsonrpc_param_uint(params, *k, false, 0, UINT32_MAX, &v, err)) {
            return EINVAL;
        }
        if (!strcmp(*k, "max_flows")) {
            slice->max_flows = v;
        } else if (!strcmp(*k, "rate")) {
            slice->rate = v;
        } else {
            slice->burst = v;
        }
        json_object_set_new(slice->spec, *k, json_integer(v));
    }
    if (secret) {
        char why[128];
        if (!*secret && !slice->open && strncmp(slice->controller, "ssl:", 4)) {
            return app_error(err, EINVAL, "secret", "slice is not open: it "
                             "keeps a secret (delete and add it with --open)");
        }
        if (*secret && ofauth_secret_check(secret, why, sizeof why)) {
            return app_error(err, EINVAL, "secret", why);
        }
        str_copy(slice->secret, secret, sizeof slice->secret);
        json_object_set_new(slice->spec, "secret", json_string(secret));
    }
    token_bucket_init(&slice->bucket, slice->rate, slice->burst, time_ns());
    s->changed = true;
    *result = slice_json(slice);
    return 0;
}

static int
rpc_slice_del(const json_t *params, json_t **result, struct jsonrpc_error *err,
              void *aux)
{
    static const char *const keys[] = { "name", NULL };
    struct slicer *s = aux;
    const char *name;
    struct slice *slice;

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "name", true, &name, err)) {
        return EINVAL;
    }
    slice = slicer_slice_find(&s->cfg, name);
    if (!slice) {
        return app_error(err, ENOENT, "name", "no such slice");
    }
    slicer_slice_removing(s, slice);
    slicer_slice_remove(&s->cfg, slice);
    LOG_INFO("slicer", "slice %s deleted", name);
    *result = NULL;
    return 0;
}

static int
rpc_slice_list(const json_t *params, json_t **result,
               struct jsonrpc_error *err, void *aux)
{
    struct slicer *s = aux;
    json_t *a = json_array();

    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        json_array_append_new(a, slice_json(s->cfg.slices[i]));
    }
    *result = json_pack("{s:o}", "slices", a);
    return 0;
}

static int
rpc_fs_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
           void *aux)
{
    static const char *const keys[] = { "name", "slice", "match", "dpid",
                                        "priority", "allow_overlap", NULL };
    struct slicer *s = aux;
    struct fs_entry *e;
    const char *field;
    char msg[512];
    int error;

    if (jsonrpc_params_check(params, keys, err)) {
        return EINVAL;
    }
    error = slicer_fs_add(&s->cfg, params, &e, msg, sizeof msg, &field);
    if (error) {
        return app_error(err, error, field, msg);
    }
    s->changed = true;
    *result = fs_json(e);
    return 0;
}

static int
rpc_fs_del(const json_t *params, json_t **result, struct jsonrpc_error *err,
           void *aux)
{
    static const char *const keys[] = { "name", NULL };
    struct slicer *s = aux;
    const char *name;
    struct fs_entry *e;

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "name", true, &name, err)) {
        return EINVAL;
    }
    e = slicer_fs_find(&s->cfg, name);
    if (!e) {
        return app_error(err, ENOENT, "name", "no such flowspace entry");
    }
    slicer_fs_removing(s, e);
    slicer_fs_remove(&s->cfg, e);
    *result = NULL;
    return 0;
}

static int
rpc_fs_list(const json_t *params, json_t **result, struct jsonrpc_error *err,
            void *aux)
{
    static const char *const keys[] = { "slice", NULL };
    struct slicer *s = aux;
    const char *slice = NULL;
    json_t *a = json_array();

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "slice", false, &slice, err)) {
        json_decref(a);
        return EINVAL;
    }
    if (slice && !slicer_slice_find(&s->cfg, slice)) {
        json_decref(a);
        return app_error(err, ENOENT, "slice", "no such slice");
    }
    for (size_t i = 0; i < s->cfg.n_fs; i++) {
        if (!slice || !strcmp(s->cfg.fs[i]->slice->name, slice)) {
            json_array_append_new(a, fs_json(s->cfg.fs[i]));
        }
    }
    *result = json_pack("{s:o}", "flowspace", a);
    return 0;
}

static int
rpc_switch_list(const json_t *params, json_t **result,
                struct jsonrpc_error *err, void *aux)
{
    *result = json_pack("{s:o}", "switches", slicer_switches_json(aux));
    return 0;
}

static int
rpc_stats(const json_t *params, json_t **result, struct jsonrpc_error *err,
          void *aux)
{
    *result = slicer_stats_json(aux);
    return 0;
}

/* "binding.add" {dpid, id}: binds a datapath id to a credential (a
 * restart replays the switches' bindings through it; an operator may
 * bind a certificate's fingerprint ahead of the switch). */
static int
rpc_binding_add(const json_t *params, json_t **result, struct jsonrpc_error *err,
                void *aux)
{
    static const char *const keys[] = { "dpid", "id", NULL };
    struct slicer *s = aux;
    const char *dpid_s, *id;
    uint64_t dpid;

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "dpid", true, &dpid_s, err)
        || jsonrpc_param_string(params, "id", true, &id, err)) {
        return EINVAL;
    }
    if (!slicer_parse_dpid(dpid_s, &dpid) || !dpid) {
        return app_error(err, EINVAL, "dpid", "not a datapath id");
    }
    if ((strncmp(id, "sha256:", 7) && strncmp(id, "secret-sha256:", 14))
        || strlen(id) >= sizeof s->bindings->id) {
        return app_error(err, EINVAL, "id", "a credential is \"sha256:HEX\" "
                         "(a certificate) or \"secret-sha256:HEX\"");
    }
    if (slicer_binding_add(s, dpid, id)) {
        return app_error(err, EEXIST, "dpid", "bound to another credential "
                         "(binding.del it first)");
    }
    s->changed = true;
    *result = json_object();
    return 0;
}

/* "binding.del" {dpid}: forgets a binding (a switch replaced for good). */
static int
rpc_binding_del(const json_t *params, json_t **result, struct jsonrpc_error *err,
                void *aux)
{
    static const char *const keys[] = { "dpid", NULL };
    struct slicer *s = aux;
    const char *dpid_s;
    uint64_t dpid;

    if (jsonrpc_params_check(params, keys, err)
        || jsonrpc_param_string(params, "dpid", true, &dpid_s, err)) {
        return EINVAL;
    }
    if (!slicer_parse_dpid(dpid_s, &dpid) || !slicer_binding_del(s, dpid)) {
        return app_error(err, ENOENT, "dpid", "no such binding");
    }
    s->changed = true;
    *result = json_object();
    return 0;
}

/* The bindings as the state file holds them. */
static json_t *
bindings_json(const struct slicer *s)
{
    json_t *a = json_array();
    char buf[32];

    for (size_t i = 0; i < s->n_bindings; i++) {
        snprintf(buf, sizeof buf, "%#" PRIx64, s->bindings[i].dpid);
        json_array_append_new(a, json_pack("{s:s,s:s}", "dpid", buf, "id",
                                           s->bindings[i].id));
    }
    return a;
}

static int
rpc_binding_list(const json_t *params, json_t **result,
                 struct jsonrpc_error *err, void *aux)
{
    *result = json_pack("{s:o}", "bindings", bindings_json(aux));
    return 0;
}

json_t *
slicer_config_json(struct slicer *s)
{
    json_t *slices = json_array(), *fs = json_array();

    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        json_array_append(slices, s->cfg.slices[i]->spec);
    }
    for (size_t i = 0; i < s->cfg.n_fs; i++) {
        json_array_append(fs, s->cfg.fs[i]->spec);
    }
    return json_pack("{s:o,s:o,s:o}", "slices", slices, "flowspace", fs,
                     "bindings", bindings_json(s));
}

/* Answers the configuration as saved, but with each secret replaced by
 * "(set)": whoever may read the configuration need not be able to act as
 * a slice's controller. */
static int
rpc_config(const json_t *params, json_t **result, struct jsonrpc_error *err,
           void *aux)
{
    json_t *cfg = slicer_config_json(aux);
    json_t *slices, *slice;
    size_t i;

    /* A deep copy: the configuration holds the slices' own specs. */
    *result = json_deep_copy(cfg);
    json_decref(cfg);
    slices = json_object_get(*result, "slices");
    json_array_foreach(slices, i, slice) {
        const char *secret = json_string_value(json_object_get(slice,
                                                               "secret"));
        if (secret && *secret) {
            json_object_set_new(slice, "secret", json_string("(set)"));
        }
    }
    return 0;
}

const struct jsonrpc_method slicer_rpc_methods[] = {
    { "slice.add", rpc_slice_add, "add a slice: name, controller, switches, "
      "[secret, max_flows, rate, burst, queue, bandwidth_bps, tag]" },
    { "slice.set", rpc_slice_set, "change a slice's limits or secret" },
    { "slice.del", rpc_slice_del, "delete a slice, its flowspace and flows" },
    { "slice.list", rpc_slice_list, "list slices" },
    { "flowspace.add", rpc_fs_add, "add a flowspace entry: name, slice, "
      "match, [dpid, priority, allow_overlap]" },
    { "flowspace.del", rpc_fs_del, "delete a flowspace entry" },
    { "flowspace.list", rpc_fs_list, "list flowspace entries" },
    { "switch.list", rpc_switch_list, "list connected switches" },
    { "binding.add", rpc_binding_add, "bind a datapath id to a credential: "
      "dpid, id" },
    { "binding.del", rpc_binding_del, "forget a datapath id's credential" },
    { "binding.list", rpc_binding_list, "datapath ids and their credentials" },
    { "stats.get", rpc_stats, "per-slice counters" },
    { "config.get", rpc_config, "the configuration, as saved" },
    { NULL, NULL, NULL },
};

/* ---- State file ---------------------------------------------------------- */

#define IDS(...) ((const char *const[]) { __VA_ARGS__, NULL })

static const struct statefile_section slicer_state_sections[] = {
    { "slices", "slice.add", "slice.del", "slice.set", IDS("name"),
      IDS("max_flows", "rate", "burst", "secret"), NULL },
    { "flowspace", "flowspace.add", "flowspace.del", NULL, IDS("name"),
      NULL, NULL },
    { "bindings", "binding.add", "binding.del", NULL, IDS("dpid"), NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static json_t *
slicer_current(void *s)
{
    return slicer_config_json(s);
}

const struct statefile_schema slicer_state_schema = {
    .what = "state file",
    .sections = slicer_state_sections,
    .is_derived = NULL,
    .current = slicer_current,
};
