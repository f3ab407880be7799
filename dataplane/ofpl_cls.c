/*
 * ofpl_cls: the pipeline and its classifier: flow tables as tuple spaces
 * (see ofpl.h, "Classifier"; the lookup is inline in ofpl_pvt.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ofpl_pvt.h"

struct ofpl_pipeline *
ofpl_create(const struct ofpl_params *params)
{
    struct ofpl_pipeline *pl = calloc(1, sizeof *pl);
    unsigned emc;

    if (!pl) {
        return NULL;
    }
    pl->params = *params;
    if (!pl->params.n_tables || pl->params.n_tables > OFPL_MAX_TABLES) {
        pl->params.n_tables = OFPL_DEFAULT_TABLES;
    }
    if (!pl->params.max_flows) {
        pl->params.max_flows = OFPL_DEFAULT_MAX_FLOWS;
    }
    emc = pl->params.emc_entries ? pl->params.emc_entries : OFPL_EMC_DEFAULT;
    while (emc & (emc - 1)) {
        emc &= emc - 1;
    }
    pl->gen = 1;
    pl->tables = calloc(pl->params.n_tables, sizeof *pl->tables);
    pl->emc = calloc(emc, sizeof *pl->emc);
    pl->emc_sig = calloc(emc, sizeof *pl->emc_sig);
    pl->emc_mask = emc - 1;
    if (!pl->tables || !pl->emc || !pl->emc_sig) {
        ofpl_destroy(pl);
        return NULL;
    }
    return pl;
}

unsigned
ofpl_n_tables(const struct ofpl_pipeline *pl)
{
    return pl->params.n_tables;
}

static void
tuple_free(struct ofpl_tuple *tu)
{
    if (tu) {
        free(tu->buckets);
        free(tu);
    }
}

void
ofpl_destroy(struct ofpl_pipeline *pl)
{
    if (!pl) {
        return;
    }
    for (unsigned t = 0; pl->tables && t < pl->params.n_tables; t++) {
        struct ofpl_table *tb = &pl->tables[t];
        for (struct ofpl_flow *f = tb->flows, *n; f; f = n) {
            n = f->lnext;
            free(f);
        }
        for (uint32_t i = 0; i < tb->n_tuples; i++) {
            tuple_free(tb->tuples[i]);
        }
        free(tb->tuples);
    }
    for (size_t i = 0; i < pl->n_groups; i++) {
        for (size_t b = 0; b < pl->groups[i]->n_buckets; b++) {
            free(pl->groups[i]->buckets[b].acts);
        }
        free(pl->groups[i]->buckets);
        free(pl->groups[i]);
    }
    for (size_t i = 0; i < pl->n_meters; i++) {
        free(pl->meters[i]);
    }
    free(pl->groups);
    free(pl->meters);
    free(pl->tables);
    free(pl->emc);
    free(pl->emc_sig);
    free(pl);
}

static void
tuple_sort(struct ofpl_table *tb)
{
    /* Insertion sort: few tuples, nearly sorted. */
    for (uint32_t i = 1; i < tb->n_tuples; i++) {
        struct ofpl_tuple *tu = tb->tuples[i];
        uint32_t j = i;
        while (j > 0 && tb->tuples[j - 1]->max_priority < tu->max_priority) {
            tb->tuples[j] = tb->tuples[j - 1];
            j--;
        }
        tb->tuples[j] = tu;
    }
}

static struct ofpl_tuple *
tuple_find_or_add(struct ofpl_table *tb, const struct ofpl_key *mask)
{
    struct ofpl_tuple *tu;

    for (uint32_t i = 0; i < tb->n_tuples; i++) {
        if (!memcmp(&tb->tuples[i]->mask, mask, sizeof *mask)) {
            return tb->tuples[i];
        }
    }
    if (tb->n_tuples == tb->alloc_tuples) {
        uint32_t n = tb->alloc_tuples ? 2 * tb->alloc_tuples : 8;
        struct ofpl_tuple **t = realloc(tb->tuples, n * sizeof *t);
        if (!t) {
            return NULL;
        }
        tb->tuples = t;
        tb->alloc_tuples = n;
    }
    tu = calloc(1, sizeof *tu);
    if (!tu || !(tu->buckets = calloc(16, sizeof *tu->buckets))) {
        free(tu);
        return NULL;
    }
    tu->mask = *mask;
    tu->bucket_mask = 15;
    for (int w = 0; w < OFPL_KEY_WORDS; w++) {
        if (mask->w[w]) {
            tu->words[tu->n_words++] = w;
        }
    }
    tb->tuples[tb->n_tuples++] = tu;
    return tu;
}

