/* jobq.h — the daemon's side of Redis: jobs in, states out (docs/queue.md).
 *
 * Owned by queue/jobq.c (the only folder that includes hiredis). One struct
 * jobq per daemon instance, on the daemon's libev loop, with two Redis
 * connections: one for XREADGROUP BLOCK (it would stall anything queued
 * behind it) and one for everything else, pipelined. Every state change is
 * one FCALL of the Redis 7 function library in queue/script.c (loaded once
 * per server): one round trip, atomic, and the only place the "exactly one
 * final state" rule lives. Calls queued in the same turn of the loop go
 * together in one FCALL ("multi").
 *
 * Life of a job, as the daemon sees it:
 *   cb.job_ready(job)            validated, card looked up, lease taken, CNTR
 *                                allocated for this attempt (never reused)
 *   then exactly one of          jobq_job_submitted / jobq_submit_failed /
 *                                jobq_unknown_outcome / jobq_job_rejected /
 *                                jobq_job_release
 *   which hands the job back (jobq frees it; do not touch it afterwards).
 * Receipts and PoRs are not tied to a job in memory: jobq_receipt and
 * jobq_por find the job in Redis, whichever instance sent it.
 *
 * Back-pressure: jobs handed out and not yet handed back count as in flight;
 * at max_inflight jobq stops reading the stream and the retry set.
 *
 * Leases: a job handed out is leased to this instance (lease_ms) and jobq
 * renews the lease of every job it holds every lease_ms / 3 until the
 * job's outcome is recorded, however long the daemon keeps it (a full
 * window, a TPS limit, a bind down): a live instance never loses a job to
 * another. One that dies stops renewing; its jobs go to the others after
 * claim_idle_ms (stream entries) or lease_ms (retries).
 *
 * Redis down: jobq keeps running, reconnects with back-off, and reads nothing
 * meanwhile. Outcome calls on a held job (submitted, failed, unknown,
 * rejected) are kept and replayed after the reconnection; receipts, PoRs and
 * counter requests fail at once with -ENOTCONN in their callback (the caller
 * should answer the SMSC with a temporary error so that it redelivers).
 *
 * Callbacks may run before the function that caused them returns (an error
 * while disconnected); none of them may free the jobq. */
#ifndef OTAGW_QUEUE_JOBQ_H
#define OTAGW_QUEUE_JOBQ_H

#include <stddef.h>
#include <stdint.h>

#include "queue/job.h"
#include "queue/outcome.h"

struct ev_loop;
struct jobq;

/* Plain settings, so queue/ needs nothing from gateway/ (the daemon copies
 * them from gateway/config.h). 0 / NULL = the default in brackets. */
struct jobq_settings {
    const char *host;            /* [127.0.0.1]; a path starting with '/' = unix socket */
    unsigned port;               /* [6379] */
    const char *user;            /* ACL user, or NULL for AUTH with password only */
    const char *password;        /* NULL = no AUTH */
    unsigned db;                 /* SELECT db [0] */
    const char *prefix;          /* key prefix ["ota:"] */
    const char *stream_jobs;     /* ["ota:jobs"] */
    const char *stream_events;   /* ["ota:events"] */
    const char *group;           /* ["otagw"] */
    const char *consumer;        /* this instance's consumer name, also its lease owner;
                                    [gateway name + "-" + host + "-" + pid]: see jobq_consumer_name */
    unsigned batch;              /* XREADGROUP COUNT [64] */
    unsigned max_inflight;       /* [1024] */
    unsigned max_attempts;       /* per job [3] */
    unsigned default_validity;   /* seconds [86400] */
    unsigned block_ms;           /* XREADGROUP BLOCK [2000] */
    unsigned connect_timeout_ms; /* [3000] */
    unsigned command_timeout_ms; /* no reply for this long = connection dead [5000] */
    unsigned reconnect_min_ms, reconnect_max_ms; /* [100], [5000] */
    unsigned lease_ms;      /* a job handed out is reserved to this instance this long,
                               renewed every lease_ms / 3 while held [30000] */
    unsigned claim_idle_ms; /* XAUTOCLAIM min-idle: a dead instance's entries [lease_ms + 5000] */
    unsigned scan_ms;       /* expiry / retry / reclaim scan period [1000] */
    unsigned retry_base_ms, retry_max_ms; /* transient back-off [5000], [300000] */
    unsigned reconcile_ms;                /* after an unknown outcome, wait for a PoR [120000] */
    unsigned map_ttl_s;                   /* msgid and PoR maps outlive the deadline by [3600] */
    unsigned early_ttl_ms;                /* receipt before its message id is kept [120000] */
    unsigned retention_s;                 /* a final job record is kept [604800] (0 = for ever) */
    unsigned events_maxlen;    /* XADD MAXLEN ~ on ota:events [1000000] (0 = unbounded) */
    uint64_t resync_step;      /* PoR "counter low": jump ahead by [256] */
    const char *default_class; /* card class when ota:card:<iccid> has none ["uicc"] */
};

