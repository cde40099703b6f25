/* report_out.c — the table, JSON and CSV forms of `otactl report`.
 *
 * Every figure is printed from integers (counts, milliseconds): the same
 * events always give the same text, which the integration test compares
 * byte for byte. */
#include "ctl/report_out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const ctl_stage_names[JOBQ_STAGE_N] = {
    "enqueue_submit",
    "submit_receipt",
    "receipt_por",
    "enqueue_final",
};

static const char *const stage_titles[JOBQ_STAGE_N] = {
    "ENQUEUE->SUBMIT",
    "SUBMIT->RECEIPT",
    "RECEIPT->POR",
    "ENQUEUE->FINAL",
};

void ctl_fmt_ms(int64_t ms, char *out, size_t outlen)
{
    if (ms < 0)
        ms = 0;
    if (ms < 1000) {
        snprintf(out, outlen, "%" PRId64 "ms", ms);
        return;
    }
    int64_t ds = (ms + 50) / 100; /* tenths of a second */
    if (ds < 100) {
        snprintf(out, outlen, "%" PRId64 ".%" PRId64 "s", ds / 10, ds % 10);
        return;
    }
    int64_t s = (ms + 500) / 1000;
    if (s < 60)
        snprintf(out, outlen, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(out, outlen, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400) {
        int64_t m = (s + 30) / 60;
        snprintf(out, outlen, "%" PRId64 "h%02" PRId64 "m", m / 60, m % 60);
    } else {
        int64_t h = (s + 1800) / 3600;
        snprintf(out, outlen, "%" PRId64 "d%02" PRId64 "h", h / 24, h % 24);
    }
}

void ctl_fmt_pct(uint64_t n, uint64_t d, char *out, size_t outlen)
{
    if (!d) {
        snprintf(out, outlen, "-");
        return;
    }
    uint64_t t = (n * 1000 + d / 2) / d; /* tenths of a percent, half up */
    snprintf(out, outlen, "%" PRIu64 ".%" PRIu64, t / 10, t % 10);
}

void ctl_fmt_time(int64_t ms, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, outlen, "?");
}

void ctl_group_name(const struct jobq_group *g, char *out, size_t outlen)
{
    if (g->country && g->carrier)
        snprintf(out, outlen, "%s/%s", g->country, g->carrier);
    else if (g->country)
        snprintf(out, outlen, "%s", g->country);
    else if (g->carrier)
        snprintf(out, outlen, "%s", g->carrier);
    else
        snprintf(out, outlen, "all");
}

/* --- A small aligned table ----------------------------------------------- */

#define CELL   112
#define MAXCOL 12

struct tab {
    int ncol;
    const char *hdr[MAXCOL];
    int left[MAXCOL]; /* 1: left-aligned (names, text) */
    size_t nrow, cap;
    char (*cell)[MAXCOL][CELL];
};

static char *tab_row(struct tab *t)
{
    if (t->nrow == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        void *n = realloc(t->cell, ncap * sizeof *t->cell);
        if (!n)
            return NULL;
        t->cell = n;
        t->cap = ncap;
    }
    memset(t->cell[t->nrow], 0, sizeof t->cell[t->nrow]);
    return t->cell[t->nrow++][0];
}

static void tab_print(FILE *f, struct tab *t)
{
    size_t w[MAXCOL];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = strlen(t->hdr[c]);
        for (size_t r = 0; r < t->nrow; r++)
            if (strlen(t->cell[r][c]) > w[c])
                w[c] = strlen(t->cell[r][c]);
    }
    for (size_t r = 0; r <= t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) {
            const char *s = r ? t->cell[r - 1][c] : t->hdr[c];
            int last = c == t->ncol - 1;
            if (t->left[c] && last)
                fputs(s, f);
            else if (t->left[c])
                fprintf(f, "%-*s", (int)w[c], s);
            else
                fprintf(f, "%*s", (int)w[c], s);
            if (!last)
                fputs("  ", f);
        }
        fputc('\n', f);
    }
    free(t->cell);
    t->cell = NULL;
    t->nrow = t->cap = 0;
}

/* The group key columns: 1 or 2, "COUNTRY", "CARRIER". */
static int key_cols(struct tab *t, enum jobq_report_by by)
{
    int n = 0;
    if (by & JOBQ_BY_COUNTRY) {
        t->hdr[n] = "COUNTRY";
        t->left[n++] = 1;
    }
    if (by & JOBQ_BY_CARRIER) {
        t->hdr[n] = "CARRIER";
        t->left[n++] = 1;
    }
    return n;
}

static int key_cells(char (*row)[CELL], const struct jobq_group *g, enum jobq_report_by by)
{
    int n = 0;
    int total = !g->country && !g->carrier;
    if (by & JOBQ_BY_COUNTRY)
        snprintf(row[n++], CELL, "%s", total ? "all" : g->country);
    if (by & JOBQ_BY_CARRIER)
        snprintf(row[n++], CELL, "%s", total ? (by & JOBQ_BY_COUNTRY ? "" : "all") : g->carrier);
    return n;
}

