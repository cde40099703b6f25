/* metrics.c — the metric registry (storage, label ids) and its rendering in
 * the Prometheus text exposition format 0.0.4.
 *
 * Storage is flat arrays sized once from the config: a block per (carrier,
 * country) pair, a block per (carrier, bind), error counters per carrier,
 * rejections per (stage, reason, country).
 * Ids index them directly. See metrics.h for the threading rule (one writer,
 * the loop; relaxed atomics; the HTTP thread renders). */
#include "gateway/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Latency buckets, seconds. An SMS leg takes from tens of milliseconds
 * (SMSC ack) to hours (receipt of a handset that was off), so the buckets
 * run from 50 ms to a day, closer together where the SLOs sit. */
static const double buckets[] = {0.05, 0.1, 0.25, 0.5, 1,    2.5,  5,     10,   30,
                                 60,   120, 300,  900, 1800, 3600, 14400, 86400};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

typedef _Atomic uint64_t counter_t;

/* Single writer: a relaxed load + store is an atomic increment as far as any
 * reader can tell, and compiles to a plain add (no bus lock). */
static inline void inc(counter_t *c)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static inline void add(counter_t *c, uint64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

static inline uint64_t get(const counter_t *c)
{
    return atomic_load_explicit((counter_t *)c, memory_order_relaxed);
}

struct hist {
    counter_t bucket[NBUCKETS + 1]; /* non-cumulative; last is +Inf */
    counter_t sum_us;               /* microseconds */
};

struct pair {
    _Atomic int touched; /* rendered once set (or when routed) */
    int routed;          /* fixed at start: the country's route names the carrier */
    counter_t submits;
    counter_t receipts[GW_RCPT_N];
    counter_t por[GW_POR_N];
    counter_t por_unverified;
    counter_t jobs[GW_FINAL_N];
    struct hist lat[GW_STAGE_N];
};

struct bindm {
    counter_t submits, throttles, reconnects;
    counter_t window; /* gauges are stored as counters: single writer too */
    counter_t up;
};

/* SMPP 3.4 §5.1.3 command_status values, by name. */
static const struct {
    uint32_t code;
    const char *name;
} statuses[] = {
    {0x01, "ESME_RINVMSGLEN"},       {0x02, "ESME_RINVCMDLEN"},
    {0x03, "ESME_RINVCMDID"},        {0x04, "ESME_RINVBNDSTS"},
    {0x05, "ESME_RALYBND"},          {0x06, "ESME_RINVPRTFLG"},
    {0x07, "ESME_RINVREGDLVFLG"},    {0x08, "ESME_RSYSERR"},
    {0x0A, "ESME_RINVSRCADR"},       {0x0B, "ESME_RINVDSTADR"},
    {0x0C, "ESME_RINVMSGID"},        {0x0D, "ESME_RBINDFAIL"},
    {0x0E, "ESME_RINVPASWD"},        {0x0F, "ESME_RINVSYSID"},
    {0x11, "ESME_RCANCELFAIL"},      {0x13, "ESME_RREPLACEFAIL"},
    {0x14, "ESME_RMSGQFUL"},         {0x15, "ESME_RINVSERTYP"},
    {0x33, "ESME_RINVNUMDESTS"},     {0x34, "ESME_RINVDLNAME"},
    {0x40, "ESME_RINVDESTFLAG"},     {0x42, "ESME_RINVSUBREP"},
    {0x43, "ESME_RINVESMCLASS"},     {0x44, "ESME_RCNTSUBDL"},
    {0x45, "ESME_RSUBMITFAIL"},      {0x48, "ESME_RINVSRCTON"},
    {0x49, "ESME_RINVSRCNPI"},       {0x50, "ESME_RINVDSTTON"},
    {0x51, "ESME_RINVDSTNPI"},       {0x53, "ESME_RINVSYSTYP"},
    {0x54, "ESME_RINVREPFLAG"},      {0x55, "ESME_RINVNUMMSGS"},
    {0x58, "ESME_RTHROTTLED"},       {0x61, "ESME_RINVSCHED"},
    {0x62, "ESME_RINVEXPIRY"},       {0x63, "ESME_RINVDFTMSGID"},
    {0x64, "ESME_RX_T_APPN"},        {0x65, "ESME_RX_P_APPN"},
    {0x66, "ESME_RX_R_APPN"},        {0x67, "ESME_RQUERYFAIL"},
    {0xC0, "ESME_RINVOPTPARSTREAM"}, {0xC1, "ESME_ROPTPARNOTALLWD"},
    {0xC2, "ESME_RINVPARLEN"},       {0xC3, "ESME_RMISSINGOPTPARAM"},
    {0xC4, "ESME_RINVOPTPARAMVAL"},  {0xFE, "ESME_RDELIVERYFAILURE"},
    {0xFF, "ESME_RUNKNOWNERR"},
};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1) /* + other */

