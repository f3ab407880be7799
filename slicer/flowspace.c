/*
 * flowspace: intersection, coverage and packet membership of OXM matches.
 * See flowspace.h.
 */
#include "flowspace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofp-extract.h"
#include "ofpbuf.h"
#include "util.h"

static bool
bytes_all_ones(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0xff) {
            return false;
        }
    }
    return true;
}

bool
fs_match_intersect(const struct ofp_match *a, const struct ofp_match *b,
                   struct ofp_match *out)
{
    struct ofp_match r;

    ofp_match_init(&r);
    for (uint64_t any = a->present | b->present; any; any &= any - 1) {
        enum ofp_field f = __builtin_ctzll(any);
        unsigned int len = ofp_fields[f].len;
        bool in_a = ofp_match_has(a, f), in_b = ofp_match_has(b, f);
        uint8_t *rv = ofp_field_ptr(&r.v, f), *rm = ofp_field_ptr(&r.m, f);

        if (in_a && in_b) {
            const uint8_t *av = ofp_field_cptr(&a->v, f), *am = ofp_field_cptr(&a->m, f);
            const uint8_t *bv = ofp_field_cptr(&b->v, f), *bm = ofp_field_cptr(&b->m, f);
            for (unsigned int i = 0; i < len; i++) {
                uint8_t common = am[i] & bm[i];
                if ((av[i] & common) != (bv[i] & common)) {
                    return false;
                }
                rm[i] = am[i] | bm[i];
                rv[i] = (av[i] & am[i]) | (bv[i] & bm[i]);
            }
        } else {
            const struct ofp_match *s = in_a ? a : b;
            memcpy(rv, ofp_field_cptr(&s->v, f), len);
            memcpy(rm, ofp_field_cptr(&s->m, f), len);
        }
        r.present |= UINT64_C(1) << f;
        if (!bytes_all_ones(rm, len)) {
            r.masked |= UINT64_C(1) << f;
        }
    }
    if (out) {
        *out = r;
    }
    return true;
}

bool
fs_match_overlaps(const struct ofp_match *a, const struct ofp_match *b)
{
    return fs_match_intersect(a, b, NULL);
}

bool
fs_match_covers(const struct ofp_match *a, const struct ofp_match *b)
{
    for (uint64_t p = a->present; p; p &= p - 1) {
        enum ofp_field f = __builtin_ctzll(p);
        unsigned int len = ofp_fields[f].len;
        const uint8_t *av = ofp_field_cptr(&a->v, f), *am = ofp_field_cptr(&a->m, f);
        const uint8_t *bv = ofp_field_cptr(&b->v, f), *bm = ofp_field_cptr(&b->m, f);

        if (!ofp_match_has(b, f)) {
            return false;
        }
        for (unsigned int i = 0; i < len; i++) {
            if ((bm[i] & am[i]) != am[i] || (bv[i] & am[i]) != av[i]) {
                return false;
            }
        }
    }
    return true;
}

bool
fs_match_field_allows(const struct ofp_match *a, enum ofp_field f,
                      const union ofp_value *v)
{
    const uint8_t *av = ofp_field_cptr(&a->v, f), *am = ofp_field_cptr(&a->m, f);
    const uint8_t *x = (const uint8_t *) v;

    if (!ofp_match_has(a, f)) {
        return true;
    }
    for (unsigned int i = 0; i < ofp_fields[f].len; i++) {
        if ((x[i] & am[i]) != av[i]) {
            return false;
        }
    }
    return true;
}

bool
fs_match_has_packet(const struct ofp_match *a, const struct ofp_match *pkt)
{
    for (uint64_t p = a->present; p; p &= p - 1) {
        enum ofp_field f = __builtin_ctzll(p);
        if (!ofp_match_has(pkt, f)
            || !fs_match_field_allows(a, f,
                                      (const union ofp_value *)
                                      ofp_field_cptr(&pkt->v, f))) {
            return false;
        }
    }
    return true;
}

/* ---- Packet parsing --------------------------------------------------- */

