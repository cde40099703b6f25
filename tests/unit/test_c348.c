/* test_c348.c — the 03.48 codec: every public vector of
 * tests/vectors/ota-public.json (read from the file, run from the repo root),
 * primitive known-answer tests, every cipher x integrity combination through
 * build -> card open -> PoR build -> PoR open, tampering, counter edges and
 * the rejection paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "codec/c348.h"
#include "codec/hex.h"
#include "codec/udh.h"

#define VECTORS "tests/vectors/ota-public.json"

static struct json_object *vectors;

static int load_vectors(void **state)
{
    (void)state;
    vectors = json_object_from_file(VECTORS);
    return vectors == NULL ? -1 : 0;
}

static int free_vectors(void **state)
{
    (void)state;
    json_object_put(vectors);
    c348_thread_cleanup();
    return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static size_t jhex(struct json_object *o, const char *key, uint8_t *out, size_t cap)
{
    const char *s = jstr(o, key);
    assert_non_null(s);
    long n = hex_decode(s, out, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

static uint8_t jbyte(struct json_object *o, const char *key)
{
    uint8_t b[1];
    assert_int_equal(jhex(o, key, b, 1), 1);
    return b[0];
}

static uint64_t be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* KIc/KID octet for an algorithm name of the vectors file (key version 0). */
static uint8_t alg_octet(const char *alg)
{
    if (strcmp(alg, "des") == 0)
        return 0x01;
    if (strcmp(alg, "3des2") == 0)
        return 0x05;
    if (strcmp(alg, "3des3") == 0)
        return 0x09;
    if (strcmp(alg, "aes") == 0)
        return 0x02;
    fail_msg("unknown algorithm %s", alg);
    return 0;
}

static void vec_params(struct json_object *v, struct c348_params *p)
{
    uint8_t b[2];
    memset(p, 0, sizeof *p);
    p->kic_key_len = jhex(v, "kic_key", p->kic_key, sizeof p->kic_key);
    p->kid_key_len = jhex(v, "kid_key", p->kid_key, sizeof p->kid_key);
    assert_int_equal(jhex(v, jstr(v, "spi") ? "spi" : "command_spi", b, 2), 2);
    p->spi = (uint16_t)(b[0] << 8 | b[1]);
}

/* Command vectors: build byte for byte, size planning, SM split, and the
 * card opening the packet. */
static void test_command_vectors(void **state)
{
    (void)state;
    struct json_object *arr;
    assert_true(json_object_object_get_ex(vectors, "command_vectors", &arr));
    size_t n = json_object_array_length(arr);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i);
        struct c348_params p;
        uint8_t data[256], want[512], got[512], buf[512], cntr[5];
        size_t dlen, wlen, sz;
        struct c348_cmd cmd;

        print_message("  vector %s\n", jstr(v, "name"));
        vec_params(v, &p);
        p.kic = jbyte(v, "kic");
        p.kid = jbyte(v, "kid");
        assert_int_equal(jhex(v, "tar", p.tar, 3), 3);
        assert_int_equal(jhex(v, "cntr", cntr, 5), 5);
        p.cntr = be(cntr, 5);
        dlen = jhex(v, "payload", data, sizeof data);
        wlen = jhex(v, "secured_packet", want, sizeof want);

        assert_int_equal(c348_params_check(&p), 0);
        assert_int_equal(c348_cmd_size(p.spi, p.kic, p.kid, dlen, &sz), 0);
        assert_int_equal(sz, wlen);
        int len = c348_cmd_build(&p, data, dlen, got, sizeof got);
        assert_int_equal(len, (int)wlen);
        assert_memory_equal(got, want, wlen);

        if (jstr(v, "single_sms_user_data") != NULL) {
            uint8_t ud[200];
            size_t ulen = jhex(v, "single_sms_user_data", ud, sizeof ud);
            struct udh_sm sm[2];
            assert_int_equal(udh_cmd_sm_count(wlen), 1);
            assert_int_equal(udh_split(UDH_IEI_CPI, got, (size_t)len, UDH_REF8, 0, sm, 2), 1);
            assert_int_equal(sm[0].len, ulen);
            assert_memory_equal(sm[0].ud, ud, ulen);
        }

        /* The card: stored counter equal to the CNTR would be "low" in the
         * modes with replay check; the vectors use mode 00 (no counter). */
        assert_int_equal(c348_cmd_open(&p, got, (size_t)len, buf, sizeof buf, &cmd), 0);
        assert_int_equal(cmd.status, C348_ST_OK);
        assert_int_equal(cmd.hdr.spi, p.spi);
        assert_memory_equal(cmd.hdr.tar, p.tar, 3);
        assert_int_equal(cmd.cntr, p.cntr);
        assert_int_equal(cmd.data_len, dlen);
        assert_memory_equal(cmd.data, data, dlen);
    }
}

