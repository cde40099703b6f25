/* config.c — the daemon's INI configuration: parse, validate, print.
 *
 * Every key is one row of a table {section, name, type, field, min, max,
 * default} (Redis static_configs[], PgBouncer CF_ABS): the parser, the
 * defaults, the range checks and gw_config_print all walk the same rows, so
 * a key cannot be parsed one way and printed another. Carrier keys are a
 * second table over struct gw_carrier. [route], [policy] and [applet NAME]
 * have free keys and their own small parsers.
 *
 * Every error names file and line ("otagw.conf:12: unknown key 'windw' in
 * [carrier a]"); checks that need the whole file (routes naming carriers
 * defined later, required keys) run after the parse and name the line of the
 * route or of the section header. Relative paths resolve against the
 * folder of the configuration file. Passwords are wiped on free and printed
 * masked. */
#include "gateway/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/e164.h"
#include "gateway/inifile.h"

#define MASK "********"

enum cf_type {
    CF_STR,       /* char[size], any text that fits */
    CF_NAME,      /* char[size], [A-Za-z0-9_.-]+ */
    CF_SECRET,    /* char[size], printed masked */
    CF_PATH,      /* char[GW_PATH_MAX], resolved against the config folder */
    CF_UINT,      /* unsigned */
    CF_U16,       /* uint16_t */
    CF_U8,        /* uint8_t, decimal */
    CF_U8HEX,     /* uint8_t, "0x7f" or decimal; printed in hex */
    CF_BOOL,      /* int 0/1: yes/no, true/false, on/off, 1/0 */
    CF_ENUM,      /* int (or an enum), one of the names in enums */
    CF_STRENUM,   /* char[size], one of the names in enums */
    CF_DUR_S,     /* unsigned seconds: "30", "30s", "5m", "1h" */
    CF_DUR_MS,    /* unsigned milliseconds: "500ms", "10s" (a bare number is seconds) */
    CF_COUNTRIES, /* gw_carrier.countries: "BR, CN" */
};

struct cf_enum {
    const char *name;
    int value;
};

struct cf_row {
    const char *section; /* "gateway", "redis"; NULL in the carrier table */
    const char *name;
    enum cf_type type;
    size_t off, size;
    unsigned long long min, max;
    const char *def;
    const struct cf_enum *enums;
    int required; /* must be given (non-empty) */
};

_Static_assert(sizeof(enum gw_bind_mode) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum gw_msgid_format) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum gw_log_format) == sizeof(int), "enums are stored as int");

static const struct cf_enum e_level[] = {{"err", 3},  {"warning", 4}, {"notice", 5},
                                         {"info", 6}, {"debug", 7},   {NULL, 0}};
static const struct cf_enum e_logfmt[] = {{"text", GW_LOG_TEXT}, {"json", GW_LOG_JSON}, {NULL, 0}};
static const struct cf_enum e_class[] = {{"uicc", 0}, {"sim", 1}, {NULL, 0}};
static const struct cf_enum e_bind[] = {{"trx", GW_BIND_TRX}, {"tx+rx", GW_BIND_TX_RX}, {NULL, 0}};
static const struct cf_enum e_msgid[] = {{"auto", GW_MSGID_AUTO},
                                         {"hex", GW_MSGID_HEX},
                                         {"dec", GW_MSGID_DEC},
                                         {"string", GW_MSGID_STRING},
                                         {"hexdec", GW_MSGID_HEX_DEC},
                                         {"dechex", GW_MSGID_DEC_HEX},
                                         {NULL, 0}};

#define FSIZE(T, f) sizeof(((T *)0)->f)
#define G(sec, key, type, field, min, max, def, en)                                                \
    {                                                                                              \
        sec, key, type, offsetof(struct gw_config, field), FSIZE(struct gw_config, field), min,    \
            max, def, en, 0                                                                        \
    }
#define GREQ(sec, key, type, field, def)                                                           \
    {                                                                                              \
        sec, key, type, offsetof(struct gw_config, field), FSIZE(struct gw_config, field), 0, 0,   \
            def, NULL, 1                                                                           \
    }
#define C(key, type, field, min, max, def, en)                                                     \
    {                                                                                              \
        NULL, key, type, offsetof(struct gw_carrier, field), FSIZE(struct gw_carrier, field), min, \
            max, def, en, 0                                                                        \
    }
#define CREQ(key, type, field)                                                                     \
    {                                                                                              \
        NULL, key, type, offsetof(struct gw_carrier, field), FSIZE(struct gw_carrier, field), 0,   \
            0, "", NULL, 1                                                                         \
    }

