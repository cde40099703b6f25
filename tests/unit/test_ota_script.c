/* test_ota_script.c — jobs -> command scripts byte for byte, the card's
 * answers -> results, and a precise error for every impossible job.
 *
 * Vector sources: "pySim" = osmocom/pysim 597f1e0 (tests/unittests/
 * test_ota.py PoR vectors, whose deciphered response data is the compact
 * RFM response 01 612F; SELECT MF 00A40004023F00); "TS 102 226 t5.2" =
 * constructed from the table, the same bytes AA07220580E2900000 /
 * AE80220580E29000000000 appear in a public SCP80/81 test suite; "njiwa" =
 * bagyenda/njiwa EnableProfileTransaction (3A 03 / 4F AID in STORE DATA
 * 80 E2 88 00). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "codec/hex.h"
#include "ota/script.h"

static struct ota_script S;

static void hexeq(const uint8_t *p, size_t n, const char *want)
{
    char h[2 * OTA_SCRIPT_MAX + 1];
    assert_non_null(hex_encode(p, n, h, sizeof h));
    assert_string_equal(h, want);
}

static void build_ok(const struct ota_job *j)
{
    char err[256] = "";
    int rc = ota_script_build(j, &S, err, sizeof err);
    if (rc)
        fail_msg("build failed: %s", err);
}

static void build_err(const struct ota_job *j, int want_rc, const char *needle)
{
    char err[256] = "";
    int rc = ota_script_build(j, &S, err, sizeof err);
    if (rc != want_rc || !strstr(err, needle))
        fail_msg("rc %d (want %d), error '%s' lacks '%s'", rc, want_rc, err, needle);
}

static void apdu_eq(unsigned i, const char *want)
{
    assert_true(i < S.napdu);
    hexeq(S.apdu_buf + S.apdu[i].off, S.apdu[i].len, want);
}

static void result(const char *resp_hex, struct ota_result *r)
{
    uint8_t b[512];
    long n = hex_decode(resp_hex, b, sizeof b);
    assert_true(n >= 0);
    assert_int_equal(ota_result_decode(&S, b, (size_t)n, r), 0);
}

static void test_wrap_formats(void **state)
{
    (void)state;
    const uint8_t a[] = {0x80, 0xE2, 0x90, 0x00, 0x00};
    const uint8_t *p[] = {a};
    size_t l[] = {sizeof a};
    uint8_t out[64];
    /* TS 102 226 t5.2 / t5.2a */
    long n = ota_script_wrap(OTA_FMT_EXPANDED, p, l, 1, out, sizeof out);
    hexeq(out, (size_t)n, "aa07220580e2900000");
    n = ota_script_wrap(OTA_FMT_EXPANDED_INDEF, p, l, 1, out, sizeof out);
    hexeq(out, (size_t)n, "ae80220580e29000000000");
    n = ota_script_wrap(OTA_FMT_COMPACT, p, l, 1, out, sizeof out);
    hexeq(out, (size_t)n, "80e2900000");
    assert_int_equal(ota_script_wrap(OTA_FMT_EXPANDED, p, l, 1, out, 8), -1);
    /* a 200-octet C-APDU: BER long form 81 C8 inside, 81 CB outside */
    uint8_t big[200];
    memset(big, 0, sizeof big);
    big[4] = 195;
    p[0] = big;
    l[0] = sizeof big;
    uint8_t o2[256];
    n = ota_script_wrap(OTA_FMT_EXPANDED, p, l, 1, o2, sizeof o2);
    assert_int_equal(n, 3 + 3 + 200);
    hexeq(o2, 6, "aa81cb2281c8");
}

static void test_apdu_job(void **state)
{
    (void)state;
    struct ota_job j = {.type = OTA_JOB_APDU, .tar = "b00011", .apdus = "00a40004023f00"};
    build_ok(&j);
    hexeq(S.tar, 3, "b00011");
    hexeq(S.data, S.len, "00a40004023f00"); /* pySim SELECT MF, byte for byte */
    assert_int_equal(S.format, OTA_FMT_COMPACT);
    j.apdus = "A0A40000023F00,a0a40000027F20,A0B0000009";
    build_ok(&j);
    hexeq(S.data, S.len, "a0a40000023f00a0a40000027f20a0b0000009");
    assert_int_equal(S.napdu, 3);
    /* pySim PoR (Test_SMS_3DES.test_resp_3des_none): 1 executed, SW 612F */
    j.apdus = "00a40004023f00";
    build_ok(&j);
    struct ota_result r;
    result("01612f", &r);
    assert_true(r.ok);
    assert_int_equal(r.executed, 1);
    assert_int_equal(r.sw, 0x612F);
    result("016a82", &r);
    assert_false(r.ok);
    assert_string_equal(r.detail, "APDU 1: file not found (6A82), command 1 of 1");
}

