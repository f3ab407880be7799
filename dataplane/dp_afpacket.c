/*
 * dp_afpacket: a port on a Linux interface through an AF_PACKET socket,
 * without a DPDK ethdev ("afpacket:IFNAME[,frames=N][,max-frames=M]
 * [,vnet-hdr]").
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
 * from the mbufs.  Our own transmissions are not looped back.
 *
 * The ring grows with the bursts it meets.  It starts with 'frames' frames
 * of 2 KiB (default 512, 1 MiB of pinned kernel memory per port, so that a
 * 754-host map stays small) and grows 4 times, up to 'max-frames' (default
 * 8192, 16 MiB; emulated topologies' host ports ask for 32768), whenever
 * the worker finds it a sixteenth full or finds a full burst waiting 64
 * polls in a row, or at once to 'max-frames' if it is half full by the
 * time the grower thread comes: a TCP sender across a long emulated path
 * bursts a window at once, and the end of its slow start fills a small
 * ring in milliseconds (a 512-frame ring dropped 3% of a stream's segments
 * across Cogentco; growth a doubling at a time, up to 8192, still 0.3-3%).
 * A bigger ring cannot replace a mapped one on the same socket
 * without losing what arrives meanwhile, so each port's socket is alone
 * in a PACKET_FANOUT group whose classic BPF program picks the member:
 * the grower thread opens a socket with the bigger ring, joins it to the
 * group, switches the program over to it (one atomic step in the kernel:
 * no frame is lost or received twice), and the worker drains the old ring
 * before reading the new one, so that frames stay in order.  The grower
 * then closes the old socket (closing waits for an RCU grace period, which
 * the worker must not).  Where the kernel refuses the group, the ring
 * keeps its first size.  What the kernel could not put in the ring is
 * counted as the drop reason "kernel-ring".
 *
 * "vnet-hdr" (PACKET_VNET_HDR): each frame comes and goes with a struct
 * virtio_net_hdr, so that a host's TCP super-frames (TSO, up to 64 KiB)
 * cross whole (dp_gso.h).  Its ring's frames are 68 KiB, 15 filling a
 * block exactly (frame i stays at i times the size), and 'frames' and
 * 'max-frames' then size the ring's memory in 2 KiB units: the default
 * first ring, 1 MiB, holds 15 frames; it grows 16 times at a step, and
 * when a burst takes a quarter of it (AFP_VNET_GROW_FACTOR).  Frames
 * longer than a normal mbuf are copied into one of the super-frame
 * pool's; sends pass the virtio header and each buffer of the mbuf as
 * the message's iovecs.
 *
 * The kernel's own stack sees every frame the port reads.  Where the
 * port alone consumes the frames to an IP address (a tunnel underlay's
 * local address, dp_tunnel.c), dp_afp_claim_addr() puts a tc ingress
 * eBPF program on the interface that drops them once the packet sockets
 * have their copy, so that the kernel does not route each one only to
 * drop it.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/virtio_net.h>
#include <rte_mbuf.h>

#include "dp_private.h"
#include "util.h"

#define AFP_FRAME_SIZE 2048
#define AFP_BLOCK_SIZE (64 * 1024)
#define AFP_FRAMES 512            /* default first size: 1 MiB per port */
#define AFP_FRAMES_GROW_MAX 8192  /* default largest size: 16 MiB */
#define AFP_GROW_FACTOR 4         /* a grown ring is this many times bigger */
#define AFP_FULL_POLLS 64         /* full bursts in a row that ask a grow */
#define AFP_FRAMES_MAX 65536
#define AFP_DRAIN_NS 2000000ull   /* reading an old ring after a switch */
/* "vnet-hdr" rings: frames that hold a 64 KiB super-frame with its
 * headers, 15 to a block of 1020 KiB (a ring of 'frames' 2 KiB frames
 * becomes one of the same memory in these). */
#define AFP_VNET_FRAME_SIZE (68 * 1024)
#define AFP_VNET_PER_BLOCK 15
/* ... and they grow 16 times at a step (15, 240, 960 frames for `lamina
 * topo up`'s hosts): a TCP stream's super-frames fill a 15-frame ring
 * only once its rate is high, at the end of its startup, and three steps
 * of 4 (a grow takes 25-135 ms) left it 60 or 240 frames while it
 * overflowed: 65-290 super-frames dropped in the stream across Cogentco,
 * each some 45 segments to send again (docs/performance.md). */
#define AFP_VNET_GROW_FACTOR 16

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

/* One socket and its mapped receive ring. */
struct dp_afp_ring {
    int fd;
    uint8_t *map;
    size_t size;
    unsigned n_frames;
    unsigned frame_size;        /* AFP_FRAME_SIZE, or AFP_VNET_FRAME_SIZE */
    unsigned units;             /* its size in 2 KiB frames' memory */
    unsigned next;              /* next rx frame to look at (worker) */
};

/* Where a port's ring growth stands.  Each state is left by one side:
 * IDLE and FRESH and DRAINING by the worker, WANTED and DONE by the
 * grower thread. */
enum dp_afp_state {
    AFP_IDLE,                   /* one ring */
    AFP_WANTED,                 /* the worker asks for a bigger ring */
    AFP_FRESH,                  /* 'fresh' receives; the worker switches */
    AFP_DRAINING,               /* the worker reads 'old' before 'cur' */
    AFP_DONE,                   /* 'done' is drained: the grower closes it */
};

