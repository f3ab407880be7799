/*
 * dp_json: the dataplane seen as JSON: its configuration (the daemon's
 * state file and "config.get") and its counters ("stats.get").  The
 * configuration uses the same keys as the daemon's RPC parameters, so a
 * saved configuration is replayed by calling the same methods.
 */
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "dp_private.h"

static json_t *
dp_counters_to_json(const struct dp_counters *c)
{
    json_t *drops = json_object();
    json_int_t total = 0;

    for (int i = 0; i < DP_N_DROPS; i++) {
        if (c->drops[i]) {
            json_object_set_new(drops, dp_drop_names[i], json_integer(c->drops[i]));
            total += c->drops[i];
        }
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}",
                     "rx_packets", (json_int_t) c->rx_packets,
                     "rx_bytes", (json_int_t) c->rx_bytes,
                     "tx_packets", (json_int_t) c->tx_packets,
                     "tx_bytes", (json_int_t) c->tx_bytes,
                     "dropped", total, "drops", drops);
}

/* Adds what frames access vport 'vp' takes to 'j' as vport.add's
 * parameters: "vlan" (-1 untagged), and for a VLAN set or a whole port
 * "vlans" ([VID or "FIRST-LAST", ...] or "all") with "keep_tag". */
static void
dp_vport_binding_to_json(const struct dp_vport *vp, json_t *j)
{
    json_object_set_new(j, "vlan", json_integer(vp->vlan));
    if (vp->bind == DP_BIND_PORT) {
        json_object_set_new(j, "vlans", json_string("all"));
        json_object_set_new(j, "keep_tag", json_true());
    } else if (vp->bind == DP_BIND_VLANS) {
        json_t *set = json_array();
        for (int v = 1; v <= 4094; v++) {
            if (!(vp->vlans[v / 64] >> (v % 64) & 1)) {
                continue;
            }
            int last = v;
            while (last < 4094 && (vp->vlans[(last + 1) / 64] >> ((last + 1) % 64) & 1)) {
                last++;
            }
            if (last == v) {
                json_array_append_new(set, json_integer(v));
            } else {
                char r[24];
                snprintf(r, sizeof r, "%d-%d", v, last);
                json_array_append_new(set, json_string(r));
            }
            v = last;
        }
        json_object_set_new(j, "vlans", set);
        json_object_set_new(j, "keep_tag", json_true());
    }
}

static const char *
dp_port_devargs(const struct dp_port *p)
{
    return p->type != DP_PORT_RING && p->devargs ? p->devargs : "";
}

/* Appends the vnodes of slice 's' on switch 'sw' to 'vnodes' and their
 * access vports to 'vports', as dp_config_to_json() shows them. */
static void
dp_vnodes_to_json(const struct dp_slice *s, const struct dp_switch *sw,
                  json_t *vnodes, json_t *vports)
{
    for (struct dp_vnode *vn = s->idx < sw->n_vnodes_alloc ? sw->vnodes[s->idx]
                               : NULL; vn; vn = vn->next) {
        char addr[2 * DP_NAME_LEN];

        dp_vnode_addr(vn, addr);
        json_array_append_new(vnodes, json_pack(
            "{s:s, s:s, s:s, s:o}", "slice", s->name, "switch", addr,
            "fp", vn->fp->name, "config", vn->fp->config(vn->fp_state)));
        for (uint16_t j = 0; j < vn->n_vports; j++) {
            struct dp_vport *vp = vn->vports[j];
            if (vp && vp->type == DP_VPORT_ACCESS) {
                json_t *jv = json_pack(
                    "{s:s, s:s, s:s, s:s}", "slice", s->name, "switch",
                    addr, "vport", vp->name, "port", vp->port->name);
                dp_vport_binding_to_json(vp, jv);
                json_array_append_new(vports, jv);
            }
        }
    }
}

