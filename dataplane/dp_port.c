/*
 * dp_port: opening DPDK devices as switch ports, and the egress state
 * (scheduler, delay line) every port has.
 *
 * A port is a DPDK device named by devargs ("net_af_packet0,iface=veth1",
 * "net_null0", "net_tap0,iface=t0", "net_memif0,role=server,...",
 * "net_ring0", a PCI address on real hardware) or one end of an
 * in-process link (a pair of rte_rings, set up in dp.c).  DPDK explains
 * a failed probe only in its log, so the probe runs with the log captured
 * and the last line goes into the error the user sees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "dp_private.h"

#define DP_RX_DESC 1024
#define DP_TX_DESC 1024
#define DP_ETH_INTR_RETRY_NS 5000000000ull  /* no interrupt fd: ask again */

/* Joins the lines of DPDK's 'log' into 'out' with "; ", as much as fits:
 * the first line usually says what was wrong, the last what failed. */
static void
dp_log_lines(const char *log, char *out, size_t size)
{
    size_t n = 0;

    out[0] = '\0';
    for (const char *line = log; *line && n + 1 < size;) {
        size_t len = strcspn(line, "\n");
        if (len) {
            int w = snprintf(out + n, size - n, "%s%.*s", n ? "; " : "", (int) len, line);
            n += w > 0 ? (size_t) w : 0;
        }
        line += len + (line[len] == '\n');
    }
}

int
dp_port_open(struct dp_port *p, const char *devargs, struct dp_error *err)
{
    static const char afp[] = "afpacket:";
    int error;

    if (!strncmp(devargs, afp, strlen(afp))) {
        error = dp_port_afp_open(p, devargs + strlen(afp), err);
        if (!error) {
            p->devargs = strdup(devargs);
        }
        return error;
    }
    if (!strncmp(devargs, DP_TUNNEL_DEVARGS, strlen(DP_TUNNEL_DEVARGS))) {
        error = dp_tunnel_open(p, devargs + strlen(DP_TUNNEL_DEVARGS), err);
        if (!error) {
            p->devargs = strdup(devargs);
        }
        return error;
    }
    return dp_port_eth_open(p, devargs, err);
}

void
dp_port_close(struct dp_port *p)
{
    if (p->type == DP_PORT_AFP) {
        dp_port_afp_close(p);
        free(p->devargs);
        p->devargs = NULL;
    } else if (p->type == DP_PORT_TUN) {
        dp_tunnel_close(p);
        free(p->devargs);
        p->devargs = NULL;
    } else {
        dp_port_eth_close(p);
    }
}

/* rte_eth_dev_rx_intr_ctl_q_get_fd() for queue 0 of 'port_id' without
 * the line DPDK logs when there is none (control thread: the log stream
 * is the process's). */
static int
dp_port_eth_intr_fd_quiet(uint16_t port_id)
{
    char *log = NULL;
    size_t log_len = 0;
    FILE *capture = open_memstream(&log, &log_len);
    FILE *old = rte_log_get_stream();

    if (capture) {
        rte_openlog_stream(capture);
    }
    int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port_id, 0);
    if (capture) {
        rte_openlog_stream(old == stderr ? NULL : old);
        fclose(capture);
    }
    free(log);
    return fd;
}

/* Configures ethdev 'port_id' with one receive and one transmit queue,
 * with receive interrupts if 'rxq_intr', and starts it.  Returns 0 or a
 * negative errno, as DPDK does. */
static int
dp_port_eth_setup(uint16_t port_id, bool rxq_intr)
{
    struct rte_eth_conf conf = { .intr_conf.rxq = rxq_intr };
    uint16_t nb_rx = DP_RX_DESC, nb_tx = DP_TX_DESC;
    int ret = rte_eth_dev_configure(port_id, 1, 1, &conf);

    if (!ret) {
        ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rx, &nb_tx);
    }
    if (!ret) {
        ret = rte_eth_rx_queue_setup(port_id, 0, nb_rx,
                                     rte_eth_dev_socket_id(port_id), NULL, dp.pool);
    }
    if (!ret) {
        ret = rte_eth_tx_queue_setup(port_id, 0, nb_tx,
                                     rte_eth_dev_socket_id(port_id), NULL);
    }
    return ret ? ret : rte_eth_dev_start(port_id);
}

