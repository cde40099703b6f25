/* cmd_watch.c — `otactl watch [--tag TAG]`: follows ota:events live, one
 * line per event (XREAD BLOCK from the stream's end). With --tag, only the
 * events of that campaign's jobs, each followed by a progress line:
 *
 *   progress tag=T: 37/120 done (confirmed 35, failed 1, rejected 1,
 *     expired 0), 2.4 jobs/s, ETA 35s
 *
 * The campaign's jobs are those seen with the tag: its past events (read
 * with --since, default 24h, so a watch started mid-campaign counts what
 * is already done) and every new one; --total N says how many there will
 * be when not all are enqueued yet. Rate = jobs done since the watch
 * started per second; ETA = jobs left / rate (issue #7).
 * --count N stops after N event lines, --until-done when every job of the
 * tag is final, --timeout S after S seconds (exit 1 if --until-done was not
 * met). */
#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ctl/ctl.h"
#include "ctl/rconn.h"
#include "queue/report.h"

struct job {
    char *id;
    int final;
};

struct campaign {
    const char *tag;
    struct job *jobs;
    size_t n, cap;
    unsigned confirmed, failed, rejected, expired, delivered_final;
    unsigned done_at_start;
    unsigned total_hint;
};

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static struct job *job_get(struct campaign *k, const char *id)
{
    for (size_t i = 0; i < k->n; i++) /* a campaign's thousands: a scan is fine */
        if (strcmp(k->jobs[i].id, id) == 0)
            return &k->jobs[i];
    if (k->n == k->cap) {
        size_t nc = k->cap ? k->cap * 2 : 256;
        struct job *nj = realloc(k->jobs, nc * sizeof *nj);
        if (!nj)
            return NULL;
        k->jobs = nj, k->cap = nc;
    }
    struct job *j = &k->jobs[k->n];
    j->id = strdup(id);
    if (!j->id)
        return NULL;
    j->final = 0;
    k->n++;
    return j;
}

/* Folds one event of the tag. Final states as docs/queue.md: delivered is
 * final only for por=none jobs, which the event does not say; a later
 * confirmed/failed/expired would then never come, so delivered is not
 * counted as done (the job's record says; otactl status). */
static void fold(struct campaign *k, const char *job, const char *state)
{
    struct job *j = job_get(k, job);
    if (!j || j->final)
        return;
    if (!strcmp(state, "confirmed"))
        k->confirmed++;
    else if (!strcmp(state, "failed"))
        k->failed++;
    else if (!strcmp(state, "rejected"))
        k->rejected++;
    else if (!strcmp(state, "expired"))
        k->expired++;
    else
        return;
    j->final = 1;
}

static unsigned done(const struct campaign *k)
{
    return k->confirmed + k->failed + k->rejected + k->expired;
}

static unsigned total(const struct campaign *k)
{
    return k->total_hint > k->n ? k->total_hint : (unsigned)k->n;
}

static void progress(const struct campaign *k, double started)
{
    unsigned d = done(k), t = total(k);
    double el = now_s() - started;
    double rate = el > 0.1 ? (double)(d - k->done_at_start) / el : 0.0;
    printf("progress tag=%s: %u/%u done (confirmed %u, failed %u, rejected %u, expired %u), ",
           k->tag, d, t, k->confirmed, k->failed, k->rejected, k->expired);
    if (d >= t)
        printf("%.1f jobs/s, complete\n", rate);
    else if (rate > 0)
        printf("%.1f jobs/s, ETA %.0fs\n", rate, (double)(t - d) / rate);
    else
        printf("rate -, ETA -\n");
}

