/* queue_agent.c — a stand-in daemon for the queue/ integration tests.
 *
 * Runs queue/jobq on a libev loop against the redis-server the script
 * started (REDIS_PORT, or --port) and plays the gateway's part with real
 * calls: every job handed out gets the outcome chosen on the command line,
 * optionally followed by a delivery receipt and a PoR, as the network would
 * send them. One line per event on stdout, for the scripts to check:
 *   READY key attempt counter keyset class
 *   DONE key op result          (the script's answer to an outcome call)
 *   RECEIPT key result / POR key result
 *   COUNTER n | COUNTER error
 *   LINK up|down why
 *   FINAL key state             (a job ended while not held)
 *   REFUSED key reason country  (intake_rejected; country "-" when unknown)
 *   DUPLICATE key country       (intake_duplicate)
 * Countries: 49... is DE, 44... GB, anything else none (the country
 * callback, as the daemon's E.164 table would answer).
 *
 * Usage: queue_agent [options]
 *   --check               jobq_check only: print "ok" or the error, exit 0/1
 *   --counters N ICCID KS allocate N counters, print them, exit
 *   --outcome submitted|transient|permanent|unknown|reject|hold
 *   --deliver             after submitted: receipt DELIVRD + PoR 00 9000
 *   --early-receipt       send the receipt before the submitted call
 *   --por-status N        PoR status to send with --deliver (default 0)
 *   --hold-ms N           wait before the outcome call (default 0); SIGUSR1
 *                         makes the calls for every held job at once
 *   --run-ms N            stop after N ms (default 10000)
 *   --name, --user, --password, --max-inflight, --batch, --lease-ms,
 *   --claim-idle-ms, --scan-ms, --retry-ms, --reconcile-ms, --block-ms,
 *   --max-attempts, --resync-step, --validity */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/jobq.h"

static struct jobq *q;
static struct ev_loop *loop;
static const char *outcome = "submitted";
static int deliver, early, por_status;
static unsigned hold_ms;
static unsigned counters_left;
/* One-shot calls (--move, --por): made once the link is up, then exit. */
static char **oneshot;
static const char *oneshot_kind;

struct held {
    ev_timer t; /* first: the timer's pointer is the struct's */
    struct jobq_job *job;
};

static char w_sub[] = "submitted", w_fail[] = "failed", w_unk[] = "unknown", w_rej[] = "rejected";

static void done(void *ud, int err, const char *result, const char *job)
{
    printf("DONE %s %s %s\n", job, (const char *)ud, err ? strerror(-err) : result);
}

static void receipt_done(void *ud, int err, const char *result, const char *job)
{
    (void)ud;
    printf("RECEIPT %s %s\n", job[0] ? job : "-", err ? strerror(-err) : result);
}

/* Jobs the agent holds (hold mode, --hold-ms): released before a clean exit. */
static struct held *held_jobs[8192];
static unsigned nheld;

static struct held *hold_add(struct jobq_job *j)
{
    struct held *h = calloc(1, sizeof *h);
    if (!h || nheld == sizeof held_jobs / sizeof *held_jobs)
        abort();
    h->job = j;
    held_jobs[nheld++] = h;
    return h;
}

static void hold_del(struct jobq_job *j)
{
    for (unsigned i = 0; i < nheld; i++)
        if (held_jobs[i]->job == j) {
            free(held_jobs[i]);
            held_jobs[i] = held_jobs[--nheld];
            return;
        }
}

static void late_done(void *ud, int err, const char *result, const char *job)
{
    (void)ud;
    printf("LATE %s %s\n", job[0] ? job : "-", err ? strerror(-err) : result);
}

static void por_done(void *ud, int err, const char *result, const char *job)
{
    (void)ud;
    printf("POR %s %s\n", job, err ? strerror(-err) : result);
}

static char *msgid_of(const struct jobq_job *j)
{
    char *m = malloc(96);
    snprintf(m, 96, "m%s-%u", j->key, j->attempt);
    return m;
}

