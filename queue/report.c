/* report.c — folds the event stream into per-job records and summarises
 * them per country and/or carrier (see report.h). Reads Redis with blocking
 * hiredis: `otactl report` is a one-shot command, not the daemon's loop. */
#include "queue/report.h"

#include <errno.h>
#include <hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum st { S_RECEIVED, S_SUBMITTED, S_DELIVERED, S_CONFIRMED, S_REJECTED, S_FAILED, S_EXPIRED, S_N };

static const char *const st_names[S_N] = {
    "received", "submitted", "delivered", "confirmed", "rejected", "failed", "expired",
};

#define NONE       INT64_MIN
#define MAX_ID_LEN 256
#define REASON_MAX 72

/* One job: 80 bytes whatever its history. */
struct job {
    uint64_t hash;
    uint32_t key, keylen;              /* its id in r->ids; keylen 0 = empty slot */
    int64_t t[S_N];                    /* first time of each state, ms; NONE when not seen */
    int64_t t_final;                   /* time of the final state's first event */
    uint32_t carrier, country, reason; /* interned; 0 = none */
    uint8_t final;                     /* S_CONFIRMED..S_EXPIRED, or S_N */
};

/* Interned strings: id 0 is "unknown", the rest are looked up by hash. */
struct strtab {
    char **s;
    uint32_t n, cap;
    uint32_t *slot; /* id per slot, 0 = empty */
    uint32_t nslot;
};

struct jobq_report {
    struct job *jobs;
    size_t njobs, cap; /* cap is a power of two */
    char *ids;
    size_t idlen, idcap;
    struct strtab names;   /* carriers and countries */
    struct strtab reasons; /* normalised failure reasons */
    int64_t first_ms, last_ms;
    uint64_t events, skipped;
};

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static int strtab_init(struct strtab *t)
{
    t->cap = 16;
    t->s = calloc(t->cap, sizeof *t->s);
    t->nslot = 32;
    t->slot = calloc(t->nslot, sizeof *t->slot);
    if (!t->s || !t->slot)
        return -ENOMEM;
    t->s[0] = strdup("unknown");
    t->n = 1;
    return t->s[0] ? 0 : -ENOMEM;
}

