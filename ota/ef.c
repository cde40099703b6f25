/* ef.c — named elementary files: where they live and how their bytes read.
 *
 * FIDs and SFIs were checked against osmocom/pysim (pySim/ts_31_102.py,
 * pySim/ts_51_011.py at 597f1e0). Layouts cite TS 31.102 §4.2 and TS 51.011
 * §10.3; the PLMN coding is TS 24.008 §10.5.1.3 (MCC2 MCC1 | MNC3 MCC3 |
 * MNC2 MNC1, MNC3 = F for a two-digit MNC). */
#include "ota/ef.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codec/hex.h"

/* name, label, fid_uicc, fid_sim, df_sim, record, size, unit */
static const struct ota_ef ef_table[] = {
    {OTA_EF_IMSI, "imsi", "EF_IMSI", 0x6F07, 0x6F07, 0x7F20, 0, 9, 9},
    {OTA_EF_FPLMN, "fplmn", "EF_FPLMN", 0x6F7B, 0x6F7B, 0x7F20, 0, 12, 3},
    {OTA_EF_PLMNWACT, "plmnwact", "EF_PLMNwAcT", 0x6F60, 0x6F60, 0x7F20, 0, 40, 5},
    {OTA_EF_OPLMNWACT, "oplmnwact", "EF_OPLMNwAcT", 0x6F61, 0x6F61, 0x7F20, 0, 40, 5},
    {OTA_EF_HPLMNWACT, "hplmnwact", "EF_HPLMNwAcT", 0x6F62, 0x6F62, 0x7F20, 0, 5, 5},
    {OTA_EF_LOCI, "loci", "EF_LOCI", 0x6F7E, 0x6F7E, 0x7F20, 0, 11, 11},
    /* On a 2G SIM the packet-switched location is EF_LOCIGPRS 6F53 (TS
     * 51.011 §10.3.33), same 14-octet layout as the USIM's EF_PSLOCI. */
    {OTA_EF_PSLOCI, "psloci", "EF_PSLOCI", 0x6F73, 0x6F53, 0x7F20, 0, 14, 14},
    {OTA_EF_EPSLOCI, "epsloci", "EF_EPSLOCI", 0x6FE3, 0, 0, 0, 18, 18},
    /* EF_SMSP lives in DF_TELECOM on a 2G SIM (TS 51.011 §10.5.6). */
    {OTA_EF_SMSP, "smsp", "EF_SMSP", 0x6F42, 0x6F42, 0x7F10, 1, 28, 1},
    {OTA_EF_ACC, "acc", "EF_ACC", 0x6F78, 0x6F78, 0x7F20, 0, 2, 2},
};

const struct ota_ef *ota_ef_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof ef_table / sizeof ef_table[0]; i++)
        if (!strcasecmp(name, ef_table[i].name) || !strcasecmp(name, ef_table[i].label))
            return &ef_table[i];
    return NULL;
}

/* ---- EF_IMSI ---------------------------------------------------------- */

int ota_imsi_encode(const char *digits, uint8_t out[9], char *err, size_t errlen)
{
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)digits[i])) {
            snprintf(err, errlen, "'%c' at position %zu is not a digit (an IMSI is 6..15 digits)",
                     digits[i], i + 1);
            return -1;
        }
    }
    /* TS 23.003 §2.2: MCC 3 + MNC 2..3 + MSIN, at most 15 digits; 6 is the
     * shortest identity TS 24.008 §10.5.1.4 can code usefully. */
    if (n < 6 || n > 15) {
        snprintf(err, errlen, "%zu digits, an IMSI has 6..15", n);
        return -1;
    }
    memset(out, 0xFF, 9);
    /* TS 24.008 §10.5.1.4: identity type 1 (IMSI) in bits 1-3 and the odd/
     * even flag in bit 4 of the first nibble: 9 odd, 1 even. */
    out[0] = (uint8_t)((n + 2) / 2);
    out[1] = (uint8_t)(((digits[0] - '0') << 4) | ((n & 1) ? 0x9 : 0x1));
    for (size_t i = 1, o = 2; i < n; i += 2, o++) {
        uint8_t lo = (uint8_t)(digits[i] - '0');
        uint8_t hi = i + 1 < n ? (uint8_t)(digits[i + 1] - '0') : 0xF;
        out[o] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int ota_imsi_decode(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    if (len < 2 || p[0] < 1 || p[0] > 8 || (size_t)p[0] + 1 > len) {
        snprintf(out, outlen, "invalid EF_IMSI length octet");
        return -1;
    }
    if ((p[1] & 0x7) != 1) {
        snprintf(out, outlen, "identity type %u is not IMSI", p[1] & 0x7);
        return -1;
    }
    char d[17];
    size_t n = 0;
    d[n++] = (char)('0' + (p[1] >> 4));
    for (size_t i = 2; i <= p[0]; i++) {
        uint8_t lo = p[i] & 0xF, hi = p[i] >> 4;
        d[n++] = (char)('0' + lo);
        if (hi == 0xF && i == p[0])
            break;
        d[n++] = (char)('0' + hi);
    }
    d[n] = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] > '9') {
            snprintf(out, outlen, "non-BCD nibble in EF_IMSI");
            return -1;
        }
    }
    int odd = (p[1] & 0x8) != 0;
    if ((n & 1) != (size_t)odd) {
        snprintf(out, outlen, "parity nibble says %s, %zu digits", odd ? "odd" : "even", n);
        return -1;
    }
    snprintf(out, outlen, "%s", d);
    return 0;
}

