/* fuzz_report.c — the report engine's inputs are stream entries anyone with
 * Redis access can write: each line of the input is one event, its fields
 * split by '|' (job|state|detail|carrier|country|ts); the last line is also
 * tried as a --since duration. Contract: never crash, never leak, every
 * summary consistent (counts add up, percentiles ordered). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct jobq_summary *s)
{
    uint64_t jobs = 0;
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct jobq_group *g = &s->groups[i];
        jobs += g->jobs;
        if (g->confirmed > g->delivered || g->delivered > g->jobs || g->open_delivered > g->open ||
            g->rejected + g->failed + g->expired + g->open + g->confirmed != g->jobs)
            abort();
        for (int st = 0; st < JOBQ_STAGE_N; st++) {
            const struct jobq_latency *l = &g->lat[st];
            if (l->n && (l->p50 > l->p95 || l->p95 > l->p99 || l->p99 > l->max || l->p50 < 0))
                abort();
        }
    }
    if (jobs != s->total.jobs)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct jobq_report *r = jobq_report_new();
    if (!r) {
        free(text);
        return 0;
    }
    char *save = NULL, *last = NULL;
    int64_t id = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[6] = {0};
        char *p = line;
        for (int i = 0; i < 6 && p; i++) {
            f[i] = p;
            p = strchr(p, '|');
            if (p)
                *p++ = '\0';
        }
        if (jobq_report_add(r, f[0], f[1], f[2], f[3], f[4], f[5], id++) != 0)
            break;
        last = f[0];
    }
    for (int by = JOBQ_BY_COUNTRY; by <= JOBQ_BY_BOTH; by++) {
        struct jobq_summary *s;
        if (jobq_report_summarize(r, (enum jobq_report_by)by, &s) == 0) {
            check(s);
            jobq_summary_free(s);
        }
    }
    if (last) {
        (void)jobq_report_parse_duration(last);
        char why[80];
        jobq_report_reason("failed", last, why, sizeof why);
    }
    jobq_report_free(r);
    free(text);
    return 0;
}
