/*
 * switchd_state: what lamina-switchd's state file holds.
 *
 * The state file holds exactly what dp_config_to_json() returns: an
 * object with one array per kind of object, in the order they must be
 * created again (a port needs its switch, a vport its vnode and port, a
 * virtual link its vnodes and links):
 *
 *     {"switches": [...], "ports": [...], "links": [...], "slices": [...],
 *      "queues": [...], "vnodes": [...], "vports": [...], "vlinks": [...]}
 *
 * Each element has the same members as the params of the RPC method that
 * creates it; switchd_state_sections[] pairs them, with the methods that
 * delete and change an element and the members that name it.  Writing,
 * reading, replaying and reverting are lib/statefile.h's; this module
 * says only what is particular to the switch: the table, and which
 * elements another one makes (a link makes its two end ports, a virtual
 * link the "vl-NAME" vports at its ends).
 */
#ifndef LAMINA_SWITCHD_STATE_H
#define LAMINA_SWITCHD_STATE_H 1

#include <stdbool.h>

#include <jansson.h>

#include "statefile.h"

/* The sections in replay order, terminated by { NULL }. */
extern const struct statefile_section switchd_state_sections[];

/* True if element 'elem' of section 'key' is made by another element of
 * 'config', so replaying it on its own would collide. */
bool switchd_state_is_derived(const json_t *config, const char *key,
                              const json_t *elem);

#endif /* LAMINA_SWITCHD_STATE_H */
