/* apdu.c — C-APDU checks, RFM script wrapping (compact / expanded), the
 * parsers of the card's remote responses, and status word names.
 *
 * Spec: ETSI TS 102 226 §5.1 (compact), §5.2 (expanded), TS 101 220 tables
 * 7.18-7.20 (tags), TS 102 221 §10.2.1 and TS 51.011 §9.4 (status words).
 * The tag values and the bad-format codes were checked against two public
 * transcriptions (osmocom/pysim pySim/ota.py, which cites TS 102 226 V19
 * tables 5.2-5.16, and a Java constant table of TS 101 220 §7.2). */
#include "ota/apdu.h"

#include <stdio.h>
#include <string.h>

int ota_apdu_check(const uint8_t *a, size_t len, char *why, size_t whylen)
{
    if (len < 4) {
        snprintf(why, whylen, "%zu bytes, a C-APDU has at least 4 (CLA INS P1 P2)", len);
        return -1;
    }
    if (len > OTA_APDU_MAX) {
        snprintf(why, whylen, "%zu bytes, more than a short C-APDU (%d)", len, OTA_APDU_MAX);
        return -1;
    }
    if (a[0] == 0xFF) {
        snprintf(why, whylen, "CLA FF is invalid (ISO/IEC 7816-4 §5.4.1)");
        return -1;
    }
    if (len == 4 || len == 5)
        return 0; /* case 1, case 2 */
    size_t lc = a[4];
    if (lc == 0) {
        snprintf(why, whylen, "Lc 00 followed by data (extended length is not supported)");
        return -1;
    }
    if (len == 5 + lc || len == 5 + lc + 1)
        return 0; /* case 3, case 4 */
    snprintf(why, whylen, "Lc %02X but %zu data bytes", (unsigned)lc, len - 5);
    return -1;
}

/* ISO/IEC 8825-1 definite length, as TS 102 226 §5.2 uses it. */
static size_t ber_len_size(size_t n)
{
    return n < 0x80 ? 1 : n < 0x100 ? 2 : 3;
}

static uint8_t *ber_len_put(uint8_t *o, size_t n)
{
    if (n < 0x80) {
        *o++ = (uint8_t)n;
    } else if (n < 0x100) {
        *o++ = 0x81;
        *o++ = (uint8_t)n;
    } else {
        *o++ = 0x82;
        *o++ = (uint8_t)(n >> 8);
        *o++ = (uint8_t)n;
    }
    return o;
}

long ota_script_wrap(enum ota_format fmt, const uint8_t *const *apdus, const size_t *lens,
                     unsigned n, uint8_t *out, size_t outcap)
{
    size_t body = 0;
    for (unsigned i = 0; i < n; i++) {
        if (lens[i] > 0xFFFF)
            return -1;
        body += fmt == OTA_FMT_COMPACT ? lens[i] : 1 + ber_len_size(lens[i]) + lens[i];
    }
    size_t total;
    switch (fmt) {
    case OTA_FMT_COMPACT:
        total = body;
        break;
    case OTA_FMT_EXPANDED:
        if (body > 0xFFFF)
            return -1;
        total = 1 + ber_len_size(body) + body;
        break;
    case OTA_FMT_EXPANDED_INDEF:
        total = 2 + body + 2;
        break;
    default:
        return -1;
    }
    if (total > outcap)
        return -1;
    uint8_t *o = out;
    if (fmt == OTA_FMT_EXPANDED) {
        *o++ = OTA_TAG_CMD_SCRIPT;
        o = ber_len_put(o, body);
    } else if (fmt == OTA_FMT_EXPANDED_INDEF) {
        *o++ = OTA_TAG_CMD_SCRIPT_INDEF;
        *o++ = 0x80;
    }
    for (unsigned i = 0; i < n; i++) {
        if (fmt != OTA_FMT_COMPACT) {
            *o++ = OTA_TAG_C_APDU;
            o = ber_len_put(o, lens[i]);
        }
        memcpy(o, apdus[i], lens[i]);
        o += lens[i];
    }
    if (fmt == OTA_FMT_EXPANDED_INDEF) {
        *o++ = 0x00;
        *o++ = 0x00;
    }
    return (long)(o - out);
}

int ota_resp_parse_compact(const uint8_t *p, size_t len, struct ota_resp *r)
{
    memset(r, 0, sizeof *r);
    r->fmt = OTA_FMT_COMPACT;
    if (len < 3)
        return OTA_RESP_ERR_TRUNC;
    r->executed = p[0];
    r->executed_present = 1;
    r->nrapdu = 1;
    r->rapdu[0].sw = (uint16_t)(p[1] << 8 | p[2]);
    r->rapdu[0].data = p + 3;
    r->rapdu[0].len = len - 3;
    return OTA_RESP_OK;
}

