/* test_metrics.c — the metric registry: exact exposition text, bounded
 * labels, and the HTTP endpoint scraped by curl over a real socket while
 * another thread updates the registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http.h"
#include "gateway/metrics.h"

/* Two carriers: a (2 binds) serves DE and FR, b (1 bind) FR and the
 * default route; CN has a policy and no route (so it takes the default). */
static struct gw_config *conf(void)
{
    struct gw_config *c = calloc(1, sizeof *c);
    assert_non_null(c);
    strcpy(c->name, "gw \"one\"\\\nx");
    c->ncarriers = 2;
    strcpy(c->carriers[0].name, "a");
    c->carriers[0].binds = 2;
    strcpy(c->carriers[1].name, "b");
    c->carriers[1].binds = 1;
    c->nroutes = 2;
    strcpy(c->routes[0].country, "FR");
    c->routes[0].ncarriers = 2;
    c->routes[0].carriers[0] = 0;
    c->routes[0].carriers[1] = 1;
    strcpy(c->routes[1].country, "DE");
    c->routes[1].ncarriers = 1;
    c->routes[1].carriers[0] = 0;
    c->default_route.ncarriers = 1;
    c->default_route.carriers[0] = 1;
    c->npolicies = 1;
    strcpy(c->policies[0].country, "CN");
    c->policies[0].policy = GW_POLICY_LOCAL_ONLY;
    return c;
}

static char *render(const struct gw_metrics *m)
{
    char *t;
    size_t n;
    assert_int_equal(gw_metrics_render(m, &t, &n), 0);
    assert_int_equal(strlen(t), n);
    return t;
}

/* Checked by hand: every value below follows from the calls in
 * test_render_exact (0.3 s -> le 0.5, 7 s -> le 10, 1e9 s -> +Inf only). */