/* ---- PLMN, AcT -------------------------------------------------------- */

int ota_plmn_encode(const char *s, size_t n, uint8_t out[3])
{
    if (n != 5 && n != 6)
        return -1;
    uint8_t d[6];
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        d[i] = (uint8_t)(s[i] - '0');
    }
    uint8_t mnc3 = n == 6 ? d[5] : 0xF;
    out[0] = (uint8_t)(d[1] << 4 | d[0]);
    out[1] = (uint8_t)(mnc3 << 4 | d[2]);
    out[2] = (uint8_t)(d[4] << 4 | d[3]);
    return 0;
}

void ota_plmn_decode(const uint8_t p[3], char out[8])
{
    static const char hx[] = "0123456789abcdef";
    size_t n = 0;
    out[n++] = hx[p[0] & 0xF];
    out[n++] = hx[p[0] >> 4];
    out[n++] = hx[p[1] & 0xF];
    out[n++] = hx[p[2] & 0xF];
    out[n++] = hx[p[2] >> 4];
    if ((p[1] >> 4) != 0xF)
        out[n++] = hx[p[1] >> 4];
    out[n] = 0;
}

/* TS 31.102 §4.2.5 access technology identifier. Octet 1 (byte 5n-1) is
 * confirmed from the Rel-17 text (itecspec.com, §4.2.5): b8 UTRAN, b7
 * E-UTRAN, b6 E-UTRAN in WB-S1 mode, b5 E-UTRAN in NB-S1 mode, b4 NG-RAN,
 * b3 satellite NG-RAN, b2 satellite E-UTRAN WB-S1, b1 satellite E-UTRAN
 * NB-S1. Octet 2 (byte 5n) follows osmocom/pysim EF_xPLMNwAcT.enc_act and
 * its vectors (62F2104000, 62F2108000, 62F220488C) [M: the byte 5n table
 * was cut off in the copy read]: GSM = b8|b3, EC-GSM-IoT = b8|b4, GSM
 * COMPACT b7, cdma2000 HRPD b6, 1xRTT b5. */
static const struct {
    const char *name;
    uint16_t bits;
} act_names[] = {
    {"utran", 0x8000},     {"eutran", 0x4000},  {"eutran-wb", 0x6000}, {"eutran-nb", 0x5000},
    {"ngran", 0x0800},     {"gsm", 0x0084},     {"ecgsm", 0x0088},     {"gsm-compact", 0x0040},
    {"cdma-hrpd", 0x0020}, {"cdma-1x", 0x0010},
};

#define ACT_DEFAULT 0xC084 /* utran + eutran + gsm when an entry names none */

int ota_act_encode(const char *s, size_t n, uint16_t *act)
{
    uint16_t a = 0;
    size_t i = 0;
    if (n == 0)
        return -1;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '+')
            j++;
        size_t k;
        for (k = 0; k < sizeof act_names / sizeof act_names[0]; k++)
            if (strlen(act_names[k].name) == j - i && !strncasecmp(s + i, act_names[k].name, j - i))
                break;
        if (k == sizeof act_names / sizeof act_names[0])
            return -1;
        a |= act_names[k].bits;
        i = j + 1;
        if (j < n && i == n)
            return -1; /* trailing '+' */
    }
    *act = a;
    return 0;
}

