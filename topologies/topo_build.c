/*
 * topo_build: `lamina topo up` and `down`, and the record that ties
 * them together.  See topo_build.h.
 */
#include "topo_build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_build_config.h>

#include "daemon.h"
#include "dpdk_files.h"
#include "jsonrpc.h"
#include "statefile.h"
#include "topo.h"
#include "topo_netns.h"
#include "units.h"
#include "util.h"

#define RPC_TIMEOUT_MS 120000
#define RPC_CHUNK 1000

/* ---- Names --------------------------------------------------------------- */

static char *
run_dir(const char *name)
{
    return xasprintf(TOPO_RUN_BASE "/topo-%s", name);
}

static char *
run_path(const char *dir, const char *file)
{
    return xasprintf("%s/%s", dir, file);
}

/* The switch ends of host veths are "t<hash of the topology name><host
 * number>": at most 15 characters, and two topologies up side by side do
 * not collide unless their 24-bit hashes do (which `up` detects). */
static char *
veth_name(const char *topo_name, size_t host)
{
    uint32_t h = 2166136261u;

    for (const char *c = topo_name; *c; c++) {
        h = (h ^ (unsigned char) *c) * 16777619u;
    }
    return xasprintf("t%06xh%zu", h & 0xffffff, host);
}

/* Port names of a link's ends: "to-<other switch>", and "to-<other>.<k>"
 * for the k-th parallel link. */
static char *
link_port_name(const struct topo *t, size_t link, bool end_a)
{
    const struct topo_link *l = &t->links[link];
    size_t other = end_a ? l->b : l->a;
    int k = 1;

    for (size_t i = 0; i < link; i++) {
        const struct topo_link *o = &t->links[i];
        if ((o->a == l->a && o->b == l->b) || (o->a == l->b && o->b == l->a)) {
            k++;
        }
    }
    return k == 1 ? xasprintf("to-%s", t->sw[other].name)
                  : xasprintf("to-%s.%d", t->sw[other].name, k);
}

/* ---- Progress ------------------------------------------------------------- */

struct progress {
    bool on;
    uint64_t t0, last;
    char times[512];            /* "phase 0.12 s, ..." for the summary */
    uint64_t phase_t0;
};

