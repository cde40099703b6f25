/* resp.c — RESP command text for queue/ (see resp.h): bulk strings
 * "$<len>\r\n<octets>\r\n" after a "*<argc>\r\n" header, the Redis
 * protocol's request form, written without printf. */
#include "queue/resp.h"

#include <stdlib.h>
#include <string.h>

size_t jobq_u64(char *out, uint64_t v)
{
    char t[21];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = t[n - 1 - i];
    out[n] = '\0';
    return n;
}

static int room(struct jobq_resp *r, size_t more)
{
    if (r->oom)
        return 0;
    if (!r->buf) {
        r->len = JOBQ_RESP_HEAD;
        r->argc = 0;
    }
    if (r->len + more <= r->cap)
        return 1;
    size_t cap = r->cap ? r->cap : 4096;
    while (cap < r->len + more)
        cap *= 2;
    char *b = realloc(r->buf, cap);
    if (!b) {
        r->oom = 1;
        return 0;
    }
    r->buf = b;
    r->cap = cap;
    return 1;
}

void jobq_resp_arg(struct jobq_resp *r, const char *s, size_t len)
{
    if (!room(r, len + 32))
        return;
    char *w = r->buf + r->len;
    *w++ = '$';
    w += jobq_u64(w, len);
    *w++ = '\r', *w++ = '\n';
    memcpy(w, s, len);
    w += len;
    *w++ = '\r', *w++ = '\n';
    r->len = (size_t)(w - r->buf);
    r->argc++;
}

void jobq_resp_str(struct jobq_resp *r, const char *s)
{
    jobq_resp_arg(r, s, strlen(s));
}

void jobq_resp_u64(struct jobq_resp *r, uint64_t v)
{
    char d[21];
    jobq_resp_arg(r, d, jobq_u64(d, v));
}

const char *jobq_resp_command(struct jobq_resp *r, size_t *len)
{
    if (r->oom || !r->buf || r->argc == 0)
        return NULL;
    char h[JOBQ_RESP_HEAD];
    size_t n = 0;
    h[n++] = '*';
    n += jobq_u64(h + n, r->argc);
    h[n++] = '\r', h[n++] = '\n';
    char *start = r->buf + JOBQ_RESP_HEAD - n;
    memcpy(start, h, n);
    *len = r->len - (JOBQ_RESP_HEAD - n);
    return start;
}

void jobq_resp_reset(struct jobq_resp *r)
{
    r->len = JOBQ_RESP_HEAD;
    r->argc = 0;
    r->oom = 0;
}

void jobq_resp_free(struct jobq_resp *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}
