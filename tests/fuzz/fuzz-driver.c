/*
 * A libFuzzer stand-in for builds without clang: replays seeds, then
 * mutates them at random for a bounded number of runs and seconds.
 *
 * usage: fuzz-NAME [-runs=N] [-max_total_time=S] [-seed=N] [-max_len=N]
 *                  SEED-FILE-OR-DIR...
 *
 * The flags are libFuzzer's, so that run scripts work with either.  See
 * fuzz.h.
 */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MIN_(A, B) ((A) < (B) ? (A) : (B))

struct input {
    uint8_t *data;
    size_t size;
};

static struct input *seeds;
static size_t n_seeds, cap_seeds;

/* The input being run, for the crash handler. */
static const uint8_t *cur_data;
static size_t cur_size;
static char crash_path[256];
/* The handlers the sanitizers installed, run after ours. */
static struct sigaction old_actions[NSIG];

static uint64_t rng_state;

/* xorshift64*: fast, and the same sequence for the same -seed. */
static uint64_t
rnd(void)
{
    return util_xorshift64(&rng_state);
}

/* A random number in [0, n); n > 0. */
static size_t
rnd_below(size_t n)
{
    return rnd() % n;
}

static void
write_all(int fd, const void *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) {
            return;
        }
        p = (const char *) p + k;
        n -= k;
    }
}

/* Saves the input being run when the process dies of a signal (ASan and
 * UBSan abort with -fno-sanitize-recover / abort_on_error), then lets the
 * handler that was there before (a sanitizer's report) or the default
 * action take over. */
static void
crash_handler(int sig)
{
    int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd >= 0) {
        write_all(fd, cur_data, cur_size);
        close(fd);
    }
    write_all(2, "fuzz: input saved to ", 21);
    write_all(2, crash_path, strlen(crash_path));
    write_all(2, "\n", 1);
    sigaction(sig, &old_actions[sig], NULL);
    if (sig == SIGABRT) {
        raise(sig);
    }
    /* A fault happens again on return, into the restored handler. */
}

static void
add_seed(const char *path)
{
    struct stat st;
    FILE *f;

    if (stat(path, &st) || !S_ISREG(st.st_mode)) {
        return;
    }
    f = fopen(path, "rb");
    if (!f) {
        return;
    }
    if (n_seeds == cap_seeds) {
        cap_seeds = cap_seeds ? 2 * cap_seeds : 64;
        seeds = realloc(seeds, cap_seeds * sizeof *seeds);
    }
    seeds[n_seeds].data = malloc(st.st_size + 1);
    seeds[n_seeds].size = fread(seeds[n_seeds].data, 1, st.st_size, f);
    n_seeds++;
    fclose(f);
}

static void
add_seeds(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *de;

    if (!dir) {
        add_seed(path);
        return;
    }
    while ((de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            char *p;
            if (asprintf(&p, "%s/%s", path, de->d_name) > 0) {
                add_seed(p);
                free(p);
            }
        }
    }
    closedir(dir);
}

static void
run_one(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy, so that reading past the end is caught. */
    uint8_t *copy = malloc(size ? size : 1);

    memcpy(copy, data, size);
    cur_data = copy;
    cur_size = size;
    LLVMFuzzerTestOneInput(copy, size);
    cur_data = NULL;
    free(copy);
}

/* Bytes that matter to text parsers. */
static const char interesting[] = "\0\n\r\t \"\\[]{}:,=#-+.0123456789eE/%";

