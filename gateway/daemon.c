/* daemon.c — the gateway's main job, wired on one libev loop.
 *
 * Owns, in reading order:
 *   1. the job path: jobq hands a job -> keyset -> route -> ota script ->
 *      security and SMS fit -> 03.48 command packet -> SMs -> gw_link_submit
 *      -> the answers of every SM -> one outcome back to jobq;
 *   2. receipts -> jobq_receipt_keys;
 *   3. MO PoRs -> reassembly -> candidate keysets and their jobs
 *      (queue/porlookup.h, then the keystore) -> c348_por_open -> the
 *      response read against the job's script (ota_result_decode) ->
 *      jobq_por_decoded; a PoR that does not verify is logged with the
 *      reason and never trusted;
 *   4. links' states and metrics;
 *   5. start-up, signals and the graceful stop.
 * Everything runs on the loop thread; the /metrics endpoint reads the
 * registry from its own thread (gateway/metrics.h explains why that is
 * safe). Decisions and their reasons are in docs/daemon.md. */
#include "gateway/daemon.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec/c348.h"
#include "codec/hex.h"
#include "codec/udh.h"
#include "gateway/bind.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/route.h"
#include "ota/script.h"
#include "queue/jobq.h"
#include "queue/porlookup.h"

#define REASM_SLOTS      256     /* PoRs being reassembled at once */
#define REASM_TTL_MS     120000u /* a PoR's missing segments will not come after this */
#define DRAIN_EXTRA_S    10.0    /* drain timeout = slowest response timeout + this */
#define FLUSH_S          3.0     /* after a drain timeout: time left for Redis */
#define START_GRACE_S    10.0    /* take jobs once a carrier is bound, or after this */
#define POR_MAP_EXTRA_MS 3600000 /* porix outlives the deadline like jobq's por map */

/* One job on its way to the SMSC: from gw_link_submit of its first SM to
 * the answer of its last. The links hold a pointer to it (gw_sm.ctx) until
 * each SM is answered, so it is freed only then (or after the links). */
struct pending {
    struct gw_daemon *d;
    struct jobq_job *job; /* NULL once handed back */
    struct pending *prev, *next;
    unsigned carrier; /* index into cfg->carriers */
    char country[3];
    char tar[7];
    unsigned nseg;      /* SMs of the packet */
    unsigned nqueued;   /* accepted by gw_link_submit */
    unsigned nanswered; /* of those, with a final callback */
    unsigned nok, nretry, nfail, nunknown, ndrain;
    int submitting; /* inside the submit loop: callbacks must not resolve */
    char reason[192];
    char msgid[UDH_SM_MAX][DLR_KEYS][DLR_KEY_MAX]; /* every key of each SM's id */
};

/* A PoR from reassembly to jobq_por_decoded's answer. */
struct porctx {
    struct gw_daemon *d;
    char msisdn[21];
    char carrier[GW_NAME_MAX];
    char country[3]; /* of the MSISDN (E.164 table), "" unknown */
    char tar[7];
    char keyset[GW_NAME_MAX]; /* the one that opened it */
    size_t len;
    uint8_t tpud[C348_POR_UDH + UDH_PAYLOAD_MAX];
    /* Once opened: what goes to jobq_por_decoded (kept while the job is
     * looked up by counter, on_por_job). */
    uint64_t cntr;
    uint8_t status;
    size_t data_len;
    uint8_t data[512];
    /* The response read against the job's script (por_decode). */
    int decoded;
    struct ota_result res;
    char what[128]; /* the script's summary */
    char job[JOBQ_ID_MAX + 1];
    int link;       /* carrier index of the deliver_sm that brought it */
    uint64_t token; /* its deliver_sm_resp, answered once recorded */
};

/* A receipt on its way to jobq. */
struct rcptctx {
    struct gw_daemon *d;
    char carrier[GW_NAME_MAX];
    char country[3]; /* of the handset (the receipt's source_addr), "" unknown */
    char stat[16], err[8];
    char key[DLR_KEY_MAX]; /* the first key, for the log */
    int link;              /* carrier index of the deliver_sm that brought it */
    uint64_t token;        /* its deliver_sm_resp, answered once recorded */
};

struct gw_daemon {
    struct ev_loop *loop;
    const struct gw_config *cfg;
    const struct gw_keystore *keys;
    const struct gw_e164 *e164;
    struct jobq *q;
    struct jobq_porlookup *pl;
    struct gw_link *links[GW_MAX_CARRIERS];
    int drained[GW_MAX_CARRIERS];
    struct gw_metrics *metrics;
    struct gw_http *http;
    unsigned napplets;
    struct ota_applet applets[GW_MAX_APPLETS];
    const struct ota_applet *applet_default;

    struct pending *pendings; /* list, for the stop */
    unsigned calls;           /* receipts and PoRs waiting for jobq */
    uint8_t concat_ref;

    struct udh_reasm reasm;
    struct udh_reasm_slot reasm_slots[REASM_SLOTS];

    int started; /* jobq resumed after start-up */
    int stopping;
    int timed_out;
    ev_tstamp stop_at, give_up_at;
    ev_signal sigterm, sigint;
    ev_timer grace, tick, drain_timeout;

    /* Scratch, loop thread only (too large for the stack of a callback). */
    struct ota_script script;
    struct ota_script porscript; /* a PoR's job's script, rebuilt to read its answer */
    uint8_t pkt[C348_PKT_MAX];
    struct udh_sm sms[UDH_SM_MAX];
    struct udh_msg msg;
    uint8_t porbuf[C348_PKT_MAX + 16];
};

/* ---- small helpers ----------------------------------------------------- */

static void tar_hex(const uint8_t t[3], char out[7])
{
    snprintf(out, 7, "%02x%02x%02x", t[0], t[1], t[2]);
}

/* "job=<key>" or "job=<key> carrier=<name>" (carrier NULL: the first),
 * the log object of the job path, without printf: it is built for every
 * job whether or not the line is logged. */
static const char *job_obj(char *buf, size_t cap, const char *key, const char *carrier)
{
    const char *part[4] = {"job=", key, carrier ? " carrier=" : "", carrier ? carrier : ""};
    size_t o = 0;
    for (int i = 0; i < 4; i++) {
        size_t l = strlen(part[i]);
        if (l > cap - 1 - o)
            l = cap - 1 - o;
        memcpy(buf + o, part[i], l);
        o += l;
    }
    buf[o] = '\0';
    return buf;
}

static const char *mask(const char *msisdn, char *buf, size_t cap)
{
    return gw_log_msisdn(msisdn, buf, cap);
}

static unsigned metric_carrier(const struct gw_daemon *d, const char *name)
{
    return d->metrics ? gw_metrics_carrier_id(d->metrics, name) : 0;
}

static unsigned metric_country(struct gw_daemon *d, const char *cc)
{
    return d->metrics ? gw_metrics_country_id(d->metrics, cc) : 0;
}

static void count_final(struct gw_daemon *d, const char *carrier, const char *country,
                        const char *state)
{
    if (!d->metrics || !state)
        return;
    enum gw_metrics_final f;
    if (!strcmp(state, "confirmed"))
        f = GW_FINAL_CONFIRMED;
    else if (!strcmp(state, "rejected"))
        f = GW_FINAL_REJECTED;
    else if (!strcmp(state, "failed"))
        f = GW_FINAL_FAILED;
    else if (!strcmp(state, "expired"))
        f = GW_FINAL_EXPIRED;
    else
        return;
    gw_metrics_job_final(d->metrics, metric_carrier(d, carrier), metric_country(d, country), f);
}

/* ---- 1. the job path ------------------------------------------------------ */

static void on_outcome(void *cbud, int err, const char *result, const char *job)
{
    struct gw_daemon *d = cbud;
    char obj[96];
    snprintf(obj, sizeof obj, "job=%s", job);
    if (err)
        GW_LOG(GW_LOG_WARNING, "job", obj, "outcome not recorded: %s", strerror(-err));
    else
        GW_LOG(GW_LOG_DEBUG, "job", obj, "recorded: %s", result);
    /* "rejected" is counted by reject(), with its country and step. */
    if (!err && !strcmp(result, "failed"))
        count_final(d, NULL, NULL, result);
}

/* step: the job path's step that refuses (docs/daemon.md "The job path"),
 * the metric's reason: keyset, route, script, security, fit, packet.
 * Counted when asked, not on Redis's reply: jobq keeps the call and replays
 * it after a reconnection, and a replay whose first send was recorded is
 * answered "final" — the job was rejected once, and is counted once. */