static void act_decode(uint16_t a, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
#define ACT_ADD(s)                                                                                 \
    do {                                                                                           \
        int w_ = snprintf(out + o, outlen - o, "%s%s", o ? "+" : "", (s));                         \
        if (w_ > 0 && (size_t)w_ < outlen - o)                                                     \
            o += (size_t)w_;                                                                       \
    } while (0)
    if (a & 0x8000)
        ACT_ADD("utran");
    if (a & 0x4000)
        ACT_ADD((a & 0x3000) == 0x2000   ? "eutran-wb"
                : (a & 0x3000) == 0x1000 ? "eutran-nb"
                                         : "eutran");
    if (a & 0x0800)
        ACT_ADD("ngran");
    if (a & 0x0080) {
        if ((a & 0x000C) == 0x0008)
            ACT_ADD("ecgsm");
        else if ((a & 0x000C) == 0x000C)
            ACT_ADD("gsm+ecgsm");
        else
            ACT_ADD("gsm");
    }
    if (a & 0x0040)
        ACT_ADD("gsm-compact");
    if (a & 0x0020)
        ACT_ADD("cdma-hrpd");
    if (a & 0x0010)
        ACT_ADD("cdma-1x");
    if (!o)
        ACT_ADD("none");
#undef ACT_ADD
}

/* "23415,26201:eutran+utran" -> entries of 3 (FPLMN) or 5 (xPLMNwAcT)
 * octets, FF-padded (AcT 0000 in empty entries) to size. "" or "none"
 * clears the list. */
static long plmn_list_encode(const char *v, int with_act, size_t size, uint8_t *out, size_t outcap,
                             char *err, size_t errlen)
{
    size_t unit = with_act ? 5 : 3;
    if (size > outcap || size % unit) {
        snprintf(err, errlen, "file size %zu is not a multiple of %zu", size, unit);
        return -1;
    }
    for (size_t i = 0; i < size; i += unit) {
        memset(out + i, 0xFF, 3);
        if (with_act)
            out[i + 3] = out[i + 4] = 0x00;
    }
    if (!*v || !strcasecmp(v, "none"))
        return (long)size;
    size_t pos = 0, idx = 0, n = strlen(v);
    while (pos <= n) {
        size_t end = pos;
        while (end < n && v[end] != ',')
            end++;
        size_t colon = pos;
        while (colon < end && v[colon] != ':')
            colon++;
        idx++;
        if ((idx)*unit > size) {
            size_t cnt = 1;
            for (size_t k = 0; k < n; k++)
                cnt += v[k] == ',';
            snprintf(err, errlen, "%zu PLMNs do not fit in a file of %zu octets (%zu entries)", cnt,
                     size, size / unit);
            return -1;
        }
        uint8_t *e = out + (idx - 1) * unit;
        if (ota_plmn_encode(v + pos, colon - pos, e)) {
            snprintf(err, errlen, "entry %zu '%.*s' is not MCC+MNC (5 or 6 digits)", idx,
                     (int)(colon - pos), v + pos);
            return -1;
        }
        if (colon < end && !with_act) {
            snprintf(err, errlen, "entry %zu: this file holds no access technology", idx);
            return -1;
        }
        if (with_act) {
            uint16_t act = ACT_DEFAULT;
            if (colon < end && ota_act_encode(v + colon + 1, end - colon - 1, &act)) {
                snprintf(err, errlen,
                         "entry %zu: access technology '%.*s' is not a '+' list of utran, eutran, "
                         "eutran-wb, eutran-nb, ngran, gsm, ecgsm, gsm-compact, cdma-hrpd, cdma-1x",
                         idx, (int)(end - colon - 1), v + colon + 1);
                return -1;
            }
            e[3] = (uint8_t)(act >> 8);
            e[4] = (uint8_t)act;
        }
        pos = end + 1;
    }
    return (long)size;
}

/* Appends one item, printf-style, to the comma-separated list a decoder
 * builds in out (*o characters so far). Returns 0, or -1 when it does not
 * fit in outlen. */
__attribute__((format(printf, 4, 5))) static int list_add(char *out, size_t outlen, size_t *o,
                                                          const char *fmt, ...)
{
    size_t at = *o;
    if (at) {
        if (at + 1 >= outlen)
            return -1;
        out[at++] = ',';
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out + at, outlen - at, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= outlen - at)
        return -1;
    *o = at + (size_t)w;
    return 0;
}