/* PoR vectors: open (verify CC, decipher) and compare every decoded field;
 * then the card side rebuilds the same TP-UD byte for byte. */
static void test_response_vectors(void **state)
{
    (void)state;
    struct json_object *arr;
    assert_true(json_object_object_get_ex(vectors, "response_vectors", &arr));
    size_t n = json_object_array_length(arr);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(arr, i), *d;
        struct c348_params p;
        uint8_t ud[256], buf[256], again[256], x[64];
        size_t ulen;
        struct c348_por por;

        print_message("  vector %s\n", jstr(v, "name"));
        vec_params(v, &p);
        p.kic = alg_octet(jstr(v, "kic_alg"));
        p.kid = alg_octet(jstr(v, "kid_alg"));
        assert_true(json_object_object_get_ex(v, "decoded", &d));
        assert_int_equal(jhex(d, "tar", p.tar, 3), 3);
        assert_int_equal(jhex(d, "cntr", x, 5), 5);
        p.cntr = be(x, 5);
        ulen = jhex(v, "user_data", ud, sizeof ud);

        assert_int_equal(c348_por_open(&p, ud, ulen, 1, buf, sizeof buf, &por), 0);
        assert_int_equal(be(ud + 3, 2), json_object_get_int(json_object_object_get(d, "rpl")));
        assert_int_equal(ud[5], json_object_get_int(json_object_object_get(d, "rhl")));
        assert_memory_equal(por.tar, p.tar, 3);
        assert_int_equal(por.cntr, p.cntr);
        assert_int_equal(por.pcntr, json_object_get_int(json_object_object_get(d, "pcntr")));
        assert_int_equal(por.status, jbyte(d, "status_code"));
        size_t cclen = jhex(d, "rc_cc_ds", x, sizeof x);
        assert_int_equal(por.verified, cclen > 0);
        if (cclen > 0) /* the CC sits in front of the data, deciphered in buf */
            assert_memory_equal(por.data - cclen, x, cclen);
        size_t alen = jhex(d, "additional_data", x, sizeof x);
        assert_int_equal(por.data_len, alen);
        assert_memory_equal(por.data, x, alen);

        int len = c348_por_build(&p, por.status, x, alen, again, sizeof again);
        assert_int_equal(len, (int)ulen);
        assert_memory_equal(again, ud, ulen);
    }
}

/* ---- primitive KATs -------------------------------------------------------- */

