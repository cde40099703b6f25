/* test_dlr.c — delivery receipts (Appendix B text, TLVs, both) and the
 * message-id keys that make hex and decimal ids of one SM meet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codec/dlr.h"

static struct smppf_sm text_receipt(const char *t)
{
    struct smppf_sm s;
    memset(&s, 0, sizeof s);
    s.esm_class = SMPPF_ESM_TYPE_RECEIPT;
    s.sm_length = (uint8_t)strlen(t);
    memcpy(s.short_message, t, s.sm_length);
    return s;
}

/* Keys of a resp id and a receipt id share one, under fmt. */
static int match(const char *resp, const char *rcpt, enum dlr_idfmt fmt)
{
    char a[DLR_KEYS][DLR_KEY_MAX], b[DLR_KEYS][DLR_KEY_MAX];
    int na = dlr_msgid_keys(resp, fmt, DLR_ROLE_RESP, a);
    int nb = dlr_msgid_keys(rcpt, fmt, DLR_ROLE_RECEIPT, b);
    assert_true(na >= 1 && nb >= 1);
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++)
            if (!strcmp(a[i], b[j]))
                return 1;
    return 0;
}

static void test_text_receipt(void **state)
{
    (void)state;
    /* SMPP 3.4 Appendix B example layout. */
    struct smppf_sm s = text_receipt("id:0A1B2C3D sub:001 dlvrd:001 submit date:2401021530 "
                                     "done date:2401021531 stat:DELIVRD err:000 text:\x02\x71");
    struct dlr_receipt r;
    assert_int_equal(dlr_parse(&s, DLR_ID_HEX, &r), DLR_OK);
    assert_string_equal(r.id, "0A1B2C3D");
    assert_int_equal(r.stat, DLR_STAT_DELIVRD);
    assert_true(r.final);
    assert_true(r.has_err);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.sub, 1);
    assert_int_equal(r.dlvrd, 1);
    assert_string_equal(r.submit_date, "2401021530");
    assert_string_equal(r.done_date, "2401021531");
    assert_int_equal(r.src, DLR_SRC_TEXT);
    assert_int_equal(r.nkeys, 1);
    assert_string_equal(r.keys[0], "x:a1b2c3d");

    /* Upper-case keys, underscores, other order, undeliverable with err. */
    s = text_receipt("ID:12345 STAT:UNDELIV ERR:034 SUBMIT_DATE:2401021530 dlvrd:000");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_OK);
    assert_string_equal(r.id, "12345");
    assert_int_equal(r.stat, DLR_STAT_UNDELIV);
    assert_int_equal(r.err, 34);
    assert_string_equal(r.keys[0], "x:3039");

    /* Long forms and the non-final states. */
    s = text_receipt("id:7 stat:ENROUTE");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_OK);
    assert_int_equal(r.stat, DLR_STAT_ENROUTE);
    assert_false(r.final);
    s = text_receipt("id:7 stat:ACCEPTED");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_OK);
    assert_int_equal(r.stat, DLR_STAT_ACCEPTD);
    assert_false(r.final);
    /* A state nobody knows is final and not success. */
    s = text_receipt("id:7 stat:WEIRD");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_OK);
    assert_int_equal(r.stat, DLR_STAT_UNKNOWN);
    assert_true(r.final);
    const char *names[] = {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV",
                           "ACCEPTD", "UNKNOWN", "REJECTD", "ENROUTE"};
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(dlr_stat_name(dlr_stat_parse(names[i], strlen(names[i]))), names[i]);
}

static void test_tlv_receipt(void **state)
{
    (void)state;
    struct smppf_sm s;
    memset(&s, 0, sizeof s);
    s.esm_class = SMPPF_ESM_TYPE_RECEIPT;
    s.tlv.has_receipted_message_id = 1;
    strcpy(s.tlv.receipted_message_id, "0A1B");
    s.tlv.has_message_state = 1;
    s.tlv.message_state = 5; /* UNDELIVERABLE, §5.2.28 */
    s.tlv.has_network_error_code = 1;
    s.tlv.network_type = 3; /* GSM */
    s.tlv.network_error = 0x0022;
    struct dlr_receipt r;
    assert_int_equal(dlr_parse(&s, DLR_ID_HEX, &r), DLR_OK);
    assert_string_equal(r.id, "0A1B");
    assert_int_equal(r.stat, DLR_STAT_UNDELIV);
    assert_true(r.has_network_error);
    assert_int_equal(r.network_type, 3);
    assert_int_equal(r.network_error, 0x22);
    assert_int_equal(r.src, DLR_SRC_TLV);
    assert_string_equal(r.keys[0], "x:a1b");

    /* Both: TLVs win, the text fills in err. */
    struct smppf_sm b = text_receipt("id:2587 stat:DELIVRD err:000");
    b.tlv = s.tlv;
    assert_int_equal(dlr_parse(&b, DLR_ID_HEX, &r), DLR_OK);
    assert_string_equal(r.id, "0A1B");
    assert_int_equal(r.stat, DLR_STAT_UNDELIV);
    assert_true(r.has_err);
    assert_int_equal(r.src, DLR_SRC_TEXT | DLR_SRC_TLV);

    /* message_state outside 1..8 -> UNKNOWN */
    s.tlv.message_state = 42;
    assert_int_equal(dlr_parse(&s, DLR_ID_HEX, &r), DLR_OK);
    assert_int_equal(r.stat, DLR_STAT_UNKNOWN);

    /* Text in message_payload when sm_length is 0. */
    static const uint8_t pl[] = "id:99 stat:EXPIRED err:001";
    struct smppf_sm p;
    memset(&p, 0, sizeof p);
    p.esm_class = SMPPF_ESM_TYPE_INTERM | SMPPF_ESM_UDHI;
    p.tlv.message_payload = pl;
    p.tlv.message_payload_len = sizeof pl - 1;
    assert_int_equal(dlr_parse(&p, DLR_ID_DEC, &r), DLR_OK);
    assert_int_equal(r.stat, DLR_STAT_EXPIRED);
    assert_string_equal(r.keys[0], "x:63");
}

