/* apdu.h — C-APDUs, the two RFM script formats, and the card's answers.
 *
 * Owns: building SELECT / UPDATE / READ C-APDUs for a 2G SIM (TS 51.011 §9)
 * or a UICC (TS 102 221 §11), checking that a C-APDU is well formed (ISO/IEC
 * 7816-4 cases 1-4), wrapping a chain of C-APDUs as a compact or expanded
 * remote command script (ETSI TS 102 226 §5.1, §5.2.1), parsing the compact
 * and expanded remote responses (TS 102 226 §5.1.2, §5.2.2), and naming
 * status words. No I/O, no allocation. */
#ifndef OTAGW_OTA_APDU_H
#define OTAGW_OTA_APDU_H

#include <stddef.h>
#include <stdint.h>

enum ota_card_class {
    OTA_CLASS_UICC = 0, /* CLA 00, TS 102 221; files of the USIM ADF */
    OTA_CLASS_SIM,      /* CLA A0, TS 51.011; files of DF_GSM 7F20 */
};

enum ota_format {
    OTA_FMT_COMPACT = 0,    /* TS 102 226 §5.1: C-APDUs back to back */
    OTA_FMT_EXPANDED,       /* §5.2.1 table 5.2: 'AA' definite length */
    OTA_FMT_EXPANDED_INDEF, /* §5.2.1 table 5.2a: 'AE 80' ... '00 00' */
};

/* Tags of the expanded format, TS 101 220 tables 7.18-7.20 as used by
 * TS 102 226 §5.2 (inside the templates the tags are 22/23, CR bit 0). */
#define OTA_TAG_CMD_SCRIPT       0xAA
#define OTA_TAG_RESP_SCRIPT      0xAB
#define OTA_TAG_CMD_SCRIPT_INDEF 0xAE
#define OTA_TAG_RSP_SCRIPT_INDEF 0xAF
#define OTA_TAG_C_APDU           0x22
#define OTA_TAG_R_APDU           0x23
#define OTA_TAG_EXECUTED         0x80
#define OTA_TAG_IMMEDIATE_ACTION 0x81
#define OTA_TAG_SCRIPT_CHAINING  0x83
#define OTA_TAG_BAD_FORMAT       0x90

#define OTA_APDU_MAX 261 /* header 4 + Lc 1 + 255 data + Le 1 */

/* Checks that a[0..len) is one short C-APDU: case 1 (4 bytes), case 2
 * (5: Le), case 3 (5+Lc, Lc>0) or case 4 (5+Lc+1). Returns 0, or -1 and a
 * reason in why ("Lc 05 but 3 data bytes"). */
__attribute__((warn_unused_result)) int ota_apdu_check(const uint8_t *a, size_t len, char *why,
                                                       size_t whylen);

/* Appends the C-APDUs of a script to out in the given format. apdus[i] of
 * lens[i] octets. Returns the script length, or -1 when it does not fit in
 * outcap. */
__attribute__((warn_unused_result)) long ota_script_wrap(enum ota_format fmt,
                                                         const uint8_t *const *apdus,
                                                         const size_t *lens, unsigned n,
                                                         uint8_t *out, size_t outcap);

/* One answer to one C-APDU. data points into the parsed buffer. */
struct ota_rapdu {
    const uint8_t *data;
    size_t len;
    uint16_t sw;
};

#define OTA_RESP_MAX_RAPDU 64

/* A decoded remote response (either format). */
struct ota_resp {
    enum ota_format fmt;
    unsigned executed;    /* number of executed commands (as the card says) */
    int executed_present; /* 0 for indefinite expanded: then executed = nrapdu */
    unsigned nrapdu;      /* compact: 1 (the last command's answer) */
    struct ota_rapdu rapdu[OTA_RESP_MAX_RAPDU];
    int bad_format;       /* §5.2.2 table 5.12: 1 unknown tag, 2 wrong length,
                           * 3 length not found; 0 none */
    int immediate_action; /* table 5.14 value, 0 none */
    int script_chaining;  /* table 5.16 value, 0 none */
};

enum ota_resp_err {
    OTA_RESP_OK = 0,
    OTA_RESP_ERR_TRUNC = -1,   /* shorter than its own lengths say */
    OTA_RESP_ERR_FORMAT = -2,  /* wrong template tag, stray bytes, bad TLV */
    OTA_RESP_ERR_TOOMANY = -3, /* more R-APDUs than OTA_RESP_MAX_RAPDU */
};

/* TS 102 226 §5.1.2: number of commands executed (1) | SW of the last (2) |
 * response data of the last. The whole buffer is consumed. */
__attribute__((warn_unused_result)) int ota_resp_parse_compact(const uint8_t *p, size_t len,
                                                               struct ota_resp *r);

/* TS 102 226 §5.2.2: 'AB' L { 80 n | 23 L rdata SW | 90 1 x | 81 | 83 }* or
 * the indefinite 'AF 80' ... '00 00'. */
__attribute__((warn_unused_result)) int ota_resp_parse_expanded(const uint8_t *p, size_t len,
                                                                struct ota_resp *r);

/* Whether a status word means the command completed (9000, 91xx, 92xx,
 * 9Fxx, 61xx; TS 102 221 §10.2.1, TS 51.011 §9.4.1). Warnings (62xx, 63xx)
 * are not success: RFM stops on them too. */
int ota_sw_ok(uint16_t sw);

/* Human name of a status word ("security status not satisfied"); never
 * NULL. Class-specific codes (94xx, 98xx on a 2G SIM) are named too. */
const char *ota_sw_name(uint16_t sw);

#endif
