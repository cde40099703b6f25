/* sim_crypto.c — the card side's ciphering and checksums (see sim_crypto.h).
 *
 * Single DES runs as 3DES with three equal keys, and 3DES two-key as
 * K1 K2 K1: both stay in OpenSSL 3's default provider (plain DES lives in
 * the legacy one). One cipher context and one CMAC MAC are kept for the
 * process so that a packet costs no allocation. */
#include "tests/sim/sim_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "codec/hex.h"

size_t sim_block(const struct sim_key *k)
{
    switch (k->alg) {
    case SIM_ALG_DES:
    case SIM_ALG_3DES2:
    case SIM_ALG_3DES3:
        return 8;
    case SIM_ALG_AES:
        return 16;
    default:
        return 0;
    }
}

static EVP_CIPHER_CTX *cipher_ctx(void)
{
    static EVP_CIPHER_CTX *ctx;
    if (!ctx)
        ctx = EVP_CIPHER_CTX_new();
    return ctx;
}

/* The 24-octet 3DES key for DES, 3DES2 and 3DES3. */
static void des3_key(const struct sim_key *k, uint8_t out[24])
{
    if (k->alg == SIM_ALG_DES) {
        memcpy(out, k->key, 8);
        memcpy(out + 8, k->key, 8);
        memcpy(out + 16, k->key, 8);
    } else if (k->alg == SIM_ALG_3DES2) {
        memcpy(out, k->key, 16);
        memcpy(out + 16, k->key, 8);
    } else {
        memcpy(out, k->key, 24);
    }
}

static const EVP_CIPHER *cbc_cipher(const struct sim_key *k)
{
    if (k->alg == SIM_ALG_AES)
        return k->len == 16   ? EVP_aes_128_cbc()
               : k->len == 24 ? EVP_aes_192_cbc()
                              : EVP_aes_256_cbc();
    return EVP_des_ede3_cbc();
}

static int key_ok(const struct sim_key *k)
{
    switch (k->alg) {
    case SIM_ALG_DES:
        return k->len == 8;
    case SIM_ALG_3DES2:
        return k->len == 16;
    case SIM_ALG_3DES3:
        return k->len == 24;
    case SIM_ALG_AES:
        return k->len == 16 || k->len == 24 || k->len == 32;
    case SIM_ALG_CRC16:
    case SIM_ALG_CRC32:
        return 1;
    default:
        return 0;
    }
}

int sim_cbc(const struct sim_key *k, int encrypt, uint8_t *buf, size_t len)
{
    size_t bs = sim_block(k);
    if (!bs || !key_ok(k) || len % bs != 0 || len > 65536)
        return -EINVAL;
    EVP_CIPHER_CTX *ctx = cipher_ctx();
    if (!ctx)
        return -ENOMEM;
    uint8_t kb[32];
    const uint8_t *key = k->key;
    if (k->alg != SIM_ALG_AES) {
        des3_key(k, kb);
        key = kb;
    }
    static const uint8_t iv[16];
    int outl = 0, fin = 0, rc = -EIO;
    if (EVP_CipherInit_ex(ctx, cbc_cipher(k), NULL, key, iv, encrypt) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
        EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) == 1 &&
        EVP_CipherFinal_ex(ctx, buf + outl, &fin) == 1 && (size_t)(outl + fin) == len)
        rc = 0;
    OPENSSL_cleanse(kb, sizeof kb);
    return rc;
}

/* CBC-MAC, zero ICV, input padded with 00 for the computation only
 * (TS 102 225 §5.1.3, FACTS.md §1): the last cipher block, 8 octets. One
 * CBC pass over a padded copy. */
static int cbc_mac(const struct sim_key *k, const uint8_t *in, size_t len, uint8_t out[8])
{
    uint8_t buf[4096];
    size_t padded = (len + 7) / 8 * 8;
    if (padded == 0)
        padded = 8;
    if (padded > sizeof buf)
        return -EINVAL;
    memcpy(buf, in, len);
    memset(buf + len, 0, padded - len);
    int rc = sim_cbc(k, 1, buf, padded);
    if (rc == 0) {
        memcpy(out, buf + padded - 8, 8);
        rc = 8;
    }
    OPENSSL_cleanse(buf, padded);
    return rc;
}

