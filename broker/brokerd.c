/*
 * lamina-brokerd: the broker between service providers and
 * infrastructure providers (see docs/broker.md).
 *
 *     lamina-brokerd [--listen ADDR:PORT] [--db TARGET]
 *                    [--admin-token-file FILE] [--tls-cert F --tls-key F]
 *                    [--pidfile FILE] [--detach] [timers and quotas]
 *
 * The REST API (api.c) is served on lib/http's worker threads; the main
 * thread waits for signals and runs the timers (bkd_tick) four times a
 * second.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "bkd.h"
#include "brk_time.h"
#include "daemon.h"
#include "fault.h"
#include "http.h"
#include "log.h"
#include "units.h"
#include "util.h"

#define MOD "brokerd"
#define BROKERD_DEFAULT_PORT 8470
#define BROKERD_DEFAULT_TOKEN "/var/lib/lamina/broker-admin.token"

struct brokerd_opts {
    const char *listen;
    const char *db;
    const char *admin_token_file;
    const char *tls_cert, *tls_key;
    const char *pidfile;
    bool detach;
    unsigned int max_conns, max_conns_per_ip;
    struct bkd_config cfg;
};

static void
usage(void)
{
    printf(
"usage: lamina-brokerd [OPTIONS]\n"
"The Lamina broker: InPs register offers, SPs lease virtual networks\n"
"across them (REST API under /v1, see docs/broker.md).\n"
"\n"
"  --listen ADDR:PORT       listen address (default 127.0.0.1:%d)\n"
"  --db TARGET              store: a SQLite path (default %s)\n"
"                           or postgresql://... / pg:CONNINFO\n"
"  --admin-token-file FILE  the admin's bearer token; created (0600) with\n"
"                           a new token if absent (default %s)\n"
"  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
"  --max-conns N            connection cap (default 256)\n"
"  --max-conns-per-ip N     connection cap per client address (default 64)\n"
"  --call-timeout MS        deadline of each call to an InP (default 5000)\n"
"  --hold S                 hold lifetime asked of the InPs (default 120)\n"
"  --heartbeat S            InP heartbeat period (default 2)\n"
"  --missed N               down after N missed heartbeats (default 3)\n"
"  --warn S                 warn SPs S seconds before a lease ends (300)\n"
"  --quota-leases N --quota-cpu N --quota-bandwidth RATE\n"
"                           per-SP limits over its live leases (none)\n"
"  --pidfile FILE           write the pid once listening\n"
"  --detach                 run in the background once listening\n"
"  -h, --help  -V, --version\n"
"Fault injection for tests: LAMINA_BROKER_FAULT=POINT kills the daemon\n"
"with SIGKILL at POINT (after-prepare-intent, after-prepare-one,\n"
"after-prepare, after-commit-intent, after-commit, after-renew-calls,\n"
"after-release-intent, after-reembed-intent, after-reembed-prepare,\n"
"after-reembed-decide).  Chaos runs (lib/fault.h): LAMINA_BROKER_FAULT_PROB=P\n"
"kills it at any of these points with probability P, and\n"
"LAMINA_BROKER_CALL_FAULT_PROB=P fails a call to an InP with probability P\n"
"(half before sending, half with the answer lost); LAMINA_FAULT_SEED seeds.\n",
           BROKERD_DEFAULT_PORT, STORE_DEFAULT_PATH, BROKERD_DEFAULT_TOKEN);
}

/* Parses a positive integer option or exits. */
static int64_t
int_arg(const char *name, const char *s, int64_t min, int64_t max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        fprintf(stderr, "lamina-brokerd: --%s: must be an integer %"PRId64
                "..%"PRId64", got \"%s\"\n", name, min, max, s);
        exit(2);
    }
    return v;
}

