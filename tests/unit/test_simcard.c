/* test_simcard.c — the simulator's card without a network: primitives
 * against their standard check values, the public pySim vectors opened and
 * answered by the card, RFM scripts (compact and expanded) on both card
 * classes, counter rules, TAR and security-level refusals, the PoR as each
 * SPI asks, concatenation, the multi-IMSI applet, the ISD-R, and the card
 * file parser.
 *
 * tests/sim/ is a program, not a library: its card model is compiled in
 * here, which also lets the tests reach its static PoR builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/sim/sim_card.c"
#include "tests/sim/sim_cards.c"
#include "tests/sim/sim_crypto.c"

static size_t hx(const char *s, uint8_t *out, size_t cap)
{
    long n = hex_decode(s, out, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

static void assert_hex(const uint8_t *b, size_t n, const char *want)
{
    char s[4096];
    assert_non_null(hex_encode(b, n, s, sizeof s));
    assert_string_equal(s, want);
}

/* ---- primitives (check values named in tests/vectors notes) ---- */

static void test_primitives(void **state)
{
    (void)state;
    const uint8_t *nine = (const uint8_t *)"123456789";
    assert_int_equal(sim_crc16(nine, 9), 0x906e);
    assert_int_equal(sim_crc32(nine, 9), 0xcbf43926u);
    struct sim_key k;
    /* FIPS 81 DES example: "Now is t" under 0123456789ABCDEF. */
    assert_int_equal(sim_key_parse(&k, "des:0123456789abcdef", 1), 0);
    uint8_t b[16];
    memcpy(b, "Now is t", 8);
    assert_int_equal(sim_cbc(&k, 1, b, 8), 0);
    assert_hex(b, 8, "3fa40e8a984d4815");
    assert_int_equal(sim_cbc(&k, 0, b, 8), 0);
    assert_memory_equal(b, "Now is t", 8);
    /* RFC 4493 example 2: AES-CMAC, leftmost 8 octets. */
    assert_int_equal(sim_key_parse(&k, "aes:2b7e151628aed2a6abf7158809cf4f3c", 0), 0);
    uint8_t m[16], mac[8];
    hx("6bc1bee22e409f96e93d7e117393172a", m, sizeof m);
    assert_int_equal(sim_integrity(&k, m, 16, mac), 8);
    assert_hex(mac, 8, "070a16b46b4d4144");
    /* Keystore syntax: wrong lengths and KIc-only / KID-only algorithms. */
    assert_int_equal(sim_key_parse(&k, "3des2:0011", 1), -EINVAL);
    assert_int_equal(sim_key_parse(&k, "aes:00112233445566778899aabbccddeeff", 1), -EINVAL);
    assert_int_equal(sim_key_parse(&k, "aes128:00112233445566778899aabbccddeeff", 0), -EINVAL);
    assert_int_equal(sim_key_parse(&k, "crc32", 0), 0);
    assert_int_equal(sim_key_parse(&k, "crc32", 1), -EINVAL);
    assert_int_equal(sim_key_parse(&k, "rot13:00", 1), -EINVAL);
}

/* ---- a world with one card per class, built from a card file ---- */

static const char *CARDS = "# test cards\n"
                           "[keyset ks1]\n"
                           "kic = 3des2:300102030405060708090a0b0c0d0e0f\n"
                           "kid = 3des2:301102030405060708090a0b0c0d0e0f\n"
                           "kic_kvn = 3\n"
                           "kid_kvn = 3\n"
                           "spi = 1621\n"
                           "[keyset aes]\n"
                           "kic = aes128:200102030405060708090a0b0c0d0e0f\n"
                           "kid = aes:201102030405060708090a0b0c0d0e0f\n"
                           "kic_kvn = 2\n"
                           "kid_kvn = 2\n"
                           "[keyset crc]\n"
                           "kic = des:0123456789abcdef\n"
                           "kid = crc32\n"
                           "kic_kvn = 4\n"
                           "kid_kvn = 4\n"
                           "[card 8944000000000000001]\n"
                           "msisdn = +447700900001\n"
                           "class = uicc\n"
                           "imsi = 228062800000208\n"
                           "keyset = ks1, aes, crc\n"
                           "counter.ks1 = 4\n"
                           "tar = b00011 rfm msl=00\n"
                           "tar = b00012 rfm expanded msl=12\n"
                           "tar = b00000 rfm msl=16\n"
                           "tar = c00001 applet msl=12\n"
                           "tar = 000001 isdr\n"
                           "ro = 6f78\n"
                           "ef.6f7b = 62f210ffffffffffffffffff ; FPLMN 262/01\n"
                           "rec.6f42 = "
                           "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff,"
                           "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
                           "slot.1 = 228062800000208\n"
                           "slot.2 = 262019999999999\n"
                           "applet_command = 80 E2 {slot} 00 00\n"
                           "profile = a0000005591010ffffffff8900001100 enabled\n"
                           "profile = a0000005591010ffffffff8900001200\n"
                           "\n"
                           "[card 8944000000000000002]\n"
                           "msisdn = 447700900002\n"
                           "class = sim\n"
                           "imsi = 22806280000020\n"
                           "keyset = ks1\n"
                           "tar = b00010 rfm msl=00\n";