static void test_apdu_job_rejects(void **state)
{
    (void)state;
    struct ota_job j = {.type = OTA_JOB_APDU, .apdus = "00a40004023f00"};
    build_err(&j, -EINVAL, "tar: missing");
    j.tar = "b0001";
    build_err(&j, -EINVAL, "tar: 'b0001' is not 6 hex digits");
    j.tar = "b00011";
    j.apdus = "";
    build_err(&j, -EINVAL, "apdus: missing");
    j.apdus = "00a40004023f00,zz";
    build_err(&j, -EINVAL, "apdus: APDU 2 'zz' is not hex");
    j.apdus = "00a400040211";
    build_err(&j, -EINVAL, "apdus: APDU 1: Lc 02 but 1 data bytes");
    j.apdus = "00a4";
    build_err(&j, -EINVAL, "apdus: APDU 1: 2 bytes");
    j.apdus = "00a40004023f00,";
    build_err(&j, -EINVAL, "apdus: APDU 2");
    j.apdus = "00a40004023f00";
    j.format_set = 1;
    j.format = OTA_FMT_EXPANDED;
    build_err(&j, -EINVAL, "format: an apdu job is sent as one compact script");
}

static void test_config_fplmn(void **state)
{
    (void)state;
    struct ota_job j = {.type = OTA_JOB_CONFIG, .file = "fplmn", .value = "23415,26201"};
    build_ok(&j);
    hexeq(S.tar, 3, "b00011");
    assert_int_equal(S.napdu, 4);
    apdu_eq(0, "00a40004023f00");
    apdu_eq(1, "00a40004027fff");
    apdu_eq(2, "00a40004026f7b");
    apdu_eq(3, "00d600000c32f45162f210ffffffffffff");
    hexeq(S.data, S.len,
          "00a40004023f0000a40004027fff00a40004026f7b00d600000c32f45162f210ffffffffffff");
    struct ota_result r;
    result("046982", &r);
    assert_false(r.ok);
    assert_int_equal(r.failed, 3);
    assert_string_equal(r.detail, "EF_FPLMN: security status not satisfied (6982), command 4 of 4");
    result("036a82", &r);
    assert_string_equal(r.detail, "EF_FPLMN: file not found (6A82), command 3 of 4");
    result("049000", &r);
    assert_true(r.ok);
    assert_string_equal(r.detail, "ok: 4 commands executed (9000)");
    result("029000", &r);
    assert_false(r.ok);
    assert_string_equal(r.detail, "stopped after 2 of 4 commands (last 9000)");

    /* 2G SIM: CLA A0, DF_GSM, TAR B00010 */
    j.card_class = OTA_CLASS_SIM;
    j.value = "23415;size=6";
    build_ok(&j);
    hexeq(S.tar, 3, "b00010");
    hexeq(S.data, S.len, "a0a40000023f00a0a40000027f20a0a40000026f7ba0d600000632f451ffffff");
    result("049f0f", &r); /* TS 51.011 §9.4.1: 9Fxx is a normal ending */
    assert_true(r.ok);
}

