/* log.h — one line per event: time, level, subsystem, the object's
 * identity and the message (STYLE.md §4).
 *
 * Owned by gateway/log.c. Text lines for people:
 *   2024-05-01T10:00:00.123Z notice bind [carrier=tim bind=2] BINDING -> BOUND
 * or one JSON object per line for log shippers:
 *   {"ts":"...","level":"notice","subsys":"bind","carrier":"tim","bind":"2","msg":"..."}
 * to stderr (or a FILE given for tests), or to syslog.
 *
 * GW_LOG checks the level before any argument is formatted (Redis
 * serverLog). There is no API that takes a key or a password: callers log
 * names and key versions, never key material. MSISDNs go through
 * gw_log_msisdn(), which masks them when the configuration says so. */
#ifndef OTAGW_GATEWAY_LOG_H
#define OTAGW_GATEWAY_LOG_H

#include <stddef.h>
#include <stdio.h>

/* syslog(3) priorities, so the configuration and syslog share numbers. */
#define GW_LOG_ERR     3
#define GW_LOG_WARNING 4
#define GW_LOG_NOTICE  5
#define GW_LOG_INFO    6
#define GW_LOG_DEBUG   7

/* The current threshold: messages with a level above it are dropped. Read by
 * GW_LOG; set only through gw_log_setup. */
extern int gw_log_level;

struct gw_log_opts {
    int level;         /* GW_LOG_ERR .. GW_LOG_DEBUG */
    int json;          /* 1: one JSON object per line */
    int use_syslog;    /* 1: syslog(3) with LOG_DAEMON instead of the stream */
    int mask_msisdn;   /* 1: gw_log_msisdn keeps country code + last 2 digits */
    const char *ident; /* syslog ident and "gw" field; default "otagw" */
    FILE *out;         /* default stderr; tests pass a tmpfile() */
};

/* Applies opts (copied; ident must outlive the logger). Can be called again,
 * for example after the configuration is loaded. */
void gw_log_setup(const struct gw_log_opts *opts);

/* Closes syslog if it was opened. */
void gw_log_close(void);

/* subsys: short fixed word ("config", "bind", "route", "job").
 * obj: the object's identity as space separated key=value pairs
 * ("carrier=tim bind=2", "job=abc"), or NULL/"" for none. In JSON each pair
 * becomes a field of its own. */
#define GW_LOG(level, subsys, obj, ...)                                                            \
    do {                                                                                           \
        if ((level) <= gw_log_level)                                                               \
            gw_log_write((level), (subsys), (obj), __VA_ARGS__);                                   \
    } while (0)

void gw_log_write(int level, const char *subsys, const char *obj, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Level names as in the configuration: "err", "warning", "notice", "info",
 * "debug". gw_log_level_parse returns the level or -1. */
const char *gw_log_level_name(int level);
int gw_log_level_parse(const char *name);

/* Writes msisdn into buf (always NUL-terminated), masked when masking is on:
 * the leading '+' if any, the E.164 country code, '*' for each hidden digit,
 * and the last 2 digits ("+33612345678" -> "+33*******78"). Text that is not
 * a plausible number is masked entirely. Returns buf. */
const char *gw_log_msisdn(const char *msisdn, char *buf, size_t cap);

/* The same with masking chosen by the caller (what gw_log_msisdn uses). */
const char *gw_log_mask_msisdn(const char *msisdn, int mask, char *buf, size_t cap);

#endif
