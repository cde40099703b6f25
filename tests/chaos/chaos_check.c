/* chaos_check.c — the invariant checker of the chaos soak (docs/reliability.md).
 *
 * After a soak, it reads what happened from the outside only: the driver's
 * manifest of jobs (what was asked, and what each job changes on its card),
 * Redis (the events stream and each job's hash, through the public keys of
 * docs/DESIGN.md, plus the counter of each card and keyset), otasim's
 * journal (one line per command packet a card processed) and state dump
 * (every card's files and stored counters), the driver's progress samples
 * and its fault log. It fails the run (exit 1) on any of:
 *
 *   lost         a job with no final state (no event, or its hash not final)
 *   twofinal     a job with two final-state events
 *   mismatch     a job's hash disagrees with its final event
 *   cntr-reuse   one (card, keyset, counter) in two packets the card processed
 *   exec-twice   one such packet executed twice
 *   cntr-regress Redis's counter of a card behind the card's stored counter
 *                (the next packet would reuse a value: lost INCRs)
 *   no-effect    a job confirmed whose card does not show its change
 *   expect       a job the manifest marks invalid that did not end rejected
 *   stall        backlog waiting and no event written for --stall-s seconds
 *                while Redis and a daemon were up
 *
 * and prints the figures an operator quotes: jobs, faults by kind, final
 * states, retries, duplicates, lost, reused counters, throughput, latency.
 *
 * Inputs (all but --redis optional; a missing file skips its checks and
 * says so):
 *   --manifest F  TSV: id iccid keyset por expect check_key check_value
 *                 (expect: ok|rejected; check_key "-" = nothing to check)
 *   --journal F   otasim --journal lines
 *   --state F     otasim --state dump ("ICCID.key value")
 *   --progress F  driver samples: "ts_ms nevents backlog up" (up 0|1)
 *   --faults F    driver fault log: "ts_ms kind detail..."
 *   --redis HOST:PORT [--password P] [--user U]
 *   --stall-s N   (default 30)
 *   --open        only print how many manifest jobs have no final state in
 *                 their hash (the soak's drain loop), exit 0
 *
 * C with hiredis because it must be fast at 100 000 jobs: the job hashes
 * are read in pipelined batches, events in XRANGE pages. It is a test tool:
 * it may exit on allocation failure. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#define MAX_REPORT 10 /* violations printed per kind */

