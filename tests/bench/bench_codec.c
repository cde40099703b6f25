/* bench_codec.c — packets built + verified per second per algorithm on one
 * core: the gateway builds a command of 100 octets of data, the card side
 * opens (deciphers, verifies, checks the counter) it. Also the PoR path.
 * Prints figures; asserts nothing about time (`make bench`). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codec/c348.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine may be shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct row {
    const char *name;
    uint16_t spi;
    uint8_t kic, kid;
    size_t kic_len, kid_len;
};

static const struct row rows[] = {
    {"none (no security)", 0x0001, 0x00, 0x00, 0, 0},
    {"CRC32 RC only", 0x1101, 0x00, 0x05, 0, 0},
    {"AES-CMAC only", 0x1201, 0x00, 0x02, 0, 16},
    {"DES-CBC + DES MAC", 0x1601, 0x01, 0x01, 8, 8},
    {"3DES2-CBC + 3DES2 MAC", 0x1601, 0x05, 0x05, 16, 16},
    {"3DES3-CBC + 3DES3 MAC", 0x1601, 0x09, 0x09, 24, 24},
    {"AES128-CBC + AES-CMAC", 0x1601, 0x02, 0x02, 16, 16},
    {"AES256-CBC + AES-CMAC", 0x1601, 0x02, 0x02, 32, 32},
};

int main(void)
{
    static uint8_t data[100], pkt[C348_PKT_MAX], buf[C348_PKT_MAX], por[256], pbuf[256];
    const long iters = 200000;

    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    printf("%-24s %12s %10s %12s %10s\n", "algorithm (100 octets)", "cmd/s", "us/cmd", "PoR/s",
           "us/PoR");
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        struct c348_params p = {.spi = rows[r].spi,
                                .kic = rows[r].kic,
                                .kid = rows[r].kid,
                                .tar = {0xB0, 0x00, 0x10},
                                .kic_key_len = rows[r].kic_len,
                                .kid_key_len = rows[r].kid_len};
        struct c348_params card;
        struct c348_cmd cmd;
        struct c348_por rp;
        memset(p.kic_key, 0x3C, sizeof p.kic_key);
        memset(p.kid_key, 0xA5, sizeof p.kid_key);
        card = p;

        /* Warm up: the first call fetches ciphers and makes contexts. */
        p.cntr = 1;
        card.cntr = 0;
        int len = c348_cmd_build(&p, data, sizeof data, pkt, sizeof pkt);
        if (len < 0 || c348_cmd_open(&card, pkt, (size_t)len, buf, sizeof buf, &cmd) != 0 ||
            cmd.status != C348_ST_OK) {
            fprintf(stderr, "%s: round trip failed\n", rows[r].name);
            return 1;
        }

        double t0 = now_s();
        for (long i = 0; i < iters; i++) {
            p.cntr = (uint64_t)i + 2;
            card.cntr = (uint64_t)i + 1;
            len = c348_cmd_build(&p, data, sizeof data, pkt, sizeof pkt);
            if (len < 0 || c348_cmd_open(&card, pkt, (size_t)len, buf, sizeof buf, &cmd) != 0 ||
                cmd.status != C348_ST_OK)
                return 1;
        }
        double dc = now_s() - t0;

        /* PoR: the card builds one (status + 3 octets), the gateway opens it. */
        p.spi =
            (uint16_t)(p.spi | ((rows[r].spi >> 8) & 3) << 2 | ((rows[r].spi >> 8) & 4 ? 0x10 : 0));
        t0 = now_s();
        for (long i = 0; i < iters; i++) {
            int pl =
                c348_por_build(&p, C348_ST_OK, (const uint8_t *)"\x01\x90\x00", 3, por, sizeof por);
            if (pl < 0 || c348_por_open(&p, por, (size_t)pl, 1, pbuf, sizeof pbuf, &rp) != 0)
                return 1;
        }
        double dp = now_s() - t0;
        printf("%-24s %12.0f %10.2f %12.0f %10.2f\n", rows[r].name, iters / dc, dc / iters * 1e6,
               iters / dp, dp / iters * 1e6);
    }
    printf("(one core, thread CPU time; cmd = build + card-side open of a 100-octet command; PoR = "
           "build + "
           "open)\n");
    c348_thread_cleanup();
    return 0;
}
