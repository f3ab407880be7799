/*
 * `lamina vne ...`: the command group of the embedding library.
 *
 *     lamina vne simulate --instance FILE [--algo NAME] [--json] [--csv FILE]
 *                         [--plot FILE.png] [--embeddings FILE] [--requests N]
 *                         [--inps K [--advertise full|abstract]]
 *     lamina vne embed --substrate FILE --request FILE [--algo NAME]
 *                      [--inps K [--advertise full|abstract]]
 *     lamina vne compare --instance FILE... [--algos A,B,...] [--markdown]
 *     lamina vne algos
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"
#include "vne.h"
#include "vne_check.h"
#include "vne_instance.h"
#include "vne_md.h"
#include "vne_sim.h"

#define PROG "lamina vne"

/* Prints the group's usage to 'out'. */
static void
vne_usage(FILE *out)
{
    fprintf(out,
"usage: " PROG " COMMAND [OPTIONS]\n"
"\n"
"Virtual network embedding: algorithms, online simulator, benchmark.\n"
"\n"
"commands:\n"
"  simulate --instance FILE   replay an instance's requests through one algorithm\n"
"  embed --substrate FILE --request FILE   embed one request, print the mapping\n"
"  compare --instance FILE... run every algorithm on every instance, one table\n"
"  algos                      list the algorithms\n"
"\n"
"Run '" PROG " COMMAND --help' for a command's options.\n");
}

/* Prints every algorithm with its summary. */
static void
list_algos(FILE *out)
{
    for (const struct vne_algo_class *const *c = vne_algo_classes; *c; c++) {
        fprintf(out, "  %-8s %s%s\n", (*c)->name, (*c)->summary,
                c == vne_algo_classes ? " [default]" : "");
    }
}

/* Returns the class named 'name', or NULL after listing the valid names. */
static const struct vne_algo_class *
find_algo_or_complain(const char *name)
{
    const struct vne_algo_class *c = vne_algo_find(name);
    if (!c) {
        fprintf(stderr, PROG ": unknown algorithm '%s'; the algorithms are:\n", name);
        list_algos(stderr);
    }
    return c;
}

/* Parses a decimal number no larger than 'max' into '*out'. */
static bool
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || *s == '-') {
        return false;
    }
    *out = v;
    return true;
}

/* ---- simulate ---- */

struct sim_cli {
    FILE *csv;
    bool progress;
    uint32_t n_reqs;
};

/* Writes one CSV row per simulator event. */
static void
sim_on_event(const struct vne_sim_event *e, void *aux)
{
    struct sim_cli *sc = aux;
    if (!sc->csv) {
        return;
    }
    fprintf(sc->csv, "%.6f,%s,%u,%d,%s,%u,%u,%.6f,%.3f,%.3f,%lld,%lld,%.4f,%.4f,\"%s\"\n",
            e->time, e->arrival ? "arrival" : "departure", e->req,
            e->accepted ? 1 : 0,
            e->arrival && !e->accepted ? vne_reject_name(e->reject->kind) : "",
            e->arrived, e->accepted_total, e->rac, e->time_revenue,
            e->time > 0 ? e->time_revenue / e->time : 0.0,
            (long long) e->revenue, (long long) e->cost, e->cpu_used, e->bw_used,
            e->arrival && !e->accepted ? e->reject->detail : "");
}

/* Draws the progress bar (only on a terminal). */
static void
sim_on_progress(uint32_t done, uint32_t total, void *aux)
{
    struct sim_cli *sc = aux;
    if (!sc->progress) {
        return;
    }
    int width = 40, fill = total ? (int) ((uint64_t) done * width / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %3u%%", fill,
            "########################################", width - fill, "",
            total ? (unsigned) ((uint64_t) done * 100 / total) : 100);
    if (done == total) {
        fputs("\r\033[K", stderr);
    }
}

/* Plots acceptance ratio and average revenue over time from 'csv' with gnuplot. */
static int
write_plot(const char *png, const char *csv, const char *title)
{
    FILE *gp = popen("gnuplot", "w");
    if (!gp) {
        fprintf(stderr, PROG ": cannot run gnuplot: %s\n", strerror(errno));
        return 1;
    }
    fprintf(gp,
            "set terminal pngcairo size 900,500\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set title '%s' noenhanced\n"
            "set xlabel 'time'\n"
            "set ylabel 'acceptance ratio'\n"
            "set yrange [0:1.05]\n"
            "set y2label 'long-term average revenue'\n"
            "set y2tics\n"
            "set ytics nomirror\n"
            "set key bottom right\n"
            "plot '%s' every ::1 using 1:8 with lines lw 2 title 'acceptance ratio', "
            "'' every ::1 using 1:10 axes x1y2 with lines lw 2 title 'revenue x lifetime / time'\n",
            png, title, csv);
    int status = pclose(gp);
    if (status) {
        fprintf(stderr, PROG ": gnuplot failed (status %d); is gnuplot installed "
                "(Debian package gnuplot-nox)?\n", status);
        return 1;
    }
    return 0;
}