json_t *
dp_config_to_json(void)
{
    json_t *switches = json_array(), *ports = json_array(), *links = json_array();
    json_t *slices = json_array(), *queues = json_array(), *vnodes = json_array();
    json_t *vports = json_array(), *vlinks = json_array();

    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];

        json_array_append_new(switches, json_pack("{s:s}", "name", sw->name));
        if (sw->n_workers > 1) {
            json_object_set_new(json_array_get(switches, json_array_size(switches) - 1),
                                "workers", json_integer(sw->n_workers));
        }
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
            if (p->link || p->type == DP_PORT_RING) {   /* dummies are not kept */
                continue;
            }
            json_array_append_new(ports, json_pack(
                "{s:s, s:s, s:s, s:I, s:i, s:i, s:i}", "switch", sw->name,
                "name", p->name, "devargs", dp_port_devargs(p),
                "rate_bps", (json_int_t) p->rate_bps, "queue_len", p->queue_len,
                "delay_us", p->delay_us, "loss_ppm", p->loss_ppm));
            if (p->down) {
                json_object_set_new(json_array_get(ports, json_array_size(ports) - 1),
                                    "up", json_false());
            }
            if (p->bfd) {
                json_object_set_new(json_array_get(ports, json_array_size(ports) - 1),
                                    "bfd", dp_bfd_config_json(p, p->type != DP_PORT_TUN));
            }
        }
    }
    for (uint32_t i = 0; i < dp.n_links; i++) {
        struct dp_link *l = dp.links[i];
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:b}",
                              "name", l->name,
                              "sw_a", l->ends[0]->sw->name, "port_a", l->ends[0]->name,
                              "sw_b", l->ends[1]->sw->name, "port_b", l->ends[1]->name,
                              "rate_bps", (json_int_t) l->rate_bps,
                              "delay_us", l->delay_us, "loss_ppm", l->loss_ppm,
                              "up", l->up);
        if (l->ends[0]->type != DP_PORT_RING) {
            json_object_set_new(j, "devargs_a", json_string(dp_port_devargs(l->ends[0])));
            json_object_set_new(j, "devargs_b", json_string(dp_port_devargs(l->ends[1])));
        }
        if (l->ends[0]->bfd) {
            json_object_set_new(j, "bfd", dp_bfd_config_json(l->ends[0], true));
        }
        json_array_append_new(links, j);
    }
    for (uint32_t i = 0; i < dp.n_slices_alloc; i++) {
        struct dp_slice *s = dp.slices[i];
        if (!s) {
            continue;
        }
        json_array_append_new(slices, json_pack(
            "{s:s, s:I, s:I, s:I, s:i, s:i, s:i}", "name", s->name,
            "guarantee_bps", (json_int_t) s->guarantee_bps,
            "ceiling_bps", (json_int_t) s->ceiling_bps,
            "policer_bps", (json_int_t) s->policer_bps,
            "policer_burst", s->policer_burst, "budget", s->budget,
            "mbuf_quota", s->mbuf_quota));
        if (s->table_quota) {       /* state files without it stay as they were */
            json_object_set_new(json_array_get(slices, json_array_size(slices) - 1),
                                "table_quota", json_integer(s->table_quota));
        }
        if (s->gso_quota) {         /* the same */
            json_object_set_new(json_array_get(slices, json_array_size(slices) - 1),
                                "gso_quota", json_integer(s->gso_quota));
        }
        for (uint32_t k = 0; k < dp.n_switches; k++) {
            struct dp_switch *sw = dp.switches[k];
            for (uint16_t j = 0; j < sw->n_ports; j++) {
                struct dp_port *p = sw->ports[j];
                struct dp_queue *q = s->idx < p->n_queues_alloc ? p->queues[s->idx] : NULL;
                if (q && q->explicit_rates) {
                    json_array_append_new(queues, json_pack(
                        "{s:s, s:s, s:s, s:I, s:I}", "slice", s->name, "switch",
                        sw->name, "port", p->name,
                        "guarantee_bps", (json_int_t) q->guarantee_bps,
                        "ceiling_bps", (json_int_t) q->ceiling_bps));
                }
            }
            dp_vnodes_to_json(s, sw, vnodes, vports);
        }
        for (uint32_t k = 0; k < s->n_vlinks; k++) {
            struct dp_vlink *vl = s->vlinks[k];
            json_t *path = json_array();
            for (size_t j = 0; j < vl->n_path; j++) {
                json_array_append_new(path, json_string(vl->path[j]));
            }
            json_t *jvl = json_pack("{s:s, s:s, s:o, s:i}", "slice", s->name,
                                    "name", vl->name, "path", path,
                                    "label", vl->label);
            if (vl->border_port[0]) {
                json_object_set_new(jvl, "border", json_pack(
                    "{s:s, s:i}", "port", vl->border_port,
                    "label", vl->border_label));
            }
            if (vl->border_in_port[0]) {
                json_object_set_new(jvl, "border_in", json_pack(
                    "{s:s, s:i}", "port", vl->border_in_port,
                    "label", vl->border_in_label));
            }
            if (vl->n_backup) {
                json_t *bk = json_array();
                for (size_t j = 0; j < vl->n_backup; j++) {
                    json_array_append_new(bk, json_string(vl->backup[j]));
                }
                json_object_set_new(jvl, "backup", bk);
                json_object_set_new(jvl, "hold_ms", json_integer(vl->hold_ms));
            }
            if (vl->vccv) {
                json_object_set_new(jvl, "bfd", dp_bfd_timers_json(&vl->vccv_cfg));
            }
            if (vl->backup_border_port[0]) {
                json_object_set_new(jvl, "backup_border", json_pack(
                    "{s:s, s:i}", "port", vl->backup_border_port,
                    "label", vl->backup_border_label));
            }
            json_array_append_new(vlinks, jvl);
        }
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "switches", switches, "ports", ports, "links", links,
                     "slices", slices, "queues", queues, "vnodes", vnodes,
                     "vports", vports, "vlinks", vlinks);
}