static struct sim_world *W;

static int setup(void **state)
{
    (void)state;
    W = malloc(sizeof *W);
    sim_world_init(W);
    char err[256] = "";
    int rc = sim_cards_parse(W, CARDS, strlen(CARDS), "t.cards", err, sizeof err);
    if (rc == 0)
        rc = sim_cards_finish(W, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    sim_world_free(W);
    free(W);
    return 0;
}

static struct sim_card *card(int n)
{
    return sim_world_by_iccid(W, n == 1 ? "8944000000000000001" : "8944000000000000002");
}

/* A command packet built the gateway's way with the card's primitives
 * (TS 102 225 §5.1): checksum first, then ciphering. */
static size_t build_cmd(const struct sim_keyset *ks, uint16_t spi, uint8_t kic, uint8_t kid,
                        const char *tar, uint64_t cntr, const uint8_t *data, size_t dlen,
                        uint8_t *out)
{
    uint8_t spi1 = spi >> 8;
    size_t ilen = (spi1 & 3) == 2   ? 8
                  : (spi1 & 3) == 1 ? (ks->kid.alg == SIM_ALG_CRC16 ? 2 : 4)
                                    : 0;
    size_t bs = (spi1 & 4) ? sim_block(&ks->kic) : 0;
    size_t clear = 6 + ilen + dlen, pad = bs ? (bs - clear % bs) % bs : 0;
    size_t chl = 13 + ilen, cpl = 1 + chl + dlen + pad;
    out[0] = (uint8_t)(cpl >> 8), out[1] = (uint8_t)cpl, out[2] = (uint8_t)chl;
    out[3] = spi1, out[4] = (uint8_t)spi, out[5] = kic, out[6] = kid;
    hx(tar, out + 7, 3);
    for (int i = 0; i < 5; i++)
        out[10 + i] = (uint8_t)(cntr >> (32 - 8 * i));
    out[15] = (uint8_t)pad;
    memcpy(out + 16 + ilen, data, dlen);
    memset(out + 16 + ilen + dlen, 0, pad);
    if (ilen) {
        uint8_t tmp[2048], mac[8];
        memcpy(tmp, out, 16);
        memcpy(tmp + 16, out + 16 + ilen, dlen + pad);
        assert_int_equal(sim_integrity(&ks->kid, tmp, 16 + dlen + pad, mac), (int)ilen);
        memcpy(out + 16, mac, ilen);
    }
    if (bs)
        assert_int_equal(sim_cbc(&ks->kic, 1, out + 10, clear + pad), 0);
    return 2 + cpl;
}

static const struct sim_keyset *ks(const char *name)
{
    for (unsigned i = 0; i < W->nkeysets; i++)
        if (strcmp(W->keysets[i].name, name) == 0)
            return &W->keysets[i];
    fail();
    return NULL;
}

/* Opens a PoR the gateway's way (TS 102 225 §5.2) with the card's own
 * keys, checking lengths, then returns status and data. */
static uint8_t open_por(const struct sim_result *r, const struct sim_keyset *k, uint8_t spi2,
                        uint8_t *data, size_t *dlen)
{
    assert_true(r->send_por);
    uint8_t u[SIM_POR_MAX];
    memcpy(u, r->por, r->por_len);
    assert_memory_equal(u, "\x02\x71\x00", 3);
    size_t rpl = (size_t)u[3] << 8 | u[4], rhl = u[5];
    assert_int_equal(rpl + 5, r->por_len);
    size_t ilen = rhl - 10;
    if (k && (spi2 & 0x10))
        assert_int_equal(sim_cbc(&k->kic, 0, u + 9, r->por_len - 9), 0);
    if (ilen) {
        uint8_t tmp[SIM_POR_MAX], mac[8];
        memcpy(tmp, u, 16);
        memcpy(tmp + 16, u + 16 + ilen, r->por_len - 16 - ilen);
        assert_int_equal(sim_integrity(&k->kid, tmp, r->por_len - ilen, mac), (int)ilen);
        assert_memory_equal(mac, u + 16, ilen);
    }
    size_t n = r->por_len - 16 - ilen - u[14];
    memcpy(data, u + 16 + ilen, n);
    *dlen = n;
    return u[15];
}

/* ---- the public vectors ---- */

static void test_pysim_command_vectors(void **state)
{
    (void)state;
    /* tests/vectors/ota-public.json command_vectors 1-4 (pySim test_ota.py):
     * the card deciphers, checks the CC and runs SELECT MF. */
    static const struct {
        const char *ks, *pkt;
        uint8_t kvn;
    } v[] = {
        {"ks1", "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f", 3},
        {"ks1", "00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc", 3},
        {"ks1", "00201506013535b000113190be334900f52b025f3f7eddfe868e96ebf310023b7769", 3},
        {"aes",
         "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e"
         "5058",
         2},
    };
    struct sim_card *c = card(1);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t pkt[128];
        size_t n = hx(v[i].pkt, pkt, sizeof pkt);
        /* The vectors use KVN 3 / 2: the card file gives those versions. */
        struct sim_result r;
        sim_card_process(W, c, pkt, n, &r);
        assert_false(r.dropped);
        assert_int_equal(r.rsc, SIM_RSC_OK);
        assert_true(r.executed);
        assert_true(r.send_por);
        uint8_t d[SIM_RESP_MAX];
        size_t dl;
        assert_int_equal(open_por(&r, ks(v[i].ks), pkt[4], d, &dl), 0);
        assert_int_equal(d[0], 1);    /* one command */
        assert_int_equal(d[1], 0x61); /* SELECT with FCP */
    }
    /* One octet changed in the ciphertext: the CC fails, status 01, the
     * PoR goes unsecured, nothing runs. */
    uint8_t pkt[64];
    size_t n = hx(v[0].pkt, pkt, sizeof pkt);
    pkt[20] ^= 1;
    uint64_t before = c->executed;
    struct sim_result r;
    sim_card_process(W, c, pkt, n, &r);
    assert_int_equal(r.rsc, SIM_RSC_CC_FAIL);
    assert_false(r.executed);
    assert_int_equal(c->executed, before);
    assert_int_equal(r.por[5], 10); /* RHL without CC */
}

