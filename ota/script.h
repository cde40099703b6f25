/* script.h — what to say to a card, and what its answer means.
 *
 * The daemon's interface to ota/: a job (switch / config / apdu) goes in,
 * an ota_script comes out (TAR, secured data = the remote command script,
 * its format, the security level the target demands, a listing of every
 * C-APDU); the PoR's response data plus that script go in, an ota_result
 * comes out ("EF_FPLMN: security status not satisfied (6982)"). Nothing is
 * sent, logged or allocated here. Errors name the job field at fault:
 * "imsi: 'x' at position 3 is not a digit (an IMSI is 6..15 digits)". */
#ifndef OTAGW_OTA_SCRIPT_H
#define OTAGW_OTA_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "ota/apdu.h"
#include "ota/applet.h"
#include "ota/ef.h"

enum ota_job_type { OTA_JOB_NONE = 0, OTA_JOB_SWITCH, OTA_JOB_CONFIG, OTA_JOB_APDU };
enum ota_method { OTA_METHOD_NONE = 0, OTA_METHOD_APPLET, OTA_METHOD_IMSI, OTA_METHOD_PROFILE };

/* Default TARs. TS 101 220 Annex D (as transcribed in P1sec/pycrate
 * TS31111_SAT.py TAR_dict): B00000 and B00002..B0000F UICC shared file
 * system RFM, B00001 and B00020..B0011F ADF RFM, B00010..B0001F "SIM File
 * System" RFM, 000000 the issuer security domain (RAM); B00120..B001FF
 * repeat the three RFM kinds, the range the expanded format uses [M: the
 * "expanded" label was not seen]. The two RFM values below lie in the
 * B00010..B0001F range and are the ones osmocom/pysim's tests use ("SIM RFM:
 * B00010, USIM RFM: B00011", sysmocom cards; onomondo-uicc also starts
 * B00010..B0001F in ADF USIM). ISD-R 000001: SGP.02 Annex H builds an ISD-P
 * AID as A0000005591010FFFFFFFF89 | TAR | 00 (bagyenda/njiwa Eis.java), and
 * the ISD-R AID A0000005591010FFFFFFFF8900000100 (pySim euicc.py) gives TAR
 * 000001 by that rule. A job's `tar` overrides every default. */
#define OTA_TAR_RFM_SIM  0xB00010u
#define OTA_TAR_RFM_USIM 0xB00011u
#define OTA_TAR_ISDR     0x000001u

/* A job, as fields. Strings are borrowed (the caller keeps them alive until
 * ota_script_build returns); NULL or "" means absent. */
struct ota_job {
    enum ota_job_type type;
    enum ota_method method;
    enum ota_card_class card_class;
    const char *slot;                /* switch/applet */
    const char *imsi;                /* switch/imsi, or applets whose command has {imsi} */
    const char *aid;                 /* switch/profile: ISD-P AID, hex */
    const char *action;              /* switch/profile: enable (default), disable, fallback */
    const char *file;                /* config: a name (ota_ef_find) or a FID path 3F00/7F20/6F7B */
    const char *value;               /* config: content, optionally ";size=N;record=N;offset=N" */
    const char *tar;                 /* apdu: required; others: overrides the default TAR */
    const char *apdus;               /* apdu: hex C-APDUs joined by commas */
    const char *applet_name;         /* switch/applet: the profile asked for */
    const struct ota_applet *applet; /* ... and the one found in the config, or NULL */
    int read_back;                   /* config: read the file back at the end */
    int format_set;                  /* 1: format below overrides the default */
    enum ota_format format;
};

/* Sets one job field from its text form, the way jobs arrive from Redis and
 * from otactl options: type, method, class, slot, imsi, aid, action, file,
 * value, tar, apdus, applet, readback (0/1/yes/no), format (compact,
 * expanded, expanded-indefinite). value is borrowed. Unknown field names
 * return -ENOENT (the caller may ignore them: iccid, msisdn, tag, ...). */
__attribute__((warn_unused_result)) int ota_job_set(struct ota_job *j, const char *field,
                                                    const char *value, char *err, size_t errlen);

#define OTA_SCRIPT_MAX      2048 /* secured data octets; far above what 255 SMs of a card carry */
#define OTA_SCRIPT_MAX_APDU 32

