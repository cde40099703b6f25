/* smppf.h — SMPP 3.4 frames for both sides of a link (ESME and SMSC).
 *
 * Owned by codec/smppf.c, the one file of the tree that includes <smpp34.h>.
 * The structs here are ours, not libsmpp34's: callers never see libsmpp34
 * types, its heap TLV lists or its global error text.
 *
 * Receive path, in this order (docs/smpp.md "What is checked before
 * libsmpp34"):
 *   1. smppf_header_check() on the first 16 octets: command_length within
 *      [SMPPF_HDR_LEN, SMPPF_PDU_MAX] before anybody allocates or waits for
 *      the body; the command_id known or not (an unknown one is still a
 *      well-framed PDU: answer generic_nack, SMPP 3.4 §4.3).
 *   2. smppf_decode() on the whole PDU: walks every mandatory field with its
 *      §4 size limit and every TLV (§3.2.4, §5.3) itself, counts them
 *      (SMPPF_TLV_MAX), and only then hands libsmpp34 the mandatory part of
 *      the binds it survives (LIBSMPP34.md: 29+ TLVs crash it; the 17-octet
 *      error submit_sm_resp, vendor command_status values, sequence 0 and
 *      TON/NPI outside its tables make it fail). submit_sm, deliver_sm and
 *      their resps are ours alone; smppf_decode_lib() runs libsmpp34 on
 *      them too, for the tests that check both read them alike.
 *
 * No I/O, no clock, no logging, no allocation visible to the caller.
 * Pointers in a decoded PDU (message_payload) point into the caller's input
 * buffer and live as long as it does. */
#ifndef OTAGW_CODEC_SMPPF_H
#define OTAGW_CODEC_SMPPF_H

#include <stddef.h>
#include <stdint.h>

#define SMPPF_HDR_LEN 16
/* Largest PDU we accept or build. SMPP 3.4 sets no maximum; a submit_sm or
 * deliver_sm with every field at its limit and a full message_payload is
 * far below this, so anything longer is framing garbage or an attack. */
#define SMPPF_PDU_MAX 8192
/* Most TLVs we accept in one PDU (§5.3 defines 41 optional parameters; a
 * real receipt carries at most a handful). More is refused, never parsed. */
#define SMPPF_TLV_MAX 64
#define SMPPF_SM_MAX  254 /* §5.2.22 short_message, octets */
/* message_payload (§5.3.2.32) we carry: libsmpp34 packs at most 1024. */
#define SMPPF_PAYLOAD_MAX 1024

/* command_id values, SMPP 3.4 §5.1.2.1. */
enum smppf_cmd {
    SMPPF_GENERIC_NACK = 0x80000000u,
    SMPPF_BIND_RECEIVER = 0x00000001u,
    SMPPF_BIND_RECEIVER_RESP = 0x80000001u,
    SMPPF_BIND_TRANSMITTER = 0x00000002u,
    SMPPF_BIND_TRANSMITTER_RESP = 0x80000002u,
    SMPPF_SUBMIT_SM = 0x00000004u,
    SMPPF_SUBMIT_SM_RESP = 0x80000004u,
    SMPPF_DELIVER_SM = 0x00000005u,
    SMPPF_DELIVER_SM_RESP = 0x80000005u,
    SMPPF_UNBIND = 0x00000006u,
    SMPPF_UNBIND_RESP = 0x80000006u,
    SMPPF_BIND_TRANSCEIVER = 0x00000009u,
    SMPPF_BIND_TRANSCEIVER_RESP = 0x80000009u,
    SMPPF_ENQUIRE_LINK = 0x00000015u,
    SMPPF_ENQUIRE_LINK_RESP = 0x80000015u,
};

/* command_status values we name and act on, SMPP 3.4 §5.1.3. Any other
 * 32-bit value (vendor range 0x400..0x4FF, or unknown) is carried as is. */
