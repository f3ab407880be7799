/*
 * fp_ebpf: a vnode runs its SP's eBPF program (see fp_ebpf.h and
 * ebpf/lamina_bpf.h): the helpers, the plane, its tables' control side.
 * Reading and checking programs is fp_ebpf_load.c.
 */
#include "fp_ebpf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_bpf.h>
#include <rte_mbuf.h>

#include "bpf_table.h"
#include "dp_private.h"
#include "ebpf/lamina_bpf.h"
#include "util.h"

_Static_assert(sizeof(struct lamina_ctx) == LAMINA_CTX_HDR,
               "the context header is 64 bytes");
_Static_assert(LAMINA_TABLE_HASH == BPFT_HASH && LAMINA_TABLE_ARRAY == BPFT_ARRAY
               && LAMINA_TABLE_LPM == BPFT_LPM, "table types agree");

/* Counters of one program, X-macro style: name, doc. */
#define FPE_COUNTERS(X)                                             \
    X(runs, "packets the program ran on")                           \
    X(output, "packets sent to one vport")                          \
    X(flood, "packets flooded")                                     \
    X(drop, "packets the program dropped")                          \
    X(punt, "packets punted to the controller")                     \
    X(bad_action, "dropped: the program named no vport of its own") \
    X(no_window, "dropped: the mbuf had no room of its own for the context")

struct fpe_counters {
#define FPE_CTR_FIELD(NAME, DOC) uint64_t NAME;
    FPE_COUNTERS(FPE_CTR_FIELD)
#undef FPE_CTR_FIELD
};

/* One loaded program. */
struct fpe_prog {
    struct rte_bpf *bpf;
    uint64_t (*jit)(void *);            /* NULL: interpreter */
    uint32_t n_insns;
    uint32_t window;
    uint64_t load_ns;                   /* read + check + validate + JIT */
    uint64_t hash;                      /* FNV-1a of the instructions */
    struct ebpf_insn *insns;            /* as read: what a trace reloads */
    char *path;
    struct fpe_counters ctr;
};

struct fpe_table {
    char name[DP_NAME_LEN];
    struct bpft t;
};

struct fpe {
    struct fpe_prog *prog;
    struct fpe_table tables[FP_EBPF_MAX_TABLES];
    uint32_t n_tables;
    uint32_t n_swaps;
};

/* The plane whose program the current worker runs: the helpers' view. */
static __thread struct fpe *fpe_cur __attribute__((tls_model("initial-exec")));

/* ---- Helpers ------------------------------------------------------------ */

static inline struct bpft *
fpe_helper_table(uint64_t table)
{
    struct fpe *f = fpe_cur;
    return table < f->n_tables ? &f->tables[table].t : NULL;
}

static uint64_t
fpe_reserved(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e)
{
    (void) a; (void) b; (void) c; (void) d; (void) e;
    return 0;
}

static uint64_t
fpe_lookup(uint64_t table, uint64_t k0, uint64_t k1, uint64_t d, uint64_t e)
{
    struct bpft *t = fpe_helper_table(table);
    (void) d; (void) e;
    return t ? bpft_lookup(t, k0, k1) : BPFT_MISS;
}

static uint64_t
fpe_update(uint64_t table, uint64_t k0, uint64_t k1, uint64_t value, uint64_t e)
{
    struct bpft *t = fpe_helper_table(table);
    (void) e;
    if (!t || t->type == BPFT_LPM) {
        return (uint64_t) -EINVAL;
    }
    return (uint64_t) -bpft_update(t, k0, k1, 0, value);
}

static uint64_t
fpe_delete(uint64_t table, uint64_t k0, uint64_t k1, uint64_t d, uint64_t e)
{
    struct bpft *t = fpe_helper_table(table);
    (void) d; (void) e;
    if (!t || t->type == BPFT_LPM) {
        return (uint64_t) -EINVAL;
    }
    return (uint64_t) -bpft_delete(t, k0, k1, 0);
}

static uint64_t
fpe_lpm_update(uint64_t table, uint64_t k0, uint64_t k1, uint64_t plen,
               uint64_t value)
{
    struct bpft *t = fpe_helper_table(table);
    if (!t || t->type != BPFT_LPM || plen > 128) {
        return (uint64_t) -EINVAL;
    }
    return (uint64_t) -bpft_update(t, k0, k1, plen, value);
}

static uint64_t
fpe_lpm_delete(uint64_t table, uint64_t k0, uint64_t k1, uint64_t plen,
               uint64_t e)
{
    struct bpft *t = fpe_helper_table(table);
    (void) e;
    if (!t || t->type != BPFT_LPM || plen > 128) {
        return (uint64_t) -EINVAL;
    }
    return (uint64_t) -bpft_delete(t, k0, k1, plen);
}

