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
#include "util.h"

#define MAX_PAIRS 4

/* The objects that keep a counter set: prefix, help noun. */
static const struct {
    const char *prefix;
    const char *what;
} objects[] = {
    { "lamina_port", "substrate port" },
    { "lamina_slice", "slice (rx: from hosts, tx: to hosts)" },
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
    metrics_declare(m, "lamina_slice_mbufs_held", METRICS_GAUGE,
                    "Packet buffers the slice holds in queues now.");
    metrics_declare(m, "lamina_queue_packets", METRICS_GAUGE,
                    "Packets waiting in the queue now.");
    metrics_declare(m, "lamina_queue_guarantee_bytes_per_second",
                    METRICS_GAUGE, "Rate guaranteed to the queue.");
    metrics_declare(m, "lamina_queue_ceiling_bytes_per_second",
                    METRICS_GAUGE, "Most the queue may send (0: the port's "
                    "rate).");
    metrics_declare(m, "lamina_link_up", METRICS_GAUGE,
                    "1 if the link is up, 0 if it is down.");
    metrics_declare(m, "lamina_worker_rounds_total", METRICS_COUNTER,
                    "Poll rounds of the forwarding lcore.");
    metrics_declare(m, "lamina_worker_busy_rounds_total", METRICS_COUNTER,
                    "Poll rounds of the forwarding lcore that moved packets.");
    metrics_declare(m, "lamina_worker_packets_total", METRICS_COUNTER,
                    "Packets the forwarding lcore received.");

    json_array_foreach (json_object_get(stats, "ports"), i, j) {
        kv[0] = "switch"; kv[1] = jstr(j, "switch");
        kv[2] = "port"; kv[3] = jstr(j, "name");
        add_counter_set(m, "lamina_port", j, kv, 2);
        metrics_add_labels(m, "lamina_port_rate_bytes_per_second",
                           jnum(j, "rate_bps") / 8, kv, 2);
    }
    json_array_foreach (json_object_get(stats, "slices"), i, j) {
        kv[0] = "slice"; kv[1] = jstr(j, "name");
        add_counter_set(m, "lamina_slice", j, kv, 1);
        metrics_add_labels(m, "lamina_slice_mbufs_held",
                           jnum(j, "mbufs_held"), kv, 1);
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
    }
    json_decref(stats);
    json_decref(workers);
}
