/* switchd_state: the sections of lamina-switchd's state file. */
#include "switchd_state.h"

#include <string.h>

#define IDS(...) ((const char *const[]) { __VA_ARGS__, NULL })

const struct statefile_section switchd_state_sections[] = {
    { "switches", "switch.add", "switch.del", NULL, IDS("name"), NULL, NULL },
    { "ports", "port.add", "port.del", "port.set", IDS("switch", "name"),
      IDS("rate_bps", "delay_us", "loss_ppm", "up", "bfd"),
      "{\"up\": true, \"bfd\": null}" },
    { "links", "link.add", "link.del", "link.set", IDS("name"),
      IDS("rate_bps", "delay_us", "loss_ppm", "up", "bfd"), "{\"bfd\": null}" },
    { "slices", "slice.add", "slice.del", "slice.set", IDS("name"),
      IDS("guarantee_bps", "ceiling_bps", "policer_bps", "policer_burst",
          "budget", "mbuf_quota", "table_quota", "gso_quota"), NULL },
    /* A queue's rates, once set, can be changed but not unset. */
    { "queues", "queue.set", NULL, "queue.set",
      IDS("slice", "switch", "port"), IDS("guarantee_bps", "ceiling_bps"),
      "{\"ceiling_bps\": 0}" },
    { "vnodes", "vnode.add", "vnode.del", NULL, IDS("slice", "switch"),
      NULL, NULL },
    { "vports", "vport.add", "vport.del", NULL,
      IDS("slice", "switch", "vport"), NULL, NULL },
    { "vlinks", "vlink.add", "vlink.del", NULL, IDS("slice", "name"),
      NULL, NULL },
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

bool
switchd_state_is_derived(const json_t *config, const char *key,
                         const json_t *elem)
{
    size_t i;
    json_t *other;

    if (!strcmp(key, "ports")) {
        const char *sw = json_string_value(json_object_get(elem, "switch"));
        const char *name = json_string_value(json_object_get(elem, "name"));
        json_array_foreach(json_object_get(config, "links"), i, other) {
            for (int end = 0; end < 2 && sw && name; end++) {
                const char *osw = json_string_value(
                    json_object_get(other, end ? "sw_b" : "sw_a"));
                const char *oport = json_string_value(
                    json_object_get(other, end ? "port_b" : "port_a"));
                if (osw && oport && !strcmp(osw, sw) && !strcmp(oport, name)) {
                    return true;
                }
            }
        }
    } else if (!strcmp(key, "vports")) {
        const char *slice = json_string_value(json_object_get(elem, "slice"));
        const char *vport = json_string_value(json_object_get(elem, "vport"));
        if (!slice || !vport || strncmp(vport, "vl-", 3)) {
            return false;
        }
        json_array_foreach(json_object_get(config, "vlinks"), i, other) {
            const char *oslice = json_string_value(json_object_get(other,
                                                                   "slice"));
            const char *oname = json_string_value(json_object_get(other,
                                                                  "name"));
            if (oslice && oname && !strcmp(oslice, slice)
                && !strcmp(oname, vport + 3)) {
                return true;
            }
        }
    }
    return false;
}