int
dp_port_eth_open(struct dp_port *p, const char *devargs, struct dp_error *err)
{
    struct rte_eth_dev_info info;
    char *log = NULL;
    size_t log_len = 0;
    FILE *capture;
    uint16_t port_id;
    int ret;

    size_t n = strcspn(devargs, ",");
    if (!n || n >= sizeof p->dev_name) {
        dp_err(err, "port %s: devargs \"%s\" do not start with a device name",
               p->name, devargs);
        return EINVAL;
    }
    memcpy(p->dev_name, devargs, n);
    p->dev_name[n] = '\0';
    if (rte_eth_dev_get_port_by_name(p->dev_name, &port_id) == 0) {
        dp_err(err, "port %s: device \"%s\" is already in use by another port",
               p->name, p->dev_name);
        return EEXIST;
    }

    capture = open_memstream(&log, &log_len);
    FILE *old = rte_log_get_stream();
    if (capture) {
        rte_openlog_stream(capture);
    }
    ret = rte_dev_probe(devargs);
    if (capture) {
        rte_openlog_stream(old == stderr ? NULL : old);
        fclose(capture);
    }
    if (ret < 0 || rte_eth_dev_get_port_by_name(p->dev_name, &port_id)) {
        char reason[160] = "";
        if (log) {
            dp_log_lines(log, reason, sizeof reason);
            fputs(log, stderr);     /* keep DPDK's full story in our log */
        }
        free(log);
        dp_err(err, "port %s: cannot open device \"%s\": %s%s%s", p->name,
               devargs, ret < 0 ? strerror(-ret) : "no ethdev port was created",
               reason[0] ? ": " : "", reason);
        if (ret >= 0) {
            rte_eal_hotplug_remove("vdev", p->dev_name);
        }
        return EINVAL;
    }
    free(log);

    /* Receive interrupts where the PMD has them (net_tap, net_vhost,
     * memif), so that an idle worker can block on them; a PMD that
     * refuses them is set up again without. */
    ret = rte_eth_dev_info_get(port_id, &info);
    if (!ret) {
        ret = dp_port_eth_setup(port_id, true);
        p->eth_rxq_intr = !ret;
        if (ret) {
            rte_eth_dev_stop(port_id);
            ret = dp_port_eth_setup(port_id, false);
        }
    }
    if (ret) {
        dp_err(err, "port %s: cannot start device \"%s\": %s", p->name,
               p->dev_name, strerror(-ret));
        rte_eth_dev_close(port_id);
        rte_eal_hotplug_remove("vdev", p->dev_name);
        return -ret > 0 ? -ret : EIO;
    }
    p->eth_ep = -1;
    p->eth_intr_fd = -1;
    if (p->eth_rxq_intr) {
        /* A PMD that took the setting but has no interrupt descriptor
         * with its link up has none at all (net_af_packet, net_null,
         * net_ring); one whose link is down (net_vhost, memif before
         * their peer connects) is asked again once it is up. */
        struct rte_eth_link link;
        if (dp_port_eth_intr_fd_quiet(port_id) < 0
            && !rte_eth_link_get_nowait(port_id, &link) && link.link_status) {
            p->eth_rxq_intr = false;
        } else {
            p->eth_ep = epoll_create1(EPOLL_CLOEXEC);
            p->eth_rxq_intr = p->eth_ep >= 0;
        }
    }
    rte_eth_promiscuous_enable(port_id);    /* not every PMD has it */
    p->type = DP_PORT_ETH;
    p->eth_port = port_id;
    p->eth_strips = (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) != 0;
    if (rte_eth_dev_get_mtu(port_id, &p->mtu)) {
        p->mtu = 0;
    }
    p->devargs = strdup(devargs);
    return 0;
}

void
dp_port_eth_close(struct dp_port *p)
{
    struct rte_eth_dev_info info;
    struct rte_device *dev = NULL;

    if (p->type != DP_PORT_ETH || !p->devargs) {
        return;
    }
    if (!rte_eth_dev_info_get(p->eth_port, &info)) {
        dev = info.device;
    }
    if (p->eth_rxq_intr) {
        dp_port_eth_disarm(p);
        close(p->eth_ep);
        p->eth_ep = -1;
        p->eth_rxq_intr = false;
    }
    rte_eth_dev_stop(p->eth_port);
    rte_eth_dev_close(p->eth_port);
    if (dev && rte_dev_remove(dev)) {
        rte_eal_hotplug_remove("vdev", p->dev_name);
    }
    free(p->devargs);
    p->devargs = NULL;
}

/* Arms the receive interrupt of ethdev port 'p' before its worker blocks
 * (worker).  Returns a descriptor that polls readable once a frame has
 * come in since (the port's epoll set, edge-triggered on the queue's
 * interrupt descriptor), or -1 if the port cannot wake the worker now:
 * no receive interrupts, not yet connected (net_vhost before its peer),
 * or frames already waiting. */