static void test_primitive_kats(void **state)
{
    (void)state;
    const uint8_t check[] = "123456789";
    uint8_t key[16], msg[16], out[16], want[16];

    /* CRC catalogue check values (CRC-16/X-25 = ISO/IEC 13239, CRC-32). */
    assert_int_equal(c348_crc16(check, 9), 0x906E);
    assert_int_equal(c348_crc32(check, 9), 0xCBF43926u);
    /* The RC field carries them most significant octet first. */
    assert_int_equal(c348_integrity(C348_SPI1_RC, 0x01, NULL, 0, check, 9, out), 2);
    assert_memory_equal(out, "\x90\x6e", 2);
    assert_int_equal(c348_integrity(C348_SPI1_RC, 0x05, NULL, 0, check, 9, out), 4);
    assert_memory_equal(out, "\xcb\xf4\x39\x26", 4);

    /* AES-CMAC, RFC 4493 §4 example 2 (16-octet message), leftmost 8. */
    assert_int_equal(hex_decode("2b7e151628aed2a6abf7158809cf4f3c", key, 16), 16);
    assert_int_equal(hex_decode("6bc1bee22e409f96e93d7e117393172a", msg, 16), 16);
    assert_int_equal(hex_decode("070a16b46b4d4144f79bdd9dd04a287c", want, 16), 16);
    assert_int_equal(c348_integrity(C348_SPI1_CC, 0x02, key, 16, msg, 16, out), 8);
    assert_memory_equal(out, want, 8);
    /* RFC 4493 examples 3 (40 octets: last block partial) and 4 (64). */
    uint8_t m4[64];
    assert_int_equal(hex_decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                                "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
                                m4, sizeof m4),
                     64);
    assert_int_equal(c348_integrity(C348_SPI1_CC, 0x02, key, 16, m4, 40, out), 8);
    assert_memory_equal(out, "\xdf\xa6\x67\x47\xde\x9a\xe6\x30", 8);
    assert_int_equal(c348_integrity(C348_SPI1_CC, 0x02, key, 16, m4, 64, out), 8);
    assert_memory_equal(out, "\x51\xf0\xbe\xbf\x7e\x3b\x9d\x92", 8);
    /* RFC 4493 example 1 (empty message) goes through the same path. */
    assert_int_equal(hex_decode("bb1d6929e95937287fa37d129b756746", want, 16), 16);
    assert_int_equal(c348_integrity(C348_SPI1_CC, 0x02, key, 16, msg, 0, out), 8);
    assert_memory_equal(out, want, 8);

    /* DES, FIPS 81 example: "Now is t" under 0123456789abcdef (one block,
     * zero IV, so CBC = ECB) -> 3fa40e8a984d4815. Single DES runs as 3DES
     * with K1=K2=K3; this proves that equivalence. */
    assert_int_equal(hex_decode("0123456789abcdef", key, 8), 8);
    assert_int_equal(c348_cipher(1, 0x01, key, 8, (const uint8_t *)"Now is t", 8, out), 0);
    assert_int_equal(hex_decode("3fa40e8a984d4815", want, 8), 8);
    assert_memory_equal(out, want, 8);
    assert_int_equal(c348_cipher(0, 0x01, key, 8, out, 8, out), 0);
    assert_memory_equal(out, "Now is t", 8);
    /* DES CBC-MAC of one block is that same block cipher output. */
    assert_int_equal(
        c348_integrity(C348_SPI1_CC, 0x01, key, 8, (const uint8_t *)"Now is t", 8, out), 8);
    assert_memory_equal(out, want, 8);
    /* CBC-MAC pads with 00 for the computation: "Now is" == "Now is\0\0". */
    uint8_t a[8], b[8];
    assert_int_equal(c348_integrity(C348_SPI1_CC, 0x05, msg, 16, (const uint8_t *)"Now is", 6, a),
                     8);
    assert_int_equal(
        c348_integrity(C348_SPI1_CC, 0x05, msg, 16, (const uint8_t *)"Now is\0\0", 8, b), 8);
    assert_memory_equal(a, b, 8);
    /* Blocks must be whole for the cipher. */
    assert_int_equal(c348_cipher(1, 0x02, msg, 16, msg, 8, out), C348_ERR_LENGTH);
}

/* ---- every combination round trip --------------------------------------- */

struct kalg {
    const char *name;
    uint8_t octet;
    size_t keylen;
};

static const struct kalg ciphers[] = {
    {"none", 0x00, 0},    {"des", 0x11, 8},     {"3des2", 0x25, 16},  {"3des3", 0x39, 24},
    {"aes128", 0x42, 16}, {"aes192", 0x52, 24}, {"aes256", 0x62, 32},
};

/* type, octet, keylen */
static const struct {
    const char *name;
    uint8_t type, octet;
    size_t keylen;
} integs[] = {
    {"none", C348_SPI1_NONE, 0x00, 0},     {"crc16", C348_SPI1_RC, 0x11, 0},
    {"crc32", C348_SPI1_RC, 0x15, 0},      {"des-mac", C348_SPI1_CC, 0x21, 8},
    {"3des2-mac", C348_SPI1_CC, 0x35, 16}, {"3des3-mac", C348_SPI1_CC, 0x49, 24},
    {"cmac128", C348_SPI1_CC, 0x52, 16},   {"cmac192", C348_SPI1_CC, 0x62, 24},
    {"cmac256", C348_SPI1_CC, 0x72, 32},
};

