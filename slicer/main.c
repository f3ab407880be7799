/*
 * lamina-slicer: the OpenFlow 1.3 network hypervisor (docs/slicer.md).
 *
 *   lamina-slicer [--socket PATH] [--state FILE] [--no-restore]
 *                 [--listen ptcp:PORT[:IP]|pssl:PORT[:IP]] [--tag-shift N]
 *                 [--private-key FILE --certificate FILE --ca-cert FILE]
 *                 [--switch-secret-file FILE | --switches-open]
 *
 * Switches connect to --listen (default ptcp:6653:127.0.0.1) as to their
 * controller (pssl: and ssl: controllers need the three TLS files); on a
 * ptcp: listener they present the switch secret (lib/openflow/ofauth.h)
 * unless the switch side is declared open; slices
 * are managed over the JSON-RPC socket (`lamina slicer ...`).  SIGINT,
 * SIGTERM and SIGHUP stop it cleanly (a signalfd in its event loop, as in
 * every Lamina daemon: lib/daemon.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "mgmt.h"
#include "slicer_pvt.h"
#include "util.h"

static void
usage(FILE *out)
{
    fprintf(out,
"usage: lamina-slicer [--socket PATH] [--state FILE] [--no-restore]\n"
"                     [--listen ptcp:PORT[:IP]] [--tag-shift N]\n"
"                     [--metrics ADDR:PORT]\n"
"                     [--private-key FILE --certificate FILE --ca-cert FILE]\n"
"                     [--switch-secret-file FILE | --switches-open]\n"
"  --socket PATH    JSON-RPC socket (default " SLICER_DEFAULT_SOCKET ")\n"
"  --state FILE     configuration saved after every change, restored at start\n"
"  --no-restore     start empty even if FILE exists\n"
"  --listen SPEC    where switches connect (default " SLICER_DEFAULT_LISTEN ";\n"
"                   ptcp:PORT[:ADDR] or pssl:PORT[:ADDR], loopback without ADDR)\n"
"  --private-key FILE, --certificate FILE, --ca-cert FILE\n"
"                   the slicer's TLS identity and the CA its peers' certificates\n"
"                   must verify against (pssl: listener, ssl: controllers)\n"
"  --switch-secret-file FILE\n"
"                   the secret switches present on a ptcp: listener (first\n"
"                   line of FILE; keep FILE readable by root only)\n"
"  --switches-open  a ptcp: listener without secret (any local process may\n"
"                   claim a datapath id), or one beyond loopback\n"

"  --mgmt-listen ADDR:PORT --mgmt-cert F --mgmt-key F --mgmt-ca F\n"
"  --mgmt-token-file F\n"
"                   also serve management on TCP, only with mutual TLS and\n"
"                   a token (all required; docs/security.md)\n"
"  --metrics ADDR:PORT\n"
"                   serve the counters to Prometheus at http://ADDR:PORT/metrics\n"
"  --tag-shift N    cookie bit of the 16-bit slice tag (default 48; a slicer\n"
"                   under another one uses a lower value, e.g. 32)\n");
}

/* Reads the first line of secret file 'path' into 'secret' ('size'
 * bytes).  Returns 0, or 1 after saying what is wrong. */
static int
read_secret_file(const char *path, char *secret, size_t size)
{
    struct stat st;
    FILE *f = fopen(path, "re");

    if (!f || !fgets(secret, size, f)) {
        fprintf(stderr, "lamina-slicer: --switch-secret-file %s: %s\n", path,
                f ? "empty" : strerror(errno));
        if (f) {
            fclose(f);
        }
        return 1;
    }
    if (!fstat(fileno(f), &st) && (st.st_mode & 077)) {
        fprintf(stderr, "lamina-slicer: warning: --switch-secret-file %s is "
                "readable by others (chmod 600 it)\n", path);
    }
    fclose(f);
    secret[strcspn(secret, "\r\n")] = '\0';
    return 0;
}

