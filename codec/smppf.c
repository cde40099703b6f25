/* smppf.c — SMPP 3.4 frames: the bounds-checked pre-parser, and the only
 * file of the tree that includes <smpp34.h>.
 *
 * It owns libsmpp34's habits (LIBSMPP34.md): the memset before unpack,
 * destroy_tlv() after every unpack (failed ones too), the global error text
 * nobody else may read, the zero octets it needs after a PDU (it strlen()s
 * before checking lengths), the spare output octet pack wants.
 *
 * Decoding: ours walks the whole PDU: every C-Octet String found
 * terminated within its SMPP 3.4 §4 limit, sm_length within the PDU, every
 * TLV whole and counted (SMPPF_TLV_MAX). A second pass by libsmpp34 must
 * agree with it (binds always; every PDU in smppf_decode_lib()): it sees a
 * private copy of the mandatory part, without the TLVs (29+ TLVs overflow
 * its 2048-octet error text and crash it), with the header values it
 * refuses (vendor command_status, sequence 0) and the TON/NPI/
 * interface_version octets outside its tables replaced by neutral ones; our
 * own values are put back after. TLVs are decoded here, never by
 * libsmpp34 (it allocates about 1 KiB per TLV). smppf_decode() leaves the
 * second pass out for the per-message PDUs (submit_sm, deliver_sm and
 * their resps): their unpack formats some 16 error texts per PDU, a third
 * of otagw's CPU per job (docs/queue.md "Performance"); test_smppf and
 * fuzz_smpp_pdu hold the two decoders to the same answers instead.
 *
 * Encoding: libsmpp34 packs the mandatory part of bind_*, bind_*_resp
 * and deliver_sm from a local struct (it truncates over-long strings in
 * the caller's struct: we check limits first and never let it touch ours);
 * TLVs are appended here. submit_sm, the gateway's hot path, is written
 * directly (libsmpp34's pack cost most of the CPU per SM; docs/smpp.md)
 * and checked octet for octet against libsmpp34's packing by test_smppf
 * through smppf_encode_lib(). PDUs without a body and the two message_id
 * resps are three lines of octets and are written directly too. */
#include "codec/smppf.h"

#include <string.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

/* ---- names ------------------------------------------------------------ */

static const struct {
    uint32_t id;
    const char *name;
} cmd_names[] = {
    {SMPPF_GENERIC_NACK, "generic_nack"},
    {SMPPF_BIND_RECEIVER, "bind_receiver"},
    {SMPPF_BIND_RECEIVER_RESP, "bind_receiver_resp"},
    {SMPPF_BIND_TRANSMITTER, "bind_transmitter"},
    {SMPPF_BIND_TRANSMITTER_RESP, "bind_transmitter_resp"},
    {SMPPF_SUBMIT_SM, "submit_sm"},
    {SMPPF_SUBMIT_SM_RESP, "submit_sm_resp"},
    {SMPPF_DELIVER_SM, "deliver_sm"},
    {SMPPF_DELIVER_SM_RESP, "deliver_sm_resp"},
    {SMPPF_UNBIND, "unbind"},
    {SMPPF_UNBIND_RESP, "unbind_resp"},
    {SMPPF_BIND_TRANSCEIVER, "bind_transceiver"},
    {SMPPF_BIND_TRANSCEIVER_RESP, "bind_transceiver_resp"},
    {SMPPF_ENQUIRE_LINK, "enquire_link"},
    {SMPPF_ENQUIRE_LINK_RESP, "enquire_link_resp"},
};

int smppf_cmd_known(uint32_t id)
{
    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (cmd_names[i].id == id)
            return 1;
    return 0;
}

const char *smppf_cmd_name(uint32_t id)
{
    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (cmd_names[i].id == id)
            return cmd_names[i].name;
    return "unknown";
}

#define ST(x)                                                                                      \
    {                                                                                              \
        SMPPF_##x, #x                                                                              \
    }
static const struct {
    uint32_t st;
    const char *name;
} status_names[] = {
    ST(ESME_ROK),
    ST(ESME_RINVMSGLEN),
    ST(ESME_RINVCMDLEN),
    ST(ESME_RINVCMDID),
    ST(ESME_RINVBNDSTS),
    ST(ESME_RALYBND),
    ST(ESME_RINVPRTFLG),
    ST(ESME_RINVREGDLVFLG),
    ST(ESME_RSYSERR),
    ST(ESME_RINVSRCADR),
    ST(ESME_RINVDSTADR),
    ST(ESME_RINVMSGID),
    ST(ESME_RBINDFAIL),
    ST(ESME_RINVPASWD),
    ST(ESME_RINVSYSID),
    ST(ESME_RCANCELFAIL),
    ST(ESME_RREPLACEFAIL),
    ST(ESME_RMSGQFUL),
    ST(ESME_RINVSERTYP),
    ST(ESME_RINVNUMDESTS),
    ST(ESME_RINVDLNAME),
    ST(ESME_RINVDESTFLAG),
    ST(ESME_RINVSUBREP),
    ST(ESME_RINVESMCLASS),
    ST(ESME_RCNTSUBDL),
    ST(ESME_RSUBMITFAIL),
    ST(ESME_RINVSRCTON),
    ST(ESME_RINVSRCNPI),
    ST(ESME_RINVDSTTON),
    ST(ESME_RINVDSTNPI),
    ST(ESME_RINVSYSTYP),
    ST(ESME_RINVREPFLAG),
    ST(ESME_RINVNUMMSGS),
    ST(ESME_RTHROTTLED),
    ST(ESME_RINVSCHED),
    ST(ESME_RINVEXPIRY),
    ST(ESME_RINVDFTMSGID),
    ST(ESME_RX_T_APPN),
    ST(ESME_RX_P_APPN),
    ST(ESME_RX_R_APPN),
    ST(ESME_RQUERYFAIL),
    ST(ESME_RINVOPTPARSTREAM),
    ST(ESME_ROPTPARNOTALLWD),
    ST(ESME_RINVPARLEN),
    ST(ESME_RMISSINGOPTPARAM),
    ST(ESME_RINVOPTPARAMVAL),
    ST(ESME_RDELIVERYFAILURE),
    ST(ESME_RUNKNOWNERR),
};
#undef ST

