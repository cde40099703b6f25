/* fuzz_c348_por.c — the gateway side of a PoR: c348_por_open on any TP-UD.
 * The first two octets choose the SPI2 (PoR rules) and the algorithms; the
 * rest is the TP-UD. A PoR that opens must have been built from the same
 * keys: rebuilding it from what was decoded gives the same octets. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/c348.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t kics[] = {0x01, 0x05, 0x09, 0x02};
    static const size_t klen[] = {8, 16, 24, 16};
    static uint8_t buf[C348_PKT_MAX + 3], again[C348_PKT_MAX + 3];
    struct c348_params p = {0};
    struct c348_por r;

    if (size < 2)
        return 0;
    unsigned a = data[0] & 3;
    p.spi = (uint16_t)(0x1200 | (data[1] & 0x3F));
    p.kic = kics[a];
    p.kid = (data[1] & 0x0C) == 0x04 ? (uint8_t)(data[0] & 0x04 ? 0x05 : 0x01) : kics[a];
    p.spi = (data[1] & 0x0C) == 0x04 ? (uint16_t)(0x1100 | (data[1] & 0x3F)) : p.spi;
    p.kic_key_len = p.kid_key_len = klen[a];
    memset(p.kic_key, 0x33, sizeof p.kic_key);
    memset(p.kid_key, 0x44, sizeof p.kid_key);
    if (c348_por_open(&p, data + 2, size - 2, 0, buf, sizeof buf, &r) != 0)
        return 0;
    if (r.data + r.data_len > buf + size - 2)
        __builtin_trap();
    memcpy(p.tar, r.tar, 3);
    p.cntr = r.cntr;
    if (r.verified && r.pcntr == 0 && (p.spi & C348_SPI2_POR_CIPHER) == 0) {
        int n = c348_por_build(&p, r.status, r.data, r.data_len, again, sizeof again);
        if (n != (int)(size - 2) || memcmp(again, data + 2, size - 2) != 0)
            __builtin_trap();
    }
    return 0;
}
