/*
 * crc32c: the CRC-32C (Castagnoli) checksum, as SCTP carries it (RFC 4960
 * appendix B, RFC 3309).
 *
 * The OpenFlow pipeline recomputes an SCTP packet's checksum after it
 * rewrites a port: unlike TCP's and UDP's, the SCTP checksum cannot be
 * patched incrementally.  A byte-at-a-time table (1 KiB, built at first
 * use) is enough for that: rewriting SCTP ports is rare.
 */
#ifndef LAMINA_CRC32C_H
#define LAMINA_CRC32C_H 1

#include <stddef.h>
#include <stdint.h>

/* Continues the CRC-32C 'crc' (0 to start) over 'n' bytes of 'p' and
 * returns it (pre- and post-inverted, as SCTP and iSCSI use it:
 * crc32c(0, "123456789", 9) == 0xe3069283). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif /* LAMINA_CRC32C_H */