const char *smppf_status_name(uint32_t st)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].st == st)
            return status_names[i].name;
    /* §5.1.3: 0x400-0x4FF "Reserved for SMSC vendor specific errors". */
    if (st >= 0x400 && st <= 0x4FF)
        return "ESME_VENDOR";
    return "ESME_UNKNOWN";
}

const char *smppf_strerror(enum smppf_err e)
{
    switch (e) {
    case SMPPF_OK:
        return "ok";
    case SMPPF_ERR_SHORT:
        return "PDU shorter than its header or command_length";
    case SMPPF_ERR_LEN:
        return "command_length outside 16..8192";
    case SMPPF_ERR_CMD:
        return "unknown command_id";
    case SMPPF_ERR_FIELD:
        return "C-Octet String unterminated or over its limit";
    case SMPPF_ERR_TRAILING:
        return "octets after the last field that are not whole TLVs";
    case SMPPF_ERR_TLV:
        return "malformed TLV";
    case SMPPF_ERR_TLV_COUNT:
        return "too many TLVs";
    case SMPPF_ERR_SM_LEN:
        return "sm_length past the PDU, or short_message and message_payload both set";
    case SMPPF_ERR_LIB:
        return "libsmpp34 refused a PDU our checks passed";
    case SMPPF_ERR_SPACE:
        return "output buffer too small";
    case SMPPF_ERR_VALUE:
        return "field over its limit";
    case SMPPF_ERR_UNSUPPORTED:
        return "command not supported by this codec";
    }
    return "unknown error";
}

uint32_t smppf_err_status(enum smppf_err e)
{
    switch (e) {
    case SMPPF_OK:
        return SMPPF_ESME_ROK;
    case SMPPF_ERR_SHORT:
    case SMPPF_ERR_LEN:
    case SMPPF_ERR_TRAILING:
        return SMPPF_ESME_RINVCMDLEN;
    case SMPPF_ERR_CMD:
    case SMPPF_ERR_UNSUPPORTED:
        return SMPPF_ESME_RINVCMDID;
    case SMPPF_ERR_TLV:
    case SMPPF_ERR_TLV_COUNT:
        return SMPPF_ESME_RINVOPTPARSTREAM;
    case SMPPF_ERR_SM_LEN:
        return SMPPF_ESME_RINVMSGLEN;
    case SMPPF_ERR_FIELD:
    case SMPPF_ERR_LIB:
    case SMPPF_ERR_SPACE:
    case SMPPF_ERR_VALUE:
        break;
    }
    return SMPPF_ESME_RSYSERR;
}

/* ---- octets ------------------------------------------------------------ */

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

enum smppf_err smppf_header_check(const uint8_t *buf, size_t len, struct smppf_hdr *h)
{
    memset(h, 0, sizeof *h);
    if (len < SMPPF_HDR_LEN)
        return SMPPF_ERR_SHORT;
    h->command_length = get32(buf);
    h->command_id = get32(buf + 4);
    h->command_status = get32(buf + 8);
    h->sequence_number = get32(buf + 12);
    if (h->command_length < SMPPF_HDR_LEN || h->command_length > SMPPF_PDU_MAX)
        return SMPPF_ERR_LEN;
    if (!smppf_cmd_known(h->command_id))
        return SMPPF_ERR_CMD;
    return SMPPF_OK;
}

/* ---- our walk ------------------------------------------------------------ */

struct rd {
    const uint8_t *p;
    size_t n, off;
};

/* A C-Octet String of at most max octets including its NUL (§3.1). */
static enum smppf_err rd_cstr(struct rd *r, size_t max, char *out)
{
    size_t lim = r->n - r->off < max ? r->n - r->off : max;
    const uint8_t *z = memchr(r->p + r->off, 0, lim);
    if (!z)
        return r->n - r->off < max ? SMPPF_ERR_SHORT : SMPPF_ERR_FIELD;
    size_t l = (size_t)(z - (r->p + r->off));
    if (out) {
        memcpy(out, r->p + r->off, l);
        out[l] = 0;
    }
    r->off += l + 1;
    return SMPPF_OK;
}

static enum smppf_err rd_u8(struct rd *r, uint8_t *v)
{
    if (r->off >= r->n)
        return SMPPF_ERR_SHORT;
    *v = r->p[r->off++];
    return SMPPF_OK;
}