static void combo_params(struct c348_params *p, size_t ci, size_t ii, uint64_t cntr)
{
    memset(p, 0, sizeof *p);
    uint8_t spi1 = (uint8_t)(integs[ii].type | (ci ? C348_SPI1_CIPHER : 0) | C348_SPI1_CNTR_HIGHER);
    uint8_t spi2 = (uint8_t)(C348_SPI2_POR_ALWAYS | integs[ii].type << 2 |
                             (ci ? C348_SPI2_POR_CIPHER : 0) | C348_SPI2_POR_SUBMIT);
    p->spi = (uint16_t)(spi1 << 8 | spi2);
    p->kic = ciphers[ci].octet;
    p->kid = integs[ii].octet;
    p->tar[0] = 0xB0;
    p->tar[2] = 0x10;
    p->cntr = cntr;
    for (size_t k = 0; k < ciphers[ci].keylen; k++)
        p->kic_key[k] = (uint8_t)(0x40 + k * 7);
    p->kic_key_len = ciphers[ci].keylen;
    for (size_t k = 0; k < integs[ii].keylen; k++)
        p->kid_key[k] = (uint8_t)(0x91 + k * 3);
    p->kid_key_len = integs[ii].keylen;
}

static void test_roundtrip_all(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 7, 8, 15, 16, 17, 100, 137, 300, 2000};
    static uint8_t data[2100], pkt[C348_PKT_MAX], buf[C348_PKT_MAX], por[C348_PKT_MAX + 3],
        pbuf[C348_PKT_MAX + 3];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 31 + 7);

    for (size_t ci = 0; ci < sizeof ciphers / sizeof ciphers[0]; ci++) {
        for (size_t ii = 0; ii < sizeof integs / sizeof integs[0]; ii++) {
            for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                struct c348_params gw, card;
                struct c348_cmd cmd;
                struct c348_por r;
                size_t sz, dl = lens[li];
                uint64_t cntr = 0x0102030405ull + li;

                combo_params(&gw, ci, ii, cntr);
                assert_int_equal(c348_params_check(&gw), 0);
                assert_int_equal(c348_cmd_size(gw.spi, gw.kic, gw.kid, dl, &sz), 0);
                int len = c348_cmd_build(&gw, data, dl, pkt, sizeof pkt);
                if (len < 0)
                    fail_msg("%s/%s len %zu: %s", ciphers[ci].name, integs[ii].name, dl,
                             c348_strerror(len));
                assert_int_equal((size_t)len, sz);
                if (ci)
                    assert_int_equal((len - 10) % (ci >= 4 ? 16 : 8), 0);
                if (ci == 0 && dl > 8) /* not ciphered: the data is in clear */
                    assert_memory_equal(pkt + len - dl, data, dl);

                /* The card: stored counter one below, keys by the header. */
                card = gw;
                card.cntr = cntr - 1;
                assert_int_equal(c348_cmd_open(&card, pkt, (size_t)len, buf, sizeof buf, &cmd), 0);
                assert_int_equal(cmd.status, C348_ST_OK);
                assert_int_equal(cmd.cntr, cntr);
                assert_int_equal(cmd.data_len, dl);
                if (dl)
                    assert_memory_equal(cmd.data, data, dl);

                /* PoR with response data, then the gateway opens it. */
                size_t rl = dl > 1000 ? 1000 : dl;
                int plen = c348_por_build(&gw, C348_ST_OK, data, rl, por, sizeof por);
                assert_true(plen > 0);
                assert_int_equal(c348_por_open(&gw, por, (size_t)plen, 1, pbuf, sizeof pbuf, &r),
                                 0);
                assert_int_equal(r.status, C348_ST_OK);
                assert_int_equal(r.verified, integs[ii].type != C348_SPI1_NONE);
                assert_int_equal(r.cntr, cntr);
                assert_memory_equal(r.tar, gw.tar, 3);
                assert_int_equal(r.data_len, rl);
                if (rl)
                    assert_memory_equal(r.data, data, rl);
            }
        }
    }
}

/* ---- tampering ---------------------------------------------------------- */

/* Any one flipped octet of a protected command is refused by the card:
 * either an error or a non-OK status, never "execute". */
