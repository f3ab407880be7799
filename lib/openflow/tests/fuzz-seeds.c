/* Writes the seed corpus of the fuzzer: the golden ovs-ofctl messages.
 * usage: fuzz-seeds DIR */
#include <stdint.h>
#include <stdio.h>

#include "golden-ofctl.h"

#define SEED(NAME) { #NAME, NAME, sizeof NAME }

int
main(int argc, char *argv[])
{
    static const struct { const char *name; const uint8_t *p; size_t n; }
    seeds[] = {
        SEED(golden_add_flow_0), SEED(golden_add_flow_tcp_0),
        SEED(golden_add_flow_arp_0), SEED(golden_add_flow_v6_0),
        SEED(golden_add_flow_vlan_0), SEED(golden_mod_flows_strict_0),
        SEED(golden_del_flows_0), SEED(golden_add_group_0),
        SEED(golden_add_group_ff_0), SEED(golden_add_meter_0),
        SEED(golden_add_meter_dscp_0), SEED(golden_dump_flows_0),
        SEED(golden_dump_ports_0), SEED(golden_dump_groups_0),
        SEED(golden_packet_out_0),
    };

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 1;
    }
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", argv[1], seeds[i].name);
        f = fopen(path, "wb");
        if (!f || fwrite(seeds[i].p, 1, seeds[i].n, f) != seeds[i].n) {
            perror(path);
            return 1;
        }
        fclose(f);
    }
    return 0;
}