static int plmn_list_decode(const uint8_t *p, size_t len, int with_act, char *out, size_t outlen)
{
    size_t unit = with_act ? 5 : 3, o = 0;
    out[0] = 0;
    if (len % unit) {
        snprintf(out, outlen, "length %zu is not a multiple of %zu", len, unit);
        return -1;
    }
    for (size_t i = 0; i < len; i += unit) {
        if (p[i] == 0xFF && p[i + 1] == 0xFF && p[i + 2] == 0xFF)
            continue; /* empty entry */
        char plmn[8], act[96] = "";
        ota_plmn_decode(p + i, plmn);
        if (with_act)
            act_decode((uint16_t)(p[i + 3] << 8 | p[i + 4]), act, sizeof act);
        if (list_add(out, outlen, &o, "%s%s%s", plmn, with_act ? ":" : "", act) != 0)
            return -1;
    }
    if (!o)
        snprintf(out, outlen, "none");
    return 0;
}

/* ---- location information --------------------------------------------- */

/* After an identity change the temporary identities and stored areas must
 * not be used with the new IMSI:
 * - TMSI / P-TMSI all FF: TS 23.003 §2.4 "the SIM uses 4 octets with all
 *   bits equal to 1 to indicate that no valid TMSI is available"; GUTI all
 *   FF likewise (TS 31.102 §4.2.91: unused bytes FF).
 * - LAC/TAC FFFE: GSM 04.08 / TS 24.008 §10.5.1.3 "If a LAI has to be
 *   deleted then all bits of the location area code shall be set to one
 *   with the exception of the least significant bit which shall be set to
 *   zero" (quoted in a public modem stack, docs/spec-notes.md); PLMN FFFFFF.
 * - update status 01 "not updated": TS 31.102 §4.2.17 (EF_LOCI byte 11),
 *   §4.2.23 (EF_PSLOCI byte 14), §4.2.91 (EF_EPSLOCI byte 18), b3..b1 001.
 * Layouts (TS 31.102, read at itecspec.com): EF_LOCI TMSI(4) LAI(5) RFU(1)
 * status(1); EF_PSLOCI P-TMSI(4) signature(3) RAI(6) status(1); EF_EPSLOCI
 * GUTI(12) TAI(5) status(1). The device then attaches with the IMSI. */
static long loci_invalid(enum ota_ef_id id, uint8_t *out, size_t outcap)
{
    static const uint8_t loci[11] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0xFF, 0xFF, 0xFE, 0xFF, 0x01};
    static const uint8_t psloci[14] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0x01};
    static const uint8_t epsloci[18] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0x01};
    const uint8_t *src = id == OTA_EF_LOCI ? loci : id == OTA_EF_PSLOCI ? psloci : epsloci;
    size_t n = id == OTA_EF_LOCI     ? sizeof loci
               : id == OTA_EF_PSLOCI ? sizeof psloci
                                     : sizeof epsloci;
    if (n > outcap)
        return -1;
    memcpy(out, src, n);
    return (long)n;
}

static const char *upd_status(uint8_t s)
{
    switch (s) {
    case 0:
        return "updated";
    case 1:
        return "not updated";
    case 2:
        return "PLMN not allowed";
    case 3:
        return "area not allowed";
    default:
        return "reserved";
    }
}

static int loci_decode(enum ota_ef_id id, const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t want = id == OTA_EF_LOCI ? 11 : id == OTA_EF_PSLOCI ? 14 : 18;
    if (len < want) {
        snprintf(out, outlen, "%zu octets, the file has %zu", len, want);
        return -1;
    }
    char plmn[8], hx[32];
    if (id == OTA_EF_LOCI) {
        ota_plmn_decode(p + 4, plmn);
        if (!hex_encode(p, 4, hx, sizeof hx))
            return -1;
        snprintf(out, outlen, "tmsi=%s lai=%s/%02x%02x status=%s", hx, plmn, p[7], p[8],
                 upd_status(p[10]));
    } else if (id == OTA_EF_PSLOCI) {
        ota_plmn_decode(p + 7, plmn);
        if (!hex_encode(p, 4, hx, sizeof hx))
            return -1;
        snprintf(out, outlen, "ptmsi=%s rai=%s/%02x%02x/%02x status=%s", hx, plmn, p[10], p[11],
                 p[12], upd_status(p[13]));
    } else {
        ota_plmn_decode(p + 12, plmn);
        if (!hex_encode(p, 12, hx, sizeof hx))
            return -1;
        snprintf(out, outlen, "guti=%s tai=%s/%02x%02x status=%s", hx, plmn, p[15], p[16],
                 upd_status(p[17]));
    }
    return 0;
}