enum smppf_status {
    SMPPF_ESME_ROK = 0x00,
    SMPPF_ESME_RINVMSGLEN = 0x01,
    SMPPF_ESME_RINVCMDLEN = 0x02,
    SMPPF_ESME_RINVCMDID = 0x03,
    SMPPF_ESME_RINVBNDSTS = 0x04,
    SMPPF_ESME_RALYBND = 0x05,
    SMPPF_ESME_RINVPRTFLG = 0x06,
    SMPPF_ESME_RINVREGDLVFLG = 0x07,
    SMPPF_ESME_RSYSERR = 0x08,
    SMPPF_ESME_RINVSRCADR = 0x0A,
    SMPPF_ESME_RINVDSTADR = 0x0B,
    SMPPF_ESME_RINVMSGID = 0x0C,
    SMPPF_ESME_RBINDFAIL = 0x0D,
    SMPPF_ESME_RINVPASWD = 0x0E,
    SMPPF_ESME_RINVSYSID = 0x0F,
    SMPPF_ESME_RCANCELFAIL = 0x11,
    SMPPF_ESME_RREPLACEFAIL = 0x13,
    SMPPF_ESME_RMSGQFUL = 0x14,
    SMPPF_ESME_RINVSERTYP = 0x15,
    SMPPF_ESME_RINVNUMDESTS = 0x33,
    SMPPF_ESME_RINVDLNAME = 0x34,
    SMPPF_ESME_RINVDESTFLAG = 0x40,
    SMPPF_ESME_RINVSUBREP = 0x42,
    SMPPF_ESME_RINVESMCLASS = 0x43,
    SMPPF_ESME_RCNTSUBDL = 0x44,
    SMPPF_ESME_RSUBMITFAIL = 0x45,
    SMPPF_ESME_RINVSRCTON = 0x48,
    SMPPF_ESME_RINVSRCNPI = 0x49,
    SMPPF_ESME_RINVDSTTON = 0x50,
    SMPPF_ESME_RINVDSTNPI = 0x51,
    SMPPF_ESME_RINVSYSTYP = 0x53,
    SMPPF_ESME_RINVREPFLAG = 0x54,
    SMPPF_ESME_RINVNUMMSGS = 0x55,
    SMPPF_ESME_RTHROTTLED = 0x58,
    SMPPF_ESME_RINVSCHED = 0x61,
    SMPPF_ESME_RINVEXPIRY = 0x62,
    SMPPF_ESME_RINVDFTMSGID = 0x63,
    SMPPF_ESME_RX_T_APPN = 0x64,
    SMPPF_ESME_RX_P_APPN = 0x65,
    SMPPF_ESME_RX_R_APPN = 0x66,
    SMPPF_ESME_RQUERYFAIL = 0x67,
    SMPPF_ESME_RINVOPTPARSTREAM = 0xC0,
    SMPPF_ESME_ROPTPARNOTALLWD = 0xC1,
    SMPPF_ESME_RINVPARLEN = 0xC2,
    SMPPF_ESME_RMISSINGOPTPARAM = 0xC3,
    SMPPF_ESME_RINVOPTPARAMVAL = 0xC4,
    SMPPF_ESME_RDELIVERYFAILURE = 0xFE,
    SMPPF_ESME_RUNKNOWNERR = 0xFF,
};

/* TLV tags we decode (§5.3.2); others are counted and skipped. */
enum smppf_tag {
    SMPPF_TAG_USER_MESSAGE_REFERENCE = 0x0204,
    SMPPF_TAG_SAR_MSG_REF_NUM = 0x020C,
    SMPPF_TAG_SAR_TOTAL_SEGMENTS = 0x020E,
    SMPPF_TAG_SAR_SEGMENT_SEQNUM = 0x020F,
    SMPPF_TAG_SC_INTERFACE_VERSION = 0x0210,
    SMPPF_TAG_NETWORK_ERROR_CODE = 0x0423,
    SMPPF_TAG_MESSAGE_PAYLOAD = 0x0424,
    SMPPF_TAG_RECEIPTED_MESSAGE_ID = 0x001E,
    SMPPF_TAG_MESSAGE_STATE = 0x0427,
};

