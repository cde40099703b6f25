/* test_job.c — the job validator (queue/job.c) and the receipt/PoR
 * classifiers (queue/outcome.c): every rejection names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "queue/job.h"
#include "queue/outcome.h"

/* Builds pairs from "k=v" strings (v may contain '='). */
static size_t kvs(struct jobq_kv *kv, const char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(s[i], '=');
        kv[i] = (struct jobq_kv){s[i], (size_t)(eq - s[i]), eq + 1, strlen(eq + 1)};
    }
    return n;
}

#define BASE "iccid=8949000000000000001", "msisdn=+491701234567"

static enum jobq_err parse(const char *const *s, size_t n, struct jobq_job *j, char *why)
{
    struct jobq_kv kv[80];
    return jobq_job_parse(kv, kvs(kv, s, n), j, why, 256);
}

#define PARSE(j, why, ...)                                                                         \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__};                                                          \
        parse(a_, sizeof a_ / sizeof *a_, j, why);                                                 \
    })

static void test_valid_jobs(void **state)
{
    (void)state;
    struct jobq_job j;
    char why[256];
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=applet", "slot=2", "id=fleet-1:a",
                           "tag=k\xc3\xa9y", "validity=600", "por=none", "carrier=op_a"),
                     JOBQ_OK);
    assert_int_equal(j.type, JOBQ_SWITCH);
    assert_int_equal(j.method, JOBQ_METHOD_APPLET);
    assert_int_equal(j.slot, 2);
    assert_string_equal(j.msisdn, "491701234567");
    assert_string_equal(j.id, "fleet-1:a");
    assert_int_equal(j.validity, 600);
    assert_int_equal(j.por, JOBQ_POR_NONE);
    assert_string_equal(j.carrier, "op_a");

    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=imsi", "imsi=228062800000208"),
                     JOBQ_OK);
    assert_string_equal(j.imsi, "228062800000208");
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=profile",
                           "aid=A0000005591010FFFFFFFF8900001100"),
                     JOBQ_OK);
    assert_int_equal(PARSE(&j, why, "type=config", BASE, "file=fplmn", "value=62F210FFFFFF"),
                     JOBQ_OK);
    assert_int_equal(PARSE(&j, why, "type=config", BASE, "file=3F00/7FFF/6F07", "value=0829"),
                     JOBQ_OK);
    /* Cases 1..4 of ISO/IEC 7816-4 short APDUs. */
    assert_int_equal(PARSE(&j, why, "type=apdu", BASE, "tar=B00010",
                           "apdus=A0A40000023F00,A0B0000009,00700000,00A4000402 3F00"),
                     JOBQ_E_BAD_CHAR); /* space */
    assert_int_equal(PARSE(&j, why, "type=apdu", BASE, "tar=B00010",
                           "apdus=A0A40000023F00,A0B0000009,00700000,00A40004023F0000",
                           "x-trace=abc"),
                     JOBQ_OK);
    assert_string_equal(j.tar, "B00010");
    assert_int_equal(jobq_apdus_check(j.apdus, strlen(j.apdus), why, sizeof why), 4);
}

/* The fields ota/ takes beyond the first contract: action, applet,
 * readback, format (ota/script.h ota_job_set), carried in the job. */