/* ---- small helpers ---- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "chaos_check: out of memory\n");
        exit(2);
    }
    return p;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fprintf(stderr, "chaos_check: out of memory\n");
        exit(2);
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

/* A string -> index map, open addressing (FNV-1a), grows at half full. */
struct map {
    char **keys;
    long *vals;
    size_t cap, len;
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void map_grow(struct map *m);

/* Returns a pointer to the value of key, inserting it with value -1 when
 * absent (the key is copied) if insert, else NULL when absent. */
static long *map_at(struct map *m, const char *key, int insert)
{
    if (insert && (m->len + 1) * 2 > m->cap)
        map_grow(m);
    if (!m->cap)
        return NULL;
    size_t i = fnv(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return &m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    if (!insert)
        return NULL;
    m->keys[i] = xstrdup(key);
    m->vals[i] = -1;
    m->len++;
    return &m->vals[i];
}

static void map_grow(struct map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    struct map n = {xcalloc(ncap, sizeof(char *)), xcalloc(ncap, sizeof(long)), ncap, 0};
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = fnv(m->keys[i]) & (ncap - 1);
        while (n.keys[j])
            j = (j + 1) & (ncap - 1);
        n.keys[j] = m->keys[i];
        n.vals[j] = m->vals[i];
        n.len++;
    }
    free(m->keys);
    free(m->vals);
    *m = n;
}

static void map_free(struct map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- violations ---- */

enum vkind {
    V_LOST,
    V_TWOFINAL,
    V_MISMATCH,
    V_CNTR_REUSE,
    V_EXEC_TWICE,
    V_CNTR_REGRESS,
    V_NO_EFFECT,
    V_EXPECT,
    V_STALL,
    V_N
};

static const char *const vname[V_N] = {
    "lost",         "twofinal",  "mismatch", "cntr-reuse", "exec-twice",
    "cntr-regress", "no-effect", "expect",   "stall",
};

static unsigned long vcount[V_N];

__attribute__((format(printf, 2, 3))) static void violation(enum vkind k, const char *fmt, ...)
{
    if (vcount[k]++ >= MAX_REPORT)
        return;
    va_list ap;
    va_start(ap, fmt);
    printf("VIOLATION %s: ", vname[k]);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* ---- the jobs of the manifest ---- */

struct job {
    char *id, *iccid, *keyset, *check_key, *check_val;
    int por_none;
    int expect_rejected;
    unsigned nfinal;
    char final[16], final2[16];
    long long final_ms;
    long long first_ms; /* first event */
    unsigned retries;   /* "retry" events */
    unsigned dups;      /* "duplicate" events */
    /* from the hash */
    char hstate[16];
    long long entry_ms;
    unsigned attempt;
    int hash_seen;
};

static struct job *jobs;
static size_t njobs;
static struct map job_ix;

static int is_final(const struct job *j, const char *st)
{
    return strcmp(st, "confirmed") == 0 || strcmp(st, "rejected") == 0 ||
           strcmp(st, "failed") == 0 || strcmp(st, "expired") == 0 ||
           (j->por_none && strcmp(st, "delivered") == 0);
}

/* Splits s in place on tabs into at most n fields; returns the count. */
static int split_tabs(char *s, char **f, int n)
{
    int k = 0;
    s[strcspn(s, "\r\n")] = 0;
    while (k < n) {
        f[k++] = s;
        char *t = strchr(s, '\t');
        if (!t)
            break;
        *t = 0;
        s = t + 1;
    }
    return k;
}

static int load_manifest(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1024;
    jobs = xcalloc(cap, sizeof *jobs);
    char line[4096];
    unsigned ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *fl[7];
        if (split_tabs(line, fl, 7) != 7) {
            fprintf(stderr, "chaos_check: %s:%u: want 7 tab-separated fields\n", path, ln);
            fclose(f);
            return -1;
        }
        long *slot = map_at(&job_ix, fl[0], 1);
        if (*slot >= 0) {
            fprintf(stderr, "chaos_check: %s:%u: job %s listed twice\n", path, ln, fl[0]);
            fclose(f);
            return -1;
        }
        if (njobs == cap) {
            cap *= 2;
            struct job *nj = realloc(jobs, cap * sizeof *jobs);
            if (!nj)
                exit(2);
            jobs = nj;
        }
        struct job *j = &jobs[njobs];
        memset(j, 0, sizeof *j);
        j->id = xstrdup(fl[0]);
        j->iccid = xstrdup(fl[1]);
        j->keyset = xstrdup(fl[2]);
        j->por_none = strcmp(fl[3], "none") == 0;
        j->expect_rejected = strcmp(fl[4], "rejected") == 0;
        j->check_key = xstrdup(fl[5]);
        j->check_val = xstrdup(fl[6]);
        *slot = (long)njobs++;
    }
    fclose(f);
    return 0;
}

/* ---- Redis: events and job hashes ---- */

static redisContext *rc;

static int redis_open(const char *hostport, const char *user, const char *password)
{
    char host[256];
    snprintf(host, sizeof host, "%s", hostport);
    char *colon = strrchr(host, ':');
    int port = 6379;
    if (colon) {
        *colon = 0;
        port = atoi(colon + 1);
    }
    rc = redisConnect(host, port);
    if (!rc || rc->err) {
        fprintf(stderr, "chaos_check: redis %s: %s\n", hostport, rc ? rc->errstr : "no memory");
        return -1;
    }
    if (password && *password) {
        redisReply *r = user && *user ? redisCommand(rc, "AUTH %s %s", user, password)
                                      : redisCommand(rc, "AUTH %s", password);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        if (bad)
            fprintf(stderr, "chaos_check: redis AUTH: %s\n", r ? r->str : rc->errstr);
        freeReplyObject(r);
        if (bad)
            return -1;
    }
    return 0;
}

static const char *field(const redisReply *kv, const char *name)
{
    for (size_t i = 0; i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0)
            return kv->element[i + 1]->type == REDIS_REPLY_STRING ? kv->element[i + 1]->str : "";
    return NULL;
}

static unsigned long ev_total, ev_unknown_job;
static struct map state_count; /* state -> count of events */

static void on_event(const redisReply *kv)
{
    ev_total++;
    const char *id = field(kv, "job"), *st = field(kv, "state"), *ts = field(kv, "ts");
    if (!id || !st)
        return;
    long *c = map_at(&state_count, st, 1);
    *c = *c < 0 ? 1 : *c + 1;
    long *ix = map_at(&job_ix, id, 0);
    if (!ix) {
        ev_unknown_job++;
        return;
    }
    struct job *j = &jobs[*ix];
    long long t = ts ? atoll(ts) : 0;
    if (!j->first_ms || (t && t < j->first_ms))
        j->first_ms = t;
    if (strcmp(st, "retry") == 0)
        j->retries++;
    else if (strcmp(st, "duplicate") == 0)
        j->dups++;
    if (!is_final(j, st))
        return;
    if (j->nfinal == 0) {
        snprintf(j->final, sizeof j->final, "%s", st);
        j->final_ms = t;
    } else if (j->nfinal == 1) {
        snprintf(j->final2, sizeof j->final2, "%s", st);
    }
    j->nfinal++;
}

static int read_events(const char *stream)
{
    char start[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(rc, "XRANGE %s %s + COUNT 10000", stream, start);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "chaos_check: XRANGE %s: %s\n", stream,
                    r && r->type == REDIS_REPLY_ERROR ? r->str : rc->errstr);
            freeReplyObject(r);
            return -1;
        }
        size_t n = r->elements;
        for (size_t i = 0; i < n; i++) {
            const redisReply *e = r->element[i];
            if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
                e->element[1]->type == REDIS_REPLY_ARRAY)
                on_event(e->element[1]);
        }
        if (n)
            snprintf(start, sizeof start, "(%s", r->element[n - 1]->element[0]->str);
        freeReplyObject(r);
        if (n < 10000)
            return 0;
    }
}

