/* test_smppf.c — SMPP 3.4 frames: round trips of every PDU, an independent
 * byte-for-byte vector, and each hazard of LIBSMPP34.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/hex.h"
#include "codec/smppf.h"

static uint8_t buf[SMPPF_PDU_MAX + 64];

static struct smppf_pdu roundtrip(const struct smppf_pdu *in)
{
    size_t len = 0;
    assert_int_equal(smppf_encode(in, buf, sizeof buf, &len), SMPPF_OK);
    struct smppf_hdr h;
    assert_int_equal(smppf_header_check(buf, len, &h), SMPPF_OK);
    assert_int_equal(h.command_length, len);
    assert_int_equal(h.command_id, in->hdr.command_id);
    struct smppf_pdu out;
    assert_int_equal(smppf_decode(buf, len, &out), SMPPF_OK);
    assert_int_equal(out.hdr.sequence_number, in->hdr.sequence_number);
    assert_int_equal(out.hdr.command_status, in->hdr.command_status);
    return out;
}

static void test_bind_roundtrip(void **state)
{
    (void)state;
    const uint32_t ids[] = {SMPPF_BIND_TRANSMITTER, SMPPF_BIND_RECEIVER, SMPPF_BIND_TRANSCEIVER};
    for (size_t i = 0; i < 3; i++) {
        struct smppf_pdu p = {.hdr = {.command_id = ids[i], .sequence_number = 7}};
        strcpy(p.u.bind.system_id, "otagw-0123456ab"); /* 15: the limit */
        strcpy(p.u.bind.password, "secret12");
        strcpy(p.u.bind.system_type, "OTA");
        p.u.bind.interface_version = 0x34;
        p.u.bind.addr_ton = 1;
        p.u.bind.addr_npi = 1;
        strcpy(p.u.bind.address_range, "^49");
        struct smppf_pdu o = roundtrip(&p);
        assert_string_equal(o.u.bind.system_id, "otagw-0123456ab");
        assert_string_equal(o.u.bind.password, "secret12");
        assert_string_equal(o.u.bind.system_type, "OTA");
        assert_string_equal(o.u.bind.address_range, "^49");
        assert_int_equal(o.u.bind.interface_version, 0x34);

        struct smppf_pdu r = {.hdr = {.command_id = ids[i] | 0x80000000u, .sequence_number = 7}};
        strcpy(r.u.bind_resp.system_id, "SMSC");
        r.u.bind_resp.has_sc_interface_version = 1;
        r.u.bind_resp.sc_interface_version = 0x34;
        o = roundtrip(&r);
        assert_string_equal(o.u.bind_resp.system_id, "SMSC");
        assert_true(o.u.bind_resp.has_sc_interface_version);
        assert_int_equal(o.u.bind_resp.sc_interface_version, 0x34);
    }
    /* 16 characters of system_id do not fit §5.2.1's 16 octets with NUL:
     * refused, not truncated (libsmpp34 would cut it silently). */
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_BIND_TRANSMITTER, .sequence_number = 1}};
    strcpy(p.u.bind.system_id, "0123456789abcde");
    p.u.bind.interface_version = 0x34;
    size_t len;
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &len), SMPPF_OK);
    p.u.bind.interface_version = 0x33;
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &len), SMPPF_ERR_VALUE);
}

static void fill_sm(struct smppf_sm *s)
{
    strcpy(s->source_addr, "4930123");
    s->source_addr_ton = 1, s->source_addr_npi = 1;
    strcpy(s->destination_addr, "491701234567");
    s->dest_addr_ton = 1, s->dest_addr_npi = 1;
    s->esm_class = SMPPF_ESM_UDHI;
    s->protocol_id = 0x7F;
    s->data_coding = 0xF6;
    s->registered_delivery = 1;
    strcpy(s->validity_period, "000001000000000R");
    s->sm_length = 140;
    for (int i = 0; i < 140; i++)
        s->short_message[i] = (uint8_t)(i * 7);
}

