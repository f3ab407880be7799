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
#include "topo_part.h"
#include "units.h"
#include "util.h"

#define RPC_TIMEOUT_MS 120000
#define RPC_CHUNK 1000
/* Largest receive ring of a host's afpacket: port, in 2 KiB frames: with
 * TOPO_NETNS_TCP_RMEM's 64 MiB, a stream's window outgrows what a path
 * holds at the rate one worker forwards by more than 8192 frames. */
#define TOPO_HOST_RING_FRAMES 32768

/* Whether hosts' ports carry TCP super-frames (afpacket "vnet-hdr",
 * dataplane/dp_gso.h): on unless LAMINA_TOPO_HOST_GSO=0. */
static bool
topo_host_gso(void)
{
    const char *v = getenv("LAMINA_TOPO_HOST_GSO");
    return !v || strcmp(v, "0");
}

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

#define TOPO_WORKER_PRIORITY "0"    /* ordinary threads; 1: SCHED_FIFO */

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
    char mem[16], gso[16];
    const char *argv[32];
    int argc = 0, fd;
    pid_t pid;

    snprintf(mem, sizeof mem, "%u", memory_mb);
    snprintf(gso, sizeof gso, "%u", TOPO_GSO_BUFFERS);
    argv[argc++] = switchd;
    argv[argc++] = "--socket";
    argv[argc++] = sock;
    argv[argc++] = "--state";
    argv[argc++] = state;
    argv[argc++] = "--no-restore";
    argv[argc++] = "--pidfile";
    argv[argc++] = pidf;
    argv[argc++] = "--detach";
    /* Real-time workers on request (LAMINA_TOPO_WORKER_PRIORITY=1): on
     * a machine kept busy by others an ordinary thread waits
     * milliseconds for a core at each wake-up, once per hop; but a
     * busy real-time worker is throttled by the kernel 50 ms in every
     * second, which a shaped link loses (docs/design.md, "Real-time
     * workers"), so ordinary threads are the default. */
    const char *prio = getenv("LAMINA_TOPO_WORKER_PRIORITY");
    argv[argc++] = "--worker-priority";
    argv[argc++] = prio && *prio ? prio : TOPO_WORKER_PRIORITY;
    argv[argc++] = "--gso-buffers";
    argv[argc++] = gso;
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
         * have more hosts than DPDK's RTE_MAX_ETHPORTS (32 here).  A
         * ring that may grow to 64 MiB: a TCP stream's window across a
         * long emulated path, less what the path holds, must fit in it
         * (docs/design.md, "Host ports' rings grow"); only the ports of
         * hosts that burst grow. */
        char *devargs = xasprintf("afpacket:%s,max-frames=%u%s", veth,
                                  TOPO_HOST_RING_FRAMES,
                                  topo_host_gso() ? ",vnet-hdr" : "");

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

/* The params of port.add for host 'i' of 't' (record entry 'rec'). */
static json_t *
host_port_params(const struct topo *t, size_t i, const json_t *rec)
{
    const struct topo_host *h = &t->hosts[i];
    json_t *params = json_pack("{s:s, s:s, s:s, s:I}",
        "switch", t->sw[h->sw].name, "name", h->name,
        "devargs", json_string_value(json_object_get(rec, "devargs")),
        "rate_bps", (json_int_t) h->props.rate_bps);

    if (h->props.queue) {
        json_object_set_new(params, "queue_len", json_integer(h->props.queue));
    }
    if (h->props.delay_us) {
        json_object_set_new(params, "delay_us",
                            json_integer(h->props.delay_us));
    }
    if (h->props.loss_ppm) {
        json_object_set_new(params, "loss_ppm",
                            json_integer(h->props.loss_ppm));
    }
    return params;
}