#define FPE_RAW { .type = RTE_BPF_ARG_RAW, .size = sizeof(uint64_t) }
#define FPE_HELPER(NAME, FN, N)                                          \
    { .name = NAME, .type = RTE_BPF_XTYPE_FUNC,                          \
      .func = { .val = FN, .nb_args = N,                                 \
                .args = { FPE_RAW, FPE_RAW, FPE_RAW, FPE_RAW, FPE_RAW }, \
                .ret = FPE_RAW } }

/* Indexed by the call's immediate: LAMINA_HELPER_* in lamina_bpf.h. */
static const struct rte_bpf_xsym fpe_helpers[] = {
    FPE_HELPER("lamina_reserved", fpe_reserved, 0),
    [LAMINA_HELPER_LOOKUP] = FPE_HELPER("lamina_lookup", fpe_lookup, 3),
    [LAMINA_HELPER_UPDATE] = FPE_HELPER("lamina_update", fpe_update, 4),
    [LAMINA_HELPER_DELETE] = FPE_HELPER("lamina_delete", fpe_delete, 3),
    [LAMINA_HELPER_LPM_UPDATE] = FPE_HELPER("lamina_lpm_update", fpe_lpm_update, 5),
    [LAMINA_HELPER_LPM_DELETE] = FPE_HELPER("lamina_lpm_delete", fpe_lpm_delete, 4),
};
_Static_assert(ARRAY_SIZE(fpe_helpers) == LAMINA_HELPER_MAX + 1, "helpers");
const struct rte_bpf_xsym *const fp_ebpf_helpers = fpe_helpers;

/* ---- The plane ------------------------------------------------------------- */

static void
fpe_prog_destroy(struct fpe_prog *p)
{
    if (p) {
        rte_bpf_destroy(p->bpf);
        free(p->insns);
        free(p->path);
        free(p);
    }
}

/* Reads, checks, validates and JITs program 'path'. */
static struct fpe_prog *
fpe_prog_load(const char *path, uint32_t window, struct dp_error *err)
{
    struct timespec t0, t1;
    struct ebpf_insn *insns = NULL;
    uint32_t n = 0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (fp_ebpf_read_elf(path, &insns, &n, err)) {
        return NULL;
    }
    struct rte_bpf *bpf = fp_ebpf_load(insns, n, window, err);
    bool jit_safe = fp_ebpf_jit_safe(insns, n);
    if (!bpf) {
        free(insns);
        char msg[DP_ERR_LEN];
        memcpy(msg, err->msg, sizeof msg);
        dp_err(err, "%s: %.200s", path, msg);
        return NULL;
    }
    struct fpe_prog *p = xzalloc(sizeof *p);
    struct rte_bpf_jit jit;
    p->bpf = bpf;
    if (jit_safe && !rte_bpf_get_jit(bpf, &jit) && jit.func) {
        p->jit = jit.func;
    }
    p->n_insns = n;
    p->insns = insns;
    p->hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n * sizeof *insns; i++) {
        p->hash = (p->hash ^ ((const uint8_t *) insns)[i]) * 0x100000001b3ULL;
    }
    p->window = window;
    p->path = xstrdup(path);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    p->load_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec - t0.tv_nsec;
    return p;
}

/* A parsed config: what create() and set() apply. */
struct fpe_config {
    const char *program;
    uint32_t window;
    const json_t *tables;               /* may be NULL */
};

static int
fpe_parse_config(const json_t *config, struct fpe_config *c, struct dp_error *err)
{
    const char *key;
    json_t *v;

    memset(c, 0, sizeof *c);
    c->window = FP_EBPF_WINDOW_DEFAULT;
    if (!config || !json_is_object(config)) {
        dp_err(err, "ebpf: config must be an object with \"program\"");
        return EINVAL;
    }
    json_object_foreach((json_t *) config, key, v) {
        if (!strcmp(key, "program")) {
            if (!json_is_string(v) || !json_string_length(v)) {
                dp_err(err, "ebpf: \"program\" must be the path of an ELF object");
                return EINVAL;
            }
            c->program = json_string_value(v);
        } else if (!strcmp(key, "window")) {
            if (!json_is_integer(v) || json_integer_value(v) < FP_EBPF_WINDOW_MIN
                || json_integer_value(v) > FP_EBPF_WINDOW_MAX) {
                dp_err(err, "ebpf: \"window\" must be an integer in %d..%d",
                       FP_EBPF_WINDOW_MIN, FP_EBPF_WINDOW_MAX);
                return EINVAL;
            }
            c->window = json_integer_value(v);
        } else if (!strcmp(key, "tables")) {
            if (!json_is_array(v)) {
                dp_err(err, "ebpf: \"tables\" must be an array of {name, type, size}");
                return EINVAL;
            }
            c->tables = v;
        } else {
            dp_err(err, "ebpf: unknown config key \"%s\" (known: program, "
                   "window, tables)", key);
            return EINVAL;
        }
    }
    if (!c->program) {
        dp_err(err, "ebpf: config needs \"program\" (an ELF object's path)");
        return EINVAL;
    }
    return 0;
}

