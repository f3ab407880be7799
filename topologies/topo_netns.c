/*
 * topo_netns: named network namespaces and host veths (libnl-3).  See
 * topo_netns.h.
 */
#include "topo_netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "util.h"

/* Makes /run/netns a shared mount point, as `ip netns add` does, so a
 * namespace mounted there is seen from every mount namespace. */
static int
netns_prepare_dir(char **errp)
{
    bool bound = false;

    if (mkdir(TOPO_NETNS_DIR, 0755) && errno != EEXIST) {
        int error = errno;
        *errp = xasprintf("mkdir %s: %s", TOPO_NETNS_DIR, strerror(error));
        return error;
    }
    while (mount("", TOPO_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL)) {
        int error = errno;
        if (error != EINVAL || bound) {
            *errp = xasprintf("mount --make-rshared %s: %s", TOPO_NETNS_DIR,
                              strerror(error));
            return error;
        }
        if (mount(TOPO_NETNS_DIR, TOPO_NETNS_DIR, "none", MS_BIND | MS_REC,
                  NULL)) {
            error = errno;
            *errp = xasprintf("mount --bind %s: %s", TOPO_NETNS_DIR,
                              strerror(error));
            return error;
        }
        bound = true;
    }
    return 0;
}

bool
topo_netns_exists(const char *name)
{
    char *path = xasprintf(TOPO_NETNS_DIR "/%s", name);
    bool exists = !access(path, F_OK);

    free(path);
    return exists;
}

int
topo_netns_del(const char *name)
{
    char *path = xasprintf(TOPO_NETNS_DIR "/%s", name);
    int error = 0;

    umount2(path, MNT_DETACH);
    if (unlink(path)) {
        error = errno;
    }
    free(path);
    return error;
}

bool
topo_netns_if_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

int
topo_netns_if_del(const char *name)
{
    struct nl_sock *sk = nl_socket_alloc();
    struct rtnl_link *link;
    int error;

    if (!sk) {
        return ENOMEM;
    }
    error = nl_connect(sk, NETLINK_ROUTE);
    if (!error) {
        link = rtnl_link_alloc();
        rtnl_link_set_name(link, name);
        error = rtnl_link_delete(sk, link);
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return error == -NLE_OBJ_NOTFOUND || error == -NLE_NODEV ? ENODEV
           : error ? EIO : 0;
}

/* Writes 'value' to the sysctl file 'path' (under /proc/sys), as seen
 * from the calling thread's network namespace. */
static int
sysctl_write(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int error = 0;

    if (fd < 0) {
        return errno;
    }
    if (write(fd, value, strlen(value)) < 0) {
        error = errno;
    }
    close(fd);
    return error;
}

/* Sets IFF_UP on 'ifname' through socket 'fd'. */
static int
if_up(int fd, const char *ifname)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    str_copy(ifr.ifr_name, ifname, sizeof ifr.ifr_name);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        return errno;
    }
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? errno : 0;
}

/* `ethtool -K IF tx off` through socket 'fd'. */
static int
if_tx_csum_off(int fd, const char *ifname)
{
    struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
    struct ifreq ifr;

    memset(&ifr, 0, sizeof ifr);
    str_copy(ifr.ifr_name, ifname, sizeof ifr.ifr_name);
    ifr.ifr_data = (void *) &ev;
    return ioctl(fd, SIOCETHTOOL, &ifr) < 0 ? errno : 0;
}

static int
nl_errno(int nlerr)
{
    switch (-nlerr) {
    case NLE_EXIST: return EEXIST;
    case NLE_NOMEM: return ENOMEM;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    default: return EIO;
    }
}

struct netns_job {
    const struct topo_netns_host *hosts;
    size_t n;
    topo_netns_progress *progress;
    void *aux;
    int root_fd;                /* the caller's network namespace */
    size_t n_made;
    int error;
    char *err;
};

#define JOB_FAIL(JOB, H, ERROR, ...)                                    \
    do {                                                                \
        char *msg_ = xasprintf(__VA_ARGS__);                            \
        (JOB)->error = (ERROR);                                         \
        (JOB)->err = xasprintf("host namespace %s: %s", (H)->netns,     \
                               msg_);                                   \
        free(msg_);                                                     \
    } while (0)

/* Inside the new namespace of 'h' (the calling thread is in it): makes
 * the veth and configures the host's side. */
