/* hex.c — hexadecimal text <-> octets (see hex.h). */
#include "codec/hex.h"

#include <string.h>

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long hex_decode_n(const char *s, size_t slen, uint8_t *out, size_t outcap)
{
    if (slen % 2 != 0 || slen / 2 > outcap)
        return -1;
    for (size_t i = 0; i < slen; i += 2) {
        int hi = hex_nibble(s[i]), lo = hex_nibble(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(slen / 2);
}

long hex_decode(const char *s, uint8_t *out, size_t outcap)
{
    return hex_decode_n(s, strlen(s), out, outcap);
}

char *hex_encode(const uint8_t *in, size_t len, char *out, size_t outcap)
{
    static const char digits[] = "0123456789abcdef";

    if (outcap < 2 * len + 1)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
    return out;
}