static void test_submit_deliver_roundtrip(void **state)
{
    (void)state;
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_SUBMIT_SM, .sequence_number = 0x7fffffff}};
    fill_sm(&p.u.sm);
    p.u.sm.tlv.has_sar = 1;
    p.u.sm.tlv.sar_msg_ref_num = 0x1234;
    p.u.sm.tlv.sar_total_segments = 3;
    p.u.sm.tlv.sar_segment_seqnum = 2;
    struct smppf_pdu o = roundtrip(&p);
    assert_string_equal(o.u.sm.destination_addr, "491701234567");
    assert_string_equal(o.u.sm.validity_period, "000001000000000R");
    assert_int_equal(o.u.sm.esm_class, 0x40);
    assert_int_equal(o.u.sm.protocol_id, 0x7F);
    assert_int_equal(o.u.sm.data_coding, 0xF6);
    assert_int_equal(o.u.sm.sm_length, 140);
    assert_memory_equal(o.u.sm.short_message, p.u.sm.short_message, 140);
    assert_true(o.u.sm.tlv.has_sar);
    assert_int_equal(o.u.sm.tlv.sar_msg_ref_num, 0x1234);
    assert_int_equal(o.u.sm.tlv.count, 3);

    /* deliver_sm receipt with the three receipt TLVs and a payload. */
    struct smppf_pdu d = {.hdr = {.command_id = SMPPF_DELIVER_SM, .sequence_number = 9}};
    strcpy(d.u.sm.source_addr, "491701234567");
    d.u.sm.source_addr_ton = 1, d.u.sm.source_addr_npi = 1;
    d.u.sm.esm_class = SMPPF_ESM_TYPE_RECEIPT;
    d.u.sm.tlv.has_receipted_message_id = 1;
    strcpy(d.u.sm.tlv.receipted_message_id, "0A1B");
    d.u.sm.tlv.has_message_state = 1;
    d.u.sm.tlv.message_state = 2;
    d.u.sm.tlv.has_network_error_code = 1;
    d.u.sm.tlv.network_type = 3;
    d.u.sm.tlv.network_error = 0x0102;
    static const uint8_t pl[] = "id:0A1B sub:001 dlvrd:001 stat:DELIVRD err:000";
    d.u.sm.tlv.message_payload = pl;
    d.u.sm.tlv.message_payload_len = sizeof pl - 1;
    o = roundtrip(&d);
    assert_true(o.u.sm.tlv.has_receipted_message_id);
    assert_string_equal(o.u.sm.tlv.receipted_message_id, "0A1B");
    assert_int_equal(o.u.sm.tlv.message_state, 2);
    assert_int_equal(o.u.sm.tlv.network_type, 3);
    assert_int_equal(o.u.sm.tlv.network_error, 0x0102);
    assert_int_equal(o.u.sm.tlv.message_payload_len, sizeof pl - 1);
    assert_memory_equal(o.u.sm.tlv.message_payload, pl, sizeof pl - 1);
    assert_int_equal(o.u.sm.tlv.count, 4);

    /* Both short_message and message_payload: §5.3.2.32 forbids it. */
    d.u.sm.sm_length = 1;
    size_t len;
    assert_int_equal(smppf_encode(&d, buf, sizeof buf, &len), SMPPF_ERR_VALUE);
}

static void test_resp_and_empty_roundtrip(void **state)
{
    (void)state;
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_SUBMIT_SM_RESP, .sequence_number = 3}};
    strcpy(p.u.sm_resp.message_id, "0A1B2C3D");
    struct smppf_pdu o = roundtrip(&p);
    assert_string_equal(o.u.sm_resp.message_id, "0A1B2C3D");

    p.hdr.command_id = SMPPF_DELIVER_SM_RESP;
    o = roundtrip(&p);
    assert_string_equal(o.u.sm_resp.message_id, ""); /* §4.6.2: unused */

    const uint32_t empty[] = {SMPPF_ENQUIRE_LINK, SMPPF_ENQUIRE_LINK_RESP, SMPPF_UNBIND,
                              SMPPF_UNBIND_RESP, SMPPF_GENERIC_NACK};
    for (size_t i = 0; i < 5; i++) {
        struct smppf_pdu e = {.hdr = {.command_id = empty[i], .sequence_number = 42}};
        if (empty[i] == SMPPF_GENERIC_NACK)
            e.hdr.command_status = SMPPF_ESME_RINVCMDID;
        o = roundtrip(&e);
        assert_int_equal(o.hdr.command_length, 16);
    }
}

