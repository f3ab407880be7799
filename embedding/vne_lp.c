#include "vne_lp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct triplets {
    int *ia, *ja;
    double *ar;
    size_t n, cap;
};

/* Appends matrix entry (row, col) = val. */
static void
trip_add(struct triplets *t, int row, int col, double val)
{
    if (t->n + 1 >= t->cap) {
        t->cap = t->cap ? 2 * t->cap : 1024;
        t->ia = xrealloc(t->ia, t->cap * sizeof *t->ia);
        t->ja = xrealloc(t->ja, t->cap * sizeof *t->ja);
        t->ar = xrealloc(t->ar, t->cap * sizeof *t->ar);
    }
    t->n++;                     /* GLPK arrays are 1-based */
    t->ia[t->n] = row;
    t->ja[t->n] = col;
    t->ar[t->n] = val;
}

int
vne_lp_build(struct vne_lp *p, const struct vne_residual *res,
             const struct vne_request *req, bool integer,
             const struct vne_lp_weights *w, struct vne_reject *rej)
{
    const struct vne_substrate *sub = res->sub;
    uint32_t ns = sub->n_nodes, nl = sub->n_links, nv = req->n_nodes;
    uint32_t nvl = req->n_links;
    struct triplets t = { 0 };

    memset(p, 0, sizeof *p);
    p->sub = sub;
    p->req = req;
    p->n_arcs = 2 * nl;

    /* Candidates. */
    p->cand_vnode = xmalloc(((size_t) nv * ns + 1) * sizeof *p->cand_vnode);
    p->cand_snode = xmalloc(((size_t) nv * ns + 1) * sizeof *p->cand_snode);
    for (uint32_t m = 0; m < nv; m++) {
        uint32_t before = p->n_cand;
        bool any_allowed = false;
        for (uint32_t s = 0; s < ns; s++) {
            if (vne_node_allowed(req, m, s)) {
                any_allowed = true;
                if (res->cpu[s] >= req->nodes[m].cpu) {
                    p->cand_vnode[p->n_cand] = m;
                    p->cand_snode[p->n_cand] = s;
                    p->n_cand++;
                }
            }
        }
        if (p->n_cand == before) {
            vne_reject_set(rej, any_allowed ? VNE_REJECT_CPU : VNE_REJECT_LOCATION,
                           "virtual node %u (cpu %d): no host", m, req->nodes[m].cpu);
            return ENOSPC;
        }
    }

    glp_prob *lp = p->lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);

    /* Rows: assign[nv], host[ns], flow[nvl * ns], bw[nl]. */
    int row_assign = 1, row_host = row_assign + nv;
    int row_flow = row_host + ns, row_bw = row_flow + nvl * ns;
    int n_rows = row_bw + nl - 1;
    glp_add_rows(lp, n_rows);
    for (uint32_t m = 0; m < nv; m++) {
        glp_set_row_bnds(lp, row_assign + m, GLP_FX, 1, 1);
    }
    for (uint32_t s = 0; s < ns; s++) {
        glp_set_row_bnds(lp, row_host + s, GLP_UP, 0, 1);
    }
    for (uint32_t i = 0; i < nvl * ns; i++) {
        glp_set_row_bnds(lp, row_flow + i, GLP_FX, 0, 0);
    }
    for (uint32_t l = 0; l < nl; l++) {
        glp_set_row_bnds(lp, row_bw + l, GLP_UP, 0, res->bw[l]);
    }

    /* Columns: x then f. */
    p->x_col = xmalloc((p->n_cand + 1) * sizeof *p->x_col);
    int col = glp_add_cols(lp, p->n_cand);
    for (uint32_t c = 0; c < p->n_cand; c++, col++) {
        uint32_t m = p->cand_vnode[c], s = p->cand_snode[c];
        p->x_col[c] = col;
        glp_set_col_kind(lp, col, integer ? GLP_BV : GLP_CV);
        glp_set_col_bnds(lp, col, GLP_DB, 0, 1);
        glp_set_obj_coef(lp, col, w->balance
                         ? req->nodes[m].cpu / (res->cpu[s] + w->delta) : 0);
        trip_add(&t, row_assign + m, col, 1);
        trip_add(&t, row_host + s, col, 1);
        for (uint32_t i = 0; i < nvl; i++) {
            if (req->links[i].src == m) {
                trip_add(&t, row_flow + i * ns + s, col, -1);
            } else if (req->links[i].dst == m) {
                trip_add(&t, row_flow + i * ns + s, col, 1);
            }
        }
    }
    p->f_col = xcalloc((size_t) nvl * p->n_arcs + 1, sizeof *p->f_col);
    for (uint32_t i = 0; i < nvl; i++) {
        int32_t bw = req->links[i].bw;
        for (uint32_t a = 0; a < p->n_arcs; a++) {
            uint32_t l = a / 2;
            if (res->bw[l] < bw) {
                continue;
            }
            uint32_t from = a & 1 ? sub->links[l].v : sub->links[l].u;
            uint32_t to = a & 1 ? sub->links[l].u : sub->links[l].v;
            col = glp_add_cols(lp, 1);
            p->f_col[(size_t) i * p->n_arcs + a] = col;
            glp_set_col_kind(lp, col, integer ? GLP_BV : GLP_CV);
            glp_set_col_bnds(lp, col, GLP_DB, 0, 1);
            double unit = w->balance ? 1.0 / (res->bw[l] + w->delta) : 1.0;
            glp_set_obj_coef(lp, col, bw * unit + w->hop_eps);
            trip_add(&t, row_flow + i * ns + from, col, 1);
            trip_add(&t, row_flow + i * ns + to, col, -1);
            if (bw > 0) {
                trip_add(&t, row_bw + l, col, bw);
            }
        }
    }
    glp_load_matrix(lp, t.n, t.ia, t.ja, t.ar);
    free(t.ia);
    free(t.ja);
    free(t.ar);
    return 0;
}

