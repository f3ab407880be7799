/* Random fault injection for the chaos tests; see fault.h. */
#include "fault.h"

#include <stdlib.h>
#include <unistd.h>

#include "util.h"

static uint64_t fault_state;

void
fault_init(void)
{
    const char *s = getenv("LAMINA_FAULT_SEED");
    char *end;
    unsigned long long v = s ? strtoull(s, &end, 0) : 0;

    if (!s || *end || end == s) {
        v = time_ns() ^ ((uint64_t) getpid() << 32);
    }
    __atomic_store_n(&fault_state, v, __ATOMIC_RELAXED);
}

double
fault_prob(const char *var)
{
    const char *s = getenv(var);
    char *end;
    double p;

    if (!s) {
        return 0;
    }
    p = strtod(s, &end);
    return end != s && !*end && p >= 0 && p <= 1 ? p : 0;
}

/* The next number of a splitmix64 sequence (thread-safe). */
static uint64_t
fault_next(void)
{
    uint64_t z = __atomic_add_fetch(&fault_state, 0x9e3779b97f4a7c15ULL,
                                    __ATOMIC_RELAXED);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

bool
fault_roll(double p)
{
    return p > 0 && (fault_next() >> 11) * 0x1.0p-53 < p;
}

uint64_t
fault_below(uint64_t n)
{
    return fault_next() % n;
}