/* Hand-assembled from SMPP 3.4 §4.4.1, independent of both encoders. */
static void test_submit_sm_vector(void **state)
{
    (void)state;
    static const char want[] = "00000040"
                               "00000004"
                               "00000000"
                               "00000002" /* header, length 64 */
                               "00"       /* service_type "" */
                               "0101"
                               "313233343500" /* source 1/1 "12345" */
                               "0101"
                               "34393137303100"                   /* dest 1/1 "491701" */
                               "40"                               /* esm_class UDHI */
                               "7f"                               /* protocol_id */
                               "00"                               /* priority */
                               "00"                               /* schedule "" */
                               "30303030303130303030303030303052" /* validity rel 1 day */
                               "00"
                               "01" /* registered_delivery */
                               "00"
                               "f6"
                               "00"
                               "04"
                               "02700000"; /* sm_length 4, UDH 0x70 */
    uint8_t w[128];
    long wl = hex_decode(want, w, sizeof w);
    assert_int_equal(wl, 64);
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_SUBMIT_SM, .sequence_number = 2}};
    strcpy(p.u.sm.source_addr, "12345");
    p.u.sm.source_addr_ton = 1, p.u.sm.source_addr_npi = 1;
    strcpy(p.u.sm.destination_addr, "491701");
    p.u.sm.dest_addr_ton = 1, p.u.sm.dest_addr_npi = 1;
    p.u.sm.esm_class = 0x40, p.u.sm.protocol_id = 0x7f, p.u.sm.data_coding = 0xf6;
    strcpy(p.u.sm.validity_period, "000001000000000R");
    p.u.sm.registered_delivery = 1;
    p.u.sm.sm_length = 4;
    memcpy(p.u.sm.short_message, "\x02\x70\x00\x00", 4);
    size_t len = 0;
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &len), SMPPF_OK);
    assert_int_equal(len, 64);
    assert_memory_equal(buf, w, 64);
    struct smppf_pdu o;
    assert_int_equal(smppf_decode(w, 64, &o), SMPPF_OK);
    assert_int_equal(o.u.sm.sm_length, 4);
}

/* deliver_sm with n TLVs of 1 octet each (user_response_code 0x0205). */
static size_t deliver_with_tlvs(unsigned n, uint8_t *out, size_t cap)
{
    struct smppf_pdu d = {.hdr = {.command_id = SMPPF_DELIVER_SM, .sequence_number = 5}};
    strcpy(d.u.sm.source_addr, "491701234567");
    d.u.sm.esm_class = SMPPF_ESM_TYPE_RECEIPT;
    d.u.sm.sm_length = 10;
    memcpy(d.u.sm.short_message, "id:1 stat:", 10);
    size_t len = 0;
    assert_int_equal(smppf_encode(&d, out, cap, &len), SMPPF_OK);
    for (unsigned i = 0; i < n && len + 5 <= cap; i++) {
        memcpy(out + len, "\x02\x05\x00\x01\x01", 5);
        len += 5;
    }
    out[0] = (uint8_t)(len >> 24), out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8), out[3] = (uint8_t)len;
    return len;
}

/* LIBSMPP34.md: 29 or more TLVs crash smpp34_unpack. We decode up to
 * SMPPF_TLV_MAX ourselves and refuse more; libsmpp34 never sees a TLV. */