struct dp_afp {
    struct dp_afp_ring *cur;    /* read by the worker */
    struct dp_afp_ring *old;    /* worker: drained before 'cur' */
    uint64_t old_until;         /* worker: read 'old' until then (ns) */
    struct dp_afp_ring *fresh;  /* grower -> worker */
    struct dp_afp_ring *done;   /* worker -> grower */
    int state;                  /* enum dp_afp_state, atomic */
    unsigned ifindex;
    char ifname[IF_NAMESIZE];
    struct dp_port *port;
    unsigned max_frames;        /* growth stops here (2 KiB units) */
    bool vnet;                  /* "vnet-hdr": a virtio header per frame */
    unsigned fanout;            /* PACKET_FANOUT value to join, 0: none */
    unsigned grows;             /* rings replaced so far */
    bool picks_new;             /* the group's program picks member 1 */
    unsigned full_polls;        /* worker: polls in a row that filled a burst */
    uint64_t kernel_drops;      /* PACKET_STATISTICS of all its rings */
    struct dp_afp *next_afp;    /* in afp_list */

    /* dp_afp_claim_addr() (control thread): the tc ingress filter that
     * keeps the kernel's stack off the frames to a claimed address. */
    int claim_prog_fd;          /* -1: none attached */
    bool claim_hook_created;    /* the clsact qdisc is ours to remove */
};

/* The grower thread and the ports it serves: the list, each port's
 * 'fresh', 'done' and 'kernel_drops' are under afp_mutex. */
static pthread_mutex_t afp_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct dp_afp *afp_list;
static int afp_wake_fd = -1;    /* eventfd: the worker asks, grower acts */
static int afp_link_fd = -1;    /* rtnetlink: interfaces' changes (MTU) */
static bool afp_thread_started;

/* A classic BPF program that returns 'k': as a fanout program, it sends
 * every frame to member k of the group. */
static int
afp_set_fanout_member(int fd, unsigned k)
{
    struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, k);
    struct sock_fprog prog = { .len = 1, .filter = &insn };

    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog)
           ? errno : 0;
}

static void
afp_ring_close(struct dp_afp_ring *r)
{
    if (r) {
        if (r->map && r->map != MAP_FAILED) {
            munmap(r->map, r->size);
        }
        if (r->fd >= 0) {
            close(r->fd);
        }
        free(r);
    }
}

/* Opens a socket with a ring of 'frames' 2 KiB frames' memory on
 * interface 'ifindex', with a virtio header before each frame if 'vnet'
 * (then in frames of AFP_VNET_FRAME_SIZE), mapped, not yet bound (it
 * receives nothing).  On failure returns NULL and says why in 'why'. */
static struct dp_afp_ring *
afp_ring_open(unsigned ifindex, unsigned frames, bool vnet, char *why,
              size_t why_size)
{
    struct tpacket_req req = {
        .tp_block_size = AFP_BLOCK_SIZE,
        .tp_frame_size = AFP_FRAME_SIZE,
        .tp_block_nr = frames / (AFP_BLOCK_SIZE / AFP_FRAME_SIZE),
        .tp_frame_nr = frames,
    };
    if (vnet) {
        /* Frames fill their blocks exactly: frame i is at i * size. */
        unsigned blocks = frames * AFP_FRAME_SIZE / (1024 * 1024);
        req.tp_block_nr = blocks ? blocks : 1;
        req.tp_frame_size = AFP_VNET_FRAME_SIZE;
        req.tp_block_size = AFP_VNET_FRAME_SIZE * AFP_VNET_PER_BLOCK;
        req.tp_frame_nr = req.tp_block_nr * AFP_VNET_PER_BLOCK;
    }
    struct packet_mreq mreq = { .mr_type = PACKET_MR_PROMISC,
                                .mr_ifindex = ifindex };
    int version = TPACKET_V2, one = 1;
    struct dp_afp_ring *r = calloc(1, sizeof *r);

    if (!r) {
        snprintf(why, why_size, "%s", strerror(ENOMEM));
        return NULL;
    }
    /* Protocol 0: no receive hook until bind(), which then registers it
     * once; a socket made with ETH_P_ALL would be re-hooked by bind()
     * behind an RCU grace period, tens of ms per port. */
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->fd < 0) {
        snprintf(why, why_size, "AF_PACKET socket: %s", strerror(errno));
        free(r);
        return NULL;
    }
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version)
        || (vnet && setsockopt(r->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one))
        || setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req)
        || setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq)) {
        snprintf(why, why_size, "a ring of %u frames: %s", frames, strerror(errno));
        afp_ring_close(r);
        return NULL;
    }
    /* Best effort: older kernels loop our own frames back; the switch
     * then sees them as received, which learning tolerates. */
    setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    r->size = (size_t) req.tp_block_size * req.tp_block_nr;
    r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        snprintf(why, why_size, "mapping the ring: %s", strerror(errno));
        afp_ring_close(r);
        return NULL;
    }
    r->n_frames = req.tp_frame_nr;
    r->frame_size = req.tp_frame_size;
    r->units = frames;
    return r;
}