static struct fpe_table *
fpe_table_find(struct fpe *f, const char *name)
{
    for (uint32_t i = 0; i < f->n_tables; i++) {
        if (!strcmp(f->tables[i].name, name)) {
            return &f->tables[i];
        }
    }
    return NULL;
}

/* Checks the table list 'tables' against the tables 'f' has (tables keep
 * their index: an existing one must come at the same place with the same
 * type and size) and the quota; on success creates the new ones in
 * 'f'.  Changes nothing on failure. */
static int
fpe_tables_apply(struct fpe *f, const json_t *tables, struct dp_error *err)
{
    uint64_t total = 0;
    size_t i;
    json_t *t;

    if (!tables) {
        return 0;
    }
    if (json_array_size(tables) > FP_EBPF_MAX_TABLES) {
        dp_err(err, "ebpf: %zu tables, the limit is %d", json_array_size(tables),
               FP_EBPF_MAX_TABLES);
        return E2BIG;
    }
    if (json_array_size(tables) < f->n_tables) {
        dp_err(err, "ebpf: the tables list drops tables the vnode has "
               "(tables survive a program swap; list all %u)", f->n_tables);
        return EINVAL;
    }
    json_array_foreach(tables, i, t) {
        const char *name = NULL, *type = NULL;
        json_int_t size = 0;
        enum bpft_type bt;

        if (json_unpack_ex(t, NULL, JSON_STRICT, "{s:s, s:s, s:I}", "name", &name,
                           "type", &type, "size", &size)) {
            dp_err(err, "ebpf: table %zu must be {\"name\", \"type\", \"size\"}", i);
            return EINVAL;
        }
        if (dp_check_name("table", name, err)) {
            return EINVAL;
        }
        if (!bpft_type_parse(type, &bt)) {
            dp_err(err, "ebpf: table %s: unknown type \"%s\" (known: hash, "
                   "array, lpm)", name, type);
            return EINVAL;
        }
        if (size < 1 || size > BPFT_MAX_SIZE) {
            dp_err(err, "ebpf: table %s: size must be in 1..%u", name, BPFT_MAX_SIZE);
            return EINVAL;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(json_string_value(json_object_get(json_array_get(tables, j),
                                                          "name")), name)) {
                dp_err(err, "ebpf: table %s is listed twice", name);
                return EINVAL;
            }
        }
        if (i < f->n_tables) {
            const struct fpe_table *old = &f->tables[i];
            if (strcmp(old->name, name) || old->t.type != bt || old->t.size != size) {
                dp_err(err, "ebpf: table %zu is %s (%s, %u entries); a swap keeps "
                       "tables: list it unchanged at the same place", i,
                       old->name, bpft_type_name(old->t.type), old->t.size);
                return EINVAL;
            }
        }
        total += size;
    }
    if (total > FP_EBPF_TABLE_QUOTA) {
        dp_err(err, "ebpf: the tables hold %llu entries, the quota per vnode "
               "is %u", (unsigned long long) total, FP_EBPF_TABLE_QUOTA);
        return EDQUOT;
    }
    uint32_t first = f->n_tables;
    for (i = first; i < json_array_size(tables); i++) {
        t = json_array_get(tables, i);
        struct fpe_table *ft = &f->tables[i];
        enum bpft_type bt;
        bpft_type_parse(json_string_value(json_object_get(t, "type")), &bt);
        if (bpft_init(&ft->t, bt, json_integer_value(json_object_get(t, "size")))) {
            for (uint32_t k = first; k < i; k++) {
                bpft_destroy(&f->tables[k].t);
            }
            dp_err(err, "ebpf: out of memory for table %zu", i);
            return ENOMEM;
        }
        str_copy(ft->name, json_string_value(json_object_get(t, "name")),
                 sizeof ft->name);
    }
    return 0;
}

static void
fpe_destroy(void *state)
{
    struct fpe *f = state;

    if (f) {
        fpe_prog_destroy(f->prog);
        for (uint32_t i = 0; i < f->n_tables; i++) {
            bpft_destroy(&f->tables[i].t);
        }
        free(f);
    }
}