static void test_config_readback_and_raw(void **state)
{
    (void)state;
    struct ota_job j = {
        .type = OTA_JOB_CONFIG, .file = "EF_FPLMN", .value = "23415,26201", .read_back = 1};
    build_ok(&j);
    assert_int_equal(S.napdu, 5);
    apdu_eq(4, "00b000000c");
    struct ota_result r;
    result("05900032f45162f210ffffffffffff", &r);
    assert_true(r.ok);
    assert_string_equal(r.readback, "EF_FPLMN: 23415,26201");
    /* expanded: every R-APDU comes back, the read's data is the 5th */
    j.format_set = 1;
    j.format = OTA_FMT_EXPANDED;
    build_ok(&j);
    assert_int_equal(S.data[0], 0xAA);
    result("ab23800105230290002302900023029000230290002"
           "30e32f45162f210ffffffffffff9000",
           &r);
    assert_true(r.ok);
    assert_string_equal(r.readback, "EF_FPLMN: 23415,26201");

    /* raw FID path, record, smsp */
    struct ota_job k = {.type = OTA_JOB_CONFIG,
                        .file = "3F00/7F10/6F42",
                        .value = "0011;record=2",
                        .card_class = OTA_CLASS_SIM};
    build_ok(&k);
    hexeq(S.data, S.len, "a0a40000023f00a0a40000027f10a0a40000026f42a0dc0204020011");
    k.value = "00112233;offset=16";
    k.file = "3f00/2fe2";
    k.card_class = OTA_CLASS_UICC;
    build_ok(&k);
    hexeq(S.data, S.len, "00a40004023f0000a40004022fe200d600100400112233");
    struct ota_job m = {.type = OTA_JOB_CONFIG,
                        .file = "smsp",
                        .value = "+4915790109999",
                        .card_class = OTA_CLASS_SIM};
    build_ok(&m);
    apdu_eq(1, "a0a40000027f10");
    apdu_eq(3, "a0dc01041cfdffffffffffffffffffffffff0891945197109099f9ffffffffffff");
}

static void test_config_rejects(void **state)
{
    (void)state;
    struct ota_job j = {
        .type = OTA_JOB_CONFIG, .file = "fplmn", .value = "23415,26201,20801,20810,21401"};
    build_err(&j, -EINVAL, "value: EF_FPLMN: 5 PLMNs do not fit in a file of 12 octets");
    j.file = "fplnm";
    build_err(&j, -EINVAL, "file: unknown file 'fplnm'");
    j.file = "3F00/7F2";
    build_err(&j, -EINVAL, "file: unknown file '3F00/7F2'");
    j.file = "7F20/6F7B";
    build_err(&j, -EINVAL, "file: unknown file"); /* must start at the MF */
    j.file = "epsloci";
    j.value = "invalidate";
    j.card_class = OTA_CLASS_SIM;
    build_err(&j, -EINVAL, "file: EF_EPSLOCI does not exist on a 2G SIM (class sim)");
    j.card_class = OTA_CLASS_UICC;
    j.file = "";
    build_err(&j, -EINVAL, "file: missing");
    j.file = "fplmn";
    j.value = NULL;
    build_err(&j, -EINVAL, "value: missing");
    j.value = "23415;size=7";
    build_err(&j, -EINVAL, "value: size=7 is not a multiple of 3");
    j.value = "23415;record=1";
    build_err(&j, -EINVAL, "value: EF_FPLMN is transparent");
    j.value = "23415;colour=2";
    build_err(&j, -EINVAL, "value: unknown option 'colour'");
    j.value = "23415;size=x";
    build_err(&j, -EINVAL, "value: option 'size=x': not a number");
    j.value = "23415";
    j.tar = "B0001G";
    build_err(&j, -EINVAL, "tar: 'B0001G'");
    j.tar = NULL;
    j.card_class = OTA_CLASS_SIM;
    j.format_set = 1;
    j.format = OTA_FMT_EXPANDED;
    build_err(&j, -EINVAL, "format: a 2G SIM");
    struct ota_job k = {.type = OTA_JOB_CONFIG, .file = "acc", .value = "3,17"};
    build_err(&k, -EINVAL, "value: EF_ACC: access class 17");
    struct ota_job t = {.type = 0};
    build_err(&t, -EINVAL, "type: expected switch, config or apdu");
}

