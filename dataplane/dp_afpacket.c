/*
 * dp_afpacket: a port on a Linux interface through an AF_PACKET socket,
 * without a DPDK ethdev ("afpacket:IFNAME[,frames=N]").
 *
 * Why: Debian's DPDK is built with RTE_MAX_ETHPORTS = 32, and an emulated
 * topology wants one port per host (Cogentco: 197, Kdl: 754).  This class
 * is not an ethdev, so it has no such limit.  DPDK's net_af_packet remains
 * the choice when a port should be a DPDK device.
 *
 * Receive: a TPACKET_V2 ring mmapped from the kernel; polling an idle port
 * reads one frame header, no system call.  Frames are copied into mbufs
 * (a host port is not where the fast path's speed is).  The kernel hands
 * a VLAN tag over beside the frame; it is put back in, so classification
 * sees the frame as it was on the wire.  Transmit: sendmmsg() straight
 * from the mbufs.  Our own transmissions are not looped back
 * (PACKET_IGNORE_OUTGOING).
 *
 * The ring holds 'frames' frames of 2 KiB (default 512, 1 MiB of pinned
 * kernel memory per port).  With 128, TCP bursts of a host overflowed it
 * on long paths (a quarter of the frames of a stream across Cogentco);
 * 512 keeps a 197-host map under 200 MiB of rings.  What the kernel could
 * not put in the ring is counted as the drop reason "kernel-ring".
 */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "dp_private.h"

#define AFP_FRAME_SIZE 2048
#define AFP_BLOCK_SIZE (64 * 1024)
#define AFP_FRAMES 512            /* default: 1 MiB of ring per port */
#define AFP_FRAMES_MAX 65536

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

struct dp_afp {
    int fd;
    uint8_t *ring;
    size_t ring_size;
    unsigned n_frames;
    unsigned next;              /* next rx frame to look at */
    uint64_t kernel_drops;      /* PACKET_STATISTICS, summed (control thread) */
};

int
dp_port_afp_open(struct dp_port *p, const char *args, struct dp_error *err)
{
    unsigned frames = AFP_FRAMES;
    char ifname[IF_NAMESIZE];
    size_t n = strcspn(args, ",");

    if (!n || n >= sizeof ifname) {
        dp_err(err, "port %s: \"afpacket:%s\" does not name an interface",
               p->name, args);
        return EINVAL;
    }
    memcpy(ifname, args, n);
    ifname[n] = '\0';
    if (args[n]) {
        char *end;
        unsigned long v = strncmp(args + n, ",frames=", 8) ? 0
                          : strtoul(args + n + 8, &end, 10);
        if (!v || *end || v < 32 || v > AFP_FRAMES_MAX || (v & (v - 1))) {
            dp_err(err, "port %s: afpacket option \"%s\": the only option is "
                   "frames=N, a power of 2 in 32..%d", p->name, args + n + 1,
                   AFP_FRAMES_MAX);
            return EINVAL;
        }
        frames = v;
    }
    struct tpacket_req req = {
        .tp_block_size = AFP_BLOCK_SIZE,
        .tp_frame_size = AFP_FRAME_SIZE,
        .tp_block_nr = frames / (AFP_BLOCK_SIZE / AFP_FRAME_SIZE),
        .tp_frame_nr = frames,
    };
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL) };
    struct packet_mreq mreq = { .mr_type = PACKET_MR_PROMISC };
    int version = TPACKET_V2, one = 1;
    struct dp_afp *a;
    unsigned idx;

    idx = if_nametoindex(ifname);
    if (!idx) {
        dp_err(err, "port %s: no interface \"%s\"", p->name, ifname);
        return ENODEV;
    }
    a = calloc(1, sizeof *a);
    if (!a) {
        return ENOMEM;
    }
    /* Protocol 0: no receive hook until bind(), which then registers it
     * once; a socket made with ETH_P_ALL would be re-hooked by bind()
     * behind an RCU grace period, tens of ms per port. */
    a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (a->fd < 0) {
        dp_err(err, "port %s: AF_PACKET socket: %s", p->name, strerror(errno));
        free(a);
        return errno;
    }
    sll.sll_ifindex = idx;
    mreq.mr_ifindex = idx;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version)
        || setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)
        || setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq)
        || bind(a->fd, (struct sockaddr *) &sll, sizeof sll)) {
        int error = errno;
        dp_err(err, "port %s: setting up AF_PACKET on %s: %s", p->name, ifname,
               strerror(error));
        close(a->fd);
        free(a);
        return error;
    }
    /* Best effort: older kernels loop our own frames back; the switch
     * then sees them as received, which learning tolerates. */
    setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    a->ring_size = (size_t) req.tp_block_size * req.tp_block_nr;
    a->ring = mmap(NULL, a->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
    if (a->ring == MAP_FAILED) {
        int error = errno;
        dp_err(err, "port %s: mapping the AF_PACKET ring: %s", p->name, strerror(error));
        close(a->fd);
        free(a);
        return error;
    }
    a->n_frames = req.tp_frame_nr;
    p->type = DP_PORT_AFP;
    p->afp = a;
    return 0;
}

