/* c348.c — SIM OTA secured packets (see c348.h): the algorithm table, the
 * cryptographic primitives over OpenSSL's EVP API, the command packet of
 * TS 102 225 §5.1 / TS 31.115 §4.2 (gateway builds, card opens) and the
 * response packet of TS 102 225 §5.2 / TS 31.115 §4.3 (card builds, gateway
 * opens).
 *
 * Layouts (offsets in octets):
 *   command  CPL(2) CHL(1) SPI(2) KIc KID TAR(3) | CNTR(5) PCNTR | RC/CC | data pad
 *            0      2      3      5   6   7        10      15      16
 *   PoR TP-UD 02 71 00 RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR RSC | RC/CC | data pad
 *            0        3      5      6        9       14    15    16
 * In both, the 16 octets in front of RC/CC are block aligned, the cipher
 * covers from CNTR to the end, and RC/CC covers everything but itself,
 * computed before ciphering (TS 102 225 §5.1.1, §5.2.1). The command's CC
 * does not cover the UDH; the PoR's covers "02 71 00" (TS 31.115 §4.3:
 * "UDHL, IEIa and IEIDLa ... shall be included in the calculation"). */
#include "codec/c348.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* ---- the algorithm table (TS 102 225 §5.1.2 KIc, §5.1.3 KID) ----------- */

enum role { ROLE_KIC, ROLE_CC, ROLE_RC };
enum kind { K_CIPHER, K_CBCMAC, K_CMAC, K_CRC16, K_CRC32 };
/* OpenSSL objects fetched once for the whole process. Single DES is run as
 * 3DES EDE with K1 = K2 = K3 (which equals DES), so the legacy provider that
 * OpenSSL 3 keeps DES-CBC in is not needed. */
enum evp_id { E_DES3, E_DES2, E_AES128, E_AES192, E_AES256, E_COUNT, E_NONE = E_COUNT };

static const char *const evp_names[E_COUNT] = {
    [E_DES3] = "DES-EDE3-CBC",  [E_DES2] = "DES-EDE-CBC",   [E_AES128] = "AES-128-CBC",
    [E_AES192] = "AES-192-CBC", [E_AES256] = "AES-256-CBC",
};

struct alg {
    uint8_t role;
    uint8_t code; /* KIc/KID b4..b1 */
    uint8_t kind;
    uint8_t block;  /* cipher block (padding unit); 1 for CRCs */
    uint8_t keylen; /* octets the caller provides; 0 = none */
    uint8_t evp;    /* enum evp_id */
    uint8_t outlen; /* RC/CC octets */
    uint8_t expand; /* single DES: repeat the 8-octet key three times */
};

/* One row per (role, coding, key length). b4b3 = 11 of the DES family (old
 * DES-ECB) and every AES b4b3 other than 00 are reserved today and absent. */
static const struct alg algs[] = {
    {ROLE_KIC, 0x1, K_CIPHER, 8, 8, E_DES3, 0, 1},
    {ROLE_KIC, 0x5, K_CIPHER, 8, 16, E_DES2, 0, 0},
    {ROLE_KIC, 0x9, K_CIPHER, 8, 24, E_DES3, 0, 0},
    {ROLE_KIC, 0x2, K_CIPHER, 16, 16, E_AES128, 0, 0},
    {ROLE_KIC, 0x2, K_CIPHER, 16, 24, E_AES192, 0, 0},
    {ROLE_KIC, 0x2, K_CIPHER, 16, 32, E_AES256, 0, 0},
    {ROLE_CC, 0x1, K_CBCMAC, 8, 8, E_DES3, 8, 1},
    {ROLE_CC, 0x5, K_CBCMAC, 8, 16, E_DES2, 8, 0},
    {ROLE_CC, 0x9, K_CBCMAC, 8, 24, E_DES3, 8, 0},
    /* AES CC: CMAC, "the leftmost 8 octets" (TS 102 225 §5.1.3.x); pySim
     * notes 4 or 8, the public vectors use 8. */
    {ROLE_CC, 0x2, K_CMAC, 16, 16, E_AES128, 8, 0},
    {ROLE_CC, 0x2, K_CMAC, 16, 24, E_AES192, 8, 0},
    {ROLE_CC, 0x2, K_CMAC, 16, 32, E_AES256, 8, 0},
    {ROLE_RC, 0x1, K_CRC16, 1, 0, E_NONE, 2, 0},
    {ROLE_RC, 0x5, K_CRC32, 1, 0, E_NONE, 4, 0},
};

/* The row for a KIc/KID octet in a role. keylen 0 matches any key length
 * (for sizing before keys are at hand); otherwise it must match. Returns
 * NULL with *err set. */
