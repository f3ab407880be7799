#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *log_program = "lamina";
static enum log_level log_level = LOG_LVL_INFO;

static const char *const log_level_names[] = {
    [LOG_LVL_DEBUG] = "debug",
    [LOG_LVL_INFO] = "info",
    [LOG_LVL_WARN] = "warn",
    [LOG_LVL_ERR] = "err",
};

void
log_init(const char *program)
{
    const char *env = getenv("LAMINA_LOG");

    if (program) {
        const char *slash = strrchr(program, '/');
        log_program = slash ? slash + 1 : program;
    }
    if (env) {
        for (size_t i = 0; i < sizeof log_level_names / sizeof *log_level_names; i++) {
            if (!strcasecmp(env, log_level_names[i])) {
                log_level = i;
            }
        }
    }
}

void
log_set_level(enum log_level level)
{
    log_level = level;
}

enum log_level
log_get_level(void)
{
    return log_level;
}

void
log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    va_list args;

    if (level < log_level) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);

    flockfile(stderr);
    fprintf(stderr, "%s.%03ld %s %s|%s: ", stamp, ts.tv_nsec / 1000000,
            log_program, log_level_names[level], module);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    funlockfile(stderr);
}