static void test_ota_fields(void **state)
{
    (void)state;
    struct jobq_job j;
    char why[256];
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=profile",
                           "aid=A0000005591010FFFFFFFF8900001100", "action=fallback"),
                     JOBQ_OK);
    assert_int_equal(j.action, JOBQ_ACTION_FALLBACK);
    assert_string_equal(jobq_action_name(j.action), "fallback");
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=profile",
                           "aid=A0000005591010FFFFFFFF8900001100", "action=disable"),
                     JOBQ_OK);
    assert_int_equal(j.action, JOBQ_ACTION_DISABLE);
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=profile",
                           "aid=A0000005591010FFFFFFFF8900001100"),
                     JOBQ_OK);
    assert_int_equal(j.action, JOBQ_ACTION_NONE);
    assert_int_equal(
        PARSE(&j, why, "type=switch", BASE, "method=applet", "slot=1", "applet=acme-v2.1"),
        JOBQ_OK);
    assert_string_equal(j.applet, "acme-v2.1");
    assert_int_equal(PARSE(&j, why, "type=config", BASE, "file=fplmn", "value=23415",
                           "readback=yes", "format=expanded"),
                     JOBQ_OK);
    assert_int_equal(j.readback, 1);
    assert_int_equal(j.format, JOBQ_FORMAT_EXPANDED);
    assert_int_equal(PARSE(&j, why, "type=switch", BASE, "method=imsi", "imsi=228062800000208",
                           "readback=no", "format=compact"),
                     JOBQ_OK);
    assert_int_equal(j.readback, 0);
    assert_int_equal(j.format, JOBQ_FORMAT_COMPACT);

    static const struct {
        const char *kv[8];
        enum jobq_err err;
        const char *field;
    } t[] = {
        {{"type=switch", BASE, "method=profile", "aid=A000000559", "action=delete"},
         JOBQ_E_BAD_VALUE,
         "action:"},
        {{"type=switch", BASE, "method=imsi", "imsi=228062800000208", "action=enable"},
         JOBQ_E_NOT_APPLICABLE,
         "action:"},
        {{"type=config", BASE, "file=imsi", "value=1", "action=disable"},
         JOBQ_E_NOT_APPLICABLE,
         "action:"},
        {{"type=switch", BASE, "method=applet", "slot=1", "applet=a b"},
         JOBQ_E_BAD_CHAR,
         "applet:"},
        {{"type=switch", BASE, "method=applet", "slot=1", "applet="}, JOBQ_E_BAD_VALUE, "applet:"},
        {{"type=switch", BASE, "method=profile", "aid=A000000559", "applet=acme"},
         JOBQ_E_NOT_APPLICABLE,
         "applet:"},
        {{"type=config", BASE, "file=imsi", "value=1", "readback=on"},
         JOBQ_E_BAD_VALUE,
         "readback:"},
        {{"type=switch", BASE, "method=applet", "slot=1", "readback=yes"},
         JOBQ_E_NOT_APPLICABLE,
         "readback:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "readback=yes"},
         JOBQ_E_NOT_APPLICABLE,
         "readback:"},
        {{"type=config", BASE, "file=imsi", "value=1", "format=tlv"}, JOBQ_E_BAD_VALUE, "format:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "format=compact"},
         JOBQ_E_NOT_APPLICABLE,
         "format:"},
        {{"type=switch", BASE, "method=profile", "aid=A000000559", "format=compact"},
         JOBQ_E_NOT_APPLICABLE,
         "format:"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        size_t n = 0;
        while (n < 8 && t[i].kv[n])
            n++;
        enum jobq_err e = parse(t[i].kv, n, &j, why);
        if (e != t[i].err || strncmp(why, t[i].field, strlen(t[i].field)) != 0)
            fail_msg("case %zu: got %d '%s', want %d '%s...'", i, e, why, t[i].err, t[i].field);
    }
    assert_true(jobq_field_known("applet", 6));
    assert_true(jobq_field_known("readback", 8));
}

