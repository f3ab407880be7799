/*
 * lamina-pcapgen: traffic of many addresses for the benchmarks, written as
 * two pcap files (one per side of a switch) that DPDK's net_pcap driver
 * replays in a loop (`--vdev net_pcap0,rx_pcap=A,infinite_rx=1`), so that
 * every contender of a bench is offered exactly the same frames.
 *
 *   lamina-pcapgen --out-a A.pcap --out-b B.pcap --macs N
 *                  [--frames F] [--flows K] [--size 64|imix|BYTES]
 *                  [--vlans V] [--seed S]
 *
 * Side A holds N distinct source MACs (02:0a:xx:xx:xx:xx), side B N others
 * (02:0b:...).  Frame i of side A comes from A[i mod N] and goes to
 * B[p(i) mod N], frame i of side B from B[i mod N] to A[p(i) mod N], p a
 * fixed permutation of the frame indices: so a switch that learns sees
 * every address of each side as a source once per loop of the file, and
 * every destination of a frame is an address that the other side sources
 * (after one loop, lookups hit).  F (default N, at least N) frames per
 * side.  Each frame is IPv4/UDP; K distinct flows per side (default F):
 * frame i carries flow i mod K, which sets the UDP source port and the low
 * bits of the IPv4 addresses, so that flow tables see K 5-tuples.
 *
 * --size 64 writes 60-byte frames (64 on the wire with the FCS); imix
 * writes the simple IMIX 7:4:1 of 64, 594 and 1518 wire bytes (60, 590,
 * 1514 captured) in the order 64 594 64 64 1518 64 594 64 64 594 64 594
 * (repeating), BYTES a fixed size (60..1514).  --vlans V (1..4094, a
 * divisor of N) tags frame i with VLAN 1 + (i mod V), for benches of many
 * slices by VLAN: station k is always on VLAN 1 + (k mod V), and a frame
 * goes to a station of its own VLAN.
 *
 * Prints one JSON line: {"frames", "macs", "flows", "bytes_a", "bytes_b",
 * "mean_wire_bytes"}.  Exit status 0, 1 on an I/O error, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCAPGEN_MAX_FRAME 1514
#define PCAPGEN_MAX_COUNT (1u << 24)

/* The wire sizes (with FCS) of the simple IMIX, in a fixed order of 12
 * with the ratio 7:4:1. */
static const uint16_t imix_order[12] = {
    64, 594, 64, 64, 1518, 64, 594, 64, 64, 594, 64, 594
};

struct pcapgen_opts {
    const char *out_a;
    const char *out_b;
    uint32_t macs;
    uint32_t frames;
    uint32_t flows;
    uint32_t vlans;             /* 0: untagged */
    int size;                   /* captured bytes, or 0 for IMIX */
    uint32_t seed;
};

static void
usage(FILE *f)
{
    fprintf(f,
"usage: lamina-pcapgen --out-a FILE --out-b FILE --macs N [--frames F]\n"
"                      [--flows K] [--size 64|imix|BYTES] [--vlans V] [--seed S]\n"
"\n"
"Writes two pcap files of IPv4/UDP frames: side A from N source MACs to\n"
"side B's, side B from its N MACs to side A's (F frames each, default N),\n"
"K distinct flows per side (default F).  For DPDK net_pcap with\n"
"rx_pcap=FILE,infinite_rx=1.\n");
}

/* Parses 'arg' of option 'name' as an unsigned integer in [min, max] into
 * '*out'.  Returns 0 or EINVAL with a message naming the option. */
static int
parse_u32(const char *name, const char *arg, uint32_t min, uint32_t max,
          uint32_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (!*arg || *end || arg[0] == '-' || errno || v < min || v > max) {
        fprintf(stderr, "lamina-pcapgen: --%s: '%s' is not a number in "
                "[%" PRIu32 ", %" PRIu32 "]\n", name, arg, min, max);
        return EINVAL;
    }
    *out = v;
    return 0;
}

/* The source MAC of address 'index' of side 'side' ('a' or 'b'): locally
 * administered unicast 02:0a|0b:<32-bit index>. */
static void
side_mac(char side, uint32_t index, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = side == 'a' ? 0x0a : 0x0b;
    mac[2] = index >> 24;
    mac[3] = index >> 16;
    mac[4] = index >> 8;
    mac[5] = index;
}

