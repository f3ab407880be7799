/*
 * fuzz: the fuzzing targets of the parsers that take outside input, and
 * the driver that runs them in the test suite.
 *
 * What?
 * =====
 *
 * Each target (fuzz-NAME.c) defines LLVMFuzzerTestOneInput(), the entry
 * point libFuzzer calls with one input: it hands the bytes to one parser
 * (a JSON-RPC request, a switchd state file, a topology file, a GML file,
 * an embedding instance) and checks what must hold for any input: no
 * crash, no memory error (ASan), no undefined behaviour (UBSan), no leak,
 * and, where the parser has a writer, that what it accepted writes back
 * to text it accepts again.  A target aborts when a property fails.
 *
 * The driver
 * ==========
 *
 * With clang, the targets are built with libFuzzer (coverage-guided),
 * ASan and UBSan.  Without it (the suite is built with gcc), they are
 * linked with a small driver of our own (fuzz-driver.c) that takes the
 * same flags: it replays the seed corpus (real files from data/ and
 * topologies/examples, plus the regression seeds in tests/fuzz/regress/)
 * and then runs random mutations of the seeds (bit flips, interesting
 * bytes, insertions, deletions, repeats, splices, tokens of the format)
 * for a bounded number of runs and seconds.  It has no coverage feedback:
 * it finds what is near the seeds, which is where parsers break.
 *
 * An input that fails is written to crash-* in the working directory
 * (crash-SHA1 by libFuzzer, crash-fuzz-NAME by the driver) before the
 * process dies, so it can be replayed (pass it as an argument) and, once
 * fixed, added to tests/fuzz/regress/NAME/.
 */
#ifndef LAMINA_FUZZ_H
#define LAMINA_FUZZ_H 1

#include <stddef.h>
#include <stdint.h>

/* The target: runs one input.  Returns 0 (libFuzzer's convention). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tokens of the target's format, for the driver's mutations; terminated
 * by NULL.  Each target defines it. */
extern const char *const fuzz_tokens[];

/* Writes 'size' bytes of 'data' to a private temporary file and returns
 * its path (valid until the next call), for parsers that read files. */
const char *fuzz_temp_file(const uint8_t *data, size_t size);

/* 'data' as a new NUL-terminated string (the caller frees it). */
char *fuzz_strndup(const uint8_t *data, size_t size);

#endif /* LAMINA_FUZZ_H */
