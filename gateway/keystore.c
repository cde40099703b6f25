/* keystore.c — parse and check the keystore file (see keystore.h).
 *
 * The KIc/KID octets are computed here, once, from the algorithm names
 * (ETSI TS 102 225 V16.0.0 §5.1.2 and §5.1.3, labels checked against a
 * public transcription of the standard's tables):
 *   KIc b2b1: 01 DES family, 10 AES.  b4b3 with DES: 00 DES-CBC ("reserved
 *       for DES as defined in previous releases"), 01 3DES outer-CBC two
 *       keys, 10 3DES outer-CBC three keys; with AES: 00 AES-CBC.
 *       b8..b5: key version.  So x1 DES, x5 3DES2, x9 3DES3, x2 AES.
 *   KID when SPI1 b2b1 = 10 (CC): the same coding, AES meaning CMAC.
 *   KID when SPI1 b2b1 = 01 (RC): b2b1 01 CRC, b4b3 00 CRC16, 01 CRC32;
 *       b8..b5 key version (proprietary/GlobalPlatform), 0 unless given.
 * The AES key length (16/24/32) is not coded in KIc/KID; it comes from the
 * key itself. */
#include "gateway/keystore.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "codec/hex.h"
#include "gateway/inifile.h"

#define KS_MAX 4096

struct gw_keystore {
    size_t n;
    struct gw_keyset *sets;
};

/* What the parse collects per keyset before the checks. */
struct ks_seen {
    int spi, kic, kid, kic_kvn, kid_kvn;
};

struct ks_parse {
    struct gw_keystore *ks;
    size_t cap;
    struct gw_keyset *cur;
    struct ks_seen *seen; /* parallel to ks->sets: lines of each key */
};

static const struct {
    const char *name;
    enum gw_kic_alg alg;
    uint8_t code; /* b4..b1 */
    size_t len;
} kic_algs[] = {
    {"des", GW_KIC_DES, 0x1, 8},        {"3des2", GW_KIC_3DES2, 0x5, 16},
    {"3des3", GW_KIC_3DES3, 0x9, 24},   {"aes128", GW_KIC_AES128, 0x2, 16},
    {"aes192", GW_KIC_AES192, 0x2, 24}, {"aes256", GW_KIC_AES256, 0x2, 32},
};

static const struct {
    const char *name;
    enum gw_kid_alg alg;
    uint8_t code;
    size_t minlen, maxlen; /* 0 = no key */
} kid_algs[] = {
    {"des", GW_KID_DES, 0x1, 8, 8},       {"3des2", GW_KID_3DES2, 0x5, 16, 16},
    {"3des3", GW_KID_3DES3, 0x9, 24, 24}, {"aes", GW_KID_AES, 0x2, 16, 32},
    {"crc16", GW_KID_CRC16, 0x1, 0, 0},   {"crc32", GW_KID_CRC32, 0x5, 0, 0},
};

const char *gw_kic_alg_name(enum gw_kic_alg a)
{
    for (size_t i = 0; i < sizeof kic_algs / sizeof kic_algs[0]; i++)
        if (kic_algs[i].alg == a)
            return kic_algs[i].name;
    return "none";
}

const char *gw_kid_alg_name(enum gw_kid_alg a)
{
    for (size_t i = 0; i < sizeof kid_algs / sizeof kid_algs[0]; i++)
        if (kid_algs[i].alg == a)
            return kid_algs[i].name;
    return "none";
}

static int is_crc(enum gw_kid_alg a)
{
    return a == GW_KID_CRC16 || a == GW_KID_CRC32;
}

/* "alg:HEX" (or a bare "crc16"/"crc32"). Splits and decodes the key; the
 * caller wipes. Returns the length of the algorithm name or -1. */
static int split_alg(const char *v, char *alg, size_t algcap, const char **hex)
{
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    if (n == 0 || n >= algcap)
        return -1;
    for (size_t i = 0; i < n; i++)
        alg[i] = (char)tolower((unsigned char)v[i]);
    alg[n] = '\0';
    *hex = colon ? colon + 1 : "";
    return (int)n;
}

static int set_key(uint8_t *key, size_t *keylen, const char *hex, const char *what, char *err,
                   size_t errlen)
{
    long n = hex_decode(hex, key, GW_KEY_MAX);
    if (n < 0) {
        /* Say what is wrong without echoing any of the key. */
        size_t len = strlen(hex);
        if (len % 2)
            gw_ini_seterr(err, errlen, "%s key: odd number of hex digits (%zu)", what, len);
        else if (len > 2 * GW_KEY_MAX)
            gw_ini_seterr(err, errlen, "%s key: longer than %d octets", what, GW_KEY_MAX);
        else
            gw_ini_seterr(err, errlen, "%s key: not hexadecimal", what);
        return -1;
    }
    *keylen = (size_t)n;
    return 0;
}

