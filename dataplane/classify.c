#include "classify.h"

#include <errno.h>
#include <stdlib.h>

int
classify_bind(struct classify_port *cp, int vlan, void *binding)
{
    if (cp->whole) {
        return EEXIST;
    }
    if (vlan == CLASSIFY_WHOLE) {
        if (cp->untagged || cp->n_tagged) {
            return EEXIST;
        }
        cp->whole = binding;
        return 0;
    }
    if (vlan < 0) {
        if (cp->untagged) {
            return EEXIST;
        }
        cp->untagged = binding;
        return 0;
    }
    if (vlan < 1 || vlan > 4094) {
        return EINVAL;
    }
    if (!cp->vlans) {
        cp->vlans = calloc(CLASSIFY_N_VLANS, sizeof *cp->vlans);
        if (!cp->vlans) {
            return ENOMEM;
        }
    }
    if (cp->vlans[vlan]) {
        return EEXIST;
    }
    cp->vlans[vlan] = binding;
    cp->n_tagged++;
    return 0;
}

void
classify_unbind(struct classify_port *cp, int vlan)
{
    if (vlan == CLASSIFY_WHOLE) {
        cp->whole = NULL;
    } else if (vlan < 0) {
        cp->untagged = NULL;
    } else if (cp->vlans && vlan < CLASSIFY_N_VLANS && cp->vlans[vlan]) {
        cp->vlans[vlan] = NULL;
        if (!--cp->n_tagged) {
            free(cp->vlans);
            cp->vlans = NULL;
        }
    }
}

void *
classify_get(const struct classify_port *cp, int vlan)
{
    if (cp->whole) {
        return cp->whole;
    }
    if (vlan == CLASSIFY_WHOLE) {
        if (cp->untagged) {
            return cp->untagged;
        }
        for (int v = 1; cp->n_tagged && v < CLASSIFY_N_VLANS; v++) {
            if (cp->vlans[v]) {
                return cp->vlans[v];
            }
        }
        return NULL;
    }
    if (vlan < 0) {
        return cp->untagged;
    }
    return cp->vlans && vlan < CLASSIFY_N_VLANS ? cp->vlans[vlan] : NULL;
}

void
classify_port_destroy(struct classify_port *cp)
{
    if (cp) {
        free(cp->vlans);
        cp->vlans = NULL;
        cp->whole = NULL;
        cp->untagged = NULL;
        cp->n_tagged = 0;
    }
}