/* [gateway] and [redis]. Order here is the order of gw_config_print. */
static const struct cf_row main_rows[] = {
    G("gateway", "name", CF_NAME, name, 0, 0, "otagw", NULL),
    GREQ("gateway", "keystore", CF_PATH, keystore, ""),
    G("gateway", "e164_table", CF_PATH, e164_table, 0, 0, "e164.csv", NULL),
    G("gateway", "log_level", CF_ENUM, log_level, 0, 0, "info", e_level),
    G("gateway", "log_format", CF_ENUM, log_format, 0, 0, "text", e_logfmt),
    G("gateway", "log_syslog", CF_BOOL, log_syslog, 0, 1, "no", NULL),
    G("gateway", "mask_msisdn", CF_BOOL, mask_msisdn, 0, 1, "yes", NULL),
    G("gateway", "metrics_port", CF_UINT, metrics_port, 0, 65535, "0", NULL),
    G("gateway", "metrics_bind", CF_STR, metrics_bind, 0, 0, "127.0.0.1", NULL),
    G("gateway", "default_validity", CF_DUR_S, default_validity, 60, 30 * 86400, "86400", NULL),
    G("gateway", "max_attempts", CF_UINT, max_attempts, 1, 20, "3", NULL),
    G("gateway", "retry_backoff", CF_DUR_MS, retry_backoff_ms, 100, 3600000, "5s", NULL),
    G("gateway", "retry_backoff_max", CF_DUR_MS, retry_backoff_max_ms, 100, 86400000, "300s", NULL),
    G("gateway", "reconcile", CF_DUR_MS, reconcile_ms, 1000, 86400000, "120s", NULL),
    G("gateway", "batch", CF_UINT, batch, 1, 1000, "64", NULL),
    G("gateway", "max_inflight", CF_UINT, max_inflight, 1, 1000000, "1000", NULL),
    G("gateway", "default_card_class", CF_STRENUM, default_card_class, 0, 0, "uicc", e_class),
    G("redis", "host", CF_STR, redis_host, 0, 0, "127.0.0.1", NULL),
    G("redis", "port", CF_U16, redis_port, 1, 65535, "6379", NULL),
    G("redis", "user", CF_STR, redis_user, 0, 0, "", NULL),
    G("redis", "password", CF_SECRET, redis_password, 0, 0, "", NULL),
    G("redis", "db", CF_UINT, redis_db, 0, 255, "0", NULL),
    G("redis", "stream_jobs", CF_STR, stream_jobs, 0, 0, "ota:jobs", NULL),
    G("redis", "stream_events", CF_STR, stream_events, 0, 0, "ota:events", NULL),
    G("redis", "group", CF_STR, group, 0, 0, "otagw", NULL),
    /* Leases (docs/queue.md): a live instance renews each job it holds
     * every lease/3, so only a dead one lets its jobs go; they go after
     * claim_idle (left out: lease + 5 s, see finish()). */
    G("redis", "lease", CF_DUR_MS, lease_ms, 3000, 3600000, "30s", NULL),
    G("redis", "claim_idle", CF_DUR_MS, claim_idle_ms, 3000, 7200000, "35s", NULL),
    G("redis", "scan_interval", CF_DUR_MS, scan_ms, 100, 60000, "1s", NULL),
};
#define NMAIN (sizeof main_rows / sizeof main_rows[0])

/* [carrier NAME]. SMPP 3.4 §5.2.1-5.2.6 bound the text fields and TON/NPI. */
static const struct cf_row carrier_rows[] = {
    CREQ("host", CF_STR, host),
    C("port", CF_U16, port, 1, 65535, "2775", NULL),
    CREQ("system_id", CF_STR, system_id),
    C("password", CF_SECRET, password, 0, 0, "", NULL),
    C("system_type", CF_STR, system_type, 0, 0, "", NULL),
    C("bind", CF_ENUM, bind_mode, 0, 0, "trx", e_bind),
    C("binds", CF_UINT, binds, 1, 32, "1", NULL),
    C("src_ton", CF_U8, src_ton, 0, 6, "1", NULL),
    C("src_npi", CF_U8, src_npi, 0, 18, "1", NULL),
    C("dst_ton", CF_U8, dst_ton, 0, 6, "1", NULL),
    C("dst_npi", CF_U8, dst_npi, 0, 18, "1", NULL),
    C("source_addr", CF_STR, source_addr, 0, 0, "", NULL),
    C("window", CF_UINT, window, 1, 1000, "10", NULL),
    C("tps", CF_UINT, tps, 0, 100000, "0", NULL),
    C("enquire_link", CF_DUR_S, enquire_link, 5, 3600, "30", NULL),
    C("response_timeout", CF_DUR_MS, response_timeout_ms, 100, 300000, "10s", NULL),
    C("reconnect_min", CF_DUR_MS, reconnect_min_ms, 100, 3600000, "1s", NULL),
    C("reconnect_max", CF_DUR_MS, reconnect_max_ms, 100, 3600000, "60s", NULL),
    C("protocol_id", CF_U8HEX, protocol_id, 0, 255, "0x7f", NULL),
    C("data_coding", CF_U8HEX, data_coding, 0, 255, "0xf6", NULL),
    C("msgid_format", CF_ENUM, msgid_format, 0, 0, "auto", e_msgid),
    C("tls", CF_BOOL, tls, 0, 1, "no", NULL),
    C("tls_verify", CF_BOOL, tls_verify, 0, 1, "yes", NULL),
    C("tls_ca", CF_PATH, tls_ca, 0, 0, "", NULL),
    C("tls_cert", CF_PATH, tls_cert, 0, 0, "", NULL),
    C("tls_key", CF_PATH, tls_key, 0, 0, "", NULL),
    C("tls_server_name", CF_STR, tls_server_name, 0, 0, "", NULL),
    C("max_sms", CF_UINT, max_sms, 1, 255, "5", NULL),
    C("countries", CF_COUNTRIES, countries, 0, 0, "", NULL),
};
#define NCARRIER (sizeof carrier_rows / sizeof carrier_rows[0])

