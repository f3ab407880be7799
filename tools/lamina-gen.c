/*
 * lamina-gen: a small traffic generator and counter for tests and the demo.
 *
 * It runs inside a host's network namespace, on the host's interface:
 *
 *   lamina-gen send --iface IF --dst-mac M --src-mac M [--vlan N|A-B]
 *                   (--rate PPS | --bps R) --size BYTES --duration SEC
 *                   [--count N] [--payload-tag TAG] [--ethertype 0xXXXX]
 *                   [--json]
 *   lamina-gen recv --iface IF --duration SEC [--tag TAG] [--json]
 *
 * send writes raw Ethernet frames through an AF_PACKET socket in batches
 * (sendmmsg), paced by the monotonic clock with a token bucket
 * (gen_pace.h), so the offered rate is what was asked for whatever the
 * loop costs.  Frames carry ethertype 0x88b5 (IEEE local experimental) by
 * default so that no host stack answers them, the tag (if any) at the start
 * of the payload, then a 64-bit sequence number.  Rates take SI suffixes
 * (10M, 1.5G, 100k); a bit rate counts the frame from destination MAC to
 * the end of the payload, without FCS.
 *
 * recv counts the frames arriving on the interface (not the ones this host
 * sends) for the duration, optionally only those carrying TAG anywhere in
 * their first 128 bytes, which attributes packets to a sender or a slice
 * even if a switch pushes or pops a VLAN tag.  It prints
 * {"packets", "bytes", "pps", "bps", "duration", "drops"}; drops are frames
 * the kernel could not hand to the counter (its socket buffer was full):
 * if they are not 0 the counts are a lower bound.
 *
 * Exit status: 0, 1 on a runtime error, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gen_pace.h"
#include "util.h"
#ifdef HAVE_LIB_UNITS
#include "units.h"
#endif

#define GEN_BATCH 32
#define GEN_MAX_FRAME 9018
#define GEN_TAG_WINDOW 128
#define GEN_DEFAULT_ETHERTYPE 0x88b5

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void) sig;
    stop_requested = 1;
}

static void
usage(FILE *f)
{
    fprintf(f,
"usage: lamina-gen send --iface IF --dst-mac MAC --src-mac MAC [--vlan N|A-B]\n"
"                       (--rate PPS | --bps RATE) --size BYTES --duration SEC\n"
"                       [--count N] [--payload-tag TAG] [--ethertype 0xXXXX] [--json]\n"
"       lamina-gen recv --iface IF --duration SEC [--tag TAG] [--json]\n"
"\n"
"send: raw frames of BYTES bytes (60..%d, without FCS) paced by the clock;\n"
"      --rate in packets/s, --bps in bits/s (frame bytes x 8), both with SI\n"
"      suffixes (100k, 10M, 1.5G); --rate 0 sends as fast as it can.\n"
"recv: counts frames received on IF (optionally only those carrying TAG)\n"
"      and prints packets, bytes, pps, bps, drops.\n", GEN_MAX_FRAME);
}

/* Parses a non-negative count with an optional SI suffix (k, M, G, T;
 * powers of 1000) and an optional "bps"/"pps" unit.  Returns 0 or EINVAL. */
static int
parse_si(const char *s, uint64_t *value)
{
#ifdef HAVE_LIB_UNITS
    char buf[64];
    size_t n = strlen(s);
    /* units_parse_rate knows "bps"; "pps" is the same number. */
    if (n >= 3 && n < sizeof buf && !strcmp(s + n - 3, "pps")) {
        memcpy(buf, s, n - 3);
        buf[n - 3] = '\0';
        s = buf;
    }
    return units_parse_rate(s, value) ? EINVAL : 0;
#else
    /* Until lib/units (units_parse_rate) is in this tree. */
    char *end;
    double v, mult = 1;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || v < 0) {
        return EINVAL;
    }
    switch (*end) {
    case 'k': case 'K': mult = 1e3; end++; break;
    case 'M': mult = 1e6; end++; break;
    case 'G': mult = 1e9; end++; break;
    case 'T': mult = 1e12; end++; break;
    default: break;
    }
    if (*end && strcmp(end, "bps") && strcmp(end, "pps")) {
        return EINVAL;
    }
    if (v * mult > 1.8e19) {
        return EINVAL;
    }
    *value = (uint64_t) (v * mult + 0.5);
    return 0;
#endif
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char extra;

    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
               &b[5], &extra) != 6) {
        return EINVAL;
    }
    for (int i = 0; i < 6; i++) {
        if (b[i] > 0xff) {
            return EINVAL;
        }
        mac[i] = b[i];
    }
    return 0;
}

/* Opens an AF_PACKET socket bound to 'iface' for 'proto' (network order;
 * 0 = send only).  Returns the socket or -1 with a message printed. */