/* ---- EF_SMSP, TS 31.102 §4.2.27 / TS 51.011 §10.5.6 ------------------- */
/* Record (28 + Y octets, TS 31.102 §4.2.27, read at itecspec.com):
 *   1..Y      alpha identifier (EF_ADN coding, §4.4.2.3), FF-padded
 *   Y+1       parameter indicators: b1 TP-DA, b2 TS-SC address, b3 TP-PID,
 *             b4 TP-DCS, b5 TP-VP; bit 0 = present, 1 = absent; b6..b8 1
 *   Y+2..13   TP-Destination Address, TS 23.040 §9.1.2.5 (length in digits)
 *   Y+14..25  TS-Service Centre Address, TS 24.011 §8.2.5.2 (length in
 *             octets: TON/NPI + BCD)
 *   Y+26 PID, Y+27 DCS, Y+28 VP (relative format, TS 23.040 §9.2.3.12.1)
 * "Storage is allocated for all of the possible SMS parameters ... Any
 * bytes unused ... or due to absent parameters, shall be set to 'FF'."
 * The indicator bit positions match the pySim EF_SMSP vectors (e1: SC, PID,
 * DCS, VP present; fd: SC only).
 *
 * A record is written whole (UPDATE RECORD has no partial form), so every
 * parameter the operator does not give is marked absent: the terminal then
 * uses its own value (TS 31.102 §4.2.27: "the parameter in the USIM record,
 * if present, shall be used when a value is not supplied by the user").
 * Syntax: comma-separated, a bare first item is the SC address:
 *   +4915790109999,pid=0,dcs=0,vp=3d,da=+4912345,alpha=SMSC */

#define SMSP_PI_DA  0x01
#define SMSP_PI_SC  0x02
#define SMSP_PI_PID 0x04
#define SMSP_PI_DCS 0x08
#define SMSP_PI_VP  0x10

/* Digits (optional '+') -> TON/NPI and BCD with F fill; returns the digit
 * count, or -1 with err. */
static int addr_digits(const char *v, size_t n, uint8_t *ton, uint8_t bcd[10], char *err,
                       size_t errlen)
{
    *ton = 0x81; /* unknown, E.164 */
    if (n && *v == '+') {
        *ton = 0x91; /* international, E.164 */
        v++, n--;
    }
    if (n < 1 || n > 20) {
        snprintf(err, errlen, "%zu digits, an address has 1..20", n);
        return -1;
    }
    memset(bcd, 0xFF, 10);
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)v[i])) {
            snprintf(err, errlen, "'%c' is not a digit (address: +digits)", v[i]);
            return -1;
        }
        uint8_t d = (uint8_t)(v[i] - '0');
        bcd[i / 2] = i % 2 ? (uint8_t)((bcd[i / 2] & 0x0F) | d << 4) : (uint8_t)(0xF0 | d);
    }
    return (int)n;
}

/* BCD -> "+digits"; -1 on a non-BCD digit. */
static int addr_text(uint8_t ton, const uint8_t *bcd, size_t ndig, char *out, size_t outlen)
{
    size_t o = 0;
    if ((ton & 0x70) == 0x10 && o + 1 < outlen)
        out[o++] = '+';
    for (size_t i = 0; i < ndig && o + 1 < outlen; i++) {
        uint8_t d = i % 2 ? bcd[i / 2] >> 4 : bcd[i / 2] & 0x0F;
        if (d == 0xF)
            break;
        if (d > 9)
            return -1;
        out[o++] = (char)('0' + d);
    }
    out[o] = 0;
    return 0;
}

/* Alpha identifiers we write: GSM 7-bit default alphabet octets with b8 = 0
 * (TS 31.102 §4.4.2.3 -> TS 23.038 §6.2.1), restricted to characters that
 * have the same code in ASCII and in that alphabet and cannot be confused
 * with this syntax (no ',', ';', '=', '$', '@', '_'). */
static int alpha_ok(int ch)
{
    return isalnum(ch) || (ch && strchr(" .-/:+()'!?&*#%", ch));
}

/* The number v[0..n) starts with, in base (strtoul's 0: 0x.. allowed), and
 * the one character after it in *unit ('\0' when none). -1 when v does not
 * start with a digit, is longer than 15 characters, or has more than one
 * character after the number. */
static int lead_number(const char *v, size_t n, int base, unsigned long *x, char *unit)
{
    char t[16], *end;
    if (n == 0 || n >= sizeof t)
        return -1;
    memcpy(t, v, n);
    t[n] = 0;
    if (!isdigit((unsigned char)t[0]))
        return -1;
    *x = strtoul(t, &end, base);
    if (*end && end[1])
        return -1;
    *unit = *end;
    return 0;
}