static const char *const rcpt_names[GW_RCPT_N] = {
    "DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE", "other",
};

static const char *const final_names[GW_FINAL_N] = {
    "confirmed", "delivered", "rejected", "failed", "expired",
};

static const struct {
    const char *name, *help;
} stage_fam[GW_STAGE_N] = {
    {"otagw_enqueue_to_submit_seconds",
     "Time from a job's intake (state received) to its first submit_sm."},
    {"otagw_submit_to_receipt_seconds", "Time from submit_sm to the SMSC's delivery receipt."},
    {"otagw_receipt_to_por_seconds",
     "Time from the delivery receipt to the SIM's Proof of Receipt."},
    {"otagw_enqueue_to_final_seconds", "Time from a job's intake to its final state."},
};

struct gw_metrics {
    char gateway[GW_NAME_MAX];
    unsigned ncarriers;           /* configured; id ncarriers is "other" */
    char (*carrier)[GW_NAME_MAX]; /* [ncarriers] */
    unsigned *bind_base, *nbinds; /* [ncarriers]: offset into binds */
    unsigned ccap;                /* country slots; id ccap is "other" */
    unsigned nconf;               /* configured countries */
    _Atomic unsigned ncountries;  /* published with release */
    char (*country)[3];           /* [ccap] */
    struct pair *pairs;           /* [(ncarriers+1) * (ccap+1)] */
    struct bindm *binds;          /* [sum nbinds] */
    counter_t *errors;            /* [(ncarriers+1) * NSTATUS] */
    counter_t queue_depth, inflight;
    _Atomic unsigned nreasons; /* learnt; id GW_METRICS_REASONS is "other" */
    char reason[GW_METRICS_REASONS][GW_METRICS_REASON_MAX + 1];
    counter_t *rejected; /* [GW_REJECT_N][GW_METRICS_REASONS + 1][ccap + 1] */
    counter_t duplicates;
};

static const char *const reject_stage_names[GW_REJECT_N] = {"intake", "prepare"};

static int is_iso2(const char *s)
{
    return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0';
}