/* Prints the result of one run as a two-column table. */
static void
print_summary(FILE *out, const char *inst_path, const char *algo,
              const struct vne_sim_result *r)
{
    fprintf(out, "instance        %s\n", inst_path);
    fprintf(out, "algorithm       %s\n", algo);
    fprintf(out, "arrived         %u\n", r->arrived);
    fprintf(out, "accepted        %u\n", r->accepted);
    fprintf(out, "RAC             %.4f\n", r->rac);
    fprintf(out, "LRC             %.4f\n", r->lrc);
    fprintf(out, "LAR             %.2f\n", r->lar);
    fprintf(out, "revenue (sum)   %.0f\n", r->revenue_sum);
    fprintf(out, "cost (sum)      %.0f\n", r->cost_sum);
    fprintf(out, "ms per request  %.3f\n", r->ms_per_request);
    fprintf(out, "rejected by     ");
    bool any = false;
    for (int k = 1; k < VNE_N_REJECT; k++) {
        if (r->rejects[k]) {
            fprintf(out, "%s%s %u", any ? ", " : "", vne_reject_name(k), r->rejects[k]);
            any = true;
        }
    }
    fprintf(out, "%s\n", any ? "" : "-");
}

/* ---- multi-domain (--inps) ---- */

/* Parses --inps ('I') or --advertise ('A'); complains and returns false
 * if 'arg' is not valid. */
static bool
md_parse_option(int c, const char *arg, unsigned long *inps,
                enum vne_md_adv_kind *kind)
{
    if (c == 'I') {
        if (!parse_uint(arg, 1024, inps) || !*inps) {
            fprintf(stderr, PROG ": --inps needs a number of InPs (1..1024), "
                    "not '%s'\n", arg);
            return false;
        }
    } else if (!vne_md_adv_kind_parse(arg, kind)) {
        fprintf(stderr, PROG ": --advertise must be full or abstract, not '%s'\n", arg);
        return false;
    }
    return true;
}

/* Splits 'sub' across 'inps' InPs and makes the multi-domain algorithm
 * with parts by 'cls'.  Returns 0, or 1 after a message. */
static int
md_create(const struct vne_substrate *sub, const struct vne_algo_class *cls,
          const struct vne_algo_options *opts, unsigned long inps,
          enum vne_md_adv_kind kind, struct vne_md **mdp, struct vne_algo **algop)
{
    char *err;
    if (vne_md_split(sub, inps, mdp, &err)) {
        fprintf(stderr, PROG ": %s\n", err);
        free(err);
        return 1;
    }
    int error = vne_md_algo_create(*mdp, kind, cls, opts, algop);
    if (error) {
        fprintf(stderr, PROG ": cannot create the multi-domain algorithm: %s\n",
                strerror(error));
        vne_md_destroy(*mdp);
        *mdp = NULL;
        return 1;
    }
    return 0;
}

/* Runs 'inst' through 'algo' on the merged substrate (the upper bound of
 * a multi-domain run); prints it beside 'md' unless 'md' is NULL, and
 * returns it as a JSON object, or NULL after a message. */
static json_t *
md_run_merged(const struct vne_instance *inst, struct vne_algo *algo,
              const struct vne_sim_result *md)
{
    static const struct vne_sim_options quiet;
    struct vne_sim_result r;
    char *err;
    if (vne_sim_run(inst, algo, &quiet, &r, &err)) {
        fprintf(stderr, PROG " simulate: merged run: %s\n", err);
        free(err);
        return NULL;
    }
    if (md) {
        printf("merged (1 InP)  RAC %.4f  LRC %.4f  LAR %.2f  accepted %u  "
               "%.3f ms per request\n", r.rac, r.lrc, r.lar, r.accepted,
               r.ms_per_request);
        printf("multi / merged  RAC %.3f  LRC %.3f\n",
               r.rac ? md->rac / r.rac : 0, r.lrc ? md->lrc / r.lrc : 0);
    }
    json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:i, s:f}", "algo", algo->class->name,
                          "rac", r.rac, "lrc", r.lrc, "lar", r.lar,
                          "accepted", (int) r.accepted,
                          "ms_per_request", r.ms_per_request);
    vne_sim_result_clear(&r);
    return o;
}

/* Embeds 'req' across 'inps' InPs of 'sub' (parts by 'cls') and prints
 * the parts, the inter-domain links and the merged mapping, or where it
 * was short.  Returns the exit status. */
