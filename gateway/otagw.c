/* otagw.c — the daemon's main: options, loading the configuration, the
 * keystore and the E.164 table, --check-config, and the run loop
 * (gateway/daemon.c owns what runs on it).
 *
 *   otagw -c FILE                 load everything, then run
 *   otagw -c FILE --check-config  validate everything, print the effective
 *                                 configuration (secrets masked), exit 0;
 *                                 on error one line "file:line: reason", exit 2
 *
 * main() reads in three steps: gw_main_load() (everything from disk, all
 * checks), then either check_config() or gw_main_run(), then gw_main_free()
 * (which wipes the keys). */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/c348.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/e164.h"
#include "gateway/keystore.h"
#include "gateway/log.h"

#ifndef OTAGW_VERSION
#define OTAGW_VERSION "0.1.0-dev"
#endif

#define EXIT_CONFIG 2 /* configuration, keystore or table refused */

/* What the daemon holds for its whole life; the running parts (loop, queue,
 * links) are gateway/daemon.c's. */
struct gw_main {
    struct gw_config *cfg;
    struct gw_keystore *keys;
    struct gw_e164 *e164;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: otagw -c FILE [--check-config]\n"
                 "       otagw --version | --help\n"
                 "\n"
                 "  -c, --config FILE   the configuration (see conf/otagw.conf)\n"
                 "  -t, --check-config  validate the configuration, keystore and E.164 table,\n"
                 "                      print the effective configuration (secrets masked), exit\n"
                 "  -v, --version       print the version and exit\n"
                 "  -h, --help          this text\n"
                 "\n"
                 "Exit status: 0 ok, 1 usage or runtime error, 2 configuration refused.\n");
}

static void gw_main_free(struct gw_main *m)
{
    /* The codec's cached cipher and CMAC contexts hold the key schedules
     * of the last keys used (for AES, round key 0 is the key itself):
     * freeing them cleanses those, the keystore wipes the keys. */
    c348_thread_cleanup();
    gw_keystore_free(m->keys);
    gw_e164_free(m->e164);
    gw_config_free(m->cfg);
    memset(m, 0, sizeof *m);
}

/* Loads and checks everything; on error prints one line and returns -1. */
static int gw_main_load(struct gw_main *m, const char *file)
{
    char err[1024];
    m->cfg = gw_config_load(file, err, sizeof err);
    if (!m->cfg)
        goto fail;
    if (gw_keystore_load(m->cfg->keystore, &m->keys, err, sizeof err) != 0)
        goto fail;
    if (gw_e164_load(m->cfg->e164_table, &m->e164, err, sizeof err) != 0)
        goto fail;
    if (gw_daemon_check_applets(m->cfg, err, sizeof err) != 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "otagw: %s\n", err);
    gw_main_free(m);
    return -1;
}

/* Facts worth a look that are not errors: a local-only country that no
 * carrier serves will see its jobs rejected. Printed as INI comments so the
 * output stays a loadable configuration. */
static void check_notes(const struct gw_config *c, FILE *out)
{
    for (unsigned i = 0; i < c->npolicies; i++) {
        if (c->policies[i].policy != GW_POLICY_LOCAL_ONLY)
            continue;
        int served = 0;
        for (unsigned k = 0; k < c->ncarriers && !served; k++)
            for (unsigned j = 0; j < c->carriers[k].ncountries; j++)
                if (strcmp(c->carriers[k].countries[j], c->policies[i].country) == 0)
                    served = 1;
        if (!served)
            fprintf(out,
                    "# note: %s is local-only and no carrier lists it in 'countries': jobs to "
                    "%s will be rejected\n",
                    c->policies[i].country, c->policies[i].country);
    }
    if (c->default_route.ncarriers == 0)
        fprintf(out, "# note: no default route: countries without a route of their own are "
                     "rejected\n");
}

static int check_config(const struct gw_main *m)
{
    gw_config_print(m->cfg, stdout);
    printf("\n# keystore %s: %zu keyset(s)\n", m->cfg->keystore, gw_keystore_count(m->keys));
    gw_keystore_print(m->keys, "#   ", stdout);
    printf("# e164 table %s: %zu prefixes\n", m->cfg->e164_table, gw_e164_count(m->e164));
    check_notes(m->cfg, stdout);
    printf("# configuration ok\n");
    return 0;
}

static void log_from_config(const struct gw_config *c)
{
    struct gw_log_opts o = {
        .level = c->log_level,
        .json = c->log_format == GW_LOG_JSON,
        .use_syslog = c->log_syslog,
        .mask_msisdn = c->mask_msisdn,
        .ident = c->name,
    };
    gw_log_setup(&o);
}

/* The daemon proper: runs until SIGTERM/SIGINT and a graceful drain. */
static int gw_main_run(struct gw_main *m)
{
    log_from_config(m->cfg);
    GW_LOG(GW_LOG_NOTICE, "main", NULL,
           "%zu keyset(s), %zu E.164 prefixes, %u carrier(s), %u route(s)",
           gw_keystore_count(m->keys), gw_e164_count(m->e164), m->cfg->ncarriers,
           m->cfg->nroutes + (m->cfg->default_route.ncarriers ? 1 : 0));
    struct ev_loop *loop = ev_default_loop(0);
    if (!loop) {
        GW_LOG(GW_LOG_ERR, "main", NULL, "cannot create the event loop");
        gw_log_close();
        return -1;
    }
    char err[1024];
    struct gw_daemon *d = gw_daemon_new(loop, m->cfg, m->keys, m->e164, err, sizeof err);
    if (!d) {
        GW_LOG(GW_LOG_ERR, "main", NULL, "cannot start: %s", err);
        gw_log_close();
        return -1;
    }
    GW_LOG(GW_LOG_NOTICE, "main", NULL, "otagw %s ready", m->cfg->name);
    int rc = gw_daemon_run(d);
    gw_daemon_free(d);
    ev_loop_destroy(loop);
    gw_log_close();
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 't'},
        {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    int check = 0, o;
    while ((o = getopt_long(argc, argv, "c:tvh", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            file = optarg;
            break;
        case 't':
            check = 1;
            break;
        case 'v':
            printf("otagw %s\n", OTAGW_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "otagw: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 1;
    }
    if (!file) {
        fprintf(stderr, "otagw: no configuration: use -c FILE\n");
        usage(stderr);
        return 1;
    }

    struct gw_main m = {0};
    if (gw_main_load(&m, file) != 0)
        return EXIT_CONFIG;
    int rc = check ? check_config(&m) : gw_main_run(&m);
    gw_main_free(&m);
    return rc == 0 ? 0 : 1;
}
