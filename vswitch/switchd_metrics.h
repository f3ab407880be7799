/*
 * switchd_metrics: lamina-switchd's counters in the Prometheus exposition
 * (lib/metrics.h), for `lamina-switchd --metrics ADDR:PORT`.
 *
 * Every counter the dataplane keeps (dp_stats_to_json(), the same source
 * as the "stats.get" method) becomes a family; each counter set gives
 * packets and bytes received and sent and drops by reason (every reason
 * of DP_DROP_REASONS, zero ones included, so the series are stable):
 *
 *   lamina_port_*    {switch, port}          every substrate port
 *   lamina_slice_*   {slice}                 a slice across the switchd
 *   lamina_vnode_*   {slice, switch}         a slice on one switch
 *   lamina_vport_*   {slice, switch, vport}
 *   lamina_queue_*   {slice, switch, port}   a (slice, egress port) queue
 *   lamina_link_*    {link, switch, port}    each end of a link
 *   lamina_worker_*  {lcore}                 forwarding lcores
 *
 * with gauges for what is held now (queue length, mbufs held by a slice,
 * link up, configured rates).  The collection runs on the control thread
 * (metrics_server_run() from the control loop), the only thread that
 * changes the configuration; it reads the workers' counters without
 * locking them, as "stats.get" does.  See docs/observability.md.
 */
#ifndef LAMINA_SWITCHD_METRICS_H
#define LAMINA_SWITCHD_METRICS_H 1

#include "metrics.h"

/* Fills 'm' with the dataplane's counters ('aux' unused): a
 * metrics_collect_func. */
void switchd_metrics_collect(struct metrics *m, void *aux);

/* The live view (docs/observability.md), served on the same listener at
 * "/" with its picture at /view.json and /events: a metrics_view_func.
 * The picture: {"time_ms", "switches": [{"name", "x"?, "y"?, "label"?}],
 * "links": [{"name", "a", "b", "up", "rate_bps", "tx_bytes"}], "hosts":
 * [{"switch", "port", "rx_bytes", "tx_bytes"}] (access ports), "slices":
 * [{"name", counters, "switches", "vlinks": [{"name", "path"}], "links":
 * {link: bytes the slice sent on it}}].  'map' (may be NULL) gives the
 * switches' coordinates: switchd_metrics_map(). */
json_t *switchd_metrics_view(void *map);

/* Coordinates of the switches of a `lamina topo` map from a Topology Zoo
 * GML file: {"s<id>" or label: {"x": longitude, "y": latitude, "label"}}.
 * NULL with '*errp' (malloc'ed) if the file cannot be read. */
json_t *switchd_metrics_map(const char *path, char **errp);

/* The live view's page. */
extern const char switchd_view_html[];

#endif /* LAMINA_SWITCHD_METRICS_H */
