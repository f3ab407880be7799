/*
 * bill: what each lease costs, per InP, and what each InP earns.
 *
 * What?
 * =====
 *
 * When a lease commits, each InP's part of it is fixed: the CPU units and
 * the bandwidth it reserves there, and that InP's prices in force at that
 * moment (from its offer).  A part accrues, for every second between its
 * start and its end (or its early release, whichever is first):
 *
 *   cpu x price per CPU-unit-hour / 3600  +  Mbit/s x price per Mbit/s-hour / 3600
 *
 * where Mbit/s is the reserved bandwidth in bits/s / 10^6 (not rounded).
 * Later price changes do not touch committed leases; a renew extends a
 * part at its commit prices.  Nothing accrues before the start, and an
 * early release stops the charge at the release time.
 *
 * Money is an integer count of micro-units of one currency (1.000000 =
 * 1,000,000), so sums are exact; a part's charge is computed in one
 * 128-bit expression and rounded down to the micro-unit once, at the end.
 * Amounts are written with six decimals ("3.300000").
 */
#ifndef LAMINA_BILL_H
#define LAMINA_BILL_H 1

#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

/* An InP's prices, in micro-units. */
struct bill_prices {
    int64_t cpu_hour;           /* per CPU unit and hour */
    int64_t mbps_hour;          /* per Mbit/s and hour */
};

/* One lease's part on one InP. */
struct bill_part {
    const char *lease;
    const char *sp;
    const char *inp;
    int64_t cpu;                /* CPU units reserved */
    uint64_t bandwidth;         /* bits/s reserved (sum over its links) */
    struct bill_prices prices;  /* in force at commit */
    int64_t start, end;         /* granted interval, seconds */
    int64_t released;           /* early release time, or 0 */
};

/* The charge of 'part' accrued up to time 'until', in micro-units. */
int64_t bill_part_charge(const struct bill_part *part, int64_t until);

/* Formats micro-units 'amount' as "-12.345678" into 'buf'. */
const char *bill_format_amount(int64_t amount, char *buf, size_t size);

/* Parses a non-negative amount with at most six decimals ("0.5", "12",
 * "0.000001") into micro-units.  Returns 0, EINVAL or ERANGE. */
int bill_parse_amount(const char *s, int64_t *amount);

/* The bill of SP 'sp' up to 'until' from the 'n' parts (others ignored):
 *   {"sp": .., "until": .., "leases": [{"lease": .., "parts": [{"inp": ..,
 *    "cpu": .., "bandwidth": .., "seconds": .., "amount": "3.300000",
 *    "micro": 3300000}], "amount": .., "micro": ..}], "amount": ..,
 *    "micro": ..}
 * with leases and parts in the order first met. */
json_t *bill_report_sp(const struct bill_part *parts, size_t n,
                       const char *sp, int64_t until);

/* The revenue of InP 'inp' up to 'until': {"inp": .., "leases": [{"lease":
 * .., "sp": .., "amount": .., "micro": ..}], "amount": .., "micro": ..}. */
json_t *bill_report_inp(const struct bill_part *parts, size_t n,
                        const char *inp, int64_t until);

#endif /* LAMINA_BILL_H */