static void
progress_show(struct progress *p, const char *phase, size_t done,
              size_t total)
{
    uint64_t now = time_ms();

    if (done != total && (!p->on || now - p->last < 50)) {
        return;
    }
    if (done == total) {
        size_t len = strlen(p->times);
        snprintf(p->times + len, sizeof p->times - len, "%s%s %.2f",
                 len ? ", " : "", phase, (now - p->phase_t0) / 1000.0);
        p->phase_t0 = now;
    }
    if (!p->on) {
        return;
    }
    p->last = now;
    fprintf(stderr, "\r\033[K  %-10s %6zu/%-6zu %6.2f s", phase, done, total,
            (now - p->t0) / 1000.0);
    if (done == total) {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

static void
netns_progress(size_t done, size_t total, void *p)
{
    progress_show(p, "hosts", done, total);
}

/* ---- The record -------------------------------------------------------- */

/* Writes 'text' to 'path' durably (statefile.h); '*errp' says why not. */
static int
write_file_atomic(const char *path, const char *text, char **errp)
{
    char msg[512];
    int error = statefile_write_text(path, text, strlen(text), 0644, msg,
                                     sizeof msg);

    if (error) {
        *errp = xstrdup(msg);
    }
    return error;
}

/* ---- Talking to the daemon -------------------------------------------- */

static json_t *
call_new(const char *method, json_t *params)
{
    return json_pack("{s:s, s:o}", "method", method, "params", params);
}

/* A short description of a call for messages: its method and its params. */
static char *
call_desc(const json_t *call)
{
    char *params = json_dumps(json_object_get(call, "params"), JSON_COMPACT);
    char *s = xasprintf("%s %s", json_string_value(json_object_get(call,
                                                                   "method")),
                        params ? params : "");
    free(params);
    return s;
}

/* Runs 'calls' (consumed) in batches; the first refused call fails the
 * whole with a message naming it. */
static int
rpc_run(struct jsonrpc_client *client, json_t *calls, struct progress *p,
        const char *phase, char **errp)
{
    size_t n = json_array_size(calls);
    int error = 0;

    progress_show(p, phase, 0, n);
    for (size_t ofs = 0; ofs < n && !error; ofs += RPC_CHUNK) {
        size_t m = MIN(RPC_CHUNK, n - ofs);
        json_t *chunk = json_array(), *answers = NULL, *a;
        struct jsonrpc_error err = { 0 };
        size_t i;

        for (i = 0; i < m; i++) {
            json_array_append(chunk, json_array_get(calls, ofs + i));
        }
        error = jsonrpc_client_batch(client, chunk, RPC_TIMEOUT_MS, &answers,
                                     &err);
        if (error) {
            *errp = xasprintf("%s: lamina-switchd: %s", phase,
                              err.code ? err.message : strerror(error));
        }
        json_array_foreach(answers, i, a) {
            const json_t *e = json_object_get(a, "error");
            if (e && !error) {
                char *d = call_desc(json_array_get(chunk, i));
                *errp = xasprintf("%s: %s: %s", phase, d,
                                  json_string_value(json_object_get(e,
                                                                    "message")));
                free(d);
                error = EINVAL;
            }
        }
        jsonrpc_error_clear(&err);
        json_decref(answers);
        json_decref(chunk);
        progress_show(p, phase, error ? ofs : ofs + m, n);
    }
    json_decref(calls);
    return error;
}

static int
rpc_call(struct jsonrpc_client *client, const char *method, json_t *params,
         json_t **result, char **errp)
{
    struct jsonrpc_error err = { 0 };
    json_t *r = NULL;
    int error = jsonrpc_client_call(client, method, params, RPC_TIMEOUT_MS,
                                    &r, &err);

    json_decref(params);
    if (error) {
        *errp = xasprintf("%s: %s", method,
                          err.code ? err.message : strerror(error));
        jsonrpc_error_clear(&err);
        return error == EREMOTEIO ? EINVAL : error;
    }
    if (result) {
        *result = r;
    } else {
        json_decref(r);
    }
    return 0;
}

/* ---- Starting the daemon ---------------------------------------------- */

static char *
find_switchd(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *env = getenv("LAMINA_SWITCHD");

    if (env && *env) {
        return xstrdup(env);
    }
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* The build tree (build/cli/lamina, build/vswitch/...) and an
             * installation (both in bin/). */
            char *cands[] = { xasprintf("%s/../vswitch/lamina-switchd", exe),
                              xasprintf("%s/lamina-switchd", exe) };
            char *found = NULL;
            for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
                if (!found && !access(cands[i], X_OK)) {
                    found = cands[i];
                } else {
                    free(cands[i]);
                }
            }
            if (found) {
                return found;
            }
        }
    }
    return xstrdup("lamina-switchd");
}

/* Starts the daemon detached; returns the pid of the launcher (which
 * exits 0 once the daemon listens) or -1. */
static pid_t
spawn_switchd(const char *switchd, const char *dir, const char *prefix,
              unsigned int memory_mb, const char *metrics, const char *map,
              char **errp)
{
    char *sock = run_path(dir, "switchd.sock"), *state = run_path(dir, "switchd.json");
    char *pidf = run_path(dir, "switchd.pid"), *logf = run_path(dir, "switchd.log");
    char mem[16];
    const char *argv[32];
    int argc = 0, fd;
    pid_t pid;

    snprintf(mem, sizeof mem, "%u", memory_mb);
    argv[argc++] = switchd;
    argv[argc++] = "--socket";
    argv[argc++] = sock;
    argv[argc++] = "--state";
    argv[argc++] = state;
    argv[argc++] = "--no-restore";
    argv[argc++] = "--pidfile";
    argv[argc++] = pidf;
    argv[argc++] = "--detach";
    if (metrics) {
        argv[argc++] = "--metrics";
        argv[argc++] = metrics;
        argv[argc++] = "--web-map";
        argv[argc++] = map;
    }
    argv[argc++] = "--";
    argv[argc++] = "-l";
    argv[argc++] = "0-1";
    argv[argc++] = "--no-pci";
    argv[argc++] = "--no-telemetry";
    argv[argc++] = "--file-prefix";
    argv[argc++] = prefix;
    if (dpdk_files_hugepages_free_mb() < memory_mb) {
        argv[argc++] = "--no-huge";
    }
    argv[argc++] = "-m";
    argv[argc++] = mem;
    argv[argc] = NULL;

    fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    pid = fork();
    if (pid == 0) {
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execvp(switchd, (char **) argv);
        fprintf(stderr, "lamina topo: cannot run %s: %s\n", switchd,
                strerror(errno));
        _exit(127);
    }
    if (pid < 0) {
        *errp = xasprintf("fork: %s", strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    free(sock);
    free(state);
    free(pidf);
    free(logf);
    return pid;
}

/* ---- up ------------------------------------------------------------------ */

/* Builds the record of what 'up' is about to make. */
static json_t *
record_new(const struct topo *t, const struct topo_up_opts *opts,
           const char *prefix, const struct topo_slice_plan *plan)
{
    json_t *hosts = json_array();
    const char *nsp = opts->netns_prefix ? opts->netns_prefix : "";

    for (size_t i = 0; i < t->n_hosts; i++) {
        char *veth = veth_name(opts->name, i);
        char *ns = xasprintf("%s%s", nsp, t->hosts[i].name);
        /* Lamina's own AF_PACKET ports: not DPDK ethdevs, so a map may
         * have more hosts than DPDK's RTE_MAX_ETHPORTS (32 here). */
        char *devargs = xasprintf("afpacket:%s", veth);

        json_array_append_new(hosts, json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
            "name", t->hosts[i].name, "switch", t->sw[t->hosts[i].sw].name,
            "netns", ns, "veth", veth, "port", t->hosts[i].name,
            "devargs", devargs, "ip", t->hosts[i].ip, "mac", t->hosts[i].mac));
        free(veth);
        free(ns);
        free(devargs);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:o}",
                     "name", opts->name, "netns_prefix", nsp,
                     "dpdk_prefix", prefix,
                     "slice", topo_slice_mode_name(plan->mode),
                     "split_horizon", plan->split_horizon,
                     "created", (json_int_t) time(NULL), "hosts", hosts);
}

