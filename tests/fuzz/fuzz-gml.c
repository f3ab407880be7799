/* Fuzzing target: GML files (lib/gml), as `lamina topo import`, `topo up`
 * and `lamina vne embed --substrate` read them, then the import into a
 * topology (topologies/topo_import.c), whose written form must parse
 * again.  See fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gml.h"
#include "graph.h"
#include "topo.h"

const char *const fuzz_tokens[] = {
    "graph [", "node [", "edge [", "]", " id ", " source ", " target ",
    " label ", " Latitude ", " Longitude ", " LinkSpeed ", " LinkLabel ",
    " graphics [ x 1 y 2 ]", " directed 1", "\"", "#", "1e308", "-1e308",
    "nan", "-0", "4294967296", "0.5", NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct topo_import_opts opts = { .rate_bps = 1000000000,
                                     .host_per_switch = size & 1,
                                     .keep_parallel = size & 2 };
    char *text = fuzz_strndup(data, size);
    struct graph *g = NULL;
    struct topo *t = NULL;
    char *err = NULL;

    if (!gml_read_string(text, "fuzz.gml", &g, &err)) {
        if (!topo_from_graph(g, "fuzz", &opts, NULL, &t, &err)) {
            /* The topology the import made must read back. */
            char *out = NULL;
            size_t out_len = 0;
            FILE *f = open_memstream(&out, &out_len);
            struct topo *again = NULL;

            topo_write(t, f);
            fclose(f);
            if (topo_parse_string(out, "fuzz.topo", &again, &err)) {
                fprintf(stderr, "the import wrote a file it refuses: %s\n%s",
                        err, out);
                abort();
            }
            topo_destroy(again);
            free(out);
            topo_destroy(t);
        } else if (!err) {
            abort();
        }
        graph_destroy(g);
    } else if (!err || g) {
        abort();
    }
    free(err);
    free(text);
    return 0;
}