void
fs_packet_parse(const void *data, size_t len, uint32_t in_port,
                struct ofp_match *m)
{
    ofp_match_init(m);
    if (in_port) {
        ofp_match_set_u(m, OFP_F_IN_PORT, in_port);
    }
    ofp_extract_match(data, len, m, NULL);
}

/* ---- Prerequisites ---------------------------------------------------- */

static void
need_u(struct ofp_match *m, enum ofp_field f, uint64_t value)
{
    if (!ofp_match_has(m, f)) {
        ofp_match_set_u(m, f, value);
    }
}

void
fs_match_add_prereqs(struct ofp_match *m)
{
    uint16_t ip_type = OFP_ETH_TYPE_IPV4;

    /* IPv6 fields, or ICMPv6, choose IPv6 for the generic IP fields. */
    if (m->present & ((UINT64_C(1) << OFP_F_IPV6_SRC)
                      | (UINT64_C(1) << OFP_F_IPV6_DST)
                      | (UINT64_C(1) << OFP_F_IPV6_FLABEL)
                      | (UINT64_C(1) << OFP_F_ICMPV6_TYPE)
                      | (UINT64_C(1) << OFP_F_ICMPV6_CODE)
                      | (UINT64_C(1) << OFP_F_IPV6_ND_TARGET)
                      | (UINT64_C(1) << OFP_F_IPV6_ND_SLL)
                      | (UINT64_C(1) << OFP_F_IPV6_ND_TLL))
        || (ofp_match_has(m, OFP_F_ETH_TYPE) && m->v.eth_type == OFP_ETH_TYPE_IPV6)) {
        ip_type = OFP_ETH_TYPE_IPV6;
    }
    for (uint64_t p = m->present; p; p &= p - 1) {
        enum ofp_field f = __builtin_ctzll(p);
        switch (ofp_fields[f].prereq) {
        case OFP_PRE_NONE:
            break;
        case OFP_PRE_VLAN:
            need_u(m, OFP_F_VLAN_VID, OFPVID_PRESENT);
            if (!ofp_match_has(m, OFP_F_VLAN_VID)) {
                break;
            }
            if (!(m->v.vlan_vid & OFPVID_PRESENT)) {
                /* vlan_pcp needs a tag: make "any VID" explicit. */
                ofp_match_set_masked_u(m, OFP_F_VLAN_VID, OFPVID_PRESENT,
                                       OFPVID_PRESENT);
            }
            break;
        case OFP_PRE_IP:
            need_u(m, OFP_F_ETH_TYPE, ip_type);
            break;
        case OFP_PRE_IPV4:
        case OFP_PRE_ICMPV4:
            need_u(m, OFP_F_ETH_TYPE, OFP_ETH_TYPE_IPV4);
            if (ofp_fields[f].prereq == OFP_PRE_ICMPV4) {
                need_u(m, OFP_F_IP_PROTO, OFP_IPPROTO_ICMP);
            }
            break;
        case OFP_PRE_IPV6:
        case OFP_PRE_ICMPV6:
        case OFP_PRE_ND:
        case OFP_PRE_ND_NS:
        case OFP_PRE_ND_NA:
            need_u(m, OFP_F_ETH_TYPE, OFP_ETH_TYPE_IPV6);
            if (ofp_fields[f].prereq != OFP_PRE_IPV6) {
                need_u(m, OFP_F_IP_PROTO, OFP_IPPROTO_ICMPV6);
            }
            if (ofp_fields[f].prereq == OFP_PRE_ND_NS) {
                need_u(m, OFP_F_ICMPV6_TYPE, 135);
            } else if (ofp_fields[f].prereq == OFP_PRE_ND_NA) {
                need_u(m, OFP_F_ICMPV6_TYPE, 136);
            }
            break;
        case OFP_PRE_ARP:
            need_u(m, OFP_F_ETH_TYPE, OFP_ETH_TYPE_ARP);
            break;
        case OFP_PRE_MPLS:
            need_u(m, OFP_F_ETH_TYPE, OFP_ETH_TYPE_MPLS);
            break;
        case OFP_PRE_TCP:
            need_u(m, OFP_F_ETH_TYPE, ip_type);
            need_u(m, OFP_F_IP_PROTO, OFP_IPPROTO_TCP);
            break;
        case OFP_PRE_UDP:
            need_u(m, OFP_F_ETH_TYPE, ip_type);
            need_u(m, OFP_F_IP_PROTO, OFP_IPPROTO_UDP);
            break;
        case OFP_PRE_SCTP:
            need_u(m, OFP_F_ETH_TYPE, ip_type);
            need_u(m, OFP_F_IP_PROTO, OFP_IPPROTO_SCTP);
            break;
        }
    }
}