/* Parser and builder errors. SMPPF_OK is 0; all others negative. */
enum smppf_err {
    SMPPF_OK = 0,
    SMPPF_ERR_SHORT = -1,        /* fewer octets than the header or command_length says */
    SMPPF_ERR_LEN = -2,          /* command_length < 16 or > SMPPF_PDU_MAX */
    SMPPF_ERR_CMD = -3,          /* command_id unknown (well framed: answer generic_nack) */
    SMPPF_ERR_FIELD = -4,        /* a C-Octet String unterminated or over its §4 limit */
    SMPPF_ERR_TRAILING = -5,     /* octets after the last field that are not whole TLVs */
    SMPPF_ERR_TLV = -6,          /* a TLV runs past the PDU, or a known tag has a bad length */
    SMPPF_ERR_TLV_COUNT = -7,    /* more than SMPPF_TLV_MAX TLVs */
    SMPPF_ERR_SM_LEN = -8,       /* sm_length runs past the PDU or both SM and payload set */
    SMPPF_ERR_LIB = -9,          /* libsmpp34 refused what our checks passed (a bug: report) */
    SMPPF_ERR_SPACE = -10,       /* encode: output buffer too small */
    SMPPF_ERR_VALUE = -11,       /* encode: a field over its limit (never truncated silently) */
    SMPPF_ERR_UNSUPPORTED = -12, /* a known command_id this codec does not build/parse */
};

/* The 16-octet header, §3.2. */
struct smppf_hdr {
    uint32_t command_length;
    uint32_t command_id;
    uint32_t command_status;
    uint32_t sequence_number;
};

/* bind_transmitter / bind_receiver / bind_transceiver, §4.1.1/.3/.5 */
struct smppf_bind {
    char system_id[16];
    char password[9];
    char system_type[13];
    uint8_t interface_version; /* 0x34 */
    uint8_t addr_ton, addr_npi;
    char address_range[41];
};

/* bind_*_resp, §4.1.2: system_id, optional sc_interface_version */
struct smppf_bind_resp {
    char system_id[16];
    int has_sc_interface_version;
    uint8_t sc_interface_version;
};

/* TLVs of submit_sm and deliver_sm that matter to an OTA gateway. */
struct smppf_tlvs {
    unsigned count;   /* TLVs in the PDU, known or not */
    unsigned unknown; /* of which tags this codec does not decode */
    int has_receipted_message_id;
    char receipted_message_id[65]; /* §5.3.2.12: up to 64 + NUL */
    int has_message_state;
    uint8_t message_state; /* §5.3.2.35: 1 ENROUTE .. 8 REJECTED */
    int has_network_error_code;
    uint8_t network_type;   /* §5.3.2.31 octet 1: 1 ANSI-136, 2 IS-95, 3 GSM, ... */
    uint16_t network_error; /* octets 2-3 */
    int has_sar;
    uint16_t sar_msg_ref_num; /* §5.3.2.22..24 */
    uint8_t sar_total_segments, sar_segment_seqnum;
    int has_user_message_reference;
    uint16_t user_message_reference;
    /* §5.3.2.32; on decode it points into the input buffer. */
    const uint8_t *message_payload;
    uint16_t message_payload_len;
};

/* submit_sm (§4.4.1) and deliver_sm (§4.6.1) share one layout. */
struct smppf_sm {
    char service_type[6];
    uint8_t source_addr_ton, source_addr_npi;
    char source_addr[21];
    uint8_t dest_addr_ton, dest_addr_npi;
    char destination_addr[21];
    uint8_t esm_class;
    uint8_t protocol_id;
    uint8_t priority_flag;
    char schedule_delivery_time[17];
    char validity_period[17];
    uint8_t registered_delivery;
    uint8_t replace_if_present_flag;
    uint8_t data_coding;
    uint8_t sm_default_msg_id;
    uint8_t sm_length;
    uint8_t short_message[SMPPF_SM_MAX];
    struct smppf_tlvs tlv;
};

/* submit_sm_resp / deliver_sm_resp, §4.4.2 / §4.6.2. */
struct smppf_sm_resp {
    char message_id[65];
};

/* generic_nack, unbind(_resp), enquire_link(_resp) have no body. */
struct smppf_pdu {
    struct smppf_hdr hdr;
    union {
        struct smppf_bind bind;
        struct smppf_bind_resp bind_resp;
        struct smppf_sm sm; /* submit_sm, deliver_sm */
        struct smppf_sm_resp sm_resp;
    } u;
};

/* esm_class bits, §5.2.12 */
#define SMPPF_ESM_UDHI         0x40
#define SMPPF_ESM_TYPE_MASK    0x3C
#define SMPPF_ESM_TYPE_RECEIPT 0x04 /* SMSC delivery receipt */
#define SMPPF_ESM_TYPE_INTERM  0x20 /* intermediate delivery notification */