static const char expect_text[] =
    "# HELP otagw_info Always 1; the gateway's name from [gateway] name.\n"
    "# TYPE otagw_info gauge\n"
    "otagw_info{gateway=\"gw \\\"one\\\"\\\\\\nx\"} 1\n"
    "# HELP otagw_submits_total submit_sm PDUs sent (every segment and every attempt).\n"
    "# TYPE otagw_submits_total counter\n"
    "otagw_submits_total{carrier=\"a\",country=\"DE\"} 2\n"
    "otagw_submits_total{carrier=\"a\",country=\"FR\"} 1\n"
    "otagw_submits_total{carrier=\"b\",country=\"CN\"} 0\n"
    "otagw_submits_total{carrier=\"b\",country=\"FR\"} 0\n"
    "otagw_submits_total{carrier=\"b\",country=\"BR\"} 1\n"
    "otagw_submits_total{carrier=\"b\",country=\"other\"} 1\n"
    "otagw_submits_total{carrier=\"other\",country=\"DE\"} 0\n" /* rejected there */
    "otagw_submits_total{carrier=\"other\",country=\"FR\"} 0\n"
    "otagw_submits_total{carrier=\"other\",country=\"other\"} 0\n"
    "# HELP otagw_bind_submits_total submit_sm PDUs sent, per bind.\n"
    "# TYPE otagw_bind_submits_total counter\n"
    "otagw_bind_submits_total{carrier=\"a\",bind=\"0\"} 1\n"
    "otagw_bind_submits_total{carrier=\"a\",bind=\"1\"} 2\n"
    "otagw_bind_submits_total{carrier=\"b\",bind=\"0\"} 2\n"
    "# HELP otagw_submit_errors_total submit_sm_resp with a non-zero command_status (SMPP 3.4 "
    "5.1.3).\n"
    "# TYPE otagw_submit_errors_total counter\n"
    "otagw_submit_errors_total{carrier=\"a\",status=\"0x00000058\",name=\"ESME_RTHROTTLED\"} 2\n"
    "otagw_submit_errors_total{carrier=\"b\",status=\"other\",name=\"other\"} 1\n"
    "# HELP otagw_throttles_total Submits held back: ESME_RTHROTTLED from the SMSC or our own "
    "TPS/window limit.\n"
    "# TYPE otagw_throttles_total counter\n"
    "otagw_throttles_total{carrier=\"a\",bind=\"0\"} 0\n"
    "otagw_throttles_total{carrier=\"a\",bind=\"1\"} 1\n"
    "otagw_throttles_total{carrier=\"b\",bind=\"0\"} 0\n"
    "# HELP otagw_reconnects_total Bind (re)connection attempts.\n"
    "# TYPE otagw_reconnects_total counter\n"
    "otagw_reconnects_total{carrier=\"a\",bind=\"0\"} 0\n"
    "otagw_reconnects_total{carrier=\"a\",bind=\"1\"} 0\n"
    "otagw_reconnects_total{carrier=\"b\",bind=\"0\"} 1\n"
    "# HELP otagw_receipts_total Delivery receipts by stat (SMPP 3.4 Appendix B).\n"
    "# TYPE otagw_receipts_total counter\n"
    "otagw_receipts_total{carrier=\"a\",country=\"DE\",stat=\"DELIVRD\"} 1\n"
    "otagw_receipts_total{carrier=\"a\",country=\"DE\",stat=\"UNDELIV\"} 1\n"
    "otagw_receipts_total{carrier=\"b\",country=\"BR\",stat=\"other\"} 1\n"
    "# HELP otagw_por_total Proofs of Receipt by response status code (TS 102 225 5.1.2).\n"
    "# TYPE otagw_por_total counter\n"
    "otagw_por_total{carrier=\"a\",country=\"DE\",status=\"0x00\"} 1\n"
    "otagw_por_total{carrier=\"a\",country=\"DE\",status=\"0x02\"} 1\n"
    "otagw_por_total{carrier=\"a\",country=\"DE\",status=\"other\"} 1\n"
    "# HELP otagw_por_unverified_total Response packets no keyset opened or verified (RC/CC, TS "
    "102 225 5.2): never trusted, no job changed.\n"
    "# TYPE otagw_por_unverified_total counter\n"
    "otagw_por_unverified_total{carrier=\"b\",country=\"BR\"} 2\n"
    "# HELP otagw_jobs_total Jobs by final state.\n"
    "# TYPE otagw_jobs_total counter\n"
    "otagw_jobs_total{carrier=\"a\",country=\"DE\",state=\"confirmed\"} 1\n"
    "otagw_jobs_total{carrier=\"a\",country=\"DE\",state=\"failed\"} 1\n"
    "otagw_jobs_total{carrier=\"other\",country=\"DE\",state=\"rejected\"} 3\n"
    "otagw_jobs_total{carrier=\"other\",country=\"FR\",state=\"rejected\"} 1\n"
    "otagw_jobs_total{carrier=\"other\",country=\"other\",state=\"rejected\"} 2\n"
    "# HELP otagw_jobs_rejected_total Jobs rejected, by stage (intake: the entry refused on "
    "arrival; prepare: a valid job this gateway cannot send) and reason (the job's field, or the "
    "daemon's step).\n"
    "# TYPE otagw_jobs_rejected_total counter\n"
    "otagw_jobs_rejected_total{stage=\"intake\",reason=\"msisdn\",country=\"DE\"} 2\n"
    "otagw_jobs_rejected_total{stage=\"intake\",reason=\"msisdn\",country=\"other\"} 1\n"
    "otagw_jobs_rejected_total{stage=\"intake\",reason=\"other\",country=\"DE\"} 1\n"
    "otagw_jobs_rejected_total{stage=\"prepare\",reason=\"keyset\",country=\"FR\"} 1\n"
    "otagw_jobs_rejected_total{stage=\"prepare\",reason=\"route\",country=\"other\"} 1\n"
    "# HELP otagw_jobs_duplicate_total Entries whose job id was already accepted from another "
    "entry: acknowledged, the job untouched.\n"
    "# TYPE otagw_jobs_duplicate_total counter\n"
    "otagw_jobs_duplicate_total 3\n"
    "# HELP otagw_enqueue_to_submit_seconds Time from a job's intake (state received) to its first "
    "submit_sm.\n"
    "# TYPE otagw_enqueue_to_submit_seconds histogram\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"0.05\"} 0\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"0.1\"} 0\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"0.25\"} 0\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"0.5\"} 1\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"1\"} 1\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"2.5\"} 1\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"5\"} 1\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"10\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"30\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"60\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"120\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"300\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"900\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"1800\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"3600\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"14400\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"86400\"} 2\n"
    "otagw_enqueue_to_submit_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"+Inf\"} 3\n"
    "otagw_enqueue_to_submit_seconds_sum{carrier=\"a\",country=\"DE\"} 1000000007.300000\n"
    "otagw_enqueue_to_submit_seconds_count{carrier=\"a\",country=\"DE\"} 3\n"
    "# HELP otagw_submit_to_receipt_seconds Time from submit_sm to the SMSC's delivery receipt.\n"
    "# TYPE otagw_submit_to_receipt_seconds histogram\n"
    "# HELP otagw_receipt_to_por_seconds Time from the delivery receipt to the SIM's Proof of "
    "Receipt.\n"
    "# TYPE otagw_receipt_to_por_seconds histogram\n"
    "# HELP otagw_enqueue_to_final_seconds Time from a job's intake to its final state.\n"
    "# TYPE otagw_enqueue_to_final_seconds histogram\n"
    "# HELP otagw_window_in_use submit_sm awaiting their response, per bind.\n"
    "# TYPE otagw_window_in_use gauge\n"
    "otagw_window_in_use{carrier=\"a\",bind=\"0\"} 3\n"
    "otagw_window_in_use{carrier=\"a\",bind=\"1\"} 0\n"
    "otagw_window_in_use{carrier=\"b\",bind=\"0\"} 0\n"
    "# HELP otagw_bind_up 1 when the bind is bound, else 0.\n"
    "# TYPE otagw_bind_up gauge\n"
    "otagw_bind_up{carrier=\"a\",bind=\"0\"} 1\n"
    "otagw_bind_up{carrier=\"a\",bind=\"1\"} 1\n"
    "otagw_bind_up{carrier=\"b\",bind=\"0\"} 0\n"
    "# HELP otagw_binds_up Binds bound, per carrier.\n"
    "# TYPE otagw_binds_up gauge\n"
    "otagw_binds_up{carrier=\"a\"} 2\n"
    "otagw_binds_up{carrier=\"b\"} 0\n"
    "# HELP otagw_queue_depth Jobs waiting on the jobs stream for this group.\n"
    "# TYPE otagw_queue_depth gauge\n"
    "otagw_queue_depth 42\n"
    "# HELP otagw_jobs_in_flight Jobs taken by this instance and not final yet.\n"
    "# TYPE otagw_jobs_in_flight gauge\n"
    "otagw_jobs_in_flight 5\n";