static bool
dp_want(const char *kind, const char *k, const char *filter, const char *name)
{
    return (!kind || !strcmp(kind, k)) && (!filter || !strcmp(filter, name));
}

json_t *
dp_stats_to_json(const char *kind, const char *name)
{
    json_t *out = json_object();
    json_t *ports = json_array(), *slices = json_array(), *vnodes = json_array();
    json_t *queues = json_array(), *links = json_array();

    for (uint32_t i = 0; i < dp.n_switches; i++) {
        struct dp_switch *sw = dp.switches[i];
        for (uint16_t k = 0; k < sw->n_ports; k++) {
            struct dp_port *p = sw->ports[k];
            if (dp_want(kind, "port", name, p->name)) {
                struct dp_counters c = p->ctr;
                if (p->type == DP_PORT_AFP) {
                    c.drops[DP_DROP_KERNEL_RING] = dp_afp_kernel_drops(p);
                }
                json_t *j = dp_counters_to_json(&c);
                json_object_set_new(j, "switch", json_string(sw->name));
                json_object_set_new(j, "name", json_string(p->name));
                json_object_set_new(j, "rate_bps", json_integer(p->rate_bps));
                if (dp_port_mtu(p)) {
                    /* The interface's, as the switch knows it now. */
                    json_object_set_new(j, "mtu", json_integer(dp_port_mtu(p)));
                }
                if (sw->n_workers > 1) {
                    /* Its owner: the lcore that polls and sends it. */
                    json_object_set_new(j, "worker_lcore",
                                        json_integer(dp.workers[p->worker].lcore));
                }
                if (p->type == DP_PORT_AFP) {
                    unsigned grows, frames = dp_afp_ring_frames(p, &grows);
                    json_object_set_new(j, "ring_frames", json_integer(frames));
                    json_object_set_new(j, "ring_grows", json_integer(grows));
                }
                if (p->type == DP_PORT_TUN) {
                    json_object_set_new(j, "tunnel", dp_tunnel_to_json(p));
                }
                if (p->link) {
                    json_object_set_new(j, "link", json_string(p->link->name));
                }
                if (p->bfd) {
                    json_object_set_new(j, "bfd", dp_bfd_state_json(p));
                }
                json_array_append_new(ports, j);
            }
            for (uint32_t q = 0; q < p->n_queues_alloc; q++) {
                struct dp_queue *qu = p->queues[q];
                if (qu && dp_want(kind, "queue", name, qu->slice->name)) {
                    json_t *j = dp_counters_to_json(&qu->ctr);
                    json_object_set_new(j, "slice", json_string(qu->slice->name));
                    json_object_set_new(j, "switch", json_string(sw->name));
                    json_object_set_new(j, "port", json_string(p->name));
                    json_object_set_new(j, "queued", json_integer(qu->count));
                    json_object_set_new(j, "guarantee_bps", json_integer(qu->guarantee_bps));
                    json_object_set_new(j, "ceiling_bps", json_integer(qu->ceiling_bps));
                    json_array_append_new(queues, j);
                }
            }
        }
    }
    for (uint32_t i = 0; i < dp.n_slices_alloc; i++) {
        struct dp_slice *s = dp.slices[i];
        if (!s) {
            continue;
        }
        if (dp_want(kind, "slice", name, s->name)) {
            struct dp_counters sum = s->gone;
            json_t *per_sw = json_array();
            uint64_t held = 0, gso_held = 0;
            for (unsigned w = 0; w < dp.n_workers; w++) {
                held += s->held[w];
                gso_held += s->gso_held[w];
            }
            for (uint32_t k = 0; k < s->n_sws; k++) {
                struct dp_counters c = s->sws[k]->ctr;
                dp_wctr_sum(&c, s->sws[k]->wctr);
                json_t *jsw = dp_counters_to_json(&c);
                json_object_set_new(jsw, "switch", json_string(s->sws[k]->sw->name));
                json_array_append_new(per_sw, jsw);
                dp_counters_add(&sum, &c);
            }
            json_t *j = dp_counters_to_json(&sum);
            json_object_set_new(j, "name", json_string(s->name));
            json_object_set_new(j, "mbufs_held", json_integer(held));
            json_object_set_new(j, "gso_held", json_integer(gso_held));
            json_object_set_new(j, "switches", per_sw);
            json_array_append_new(slices, j);
        }
        for (uint32_t k = 0; k < dp.n_switches; k++) {
          struct dp_switch *sw = dp.switches[k];
          for (struct dp_vnode *vn = s->idx < sw->n_vnodes_alloc
                                     ? sw->vnodes[s->idx] : NULL;
               vn; vn = vn->next) {
            char addr[2 * DP_NAME_LEN];
            if (!dp_want(kind, "vnode", name, s->name)) {
                continue;
            }
            struct dp_counters vc = vn->ctr;
            dp_wctr_sum(&vc, vn->wctr);
            json_t *j = dp_counters_to_json(&vc);
            json_t *vps = json_array();
            json_object_set_new(j, "slice", json_string(s->name));
            json_object_set_new(j, "switch", json_string(dp_vnode_addr(vn, addr)));
            json_object_set_new(j, "fp", json_string(vn->fp->name));
            for (uint16_t v = 0; v < vn->n_vports; v++) {
                struct dp_vport *vp = vn->vports[v];
                if (!vp) {
                    continue;
                }
                struct dp_counters pc = vp->ctr;
                dp_wctr_sum(&pc, vp->wctr);
                json_t *jv = dp_counters_to_json(&pc);
                json_object_set_new(jv, "name", json_string(vp->name));
                json_object_set_new(jv, "index", json_integer(v));
                json_object_set_new(jv, "port", json_string(vp->port
                                                            ? vp->port->name : ""));
                if (vp->type == DP_VPORT_ACCESS) {
                    dp_vport_binding_to_json(vp, jv);
                } else {
                    json_object_set_new(jv, "vlink", json_string(vp->vlink->name));
                    json_object_set_new(jv, "label", json_integer(vp->label));
                    if (vp->fr) {
                        json_object_set_new(jv, "path", json_string(
                            vp->fr->on_backup ? "backup" : "primary"));
                        json_object_set_new(jv, "reroutes", json_integer(vp->fr->reroutes));
                        json_object_set_new(jv, "reverts", json_integer(vp->fr->reverts));
                        json_object_set_new(jv, "backup_label",
                                            json_integer(vp->vlink->backup_label));
                        if (vp->fr->vccv) {
                            json_object_set_new(jv, "bfd", json_pack(
                                "{s:o, s:o}", "primary", dp_vccv_state_json(vp, 0),
                                "backup", dp_vccv_state_json(vp, 1)));
                        }
                    }
                }
                json_array_append_new(vps, jv);
            }
            json_object_set_new(j, "vports", vps);
            json_array_append_new(vnodes, j);
          }
        }
    }
    for (uint32_t i = 0; i < dp.n_links; i++) {
        struct dp_link *l = dp.links[i];
        if (!dp_want(kind, "link", name, l->name)) {
            continue;
        }
        json_t *ends = json_array();
        for (int e = 0; e < 2; e++) {
            json_t *j = dp_counters_to_json(&l->ends[e]->ctr);
            json_object_set_new(j, "switch", json_string(l->ends[e]->sw->name));
            json_object_set_new(j, "port", json_string(l->ends[e]->name));
            json_array_append_new(ends, j);
        }
        json_array_append_new(links, json_pack("{s:s, s:b, s:I, s:i, s:i, s:o}",
                                               "name", l->name, "up", l->up,
                                               "rate_bps", (json_int_t) l->rate_bps,
                                               "delay_us", l->delay_us,
                                               "loss_ppm", l->loss_ppm, "ends", ends));
    }
#define DP_STATS_PUT(K, V) \
    if (!kind || !strcmp(kind, K)) json_object_set_new(out, K "s", V); else json_decref(V)
    DP_STATS_PUT("port", ports);
    DP_STATS_PUT("slice", slices);
    DP_STATS_PUT("vnode", vnodes);
    DP_STATS_PUT("queue", queues);
    DP_STATS_PUT("link", links);
#undef DP_STATS_PUT
    return out;
}

