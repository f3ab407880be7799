/* Fuzzing target: embedding instances (embedding/vne_instance.c), as
 * `lamina vne simulate --instance` and `vne embed --substrate/--request`
 * read them.  See fuzz.h. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include "vne_instance.h"

const char *const fuzz_tokens[] = {
    "\"format\"", "\"lamina-vne-instance/1\"", "\"substrate\"", "\"requests\"",
    "\"nodes\"", "\"links\"", "\"id\"", "\"cpu\"", "\"bw\"", "\"src\"",
    "\"dst\"", "\"arrival\"", "\"lifetime\"", "\"allowed\"", "\"x\"", "\"y\"",
    "\"max_dist\"", "1e308", "-1", "0", "2147483648", "[]", "{}", "null",
    "[0]", "graph [ node [ id 0 ] ]", NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_temp_file(data, size);
    struct vne_instance *inst = NULL;
    struct vne_substrate *sub = NULL;
    char *err = NULL;

    if (!vne_instance_read(path, &inst, &err)) {
        vne_instance_truncate(inst, 3);
        vne_instance_destroy(inst);
    } else if (!err) {
        abort();
    }
    free(err);
    err = NULL;

    /* The same bytes as a substrate file (JSON or GML), and a request
     * for the substrate. */
    if (!vne_substrate_read(path, 100, 100, &sub, &err)) {
        struct vne_request req;

        free(err);
        err = NULL;
        if (!vne_request_read(path, sub, &req, &err)) {
            vne_request_clear(&req);
        }
        vne_substrate_destroy(sub);
    }
    free(err);
    return 0;
}