static void strtab_free(struct strtab *t)
{
    for (uint32_t i = 0; t->s && i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    free(t->slot);
}

static int strtab_rehash(struct strtab *t, uint32_t nslot)
{
    uint32_t *ns = calloc(nslot, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    for (uint32_t id = 1; id < t->n; id++) {
        uint32_t i = (uint32_t)fnv(t->s[id], strlen(t->s[id])) & (nslot - 1);
        while (ns[i])
            i = (i + 1) & (nslot - 1);
        ns[i] = id;
    }
    free(t->slot);
    t->slot = ns;
    t->nslot = nslot;
    return 0;
}

/* The id of s (interned on first sight); 0 for NULL or "". -ENOMEM as
 * a negative value. */
static int64_t strtab_id(struct strtab *t, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t len = strlen(s);
    uint32_t i = (uint32_t)fnv(s, len) & (t->nslot - 1);
    while (t->slot[i]) {
        if (strcmp(t->s[t->slot[i]], s) == 0)
            return t->slot[i];
        i = (i + 1) & (t->nslot - 1);
    }
    if (t->n == t->cap) {
        char **ns = realloc(t->s, (size_t)t->cap * 2 * sizeof *ns);
        if (!ns)
            return -ENOMEM;
        t->s = ns;
        t->cap *= 2;
    }
    char *copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    uint32_t id = t->n++;
    t->s[id] = copy;
    t->slot[i] = id;
    if ((uint64_t)t->n * 2 > t->nslot && strtab_rehash(t, t->nslot * 2) != 0)
        return -ENOMEM;
    return id;
}

struct jobq_report *jobq_report_new(void)
{
    struct jobq_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->cap = 1024;
    r->jobs = calloc(r->cap, sizeof *r->jobs);
    r->idcap = 16384;
    r->ids = malloc(r->idcap);
    if (!r->jobs || !r->ids || strtab_init(&r->names) != 0 || strtab_init(&r->reasons) != 0) {
        jobq_report_free(r);
        return NULL;
    }
    return r;
}

void jobq_report_free(struct jobq_report *r)
{
    if (!r)
        return;
    free(r->jobs);
    free(r->ids);
    strtab_free(&r->names);
    strtab_free(&r->reasons);
    free(r);
}

uint64_t jobq_report_skipped(const struct jobq_report *r)
{
    return r->skipped;
}

static int grow_jobs(struct jobq_report *r)
{
    size_t ncap = r->cap * 2;
    struct job *nj = calloc(ncap, sizeof *nj);
    if (!nj)
        return -ENOMEM;
    for (size_t k = 0; k < r->cap; k++) {
        if (!r->jobs[k].keylen)
            continue;
        size_t i = r->jobs[k].hash & (ncap - 1);
        while (nj[i].keylen)
            i = (i + 1) & (ncap - 1);
        nj[i] = r->jobs[k];
    }
    free(r->jobs);
    r->jobs = nj;
    r->cap = ncap;
    return 0;
}

/* The record of job id (created empty on first sight), or NULL on ENOMEM. */
static struct job *job_get(struct jobq_report *r, const char *id, size_t len)
{
    if ((r->njobs + 1) * 10 > r->cap * 7 && grow_jobs(r) != 0)
        return NULL;
    uint64_t h = fnv(id, len);
    size_t i = h & (r->cap - 1);
    while (r->jobs[i].keylen) {
        struct job *j = &r->jobs[i];
        if (j->hash == h && j->keylen == len && memcmp(r->ids + j->key, id, len) == 0)
            return j;
        i = (i + 1) & (r->cap - 1);
    }
    if (r->idlen + len > r->idcap) {
        size_t ncap = r->idcap * 2 + len;
        char *n = realloc(r->ids, ncap);
        if (!n)
            return NULL;
        r->ids = n;
        r->idcap = ncap;
    }
    memcpy(r->ids + r->idlen, id, len);
    struct job *j = &r->jobs[i];
    j->hash = h;
    j->key = (uint32_t)r->idlen;
    j->keylen = (uint32_t)len;
    for (int s = 0; s < S_N; s++)
        j->t[s] = NONE;
    j->t_final = NONE;
    j->final = S_N;
    r->idlen += len;
    r->njobs++;
    return j;
}

static int parse_ms(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

void jobq_report_reason(const char *state, const char *detail, char *out, size_t outlen)
{
    if (!outlen)
        return;
    size_t n = 0;
    if (detail)
        while (detail[n] && !strchr("'\"(;\n", detail[n]) && n < 60)
            n++;
    while (n && strchr(" ,:.-", detail[n - 1]))
        n--;
    if (n)
        snprintf(out, outlen, "%s: %.*s", state ? state : "?", (int)n, detail);
    else
        snprintf(out, outlen, "%s", state ? state : "?");
}

int jobq_report_add(struct jobq_report *r, const char *job, const char *state, const char *detail,
                    const char *carrier, const char *country, const char *ts, int64_t id_ms)
{
    int s = 0;
    while (state && s < S_N && strcmp(st_names[s], state) != 0)
        s++;
    size_t len = job ? strlen(job) : 0;
    if (!state || s == S_N || len == 0 || len > MAX_ID_LEN) {
        r->skipped++;
        return 0;
    }
    int64_t t;
    if (parse_ms(ts, &t) != 0)
        t = id_ms;
    struct job *j = job_get(r, job, len);
    if (!j)
        return -ENOMEM;
    r->events++;
    if (r->events == 1 || t < r->first_ms)
        r->first_ms = t;
    if (t > r->last_ms)
        r->last_ms = t;
    if (j->t[s] == NONE || t < j->t[s])
        j->t[s] = t;
    /* Latest event that names them wins: stream order is time order. */
    int64_t id;
    if (carrier && *carrier) {
        if ((id = strtab_id(&r->names, carrier)) < 0)
            return -ENOMEM;
        j->carrier = (uint32_t)id;
    }
    if (country && *country) {
        if ((id = strtab_id(&r->names, country)) < 0)
            return -ENOMEM;
        j->country = (uint32_t)id;
    }
    /* The last terminal state wins (a failed attempt may be retried),
     * except confirmed: the SIM's PoR proves the job done, and whatever
     * comes after it cannot undo that. */
    if (s >= S_CONFIRMED && j->final != S_CONFIRMED) {
        if (j->final != s)
            j->t_final = t;
        j->final = (uint8_t)s;
        j->reason = 0;
        if (s != S_CONFIRMED) {
            char why[REASON_MAX];
            jobq_report_reason(state, detail, why, sizeof why);
            if ((id = strtab_id(&r->reasons, why)) < 0)
                return -ENOMEM;
            j->reason = (uint32_t)id;
        }
    }
    return 0;
}

/* --- Summary ------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t rank(const int64_t *v, size_t n, unsigned p)
{
    if (!n)
        return 0;
    size_t k = ((size_t)p * n + 99) / 100; /* ceil(p/100 * n), 1-based */
    return v[k ? k - 1 : 0];
}

/* Stage latency of j in ms, or NONE. */
static int64_t stage_ms(const struct job *j, int stage)
{
    int64_t a, b;
    switch (stage) {
    case JOBQ_STAGE_SUBMIT:
        a = j->t[S_RECEIVED], b = j->t[S_SUBMITTED];
        break;
    case JOBQ_STAGE_RECEIPT:
        a = j->t[S_SUBMITTED], b = j->t[S_DELIVERED];
        break;
    case JOBQ_STAGE_POR:
        a = j->t[S_DELIVERED], b = j->t[S_CONFIRMED];
        break;
    default:
        a = j->t[S_RECEIVED], b = j->final < S_N ? j->t_final : NONE;
        break;
    }
    if (a == NONE || b == NONE)
        return NONE;
    return b > a ? b - a : 0; /* instances' clocks may differ a little */
}

static void count_job(struct jobq_group *g, const struct job *j)
{
    g->jobs++;
    if (j->t[S_DELIVERED] != NONE || j->t[S_CONFIRMED] != NONE)
        g->delivered++;
    if (j->t[S_CONFIRMED] != NONE)
        g->confirmed++;
    switch (j->final) {
    case S_REJECTED:
        g->rejected++;
        break;
    case S_FAILED:
        g->failed++;
        break;
    case S_EXPIRED:
        g->expired++;
        break;
    case S_CONFIRMED:
        break;
    default:
        g->open++;
        if (j->t[S_DELIVERED] != NONE)
            g->open_delivered++;
    }
    for (int s = 0; s < JOBQ_STAGE_N; s++)
        if (stage_ms(j, s) != NONE)
            g->lat[s].n++;
}

struct gwork {
    int64_t *samples[JOBQ_STAGE_N];
    size_t fill[JOBQ_STAGE_N];
    uint32_t *reasons; /* reason ids of the group's failed jobs */
    size_t nreasons;
};

static int alloc_work(struct gwork *w, const struct jobq_group *g)
{
    for (int s = 0; s < JOBQ_STAGE_N; s++) {
        w->samples[s] = malloc((g->lat[s].n ? g->lat[s].n : 1) * sizeof(int64_t));
        if (!w->samples[s])
            return -ENOMEM;
    }
    w->reasons = malloc((g->rejected + g->failed + g->expired + 1) * sizeof(uint32_t));
    return w->reasons ? 0 : -ENOMEM;
}

static void add_samples(struct gwork *w, const struct job *j)
{
    for (int s = 0; s < JOBQ_STAGE_N; s++) {
        int64_t v = stage_ms(j, s);
        if (v != NONE)
            w->samples[s][w->fill[s]++] = v;
    }
    if (j->final >= S_REJECTED && j->final < S_N)
        w->reasons[w->nreasons++] = j->reason;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_reason(const void *a, const void *b)
{
    const struct jobq_reason *x = a, *y = b;
    if (x->jobs != y->jobs)
        return x->jobs > y->jobs ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* Moves the work's samples into g (sorted, percentiles) and builds its
 * reasons list. */
static int finish_group(const struct jobq_report *r, struct jobq_group *g, struct gwork *w)
{
    for (int s = 0; s < JOBQ_STAGE_N; s++) {
        struct jobq_latency *l = &g->lat[s];
        qsort(w->samples[s], w->fill[s], sizeof(int64_t), cmp_i64);
        l->sorted = w->samples[s];
        w->samples[s] = NULL;
        l->p50 = rank(l->sorted, l->n, 50);
        l->p95 = rank(l->sorted, l->n, 95);
        l->p99 = rank(l->sorted, l->n, 99);
        l->max = l->n ? l->sorted[l->n - 1] : 0;
    }
    qsort(w->reasons, w->nreasons, sizeof(uint32_t), cmp_u32);
    g->reasons = calloc(w->nreasons + 1, sizeof *g->reasons);
    if (!g->reasons)
        return -ENOMEM;
    for (size_t i = 0; i < w->nreasons;) {
        size_t k = i;
        while (k < w->nreasons && w->reasons[k] == w->reasons[i])
            k++;
        g->reasons[g->nreasons].text = r->reasons.s[w->reasons[i]];
        g->reasons[g->nreasons].jobs = k - i;
        g->nreasons++;
        i = k;
    }
    qsort(g->reasons, g->nreasons, sizeof *g->reasons, cmp_reason);
    free(w->reasons);
    w->reasons = NULL;
    return 0;
}

static void free_work(struct gwork *w)
{
    for (int s = 0; s < JOBQ_STAGE_N; s++)
        free(w->samples[s]);
    free(w->reasons);
}

static int cmp_name(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    int ua = strcmp(a, "unknown") == 0, ub = strcmp(b, "unknown") == 0;
    if (ua != ub)
        return ua - ub;
    return strcmp(a, b);
}

static int cmp_group(const void *a, const void *b)
{
    const struct jobq_group *x = a, *y = b;
    int c = cmp_name(x->country, y->country);
    return c ? c : cmp_name(x->carrier, y->carrier);
}

static void free_group(struct jobq_group *g)
{
    for (int s = 0; s < JOBQ_STAGE_N; s++)
        free((void *)g->lat[s].sorted);
    free(g->reasons);
}

void jobq_summary_free(struct jobq_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ngroups; i++)
        free_group(&s->groups[i]);
    free(s->groups);
    free_group(&s->total);
    free(s);
}

/* Group lookup: (country id, carrier id) -> group index, open addressing. */
struct gslot {
    uint64_t key; /* (country << 32 | carrier) + 1; 0 = empty */
    size_t idx;
};

int jobq_report_summarize(const struct jobq_report *r, enum jobq_report_by by,
                          struct jobq_summary **out)
{
    struct jobq_summary *s = calloc(1, sizeof *s);
    uint32_t *gidx = calloc(r->cap, sizeof *gidx);
    size_t nslot = 16;
    while (nslot < r->njobs * 2)
        nslot *= 2;
    struct gslot *gmap = calloc(nslot, sizeof *gmap);
    struct gwork *work = NULL, twork = {0};
    size_t ng = 0;
    int rc = -ENOMEM;
    if (!s || !gidx || !gmap)
        goto out;
    s->by = by;
    s->first_ms = r->events ? r->first_ms : 0;
    s->last_ms = r->events ? r->last_ms : 0;
    s->events = r->events;

    s->groups = calloc(r->njobs + 1, sizeof *s->groups);
    if (!s->groups)
        goto out;
    for (size_t i = 0; i < r->cap; i++) {
        const struct job *j = &r->jobs[i];
        if (!j->keylen)
            continue;
        uint32_t co = by & JOBQ_BY_COUNTRY ? j->country : 0;
        uint32_t ca = by & JOBQ_BY_CARRIER ? j->carrier : 0;
        uint64_t key = ((uint64_t)co << 32 | ca) + 1;
        size_t k = (size_t)(fnv((const char *)&key, sizeof key) & (nslot - 1));
        while (gmap[k].key && gmap[k].key != key)
            k = (k + 1) & (nslot - 1);
        if (!gmap[k].key) {
            struct jobq_group *g = &s->groups[s->ngroups];
            g->country = by & JOBQ_BY_COUNTRY ? r->names.s[co] : NULL;
            g->carrier = by & JOBQ_BY_CARRIER ? r->names.s[ca] : NULL;
            gmap[k].key = key;
            gmap[k].idx = s->ngroups++;
        }
        gidx[i] = (uint32_t)gmap[k].idx;
        count_job(&s->groups[gidx[i]], j);
        count_job(&s->total, j);
    }
    ng = s->ngroups;
    work = calloc(ng + 1, sizeof *work);
    if (!work || alloc_work(&twork, &s->total) != 0)
        goto out;
    for (size_t g = 0; g < ng; g++)
        if (alloc_work(&work[g], &s->groups[g]) != 0)
            goto out;
    for (size_t i = 0; i < r->cap; i++) {
        if (!r->jobs[i].keylen)
            continue;
        add_samples(&work[gidx[i]], &r->jobs[i]);
        add_samples(&twork, &r->jobs[i]);
    }
    for (size_t g = 0; g < ng; g++)
        if (finish_group(r, &s->groups[g], &work[g]) != 0)
            goto out;
    if (finish_group(r, &s->total, &twork) != 0)
        goto out;
    qsort(s->groups, ng, sizeof *s->groups, cmp_group);
    *out = s;
    s = NULL;
    rc = 0;
out:
    /* finish_group moved what it took (and left NULL); free the rest. */
    for (size_t g = 0; work && g < ng; g++)
        free_work(&work[g]);
    free(work);
    free_work(&twork);
    jobq_summary_free(s);
    free(gidx);
    free(gmap);
    return rc;
}

int64_t jobq_report_parse_duration(const char *s)
{
    if (!s || !*s)
        return -1;
    int64_t total = 0;
    while (*s) {
        if (*s < '0' || *s > '9')
            return -1;
        int64_t v = 0;
        while (*s >= '0' && *s <= '9') {
            if (v > 100000000)
                return -1;
            v = v * 10 + (*s++ - '0');
        }
        int64_t unit;
        switch (*s++) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            unit = 60 * 1000;
            break;
        case 'h':
            unit = 3600 * 1000;
            break;
        case 'd':
            unit = 86400 * 1000;
            break;
        case 'w':
            unit = 7 * 86400 * 1000;
            break;
        default:
            return -1;
        }
        total += v * unit;
        if (total > (int64_t)100 * 365 * 86400 * 1000)
            return -1;
    }
    return total;
}

/* --- Reading the stream -------------------------------------------------- */

static const char *field(const redisReply *kv, const char *name, char *buf, size_t cap)
{
    for (size_t i = 0; i + 1 < kv->elements; i += 2) {
        const redisReply *k = kv->element[i], *v = kv->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (k->len == strlen(name) && memcmp(k->str, name, k->len) == 0) {
            size_t n = v->len < cap - 1 ? v->len : cap - 1;
            memcpy(buf, v->str, n);
            buf[n] = '\0';
            return buf;
        }
    }
    return NULL;
}

/* "ms-seq" -> ms and seq. */
static int parse_id(const char *s, uint64_t *ms, uint64_t *seq)
{
    char *end;
    errno = 0;
    *ms = strtoull(s, &end, 10);
    if (errno || end == s || *end != '-')
        return -1;
    s = end + 1;
    *seq = strtoull(s, &end, 10);
    return errno || end == s || *end ? -1 : 0;
}

static int fold_entry(struct jobq_report *r, const redisReply *e, uint64_t *ms, uint64_t *seq)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || parse_id(e->element[0]->str, ms, seq) != 0)
        return -EPROTO;
    const redisReply *kv = e->element[1];
    if (kv->type != REDIS_REPLY_ARRAY) {
        r->skipped++; /* a deleted entry in an old Redis: nothing to fold */
        return 0;
    }
    char job[MAX_ID_LEN + 2], state[32], detail[256], carrier[64], country[16], ts[32];
    return jobq_report_add(
        r, field(kv, "job", job, sizeof job), field(kv, "state", state, sizeof state),
        field(kv, "detail", detail, sizeof detail), field(kv, "carrier", carrier, sizeof carrier),
        field(kv, "country", country, sizeof country), field(kv, "ts", ts, sizeof ts),
        (int64_t)*ms);
}

