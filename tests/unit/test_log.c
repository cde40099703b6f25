/* test_log.c — gateway/log.c: text and JSON lines (escaping per RFC 8259
 * §7), the level test before formatting, and MSISDN masking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"

static char *buf;
static size_t len;
static FILE *out;

static void open_log(int level, int json)
{
    out = open_memstream(&buf, &len);
    assert_non_null(out);
    struct gw_log_opts o = {
        .level = level, .json = json, .mask_msisdn = 1, .ident = "gw1", .out = out};
    gw_log_setup(&o);
}

static char *close_log(void)
{
    fclose(out);
    struct gw_log_opts o = {.level = GW_LOG_INFO, .mask_msisdn = 1};
    gw_log_setup(&o);
    return buf;
}

static int evaluated;
static const char *count_eval(void)
{
    evaluated++;
    return "x";
}

static void test_log_text(void **state)
{
    (void)state;
    open_log(GW_LOG_INFO, 0);
    GW_LOG(GW_LOG_NOTICE, "bind", "carrier=tim bind=2", "BINDING -> %s", "BOUND");
    GW_LOG(GW_LOG_INFO, "main", NULL, "ready");
    GW_LOG(GW_LOG_DEBUG, "bind", "carrier=tim", "dropped %s", count_eval());
    char *s = close_log();
    assert_int_equal(evaluated, 0); /* the level is checked before the arguments */
    /* 2024-05-01T10:00:00.123Z notice bind [carrier=tim bind=2] BINDING -> BOUND */
    char *l2 = strchr(s, '\n');
    assert_non_null(l2);
    assert_int_equal(s[4], '-');
    assert_int_equal(s[10], 'T');
    assert_int_equal(s[23], 'Z');
    assert_true(strncmp(s + 24, " notice bind [carrier=tim bind=2] BINDING -> BOUND\n", 51) == 0);
    assert_true(strncmp(l2 + 25, " info main ready\n", 17) == 0);
    assert_null(strstr(s, "dropped"));
    free(s);
}

static void test_log_json(void **state)
{
    (void)state;
    open_log(GW_LOG_DEBUG, 1);
    GW_LOG(GW_LOG_WARNING, "job", "job=a\"b carrier=x",
           "quote \" backslash \\ newline \n tab \t bell \a done");
    char *s = close_log();
    assert_int_equal(s[0], '{');
    assert_non_null(strstr(s, "\"level\":\"warning\",\"gw\":\"gw1\",\"subsys\":\"job\","
                              "\"job\":\"a\\\"b\",\"carrier\":\"x\","
                              "\"msg\":\"quote \\\" backslash \\\\ newline \\n tab \\t bell "
                              "\\u0007 done\"}\n"));
    /* One line: the newline in the message did not break it. */
    assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
    free(s);
}

static void test_log_levels(void **state)
{
    (void)state;
    assert_int_equal(gw_log_level_parse("err"), 3);
    assert_int_equal(gw_log_level_parse("debug"), 7);
    assert_int_equal(gw_log_level_parse("trace"), -1);
    assert_string_equal(gw_log_level_name(4), "warning");
    assert_string_equal(gw_log_level_name(9), "?");
    open_log(GW_LOG_ERR, 0);
    GW_LOG(GW_LOG_WARNING, "x", NULL, "hidden");
    GW_LOG(GW_LOG_ERR, "x", NULL, "shown");
    char *s = close_log();
    assert_null(strstr(s, "hidden"));
    assert_non_null(strstr(s, " err x shown"));
    free(s);
}

static void test_log_mask(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {
        {"+33612345678", "+33*******78"},     /* 2-digit country code */
        {"12125550123", "1********23"},       /* NANP: 1 */
        {"+2348031234567", "+234********67"}, /* 3-digit */
        {"+79161234567", "+7********67"},
        {"+3361", "***"},    /* too short to keep anything */
        {"+33 6 12", "***"}, /* not digits */
        {"", "***"},
        {"0612345678", "***"}, /* no country code */
    };
    char b[32];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_string_equal(gw_log_mask_msisdn(v[i].in, 1, b, sizeof b), v[i].out);
    assert_string_equal(gw_log_mask_msisdn("+33612345678", 0, b, sizeof b), "+33612345678");
    char small[6];
    assert_string_equal(gw_log_mask_msisdn("+33612345678", 1, small, sizeof small), "+33**");
    /* gw_log_msisdn follows the logger's setting. */
    struct gw_log_opts o = {.level = GW_LOG_INFO, .mask_msisdn = 0};
    gw_log_setup(&o);
    assert_string_equal(gw_log_msisdn("+33612345678", b, sizeof b), "+33612345678");
    o.mask_msisdn = 1;
    gw_log_setup(&o);
    assert_string_equal(gw_log_msisdn("+33612345678", b, sizeof b), "+33*******78");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_log_text),
        cmocka_unit_test(test_log_json),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_log_mask),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