static int read_hashes(void)
{
    const size_t batch = 1000;
    for (size_t base = 0; base < njobs; base += batch) {
        size_t end = base + batch < njobs ? base + batch : njobs;
        for (size_t i = base; i < end; i++)
            redisAppendCommand(rc, "HMGET ota:job:%s state entry attempt", jobs[i].id);
        for (size_t i = base; i < end; i++) {
            redisReply *r;
            if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
                fprintf(stderr, "chaos_check: HMGET: %s\n", rc->errstr);
                return -1;
            }
            struct job *j = &jobs[i];
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
                r->element[0]->type == REDIS_REPLY_STRING) {
                j->hash_seen = 1;
                snprintf(j->hstate, sizeof j->hstate, "%s", r->element[0]->str);
                if (r->element[1]->type == REDIS_REPLY_STRING)
                    j->entry_ms = atoll(r->element[1]->str); /* "ms-seq" */
                if (r->element[2]->type == REDIS_REPLY_STRING)
                    j->attempt = (unsigned)atoi(r->element[2]->str);
            }
            freeReplyObject(r);
        }
    }
    return 0;
}

/* ---- otasim's journal and state dump ---- */

static struct map packets;    /* "iccid keyset cntr" -> times processed */
static struct map executions; /* same key -> times executed */
static struct map card_exec;  /* iccid -> packets executed */
static unsigned long jl_total, jl_executed, jl_rsc[256];

static const char *kv_get(const char *line, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p++) {
        if ((p == line || p[-1] == ' ') && p[kl] == '=') {
            p += kl + 1;
            size_t n = strcspn(p, " \r\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, p, n);
            out[n] = 0;
            return out;
        }
    }
    return NULL;
}

