/* udh.h — SMS-PP transport of secured packets: the TP-UD User Data Header
 * (3GPP TS 23.040 §9.2.3.24) with the Command/Response Packet Identifiers of
 * TS 31.115 §4.2/§4.3, splitting a secured packet into concatenated SMs and
 * reassembling them.
 *
 * Owns: IEI 70 (Command Packet Identifier, CPI) and 71 (Response Packet
 * Identifier, RPI), both with length 0; concatenation IEIs 00 (8-bit
 * reference) and 08 (16-bit reference), TS 23.040 §9.2.3.24.1 / .8. A single
 * SM carries at most 140 octets of TP-UD including the UDH, so at most 137
 * octets of secured packet after "02 70 00".
 *
 * No I/O, no clock, no logging, no allocation: the reassembly table is memory
 * the caller gives, and time is a value the caller passes in. */
#ifndef OTAGW_CODEC_UDH_H
#define OTAGW_CODEC_UDH_H

#include <stddef.h>
#include <stdint.h>

/* TP-PID "(U)SIM Data download" (TS 23.040 §9.2.3.9) and TP-DCS class 2,
 * 8-bit data (TS 23.038 §4): F6 in the "data coding/message class" group,
 * 16 in the general group. The gateway puts these in submit_sm. */
#define UDH_TP_PID_SIM_DATA_DOWNLOAD 0x7F
#define UDH_TP_DCS_CLASS2_8BIT       0xF6
#define UDH_TP_DCS_CLASS2_8BIT_ALT   0x16

#define UDH_IEI_CONCAT8  0x00
#define UDH_IEI_CONCAT16 0x08
#define UDH_IEI_CPI      0x70 /* command packet follows */
#define UDH_IEI_RPI      0x71 /* response packet follows */

#define UDH_TPUD_MAX 140 /* octets of TP-UD in one SM, UDH included */
/* 140 - "02 70 00". pySim allows 140 octets of packet in one SM; TS 23.040
 * §9.2.3.24 counts the UDH inside the 140-octet TP-UD, and so do we. */
#define UDH_SINGLE_MAX 137
/* 8-bit reference: first SM "07 00 03 rr nn 01 70 00" then 132 octets, later
 * SMs "05 00 03 rr nn ii" then 134 octets. 16-bit reference: one more octet
 * of UDH each (131 / 133). */
#define UDH_FIRST_CAP8  132
#define UDH_NEXT_CAP8   134
#define UDH_FIRST_CAP16 131
#define UDH_NEXT_CAP16  133
/* Most SMs one secured packet may take, both ways (our bound, not the spec's:
 * TS 23.040 allows 255; cards and SMSCs choke far earlier). */
#define UDH_SM_MAX      16
#define UDH_PAYLOAD_MAX (UDH_FIRST_CAP8 + (UDH_SM_MAX - 1) * UDH_NEXT_CAP8) /* 2142 */

enum udh_err {
    UDH_OK = 0,
    UDH_ERR_ARG = -1,       /* NULL pointer, bad IEI, no room in the output */
    UDH_ERR_TOO_LONG = -2,  /* needs more than UDH_SM_MAX SMs */
    UDH_ERR_TRUNC = -3,     /* TP-UD shorter than its UDHL / an IE length */
    UDH_ERR_MALFORMED = -4, /* concat IE with bad length, total 0, seq 0 or > total */
    UDH_ERR_CONFLICT = -5,  /* same reference, same seq, different content */
};

const char *udh_strerror(int err);

/* Number of SMs a command packet of secured_len octets (CPL .. end) takes
 * with the 8-bit reference: 1 up to 137 octets, then 132 + 134 per SM.
 * 0 when secured_len is 0 or needs more than UDH_SM_MAX SMs. */
unsigned udh_cmd_sm_count(size_t secured_len);

/* One SM's TP-UD (UDH included); what goes in submit_sm's short_message. */
struct udh_sm {
    uint8_t ud[UDH_TPUD_MAX];
    uint8_t len;
};

enum udh_ref { UDH_REF8 = 0, UDH_REF16 = 1 };