/* Each bad job of each kind: the error and the field the reason names. */
static void test_rejections(void **state)
{
    (void)state;
    static const struct {
        const char *kv[8];
        enum jobq_err err;
        const char *field;
    } t[] = {
        {{"iccid=8949000000000000001", "msisdn=4917012345"}, JOBQ_E_MISSING, "type:"},
        {{"type=reboot", BASE}, JOBQ_E_BAD_VALUE, "type:"},
        {{"type=switch", "msisdn=4917012345", "method=applet", "slot=1"}, JOBQ_E_MISSING, "iccid:"},
        {{"type=switch", "iccid=89490000", "msisdn=4917012345"}, JOBQ_E_BAD_VALUE, "iccid:"},
        {{"type=switch", "iccid=8949000000000000001", "method=applet", "slot=1"},
         JOBQ_E_MISSING,
         "msisdn:"},
        {{"type=switch", "iccid=8949000000000000001", "msisdn=0049170"},
         JOBQ_E_BAD_VALUE,
         "msisdn:"},
        {{"type=switch", "iccid=8949000000000000001", "msisdn=+4917012345678901"},
         JOBQ_E_TOO_LONG,
         "msisdn:"},
        {{"type=switch", BASE}, JOBQ_E_MISSING, "method:"},
        {{"type=switch", BASE, "method=teleport"}, JOBQ_E_BAD_VALUE, "method:"},
        {{"type=switch", BASE, "method=applet"}, JOBQ_E_MISSING, "slot:"},
        {{"type=switch", BASE, "method=applet", "slot=256"}, JOBQ_E_BAD_VALUE, "slot:"},
        {{"type=switch", BASE, "method=imsi", "imsi=22806x"}, JOBQ_E_BAD_VALUE, "imsi:"},
        {{"type=switch", BASE, "method=profile", "aid=A00000"}, JOBQ_E_BAD_VALUE, "aid:"},
        {{"type=switch", BASE, "method=applet", "slot=1", "file=imsi"},
         JOBQ_E_NOT_APPLICABLE,
         "file:"},
        {{"type=config", BASE, "value=00"}, JOBQ_E_MISSING, "file:"},
        {{"type=config", BASE, "file=6F07/", "value=00"}, JOBQ_E_BAD_VALUE, "file:"},
        {{"type=config", BASE, "file=secret", "value=00"}, JOBQ_E_BAD_VALUE, "file:"},
        {{"type=config", BASE, "file=imsi"}, JOBQ_E_MISSING, "value:"},
        {{"type=config", BASE, "file=imsi", "value=1", "method=imsi"},
         JOBQ_E_NOT_APPLICABLE,
         "method:"},
        {{"type=apdu", BASE, "apdus=00A40000"}, JOBQ_E_MISSING, "tar:"},
        {{"type=apdu", BASE, "tar=B0001", "apdus=00A40000"}, JOBQ_E_BAD_VALUE, "tar:"},
        {{"type=apdu", BASE, "tar=B00010"}, JOBQ_E_MISSING, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A4"}, JOBQ_E_BAD_VALUE, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A400040201"}, JOBQ_E_BAD_VALUE, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00,,"}, JOBQ_E_BAD_VALUE, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004033F00"}, JOBQ_E_BAD_VALUE, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F0"}, JOBQ_E_BAD_VALUE, "apdus:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "por=maybe"},
         JOBQ_E_BAD_VALUE,
         "por:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "validity=0"},
         JOBQ_E_BAD_VALUE,
         "validity:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "validity=9999999"},
         JOBQ_E_BAD_VALUE,
         "validity:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "carrier=a b"},
         JOBQ_E_BAD_CHAR,
         "carrier:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "id=a/b"},
         JOBQ_E_BAD_CHAR,
         "id:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "valdity=60"},
         JOBQ_E_UNKNOWN_FIELD,
         "valdity:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "type=apdu"},
         JOBQ_E_DUP_FIELD,
         "type:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "tag=\x01"},
         JOBQ_E_BAD_CHAR,
         "tag:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "tag=\xc0\xaf"},
         JOBQ_E_BAD_CHAR,
         "tag:"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40004023F00", "tag=\xe2\x82"},
         JOBQ_E_BAD_CHAR,
         "tag:"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        size_t n = 0;
        while (n < 8 && t[i].kv[n])
            n++;
        struct jobq_job j;
        char why[256];
        enum jobq_err e = parse(t[i].kv, n, &j, why);
        if (e != t[i].err || strncmp(why, t[i].field, strlen(t[i].field)) != 0)
            fail_msg("case %zu: got %d '%s', want %d '%s...'", i, e, why, t[i].err, t[i].field);
    }
}

