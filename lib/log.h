/*
 * log: one way for every Lamina program to report what it does.
 *
 * Messages go to stderr with a level and the module name; the level is
 * chosen once per process (LAMINA_LOG=debug|info|warn|err, default info).
 * Daemons log what a person operating them needs: what started, what was
 * refused and why, what failed.  The fast path never logs per packet.
 */
#ifndef LAMINA_LOG_H
#define LAMINA_LOG_H 1

#include <stdarg.h>

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

/* Sets the process's program name (shown in each line) and reads LAMINA_LOG. */
void log_init(const char *program);
void log_set_level(enum log_level);
enum log_level log_get_level(void);

void log_msg(enum log_level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_DBG(MOD, ...)  log_msg(LOG_LVL_DEBUG, MOD, __VA_ARGS__)
#define LOG_INFO(MOD, ...) log_msg(LOG_LVL_INFO, MOD, __VA_ARGS__)
#define LOG_WARN(MOD, ...) log_msg(LOG_LVL_WARN, MOD, __VA_ARGS__)
#define LOG_ERR(MOD, ...)  log_msg(LOG_LVL_ERR, MOD, __VA_ARGS__)

#endif /* LAMINA_LOG_H */
