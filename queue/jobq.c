/* jobq.c — Redis for the daemon: intake, transitions, scans, reconnection.
 *
 * Owns two hiredis async connections on the daemon's libev loop (hiredis
 * 0.14.1: no redisAsyncSetTimeout, so each connection has its own libev
 * watchdog for connect and command timeouts), the in-flight jobs, and the
 * replay list of outcomes that could not reach Redis yet. The state machine
 * itself is the Lua script of queue/script.c; this file moves arguments to
 * it and replies back to the daemon. See jobq.h for the contract and
 * docs/queue.md for the keys. */
#include "queue/jobq.h"
#include "queue/porlookup.h"

#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

#include "codec/hex.h"
#include "queue/outcome.h"
#include "queue/resp.h"
#include "queue/script.h"

#define MAX_ARGS    (8 + 2 * JOBQ_FIELDS_MAX)
#define JOBQ_FN_MAX 32 /* "otagw_" + 16 hex digits, with room */

enum conn_state { C_DOWN, C_CONNECTING, C_HANDSHAKE, C_READY };

struct conn {
    struct jobq *q;
    const char *name; /* "cmd" or "read" */
    int is_cmd;
    redisAsyncContext *ac;
    enum conn_state st;
    ev_timer retry;    /* reconnect back-off */
    ev_timer watchdog; /* connect and command timeouts */
    ev_tstamp since;   /* connect start, or the last sign of life */
    unsigned backoff_ms;
    unsigned outstanding;
    unsigned handshake_left;
    int blocking; /* an XREADGROUP BLOCK is outstanding */
    char why[256];
};

/* A job held by the daemon, or an outcome waiting for Redis. */
struct item {
    struct jobq_job job; /* first: the daemon's pointer is the item's */
    struct jobq *q;
    struct item *next;
    /* Held: handed to the daemon, its outcome not yet recorded; its lease
     * is renewed (renew_leases) while it is. */
    struct item *hprev, *hnext;
    ev_tstamp renewed; /* last renewal sent (or the hand-out) */
    int held, lost;
    int argc;
    char **argv;
    size_t *argl;
    jobq_done_fn *done;
    void *cbud;
    /* An entry at intake: its msisdn's country and, when refused, the
     * class of its reason (a static string), for intake_rejected. */
    char cc[3];
    const char *why;
};

struct jobq {
    struct ev_loop *loop;
    struct jobq_settings s;
    struct jobq_callbacks cb;
    void *ud;
    char *strs[16]; /* copies of the settings' strings */
    struct conn cmd, rd;
    char fname[JOBQ_FN_MAX]; /* the library's function (FCALL) */
    char *script;
    unsigned inflight; /* jobs read or handed out and not yet resolved */
    unsigned reserved; /* slots promised to a scan reply on its way */
    int reading;
    int scanning; /* a retry_due / XAUTOCLAIM is outstanding */
    int paused;
    int up;
    int freeing;
    ev_timer scan;
    ev_timer kick; /* read more once the current callbacks are done */
    struct item *replay, **replay_tail;
    char last_why[256];
    struct op *batch, **batch_tail; /* script calls queued in this loop turn */
    unsigned nbatch;
    struct jobq_resp req; /* their FCALL, written as they are queued */
    ev_prepare flushw;    /* sends them before the loop waits */
    struct item *pool;    /* freed items kept for reuse */
    unsigned npool;
    struct item *held; /* jobs whose lease this instance renews */
    ev_timer renew;
};

typedef void reply_fn(struct jobq *q, redisReply *r, void *priv, int err);

/* One queued script call: its reply function (its arguments are already
 * in the FCALL's text, q->req). */
struct op {
    struct op *next;
    reply_fn *fn;
    void *priv;
};

#define BATCH_MAX 256 /* operations in one FCALL */

struct req {
    struct conn *c;
    reply_fn *fn;
    void *priv;
};

static void logf_(struct jobq *q, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(struct jobq *q, int level, const char *fmt, ...)
{
    if (!q->cb.log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    q->cb.log(q->ud, level, buf);
}

static void read_more(struct jobq *q);
static void conn_start(struct conn *c);
static void replay_all(struct jobq *q);
static void renew_leases(struct jobq *q, int all);

/* ---- settings -------------------------------------------------------- */

#define DEF(f, v)                                                                                  \
    do {                                                                                           \
        if (!s->f)                                                                                 \
            s->f = v;                                                                              \
    } while (0)

void jobq_settings_defaults(struct jobq_settings *s)
{
    DEF(host, "127.0.0.1");
    DEF(port, 6379);
    DEF(prefix, "ota:");
    DEF(stream_jobs, "ota:jobs");
    DEF(stream_events, "ota:events");
    DEF(group, "otagw");
    DEF(batch, 64);
    DEF(max_inflight, 1024);
    DEF(max_attempts, 3);
    DEF(default_validity, 86400);
    DEF(block_ms, 2000);
    DEF(connect_timeout_ms, 3000);
    DEF(command_timeout_ms, 5000);
    DEF(reconnect_min_ms, 100);
    DEF(reconnect_max_ms, 5000);
    DEF(lease_ms, 30000);
    DEF(claim_idle_ms, s->lease_ms + 5000);
    DEF(scan_ms, 1000);
    DEF(retry_base_ms, 5000);
    DEF(retry_max_ms, 300000);
    DEF(reconcile_ms, 120000);
    DEF(map_ttl_s, 3600);
    DEF(early_ttl_ms, 120000);
    DEF(retention_s, 604800);
    DEF(events_maxlen, 1000000);
    DEF(resync_step, 256);
    DEF(default_class, "uicc");
    if (s->user && !*s->user)
        s->user = NULL;
    if (s->password && !*s->password)
        s->password = NULL;
}
#undef DEF

void jobq_consumer_name(const char *gateway_name, char *out, size_t cap)
{
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
            *p = '_';
    snprintf(out, cap, "%s-%s-%ld", gateway_name && *gateway_name ? gateway_name : "otagw", host,
             (long)getpid());
}

static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(":_.{}-", *s))
            return 0;
    return 1;
}

/* The library's text: "#!lua name=otagw_<hash>", the prologue that binds
 * it to the settings, the body of queue/script.c, and the registration of
 * one function of the same name. The hash (FNV-1a 64 of prologue + body)
 * names the library, so a changed script or other settings load as another
 * library and never replace the one a running instance calls; the same
 * text loaded twice is "already exists", which is fine. name: at least
 * JOBQ_FN_MAX characters, or NULL. */
static char *library_text(const struct jobq_settings *in, char *name)
{
    struct jobq_settings s = *in;
    jobq_settings_defaults(&s);
    if (!name_ok(s.prefix) || !name_ok(s.stream_jobs) || !name_ok(s.stream_events) ||
        !name_ok(s.group) || !name_ok(s.default_class))
        return NULL;
    char pro[2048];
    /* CMAX: the highest counter ever handed out is FFFFFFFFFE; a card that
     * stores FFFFFFFFFF answers "counter blocked" for ever (TS 102 225
     * §5.1.1, PoR status 04). */
    int n = snprintf(pro, sizeof pro,
                     "local P='%s' local JOBS='%s' local EVENTS='%s' local GROUP='%s' "
                     "local MAXATT=%u local LEASE=%u local RETAIN=%u local EVMAX=%u "
                     "local MAPTTL=%llu local EARLY=%u local CMAX=1099511627774 "
                     "local STEP=%llu local DEFCLASS='%s'\n",
                     s.prefix, s.stream_jobs, s.stream_events, s.group, s.max_attempts, s.lease_ms,
                     s.retention_s, s.events_maxlen, (unsigned long long)s.map_ttl_s * 1000ull,
                     s.early_ttl_ms, (unsigned long long)s.resync_step, s.default_class);
    if (n < 0 || (size_t)n >= sizeof pro ||
        jobq_porlookup_lua_fields(pro + n, sizeof pro - (size_t)n) != 0)
        return NULL;
    n += (int)strlen(pro + n);
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++)
        h = (h ^ (unsigned char)pro[i]) * 0x100000001b3ull;
    for (const char *b = jobq_script_body; *b; b++)
        h = (h ^ (unsigned char)*b) * 0x100000001b3ull;
    char fn[JOBQ_FN_MAX];
    snprintf(fn, sizeof fn, "otagw_%016llx", (unsigned long long)h);
    char head[64], tail[128];
    int hl = snprintf(head, sizeof head, "#!lua name=%s\n", fn);
    int tl = snprintf(tail, sizeof tail, "redis.register_function('%s', dispatch)\n", fn);
    size_t bl = strlen(jobq_script_body);
    char *t = malloc((size_t)hl + (size_t)n + bl + (size_t)tl + 1);
    if (!t)
        return NULL;
    char *w = t;
    memcpy(w, head, (size_t)hl), w += hl;
    memcpy(w, pro, (size_t)n), w += n;
    memcpy(w, jobq_script_body, bl), w += bl;
    memcpy(w, tail, (size_t)tl + 1);
    if (name)
        memcpy(name, fn, strlen(fn) + 1);
    return t;
}

