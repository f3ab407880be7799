/*
 * ofpl_key: flow matches and packets as keys of the OpenFlow pipeline (see
 * ofpl.h, "Keys"; the key layout is in ofpl_pvt.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl_pvt.h"

/* The (value, mask) keys of match 'm'. */
void
ofpl_match_to_keys(const struct ofp_match *m, struct ofpl_key *val,
              struct ofpl_key *mask)
{
    memset(val, 0, sizeof *val);
    memset(mask, 0, sizeof *mask);
    for (int f = 0; f < OFP_F_N; f++) {
        union ofp_value v, mk;
        if (ofp_match_get(m, f, &v, &mk)) {
            key_put_value(val, f, &v);
            key_put_value(mask, f, &mk);
        }
    }
    for (int i = 0; i < OFPL_KEY_WORDS; i++) {
        val->w[i] &= mask->w[i];
    }
}

void
ofpl_parse(const struct ofpl_packet *pkt, uint16_t in_vport, struct ofpl_key *key)
{
    struct ofp_hdrs h;

    memset(key, 0, sizeof *key);
    key->w[0] = (uint32_t) in_vport + 1;
    ofpl_key_parse(pkt->data, pkt->len, key, &h);
}
