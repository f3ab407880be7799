/* sp_lease: leasing and deploying a virtual network (see sp_lease.h). */
#include "sp_lease.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon.h"
#include "http.h"
#include "log.h"
#include "spc.h"
#include "util.h"

#define MOD "sp"
#define SP_PROGRAM_MAX (512 * 1024)
#define SP_ACTIVE_TIMEOUT_MS 60000

/* Calls the broker; prints a failure.  Returns the HTTP status, or 0 on a
 * transport failure. */
static long
sp_call(const char *method, const char *broker, const char *token,
        const char *path, const json_t *body, json_t **reply, int timeout_ms)
{
    struct http_client_opts o = { .token = token, .timeout_ms = timeout_ms };
    char *url = xasprintf("%s%s", broker, path), *msg = NULL;
    long status = 0;
    json_t *r = NULL;

    if (http_client_json(method, url, &o, body, &status, &r, &msg)) {
        fprintf(stderr, "lamina-sp: %s %s: %s\n", method, url, msg ? msg : "failed");
        status = 0;
    } else if (status < 200 || status > 299) {
        const char *m = http_error_message(r);
        fprintf(stderr, "lamina-sp: %s %s: HTTP %ld: %s\n", method, path, status,
                m ? m : "no reason given");
    }
    free(msg);
    free(url);
    if (reply) {
        *reply = r;
    } else {
        json_decref(r);
    }
    return status;
}

/* Pushes program file 'path' to 'vnode' of 'lease'. */
int
sp_lease_push(const char *broker, const char *token, const char *lease,
              const char *vnode, const char *path, const json_t *config)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "lamina-sp: program %s: %s\n", path, strerror(errno));
        return errno;
    }
    char *bytes = xmalloc(SP_PROGRAM_MAX + 1);
    size_t n = fread(bytes, 1, SP_PROGRAM_MAX + 1, f);
    fclose(f);
    if (!n || n > SP_PROGRAM_MAX) {
        fprintf(stderr, "lamina-sp: program %s: %s (at most %d bytes)\n", path,
                n ? "too big" : "empty", SP_PROGRAM_MAX);
        free(bytes);
        return EFBIG;
    }
    char *b64 = base64_encode(bytes, n);
    free(bytes);
    json_t *body = json_pack("{s:s}", "program", b64);
    free(b64);
    if (config) {
        json_object_set(body, "config", (json_t *) config);
    }
    char *p = xasprintf("/v1/leases/%s/vnodes/%s/program", lease, vnode);
    long status = sp_call("POST", broker, token, p, body, NULL, 15000);
    free(p);
    json_decref(body);
    if (status != 200) {
        return status ? (int) status : EIO;
    }
    LOG_INFO(MOD, "lease %s: vnode %s runs %s (%zu bytes)", lease, vnode, path, n);
    return 0;
}

/* Takes lamina-sp's own members out of the nodes of 'vn' into 'apps'
 * (node name -> {"fp", "program", "app", "gateways", "controller"}).
 * Returns 0 or EINVAL with a message printed. */
static int
sp_vn_split(json_t *vn, json_t *apps, const char *file)
{
    size_t i;
    json_t *n;

    json_array_foreach(json_object_get(vn, "nodes"), i, n) {
        const char *name = json_string_value(json_object_get(n, "name"));
        json_t *fp = json_object_get(n, "fp");
        if (!name) {
            fprintf(stderr, "lamina-sp: %s: nodes[%zu]: no name\n", file, i);
            return EINVAL;
        }
        if (fp) {
            json_object_set(n, "plane", fp);
            json_object_del(n, "fp");
        }
        const char *plane = json_string_value(json_object_get(n, "plane"));
        json_t *a = json_pack("{s:s}", "plane", plane ? plane : "l2learn");
        const char *keys[] = { "program", "controller" };
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
            if (json_object_get(n, keys[k])) {
                json_object_set(a, keys[k], json_object_get(n, keys[k]));
            }
        }
        const char *own[] = { "app", "gateways", "tables", "window" };
        for (size_t k = 0; k < ARRAY_SIZE(own); k++) {
            if (json_object_get(n, own[k])) {
                json_object_set(a, own[k], json_object_get(n, own[k]));
                json_object_del(n, own[k]);
            }
        }
        const char *app = json_string_value(json_object_get(a, "app"));
        if (app && (!plane || strcmp(plane, "openflow") || !spc_app_find(app))) {
            fprintf(stderr, "lamina-sp: %s: node %s: \"app\" needs fp openflow "
                    "and one of l2, l3\n", file, name);
            json_decref(a);
            return EINVAL;
        }
        json_object_set_new(apps, name, a);
    }
    return 0;
}