static const struct alg *alg_find(enum role role, uint8_t octet, size_t keylen, int *err)
{
    int coding_known = 0;
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        const struct alg *a = &algs[i];
        if (a->role != role || a->code != (octet & 0x0F))
            continue;
        coding_known = 1;
        if (keylen == 0 || a->keylen == 0 || a->keylen == keylen)
            return a;
    }
    *err = coding_known ? C348_ERR_KEY_LEN : C348_ERR_ALG;
    return NULL;
}

/* ---- OpenSSL objects: fetched once, contexts once per thread ----------- */

static EVP_CIPHER *evp_cipher[E_COUNT];
static EVP_MAC *evp_cmac;
static int evp_ok;
static pthread_once_t evp_once = PTHREAD_ONCE_INIT;

static void evp_fetch_all(void)
{
    evp_ok = 1;
    for (int i = 0; i < E_COUNT; i++)
        if ((evp_cipher[i] = EVP_CIPHER_fetch(NULL, evp_names[i], NULL)) == NULL)
            evp_ok = 0;
    if ((evp_cmac = EVP_MAC_fetch(NULL, "CMAC", NULL)) == NULL)
        evp_ok = 0;
}

/* One cipher context per algorithm and thread, bound to its cipher once, so
 * that a packet only re-keys it (EVP_CipherInit_ex2 with a NULL cipher keeps
 * the provider context) and the hot path allocates nothing. */
static _Thread_local EVP_CIPHER_CTX *t_cctx[E_COUNT];
static _Thread_local EVP_MAC_CTX *t_mctx[E_COUNT];

static EVP_CIPHER_CTX *cctx_get(int e)
{
    if (pthread_once(&evp_once, evp_fetch_all) != 0 || !evp_ok)
        return NULL;
    if (t_cctx[e] == NULL) {
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (c == NULL)
            return NULL;
        /* Padding off once here: it survives re-keying, and setting it per
         * packet costs a parameter lookup (OpenSSL 3 routes it through
         * OSSL_PARAM); a wrong padding state would show as a length error. */
        if (!EVP_CipherInit_ex2(c, evp_cipher[e], NULL, NULL, 1, NULL) ||
            !EVP_CIPHER_CTX_set_padding(c, 0)) {
            EVP_CIPHER_CTX_free(c);
            return NULL;
        }
        t_cctx[e] = c;
    }
    return t_cctx[e];
}

static EVP_MAC_CTX *mctx_get(int e)
{
    if (pthread_once(&evp_once, evp_fetch_all) != 0 || !evp_ok)
        return NULL;
    if (t_mctx[e] == NULL) {
        EVP_MAC_CTX *m = EVP_MAC_CTX_new(evp_cmac);
        OSSL_PARAM prm[2] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)evp_names[e], 0),
            OSSL_PARAM_construct_end(),
        };
        if (m == NULL || !EVP_MAC_CTX_set_params(m, prm)) {
            EVP_MAC_CTX_free(m);
            return NULL;
        }
        t_mctx[e] = m;
    }
    return t_mctx[e];
}

void c348_thread_cleanup(void)
{
    for (int i = 0; i < E_COUNT; i++) {
        EVP_CIPHER_CTX_free(t_cctx[i]); /* cleanses the key schedule */
        t_cctx[i] = NULL;
        EVP_MAC_CTX_free(t_mctx[i]);
        t_mctx[i] = NULL;
    }
}

/* Keys the context for a (zero IV, no padding) CBC pass. */
static int cctx_key(EVP_CIPHER_CTX *c, const struct alg *a, const uint8_t *key, int enc)
{
    static const uint8_t zero_iv[16];
    uint8_t k3[24];
    const uint8_t *k = key;
    int ok;

    if (a->expand) {
        memcpy(k3, key, 8);
        memcpy(k3 + 8, key, 8);
        memcpy(k3 + 16, key, 8);
        k = k3;
    }
    ok = EVP_CipherInit_ex2(c, NULL, k, zero_iv, enc, NULL);
    if (a->expand)
        OPENSSL_cleanse(k3, sizeof k3);
    return ok;
}

/* ---- primitives --------------------------------------------------------- */

/* CRC-16/X-25: ISO/IEC 13239 FCS, reflected 0x1021, init FFFF, xorout FFFF.
 * CRC-32: ISO/IEC 13239 32-bit FCS (the zlib/Ethernet CRC), reflected
 * 0x04C11DB7, init and xorout FFFFFFFF. Byte-wise tables, built once. */
static uint16_t crc16_tab[256];
static uint32_t crc32_tab[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_tables(void)
{
    for (unsigned i = 0; i < 256; i++) {
        uint16_t c16 = (uint16_t)i;
        uint32_t c32 = i;
        for (int b = 0; b < 8; b++) {
            c16 = (c16 & 1) ? (uint16_t)((c16 >> 1) ^ 0x8408) : (uint16_t)(c16 >> 1);
            c32 = (c32 & 1) ? (c32 >> 1) ^ 0xEDB88320u : c32 >> 1;
        }
        crc16_tab[i] = c16;
        crc32_tab[i] = c32;
    }
}

static uint16_t crc16_upd(uint16_t crc, const uint8_t *d, size_t n)
{
    (void)pthread_once(&crc_once, crc_tables);
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc >> 8) ^ crc16_tab[(crc ^ d[i]) & 0xFF]);
    return crc;
}