static void test_many_tlvs(void **state)
{
    (void)state;
    struct smppf_pdu o;
    size_t len = deliver_with_tlvs(29, buf, sizeof buf);
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_OK);
    assert_int_equal(o.u.sm.tlv.count, 29);
    assert_int_equal(o.u.sm.tlv.unknown, 29);
    len = deliver_with_tlvs(SMPPF_TLV_MAX, buf, sizeof buf);
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_OK);
    len = deliver_with_tlvs(SMPPF_TLV_MAX + 1, buf, sizeof buf);
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_ERR_TLV_COUNT);
    assert_int_equal(smppf_err_status(SMPPF_ERR_TLV_COUNT), SMPPF_ESME_RINVOPTPARSTREAM);
    /* 1600 TLVs: still within SMPPF_PDU_MAX, refused by count. */
    len = deliver_with_tlvs(1600, buf, sizeof buf);
    assert_true(len > 8000);
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_ERR_TLV_COUNT);
    /* Thousands more do not even pass the header check (no allocation,
     * no waiting for 40 kB): the link is closed. */
    static uint8_t big[50000];
    len = deliver_with_tlvs(8000, big, sizeof big);
    struct smppf_hdr h;
    assert_int_equal(smppf_header_check(big, len, &h), SMPPF_ERR_LEN);
    assert_int_equal(smppf_decode(big, len, &o), SMPPF_ERR_LEN);
}

static void test_error_resp_17(void **state)
{
    (void)state;
    /* ESME_RTHROTTLED with one NUL of body: libsmpp34 says "PDU length
     * 17!=16"; the header has all we need. */
    uint8_t p[17];
    assert_int_equal(hex_decode("00000011800000040000005800000009"
                                "00",
                                p, sizeof p),
                     17);
    struct smppf_pdu o;
    assert_int_equal(smppf_decode(p, 17, &o), SMPPF_OK);
    assert_int_equal(o.hdr.command_status, SMPPF_ESME_RTHROTTLED);
    assert_int_equal(o.hdr.sequence_number, 9);
    assert_string_equal(o.u.sm_resp.message_id, "");
    assert_string_equal(smppf_status_name(o.hdr.command_status), "ESME_RTHROTTLED");
    /* The 16-octet form too. */
    p[3] = 16;
    assert_int_equal(smppf_decode(p, 16, &o), SMPPF_OK);
    assert_int_equal(o.hdr.command_status, 0x58);
    /* A successful 16-octet submit_sm_resp (no id) decodes with "". */
    memcpy(p + 8, "\0\0\0\0", 4);
    assert_int_equal(smppf_decode(p, 16, &o), SMPPF_OK);
    assert_string_equal(o.u.sm_resp.message_id, "");
}

static void test_vendor_status_and_seq0(void **state)
{
    (void)state;
    struct smppf_pdu o;
    uint8_t p[32];
    /* Vendor status 0x400 with a message_id body. */
    assert_int_equal(hex_decode("0000001380000004000004000000000a"
                                "61620000",
                                p, sizeof p),
                     20);
    p[3] = 20;
    assert_int_equal(smppf_decode(p, 20, &o), SMPPF_OK);
    assert_int_equal(o.hdr.command_status, 0x400);
    assert_string_equal(smppf_status_name(0x400), "ESME_VENDOR");
    assert_string_equal(smppf_status_name(0x12345), "ESME_UNKNOWN");
    /* Sequence number 0 (libsmpp34 refuses it): an SMSC's enquire_link and
     * a successful submit_sm_resp. */
    assert_int_equal(hex_decode("00000010000000150000000000000000", p, sizeof p), 16);
    assert_int_equal(smppf_decode(p, 16, &o), SMPPF_OK);
    assert_int_equal(o.hdr.command_id, SMPPF_ENQUIRE_LINK);
    assert_int_equal(hex_decode("000000138000000400000000000000003132"
                                "00",
                                p, sizeof p),
                     19);
    assert_int_equal(smppf_decode(p, 19, &o), SMPPF_OK);
    assert_string_equal(o.u.sm_resp.message_id, "12");
    /* A deliver_sm whose request header carries a vendor status. */
    size_t len = deliver_with_tlvs(0, buf, sizeof buf);
    buf[10] = 0x04;
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_OK);
}

