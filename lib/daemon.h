/*
 * daemon: the housekeeping every Lamina daemon does the same way.
 *
 * Detaching
 * =========
 *
 * daemon_detach_start() forks; the parent waits, and exits with the
 * status the child reports through daemon_detach_finish() (0 once it
 * listens, 1 if the start failed), so `lamina-switchd --detach` returns
 * only when the daemon can be used, or fails visibly.  The child starts a
 * new session; finishing points its stdin and stdout at /dev/null
 * (stderr stays, for the log).
 *
 * Pidfiles
 * ========
 *
 * daemon_pidfile_write() writes the pid durably (statefile.h), after the
 * socket listens.  A pid read back may be stale and reused by another
 * process: daemon_pid_has_arg() tells whether the process's command line
 * holds an argument (its socket path), so a caller never signals a
 * stranger.
 *
 * Signals
 * =======
 *
 * daemon_signals_open() blocks SIGINT, SIGTERM and SIGHUP (in the calling
 * thread and in the threads it creates afterwards, such as DPDK's lcores)
 * and returns a signalfd for them, to poll with the daemon's other
 * descriptors; SIGPIPE is ignored (a peer that goes away is an error
 * return, not a death).  daemon_signals_read() returns a pending signal.
 */
#ifndef LAMINA_DAEMON_H
#define LAMINA_DAEMON_H 1

#include <stdbool.h>
#include <sys/types.h>

/* Forks into the background.  In the child, '*notify_fd' is where
 * daemon_detach_finish() reports; the parent never returns. */
void daemon_detach_start(int *notify_fd);

/* Reports 'status' (0: started) to the waiting parent, if any, and sets
 * '*notify_fd' to -1.  Does nothing when '*notify_fd' is -1. */
void daemon_detach_finish(int *notify_fd, unsigned char status);

/* Writes this process's pid to 'path'.  Returns 0 or a positive errno
 * with 'msg' naming the path. */
int daemon_pidfile_write(const char *path, char *msg, size_t msg_size);

/* The pid in 'path', or 0 if there is none or it cannot be read. */
pid_t daemon_pidfile_read(const char *path);

/* True if process 'pid' exists and one of its arguments is 'arg'. */
bool daemon_pid_has_arg(pid_t pid, const char *arg);

/* Blocks SIGINT, SIGTERM and SIGHUP, ignores SIGPIPE, and returns a
 * nonblocking signalfd for the three, or -1 with errno set. */
int daemon_signals_open(void);

/* The number of a signal pending on 'fd', or 0 if none. */
int daemon_signals_read(int fd);

#endif /* LAMINA_DAEMON_H */