static int
open_packet_socket(const char *iface, uint16_t proto)
{
    struct sockaddr_ll sll;
    int fd;
    unsigned int ifindex = if_nametoindex(iface);

    if (!ifindex) {
        fprintf(stderr, "lamina-gen: no interface %s: %s\n", iface,
                strerror(errno));
        return -1;
    }
    fd = socket(AF_PACKET, SOCK_RAW, proto);
    if (fd < 0) {
        fprintf(stderr, "lamina-gen: AF_PACKET socket: %s%s\n", strerror(errno),
                errno == EPERM ? " (needs root or CAP_NET_RAW)" : "");
        return -1;
    }
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = proto;
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll) < 0) {
        fprintf(stderr, "lamina-gen: bind to %s: %s\n", iface, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static double
seconds_since(uint64_t start_ns)
{
    return (time_ns() - start_ns) / 1e9;
}

static void
print_result(bool json, const char *what, uint64_t packets, uint64_t bytes,
             double secs, const char *extra_key, uint64_t extra)
{
    double pps = secs > 0 ? packets / secs : 0;
    double bps = secs > 0 ? bytes * 8.0 / secs : 0;

    if (json) {
        printf("{\"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
               ", \"pps\": %.1f, \"bps\": %.1f, \"duration\": %.3f, \"%s\": %"
               PRIu64 "}\n", packets, bytes, pps, bps, secs, extra_key, extra);
    } else {
        printf("%s %" PRIu64 " packets, %" PRIu64 " bytes in %.3f s: "
               "%.0f pps, %.0f bit/s, %s %" PRIu64 "\n", what, packets, bytes,
               secs, pps, bps, extra_key, extra);
    }
    fflush(stdout);
}

struct send_opts {
    const char *iface;
    uint8_t dst[6], src[6];
    int vlan;                   /* -1: untagged. */
    int vlan_hi;                /* > vlan: cycle VIDs vlan..vlan_hi */
    uint64_t pps;
    uint64_t bps;
    bool have_rate;
    uint32_t size;
    double duration;
    uint64_t count;             /* 0: no limit. */
    const char *tag;
    uint16_t ethertype;
    bool json;
};

/* Writes the frame header and payload for 'o' into 'frame'; returns the
 * offset of the sequence number. */
static size_t
build_frame(const struct send_opts *o, uint8_t *frame)
{
    size_t off = 0;
    size_t taglen = o->tag ? strlen(o->tag) : 0;

    memset(frame, 0, o->size);
    memcpy(frame, o->dst, 6);
    memcpy(frame + 6, o->src, 6);
    off = 12;
    if (o->vlan >= 0) {
        frame[off++] = 0x81;
        frame[off++] = 0x00;
        frame[off++] = (o->vlan >> 8) & 0x0f;
        frame[off++] = o->vlan & 0xff;
    }
    frame[off++] = o->ethertype >> 8;
    frame[off++] = o->ethertype & 0xff;
    memcpy(frame + off, o->tag ? o->tag : "", taglen);
    return off + taglen;
}

static int
do_send(const struct send_opts *o)
{
    static uint8_t frames[GEN_BATCH][GEN_MAX_FRAME];
    struct mmsghdr msgs[GEN_BATCH];
    struct iovec iov[GEN_BATCH];
    struct gen_pace pace;
    size_t seq_off = 0;
    uint64_t seq = 0, sent = 0, bytes = 0, refused = 0;
    uint64_t start, end, pps;
    int fd;

    fd = open_packet_socket(o->iface, 0);
    if (fd < 0) {
        return 1;
    }
    /* Sleep as precisely as the kernel can: pacing depends on it. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    for (int i = 0; i < GEN_BATCH; i++) {
        seq_off = build_frame(o, frames[i]);
        iov[i].iov_base = frames[i];
        iov[i].iov_len = o->size;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    pps = o->bps ? gen_pace_pps_from_bps(o->bps, o->size) : o->pps;
    start = time_ns();
    end = start + (uint64_t) (o->duration * 1e9);
    gen_pace_init(&pace, pps, gen_pace_default_depth(pps, GEN_BATCH), start);

    while (!stop_requested) {
        uint64_t now = time_ns();
        uint64_t want = GEN_BATCH;
        uint64_t n;
        int rc;

        if (now >= end || (o->count && sent >= o->count)) {
            break;
        }
        if (o->count && o->count - sent < want) {
            want = o->count - sent;
        }
        n = gen_pace_take(&pace, now, want);
        if (!n) {
            uint64_t wait = gen_pace_wait_ns(&pace);
            struct timespec ts;
            if (wait > end - now) {
                wait = end - now;
            }
            ts.tv_sec = wait / 1000000000ULL;
            ts.tv_nsec = wait % 1000000000ULL;
            nanosleep(&ts, NULL);
            continue;
        }
        for (uint64_t i = 0; i < n; i++) {
            uint64_t s = seq + i;
            memcpy(frames[i] + seq_off, &s, sizeof s);
            if (o->vlan >= 0 && o->vlan_hi > o->vlan) {
                int vid = o->vlan + (int) (s % (uint64_t) (o->vlan_hi - o->vlan + 1));
                frames[i][14] = (vid >> 8) & 0x0f;
                frames[i][15] = vid & 0xff;
            }
        }
        rc = sendmmsg(fd, msgs, n, 0);
        if (rc < 0) {
            if (errno == EINTR) {
                gen_pace_give_back(&pace, n);
                continue;
            }
            if (errno == ENOBUFS || errno == EAGAIN) {
                /* The interface queue is full: those frames are lost
                 * offered load, as on a real wire. */
                refused += n;
                continue;
            }
            fprintf(stderr, "lamina-gen: sendmmsg on %s: %s\n", o->iface,
                    strerror(errno));
            close(fd);
            return 1;
        }
        if ((uint64_t) rc < n) {
            gen_pace_give_back(&pace, n - rc);
        }
        seq += rc;
        sent += rc;
        bytes += (uint64_t) rc * o->size;
    }
    print_result(o->json, "sent", sent, bytes, seconds_since(start), "refused",
                 refused);
    close(fd);
    return 0;
}