/* TLVs from r->off to the end (§3.2.4.1): tag(2) length(2) value. */
static enum smppf_err rd_tlvs(struct rd *r, struct smppf_tlvs *t)
{
    while (r->off < r->n) {
        if (r->n - r->off < 4)
            return SMPPF_ERR_TRAILING;
        uint16_t tag = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
        uint16_t l = (uint16_t)(r->p[r->off + 2] << 8 | r->p[r->off + 3]);
        r->off += 4;
        if (r->n - r->off < l)
            return SMPPF_ERR_TLV;
        if (++t->count > SMPPF_TLV_MAX)
            return SMPPF_ERR_TLV_COUNT;
        const uint8_t *v = r->p + r->off;
        switch (tag) {
        case SMPPF_TAG_RECEIPTED_MESSAGE_ID: {
            /* §5.3.2.12: C-Octet String, up to 65 with its NUL. Some
             * SMSCs omit the NUL; accept both, reject embedded NULs. */
            size_t sl = l;
            if (sl > 0 && v[sl - 1] == 0)
                sl--;
            if (sl > 64 || memchr(v, 0, sl))
                return SMPPF_ERR_TLV;
            memcpy(t->receipted_message_id, v, sl);
            t->receipted_message_id[sl] = 0;
            t->has_receipted_message_id = 1;
            break;
        }
        case SMPPF_TAG_MESSAGE_STATE: /* §5.3.2.35: 1 octet */
            if (l != 1)
                return SMPPF_ERR_TLV;
            t->message_state = v[0];
            t->has_message_state = 1;
            break;
        case SMPPF_TAG_NETWORK_ERROR_CODE: /* §5.3.2.31: type(1) code(2) */
            if (l != 3)
                return SMPPF_ERR_TLV;
            t->network_type = v[0];
            t->network_error = (uint16_t)(v[1] << 8 | v[2]);
            t->has_network_error_code = 1;
            break;
        case SMPPF_TAG_MESSAGE_PAYLOAD: /* §5.3.2.32 */
            if (l > SMPPF_PAYLOAD_MAX)
                return SMPPF_ERR_TLV;
            t->message_payload = v;
            t->message_payload_len = l;
            break;
        case SMPPF_TAG_SAR_MSG_REF_NUM:
            if (l != 2)
                return SMPPF_ERR_TLV;
            t->sar_msg_ref_num = (uint16_t)(v[0] << 8 | v[1]);
            t->has_sar |= 1;
            break;
        case SMPPF_TAG_SAR_TOTAL_SEGMENTS:
            if (l != 1)
                return SMPPF_ERR_TLV;
            t->sar_total_segments = v[0];
            t->has_sar |= 2;
            break;
        case SMPPF_TAG_SAR_SEGMENT_SEQNUM:
            if (l != 1)
                return SMPPF_ERR_TLV;
            t->sar_segment_seqnum = v[0];
            t->has_sar |= 4;
            break;
        case SMPPF_TAG_USER_MESSAGE_REFERENCE:
            if (l != 2)
                return SMPPF_ERR_TLV;
            t->user_message_reference = (uint16_t)(v[0] << 8 | v[1]);
            t->has_user_message_reference = 1;
            break;
        default:
            t->unknown++;
            break;
        }
        r->off += l;
    }
    /* sar_* only count as a set (§5.3.2.22: all three or none). */
    t->has_sar = t->has_sar == 7;
    return SMPPF_OK;
}

/* Octet offsets libsmpp34's copy must patch, found by the walk. */
struct walk {
    size_t mand_end; /* end of the mandatory part = start of TLVs */
    size_t ton_off[2], npi_off[2];
    unsigned naddr;
    size_t ifver_off; /* 0 = none */
};

static int ton_ok(uint8_t v)
{
    return v <= 6; /* §5.2.5 */
}

static int npi_ok(uint8_t v)
{
    /* §5.2.6 */
    return v == 0 || v == 1 || v == 3 || v == 4 || v == 6 || v == 8 || v == 9 || v == 10 ||
           v == 14 || v == 18;
}

#define TRY(x)                                                                                     \
    do {                                                                                           \
        enum smppf_err e_ = (x);                                                                   \
        if (e_ != SMPPF_OK)                                                                        \
            return e_;                                                                             \
    } while (0)

static enum smppf_err walk_bind(struct rd *r, struct smppf_bind *b, struct walk *w)
{
    TRY(rd_cstr(r, 16, b->system_id));
    TRY(rd_cstr(r, 9, b->password));
    TRY(rd_cstr(r, 13, b->system_type));
    w->ifver_off = r->off;
    TRY(rd_u8(r, &b->interface_version));
    w->ton_off[0] = r->off;
    TRY(rd_u8(r, &b->addr_ton));
    w->npi_off[0] = r->off;
    TRY(rd_u8(r, &b->addr_npi));
    w->naddr = 1;
    TRY(rd_cstr(r, 41, b->address_range));
    w->mand_end = r->off;
    return r->off == r->n ? SMPPF_OK : SMPPF_ERR_TRAILING;
}