/* The params of vnode.add for the default slice's vnode on switch 'i'. */
static json_t *
vnode_params(const struct topo *t, const struct topo_slice_plan *plan,
             size_t i)
{
    json_t *params = json_pack("{s:s, s:s, s:s}", "slice", TOPO_SLICE_NAME,
                               "switch", t->sw[i].name, "fp", "l2learn");

    if (plan->split_horizon) {
        json_object_set_new(params, "config", json_pack(
            "{s:b}", "split_horizon", true));
    }
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
        json_array_append_new(calls, call_new("port.add", host_port_params(
            t, i, json_array_get(hosts, i))));
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
        "{s:s, s:i}", "name", TOPO_SLICE_NAME, "gso_quota", TOPO_SLICE_GSO_QUOTA)));
    for (size_t i = 0; i < t->n_sw; i++) {
        if (plan->vnode[i]) {
            json_array_append_new(calls, call_new("vnode.add",
                                                  vnode_params(t, plan, i)));
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

/* The namespaces and veths of the hosts of record 'hosts', refused
 * (NULL, '*error' and '*errp') if a name is not valid or taken. */
static struct topo_netns_host *
hosts_netns_check(const struct topo *t, const json_t *hosts, char **errp,
                  int *errorp)
{
    struct topo_netns_host *nh;
    int error = 0;

    nh = xcalloc(t->n_hosts ? t->n_hosts : 1, sizeof *nh);
    for (size_t i = 0; i < t->n_hosts; i++) {
        const json_t *h = json_array_get(hosts, i);
        nh[i].netns = json_string_value(json_object_get(h, "netns"));
        nh[i].root_if = json_string_value(json_object_get(h, "veth"));
        nh[i].ns_if = "eth0";
        nh[i].mac = t->hosts[i].mac;
        nh[i].ip = t->hosts[i].ip;
        nh[i].offload = strstr(json_string_value(json_object_get(h, "devargs")),
                               ",vnet-hdr") != NULL;
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
            break;
        }
    }

    *errorp = error;
    if (error) {
        free(nh);
        return NULL;
    }
    return nh;
}

/* Makes run directory 'dir' if needed and writes 'record' (and the
 * topology 't', unless NULL) into it. */
static int
run_dir_write(const char *dir, const struct topo *t, const json_t *record,
              char **errp)
{
    char *text = NULL, *path;
    size_t len;
    int error;

    if ((error = mkdir_p(dir, 0755))) {
        *errp = xasprintf("%s: %s", dir, strerror(error));
        return error;
    }
    if (t) {
        FILE *f = open_memstream(&text, &len);
        topo_write(t, f);
        fclose(f);
        path = run_path(dir, "topology");
        error = write_file_atomic(path, text, errp);
        free(path);
        free(text);
        if (error) {
            return error;
        }
    }
    text = json_dumps(record, JSON_INDENT(1));
    path = run_path(dir, "record.json");
    error = write_file_atomic(path, text, errp);
    free(path);
    free(text);
    return error;
}

/* Writes the default slice's final shape into 'record' and the record
 * into 'dir'. */
static int
record_finish(const char *dir, json_t *record,
              const struct topo_slice_plan *plan, char **errp)
{
    json_object_set_new(record, "slice",
                        json_string(topo_slice_mode_name(plan->mode)));
    json_object_set_new(record, "split_horizon",
                        json_boolean(plan->split_horizon));
    return run_dir_write(dir, NULL, record, errp);
}

unsigned int
topo_max_hosts(void)
{
    return TOPO_MAX_HOSTS;
}

static int topo_up_machines(const struct topo *, const struct topo_up_opts *,
                            char *dir, char **errp);

int
topo_up(const struct topo *t, const struct topo_up_opts *opts, char **errp)
{
    struct progress p = { .on = opts->progress, .t0 = time_ms(),
                          .phase_t0 = time_ms() };
    struct topo_slice_plan plan = { 0 };
    char *dir = NULL, *prefix = NULL, *switchd = NULL, *sock = NULL;
    struct topo_netns_host *nh = NULL;
    struct jsonrpc_client *client = NULL;
    json_t *record = NULL, *hosts;
    unsigned int memory_mb;
    size_t n_made;
    pid_t launcher = -1;
    int error = 0, status;

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
    if (opts->machines) {
        error = topo_up_machines(t, opts, dir, errp);
        free(dir);
        return error;
    }
    prefix = xasprintf("topo-%s", opts->name);
    /* Plan the record with the final slice mode unknown yet; it is
     * rewritten once the slice is made. */
    plan.mode = opts->slice == TOPO_SLICE_AUTO ? TOPO_SLICE_TREE : opts->slice;
    record = record_new(t, opts, prefix, &plan);
    hosts = json_object_get(record, "hosts");

    /* Refuse before making anything if a name is taken. */
    nh = hosts_netns_check(t, hosts, errp, &error);
    if (error) {
        goto out_early;
    }
    if ((error = run_dir_write(dir, t, record, errp))) {
        goto out;
    }

    /* The daemon initializes DPDK while the namespaces are made. */
    switchd = opts->switchd ? xstrdup(opts->switchd) : find_switchd();
    /* DPDK memory: the super-frame pool (a MiB per 16 buffers), 384 MiB
     * for the packet pool and the rest, and the map's lines and rings. */
    memory_mb = opts->memory_mb ? opts->memory_mb
                : 384 + TOPO_GSO_BUFFERS / 16
                  + (unsigned int) (t->n_links + t->n_hosts) / 2;
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
        error = record_finish(dir, record, &plan, errp);
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

/* ---- Across machines ----------------------------------------------------- */

static void
machine_free(struct topo_machine *m)
{
    free(m->name);
    free(m->socket);
    free(m->underlay);
    free(m->ip);
    free(m->netns);
}

void
topo_machines_destroy(struct topo_machines *ms)
{
    if (ms) {
        for (size_t i = 0; i < ms->n; i++) {
            machine_free(&ms->m[i]);
        }
        free(ms->m);
        ms->m = NULL;
        ms->n = 0;
    }
}

/* Parses one line's words into a new machine of 'ms'. */
static int
machine_parse_line(char *line, struct topo_machines *ms, char **errp)
{
    struct topo_machine m = { 0 };
    char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);

    if (!w) {
        return 0;
    }
    if (!name_is_valid(w)) {
        *errp = xasprintf("machine name \"%s\" is not valid", w);
        return EINVAL;
    }
    m.name = xstrdup(w);
    while ((w = strtok_r(NULL, " \t\r\n", &save))) {
        char *eq = strchr(w, '='), **dst;

        if (!eq) {
            *errp = xasprintf("\"%s\": expected KEY=VALUE", w);
            goto bad;
        }
        *eq = '\0';
        dst = !strcmp(w, "socket") ? &m.socket
              : !strcmp(w, "underlay") ? &m.underlay
              : !strcmp(w, "ip") ? &m.ip
              : !strcmp(w, "netns") ? &m.netns : NULL;
        if (!dst || !eq[1]) {
            *errp = xasprintf("\"%s=%s\": expected socket=, underlay=, ip= "
                              "or netns= with a value", w, eq + 1);
            goto bad;
        }
        free(*dst);
        *dst = xstrdup(eq + 1);
    }
    if (!m.socket || !m.underlay || !m.ip) {
        *errp = xasprintf("machine %s: socket=, underlay= and ip= are "
                          "required", m.name);
        goto bad;
    }
    for (size_t i = 0; i < ms->n; i++) {
        if (!strcmp(ms->m[i].name, m.name) || !strcmp(ms->m[i].ip, m.ip)) {
            *errp = xasprintf("machine %s: its name or underlay address %s "
                              "is also machine %s's", m.name, m.ip,
                              ms->m[i].name);
            goto bad;
        }
    }
    ms->m = xrealloc(ms->m, (ms->n + 1) * sizeof *ms->m);
    ms->m[ms->n++] = m;
    return 0;

bad:
    machine_free(&m);
    return EINVAL;
}

int
topo_machines_parse_file(const char *path, struct topo_machines *ms,
                         char **errp)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int error = 0, lineno = 0;

    *errp = NULL;
    ms->m = NULL;
    ms->n = 0;
    if (!f) {
        error = errno;
        *errp = xasprintf("%s: %s", path, strerror(error));
        return error;
    }
    while (!error && getline(&line, &cap, f) > 0) {
        char *hash = strchr(line, '#'), *err = NULL;

        lineno++;
        if (hash) {
            *hash = '\0';
        }
        error = machine_parse_line(line, ms, &err);
        if (error) {
            *errp = xasprintf("%s:%d: %s", path, lineno, err);
            free(err);
        }
    }
    free(line);
    fclose(f);
    if (!error && !ms->n) {
        *errp = xasprintf("%s: no machine", path);
        error = EINVAL;
    }
    if (error) {
        topo_machines_destroy(ms);
    }
    return error;
}

