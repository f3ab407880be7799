/*
 * switchd_metrics: lamina-switchd's counters for Prometheus; see
 * switchd_metrics.h.
 */
#include "switchd_metrics.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dataplane.h"
#include "dp_counters.h"
#include "gml.h"
#include "graph.h"
#include "util.h"

#define MAX_PAIRS 4

/* The objects that keep a counter set: prefix, help noun. */
static const struct {
    const char *prefix;
    const char *what;
} objects[] = {
    { "lamina_port", "substrate port" },
    { "lamina_slice", "slice at a switch (rx: from its hosts, tx: to its hosts)" },
    { "lamina_vnode", "slice's virtual node on a switch" },
    { "lamina_vport", "virtual port" },
    { "lamina_queue", "(slice, egress port) queue" },
    { "lamina_link", "link end" },
};

/* Declares the families of a counter set for each object. */
static void
declare_counter_sets(struct metrics *m)
{
    static const struct {
        const char *suffix, *help;
    } sets[] = {
        { "rx_packets_total", "Packets received by the" },
        { "rx_bytes_total", "Bytes received by the" },
        { "tx_packets_total", "Packets sent by the" },
        { "tx_bytes_total", "Bytes sent by the" },
        { "drops_total", "Packets dropped, by reason, at the" },
    };
    char name[96], help[160];

    for (size_t o = 0; o < ARRAY_SIZE(objects); o++) {
        for (size_t k = 0; k < ARRAY_SIZE(sets); k++) {
            snprintf(name, sizeof name, "%s_%s", objects[o].prefix,
                     sets[k].suffix);
            snprintf(help, sizeof help, "%s %s.", sets[k].help,
                     objects[o].what);
            metrics_declare(m, name, METRICS_COUNTER, help);
        }
    }
}

/* Adds the counter set 'j' (dp_counters_to_json()'s shape) of object
 * 'prefix' with 'n' label pairs 'kv' (room for one more pair). */
static void
add_counter_set(struct metrics *m, const char *prefix, const json_t *j,
                const char **kv, size_t n)
{
    static const char *const keys[] = { "rx_packets", "rx_bytes",
                                        "tx_packets", "tx_bytes" };
    const json_t *drops = json_object_get(j, "drops");
    char name[96];

    for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
        snprintf(name, sizeof name, "%s_%s_total", prefix, keys[k]);
        metrics_add_labels(m, name, json_integer_value(
                               json_object_get(j, keys[k])), kv, n);
    }
    snprintf(name, sizeof name, "%s_drops_total", prefix);
    kv[2 * n] = "reason";
    for (int r = 0; r < DP_N_DROPS; r++) {
        kv[2 * n + 1] = dp_drop_names[r];
        metrics_add_labels(m, name, json_integer_value(
                               json_object_get(drops, dp_drop_names[r])),
                           kv, n + 1);
    }
}

