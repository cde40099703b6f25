/* fuzz_e164.c — libFuzzer target for gateway/e164.c.
 *
 * The input is split at its first NUL: before it, an E.164 table text for
 * gw_e164_parse; after it, a number for gw_e164_lookup against that table
 * (when it parsed) and against a fixed table with shared codes. Contract:
 * any bytes give 0 or -1 with a message, never a crash; a lookup answers
 * OK with a valid country, or a negative error. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/e164.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gw_e164 *fixed;

static void check_lookup(const struct gw_e164 *t, const char *num)
{
    char cc[3];
    size_t plen = 0;
    int r = gw_e164_lookup(t, num, cc, &plen);
    if (r == GW_E164_OK) {
        if (!gw_iso3166_valid(cc) || plen == 0 || plen > GW_E164_MAX_DIGITS)
            abort();
    } else if (r > 0 || r < GW_E164_UNKNOWN || cc[0] != '\0') {
        abort();
    }
    size_t cl = gw_e164_cc_len(num);
    if (cl > 3)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixed) {
        static const char t[] = "1,US\n1416,CA\n1787,PR\n7,RU\n76,KZ\n77,KZ\n44,GB\n441481,GG\n"
                                "39,IT\n3906698,VA\n55,BR\n";
        char err[256];
        if (gw_e164_parse(t, sizeof t - 1, "fixed", &fixed, err, sizeof err) != 0)
            abort();
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *num = NULL;
    if (nul) {
        size_t nlen = size - tlen - 1;
        num = malloc(nlen + 1);
        if (!num)
            return 0;
        memcpy(num, nul + 1, nlen);
        num[nlen] = '\0';
    }

    struct gw_e164 *t = NULL;
    char err[256] = "";
    int r = gw_e164_parse((const char *)data, tlen, "fuzz", &t, err, sizeof err);
    if (r == 0) {
        if (!t || gw_e164_count(t) == 0)
            abort();
    } else if (r != -1 || t != NULL || err[0] == '\0') {
        abort();
    }
    if (num) {
        check_lookup(fixed, num);
        if (t)
            check_lookup(t, num);
    }
    gw_e164_free(t);
    free(num);
    return 0;
}