static void lat_cell(char *out, const struct jobq_latency *l)
{
    if (!l->n) {
        snprintf(out, CELL, "-");
        return;
    }
    char a[24], b[24], c[24];
    ctl_fmt_ms(l->p50, a, sizeof a);
    ctl_fmt_ms(l->p95, b, sizeof b);
    ctl_fmt_ms(l->p99, c, sizeof c);
    snprintf(out, CELL, "%s / %s / %s", a, b, c);
}

/* A table of groups: the key columns of `by` first, then the n titles.
 * Returns the number of key columns (the first title's column). */
static int tab_begin(struct tab *t, enum jobq_report_by by, const char *const *titles, int n)
{
    memset(t, 0, sizeof *t);
    int k = key_cols(t, by);
    for (int i = 0; i < n; i++)
        t->hdr[k + i] = titles[i];
    t->ncol = k + n;
    return k;
}

/* A new row of group g with its key cells filled, *c the next column; NULL
 * when the table is full. */
static char (*group_row(struct tab *t, const struct jobq_group *g, enum jobq_report_by by,
                        int *c))[CELL]
{
    char(*row)[CELL] = (char(*)[CELL])tab_row(t);
    if (row)
        *c = key_cells(row, g, by);
    return row;
}

static const struct jobq_group *group_at(const struct jobq_summary *s, size_t i)
{
    return i < s->ngroups ? &s->groups[i] : &s->total;
}

void ctl_report_table(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m)
{
    char from[32], to[32];
    ctl_fmt_time(s->first_ms, from, sizeof from);
    ctl_fmt_time(s->last_ms, to, sizeof to);
    fprintf(f, "otagw report: %s since %s", m->stream, m->since);
    if (s->events)
        fprintf(f, ", events %s .. %s", from, to);
    fprintf(f, "\n%" PRIu64 " jobs from %" PRIu64 " events\n\n", s->total.jobs, s->events);
    if (!s->total.jobs)
        return;

    struct tab t;
    static const char *const h1[] = {"JOBS",   "DELIVERED", "CONFIRMED", "REJECTED",
                                     "FAILED", "EXPIRED",   "OPEN"};
    tab_begin(&t, s->by, h1, 7);
    for (size_t i = 0; i <= s->ngroups; i++) {
        const struct jobq_group *g = group_at(s, i);
        int c;
        char(*row)[CELL] = group_row(&t, g, s->by, &c);
        if (!row)
            return;
        char p[24];
        snprintf(row[c++], CELL, "%" PRIu64, g->jobs);
        ctl_fmt_pct(g->delivered, g->jobs, p, sizeof p);
        snprintf(row[c++], CELL, "%s%%", p);
        ctl_fmt_pct(g->confirmed, g->jobs, p, sizeof p);
        snprintf(row[c++], CELL, "%s%%", p);
        snprintf(row[c++], CELL, "%" PRIu64, g->rejected);
        snprintf(row[c++], CELL, "%" PRIu64, g->failed);
        snprintf(row[c++], CELL, "%" PRIu64, g->expired);
        snprintf(row[c++], CELL, "%" PRIu64, g->open);
    }
    tab_print(f, &t);

    fputs("\nLATENCY p50 / p95 / p99\n", f);
    tab_begin(&t, s->by, stage_titles, JOBQ_STAGE_N);
    for (size_t i = 0; i <= s->ngroups; i++) {
        const struct jobq_group *g = group_at(s, i);
        int c;
        char(*row)[CELL] = group_row(&t, g, s->by, &c);
        if (!row)
            return;
        for (int st = 0; st < JOBQ_STAGE_N; st++)
            lat_cell(row[c++], &g->lat[st]);
    }
    tab_print(f, &t);

    if (!s->total.nreasons)
        return;
    fputs("\nTOP FAILURES\n", f);
    static const char *const h3[] = {"JOBS", "SHARE", "REASON"};
    t.left[tab_begin(&t, s->by, h3, 3) + 2] = 1;
    for (size_t i = 0; i <= s->ngroups; i++) {
        const struct jobq_group *g = group_at(s, i);
        size_t top = i < s->ngroups ? 3 : 5;
        for (size_t r = 0; r < g->nreasons && r < top; r++) {
            int c;
            char(*row)[CELL] = group_row(&t, g, s->by, &c);
            if (!row)
                return;
            char p[24];
            snprintf(row[c++], CELL, "%" PRIu64, g->reasons[r].jobs);
            ctl_fmt_pct(g->reasons[r].jobs, g->jobs, p, sizeof p);
            snprintf(row[c++], CELL, "%s%%", p);
            snprintf(row[c++], CELL, "%s", g->reasons[r].text);
        }
    }
    tab_print(f, &t);
}