static enum smppf_err walk_sm(struct rd *r, struct smppf_sm *s, struct walk *w, int deliver)
{
    TRY(rd_cstr(r, 6, s->service_type));
    w->ton_off[0] = r->off;
    TRY(rd_u8(r, &s->source_addr_ton));
    w->npi_off[0] = r->off;
    TRY(rd_u8(r, &s->source_addr_npi));
    TRY(rd_cstr(r, 21, s->source_addr));
    w->ton_off[1] = r->off;
    TRY(rd_u8(r, &s->dest_addr_ton));
    w->npi_off[1] = r->off;
    TRY(rd_u8(r, &s->dest_addr_npi));
    w->naddr = 2;
    TRY(rd_cstr(r, 21, s->destination_addr));
    TRY(rd_u8(r, &s->esm_class));
    TRY(rd_u8(r, &s->protocol_id));
    TRY(rd_u8(r, &s->priority_flag));
    /* §4.6.1: in deliver_sm both times "must be set to NULL". */
    TRY(rd_cstr(r, deliver ? 1 : 17, s->schedule_delivery_time));
    TRY(rd_cstr(r, deliver ? 1 : 17, s->validity_period));
    TRY(rd_u8(r, &s->registered_delivery));
    TRY(rd_u8(r, &s->replace_if_present_flag));
    TRY(rd_u8(r, &s->data_coding));
    TRY(rd_u8(r, &s->sm_default_msg_id));
    TRY(rd_u8(r, &s->sm_length));
    /* §5.2.21: 0..254; libsmpp34 takes 254 on unpack. */
    if (r->n - r->off < s->sm_length)
        return SMPPF_ERR_SM_LEN;
    memcpy(s->short_message, r->p + r->off, s->sm_length);
    r->off += s->sm_length;
    w->mand_end = r->off;
    TRY(rd_tlvs(r, &s->tlv));
    /* §5.3.2.32: message_payload only with sm_length 0. */
    if (s->tlv.message_payload && s->sm_length)
        return SMPPF_ERR_SM_LEN;
    return SMPPF_OK;
}

/* ---- libsmpp34's pass ------------------------------------------------- */

/* The copy libsmpp34 reads: mandatory part + zero octets after it. */
#define LIBCOPY_PAD 16

static enum smppf_err lib_unpack(void *lstruct, size_t lsize, const uint8_t *buf,
                                 const struct walk *w)
{
    uint8_t copy[SMPPF_PDU_MAX + LIBCOPY_PAD];
    memcpy(copy, buf, w->mand_end);
    memset(copy + w->mand_end, 0, LIBCOPY_PAD);
    put32(copy, (uint32_t)w->mand_end);
    put32(copy + 8, 0); /* requests and successful resps: status is ours */
    if (get32(copy + 12) == 0)
        put32(copy + 12, 1);
    for (unsigned i = 0; i < w->naddr; i++) {
        if (!ton_ok(copy[w->ton_off[i]]))
            copy[w->ton_off[i]] = 0;
        if (!npi_ok(copy[w->npi_off[i]]))
            copy[w->npi_off[i]] = 0;
    }
    if (w->ifver_off)
        copy[w->ifver_off] = SMPP_VERSION;
    memset(lstruct, 0, lsize);
    int rc = smpp34_unpack2(lstruct, copy, (int)w->mand_end);
    return rc == 0 ? SMPPF_OK : SMPPF_ERR_LIB;
}

#define CPYSTR(dst, src)                                                                           \
    do {                                                                                           \
        memcpy((dst), (src), sizeof(dst));                                                         \
        (dst)[sizeof(dst) - 1] = 0;                                                                \
    } while (0)

/* Our walk already has every value; libsmpp34's must agree with it, or
 * one of the two parsers is wrong and the PDU is refused. */
static enum smppf_err decode_bind(const uint8_t *buf, size_t len, struct smppf_pdu *pdu)
{
    struct rd r = {buf, len, SMPPF_HDR_LEN};
    struct walk w = {0};
    struct smppf_bind *b = &pdu->u.bind;
    TRY(walk_bind(&r, b, &w));
    bind_transmitter_t lb; /* the three bind PDUs share one layout */
    TRY(lib_unpack(&lb, sizeof lb, buf, &w));
    if (strcmp((char *)lb.system_id, b->system_id) || strcmp((char *)lb.password, b->password) ||
        strcmp((char *)lb.address_range, b->address_range))
        return SMPPF_ERR_LIB;
    return SMPPF_OK;
}

static enum smppf_err decode_sm(const uint8_t *buf, size_t len, struct smppf_pdu *pdu, int deliver,
                                int lib)
{
    struct rd r = {buf, len, SMPPF_HDR_LEN};
    struct walk w = {0};
    struct smppf_sm *s = &pdu->u.sm;
    TRY(walk_sm(&r, s, &w, deliver));
    if (!lib)
        return SMPPF_OK;
    const uint8_t *lsm;
    const char *lsrc, *ldst;
    unsigned llen;
    if (deliver) {
        deliver_sm_t ld;
        TRY(lib_unpack(&ld, sizeof ld, buf, &w));
        destroy_tlv(ld.tlv);
        lsm = ld.short_message, lsrc = (char *)ld.source_addr, ldst = (char *)ld.destination_addr;
        llen = ld.sm_length;
        if (llen != s->sm_length || memcmp(lsm, s->short_message, llen) ||
            strcmp(lsrc, s->source_addr) || strcmp(ldst, s->destination_addr))
            return SMPPF_ERR_LIB;
    } else {
        submit_sm_t ls;
        TRY(lib_unpack(&ls, sizeof ls, buf, &w));
        destroy_tlv(ls.tlv);
        lsm = ls.short_message, lsrc = (char *)ls.source_addr, ldst = (char *)ls.destination_addr;
        llen = ls.sm_length;
        if (llen != s->sm_length || memcmp(lsm, s->short_message, llen) ||
            strcmp(lsrc, s->source_addr) || strcmp(ldst, s->destination_addr) ||
            strcmp((char *)ls.validity_period, s->validity_period))
            return SMPPF_ERR_LIB;
    }
    return SMPPF_OK;
}