json_t *
dp_vnode_dump(const char *slice, const char *sw, struct dp_error *err)
{
    struct dp_vnode *vn = dp_vnode_lookup(slice, sw);

    if (!vn) {
        dp_err(err, "slice %s has no vnode %s", slice ? slice : "",
               sw ? sw : "");
        return NULL;
    }
    /* A consistent picture: the worker does not learn while we read. */
    dp_pause();
    uint32_t now_s = dp_now_ns() / 1000000000ull;
    json_t *j = vn->fp->dump(vn->fp_state, now_s);
    if (vn->wfp_state && json_is_object(j)) {
        /* A switch with several workers: the plane above is the first
         * worker's; each worker's own, by lcore. */
        json_t *ws = json_array();
        for (unsigned k = 0; k < vn->sw->n_workers; k++) {
            unsigned w = vn->sw->workers[k];
            json_t *d = vn->fp->dump(vn->wfp_state[w], now_s);
            json_object_set_new(d, "worker_lcore", json_integer(dp.workers[w].lcore));
            json_array_append_new(ws, d);
        }
        json_object_set_new(j, "workers", ws);
    }
    dp_resume();
    json_t *vps = json_array();
    for (uint16_t v = 0; v < vn->n_vports; v++) {
        if (vn->vports[v]) {
            json_array_append_new(vps, json_pack("{s:i, s:s}", "index", v, "name",
                                                 vn->vports[v]->name));
        }
    }
    json_object_set_new(j, "vports", vps);
    return j;
}

