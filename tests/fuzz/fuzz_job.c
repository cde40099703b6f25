/* fuzz_job.c — libFuzzer target for the job validator (queue/job.c).
 *
 * Input: field/value pairs separated by NUL bytes ("k\0v\0k\0v..."), so the
 * fuzzer reaches every field with arbitrary bytes, NULs excepted (Redis
 * would carry them; the binary_and_bounds unit test covers those). The
 * validator must never crash, an accepted job must hold only what the
 * contract allows, and a refusal's class (jobq_reason_class) is one of the
 * contract's field names or "other". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jobq_kv kv[JOBQ_FIELDS_MAX + 2];
    size_t n = 0;
    const char *p = (const char *)data;
    const char *end = p + size;
    while (p < end && n < JOBQ_FIELDS_MAX + 2) {
        const char *k = p;
        const char *z = memchr(p, 0, (size_t)(end - p));
        size_t kl = z ? (size_t)(z - p) : (size_t)(end - p);
        p += kl + (z ? 1 : 0);
        const char *v = p;
        z = memchr(p, 0, (size_t)(end - p));
        size_t vl = z ? (size_t)(z - p) : (size_t)(end - p);
        p += vl + (z ? 1 : 0);
        kv[n++] = (struct jobq_kv){k, kl, v, vl};
    }
    static struct jobq_job j;
    char why[256];
    enum jobq_err rc = jobq_job_parse(kv, n, &j, why, sizeof why);
    /* A refusal's metric class is a contract field or "other", never the
     * entry's own text (bounded label values). */
    const char *cls = jobq_reason_class(rc, why);
    if (strcmp(cls, "other") != 0 && !jobq_field_known(cls, strlen(cls)))
        abort();
    if (rc == JOBQ_OK) {
        if (!j.iccid[0] || !j.msisdn[0] || j.type < JOBQ_SWITCH || j.type > JOBQ_APDU)
            abort();
        if (j.type == JOBQ_APDU && jobq_apdus_check(j.apdus, strlen(j.apdus), why, sizeof why) < 1)
            abort();
    } else if (why[0] == '\0') {
        abort(); /* every refusal has a reason */
    }
    /* The salvage of a refused entry's msisdn (its country): digits only,
     * 5..15, no leading 0 — or nothing; and what parse accepted, it keeps. */
    char m[16];
    jobq_job_salvage_msisdn(kv, n, m);
    size_t ml = strlen(m);
    if (ml && (ml < 5 || ml > 15 || m[0] == '0' || strspn(m, "0123456789") != ml))
        abort();
    if (jobq_job_parse(kv, n, &j, why, sizeof why) == JOBQ_OK && strcmp(m, j.msisdn) != 0)
        abort();
    return 0;
}
