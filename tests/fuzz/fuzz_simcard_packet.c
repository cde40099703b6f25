/* fuzz_simcard_packet.c — a simulated card receiving arbitrary SMs: the
 * input is a sequence of "flags(1) len(1) TP-UD(len)" fed to
 * sim_card_deliver (UDH walk, concatenation, 03.48 checks, RFM compact and
 * expanded, applet, ISD-R, PoR building). The card has no keys it needs
 * for an unsecured TAR, so random scripts really run. Any crash, overflow
 * or a PoR over its bound fails. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/sim/sim_card.c"
#include "tests/sim/sim_cards.c"
#include "tests/sim/sim_crypto.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CARDS[] = "[keyset k]\n"
                            "kic = 3des2:300102030405060708090a0b0c0d0e0f\n"
                            "kid = 3des2:301102030405060708090a0b0c0d0e0f\n"
                            "[card 1234567]\n"
                            "msisdn = 1000\n"
                            "keyset = k\n"
                            "tar = b00011 rfm msl=00\n"
                            "tar = b00012 rfm expanded msl=00\n"
                            "tar = c00001 applet msl=00\n"
                            "tar = 000001 isdr msl=00\n"
                            "slot.1 = 001010000000001\n"
                            "slot.2 = 001010000000002\n"
                            "applet_command = 8010SS0000\n"
                            "profile = a0000005591010ffffffff8900001100 enabled\n"
                            "profile = a0000005591010ffffffff8900001200\n"
                            "[card 1234568]\n"
                            "msisdn = 1001\n"
                            "class = sim\n"
                            "keyset = k\n"
                            "tar = b00010 rfm msl=00\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sim_world *w;
    static struct sim_world world;
    static struct sim_result r;
    char err[256];
    if (!w) {
        sim_world_init(&world);
        if (sim_cards_parse(&world, CARDS, sizeof CARDS - 1, "fuzz", err, sizeof err) != 0 ||
            sim_cards_finish(&world, err, sizeof err) != 0)
            __builtin_trap();
        w = &world;
    }
    size_t i = 0;
    while (i + 2 <= size) {
        struct sim_card *c = &w->cards[data[i] & 1];
        int udhi = (data[i] & 2) != 0;
        size_t len = data[i + 1];
        i += 2;
        if (len > size - i)
            len = size - i;
        int rc = sim_card_deliver(w, c, data + i, len, udhi, &r);
        if (rc == 1 && r.send_por && (r.por_len > SIM_POR_MAX || r.por_len < 16))
            __builtin_trap();
        /* The whole input as one packet, too (the reassembled path). */
        i += len;
    }
    sim_card_process(w, &w->cards[0], data, size > SIM_PACKET_MAX ? SIM_PACKET_MAX : size, &r);
    return 0;
}