static void test_pysim_por_vectors(void **state)
{
    (void)state;
    /* response_vectors: the card's PoR builder gives the same octets for
     * the same SPI2, keys, TAR, CNTR, status and data. */
    static const struct {
        uint8_t spi2;
        const char *kic, *kid, *data, *ud;
    } v[] = {
        {0x19, "3des2:300102030405060708090a0b0c0d0e0f", "3des2:301102030405060708090a0b0c0d0e0f",
         "016132", "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b"},
        {0x09, "3des2:300102030405060708090a0b0c0d0e0f", "3des2:301102030405060708090a0b0c0d0e0f",
         "016132", "027100001612b0001100000000000000b5bcd6353a421fae016132"},
        {0x01, "3des2:300102030405060708090a0b0c0d0e0f", "3des2:301102030405060708090a0b0c0d0e0f",
         "016132", "027100000e0ab0001100000000000000016132"},
        {0x19, "aes128:200102030405060708090a0b0c0d0e0f", "aes:201102030405060708090a0b0c0d0e0f",
         "016132",
         "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f"},
        {0x09, "3des2:c21dd66acac13cb3bc8b331b24afb57b", "3des2:12110c78e678c25408233076aa033615",
         "01612f", "027100001612b000110000000000000055f47118381175fb01612f"},
        {0x19, "3des2:c21dd66acac13cb3bc8b331b24afb57b", "3des2:12110c78e678c25408233076aa033615",
         "01612f", "027100001c12b000119660ebdb81be189b5e4389e9e7ab2bc0954f963ad869ed7c"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct sim_keyset k;
        memset(&k, 0, sizeof k);
        assert_int_equal(sim_key_parse(&k.kic, v[i].kic, 1), 0);
        assert_int_equal(sim_key_parse(&k.kid, v[i].kid, 0), 0);
        uint8_t d[8], want[128];
        size_t dl = hx(v[i].data, d, sizeof d), wl = hx(v[i].ud, want, sizeof want);
        static struct sim_result r;
        static const uint8_t tar[3] = {0xb0, 0x00, 0x11}, cntr[5];
        build_por(&r, &k, v[i].spi2, tar, cntr, 0, d, dl);
        assert_int_equal(r.por_len, wl);
        assert_memory_equal(r.por, want, wl);
    }
}

/* ---- RFM ---- */

static struct sim_result R;

static uint8_t run(int cardno, const char *ksname, uint16_t spi, uint8_t kic, uint8_t kid,
                   const char *tar, uint64_t cntr, const char *script_hex, uint8_t *d, size_t *dl)
{
    uint8_t script[1024], pkt[1200];
    size_t sl = hx(script_hex, script, sizeof script);
    size_t n = build_cmd(ks(ksname), spi, kic, kid, tar, cntr, script, sl, pkt);
    sim_card_process(W, card(cardno), pkt, n, &R);
    if (!R.send_por)
        return 0xff;
    return open_por(&R, ks(ksname), (uint8_t)spi, d, dl);
}

static void test_rfm_compact_uicc(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    /* USIM RFM: ADF USIM preselected; UPDATE BINARY EF_IMSI by FID. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 5,
                         "00a4000c026f07"
                         "00d6000009082926108967452301",
                         d, &dl),
                     0);
    assert_int_equal(dl, 3);
    assert_hex(d, 3, "029000");
    char imsi[16];
    assert_int_equal(sim_imsi_decode(c->files[sim_card_find_file(c, 0x6f07)].data, imsi), 0);
    assert_string_equal(imsi, "262019876543210");
}

static void test_rfm_status_words(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    uint64_t cn = 100;
    /* Read back from the MF with a full path. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00000", cn++,
                         "00a40004023f0000a40004027fff00a40004026f7b00b0000003", d, &dl),
                     0);
    assert_hex(d, dl,
               "0490"
               "0062f210");
    /* Not found: processing stops at the failing command. */
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f0900d6000001ff", d, &dl), 0);
    assert_hex(d, dl, "016a82");
    /* Read-only EF_ACC: security status not satisfied. */
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f7800d60000020000", d, &dl),
        0);
    assert_hex(d, dl, "026982");
    /* Offset beyond the file, and data running past its end. */
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f0700d6000a0100", d, &dl), 0);
    assert_hex(d, dl, "026b00");
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f0700d60008020000", d, &dl),
        0);
    assert_hex(d, dl, "026700");
    /* UPDATE BINARY without a selected EF; wrong CLA for a UICC. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00d6000001ff", d, &dl), 0);
    assert_hex(d, dl, "016986");
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "a0a40000023f00", d, &dl),
                     0);
    assert_hex(d, dl, "016e00");
    /* UPDATE RECORD on EF_SMSP (linear fixed), then READ RECORD 2. */
    char script[256];
    snprintf(script, sizeof script, "00a4000c026f4200dc02041c%s00b202041c",
             "e1ffffffffffffffffffffffff0791447799000000ffffffffffffff");
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, script, d, &dl), 0);
    assert_int_equal(dl, 3 + 28);
    assert_hex(d, 3, "039000");
    /* UPDATE RECORD with the wrong length, and a record that is not there. */
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f4200dc010402ffff", d, &dl),
        0);
    assert_hex(d, dl, "026700");
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f4200b203041c", d, &dl), 0);
    assert_hex(d, dl, "026a83");
    /* UPDATE BINARY on a record file: incompatible structure. */
    assert_int_equal(
        run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00a4000c026f4200d6000001ff", d, &dl), 0);
    assert_hex(d, dl, "026981");
    /* SFI addressing (EF_FPLMN, SFI 0D): READ BINARY P1 = 80|0D. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", cn++, "00b08d0003", d, &dl), 0);
    assert_hex(d, dl, "01900062f210");
}

static void test_rfm_2g_sim(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(2);
    /* CLA A0, SELECT answers 9Fxx, the 51.011 status words. */
    assert_int_equal(run(2, "ks1", 0x1621, 0x35, 0x35, "b00010", 1,
                         "a0a40000023f00a0a40000027f20a0a40000026f07a0d6000009"
                         "0821261089674523f1",
                         d, &dl),
                     0);
    assert_hex(d, dl, "049000");
    char imsi[16];
    assert_int_equal(sim_imsi_decode(c->files[sim_card_find_file(c, 0x6f07)].data, imsi), 0);
    assert_string_equal(imsi, "26201987654321"); /* 14 digits, even: parity 1 */
    assert_int_equal(run(2, "ks1", 0x1621, 0x35, 0x35, "b00010", 2, "a0a40000027f20", d, &dl), 0);
    assert_int_equal(dl, 3);
    assert_int_equal(d[1], 0x9f);
    assert_int_equal(
        run(2, "ks1", 0x1621, 0x35, 0x35, "b00010", 3, "a0a40000027f20a0a40000026fe3", d, &dl), 0);
    assert_hex(d, dl, "029404"); /* no EF_EPSLOCI on a 2G SIM */
    assert_int_equal(run(2, "ks1", 0x1621, 0x35, 0x35, "b00010", 4, "00a40000023f00", d, &dl), 0);
    assert_hex(d, dl, "016e00");
    assert_int_equal(run(2, "ks1", 0x1621, 0x35, 0x35, "b00010", 5, "a0d6000001ff", d, &dl), 0);
    assert_hex(d, dl, "019400");
}

