/*
 * metrics: the Prometheus text exposition and the /metrics endpoint; see
 * metrics.h.
 */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "util.h"

/* A growing string. */
struct mbuf {
    char *s;
    size_t len, cap;
};

struct metrics_family {
    char *name;
    char *help;
    enum metrics_type type;
    struct mbuf samples;
};

/* Appends 'n' bytes of 'p' to 'b'. */
static void
mbuf_put(struct mbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + n + 64);
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void
mbuf_str(struct mbuf *b, const char *s)
{
    mbuf_put(b, s, strlen(s));
}

/* Appends 's' escaped for a label value (quotes too) or, with 'help', for
 * a HELP line (backslash and newline only). */
static void
mbuf_escaped(struct mbuf *b, const char *s, bool help)
{
    for (; *s; s++) {
        if (*s == '\\') {
            mbuf_str(b, "\\\\");
        } else if (*s == '\n') {
            mbuf_str(b, "\\n");
        } else if (*s == '"' && !help) {
            mbuf_str(b, "\\\"");
        } else {
            mbuf_put(b, s, 1);
        }
    }
}

void
metrics_init(struct metrics *m)
{
    memset(m, 0, sizeof *m);
}

void
metrics_destroy(struct metrics *m)
{
    if (!m) {
        return;
    }
    for (size_t i = 0; i < m->n_families; i++) {
        free(m->families[i].name);
        free(m->families[i].help);
        free(m->families[i].samples.s);
    }
    free(m->families);
    memset(m, 0, sizeof *m);
}

static struct metrics_family *
metrics_find(struct metrics *m, const char *name)
{
    for (size_t i = 0; i < m->n_families; i++) {
        if (!strcmp(m->families[i].name, name)) {
            return &m->families[i];
        }
    }
    return NULL;
}

/* Declares a family; see metrics.h. */
void
metrics_declare(struct metrics *m, const char *name, enum metrics_type type,
                const char *help)
{
    if (metrics_find(m, name)) {
        return;
    }
    if (m->n_families == m->alloc) {
        m->alloc = m->alloc ? m->alloc * 2 : 16;
        m->families = xrealloc(m->families, m->alloc * sizeof *m->families);
    }
    m->families[m->n_families++] = (struct metrics_family) {
        .name = xstrdup(name), .help = help ? xstrdup(help) : NULL,
        .type = type,
    };
}

/* Adds a sample with labels from an array; see metrics.h. */
void
metrics_add_labels(struct metrics *m, const char *name, double value,
                   const char *const *kv, size_t n)
{
    struct metrics_family *f = metrics_find(m, name);
    char num[64];

    if (!f) {
        metrics_declare(m, name, METRICS_GAUGE, NULL);
        f = metrics_find(m, name);
    }
    mbuf_str(&f->samples, name);
    for (size_t i = 0; i < n; i++) {
        mbuf_str(&f->samples, i ? "," : "{");
        mbuf_str(&f->samples, kv[2 * i]);
        mbuf_str(&f->samples, "=\"");
        mbuf_escaped(&f->samples, kv[2 * i + 1] ? kv[2 * i + 1] : "", false);
        mbuf_str(&f->samples, "\"");
    }
    if (n) {
        mbuf_str(&f->samples, "}");
    }
    snprintf(num, sizeof num, " %.17g\n", value);
    mbuf_str(&f->samples, num);
}

#define METRICS_MAX_LABELS 16

/* Adds a sample; see metrics.h. */
void
metrics_add(struct metrics *m, const char *name, double value, ...)
{
    const char *kv[2 * METRICS_MAX_LABELS];
    const char *k;
    size_t n = 0;
    va_list args;

    va_start(args, value);
    while ((k = va_arg(args, const char *)) != NULL) {
        const char *v = va_arg(args, const char *);
        if (n < METRICS_MAX_LABELS) {
            kv[2 * n] = k;
            kv[2 * n + 1] = v;
            n++;
        }
    }
    va_end(args);
    metrics_add_labels(m, name, value, kv, n);
}

/* The exposition; see metrics.h. */
char *
metrics_text(const struct metrics *m)
{
    struct mbuf b = { NULL, 0, 0 };

    mbuf_put(&b, "", 0);
    for (size_t i = 0; i < m->n_families; i++) {
        const struct metrics_family *f = &m->families[i];
        if (f->help) {
            mbuf_str(&b, "# HELP ");
            mbuf_str(&b, f->name);
            mbuf_str(&b, " ");
            mbuf_escaped(&b, f->help, true);
            mbuf_str(&b, "\n");
        }
        mbuf_str(&b, "# TYPE ");
        mbuf_str(&b, f->name);
        mbuf_str(&b, f->type == METRICS_COUNTER ? " counter\n" : " gauge\n");
        if (f->samples.s) {
            mbuf_str(&b, f->samples.s);
        }
    }
    return b.s;
}

/* ---- The /metrics endpoint ---- */

#define METRICS_WAIT_MS 5000

