/* test_udh.c — SMS-PP transport: SM counts at the capacity edges, split
 * with 8- and 16-bit references, UDH parsing (every rejection path) and
 * reassembly with out-of-order, duplicate, conflicting, missing (expired)
 * and evicted segments; end to end with c348 command packets and PoRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codec/c348.h"
#include "codec/udh.h"

static uint8_t pkt[UDH_PAYLOAD_MAX + 16];

static void fill(void)
{
    for (size_t i = 0; i < sizeof pkt; i++)
        pkt[i] = (uint8_t)(i * 13 + 1);
}

static void test_sm_count(void **state)
{
    (void)state;
    assert_int_equal(udh_cmd_sm_count(0), 0);
    assert_int_equal(udh_cmd_sm_count(1), 1);
    assert_int_equal(udh_cmd_sm_count(137), 1); /* 140 - "02 70 00" */
    assert_int_equal(udh_cmd_sm_count(138), 2);
    assert_int_equal(udh_cmd_sm_count(132 + 134), 2);
    assert_int_equal(udh_cmd_sm_count(132 + 134 + 1), 3);
    assert_int_equal(udh_cmd_sm_count(UDH_PAYLOAD_MAX), UDH_SM_MAX);
    assert_int_equal(udh_cmd_sm_count(UDH_PAYLOAD_MAX + 1), 0);
    assert_int_equal(UDH_PAYLOAD_MAX, C348_PKT_MAX);
}

static void test_split(void **state)
{
    (void)state;
    struct udh_sm sm[UDH_SM_MAX];
    fill();

    /* One SM: 02 70 00 + packet, 140 octets at most. */
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 137, UDH_REF8, 9, sm, 1), 1);
    assert_int_equal(sm[0].len, 140);
    assert_memory_equal(sm[0].ud, "\x02\x70\x00", 3);
    assert_memory_equal(sm[0].ud + 3, pkt, 137);

    /* 300 octets, 8-bit reference 0xAB: 132 + 134 + 34. */
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 300, UDH_REF8, 0xAB, sm, UDH_SM_MAX), 3);
    assert_int_equal(sm[0].len, 140);
    assert_memory_equal(sm[0].ud, "\x07\x00\x03\xab\x03\x01\x70\x00", 8);
    assert_memory_equal(sm[0].ud + 8, pkt, 132);
    assert_int_equal(sm[1].len, 140);
    assert_memory_equal(sm[1].ud, "\x05\x00\x03\xab\x03\x02", 6);
    assert_memory_equal(sm[1].ud + 6, pkt + 132, 134);
    assert_int_equal(sm[2].len, 6 + 34);
    assert_memory_equal(sm[2].ud, "\x05\x00\x03\xab\x03\x03", 6);
    assert_memory_equal(sm[2].ud + 6, pkt + 266, 34);

    /* 16-bit reference 0x1234, a response: 131 + 133 + 36. */
    assert_int_equal(udh_split(UDH_IEI_RPI, pkt, 300, UDH_REF16, 0x1234, sm, UDH_SM_MAX), 3);
    assert_memory_equal(sm[0].ud, "\x08\x08\x04\x12\x34\x03\x01\x71\x00", 9);
    assert_int_equal(sm[0].len, 140);
    assert_memory_equal(sm[1].ud, "\x06\x08\x04\x12\x34\x03\x02", 7);
    assert_int_equal(sm[1].len, 140);
    assert_int_equal(sm[2].len, 7 + 36);

    /* Largest, and one octet over. Bad arguments. */
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, UDH_PAYLOAD_MAX, UDH_REF8, 1, sm, UDH_SM_MAX),
                     UDH_SM_MAX);
    for (int i = 0; i < UDH_SM_MAX; i++)
        assert_int_equal(sm[i].len, i == UDH_SM_MAX - 1 ? 6 + 134 : 140);
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, UDH_PAYLOAD_MAX + 1, UDH_REF8, 1, sm, UDH_SM_MAX),
                     UDH_ERR_TOO_LONG);
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 300, UDH_REF8, 1, sm, 2), UDH_ERR_ARG);
    assert_int_equal(udh_split(0x05, pkt, 10, UDH_REF8, 1, sm, 2), UDH_ERR_ARG);
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 0, UDH_REF8, 1, sm, 2), UDH_ERR_ARG);
}