static void bump(struct map *m, const char *key, long by)
{
    long *v = map_at(m, key, 1);
    *v = *v < 0 ? by : *v + by;
}

static int load_journal(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024], iccid[64], ks[64], cntr[32], rsc[8], exe[8], key[200];
    while (fgets(line, sizeof line, f)) {
        if (!kv_get(line, "iccid", iccid, sizeof iccid) || !kv_get(line, "keyset", ks, sizeof ks) ||
            !kv_get(line, "cntr", cntr, sizeof cntr))
            continue;
        jl_total++;
        if (kv_get(line, "rsc", rsc, sizeof rsc))
            jl_rsc[strtoul(rsc, NULL, 16) & 0xff]++;
        int executed = kv_get(line, "executed", exe, sizeof exe) && strcmp(exe, "1") == 0;
        if (strcmp(ks, "-") == 0)
            continue; /* no keyset matched: the card never read the counter */
        snprintf(key, sizeof key, "%s %s %s", iccid, ks, cntr);
        long *n = map_at(&packets, key, 1);
        *n = *n < 0 ? 1 : *n + 1;
        /* A repeat of a counter the card checked is the reuse we fear, whether
         * or not the card refused it (mode 10 refuses; a card in mode 00
         * would have run it again). */
        if (*n == 2)
            violation(V_CNTR_REUSE, "card %s keyset %s counter %s in two packets", iccid, ks, cntr);
        if (executed) {
            jl_executed++;
            bump(&card_exec, iccid, 1);
            long *e = map_at(&executions, key, 1);
            *e = *e < 0 ? 1 : *e + 1;
            if (*e == 2)
                violation(V_EXEC_TWICE, "card %s executed the packet of keyset %s counter %s twice",
                          iccid, ks, cntr);
        }
    }
    fclose(f);
    return 0;
}

static struct map state_ix;
static char **state_vals;
static size_t nstate, state_cap;

static int load_state(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = 0;
        if (nstate == state_cap) {
            state_cap = state_cap ? state_cap * 2 : 4096;
            char **nv = realloc(state_vals, state_cap * sizeof *nv);
            if (!nv)
                exit(2);
            state_vals = nv;
        }
        long *ix = map_at(&state_ix, line, 1);
        if (*ix >= 0) {
            free(state_vals[*ix]);
            state_vals[*ix] = xstrdup(sp + 1);
            continue;
        }
        state_vals[nstate] = xstrdup(sp + 1);
        *ix = (long)nstate++;
    }
    fclose(f);
    return 0;
}

static const char *state_get(const char *iccid, const char *key)
{
    char k[512];
    snprintf(k, sizeof k, "%s.%s", iccid, key);
    long *ix = map_at(&state_ix, k, 0);
    return ix ? state_vals[*ix] : NULL;
}

/* Every "ICCID.counter.KS N" with N > 0: Redis's ota:cntr:ICCID:KS must be
 * at least N, or the next counter handed out for that card is one the card
 * has already seen. */
static unsigned long cntr_checked;
static int check_counters(void)
{
    const size_t batch = 1000;
    size_t *which = xcalloc(batch, sizeof *which);
    size_t i = 0;
    while (i < state_ix.cap) {
        size_t nb = 0;
        for (; i < state_ix.cap && nb < batch; i++) {
            const char *k = state_ix.keys[i];
            const char *c = k ? strstr(k, ".counter.") : NULL;
            if (!c || strtoull(state_vals[state_ix.vals[i]], NULL, 10) == 0)
                continue;
            redisAppendCommand(rc, "GET ota:cntr:%b:%s", k, (size_t)(c - k), c + 9);
            which[nb++] = i;
        }
        for (size_t b = 0; b < nb; b++) {
            redisReply *r;
            if (redisGetReply(rc, (void **)&r) != REDIS_OK) {
                fprintf(stderr, "chaos_check: GET: %s\n", rc->errstr);
                free(which);
                return -1;
            }
            const char *k = state_ix.keys[which[b]];
            unsigned long long card = strtoull(state_vals[state_ix.vals[which[b]]], NULL, 10);
            unsigned long long red = r->type == REDIS_REPLY_STRING ? strtoull(r->str, NULL, 10) : 0;
            cntr_checked++;
            if (red < card)
                violation(V_CNTR_REGRESS, "%s: card stored %llu, Redis ota:cntr has %llu", k, card,
                          red);
            freeReplyObject(r);
        }
    }
    free(which);
    return 0;
}