static int cmp_cc(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int route_has(const struct gw_route *r, unsigned carrier)
{
    for (unsigned i = 0; i < r->ncarriers && i < GW_ROUTE_MAX_HOP; i++)
        if (r->carriers[i] == carrier)
            return 1;
    return 0;
}

static struct pair *pair_at(const struct gw_metrics *m, unsigned carrier, unsigned country)
{
    if (carrier > m->ncarriers)
        carrier = m->ncarriers;
    if (country > m->ccap)
        country = m->ccap;
    return &m->pairs[(size_t)carrier * (m->ccap + 1) + country];
}

static void touch(struct pair *p)
{
    if (!atomic_load_explicit(&p->touched, memory_order_relaxed))
        atomic_store_explicit(&p->touched, 1, memory_order_relaxed);
}

struct gw_metrics *gw_metrics_new(const struct gw_config *c)
{
    struct gw_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    snprintf(m->gateway, sizeof m->gateway, "%s", c->name);
    m->ncarriers = c->ncarriers < GW_MAX_CARRIERS ? c->ncarriers : GW_MAX_CARRIERS;
    m->carrier = calloc(m->ncarriers + 1, sizeof *m->carrier);
    m->bind_base = calloc(m->ncarriers + 1, sizeof *m->bind_base);
    m->nbinds = calloc(m->ncarriers + 1, sizeof *m->nbinds);
    unsigned nb = 0;
    for (unsigned i = 0; m->carrier && m->bind_base && m->nbinds && i < m->ncarriers; i++) {
        snprintf(m->carrier[i], GW_NAME_MAX, "%s", c->carriers[i].name);
        m->bind_base[i] = nb;
        m->nbinds[i] = c->carriers[i].binds ? c->carriers[i].binds : 1;
        nb += m->nbinds[i];
    }

    /* Configured countries: routes and policies, sorted, without repeats. */
    unsigned cap = c->nroutes + c->npolicies + GW_METRICS_EXTRA_COUNTRIES;
    m->country = calloc(cap ? cap : 1, sizeof *m->country);
    if (!m->carrier || !m->bind_base || !m->nbinds || !m->country)
        goto fail;
    unsigned n = 0;
    for (unsigned i = 0; i < c->nroutes && i < GW_MAX_ROUTES; i++)
        if (is_iso2(c->routes[i].country))
            memcpy(m->country[n++], c->routes[i].country, 3);
    for (unsigned i = 0; i < c->npolicies && i < GW_MAX_ROUTES; i++)
        if (is_iso2(c->policies[i].country))
            memcpy(m->country[n++], c->policies[i].country, 3);
    qsort(m->country, n, sizeof *m->country, cmp_cc);
    unsigned u = 0;
    for (unsigned i = 0; i < n; i++)
        if (u == 0 || strcmp(m->country[u - 1], m->country[i]) != 0)
            memmove(m->country[u++], m->country[i], 3);
    m->nconf = u;
    m->ccap = u + GW_METRICS_EXTRA_COUNTRIES;
    atomic_init(&m->ncountries, u);

    m->pairs = calloc((size_t)(m->ncarriers + 1) * (m->ccap + 1), sizeof *m->pairs);
    m->binds = calloc(nb ? nb : 1, sizeof *m->binds);
    m->errors = calloc((size_t)(m->ncarriers + 1) * NSTATUS, sizeof *m->errors);
    m->rejected =
        calloc((size_t)GW_REJECT_N * (GW_METRICS_REASONS + 1) * (m->ccap + 1), sizeof *m->rejected);
    if (!m->pairs || !m->binds || !m->errors || !m->rejected)
        goto fail;

    /* Pairs a route can produce are shown from the start, at zero. */
    for (unsigned k = 0; k < m->ncarriers; k++) {
        for (unsigned j = 0; j < m->nconf; j++) {
            const struct gw_route *r = NULL;
            for (unsigned i = 0; i < c->nroutes && i < GW_MAX_ROUTES; i++)
                if (strcmp(c->routes[i].country, m->country[j]) == 0)
                    r = &c->routes[i];
            if (!r)
                r = &c->default_route;
            pair_at(m, k, j)->routed = route_has(r, k);
        }
        pair_at(m, k, m->ccap)->routed = route_has(&c->default_route, k);
    }
    return m;
fail:
    gw_metrics_free(m);
    return NULL;
}

void gw_metrics_free(struct gw_metrics *m)
{
    if (!m)
        return;
    free(m->carrier);
    free(m->bind_base);
    free(m->nbinds);
    free(m->country);
    free(m->pairs);
    free(m->binds);
    free(m->errors);
    free(m->rejected);
    free(m);
}

unsigned gw_metrics_carrier_id(const struct gw_metrics *m, const char *name)
{
    for (unsigned i = 0; name && i < m->ncarriers; i++)
        if (strcmp(m->carrier[i], name) == 0)
            return i;
    return m->ncarriers;
}

unsigned gw_metrics_country_id(struct gw_metrics *m, const char *iso2)
{
    if (!is_iso2(iso2))
        return m->ccap;
    unsigned n = atomic_load_explicit(&m->ncountries, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++)
        if (m->country[i][0] == iso2[0] && m->country[i][1] == iso2[1])
            return i;
    if (n >= m->ccap)
        return m->ccap;
    /* Learn it: write the name, then publish the count (release), so the
     * renderer (acquire) never sees a slot before its name. */
    memcpy(m->country[n], iso2, 3);
    atomic_store_explicit(&m->ncountries, n + 1, memory_order_release);
    return n;
}

unsigned gw_metrics_reason_id(struct gw_metrics *m, const char *reason)
{
    size_t len = reason ? strlen(reason) : 0;
    if (len == 0 || len > GW_METRICS_REASON_MAX ||
        strspn(reason, "abcdefghijklmnopqrstuvwxyz"
                       "0123456789_") != len ||
        strcmp(reason, "other") == 0)
        return GW_METRICS_REASONS;
    unsigned n = atomic_load_explicit(&m->nreasons, memory_order_relaxed);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(m->reason[i], reason) == 0)
            return i;
    if (n >= GW_METRICS_REASONS)
        return GW_METRICS_REASONS;
    /* As for countries: the name first, then the count (release). */
    memcpy(m->reason[n], reason, len + 1);
    atomic_store_explicit(&m->nreasons, n + 1, memory_order_release);
    return n;
}

