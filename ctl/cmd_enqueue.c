/* cmd_enqueue.c — `otactl enqueue switch|config|apdu ...`: a job onto the
 * ota:jobs stream, checked first by the daemon's own validator
 * (queue/job.h jobq_job_parse), so a bad job never reaches the stream: exit 2
 * with the reason that names the field. Prints the job's id (its `id`
 * field, or the stream entry id that becomes its key). */
#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/rconn.h"
#include "gateway/config.h"
#include "queue/job.h"

/* Job fields taken as options, in the contract's order (docs/DESIGN.md). */
static const char *const fields[] = {
    "id",  "method", "slot",     "imsi",   "aid", "action",   "applet",  "file",   "value",
    "tar", "apdus",  "readback", "format", "por", "validity", "carrier", "keyset", "tag",
};
#define NFIELDS (sizeof fields / sizeof fields[0])

int cmd_enqueue(int argc, char **argv)
{
    const char *cmd = "enqueue";
    const char *val[NFIELDS] = {0}, *iccid = NULL, *msisdn = NULL;
    struct ctl_redis r = {0};
    struct ctl_opt opts[NFIELDS + 2 + 5] = {
        {"iccid", 0, &iccid},
        {"msisdn", 0, &msisdn},
        CTL_REDIS_OPTS(&r),
    };
    size_t nopts = 7;
    for (size_t i = 0; i < NFIELDS; i++) /* --readback is a flag, as in otactl script */
        opts[nopts++] = (struct ctl_opt){fields[i], strcmp(fields[i], "readback") == 0, &val[i]};
    char *av[argc > 0 ? argc : 1], *pos[1];
    ctl_redis_argv(argc, argv, av);
    int npos = ctl_parse(cmd, argc, av, opts, nopts, pos, 1);
    if (npos < 0)
        return CTL_EXIT_USAGE;
    if (npos != 1) {
        ctl_err(cmd, "which job? otactl enqueue switch|config|apdu --iccid ... --msisdn ...");
        return CTL_EXIT_USAGE;
    }

    /* The pairs as the stream entry will hold them. */
    struct jobq_kv kv[NFIELDS + 3];
    const char *k[NFIELDS + 3], *v[NFIELDS + 3];
    size_t n = 0;
    k[n] = "type", v[n++] = pos[0];
    if (iccid)
        k[n] = "iccid", v[n++] = iccid;
    if (msisdn)
        k[n] = "msisdn", v[n++] = msisdn;
    for (size_t i = 0; i < NFIELDS; i++)
        if (val[i])
            k[n] = fields[i], v[n++] = strcmp(fields[i], "readback") == 0 ? "yes" : val[i];
    for (size_t i = 0; i < n; i++)
        kv[i] = (struct jobq_kv){k[i], strlen(k[i]), v[i], strlen(v[i])};
    struct jobq_job *job = calloc(1, sizeof *job);
    if (!job) {
        ctl_err(cmd, "out of memory");
        return CTL_EXIT_FAIL;
    }
    char why[320];
    enum jobq_err e = jobq_job_parse(kv, n, job, why, sizeof why);
    if (e != JOBQ_OK) {
        ctl_err(cmd, "%s", why);
        free(job);
        return CTL_EXIT_USAGE;
    }
    if (ctl_redis_setup(cmd, &r) != 0) {
        free(job);
        return CTL_EXIT_USAGE;
    }
    /* With the daemon's config at hand, its own check of the profile name. */
    if (r.cfg && job->method == JOBQ_METHOD_APPLET && job->applet[0] &&
        !gw_config_applet(r.cfg, job->applet)) {
        ctl_err(cmd, "applet: profile '%s' is not configured in %s", job->applet, r.conf);
        free(job);
        ctl_redis_done(&r);
        return CTL_EXIT_USAGE;
    }
    free(job);

    redisContext *c = ctl_redis_connect(cmd, &r);
    if (!c)
        return ctl_redis_close(&r, NULL, NULL, CTL_EXIT_FAIL);
    const char *a[3 + 2 * (NFIELDS + 3)];
    size_t al[3 + 2 * (NFIELDS + 3)];
    int argn = 0;
    a[argn++] = "XADD", a[argn++] = r.jobs, a[argn++] = "*";
    for (size_t i = 0; i < n; i++)
        a[argn++] = k[i], a[argn++] = v[i];
    for (int i = 0; i < argn; i++)
        al[i] = strlen(a[i]);
    redisReply *rep = redisCommandArgv(c, argn, a, al);
    if (!rep || rep->type != REDIS_REPLY_STRING) {
        ctl_err(cmd, "XADD %s: %s", r.jobs, ctl_redis_why(c, rep));
        return ctl_redis_close(&r, c, rep, CTL_EXIT_FAIL);
    }
    const char *id = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(k[i], "id") == 0)
            id = v[i];
    printf("%s\n", id ? id : rep->str);
    return ctl_redis_close(&r, c, rep, CTL_EXIT_OK);
}
