/* test_e164.c — the shipped E.164 table (conf/e164.csv) and the lookup:
 * NANP splits, +7, crown dependencies, longest prefix, bad input, and the
 * table parser's rejections. Vectors name their source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "gateway/e164.h"

static struct gw_e164 *table;

static int setup(void **state)
{
    (void)state;
    char err[256];
    if (gw_e164_load("conf/e164.csv", &table, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gw_e164_free(table);
    return 0;
}

static const struct {
    const char *msisdn;
    const char *cc;
    size_t plen;
} vectors[] = {
    /* NANP (NANPA NPA assignments) */
    {"+12125550123", "US", 1}, /* New York: no longer prefix, falls to "1" */
    {"14165550123", "CA", 4},  /* Toronto */
    {"+16045550123", "CA", 4}, /* Vancouver */
    {"+18675550123", "CA", 4}, /* Yukon/NWT/Nunavut */
    {"+17875550123", "PR", 4}, /* Puerto Rico */
    {"+19395550123", "PR", 4},
    {"+18095550123", "DO", 4}, /* Dominican Republic, 3 NPAs */
    {"+18295550123", "DO", 4},
    {"+18495550123", "DO", 4},
    {"+18765550123", "JM", 4}, /* Jamaica */
    {"+16585550123", "JM", 4},
    {"+18685550123", "TT", 4}, /* Trinidad and Tobago */
    {"+12425550123", "BS", 4}, /* Bahamas */
    {"+12465550123", "BB", 4}, /* Barbados */
    {"+14415550123", "BM", 4}, /* Bermuda */
    {"+16715550123", "GU", 4}, /* Guam */
    {"+13405550123", "VI", 4}, /* US Virgin Islands */
    /* +7 zone (ITU-T E.164; Kazakhstan on 76x/77x) */
    {"+74951234567", "RU", 1},
    {"+79161234567", "RU", 1},
    {"+77011234567", "KZ", 2},
    {"+77272123456", "KZ", 2},
    {"+76000000000", "KZ", 2},
    /* +44 and the crown dependencies (Ofcom allocations) */
    {"+447911123456", "GG", 6},
    {"+447797123456", "JE", 6},
    {"+447624123456", "IM", 6},
    {"+441534123456", "JE", 6},
    {"+447400123456", "GB", 2},
    /* other shared codes */
    {"+390669812345", "VA", 7}, /* Vatican on the Rome network */
    {"+390612345678", "IT", 2},
    {"+358181234567", "AX", 5}, /* Aland */
    {"+358401234567", "FI", 3},
    {"+262639123456", "YT", 6}, /* Mayotte */
    {"+262692123456", "RE", 3},
    {"+59995123456", "CW", 4},
    /* plain codes of the countries with a roaming policy in conf/ */
    {"+5511987654321", "BR", 2},
    {"+8613812345678", "CN", 2},
    {"+919812345678", "IN", 2},
    {"+905321234567", "TR", 2},
    {"+2348031234567", "NG", 3},
    {"+97150123456", "AE", 3},
};

static void test_e164_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char cc[3];
        size_t plen = 0;
        int r = gw_e164_lookup(table, vectors[i].msisdn, cc, &plen);
        if (r != GW_E164_OK || strcmp(cc, vectors[i].cc) != 0 || plen != vectors[i].plen)
            fail_msg("%s: got %d %s/%zu, want %s/%zu", vectors[i].msisdn, r, cc, plen,
                     vectors[i].cc, vectors[i].plen);
    }
}

static void test_e164_bad_input(void **state)
{
    (void)state;
    char cc[3];
    assert_int_equal(gw_e164_lookup(table, "", cc, NULL), GW_E164_EMPTY);
    assert_int_equal(gw_e164_lookup(table, "+", cc, NULL), GW_E164_EMPTY);
    assert_int_equal(gw_e164_lookup(table, NULL, cc, NULL), GW_E164_EMPTY);
    assert_int_equal(gw_e164_lookup(table, "+33 6 12", cc, NULL), GW_E164_NOT_DIGITS);
    assert_int_equal(gw_e164_lookup(table, "++33612", cc, NULL), GW_E164_NOT_DIGITS);
    assert_int_equal(gw_e164_lookup(table, "3361234567x", cc, NULL), GW_E164_NOT_DIGITS);
    assert_int_equal(gw_e164_lookup(table, "1234567890123456", cc, NULL), GW_E164_TOO_LONG);
    assert_int_equal(gw_e164_lookup(table, "123456789012345", cc, NULL), GW_E164_OK);
    /* Global services have no country on purpose. */
    assert_int_equal(gw_e164_lookup(table, "+88212345678", cc, NULL), GW_E164_UNKNOWN);
    assert_int_equal(gw_e164_lookup(table, "0612345678", cc, NULL), GW_E164_UNKNOWN);
    assert_string_equal(cc, "");
}