/* ---- Ranges ----------------------------------------------------------- */

size_t
fs_range_to_prefixes(uint64_t lo, uint64_t hi, unsigned int bits,
                     uint64_t *values, uint64_t *masks, size_t max)
{
    uint64_t all = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    size_t n = 0;

    if (lo > hi || hi > all) {
        return 0;
    }
    for (;;) {
        /* The largest aligned block that starts at 'lo' and stays <= hi. */
        unsigned int size_bits = lo ? (unsigned int) __builtin_ctzll(lo) : bits;
        if (size_bits > bits) {
            size_bits = bits;
        }
        while (size_bits && (size_bits >= 64
                             || lo + ((UINT64_C(1) << size_bits) - 1) > hi
                             || lo + ((UINT64_C(1) << size_bits) - 1) < lo)) {
            size_bits--;
        }
        uint64_t block = size_bits >= 64 ? UINT64_MAX
                         : (UINT64_C(1) << size_bits) - 1;
        if (n < max) {
            values[n] = lo;
            masks[n] = all & ~block;
        }
        n++;
        if (lo + block >= hi) {
            break;
        }
        lo += block + 1;
    }
    return n;
}

/* ---- Text ------------------------------------------------------------- */

static int __attribute__((format(printf, 3, 4)))
parse_error(char *msg, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(msg, size, fmt, args);
    va_end(args);
    return -1;
}

static bool
field_is_ipv4(enum ofp_field f)
{
    return f == OFP_F_IPV4_SRC || f == OFP_F_IPV4_DST || f == OFP_F_ARP_SPA
           || f == OFP_F_ARP_TPA;
}

static bool
field_is_mac(enum ofp_field f)
{
    return f == OFP_F_ETH_SRC || f == OFP_F_ETH_DST || f == OFP_F_ARP_SHA
           || f == OFP_F_ARP_THA;
}

static bool
field_is_ipv6(enum ofp_field f)
{
    return f == OFP_F_IPV6_SRC || f == OFP_F_IPV6_DST;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-') {
        return false;
    }
    errno = 0;
    *out = strtoull(s, &end, 0);
    return !errno && !*end;
}

/* Parses one scalar of field 'f' (no mask, no range) into 'v'. */
static bool
parse_scalar(enum ofp_field f, const char *s, union ofp_value *v,
             bool is_mask)
{
    memset(v, 0, sizeof *v);
    if (field_is_mac(f)) {
        unsigned int b[6];
        char extra;
        if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
                   &b[4], &b[5], &extra) != 6) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (b[i] > 255) {
                return false;
            }
            v->mac[i] = b[i];
        }
        return true;
    }
    if (field_is_ipv4(f)) {
        struct in_addr a;
        if (inet_pton(AF_INET, s, &a) != 1) {
            return false;
        }
        v->u32 = ntohl(a.s_addr);
        return true;
    }
    if (field_is_ipv6(f)) {
        return inet_pton(AF_INET6, s, v->ipv6) == 1;
    }
    uint64_t x;
    if (f == OFP_F_VLAN_VID && !is_mask) {
        if (!strcmp(s, "none")) {
            v->u16 = 0;
            return true;
        }
        if (!parse_u64(s, &x) || x > 0x1fff) {
            return false;
        }
        /* A plain VID (<4096) means "tagged with this VID"; larger values
         * are the OXM form with OFPVID_PRESENT already in. */
        v->u16 = x < 0x1000 ? x | OFPVID_PRESENT : x;
        return true;
    }
    if (!parse_u64(s, &x)) {
        return false;
    }
    unsigned int len = ofp_fields[f].len;
    if (len < 8 && x >> (8 * len)) {
        return false;
    }
    ofp_value_from_u64(f, x, v);
    return true;
}