/* Does the daemon's l2learn know "split_horizon"?  Asks by adding and
 * removing a vnode of a scratch slice. */
static bool
probe_split_horizon(struct jsonrpc_client *client, const char *sw)
{
    json_t *calls = json_array();
    json_t *answers = NULL;
    struct jsonrpc_error err = { 0 };
    bool ok = false;

    json_array_append_new(calls, call_new("slice.add",
                                          json_pack("{s:s}", "name", "probe")));
    json_array_append_new(calls, call_new("vnode.add", json_pack(
        "{s:s, s:s, s:{s:b}}", "slice", "probe", "switch", sw, "config",
        "split_horizon", true)));
    json_array_append_new(calls, call_new("slice.del",
                                          json_pack("{s:s}", "name", "probe")));
    if (!jsonrpc_client_batch(client, calls, RPC_TIMEOUT_MS, &answers, &err)) {
        ok = !json_object_get(json_array_get(answers, 1), "error");
    }
    jsonrpc_error_clear(&err);
    json_decref(answers);
    json_decref(calls);
    return ok;
}

static json_t *
props_params(json_t *params, const struct topo_props *p)
{
    json_object_set_new(params, "rate_bps", json_integer(p->rate_bps));
    json_object_set_new(params, "delay_us", json_integer(p->delay_us));
    json_object_set_new(params, "loss_ppm", json_integer(p->loss_ppm));
    return params;
}

