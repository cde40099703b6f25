/* metrics.h — the daemon's metric registry and its Prometheus rendering.
 *
 * Owned here: which metrics exist, their labels, their storage, and the text
 * exposition format 0.0.4 they render to. gateway/http.c serves the rendered
 * text on GET /metrics from libmicrohttpd's own thread.
 *
 * Threads. The registry has exactly one writer: the libev loop thread (every
 * gw_metrics_* call below that changes a value). The HTTP thread only calls
 * gw_metrics_render(). Every value is a C11 atomic written with relaxed
 * order by its single writer (a load + add + store: no lock prefix, no
 * contention, a few ns) and read with relaxed loads by the renderer, so a
 * scrape never blocks the loop and the loop never waits for a scrape.
 * A mutex-guarded render was the alternative; it would make the loop wait
 * for a slow scrape and buy nothing the single-writer rule does not give.
 * A scrape sees each value as of some instant during the render; a histogram
 * is made consistent at render time (its _count is the sum of the buckets
 * read, so the +Inf bucket always equals _count).
 *
 * Bounded labels. Carriers come from the config; countries from the config's
 * routes and policies, plus up to GW_METRICS_EXTRA_COUNTRIES more ISO codes
 * first met at run time (still codes from the E.164 table, never free text);
 * anything else is "other". Rejection reasons are short classes the callers
 * name from fixed sets (a job field, a step of the daemon), never job text;
 * the registry takes at most GW_METRICS_REASONS of them, [a-z0-9_] only,
 * and counts the rest as "other". Label sets are resolved once (when a bind or a
 * job is set up) to small integer ids; the hot path indexes arrays with them:
 * no string work, no allocation. */
#ifndef OTAGW_GATEWAY_METRICS_H
#define OTAGW_GATEWAY_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/config.h"

/* Countries the registry may learn after start, beyond the configured ones. */
#define GW_METRICS_EXTRA_COUNTRIES 48

/* Delivery receipt "stat:" values (SMPP 3.4 Appendix B, message states). */
enum gw_metrics_receipt {
    GW_RCPT_DELIVRD,
    GW_RCPT_EXPIRED,
    GW_RCPT_DELETED,
    GW_RCPT_UNDELIV,
    GW_RCPT_ACCEPTD,
    GW_RCPT_UNKNOWN,
    GW_RCPT_REJECTD,
    GW_RCPT_ENROUTE,
    GW_RCPT_OTHER,
    GW_RCPT_N
};

/* How a job ended (docs/DESIGN.md, job states). DELIVERED is final only for
 * por=none jobs. */
enum gw_metrics_final {
    GW_FINAL_CONFIRMED,
    GW_FINAL_DELIVERED,
    GW_FINAL_REJECTED,
    GW_FINAL_FAILED,
    GW_FINAL_EXPIRED,
    GW_FINAL_N
};

/* The stages a job's latency is measured over. */
enum gw_metrics_stage {
    GW_STAGE_ENQUEUE_SUBMIT, /* received -> submit_sm sent */
    GW_STAGE_SUBMIT_RECEIPT, /* submit_sm sent -> delivery receipt */
    GW_STAGE_RECEIPT_POR,    /* receipt -> the SIM's PoR */
    GW_STAGE_ENQUEUE_FINAL,  /* received -> final state */
    GW_STAGE_N
};

/* Where a job was rejected: otagw_jobs_rejected_total's `stage`. */
enum gw_metrics_reject_stage {
    GW_REJECT_INTAKE,  /* by queue/ on arrival, before any work: the entry failed
                          validation (reason: the field) or its card has no record
                          (reason "card"); the platform sent a job it must fix */
    GW_REJECT_PREPARE, /* by the daemon, preparing a valid job to send: keyset,
                          route, script, security, fit, packet (the step,
                          docs/daemon.md "The job path"); config, keystore or a job
                          this card cannot take */
    GW_REJECT_N
};

/* Rejection reason classes the registry learns (first met, first served);
 * beyond them, "other". Intake has 23 classes (21 fields, card, other),
 * prepare 6. */
#define GW_METRICS_REASONS    40
#define GW_METRICS_REASON_MAX 23 /* characters of one class */

/* PoR response status codes 0x00..0x0C (TS 102 225 §5.1.2 and TS 31.115);
 * anything above is counted as "other". */