void
dp_port_afp_close(struct dp_port *p)
{
    struct dp_afp *a = p->afp;

    if (a) {
        munmap(a->ring, a->ring_size);
        close(a->fd);
        free(a);
        p->afp = NULL;
    }
}

int
dp_afp_mac(const struct dp_port *p, uint8_t mac[6])
{
    const char *ifn = p->devargs ? strchr(p->devargs, ':') : NULL;
    struct ifreq ifr;

    if (!p->afp || !ifn) {
        return EINVAL;
    }
    memset(&ifr, 0, sizeof ifr);
    size_t n = strcspn(ifn + 1, ",");
    if (n >= sizeof ifr.ifr_name) {
        return EINVAL;
    }
    memcpy(ifr.ifr_name, ifn + 1, n);
    if (ioctl(p->afp->fd, SIOCGIFHWADDR, &ifr)) {
        return errno;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

uint64_t
dp_afp_kernel_drops(struct dp_port *p)
{
    struct tpacket_stats st;
    socklen_t len = sizeof st;

    /* The kernel resets its counters on every read: keep the sum. */
    if (p->afp && !getsockopt(p->afp->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len)) {
        p->afp->kernel_drops += st.tp_drops;
    }
    return p->afp ? p->afp->kernel_drops : 0;
}

uint16_t
dp_afp_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_afp *a = p->afp;
    uint16_t got = 0;

    while (got < n) {
        struct tpacket2_hdr *h = (void *) (a->ring + (size_t) a->next * AFP_FRAME_SIZE);

        if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            break;
        }
        const uint8_t *data = (const uint8_t *) h + h->tp_mac;
        uint32_t len = h->tp_snaplen;
        bool tagged = (h->tp_status & TP_STATUS_VLAN_VALID) && h->tp_vlan_tci;
        struct rte_mbuf *m = len >= 12 ? rte_pktmbuf_alloc(dp.pool) : NULL;

        if (m) {
            uint8_t *out = (uint8_t *) rte_pktmbuf_append(m, len + (tagged ? 4 : 0));
            if (!out) {
                rte_pktmbuf_free(m);
                m = NULL;
            } else if (tagged) {
                uint16_t tpid = h->tp_vlan_tpid ? h->tp_vlan_tpid : ETHTYPE_VLAN;
                memcpy(out, data, 12);
                out[12] = tpid >> 8;
                out[13] = tpid & 0xff;
                out[14] = h->tp_vlan_tci >> 8;
                out[15] = h->tp_vlan_tci & 0xff;
                memcpy(out + 16, data + 12, len - 12);
            } else {
                memcpy(out, data, len);
            }
        }
        if (m) {
            pkts[got++] = m;
        } else {
            p->ctr.drops[DP_DROP_NO_MBUF]++;
        }
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        a->next = a->next + 1 < a->n_frames ? a->next + 1 : 0;
    }
    return got;
}

uint16_t
dp_afp_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_afp *a = p->afp;
    struct mmsghdr msgs[DP_BURST];
    struct iovec iov[DP_BURST];
    uint16_t k = 0;

    n = n > DP_BURST ? DP_BURST : n;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];

        if (m->nb_segs > 1 && rte_pktmbuf_linearize(m)) {
            break;
        }
        iov[i].iov_base = rte_pktmbuf_mtod(m, void *);
        iov[i].iov_len = rte_pktmbuf_data_len(m);
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        k++;
    }
    int sent = k ? sendmmsg(a->fd, msgs, k, MSG_DONTWAIT) : 0;
    if (sent < 0) {
        return 0;               /* the socket is full: the caller requeues */
    }
    for (int i = 0; i < sent; i++) {
        rte_pktmbuf_free(pkts[i]);
    }
    return sent;
}
