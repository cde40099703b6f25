/* fuzz_ota_ef.c — the file decoders (what a read-back returns) and, as a
 * round trip, the encoders: every decoded text that the encoder accepts must
 * encode again without crashing. The first octet picks the file. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota/ef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"imsi", "fplmn",  "plmnwact", "oplmnwact", "hplmnwact",
                                    "loci", "psloci", "epsloci",  "smsp",      "acc"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char txt[1024], err[256];
    uint8_t back[1024];
    if (size < 1)
        return 0;
    const struct ota_ef *ef = ota_ef_find(names[data[0] % (sizeof names / sizeof names[0])]);
    if (!ef)
        __builtin_trap();
    if (ota_ef_decode(ef, data + 1, size - 1, txt, sizeof txt) == 0) {
        if (!memchr(txt, 0, sizeof txt))
            __builtin_trap();
        /* Encoding the decoded text may fail (e.g. "fffff" PLMNs), never crash. */
        size_t sz = ef->unit > 1 && (size - 1) % ef->unit == 0 && size > 1 ? size - 1 : 0;
        long n = ota_ef_encode(ef, txt, sz, back, sizeof back, err, sizeof err);
        (void)n;
    }
    /* The input as operator text too. */
    char in[256];
    size_t l = size - 1 < sizeof in - 1 ? size - 1 : sizeof in - 1;
    memcpy(in, data + 1, l);
    in[l] = 0;
    long n = ota_ef_encode(ef, in, 0, back, sizeof back, err, sizeof err);
    if (n > (long)sizeof back)
        __builtin_trap();
    return 0;
}