static void test_unknown_cmd_and_framing(void **state)
{
    (void)state;
    struct smppf_pdu o;
    uint8_t p[32];
    /* query_sm (0x03) is real SMPP but not ours; 0x00010200 is vendor. */
    assert_int_equal(hex_decode("00000014000000030000000000000011"
                                "00000000",
                                p, sizeof p),
                     20);
    assert_int_equal(smppf_decode(p, 20, &o), SMPPF_ERR_CMD);
    assert_int_equal(o.hdr.sequence_number, 0x11); /* to answer generic_nack */
    assert_int_equal(smppf_err_status(SMPPF_ERR_CMD), SMPPF_ESME_RINVCMDID);
    assert_string_equal(smppf_cmd_name(3), "unknown");
    assert_string_equal(smppf_cmd_name(SMPPF_DELIVER_SM_RESP), "deliver_sm_resp");
    /* command_length 15, 0, 0xffffffff */
    struct smppf_hdr h;
    assert_int_equal(hex_decode("0000000f000000150000000000000001", p, sizeof p), 16);
    assert_int_equal(smppf_header_check(p, 16, &h), SMPPF_ERR_LEN);
    memset(p, 0xff, 4);
    assert_int_equal(smppf_header_check(p, 16, &h), SMPPF_ERR_LEN);
    assert_int_equal(smppf_header_check(p, 15, &h), SMPPF_ERR_SHORT);
    /* command_length says 20, 19 octets given. */
    assert_int_equal(hex_decode("00000014800000040000000000000001"
                                "313200",
                                p, sizeof p),
                     19);
    assert_int_equal(smppf_decode(p, 19, &o), SMPPF_ERR_SHORT);
}

static void test_ton_npi_out_of_range(void **state)
{
    (void)state;
    /* deliver_sm from a network with TON 7 and NPI 2 (not in §5.2.5/6):
     * libsmpp34 refuses them, we keep the values and decode. */
    struct smppf_pdu d = {.hdr = {.command_id = SMPPF_DELIVER_SM, .sequence_number = 1}};
    strcpy(d.u.sm.source_addr, "4917");
    d.u.sm.sm_length = 2;
    size_t len;
    assert_int_equal(smppf_encode(&d, buf, sizeof buf, &len), SMPPF_OK);
    buf[16 + 1] = 7; /* source_addr_ton after service_type "" */
    buf[16 + 2] = 2;
    struct smppf_pdu o;
    assert_int_equal(smppf_decode(buf, len, &o), SMPPF_OK);
    assert_int_equal(o.u.sm.source_addr_ton, 7);
    assert_int_equal(o.u.sm.source_addr_npi, 2);
    assert_string_equal(o.u.sm.source_addr, "4917");
    /* And we never build one. */
    d.u.sm.source_addr_ton = 7;
    assert_int_equal(smppf_encode(&d, buf, sizeof buf, &len), SMPPF_ERR_VALUE);
}

/* Every prefix and every one-octet corruption of real PDUs: an error or
 * success, never a crash (ASan runs this). */
static void test_truncation_and_corruption(void **state)
{
    (void)state;
    static uint8_t pdu[512], cut[512 + 16];
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_SUBMIT_SM, .sequence_number = 3}};
    fill_sm(&p.u.sm);
    p.u.sm.tlv.has_user_message_reference = 1;
    size_t len;
    assert_int_equal(smppf_encode(&p, pdu, sizeof pdu, &len), SMPPF_OK);
    struct smppf_pdu o;
    for (size_t l = 16; l < len; l++) {
        memcpy(cut, pdu, l);
        cut[0] = (uint8_t)(l >> 24), cut[1] = (uint8_t)(l >> 16);
        cut[2] = (uint8_t)(l >> 8), cut[3] = (uint8_t)l;
        enum smppf_err e = smppf_decode(cut, l, &o);
        /* Only the cut right before the last TLV is itself a whole PDU. */
        if (l == len - 6)
            assert_int_equal(e, SMPPF_OK);
        else
            assert_true(e < 0);
    }
    for (size_t i = 16; i < len; i++) {
        memcpy(cut, pdu, len);
        cut[i] ^= 0xff;
        enum smppf_err e = smppf_decode(cut, len, &o);
        assert_true(e <= 0);
    }
}