/* What jobq tells the daemon. ud is jobq_new's ud. */
struct jobq_callbacks {
    /* A job to send now. attempt, counter, key, card_class, deadline_ms are
     * filled. The daemon owns nothing: it hands the job back with exactly one
     * of the outcome calls below. */
    void (*job_ready)(void *ud, struct jobq_job *job);
    /* A job ended while not held (expired by the scan; failed at intake,
     * its card's counter exhausted) — informational. */
    void (*job_final)(void *ud, const char *key, const char *state);
    /* Redis usable (1) or not (0); on 0, why is a one-line reason. */
    void (*link)(void *ud, int up, const char *why);
    /* Log lines (level as syslog: 3 err, 4 warning, 6 info, 7 debug). */
    void (*log)(void *ud, int level, const char *msg);
    /* Optional: the ISO 3166-1 alpha-2 country of an E.164 number (digits,
     * no '+') into cc, "" when it has none. Asked at intake for every entry
     * whose msisdn is valid, rejected or not: the job record's
     * route_country and every event of the job name it from the first one
     * on, so a job rejected before routing still counts under its country. */
    void (*country)(void *ud, const char *msisdn, char cc[3]);
    /* Optional: an entry refused at intake (never handed to the daemon),
     * told once its `rejected` state is recorded: on the reply of the
     * library's op, so an entry delivered again (reclaimed, or sent again
     * after a reconnection) is not told twice; a reply lost with the
     * connection after Redis recorded it is not told at all (the entry is
     * acknowledged: nothing comes back). key: the job's id in Redis.
     * reason: a bounded class for a metric label, a static string: the
     * field that failed validation (jobq_reason_class: "msisdn", "iccid",
     * "type", ...; "other" for an unknown field name and the like), or
     * "card" for a valid job whose card has no record and names no keyset.
     * country: the msisdn's (the country callback), "" when unknown. */
    void (*intake_rejected)(void *ud, const char *key, const char *reason, const char *country);
    /* Optional: an entry whose id was already accepted from another entry
     * (the `duplicate` event: the entry is acknowledged, the job is not
     * touched), told on the reply like intake_rejected. country: of this
     * entry's msisdn, "" when unknown. */
    void (*intake_duplicate)(void *ud, const char *key, const char *country);
    /* A job this instance holds was taken over by another (its lease was
     * not renewed in time: Redis unreachable from here, the process
     * stopped): whatever of it is not sent yet should not be, or the card
     * may run it twice. The job is still the caller's to hand back (its
     * outcome will be refused as stale). Told once per job. Optional. */
    void (*lease_lost)(void *ud, struct jobq_job *job);
};

/* Completion of a call. err 0 or -errno (-ENOTCONN, -ETIMEDOUT, -EPROTO
 * for a Redis error reply); result: the script's word ("submitted",
 * "delivered", "stashed", "final", "stale", "unknown", "retry", "failed",
 * "confirmed", ...) and job the job's key when known, else "". */
typedef void jobq_done_fn(void *cbud, int err, const char *result, const char *job);
typedef void jobq_counter_fn(void *cbud, int err, uint64_t counter);

/* Fills unset settings with their defaults (copies pointers, no allocation). */
void jobq_settings_defaults(struct jobq_settings *s);

/* "name-host-pid", truncated to fit; the consumer and lease owner name. */
void jobq_consumer_name(const char *gateway_name, char *out, size_t cap);