/* Checks the first 16 octets of a PDU (len >= 16). Fills *h (host order)
 * even when it returns an error, as far as it got.
 * Returns SMPPF_OK, SMPPF_ERR_SHORT (len < 16), SMPPF_ERR_LEN
 * (command_length outside [16, SMPPF_PDU_MAX]: the stream is not framed,
 * the link must be closed), or SMPPF_ERR_CMD (unknown command_id: the PDU
 * can be skipped by its command_length and answered with generic_nack). */
__attribute__((warn_unused_result)) enum smppf_err
smppf_header_check(const uint8_t *buf, size_t len, struct smppf_hdr *h);

/* Decodes one whole PDU of exactly len octets (len == command_length).
 * Every check of docs/smpp.md runs before libsmpp34 sees an octet.
 * Response PDUs with a non-zero command_status are decoded from the header
 * alone (their body is empty, one NUL, or vendor garbage: §4.4.2 says the
 * message_id is only meaningful on success). On error *pdu->hdr is filled
 * whenever the header was readable, so the caller can answer it.
 * Returns SMPPF_OK or a negative enum smppf_err. */
__attribute__((warn_unused_result)) enum smppf_err smppf_decode(const uint8_t *buf, size_t len,
                                                                struct smppf_pdu *pdu);

/* smppf_decode with libsmpp34's second pass for every PDU (smppf_decode
 * runs it for binds only): the same answers, or SMPPF_ERR_LIB where the
 * two parsers disagree. For the tests that hold smppf_decode to
 * libsmpp34's reading (test_smppf, fuzz_smpp_pdu). */
__attribute__((warn_unused_result)) enum smppf_err smppf_decode_lib(const uint8_t *buf, size_t len,
                                                                    struct smppf_pdu *pdu);

/* Encodes pdu (hdr.command_id, hdr.command_status, hdr.sequence_number
 * taken from it; command_length computed) into out. *outlen gets the PDU
 * length. Fields over their §4 limits are an error, never truncated.
 * Returns SMPPF_OK, SMPPF_ERR_SPACE, SMPPF_ERR_VALUE or
 * SMPPF_ERR_UNSUPPORTED. */
__attribute__((warn_unused_result)) enum smppf_err
smppf_encode(const struct smppf_pdu *pdu, uint8_t *out, size_t cap, size_t *outlen);

/* submit_sm or deliver_sm packed by libsmpp34 whatever smppf_encode()
 * does (it writes submit_sm itself): the cross-check of the direct
 * encoder. Same checks and errors; libsmpp34 wants one spare output octet.
 * Others: SMPPF_ERR_UNSUPPORTED. */
__attribute__((warn_unused_result)) enum smppf_err
smppf_encode_lib(const struct smppf_pdu *pdu, uint8_t *out, size_t cap, size_t *outlen);

/* Convenience for the PDUs without a body (generic_nack, enquire_link(_resp),
 * unbind(_resp)) and for the two resps with only a message_id: writes into
 * out (cap >= 16 + 65). Returns the length, or 0 if cap is too small. */
size_t smppf_encode_empty(uint32_t command_id, uint32_t status, uint32_t seq, uint8_t *out,
                          size_t cap);
size_t smppf_encode_sm_resp(uint32_t command_id, uint32_t status, uint32_t seq,
                            const char *message_id, uint8_t *out, size_t cap);

/* 1 for command_ids this codec knows (the enum above), else 0. */
int smppf_cmd_known(uint32_t command_id);
/* 1 when command_id is a response (bit 31, §5.1.2.1). */
static inline int smppf_cmd_is_resp(uint32_t command_id)
{
    return (command_id & 0x80000000u) != 0;
}

/* "submit_sm", "deliver_sm_resp", ...; "unknown" for others. Static text. */
const char *smppf_cmd_name(uint32_t command_id);
/* "ESME_RTHROTTLED" for 0x58; "ESME_VENDOR" for 0x400..0x4FF; "ESME_UNKNOWN"
 * otherwise. Static text. */
const char *smppf_status_name(uint32_t status);
/* The command_status to answer a request that failed to decode with e
 * (ESME_RINVCMDLEN for framing, ESME_RINVCMDID for an unknown command,
 * ESME_RINVOPTPARSTREAM for TLVs, ESME_RINVMSGLEN, else ESME_RSYSERR). */
uint32_t smppf_err_status(enum smppf_err e);
/* One-line text for an error code. Static text. */
const char *smppf_strerror(enum smppf_err e);

#endif
