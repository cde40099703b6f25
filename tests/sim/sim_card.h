/* sim_card.h — a simulated SIM card: file system, keysets and counters, the
 * TARs it serves, a multi-IMSI applet and an eUICC ISD-R; it verifies and
 * executes 03.48 command packets the way a card does, and answers with the
 * PoR its SPI asks for.
 *
 * No I/O, no clock, no logging: the SMSC side (sim_smsc.c) hands it TP-UD
 * octets and sends what it returns. Cards are loaded from a card file by
 * sim_cards.c (format in docs/simulator.md).
 *
 * Specs: TS 102 225 §5 (secured packets, SPI/KIc/KID, counters, PoR status),
 * TS 31.115 §4 (SMS-PP transport, PoR via SMS-SUBMIT), TS 102 226 §5 (RFM
 * compact and expanded formats), TS 102 221 §10-11 and TS 51.011 §9 (APDUs,
 * status words), SGP.02 §4.1 / SGP.03 (ISD-R STORE DATA enable/disable). */
#ifndef OTAGW_SIM_CARD_H
#define OTAGW_SIM_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "tests/sim/sim_crypto.h"

#define SIM_ICCID_MAX     20
#define SIM_MSISDN_MAX    20
#define SIM_NAME_MAX      32
#define SIM_MAX_KEYSETS   8  /* per card */
#define SIM_MAX_TARS      8  /* per card */
#define SIM_MAX_FILES     24 /* per card, DFs included */
#define SIM_MAX_SLOTS     16 /* multi-IMSI applet */
#define SIM_MAX_PROFILES  4  /* eUICC */
#define SIM_MAX_CONCAT    64 /* concatenations in progress, all cards */
#define SIM_MAX_PARTS     16 /* SMs per concatenated packet */
#define SIM_PACKET_MAX    (SIM_MAX_PARTS * 140)
#define SIM_RESP_MAX      512 /* response data a PoR may carry */
#define SIM_POR_MAX       (SIM_RESP_MAX + 64)
#define SIM_FILE_DATA_MAX 256

enum sim_class { SIM_CLASS_SIM, SIM_CLASS_UICC };
enum sim_tar_kind { SIM_TAR_RFM, SIM_TAR_APPLET, SIM_TAR_ISDR };

/* PoR status codes, TS 102 225 §5.2.2 / TS 31.115 §7. */
enum sim_rsc {
    SIM_RSC_OK = 0x00,
    SIM_RSC_CC_FAIL = 0x01,
    SIM_RSC_CNTR_LOW = 0x02,
    SIM_RSC_CNTR_HIGH = 0x03,
    SIM_RSC_CNTR_BLOCKED = 0x04,
    SIM_RSC_CIPHER = 0x05,
    SIM_RSC_SECURITY = 0x06,
    SIM_RSC_MEMORY = 0x07,
    SIM_RSC_MORE_TIME = 0x08,
    SIM_RSC_TAR_UNKNOWN = 0x09,
    SIM_RSC_LEVEL = 0x0A,
};

/* A named keyset, as in the gateway's keystore (docs/DESIGN.md). */
struct sim_keyset {
    char name[SIM_NAME_MAX];
    struct sim_key kic, kid;
    uint8_t kic_kvn, kid_kvn; /* 1..15 */
};

enum sim_ftype { SIM_F_MF, SIM_F_DF, SIM_F_ADF, SIM_F_TRANSPARENT, SIM_F_LINEAR };

struct sim_file {
    uint16_t fid;
    int8_t parent; /* index in sim_card.files, -1 for the MF */
    uint8_t type;  /* enum sim_ftype */
    uint8_t readonly;
    uint8_t sfi;           /* short file identifier, 0: none (TS 102 221 §8.3) */
    uint8_t rec_len, nrec; /* linear fixed */
    uint16_t size;         /* transparent: octets; linear: rec_len * nrec */
    uint8_t data[SIM_FILE_DATA_MAX];
};

struct sim_tar {
    uint8_t tar[3];
    uint8_t kind;     /* enum sim_tar_kind */
    uint8_t expanded; /* TS 102 226 §5.2 expanded format */
    uint8_t msl;      /* minimum security level, SPI1 coding (TS 102 226 §8.2.1.3.2.4) */
};

struct sim_card_key {
    int keyset; /* index into sim_world.keysets, -1 until resolved */
    char name[SIM_NAME_MAX];
    uint64_t counter;
    uint64_t used; /* packets accepted with this keyset */
};

/* One concatenated packet being reassembled (TS 23.040 §9.2.3.24.1). */
struct sim_concat {
    int card; /* index in sim_world.cards, -1 free */
    uint16_t ref;
    uint8_t total, have;
    uint64_t age; /* sim_world.tick when started, for eviction */
    uint16_t len[SIM_MAX_PARTS];
    uint8_t part[SIM_MAX_PARTS][140];
};