/* Start-up check, blocking (before the loop runs): connect, AUTH, SELECT,
 * PING, version >= 7.0 (FUNCTION; XAUTOCLAIM), create the consumer group,
 * load the function library. Returns 0, or -errno with a one-line reason naming the server
 * ("redis 127.0.0.1:6379: AUTH failed: WRONGPASS invalid username-password
 * pair or user is disabled."). */
__attribute__((warn_unused_result)) int jobq_check(const struct jobq_settings *s, char *err,
                                                   size_t errlen);

/* Creates the queue and starts connecting (asynchronously). The settings'
 * strings are copied. NULL on allocation failure or invalid names. */
struct jobq *jobq_new(struct ev_loop *loop, const struct jobq_settings *s,
                      const struct jobq_callbacks *cb, void *ud);

/* Stops reading; held jobs stay leased in Redis (no longer renewed) and
 * come back after lease_ms/claim_idle_ms. Frees everything. NULL is a no-op. */
void jobq_free(struct jobq *q);

/* Stop / resume taking new work (drain before shutdown). */
void jobq_pause(struct jobq *q, int paused);

unsigned jobq_inflight(const struct jobq *q);
int jobq_is_up(const struct jobq *q);

/* The SMSC took the packet: one message id per SM, already normalised
 * (codec/dlr.h). Stores msgid -> job and (msisdn, tar, counter) -> job with
 * expiry, applies receipts that came first, acknowledges the stream entry.
 * tar: 6 hex digits as in the packet. Consumes job. */
int jobq_job_submitted(struct jobq *q, struct jobq_job *job, const char *carrier,
                       const char *country, const char *tar, const char *const *msgids,
                       unsigned nsegments, jobq_done_fn *done, void *cbud);

/* The same with every key of each SM's message id (codec/dlr.h reads an
 * all-digit id both as decimal and as hex under msgid_format=auto):
 * keys[seg * per_sm + k], k < per_sm <= JOBQ_MSGID_KEYS; NULL or "" entries
 * are skipped, but each SM needs one. A receipt naming any of them finds
 * the job. jobq_job_submitted is this with per_sm = 1. Consumes job. */
#define JOBQ_MSGID_KEYS 4
int jobq_job_submitted_keys(struct jobq *q, struct jobq_job *job, const char *carrier,
                            const char *country, const char *tar, const char *const *keys,
                            unsigned per_sm, unsigned nseg, jobq_done_fn *done, void *cbud);

/* submit_sm failed (SMPP command_status or local cause). transient: retry
 * with back-off and a fresh counter while attempts remain; else failed.
 * Consumes job. */
int jobq_submit_failed(struct jobq *q, struct jobq_job *job, int transient, const char *reason,
                       jobq_done_fn *done, void *cbud);

/* No submit_sm_resp: the SMSC may have taken it. Stores the PoR map and
 * waits reconcile_ms for a PoR before the next attempt. Consumes job. */
int jobq_unknown_outcome(struct jobq *q, struct jobq_job *job, const char *carrier, const char *tar,
                         jobq_done_fn *done, void *cbud);

/* The same for a packet of nseg SMs some of which were answered in time:
 * keys[seg * per_sm + k] as jobq_job_submitted_keys ("" or NULL for an SM
 * not answered). Those ids are mapped now, so that with the late answer of
 * the others (jobq_late_submitted) every receipt finds the job. The job
 * records `unknown` = its attempt: a receipt of that attempt that shows
 * every SM delivered settles the unknown outcome (`delivered`, the retry
 * cancelled) if it comes before the retry is sent. Consumes job. */
int jobq_unknown_outcome_keys(struct jobq *q, struct jobq_job *job, const char *carrier,
                              const char *tar, const char *const *keys, unsigned per_sm,
                              unsigned nseg, jobq_done_fn *done, void *cbud);

/* The submit_sm_resp of SM seg (1-based) of nseg of attempt `attempt` of
 * job came after its outcome was recorded unknown, with a message id
 * (keys: its 1..JOBQ_MSGID_KEYS keys): the id is mapped so that its
 * receipt finds the job, and a receipt that came first is applied. Not
 * tied to a held job: answered or failed now like jobq_receipt (result
 * "mapped", "delivered", "partial", "info", "failed", or "stale"/"final"/
 * "nojob" when the job moved on). */