static void test_parse(void **state)
{
    (void)state;
    struct udh_info in;

    /* Other IEs are skipped; CPI found. */
    static const uint8_t ok[] = {0x05, 0x24, 0x01, 0x00, 0x70, 0x00, 0xAA};
    assert_int_equal(udh_parse(ok, sizeof ok, &in), 0);
    assert_int_equal(in.iei, 0x70);
    assert_int_equal(in.concat, 0);
    assert_int_equal(in.payload_len, 1);
    assert_int_equal(in.payload[0], 0xAA);
    /* Empty UDH. */
    assert_int_equal(udh_parse((const uint8_t *)"\x00\x01", 2, &in), 0);
    assert_int_equal(in.iei, 0);
    assert_int_equal(in.payload_len, 1);

    static const struct {
        const char *ud;
        size_t len;
        int err;
    } bad[] = {
        {"", 0, UDH_ERR_TRUNC},
        {"\x05\x00\x03\x01", 4, UDH_ERR_TRUNC},                 /* UDHL past the end */
        {"\x01\x00", 2, UDH_ERR_TRUNC},                         /* IE without length */
        {"\x02\x70\x01", 3, UDH_ERR_TRUNC},                     /* IE past UDHL */
        {"\x04\x00\x02\x01\x01", 5, UDH_ERR_MALFORMED},         /* concat8 length 2 */
        {"\x05\x00\x03\x01\x00\x01", 6, UDH_ERR_MALFORMED},     /* total 0 */
        {"\x05\x00\x03\x01\x02\x00", 6, UDH_ERR_MALFORMED},     /* seq 0 */
        {"\x05\x00\x03\x01\x02\x03", 6, UDH_ERR_MALFORMED},     /* seq > total */
        {"\x06\x08\x04\x01\x02\x02\x03", 7, UDH_ERR_MALFORMED}, /* 16-bit seq > total */
        {"\x05\x08\x03\x01\x02\x01", 6, UDH_ERR_MALFORMED},     /* concat16 length 3 */
        {"\x03\x70\x01\x00", 4, UDH_ERR_MALFORMED},             /* CPI with a value */
        {"\x04\x70\x00\x71\x00", 5, UDH_ERR_MALFORMED},         /* both CPI and RPI */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = udh_parse((const uint8_t *)bad[i].ud, bad[i].len, &in);
        if (rc != bad[i].err)
            fail_msg("bad[%zu]: got %d want %d", i, rc, bad[i].err);
    }
    assert_non_null(udh_strerror(UDH_ERR_CONFLICT));
}

static struct udh_reasm_slot slots[4];
static struct udh_msg msg;

