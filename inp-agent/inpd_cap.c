/*
 * inpd_cap: capacity over time from the offer and the bookings, on
 * broker/admit.  See inpd_cap.h.
 */
#include "inpd_cap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "brk_error.h"
#include "units.h"
#include "util.h"

/* A rate given as bits/s or as a string such as "1G"; -1 if neither. */
static int64_t
cap_rate(const json_t *v)
{
    uint64_t bps;

    if (json_is_integer(v)) {
        return json_integer_value(v);
    }
    if (json_is_string(v) && !units_parse_rate(json_string_value(v), &bps)) {
        return (int64_t) bps;
    }
    return -1;
}

/* The resource name of the link between 'a' and 'b'. */
static void
cap_link_name(const char *a, const char *b, char *buf, size_t size)
{
    if (strcmp(a, b) > 0) {
        const char *t = a;
        a = b;
        b = t;
    }
    snprintf(buf, size, "bw:%s-%s", a, b);
}

/* An admission state with the resources of 'offer'. */
static struct admit *
cap_build(const json_t *offer)
{
    struct admit *a = admit_create();
    size_t i;
    json_t *e;
    char name[300];
    uint32_t idx;

    json_array_foreach(json_object_get(offer, "nodes"), i, e) {
        snprintf(name, sizeof name, "cpu:%s",
                 json_string_value(json_object_get(e, "name")));
        admit_add_resource(a, name, ADMIT_CPU,
                           json_integer_value(json_object_get(e, "cpu")), &idx);
    }
    json_array_foreach(json_object_get(offer, "links"), i, e) {
        const char *la = json_string_value(json_object_get(e, "a"));
        const char *lb = json_string_value(json_object_get(e, "b"));
        int64_t bw = cap_rate(json_object_get(e, "bandwidth"));
        if (la && lb) {
            cap_link_name(la, lb, name, sizeof name);
            admit_add_resource(a, name, ADMIT_BANDWIDTH, bw > 0 ? bw : 0, &idx);
        }
    }
    json_array_foreach(json_object_get(offer, "borders"), i, e) {
        int64_t bw = cap_rate(json_object_get(e, "bandwidth"));
        snprintf(name, sizeof name, "bw:border:%s",
                 json_string_value(json_object_get(e, "name")));
        admit_add_resource(a, name, ADMIT_BANDWIDTH, bw > 0 ? bw : 0, &idx);
    }
    return a;
}

static int
cap_index(const struct admit *a, const char *name, uint32_t *idx)
{
    for (uint32_t i = 0; i < admit_n_resources(a); i++) {
        if (!strcmp(admit_resource_name(a, i), name)) {
            *idx = i;
            return 0;
        }
    }
    return ENOENT;
}

/* Adds 'amount' of resource 'name' to the demands 'd' ('*n' of them). */
static int
cap_demand(const struct admit *a, const char *name, int64_t amount,
           struct admit_demand **d, size_t *n, char *msg, size_t msgsize)
{
    uint32_t idx;

    if (amount <= 0) {
        return 0;
    }
    if (cap_index(a, name, &idx)) {
        snprintf(msg, msgsize, "this InP offers no resource %s", name);
        return EINVAL;
    }
    *d = xrealloc(*d, (*n + 1) * sizeof **d);
    (*d)[(*n)++] = (struct admit_demand) { .resource = idx, .amount = amount };
    return 0;
}

/* The border crossings of 'part': [{"border", "label", "bps"}], one per
 * border vlink and two per transit vlink (in and out).  The caller owns
 * it. */
static json_t *
cap_crossings(const json_t *part)
{
    json_t *out = json_array(), *vl;
    size_t i;

    json_array_foreach(json_object_get(part, "border_vlinks"), i, vl) {
        json_array_append_new(out, json_pack(
            "{s:O, s:O, s:O}", "border", json_object_get(vl, "border"),
            "label", json_object_get(vl, "label"),
            "bps", json_object_get(vl, "bandwidth_bps")));
    }
    json_array_foreach(json_object_get(part, "transit_vlinks"), i, vl) {
        for (const char *const *k = (const char *const[]) { "in", "out", NULL };
             *k; k++) {
            char b[16], l[16];
            snprintf(b, sizeof b, "border_%s", *k);
            snprintf(l, sizeof l, "label_%s", *k);
            json_array_append_new(out, json_pack(
                "{s:O, s:O, s:O}", "border", json_object_get(vl, b),
                "label", json_object_get(vl, l),
                "bps", json_object_get(vl, "bandwidth_bps")));
        }
    }
    return out;
}