static void act(struct jobq_job *j)
{
    char *m = msgid_of(j);
    const char *ids[1] = {m};
    const char *tar = j->tar[0] ? j->tar : "b00010";
    char msisdn[16];
    uint64_t cntr = j->counter;
    snprintf(msisdn, sizeof msisdn, "%s", j->msisdn);
    int rc = 0;
    hold_del(j);
    if (early)
        rc = jobq_receipt(q, "simc", m, "DELIVRD", "000", receipt_done, NULL);
    if (strcmp(outcome, "submitted") == 0)
        rc = jobq_job_submitted(q, j, "simc", "DE", tar, ids, 1, done, w_sub);
    else if (strcmp(outcome, "transient") == 0)
        rc = jobq_submit_failed(q, j, 1, "ESME_RTHROTTLED (0x58)", done, w_fail);
    else if (strcmp(outcome, "permanent") == 0)
        rc = jobq_submit_failed(q, j, 0, "ESME_RINVDSTADR (0x0B)", done, w_fail);
    else if (strcmp(outcome, "unknown") == 0)
        rc = jobq_unknown_outcome(q, j, "simc", tar, done, w_unk);
    else if (strcmp(outcome, "unknown2") == 0) {
        /* Two SMs: the first answered in time (id m), the second late (id
         * m + "b"); then both receipts (jobq_late_submitted). */
        char m2[100], key[JOBQ_ID_MAX + 1];
        snprintf(m2, sizeof m2, "%sb", m);
        snprintf(key, sizeof key, "%s", j->key);
        unsigned att = j->attempt;
        const char *two[2] = {m, ""}, *late[1] = {m2};
        rc = jobq_unknown_outcome_keys(q, j, "simc", tar, two, 1, 2, done, w_unk);
        if (!rc && deliver)
            rc = jobq_receipt(q, "simc", m, "DELIVRD", "000", receipt_done, NULL);
        if (!rc)
            rc = jobq_late_submitted(q, "simc", key, att, 2, 2, late, 1, late_done, NULL);
        if (!rc && deliver)
            rc = jobq_receipt(q, "simc", m2, "DELIVRD", "000", receipt_done, NULL);
    } else if (strcmp(outcome, "reject") == 0)
        rc = jobq_job_rejected(q, j, "keyset missing in keystore", done, w_rej);
    if (rc)
        printf("ERROR outcome %d\n", rc);
    if (deliver && strcmp(outcome, "submitted") == 0) {
        if (!early)
            (void)jobq_receipt(q, "simc", m, "DELIVRD", "000", receipt_done, NULL);
        static const uint8_t ok[] = {0x01, 0x90, 0x00};
        (void)jobq_por(q, msisdn, tar, cntr, (unsigned)por_status, ok, 3, por_done, NULL);
    }
    free(m);
}

static void on_hold(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)l, (void)revents;
    struct held *h = (struct held *)w;
    act(h->job); /* frees h */
}

static void job_ready(void *ud, struct jobq_job *j)
{
    (void)ud;
    printf("READY %s %u %" PRIu64 " %s %s\n", j->key, j->attempt, j->counter, j->keyset,
           j->card_class);
    if (strcmp(outcome, "hold") == 0) {
        hold_add(j); /* keep it until killed or stopped */
        return;
    }
    if (hold_ms) {
        struct held *h = hold_add(j);
        ev_timer_init(&h->t, on_hold, hold_ms / 1000.0, 0);
        ev_timer_start(loop, &h->t);
        return;
    }
    act(j);
}

static void job_final(void *ud, const char *key, const char *state)
{
    (void)ud;
    printf("FINAL %s %s\n", key, state);
}

static void country_cb(void *ud, const char *msisdn, char cc[3])
{
    (void)ud;
    const char *c = strncmp(msisdn, "49", 2) == 0   ? "DE"
                    : strncmp(msisdn, "44", 2) == 0 ? "GB"
                                                    : "";
    memcpy(cc, c, strlen(c) + 1);
}

static void refused_cb(void *ud, const char *key, const char *reason, const char *country)
{
    (void)ud;
    printf("REFUSED %s %s %s\n", key, reason, country[0] ? country : "-");
}