static void test_encode_space(void **state)
{
    (void)state;
    struct smppf_pdu p = {.hdr = {.command_id = SMPPF_SUBMIT_SM, .sequence_number = 3}};
    fill_sm(&p.u.sm);
    size_t len, full;
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &full), SMPPF_OK);
    /* submit_sm is written directly: exactly its length is enough. */
    for (size_t cap = 0; cap < full; cap++)
        assert_int_not_equal(smppf_encode(&p, buf, cap, &len), SMPPF_OK);
    assert_int_equal(smppf_encode(&p, buf, full, &len), SMPPF_OK);
    assert_int_equal(len, full);
    /* libsmpp34 (deliver_sm, and the cross-check) wants one octet more. */
    for (size_t cap = 0; cap <= full; cap++)
        assert_int_not_equal(smppf_encode_lib(&p, buf, cap, &len), SMPPF_OK);
    assert_int_equal(smppf_encode_lib(&p, buf, full + 1, &len), SMPPF_OK);
    p.hdr.command_id = SMPPF_DELIVER_SM;
    p.u.sm.validity_period[0] = p.u.sm.schedule_delivery_time[0] = 0; /* §4.6.1 */
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &full), SMPPF_OK);
    for (size_t cap = 0; cap <= full; cap++)
        assert_int_not_equal(smppf_encode(&p, buf, cap, &len), SMPPF_OK);
    assert_int_equal(smppf_encode(&p, buf, full + 1, &len), SMPPF_OK);
    p.hdr.command_id = SMPPF_SUBMIT_SM;
    p.u.sm.sm_length = 254;
    assert_int_equal(smppf_encode(&p, buf, sizeof buf, &len), SMPPF_ERR_VALUE);
    assert_int_equal(smppf_encode_sm_resp(SMPPF_SUBMIT_SM_RESP, 0, 1, "abc", buf, 19), 0);
    assert_int_equal(smppf_encode_sm_resp(SMPPF_SUBMIT_SM_RESP, 0, 1, "abc", buf, 20), 20);
}

/* ---- the direct submit_sm encoder against libsmpp34's packing ---------- */

static uint64_t rs = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (uint32_t)(rs % n);
}

/* A string of 0..max characters (never NUL); one in a few is one too long
 * for its field, which both encoders must refuse. */
static void rstr(char *dst, size_t field)
{
    size_t l = rnd(8) ? rnd((uint32_t)field) : field;
    for (size_t i = 0; i < l; i++)
        dst[i] = (char)(rnd(4) ? '0' + rnd(10) : 1 + rnd(255));
    if (l < field)
        dst[l] = 0;
}

static void gen_submit(struct smppf_pdu *p)
{
    static const uint8_t npis[] = {0, 1, 3, 4, 6, 8, 9, 10, 14, 18};
    memset(p, 0, sizeof *p);
    p->hdr.command_id = SMPPF_SUBMIT_SM;
    static const uint32_t odd_seq[] = {0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};
    p->hdr.sequence_number = rnd(16) ? 1 + rnd(0x7FFFFFFF) : odd_seq[rnd(5)];
    struct smppf_sm *s = &p->u.sm;
    rstr(s->service_type, sizeof s->service_type);
    /* mostly valid TON/NPI, sometimes not (both encoders refuse) */
    s->source_addr_ton = (uint8_t)(rnd(20) ? rnd(7) : rnd(256));
    s->source_addr_npi = rnd(20) ? npis[rnd(sizeof npis)] : (uint8_t)rnd(256);
    rstr(s->source_addr, sizeof s->source_addr);
    s->dest_addr_ton = (uint8_t)(rnd(20) ? rnd(7) : rnd(256));
    s->dest_addr_npi = rnd(20) ? npis[rnd(sizeof npis)] : (uint8_t)rnd(256);
    rstr(s->destination_addr, sizeof s->destination_addr);
    s->esm_class = (uint8_t)rnd(256);
    s->protocol_id = (uint8_t)rnd(256);
    s->priority_flag = (uint8_t)rnd(256);
    rstr(s->schedule_delivery_time, sizeof s->schedule_delivery_time);
    rstr(s->validity_period, sizeof s->validity_period);
    s->registered_delivery = (uint8_t)rnd(256);
    s->replace_if_present_flag = (uint8_t)rnd(256);
    s->data_coding = (uint8_t)rnd(256);
    s->sm_default_msg_id = (uint8_t)rnd(256);
    s->sm_length = (uint8_t)(rnd(4) ? rnd(141) : rnd(256)); /* 254, 255 refused */
    for (unsigned i = 0; i < s->sm_length && i < sizeof s->short_message; i++)
        s->short_message[i] = (uint8_t)rnd(256);
    if (!rnd(4)) {
        s->tlv.has_sar = 1;
        s->tlv.sar_msg_ref_num = (uint16_t)rnd(65536);
        s->tlv.sar_total_segments = (uint8_t)rnd(256);
        s->tlv.sar_segment_seqnum = (uint8_t)rnd(256);
    }
    if (!rnd(4)) {
        s->tlv.has_user_message_reference = 1;
        s->tlv.user_message_reference = (uint16_t)rnd(65536);
    }
    if (!rnd(8)) {
        static uint8_t payload[SMPPF_PAYLOAD_MAX];
        for (size_t i = 0; i < sizeof payload; i++)
            payload[i] = (uint8_t)i;
        s->tlv.message_payload = payload;
        s->tlv.message_payload_len = (uint16_t)(1 + rnd(SMPPF_PAYLOAD_MAX));
        if (rnd(2))
            s->sm_length = 0; /* else both: §5.3.2.32 refused */
    }
}

