/* sim_tool.c — command-line access to codec/c348 + codec/udh for tests
 * (see sim_tool.h).
 *
 *   otasim --packet --keys FILE --keyset NAME --tar HEX --cntr N --data HEX
 *          [--spi 1621] [--ref N]
 *       prints the TP-UD of each SM (hex), one per line
 *   otasim --open-por --keys FILE --keyset NAME --tar HEX --cntr N
 *          [--spi 1621] HEXUD
 *       prints "status=HH verified=N data=HEX", exit 0; 1 when it fails */
#include "tests/sim/sim_tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec/c348.h"
#include "codec/hex.h"
#include "codec/udh.h"
#include "tests/sim/sim_cards.h"

struct targs {
    const char *keys, *keyset, *tar, *data, *ud;
    uint64_t cntr;
    unsigned spi, ref;
};

static int parse(int argc, char **argv, struct targs *t)
{
    memset(t, 0, sizeof *t);
    t->spi = 0x1621;
    t->ref = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-' || !v) {
            t->ud = a;
            continue;
        }
        i++;
        if (strcmp(a, "--keys") == 0)
            t->keys = v;
        else if (strcmp(a, "--keyset") == 0)
            t->keyset = v;
        else if (strcmp(a, "--tar") == 0)
            t->tar = v;
        else if (strcmp(a, "--data") == 0)
            t->data = v;
        else if (strcmp(a, "--cntr") == 0)
            t->cntr = strtoull(v, NULL, 0);
        else if (strcmp(a, "--spi") == 0)
            t->spi = (unsigned)strtoul(v, NULL, 16);
        else if (strcmp(a, "--ref") == 0)
            t->ref = (unsigned)strtoul(v, NULL, 0);
        else {
            fprintf(stderr, "otasim: unknown option %s\n", a);
            return -1;
        }
    }
    if (!t->keys || !t->keyset || !t->tar) {
        fprintf(stderr, "otasim: --keys, --keyset and --tar are needed\n");
        return -1;
    }
    return 0;
}

/* c348_params from a [keyset] of a keystore/card file. */
static int params(const struct targs *t, struct c348_params *p)
{
    static struct sim_world w;
    char err[512];
    sim_world_init(&w);
    if (sim_cards_load(&w, t->keys, err, sizeof err) < 0) {
        fprintf(stderr, "otasim: %s\n", err);
        return -1;
    }
    const struct sim_keyset *ks = NULL;
    for (unsigned i = 0; i < w.nkeysets; i++)
        if (strcmp(w.keysets[i].name, t->keyset) == 0)
            ks = &w.keysets[i];
    memset(p, 0, sizeof *p);
    int rc = -1;
    if (!ks) {
        fprintf(stderr, "otasim: no [keyset %s] in %s\n", t->keyset, t->keys);
    } else if (strlen(t->tar) != 6 || hex_decode(t->tar, p->tar, 3) != 3) {
        fprintf(stderr, "otasim: --tar: 6 hex digits\n");
    } else {
        int kc = sim_key_coding(&ks->kic, 1), dc = sim_key_coding(&ks->kid, 0);
        p->spi = (uint16_t)t->spi;
        p->kic = (uint8_t)(ks->kic_kvn << 4 | (kc < 0 ? 0 : kc));
        p->kid = (uint8_t)(ks->kid_kvn << 4 | (dc < 0 ? 0 : dc));
        p->cntr = t->cntr;
        memcpy(p->kic_key, ks->kic.key, ks->kic.len);
        p->kic_key_len = ks->kic.len;
        memcpy(p->kid_key, ks->kid.key, ks->kid.len);
        p->kid_key_len = ks->kid.len;
        rc = 0;
    }
    sim_world_free(&w);
    return rc;
}

int sim_tool_packet(int argc, char **argv)
{
    struct targs t;
    struct c348_params p;
    static uint8_t data[C348_PKT_MAX], pkt[C348_PKT_MAX];
    static struct udh_sm sms[32];
    if (parse(argc, argv, &t) < 0 || params(&t, &p) < 0)
        return 2;
    long dl = t.data ? hex_decode(t.data, data, sizeof data) : 0;
    int rc = 2;
    if (dl < 0) {
        fprintf(stderr, "otasim: --data: hex\n");
        goto out;
    }
    int n = c348_cmd_build(&p, data, (size_t)dl, pkt, sizeof pkt);
    if (n < 0) {
        fprintf(stderr, "otasim: c348_cmd_build: %s\n", c348_strerror(n));
        goto out;
    }
    int k = udh_split(UDH_IEI_CPI, pkt, (size_t)n, UDH_REF8, (uint16_t)t.ref, sms, 32);
    if (k < 0) {
        fprintf(stderr, "otasim: udh_split: %s\n", udh_strerror(k));
        goto out;
    }
    for (int i = 0; i < k; i++) {
        char hex[2 * UDH_TPUD_MAX + 1];
        printf("%s\n", hex_encode(sms[i].ud, sms[i].len, hex, sizeof hex));
    }
    rc = 0;
out:
    OPENSSL_cleanse(&p, sizeof p);
    return rc;
}

int sim_tool_open_por(int argc, char **argv)
{
    struct targs t;
    struct c348_params p;
    static uint8_t ud[C348_PKT_MAX], buf[C348_PKT_MAX];
    if (parse(argc, argv, &t) < 0 || params(&t, &p) < 0)
        return 2;
    long n = t.ud ? hex_decode(t.ud, ud, sizeof ud) : -1;
    int rc = 2;
    if (n < 0) {
        fprintf(stderr, "otasim: the PoR TP-UD in hex is needed\n");
        goto out;
    }
    struct c348_por por;
    int e = c348_por_open(&p, ud, (size_t)n, 1, buf, sizeof buf, &por);
    if (e < 0) {
        printf("error=%s\n", c348_strerror(e));
        rc = 1;
        goto out;
    }
    char hex[2 * C348_PKT_MAX + 1];
    printf("status=%02x verified=%d data=%s\n", por.status, por.verified,
           hex_encode(por.data, por.data_len, hex, sizeof hex));
    rc = 0;
out:
    OPENSSL_cleanse(&p, sizeof p);
    return rc;
}
