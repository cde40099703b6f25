/* test_report.c — the report engine: folding events into jobs, groups,
 * shares, failure mix and exact nearest-rank percentiles. (Reading Redis is
 * covered by tests/integration/report.sh against a real redis-server.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/report.h"

static void ev(struct jobq_report *r, const char *job, const char *state, const char *detail,
               const char *carrier, const char *country, int64_t ts)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", (long long)ts);
    assert_int_equal(jobq_report_add(r, job, state, detail, carrier, country, t, 0), 0);
}

/* A job that goes all the way, with the given stage latencies (ms). */
static void happy(struct jobq_report *r, const char *job, const char *carrier, const char *country,
                  int64_t t0, int64_t sub, int64_t dlr, int64_t por)
{
    ev(r, job, "received", "", "", country, t0);
    ev(r, job, "submitted", "", carrier, country, t0 + sub);
    ev(r, job, "delivered", "", carrier, country, t0 + sub + dlr);
    ev(r, job, "confirmed", "", carrier, country, t0 + sub + dlr + por);
}

static void test_percentiles_nearest_rank(void **state)
{
    (void)state;
    struct jobq_report *r = jobq_report_new();
    assert_non_null(r);
    /* 20 jobs in DE, submit latency 1..20 s (given out of order). */
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "j%d", i);
        int v = (i * 7) % 20 + 1;
        happy(r, id, "a", "DE", 1000000 + i, v * 1000, 500, 100);
    }
    struct jobq_summary *s;
    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_COUNTRY, &s), 0);
    assert_int_equal(s->ngroups, 1);
    const struct jobq_latency *l = &s->groups[0].lat[JOBQ_STAGE_SUBMIT];
    assert_int_equal(l->n, 20);
    assert_int_equal(l->p50, 10000); /* rank ceil(0.5*20) = 10 */
    assert_int_equal(l->p95, 19000); /* rank 19 */
    assert_int_equal(l->p99, 20000); /* rank ceil(19.8) = 20 */
    assert_int_equal(l->max, 20000);
    for (size_t i = 1; i < l->n; i++)
        assert_true(l->sorted[i - 1] <= l->sorted[i]);
    l = &s->groups[0].lat[JOBQ_STAGE_TOTAL];
    assert_int_equal(l->p50, 10600);
    assert_int_equal(s->groups[0].confirmed, 20);
    assert_int_equal(s->groups[0].delivered, 20);
    assert_int_equal(s->groups[0].open, 0);
    jobq_summary_free(s);
    jobq_report_free(r);
}

static void test_groups_and_failures(void **state)
{
    (void)state;
    struct jobq_report *r = jobq_report_new();
    assert_non_null(r);
    happy(r, "1", "a", "DE", 0, 100, 1000, 5000);
    happy(r, "2", "b", "FR", 0, 200, 2000, 6000);
    /* Receipt UNDELIV: failed after submitted. */
    ev(r, "3", "received", "", "", "FR", 0);
    ev(r, "3", "submitted", "", "b", "FR", 300);
    ev(r, "3", "failed", "receipt UNDELIV err 001", "b", "FR", 9300);
    /* Same reason, different job value in quotes: one reason. */
    ev(r, "4", "rejected", "msisdn: must be E.164 digits (5..15), got '12ab'", "", "", 10);
    ev(r, "5", "rejected", "msisdn: must be E.164 digits (5..15), got '99'", "", "", 10);
    /* Delivered, PoR never came. */
    ev(r, "6", "received", "", "", "DE", 0);
    ev(r, "6", "submitted", "", "a", "DE", 50);
    ev(r, "6", "delivered", "", "a", "DE", 550);
    ev(r, "6", "expired", "no PoR before deadline", "a", "DE", 86400000);
    /* Still in flight. */
    ev(r, "7", "received", "", "", "DE", 0);
    /* Malformed events are skipped, not fatal. */
    assert_int_equal(jobq_report_add(r, NULL, "received", NULL, NULL, NULL, "1", 0), 0);
    assert_int_equal(jobq_report_add(r, "8", "bogus", NULL, NULL, NULL, "1", 0), 0);
    assert_int_equal(jobq_report_add(r, "9", NULL, NULL, NULL, NULL, "1", 0), 0);
    assert_int_equal(jobq_report_skipped(r), 3);
    /* ts missing: the stream id's ms are used. */
    assert_int_equal(jobq_report_add(r, "7", "submitted", NULL, "a", "DE", "x", 40), 0);

    struct jobq_summary *s;
    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_COUNTRY, &s), 0);
    assert_int_equal(s->ngroups, 3);
    assert_string_equal(s->groups[0].country, "DE");
    assert_null(s->groups[0].carrier);
    assert_string_equal(s->groups[1].country, "FR");
    assert_string_equal(s->groups[2].country, "unknown");
    const struct jobq_group *de = &s->groups[0], *fr = &s->groups[1], *un = &s->groups[2];
    assert_int_equal(de->jobs, 3);
    assert_int_equal(de->delivered, 2);
    assert_int_equal(de->confirmed, 1);
    assert_int_equal(de->expired, 1);
    assert_int_equal(de->open, 1);
    assert_int_equal(de->open_delivered, 0); /* 6 delivered but expired; 7 not delivered */
    assert_int_equal(de->lat[JOBQ_STAGE_SUBMIT].n, 3); /* 1, 6, and 7 (40 ms) */
    assert_int_equal(de->lat[JOBQ_STAGE_SUBMIT].p50, 50);
    assert_int_equal(de->lat[JOBQ_STAGE_TOTAL].n, 2);
    assert_int_equal(de->lat[JOBQ_STAGE_TOTAL].max, 86400000);
    assert_int_equal(de->nreasons, 1);
    assert_string_equal(de->reasons[0].text, "expired: no PoR before deadline");
    assert_int_equal(fr->jobs, 2);
    assert_int_equal(fr->failed, 1);
    assert_string_equal(fr->reasons[0].text, "failed: receipt UNDELIV err 001");
    assert_int_equal(un->jobs, 2);
    assert_int_equal(un->rejected, 2);
    assert_int_equal(un->nreasons, 1);
    assert_string_equal(un->reasons[0].text, "rejected: msisdn: must be E.164 digits");
    assert_int_equal(un->reasons[0].jobs, 2);
    assert_int_equal(s->total.jobs, 7);
    assert_int_equal(s->total.nreasons, 3);
    assert_int_equal(s->total.reasons[0].jobs, 2); /* most first */
    assert_int_equal(s->first_ms, 0);
    assert_int_equal(s->last_ms, 86400000);
    jobq_summary_free(s);

    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_BOTH, &s), 0);
    assert_int_equal(s->ngroups, 3); /* DE/a, FR/b, unknown/unknown */
    assert_string_equal(s->groups[0].country, "DE");
    assert_string_equal(s->groups[0].carrier, "a");
    assert_string_equal(s->groups[1].country, "FR");
    assert_string_equal(s->groups[1].carrier, "b");
    jobq_summary_free(s);

    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_CARRIER, &s), 0);
    assert_int_equal(s->ngroups, 3);
    assert_string_equal(s->groups[0].carrier, "a");
    assert_int_equal(s->groups[0].jobs, 3);
    jobq_summary_free(s);
    jobq_report_free(r);
}