struct metrics_server {
    struct http_server *http;
    metrics_collect_func *collect;
    void *aux;
    int efd;

    pthread_mutex_t mutex;
    pthread_cond_t cond;
    uint64_t asked;             /* generation the latest scrape waits for */
    uint64_t done;              /* generation of 'text' */
    char *text;                 /* the latest exposition */
    bool stopping;
};

/* Parses "ADDR:PORT"; see metrics.h. */
int
metrics_parse_listen(const char *s, char *addr, size_t size, uint16_t *port,
                     char *err, size_t errsize)
{
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long p;

    if (!colon || colon == s || (size_t) (colon - s) >= size) {
        snprintf(err, errsize, "\"%s\" is not ADDR:PORT", s);
        return EINVAL;
    }
    p = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || colon[1] == '-' || p > 65535) {
        snprintf(err, errsize, "\"%s\": the port is not a number in "
                 "[0, 65535]", s);
        return EINVAL;
    }
    snprintf(addr, size, "%.*s", (int) (colon - s), s);
    if (addr[0] == '[') {
        memmove(addr, addr + 1, strlen(addr));
        addr[strcspn(addr, "]")] = '\0';
    }
    *port = p;
    return 0;
}

/* GET /metrics: asks the daemon's thread for an exposition and waits. */
static void
metrics_handler(struct http_request *req, void *aux,
                struct http_response *resp)
{
    struct metrics_server *s = aux;
    struct timespec deadline;
    uint64_t one = 1, gen;
    char *text = NULL;

    (void) req;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += METRICS_WAIT_MS / 1000;

    pthread_mutex_lock(&s->mutex);
    gen = ++s->asked;
    if (write(s->efd, &one, sizeof one) < 0) {
        /* The counter only saturates; the daemon is reading anyway. */
    }
    while (s->done < gen && !s->stopping) {
        if (pthread_cond_timedwait(&s->cond, &s->mutex, &deadline)) {
            break;
        }
    }
    if (s->done >= gen && s->text) {
        text = xstrdup(s->text);
    }
    pthread_mutex_unlock(&s->mutex);

    if (!text) {
        http_error(resp, 503, "unavailable", NULL, "the daemon did not "
                   "collect its counters within %d ms", METRICS_WAIT_MS);
        return;
    }
    resp->status = 200;
    resp->text = text;
    resp->text_type = METRICS_CONTENT_TYPE;
}

static const struct http_route metrics_routes[] = {
    { "GET", "/metrics", metrics_handler, false },
};

/* Starts the endpoint; see metrics.h. */
int
metrics_server_start(const char *listen, metrics_collect_func *collect,
                     void *aux, struct metrics_server **sp,
                     char *err, size_t errsize)
{
    struct metrics_server *s;
    char addr[64];
    uint16_t port;
    int error;

    *sp = NULL;
    error = metrics_parse_listen(listen, addr, sizeof addr, &port, err,
                                 errsize);
    if (error) {
        return error;
    }
    s = xzalloc(sizeof *s);
    s->collect = collect;
    s->aux = aux;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        error = errno;
        snprintf(err, errsize, "eventfd: %s", strerror(error));
        free(s);
        return error;
    }
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->cond, NULL);

    struct http_server_config cfg = {
        .address = addr, .port = port, .routes = metrics_routes,
        .n_routes = ARRAY_SIZE(metrics_routes), .aux = s,
        .max_conns = 16, .max_conns_per_ip = 8, .threads = 2,
    };
    error = http_server_start(&cfg, &s->http, err, errsize);
    if (error) {
        close(s->efd);
        pthread_mutex_destroy(&s->mutex);
        pthread_cond_destroy(&s->cond);
        free(s);
        return error;
    }
    *sp = s;
    return 0;
}

/* Stops the endpoint; see metrics.h. */
void
metrics_server_stop(struct metrics_server *s)
{
    if (!s) {
        return;
    }
    pthread_mutex_lock(&s->mutex);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mutex);
    http_server_stop(s->http);
    close(s->efd);
    pthread_mutex_destroy(&s->mutex);
    pthread_cond_destroy(&s->cond);
    free(s->text);
    free(s);
}

uint16_t
metrics_server_port(const struct metrics_server *s)
{
    return http_server_port(s->http);
}

int
metrics_server_fd(const struct metrics_server *s)
{
    return s ? s->efd : -1;
}

/* Collects and answers the waiting scrapes; see metrics.h. */
void
metrics_server_run(struct metrics_server *s)
{
    struct metrics m;
    uint64_t n, gen;

    if (!s || read(s->efd, &n, sizeof n) != sizeof n) {
        return;
    }
    pthread_mutex_lock(&s->mutex);
    gen = s->asked;
    pthread_mutex_unlock(&s->mutex);

    metrics_init(&m);
    s->collect(&m, s->aux);
    char *text = metrics_text(&m);
    metrics_destroy(&m);

    pthread_mutex_lock(&s->mutex);
    free(s->text);
    s->text = text;
    s->done = gen;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mutex);
}