static void test_e164_longest_prefix(void **state)
{
    (void)state;
    const char *t = "# test\n1,US\n12,CA\n123,JM\n  1234 , PR \n\n";
    struct gw_e164 *x;
    char err[256], cc[3];
    size_t plen;
    assert_int_equal(gw_e164_parse(t, strlen(t), "t.csv", &x, err, sizeof err), 0);
    assert_int_equal(gw_e164_count(x), 4);
    assert_int_equal(gw_e164_lookup(x, "19", cc, &plen), 0);
    assert_string_equal(cc, "US");
    assert_int_equal(gw_e164_lookup(x, "1299", cc, &plen), 0);
    assert_string_equal(cc, "CA");
    assert_int_equal(gw_e164_lookup(x, "1239", cc, &plen), 0);
    assert_string_equal(cc, "JM");
    assert_int_equal(gw_e164_lookup(x, "+12345", cc, &plen), 0);
    assert_string_equal(cc, "PR");
    assert_int_equal(plen, 4);
    assert_int_equal(gw_e164_lookup(x, "123", cc, &plen), 0); /* exactly the prefix */
    assert_string_equal(cc, "JM");
    assert_int_equal(gw_e164_lookup(x, "2", cc, &plen), GW_E164_UNKNOWN);
    gw_e164_free(x);
}

static void test_e164_table_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"1,US\n1,CA\n", "t.csv:2: prefix 1 already given on line 1"},
        {"1,XX\n", "t.csv:1: 'XX' is not an ISO 3166-1 alpha-2"},
        {"1,us\n", "t.csv:1: 'us' is not an ISO"},
        {"# c\n\n1a,US\n", "t.csv:3: prefix must be"},
        {"01,US\n", "t.csv:1: prefix must be"},
        {"1234567890123456,US\n", "t.csv:1: prefix must be"},
        {"1 US\n", "t.csv:1: expected 'prefix,CC'"},
        {",US\n", "t.csv:1: prefix must be"},
        {"# only comments\n", "t.csv: no prefixes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gw_e164 *x = (struct gw_e164 *)1;
        char err[256] = "";
        int r = gw_e164_parse(bad[i].text, strlen(bad[i].text), "t.csv", &x, err, sizeof err);
        if (r != -1 || x != NULL || !strstr(err, bad[i].want))
            fail_msg("case %zu: r=%d err='%s', want '%s'", i, r, err, bad[i].want);
    }
}

static void test_e164_cc_len_and_iso(void **state)
{
    (void)state;
    assert_int_equal(gw_e164_cc_len("12125550123"), 1);
    assert_int_equal(gw_e164_cc_len("79161234567"), 1);
    assert_int_equal(gw_e164_cc_len("33612345678"), 2);
    assert_int_equal(gw_e164_cc_len("5511987654321"), 2);
    assert_int_equal(gw_e164_cc_len("35312345678"), 3);
    assert_int_equal(gw_e164_cc_len("2348031234567"), 3);
    assert_int_equal(gw_e164_cc_len("0612"), 0);
    assert_int_equal(gw_e164_cc_len("2"), 0);
    assert_true(gw_iso3166_valid("BR"));
    assert_true(gw_iso3166_valid("AD"));
    assert_true(gw_iso3166_valid("ZW"));
    assert_false(gw_iso3166_valid("XK")); /* user-assigned, not ISO 3166-1 */
    assert_false(gw_iso3166_valid("UK")); /* exceptionally reserved, GB is the code */
    assert_false(gw_iso3166_valid("br"));
    assert_false(gw_iso3166_valid("BRA"));
    assert_false(gw_iso3166_valid(""));
    /* Every country in the shipped table is ISO, or the load would fail. */
    assert_true(gw_e164_count(table) > 300);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e164_vectors),        cmocka_unit_test(test_e164_bad_input),
        cmocka_unit_test(test_e164_longest_prefix), cmocka_unit_test(test_e164_table_errors),
        cmocka_unit_test(test_e164_cc_len_and_iso),
    };
    return cmocka_run_group_tests_name("e164", tests, setup, teardown);
}