static void duplicate_cb(void *ud, const char *key, const char *country)
{
    (void)ud;
    printf("DUPLICATE %s %s\n", key, country[0] ? country : "-");
}

static void link_cb(void *ud, int up, const char *why)
{
    (void)ud;
    if (!oneshot)
        printf("LINK %s %s\n", up ? "up" : "down", why);
}

static void log_cb(void *ud, int level, const char *msg)
{
    (void)ud;
    if (oneshot && level > 4)
        return;
    fprintf(stderr, "<%d> %s\n", level, msg);
}

static void on_counter(void *ud, int err, uint64_t n)
{
    (void)ud;
    if (err)
        printf("COUNTER %s\n", err == -ENOSPC ? "BLOCKED" : strerror(-err));
    else
        printf("COUNTER %" PRIu64 "\n", n);
    if (--counters_left == 0)
        ev_break(loop, EVBREAK_ALL);
}

static void oneshot_done(void *ud, int err, const char *result, const char *job)
{
    (void)ud;
    if (strcmp(oneshot_kind, "por") == 0)
        printf("POR %s %s\n", job, err ? strerror(-err) : result);
    else
        printf("%s\n", err ? strerror(-err) : result);
    ev_break(loop, EVBREAK_ALL);
}

static void link_oneshot(void *ud, int up, const char *why)
{
    link_cb(ud, up, why);
    if (!up)
        return;
    int rc;
    if (strcmp(oneshot_kind, "move") == 0) {
        rc = jobq_move(q, oneshot[0], oneshot[1], oneshot[2], oneshot_done, NULL);
    } else {
        static const uint8_t ok[] = {0x01, 0x90, 0x00};
        rc = jobq_por(q, oneshot[0], oneshot[1], strtoull(oneshot[2], NULL, 10),
                      (unsigned)atoi(oneshot[3]), ok, 3, oneshot_done, NULL);
    }
    if (rc) {
        printf("EINVAL\n");
        ev_break(loop, EVBREAK_ALL);
    }
}

static const char *cnt_iccid, *cnt_ks;
static unsigned cnt_n;

static void link_counters(void *ud, int up, const char *why)
{
    link_cb(ud, up, why);
    if (!up)
        return;
    counters_left = cnt_n;
    for (unsigned i = 0; i < cnt_n; i++)
        (void)jobq_counter_alloc(q, cnt_iccid, cnt_ks, on_counter, NULL);
}

