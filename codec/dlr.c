/* dlr.c — delivery receipts (SMPP 3.4 Appendix B text, §5.3.2 TLVs) and
 * message-id keys. Pure: no I/O, no clock, no logging, no allocation.
 *
 * The text form is "vendor specific" (Appendix B), so the reader is
 * forgiving where it costs nothing (key case, order, extra keys, "submit
 * date" or "submit_date") and strict where a wrong guess would mislead the
 * job layer (the id: too long or empty is refused, never cut). */
#include "codec/dlr.h"

#include <string.h>

static const char *const stat_names[] = {
    [DLR_STAT_NONE] = "NONE",       [DLR_STAT_ENROUTE] = "ENROUTE", [DLR_STAT_DELIVRD] = "DELIVRD",
    [DLR_STAT_EXPIRED] = "EXPIRED", [DLR_STAT_DELETED] = "DELETED", [DLR_STAT_UNDELIV] = "UNDELIV",
    [DLR_STAT_ACCEPTD] = "ACCEPTD", [DLR_STAT_UNKNOWN] = "UNKNOWN", [DLR_STAT_REJECTD] = "REJECTD",
};

const char *dlr_stat_name(enum dlr_stat s)
{
    if ((unsigned)s < sizeof stat_names / sizeof stat_names[0])
        return stat_names[s];
    return "NONE";
}

const char *dlr_strerror(enum dlr_err e)
{
    switch (e) {
    case DLR_OK:
        return "ok";
    case DLR_ERR_NOT_RECEIPT:
        return "esm_class is not a delivery receipt";
    case DLR_ERR_NO_ID:
        return "receipt without id: text or receipted_message_id";
    case DLR_ERR_ID:
        return "receipt id empty or over 64 characters";
    case DLR_ERR_TEXT:
        return "receipt text malformed";
    }
    return "unknown error";
}