/* Prefix length 'n' of field 'f' as a mask. */
static bool
prefix_mask(enum ofp_field f, const char *s, union ofp_value *mask)
{
    uint64_t n;
    unsigned int bits = ofp_fields[f].len * 8;

    if (!parse_u64(s, &n) || n > bits || strchr(s, 'x')) {
        return false;
    }
    memset(mask, 0, sizeof *mask);
    if (field_is_ipv6(f) || field_is_mac(f)) {
        for (unsigned int i = 0; i < n; i++) {
            mask->bytes[i / 8] |= 0x80 >> (i % 8);
        }
        return true;
    }
    uint64_t m = n ? (bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1)
                     & ~((n >= bits ? 0 : (UINT64_C(1) << (bits - n)) - 1))
                   : 0;
    ofp_value_from_u64(f, m, mask);
    return true;
}

int
fs_match_parse(const char *text, struct ofp_match *out, size_t max,
               char *msg, size_t msg_size)
{
    char *copy = xstrdup(text ? text : ""), *save = NULL;
    size_t n = 1;
    int result = -1;

    if (!max) {
        free(copy);
        return parse_error(msg, msg_size, "no room for a match");
    }
    ofp_match_init(&out[0]);
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') {
            tok++;
        }
        if (!*tok || !strcmp(tok, "any") || !strcmp(tok, "*")) {
            continue;
        }
        char *eq = strchr(tok, '=');
        if (!eq) {
            parse_error(msg, msg_size, "\"%s\": expected FIELD=VALUE", tok);
            goto out;
        }
        *eq = '\0';
        char *val = eq + 1;
        enum ofp_field f = ofp_field_from_name(tok);
        if (f == OFP_F_N) {
            parse_error(msg, msg_size, "unknown field \"%s\"", tok);
            goto out;
        }
        if (ofp_match_has(&out[0], f)) {
            parse_error(msg, msg_size, "field %s given twice", tok);
            goto out;
        }
        char *slash = strchr(val, '/');
        char *dash = field_is_ipv6(f) || field_is_mac(f) ? NULL
                     : strchr(val, '-');
        union ofp_value v, mk;
        bool has_mask = false;

        if (slash && dash) {
            parse_error(msg, msg_size, "%s: a range cannot have a mask", tok);
            goto out;
        }
        if (dash) {
            union ofp_value lo, hi;
            uint64_t vals[FS_MAX_EXPANSION], masks[FS_MAX_EXPANSION];
            unsigned int bits = ofp_fields[f].len * 8;
            size_t k;

            *dash = '\0';
            /* (As a VID, not a mask: "100" is the tag 0x1000|100.) */
            if (!parse_scalar(f, val, &lo, f != OFP_F_VLAN_VID)
                || !parse_scalar(f, dash + 1, &hi, f != OFP_F_VLAN_VID)
                || ofp_value_to_u64(f, &lo) > ofp_value_to_u64(f, &hi)
                || (f == OFP_F_VLAN_VID
                    && !(ofp_value_to_u64(f, &lo) & OFPVID_PRESENT))) {
                parse_error(msg, msg_size, "%s: \"%s-%s\" is not a range of "
                            "values", tok, val, dash + 1);
                goto out;
            }
            if (f == OFP_F_VLAN_VID) {
                /* A VLAN set: prefixes of the 12-bit VID, each with the
                 * tag present. */
                k = fs_range_to_prefixes(ofp_value_to_u64(f, &lo) & 0xfff,
                                         ofp_value_to_u64(f, &hi) & 0xfff, 12,
                                         vals, masks, FS_MAX_EXPANSION);
                for (size_t i = 0; i < k && i < FS_MAX_EXPANSION; i++) {
                    vals[i] |= OFPVID_PRESENT;
                    masks[i] = masks[i] == 0xfff ? UINT64_MAX : masks[i] | OFPVID_PRESENT;
                }
            } else if (ofp_fields[f].maskable) {
                k = fs_range_to_prefixes(ofp_value_to_u64(f, &lo), ofp_value_to_u64(f, &hi),
                                         bits, vals, masks, FS_MAX_EXPANSION);
            } else {
                uint64_t count = ofp_value_to_u64(f, &hi) - ofp_value_to_u64(f, &lo) + 1;
                k = count > FS_MAX_EXPANSION ? FS_MAX_EXPANSION + 1 : count;
                for (size_t i = 0; i < k && i < FS_MAX_EXPANSION; i++) {
                    vals[i] = ofp_value_to_u64(f, &lo) + i;
                    masks[i] = UINT64_MAX;
                }
            }
            if (k * n > max || k > FS_MAX_EXPANSION) {
                parse_error(msg, msg_size, "%s: the range expands into too "
                            "many matches (at most %zu)", tok, max);
                goto out;
            }
            /* Cross product: each existing match times each prefix. */
            for (size_t j = n; j-- > 0;) {
                for (size_t i = 0; i < k; i++) {
                    struct ofp_match *dst = &out[j * k + i];
                    if (dst != &out[j]) {
                        *dst = out[j];
                    }
                }
            }
            for (size_t j = 0; j < n; j++) {
                for (size_t i = 0; i < k; i++) {
                    struct ofp_match *dst = &out[j * k + i];
                    if (masks[i] == UINT64_MAX
                        || (bits < 64
                            && masks[i] == (UINT64_C(1) << bits) - 1)) {
                        ofp_match_set_u(dst, f, vals[i]);
                    } else {
                        ofp_match_set_masked_u(dst, f, vals[i], masks[i]);
                    }
                }
            }
            n *= k;
            continue;
        }
        if (slash) {
            *slash = '\0';
            if (!ofp_fields[f].maskable) {
                parse_error(msg, msg_size, "field %s takes no mask", tok);
                goto out;
            }
            if (!prefix_mask(f, slash + 1, &mk)
                && !parse_scalar(f, slash + 1, &mk, true)) {
                parse_error(msg, msg_size, "%s: \"%s\" is neither a prefix "
                            "length nor a mask", tok, slash + 1);
                goto out;
            }
            has_mask = true;
        }
        if (!parse_scalar(f, val, &v, false)) {
            parse_error(msg, msg_size, "%s: \"%s\" is not a valid value",
                        tok, val);
            goto out;
        }
        for (size_t j = 0; j < n; j++) {
            ofp_match_set(&out[j], f, &v, has_mask ? &mk : NULL);
        }
    }
    for (size_t j = 0; j < n; j++) {
        struct ofp_error err;
        fs_match_add_prereqs(&out[j]);
        /* An all-ones mask is an exact match. */
        for (uint64_t p = out[j].masked; p; p &= p - 1) {
            enum ofp_field f = __builtin_ctzll(p);
            if (bytes_all_ones(ofp_field_cptr(&out[j].m, f), ofp_fields[f].len)) {
                out[j].masked &= ~(UINT64_C(1) << f);
            }
        }
        if (ofp_match_validate(&out[j], &err)) {
            char ename[64];
            parse_error(msg, msg_size, "invalid match \"%s\": %s", text,
                        ofp_error_format(err, ename, sizeof ename));
            goto out;
        }
    }
    result = n;
out:
    free(copy);
    return result;
}

char *
fs_match_to_string(const struct ofp_match *m)
{
    struct ofpbuf s = OFPBUF_INITIALIZER;
    char *text;

    if (!m->present) {
        return xstrdup("any");
    }
    ofp_match_format(m, &s);
    text = xstrdup(ofpbuf_cstr(&s));
    ofpbuf_uninit(&s);
    return text;
}
