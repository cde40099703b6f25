/* porlookup_agent.c — drives queue/porlookup against a real redis-server
 * for tests/integration/porlookup_find.sh.
 *
 * Usage: porlookup_agent --port N [--prefix P] [--class C] CMD... where each
 * CMD is one argument, run in order once the connection is up:
 *   note:MSISDN:TAR:KEYSET:CNTR:TTL_MS   jobq_porlookup_note
 *   find:MSISDN:TAR                      jobq_porlookup_find
 *   job:MSISDN:TAR:CNTR                  jobq_porlookup_find_job
 * Output, one line per candidate, then one per command:
 *   CAND keyset=K cntr=N job=ID|- attempt=A counter=C class=CL type=T
 *        method=M file=F value=V readback=R tar=T action=A aid=A
 *   DONE find|job n=N | ERR CMD errno-text
 * Exit 0 when every command ran, 1 otherwise (not connected within 3 s). */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/porlookup.h"

static struct ev_loop *loop;
static struct jobq_porlookup *pl;
static char **cmds;
static int ncmds, next_cmd, failed;
static ev_timer poll_w, give_up;
static char w_find[] = "find", w_job[] = "job";

static void run_next(void);

static void on_found(void *cbud, int err, const struct jobq_por_candidate *c, unsigned n)
{
    const char *what = cbud;
    if (err) {
        printf("ERR %s %s\n", what, strerror(-err));
        failed = 1;
    }
    for (unsigned i = 0; i < n; i++) {
        const struct jobq_job *j = c[i].job;
        printf("CAND keyset=%s cntr=%llu job=%s", c[i].keyset[0] ? c[i].keyset : "-",
               (unsigned long long)c[i].cntr, j ? j->key : "-");
        if (j)
            printf(" attempt=%u counter=%llu class=%s type=%s method=%d file=%s value=%s "
                   "readback=%d tar=%s action=%s aid=%s",
                   j->attempt, (unsigned long long)j->counter, j->card_class,
                   jobq_type_name(j->type), (int)j->method, j->file[0] ? j->file : "-",
                   j->value[0] ? j->value : "-", j->readback, j->tar[0] ? j->tar : "-",
                   j->action ? jobq_action_name(j->action) : "-", j->aid[0] ? j->aid : "-");
        printf("\n");
    }
    printf("DONE %s n=%u\n", what, n);
    fflush(stdout);
    run_next();
}

static void run_next(void)
{
    while (next_cmd < ncmds) {
        char *c = cmds[next_cmd++];
        char *f[6] = {0};
        int nf = 0;
        for (char *p = c, *s; nf < 6 && (s = strsep(&p, ":")) != NULL;)
            f[nf++] = s;
        int rc;
        if (!strcmp(f[0], "note") && nf == 6) {
            rc = jobq_porlookup_note(pl, f[1], f[2], f[3], strtoull(f[4], NULL, 10),
                                     strtoull(f[5], NULL, 10));
            printf(rc ? "ERR note %s\n" : "DONE note%.0s\n", strerror(-rc));
            failed |= rc != 0;
            continue;
        }
        if (!strcmp(f[0], "find") && nf == 3)
            rc = jobq_porlookup_find(pl, f[1], f[2], on_found, w_find);
        else if (!strcmp(f[0], "job") && nf == 4)
            rc = jobq_porlookup_find_job(pl, f[1], f[2], strtoull(f[3], NULL, 10), on_found, w_job);
        else
            rc = -EINVAL;
        if (rc == 0)
            return; /* on_found runs the next one */
        printf("ERR %s %s\n", f[0], strerror(-rc));
        failed = 1;
    }
    fflush(stdout);
    ev_break(loop, EVBREAK_ALL);
}

static void on_poll(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)revents;
    if (!jobq_porlookup_is_up(pl))
        return;
    ev_timer_stop(l, w);
    ev_timer_stop(l, &give_up);
    run_next();
}

static void on_give_up(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    printf("ERR connect timed out\n");
    failed = 1;
    ev_break(l, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    struct jobq_settings s = {0};
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (!strcmp(argv[i], "--port"))
            s.port = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--prefix"))
            s.prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--class"))
            s.default_class = argv[i + 1];
        else
            return fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    cmds = argv + i;
    ncmds = argc - i;
    loop = EV_DEFAULT;
    pl = jobq_porlookup_new(loop, &s);
    if (!pl)
        return fprintf(stderr, "jobq_porlookup_new failed\n"), 2;
    ev_timer_init(&poll_w, on_poll, 0.01, 0.01);
    ev_timer_start(loop, &poll_w);
    ev_timer_init(&give_up, on_give_up, 3.0, 0);
    ev_timer_start(loop, &give_up);
    ev_run(loop, 0);
    jobq_porlookup_free(pl);
    return failed;
}