char *jobq_script_text(const struct jobq_settings *in)
{
    return library_text(in, NULL);
}

/* ---- connections ----------------------------------------------------- */

static void set_up(struct jobq *q)
{
    int up = q->cmd.st == C_READY && q->rd.st == C_READY;
    if (up == q->up)
        return;
    q->up = up;
    if (up) {
        logf_(q, 6, "redis %s:%u: connected (consumer %s)", q->s.host, q->s.port, q->s.consumer);
        q->last_why[0] = '\0';
    } else {
        logf_(q, 4, "redis %s:%u: down: %s; not taking work", q->s.host, q->s.port,
              q->last_why[0] ? q->last_why : "disconnected");
    }
    if (q->cb.link && !q->freeing)
        q->cb.link(q->ud, up, up ? "" : q->last_why);
    if (up) {
        replay_all(q);
        renew_leases(q, 1); /* the outage may have eaten into them */
        read_more(q);
    }
}

static void conn_down(struct conn *c, const char *why)
{
    struct jobq *q = c->q;
    c->st = C_DOWN;
    c->ac = NULL;
    c->outstanding = 0;
    c->blocking = 0;
    if (why && *why) {
        snprintf(c->why, sizeof c->why, "%s", why);
        snprintf(q->last_why, sizeof q->last_why, "%s", why);
    }
    ev_timer_stop(q->loop, &c->watchdog);
    if (q->freeing)
        return;
    /* Exponential back-off with jitter, so a fleet does not reconnect in step. */
    unsigned b = c->backoff_ms ? c->backoff_ms : q->s.reconnect_min_ms;
    c->backoff_ms = b * 2 > q->s.reconnect_max_ms ? q->s.reconnect_max_ms : b * 2;
    double d = b / 1000.0 * (0.8 + 0.4 * (rand() / (double)RAND_MAX));
    ev_timer_set(&c->retry, d, 0);
    ev_timer_start(q->loop, &c->retry);
    set_up(q);
}

/* Drops the connection from our side: pending callbacks get NULL replies. */
static void conn_kill(struct conn *c, const char *why)
{
    redisAsyncContext *ac = c->ac;
    if (!ac)
        return;
    logf_(c->q, 4, "redis %s connection: %s", c->name, why);
    conn_down(c, why);
    redisAsyncFree(ac);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct conn *c = ac->data;
    if (!c || c->ac != ac)
        return; /* we dropped it ourselves */
    char why[200];
    snprintf(why, sizeof why, "connection lost%s%s", status == REDIS_OK ? "" : ": ",
             status == REDIS_OK ? "" : (ac->errstr[0] ? ac->errstr : "error"));
    conn_down(c, why);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct req *rq = privdata;
    struct conn *c = rq->c;
    (void)ac;
    if (c->outstanding)
        c->outstanding--;
    c->since = ev_now(c->q->loop);
    rq->fn(c->q, reply, rq->priv, reply ? 0 : -ENOTCONN);
    free(rq);
}

/* Sends one command; fn runs exactly once (err -ENOTCONN when the reply
 * never comes). Returns -ENOTCONN without calling fn when not connected. */
static int conn_send(struct conn *c, int internal, reply_fn *fn, void *priv, int argc,
                     const char **argv, const size_t *argl)
{
    if (!c->ac || (c->st != C_READY && !(internal && c->st == C_HANDSHAKE)))
        return -ENOTCONN;
    struct req *rq = malloc(sizeof *rq);
    if (!rq)
        return -ENOMEM;
    rq->c = c, rq->fn = fn, rq->priv = priv;
    if (redisAsyncCommandArgv(c->ac, on_reply, rq, argc, argv, argl) != REDIS_OK) {
        free(rq);
        return -ENOTCONN;
    }
    if (c->outstanding++ == 0)
        c->since = ev_now(c->q->loop);
    return 0;
}

/* conn_send for a command already written as RESP text. */
static int conn_send_formatted(struct conn *c, reply_fn *fn, void *priv, const char *cmd,
                               size_t len)
{
    if (!c->ac || c->st != C_READY)
        return -ENOTCONN;
    struct req *rq = malloc(sizeof *rq);
    if (!rq)
        return -ENOMEM;
    rq->c = c, rq->fn = fn, rq->priv = priv;
    if (redisAsyncFormattedCommand(c->ac, on_reply, rq, cmd, len) != REDIS_OK) {
        free(rq);
        return -ENOTCONN;
    }
    if (c->outstanding++ == 0)
        c->since = ev_now(c->q->loop);
    return 0;
}

/* FUNCTION LOAD of a library already there: the same text (its name is
 * the text's hash), so nothing to do. */
static int library_exists(const char *err)
{
    return strncmp(err, "ERR Library", 11) == 0 && strstr(err, "already exists") != NULL;
}

static void on_handshake(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct conn *c = priv;
    if (err || c->st != C_HANDSHAKE)
        return;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0 &&
        !library_exists(r->str)) {
        if (!c->why[0] || strncmp(c->why, "handshake:", 10) != 0) {
            char why[256];
            snprintf(why, sizeof why, "handshake: %.200s", r->str);
            snprintf(c->why, sizeof c->why, "%s", why);
        }
    }
    if (--c->handshake_left)
        return;
    if (strncmp(c->why, "handshake:", 10) == 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", c->why);
        logf_(q, 3, "redis %s:%u: %s", q->s.host, q->s.port, why);
        conn_kill(c, why);
        return;
    }
    c->st = C_READY;
    c->backoff_ms = 0;
    c->why[0] = '\0';
    set_up(q);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    struct conn *c = ac->data;
    if (!c || c->ac != ac)
        return;
    struct jobq *q = c->q;
    if (status != REDIS_OK) {
        char why[200];
        snprintf(why, sizeof why, "connect: %s", ac->errstr);
        conn_down(c, why); /* hiredis frees ac after this callback */
        return;
    }
    c->st = C_HANDSHAKE;
    c->handshake_left = 0;
    c->why[0] = '\0';
    c->since = ev_now(q->loop);
    const char *a[6];
    char db[16];
#define HS(n)                                                                                      \
    do {                                                                                           \
        if (conn_send(c, 1, on_handshake, c, n, a, NULL) == 0)                                     \
            c->handshake_left++;                                                                   \
    } while (0)
    if (q->s.password) {
        a[0] = "AUTH";
        if (q->s.user) {
            a[1] = q->s.user, a[2] = q->s.password;
            HS(3);
        } else {
            a[1] = q->s.password;
            HS(2);
        }
    }
    if (q->s.db) {
        snprintf(db, sizeof db, "%u", q->s.db);
        a[0] = "SELECT", a[1] = db;
        HS(2);
    }
    if (c->is_cmd) {
        a[0] = "XGROUP", a[1] = "CREATE", a[2] = q->s.stream_jobs, a[3] = q->s.group, a[4] = "0",
        a[5] = "MKSTREAM";
        HS(6);
        a[0] = "FUNCTION", a[1] = "LOAD", a[2] = q->script;
        HS(3);
    }
    a[0] = "PING";
    HS(1);
#undef HS
}

static void conn_start(struct conn *c)
{
    struct jobq *q = c->q;
    redisAsyncContext *ac = q->s.host[0] == '/' ? redisAsyncConnectUnix(q->s.host)
                                                : redisAsyncConnect(q->s.host, (int)q->s.port);
    if (!ac || ac->err) {
        char why[200];
        snprintf(why, sizeof why, "connect: %s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        conn_down(c, why);
        return;
    }
    ac->data = c;
    if (redisLibevAttach(q->loop, ac) != REDIS_OK) {
        redisAsyncFree(ac);
        conn_down(c, "cannot attach to the event loop");
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    c->ac = ac;
    c->st = C_CONNECTING;
    c->since = ev_now(q->loop);
    ev_timer_again(q->loop, &c->watchdog);
}

static void on_retry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    conn_start(w->data);
}

static void on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct conn *c = w->data;
    struct jobq *q = c->q;
    double idle = ev_now(loop) - c->since;
    if ((c->st == C_CONNECTING || c->st == C_HANDSHAKE) &&
        idle > q->s.connect_timeout_ms / 1000.0) {
        conn_kill(c, c->st == C_CONNECTING ? "connect timed out" : "handshake timed out");
        return;
    }
    double limit = q->s.command_timeout_ms / 1000.0 + (c->blocking ? q->s.block_ms / 1000.0 : 0);
    if (c->st == C_READY && c->outstanding && idle > limit)
        conn_kill(c, "command timed out");
}