static enum smppf_err decode_bind_resp(const uint8_t *buf, size_t len, struct smppf_pdu *pdu)
{
    struct rd r = {buf, len, SMPPF_HDR_LEN};
    struct smppf_bind_resp *b = &pdu->u.bind_resp;
    struct smppf_tlvs t = {0};
    if (r.off == r.n) /* some SMSCs send no body at all */
        return SMPPF_OK;
    TRY(rd_cstr(&r, 16, b->system_id));
    struct walk w = {.mand_end = r.off};
    TRY(rd_tlvs(&r, &t));
    /* sc_interface_version (§5.3.2.25) is the only TLV of a bind_resp; find
     * it in our walk (rd_tlvs counts it as unknown). */
    for (size_t o = w.mand_end; o + 5 <= len;) {
        uint16_t tag = (uint16_t)(buf[o] << 8 | buf[o + 1]);
        uint16_t l = (uint16_t)(buf[o + 2] << 8 | buf[o + 3]);
        if (tag == SMPPF_TAG_SC_INTERFACE_VERSION && l == 1) {
            b->has_sc_interface_version = 1;
            b->sc_interface_version = buf[o + 4];
        }
        o += 4u + l;
    }
    bind_transmitter_resp_t lb;
    TRY(lib_unpack(&lb, sizeof lb, buf, &w));
    destroy_tlv(lb.tlv);
    if (strcmp((char *)lb.system_id, b->system_id))
        return SMPPF_ERR_LIB;
    return SMPPF_OK;
}

static enum smppf_err decode_sm_resp(const uint8_t *buf, size_t len, struct smppf_pdu *pdu, int lib)
{
    struct rd r = {buf, len, SMPPF_HDR_LEN};
    struct smppf_tlvs t = {0};
    char *id = pdu->u.sm_resp.message_id;
    if (r.off == r.n) /* 16 octets: no body */
        return SMPPF_OK;
    TRY(rd_cstr(&r, 65, id));
    struct walk w = {.mand_end = r.off};
    TRY(rd_tlvs(&r, &t));
    if (!lib)
        return SMPPF_OK;
    if (pdu->hdr.command_id == SMPPF_SUBMIT_SM_RESP) {
        submit_sm_resp_t lr;
        TRY(lib_unpack(&lr, sizeof lr, buf, &w));
        if (strcmp((char *)lr.message_id, id))
            return SMPPF_ERR_LIB;
    } else if (!id[0]) {
        /* libsmpp34 knows deliver_sm_resp only with its unused empty id
         * (§4.6.2); an ESME that fills it in is answered all the same. */
        deliver_sm_resp_t lr;
        TRY(lib_unpack(&lr, sizeof lr, buf, &w));
    }
    return SMPPF_OK;
}

static enum smppf_err decode(const uint8_t *buf, size_t len, struct smppf_pdu *pdu, int lib)
{
    memset(pdu, 0, sizeof *pdu);
    TRY(smppf_header_check(buf, len, &pdu->hdr));
    if (pdu->hdr.command_length != len)
        return len < pdu->hdr.command_length ? SMPPF_ERR_SHORT : SMPPF_ERR_LEN;
    uint32_t id = pdu->hdr.command_id;
    /* A failed response carries no body we may rely on (§4.4.2: "The
     * submit_sm_resp PDU Body is not returned if the command_status field
     * contains a non-zero value"); many SMSCs still send one NUL or more,
     * which libsmpp34 refuses. Status and sequence are in the header. */
    if (smppf_cmd_is_resp(id) && pdu->hdr.command_status != 0)
        return SMPPF_OK;
    switch (id) {
    case SMPPF_BIND_RECEIVER:
    case SMPPF_BIND_TRANSMITTER:
    case SMPPF_BIND_TRANSCEIVER:
        return decode_bind(buf, len, pdu);
    case SMPPF_BIND_RECEIVER_RESP:
    case SMPPF_BIND_TRANSMITTER_RESP:
    case SMPPF_BIND_TRANSCEIVER_RESP:
        return decode_bind_resp(buf, len, pdu);
    case SMPPF_SUBMIT_SM:
        return decode_sm(buf, len, pdu, 0, lib);
    case SMPPF_DELIVER_SM:
        return decode_sm(buf, len, pdu, 1, lib);
    case SMPPF_SUBMIT_SM_RESP:
    case SMPPF_DELIVER_SM_RESP:
        return decode_sm_resp(buf, len, pdu, lib);
    case SMPPF_GENERIC_NACK:
    case SMPPF_ENQUIRE_LINK:
    case SMPPF_ENQUIRE_LINK_RESP:
    case SMPPF_UNBIND:
    case SMPPF_UNBIND_RESP:
        /* No body (§4.2-§4.11). Octets after the header are ignored: the
         * framing is intact and a keep-alive must not cost the link. */
        return SMPPF_OK;
    }
    return SMPPF_ERR_CMD;
}

enum smppf_err smppf_decode(const uint8_t *buf, size_t len, struct smppf_pdu *pdu)
{
    return decode(buf, len, pdu, 0);
}

enum smppf_err smppf_decode_lib(const uint8_t *buf, size_t len, struct smppf_pdu *pdu)
{
    return decode(buf, len, pdu, 1);
}

/* ---- encode ------------------------------------------------------------ */

size_t smppf_encode_empty(uint32_t command_id, uint32_t status, uint32_t seq, uint8_t *out,
                          size_t cap)
{
    if (cap < SMPPF_HDR_LEN)
        return 0;
    put32(out, SMPPF_HDR_LEN);
    put32(out + 4, command_id);
    put32(out + 8, status);
    put32(out + 12, seq);
    return SMPPF_HDR_LEN;
}

