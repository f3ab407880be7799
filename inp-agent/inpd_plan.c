/*
 * inpd_plan: PART -> switchd calls, and the reconcile diff.  See
 * inpd_plan.h.
 */
#include "inpd_plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "inherit.h"
#include "util.h"

/* Lowest and highest MPLS label a vlink may use (dataplane.h). */
#define PLAN_LABEL_MIN 16
#define PLAN_LABEL_MAX 1048575

static int
plan_err(char *err, size_t errsize, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    vsnprintf(err, errsize, fmt, args);
    va_end(args);
    return EINVAL;
}

static const char *
plan_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Checks that 'path' (at 'where') is an array of at least 'min' names of
 * nodes of 'offer', starting at 'first' and, if 'last', ending there. */
static int
plan_check_path(const json_t *path, const char *where, size_t min,
                const json_t *offer, const char *first, const char *last,
                char *err, size_t errsize)
{
    const json_t *nodes = json_object_get(offer, "nodes");
    size_t i, n = json_array_size(path);
    json_t *hop;

    if (!json_is_array(path) || n < min) {
        return plan_err(err, errsize, "%s.path: must be an array of at least "
                        "%zu switch names", where, min);
    }
    json_array_foreach(path, i, hop) {
        const char *sw = json_string_value(hop);
        if (!sw || !inherit_find(nodes, "name", sw)) {
            return plan_err(err, errsize, "%s.path[%zu]: %s is not a switch "
                            "of this InP", where, i, sw ? sw : "(not a string)");
        }
    }
    for (i = 0; i + 1 < n; i++) {
        const char *a = json_string_value(json_array_get(path, i));
        const char *b = json_string_value(json_array_get(path, i + 1));
        size_t k;
        json_t *l;
        bool joined = false;

        json_array_foreach(json_object_get(offer, "links"), k, l) {
            const char *la = plan_str(l, "a"), *lb = plan_str(l, "b");
            if (la && lb && ((!strcmp(la, a) && !strcmp(lb, b))
                             || (!strcmp(la, b) && !strcmp(lb, a)))) {
                joined = true;
                break;
            }
        }
        if (!joined) {
            return plan_err(err, errsize, "%s.path[%zu..%zu]: no link of this InP "
                            "joins %s and %s", where, i, i + 1, a, b);
        }
    }
    if (strcmp(json_string_value(json_array_get(path, 0)), first)) {
        return plan_err(err, errsize, "%s.path: starts at %s, but its vnode is "
                        "on %s", where, json_string_value(json_array_get(path, 0)),
                        first);
    }
    if (last && strcmp(json_string_value(json_array_get(path, n - 1)), last)) {
        return plan_err(err, errsize, "%s.path: ends at %s, but it must end at "
                        "%s", where, json_string_value(json_array_get(path, n - 1)),
                        last);
    }
    return 0;
}

/* The bandwidth of 'vl' (bits/s, >= 0) into '*bps'. */
static int
plan_bandwidth(const json_t *vl, const char *where, json_int_t *bps,
               char *err, size_t errsize)
{
    const json_t *b = json_object_get(vl, "bandwidth_bps");

    *bps = 0;
    if (!b) {
        return 0;
    }
    if (!json_is_integer(b) || json_integer_value(b) < 0) {
        return plan_err(err, errsize, "%s.bandwidth_bps: must be an integer "
                        ">= 0 (bits/s)", where);
    }
    *bps = json_integer_value(b);
    return 0;
}

/* Adds 'bps' to the queue guarantee of (sw, port) in 'queues'. */
static void
plan_queue_add(json_t *queues, const char *sw, const char *port,
               json_int_t bps)
{
    size_t i;
    json_t *q;

    json_array_foreach(queues, i, q) {
        if (!strcmp(plan_str(q, "switch"), sw) && !strcmp(plan_str(q, "port"), port)) {
            json_object_set_new(q, "guarantee_bps", json_integer(
                json_integer_value(json_object_get(q, "guarantee_bps")) + bps));
            return;
        }
    }
    json_array_append_new(queues, json_pack("{s:s, s:s, s:I}", "switch", sw,
                                            "port", port, "guarantee_bps", bps));
}

/* Adds to 'queues' the egress ports of both directions of 'path' found in
 * switchd's 'links'. */
