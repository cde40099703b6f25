/* job.c — validation of one ota:jobs entry into a struct jobq_job.
 *
 * Pure: no I/O, no allocation, no clock. Every refusal names the field and
 * says why, so the `rejected` event tells the platform what to fix
 * (docs/DESIGN.md: "a job that fails validation is never dropped silently").
 * Field meanings: docs/DESIGN.md "Jobs"; bounds and choices: docs/queue.md. */
#include "queue/job.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/hex.h"

enum field {
    F_ID,
    F_TYPE,
    F_ICCID,
    F_MSISDN,
    F_METHOD,
    F_SLOT,
    F_IMSI,
    F_AID,
    F_FILE,
    F_VALUE,
    F_TAR,
    F_APDUS,
    F_POR,
    F_VALIDITY,
    F_CARRIER,
    F_KEYSET,
    F_TAG,
    F_ACTION,
    F_APPLET,
    F_READBACK,
    F_FORMAT,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "id",      "type",   "iccid", "msisdn", "method", "slot",     "imsi",
    "aid",     "file",   "value", "tar",    "apdus",  "por",      "validity",
    "carrier", "keyset", "tag",   "action", "applet", "readback", "format",
};
_Static_assert(F_COUNT + 1 == JOBQ_REASON_CLASSES, "job.h: JOBQ_REASON_CLASSES = fields + other");

/* Upper bound of each value's length, checked before anything else. */
static const size_t field_max[F_COUNT] = {
    [F_ID] = JOBQ_ID_MAX,
    [F_TYPE] = 8,
    [F_ICCID] = 20,
    [F_MSISDN] = 16,
    [F_METHOD] = 8,
    [F_SLOT] = 3,
    [F_IMSI] = 15,
    [F_AID] = 32,
    [F_FILE] = 63,
    [F_VALUE] = JOBQ_VALUE_MAX,
    [F_TAR] = 6,
    [F_APDUS] = JOBQ_APDUS_MAX,
    [F_POR] = 8,
    [F_VALIDITY] = 8,
    [F_CARRIER] = JOBQ_NAME_MAX - 1,
    [F_KEYSET] = JOBQ_NAME_MAX - 1,
    [F_TAG] = JOBQ_TAG_MAX,
    [F_ACTION] = 8,
    [F_APPLET] = JOBQ_NAME_MAX - 1,
    [F_READBACK] = 3,
    [F_FORMAT] = 8,
};

/* Names of files `config` jobs may name; ota/ maps them to FIDs
 * (TS 31.102 §4.2, TS 51.011 §10.3). A FID path is also accepted. */
static const char *const file_names[] = {
    "imsi",    "fplmn", "oplmnwact", "plmnwact", "hplmnwact", "loci",   "psloci",
    "epsloci", "smsp",  "spn",       "acc",      "ad",        "ehplmn",
};

static enum jobq_err fail(enum jobq_err e, char *reason, size_t rlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum jobq_err fail(enum jobq_err e, char *reason, size_t rlen, const char *fmt, ...)
{
    if (reason && rlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, rlen, fmt, ap);
        va_end(ap);
    }
    return e;
}

/* What may be echoed of client text in a reason: printable ASCII, 24 chars. */
static void echo(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o >= 24) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = (c >= 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    out[o] = '\0';
}

static int is_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* Valid UTF-8 with no control characters (tag). */
static int is_text_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t n;
        unsigned min;
        unsigned cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1, min = 0x80, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, min = 0x800, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len) /* the sequence runs past the end */
            return 0;
        for (size_t j = 1; j <= n; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
            (cp >= 0x80 && cp < 0xa0))
            return 0;
        i += n + 1;
    }
    return 1;
}

static int is_printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

static void copy(char *dst, const char *s, size_t len)
{
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* An E.164 number (ITU-T E.164 §6: at most 15 digits, country codes never
 * start with 0), optional '+': its digits into out (16 octets). */
static int msisdn_take(const char *m, size_t ml, char *out)
{
    if (ml && m[0] == '+')
        m++, ml--;
    if (!is_digits(m, ml) || ml < 5 || ml > 15 || m[0] == '0')
        return -1;
    copy(out, m, ml);
    return 0;
}

int jobq_field_known(const char *name, size_t len)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
            return 1;
    return 0;
}