enum sect { S_NONE, S_GATEWAY, S_REDIS, S_CARRIER, S_ROUTE, S_POLICY, S_APPLET };

/* A route as written, resolved to carrier indices after the whole file is
 * read (a route may name a carrier defined further down). */
struct pending_route {
    int line;
    int is_default;
    unsigned idx; /* into c->routes unless is_default */
    unsigned n;
    char names[GW_ROUTE_MAX_HOP][GW_NAME_MAX];
};

struct parse {
    struct gw_config *c;
    enum sect sect;
    int sect_line[S_APPLET + 1]; /* for the single sections */
    struct gw_carrier *car;
    struct gw_applet_conf *app;
    int main_seen[NMAIN];
    int car_seen[GW_MAX_CARRIERS][NCARRIER];
    int route_line[GW_MAX_ROUTES + 1];
    int policy_line[GW_MAX_ROUTES];
    int applet_line[GW_MAX_APPLETS];
    unsigned npending;
    struct pending_route pending[GW_MAX_ROUTES + 1];
};

static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return 0;
    return 1;
}

static int parse_ull(const char *v, unsigned long long *out)
{
    if (!isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end)
        return -1;
    *out = x;
    return 0;
}

/* "0x7F" (hex) or "127" (decimal). */
static int parse_u8hex(const char *v, unsigned long long *out)
{
    if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        if (!isxdigit((unsigned char)v[2]))
            return -1;
        errno = 0;
        char *end;
        unsigned long long x = strtoull(v + 2, &end, 16);
        if (errno || *end)
            return -1;
        *out = x;
        return 0;
    }
    return parse_ull(v, out);
}

/* A duration with an optional unit: ms, s, m, h. A bare number is seconds.
 * Result in milliseconds. */
static int parse_dur_ms(const char *v, unsigned long long *ms)
{
    if (!isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno)
        return -1;
    unsigned long long mul;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mul = 1000;
    else if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -1;
    if (x > ULLONG_MAX / mul)
        return -1;
    *ms = x * mul;
    return 0;
}

static int parse_bool(const char *v)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

static void enum_list(const struct cf_enum *e, char *buf, size_t cap)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (; e->name; e++) {
        int n = snprintf(buf + pos, cap - pos, "%s%s", pos ? ", " : "", e->name);
        if (n < 0 || (size_t)n >= cap - pos)
            break;
        pos += (size_t)n;
    }
}

/* "BR, cn" -> {"BR","CN"}; each an assigned ISO 3166-1 alpha-2 code. */
static int parse_countries(const char *v, struct gw_carrier *car, char *err, size_t errlen)
{
    car->ncountries = 0;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        char cc[3] = {0};
        if (m == 2) {
            cc[0] = (char)toupper((unsigned char)p[0]);
            cc[1] = (char)toupper((unsigned char)p[1]);
        }
        if (!gw_iso3166_valid(cc)) {
            gw_ini_seterr(err, errlen, "'%.*s' is not an ISO 3166-1 alpha-2 country code",
                          (int)(m > 16 ? 16 : m), p);
            return -1;
        }
        for (unsigned i = 0; i < car->ncountries; i++)
            if (strcmp(car->countries[i], cc) == 0) {
                gw_ini_seterr(err, errlen, "country %s listed twice", cc);
                return -1;
            }
        if (car->ncountries == GW_CARRIER_MAX_COUNTRIES) {
            gw_ini_seterr(err, errlen, "more than %d countries", GW_CARRIER_MAX_COUNTRIES);
            return -1;
        }
        memcpy(car->countries[car->ncountries++], cc, 3);
        p += n;
        if (*p == ',') {
            p++;
            if (*p == '\0') {
                gw_ini_seterr(err, errlen, "empty country after ','");
                return -1;
            }
        }
    }
    return 0;
}

static int put_uint(void *field, size_t size, unsigned long long x)
{
    if (size == 1) {
        uint8_t y = (uint8_t)x;
        memcpy(field, &y, 1);
    } else if (size == 2) {
        uint16_t y = (uint16_t)x;
        memcpy(field, &y, 2);
    } else if (size == sizeof(unsigned)) {
        unsigned y = (unsigned)x;
        memcpy(field, &y, sizeof y);
    } else {
        return -1;
    }
    return 0;
}

static unsigned long long get_uint(const void *field, size_t size)
{
    if (size == 1)
        return *(const uint8_t *)field;
    if (size == 2) {
        uint16_t y;
        memcpy(&y, field, 2);
        return y;
    }
    unsigned y;
    memcpy(&y, field, sizeof y);
    return y;
}

/* "35s" or "1500ms", as gw_config_print writes durations. */
static void fmt_dur(unsigned long long ms, char *buf, size_t cap)
{
    if (ms % 1000)
        snprintf(buf, cap, "%llums", ms);
    else
        snprintf(buf, cap, "%llus", ms / 1000);
}

