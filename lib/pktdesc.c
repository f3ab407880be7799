/*
 * pktdesc: a test frame from a short description; see pktdesc.h.
 */
#include "pktdesc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses a hex dump into 'frame'. */
static int
pktdesc_hex(const char *s, uint8_t *frame, size_t *len, char *err,
            size_t errsize)
{
    size_t n = 0;

    while (*s) {
        if (isspace((unsigned char) *s) || *s == ':' || *s == '.') {
            s++;
            continue;
        }
        if (!isxdigit((unsigned char) s[0]) || !isxdigit((unsigned char) s[1])) {
            snprintf(err, errsize, "hex dump: \"%.8s\" is not a byte in hex",
                     s);
            return EINVAL;
        }
        if (n >= PKTDESC_MAX_LEN) {
            snprintf(err, errsize, "hex dump: more than %d bytes",
                     PKTDESC_MAX_LEN);
            return EINVAL;
        }
        char byte[3] = { s[0], s[1], '\0' };
        frame[n++] = strtoul(byte, NULL, 16);
        s += 2;
    }
    if (n < 14) {
        snprintf(err, errsize, "hex dump: %zu bytes, an Ethernet frame has "
                 "at least 14", n);
        return EINVAL;
    }
    *len = n;
    return 0;
}

static bool
pktdesc_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char extra;

    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
               &b[5], &extra) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (b[i] > 255) {
            return false;
        }
        mac[i] = b[i];
    }
    return true;
}

static bool
pktdesc_uint(const char *s, unsigned long max, unsigned long *v)
{
    char *end;

    if (!*s || *s == '-') {
        return false;
    }
    *v = strtoul(s, &end, 0);
    return !*end && *v <= max;
}

static uint16_t
pktdesc_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t) p[i] << 8 | p[i + 1];
    }
    if (n & 1) {
        sum += (uint32_t) p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* Builds a frame; see pktdesc.h. */
int
pktdesc_build(const char *desc, uint8_t *frame, size_t *len, char *err,
              size_t errsize)
{
    uint8_t src[6] = { 2, 0, 0, 0, 0, 1 }, dst[6] = { 2, 0, 0, 0, 0, 2 };
    struct in_addr ip_src = { htonl(0x0a000001) }, ip_dst = { htonl(0x0a000002) };
    unsigned long vlan = 0, eth_type = 0, proto = 1, tp_src = 1024,
                  tp_dst = 80, total = 60;
    bool ip = false, have_type = false;
    char *copy, *field, *save = NULL;
    int error = 0;

    if (!strncmp(desc, "hex:", 4)) {
        return pktdesc_hex(desc + 4, frame, len, err, errsize);
    }
    if (!strchr(desc, '=')) {
        return pktdesc_hex(desc, frame, len, err, errsize);
    }
    copy = strdup(desc);
    if (!copy) {
        snprintf(err, errsize, "out of memory");
        return ENOMEM;
    }
    for (field = strtok_r(copy, ",", &save); field && !error;
         field = strtok_r(NULL, ",", &save)) {
        char *v = strchr(field, '=');
        bool ok;

        if (!v) {
            snprintf(err, errsize, "\"%s\" is not FIELD=VALUE", field);
            error = EINVAL;
            break;
        }
        *v++ = '\0';
        if (!strcmp(field, "eth_src")) {
            ok = pktdesc_mac(v, src);
        } else if (!strcmp(field, "eth_dst")) {
            ok = pktdesc_mac(v, dst);
        } else if (!strcmp(field, "vlan")) {
            ok = pktdesc_uint(v, 4094, &vlan) && vlan > 0;
        } else if (!strcmp(field, "eth_type")) {
            ok = pktdesc_uint(v, 0xffff, &eth_type);
            have_type = true;
        } else if (!strcmp(field, "ip_src")) {
            ok = inet_pton(AF_INET, v, &ip_src) == 1;
            ip = true;
        } else if (!strcmp(field, "ip_dst")) {
            ok = inet_pton(AF_INET, v, &ip_dst) == 1;
            ip = true;
        } else if (!strcmp(field, "proto")) {
            ip = true;
            ok = true;
            if (!strcmp(v, "icmp")) {
                proto = 1;
            } else if (!strcmp(v, "tcp")) {
                proto = 6;
            } else if (!strcmp(v, "udp")) {
                proto = 17;
            } else {
                ok = pktdesc_uint(v, 255, &proto);
            }
        } else if (!strcmp(field, "tp_src")) {
            ok = pktdesc_uint(v, 65535, &tp_src);
        } else if (!strcmp(field, "tp_dst")) {
            ok = pktdesc_uint(v, 65535, &tp_dst);
        } else if (!strcmp(field, "len")) {
            ok = pktdesc_uint(v, PKTDESC_MAX_LEN, &total) && total >= 60;
        } else {
            snprintf(err, errsize, "unknown field \"%s\" (known: eth_src, "
                     "eth_dst, vlan, eth_type, ip_src, ip_dst, proto, tp_src, "
                     "tp_dst, len)", field);
            error = EINVAL;
            break;
        }
        if (!ok) {
            snprintf(err, errsize, "%s: \"%s\" is not a valid value", field, v);
            error = EINVAL;
        }
    }
    free(copy);
    if (error) {
        return error;
    }
    if (ip && have_type && eth_type != 0x0800) {
        snprintf(err, errsize, "eth_type: IPv4 fields need 0x0800");
        return EINVAL;
    }
    if (!have_type) {
        eth_type = ip ? 0x0800 : 0x88b5;
    }

    /* Ethernet, optional tag. */
    size_t n = 0;
    memset(frame, 0, PKTDESC_MAX_LEN);
    memcpy(frame, dst, 6);
    memcpy(frame + 6, src, 6);
    n = 12;
    if (vlan) {
        frame[n++] = 0x81;
        frame[n++] = 0x00;
        frame[n++] = vlan >> 8;
        frame[n++] = vlan & 0xff;
    }
    frame[n++] = eth_type >> 8;
    frame[n++] = eth_type & 0xff;
    if (ip) {
        size_t l4 = proto == 6 ? 20 : proto == 1 || proto == 17 ? 8 : 0;
        size_t need = n + 20 + l4;
        if (total < need) {
            total = need;
        }
        uint8_t *iph = frame + n;
        size_t ip_len = total - n;
        iph[0] = 0x45;
        iph[2] = ip_len >> 8;
        iph[3] = ip_len & 0xff;
        iph[8] = 64;
        iph[9] = proto;
        memcpy(iph + 12, &ip_src, 4);
        memcpy(iph + 16, &ip_dst, 4);
        uint16_t c = pktdesc_csum(iph, 20);
        iph[10] = c >> 8;
        iph[11] = c & 0xff;
        uint8_t *l4h = iph + 20;
        if (proto == 1) {
            l4h[0] = 8;             /* echo request */
            c = pktdesc_csum(l4h, ip_len - 20);
            l4h[2] = c >> 8;
            l4h[3] = c & 0xff;
        } else if (proto == 6 || proto == 17) {
            l4h[0] = tp_src >> 8;
            l4h[1] = tp_src & 0xff;
            l4h[2] = tp_dst >> 8;
            l4h[3] = tp_dst & 0xff;
            if (proto == 17) {
                l4h[4] = (ip_len - 20) >> 8;
                l4h[5] = (ip_len - 20) & 0xff;
            } else {
                l4h[12] = 5 << 4;   /* data offset */
                l4h[13] = 0x02;     /* SYN */
            }
        }
    }
    *len = total < n ? n : total;
    return 0;
}