static int
afp_bind(int fd, unsigned ifindex)
{
    struct sockaddr_ll sll = { .sll_family = AF_PACKET,
                               .sll_protocol = htons(ETH_P_ALL),
                               .sll_ifindex = ifindex };

    return bind(fd, (struct sockaddr *) &sll, sizeof sll) ? errno : 0;
}

/* Returns the frames the kernel dropped for a full ring 'r' since the
 * last call (the kernel resets its counter on every read). */
static uint64_t
afp_ring_poll_drops(struct dp_afp_ring *r)
{
    struct tpacket_stats st;
    socklen_t len = sizeof st;

    return r && !getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len)
           ? st.tp_drops : 0;
}

/* Replaces the ring of 'a' by one of 'frames' frames (grower thread, under
 * afp_mutex; the worker keeps reading 'cur' meanwhile). */
static int
afp_grow(struct dp_afp *a, unsigned frames)
{
    struct sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
    struct sock_fprog prog = { .len = 1, .filter = &drop_all };
    char why[128];
    int error, zero = 0;

    /* Whatever a former grow left, 'cur' is now the only member: have
     * the group pick member 0 before the new one becomes member 1 (done
     * when the former grow's ring was closed, unless that failed: a
     * program swap waits for an RCU grace period, which a burst filling
     * the ring should not wait for). */
    error = a->picks_new ? afp_set_fanout_member(a->cur->fd, 0) : 0;
    if (error) {
        snprintf(why, sizeof why, "fanout program: %s", strerror(error));
        goto fail;
    }
    a->picks_new = false;
    struct dp_afp_ring *r = afp_ring_open(a->ifindex, frames, a->vnet, why, sizeof why);
    if (!r) {
        error = ENOMEM;
        goto fail;
    }
    /* Bound, the new socket receives every frame on its own until it
     * joins the group: its socket filter drops them (the old ring has
     * them too). */
    if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog)
        || (errno = afp_bind(r->fd, a->ifindex))
        || setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &a->fanout, sizeof a->fanout)
        || setsockopt(r->fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof zero)) {
        error = errno;
        snprintf(why, sizeof why, "joining the new socket: %s", strerror(error));
        afp_ring_close(r);
        goto fail;
    }
    error = afp_set_fanout_member(r->fd, 1);
    if (error) {
        snprintf(why, sizeof why, "switching the group: %s", strerror(error));
        afp_ring_close(r);
        goto fail;
    }
    a->picks_new = true;
    a->fresh = r;
    a->grows++;
    __atomic_store_n(&a->state, AFP_FRESH, __ATOMIC_RELEASE);
    /* It may be blocked on the old socket, which receives no more. */
    dp_worker_kick(&dp.workers[a->port->worker]);
    return 0;

fail:
    fprintf(stderr, "lamina-switchd: port %s (afpacket:%s): cannot grow the "
            "receive ring to %u frames, it stays at %u: %s\n", a->port->name,
            a->ifname, frames, a->cur->units, why);
    a->max_frames = a->cur->units;
    __atomic_store_n(&a->state, AFP_IDLE, __ATOMIC_RELEASE);
    return error;
}

/* Frames of 'r' the kernel has filled and the worker not yet read
 * (grower thread: 'r' is the worker's 'cur', which it keeps while the
 * port's state is AFP_WANTED). */
static unsigned
afp_ring_fill(const struct dp_afp_ring *r)
{
    unsigned n = 0;

    for (unsigned i = 0; i < r->n_frames; i++) {
        const struct tpacket2_hdr *h = (const void *) (r->map + (size_t) i * r->frame_size);
        n += (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
    }
    return n;
}

/* The size of the ring that replaces 'a''s: AFP_GROW_FACTOR times bigger
 * (AFP_VNET_GROW_FACTOR for "vnet-hdr"),
 * or at once the largest if the ring is half full by the time the grower
 * comes (a sender's burst outruns the worker: a step at a time, the ring
 * would overflow before the next step). */
static unsigned
afp_grow_frames(const struct dp_afp *a)
{
    unsigned cur = a->cur->units;
    unsigned f = cur * (a->vnet ? AFP_VNET_GROW_FACTOR : AFP_GROW_FACTOR);

    if (f > a->max_frames || afp_ring_fill(a->cur) >= a->cur->n_frames / 2) {
        f = a->max_frames;
    }
    return f;
}

/* The MTU of interface 'ifname' (asked through socket 'fd'), or 0. */
static uint16_t
afp_mtu(int fd, const char *ifname)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    return !ioctl(fd, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > 0
           && ifr.ifr_mtu <= UINT16_MAX ? ifr.ifr_mtu : 0;
}

/* Sets the MTU of the ports on interface 'ifindex' to 'mtu' (grower
 * thread, under afp_mutex): the worker reads it where it cuts or checks
 * super-frames (dp_port_mtu()). */
static void
afp_set_mtu(unsigned ifindex, uint32_t mtu)
{
    for (struct dp_afp *a = afp_list; a; a = a->next_afp) {
        if (a->ifindex == ifindex) {
            __atomic_store_n(&a->port->mtu, mtu <= UINT16_MAX ? (uint16_t) mtu : 0,
                             __ATOMIC_RELAXED);
        }
    }
}

/* Reads every port's MTU again from its interface (grower thread):
 * after announcements were lost. */
static void
afp_mtu_resync(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return;
    }
    pthread_mutex_lock(&afp_mutex);
    for (struct dp_afp *a = afp_list; a; a = a->next_afp) {
        __atomic_store_n(&a->port->mtu, afp_mtu(fd, a->ifname), __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&afp_mutex);
    close(fd);
}

/* Reads what the kernel announced on 'afp_link_fd' (RTM_NEWLINK: an
 * interface's MTU, among the rest) and applies the MTUs (grower thread).
 * When announcements were lost (the socket's buffer overflowed, as
 * thousands of interfaces coming up at once may make it), every port's
 * MTU is read again. */
static void
afp_link_changes(void)
{
    char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t n;

    while ((n = recv(afp_link_fd, buf, sizeof buf, MSG_DONTWAIT)) != 0) {
        if (n < 0) {
            if (errno == ENOBUFS) {
                afp_mtu_resync();
                continue;
            }
            if (errno == EINTR) {
                continue;
            }
            break;              /* EAGAIN: all read */
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != RTM_NEWLINK
                || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
                continue;
            }
            const struct ifinfomsg *ifi = NLMSG_DATA(h);
            int len = (int) IFLA_PAYLOAD(h);

            for (const struct rtattr *rta = IFLA_RTA(ifi); RTA_OK(rta, len);
                 rta = RTA_NEXT(rta, len)) {
                if (rta->rta_type == IFLA_MTU && RTA_PAYLOAD(rta) >= sizeof(uint32_t)) {
                    uint32_t mtu;

                    memcpy(&mtu, RTA_DATA(rta), sizeof mtu);
                    pthread_mutex_lock(&afp_mutex);
                    afp_set_mtu((unsigned) ifi->ifi_index, mtu);
                    pthread_mutex_unlock(&afp_mutex);
                }
            }
        }
    }
}

