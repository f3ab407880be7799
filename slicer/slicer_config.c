/*
 * slicer_config: slices and flowspace, validated as they are created.
 * See slicer.h.
 */
#include "slicer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowspace.h"
#include "ofstream.h"
#include "util.h"

/* ---- Flow table ------------------------------------------------------- */

void
flow_table_init(struct flow_table *t)
{
    t->n_buckets = 64;
    t->buckets = xcalloc(t->n_buckets, sizeof *t->buckets);
    t->n = 0;
}

void
flow_table_destroy(struct flow_table *t)
{
    if (!t || !t->buckets) {
        return;
    }
    for (size_t i = 0; i < t->n_buckets; i++) {
        for (struct flow_rec *r = t->buckets[i], *next; r; r = next) {
            next = r->next;
            free(r);
        }
    }
    free(t->buckets);
    t->buckets = NULL;
    t->n = 0;
}

uint64_t
flow_key_hash(uint8_t table_id, uint16_t priority, const uint8_t *key,
              size_t key_len)
{
    /* FNV-1a over the key, seeded with table and priority. */
    uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t) table_id << 16 | priority);
    for (size_t i = 0; i < key_len; i++) {
        h = (h ^ key[i]) * 0x100000001b3ULL;
    }
    return h;
}

struct flow_rec *
flow_table_find(const struct flow_table *t, uint8_t table_id,
                uint16_t priority, const uint8_t *key, size_t key_len,
                uint64_t hash)
{
    for (struct flow_rec *r = t->buckets[hash & (t->n_buckets - 1)]; r;
         r = r->next) {
        if (r->hash == hash && r->table_id == table_id
            && r->priority == priority && r->key_len == key_len
            && !memcmp(r->data, key, key_len)) {
            return r;
        }
    }
    return NULL;
}

