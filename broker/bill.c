#include "bill.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "brk_time.h"
#include "util.h"

/* Seconds of 'part' billed up to 'until'. */
static int64_t
billed_seconds(const struct bill_part *part, int64_t until)
{
    int64_t stop = part->end;
    if (part->released && part->released < stop) {
        stop = part->released;
    }
    stop = MIN(stop, until);
    return stop > part->start ? stop - part->start : 0;
}

/* The charge of 'part' up to 'until'. */
int64_t
bill_part_charge(const struct bill_part *part, int64_t until)
{
    __int128 secs = billed_seconds(part, until);
    __int128 num = (__int128) part->cpu * part->prices.cpu_hour * secs
                   * 1000000
                   + (__int128) part->bandwidth * part->prices.mbps_hour * secs;
    return (int64_t) (num / ((__int128) 3600 * 1000000));
}

/* "12.345678". */
const char *
bill_format_amount(int64_t amount, char *buf, size_t size)
{
    uint64_t a = amount < 0 ? -(uint64_t) amount : (uint64_t) amount;
    snprintf(buf, size, "%s%"PRIu64".%06"PRIu64, amount < 0 ? "-" : "",
             a / 1000000, a % 1000000);
    return buf;
}

/* Parses "12.5" into 12,500,000. */
int
bill_parse_amount(const char *s, int64_t *amount)
{
    int64_t whole = 0, frac = 0;
    int decimals = 0;

    if (!s || !isdigit((unsigned char) *s)) {
        return EINVAL;
    }
    while (isdigit((unsigned char) *s)) {
        whole = whole * 10 + (*s++ - '0');
        if (whole > INT64_MAX / 1000000 - 1) {
            return ERANGE;
        }
    }
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char) *s)) {
            return EINVAL;
        }
        while (isdigit((unsigned char) *s)) {
            if (++decimals > 6) {
                return EINVAL;
            }
            frac = frac * 10 + (*s++ - '0');
        }
    }
    if (*s) {
        return EINVAL;
    }
    for (; decimals < 6; decimals++) {
        frac *= 10;
    }
    *amount = whole * 1000000 + frac;
    return 0;
}

/* Sets "amount" (text) and "micro" (integer) of 'obj'. */
static void
set_amount(json_t *obj, int64_t micro)
{
    char buf[32];
    json_object_set_new(obj, "amount",
                        json_string(bill_format_amount(micro, buf, sizeof buf)));
    json_object_set_new(obj, "micro", json_integer(micro));
}

/* The entry of 'leases' for lease 'id', created if new. */
static json_t *
lease_entry(json_t *leases, const char *id)
{
    size_t i;
    json_t *e;

    json_array_foreach(leases, i, e) {
        if (!strcmp(json_string_value(json_object_get(e, "lease")), id)) {
            return e;
        }
    }
    e = json_pack("{s:s, s:[], s:I}", "lease", id, "parts", "micro",
                  (json_int_t) 0);
    json_array_append_new(leases, e);
    return e;
}

static void
add_micro(json_t *obj, int64_t micro)
{
    set_amount(obj, json_integer_value(json_object_get(obj, "micro")) + micro);
}

/* The bill of 'sp'. */
json_t *
bill_report_sp(const struct bill_part *parts, size_t n, const char *sp,
               int64_t until)
{
    char when[32];
    json_t *leases = json_array();
    int64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        const struct bill_part *p = &parts[i];
        if (strcmp(p->sp, sp)) {
            continue;
        }
        int64_t micro = bill_part_charge(p, until);
        json_t *e = lease_entry(leases, p->lease);
        json_t *part = json_pack("{s:s, s:I, s:I, s:I}", "inp", p->inp,
                                 "cpu", (json_int_t) p->cpu,
                                 "bandwidth", (json_int_t) p->bandwidth,
                                 "seconds",
                                 (json_int_t) billed_seconds(p, until));
        set_amount(part, micro);
        json_array_append_new(json_object_get(e, "parts"), part);
        add_micro(e, micro);
        total += micro;
    }
    json_t *report = json_pack("{s:s, s:s, s:o}", "sp", sp, "until",
                               brk_time_format(until, when, sizeof when),
                               "leases", leases);
    set_amount(report, total);
    return report;
}

/* The revenue of 'inp'. */
json_t *
bill_report_inp(const struct bill_part *parts, size_t n, const char *inp,
                int64_t until)
{
    char when[32];
    json_t *leases = json_array();
    int64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        const struct bill_part *p = &parts[i];
        if (strcmp(p->inp, inp)) {
            continue;
        }
        int64_t micro = bill_part_charge(p, until);
        json_t *e = lease_entry(leases, p->lease);
        json_object_set_new(e, "sp", json_string(p->sp));
        json_object_del(e, "parts");
        add_micro(e, micro);
        total += micro;
    }
    json_t *report = json_pack("{s:s, s:s, s:o}", "inp", inp, "until",
                               brk_time_format(until, when, sizeof when),
                               "leases", leases);
    set_amount(report, total);
    return report;
}