static void
plan_queue_path(json_t *queues, const json_t *path, const json_t *links,
                json_int_t bps)
{
    for (size_t i = 0; i + 1 < json_array_size(path); i++) {
        const char *a = json_string_value(json_array_get(path, i));
        const char *b = json_string_value(json_array_get(path, i + 1));
        size_t k;
        json_t *l;

        json_array_foreach(links, k, l) {
            const char *sa = plan_str(l, "sw_a"), *sb = plan_str(l, "sw_b");
            const char *pa = plan_str(l, "port_a"), *pb = plan_str(l, "port_b");
            if (!sa || !sb || !pa || !pb) {
                continue;
            }
            if (!strcmp(sa, b) && !strcmp(sb, a)) {
                const char *t;
                t = sa; sa = sb; sb = t;
                t = pa; pa = pb; pb = t;
            }
            if (!strcmp(sa, a) && !strcmp(sb, b)) {
                plan_queue_add(queues, a, pa, bps);
                plan_queue_add(queues, b, pb, bps);
                break;
            }
        }
    }
}

static void
plan_call(json_t *calls, const char *method, json_t *params)
{
    json_array_append_new(calls, json_pack("{s:s, s:o}", "method", method,
                                           "params", params));
}

/* An openflow vnode's inherited limits (inherit.h) become its pipeline's
 * "max_flows" and "tables" in 'params' (vnode.add's): the smaller of the
 * configured value and the limit. */
static void
plan_limits(const json_t *vnode, json_t *params)
{
    static const char *const map[][2] = {
        { "flows", "max_flows" }, { "tables", "tables" },
    };
    const json_t *limits = json_object_get(vnode, "limits");
    const char *fp = plan_str(vnode, "fp");

    if (!json_is_object(limits) || !fp || strcmp(fp, "openflow")) {
        return;
    }
    json_t *config = json_object_get(params, "config");
    if (!config) {
        config = json_object();
        json_object_set_new(params, "config", config);
    }
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const json_t *lim = json_object_get(limits, map[i][0]);
        const json_t *have = json_object_get(config, map[i][1]);
        if (json_is_integer(lim)
            && (!json_is_integer(have)
                || json_integer_value(have) > json_integer_value(lim))) {
            json_object_set(config, map[i][1], (json_t *) lim);
        }
    }
}

/* The vnode address (docs/switchd.md) of vnode 'vn' of 'vnodes': its
 * switch "SW" when it is the part's only vnode there, "SW/NAME" when the
 * embedding put several virtual nodes on that switch (revisitation). */
static json_t *
plan_vnode_addr(const json_t *vnodes, const json_t *vn)
{
    const char *sw = plan_str(vn, "switch");
    size_t i;
    json_t *o;

    json_array_foreach(vnodes, i, o) {
        const char *osw = plan_str(o, "switch");
        if (o != vn && osw && !strcmp(osw, sw)) {
            return json_sprintf("%s/%s", sw, plan_str(vn, "name"));
        }
    }
    return json_string(sw);
}

/* 'path' (switch names) with its first hop replaced by the address of
 * vnode 'first' and, if 'last', its last by that of 'last'; a one-switch
 * 'path' between two vnodes of that switch becomes [first, last]. */
static json_t *
plan_vnode_path(const json_t *vnodes, const json_t *path, const json_t *first,
                const json_t *last)
{
    json_t *out = json_deep_copy(path);

    json_array_set_new(out, 0, plan_vnode_addr(vnodes, first));
    if (last && json_array_size(out) == 1) {
        json_array_append_new(out, plan_vnode_addr(vnodes, last));
    } else if (last) {
        json_array_set_new(out, json_array_size(out) - 1,
                           plan_vnode_addr(vnodes, last));
    }
    return out;
}