static void test_binary_and_bounds(void **state)
{
    (void)state;
    struct jobq_job j;
    char why[256];
    struct jobq_kv kv[3] = {
        {"type", 4, "ap\0du", 5},
        {"iccid", 5, "8949000000000000001", 19},
        {"msisdn", 6, "4917012345", 10},
    };
    assert_int_equal(jobq_job_parse(kv, 3, &j, why, sizeof why), JOBQ_E_BAD_CHAR);
    assert_string_equal(why, "type: must be printable ASCII without spaces");
    kv[0] = (struct jobq_kv){"ty\xffpe", 5, "apdu", 4};
    assert_int_equal(jobq_job_parse(kv, 3, &j, why, sizeof why), JOBQ_E_BAD_CHAR);
    assert_non_null(strstr(why, "field name 'ty?pe'"));
    static char big[5000];
    memset(big, '0', sizeof big - 1);
    kv[0] = (struct jobq_kv){"tag", 3, big, JOBQ_TAG_MAX + 1};
    assert_int_equal(jobq_job_parse(kv, 3, &j, why, sizeof why), JOBQ_E_TOO_LONG);
    assert_string_equal(why, "tag: 257 bytes, at most 256");
    struct jobq_kv many[JOBQ_FIELDS_MAX + 1];
    for (size_t i = 0; i < JOBQ_FIELDS_MAX + 1; i++)
        many[i] = (struct jobq_kv){"x-a", 3, "1", 1};
    assert_int_equal(jobq_job_parse(many, JOBQ_FIELDS_MAX + 1, &j, why, sizeof why),
                     JOBQ_E_TOO_MANY);
    /* The reason never echoes more than a short printable excerpt. */
    kv[0] = (struct jobq_kv){"type", 4, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 8};
    assert_int_equal(jobq_job_parse(kv, 3, &j, why, sizeof why), JOBQ_E_BAD_VALUE);
    /* 33 APDUs of 4 octets: too many. */
    char apdus[33 * 9 + 1] = "";
    for (int i = 0; i < 33; i++)
        strcat(apdus, i ? ",00A40000" : "00A40000");
    assert_int_equal(jobq_apdus_check(apdus, strlen(apdus), why, sizeof why), -1);
    assert_string_equal(why, "apdus: more than 32 C-APDUs");
    assert_int_equal(jobq_field_known("iccid", 5), 1);
    assert_int_equal(jobq_field_known("state", 5), 0);
}

static void test_salvage(void **state)
{
    (void)state;
    char id[JOBQ_ID_MAX + 1], tag[JOBQ_TAG_MAX + 1];
    struct jobq_kv kv[4];
    const char *a[] = {"valdity=1", "id=job-7", "tag=t1", "type=x"};
    jobq_job_salvage(kv, kvs(kv, a, 4), id, tag);
    assert_string_equal(id, "job-7");
    assert_string_equal(tag, "t1");
    const char *b[] = {"id=a/b", "tag=\x01", "id=c"};
    jobq_job_salvage(kv, kvs(kv, b, 3), id, tag);
    assert_string_equal(id, ""); /* two ids: neither is trusted */
    assert_string_equal(tag, "");
}