static void conn_init(struct jobq *q, struct conn *c, const char *name, int is_cmd)
{
    c->q = q;
    c->name = name;
    c->is_cmd = is_cmd;
    ev_timer_init(&c->retry, on_retry_timer, 0, 0);
    c->retry.data = c;
    ev_init(&c->watchdog, on_watchdog);
    c->watchdog.repeat = 0.1;
    c->watchdog.data = c;
}

/* ---- items ----------------------------------------------------------- */

/* Items are kept for reuse (up to ITEM_POOL): a job record is a few kB,
 * and a malloc/free of that size per job made glibc consolidate its small
 * free chunks (hiredis's reply objects) every time. */
#define ITEM_POOL 256

static struct item *item_new(struct jobq *q)
{
    struct item *it = q->pool;
    if (it) {
        q->pool = it->next;
        q->npool--;
    } else {
        it = malloc(sizeof *it);
        if (!it)
            abort(); /* as hiredis does on OOM */
    }
    /* The job (some 6 kB) is zeroed by jobq_job_parse, which every item
     * goes through first (take_entry, retry_item); the rest here. */
    memset((char *)it + offsetof(struct item, q), 0, sizeof *it - offsetof(struct item, q));
    it->q = q;
    return it;
}

static void unhold(struct jobq *q, struct item *it)
{
    if (!it->held)
        return;
    if (it->hprev)
        it->hprev->hnext = it->hnext;
    else
        q->held = it->hnext;
    if (it->hnext)
        it->hnext->hprev = it->hprev;
    it->hprev = it->hnext = NULL;
    it->held = 0;
}

/* The job goes to the daemon; it stays held, its lease renewed, until its
 * outcome is recorded (item_free). */
static void hand_out(struct jobq *q, struct item *it)
{
    it->held = 1;
    it->lost = 0;
    it->renewed = ev_now(q->loop);
    it->hprev = NULL;
    it->hnext = q->held;
    if (q->held)
        q->held->hprev = it;
    q->held = it;
    q->cb.job_ready(q->ud, &it->job);
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    if (it->q)
        unhold(it->q, it);
    free(it->argv); /* argl and the strings are in the same allocation */
    struct jobq *q = it->q;
    if (q && !q->freeing && q->npool < ITEM_POOL) {
        it->next = q->pool;
        q->pool = it;
        q->npool++;
        return;
    }
    free(it);
}

static void resolved(struct jobq *q)
{
    if (q->inflight)
        q->inflight--;
    if (!q->freeing)
        ev_feed_event(q->loop, &q->kick, EV_TIMER);
}

static void on_kick(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    read_more(w->data);
}

static const char *word(redisReply *r, size_t i)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements <= i)
        return "";
    redisReply *e = r->element[i];
    return e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS ? e->str : "";
}

static void batch_flush(struct jobq *q);

/* A script call: the operation and its arguments, queued and sent with the
 * others of this turn of the loop in one FCALL (batch_flush): they are
 * written into its text at once. fn runs exactly once, as for conn_send;
 * returns -ENOTCONN (fn not called) when the command connection is not
 * ready. */
static int script(struct jobq *q, reply_fn *fn, void *priv, int argc, const char **argv,
                  const size_t *argl)
{
    if (argc > MAX_ARGS)
        return -E2BIG;
    if (!q->cmd.ac || q->cmd.st != C_READY)
        return -ENOTCONN;
    struct op *o = malloc(sizeof *o);
    if (!o)
        return -ENOMEM;
    o->next = NULL, o->fn = fn, o->priv = priv;
    struct jobq_resp *r = &q->req;
    if (q->nbatch == 0) {
        jobq_resp_reset(r);
        jobq_resp_arg(r, "FCALL", 5);
        jobq_resp_str(r, q->fname);
        jobq_resp_arg(r, "0", 1);
        jobq_resp_arg(r, "multi", 5);
    }
    jobq_resp_u64(r, (uint64_t)argc);
    for (int i = 0; i < argc; i++)
        jobq_resp_arg(r, argv[i], argl ? argl[i] : strlen(argv[i]));
    *q->batch_tail = o;
    q->batch_tail = &o->next;
    if (++q->nbatch >= BATCH_MAX)
        batch_flush(q);
    else
        ev_prepare_start(q->loop, &q->flushw);
    return 0;
}

/* The reply of a "multi" FCALL, flat (queue/script.c): per operation, in
 * order, the length of its array reply and the elements, or -1 and a reply
 * of another kind. Each operation gets its own reply as if it had been
 * called alone: an array that points into the flat one. */
static void on_batch(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct op *o = priv;
    size_t i = 0;
    int whole = err || r->type != REDIS_REPLY_ARRAY; /* an error for all of them */
    while (o) {
        struct op *n = o->next;
        redisReply *len = !whole && i < r->elements ? r->element[i] : NULL;
        if (whole) {
            o->fn(q, r, o->priv, err);
        } else if (!len || len->type != REDIS_REPLY_INTEGER || len->integer < -1 ||
                   (size_t)(len->integer < 0 ? 1 : len->integer) > r->elements - i - 1) {
            o->fn(q, NULL, o->priv, -EPROTO);
            i = r->elements; /* out of step: the rest cannot be trusted */
        } else if (len->integer < 0) {
            o->fn(q, r->element[i + 1], o->priv, 0);
            i += 2;
        } else {
            redisReply sub = {.type = REDIS_REPLY_ARRAY,
                              .elements = (size_t)len->integer,
                              .element = r->element + i + 1};
            o->fn(q, &sub, o->priv, 0);
            i += 1 + (size_t)len->integer;
        }
        free(o);
        o = n;
    }
}

static void batch_fail(struct jobq *q, struct op *o, int err)
{
    while (o) {
        struct op *n = o->next;
        o->fn(q, NULL, o->priv, err);
        free(o);
        o = n;
    }
}

/* Sends what was queued: FCALL <fn> 0 multi n1 op args... n2 op args...
 * (queue/script.c), one operation or many. One call runs the library's
 * prologue and reads the server clock once for all of them, and costs one
 * reply to parse. */
static void batch_flush(struct jobq *q)
{
    struct op *list = q->batch;
    q->batch = NULL, q->batch_tail = &q->batch, q->nbatch = 0;
    ev_prepare_stop(q->loop, &q->flushw);
    if (!list)
        return;
    size_t len = 0;
    const char *cmd = jobq_resp_command(&q->req, &len);
    int rc = cmd ? conn_send_formatted(&q->cmd, on_batch, list, cmd, len) : -ENOMEM;
    jobq_resp_reset(&q->req);
    if (rc != 0)
        batch_fail(q, list, rc);
}

static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop, (void)revents;
    batch_flush(w->data);
}

/* ---- outcomes of held jobs: kept until Redis has them ------------------ */

static void on_outcome(struct jobq *q, redisReply *r, void *priv, int err);

static void outcome_send(struct jobq *q, struct item *it)
{
    if (script(q, on_outcome, it, it->argc, (const char **)it->argv, it->argl) != 0) {
        it->next = NULL;
        *q->replay_tail = it;
        q->replay_tail = &it->next;
    }
}

static void replay_all(struct jobq *q)
{
    struct item *l = q->replay;
    q->replay = NULL;
    q->replay_tail = &q->replay;
    while (l) {
        struct item *n = l->next;
        outcome_send(q, l);
        l = n;
    }
}

/* The library is gone (FUNCTION FLUSH or DELETE, a failover to a server
 * without it): the reconnection's handshake loads it again. */
static int noscript(struct jobq *q, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ERROR || strncmp(r->str, "ERR Function not found", 22) != 0)
        return 0;
    conn_kill(&q->cmd, "script missing in redis; reloading");
    return 1;
}