/* The config pushed with an ebpf node's program: its "tables" and
 * "window" (a borrowed reference, kept in 'a'), or NULL. */
static const json_t *
sp_ebpf_config(json_t *a)
{
    json_t *c = json_object();
    const char *keys[] = { "tables", "window" };
    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        if (json_object_get(a, keys[k])) {
            json_object_set(c, keys[k], json_object_get(a, keys[k]));
        }
    }
    if (!json_object_size(c)) {
        json_decref(c);
        return NULL;
    }
    json_object_set_new(a, "_config", c);
    return c;
}

/* Waits until lease 'id' is active (long polls on its events).  Returns
 * true if it is. */
static bool
sp_wait_active(const char *broker, const char *token, const char *id)
{
    uint64_t deadline = time_ms() + SP_ACTIVE_TIMEOUT_MS;
    json_int_t after = 0;

    while (time_ms() < deadline) {
        json_t *l = NULL;
        char *p = xasprintf("/v1/leases/%s", id);
        long st = sp_call("GET", broker, token, p, NULL, &l, 5000);
        free(p);
        const char *state = json_string_value(json_object_get(l, "state"));
        bool active = st == 200 && state && !strcmp(state, "active");
        bool over = st == 200 && state && (!strcmp(state, "failed")
                                           || !strcmp(state, "ended"));
        if (over) {
            fprintf(stderr, "lamina-sp: lease %s is %s\n", id, state);
        }
        json_decref(l);
        if (active || over || st != 200) {
            return active;
        }
        json_t *ev = NULL;
        p = xasprintf("/v1/leases/%s/events?after=%lld&wait=10", id,
                      (long long) after);
        st = sp_call("GET", broker, token, p, NULL, &ev, 15000);
        free(p);
        if (st == 200) {
            after = json_integer_value(json_object_get(ev, "next"));
        }
        json_decref(ev);
    }
    fprintf(stderr, "lamina-sp: lease %s did not become active in %d s\n", id,
            SP_ACTIVE_TIMEOUT_MS / 1000);
    return false;
}

/* Starts the controller for the openflow nodes of 'apps' ('*spcp' NULL if
 * there are none).  Returns 0 or an error printed. */
static int
sp_start_apps(const json_t *apps, struct spc **spcp)
{
    const char *name, *app_name = NULL;
    const json_t *a;
    char msg[256];
    int error = 0;

    *spcp = NULL;
    json_object_foreach((json_t *) apps, name, a) {
        const char *app = json_string_value(json_object_get(a, "app"));
        if (app && app_name && strcmp(app, app_name)) {
            fprintf(stderr, "lamina-sp: nodes run apps %s and %s: one app per "
                    "virtual network\n", app_name, app);
            return EINVAL;
        }
        app_name = app ? app : app_name;
    }
    if (!app_name) {
        return 0;
    }
    char *argv[2 + 2 * 16] = { (char *) app_name };
    int argc = 1;
    json_object_foreach((json_t *) apps, name, a) {
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(a, "gateways"), i, g) {
            if (json_is_string(g) && argc + 2 < (int) ARRAY_SIZE(argv)) {
                argv[argc++] = "--gateway";
                argv[argc++] = (char *) json_string_value(g);
            }
        }
    }
    error = spc_create(spc_app_find(app_name), argc, argv, spcp, msg, sizeof msg);
    json_object_foreach((json_t *) apps, name, a) {
        const char *ctl = json_string_value(json_object_get(a, "controller"));
        char host[128];
        unsigned int port;
        if (error || !json_object_get(a, "app") || !ctl) {
            continue;
        }
        if (sscanf(ctl, "tcp:%127[^:]:%u", host, &port) != 2) {
            snprintf(msg, sizeof msg, "node %s: controller \"%s\" is not "
                     "tcp:HOST:PORT", name, ctl);
            error = EINVAL;
            continue;
        }
        char *target = xasprintf("ptcp:%u:%s", port, host);
        error = spc_listen(*spcp, target, NULL, msg, sizeof msg);
        if (error == EEXIST) {
            error = 0;          /* the nodes share the listener */
        }
        free(target);
    }
    if (error) {
        fprintf(stderr, "lamina-sp: %s\n", msg);
        spc_destroy(*spcp);
        *spcp = NULL;
    }
    return error;
}