static int
netns_setup_inside(struct netns_job *job, const struct topo_netns_host *h)
{
    struct nl_sock *sk = NULL;
    struct rtnl_link *link = NULL, *peer = NULL;
    struct nl_addr *mac = NULL, *local = NULL;
    struct rtnl_addr *addr = NULL;
    int fd = -1, nlerr, error;
    unsigned int ifindex;

    sysctl_write("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
    sysctl_write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
    /* Room for a long fat path's window (topo_netns.h); best effort. */
    sysctl_write("/proc/sys/net/ipv4/tcp_rmem",
                 h->offload ? TOPO_NETNS_TCP_RMEM_GSO : TOPO_NETNS_TCP_RMEM);
    sysctl_write("/proc/sys/net/ipv4/tcp_wmem",
                 h->offload ? TOPO_NETNS_TCP_WMEM_GSO : TOPO_NETNS_TCP_WMEM);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || (error = if_up(fd, "lo"))) {
        error = errno;
        JOB_FAIL(job, h, error, "loopback up: %s", strerror(error));
        goto out;
    }
    sk = nl_socket_alloc();
    if (!sk || (nlerr = nl_connect(sk, NETLINK_ROUTE)) < 0) {
        JOB_FAIL(job, h, EIO, "netlink socket: %s",
                 sk ? nl_geterror(nlerr) : "out of memory");
        error = EIO;
        goto out;
    }
    link = rtnl_link_veth_alloc();
    if (!link) {
        JOB_FAIL(job, h, ENOMEM, "veth: out of memory");
        error = ENOMEM;
        goto out;
    }
    rtnl_link_set_name(link, h->ns_if);
    if (h->mac) {
        if (nl_addr_parse(h->mac, AF_LLC, &mac) < 0) {
            JOB_FAIL(job, h, EINVAL, "bad MAC %s", h->mac);
            error = EINVAL;
            goto out;
        }
        rtnl_link_set_addr(link, mac);
    }
    rtnl_link_set_flags(link, IFF_UP);
    peer = rtnl_link_veth_get_peer(link);
    rtnl_link_set_name(peer, h->root_if);
    rtnl_link_set_ns_fd(peer, job->root_fd);
    nlerr = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    /* The kernel frees a deleted namespace, and the veths it held, in the
     * background: a topology brought down a moment ago may still hold the
     * name.  Wait up to 2 s for it before saying the name is taken. */
    for (int tries = 0; nlerr == -NLE_EXIST && tries < 100; tries++) {
        struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        nlerr = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
    }
    if (nlerr < 0) {
        error = nl_errno(nlerr);
        JOB_FAIL(job, h, error, "veth %s (peer %s): %s%s", h->ns_if,
                 h->root_if, nl_geterror(nlerr), error == EEXIST
                 ? " (an interface of that name exists: is another "
                   "topology using it?)" : "");
        goto out;
    }
    if (!h->offload && (error = if_tx_csum_off(fd, h->ns_if))) {
        JOB_FAIL(job, h, error, "TX checksum offload off on %s: %s",
                 h->ns_if, strerror(error));
        goto out;
    }
    ifindex = if_nametoindex(h->ns_if);
    if (h->ip && ifindex) {
        addr = rtnl_addr_alloc();
        if (nl_addr_parse(h->ip, AF_INET, &local) < 0) {
            JOB_FAIL(job, h, EINVAL, "bad address %s", h->ip);
            error = EINVAL;
            goto out;
        }
        rtnl_addr_set_ifindex(addr, ifindex);
        rtnl_addr_set_local(addr, local);
        nlerr = rtnl_addr_add(sk, addr, 0);
        if (nlerr < 0) {
            error = nl_errno(nlerr);
            JOB_FAIL(job, h, error, "address %s on %s: %s", h->ip, h->ns_if,
                     nl_geterror(nlerr));
            goto out;
        }
    }
    error = 0;
out:
    if (addr) {
        rtnl_addr_put(addr);
    }
    nl_addr_put(local);
    nl_addr_put(mac);
    if (peer) {
        rtnl_link_put(peer);
    }
    if (link) {
        rtnl_link_veth_release(link);
    }
    nl_socket_free(sk);
    if (fd >= 0) {
        close(fd);
    }
    return error;
}