int cmd_watch(int argc, char **argv)
{
    const char *cmd = "watch";
    const char *tag = NULL, *since = NULL, *count = NULL, *until = NULL, *timeout = NULL,
               *totalo = NULL;
    struct ctl_redis r = {0};
    const struct ctl_opt opts[] = {
        {"tag", 0, &tag},          {"since", 0, &since},     {"count", 0, &count},
        {"until-done", 1, &until}, {"timeout", 0, &timeout}, {"total", 0, &totalo},
        CTL_REDIS_OPTS(&r),
    };
    char *av[argc > 0 ? argc : 1], *pos[1];
    ctl_redis_argv(argc, argv, av);
    int npos = ctl_parse(cmd, argc, av, opts, sizeof opts / sizeof opts[0], pos, 1);
    if (npos != 0) {
        if (npos > 0)
            ctl_err(cmd, "usage: otactl watch [--tag TAG [--since D] [--total N] [--until-done]] "
                         "[--count N] [--timeout S]");
        return CTL_EXIT_USAGE;
    }
    long long max_lines = count ? atoll(count) : 0;
    double tmo = timeout ? atof(timeout) : 0;
    int64_t since_ms = since ? jobq_report_parse_duration(since) : 24LL * 3600 * 1000;
    if ((count && max_lines <= 0) || (timeout && tmo <= 0) || since_ms < 0 || (until && !tag)) {
        ctl_err(cmd, "bad option: --count N>0, --timeout S>0, --since like 24h, --until-done "
                     "needs --tag");
        return CTL_EXIT_USAGE;
    }
    struct campaign k = {.tag = tag, .total_hint = totalo ? (unsigned)atoi(totalo) : 0};
    int rc;
    redisContext *c = ctl_redis_open(cmd, &r, &rc);
    if (!c)
        return rc;
    rc = CTL_EXIT_OK;
    char last[64] = "$";
    /* Where "now" is in the stream: new events are those after it. */
    redisReply *x = redisCommand(c, "XREVRANGE %s + - COUNT 1", r.events);
    if (x && x->type == REDIS_REPLY_ARRAY && x->elements == 1)
        snprintf(last, sizeof last, "%s", x->element[0]->element[0]->str);
    else if (x && x->type == REDIS_REPLY_ARRAY)
        snprintf(last, sizeof last, "0-0");
    if (x)
        freeReplyObject(x);
    if (tag) { /* the campaign so far */
        redisReply *t = redisCommand(c, "TIME");
        long long now_ms = t && t->type == REDIS_REPLY_ARRAY && t->elements == 2
                               ? atoll(t->element[0]->str) * 1000 + atoll(t->element[1]->str) / 1000
                               : 0;
        if (t)
            freeReplyObject(t);
        char start[32];
        snprintf(start, sizeof start, "%lld", now_ms > since_ms ? now_ms - since_ms : 0);
        for (;;) {
            redisReply *p = redisCommand(c, "XRANGE %s %s %s COUNT 1000", r.events, start, last);
            if (!p || p->type != REDIS_REPLY_ARRAY)
                break;
            for (size_t i = 0; i < p->elements; i++) {
                redisReply *kv = p->element[i]->element[1];
                if (strcmp(ctl_reply_field(kv, "tag"), tag) == 0)
                    fold(&k, ctl_reply_field(kv, "job"), ctl_reply_field(kv, "state"));
            }
            size_t got = p->elements;
            if (got)
                snprintf(start, sizeof start, "(%s", p->element[got - 1]->element[0]->str);
            freeReplyObject(p);
            if (got < 1000 || strcmp(start + 1, last) == 0)
                break;
        }
        k.done_at_start = done(&k);
        progress(&k, now_s());
        fflush(stdout);
    }
    double started = now_s();
    long long lines = 0;
    while (!(until && tag && k.n && done(&k) >= total(&k))) {
        double left = tmo ? tmo - (now_s() - started) : 2.0;
        if (tmo && left <= 0) {
            if (until)
                rc = CTL_EXIT_FAIL;
            break;
        }
        long long block = (long long)((left < 2.0 ? left : 2.0) * 1000) + 1;
        x = redisCommand(c, "XREAD COUNT 100 BLOCK %lld STREAMS %s %s", block, r.events, last);
        if (!x) {
            ctl_err(cmd, "XREAD %s: %s", r.events, c->errstr);
            rc = CTL_EXIT_FAIL;
            break;
        }
        if (x->type == REDIS_REPLY_ERROR) {
            ctl_err(cmd, "XREAD %s: %s", r.events, x->str);
            freeReplyObject(x);
            rc = CTL_EXIT_FAIL;
            break;
        }
        if (x->type == REDIS_REPLY_ARRAY && x->elements == 1) {
            redisReply *ents = x->element[0]->element[1];
            for (size_t i = 0; i < ents->elements && !(max_lines && lines >= max_lines); i++) {
                redisReply *e = ents->element[i];
                snprintf(last, sizeof last, "%s", e->element[0]->str);
                if (tag && strcmp(ctl_reply_field(e->element[1], "tag"), tag) != 0)
                    continue;
                ctl_event_line(stdout, e->element[0]->str, e->element[1]);
                lines++;
                if (tag) {
                    fold(&k, ctl_reply_field(e->element[1], "job"),
                         ctl_reply_field(e->element[1], "state"));
                    progress(&k, started);
                }
            }
            fflush(stdout);
        }
        freeReplyObject(x);
        if (max_lines && lines >= max_lines)
            break;
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.jobs[i].id);
    free(k.jobs);
    return ctl_redis_close(&r, c, NULL, rc);
}
