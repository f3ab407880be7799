/*
 * inherit: what a child lease may take of its parent lease.  See
 * inherit.h.
 */
#include "inherit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const limit_names[] = {
#define INHERIT_NAME(NAME, WHAT) NAME,
    INHERIT_LIMITS(INHERIT_NAME)
#undef INHERIT_NAME
};
#define N_LIMITS (sizeof limit_names / sizeof limit_names[0])

int
inherit_is_limit(const char *name)
{
    for (size_t i = 0; i < N_LIMITS; i++) {
        if (!strcmp(limit_names[i], name)) {
            return 1;
        }
    }
    return 0;
}

/* Writes the message and returns 'error'. */
static int __attribute__((format(printf, 4, 5)))
inh_err(int error, char *err, size_t errsize, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(err, errsize, fmt, args);
    va_end(args);
    return error;
}

static const char *
inh_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const json_t *
inherit_find(const json_t *arr, const char *key, const char *val)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e) {
        const char *s = json_string_value(json_object_get(e, key));
        if (s && val && !strcmp(s, val)) {
            return e;
        }
    }
    return NULL;
}

/* The vnode of 'part' on switch 'sw', or NULL. */
static const json_t *
inh_vnode_on(const json_t *part, const char *sw)
{
    return inherit_find(json_object_get(part, "vnodes"), "switch", sw);
}

/* Adds 'n' to counts[key]. */
static void
inh_add(json_t *counts, const char *key, json_int_t n)
{
    json_int_t have = json_integer_value(json_object_get(counts, key));
    json_object_set_new(counts, key, json_integer(have + n));
}

/* The key of the hop between switches 'a' and 'b' (either direction). */
static void
inh_hop(const json_t *a, const json_t *b, char *key, size_t size)
{
    const char *x = json_string_value(a), *y = json_string_value(b);

    x = x ? x : "";
    y = y ? y : "";
    if (strcmp(x, y) > 0) {
        const char *t = x;
        x = y;
        y = t;
    }
    snprintf(key, size, "%s|%s", x, y);
}

/* Adds to 'hops' the bandwidth of every virtual link of 'part' (inside
 * ones and border ones) on every hop of its path. */
static void
inh_part_hops(const json_t *part, json_t *hops)
{
    static const char *const kinds[] = { "vlinks", "border_vlinks",
                                         "transit_vlinks" };

    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t i;
        json_t *vl;
        json_array_foreach(json_object_get(part, kinds[k]), i, vl) {
            const json_t *path = json_object_get(vl, "path");
            json_int_t bps = json_integer_value(json_object_get(vl,
                                                                "bandwidth_bps"));
            for (size_t h = 0; h + 1 < json_array_size(path); h++) {
                char key[256];
                inh_hop(json_array_get(path, h), json_array_get(path, h + 1),
                        key, sizeof key);
                inh_add(hops, key, bps);
            }
        }
    }
}

void
inherit_fill(const json_t *parent, json_t *child)
{
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(child, "vnodes"), i, v) {
        const char *sw = inh_str(v, "switch");
        const json_t *pv = sw ? inh_vnode_on(parent, sw) : NULL;
        const json_t *plim = json_object_get(pv, "limits");
        if (!json_is_object(plim) || !json_object_size(plim)) {
            continue;
        }
        json_t *lim = json_object_get(v, "limits");
        if (!json_is_object(lim)) {
            lim = json_object();
            json_object_set_new(v, "limits", lim);
        }
        const char *k;
        json_t *n;
        json_object_foreach((json_t *) plim, k, n) {
            if (!json_object_get(lim, k)) {
                json_object_set(lim, k, n);
            }
        }
    }
}

/* Checks the limits of child vnode 'v' (index 'i') against parent vnode
 * 'pv' of slice 'pslice'. */
