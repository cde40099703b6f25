/* porlookup.c — the (msisdn, tar) -> keyset index for opening PoRs.
 *
 * Owns one hiredis async connection on the daemon's loop and the key
 * <prefix>porix:<msisdn>:<tar> (see porlookup.h for why it exists and what
 * it holds). A note is the "note" operation of jobq's function library
 * (queue/script.c), so that the hash and its TTL change together and the
 * TTL only ever grows (an older job's shorter deadline must not cut a newer
 * job's entry short). The notes of one turn of the loop go together in one
 * FCALL (multi), sent before the loop waits: one call per turn rather than
 * an EVAL per job (which cost Redis more than the note itself: the
 * script's SHA1, its text parsed from the wire, one reply per call). The
 * find is the library's "find" operation, one FCALL per PoR: the index,
 * then for each candidate jobq's por map and the job's record, so that a
 * PoR costs one round trip whether or not its response is decoded. */
#include "queue/porlookup.h"

#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "queue/resp.h"

#define NOTE_MAX 256 /* notes in one FCALL */

const char *const jobq_porlookup_fields[JOBQ_PORLOOKUP_NFIELDS] = {
    "type", "iccid", "msisdn", "method", "slot",     "imsi",   "aid",   "action", "applet",
    "file", "value", "tar",    "apdus",  "readback", "format", "class", "keyset",
};
enum {
    F_TYPE,
    F_ICCID,
    F_MSISDN,
    F_METHOD,
    F_SLOT,
    F_IMSI,
    F_AID,
    F_ACTION,
    F_APPLET,
    F_FILE,
    F_VALUE,
    F_TAR,
    F_APDUS,
    F_READBACK,
    F_FORMAT,
    F_CLASS,
    F_KEYSET
};

/* The record fields read per job type: type first, then what the
 * validator takes for that type (queue/job.c), class and keyset. Fewer
 * fields than all seventeen for every job: each field HMGET looks for is
 * a walk of the record's listpack, and each one crosses into Lua and back
 * (docs/daemon.md has the figures). */
static const unsigned char by_config[] = {F_TYPE,     F_ICCID,  F_MSISDN, F_FILE,  F_VALUE,
                                          F_READBACK, F_FORMAT, F_CLASS,  F_KEYSET};
static const unsigned char by_switch[] = {F_TYPE,   F_ICCID, F_MSISDN, F_METHOD, F_SLOT,
                                          F_IMSI,   F_AID,   F_ACTION, F_APPLET, F_READBACK,
                                          F_FORMAT, F_CLASS, F_KEYSET};
static const unsigned char by_apdu[] = {F_TYPE,  F_ICCID, F_MSISDN, F_TAR,
                                        F_APDUS, F_CLASS, F_KEYSET};
static const struct {
    const char *type;
    const unsigned char *f;
    size_t n;
} by_type[] = {
    {"config", by_config, sizeof by_config},
    {"switch", by_switch, sizeof by_switch},
    {"apdu", by_apdu, sizeof by_apdu},
};

int jobq_porlookup_lua_fields(char *out, size_t cap)
{
    size_t o = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__);                            \
        o += w_ > 0 ? (size_t)w_ : 0;                                                              \
    } while (0)
    PUT("local FIND = {");
    for (size_t t = 0; t < sizeof by_type / sizeof by_type[0]; t++) {
        PUT("%s%s = {", t ? ", " : "", by_type[t].type);
        for (size_t i = 0; i < by_type[t].n; i++)
            PUT("%s'%s'", i ? ", " : "", jobq_porlookup_fields[by_type[t].f[i]]);
        PUT("}");
    }
    PUT("}\n");
#undef PUT
    return o < cap ? 0 : -1;
}

struct jobq_porlookup {
    struct ev_loop *loop;
    redisAsyncContext *ac;
    int ready;
    int freeing;
    ev_timer retry;
    unsigned backoff_ms;
    char host[256];
    unsigned port;
    char user[64], password[128];
    int has_user, has_password;
    unsigned db;
    char prefix[64];
    char default_class[8];
    char *library;        /* jobq's function library (FUNCTION LOAD at each connection) */
    char fname[40];       /* its function */
    struct jobq_resp req; /* the notes' FCALL, written as they are queued */
    unsigned nnotes;
    ev_prepare flushw; /* sends the notes before the loop waits */
};

