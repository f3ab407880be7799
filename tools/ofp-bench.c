/* ofp-bench: FLOW_MOD decode + encode throughput of the codec.
 *
 * usage: ofp-bench [N]   (default 2,000,000 messages)
 *
 * Decodes a realistic FLOW_MOD (the 192 bytes ovs-ofctl sends for
 * "tcp,in_port=3,dl_vlan=5,tp_dst=80,actions=meter:2,push_vlan:0x8100,
 * set_field:4100->vlan_vid,dec_ttl,output:1,write_actions(group:3),
 * write_metadata:0x5/0xff"), re-encodes it into a reused buffer,
 * and reports messages per second and nanoseconds per message for decode
 * alone and for decode+encode. */
#include <stdio.h>
#include <stdlib.h>

#include "ofp-msg.h"
#include "util.h"
#include "tests/golden-ofctl.h"

int
main(int argc, char *argv[])
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    const uint8_t *wire = golden_add_flow_tcp_0;
    size_t len = sizeof golden_add_flow_tcp_0;
    struct ofpbuf out = OFPBUF_INITIALIZER;
    struct ofp_msg *msg = xmalloc(sizeof *msg);
    struct ofp_error err;
    uint64_t t0, t1, t2;
    size_t check = 0;

    for (int pass = 0; pass < 2; pass++) {
        t0 = time_ns();
        for (long i = 0; i < n; i++) {
            if (ofp_decode(wire, len, msg, &err)) {
                fprintf(stderr, "decode failed\n");
                return 1;
            }
            check += msg->flow_mod.priority;
            ofp_msg_free(msg);
        }
        t1 = time_ns();
        for (long i = 0; i < n; i++) {
            ofp_decode(wire, len, msg, &err);
            msg->xid = i;
            ofpbuf_clear(&out);
            ofp_encode(msg, &out);
            check += out.size;
            ofp_msg_free(msg);
        }
        t2 = time_ns();
        if (pass) {     /* Pass 0 warms caches and the CPU clock. */
            printf("FLOW_MOD (%zu bytes, 5 match fields, 4 instructions, "
                   "5 actions), %ld messages\n", len, n);
            printf("decode:          %6.0f ns/msg  %10.0f msg/s\n",
                   (double) (t1 - t0) / n, n * 1e9 / (t1 - t0));
            printf("decode + encode: %6.0f ns/msg  %10.0f msg/s\n",
                   (double) (t2 - t1) / n, n * 1e9 / (t2 - t1));
        }
    }
    free(msg);
    ofpbuf_uninit(&out);
    return check == 0;
}
