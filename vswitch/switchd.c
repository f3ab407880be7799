/*
 * lamina-switchd: the Lamina substrate switch daemon.
 *
 *     lamina-switchd [--socket PATH] [--state FILE] [--no-restore]
 *                    [--pidfile FILE] [--detach] [-- EAL-ARGS...]
 *
 * The shape is DPDK's l2fwd: parse the arguments, initialize the EAL and
 * the dataplane, restore the saved configuration, then the main lcore
 * runs the control loop (the JSON-RPC socket and a signalfd) until
 * SIGINT or SIGTERM sets 'force_quit', and everything is torn down in
 * the reverse order, down to the DPDK runtime files of its file prefix.
 * Forwarding runs on the worker lcores (dataplane/).
 *
 * Defaults, the RPC methods and the state file are documented in
 * docs/switchd.md.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "daemon.h"
#include "dataplane.h"
#include "dpdk_files.h"
#include "jsonrpc.h"
#include "log.h"
#include "mgmt.h"
#include "ofagent.h"
#include "statefile.h"
#include "switchd_metrics.h"
#include "switchd_rpc.h"
#include "util.h"

#define MOD "switchd"

#define SWITCHD_DEFAULT_SOCKET "/run/lamina/switchd.sock"
#define SWITCHD_DEFAULT_STATE "/var/lib/lamina/switchd.json"
/* Below this much free hugepage memory, run without hugepages. */
#define SWITCHD_MIN_HUGE_MB 512
/* Memory for DPDK without hugepages. */
#define SWITCHD_NOHUGE_MB "512"

static volatile bool force_quit;

struct switchd_options {
    const char *socket_path;
    const char *state_path;
    const char *pidfile;
    bool restore;
    bool detach;
    int mgmt_idle_ms;           /* idle timeout of management clients */
    const char *metrics;        /* ADDR:PORT of /metrics, or NULL */
    unsigned int n_mbufs;       /* packet buffers; 0: the dataplane default */
    unsigned int n_gso_mbufs;   /* super-frame buffers; 0: the default */
    int worker_priority;        /* SCHED_FIFO priority of workers, 0: none */
    const char *web_map;        /* GML with the switches' coordinates */
    struct mgmt_config mgmt;    /* --mgmt-listen and its TLS and token */
    int n_eal;                  /* EAL arguments given after "--" */
    char **eal;
};

static void
usage(FILE *out)
{
    fprintf(out,
"usage: lamina-switchd [OPTIONS] [-- EAL-ARGS...]\n"
"\n"
"The Lamina substrate switch: DPDK forwarding of isolated slices, managed\n"
"over JSON-RPC 2.0 on a Unix socket (see `lamina switch --help`).\n"
"\n"
"options:\n"
"  --socket PATH   management socket (default " SWITCHD_DEFAULT_SOCKET ")\n"
"  --state FILE    state file, written after every change and restored at\n"
"                  start (default " SWITCHD_DEFAULT_STATE ")\n"
"  --no-restore    start empty, ignoring the state file (the next change\n"
"                  overwrites it)\n"
"  --pidfile FILE  write the pid to FILE once the socket is listening\n"
"  --mgmt-idle-timeout SECONDS\n"
"                  close a management client silent this long (default\n"
"                  %d; 0: never)\n"
"  --mgmt-listen ADDR:PORT\n"
"                  also serve management (the socket's JSON-RPC) on TCP,\n"
"                  only with TLS and a token, all required:\n"
"  --mgmt-cert FILE --mgmt-key FILE --mgmt-ca FILE\n"
"                  the server's certificate and key, the CA clients'\n"
"                  certificates must verify against\n"
"  --mgmt-token-file FILE\n"
"                  the token clients must give (16+ characters, mode 600)\n"
"  --metrics ADDR:PORT\n"
"                  serve the counters to Prometheus at\n"
"                  http://ADDR:PORT/metrics and the live view at\n"
"                  http://ADDR:PORT/ (default: off)\n"
"  --web-map GML   lay the live view out by the coordinates of this\n"
"                  Topology Zoo map (switch s<id> or the node's label)\n"
"  --mbufs N       packet buffers in the pool (default %d; a port that\n"
"                  replays a pcap holds one per frame of the file)\n"
"  --gso-buffers N 64 KiB buffers for TCP super-frames of \"vnet-hdr\"\n"
"                  ports (default %d, 64-%d; made with the first such\n"
"                  port; `lamina topo up` gives 4096)\n"
"  --worker-priority N\n"
"                  run the forwarding workers as real-time threads\n"
"                  (SCHED_FIFO priority N, 1-99; default 0: ordinary), so\n"
"                  that a frame or a link's delay wakes them on time on a\n"
"                  busy machine (`lamina topo up` uses 1)\n"
"  --detach        run in the background; returns once the socket is\n"
"                  listening (exit 0) or the start failed (exit 1)\n"
"  -h, --help      this help\n"
"  -V, --version   print the version\n"
"\n"
"EAL-ARGS are passed to DPDK.  Without any, the daemon uses\n"
"  -l 0-1 --no-pci --no-telemetry --file-prefix lamina-<hash of socket>\n"
"and adds --no-huge -m " SWITCHD_NOHUGE_MB " when fewer than %d MB of "
"hugepages are free.\n"
"With EAL-ARGS, only --file-prefix is added (unless given, or --in-memory).\n"
"It needs two lcores or more: the main one for control, workers for\n"
"forwarding.\n", JSONRPC_IDLE_TIMEOUT_MS / 1000, DP_DEFAULT_MBUFS,
            DP_DEFAULT_GSO_MBUFS, SWITCHD_MAX_GSO_MBUFS, SWITCHD_MIN_HUGE_MB);
}

