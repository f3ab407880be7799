/* Fuzzing target: topology files (topologies/topo.c), as `lamina topo up`
 * and `topo dot` read them.  What parses must write back to a file that
 * parses to the same text.  See fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

const char *const fuzz_tokens[] = {
    "topology ", "switch ", "link ", "host ", "defaults ", "slice ",
    " rate=", " delay=", " loss=", " queue=", " name=", " cpu=", " label=",
    " lat=", " lon=", " ip=", " mac=", "10Gbit", "1ms", "0.5%", "1e308",
    "10.0.0.1/24", "02:00:00:00:00:01", "\"", "#", "\n", "=", NULL,
};

/* The text topo_write() makes of 't' (the caller frees it). */
static char *
write_topo(const struct topo *t)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    if (!f) {
        abort();
    }
    topo_write(t, f);
    fclose(f);
    return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    struct topo *t = NULL, *again = NULL;
    char *err = NULL;

    if (!topo_parse_string(text, "fuzz.topo", &t, &err)) {
        char *out = write_topo(t), *out2;

        if (topo_parse_string(out, "written.topo", &again, &err)) {
            fprintf(stderr, "topo_write() wrote a file it refuses: %s\n%s",
                    err, out);
            abort();
        }
        out2 = write_topo(again);
        if (strcmp(out, out2)) {
            fprintf(stderr, "written twice, not the same:\n%s---\n%s", out,
                    out2);
            abort();
        }
        free(out);
        free(out2);
        topo_destroy(again);
        topo_destroy(t);
    } else if (!err) {
        abort();
    }
    free(err);
    free(text);
    return 0;
}