size_t smppf_encode_sm_resp(uint32_t command_id, uint32_t status, uint32_t seq,
                            const char *message_id, uint8_t *out, size_t cap)
{
    size_t l = message_id ? strnlen(message_id, 65) : 0;
    if (l > 64 || cap < SMPPF_HDR_LEN + l + 1)
        return 0;
    put32(out + 4, command_id);
    put32(out + 8, status);
    put32(out + 12, seq);
    memcpy(out + SMPPF_HDR_LEN, message_id ? message_id : "", l);
    out[SMPPF_HDR_LEN + l] = 0;
    put32(out, (uint32_t)(SMPPF_HDR_LEN + l + 1));
    return SMPPF_HDR_LEN + l + 1;
}

/* Copies a C string into a libsmpp34 field of size n, refusing what does
 * not fit instead of letting pack truncate it (LIBSMPP34.md). */
static enum smppf_err lstr(uint8_t *dst, size_t n, const char *src)
{
    size_t l = strnlen(src, n);
    if (l >= n)
        return SMPPF_ERR_VALUE;
    memcpy(dst, src, l + 1);
    return SMPPF_OK;
}

static enum smppf_err put_tlvs(const struct smppf_tlvs *t, uint8_t *out, size_t cap, size_t *len)
{
    size_t o = *len;
#define NEED(n)                                                                                    \
    do {                                                                                           \
        if (cap - o < (n))                                                                         \
            return SMPPF_ERR_SPACE;                                                                \
    } while (0)
    if (t->has_user_message_reference) {
        NEED(6);
        put16(out + o, SMPPF_TAG_USER_MESSAGE_REFERENCE), put16(out + o + 2, 2);
        put16(out + o + 4, t->user_message_reference), o += 6;
    }
    if (t->has_receipted_message_id) {
        size_t l = strnlen(t->receipted_message_id, sizeof t->receipted_message_id);
        if (l >= sizeof t->receipted_message_id)
            return SMPPF_ERR_VALUE;
        NEED(4 + l + 1);
        put16(out + o, SMPPF_TAG_RECEIPTED_MESSAGE_ID), put16(out + o + 2, (uint16_t)(l + 1));
        memcpy(out + o + 4, t->receipted_message_id, l + 1), o += 4 + l + 1;
    }
    if (t->has_message_state) {
        NEED(5);
        put16(out + o, SMPPF_TAG_MESSAGE_STATE), put16(out + o + 2, 1);
        out[o + 4] = t->message_state, o += 5;
    }
    if (t->has_network_error_code) {
        NEED(7);
        put16(out + o, SMPPF_TAG_NETWORK_ERROR_CODE), put16(out + o + 2, 3);
        out[o + 4] = t->network_type, put16(out + o + 5, t->network_error), o += 7;
    }
    if (t->has_sar) {
        NEED(6 + 5 + 5);
        put16(out + o, SMPPF_TAG_SAR_MSG_REF_NUM), put16(out + o + 2, 2);
        put16(out + o + 4, t->sar_msg_ref_num), o += 6;
        put16(out + o, SMPPF_TAG_SAR_TOTAL_SEGMENTS), put16(out + o + 2, 1);
        out[o + 4] = t->sar_total_segments, o += 5;
        put16(out + o, SMPPF_TAG_SAR_SEGMENT_SEQNUM), put16(out + o + 2, 1);
        out[o + 4] = t->sar_segment_seqnum, o += 5;
    }
    if (t->message_payload_len) {
        if (t->message_payload_len > SMPPF_PAYLOAD_MAX || !t->message_payload)
            return SMPPF_ERR_VALUE;
        NEED(4u + t->message_payload_len);
        put16(out + o, SMPPF_TAG_MESSAGE_PAYLOAD), put16(out + o + 2, t->message_payload_len);
        memcpy(out + o + 4, t->message_payload, t->message_payload_len);
        o += 4u + t->message_payload_len;
    }
#undef NEED
    if (o > SMPPF_PDU_MAX)
        return SMPPF_ERR_VALUE;
    *len = o;
    put32(out, (uint32_t)o);
    return SMPPF_OK;
}

/* libsmpp34 pack into out; it wants one octet more than it writes. */
static enum smppf_err lib_pack(void *lstruct, uint8_t *out, size_t cap, size_t *len)
{
    int l = 0;
    if (cap < SMPPF_HDR_LEN + 1)
        return SMPPF_ERR_SPACE;
    int rc = smpp34_pack2(out, (int)(cap > SMPPF_PDU_MAX ? SMPPF_PDU_MAX : cap), &l, lstruct);
    if (rc != 0 || l < SMPPF_HDR_LEN || (size_t)l >= cap)
        return rc != 0 && cap < SMPPF_PDU_MAX ? SMPPF_ERR_SPACE : SMPPF_ERR_LIB;
    *len = (size_t)l;
    return SMPPF_OK;
}

/* The checks both submit_sm/deliver_sm encoders make before writing. */
static enum smppf_err sm_check(const struct smppf_pdu *pdu)
{
    const struct smppf_sm *s = &pdu->u.sm;
    if (!pdu->hdr.sequence_number)
        return SMPPF_ERR_VALUE; /* §5.1.4 (and libsmpp34 refuses it) */
    if (s->sm_length > 253)     /* libsmpp34 packs at most 253 (LIBSMPP34.md) */
        return SMPPF_ERR_VALUE;
    if (s->sm_length && s->tlv.message_payload_len)
        return SMPPF_ERR_VALUE; /* §5.3.2.32 */
    if (!ton_ok(s->source_addr_ton) || !ton_ok(s->dest_addr_ton) || !npi_ok(s->source_addr_npi) ||
        !npi_ok(s->dest_addr_npi))
        return SMPPF_ERR_VALUE;
    return SMPPF_OK;
}

