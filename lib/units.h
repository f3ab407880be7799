/*
 * units: the quantities people type, parsed one way everywhere.
 *
 * Rates are bits per second with an optional SI suffix (powers of 1000,
 * as network rates are always counted): "100k" = 100,000, "10M" =
 * 10,000,000, "1.5G" = 1,500,000,000, "2T".  The suffix may be followed
 * by "bps" or "bit/s" ("10Mbps"), and a plain number is bits/s.  At most
 * 9 decimal places; the result is rounded down to a whole bit/s.
 *
 * Delays are microseconds: "250" or "250us", "10ms", "1.5s".
 *
 * Loss is a percentage ("0.5" or "0.5%", 0..100) or parts per million
 * ("5000ppm"), returned in parts per million.
 *
 * Every parser returns 0 or EINVAL (not a number, an unknown suffix,
 * trailing garbage, a negative value) or ERANGE (too large).
 */
#ifndef LAMINA_UNITS_H
#define LAMINA_UNITS_H 1

#include <stddef.h>
#include <stdint.h>

/* Parses rate 's' into '*bps' (bits per second). */
int units_parse_rate(const char *s, uint64_t *bps);

/* Parses delay 's' into '*us' (microseconds, at most UINT32_MAX). */
int units_parse_delay(const char *s, uint32_t *us);

/* Parses loss 's' into '*ppm' (0..1,000,000). */
int units_parse_loss(const char *s, uint32_t *ppm);

/* Formats 'bps' compactly ("1.5G", "100k", "0") into 'buf'. */
const char *units_format_rate(uint64_t bps, char *buf, size_t size);

#endif /* LAMINA_UNITS_H */