/* The grower thread: grows the rings the worker asks for, closes the
 * rings it has drained, and follows the interfaces' MTUs. */
static void *
afp_grower_main(void *arg)
{
    (void) arg;
    for (;;) {
        struct pollfd pfd[2] = { { .fd = afp_wake_fd, .events = POLLIN },
                                 { .fd = afp_link_fd, .events = POLLIN } };
        uint64_t v;

        if (poll(pfd, afp_link_fd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return NULL;
        }
        if (pfd[1].revents & POLLIN) {
            afp_link_changes();
        }
        if (!(pfd[0].revents & POLLIN)) {
            continue;
        }
        if (read(afp_wake_fd, &v, sizeof v) < 0 && errno != EINTR) {
            return NULL;
        }
        pthread_mutex_lock(&afp_mutex);
        for (struct dp_afp *a = afp_list; a; a = a->next_afp) {
            int st = __atomic_load_n(&a->state, __ATOMIC_ACQUIRE);

            if (st == AFP_DONE) {
                a->kernel_drops += afp_ring_poll_drops(a->done);
                afp_ring_close(a->done);
                a->done = NULL;
                /* Ready for the next grow (see afp_grow()); the worker
                 * leaves 'cur' alone until then. */
                if (a->cur->units < a->max_frames
                    && !afp_set_fanout_member(a->cur->fd, 0)) {
                    a->picks_new = false;
                }
                __atomic_store_n(&a->state, AFP_IDLE, __ATOMIC_RELEASE);
            } else if (st == AFP_WANTED) {
                afp_grow(a, afp_grow_frames(a));
            }
        }
        pthread_mutex_unlock(&afp_mutex);
    }
    return NULL;
}

/* Starts the grower thread once (control thread).  Without it, rings keep
 * their first size. */
static void
afp_start_grower(void)
{
    pthread_t t;

    if (afp_thread_started) {
        return;
    }
    afp_wake_fd = eventfd(0, EFD_CLOEXEC);
    /* The kernel's announcements of links (an MTU set after the port
     * opened): without them, ports keep the MTU they opened with. */
    struct sockaddr_nl snl = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
    afp_link_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (afp_link_fd < 0 || bind(afp_link_fd, (struct sockaddr *) &snl, sizeof snl)) {
        fprintf(stderr, "lamina-switchd: no link announcements (%s): afpacket "
                "ports keep the MTU they opened with\n", strerror(errno));
        if (afp_link_fd >= 0) {
            close(afp_link_fd);
        }
        afp_link_fd = -1;
    }
    if (afp_wake_fd >= 0 && !pthread_create(&t, NULL, afp_grower_main, NULL)) {
        pthread_setname_np(t, "afp-grower");
        pthread_detach(t);
        /* Real-time workers: the grower too, or on a busy machine it
         * waits for its turn (milliseconds) while a burst fills the
         * ring it is to replace.  It runs only when a ring grows. */
        struct sched_param sp = { .sched_priority = dp.params.worker_priority };
        if (sp.sched_priority > 0) {
            pthread_setschedparam(t, SCHED_FIFO, &sp);
        }
        afp_thread_started = true;
    } else {
        if (afp_wake_fd >= 0) {
            close(afp_wake_fd);
        }
        if (afp_link_fd >= 0) {
            close(afp_link_fd);
        }
        afp_wake_fd = afp_link_fd = -1;
    }
}

/* Parses "N" in 32..AFP_FRAMES_MAX, a power of 2, into '*out'. */
static bool
afp_parse_frames(const char *s, size_t len, unsigned *out)
{
    char buf[16], *end;

    if (!len || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    unsigned long v = strtoul(buf, &end, 10);
    if (*end || v < 32 || v > AFP_FRAMES_MAX || (v & (v - 1))) {
        return false;
    }
    *out = v;
    return true;
}

int
dp_port_afp_open(struct dp_port *p, const char *args, struct dp_error *err)
{
    unsigned frames = AFP_FRAMES, max_frames = 0;
    char ifname[IF_NAMESIZE], why[128];
    bool vnet = false;
    size_t n = strcspn(args, ",");

    if (!n || n >= sizeof ifname) {
        dp_err(err, "port %s: \"afpacket:%s\" does not name an interface",
               p->name, args);
        return EINVAL;
    }
    memcpy(ifname, args, n);
    ifname[n] = '\0';
    for (const char *o = args + n; *o;) {
        o++;
        size_t len = strcspn(o, ",");
        bool ok = false;

        if (len == 8 && !strncmp(o, "vnet-hdr", 8)) {
            ok = vnet = true;
        } else if (!strncmp(o, "frames=", 7)) {
            ok = afp_parse_frames(o + 7, len - 7, &frames);
        } else if (!strncmp(o, "max-frames=", 11)) {
            ok = afp_parse_frames(o + 11, len - 11, &max_frames);
        }
        if (!ok) {
            dp_err(err, "port %s: afpacket option \"%.*s\": the options are "
                   "frames=N (the first ring size) and max-frames=M (the "
                   "largest it grows to), each a power of 2 in 32..%d, and "
                   "vnet-hdr (TCP super-frames with their virtio header)",
                   p->name, (int) len, o, AFP_FRAMES_MAX);
            return EINVAL;
        }
        o += len;
    }
    if (!max_frames) {
        max_frames = frames > AFP_FRAMES_GROW_MAX ? frames : AFP_FRAMES_GROW_MAX;
    } else if (max_frames < frames) {
        dp_err(err, "port %s: afpacket max-frames=%u is below frames=%u",
               p->name, max_frames, frames);
        return EINVAL;
    }

    unsigned idx = if_nametoindex(ifname);
    if (!idx) {
        dp_err(err, "port %s: no interface \"%s\"", p->name, ifname);
        return ENODEV;
    }
    int error = vnet ? dp_gso_enable(err) : 0;
    if (error) {
        return error;
    }
    struct dp_afp *a = calloc(1, sizeof *a);
    if (!a) {
        return ENOMEM;
    }
    a->vnet = vnet;
    a->cur = afp_ring_open(idx, frames, vnet, why, sizeof why);
    error = !a->cur ? EINVAL : afp_bind(a->cur->fd, idx);
    if (error) {
        dp_err(err, "port %s: setting up AF_PACKET on %s: %s", p->name, ifname,
               a->cur ? strerror(error) : why);
        afp_ring_close(a->cur);
        free(a);
        return error;
    }
    a->ifindex = idx;
    a->claim_prog_fd = -1;
    memcpy(a->ifname, ifname, sizeof a->ifname);
    a->port = p;
    a->max_frames = max_frames;

    /* A fanout group of its own (see the top of the file). */
    unsigned fanout = (PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID
                       | PACKET_FANOUT_FLAG_IGNORE_OUTGOING) << 16;
    socklen_t len = sizeof a->fanout;
    if (max_frames > frames
        && !setsockopt(a->cur->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof fanout)
        && !getsockopt(a->cur->fd, SOL_PACKET, PACKET_FANOUT, &a->fanout, &len)) {
        /* What getsockopt() returns (id, type, flags less UNIQUEID) is
         * what a socket joining the group passes. */
    } else {
        if (max_frames > frames) {
            fprintf(stderr, "lamina-switchd: port %s (afpacket:%s): no fanout "
                    "group (%s): the receive ring stays at %u frames\n",
                    p->name, ifname, strerror(errno), frames);
        }
        a->fanout = 0;
        a->max_frames = frames;
    }
    p->type = DP_PORT_AFP;
    p->afp = a;
    p->takes_gso = vnet;
    pthread_mutex_lock(&afp_mutex);
    a->next_afp = afp_list;
    afp_list = a;
    afp_start_grower();
    /* Read once listed and listening: a change from now on is announced
     * and applied after this (the grower waits for the mutex). */
    p->mtu = afp_mtu(a->cur->fd, ifname);
    pthread_mutex_unlock(&afp_mutex);
    return 0;
}

void
dp_port_afp_close(struct dp_port *p)
{
    struct dp_afp *a = p->afp;

    if (a) {
        pthread_mutex_lock(&afp_mutex);
        for (struct dp_afp **pp = &afp_list; *pp; pp = &(*pp)->next_afp) {
            if (*pp == a) {
                *pp = a->next_afp;
                break;
            }
        }
        pthread_mutex_unlock(&afp_mutex);
        dp_afp_unclaim_addr(p);
        afp_ring_close(a->done);
        afp_ring_close(a->fresh);
        afp_ring_close(a->old);
        afp_ring_close(a->cur);
        free(a);
        p->afp = NULL;
        p->takes_gso = false;
    }
}

int
dp_afp_mac(const struct dp_port *p, uint8_t mac[6])
{
    struct ifreq ifr;
    int fd, err = 0;

    if (!p->afp) {
        return EINVAL;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", p->afp->ifname);
    /* The rings belong to the worker and the grower; ask on a socket of
     * our own. */
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
        err = errno;
    } else {
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    }
    close(fd);
    return err;
}

uint64_t
dp_afp_kernel_drops(struct dp_port *p)
{
    struct dp_afp *a = p->afp;
    uint64_t sum;

    if (!a) {
        return 0;
    }
    pthread_mutex_lock(&afp_mutex);
    /* 'cur' and 'old' are the worker's to swap, not to close: the grower
     * closes rings under this mutex, and only 'done' ones. */
    a->kernel_drops += afp_ring_poll_drops(__atomic_load_n(&a->cur, __ATOMIC_ACQUIRE));
    sum = a->kernel_drops;
    pthread_mutex_unlock(&afp_mutex);
    return sum;
}

unsigned
dp_afp_ring_frames(const struct dp_port *p, unsigned *grows)
{
    const struct dp_afp *a = p->afp;
    unsigned frames = 0;

    *grows = 0;
    if (a) {
        /* Under the mutex: the grower frees only rings the worker let go
         * of, and only under it. */
        pthread_mutex_lock(&afp_mutex);
        *grows = a->grows;
        frames = __atomic_load_n(&a->cur, __ATOMIC_ACQUIRE)->n_frames;
        pthread_mutex_unlock(&afp_mutex);
    }
    return frames;
}

int
dp_afp_poll_fd(const struct dp_port *p)
{
    const struct dp_afp *a = p->afp;

    return a->old || __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) != AFP_IDLE
           ? -1 : a->cur->fd;
}

/* Copies the frame of ring header 'h' into a new mbuf, its VLAN tag put
 * back in; a "vnet-hdr" port's frame takes its virtio header too
 * (dp_gso_mark()).  Returns NULL and counts the drop on 'p' when it
 * cannot. */
static struct rte_mbuf *
afp_frame_copy(struct dp_port *p, const struct tpacket2_hdr *h)
{
    const uint8_t *data = (const uint8_t *) h + h->tp_mac;
    uint32_t len = h->tp_snaplen;
    bool tagged = (h->tp_status & TP_STATUS_VLAN_VALID) && h->tp_vlan_tci;
    uint32_t tag_len = tagged ? 4 : 0;
    struct rte_mempool *pool = dp.pool;

    if (unlikely(p->afp->vnet)) {
        if (unlikely(len < h->tp_len)) {
            p->ctr.drops[DP_DROP_GSO]++;    /* over the ring's frame */
            return NULL;
        }
        if (len + tag_len > (uint32_t) rte_pktmbuf_data_room_size(dp.pool) - RTE_PKTMBUF_HEADROOM) {
            pool = dp.gso_pool;
        }
    }
    struct rte_mbuf *m = len >= 12 ? rte_pktmbuf_alloc(pool) : NULL;
    uint8_t *out = m ? (uint8_t *) rte_pktmbuf_append(m, len + tag_len) : NULL;

    if (!out) {
        p->ctr.drops[m && pool == dp.gso_pool ? DP_DROP_GSO : DP_DROP_NO_MBUF]++;
        rte_pktmbuf_free(m);
        return NULL;
    }
    if (tagged) {
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
    if (unlikely(p->afp->vnet)
        && dp_gso_mark(m, (const struct virtio_net_hdr *) (data - sizeof(struct virtio_net_hdr)),
                       tag_len)) {
        p->ctr.drops[DP_DROP_GSO]++;
        rte_pktmbuf_free(m);
        return NULL;
    }
    return m;
}

/* Reads up to 'n' frames of ring 'r' into 'pkts'. */
static uint16_t
afp_ring_rx(struct dp_port *p, struct dp_afp_ring *r, struct rte_mbuf **pkts,
            uint16_t n)
{
    uint16_t got = 0;

    while (got < n) {
        struct tpacket2_hdr *h = (void *) (r->map + (size_t) r->next * r->frame_size);

        if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            break;
        }
        struct rte_mbuf *m = afp_frame_copy(p, h);
        if (m) {
            pkts[got++] = m;
        }
        __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        r->next = r->next + 1 < r->n_frames ? r->next + 1 : 0;
    }
    return got;
}

/* Whether the kernel has filled frame 'i' of 'r' (not yet read). */
static inline bool
afp_ring_user(const struct dp_afp_ring *r, unsigned i)
{
    const struct tpacket2_hdr *h = (const void *) (r->map + (size_t) i * r->frame_size);
    return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER;
}

static void
afp_wake_grower(void)
{
    uint64_t one = 1;

    if (write(afp_wake_fd, &one, sizeof one) < 0) {
        /* The counter is full: the grower is awake. */
    }
}

uint16_t
dp_afp_rx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_afp *a = p->afp;
    struct dp_afp_ring *r = a->cur;
    uint16_t got;

    if (unlikely(a->old || __atomic_load_n(&a->state, __ATOMIC_ACQUIRE) == AFP_FRESH)) {
        if (!a->old) {
            /* The kernel fills the fresh ring from now on. */
            a->old = r;
            a->old_until = dp_now_ns() + AFP_DRAIN_NS;
            r = a->fresh;
            a->fresh = NULL;
            __atomic_store_n(&a->cur, r, __ATOMIC_RELEASE);
            __atomic_store_n(&a->state, AFP_DRAINING, __ATOMIC_RELEASE);
        }
        got = afp_ring_rx(p, a->old, pkts, n);
        if (got) {
            return got;         /* older frames first */
        }
        if (dp_now_ns() < a->old_until) {
            return 0;           /* a frame may still be on its way in */
        }
        a->done = a->old;
        a->old = NULL;
        __atomic_store_n(&a->state, AFP_DONE, __ATOMIC_RELEASE);
        afp_wake_grower();
    }
    got = afp_ring_rx(p, r, pkts, n);
    /* A burst is full when it filled 'pkts', or took half of a ring
     * smaller than it ("vnet-hdr" rings start at 15 frames): a quarter
     * of a "vnet-hdr" ring, whose frames are a stream's super-frames and
     * whose first grow must come a round trip before the stream's
     * startup ends, not at its end (docs/performance.md, session 13). */
    bool big = ((unsigned) got << (a->vnet ? 2 : 1)) >= r->n_frames;
    bool full = got == n || big;
    a->full_polls = full ? a->full_polls + 1 : 0;
    /* A sixteenth full (the frame a sixteenth of a ring ahead is filled
     * too), or AFP_FULL_POLLS polls in a row that each found a burst
     * waiting (a stream the worker barely keeps up with, which will
     * burst harder): ask for a bigger ring well before this one
     * overflows.  A worker that loses its core for a few ms must find
     * room, and a sender leaving slow start fills a small ring in
     * milliseconds, faster than a ring grows (25-135 ms measured). */
    if (unlikely(full) && r->units < a->max_frames
        && (a->full_polls >= AFP_FULL_POLLS || big
            || afp_ring_user(r, (r->next + r->n_frames / 16) % r->n_frames))
        && __atomic_load_n(&a->state, __ATOMIC_RELAXED) == AFP_IDLE) {
        __atomic_store_n(&a->state, AFP_WANTED, __ATOMIC_RELEASE);
        afp_wake_grower();
    }
    return got;
}