static void test_render_exact(void **state)
{
    (void)state;
    struct gw_config *c = conf();
    struct gw_metrics *m = gw_metrics_new(c);
    assert_non_null(m);
    unsigned a = gw_metrics_carrier_id(m, "a"), b = gw_metrics_carrier_id(m, "b");
    unsigned de = gw_metrics_country_id(m, "DE"), fr = gw_metrics_country_id(m, "FR");
    unsigned br = gw_metrics_country_id(m, "BR"); /* learnt */
    unsigned other = gw_metrics_country_id(m, "xx");
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);

    gw_metrics_submit(m, a, 0, de);
    gw_metrics_submit(m, a, 1, de);
    gw_metrics_submit(m, a, 1, fr);
    gw_metrics_submit(m, b, 0, br);
    gw_metrics_submit(m, b, 0, other);
    gw_metrics_submit_error(m, a, 0x58);
    gw_metrics_submit_error(m, a, 0x58);
    gw_metrics_submit_error(m, b, 0x1234); /* not in SMPP 3.4: other */
    gw_metrics_throttle(m, a, 1);
    gw_metrics_reconnect(m, b, 0);
    gw_metrics_reconnect(m, b, 7); /* no such bind: dropped */
    gw_metrics_receipt(m, a, de, gw_metrics_receipt_stat("DELIVRD"));
    gw_metrics_receipt(m, a, de, gw_metrics_receipt_stat("UNDELIV"));
    gw_metrics_receipt(m, b, br, gw_metrics_receipt_stat("weird"));
    gw_metrics_por(m, a, de, 0x00);
    gw_metrics_por(m, a, de, 0x02);
    gw_metrics_por(m, a, de, 0x42);
    gw_metrics_por_unverified(m, b, br);
    gw_metrics_por_unverified(m, b, br);
    gw_metrics_job_final(m, a, de, GW_FINAL_CONFIRMED);
    gw_metrics_job_final(m, a, de, GW_FINAL_FAILED);
    /* Rejections: each also counts in otagw_jobs_total (carrier other). */
    unsigned msisdn = gw_metrics_reason_id(m, "msisdn"), keyset = gw_metrics_reason_id(m, "keyset");
    unsigned route = gw_metrics_reason_id(m, "route");
    gw_metrics_job_rejected(m, GW_REJECT_PREPARE, route, other);
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, msisdn, de);
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, msisdn, de);
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, msisdn, other);
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, gw_metrics_reason_id(m, "Bad text"), de);
    gw_metrics_job_rejected(m, GW_REJECT_PREPARE, keyset, fr);
    gw_metrics_job_rejected(m, GW_REJECT_N, keyset, fr); /* no such stage: dropped */
    for (int i = 0; i < 3; i++)
        gw_metrics_job_duplicate(m);
    gw_metrics_observe(m, GW_STAGE_ENQUEUE_SUBMIT, a, de, 0.3);
    gw_metrics_observe(m, GW_STAGE_ENQUEUE_SUBMIT, a, de, 7);
    gw_metrics_observe(m, GW_STAGE_ENQUEUE_SUBMIT, a, de, 1e9); /* +Inf only */
    gw_metrics_set_window(m, a, 0, 3);
    gw_metrics_set_bind_up(m, a, 0, 1);
    gw_metrics_set_bind_up(m, a, 1, 1);
    gw_metrics_set_bind_up(m, b, 0, 0);
    gw_metrics_set_queue_depth(m, 42);
    gw_metrics_set_inflight(m, 5);

    char *t = render(m);
    if (getenv("DUMP"))
        fputs(t, stdout);
    assert_string_equal(t, expect_text);
    free(t);
    gw_metrics_free(m);
    free(c);
}

