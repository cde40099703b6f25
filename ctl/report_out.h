/* report_out.h — how `otactl report` prints a summary: an aligned table
 * for people, JSON and CSV for scripts, one self-contained HTML page for the
 * ops lead (report_html.c). The figures come from queue/report.h; this
 * file only lays them out. */
#ifndef OTAGW_CTL_REPORT_OUT_H
#define OTAGW_CTL_REPORT_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "queue/report.h"

struct ctl_report_meta {
    const char *stream; /* "ota:events" */
    const char *since;  /* as given: "24h", "all" */
};

void ctl_report_table(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m);
void ctl_report_json(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m);
void ctl_report_csv(FILE *f, const struct jobq_summary *s, const struct ctl_report_meta *m);

/* The page: success per country and per carrier, latency distribution per
 * stage, failure mix, and the country x carrier table. No external assets,
 * no script. Returns 0 or -EIO when writing failed. */
__attribute__((warn_unused_result)) int ctl_report_html(FILE *f,
                                                        const struct jobq_summary *by_country,
                                                        const struct jobq_summary *by_carrier,
                                                        const struct jobq_summary *by_both,
                                                        const struct ctl_report_meta *m);

/* Helpers shared by the two files. */

/* ms as people read it: "850ms", "1.3s", "42s", "3m05s", "2h10m", "1d04h". */
void ctl_fmt_ms(int64_t ms, char *out, size_t outlen);

/* n/d as a percentage with one decimal, rounded half up ("66.7"); "-" when
 * d is 0. */
void ctl_fmt_pct(uint64_t n, uint64_t d, char *out, size_t outlen);

/* ms since the epoch as "2024-06-01T10:00:00Z". */
void ctl_fmt_time(int64_t ms, char *out, size_t outlen);

/* A group's name: "DE", "a", "DE/a", or "all" for the total. */
void ctl_group_name(const struct jobq_group *g, char *out, size_t outlen);

extern const char *const ctl_stage_names[JOBQ_STAGE_N];

#endif
