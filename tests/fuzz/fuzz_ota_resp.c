/* fuzz_ota_resp.c — the card's answers: the compact and expanded remote
 * response parsers (TS 102 226 §5.1.2, §5.2.2) and ota_result_decode against
 * scripts of each format. The first octet picks the script; the rest is the
 * PoR response data. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ota_script scripts[4];
static int ready;

static void setup(void)
{
    char err[256];
    struct ota_job j[4] = {
        {.type = OTA_JOB_CONFIG, .file = "fplmn", .value = "23415,26201", .read_back = 1},
        {.type = OTA_JOB_CONFIG,
         .file = "plmnwact",
         .value = "23415:eutran",
         .read_back = 1,
         .format_set = 1,
         .format = OTA_FMT_EXPANDED},
        {.type = OTA_JOB_SWITCH, .method = OTA_METHOD_PROFILE, .aid = "A0000005591010FFFFFFFF89"},
        {.type = OTA_JOB_SWITCH,
         .method = OTA_METHOD_IMSI,
         .imsi = "001010123456789",
         .read_back = 1,
         .card_class = OTA_CLASS_SIM},
    };
    for (int i = 0; i < 4; i++)
        if (ota_script_build(&j[i], &scripts[i], err, sizeof err))
            __builtin_trap();
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ota_resp r;
    struct ota_result res;
    if (!ready)
        setup();
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    if (ota_resp_parse_compact(p, n, &r) == 0 && (r.nrapdu != 1 || r.rapdu[0].len != n - 3))
        __builtin_trap();
    if (ota_resp_parse_expanded(p, n, &r) == 0) {
        for (unsigned i = 0; i < r.nrapdu; i++)
            if (r.rapdu[i].data < p || r.rapdu[i].data + r.rapdu[i].len > p + n)
                __builtin_trap();
    }
    int rc = ota_result_decode(&scripts[data[0] % 4], p, n, &res);
    if (memchr(res.detail, 0, sizeof res.detail) == NULL ||
        memchr(res.readback, 0, sizeof res.readback) == NULL)
        __builtin_trap();
    if (rc == 0 && res.ok && res.failed != -1)
        __builtin_trap();
    return 0;
}