#define GW_POR_N 14 /* 13 codes + other */

struct gw_metrics;

/* Builds a registry for the carriers (and their binds) and countries of c.
 * Returns NULL on allocation failure. Call before the HTTP thread starts. */
struct gw_metrics *gw_metrics_new(const struct gw_config *c);

/* Frees; the HTTP server must be stopped first. NULL is a no-op. */
void gw_metrics_free(struct gw_metrics *m);

/* --- Resolving label values to ids (once per bind or job, not per event) -- */

/* The id of a configured carrier, or the "other" id for NULL/unknown. */
unsigned gw_metrics_carrier_id(const struct gw_metrics *m, const char *name);

/* The id of an ISO 3166 alpha-2 country. A code not configured is learnt
 * while there is room (loop thread only); NULL, "", a malformed code, or no
 * room gives the "other" id. */
unsigned gw_metrics_country_id(struct gw_metrics *m, const char *iso2);

/* The id of a rejection reason class: 1..GW_METRICS_REASON_MAX characters
 * of [a-z0-9_]. A new one is learnt while there is room (loop thread only);
 * NULL, "", "other", a malformed class or no room gives the "other" id. */
unsigned gw_metrics_reason_id(struct gw_metrics *m, const char *reason);

/* Receipt stat text ("DELIVRD", ...) to its enum; unknown -> GW_RCPT_OTHER. */
enum gw_metrics_receipt gw_metrics_receipt_stat(const char *stat);

/* --- Hot path (loop thread only). Out-of-range ids count as "other". ---- */

void gw_metrics_submit(struct gw_metrics *m, unsigned carrier, unsigned bind, unsigned country);
void gw_metrics_submit_error(struct gw_metrics *m, unsigned carrier, uint32_t command_status);
void gw_metrics_throttle(struct gw_metrics *m, unsigned carrier, unsigned bind);
void gw_metrics_reconnect(struct gw_metrics *m, unsigned carrier, unsigned bind);
void gw_metrics_receipt(struct gw_metrics *m, unsigned carrier, unsigned country,
                        enum gw_metrics_receipt stat);
void gw_metrics_por(struct gw_metrics *m, unsigned carrier, unsigned country, uint8_t status);
/* A response packet that failed verification with every keyset tried
 * (otagw_por_unverified_total; country from the MO's originator). */
void gw_metrics_por_unverified(struct gw_metrics *m, unsigned carrier, unsigned country);
void gw_metrics_job_final(struct gw_metrics *m, unsigned carrier, unsigned country,
                          enum gw_metrics_final state);
/* A job rejected (otagw_jobs_rejected_total{stage,reason,country}); it is
 * also counted as otagw_jobs_total{carrier="other",state="rejected"} with
 * the same country, so the two families always agree. Count rejections
 * with this, not with gw_metrics_job_final. */
void gw_metrics_job_rejected(struct gw_metrics *m, enum gw_metrics_reject_stage stage,
                             unsigned reason, unsigned country);
/* An entry whose job id was already accepted from another entry (the
 * `duplicate` event): otagw_jobs_duplicate_total. */
void gw_metrics_job_duplicate(struct gw_metrics *m);
/* seconds < 0 is counted as 0 (clock steps). */
void gw_metrics_observe(struct gw_metrics *m, enum gw_metrics_stage stage, unsigned carrier,
                        unsigned country, double seconds);

/* Gauges: the loop sets them when the value changes (a relaxed store). */
void gw_metrics_set_window(struct gw_metrics *m, unsigned carrier, unsigned bind, unsigned in_use);
void gw_metrics_set_bind_up(struct gw_metrics *m, unsigned carrier, unsigned bind, int up);
void gw_metrics_set_queue_depth(struct gw_metrics *m, uint64_t depth);
void gw_metrics_set_inflight(struct gw_metrics *m, uint64_t jobs);

/* --- Rendering (any thread) ---------------------------------------------- */

/* Renders the whole registry in the Prometheus text format 0.0.4 into a new
 * NUL-terminated buffer (*out, freed by the caller with free()); *len gets
 * its length. Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int gw_metrics_render(const struct gw_metrics *m, char **out,
                                                          size_t *len);

/* The upper bounds of the latency histogram buckets, in seconds (+Inf
 * implied); n gets their count. */
const double *gw_metrics_buckets(size_t *n);

#endif