struct find {
    struct jobq_porlookup *pl;
    jobq_porlookup_fn *fn;
    void *cbud;
};

static void pl_connect(struct jobq_porlookup *pl);
static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents);

static void pl_down(struct jobq_porlookup *pl)
{
    pl->ac = NULL;
    pl->ready = 0;
    if (pl->freeing)
        return;
    unsigned b = pl->backoff_ms ? pl->backoff_ms : 100;
    pl->backoff_ms = b * 2 > 5000 ? 5000 : b * 2;
    ev_timer_set(&pl->retry, b / 1000.0, 0);
    ev_timer_start(pl->loop, &pl->retry);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    pl_connect(w->data);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct jobq_porlookup *pl = ac->data;
    (void)status;
    if (pl && pl->ac == ac)
        pl_down(pl);
}

/* AUTH / SELECT / FUNCTION LOAD answers: an error drops the connection (and
 * retries); the library already there (the same text: its name is the
 * text's hash) is fine. */
static void on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
    struct jobq_porlookup *pl = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR && pl->ac == ac && !pl->freeing &&
        !(strncmp(r->str, "ERR Library", 11) == 0 && strstr(r->str, "already exists")))
        redisAsyncDisconnect(ac);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct jobq_porlookup *pl = ac->data;
    if (!pl || pl->ac != ac)
        return;
    if (status != REDIS_OK) {
        pl_down(pl); /* hiredis frees ac after this callback */
        return;
    }
    pl->backoff_ms = 0;
    pl->ready = 1;
    if (pl->has_password) {
        if (pl->has_user)
            redisAsyncCommand(ac, on_handshake, pl, "AUTH %s %s", pl->user, pl->password);
        else
            redisAsyncCommand(ac, on_handshake, pl, "AUTH %s", pl->password);
    }
    if (pl->db)
        redisAsyncCommand(ac, on_handshake, pl, "SELECT %u", pl->db);
    /* jobq loads it too; here as well, so that a FUNCTION FLUSH or a
     * failover is mended by this connection's next handshake. */
    const char *a[] = {"FUNCTION", "LOAD", pl->library};
    redisAsyncCommandArgv(ac, on_handshake, pl, 3, a, NULL);
}

static void pl_connect(struct jobq_porlookup *pl)
{
    redisAsyncContext *ac = pl->host[0] == '/' ? redisAsyncConnectUnix(pl->host)
                                               : redisAsyncConnect(pl->host, (int)pl->port);
    if (!ac || ac->err) {
        if (ac)
            redisAsyncFree(ac);
        pl_down(pl);
        return;
    }
    ac->data = pl;
    if (redisLibevAttach(pl->loop, ac) != REDIS_OK) {
        redisAsyncFree(ac);
        pl_down(pl);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    pl->ac = ac;
}

static int prefix_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(":_.{}-", *s))
            return 0;
    return 1;
}

struct jobq_porlookup *jobq_porlookup_new(struct ev_loop *loop, const struct jobq_settings *in)
{
    struct jobq_settings s = *in;
    jobq_settings_defaults(&s);
    if (!prefix_ok(s.prefix) || strlen(s.prefix) >= 64)
        return NULL;
    struct jobq_porlookup *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->loop = loop;
    snprintf(pl->host, sizeof pl->host, "%s", s.host);
    pl->port = s.port;
    if (s.user && *s.user) {
        snprintf(pl->user, sizeof pl->user, "%s", s.user);
        pl->has_user = 1;
    }
    if (s.password && *s.password) {
        snprintf(pl->password, sizeof pl->password, "%s", s.password);
        pl->has_password = 1;
    }
    pl->db = s.db;
    snprintf(pl->prefix, sizeof pl->prefix, "%s", s.prefix);
    snprintf(pl->default_class, sizeof pl->default_class, "%s",
             s.default_class ? s.default_class : "uicc");
    /* "#!lua name=<function>\n...": the library names its one function. */
    pl->library = jobq_script_text(&s);
    const char *nm = pl->library ? strstr(pl->library, "name=") : NULL;
    size_t nl = nm ? strcspn(nm + 5, "\n") : 0;
    if (!nm || nl == 0 || nl >= sizeof pl->fname) {
        free(pl->library);
        free(pl);
        return NULL;
    }
    memcpy(pl->fname, nm + 5, nl);
    pl->fname[nl] = '\0';
    ev_prepare_init(&pl->flushw, on_flush);
    pl->flushw.data = pl;
    ev_timer_init(&pl->retry, on_retry, 0, 0);
    pl->retry.data = pl;
    pl_connect(pl);
    return pl;
}