static void test_rfm_expanded(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    /* AA: SELECT EF_FPLMN, UPDATE BINARY 3 octets, READ BINARY 3. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00012", 200,
                         "aa1a"
                         "2207"
                         "00a4000c026f7b"
                         "2208"
                         "00d600000332f854"
                         "2205"
                         "00b0000003",
                         d, &dl),
                     0);
    assert_hex(d, dl,
               "ab12"
               "800103"
               "23029000"
               "23029000"
               "230532f8549000");
    /* AE indefinite, an error in the middle: stops, answers AF. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00012", 201,
                         "ae80"
                         "2207"
                         "00a4000c026f09"
                         "2205"
                         "00b0000003"
                         "0000",
                         d, &dl),
                     0);
    assert_hex(d, dl,
               "af80"
               "800101"
               "23026a82"
               "0000");
    /* Bad format: an unknown tag inside the template. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00012", 202, "aa03440100", d, &dl), 0);
    assert_hex(d, dl,
               "ab06"
               "800100"
               "900101");
}

/* ---- security ---- */

static void test_counters(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    struct sim_card_key *k = &c->keys[0];
    k->counter = 1000;
    /* Mode 10 (SPI1 16): higher passes and is stored; equal is "low". */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 1001, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    assert_int_equal(k->counter, 1001);
    uint64_t ex = c->executed;
    assert_int_equal(run(1, "ks1", 0x1629, 0x35, 0x35, "b00011", 1001, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_LOW);
    assert_int_equal(c->executed, ex);
    assert_int_equal(R.por[5], 18); /* keys proven: the PoR has its CC */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 900, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_LOW);
    /* A jump is fine in mode 10 unless a window is set... */
    c->counter_window = 10;
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 1050, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_HIGH);
    c->counter_window = 0;
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 1050, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    /* Mode 11 (SPI1 1E): exactly +1. */
    assert_int_equal(run(1, "ks1", 0x1e21, 0x35, 0x35, "b00011", 1052, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_HIGH);
    assert_int_equal(run(1, "ks1", 0x1e21, 0x35, 0x35, "b00011", 1051, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    /* A CC failure never moves the counter. */
    uint8_t pkt[256], s[8];
    size_t sl = hx("00a4000c026f07", s, sizeof s);
    size_t n = build_cmd(ks("ks1"), 0x1621, 0x35, 0x35, "b00011", 5000, s, sl, pkt);
    pkt[n - 1] ^= 0x80;
    sim_card_process(W, c, pkt, n, &R);
    assert_int_equal(R.rsc, SIM_RSC_CC_FAIL);
    assert_int_equal(k->counter, 1051);
    /* Blocked: stored FFFFFFFFFF. */
    k->counter = 0xffffffffffull;
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b00011", 5, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_BLOCKED);
    k->counter = 2000;
    /* No counter (SPI1 06) on a TAR whose MSL allows it: runs, no update. */
    assert_int_equal(run(1, "ks1", 0x0621, 0x35, 0x35, "b00011", 7, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    assert_int_equal(k->counter, 2000);
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    uint64_t ex = c->executed;
    /* TAR unknown: 09, PoR without security. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "b0ffff", 3000, "00a4000c026f07", d, &dl),
                     SIM_RSC_TAR_UNKNOWN);
    assert_int_equal(R.por[5], 10);
    /* B00000 wants ciphering (MSL 16): CC only is not enough. */
    assert_int_equal(run(1, "ks1", 0x1221, 0x35, 0x35, "b00000", 3001, "00a4000c026f07", d, &dl),
                     SIM_RSC_LEVEL);
    /* B00012 wants a counter (MSL 12): SPI1 06 is not enough. */
    assert_int_equal(run(1, "ks1", 0x0621, 0x35, 0x35, "b00012", 3002, "aa00", d, &dl),
                     SIM_RSC_LEVEL);
    /* A key version the card does not hold: unidentified security error. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x75, 0x75, "b00011", 3003, "00a4000c026f07", d, &dl),
                     SIM_RSC_SECURITY);
    /* The algorithm coding must match the key (3DES key, AES coding). */
    assert_int_equal(run(1, "ks1", 0x1621, 0x32, 0x32, "b00011", 3004, "00a4000c026f07", d, &dl),
                     SIM_RSC_SECURITY);
    assert_int_equal(c->executed, ex);
    /* RC (CRC32) with DES ciphering, AES keys: both verify. */
    assert_int_equal(run(1, "crc", 0x1521, 0x41, 0x45, "b00011", 1, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    assert_int_equal(run(1, "aes", 0x1639, 0x22, 0x22, "b00011", 1, "00a4000c026f07", d, &dl),
                     SIM_RSC_OK);
    assert_int_equal(c->executed, ex + 2);
    /* The ISD-R sends no PoR at all below its security level. */
    assert_int_equal(run(1, "ks1", 0x1221, 0x35, 0x35, "000001", 3005, "aa00", d, &dl), 0xff);
    assert_false(R.send_por);
    assert_int_equal(R.rsc, SIM_RSC_LEVEL);
    /* Truncated or inconsistent headers are dropped without an answer. */
    uint8_t junk[20] = {0x00, 0x05, 0x0d};
    sim_card_process(W, c, junk, sizeof junk, &R);
    assert_true(R.dropped);
    assert_false(R.send_por);
}

static void test_por_options(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    c->keys[0].counter = 4000;
    /* SPI2 00: no PoR, the command runs all the same. */
    uint64_t ex = c->executed;
    assert_int_equal(run(1, "ks1", 0x1600, 0x35, 0x35, "b00011", 4001, "00a4000c026f07", d, &dl),
                     0xff);
    assert_int_equal(c->executed, ex + 1);
    /* On error only: silent on success, answers an error SW... */
    assert_int_equal(run(1, "ks1", 0x1622, 0x35, 0x35, "b00011", 4002, "00a4000c026f07", d, &dl),
                     0xff);
    assert_int_equal(run(1, "ks1", 0x1622, 0x35, 0x35, "b00011", 4003, "00a4000c026f99", d, &dl),
                     0);
    assert_hex(d, dl, "016a82");
    /* ...and a security error. */
    assert_int_equal(run(1, "ks1", 0x1622, 0x35, 0x35, "b00011", 4003, "00a4000c026f07", d, &dl),
                     SIM_RSC_CNTR_LOW);
    /* PoR ciphered + CC (SPI2 39 = always, CC, ciphered, via SMS-SUBMIT),
     * opened with the keys. */
    assert_int_equal(run(1, "ks1", 0x1639, 0x35, 0x35, "b00011", 4004, "00a4000c026f07", d, &dl),
                     0);
    assert_int_equal(R.por[5], 18);
    assert_int_equal(R.por_len % 8, (16 - 9 + 0) % 8 ? R.por_len % 8 : 0);
    assert_int_equal((R.por_len - 9) % 8, 0);
    /* PoR with an RC (CRC32 keyset, SPI2 25). */
    assert_int_equal(run(1, "crc", 0x1525, 0x41, 0x45, "b00011", 2, "00a4000c026f07", d, &dl), 0);
    assert_int_equal(R.por[5], 14);
}

/* ---- applet, ISD-R ---- */

static void test_applet(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    c->keys[0].counter = 6000;
    assert_int_equal(c->active_slot, 1);
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "c00001", 6001, "80e2020000", d, &dl), 0);
    assert_hex(d, dl, "019000");
    assert_int_equal(c->active_slot, 2);
    char imsi[16];
    assert_int_equal(sim_imsi_decode(c->files[sim_card_find_file(c, 0x6f07)].data, imsi), 0);
    assert_string_equal(imsi, "262019999999999");
    assert_int_equal(c->files[sim_card_find_file(c, 0x6f7e)].data[10], 0x01);
    /* A slot that is not there, a malformed command. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "c00001", 6002, "80e2070000", d, &dl), 0);
    assert_hex(d, dl, "016a88");
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "c00001", 6003, "80e20201", d, &dl), 0);
    assert_hex(d, dl, "016700");
    assert_int_equal(c->active_slot, 2);
}

static void test_isdr(void **state)
{
    (void)state;
    uint8_t d[SIM_RESP_MAX];
    size_t dl;
    struct sim_card *c = card(1);
    c->keys[0].counter = 7000;
    assert_int_equal(c->enabled_profile, 1);
    /* SGP.02: STORE DATA 80 E2 88 00, 3A 03 (enable) 4F <ISD-P AID>, in an
     * expanded script. */
    const char *enable2 = "aa1c"
                          "221a"
                          "80e2880015"
                          "3a0312"
                          "4f10"
                          "a0000005591010ffffffff8900001200";
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "000001", 7001, enable2, d, &dl), 0);
    assert_hex(d, dl,
               "ab07"
               "800101"
               "23029000");
    assert_int_equal(c->enabled_profile, 2);
    assert_int_equal(R.profile_event, 1);
    /* Enabling it again: conditions of use not satisfied. */
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "000001", 7002, enable2, d, &dl), 0);
    assert_hex(d, dl,
               "ab07"
               "800101"
               "23026985");
    /* Disable (3A 04) the enabled one. */
    const char *disable2 = "aa1c"
                           "221a"
                           "80e2880015"
                           "3a0412"
                           "4f10"
                           "a0000005591010ffffffff8900001200";
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "000001", 7003, disable2, d, &dl), 0);
    assert_hex(d, dl,
               "ab07"
               "800101"
               "23029000");
    assert_int_equal(c->enabled_profile, 0);
    /* An unknown AID. */
    const char *enable9 = "aa1c"
                          "221a"
                          "80e2880015"
                          "3a0312"
                          "4f10"
                          "a0000005591010ffffffff8900009900";
    assert_int_equal(run(1, "ks1", 0x1621, 0x35, 0x35, "000001", 7004, enable9, d, &dl), 0);
    assert_hex(d, dl,
               "ab07"
               "800101"
               "23026a88");
}

