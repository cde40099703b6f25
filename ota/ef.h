/* ef.h — the elementary files otagw knows by name, and their contents.
 *
 * Owns: the table of named EFs (FID and parent DF per card class, structure,
 * default size), and for each an encoder (operator text -> file bytes, with
 * validation and an error that says what is wrong) and a decoder (file bytes
 * -> operator text). Layouts: 3GPP TS 31.102 §4.2 (USIM) and TS 51.011
 * §10.3 (2G SIM). No I/O, no allocation. */
#ifndef OTAGW_OTA_EF_H
#define OTAGW_OTA_EF_H

#include <stddef.h>
#include <stdint.h>

#include "ota/apdu.h"

enum ota_ef_id {
    OTA_EF_IMSI,
    OTA_EF_FPLMN,
    OTA_EF_PLMNWACT,
    OTA_EF_OPLMNWACT,
    OTA_EF_HPLMNWACT,
    OTA_EF_LOCI,
    OTA_EF_PSLOCI,
    OTA_EF_EPSLOCI,
    OTA_EF_SMSP,
    OTA_EF_ACC,
    OTA_EF_RAW, /* a FID path given by the job: hex in, hex out */
};

struct ota_ef {
    enum ota_ef_id id;
    const char *name;  /* job spelling: "fplmn" */
    const char *label; /* operator spelling: "EF_FPLMN" */
    uint16_t fid_uicc; /* in ADF USIM; 0 = not on a UICC */
    uint16_t fid_sim;  /* on a 2G SIM; 0 = not on a 2G SIM */
    uint16_t df_sim;   /* its DF on a 2G SIM: 7F20 DF_GSM or 7F10 DF_TELECOM */
    int record;        /* 1: linear fixed (UPDATE RECORD), 0: transparent */
    uint16_t size;     /* default file size (transparent) or record length */
    uint16_t unit;     /* size must be a multiple of this (PLMN lists) */
};

/* The named file, or NULL. Case-insensitive; "EF_FPLMN" and "fplmn" both
 * match. */
const struct ota_ef *ota_ef_find(const char *name);

/* Encodes value (operator text) as the content of ef, size octets (0: the
 * table's default). Returns the length written, or -1 with a reason in err
 * (the reason names no field; the caller prefixes it). */
__attribute__((warn_unused_result)) long ota_ef_encode(const struct ota_ef *ef, const char *value,
                                                       size_t size, uint8_t *out, size_t outcap,
                                                       char *err, size_t errlen);

/* Decodes file bytes into operator text (the encoder's syntax where there
 * is one). Returns 0, or -1 when the bytes are not a valid content (out then
 * holds the reason). Never reads past len. */
int ota_ef_decode(const struct ota_ef *ef, const uint8_t *p, size_t len, char *out, size_t outlen);

/* Single encoders, public for tests and the applet templates. */

/* EF_IMSI, TS 31.102 §4.2.2 / TS 51.011 §10.3.2: 6..15 digits -> 9 octets
 * (length, parity/identity nibble, BCD, FF fill). */
__attribute__((warn_unused_result)) int ota_imsi_encode(const char *digits, uint8_t out[9],
                                                        char *err, size_t errlen);
__attribute__((warn_unused_result)) int ota_imsi_decode(const uint8_t *p, size_t len, char *out,
                                                        size_t outlen);

/* PLMN, TS 24.008 §10.5.1.3 as used by TS 31.102 §4.2.5: "MCCMNC" (5 or 6
 * digits) -> 3 octets. */
__attribute__((warn_unused_result)) int ota_plmn_encode(const char *s, size_t n, uint8_t out[3]);
void ota_plmn_decode(const uint8_t p[3], char out[8]);

/* Access technology names <-> the 2-octet bitmap of TS 31.102 §4.2.5. */
__attribute__((warn_unused_result)) int ota_act_encode(const char *s, size_t n, uint16_t *act);

#endif
