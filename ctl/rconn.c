/* rconn.c — otactl's Redis settings and blocking connection (rconn.h). */
#include "ctl/rconn.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"

void ctl_redis_argv(int argc, char **argv, char **out)
{
    static char config[] = "--config";
    for (int i = 0; i < argc; i++)
        out[i] = strcmp(argv[i], "-c") == 0 ? config : argv[i];
}

int ctl_redis_setup(const char *cmd, struct ctl_redis *r)
{
    snprintf(r->host, sizeof r->host, "127.0.0.1");
    r->port = 6379;
    r->user_s[0] = r->password_s[0] = '\0';
    r->db_n = 0;
    snprintf(r->jobs, sizeof r->jobs, "ota:jobs");
    snprintf(r->events, sizeof r->events, "ota:events");
    r->prefix = "ota:";
    r->cfg = NULL;
    if (r->conf) {
        char err[512];
        r->cfg = gw_config_load(r->conf, err, sizeof err);
        if (!r->cfg) {
            ctl_err(cmd, "%s", err);
            return -1;
        }
        snprintf(r->host, sizeof r->host, "%s", r->cfg->redis_host);
        r->port = r->cfg->redis_port;
        snprintf(r->user_s, sizeof r->user_s, "%s", r->cfg->redis_user);
        snprintf(r->password_s, sizeof r->password_s, "%s", r->cfg->redis_password);
        r->db_n = r->cfg->redis_db;
        snprintf(r->jobs, sizeof r->jobs, "%s", r->cfg->stream_jobs);
        snprintf(r->events, sizeof r->events, "%s", r->cfg->stream_events);
    }
    if (r->hostport) {
        const char *colon = strrchr(r->hostport, ':');
        char *end = NULL;
        long p = colon ? strtol(colon + 1, &end, 10) : 0;
        if (!colon || colon == r->hostport || *end || p < 1 || p > 65535 ||
            (size_t)(colon - r->hostport) >= sizeof r->host) {
            ctl_err(cmd, "--redis '%s': want HOST:PORT", r->hostport);
            return -1;
        }
        snprintf(r->host, sizeof r->host, "%.*s", (int)(colon - r->hostport), r->hostport);
        r->port = (int)p;
    }
    if (r->user)
        snprintf(r->user_s, sizeof r->user_s, "%s", r->user);
    if (r->password)
        snprintf(r->password_s, sizeof r->password_s, "%s", r->password);
    if (r->db) {
        char *end;
        unsigned long n = strtoul(r->db, &end, 10);
        if (*end || !*r->db || n > 15) {
            ctl_err(cmd, "--db '%s': want 0..15", r->db);
            return -1;
        }
        r->db_n = (unsigned)n;
    }
    return 0;
}

static int check(const char *cmd, const struct ctl_redis *r, redisReply *rep, const char *what)
{
    int ok = rep && rep->type != REDIS_REPLY_ERROR;
    if (!ok)
        ctl_err(cmd, "redis %s:%d: %s failed: %s", r->host, r->port, what,
                rep ? rep->str : "no reply");
    if (rep)
        freeReplyObject(rep);
    return ok ? 0 : -1;
}

redisContext *ctl_redis_connect(const char *cmd, const struct ctl_redis *r)
{
    struct timeval tv = {3, 0};
    redisContext *c = r->host[0] == '/' ? redisConnectUnixWithTimeout(r->host, tv)
                                        : redisConnectWithTimeout(r->host, r->port, tv);
    if (!c || c->err) {
        ctl_err(cmd, "redis %s:%d: %s", r->host, r->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    int rc = 0;
    if (r->password_s[0])
        rc = check(cmd, r,
                   r->user_s[0] ? redisCommand(c, "AUTH %s %s", r->user_s, r->password_s)
                                : redisCommand(c, "AUTH %s", r->password_s),
                   "AUTH");
    if (rc == 0 && r->db_n)
        rc = check(cmd, r, redisCommand(c, "SELECT %u", r->db_n), "SELECT");
    if (rc != 0) {
        redisFree(c);
        return NULL;
    }
    return c;
}

redisContext *ctl_redis_open(const char *cmd, struct ctl_redis *r, int *rc)
{
    if (ctl_redis_setup(cmd, r) != 0) {
        *rc = CTL_EXIT_USAGE;
        return NULL;
    }
    redisContext *c = ctl_redis_connect(cmd, r);
    if (!c) {
        ctl_redis_done(r);
        *rc = CTL_EXIT_FAIL;
    }
    return c;
}

const char *ctl_redis_why(const redisContext *c, const redisReply *rep)
{
    return rep && rep->type == REDIS_REPLY_ERROR ? rep->str : c->errstr;
}

int ctl_redis_close(struct ctl_redis *r, redisContext *c, redisReply *rep, int rc)
{
    if (rep)
        freeReplyObject(rep);
    if (c)
        redisFree(c);
    ctl_redis_done(r);
    return rc;
}

const char *ctl_reply_field(const redisReply *kv, const char *name)
{
    for (size_t i = 0; kv && i + 1 < kv->elements; i += 2)
        if (kv->element[i]->type == REDIS_REPLY_STRING && strcmp(kv->element[i]->str, name) == 0 &&
            kv->element[i + 1]->type == REDIS_REPLY_STRING)
            return kv->element[i + 1]->str;
    return "";
}

void ctl_redis_done(struct ctl_redis *r)
{
    gw_config_free(r->cfg);
    r->cfg = NULL;
}