static int
build_in_switchd(struct jsonrpc_client *client, const struct topo *t,
                 const json_t *record, enum topo_slice_mode mode,
                 struct topo_slice_plan *plan, struct progress *p,
                 char **errp)
{
    json_t *calls = json_array();
    const json_t *hosts = json_object_get(record, "hosts");
    int error;

    for (size_t i = 0; i < t->n_sw; i++) {
        json_array_append_new(calls, call_new("switch.add", json_pack(
            "{s:s}", "name", t->sw[i].name)));
    }
    if ((error = rpc_run(client, calls, p, "switches", errp))) {
        return error;
    }

    calls = json_array();
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        char *pa = link_port_name(t, i, true), *pb = link_port_name(t, i, false);

        json_array_append_new(calls, call_new("link.add", props_params(
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", l->name,
                      "sw_a", t->sw[l->a].name, "port_a", pa,
                      "sw_b", t->sw[l->b].name, "port_b", pb), &l->props)));
        free(pa);
        free(pb);
    }
    if ((error = rpc_run(client, calls, p, "links", errp))) {
        return error;
    }

    calls = json_array();
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];
        const json_t *rec = json_array_get(hosts, i);
        json_t *params = json_pack("{s:s, s:s, s:s, s:I}",
            "switch", t->sw[h->sw].name, "name", h->name,
            "devargs", json_string_value(json_object_get(rec, "devargs")),
            "rate_bps", (json_int_t) h->props.rate_bps);

        if (h->props.queue) {
            json_object_set_new(params, "queue_len",
                                json_integer(h->props.queue));
        }
        if (h->props.delay_us) {
            json_object_set_new(params, "delay_us",
                                json_integer(h->props.delay_us));
        }
        if (h->props.loss_ppm) {
            json_object_set_new(params, "loss_ppm",
                                json_integer(h->props.loss_ppm));
        }
        json_array_append_new(calls, call_new("port.add", params));
    }
    if ((error = rpc_run(client, calls, p, "host ports", errp))) {
        return error;
    }

    topo_slice_plan(t, mode, t->n_sw && mode != TOPO_SLICE_TREE
                    && mode != TOPO_SLICE_NONE
                    && probe_split_horizon(client, t->sw[0].name), plan);
    if (plan->mode == TOPO_SLICE_NONE) {
        return 0;
    }
    calls = json_array();
    json_array_append_new(calls, call_new("slice.add", json_pack(
        "{s:s}", "name", TOPO_SLICE_NAME)));
    for (size_t i = 0; i < t->n_sw; i++) {
        if (plan->vnode[i]) {
            json_t *params = json_pack("{s:s, s:s, s:s}", "slice",
                                       TOPO_SLICE_NAME, "switch",
                                       t->sw[i].name, "fp", "l2learn");
            if (plan->split_horizon) {
                json_object_set_new(params, "config", json_pack(
                    "{s:b}", "split_horizon", true));
            }
            json_array_append_new(calls, call_new("vnode.add", params));
        }
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];
        if (plan->vnode[h->sw]) {
            json_array_append_new(calls, call_new("vport.add", json_pack(
                "{s:s, s:s, s:s, s:s}", "slice", TOPO_SLICE_NAME,
                "switch", t->sw[h->sw].name, "vport", h->name,
                "port", h->name)));
        }
    }
    if ((error = rpc_run(client, calls, p, "vnodes", errp))) {
        return error;
    }
    calls = json_array();
    for (size_t i = 0; i < plan->n_vlinks; i++) {
        const struct topo_vlink *v = &plan->vlinks[i];
        json_t *path = json_array();

        for (size_t k = 0; k < v->n_path; k++) {
            json_array_append_new(path, json_string(t->sw[v->path[k]].name));
        }
        json_t *params = json_pack("{s:s, s:s, s:o}", "slice", TOPO_SLICE_NAME,
                                   "name", v->name, "path", path);
        if (v->n_backup) {
            json_t *backup = json_array();
            for (size_t k = 0; k < v->n_backup; k++) {
                json_array_append_new(backup,
                                      json_string(t->sw[v->backup[k]].name));
            }
            json_object_set_new(params, "backup", backup);
        }
        json_array_append_new(calls, call_new("vlink.add", params));
    }
    return rpc_run(client, calls, p, "vlinks", errp);
}

unsigned int
topo_max_hosts(void)
{
    return TOPO_MAX_HOSTS;
}

