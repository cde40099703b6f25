/* test_por_detail.c — a PoR read against its job's script, the pure parts:
 * jobq_por_outcome (queue/outcome.c: which outcome and which detail), the
 * record -> job step of the PoR lookup (queue/porlookup.c
 * jobq_porlookup_job_from), and the chain the daemon runs: job record ->
 * ota script -> ota_result_decode -> jobq_por_outcome, with response data
 * as otasim's card sends it (TS 102 226 §5.1.2 compact: executed count,
 * SW1 SW2, data of the last command). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "ota/script.h"
#include "queue/outcome.h"
#include "queue/porlookup.h"

static void test_outcome_decoded(void **state)
{
    (void)state;
    char d[640];
    static const uint8_t nf[] = {0x03, 0x6A, 0x82};
    struct jobq_por_decoded dec = {
        .understood = 1,
        .ok = 0,
        .sw = 0x6982,
        .what = "config EF_ACC: 2 octets",
        .detail = "EF_ACC: security status not satisfied (6982), command 4 of 4",
    };
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, EF_ACC: security status not satisfied (6982), command 4 of 4");

    /* SIM busy (TS 51.011 §9.4.1) stays a retry, decoded or not. */
    dec.sw = 0x9300;
    dec.detail = "EF_FPLMN: SIM Application Toolkit busy (9300), command 3 of 3";
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_RETRY);

    /* ok, with a read-back appended to the detail. */
    dec = (struct jobq_por_decoded){.understood = 1,
                                    .ok = 1,
                                    .sw = 0x9000,
                                    .detail = "ok: 5 commands executed (9000)",
                                    .readback = "EF_FPLMN: 23415,26201"};
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_OK);
    assert_string_equal(d,
                        "PoR 00, ok: 5 commands executed (9000); read back EF_FPLMN: 23415,26201");

    /* Provisional: what was accepted, what confirms it, the clauses. */
    dec = (struct jobq_por_decoded){.understood = 1,
                                    .ok = 1,
                                    .provisional = 1,
                                    .sw = 0x9000,
                                    .what = "switch profile: enable ISD-P a0000005591010ffff",
                                    .detail = "ISD-R accepted the command (9000); provisional"};
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_OK);
    assert_non_null(strstr(d, "PoR 00, switch profile: enable ISD-P a0000005591010ffff: accepted "
                              "by the ISD-R (9000); provisional: "));
    assert_non_null(strstr(d, "eUICC's notification to the SM-SR"));
    assert_non_null(strstr(d, "fall-back to the previous profile"));
    assert_non_null(strstr(d, "SGP.02 3.2.1, 3.2.2, 4.1.1.11"));
    /* A PoR 00 without response data (no SW to show). */
    dec.sw = 0;
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_OK);
    assert_non_null(
        strstr(d, "enable ISD-P a0000005591010ffff: accepted by the ISD-R; provisional"));
    /* A provisional script whose command failed is a plain failure. */
    dec.ok = 0;
    dec.sw = 0x6A88;
    dec.detail = "ISD-R: referenced data not found (6A88), command 1 of 1";
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, ISD-R: referenced data not found (6A88), command 1 of 1");

    /* Data that does not read against the script: the status code's
     * classification, ota's reason appended. */
    dec = (struct jobq_por_decoded){.understood = 0, .detail = "malformed compact response"};
    assert_int_equal(jobq_por_outcome(0, nf, sizeof nf, &dec, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, card answered SW 6A82; the response does not read against "
                           "the script: malformed compact response");

    /* Statuses other than 00 and no reading: jobq_por_classify, unchanged. */
    dec = (struct jobq_por_decoded){.understood = 1, .ok = 1, .detail = "ok"};
    assert_int_equal(jobq_por_outcome(2, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_RESYNC);
    assert_string_equal(d, "PoR 02 counter low");
    assert_int_equal(jobq_por_outcome(0x0A, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 0A insufficient security level");
    assert_int_equal(jobq_por_outcome(0, nf, sizeof nf, NULL, d, sizeof d), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, card answered SW 6A82");

    /* NULL strings read as "", a short buffer truncates. */
    dec = (struct jobq_por_decoded){.understood = 1, .ok = 1};
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, d, sizeof d), JOBQ_OUT_OK);
    assert_string_equal(d, "PoR 00, ");
    char small[12];
    dec.detail = "ok: 5 commands executed (9000)";
    assert_int_equal(jobq_por_outcome(0, NULL, 0, &dec, small, sizeof small), JOBQ_OUT_OK);
    assert_string_equal(small, "PoR 00, ok:");
}

/* A record as the lookup reads it: values by field name. */
struct rec {
    const char *v[JOBQ_PORLOOKUP_NFIELDS];
    size_t l[JOBQ_PORLOOKUP_NFIELDS];
};

static void set(struct rec *r, const char *field, const char *value)
{
    for (size_t i = 0; i < JOBQ_PORLOOKUP_NFIELDS; i++)
        if (!strcmp(jobq_porlookup_fields[i], field)) {
            r->v[i] = value;
            r->l[i] = value ? strlen(value) : 0;
            return;
        }
    fail_msg("no field %s", field);
}

static void test_job_from(void **state)
{
    (void)state;
    struct jobq_job j;
    char why[160];
    struct rec r = {0};
    set(&r, "type", "config");
    set(&r, "iccid", "8944000000000000011");
    set(&r, "msisdn", "447700900011");
    set(&r, "file", "fplmn");
    set(&r, "value", "23415,26201");
    set(&r, "readback", "yes");
    set(&r, "class", "sim");
    set(&r, "keyset", "ks1");
    /* The correlation TAR jobq stores on every job: not a field of a config job. */
    set(&r, "tar", "b00011");
    assert_int_equal(jobq_porlookup_job_from(r.v, r.l, "uicc", &j, why, sizeof why), 0);
    assert_int_equal(j.type, JOBQ_CONFIG);
    assert_string_equal(j.file, "fplmn");
    assert_string_equal(j.value, "23415,26201");
    assert_int_equal(j.readback, 1);
    assert_string_equal(j.card_class, "sim");
    assert_string_equal(j.keyset, "ks1");
    assert_string_equal(j.tar, "");

    /* No class in the record: the configured default. */
    set(&r, "class", NULL);
    assert_int_equal(jobq_porlookup_job_from(r.v, r.l, "uicc", &j, why, sizeof why), 0);
    assert_string_equal(j.card_class, "uicc");

    /* type=apdu: the tar is the job's own. */
    struct rec a = {0};
    set(&a, "type", "apdu");
    set(&a, "iccid", "8944000000000000011");
    set(&a, "msisdn", "+447700900011");
    set(&a, "tar", "B00011");
    set(&a, "apdus", "00a40004023f00,00b0000009");
    assert_int_equal(jobq_porlookup_job_from(a.v, a.l, NULL, &j, why, sizeof why), 0);
    assert_string_equal(j.tar, "B00011");
    assert_string_equal(j.msisdn, "447700900011");
    assert_string_equal(j.card_class, "uicc");

    /* switch/profile with its action. */
    struct rec p = {0};
    set(&p, "type", "switch");
    set(&p, "iccid", "8944000000000000013");
    set(&p, "msisdn", "447700900013");
    set(&p, "method", "profile");
    set(&p, "aid", "a0000005591010ffffffff8900001200");
    set(&p, "action", "disable");
    set(&p, "tar", "000001");
    assert_int_equal(jobq_porlookup_job_from(p.v, p.l, "uicc", &j, why, sizeof why), 0);
    assert_int_equal(j.method, JOBQ_METHOD_PROFILE);
    assert_int_equal(j.action, JOBQ_ACTION_DISABLE);

    /* A record edited by hand into something invalid: refused with the reason. */
    set(&p, "aid", "zz");
    assert_int_equal(jobq_porlookup_job_from(p.v, p.l, "uicc", &j, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "aid"));
    /* An empty record (expired between the GET and the HMGET). */
    struct rec e = {0};
    assert_int_equal(jobq_porlookup_job_from(e.v, e.l, "uicc", &j, why, sizeof why), -EINVAL);
    /* A class too long for the job is not taken. */
    set(&r, "class", "something-long");
    assert_int_equal(jobq_porlookup_job_from(r.v, r.l, "sim", &j, why, sizeof why), 0);
    assert_string_equal(j.card_class, "sim");
}

/* The daemon's chain, with the job from its record and the response data
 * otasim's UICC sends. */
static enum jobq_outcome chain(struct rec *r, const uint8_t *data, size_t len, char *d, size_t dl,
                               struct ota_result *res)
{
    struct jobq_job j;
    char why[320];
    assert_int_equal(jobq_porlookup_job_from(r->v, r->l, "uicc", &j, why, sizeof why), 0);
    struct ota_job oj = {0};
    oj.type = j.type == JOBQ_SWITCH   ? OTA_JOB_SWITCH
              : j.type == JOBQ_CONFIG ? OTA_JOB_CONFIG
                                      : OTA_JOB_APDU;
    oj.method = j.method == JOBQ_METHOD_PROFILE ? OTA_METHOD_PROFILE
                : j.method == JOBQ_METHOD_IMSI  ? OTA_METHOD_IMSI
                                                : OTA_METHOD_NONE;
    oj.card_class = strcmp(j.card_class, "sim") ? OTA_CLASS_UICC : OTA_CLASS_SIM;
    oj.file = j.file, oj.value = j.value, oj.read_back = j.readback;
    oj.aid = j.aid, oj.imsi = j.imsi;
    oj.action = j.action ? jobq_action_name(j.action) : NULL;
    static struct ota_script s;
    assert_int_equal(ota_script_build(&oj, &s, why, sizeof why), 0);
    int rc = ota_result_decode(&s, data, len, res);
    struct jobq_por_decoded dec = {
        .understood = rc == 0,
        .ok = res->ok,
        .provisional = res->provisional,
        .sw = res->sw,
        .what = s.summary,
        .detail = res->detail,
        .readback = res->readback,
    };
    return jobq_por_outcome(0, data, len, &dec, d, dl);
}

static void test_chain(void **state)
{
    (void)state;
    char d[640];
    struct ota_result res;
    struct rec r = {0};
    set(&r, "type", "config");
    set(&r, "iccid", "8944000000000000011");
    set(&r, "msisdn", "447700900011");
    set(&r, "file", "acc");
    set(&r, "value", "0,3");
    /* EF_ACC read-only on the card: the 4th command (UPDATE) answers 6982. */
    static const uint8_t ro[] = {0x04, 0x69, 0x82};
    assert_int_equal(chain(&r, ro, sizeof ro, d, sizeof d, &res), JOBQ_OUT_FAIL);
    assert_string_equal(d, "PoR 00, EF_ACC: security status not satisfied (6982), command 4 of 4");

    /* Read-back of EF_FPLMN: the READ BINARY's data comes with the last SW. */
    set(&r, "file", "fplmn");
    set(&r, "value", "23415,26201");
    set(&r, "readback", "yes");
    /* TS 24.008 §10.5.1.3 PLMN coding: 234 15 = 32 F4 51, 262 01 = 62 F2 10. */
    static const uint8_t rb[] = {0x05, 0x90, 0x00, 0x32, 0xF4, 0x51, 0x62, 0xF2,
                                 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(chain(&r, rb, sizeof rb, d, sizeof d, &res), JOBQ_OUT_OK);
    assert_string_equal(res.readback, "EF_FPLMN: 23415,26201");
    assert_string_equal(d,
                        "PoR 00, ok: 5 commands executed (9000); read back EF_FPLMN: 23415,26201");

    /* eUICC enable: expanded answer AB 07 80 01 01 23 02 90 00 (TS 102 226 §5.2.2). */
    struct rec p = {0};
    set(&p, "type", "switch");
    set(&p, "iccid", "8944000000000000013");
    set(&p, "msisdn", "447700900013");
    set(&p, "method", "profile");
    set(&p, "aid", "a0000005591010ffffffff8900001200");
    static const uint8_t en[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00};
    assert_int_equal(chain(&p, en, sizeof en, d, sizeof d, &res), JOBQ_OUT_OK);
    assert_int_equal(res.provisional, 1);
    assert_non_null(strstr(d, "enable ISD-P a0000005591010ffffffff8900001200: accepted by the "
                              "ISD-R (9000); provisional"));
    /* fallback is not provisional (its PoR is the result). */
    set(&p, "action", "fallback");
    assert_int_equal(chain(&p, en, sizeof en, d, sizeof d, &res), JOBQ_OUT_OK);
    assert_int_equal(res.provisional, 0);
    assert_null(strstr(d, "provisional"));
    /* A response the script cannot explain (compact data to an expanded
     * script): classified by its last SW, ota's reason appended. */
    set(&p, "action", NULL);
    static const uint8_t junk[] = {0xAB, 0x40, 0x23};
    assert_int_equal(chain(&p, junk, sizeof junk, d, sizeof d, &res), JOBQ_OUT_OK);
    assert_non_null(strstr(d, "; the response does not read against the script: malformed"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_decoded),
        cmocka_unit_test(test_job_from),
        cmocka_unit_test(test_chain),
    };
    return cmocka_run_group_tests_name("por_detail", tests, NULL, NULL);
}
