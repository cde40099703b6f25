/* cmd_status.c — `otactl status JOB`: the job record (ota:job:<id>, every
 * field) and the job's events from ota:events, oldest first. The events of
 * a job lie between its `created` and `updated` times (both Unix ms of the
 * Redis clock, like the stream's entry ids; plus a little slack), so only
 * that range of the stream is read, in pages. Exit 1 when there is no such
 * job. */
#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "ctl/rconn.h"

/* "2024-06-01T10:00:00.123Z" from Unix ms. */
static void iso_ms(long long ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03lldZ", b, ms % 1000);
}

/* One event line, shared with watch: "TS STATE job=J carrier=C country=X
 * #attempt: detail [tag=T]". */
void ctl_event_line(FILE *f, const char *entry_id, const redisReply *kv)
{
    const char *ts = ctl_reply_field(kv, "ts");
    char when[40];
    iso_ms(*ts ? atoll(ts) : atoll(entry_id), when, sizeof when);
    const char *tag = ctl_reply_field(kv, "tag");
    fprintf(f, "%s %-9s job=%s carrier=%s country=%s attempt=%s: %s%s%s\n", when,
            ctl_reply_field(kv, "state"), ctl_reply_field(kv, "job"),
            *ctl_reply_field(kv, "carrier") ? ctl_reply_field(kv, "carrier") : "-",
            *ctl_reply_field(kv, "country") ? ctl_reply_field(kv, "country") : "-",
            *ctl_reply_field(kv, "attempt") ? ctl_reply_field(kv, "attempt") : "-",
            ctl_reply_field(kv, "detail"), *tag ? " tag=" : "", tag);
}

int cmd_status(int argc, char **argv)
{
    const char *cmd = "status";
    struct ctl_redis r = {0};
    const struct ctl_opt opts[] = {CTL_REDIS_OPTS(&r)};
    char *av[argc > 0 ? argc : 1], *pos[1];
    ctl_redis_argv(argc, argv, av);
    int npos = ctl_parse(cmd, argc, av, opts, sizeof opts / sizeof opts[0], pos, 1);
    if (npos < 0)
        return CTL_EXIT_USAGE;
    if (npos != 1) {
        ctl_err(cmd, "usage: otactl status JOB [-c FILE | --redis HOST:PORT]");
        return CTL_EXIT_USAGE;
    }
    const char *job = pos[0];
    int rc;
    redisContext *c = ctl_redis_open(cmd, &r, &rc);
    if (!c)
        return rc;
    rc = CTL_EXIT_OK;
    redisReply *h = redisCommand(c, "HGETALL %sjob:%s", r.prefix, job);
    if (!h || h->type != REDIS_REPLY_ARRAY) {
        ctl_err(cmd, "HGETALL %sjob:%s: %s", r.prefix, job, ctl_redis_why(c, h));
        rc = CTL_EXIT_FAIL;
    } else if (h->elements == 0) {
        ctl_err(cmd, "no job '%s' (%sjob:%s does not exist or has expired)", job, r.prefix, job);
        rc = CTL_EXIT_FAIL;
    } else {
        printf("job %s\n", job);
        for (size_t i = 0; i + 1 < h->elements; i += 2) {
            const char *k = h->element[i]->str, *v = h->element[i + 1]->str;
            if (strcmp(k, "history") == 0)
                continue; /* the events below say the same, better */
            printf("  %-14s %s\n", k, v);
        }
        long long from = atoll(ctl_reply_field(h, "created")),
                  to = atoll(ctl_reply_field(h, "updated"));
        char start[32], end[32];
        snprintf(start, sizeof start, "%lld-0", from > 0 ? from : 0);
        /* An event's entry id can be later than the script's clock that
         * stamped `updated` (XADD takes the time when it runs): 5 s of slack,
         * a script's own time limit; other jobs' events are filtered. */
        if (to > 0)
            snprintf(end, sizeof end, "%lld", to + 5000);
        else
            snprintf(end, sizeof end, "+");
        printf("events\n");
        unsigned seen = 0;
        for (;;) {
            redisReply *x = redisCommand(c, "XRANGE %s %s %s COUNT 1000", r.events, start, end);
            if (!x || x->type != REDIS_REPLY_ARRAY) {
                ctl_err(cmd, "XRANGE %s: %s", r.events, ctl_redis_why(c, x));
                rc = CTL_EXIT_FAIL;
                if (x)
                    freeReplyObject(x);
                break;
            }
            for (size_t i = 0; i < x->elements; i++) {
                redisReply *e = x->element[i];
                if (e->elements != 2 || strcmp(ctl_reply_field(e->element[1], "job"), job) != 0)
                    continue;
                printf("  ");
                ctl_event_line(stdout, e->element[0]->str, e->element[1]);
                seen++;
            }
            size_t got = x->elements;
            if (got)
                snprintf(start, sizeof start, "(%s", x->element[got - 1]->element[0]->str);
            freeReplyObject(x);
            if (got < 1000)
                break;
        }
        if (!seen && rc == CTL_EXIT_OK)
            printf("  (none left in %s)\n", r.events);
    }
    return ctl_redis_close(&r, c, h, rc);
}