static int field_of(const char *name, size_t len)
{
    for (int f = 0; f < F_COUNT; f++)
        if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
            return f;
    return -1;
}

const char *jobq_reason_class(enum jobq_err rc, const char *reason)
{
    /* An unknown field's reason starts with the client's own name for it. */
    if (rc == JOBQ_OK || rc == JOBQ_E_UNKNOWN_FIELD || rc == JOBQ_E_TOO_MANY || !reason)
        return "other";
    const char *colon = strchr(reason, ':');
    int f = colon ? field_of(reason, (size_t)(colon - reason)) : -1;
    return f >= 0 ? field_names[f] : "other";
}

/* One C-APDU in hex (ISO/IEC 7816-4 §5.1, short length forms): case 1
 * (4 octets), case 2 (5: Le), case 3 (5+Lc), case 4 (5+Lc+1). */
static int apdu_check(const char *s, size_t len, unsigned *octets, char *reason, size_t rlen,
                      int index)
{
    uint8_t b[261];
    if (len == 0)
        return fail(JOBQ_E_BAD_VALUE, reason, rlen, "apdus: C-APDU %d is empty", index), -1;
    if (len % 2 || !is_hex(s, len))
        return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                    "apdus: C-APDU %d is not an even run of hex digits", index),
               -1;
    if (len > 2 * sizeof b)
        return fail(JOBQ_E_TOO_LONG, reason, rlen, "apdus: C-APDU %d is longer than 261 octets",
                    index),
               -1;
    long n = hex_decode_n(s, len, b, sizeof b);
    if (n < 4)
        return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                    "apdus: C-APDU %d has %ld octets, needs at least CLA INS P1 P2", index, n),
               -1;
    if (n > 5) {
        long lc = b[4];
        if (lc == 0 || (n != 5 + lc && n != 6 + lc))
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "apdus: C-APDU %d: Lc=%ld does not match its %ld data octets", index, lc,
                        n - 5),
                   -1;
    }
    *octets += (unsigned)n;
    return 0;
}

int jobq_apdus_check(const char *s, size_t len, char *reason, size_t rlen)
{
    int count = 0;
    unsigned octets = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ',')
            continue;
        if (count == JOBQ_APDU_COUNT)
            return fail(JOBQ_E_TOO_LONG, reason, rlen, "apdus: more than %d C-APDUs",
                        JOBQ_APDU_COUNT),
                   -1;
        if (apdu_check(s + start, i - start, &octets, reason, rlen, count + 1) < 0)
            return -1;
        count++;
        start = i + 1;
    }
    if (octets > JOBQ_APDU_BYTES)
        return fail(JOBQ_E_TOO_LONG, reason, rlen, "apdus: %u octets, at most %d fit one packet",
                    octets, JOBQ_APDU_BYTES),
               -1;
    return count;
}

/* A FID path: 4-hex-digit FIDs separated by '/', 1..8 of them. */
static int is_fid_path(const char *s, size_t len)
{
    size_t i = 0;
    int n = 0;
    while (i < len) {
        if (i + 4 > len || !is_hex(s + i, 4))
            return 0;
        i += 4;
        n++;
        if (i == len)
            break;
        if (s[i] != '/' || i + 1 == len)
            return 0;
        i++;
    }
    return n >= 1 && n <= 8;
}