static counter_t *rejected_at(const struct gw_metrics *m, unsigned stage, unsigned reason,
                              unsigned country)
{
    if (reason > GW_METRICS_REASONS)
        reason = GW_METRICS_REASONS;
    if (country > m->ccap)
        country = m->ccap;
    return &m->rejected[((size_t)stage * (GW_METRICS_REASONS + 1) + reason) * (m->ccap + 1) +
                        country];
}

enum gw_metrics_receipt gw_metrics_receipt_stat(const char *stat)
{
    for (int i = 0; stat && i < GW_RCPT_OTHER; i++)
        if (strcmp(rcpt_names[i], stat) == 0)
            return (enum gw_metrics_receipt)i;
    return GW_RCPT_OTHER;
}

static struct bindm *bind_at(struct gw_metrics *m, unsigned carrier, unsigned bind)
{
    if (carrier >= m->ncarriers || bind >= m->nbinds[carrier])
        return NULL;
    return &m->binds[m->bind_base[carrier] + bind];
}

void gw_metrics_submit(struct gw_metrics *m, unsigned carrier, unsigned bind, unsigned country)
{
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    inc(&p->submits);
    struct bindm *b = bind_at(m, carrier, bind);
    if (b)
        inc(&b->submits);
}

static unsigned status_index(uint32_t st)
{
    /* The table is sorted by code: binary search. */
    unsigned lo = 0, hi = NSTATUS - 1;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (statuses[mid].code < st)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < NSTATUS - 1 && statuses[lo].code == st ? lo : NSTATUS - 1;
}

void gw_metrics_submit_error(struct gw_metrics *m, unsigned carrier, uint32_t command_status)
{
    if (carrier > m->ncarriers)
        carrier = m->ncarriers;
    inc(&m->errors[(size_t)carrier * NSTATUS + status_index(command_status)]);
}

void gw_metrics_throttle(struct gw_metrics *m, unsigned carrier, unsigned bind)
{
    struct bindm *b = bind_at(m, carrier, bind);
    if (b)
        inc(&b->throttles);
}

void gw_metrics_reconnect(struct gw_metrics *m, unsigned carrier, unsigned bind)
{
    struct bindm *b = bind_at(m, carrier, bind);
    if (b)
        inc(&b->reconnects);
}

void gw_metrics_receipt(struct gw_metrics *m, unsigned carrier, unsigned country,
                        enum gw_metrics_receipt stat)
{
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    inc(&p->receipts[(unsigned)stat < GW_RCPT_N ? stat : GW_RCPT_OTHER]);
}