struct ota_script_apdu {
    uint16_t off, len; /* the C-APDU in ota_script.apdu_buf */
    char target[40];   /* what an error is about: "EF_FPLMN", "ISD-R", "applet acme" */
    char text[96];     /* "UPDATE BINARY EF_FPLMN (6F7B), 12 octets" */
    int readback;      /* 1: a READ, whose answer is the content of ef */
    struct ota_ef ef;  /* (a copy: the script stays valid when copied) */
};

struct ota_script {
    enum ota_job_type type;
    enum ota_method method;
    uint8_t tar[3];
    enum ota_format format;
    int raw; /* data is an applet's own payload, not a C-APDU chain */
    uint8_t data[OTA_SCRIPT_MAX];
    size_t len; /* the secured data: what the codec ciphers */
    unsigned napdu;
    struct ota_script_apdu apdu[OTA_SCRIPT_MAX_APDU];
    uint8_t apdu_buf[OTA_SCRIPT_MAX];
    size_t apdu_used;
    /* Security the target dictates. Exact values (applet profiles): */
    int has_spi, has_kic, has_kid;
    uint16_t spi;
    uint8_t kic, kid;
    /* Minimum (ISD-R, SGP.02 §2.4.3 [M]): CC, ciphering and a counter. */
    int need_cc_cipher_cntr;
    int provisional; /* a PoR "ok" is not the end: profile enable/disable */
    char summary[128];
};

/* Builds the smallest script for job. Returns 0; -EINVAL (a field is wrong:
 * err starts with the field name), -ENOENT (applet profile not configured),
 * -E2BIG (the script outgrows OTA_SCRIPT_MAX / OTA_SCRIPT_MAX_APDU). */
__attribute__((warn_unused_result)) int
ota_script_build(const struct ota_job *job, struct ota_script *s, char *err, size_t errlen);

/* Checks that a keyset's SPI/KIc/KID satisfy what the target dictates.
 * Returns 0 or -EPERM with err naming spi/kic/kid. */
__attribute__((warn_unused_result)) int ota_script_check_security(const struct ota_script *s,
                                                                  uint16_t spi, uint8_t kic,
                                                                  uint8_t kid, char *err,
                                                                  size_t errlen);

/* Fitting the SMS: the secured packet this script becomes under spi/kic/kid
 * (codec/c348.h c348_cmd_size) and the number of SMs it takes (codec/udh.h
 * udh_cmd_sm_count). Returns 0 with *pkt_len and *nsms set; -EINVAL when
 * the codec refuses spi/kic/kid (err names the field); -EMSGSIZE when it
 * needs more than max_sms SMs: err then gives the count ("script: 812
 * octets ... 7 SMs, the card profile allows 5"). Nothing is sent. */
__attribute__((warn_unused_result)) int ota_script_fit(const struct ota_script *s, uint16_t spi,
                                                       uint8_t kic, uint8_t kid, unsigned max_sms,
                                                       size_t *pkt_len, unsigned *nsms, char *err,
                                                       size_t errlen);

/* Writes a readable listing: one line per C-APDU ("3  UPDATE BINARY ...  hex"),
 * then the script in hex. Returns the length, or -1 when out is too small
 * (out then holds a truncated listing). */
long ota_script_listing(const struct ota_script *s, char *out, size_t outlen);

/* The way back. */
struct ota_result {
    int ok;          /* 1: every command completed */
    int provisional; /* ok, but confirmed only by what the card does next */
    unsigned executed, total;
    int failed;     /* index of the failing command, -1 when none */
    uint16_t sw;    /* SW of the last executed command (0 when unknown) */
    int bad_format; /* expanded: TS 102 226 table 5.12 code, 0 none */
    char detail[256];
    char readback[512]; /* decoded read-back ("imsi=..." / hex), "" when none */
};

/* Decodes the PoR response data (after the codec verified and deciphered
 * it) against the script it answers. Returns 0 when the answer was
 * understood (r->ok says whether the card did the job), or an
 * OTA_RESP_ERR_* code with r->detail saying what is malformed. */
int ota_result_decode(const struct ota_script *s, const uint8_t *data, size_t len,
                      struct ota_result *r);

#endif