static int aes_cmac(const struct sim_key *k, const uint8_t *in, size_t len, uint8_t out[8])
{
    static EVP_MAC *mac;
    if (!mac)
        mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    if (!mac)
        return -EIO;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (!ctx)
        return -ENOMEM;
    char cname[16];
    strcpy(cname, k->len == 16 ? "AES-128-CBC" : k->len == 24 ? "AES-192-CBC" : "AES-256-CBC");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cname, 0),
        OSSL_PARAM_construct_end(),
    };
    uint8_t full[16];
    size_t fl = 0;
    int rc = -EIO;
    if (EVP_MAC_init(ctx, k->key, k->len, params) == 1 && EVP_MAC_update(ctx, in, len) == 1 &&
        EVP_MAC_final(ctx, full, &fl, sizeof full) == 1 && fl == 16) {
        memcpy(out, full, 8);
        rc = 8;
    }
    EVP_MAC_CTX_free(ctx);
    return rc;
}

uint16_t sim_crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xffff;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
    }
    return (uint16_t)~crc;
}

uint32_t sim_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    return ~crc;
}

int sim_integrity(const struct sim_key *k, const uint8_t *in, size_t len, uint8_t out[8])
{
    if (!key_ok(k))
        return -EINVAL;
    switch (k->alg) {
    case SIM_ALG_DES:
    case SIM_ALG_3DES2:
    case SIM_ALG_3DES3:
        return cbc_mac(k, in, len, out);
    case SIM_ALG_AES:
        return aes_cmac(k, in, len, out);
    case SIM_ALG_CRC16: {
        uint16_t c = sim_crc16(in, len);
        out[0] = (uint8_t)(c >> 8);
        out[1] = (uint8_t)c;
        return 2;
    }
    case SIM_ALG_CRC32: {
        uint32_t c = sim_crc32(in, len);
        for (int i = 0; i < 4; i++)
            out[i] = (uint8_t)(c >> (24 - 8 * i));
        return 4;
    }
    default:
        return -EINVAL;
    }
}

int sim_key_parse(struct sim_key *k, const char *text, int is_kic)
{
    static const struct {
        const char *name;
        enum sim_alg alg;
        int kic, kid;
        uint8_t len; /* 0: 16/24/32 */
    } algs[] = {
        {"des", SIM_ALG_DES, 1, 1, 8},      {"3des2", SIM_ALG_3DES2, 1, 1, 16},
        {"3des3", SIM_ALG_3DES3, 1, 1, 24}, {"aes128", SIM_ALG_AES, 1, 0, 16},
        {"aes192", SIM_ALG_AES, 1, 0, 24},  {"aes256", SIM_ALG_AES, 1, 0, 32},
        {"aes", SIM_ALG_AES, 0, 1, 0},      {"crc16", SIM_ALG_CRC16, 0, 1, 0},
        {"crc32", SIM_ALG_CRC32, 0, 1, 0},
    };
    memset(k, 0, sizeof *k);
    const char *colon = strchr(text, ':');
    size_t nl = colon ? (size_t)(colon - text) : strlen(text);
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        if (strlen(algs[i].name) != nl || strncasecmp(text, algs[i].name, nl) != 0)
            continue;
        if (!(is_kic ? algs[i].kic : algs[i].kid))
            return -EINVAL;
        k->alg = algs[i].alg;
        if (k->alg == SIM_ALG_CRC16 || k->alg == SIM_ALG_CRC32)
            return colon && colon[1] ? -EINVAL : 0;
        if (!colon)
            return -EINVAL;
        long n = hex_decode(colon + 1, k->key, sizeof k->key);
        if (n <= 0 || (algs[i].len && n != algs[i].len) ||
            (!algs[i].len && n != 16 && n != 24 && n != 32)) {
            OPENSSL_cleanse(k, sizeof *k);
            return -EINVAL;
        }
        k->len = (uint8_t)n;
        return 0;
    }
    return -EINVAL;
}

int sim_key_coding(const struct sim_key *k, int is_kic)
{
    switch (k->alg) {
    case SIM_ALG_DES:
        return 0x1; /* DES-CBC (TS 102 225 §5.1.2: b4b3 00) */
    case SIM_ALG_3DES2:
        return 0x5;
    case SIM_ALG_3DES3:
        return 0x9;
    case SIM_ALG_AES:
        return 0x2; /* AES: CBC for KIc, CMAC for KID */
    case SIM_ALG_CRC16:
        return is_kic ? -1 : 0x1;
    case SIM_ALG_CRC32:
        return is_kic ? -1 : 0x5;
    default:
        return -1;
    }
}