static void test_reasm_orders(void **state)
{
    (void)state;
    struct udh_reasm r;
    struct udh_sm sm[UDH_SM_MAX];
    fill();
    udh_reasm_init(&r, slots, 4, 60);

    /* Single SM: complete at once. */
    assert_int_equal(udh_split(UDH_IEI_RPI, pkt, 20, UDH_REF8, 0, sm, 1), 1);
    assert_int_equal(udh_reasm_add(&r, "491700", 0, sm[0].ud, sm[0].len, &msg), UDH_R_COMPLETE);
    assert_int_equal(msg.iei, UDH_IEI_RPI);
    assert_int_equal(msg.len, 20);
    assert_memory_equal(msg.data, pkt, 20);

    /* 5 SMs in reverse order, each one repeated. */
    int n = udh_split(UDH_IEI_CPI, pkt, 600, UDH_REF8, 7, sm, UDH_SM_MAX);
    assert_int_equal(n, 5);
    for (int i = n - 1; i >= 0; i--) {
        int rc = udh_reasm_add(&r, "491700", 10, sm[i].ud, sm[i].len, &msg);
        if (i > 0) {
            assert_int_equal(rc, UDH_R_PENDING);
            assert_int_equal(udh_reasm_add(&r, "491700", 11, sm[i].ud, sm[i].len, &msg),
                             UDH_R_DUPLICATE);
        } else {
            assert_int_equal(rc, UDH_R_COMPLETE);
        }
    }
    assert_int_equal(msg.iei, UDH_IEI_CPI);
    assert_int_equal(msg.len, 600);
    assert_memory_equal(msg.data, pkt, 600);

    /* Interleaved: two originators using the same reference, and a 16-bit
     * one, shuffled; none mixes with another. */
    struct udh_sm a[UDH_SM_MAX], b[UDH_SM_MAX], c[UDH_SM_MAX];
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 400, UDH_REF8, 3, a, UDH_SM_MAX), 3);
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt + 1, 400, UDH_REF8, 3, b, UDH_SM_MAX), 3);
    assert_int_equal(udh_split(UDH_IEI_RPI, pkt + 2, 400, UDH_REF16, 3, c, UDH_SM_MAX), 4);
    assert_int_equal(udh_reasm_add(&r, "A", 20, a[2].ud, a[2].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "B", 20, b[1].ud, b[1].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "A", 20, c[3].ud, c[3].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "A", 21, a[0].ud, a[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "B", 21, b[0].ud, b[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "A", 21, c[0].ud, c[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "A", 22, c[2].ud, c[2].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "B", 22, b[2].ud, b[2].len, &msg), UDH_R_COMPLETE);
    assert_int_equal(msg.len, 400);
    assert_memory_equal(msg.data, pkt + 1, 400);
    assert_int_equal(udh_reasm_add(&r, "A", 23, a[1].ud, a[1].len, &msg), UDH_R_COMPLETE);
    assert_memory_equal(msg.data, pkt, 400);
    assert_int_equal(udh_reasm_add(&r, "A", 23, c[1].ud, c[1].len, &msg), UDH_R_COMPLETE);
    assert_int_equal(msg.iei, UDH_IEI_RPI);
    assert_memory_equal(msg.data, pkt + 2, 400);
    assert_int_equal(r.evicted, 0);
}

static void test_reasm_missing_conflict_full(void **state)
{
    (void)state;
    struct udh_reasm r;
    struct udh_sm sm[UDH_SM_MAX];
    uint8_t bad[UDH_TPUD_MAX];
    fill();
    udh_reasm_init(&r, slots, 2, 60);

    /* Segment 2 of 3 never comes: the partial message expires at its ttl. */
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 300, UDH_REF8, 1, sm, UDH_SM_MAX), 3);
    assert_int_equal(udh_reasm_add(&r, "X", 100, sm[0].ud, sm[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "X", 101, sm[2].ud, sm[2].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_expire(&r, 159), 0);
    assert_int_equal(udh_reasm_expire(&r, 160), 1);
    assert_int_equal(r.expired, 1);
    /* The late segment alone starts a new partial message, not a completion. */
    assert_int_equal(udh_reasm_add(&r, "X", 161, sm[1].ud, sm[1].len, &msg), UDH_R_PENDING);

    /* Same seq, different content: refused, the first one kept. */
    memcpy(bad, sm[1].ud, sm[1].len);
    bad[50] ^= 1;
    assert_int_equal(udh_reasm_add(&r, "X", 162, bad, sm[1].len, &msg), UDH_ERR_CONFLICT);
    assert_int_equal(udh_reasm_add(&r, "X", 162, sm[0].ud, sm[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "X", 163, sm[2].ud, sm[2].len, &msg), UDH_R_COMPLETE);
    assert_memory_equal(msg.data, pkt, 300);

    /* Table of 2 full: a third message evicts the oldest partial one. */
    struct udh_sm o[UDH_SM_MAX];
    assert_int_equal(udh_split(UDH_IEI_CPI, pkt, 300, UDH_REF8, 2, o, UDH_SM_MAX), 3);
    assert_int_equal(udh_reasm_add(&r, "old", 200, o[0].ud, o[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "mid", 201, o[0].ud, o[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "new", 202, o[0].ud, o[0].len, &msg), UDH_R_PENDING);
    assert_int_equal(r.evicted, 1);
    assert_int_equal(udh_reasm_add(&r, "mid", 203, o[1].ud, o[1].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "mid", 203, o[2].ud, o[2].len, &msg), UDH_R_COMPLETE);
    /* "old" lost its first segment: finishing it does not complete. */
    assert_int_equal(udh_reasm_add(&r, "old", 204, o[1].ud, o[1].len, &msg), UDH_R_PENDING);
    assert_int_equal(udh_reasm_add(&r, "old", 204, o[2].ud, o[2].len, &msg), UDH_R_PENDING);

    /* More segments than the bound; bad input stores nothing. */
    static const uint8_t many[] = {0x05, 0x00, 0x03, 0x09, UDH_SM_MAX + 1, 0x01, 0xAA};
    assert_int_equal(udh_reasm_add(&r, "X", 300, many, sizeof many, &msg), UDH_ERR_TOO_LONG);
    assert_int_equal(udh_reasm_add(&r, "X", 300, many, 3, &msg), UDH_ERR_TRUNC);
    assert_int_equal(udh_reasm_add(&r, NULL, 300, sm[0].ud, sm[0].len, &msg), UDH_R_PENDING);

    struct udh_reasm none;
    udh_reasm_init(&none, NULL, 0, 60);
    assert_int_equal(udh_reasm_add(&none, "X", 0, sm[0].ud, sm[0].len, &msg), UDH_ERR_ARG);
}

/* A long command goes out in SMs, the card reassembles and opens it; a long
 * PoR comes back in SMs, the gateway reassembles and opens it. */
static void test_end_to_end(void **state)
{
    (void)state;
    struct c348_params p = {.spi = 0x1639,
                            .kic = 0x12,
                            .kid = 0x12,
                            .tar = {0xB0, 0, 0x11},
                            .cntr = 42,
                            .kic_key_len = 32,
                            .kid_key_len = 16};
    static uint8_t sec[C348_PKT_MAX], buf[C348_PKT_MAX], por[C348_PKT_MAX + 3],
        tpud[C348_PKT_MAX + 3];
    struct udh_sm sm[UDH_SM_MAX];
    struct udh_reasm r;
    struct c348_cmd cmd;
    struct c348_por rp;
    fill();
    memset(p.kic_key, 0x5A, 32);
    memset(p.kid_key, 0xC3, 16);
    udh_reasm_init(&r, slots, 4, 60);

    int len = c348_cmd_build(&p, pkt, 1000, sec, sizeof sec);
    assert_true(len > 1000);
    unsigned n = udh_cmd_sm_count((size_t)len);
    assert_int_equal(udh_split(UDH_IEI_CPI, sec, (size_t)len, UDH_REF8, 200, sm, UDH_SM_MAX),
                     (int)n);
    for (unsigned i = 0; i < n; i++) { /* odd ones first, then even ones */
        unsigned k = i < n / 2 ? 2 * i + 1 : 2 * (i - n / 2);
        int rc = udh_reasm_add(&r, "gw", 1, sm[k].ud, sm[k].len, &msg);
        assert_int_equal(rc, i + 1 == n ? UDH_R_COMPLETE : UDH_R_PENDING);
    }
    assert_int_equal(msg.iei, UDH_IEI_CPI);
    struct c348_params card = p;
    card.cntr = 41;
    assert_int_equal(c348_cmd_open(&card, msg.data, msg.len, buf, sizeof buf, &cmd), 0);
    assert_int_equal(cmd.status, C348_ST_OK);
    assert_int_equal(cmd.data_len, 1000);
    assert_memory_equal(cmd.data, pkt, 1000);

    int plen = c348_por_build(&p, C348_ST_OK, pkt, 500, por, sizeof por);
    assert_true(plen > 140);
    int m = udh_split(UDH_IEI_RPI, por + 3, (size_t)plen - 3, UDH_REF16, 0xBEEF, sm, UDH_SM_MAX);
    assert_true(m > 1);
    for (int i = m - 1; i >= 0; i--)
        assert_int_equal(udh_reasm_add(&r, "card", 2, sm[i].ud, sm[i].len, &msg),
                         i == 0 ? UDH_R_COMPLETE : UDH_R_PENDING);
    assert_int_equal(msg.iei, UDH_IEI_RPI);
    memcpy(tpud, "\x02\x71\x00", 3); /* the PoR CC covers 02 71 00 */
    memcpy(tpud + 3, msg.data, msg.len);
    assert_int_equal(c348_por_open(&p, tpud, msg.len + 3, 1, buf, sizeof buf, &rp), 0);
    assert_int_equal(rp.data_len, 500);
    assert_memory_equal(rp.data, pkt, 500);
    c348_thread_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sm_count),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_reasm_orders),
        cmocka_unit_test(test_reasm_missing_conflict_full),
        cmocka_unit_test(test_end_to_end),
    };
    return cmocka_run_group_tests_name("udh", tests, NULL, NULL);
}
