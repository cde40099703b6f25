/* sim_crypto.h — the card side's own 03.48 primitives (TS 102 225 §5.1).
 *
 * Deliberately independent of codec/c348: the simulator is the peer that
 * checks the gateway, and a peer sharing the code under test would agree
 * with its bugs. Two implementations meeting on the wire (and on the public
 * vectors in tests/vectors/) is the point.
 *
 * CBC with a zero ICV for ciphering; CBC-MAC (DES/3DES, last block) or
 * AES-CMAC (leftmost 8 octets) for the CC; CRC-16/X-25 or CRC-32 (ISO/IEC
 * 13239) for the RC, written most significant octet first (FACTS.md §1). */
#ifndef OTAGW_SIM_CRYPTO_H
#define OTAGW_SIM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

enum sim_alg {
    SIM_ALG_NONE = 0,
    SIM_ALG_DES,   /* single DES (computed as 3DES K1=K2=K3) */
    SIM_ALG_3DES2, /* K1 K2 K1 */
    SIM_ALG_3DES3,
    SIM_ALG_AES, /* 16, 24 or 32 octet key; CBC for KIc, CMAC for KID */
    SIM_ALG_CRC16,
    SIM_ALG_CRC32,
};

struct sim_key {
    enum sim_alg alg;
    uint8_t len;
    uint8_t key[32];
};

/* Cipher block size of k (8 or 16); 0 when k does not cipher. */
size_t sim_block(const struct sim_key *k);

/* CBC with a zero IV, in place; len must be a multiple of sim_block(k).
 * Returns 0, or -EINVAL (wrong key/len), -EIO (OpenSSL failure). */
__attribute__((warn_unused_result)) int sim_cbc(const struct sim_key *k, int encrypt, uint8_t *buf,
                                                size_t len);

/* Integrity value of in[0..len) under k: 8-octet CC for DES/3DES/AES, 2 or 4
 * octet RC for CRC16/CRC32. Writes into out (8 octets room) and returns its
 * length, or a negative errno. */
__attribute__((warn_unused_result)) int sim_integrity(const struct sim_key *k, const uint8_t *in,
                                                      size_t len, uint8_t out[8]);

uint16_t sim_crc16(const uint8_t *p, size_t n);
uint32_t sim_crc32(const uint8_t *p, size_t n);

/* Parses "ALG:HEX" as written in a keystore (docs/DESIGN.md): kic = 1,
 * kid = 0. Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int sim_key_parse(struct sim_key *k, const char *text,
                                                      int is_kic);

/* The KIc/KID low nibble (algorithm coding, TS 102 225 §5.1.2-5.1.3) that
 * matches k; -1 when none. */
int sim_key_coding(const struct sim_key *k, int is_kic);

#endif