/* Splits a secured packet (pkt, CPL/RPL .. end) behind IEI iei (UDH_IEI_CPI
 * or UDH_IEI_RPI) into SMs: one SM "02 iei 00 pkt" when it fits in 137
 * octets, else concatenated SMs with reference ref (ref & 0xFF with
 * UDH_REF8), the CPI/RPI IE in the first SM only (TS 31.115 §4.2). Returns
 * the number of SMs written to out (at most max), or a negative enum udh_err. */
__attribute__((warn_unused_result)) int udh_split(uint8_t iei, const uint8_t *pkt, size_t len,
                                                  enum udh_ref kind, uint16_t ref,
                                                  struct udh_sm *out, size_t max);

/* One SM's TP-UD, parsed. */
struct udh_info {
    uint8_t iei; /* UDH_IEI_CPI, UDH_IEI_RPI, or 0 when neither is present */
    int concat;  /* 0: single SM; 8 or 16: concatenation reference size */
    uint16_t ref;
    uint8_t total, seq;
    const uint8_t *payload; /* octets after the UDH, inside ud */
    size_t payload_len;
};

/* Parses the UDH of a TP-UD that has UDHI set (TS 23.040 §9.2.3.24): walks
 * every IE, keeps the CPI/RPI and concatenation ones, skips the others.
 * Returns 0 or a negative enum udh_err. */
__attribute__((warn_unused_result)) int udh_parse(const uint8_t *ud, size_t len,
                                                  struct udh_info *out);

/* ---- reassembly of concatenated SMs ------------------------------------ */

#define UDH_ORIGIN_MAX 24 /* originator id incl. NUL (SMPP source_addr is 21) */

/* One partial message; the caller allocates an array of these and never
 * touches the fields. */
struct udh_reasm_slot {
    uint8_t used;
    uint8_t ref16;
    uint8_t total;
    uint8_t iei;
    uint16_t ref;
    uint32_t have; /* bit seq-1 set when segment seq is stored */
    uint64_t deadline;
    uint64_t born;
    char origin[UDH_ORIGIN_MAX];
    uint8_t seg_len[UDH_SM_MAX];
    uint8_t seg[UDH_SM_MAX][UDH_TPUD_MAX];
};

struct udh_reasm {
    struct udh_reasm_slot *slots;
    size_t nslots;
    uint64_t ttl;     /* a partial message lives this long after its first SM */
    uint64_t evicted; /* partial messages dropped to make room (statistics) */
    uint64_t expired; /* partial messages dropped by age (statistics) */
};

/* Prepares r over the caller's nslots slots; ttl is in the caller's time unit
 * (the same unit as every `now` given later). */
void udh_reasm_init(struct udh_reasm *r, struct udh_reasm_slot *slots, size_t nslots, uint64_t ttl);

/* A complete secured packet. */
struct udh_msg {
    uint8_t iei; /* UDH_IEI_CPI / UDH_IEI_RPI from the SM(s), 0 when none had one */
    size_t len;
    uint8_t data[UDH_PAYLOAD_MAX]; /* CPL/RPL .. end, no UDH */
};

enum udh_reasm_result {
    UDH_R_PENDING = 0,   /* stored; waiting for more segments */
    UDH_R_COMPLETE = 1,  /* *out holds the whole packet; the slot is free again */
    UDH_R_DUPLICATE = 2, /* a segment already held, same content: ignored */
};

/* Adds one SM's TP-UD (UDHI set) from originator `origin` at time `now`. A
 * single SM (no concatenation IE) completes at once. Segments may come in any
 * order; a repeated one is ignored; a slot is keyed by (origin, reference
 * size, ref, total). Partial messages older than the ttl are dropped first;
 * when the table is full the oldest partial message is evicted. Returns an
 * enum udh_reasm_result or a negative enum udh_err (then nothing is stored). */
__attribute__((warn_unused_result)) int udh_reasm_add(struct udh_reasm *r, const char *origin,
                                                      uint64_t now, const uint8_t *ud, size_t len,
                                                      struct udh_msg *out);

/* Drops partial messages whose ttl has passed at `now` (their missing
 * segments will not come). Returns how many were dropped. */
size_t udh_reasm_expire(struct udh_reasm *r, uint64_t now);

#endif