int dlr_is_receipt(uint8_t esm_class)
{
    uint8_t t = esm_class & SMPPF_ESM_TYPE_MASK;
    return t == SMPPF_ESM_TYPE_RECEIPT || t == SMPPF_ESM_TYPE_INTERM;
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const uint8_t *a, size_t alen, const char *b)
{
    size_t bl = strlen(b);
    if (alen != bl)
        return 0;
    for (size_t i = 0; i < bl; i++)
        if (lower(a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

enum dlr_stat dlr_stat_parse(const char *s, size_t len)
{
    static const struct {
        const char *name;
        enum dlr_stat st;
    } t[] = {
        {"DELIVRD", DLR_STAT_DELIVRD},  {"DELIVERED", DLR_STAT_DELIVRD},
        {"EXPIRED", DLR_STAT_EXPIRED},  {"DELETED", DLR_STAT_DELETED},
        {"UNDELIV", DLR_STAT_UNDELIV},  {"UNDELIVERABLE", DLR_STAT_UNDELIV},
        {"ACCEPTD", DLR_STAT_ACCEPTD},  {"ACCEPTED", DLR_STAT_ACCEPTD},
        {"UNKNOWN", DLR_STAT_UNKNOWN},  {"REJECTD", DLR_STAT_REJECTD},
        {"REJECTED", DLR_STAT_REJECTD}, {"ENROUTE", DLR_STAT_ENROUTE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (ieq((const uint8_t *)s, len, t[i].name))
            return t[i].st;
    return DLR_STAT_NONE;
}

/* Decimal digits of v[0..n) into *out; 0 if empty, not all digits or over 9. */
static int digits(const uint8_t *v, size_t n, unsigned *out)
{
    unsigned x = 0;
    if (n == 0 || n > 9)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return 0;
        x = x * 10 + (unsigned)(v[i] - '0');
    }
    *out = x;
    return 1;
}

static void copy_field(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    size_t l = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < l; i++)
        dst[i] = v[i] ? (char)v[i] : '?';
    dst[l] = 0;
}

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum dlr_err dlr_parse_text(const uint8_t *p, size_t n, struct dlr_receipt *r)
{
    /* Keys of Appendix B and the spellings SMSCs use for them. */
    enum { K_ID, K_SUB, K_DLVRD, K_SUBMIT, K_DONE, K_STAT, K_ERR, K_TEXT };
    static const struct {
        const char *k;
        int which;
    } keys[] = {
        {"id:", K_ID},
        {"sub:", K_SUB},
        {"dlvrd:", K_DLVRD},
        {"submit date:", K_SUBMIT},
        {"submit_date:", K_SUBMIT},
        {"done date:", K_DONE},
        {"done_date:", K_DONE},
        {"stat:", K_STAT},
        {"err:", K_ERR},
        {"text:", K_TEXT},
    };
    int any = 0, bad = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_space(p[i]))
            i++;
        if (i >= n)
            break;
        int which = -1;
        size_t klen = 0;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            size_t l = strlen(keys[k].k);
            if (n - i >= l && ieq(p + i, l, keys[k].k)) {
                which = keys[k].which, klen = l;
                break;
            }
        }
        if (which < 0) { /* unknown word: skip it */
            while (i < n && !is_space(p[i]))
                i++;
            continue;
        }
        i += klen;
        size_t v = i;
        if (which == K_TEXT) {
            i = n; /* text: runs to the end (Appendix B, 20 octets) */
        } else {
            while (i < n && !is_space(p[i]))
                i++;
        }
        const uint8_t *val = p + v;
        size_t vl = i - v;
        any = 1;
        switch (which) {
        case K_ID:
            if (vl == 0 || vl >= DLR_ID_MAX || memchr(val, 0, vl))
                return DLR_ERR_ID;
            memcpy(r->id, val, vl);
            r->id[vl] = 0;
            break;
        case K_SUB:
            (void)digits(val, vl, &r->sub);
            break;
        case K_DLVRD:
            (void)digits(val, vl, &r->dlvrd);
            break;
        case K_SUBMIT:
            copy_field(r->submit_date, sizeof r->submit_date, val, vl);
            break;
        case K_DONE:
            copy_field(r->done_date, sizeof r->done_date, val, vl);
            break;
        case K_STAT:
            if (vl == 0)
                bad = 1;
            else
                r->stat = dlr_stat_parse((const char *)val, vl);
            if (vl && r->stat == DLR_STAT_NONE)
                r->stat = DLR_STAT_UNKNOWN; /* a stat we cannot name is not success */
            break;
        case K_ERR:
            r->has_err = digits(val, vl, &r->err);
            break;
        case K_TEXT:
            copy_field(r->text, sizeof r->text, val, vl);
            break;
        }
    }
    if (bad)
        return DLR_ERR_TEXT;
    if (any)
        r->src |= DLR_SRC_TEXT;
    return DLR_OK;
}

/* ---- message-id keys -------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int all_dec(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int all_hex(const char *s)
{
    for (; *s; s++)
        if (hexval((unsigned char)*s) < 0)
            return 0;
    return 1;
}

/* "x:" + lower-case hex of the value, no leading zeros. */
static void key_hex(const char *s, char *out)
{
    while (*s == '0' && s[1])
        s++;
    size_t o = 0;
    out[o++] = 'x', out[o++] = ':';
    for (; *s; s++)
        out[o++] = (char)lower((unsigned char)*s);
    out[o] = 0;
}

/* Decimal text (<= 64 digits, < 2^213) to the same "x:" form: base 256
 * big number, multiply by 10 and add per digit. */
static void key_dec(const char *s, char *out)
{
    uint8_t n[28] = {0}; /* 10^64 < 2^224 */
    for (; *s; s++) {
        unsigned carry = (unsigned)(*s - '0');
        for (int i = (int)sizeof n - 1; i >= 0; i--) {
            unsigned v = n[i] * 10u + carry;
            n[i] = (uint8_t)v;
            carry = v >> 8;
        }
    }
    static const char hx[] = "0123456789abcdef";
    char tmp[2 * sizeof n + 1];
    for (size_t i = 0; i < sizeof n; i++)
        tmp[2 * i] = hx[n[i] >> 4], tmp[2 * i + 1] = hx[n[i] & 15];
    tmp[2 * sizeof n] = 0;
    key_hex(tmp, out);
}

static void key_str(const char *s, char *out)
{
    out[0] = 's', out[1] = ':';
    strcpy(out + 2, s);
}