/* The vnodes of 'part': checked, one vnode.add each into 'calls'. */
static int
plan_vnodes(const json_t *part, const json_t *offer, const char *slice,
            json_t *calls, char *err, size_t errsize)
{
    const json_t *vnodes = json_object_get(part, "vnodes");
    size_t i;
    json_t *v;

    if (!vnodes && json_array_size(json_object_get(part, "transit_vlinks"))) {
        return 0;               /* this InP only carries transit */
    }
    if (!json_is_array(vnodes)
        || (!json_array_size(vnodes)
            && !json_array_size(json_object_get(part, "transit_vlinks")))) {
        return plan_err(err, errsize, "vnodes: must be a non-empty array "
                        "(or empty with transit_vlinks)");
    }
    json_array_foreach(vnodes, i, v) {
        const char *name = plan_str(v, "name"), *sw = plan_str(v, "switch");
        const json_t *fp = json_object_get(v, "fp");
        const json_t *config = json_object_get(v, "config");
        json_t *params;

        if (!name || !sw) {
            return plan_err(err, errsize, "vnodes[%zu]: needs \"name\" and "
                            "\"switch\" strings", i);
        }
        if (!inherit_find(json_object_get(offer, "nodes"), "name", sw)) {
            return plan_err(err, errsize, "vnodes[%zu].switch: %s is not a "
                            "switch of this InP", i, sw);
        }
        for (size_t k = 0; k < i; k++) {
            const json_t *o = json_array_get(vnodes, k);
            if (!strcmp(plan_str(o, "name"), name)) {
                return plan_err(err, errsize, "vnodes[%zu].name: %s appears "
                                "twice", i, name);
            }
        }
        json_t *addr = plan_vnode_addr(vnodes, v);
        if (strchr(json_string_value(addr), '/') && !name_is_valid(name)) {
            json_decref(addr);
            return plan_err(err, errsize, "vnodes[%zu].name: \"%s\" shares "
                            "switch %s, so it names a vnode there and must be "
                            "a valid name", i, name, sw);
        }
        if ((fp && !json_is_null(fp) && !json_is_string(fp))
            || (config && !json_is_null(config) && !json_is_object(config))) {
            json_decref(addr);
            return plan_err(err, errsize, "vnodes[%zu]: \"fp\" must be a string "
                            "and \"config\" an object", i);
        }
        params = json_pack("{s:s, s:o}", "slice", slice, "switch", addr);
        if (json_is_string(fp)) {
            json_object_set(params, "fp", (json_t *) fp);
        }
        if (json_is_object(config)) {
            json_object_set_new(params, "config", json_deep_copy(config));
        }
        plan_limits(v, params);
        plan_call(calls, "vnode.add", params);
    }
    return 0;
}

/* The accesses of 'part': one vport.add each. */
static int
plan_access(const json_t *part, const json_t *offer, const char *slice,
            json_t *calls, char *err, size_t errsize)
{
    const json_t *vnodes = json_object_get(part, "vnodes");
    const json_t *access = json_object_get(part, "access");
    size_t i;
    json_t *a;

    if (access && !json_is_array(access)) {
        return plan_err(err, errsize, "access: must be an array");
    }
    json_array_foreach(access, i, a) {
        const char *vname = plan_str(a, "vnode"), *point = plan_str(a, "access");
        const char *vport = plan_str(a, "name");
        const json_t *vlan = json_object_get(a, "vlan");
        const json_t *vn = vname ? inherit_find(vnodes, "name", vname) : NULL;
        const json_t *ap = point ? inherit_find(json_object_get(offer, "access"),
                                             "name", point) : NULL;
        json_t *params;

        if (!vn) {
            return plan_err(err, errsize, "access[%zu].vnode: %s is not a vnode "
                            "of this part", i, vname ? vname : "(missing)");
        }
        if (!ap) {
            return plan_err(err, errsize, "access[%zu].access: %s is not an "
                            "access point of this InP", i, point ? point : "(missing)");
        }
        if (strcmp(plan_str(ap, "node"), plan_str(vn, "switch"))) {
            return plan_err(err, errsize, "access[%zu]: access point %s is on "
                            "switch %s, vnode %s on %s", i, point,
                            plan_str(ap, "node"), vname, plan_str(vn, "switch"));
        }
        if (!vport) {
            vport = point;
        }
        if (!name_is_valid(vport) || !strncmp(vport, "vl-", 3)) {
            return plan_err(err, errsize, "access[%zu].name: \"%s\" is not a "
                            "valid vport name", i, vport);
        }
        if (vlan && !json_is_null(vlan)
            && (!json_is_integer(vlan) || json_integer_value(vlan) < 1
                || json_integer_value(vlan) > 4094)) {
            return plan_err(err, errsize, "access[%zu].vlan: must be null or "
                            "1..4094", i);
        }
        params = json_pack("{s:s, s:o, s:s, s:s}", "slice", slice, "switch",
                           plan_vnode_addr(vnodes, vn), "vport", vport, "port",
                           plan_str(ap, "port"));
        if (json_is_integer(vlan)) {
            json_object_set(params, "vlan", (json_t *) vlan);
        }
        plan_call(calls, "vport.add", params);
    }
    return 0;
}