/* ---- transport: UDH and concatenation ---- */

static void test_concat(void **state)
{
    (void)state;
    struct sim_card *c = card(1);
    c->keys[0].counter = 8000;
    /* A script long enough for three SMs: 20 UPDATE BINARYs of EF_PLMNwAcT. */
    char sh[2048] = "00a4000c026f60";
    for (int i = 0; i < 30; i++)
        strcat(sh, "00d6000005"
                   "62f2104000");
    uint8_t s[1024], pkt[1200];
    size_t sl = hx(sh, s, sizeof s);
    size_t n = build_cmd(ks("ks1"), 0x1621, 0x35, 0x35, "b00011", 8001, s, sl, pkt);
    assert_true(n > 2 * 134);
    /* Segments: first 07 00 03 rr 03 01 70 00 + 132, then 05 00 03 rr 03 ii. */
    size_t off = 0;
    int seq = 1, rc = 0;
    while (off < n) {
        uint8_t ud[140];
        size_t h, room;
        if (seq == 1) {
            memcpy(ud, "\x07\x00\x03\x2a\x03\x01\x70\x00", 8);
            h = 8;
        } else {
            memcpy(ud, "\x05\x00\x03\x2a\x03\x00", 6);
            ud[5] = (uint8_t)seq;
            h = 6;
        }
        room = 140 - h;
        size_t take = n - off < room ? n - off : room;
        memcpy(ud + h, pkt + off, take);
        off += take;
        rc = sim_card_deliver(W, c, ud, h + take, 1, &R);
        if (off < n)
            assert_int_equal(rc, 0);
        seq++;
    }
    assert_int_equal(seq - 1, 3);
    assert_int_equal(rc, 1);
    assert_int_equal(R.rsc, 0);
    assert_true(R.executed);
    assert_hex(c->files[sim_card_find_file(c, 0x6f60)].data, 5, "62f2104000");
    /* A single SM without IE 70 is not an OTA packet. */
    uint8_t plain[10] = {0x00, 'h', 'i'};
    assert_int_equal(sim_card_deliver(W, c, plain, 3, 1, &R), 0);
    assert_int_equal(sim_card_deliver(W, c, plain, 3, 0, &R), 0);
}