/* A PoR proves the job done: a later terminal event cannot undo it, and
 * a failed attempt retried to success ends confirmed. */
static void test_confirmed_sticks(void **state)
{
    (void)state;
    struct jobq_report *r = jobq_report_new();
    assert_non_null(r);
    happy(r, "a", "x", "DE", 0, 10, 10, 10);
    ev(r, "a", "expired", "late", "x", "DE", 100);
    ev(r, "b", "received", NULL, NULL, "DE", 0);
    ev(r, "b", "failed", "receipt UNDELIV", "x", "DE", 50);
    ev(r, "b", "submitted", NULL, "x", "DE", 60);
    ev(r, "b", "delivered", NULL, "x", "DE", 70);
    ev(r, "b", "confirmed", NULL, "x", "DE", 80);
    struct jobq_summary *s;
    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_COUNTRY, &s), 0);
    assert_int_equal(s->total.jobs, 2);
    assert_int_equal(s->total.confirmed, 2);
    assert_int_equal(s->total.expired, 0);
    assert_int_equal(s->total.failed, 0);
    assert_int_equal(s->total.nreasons, 0);
    assert_int_equal(s->total.lat[JOBQ_STAGE_TOTAL].max, 80);
    jobq_summary_free(s);
    jobq_report_free(r);
}

static void test_many_jobs_grow(void **state)
{
    (void)state;
    struct jobq_report *r = jobq_report_new();
    assert_non_null(r);
    char id[32], cc[3] = "AA";
    for (int i = 0; i < 50000; i++) {
        snprintf(id, sizeof id, "job-%d", i);
        cc[1] = (char)('A' + i % 26);
        ev(r, id, "received", NULL, NULL, cc, i);
        ev(r, id, "submitted", NULL, i % 2 ? "x" : "y", cc, i + i % 1000);
    }
    struct jobq_summary *s;
    assert_int_equal(jobq_report_summarize(r, JOBQ_BY_BOTH, &s), 0);
    assert_int_equal(s->total.jobs, 50000);
    assert_int_equal(s->ngroups, 26 * 2 / 2); /* i%26 and i%2 are tied: 26 pairs */
    /* 0..999 ms, 50 jobs each: rank 49500 is the last of the 989s. */
    assert_int_equal(s->total.lat[JOBQ_STAGE_SUBMIT].p99, 989);
    assert_int_equal(s->total.lat[JOBQ_STAGE_SUBMIT].p50, 499);
    jobq_summary_free(s);
    jobq_report_free(r);
}

static void test_duration_and_reason(void **state)
{
    (void)state;
    assert_int_equal(jobq_report_parse_duration("90s"), 90000);
    assert_int_equal(jobq_report_parse_duration("1h30m"), 5400000);
    assert_int_equal(jobq_report_parse_duration("7d"), 604800000);
    assert_int_equal(jobq_report_parse_duration("2w"), 1209600000);
    assert_int_equal(jobq_report_parse_duration(""), -1);
    assert_int_equal(jobq_report_parse_duration("h"), -1);
    assert_int_equal(jobq_report_parse_duration("5"), -1);
    assert_int_equal(jobq_report_parse_duration("5x"), -1);
    assert_int_equal(jobq_report_parse_duration("-5m"), -1);
    assert_int_equal(jobq_report_parse_duration("99999999999d"), -1);
    char b[80];
    jobq_report_reason("failed", "command_status 0x00000045 (ESME_RSUBMITFAIL)", b, sizeof b);
    assert_string_equal(b, "failed: command_status 0x00000045");
    jobq_report_reason("expired", "", b, sizeof b);
    assert_string_equal(b, "expired");
    jobq_report_reason("expired", NULL, b, sizeof b);
    assert_string_equal(b, "expired");
    jobq_report_reason("failed", "'x'", b, sizeof b);
    assert_string_equal(b, "failed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_nearest_rank), cmocka_unit_test(test_groups_and_failures),
        cmocka_unit_test(test_confirmed_sticks),         cmocka_unit_test(test_many_jobs_grow),
        cmocka_unit_test(test_duration_and_reason),
    };
    return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