/* ---- progress and faults ---- */

static double max_stall_s;

/* A stall ends at the first sample that is not one: reported then, with its
 * whole length. */
static void stall_end(long long since, long long until, long backlog, double stall_s)
{
    double s = (double)(until - since) / 1000.0;
    if (s > max_stall_s)
        max_stall_s = s;
    if (s > stall_s)
        violation(V_STALL, "no event for %.0f s from %lld with %ld jobs waiting", s, since,
                  backlog);
}

static int check_progress(const char *path, double stall_s)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    long long ts, since = -1, last_ts = 0;
    long nev, last_nev = -1, backlog, last_backlog = 0;
    int up;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lld %ld %ld %d", &ts, &nev, &backlog, &up) != 4)
            continue;
        /* A stall: work waiting, Redis and a daemon up, and the event count
         * as it was. It starts at the last sample that was not one. */
        int stalled = nev == last_nev && backlog > 0 && up;
        if (!stalled) {
            if (since >= 0 && last_ts > since)
                stall_end(since, ts, last_backlog, stall_s);
            since = ts;
            last_nev = nev;
        }
        last_ts = ts;
        last_backlog = backlog;
    }
    if (since >= 0 && last_ts > since)
        stall_end(since, last_ts, last_backlog, stall_s);
    fclose(f);
    return 0;
}

static struct map fault_kinds;
static unsigned long faults_total;
static int load_faults(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "chaos_check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024], kind[64];
    long long ts;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lld %63s", &ts, kind) == 2) {
            bump(&fault_kinds, kind, 1);
            faults_total++;
        }
    fclose(f);
    return 0;
}

/* ---- the verdict ---- */

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static void print_map_sorted(const char *title, const struct map *m)
{
    printf("%s:", title);
    /* Few keys: a selection sort by name keeps the output stable. */
    const char *last = "";
    for (;;) {
        const char *best = NULL;
        long v = 0;
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] && strcmp(m->keys[i], last) > 0 &&
                (!best || strcmp(m->keys[i], best) < 0)) {
                best = m->keys[i];
                v = m->vals[i];
            }
        if (!best)
            break;
        printf(" %s=%ld", best, v);
        last = best;
    }
    printf("\n");
}