/* --- JSON ----------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_group(FILE *f, const struct jobq_group *g, const char *indent)
{
    char dp[24], cp[24];
    fprintf(f, "%s{", indent);
    if (g->country) {
        fputs("\"country\": ", f);
        json_str(f, g->country);
        fputs(", ", f);
    }
    if (g->carrier) {
        fputs("\"carrier\": ", f);
        json_str(f, g->carrier);
        fputs(", ", f);
    }
    ctl_fmt_pct(g->delivered, g->jobs, dp, sizeof dp);
    ctl_fmt_pct(g->confirmed, g->jobs, cp, sizeof cp);
    fprintf(f,
            "\"jobs\": %" PRIu64 ", \"delivered\": %" PRIu64 ", \"delivered_pct\": %s, "
            "\"confirmed\": %" PRIu64 ", \"confirmed_pct\": %s, \"rejected\": %" PRIu64
            ", \"failed\": %" PRIu64 ", \"expired\": %" PRIu64 ", \"open\": %" PRIu64 ",\n",
            g->jobs, g->delivered, g->jobs ? dp : "null", g->confirmed, g->jobs ? cp : "null",
            g->rejected, g->failed, g->expired, g->open);
    fprintf(f, "%s  \"latency_ms\": {", indent);
    for (int st = 0; st < JOBQ_STAGE_N; st++) {
        const struct jobq_latency *l = &g->lat[st];
        fprintf(f, "%s\"%s\": {\"n\": %zu", st ? ", " : "", ctl_stage_names[st], l->n);
        if (l->n)
            fprintf(f,
                    ", \"p50\": %" PRId64 ", \"p95\": %" PRId64 ", \"p99\": %" PRId64
                    ", \"max\": %" PRId64,
                    l->p50, l->p95, l->p99, l->max);
        fputc('}', f);
    }
    fprintf(f, "},\n%s  \"failures\": [", indent);
    for (size_t r = 0; r < g->nreasons; r++) {
        fputs(r ? ", {\"reason\": " : "{\"reason\": ", f);
        json_str(f, g->reasons[r].text);
        fprintf(f, ", \"jobs\": %" PRIu64 "}", g->reasons[r].jobs);
    }
    fputs("]}", f);
}

void ctl_report_json(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m)
{
    static const char *const by[] = {"", "[\"country\"]", "[\"carrier\"]",
                                     "[\"country\", \"carrier\"]"};
    fputs("{\"stream\": ", f);
    json_str(f, m->stream);
    fputs(", \"since\": ", f);
    json_str(f, m->since);
    fprintf(f,
            ", \"by\": %s, \"events\": %" PRIu64 ", \"first_ms\": %" PRId64
            ", \"last_ms\": %" PRId64 ",\n \"groups\": [\n",
            by[s->by & 3], s->events, s->first_ms, s->last_ms);
    for (size_t i = 0; i < s->ngroups; i++) {
        json_group(f, &s->groups[i], "  ");
        fputs(i + 1 < s->ngroups ? ",\n" : "\n", f);
    }
    fputs(" ],\n \"total\":\n", f);
    json_group(f, &s->total, "  ");
    fputs("\n}\n", f);
}

/* --- CSV (RFC 4180) ------------------------------------------------------- */

static void csv_str(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void ctl_report_csv(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m)
{
    (void)m;
    if (s->by & JOBQ_BY_COUNTRY)
        fputs("country,", f);
    if (s->by & JOBQ_BY_CARRIER)
        fputs("carrier,", f);
    fputs("jobs,delivered,delivered_pct,confirmed,confirmed_pct,rejected,failed,expired,open", f);
    for (int st = 0; st < JOBQ_STAGE_N; st++)
        fprintf(f, ",%s_n,%s_p50_ms,%s_p95_ms,%s_p99_ms", ctl_stage_names[st], ctl_stage_names[st],
                ctl_stage_names[st], ctl_stage_names[st]);
    fputs(",top_failure,top_failure_jobs\r\n", f);
    for (size_t i = 0; i <= s->ngroups; i++) {
        const struct jobq_group *g = group_at(s, i);
        int total = i == s->ngroups;
        if (s->by & JOBQ_BY_COUNTRY) {
            csv_str(f, total ? "all" : g->country);
            fputc(',', f);
        }
        if (s->by & JOBQ_BY_CARRIER) {
            csv_str(f, total ? "all" : g->carrier);
            fputc(',', f);
        }
        char dp[24], cp[24];
        ctl_fmt_pct(g->delivered, g->jobs, dp, sizeof dp);
        ctl_fmt_pct(g->confirmed, g->jobs, cp, sizeof cp);
        fprintf(f,
                "%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                ",%" PRIu64,
                g->jobs, g->delivered, dp, g->confirmed, cp, g->rejected, g->failed, g->expired,
                g->open);
        for (int st = 0; st < JOBQ_STAGE_N; st++) {
            const struct jobq_latency *l = &g->lat[st];
            if (l->n)
                fprintf(f, ",%zu,%" PRId64 ",%" PRId64 ",%" PRId64, l->n, l->p50, l->p95, l->p99);
            else
                fputs(",0,,,", f);
        }
        fputc(',', f);
        if (g->nreasons) {
            csv_str(f, g->reasons[0].text);
            fprintf(f, ",%" PRIu64, g->reasons[0].jobs);
        } else {
            fputc(',', f);
        }
        fputs("\r\n", f);
    }
}