/* The port on switch 'sw' of link 'link' (a tunnel port if cut). */
static char *
link_port_at(const struct topo *t, size_t link, size_t sw)
{
    return link_port_name(t, link, t->links[link].a == sw);
}

/* {"port": tunnel port on 'sw' towards 'other', "label": label}. */
static json_t *
border_new(const struct topo *t, size_t sw, size_t other, unsigned label)
{
    char *port = link_port_at(t, topo_find_link(t, sw, other), sw);
    json_t *b = json_pack("{s:s, s:I}", "port", port, "label",
                          (json_int_t) label);
    free(port);
    return b;
}

/* The piece of a virtual link that covers stretch seq[start .. k-1] of
 * its switch sequence 'seq' (of 'n', all on one machine; 'piece' of
 * 'n_pieces'), named 'name': the end pieces are border vlinks from their
 * vnode to the tunnel (the tail's path reversed, back to the tunnel it
 * came in by), the middle ones transit vlinks from one tunnel to the
 * next; each crossing gets label '*label' (then incremented) on both of
 * its sides. */
static json_t *
stretch_piece(const struct topo *t, const size_t *seq, size_t start,
              size_t k, size_t piece, size_t n_pieces, json_t *name,
              unsigned *label)
{
    bool first = piece == 0, last = piece == n_pieces - 1;
    json_t *path = json_array();
    json_t *params = json_pack("{s:s, s:o}", "slice", TOPO_SLICE_NAME,
                               "name", name);
    size_t head = seq[start], tail = seq[k - 1];

    if (last && !first) {
        for (size_t j = k; j-- > start;) {
            json_array_append_new(path, json_string(t->sw[seq[j]].name));
        }
        json_object_set_new(params, "border", border_new(
            t, head, seq[start - 1], *label - 1));
    } else {
        for (size_t j = start; j < k; j++) {
            json_array_append_new(path, json_string(t->sw[seq[j]].name));
        }
        if (!first) {
            json_object_set_new(params, "border_in", border_new(
                t, head, seq[start - 1], *label - 1));
        }
        if (!last) {
            json_object_set_new(params, "border", border_new(
                t, tail, seq[k], *label));
            ++*label;
        }
    }
    json_object_set_new(params, "path", path);
    return params;
}

/* The pieces of switch sequence 'seq' (of 'n'), one per stretch on one
 * machine (stretch_piece()), named 'base' alone or 'base'.'tag'N when
 * there are several, into 'out' and their machines into 'mach' (at most
 * 'n' each); returns how many. */
static size_t
seq_pieces(const struct topo *t, const int *part, const size_t *seq,
           size_t n, const char *base, const char *tag, unsigned *label,
           json_t **out, int *mach)
{
    size_t n_pieces = 1, piece = 0, start = 0;

    for (size_t k = 1; k < n; k++) {
        n_pieces += part[seq[k]] != part[seq[k - 1]];
    }
    for (size_t k = 1; k <= n; k++) {
        if (k < n && part[seq[k]] == part[seq[k - 1]]) {
            continue;
        }
        mach[piece] = part[seq[start]];
        out[piece] = stretch_piece(t, seq, start, k, piece, n_pieces,
                                   n_pieces == 1 ? json_string(base)
                                   : json_sprintf("%s.%s%zu", base, tag, piece),
                                   label);
        piece++;
        start = k;
    }
    return n_pieces;
}

/* Appends to 'calls[m]' the pieces of virtual link 'v' (seq_pieces()).
 * Its backup path, where it has one: inside one machine, as is; across
 * machines, its end pieces become the backup ("backup", "backup_border")
 * of the path's end pieces, and its middle pieces are transit vlinks of
 * their own ('v'.bN). */
