/*
 * topo_part: splitting a topology over several machines.
 *
 * What?  An emulation too large for one host runs its switches in several
 * lamina-switchd processes, one per machine; a link whose ends land on two
 * machines becomes a tunnel (dataplane/dp_tunnel.h), which costs an
 * underlay round trip and encapsulation per frame.  So the split wants
 * as few cut links as possible while keeping the machines' loads even:
 * a balanced minimum cut, which is what METIS's multilevel k-way graph
 * partitioning (METIS_PartGraphKway) computes well and fast.  A switch
 * weighs 1 plus its hosts (a host's port costs as much as a switch's
 * links), a link weighs 1 (parallel links between two switches add up).
 * Hosts go with their switch.  METIS runs with a fixed seed, so the same
 * map and machine count give the same split.
 */
#ifndef LAMINA_TOPO_PART_H
#define LAMINA_TOPO_PART_H 1

#include <stddef.h>

struct topo;

/* Assigns each switch of 't' to one of 'n_parts' machines: part[i] in
 * 0..n_parts-1 for switch i ('part' has t->n_sw entries).  Every machine
 * gets at least one switch.  Returns 0, or EINVAL (n_parts outside
 * 1..n_sw, a message in '*errp') or EIO (METIS failed, likewise). */
int topo_partition(const struct topo *t, unsigned n_parts, int *part,
                   char **errp);

/* The number of links of 't' whose ends are on different machines. */
size_t topo_partition_cut(const struct topo *t, const int *part);

#endif /* LAMINA_TOPO_PART_H */