static int parse_kvn(const char *v, unsigned *out)
{
    if (!isdigit((unsigned char)v[0]) || strlen(v) > 2)
        return -1;
    unsigned x = (unsigned)atoi(v);
    if (x < 1 || x > 15 || (strlen(v) == 2 && v[0] == '0'))
        return -1;
    *out = x;
    return 0;
}

static int on_section(void *arg, const char *section, int line, char *err, size_t errlen)
{
    struct ks_parse *p = arg;
    if (strncmp(section, "keyset", 6) != 0 || (section[6] != ' ' && section[6] != '\t')) {
        gw_ini_seterr(err, errlen, "unknown section [%s] (expected [keyset NAME])", section);
        return -1;
    }
    const char *name = section + 7;
    while (*name == ' ' || *name == '\t')
        name++;
    size_t n = strlen(name);
    if (n == 0 || n >= GW_NAME_MAX) {
        gw_ini_seterr(err, errlen, "keyset name must be 1 to %d characters", GW_NAME_MAX - 1);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("_-.", name[i])) {
            gw_ini_seterr(err, errlen, "bad keyset name '%s': letters, digits, '_', '-' or '.'",
                          name);
            return -1;
        }
    const struct gw_keyset *dup = gw_keystore_find(p->ks, name);
    if (dup) {
        gw_ini_seterr(err, errlen, "duplicate keyset '%s' (first on line %d)", name, dup->line);
        return -1;
    }
    if (p->ks->n == KS_MAX) {
        gw_ini_seterr(err, errlen, "more than %d keysets", KS_MAX);
        return -1;
    }
    if (p->ks->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        struct gw_keyset *s = calloc(ncap, sizeof *s);
        struct ks_seen *sn = realloc(p->seen, ncap * sizeof *sn);
        if (sn)
            p->seen = sn;
        if (!s || !sn) {
            free(s);
            gw_ini_seterr(err, errlen, "out of memory");
            return -1;
        }
        if (p->ks->n) {
            memcpy(s, p->ks->sets, p->ks->n * sizeof *s);
            OPENSSL_cleanse(p->ks->sets, p->cap * sizeof *s);
        }
        free(p->ks->sets);
        p->ks->sets = s;
        p->cap = ncap;
    }
    p->cur = &p->ks->sets[p->ks->n++];
    memset(p->cur, 0, sizeof *p->cur);
    memcpy(p->cur->name, name, n + 1);
    p->cur->line = line;
    p->cur->spi = 0x1621; /* DESIGN.md default: CC, ciphering, CNTR > RE; PoR always */
    memset(&p->seen[p->ks->n - 1], 0, sizeof p->seen[0]);
    return 0;
}

static int dup_key(int *seen, const char *key, int line, char *err, size_t errlen)
{
    if (*seen) {
        gw_ini_seterr(err, errlen, "duplicate key '%s' (first on line %d)", key, *seen);
        return -1;
    }
    *seen = line;
    return 0;
}