/* Reads a BER definite length at p[*i]; at most 3 length octets. */
static int ber_len_get(const uint8_t *p, size_t len, size_t *i, size_t *out)
{
    if (*i >= len)
        return OTA_RESP_ERR_TRUNC;
    uint8_t b = p[(*i)++];
    if (b < 0x80) {
        *out = b;
        return 0;
    }
    unsigned k = b & 0x7F;
    if (k == 0 || k > 3)
        return OTA_RESP_ERR_FORMAT; /* indefinite inside, or absurd */
    if (len - *i < k)
        return OTA_RESP_ERR_TRUNC;
    size_t v = 0;
    for (unsigned j = 0; j < k; j++)
        v = v << 8 | p[(*i)++];
    *out = v;
    return 0;
}

/* The TLVs inside a Response Scripting template, up to end. */
static int parse_resp_items(const uint8_t *p, size_t end, size_t i, int indef, struct ota_resp *r,
                            size_t *stop)
{
    while (i < end) {
        if (indef && end - i >= 2 && p[i] == 0 && p[i + 1] == 0) {
            *stop = i + 2;
            return OTA_RESP_OK;
        }
        uint8_t tag = p[i++];
        size_t l;
        int rc = ber_len_get(p, end, &i, &l);
        if (rc)
            return rc;
        if (end - i < l)
            return OTA_RESP_ERR_TRUNC;
        const uint8_t *v = p + i;
        switch (tag) {
        case OTA_TAG_EXECUTED: /* table 5.11: an integer, one octet in practice */
            if (l < 1 || l > 2)
                return OTA_RESP_ERR_FORMAT;
            r->executed = l == 1 ? v[0] : (unsigned)(v[0] << 8 | v[1]);
            r->executed_present = 1;
            break;
        case OTA_TAG_R_APDU: /* TS 102 223 §8.36: [data] SW1 SW2 */
            if (l < 2)
                return OTA_RESP_ERR_FORMAT;
            if (r->nrapdu >= OTA_RESP_MAX_RAPDU)
                return OTA_RESP_ERR_TOOMANY;
            r->rapdu[r->nrapdu].data = v;
            r->rapdu[r->nrapdu].len = l - 2;
            r->rapdu[r->nrapdu].sw = (uint16_t)(v[l - 2] << 8 | v[l - 1]);
            r->nrapdu++;
            break;
        case OTA_TAG_BAD_FORMAT: /* table 5.12 */
            if (l != 1)
                return OTA_RESP_ERR_FORMAT;
            r->bad_format = v[0] ? v[0] : -1;
            break;
        case OTA_TAG_IMMEDIATE_ACTION: /* table 5.14 */
            r->immediate_action = l ? v[0] : -1;
            break;
        case OTA_TAG_SCRIPT_CHAINING: /* table 5.16 */
            r->script_chaining = l ? v[0] : -1;
            break;
        default:
            return OTA_RESP_ERR_FORMAT;
        }
        i += l;
    }
    if (indef)
        return OTA_RESP_ERR_TRUNC; /* no end-of-contents */
    *stop = i;
    return OTA_RESP_OK;
}

int ota_resp_parse_expanded(const uint8_t *p, size_t len, struct ota_resp *r)
{
    memset(r, 0, sizeof *r);
    if (len < 2)
        return OTA_RESP_ERR_TRUNC;
    size_t i = 1, stop = 0;
    int rc;
    if (p[0] == OTA_TAG_RESP_SCRIPT) {
        r->fmt = OTA_FMT_EXPANDED;
        size_t l;
        if ((rc = ber_len_get(p, len, &i, &l)) != 0)
            return rc;
        if (len - i < l)
            return OTA_RESP_ERR_TRUNC;
        if ((rc = parse_resp_items(p, i + l, i, 0, r, &stop)) != 0)
            return rc;
    } else if (p[0] == OTA_TAG_RSP_SCRIPT_INDEF) {
        r->fmt = OTA_FMT_EXPANDED_INDEF;
        if (p[1] != 0x80)
            return OTA_RESP_ERR_FORMAT;
        if ((rc = parse_resp_items(p, len, 2, 1, r, &stop)) != 0)
            return rc;
    } else {
        return OTA_RESP_ERR_FORMAT;
    }
    /* Some cards pad the PoR data (ciphering padding is removed by the codec,
     * but a card may still add 00s): tolerate trailing zeros only. */
    for (size_t k = stop; k < len; k++)
        if (p[k] != 0)
            return OTA_RESP_ERR_FORMAT;
    if (!r->executed_present)
        r->executed = r->nrapdu;
    return OTA_RESP_OK;
}

