/* fuzz_udh_reasm.c — concatenated SM reassembly: the input is a sequence of
 * SMs, each "origin(1) time(1) len(1) TP-UD(len)", fed into a small table.
 * Checks the memory bound and that a completed message is within limits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec/udh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct udh_reasm_slot slots[3];
    static struct udh_msg msg;
    struct udh_reasm r;
    uint64_t now = 0;
    size_t i = 0;

    udh_reasm_init(&r, slots, 3, 20);
    while (i + 3 <= size) {
        char origin[2] = {(char)('a' + (data[i] & 3)), 0};
        size_t len = data[i + 2];
        now += data[i + 1] & 0x0F;
        i += 3;
        if (len > size - i)
            len = size - i;
        int rc = udh_reasm_add(&r, origin, now, data + i, len, &msg);
        if (rc == UDH_R_COMPLETE && msg.len > UDH_PAYLOAD_MAX)
            __builtin_trap();
        i += len;
    }
    udh_reasm_expire(&r, now + 100);
    for (size_t k = 0; k < 3; k++)
        if (slots[k].used)
            __builtin_trap();
    return 0;
}