static int
inh_check_limits(const json_t *v, size_t i, const json_t *pv,
                 const char *pslice, char *err, size_t errsize)
{
    const json_t *lim = json_object_get(v, "limits");
    const json_t *plim = json_object_get(pv, "limits");
    const char *k;
    json_t *n;

    if (lim && !json_is_object(lim)) {
        return inh_err(EINVAL, err, errsize, "vnodes[%zu].limits: must be an "
                       "object", i);
    }
    json_object_foreach((json_t *) lim, k, n) {
        if (!inherit_is_limit(k)) {
            return inh_err(EINVAL, err, errsize, "vnodes[%zu].limits.%s: not a "
                           "limit", i, k);
        }
        if (!json_is_integer(n) || json_integer_value(n) < 1) {
            return inh_err(EINVAL, err, errsize, "vnodes[%zu].limits.%s: must "
                           "be a positive integer", i, k);
        }
    }
    for (size_t l = 0; l < N_LIMITS; l++) {
        const json_t *p = json_object_get(plim, limit_names[l]);
        const json_t *c = json_object_get(lim, limit_names[l]);
        if (!p) {
            continue;
        }
        if (!c) {
            return inh_err(EPERM, err, errsize, "vnodes[%zu].limits.%s: none "
                           "given, over the parent's %"JSON_INTEGER_FORMAT
                           " (vnode %s of slice %s)", i, limit_names[l],
                           json_integer_value(p), inh_str(pv, "name"), pslice);
        }
        if (json_integer_value(c) > json_integer_value(p)) {
            return inh_err(EPERM, err, errsize, "vnodes[%zu].limits.%s: "
                           "%"JSON_INTEGER_FORMAT" over the parent's "
                           "%"JSON_INTEGER_FORMAT" (vnode %s of slice %s)", i,
                           limit_names[l], json_integer_value(c),
                           json_integer_value(p), inh_str(pv, "name"), pslice);
        }
    }
    return 0;
}