/* Applies one random mutation to 'buf' (of 'cap' bytes) holding '*size'. */
static void
mutate(uint8_t *buf, size_t *size, size_t cap)
{
    size_t n = *size, pos = n ? rnd_below(n) : 0;

    switch (rnd_below(9)) {
    case 0:                     /* flip a bit */
        if (n) {
            buf[pos] ^= 1u << rnd_below(8);
        }
        break;
    case 1:                     /* an interesting byte */
        if (n) {
            buf[pos] = interesting[rnd_below(sizeof interesting - 1)];
        }
        break;
    case 2:                     /* a random byte */
        if (n) {
            buf[pos] = rnd();
        }
        break;
    case 3: {                   /* delete a range */
        size_t len = n ? 1 + rnd_below(MIN_(n - pos, 16)) : 0;
        memmove(buf + pos, buf + pos + len, n - pos - len);
        *size = n - len;
        break;
    }
    case 4: {                   /* insert interesting bytes */
        size_t len = 1 + rnd_below(4);
        if (n + len <= cap) {
            memmove(buf + pos + len, buf + pos, n - pos);
            for (size_t i = 0; i < len; i++) {
                buf[pos + i] = interesting[rnd_below(sizeof interesting - 1)];
            }
            *size = n + len;
        }
        break;
    }
    case 5: {                   /* repeat a range */
        size_t len = n ? 1 + rnd_below(MIN_(n - pos, 64)) : 0;
        size_t at = n ? rnd_below(n + 1) : 0;
        if (len && n + len <= cap) {
            uint8_t tmp[64];
            memcpy(tmp, buf + pos, len);
            memmove(buf + at + len, buf + at, n - at);
            memcpy(buf + at, tmp, len);
            *size = n + len;
        }
        break;
    }
    case 6:
    case 7: {                   /* insert or overwrite with a token */
        size_t n_tok = 0;
        while (fuzz_tokens[n_tok]) {
            n_tok++;
        }
        if (n_tok) {
            const char *tok = fuzz_tokens[rnd_below(n_tok)];
            size_t len = strlen(tok);
            if (n + len <= cap) {
                memmove(buf + pos + len, buf + pos, n - pos);
                memcpy(buf + pos, tok, len);
                *size = n + len;
            }
        }
        break;
    }
    case 8: {                   /* splice in part of another seed */
        const struct input *o = &seeds[rnd_below(n_seeds)];
        if (o->size) {
            size_t from = rnd_below(o->size);
            size_t len = 1 + rnd_below(MIN_(o->size - from, 256));
            if (n - pos + len <= cap - pos) {
                memmove(buf + pos + len, buf + pos, n - pos);
                memcpy(buf + pos, o->data + from, len);
                *size = n + len;
            }
        }
        break;
    }
    }
}

int
main(int argc, char *argv[])
{
    long runs = 100000, max_time = 20, max_len = 65536;
    const char *name = strrchr(argv[0], '/');
    uint64_t seed = 1;
    long done = 0;
    time_t start = time(NULL);
    uint8_t *buf;

    name = name ? name + 1 : argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "-runs=", 6)) {
            runs = atol(a + 6);
        } else if (!strncmp(a, "-max_total_time=", 16)) {
            max_time = atol(a + 16);
        } else if (!strncmp(a, "-seed=", 6)) {
            seed = strtoull(a + 6, NULL, 0);
        } else if (!strncmp(a, "-max_len=", 9)) {
            max_len = atol(a + 9);
        } else if (a[0] == '-') {
            /* Other libFuzzer flags mean nothing here. */
        } else {
            add_seeds(a);
        }
    }
    if (!n_seeds) {
        seeds = realloc(seeds, sizeof *seeds);
        seeds[0] = (struct input) { malloc(1), 0 };
        n_seeds = 1;
    }
    rng_state = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
    rng_state += !rng_state;    /* xorshift stays at 0 forever */
    snprintf(crash_path, sizeof crash_path, "crash-%s", name);
    for (size_t i = 0; i < 4; i++) {
        static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE };
        struct sigaction sa = { .sa_handler = crash_handler };
        sigaction(sigs[i], &sa, &old_actions[sigs[i]]);
    }

    for (size_t i = 0; i < n_seeds; i++) {
        run_one(seeds[i].data, seeds[i].size);
        if ((size_t) max_len < seeds[i].size) {
            max_len = seeds[i].size;
        }
    }
    buf = malloc(max_len + 1);
    while (done < runs && time(NULL) - start < max_time) {
        const struct input *s = &seeds[rnd_below(n_seeds)];
        size_t size = MIN_(s->size, (size_t) max_len);
        int n_mut = 1 + rnd_below(8);

        memcpy(buf, s->data, size);
        for (int m = 0; m < n_mut; m++) {
            mutate(buf, &size, max_len);
        }
        run_one(buf, size);
        done++;
    }
    printf("%s: %zu seeds, %ld mutated runs in %ld s: no failure\n", name,
           n_seeds, done, (long) (time(NULL) - start));
    free(buf);
    return 0;
}