int dlr_msgid_keys(const char *id, enum dlr_idfmt fmt, enum dlr_idrole role,
                   char keys[DLR_KEYS][DLR_KEY_MAX])
{
    size_t l = strnlen(id, DLR_ID_MAX);
    if (l == 0 || l >= DLR_ID_MAX)
        return DLR_ERR_ID;
    int base; /* 16, 10, 0 = auto, -1 = opaque */
    switch (fmt) {
    case DLR_ID_HEX:
        base = 16;
        break;
    case DLR_ID_DEC:
        base = 10;
        break;
    case DLR_ID_HEX_DEC:
        base = role == DLR_ROLE_RESP ? 16 : 10;
        break;
    case DLR_ID_DEC_HEX:
        base = role == DLR_ROLE_RESP ? 10 : 16;
        break;
    case DLR_ID_STRING:
        base = -1;
        break;
    case DLR_ID_AUTO:
    default:
        base = 0;
        break;
    }
    /* An id that is not a number in the configured base is kept opaque:
     * the same text on both sides still matches. */
    if (base == 16 && !all_hex(id))
        base = -1;
    if (base == 10 && !all_dec(id))
        base = -1;
    if (base == 0) {
        if (all_dec(id)) {
            key_dec(id, keys[0]);
            key_hex(id, keys[1]);
            return strcmp(keys[0], keys[1]) ? 2 : 1;
        }
        base = all_hex(id) ? 16 : -1;
    }
    if (base == 16)
        key_hex(id, keys[0]);
    else if (base == 10)
        key_dec(id, keys[0]);
    else
        key_str(id, keys[0]);
    return 1;
}

/* ---- the receipt --------------------------------------------------------- */

enum dlr_err dlr_parse(const struct smppf_sm *sm, enum dlr_idfmt fmt, struct dlr_receipt *r)
{
    memset(r, 0, sizeof *r);
    /* smppf_decode checked it is terminated within its 21 octets (§4.6.1). */
    memcpy(r->addr, sm->source_addr, sizeof r->addr);
    r->addr[sizeof r->addr - 1] = '\0';
    if (!dlr_is_receipt(sm->esm_class))
        return DLR_ERR_NOT_RECEIPT;
    const uint8_t *text = sm->short_message;
    size_t tlen = sm->sm_length;
    if (!tlen && sm->tlv.message_payload) {
        text = sm->tlv.message_payload;
        tlen = sm->tlv.message_payload_len;
    }
    enum dlr_err e = dlr_parse_text(text, tlen, r);
    /* A broken text is only fatal when the TLVs cannot stand in for it. */
    if (e != DLR_OK && !(sm->tlv.has_receipted_message_id && sm->tlv.has_message_state))
        return e;
    /* TLVs are typed and win over the vendor text (Appendix B). */
    if (sm->tlv.has_receipted_message_id) {
        if (!sm->tlv.receipted_message_id[0])
            return DLR_ERR_ID;
        memcpy(r->id, sm->tlv.receipted_message_id, sizeof r->id);
        r->src |= DLR_SRC_TLV;
    }
    if (sm->tlv.has_message_state) {
        r->stat =
            sm->tlv.message_state >= DLR_STAT_ENROUTE && sm->tlv.message_state <= DLR_STAT_REJECTD
                ? (enum dlr_stat)sm->tlv.message_state
                : DLR_STAT_UNKNOWN;
        r->src |= DLR_SRC_TLV;
    }
    if (sm->tlv.has_network_error_code) {
        r->has_network_error = 1;
        r->network_type = sm->tlv.network_type;
        r->network_error = sm->tlv.network_error;
        r->src |= DLR_SRC_TLV;
    }
    if (!r->id[0])
        return DLR_ERR_NO_ID;
    int n = dlr_msgid_keys(r->id, fmt, DLR_ROLE_RECEIPT, r->keys);
    if (n < 0)
        return DLR_ERR_ID;
    r->nkeys = (unsigned)n;
    r->final =
        r->stat != DLR_STAT_NONE && r->stat != DLR_STAT_ENROUTE && r->stat != DLR_STAT_ACCEPTD;
    return DLR_OK;
}