/* iovecs of one dp_afp_tx() call: a frame's buffers and its virtio
 * header. */
#define AFP_TX_IOV (DP_BURST * 4)

uint16_t
dp_afp_tx(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp_afp *a = p->afp;
    struct mmsghdr msgs[DP_BURST];
    struct iovec iov[AFP_TX_IOV];
    struct virtio_net_hdr vh[DP_BURST];
    unsigned n_iov = 0;
    uint16_t k = 0;

    n = n > DP_BURST ? DP_BURST : n;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];

        if (m->nb_segs + 1u > AFP_TX_IOV - n_iov) {
            break;              /* the rest goes in the next call */
        }
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[n_iov];
        if (a->vnet) {
            dp_gso_vnet_hdr(m, &vh[i]);
            iov[n_iov].iov_base = &vh[i];
            iov[n_iov++].iov_len = sizeof vh[i];
        }
        for (struct rte_mbuf *s = m; s; s = s->next) {
            iov[n_iov].iov_base = rte_pktmbuf_mtod(s, void *);
            iov[n_iov++].iov_len = rte_pktmbuf_data_len(s);
        }
        msgs[i].msg_hdr.msg_iovlen = &iov[n_iov] - msgs[i].msg_hdr.msg_iov;
        k++;
    }
    int sent = k ? sendmmsg(a->cur->fd, msgs, k, MSG_DONTWAIT) : 0;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
        return 0;               /* the socket is full: the caller requeues */
    } else if (sent < 0) {
        /* The kernel refuses the first frame itself (a virtio header it
         * finds wrong, a frame over the MTU): retrying would block the
         * port, so it is dropped and counted. */
        p->ctr.drops[errno == EMSGSIZE ? DP_DROP_OVER_MTU
                     : a->vnet ? DP_DROP_GSO : DP_DROP_TX_FULL]++;
        rte_pktmbuf_free(pkts[0]);
        return 1;
    }
    for (int i = 0; i < sent; i++) {
        rte_pktmbuf_free(pkts[i]);
    }
    return sent;
}

