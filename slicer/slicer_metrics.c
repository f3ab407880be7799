/*
 * slicer_metrics: lamina-slicer's counters for Prometheus
 * (`lamina-slicer --metrics ADDR:PORT`, lib/metrics.h).
 *
 * Per slice, every counter of SLICE_COUNTERS (slicer.h) as
 * lamina_slicer_slice_<counter>_total{slice}, and per (slice, switch) the
 * flows it holds against its quota (lamina_slicer_slice_flows,
 * lamina_slicer_slice_flow_quota, 0 = none), groups, meters, whether its
 * controller connection is up and how often it connected; for the daemon,
 * the switch listener's counters and PACKET_INs no slice owned.  The
 * collection runs in the slicer's own loop (CONN_METRICS), the only
 * thread that touches these objects.
 */
#include <inttypes.h>
#include <stdio.h>

#include "metrics.h"
#include "slicer_pvt.h"

/* Fills 'm' with the slicer's counters: a metrics_collect_func. */
static void
slicer_metrics_collect(struct metrics *m, void *s_)
{
    struct slicer *s = s_;
    struct ofstream_listener_stats ls = { 0 };
    char dpid[32];

#define SLICE_COUNTER_DECLARE(NAME, HELP) \
    metrics_declare(m, "lamina_slicer_slice_" #NAME "_total", \
                    METRICS_COUNTER, "Slice's " HELP ".");
    SLICE_COUNTERS(SLICE_COUNTER_DECLARE)
#undef SLICE_COUNTER_DECLARE
    metrics_declare(m, "lamina_slicer_slice_flows", METRICS_GAUGE,
                    "Flows the slice holds on the switch.");
    metrics_declare(m, "lamina_slicer_slice_flow_quota", METRICS_GAUGE,
                    "Most flows the slice may hold per switch (0: no quota).");
    metrics_declare(m, "lamina_slicer_slice_groups", METRICS_GAUGE,
                    "Groups the slice holds on the switch.");
    metrics_declare(m, "lamina_slicer_slice_meters", METRICS_GAUGE,
                    "Meters the slice holds on the switch.");
    metrics_declare(m, "lamina_slicer_controller_up", METRICS_GAUGE,
                    "1 if the slice's controller connection for the switch "
                    "is up.");
    metrics_declare(m, "lamina_slicer_controller_connects_total",
                    METRICS_COUNTER, "Connections made to the slice's "
                    "controller for the switch.");

    for (size_t i = 0; i < s->cfg.n_slices; i++) {
        const struct slice *sl = s->cfg.slices[i];
#define SLICE_COUNTER_ADD(NAME, HELP) \
        metrics_add(m, "lamina_slicer_slice_" #NAME "_total", sl->c.NAME, \
                    "slice", sl->name, (char *) NULL);
        SLICE_COUNTERS(SLICE_COUNTER_ADD)
#undef SLICE_COUNTER_ADD
        metrics_add(m, "lamina_slicer_slice_flow_quota", sl->max_flows,
                    "slice", sl->name, (char *) NULL);
        for (size_t k = 0; k < sl->n_dps; k++) {
            const struct slice_dp *dp = &sl->dps[k];
            snprintf(dpid, sizeof dpid, "%#018" PRIx64, dp->dpid);
            metrics_add(m, "lamina_slicer_slice_flows", dp->flows.n,
                        "slice", sl->name, "dpid", dpid, (char *) NULL);
            metrics_add(m, "lamina_slicer_slice_groups", dp->n_groups,
                        "slice", sl->name, "dpid", dpid, (char *) NULL);
            metrics_add(m, "lamina_slicer_slice_meters", dp->n_meters,
                        "slice", sl->name, "dpid", dpid, (char *) NULL);
            metrics_add(m, "lamina_slicer_controller_up",
                        dp->conn && dp->conn->state == CC_UP,
                        "slice", sl->name, "dpid", dpid, (char *) NULL);
            metrics_add(m, "lamina_slicer_controller_connects_total",
                        dp->conn ? dp->conn->connects : 0,
                        "slice", sl->name, "dpid", dpid, (char *) NULL);
        }
    }

    if (s->listener) {
        ofstream_listener_stats(s->listener, &ls);
    }
    metrics_declare(m, "lamina_slicer_switch_connections", METRICS_GAUGE,
                    "Switch connections open now.");
    metrics_add(m, "lamina_slicer_switch_connections", ls.live, (char *) NULL);
    metrics_declare(m, "lamina_slicer_switch_accepts_total", METRICS_COUNTER,
                    "Switch connections accepted.");
    metrics_add(m, "lamina_slicer_switch_accepts_total", ls.accepted,
                (char *) NULL);
    metrics_declare(m, "lamina_slicer_switch_refusals_total", METRICS_COUNTER,
                    "Switch connections refused, by reason.");
    metrics_add(m, "lamina_slicer_switch_refusals_total", ls.refused_cap,
                "reason", "cap", (char *) NULL);
    metrics_add(m, "lamina_slicer_switch_refusals_total", ls.refused_source,
                "reason", "source", (char *) NULL);
    metrics_add(m, "lamina_slicer_switch_refusals_total",
                s->switches_refused_identity, "reason", "identity",
                (char *) NULL);
    metrics_declare(m, "lamina_slicer_packet_ins_unowned_total",
                    METRICS_COUNTER, "PACKET_INs no slice owned.");
    metrics_add(m, "lamina_slicer_packet_ins_unowned_total",
                s->packet_ins_unowned, (char *) NULL);
}

/* Serves /metrics on 'listen' from the slicer's loop.  Returns 0 or an
 * errno with a message in 'msg'. */
int
slicer_serve_metrics(struct slicer *s, const char *listen, char *msg,
                     size_t size)
{
    struct metrics_server *ms;
    int error = metrics_server_start(listen, slicer_metrics_collect, s,
                                     &ms, msg, size);
    if (!error) {
        slicer_watch_metrics(s, ms);
    }
    return error;
}