static void
vlink_pieces(const struct topo *t, const int *part,
             const struct topo_vlink *v, unsigned *label, bool bfd,
             json_t **calls)
{
    size_t most = v->n_path > v->n_backup ? v->n_path : v->n_backup;
    json_t **pieces = xcalloc(most, sizeof *pieces);
    json_t **bp = xcalloc(most, sizeof *bp);
    int *mach = xcalloc(most, sizeof *mach), *bmach = xcalloc(most, sizeof *bmach);
    size_t n = seq_pieces(t, part, v->path, v->n_path, v->name, "", label,
                          pieces, mach);
    bool across = false;

    for (size_t k = 1; k < v->n_backup; k++) {
        across |= part[v->backup[k]] != part[v->backup[0]];
    }
    if (v->n_backup && n == 1 && !across) {
        json_t *backup = json_array();
        for (size_t k = 0; k < v->n_backup; k++) {
            json_array_append_new(backup, json_string(t->sw[v->backup[k]].name));
        }
        json_object_set_new(pieces[0], "backup", backup);
    } else if (v->n_backup && n > 1) {
        size_t nb = seq_pieces(t, part, v->backup, v->n_backup, v->name, "b",
                               label, bp, bmach);
        for (size_t k = 0; k < nb; k++) {
            if (k == 0 || k == nb - 1) {
                json_t *to = pieces[k ? n - 1 : 0];
                json_object_set(to, "backup", json_object_get(bp[k], "path"));
                json_object_set(to, "backup_border",
                                json_object_get(bp[k], "border"));
                json_decref(bp[k]);
                bp[k] = NULL;
            }
        }
        for (size_t k = 0; bfd && nb > 1 && k < 2; k++) {
            /* Both heads have a backup: end-to-end BFD on both paths, so a
             * cut on another machine moves them too. */
            json_object_set_new(pieces[k ? n - 1 : 0], "bfd", json_pack(
                "{s:i, s:i, s:i}", "tx_ms", 10, "rx_ms", 10, "multiplier", 3));
        }
        for (size_t k = 0; k < nb; k++) {
            if (bp[k]) {
                json_array_append_new(calls[bmach[k]], call_new("vlink.add", bp[k]));
            }
        }
    }
    for (size_t k = 0; k < n; k++) {
        json_array_append_new(calls[mach[k]], call_new("vlink.add", pieces[k]));
    }
    free(pieces);
    free(bp);
    free(mach);
    free(bmach);
}

/* The UDP destination port of the tunnel pair of cut link 'i': 6635 for
 * the first link (in map order) cut between its two machines, then 6636
 * and so on, the same on both machines (several tunnels between one pair
 * of underlay addresses are told apart by port). */
static unsigned
cut_link_udp_port(const struct topo *t, const int *part, size_t i)
{
    const struct topo_link *l = &t->links[i];
    unsigned k = 0;

    for (size_t j = 0; j < i; j++) {
        const struct topo_link *o = &t->links[j];
        if ((part[o->a] == part[l->a] && part[o->b] == part[l->b])
            || (part[o->a] == part[l->b] && part[o->b] == part[l->a])) {
            k++;
        }
    }
    return 6635 + k;
}

/* The calls that add machine 'm''s part of 't' to its daemon: switches,
 * the underlay port on its first switch 'ul_sw', links, tunnels (each
 * with a BFD session at 10 ms x 3 if 'bfd'), host ports. */
static json_t *
machine_build_calls(const struct topo *t, const struct topo_machines *ms,
                    const int *part, size_t m, size_t ul_sw,
                    const json_t *hosts, bool bfd)
{
    const struct topo_machine *mc = &ms->m[m];
    json_t *calls = json_array();

    json_array_append_new(calls, call_new("switch.add", json_pack(
        "{s:s}", "name", t->sw[ul_sw].name)));
    json_array_append_new(calls, call_new("port.add", json_pack(
        "{s:s, s:s, s:o}", "switch", t->sw[ul_sw].name, "name", "ul",
        "devargs", json_sprintf("afpacket:%s", mc->underlay))));
    for (size_t i = 0; i < t->n_sw; i++) {
        if ((size_t) part[i] == m && i != ul_sw) {
            json_array_append_new(calls, call_new("switch.add", json_pack(
                "{s:s}", "name", t->sw[i].name)));
        }
    }
    for (size_t i = 0; i < t->n_links; i++) {
        const struct topo_link *l = &t->links[i];
        bool on_a = (size_t) part[l->a] == m, on_b = (size_t) part[l->b] == m;

        if (on_a && on_b) {
            char *pa = link_port_name(t, i, true);
            char *pb = link_port_name(t, i, false);
            json_array_append_new(calls, call_new("link.add", props_params(
                json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", l->name,
                          "sw_a", t->sw[l->a].name, "port_a", pa,
                          "sw_b", t->sw[l->b].name, "port_b", pb),
                &l->props)));
            free(pa);
            free(pb);
        } else if (on_a || on_b) {
            size_t sw = on_a ? l->a : l->b, peer = on_a ? l->b : l->a;
            char *port = link_port_at(t, i, sw);
            char *ul = sw == ul_sw ? xstrdup("ul")
                       : xasprintf("%s/ul", t->sw[ul_sw].name);
            unsigned udp_port = cut_link_udp_port(t, part, i);
            char *devargs = udp_port == 6635
                ? xasprintf("mplsudp:underlay=%s,local=%s,remote=%s",
                            ul, mc->ip, ms->m[part[peer]].ip)
                : xasprintf("mplsudp:underlay=%s,local=%s,remote=%s,port=%u",
                            ul, mc->ip, ms->m[part[peer]].ip, udp_port);
            json_t *params = props_params(json_pack(
                "{s:s, s:s, s:s}", "switch", t->sw[sw].name, "name", port,
                "devargs", devargs), &l->props);

            if (l->props.queue) {
                json_object_set_new(params, "queue_len",
                                    json_integer(l->props.queue));
            }
            if (bfd) {
                json_object_set_new(params, "bfd", json_pack(
                    "{s:i, s:i, s:i}", "tx_ms", 10, "rx_ms", 10,
                    "multiplier", 3));
            }
            json_array_append_new(calls, call_new("port.add", params));
            free(port);
            free(ul);
            free(devargs);
        }
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        if ((size_t) part[t->hosts[i].sw] == m) {
            json_array_append_new(calls, call_new("port.add", host_port_params(
                t, i, json_array_get(hosts, i))));
        }
    }
    return calls;
}