static int
md_embed_print(const struct vne_substrate *sub, const struct vne_request *req,
               const struct vne_algo_class *cls, unsigned long inps,
               enum vne_md_adv_kind kind, bool json)
{
    struct vne_md *md;
    char *err;
    if (vne_md_split(sub, inps, &md, &err)) {
        fprintf(stderr, PROG " embed: %s\n", err);
        free(err);
        return 1;
    }
    struct vne_algo_options o;
    vne_algo_options_init(&o);
    o.no_admission = true;
    struct vne_algo **parts = xcalloc(inps, sizeof *parts), *view = NULL;
    int error = vne_algo_create(cls, sub, &o, &view);
    for (uint32_t i = 0; i < inps && !error; i++) {
        error = vne_algo_create(cls, md->inps[i].sub, &o, &parts[i]);
    }
    struct vne_residual res;
    struct vne_md_result r;
    struct vne_md_reject rej;
    vne_residual_init(&res, sub);
    if (!error) {
        error = vne_md_embed(md, kind, parts, view, &res, req, &r, &rej);
    }
    int status = 0;
    char why[256];
    if (!error && !vne_check_one(sub, res.cpu, res.bw, req, &r.m, why, sizeof why)) {
        fprintf(stderr, PROG " embed: invalid multi-domain mapping: %s\n", why);
        status = 1;
    } else if (error == ENOSPC) {
        if (json) {
            json_t *jo = json_pack("{s:b, s:s, s:i, s:s}", "accepted", 0,
                                   "reason", vne_reject_name(rej.kind),
                                   "inp", (int) rej.inp, "detail", rej.detail);
            json_dumpf(jo, stdout, 0);
            putchar('\n');
            json_decref(jo);
        } else {
            printf("rejected: %s%s%s: %s\n", vne_reject_name(rej.kind),
                   rej.inp >= 0 ? " at " : "", rej.inp >= 0 ? md->inps[rej.inp].name : "",
                   rej.detail);
        }
        status = 1;
    } else if (error) {
        fprintf(stderr, PROG " embed: multi-domain embedding failed: %s\n",
                strerror(error));
        status = 1;
    } else if (json) {
        json_t *jparts = json_array(), *jlinks = json_array(), *jhosts = json_object();
        for (uint32_t p = 0; p < r.parts.n_parts; p++) {
            const struct vne_md_part *part = &r.parts.parts[p];
            json_t *nodes = json_object();
            for (uint32_t i = 0; i < part->req.n_nodes; i++) {
                char key[16];
                snprintf(key, sizeof key, "%u", part->vnode[i]);
                json_object_set_new(nodes, key, json_integer(r.part_maps[p].host[i]));
            }
            json_array_append_new(jparts, json_pack("{s:s, s:o, s:i}", "inp",
                                                    md->inps[part->inp].name,
                                                    "local_hosts", nodes,
                                                    "links", (int) part->req.n_links));
        }
        for (uint32_t v = 0; v < req->n_nodes; v++) {
            char key[16];
            snprintf(key, sizeof key, "%u", v);
            json_object_set_new(jhosts, key, json_integer(r.m.host[v]));
        }
        for (uint32_t l = 0; l < req->n_links; l++) {
            json_t *path = json_array(), *ils = json_array();
            for (uint32_t k = 0; k < r.m.paths[l].len; k++) {
                json_array_append_new(path, json_integer(r.m.paths[l].nodes[k]));
            }
            for (uint32_t k = r.plan.route_off[l]; k < r.plan.route_off[l + 1]; k++) {
                json_array_append_new(ils, json_integer(md->ilinks[r.plan.route[k]].merged));
            }
            json_array_append_new(jlinks, json_pack("{s:i, s:i, s:o, s:o}",
                                                    "src", (int) req->links[l].src,
                                                    "dst", (int) req->links[l].dst,
                                                    "path", path,
                                                    "inter_domain_links", ils));
        }
        json_t *jo = json_pack("{s:b, s:o, s:o, s:o, s:I, s:I, s:f}", "accepted", 1,
                               "parts", jparts, "nodes", jhosts, "links", jlinks,
                               "revenue", (json_int_t) vne_request_revenue(req),
                               "cost", (json_int_t) vne_mapping_cost(req, &r.m),
                               "price", r.price);
        json_dumpf(jo, stdout, 0);
        putchar('\n');
        json_decref(jo);
    } else {
        printf("accepted across %u of %lu InPs (%s advertisements): revenue %lld, "
               "cost %lld, price %.2f\n", r.parts.n_parts, inps,
               vne_md_adv_kind_name(kind), (long long) vne_request_revenue(req),
               (long long) vne_mapping_cost(req, &r.m), r.price);
        for (uint32_t p = 0; p < r.parts.n_parts; p++) {
            const struct vne_md_part *part = &r.parts.parts[p];
            printf("  %s: virtual nodes", md->inps[part->inp].name);
            for (uint32_t i = 0; i < part->req.n_nodes; i++) {
                printf(" %u", part->vnode[i]);
            }
            printf(", %u virtual links inside\n", part->req.n_links);
        }
        for (uint32_t v = 0; v < req->n_nodes; v++) {
            const char *label = sub->labels ? sub->labels[r.m.host[v]] : NULL;
            printf("  virtual node %u (cpu %d) -> %s, substrate node %u%s%s%s\n", v,
                   req->nodes[v].cpu, md->inps[md->inp_of[r.m.host[v]]].name,
                   r.m.host[v], label ? " (" : "", label ? label : "", label ? ")" : "");
        }
        for (uint32_t l = 0; l < req->n_links; l++) {
            printf("  virtual link %u-%u (bw %d) -> path", req->links[l].src,
                   req->links[l].dst, req->links[l].bw);
            for (uint32_t k = 0; k < r.m.paths[l].len; k++) {
                printf("%s%u", k ? "-" : " ", r.m.paths[l].nodes[k]);
            }
            uint32_t n_il = r.plan.route_off[l + 1] - r.plan.route_off[l];
            printf(" (%u hops, %u inter-domain)\n", r.m.paths[l].len - 1, n_il);
        }
    }
    if (!error) {
        vne_md_result_clear(&r);
    }
    vne_residual_clear(&res);
    for (uint32_t i = 0; i < inps; i++) {
        vne_algo_destroy(parts[i]);
    }
    free(parts);
    vne_algo_destroy(view);
    vne_md_destroy(md);
    return status;
}

