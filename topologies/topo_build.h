/*
 * topo_build: bringing a topology up on this machine and down again.
 *
 * What `up` makes
 * ===============
 *
 * One lamina-switchd for the whole topology, started detached with its
 * own socket, state file, pidfile and DPDK file prefix ("topo-NAME"),
 * all under the run directory /run/lamina/topo-NAME/.  In it: a switch
 * per topology switch, an in-process link per topology link (rate, delay
 * and loss emulated by the dataplane), a port per host on an af_packet
 * device over the switch end of the host's veth, and the default slice
 * (topo_slice.h).  Outside it: a named network namespace per host
 * (`ip netns exec NAME` works) holding the host end of the veth, "eth0",
 * with the host's MAC and address and TX checksum offload off.
 *
 * Requests to the daemon go in JSON-RPC batches of up to 1000, so that a
 * map of a thousand links costs a few round trips, not thousands.
 *
 * The record
 * ==========
 *
 * Before anything is made, `up` writes to the run directory the
 * topology (in the text format) and record.json, which names everything
 * it is about to make: namespaces, veths, the DPDK prefix, the daemon's
 * pidfile.  `down` removes what the record names, whether or not it
 * exists any more, so it also cleans up after a crash of the daemon or
 * of `up` itself.  The other commands (status, exec, link, dot, path)
 * find the topology through the record.
 *
 * Across machines
 * ===============
 *
 * With a machines file, `up` makes no daemon: it splits the map over the
 * machines' running lamina-switchd processes (topo_partition(), hosts
 * with their switch), adds each machine's switches, links and host
 * ports to its daemon, an underlay port "ul" on the machine's first
 * switch, and for each cut link a tunnel port ("mplsudp:") on both ends
 * with the link's rate, delay and loss.  Each default-slice virtual link
 * crossing machines is split into a border piece at each end and a
 * transit piece on each machine between, with one label per crossing,
 * the same on both sides.  `down` deletes from each daemon what `up`
 * added (and the host namespaces); the daemons keep running.  For now
 * two machines share at most one cut link (one tunnel per pair of
 * underlay addresses).  `link` of a cut link sets both its tunnel
 * ports.
 */
#ifndef LAMINA_TOPO_BUILD_H
#define LAMINA_TOPO_BUILD_H 1

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "topo_slice.h"

struct topo;

#define TOPO_RUN_BASE "/run/lamina"

/* One machine of `up --machines FILE`: a lamina-switchd that is already
 * running, reached on its management socket, with the interface and
 * address its switches use as the tunnels' underlay. */
struct topo_machine {
    char *name;
    char *socket;               /* its JSON-RPC socket */
    char *underlay;             /* interface, given as "afpacket:IF" */
    char *ip;                   /* its underlay address (not the kernel's) */
    char *netns;                /* named namespace of that daemon on this
                                 * host, where the hosts' veths go; NULL:
                                 * the caller's */
};

struct topo_machines {
    struct topo_machine *m;
    size_t n;
};

/* Reads a machines file: one machine a line, "NAME socket=PATH
 * underlay=IF ip=ADDR [netns=NS]", '#' starts a comment.  Returns 0, or
 * EINVAL / errno with '*errp' naming the file and line. */
int topo_machines_parse_file(const char *path, struct topo_machines *,
                             char **errp);
void topo_machines_destroy(struct topo_machines *);

struct topo_up_opts {
    const char *name;               /* the topology's run name */
    const char *netns_prefix;       /* prefix of namespace names; NULL: "" */
    enum topo_slice_mode slice;     /* the default slice's shape */
    const char *switchd;            /* the daemon's path; NULL: found */
    unsigned int memory_mb;         /* DPDK memory; 0: by size */
    bool progress;                  /* show progress on stderr */
    bool summary;                   /* a line with times when done */
    bool keep_on_error;             /* do not clean up a failed up */
    /* Passed to lamina-switchd as --metrics (its /metrics and live view,
     * laid out by the switches' coordinates), or NULL. */
    const char *metrics;
    /* Several machines (topo_build.c, "Across machines"), or NULL: one
     * lamina-switchd of the topology's own. */
    const struct topo_machines *machines;
    /* With 'machines': no BFD on the tunnels (default: 10 ms x 3 on each,
     * so that a silent cut moves the default slice to its backups). */
    bool no_bfd;
};

/* Hosts one topology may have (each is an AF_PACKET port and a
 * namespace; the bound keeps memory and set-up time sensible). */
#define TOPO_MAX_HOSTS 4096
unsigned int topo_max_hosts(void);

/* Brings 't' up.  Returns 0, or a positive errno with '*errp' saying
 * what failed (what was made is removed unless keep_on_error). */
int topo_up(const struct topo *t, const struct topo_up_opts *, char **errp);

/* Removes everything of topology 'name'.  Returns 0, or ENOENT if no
 * such topology is recorded, or another errno with '*errp' saying what
 * could not be removed.  Reports what it does on 'log' (may be NULL). */
int topo_down(const char *name, FILE *log, char **errp);

/* A topology that is up, as its record tells. */
struct topo_run {
    char *name;
    char *dir;
    char *socket;
    json_t *record;
    struct topo *t;
    struct topo_slice_plan plan;
};

/* Opens the record of topology 'name' or, when 'name' is NULL, of the
 * only one that is up.  Returns 0, or ENOENT / EINVAL with '*errp'. */
int topo_run_open(const char *name, struct topo_run **runp, char **errp);
void topo_run_close(struct topo_run *);

/* The names of the topologies that are up, NULL-terminated (free with
 * free() each, then the array). */
char **topo_run_list(void);

/* The record entry of host 'name' ({"name", "netns", "veth", "port",
 * "devargs"}), borrowed, or NULL. */
const json_t *topo_run_host(const struct topo_run *, const char *name);

/* Calls 'method' on the topology's daemon.  Returns 0 and '*result', or
 * a positive errno with '*errp'. */
int topo_run_call(const struct topo_run *, const char *method,
                  json_t *params, json_t **result, char **errp);

/* The status as JSON: {"name", "daemon": {...}, "slice": {...},
 * "switches": [...], "links": [...], "hosts": [...]}. */
json_t *topo_run_status(const struct topo_run *);

#endif /* LAMINA_TOPO_BUILD_H */