static void on_outcome(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct item *it = priv;
    if (!err && noscript(q, r))
        err = -ENOTCONN;
    if (err) { /* connection gone: keep it for the reconnection */
        if (q->freeing) {
            if (it->done)
                it->done(it->cbud, -ECANCELED, "", it->job.key);
            item_free(it);
            resolved(q);
            return;
        }
        it->next = NULL;
        *q->replay_tail = it;
        q->replay_tail = &it->next;
        return;
    }
    int e = 0;
    const char *w = word(r, 0);
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "[job=%s] redis: %s", it->job.key, r->str);
        e = -EPROTO;
        w = "";
    } else if (strcmp(w, "stale") == 0 || strcmp(w, "final") == 0) {
        logf_(q, 6, "[job=%s attempt=%u] outcome not recorded: %s", it->job.key, it->job.attempt,
              w);
    }
    if (it->done)
        it->done(it->cbud, e, w, it->job.key);
    item_free(it);
    resolved(q);
}

/* Takes the job back from the daemon with the script call that resolves it. */
static int outcome(struct jobq *q, struct jobq_job *job, jobq_done_fn *done, void *cbud, int argc,
                   const char **argv)
{
    struct item *it = (struct item *)job;
    /* One allocation: pointers, lengths, then the strings. */
    size_t bytes = (size_t)argc * (sizeof *it->argv + sizeof *it->argl);
    size_t lens[MAX_ARGS];
    if (argc > MAX_ARGS)
        abort(); /* the callers' arrays are smaller */
    for (int i = 0; i < argc; i++) {
        lens[i] = strlen(argv[i]);
        bytes += lens[i] + 1;
    }
    it->argv = malloc(bytes);
    if (!it->argv)
        abort(); /* as hiredis does on OOM */
    it->argl = (size_t *)(it->argv + argc);
    char *w = (char *)(it->argl + argc);
    for (int i = 0; i < argc; i++) {
        it->argl[i] = lens[i];
        it->argv[i] = w;
        memcpy(w, argv[i], lens[i] + 1);
        w += lens[i] + 1;
    }
    it->argc = argc;
    it->done = done;
    it->cbud = cbud;
    outcome_send(q, it);
    return 0;
}

/* Decimal v into b (n octets), cut to fit like snprintf; without printf
 * (a microsecond a call, several per job). */
static void fmt_u(char *b, size_t n, unsigned long long v)
{
    char t[21];
    size_t l = jobq_u64(t, v);
    if (l >= n)
        l = n - 1;
    memcpy(b, t, l);
    b[l] = '\0';
}

/* snprintf(dst, cap, "%s", src) without printf. */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t l = strnlen(src, cap - 1);
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void lower_hex(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

/* The keys of one SM's message id (keys[0..n), NULL or "" skipped, an id
 * that reads the same both ways once: codec/dlr.h) into out; how many. */
static unsigned unique_keys(const char *const *keys, unsigned n, const char **out)
{
    unsigned m = 0;
    for (unsigned k = 0; k < n; k++) {
        const char *key = keys[k];
        if (!key || !*key)
            continue;
        int seen = 0;
        for (unsigned j = 0; j < m; j++)
            seen |= strcmp(out[j], key) == 0;
        if (!seen)
            out[m++] = key;
    }
    return m;
}

int jobq_job_submitted_keys(struct jobq *q, struct jobq_job *job, const char *carrier,
                            const char *country, const char *tar, const char *const *keys,
                            unsigned per_sm, unsigned nseg, jobq_done_fn *done, void *cbud)
{
    if (nseg == 0 || nseg > 30 || per_sm == 0 || per_sm > JOBQ_MSGID_KEYS || !carrier ||
        !*carrier || !tar || strlen(tar) != 6)
        return -EINVAL;
    const char *a[13 + 30 * (1 + JOBQ_MSGID_KEYS)];
    char att[16], n[8], t[8], cnt[30][12], cntr[24], pxat[24];
    fmt_u(att, sizeof att, job->attempt);
    fmt_u(n, sizeof n, nseg);
    fmt_u(cntr, sizeof cntr, job->counter);
    lower_hex(t, tar, sizeof t);
    /* The maps live until the deadline + map_ttl_s, and at least a minute
     * (a job whose deadline just passed may still get its PoR). */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long long now = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
    long long until = (long long)job->deadline_ms + (long long)q->s.map_ttl_s * 1000;
    fmt_u(pxat, sizeof pxat, (unsigned long long)(until > now + 60000 ? until : now + 60000));
    a[0] = "submitted", a[1] = job->key, a[2] = att, a[3] = carrier, a[4] = country ? country : "";
    a[5] = t, a[6] = job->msisdn, a[7] = cntr, a[8] = job->entry, a[9] = jobq_por_name(job->por);
    a[10] = job->tag, a[11] = pxat, a[12] = n;
    int argc = 13;
    for (unsigned i = 0; i < nseg; i++) {
        int at = argc++;
        unsigned m = unique_keys(keys + (size_t)i * per_sm, per_sm, a + argc);
        argc += (int)m;
        if (m == 0) /* every SM needs a key its receipt can name */
            return -EINVAL;
        fmt_u(cnt[i], sizeof cnt[i], m);
        a[at] = cnt[i];
    }
    return outcome(q, job, done, cbud, argc, a);
}

int jobq_job_submitted(struct jobq *q, struct jobq_job *job, const char *carrier,
                       const char *country, const char *tar, const char *const *msgids,
                       unsigned nseg, jobq_done_fn *done, void *cbud)
{
    return jobq_job_submitted_keys(q, job, carrier, country, tar, msgids, 1, nseg, done, cbud);
}

static unsigned backoff_ms(const struct jobq *q, unsigned attempt)
{
    unsigned long long b = q->s.retry_base_ms;
    for (unsigned i = 1; i < attempt && b < q->s.retry_max_ms; i++)
        b *= 2;
    if (b > q->s.retry_max_ms)
        b = q->s.retry_max_ms;
    return (unsigned)(b * (0.8 + 0.4 * (rand() / (double)RAND_MAX)));
}

int jobq_submit_failed(struct jobq *q, struct jobq_job *job, int transient, const char *reason,
                       jobq_done_fn *done, void *cbud)
{
    char att[16], bo[16];
    fmt_u(att, sizeof att, job->attempt);
    fmt_u(bo, sizeof bo, backoff_ms(q, job->attempt));
    const char *a[] = {"failed", job->key, att, transient ? "1" : "0", reason ? reason : "", bo};
    return outcome(q, job, done, cbud, 6, a);
}

int jobq_unknown_outcome(struct jobq *q, struct jobq_job *job, const char *carrier, const char *tar,
                         jobq_done_fn *done, void *cbud)
{
    return jobq_unknown_outcome_keys(q, job, carrier, tar, NULL, 0, 1, done, cbud);
}

/* Appends "seg key" pairs for SM seg's keys (unique_keys) to a[*argc..cap). */
static void seg_pairs(const char **a, int *argc, int cap, const char *seg, const char *const *keys,
                      unsigned per_sm)
{
    const char *u[JOBQ_MSGID_KEYS];
    unsigned m = unique_keys(keys, per_sm, u);
    for (unsigned k = 0; k < m && *argc + 2 <= cap; k++) {
        a[(*argc)++] = seg;
        a[(*argc)++] = u[k];
    }
}

int jobq_unknown_outcome_keys(struct jobq *q, struct jobq_job *job, const char *carrier,
                              const char *tar, const char *const *keys, unsigned per_sm,
                              unsigned nseg, jobq_done_fn *done, void *cbud)
{
    if (!tar || strlen(tar) != 6 || nseg == 0 || nseg > 30 || per_sm > JOBQ_MSGID_KEYS ||
        (per_sm && !keys))
        return -EINVAL;
    char att[16], rec[16], t[8], n[8], segs[30][4];
    fmt_u(att, sizeof att, job->attempt);
    /* Only a PoR reconciles an unknown outcome (the receipt names a message
     * id the SMSC never gave us). A job that asks for no PoR on success
     * (por=none, por=error) would wait reconcile_ms for nothing, often past
     * its deadline, and expire although its card may have run it (the
     * soak's "evidence lost"): it is sent again after the usual back-off,
     * with a fresh counter (at-least-once, docs/reliability.md). */
    int nopor = job->por != JOBQ_POR_ALWAYS;
    fmt_u(rec, sizeof rec, nopor ? backoff_ms(q, job->attempt) : q->s.reconcile_ms);
    lower_hex(t, tar, sizeof t);
    fmt_u(n, sizeof n, nseg);
    const char *a[MAX_ARGS] = {
        "unknown", job->key,          att, carrier ? carrier : "", job->msisdn, t,
        rec,       nopor ? "1" : "0", n};
    int argc = 9;
    /* The ids of the SMs answered in time; past MAX_ARGS the rest are left
     * out (their receipts then cannot settle the job: it is retried). */
    for (unsigned i = 0; i < nseg && per_sm; i++) {
        fmt_u(segs[i], sizeof segs[i], i + 1);
        seg_pairs(a, &argc, MAX_ARGS, segs[i], keys + (size_t)i * per_sm, per_sm);
    }
    return outcome(q, job, done, cbud, argc, a);
}

int jobq_job_rejected(struct jobq *q, struct jobq_job *job, const char *reason, jobq_done_fn *done,
                      void *cbud)
{
    char att[16];
    fmt_u(att, sizeof att, job->attempt);
    const char *a[] = {"reject2", job->key, att, reason ? reason : "rejected"};
    return outcome(q, job, done, cbud, 4, a);
}

void jobq_job_release(struct jobq *q, struct jobq_job *job)
{
    char att[16], idle[16];
    fmt_u(att, sizeof att, job->attempt);
    fmt_u(idle, sizeof idle, q->s.claim_idle_ms);
    const char *a[] = {"release", job->key, att, q->s.consumer, idle};
    (void)outcome(q, job, NULL, NULL, 5, a);
}

/* ---- receipts, PoRs, counters: answered now or failed now ---------------- */

struct call {
    jobq_done_fn *done;
    jobq_counter_fn *cdone;
    void *cbud;
};

static void on_call(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct call *c = priv;
    if (!err && noscript(q, r))
        err = -ENOTCONN;
    if (err) {
        if (c->done)
            c->done(c->cbud, err, "", "");
        if (c->cdone)
            c->cdone(c->cbud, err, 0);
    } else if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, strncmp(r->str, "BLOCKED", 7) ? 3 : 4, "redis: %s", r->str);
        if (c->done)
            c->done(c->cbud, -EPROTO, "", "");
        if (c->cdone)
            c->cdone(c->cbud, strncmp(r->str, "BLOCKED", 7) ? -EPROTO : -ENOSPC, 0);
    } else if (c->cdone) {
        c->cdone(c->cbud, r->type == REDIS_REPLY_INTEGER ? 0 : -EPROTO,
                 r->type == REDIS_REPLY_INTEGER ? (uint64_t)r->integer : 0);
    } else if (c->done) {
        c->done(c->cbud, 0, word(r, 0), word(r, 1));
    }
    free(c);
}