/* `lamina vne simulate`. */
static int
cmd_simulate(int argc, char *argv[])
{
    static const struct option longopts[] = {
        {"instance", required_argument, NULL, 'i'},
        {"algo", required_argument, NULL, 'a'},
        {"json", no_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'c'},
        {"plot", required_argument, NULL, 'p'},
        {"embeddings", required_argument, NULL, 'e'},
        {"requests", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"time-limit", required_argument, NULL, 't'},
        {"check", no_argument, NULL, 'k'},
        {"inps", required_argument, NULL, 'I'},
        {"advertise", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long inps = 0;
    enum vne_md_adv_kind adv_kind = VNE_MD_FULL;
    const char *inst_path = NULL, *algo_name = vne_algo_classes[0]->name;
    const char *csv_path = NULL, *plot_path = NULL, *emb_path = NULL;
    bool json = false, check = false;
    unsigned long n_reqs = UINT32_MAX, seed = 1, time_limit = 1000;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "i:a:jc:p:e:n:s:t:kI:A:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'I':
        case 'A':
            if (!md_parse_option(c, optarg, &inps, &adv_kind)) {
                return 2;
            }
            break;
        case 'i': inst_path = optarg; break;
        case 'a': algo_name = optarg; break;
        case 'j': json = true; break;
        case 'c': csv_path = optarg; break;
        case 'p': plot_path = optarg; break;
        case 'e': emb_path = optarg; break;
        case 'k': check = true; break;
        case 'n':
            if (!parse_uint(optarg, UINT32_MAX, &n_reqs)) {
                fprintf(stderr, PROG " simulate: --requests needs a count, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (!parse_uint(optarg, ~0UL, &seed)) {
                fprintf(stderr, PROG " simulate: --seed needs a number, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 't':
            if (!parse_uint(optarg, 3600000, &time_limit) || !time_limit) {
                fprintf(stderr, PROG " simulate: --time-limit needs milliseconds, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h':
            printf("usage: " PROG " simulate --instance FILE [OPTIONS]\n\n"
                   "Replays the requests of an instance (lamina-vne-instance/1) in time\n"
                   "order through one algorithm and prints RAC, LRC, LAR, time per request.\n\n"
                   "  --instance FILE     the instance (e.g. data/vne/instances/wx100-l016-s0.json)\n"
                   "  --algo NAME         algorithm (default %s; see '" PROG " algos')\n"
                   "  --json              print the summary as one JSON object\n"
                   "  --csv FILE          one row per event (arrival or departure)\n"
                   "  --plot FILE.png     acceptance ratio and revenue over time (gnuplot)\n"
                   "  --embeddings FILE   accepted embeddings, for check_embeddings.py\n"
                   "  --requests N        only the first N requests\n"
                   "  --seed N            seed of randomised algorithms (default 1)\n"
                   "  --time-limit MS     time limit per request of the exact MIP (default 1000)\n"
                   "  --check             also replay the result through the checker\n"
                   "  --inps K            split the substrate across K InPs and embed with the\n"
                   "                      multi-domain algorithm (each InP's part with --algo);\n"
                   "                      also prints the merged substrate's result (one InP)\n"
                   "  --advertise KIND    what each InP advertises: full (default) or abstract\n",
                   vne_algo_classes[0]->name);
            return 0;
        default:
            fprintf(stderr, "Try '" PROG " simulate --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG " simulate: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!inst_path) {
        fprintf(stderr, PROG " simulate: --instance FILE is required\n");
        return 2;
    }
    const struct vne_algo_class *cls = find_algo_or_complain(algo_name);
    if (!cls) {
        return 2;
    }

    struct vne_instance *inst;
    char *err;
    if (vne_instance_read(inst_path, &inst, &err)) {
        fprintf(stderr, PROG " simulate: %s\n", err);
        free(err);
        return 1;
    }
    vne_instance_truncate(inst, n_reqs);

    struct vne_algo_options opts;
    vne_algo_options_init(&opts);
    opts.seed = seed;
    opts.mip_time_limit_ms = time_limit;
    struct vne_algo *algo;
    int error = vne_algo_create(cls, inst->sub, &opts, &algo);
    if (error) {
        fprintf(stderr, PROG " simulate: cannot create %s: %s\n", cls->name, strerror(error));
        vne_instance_destroy(inst);
        return 1;
    }
    struct vne_md *md = NULL;
    struct vne_algo *md_algo = NULL;
    if (inps && md_create(inst->sub, cls, &opts, inps, adv_kind, &md, &md_algo)) {
        vne_algo_destroy(algo);
        vne_instance_destroy(inst);
        return 1;
    }

    struct sim_cli sc = { .progress = isatty(STDERR_FILENO) && !getenv("LAMINA_NO_PROGRESS"),
                          .n_reqs = inst->n_reqs };
    char *tmp_csv = NULL;
    if (!csv_path && plot_path) {
        tmp_csv = xasprintf("%s.csv", plot_path);
        csv_path = tmp_csv;
    }
    if (csv_path) {
        sc.csv = fopen(csv_path, "w");
        if (!sc.csv) {
            fprintf(stderr, PROG " simulate: %s: %s\n", csv_path, strerror(errno));
            vne_algo_destroy(md_algo);
            vne_md_destroy(md);
            vne_algo_destroy(algo);
            vne_instance_destroy(inst);
            free(tmp_csv);
            return 1;
        }
        fprintf(sc.csv, "time,event,request,accepted,reject_reason,arrived,"
                "accepted_total,rac,time_revenue,lar_so_far,revenue,cost,"
                "cpu_used,bw_used,reject_detail\n");
    }
    struct vne_sim_options so = { .on_event = sim_on_event,
                                  .on_progress = sim_on_progress, .aux = &sc };
    struct vne_sim_result r;
    int status = 0;
    error = vne_sim_run(inst, md_algo ? md_algo : algo, &so, &r, &err);
    if (sc.csv && fclose(sc.csv)) {
        fprintf(stderr, PROG " simulate: %s: %s\n", csv_path, strerror(errno));
        status = 1;
    }
    if (error) {
        fprintf(stderr, PROG " simulate: %s\n", err);
        free(err);
        status = 1;
        goto out;
    }
    if (check) {
        const struct vne_mapping **maps = xcalloc(inst->n_reqs + 1, sizeof *maps);
        for (uint32_t i = 0; i < inst->n_reqs; i++) {
            maps[i] = r.accepted_flags[i] ? &r.maps[i] : NULL;
        }
        struct vne_check_report rep;
        if (!vne_check_run(inst, maps, &rep)) {
            fprintf(stderr, PROG " simulate: checker: %u errors, first: %s\n",
                    rep.n_errors, rep.first_error);
            status = 1;
        } else if (rep.accepted != r.accepted || rep.rac != r.rac) {
            fprintf(stderr, PROG " simulate: checker disagrees on the metrics\n");
            status = 1;
        } else {
            fprintf(stderr, "checker: OK (rac %.4f lrc %.4f lar %.2f)\n",
                    rep.rac, rep.lrc, rep.lar);
        }
        vne_check_report_clear(&rep);
        free(maps);
    }
    if (emb_path && vne_sim_write_embeddings(emb_path, inst, &r, &err)) {
        fprintf(stderr, PROG " simulate: %s\n", err);
        free(err);
        status = 1;
    }
    if (json) {
        json_t *rej = json_object();
        for (int k = 1; k < VNE_N_REJECT; k++) {
            json_object_set_new(rej, vne_reject_name(k), json_integer(r.rejects[k]));
        }
        json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:i, s:i, s:f, s:f, s:f, s:f, s:o}",
                              "instance", inst_path, "algo", cls->name,
                              "rac", r.rac, "lrc", r.lrc, "lar", r.lar,
                              "accepted", (int) r.accepted, "arrived", (int) r.arrived,
                              "ms_per_request", r.ms_per_request,
                              "revenue", r.revenue_sum, "cost", r.cost_sum,
                              "T", r.T, "rejected_by", rej);
        if (md_algo) {
            json_t *merged = md_run_merged(inst, algo, NULL);
            if (!merged) {
                status = 1;
            } else {
                json_object_set_new(o, "inps", json_integer(inps));
                json_object_set_new(o, "advertise",
                                    json_string(vne_md_adv_kind_name(adv_kind)));
                json_object_set_new(o, "inter_domain_links",
                                    json_integer(md->n_ilinks));
                json_object_set_new(o, "price", json_real(vne_md_algo_price(md_algo)));
                json_object_set_new(o, "merged", merged);
            }
        }
        char *s = json_dumps(o, JSON_REAL_PRECISION(17));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else if (md_algo) {
        char *name = xasprintf("multi-domain: %lu InPs (%u inter-domain links), "
                               "%s advertisements, parts by %s", inps, md->n_ilinks,
                               vne_md_adv_kind_name(adv_kind), cls->name);
        print_summary(stdout, inst_path, name, &r);
        free(name);
        printf("price (sum)     %.0f\n", vne_md_algo_price(md_algo));
        json_t *merged = md_run_merged(inst, algo, &r);
        status |= !merged;
        json_decref(merged);
    } else {
        print_summary(stdout, inst_path, cls->name, &r);
    }
    if (plot_path) {
        char *title = xasprintf("%s, %s", inst_path, cls->name);
        status |= write_plot(plot_path, csv_path, title);
        free(title);
    }
out:
    if (tmp_csv) {
        unlink(tmp_csv);
        free(tmp_csv);
    }
    vne_sim_result_clear(&r);
    vne_algo_destroy(md_algo);
    vne_md_destroy(md);
    vne_algo_destroy(algo);
    vne_instance_destroy(inst);
    return status;
}

/* ---- embed ---- */

/* `lamina vne embed`. */
static int
cmd_embed(int argc, char *argv[])
{
    static const struct option longopts[] = {
        {"substrate", required_argument, NULL, 's'},
        {"request", required_argument, NULL, 'r'},
        {"algo", required_argument, NULL, 'a'},
        {"cpu", required_argument, NULL, 'c'},
        {"bw", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"inps", required_argument, NULL, 'I'},
        {"advertise", required_argument, NULL, 'A'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long inps = 0;
    enum vne_md_adv_kind adv_kind = VNE_MD_FULL;
    const char *sub_path = NULL, *req_path = NULL;
    const char *algo_name = vne_algo_classes[0]->name;
    unsigned long cpu = 100, bw = 100;
    bool json = false;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "s:r:a:c:b:jI:A:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'I':
        case 'A':
            if (!md_parse_option(c, optarg, &inps, &adv_kind)) {
                return 2;
            }
            break;
        case 's': sub_path = optarg; break;
        case 'r': req_path = optarg; break;
        case 'a': algo_name = optarg; break;
        case 'j': json = true; break;
        case 'c':
        case 'b':
            if (!parse_uint(optarg, 1000000000, c == 'c' ? &cpu : &bw)) {
                fprintf(stderr, PROG " embed: --%s needs a capacity, not '%s'\n",
                        c == 'c' ? "cpu" : "bw", optarg);
                return 2;
            }
            break;
        case 'h':
            printf("usage: " PROG " embed --substrate FILE --request FILE [OPTIONS]\n\n"
                   "Embeds one request into an empty substrate and prints the mapping.\n\n"
                   "  --substrate FILE  an instance, a {\"nodes\",\"links\"} JSON file, a\n"
                   "                    Topology Zoo GML file, or a topology file (*.topo:\n"
                   "                    switch cpu, link rate in Mbit/s)\n"
                   "  --request FILE    a request object {\"nodes\",\"links\"} (virtual nodes may\n"
                   "                    carry \"allowed\": [...] or \"x\",\"y\",\"max_dist\"), or an\n"
                   "                    instance (its first request)\n"
                   "  --algo NAME       algorithm (default %s)\n"
                   "  --cpu N, --bw N   capacities where the file has none (GML; .topo\n"
                   "                    links without a rate) (default 100)\n"
                   "  --json            print the mapping as JSON\n"
                   "  --inps K          split the substrate across K InPs and embed across\n"
                   "                    them (multi-domain; parts by --algo)\n"
                   "  --advertise KIND  what each InP advertises: full (default) or abstract\n",
                   vne_algo_classes[0]->name);
            return 0;
        default:
            fprintf(stderr, "Try '" PROG " embed --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG " embed: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!sub_path || !req_path) {
        fprintf(stderr, PROG " embed: --substrate FILE and --request FILE are required\n");
        return 2;
    }
    const struct vne_algo_class *cls = find_algo_or_complain(algo_name);
    if (!cls) {
        return 2;
    }

    struct vne_substrate *sub;
    struct vne_request req;
    char *err;
    if (vne_substrate_read(sub_path, cpu, bw, &sub, &err)) {
        fprintf(stderr, PROG " embed: %s\n", err);
        free(err);
        return 1;
    }
    if (vne_request_read(req_path, sub, &req, &err)) {
        fprintf(stderr, PROG " embed: %s\n", err);
        free(err);
        vne_substrate_destroy(sub);
        return 1;
    }

    if (inps) {
        int st = md_embed_print(sub, &req, cls, inps, adv_kind, json);
        vne_request_clear(&req);
        vne_substrate_destroy(sub);
        return st;
    }

    struct vne_algo *algo;
    int status = 0;
    int error = vne_algo_create(cls, sub, NULL, &algo);
    if (error) {
        fprintf(stderr, PROG " embed: cannot create %s: %s\n", cls->name, strerror(error));
        vne_request_clear(&req);
        vne_substrate_destroy(sub);
        return 1;
    }
    struct vne_residual res;
    struct vne_mapping m;
    struct vne_reject rej;
    vne_residual_init(&res, sub);
    uint64_t t0 = time_ns();
    error = vne_algo_embed(algo, &res, &req, &m, &rej);
    double ms = (time_ns() - t0) / 1e6;
    char why[256];
    if (!error && !vne_check_one(sub, res.cpu, res.bw, &req, &m, why, sizeof why)) {
        fprintf(stderr, PROG " embed: %s returned an invalid mapping: %s\n",
                cls->name, why);
        status = 1;
    } else if (error == ENOSPC) {
        if (json) {
            json_t *o = json_pack("{s:b, s:s, s:s}", "accepted", 0,
                                  "reason", vne_reject_name(rej.kind),
                                  "detail", rej.detail);
            json_dumpf(o, stdout, 0);
            putchar('\n');
            json_decref(o);
        } else {
            printf("rejected: %s: %s\n", vne_reject_name(rej.kind), rej.detail);
        }
        status = 1;
    } else if (error) {
        fprintf(stderr, PROG " embed: %s failed: %s\n", cls->name, strerror(error));
        status = 1;
    } else if (json) {
        json_t *nodes = json_object(), *links = json_array();
        for (uint32_t v = 0; v < m.n_nodes; v++) {
            char key[16];
            snprintf(key, sizeof key, "%u", v);
            json_object_set_new(nodes, key, json_integer(m.host[v]));
        }
        for (uint32_t l = 0; l < m.n_links; l++) {
            json_t *p = json_array();
            for (uint32_t k = 0; k < m.paths[l].len; k++) {
                json_array_append_new(p, json_integer(m.paths[l].nodes[k]));
            }
            json_array_append_new(links, json_pack("{s:i, s:i, s:o}",
                                                   "src", (int) req.links[l].src,
                                                   "dst", (int) req.links[l].dst,
                                                   "path", p));
        }
        json_t *o = json_pack("{s:b, s:o, s:o, s:I, s:I, s:f}", "accepted", 1,
                              "nodes", nodes, "links", links,
                              "revenue", (json_int_t) vne_request_revenue(&req),
                              "cost", (json_int_t) vne_mapping_cost(&req, &m),
                              "ms", ms);
        json_dumpf(o, stdout, 0);
        putchar('\n');
        json_decref(o);
    } else {
        printf("accepted by %s in %.3f ms: revenue %lld, cost %lld\n", cls->name, ms,
               (long long) vne_request_revenue(&req), (long long) vne_mapping_cost(&req, &m));
        for (uint32_t v = 0; v < m.n_nodes; v++) {
            const char *label = sub->labels ? sub->labels[m.host[v]] : NULL;
            printf("  virtual node %u (cpu %d) -> substrate node %u%s%s%s\n", v,
                   req.nodes[v].cpu, m.host[v], label ? " (" : "",
                   label ? label : "", label ? ")" : "");
        }
        for (uint32_t l = 0; l < m.n_links; l++) {
            printf("  virtual link %u-%u (bw %d) -> path", req.links[l].src,
                   req.links[l].dst, req.links[l].bw);
            for (uint32_t k = 0; k < m.paths[l].len; k++) {
                printf("%s%u", k ? "-" : " ", m.paths[l].nodes[k]);
            }
            printf(" (%u hops)\n", m.paths[l].len - 1);
        }
    }
    vne_mapping_clear(&m);
    vne_residual_clear(&res);
    vne_algo_destroy(algo);
    vne_request_clear(&req);
    vne_substrate_destroy(sub);
    return status;
}

/* ---- compare ---- */

/* The virne rows of baselines.csv for instance 'name' (file name without
 * .json), printed as table rows; the CSV sits in the instance folder's
 * parent or is given. */
static void
print_baselines(FILE *out, const char *csv_path, const char *name, bool markdown)
{
    FILE *f = fopen(csv_path, "r");
    char line[512];
    if (!f) {
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char inst[128], solver[64];
        double rac, lrc, lar, secs, spr;
        if (sscanf(line, "%127[^,],%63[^,],%lf,%lf,%lf,%lf,%lf", inst, solver,
                   &rac, &lrc, &lar, &secs, &spr) == 7 && !strcmp(inst, name)) {
            char label[80];
            snprintf(label, sizeof label, "virne %s", solver);
            if (markdown) {
                fprintf(out, "| %s | %s | %.4f | %.4f | %.2f | %.2f |\n",
                        name, label, rac, lrc, lar, spr * 1000);
            } else {
                fprintf(out, "%-20s %-16s %7.4f %7.4f %10.2f %9.2f\n",
                        name, label, rac, lrc, lar, spr * 1000);
            }
        }
    }
    fclose(f);
}

/* `lamina vne compare`. */
static int
cmd_compare(int argc, char *argv[])
{
    static const struct option longopts[] = {
        {"instance", required_argument, NULL, 'i'},
        {"algos", required_argument, NULL, 'a'},
        {"baselines", required_argument, NULL, 'b'},
        {"requests", required_argument, NULL, 'n'},
        {"markdown", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **files = xcalloc(argc + 1, sizeof *files);
    size_t n_files = 0;
    const char *algos = NULL, *baselines = NULL;
    unsigned long n_reqs = UINT32_MAX;
    bool markdown = false;
    int c, status = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "i:a:b:n:mh", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': files[n_files++] = optarg; break;
        case 'a': algos = optarg; break;
        case 'b': baselines = optarg; break;
        case 'm': markdown = true; break;
        case 'n':
            if (!parse_uint(optarg, UINT32_MAX, &n_reqs)) {
                fprintf(stderr, PROG " compare: --requests needs a count, not '%s'\n", optarg);
                free(files);
                return 2;
            }
            break;
        case 'h':
            printf("usage: " PROG " compare --instance FILE... [OPTIONS]\n\n"
                   "Runs every algorithm on every instance and prints one table with\n"
                   "RAC, LRC, LAR and ms per request, beside virne's published results\n"
                   "(baselines.csv next to the instances folder).\n\n"
                   "  --instance FILE...  instances (the option may repeat, or list\n"
                   "                      several files after it)\n"
                   "  --algos A,B,...     only these algorithms (default: all but the\n"
                   "                      exact MIP, which is too slow for whole instances)\n"
                   "  --baselines FILE    virne results CSV (default: INSTANCE_DIR/../baselines.csv)\n"
                   "  --requests N        only the first N requests of each instance\n"
                   "  --markdown          print a Markdown table\n");
            free(files);
            return 0;
        default:
            fprintf(stderr, "Try '" PROG " compare --help'.\n");
            free(files);
            return 2;
        }
    }
    while (optind < argc) {
        files[n_files++] = argv[optind++];
    }
    if (!n_files) {
        fprintf(stderr, PROG " compare: --instance FILE is required\n");
        free(files);
        return 2;
    }

    const struct vne_algo_class *sel[32];
    size_t n_sel = 0;
    if (algos) {
        char *copy = xstrdup(algos), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            const struct vne_algo_class *cls = find_algo_or_complain(tok);
            if (!cls) {
                free(copy);
                free(files);
                return 2;
            }
            if (n_sel < ARRAY_SIZE(sel)) {
                sel[n_sel++] = cls;
            }
        }
        free(copy);
    } else {
        for (const struct vne_algo_class *const *cl = vne_algo_classes; *cl; cl++) {
            if (!(*cl)->slow) {
                sel[n_sel++] = *cl;
            }
        }
    }

    if (markdown) {
        printf("| instance | algorithm | RAC | LRC | LAR | ms/request |\n"
               "|---|---|---|---|---|---|\n");
    } else {
        printf("%-20s %-16s %7s %7s %10s %9s\n", "instance", "algorithm", "RAC",
               "LRC", "LAR", "ms/req");
    }
    fflush(stdout);
    for (size_t f = 0; f < n_files; f++) {
        struct vne_instance *inst;
        char *err;
        if (vne_instance_read(files[f], &inst, &err)) {
            fprintf(stderr, PROG " compare: %s\n", err);
            free(err);
            status = 1;
            continue;
        }
        vne_instance_truncate(inst, n_reqs);
        char *pathcopy = xstrdup(files[f]);
        char *base = basename(pathcopy);
        char *dot = strrchr(base, '.');
        if (dot) {
            *dot = '\0';
        }
        for (size_t a = 0; a < n_sel; a++) {
            struct vne_algo *algo;
            struct vne_sim_result r;
            int error = vne_algo_create(sel[a], inst->sub, NULL, &algo);
            if (error) {
                fprintf(stderr, PROG " compare: cannot create %s: %s\n",
                        sel[a]->name, strerror(error));
                status = 1;
                continue;
            }
            error = vne_sim_run(inst, algo, NULL, &r, &err);
            if (error) {
                fprintf(stderr, PROG " compare: %s on %s: %s\n", sel[a]->name,
                        files[f], err);
                free(err);
                status = 1;
            } else if (markdown) {
                printf("| %s | **%s** | %.4f | %.4f | %.2f | %.2f |\n", base,
                       sel[a]->name, r.rac, r.lrc, r.lar, r.ms_per_request);
            } else {
                printf("%-20s %-16s %7.4f %7.4f %10.2f %9.2f\n", base, sel[a]->name,
                       r.rac, r.lrc, r.lar, r.ms_per_request);
            }
            fflush(stdout);
            vne_sim_result_clear(&r);
            vne_algo_destroy(algo);
        }
        if (n_reqs == UINT32_MAX) {
            char *dircopy = xstrdup(files[f]);
            char *csv = baselines ? xstrdup(baselines)
                                  : xasprintf("%s/../baselines.csv", dirname(dircopy));
            print_baselines(stdout, csv, base, markdown);
            free(csv);
            free(dircopy);
        }
        free(pathcopy);
        vne_instance_destroy(inst);
    }
    free(files);
    return status;
}

/* Dispatches `lamina vne COMMAND`. */
static int
vne_main(int argc, char *argv[])
{
    if (argc < 2) {
        vne_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        vne_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "simulate")) {
        return cmd_simulate(argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "embed")) {
        return cmd_embed(argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "compare")) {
        return cmd_compare(argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "algos") || !strcmp(cmd, "list")) {
        list_algos(stdout);
        return 0;
    }
    fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
    vne_usage(stderr);
    return 2;
}

static const char *const vne_names[] = { "vne", NULL };

const struct cli_group vne_cli_group = {
    .names = vne_names,
    .summary = "virtual network embedding: simulate, embed, compare",
    .main = vne_main,
};
