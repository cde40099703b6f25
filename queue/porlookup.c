/* porlookup.c — the (msisdn, tar) -> keyset index for opening PoRs.
 *
 * Owns one hiredis async connection on the daemon's loop and the key
 * <prefix>porix:<msisdn>:<tar> (see porlookup.h for why it exists and what
 * it holds). The note is one EVAL so that the hash and its TTL change
 * together and the TTL only ever grows (an older job's shorter deadline must
 * not cut a newer job's entry short). */
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

/* KEYS[1] the hash; ARGV keyset, cntr, ttl_ms. A counter never goes back:
 * a late note of an older attempt keeps the newer value. */
static const char note_lua[] =
    "local c = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')\n"
    "if tonumber(ARGV[2]) > c then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end\n"
    "local t = redis.call('PTTL', KEYS[1])\n"
    "if t < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end\n"
    "return 1\n";

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
};

struct find {
    struct jobq_porlookup *pl;
    jobq_porlookup_fn *fn;
    void *cbud;
};

static void pl_connect(struct jobq_porlookup *pl);

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

/* AUTH / SELECT answers: an error drops the connection (and retries). */
static void on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
    struct jobq_porlookup *pl = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR && pl->ac == ac && !pl->freeing)
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
    if (pl->ac) {
        redisAsyncContext *ac = pl->ac;
        pl->ac = NULL;
        redisAsyncFree(ac); /* pending finds get a NULL reply */
    }
    memset(pl->password, 0, sizeof pl->password);
    free(pl);
}

int jobq_porlookup_is_up(const struct jobq_porlookup *pl)
{
    return pl && pl->ready && pl->ac;
}

/* "<prefix>porix:<msisdn>:<tar>" with the '+' dropped and the TAR in lower
 * case (as jobq writes its por map); -EINVAL on anything else. */
static int key_of(const struct jobq_porlookup *pl, const char *msisdn, const char *tar, char *out,
                  size_t cap)
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
    char t[7];
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)tar[i]))
            return -EINVAL;
        t[i] = (char)tolower((unsigned char)tar[i]);
    }
    t[6] = '\0';
    int w = snprintf(out, cap, "%sporix:%s:%s", pl->prefix, msisdn, t);
    return w > 0 && (size_t)w < cap ? 0 : -EINVAL;
}

static void on_note(redisAsyncContext *ac, void *reply, void *priv)
{
    (void)ac, (void)reply, (void)priv; /* best effort: the keystore is the fallback */
}

int jobq_porlookup_note(struct jobq_porlookup *pl, const char *msisdn, const char *tar,
                        const char *keyset, uint64_t cntr, uint64_t ttl_ms)
{
    char key[128], c[24], ttl[24];
    if (!pl || !keyset || !*keyset || key_of(pl, msisdn, tar, key, sizeof key) != 0)
        return -EINVAL;
    if (!jobq_porlookup_is_up(pl))
        return -ENOTCONN;
    snprintf(c, sizeof c, "%llu", (unsigned long long)cntr);
    snprintf(ttl, sizeof ttl, "%llu", (unsigned long long)(ttl_ms ? ttl_ms : 60000));
    const char *a[] = {"EVAL", note_lua, "1", key, keyset, c, ttl};
    if (redisAsyncCommandArgv(pl->ac, on_note, NULL, 7, a, NULL) != REDIS_OK)
        return -ENOTCONN;
    return 0;
}

static int by_cntr_desc(const void *a, const void *b)
{
    const struct jobq_por_candidate *x = a, *y = b;
    return x->cntr < y->cntr ? 1 : x->cntr > y->cntr ? -1 : 0;
}

static void on_find(redisAsyncContext *ac, void *reply, void *priv)
{
    struct find *f = priv;
    redisReply *r = reply;
    (void)ac;
    struct jobq_por_candidate c[JOBQ_POR_CANDIDATES];
    unsigned n = 0;
    int err = 0;
    if (!r)
        err = -ENOTCONN;
    else if (r->type != REDIS_REPLY_ARRAY)
        err = -EPROTO;
    else
        for (size_t i = 0; i + 1 < r->elements && n < JOBQ_POR_CANDIDATES; i += 2) {
            redisReply *k = r->element[i], *v = r->element[i + 1];
            if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
                k->len >= JOBQ_NAME_MAX)
                continue;
            memcpy(c[n].keyset, k->str, k->len);
            c[n].keyset[k->len] = '\0';
            c[n].cntr = strtoull(v->str, NULL, 10);
            n++;
        }
    qsort(c, n, sizeof c[0], by_cntr_desc);
    f->fn(f->cbud, err, c, n);
    free(f);
}

int jobq_porlookup_find(struct jobq_porlookup *pl, const char *msisdn, const char *tar,
                        jobq_porlookup_fn *fn, void *cbud)
{
    char key[128];
    if (!pl || !fn || key_of(pl, msisdn, tar, key, sizeof key) != 0)
        return -EINVAL;
    if (!jobq_porlookup_is_up(pl))
        return -ENOTCONN;
    struct find *f = malloc(sizeof *f);
    if (!f)
        return -ENOMEM;
    f->pl = pl, f->fn = fn, f->cbud = cbud;
    const char *a[] = {"HGETALL", key};
    if (redisAsyncCommandArgv(pl->ac, on_find, f, 2, a, NULL) != REDIS_OK) {
        free(f);
        return -ENOTCONN;
    }
    return 0;
}
