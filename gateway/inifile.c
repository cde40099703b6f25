/* inifile.c — libinih driven line by line from memory, so that every
 * section and key comes with its line number (see inifile.h). */
#include "gateway/inifile.h"

#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ini_ctx {
    const char *buf;
    size_t len, pos;
    int line;
    int failed;
    char msg[512];
    gw_ini_section_fn on_section;
    gw_ini_kv_fn on_kv;
    void *arg;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* A section header is handled here, as the line goes by, because libinih
 * only reports sections through their keys. */
static void section_line(struct ini_ctx *x, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    if (x->line == 1 && n - i >= 3 && memcmp(s + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3; /* UTF-8 byte order mark, as libinih allows it */
    if (i >= n || s[i] != '[')
        return;
    const char *close = memchr(s + i, ']', n - i);
    if (!close) {
        snprintf(x->msg, sizeof x->msg, "section header without ']'");
        x->failed = 1;
        return;
    }
    const char *a = s + i + 1, *b = close;
    while (a < b && is_space(*a))
        a++;
    while (b > a && is_space(b[-1]))
        b--;
    char name[128];
    if ((size_t)(b - a) >= sizeof name) {
        snprintf(x->msg, sizeof x->msg, "section name longer than %zu characters", sizeof name - 1);
        x->failed = 1;
        return;
    }
    memcpy(name, a, (size_t)(b - a));
    name[b - a] = '\0';
    if (x->on_section && x->on_section(x->arg, name, x->line, x->msg, sizeof x->msg) != 0)
        x->failed = 1;
    OPENSSL_cleanse(name, sizeof name);
}

/* fgets-like reader over the in-memory file. */
static char *gw_ini_reader(char *str, int num, void *stream)
{
    struct ini_ctx *x = stream;
    if (x->failed || x->pos >= x->len)
        return NULL;
    const char *s = x->buf + x->pos;
    const char *nl = memchr(s, '\n', x->len - x->pos);
    size_t n = nl ? (size_t)(nl - s) + 1 : x->len - x->pos;
    x->line++;
    if (memchr(s, '\0', n)) {
        snprintf(x->msg, sizeof x->msg, "NUL character in the line");
        x->failed = 1;
        return NULL;
    }
    if (n - (nl ? 1 : 0) > GW_INI_LINE_MAX || n + 1 > (size_t)num) {
        snprintf(x->msg, sizeof x->msg, "line longer than %d characters", GW_INI_LINE_MAX);
        x->failed = 1;
        return NULL;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    x->pos += n;
    section_line(x, s, n);
    if (x->failed)
        return NULL;
    return str;
}

static int gw_ini_handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_ctx *x = user;
    if (x->failed)
        return 0;
    char sec[128];
    const char *a = section;
    while (is_space(*a))
        a++;
    size_t n = strlen(a);
    while (n > 0 && is_space(a[n - 1]))
        n--;
    if (n >= sizeof sec)
        n = sizeof sec - 1;
    memcpy(sec, a, n);
    sec[n] = '\0';
    if (x->on_kv(x->arg, sec, name, value, x->line, x->msg, sizeof x->msg) != 0) {
        x->failed = 1;
        return 0;
    }
    return 1;
}

static int read_all(const char *path, unsigned flags, char **out, size_t *outlen, char *err,
                    size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((flags & GW_INI_PRIVATE) && (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "%s: mode %04o lets group or others access it; it holds keys: chmod 600 %s", path,
                 (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > GW_INI_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, GW_INI_FILE_MAX);
        close(fd);
        return -1;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (;;) {
        if (len == cap) { /* the file grew while we read: refuse, do not chase it */
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            snprintf(err, errlen, "%s: changed while being read", path);
            return -1;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            snprintf(err, errlen, "%s: read: %s", path, strerror(e));
            return -1;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    *out = buf;
    *outlen = len;
    return (int)cap; /* the caller wipes cap bytes */
}

int gw_ini_parse(const char *path, unsigned flags, gw_ini_section_fn on_section, gw_ini_kv_fn on_kv,
                 void *arg, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int cap = read_all(path, flags, &buf, &len, err, errlen);
    if (cap < 0)
        return -1;

    struct ini_ctx x = {
        .buf = buf, .len = len, .on_section = on_section, .on_kv = on_kv, .arg = arg};
    /* Debian's libinih exposes its compile-time options as globals; set the
     * strict ones every time, the process reads INI files only through here. */
    ini_stop_on_first_error = 1;
    ini_allow_multiline = 0;
    ini_allow_inline_comments = 0;
    ini_allow_no_value = 0;
    ini_use_stack = 0;
    ini_allow_realloc = 0;
    ini_max_line = GW_INI_LINE_MAX + 3;
    ini_initial_alloc = GW_INI_LINE_MAX + 3;

    int r = ini_parse_stream(gw_ini_reader, &x, gw_ini_handler, &x);
    OPENSSL_cleanse(buf, (size_t)cap);
    free(buf);
    if (x.failed) {
        snprintf(err, errlen, "%s:%d: %s", path, x.line, x.msg);
        OPENSSL_cleanse(x.msg, sizeof x.msg);
        return -1;
    }
    if (r > 0) {
        snprintf(err, errlen, "%s:%d: syntax error: expected '[section]' or 'key = value'", path,
                 r);
        return -1;
    }
    if (r < 0) {
        snprintf(err, errlen, "%s: libinih could not parse it (%d)", path, r);
        return -1;
    }
    return 0;
}

void gw_ini_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