/* Parses value for row r into base + r->off. On error writes the reason. */
static int cf_set(void *base, const struct cf_row *r, const char *value, char *err, size_t errlen)
{
    char *field = (char *)base + r->off;
    unsigned long long x = 0;
    char list[128];

    switch (r->type) {
    case CF_STR:
    case CF_SECRET:
    case CF_PATH:
    case CF_NAME:
        if (strlen(value) >= r->size) {
            gw_ini_seterr(err, errlen, "value of '%s' longer than %zu characters", r->name,
                          r->size - 1);
            return -1;
        }
        if (r->type == CF_NAME && !valid_name(value, r->size)) {
            gw_ini_seterr(err, errlen, "'%s' must be letters, digits, '_', '-' or '.'", r->name);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CF_STRENUM:
    case CF_ENUM:
        for (const struct cf_enum *e = r->enums; e->name; e++)
            if (strcmp(value, e->name) == 0) {
                if (r->type == CF_ENUM)
                    memcpy(field, &e->value, sizeof(int));
                else
                    memcpy(field, e->name, strlen(e->name) + 1);
                return 0;
            }
        enum_list(r->enums, list, sizeof list);
        gw_ini_seterr(err, errlen, "'%s' must be one of %s, not '%s'", r->name, list, value);
        return -1;
    case CF_BOOL: {
        int b = parse_bool(value);
        if (b < 0) {
            gw_ini_seterr(err, errlen, "'%s' must be yes or no, not '%s'", r->name, value);
            return -1;
        }
        memcpy(field, &b, sizeof b);
        return 0;
    }
    case CF_UINT:
    case CF_U16:
    case CF_U8:
        if (parse_ull(value, &x) != 0) {
            gw_ini_seterr(err, errlen, "'%s' must be a whole number, not '%s'", r->name, value);
            return -1;
        }
        break;
    case CF_U8HEX:
        if (parse_u8hex(value, &x) != 0) {
            gw_ini_seterr(err, errlen, "'%s' must be a number (decimal or 0x hex), not '%s'",
                          r->name, value);
            return -1;
        }
        break;
    case CF_DUR_S:
    case CF_DUR_MS:
        if (parse_dur_ms(value, &x) != 0) {
            gw_ini_seterr(
                err, errlen,
                "'%s' must be a duration (a number with ms, s, m or h; bare = seconds), not "
                "'%s'",
                r->name, value);
            return -1;
        }
        if (r->type == CF_DUR_S) {
            if (x % 1000) {
                gw_ini_seterr(err, errlen, "'%s' is counted in whole seconds, not '%s'", r->name,
                              value);
                return -1;
            }
            x /= 1000;
        }
        break;
    case CF_COUNTRIES:
        return parse_countries(value, (struct gw_carrier *)base, err, errlen);
    }
    if (x < r->min || x > r->max) {
        char lo[32], hi[32];
        if (r->type == CF_DUR_MS) { /* "100ms..300s", as the file would say it */
            fmt_dur(r->min, lo, sizeof lo);
            fmt_dur(r->max, hi, sizeof hi);
        } else {
            const char *unit = r->type == CF_DUR_S ? "s" : "";
            snprintf(lo, sizeof lo, "%llu%s", r->min, unit);
            snprintf(hi, sizeof hi, "%llu%s", r->max, unit);
        }
        gw_ini_seterr(err, errlen, "'%s' = %s is out of range %s..%s", r->name, value, lo, hi);
        return -1;
    }
    if (put_uint(field, r->size, x) != 0) {
        gw_ini_seterr(err, errlen, "'%s': internal error: field size %zu", r->name, r->size);
        return -1;
    }
    return 0;
}

/* Defaults go through cf_set, so they obey the same checks as the file. */
static void apply_defaults(void *base, const struct cf_row *rows, size_t n)
{
    char err[256];
    for (size_t i = 0; i < n; i++)
        if (cf_set(base, &rows[i], rows[i].def, err, sizeof err) != 0) {
            fprintf(stderr, "otagw: bad built-in default: %s\n", err);
            abort(); /* a bug in the table above, caught by any unit test */
        }
}

static int on_section(void *arg, const char *section, int line, char *err, size_t errlen)
{
    struct parse *p = arg;
    struct gw_config *c = p->c;
    static const struct {
        const char *name;
        enum sect s;
    } single[] = {
        {"gateway", S_GATEWAY}, {"redis", S_REDIS}, {"route", S_ROUTE}, {"policy", S_POLICY}};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(section, single[i].name) == 0) {
            if (p->sect_line[single[i].s]) {
                gw_ini_seterr(err, errlen, "section [%s] already given on line %d", section,
                              p->sect_line[single[i].s]);
                return -1;
            }
            p->sect_line[single[i].s] = line;
            p->sect = single[i].s;
            return 0;
        }

    const char *name = NULL;
    enum sect s = S_NONE;
    if (strncmp(section, "carrier", 7) == 0 && (section[7] == ' ' || section[7] == '\t')) {
        s = S_CARRIER;
        name = section + 8;
    } else if (strncmp(section, "applet", 6) == 0 && (section[6] == ' ' || section[6] == '\t')) {
        s = S_APPLET;
        name = section + 7;
    } else if (strcmp(section, "carrier") == 0 || strcmp(section, "applet") == 0) {
        gw_ini_seterr(err, errlen, "section [%s] needs a name: [%s NAME]", section, section);
        return -1;
    } else {
        gw_ini_seterr(err, errlen,
                      "unknown section [%s] (known: gateway, redis, carrier NAME, route, policy, "
                      "applet NAME)",
                      section);
        return -1;
    }
    while (*name == ' ' || *name == '\t')
        name++;
    if (!valid_name(name, GW_NAME_MAX)) {
        gw_ini_seterr(err, errlen, "bad name in [%s]: 1 to %d letters, digits, '_', '-' or '.'",
                      section, GW_NAME_MAX - 1);
        return -1;
    }
    if (s == S_CARRIER) {
        int i = gw_config_carrier_index(c, name);
        if (i >= 0) {
            gw_ini_seterr(err, errlen, "duplicate carrier '%s' (first on line %d)", name,
                          c->carriers[i].line);
            return -1;
        }
        if (c->ncarriers == GW_MAX_CARRIERS) {
            gw_ini_seterr(err, errlen, "more than %d carriers", GW_MAX_CARRIERS);
            return -1;
        }
        struct gw_carrier *car = &c->carriers[c->ncarriers++];
        apply_defaults(car, carrier_rows, NCARRIER);
        memcpy(car->name, name, strlen(name) + 1);
        car->line = line;
        p->car = car;
    } else {
        for (unsigned i = 0; i < c->napplets; i++)
            if (strcmp(c->applets[i].name, name) == 0) {
                gw_ini_seterr(err, errlen, "duplicate applet '%s' (first on line %d)", name,
                              p->applet_line[i]);
                return -1;
            }
        if (c->napplets == GW_MAX_APPLETS) {
            gw_ini_seterr(err, errlen, "more than %d applets", GW_MAX_APPLETS);
            return -1;
        }
        p->applet_line[c->napplets] = line;
        p->app = &c->applets[c->napplets++];
        memcpy(p->app->name, name, strlen(name) + 1);
    }
    p->sect = s;
    return 0;
}

