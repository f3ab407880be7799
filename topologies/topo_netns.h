/*
 * topo_netns: named network namespaces and the veths that attach hosts,
 * made with libnl-3 and a few system calls, without running `ip`.
 *
 * Named namespaces
 * ================
 *
 * A named namespace is what `ip netns add NAME` makes, so that `ip netns
 * exec NAME`, `ip -n NAME` and `ip netns list` work with ours: a file
 * /run/netns/NAME on which a network namespace (its /proc/.../ns/net) is
 * bind-mounted, /run/netns itself being a shared mount point so that the
 * mount propagates into other mount namespaces.  The namespace is made by
 * a helper thread that calls unshare(CLONE_NEWNET) (which moves only that
 * thread) and bind-mounts /proc/thread-self/ns/net; the helper then
 * configures the host from inside (loopback, IPv6 off, the host end of the
 * veth, its address, TX checksum offload off) with a netlink socket that
 * lives in the namespace, and unshares again for the next host.  Deleting
 * one is unmounting and unlinking the file: the kernel frees the namespace,
 * and with it the veth pair, once nothing else holds it.
 *
 * Why TX checksum offload off: a veth hands locally generated TCP
 * segments over with a partial checksum (CHECKSUM_PARTIAL); a userspace
 * switch reading them through AF_PACKET forwards them as they are, and
 * the receiver drops them.  With offload off the host's stack completes
 * the checksum itself.
 */
#ifndef LAMINA_TOPO_NETNS_H
#define LAMINA_TOPO_NETNS_H 1

#include <stdbool.h>
#include <stddef.h>

#define TOPO_NETNS_DIR "/run/netns"

/* TCP socket buffer limits of every host namespace (net.ipv4.tcp_rmem and
 * tcp_wmem: min, default, max in bytes; per namespace, the root
 * namespace's are not touched).  New namespaces get the kernel's
 * defaults, here a 4 MiB send maximum, which caps one TCP stream at about
 * 4 MiB / RTT: 200 Mbit/s across Cogentco's 158 ms.  64 MiB lets a
 * stream fill 1 Gbit/s up to about 0.3 s of RTT.  A host whose port
 * takes super-frames ('offload') gets 128 MiB: a receiver offers about
 * half its buffer as window, and 64 MiB held a stream across Cogentco at
 * 1.5 Gbit/s, its window full; 128 MiB allows about 3 Gbit/s.  (Without
 * super-frames the worker's rate is the limit, and a bigger window would
 * only outgrow the host port's ring.)  Buffers grow only as a connection
 * needs them. */
#define TOPO_NETNS_TCP_RMEM "4096 131072 67108864"
#define TOPO_NETNS_TCP_WMEM "4096 16384 67108864"
#define TOPO_NETNS_TCP_RMEM_GSO "4096 131072 134217728"
#define TOPO_NETNS_TCP_WMEM_GSO "4096 16384 134217728"

/* One host to make: namespace 'netns' holding interface 'ns_if' (MAC
 * 'mac', address 'ip' "A.B.C.D/LEN" or NULL), the other end of the veth
 * named 'root_if' in the caller's namespace. */
struct topo_netns_host {
    const char *netns;
    const char *ns_if;
    const char *root_if;
    const char *mac;
    const char *ip;
    /* Checksum offload and TSO kept on, both ends (the switch's port
     * reads the host's TCP super-frames, afpacket "vnet-hdr"); else
     * checksum offload off, so that every frame the switch reads is
     * whole and checked. */
    bool offload;
};

/* Called after each host is made (done of total). */
typedef void topo_netns_progress(size_t done, size_t total, void *aux);

/* Makes the 'n' hosts in order.  Stops at the first failure: returns a
 * positive errno with '*errp' naming the host and the step; what was made
 * before stays (the caller's record says what to remove).  '*n_made' gets
 * the number of namespaces made (a namespace may exist while its veth
 * does not). */
int topo_netns_make_hosts(const struct topo_netns_host *hosts, size_t n,
                          topo_netns_progress *, void *aux, size_t *n_made,
                          char **errp);

/* The same, with the other end of each veth in named namespace
 * 'root_netns' (NULL: the caller's), e.g. that of a lamina-switchd
 * standing for another machine. */
int topo_netns_make_hosts_in(const struct topo_netns_host *hosts, size_t n,
                             const char *root_netns,
                             topo_netns_progress *, void *aux,
                             size_t *n_made, char **errp);

/* True if a namespace named 'name' exists in /run/netns. */
bool topo_netns_exists(const char *name);

/* Removes named namespace 'name' (like `ip netns del`).  Returns 0,
 * ENOENT if there is none, or another errno. */
int topo_netns_del(const char *name);

/* True if a network interface named 'name' exists in the caller's
 * namespace. */
bool topo_netns_if_exists(const char *name);

/* Deletes interface 'name' in the caller's namespace.  Returns 0 or a
 * positive errno (ENODEV: no such interface). */
int topo_netns_if_del(const char *name);

#endif /* LAMINA_TOPO_NETNS_H */