int
inherit_check(const json_t *parent, const json_t *siblings,
              const json_t *child, char *err, size_t errsize)
{
    const char *pslice = inh_str(parent, "slice");
    json_t *cpu_used = json_object(), *ap_used = json_object();
    json_t *hop_cap = json_object(), *hop_used = json_object();
    size_t i;
    json_t *v, *sib;
    int error = 0;

    pslice = pslice ? pslice : "?";
    if (json_array_size(json_object_get(child, "border_vlinks"))
        || json_array_size(json_object_get(child, "transit_vlinks"))) {
        error = inh_err(EPERM, err, errsize, "border_vlinks: a child of slice "
                        "%s lives inside its InP (no border or transit "
                        "virtual links)", pslice);
        goto out;
    }

    /* What the siblings hold already. */
    json_array_foreach(siblings, i, sib) {
        size_t j;
        json_t *x;
        json_array_foreach(json_object_get(sib, "vnodes"), j, x) {
            if (inh_str(x, "switch")) {
                inh_add(cpu_used, inh_str(x, "switch"),
                        json_integer_value(json_object_get(x, "cpu")));
            }
        }
        json_array_foreach(json_object_get(sib, "access"), j, x) {
            if (inh_str(x, "access")) {
                json_object_set_new(ap_used, inh_str(x, "access"),
                                    json_string(inh_str(sib, "slice")
                                                ? inh_str(sib, "slice") : "?"));
            }
        }
        inh_part_hops(sib, hop_used);
    }
    inh_part_hops(parent, hop_cap);

    /* Nodes: on the parent's switches, within its CPU and limits. */
    json_array_foreach(json_object_get(child, "vnodes"), i, v) {
        const char *sw = inh_str(v, "switch");
        const json_t *pv = sw ? inh_vnode_on(parent, sw) : NULL;
        json_int_t cpu = json_integer_value(json_object_get(v, "cpu"));
        if (!pv) {
            error = inh_err(EPERM, err, errsize, "vnodes[%zu].switch: slice %s "
                            "has no vnode on switch %s", i, pslice,
                            sw ? sw : "(missing)");
            goto out;
        }
        json_int_t pcpu = json_integer_value(json_object_get(pv, "cpu"));
        json_int_t used = json_integer_value(json_object_get(cpu_used, sw));
        if (cpu > pcpu - used) {
            error = inh_err(EPERM, err, errsize, "vnodes[%zu].cpu: %"
                            JSON_INTEGER_FORMAT" over the parent's %"
                            JSON_INTEGER_FORMAT" left (vnode %s of slice %s: %"
                            JSON_INTEGER_FORMAT", %"JSON_INTEGER_FORMAT
                            " given to its other children)", i, cpu,
                            pcpu - used, inh_str(pv, "name"), pslice, pcpu,
                            used);
            goto out;
        }
        inh_add(cpu_used, sw, cpu);
        if ((error = inh_check_limits(v, i, pv, pslice, err, errsize))) {
            goto out;
        }
    }

    /* Access points: the parent's, not a sibling's. */
    json_array_foreach(json_object_get(child, "access"), i, v) {
        const char *ap = inh_str(v, "access");
        size_t j;
        json_t *pa;
        bool held = false;
        json_array_foreach(json_object_get(parent, "access"), j, pa) {
            held = held || (ap && inh_str(pa, "access")
                            && !strcmp(ap, inh_str(pa, "access")));
        }
        if (!held) {
            error = inh_err(EPERM, err, errsize, "access[%zu].access: slice %s "
                            "does not hold access point %s", i, pslice,
                            ap ? ap : "(missing)");
            goto out;
        }
        if (json_object_get(ap_used, ap)) {
            error = inh_err(EPERM, err, errsize, "access[%zu].access: access "
                            "point %s of slice %s is lent to %s already", i, ap,
                            pslice, inh_str(ap_used, ap));
            goto out;
        }
        json_object_set_new(ap_used, ap, json_string(inh_str(child, "slice")
                                                     ? inh_str(child, "slice")
                                                     : "?"));
    }

    /* Virtual links: over the parent's hops, within their bandwidth. */
    json_array_foreach(json_object_get(child, "vlinks"), i, v) {
        const json_t *path = json_object_get(v, "path");
        json_int_t bps = json_integer_value(json_object_get(v, "bandwidth_bps"));
        for (size_t h = 0; h + 1 < json_array_size(path); h++) {
            char key[256];
            inh_hop(json_array_get(path, h), json_array_get(path, h + 1), key,
                    sizeof key);
            json_t *cap = json_object_get(hop_cap, key);
            json_int_t used = json_integer_value(json_object_get(hop_used, key));
            if (!cap) {
                error = inh_err(EPERM, err, errsize, "vlinks[%zu].path: no "
                                "virtual link of slice %s runs over %s-%s", i,
                                pslice, json_string_value(json_array_get(path, h)),
                                json_string_value(json_array_get(path, h + 1)));
                goto out;
            }
            if (bps > json_integer_value(cap) - used) {
                error = inh_err(EPERM, err, errsize, "vlinks[%zu].bandwidth_bps: "
                        "%"JSON_INTEGER_FORMAT" bit/s over the parent's "
                        "%"JSON_INTEGER_FORMAT" bit/s left on %s-%s (slice "
                        "%s)", i, bps, json_integer_value(cap) - used,
                        json_string_value(json_array_get(path, h)),
                        json_string_value(json_array_get(path, h + 1)), pslice);
                goto out;
            }
            inh_add(hop_used, key, bps);
        }
    }
out:
    json_decref(cpu_used);
    json_decref(ap_used);
    json_decref(hop_cap);
    json_decref(hop_used);
    return error;
}

int
inherit_program_check(const json_t *limits, size_t bytes,
                      const json_t *config, char *err, size_t errsize)
{
    const json_t *pb = json_object_get(limits, "program_bytes");
    const json_t *te = json_object_get(limits, "table_entries");
    json_int_t entries = 0;
    size_t i;
    json_t *t;

    if (json_is_integer(pb) && (json_int_t) bytes > json_integer_value(pb)) {
        return inh_err(EPERM, err, errsize, "program: %zu bytes over the "
                       "vnode's limits.program_bytes %"JSON_INTEGER_FORMAT,
                       bytes, json_integer_value(pb));
    }
    json_array_foreach(json_object_get(config, "tables"), i, t) {
        entries += json_integer_value(json_object_get(t, "size"));
    }
    if (json_is_integer(te) && entries > json_integer_value(te)) {
        return inh_err(EPERM, err, errsize, "config.tables: %"
                       JSON_INTEGER_FORMAT" entries over the vnode's "
                       "limits.table_entries %"JSON_INTEGER_FORMAT, entries,
                       json_integer_value(te));
    }
    return 0;
}