/* "XX" or "xx" -> "XX" when it is an assigned ISO 3166-1 alpha-2 code. */
static int country_key(const char *key, char cc[3], char *err, size_t errlen)
{
    cc[0] = cc[1] = cc[2] = '\0';
    if (strlen(key) == 2) {
        cc[0] = (char)toupper((unsigned char)key[0]);
        cc[1] = (char)toupper((unsigned char)key[1]);
    }
    if (!gw_iso3166_valid(cc)) {
        gw_ini_seterr(err, errlen, "'%s' is not an ISO 3166-1 alpha-2 country code", key);
        return -1;
    }
    return 0;
}

static int on_route(struct parse *p, const char *key, const char *value, int line, char *err,
                    size_t errlen)
{
    struct gw_config *c = p->c;
    struct pending_route *pr = &p->pending[p->npending];
    memset(pr, 0, sizeof *pr);
    pr->line = line;
    if (strcmp(key, "default") == 0) {
        if (p->route_line[GW_MAX_ROUTES]) {
            gw_ini_seterr(err, errlen, "default route already given on line %d",
                          p->route_line[GW_MAX_ROUTES]);
            return -1;
        }
        p->route_line[GW_MAX_ROUTES] = line;
        pr->is_default = 1;
        memcpy(c->default_route.country, "", 1);
    } else {
        char cc[3];
        if (country_key(key, cc, err, errlen) != 0)
            return -1;
        for (unsigned i = 0; i < c->nroutes; i++)
            if (strcmp(c->routes[i].country, cc) == 0) {
                gw_ini_seterr(err, errlen, "route for %s already given on line %d", cc,
                              p->route_line[i]);
                return -1;
            }
        if (c->nroutes == GW_MAX_ROUTES) {
            gw_ini_seterr(err, errlen, "more than %d routes", GW_MAX_ROUTES);
            return -1;
        }
        p->route_line[c->nroutes] = line;
        pr->idx = c->nroutes;
        memcpy(c->routes[c->nroutes++].country, cc, 3);
    }
    const char *v = value;
    for (;;) {
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m > 0 && (v[m - 1] == ' ' || v[m - 1] == '\t'))
            m--;
        if (m == 0) {
            gw_ini_seterr(err, errlen, "route '%s': empty carrier name", key);
            return -1;
        }
        if (m >= GW_NAME_MAX) {
            gw_ini_seterr(err, errlen, "route '%s': carrier name longer than %d characters", key,
                          GW_NAME_MAX - 1);
            return -1;
        }
        if (pr->n == GW_ROUTE_MAX_HOP) {
            gw_ini_seterr(err, errlen, "route '%s': more than %d carriers", key, GW_ROUTE_MAX_HOP);
            return -1;
        }
        memcpy(pr->names[pr->n], v, m);
        pr->names[pr->n][m] = '\0';
        for (unsigned i = 0; i < pr->n; i++)
            if (strcmp(pr->names[i], pr->names[pr->n]) == 0) {
                gw_ini_seterr(err, errlen, "route '%s': carrier '%s' listed twice", key,
                              pr->names[i]);
                return -1;
            }
        pr->n++;
        v += n;
        if (*v != ',')
            break;
        v++;
    }
    p->npending++;
    return 0;
}

