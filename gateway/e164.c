/* e164.c — the E.164 prefix table as a digit trie (see e164.h), the
 * country-code length rule and the ISO 3166-1 alpha-2 list. */
#include "gateway/e164.h"
#include "gateway/file.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A table has a few hundred to a few thousand rows; a bound keeps a hostile
 * or mistaken file from eating memory (15 nodes per row at most). */
#define E164_MAX_ROWS 20000

struct node {
    int32_t child[10]; /* index into nodes, 0 = none (0 is the root) */
    char cc[3];        /* country of the prefix ending here, "" = none */
    int32_t line;      /* where it was defined, for duplicate errors */
};

struct gw_e164 {
    struct node *nodes;
    size_t nnodes, cap;
    size_t nrows;
};

/* ISO 3166-1 alpha-2, the 249 officially assigned codes (ISO 3166
 * Maintenance Agency). Kept as one sorted string, 2 letters per code. */
static const char iso3166[] = "AD"
                              "AEAFAGAIALAMAOAQARASATAUAWAXAZ"
                              "BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
                              "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ"
                              "DEDJDKDMDODZ"
                              "ECEEEGEHERESET"
                              "FIFJFKFMFOFR"
                              "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY"
                              "HKHMHNHRHTHU"
                              "IDIEILIMINIOIQIRISIT"
                              "JEJMJOJP"
                              "KEKGKHKIKMKNKPKRKWKYKZ"
                              "LALBLCLILKLRLSLTLULVLY"
                              "MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ"
                              "NANCNENFNGNINLNONPNRNUNZ"
                              "OM"
                              "PAPEPFPGPHPKPLPMPNPRPSPTPWPY"
                              "QA"
                              "RERORSRURW"
                              "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ"
                              "TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ"
                              "UAUGUMUSUYUZ"
                              "VAVCVEVGVIVNVU"
                              "WFWS"
                              "YEYT"
                              "ZAZMZW";

int gw_iso3166_valid(const char *cc)
{
    if (!cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2] != '\0')
        return 0;
    size_t lo = 0, hi = (sizeof iso3166 - 1) / 2;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp(iso3166 + 2 * mid, cc, 2);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* ITU-T E.164 country codes are a prefix code: zones 1 and 7 are one digit;
 * these two-digit codes are assigned; every other code is three digits
 * (ITU-T "List of ITU-T Recommendation E.164 assigned country codes"). */
size_t gw_e164_cc_len(const char *d)
{
    if (!d || d[0] < '1' || d[0] > '9')
        return 0;
    if (d[0] == '1' || d[0] == '7')
        return 1;
    if (d[1] < '0' || d[1] > '9')
        return 0;
    static const char two[] = "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 "
                              "51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 "
                              "81 82 84 86 90 91 92 93 94 95 98 ";
    for (const char *p = two; *p; p += 3)
        if (p[0] == d[0] && p[1] == d[1])
            return 2;
    return 3;
}

static int32_t node_new(struct gw_e164 *t)
{
    if (t->nnodes == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        struct node *n = realloc(t->nodes, ncap * sizeof *n);
        if (!n)
            return -1;
        t->nodes = n;
        t->cap = ncap;
    }
    memset(&t->nodes[t->nnodes], 0, sizeof t->nodes[0]);
    return (int32_t)t->nnodes++;
}

void gw_e164_free(struct gw_e164 *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t);
}

size_t gw_e164_count(const struct gw_e164 *t)
{
    return t ? t->nrows : 0;
}

static int add_row(struct gw_e164 *t, const char *prefix, size_t plen, const char *cc, int line,
                   const char *name, char *err, size_t errlen)
{
    int32_t at = 0;
    for (size_t i = 0; i < plen; i++) {
        int dgt = prefix[i] - '0';
        if (t->nodes[at].child[dgt] == 0) {
            int32_t n = node_new(t);
            if (n < 0) {
                snprintf(err, errlen, "%s:%d: out of memory", name, line);
                return -1;
            }
            t->nodes[at].child[dgt] = n;
        }
        at = t->nodes[at].child[dgt];
    }
    if (t->nodes[at].cc[0]) {
        snprintf(err, errlen, "%s:%d: prefix %.*s already given on line %d", name, line, (int)plen,
                 prefix, (int)t->nodes[at].line);
        return -1;
    }
    memcpy(t->nodes[at].cc, cc, 3);
    t->nodes[at].line = line;
    t->nrows++;
    return 0;
}

static const char *trim(char *s, size_t *n)
{
    while (*n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        (*n)--;
    }
    while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
        (*n)--;
    return s;
}