int
main(int argc, char *argv[])
{
    static const struct option opts[] = {
        { "socket", required_argument, NULL, 's' },
        { "state", required_argument, NULL, 'S' },
        { "no-restore", no_argument, NULL, 'n' },
        { "listen", required_argument, NULL, 'l' },
        { "tag-shift", required_argument, NULL, 't' },
        { "metrics", required_argument, NULL, 'm' },
        { "private-key", required_argument, NULL, 'p' },
        { "certificate", required_argument, NULL, 'c' },
        { "ca-cert", required_argument, NULL, 'C' },
        { "switch-secret-file", required_argument, NULL, 'W' },
        { "switches-open", no_argument, NULL, 'O' },
        { "mgmt-listen", required_argument, NULL, 256 },
        { "mgmt-cert", required_argument, NULL, 257 },
        { "mgmt-key", required_argument, NULL, 258 },
        { "mgmt-ca", required_argument, NULL, 259 },
        { "mgmt-token-file", required_argument, NULL, 260 },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *socket_path = SLICER_DEFAULT_SOCKET, *state = NULL;
    const char *listen_spec = SLICER_DEFAULT_LISTEN, *metrics = NULL;
    const char *tls_files[3] = { NULL, NULL, NULL };
    unsigned int tag_shift = 48;
    struct slicer_switch_auth auth = { NULL, false };
    char switch_secret[OFAUTH_SECRET_MAX + 2];
    bool restore = true;
    char msg[512] = "";
    struct slicer *slicer;
    struct mgmt_config mgmt_cfg = { NULL };
    struct mgmt_server *mgmt = NULL;
    int c, error, sfd;

    log_init("lamina-slicer");
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': socket_path = optarg; break;
        case 'S': state = optarg; break;
        case 'n': restore = false; break;
        case 'l': listen_spec = optarg; break;
        case 'm': metrics = optarg; break;
        case 'p': tls_files[0] = optarg; break;
        case 'c': tls_files[1] = optarg; break;
        case 'C': tls_files[2] = optarg; break;
        case 'W':
            if (read_secret_file(optarg, switch_secret, sizeof switch_secret)) {
                return 2;
            }
            auth.secret = switch_secret;
            break;
        case 'O': auth.open = true; break;
        case 256: mgmt_cfg.listen = optarg; break;
        case 257: mgmt_cfg.certificate = optarg; break;
        case 258: mgmt_cfg.private_key = optarg; break;
        case 259: mgmt_cfg.ca_cert = optarg; break;
        case 260: mgmt_cfg.token_file = optarg; break;
        case 't': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v < 16 || v > 48) {
                fprintf(stderr, "lamina-slicer: --tag-shift is 16..48\n");
                return 2;
            }
            tag_shift = v;
            break;
        }
        case 'h': usage(stdout); return 0;
        case 'V': printf("lamina-slicer %s\n", LAMINA_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (mgmt_config_check(&mgmt_cfg, msg, sizeof msg)) {
        fprintf(stderr, "lamina-slicer: %s (--mgmt-listen ADDR:PORT needs "
                "--mgmt-cert, --mgmt-key, --mgmt-ca and --mgmt-token-file)\n",
                msg);
        return 2;
    }
    sfd = daemon_signals_open();
    if (sfd < 0) {
        LOG_ERR("slicer", "signalfd: %s", strerror(errno));
        return 1;
    }
    slicer = slicer_create(listen_spec, tls_files, socket_path, state, tag_shift,
                           restore, &auth, msg, sizeof msg);
    if (!slicer) {
        LOG_ERR("slicer", "%s", msg);
        close(sfd);
        return 1;
    }
    slicer_watch_signals(slicer, sfd);
    if (metrics && slicer_serve_metrics(slicer, metrics, msg, sizeof msg)) {
        LOG_ERR("slicer", "--metrics: %s", msg);
        slicer_destroy(slicer);
        return 1;
    }
    if (mgmt_cfg.listen
        && mgmt_server_start(&mgmt_cfg, socket_path, &mgmt, msg, sizeof msg)) {
        LOG_ERR("slicer", "--mgmt-listen: %s", msg);
        slicer_destroy(slicer);
        return 1;
    }
    LOG_INFO("slicer", "listening for switches on %s, managed on %s",
             listen_spec, socket_path);
    error = slicer_loop(slicer);
    mgmt_server_stop(mgmt);
    slicer_destroy(slicer);
    LOG_INFO("slicer", "stopped");
    return error ? 1 : 0;
}