/* TP-VP relative format (TS 23.040 §9.2.3.12.1): 0..143 (VP+1) x 5 min,
 * 144..167 12 h + (VP-143) x 30 min, 168..196 (VP-166) days, 197..255
 * (VP-192) weeks. Accepts the octet itself or an exact period (Nm, Nh, Nd,
 * Nw). */
static int vp_encode(const char *v, size_t n, uint8_t *vp)
{
    unsigned long x;
    char unit;
    if (lead_number(v, n, 10, &x, &unit))
        return -1;
    if (!unit) {
        if (x > 255)
            return -1;
        *vp = (uint8_t)x;
        return 0;
    }
    if (x == 0 || x > 100000)
        return -1;
    unsigned long min;
    switch (unit) {
    case 'm':
        min = x;
        break;
    case 'h':
        min = x * 60;
        break;
    case 'd':
        min = x * 1440;
        break;
    case 'w':
        min = x * 10080;
        break;
    default:
        return -1;
    }
    if (min <= 720 && min % 5 == 0)
        *vp = (uint8_t)(min / 5 - 1);
    else if (min > 720 && min <= 1440 && (min - 720) % 30 == 0)
        *vp = (uint8_t)(143 + (min - 720) / 30);
    else if (min % 1440 == 0 && min / 1440 >= 2 && min / 1440 <= 30)
        *vp = (uint8_t)(166 + min / 1440);
    else if (min % 10080 == 0 && min / 10080 >= 5 && min / 10080 <= 63)
        *vp = (uint8_t)(192 + min / 10080);
    else
        return -1;
    return 0;
}

static void vp_text(uint8_t vp, char out[8])
{
    if (vp <= 143) {
        unsigned m = (vp + 1u) * 5u;
        if (m % 60 == 0)
            snprintf(out, 8, "%uh", m / 60);
        else
            snprintf(out, 8, "%um", m);
    } else if (vp <= 167) {
        unsigned m = 720u + (vp - 143u) * 30u;
        if (m % 60 == 0)
            snprintf(out, 8, "%uh", m / 60);
        else
            snprintf(out, 8, "%um", m);
    } else if (vp <= 196) {
        snprintf(out, 8, "%ud", vp - 166u);
    } else {
        snprintf(out, 8, "%uw", vp - 192u);
    }
}

static int octet_value(const char *v, size_t n, uint8_t *o)
{
    unsigned long x;
    char unit;
    if (lead_number(v, n, 0, &x, &unit) || unit || x > 255)
        return -1;
    *o = (uint8_t)x;
    return 0;
}

static long smsp_encode(const char *v, size_t reclen, uint8_t *out, size_t outcap, char *err,
                        size_t errlen)
{
    if (reclen < 28 || reclen > outcap || reclen > 28 + 241) {
        snprintf(err, errlen, "record length %zu, EF_SMSP records are 28 + alpha octets", reclen);
        return -1;
    }
    memset(out, 0xFF, reclen);
    size_t y = reclen - 28;
    uint8_t *r = out + y, pi = 0xFF;
    const char *p = v;
    for (unsigned idx = 0;; idx++) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        const char *eq = memchr(p, '=', l);
        const char *key = p, *val = eq ? eq + 1 : p;
        size_t kl = eq ? (size_t)(eq - p) : 0, vl = eq ? l - kl - 1 : l;
        if (!eq && idx) {
            snprintf(err, errlen, "'%.*s' is not name=value (names: sc, da, pid, dcs, vp, alpha)",
                     (int)(l > 20 ? 20 : l), p);
            return -1;
        }
#define KEY(s) (kl == sizeof(s) - 1 && !strncmp(key, s, kl))
        uint8_t bit;
        if (!eq || KEY("sc") || KEY("da")) {
            int da = eq && KEY("da");
            bit = da ? SMSP_PI_DA : SMSP_PI_SC;
            uint8_t ton, bcd[10];
            int nd = addr_digits(val, vl, &ton, bcd, err, errlen);
            if (nd < 0)
                return -1;
            uint8_t *a = r + (da ? 1 : 13);
            /* TP-DA counts digits; the RP (SC) address counts octets. */
            a[0] = da ? (uint8_t)nd : (uint8_t)(1 + (nd + 1) / 2);
            a[1] = ton;
            memcpy(a + 2, bcd, (size_t)(nd + 1) / 2);
        } else if (KEY("pid") || KEY("dcs")) {
            int dcs = KEY("dcs");
            bit = dcs ? SMSP_PI_DCS : SMSP_PI_PID;
            if (octet_value(val, vl, &r[dcs ? 26 : 25])) {
                snprintf(err, errlen, "%s '%.*s' is not an octet 0..255", dcs ? "dcs" : "pid",
                         (int)(vl > 10 ? 10 : vl), val);
                return -1;
            }
        } else if (KEY("vp")) {
            bit = SMSP_PI_VP;
            if (vp_encode(val, vl, &r[27])) {
                snprintf(err, errlen,
                         "vp '%.*s': give the relative TP-VP octet 0..255 or an exact period "
                         "(5m..720m in 5s, up to 24h in 30m steps, 2d..30d, 5w..63w)",
                         (int)(vl > 10 ? 10 : vl), val);
                return -1;
            }
        } else if (KEY("alpha")) {
            bit = 0;
            if (vl > y) {
                snprintf(err, errlen,
                         "alpha of %zu characters needs a record of %zu octets (;size=%zu); this "
                         "one has %zu",
                         vl, 28 + vl, 28 + vl, reclen);
                return -1;
            }
            for (size_t i = 0; i < vl; i++) {
                if (!alpha_ok((unsigned char)val[i])) {
                    snprintf(err, errlen,
                             "alpha: '%c' is not one of A-Z a-z 0-9 and \" .-/:+()'!?&*#%%\"",
                             val[i]);
                    return -1;
                }
                out[i] = (uint8_t)val[i];
            }
        } else {
            snprintf(err, errlen, "unknown parameter '%.*s' (names: sc, da, pid, dcs, vp, alpha)",
                     (int)(kl > 20 ? 20 : kl), key);
            return -1;
        }
#undef KEY
        if (bit && !(pi & bit)) {
            snprintf(err, errlen, "'%.*s' given twice", (int)(kl ? kl : 2), kl ? key : "sc");
            return -1;
        }
        pi = (uint8_t)(pi & ~bit);
        if (!c)
            break;
        p = c + 1;
    }
    r[0] = pi;
    return (long)reclen;
}