/* The msisdn of a rejected entry, for its country: only when valid alone. */
static void test_salvage_msisdn(void **state)
{
    (void)state;
    char m[16];
    struct jobq_kv kv[4];
    const char *a[] = {"iccid=12", "msisdn=+4915112345678", "type=x"};
    jobq_job_salvage_msisdn(kv, kvs(kv, a, 3), m);
    assert_string_equal(m, "4915112345678"); /* the '+' dropped */
    const char *b[] = {"msisdn=447700900001"};
    jobq_job_salvage_msisdn(kv, kvs(kv, b, 1), m);
    assert_string_equal(m, "447700900001");
    static const char *const bad[] = {
        "msisdn=12ab5678",         /* not digits */
        "msisdn=0447700900001",    /* leading 0: no country code starts with 0 */
        "msisdn=1234",             /* under 5 digits */
        "msisdn=1234567890123456", /* over 15 (E.164 §6) */
        "msisdn=+",
        "msisdn=",
        "misdn=447700900001", /* no msisdn field */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jobq_job_salvage_msisdn(kv, kvs(kv, &bad[i], 1), m);
        assert_string_equal(m, "");
    }
    const char *two[] = {"msisdn=447700900001", "msisdn=4915112345678"};
    jobq_job_salvage_msisdn(kv, kvs(kv, two, 2), m);
    assert_string_equal(m, ""); /* given twice: neither is trusted */
}

static void test_receipt_classify(void **state)
{
    (void)state;
    char d[64];
    assert_int_equal(jobq_receipt_classify("DELIVRD", "000", d, sizeof d), JOBQ_OUT_OK);
    assert_string_equal(d, "receipt stat=DELIVRD err=000");
    assert_int_equal(jobq_receipt_classify("UNDELIV", "001", d, sizeof d), JOBQ_OUT_FAIL);
    assert_int_equal(jobq_receipt_classify("EXPIRED", "", d, sizeof d), JOBQ_OUT_FAIL);
    assert_int_equal(jobq_receipt_classify("ENROUTE", "", d, sizeof d), JOBQ_OUT_INFO);
    assert_int_equal(jobq_receipt_classify("WHATEVR", "", d, sizeof d), JOBQ_OUT_INFO);
    assert_int_equal(jobq_receipt_classify(NULL, NULL, d, sizeof d), JOBQ_OUT_INFO);
}