/* Sets slot 's''s hash and length from its chain. */
static void
slot_update(struct ofpl_slot *s)
{
    s->hash = s->flow ? s->flow->hash : 0;
    s->n = 0;
    for (const struct ofpl_flow *f = s->flow; f; f = f->next) {
        s->n++;
    }
}

/* Links 'f' into the chain of slot 's' (priority descending). */
static void
bucket_insert(struct ofpl_slot *s, struct ofpl_flow *f)
{
    struct ofpl_flow **head = &s->flow;

    while (*head && (*head)->priority >= f->priority) {
        head = &(*head)->next;
    }
    f->next = *head;
    *head = f;
    slot_update(s);
}

static void
tuple_grow(struct ofpl_tuple *tu)
{
    uint32_t n = (tu->bucket_mask + 1) * 2;
    struct ofpl_slot *b = calloc(n, sizeof *b);

    if (!b) {
        return;                     /* longer chains, still correct */
    }
    for (uint32_t i = 0; i <= tu->bucket_mask; i++) {
        for (struct ofpl_flow *f = tu->buckets[i].flow, *next; f; f = next) {
            next = f->next;
            bucket_insert(&b[f->hash & (n - 1)], f);
        }
    }
    free(tu->buckets);
    tu->buckets = b;
    tu->bucket_mask = n - 1;
}

bool
ofpl_table_insert(struct ofpl_table *tb, struct ofpl_flow *f, const struct ofpl_key *mask)
{
    struct ofpl_tuple *tu = tuple_find_or_add(tb, mask);

    if (!tu) {
        return false;
    }
    f->tuple = tu;
    f->hash = tuple_hash(tu, &f->val);
    /* At most one flow per two buckets: a lookup then rarely walks a
     * chain, and a bucket's slot alone (its first flow's hash) tells most
     * misses without loading a flow. */
    if (2 * tu->n_flows >= tu->bucket_mask + 1) {
        tuple_grow(tu);
    }
    bucket_insert(&tu->buckets[f->hash & tu->bucket_mask], f);
    if (!tu->n_flows++ || f->priority > tu->max_priority) {
        tu->max_priority = f->priority;
    }
    tuple_sort(tb);
    f->lprev = NULL;
    f->lnext = tb->flows;
    if (tb->flows) {
        tb->flows->lprev = f;
    }
    tb->flows = f;
    tb->n_flows++;
    return true;
}

void
ofpl_table_remove(struct ofpl_table *tb, struct ofpl_flow *f)
{
    struct ofpl_tuple *tu = f->tuple;
    struct ofpl_slot *s = &tu->buckets[f->hash & tu->bucket_mask];
    struct ofpl_flow **p = &s->flow;

    while (*p != f) {
        p = &(*p)->next;
    }
    *p = f->next;
    slot_update(s);
    if (f->lprev) {
        f->lprev->lnext = f->lnext;
    } else {
        tb->flows = f->lnext;
    }
    if (f->lnext) {
        f->lnext->lprev = f->lprev;
    }
    tb->n_flows--;
    if (--tu->n_flows == 0) {
        for (uint32_t i = 0; i < tb->n_tuples; i++) {
            if (tb->tuples[i] == tu) {
                memmove(&tb->tuples[i], &tb->tuples[i + 1],
                        (tb->n_tuples - i - 1) * sizeof *tb->tuples);
                tb->n_tuples--;
                break;
            }
        }
        tuple_free(tu);
    } else if (f->priority == tu->max_priority) {
        uint16_t max = 0;
        for (uint32_t i = 0; i <= tu->bucket_mask; i++) {
            if (tu->buckets[i].flow && tu->buckets[i].flow->priority > max) {
                max = tu->buckets[i].flow->priority;
            }
        }
        tu->max_priority = max;
        tuple_sort(tb);
    }
}