/* ---- the card file ---- */

static void test_cards_file(void **state)
{
    (void)state;
    struct sim_card *c = card(1);
    assert_non_null(c);
    assert_ptr_equal(sim_world_by_msisdn(W, "447700900001"), c);
    assert_ptr_equal(sim_world_by_msisdn(W, "+447700900001"), c);
    assert_null(sim_world_by_msisdn(W, "447700900009"));
    assert_int_equal(c->nkeys, 3);
    assert_int_equal(c->ntars, 5);
    assert_int_equal(c->nprofiles, 2);
    assert_true(c->files[sim_card_find_file(c, 0x6f78)].readonly);
    assert_int_equal(card(2)->cls, SIM_CLASS_SIM);
    assert_int_equal(sim_card_find_file(card(2), 0x7f20), 1);
    assert_int_equal(sim_card_find_file(card(2), 0x6fe3), -1);
    /* Dump: key names, never key material. */
    char *buf = NULL;
    size_t bl = 0;
    FILE *f = open_memstream(&buf, &bl);
    assert_int_equal(sim_cards_dump(W, NULL, f), 2);
    fclose(f);
    assert_non_null(strstr(buf, "8944000000000000001.imsi "));
    assert_non_null(strstr(buf, "8944000000000000001.counter.ks1 "));
    assert_non_null(strstr(buf, "8944000000000000002.ef.6f07 "));
    assert_null(strstr(buf, "300102030405060708090a0b0c0d0e0f"));
    free(buf);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[card 123456]\nclass = uicc\n", "t:1: card 123456 has no msisdn"},
        {"[card 123456]\nmsisdn = 1234\nfoo = 1\n", "t:3: unknown key 'foo'"},
        {"[card 123456]\nmsisdn = 12a4\n", "t:2: msisdn"},
        {"[card 123456]\nmsisdn = 1234\nimsi = 1234567\nclass = sim\n", "t:4: class must come"},
        {"[card 123456]\nmsisdn = 1234\nef.6f07 = zz\n", "t:3: ef.6F07"},
        {"[card 123456]\nmsisdn = 1234\nef.6f42 = 00\n", "t:3: EF 6F42 is linear"},
        {"[card 123456]\nmsisdn = 1234\nrec.6f42 = 00,0000\n", "t:3: rec.6F42"},
        {"[card 123456]\nmsisdn = 1234\ntar = b00011 ram\n", "t:3: tar: unknown kind"},
        {"[card 123456]\nmsisdn = 1234\ncounter.x = 1\n", "t:3: counter.x"},
        {"[card 123456]\nmsisdn = 1234\nslot.17 = 123456\n", "t:3: slot.17"},
        {"[keyset a]\nkic = 3des2:00\n", "t:2: kic"},
        {"[keyset a]\nkic_kvn = 16\n", "t:2: kic_kvn"},
        {"[keyset a]\n[keyset a]\n", "t:2: keyset a defined twice"},
        {"msisdn = 1\n", "t:1: key 'msisdn' outside"},
        {"[card 123456\n", "t:1: a section header"},
        {"[sim 1]\n", "t:1: unknown section"},
        {"[card 123456]\nmsisdn = 1234\napplet_command = 80E20000\n", "t:3: applet_command"},
        {"[card 123456]\nmsisdn = 1234\nprofile = a000000559 enabled\nprofile = a000000558 "
         "enabled\n",
         "t:4: profile: only one"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sim_world *w = malloc(sizeof *w);
        sim_world_init(w);
        char err[256] = "";
        int rc = sim_cards_parse(w, bad[i].text, strlen(bad[i].text), "t", err, sizeof err);
        if (rc == 0)
            rc = sim_cards_finish(w, err, sizeof err);
        assert_int_not_equal(rc, 0);
        if (!strstr(err, bad[i].want))
            fprintf(stderr, "case %zu: got '%s' want '%s'\n", i, err, bad[i].want);
        assert_non_null(strstr(err, bad[i].want));
        sim_world_free(w);
        free(w);
    }
    /* Unresolved keyset names and duplicates are found at the end. */
    struct sim_world *w = malloc(sizeof *w);
    sim_world_init(w);
    char err[256];
    const char *t = "[card 123456]\nmsisdn = 1234\nkeyset = nope\n";
    assert_int_equal(sim_cards_parse(w, t, strlen(t), "t", err, sizeof err), 0);
    assert_int_equal(sim_cards_finish(w, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "no [keyset nope]"));
    sim_world_free(w);
    t = "[card 123456]\nmsisdn = 1234\n[card 123457]\nmsisdn = 1234\n";
    assert_int_equal(sim_cards_parse(w, t, strlen(t), "t", err, sizeof err), 0);
    assert_int_equal(sim_cards_finish(w, err, sizeof err), -EEXIST);
    sim_world_free(w);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_pysim_command_vectors),
        cmocka_unit_test(test_pysim_por_vectors),
        cmocka_unit_test(test_rfm_compact_uicc),
        cmocka_unit_test(test_rfm_status_words),
        cmocka_unit_test(test_rfm_2g_sim),
        cmocka_unit_test(test_rfm_expanded),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_por_options),
        cmocka_unit_test(test_applet),
        cmocka_unit_test(test_isdr),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_cards_file),
    };
    return cmocka_run_group_tests_name("simcard", tests, setup, teardown);
}