/* Reads 'arg', the value of option --'name', as a whole number in [min,
 * max] into '*n'; false, saying why on stderr, if it is not one ('what'
 * names what it counts). */
static bool
option_number(const char *name, const char *arg, unsigned long min,
              unsigned long max, const char *what, unsigned long *n)
{
    char *end;

    errno = 0;
    *n = strtoul(arg, &end, 10);
    if (!*arg || *end || arg[0] == '-' || errno || *n < min || *n > max) {
        fprintf(stderr, "lamina-switchd: --%s: '%s' is not %s in [%lu, %lu]\n",
                name, arg, what, min, max);
        return false;
    }
    return true;
}

static int
parse_options(int argc, char *argv[], struct switchd_options *opts)
{
    enum { OPT_SOCKET = 256, OPT_STATE, OPT_NO_RESTORE, OPT_PIDFILE,
           OPT_DETACH, OPT_MGMT_IDLE, OPT_METRICS, OPT_WEB_MAP,
           OPT_MGMT_LISTEN, OPT_MGMT_CERT, OPT_MGMT_KEY, OPT_MGMT_CA,
           OPT_MGMT_TOKEN, OPT_MBUFS, OPT_GSO_BUFFERS,
           OPT_WORKER_PRIORITY };
    static const struct option long_options[] = {
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "state", required_argument, NULL, OPT_STATE },
        { "no-restore", no_argument, NULL, OPT_NO_RESTORE },
        { "pidfile", required_argument, NULL, OPT_PIDFILE },
        { "detach", no_argument, NULL, OPT_DETACH },
        { "mgmt-idle-timeout", required_argument, NULL, OPT_MGMT_IDLE },
        { "metrics", required_argument, NULL, OPT_METRICS },
        { "web-map", required_argument, NULL, OPT_WEB_MAP },
        { "mbufs", required_argument, NULL, OPT_MBUFS },
        { "mgmt-listen", required_argument, NULL, OPT_MGMT_LISTEN },
        { "mgmt-cert", required_argument, NULL, OPT_MGMT_CERT },
        { "mgmt-key", required_argument, NULL, OPT_MGMT_KEY },
        { "mgmt-ca", required_argument, NULL, OPT_MGMT_CA },
        { "mgmt-token-file", required_argument, NULL, OPT_MGMT_TOKEN },
        { "gso-buffers", required_argument, NULL, OPT_GSO_BUFFERS },
        { "worker-priority", required_argument, NULL, OPT_WORKER_PRIORITY },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long n;
    int c;

    opts->socket_path = getenv("LAMINA_SOCKET");
    if (!opts->socket_path || !*opts->socket_path) {
        opts->socket_path = SWITCHD_DEFAULT_SOCKET;
    }
    opts->state_path = SWITCHD_DEFAULT_STATE;
    opts->restore = true;
    opts->mgmt_idle_ms = JSONRPC_IDLE_TIMEOUT_MS;
    while ((c = getopt_long(argc, argv, "+hV", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_SOCKET:
            opts->socket_path = optarg;
            break;
        case OPT_STATE:
            opts->state_path = optarg;
            break;
        case OPT_NO_RESTORE:
            opts->restore = false;
            break;
        case OPT_PIDFILE:
            opts->pidfile = optarg;
            break;
        case OPT_DETACH:
            opts->detach = true;
            break;
        case OPT_MGMT_IDLE:
            if (!option_number("mgmt-idle-timeout", optarg, 0, 86400,
                               "a number of seconds", &n)) {
                return EINVAL;
            }
            opts->mgmt_idle_ms = n * 1000;
            break;
        case OPT_MBUFS:
            if (!option_number("mbufs", optarg, 1024, 1ul << 24,
                               "a number of buffers", &n)) {
                return EINVAL;
            }
            opts->n_mbufs = n;
            break;
        case OPT_GSO_BUFFERS:
            if (!option_number("gso-buffers", optarg, 64, SWITCHD_MAX_GSO_MBUFS,
                               "a number of buffers", &n)) {
                return EINVAL;
            }
            opts->n_gso_mbufs = n;
            break;
        case OPT_WORKER_PRIORITY:
            if (!option_number("worker-priority", optarg, 0, 99, "a priority",
                               &n)) {
                return EINVAL;
            }
            opts->worker_priority = n;
            break;
        case OPT_METRICS:
            opts->metrics = optarg;
            break;
        case OPT_WEB_MAP:
            opts->web_map = optarg;
            break;
        case OPT_MGMT_LISTEN:
            opts->mgmt.listen = optarg;
            break;
        case OPT_MGMT_CERT:
            opts->mgmt.certificate = optarg;
            break;
        case OPT_MGMT_KEY:
            opts->mgmt.private_key = optarg;
            break;
        case OPT_MGMT_CA:
            opts->mgmt.ca_cert = optarg;
            break;
        case OPT_MGMT_TOKEN:
            opts->mgmt.token_file = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("lamina-switchd %s (%s)\n", LAMINA_VERSION, rte_version());
            exit(0);
        default:
            usage(stderr);
            return EINVAL;
        }
    }
    if (optind < argc && strcmp(argv[optind - 1], "--")) {
        fprintf(stderr, "lamina-switchd: unexpected argument '%s' (EAL "
                "arguments go after '--')\n", argv[optind]);
        return EINVAL;
    }
    opts->n_eal = argc - optind;
    opts->eal = argv + optind;
    char msg[512];
    if (mgmt_config_check(&opts->mgmt, msg, sizeof msg)) {
        fprintf(stderr, "lamina-switchd: %s (--mgmt-listen ADDR:PORT needs "
                "--mgmt-cert, --mgmt-key, --mgmt-ca and --mgmt-token-file)\n",
                msg);
        return EINVAL;
    }
    return 0;
}

/* ---- EAL arguments ------------------------------------------------------ */

/* A file prefix derived from the socket path, so that a restarted daemon
 * reuses (and cleans up after) its predecessor's DPDK files, and two
 * daemons on different sockets never share them. */
static char *
file_prefix_for(const char *socket_path)
{
    uint32_t hash = 2166136261u;        /* FNV-1a */

    for (const char *p = socket_path; *p; p++) {
        hash = (hash ^ (unsigned char) *p) * 16777619u;
    }
    return xasprintf("lamina-%08x", hash);
}

/* The value of EAL option 'name' ("--file-prefix") in 'args', or NULL. */
static const char *
eal_option(int n, char **args, const char *name)
{
    size_t len = strlen(name);

    for (int i = 0; i < n; i++) {
        if (!strncmp(args[i], name, len)) {
            if (args[i][len] == '=') {
                return args[i] + len + 1;
            }
            if (!args[i][len]) {
                return i + 1 < n ? args[i + 1] : "";
            }
        }
    }
    return NULL;
}

/* Builds the EAL argv (argv[0] first, NULL-terminated) into '*argvp';
 * returns argc.  '*prefixp' gets the file prefix in use, or NULL. */
static int
build_eal_args(const struct switchd_options *opts, char ***argvp,
               char **prefixp)
{
    char **argv = xcalloc(opts->n_eal + 16, sizeof *argv);
    const char *prefix;
    int argc = 0;

    argv[argc++] = xstrdup("lamina-switchd");
    if (!opts->n_eal) {
        unsigned long huge_mb = dpdk_files_hugepages_free_mb();

        argv[argc++] = xstrdup("-l");
        argv[argc++] = xstrdup("0-1");
        argv[argc++] = xstrdup("--no-pci");
        argv[argc++] = xstrdup("--no-telemetry");
        if (huge_mb < SWITCHD_MIN_HUGE_MB) {
            LOG_INFO(MOD, "%lu MB of hugepages free (want %d): running "
                     "with --no-huge -m %s", huge_mb, SWITCHD_MIN_HUGE_MB,
                     SWITCHD_NOHUGE_MB);
            argv[argc++] = xstrdup("--no-huge");
            argv[argc++] = xstrdup("-m");
            argv[argc++] = xstrdup(SWITCHD_NOHUGE_MB);
        }
    }
    for (int i = 0; i < opts->n_eal; i++) {
        argv[argc++] = xstrdup(opts->eal[i]);
    }
    prefix = eal_option(opts->n_eal, opts->eal, "--file-prefix");
    if (prefix) {
        *prefixp = xstrdup(prefix);
    } else if (eal_option(opts->n_eal, opts->eal, "--in-memory")) {
        *prefixp = NULL;
    } else {
        *prefixp = file_prefix_for(opts->socket_path);
        argv[argc++] = xstrdup("--file-prefix");
        argv[argc++] = xstrdup(*prefixp);
    }
    argv[argc] = NULL;
    *argvp = argv;
    return argc;
}

/* ---- Main --------------------------------------------------------------- */

/* Creates the directory that holds 'path' with 'mode'. */
static int
make_parent_dir(const char *path, mode_t mode)
{
    int error = mkdir_parent(path, mode);

    if (error) {
        LOG_ERR(MOD, "cannot create the directory of %s: %s", path,
                strerror(error));
    }
    return error;
}

/* Restores the state file.  Returns 0, or nonzero if the daemon must not
 * start (the file exists but cannot be read as a configuration). */
static int
restore_state(struct switchd_rpc *rpc)
{
    char msg[512];
    int error = switchd_rpc_restore(rpc, msg, sizeof msg);

    if (error == ENOENT) {
        LOG_INFO(MOD, "no state file %s: starting empty", rpc->state_path);
        return 0;
    }
    if (error) {
        LOG_ERR(MOD, "cannot restore the state file: %s", msg);
        LOG_ERR(MOD, "the file was left as it is; fix or move it, or start "
                "with --no-restore (which overwrites it at the first change)");
    }
    return error;
}

/* The control loop: RPC requests, signals and the OpenFlow agent's
 * connections and packet-ins, until 'force_quit'. */
static void
control_loop(struct jsonrpc_server *server, int sfd, struct ofagent *agent,
             struct metrics_server *metrics)
{
    struct pollfd *pfds = NULL;
    size_t cap = 0;
    bool capturing = false;

    while (!force_quit) {
        size_t n = ofagent_pollfds(agent, &pfds, &cap, 3);

        pfds[0] = (struct pollfd) { .fd = sfd, .events = POLLIN };
        pfds[1] = (struct pollfd) { .fd = jsonrpc_server_fd(server), .events = POLLIN };
        pfds[2] = (struct pollfd) { .fd = metrics_server_fd(metrics),
                                    .events = POLLIN };
        int timeout = ofagent_timeout_ms(agent);
        if (capturing && (timeout < 0 || timeout > 5)) {
            timeout = 5;                /* drain the capture rings */
        }
        if (poll(pfds, n, timeout) < 0 && errno != EINTR) {
            LOG_ERR(MOD, "poll: %s", strerror(errno));
            break;
        }
        if (pfds[0].revents & POLLIN) {
            int signo = daemon_signals_read(sfd);
            if (signo) {
                LOG_INFO(MOD, "signal %d received, shutting down", signo);
                force_quit = true;
            }
        }
        ofagent_run(agent, pfds + 3, n - 3);
        if (pfds[2].revents & POLLIN) {
            metrics_server_run(metrics);    /* scrapes: see switchd_metrics.h */
        }
        if (pfds[1].revents & POLLIN) {
            jsonrpc_server_run(server, 0);
            ofagent_sync(agent);        /* new or removed vnodes and vports */
        }
        capturing = dp_capture_run();
    }
    free(pfds);
}

int
main(int argc, char *argv[])
{
    struct switchd_options opts = { 0 };
    struct switchd_rpc rpc = { 0 };
    struct jsonrpc_server *server = NULL;
    struct ofagent *agent = NULL;
    struct metrics_server *metrics = NULL;
    struct mgmt_server *mgmt = NULL;
    json_t *web_map = NULL;
    struct dp_params dp_params = { 0 };
    struct dp_error dperr = { "" };
    char *runtime_dir = NULL, *prefix = NULL;
    int notify_fd = -1, sfd = -1, eal_argc, error, status = 1;
    bool dp_up = false, eal_up = false, pdump_up = false;
    char **eal_argv = NULL;

    log_init(argv[0]);
    if (parse_options(argc, argv, &opts)) {
        return 2;
    }
    if (make_parent_dir(opts.socket_path, 0755)
        || (opts.state_path && make_parent_dir(opts.state_path, 0750))) {
        return 1;
    }
    if (opts.state_path) {
        char msg[512];
        if (statefile_check_dir(opts.state_path, msg, sizeof msg)) {
            LOG_WARN(MOD, "state directory: %s; use a directory of the "
                     "daemon's own", msg);
        }
    }
    /* Fail early, before the EAL takes a minute of hugepage set-up. */
    {
        struct jsonrpc_client *probe;
        if (!jsonrpc_client_open(opts.socket_path, &probe)) {
            jsonrpc_client_close(probe);
            LOG_ERR(MOD, "another daemon is listening on %s",
                    opts.socket_path);
            return 1;
        }
    }
    if (opts.detach) {
        daemon_detach_start(&notify_fd);
    }

    /* Signals reach the control loop through a signalfd; blocking them
     * before rte_eal_init() keeps them away from the lcore threads. */
    sfd = daemon_signals_open();
    if (sfd < 0) {
        LOG_ERR(MOD, "signalfd: %s", strerror(errno));
        goto out;
    }

    eal_argc = build_eal_args(&opts, &eal_argv, &prefix);
    {
        char line[1024] = "";
        size_t len = 0;
        for (int i = 1; i < eal_argc && len < sizeof line; i++) {
            len += snprintf(line + len, sizeof line - len, " %s", eal_argv[i]);
        }
        LOG_INFO(MOD, "EAL arguments:%s", line);
    }
    /* rte_eal_init() permutes its argv; keep our copy to free it. */
    {
        char **copy = xcalloc(eal_argc + 1, sizeof *copy);
        memcpy(copy, eal_argv, eal_argc * sizeof *copy);
        error = rte_eal_init(eal_argc, copy);
        free(copy);
    }
    if (error < 0) {
        LOG_ERR(MOD, "DPDK EAL initialization failed: %s",
                rte_strerror(rte_errno));
        goto out;
    }
    eal_up = true;
    runtime_dir = xstrdup(rte_eal_get_runtime_dir());
    /* DPDK's packet capture framework: dpdk-dumpcap (a secondary
     * process) asks through the multi-process channel, which --in-memory
     * and --no-shconf do not have. */
    if (rte_pdump_init()) {
        LOG_INFO(MOD, "pdump not available (dpdk-dumpcap cannot attach): %s",
                 rte_strerror(rte_errno));
    } else {
        pdump_up = true;
        LOG_INFO(MOD, "pdump on: dpdk-dumpcap --file-prefix=%s -i PORT -w FILE",
                 prefix ? prefix : "?");
    }
    if (rte_lcore_count() < 2) {
        LOG_ERR(MOD, "lamina-switchd needs at least 2 lcores (one for "
                "control, one or more to forward); EAL gave %u: use e.g. "
                "-l 0-1", rte_lcore_count());
        goto out;
    }

    dp_params.n_mbufs = opts.n_mbufs;
    dp_params.n_gso_mbufs = opts.n_gso_mbufs;
    dp_params.worker_priority = opts.worker_priority;
    error = dp_init(&dp_params, &dperr);
    if (error) {
        LOG_ERR(MOD, "dataplane initialization failed: %s", dperr.msg);
        goto out;
    }
    dp_up = true;
    error = dp_start(&dperr);
    if (error) {
        LOG_ERR(MOD, "cannot start forwarding: %s", dperr.msg);
        goto out;
    }

    rpc.state_path = opts.state_path;
    rpc.socket_path = opts.socket_path;
    rpc.dpdk_version = rte_version();
    rpc.start_ms = time_ms();
    server = jsonrpc_server_create(switchd_rpc_methods, &rpc);
    if (!server) {
        goto out;
    }
    rpc.server = server;
    jsonrpc_server_set_hooks(server, switchd_rpc_begin, switchd_rpc_end, &rpc);
    jsonrpc_server_set_limits(server, opts.mgmt_idle_ms, 0, 0);
    if (opts.restore) {
        if (restore_state(&rpc)) {
            goto out;
        }
    } else {
        rpc.saved = dp_config_to_json();
        LOG_WARN(MOD, "--no-restore: starting empty; the state file %s will "
                 "be overwritten at the first change", opts.state_path);
    }
    error = jsonrpc_server_listen(server, opts.socket_path);
    if (error) {
        LOG_ERR(MOD, "cannot listen on %s: %s", opts.socket_path,
                error == EADDRINUSE ? "another daemon is listening there"
                                    : strerror(error));
        goto out;
    }
    if (opts.pidfile) {
        char msg[512];
        if (daemon_pidfile_write(opts.pidfile, msg, sizeof msg)) {
            LOG_WARN(MOD, "cannot write the pidfile: %s", msg);
        }
    }
    LOG_INFO(MOD, "listening on %s (%u lcores, DPDK %s)", opts.socket_path,
             rte_lcore_count(), rte_version());
    if (opts.web_map) {
        char *why = NULL;
        web_map = switchd_metrics_map(opts.web_map, &why);
        if (!web_map) {
            LOG_ERR(MOD, "--web-map: %s", why ? why : opts.web_map);
            free(why);
            goto out;
        }
    }
    if (opts.metrics) {
        static const struct metrics_page pages[] = {
            { "/", "text/html; charset=utf-8", switchd_view_html },
        };
        struct metrics_server_options mo = {
            .listen = opts.metrics, .collect = switchd_metrics_collect,
            .view = switchd_metrics_view, .pages = pages,
            .n_pages = ARRAY_SIZE(pages), .aux = web_map,
        };
        char msg[256];
        error = metrics_server_open(&mo, &metrics, msg, sizeof msg);
        if (error) {
            LOG_ERR(MOD, "--metrics: %s", msg);
            goto out;
        }
        LOG_INFO(MOD, "metrics at http://%s/metrics, live view at "
                 "http://%s/", opts.metrics, opts.metrics);
    }
    if (opts.mgmt.listen) {
        char msg[512];
        error = mgmt_server_start(&opts.mgmt, opts.socket_path, &mgmt, msg,
                                  sizeof msg);
        if (error) {
            LOG_ERR(MOD, "--mgmt-listen: %s", msg);
            goto out;
        }
    }
    daemon_detach_finish(&notify_fd, 0);

    agent = ofagent_create();
    ofagent_sync(agent);
    control_loop(server, sfd, agent, metrics);
    status = 0;

out:
    daemon_detach_finish(&notify_fd, 1);
    mgmt_server_stop(mgmt);
    metrics_server_stop(metrics);
    ofagent_destroy(agent);
    jsonrpc_server_destroy(server);     /* removes the socket file */
    if (dp_up) {
        dp_stop();
        dp_destroy();
    }
    if (pdump_up) {
        rte_pdump_uninit();
    }
    if (eal_up) {
        dp_eal_cleanup();       /* rte_eal_cleanup() and the runtime dir */
        dpdk_files_remove(runtime_dir, prefix);
    }
    if (opts.pidfile && status == 0) {
        unlink(opts.pidfile);
    }
    if (sfd >= 0) {
        close(sfd);
    }
    for (char **a = eal_argv; a && *a; a++) {
        free(*a);
    }
    free(eal_argv);
    free(runtime_dir);
    free(prefix);
    json_decref(rpc.saved);
    json_decref(web_map);
    LOG_INFO(MOD, "stopped");
    return status;
}