int
topo_up(const struct topo *t, const struct topo_up_opts *opts, char **errp)
{
    struct progress p = { .on = opts->progress, .t0 = time_ms(),
                          .phase_t0 = time_ms() };
    struct topo_slice_plan plan = { 0 };
    char *dir = NULL, *prefix = NULL, *switchd = NULL, *text = NULL;
    char *path = NULL, *sock = NULL;
    struct topo_netns_host *nh = NULL;
    struct jsonrpc_client *client = NULL;
    json_t *record = NULL, *hosts;
    unsigned int memory_mb;
    size_t n_made, len;
    pid_t launcher = -1;
    int error = 0, status;
    FILE *f;

    *errp = NULL;
    if (!name_is_valid(opts->name) || strlen(opts->name) > TOPO_NAME_MAX) {
        *errp = xasprintf("topology name \"%s\": use 1..%d characters of "
                          "[A-Za-z0-9_.-]", opts->name, TOPO_NAME_MAX);
        return EINVAL;
    }
    if (t->n_hosts > topo_max_hosts()) {
        *errp = xasprintf("%zu hosts: at most %u fit in one lamina-switchd; "
                          "import with --hosts N to put hosts on N switches "
                          "spread over the map", t->n_hosts, topo_max_hosts());
        return E2BIG;
    }
    dir = run_dir(opts->name);
    if (!access(dir, F_OK)) {
        *errp = xasprintf("topology %s is up already (or was left by a "
                          "crash): run 'lamina topo down --name %s' first "
                          "(%s)", opts->name, opts->name, dir);
        free(dir);
        return EEXIST;
    }
    prefix = xasprintf("topo-%s", opts->name);
    /* Plan the record with the final slice mode unknown yet; it is
     * rewritten once the slice is made. */
    plan.mode = opts->slice == TOPO_SLICE_AUTO ? TOPO_SLICE_TREE : opts->slice;
    record = record_new(t, opts, prefix, &plan);
    hosts = json_object_get(record, "hosts");

    /* Refuse before making anything if a name is taken. */
    nh = xcalloc(t->n_hosts ? t->n_hosts : 1, sizeof *nh);
    for (size_t i = 0; i < t->n_hosts; i++) {
        const json_t *h = json_array_get(hosts, i);
        nh[i].netns = json_string_value(json_object_get(h, "netns"));
        nh[i].root_if = json_string_value(json_object_get(h, "veth"));
        nh[i].ns_if = "eth0";
        nh[i].mac = t->hosts[i].mac;
        nh[i].ip = t->hosts[i].ip;
        if (!name_is_valid(nh[i].netns)) {
            *errp = xasprintf("host %s: namespace name \"%s\" is not valid",
                              t->hosts[i].name, nh[i].netns);
            error = EINVAL;
        } else if (topo_netns_exists(nh[i].netns)) {
            *errp = xasprintf("host %s: a network namespace \"%s\" exists "
                              "already (another topology? use "
                              "--netns-prefix)", t->hosts[i].name,
                              nh[i].netns);
            error = EEXIST;
        } else if (topo_netns_if_exists(nh[i].root_if)) {
            *errp = xasprintf("host %s: an interface %s exists already",
                              t->hosts[i].name, nh[i].root_if);
            error = EEXIST;
        }
        if (error) {
            goto out_early;
        }
    }

    if ((error = mkdir_p(dir, 0755))) {
        *errp = xasprintf("%s: %s", dir, strerror(error));
        goto out_early;
    }
    f = open_memstream(&text, &len);
    topo_write(t, f);
    fclose(f);
    path = run_path(dir, "topology");
    error = write_file_atomic(path, text, errp);
    free(path);
    free(text);
    text = json_dumps(record, JSON_INDENT(1));
    path = run_path(dir, "record.json");
    if (!error) {
        error = write_file_atomic(path, text, errp);
    }
    free(path);
    path = NULL;
    free(text);
    text = NULL;
    if (error) {
        goto out;
    }

    /* The daemon initializes DPDK while the namespaces are made. */
    switchd = opts->switchd ? xstrdup(opts->switchd) : find_switchd();
    memory_mb = opts->memory_mb ? opts->memory_mb
                : 512 + (unsigned int) (t->n_links + t->n_hosts) / 2;
    char *map = run_path(dir, "map.gml");
    if (opts->metrics) {
        /* The live view's map: each switch by name, where it is. */
        char *gml = NULL;
        size_t gml_len = 0;
        FILE *g = open_memstream(&gml, &gml_len);
        fprintf(g, "graph [\n");
        for (size_t i = 0; i < t->n_sw; i++) {
            const struct topo_switch *sw = &t->sw[i];
            if (sw->has_coords) {
                fprintf(g, "  node [ id %zu label \"%s\" Latitude %.6f "
                        "Longitude %.6f ]\n", i, sw->name, sw->lat, sw->lon);
            }
        }
        fprintf(g, "]\n");
        fclose(g);
        error = write_file_atomic(map, gml, errp);
        free(gml);
        if (error) {
            free(map);
            goto out;
        }
    }
    launcher = spawn_switchd(switchd, dir, prefix, memory_mb, opts->metrics,
                             map, errp);
    free(map);
    if (launcher < 0) {
        error = EAGAIN;
        goto out;
    }
    error = topo_netns_make_hosts(nh, t->n_hosts, netns_progress, &p,
                                  &n_made, errp);
    if (error) {
        goto out;
    }
    if (waitpid(launcher, &status, 0) < 0 || !WIFEXITED(status)
        || WEXITSTATUS(status)) {
        char *logf = run_path(dir, "switchd.log");
        *errp = xasprintf("lamina-switchd (%s) did not start: see %s",
                          switchd, logf);
        free(logf);
        launcher = -1;
        error = ECHILD;
        goto out;
    }
    launcher = -1;
    progress_show(&p, "daemon", 1, 1);

    sock = run_path(dir, "switchd.sock");
    if ((error = jsonrpc_client_open(sock, &client))) {
        *errp = xasprintf("%s: %s", sock, strerror(error));
        goto out;
    }
    error = build_in_switchd(client, t, record, opts->slice, &plan, &p, errp);
    if (!error) {
        json_object_set_new(record, "slice",
                            json_string(topo_slice_mode_name(plan.mode)));
        json_object_set_new(record, "split_horizon",
                            json_boolean(plan.split_horizon));
        text = json_dumps(record, JSON_INDENT(1));
        path = run_path(dir, "record.json");
        error = write_file_atomic(path, text, errp);
        free(path);
        free(text);
    }

out:
    if (launcher > 0) {
        waitpid(launcher, &status, 0);
    }
    jsonrpc_client_close(client);
    if (error && !opts->keep_on_error) {
        char *derr = NULL;
        topo_down(opts->name, NULL, &derr);
        free(derr);
    }
    if (!error && opts->summary) {
        fprintf(stderr, "topology %s up in %.2f s: %zu switches, %zu links, "
                "%zu hosts; default slice: %s, %zu vnodes, %zu virtual "
                "links (s: %s)\n", opts->name, (time_ms() - p.t0) / 1000.0,
                t->n_sw, t->n_links, t->n_hosts,
                topo_slice_mode_name(plan.mode), plan.n_vnodes,
                plan.n_vlinks, p.times);
    }
out_early:
    topo_slice_plan_destroy(&plan);
    json_decref(record);
    free(nh);
    free(sock);
    free(switchd);
    free(prefix);
    free(dir);
    return error;
}