static int on_kv(void *arg, const char *section, const char *key, const char *value, int line,
                 char *err, size_t errlen)
{
    struct parse *p = arg;
    struct gw_config *c = p->c;

    switch (p->sect) {
    case S_NONE:
        gw_ini_seterr(err, errlen, "key '%s' before any [section]", key);
        return -1;
    case S_GATEWAY:
    case S_REDIS:
        for (size_t i = 0; i < NMAIN; i++) {
            if (strcmp(main_rows[i].section, section) != 0 || strcmp(main_rows[i].name, key) != 0)
                continue;
            if (p->main_seen[i]) {
                gw_ini_seterr(err, errlen, "duplicate key '%s' in [%s] (first on line %d)", key,
                              section, p->main_seen[i]);
                return -1;
            }
            p->main_seen[i] = line;
            return cf_set(c, &main_rows[i], value, err, errlen);
        }
        gw_ini_seterr(err, errlen, "unknown key '%s' in [%s]", key, section);
        return -1;
    case S_CARRIER: {
        unsigned ci = (unsigned)(p->car - c->carriers);
        for (size_t i = 0; i < NCARRIER; i++) {
            if (strcmp(carrier_rows[i].name, key) != 0)
                continue;
            if (p->car_seen[ci][i]) {
                gw_ini_seterr(err, errlen, "duplicate key '%s' in [%s] (first on line %d)", key,
                              section, p->car_seen[ci][i]);
                return -1;
            }
            p->car_seen[ci][i] = line;
            return cf_set(p->car, &carrier_rows[i], value, err, errlen);
        }
        gw_ini_seterr(err, errlen, "unknown key '%s' in [%s]", key, section);
        return -1;
    }
    case S_ROUTE:
        return on_route(p, key, value, line, err, errlen);
    case S_POLICY: {
        char cc[3];
        if (country_key(key, cc, err, errlen) != 0)
            return -1;
        for (unsigned i = 0; i < c->npolicies; i++)
            if (strcmp(c->policies[i].country, cc) == 0) {
                gw_ini_seterr(err, errlen, "policy for %s already given on line %d", cc,
                              p->policy_line[i]);
                return -1;
            }
        enum gw_policy pol;
        if (strcmp(value, "local-only") == 0)
            pol = GW_POLICY_LOCAL_ONLY;
        else if (strcmp(value, "any") == 0)
            pol = GW_POLICY_ANY;
        else {
            gw_ini_seterr(err, errlen, "policy for %s must be local-only or any, not '%s'", cc,
                          value);
            return -1;
        }
        if (c->npolicies == GW_MAX_ROUTES) {
            gw_ini_seterr(err, errlen, "more than %d policies", GW_MAX_ROUTES);
            return -1;
        }
        p->policy_line[c->npolicies] = line;
        memcpy(c->policies[c->npolicies].country, cc, 3);
        c->policies[c->npolicies++].policy = pol;
        return 0;
    }
    case S_APPLET: {
        struct gw_applet_conf *a = p->app;
        if (!valid_name(key, sizeof a->kv[0].key)) {
            gw_ini_seterr(err, errlen,
                          "bad key '%s' in [%s]: 1 to %zu letters, digits, '_', '-' or '.'", key,
                          section, sizeof a->kv[0].key - 1);
            return -1;
        }
        for (unsigned i = 0; i < a->nkv; i++)
            if (strcmp(a->kv[i].key, key) == 0) {
                gw_ini_seterr(err, errlen, "duplicate key '%s' in [%s]", key, section);
                return -1;
            }
        if (strlen(value) >= sizeof a->kv[0].value) {
            gw_ini_seterr(err, errlen, "value of '%s' longer than %zu characters", key,
                          sizeof a->kv[0].value - 1);
            return -1;
        }
        if (a->nkv == GW_APPLET_MAX_KV) {
            gw_ini_seterr(err, errlen, "more than %d keys in [%s]", GW_APPLET_MAX_KV, section);
            return -1;
        }
        memcpy(a->kv[a->nkv].key, key, strlen(key) + 1);
        memcpy(a->kv[a->nkv].value, value, strlen(value) + 1);
        a->nkv++;
        return 0;
    }
    }
    return -1;
}

/* dir + "/" + p when p is relative; left alone when empty or absolute. */
static int resolve(const char *dir, char *p, size_t cap)
{
    if (p[0] == '\0' || p[0] == '/')
        return 0;
    char tmp[GW_PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s/%s", dir, p);
    if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof tmp)
        return -1;
    memcpy(p, tmp, (size_t)n + 1);
    return 0;
}

static size_t main_index(const char *section, const char *name)
{
    size_t i = 0;
    while (i < NMAIN &&
           (strcmp(main_rows[i].section, section) != 0 || strcmp(main_rows[i].name, name) != 0))
        i++;
    return i; /* the rows exist: a test of the defaults would fail otherwise */
}

/* The lease keys together: claim_idle left out follows lease (+ 5 s, so
 * that the claim of a dead instance's entry finds its lease run out rather
 * than a few milliseconds left of it); given below lease it is refused:
 * every claim before the lease runs out is refused by the intake and
 * resets the entry's idle time, so jobs would wait longer, not shorter. */
static int check_lease(struct parse *p, const char *file, char *err, size_t errlen)
{
    struct gw_config *c = p->c;
    size_t ci = main_index("redis", "claim_idle");
    if (ci == NMAIN)
        return 0;
    if (!p->main_seen[ci]) {
        c->claim_idle_ms = c->lease_ms + 5000;
        return 0;
    }
    if (c->claim_idle_ms >= c->lease_ms)
        return 0;
    char a[32], b[32];
    fmt_dur(c->claim_idle_ms, a, sizeof a);
    fmt_dur(c->lease_ms, b, sizeof b);
    gw_ini_seterr(err, errlen,
                  "%s:%d: 'claim_idle' = %s is below 'lease' = %s: a pending job is taken over "
                  "only once its lease has run out, so claim_idle must be at least the lease",
                  file, p->main_seen[ci], a, b);
    return -1;
}