void jobq_porlookup_free(struct jobq_porlookup *pl)
{
    if (!pl)
        return;
    pl->freeing = 1;
    ev_timer_stop(pl->loop, &pl->retry);
    ev_prepare_stop(pl->loop, &pl->flushw);
    pl->nnotes = 0; /* best effort, like a note lost with the connection */
    jobq_resp_reset(&pl->req);
    if (pl->ac) {
        redisAsyncContext *ac = pl->ac;
        pl->ac = NULL;
        redisAsyncFree(ac); /* pending finds get a NULL reply */
    }
    memset(pl->password, 0, sizeof pl->password);
    free(pl->library);
    jobq_resp_free(&pl->req);
    free(pl);
}

int jobq_porlookup_is_up(const struct jobq_porlookup *pl)
{
    return pl && pl->ready && pl->ac;
}

/* The msisdn without its '+' (*m, *ml digits) and the TAR in lower case
 * (t, as jobq writes its por map); -EINVAL on anything else. */
static int norm(const char *msisdn, const char *tar, const char **m, size_t *ml, char t[7])
{
    if (!msisdn || !tar)
        return -EINVAL;
    if (*msisdn == '+')
        msisdn++;
    size_t n = strlen(msisdn);
    if (n == 0 || n > 20 || strlen(tar) != 6)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)msisdn[i]))
            return -EINVAL;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)tar[i]))
            return -EINVAL;
        t[i] = (char)tolower((unsigned char)tar[i]);
    }
    t[6] = '\0';
    *m = msisdn, *ml = n;
    return 0;
}

/* The notes' reply: best effort (the keystore is the fallback), except that
 * a missing library (FUNCTION FLUSH, a failover) reconnects, which loads it
 * again. */
static void on_notes(redisAsyncContext *ac, void *reply, void *priv)
{
    struct jobq_porlookup *pl = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR Function not found", 22) == 0 &&
        pl->ac == ac && !pl->freeing)
        redisAsyncDisconnect(ac);
}

/* FCALL <fn> 0 multi 6 note msisdn tar keyset cntr ttl 6 note ...: every
 * note queued, in the order queued (written into pl->req as queued). */
static void notes_flush(struct jobq_porlookup *pl)
{
    unsigned n = pl->nnotes;
    pl->nnotes = 0;
    ev_prepare_stop(pl->loop, &pl->flushw);
    size_t len = 0;
    const char *cmd = n ? jobq_resp_command(&pl->req, &len) : NULL;
    if (cmd && jobq_porlookup_is_up(pl))
        (void)redisAsyncFormattedCommand(pl->ac, on_notes, pl, cmd, len);
    jobq_resp_reset(&pl->req);
}

static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop, (void)revents;
    notes_flush(w->data);
}

int jobq_porlookup_note(struct jobq_porlookup *pl, const char *msisdn, const char *tar,
                        const char *keyset, uint64_t cntr, uint64_t ttl_ms)
{
    const char *m;
    size_t ml;
    char t[7];
    if (!pl || !keyset || !*keyset || strlen(keyset) >= JOBQ_NAME_MAX ||
        norm(msisdn, tar, &m, &ml, t) != 0)
        return -EINVAL;
    if (!jobq_porlookup_is_up(pl))
        return -ENOTCONN;
    if (pl->nnotes == NOTE_MAX)
        notes_flush(pl);
    struct jobq_resp *r = &pl->req;
    if (pl->nnotes++ == 0) {
        jobq_resp_reset(r);
        jobq_resp_arg(r, "FCALL", 5);
        jobq_resp_str(r, pl->fname);
        jobq_resp_arg(r, "0", 1);
        jobq_resp_arg(r, "multi", 5);
    }
    jobq_resp_arg(r, "6", 1);
    jobq_resp_arg(r, "note", 4);
    jobq_resp_arg(r, m, ml);
    jobq_resp_arg(r, t, 6);
    jobq_resp_str(r, keyset);
    jobq_resp_u64(r, cntr);
    jobq_resp_u64(r, ttl_ms ? ttl_ms : 60000);
    ev_prepare_start(pl->loop, &pl->flushw);
    return 0;
}