static int call(struct jobq *q, jobq_done_fn *done, jobq_counter_fn *cdone, void *cbud, int argc,
                const char **argv)
{
    struct call *c = malloc(sizeof *c);
    if (!c)
        return -ENOMEM;
    c->done = done, c->cdone = cdone, c->cbud = cbud;
    int rc = script(q, on_call, c, argc, argv, NULL);
    if (rc != 0) {
        free(c);
        if (done)
            done(cbud, rc, "", "");
        if (cdone)
            cdone(cbud, rc, 0);
    }
    return 0;
}

int jobq_receipt_keys(struct jobq *q, const char *carrier, const char *const *keys, unsigned nkeys,
                      const char *stat, const char *err, jobq_done_fn *done, void *cbud)
{
    if (!carrier || !*carrier || nkeys == 0 || nkeys > JOBQ_MSGID_KEYS)
        return -EINVAL;
    for (unsigned i = 0; i < nkeys; i++)
        if (!keys[i] || !*keys[i])
            return -EINVAL;
    char detail[64];
    enum jobq_outcome o = jobq_receipt_classify(stat, err, detail, sizeof detail);
    const char *a[7 + JOBQ_MSGID_KEYS] = {
        "receipt", carrier, keys[0], stat ? stat : "", err ? err : "", jobq_outcome_word(o),
        detail};
    for (unsigned i = 1; i < nkeys; i++)
        a[6 + i] = keys[i];
    return call(q, done, NULL, cbud, 6 + (int)nkeys, a);
}

int jobq_receipt(struct jobq *q, const char *carrier, const char *msgid, const char *stat,
                 const char *err, jobq_done_fn *done, void *cbud)
{
    return jobq_receipt_keys(q, carrier, &msgid, 1, stat, err, done, cbud);
}

int jobq_late_submitted(struct jobq *q, const char *carrier, const char *job, unsigned attempt,
                        unsigned seg, unsigned nseg, const char *const *keys, unsigned nkeys,
                        jobq_done_fn *done, void *cbud)
{
    if (!carrier || !*carrier || !job || !*job || strlen(job) > JOBQ_ID_MAX || seg == 0 ||
        seg > nseg || nseg > 30 || nkeys == 0 || nkeys > JOBQ_MSGID_KEYS || !keys)
        return -EINVAL;
    char att[16], sg[8], n[8];
    fmt_u(att, sizeof att, attempt);
    fmt_u(sg, sizeof sg, seg);
    fmt_u(n, sizeof n, nseg);
    const char *a[6 + JOBQ_MSGID_KEYS] = {"late", job, att, carrier, sg, n};
    unsigned m = unique_keys(keys, nkeys, a + 6);
    if (m == 0)
        return -EINVAL;
    return call(q, done, NULL, cbud, 6 + (int)m, a);
}

/* Text for the job's hash and event: printable ASCII (the stash joins
 * fields with tabs; consumers get no control or stray UTF-8 octets). */
static void printable(char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src && src[i] && i + 1 < cap; i++)
        dst[i] = (unsigned char)src[i] >= 0x20 && (unsigned char)src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
}

int jobq_por_decoded(struct jobq *q, const char *msisdn, const char *tar, uint64_t cntr,
                     unsigned status, const uint8_t *data, size_t datalen,
                     const struct jobq_por_decoded *dec, jobq_done_fn *done, void *cbud)
{
    if (!msisdn || !tar || strlen(tar) != 6 || datalen > 512)
        return -EINVAL;
    if (*msisdn == '+')
        msisdn++;
    char raw[640], detail[640], rb[520] = "", c[24], t[8], bo[16], hex[1025] = "";
    enum jobq_outcome o = jobq_por_outcome(status, data, datalen, dec, raw, sizeof raw);
    printable(detail, raw, sizeof detail);
    if (datalen && !hex_encode(data, datalen, hex, sizeof hex))
        return -EINVAL;
    fmt_u(c, sizeof c, cntr);
    lower_hex(t, tar, sizeof t);
    fmt_u(bo, sizeof bo, backoff_ms(q, 1));
    int ok = o == JOBQ_OUT_OK && dec && dec->understood && status == 0;
    if (ok && dec->readback)
        printable(rb, dec->readback, sizeof rb);
    const char *a[] = {"por",
                       msisdn,
                       t,
                       c,
                       jobq_outcome_word(o),
                       detail,
                       hex,
                       bo,
                       ok && dec->provisional ? "1" : "",
                       rb};
    return call(q, done, NULL, cbud, 10, a);
}

int jobq_por(struct jobq *q, const char *msisdn, const char *tar, uint64_t cntr, unsigned status,
             const uint8_t *data, size_t datalen, jobq_done_fn *done, void *cbud)
{
    return jobq_por_decoded(q, msisdn, tar, cntr, status, data, datalen, NULL, done, cbud);
}

int jobq_counter_alloc(struct jobq *q, const char *iccid, const char *keyset, jobq_counter_fn *done,
                       void *cbud)
{
    if (!iccid || !*iccid || !keyset || !*keyset)
        return -EINVAL;
    const char *a[] = {"cntr", iccid, keyset};
    return call(q, NULL, done, cbud, 3, a);
}

int jobq_move(struct jobq *q, const char *key, const char *state, const char *detail,
              jobq_done_fn *done, void *cbud)
{
    static const char *const finals[] = {"failed", "expired", "rejected", "confirmed"};
    int known = 0;
    for (size_t i = 0; i < sizeof finals / sizeof *finals; i++)
        known |= state && strcmp(state, finals[i]) == 0;
    if (!known || !key || !*key)
        return -EINVAL;
    const char *a[] = {"move", key, state, detail ? detail : ""};
    return call(q, done, NULL, cbud, 4, a);
}

/* ---- intake ------------------------------------------------------------ */

/* The owner hears of an entry refused at intake (rejected: its reason
 * class; duplicate) from the reply that says Redis recorded it, never
 * from the call: the call may be made again for the same entry. */
