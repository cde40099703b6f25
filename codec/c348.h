/* c348.h — SIM OTA secured packets: GSM 03.48, today ETSI TS 102 225 with
 * the SMS-PP rules of 3GPP TS 31.115.
 *
 * Owns the command packet (TS 102 225 §5.1, TS 31.115 §4.2) built by the
 * gateway and opened by the card, and the response packet / Proof of Receipt
 * (TS 102 225 §5.2, TS 31.115 §4.3) built by the card and opened by the
 * gateway. Pure bytes in, bytes out: no I/O, no clock, no logging, no heap
 * allocation on the hot path (OpenSSL cipher objects and contexts are fetched
 * once per thread and reused; see c348_thread_cleanup()).
 *
 * Algorithms (TS 102 225 §5.1.2/§5.1.3) are derived from the KIc/KID octets
 * as sent + the SPI + the key length, through one table in c348.c:
 *   KIc  x1 DES-CBC, x5 3DES-CBC 2 keys, x9 3DES-CBC 3 keys, x2 AES-CBC
 *        (AES-128/192/256 by the key length 16/24/32); zero IV.
 *   KID  with SPI1 CC: x1 DES CBC-MAC, x5/x9 3DES CBC-MAC, x2 AES-CMAC; 8 octets
 *        with SPI1 RC: x1 CRC-16 (2 octets), x5 CRC-32 (4 octets)
 * b8..b5 of KIc/KID are the key version and play no part here. Implicit (b2b1
 * 00), proprietary (11) and reserved codings are refused with C348_ERR_ALG.
 *
 * Conventions: functions return 0 or a byte count on success and a negative
 * enum c348_err on failure. Nothing here keeps a pointer to caller memory
 * after it returns. */
#ifndef OTAGW_CODEC_C348_H
#define OTAGW_CODEC_C348_H

#include <stddef.h>
#include <stdint.h>

/* Errors (negative return values). Parsers never crash on bad input; they
 * return one of these. */
enum c348_err {
    C348_OK = 0,
    C348_ERR_ARG = -1,          /* NULL pointer, output buffer too small */
    C348_ERR_SPI_RESERVED = -2, /* a reserved SPI value (SPI1 b8..b6, SPI2 b2b1=11, b8b7) */
    C348_ERR_ALG = -3,          /* KIc/KID coding implicit, proprietary, reserved, or DS */
    C348_ERR_KEY_LEN = -4,      /* key length wrong for the algorithm */
    C348_ERR_TOO_LONG = -5,     /* packet would exceed C348_PKT_MAX */
    C348_ERR_TRUNC = -6,        /* input shorter than its header says */
    C348_ERR_LENGTH = -7,       /* CPL/CHL/RPL/RHL/PCNTR inconsistent */
    C348_ERR_MAC = -8,          /* RC/CC mismatch */
    C348_ERR_MISMATCH = -9,     /* PoR TAR or CNTR differs from the command's */
    C348_ERR_CRYPTO = -10,      /* OpenSSL failed */
    C348_ERR_UDH = -11,         /* PoR TP-UD without the 02 71 00 header */
};

/* Operator-readable text for an enum c348_err value; never NULL. */
const char *c348_strerror(int err);

/* Response Status Codes, TS 102 225 §5.2.2 table 5.2 (0B/0C: TS 31.115). */
enum c348_status {
    C348_ST_OK = 0x00,
    C348_ST_RC_CC_DS_FAILED = 0x01,
    C348_ST_CNTR_LOW = 0x02,
    C348_ST_CNTR_HIGH = 0x03,
    C348_ST_CNTR_BLOCKED = 0x04,
    C348_ST_CIPHERING_ERROR = 0x05,
    C348_ST_SECURITY_ERROR = 0x06, /* unidentified security error */
    C348_ST_NO_MEMORY = 0x07,
    C348_ST_MORE_TIME = 0x08,
    C348_ST_TAR_UNKNOWN = 0x09,
    C348_ST_INSUFFICIENT_SECURITY = 0x0A,
    C348_ST_SMS_SUBMIT = 0x0B, /* response sent with SMS-SUBMIT (TS 31.115) */
    C348_ST_USSD = 0x0C,       /* response sent with PROCESS USSD (TS 31.115) */
};

/* "PoR OK", "counter low", ...; "reserved status" for unknown codes. */
const char *c348_status_name(uint8_t status);

/* SPI bits, TS 102 225 §5.1.1 (SPI1 is the first octet sent, the high byte
 * of the uint16_t spi). */