void
vne_lp_destroy(struct vne_lp *p)
{
    if (p->lp) {
        glp_delete_prob(p->lp);
    }
    free(p->cand_vnode);
    free(p->cand_snode);
    free(p->x_col);
    free(p->f_col);
    memset(p, 0, sizeof *p);
}

int
vne_lp_extract(const struct vne_lp *p, struct vne_mapping *m)
{
    const struct vne_substrate *sub = p->sub;
    const struct vne_request *req = p->req;
    uint32_t ns = sub->n_nodes;
    uint32_t *prev = xmalloc(ns * sizeof *prev);
    uint32_t *queue = xmalloc(ns * sizeof *queue);
    uint32_t *path = xmalloc(ns * sizeof *path);
    int error = 0;

    for (uint32_t c = 0; c < p->n_cand; c++) {
        if (glp_mip_col_val(p->lp, p->x_col[c]) > 0.5) {
            m->host[p->cand_vnode[c]] = p->cand_snode[c];
        }
    }
    for (uint32_t v = 0; v < req->n_nodes; v++) {
        if (m->host[v] == UINT32_MAX) {
            error = EPROTO;
            goto out;
        }
    }
    /* Each virtual link: a breadth-first path over the arcs it uses. */
    for (uint32_t i = 0; i < req->n_links; i++) {
        uint32_t src = m->host[req->links[i].src], dst = m->host[req->links[i].dst];
        uint32_t head = 0, tail = 0;
        for (uint32_t s = 0; s < ns; s++) {
            prev[s] = UINT32_MAX;
        }
        prev[src] = src;
        queue[tail++] = src;
        while (head < tail && prev[dst] == UINT32_MAX) {
            uint32_t u = queue[head++];
            for (uint32_t k = sub->adj_start[u]; k < sub->adj_start[u + 1]; k++) {
                const struct vne_adj *a = &sub->adj[k];
                uint32_t arc = 2 * a->link + (sub->links[a->link].u == u ? 0 : 1);
                int col = p->f_col[(size_t) i * p->n_arcs + arc];
                if (!col || prev[a->node] != UINT32_MAX
                    || glp_mip_col_val(p->lp, col) < 0.5) {
                    continue;
                }
                prev[a->node] = u;
                queue[tail++] = a->node;
            }
        }
        if (prev[dst] == UINT32_MAX) {
            error = EPROTO;
            goto out;
        }
        uint32_t len = 0;
        for (uint32_t u = dst; u != src; u = prev[u]) {
            path[len++] = u;
        }
        path[len++] = src;
        for (uint32_t a = 0, b = len - 1; a < b; a++, b--) {
            uint32_t tmp = path[a];
            path[a] = path[b];
            path[b] = tmp;
        }
        vne_mapping_set_path(m, sub, i, path, len);
    }
out:
    free(prev);
    free(queue);
    free(path);
    return error;
}