void gw_metrics_por(struct gw_metrics *m, unsigned carrier, unsigned country, uint8_t status)
{
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    inc(&p->por[status < GW_POR_N - 1 ? status : GW_POR_N - 1]);
}

void gw_metrics_por_unverified(struct gw_metrics *m, unsigned carrier, unsigned country)
{
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    inc(&p->por_unverified);
}

void gw_metrics_job_final(struct gw_metrics *m, unsigned carrier, unsigned country,
                          enum gw_metrics_final state)
{
    if ((unsigned)state >= GW_FINAL_N)
        return;
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    inc(&p->jobs[state]);
}

void gw_metrics_job_rejected(struct gw_metrics *m, enum gw_metrics_reject_stage stage,
                             unsigned reason, unsigned country)
{
    if ((unsigned)stage >= GW_REJECT_N)
        return;
    inc(rejected_at(m, stage, reason, country));
    gw_metrics_job_final(m, m->ncarriers, country, GW_FINAL_REJECTED);
}

void gw_metrics_job_duplicate(struct gw_metrics *m)
{
    inc(&m->duplicates);
}

void gw_metrics_observe(struct gw_metrics *m, enum gw_metrics_stage stage, unsigned carrier,
                        unsigned country, double seconds)
{
    if ((unsigned)stage >= GW_STAGE_N)
        return;
    if (!(seconds > 0)) /* also NaN */
        seconds = 0;
    struct pair *p = pair_at(m, carrier, country);
    touch(p);
    struct hist *h = &p->lat[stage];
    unsigned i = 0;
    while (i < NBUCKETS && seconds > buckets[i])
        i++;
    inc(&h->bucket[i]);
    add(&h->sum_us, seconds < 1e12 ? (uint64_t)(seconds * 1e6 + 0.5) : (uint64_t)1e18);
}

