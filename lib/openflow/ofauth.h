/*
 * ofauth: the credential a peer presents on a plain-TCP OpenFlow channel,
 * and the gate that holds the channel until it has.
 *
 * What?
 * =====
 *
 * TLS with client certificates authenticates a peer before any OpenFlow
 * message (ofstream.h).  Plain TCP, which Lamina only allows on loopback
 * unless a listener is declared open, authenticates with a shared secret,
 * the same way on every channel Lamina serves or makes:
 *
 *   - a vnode's ptcp: listener (vswitch/ofagent.c): the controller that
 *     connects presents the vnode's "secret";
 *   - lamina-slicer's switch listener: the switch presents the slicer's
 *     switch secret (a Lamina vnode does it with its "switch_secret");
 *   - the slicer's connection to a slice's controller: the controller
 *     presents the slice's secret.
 *
 * On the wire the credential is an OpenFlow ECHO_REQUEST whose data is
 * "lamina-secret:" followed by the secret, sent first thing after HELLO.
 * An ECHO_REQUEST is something every OpenFlow implementation can send and
 * answer, so a peer that does not check credentials just echoes it back.
 * The side that checks answers the right credential with an ECHO_REPLY.
 *
 * The gate
 * ========
 *
 * struct ofauth_gate sits at the start of a connection that must be
 * authenticated.  Feed it every message received (ofauth_gate_input()):
 * HELLO passes (version negotiation comes first), the right credential
 * opens the gate, anything else is held (at most OFAUTH_HOLD_MAX bytes)
 * and handed back once the gate opens, since a peer may well send its
 * FEATURES_REQUEST before its credential.  A wrong credential, too much
 * held, or no credential within OFAUTH_TIMEOUT_MS refuses the peer: the
 * caller answers OFPET_HELLO_FAILED/OFPHFC_EPERM and closes.  Secrets are
 * compared in constant time; what a peer proved can be named without the
 * secret by ofauth_credential_id() (a SHA-256 of it).
 *
 * Refusals are counted and logged once per source address
 * (struct ofauth_failures), so a peer that retries in a loop does not
 * flood the log.
 */
#ifndef LAMINA_OFAUTH_H
#define LAMINA_OFAUTH_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ofpbuf.h"

#define OFAUTH_PREFIX "lamina-secret:"
#define OFAUTH_SECRET_MAX 128           /* bytes of a secret */
#define OFAUTH_HOLD_MAX (256u * 1024)   /* bytes held before the credential */
#define OFAUTH_TIMEOUT_MS 10000         /* to present it after connecting */
#define OFAUTH_ID_LEN 80                /* "secret-sha256:" + 64 hex + NUL */

/* Checks that 'secret' can be one: 1..OFAUTH_SECRET_MAX printable ASCII
 * characters without spaces.  Returns 0, or EINVAL with a message. */
int ofauth_secret_check(const char *secret, char *msg, size_t size);

/* Appends to 'out' the OpenFlow 1.3 ECHO_REQUEST (xid 'xid') that
 * presents 'secret'. */
void ofauth_encode_credential(struct ofpbuf *out, uint32_t xid,
                              const char *secret);

/* If message 'msg' ('len' bytes, a whole framed message) is a credential,
 * returns true with the presented secret in '*secret' and '*n' (pointing
 * into 'msg'); otherwise false. */
bool ofauth_parse_credential(const uint8_t *msg, size_t len,
                             const uint8_t **secret, size_t *n);

/* True if the 'n' bytes at 'p' are 'secret', compared in constant time. */
bool ofauth_secret_equal(const char *secret, const uint8_t *p, size_t n);

/* The name of secret 'p' ('n' bytes) that can be logged and stored:
 * "secret-sha256:" and the hex SHA-256, in 'id' (OFAUTH_ID_LEN bytes). */
void ofauth_credential_id(const uint8_t *p, size_t n, char id[OFAUTH_ID_LEN]);

/* ---- The gate ------------------------------------------------------------ */

enum ofauth_verdict {
    OFAUTH_PASS,        /* handle the message now (HELLO, or the gate is open) */
    OFAUTH_HELD,        /* kept until the credential arrives */
    OFAUTH_ACCEPTED,    /* the right credential: answer it with
                         * ofauth_encode_reply(), then handle what
                         * ofauth_gate_take_held() returns */
    OFAUTH_REFUSED,     /* send HELLO_FAILED/EPERM and close (see 'why') */
};

struct ofauth_gate {
    char secret[OFAUTH_SECRET_MAX + 1];
    bool open;                  /* credential accepted (or none required) */
    uint64_t deadline_ms;       /* time_ms() clock */
    struct ofpbuf held;         /* whole messages received before it */
    char id[OFAUTH_ID_LEN];     /* ofauth_credential_id() of what opened it */
};

/* A gate that waits for 'secret' until 'now_ms' + OFAUTH_TIMEOUT_MS, or
 * one that is open from the start if 'secret' is NULL or "". */
void ofauth_gate_init(struct ofauth_gate *, const char *secret, uint64_t now_ms);
/* Frees what it holds; the gate may be initialized again. */
void ofauth_gate_destroy(struct ofauth_gate *);

/* Feeds one whole message ('len' bytes) received on the channel.  On
 * OFAUTH_REFUSED, '*why' says why ("wrong secret", ...). */
enum ofauth_verdict ofauth_gate_input(struct ofauth_gate *, const uint8_t *msg,
                                      size_t len, const char **why);

/* True if the gate is still closed at 'now_ms' past its deadline. */
bool ofauth_gate_expired(const struct ofauth_gate *, uint64_t now_ms);

/* Moves the held messages (back to back, as received) into 'out' (which
 * the caller then owns and uninits); the gate holds nothing after. */
void ofauth_gate_take_held(struct ofauth_gate *, struct ofpbuf *out);

/* Steps through 'held' as ofauth_gate_take_held() filled it: from '*ofs'
 * (start at 0), returns true with the next message in '*msg' and '*len'
 * and advances '*ofs', or false at the end. */
bool ofauth_held_next(const struct ofpbuf *held, size_t *ofs,
                      const uint8_t **msg, size_t *len);

/* Appends to 'out' the ECHO_REPLY to credential 'msg' ('len' bytes). */
void ofauth_encode_reply(struct ofpbuf *out, const uint8_t *msg, size_t len);

/* ---- Refusals ------------------------------------------------------------ */

#define OFAUTH_RECENT 32

struct ofauth_failures {
    uint64_t n;                     /* peers refused */
    char recent[OFAUTH_RECENT][64]; /* source addresses already logged */
    unsigned int next;
};

/* Counts a refusal of 'peer' ("ADDR:PORT", or any name).  Returns true if
 * the caller should log it: the first time its address (without the port)
 * is seen among the last OFAUTH_RECENT addresses logged. */
bool ofauth_failure(struct ofauth_failures *, const char *peer);

#endif /* LAMINA_OFAUTH_H */