static int
fpe_create(const json_t *config, void **statep, struct dp_error *err)
{
    struct fpe_config c;
    int error = fpe_parse_config(config, &c, err);

    if (error) {
        return error;
    }
    struct fpe *f = xzalloc(sizeof *f);
    f->prog = fpe_prog_load(c.program, c.window, err);
    if (!f->prog) {
        free(f);
        return EINVAL;
    }
    error = fpe_tables_apply(f, c.tables, err);
    if (error) {
        fpe_destroy(f);
        return error;
    }
    f->n_tables = c.tables ? json_array_size(c.tables) : 0;
    *statep = f;
    return 0;
}

/* vnode.set: a new program (and maybe new tables), swapped in between
 * two of the worker's rounds without stopping it. */
static int
fpe_set(void *state, const json_t *config, struct dp_error *err)
{
    struct fpe *f = state;
    struct fpe_config c;
    int error = fpe_parse_config(config, &c, err);

    if (error) {
        return error;
    }
    struct fpe_prog *p = fpe_prog_load(c.program, c.window, err);
    if (!p) {
        return EINVAL;
    }
    /* New tables are created outside the pause; the worker does not see
     * them until n_tables grows. */
    error = fpe_tables_apply(f, c.tables, err);
    if (error) {
        fpe_prog_destroy(p);
        return error;
    }
    /* New tables first (the old program may use them too), then the
     * program: one pointer store, no pause; the old one is freed once no
     * worker can be running it. */
    if (c.tables) {
        __atomic_store_n(&f->n_tables, json_array_size(c.tables), __ATOMIC_RELEASE);
    }
    struct fpe_prog *old = f->prog;
    __atomic_store_n(&f->prog, p, __ATOMIC_SEQ_CST);
    f->n_swaps++;
    dp_quiesce();
    fpe_prog_destroy(old);
    return 0;
}

static void
fpe_process(void *state, struct rte_mbuf **pkts, const uint16_t *in_vports,
            uint16_t *out, uint16_t n, const struct dp_fp_ctx *dctx)
{
    struct fpe *f = state;
    struct fpe_prog *p = __atomic_load_n(&f->prog, __ATOMIC_ACQUIRE);
    const struct dp_vnode *vn = dctx->vn;
    uint32_t window = p->window;

    fpe_cur = f;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];

        /* The context goes into the mbuf's own buffer: it must have the
         * room and not share the buffer (never the case today: the
         * dataplane copies, it does not clone). */
        if (unlikely(m->data_off < LAMINA_CTX_HDR
                     || (uint32_t) m->data_off + window > m->buf_len
                     || !RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)) {
            p->ctr.no_window++;
            out[i] = DP_FP_DROP;
            continue;
        }
        uint8_t *data = rte_pktmbuf_mtod(m, uint8_t *);
        struct lamina_ctx *ctx = (struct lamina_ctx *) (data - LAMINA_CTX_HDR);
        ctx->len = rte_pktmbuf_pkt_len(m);
        ctx->window = window;
        ctx->in_vport = in_vports[i];
        ctx->n_vports = dctx->n_vports;
        ctx->vnode_id = vn ? vn->slice->idx : 0;
        ctx->now_ns = dctx->now_ns;
        memset(ctx->meta, 0, sizeof ctx->meta);
        if (m->data_len < window) {
            memset(data + m->data_len, 0, window - m->data_len);
        }

        uint64_t rc = p->jit ? p->jit(ctx) : rte_bpf_exec(p->bpf, ctx);
        p->ctr.runs++;
        if (rc < dctx->n_vports && (!vn || vn->vports[rc])) {
            out[i] = rc == in_vports[i] ? DP_FP_DROP : rc;
            p->ctr.output++;
        } else if (rc == LAMINA_FLOOD) {
            out[i] = DP_FP_FLOOD;
            p->ctr.flood++;
        } else if (rc == LAMINA_DROP) {
            out[i] = DP_FP_DROP;
            p->ctr.drop++;
        } else if (rc == LAMINA_PUNT) {
            p->ctr.punt++;
            dp_fp_punt(dctx, m, in_vports[i], 0, 0, ctx->meta[0]);
            out[i] = DP_FP_CONSUMED;
        } else {
            p->ctr.bad_action++;
            out[i] = DP_FP_DROP;
        }
    }
}

static void
fpe_vport_removed(void *state, uint16_t vport)
{
    /* The program's tables are its own business: a stale vport in them
     * is refused at output (bad_action) until the SP's program or
     * controller forgets it. */
    (void) state;
    (void) vport;
}

