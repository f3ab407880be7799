/*
 * gen_pace: the clock arithmetic of lamina-gen's sender.
 *
 * What?  A token bucket in whole packets, filled by the monotonic clock at
 * 'pps' packets per second.  The sender asks how many packets it may send
 * now (at most one batch), sends them, gives back what the socket did not
 * take, and sleeps until the next token when the bucket is empty.  So the
 * offered rate follows the clock, not the speed of the loop.
 *
 * Depth.  The bucket holds at most 'depth' packets: after a stall (the
 * sender was descheduled on a busy machine) it catches up by at most that
 * many, so the long-run rate stays exact over stalls shorter than
 * depth/pps and the bursts stay bounded.  lamina-gen uses 10 ms worth of
 * packets, and never less than one batch.
 *
 * Fixed point.  Tokens are kept in packet-nanoseconds (one packet =
 * 10^9 units), so no rate is rounded: 3 pps gives exactly 3 packets a
 * second, 1 every 333,333,333.3 ns.
 *
 * Rates on the wire.  A bit rate counts the frame as the sender writes it
 * (destination MAC to the end of the payload, no FCS, no preamble or
 * inter-frame gap), which is how DPDK's and the kernel's byte counters
 * count it.  gen_pace_pps_from_bps() rounds to the nearest packet rate.
 */
#ifndef LAMINA_GEN_PACE_H
#define LAMINA_GEN_PACE_H 1

#include <stdint.h>

struct gen_pace {
    uint64_t pps;          /* Packets per second; 0 = unlimited. */
    uint64_t depth;        /* Bucket size in packets (>= 1). */
    uint64_t tokens;       /* Packet-nanoseconds available. */
    uint64_t last_ns;      /* Clock of the last refill. */
};

/* Starts 'pace' empty at time 'now_ns', filling at 'pps' packets/s up to
 * 'depth' packets (0 is taken as 1).  pps = 0 means no limit. */
void gen_pace_init(struct gen_pace *pace, uint64_t pps, uint64_t depth,
                   uint64_t now_ns);

/* Refills 'pace' up to 'now_ns' and takes up to 'max' whole packets.
 * Returns how many the caller may send now (0..max). */
uint64_t gen_pace_take(struct gen_pace *pace, uint64_t now_ns, uint64_t max);

/* Gives back 'n' packets taken but not sent (the socket refused them). */
void gen_pace_give_back(struct gen_pace *pace, uint64_t n);

/* Nanoseconds from the last refill until one whole packet is available
 * (0 if one is available already or the rate is unlimited). */
uint64_t gen_pace_wait_ns(const struct gen_pace *pace);

/* Packet rate that carries 'bps' bits per second in frames of
 * 'frame_bytes' bytes, rounded to the nearest (at least 1 if bps > 0). */
uint64_t gen_pace_pps_from_bps(uint64_t bps, uint32_t frame_bytes);

/* The bucket depth lamina-gen uses at 'pps': 10 ms of packets, at least
 * 'batch'. */
uint64_t gen_pace_default_depth(uint64_t pps, uint64_t batch);

#endif /* LAMINA_GEN_PACE_H */
