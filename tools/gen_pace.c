#include "gen_pace.h"

#define NS_PER_S 1000000000ULL

void
gen_pace_init(struct gen_pace *pace, uint64_t pps, uint64_t depth,
              uint64_t now_ns)
{
    pace->pps = pps;
    pace->depth = depth ? depth : 1;
    pace->tokens = 0;
    pace->last_ns = now_ns;
}

static void
gen_pace_refill(struct gen_pace *pace, uint64_t now_ns)
{
    uint64_t cap = pace->depth * NS_PER_S;
    uint64_t dt;

    if (now_ns <= pace->last_ns) {
        return;
    }
    dt = now_ns - pace->last_ns;
    pace->last_ns = now_ns;
    /* dt * pps cannot overflow below the cap: cap / pps bounds dt. */
    if (dt >= (cap - pace->tokens) / pace->pps + 1) {
        pace->tokens = cap;
    } else {
        pace->tokens += dt * pace->pps;
        if (pace->tokens > cap) {
            pace->tokens = cap;
        }
    }
}

uint64_t
gen_pace_take(struct gen_pace *pace, uint64_t now_ns, uint64_t max)
{
    uint64_t n;

    if (!pace->pps) {
        return max;
    }
    gen_pace_refill(pace, now_ns);
    n = pace->tokens / NS_PER_S;
    if (n > max) {
        n = max;
    }
    pace->tokens -= n * NS_PER_S;
    return n;
}

void
gen_pace_give_back(struct gen_pace *pace, uint64_t n)
{
    if (pace->pps) {
        pace->tokens += n * NS_PER_S;
    }
}

uint64_t
gen_pace_wait_ns(const struct gen_pace *pace)
{
    uint64_t missing;

    if (!pace->pps || pace->tokens >= NS_PER_S) {
        return 0;
    }
    missing = NS_PER_S - pace->tokens;
    return (missing + pace->pps - 1) / pace->pps;
}

uint64_t
gen_pace_pps_from_bps(uint64_t bps, uint32_t frame_bytes)
{
    uint64_t bits = (uint64_t) frame_bytes * 8;
    uint64_t pps;

    if (!bps || !bits) {
        return 0;
    }
    pps = (bps + bits / 2) / bits;
    return pps ? pps : 1;
}

uint64_t
gen_pace_default_depth(uint64_t pps, uint64_t batch)
{
    uint64_t depth = pps / 100;
    return depth > batch ? depth : batch;
}
