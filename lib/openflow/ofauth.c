/*
 * ofauth: the plain-TCP credential and the gate (see ofauth.h).
 */
#include "ofauth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "util.h"

#define OFAUTH_HDR 8
#define OFAUTH_TYPE_HELLO 0
#define OFAUTH_TYPE_ECHO_REQUEST 2
#define OFAUTH_TYPE_ECHO_REPLY 3
#define OFAUTH_VERSION_13 4

int
ofauth_secret_check(const char *secret, char *msg, size_t size)
{
    size_t n = strlen(secret);

    if (!n || n > OFAUTH_SECRET_MAX) {
        snprintf(msg, size, "a secret is 1 to %d characters (this one has %zu)",
                 OFAUTH_SECRET_MAX, n);
        return EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isgraph((unsigned char) secret[i])) {
            snprintf(msg, size, "a secret is printable ASCII without spaces "
                     "(character %zu is not)", i + 1);
            return EINVAL;
        }
    }
    return 0;
}

void
ofauth_encode_credential(struct ofpbuf *out, uint32_t xid, const char *secret)
{
    size_t plen = strlen(OFAUTH_PREFIX), slen = strlen(secret);
    uint8_t hdr[OFAUTH_HDR] = { OFAUTH_VERSION_13, OFAUTH_TYPE_ECHO_REQUEST };
    uint16_t len = htons(OFAUTH_HDR + plen + slen);
    uint32_t nxid = htonl(xid);

    memcpy(hdr + 2, &len, 2);
    memcpy(hdr + 4, &nxid, 4);
    ofpbuf_put(out, hdr, sizeof hdr);
    ofpbuf_put(out, OFAUTH_PREFIX, plen);
    ofpbuf_put(out, secret, slen);
}

bool
ofauth_parse_credential(const uint8_t *msg, size_t len, const uint8_t **secret,
                        size_t *n)
{
    size_t plen = strlen(OFAUTH_PREFIX);

    if (len < OFAUTH_HDR + plen || msg[1] != OFAUTH_TYPE_ECHO_REQUEST
        || memcmp(msg + OFAUTH_HDR, OFAUTH_PREFIX, plen)) {
        return false;
    }
    *secret = msg + OFAUTH_HDR + plen;
    *n = len - OFAUTH_HDR - plen;
    return true;
}

bool
ofauth_secret_equal(const char *secret, const uint8_t *p, size_t n)
{
    size_t slen = strlen(secret);

    /* The length of the expected secret may leak; its bytes do not. */
    return n == slen && !CRYPTO_memcmp(secret, p, n);
}

void
ofauth_credential_id(const uint8_t *p, size_t n, char id[OFAUTH_ID_LEN])
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    size_t k = snprintf(id, OFAUTH_ID_LEN, "secret-sha256:");

    SHA256(p, n, md);
    for (size_t i = 0; i < sizeof md && k + 2 < OFAUTH_ID_LEN; i++) {
        k += snprintf(id + k, OFAUTH_ID_LEN - k, "%02x", md[i]);
    }
}

/* ---- The gate ------------------------------------------------------------ */

void
ofauth_gate_init(struct ofauth_gate *g, const char *secret, uint64_t now_ms)
{
    memset(g, 0, sizeof *g);
    str_copy(g->secret, secret ? secret : "", sizeof g->secret);
    g->open = !g->secret[0];
    g->deadline_ms = now_ms + OFAUTH_TIMEOUT_MS;
    ofpbuf_init(&g->held, 0);
}

void
ofauth_gate_destroy(struct ofauth_gate *g)
{
    ofpbuf_uninit(&g->held);
    ofpbuf_init(&g->held, 0);
}

enum ofauth_verdict
ofauth_gate_input(struct ofauth_gate *g, const uint8_t *msg, size_t len,
                  const char **why)
{
    const uint8_t *secret;
    size_t n;

    *why = "";
    if (g->open || len < OFAUTH_HDR || msg[1] == OFAUTH_TYPE_HELLO) {
        return OFAUTH_PASS;
    }
    if (ofauth_parse_credential(msg, len, &secret, &n)) {
        if (!ofauth_secret_equal(g->secret, secret, n)) {
            *why = "wrong secret";
            return OFAUTH_REFUSED;
        }
        g->open = true;
        ofauth_credential_id(secret, n, g->id);
        return OFAUTH_ACCEPTED;
    }
    if (g->held.size + len > OFAUTH_HOLD_MAX) {
        *why = "too much sent before the secret";
        return OFAUTH_REFUSED;
    }
    ofpbuf_put(&g->held, msg, len);
    return OFAUTH_HELD;
}

bool
ofauth_gate_expired(const struct ofauth_gate *g, uint64_t now_ms)
{
    return !g->open && now_ms >= g->deadline_ms;
}

void
ofauth_gate_take_held(struct ofauth_gate *g, struct ofpbuf *out)
{
    *out = g->held;
    ofpbuf_init(&g->held, 0);
}

bool
ofauth_held_next(const struct ofpbuf *held, size_t *ofs, const uint8_t **msg,
                 size_t *len)
{
    const uint8_t *p = (const uint8_t *) held->data + *ofs;
    size_t n;

    if (*ofs + OFAUTH_HDR > held->size) {
        return false;
    }
    n = (p[2] << 8) | p[3];
    if (n < OFAUTH_HDR || *ofs + n > held->size) {
        return false;
    }
    *msg = p;
    *len = n;
    *ofs += n;
    return true;
}

void
ofauth_encode_reply(struct ofpbuf *out, const uint8_t *msg, size_t len)
{
    uint8_t *p = ofpbuf_put(out, msg, len);
    p[1] = OFAUTH_TYPE_ECHO_REPLY;
}

/* ---- Refusals ------------------------------------------------------------ */

bool
ofauth_failure(struct ofauth_failures *f, const char *peer)
{
    char addr[64];
    char *colon;

    f->n++;
    str_copy(addr, peer, sizeof addr);
    colon = strrchr(addr, ':');
    if (colon && colon != addr && strchr(addr, '.')) {
        *colon = '\0';              /* "1.2.3.4:5678" -> "1.2.3.4" */
    } else if (colon && addr[0] == '[' && colon[-1] == ']') {
        *colon = '\0';              /* "[::1]:5678" -> "[::1]" */
    }
    for (unsigned int i = 0; i < OFAUTH_RECENT; i++) {
        if (!strcmp(f->recent[i], addr)) {
            return false;
        }
    }
    str_copy(f->recent[f->next], addr, sizeof f->recent[f->next]);
    f->next = (f->next + 1) % OFAUTH_RECENT;
    return true;
}