static void
parse_options(int argc, char *argv[], struct brokerd_opts *o)
{
    enum { O_LISTEN = 256, O_DB, O_TOKEN, O_CERT, O_KEY, O_PID, O_DETACH,
           O_CONNS, O_CONNS_IP, O_CALL, O_HOLD, O_HB, O_MISSED, O_WARN, O_QL, O_QC, O_QB };
    static const struct option longopts[] = {
        { "listen", required_argument, NULL, O_LISTEN },
        { "db", required_argument, NULL, O_DB },
        { "admin-token-file", required_argument, NULL, O_TOKEN },
        { "tls-cert", required_argument, NULL, O_CERT },
        { "tls-key", required_argument, NULL, O_KEY },
        { "pidfile", required_argument, NULL, O_PID },
        { "detach", no_argument, NULL, O_DETACH },
        { "max-conns", required_argument, NULL, O_CONNS },
        { "max-conns-per-ip", required_argument, NULL, O_CONNS_IP },
        { "call-timeout", required_argument, NULL, O_CALL },
        { "hold", required_argument, NULL, O_HOLD },
        { "heartbeat", required_argument, NULL, O_HB },
        { "missed", required_argument, NULL, O_MISSED },
        { "warn", required_argument, NULL, O_WARN },
        { "quota-leases", required_argument, NULL, O_QL },
        { "quota-cpu", required_argument, NULL, O_QC },
        { "quota-bandwidth", required_argument, NULL, O_QB },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN: o->listen = optarg; break;
        case O_DB: o->db = optarg; break;
        case O_TOKEN: o->admin_token_file = optarg; break;
        case O_CERT: o->tls_cert = optarg; break;
        case O_KEY: o->tls_key = optarg; break;
        case O_PID: o->pidfile = optarg; break;
        case O_DETACH: o->detach = true; break;
        case O_CONNS: o->max_conns = int_arg("max-conns", optarg, 1, 4096);
            break;
        case O_CONNS_IP:
            o->max_conns_per_ip = int_arg("max-conns-per-ip", optarg, 1, 4096);
            break;
        case O_CALL:
            o->cfg.call_timeout_ms = int_arg("call-timeout", optarg, 10, 60000);
            break;
        case O_HOLD: o->cfg.hold_s = int_arg("hold", optarg, 1, 3600); break;
        case O_HB: o->cfg.heartbeat_s = int_arg("heartbeat", optarg, 1, 600);
            break;
        case O_MISSED:
            o->cfg.missed_heartbeats = int_arg("missed", optarg, 1, 100);
            break;
        case O_WARN: o->cfg.warn_s = int_arg("warn", optarg, 0, 86400); break;
        case O_QL: o->cfg.quota_leases = int_arg("quota-leases", optarg, 1,
                                                 1000000);
            break;
        case O_QC: o->cfg.quota_cpu = int_arg("quota-cpu", optarg, 1,
                                              INT64_MAX);
            break;
        case O_QB:
            if (units_parse_rate(optarg, &o->cfg.quota_bps)
                || !o->cfg.quota_bps) {
                fprintf(stderr, "lamina-brokerd: --quota-bandwidth: must be a "
                        "rate such as \"1G\", got \"%s\"\n", optarg);
                exit(2);
            }
            break;
        case 'h': usage(); exit(0);
        case 'V': printf("lamina-brokerd %s\n", LAMINA_VERSION); exit(0);
        default: exit(2);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lamina-brokerd: unexpected argument \"%s\"\n",
                argv[optind]);
        exit(2);
    }
}

/* Reads the admin token from 'path', or creates it (0600, refusing a
 * symbolic link) with a new token; makes sure principal "admin" has it. */
static int
admin_token(struct bkd *b, const char *path)
{
    char token[300];
    struct brk_error err;
    struct store_principal p;
    FILE *f = fopen(path, "re");

    if (f) {
        if (!fgets(token, sizeof token, f)) {
            token[0] = '\0';
        }
        fclose(f);
        token[strcspn(token, " \r\n")] = '\0';
        if (strlen(token) < 16) {
            LOG_ERR(MOD, "%s: the admin token must have at least 16 "
                    "characters", path);
            return EINVAL;
        }
    } else if (errno == ENOENT) {
        api_new_token(token);
        mkdir_parent(path, 0700);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                      | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, token, strlen(token)) != (ssize_t) strlen(token)
            || write(fd, "\n", 1) != 1 || fsync(fd)) {
            LOG_ERR(MOD, "cannot write the admin token to %s: %s", path,
                    strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return errno ? errno : EIO;
        }
        close(fd);
        LOG_INFO(MOD, "new admin token written to %s", path);
    } else {
        LOG_ERR(MOD, "cannot read %s: %s", path, strerror(errno));
        return errno;
    }
    int error = store_principal_auth(b->store, token, &p, &err);
    if (!error && p.role != STORE_ROLE_ADMIN) {
        LOG_ERR(MOD, "%s: that token belongs to %s, not to an admin", path,
                p.id);
        error = EPERM;
    } else if (error == ENOENT) {
        error = store_principal_add(b->store, "admin", STORE_ROLE_ADMIN,
                                    token, brk_time_now(), &err);
        if (error) {
            LOG_ERR(MOD, "the admin token of %s: %s", path, err.msg);
        }
    } else if (error) {
        LOG_ERR(MOD, "%s", err.msg);
    }
    explicit_bzero(token, sizeof token);
    return error;
}