static uint32_t crc32_upd(uint32_t crc, const uint8_t *d, size_t n)
{
    (void)pthread_once(&crc_once, crc_tables);
    for (size_t i = 0; i < n; i++)
        crc = (crc >> 8) ^ crc32_tab[(crc ^ d[i]) & 0xFF];
    return crc;
}

uint16_t c348_crc16(const uint8_t *d, size_t n)
{
    return (uint16_t)~crc16_upd(0xFFFF, d, n);
}

uint32_t c348_crc32(const uint8_t *d, size_t n)
{
    return ~crc32_upd(0xFFFFFFFFu, d, n);
}

/* CBC with zero IV over n octets (a multiple of the block). */
static int run_cipher(const struct alg *a, const uint8_t *key, int enc, const uint8_t *in, size_t n,
                      uint8_t *out)
{
    EVP_CIPHER_CTX *c = cctx_get(a->evp);
    int ol = 0, fl = 0;

    if (c == NULL || !cctx_key(c, a, key, enc))
        return C348_ERR_CRYPTO;
    if (n > 0 && !EVP_CipherUpdate(c, out, &ol, in, (int)n))
        return C348_ERR_CRYPTO;
    if (!EVP_CipherFinal_ex(c, out + ol, &fl) || (size_t)(ol + fl) != n)
        return C348_ERR_CRYPTO;
    return 0;
}

/* The integrity input is up to two pieces: what precedes the RC/CC field
 * and what follows it. */
struct span {
    const uint8_t *p;
    size_t n;
};

/* DES/3DES CBC-MAC with zero ICV: the input is padded with 00 to the block
 * for the computation only (TS 102 225 §5.1.3.x), the MAC is the last
 * block. The pieces are fed through a small buffer to keep the stack flat. */
static int cbc_mac(const struct alg *a, const uint8_t *key, const struct span *s, int ns,
                   uint8_t out[8])
{
    static const uint8_t zeros[8];
    EVP_CIPHER_CTX *c = cctx_get(a->evp);
    uint8_t tmp[256 + 16];
    size_t total = 0;
    int ol;

    if (c == NULL || !cctx_key(c, a, key, 1))
        return C348_ERR_CRYPTO;
    for (int i = 0; i < ns; i++) {
        for (size_t off = 0; off < s[i].n;) {
            size_t chunk = s[i].n - off > 256 ? 256 : s[i].n - off;
            if (!EVP_EncryptUpdate(c, tmp, &ol, s[i].p + off, (int)chunk))
                return C348_ERR_CRYPTO;
            if (ol >= 8)
                memcpy(out, tmp + ol - 8, 8);
            off += chunk;
        }
        total += s[i].n;
    }
    if (total % 8 != 0 || total == 0) {
        if (!EVP_EncryptUpdate(c, tmp, &ol, zeros, (int)(8 - total % 8)) || ol < 8)
            return C348_ERR_CRYPTO;
        memcpy(out, tmp + ol - 8, 8);
    }
    OPENSSL_cleanse(tmp, sizeof tmp);
    return 8;
}

/* AES-CMAC (NIST SP 800-38B, RFC 4493), leftmost 8 octets. */
static int cmac(const struct alg *a, const uint8_t *key, const struct span *s, int ns,
                uint8_t out[8])
{
    EVP_MAC_CTX *m = mctx_get(a->evp);
    uint8_t full[16];
    size_t fl = 0;

    if (m == NULL || !EVP_MAC_init(m, key, a->keylen, NULL))
        return C348_ERR_CRYPTO;
    for (int i = 0; i < ns; i++)
        if (s[i].n > 0 && !EVP_MAC_update(m, s[i].p, s[i].n))
            return C348_ERR_CRYPTO;
    if (!EVP_MAC_final(m, full, &fl, sizeof full) || fl != 16)
        return C348_ERR_CRYPTO;
    memcpy(out, full, 8);
    return 8;
}

static int integrity(const struct alg *a, const uint8_t *key, const struct span *s, int ns,
                     uint8_t out[C348_CC_MAX])
{
    uint32_t crc;

    switch (a->kind) {
    case K_CBCMAC:
        return cbc_mac(a, key, s, ns, out);
    case K_CMAC:
        return cmac(a, key, s, ns, out);
    case K_CRC16:
        /* RC written most significant octet first (pySim's order for
         * CRC32; the spec shows no byte order, see docs/codec.md). */
        crc = 0xFFFF;
        for (int i = 0; i < ns; i++)
            crc = crc16_upd((uint16_t)crc, s[i].p, s[i].n);
        put_be(out, (uint16_t)~crc, 2);
        return 2;
    case K_CRC32:
        crc = 0xFFFFFFFFu;
        for (int i = 0; i < ns; i++)
            crc = crc32_upd(crc, s[i].p, s[i].n);
        put_be(out, ~crc, 4);
        return 4;
    default:
        return C348_ERR_ALG;
    }
}

