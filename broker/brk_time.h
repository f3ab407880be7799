/*
 * brk_time: the times and durations of leases, as people write them.
 *
 * The broker counts time in whole seconds since the Unix epoch (UTC)
 * everywhere: in the store, in admission, in the lease state machine.
 * People write times in RFC 3339 ("2026-12-06T18:00:00Z" or with an
 * offset, "2026-12-06T19:00:00+01:00"; fractions of a second are
 * refused rather than silently dropped) and durations as a sequence of
 * number+unit ("90s", "30m", "1h30m", "2d", "1w"; units s m h d w, each at
 * most once, in decreasing order).  Every lease time shown to a person is
 * RFC 3339 in UTC, so two InPs and the broker never disagree on a zone.
 */
#ifndef LAMINA_BRK_TIME_H
#define LAMINA_BRK_TIME_H 1

#include <stddef.h>
#include <stdint.h>

/* Parses RFC 3339 's' into '*t'.  Returns 0 or EINVAL. */
int brk_time_parse(const char *s, int64_t *t);

/* Formats 't' as "YYYY-MM-DDTHH:MM:SSZ" into 'buf' and returns 'buf'. */
const char *brk_time_format(int64_t t, char *buf, size_t size);

/* Parses duration 's' into '*secs' (> 0).  Returns 0, EINVAL or ERANGE
 * (more than 100 years). */
int brk_duration_parse(const char *s, int64_t *secs);

/* Wall-clock seconds since the epoch. */
int64_t brk_time_now(void);

#endif /* LAMINA_BRK_TIME_H */