/* ---- down ------------------------------------------------------------- */

static bool
wait_gone(pid_t pid, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (kill(pid, 0) && errno == ESRCH) {
            return true;
        }
        /* A zombie of ours would never go: reap it if it is our child. */
        waitpid(pid, NULL, WNOHANG);
        usleep(10000);
    }
    return kill(pid, 0) && errno == ESRCH;
}

static void
rm_rf(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;

    if (!d) {
        unlink(path);
        return;
    }
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char *sub = xasprintf("%s/%s", path, e->d_name);
            rm_rf(sub);
            free(sub);
        }
    }
    closedir(d);
    rmdir(path);
}

static void __attribute__((format(printf, 2, 3)))
say(FILE *log, const char *fmt, ...)
{
    va_list args;

    if (log) {
        va_start(args, fmt);
        vfprintf(log, fmt, args);
        va_end(args);
        fflush(log);
    }
}

int
topo_down(const char *name, FILE *log, char **errp)
{
    char *dir = run_dir(name), *recpath = run_path(dir, "record.json");
    char *sock = run_path(dir, "switchd.sock"), *pidf = run_path(dir, "switchd.pid");
    json_t *record = NULL, *hosts, *h;
    json_error_t jerr;
    const char *prefix;
    char *fallback_prefix = xasprintf("topo-%s", name);
    uint64_t t0 = time_ms();
    size_t i, n_left = 0;
    pid_t pid;
    int error = 0;

    *errp = NULL;
    if (access(dir, F_OK)) {
        *errp = xasprintf("no topology %s is up (no %s)", name, dir);
        error = ENOENT;
        goto out;
    }
    record = json_load_file(recpath, 0, &jerr);
    if (!record) {
        say(log, "warning: %s: %s; removing what can be found\n", recpath,
            jerr.text);
    }
    hosts = json_object_get(record, "hosts");
    prefix = json_string_value(json_object_get(record, "dpdk_prefix"));
    if (!prefix) {
        prefix = fallback_prefix;
    }

    /* The daemon first: it holds the switch ends of the veths. */
    pid = daemon_pidfile_read(pidf);
    if (pid > 0 && daemon_pid_has_arg(pid, sock)) {
        say(log, "stopping lamina-switchd (pid %d)\n", (int) pid);
        kill(pid, SIGTERM);
        if (!wait_gone(pid, 15000)) {
            say(log, "lamina-switchd (pid %d) did not stop in 15 s: KILL\n",
                (int) pid);
            kill(pid, SIGKILL);
            wait_gone(pid, 5000);
        }
    }

    /* The namespaces: their veth pairs go with them, as the kernel frees
     * them (in batches, in the background: wait for it below). */
    json_array_foreach(hosts, i, h) {
        const char *ns = json_string_value(json_object_get(h, "netns"));
        if (ns) {
            topo_netns_del(ns);
        }
    }
    say(log, "removed %zu namespaces\n", json_array_size(hosts));
    for (int round = 0; round < 20; round++) {
        n_left = 0;
        json_array_foreach(hosts, i, h) {
            const char *veth = json_string_value(json_object_get(h, "veth"));
            n_left += veth && topo_netns_if_exists(veth);
        }
        if (!n_left) {
            break;
        }
        usleep(50000);
    }
    if (n_left) {
        json_array_foreach(hosts, i, h) {
            const char *veth = json_string_value(json_object_get(h, "veth"));
            if (veth && topo_netns_if_exists(veth)) {
                topo_netns_if_del(veth);
            }
        }
    }
    dpdk_files_remove(NULL, prefix);
    rm_rf(dir);

    /* What is left? */
    n_left = 0;
    json_array_foreach(hosts, i, h) {
        const char *veth = json_string_value(json_object_get(h, "veth"));
        const char *ns = json_string_value(json_object_get(h, "netns"));
        n_left += (veth && topo_netns_if_exists(veth))
                  + (ns && topo_netns_exists(ns));
    }
    if (n_left || !access(dir, F_OK)) {
        *errp = xasprintf("topology %s: %zu namespaces or veths could not be "
                          "removed", name, n_left);
        error = EBUSY;
    } else {
        say(log, "topology %s down in %.2f s\n", name,
            (time_ms() - t0) / 1000.0);
    }
out:
    json_decref(record);
    free(fallback_prefix);
    free(recpath);
    free(sock);
    free(pidf);
    free(dir);
    return error;
}

