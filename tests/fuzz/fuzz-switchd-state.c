/* Fuzzing target: the switchd state file (lib/statefile.c with the
 * sections of vswitch/switchd_state.c), read
 * at every start of lamina-switchd.  What it accepts must pass its own
 * check again and read back from its own JSON text.  See fuzz.h.
 *
 * (The elements of an accepted file are then replayed through the RPC
 * methods, whose input checks the JSON-RPC target and the integration
 * tests cover.) */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "switchd_state.h"

const char *const fuzz_tokens[] = {
    "\"version\"", "\"switches\"", "\"ports\"", "\"links\"", "\"slices\"",
    "\"queues\"", "\"vnodes\"", "\"vports\"", "\"vlinks\"", "\"name\"",
    "{\"name\":\"s1\"}", "[", "]", "{", "}", "null", "1", "\"\"", ",", ":",
    NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_file(data, size);
    json_t *config = NULL, *again = NULL;
    char msg[512];

    if (!statefile_read(path, switchd_state_sections, &config, msg,
                        sizeof msg)) {
        char *text = json_dumps(config, JSON_COMPACT);
        json_error_t jerr;

        again = text ? json_loads(text, 0, &jerr) : NULL;
        if (statefile_check(config, switchd_state_sections, msg, sizeof msg)
            || !again || !json_equal(config, again)) {
            fprintf(stderr, "an accepted state file does not read back: "
                    "%s\n", msg);
            abort();
        }
        free(text);
        json_decref(again);
        json_decref(config);
    }
    return 0;
}