int gw_e164_parse(const char *text, size_t len, const char *name, struct gw_e164 **out, char *err,
                  size_t errlen)
{
    *out = NULL;
    struct gw_e164 *t = calloc(1, sizeof *t);
    if (!t || node_new(t) != 0) {
        gw_e164_free(t);
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    size_t pos = 0;
    int line = 0;
    char buf[256];
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        line++;
        if (n >= sizeof buf) {
            snprintf(err, errlen, "%s:%d: line too long", name, line);
            goto fail;
        }
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (strlen(buf) != n) {
            snprintf(err, errlen, "%s:%d: NUL character in the line", name, line);
            goto fail;
        }
        size_t m = n;
        const char *l = trim(buf, &m);
        if (m == 0 || l[0] == '#')
            continue;
        const char *comma = memchr(l, ',', m);
        if (!comma) {
            snprintf(err, errlen, "%s:%d: expected 'prefix,CC'", name, line);
            goto fail;
        }
        size_t plen = (size_t)(comma - l), clen = m - plen - 1;
        char *p = (char *)l, *c = (char *)comma + 1;
        const char *pp = trim(p, &plen), *cp = trim(c, &clen);
        if (plen == 0 || plen > GW_E164_MAX_DIGITS || strspn(pp, "0123456789") < plen ||
            pp[0] == '0') {
            snprintf(err, errlen, "%s:%d: prefix must be 1 to %d digits, not starting with 0", name,
                     line, GW_E164_MAX_DIGITS);
            goto fail;
        }
        char cc[3] = {0};
        if (clen == 2) {
            cc[0] = cp[0];
            cc[1] = cp[1];
        }
        if (!gw_iso3166_valid(cc)) {
            snprintf(err, errlen, "%s:%d: '%.*s' is not an ISO 3166-1 alpha-2 country code", name,
                     line, (int)(clen > 16 ? 16 : clen), cp);
            goto fail;
        }
        if (t->nrows >= E164_MAX_ROWS) {
            snprintf(err, errlen, "%s:%d: more than %d prefixes", name, line, E164_MAX_ROWS);
            goto fail;
        }
        if (add_row(t, pp, plen, cc, line, name, err, errlen) != 0)
            goto fail;
    }
    if (t->nrows == 0) {
        snprintf(err, errlen, "%s: no prefixes in the table", name);
        goto fail;
    }
    *out = t;
    return 0;
fail:
    gw_e164_free(t);
    return -1;
}

int gw_e164_load(const char *path, struct gw_e164 **out, char *err, size_t errlen)
{
    *out = NULL;
    char *buf;
    size_t len;
    int rc = gw_file_read(path, 8u << 20, &buf, &len);
    if (rc != 0) {
        if (rc == -EFBIG)
            snprintf(err, errlen, "%s: larger than 8 MiB", path);
        else if (rc == -ENOMEM || rc == -EIO)
            snprintf(err, errlen, "%s: %s", path, rc == -EIO ? "read error" : "out of memory");
        else
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-rc));
        return -1;
    }
    int r = gw_e164_parse(buf, len, path, out, err, errlen);
    free(buf);
    return r;
}

int gw_e164_lookup(const struct gw_e164 *t, const char *msisdn, char country[3], size_t *prefix_len)
{
    country[0] = '\0';
    if (!msisdn)
        return GW_E164_EMPTY;
    const char *d = msisdn + (msisdn[0] == '+');
    if (*d == '\0')
        return GW_E164_EMPTY;
    int32_t at = 0;
    const char *best = NULL;
    size_t bestlen = 0, i;
    for (i = 0; d[i]; i++) {
        if (d[i] < '0' || d[i] > '9')
            return GW_E164_NOT_DIGITS;
        if (i >= GW_E164_MAX_DIGITS)
            return GW_E164_TOO_LONG;
        if (at >= 0) {
            at = t->nodes[at].child[d[i] - '0'];
            if (at == 0)
                at = -1; /* keep scanning: the whole number must be digits */
            else if (t->nodes[at].cc[0]) {
                best = t->nodes[at].cc;
                bestlen = i + 1;
            }
        }
    }
    if (!best)
        return GW_E164_UNKNOWN;
    memcpy(country, best, 3);
    if (prefix_len)
        *prefix_len = bestlen;
    return GW_E164_OK;
}

const char *gw_e164_strerror(int err)
{
    switch (err) {
    case GW_E164_OK:
        return "ok";
    case GW_E164_EMPTY:
        return "no digits";
    case GW_E164_NOT_DIGITS:
        return "not an E.164 number (optional '+' then digits only)";
    case GW_E164_TOO_LONG:
        return "more than 15 digits (ITU-T E.164 maximum)";
    case GW_E164_UNKNOWN:
        return "no country in the E.164 table for this number";
    }
    return "unknown error";
}