int jobq_porlookup_job_from(const char *const *vals, const size_t *len, const char *default_class,
                            struct jobq_job *out, char *reason, size_t rlen)
{
    struct jobq_kv kv[JOBQ_PORLOOKUP_NFIELDS];
    size_t n = 0;
    int apdu = vals[F_TYPE] && len[F_TYPE] == 4 && memcmp(vals[F_TYPE], "apdu", 4) == 0;
    for (size_t i = 0; i < JOBQ_PORLOOKUP_NFIELDS; i++) {
        if (!vals[i] || i == F_CLASS || (i == F_TAR && !apdu))
            continue;
        const char *k = jobq_porlookup_fields[i];
        kv[n++] = (struct jobq_kv){k, strlen(k), vals[i], len[i]};
    }
    if (jobq_job_parse(kv, n, out, reason, rlen) != JOBQ_OK)
        return -EINVAL;
    const char *cls = default_class && *default_class ? default_class : "uicc";
    size_t cl = strlen(cls);
    if (vals[F_CLASS] && len[F_CLASS] > 0 && len[F_CLASS] < sizeof out->card_class)
        cls = vals[F_CLASS], cl = len[F_CLASS];
    if (cl >= sizeof out->card_class)
        cl = sizeof out->card_class - 1;
    memcpy(out->card_class, cls, cl);
    out->card_class[cl] = '\0';
    return 0;
}

/* One entry of the find's reply, before its job is built. */
struct raw {
    const redisReply *e;
    uint64_t cntr;
};

static int by_cntr_desc(const void *a, const void *b)
{
    const struct raw *x = a, *y = b;
    return x->cntr < y->cntr ? 1 : x->cntr > y->cntr ? -1 : 0;
}

static int is_str(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_STRING;
}

/* The job of one entry {keyset, cntr, id, attempt, {values}}, or -1. */
static int entry_job(const struct find *f, const redisReply *e, uint64_t cntr, struct jobq_job *j)
{
    if (e->elements < 5 || !is_str(e->element[2]) || !is_str(e->element[3]) ||
        e->element[4]->type != REDIS_REPLY_ARRAY || e->element[4]->elements == 0 ||
        !is_str(e->element[4]->element[0]) || e->element[2]->len == 0 ||
        e->element[2]->len > JOBQ_ID_MAX)
        return -1;
    const redisReply *v = e->element[4], *type = v->element[0];
    size_t t = 0;
    while (t < sizeof by_type / sizeof by_type[0] &&
           (strlen(by_type[t].type) != type->len || memcmp(by_type[t].type, type->str, type->len)))
        t++;
    if (t == sizeof by_type / sizeof by_type[0] || v->elements != by_type[t].n)
        return -1;
    const char *vals[JOBQ_PORLOOKUP_NFIELDS] = {0};
    size_t len[JOBQ_PORLOOKUP_NFIELDS] = {0};
    for (size_t i = 0; i < by_type[t].n; i++)
        if (is_str(v->element[i])) {
            vals[by_type[t].f[i]] = v->element[i]->str;
            len[by_type[t].f[i]] = v->element[i]->len;
        }
    char reason[160];
    if (jobq_porlookup_job_from(vals, len, f->pl->default_class, j, reason, sizeof reason) != 0)
        return -1;
    memcpy(j->key, e->element[2]->str, e->element[2]->len);
    j->key[e->element[2]->len] = '\0';
    j->attempt = (unsigned)strtoul(e->element[3]->str, NULL, 10);
    j->counter = cntr;
    return 0;
}