static json_t *
fpe_tables_json(const struct fpe *f)
{
    json_t *tables = json_array();

    for (uint32_t i = 0; i < f->n_tables; i++) {
        json_array_append_new(tables, json_pack("{s:s, s:s, s:i}", "name",
                                                f->tables[i].name, "type",
                                                bpft_type_name(f->tables[i].t.type),
                                                "size", f->tables[i].t.size));
    }
    return tables;
}

static json_t *
fpe_config(const void *state)
{
    const struct fpe *f = state;
    json_t *c = json_pack("{s:s}", "program", f->prog->path);

    if (f->prog->window != FP_EBPF_WINDOW_DEFAULT) {
        json_object_set_new(c, "window", json_integer(f->prog->window));
    }
    if (f->n_tables) {
        json_object_set_new(c, "tables", fpe_tables_json(f));
    }
    return c;
}

static json_t *
fpe_counters_json(const struct fpe_counters *ctr)
{
    json_t *j = json_object();
#define FPE_CTR_JSON(NAME, DOC) \
    json_object_set_new(j, #NAME, json_integer(ctr->NAME));
    FPE_COUNTERS(FPE_CTR_JSON)
#undef FPE_CTR_JSON
    return j;
}

static json_t *
fpe_dump(const void *state, uint32_t now_s)
{
    const struct fpe *f = state;
    const struct fpe_prog *p = f->prog;
    json_t *tables = fpe_tables_json(f);
    (void) now_s;

    for (uint32_t i = 0; i < f->n_tables; i++) {
        json_object_set_new(json_array_get(tables, i), "entries",
                            json_integer(f->tables[i].t.n));
    }
    char hash[20];
    snprintf(hash, sizeof hash, "0x%016llx", (unsigned long long) p->hash);
    return json_pack("{s:s, s:{s:s, s:s, s:i, s:b, s:i, s:I, s:o}, s:i, s:o}",
                     "fp", "ebpf",
                     "program", "path", p->path, "fnv1a", hash,
                     "instructions", p->n_insns,
                     "jit", p->jit != NULL, "window", p->window,
                     "load_ns", (json_int_t) p->load_ns,
                     "counters", fpe_counters_json(&p->ctr),
                     "swaps", f->n_swaps, "tables", tables);
}

/* ---- Trace ------------------------------------------------------------------ */

/* What the program did in a trace run (fpe_trace()): the helpers below
 * write it instead of touching the tables.  Control thread only. */
struct fpe_trace_log {
    char *text;
    size_t size, used;
    unsigned n_calls;
};
static __thread struct fpe_trace_log *fpe_tlog;

/* Appends to the trace's text; past FPE_TRACE_CALLS helper calls only
 * counts them. */
#define FPE_TRACE_CALLS 12
static void __attribute__((format(printf, 1, 2)))
fpe_tlog_add(const char *fmt, ...)
{
    struct fpe_trace_log *l = fpe_tlog;
    va_list args;

    if (++l->n_calls > FPE_TRACE_CALLS || l->used >= l->size) {
        return;
    }
    va_start(args, fmt);
    int k = vsnprintf(l->text + l->used, l->size - l->used, fmt, args);
    va_end(args);
    l->used = k < 0 ? l->used : MIN(l->size, l->used + k);
}

/* "name[key]" of table 'table' as fpe_entry_json() writes keys. */
static const char *
fpe_tlog_key(uint64_t table, uint64_t k0, uint64_t k1, unsigned plen,
             char buf[96])
{
    const struct fpe *f = fpe_cur;
    const char *name = table < f->n_tables ? f->tables[table].name : "?";

    if (k1) {
        snprintf(buf, 96, "%s[0x%016llx%016llx", name, (unsigned long long) k0,
                 (unsigned long long) k1);
    } else {
        snprintf(buf, 96, "%s[0x%llx", name, (unsigned long long) k0);
    }
    if (plen <= 128) {
        snprintf(buf + strlen(buf), 96 - strlen(buf), "/%u", plen);
    }
    strcat(buf, "]");
    return buf;
}

static uint64_t
fpe_trace_lookup(uint64_t table, uint64_t k0, uint64_t k1, uint64_t d, uint64_t e)
{
    uint64_t v = fpe_lookup(table, k0, k1, d, e);
    char key[96];

    fpe_tlog_key(table, k0, k1, UINT_MAX, key);
    if (table >= fpe_cur->n_tables) {
        fpe_tlog_add("lookup in table %llu: no such table -> miss; ",
                     (unsigned long long) table);
    } else if (v == BPFT_MISS) {
        fpe_tlog_add("lookup %s -> miss; ", key);
    } else {
        fpe_tlog_add("lookup %s -> 0x%llx; ", key, (unsigned long long) v);
    }
    return v;
}

static uint64_t
fpe_trace_update(uint64_t table, uint64_t k0, uint64_t k1, uint64_t value,
                 uint64_t e)
{
    char key[96];
    (void) e;
    fpe_tlog_add("would set %s = 0x%llx; ", fpe_tlog_key(table, k0, k1, UINT_MAX, key),
                 (unsigned long long) value);
    return 0;
}

static uint64_t
fpe_trace_delete(uint64_t table, uint64_t k0, uint64_t k1, uint64_t d, uint64_t e)
{
    char key[96];
    (void) d; (void) e;
    fpe_tlog_add("would delete %s; ", fpe_tlog_key(table, k0, k1, UINT_MAX, key));
    return 0;
}

static uint64_t
fpe_trace_lpm_update(uint64_t table, uint64_t k0, uint64_t k1, uint64_t plen,
                     uint64_t value)
{
    char key[96];
    fpe_tlog_add("would set %s = 0x%llx; ",
                 fpe_tlog_key(table, k0, k1, MIN(plen, 128), key),
                 (unsigned long long) value);
    return 0;
}

static uint64_t
fpe_trace_lpm_delete(uint64_t table, uint64_t k0, uint64_t k1, uint64_t plen,
                     uint64_t e)
{
    char key[96];
    (void) e;
    fpe_tlog_add("would delete %s; ", fpe_tlog_key(table, k0, k1, MIN(plen, 128), key));
    return 0;
}

/* The trace's helpers: same names and signatures as fpe_helpers, so the
 * same instructions load against them; lookups read, writes only say
 * what they would write. */
static const struct rte_bpf_xsym fpe_trace_helpers[] = {
    FPE_HELPER("lamina_reserved", fpe_reserved, 0),
    [LAMINA_HELPER_LOOKUP] = FPE_HELPER("lamina_lookup", fpe_trace_lookup, 3),
    [LAMINA_HELPER_UPDATE] = FPE_HELPER("lamina_update", fpe_trace_update, 4),
    [LAMINA_HELPER_DELETE] = FPE_HELPER("lamina_delete", fpe_trace_delete, 3),
    [LAMINA_HELPER_LPM_UPDATE] = FPE_HELPER("lamina_lpm_update",
                                            fpe_trace_lpm_update, 5),
    [LAMINA_HELPER_LPM_DELETE] = FPE_HELPER("lamina_lpm_delete",
                                            fpe_trace_lpm_delete, 4),
};
_Static_assert(ARRAY_SIZE(fpe_trace_helpers) == LAMINA_HELPER_MAX + 1, "helpers");

/* What fpe_process() would decide for one frame; see dp_fp.h.  The
 * program's instructions are loaded again against fpe_trace_helpers and
 * run in the interpreter on a private context: the fast path's program
 * and helpers are untouched, the tables are read and never written, no
 * counter moves. */
static unsigned
fpe_trace(const void *state, const uint8_t *frame, uint32_t len,
          uint16_t in_vport, const struct dp_fp_ctx *dctx, uint16_t *outs,
          unsigned max, char *text, size_t size)
{
    const struct fpe *f = state;
    const struct fpe_prog *p = f->prog;
    const struct dp_vnode *vn = dctx->vn;
    struct fpe_trace_log log = { .text = text, .size = size };
    struct dp_error err = { "" };
    const char *base = strrchr(p->path, '/');
    unsigned n = 0;

    snprintf(text, size, "program %s (fnv1a 0x%016llx, %u instructions, %s): ",
             base ? base + 1 : p->path, (unsigned long long) p->hash, p->n_insns,
             p->jit ? "jit" : "interpreter");
    log.used = strlen(text);
    struct rte_bpf *bpf = fp_ebpf_load_with(p->insns, p->n_insns, p->window,
                                            fpe_trace_helpers, &err);
    if (!bpf) {
        snprintf(text + log.used, size - log.used, "cannot trace: %s", err.msg);
        return 0;
    }
    uint64_t buf[(LAMINA_CTX_HDR + FP_EBPF_WINDOW_MAX) / 8] = { 0 };
    struct lamina_ctx *ctx = (struct lamina_ctx *) buf;
    ctx->len = len;
    ctx->window = p->window;
    ctx->in_vport = in_vport;
    ctx->n_vports = dctx->n_vports;
    ctx->vnode_id = vn ? vn->slice->idx : 0;
    ctx->now_ns = dctx->now_ns;
    memcpy(ctx->pkt, frame, MIN(len, p->window));

    struct fpe *saved = fpe_cur;
    fpe_cur = (struct fpe *) f;
    fpe_tlog = &log;
    uint64_t rc = rte_bpf_exec(bpf, ctx);
    fpe_tlog = NULL;
    fpe_cur = saved;
    rte_bpf_destroy(bpf);

    if (log.n_calls > FPE_TRACE_CALLS) {
        snprintf(text + MIN(log.used, size), size - MIN(log.used, size),
                 "(%u more helper calls); ", log.n_calls - FPE_TRACE_CALLS);
        log.used = strlen(text);
    }
    const char *what;
    char buf2[64];
    if (!max) {
        what = "drop (no room)";
    } else if (rc < dctx->n_vports && (!vn || vn->vports[rc])) {
        if (rc == in_vport) {
            what = "output to the vport it came in on -> drop";
        } else {
            outs[n++] = rc;
            snprintf(buf2, sizeof buf2, "output vport %llu", (unsigned long long) rc);
            what = buf2;
        }
    } else if (rc == LAMINA_FLOOD) {
        outs[n++] = DP_FP_FLOOD;
        what = "flood";
    } else if (rc == LAMINA_DROP) {
        what = "drop";
    } else if (rc == LAMINA_PUNT) {
        outs[n++] = DP_FP_CONSUMED;
        snprintf(buf2, sizeof buf2, "punt to the controller (cookie 0x%llx)",
                 (unsigned long long) ctx->meta[0]);
        what = buf2;
    } else {
        what = "no vport of its own -> drop (bad_action)";
    }
    snprintf(text + MIN(log.used, size), size - MIN(log.used, size),
             "returned 0x%llx -> %s", (unsigned long long) rc, what);
    return n;
}

const struct dp_fp_class dp_fp_ebpf = {
    .trace = fpe_trace,
    .name = "ebpf",
    .create = fpe_create,
    .destroy = fpe_destroy,
    .process = fpe_process,
    .vport_removed = fpe_vport_removed,
    .config = fpe_config,
    .dump = fpe_dump,
    .set = fpe_set,
};

/* ---- Control side: table entries ---------------------------------------- */

/* Parses a key or value (see fp_ebpf.h) into (k0, k1) and, when 'plen' is
 * not NULL, a "/LEN" suffix (default: full length of the form). */
static int
fpe_parse_key(const json_t *j, uint64_t *k0, uint64_t *k1, unsigned *plen,
              const char *what, struct dp_error *err)
{
    char buf[128];
    unsigned full = 128;

    *k0 = *k1 = 0;
    if (json_is_integer(j) && json_integer_value(j) >= 0) {
        *k0 = json_integer_value(j);
        full = 64;
        goto done_int;
    }
    if (!json_is_string(j) || json_string_length(j) >= sizeof buf) {
        goto bad;
    }
    str_copy(buf, json_string_value(j), sizeof buf);
    char *slash = strchr(buf, '/');
    long len = -1;
    if (slash) {
        char *end;
        *slash = '\0';
        len = strtol(slash + 1, &end, 10);
        if (!plen || *end || end == slash + 1 || len < 0 || len > 128) {
            goto bad;
        }
    }
    struct in6_addr a6;
    struct in_addr a4;
    if (buf[0] && strspn(buf, "0123456789") == strlen(buf) && strlen(buf) <= 19) {
        *k0 = strtoull(buf, NULL, 10);      /* a number given as text */
        full = 64;
        if (plen) {
            *plen = len >= 0 ? (unsigned) len : full;
        }
        return 0;
    }
    unsigned m[6];
    char tail;
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        for (int i = 0; i < 8; i++) {
            *k0 = *k0 << 8 | a6.s6_addr[i];
            *k1 = *k1 << 8 | a6.s6_addr[i + 8];
        }
    } else if (inet_pton(AF_INET, buf, &a4) == 1) {
        *k0 = (uint64_t) ntohl(a4.s_addr) << 32;
        full = 32;
    } else if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
                      &m[3], &m[4], &m[5], &tail) == 6) {
        for (int i = 0; i < 6; i++) {
            *k0 = *k0 << 8 | m[i];
        }
        full = 48;
    } else if (!strncmp(buf, "0x", 2) && buf[2] && strlen(buf + 2) <= 32
               && strspn(buf + 2, "0123456789abcdefABCDEF") == strlen(buf + 2)) {
        for (const char *p = buf + 2; *p; p++) {
            unsigned d = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;
            *k0 = *k0 << 4 | *k1 >> 60;
            *k1 = *k1 << 4 | d;
        }
        full = 128;
        if (strlen(buf + 2) <= 16) {    /* one word, as an integer */
            *k0 = *k1;
            *k1 = 0;
            full = 64;
        }
    } else {
        goto bad;
    }
    if (plen) {
        *plen = len >= 0 ? (unsigned) len : full;
    }
    return 0;