/* The default slice on the machines: vnodes, vports and vlink pieces
 * (with end-to-end BFD if 'bfd'), one batch per machine in 'calls'. */
static void
machines_slice_calls(const struct topo *t, const int *part,
                     const struct topo_slice_plan *plan, bool bfd,
                     json_t **calls, size_t n)
{
    unsigned label = 1000;

    for (size_t m = 0; m < n; m++) {
        json_array_append_new(calls[m], call_new("slice.add", json_pack(
            "{s:s, s:i}", "name", TOPO_SLICE_NAME, "gso_quota",
            TOPO_MACHINES_SLICE_GSO_QUOTA)));
    }
    for (size_t i = 0; i < t->n_sw; i++) {
        if (plan->vnode[i]) {
            json_array_append_new(calls[part[i]], call_new(
                "vnode.add", vnode_params(t, plan, i)));
        }
    }
    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct topo_host *h = &t->hosts[i];
        if (plan->vnode[h->sw]) {
            json_array_append_new(calls[part[h->sw]], call_new(
                "vport.add", json_pack(
                    "{s:s, s:s, s:s, s:s}", "slice", TOPO_SLICE_NAME,
                    "switch", t->sw[h->sw].name, "vport", h->name,
                    "port", h->name)));
        }
    }
    for (size_t i = 0; i < plan->n_vlinks; i++) {
        vlink_pieces(t, part, &plan->vlinks[i], &label, bfd, calls);
    }
}

/* topo_up() across the machines of opts->machines. */
static int
topo_up_machines(const struct topo *t, const struct topo_up_opts *opts,
                 char *dir, char **errp)
{
    const struct topo_machines *ms = opts->machines;
    size_t n = ms->n;
    struct progress p = { .on = opts->progress, .t0 = time_ms(),
                          .phase_t0 = time_ms() };
    struct topo_slice_plan plan = { 0 };
    struct jsonrpc_client **clients = xcalloc(n, sizeof *clients);
    json_t **calls = xcalloc(n, sizeof *calls);
    int *part = xcalloc(t->n_sw ? t->n_sw : 1, sizeof *part);
    size_t *ul_sw = xcalloc(n, sizeof *ul_sw);
    struct topo_netns_host *nh = NULL;
    json_t *record = NULL, *hosts, *jms;
    char *prefix = xasprintf("topo-%s", opts->name);
    int error;

    if ((error = topo_partition(t, n, part, errp))) {
        goto out_early;
    }
    for (size_t m = 0; m < n; m++) {
        ul_sw[m] = SIZE_MAX;
    }
    for (size_t i = t->n_sw; i-- > 0;) {
        ul_sw[part[i]] = i;
    }

    plan.mode = opts->slice == TOPO_SLICE_AUTO ? TOPO_SLICE_TREE : opts->slice;
    record = record_new(t, opts, prefix, &plan);
    hosts = json_object_get(record, "hosts");
    jms = json_array();
    for (size_t m = 0; m < n; m++) {
        json_t *sws = json_array();
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}",
                              "name", ms->m[m].name, "socket",
                              ms->m[m].socket, "underlay", ms->m[m].underlay,
                              "ip", ms->m[m].ip, "switches", sws);
        if (ms->m[m].netns) {
            json_object_set_new(o, "netns", json_string(ms->m[m].netns));
        }
        json_array_append_new(sws, json_string(t->sw[ul_sw[m]].name));
        for (size_t i = 0; i < t->n_sw; i++) {
            if ((size_t) part[i] == m && i != ul_sw[m]) {
                json_array_append_new(sws, json_string(t->sw[i].name));
            }
        }
        json_array_append_new(jms, o);
    }
    json_object_set_new(record, "machines", jms);
    for (size_t i = 0; i < t->n_hosts; i++) {
        json_object_set_new(json_array_get(hosts, i), "machine", json_string(
            ms->m[part[t->hosts[i].sw]].name));
    }
    for (size_t m = 0; m < n && !error; m++) {
        if ((error = jsonrpc_client_open(ms->m[m].socket, &clients[m]))) {
            *errp = xasprintf("machine %s: lamina-switchd on %s: %s",
                              ms->m[m].name, ms->m[m].socket,
                              strerror(error));
        }
    }
    if (error) {
        goto out_early;
    }
    nh = hosts_netns_check(t, hosts, errp, &error);
    if (error || (error = run_dir_write(dir, t, record, errp))) {
        goto out_early;
    }

    /* The hosts of each machine, their veths into its namespace. */
    for (size_t m = 0; m < n && !error; m++) {
        struct topo_netns_host *mine = xcalloc(t->n_hosts + 1, sizeof *mine);
        size_t k = 0, n_made;

        for (size_t i = 0; i < t->n_hosts; i++) {
            if ((size_t) part[t->hosts[i].sw] == m) {
                mine[k++] = nh[i];
            }
        }
        error = topo_netns_make_hosts_in(mine, k, ms->m[m].netns,
                                         netns_progress, &p, &n_made, errp);
        free(mine);
    }
    for (size_t m = 0; m < n && !error; m++) {
        char *phase = xasprintf("machine %s", ms->m[m].name);
        error = rpc_run(clients[m], machine_build_calls(t, ms, part, m,
                                                        ul_sw[m], hosts,
                                                        !opts->no_bfd),
                        &p, phase, errp);
        free(phase);
    }
    if (error) {
        goto out;
    }
    topo_slice_plan(t, opts->slice, t->n_sw && opts->slice != TOPO_SLICE_TREE
                    && opts->slice != TOPO_SLICE_NONE
                    && probe_split_horizon(clients[0], t->sw[ul_sw[0]].name),
                    &plan);
    if (plan.mode != TOPO_SLICE_NONE) {
        for (size_t m = 0; m < n; m++) {
            calls[m] = json_array();
        }
        machines_slice_calls(t, part, &plan, !opts->no_bfd, calls, n);
        for (size_t m = 0; m < n; m++) {
            char *phase = xasprintf("slice on %s", ms->m[m].name);
            if (!error) {
                error = rpc_run(clients[m], calls[m], &p, phase, errp);
            } else {
                json_decref(calls[m]);
            }
            free(phase);
        }
    }
    if (!error) {
        error = record_finish(dir, record, &plan, errp);
    }

