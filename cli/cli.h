/*
 * cli: how a part plugs a command group into the `lamina` front end.
 *
 * A part defines one 'struct cli_group' and its meson.build declares
 * '<part>_cli_dep'; cli/meson.build links it and sets HAVE_<PART>_CLI.
 * main() receives argv starting at the group's own name (argv[0] is
 * "vne" for `lamina vne simulate ...`) and returns the exit status:
 * 0 success, 1 failure, 2 usage error.
 */
#ifndef LAMINA_CLI_H
#define LAMINA_CLI_H 1

struct cli_group {
    const char *const *names;   /* NULL-terminated; e.g. {"vne", NULL} */
    const char *summary;        /* one line for `lamina --help` */
    int (*main)(int argc, char *argv[]);
};

extern const struct cli_group switch_cli_group;
extern const struct cli_group vne_cli_group;
extern const struct cli_group topo_cli_group;
extern const struct cli_group slicer_cli_group;

#endif /* LAMINA_CLI_H */