json_t *
dp_workers_to_json(void)
{
    json_t *workers = json_array();

    for (unsigned i = 0; i < dp.n_workers; i++) {
        struct dp_worker *w = &dp.workers[i];
        json_t *j = json_pack(
            "{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "lcore", w->lcore,
            "switches", w->n_switches, "rounds", (json_int_t) w->rounds,
            "sparse_rounds", (json_int_t) w->sparse_rounds,
            "busy_rounds", (json_int_t) w->busy_rounds,
            "sleeps", (json_int_t) w->sleeps,
            "sleep_ns", (json_int_t) w->sleep_ns, "blocks", (json_int_t) w->blocks,
            "packets", (json_int_t) w->pkts);
        /* The ports it owns, by switch ("SWITCH/PORT"), and what it
         * handed to and received from the other workers of its switches. */
        json_t *owned = json_array();
        for (uint32_t s = 0; s < w->n_switches; s++) {
            const struct dp_switch *sw = w->switches[s];
            for (uint16_t k = 0; k < sw->n_ports; k++) {
                if (sw->ports[k]->worker == i) {
                    char pn[2 * DP_NAME_LEN + 2];
                    snprintf(pn, sizeof pn, "%s/%s", sw->name, sw->ports[k]->name);
                    json_array_append_new(owned, json_string(pn));
                }
            }
        }
        json_object_set_new(j, "ports", owned);
        json_t *hist = json_array();
        for (unsigned b = 0; b < DP_LATE_BUCKETS; b++) {
            json_array_append_new(hist, json_integer((json_int_t) w->late_hist[b]));
        }
        json_t *bounds = json_array();
        for (unsigned b = 0; b < DP_LATE_BUCKETS - 1; b++) {
            json_array_append_new(bounds, json_integer((json_int_t) dp_late_bounds_ns[b] / 1000));
        }
        json_object_set_new(j, "delay_late", json_pack(
            "{s:I, s:I, s:I, s:o, s:o}", "frames", (json_int_t) w->late_frames,
            "total_ns", (json_int_t) w->late_ns, "max_ns", (json_int_t) w->late_max_ns,
            "below_us", bounds, "hist", hist));
        if (w->n_from) {
            unsigned waiting = 0;
            for (unsigned k = 0; k < w->n_from; k++) {
                waiting += rte_ring_count(w->from[k]);
            }
            json_object_set_new(j, "handoff", json_pack(
                "{s:I, s:I, s:I, s:I, s:i}", "out", (json_int_t) w->handoff_out,
                "in", (json_int_t) w->handoff_in,
                "drops", (json_int_t) w->handoff_drops,
                "holds", (json_int_t) w->handoff_holds, "waiting", waiting));
        }
#ifdef DP_STAGE_CYCLES
        const struct dp_stage_cycles *c = &w->stage;
        json_object_set_new(j, "stage_cycles", json_pack(
            "{s:I, s:I, s:I, s:I, s:I}", "rx", (json_int_t) c->rx,
            "classify", (json_int_t) c->classify, "fp", (json_int_t) c->fp,
            "sched", (json_int_t) c->sched, "tx", (json_int_t) c->tx));
        c = &w->calm;
        json_object_set_new(j, "stage_cycles_calm", json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx", (json_int_t) c->rx,
            "classify", (json_int_t) c->classify, "fp", (json_int_t) c->fp,
            "sched", (json_int_t) c->sched, "tx", (json_int_t) c->tx,
            "packets", (json_int_t) w->calm_pkts,
            "bursts_left_out", (json_int_t) w->calm_left_out));
        c = &w->best;
        json_object_set_new(j, "stage_cycles_best", json_pack(
            "{s:I, s:I, s:I, s:I, s:I}", "rx", (json_int_t) c->rx,
            "classify", (json_int_t) c->classify, "fp", (json_int_t) c->fp,
            "tx", (json_int_t) c->tx, "packets", (json_int_t) w->best_pkts));
#endif
        json_array_append_new(workers, j);
    }
    return workers;
}