static int on_kv(void *arg, const char *section, const char *key, const char *value, int line,
                 char *err, size_t errlen)
{
    (void)section;
    struct ks_parse *p = arg;
    struct gw_keyset *k = p->cur;
    struct ks_seen *seen = k ? &p->seen[k - p->ks->sets] : NULL;
    char alg[16];
    const char *hex;
    if (!k) {
        gw_ini_seterr(err, errlen, "key '%s' before any [keyset NAME]", key);
        return -1;
    }
    if (strcmp(key, "spi") == 0) {
        uint8_t b[2];
        if (dup_key(&seen->spi, key, line, err, errlen) != 0)
            return -1;
        if (strlen(value) != 4 || hex_decode(value, b, 2) != 2) {
            gw_ini_seterr(err, errlen, "spi must be 4 hex digits (SPI1 SPI2), not '%s'", value);
            return -1;
        }
        k->spi = (uint16_t)(b[0] << 8 | b[1]);
        return 0;
    }
    if (strcmp(key, "kic_kvn") == 0 || strcmp(key, "kid_kvn") == 0) {
        int is_kic = key[2] == 'c';
        if (dup_key(is_kic ? &seen->kic_kvn : &seen->kid_kvn, key, line, err, errlen) != 0)
            return -1;
        if (parse_kvn(value, is_kic ? &k->kic_kvn : &k->kid_kvn) != 0) {
            gw_ini_seterr(err, errlen, "%s must be a key version 1..15, not '%s'", key, value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "kic") == 0) {
        if (dup_key(&seen->kic, key, line, err, errlen) != 0)
            return -1;
        if (split_alg(value, alg, sizeof alg, &hex) < 0)
            alg[0] = '\0';
        for (size_t i = 0; i < sizeof kic_algs / sizeof kic_algs[0]; i++) {
            if (strcmp(alg, kic_algs[i].name) != 0)
                continue;
            if (set_key(k->kic_key, &k->kic_key_len, hex, "kic", err, errlen) != 0)
                return -1;
            if (k->kic_key_len != kic_algs[i].len) {
                gw_ini_seterr(err, errlen, "kic %s needs a %zu-octet key, this one has %zu",
                              kic_algs[i].name, kic_algs[i].len, k->kic_key_len);
                return -1;
            }
            k->kic_alg = kic_algs[i].alg;
            return 0;
        }
        gw_ini_seterr(
            err, errlen,
            "kic must be ALG:HEX with ALG one of des, 3des2, 3des3, aes128, aes192, aes256");
        return -1;
    }
    if (strcmp(key, "kid") == 0) {
        if (dup_key(&seen->kid, key, line, err, errlen) != 0)
            return -1;
        if (split_alg(value, alg, sizeof alg, &hex) < 0)
            alg[0] = '\0';
        for (size_t i = 0; i < sizeof kid_algs / sizeof kid_algs[0]; i++) {
            if (strcmp(alg, kid_algs[i].name) != 0)
                continue;
            if (set_key(k->kid_key, &k->kid_key_len, hex, "kid", err, errlen) != 0)
                return -1;
            size_t n = k->kid_key_len;
            if (n < kid_algs[i].minlen || n > kid_algs[i].maxlen ||
                (kid_algs[i].alg == GW_KID_AES && n != 16 && n != 24 && n != 32)) {
                if (kid_algs[i].maxlen == 0)
                    gw_ini_seterr(err, errlen, "kid %s takes no key (write 'kid = %s')",
                                  kid_algs[i].name, kid_algs[i].name);
                else if (kid_algs[i].alg == GW_KID_AES)
                    gw_ini_seterr(err, errlen,
                                  "kid aes needs a 16, 24 or 32-octet key, this one has %zu", n);
                else
                    gw_ini_seterr(err, errlen, "kid %s needs a %zu-octet key, this one has %zu",
                                  kid_algs[i].name, kid_algs[i].minlen, n);
                return -1;
            }
            k->kid_alg = kid_algs[i].alg;
            return 0;
        }
        gw_ini_seterr(
            err, errlen,
            "kid must be ALG:HEX with ALG one of des, 3des2, 3des3, aes; or crc16, crc32");
        return -1;
    }
    gw_ini_seterr(err, errlen,
                  "unknown key '%s' in [keyset %s] (known: spi, kic, kic_kvn, kid, kid_kvn)", key,
                  k->name);
    return -1;
}

/* TS 102 225 §5.1.1: what the SPI asks for must be possible with the keys:
 * ciphering (SPI1 b3, SPI2 b5 for the PoR) needs a KIc; an RC (b2b1 01)
 * needs a CRC KID, a CC (10) a block-cipher KID; digital signatures (11)
 * and the reserved codings are refused. Only one KID serves the command and
 * its PoR, so the PoR's RC/CC (SPI2 b4b3) must be of the same kind as the
 * command's (or none). */
static int check_keyset(struct gw_keyset *k, const struct ks_seen *seen, char *err, size_t errlen)
{
    uint8_t spi1 = (uint8_t)(k->spi >> 8), spi2 = (uint8_t)k->spi;
    unsigned integ = spi1 & 3, cipher = (spi1 >> 2) & 1;
    unsigned por = spi2 & 3, por_integ = (spi2 >> 2) & 3, por_cipher = (spi2 >> 4) & 1;

    if (spi1 & 0xE0 || spi2 & 0xC0) {
        gw_ini_seterr(err, errlen,
                      "[keyset %s] spi %04x sets reserved bits (SPI1 b8-b6, SPI2 b8-b7)", k->name,
                      k->spi);
        return -1;
    }
    if (integ == 3 || por_integ == 3) {
        gw_ini_seterr(err, errlen,
                      "[keyset %s] spi %04x asks for a digital signature, not supported", k->name,
                      k->spi);
        return -1;
    }
    if (por == 3) {
        gw_ini_seterr(err, errlen, "[keyset %s] spi %04x: SPI2 b2b1 = 11 is reserved", k->name,
                      k->spi);
        return -1;
    }
    if ((cipher || por_cipher) && k->kic_alg == GW_KIC_NONE) {
        gw_ini_seterr(err, errlen, "[keyset %s] spi %04x asks for ciphering%s but there is no kic",
                      k->name, k->spi, cipher ? "" : " of the PoR");
        return -1;
    }
    unsigned kinds[2] = {integ, por_integ};
    for (int i = 0; i < 2; i++) {
        const char *who = i ? "the PoR" : "the command";
        if (kinds[i] == 1 && !is_crc(k->kid_alg)) {
            gw_ini_seterr(err, errlen,
                          "[keyset %s] spi %04x asks for a redundancy check on %s but kid is %s "
                          "(an RC needs kid crc16 or crc32)",
                          k->name, k->spi, who, gw_kid_alg_name(k->kid_alg));
            return -1;
        }
        if (kinds[i] == 2 && (k->kid_alg == GW_KID_NONE || is_crc(k->kid_alg))) {
            gw_ini_seterr(err, errlen,
                          "[keyset %s] spi %04x asks for a cryptographic checksum on %s but kid "
                          "is %s (a CC needs kid des, 3des2, 3des3 or aes)",
                          k->name, k->spi, who, gw_kid_alg_name(k->kid_alg));
            return -1;
        }
    }
    if (k->kic_alg != GW_KIC_NONE && !seen->kic_kvn) {
        gw_ini_seterr(err, errlen, "[keyset %s] needs kic_kvn (the key version, 1..15)", k->name);
        return -1;
    }
    if (k->kid_alg != GW_KID_NONE && !is_crc(k->kid_alg) && !seen->kid_kvn) {
        gw_ini_seterr(err, errlen, "[keyset %s] needs kid_kvn (the key version, 1..15)", k->name);
        return -1;
    }
    if ((seen->kic_kvn && k->kic_alg == GW_KIC_NONE) ||
        (seen->kid_kvn && k->kid_alg == GW_KID_NONE)) {
        gw_ini_seterr(err, errlen, "[keyset %s] has a key version for a key it does not have",
                      k->name);
        return -1;
    }
    k->kic = 0;
    for (size_t i = 0; i < sizeof kic_algs / sizeof kic_algs[0]; i++)
        if (kic_algs[i].alg == k->kic_alg)
            k->kic = (uint8_t)(k->kic_kvn << 4 | kic_algs[i].code);
    k->kid = 0;
    for (size_t i = 0; i < sizeof kid_algs / sizeof kid_algs[0]; i++)
        if (kid_algs[i].alg == k->kid_alg)
            k->kid = (uint8_t)(k->kid_kvn << 4 | kid_algs[i].code);
    return 0;
}

int gw_keystore_load(const char *path, struct gw_keystore **out, char *err, size_t errlen)
{
    *out = NULL;
    struct ks_parse p = {0};
    p.ks = calloc(1, sizeof *p.ks);
    if (!p.ks) {
        gw_ini_seterr(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int r = gw_ini_parse(path, GW_INI_PRIVATE, on_section, on_kv, &p, err, errlen);
    if (r == 0 && p.ks->n == 0) {
        gw_ini_seterr(err, errlen, "%s: no [keyset NAME] section", path);
        r = -1;
    }
    /* Whole-keyset checks once every key of it is known; errors name the
     * line of the keyset's header. */
    for (size_t i = 0; r == 0 && i < p.ks->n; i++) {
        char why[384];
        if (check_keyset(&p.ks->sets[i], &p.seen[i], why, sizeof why) != 0) {
            gw_ini_seterr(err, errlen, "%s:%d: %s", path, p.ks->sets[i].line, why);
            r = -1;
        }
    }
    free(p.seen);
    if (r != 0) {
        gw_keystore_free(p.ks);
        return -1;
    }
    *out = p.ks;
    return 0;
}

void gw_keystore_free(struct gw_keystore *ks)
{
    if (!ks)
        return;
    if (ks->sets) {
        OPENSSL_cleanse(ks->sets, ks->n * sizeof ks->sets[0]);
        free(ks->sets);
    }
    OPENSSL_cleanse(ks, sizeof *ks);
    free(ks);
}

const struct gw_keyset *gw_keystore_find(const struct gw_keystore *ks, const char *name)
{
    if (!ks || !name)
        return NULL;
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(ks->sets[i].name, name) == 0)
            return &ks->sets[i];
    return NULL;
}

size_t gw_keystore_count(const struct gw_keystore *ks)
{
    return ks ? ks->n : 0;
}

const struct gw_keyset *gw_keystore_at(const struct gw_keystore *ks, size_t i)
{
    return ks && i < ks->n ? &ks->sets[i] : NULL;
}

void gw_keystore_print(const struct gw_keystore *ks, const char *prefix, FILE *out)
{
    for (size_t i = 0; ks && i < ks->n; i++) {
        const struct gw_keyset *k = &ks->sets[i];
        fprintf(out, "%skeyset %s: spi %04x, kic %s kvn %u (KIc %02x), kid %s kvn %u (KID %02x)\n",
                prefix, k->name, k->spi, gw_kic_alg_name(k->kic_alg), k->kic_kvn, k->kic,
                gw_kid_alg_name(k->kid_alg), k->kid_kvn, k->kid);
    }
}