static void tell_refused(struct jobq *q, const struct item *it, const char *w)
{
    if (q->freeing)
        return;
    if (strcmp(w, "rejected") == 0 && q->cb.intake_rejected)
        q->cb.intake_rejected(q->ud, it->job.key, it->why ? it->why : "other", it->cc);
    else if (strcmp(w, "duplicate") == 0 && q->cb.intake_duplicate)
        q->cb.intake_duplicate(q->ud, it->job.key, it->cc);
}

static void on_intake(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct item *it = priv;
    if (!err && noscript(q, r))
        err = -ENOTCONN;
    const char *w = err ? "" : word(r, 0);
    if (!err && r->type == REDIS_REPLY_ARRAY && strcmp(w, "ready") == 0 && r->elements >= 7) {
        struct jobq_job *j = &it->job;
        j->attempt = (unsigned)r->element[1]->integer;
        j->counter = (uint64_t)r->element[2]->integer;
        copy_str(j->keyset, sizeof j->keyset, word(r, 3));
        copy_str(j->card_class, sizeof j->card_class, word(r, 4));
        j->deadline_ms = strtoll(word(r, 5), NULL, 10);
        copy_str(j->entry, sizeof j->entry, word(r, 6));
        if (q->freeing) {
            item_free(it);
            resolved(q);
            return;
        }
        hand_out(q, it);
        return;
    }
    if (err)
        logf_(q, 4, "[job=%s] intake lost with the connection; the entry stays pending",
              it->job.key);
    else if (r->type == REDIS_REPLY_ERROR)
        logf_(q, 3, "[job=%s] intake: redis: %s", it->job.key, r->str);
    else
        logf_(q, 7, "[job=%s] intake: %s %s", it->job.key, w, word(r, 1));
    if (!err && r->type == REDIS_REPLY_ARRAY) {
        /* The library's own refusal of a valid job: its card has no record
         * and the job names no keyset (queue/script.c op_intake). */
        it->why = "card";
        tell_refused(q, it, w);
        if (strcmp(w, "failed") == 0 && q->cb.job_final && !q->freeing)
            q->cb.job_final(q->ud, it->job.key, "failed"); /* counter exhausted */
    }
    item_free(it);
    resolved(q);
}

static void on_plain(struct jobq *q, redisReply *r, void *priv, int err)
{
    const char *what = priv;
    if (!err && r->type == REDIS_REPLY_ERROR)
        logf_(q, 3, "%s: redis: %s", what, r->str);
    resolved(q);
}

/* The reply of `reject` (an entry that failed validation): "rejected",
 * "duplicate" (its id names another entry's job) or "done" (this entry's
 * rejection was recorded before). */
static void on_rejected(struct jobq *q, redisReply *r, void *priv, int err)
{
    struct item *it = priv;
    if (!err && noscript(q, r))
        err = -ENOTCONN;
    if (err)
        logf_(q, 4, "[job=%s] rejection lost with the connection; the entry stays pending",
              it->job.key);
    else if (r->type == REDIS_REPLY_ERROR)
        logf_(q, 3, "[job=%s] reject: redis: %s", it->job.key, r->str);
    else
        tell_refused(q, it, word(r, 0));
    item_free(it);
    resolved(q);
}

/* One stream entry: validate, then intake (valid) or reject (invalid). */
static void take_entry(struct jobq *q, redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING) {
        resolved(q);
        return;
    }
    const char *entry = e->element[0]->str;
    redisReply *f = e->element[1];
    if (f->type != REDIS_REPLY_ARRAY) { /* deleted entry still pending: drop it */
        const char *a[] = {"XACK", q->s.stream_jobs, q->s.group, entry};
        if (conn_send(&q->cmd, 0, on_plain, (void *)(uintptr_t) "XACK", 4, a, NULL) != 0)
            resolved(q);
        return;
    }
    struct jobq_kv kv[JOBQ_FIELDS_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i + 1 < f->elements && n <= JOBQ_FIELDS_MAX; i += 2) {
        redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        kv[n++] = (struct jobq_kv){k->str, k->len, v->str, v->len};
    }
    if (f->elements / 2 > JOBQ_FIELDS_MAX)
        n = JOBQ_FIELDS_MAX + 1; /* the validator refuses it with its reason */
    struct item *it = item_new(q);
    char reason[256], cc[3] = "";
    enum jobq_err rc = jobq_job_parse(kv, n, &it->job, reason, sizeof reason);
    if (rc != JOBQ_OK) {
        jobq_job_salvage(kv, n, it->job.id, it->job.tag);
        jobq_job_salvage_msisdn(kv, n, it->job.msisdn);
    }
    if (q->cb.country && it->job.msisdn[0]) {
        q->cb.country(q->ud, it->job.msisdn, cc);
        cc[2] = '\0';
    }
    memcpy(it->cc, cc, sizeof it->cc);
    copy_str(it->job.key, sizeof it->job.key, it->job.id[0] ? it->job.id : entry);
    copy_str(it->job.entry, sizeof it->job.entry, entry);
    const char *a[8 + 2 * JOBQ_FIELDS_MAX];
    size_t l[8 + 2 * JOBQ_FIELDS_MAX];
    int argc = 0;
    int sent;
    if (rc != JOBQ_OK) {
        logf_(q, 6, "[job=%s entry=%s] rejected: %s", it->job.key, entry, reason);
        a[0] = "reject", a[1] = it->job.key, a[2] = entry, a[3] = reason, a[4] = it->job.tag;
        a[5] = cc;
        for (int i = 0; i < 6; i++)
            l[i] = strlen(a[i]);
        it->why = jobq_reason_class(rc, reason);
        sent = script(q, on_rejected, it, 6, a, l);
        if (sent != 0) {
            item_free(it);
            resolved(q);
        }
        return;
    }
    char validity[16];
    fmt_u(validity, sizeof validity,
          (unsigned long long)(it->job.validity ? it->job.validity : q->s.default_validity) *
              1000ull);
    a[argc] = "intake", l[argc++] = 6;
    a[argc] = it->job.key, l[argc++] = strlen(it->job.key);
    a[argc] = entry, l[argc++] = strlen(entry);
    a[argc] = q->s.consumer, l[argc++] = strlen(q->s.consumer);
    a[argc] = validity, l[argc++] = strlen(validity);
    /* iccid, keyset, por, tag and the msisdn's country by position (the
     * script needs them and writes them where it wants them in the record;
     * "" = absent), the other fields as pairs (tag too: stored only when
     * given). */
    int at = argc;
    for (int i = 0; i < 5; i++)
        a[argc] = "", l[argc++] = 0;
    a[at + 4] = cc, l[at + 4] = strlen(cc);
    static const char *const positional[] = {"iccid", "keyset", "por", "tag"};
    for (size_t i = 0; i < n; i++) {
        if (!jobq_field_known(kv[i].k, kv[i].klen))
            continue; /* x-* */
        int pos = -1;
        for (int k = 0; k < 4 && pos < 0; k++)
            if (kv[i].klen == strlen(positional[k]) && !memcmp(kv[i].k, positional[k], kv[i].klen))
                pos = k;
        if (pos >= 0) {
            a[at + pos] = kv[i].v, l[at + pos] = kv[i].vlen;
            if (pos < 3)
                continue;
        }
        a[argc] = kv[i].k, l[argc++] = kv[i].klen;
        a[argc] = kv[i].v, l[argc++] = kv[i].vlen;
    }
    sent = script(q, on_intake, it, argc, a, l);
    if (sent != 0) {
        item_free(it);
        resolved(q);
    }
}

static void take_entries(struct jobq *q, redisReply *list, unsigned reserved)
{
    unsigned got = 0;
    if (list && list->type == REDIS_REPLY_ARRAY)
        got = (unsigned)list->elements;
    if (got > reserved) /* never more than asked; be safe */
        got = reserved;
    q->inflight += got;
    for (unsigned i = 0; i < got; i++)
        take_entry(q, list->element[i]);
}

static void on_read(struct jobq *q, redisReply *r, void *priv, int err)
{
    unsigned asked = (unsigned)(uintptr_t)priv;
    q->reading = 0;
    q->rd.blocking = 0;
    if (q->reserved >= asked)
        q->reserved -= asked;
    if (err || q->freeing)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "XREADGROUP: %s", r->str);
        if (strncmp(r->str, "NOGROUP", 7) == 0)
            conn_kill(&q->cmd, "consumer group missing; recreating it");
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
        redisReply *s = r->element[0];
        if (s->type == REDIS_REPLY_ARRAY && s->elements == 2)
            take_entries(q, s->element[1], asked);
    }
    ev_feed_event(q->loop, &q->kick, EV_TIMER);
}

