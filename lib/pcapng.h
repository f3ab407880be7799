/*
 * pcapng: a minimal writer of pcapng files (the format of Wireshark and
 * tcpdump -r), for `lamina capture`.
 *
 * One section (Section Header Block), interfaces declared with
 * pcapng_interface() (Interface Description Block: link type Ethernet,
 * snap length, name, nanosecond timestamps), then packets (Enhanced
 * Packet Block with the direction in epb_flags).  Blocks are written
 * whole with stdio and flushed by pcapng_flush(), so a reader sees whole
 * packets while a capture runs.
 */
#ifndef LAMINA_PCAPNG_H
#define LAMINA_PCAPNG_H 1

#include <stddef.h>
#include <stdint.h>

struct pcapng;

enum pcapng_dir { PCAPNG_DIR_UNKNOWN, PCAPNG_DIR_IN, PCAPNG_DIR_OUT };

/* Creates 'path' (mode 0600, refusing to follow a symlink) and writes
 * the section header.  Returns 0 with '*wp' or an errno with 'err'. */
int pcapng_open(const char *path, struct pcapng **wp, char *err,
                size_t errsize);
/* Declares an interface; returns its index (0, 1, ...). */
unsigned pcapng_interface(struct pcapng *, const char *name,
                          uint32_t snaplen);
/* Writes a packet of interface 'iface' captured at 'ts_ns' (ns since the
 * epoch): 'caplen' bytes of 'data', 'origlen' on the wire.  Returns 0 or
 * an errno (disk full). */
int pcapng_packet(struct pcapng *, unsigned iface, uint64_t ts_ns,
                  const void *data, uint32_t caplen, uint32_t origlen,
                  enum pcapng_dir dir);
int pcapng_flush(struct pcapng *);
/* Flushes and closes; accepts NULL.  Returns 0 or the first write error. */
int pcapng_close(struct pcapng *);

#endif /* LAMINA_PCAPNG_H */