static void test_switch_imsi(void **state)
{
    (void)state;
    struct ota_job j = {
        .type = OTA_JOB_SWITCH, .method = OTA_METHOD_IMSI, .imsi = "228062800000208"};
    build_ok(&j);
    /* MF and ADF selected once; locations first, EF_IMSI last */
    assert_int_equal(S.napdu, 10);
    apdu_eq(0, "00a40004023f00");
    apdu_eq(1, "00a40004027fff");
    apdu_eq(2, "00a40004026f7e");
    apdu_eq(3, "00d600000bfffffffffffffffffeff01");
    apdu_eq(4, "00a40004026f73");
    apdu_eq(6, "00a40004026fe3");
    apdu_eq(8, "00a40004026f07");
    apdu_eq(9, "00d6000009082982608200002080"); /* pySim EF_IMSI vector */
    struct ota_result r;
    result("076a82", &r);
    assert_string_equal(r.detail, "EF_EPSLOCI: file not found (6A82), command 7 of 10");
    result("0a9000", &r);
    assert_true(r.ok);

    j.card_class = OTA_CLASS_SIM;
    j.read_back = 1;
    build_ok(&j);
    assert_int_equal(S.napdu, 9); /* no EPSLOCI on a 2G SIM, + READ */
    apdu_eq(1, "a0a40000027f20");
    apdu_eq(4, "a0a40000026f53");
    apdu_eq(8, "a0b0000009");
    result("099000082982608200002080", &r);
    assert_true(r.ok);
    assert_string_equal(r.readback, "EF_IMSI: 228062800000208");

    j.imsi = "2280628000002O8";
    build_err(&j, -EINVAL, "imsi: 'O' at position 14 is not a digit");
    j.imsi = NULL;
    build_err(&j, -EINVAL, "imsi: missing");
    /* config file=imsi does the same as switch/imsi */
    struct ota_job k = {.type = OTA_JOB_CONFIG, .file = "imsi", .value = "228062800000208"};
    build_ok(&k);
    assert_int_equal(S.napdu, 10);
}

static void test_switch_profile(void **state)
{
    (void)state;
    struct ota_job j = {.type = OTA_JOB_SWITCH,
                        .method = OTA_METHOD_PROFILE,
                        .aid = "A0000005591010FFFFFFFF8900001100"};
    build_ok(&j);
    hexeq(S.tar, 3, "000001");
    assert_int_equal(S.format, OTA_FMT_EXPANDED);
    /* njiwa: 80 E2 88 00 | 3A 03 | 4F AID */
    hexeq(S.data, S.len, "aa1c221a80e28800153a03124f10a0000005591010ffffffff8900001100");
    assert_true(S.provisional);
    char err[200];
    assert_int_equal(ota_script_check_security(&S, 0x1621, 0x15, 0x15, err, sizeof err), 0);
    assert_int_equal(ota_script_check_security(&S, 0x0221, 0x15, 0x15, err, sizeof err), -EPERM);
    assert_non_null(strstr(err, "spi: 0221, the ISD-R demands"));
    assert_int_equal(ota_script_check_security(&S, 0x0621, 0x15, 0x15, err, sizeof err), -EPERM);
}

static void test_switch_profile_fallback(void **state)
{
    (void)state;
    /* SGP.02 Set Fall-Back Attribute: the same STORE DATA with DO 3A 05. */
    struct ota_job j = {.type = OTA_JOB_SWITCH,
                        .method = OTA_METHOD_PROFILE,
                        .aid = "A0000005591010FFFFFFFF8900001200",
                        .action = "fallback"};
    build_ok(&j);
    hexeq(S.tar, 3, "000001");
    assert_int_equal(S.format, OTA_FMT_EXPANDED);
    hexeq(S.data, S.len, "aa1c221a80e28800153a05124f10a0000005591010ffffffff8900001200");
    /* No profile changes state: the PoR is the result, not provisional. */
    assert_false(S.provisional);
    struct ota_result r;
    result("ab0780010123029000", &r);
    assert_true(r.ok);
    assert_false(r.provisional);
    char err[200];
    assert_int_equal(ota_script_check_security(&S, 0x0221, 0x15, 0x15, err, sizeof err), -EPERM);
    j.action = "fall-back";
    build_err(&j, -EINVAL, "action: 'fall-back', expected enable, disable or fallback");
}