int c348_integrity(uint8_t type, uint8_t kid, const uint8_t *key, size_t keylen, const uint8_t *d,
                   size_t n, uint8_t out[C348_CC_MAX])
{
    int err = C348_ERR_ALG;
    const struct alg *a;
    struct span s = {d, n};

    if ((d == NULL && n > 0) || out == NULL || n > C348_PKT_MAX + C348_POR_UDH)
        return C348_ERR_ARG;
    if (type != C348_SPI1_RC && type != C348_SPI1_CC)
        return C348_ERR_ALG;
    /* keylen 0 would match any row: a CC needs its key. */
    a = alg_find(type == C348_SPI1_RC ? ROLE_RC : ROLE_CC, kid,
                 type == C348_SPI1_RC ? 0 : (keylen ? keylen : 1), &err);
    if (a == NULL)
        return err;
    if (a->keylen > 0 && key == NULL)
        return C348_ERR_ARG;
    return integrity(a, key, &s, 1, out);
}

int c348_cipher(int encrypt, uint8_t kic, const uint8_t *key, size_t keylen, const uint8_t *in,
                size_t n, uint8_t *out)
{
    int err = C348_ERR_ALG;
    const struct alg *a = alg_find(ROLE_KIC, kic, keylen ? keylen : 1, &err);

    if (a == NULL)
        return err;
    if (key == NULL || (n > 0 && (in == NULL || out == NULL)) || n > C348_PKT_MAX)
        return C348_ERR_ARG;
    if (n % a->block != 0)
        return C348_ERR_LENGTH;
    return run_cipher(a, key, encrypt, in, n, out);
}

/* ---- errors and status text --------------------------------------------- */

const char *c348_strerror(int err)
{
    switch (err) {
    case C348_OK:
        return "ok";
    case C348_ERR_ARG:
        return "invalid argument";
    case C348_ERR_SPI_RESERVED:
        return "reserved SPI value";
    case C348_ERR_ALG:
        return "KIc/KID algorithm undefined, reserved or unsupported for this SPI";
    case C348_ERR_KEY_LEN:
        return "key length wrong for the algorithm";
    case C348_ERR_TOO_LONG:
        return "packet too long";
    case C348_ERR_TRUNC:
        return "packet truncated";
    case C348_ERR_LENGTH:
        return "inconsistent length fields";
    case C348_ERR_MAC:
        return "RC/CC mismatch";
    case C348_ERR_MISMATCH:
        return "TAR/CNTR do not match the command";
    case C348_ERR_CRYPTO:
        return "crypto failure";
    case C348_ERR_UDH:
        return "PoR user data header is not 02 71 00";
    default:
        return "unknown error";
    }
}

const char *c348_status_name(uint8_t status)
{
    static const char *const names[] = {
        [C348_ST_OK] = "PoR OK",
        [C348_ST_RC_CC_DS_FAILED] = "RC/CC/DS failed",
        [C348_ST_CNTR_LOW] = "counter low",
        [C348_ST_CNTR_HIGH] = "counter high",
        [C348_ST_CNTR_BLOCKED] = "counter blocked",
        [C348_ST_CIPHERING_ERROR] = "ciphering error",
        [C348_ST_SECURITY_ERROR] = "unidentified security error",
        [C348_ST_NO_MEMORY] = "insufficient memory",
        [C348_ST_MORE_TIME] = "more time needed",
        [C348_ST_TAR_UNKNOWN] = "TAR unknown",
        [C348_ST_INSUFFICIENT_SECURITY] = "insufficient security level",
        [C348_ST_SMS_SUBMIT] = "response sent with SMS-SUBMIT",
        [C348_ST_USSD] = "response sent with PROCESS USSD",
    };
    if (status < sizeof names / sizeof names[0])
        return names[status];
    return "reserved status";
}

/* ---- SPI and the algorithms it needs ------------------------------------ */

static uint8_t spi1_of(uint16_t spi)
{
    return (uint8_t)(spi >> 8);
}

static uint8_t spi2_of(uint16_t spi)
{
    return (uint8_t)spi;
}

/* TS 102 225 §5.1.1: reserved values of SPI1 b8..b6 and SPI2 b2b1 = 11,
 * b8b7. SPI2 b6 (TS 31.115 §4.2) is defined. */
