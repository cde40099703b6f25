/* fuzz_c348_cmd.c — the card side of a command packet: peek + open under
 * fixed keys, for every SPI/KIc/KID the input carries. The first octet picks
 * the stored counter's low bits; the rest is the secured packet. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/c348.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[C348_PKT_MAX];
    struct c348_params p = {.kic_key_len = 16, .kid_key_len = 16};
    struct c348_cmd_hdr h;
    struct c348_cmd cmd;

    if (size < 1)
        return 0;
    memset(p.kic_key, 0x11, sizeof p.kic_key);
    memset(p.kid_key, 0x22, sizeof p.kid_key);
    p.cntr = data[0];
    /* Key lengths follow the header's algorithm so that deep paths run. */
    if (c348_cmd_peek(data + 1, size - 1, &h) == 0) {
        static const size_t des_len[4] = {8, 16, 24, 8};
        p.kic_key_len = (h.kic & 3) == 1 ? des_len[(h.kic >> 2) & 3] : 16 + 8 * (data[0] % 3);
        p.kid_key_len = (h.kid & 3) == 1 ? des_len[(h.kid >> 2) & 3] : 16 + 8 * (data[0] % 3);
    }
    if (c348_cmd_open(&p, data + 1, size - 1, buf, sizeof buf, &cmd) == 0 &&
        cmd.status == C348_ST_OK) {
        /* The data must lie inside buf. */
        if (cmd.data < buf || cmd.data + cmd.data_len > buf + size - 1)
            __builtin_trap();
    }
    return 0;
}