static void test_switch_profile_results(void **state)
{
    (void)state;
    struct ota_job j = {.type = OTA_JOB_SWITCH,
                        .method = OTA_METHOD_PROFILE,
                        .aid = "A0000005591010FFFFFFFF8900001100",
                        .action = "disable"};
    build_ok(&j);
    assert_memory_equal(S.apdu_buf + S.apdu[0].off + 5, "\x3a\x04", 2);
    struct ota_result r;
    result("ab0780010123029000", &r);
    assert_true(r.ok);
    assert_true(r.provisional);
    assert_non_null(strstr(r.detail, "provisional"));
    result("ab0780010123026a88", &r);
    assert_false(r.ok);
    assert_string_equal(r.detail, "ISD-R: referenced data not found (6A88), command 1 of 1");
    result("af802302900000000000", &r); /* indefinite, no count TLV */
    assert_true(r.ok);
    result("ab06800100900102", &r);
    assert_false(r.ok);
    assert_int_equal(r.bad_format, 2);
    assert_string_equal(r.detail, "card rejected the script: bad format (wrong length)");
    uint8_t junk[] = {0xAB, 0x05, 0x80, 0x01};
    assert_int_equal(ota_result_decode(&S, junk, sizeof junk, &r), OTA_RESP_ERR_TRUNC);
    assert_non_null(strstr(r.detail, "malformed expanded response"));

    j.action = "swap";
    build_err(&j, -EINVAL, "action: 'swap'");
    j.action = NULL;
    j.aid = "A00000";
    build_err(&j, -EINVAL, "aid: 'A00000' is not an AID");
    j.aid = "A0000005591010FFFFFFFF890000110000";
    build_err(&j, -EINVAL, "aid:");
    j.aid = NULL;
    build_err(&j, -EINVAL, "aid: missing");
    j.aid = "A0000005591010FFFFFFFF8900001100";
    j.card_class = OTA_CLASS_SIM;
    build_err(&j, -EINVAL, "method: profile needs an eUICC");
}

static void test_applet(void **state)
{
    (void)state;
    struct ota_applet a;
    char err[256];
    const char *k[] = {"tar", "spi", "kic", "kid", "slots", "command", "description"};
    const char *v[] = {"B0FF01", "1621", "15", "15", "1-4", "80C2{slot}0000", "example"};
    assert_int_equal(ota_applet_from_kv(&a, "acme", k, v, 7, err, sizeof err), 0);
    struct ota_job j = {.type = OTA_JOB_SWITCH,
                        .method = OTA_METHOD_APPLET,
                        .applet = &a,
                        .applet_name = "acme",
                        .slot = "3"};
    build_ok(&j);
    hexeq(S.tar, 3, "b0ff01");
    hexeq(S.data, S.len, "80c2030000");
    assert_int_equal(ota_script_check_security(&S, 0x1621, 0x15, 0x15, err, sizeof err), 0);
    assert_int_equal(ota_script_check_security(&S, 0x1621, 0x25, 0x15, err, sizeof err), -EPERM);
    assert_string_equal(err, "kic: 25, the target demands 15");
    j.slot = "5";
    build_err(&j, -EINVAL, "slot: 5 is outside 1-4 of applet acme");
    j.slot = "x";
    build_err(&j, -EINVAL, "slot: 'x' is not a number");
    j.slot = NULL;
    build_err(&j, -EINVAL, "slot: missing");
    j.slot = "2";
    j.imsi = "228062800000208";
    build_err(&j, -EINVAL, "imsi: applet acme takes no IMSI");
    j.imsi = NULL;
    j.tar = "b00011";
    build_err(&j, -EINVAL, "tar: an applet profile names its own TAR");
    j.tar = NULL;
    j.applet = NULL;
    build_err(&j, -ENOENT, "applet: profile 'acme' is not configured");

    /* an IMSI-pushing applet, expanded, raw payload */
    const char *k2[] = {"tar", "command", "format"};
    const char *v2[] = {"B0FF02", "80E20000 0B 01 {slot}{imsi}, 80E2800000", "expanded"};
    assert_int_equal(ota_applet_from_kv(&a, "imsi-push", k2, v2, 3, err, sizeof err), 0);
    struct ota_job m = {.type = OTA_JOB_SWITCH,
                        .method = OTA_METHOD_APPLET,
                        .applet = &a,
                        .slot = "1",
                        .imsi = "228062800000208"};
    build_ok(&m);
    hexeq(S.data, S.len,
          "aa192210"
          "80e200000b0101082982608200002080"
          "220580e2800000");
    const char *k3[] = {"tar", "command", "payload"};
    const char *v3[] = {"B0FF03", "01{slot}", "raw"};
    assert_int_equal(ota_applet_from_kv(&a, "rawvendor", k3, v3, 3, err, sizeof err), 0);
    m.imsi = NULL;
    m.slot = "2";
    build_ok(&m);
    hexeq(S.data, S.len, "0102");
    struct ota_result r;
    result("aa55", &r);
    assert_true(r.ok);
    assert_string_equal(r.detail, "applet answered 2 octets: aa55");
}