static int parse_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
    if (!is_digits(s, len) || len > 10)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    if (v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

enum jobq_err jobq_job_parse(const struct jobq_kv *kv, size_t n, struct jobq_job *out, char *reason,
                             size_t rlen)
{
    const struct jobq_kv *f[F_COUNT] = {0};
    char e[40];

    memset(out, 0, sizeof *out);
    if (reason && rlen)
        reason[0] = '\0';
    if (n > JOBQ_FIELDS_MAX)
        return fail(JOBQ_E_TOO_MANY, reason, rlen, "entry: %zu fields, at most %d", n,
                    JOBQ_FIELDS_MAX);

    /* Names first: unknown, repeated, binary. */
    for (size_t i = 0; i < n; i++) {
        const struct jobq_kv *p = &kv[i];
        if (p->klen == 0 || p->klen > 64 || !is_printable(p->k, p->klen)) {
            echo(p->k, p->klen, e, sizeof e);
            return fail(JOBQ_E_BAD_CHAR, reason, rlen,
                        "field name '%s': must be 1..64 printable ASCII characters", e);
        }
        if (p->klen > 2 && p->k[0] == 'x' && p->k[1] == '-')
            continue; /* client extension: allowed, ignored */
        int idx = field_of(p->k, p->klen);
        if (idx < 0) {
            echo(p->k, p->klen, e, sizeof e);
            return fail(JOBQ_E_UNKNOWN_FIELD, reason, rlen,
                        "%s: unknown field (client fields must start with x-)", e);
        }
        if (f[idx])
            return fail(JOBQ_E_DUP_FIELD, reason, rlen, "%s: given more than once",
                        field_names[idx]);
        f[idx] = p;
    }

    /* Values: bounds and character sets before meaning. */
    for (int i = 0; i < F_COUNT; i++) {
        if (!f[i])
            continue;
        if (f[i]->vlen > field_max[i])
            return fail(JOBQ_E_TOO_LONG, reason, rlen, "%s: %zu bytes, at most %zu", field_names[i],
                        f[i]->vlen, field_max[i]);
        int okc =
            i == F_TAG ? is_text_utf8(f[i]->v, f[i]->vlen) : is_printable(f[i]->v, f[i]->vlen);
        if (!okc)
            return fail(JOBQ_E_BAD_CHAR, reason, rlen, "%s: %s", field_names[i],
                        i == F_TAG ? "must be UTF-8 text without control characters"
                                   : "must be printable ASCII without spaces");
    }

#define V(i)    (f[i]->v)
#define L(i)    (f[i]->vlen)
#define ECHO(i) (echo(V(i), L(i), e, sizeof e), e)

    if (f[F_ID]) {
        if (L(F_ID) == 0)
            return fail(JOBQ_E_BAD_VALUE, reason, rlen, "id: empty");
        for (size_t i = 0; i < L(F_ID); i++)
            if (!is_name_char(V(F_ID)[i]) && V(F_ID)[i] != ':')
                return fail(JOBQ_E_BAD_CHAR, reason, rlen,
                            "id: only letters, digits and . _ - : are allowed, got '%s'",
                            ECHO(F_ID));
        copy(out->id, V(F_ID), L(F_ID));
    }
    if (f[F_TAG])
        copy(out->tag, V(F_TAG), L(F_TAG));

    if (!f[F_TYPE])
        return fail(JOBQ_E_MISSING, reason, rlen, "type: required (switch, config or apdu)");
    if (L(F_TYPE) == 6 && memcmp(V(F_TYPE), "switch", 6) == 0)
        out->type = JOBQ_SWITCH;
    else if (L(F_TYPE) == 6 && memcmp(V(F_TYPE), "config", 6) == 0)
        out->type = JOBQ_CONFIG;
    else if (L(F_TYPE) == 4 && memcmp(V(F_TYPE), "apdu", 4) == 0)
        out->type = JOBQ_APDU;
    else
        return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                    "type: must be switch, config or apdu, got '%s'", ECHO(F_TYPE));

    if (!f[F_ICCID])
        return fail(JOBQ_E_MISSING, reason, rlen, "iccid: required");
    if (!is_digits(V(F_ICCID), L(F_ICCID)) || L(F_ICCID) < 18)
        return fail(JOBQ_E_BAD_VALUE, reason, rlen, "iccid: must be 18..20 digits, got '%s'",
                    ECHO(F_ICCID));
    copy(out->iccid, V(F_ICCID), L(F_ICCID));

    if (!f[F_MSISDN])
        return fail(JOBQ_E_MISSING, reason, rlen, "msisdn: required (E.164)");
    if (msisdn_take(V(F_MSISDN), L(F_MSISDN), out->msisdn) != 0)
        return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                    "msisdn: must be E.164 (optional +, 5..15 digits, no leading 0), got '%s'",
                    ECHO(F_MSISDN));

    /* Fields by type and method: what does not apply is refused. */
    int want[F_COUNT] = {0};
    if (out->type == JOBQ_SWITCH) {
        want[F_METHOD] = 1;
        if (!f[F_METHOD])
            return fail(JOBQ_E_MISSING, reason, rlen,
                        "method: required for type=switch (applet, imsi or profile)");
        if (L(F_METHOD) == 6 && memcmp(V(F_METHOD), "applet", 6) == 0) {
            out->method = JOBQ_METHOD_APPLET;
            want[F_SLOT] = want[F_APPLET] = 1;
            if (!f[F_SLOT])
                return fail(JOBQ_E_MISSING, reason, rlen, "slot: required for method=applet");
            if (parse_uint(V(F_SLOT), L(F_SLOT), 255, &out->slot) < 0)
                return fail(JOBQ_E_BAD_VALUE, reason, rlen, "slot: must be 0..255, got '%s'",
                            ECHO(F_SLOT));
        } else if (L(F_METHOD) == 4 && memcmp(V(F_METHOD), "imsi", 4) == 0) {
            out->method = JOBQ_METHOD_IMSI;
            want[F_IMSI] = want[F_READBACK] = want[F_FORMAT] = 1;
            if (!f[F_IMSI])
                return fail(JOBQ_E_MISSING, reason, rlen, "imsi: required for method=imsi");
            /* TS 23.003 §2.2: MCC(3) + MNC(2..3) + MSIN, at most 15 digits. */
            if (!is_digits(V(F_IMSI), L(F_IMSI)) || L(F_IMSI) < 6)
                return fail(JOBQ_E_BAD_VALUE, reason, rlen, "imsi: must be 6..15 digits, got '%s'",
                            ECHO(F_IMSI));
            copy(out->imsi, V(F_IMSI), L(F_IMSI));
        } else if (L(F_METHOD) == 7 && memcmp(V(F_METHOD), "profile", 7) == 0) {
            out->method = JOBQ_METHOD_PROFILE;
            want[F_AID] = want[F_ACTION] = 1;
            if (!f[F_AID])
                return fail(JOBQ_E_MISSING, reason, rlen, "aid: required for method=profile");
            /* ISO/IEC 7816-5: an AID is 5..16 octets. */
            if (L(F_AID) % 2 || L(F_AID) < 10 || !is_hex(V(F_AID), L(F_AID)))
                return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                            "aid: must be 5..16 octets in hex, got '%s'", ECHO(F_AID));
            copy(out->aid, V(F_AID), L(F_AID));
        } else {
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "method: must be applet, imsi or profile, got '%s'", ECHO(F_METHOD));
        }
    } else if (out->type == JOBQ_CONFIG) {
        want[F_FILE] = want[F_VALUE] = want[F_READBACK] = want[F_FORMAT] = 1;
        if (!f[F_FILE])
            return fail(JOBQ_E_MISSING, reason, rlen, "file: required for type=config");
        int named = 0;
        for (size_t i = 0; i < sizeof file_names / sizeof *file_names; i++)
            if (strlen(file_names[i]) == L(F_FILE) &&
                memcmp(file_names[i], V(F_FILE), L(F_FILE)) == 0)
                named = 1;
        if (!named && !is_fid_path(V(F_FILE), L(F_FILE)))
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "file: must be a known file name (imsi, fplmn, oplmnwact, ...) or a FID "
                        "path like 3F00/7FFF/6F07, got '%s'",
                        ECHO(F_FILE));
        copy(out->file, V(F_FILE), L(F_FILE));
        if (!f[F_VALUE])
            return fail(JOBQ_E_MISSING, reason, rlen, "value: required for type=config");
        if (L(F_VALUE) == 0)
            return fail(JOBQ_E_BAD_VALUE, reason, rlen, "value: empty");
        copy(out->value, V(F_VALUE), L(F_VALUE));
    } else {
        want[F_TAR] = want[F_APDUS] = 1;
        if (!f[F_TAR])
            return fail(JOBQ_E_MISSING, reason, rlen, "tar: required for type=apdu");
        if (L(F_TAR) != 6 || !is_hex(V(F_TAR), 6))
            return fail(JOBQ_E_BAD_VALUE, reason, rlen, "tar: must be 3 octets in hex, got '%s'",
                        ECHO(F_TAR));
        copy(out->tar, V(F_TAR), 6);
        if (!f[F_APDUS])
            return fail(JOBQ_E_MISSING, reason, rlen, "apdus: required for type=apdu");
        if (jobq_apdus_check(V(F_APDUS), L(F_APDUS), reason, rlen) < 0)
            return JOBQ_E_BAD_VALUE;
        copy(out->apdus, V(F_APDUS), L(F_APDUS));
    }
    static const int typed[] = {F_METHOD, F_SLOT,  F_IMSI,   F_AID,    F_FILE,     F_VALUE,
                                F_TAR,    F_APDUS, F_ACTION, F_APPLET, F_READBACK, F_FORMAT};
    for (size_t i = 0; i < sizeof typed / sizeof *typed; i++)
        if (f[typed[i]] && !want[typed[i]])
            return fail(JOBQ_E_NOT_APPLICABLE, reason, rlen, "%s: does not apply to type=%s%s%s",
                        field_names[typed[i]], jobq_type_name(out->type),
                        out->method ? " method=" : "",
                        out->method == JOBQ_METHOD_APPLET    ? "applet"
                        : out->method == JOBQ_METHOD_IMSI    ? "imsi"
                        : out->method == JOBQ_METHOD_PROFILE ? "profile"
                                                             : "");

    /* Checked after applicability, so a misplaced field says so first. */
    if (f[F_ACTION]) {
        static const char *const acts[] = {"enable", "disable", "fallback"};
        for (size_t i = 0; i < 3 && !out->action; i++)
            if (strlen(acts[i]) == L(F_ACTION) && memcmp(acts[i], V(F_ACTION), L(F_ACTION)) == 0)
                out->action = (enum jobq_action)(JOBQ_ACTION_ENABLE + i);
        if (!out->action)
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "action: must be enable, disable or fallback, got '%s'", ECHO(F_ACTION));
    }
    if (f[F_READBACK]) {
        if (L(F_READBACK) == 3 && memcmp(V(F_READBACK), "yes", 3) == 0)
            out->readback = 1;
        else if (!(L(F_READBACK) == 2 && memcmp(V(F_READBACK), "no", 2) == 0))
            return fail(JOBQ_E_BAD_VALUE, reason, rlen, "readback: must be yes or no, got '%s'",
                        ECHO(F_READBACK));
    }
    if (f[F_FORMAT]) {
        if (L(F_FORMAT) == 7 && memcmp(V(F_FORMAT), "compact", 7) == 0)
            out->format = JOBQ_FORMAT_COMPACT;
        else if (L(F_FORMAT) == 8 && memcmp(V(F_FORMAT), "expanded", 8) == 0)
            out->format = JOBQ_FORMAT_EXPANDED;
        else
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "format: must be compact or expanded, got '%s'", ECHO(F_FORMAT));
    }
    if (f[F_POR]) {
        if (L(F_POR) == 6 && memcmp(V(F_POR), "always", 6) == 0)
            out->por = JOBQ_POR_ALWAYS;
        else if (L(F_POR) == 5 && memcmp(V(F_POR), "error", 5) == 0)
            out->por = JOBQ_POR_ERROR;
        else if (L(F_POR) == 4 && memcmp(V(F_POR), "none", 4) == 0)
            out->por = JOBQ_POR_NONE;
        else
            return fail(JOBQ_E_BAD_VALUE, reason, rlen,
                        "por: must be always, error or none, got '%s'", ECHO(F_POR));
    }
    if (f[F_VALIDITY] &&
        (parse_uint(V(F_VALIDITY), L(F_VALIDITY), JOBQ_VALIDITY_MAX, &out->validity) < 0 ||
         out->validity == 0))
        return fail(JOBQ_E_BAD_VALUE, reason, rlen, "validity: must be 1..%u seconds, got '%s'",
                    JOBQ_VALIDITY_MAX, ECHO(F_VALIDITY));
    static const int names[] = {F_CARRIER, F_KEYSET, F_APPLET};
    for (size_t i = 0; i < 3; i++) {
        int x = names[i];
        if (!f[x])
            continue;
        if (L(x) == 0)
            return fail(JOBQ_E_BAD_VALUE, reason, rlen, "%s: empty", field_names[x]);
        for (size_t j = 0; j < L(x); j++)
            if (!is_name_char(V(x)[j]))
                return fail(JOBQ_E_BAD_CHAR, reason, rlen,
                            "%s: only letters, digits and . _ - are allowed, got '%s'",
                            field_names[x], ECHO(x));
        copy(x == F_CARRIER ? out->carrier : x == F_KEYSET ? out->keyset : out->applet, V(x), L(x));
    }