static void test_tampered_command(void **state)
{
    (void)state;
    uint8_t data[40], pkt[256], bad[256], buf[256];
    memset(data, 0xA5, sizeof data);
    for (size_t ci = 0; ci < sizeof ciphers / sizeof ciphers[0]; ci++) {
        for (size_t ii = 1; ii < sizeof integs / sizeof integs[0]; ii++) {
            struct c348_params p, card;
            combo_params(&p, ci, ii, 77);
            int len = c348_cmd_build(&p, data, sizeof data, pkt, sizeof pkt);
            assert_true(len > 0);
            card = p;
            card.cntr = 76;
            for (int at = 0; at < len; at++) {
                for (int bit = 0; bit < 8; bit += 3) {
                    struct c348_cmd cmd;
                    memcpy(bad, pkt, (size_t)len);
                    bad[at] ^= (uint8_t)(1u << bit);
                    int rc = c348_cmd_open(&card, bad, (size_t)len, buf, sizeof buf, &cmd);
                    if (rc == 0 && cmd.status == C348_ST_OK)
                        fail_msg("%s/%s: flip at %d bit %d accepted", ciphers[ci].name,
                                 integs[ii].name, at, bit);
                }
            }
            /* Wrong keys on the card side: CC/RC fails. */
            if (integs[ii].type == C348_SPI1_CC) {
                struct c348_cmd cmd;
                card.kid_key[0] ^= 0x80; /* not bit 0: the DES parity bit */
                assert_int_equal(c348_cmd_open(&card, pkt, (size_t)len, buf, sizeof buf, &cmd), 0);
                assert_int_equal(cmd.status, C348_ST_RC_CC_DS_FAILED);
            }
            /* Truncated by one octet: a length error, never a status OK. */
            struct c348_cmd cmd;
            assert_int_equal(c348_cmd_open(&card, pkt, (size_t)len - 1, buf, sizeof buf, &cmd),
                             C348_ERR_TRUNC);
        }
    }
}

/* Any one flipped octet of a protected PoR is an error for the gateway. */
static void test_tampered_por(void **state)
{
    (void)state;
    uint8_t data[20], por[256], bad[256], buf[256];
    memset(data, 0x61, sizeof data);
    for (size_t ci = 0; ci < sizeof ciphers / sizeof ciphers[0]; ci++) {
        for (size_t ii = 1; ii < sizeof integs / sizeof integs[0]; ii++) {
            struct c348_params p;
            struct c348_por r;
            combo_params(&p, ci, ii, 1000);
            int len = c348_por_build(&p, C348_ST_OK, data, sizeof data, por, sizeof por);
            assert_true(len > 0);
            for (int at = 0; at < len; at++) {
                memcpy(bad, por, (size_t)len);
                bad[at] ^= 0x10;
                int rc = c348_por_open(&p, bad, (size_t)len, 1, buf, sizeof buf, &r);
                if (rc >= 0)
                    fail_msg("%s/%s: PoR flip at %d accepted", ciphers[ci].name, integs[ii].name,
                             at);
            }
            /* Wrong KID key: MAC error. TAR or CNTR of another command:
             * mismatch. Without the check the same PoR opens. */
            struct c348_params q = p;
            if (integs[ii].type == C348_SPI1_CC) {
                q.kid_key[3] ^= 0x80;
                assert_int_equal(c348_por_open(&q, por, (size_t)len, 1, buf, sizeof buf, &r),
                                 C348_ERR_MAC);
            }
            q = p;
            q.cntr = 1001;
            assert_int_equal(c348_por_open(&q, por, (size_t)len, 1, buf, sizeof buf, &r),
                             C348_ERR_MISMATCH);
            assert_int_equal(c348_por_open(&q, por, (size_t)len, 0, buf, sizeof buf, &r), 0);
            q = p;
            q.tar[1] ^= 1;
            assert_int_equal(c348_por_open(&q, por, (size_t)len, 1, buf, sizeof buf, &r),
                             C348_ERR_MISMATCH);
            assert_int_equal(c348_por_open(&p, por, (size_t)len - 1, 1, buf, sizeof buf, &r),
                             C348_ERR_TRUNC);
        }
    }
}

/* A card that cannot identify the security sends 06 unsecured (and 01, 05,
 * 09, 0A alike); the gateway takes it for what it is (a failure), marked
 * unverified. */