#define C348_SPI1_INTEGRITY_MASK 0x03 /* b2b1 */
#define C348_SPI1_NONE           0x00
#define C348_SPI1_RC             0x01
#define C348_SPI1_CC             0x02
#define C348_SPI1_DS             0x03
#define C348_SPI1_CIPHER         0x04 /* b3 */
#define C348_SPI1_CNTR_MASK      0x18 /* b5b4 */
#define C348_SPI1_CNTR_NONE      0x00 /* no counter available */
#define C348_SPI1_CNTR_NOCHECK   0x08 /* counter available, no replay check */
#define C348_SPI1_CNTR_HIGHER    0x10 /* process if CNTR > RE counter */
#define C348_SPI1_CNTR_NEXT      0x18 /* process if CNTR = RE counter + 1 (see c348.c) */
#define C348_SPI1_RESERVED       0xE0
#define C348_SPI2_POR_MASK       0x03 /* b2b1 */
#define C348_SPI2_POR_NONE       0x00
#define C348_SPI2_POR_ALWAYS     0x01
#define C348_SPI2_POR_ON_ERROR   0x02
#define C348_SPI2_POR_INTEGRITY  0x0C /* b4b3: 00 none, 04 RC, 08 CC, 0C DS */
#define C348_SPI2_POR_CIPHER     0x10 /* b5 */
#define C348_SPI2_POR_SUBMIT     0x20 /* b6: PoR via SMS-SUBMIT, else DELIVER-REPORT */
#define C348_SPI2_RESERVED       0xC0

#define C348_KEY_MAX  32
#define C348_CNTR_MAX 0xFFFFFFFFFFull /* 5 octets; a stored FFFFFFFFFF = blocked */
#define C348_CC_MAX   8               /* RC/CC field length at most (DS unsupported) */
#define C348_CMD_HDR  16              /* CPL(2) CHL SPI(2) KIc KID TAR(3) CNTR(5) PCNTR */
#define C348_POR_UDH  3               /* 02 71 00 in front of a PoR */
/* Largest secured packet (command or response) we build or accept: 16
 * concatenated SMs with the 8-bit reference (132 + 15 * 134 octets), see udh.h. */
#define C348_PKT_MAX 2142

/* What the keystore holds for one card + TAR, and the counter to use. */
struct c348_params {
    uint16_t spi; /* SPI1 << 8 | SPI2 */
    uint8_t kic;  /* KIc octet as sent: algorithm b4..b1, key version b8..b5 */
    uint8_t kid;  /* KID octet as sent */
    uint8_t tar[3];
    uint64_t cntr; /* gateway: the CNTR to send; card: the counter stored by the RE */
    uint8_t kic_key[C348_KEY_MAX];
    size_t kic_key_len;
    uint8_t kid_key[C348_KEY_MAX];
    size_t kid_key_len;
};

/* Checks SPI reserved values and that every algorithm this SPI needs (command
 * and PoR) is defined by KIc/KID and matches the key lengths in p.
 * Returns 0 or a negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_params_check(const struct c348_params *p);

/* ---- gateway side: command packet ------------------------------------- */

/* Length of the secured packet (CPL .. end, no UDH) for data_len octets of
 * secured data, before a counter or keys exist (TS 102 225 §5.1.1: padding
 * to the cipher block, RC/CC length from KID). Returns 0 and sets *out_len,
 * or a negative enum c348_err (reserved SPI, undefined algorithm, too long). */
__attribute__((warn_unused_result)) int c348_cmd_size(uint16_t spi, uint8_t kic, uint8_t kid,
                                                      size_t data_len, size_t *out_len);

/* Builds the secured command packet CPL .. end (no UDH) into out.
 * Returns its length (> 0) or a negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_cmd_build(const struct c348_params *p,
                                                       const uint8_t *data, size_t data_len,
                                                       uint8_t *out, size_t outcap);

/* ---- card side: command packet ---------------------------------------- */

/* The clear part of a command header, readable before keys are chosen. */
struct c348_cmd_hdr {
    uint16_t cpl; /* counted from CHL to the end */
    uint8_t chl;  /* counted from SPI to the end of RC/CC/DS */
    uint16_t spi;
    uint8_t kic, kid;
    uint8_t tar[3];
};

/* Reads CPL, CHL, SPI, KIc, KID and TAR of a secured command packet (CPL ..
 * end, no UDH). Checks CPL against len. Returns 0 or a negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_cmd_peek(const uint8_t *pkt, size_t len,
                                                      struct c348_cmd_hdr *h);

/* What the card learnt from a command packet. */
struct c348_cmd {
    struct c348_cmd_hdr hdr;
    uint8_t status;      /* the card's Response Status Code (enum c348_status) */
    uint64_t cntr;       /* CNTR received (valid once deciphered) */
    uint8_t pcntr;       /* padding counter received */
    const uint8_t *data; /* secured data without padding, in the caller's buf */
    size_t data_len;
};

/* Opens a command packet as a card would (TS 102 225 §5.1, order as in
 * §5.1.x / TS 102 226): decipher with KIc, verify RC/CC with KID, then check
 * the counter against p->cntr (the RE's stored counter) per SPI1 b5b4.
 * p->spi/kic/kid/tar are ignored: the packet's own header is used (a card
 * chooses keys by TAR/KIc/KID after c348_cmd_peek). Returns 0 when the packet
 * was well formed, with out->status telling what the card would answer
 * (C348_ST_OK: the data may be executed and the counter stored as out->cntr
 * when the mode keeps one); or a negative enum c348_err when the packet is
 * malformed or the keys do not fit. buf (>= len octets) receives the
 * deciphered data that out->data points into. */