/* ---- Claimed addresses: the kernel's stack kept off them ----------------- */

/* Handle and priority of the filter on the interface's tc ingress hook
 * ("LM"): one per interface, replaced by a later claim. */
#define AFP_CLAIM_HANDLE 0x4c4d
#define AFP_CLAIM_PRIO 1

/* Appends one eBPF instruction to 'p' at '*n'. */
static void
afp_insn(struct bpf_insn *p, unsigned *n, uint8_t code, uint8_t dst, uint8_t src,
         int16_t off, int32_t imm)
{
    p[(*n)++] = (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src,
                                    .off = off, .imm = imm };
}

/* Loads the tc program of dp_afp_claim_addr() for 'addr' (4 bytes if not
 * 'v6', else 16): an Ethernet frame of that family whose IP destination
 * is 'addr' is dropped (TC_ACT_SHOT), anything else passes.  Its fd, or
 * a negative errno. */
static int
afp_claim_prog(bool v6, const uint8_t addr[16])
{
    struct bpf_insn p[32];
    unsigned n = 0, words = v6 ? 4 : 1, dst_off = v6 ? 14 + 24 : 14 + 16;
    unsigned min_len = v6 ? 14 + 40 : 14 + 20;
    uint16_t type = htons(v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);

    /* r2 = data, r3 = data_end; r4 = data + min_len; past the end: pass. */
    afp_insn(p, &n, BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct __sk_buff, data), 0);
    afp_insn(p, &n, BPF_LDX | BPF_MEM | BPF_W, 3, 1, offsetof(struct __sk_buff, data_end), 0);
    afp_insn(p, &n, BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
    afp_insn(p, &n, BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, min_len);
    unsigned jumps[8], n_jumps = 0;
    jumps[n_jumps++] = n;
    afp_insn(p, &n, BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, 0);
    /* The EtherType, then each 32-bit word of the destination, compared
     * as loaded (network order in memory). */
    afp_insn(p, &n, BPF_LDX | BPF_MEM | BPF_H, 5, 2, 12, 0);
    jumps[n_jumps++] = n;
    afp_insn(p, &n, BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 0, type);
    for (unsigned i = 0; i < words; i++) {
        int32_t w;
        memcpy(&w, addr + 4 * i, 4);
        afp_insn(p, &n, BPF_LDX | BPF_MEM | BPF_W, 5, 2, dst_off + 4 * i, 0);
        jumps[n_jumps++] = n;
        afp_insn(p, &n, BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 0, w);
    }
    afp_insn(p, &n, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, TC_ACT_SHOT);
    afp_insn(p, &n, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (unsigned i = 0; i < n_jumps; i++) {
        p[jumps[i]].off = n - jumps[i] - 1;    /* to "pass" */
    }
    afp_insn(p, &n, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, TC_ACT_OK);
    afp_insn(p, &n, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "lamina_claim", "GPL", p, n, NULL);
}

bool
dp_afp_addr_owner(bool v6, const uint8_t addr[16], char ifname[IF_NAMESIZE])
{
    struct ifaddrs *ifa_list, *ifa;
    bool owned = false;

    if (getifaddrs(&ifa_list)) {
        return false;
    }
    for (ifa = ifa_list; ifa && !owned; ifa = ifa->ifa_next) {
        const struct sockaddr *sa = ifa->ifa_addr;

        if (!sa || sa->sa_family != (v6 ? AF_INET6 : AF_INET)) {
            continue;
        }
        owned = v6
            ? !memcmp(&((const struct sockaddr_in6 *) sa)->sin6_addr, addr, 16)
            : !memcmp(&((const struct sockaddr_in *) sa)->sin_addr, addr, 4);
        if (owned) {
            str_copy(ifname, ifa->ifa_name, IF_NAMESIZE);
        }
    }
    freeifaddrs(ifa_list);
    return owned;
}

int
dp_afp_claim_addr(struct dp_port *p, bool v6, const uint8_t addr[16],
                  struct dp_error *err)
{
    struct dp_afp *a = p->afp;
    char owner[IF_NAMESIZE];

    if (!a) {
        dp_err(err, "port %s: only an afpacket port can keep the kernel off "
               "an address", p->name);
        return EINVAL;
    }
    /* The kernel's own traffic to an address it owns (ssh, say) must not
     * be dropped: the filter is only for an address the kernel does not
     * have (docs/multi-machine.md, step 1). */
    if (dp_afp_addr_owner(v6, addr, owner)) {
        char s[INET6_ADDRSTRLEN];

        dp_err(err, "port %s: the kernel owns %s (on %s), so its datagrams "
               "are not kept from it; give the tunnel an address of its own",
               p->name, inet_ntop(v6 ? AF_INET6 : AF_INET, addr, s, sizeof s),
               owner);
        return EADDRINUSE;
    }
    dp_afp_unclaim_addr(p);
    int fd = afp_claim_prog(v6, addr);
    if (fd < 0) {
        dp_err(err, "port %s: loading the tc program for %s: %s", p->name,
               a->ifname, strerror(-fd));
        return -fd;
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
                .attach_point = BPF_TC_INGRESS);
    int r = bpf_tc_hook_create(&hook);
    bool created = r == 0;
    if (r && r != -EEXIST) {
        dp_err(err, "port %s: adding a clsact qdisc on %s: %s", p->name,
               a->ifname, strerror(-r));
        close(fd);
        return -r;
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fd, .flags = BPF_TC_F_REPLACE,
                .handle = AFP_CLAIM_HANDLE, .priority = AFP_CLAIM_PRIO);
    r = bpf_tc_attach(&hook, &opts);
    if (r) {
        dp_err(err, "port %s: attaching the tc program on %s ingress: %s",
               p->name, a->ifname, strerror(-r));
        if (created) {
            hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
            bpf_tc_hook_destroy(&hook);
        }
        close(fd);
        return -r;
    }
    a->claim_prog_fd = fd;
    a->claim_hook_created = created;
    return 0;
}

void
dp_afp_unclaim_addr(struct dp_port *p)
{
    struct dp_afp *a = p->afp;

    if (!a || a->claim_prog_fd < 0) {
        return;
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
                .attach_point = BPF_TC_INGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = AFP_CLAIM_HANDLE,
                .priority = AFP_CLAIM_PRIO);
    /* The interface may be gone already (its namespace deleted): then so
     * is the filter. */
    bpf_tc_detach(&hook, &opts);
    if (a->claim_hook_created) {
        hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
        bpf_tc_hook_destroy(&hook);
    }
    close(a->claim_prog_fd);
    a->claim_prog_fd = -1;
    a->claim_hook_created = false;
}

bool
dp_afp_claimed(const struct dp_port *p)
{
    return p->afp && p->afp->claim_prog_fd >= 0;
}