static int spi_reserved(uint16_t spi)
{
    return (spi1_of(spi) & C348_SPI1_RESERVED) != 0 || (spi2_of(spi) & C348_SPI2_RESERVED) != 0 ||
           (spi2_of(spi) & C348_SPI2_POR_MASK) == 0x03;
}

/* The integrity type (C348_SPI1_*) the PoR uses: SPI2 b4b3. */
static uint8_t por_integrity(uint16_t spi)
{
    return (uint8_t)((spi2_of(spi) & C348_SPI2_POR_INTEGRITY) >> 2);
}

/* The RC/CC row for integrity type t, or NULL with *err (0 when t is none). */
static const struct alg *integ_alg(uint8_t t, uint8_t kid, size_t keylen, int *err)
{
    *err = 0;
    switch (t) {
    case C348_SPI1_NONE:
        return NULL;
    case C348_SPI1_RC:
        return alg_find(ROLE_RC, kid, 0, err);
    case C348_SPI1_CC:
        return alg_find(ROLE_CC, kid, keylen, err);
    default: /* DS: no algorithm is defined for it in TS 102 225 */
        *err = C348_ERR_ALG;
        return NULL;
    }
}

/* What one direction (command or PoR) needs. keylens 0 = any (sizing). */
struct plan {
    const struct alg *cipher; /* NULL: not ciphered */
    const struct alg *integ;  /* NULL: no RC/CC */
    size_t cclen;
    size_t block;
};

static int plan_make(uint16_t spi, uint8_t kic, uint8_t kid, size_t kic_len, size_t kid_len,
                     int por, struct plan *pl)
{
    uint8_t t1 = spi1_of(spi) & C348_SPI1_INTEGRITY_MASK, t;
    int ciph, err = 0;

    if (spi_reserved(spi))
        return C348_ERR_SPI_RESERVED;
    memset(pl, 0, sizeof *pl);
    if (por) {
        t = por_integrity(spi);
        /* One KID serves both directions and its coding depends on the
         * type (RC vs CC). A PoR RC on a command CC (or the reverse) would
         * reinterpret the same octet; no algorithm is defined for that, so
         * it is refused (keyset configuration error). */
        if (t != C348_SPI1_NONE && t1 != C348_SPI1_NONE && t != t1)
            return C348_ERR_ALG;
        ciph = (spi2_of(spi) & C348_SPI2_POR_CIPHER) != 0;
    } else {
        t = t1;
        ciph = (spi1_of(spi) & C348_SPI1_CIPHER) != 0;
    }
    pl->integ = integ_alg(t, kid, kid_len, &err);
    if (err)
        return err;
    pl->cclen = pl->integ ? pl->integ->outlen : 0;
    pl->block = 1;
    if (ciph) {
        if ((pl->cipher = alg_find(ROLE_KIC, kic, kic_len, &err)) == NULL)
            return err;
        pl->block = pl->cipher->block;
    }
    return 0;
}

/* The plan for p's keys. A key length of 0 would match "any" in the
 * table (that is for sizing only): a key that is needed must be there. */
static int plan_for(const struct c348_params *p, uint16_t spi, uint8_t kic, uint8_t kid, int por,
                    struct plan *pl)
{
    if (p->kic_key_len > C348_KEY_MAX || p->kid_key_len > C348_KEY_MAX)
        return C348_ERR_KEY_LEN;
    return plan_make(spi, kic, kid, p->kic_key_len ? p->kic_key_len : 1,
                     p->kid_key_len ? p->kid_key_len : 1, por, pl);
}

int c348_params_check(const struct c348_params *p)
{
    struct plan pl;
    int rc;

    if (p == NULL || p->kic_key_len > C348_KEY_MAX || p->kid_key_len > C348_KEY_MAX)
        return C348_ERR_ARG;
    rc = plan_for(p, p->spi, p->kic, p->kid, 0, &pl);
    if (rc == 0 && (spi2_of(p->spi) & C348_SPI2_POR_MASK) != C348_SPI2_POR_NONE)
        rc = plan_for(p, p->spi, p->kic, p->kid, 1, &pl);
    if (rc == 0 && p->cntr > C348_CNTR_MAX)
        rc = C348_ERR_ARG;
    return rc;
}

/* ---- command packet: gateway side (TS 102 225 §5.1, TS 31.115 §4.2) --- */

/* Padding so that CNTR .. end (head octets + data) fills whole blocks. */
static size_t pad_len(size_t ciphered, size_t block)
{
    return (block - ciphered % block) % block;
}

static int cmd_layout(const struct plan *pl, size_t data_len, size_t *pad, size_t *total)
{
    if (data_len > C348_PKT_MAX)
        return C348_ERR_TOO_LONG;
    *pad = pad_len(6 + pl->cclen + data_len, pl->block);
    *total = C348_CMD_HDR + pl->cclen + data_len + *pad;
    return *total > C348_PKT_MAX ? C348_ERR_TOO_LONG : 0;
}