static void test_receipt_rejects(void **state)
{
    (void)state;
    struct dlr_receipt r;
    struct smppf_sm s = text_receipt("id:1 stat:DELIVRD");
    s.esm_class = 0; /* an MO, not a receipt */
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_NOT_RECEIPT);
    s = text_receipt("sub:001 stat:DELIVRD");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_NO_ID);
    s = text_receipt("id: stat:DELIVRD");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_ID);
    char t[120] = "id:";
    memset(t + 3, '1', 65); /* 65 digits: over §5.2.23 */
    strcat(t, " stat:DELIVRD");
    s = text_receipt(t);
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_ID);
    s = text_receipt("id:1 stat:");
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_TEXT);
    /* Embedded NUL in the id: refused, not cut. */
    s = text_receipt("id:12x4 stat:DELIVRD");
    s.short_message[5] = 0;
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_ID);
    /* Empty receipted_message_id TLV. */
    s = text_receipt("id:1 stat:DELIVRD");
    s.tlv.has_receipted_message_id = 1;
    assert_int_equal(dlr_parse(&s, DLR_ID_DEC, &r), DLR_ERR_ID);
}

static void test_msgid_keys(void **state)
{
    (void)state;
    char k[DLR_KEYS][DLR_KEY_MAX];
    /* Case and leading zeros never matter for numbers. */
    assert_true(match("0A1B", "a1b", DLR_ID_HEX));
    assert_true(match("000A1B", "0a1B", DLR_ID_HEX));
    assert_true(match("00123", "123", DLR_ID_DEC));
    assert_false(match("123", "124", DLR_ID_DEC));
    /* The case: resp "0A1B" in hex, receipt "2587" in decimal. */
    assert_true(match("0A1B", "2587", DLR_ID_HEX_DEC));
    assert_true(match("2587", "0a1b", DLR_ID_DEC_HEX));
    assert_true(match("0A1B", "2587", DLR_ID_AUTO));
    /* AUTO with all-digit hex on both sides and mixed. */
    assert_true(match("1234", "1234", DLR_ID_AUTO));
    assert_true(match("1234", "4660", DLR_ID_AUTO)); /* 0x1234 = 4660 */
    assert_false(match("0A1B", "2588", DLR_ID_AUTO));
    /* STRING keeps case. */
    assert_true(match("AbC-1", "AbC-1", DLR_ID_STRING));
    assert_false(match("AbC-1", "abc-1", DLR_ID_STRING));
    assert_false(match("0A1B", "a1b", DLR_ID_STRING));
    /* Non-numbers under a numeric format stay opaque, and still meet. */
    assert_int_equal(dlr_msgid_keys("ab-12", DLR_ID_HEX, DLR_ROLE_RESP, k), 1);
    assert_string_equal(k[0], "s:ab-12");
    assert_true(match("ab-12", "ab-12", DLR_ID_DEC));
    /* Values beyond 64 bits: 64 decimal digits. */
    char big[65];
    memset(big, '9', 64);
    big[64] = 0;
    assert_int_equal(dlr_msgid_keys(big, DLR_ID_DEC, DLR_ROLE_RESP, k), 1);
    /* 10^64 - 1, as Python's hex() writes it. */
    assert_string_equal(k[0], "x:184f03e93ff9f4daa797ed6e38ed64bf6a1f00ffffffffffffffff");
    assert_int_equal(dlr_msgid_keys("0", DLR_ID_AUTO, DLR_ROLE_RESP, k), 1);
    assert_string_equal(k[0], "x:0");
    assert_int_equal(dlr_msgid_keys("18446744073709551616", DLR_ID_DEC, DLR_ROLE_RESP, k), 1);
    assert_string_equal(k[0], "x:10000000000000000"); /* 2^64 */
    assert_int_equal(dlr_msgid_keys("", DLR_ID_AUTO, DLR_ROLE_RESP, k), DLR_ERR_ID);
    char too_long[70];
    memset(too_long, 'a', 65);
    too_long[65] = 0;
    assert_int_equal(dlr_msgid_keys(too_long, DLR_ID_STRING, DLR_ROLE_RESP, k), DLR_ERR_ID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_receipt),
        cmocka_unit_test(test_tlv_receipt),
        cmocka_unit_test(test_receipt_rejects),
        cmocka_unit_test(test_msgid_keys),
    };
    return cmocka_run_group_tests_name("dlr", tests, NULL, NULL);
}
