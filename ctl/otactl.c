/* otactl.c — the operator's tool: one subcommand per ctl/cmd_<name>.c.
 *
 * Interim dispatcher on the ops branch until the shared skeleton (branch
 * codec) lands; on merge, theirs wins and gains the "report" row. */
#include <stdio.h>
#include <string.h>

#include "ctl/cmd_report.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} cmds[] = {
    {"report", cmd_report, "delivery figures per country and carrier"},
};

int main(int argc, char **argv)
{
    if (argc >= 2)
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
            if (strcmp(argv[1], cmds[i].name) == 0)
                return cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "usage: otactl COMMAND [options]\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(stderr, "  %-10s %s\n", cmds[i].name, cmds[i].help);
    return 2;
}