int
sp_lease_run(const char *broker, const char *token, const char *vn_file,
             int signal_fd)
{
    json_error_t jerr;
    json_t *vn = json_load_file(vn_file, 0, &jerr), *apps = json_object();
    json_t *lease = NULL;
    struct spc *spc = NULL;
    int rc = 1;

    if (!vn) {
        fprintf(stderr, "lamina-sp: %s: line %d: %s\n", vn_file, jerr.line, jerr.text);
        json_decref(apps);
        return 1;
    }
    /* "offer": NAME, lamina-sp's own: the lease offered as a sub-InP once
     * deployed (recursion, docs/broker.md). */
    json_t *offer = json_incref(json_object_get(vn, "offer"));
    json_object_del(vn, "offer");
    if (offer && !json_is_string(offer)) {
        fprintf(stderr, "lamina-sp: %s: offer: must be the name of the "
                "sub-InP\n", vn_file);
        goto out;
    }
    if (sp_vn_split(vn, apps, vn_file) || sp_start_apps(apps, &spc)) {
        goto out;
    }
    long st = sp_call("POST", broker, token, "/v1/requests", vn, &lease, 60000);
    const char *id = json_string_value(json_object_get(lease, "id"));
    if (st != 201 || !id) {
        goto out;
    }
    LOG_INFO(MOD, "lease %s requested (%s)", id,
             json_string_value(json_object_get(lease, "state")));
    printf("lease %s\n", id);
    fflush(stdout);
    if (!sp_wait_active(broker, token, id)) {
        goto release;
    }
    const char *name;
    json_t *a;
    json_object_foreach(apps, name, a) {
        const char *prog = json_string_value(json_object_get(a, "program"));
        if (prog && !strcmp(json_string_value(json_object_get(a, "plane")), "ebpf")
            && sp_lease_push(broker, token, id, name, prog, sp_ebpf_config(a))) {
            goto release;
        }
    }
    LOG_INFO(MOD, "lease %s active and deployed", id);
    printf("deployed\n");
    fflush(stdout);
    if (offer) {
        char *op = xasprintf("/v1/leases/%s/offer", id);
        json_t *body = json_pack("{s:O}", "name", offer), *ans = NULL;
        long ost = sp_call("POST", broker, token, op, body, &ans, 30000);
        free(op);
        json_decref(body);
        if (ost != 201) {
            json_decref(ans);
            goto release;
        }
        /* The sub-InP's token comes once: on stdout, like the lease. */
        const char *tok = json_string_value(json_object_get(ans, "token"));
        printf("offered %s%s%s\n", json_string_value(offer),
               tok ? " token " : "", tok ? tok : "");
        fflush(stdout);
        json_decref(ans);
    }
    for (;;) {
        int sig = daemon_signals_read(signal_fd);
        if (sig && sig != SIGHUP) {
            LOG_INFO(MOD, "signal %d: releasing lease %s", sig, id);
            break;
        }
        if (spc) {
            spc_run(spc, 100);
        } else {
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    rc = 0;
release:;
    char *p = xasprintf("/v1/leases/%s/release", id);
    if (sp_call("POST", broker, token, p, NULL, NULL, 30000) != 200) {
        rc = 1;
    } else {
        LOG_INFO(MOD, "lease %s released", id);
    }
    free(p);
out:
    json_decref(offer);
    spc_destroy(spc);
    json_decref(lease);
    json_decref(apps);
    json_decref(vn);
    return rc;
}