static void reject(struct gw_daemon *d, struct jobq_job *job, const char *country, const char *step,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reject(struct gw_daemon *d, struct jobq_job *job, const char *country, const char *step,
                   const char *fmt, ...)
{
    char reason[320], obj[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(obj, sizeof obj, "job=%s", job->key);
    GW_LOG(GW_LOG_INFO, "job", obj, "rejected: %s", reason);
    char cc[3] = "";
    if (!country || !*country) /* rejected before routing: the msisdn's country */
        if (gw_e164_lookup(d->e164, job->msisdn, cc, NULL) == GW_E164_OK)
            country = cc;
    if (d->metrics)
        gw_metrics_job_rejected(d->metrics, GW_REJECT_PREPARE,
                                gw_metrics_reason_id(d->metrics, step),
                                metric_country(d, country && *country ? country : NULL));
    if (jobq_job_rejected(d->q, job, reason, on_outcome, d) != 0)
        GW_LOG(GW_LOG_ERR, "job", obj, "cannot hand the rejected job back");
}

static void retry_later(struct gw_daemon *d, struct jobq_job *job, const char *reason)
{
    char obj[96];
    snprintf(obj, sizeof obj, "job=%s", job->key);
    GW_LOG(GW_LOG_INFO, "job", obj, "not sent now, retry later: %s", reason);
    if (jobq_submit_failed(d->q, job, 1, reason, on_outcome, d) != 0)
        GW_LOG(GW_LOG_ERR, "job", obj, "cannot hand the job back");
}

static int carrier_up(void *arg, unsigned index)
{
    struct gw_daemon *d = arg;
    return index < d->cfg->ncarriers && d->links[index] && gw_link_can_send(d->links[index]);
}

/* The applet profile a method=applet job uses: the one its `applet` field
 * names, else the only one configured or the one named "default". NULL
 * when none fits (ota_script_build then rejects naming the field). */
static const struct ota_applet *applet_for(const struct gw_daemon *d, const char *name)
{
    if (!name[0])
        return d->applet_default;
    for (unsigned i = 0; i < d->napplets; i++)
        if (strcmp(d->applets[i].name, name) == 0)
            return &d->applets[i];
    return NULL;
}

/* jobq's validated job -> ota's view of it. Strings are borrowed from job
 * (and slot, the caller's buffer). */
static void ota_job_from(const struct gw_daemon *d, const struct jobq_job *job, char slot[8],
                         struct ota_job *o)
{
    memset(o, 0, sizeof *o);
    o->type = job->type == JOBQ_SWITCH   ? OTA_JOB_SWITCH
              : job->type == JOBQ_CONFIG ? OTA_JOB_CONFIG
                                         : OTA_JOB_APDU;
    o->method = job->method == JOBQ_METHOD_APPLET    ? OTA_METHOD_APPLET
                : job->method == JOBQ_METHOD_IMSI    ? OTA_METHOD_IMSI
                : job->method == JOBQ_METHOD_PROFILE ? OTA_METHOD_PROFILE
                                                     : OTA_METHOD_NONE;
    o->card_class = strcmp(job->card_class, "sim") == 0 ? OTA_CLASS_SIM : OTA_CLASS_UICC;
    if (job->method == JOBQ_METHOD_APPLET) {
        snprintf(slot, 8, "%u", job->slot);
        o->slot = slot;
        o->applet = applet_for(d, job->applet);
        o->applet_name = o->applet ? o->applet->name : job->applet;
    }
    o->action = job->action ? jobq_action_name(job->action) : NULL;
    o->read_back = job->readback;
    if (job->format) {
        o->format_set = 1;
        o->format = job->format == JOBQ_FORMAT_EXPANDED ? OTA_FMT_EXPANDED : OTA_FMT_COMPACT;
    }
    o->imsi = job->imsi;
    o->aid = job->aid;
    o->file = job->file;
    o->value = job->value;
    o->tar = job->tar;
    o->apdus = job->apdus;
}

static void pending_unlink(struct pending *p)
{
    struct gw_daemon *d = p->d;
    if (p->prev)
        p->prev->next = p->next;
    else if (d->pendings == p)
        d->pendings = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

/* Every SM queued has its answer: one outcome for the job. */
static void pending_resolve(struct pending *p)
{
    if (p->submitting || p->nanswered < p->nqueued || !p->job)
        return;
    struct gw_daemon *d = p->d;
    const struct gw_carrier *c = &d->cfg->carriers[p->carrier];
    struct jobq_job *job = p->job;
    p->job = NULL;
    char obj[128];
    job_obj(obj, sizeof obj, job->key, c->name);
    /* Every key of each SM's id ("" for an SM not answered). */
    const char *ids[UDH_SM_MAX * DLR_KEYS];
    for (unsigned i = 0; i < p->nseg; i++)
        for (unsigned k = 0; k < DLR_KEYS; k++)
            ids[i * DLR_KEYS + k] = p->msgid[i][k];
    int rc = 0;
    if (p->nfail) {
        GW_LOG(GW_LOG_INFO, "job", obj, "failed: %s", p->reason);
        rc = jobq_submit_failed(d->q, job, 0, p->reason, on_outcome, d);
    } else if (p->nunknown) {
        GW_LOG(GW_LOG_WARNING, "job", obj, "%u of %u SM(s) unanswered: outcome unknown, %s",
               p->nunknown, p->nseg,
               job->por == JOBQ_POR_ALWAYS ? "waiting for a PoR" : "no PoR asked for: retrying");
        rc = jobq_unknown_outcome_keys(d->q, job, c->name, p->tar, ids, DLR_KEYS, p->nseg,
                                       on_outcome, d);
    } else if (p->nok == p->nseg) {
        GW_LOG(GW_LOG_INFO, "job", obj, "submitted: %u SM(s), message id %s%s", p->nseg, ids[0],
               p->nseg > 1 ? ", ..." : "");
        rc = jobq_job_submitted_keys(d->q, job, c->name, p->country, p->tar, ids, DLR_KEYS, p->nseg,
                                     on_outcome, d);
        if (rc == -EINVAL) /* cannot happen with ids from dlr; never lose the job */
            rc = jobq_unknown_outcome(d->q, job, c->name, p->tar, on_outcome, d);
    } else if (p->nok == 0 && p->nretry == 0 && p->ndrain) {
        GW_LOG(GW_LOG_INFO, "job", obj, "released unsent (drain, or its lease was lost)");
        jobq_job_release(d->q, job);
    } else {
        if (!p->reason[0])
            snprintf(p->reason, sizeof p->reason, "%u of %u SM(s) not accepted by carrier %s",
                     p->nseg - p->nok, p->nseg, c->name);
        GW_LOG(GW_LOG_INFO, "job", obj, "transient failure: %s", p->reason);
        rc = jobq_submit_failed(d->q, job, 1, p->reason, on_outcome, d);
    }
    if (rc != 0)
        GW_LOG(GW_LOG_ERR, "job", obj, "cannot hand the job back: %s", strerror(-rc));
    pending_unlink(p);
    free(p);
}

/* Queues the SMs of one packet on carrier ci. Returns the number queued
 * (0: none, reason in p->reason). */
static unsigned submit_sms(struct gw_daemon *d, struct pending *p, unsigned ci, unsigned n)
{
    const struct jobq_job *job = p->job;
    for (unsigned i = 0; i < n; i++) {
        struct gw_sm sm = {0};
        snprintf(sm.dest, sizeof sm.dest, "%s", job->msisdn);
        memcpy(sm.ud, d->sms[i].ud, d->sms[i].len);
        sm.ud_len = d->sms[i].len;
        sm.udhi = 1;
        sm.deadline = (time_t)(job->deadline_ms / 1000);
        sm.ctx = p;
        sm.ctx_id = i;
        int rc = gw_link_submit(d->links[ci], &sm);
        if (rc != 0) {
            snprintf(p->reason, sizeof p->reason, "carrier %s refused SM %u/%u: %s",
                     d->cfg->carriers[ci].name, i + 1, n,
                     rc == -ENOBUFS     ? "queue full"
                     : rc == -ESHUTDOWN ? "draining"
                     : rc == -ETIME     ? "deadline already passed"
                                        : strerror(-rc));
            return i;
        }
        if (d->metrics)
            gw_metrics_submit(d->metrics, metric_carrier(d, d->cfg->carriers[ci].name), 0,
                              metric_country(d, p->country));
    }
    return n;
}

static void on_job_ready(void *ud, struct jobq_job *job)
{
    struct gw_daemon *d = ud;
    char obj[128], err[320], m[32];
    job_obj(obj, sizeof obj, job->key, NULL);
    if (d->stopping) {
        jobq_job_release(d->q, job);
        return;
    }
    GW_LOG(GW_LOG_DEBUG, "job", obj, "ready: %s to %s, attempt %u, keyset %s, class %s",
           jobq_type_name(job->type), mask(job->msisdn, m, sizeof m), job->attempt, job->keyset,
           job->card_class);

    /* Keyset: named by the job or the card (jobq filled it). */
    const struct gw_keyset *ks = gw_keystore_find(d->keys, job->keyset);
    if (!ks) {
        reject(d, job, NULL, "keyset", "keyset: '%s' is not in the keystore of gateway %s",
               job->keyset, d->cfg->name);
        return;
    }

    /* Route: country, [route], [policy], forced carrier. */
    struct gw_route_plan plan;
    enum gw_route_status rs =
        gw_route_msisdn(d->cfg, d->e164, job->msisdn, job->carrier, carrier_up, d, &plan);
    if (rs == GW_ROUTE_REJECT) {
        reject(d, job, plan.country, "route", "%s", plan.reason);
        return;
    }
    if (rs == GW_ROUTE_RETRY) {
        retry_later(d, job, plan.reason);
        return;
    }
    unsigned ci = plan.carriers[0];
    const struct gw_carrier *car = &d->cfg->carriers[ci];

    /* The command script. */
    struct ota_job oj;
    char slot[8];
    ota_job_from(d, job, slot, &oj);
    if (job->method == JOBQ_METHOD_APPLET && !oj.applet && !job->applet[0]) {
        reject(d, job, plan.country, "script",
               "applet: %u applet profile(s) configured; the gateway needs exactly one, or one "
               "named 'default'",
               d->napplets);
        return;
    }
    struct ota_script *s = &d->script;
    if (ota_script_build(&oj, s, err, sizeof err) != 0) {
        reject(d, job, plan.country, "script", "%s", err);
        return;
    }

    /* Security: the keyset's SPI with the job's PoR wish (SPI2 b2b1, TS 102
     * 225 §5.1.1), checked against what the target demands. */
    uint16_t spi = ks->spi & (uint16_t)~C348_SPI2_POR_MASK;
    spi |= job->por == JOBQ_POR_ALWAYS  ? C348_SPI2_POR_ALWAYS
           : job->por == JOBQ_POR_ERROR ? C348_SPI2_POR_ON_ERROR
                                        : C348_SPI2_POR_NONE;
    if (ota_script_check_security(s, spi, ks->kic, ks->kid, err, sizeof err) != 0) {
        reject(d, job, plan.country, "security", "keyset %s: %s", ks->name, err);
        return;
    }
    size_t pkt_len = 0;
    unsigned nsms = 0;
    if (ota_script_fit(s, spi, ks->kic, ks->kid, car->max_sms, &pkt_len, &nsms, err, sizeof err) !=
        0) {
        reject(d, job, plan.country, "fit", "%s (carrier %s, keyset %s)", err, car->name, ks->name);
        return;
    }

    /* The secured packet with this attempt's counter (never reused: jobq
     * allocated it in Redis). */
    struct c348_params p = {
        .spi = spi,
        .kic = ks->kic,
        .kid = ks->kid,
        .cntr = job->counter,
        .kic_key_len = ks->kic_key_len,
        .kid_key_len = ks->kid_key_len,
    };
    memcpy(p.tar, s->tar, 3);
    memcpy(p.kic_key, ks->kic_key, ks->kic_key_len);
    memcpy(p.kid_key, ks->kid_key, ks->kid_key_len);
    int len = c348_params_check(&p);
    if (len == 0)
        len = c348_cmd_build(&p, s->data, s->len, d->pkt, sizeof d->pkt);
    OPENSSL_cleanse(&p, sizeof p);
    if (len < 0) {
        reject(d, job, plan.country, "packet", "keyset %s: %s", ks->name, c348_strerror(len));
        return;
    }
    int n =
        udh_split(UDH_IEI_CPI, d->pkt, (size_t)len, UDH_REF8, d->concat_ref++, d->sms, UDH_SM_MAX);
    OPENSSL_cleanse(d->pkt, (size_t)len);
    if (n <= 0 || (unsigned)n > car->max_sms) {
        reject(d, job, plan.country, "fit", "script: the packet does not fit %u SM(s): %s",
               car->max_sms, n < 0 ? udh_strerror(n) : "too many");
        return;
    }

    struct pending *pd = calloc(1, sizeof *pd);
    if (!pd) {
        retry_later(d, job, "out of memory");
        return;
    }
    pd->d = d;
    pd->job = job;
    pd->nseg = (unsigned)n;
    snprintf(pd->country, sizeof pd->country, "%s", plan.country);
    tar_hex(s->tar, pd->tar);

    /* Note the keyset for the PoR before anything leaves. */
    double now_ms = ev_time() * 1000.0;
    double ttl = (double)job->deadline_ms - now_ms + POR_MAP_EXTRA_MS;
    int nrc = jobq_porlookup_note(d->pl, job->msisdn, pd->tar, ks->name, job->counter,
                                  ttl > 60000 ? (uint64_t)ttl : 60000);
    if (nrc != 0)
        GW_LOG(GW_LOG_WARNING, "job", obj,
               "PoR index not written (%s): its PoR will be opened by trying the keystore",
               strerror(-nrc));

    /* First carrier that takes the first SM; the rest follow on it. */
    pd->submitting = 1;
    for (unsigned k = 0; k < plan.n && pd->nqueued == 0; k++) {
        unsigned cand = plan.carriers[k];
        if (d->cfg->carriers[cand].max_sms < (unsigned)n)
            continue;
        pd->carrier = cand;
        pd->nqueued = submit_sms(d, pd, cand, (unsigned)n);
    }
    pd->submitting = 0;
    if (pd->nqueued == 0) {
        char why[192];
        snprintf(why, sizeof why, "%s",
                 pd->reason[0] ? pd->reason : "no carrier of the route allows that many SMs");
        free(pd);
        retry_later(d, job, why);
        return;
    }
    pd->next = d->pendings;
    if (d->pendings)
        d->pendings->prev = pd;
    d->pendings = pd;
    job_obj(obj, sizeof obj, job->key, d->cfg->carriers[pd->carrier].name);
    GW_LOG(GW_LOG_INFO, "job", obj, "sending %s: %s, %u SM(s), cntr %llu, keyset %s, to %s",
           s->summary, pd->tar, pd->nseg, (unsigned long long)job->counter, ks->name,
           mask(job->msisdn, m, sizeof m));
    if (pd->nqueued < pd->nseg) /* the rest will never go: no complete packet */
        pd->nretry++;
    pending_resolve(pd);
}

/* ---- the links' answers --------------------------------------------------- */

static void on_submit_resp(void *owner, void *ctx, uint64_t ctx_id, uint32_t status,
                           enum gw_verdict verdict, const char *message_id, unsigned nkeys,
                           char keys[DLR_KEYS][DLR_KEY_MAX])
{
    struct gw_daemon *d = owner;
    struct pending *p = ctx;
    unsigned seg = (unsigned)ctx_id;
    const char *cname = d->cfg->carriers[p->carrier].name;
    if (verdict == GW_VERDICT_OK && seg < UDH_SM_MAX) {
        /* Every key: a receipt that reads the id in the other base still
         * finds the job (msgid_format = auto, docs/queue.md). */
        for (unsigned k = 0; k < DLR_KEYS; k++) {
            const char *v = k < nkeys ? keys[k] : k == 0 ? message_id : "";
            size_t l = strnlen(v, sizeof p->msgid[seg][k] - 1);
            memcpy(p->msgid[seg][k], v, l);
            p->msgid[seg][k][l] = '\0';
        }
        if (p->msgid[seg][0][0])
            p->nok++;
        else
            p->nunknown++;
    } else {
        if (d->metrics)
            gw_metrics_submit_error(d->metrics, metric_carrier(d, cname), status);
        if (verdict == GW_VERDICT_FAIL)
            p->nfail++;
        else
            p->nretry++;
        snprintf(p->reason, sizeof p->reason,
                 "carrier %s answered submit_sm (SM %u/%u) with command_status 0x%08x (%s)", cname,
                 seg + 1, p->nseg, (unsigned)status,
                 verdict == GW_VERDICT_FAIL ? "permanent" : "transient");
    }
    p->nanswered++;
    pending_resolve(p);
}

/* What the link keeps with an SM whose answer did not come in time: the
 * job outlives neither the pending nor this call, so what a late answer
 * needs to find it in Redis is copied here (bind.h submit_unknown). */
struct latetok {
    char job[JOBQ_ID_MAX + 1];
    unsigned attempt, seg, nseg; /* seg 1-based */
    unsigned carrier;            /* index into cfg->carriers */
};

static void *on_submit_unknown(void *owner, void *ctx, uint64_t ctx_id)
{
    (void)owner;
    struct pending *p = ctx;
    struct latetok *t = NULL;
    if (p->job && ctx_id < UDH_SM_MAX && (t = malloc(sizeof *t)) != NULL) {
        snprintf(t->job, sizeof t->job, "%s", p->job->key);
        t->attempt = p->job->attempt;
        t->seg = (unsigned)ctx_id + 1;
        t->nseg = p->nseg;
        t->carrier = p->carrier;
    }
    p->nunknown++;
    p->nanswered++;
    pending_resolve(p);
    return t;
}

struct latectx {
    struct gw_daemon *d;
    struct latetok t;
    char msgid[DLR_KEY_MAX];
};

static void on_late_done(void *cbud, int err, const char *result, const char *job)
{
    struct latectx *c = cbud;
    struct gw_daemon *d = c->d;
    const char *cname = d->cfg->carriers[c->t.carrier].name;
    char obj[160];
    (void)job;
    job_obj(obj, sizeof obj, c->t.job, cname);
    if (err)
        GW_LOG(GW_LOG_WARNING, "job", obj,
               "late message id %s (SM %u/%u, attempt %u) not recorded: %s; the job is retried "
               "as scheduled",
               c->msgid, c->t.seg, c->t.nseg, c->t.attempt, strerror(-err));
    else
        GW_LOG(GW_LOG_INFO, "job", obj, "late message id %s (SM %u/%u, attempt %u) -> %s", c->msgid,
               c->t.seg, c->t.nseg, c->t.attempt, result);
    if (!err && !strcmp(result, "failed"))
        count_final(d, cname, NULL, "failed");
    d->calls--;
    free(c);
}

/* The SMSC answered after all: with an id, its receipt can now find the
 * job and settle the unknown outcome before the retry goes (jobq_late_
 * submitted); an error answer means the SM was not taken, which the
 * scheduled retry already covers. */
static void on_submit_late(void *owner, void *tok, uint32_t status, const char *message_id,
                           unsigned nkeys, char keys[DLR_KEYS][DLR_KEY_MAX])
{
    struct gw_daemon *d = owner;
    const struct latetok *t = tok;
    if (status != 0 || !message_id[0])
        return;
    struct latectx *c = malloc(sizeof *c);
    if (!c)
        return;
    c->d = d;
    c->t = *t;
    snprintf(c->msgid, sizeof c->msgid, "%s", message_id);
    const char *k[DLR_KEYS];
    unsigned n = 0;
    for (unsigned i = 0; i < nkeys && i < DLR_KEYS; i++)
        k[n++] = keys[i];
    if (n == 0)
        k[n++] = c->msgid;
    d->calls++;
    int rc = jobq_late_submitted(d->q, d->cfg->carriers[t->carrier].name, t->job, t->attempt,
                                 t->seg, t->nseg, k, n, on_late_done, c);
    if (rc != 0) /* -EINVAL: nothing was sent, done did not run */
        on_late_done(c, rc, "", t->job);
}

/* Another instance took this job over (jobq could not renew its lease):
 * its SMs still queued are not sent, so the card does not get the command
 * twice; those already written cannot be recalled. */
static void on_lease_lost(void *ud, struct jobq_job *job)
{
    struct gw_daemon *d = ud;
    for (struct pending *p = d->pendings; p; p = p->next)
        if (p->job == job) {
            char obj[128];
            job_obj(obj, sizeof obj, job->key, d->cfg->carriers[p->carrier].name);
            unsigned left = p->nqueued - p->nanswered;
            unsigned n = d->links[p->carrier] ? gw_link_cancel(d->links[p->carrier], p) : 0;
            /* p may be gone now */
            GW_LOG(GW_LOG_WARNING, "job", obj,
                   "lease lost to another instance: %u queued SM(s) cancelled, %u already "
                   "written",
                   n, left - n);
            return;
        }
}

static void on_bounce(void *owner, void *ctx, uint64_t ctx_id, enum gw_bounce why, int requeued)
{
    struct gw_daemon *d = owner;
    struct pending *p = ctx;
    if (requeued)
        return; /* the link keeps it and sends it when a bind is back */
    const char *cname = d->cfg->carriers[p->carrier].name;
    switch (why) {
    case GW_BOUNCE_UNANSWERED:
        p->nunknown++;
        break;
    case GW_BOUNCE_DRAIN:
    case GW_BOUNCE_CANCELLED: /* on_lease_lost */
        p->ndrain++;
        break;
    case GW_BOUNCE_EXPIRED:
        p->nretry++;
        snprintf(p->reason, sizeof p->reason,
                 "SM %u/%u waited past the job's deadline in carrier %s's queue",
                 (unsigned)ctx_id + 1, p->nseg, cname);
        break;
    default:
        p->nretry++;
        snprintf(p->reason, sizeof p->reason, "SM %u/%u not sent: carrier %s's bind dropped",
                 (unsigned)ctx_id + 1, p->nseg, cname);
        break;
    }
    p->nanswered++;
    pending_resolve(p);
}

/* ---- 2. receipts ------------------------------------------------------------ */

/* The deliver_sm_resp of a receipt or PoR waits until jobq has recorded
 * it (gw_link_deliver_defer): answered OK before, a receipt or PoR whose
 * FCALL Redis never ran (killed, unreachable) was lost, and its job
 * expired although the card had done the work (the soak's "evidence
 * lost"). Now a failed record is answered ESME_RX_T_APPN (SMPP 3.4 §5.1.3)
 * and the SMSC delivers it again; if otagw dies first the deliver_sm was
 * never answered and the SMSC delivers it again too (§2.8). */
static uint64_t deliver_defer(struct gw_daemon *d, const char *carrier, int *link)
{
    int i = gw_config_carrier_index(d->cfg, carrier);
    *link = i;
    return i >= 0 && d->links[i] ? gw_link_deliver_defer(d->links[i]) : 0;
}

/* err: jobq's answer; -EINVAL (the call itself was refused) will not get
 * better with a redelivery, anything else might. */
static void deliver_answer(struct gw_daemon *d, int link, uint64_t token, int err)
{
    if (!token || link < 0 || !d->links[link])
        return;
    gw_link_deliver_answer(d->links[link], token,
                           err && err != -EINVAL ? SMPPF_ESME_RX_T_APPN : SMPPF_ESME_ROK);
}

static void on_receipt_done(void *cbud, int err, const char *result, const char *job)
{
    struct rcptctx *r = cbud;
    struct gw_daemon *d = r->d;
    char obj[160];
    snprintf(obj, sizeof obj, "carrier=%s msgid=%s%s%s", r->carrier, r->key,
             job && *job ? " job=" : "", job && *job ? job : "");
    if (err) {
        GW_LOG(GW_LOG_WARNING, "receipt", obj, "%s not recorded: %s%s", r->stat, strerror(-err),
               r->token && err != -EINVAL ? " (answered ESME_RX_T_APPN: the SMSC delivers it again)"
                                          : "");
    } else {
        GW_LOG(GW_LOG_INFO, "receipt", obj, "%s%s%s -> %s", r->stat, r->err[0] ? " err:" : "",
               r->err, result);
        if (!strcmp(result, "failed"))
            count_final(d, r->carrier, r->country, "failed");
    }
    deliver_answer(d, r->link, r->token, err);
    d->calls--;
    free(r);
}

/* Redis cannot take what the SMSC delivers now: answer ESME_RX_T_APPN
 * (SMPP 3.4 §5.1.3 "ESME Receiver Temporary App Error") so that the SMSC
 * delivers it again, instead of a deliver_sm_resp OK and a lost receipt or
 * PoR. Returns 1 when it did. */
static int refuse_if_down(struct gw_daemon *d, const char *carrier, const char *what)
{
    if (jobq_is_up(d->q))
        return 0;
    int i = gw_config_carrier_index(d->cfg, carrier);
    if (i >= 0 && d->links[i])
        gw_link_deliver_status(d->links[i], SMPPF_ESME_RX_T_APPN);
    char obj[64];
    snprintf(obj, sizeof obj, "carrier=%s", carrier);
    GW_LOG(GW_LOG_WARNING, what, obj,
           "redis down: %s answered ESME_RX_T_APPN, the SMSC will deliver it again", what);
    return 1;
}

static void on_receipt(void *owner, const struct dlr_receipt *rc, const char *carrier)
{
    struct gw_daemon *d = owner;
    if (rc->nkeys && refuse_if_down(d, carrier, "receipt"))
        return;
    /* SMPP 3.4 Appendix B: the receipt comes from the original SM's
     * destination, the handset: its country by the same E.164 table the job
     * was routed by (a job forced onto a carrier is counted the same way). */
    char country[3] = "";
    if (!rc->addr[0] || gw_e164_lookup(d->e164, rc->addr, country, NULL) != GW_E164_OK)
        country[0] = '\0';
    if (d->metrics)
        gw_metrics_receipt(d->metrics, metric_carrier(d, carrier),
                           metric_country(d, country[0] ? country : NULL),
                           gw_metrics_receipt_stat(dlr_stat_name(rc->stat)));
    if (rc->nkeys == 0)
        return;
    struct rcptctx *r = calloc(1, sizeof *r);
    if (!r) {
        GW_LOG(GW_LOG_ERR, "receipt", NULL, "out of memory: receipt %s dropped", rc->id);
        return;
    }
    r->d = d;
    snprintf(r->carrier, sizeof r->carrier, "%s", carrier);
    snprintf(r->country, sizeof r->country, "%s", country);
    snprintf(r->stat, sizeof r->stat, "%s", dlr_stat_name(rc->stat));
    snprintf(r->key, sizeof r->key, "%s", rc->keys[0]);
    if (rc->has_err)
        snprintf(r->err, sizeof r->err, "%03u", rc->err % 1000);
    /* Every reading of the id in one call (codec/dlr.h: under msgid_format
     * = auto an all-digit id is read in both bases): the first key that
     * names a job wins, and when none does yet the receipt is stashed under
     * each until the submit is recorded. */
    const char *keys[DLR_KEYS];
    unsigned nkeys = rc->nkeys > DLR_KEYS ? DLR_KEYS : rc->nkeys;
    if (nkeys > JOBQ_MSGID_KEYS)
        nkeys = JOBQ_MSGID_KEYS;
    for (unsigned i = 0; i < nkeys; i++)
        keys[i] = rc->keys[i];
    r->token = deliver_defer(d, carrier, &r->link);
    d->calls++;
    if (jobq_receipt_keys(d->q, r->carrier, keys, nkeys, r->stat, r->err, on_receipt_done, r) != 0)
        on_receipt_done(r, -EINVAL, "", "");
}

/* ---- 3. Proofs of Receipt ----------------------------------------------------- */

static void on_por_done(void *cbud, int err, const char *result, const char *job)
{
    struct porctx *c = cbud;
    struct gw_daemon *d = c->d;
    char obj[160], m[32];
    snprintf(obj, sizeof obj, "msisdn=%s tar=%s cntr=%llu%s%s", mask(c->msisdn, m, sizeof m),
             c->tar, (unsigned long long)c->cntr, job && *job ? " job=" : "",
             job && *job ? job : "");
    /* "stashed": no job is mapped to (msisdn, tar, cntr) yet (the PoR
     * overtook its submit_sm_resp); jobq applies it when the submit or the
     * unknown outcome of that counter is recorded, or drops it after
     * early_ttl_ms when no job was ever sent with it. */
    if (err)
        GW_LOG(GW_LOG_WARNING, "por", obj, "not recorded: %s%s", strerror(-err),
               c->token && err != -EINVAL ? " (answered ESME_RX_T_APPN: the SMSC delivers it again)"
                                          : "");
    else
        GW_LOG(GW_LOG_INFO, "por", obj, "-> %s%s", result,
               !strcmp(result, "stashed") ? " (no job for this counter yet: kept for it)" : "");
    if (!err)
        count_final(d, c->carrier, c->country[0] ? c->country : NULL, result);
    deliver_answer(d, c->link, c->token, err);
    d->calls--;
    free(c);
}

static void por_send(struct porctx *c)
{
    struct jobq_por_decoded dec = {
        .understood = c->decoded > 0,
        .ok = c->res.ok,
        .provisional = c->res.provisional,
        .sw = c->res.sw,
        .what = c->what,
        .detail = c->res.detail,
        .readback = c->res.readback,
    };
    int rc = jobq_por_decoded(c->d->q, c->msisdn, c->tar, c->cntr, c->status, c->data, c->data_len,
                              c->decoded ? &dec : NULL, on_por_done, c);
    if (rc != 0)
        on_por_done(c, rc, "", "");
}

/* Reads the PoR's response against the script of the job it answers: the
 * script is rebuilt from the job's record (ota_script_build is pure, and
 * the record holds every field it was built from; the card class and the
 * [applet] profiles are the same as when it was sent) and handed with the
 * response data to ota_result_decode. Only a PoR with status 00 carries
 * the script's answer (TS 102 225 §5.2); other statuses are classified by
 * their code. Sets c->decoded: 1 read, -1 data that does not read against
 * the script (res.detail says why), 0 not tried. */
static void por_decode(struct gw_daemon *d, struct porctx *c, const struct jobq_job *job)
{
    char obj[160], m[32], err[320], slot[8];
    snprintf(obj, sizeof obj, "msisdn=%s tar=%s cntr=%llu job=%s", mask(c->msisdn, m, sizeof m),
             c->tar, (unsigned long long)c->cntr, job->key);
    snprintf(c->job, sizeof c->job, "%s", job->key);
    if (c->status != 0x00)
        return;
    struct ota_job oj;
    ota_job_from(d, job, slot, &oj);
    struct ota_script *s = &d->porscript;
    if (ota_script_build(&oj, s, err, sizeof err) != 0) {
        GW_LOG(GW_LOG_WARNING, "por", obj,
               "the job's script cannot be rebuilt (%s): the PoR is classified by its status", err);
        return;
    }
    /* No response data: nothing to read (an RFM answer always has its
     * count and SW, TS 102 226 §5.1.2; an applet's may be empty). A PoR 00
     * from the ISD-R is its acceptance all the same: still provisional. */
    if (c->data_len == 0 && !s->raw) {
        if (s->provisional) {
            memset(&c->res, 0, sizeof c->res);
            c->res.ok = c->res.provisional = 1;
            c->res.failed = -1;
            c->decoded = 1;
            snprintf(c->what, sizeof c->what, "%s", s->summary);
        }
        return;
    }
    char t[7];
    tar_hex(s->tar, t);
    if (strcmp(t, c->tar) != 0) {
        GW_LOG(GW_LOG_WARNING, "por", obj,
               "the job's script goes to TAR %s, the PoR comes from %s: not read against it", t,
               c->tar);
        return;
    }
    int rc = ota_result_decode(s, c->data, c->data_len, &c->res);
    c->decoded = rc == 0 ? 1 : -1;
    snprintf(c->what, sizeof c->what, "%s", s->summary);
    GW_LOG(rc == 0 ? GW_LOG_INFO : GW_LOG_WARNING, "por", obj, "%s: %s%s%s%s", s->summary,
           c->res.detail, c->res.readback[0] ? "; read back " : "", c->res.readback,
           c->res.provisional ? " (provisional)" : "");
}

/* The job sent with (msisdn, tar, cntr) by this instance and not yet
 * handed to jobq (its submit_sm_resp has not come): a PoR that overtook
 * it. NULL when there is none. */
static const struct jobq_job *pending_job(const struct gw_daemon *d, const struct porctx *c)
{
    for (const struct pending *p = d->pendings; p; p = p->next)
        if (p->job && p->job->counter == c->cntr && !strcmp(p->tar, c->tar) &&
            !strcmp(p->job->msisdn, c->msisdn) && !strcmp(p->job->keyset, c->keyset))
            return p->job;
    return NULL;
}

/* jobq_porlookup_find_job's answer: the job of an older counter. */
static void on_por_job(void *cbud, int err, const struct jobq_por_candidate *cand, unsigned n)
{
    struct porctx *c = cbud;
    if (!err && n && cand[0].job && !strcmp(cand[0].job->keyset, c->keyset)) {
        char obj[160], m[32];
        snprintf(obj, sizeof obj, "msisdn=%s tar=%s cntr=%llu job=%s", mask(c->msisdn, m, sizeof m),
                 c->tar, (unsigned long long)c->cntr, cand[0].job->key);
        GW_LOG(GW_LOG_DEBUG, "por", obj,
               "not the latest command to this TAR: its job looked up by its counter");
        por_decode(c->d, c, cand[0].job);
    }
    por_send(c);
}

/* Opens the PoR with keyset ks; 0 or a negative enum c348_err. */
static int por_try(struct gw_daemon *d, const struct porctx *c, const struct gw_keyset *ks,
                   struct c348_por *out)
{
    struct c348_params p = {
        .spi = ks->spi,
        .kic = ks->kic,
        .kid = ks->kid,
        .kic_key_len = ks->kic_key_len,
        .kid_key_len = ks->kid_key_len,
    };
    memcpy(p.kic_key, ks->kic_key, ks->kic_key_len);
    memcpy(p.kid_key, ks->kid_key, ks->kid_key_len);
    int rc = c348_por_open(&p, c->tpud, c->len, 0, d->porbuf, sizeof d->porbuf, out);
    OPENSSL_cleanse(&p, sizeof p);
    return rc;
}

static void on_por_candidates(void *cbud, int err, const struct jobq_por_candidate *cand,
                              unsigned n)
{
    struct porctx *c = cbud;
    struct gw_daemon *d = c->d;
    char obj[160], m[32], tried[256] = "";
    snprintf(obj, sizeof obj, "msisdn=%s tar=%s carrier=%s", mask(c->msisdn, m, sizeof m), c->tar,
             c->carrier);
    if (err)
        GW_LOG(GW_LOG_WARNING, "por", obj, "PoR index unavailable (%s): trying the keystore",
               strerror(-err));
    struct c348_por por;
    const struct gw_keyset *ks = NULL;
    int last = 0;
    uint64_t cntr_hint = 0;
    size_t tl = 0;
    /* Keysets this card was sent commands with, newest counter first. */
    for (unsigned i = 0; i < n && !ks; i++) {
        const struct gw_keyset *k = gw_keystore_find(d->keys, cand[i].keyset);
        if (!k)
            continue;
        tl += (size_t)snprintf(tried + tl, tl < sizeof tried ? sizeof tried - tl : 0, "%s%s",
                               tl ? "," : "", k->name);
        last = por_try(d, c, k, &por);
        if (last == 0) {
            ks = k;
            cntr_hint = cand[i].cntr;
        }
    }
    /* Not in the index (written by an instance that could not reach Redis,
     * or expired): only a PoR whose RC/CC proves the keyset is accepted. */
    for (size_t i = 0; !ks && i < gw_keystore_count(d->keys); i++) {
        const struct gw_keyset *k = gw_keystore_at(d->keys, i);
        int seen = 0;
        for (unsigned j = 0; j < n; j++)
            seen |= strcmp(cand[j].keyset, k->name) == 0;
        if (seen)
            continue;
        tl += (size_t)snprintf(tried + tl, tl < sizeof tried ? sizeof tried - tl : 0, "%s%s",
                               tl ? "," : "", k->name);
        int rc = por_try(d, c, k, &por);
        if (rc == 0 && por.verified)
            ks = k;
        else if (rc != 0)
            last = rc;
        else
            last = C348_ERR_MAC; /* opened without a checksum: proves nothing */
    }
    char country[3] = "";
    if (gw_e164_lookup(d->e164, c->msisdn, country, NULL) != GW_E164_OK)
        country[0] = '\0';
    snprintf(c->country, sizeof c->country, "%s", country);
    if (!ks) {
        GW_LOG(GW_LOG_WARNING, "por", obj,
               "PoR fails verification (%s) with keyset(s) %s: not trusted, job not changed",
               c348_strerror(last), tried[0] ? tried : "(none)");
        if (d->metrics)
            gw_metrics_por_unverified(d->metrics, metric_carrier(d, c->carrier),
                                      metric_country(d, country[0] ? country : NULL));
        /* Without the index (Redis down) an unsecured PoR cannot be tied
         * to its keyset: let the SMSC bring it again. */
        deliver_answer(d, c->link, c->token, err);
        d->calls--;
        free(c);
        return;
    }
    /* TS 102 225 §5.2: a status found before the keys were proven goes
     * without security, with CNTR zeroed when the command's was ciphered:
     * it can only answer the latest command sent to this TAR. */
    uint64_t cntr = por.cntr;
    if (!por.verified && cntr == 0 && cntr_hint)
        cntr = cntr_hint;
    if (d->metrics)
        gw_metrics_por(d->metrics, metric_carrier(d, c->carrier), metric_country(d, country),
                       por.status);
    GW_LOG(GW_LOG_INFO, "por", obj, "PoR %s (%02X), cntr %llu, keyset %s%s, %zu octet(s) of data",
           c348_status_name(por.status), por.status, (unsigned long long)cntr, ks->name,
           por.verified ? "" : " (unsecured)", por.data_len);
    c->cntr = cntr;
    c->status = por.status;
    c->data_len = por.data_len < sizeof c->data ? por.data_len : sizeof c->data;
    memcpy(c->data, por.data, c->data_len);
    snprintf(c->keyset, sizeof c->keyset, "%s", ks->name);
    OPENSSL_cleanse(d->porbuf, sizeof d->porbuf);

    /* The job this PoR answers, to read its response against the job's
     * script: normally the lookup brought it (the latest counter of this
     * keyset); a PoR that overtook its submit_sm_resp finds it among this
     * instance's pending submits; one answering an older command (a late
     * PoR of an earlier attempt or job) is looked up by its counter, the
     * only case that costs a second round trip. */
    const struct jobq_job *job = NULL;
    int latest = 0;
    for (unsigned i = 0; i < n && !job; i++)
        if (cand[i].cntr == cntr && !strcmp(cand[i].keyset, ks->name)) {
            latest = 1;
            job = cand[i].job;
        }
    if (!job)
        job = pending_job(d, c);
    if (job) {
        por_decode(d, c, job);
    } else if (!latest && !err && c->status == 0x00) {
        int rc = jobq_porlookup_find_job(d->pl, c->msisdn, c->tar, cntr, on_por_job, c);
        if (rc == 0)
            return;
        GW_LOG(GW_LOG_DEBUG, "por", obj, "job of cntr %llu not looked up: %s",
               (unsigned long long)cntr, strerror(-rc));
    }
    por_send(c);
}

static void por_start(struct gw_daemon *d, const char *msisdn, const char *carrier,
                      const uint8_t *pkt, size_t len)
{
    char obj[128], m[32];
    snprintf(obj, sizeof obj, "msisdn=%s carrier=%s", mask(msisdn, m, sizeof m), carrier);
    /* RPL(2) RHL(1) TAR(3) ...: TS 102 225 §5.2; the TAR is never ciphered. */
    if (len < 6 || len > UDH_PAYLOAD_MAX) {
        GW_LOG(GW_LOG_WARNING, "por", obj, "response packet of %zu octet(s) ignored: too short",
               len);
        return;
    }
    struct porctx *c = calloc(1, sizeof *c);
    if (!c) {
        GW_LOG(GW_LOG_ERR, "por", obj, "out of memory: PoR dropped");
        return;
    }
    c->d = d;
    snprintf(c->msisdn, sizeof c->msisdn, "%s", msisdn[0] == '+' ? msisdn + 1 : msisdn);
    snprintf(c->carrier, sizeof c->carrier, "%s", carrier);
    tar_hex(pkt + 3, c->tar);
    c->tpud[0] = 0x02, c->tpud[1] = UDH_IEI_RPI, c->tpud[2] = 0x00;
    memcpy(c->tpud + C348_POR_UDH, pkt, len);
    c->len = C348_POR_UDH + len;
    c->token = deliver_defer(d, carrier, &c->link);
    d->calls++;
    int rc = jobq_porlookup_find(d->pl, c->msisdn, c->tar, on_por_candidates, c);
    if (rc != 0)
        on_por_candidates(c, rc, NULL, 0);
}

static void on_mo(void *owner, const struct gw_mo *mo, const char *carrier)
{
    struct gw_daemon *d = owner;
    char obj[128], m[32];
    snprintf(obj, sizeof obj, "msisdn=%s carrier=%s", mask(mo->source_addr, m, sizeof m), carrier);
    if (!mo->udhi) {
        GW_LOG(GW_LOG_INFO, "mo", obj, "MO of %zu octet(s) without a UDH ignored (not a PoR)",
               mo->ud_len);
        return;
    }
    /* Refused before reassembly: each segment comes again on its own. */
    if (refuse_if_down(d, carrier, "mo"))
        return;
    uint64_t now = (uint64_t)(ev_now(d->loop) * 1000.0);
    udh_reasm_expire(&d->reasm, now);
    int rc = udh_reasm_add(&d->reasm, mo->source_addr, now, mo->ud, mo->ud_len, &d->msg);
    if (rc < 0) {
        GW_LOG(GW_LOG_WARNING, "mo", obj, "MO UDH refused: %s", udh_strerror(rc));
        return;
    }
    if (rc != UDH_R_COMPLETE)
        return;
    if (d->msg.iei != UDH_IEI_RPI) {
        GW_LOG(GW_LOG_INFO, "mo", obj, "MO without a response packet identifier (IEI 71) ignored");
        return;
    }
    por_start(d, mo->source_addr, carrier, d->msg.data, d->msg.len);
}

/* ---- 4. links' states ------------------------------------------------------------ */

static void take_jobs(struct gw_daemon *d, const char *why)
{
    if (d->started || d->stopping)
        return;
    d->started = 1;
    ev_timer_stop(d->loop, &d->grace);
    jobq_pause(d->q, 0);
    GW_LOG(GW_LOG_NOTICE, "main", NULL, "taking jobs (%s)", why);
}

static void on_link_state(void *owner, const char *carrier, unsigned bind, enum gw_bind_role role,
                          enum gw_bind_state from, enum gw_bind_state to, const char *reason)
{
    struct gw_daemon *d = owner;
    char obj[96];
    snprintf(obj, sizeof obj, "carrier=%s bind=%u %s", carrier, bind, gw_bind_role_name(role));
    int lvl = to == GW_BIND_BOUND || from == GW_BIND_BOUND ? GW_LOG_NOTICE : GW_LOG_INFO;
    GW_LOG(lvl, "bind", obj, "%s -> %s%s%s", gw_bind_state_name(from), gw_bind_state_name(to),
           reason && *reason ? ": " : "", reason ? reason : "");
    /* bind.c numbers binds from 1, the registry from 0; a tx+rx pair is one
     * bind there, counted up by its transmitter. */
    unsigned cid = metric_carrier(d, carrier), bi = bind ? bind - 1 : 0;
    if (d->metrics && role != GW_ROLE_RX && (to == GW_BIND_BOUND || from == GW_BIND_BOUND))
        gw_metrics_set_bind_up(d->metrics, cid, bi, to == GW_BIND_BOUND);
    if (d->metrics && from == GW_BIND_BOUND && to == GW_BIND_DISCONNECTED)
        gw_metrics_reconnect(d->metrics, cid, bi);
    if (to == GW_BIND_BOUND)
        take_jobs(d, "a carrier is bound");
}

static void on_drained(void *owner, const char *carrier)
{
    struct gw_daemon *d = owner;
    int i = gw_config_carrier_index(d->cfg, carrier);
    if (i >= 0)
        d->drained[i] = 1;
    char obj[64];
    snprintf(obj, sizeof obj, "carrier=%s", carrier);
    GW_LOG(GW_LOG_NOTICE, "bind", obj, "drained");
}

/* ---- jobq's callbacks ---------------------------------------------------------- */

static void on_job_final(void *ud, const char *key, const char *state)
{
    struct gw_daemon *d = ud;
    char obj[96];
    snprintf(obj, sizeof obj, "job=%s", key);
    GW_LOG(GW_LOG_INFO, "job", obj, "%s", state);
    count_final(d, NULL, NULL, state);
}

static void on_queue_link(void *ud, int up, const char *why)
{
    (void)ud;
    if (up)
        GW_LOG(GW_LOG_NOTICE, "queue", NULL, "redis up");
    else
        GW_LOG(GW_LOG_WARNING, "queue", NULL, "redis down: %s", why);
}

static void on_queue_log(void *ud, int level, const char *msg)
{
    (void)ud;
    GW_LOG(level, "queue", NULL, "%s", msg);
}

/* Entries jobq refused at intake, told once Redis recorded them. */
static void on_queue_rejected(void *ud, const char *key, const char *reason, const char *country)
{
    struct gw_daemon *d = ud;
    (void)key; /* jobq logged it, with its reason */
    if (d->metrics)
        gw_metrics_job_rejected(d->metrics, GW_REJECT_INTAKE,
                                gw_metrics_reason_id(d->metrics, reason),
                                metric_country(d, country[0] ? country : NULL));
}

static void on_queue_duplicate(void *ud, const char *key, const char *country)
{
    struct gw_daemon *d = ud;
    char obj[96];
    snprintf(obj, sizeof obj, "job=%s", key);
    GW_LOG(GW_LOG_INFO, "job", obj, "duplicate: the id names an accepted job; entry ignored%s%s",
           country[0] ? ", country " : "", country);
    if (d->metrics)
        gw_metrics_job_duplicate(d->metrics);
}

/* The country jobq records at intake: the same E.164 table routing uses,
 * so a job rejected before it is routed still counts under its country. */
static void on_queue_country(void *ud, const char *msisdn, char cc[3])
{
    const struct gw_daemon *d = ud;
    if (gw_e164_lookup(d->e164, msisdn, cc, NULL) != GW_E164_OK)
        cc[0] = '\0';
}

/* ---- 5. start, signals, stop ------------------------------------------------------ */

static void settings_from(const struct gw_config *c, char *consumer, size_t cap,
                          struct jobq_settings *s)
{
    memset(s, 0, sizeof *s);
    s->host = c->redis_host;
    s->port = c->redis_port;
    s->user = c->redis_user[0] ? c->redis_user : NULL;
    s->password = c->redis_password[0] ? c->redis_password : NULL;
    s->db = c->redis_db;
    s->stream_jobs = c->stream_jobs;
    s->stream_events = c->stream_events;
    s->group = c->group;
    jobq_consumer_name(c->name, consumer, cap);
    s->consumer = consumer;
    s->batch = c->batch;
    s->max_inflight = c->max_inflight;
    s->max_attempts = c->max_attempts;
    s->default_validity = c->default_validity;
    s->default_class = c->default_card_class;
    s->lease_ms = c->lease_ms;
    s->claim_idle_ms = c->claim_idle_ms;
    s->scan_ms = c->scan_ms;
    s->retry_base_ms = c->retry_backoff_ms;
    s->retry_max_ms = c->retry_backoff_max_ms;
    s->reconcile_ms = c->reconcile_ms;
    jobq_settings_defaults(s);
}

static int all_quiet(const struct gw_daemon *d)
{
    for (unsigned i = 0; i < d->cfg->ncarriers; i++)
        if (d->links[i] && !d->drained[i])
            return 0;
    return !d->pendings && d->calls == 0 && jobq_inflight(d->q) == 0;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct gw_daemon *d = w->data;
    if (d->metrics) {
        gw_metrics_set_inflight(d->metrics, jobq_inflight(d->q));
        uint64_t depth = 0;
        for (unsigned i = 0; i < d->cfg->ncarriers; i++) {
            struct gw_link_stats st;
            if (!d->links[i])
                continue;
            gw_link_stats(d->links[i], &st);
            depth += st.queue_depth;
        }
        gw_metrics_set_queue_depth(d->metrics, depth);
    }
    if (!d->stopping)
        return;
    /* The queue's blocking read may still bring entries: let it return so
     * they are released now rather than reclaimed minutes later. */
    struct jobq_settings s;
    memset(&s, 0, sizeof s);
    jobq_settings_defaults(&s);
    if (ev_now(loop) - d->stop_at < s.block_ms / 1000.0 + 0.2)
        return;
    if (all_quiet(d) ||
        (d->timed_out && (jobq_inflight(d->q) == 0 || ev_now(loop) > d->give_up_at)))
        ev_break(loop, EVBREAK_ALL);
}

static void on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_daemon *d = w->data;
    ev_timer_stop(loop, w);
    d->timed_out = 1;
    unsigned n = 0;
    /* SMs still unanswered: they may have reached the SMSC. The PoR map is
     * stored so that a PoR still confirms them; jobq retries them after. */
    for (struct pending *p = d->pendings; p; p = p->next) {
        if (!p->job)
            continue;
        n++;
        p->nunknown += p->nqueued - p->nanswered;
        p->nanswered = p->nqueued;
        struct jobq_job *job = p->job;
        p->job = NULL;
        (void)jobq_unknown_outcome(d->q, job, d->cfg->carriers[p->carrier].name, p->tar, on_outcome,
                                   d);
    }
    GW_LOG(GW_LOG_WARNING, "main", NULL,
           "drain timed out: %u job(s) with SMs unanswered handed back as unknown outcome", n);
    /* Give Redis FLUSH_S more to record them, then leave regardless. */
    d->give_up_at = ev_now(loop) + FLUSH_S;
}

void gw_daemon_stop(struct gw_daemon *d)
{
    if (!d || d->stopping)
        return;
    d->stopping = 1;
    d->stop_at = ev_now(d->loop);
    unsigned n = 0;
    for (struct pending *p = d->pendings; p; p = p->next)
        n += p->job != NULL;
    GW_LOG(GW_LOG_NOTICE, "main", NULL,
           "stopping: no new jobs, draining %u carrier(s), %u job(s) being sent", d->cfg->ncarriers,
           n);
    ev_timer_stop(d->loop, &d->grace);
    jobq_pause(d->q, 1);
    for (unsigned i = 0; i < d->cfg->ncarriers; i++)
        if (d->links[i])
            gw_link_drain(d->links[i]);
    double t = 0;
    for (unsigned i = 0; i < d->cfg->ncarriers; i++)
        if (d->cfg->carriers[i].response_timeout_ms / 1000.0 > t)
            t = d->cfg->carriers[i].response_timeout_ms / 1000.0;
    ev_timer_set(&d->drain_timeout, t + DRAIN_EXTRA_S, 0);
    ev_timer_start(d->loop, &d->drain_timeout);
    d->tick.repeat = 0.05; /* watch the drain closely */
    ev_timer_again(d->loop, &d->tick);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_daemon *d = w->data;
    GW_LOG(GW_LOG_NOTICE, "main", NULL, "%s received", w->signum == SIGTERM ? "SIGTERM" : "SIGINT");
    gw_daemon_stop(d);
}

static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    take_jobs(w->data, "no carrier bound yet; jobs wait in the retry set until one is");
}

static int applet_load(const struct gw_applet_conf *a, struct ota_applet *out, char *err,
                       size_t errlen)
{
    const char *k[GW_APPLET_MAX_KV], *v[GW_APPLET_MAX_KV];
    for (unsigned j = 0; j < a->nkv && j < GW_APPLET_MAX_KV; j++)
        k[j] = a->kv[j].key, v[j] = a->kv[j].value;
    return ota_applet_from_kv(out, a->name, k, v, a->nkv, err, errlen) == 0 ? 0 : -1;
}

int gw_daemon_check_applets(const struct gw_config *cfg, char *err, size_t errlen)
{
    struct ota_applet a;
    for (unsigned i = 0; i < cfg->napplets; i++)
        if (applet_load(&cfg->applets[i], &a, err, errlen) != 0)
            return -1;
    return 0;
}

static int load_applets(struct gw_daemon *d, char *err, size_t errlen)
{
    const struct gw_config *c = d->cfg;
    for (unsigned i = 0; i < c->napplets; i++) {
        if (applet_load(&c->applets[i], &d->applets[i], err, errlen) != 0)
            return -1;
        if (strcmp(c->applets[i].name, "default") == 0)
            d->applet_default = &d->applets[i];
    }
    d->napplets = c->napplets;
    if (c->napplets == 1)
        d->applet_default = &d->applets[0];
    return 0;
}

struct gw_daemon *gw_daemon_new(struct ev_loop *loop, const struct gw_config *cfg,
                                const struct gw_keystore *keys, const struct gw_e164 *e164,
                                char *err, size_t errlen)
{
    struct gw_daemon *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->loop = loop;
    d->cfg = cfg;
    d->keys = keys;
    d->e164 = e164;
    d->concat_ref = (uint8_t)(ev_time() * 1000.0);
    udh_reasm_init(&d->reasm, d->reasm_slots, REASM_SLOTS, REASM_TTL_MS);
    if (load_applets(d, err, errlen) != 0)
        goto fail;

    char consumer[128], why[512];
    struct jobq_settings s;
    settings_from(cfg, consumer, sizeof consumer, &s);
    if (jobq_check(&s, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        goto fail;
    }
    struct jobq_callbacks qcb = {
        .job_ready = on_job_ready,
        .job_final = on_job_final,
        .link = on_queue_link,
        .log = on_queue_log,
        .country = on_queue_country,
        .intake_rejected = on_queue_rejected,
        .intake_duplicate = on_queue_duplicate,
        .lease_lost = on_lease_lost,
    };
    d->q = jobq_new(loop, &s, &qcb, d);
    d->pl = d->q ? jobq_porlookup_new(loop, &s) : NULL;
    if (!d->q || !d->pl) {
        snprintf(err, errlen, "cannot create the Redis clients");
        goto fail;
    }
    jobq_pause(d->q, 1); /* until a carrier is bound (or the grace period) */

    if (cfg->metrics_port) {
        d->metrics = gw_metrics_new(cfg);
        if (!d->metrics) {
            snprintf(err, errlen, "out of memory (metrics)");
            goto fail;
        }
        int rc = gw_http_start(d->metrics, cfg->metrics_bind, cfg->metrics_port, &d->http);
        if (rc != 0) {
            snprintf(err, errlen, "metrics endpoint %s:%u: %s", cfg->metrics_bind,
                     cfg->metrics_port, strerror(-rc));
            goto fail;
        }
    }

    static const struct gw_link_cbs lcb = {
        .submit_resp = on_submit_resp,
        .submit_unknown = on_submit_unknown,
        .submit_late = on_submit_late,
        .bounce = on_bounce,
        .receipt = on_receipt,
        .mo = on_mo,
        .state = on_link_state,
        .drained = on_drained,
    };
    gw_link_log_level(cfg->log_level);
    for (unsigned i = 0; i < cfg->ncarriers; i++) {
        d->links[i] = gw_link_new(loop, &cfg->carriers[i], &lcb, d, 0);
        if (!d->links[i]) {
            snprintf(err, errlen, "carrier %s: %s", cfg->carriers[i].name, strerror(errno));
            goto fail;
        }
    }

    ev_signal_init(&d->sigterm, on_signal, SIGTERM);
    ev_signal_init(&d->sigint, on_signal, SIGINT);
    d->sigterm.data = d->sigint.data = d;
    ev_timer_init(&d->grace, on_grace, cfg->ncarriers ? START_GRACE_S : 0.0, 0);
    d->grace.data = d;
    ev_timer_init(&d->tick, on_tick, 1.0, 1.0);
    d->tick.data = d;
    ev_init(&d->drain_timeout, on_drain_timeout);
    d->drain_timeout.data = d;
    return d;
fail:
    gw_daemon_free(d);
    return NULL;
}

int gw_daemon_run(struct gw_daemon *d)
{
    signal(SIGPIPE, SIG_IGN);
    ev_signal_start(d->loop, &d->sigterm);
    ev_signal_start(d->loop, &d->sigint);
    ev_timer_start(d->loop, &d->grace);
    ev_timer_start(d->loop, &d->tick);
    GW_LOG(GW_LOG_NOTICE, "main", NULL, "running: %u carrier(s), %u applet profile(s)%s",
           d->cfg->ncarriers, d->napplets, d->http ? ", metrics on" : "");
    ev_run(d->loop, 0);
    ev_signal_stop(d->loop, &d->sigterm);
    ev_signal_stop(d->loop, &d->sigint);
    ev_timer_stop(d->loop, &d->tick);
    ev_timer_stop(d->loop, &d->grace);
    ev_timer_stop(d->loop, &d->drain_timeout);
    GW_LOG(GW_LOG_NOTICE, "main", NULL, "stopped%s",
           d->timed_out ? " after a drain timeout" : ": everything drained");
    return d->timed_out ? 1 : 0;
}

void gw_daemon_free(struct gw_daemon *d)
{
    if (!d)
        return;
    for (unsigned i = 0; i < GW_MAX_CARRIERS; i++) {
        gw_link_free(d->links[i]); /* no callbacks: pendings can go after */
        d->links[i] = NULL;        /* jobq_free's callbacks answer nothing */
    }
    while (d->pendings) {
        struct pending *p = d->pendings;
        d->pendings = p->next;
        if (p->job) /* never handed back (no drain): the lease runs out in Redis */
            jobq_job_release(d->q, p->job);
        free(p);
    }
    jobq_porlookup_free(d->pl);
    jobq_free(d->q);
    gw_http_stop(d->http);
    gw_metrics_free(d->metrics);
    OPENSSL_cleanse(d->porbuf, sizeof d->porbuf);
    OPENSSL_cleanse(&d->script, sizeof d->script);
    free(d);
}