done_int:
    if (plen) {
        *plen = full;
    }
    return 0;
bad:
    dp_err(err, "ebpf: bad %s: give an integer, \"0x\" and up to 32 hex digits, "
           "an IPv6, IPv4 or MAC address%s", what, plen ? " (\"/LEN\" for lpm)" : "");
    return EINVAL;
}

/* The table named 'name' of ebpf plane 'state'. */
static struct fpe_table *
fpe_need_table(struct fpe *f, const char *name, struct dp_error *err)
{
    struct fpe_table *t = name ? fpe_table_find(f, name) : NULL;

    if (!t) {
        dp_err(err, "ebpf: the vnode has no table \"%s\"", name ? name : "");
    }
    return t;
}

int
fp_ebpf_table_set(void *state, const char *table, const json_t *key,
                  const json_t *value, struct dp_error *err)
{
    struct fpe_table *t = fpe_need_table(state, table, err);
    uint64_t k0, k1, v0, v1;
    unsigned plen;

    if (!t) {
        return ENOENT;
    }
    if (fpe_parse_key(key, &k0, &k1, &plen, "key", err)
        || fpe_parse_key(value, &v0, &v1, NULL, "value", err)) {
        return EINVAL;
    }
    /* An integer or a MAC address lands in v0, a hex string in v1. */
    uint64_t v = v0 | v1;
    if (v0 && v1) {
        dp_err(err, "ebpf: table %s: a value has 64 bits", table);
        return EINVAL;
    }
    dp_pause();
    int error = bpft_update(&t->t, k0, k1, plen, v);
    dp_resume();
    if (error == ENOSPC) {
        dp_err(err, "ebpf: table %s is full (%u entries)", table, t->t.size);
    } else if (error) {
        dp_err(err, "ebpf: table %s: %s", table, t->t.type == BPFT_ARRAY
               ? "index out of range or value 0xffffffffffffffff (the miss marker)"
               : "value 0xffffffffffffffff is the miss marker");
    }
    return error;
}

