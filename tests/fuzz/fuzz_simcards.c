/* fuzz_simcards.c — the simulator's card file parser (tests/sim/sim_cards.c)
 * on arbitrary text: it must give 0 or -EINVAL with a message, never crash,
 * leak, or read out of bounds; a parsed world must index and dump. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/sim/sim_card.c"
#include "tests/sim/sim_cards.c"
#include "tests/sim/sim_crypto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sim_world w;
    char err[256];
    sim_world_init(&w);
    int rc = sim_cards_parse(&w, (const char *)data, size, "fuzz", err, sizeof err);
    if (rc != 0 && rc != -EINVAL)
        __builtin_trap();
    if (rc == 0 && sim_cards_finish(&w, err, sizeof err) == 0) {
        FILE *f = fopen("/dev/null", "w");
        if (f) {
            sim_cards_dump(&w, NULL, f);
            fclose(f);
        }
        for (unsigned i = 0; i < w.ncards; i++)
            if (sim_world_by_msisdn(&w, w.cards[i].msisdn) != &w.cards[i])
                __builtin_trap();
    }
    sim_world_free(&w);
    return 0;
}
