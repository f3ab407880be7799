/* lamina-sp: the service provider's daemon (docs/sp.md).
 *
 *   lamina-sp --broker URL --token-file F run VN.json
 *   lamina-sp --broker URL --token-file F push LEASE VNODE PROGRAM.o
 *   lamina-sp [--listen ptcp:PORT[:ADDR]] [--connect tcp:HOST:PORT]...
 *             [--secret-file FILE] openflow APP [APP-ARGS...]
 *
 * leases a virtual network and deploys it (sp_lease.h) until SIGINT or
 * SIGTERM, then releases it; pushes one eBPF program; or runs a built-in
 * OpenFlow 1.3 controller app (spc.h) on switches it is given. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "sp_lease.h"
#include "spc.h"
#include "util.h"

static void
usage(FILE *out)
{
    fprintf(out,
"usage: lamina-sp --broker URL --token-file FILE run VN.json\n"
"       lamina-sp --broker URL --token-file FILE push LEASE VNODE PROGRAM.o\n"
"       lamina-sp [OPTIONS] openflow APP [APP-ARGS...]\n"
"  --broker URL               the broker (default $LAMINA_BROKER)\n"
"  --token-file FILE          the SP's token (first line of FILE)\n"
"  --listen ptcp:PORT[:ADDR]  accept switches (vnodes whose controller is us)\n"
"  --connect tcp:HOST:PORT    connect to a switch (a vnode's ptcp: listener or\n"
"                             the slicer's); repeatable\n"
"  --secret-file FILE         the slice's secret (first line of FILE),\n"
"                             presented on every channel\n"
"  --verbose                  debug logging\n"
"apps:\n"
"  l2                         a learning switch on every switch\n"
"  l3 --gateway IP/LEN...     IPv4 routing over the discovered topology;\n"
"                             answers ARP for the gateways\n");
}

/* Reads the first line of 'path' into 'buf'. */
static int
read_secret(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "lamina-sp: %s: %s\n", path, strerror(errno));
        return errno;
    }
    if (!fgets(buf, size, f)) {
        buf[0] = '\0';
    }
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0]) {
        fprintf(stderr, "lamina-sp: %s: empty secret file\n", path);
        return EINVAL;
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "connect", required_argument, NULL, 'c' },
        { "secret-file", required_argument, NULL, 's' },
        { "broker", required_argument, NULL, 'b' },
        { "token-file", required_argument, NULL, 't' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *listen = NULL;
    char **connects = NULL;
    size_t n_connects = 0;
    char secret[256] = "";
    char token[256] = "";
    const char *broker = getenv("LAMINA_BROKER");
    char msg[256];
    int c;

    log_init("lamina-sp");
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen = optarg; break;
        case 'c':
            connects = xrealloc(connects, (n_connects + 1) * sizeof *connects);
            connects[n_connects++] = optarg;
            break;
        case 's':
            if (read_secret(optarg, secret, sizeof secret)) {
                return 1;
            }
            break;
        case 'b': broker = optarg; break;
        case 't':
            if (read_secret(optarg, token, sizeof token)) {
                return 1;
            }
            break;
        case 'v': log_set_level(LOG_LVL_DEBUG); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind >= 1 && (!strcmp(argv[optind], "run")
                               || !strcmp(argv[optind], "push"))) {
        bool run = !strcmp(argv[optind], "run");
        if (argc - optind != (run ? 2 : 4) || !broker || !token[0]) {
            usage(stderr);
            return 2;
        }
        if (!run) {
            return sp_lease_push(broker, token, argv[optind + 1], argv[optind + 2],
                                 argv[optind + 3], NULL) ? 1 : 0;
        }
        int sfd = daemon_signals_open();
        if (sfd < 0) {
            fprintf(stderr, "lamina-sp: signalfd: %s\n", strerror(errno));
            return 1;
        }
        return sp_lease_run(broker, token, argv[optind + 1], sfd);
    }
    if (argc - optind < 2 || strcmp(argv[optind], "openflow")) {
        usage(stderr);
        return 2;
    }
    const struct spc_app_class *app = spc_app_find(argv[optind + 1]);
    if (!app) {
        fprintf(stderr, "lamina-sp: unknown app \"%s\" (l2, l3)\n", argv[optind + 1]);
        return 2;
    }
    if (!listen && !n_connects) {
        fprintf(stderr, "lamina-sp: give --listen or --connect\n");
        return 2;
    }

    struct spc *spc;
    int error = spc_create(app, argc - optind - 1, argv + optind + 1, &spc,
                           msg, sizeof msg);
    if (!error && listen) {
        error = spc_listen(spc, listen, secret, msg, sizeof msg);
    }
    for (size_t i = 0; !error && i < n_connects; i++) {
        error = spc_connect(spc, connects[i], secret, msg, sizeof msg);
    }
    if (error) {
        fprintf(stderr, "lamina-sp: %s\n", msg);
        if (spc) {
            spc_destroy(spc);
        }
        free(connects);
        return 1;
    }

    int sfd = daemon_signals_open();
    if (sfd < 0) {
        fprintf(stderr, "lamina-sp: signalfd: %s\n", strerror(errno));
        return 1;
    }
    LOG_INFO("lamina-sp", "running app %s", app->name);
    for (;;) {
        int sig = daemon_signals_read(sfd);
        if (sig && sig != SIGHUP) {
            LOG_INFO("lamina-sp", "signal %d: stopping", sig);
            break;
        }
        spc_run(spc, 100);
    }
    spc_destroy(spc);
    free(connects);
    return 0;
}