/* The virtual links inside the InP: one vlink.add each. */
static int
plan_vlinks(const json_t *part, const json_t *offer, const json_t *links,
            const char *slice, json_t *calls, json_t *queues, json_int_t *max_bps,
            char *err, size_t errsize)
{
    const json_t *vnodes = json_object_get(part, "vnodes");
    const json_t *vlinks = json_object_get(part, "vlinks");
    size_t i;
    json_t *vl;

    if (vlinks && !json_is_array(vlinks)) {
        return plan_err(err, errsize, "vlinks: must be an array");
    }
    json_array_foreach(vlinks, i, vl) {
        const char *name = plan_str(vl, "name");
        const json_t *a = inherit_find(vnodes, "name", plan_str(vl, "a") ? plan_str(vl, "a") : "");
        const json_t *b = inherit_find(vnodes, "name", plan_str(vl, "b") ? plan_str(vl, "b") : "");
        const json_t *path = json_object_get(vl, "path");
        char where[48];
        json_int_t bps;
        int error;

        snprintf(where, sizeof where, "vlinks[%zu]", i);
        if (!name || !name_is_valid(name)) {
            return plan_err(err, errsize, "%s.name: missing or not a valid name",
                            where);
        }
        if (!a || !b) {
            return plan_err(err, errsize, "%s: \"a\" and \"b\" must name vnodes "
                            "of this part", where);
        }
        if (a == b) {
            return plan_err(err, errsize, "%s: joins vnode %s to itself", where,
                            plan_str(a, "name"));
        }
        /* Two vnodes of one switch: a path of that one switch, no hops. */
        bool inside = !strcmp(plan_str(a, "switch"), plan_str(b, "switch"));
        error = plan_check_path(path, where, inside ? 1 : 2, offer,
                                plan_str(a, "switch"), plan_str(b, "switch"),
                                err, errsize);
        if (!error && inside && json_array_size(path) != 1) {
            error = plan_err(err, errsize, "%s.path: vnodes %s and %s are both "
                             "on %s, so the path must be [\"%s\"]", where,
                             plan_str(a, "name"), plan_str(b, "name"),
                             plan_str(a, "switch"), plan_str(a, "switch"));
        }
        if (!error) {
            error = plan_bandwidth(vl, where, &bps, err, errsize);
        }
        if (error) {
            return error;
        }
        plan_call(calls, "vlink.add", json_pack(
            "{s:s, s:s, s:o}", "slice", slice, "name", name,
            "path", plan_vnode_path(vnodes, path, a, b)));
        if (links && bps) {
            plan_queue_path(queues, path, links, bps);
        }
        *max_bps = bps > *max_bps ? bps : *max_bps;
    }
    return 0;
}

/* The border named by member 'bfield' of 'vl' (element 'where' of a PART)
 * with the label of member 'lfield', which must be in that border's pool:
 * the border's offer entry into '*border'. */
static int
plan_border(const json_t *vl, const char *where, const char *bfield,
            const char *lfield, const json_t *offer, const json_t **border,
            char *err, size_t errsize)
{
    const char *bname = plan_str(vl, bfield);
    const json_t *label = json_object_get(vl, lfield), *pool;
    json_int_t lo = PLAN_LABEL_MIN, hi = PLAN_LABEL_MAX;

    *border = bname ? inherit_find(json_object_get(offer, "borders"), "name", bname)
                    : NULL;
    if (!*border) {
        return plan_err(err, errsize, "%s.%s: %s is not a border of this InP",
                        where, bfield, bname ? bname : "(missing)");
    }
    pool = json_object_get(*border, "labels");
    if (json_array_size(pool) == 2) {
        lo = json_integer_value(json_array_get(pool, 0));
        hi = json_integer_value(json_array_get(pool, 1));
    }
    if (!json_is_integer(label) || json_integer_value(label) < lo
        || json_integer_value(label) > hi
        || json_integer_value(label) < PLAN_LABEL_MIN
        || json_integer_value(label) > PLAN_LABEL_MAX) {
        return plan_err(err, errsize, "%s.%s: must be an integer in the label "
                        "pool of border %s (%lld..%lld)", where, lfield, bname,
                        (long long) lo, (long long) hi);
    }
    return 0;
}