static unsigned free_slots(const struct jobq *q)
{
    unsigned used = q->inflight + q->reserved;
    return used >= q->s.max_inflight ? 0 : q->s.max_inflight - used;
}

static void read_more(struct jobq *q)
{
    if (!q->up || q->paused || q->reading || q->freeing)
        return;
    unsigned n = free_slots(q);
    if (n == 0)
        return; /* back-pressure: resumes when a job is resolved */
    if (n > q->s.batch)
        n = q->s.batch;
    char count[16], block[16];
    fmt_u(count, sizeof count, n);
    fmt_u(block, sizeof block, q->s.block_ms);
    const char *a[] = {"XREADGROUP", "GROUP", q->s.group, q->s.consumer,    "COUNT", count,
                       "BLOCK",      block,   "STREAMS",  q->s.stream_jobs, ">"};
    if (conn_send(&q->rd, 0, on_read, (void *)(uintptr_t)n, 11, a, NULL) == 0) {
        q->reading = 1;
        q->rd.blocking = 1;
        q->reserved += n;
    }
}

/* ---- scans: deadlines, retries, reclaim --------------------------------- */

static void on_expired(struct jobq *q, redisReply *r, void *priv, int err)
{
    (void)priv;
    if (err)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "expiry scan: %s", r->str);
        return;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        logf_(q, 6, "[job=%s] expired", r->element[i]->str);
        if (q->cb.job_final && !q->freeing)
            q->cb.job_final(q->ud, r->element[i]->str, "expired");
    }
}

static void retry_item(struct jobq *q, redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 4 ||
        e->element[3]->type != REDIS_REPLY_ARRAY) {
        resolved(q);
        return;
    }
    redisReply *h = e->element[3];
    struct jobq_kv kv[JOBQ_FIELDS_MAX];
    size_t n = 0;
    const char *keyset = "", *cls = "", *deadline = "0";
    /* The record also holds the TAR op_submitted/op_unknown stored for
     * correlation: a job field only for type=apdu (the validator refuses it
     * elsewhere), so it is not fed back for the other types. */
    int is_apdu = 0;
    for (size_t i = 0; i + 1 < h->elements; i += 2)
        if (strcmp(h->element[i]->str, "type") == 0 && strcmp(h->element[i + 1]->str, "apdu") == 0)
            is_apdu = 1;
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const char *k = h->element[i]->str;
        size_t kl = h->element[i]->len;
        const char *v = h->element[i + 1]->str;
        if (strcmp(k, "class") == 0)
            cls = v;
        else if (strcmp(k, "deadline") == 0)
            deadline = v;
        if (strcmp(k, "keyset") == 0)
            keyset = v;
        if (!is_apdu && strcmp(k, "tar") == 0)
            continue;
        if (jobq_field_known(k, kl) && n < JOBQ_FIELDS_MAX)
            kv[n++] = (struct jobq_kv){k, kl, v, h->element[i + 1]->len};
    }
    struct item *it = item_new(q);
    char reason[256];
    enum jobq_err rc = jobq_job_parse(kv, n, &it->job, reason, sizeof reason);
    struct jobq_job *j = &it->job;
    snprintf(j->key, sizeof j->key, "%s", e->element[0]->str);
    j->attempt = (unsigned)e->element[1]->integer;
    j->counter = (uint64_t)e->element[2]->integer;
    snprintf(j->keyset, sizeof j->keyset, "%s", keyset);
    snprintf(j->card_class, sizeof j->card_class, "%s", cls);
    j->deadline_ms = strtoll(deadline, NULL, 10);
    if (rc != JOBQ_OK) { /* the record was edited by hand */
        logf_(q, 3, "[job=%s] stored job no longer valid: %s", j->key, reason);
        (void)jobq_job_rejected(q, j, reason, NULL, NULL);
        return;
    }
    hand_out(q, it);
}

static void on_retry_due(struct jobq *q, redisReply *r, void *priv, int err)
{
    unsigned asked = (unsigned)(uintptr_t)priv;
    q->scanning = 0;
    if (q->reserved >= asked)
        q->reserved -= asked;
    if (err || q->freeing)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "retry scan: %s", r->str);
        return;
    }
    unsigned got = r->type == REDIS_REPLY_ARRAY ? (unsigned)r->elements : 0;
    q->inflight += got;
    for (unsigned i = 0; i < got; i++)
        retry_item(q, r->element[i]);
}

static void on_autoclaim(struct jobq *q, redisReply *r, void *priv, int err)
{
    unsigned asked = (unsigned)(uintptr_t)priv;
    if (q->reserved >= asked)
        q->reserved -= asked;
    if (err || q->freeing)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "XAUTOCLAIM: %s", r->str);
        return;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[1]->elements) {
        logf_(q, 6, "reclaimed %zu pending job(s) idle for %u ms", r->element[1]->elements,
              q->s.claim_idle_ms);
        take_entries(q, r->element[1], asked);
    }
}

void jobq_scan_now(struct jobq *q)
{
    if (!q->up || q->freeing)
        return;
    const char *ex[] = {"expire_due", "256"};
    (void)script(q, on_expired, NULL, 2, ex, NULL);
    if (q->paused || q->scanning)
        return;
    unsigned n = free_slots(q);
    if (n > q->s.batch)
        n = q->s.batch;
    if (n == 0)
        return;
    char cnt[16], idle[16];
    fmt_u(cnt, sizeof cnt, n);
    const char *rt[] = {"retry_due", q->s.consumer, cnt};
    if (script(q, on_retry_due, (void *)(uintptr_t)n, 3, rt, NULL) == 0) {
        q->scanning = 1;
        q->reserved += n;
    }
    n = free_slots(q);
    if (n > q->s.batch)
        n = q->s.batch;
    if (n == 0)
        return;
    fmt_u(cnt, sizeof cnt, n);
    fmt_u(idle, sizeof idle, q->s.claim_idle_ms);
    const char *ac[] = {"XAUTOCLAIM", q->s.stream_jobs, q->s.group, q->s.consumer, idle,
                        "0-0",        "COUNT",          cnt};
    if (conn_send(&q->cmd, 0, on_autoclaim, (void *)(uintptr_t)n, 8, ac, NULL) == 0)
        q->reserved += n;
}

static void on_scan(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    jobq_scan_now(w->data);
}

/* ---- leases: renewed while held ---------------------------------------- */

#define RENEW_MAX 64 /* jobs per renew operation (MAX_ARGS) */

/* The script names the jobs whose lease is no longer this instance's: it
 * could not renew them for lease_ms (Redis unreachable from here, the
 * process stopped) and another instance took them on. The outcome this
 * instance records will be refused as stale; the packet it may still send
 * carries its own counter, so no counter is reused, but the card may run
 * the command twice (docs/queue.md "Leases"). */
static void on_renewed(struct jobq *q, redisReply *r, void *priv, int err)
{
    (void)priv;
    if (err || q->freeing)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        logf_(q, 3, "lease renewal: %s", r->str);
        return;
    }
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const char *key = r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
        for (struct item *it = q->held; it; it = it->hnext)
            /* One whose outcome is on its way (argv) is no longer being
             * sent: its own outcome may be what ended the lease. */
            if (!it->lost && !it->argv && strcmp(it->job.key, key) == 0) {
                it->lost = 1;
                logf_(q, 4,
                      "[job=%s attempt=%u] lease lost: not renewed within %u ms, another "
                      "instance took the job over (or it ended there); what is not sent of it "
                      "yet is cancelled",
                      key, it->job.attempt, q->s.lease_ms);
                if (q->cb.lease_lost)
                    q->cb.lease_lost(q->ud, &it->job);
                break; /* the callback may hand the job back */
            }
    }
}

/* Renews the lease of the jobs held longer than a sixth of the lease since
 * their last renewal (all of them when all): the timer runs every third
 * of it, so a held job's lease is renewed at least every half lease (a
 * half left as margin), and a job held for milliseconds (the usual case)
 * costs nothing. */
