/*
 * brk_error: how the broker's modules say what went wrong.
 *
 * Every broker function that can refuse something takes an optional
 * 'struct brk_error *' (the pattern of the switch's 'struct dp_error') and
 * fills it with one sentence that names the object and the reason, e.g.
 * "links[2].bandwidth: must be a positive rate, got \"-5M\"" or "lease
 * L7: transition active -> held is not allowed".  The function itself
 * still returns 0 or a positive errno, so callers that only need the class
 * of failure never parse the text.
 */
#ifndef LAMINA_BRK_ERROR_H
#define LAMINA_BRK_ERROR_H 1

#define BRK_ERR_LEN 512

struct brk_error {
    char msg[BRK_ERR_LEN];
};

/* Writes the printf-style message into 'err' (which may be NULL) and
 * returns 'error', so that a refusal reads "return brk_error_set(err,
 * EINVAL, ...)". */
int brk_error_set(struct brk_error *err, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts 'prefix' and ": " in front of the message already in 'err'. */
void brk_error_prefix(struct brk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* LAMINA_BRK_ERROR_H */
