/* fuzz_por_detail.c — libFuzzer target for reading a PoR against its job:
 * the record -> job step of the PoR lookup (queue/porlookup.c
 * jobq_porlookup_job_from), then what the daemon does with it (ota script
 * rebuilt, ota_result_decode, jobq_por_outcome).
 *
 * Input: the values of jobq_porlookup_fields in order, each ended by a NUL
 * (an empty value = the field is absent from the record), then the PoR's
 * response data (the rest). Nothing may crash; an accepted record yields a
 * job with a type and a card class; every outcome has a detail that starts
 * with "PoR " and holds no control character but what ota/ wrote. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ota/script.h"
#include "queue/outcome.h"
#include "queue/porlookup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *vals[JOBQ_PORLOOKUP_NFIELDS] = {0};
    size_t len[JOBQ_PORLOOKUP_NFIELDS] = {0};
    const char *p = (const char *)data, *end = p + size;
    for (size_t i = 0; i < JOBQ_PORLOOKUP_NFIELDS && p < end; i++) {
        const char *z = memchr(p, 0, (size_t)(end - p));
        size_t l = z ? (size_t)(z - p) : (size_t)(end - p);
        if (l) {
            vals[i] = p;
            len[i] = l;
        }
        p += l + (z ? 1 : 0);
    }
    const uint8_t *resp = (const uint8_t *)p;
    size_t rlen = (size_t)(end - p);

    static struct jobq_job j;
    char why[256];
    if (jobq_porlookup_job_from(vals, len, "uicc", &j, why, sizeof why) != 0) {
        if (!why[0])
            abort(); /* every refusal has a reason */
        return 0;
    }
    if (j.type < JOBQ_SWITCH || j.type > JOBQ_APDU || !j.card_class[0])
        abort();

    /* The daemon's ota_job_from, without the applet profiles. */
    struct ota_job oj = {0};
    oj.type = j.type == JOBQ_SWITCH   ? OTA_JOB_SWITCH
              : j.type == JOBQ_CONFIG ? OTA_JOB_CONFIG
                                      : OTA_JOB_APDU;
    oj.method = j.method == JOBQ_METHOD_APPLET    ? OTA_METHOD_APPLET
                : j.method == JOBQ_METHOD_IMSI    ? OTA_METHOD_IMSI
                : j.method == JOBQ_METHOD_PROFILE ? OTA_METHOD_PROFILE
                                                  : OTA_METHOD_NONE;
    oj.card_class = strcmp(j.card_class, "sim") ? OTA_CLASS_UICC : OTA_CLASS_SIM;
    oj.action = j.action ? jobq_action_name(j.action) : NULL;
    oj.read_back = j.readback;
    if (j.format) {
        oj.format_set = 1;
        oj.format = j.format == JOBQ_FORMAT_EXPANDED ? OTA_FMT_EXPANDED : OTA_FMT_COMPACT;
    }
    oj.imsi = j.imsi, oj.aid = j.aid, oj.file = j.file, oj.value = j.value;
    oj.tar = j.tar, oj.apdus = j.apdus;
    static struct ota_script s;
    if (ota_script_build(&oj, &s, why, sizeof why) != 0)
        return 0;
    struct ota_result r;
    int rc = ota_result_decode(&s, resp, rlen, &r);
    struct jobq_por_decoded dec = {
        .understood = rc == 0,
        .ok = r.ok,
        .provisional = r.provisional,
        .sw = r.sw,
        .what = s.summary,
        .detail = r.detail,
        .readback = r.readback,
    };
    char d[640];
    unsigned status = rlen ? resp[0] % 16 : 0; /* other statuses too */
    enum jobq_outcome o = jobq_por_outcome(rlen > 1 ? 0 : status, resp, rlen, &dec, d, sizeof d);
    if (strncmp(d, "PoR ", 4) != 0 || o > JOBQ_OUT_BLOCKED)
        abort();
    if (dec.provisional && dec.ok && o != JOBQ_OUT_OK)
        abort();
    return 0;
}