/* The border virtual links: one vlink.add with "border" each. */
static int
plan_border_vlinks(const json_t *part, const json_t *offer, const json_t *links,
                   const char *slice, json_t *calls, json_t *queues,
                   json_int_t *max_bps, char *err, size_t errsize)
{
    const json_t *vnodes = json_object_get(part, "vnodes");
    const json_t *bvl = json_object_get(part, "border_vlinks");
    size_t i;
    json_t *vl;

    if (bvl && !json_is_array(bvl)) {
        return plan_err(err, errsize, "border_vlinks: must be an array");
    }
    json_array_foreach(bvl, i, vl) {
        const char *name = plan_str(vl, "name");
        const char *vname = plan_str(vl, "vnode");
        const json_t *vn = vname ? inherit_find(vnodes, "name", vname) : NULL;
        const json_t *border;
        const json_t *path = json_object_get(vl, "path");
        const json_t *label = json_object_get(vl, "label");
        json_int_t bps;
        char where[48];
        int error;

        snprintf(where, sizeof where, "border_vlinks[%zu]", i);
        if (!name || !name_is_valid(name)) {
            return plan_err(err, errsize, "%s.name: missing or not a valid name",
                            where);
        }
        if (!vn) {
            return plan_err(err, errsize, "%s.vnode: %s is not a vnode of this "
                            "part", where, vname ? vname : "(missing)");
        }
        error = plan_border(vl, where, "border", "label", offer, &border, err,
                            errsize);
        if (error) {
            return error;
        }
        error = plan_check_path(path, where, 1, offer, plan_str(vn, "switch"),
                                plan_str(border, "node"), err, errsize);
        if (!error) {
            error = plan_bandwidth(vl, where, &bps, err, errsize);
        }
        if (error) {
            return error;
        }
        plan_call(calls, "vlink.add", json_pack(
            "{s:s, s:s, s:o, s:{s:s, s:O}}", "slice", slice, "name", name,
            "path", plan_vnode_path(vnodes, path, vn, NULL), "border", "port",
            plan_str(border, "port"), "label", label));
        if (links && bps) {
            plan_queue_path(queues, path, links, bps);
            plan_queue_add(queues, plan_str(border, "node"),
                           plan_str(border, "port"), bps);
        }
        *max_bps = bps > *max_bps ? bps : *max_bps;
    }
    return 0;
}

/* The transit virtual links (border to border, no vnode of the slice on
 * this InP): one vlink.add with "border_in" and "border" each. */
static int
plan_transit_vlinks(const json_t *part, const json_t *offer, const json_t *links,
                    const char *slice, json_t *calls, json_t *queues,
                    json_int_t *max_bps, char *err, size_t errsize)
{
    const json_t *tvl = json_object_get(part, "transit_vlinks");
    size_t i;
    json_t *vl;

    if (tvl && !json_is_array(tvl)) {
        return plan_err(err, errsize, "transit_vlinks: must be an array");
    }
    json_array_foreach(tvl, i, vl) {
        const char *name = plan_str(vl, "name");
        const json_t *path = json_object_get(vl, "path");
        const json_t *bin, *bout;
        json_int_t bps;
        char where[48];
        int error;

        snprintf(where, sizeof where, "transit_vlinks[%zu]", i);
        if (!name || !name_is_valid(name)) {
            return plan_err(err, errsize, "%s.name: missing or not a valid name",
                            where);
        }
        error = plan_border(vl, where, "border_in", "label_in", offer, &bin, err,
                            errsize);
        if (!error) {
            error = plan_border(vl, where, "border_out", "label_out", offer, &bout,
                                err, errsize);
        }
        if (!error && bin == bout) {
            error = plan_err(err, errsize, "%s.border_out: the same border as "
                             "border_in (%s)", where, plan_str(bin, "name"));
        }
        if (!error) {
            error = plan_check_path(path, where, 1, offer, plan_str(bin, "node"),
                                    plan_str(bout, "node"), err, errsize);
        }
        if (!error) {
            error = plan_bandwidth(vl, where, &bps, err, errsize);
        }
        if (error) {
            return error;
        }
        plan_call(calls, "vlink.add", json_pack(
            "{s:s, s:s, s:O, s:{s:s, s:O}, s:{s:s, s:O}}", "slice", slice,
            "name", name, "path", path,
            "border_in", "port", plan_str(bin, "port"),
            "label", json_object_get(vl, "label_in"),
            "border", "port", plan_str(bout, "port"),
            "label", json_object_get(vl, "label_out")));
        if (links && bps) {
            plan_queue_path(queues, path, links, bps);
            plan_queue_add(queues, plan_str(bin, "node"), plan_str(bin, "port"),
                           bps);
            plan_queue_add(queues, plan_str(bout, "node"), plan_str(bout, "port"),
                           bps);
        }
        *max_bps = bps > *max_bps ? bps : *max_bps;
    }
    return 0;
}