static void
flow_table_grow(struct flow_table *t)
{
    size_t n = t->n_buckets * 4;
    struct flow_rec **b = xcalloc(n, sizeof *b);

    for (size_t i = 0; i < t->n_buckets; i++) {
        for (struct flow_rec *r = t->buckets[i], *next; r; r = next) {
            next = r->next;
            r->next = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->n_buckets = n;
}

void
flow_table_put(struct flow_table *t, uint8_t table_id, uint16_t priority,
               uint16_t ctrl_flags, const uint8_t *key, size_t key_len,
               const uint8_t *msg, size_t msg_len)
{
    uint64_t hash = flow_key_hash(table_id, priority, key, key_len);
    struct flow_rec *old = flow_table_find(t, table_id, priority, key,
                                           key_len, hash);
    struct flow_rec *r;

    if (old) {
        flow_table_remove(t, old);
    }
    r = xmalloc(sizeof *r + key_len + msg_len);
    r->hash = hash;
    r->table_id = table_id;
    r->priority = priority;
    r->ctrl_flags = ctrl_flags;
    r->key_len = key_len;
    r->msg_len = msg_len;
    memcpy(r->data, key, key_len);
    memcpy(r->data + key_len, msg, msg_len);
    if (t->n >= t->n_buckets) {
        flow_table_grow(t);
    }
    r->next = t->buckets[hash & (t->n_buckets - 1)];
    t->buckets[hash & (t->n_buckets - 1)] = r;
    t->n++;
}

void
flow_table_remove(struct flow_table *t, struct flow_rec *rec)
{
    struct flow_rec **p = &t->buckets[rec->hash & (t->n_buckets - 1)];

    for (; *p; p = &(*p)->next) {
        if (*p == rec) {
            *p = rec->next;
            free(rec);
            t->n--;
            return;
        }
    }
}

/* ---- Token bucket ----------------------------------------------------- */

void
token_bucket_init(struct token_bucket *tb, double rate, double burst,
                  uint64_t now_ns)
{
    tb->rate = rate;
    tb->burst = burst > 0 ? burst : (rate > 1 ? rate : 1);
    tb->tokens = tb->burst;
    tb->last_ns = now_ns;
}

bool
token_bucket_take(struct token_bucket *tb, uint64_t now_ns)
{
    if (tb->rate <= 0) {
        return true;
    }
    if (now_ns > tb->last_ns) {
        tb->tokens += (now_ns - tb->last_ns) * 1e-9 * tb->rate;
        if (tb->tokens > tb->burst) {
            tb->tokens = tb->burst;
        }
        tb->last_ns = now_ns;
    }
    if (tb->tokens >= 1.0) {
        tb->tokens -= 1.0;
        return true;
    }
    return false;
}

/* ---- Helpers ---------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
cfg_error(int error, char *msg, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, size, fmt, args);
    va_end(args);
    return error;
}

bool
slicer_parse_dpid(const char *s, uint64_t *dpid)
{
    char *end;

    if (!s || !*s || *s == '-') {
        return false;
    }
    if (strchr(s, ':')) {
        unsigned int b[8];
        char extra;
        if (sscanf(s, "%x:%x:%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2],
                   &b[3], &b[4], &b[5], &b[6], &b[7], &extra) != 8) {
            return false;
        }
        *dpid = 0;
        for (int i = 0; i < 8; i++) {
            if (b[i] > 255) {
                return false;
            }
            *dpid = (*dpid << 8) | b[i];
        }
        return true;
    }
    errno = 0;
    *dpid = strtoull(s, &end, 0);
    return !errno && !*end;
}

struct slice_dp *
slice_dp_find(const struct slice *s, uint64_t dpid)
{
    for (size_t i = 0; i < s->n_dps; i++) {
        if (s->dps[i].dpid == dpid) {
            return &s->dps[i];
        }
    }
    return NULL;
}

struct slice_dp *
slice_dp_find_virtual(const struct slice *s, uint64_t vdpid)
{
    for (size_t i = 0; i < s->n_dps; i++) {
        if (s->dps[i].vdpid == vdpid) {
            return &s->dps[i];
        }
    }
    return NULL;
}

uint32_t
slice_dp_phys_port(const struct slice_dp *dp, uint32_t virt)
{
    for (size_t i = 0; i < dp->n_ports; i++) {
        if (dp->ports[i].virt == virt) {
            return dp->ports[i].phys;
        }
    }
    return 0;
}

uint32_t
slice_dp_virt_port(const struct slice_dp *dp, uint32_t phys)
{
    for (size_t i = 0; i < dp->n_ports; i++) {
        if (dp->ports[i].phys == phys) {
            return dp->ports[i].virt;
        }
    }
    return 0;
}

void
slicer_config_init(struct slicer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tag_shift = 48;
}

static void
slice_free(struct slice *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_dps; i++) {
        free(s->dps[i].ports);
        flow_table_destroy(&s->dps[i].flows);
        free(s->dps[i].groups);
        free(s->dps[i].meters);
    }
    free(s->dps);
    json_decref(s->spec);
    free(s);
}

static void
fs_free(struct fs_entry *e)
{
    if (e) {
        free(e->matches);
        json_decref(e->spec);
        free(e);
    }
}

void
slicer_config_destroy(struct slicer_config *cfg)
{
    for (size_t i = 0; i < cfg->n_fs; i++) {
        fs_free(cfg->fs[i]);
    }
    for (size_t i = 0; i < cfg->n_slices; i++) {
        slice_free(cfg->slices[i]);
    }
    free(cfg->fs);
    free(cfg->slices);
    memset(cfg, 0, sizeof *cfg);
}

struct slice *
slicer_slice_find(const struct slicer_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_slices; i++) {
        if (!strcmp(cfg->slices[i]->name, name)) {
            return cfg->slices[i];
        }
    }
    return NULL;
}

struct slice *
slicer_slice_by_tag(const struct slicer_config *cfg, uint16_t tag)
{
    for (size_t i = 0; i < cfg->n_slices; i++) {
        if (cfg->slices[i]->tag == tag) {
            return cfg->slices[i];
        }
    }
    return NULL;
}

/* A controller target: "tcp:HOST[:PORT]" or "ssl:HOST[:PORT]" (ofstream.h).
 * Returns 0 or EINVAL with the reason in 'msg'. */
static int
controller_check(const char *s, char *msg, size_t size)
{
    struct ofstream_target t;
    char why[384];

    if (!s) {
        return cfg_error(EINVAL, msg, size, "controller must be a string, "
                         "tcp:HOST[:PORT] or ssl:HOST[:PORT]");
    }
    if (strlen(s) >= sizeof ((struct slice *) NULL)->controller) {
        return cfg_error(EINVAL, msg, size, "controller longer than %zu bytes",
                         sizeof ((struct slice *) NULL)->controller - 1);
    }
    if (ofstream_target_parse(s, &t, why, sizeof why)) {
        return cfg_error(EINVAL, msg, size, "controller %s", why);
    }
    if (t.passive) {
        return cfg_error(EINVAL, msg, size, "controller \"%s\" must be active: "
                         "tcp:HOST[:PORT] or ssl:HOST[:PORT]", s);
    }
    return 0;
}

static bool
parse_port_no(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long x;

    if (!*s || *s == '-') {
        return false;
    }
    errno = 0;
    x = strtoull(s, &end, 0);
    if (errno || *end || !x || x >= 0xffffff00ULL) {
        return false;
    }
    *out = x;
    return true;
}

/* Parses "P[=V],P[=V],..." into dp->ports. */
static int
parse_ports(const char *text, struct slice_dp *dp, char *msg, size_t size)
{
    char *copy = xstrdup(text), *save = NULL;
    int error = 0;

    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        struct slice_port p;

        if (eq) {
            *eq = '\0';
        }
        if (!parse_port_no(tok, &p.phys)
            || (eq && !parse_port_no(eq + 1, &p.virt))) {
            error = cfg_error(EINVAL, msg, size, "\"%s%s%s\" is not PORT or "
                              "PORT=VPORT (port numbers 1..0xfffffeff)",
                              tok, eq ? "=" : "", eq ? eq + 1 : "");
            break;
        }
        if (!eq) {
            p.virt = p.phys;
        }
        for (size_t i = 0; i < dp->n_ports; i++) {
            if (dp->ports[i].phys == p.phys || dp->ports[i].virt == p.virt) {
                error = cfg_error(EINVAL, msg, size, "port %u (virtual %u) "
                                  "given twice", p.phys, p.virt);
                goto out;
            }
        }
        dp->ports = xrealloc(dp->ports, (dp->n_ports + 1) * sizeof *dp->ports);
        dp->ports[dp->n_ports++] = p;
    }
    if (!error && !dp->n_ports) {
        error = cfg_error(EINVAL, msg, size, "no ports");
    }
out:
    free(copy);
    return error;
}

/* One element of "switches": "DPID[/VDPID]:PORTS" or
 * {"dpid": D, "vdpid": V, "ports": "PORTS"}. */
static int
parse_switch(const json_t *j, struct slice_dp *dp, char *msg, size_t size)
{
    const char *dpid_s = NULL, *vdpid_s = NULL, *ports_s = NULL;
    char *copy = NULL;
    int error;

    memset(dp, 0, sizeof *dp);
    if (json_is_string(j)) {
        char *colon, *slash;
        copy = xstrdup(json_string_value(j));
        /* The DPID is hex or decimal here, so the first ':' ends it. */
        colon = strchr(copy, ':');
        if (!colon) {
            free(copy);
            return cfg_error(EINVAL, msg, size, "switch \"%s\" is not "
                             "DPID[/VDPID]:PORT[=VPORT],...",
                             json_string_value(j));
        }
        *colon = '\0';
        ports_s = colon + 1;
        slash = strchr(copy, '/');
        if (slash) {
            *slash = '\0';
            vdpid_s = slash + 1;
        }
        dpid_s = copy;
    } else if (json_is_object(j)) {
        dpid_s = json_string_value(json_object_get(j, "dpid"));
        vdpid_s = json_string_value(json_object_get(j, "vdpid"));
        ports_s = json_string_value(json_object_get(j, "ports"));
        if (!ports_s) {
            return cfg_error(EINVAL, msg, size, "switch object needs "
                             "\"dpid\" and \"ports\" strings");
        }
    } else {
        return cfg_error(EINVAL, msg, size, "a switch is a string or an object");
    }
    if (!slicer_parse_dpid(dpid_s, &dp->dpid) || !dp->dpid) {
        error = cfg_error(EINVAL, msg, size, "\"%s\" is not a datapath id",
                          dpid_s ? dpid_s : "");
    } else if (vdpid_s && (!slicer_parse_dpid(vdpid_s, &dp->vdpid)
                           || !dp->vdpid)) {
        error = cfg_error(EINVAL, msg, size, "\"%s\" is not a datapath id",
                          vdpid_s);
    } else {
        error = parse_ports(ports_s, dp, msg, size);
    }
    free(copy);
    return error;
}

int
slicer_slice_add(struct slicer_config *cfg, const json_t *params,
                 struct slice **slicep, char *msg, size_t size,
                 const char **field)
{
    const json_t *sw = json_object_get(params, "switches");
    const char *name = json_string_value(json_object_get(params, "name"));
    const char *ctrl = json_string_value(json_object_get(params, "controller"));
    const char *secret = json_string_value(json_object_get(params, "secret"));
    struct slice *s;
    json_t *v;
    size_t i;
    int error;

    *field = NULL;
    if (!name || !name_is_valid(name)) {
        *field = "name";
        return cfg_error(EINVAL, msg, size, "a slice name is 1..63 characters "
                         "of [A-Za-z0-9_.-]");
    }
    if (slicer_slice_find(cfg, name)) {
        *field = "name";
        return cfg_error(EEXIST, msg, size, "slice %s exists", name);
    }
    if (controller_check(ctrl, msg, size)) {
        *field = "controller";
        return EINVAL;
    }
    if (secret && *secret && ofauth_secret_check(secret, msg, size)) {
        *field = "secret";
        return EINVAL;
    }
    v = json_object_get(params, "open");
    if (v && !json_is_boolean(v)) {
        *field = "open";
        return cfg_error(EINVAL, msg, size, "\"open\" is true or false");
    }
    if (!json_is_array(sw) || !json_array_size(sw)) {
        *field = "switches";
        return cfg_error(EINVAL, msg, size, "switches must be a non-empty "
                         "array of \"DPID[/VDPID]:PORT[=VPORT],...\"");
    }

    s = xzalloc(sizeof *s);
    str_copy(s->name, name, sizeof s->name);
    str_copy(s->controller, ctrl, sizeof s->controller);
    str_copy(s->secret, secret ? secret : "", sizeof s->secret);
    s->open = json_is_true(v);

    /* Integer limits. */
    static const struct { const char *key; uint64_t max; } ints[] = {
        { "tag", SLICE_TAG_MAX }, { "max_flows", UINT32_MAX },
        { "rate", UINT32_MAX }, { "burst", UINT32_MAX },
        { "queue", UINT32_MAX - 1 }, { "bandwidth_bps", INT64_MAX },
    };
    uint64_t vals[ARRAY_SIZE(ints)] = { 0 };
    for (i = 0; i < ARRAY_SIZE(ints); i++) {
        v = json_object_get(params, ints[i].key);
        if (!v) {
            continue;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0
            || (uint64_t) json_integer_value(v) > ints[i].max
            || (i == 0 && !json_integer_value(v))) {
            *field = ints[i].key;
            error = cfg_error(EINVAL, msg, size, "%s must be an integer in "
                              "%d..%" PRIu64, ints[i].key, i == 0,
                              ints[i].max);
            goto fail;
        }
        vals[i] = json_integer_value(v);
    }
    if (vals[0]) {
        if (slicer_slice_by_tag(cfg, vals[0])) {
            *field = "tag";
            error = cfg_error(EEXIST, msg, size, "tag %" PRIu64 " is in use",
                              vals[0]);
            goto fail;
        }
        s->tag = vals[0];
    } else {
        for (uint16_t t = 1; t <= SLICE_TAG_MAX; t++) {
            if (!slicer_slice_by_tag(cfg, t)) {
                s->tag = t;
                break;
            }
        }
        if (!s->tag) {
            error = cfg_error(ENOSPC, msg, size, "all %d slice tags in use",
                              SLICE_TAG_MAX);
            goto fail;
        }
    }
    s->max_flows = vals[1];
    s->rate = vals[2];
    s->burst = vals[3];
    s->has_queue = json_object_get(params, "queue") != NULL;
    s->queue_id = vals[4];
    s->bandwidth_bps = vals[5];
    if (s->bandwidth_bps && !s->has_queue) {
        *field = "bandwidth_bps";
        error = cfg_error(EINVAL, msg, size, "a bandwidth guarantee needs the "
                          "switch queue that provides it (\"queue\")");
        goto fail;
    }

    s->dps = xcalloc(json_array_size(sw), sizeof *s->dps);
    for (i = 0; i < json_array_size(sw); i++) {
        struct slice_dp *dp = &s->dps[i];
        error = parse_switch(json_array_get(sw, i), dp, msg, size);
        s->n_dps = i + 1;
        if (error) {
            *field = "switches";
            goto fail;
        }
        if (!dp->vdpid) {
            dp->vdpid = ((uint64_t) s->tag << 48)
                        | (dp->dpid & UINT64_C(0xffffffffffff));
        }
        for (size_t k = 0; k < i; k++) {
            if (s->dps[k].dpid == dp->dpid || s->dps[k].vdpid == dp->vdpid) {
                *field = "switches";
                error = cfg_error(EINVAL, msg, size, "switch %#" PRIx64
                                  " (virtual %#" PRIx64 ") given twice",
                                  dp->dpid, dp->vdpid);
                goto fail;
            }
        }
        flow_table_init(&dp->flows);
        dp->miss_send_len = 128;
    }
    token_bucket_init(&s->bucket, s->rate, s->burst, time_ns());
    s->spec = json_deep_copy(params);

    cfg->slices = xrealloc(cfg->slices,
                           (cfg->n_slices + 1) * sizeof *cfg->slices);
    cfg->slices[cfg->n_slices++] = s;
    *slicep = s;
    return 0;

fail:
    slice_free(s);
    return error;
}

void
slicer_slice_remove(struct slicer_config *cfg, struct slice *s)
{
    for (size_t i = 0; i < cfg->n_fs;) {
        if (cfg->fs[i]->slice == s) {
            slicer_fs_remove(cfg, cfg->fs[i]);
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < cfg->n_slices; i++) {
        if (cfg->slices[i] == s) {
            memmove(&cfg->slices[i], &cfg->slices[i + 1],
                    (cfg->n_slices - i - 1) * sizeof *cfg->slices);
            cfg->n_slices--;
            break;
        }
    }
    slice_free(s);
}

struct fs_entry *
slicer_fs_find(const struct slicer_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_fs; i++) {
        if (!strcmp(cfg->fs[i]->name, name)) {
            return cfg->fs[i];
        }
    }
    return NULL;
}

void
slicer_fs_remove(struct slicer_config *cfg, struct fs_entry *e)
{
    for (size_t i = 0; i < cfg->n_fs; i++) {
        if (cfg->fs[i] == e) {
            memmove(&cfg->fs[i], &cfg->fs[i + 1],
                    (cfg->n_fs - i - 1) * sizeof *cfg->fs);
            cfg->n_fs--;
            break;
        }
    }
    fs_free(e);
}

/* True if entries 'a' and 'b' (of different slices) can see the same
 * packet: a switch both apply to, a port both slices have there, and
 * matches that intersect on that port.  Names the place in 'where'. */
static bool
fs_entries_overlap(const struct fs_entry *a, const struct fs_entry *b,
                   char *where, size_t size)
{
    for (size_t i = 0; i < a->slice->n_dps; i++) {
        const struct slice_dp *da = &a->slice->dps[i];
        const struct slice_dp *db;

        if ((a->dpid && a->dpid != da->dpid) || (b->dpid && b->dpid != da->dpid)) {
            continue;
        }
        db = slice_dp_find(b->slice, da->dpid);
        if (!db) {
            continue;
        }
        for (size_t p = 0; p < da->n_ports; p++) {
            uint32_t port = da->ports[p].phys;
            struct ofp_match pm, r;

            if (!slice_dp_virt_port(db, port)) {
                continue;
            }
            ofp_match_init(&pm);
            ofp_match_set_u(&pm, OFP_F_IN_PORT, port);
            for (size_t x = 0; x < a->n_matches; x++) {
                for (size_t y = 0; y < b->n_matches; y++) {
                    if (fs_match_intersect(&a->matches[x], &b->matches[y], &r)
                        && fs_match_overlaps(&r, &pm)) {
                        snprintf(where, size, "switch %#" PRIx64 " port %u",
                                 da->dpid, port);
                        return true;
                    }
                }
            }
        }
    }
    return false;
}

int
slicer_fs_add(struct slicer_config *cfg, const json_t *params,
              struct fs_entry **entryp, char *msg, size_t size,
              const char **field)
{
    const char *name = json_string_value(json_object_get(params, "name"));
    const char *slice = json_string_value(json_object_get(params, "slice"));
    const json_t *mj = json_object_get(params, "match");
    const char *dpid_s = json_string_value(json_object_get(params, "dpid"));
    const json_t *prio = json_object_get(params, "priority");
    const json_t *ovl = json_object_get(params, "allow_overlap");
    struct ofp_match matches[FS_MAX_EXPANSION];
    struct fs_entry *e;
    struct slice *s;
    int n;

    *field = NULL;
    if (!name || !name_is_valid(name)) {
        *field = "name";
        return cfg_error(EINVAL, msg, size, "a flowspace name is 1..63 "
                         "characters of [A-Za-z0-9_.-]");
    }
    if (slicer_fs_find(cfg, name)) {
        *field = "name";
        return cfg_error(EEXIST, msg, size, "flowspace entry %s exists", name);
    }
    if (!slice) {
        *field = "slice";
        return cfg_error(EINVAL, msg, size, "missing slice");
    }
    s = slicer_slice_find(cfg, slice);
    if (!s) {
        *field = "slice";
        return cfg_error(ENOENT, msg, size, "no slice %s", slice);
    }
    if (mj && !json_is_string(mj)) {
        *field = "match";
        return cfg_error(EINVAL, msg, size, "match must be a string");
    }
    n = fs_match_parse(mj ? json_string_value(mj) : "", matches,
                       FS_MAX_EXPANSION, msg, size);
    if (n < 0) {
        *field = "match";
        return EINVAL;
    }
    if (prio && (!json_is_integer(prio) || json_integer_value(prio) < 0
                 || json_integer_value(prio) > 65535)) {
        *field = "priority";
        return cfg_error(EINVAL, msg, size, "priority must be 0..65535");
    }
    if (ovl && !json_is_boolean(ovl)) {
        *field = "allow_overlap";
        return cfg_error(EINVAL, msg, size, "allow_overlap must be a boolean");
    }

    e = xzalloc(sizeof *e);
    str_copy(e->name, name, sizeof e->name);
    e->slice = s;
    e->priority = prio ? json_integer_value(prio) : 100;
    e->allow_overlap = ovl && json_is_true(ovl);
    if (dpid_s && strcmp(dpid_s, "any")) {
        if (!slicer_parse_dpid(dpid_s, &e->dpid) || !e->dpid) {
            *field = "dpid";
            fs_free(e);
            return cfg_error(EINVAL, msg, size, "\"%s\" is not a datapath id",
                             dpid_s);
        }
        if (!slice_dp_find(s, e->dpid)) {
            uint64_t dpid = e->dpid;
            *field = "dpid";
            fs_free(e);
            return cfg_error(EINVAL, msg, size, "slice %s has no switch %#"
                             PRIx64, s->name, dpid);
        }
    }
    /* in_port in a flowspace match names a physical port of the slice. */
    for (int i = 0; i < n; i++) {
        if (ofp_match_has(&matches[i], OFP_F_IN_PORT)) {
            bool found = false;
            for (size_t d = 0; d < s->n_dps && !found; d++) {
                found = slice_dp_virt_port(&s->dps[d], matches[i].v.in_port);
            }
            if (!found) {
                *field = "match";
                fs_free(e);
                return cfg_error(EINVAL, msg, size, "in_port %u is not a port "
                                 "of slice %s", matches[i].v.in_port, s->name);
            }
        }
    }
    e->matches = xmalloc(n * sizeof *e->matches);
    memcpy(e->matches, matches, n * sizeof *e->matches);
    e->n_matches = n;

    for (size_t i = 0; i < cfg->n_fs; i++) {
        const struct fs_entry *o = cfg->fs[i];
        char where[96];
        if (o->slice == s || e->allow_overlap || o->allow_overlap) {
            continue;
        }
        if (fs_entries_overlap(e, o, where, sizeof where)) {
            *field = "match";
            fs_free(e);
            return cfg_error(EBUSY, msg, size, "overlaps flowspace entry %s "
                             "of slice %s on %s (set allow_overlap to permit)",
                             o->name, o->slice->name, where);
        }
    }
    e->spec = json_deep_copy(params);
    cfg->fs = xrealloc(cfg->fs, (cfg->n_fs + 1) * sizeof *cfg->fs);
    cfg->fs[cfg->n_fs++] = e;
    *entryp = e;
    return 0;
}