static void test_submit_direct_vs_libsmpp34(void **state)
{
    (void)state;
    static uint8_t a[SMPPF_PDU_MAX + 64], b[SMPPF_PDU_MAX + 64];
    unsigned ok = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        struct smppf_pdu p;
        gen_submit(&p);
        size_t la = 0, lb = 0;
        enum smppf_err ea = smppf_encode(&p, a, sizeof a, &la);
        enum smppf_err eb = smppf_encode_lib(&p, b, sizeof b, &lb);
        if (ea != eb) {
            print_message("seq %u svc %zu ton %u/%u npi %u/%u src %zu dst %zu sched %zu valid %zu "
                          "esm %u pid %u prio %u rd %u rip %u dcs %u def %u len %u\n",
                          p.hdr.sequence_number, strlen(p.u.sm.service_type),
                          p.u.sm.source_addr_ton, p.u.sm.dest_addr_ton, p.u.sm.source_addr_npi,
                          p.u.sm.dest_addr_npi, strlen(p.u.sm.source_addr),
                          strlen(p.u.sm.destination_addr), strlen(p.u.sm.schedule_delivery_time),
                          strlen(p.u.sm.validity_period), p.u.sm.esm_class, p.u.sm.protocol_id,
                          p.u.sm.priority_flag, p.u.sm.registered_delivery,
                          p.u.sm.replace_if_present_flag, p.u.sm.data_coding,
                          p.u.sm.sm_default_msg_id, p.u.sm.sm_length);
            fail_msg("PDU %d: direct %s, libsmpp34 %s", i, smppf_strerror(ea), smppf_strerror(eb));
        }
        if (ea != SMPPF_OK) {
            refused++;
            continue;
        }
        ok++;
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        /* and it reads back as written */
        struct smppf_pdu q;
        assert_int_equal(smppf_decode(a, la, &q), SMPPF_OK);
        assert_int_equal(q.hdr.sequence_number, p.hdr.sequence_number);
        assert_string_equal(q.u.sm.destination_addr, p.u.sm.destination_addr);
        assert_int_equal(q.u.sm.sm_length, p.u.sm.sm_length);
        assert_memory_equal(q.u.sm.short_message, p.u.sm.short_message, p.u.sm.sm_length);
    }
    /* the generator reaches both sides */
    assert_true(ok > 5000);
    assert_true(refused > 2000);
}

/* ---- smppf_decode (ours alone) against smppf_decode_lib (+ libsmpp34) ---- */

/* Both decoders on one input: the same answer, and the same PDU when it is
 * accepted. Returns the answer. */