struct sim_card {
    char iccid[SIM_ICCID_MAX + 1];
    char msisdn[SIM_MSISDN_MAX + 1];
    uint8_t cls; /* enum sim_class */
    unsigned nfiles;
    struct sim_file files[SIM_MAX_FILES];
    unsigned nkeys;
    struct sim_card_key keys[SIM_MAX_KEYSETS];
    unsigned ntars;
    struct sim_tar tars[SIM_MAX_TARS];
    uint64_t counter_window; /* 0: no upper bound on a counter jump (mode 10) */
    /* Multi-IMSI applet command: a C-APDU template in which the octet
     * written "SS" in the card file is the 1-based slot (slot_pos). */
    uint8_t applet_cmd[32], applet_cmd_len, applet_slot_pos;
    /* Multi-IMSI applet: slots of IMSIs (digits), one active (1-based). */
    unsigned nslots, active_slot;
    char slots[SIM_MAX_SLOTS][16];
    /* eUICC: ISD-P AIDs, one enabled (1-based, 0: none). */
    unsigned nprofiles, enabled_profile;
    struct {
        uint8_t aid[16];
        uint8_t len;
    } profiles[SIM_MAX_PROFILES];
    /* Statistics the state dump shows. */
    uint64_t packets, executed, rejected, pors, apdus, switches;
    unsigned line;  /* card file line, for messages */
    uint8_t fs_set; /* ef./rec./ro/imsi seen: class may no longer change */
    uint8_t imsi_set;
};

struct sim_world {
    unsigned nkeysets, keysets_cap;
    struct sim_keyset *keysets;
    unsigned ncards, cards_cap;
    struct sim_card *cards;
    uint64_t tick; /* bumped per delivered SM (reassembly eviction) */
    struct sim_concat concat[SIM_MAX_CONCAT];
    unsigned warnings;
    /* Lookup by MSISDN / ICCID: open addressing, built by sim_world_index. */
    unsigned hcap;
    int *by_msisdn, *by_iccid;
};

/* What processing one complete command packet produced. */
struct sim_result {
    int dropped;       /* 1: malformed beyond answering; nothing was done */
    int executed;      /* 1: the secured data was run */
    uint8_t rsc;       /* PoR status code */
    int send_por;      /* 1: por[] holds the response packet to send */
    int keyset;        /* world keyset index used, -1 none */
    uint64_t cntr;     /* CNTR of the command */
    uint8_t tar[3];    /* TAR of the command */
    int profile_event; /* eUICC: 1 enable, 2 disable succeeded (notification) */
    uint8_t spi2;
    size_t por_len;
    /* The response packet's TP-UD, 02 71 00 included (TS 31.115 §4.3). */
    uint8_t por[SIM_POR_MAX];
};

void sim_world_init(struct sim_world *w);
void sim_world_free(struct sim_world *w); /* wipes keys; NULL is a no-op */

/* (Re)builds the MSISDN/ICCID lookup. Returns 0 or -ENOMEM, -EEXIST (a
 * duplicate MSISDN or ICCID). */
__attribute__((warn_unused_result)) int sim_world_index(struct sim_world *w);
struct sim_card *sim_world_by_msisdn(const struct sim_world *w, const char *msisdn);
struct sim_card *sim_world_by_iccid(const struct sim_world *w, const char *iccid);

/* Gives a new card its standard file system for its class (TS 31.102 /
 * TS 51.011 EFs of docs/simulator.md), with empty contents. */
void sim_card_default_fs(struct sim_card *c);
int sim_card_find_file(const struct sim_card *c, uint16_t fid); /* index or -1 */

/* One SMS TP-UD for the card. udhi: the UDH indicator of the SM. When the
 * SM completes a command packet, the packet is processed and *res filled,
 * and the return is 1; 0 when it was kept for reassembly (or ignored: not
 * an OTA SM), with res->dropped telling which; negative errno on misuse. */
__attribute__((warn_unused_result)) int sim_card_deliver(struct sim_world *w, struct sim_card *c,
                                                         const uint8_t *ud, size_t len, int udhi,
                                                         struct sim_result *res);

/* Processes one command packet (from CPL on, TS 102 225 §5.1). Always fills
 * *res. */
void sim_card_process(struct sim_world *w, struct sim_card *c, const uint8_t *pkt, size_t len,
                      struct sim_result *res);

/* The state one script runs in: current DF and EF, current record, the
 * response a GET RESPONSE would fetch. sim_rfm_start() puts it where the
 * TAR's application starts (TS 102 226 §7: MF; ADF USIM for USIM RFM). */
struct sim_rfm {
    int df, ef, rec;
    uint8_t resp_len;
    uint8_t resp[64];
};
void sim_rfm_start(const struct sim_card *c, const struct sim_tar *t, struct sim_rfm *r);

/* Runs one C-APDU (CLA INS P1 P2 [P3 [data]]) as the application behind t
 * would. Response data into rdata (room SIM_RESP_MAX), returns the status
 * word. Exposed for tests. */
uint16_t sim_card_apdu(struct sim_card *c, const struct sim_tar *t, struct sim_rfm *r,
                       const uint8_t *apdu, size_t len, uint8_t *rdata, size_t *rlen);

/* IMSI digits <-> EF_IMSI (TS 31.102 §4.2.2). */
__attribute__((warn_unused_result)) int sim_imsi_encode(const char *digits, uint8_t out[9]);
__attribute__((warn_unused_result)) int sim_imsi_decode(const uint8_t in[9], char out[16]);

#endif