bool
inpd_plan_is_lease_slice(const char *slice)
{
    return slice && slice[0] == 'L' && slice[1];
}

int
inpd_plan_commit(const json_t *part, const json_t *offer, const json_t *links,
                 json_t **calls_, char *err, size_t errsize)
{
    const char *slice = plan_str(part, "slice");
    json_t *calls = json_array(), *queues = json_array();
    json_int_t max_bps = 0;
    size_t i;
    json_t *q;
    int error;

    *calls_ = NULL;
    if (!json_is_object(part)) {
        error = plan_err(err, errsize, "part: must be an object");
    } else if (!slice || !name_is_valid(slice) || !inpd_plan_is_lease_slice(slice)) {
        error = plan_err(err, errsize, "slice: must be a name starting with L "
                         "(L<lease id>)");
    } else {
        error = plan_vnodes(part, offer, slice, calls, err, errsize);
    }
    if (!error) {
        error = plan_access(part, offer, slice, calls, err, errsize);
    }
    if (!error) {
        error = plan_vlinks(part, offer, links, slice, calls, queues, &max_bps,
                            err, errsize);
    }
    if (!error) {
        error = plan_border_vlinks(part, offer, links, slice, calls, queues,
                                   &max_bps, err, errsize);
    }
    if (!error) {
        error = plan_transit_vlinks(part, offer, links, slice, calls, queues,
                                    &max_bps, err, errsize);
    }
    if (error) {
        json_decref(calls);
        json_decref(queues);
        return error;
    }
    /* The slice first, its queues last (they need the vlinks' ports). */
    json_array_insert_new(calls, 0, json_pack(
        "{s:s, s:{s:s, s:I}}", "method", "slice.add", "params", "name", slice,
        "guarantee_bps", max_bps));
    json_array_foreach(queues, i, q) {
        json_object_set_new(q, "slice", json_string(slice));
        plan_call(calls, "queue.set", json_incref(q));
    }
    json_decref(queues);
    *calls_ = calls;
    return 0;
}

