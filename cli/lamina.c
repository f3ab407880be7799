/*
 * lamina: the one command-line front end.
 *
 *     lamina switch|port|slice|vnode|vlink|stats ...   manage lamina-switchd
 *     lamina vne ...                                   virtual network embedding
 *     lamina topo ...                                  emulated topologies
 *     lamina lease|inp|broker|principal ...            leases via lamina-brokerd
 *
 * Each group lives with the part it drives and is reached through the
 * table below; every group answers --help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct cli_group *const cli_groups[] = {
#ifdef HAVE_SWITCH_CLI
    &switch_cli_group,
#endif
#ifdef HAVE_VNE_CLI
    &vne_cli_group,
#endif
#ifdef HAVE_TOPO_CLI
    &topo_cli_group,
#endif
#ifdef HAVE_SLICER_CLI
    &slicer_cli_group,
#endif
#ifdef HAVE_BROKER_CLI
    &broker_cli_group,
#endif
    NULL,
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: lamina COMMAND [ARGS...]\n\ncommands:\n");
    for (const struct cli_group *const *g = cli_groups; *g; g++) {
        for (const char *const *name = (*g)->names; *name; name++) {
            fprintf(out, "  %-8s %s\n", *name, (*g)->summary);
        }
    }
    fprintf(out, "\nRun 'lamina COMMAND --help' for the options of one command.\n");
}

int
main(int argc, char *argv[])
{
    log_init(argv[0]);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    /* Options may come before the command (`lamina --socket S port list`):
     * the command is the first word that names a group, and the words
     * before it are handed to the group after its name, where groups
     * parse their options. */
    for (int i = 1; i < argc && (i == 1 || argv[1][0] == '-'); i++) {
        for (const struct cli_group *const *g = cli_groups; *g; g++) {
            for (const char *const *name = (*g)->names; *name; name++) {
                if (!strcmp(argv[i], *name)) {
                    char *group = argv[i];
                    memmove(argv + 2, argv + 1, (i - 1) * sizeof *argv);
                    argv[1] = group;
                    return (*g)->main(argc - 1, argv + 1);
                }
            }
        }
    }
    fprintf(stderr, "lamina: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
