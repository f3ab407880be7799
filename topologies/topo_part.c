/*
 * topo_part: a balanced minimum cut of a topology with METIS (see
 * topo_part.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <metis.h>

#include "topo.h"
#include "topo_part.h"
#include "util.h"

/* The adjacency of 't' in METIS's CSR form: self-loops left out, parallel
 * links merged into one edge whose weight is their number.  Returns the
 * number of adjacency entries. */
static size_t
part_csr(const struct topo *t, idx_t *xadj, idx_t **adjncyp, idx_t **adjwgtp)
{
    size_t *deg = xcalloc(t->n_sw + 1, sizeof *deg);
    idx_t *adjncy, *adjwgt;
    size_t n = 0;

    for (size_t l = 0; l < t->n_links; l++) {
        if (t->links[l].a != t->links[l].b) {
            deg[t->links[l].a]++;
            deg[t->links[l].b]++;
        }
    }
    xadj[0] = 0;
    for (size_t i = 0; i < t->n_sw; i++) {
        xadj[i + 1] = xadj[i] + (idx_t) deg[i];
    }
    adjncy = xcalloc(xadj[t->n_sw] + 1, sizeof *adjncy);
    adjwgt = xcalloc(xadj[t->n_sw] + 1, sizeof *adjwgt);
    memset(deg, 0, (t->n_sw + 1) * sizeof *deg);    /* now: entries used */
    for (size_t l = 0; l < t->n_links; l++) {
        size_t e[2] = { t->links[l].a, t->links[l].b };
        if (e[0] == e[1]) {
            continue;
        }
        for (int k = 0; k < 2; k++) {
            size_t u = e[k], v = e[!k];
            idx_t *row = adjncy + xadj[u];
            size_t j;
            for (j = 0; j < deg[u] && row[j] != (idx_t) v; j++) {
                continue;
            }
            if (j == deg[u]) {
                row[j] = (idx_t) v;
                deg[u]++;
            }
            adjwgt[xadj[u] + j]++;
        }
    }
    /* Close the gaps that merged parallel links left. */
    for (size_t i = 0; i < t->n_sw; i++) {
        size_t from = xadj[i];
        xadj[i] = (idx_t) n;
        for (size_t j = 0; j < deg[i]; j++, n++) {
            adjncy[n] = adjncy[from + j];
            adjwgt[n] = adjwgt[from + j];
        }
    }
    xadj[t->n_sw] = (idx_t) n;
    free(deg);
    *adjncyp = adjncy;
    *adjwgtp = adjwgt;
    return n;
}

int
topo_partition(const struct topo *t, unsigned n_parts, int *part, char **errp)
{
    if (n_parts < 1 || n_parts > t->n_sw) {
        *errp = xasprintf("cannot split %zu switches over %u machines: give "
                          "1..%zu machines", t->n_sw, n_parts, t->n_sw);
        return EINVAL;
    }
    if (n_parts == 1) {
        memset(part, 0, t->n_sw * sizeof *part);
        return 0;
    }

    idx_t nvtxs = (idx_t) t->n_sw, ncon = 1, nparts = (idx_t) n_parts, objval = 0;
    idx_t *xadj = xcalloc(t->n_sw + 1, sizeof *xadj);
    idx_t *vwgt = xcalloc(t->n_sw, sizeof *vwgt);
    idx_t *where = xcalloc(t->n_sw, sizeof *where);
    idx_t *adjncy, *adjwgt;
    idx_t options[METIS_NOPTIONS];
    int error = 0;

    part_csr(t, xadj, &adjncy, &adjwgt);
    for (size_t i = 0; i < t->n_sw; i++) {
        vwgt[i] = 1;
    }
    for (size_t h = 0; h < t->n_hosts; h++) {
        vwgt[t->hosts[h].sw]++;
    }
    METIS_SetDefaultOptions(options);
    options[METIS_OPTION_SEED] = 1;
    options[METIS_OPTION_NUMBERING] = 0;
    int ret = METIS_PartGraphKway(&nvtxs, &ncon, xadj, adjncy, vwgt, NULL, adjwgt,
                                  &nparts, NULL, NULL, options, &objval, where);
    if (ret != METIS_OK) {
        *errp = xasprintf("METIS could not split the %zu switches over %u "
                          "machines (%s)", t->n_sw, n_parts,
                          ret == METIS_ERROR_MEMORY ? "out of memory"
                          : ret == METIS_ERROR_INPUT ? "bad input" : "error");
        error = EIO;
    } else {
        /* METIS may leave a part empty on a small or odd graph: give each
         * empty one a switch of the largest part. */
        size_t *count = xcalloc(n_parts, sizeof *count);
        for (size_t i = 0; i < t->n_sw; i++) {
            count[where[i]]++;
        }
        for (unsigned p = 0; p < n_parts; p++) {
            if (count[p]) {
                continue;
            }
            unsigned big = 0;
            for (unsigned q = 1; q < n_parts; q++) {
                big = count[q] > count[big] ? q : big;
            }
            for (size_t i = 0; i < t->n_sw; i++) {
                if (where[i] == (idx_t) big) {
                    where[i] = (idx_t) p;
                    count[big]--;
                    count[p]++;
                    break;
                }
            }
        }
        free(count);
        for (size_t i = 0; i < t->n_sw; i++) {
            part[i] = (int) where[i];
        }
    }
    free(xadj);
    free(vwgt);
    free(where);
    free(adjncy);
    free(adjwgt);
    return error;
}

size_t
topo_partition_cut(const struct topo *t, const int *part)
{
    size_t cut = 0;

    for (size_t l = 0; l < t->n_links; l++) {
        cut += part[t->links[l].a] != part[t->links[l].b];
    }
    return cut;
}