static void test_por_security_error(void **state)
{
    (void)state;
    struct c348_params p;
    struct c348_por r;
    uint8_t por[64], buf[64];
    combo_params(&p, 4, 6, 5); /* AES + CMAC, PoR ciphered + CC */
    int len = c348_por_build(&p, C348_ST_SECURITY_ERROR, NULL, 0, por, sizeof por);
    assert_int_equal(len, 16);
    assert_int_equal(por[5], 10); /* RHL: no CC */
    assert_int_equal(c348_por_open(&p, por, (size_t)len, 1, buf, sizeof buf, &r), 0);
    assert_int_equal(r.status, C348_ST_SECURITY_ERROR);
    assert_int_equal(r.verified, 0);
    /* The other failures a card finds before its keys are proven come
     * unsecured too, with CNTR zero when the command's was ciphered: taken
     * as unverified failures, CNTR unchecked, TAR still checked. */
    static const uint8_t unsecured[] = {C348_ST_RC_CC_DS_FAILED, C348_ST_CIPHERING_ERROR,
                                        C348_ST_TAR_UNKNOWN, C348_ST_INSUFFICIENT_SECURITY};
    for (size_t i = 0; i < sizeof unsecured; i++) {
        por[15] = unsecured[i];
        memset(por + 9, 0, 5);
        assert_int_equal(c348_por_open(&p, por, (size_t)len, 1, buf, sizeof buf, &r), 0);
        assert_int_equal(r.status, unsecured[i]);
        assert_int_equal(r.verified, 0);
        por[6] ^= 1;
        assert_int_equal(c348_por_open(&p, por, (size_t)len, 1, buf, sizeof buf, &r),
                         C348_ERR_MISMATCH);
        por[6] ^= 1;
    }
    /* Success, or a counter verdict, sent unsecured under this SPI is refused. */
    static const uint8_t secured_only[] = {C348_ST_OK, C348_ST_CNTR_LOW, C348_ST_CNTR_HIGH,
                                           C348_ST_CNTR_BLOCKED, C348_ST_MORE_TIME};
    for (size_t i = 0; i < sizeof secured_only; i++) {
        por[15] = secured_only[i];
        assert_int_equal(c348_por_open(&p, por, (size_t)len, 1, buf, sizeof buf, &r),
                         C348_ERR_LENGTH);
    }
    /* Not a PoR UDH. */
    por[15] = C348_ST_SECURITY_ERROR;
    por[1] = 0x70;
    assert_int_equal(c348_por_open(&p, por, (size_t)len, 1, buf, sizeof buf, &r), C348_ERR_UDH);
}

/* ---- counters ----------------------------------------------------------- */