/* ---- Open topologies ---------------------------------------------------- */

char **
topo_run_list(void)
{
    DIR *d = opendir(TOPO_RUN_BASE);
    struct dirent *e;
    char **names = xcalloc(1, sizeof *names);
    size_t n = 0;

    while (d && (e = readdir(d))) {
        if (!strncmp(e->d_name, "topo-", 5) && e->d_name[5]) {
            names = xrealloc(names, (n + 2) * sizeof *names);
            names[n++] = xstrdup(e->d_name + 5);
            names[n] = NULL;
        }
    }
    if (d) {
        closedir(d);
    }
    return names;
}

int
topo_run_open(const char *name, struct topo_run **runp, char **errp)
{
    struct topo_run *run;
    json_error_t jerr;
    char *path;
    int error;

    *runp = NULL;
    *errp = NULL;
    if (!name) {
        char **names = topo_run_list();
        size_t n = 0;

        while (names[n]) {
            n++;
        }
        if (n == 1) {
            error = topo_run_open(names[0], runp, errp);
        } else if (!n) {
            *errp = xstrdup("no topology is up (lamina topo up FILE)");
            error = ENOENT;
        } else {
            char *list = xstrdup("");
            for (size_t i = 0; i < n; i++) {
                char *l = xasprintf("%s%s%s", list, i ? ", " : "", names[i]);
                free(list);
                list = l;
            }
            *errp = xasprintf("%zu topologies are up (%s): say which with "
                              "--name", n, list);
            free(list);
            error = EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
        }
        free(names);
        return error;
    }
    run = xzalloc(sizeof *run);
    run->name = xstrdup(name);
    run->dir = run_dir(name);
    run->socket = run_path(run->dir, "switchd.sock");
    path = run_path(run->dir, "record.json");
    run->record = json_load_file(path, 0, &jerr);
    if (!run->record) {
        *errp = access(run->dir, F_OK)
                ? xasprintf("no topology %s is up", name)
                : xasprintf("%s: %s", path, jerr.text);
        free(path);
        topo_run_close(run);
        return ENOENT;
    }
    free(path);
    path = run_path(run->dir, "topology");
    error = topo_parse_file(path, &run->t, errp);
    free(path);
    if (error) {
        topo_run_close(run);
        return error;
    }
    {
        enum topo_slice_mode mode = TOPO_SLICE_TREE;
        const char *m = json_string_value(json_object_get(run->record,
                                                          "slice"));
        if (m) {
            topo_slice_mode_parse(m, &mode);
        }
        topo_slice_plan(run->t, mode, true, &run->plan);
    }
    *runp = run;
    return 0;
}

void
topo_run_close(struct topo_run *run)
{
    if (run) {
        topo_slice_plan_destroy(&run->plan);
        topo_destroy(run->t);
        json_decref(run->record);
        free(run->socket);
        free(run->dir);
        free(run->name);
        free(run);
    }
}

const json_t *
topo_run_host(const struct topo_run *run, const char *name)
{
    size_t i;
    json_t *h;

    json_array_foreach(json_object_get(run->record, "hosts"), i, h) {
        if (!strcmp(json_string_value(json_object_get(h, "name")), name)) {
            return h;
        }
    }
    return NULL;
}

int
topo_run_call(const struct topo_run *run, const char *method,
              json_t *params, json_t **result, char **errp)
{
    struct jsonrpc_client *client;
    int error = jsonrpc_client_open(run->socket, &client);

    *errp = NULL;
    if (error) {
        json_decref(params);
        *errp = xasprintf("topology %s: its lamina-switchd does not answer "
                          "on %s (%s); 'lamina topo down --name %s' cleans "
                          "up", run->name, run->socket, strerror(error),
                          run->name);
        return error;
    }
    error = rpc_call(client, method, params, result, errp);
    jsonrpc_client_close(client);
    return error;
}