static void test_applet_profile_rejects(void **state)
{
    (void)state;
    struct ota_applet a;
    char err[256];
    struct {
        const char *key, *val, *needle;
    } cases[] = {
        {"tar", "B0FF1", "applet x: key 'tar': invalid value 'B0FF1' (6 hex digits)"},
        {"spi", "16", "key 'spi': invalid value '16' (4 hex digits)"},
        {"kic", "1", "key 'kic': invalid value '1' (2 hex digits)"},
        {"slots", "4-1", "key 'slots': invalid value '4-1'"},
        {"format", "short", "key 'format': invalid value 'short'"},
        {"payload", "text", "key 'payload'"},
        {"colour", "red", "applet x: unknown key 'colour'"},
        {"command", "80C2{slt}0000", "key 'command': unknown placeholder '{slt}'"},
        {"command", "80C2{slot}000", "key 'command': odd number of hex digits in part 1"},
        {"command", "80C20000 05 00", "key 'command': part 1 is not a C-APDU: Lc 05 but 1"},
        {"command", "80C2", "key 'command': part 1 is not a C-APDU: 2 bytes"},
        {"command", "80C20000,,", "part 2 is empty"},
        {"command", "80C2G000", "'G' at column 5 is not hex"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *k[] = {"tar", "command", cases[i].key};
        const char *v[] = {"B0FF01", "80C2000000", cases[i].val};
        err[0] = 0;
        assert_int_equal(ota_applet_from_kv(&a, "x", k, v, 3, err, sizeof err), -EINVAL);
        if (!strstr(err, cases[i].needle))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].needle);
    }
    const char *k[] = {"tar"};
    const char *v[] = {"B0FF01"};
    assert_int_equal(ota_applet_from_kv(&a, "y", k, v, 1, err, sizeof err), -EINVAL);
    assert_string_equal(err, "applet y: key 'command' is missing");
    const char *k1[] = {"command"};
    const char *v1[] = {"80C2000000"};
    assert_int_equal(ota_applet_from_kv(&a, "z", k1, v1, 1, err, sizeof err), -EINVAL);
    assert_string_equal(err, "applet z: key 'tar' is missing");
}

static void test_job_set_and_listing(void **state)
{
    (void)state;
    struct ota_job j;
    memset(&j, 0, sizeof j);
    char err[200];
    assert_int_equal(ota_job_set(&j, "type", "config", err, sizeof err), 0);
    assert_int_equal(ota_job_set(&j, "class", "sim", err, sizeof err), 0);
    assert_int_equal(ota_job_set(&j, "file", "fplmn", err, sizeof err), 0);
    assert_int_equal(ota_job_set(&j, "value", "23415", err, sizeof err), 0);
    assert_int_equal(ota_job_set(&j, "readback", "yes", err, sizeof err), 0);
    assert_int_equal(ota_job_set(&j, "iccid", "8949", err, sizeof err), -ENOENT);
    assert_int_equal(ota_job_set(&j, "type", "swap", err, sizeof err), -EINVAL);
    assert_string_equal(err, "type: 'swap', expected switch, config or apdu");
    assert_int_equal(ota_job_set(&j, "class", "usim", err, sizeof err), -EINVAL);
    assert_int_equal(ota_job_set(&j, "method", "ota", err, sizeof err), -EINVAL);
    assert_int_equal(ota_job_set(&j, "format", "long", err, sizeof err), -EINVAL);
    assert_int_equal(ota_job_set(&j, "readback", "maybe", err, sizeof err), -EINVAL);
    build_ok(&j);
    char out[4096];
    long n = ota_script_listing(&S, out, sizeof out);
    assert_true(n > 0);
    assert_non_null(strstr(out, "TAR B00010, compact format, 5 commands"));
    assert_non_null(strstr(out, "UPDATE BINARY EF_FPLMN (6F7B) offset 0, 12 octets"));
    assert_non_null(strstr(out, "READ BINARY EF_FPLMN (6F7B), 12 octets"));
    assert_non_null(strstr(out, "script a0a40000023f00"));
    assert_int_equal(ota_script_listing(&S, out, 40), -1);
}