static void test_labels_bounded(void **state)
{
    (void)state;
    struct gw_config *c = conf();
    struct gw_metrics *m = gw_metrics_new(c);
    assert_non_null(m);
    unsigned other_carrier = gw_metrics_carrier_id(m, "zz");
    assert_int_equal(other_carrier, 2);
    assert_int_equal(gw_metrics_carrier_id(m, NULL), other_carrier);
    /* Configured countries are sorted: CN, DE, FR. */
    assert_int_equal(gw_metrics_country_id(m, "CN"), 0);
    assert_int_equal(gw_metrics_country_id(m, "DE"), 1);
    assert_int_equal(gw_metrics_country_id(m, "FR"), 2);
    unsigned other = gw_metrics_country_id(m, NULL);
    assert_int_equal(gw_metrics_country_id(m, ""), other);
    assert_int_equal(gw_metrics_country_id(m, "de"), other);  /* not upper case */
    assert_int_equal(gw_metrics_country_id(m, "DEU"), other); /* not alpha-2 */
    assert_int_equal(gw_metrics_country_id(m, "D\"E"), other);
    /* Learning stops at the bound; a known code keeps its id. */
    unsigned learnt = 0;
    for (char x = 'A'; x <= 'Z'; x++)
        for (char y = 'A'; y <= 'Z'; y++) {
            char cc[3] = {x, y, 0};
            if (gw_metrics_country_id(m, cc) != other)
                learnt++;
        }
    assert_int_equal(learnt, 3 + GW_METRICS_EXTRA_COUNTRIES);
    assert_int_equal(gw_metrics_country_id(m, "FR"), 2);
    /* Ids out of range are "other", never out of bounds. */
    gw_metrics_submit(m, 999, 999, 999);
    gw_metrics_observe(m, GW_STAGE_N, 0, 0, 1);
    gw_metrics_observe(m, GW_STAGE_RECEIPT_POR, 999, 999, -5);
    gw_metrics_job_final(m, 0, 0, GW_FINAL_N);
    char *t = render(m);
    assert_non_null(strstr(t, "otagw_submits_total{carrier=\"other\",country=\"other\"} 1\n"));
    assert_non_null(strstr(t, "otagw_receipt_to_por_seconds_bucket{carrier=\"other\",country="
                              "\"other\",le=\"0.05\"} 1\n"));
    assert_null(strstr(t, "otagw_jobs_total"
                          "{"));
    assert_null(strstr(t, "otagw_jobs_rejected_total{"));
    assert_non_null(strstr(t, "\notagw_jobs_duplicate_total 0\n")); /* shown from the start */
    free(t);

    /* Reasons: [a-z0-9_], 1..GW_METRICS_REASON_MAX; "other" is the other id
     * and takes no slot; learning stops at the bound. */
    unsigned oreason = gw_metrics_reason_id(m, NULL);
    assert_int_equal(oreason, GW_METRICS_REASONS);
    assert_int_equal(gw_metrics_reason_id(m, ""), oreason);
    assert_int_equal(gw_metrics_reason_id(m, "other"), oreason);
    assert_int_equal(gw_metrics_reason_id(m, "Msisdn"), oreason);
    assert_int_equal(gw_metrics_reason_id(m, "msisdn: must be E.164"), oreason);
    assert_int_equal(gw_metrics_reason_id(m, "a\"b"), oreason);
    assert_int_equal(gw_metrics_reason_id(m, "abcdefghijklmnopqrstuvwx"), oreason); /* 24 */
    assert_int_equal(gw_metrics_reason_id(m, "abcdefghijklmnopqrstuvw"), 0);        /* 23 */
    assert_int_equal(gw_metrics_reason_id(m, "msisdn"), 1);
    assert_int_equal(gw_metrics_reason_id(m, "msisdn"), 1);
    unsigned got = 0;
    for (int i = 0; i < 100; i++) {
        char r[16];
        snprintf(r, sizeof r, "r%d", i);
        if (gw_metrics_reason_id(m, r) != oreason)
            got++;
    }
    assert_int_equal(got, GW_METRICS_REASONS - 2);
    assert_int_equal(gw_metrics_reason_id(m, "msisdn"), 1);
    assert_int_equal(gw_metrics_reason_id(m, "r37"), GW_METRICS_REASONS - 1); /* the last slot */
    assert_int_equal(gw_metrics_reason_id(m, "r38"), oreason);
    gw_metrics_job_rejected(m, GW_REJECT_PREPARE, gw_metrics_reason_id(m, "r37"), 0);
    /* Out-of-range ids are "other", never out of bounds. */
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, 999, 999);
    gw_metrics_job_rejected(m, GW_REJECT_INTAKE, oreason, 999);
    t = render(m);
    assert_non_null(strstr(
        t, "otagw_jobs_rejected_total{stage=\"intake\",reason=\"other\",country=\"other\"} 2\n"));
    assert_non_null(
        strstr(t, "otagw_jobs_total{carrier=\"other\",country=\"other\",state=\"rejected\"} 2\n"));
    assert_non_null(strstr(
        t, "otagw_jobs_rejected_total{stage=\"prepare\",reason=\"r37\",country=\"CN\"} 1\n"));
    assert_non_null(strstr(t, "# TYPE otagw_jobs_rejected_total counter\n"));
    free(t);
    assert_int_equal(gw_metrics_receipt_stat("ENROUTE"), GW_RCPT_ENROUTE);
    assert_int_equal(gw_metrics_receipt_stat(NULL), GW_RCPT_OTHER);
    gw_metrics_free(m);
    gw_metrics_free(NULL);
    free(c);
}

