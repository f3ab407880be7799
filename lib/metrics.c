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
#define METRICS_EVENT_MS 1000
#define METRICS_MAX_PAGES 8

struct metrics_server {
    struct http_server *http;
    metrics_collect_func *collect;
    metrics_view_func *view;
    void *aux;
    int efd;
    struct http_route routes[3 + METRICS_MAX_PAGES];
    const struct metrics_page *pages;
    size_t n_pages;

    pthread_mutex_t mutex;
    pthread_cond_t cond;
    uint64_t asked;             /* generation the latest request waits for */
    uint64_t done;              /* generation of 'text' and 'view_text' */
    char *text;                 /* the latest exposition */
    char *view_text;            /* the latest view, or NULL */
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

/* Asks the daemon's thread for a fresh collection and waits for it (at
 * most METRICS_WAIT_MS).  Returns a copy of the exposition, or with
 * 'view' of the view, or NULL. */
static char *
metrics_ask(struct metrics_server *s, bool view)
{
    struct timespec deadline;
    uint64_t one = 1, gen;
    char *text = NULL;

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
    if (s->done >= gen) {
        const char *t = view ? s->view_text : s->text;
        text = t ? xstrdup(t) : NULL;
    }
    pthread_mutex_unlock(&s->mutex);
    return text;
}

/* Answers 'resp' with a fresh collection: the view (as JSON) or the
 * exposition; 503 if the daemon did not collect in time. */
static void
metrics_answer(struct metrics_server *s, bool view,
               struct http_response *resp)
{
    char *text = metrics_ask(s, view);

    if (!text) {
        http_error(resp, 503, "unavailable", NULL, "the daemon did not "
                   "collect its counters within %d ms", METRICS_WAIT_MS);
        return;
    }
    resp->status = 200;
    resp->text = text;
    resp->text_type = view ? "application/json" : METRICS_CONTENT_TYPE;
}

/* GET /metrics. */
static void
metrics_handler(struct http_request *req, void *aux,
                struct http_response *resp)
{
    (void) req;
    metrics_answer(aux, false, resp);
}

/* GET /view.json. */
static void
view_handler(struct http_request *req, void *aux, struct http_response *resp)
{
    (void) req;
    metrics_answer(aux, true, resp);
}

/* An /events stream: the view as one event a second. */
struct metrics_events {
    struct metrics_server *s;
    char *pending;              /* the event being sent */
    size_t len, off;
    bool started;
};

static ssize_t
events_read(void *aux, char *buf, size_t max)
{
    struct metrics_events *ev = aux;
    struct metrics_server *s = ev->s;

    if (ev->off == ev->len) {
        free(ev->pending);
        ev->pending = NULL;
        if (ev->started) {
            /* Pace: one event a second, unless the server stops. */
            struct timespec deadline;
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += METRICS_EVENT_MS / 1000;
            pthread_mutex_lock(&s->mutex);
            while (!s->stopping
                   && !pthread_cond_timedwait(&s->cond, &s->mutex,
                                              &deadline)) {
                continue;
            }
            bool stopping = s->stopping;
            pthread_mutex_unlock(&s->mutex);
            if (stopping) {
                return -1;
            }
        }
        ev->started = true;
        char *view = metrics_ask(s, true);
        if (!view) {
            return -1;
        }
        ev->pending = xasprintf("data: %s\n\n", view);
        free(view);
        ev->len = strlen(ev->pending);
        ev->off = 0;
    }
    size_t n = MIN(max, ev->len - ev->off);
    memcpy(buf, ev->pending + ev->off, n);
    ev->off += n;
    return n;
}

static void
events_free(void *aux)
{
    struct metrics_events *ev = aux;
    free(ev->pending);
    free(ev);
}

/* GET /events. */
static void
events_handler(struct http_request *req, void *aux,
               struct http_response *resp)
{
    struct metrics_events *ev = xzalloc(sizeof *ev);

    (void) req;
    ev->s = aux;
    resp->status = 200;
    resp->stream = events_read;
    resp->stream_free = events_free;
    resp->stream_aux = ev;
    resp->text_type = "text/event-stream";
}

/* A static page. */
static void
page_handler(struct http_request *req, void *aux, struct http_response *resp)
{
    struct metrics_server *s = aux;

    for (size_t i = 0; i < s->n_pages; i++) {
        if (!strcmp(req->path, s->pages[i].path)) {
            resp->status = 200;
            resp->text = xstrdup(s->pages[i].body);
            resp->text_type = s->pages[i].type;
            return;
        }
    }
    http_error(resp, 404, "not_found", NULL, "no page %s", req->path);
}

/* Starts the endpoint; see metrics.h. */
int
metrics_server_open(const struct metrics_server_options *o,
                    struct metrics_server **sp, char *err, size_t errsize)
{
    struct metrics_server *s;
    size_t n_routes = 0;
    char addr[64];
    uint16_t port;
    int error;

    *sp = NULL;
    error = metrics_parse_listen(o->listen, addr, sizeof addr, &port, err,
                                 errsize);
    if (error) {
        return error;
    }
    if (o->n_pages > METRICS_MAX_PAGES) {
        snprintf(err, errsize, "more than %d pages", METRICS_MAX_PAGES);
        return EINVAL;
    }
    s = xzalloc(sizeof *s);
    s->collect = o->collect;
    s->view = o->view;
    s->aux = o->aux;
    s->pages = o->pages;
    s->n_pages = o->n_pages;
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        error = errno;
        snprintf(err, errsize, "eventfd: %s", strerror(error));
        free(s);
        return error;
    }
    pthread_mutex_init(&s->mutex, NULL);
    pthread_cond_init(&s->cond, NULL);

    s->routes[n_routes++] = (struct http_route) { "GET", "/metrics",
                                                  metrics_handler, false };
    if (o->view) {
        s->routes[n_routes++] = (struct http_route) { "GET", "/view.json",
                                                      view_handler, false };
        s->routes[n_routes++] = (struct http_route) { "GET", "/events",
                                                      events_handler, false };
    }
    for (size_t i = 0; i < o->n_pages; i++) {
        s->routes[n_routes++] = (struct http_route) { "GET", o->pages[i].path,
                                                      page_handler, false };
    }
    struct http_server_config cfg = {
        .address = addr, .port = port, .routes = s->routes,
        .n_routes = n_routes, .aux = s,
        .max_conns = 16, .max_conns_per_ip = 8, .threads = 4,
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

/* Starts the /metrics endpoint alone; see metrics.h. */
int
metrics_server_start(const char *listen, metrics_collect_func *collect,
                     void *aux, struct metrics_server **sp,
                     char *err, size_t errsize)
{
    struct metrics_server_options o = { .listen = listen, .collect = collect,
                                        .aux = aux };
    return metrics_server_open(&o, sp, err, errsize);
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
    free(s->view_text);
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

/* Collects and answers the waiting requests; see metrics.h. */
void
metrics_server_run(struct metrics_server *s)
{
    struct metrics m;
    char *view_text = NULL;
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
    if (s->view) {
        json_t *v = s->view(s->aux);
        view_text = v ? json_dumps(v, JSON_COMPACT) : NULL;
        json_decref(v);
    }

    pthread_mutex_lock(&s->mutex);
    free(s->text);
    free(s->view_text);
    s->text = text;
    s->view_text = view_text;
    s->done = gen;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mutex);
}