static void on_stop(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

/* SIGUSR1: the held jobs' outcome calls now (tests time them to Redis being down). */
static void on_usr1(struct ev_loop *l, ev_signal *w, int revents)
{
    (void)l, (void)w, (void)revents;
    while (nheld) {
        struct held *h = held_jobs[nheld - 1];
        ev_timer_stop(loop, &h->t);
        act(h->job); /* frees h, shrinks the list */
    }
}

static void on_sig(struct ev_loop *l, ev_signal *w, int revents)
{
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
    struct jobq_settings s = {0};
    char name[128];
    const char *gw = "agent";
    unsigned run_ms = 10000;
    int check = 0;
    const char *port = getenv("REDIS_PORT");
    s.port = port ? (unsigned)atoi(port) : 6379;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : "";
#define OPT(n) (strcmp(a, n) == 0 && (i++, 1))
        if (strcmp(a, "--check") == 0)
            check = 1;
        else if (strcmp(a, "--deliver") == 0)
            deliver = 1;
        else if (strcmp(a, "--early-receipt") == 0)
            early = 1;
        else if (strcmp(a, "--move") == 0 && i + 3 < argc)
            oneshot_kind = "move", oneshot = argv + i + 1, i += 3;
        else if (strcmp(a, "--por") == 0 && i + 4 < argc)
            oneshot_kind = "por", oneshot = argv + i + 1, i += 4;
        else if (strcmp(a, "--counters") == 0 && i + 3 < argc)
            cnt_n = (unsigned)atoi(argv[i + 1]), cnt_iccid = argv[i + 2], cnt_ks = argv[i + 3],
            i += 3;
        else if (OPT("--outcome"))
            outcome = v;
        else if (OPT("--por-status"))
            por_status = atoi(v);
        else if (OPT("--hold-ms"))
            hold_ms = (unsigned)atoi(v);
        else if (OPT("--run-ms"))
            run_ms = (unsigned)atoi(v);
        else if (OPT("--port"))
            s.port = (unsigned)atoi(v);
        else if (OPT("--name"))
            gw = v;
        else if (OPT("--user"))
            s.user = v;
        else if (OPT("--password"))
            s.password = v;
        else if (OPT("--max-inflight"))
            s.max_inflight = (unsigned)atoi(v);
        else if (OPT("--batch"))
            s.batch = (unsigned)atoi(v);
        else if (OPT("--lease-ms"))
            s.lease_ms = (unsigned)atoi(v);
        else if (OPT("--claim-idle-ms"))
            s.claim_idle_ms = (unsigned)atoi(v);
        else if (OPT("--scan-ms"))
            s.scan_ms = (unsigned)atoi(v);
        else if (OPT("--retry-ms"))
            s.retry_base_ms = (unsigned)atoi(v);
        else if (OPT("--reconcile-ms"))
            s.reconcile_ms = (unsigned)atoi(v);
        else if (OPT("--block-ms"))
            s.block_ms = (unsigned)atoi(v);
        else if (OPT("--max-attempts"))
            s.max_attempts = (unsigned)atoi(v);
        else if (OPT("--resync-step"))
            s.resync_step = (uint64_t)atoll(v);
        else if (OPT("--validity"))
            s.default_validity = (unsigned)atoi(v);
        else if (OPT("--events-maxlen"))
            s.events_maxlen = (unsigned)atoi(v);
        else {
            fprintf(stderr, "queue_agent: unknown option %s\n", a);
            return 2;
        }
#undef OPT
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    jobq_consumer_name(gw, name, sizeof name);
    s.consumer = name;
    s.reconnect_max_ms = 500;
    if (check) {
        char err[512];
        if (jobq_check(&s, err, sizeof err) != 0) {
            printf("%s\n", err);
            return 1;
        }
        printf("ok\n");
        return 0;
    }
    loop = EV_DEFAULT;
    struct jobq_callbacks cb = {
        job_ready,   job_final,  cnt_n ? link_counters : oneshot ? link_oneshot : link_cb,
        log_cb,      country_cb, refused_cb,
        duplicate_cb};
    q = jobq_new(loop, &s, &cb, NULL);
    if (!q) {
        fprintf(stderr, "jobq_new failed\n");
        return 1;
    }
    if (cnt_n || oneshot)
        jobq_pause(q, 1); /* take no jobs */
    ev_timer stop;
    ev_timer_init(&stop, on_stop, run_ms / 1000.0, 0);
    ev_timer_start(loop, &stop);
    ev_signal sig;
    ev_signal_init(&sig, on_sig, SIGTERM);
    ev_signal_start(loop, &sig);
    ev_signal usr1;
    ev_signal_init(&usr1, on_usr1, SIGUSR1);
    ev_signal_start(loop, &usr1);
    ev_run(loop, 0);
    if (!oneshot)
        printf("INFLIGHT %u\n", jobq_inflight(q));
    /* Clean stop: held jobs go back (lease released), then a moment for the
     * replies. Pending --hold-ms timers are simply dropped with their jobs.
     * Paused first, as the daemon's drain is: a released entry is claimable
     * at once, by this instance's own scan too. */
    jobq_pause(q, 1);
    while (nheld) {
        struct held *h = held_jobs[--nheld];
        ev_timer_stop(loop, &h->t);
        jobq_job_release(q, h->job);
        free(h);
    }
    ev_timer_stop(loop, &stop); /* still running after a SIGTERM */
    ev_timer_set(&stop, 0.2, 0);
    ev_timer_start(loop, &stop);
    ev_run(loop, 0);
    jobq_free(q);
    return 0;
}