static void test_fit(void **state)
{
    (void)state;
    /* pySim 3DES-SJA5-CIPHERED-CC (tests/vectors/ota-public.json): SELECT MF
     * with CC + ciphering, 3DES2 -> a 34-octet packet (CPL 0020), one SM. */
    struct ota_job j = {.type = OTA_JOB_APDU, .tar = "b00011", .apdus = "00a40004023f00"};
    build_ok(&j);
    size_t pl;
    unsigned n;
    char err[256];
    assert_int_equal(ota_script_fit(&S, 0x1621, 0x15, 0x15, 5, &pl, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(pl, 34);
    /* a long PLMN list: ten entries with AcT in a 200-octet file = ~220 octets */
    struct ota_job k = {.type = OTA_JOB_CONFIG,
                        .file = "oplmnwact",
                        .value = "23415,26201,20801,20810,21401,22210,23801,24001,24201,24405;"
                                 "size=200"};
    build_ok(&k);
    assert_int_equal(ota_script_fit(&S, 0x1621, 0x15, 0x15, 5, &pl, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ota_script_fit(&S, 0x1621, 0x15, 0x15, 1, &pl, &n, err, sizeof err),
                     -EMSGSIZE);
    assert_non_null(strstr(err, "in 2 SMs, the card profile allows 1"));
    /* KIc 3 = proprietary: the codec refuses it */
    assert_int_equal(ota_script_fit(&S, 0x1621, 0x13, 0x15, 5, &pl, &n, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "spi/kic/kid: 1621/13/15"));
}

/* The shipped examples must load: a tiny INI reader over the file. */
static void test_example_applets(void **state)
{
    (void)state;
    FILE *f = fopen("conf/applets.example.conf", "r");
    assert_non_null(f);
    static char keys[2][16][32], vals[2][16][256], names[2][32];
    unsigned nkv[2] = {0, 0};
    int sec = -1;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0] == '#' || !line[0])
            continue;
        if (!strncmp(line, "[applet ", 8)) {
            sec++;
            assert_true(sec < 2);
            snprintf(names[sec], sizeof names[sec], "%.*s", (int)(strlen(line) - 9), line + 8);
            continue;
        }
        char *eq = strchr(line, '=');
        assert_non_null(eq);
        assert_true(sec >= 0);
        *eq = 0;
        char *k = line, *v = eq + 1;
        while (*v == ' ')
            v++;
        for (char *e = k + strlen(k); e > k && e[-1] == ' ';)
            *--e = 0;
        snprintf(keys[sec][nkv[sec]], 32, "%s", k);
        snprintf(vals[sec][nkv[sec]], 256, "%s", v);
        nkv[sec]++;
    }
    fclose(f);
    assert_int_equal(sec, 1);
    struct ota_applet a[2];
    char err[256];
    for (int i = 0; i < 2; i++) {
        const char *kp[16], *vp[16];
        for (unsigned k = 0; k < nkv[i]; k++)
            kp[k] = keys[i][k], vp[k] = vals[i][k];
        if (ota_applet_from_kv(&a[i], names[i], kp, vp, nkv[i], err, sizeof err))
            fail_msg("%s", err);
    }
    assert_string_equal(a[0].name, "example-slot");
    struct ota_job j = {
        .type = OTA_JOB_SWITCH, .method = OTA_METHOD_APPLET, .applet = &a[0], .slot = "2"};
    build_ok(&j);
    hexeq(S.data, S.len, "80c2020000");
    j.applet = &a[1];
    j.slot = "1";
    j.imsi = "001010123456789";
    build_ok(&j);
    hexeq(S.data, S.len,
          "aa192210"
          "80e200000b0101"
          "080910101032547698"
          "220580c2010000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_formats),
        cmocka_unit_test(test_apdu_job),
        cmocka_unit_test(test_apdu_job_rejects),
        cmocka_unit_test(test_config_fplmn),
        cmocka_unit_test(test_config_readback_and_raw),
        cmocka_unit_test(test_config_rejects),
        cmocka_unit_test(test_switch_imsi),
        cmocka_unit_test(test_switch_profile),
        cmocka_unit_test(test_switch_profile_results),
        cmocka_unit_test(test_switch_profile_fallback),
        cmocka_unit_test(test_applet),
        cmocka_unit_test(test_applet_profile_rejects),
        cmocka_unit_test(test_job_set_and_listing),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_example_applets),
    };
    return cmocka_run_group_tests_name("ota_script", tests, NULL, NULL);
}