int c348_cmd_size(uint16_t spi, uint8_t kic, uint8_t kid, size_t data_len, size_t *out_len)
{
    struct plan pl;
    size_t pad;
    int rc;

    if (out_len == NULL)
        return C348_ERR_ARG;
    if ((rc = plan_make(spi, kic, kid, 0, 0, 0, &pl)) != 0)
        return rc;
    return cmd_layout(&pl, data_len, &pad, out_len);
}

int c348_cmd_build(const struct c348_params *p, const uint8_t *data, size_t data_len, uint8_t *out,
                   size_t outcap)
{
    struct plan pl;
    size_t pad, total, cc_at = C348_CMD_HDR;
    int rc;

    if (p == NULL || out == NULL || (data == NULL && data_len > 0))
        return C348_ERR_ARG;
    if ((rc = c348_params_check(p)) != 0)
        return rc;
    if ((rc = plan_for(p, p->spi, p->kic, p->kid, 0, &pl)) != 0)
        return rc;
    if ((rc = cmd_layout(&pl, data_len, &pad, &total)) != 0)
        return rc;
    if (outcap < total)
        return C348_ERR_ARG;

    put_be(out, total - 2, 2);         /* CPL: from CHL to the end */
    out[2] = (uint8_t)(13 + pl.cclen); /* CHL: from SPI to end of RC/CC */
    put_be(out + 3, p->spi, 2);
    out[5] = p->kic;
    out[6] = p->kid;
    memcpy(out + 7, p->tar, 3);
    put_be(out + 10, p->cntr, 5);
    out[15] = (uint8_t)pad; /* PCNTR; 0 when not ciphered */
    if (data_len > 0)
        memmove(out + cc_at + pl.cclen, data, data_len);
    /* Padding octets are 00 (the spec leaves the value open; pySim, the
     * public vectors and most cards use 00). */
    memset(out + cc_at + pl.cclen + data_len, 0, pad);

    if (pl.integ != NULL) {
        const uint8_t *key = pl.integ->keylen ? p->kid_key : NULL;
        struct span s[2] = {{out, C348_CMD_HDR},
                            {out + cc_at + pl.cclen, total - cc_at - pl.cclen}};
        uint8_t cc[C348_CC_MAX];
        if ((rc = integrity(pl.integ, key, s, 2, cc)) < 0)
            return rc;
        memcpy(out + cc_at, cc, pl.cclen);
    }
    if (pl.cipher != NULL &&
        (rc = run_cipher(pl.cipher, p->kic_key, 1, out + 10, total - 10, out + 10)) != 0)
        return rc;
    return (int)total;
}

/* ---- command packet: card side ------------------------------------------ */

int c348_cmd_peek(const uint8_t *pkt, size_t len, struct c348_cmd_hdr *h)
{
    if (pkt == NULL || h == NULL)
        return C348_ERR_ARG;
    if (len < C348_CMD_HDR)
        return C348_ERR_TRUNC;
    h->cpl = (uint16_t)get_be(pkt, 2);
    h->chl = pkt[2];
    h->spi = (uint16_t)get_be(pkt + 3, 2);
    h->kic = pkt[5];
    h->kid = pkt[6];
    memcpy(h->tar, pkt + 7, 3);
    if (len - 2 < h->cpl)
        return C348_ERR_TRUNC;
    /* CHL at least SPI..CNTR,PCNTR (13) and inside CPL; nothing after CPL. */
    if (len - 2 > h->cpl || h->chl < 13 || (size_t)h->chl + 1 > h->cpl)
        return C348_ERR_LENGTH;
    return 0;
}

uint8_t c348_cntr_check(uint8_t spi1, uint64_t stored, uint64_t received, uint64_t max_ahead)
{
    switch (spi1 & C348_SPI1_CNTR_MASK) {
    case C348_SPI1_CNTR_NONE:
    case C348_SPI1_CNTR_NOCHECK:
        return C348_ST_OK;
    default:
        break;
    }
    /* The RE counter has reached its end: nothing can be higher. */
    if (stored >= C348_CNTR_MAX)
        return C348_ST_CNTR_BLOCKED;
    if (received <= stored)
        return C348_ST_CNTR_LOW;
    if ((spi1 & C348_SPI1_CNTR_MASK) == C348_SPI1_CNTR_NEXT)
        return received == stored + 1 ? C348_ST_OK : C348_ST_CNTR_HIGH;
    if (received > C348_CNTR_MAX || (max_ahead > 0 && received - stored > max_ahead))
        return C348_ST_CNTR_HIGH;
    return C348_ST_OK;
}