static void judge_jobs(int have_state, int have_journal)
{
    unsigned long lost = 0, twofinal = 0, finals = 0, retries = 0, dups = 0, attempts = 0;
    unsigned long effects = 0, reexec = 0, unreported = 0, unreported_checked = 0;
    long long *lat = xcalloc(njobs, sizeof *lat);
    size_t nlat = 0;
    long long t0 = 0, t1 = 0;
    struct map per_card = {0}; /* iccid -> jobs that may run on it */

    for (size_t i = 0; i < njobs; i++) {
        struct job *j = &jobs[i];
        retries += j->retries;
        dups += j->dups;
        attempts += j->attempt;
        if (!j->expect_rejected)
            bump(&per_card, j->iccid, 1);
        if (j->nfinal == 0) {
            lost++;
            violation(V_LOST, "job %s: no final state (hash state %s)", j->id,
                      j->hash_seen ? j->hstate : "absent");
            continue;
        }
        finals++;
        if (j->nfinal > 1) {
            twofinal++;
            violation(V_TWOFINAL, "job %s: %s then %s (%u final events)", j->id, j->final,
                      j->final2, j->nfinal);
        }
        if (!j->hash_seen || strcmp(j->hstate, j->final) != 0)
            violation(V_MISMATCH, "job %s: final event %s, hash state %s", j->id, j->final,
                      j->hash_seen ? j->hstate : "absent");
        if (j->expect_rejected && strcmp(j->final, "rejected") != 0)
            violation(V_EXPECT, "job %s is invalid by construction but ended %s", j->id, j->final);
        if (have_state && strcmp(j->final, "confirmed") == 0 && strcmp(j->check_key, "-") != 0) {
            const char *v = state_get(j->iccid, j->check_key);
            effects++;
            if (!v || strcasecmp(v, j->check_val) != 0)
                violation(V_NO_EFFECT, "job %s confirmed, card %s %s is %s, want %s", j->id,
                          j->iccid, j->check_key, v ? v : "absent", j->check_val);
        }
        /* Not a violation but a figure: a job that ended failed or expired
         * although its card shows the change (the evidence, a receipt or
         * PoR, was lost on the way). */
        if (have_state && strcmp(j->check_key, "-") != 0 &&
            (strcmp(j->final, "failed") == 0 || strcmp(j->final, "expired") == 0)) {
            const char *v = state_get(j->iccid, j->check_key);
            unreported_checked++;
            if (v && strcasecmp(v, j->check_val) == 0)
                unreported++;
        }
        long long start = j->entry_ms ? j->entry_ms : j->first_ms;
        if (start && j->final_ms >= start) {
            lat[nlat++] = j->final_ms - start;
            if (!t0 || start < t0)
                t0 = start;
            if (j->final_ms > t1)
                t1 = j->final_ms;
        }
    }
    /* A card that executed more packets than it had jobs ran some job twice
     * with two counters: the at-least-once case (an attempt whose outcome
     * was lost, sent again). Counted, not a violation: see reliability.md. */
    if (have_journal)
        for (size_t i = 0; i < card_exec.cap; i++) {
            if (!card_exec.keys[i])
                continue;
            long *n = map_at(&per_card, card_exec.keys[i], 0);
            long want = n ? *n : 0;
            if (card_exec.vals[i] > want)
                reexec += (unsigned long)(card_exec.vals[i] - want);
        }
    map_free(&per_card);

    printf("jobs: %zu\n", njobs);
    printf("final: %lu", finals);
    const char *names[] = {"confirmed", "delivered", "failed", "expired", "rejected"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < njobs; i++)
            if (jobs[i].nfinal && strcmp(jobs[i].final, names[k]) == 0)
                n++;
        printf(" %s=%lu", names[k], n);
    }
    printf("\n");
    printf("lost: %lu\n", lost);
    printf("two final states: %lu\n", twofinal);
    printf("attempts: %lu (retry events %lu)\n", attempts, retries);
    printf("duplicate submissions of one id: %lu (each one job)\n", dups);
    if (have_journal) {
        printf("packets processed by cards: %lu, executed %lu, status 02 (counter low) %lu\n",
               jl_total, jl_executed, jl_rsc[2]);
        printf("reused counters: %lu\n", vcount[V_CNTR_REUSE]);
        printf("packets executed twice: %lu\n", vcount[V_EXEC_TWICE]);
        printf("jobs re-executed with a fresh counter (at-least-once): %lu\n", reexec);
    }
    if (have_state) {
        printf("confirmed jobs whose change was checked on the card: %lu\n", effects);
        printf("failed/expired jobs whose card shows the change (evidence lost): %lu of %lu\n",
               unreported, unreported_checked);
    }
    if (nlat) {
        qsort(lat, nlat, sizeof *lat, cmp_ll);
        double span = (double)(t1 - t0) / 1000.0;
        printf("throughput: %.1f final states/s over %.1f s\n",
               span > 0 ? (double)nlat / span : 0.0, span);
        printf("latency enqueue->final ms: p50=%lld p99=%lld max=%lld\n", lat[nlat / 2],
               lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 : nlat - 1], lat[nlat - 1]);
    }
    free(lat);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: chaos_check --redis HOST:PORT [--user U] [--password P]\n"
                 "         --manifest F [--journal F] [--state F] [--progress F]\n"
                 "         [--faults F] [--stall-s N] [--events STREAM] [--open]\n"
                 "exit 0: every invariant holds; 1: a violation; 2: usage or input error\n");
}

