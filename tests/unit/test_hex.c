/* test_hex.c — hex text <-> octets, including every rejection path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codec/hex.h"

static void test_hex_roundtrip(void **state)
{
    (void)state;
    uint8_t b[8];
    char s[17];
    assert_int_equal(hex_decode("00A1ff7F", b, sizeof b), 4);
    assert_memory_equal(b, "\x00\xa1\xff\x7f", 4);
    assert_non_null(hex_encode(b, 4, s, sizeof s));
    assert_string_equal(s, "00a1ff7f");
    assert_int_equal(hex_decode("", b, sizeof b), 0);
}

static void test_hex_rejects(void **state)
{
    (void)state;
    uint8_t b[2];
    char s[4];
    assert_int_equal(hex_decode("abc", b, sizeof b), -1);    /* odd */
    assert_int_equal(hex_decode("0g", b, sizeof b), -1);     /* not hex */
    assert_int_equal(hex_decode("001122", b, sizeof b), -1); /* too long */
    assert_int_equal(hex_decode("0 ", b, sizeof b), -1);
    assert_null(hex_encode(b, 2, s, sizeof s)); /* no room for the NUL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_roundtrip),
        cmocka_unit_test(test_hex_rejects),
    };
    return cmocka_run_group_tests_name("hex", tests, NULL, NULL);
}