static enum smppf_err encode_sm_lib(const struct smppf_pdu *pdu, uint8_t *out, size_t cap,
                                    size_t *outlen)
{
    const struct smppf_sm *s = &pdu->u.sm;
    int deliver = pdu->hdr.command_id == SMPPF_DELIVER_SM;
    TRY(sm_check(pdu));
    /* deliver_sm_t and submit_sm_t differ only in the two time fields'
     * sizes; fill each through its own type. */
    union {
        submit_sm_t s;
        deliver_sm_t d;
    } u;
    memset(&u, 0, sizeof u);
#define FILL(X, sched_n, valid_n)                                                                  \
    do {                                                                                           \
        X.command_id = pdu->hdr.command_id;                                                        \
        X.command_status = 0;                                                                      \
        X.sequence_number = pdu->hdr.sequence_number;                                              \
        TRY(lstr(X.service_type, sizeof X.service_type, s->service_type));                         \
        X.source_addr_ton = s->source_addr_ton;                                                    \
        X.source_addr_npi = s->source_addr_npi;                                                    \
        TRY(lstr(X.source_addr, sizeof X.source_addr, s->source_addr));                            \
        X.dest_addr_ton = s->dest_addr_ton;                                                        \
        X.dest_addr_npi = s->dest_addr_npi;                                                        \
        TRY(lstr(X.destination_addr, sizeof X.destination_addr, s->destination_addr));             \
        X.esm_class = s->esm_class;                                                                \
        X.protocol_id = s->protocol_id;                                                            \
        X.priority_flag = s->priority_flag;                                                        \
        TRY(lstr(X.schedule_delivery_time, sched_n, s->schedule_delivery_time));                   \
        TRY(lstr(X.validity_period, valid_n, s->validity_period));                                 \
        X.registered_delivery = s->registered_delivery;                                            \
        X.replace_if_present_flag = s->replace_if_present_flag;                                    \
        X.data_coding = s->data_coding;                                                            \
        X.sm_default_msg_id = s->sm_default_msg_id;                                                \
        X.sm_length = s->sm_length;                                                                \
        memcpy(X.short_message, s->short_message, s->sm_length);                                   \
    } while (0)
    if (deliver)
        FILL(u.d, sizeof u.d.schedule_delivery_time, sizeof u.d.validity_period);
    else
        FILL(u.s, sizeof u.s.schedule_delivery_time, sizeof u.s.validity_period);
#undef FILL
    size_t len = 0;
    TRY(lib_pack(&u, out, cap, &len));
    TRY(put_tlvs(&s->tlv, out, cap, &len));
    *outlen = len;
    return SMPPF_OK;
}

/* A C-Octet String field of n octets (NUL included) at out + *o: what
 * lstr() accepts, written as libsmpp34 packs it (the text and one NUL). */
static enum smppf_err put_cstr(uint8_t *out, size_t cap, size_t *o, const char *src, size_t n)
{
    size_t l = strnlen(src, n);
    if (l >= n)
        return SMPPF_ERR_VALUE;
    if (cap - *o < l + 1)
        return SMPPF_ERR_SPACE;
    memcpy(out + *o, src, l + 1);
    *o += l + 1;
    return SMPPF_OK;
}

/* submit_sm written directly (§4.4.1 field order), the gateway's hot path.
 * libsmpp34's pack cost 6-8 us per submit_sm (it rebuilds its global error
 * text with snprintf field by field on every call), most of the gateway's
 * CPU per SM; at window 100 the whole window's encoding sits in every
 * round trip. Same checks as encode_sm_lib(), same octets: test_smppf
 * compares the two over generated PDUs. */
static enum smppf_err encode_submit_direct(const struct smppf_pdu *pdu, uint8_t *out, size_t cap,
                                           size_t *outlen)
{
    const struct smppf_sm *s = &pdu->u.sm;
    TRY(sm_check(pdu));
    /* longest mandatory part: 16 + 6 + 2 + 21 + 2 + 21 + 3 + 17 + 17 + 5 + 253 */
    size_t o = SMPPF_HDR_LEN;
    if (cap < o)
        return SMPPF_ERR_SPACE;
    put32(out + 4, SMPPF_SUBMIT_SM);
    put32(out + 8, 0);
    put32(out + 12, pdu->hdr.sequence_number);
    TRY(put_cstr(out, cap, &o, s->service_type, sizeof s->service_type));
    if (cap - o < 2)
        return SMPPF_ERR_SPACE;
    out[o++] = s->source_addr_ton;
    out[o++] = s->source_addr_npi;
    TRY(put_cstr(out, cap, &o, s->source_addr, sizeof s->source_addr));
    if (cap - o < 2)
        return SMPPF_ERR_SPACE;
    out[o++] = s->dest_addr_ton;
    out[o++] = s->dest_addr_npi;
    TRY(put_cstr(out, cap, &o, s->destination_addr, sizeof s->destination_addr));
    if (cap - o < 3)
        return SMPPF_ERR_SPACE;
    out[o++] = s->esm_class;
    out[o++] = s->protocol_id;
    out[o++] = s->priority_flag;
    TRY(put_cstr(out, cap, &o, s->schedule_delivery_time, sizeof s->schedule_delivery_time));
    TRY(put_cstr(out, cap, &o, s->validity_period, sizeof s->validity_period));
    if (cap - o < 5u + s->sm_length)
        return SMPPF_ERR_SPACE;
    out[o++] = s->registered_delivery;
    out[o++] = s->replace_if_present_flag;
    out[o++] = s->data_coding;
    out[o++] = s->sm_default_msg_id;
    out[o++] = s->sm_length;
    memcpy(out + o, s->short_message, s->sm_length);
    o += s->sm_length;
    TRY(put_tlvs(&s->tlv, out, cap, &o)); /* sets command_length */
    *outlen = o;
    return SMPPF_OK;
}