int ota_sw_ok(uint16_t sw)
{
    uint8_t sw1 = sw >> 8;
    return sw == 0x9000 || sw1 == 0x91 || sw1 == 0x92 || sw1 == 0x9F || sw1 == 0x61;
}

struct sw_name {
    uint16_t sw, mask;
    const char *name;
};

/* Exact codes first, then SW1-only families (mask FF00). TS 102 221
 * §10.2.1, TS 51.011 §9.4, GlobalPlatform Card Spec (6A88, 6985), TS 102 226
 * §5.2.1.1 (62F1). */
static const struct sw_name sw_names[] = {
    {0x9000, 0xFFFF, "ok"},
    {0x9300, 0xFFFF, "SIM busy (toolkit busy)"},
    {0x6281, 0xFFFF, "part of returned data may be corrupted"},
    {0x6282, 0xFFFF, "end of file or record reached before reading Le bytes"},
    {0x6283, 0xFFFF, "selected file invalidated"},
    {0x6285, 0xFFFF, "selected file in termination state"},
    {0x62F1, 0xFFFF, "response data truncated, script stopped"},
    {0x6400, 0xFFFF, "execution error, memory unchanged"},
    {0x6500, 0xFFFF, "execution error, memory changed"},
    {0x6581, 0xFFFF, "memory problem"},
    {0x6700, 0xFFFF, "wrong length"},
    {0x6881, 0xFFFF, "logical channel not supported"},
    {0x6882, 0xFFFF, "secure messaging not supported"},
    {0x6981, 0xFFFF, "command incompatible with file structure"},
    {0x6982, 0xFFFF, "security status not satisfied"},
    {0x6983, 0xFFFF, "authentication method blocked"},
    {0x6984, 0xFFFF, "referenced data invalidated"},
    {0x6985, 0xFFFF, "conditions of use not satisfied"},
    {0x6986, 0xFFFF, "command not allowed (no EF selected)"},
    {0x6A80, 0xFFFF, "incorrect parameters in the data field"},
    {0x6A81, 0xFFFF, "function not supported"},
    {0x6A82, 0xFFFF, "file not found"},
    {0x6A83, 0xFFFF, "record not found"},
    {0x6A84, 0xFFFF, "not enough memory space"},
    {0x6A86, 0xFFFF, "incorrect parameters P1-P2"},
    {0x6A87, 0xFFFF, "Lc inconsistent with P1-P2"},
    {0x6A88, 0xFFFF, "referenced data not found"},
    {0x6B00, 0xFFFF, "wrong parameters (offset outside the EF)"},
    {0x6D00, 0xFFFF, "instruction not supported"},
    {0x6E00, 0xFFFF, "class not supported"},
    {0x6F00, 0xFFFF, "technical problem, no precise diagnosis"},
    /* 2G SIM, TS 51.011 §9.4 */
    {0x9240, 0xFFFF, "memory problem"},
    {0x9400, 0xFFFF, "no EF selected"},
    {0x9402, 0xFFFF, "out of range (invalid address)"},
    {0x9404, 0xFFFF, "file not found"},
    {0x9408, 0xFFFF, "file inconsistent with the command"},
    {0x9802, 0xFFFF, "no CHV initialised"},
    {0x9804, 0xFFFF, "access condition not fulfilled"},
    {0x9808, 0xFFFF, "in contradiction with CHV status"},
    {0x9810, 0xFFFF, "in contradiction with invalidation status"},
    {0x9840, 0xFFFF, "CHV blocked"},
    {0x9850, 0xFFFF, "increase cannot be performed, max value reached"},
    /* families */
    {0x6100, 0xFF00, "ok, response data available"},
    {0x9100, 0xFF00, "ok, proactive command pending"},
    {0x9200, 0xFF00, "ok after internal retries"},
    {0x9F00, 0xFF00, "ok, response data available"},
    {0x6200, 0xFF00, "warning, memory unchanged"},
    {0x6300, 0xFF00, "warning, memory changed"},
    {0x6C00, 0xFF00, "wrong Le"},
    {0x6700, 0xFF00, "wrong length"},
    {0x6B00, 0xFF00, "wrong parameters"},
    {0x6D00, 0xFF00, "instruction not supported"},
    {0x6E00, 0xFF00, "class not supported"},
    {0x6F00, 0xFF00, "technical problem"},
    {0x9800, 0xFF00, "security error"},
};

const char *ota_sw_name(uint16_t sw)
{
    for (size_t i = 0; i < sizeof sw_names / sizeof sw_names[0]; i++)
        if ((sw & sw_names[i].mask) == sw_names[i].sw)
            return sw_names[i].name;
    return "unknown status";
}