int c348_cmd_open(const struct c348_params *p, const uint8_t *pkt, size_t len, uint8_t *buf,
                  size_t bufcap, struct c348_cmd *out)
{
    struct plan pl;
    size_t total, body, cc_at = C348_CMD_HDR;
    uint8_t cc[C348_CC_MAX];
    int rc;

    if (p == NULL || pkt == NULL || buf == NULL || out == NULL)
        return C348_ERR_ARG;
    memset(out, 0, sizeof *out);
    if ((rc = c348_cmd_peek(pkt, len, &out->hdr)) != 0)
        return rc;
    if (len > C348_PKT_MAX)
        return C348_ERR_TOO_LONG;
    if (bufcap < len)
        return C348_ERR_ARG;
    rc = plan_for(p, out->hdr.spi, out->hdr.kic, out->hdr.kid, 0, &pl);
    if (rc != 0)
        return rc;
    total = len;
    if (out->hdr.chl != 13 + pl.cclen)
        return C348_ERR_LENGTH;
    memcpy(buf, pkt, len);

    if (pl.cipher != NULL) {
        /* TS 102 225 §5.1.1: the ciphered part is a whole number of blocks;
         * when it is not, the card cannot decipher (status 05). */
        if ((total - 10) % pl.block != 0) {
            out->status = C348_ST_CIPHERING_ERROR;
            return 0;
        }
        if ((rc = run_cipher(pl.cipher, p->kic_key, 0, buf + 10, total - 10, buf + 10)) != 0)
            return rc;
    }
    out->cntr = get_be(buf + 10, 5);
    out->pcntr = buf[15];
    body = total - cc_at - pl.cclen; /* data + padding */

    if (pl.integ != NULL) {
        const uint8_t *key = pl.integ->keylen ? p->kid_key : NULL;
        struct span s[2] = {{buf, C348_CMD_HDR}, {buf + cc_at + pl.cclen, body}};
        if ((rc = integrity(pl.integ, key, s, 2, cc)) < 0)
            return rc;
        if (CRYPTO_memcmp(cc, buf + cc_at, pl.cclen) != 0) {
            out->status = C348_ST_RC_CC_DS_FAILED;
            return 0;
        }
    }
    /* Only a verified (or unprotected) packet gets its padding counter
     * trusted; more padding than data+padding is a malformed packet that
     * no card can process. */
    if (out->pcntr > body) {
        out->status = C348_ST_SECURITY_ERROR;
        return 0;
    }
    out->status = c348_cntr_check(spi1_of(out->hdr.spi), p->cntr, out->cntr, 0);
    out->data = buf + cc_at + pl.cclen;
    out->data_len = body - out->pcntr;
    return 0;
}

/* ---- response packet (TS 102 225 §5.2, TS 31.115 §4.3) ----------------- */

int c348_por_wanted(uint16_t spi, uint8_t status)
{
    switch (spi2_of(spi) & C348_SPI2_POR_MASK) {
    case C348_SPI2_POR_ALWAYS:
        return 1;
    case C348_SPI2_POR_ON_ERROR:
        return status != C348_ST_OK;
    default:
        return 0;
    }
}

/* Statuses a card may send unsecured (see c348_por_open). All are
 * failures: an unverified PoR never reports success. */
static int por_unsecured_failure(uint8_t st)
{
    return st == C348_ST_RC_CC_DS_FAILED || st == C348_ST_CIPHERING_ERROR ||
           st == C348_ST_SECURITY_ERROR || st == C348_ST_TAR_UNKNOWN ||
           st == C348_ST_INSUFFICIENT_SECURITY;
}

#define POR_HDR 16 /* 02 71 00 RPL(2) RHL TAR(3) CNTR(5) PCNTR RSC */

int c348_por_build(const struct c348_params *p, uint8_t status, const uint8_t *data,
                   size_t data_len, uint8_t *out, size_t outcap)
{
    struct plan pl;
    size_t pad, total;
    int rc;

    if (p == NULL || out == NULL || (data == NULL && data_len > 0) || p->cntr > C348_CNTR_MAX)
        return C348_ERR_ARG;
    if (status == C348_ST_SECURITY_ERROR) {
        /* TS 102 225 §5.2: an unidentified security error PoR goes out
         * neither ciphered nor with RC/CC (the card could not work out
         * which keys to use). */
        memset(&pl, 0, sizeof pl);
        pl.block = 1;
    } else if ((rc = plan_for(p, p->spi, p->kic, p->kid, 1, &pl)) != 0) {
        return rc;
    }
    if (data_len > C348_PKT_MAX)
        return C348_ERR_TOO_LONG;
    pad = pad_len(7 + pl.cclen + data_len, pl.block);
    total = POR_HDR + pl.cclen + data_len + pad;
    if (total - C348_POR_UDH > C348_PKT_MAX)
        return C348_ERR_TOO_LONG;
    if (outcap < total)
        return C348_ERR_ARG;

    out[0] = 0x02; /* UDHL */
    out[1] = 0x71; /* IEI: Response Packet Identifier */
    out[2] = 0x00;
    put_be(out + 3, total - 5, 2);     /* RPL: from RHL to the end */
    out[5] = (uint8_t)(10 + pl.cclen); /* RHL: TAR .. end of RC/CC */
    memcpy(out + 6, p->tar, 3);
    put_be(out + 9, p->cntr, 5);
    out[14] = (uint8_t)pad;
    out[15] = status;
    if (data_len > 0)
        memmove(out + POR_HDR + pl.cclen, data, data_len);
    memset(out + POR_HDR + pl.cclen + data_len, 0, pad);
    if (pl.integ != NULL) {
        const uint8_t *key = pl.integ->keylen ? p->kid_key : NULL;
        struct span s[2] = {{out, POR_HDR}, {out + POR_HDR + pl.cclen, total - POR_HDR - pl.cclen}};
        uint8_t cc[C348_CC_MAX];
        if ((rc = integrity(pl.integ, key, s, 2, cc)) < 0)
            return rc;
        memcpy(out + POR_HDR, cc, pl.cclen);
    }
    if (pl.cipher != NULL &&
        (rc = run_cipher(pl.cipher, p->kic_key, 1, out + 9, total - 9, out + 9)) != 0)
        return rc;
    return (int)total;
}