static uint64_t
gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A bijection of [0, n) (n > 0) from frame index to destination slot:
 * i * m + seed mod n with m coprime to n, so consecutive frames go to
 * scattered destinations. */
static uint32_t
permute(uint32_t i, uint32_t n, uint32_t seed)
{
    uint64_t m = 40503;

    while (gcd(m, n) != 1) {
        m++;
    }
    return (uint32_t) (((uint64_t) i * m + seed) % n);
}

/* Internet checksum of the IPv4 header at 'h' of 'len' bytes. */
static uint16_t
ip_checksum(const uint8_t *h, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t) h[i] << 8 | h[i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum & 0xffff;
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

/* Builds frame 'i' of side 'side' into 'f' (PCAPGEN_MAX_FRAME bytes);
 * returns its captured length. */
static size_t
build_frame(const struct pcapgen_opts *o, char side, uint32_t i, uint8_t *f)
{
    char peer = side == 'a' ? 'b' : 'a';
    uint32_t flow = i % o->flows;
    size_t len = o->size ? (size_t) o->size : imix_order[i % 12] - 4u;
    uint8_t *p = f;

    memset(f, 0, len);
    uint32_t d = permute(i, o->frames, o->seed) % o->macs;
    if (o->vlans) {
        d = d - d % o->vlans + i % o->vlans;    /* a station of the same VLAN */
    }
    side_mac(peer, d, p);
    side_mac(side, i % o->macs, p + 6);
    p += 12;
    if (o->vlans) {
        put16(p, 0x8100);
        put16(p + 2, 1 + i % o->vlans);
        p += 4;
    }
    put16(p, 0x0800);
    p += 2;

    /* IPv4: 10.<side>.<flow hi>.<flow lo> to 10.<peer>.<flow lo>.<flow hi>
     * (flows < 2^16 give distinct pairs; more wrap), UDP sport 1024 + flow
     * mod 64,512, dport 5000 + flow / 64,512. */
    uint8_t *ip = p;
    size_t ip_len = len - (size_t) (ip - f);
    ip[0] = 0x45;
    put16(ip + 2, ip_len);
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10;
    ip[13] = side == 'a' ? 1 : 2;
    ip[14] = flow >> 8;
    ip[15] = flow;
    ip[16] = 10;
    ip[17] = side == 'a' ? 2 : 1;
    ip[18] = flow;
    ip[19] = flow >> 8;
    put16(ip + 10, ip_checksum(ip, 20));

    uint8_t *udp = ip + 20;
    put16(udp, 1024 + flow % 64512);
    put16(udp + 2, 5000 + flow / 64512);
    put16(udp + 4, ip_len - 20);
    /* UDP checksum 0: none (allowed for IPv4). */
    return len;
}

/* pcap headers in host byte order, as libpcap reads either order. */
struct pcap_file_header_le {
    uint32_t magic;
    uint16_t major, minor;
    int32_t thiszone;
    uint32_t sigfigs, snaplen, linktype;
};

struct pcap_rec_header {
    uint32_t ts_sec, ts_usec, caplen, len;
};

/* Writes side 'side' to 'path'; adds its bytes to '*bytes'.  Returns 0 or
 * an errno with a message naming the file. */
static int
write_side(const struct pcapgen_opts *o, char side, const char *path,
           uint64_t *bytes)
{
    static uint8_t frame[PCAPGEN_MAX_FRAME];
    struct pcap_file_header_le fh = {
        .magic = 0xa1b2c3d4, .major = 2, .minor = 4,
        .snaplen = 65535, .linktype = 1,        /* LINKTYPE_ETHERNET */
    };
    FILE *f = fopen(path, "wb");
    int error = 0;

    if (!f) {
        error = errno;
        fprintf(stderr, "lamina-pcapgen: %s: %s\n", path, strerror(error));
        return error;
    }
    if (fwrite(&fh, sizeof fh, 1, f) != 1) {
        error = errno ? errno : EIO;
    }
    for (uint32_t i = 0; i < o->frames && !error; i++) {
        size_t len = build_frame(o, side, i, frame);
        struct pcap_rec_header rh = {
            .ts_sec = i / 1000000, .ts_usec = i % 1000000,
            .caplen = len, .len = len,
        };
        if (fwrite(&rh, sizeof rh, 1, f) != 1 || fwrite(frame, len, 1, f) != 1) {
            error = errno ? errno : EIO;
        }
        *bytes += len;
    }
    if (fclose(f) && !error) {
        error = errno ? errno : EIO;
    }
    if (error) {
        fprintf(stderr, "lamina-pcapgen: %s: write failed: %s\n", path,
                strerror(error));
    }
    return error;
}

/* Parses the command line into 'o'.  Returns 0, or 2 after a message. */
static int
parse_options(int argc, char *argv[], struct pcapgen_opts *o)
{
    enum { OPT_A = 256, OPT_B, OPT_MACS, OPT_FRAMES, OPT_FLOWS, OPT_SIZE,
           OPT_VLANS, OPT_SEED };
    static const struct option long_options[] = {
        { "out-a", required_argument, NULL, OPT_A },
        { "out-b", required_argument, NULL, OPT_B },
        { "macs", required_argument, NULL, OPT_MACS },
        { "frames", required_argument, NULL, OPT_FRAMES },
        { "flows", required_argument, NULL, OPT_FLOWS },
        { "size", required_argument, NULL, OPT_SIZE },
        { "vlans", required_argument, NULL, OPT_VLANS },
        { "seed", required_argument, NULL, OPT_SEED },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof *o);
    o->size = 60;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        uint32_t v;
        switch (c) {
        case OPT_A: o->out_a = optarg; break;
        case OPT_B: o->out_b = optarg; break;
        case OPT_MACS:
            if (parse_u32("macs", optarg, 1, PCAPGEN_MAX_COUNT, &o->macs)) {
                return 2;
            }
            break;
        case OPT_FRAMES:
            if (parse_u32("frames", optarg, 1, PCAPGEN_MAX_COUNT, &o->frames)) {
                return 2;
            }
            break;
        case OPT_FLOWS:
            if (parse_u32("flows", optarg, 1, PCAPGEN_MAX_COUNT, &o->flows)) {
                return 2;
            }
            break;
        case OPT_VLANS:
            if (parse_u32("vlans", optarg, 1, 4094, &o->vlans)) {
                return 2;
            }
            break;
        case OPT_SEED:
            if (parse_u32("seed", optarg, 0, UINT32_MAX, &o->seed)) {
                return 2;
            }
            break;
        case OPT_SIZE:
            if (!strcmp(optarg, "imix")) {
                o->size = 0;
            } else if (!strcmp(optarg, "64")) {
                o->size = 60;
            } else if (parse_u32("size", optarg, 60, PCAPGEN_MAX_FRAME, &v)) {
                return 2;
            } else {
                o->size = v;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !o->out_a || !o->out_b || !o->macs) {
        usage(stderr);
        return 2;
    }
    if (!o->frames) {
        o->frames = o->macs;
    }
    if (o->frames < o->macs) {
        fprintf(stderr, "lamina-pcapgen: --frames %" PRIu32 " is fewer than "
                "--macs %" PRIu32 ": some addresses would never be sources\n",
                o->frames, o->macs);
        return 2;
    }
    if (!o->flows) {
        o->flows = o->frames;
    }
    if (o->vlans && o->macs % o->vlans) {
        fprintf(stderr, "lamina-pcapgen: --vlans %" PRIu32 " does not divide "
                "--macs %" PRIu32 " (each VLAN must hold the same stations on "
                "both sides)\n", o->vlans, o->macs);
        return 2;
    }
    if (o->vlans && o->size && o->size < 64) {
        o->size = 64;           /* the tag must not shrink the payload */
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    struct pcapgen_opts o;
    uint64_t bytes_a = 0, bytes_b = 0;
    int rc = parse_options(argc, argv, &o);

    if (rc) {
        return rc;
    }
    if (write_side(&o, 'a', o.out_a, &bytes_a)
        || write_side(&o, 'b', o.out_b, &bytes_b)) {
        return 1;
    }
    printf("{\"frames\": %" PRIu32 ", \"macs\": %" PRIu32 ", \"flows\": %"
           PRIu32 ", \"bytes_a\": %" PRIu64 ", \"bytes_b\": %" PRIu64
           ", \"mean_wire_bytes\": %.1f}\n", o.frames, o.macs, o.flows,
           bytes_a, bytes_b, (double) bytes_a / o.frames + 4);
    return 0;
}
