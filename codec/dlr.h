/* dlr.h — SMPP delivery receipts and message-id normalisation.
 *
 * Owned by codec/dlr.c. A receipt is a deliver_sm whose esm_class message
 * type is "SMSC delivery receipt" (0x04) or "intermediate notification"
 * (0x20), SMPP 3.4 §5.2.12. Its content comes in two forms, often both:
 *   - text in short_message (or message_payload), SMPP 3.4 Appendix B:
 *     "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
 *      date:YYMMDDhhmm stat:DDDDDDD err:E text: ..."
 *   - TLVs receipted_message_id (§5.3.2.12), message_state (§5.3.2.35),
 *     network_error_code (§5.3.2.31).
 * When both are present the TLVs win (they are typed; the text format is
 * only "vendor specific" per Appendix B) and the text fills the gaps.
 *
 * Message ids: Appendix B says the receipt's id is the submit_sm_resp's
 * message_id, but SMSCs write the same number in hex in one and decimal in
 * the other, with any case and leading zeros. dlr_msgid_keys() turns an id
 * into canonical keys so that both sides meet (docs/smpp.md "Message-id
 * normalisation"). No I/O, no clock, no logging. */
#ifndef OTAGW_CODEC_DLR_H
#define OTAGW_CODEC_DLR_H

#include <stddef.h>
#include <stdint.h>

#include "codec/smppf.h"

/* Receipt states. Values 1..8 are message_state, SMPP 3.4 §5.2.28, so a
 * TLV maps 1:1; DLR_STAT_NONE means neither text nor TLV said. */
enum dlr_stat {
    DLR_STAT_NONE = 0,
    DLR_STAT_ENROUTE = 1,
    DLR_STAT_DELIVRD = 2,
    DLR_STAT_EXPIRED = 3,
    DLR_STAT_DELETED = 4,
    DLR_STAT_UNDELIV = 5,
    DLR_STAT_ACCEPTD = 6,
    DLR_STAT_UNKNOWN = 7,
    DLR_STAT_REJECTD = 8,
};

/* How a carrier writes message ids. The first four are gw_msgid_format
 * (gateway/config.h) in the same order; the two mixed forms are what Kannel
 * calls msg-id-type 1 and 2 and are explicit for carriers known to mix. */
enum dlr_idfmt {
    DLR_ID_AUTO = 0, /* each id read both ways: up to two keys */
    DLR_ID_HEX,      /* both sides hex */
    DLR_ID_DEC,      /* both sides decimal */
    DLR_ID_STRING,   /* opaque text, exact match, case kept */
    DLR_ID_HEX_DEC,  /* submit_sm_resp hex, receipt decimal */
    DLR_ID_DEC_HEX,  /* submit_sm_resp decimal, receipt hex */
};

/* Where an id was read: a carrier can use different bases in each. */
enum dlr_idrole {
    DLR_ROLE_RESP = 0, /* submit_sm_resp message_id */
    DLR_ROLE_RECEIPT,  /* receipt id (text "id:" or receipted_message_id) */
};

#define DLR_ID_MAX  65 /* §5.2.23 message_id: 64 + NUL */
#define DLR_KEY_MAX 72 /* "x:" + up to 54 hex digits of a 64-digit decimal, or "s:" + 64 */
#define DLR_KEYS    2

enum dlr_err {
    DLR_OK = 0,
    DLR_ERR_NOT_RECEIPT = -1, /* esm_class is not a receipt type */
    DLR_ERR_NO_ID = -2,       /* neither "id:" text nor receipted_message_id */
    DLR_ERR_ID = -3,          /* id empty, too long, or not valid for the id format */
    DLR_ERR_TEXT = -4,        /* text malformed where it mattered (stat: with no value) */
};

/* Where each part came from (bit set). */
#define DLR_SRC_TEXT 1
#define DLR_SRC_TLV  2

struct dlr_receipt {
    char id[DLR_ID_MAX]; /* as received */
    unsigned nkeys;      /* 1 or 2 (2 only for DLR_ID_AUTO) */
    char keys[DLR_KEYS][DLR_KEY_MAX];
    enum dlr_stat stat;
    int final;    /* 1 for every stat but ENROUTE, ACCEPTD and NONE */
    int has_err;  /* text "err:" present */
    unsigned err; /* text err:, up to 3 digits per Appendix B (any digits kept) */
    int has_network_error;
    uint8_t network_type; /* network_error_code TLV, §5.3.2.31 */
    uint16_t network_error;
    unsigned sub, dlvrd;                 /* text sub:/dlvrd:, 0 when absent */
    char submit_date[13], done_date[13]; /* YYMMDDhhmm[ss], "" when absent */
    char text[21];                       /* first 20 octets of the original, as given */
    unsigned src;                        /* DLR_SRC_* bits */
    char addr[21]; /* the deliver_sm's source_addr: the original SM's destination
                      (SMPP 3.4 Appendix B), the handset's MSISDN; "" when absent */
};

/* 1 when esm_class marks a delivery receipt or intermediate notification. */
int dlr_is_receipt(uint8_t esm_class);

/* Parses a receipt from a decoded deliver_sm. fmt says how to key its id.
 * Returns DLR_OK, or DLR_ERR_* (r is then partly filled, never read past). */
__attribute__((warn_unused_result)) enum dlr_err
dlr_parse(const struct smppf_sm *sm, enum dlr_idfmt fmt, struct dlr_receipt *r);

/* Parses the Appendix B text alone (len octets, no NUL needed): the part
 * of dlr_parse that reads short_message. Keys are not computed. */
__attribute__((warn_unused_result)) enum dlr_err dlr_parse_text(const uint8_t *text, size_t len,
                                                                struct dlr_receipt *r);

/* Canonical keys of message id `id` read in `role` under `fmt`:
 *   numeric: "x:" + the value in lower-case hex, no leading zeros
 *            ("0A1B" as hex and "2587" as decimal both give "x:a1b");
 *   opaque:  "s:" + the text as is.
 * DLR_ID_AUTO gives two keys when the id reads both ways (all decimal
 * digits: its decimal value and its hex value), one otherwise (hex letters:
 * hex only; other characters: opaque). A submit and its receipt match when
 * any key of one equals any key of the other; the job layer stores every
 * key of the submit_sm_resp id and looks up every key of the receipt.
 * Returns the number of keys (1 or 2), or DLR_ERR_ID (empty, over 64
 * characters, or not a number the format requires). */
__attribute__((warn_unused_result)) int dlr_msgid_keys(const char *id, enum dlr_idfmt fmt,
                                                       enum dlr_idrole role,
                                                       char keys[DLR_KEYS][DLR_KEY_MAX]);

/* "DELIVRD", ... "NONE". Static text. */
const char *dlr_stat_name(enum dlr_stat s);
/* Inverse of dlr_stat_name for the seven-letter Appendix B names (and
 * the long forms some SMSCs write: "DELIVERED", "UNDELIVERABLE", ...);
 * DLR_STAT_NONE when unknown. Case-insensitive. */
enum dlr_stat dlr_stat_parse(const char *s, size_t len);
const char *dlr_strerror(enum dlr_err e);

#endif