static void test_por_classify(void **state)
{
    (void)state;
    char d[160];
    static const uint8_t ok[] = {0x01, 0x90, 0x00};
    static const uint8_t busy[] = {0x02, 0x93, 0x00};
    static const uint8_t nf[] = {0x01, 0x6A, 0x82};
    static const uint8_t more[] = {0x01, 0x61, 0x2F}; /* pySim vector: 01 612F */
    /* Expanded (TS 102 226 §5.2.2): AB L 80 01 02 23 02 90 00 23 02 6A 82 */
    static const uint8_t exp_bad[] = {0xAB, 0x0B, 0x80, 0x01, 0x02, 0x23, 0x02,
                                      0x90, 0x00, 0x23, 0x02, 0x6A, 0x82};
    static const uint8_t exp_ok[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00};
    static const uint8_t trunc[] = {0xAB, 0x40, 0x23, 0x10, 0x90};
    assert_int_equal(jobq_por_classify(0, ok, 3, d, sizeof d), JOBQ_OUT_OK);
    assert_string_equal(d, "PoR 00 PoR OK, SW 9000");
    assert_int_equal(jobq_por_classify(0, more, 3, d, sizeof d), JOBQ_OUT_OK);
    assert_int_equal(jobq_por_classify(0, NULL, 0, d, sizeof d), JOBQ_OUT_OK);
    assert_int_equal(jobq_por_classify(0, busy, 3, d, sizeof d), JOBQ_OUT_RETRY);
    assert_int_equal(jobq_por_classify(0, nf, 3, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, card answered SW 6A82");
    assert_int_equal(jobq_por_classify(0, exp_bad, sizeof exp_bad, d, sizeof d), JOBQ_OUT_FAIL);
    assert_int_equal(jobq_por_classify(0, exp_ok, sizeof exp_ok, d, sizeof d), JOBQ_OUT_OK);
    assert_int_equal(jobq_por_classify(0, trunc, sizeof trunc, d, sizeof d), JOBQ_OUT_OK);
    assert_int_equal(jobq_por_classify(1, NULL, 0, d, sizeof d), JOBQ_OUT_FAIL);
    assert_int_equal(jobq_por_classify(2, NULL, 0, d, sizeof d), JOBQ_OUT_RESYNC);
    assert_string_equal(d, "PoR 02 counter low");
    assert_int_equal(jobq_por_classify(3, NULL, 0, d, sizeof d), JOBQ_OUT_RESYNC);
    assert_int_equal(jobq_por_classify(4, NULL, 0, d, sizeof d), JOBQ_OUT_BLOCKED);
    assert_int_equal(jobq_por_classify(8, NULL, 0, d, sizeof d), JOBQ_OUT_INFO);
    assert_int_equal(jobq_por_classify(9, NULL, 0, d, sizeof d), JOBQ_OUT_FAIL);
    assert_int_equal(jobq_por_classify(0x42, NULL, 0, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 42 reserved status");
}

/* The class of each refusal, for the metric label: the field the reason
 * names, "other" when the field is not the contract's (the name is then the
 * client's text, however it looks). */
static void test_reason_class(void **state)
{
    (void)state;
    static const struct {
        const char *pairs[6];
        const char *cls;
    } v[] = {
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000"}, "other"}, /* valid: no class */
        {{"type=apdu", "iccid=8949000000000000001", "msisdn=12ab"}, "msisdn"},
        {{"type=apdu", "iccid=12", "msisdn=+491701234567"}, "iccid"},
        {{BASE, "tar=B00010"}, "type"},
        {{"type=reboot", BASE}, "type"},
        {{"type=switch", BASE}, "method"},
        {{"type=switch", BASE, "method=applet"}, "slot"},
        {{"type=switch", BASE, "method=applet", "slot=1", "file=imsi"}, "file"},
        {{"type=apdu", BASE, "tar=B0", "apdus=00A40000"}, "tar"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "validity=0"}, "validity"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "colour=red"}, "other"},
        /* An unknown name that looks like "field: ..." is still other. */
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "msisdn:x=1"}, "other"},
        {{"type=apdu", BASE, "msisdn=+491701234567"}, "msisdn"}, /* twice */
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "id=a/b"}, "id"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "tag=\xff"}, "tag"},
        {{"type=apdu", BASE, "tar=B00010", "apdus=00A40000", "a b=1"}, "other"}, /* name */
    };
    char why[256];
    struct jobq_job j;
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        size_t n = 0;
        while (n < 6 && v[i].pairs[n])
            n++;
        enum jobq_err rc = parse(v[i].pairs, n, &j, why);
        const char *cls = jobq_reason_class(rc, why);
        if (strcmp(cls, v[i].cls) != 0)
            fail_msg("vector %zu (%s): class '%s', want '%s'", i, why, cls, v[i].cls);
    }
    struct jobq_kv many[JOBQ_FIELDS_MAX + 1];
    for (size_t i = 0; i < JOBQ_FIELDS_MAX + 1; i++)
        many[i] = (struct jobq_kv){"x-a", 3, "1", 1};
    enum jobq_err rc = jobq_job_parse(many, JOBQ_FIELDS_MAX + 1, &j, why, sizeof why);
    assert_int_equal(rc, JOBQ_E_TOO_MANY);
    assert_string_equal(jobq_reason_class(rc, why), "other");
    assert_string_equal(jobq_reason_class(JOBQ_E_BAD_VALUE, NULL), "other");
    assert_string_equal(jobq_reason_class(JOBQ_E_BAD_VALUE, "no colon"), "other");
    assert_string_equal(jobq_reason_class(JOBQ_E_MISSING, "keyset: x"), "keyset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_jobs),       cmocka_unit_test(test_ota_fields),
        cmocka_unit_test(test_rejections),       cmocka_unit_test(test_binary_and_bounds),
        cmocka_unit_test(test_receipt_classify), cmocka_unit_test(test_por_classify),
        cmocka_unit_test(test_salvage),          cmocka_unit_test(test_salvage_msisdn),
        cmocka_unit_test(test_reason_class),
    };
    return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