out:
    if (error && !opts->keep_on_error) {
        char *derr = NULL;
        topo_down(opts->name, NULL, &derr);
        free(derr);
    }
    if (!error && opts->summary) {
        fprintf(stderr, "topology %s up on %zu machines in %.2f s: %zu "
                "switches, %zu links (%zu cut: tunnels), %zu hosts; default "
                "slice: %s, %zu virtual links\n", opts->name, n,
                (time_ms() - p.t0) / 1000.0, t->n_sw, t->n_links,
                topo_partition_cut(t, part), t->n_hosts,
                topo_slice_mode_name(plan.mode), plan.n_vlinks);
    }
out_early:
    for (size_t m = 0; m < n; m++) {
        jsonrpc_client_close(clients[m]);
    }
    topo_slice_plan_destroy(&plan);
    json_decref(record);
    free(clients);
    free(calls);
    free(part);
    free(ul_sw);
    free(nh);
    free(prefix);
    return error;
}

/* Deletes from each machine's daemon what `up` added there (record
 * 'record', topology 't' of the run directory), reporting failures on
 * 'log'.  Returns the number of machines that could not be cleaned. */
static size_t
down_machines(const json_t *record, const struct topo *t, FILE *log)
{
    const json_t *jms = json_object_get(record, "machines"), *jm;
    size_t m, n_bad = 0;

    json_array_foreach(jms, m, jm) {
        const char *mname = json_string_value(json_object_get(jm, "name"));
        const char *sock = json_string_value(json_object_get(jm, "socket"));
        const json_t *sws = json_object_get(jm, "switches");
        bool *mine = xcalloc(t ? t->n_sw + 1 : 1, sizeof *mine);
        struct jsonrpc_client *client = NULL;
        json_t *calls = json_array(), *answers = NULL, *a;
        struct jsonrpc_error err = { 0 };
        size_t i;

        for (i = 0; t && i < t->n_sw; i++) {
            const json_t *s;
            size_t k;
            json_array_foreach(sws, k, s) {
                mine[i] |= !strcmp(json_string_value(s), t->sw[i].name);
            }
        }
        json_array_append_new(calls, call_new("slice.del", json_pack(
            "{s:s}", "name", TOPO_SLICE_NAME)));
        for (i = 0; t && i < t->n_links; i++) {
            const struct topo_link *l = &t->links[i];
            if (mine[l->a] && mine[l->b]) {
                json_array_append_new(calls, call_new("link.del", json_pack(
                    "{s:s}", "name", l->name)));
            } else if (mine[l->a] || mine[l->b]) {
                size_t sw = mine[l->a] ? l->a : l->b;
                char *port = link_port_at(t, i, sw);
                json_array_append_new(calls, call_new("port.del", json_pack(
                    "{s:s, s:s}", "switch", t->sw[sw].name, "name", port)));
                free(port);
            }
        }
        for (i = 0; t && i < t->n_hosts; i++) {
            if (mine[t->hosts[i].sw]) {
                json_array_append_new(calls, call_new("port.del", json_pack(
                    "{s:s, s:s}", "switch", t->sw[t->hosts[i].sw].name,
                    "name", t->hosts[i].name)));
            }
        }
        if (json_array_size(sws)) {
            json_array_append_new(calls, call_new("port.del", json_pack(
                "{s:s, s:s}", "switch", json_string_value(
                    json_array_get(sws, 0)), "name", "ul")));
        }
        for (i = json_array_size(sws); i-- > 0;) {
            json_array_append_new(calls, call_new("switch.del", json_pack(
                "{s:O}", "name", json_array_get(sws, i))));
        }
        /* In batches of RPC_CHUNK (a daemon takes at most
         * JSONRPC_MAX_BATCH calls at once: a machine with a few hundred
         * switches needs more); a refused call does not stop the rest. */
        int error = jsonrpc_client_open(sock, &client);
        size_t n = json_array_size(calls);
        for (size_t ofs = 0; ofs < n && !error; ofs += RPC_CHUNK) {
            json_t *chunk = json_array();
            for (i = ofs; i < n && i < ofs + RPC_CHUNK; i++) {
                json_array_append(chunk, json_array_get(calls, i));
            }
            error = jsonrpc_client_batch(client, chunk, RPC_TIMEOUT_MS,
                                         &answers, &err);
            json_array_foreach(answers, i, a) {
                const json_t *e = json_object_get(a, "error");
                if (e) {
                    char *d = call_desc(json_array_get(chunk, i));
                    say(log, "machine %s: %s: %s\n", mname, d,
                        json_string_value(json_object_get(e, "message")));
                    free(d);
                }
            }
            json_decref(answers);
            answers = NULL;
            json_decref(chunk);
        }
        if (error) {
            say(log, "machine %s: lamina-switchd on %s does not answer "
                "(%s): not everything removed there\n", mname, sock,
                err.code ? err.message : strerror(error));
            n_bad++;
        } else {
            say(log, "machine %s: removed what topology %s had there\n",
                mname, json_string_value(json_object_get(record, "name")));
        }
        jsonrpc_error_clear(&err);
        jsonrpc_client_close(client);
        json_decref(calls);
        free(mine);
    }
    return n_bad;
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
    size_t i, n_left = 0, n_bad_machines = 0;
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

    /* Across machines: what up added to each machine's daemon, first. */
    if (json_object_get(record, "machines")) {
        char *tpath = run_path(dir, "topology"), *terr = NULL;
        struct topo *t = NULL;

        if (topo_parse_file(tpath, &t, &terr)) {
            say(log, "warning: %s: %s; removing only the slices and "
                "switches\n", tpath, terr);
            free(terr);
        }
        n_bad_machines = down_machines(record, t, log);
        topo_destroy(t);
        free(tpath);
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
    if (n_bad_machines) {
        *errp = xasprintf("topology %s: %zu machines did not answer; their "
                          "daemons may still hold its switches", name,
                          n_bad_machines);
        error = EHOSTUNREACH;
    } else if (n_left || !access(dir, F_OK)) {
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

/* The machine (of record member 'machines') that holds switch 'sw'. */
static const char *
machine_of_switch(const json_t *machines, const char *sw)
{
    const json_t *m, *s;
    size_t i, k;

    json_array_foreach(machines, i, m) {
        json_array_foreach(json_object_get(m, "switches"), k, s) {
            if (!strcmp(json_string_value(s), sw)) {
                return json_string_value(json_object_get(m, "name"));
            }
        }
    }
    return NULL;
}

/* The links and ports of every machine's daemon, in one list each;
 * '*alive' false if one does not answer. */
static void
machines_lists(const json_t *machines, json_t **links, json_t **ports,
               bool *alive)
{
    const json_t *m;
    size_t i;

    *links = json_array();
    *ports = json_array();
    *alive = true;
    json_array_foreach(machines, i, m) {
        const char *sock = json_string_value(json_object_get(m, "socket"));
        struct jsonrpc_client *client;
        json_t *l = NULL, *p = NULL;
        char *err = NULL;

        if (jsonrpc_client_open(sock, &client)) {
            *alive = false;
            continue;
        }
        if (rpc_call(client, "link.list", NULL, &l, &err)
            || rpc_call(client, "port.list", NULL, &p, &err)) {
            free(err);
            *alive = false;
        }
        json_array_extend(*links, l);
        json_array_extend(*ports, p);
        json_decref(l);
        json_decref(p);
        jsonrpc_client_close(client);
    }
}

/* Calls 'method' with 'params' (consumed) on the daemon of the machine
 * holding switch 'sw' of 'run'. */
static int
machine_call(const struct topo_run *run, const char *sw, const char *method,
             json_t *params, json_t **result, char **errp)
{
    const json_t *m, *s;
    size_t i, k;

    json_array_foreach(json_object_get(run->record, "machines"), i, m) {
        json_array_foreach(json_object_get(m, "switches"), k, s) {
            if (!strcmp(json_string_value(s), sw)) {
                const char *sock = json_string_value(json_object_get(
                    m, "socket"));
                struct jsonrpc_client *client;
                int error = jsonrpc_client_open(sock, &client);

                if (error) {
                    json_decref(params);
                    *errp = xasprintf("machine %s: lamina-switchd on %s: %s",
                                      json_string_value(json_object_get(
                                          m, "name")), sock, strerror(error));
                    return error;
                }
                error = rpc_call(client, method, params, result, errp);
                jsonrpc_client_close(client);
                return error;
            }
        }
    }
    json_decref(params);
    *errp = xasprintf("topology %s: no machine holds switch %s", run->name,
                      sw);
    return ENOENT;
}

/* topo_run_call() of a topology across machines: a port's call goes to
 * its switch's machine; link.set of a link inside a machine to that
 * machine, of a cut link to the tunnel port at each end (port.set, the
 * same settings: each direction crosses one of them); link.list gathers
 * every machine's links. */
static int
machines_call(const struct topo_run *run, const char *method,
              json_t *params, json_t **result, char **errp)
{
    const json_t *machines = json_object_get(run->record, "machines");
    const char *sw = json_string_value(json_object_get(params, "switch"));
    const struct topo *t = run->t;
    int error = 0;

    if (!strcmp(method, "link.list") || !strcmp(method, "port.list")) {
        json_t *links, *ports;
        bool alive;

        json_decref(params);
        machines_lists(machines, &links, &ports, &alive);
        *result = !strcmp(method, "link.list") ? links : ports;
        json_decref(!strcmp(method, "link.list") ? ports : links);
        if (!alive) {
            json_decref(*result);
            *result = NULL;
            *errp = xasprintf("topology %s: a machine's lamina-switchd does "
                              "not answer", run->name);
            return EHOSTUNREACH;
        }
        return 0;
    }
    if (sw) {
        return machine_call(run, sw, method, params, result, errp);
    }
    if (!strcmp(method, "link.set")) {
        const char *name = json_string_value(json_object_get(params, "name"));
        size_t i;

        for (i = 0; i < t->n_links && strcmp(t->links[i].name, name); i++) {
            continue;
        }
        if (i < t->n_links) {
            const struct topo_link *l = &t->links[i];
            const char *ma = machine_of_switch(machines, t->sw[l->a].name);
            const char *mb = machine_of_switch(machines, t->sw[l->b].name);

            if (ma && mb && !strcmp(ma, mb)) {
                return machine_call(run, t->sw[l->a].name, method, params,
                                    result, errp);
            }
            for (int end = 0; end < 2 && !error; end++) {
                size_t at = end ? l->b : l->a;
                char *port = link_port_at(t, i, at);
                json_t *pp = json_deep_copy(params);

                json_object_del(pp, "name");
                json_object_set_new(pp, "switch",
                                    json_string(t->sw[at].name));
                json_object_set_new(pp, "name", json_string(port));
                free(port);
                error = machine_call(run, t->sw[at].name, "port.set", pp,
                                     NULL, errp);
            }
            json_decref(params);
            if (!error && result) {
                *result = json_object();
            }
            return error;
        }
    }
    json_decref(params);
    *errp = xasprintf("topology %s runs across machines: %s does not work "
                      "across machines", run->name, method);
    return ENOTSUP;
}

int
topo_run_call(const struct topo_run *run, const char *method,
              json_t *params, json_t **result, char **errp)
{
    struct jsonrpc_client *client;
    int error;

    *errp = NULL;
    if (json_object_get(run->record, "machines")) {
        return machines_call(run, method, params, result, errp);
    }
    error = jsonrpc_client_open(run->socket, &client);
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

/* If link 'i' of 'run' is cut between machines, sets the live rate,
 * delay, loss and state of status entry 'o' from its tunnel port at the
 * 'a' end (of 'ports', every machine's port.list). */
static void
cut_link_live(const struct topo_run *run, size_t i, const json_t *ports,
              json_t *o)
{
    const struct topo *t = run->t;
    const struct topo_link *l = &t->links[i];
    const json_t *machines = json_object_get(run->record, "machines");
    const char *ma = machine_of_switch(machines, t->sw[l->a].name);
    const char *mb = machine_of_switch(machines, t->sw[l->b].name);
    char *port = link_port_at(t, i, l->a);
    const json_t *p;
    size_t k;

    json_array_foreach(ports, k, p) {
        if (ma && mb && strcmp(ma, mb)
            && !strcmp(json_string_value(json_object_get(p, "switch")),
                       t->sw[l->a].name)
            && !strcmp(json_string_value(json_object_get(p, "name")), port)) {
            static const char *keys[] = { "rate_bps", "delay_us",
                                          "loss_ppm" };
            const json_t *up = json_object_get(p, "up");

            for (size_t j = 0; j < ARRAY_SIZE(keys); j++) {
                json_t *v = json_object_get(p, keys[j]);
                if (v) {
                    json_object_set(o, keys[j], v);
                }
            }
            json_object_set_new(o, "up", json_boolean(!up || json_is_true(up)));
            json_object_set_new(o, "tunnel", json_true());
        }
    }
    free(port);
}

json_t *
topo_run_status(const struct topo_run *run)
{
    const struct topo *t = run->t;
    json_t *links = NULL, *ports = NULL, *out, *arr;
    char *pidf = run_path(run->dir, "switchd.pid"), *err = NULL;
    pid_t pid = daemon_pidfile_read(pidf);
    bool alive = pid > 0 && daemon_pid_has_arg(pid, run->socket);
    const json_t *machines = json_object_get(run->record, "machines");

    free(pidf);
    if (machines) {
        machines_lists(machines, &links, &ports, &alive);
    } else if (alive) {
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

    if (machines) {
        json_object_set(out, "machines", (json_t *) machines);
    }
    arr = json_array();
    for (size_t i = 0; i < t->n_sw; i++) {
        json_t *s = json_pack("{s:s, s:f, s:b}", "name", t->sw[i].name,
                              "cpu", t->sw[i].cpu, "default_slice_vnode",
                              (int) run->plan.vnode[i]);
        const char *mname = machine_of_switch(machines, t->sw[i].name);

        if (mname) {
            json_object_set_new(s, "machine", json_string(mname));
        }
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
        if (machines) {
            cut_link_live(run, i, ports, o);
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
