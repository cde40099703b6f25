/* keystore.h — the OTA keysets (KIc/KID algorithms, key versions, keys, SPI)
 * loaded from the keystore file named in the configuration.
 *
 * Owned by gateway/keystore.c. File format (docs/DESIGN.md, "Interfaces
 * that stay stable"):
 *
 *   [keyset NAME]
 *   spi     = 1621              ; 4 hex digits, SPI1 SPI2 (TS 102 225 §5.1.1)
 *   kic     = 3des2:0123...     ; des 3des2 3des3 aes128 aes192 aes256
 *   kic_kvn = 1                 ; 1..15
 *   kid     = 3des2:4567...     ; des 3des2 3des3 aes (CMAC) crc16 crc32
 *   kid_kvn = 1
 *
 * From these the loader computes the KIc and KID octets as sent in the
 * command header (TS 102 225 §5.1.2, §5.1.3) and checks that the key
 * lengths fit the algorithms and that the SPI asks for what the keys can do.
 * The file must not be readable by group or others. Keys are wiped with
 * OPENSSL_cleanse when the keystore is freed and are never printed. */
#ifndef OTAGW_GATEWAY_KEYSTORE_H
#define OTAGW_GATEWAY_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/config.h"

#define GW_KEY_MAX 32

enum gw_kic_alg {
    GW_KIC_NONE = 0, /* no kic given: the SPI must not ask for ciphering */
    GW_KIC_DES,
    GW_KIC_3DES2,
    GW_KIC_3DES3,
    GW_KIC_AES128,
    GW_KIC_AES192,
    GW_KIC_AES256,
};

enum gw_kid_alg {
    GW_KID_NONE = 0, /* no kid given: the SPI must ask for no RC/CC */
    GW_KID_DES,
    GW_KID_3DES2,
    GW_KID_3DES3,
    GW_KID_AES, /* CMAC; AES-128/192/256 by key length */
    GW_KID_CRC16,
    GW_KID_CRC32,
};

/* One keyset: exactly what codec/c348 takes (struct c348_params: spi, kic,
 * kid, kic_key/kic_key_len, kid_key/kid_key_len), plus what it came from. */
struct gw_keyset {
    char name[GW_NAME_MAX];
    uint16_t spi; /* SPI1 << 8 | SPI2 */
    uint8_t kic;  /* KIc octet as sent: key version b8..b5, algorithm b4..b1 */
    uint8_t kid;  /* KID octet as sent */
    uint8_t kic_key[GW_KEY_MAX];
    size_t kic_key_len;
    uint8_t kid_key[GW_KEY_MAX];
    size_t kid_key_len;
    enum gw_kic_alg kic_alg;
    enum gw_kid_alg kid_alg;
    unsigned kic_kvn, kid_kvn;
    int line; /* of its [keyset NAME] header */
};

struct gw_keystore;

/* Loads path. Returns 0, or -1 with "path:line: reason" (or "path:
 * reason") in err: mode open to group/others, unknown key or algorithm, bad
 * hex, wrong key length, KVN out of 1..15, SPI asking for ciphering or an
 * RC/CC that the keys cannot give, duplicate keyset. Never puts key
 * material in err. */
__attribute__((warn_unused_result)) int gw_keystore_load(const char *path, struct gw_keystore **out,
                                                         char *err, size_t errlen);

/* Wipes every key, frees. NULL is a no-op. */
void gw_keystore_free(struct gw_keystore *ks);

/* NULL when there is no keyset of that name. */
const struct gw_keyset *gw_keystore_find(const struct gw_keystore *ks, const char *name);

size_t gw_keystore_count(const struct gw_keystore *ks);
const struct gw_keyset *gw_keystore_at(const struct gw_keystore *ks, size_t i);

const char *gw_kic_alg_name(enum gw_kic_alg a);
const char *gw_kid_alg_name(enum gw_kid_alg a);

/* One line per keyset, each starting with prefix (e.g. "# "): name, SPI,
 * algorithms, key versions, KIc/KID octets. No key material. */
void gw_keystore_print(const struct gw_keystore *ks, const char *prefix, FILE *out);

#endif