enum smppf_err smppf_encode_lib(const struct smppf_pdu *pdu, uint8_t *out, size_t cap,
                                size_t *outlen)
{
    *outlen = 0;
    if (pdu->hdr.command_id != SMPPF_SUBMIT_SM && pdu->hdr.command_id != SMPPF_DELIVER_SM)
        return SMPPF_ERR_UNSUPPORTED;
    return encode_sm_lib(pdu, out, cap, outlen);
}

static enum smppf_err encode_bind(const struct smppf_pdu *pdu, uint8_t *out, size_t cap,
                                  size_t *outlen)
{
    const struct smppf_bind *b = &pdu->u.bind;
    bind_transmitter_t lb; /* same layout for the three binds */
    memset(&lb, 0, sizeof lb);
    lb.command_id = pdu->hdr.command_id;
    lb.sequence_number = pdu->hdr.sequence_number;
    TRY(lstr(lb.system_id, sizeof lb.system_id, b->system_id));
    TRY(lstr(lb.password, sizeof lb.password, b->password));
    TRY(lstr(lb.system_type, sizeof lb.system_type, b->system_type));
    TRY(lstr(lb.address_range, sizeof lb.address_range, b->address_range));
    if (b->interface_version != SMPP_VERSION || !ton_ok(b->addr_ton) || !npi_ok(b->addr_npi))
        return SMPPF_ERR_VALUE;
    lb.interface_version = b->interface_version;
    lb.addr_ton = b->addr_ton;
    lb.addr_npi = b->addr_npi;
    return lib_pack(&lb, out, cap, outlen);
}

static enum smppf_err encode_bind_resp(const struct smppf_pdu *pdu, uint8_t *out, size_t cap,
                                       size_t *outlen)
{
    const struct smppf_bind_resp *b = &pdu->u.bind_resp;
    if (pdu->hdr.command_status != 0) {
        /* §4.1.2: on error the body may be omitted; we omit it. */
        size_t l = smppf_encode_empty(pdu->hdr.command_id, pdu->hdr.command_status,
                                      pdu->hdr.sequence_number, out, cap);
        *outlen = l;
        return l ? SMPPF_OK : SMPPF_ERR_SPACE;
    }
    bind_transmitter_resp_t lb;
    memset(&lb, 0, sizeof lb);
    lb.command_id = pdu->hdr.command_id;
    lb.sequence_number = pdu->hdr.sequence_number;
    TRY(lstr(lb.system_id, sizeof lb.system_id, b->system_id));
    size_t len = 0;
    TRY(lib_pack(&lb, out, cap, &len));
    if (b->has_sc_interface_version) {
        if (cap - len < 5)
            return SMPPF_ERR_SPACE;
        put16(out + len, SMPPF_TAG_SC_INTERFACE_VERSION), put16(out + len + 2, 1);
        out[len + 4] = b->sc_interface_version, len += 5;
        put32(out, (uint32_t)len);
    }
    *outlen = len;
    return SMPPF_OK;
}

enum smppf_err smppf_encode(const struct smppf_pdu *pdu, uint8_t *out, size_t cap, size_t *outlen)
{
    uint32_t id = pdu->hdr.command_id;
    size_t l;
    *outlen = 0;
    switch (id) {
    case SMPPF_BIND_RECEIVER:
    case SMPPF_BIND_TRANSMITTER:
    case SMPPF_BIND_TRANSCEIVER:
        return encode_bind(pdu, out, cap, outlen);
    case SMPPF_BIND_RECEIVER_RESP:
    case SMPPF_BIND_TRANSMITTER_RESP:
    case SMPPF_BIND_TRANSCEIVER_RESP:
        return encode_bind_resp(pdu, out, cap, outlen);
    case SMPPF_SUBMIT_SM:
        return encode_submit_direct(pdu, out, cap, outlen);
    case SMPPF_DELIVER_SM:
        return encode_sm_lib(pdu, out, cap, outlen);
    case SMPPF_SUBMIT_SM_RESP:
    case SMPPF_DELIVER_SM_RESP:
        if (strnlen(pdu->u.sm_resp.message_id, 65) > 64)
            return SMPPF_ERR_VALUE;
        /* §4.4.2: no body on error; deliver_sm_resp's id is unused. */
        if (pdu->hdr.command_status != 0)
            l = smppf_encode_empty(id, pdu->hdr.command_status, pdu->hdr.sequence_number, out, cap);
        else
            l = smppf_encode_sm_resp(id, 0, pdu->hdr.sequence_number,
                                     id == SMPPF_SUBMIT_SM_RESP ? pdu->u.sm_resp.message_id : "",
                                     out, cap);
        break;
    case SMPPF_GENERIC_NACK:
    case SMPPF_ENQUIRE_LINK:
    case SMPPF_ENQUIRE_LINK_RESP:
    case SMPPF_UNBIND:
    case SMPPF_UNBIND_RESP:
        l = smppf_encode_empty(id, pdu->hdr.command_status, pdu->hdr.sequence_number, out, cap);
        break;
    default:
        return SMPPF_ERR_UNSUPPORTED;
    }
    if (!l)
        return SMPPF_ERR_SPACE;
    *outlen = l;
    return SMPPF_OK;
}
