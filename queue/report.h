/* report.h — delivery reports from the event stream (`otactl report`).
 *
 * Owned here: reading `ota:events` (docs/DESIGN.md, "Job states and events")
 * in pages, folding it into one compact record per job, and summarising the
 * jobs per country, carrier or both: counts, delivered and confirmed shares,
 * the failure mix, and exact latency percentiles per stage. Rendering
 * (table, JSON, CSV, HTML) is otactl's (ctl/report_*.c).
 *
 * Per job: the first time of each state; its group is the carrier and
 * country of its latest event that names them; its final state is the last
 * terminal state (rejected, failed, expired, confirmed) seen, except that
 * confirmed, once seen, stays (a PoR proves the job done). Memory is one
 * fixed-size record per job in an open-addressing table, plus the job ids and
 * a few interned strings (carriers, countries, normalised failure reasons).
 *
 * Times are the events' `ts` field, integer milliseconds since the epoch; an
 * event without a usable ts takes its stream entry id's millisecond part. */
#ifndef OTAGW_QUEUE_REPORT_H
#define OTAGW_QUEUE_REPORT_H

#include <stddef.h>
#include <stdint.h>

enum jobq_report_by {
    JOBQ_BY_COUNTRY = 1,
    JOBQ_BY_CARRIER = 2,
    JOBQ_BY_BOTH = 3, /* country, then carrier */
};

enum jobq_stage {
    JOBQ_STAGE_SUBMIT,  /* received -> submitted */
    JOBQ_STAGE_RECEIPT, /* submitted -> delivered */
    JOBQ_STAGE_POR,     /* delivered -> confirmed */
    JOBQ_STAGE_TOTAL,   /* received -> final (confirmed, rejected, failed, expired) */
    JOBQ_STAGE_N
};

/* Exact percentiles, nearest rank: pX is the sample at rank ceil(X/100*n)
 * of the n samples sorted (milliseconds). All zero when n == 0. */
struct jobq_latency {
    size_t n;
    int64_t p50, p95, p99, max;
    const int64_t *sorted; /* the n samples, ascending (owned by the summary) */
};

struct jobq_reason {
    const char *text; /* "failed: receipt UNDELIV", owned by the report */
    uint64_t jobs;
};

struct jobq_group {
    const char *country; /* NULL when not grouped by country; "unknown" when no event said */
    const char *carrier; /* likewise */
    uint64_t jobs;
    uint64_t delivered; /* reached delivered (or confirmed: a PoR proves delivery) */
    uint64_t confirmed;
    uint64_t rejected, failed, expired;
    uint64_t open;           /* no terminal state yet (includes por=none jobs ended at delivered) */
    uint64_t open_delivered; /* of those, how many reached delivered */
    struct jobq_latency lat[JOBQ_STAGE_N];
    size_t nreasons; /* failure reasons, most jobs first, then by text */
    struct jobq_reason *reasons;
};

struct jobq_summary {
    enum jobq_report_by by;
    size_t ngroups;
    struct jobq_group *groups; /* sorted by country then carrier, "unknown" last */
    struct jobq_group total;   /* every job; country and carrier NULL */
    int64_t first_ms, last_ms; /* event times seen (0 when none) */
    uint64_t events;           /* events read */
};

struct jobq_report;

struct jobq_report *jobq_report_new(void);
void jobq_report_free(struct jobq_report *r);

/* Folds one event in. Any field may be NULL (absent). ts is the event's ts
 * text; id_ms the stream entry id's milliseconds (used when ts is absent or
 * not a number). An event without a job id or with an unknown state is
 * skipped and counted (jobq_report_skipped). Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int jobq_report_add(struct jobq_report *r, const char *job,
                                                        const char *state, const char *detail,
                                                        const char *carrier, const char *country,
                                                        const char *ts, int64_t id_ms);

/* Events skipped as malformed so far. */
uint64_t jobq_report_skipped(const struct jobq_report *r);

/* Where the events are. */
struct jobq_report_src {
    const char *host; /* a path starting with '/' = unix socket */
    int port;
    const char *user;     /* ACL user, or NULL: AUTH with the password only */
    const char *password; /* NULL or "" = no AUTH */
    unsigned db;          /* SELECT */
    const char *stream;   /* e.g. "ota:events" */
    unsigned page;        /* XRANGE COUNT; 0 = 10000 */
};

/* Reads the stream's entries from since_ms (0 = the whole stream) in pages
 * and folds each in. On error returns -errno (-ECONNREFUSED, -EACCES for
 * AUTH or SELECT, -EPROTO for an unexpected reply, -EIO) and writes one line
 * into err. */
__attribute__((warn_unused_result)) int jobq_report_load(struct jobq_report *r,
                                                         const struct jobq_report_src *src,
                                                         int64_t since_ms, char *err,
                                                         size_t errlen);

/* Summarises the jobs folded so far. Returns 0 and *out (free with
 * jobq_summary_free), or -ENOMEM. */
__attribute__((warn_unused_result)) int jobq_report_summarize(const struct jobq_report *r,
                                                              enum jobq_report_by by,
                                                              struct jobq_summary **out);

void jobq_summary_free(struct jobq_summary *s);

/* Milliseconds in a duration like "90s", "15m", "24h", "7d", "1h30m";
 * -1 when malformed. */
int64_t jobq_report_parse_duration(const char *s);

/* The normalised failure reason for a final state and its detail, as used
 * in jobq_group.reasons: "STATE" or "STATE: DETAIL" with DETAIL cut before
 * the first quote, parenthesis or ';' and at 60 characters, so reasons
 * that only differ by a job's own values fall together. */
void jobq_report_reason(const char *state, const char *detail, char *out, size_t outlen);

#endif