static void test_counter_rules(void **state)
{
    (void)state;
    const uint64_t M = C348_CNTR_MAX;
    const uint8_t none = 0x00, nocheck = 0x08, higher = 0x10, next = 0x18;

    /* No counter / no replay check: anything goes, even a blocked store. */
    assert_int_equal(c348_cntr_check(none, 5, 0, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(nocheck, M, 0, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(nocheck, 5, 5, 0), C348_ST_OK);
    /* Higher than the RE counter. */
    assert_int_equal(c348_cntr_check(higher, 0, 0, 0), C348_ST_CNTR_LOW);
    assert_int_equal(c348_cntr_check(higher, 0, 1, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(higher, 0, M, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(higher, 10, 9, 0), C348_ST_CNTR_LOW);
    assert_int_equal(c348_cntr_check(higher, 10, 10, 0), C348_ST_CNTR_LOW);
    assert_int_equal(c348_cntr_check(higher, 10, 1000, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(higher, 10, 1000, 100), C348_ST_CNTR_HIGH);
    assert_int_equal(c348_cntr_check(higher, 10, 110, 100), C348_ST_OK);
    assert_int_equal(c348_cntr_check(higher, M - 1, M, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(higher, M, M, 0), C348_ST_CNTR_BLOCKED);
    assert_int_equal(c348_cntr_check(higher, M, 0, 0), C348_ST_CNTR_BLOCKED);
    /* Exactly one higher. */
    assert_int_equal(c348_cntr_check(next, 0, 1, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(next, 0, 0, 0), C348_ST_CNTR_LOW);
    assert_int_equal(c348_cntr_check(next, 0, 2, 0), C348_ST_CNTR_HIGH);
    assert_int_equal(c348_cntr_check(next, M - 1, M, 0), C348_ST_OK);
    assert_int_equal(c348_cntr_check(next, M, M, 0), C348_ST_CNTR_BLOCKED);

    /* Through the whole packet: CNTR 0 and FFFFFFFFFF are sendable, a
     * counter beyond 5 octets is not. */
    struct c348_params p;
    struct c348_cmd cmd;
    uint8_t pkt[64], buf[64];
    combo_params(&p, 2, 4, 0);
    int len = c348_cmd_build(&p, (const uint8_t *)"x", 1, pkt, sizeof pkt);
    assert_true(len > 0);
    assert_memory_equal(pkt + 7, "\xb0\x00\x10", 3);
    p.cntr = 0;
    assert_int_equal(c348_cmd_open(&p, pkt, (size_t)len, buf, sizeof buf, &cmd), 0);
    assert_int_equal(cmd.status, C348_ST_CNTR_LOW);
    p.cntr = M;
    len = c348_cmd_build(&p, (const uint8_t *)"x", 1, pkt, sizeof pkt);
    assert_true(len > 0);
    p.cntr = M - 1;
    assert_int_equal(c348_cmd_open(&p, pkt, (size_t)len, buf, sizeof buf, &cmd), 0);
    assert_int_equal(cmd.status, C348_ST_OK);
    assert_int_equal(cmd.cntr, M);
    p.cntr = M; /* the RE is now blocked */
    assert_int_equal(c348_cmd_open(&p, pkt, (size_t)len, buf, sizeof buf, &cmd), 0);
    assert_int_equal(cmd.status, C348_ST_CNTR_BLOCKED);
    p.cntr = M + 1;
    assert_int_equal(c348_cmd_build(&p, (const uint8_t *)"x", 1, pkt, sizeof pkt), C348_ERR_ARG);
}

/* ---- rejections --------------------------------------------------------- */

static void test_rejections(void **state)
{
    (void)state;
    struct c348_params p;
    uint8_t out[C348_PKT_MAX + 8], big[C348_PKT_MAX + 8] = {0};
    size_t sz;

    /* Reserved SPI values (TS 102 225 §5.1.1). */
    assert_int_equal(c348_cmd_size(0x2021, 0x02, 0x02, 8, &sz), C348_ERR_SPI_RESERVED);
    assert_int_equal(c348_cmd_size(0x8021, 0x02, 0x02, 8, &sz), C348_ERR_SPI_RESERVED);
    assert_int_equal(c348_cmd_size(0x1223, 0x02, 0x02, 8, &sz), C348_ERR_SPI_RESERVED);
    assert_int_equal(c348_cmd_size(0x1261, 0x02, 0x02, 8, &sz), C348_ERR_SPI_RESERVED);
    assert_int_equal(c348_cmd_size(0x12A1, 0x02, 0x02, 8, &sz), C348_ERR_SPI_RESERVED);
    /* DS has no algorithm; implicit/proprietary/reserved codings. */
    assert_int_equal(c348_cmd_size(0x1321, 0x02, 0x02, 8, &sz), C348_ERR_ALG);
    assert_int_equal(c348_cmd_size(0x1621, 0x00, 0x02, 8, &sz), C348_ERR_ALG);
    assert_int_equal(c348_cmd_size(0x1621, 0x03, 0x02, 8, &sz), C348_ERR_ALG);
    assert_int_equal(c348_cmd_size(0x1621, 0x0D, 0x02, 8, &sz), C348_ERR_ALG);
    assert_int_equal(c348_cmd_size(0x1621, 0x06, 0x02, 8, &sz), C348_ERR_ALG);
    assert_int_equal(c348_cmd_size(0x1121, 0x02, 0x09, 8, &sz), C348_ERR_ALG); /* RC 3DES */
    /* PoR RC on a command CC: the KID octet cannot serve both. */
    assert_int_equal(c348_cmd_size(0x1625, 0x02, 0x02, 8, &sz), 0);
    combo_params(&p, 4, 6, 1);
    p.spi = 0x1625;
    assert_int_equal(c348_params_check(&p), C348_ERR_ALG);
    /* Unused algorithms are not checked: no ciphering, KIc 00. */
    assert_int_equal(c348_cmd_size(0x1221, 0x00, 0x02, 8, &sz), 0);

    /* Sizes: the 3DES vector shape, AES padding to 16. */
    assert_int_equal(c348_cmd_size(0x0619, 0x35, 0x35, 7, &sz), 0);
    assert_int_equal(sz, 34);
    assert_int_equal(c348_cmd_size(0x0619, 0x22, 0x22, 7, &sz), 0);
    assert_int_equal(sz, 42);
    assert_int_equal(c348_cmd_size(0x0000, 0x00, 0x00, 7, &sz), 0);
    assert_int_equal(sz, 23);
    assert_int_equal(c348_cmd_size(0x0000, 0x00, 0x00, C348_PKT_MAX - 16, &sz), 0);
    assert_int_equal(c348_cmd_size(0x0000, 0x00, 0x00, C348_PKT_MAX - 15, &sz), C348_ERR_TOO_LONG);
    assert_int_equal(c348_cmd_size(0x0000, 0x00, 0x00, 1, NULL), C348_ERR_ARG);

    /* Key lengths. */
    combo_params(&p, 2, 4, 1); /* 3DES2 + 3DES2 MAC */
    p.kic_key_len = 24;
    assert_int_equal(c348_params_check(&p), C348_ERR_KEY_LEN);
    assert_int_equal(c348_cmd_build(&p, big, 4, out, sizeof out), C348_ERR_KEY_LEN);
    combo_params(&p, 4, 6, 1);
    p.kid_key_len = 20;
    assert_int_equal(c348_cmd_build(&p, big, 4, out, sizeof out), C348_ERR_KEY_LEN);
    p.kid_key_len = 0;
    assert_int_equal(c348_cmd_build(&p, big, 4, out, sizeof out), C348_ERR_KEY_LEN);
    p.kid_key_len = 40;
    assert_int_equal(c348_params_check(&p), C348_ERR_ARG);

    /* Too long, output too small. */
    combo_params(&p, 4, 6, 1);
    assert_int_equal(c348_cmd_build(&p, big, C348_PKT_MAX, out, sizeof out), C348_ERR_TOO_LONG);
    assert_int_equal(c348_cmd_build(&p, big, 10, out, 20), C348_ERR_ARG);

    /* Card side length fields. */
    struct c348_cmd cmd;
    uint8_t buf[128];
    int len = c348_cmd_build(&p, big, 10, out, sizeof out);
    assert_true(len > 0);
    assert_int_equal(c348_cmd_open(&p, out, 10, buf, sizeof buf, &cmd), C348_ERR_TRUNC);
    out[len] = 0;
    assert_int_equal(c348_cmd_open(&p, out, (size_t)len + 1, buf, sizeof buf, &cmd),
                     C348_ERR_LENGTH);
    out[2] = 12; /* CHL below the minimum */
    assert_int_equal(c348_cmd_open(&p, out, (size_t)len, buf, sizeof buf, &cmd), C348_ERR_LENGTH);
    out[2] = 13; /* CHL that does not fit the KID's CC length */
    assert_int_equal(c348_cmd_open(&p, out, (size_t)len, buf, sizeof buf, &cmd), C348_ERR_LENGTH);
    /* A ciphered part that is not whole blocks: the card answers 05. */
    out[2] = 21;
    out[1] = (uint8_t)(out[1] - 1);
    assert_int_equal(c348_cmd_open(&p, out, (size_t)len - 1, buf, sizeof buf, &cmd), 0);
    assert_int_equal(cmd.status, C348_ST_CIPHERING_ERROR);

    /* Text for every code. */
    for (int e = 0; e >= -12; e--)
        assert_non_null(c348_strerror(e));
    assert_string_equal(c348_status_name(C348_ST_CNTR_LOW), "counter low");
    assert_string_equal(c348_status_name(C348_ST_TAR_UNKNOWN), "TAR unknown");
    assert_string_equal(c348_status_name(0x42), "reserved status");

    /* PoR wanted per SPI2 b2b1. */
    assert_int_equal(c348_por_wanted(0x1600, C348_ST_OK), 0);
    assert_int_equal(c348_por_wanted(0x1601, C348_ST_OK), 1);
    assert_int_equal(c348_por_wanted(0x1602, C348_ST_OK), 0);
    assert_int_equal(c348_por_wanted(0x1602, C348_ST_CNTR_LOW), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_vectors),    cmocka_unit_test(test_response_vectors),
        cmocka_unit_test(test_primitive_kats),     cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_tampered_command),   cmocka_unit_test(test_tampered_por),
        cmocka_unit_test(test_por_security_error), cmocka_unit_test(test_counter_rules),
        cmocka_unit_test(test_rejections),
    };
    return cmocka_run_group_tests_name("c348", tests, load_vectors, free_vectors);
}