int c348_por_open(const struct c348_params *p, const uint8_t *tpud, size_t len, int check_cmd,
                  uint8_t *buf, size_t bufcap, struct c348_por *out)
{
    struct plan pl;
    size_t rpl, rhl, body;
    uint8_t cc[C348_CC_MAX];
    int rc, unsecured_failure = 0;

    if (p == NULL || tpud == NULL || buf == NULL || out == NULL)
        return C348_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (len < C348_POR_UDH)
        return C348_ERR_TRUNC;
    if (tpud[0] != 0x02 || tpud[1] != 0x71 || tpud[2] != 0x00)
        return C348_ERR_UDH;
    if (len < POR_HDR)
        return C348_ERR_TRUNC;
    if (len - C348_POR_UDH > C348_PKT_MAX)
        return C348_ERR_TOO_LONG;
    rpl = (size_t)get_be(tpud + 3, 2);
    rhl = tpud[5];
    if (len - 5 < rpl)
        return C348_ERR_TRUNC;
    if (len - 5 > rpl || rhl < 10 || rhl + 1 > rpl)
        return C348_ERR_LENGTH;
    if (bufcap < len)
        return C348_ERR_ARG;
    if ((rc = plan_for(p, p->spi, p->kic, p->kid, 1, &pl)) != 0)
        return rc;
    memcpy(buf, tpud, len);

    if (rhl == 10 && (pl.cclen != 0 || pl.cipher != NULL) && por_unsecured_failure(buf[15]) &&
        buf[14] == 0 && len == POR_HDR) {
        /* TS 102 225 §5.2: "unidentified security error" comes unsecured,
         * and cards answer the other failures found before the keys were
         * proven (RC/CC failed, ciphering error, TAR unknown, insufficient
         * security level) the same way: they cannot secure an answer with
         * keys they could not confirm. Such a PoR is accepted as what it
         * is, a failure, and marked unverified; an unsecured PoR can never
         * make a job succeed, and its CNTR (zero when the command's was
         * ciphered) is not checked. */
        memset(&pl, 0, sizeof pl);
        pl.block = 1;
        unsecured_failure = 1;
    } else if (rhl != 10 + pl.cclen) {
        return C348_ERR_LENGTH;
    }
    if (pl.cipher != NULL) {
        if ((len - 9) % pl.block != 0)
            return C348_ERR_LENGTH;
        if ((rc = run_cipher(pl.cipher, p->kic_key, 0, buf + 9, len - 9, buf + 9)) != 0)
            return rc;
    }
    body = len - POR_HDR - pl.cclen;
    if (pl.integ != NULL) {
        const uint8_t *key = pl.integ->keylen ? p->kid_key : NULL;
        struct span s[2] = {{buf, POR_HDR}, {buf + POR_HDR + pl.cclen, body}};
        if ((rc = integrity(pl.integ, key, s, 2, cc)) < 0)
            return rc;
        if (CRYPTO_memcmp(cc, buf + POR_HDR, pl.cclen) != 0)
            return C348_ERR_MAC;
        out->verified = 1;
    }
    if (buf[14] > body)
        return C348_ERR_LENGTH;
    memcpy(out->tar, buf + 6, 3);
    out->cntr = get_be(buf + 9, 5);
    out->pcntr = buf[14];
    out->status = buf[15];
    out->data = buf + POR_HDR + pl.cclen;
    out->data_len = body - out->pcntr;
    if (check_cmd &&
        (memcmp(out->tar, p->tar, 3) != 0 || (!unsecured_failure && out->cntr != p->cntr)))
        return C348_ERR_MISMATCH;
    return 0;
}