struct recv_opts {
    const char *iface;
    double duration;
    const char *tag;
    bool json;
};

static int
do_recv(const struct recv_opts *o)
{
    static uint8_t bufs[GEN_BATCH][GEN_MAX_FRAME];
    struct mmsghdr msgs[GEN_BATCH];
    struct iovec iov[GEN_BATCH];
    struct sockaddr_ll from[GEN_BATCH];
    struct tpacket_stats st;
    socklen_t stlen = sizeof st;
    size_t taglen = o->tag ? strlen(o->tag) : 0;
    uint64_t packets = 0, bytes = 0, drops = 0;
    uint64_t start, end;
    int one = 1, rcvbuf = 32 << 20;
    int fd;

    fd = open_packet_socket(o->iface, htons(ETH_P_ALL));
    if (fd < 0) {
        return 1;
    }
    /* Frames this host sends are not received traffic. */
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf)) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    /* Reset the kernel's drop counter: it counts from here. */
    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen);

    for (int i = 0; i < GEN_BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = GEN_MAX_FRAME;
    }

    start = time_ns();
    end = start + (uint64_t) (o->duration * 1e9);
    while (!stop_requested) {
        uint64_t now = time_ns();
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int ms, rc;

        if (now >= end) {
            break;
        }
        ms = (end - now + 999999) / 1000000;
        rc = poll(&pfd, 1, ms > 100 ? 100 : ms);
        if (rc <= 0) {
            continue;
        }
        for (int i = 0; i < GEN_BATCH; i++) {
            memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &from[i];
            msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        }
        rc = recvmmsg(fd, msgs, GEN_BATCH, MSG_DONTWAIT, NULL);
        if (rc < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            fprintf(stderr, "lamina-gen: recvmmsg on %s: %s\n", o->iface,
                    strerror(errno));
            close(fd);
            return 1;
        }
        for (int i = 0; i < rc; i++) {
            size_t len = msgs[i].msg_len;
            if (from[i].sll_pkttype == PACKET_OUTGOING) {
                continue;
            }
            if (taglen && !memmem(bufs[i], MIN(len, GEN_TAG_WINDOW), o->tag,
                                  taglen)) {
                continue;
            }
            packets++;
            bytes += len;
        }
    }
    stlen = sizeof st;
    if (!getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &stlen)) {
        drops = st.tp_drops;
    }
    print_result(o->json, "received", packets, bytes, seconds_since(start),
                 "drops", drops);
    close(fd);
    return 0;
}

static int
bad_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "lamina-gen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    return 2;
}

static int
parse_duration(const char *s, double *secs)
{
    char *end;
    errno = 0;
    *secs = strtod(s, &end);
    return (errno || end == s || *end || *secs <= 0) ? EINVAL : 0;
}