int
dp_port_eth_arm(struct dp_port *p, uint64_t now)
{
    if (!p->eth_rxq_intr || now < p->eth_intr_retry_ns) {
        return -1;
    }
    /* No descriptor yet: none before the link is up (DPDK would log
     * the failed ask). */
    struct rte_eth_link link;
    if (p->eth_intr_fd < 0
        && (rte_eth_link_get_nowait(p->eth_port, &link) || !link.link_status)) {
        p->eth_intr_retry_ns = now + DP_ETH_INTR_RETRY_NS;
        return -1;
    }
    /* Asked every time: net_vhost replaces it when its peer reconnects. */
    int fd = rte_eth_dev_rx_intr_ctl_q_get_fd(p->eth_port, 0);
    if (fd < 0) {
        /* Gone with the peer: ask again once the link is back up. */
        if (p->eth_intr_fd >= 0) {
            epoll_ctl(p->eth_ep, EPOLL_CTL_DEL, p->eth_intr_fd, NULL);
            p->eth_intr_fd = -1;
        }
        p->eth_intr_retry_ns = now + DP_ETH_INTR_RETRY_NS;
        return -1;
    }
    if (fd != p->eth_intr_fd) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

        if (p->eth_intr_fd >= 0) {
            epoll_ctl(p->eth_ep, EPOLL_CTL_DEL, p->eth_intr_fd, NULL);
        }
        p->eth_intr_fd = -1;
        if (epoll_ctl(p->eth_ep, EPOLL_CTL_ADD, fd, &ev)) {
            p->eth_intr_retry_ns = now + DP_ETH_INTR_RETRY_NS;
            return -1;
        }
        p->eth_intr_fd = fd;
    }
    /* net_tap's descriptor is its queue's own: nothing to enable. */
    int ret = rte_eth_dev_rx_intr_enable(p->eth_port, 0);
    if (ret && ret != -ENOTSUP) {
        return -1;
    }
    p->eth_intr_armed = !ret;
    /* A frame that came in before the interrupt was enabled does not
     * raise it: do not block on it (where the PMD can count). */
    if (rte_eth_rx_queue_count(p->eth_port, 0) > 0) {
        dp_port_eth_disarm(p);
        return -1;
    }
    return p->eth_ep;
}

/* Disarms what dp_port_eth_arm() armed and takes the events it raised
 * (worker), so that the port's epoll set polls readable again only on a
 * new frame. */
void
dp_port_eth_disarm(struct dp_port *p)
{
    struct epoll_event ev[4];

    if (!p->eth_rxq_intr) {
        return;
    }
    if (p->eth_intr_armed) {
        rte_eth_dev_rx_intr_disable(p->eth_port, 0);
        p->eth_intr_armed = false;
    }
    while (epoll_wait(p->eth_ep, ev, 4, 0) == 4) {
        continue;
    }
}

static uint32_t
dp_pow2(uint64_t n)
{
    uint32_t p = 1;
    while (p < n && p < (1u << 24)) {
        p <<= 1;
    }
    return p;
}

/* Sets a port's rate, delay and loss; allocates the delay line when the
 * port has a delay.  Workers are paused. */
void
dp_port_init_egress(struct dp_port *p, uint64_t rate_bps, uint32_t delay_us,
                    uint32_t loss_ppm)
{
    p->rate_bps = rate_bps;
    qsched_port_init(&p->sched, rate_bps, dp_now_ns());
    p->loss_ppm = loss_ppm;
    if (!p->rng) {
        p->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t) p->sw->idx << 32 | p->idx);
    }
    dp_port_set_delay(p, delay_us, NULL);
}

/* Changes a port's delay, keeping packets already in its delay line. */
int
dp_port_set_delay(struct dp_port *p, uint32_t delay_us, struct dp_error *err)
{
    if (!delay_us) {
        p->delay_us = 0;
        return 0;       /* the line drains first; see dp_tx_port() */
    }
    /* Room for what the port can send during one delay (64-byte frames
     * at its rate, or 10 Mpps when unlimited), at least a few bursts. */
    uint64_t pps = p->rate_bps ? p->rate_bps / (8 * 84) : 10000000;
    uint64_t want = pps * delay_us / 1000000 + 4 * DP_BURST;
    uint32_t size = dp_pow2(want < DP_DELAY_LINE_MIN ? DP_DELAY_LINE_MIN
                            : want > (1u << 20) ? (1u << 20) : want);

    if (!p->delay_line || size > p->dl_mask + 1) {
        struct dp_delayed *line = calloc(size, sizeof *line);
        if (!line) {
            dp_err(err, "port %s: no memory for a %u-packet delay line",
                   p->name, size);
            return ENOMEM;
        }
        for (uint32_t i = 0; i < p->dl_count; i++) {
            line[i] = p->delay_line[(p->dl_head + i) & p->dl_mask];
        }
        free(p->delay_line);
        p->delay_line = line;
        p->dl_mask = size - 1;
        p->dl_head = 0;
    }
    p->delay_us = delay_us;
    return 0;
}