/* True if switchd's 'actual' holds everything 'calls' create. */
static bool
plan_slice_complete(const json_t *calls, const json_t *actual)
{
    size_t i;
    json_t *c;

    json_array_foreach(calls, i, c) {
        const char *method = plan_str(c, "method");
        const json_t *p = json_object_get(c, "params");
        const char *section = NULL;
        const char *keys[3] = { NULL, NULL, NULL };

        if (!strcmp(method, "slice.add")) {
            section = "slices", keys[0] = "name";
        } else if (!strcmp(method, "vnode.add")) {
            section = "vnodes", keys[0] = "slice", keys[1] = "switch";
        } else if (!strcmp(method, "vport.add")) {
            section = "vports", keys[0] = "switch", keys[1] = "vport";
        } else if (!strcmp(method, "vlink.add")) {
            section = "vlinks", keys[0] = "slice", keys[1] = "name";
        } else {
            continue;           /* queue settings come with the slice */
        }
        bool found = false;
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(actual, section), k, e) {
            bool match = true;
            for (int j = 0; keys[j] && match; j++) {
                const char *want = plan_str(p, keys[j]), *have = plan_str(e, keys[j]);
                match = want && have && !strcmp(want, have);
            }
            if (match && !strcmp(section, "vlinks")) {
                /* A vlink re-embedded elsewhere must be built again. */
                const json_t *wp = json_object_get(p, "path");
                const json_t *hp = json_object_get(e, "path");
                match = !wp || !hp || json_equal(wp, hp);
            }
            if (match && strcmp(section, "slices")) {
                /* vports are named per vnode: the slice must match too. */
                const char *ws = plan_str(p, "slice"), *hs = plan_str(e, "slice");
                match = ws && hs && !strcmp(ws, hs);
            }
            if (match) {
                found = true;
                break;
            }
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

size_t
inpd_plan_reconcile(const json_t *wanted, const json_t *actual, json_t **calls_)
{
    json_t *calls = json_array();
    const char *slice;
    json_t *want, *s;
    size_t i;

    /* Slices named like leases that no lease wants. */
    json_array_foreach(json_object_get(actual, "slices"), i, s) {
        const char *name = plan_str(s, "name");
        if (inpd_plan_is_lease_slice(name) && !json_object_get(wanted, name)) {
            plan_call(calls, "slice.del", json_pack("{s:s}", "name", name));
        }
    }
    /* Vports of complete wanted slices that their calls do not create
     * (an access port lent to a child lease, docs/inpd.md "Recursion"):
     * deleted, before anything is built. */
    json_array_foreach(json_object_get(actual, "vports"), i, s) {
        const char *sl = plan_str(s, "slice"), *vp = plan_str(s, "vport");
        want = sl ? json_object_get(wanted, sl) : NULL;
        if (!want || !vp || !strncmp(vp, "vl-", 3)  /* a vlink's own */
            || !plan_slice_complete(want, actual)) {
            continue;
        }
        size_t k;
        json_t *c;
        bool made = false;
        json_array_foreach(want, k, c) {
            const json_t *p = json_object_get(c, "params");
            made = made || (!strcmp(plan_str(c, "method"), "vport.add")
                            && plan_str(p, "switch") && plan_str(s, "switch")
                            && !strcmp(plan_str(p, "switch"), plan_str(s, "switch"))
                            && plan_str(p, "vport") && plan_str(s, "vport")
                            && !strcmp(plan_str(p, "vport"), plan_str(s, "vport")));
        }
        if (!made) {
            plan_call(calls, "vport.del", json_pack(
                "{s:s, s:s, s:s}", "slice", sl, "switch", plan_str(s, "switch"),
                "vport", plan_str(s, "vport")));
        }
    }
    /* Queues of complete wanted slices whose guarantee switchd holds at
     * another value (a parent's, lowered or given back as its children
     * come and go): set again, before anything is built. */
    json_object_foreach((json_t *) wanted, slice, want) {
        if (!plan_slice_complete(want, actual)) {
            continue;
        }
        size_t k;
        json_t *c;
        json_array_foreach(want, k, c) {
            const json_t *p = json_object_get(c, "params");
            if (strcmp(plan_str(c, "method"), "queue.set")) {
                continue;
            }
            json_array_foreach(json_object_get(actual, "queues"), i, s) {
                const json_t *have = json_object_get(s, "guarantee_bps");
                if (plan_str(s, "slice") && !strcmp(plan_str(s, "slice"), slice)
                    && plan_str(s, "switch") && plan_str(s, "port")
                    && !strcmp(plan_str(s, "switch"), plan_str(p, "switch"))
                    && !strcmp(plan_str(s, "port"), plan_str(p, "port"))
                    && json_integer_value(have)
                       != json_integer_value(json_object_get(p, "guarantee_bps"))) {
                    plan_call(calls, "queue.set", json_deep_copy(p));
                }
            }
        }
    }
    /* Wanted slices that are missing or incomplete: built again. */
    json_object_foreach((json_t *) wanted, slice, want) {
        if (plan_slice_complete(want, actual)) {
            continue;
        }
        if (inherit_find(json_object_get(actual, "slices"), "name", slice)) {
            plan_call(calls, "slice.del", json_pack("{s:s}", "name", slice));
        }
        json_array_extend(calls, want);
    }
    *calls_ = calls;
    return json_array_size(calls);
}

/* The link of 'links' joining switches 'a' and 'b' that is up, or else
 * one that is down ('*up' says which), or NULL. */
static const json_t *
plan_hop_link(const json_t *links, const char *a, const char *b, bool *up)
{
    const json_t *down = NULL;
    size_t i;
    json_t *l;

    json_array_foreach(links, i, l) {
        const char *sa = plan_str(l, "sw_a"), *sb = plan_str(l, "sw_b");
        if (!sa || !sb || !((!strcmp(sa, a) && !strcmp(sb, b))
                            || (!strcmp(sa, b) && !strcmp(sb, a)))) {
            continue;
        }
        if (!json_is_false(json_object_get(l, "up"))) {
            *up = true;
            return l;
        }
        down = l;
    }
    *up = false;
    return down;
}

/* The shortest path (hop count) from switch 'from' to 'to' over the links
 * of 'links' that are up, as a new array of switch names, or NULL. */
static json_t *
plan_path_up(const json_t *links, const char *from, const char *to)
{
    json_t *prev = json_object(), *queue = json_array(), *path = NULL;

    json_object_set_new(prev, from, json_null());
    json_array_append_new(queue, json_string(from));
    for (size_t q = 0; q < json_array_size(queue); q++) {
        const char *at = json_string_value(json_array_get(queue, q));
        if (!strcmp(at, to)) {
            path = json_array();
            for (const char *s = at; s;
                 s = json_string_value(json_object_get(prev, s))) {
                json_array_insert_new(path, 0, json_string(s));
            }
            break;
        }
        size_t i;
        json_t *l;
        json_array_foreach(links, i, l) {
            const char *sa = plan_str(l, "sw_a"), *sb = plan_str(l, "sw_b");
            const char *next = !sa || !sb ? NULL
                               : !strcmp(sa, at) ? sb : !strcmp(sb, at) ? sa : NULL;
            if (next && !json_is_false(json_object_get(l, "up"))
                && !json_object_get(prev, next)) {
                json_object_set_new(prev, next, json_string(at));
                json_array_append_new(queue, json_string(next));
            }
        }
    }
    json_decref(prev);
    json_decref(queue);
    return path;
}

json_t *
inpd_plan_reroute(const json_t *part, const json_t *links, json_t **new_part)
{
    static const char *const sections[] = { "vlinks", "border_vlinks",
                                            "transit_vlinks" };
    json_t *np = json_deep_copy(part), *down = json_array();
    json_t *rerouted = json_array();
    char reason[512] = "";

    for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
        size_t i;
        json_t *vl;
        json_array_foreach(json_object_get(np, sections[s]), i, vl) {
            const json_t *path = json_object_get(vl, "path");
            const json_t *cut = NULL;
            size_t n = json_array_size(path);
            for (size_t k = 0; k + 1 < n && !cut; k++) {
                const char *a = json_string_value(json_array_get(path, k));
                const char *b = json_string_value(json_array_get(path, k + 1));
                bool up;
                const json_t *l = a && b ? plan_hop_link(links, a, b, &up) : NULL;
                cut = l && !up ? l : NULL;
            }
            if (!cut) {
                continue;
            }
            const char *lname = plan_str(cut, "name") ? plan_str(cut, "name") : "?";
            const char *vname = plan_str(vl, "name") ? plan_str(vl, "name")
                                : plan_str(vl, "border_in") ? plan_str(vl, "border_in")
                                : "?";
            bool known = false;
            size_t d;
            json_t *dn;
            json_array_foreach(down, d, dn) {
                known = known || !strcmp(json_string_value(dn), lname);
            }
            if (!known) {
                json_array_append_new(down, json_string(lname));
            }
            const char *from = json_string_value(json_array_get(path, 0));
            const char *to = json_string_value(json_array_get(path, n - 1));
            json_t *alt = plan_path_up(links, from, to);
            if (alt) {
                json_array_append_new(rerouted, json_pack("{s:s, s:O}", "vlink",
                                                          vname, "path", alt));
                json_object_set_new(vl, "path", alt);
            } else if (!reason[0]) {
                snprintf(reason, sizeof reason, "%s[%zu] (%s): link %s is down "
                         "and no path from %s to %s avoids the links down",
                         sections[s], i, vname, lname, from, to);
            }
        }
    }
    if (!json_array_size(down)) {
        json_decref(np);
        json_decref(down);
        json_decref(rerouted);
        *new_part = NULL;
        return NULL;
    }
    json_t *health = json_pack("{s:s, s:o, s:o}", "state",
                               reason[0] ? "degraded" : "rerouted",
                               "down", down, "rerouted", rerouted);
    if (reason[0]) {
        json_object_set_new(health, "reason", json_string(reason));
    }
    *new_part = np;
    return health;
}