int
main(int argc, char *argv[])
{
    enum { O_IFACE = 1, O_DST, O_SRC, O_VLAN, O_RATE, O_BPS, O_SIZE, O_DUR,
           O_COUNT, O_PTAG, O_TAG, O_ETYPE, O_JSON, O_HELP };
    static const struct option longopts[] = {
        { "iface", required_argument, NULL, O_IFACE },
        { "dst-mac", required_argument, NULL, O_DST },
        { "src-mac", required_argument, NULL, O_SRC },
        { "vlan", required_argument, NULL, O_VLAN },
        { "rate", required_argument, NULL, O_RATE },
        { "bps", required_argument, NULL, O_BPS },
        { "size", required_argument, NULL, O_SIZE },
        { "duration", required_argument, NULL, O_DUR },
        { "count", required_argument, NULL, O_COUNT },
        { "payload-tag", required_argument, NULL, O_PTAG },
        { "tag", required_argument, NULL, O_TAG },
        { "ethertype", required_argument, NULL, O_ETYPE },
        { "json", no_argument, NULL, O_JSON },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    struct send_opts so = { .vlan = -1, .size = 64,
                            .ethertype = GEN_DEFAULT_ETHERTYPE };
    struct recv_opts ro = { 0 };
    bool sending, have_dst = false, have_src = false;
    const char *mode;
    struct sigaction sa;
    int c;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    mode = argv[1];
    if (strcmp(mode, "send") && strcmp(mode, "recv")) {
        return bad_usage("unknown command", mode);
    }
    sending = !strcmp(mode, "send");
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        uint64_t v;
        char *end;
        switch (c) {
        case O_IFACE:
            so.iface = ro.iface = optarg;
            break;
        case O_DST:
            if (parse_mac(optarg, so.dst)) {
                return bad_usage("bad --dst-mac", optarg);
            }
            have_dst = true;
            break;
        case O_SRC:
            if (parse_mac(optarg, so.src)) {
                return bad_usage("bad --src-mac", optarg);
            }
            have_src = true;
            break;
        case O_VLAN:
            /* N, or A-B: frame i carries VID A + i mod (B - A + 1). */
            v = strtoull(optarg, &end, 10);
            if (end == optarg || v > 4095 || (*end && *end != '-')) {
                return bad_usage("bad --vlan (0..4095, or A-B)", optarg);
            }
            so.vlan = so.vlan_hi = v;
            if (*end == '-') {
                char *e2;
                uint64_t hi = strtoull(end + 1, &e2, 10);
                if (*e2 || e2 == end + 1 || hi > 4095 || hi < v) {
                    return bad_usage("bad --vlan range (A-B, A <= B <= 4095)", optarg);
                }
                so.vlan_hi = hi;
            }
            break;
        case O_RATE:
            if (parse_si(optarg, &so.pps)) {
                return bad_usage("bad --rate (packets/s, e.g. 10k)", optarg);
            }
            so.have_rate = true;
            break;
        case O_BPS:
            if (parse_si(optarg, &so.bps) || !so.bps) {
                return bad_usage("bad --bps (bits/s, e.g. 10M)", optarg);
            }
            so.have_rate = true;
            break;
        case O_SIZE:
            v = strtoull(optarg, &end, 10);
            if (*end || end == optarg || v < 60 || v > GEN_MAX_FRAME) {
                return bad_usage("bad --size (60..9018 bytes, no FCS)", optarg);
            }
            so.size = v;
            break;
        case O_DUR:
            if (parse_duration(optarg, &so.duration)) {
                return bad_usage("bad --duration (seconds > 0)", optarg);
            }
            ro.duration = so.duration;
            break;
        case O_COUNT:
            if (parse_si(optarg, &so.count)) {
                return bad_usage("bad --count", optarg);
            }
            break;
        case O_PTAG:
            so.tag = optarg;
            break;
        case O_TAG:
            ro.tag = optarg;
            break;
        case O_ETYPE:
            v = strtoull(optarg, &end, 0);
            if (*end || end == optarg || v < 0x600 || v > 0xffff) {
                return bad_usage("bad --ethertype (0x0600..0xffff)", optarg);
            }
            so.ethertype = v;
            break;
        case O_JSON:
            so.json = ro.json = true;
            break;
        case O_HELP:
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        return bad_usage("unexpected argument", argv[optind]);
    }
    if (!so.iface) {
        return bad_usage("--iface is required", NULL);
    }
    if (!so.duration) {
        return bad_usage("--duration is required", NULL);
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (!sending) {
        if (so.tag || have_dst || have_src || so.have_rate) {
            return bad_usage("recv takes --iface, --duration, --tag, --json", NULL);
        }
        return do_recv(&ro);
    }
    if (ro.tag) {
        return bad_usage("send takes --payload-tag, not --tag", NULL);
    }
    if (!have_dst || !have_src) {
        return bad_usage("send needs --dst-mac and --src-mac", NULL);
    }
    if (!so.have_rate) {
        return bad_usage("send needs --rate or --bps", NULL);
    }
    if (so.pps && so.bps) {
        return bad_usage("give --rate or --bps, not both", NULL);
    }
    {
        size_t head = 14 + (so.vlan >= 0 ? 4 : 0);
        size_t need = head + (so.tag ? strlen(so.tag) : 0) + sizeof(uint64_t);
        if (need > so.size) {
            return bad_usage("--size too small for the header, tag and "
                             "sequence number", NULL);
        }
    }
    return do_send(&so);
}
