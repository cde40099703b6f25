/* rconn.h — otactl's blocking Redis connection for the commands that talk
 * to the gateways' Redis (enqueue, status, watch, card).
 *
 * Where Redis is: `-c FILE` (the daemon's config, read with gateway/
 * config.c's loader: [redis] host, port, user, password, db and the
 * stream names) and/or `--redis HOST:PORT`, `--user`, `--password`, `--db`
 * (these win over the file). Default 127.0.0.1:6379, ota:jobs, ota:events.
 * Blocking hiredis is fine here: one command line, one connection. */
#ifndef OTAGW_CTL_RCONN_H
#define OTAGW_CTL_RCONN_H

#include <stddef.h>

#include "ctl/ctl.h"

#include <stdio.h>

struct redisContext;
struct redisReply;
struct gw_config;

struct ctl_redis {
    /* option values (ctl_parse fills them; NULL = not given) */
    const char *conf, *hostport, *user, *password, *db;
    /* effective settings after ctl_redis_setup */
    char host[256];
    int port;
    char user_s[64], password_s[128];
    unsigned db_n;
    char jobs[64], events[64];
    const char *prefix;    /* "ota:" (the daemon's key prefix) */
    struct gw_config *cfg; /* loaded from -c, or NULL */
};

/* The option rows every Redis command takes; append them to its table. */
#define CTL_REDIS_OPTS(r)                                                                          \
    {"config", 0, &(r)->conf}, {"redis", 0, &(r)->hostport}, {"user", 0, &(r)->user},              \
        {"password", 0, &(r)->password},                                                           \
    {                                                                                              \
        "db", 0, &(r)->db                                                                          \
    }

/* argv with "-c" spelt "--config" (ctl_parse knows long options only);
 * out has room for argc entries. */
void ctl_redis_argv(int argc, char **argv, char **out);

/* Resolves the settings (loads -c). Returns 0, or -1 after a one-line error. */
int ctl_redis_setup(const char *cmd, struct ctl_redis *r);

/* Connects, AUTH, SELECT. NULL after a one-line error naming the server. */
struct redisContext *ctl_redis_connect(const char *cmd, const struct ctl_redis *r);

/* ctl_redis_setup then ctl_redis_connect, as every command that only talks
 * to Redis starts: the connection, or NULL with *rc set to the exit code
 * (CTL_EXIT_USAGE when the settings are bad, CTL_EXIT_FAIL when Redis
 * cannot be reached, after ctl_redis_done). */
struct redisContext *ctl_redis_open(const char *cmd, struct ctl_redis *r, int *rc);

/* Why a command failed, for a one-line error: Redis's own error reply, else
 * the connection's error (rep may be NULL). */
const char *ctl_redis_why(const struct redisContext *c, const struct redisReply *rep);

/* A command's end: frees rep and c (either may be NULL), then what setup
 * loaded; returns rc, the exit code. */
int ctl_redis_close(struct ctl_redis *r, struct redisContext *c, struct redisReply *rep, int rc);

/* The value of field name in a field/value array reply (HGETALL, a stream
 * entry's fields), "" when it is absent or not a string. */
const char *ctl_reply_field(const struct redisReply *kv, const char *name);

/* One ota:events entry as one line (status and watch): "TS STATE job=J
 * carrier=C country=X attempt=N: detail [tag=T]"; kv is the entry's
 * field/value array, entry_id its stream id (time when ts is absent). */
void ctl_event_line(FILE *f, const char *entry_id, const struct redisReply *kv);

/* Frees what setup loaded (not the connection). */
void ctl_redis_done(struct ctl_redis *r);

#endif