int
fp_ebpf_table_del(void *state, const char *table, const json_t *key,
                  struct dp_error *err)
{
    struct fpe_table *t = fpe_need_table(state, table, err);
    uint64_t k0, k1;
    unsigned plen;

    if (!t) {
        return ENOENT;
    }
    if (fpe_parse_key(key, &k0, &k1, &plen, "key", err)) {
        return EINVAL;
    }
    dp_pause();
    int error = bpft_delete(&t->t, k0, k1, plen);
    dp_resume();
    if (error) {
        dp_err(err, "ebpf: table %s has no such entry", table);
    }
    return error;
}

static void
fpe_entry_json(uint64_t k0, uint64_t k1, unsigned plen, uint64_t value, void *aux)
{
    const struct bpft *t = ((void **) aux)[0];
    json_t *entries = ((void **) aux)[1];
    char key[48], val[24];

    /* As fpe_parse_key() reads it back: 16 digits are k0 alone. */
    if (k1 || t->type == BPFT_LPM) {
        snprintf(key, sizeof key, "0x%016llx%016llx", (unsigned long long) k0,
                 (unsigned long long) k1);
    } else {
        snprintf(key, sizeof key, "0x%016llx", (unsigned long long) k0);
    }
    snprintf(val, sizeof val, "0x%llx", (unsigned long long) value);
    json_t *e = json_pack("{s:s, s:s}", "key", key, "value", val);
    if (t->type == BPFT_LPM) {
        json_object_set_new(e, "plen", json_integer(plen));
    }
    json_array_append_new(entries, e);
}

json_t *
fp_ebpf_table_dump(void *state, const char *table, struct dp_error *err)
{
    struct fpe *f = state;
    json_t *result = json_array();

    if (table && !fpe_need_table(f, table, err)) {
        json_decref(result);
        return NULL;
    }
    dp_pause();
    for (uint32_t i = 0; i < f->n_tables; i++) {
        struct fpe_table *t = &f->tables[i];
        if (table && strcmp(t->name, table)) {
            continue;
        }
        json_t *entries = json_array();
        void *aux[2] = { &t->t, entries };
        bpft_foreach(&t->t, fpe_entry_json, aux);
        json_array_append_new(result, json_pack("{s:s, s:s, s:i, s:i, s:i, s:o}",
                                                "name", t->name, "type",
                                                bpft_type_name(t->t.type), "index", i,
                                                "size", t->t.size, "entries_n", t->t.n,
                                                "entries", entries));
    }
    dp_resume();
    return result;
}