int jobq_late_submitted(struct jobq *q, const char *carrier, const char *job, unsigned attempt,
                        unsigned seg, unsigned nseg, const char *const *keys, unsigned nkeys,
                        jobq_done_fn *done, void *cbud);

/* The daemon finds the job unsendable (no keyset in the keystore, no route,
 * policy): final `rejected`. Consumes job. */
int jobq_job_rejected(struct jobq *q, struct jobq_job *job, const char *reason, jobq_done_fn *done,
                      void *cbud);

/* Hands the job back unsent (shutdown, drain): the lease is released and
 * the job is free for any instance at its next scan (a stream entry is made
 * claim_idle_ms idle, a retry due now). Consumes job. */
void jobq_job_release(struct jobq *q, struct jobq_job *job);

/* A delivery receipt (SMPP 3.4 Appendix B): carrier that received it,
 * normalised message id, stat and err text. */
int jobq_receipt(struct jobq *q, const char *carrier, const char *msgid, const char *stat,
                 const char *err, jobq_done_fn *done, void *cbud);

/* The same with every key of the receipt's id (1..JOBQ_MSGID_KEYS), in one
 * call: the first key that names a job wins; when none does, the receipt
 * is kept under each key until the submit is recorded ("stashed"). */
int jobq_receipt_keys(struct jobq *q, const char *carrier, const char *const *keys, unsigned nkeys,
                      const char *stat, const char *err, jobq_done_fn *done, void *cbud);

/* A Proof of Receipt, already verified by codec/: the MO's source MSISDN
 * (E.164 digits, '+' allowed), TAR (6 hex), CNTR, response status code, and
 * the response data (may be NULL). When no job is mapped to (msisdn, tar,
 * cntr) yet (the PoR overtook its submit_sm_resp), the result is "stashed":
 * the PoR is kept early_ttl_ms and applied by the job's jobq_job_submitted
 * (or jobq_unknown_outcome) — the caller need not ask again. */
int jobq_por(struct jobq *q, const char *msisdn, const char *tar, uint64_t cntr, unsigned status,
             const uint8_t *data, size_t datalen, jobq_done_fn *done, void *cbud);

/* The same with the response read against the job's script (dec, or NULL:
 * jobq_por). The outcome and the event's detail come from
 * jobq_por_outcome (queue/outcome.h). On `confirmed` the job's hash also
 * gets `provisional` = 1 (dec->provisional) and `por_readback` (the
 * decoded read-back), and the event the fields `provisional` = 1 and
 * `readback`; neither field is written when it does not apply. A PoR that
 * is stashed keeps them. Control characters and non-ASCII octets of the
 * texts are written as '?'. */
int jobq_por_decoded(struct jobq *q, const char *msisdn, const char *tar, uint64_t cntr,
                     unsigned status, const uint8_t *data, size_t datalen,
                     const struct jobq_por_decoded *dec, jobq_done_fn *done, void *cbud);

/* A counter outside any job (TS 102 225 §5.1.1): -ENOSPC when exhausted. */
int jobq_counter_alloc(struct jobq *q, const char *iccid, const char *keyset, jobq_counter_fn *done,
                       void *cbud);

/* An operator's transition (otactl, tests): state is one of the final
 * states failed, expired, rejected, confirmed. Refused ("final") out of a
 * final state like every other transition; result "ok", "final", "nojob". */
int jobq_move(struct jobq *q, const char *key, const char *state, const char *detail,
              jobq_done_fn *done, void *cbud);

/* Runs the expiry, retry and reclaim scans now (tests; normally every scan_ms). */
void jobq_scan_now(struct jobq *q);

/* The function library's text for these settings ("#!lua name=otagw_<hash>",
 * prologue, body, registration of the function otagw_<hash>), malloc'ed
 * (free it), or NULL when a name holds a character outside
 * [A-Za-z0-9:_.{}-]. For otactl and tests that call it directly
 * (FUNCTION LOAD, then FCALL otagw_<hash> 0 op args...). */
char *jobq_script_text(const struct jobq_settings *s);

#endif