static int finish(struct parse *p, const char *file, char *err, size_t errlen)
{
    struct gw_config *c = p->c;

    for (size_t i = 0; i < NMAIN; i++) {
        const struct cf_row *r = &main_rows[i];
        if (r->required && ((char *)c + r->off)[0] == '\0') {
            int sl = p->sect_line[strcmp(r->section, "gateway") == 0 ? S_GATEWAY : S_REDIS];
            if (sl)
                gw_ini_seterr(err, errlen, "%s:%d: [%s] needs '%s'", file, sl, r->section, r->name);
            else
                gw_ini_seterr(err, errlen, "%s: no [%s] section; it needs at least '%s'", file,
                              r->section, r->name);
            return -1;
        }
        if (r->type == CF_PATH && resolve(c->dir, (char *)c + r->off, r->size) != 0) {
            gw_ini_seterr(err, errlen, "%s:%d: path of '%s' too long once made absolute", file,
                          p->main_seen[i], r->name);
            return -1;
        }
    }
    if (check_lease(p, file, err, errlen) != 0)
        return -1;
    if (c->retry_backoff_max_ms < c->retry_backoff_ms) {
        gw_ini_seterr(err, errlen, "%s: 'retry_backoff_max' is below 'retry_backoff'", file);
        return -1;
    }
    if (c->ncarriers == 0) {
        gw_ini_seterr(err, errlen, "%s: no [carrier NAME] section: otagw needs at least one", file);
        return -1;
    }
    for (unsigned k = 0; k < c->ncarriers; k++) {
        struct gw_carrier *car = &c->carriers[k];
        for (size_t i = 0; i < NCARRIER; i++) {
            const struct cf_row *r = &carrier_rows[i];
            if (r->required && ((char *)car + r->off)[0] == '\0') {
                gw_ini_seterr(err, errlen, "%s:%d: [carrier %s] needs '%s'", file, car->line,
                              car->name, r->name);
                return -1;
            }
            if (r->type == CF_PATH && resolve(c->dir, (char *)car + r->off, r->size) != 0) {
                gw_ini_seterr(err, errlen, "%s:%d: path of '%s' too long once made absolute", file,
                              p->car_seen[k][i], r->name);
                return -1;
            }
        }
        if (car->reconnect_min_ms > car->reconnect_max_ms) {
            gw_ini_seterr(err, errlen, "%s:%d: [carrier %s] reconnect_min is above reconnect_max",
                          file, car->line, car->name);
            return -1;
        }
        if ((car->tls_cert[0] == '\0') != (car->tls_key[0] == '\0')) {
            gw_ini_seterr(err, errlen, "%s:%d: [carrier %s] tls_cert and tls_key go together", file,
                          car->line, car->name);
            return -1;
        }
        if (car->tls && car->tls_server_name[0] == '\0')
            memcpy(car->tls_server_name, car->host, sizeof car->tls_server_name);
    }
    for (unsigned k = 0; k < p->npending; k++) {
        struct pending_route *pr = &p->pending[k];
        struct gw_route *r = pr->is_default ? &c->default_route : &c->routes[pr->idx];
        r->ncarriers = 0;
        for (unsigned i = 0; i < pr->n; i++) {
            int ci = gw_config_carrier_index(c, pr->names[i]);
            if (ci < 0) {
                gw_ini_seterr(err, errlen, "%s:%d: route %s names unknown carrier '%s'", file,
                              pr->line, pr->is_default ? "default" : r->country, pr->names[i]);
                return -1;
            }
            r->carriers[r->ncarriers++] = (unsigned)ci;
        }
    }
    return 0;
}

struct gw_config *gw_config_load(const char *file, char *err, size_t errlen)
{
    struct gw_config *c = calloc(1, sizeof *c);
    struct parse *p = calloc(1, sizeof *p);
    if (!c || !p) {
        free(c);
        free(p);
        gw_ini_seterr(err, errlen, "%s: out of memory", file);
        return NULL;
    }
    p->c = c;
    apply_defaults(c, main_rows, NMAIN);
    if (strlen(file) >= sizeof c->path) {
        gw_ini_seterr(err, errlen, "%s: path too long", file);
        goto fail;
    }
    memcpy(c->path, file, strlen(file) + 1);