/* The demands of 'part' on 'a'. */
static int
cap_demands(const struct admit *a, const json_t *part, struct admit_demand **d,
            size_t *n, char *msg, size_t msgsize)
{
    const char *sections[] = { "vlinks", "border_vlinks", "transit_vlinks" };
    json_t *crossings;
    char name[300];
    size_t i;
    json_t *e;
    int error = 0;

    *d = NULL;
    *n = 0;
    json_array_foreach(json_object_get(part, "vnodes"), i, e) {
        snprintf(name, sizeof name, "cpu:%s",
                 json_string_value(json_object_get(e, "switch")));
        error = cap_demand(a, name, json_integer_value(json_object_get(e, "cpu")),
                           d, n, msg, msgsize);
        if (error) {
            return error;
        }
    }
    for (int s = 0; s < 3; s++) {
        json_array_foreach(json_object_get(part, sections[s]), i, e) {
            const json_t *path = json_object_get(e, "path");
            int64_t bps = json_integer_value(json_object_get(e, "bandwidth_bps"));

            for (size_t k = 0; k + 1 < json_array_size(path) && !error; k++) {
                cap_link_name(json_string_value(json_array_get(path, k)),
                              json_string_value(json_array_get(path, k + 1)),
                              name, sizeof name);
                error = cap_demand(a, name, bps, d, n, msg, msgsize);
            }
            if (error) {
                return error;
            }
        }
    }
    crossings = cap_crossings(part);
    json_array_foreach(crossings, i, e) {
        snprintf(name, sizeof name, "bw:border:%s",
                 json_string_value(json_object_get(e, "border")));
        error = cap_demand(a, name, json_integer_value(json_object_get(e, "bps")),
                           d, n, msg, msgsize);
        if (error) {
            break;
        }
    }
    json_decref(crossings);
    return error;
}

/* Books every element of 'bookings' on 'a' (one that no longer fits, as
 * after a smaller offer, is skipped: it is already there). */
static void
cap_book_all(struct admit *a, const json_t *bookings)
{
    size_t i;
    json_t *b;
    char msg[256];

    json_array_foreach(bookings, i, b) {
        struct admit_demand *d;
        size_t n;
        int64_t s = json_integer_value(json_object_get(b, "start"));
        int64_t e = json_integer_value(json_object_get(b, "end"));

        if (!cap_demands(a, json_object_get(b, "part"), &d, &n, msg, sizeof msg)
            && n && e > s) {
            admit_book(a, d, n, s, e, NULL, NULL);
        }
        free(d);
    }
}

/* The lease of 'bookings' that holds label 'label' of border 'border'
 * over a moment of [start, end), or NULL. */
static const char *
cap_label_owner(const json_t *bookings, const char *border, json_int_t label,
                int64_t start, int64_t end)
{
    size_t i, k;
    json_t *b, *vl;

    json_array_foreach(bookings, i, b) {
        if (json_integer_value(json_object_get(b, "start")) >= end
            || json_integer_value(json_object_get(b, "end")) <= start) {
            continue;
        }
        json_t *crossings = cap_crossings(json_object_get(b, "part"));
        bool held = false;
        json_array_foreach(crossings, k, vl) {
            const char *bn = json_string_value(json_object_get(vl, "border"));
            held |= bn && !strcmp(bn, border)
                    && json_integer_value(json_object_get(vl, "label")) == label;
        }
        json_decref(crossings);
        if (held) {
            const char *who = json_string_value(json_object_get(
                json_object_get(b, "part"), "slice"));
            return who ? who : "another lease";
        }
    }
    return NULL;
}

int
inpd_cap_check(const json_t *offer, const json_t *bookings, const json_t *part,
               int64_t start, int64_t end, json_t **why)
{
    struct admit *a = cap_build(offer);
    struct admit_demand *d = NULL;
    struct admit_shortage sh;
    struct brk_error berr = { "" };
    char msg[512];
    size_t n = 0, i;
    json_t *vl, *crossings = cap_crossings(part);
    int error;

    *why = NULL;
    error = cap_demands(a, part, &d, &n, msg, sizeof msg);
    if (error) {
        *why = json_pack("{s:s}", "message", msg);
        goto out;
    }
    json_array_foreach(crossings, i, vl) {
        const char *border = json_string_value(json_object_get(vl, "border"));
        json_int_t label = json_integer_value(json_object_get(vl, "label"));
        const char *owner = border ? cap_label_owner(bookings, border, label,
                                                     start, end) : NULL;
        if (owner) {
            snprintf(msg, sizeof msg, "label %lld of border %s is held by %s",
                     (long long) label, border, owner);
            *why = json_pack("{s:s+, s:i, s:s}", "resource", "label:", border,
                             "short_by", 1, "message", msg);
            error = ENOSPC;
            goto out;
        }
    }
    if (!n) {
        goto out;
    }
    cap_book_all(a, bookings);
    error = admit_check(a, d, n, start, end, &sh, &berr);
    if (error == ENOSPC) {
        admit_shortage_format(a, &sh, msg, sizeof msg);
        *why = json_pack("{s:s, s:I, s:s}", "resource",
                         admit_resource_name(a, sh.resource), "short_by",
                         (json_int_t) sh.short_by, "message", msg);
    } else if (error) {
        *why = json_pack("{s:s}", "message", berr.msg);
    }
out:
    json_decref(crossings);
    free(d);
    admit_destroy(a);
    return error;
}

json_t *
inpd_cap_report(const json_t *offer, const json_t *bookings, int64_t now)
{
    struct admit *a = cap_build(offer);
    json_t *total = json_object(), *free_now = json_object();

    cap_book_all(a, bookings);
    for (uint32_t i = 0; i < admit_n_resources(a); i++) {
        const char *name = admit_resource_name(a, i);
        int64_t cap = admit_capacity(a, i);
        json_object_set_new(total, name, json_integer(cap));
        json_object_set_new(free_now, name,
                            json_integer(cap - admit_used_at(a, i, now)));
    }
    admit_destroy(a);
    return json_pack("{s:o, s:o}", "total", total, "free_now", free_now);
}