static void set(counter_t *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

void gw_metrics_set_window(struct gw_metrics *m, unsigned carrier, unsigned bind, unsigned in_use)
{
    struct bindm *b = bind_at(m, carrier, bind);
    if (b)
        set(&b->window, in_use);
}

void gw_metrics_set_bind_up(struct gw_metrics *m, unsigned carrier, unsigned bind, int up)
{
    struct bindm *b = bind_at(m, carrier, bind);
    if (b)
        set(&b->up, up ? 1 : 0);
}

void gw_metrics_set_queue_depth(struct gw_metrics *m, uint64_t depth)
{
    set(&m->queue_depth, depth);
}

void gw_metrics_set_inflight(struct gw_metrics *m, uint64_t jobs)
{
    set(&m->inflight, jobs);
}

const double *gw_metrics_buckets(size_t *n)
{
    *n = NBUCKETS;
    return buckets;
}

/* --- Rendering ----------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

__attribute__((format(printf, 2, 3))) static void put(struct buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

/* A label value, escaped as the format asks: \ " and newline. */
static void put_label(struct buf *b, const char *name, const char *v, int first)
{
    put(b, "%s%s=\"", first ? "" : ",", name);
    for (; *v; v++) {
        if (*v == '\\')
            put(b, "\\\\");
        else if (*v == '"')
            put(b, "\\\"");
        else if (*v == '\n')
            put(b, "\\n");
        else
            put(b, "%c", *v);
    }
    put(b, "\"");
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *carrier_name(const struct gw_metrics *m, unsigned k)
{
    return k < m->ncarriers ? m->carrier[k] : "other";
}

/* The pair to show at (k, j), or NULL: countries beyond the ones known
 * yet are skipped; a pair shows once routed or touched. */
static const struct pair *shown(const struct gw_metrics *m, unsigned nc, unsigned k, unsigned j)
{
    if (j >= nc && j != m->ccap)
        return NULL;
    const struct pair *p = pair_at(m, k, j);
    if (!p->routed && !atomic_load_explicit((_Atomic int *)&p->touched, memory_order_relaxed))
        return NULL;
    return p;
}

typedef void pair_fn(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                     const struct pair *p, unsigned arg);

/* Calls fn for every pair shown: carriers in config order then "other",
 * countries in id order then "other". */
static void each_pair(struct buf *b, const struct gw_metrics *m, unsigned nc, pair_fn *fn,
                      unsigned arg)
{
    for (unsigned k = 0; k <= m->ncarriers; k++)
        for (unsigned j = 0; j <= m->ccap; j++) {
            const struct pair *p = shown(m, nc, k, j);
            if (p)
                fn(b, m, k, j, p, arg);
        }
}

static const char *country_name(const struct gw_metrics *m, unsigned j)
{
    return j < m->ccap ? m->country[j] : "other";
}

static void pair_labels(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j)
{
    put_label(b, "carrier", carrier_name(m, k), 1);
    put_label(b, "country", country_name(m, j), 0);
}

static void bind_labels(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned i)
{
    put_label(b, "carrier", m->carrier[k], 1);
    put(b, ",bind=\"%u\"", i);
}

static void render_hist(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                        const struct pair *p, unsigned s)
{
    const char *name = stage_fam[s].name;
    const struct hist *h = &p->lat[s];
    uint64_t cum = 0, total = 0;
    for (unsigned i = 0; i <= NBUCKETS; i++)
        total += get(&h->bucket[i]);
    if (!total) /* 20 lines of zeros per pair would drown the rest */
        return;
    for (unsigned i = 0; i <= NBUCKETS; i++) {
        cum += get(&h->bucket[i]);
        put(b, "%s_bucket{", name);
        pair_labels(b, m, k, j);
        if (i < NBUCKETS)
            put(b, ",le=\"%g\"} %" PRIu64 "\n", buckets[i], cum);
        else
            put(b, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
    }
    uint64_t us = get(&h->sum_us);
    put(b, "%s_sum{", name);
    pair_labels(b, m, k, j);
    put(b, "} %" PRIu64 ".%06" PRIu64 "\n", us / 1000000, us % 1000000);
    put(b, "%s_count{", name);
    pair_labels(b, m, k, j);
    put(b, "} %" PRIu64 "\n", cum);
}

static void render_submits(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                           const struct pair *p, unsigned arg)
{
    (void)arg;
    put(b, "otagw_submits_total{");
    pair_labels(b, m, k, j);
    put(b, "} %" PRIu64 "\n", get(&p->submits));
}

static void render_receipts(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                            const struct pair *p, unsigned arg)
{
    (void)arg;
    for (unsigned s = 0; s < GW_RCPT_N; s++) {
        uint64_t v = get(&p->receipts[s]);
        if (!v)
            continue;
        put(b, "otagw_receipts_total{");
        pair_labels(b, m, k, j);
        put(b, ",stat=\"%s\"} %" PRIu64 "\n", rcpt_names[s], v);
    }
}

static void render_por(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                       const struct pair *p, unsigned arg)
{
    (void)arg;
    for (unsigned s = 0; s < GW_POR_N; s++) {
        uint64_t v = get(&p->por[s]);
        if (!v)
            continue;
        put(b, "otagw_por_total{");
        pair_labels(b, m, k, j);
        if (s < GW_POR_N - 1)
            put(b, ",status=\"0x%02X\"} %" PRIu64 "\n", s, v);
        else
            put(b, ",status=\"other\"} %" PRIu64 "\n", v);
    }
}

static void render_por_unverified(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                                  const struct pair *p, unsigned arg)
{
    (void)arg;
    uint64_t v = get(&p->por_unverified);
    if (!v)
        return;
    put(b, "otagw_por_unverified_total{");
    pair_labels(b, m, k, j);
    put(b, "} %" PRIu64 "\n", v);
}

static void render_jobs(struct buf *b, const struct gw_metrics *m, unsigned k, unsigned j,
                        const struct pair *p, unsigned arg)
{
    (void)arg;
    for (unsigned s = 0; s < GW_FINAL_N; s++) {
        uint64_t v = get(&p->jobs[s]);
        if (!v)
            continue;
        put(b, "otagw_jobs_total{");
        pair_labels(b, m, k, j);
        put(b, ",state=\"%s\"} %" PRIu64 "\n", final_names[s], v);
    }
}

/* Rejections with a count, by stage, then reason (learnt order, "other"
 * last), then country (id order, "other" last). */
static void render_rejected(struct buf *b, const struct gw_metrics *m, unsigned nc)
{
    unsigned nr = atomic_load_explicit((_Atomic unsigned *)&m->nreasons, memory_order_acquire);
    for (unsigned s = 0; s < GW_REJECT_N; s++)
        for (unsigned r = 0; r <= GW_METRICS_REASONS; r++) {
            if (r >= nr && r != GW_METRICS_REASONS)
                continue;
            for (unsigned j = 0; j <= m->ccap; j++) {
                if (j >= nc && j != m->ccap)
                    continue;
                uint64_t v = get(rejected_at(m, s, r, j));
                if (!v)
                    continue;
                put(b, "otagw_jobs_rejected_total{stage=\"%s\"", reject_stage_names[s]);
                put_label(b, "reason", r < GW_METRICS_REASONS ? m->reason[r] : "other", 0);
                put_label(b, "country", country_name(m, j), 0);
                put(b, "} %" PRIu64 "\n", v);
            }
        }
}

int gw_metrics_render(const struct gw_metrics *m, char **out, size_t *len)
{
    struct buf b = {.cap = 16384};
    b.p = malloc(b.cap);
    if (!b.p)
        return -ENOMEM;
    b.p[0] = '\0';
    unsigned nc = atomic_load_explicit((_Atomic unsigned *)&m->ncountries, memory_order_acquire);

    family(&b, "otagw_info", "gauge", "Always 1; the gateway's name from [gateway] name.");
    put(&b, "otagw_info{");
    put_label(&b, "gateway", m->gateway, 1);
    put(&b, "} 1\n");

    family(&b, "otagw_submits_total", "counter",
           "submit_sm PDUs sent (every segment and every attempt).");
    each_pair(&b, m, nc, render_submits, 0);

    family(&b, "otagw_bind_submits_total", "counter", "submit_sm PDUs sent, per bind.");
    for (unsigned k = 0; k < m->ncarriers; k++)
        for (unsigned i = 0; i < m->nbinds[k]; i++) {
            put(&b, "otagw_bind_submits_total{");
            bind_labels(&b, m, k, i);
            put(&b, "} %" PRIu64 "\n", get(&m->binds[m->bind_base[k] + i].submits));
        }

    family(&b, "otagw_submit_errors_total", "counter",
           "submit_sm_resp with a non-zero command_status (SMPP 3.4 5.1.3).");
    for (unsigned k = 0; k <= m->ncarriers; k++)
        for (unsigned s = 0; s < NSTATUS; s++) {
            uint64_t v = get(&m->errors[(size_t)k * NSTATUS + s]);
            if (!v)
                continue;
            put(&b, "otagw_submit_errors_total{");
            put_label(&b, "carrier", carrier_name(m, k), 1);
            if (s < NSTATUS - 1)
                put(&b, ",status=\"0x%08" PRIX32 "\",name=\"%s\"} %" PRIu64 "\n", statuses[s].code,
                    statuses[s].name, v);
            else
                put(&b, ",status=\"other\",name=\"other\"} %" PRIu64 "\n", v);
        }

    family(&b, "otagw_throttles_total", "counter",
           "Submits held back: ESME_RTHROTTLED from the SMSC or our own TPS/window limit.");
    for (unsigned k = 0; k < m->ncarriers; k++)
        for (unsigned i = 0; i < m->nbinds[k]; i++) {
            put(&b, "otagw_throttles_total{");
            bind_labels(&b, m, k, i);
            put(&b, "} %" PRIu64 "\n", get(&m->binds[m->bind_base[k] + i].throttles));
        }

    family(&b, "otagw_reconnects_total", "counter", "Bind (re)connection attempts.");
    for (unsigned k = 0; k < m->ncarriers; k++)
        for (unsigned i = 0; i < m->nbinds[k]; i++) {
            put(&b, "otagw_reconnects_total{");
            bind_labels(&b, m, k, i);
            put(&b, "} %" PRIu64 "\n", get(&m->binds[m->bind_base[k] + i].reconnects));
        }

    family(&b, "otagw_receipts_total", "counter",
           "Delivery receipts by stat (SMPP 3.4 Appendix B).");
    each_pair(&b, m, nc, render_receipts, 0);

    family(&b, "otagw_por_total", "counter",
           "Proofs of Receipt by response status code (TS 102 225 5.1.2).");
    each_pair(&b, m, nc, render_por, 0);

    family(&b, "otagw_por_unverified_total", "counter",
           "Response packets no keyset opened or verified (RC/CC, TS 102 225 5.2): never trusted, "
           "no job changed.");
    each_pair(&b, m, nc, render_por_unverified, 0);

    family(&b, "otagw_jobs_total", "counter", "Jobs by final state.");
    each_pair(&b, m, nc, render_jobs, 0);

    family(&b, "otagw_jobs_rejected_total", "counter",
           "Jobs rejected, by stage (intake: the entry refused on arrival; prepare: a valid job "
           "this gateway cannot send) and reason (the job's field, or the daemon's step).");
    render_rejected(&b, m, nc);

    family(&b, "otagw_jobs_duplicate_total", "counter",
           "Entries whose job id was already accepted from another entry: acknowledged, the job "
           "untouched.");
    put(&b, "otagw_jobs_duplicate_total %" PRIu64 "\n", get(&m->duplicates));

    for (unsigned s = 0; s < GW_STAGE_N; s++) {
        family(&b, stage_fam[s].name, "histogram", stage_fam[s].help);
        each_pair(&b, m, nc, render_hist, s);
    }

    family(&b, "otagw_window_in_use", "gauge", "submit_sm awaiting their response, per bind.");
    for (unsigned k = 0; k < m->ncarriers; k++)
        for (unsigned i = 0; i < m->nbinds[k]; i++) {
            put(&b, "otagw_window_in_use{");
            bind_labels(&b, m, k, i);
            put(&b, "} %" PRIu64 "\n", get(&m->binds[m->bind_base[k] + i].window));
        }

    family(&b, "otagw_bind_up", "gauge", "1 when the bind is bound, else 0.");
    for (unsigned k = 0; k < m->ncarriers; k++)
        for (unsigned i = 0; i < m->nbinds[k]; i++) {
            put(&b, "otagw_bind_up{");
            bind_labels(&b, m, k, i);
            put(&b, "} %" PRIu64 "\n", get(&m->binds[m->bind_base[k] + i].up));
        }

    family(&b, "otagw_binds_up", "gauge", "Binds bound, per carrier.");
    for (unsigned k = 0; k < m->ncarriers; k++) {
        uint64_t up = 0;
        for (unsigned i = 0; i < m->nbinds[k]; i++)
            up += get(&m->binds[m->bind_base[k] + i].up);
        put(&b, "otagw_binds_up{");
        put_label(&b, "carrier", m->carrier[k], 1);
        put(&b, "} %" PRIu64 "\n", up);
    }

    family(&b, "otagw_queue_depth", "gauge", "Jobs waiting on the jobs stream for this group.");
    put(&b, "otagw_queue_depth %" PRIu64 "\n", get(&m->queue_depth));
    family(&b, "otagw_jobs_in_flight", "gauge", "Jobs taken by this instance and not final yet.");
    put(&b, "otagw_jobs_in_flight %" PRIu64 "\n", get(&m->inflight));

    if (b.oom) {
        free(b.p);
        return -ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