static void renew_leases(struct jobq *q, int all)
{
    if (!q->up || q->freeing || !q->held)
        return;
    ev_tstamp now = ev_now(q->loop), age = q->s.lease_ms / 6000.0;
    const char *a[2 + 2 * RENEW_MAX];
    char att[RENEW_MAX][16];
    int n = 0;
    a[0] = "renew", a[1] = q->s.consumer;
    for (struct item *it = q->held; it; it = it->hnext) {
        if (it->lost || (!all && now - it->renewed < age))
            continue;
        it->renewed = now;
        fmt_u(att[n], sizeof att[n], it->job.attempt);
        a[2 + 2 * n] = it->job.key, a[3 + 2 * n] = att[n];
        if (++n == RENEW_MAX) {
            (void)script(q, on_renewed, NULL, 2 + 2 * n, a, NULL);
            n = 0;
        }
    }
    if (n)
        (void)script(q, on_renewed, NULL, 2 + 2 * n, a, NULL);
}

static void on_renew(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    renew_leases(w->data, 0);
}

/* ---- life cycle -------------------------------------------------------- */

static const char *keep(struct jobq *q, int i, const char *s)
{
    if (!s)
        return NULL;
    q->strs[i] = strdup(s);
    if (!q->strs[i])
        abort();
    return q->strs[i];
}

struct jobq *jobq_new(struct ev_loop *loop, const struct jobq_settings *s,
                      const struct jobq_callbacks *cb, void *ud)
{
    if (!cb || !cb->job_ready)
        return NULL;
    struct jobq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->loop = loop;
    q->s = *s;
    jobq_settings_defaults(&q->s);
    q->cb = *cb;
    q->ud = ud;
    char consumer[128];
    if (!q->s.consumer) {
        jobq_consumer_name("otagw", consumer, sizeof consumer);
        q->s.consumer = consumer;
    }
    q->s.host = keep(q, 0, q->s.host);
    q->s.user = keep(q, 1, q->s.user);
    q->s.password = keep(q, 2, q->s.password);
    q->s.prefix = keep(q, 3, q->s.prefix);
    q->s.stream_jobs = keep(q, 4, q->s.stream_jobs);
    q->s.stream_events = keep(q, 5, q->s.stream_events);
    q->s.group = keep(q, 6, q->s.group);
    q->s.consumer = keep(q, 7, q->s.consumer);
    q->s.default_class = keep(q, 8, q->s.default_class);
    q->script = library_text(&q->s, q->fname);
    if (!q->script) {
        jobq_free(q);
        return NULL;
    }
    q->replay_tail = &q->replay;
    q->batch_tail = &q->batch;
    ev_prepare_init(&q->flushw, on_flush);
    q->flushw.data = q;
    conn_init(q, &q->cmd, "cmd", 1);
    conn_init(q, &q->rd, "read", 0);
    ev_timer_init(&q->scan, on_scan, q->s.scan_ms / 1000.0, q->s.scan_ms / 1000.0);
    q->scan.data = q;
    ev_timer_start(loop, &q->scan);
    ev_timer_init(&q->renew, on_renew, q->s.lease_ms / 3000.0, q->s.lease_ms / 3000.0);
    q->renew.data = q;
    ev_timer_start(loop, &q->renew);
    ev_timer_init(&q->kick, on_kick, 0, 0);
    q->kick.data = q;
    conn_start(&q->cmd);
    conn_start(&q->rd);
    return q;
}

void jobq_free(struct jobq *q)
{
    if (!q)
        return;
    q->freeing = 1;
    ev_prepare_stop(q->loop, &q->flushw);
    struct op *queued = q->batch;
    q->batch = NULL, q->batch_tail = &q->batch, q->nbatch = 0;
    batch_fail(q, queued, -ENOTCONN); /* as if the connection had dropped */
    jobq_resp_free(&q->req);
    ev_timer_stop(q->loop, &q->scan);
    ev_timer_stop(q->loop, &q->renew);
    ev_clear_pending(q->loop, &q->kick);
    struct conn *cs[] = {&q->rd, &q->cmd};
    for (int i = 0; i < 2; i++) {
        ev_timer_stop(q->loop, &cs[i]->retry);
        ev_timer_stop(q->loop, &cs[i]->watchdog);
        if (cs[i]->ac) {
            redisAsyncContext *ac = cs[i]->ac;
            cs[i]->ac = NULL;
            redisAsyncFree(ac);
        }
    }
    for (struct item *it = q->replay, *n; it; it = n) {
        n = it->next;
        if (it->done)
            it->done(it->cbud, -ECANCELED, "", it->job.key);
        item_free(it);
    }
    for (struct item *it = q->pool, *n; it; it = n) {
        n = it->next;
        free(it);
    }
    if (q->s.password)
        memset(q->strs[2], 0, strlen(q->strs[2]));
    for (size_t i = 0; i < sizeof q->strs / sizeof *q->strs; i++)
        free(q->strs[i]);
    free(q->script);
    free(q);
}

void jobq_pause(struct jobq *q, int paused)
{
    q->paused = paused;
    if (!paused)
        read_more(q);
}

unsigned jobq_inflight(const struct jobq *q)
{
    return q->inflight;
}

int jobq_is_up(const struct jobq *q)
{
    return q->up;
}

/* ---- start-up check (blocking) ----------------------------------------- */

int jobq_check(const struct jobq_settings *in, char *err, size_t errlen)
{
    struct jobq_settings s = *in;
    jobq_settings_defaults(&s);
    struct timeval tv = {s.connect_timeout_ms / 1000, (s.connect_timeout_ms % 1000) * 1000};
    redisContext *c = s.host[0] == '/' ? redisConnectUnixWithTimeout(s.host, tv)
                                       : redisConnectWithTimeout(s.host, (int)s.port, tv);
    int rc = 0;
    char where[300];
    if (s.host[0] == '/')
        snprintf(where, sizeof where, "redis %s", s.host);
    else
        snprintf(where, sizeof where, "redis %s:%u", s.host, s.port);
    if (!c || c->err) {
        snprintf(err, errlen, "%s: cannot connect: %s", where, c ? c->errstr : "out of memory");
        redisFree(c);
        return -ECONNREFUSED;
    }
    redisSetTimeout(
        c, (struct timeval){s.command_timeout_ms / 1000, (s.command_timeout_ms % 1000) * 1000});
    redisReply *r = NULL;
    char *text = NULL;
#define FAIL(code, ...)                                                                            \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        rc = code;                                                                                 \
        goto out;                                                                                  \
    } while (0)
#define CMD(...)                                                                                   \
    do {                                                                                           \
        freeReplyObject(r);                                                                        \
        r = redisCommand(c, __VA_ARGS__);                                                          \
        if (!r)                                                                                    \
            FAIL(-EIO, "%s: %s", where, c->errstr);                                                \
    } while (0)
    if (s.password) {
        if (s.user)
            CMD("AUTH %s %s", s.user, s.password);
        else
            CMD("AUTH %s", s.password);
        if (r->type == REDIS_REPLY_ERROR)
            FAIL(-EACCES, "%s: AUTH%s%s failed: %s", where, s.user ? " as " : "",
                 s.user ? s.user : "", r->str);
    }
    if (s.db) {
        CMD("SELECT %u", s.db);
        if (r->type == REDIS_REPLY_ERROR)
            FAIL(-EINVAL, "%s: SELECT %u: %s", where, s.db, r->str);
    }
    CMD("PING");
    if (r->type == REDIS_REPLY_ERROR)
        FAIL(strncmp(r->str, "NOAUTH", 6) == 0 ? -EACCES : -EIO, "%s: %s%s", where, r->str,
             strncmp(r->str, "NOAUTH", 6) == 0 ? " (set redis password in the config)" : "");
    CMD("INFO server");
    if (r->type == REDIS_REPLY_STRING) {
        const char *v = strstr(r->str, "redis_version:");
        int maj = 0, min = 0;
        if (v && sscanf(v + 14, "%d.%d", &maj, &min) == 2 && maj < 7)
            FAIL(-ENOTSUP, "%s: version %d.%d; otagw needs 7.0 or later (FUNCTION, XAUTOCLAIM)",
                 where, maj, min);
    }
    CMD("XGROUP CREATE %s %s 0 MKSTREAM", s.stream_jobs, s.group);
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
        FAIL(-EIO, "%s: XGROUP CREATE %s %s: %s", where, s.stream_jobs, s.group, r->str);
    text = library_text(&s, NULL);
    if (!text)
        FAIL(-EINVAL, "%s: invalid key prefix, stream, group or class name", where);
    CMD("FUNCTION LOAD %s", text);
    if (r->type == REDIS_REPLY_ERROR && !library_exists(r->str))
        FAIL(-EIO, "%s: FUNCTION LOAD: %s", where, r->str);
out:
#undef CMD
#undef FAIL
    free(text);
    freeReplyObject(r);
    redisFree(c);
    return rc;
}
