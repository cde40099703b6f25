/* log.c — the daemon's one logger (see log.h): text or JSON lines to a
 * stream, or syslog; the level test happens in the GW_LOG macro. */
#include "gateway/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "gateway/e164.h"

int gw_log_level = GW_LOG_INFO;

static struct {
    int json, use_syslog, syslog_open, mask_msisdn;
    const char *ident;
    FILE *out;
} L = {.ident = "otagw", .mask_msisdn = 1};

static const char *const level_names[8] = {NULL,      NULL,     NULL,   "err",
                                           "warning", "notice", "info", "debug"};

const char *gw_log_level_name(int level)
{
    if (level < GW_LOG_ERR || level > GW_LOG_DEBUG)
        return "?";
    return level_names[level];
}

int gw_log_level_parse(const char *name)
{
    for (int i = GW_LOG_ERR; i <= GW_LOG_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void gw_log_setup(const struct gw_log_opts *o)
{
    gw_log_level = o->level;
    L.json = o->json;
    L.mask_msisdn = o->mask_msisdn;
    L.ident = o->ident ? o->ident : "otagw";
    L.out = o->out;
    if (o->use_syslog && !L.syslog_open) {
        openlog(L.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
        L.syslog_open = 1;
    } else if (!o->use_syslog && L.syslog_open) {
        closelog();
        L.syslog_open = 0;
    }
    L.use_syslog = o->use_syslog;
}

void gw_log_close(void)
{
    if (L.syslog_open)
        closelog();
    L.syslog_open = 0;
    L.use_syslog = 0;
}

/* Appends s to the buffer as the inside of a JSON string (RFC 8259 §7):
 * quote, backslash and control characters escaped; other bytes kept. */
static size_t json_str(char *b, size_t cap, size_t pos, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        const char *p = esc;
        if (c == '"')
            p = "\\\"";
        else if (c == '\\')
            p = "\\\\";
        else if (c == '\n')
            p = "\\n";
        else if (c == '\r')
            p = "\\r";
        else if (c == '\t')
            p = "\\t";
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\u%04x", c);
        else {
            esc[0] = (char)c;
            esc[1] = '\0';
        }
        size_t n = strlen(p);
        if (pos + n >= cap)
            return pos;
        memcpy(b + pos, p, n);
        pos += n;
    }
    b[pos < cap ? pos : cap - 1] = '\0';
    return pos;
}

static size_t put(char *b, size_t cap, size_t pos, const char *s)
{
    size_t n = strlen(s);
    if (pos + n >= cap)
        n = pos < cap - 1 ? cap - 1 - pos : 0;
    memcpy(b + pos, s, n);
    pos += n;
    b[pos] = '\0';
    return pos;
}

/* Identity pairs "k=v k2=v2" as JSON fields; a token without '=' goes
 * under "obj". */
static size_t json_obj(char *b, size_t cap, size_t pos, const char *obj)
{
    char tok[256];
    while (*obj) {
        while (*obj == ' ')
            obj++;
        size_t n = strcspn(obj, " ");
        if (n == 0)
            break;
        if (n >= sizeof tok)
            n = sizeof tok - 1;
        memcpy(tok, obj, n);
        tok[n] = '\0';
        obj += strcspn(obj, " ");
        char *eq = strchr(tok, '=');
        pos = put(b, cap, pos, ",\"");
        if (eq && eq != tok) {
            *eq = '\0';
            pos = json_str(b, cap, pos, tok);
            pos = put(b, cap, pos, "\":\"");
            pos = json_str(b, cap, pos, eq + 1);
        } else {
            pos = put(b, cap, pos, "obj\":\"");
            pos = json_str(b, cap, pos, tok);
        }
        pos = put(b, cap, pos, "\"");
    }
    return pos;
}

void gw_log_write(int level, const char *subsys, const char *obj, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!obj)
        obj = "";
    if (!subsys)
        subsys = "-";

    if (L.use_syslog) {
        if (*obj)
            syslog(level, "%s [%s] %s", subsys, obj, msg);
        else
            syslog(level, "%s %s", subsys, msg);
        return;
    }

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", ts.tv_nsec / 1000000L);

    char line[4096];
    size_t pos = 0;
    if (L.json) {
        pos = put(line, sizeof line, pos, "{\"ts\":\"");
        pos = put(line, sizeof line, pos, when);
        pos = put(line, sizeof line, pos, "\",\"level\":\"");
        pos = put(line, sizeof line, pos, gw_log_level_name(level));
        pos = put(line, sizeof line, pos, "\",\"gw\":\"");
        pos = json_str(line, sizeof line, pos, L.ident);
        pos = put(line, sizeof line, pos, "\",\"subsys\":\"");
        pos = json_str(line, sizeof line, pos, subsys);
        pos = put(line, sizeof line, pos, "\"");
        pos = json_obj(line, sizeof line, pos, obj);
        pos = put(line, sizeof line, pos, ",\"msg\":\"");
        /* Keep room for the closing characters even when msg is cut. */
        pos = json_str(line, sizeof line - 3, pos, msg);
        pos = put(line, sizeof line, pos, "\"}");
    } else {
        snprintf(line, sizeof line, "%s %s %s%s%s%s %s", when, gw_log_level_name(level), subsys,
                 *obj ? " [" : "", obj, *obj ? "]" : "", msg);
    }
    FILE *out = L.out ? L.out : stderr;
    fprintf(out, "%s\n", line);
    fflush(out);
}

const char *gw_log_mask_msisdn(const char *msisdn, int mask, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    if (!msisdn)
        msisdn = "";
    if (!mask) {
        snprintf(buf, cap, "%s", msisdn);
        return buf;
    }
    const char *d = msisdn + (msisdn[0] == '+');
    size_t n = strlen(d);
    int digits = n > 0 && n <= 20 && strspn(d, "0123456789") == n;
    size_t cc = digits ? gw_e164_cc_len(d) : 0;
    if (!digits || cc == 0 || n < cc + 3) {
        snprintf(buf, cap, "***");
        return buf;
    }
    size_t pos = 0;
    if (msisdn[0] == '+' && pos + 1 < cap)
        buf[pos++] = '+';
    for (size_t i = 0; i < n && pos + 1 < cap; i++)
        buf[pos++] = (i < cc || i >= n - 2) ? d[i] : '*';
    buf[pos] = '\0';
    return buf;
}

const char *gw_log_msisdn(const char *msisdn, char *buf, size_t cap)
{
    return gw_log_mask_msisdn(msisdn, L.mask_msisdn, buf, cap);
}