__attribute__((warn_unused_result)) int c348_cmd_open(const struct c348_params *p,
                                                      const uint8_t *pkt, size_t len, uint8_t *buf,
                                                      size_t bufcap, struct c348_cmd *out);

/* Counter rule of SPI1 b5b4 (TS 102 225 §5.1.1): the status a card answers
 * when it has `stored` and receives `received`. max_ahead > 0 caps how far
 * ahead of stored a CNTR may be in mode "higher" (card-specific window; 0 =
 * no cap). Returns C348_ST_OK, C348_ST_CNTR_LOW, C348_ST_CNTR_HIGH or
 * C348_ST_CNTR_BLOCKED. */
uint8_t c348_cntr_check(uint8_t spi1, uint64_t stored, uint64_t received, uint64_t max_ahead);

/* ---- response packet (PoR) -------------------------------------------- */

/* Whether a card with this SPI2 sends a PoR for this status. */
int c348_por_wanted(uint16_t spi, uint8_t status);

/* Card side: builds a PoR TP-UD "02 71 00 RPL RHL TAR CNTR PCNTR RSC RC/CC
 * data [pad]" for the command described by p (spi/kic/kid/tar/cntr, keys),
 * applying SPI2 b4b3 (PoR RC/CC, same KID key) and b5 (PoR ciphered, KIc).
 * Per TS 102 225 §5.2 an "unidentified security error" (06) is sent neither
 * ciphered nor with RC/CC. The result may exceed one SM (140 octets): then
 * split out + 3 with udh_split(UDH_IEI_RPI, ...). Returns the TP-UD length or a
 * negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_por_build(const struct c348_params *p, uint8_t status,
                                                       const uint8_t *data, size_t data_len,
                                                       uint8_t *out, size_t outcap);

/* What the gateway learnt from a verified PoR. */
struct c348_por {
    uint8_t tar[3];
    uint64_t cntr;
    uint8_t status; /* Response Status Code */
    uint8_t pcntr;
    int verified;        /* 1: RC/CC checked; 0: the SPI asked for none */
    const uint8_t *data; /* additional response data, in the caller's buf */
    size_t data_len;
};

/* Gateway side: opens a PoR TP-UD (with its UDH 02 71 00, as received, or as
 * reassembled by udh_reasm_add with 02 71 00 put in front), for the command
 * sent with p (spi/kic/kid/keys; p->tar and p->cntr are the command's). Checks
 * lengths, deciphers, verifies RC/CC and, when check_cmd is non-zero, that TAR
 * and CNTR equal p's. A failure PoR a card could not secure (status 01,
 * 05, 06, 09, 0A; see c348.c) is accepted with verified = 0, its CNTR
 * unchecked (the spec says so for 06; cards answer the others alike); an
 * unverified PoR is never a success. A PoR that fails any check is an error, never partly trusted.
 * Returns 0 or a negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_por_open(const struct c348_params *p,
                                                      const uint8_t *tpud, size_t len,
                                                      int check_cmd, uint8_t *buf, size_t bufcap,
                                                      struct c348_por *out);

/* Frees this thread's cached OpenSSL contexts (they are created on first
 * use). Call it before a thread that used the codec exits; harmless twice. */
void c348_thread_cleanup(void);

/* ---- primitives, exposed for tests and known-answer checks ------------- */

/* CRC-16/X-25 (ISO/IEC 13239) and CRC-32 (ISO/IEC 13239, = zlib). */
uint16_t c348_crc16(const uint8_t *d, size_t n);
uint32_t c348_crc32(const uint8_t *d, size_t n);

/* The RC or CC (type C348_SPI1_RC or C348_SPI1_CC) that KID coding `kid`
 * defines over d: CRC-16/CRC-32 written most significant octet first, DES/3DES
 * CBC-MAC (zero ICV, input padded with 00 for the computation only) or
 * AES-CMAC, both truncated to 8 octets. Returns its length or a negative
 * enum c348_err. */
__attribute__((warn_unused_result)) int c348_integrity(uint8_t type, uint8_t kid,
                                                       const uint8_t *key, size_t keylen,
                                                       const uint8_t *d, size_t n,
                                                       uint8_t out[C348_CC_MAX]);

/* CBC with a zero IV under KIc coding `kic`; n must be a multiple of the
 * block (8 for DES/3DES, 16 for AES). out may equal in. Returns 0 or a
 * negative enum c348_err. */
__attribute__((warn_unused_result)) int c348_cipher(int encrypt, uint8_t kic, const uint8_t *key,
                                                    size_t keylen, const uint8_t *in, size_t n,
                                                    uint8_t *out);

#endif
