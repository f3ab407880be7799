/*
 * ofagent: the switch side of OpenFlow 1.3 for lamina-switchd.
 *
 * What?
 * =====
 *
 * Every vnode whose forwarding plane is `openflow` (dataplane/fp_openflow.h)
 * is an OpenFlow switch of its own: a datapath id, ports (vport index + 1,
 * named after the vport), the vnode's pipeline as its flow tables.  The
 * agent keeps one connection set per such switch: active connections to
 * the controllers of its config ("controller": "tcp:HOST:PORT" or
 * "ssl:HOST:PORT", reconnected with exponential backoff from 1 to 8 s) and
 * the connections a passive listener accepts ("listen": "ptcp:PORT[:ADDR]"
 * or "pssl:PORT[:ADDR]", as `ovs-ofctl` uses; loopback unless ADDR is
 * given).  TLS (OpenSSL, 1.2+) is mutual as in Open vSwitch: the vnode's
 * "private_key" and "certificate" identify the switch, peers must present
 * a certificate that verifies against its "ca_cert".  Connections are
 * channels of the OpenFlow connection layer (lib/openflow/ofchan.h,
 * ofstream.h): non-blocking connect and handshake in the same poll loop,
 * framing, and bounded output (a peer that does not read its replies
 * stops being read, then is dropped); listeners are capped per listener
 * and per source address.
 *
 * Messages are decoded and encoded by the one codec (lib/openflow/); the
 * agent adds what needs switch state: flow, group and meter mods go to
 * the pipeline (ofpl.h) with the workers paused — everything read from
 * all connections in one pass is applied under one dp_pause(); packet-ins
 * come from dp_punt_receive(); packet-outs run their actions here on a
 * copy of the frame and are injected with dp_vnode_inject() (OFPP_TABLE:
 * into the pipeline).  Errors carry the specification's codes.
 *
 * Threads
 * =======
 *
 * Control thread only.  The daemon's loop adds the agent's descriptors to
 * its poll set (ofagent_pollfds()), calls ofagent_run() after poll() and
 * ofagent_sync() after every management request, so that new or removed
 * openflow vnodes and vports are picked up (PORT_STATUS).
 */
#ifndef LAMINA_OFAGENT_H
#define LAMINA_OFAGENT_H 1

#include <poll.h>
#include <stddef.h>

struct ofagent;

struct ofagent *ofagent_create(void);
/* Closes every connection and listener; accepts NULL. */
void ofagent_destroy(struct ofagent *);

/* Reconciles the agent with the dataplane: an OpenFlow switch per
 * openflow vnode, a port per vport. */
void ofagent_sync(struct ofagent *);

/* Appends the agent's descriptors to '*pfds' (of '*cap' entries, grown as
 * needed) after its first 'n' entries; returns the new count. */
size_t ofagent_pollfds(struct ofagent *, struct pollfd **pfds, size_t *cap,
                       size_t n);

/* The longest the caller's poll() may sleep, in ms. */
int ofagent_timeout_ms(const struct ofagent *);

/* Serves what poll() reported on the 'n' entries that ofagent_pollfds()
 * added (at 'pfds'), then the agent's timers. */
void ofagent_run(struct ofagent *, const struct pollfd *pfds, size_t n);

#endif /* LAMINA_OFAGENT_H */
