/* daemon: detaching, pidfiles and signals. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "statefile.h"
#include "util.h"

#define MOD "daemon"

void
daemon_detach_start(int *notify_fd)
{
    int pipefd[2];
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        LOG_ERR(MOD, "pipe: %s", strerror(errno));
        exit(1);
    }
    pid = fork();
    if (pid < 0) {
        LOG_ERR(MOD, "fork: %s", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        unsigned char status = 1;

        close(pipefd[1]);
        if (read(pipefd[0], &status, 1) != 1) {
            status = 1;         /* the child died before it could say */
        }
        _exit(status);
    }
    close(pipefd[0]);
    setsid();
    *notify_fd = pipefd[1];
}

void
daemon_detach_finish(int *notify_fd, unsigned char status)
{
    int null;

    if (*notify_fd < 0) {
        return;
    }
    null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (write(*notify_fd, &status, 1) != 1) {
        /* The parent is gone; nobody to tell. */
    }
    close(*notify_fd);
    *notify_fd = -1;
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
}

int
daemon_pidfile_write(const char *path, char *msg, size_t msg_size)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%d\n", (int) getpid());

    return statefile_write_text(path, text, len, 0644, msg, msg_size);
}

pid_t
daemon_pidfile_read(const char *path)
{
    FILE *f = fopen(path, "r");
    long pid = 0;

    if (f) {
        if (fscanf(f, "%ld", &pid) != 1 || pid < 0 || pid > INT32_MAX) {
            pid = 0;
        }
        fclose(f);
    }
    return pid;
}

bool
daemon_pid_has_arg(pid_t pid, const char *arg)
{
    char path[64], buf[8192];
    bool found = false;
    ssize_t n;
    int fd;

    if (pid <= 0) {
        return false;
    }
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) {
        found |= !strcmp(buf + i, arg);
    }
    return found;
}

int
daemon_signals_open(void)
{
    sigset_t sigs;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0) {
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    return signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
}

int
daemon_signals_read(int fd)
{
    struct signalfd_siginfo si;

    if (read(fd, &si, sizeof si) == sizeof si) {
        return si.ssi_signo;
    }
    return 0;
}
