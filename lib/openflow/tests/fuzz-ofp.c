/* libFuzzer target for the OpenFlow decoder.
 *
 * Any input must decode without touching memory outside it (ASan) and
 * without undefined behaviour (UBSan).  When an input decodes, its
 * re-encoding must decode too and re-encode to the same bytes, and the
 * message must format as text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ofp-msg.h"
#include "ofp-framer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ofp_msg *msg = malloc(sizeof *msg);
    struct ofp_msg *again = malloc(sizeof *again);
    struct ofp_error err;
    struct ofp_framer fr;
    const uint8_t *m;
    size_t len;

    /* Frame the input as a stream: a mutated length field then exercises
     * both the framer and the decoder's length checks. */
    ofp_framer_init(&fr);
    ofp_framer_feed(&fr, data, size);
    while (!ofp_framer_next(&fr, &m, &len)) {
        /* Exact-size heap copy, so reading past the end is caught. */
        uint8_t *copy = malloc(len);
        memcpy(copy, m, len);
        if (!ofp_decode(copy, len, msg, &err)) {
            struct ofpbuf b1 = OFPBUF_INITIALIZER, b2 = OFPBUF_INITIALIZER;
            struct ofpbuf s = OFPBUF_INITIALIZER;

            ofp_msg_format(msg, &s);
            if (!ofp_encode(msg, &b1)) {
                if (ofp_decode(b1.data, b1.size, again, &err)) {
                    abort();
                }
                if (ofp_encode(again, &b2) || b1.size != b2.size
                    || memcmp(b1.data, b2.data, b1.size)) {
                    abort();
                }
                ofp_msg_free(again);
            }
            ofpbuf_uninit(&b1);
            ofpbuf_uninit(&b2);
            ofpbuf_uninit(&s);
        }
        ofp_msg_free(msg);
        free(copy);
    }
    ofp_framer_destroy(&fr);
    free(msg);
    free(again);
    return 0;
}