json_t *
topo_run_status(const struct topo_run *run)
{
    const struct topo *t = run->t;
    json_t *links = NULL, *ports = NULL, *out, *arr;
    char *pidf = run_path(run->dir, "switchd.pid"), *err = NULL;
    pid_t pid = daemon_pidfile_read(pidf);
    bool alive = pid > 0 && daemon_pid_has_arg(pid, run->socket);

    free(pidf);
    if (alive) {
        if (topo_run_call(run, "link.list", NULL, &links, &err)) {
            free(err);
            err = NULL;
        }
        if (topo_run_call(run, "port.list", NULL, &ports, &err)) {
            free(err);
            err = NULL;
        }
    }
    out = json_pack("{s:s, s:{s:I, s:b, s:s, s:s}, s:{s:s, s:s, s:b, s:I, s:I}}",
                    "name", run->name,
                    "daemon", "pid", (json_int_t) pid, "running", alive,
                    "socket", run->socket, "dpdk_prefix",
                    json_string_value(json_object_get(run->record,
                                                      "dpdk_prefix")),
                    "slice", "name", TOPO_SLICE_NAME, "mode",
                    topo_slice_mode_name(run->plan.mode), "split_horizon",
                    run->plan.split_horizon,
                    "vnodes", (json_int_t) run->plan.n_vnodes,
                    "vlinks", (json_int_t) run->plan.n_vlinks);

    arr = json_array();
    for (size_t i = 0; i < t->n_sw; i++) {
        json_t *s = json_pack("{s:s, s:f, s:b}", "name", t->sw[i].name,
                              "cpu", t->sw[i].cpu, "default_slice_vnode",
                              (int) run->plan.vnode[i]);
        if (t->sw[i].label) {
            json_object_set_new(s, "label", json_string(t->sw[i].label));
        }
        if (t->sw[i].has_coords) {
            json_object_set_new(s, "lat", json_real(t->sw[i].lat));
            json_object_set_new(s, "lon", json_real(t->sw[i].lon));
        }
        json_array_append_new(arr, s);
    }
    json_object_set_new(out, "switches", arr);

    arr = json_array();
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b}",
                              "name", l->name, "a", t->sw[l->a].name,
                              "b", t->sw[l->b].name,
                              "rate_bps", (json_int_t) l->props.rate_bps,
                              "delay_us", (json_int_t) l->props.delay_us,
                              "loss_ppm", (json_int_t) l->props.loss_ppm,
                              "queue", (json_int_t) l->props.queue,
                              "up", true);
        size_t k;
        json_t *live;

        /* The daemon's values are the live ones (topo link set/down). */
        json_array_foreach(links, k, live) {
            if (!strcmp(json_string_value(json_object_get(live, "name")),
                        l->name)) {
                static const char *keys[] = { "rate_bps", "delay_us",
                                              "loss_ppm", "up" };
                for (size_t j = 0; j < ARRAY_SIZE(keys); j++) {
                    json_t *v = json_object_get(live, keys[j]);
                    if (v) {
                        json_object_set(o, keys[j], v);
                    }
                }
            }
        }
        json_array_append_new(arr, o);
    }
    json_object_set_new(out, "links", arr);

    arr = json_array();
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];
        const json_t *rec = topo_run_host(run, h->name);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}",
            "name", h->name, "switch", t->sw[h->sw].name,
            "netns", json_string_value(json_object_get(rec, "netns")),
            "ip", h->ip ? h->ip : "", "mac", h->mac,
            "veth", json_string_value(json_object_get(rec, "veth")),
            "rate_bps", (json_int_t) h->props.rate_bps,
            "delay_us", (json_int_t) h->props.delay_us,
            "loss_ppm", (json_int_t) h->props.loss_ppm);
        size_t k;
        json_t *live;

        json_array_foreach(ports, k, live) {
            if (!strcmp(json_string_value(json_object_get(live, "name")),
                        h->name)
                && !strcmp(json_string_value(json_object_get(live, "switch")),
                           t->sw[h->sw].name)) {
                json_t *v = json_object_get(live, "rate_bps");
                if (v) {
                    json_object_set(o, "rate_bps", v);
                }
            }
        }
        json_array_append_new(arr, o);
    }
    json_object_set_new(out, "hosts", arr);
    json_decref(links);
    json_decref(ports);
    return out;
}