    /* The folder, made absolute so resolved paths survive a chdir. */
    char *real = realpath(file, NULL);
    if (!real) {
        gw_ini_seterr(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        goto fail;
    }
    char *slash = strrchr(real, '/');
    if (slash == real)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    snprintf(c->dir, sizeof c->dir, "%s", real);
    free(real);

    if (gw_ini_parse(file, 0, on_section, on_kv, p, err, errlen) != 0)
        goto fail;
    if (finish(p, file, err, errlen) != 0)
        goto fail;
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
    return c;
fail:
    OPENSSL_cleanse(p, sizeof *p);
    free(p);
    gw_config_free(c);
    return NULL;
}

void gw_config_free(struct gw_config *c)
{
    if (!c)
        return;
    OPENSSL_cleanse(c, sizeof *c); /* passwords, and everything else with them */
    free(c);
}

static void print_row(const void *base, const struct cf_row *r, FILE *out)
{
    const char *field = (const char *)base + r->off;
    fprintf(out, "%s = ", r->name);
    switch (r->type) {
    case CF_STR:
    case CF_NAME:
    case CF_PATH:
    case CF_STRENUM:
        fprintf(out, "%s", field);
        break;
    case CF_SECRET:
        fprintf(out, "%s", field[0] ? MASK : "");
        break;
    case CF_ENUM: {
        int v;
        memcpy(&v, field, sizeof v);
        for (const struct cf_enum *e = r->enums; e->name; e++)
            if (e->value == v) {
                fprintf(out, "%s", e->name);
                break;
            }
        break;
    }
    case CF_BOOL: {
        int v;
        memcpy(&v, field, sizeof v);
        fprintf(out, "%s", v ? "yes" : "no");
        break;
    }
    case CF_UINT:
    case CF_U16:
    case CF_U8:
        fprintf(out, "%llu", get_uint(field, r->size));
        break;
    case CF_U8HEX:
        fprintf(out, "0x%02llx", get_uint(field, r->size));
        break;
    case CF_DUR_S:
        fprintf(out, "%llus", get_uint(field, r->size));
        break;
    case CF_DUR_MS: {
        unsigned long long ms = get_uint(field, r->size);
        if (ms % 1000)
            fprintf(out, "%llums", ms);
        else
            fprintf(out, "%llus", ms / 1000);
        break;
    }
    case CF_COUNTRIES: {
        const struct gw_carrier *car = base;
        for (unsigned i = 0; i < car->ncountries; i++)
            fprintf(out, "%s%s", i ? ", " : "", car->countries[i]);
        break;
    }
    }
    fputc('\n', out);
}

static void print_route(const struct gw_config *c, const char *key, const struct gw_route *r,
                        FILE *out)
{
    fprintf(out, "%s = ", key);
    for (unsigned i = 0; i < r->ncarriers; i++)
        fprintf(out, "%s%s", i ? ", " : "", c->carriers[r->carriers[i]].name);
    fputc('\n', out);
}

void gw_config_print(const struct gw_config *c, FILE *out)
{
    fprintf(out, "# effective configuration of %s (passwords masked)\n", c->path);
    const char *sec = NULL;
    for (size_t i = 0; i < NMAIN; i++) {
        if (!sec || strcmp(sec, main_rows[i].section) != 0) {
            sec = main_rows[i].section;
            fprintf(out, "%s[%s]\n", i ? "\n" : "", sec);
        }
        print_row(c, &main_rows[i], out);
    }
    for (unsigned k = 0; k < c->ncarriers; k++) {
        fprintf(out, "\n[carrier %s]\n", c->carriers[k].name);
        for (size_t i = 0; i < NCARRIER; i++)
            print_row(&c->carriers[k], &carrier_rows[i], out);
    }
    if (c->default_route.ncarriers || c->nroutes) {
        fprintf(out, "\n[route]\n");
        if (c->default_route.ncarriers)
            print_route(c, "default", &c->default_route, out);
        for (unsigned i = 0; i < c->nroutes; i++)
            print_route(c, c->routes[i].country, &c->routes[i], out);
    }
    if (c->npolicies) {
        fprintf(out, "\n[policy]\n");
        for (unsigned i = 0; i < c->npolicies; i++)
            fprintf(out, "%s = %s\n", c->policies[i].country,
                    c->policies[i].policy == GW_POLICY_LOCAL_ONLY ? "local-only" : "any");
    }
    for (unsigned k = 0; k < c->napplets; k++) {
        fprintf(out, "\n[applet %s]\n", c->applets[k].name);
        for (unsigned i = 0; i < c->applets[k].nkv; i++)
            fprintf(out, "%s = %s\n", c->applets[k].kv[i].key, c->applets[k].kv[i].value);
    }
}

const struct gw_carrier *gw_config_carrier(const struct gw_config *c, const char *name)
{
    int i = gw_config_carrier_index(c, name);
    return i < 0 ? NULL : &c->carriers[i];
}

int gw_config_carrier_index(const struct gw_config *c, const char *name)
{
    if (!c || !name)
        return -1;
    for (unsigned i = 0; i < c->ncarriers; i++)
        if (strcmp(c->carriers[i].name, name) == 0)
            return (int)i;
    return -1;
}

const struct gw_route *gw_config_route(const struct gw_config *c, const char *country)
{
    if (!c || !country)
        return NULL;
    if (strcmp(country, "default") == 0)
        return c->default_route.ncarriers ? &c->default_route : NULL;
    for (unsigned i = 0; i < c->nroutes; i++)
        if (strcmp(c->routes[i].country, country) == 0)
            return &c->routes[i];
    return NULL;
}

enum gw_policy gw_config_policy(const struct gw_config *c, const char *country)
{
    if (!c || !country)
        return GW_POLICY_ANY;
    for (unsigned i = 0; i < c->npolicies; i++)
        if (strcmp(c->policies[i].country, country) == 0)
            return c->policies[i].policy;
    return GW_POLICY_ANY;
}

const struct gw_applet_conf *gw_config_applet(const struct gw_config *c, const char *name)
{
    if (!c || !name)
        return NULL;
    for (unsigned i = 0; i < c->napplets; i++)
        if (strcmp(c->applets[i].name, name) == 0)
            return &c->applets[i];
    return NULL;
}