/* --- HTTP: curl against a real socket while a writer thread runs -------- */

struct writer {
    struct gw_metrics *m;
    atomic_int stop;
    uint64_t done;
};

static void *write_loop(void *arg)
{
    struct writer *w = arg;
    while (!atomic_load(&w->stop)) {
        for (int i = 0; i < 1000; i++) {
            gw_metrics_submit(w->m, 0, 0, 1);
            gw_metrics_observe(w->m, GW_STAGE_SUBMIT_RECEIPT, 0, 1, (double)(i % 50));
        }
        w->done += 1000;
    }
    return NULL;
}

static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            s = realloc(s, cap);
            assert_non_null(s);
        }
    }
    s[n] = 0;
    assert_int_equal(pclose(f), 0);
    return s;
}

static uint64_t value_of(const char *text, const char *series)
{
    const char *p = strstr(text, series);
    assert_non_null(p);
    return strtoull(p + strlen(series), NULL, 10);
}

static void test_http_scrape(void **state)
{
    (void)state;
    struct gw_config *c = conf();
    struct gw_metrics *m = gw_metrics_new(c);
    assert_non_null(m);
    struct gw_http *h;
    assert_int_equal(gw_http_start(m, "127.0.0.1", 0, &h), 0);
    unsigned port = gw_http_port(h);
    assert_true(port > 0);

    /* The same port twice is a clear error. */
    struct gw_http *h2;
    assert_int_equal(gw_http_start(m, "127.0.0.1", port, &h2), -EADDRINUSE);
    assert_int_equal(gw_http_start(m, "not-an-address", 0, &h2), -EINVAL);

    struct writer w = {.m = m};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_loop, &w), 0);

    char cmd[256];
    snprintf(cmd, sizeof cmd, "curl -sS --max-time 5 http://127.0.0.1:%u/metrics", port);
    uint64_t last = 0;
    const char *sub = "otagw_submits_total{carrier=\"a\",country=\"DE\"} ";
    const char *inf =
        "otagw_submit_to_receipt_seconds_bucket{carrier=\"a\",country=\"DE\",le=\"+Inf\"} ";
    const char *cnt = "otagw_submit_to_receipt_seconds_count{carrier=\"a\",country=\"DE\"} ";
    for (int i = 0; i < 8; i++) {
        char *text = run(cmd);
        uint64_t v = value_of(text, sub);
        assert_true(v >= last); /* a counter never goes back */
        last = v;
        if (i > 0)
            assert_true(v > 0);
        /* Consistent histogram even mid-update: +Inf bucket == _count. */
        if (strstr(text, inf))
            assert_int_equal(value_of(text, inf), value_of(text, cnt));
        free(text);
    }
    atomic_store(&w.stop, 1);
    pthread_join(t, NULL);

    /* Quiet now: the scrape shows exactly what was written. */
    char *text = run(cmd);
    assert_int_equal(value_of(text, sub), w.done);
    assert_int_equal(value_of(text, cnt), w.done);
    free(text);

    /* Headers, other paths, other methods. */
    snprintf(cmd, sizeof cmd,
             "curl -sS -o /dev/null -D - --max-time 5 http://127.0.0.1:%u/metrics | tr -d '\\r'",
             port);
    text = run(cmd);
    assert_non_null(strstr(text, "HTTP/1.1 200"));
    assert_non_null(strstr(text, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    free(text);
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' --max-time 5 http://127.0.0.1:%u/x", port);
    text = run(cmd);
    assert_string_equal(text, "404");
    free(text);
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' -X POST -d x=1 --max-time 5 "
             "http://127.0.0.1:%u/metrics",
             port);
    text = run(cmd);
    assert_string_equal(text, "405");
    free(text);

    gw_http_stop(h);
    gw_http_stop(NULL);
    /* Stopped means closed: nothing listens there any more. */
    snprintf(cmd, sizeof cmd,
             "curl -s -o /dev/null -w '%%{http_code}' --max-time 2 http://127.0.0.1:%u/metrics "
             "|| true",
             port);
    text = run(cmd);
    assert_string_equal(text, "000");
    free(text);
    gw_metrics_free(m);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_labels_bounded),
        cmocka_unit_test(test_http_scrape),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