static int smsp_decode(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    if (len < 28) {
        snprintf(out, outlen, "record of %zu octets, EF_SMSP has at least 28", len);
        return -1;
    }
    size_t y = len - 28, o = 0;
    const uint8_t *r = p + y;
    uint8_t pi = r[0];
    out[0] = 0;
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (list_add(out, outlen, &o, __VA_ARGS__) != 0)                                           \
            return -1;                                                                             \
    } while (0)
    size_t an = 0;
    while (an < y && p[an] != 0xFF)
        an++;
    if (an) {
        size_t i = 0;
        while (i < an && alpha_ok(p[i]))
            i++;
        if (i == an && an < 40)
            ADD("alpha=%.*s", (int)an, (const char *)p);
        else
            ADD("alpha=(%u octets, not text)", (unsigned)(an & 0xFFFF));
    }
    char num[24];
    /* Cards in the field mark an address present and leave it FF (pySim
     * EF_SMSP vector "ENetworks"): shown as absent. */
    if (r[13] == 0xFF)
        pi |= SMSP_PI_SC;
    if (r[1] == 0xFF)
        pi |= SMSP_PI_DA;
    if (!(pi & SMSP_PI_SC)) {
        const uint8_t *a = r + 13;
        if (a[0] < 1 || a[0] > 11) {
            snprintf(out, outlen, "invalid service-centre address length %u", a[0]);
            return -1;
        }
        if (addr_text(a[1], a + 2, (size_t)(a[0] - 1) * 2, num, sizeof num)) {
            snprintf(out, outlen, "non-BCD digit in service-centre address");
            return -1;
        }
        ADD("sc=%s", num);
    }
    if (!(pi & SMSP_PI_DA)) {
        const uint8_t *a = r + 1;
        if (a[0] > 20) {
            snprintf(out, outlen, "invalid destination address length %u", a[0]);
            return -1;
        }
        if (addr_text(a[1], a + 2, a[0], num, sizeof num)) {
            snprintf(out, outlen, "non-BCD digit in destination address");
            return -1;
        }
        ADD("da=%s", num);
    }
    if (!(pi & SMSP_PI_PID))
        ADD("pid=%u", r[25]);
    if (!(pi & SMSP_PI_DCS))
        ADD("dcs=%u", r[26]);
    if (!(pi & SMSP_PI_VP)) {
        char t[8];
        vp_text(r[27], t);
        ADD("vp=%s", t);
    }
#undef ADD
    if (!o)
        snprintf(out, outlen, "none");
    return 0;
}

/* ---- EF_ACC, TS 31.102 §4.2.15: bit n of the 16-bit value is class n ----
 * (octet 2 b1 = ACC 0 ... octet 1 b8 = ACC 15; pySim EF_ACC vectors). */
