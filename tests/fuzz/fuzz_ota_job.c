/* fuzz_ota_job.c — job fields as they arrive from Redis: the input is
 * "field=value" lines; ota_job_set + ota_script_build must answer with a
 * script or a named error, never crash, and a built script must be a
 * well-formed chain of C-APDUs of the length it claims. Also feeds the
 * applet profile parser (lines after a "[applet]" line). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[4096];
    static struct ota_script s;
    struct ota_job j;
    struct ota_applet a;
    const char *keys[16], *vals[16];
    unsigned nkv = 0;
    int in_applet = 0;
    char err[256];
    if (size >= sizeof buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    memset(&j, 0, sizeof j);
    char *line = buf;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        if (!strcmp(line, "[applet]")) {
            in_applet = 1;
        } else {
            char *eq = strchr(line, '=');
            if (eq) {
                *eq = 0;
                if (in_applet && nkv < 16) {
                    keys[nkv] = line;
                    vals[nkv++] = eq + 1;
                } else if (!in_applet) {
                    (void)ota_job_set(&j, line, eq + 1, err, sizeof err);
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    if (in_applet && ota_applet_from_kv(&a, "f", keys, vals, nkv, err, sizeof err) == 0)
        j.applet = &a;
    if (ota_script_build(&j, &s, err, sizeof err) == 0) {
        if (s.len > sizeof s.data || s.napdu > OTA_SCRIPT_MAX_APDU)
            __builtin_trap();
        size_t total = 0;
        for (unsigned i = 0; i < s.napdu; i++) {
            char why[96];
            if (!s.raw &&
                ota_apdu_check(s.apdu_buf + s.apdu[i].off, s.apdu[i].len, why, sizeof why))
                __builtin_trap();
            total += s.apdu[i].len;
        }
        if (s.format == OTA_FMT_COMPACT && total != s.len)
            __builtin_trap();
        char listing[8192];
        (void)ota_script_listing(&s, listing, sizeof listing);
    } else if (!memchr(err, ':', sizeof err)) {
        __builtin_trap(); /* every error names its field: "field: ..." */
    }
    return 0;
}
