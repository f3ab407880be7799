/*
 * vnreq: the virtual network request an SP sends, parsed and checked.
 *
 * What?
 * =====
 *
 * A request names the virtual nodes (CPU, optional InP or location
 * constraint, forwarding plane), the virtual links between them
 * (bandwidth), the access points (where the SP's hosts attach, on which
 * InP), the timing, and an idempotency key.  It arrives as JSON or YAML;
 * YAML is converted into the same jansson tree, so ONE validator serves
 * both, and the parsed 'struct vnreq' is all the broker looks at.
 *
 *   idempotency_key: sp1-2026-12-06-001   # required, 1..128 printable chars
 *   name: web                             # optional
 *   revisit: true                         # optional: nodes may share a
 *                                         # switch (default false)
 *   nodes:
 *     - {name: a, cpu: 2, inp: inp1}      # inp / location optional
 *     - {name: b, cpu: 2, plane: openflow, controller: "tcp:127.0.0.1:6653",
 *        limits: {flows: 1000, tables: 4}}  # optional; inherit.h
 *   links:
 *     - {endpoints: [a, b], bandwidth: 10M}
 *   access:
 *     - {name: h1, node: a, at: inp1/ap1} # INP/ACCESS-POINT
 *   time: {start: now, duration: 2h}      # or start + end, or
 *                                         # window: {earliest, latest} + duration
 *
 * Strictness
 * ==========
 *
 * Everything not understood is refused with the path of the field and
 * the reason, e.g. `links[2].bandwidth: must be a positive rate, got
 * "-5M"`, and for YAML the line: `line 14: links[2].bandwidth: ...`.
 * Refused: unknown fields, wrong types, CPU outside 1..VNREQ_MAX_CPU,
 * bandwidth outside 1 bit/s..VNREQ_MAX_BPS, duplicate node, link or
 * access names, a link to an unknown node or to itself, two links between
 * the same pair of nodes, a plane option that does not belong to the plane
 * (controller without openflow, program without ebpf), times that cannot
 * be read, a start more than VNREQ_PAST_SLACK seconds in the past (a
 * start slightly in the past, as a clock skew makes it, counts as now),
 * end before start, durations over VNREQ_MAX_DURATION, starts more than
 * VNREQ_MAX_AHEAD ahead, and requests over VNREQ_MAX_TEXT bytes or with
 * more than VNREQ_MAX_NODES / _LINKS / _ACCESS items.  YAML anchors,
 * aliases and tags other than the core ones are refused (no alias bombs).
 *
 * Rates are lib/units.h rates ("10M", "1.5G") or a plain integer of bits
 * per second; durations and times are brk_time.h's.
 */
#ifndef LAMINA_VNREQ_H
#define LAMINA_VNREQ_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct brk_error;

#define VNREQ_MAX_TEXT (1024 * 1024)
#define VNREQ_MAX_NODES 1024
#define VNREQ_MAX_LINKS 4096
#define VNREQ_MAX_ACCESS 1024
#define VNREQ_MAX_CPU 1000000
#define VNREQ_MAX_BPS 10000000000000ULL         /* 10 Tbit/s */
#define VNREQ_MAX_DURATION (366LL * 86400)
#define VNREQ_MAX_AHEAD (366LL * 86400)
#define VNREQ_PAST_SLACK 60
#define VNREQ_MAX_KEY 128

/* Forwarding planes of a virtual node (the dataplane's classes). */
#define VNREQ_PLANES(X)                 \
    X(L2LEARN,  "l2learn")              \
    X(OPENFLOW, "openflow")             \
    X(EBPF,     "ebpf")

enum vnreq_plane {
#define VNREQ_PLANE_ENUM(ENUM, NAME) VNREQ_##ENUM,
    VNREQ_PLANES(VNREQ_PLANE_ENUM)
#undef VNREQ_PLANE_ENUM
    VNREQ_N_PLANES
};

const char *vnreq_plane_name(enum vnreq_plane);

struct vnreq_node {
    char *name;
    int32_t cpu;
    char *inp;                  /* only on this InP, or NULL */
    char *location;             /* only on this substrate node, or NULL */
    enum vnreq_plane plane;
    char *controller;           /* openflow: "tcp:HOST:PORT" */
    char *program;              /* ebpf: path of the ELF object */
    json_t *limits;             /* {LIMIT: N} (inherit.h's INHERIT_LIMITS),
                                 * or NULL */
};

struct vnreq_link {
    char *name;                 /* given, or "A-B" */
    uint32_t a, b;              /* node indexes */
    uint64_t bandwidth;         /* bits/s */
};

struct vnreq_access {
    char *name;
    uint32_t node;              /* node index */
    char *inp;                  /* "at: INP/POINT" */
    char *point;
};

enum vnreq_timing {
    VNREQ_FIXED,                /* start and end known */
    VNREQ_WINDOW,               /* earliest start that fits in a window */
};

struct vnreq {
    char *idempotency_key;
    char *name;                 /* may be NULL */
    struct vnreq_node *nodes;
    size_t n_nodes;
    struct vnreq_link *links;
    size_t n_links;
    struct vnreq_access *access;
    size_t n_access;
    enum vnreq_timing timing;
    int64_t start, end;         /* VNREQ_FIXED */
    int64_t earliest, latest;   /* VNREQ_WINDOW: start in [earliest, latest] */
    int64_t duration;           /* end - start for VNREQ_FIXED */
    bool revisit;               /* nodes may share a substrate node */
};

/* Parses a request from 'text' of 'len' bytes, JSON if its first
 * non-blank character is '{', YAML otherwise, with 'now' the current time
 * (seconds since the epoch).  Returns 0 with '*reqp' (free it with
 * vnreq_destroy()), EINVAL with 'err' naming the field path (and the line
 * for YAML), or EFBIG for a text over VNREQ_MAX_TEXT. */
int vnreq_parse(const char *text, size_t len, int64_t now,
                struct vnreq **reqp, struct brk_error *err);
int vnreq_parse_json(const char *text, size_t len, int64_t now,
                     struct vnreq **reqp, struct brk_error *err);
int vnreq_parse_yaml(const char *text, size_t len, int64_t now,
                     struct vnreq **reqp, struct brk_error *err);

/* The validator both parsers use: checks the tree 'json' (borrowed). */
int vnreq_from_json(const json_t *json, int64_t now, struct vnreq **reqp,
                    struct brk_error *err);

/* The request in canonical JSON (rates in bits/s, times RFC 3339 UTC,
 * every default spelled out); vnreq_from_json() accepts it back. */
json_t *vnreq_to_json(const struct vnreq *);

/* Frees 'req'; accepts NULL. */
void vnreq_destroy(struct vnreq *req);

/* Total CPU of the nodes and bandwidth of the links. */
int64_t vnreq_total_cpu(const struct vnreq *);
uint64_t vnreq_total_bandwidth(const struct vnreq *);

#endif /* LAMINA_VNREQ_H */