int main(int argc, char **argv)
{
    const char *manifest = NULL, *journal = NULL, *state = NULL, *progress = NULL;
    const char *faults = NULL, *redis = NULL, *user = NULL, *password = NULL;
    const char *events = "ota:events";
    double stall_s = 30;
    int open_only = 0;
    static const struct option opts[] = {
        {"manifest", 1, 0, 'm'},
        {"journal", 1, 0, 'j'},
        {"state", 1, 0, 's'},
        {"progress", 1, 0, 'p'},
        {"faults", 1, 0, 'f'},
        {"redis", 1, 0, 'r'},
        {"user", 1, 0, 'u'},
        {"password", 1, 0, 'P'},
        {"stall-s", 1, 0, 'S'},
        {"events", 1, 0, 'e'},
        {"open", 0, 0, 'o'},
        {"help", 0, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            manifest = optarg;
            break;
        case 'j':
            journal = optarg;
            break;
        case 's':
            state = optarg;
            break;
        case 'p':
            progress = optarg;
            break;
        case 'f':
            faults = optarg;
            break;
        case 'r':
            redis = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 'P':
            password = optarg;
            break;
        case 'S':
            stall_s = atof(optarg);
            break;
        case 'e':
            events = optarg;
            break;
        case 'o':
            open_only = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!manifest || !redis) {
        usage(stderr);
        return 2;
    }
    if (load_manifest(manifest) != 0 || redis_open(redis, user, password) != 0)
        return 2;
    if (open_only) {
        if (read_hashes() != 0)
            return 2;
        size_t open = 0;
        for (size_t i = 0; i < njobs; i++)
            open += !jobs[i].hash_seen || !is_final(&jobs[i], jobs[i].hstate);
        printf("%zu\n", open);
        return 0;
    }
    if (read_events(events) != 0 || read_hashes() != 0)
        return 2;
    if (journal && load_journal(journal) != 0)
        return 2;
    if (state && (load_state(state) != 0 || check_counters() != 0))
        return 2;
    if (progress && check_progress(progress, stall_s) != 0)
        return 2;
    if (faults && load_faults(faults) != 0)
        return 2;

    printf("== chaos_check\n");
    judge_jobs(state != NULL, journal != NULL);
    if (faults) {
        printf("faults injected: %lu\n", faults_total);
        print_map_sorted("faults by kind", &fault_kinds);
    }
    print_map_sorted("events by state", &state_count);
    if (ev_unknown_job)
        printf("events of jobs outside the manifest: %lu\n", ev_unknown_job);
    if (state)
        printf("card counters checked against Redis: %lu\n", cntr_checked);
    if (progress)
        printf("longest wait with work pending and no event: %.1f s (limit %.0f s)\n", max_stall_s,
               stall_s);
    unsigned long total = 0;
    for (int k = 0; k < V_N; k++)
        total += vcount[k];
    printf("violations: %lu", total);
    for (int k = 0; k < V_N; k++)
        if (vcount[k])
            printf(" %s=%lu", vname[k], vcount[k]);
    printf("\n%s\n", total ? "FAIL" : "PASS");

    redisFree(rc);
    for (size_t i = 0; i < njobs; i++) {
        free(jobs[i].id);
        free(jobs[i].iccid);
        free(jobs[i].keyset);
        free(jobs[i].check_key);
        free(jobs[i].check_val);
    }
    free(jobs);
    for (size_t i = 0; i < nstate; i++)
        free(state_vals[i]);
    free(state_vals);
    map_free(&job_ix);
    map_free(&state_count);
    map_free(&packets);
    map_free(&executions);
    map_free(&card_exec);
    map_free(&state_ix);
    map_free(&fault_kinds);
    return total ? 1 : 0;
}