int
main(int argc, char *argv[])
{
    struct brokerd_opts o = {
        .listen = "127.0.0.1:8470",
        .max_conns = 256, .max_conns_per_ip = 64,
        .admin_token_file = BROKERD_DEFAULT_TOKEN,
        .cfg = {
            .call_timeout_ms = 5000, .hold_s = 120, .heartbeat_s = 2,
            .missed_heartbeats = 3, .warn_s = 300,
        },
    };
    struct bkd b;
    struct http_server *srv = NULL;
    struct brk_error err;
    int notify_fd = -1, sfd = -1, status = 1;
    char addr[64];

    log_init("lamina-brokerd");
    parse_options(argc, argv, &o);
    o.cfg.fault = getenv("LAMINA_BROKER_FAULT");
    fault_init();
    o.cfg.fault_prob = fault_prob("LAMINA_BROKER_FAULT_PROB");
    o.cfg.call_fault_prob = fault_prob("LAMINA_BROKER_CALL_FAULT_PROB");

    const char *colon = strrchr(o.listen, ':');
    if (!colon || colon == o.listen || (size_t) (colon - o.listen) >= sizeof addr) {
        fprintf(stderr, "lamina-brokerd: --listen: must be ADDR:PORT, got "
                "\"%s\"\n", o.listen);
        return 2;
    }
    snprintf(addr, sizeof addr, "%.*s", (int) (colon - o.listen), o.listen);
    if (addr[0] == '[') {
        memmove(addr, addr + 1, strlen(addr));
        addr[strcspn(addr, "]")] = '\0';
    }
    uint16_t port = int_arg("listen", colon + 1, 0, 65535);

    memset(&b, 0, sizeof b);
    pthread_mutex_init(&b.mutex, NULL);
    pthread_cond_init(&b.events_cond, NULL);
    b.cfg = o.cfg;
    b.warned = json_object();
    b.health = json_object();
    b.substrate = json_object();
    b.retried = json_object();
    b.busy = json_object();
    lease_fsm_config_default(&b.fsm);
    b.fsm.timeout[LEASE_HELD] = o.cfg.hold_s;

    if (o.detach) {
        daemon_detach_start(&notify_fd);
    }
    /* Before any thread: the signals go to the main loop only. */
    sfd = daemon_signals_open();
    if (sfd < 0) {
        LOG_ERR(MOD, "signalfd: %s", strerror(errno));
        goto out;
    }
    if (!o.db) {
        mkdir_parent(STORE_DEFAULT_PATH, 0700);
    }
    if (store_open(o.db, &b.store, &err)) {
        LOG_ERR(MOD, "cannot open the store: %s", err.msg);
        goto out;
    }
    if (admin_token(&b, o.admin_token_file)) {
        goto out;
    }
    if (bkd_model_rebuild(&b, &err)) {
        LOG_ERR(MOD, "cannot read the InPs: %s", err.msg);
        goto out;
    }
    b.started = brk_time_now();
    bkd_recover(&b, b.started);

    struct http_server_config hc = {
        .address = addr, .port = port,
        .tls_cert = o.tls_cert, .tls_key = o.tls_key,
        .max_conns = o.max_conns, .max_conns_per_ip = o.max_conns_per_ip,
        .timeout_s = 60, .threads = 8,
    };
    api_configure(&hc, &b);
    char msg[256];
    if (http_server_start(&hc, &srv, msg, sizeof msg)) {
        LOG_ERR(MOD, "%s", msg);
        goto out;
    }
    if (o.pidfile) {
        char pmsg[512];
        if (daemon_pidfile_write(o.pidfile, pmsg, sizeof pmsg)) {
            LOG_WARN(MOD, "cannot write the pidfile: %s", pmsg);
        }
    }
    LOG_INFO(MOD, "listening on %s%s:%u (store %s)", o.tls_cert ? "https://"
             : "http://", addr, http_server_port(srv), store_backend(b.store));
    daemon_detach_finish(&notify_fd, 0);

    for (;;) {
        struct pollfd pfd = { .fd = sfd, .events = POLLIN };
        if (poll(&pfd, 1, 250) < 0 && errno != EINTR) {
            LOG_ERR(MOD, "poll: %s", strerror(errno));
            break;
        }
        if (pfd.revents & POLLIN) {
            int signo = daemon_signals_read(sfd);
            if (signo) {
                LOG_INFO(MOD, "signal %d received, shutting down", signo);
                break;
            }
        }
        pthread_mutex_lock(&b.mutex);
        bkd_tick(&b, brk_time_now());
        pthread_mutex_unlock(&b.mutex);
    }
    status = 0;

out:
    daemon_detach_finish(&notify_fd, 1);
    /* Wake the long polls so that stopping does not wait for them. */
    pthread_mutex_lock(&b.mutex);
    b.stopping = true;
    pthread_cond_broadcast(&b.events_cond);
    pthread_mutex_unlock(&b.mutex);
    http_server_stop(srv);
    bkd_model_destroy(b.model);
    store_close(b.store);
    json_decref(b.warned);
    json_decref(b.health);
    json_decref(b.substrate);
    json_decref(b.retried);
    json_decref(b.busy);
    if (o.pidfile && status == 0) {
        unlink(o.pidfile);
    }
    if (sfd >= 0) {
        close(sfd);
    }
    return status;
}