static long acc_encode(const char *v, uint8_t *out, size_t outcap, char *err, size_t errlen)
{
    if (outcap < 2)
        return -1;
    uint16_t a = 0;
    const char *s = v;
    if (!*s) {
        snprintf(err, errlen, "empty; give access classes 0..15 separated by commas");
        return -1;
    }
    while (*s) {
        if (!isdigit((unsigned char)*s)) {
            snprintf(err, errlen, "'%c' is not a digit (access classes 0..15, commas)", *s);
            return -1;
        }
        unsigned c = 0;
        while (isdigit((unsigned char)*s) && c < 100)
            c = c * 10 + (unsigned)(*s++ - '0');
        if (c > 15) {
            snprintf(err, errlen, "access class %u, classes are 0..15", c);
            return -1;
        }
        a |= (uint16_t)(1u << c);
        if (*s == ',')
            s++;
        else if (*s) {
            snprintf(err, errlen, "'%c' where a comma was expected", *s);
            return -1;
        }
    }
    out[0] = (uint8_t)(a >> 8);
    out[1] = (uint8_t)a;
    return 2;
}

static int acc_decode(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    if (len < 2) {
        snprintf(out, outlen, "%zu octets, EF_ACC has 2", len);
        return -1;
    }
    uint16_t a = (uint16_t)(p[0] << 8 | p[1]);
    size_t o = 0;
    out[0] = 0;
    for (unsigned c = 0; c < 16; c++) {
        if (!(a & (1u << c)))
            continue;
        if (list_add(out, outlen, &o, "%u", c) != 0)
            return -1;
    }
    if (!o)
        snprintf(out, outlen, "none");
    return 0;
}

/* ---- dispatch --------------------------------------------------------- */

long ota_ef_encode(const struct ota_ef *ef, const char *value, size_t size, uint8_t *out,
                   size_t outcap, char *err, size_t errlen)
{
    if (!size)
        size = ef->size;
    switch (ef->id) {
    case OTA_EF_IMSI:
        if (outcap < 9)
            return -1;
        return ota_imsi_encode(value, out, err, errlen) ? -1 : 9;
    case OTA_EF_FPLMN:
        return plmn_list_encode(value, 0, size, out, outcap, err, errlen);
    case OTA_EF_PLMNWACT:
    case OTA_EF_OPLMNWACT:
    case OTA_EF_HPLMNWACT:
        return plmn_list_encode(value, 1, size, out, outcap, err, errlen);
    case OTA_EF_LOCI:
    case OTA_EF_PSLOCI:
    case OTA_EF_EPSLOCI:
        if (*value && strcasecmp(value, "invalidate")) {
            snprintf(err, errlen, "'%s': the only value is 'invalidate'", value);
            return -1;
        }
        return loci_invalid(ef->id, out, outcap);
    case OTA_EF_SMSP:
        return smsp_encode(value, size, out, outcap, err, errlen);
    case OTA_EF_ACC:
        return acc_encode(value, out, outcap, err, errlen);
    case OTA_EF_RAW: {
        long n = hex_decode(value, out, outcap);
        if (n <= 0) {
            snprintf(err, errlen, "not hex octets (1..%zu)", outcap);
            return -1;
        }
        return n;
    }
    }
    return -1;
}

int ota_ef_decode(const struct ota_ef *ef, const uint8_t *p, size_t len, char *out, size_t outlen)
{
    if (outlen == 0)
        return -1;
    switch (ef->id) {
    case OTA_EF_IMSI:
        return ota_imsi_decode(p, len, out, outlen);
    case OTA_EF_FPLMN:
        return plmn_list_decode(p, len - len % 3, 0, out, outlen);
    case OTA_EF_PLMNWACT:
    case OTA_EF_OPLMNWACT:
    case OTA_EF_HPLMNWACT:
        return plmn_list_decode(p, len - len % 5, 1, out, outlen);
    case OTA_EF_LOCI:
    case OTA_EF_PSLOCI:
    case OTA_EF_EPSLOCI:
        return loci_decode(ef->id, p, len, out, outlen);
    case OTA_EF_SMSP:
        return smsp_decode(p, len, out, outlen);
    case OTA_EF_ACC:
        return acc_decode(p, len, out, outlen);
    case OTA_EF_RAW:
        if (2 * len + 1 > outlen) {
            snprintf(out, outlen, "too long to show");
            return -1;
        }
        return hex_encode(p, len, out, outlen) ? 0 : -1;
    }
    return -1;
}