#undef V
#undef L
#undef ECHO
    return JOBQ_OK;
}

void jobq_job_salvage_msisdn(const struct jobq_kv *kv, size_t n, char *msisdn)
{
    const struct jobq_kv *f = NULL;
    int nf = 0;
    msisdn[0] = '\0';
    for (size_t i = 0; i < n && i < JOBQ_FIELDS_MAX; i++)
        if (kv[i].klen == 6 && memcmp(kv[i].k, "msisdn", 6) == 0)
            f = &kv[i], nf++;
    if (nf == 1 && msisdn_take(f->v, f->vlen, msisdn) != 0)
        msisdn[0] = '\0';
}

void jobq_job_salvage(const struct jobq_kv *kv, size_t n, char *id, char *tag)
{
    const struct jobq_kv *fid = NULL, *ftag = NULL;
    int nid = 0, ntag = 0;
    id[0] = tag[0] = '\0';
    for (size_t i = 0; i < n && i < JOBQ_FIELDS_MAX; i++) {
        if (kv[i].klen == 2 && memcmp(kv[i].k, "id", 2) == 0)
            fid = &kv[i], nid++;
        if (kv[i].klen == 3 && memcmp(kv[i].k, "tag", 3) == 0)
            ftag = &kv[i], ntag++;
    }
    if (nid == 1 && fid->vlen > 0 && fid->vlen <= JOBQ_ID_MAX) {
        int ok = 1;
        for (size_t i = 0; i < fid->vlen; i++)
            ok &= is_name_char(fid->v[i]) || fid->v[i] == ':';
        if (ok)
            copy(id, fid->v, fid->vlen);
    }
    if (ntag == 1 && ftag->vlen <= JOBQ_TAG_MAX && is_text_utf8(ftag->v, ftag->vlen))
        copy(tag, ftag->v, ftag->vlen);
}

const char *jobq_type_name(enum jobq_type t)
{
    switch (t) {
    case JOBQ_SWITCH:
        return "switch";
    case JOBQ_CONFIG:
        return "config";
    case JOBQ_APDU:
        return "apdu";
    }
    return "?";
}

const char *jobq_action_name(enum jobq_action a)
{
    switch (a) {
    case JOBQ_ACTION_ENABLE:
        return "enable";
    case JOBQ_ACTION_DISABLE:
        return "disable";
    case JOBQ_ACTION_FALLBACK:
        return "fallback";
    case JOBQ_ACTION_NONE:
        break;
    }
    return "";
}

const char *jobq_format_name(enum jobq_format f)
{
    switch (f) {
    case JOBQ_FORMAT_COMPACT:
        return "compact";
    case JOBQ_FORMAT_EXPANDED:
        return "expanded";
    case JOBQ_FORMAT_DEFAULT:
        break;
    }
    return "";
}

const char *jobq_por_name(enum jobq_por p)
{
    switch (p) {
    case JOBQ_POR_ALWAYS:
        return "always";
    case JOBQ_POR_ERROR:
        return "error";
    case JOBQ_POR_NONE:
        return "none";
    }
    return "?";
}