static enum smppf_err decode_both(const uint8_t *in, size_t len)
{
    struct smppf_pdu a, b;
    enum smppf_err ea = smppf_decode(in, len, &a);
    enum smppf_err eb = smppf_decode_lib(in, len, &b);
    if (ea != eb)
        fail_msg("command 0x%08x, %zu octets: ours %s, with libsmpp34 %s",
                 len >= 8 ? (unsigned)in[4] << 24 | in[5] << 16 | in[6] << 8 | in[7] : 0, len,
                 smppf_strerror(ea), smppf_strerror(eb));
    if (ea == SMPPF_OK)
        assert_memory_equal(&a, &b, sizeof a);
    return ea;
}

static void test_decode_direct_vs_libsmpp34(void **state)
{
    (void)state;
    static uint8_t a[SMPPF_PDU_MAX + 64];
    unsigned ok = 0, refused = 0, kinds[4] = {0};
    rs = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 20000; i++) {
        struct smppf_pdu p;
        gen_submit(&p);
        static const uint32_t ids[] = {SMPPF_SUBMIT_SM, SMPPF_DELIVER_SM, SMPPF_SUBMIT_SM_RESP,
                                       SMPPF_DELIVER_SM_RESP};
        unsigned k = rnd(4);
        size_t la = 0;
        if (k < 2) {
            p.hdr.command_id = ids[k];
            if (k == 1 && rnd(8)) /* §4.6.1: both times NULL in a deliver_sm */
                p.u.sm.schedule_delivery_time[0] = p.u.sm.validity_period[0] = 0;
            if (smppf_encode(&p, a, sizeof a, &la) != SMPPF_OK)
                continue;
        } else {
            char id[66];
            rstr(id, rnd(3) ? 65 : 2);
            id[65] = 0;
            la = smppf_encode_sm_resp(ids[k], 0, p.hdr.sequence_number, k == 3 && rnd(2) ? "" : id,
                                      a, sizeof a);
            if (la == 0)
                continue;
        }
        kinds[k]++;
        /* as written, then with a few octets changed, or cut short */
        for (int m = 0; m < 4; m++) {
            uint8_t c[SMPPF_PDU_MAX + 64];
            size_t lc = la;
            memcpy(c, a, la);
            if (m == 1)
                for (unsigned j = 1 + rnd(3); j; j--)
                    c[SMPPF_HDR_LEN + rnd((uint32_t)(la - SMPPF_HDR_LEN))] = (uint8_t)rnd(256);
            if (m == 2 && la > SMPPF_HDR_LEN + 1) {
                lc = SMPPF_HDR_LEN + rnd((uint32_t)(la - SMPPF_HDR_LEN));
                c[0] = (uint8_t)(lc >> 24), c[1] = (uint8_t)(lc >> 16);
                c[2] = (uint8_t)(lc >> 8), c[3] = (uint8_t)lc;
            }
            if (m == 3) /* a vendor status, a sequence of 0: libsmpp34 refuses both alone */
                c[8] = 0x04, c[12] = c[13] = c[14] = c[15] = 0;
            if (decode_both(c, lc) == SMPPF_OK)
                ok++;
            else
                refused++;
        }
    }
    /* the generator reaches every kind, and both answers */
    for (int k = 0; k < 4; k++)
        assert_true(kinds[k] > 1500);
    assert_true(ok > 20000);
    assert_true(refused > 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bind_roundtrip),
        cmocka_unit_test(test_submit_deliver_roundtrip),
        cmocka_unit_test(test_resp_and_empty_roundtrip),
        cmocka_unit_test(test_submit_sm_vector),
        cmocka_unit_test(test_many_tlvs),
        cmocka_unit_test(test_error_resp_17),
        cmocka_unit_test(test_vendor_status_and_seq0),
        cmocka_unit_test(test_unknown_cmd_and_framing),
        cmocka_unit_test(test_ton_npi_out_of_range),
        cmocka_unit_test(test_truncation_and_corruption),
        cmocka_unit_test(test_encode_space),
        cmocka_unit_test(test_submit_direct_vs_libsmpp34),
        cmocka_unit_test(test_decode_direct_vs_libsmpp34),
    };
    return cmocka_run_group_tests_name("smppf", tests, NULL, NULL);
}