int jobq_report_load(struct jobq_report *r, const struct jobq_report_src *src, int64_t since_ms,
                     char *err, size_t errlen)
{
    const char *host = src->host, *stream = src->stream;
    int port = src->port;
    unsigned page = src->page;
    struct timeval tv = {5, 0};
    redisContext *c = host[0] == '/' ? redisConnectUnixWithTimeout(host, tv)
                                     : redisConnectWithTimeout(host, port, tv);
    int rc = 0;
    if (!c || c->err) {
        snprintf(err, errlen, "redis %s:%d: %s", host, port, c ? c->errstr : "out of memory");
        redisFree(c);
        return -ECONNREFUSED;
    }
    (void)redisSetTimeout(c, (struct timeval){30, 0});
    redisReply *rep;
    for (int step = 0; step < 2; step++) {
        if (step == 0 && src->password && *src->password)
            rep = src->user && *src->user ? redisCommand(c, "AUTH %s %s", src->user, src->password)
                                          : redisCommand(c, "AUTH %s", src->password);
        else if (step == 1 && src->db)
            rep = redisCommand(c, "SELECT %u", src->db);
        else
            continue;
        if (!rep || rep->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "redis %s:%d: %s: %s", host, port, step ? "SELECT" : "AUTH",
                     rep ? rep->str : c->errstr);
            freeReplyObject(rep);
            redisFree(c);
            return -EACCES;
        }
        freeReplyObject(rep);
    }
    if (!page)
        page = 10000;
    char start[48];
    snprintf(start, sizeof start, "%" PRId64 "-0", since_ms > 0 ? since_ms : 0);
    for (;;) {
        rep = redisCommand(c, "XRANGE %s %s + COUNT %u", stream, start, page);
        if (!rep || rep->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errlen, "redis %s:%d: XRANGE %s: %s", host, port, stream,
                     rep && rep->type == REDIS_REPLY_ERROR ? rep->str
                     : rep                                 ? "unexpected reply"
                                                           : c->errstr);
            rc = rep ? -EPROTO : -EIO;
            freeReplyObject(rep);
            break;
        }
        uint64_t ms = 0, seq = 0;
        for (size_t i = 0; i < rep->elements && rc == 0; i++)
            rc = fold_entry(r, rep->element[i], &ms, &seq);
        size_t got = rep->elements;
        freeReplyObject(rep);
        if (rc != 0) {
            snprintf(err, errlen, "%s: %s", stream,
                     rc == -ENOMEM ? "out of memory" : "malformed stream entry");
            break;
        }
        if (got < page)
            break;
        /* Next page starts just after the last id read. */
        if (seq == UINT64_MAX)
            snprintf(start, sizeof start, "%" PRIu64 "-0", ms + 1);
        else
            snprintf(start, sizeof start, "%" PRIu64 "-%" PRIu64, ms, seq + 1);
    }
    redisFree(c);
    return rc;
}