static const char *
jstr(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

static double
jnum(const json_t *j, const char *key)
{
    return json_number_value(json_object_get(j, key));
}

/* Fills 'm' with the dataplane's counters; see switchd_metrics.h. */
void
switchd_metrics_collect(struct metrics *m, void *aux)
{
    json_t *stats = dp_stats_to_json(NULL, NULL);
    json_t *workers = dp_workers_to_json();
    const char *kv[2 * (MAX_PAIRS + 1)];
    const json_t *j;
    size_t i;

    (void) aux;
    declare_counter_sets(m);
    metrics_declare(m, "lamina_port_rate_bytes_per_second", METRICS_GAUGE,
                    "Configured egress rate of the port in bytes/s (0: the "
                    "device's).");
    metrics_declare(m, "lamina_port_ring_frames", METRICS_GAUGE,
                    "Frames the receive ring of an afpacket: port holds now "
                    "(it grows with bursts).");
    metrics_declare(m, "lamina_port_mtu", METRICS_GAUGE,
                    "MTU of the port's interface as the switch knows it now "
                    "(afpacket: followed as it changes; ethdev: at open).");
    metrics_declare(m, "lamina_slice_mbufs_held", METRICS_GAUGE,
                    "Packet buffers the slice holds in queues now.");
    metrics_declare(m, "lamina_slice_gso_held", METRICS_GAUGE,
                    "Super-frame buffers (64 KiB) the slice holds in queues "
                    "now, of its share (gso_quota).");
    metrics_declare(m, "lamina_queue_packets", METRICS_GAUGE,
                    "Packets waiting in the queue now.");
    metrics_declare(m, "lamina_queue_guarantee_bytes_per_second",
                    METRICS_GAUGE, "Rate guaranteed to the queue.");
    metrics_declare(m, "lamina_queue_ceiling_bytes_per_second",
                    METRICS_GAUGE, "Most the queue may send (0: the port's "
                    "rate).");
    metrics_declare(m, "lamina_link_up", METRICS_GAUGE,
                    "1 if the link is up, 0 if it is down.");
    metrics_declare(m, "lamina_bfd_up", METRICS_GAUGE,
                    "1 if the port's BFD session is Up, else 0.");
    metrics_declare(m, "lamina_bfd_downs_total", METRICS_COUNTER,
                    "Times the port's BFD session went from Up to Down.");
    metrics_declare(m, "lamina_bfd_last_detect_seconds", METRICS_GAUGE,
                    "Last packet heard to Down, at the last detection "
                    "timeout of the port's BFD session.");
    metrics_declare(m, "lamina_vlink_bfd_up", METRICS_GAUGE,
                    "1 if the end-to-end BFD session of a virtual link end "
                    "on a path is Up, else 0.");
    metrics_declare(m, "lamina_vlink_bfd_downs_total", METRICS_COUNTER,
                    "Times the end-to-end BFD session of a virtual link end "
                    "on a path went from Up to Down.");
    metrics_declare(m, "lamina_vlink_bfd_last_detect_seconds", METRICS_GAUGE,
                    "Last packet heard to Down, at the last detection timeout "
                    "of a virtual link end's end-to-end BFD session.");
    metrics_declare(m, "lamina_vport_on_backup", METRICS_GAUGE,
                    "1 if the virtual link end sends on its backup path.");
    metrics_declare(m, "lamina_vport_reroutes_total", METRICS_COUNTER,
                    "Moves of the virtual link end to its backup path.");
    metrics_declare(m, "lamina_worker_rounds_total", METRICS_COUNTER,
                    "Poll rounds of the forwarding lcore.");
    metrics_declare(m, "lamina_worker_busy_rounds_total", METRICS_COUNTER,
                    "Poll rounds of the forwarding lcore that moved packets.");
    metrics_declare(m, "lamina_worker_packets_total", METRICS_COUNTER,
                    "Packets the forwarding lcore received.");
    metrics_declare(m, "lamina_worker_handoff_out_total", METRICS_COUNTER,
                    "Frames the lcore handed to another serving its switch.");
    metrics_declare(m, "lamina_worker_handoff_in_total", METRICS_COUNTER,
                    "Frames the lcore took from the others serving its switch.");
    metrics_declare(m, "lamina_worker_handoff_drops_total", METRICS_COUNTER,
                    "Frames dropped for a full handoff ring.");
    metrics_declare(m, "lamina_worker_handoff_holds_total", METRICS_COUNTER,
                    "Rounds the lcore received nothing: a handoff ring full.");

    json_array_foreach (json_object_get(stats, "ports"), i, j) {
        kv[0] = "switch"; kv[1] = jstr(j, "switch");
        kv[2] = "port"; kv[3] = jstr(j, "name");
        add_counter_set(m, "lamina_port", j, kv, 2);
        metrics_add_labels(m, "lamina_port_rate_bytes_per_second",
                           jnum(j, "rate_bps") / 8, kv, 2);
        if (json_object_get(j, "ring_frames")) {
            metrics_add_labels(m, "lamina_port_ring_frames",
                               jnum(j, "ring_frames"), kv, 2);
        }
        if (json_object_get(j, "mtu")) {
            metrics_add_labels(m, "lamina_port_mtu", jnum(j, "mtu"), kv, 2);
        }
        const json_t *bfd = json_object_get(j, "bfd");
        if (bfd) {
            metrics_add_labels(m, "lamina_bfd_up",
                               !strcmp(jstr(bfd, "state"), "Up"), kv, 2);
            metrics_add_labels(m, "lamina_bfd_downs_total", jnum(bfd, "downs"),
                               kv, 2);
            metrics_add_labels(m, "lamina_bfd_last_detect_seconds",
                               jnum(bfd, "last_detect_us") / 1e6, kv, 2);
        }
    }
    json_array_foreach (json_object_get(stats, "slices"), i, j) {
        const json_t *per_sw;
        size_t k;
        kv[0] = "slice"; kv[1] = jstr(j, "name");
        metrics_add_labels(m, "lamina_slice_mbufs_held",
                           jnum(j, "mbufs_held"), kv, 1);
        metrics_add_labels(m, "lamina_slice_gso_held",
                           jnum(j, "gso_held"), kv, 1);
        json_array_foreach (json_object_get(j, "switches"), k, per_sw) {
            kv[2] = "switch"; kv[3] = jstr(per_sw, "switch");
            add_counter_set(m, "lamina_slice", per_sw, kv, 2);
        }
    }
    json_array_foreach (json_object_get(stats, "vnodes"), i, j) {
        const json_t *vp;
        size_t v;
        kv[0] = "slice"; kv[1] = jstr(j, "slice");
        kv[2] = "switch"; kv[3] = jstr(j, "switch");
        add_counter_set(m, "lamina_vnode", j, kv, 2);
        json_array_foreach (json_object_get(j, "vports"), v, vp) {
            kv[4] = "vport"; kv[5] = jstr(vp, "name");
            add_counter_set(m, "lamina_vport", vp, kv, 3);
            if (json_object_get(vp, "reroutes")) {
                metrics_add_labels(m, "lamina_vport_on_backup",
                                   !strcmp(jstr(vp, "path"), "backup"), kv, 3);
                metrics_add_labels(m, "lamina_vport_reroutes_total",
                                   jnum(vp, "reroutes"), kv, 3);
                const json_t *bfd = json_object_get(vp, "bfd");
                for (int k = 0; bfd && k < 2; k++) {
                    const char *path = k ? "backup" : "primary";
                    const json_t *b = json_object_get(bfd, path);
                    kv[6] = "path"; kv[7] = path;
                    metrics_add_labels(m, "lamina_vlink_bfd_up",
                                       !strcmp(jstr(b, "state"), "Up"), kv, 4);
                    metrics_add_labels(m, "lamina_vlink_bfd_downs_total",
                                       jnum(b, "downs"), kv, 4);
                    metrics_add_labels(m, "lamina_vlink_bfd_last_detect_seconds",
                                       jnum(b, "last_detect_us") / 1e6, kv, 4);
                }
            }
        }
    }
    json_array_foreach (json_object_get(stats, "queues"), i, j) {
        kv[0] = "slice"; kv[1] = jstr(j, "slice");
        kv[2] = "switch"; kv[3] = jstr(j, "switch");
        kv[4] = "port"; kv[5] = jstr(j, "port");
        add_counter_set(m, "lamina_queue", j, kv, 3);
        metrics_add_labels(m, "lamina_queue_packets", jnum(j, "queued"),
                           kv, 3);
        metrics_add_labels(m, "lamina_queue_guarantee_bytes_per_second",
                           jnum(j, "guarantee_bps") / 8, kv, 3);
        metrics_add_labels(m, "lamina_queue_ceiling_bytes_per_second",
                           jnum(j, "ceiling_bps") / 8, kv, 3);
    }
    json_array_foreach (json_object_get(stats, "links"), i, j) {
        const json_t *end;
        size_t e;
        kv[0] = "link"; kv[1] = jstr(j, "name");
        metrics_add_labels(m, "lamina_link_up",
                           json_is_true(json_object_get(j, "up")), kv, 1);
        json_array_foreach (json_object_get(j, "ends"), e, end) {
            kv[2] = "switch"; kv[3] = jstr(end, "switch");
            kv[4] = "port"; kv[5] = jstr(end, "port");
            add_counter_set(m, "lamina_link", end, kv, 3);
        }
    }
    json_array_foreach (workers, i, j) {
        char lcore[16];
        snprintf(lcore, sizeof lcore, "%lld",
                 (long long) json_integer_value(json_object_get(j, "lcore")));
        metrics_add(m, "lamina_worker_rounds_total", jnum(j, "rounds"),
                    "lcore", lcore, (char *) NULL);
        metrics_add(m, "lamina_worker_busy_rounds_total",
                    jnum(j, "busy_rounds"), "lcore", lcore, (char *) NULL);
        metrics_add(m, "lamina_worker_packets_total", jnum(j, "packets"),
                    "lcore", lcore, (char *) NULL);
        /* A worker sharing a switch with others: its handoff rings. */
        const json_t *ho = json_object_get(j, "handoff");
        if (ho) {
            metrics_add(m, "lamina_worker_handoff_out_total", jnum(ho, "out"),
                        "lcore", lcore, (char *) NULL);
            metrics_add(m, "lamina_worker_handoff_in_total", jnum(ho, "in"),
                        "lcore", lcore, (char *) NULL);
            metrics_add(m, "lamina_worker_handoff_drops_total", jnum(ho, "drops"),
                        "lcore", lcore, (char *) NULL);
            metrics_add(m, "lamina_worker_handoff_holds_total", jnum(ho, "holds"),
                        "lcore", lcore, (char *) NULL);
        }
    }
    json_decref(stats);
    json_decref(workers);
}

/* ---- The live view ------------------------------------------------------ */

/* Adds 'v' to member 'key' of 'o'. */
static void
view_add(json_t *o, const char *key, json_int_t v)
{
    json_object_set_new(o, key, json_integer(
        json_integer_value(json_object_get(o, key)) + v));
}

/* The picture for the live view; see switchd_metrics.h. */
json_t *
switchd_metrics_view(void *map_)
{
    const json_t *map = map_;
    json_t *stats = dp_stats_to_json(NULL, NULL);
    json_t *config = dp_config_to_json();
    json_t *switches = json_array(), *links = json_array();
    json_t *hosts = json_array(), *slices = json_object(), *out;
    const json_t *j;
    size_t i;

    json_array_foreach (json_object_get(config, "switches"), i, j) {
        const char *name = json_is_string(j) ? json_string_value(j)
                           : jstr(j, "name");
        json_t *sw = json_pack("{s:s}", "name", name);
        const json_t *where = json_object_get(map, name);
        if (where) {
            json_object_update(sw, (json_t *) where);
        }
        json_array_append_new(switches, sw);
    }
    json_array_foreach (json_object_get(stats, "links"), i, j) {
        const json_t *ends = json_object_get(j, "ends");
        const json_t *a = json_array_get(ends, 0), *b = json_array_get(ends, 1);
        json_array_append_new(links, json_pack(
            "{s:s, s:s, s:s, s:b, s:f, s:I}", "name", jstr(j, "name"),
            "a", jstr(a, "switch"), "b", jstr(b, "switch"),
            "up", json_is_true(json_object_get(j, "up")),
            "rate_bps", jnum(j, "rate_bps"), "tx_bytes",
            (json_int_t) (jnum(a, "tx_bytes") + jnum(b, "tx_bytes"))));
    }
    json_array_foreach (json_object_get(stats, "ports"), i, j) {
        if (!json_object_get(j, "link")) {
            json_array_append_new(hosts, json_pack(
                "{s:s, s:s, s:I, s:I}", "switch", jstr(j, "switch"),
                "port", jstr(j, "name"),
                "rx_bytes", (json_int_t) jnum(j, "rx_bytes"),
                "tx_bytes", (json_int_t) jnum(j, "tx_bytes")));
        }
    }
    json_array_foreach (json_object_get(stats, "slices"), i, j) {
        json_object_set_new(slices, jstr(j, "name"), json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:[], s:[]}", "name",
            jstr(j, "name"),
            "rx_packets", (json_int_t) jnum(j, "rx_packets"),
            "rx_bytes", (json_int_t) jnum(j, "rx_bytes"),
            "tx_packets", (json_int_t) jnum(j, "tx_packets"),
            "tx_bytes", (json_int_t) jnum(j, "tx_bytes"),
            "dropped", (json_int_t) jnum(j, "dropped"),
            "switches", "vlinks"));
    }
    json_array_foreach (json_object_get(config, "vnodes"), i, j) {
        json_t *s = json_object_get(slices, jstr(j, "slice"));
        const char *addr = jstr(j, "switch");
        if (s) {
            /* A named vnode's address is SWITCH/NAME: the view draws switches. */
            json_array_append_new(json_object_get(s, "switches"), json_stringn(
                                  addr, strcspn(addr, "/")));
        }
    }
    json_array_foreach (json_object_get(config, "vlinks"), i, j) {
        json_t *s = json_object_get(slices, jstr(j, "slice"));
        if (s) {
            json_array_append_new(json_object_get(s, "vlinks"), json_pack(
                "{s:s, s:O}", "name", jstr(j, "name"),
                "path", json_object_get(j, "path")));
        }
    }
    /* Per slice and link: what the slice's queues on the link's ends
     * sent. */
    json_array_foreach (json_object_get(stats, "queues"), i, j) {
        json_t *s = json_object_get(slices, jstr(j, "slice"));
        const json_t *p;
        size_t k;
        json_array_foreach (json_object_get(stats, "ports"), k, p) {
            const char *link = json_string_value(json_object_get(p, "link"));
            if (s && link && !strcmp(jstr(p, "switch"), jstr(j, "switch"))
                && !strcmp(jstr(p, "name"), jstr(j, "port"))) {
                json_t *lk = json_object_get(s, "links");
                if (!lk) {
                    lk = json_object();
                    json_object_set_new(s, "links", lk);
                }
                view_add(lk, link, jnum(j, "tx_bytes"));
            }
        }
    }
    json_t *slice_list = json_array();
    const char *key;
    json_t *v;
    json_object_foreach (slices, key, v) {
        json_array_append(slice_list, v);
    }
    json_decref(slices);
    out = json_pack("{s:I, s:o, s:o, s:o, s:o}", "time_ms",
                    (json_int_t) (time_ns() / 1000000), "switches", switches,
                    "links", links, "hosts", hosts, "slices", slice_list);
    json_decref(stats);
    json_decref(config);
    return out;
}

/* Reads the map (coordinates) of a Topology Zoo GML; see
 * switchd_metrics.h. */
json_t *
switchd_metrics_map(const char *path, char **errp)
{
    struct graph *g;
    json_t *map;

    if (gml_read_file(path, &g, errp)) {
        return NULL;
    }
    map = json_object();
    /* Names "s<id>" first, labels after: a label that is a switch's name
     * wins over another node's id. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t n = 0; n < graph_n_nodes(g); n++) {
            const char *label = graph_node_label(g, n);
            double lat, lon, id;
            char name[32];
            if (!graph_node_coords(g, n, &lat, &lon)) {
                continue;
            }
            json_t *where = json_pack("{s:f, s:f}", "x", lon, "y", lat);
            if (label) {
                json_object_set_new(where, "label", json_string(label));
            }
            if (pass == 0 && graph_node_get_num(g, n, "id", &id)) {
                snprintf(name, sizeof name, "s%ld", (long) id);
                json_object_set(map, name, where);
            } else if (pass == 1 && label) {
                json_object_set(map, label, where);
            }
            json_decref(where);
        }
    }
    graph_destroy(g);
    return map;
}
