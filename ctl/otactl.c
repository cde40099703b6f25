/* otactl.c — the operator's tool: a table of subcommands, each in its own
 * ctl/cmd_<name>.c (see ctl.h for the exit statuses every one keeps). */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
} commands[] = {
    {"packet", cmd_packet,
     "packet --spi HEX4 --kic HEX2 --kid HEX2 --tar HEX6 --counter HEX10\n"
     "           [--kic-key HEX] [--kid-key HEX] --data HEX [--concat-ref N]\n"
     "        print the TP-UD (UDH included) of each SM of a secured command packet"},
    {"por", cmd_por,
     "por --spi HEX4 --kic HEX2 --kid HEX2 [--kic-key HEX] [--kid-key HEX]\n"
     "        [--tar HEX6 --counter HEX10] TPUD-HEX\n"
     "        verify and decode a PoR TP-UD: tar=, counter=, status=, data= lines"},
    {"script", cmd_script,
     "script switch|config|apdu [--iccid ICCID] [--class sim|uicc] [--method applet|imsi|profile]\n"
     "        [--slot N] [--imsi DIGITS] [--aid HEX] [--action enable|disable|fallback] [--file "
     "NAME|PATH]\n"
     "        [--value V] [--tar HEX6] [--apdus HEX,HEX] [--readback] [--format compact|expanded]\n"
     "        [--applet NAME --applet-conf FILE] [--spi HEX4 --kic HEX2 --kid HEX2]\n"
     "        [--max-sms N] [--response HEX]\n"
     "        dry run: print the command script, its C-APDUs and SM count; send nothing"},
    {"report", cmd_report,
     "report [--since DURATION|all] [--by country|carrier|country,carrier]\n"
     "           [--format table|json|csv] [--html FILE] [--redis HOST:PORT | -c FILE]\n"
     "        delivered/confirmed shares, failure mix and stage latencies per group"},
    {"enqueue", cmd_enqueue,
     "enqueue switch|config|apdu --iccid ICCID --msisdn E164 [--id ID] [--method M] [--slot N]\n"
     "           [--imsi D] [--aid HEX] [--action A] [--applet NAME] [--file F --value V]\n"
     "           [--tar HEX6 --apdus HEX,..] [--readback] [--format F] [--por P] [--validity S]\n"
     "           [--carrier C] [--keyset K] [--tag T] [-c FILE | --redis HOST:PORT]\n"
     "        validate a job as the daemon does (exit 2 + the field's reason), XADD it,\n"
     "        print its job id"},
    {"status", cmd_status,
     "status JOB [-c FILE | --redis HOST:PORT]\n"
     "        the job record and its events (exit 1: no such job)"},
    {"watch", cmd_watch,
     "watch [--tag TAG [--since 24h] [--total N] [--until-done]] [--count N] [--timeout S]\n"
     "        [-c FILE | --redis HOST:PORT]\n"
     "        follow the events live, one line each; with --tag a progress line (done/total,\n"
     "        rate, ETA)"},
    {"card", cmd_card,
     "card add ICCID --keyset NAME --class uicc|sim [--msisdn E164] [-c FILE | --redis H:P]\n"
     "        write the card record ota:card:<iccid>"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: otactl COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "\nRedis options of enqueue, status, watch, card: -c FILE (the daemon's config,\n"
               "[redis]) or --redis HOST:PORT, --user U, --password P, --db N\n");
    fprintf(f, "\nexit status: 0 ok, 1 operation failed, 2 bad input\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CTL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CTL_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "otactl: unknown command '%s' (otactl --help lists them)\n", argv[1]);
    return CTL_EXIT_USAGE;
}