static void *
netns_thread(void *job_)
{
    struct netns_job *job = job_;

    for (size_t i = 0; i < job->n; i++) {
        const struct topo_netns_host *h = &job->hosts[i];
        char *path = xasprintf(TOPO_NETNS_DIR "/%s", h->netns);
        int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);

        if (fd < 0) {
            int error = errno;
            JOB_FAIL(job, h, error, "%s: %s%s", path, strerror(error),
                     error == EEXIST ? " (a namespace of that name exists: "
                     "remove it, or choose other host names)" : "");
            free(path);
            return NULL;
        }
        close(fd);
        if (unshare(CLONE_NEWNET)) {
            int error = errno;
            unlink(path);
            JOB_FAIL(job, h, error, "unshare: %s", strerror(error));
            free(path);
            return NULL;
        }
        if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL)) {
            int error = errno;
            unlink(path);
            JOB_FAIL(job, h, error, "mount --bind on %s: %s", path,
                     strerror(error));
            free(path);
            return NULL;
        }
        free(path);
        job->n_made++;
        if (netns_setup_inside(job, h)) {
            return NULL;
        }
        if (job->progress) {
            job->progress(i + 1, job->n, job->aux);
        }
    }
    return NULL;
}

/* In the caller's namespace: the switch side of each veth, IPv6 off
 * (no router solicitations or MLD reports into the slice), TX checksum
 * offload off, up. */
static int
netns_setup_root_side(const struct topo_netns_host *hosts, size_t n,
                      char **errp)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        int error = errno;
        *errp = xasprintf("socket: %s", strerror(error));
        return error;
    }
    for (size_t i = 0; i < n; i++) {
        const char *ifn = hosts[i].root_if;
        char *path = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6",
                               ifn);
        int error;

        sysctl_write(path, "1");
        free(path);
        if (!hosts[i].offload) {
            if_tx_csum_off(fd, ifn);
        }
        if ((error = if_up(fd, ifn))) {
            *errp = xasprintf("host %s: veth %s up: %s", hosts[i].netns,
                              ifn, strerror(error));
            close(fd);
            return error;
        }
    }
    close(fd);
    return 0;
}

/* Runs netns_setup_root_side() in the namespace open on 'fd' (a thread of
 * its own moves there, the caller stays where it is). */
struct root_side_job {
    int fd;
    const struct topo_netns_host *hosts;
    size_t n;
    int error;
    char *err;
};

static void *
root_side_thread(void *job_)
{
    struct root_side_job *job = job_;

    if (setns(job->fd, CLONE_NEWNET) < 0) {
        job->error = errno;
        job->err = xasprintf("setns: %s", strerror(job->error));
        return NULL;
    }
    job->error = netns_setup_root_side(job->hosts, job->n, &job->err);
    return NULL;
}

int
topo_netns_make_hosts(const struct topo_netns_host *hosts, size_t n,
                      topo_netns_progress *progress, void *aux,
                      size_t *n_made, char **errp)
{
    return topo_netns_make_hosts_in(hosts, n, NULL, progress, aux, n_made,
                                    errp);
}

int
topo_netns_make_hosts_in(const struct topo_netns_host *hosts, size_t n,
                         const char *root_netns,
                         topo_netns_progress *progress, void *aux,
                         size_t *n_made, char **errp)
{
    struct netns_job job = {
        .hosts = hosts, .n = n, .progress = progress, .aux = aux,
    };
    pthread_t thread;
    char *root_path;
    int error;

    *n_made = 0;
    *errp = NULL;
    if (!n) {
        return 0;
    }
    if ((error = netns_prepare_dir(errp))) {
        return error;
    }
    root_path = root_netns ? xasprintf(TOPO_NETNS_DIR "/%s", root_netns)
                           : xstrdup("/proc/self/ns/net");
    job.root_fd = open(root_path, O_RDONLY | O_CLOEXEC);
    if (job.root_fd < 0) {
        error = errno;
        *errp = xasprintf("%s: %s", root_path, strerror(error));
        free(root_path);
        return error;
    }
    free(root_path);
    /* A thread of its own: unshare(CLONE_NEWNET) moves only the caller,
     * and this thread never comes back to the original namespace. */
    error = pthread_create(&thread, NULL, netns_thread, &job);
    if (error) {
        close(job.root_fd);
        *errp = xasprintf("pthread_create: %s", strerror(error));
        return error;
    }
    pthread_join(thread, NULL);
    *n_made = job.n_made;
    if (job.error) {
        close(job.root_fd);
        *errp = job.err;
        return job.error;
    }
    if (!root_netns) {
        close(job.root_fd);
        return netns_setup_root_side(hosts, n, errp);
    }

    struct root_side_job rj = { .fd = job.root_fd, .hosts = hosts, .n = n };
    error = pthread_create(&thread, NULL, root_side_thread, &rj);
    if (error) {
        close(job.root_fd);
        *errp = xasprintf("pthread_create: %s", strerror(error));
        return error;
    }
    pthread_join(thread, NULL);
    close(job.root_fd);
    if (rj.error) {
        *errp = xasprintf("namespace %s: %s", root_netns, rj.err);
        free(rj.err);
    }
    return rj.error;
}