static void on_find(redisAsyncContext *ac, void *reply, void *priv)
{
    struct find *f = priv;
    redisReply *r = reply;
    struct jobq_por_candidate c[JOBQ_POR_CANDIDATES];
    struct raw raw[JOBQ_POR_CANDIDATES];
    struct jobq_job *jobs = NULL;
    unsigned n = 0, nraw = 0, njobs = 0;
    int err = 0;
    if (!r)
        err = -ENOTCONN;
    else if (r->type != REDIS_REPLY_ARRAY)
        err = -EPROTO;
    /* The library gone (FUNCTION FLUSH, a failover): reconnecting loads it. */
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR Function not found", 22) == 0 &&
        f->pl->ac == ac && !f->pl->freeing)
        redisAsyncDisconnect(ac);
    else if (r) /* NULL: the connection went with the call (err above) */
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *e = r->element[i];
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || !is_str(e->element[0]) ||
                !is_str(e->element[1]) || e->element[0]->len >= JOBQ_NAME_MAX)
                continue;
            struct raw x = {e, strtoull(e->element[1]->str, NULL, 10)};
            /* Keep the JOBQ_POR_CANDIDATES highest counters. */
            if (nraw < JOBQ_POR_CANDIDATES) {
                raw[nraw++] = x;
            } else {
                unsigned low = 0;
                for (unsigned k = 1; k < nraw; k++)
                    if (raw[k].cntr < raw[low].cntr)
                        low = k;
                if (x.cntr > raw[low].cntr)
                    raw[low] = x;
            }
            njobs += e->elements >= 5;
        }
    qsort(raw, nraw, sizeof raw[0], by_cntr_desc);
    if (njobs)
        jobs = malloc((njobs < nraw ? njobs : nraw) * sizeof *jobs);
    unsigned used = 0;
    for (unsigned i = 0; i < nraw; i++) {
        const redisReply *e = raw[i].e;
        memcpy(c[n].keyset, e->element[0]->str, e->element[0]->len);
        c[n].keyset[e->element[0]->len] = '\0';
        c[n].cntr = raw[i].cntr;
        c[n].job = NULL;
        if (jobs && e->elements >= 5 && used < njobs &&
            entry_job(f, e, raw[i].cntr, &jobs[used]) == 0) {
            c[n].job = &jobs[used++];
            if (!c[n].keyset[0]) /* find_job: the job's keyset */
                snprintf(c[n].keyset, sizeof c[n].keyset, "%s", c[n].job->keyset);
        }
        n++;
    }
    f->fn(f->cbud, err, c, n);
    free(jobs);
    free(f);
}

static int find(struct jobq_porlookup *pl, const char *msisdn, const char *tar, const char *cntr,
                jobq_porlookup_fn *fn, void *cbud)
{
    const char *m;
    size_t ml;
    char t[7];
    if (!pl || !fn || norm(msisdn, tar, &m, &ml, t) != 0)
        return -EINVAL;
    if (!jobq_porlookup_is_up(pl))
        return -ENOTCONN;
    notes_flush(pl); /* a find never overtakes a note queued before it */
    struct find *f = malloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    f->pl = pl, f->fn = fn, f->cbud = cbud;
    /* FCALL <fn> 0 find msisdn tar cntr ("" = every keyset of the index). */
    const char *a[] = {"FCALL", pl->fname, "0", "find", m, t, cntr};
    const size_t al[] = {5, strlen(pl->fname), 1, 4, ml, 6, strlen(cntr)};
    if (redisAsyncCommandArgv(pl->ac, on_find, f, 7, a, al) != REDIS_OK) {
        free(f);
        return -ENOTCONN;
    }
    return 0;
}

int jobq_porlookup_find(struct jobq_porlookup *pl, const char *msisdn, const char *tar,
                        jobq_porlookup_fn *fn, void *cbud)
{
    return find(pl, msisdn, tar, "", fn, cbud);
}

int jobq_porlookup_find_job(struct jobq_porlookup *pl, const char *msisdn, const char *tar,
                            uint64_t cntr, jobq_porlookup_fn *fn, void *cbud)
{
    char c[24];
    snprintf(c, sizeof c, "%llu", (unsigned long long)cntr);
    return find(pl, msisdn, tar, c, fn, cbud);
}
