/* test_keystore.c — gateway/keystore.c: KIc/KID octets per algorithm (ETSI
 * TS 102 225 §5.1.2, §5.1.3), key bytes, the mode check, key lengths,
 * SPI/key consistency, and errors that name file:line and never a key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/keystore.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/otagw-test-ks.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/keys", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

static const char *write_ks(const char *text, mode_t mode)
{
    unlink(path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

#define K8  "0123456789abcdef"
#define K16 K8 "fedcba9876543210"
#define K24 K16 "0011223344556677"
#define K32 K16 K16

/* One keyset per row: the lines after the header, and the octets wanted.
 * KIc: b2b1 01 DES family / 10 AES; b4b3 00 DES, 01 3DES2, 10 3DES3; b8-b5
 * KVN. KID for CC: the same, AES = CMAC; for RC: 01 + b4b3 00 CRC16 / 01
 * CRC32. */
static const struct {
    const char *body;
    uint16_t spi;
    uint8_t kic, kid;
    size_t kic_len, kid_len;
} vectors[] = {
    {"kic = des:" K8 "\nkic_kvn = 1\nkid = des:" K8 "\nkid_kvn = 1\n", 0x1621, 0x11, 0x11, 8, 8},
    {"kic = 3des2:" K16 "\nkic_kvn = 1\nkid = 3des2:" K16 "\nkid_kvn = 1\n", 0x1621, 0x15, 0x15, 16,
     16},
    {"kic = 3des3:" K24 "\nkic_kvn = 3\nkid = 3des3:" K24 "\nkid_kvn = 4\n", 0x1621, 0x39, 0x49, 24,
     24},
    {"kic = aes128:" K16 "\nkic_kvn = 2\nkid = aes:" K16 "\nkid_kvn = 2\n", 0x1621, 0x22, 0x22, 16,
     16},
    {"kic = aes192:" K24 "\nkic_kvn = 15\nkid = aes:" K24 "\nkid_kvn = 15\n", 0x1621, 0xF2, 0xF2,
     24, 24},
    {"kic = AES256:" K32 "\nkic_kvn = 1\nkid = aes:" K32 "\nkid_kvn = 1\n", 0x1621, 0x12, 0x12, 32,
     32},
    {"spi = 1125\nkid = crc16\n", 0x1125, 0x00, 0x01, 0, 0},
    {"spi = 1125\nkid = crc32\nkid_kvn = 3\n", 0x1125, 0x00, 0x35, 0, 0},
    {"spi = 0D25\nkic = des:" K8 "\nkic_kvn = 1\nkid = crc32\n", 0x0D25, 0x11, 0x05, 8, 0},
    {"spi = 0000\n", 0x0000, 0x00, 0x00, 0, 0},
    /* CC without ciphering: the KIc may stay absent. */
    {"spi = 1221\nkid = aes:" K16 "\nkid_kvn = 1\n", 0x1221, 0x00, 0x12, 0, 16},
};

static void test_keystore_octets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text, "# test\n[keyset k%zu]\n%s", i, vectors[i].body);
        struct gw_keystore *ks = NULL;
        if (gw_keystore_load(write_ks(text, 0600), &ks, err, sizeof err) != 0)
            fail_msg("case %zu: %s", i, err);
        char name[16];
        snprintf(name, sizeof name, "k%zu", i);
        const struct gw_keyset *k = gw_keystore_find(ks, name);
        assert_non_null(k);
        if (k->spi != vectors[i].spi || k->kic != vectors[i].kic || k->kid != vectors[i].kid ||
            k->kic_key_len != vectors[i].kic_len || k->kid_key_len != vectors[i].kid_len)
            fail_msg("case %zu: spi %04x kic %02x kid %02x lens %zu/%zu", i, k->spi, k->kic, k->kid,
                     k->kic_key_len, k->kid_key_len);
        assert_int_equal(k->line, 2);
        gw_keystore_free(ks);
    }
}

static void test_keystore_keys_and_lookup(void **state)
{
    (void)state;
    char err[512];
    struct gw_keystore *ks = NULL;
    const char *text = "[keyset a]\nkic = 3des2:000102030405060708090A0B0C0D0E0F\nkic_kvn = 1\n"
                       "kid = aes:101112131415161718191a1b1c1d1e1f\nkid_kvn = 2\n"
                       "[keyset b]\nspi = 1125\nkid = crc32\n";
    assert_int_equal(gw_keystore_load(write_ks(text, 0600), &ks, err, sizeof err), 0);
    assert_int_equal(gw_keystore_count(ks), 2);
    const struct gw_keyset *a = gw_keystore_find(ks, "a");
    assert_non_null(a);
    assert_int_equal(a->spi, 0x1621); /* the default */
    assert_int_equal(a->kic_alg, GW_KIC_3DES2);
    assert_int_equal(a->kid_alg, GW_KID_AES);
    assert_memory_equal(a->kic_key,
                        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16);
    assert_memory_equal(a->kid_key,
                        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 16);
    assert_ptr_equal(gw_keystore_at(ks, 1), gw_keystore_find(ks, "b"));
    assert_null(gw_keystore_at(ks, 2));
    assert_null(gw_keystore_find(ks, "c"));
    assert_null(gw_keystore_find(NULL, "a"));

    /* The summary names algorithms and versions, never key bytes. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gw_keystore_print(ks, "# ", f);
    fclose(f);
    assert_non_null(
        strstr(buf, "# keyset a: spi 1621, kic 3des2 kvn 1 (KIc 15), kid aes kvn 2 (KID 22)"));
    assert_non_null(strstr(buf, "# keyset b: spi 1125, kic none"));
    assert_null(strstr(buf, "0001020304"));
    assert_null(strstr(buf, "1011121314"));
    free(buf);
    gw_keystore_free(ks);
    gw_keystore_free(NULL);
}

static void test_keystore_mode(void **state)
{
    (void)state;
    static const mode_t modes[] = {0644, 0640, 0604, 0620, 0660, 0602};
    const char *text = "[keyset a]\nspi = 0000\n";
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char err[512], want[64];
        struct gw_keystore *ks = (struct gw_keystore *)1;
        assert_int_equal(gw_keystore_load(write_ks(text, modes[i]), &ks, err, sizeof err), -1);
        assert_null(ks);
        snprintf(want, sizeof want, "mode %04o", (unsigned)modes[i]);
        if (!strstr(err, want) || !strstr(err, "chmod 600") || strncmp(err, path, strlen(path)))
            fail_msg("mode %04o: '%s'", (unsigned)modes[i], err);
    }
    struct gw_keystore *ks = NULL;
    char err[512];
    assert_int_equal(gw_keystore_load(write_ks(text, 0400), &ks, err, sizeof err), 0);
    gw_keystore_free(ks);
}

/* Broken keystores: the error wanted, after "path:". Key bytes in the
 * files are 'K8'-style values; none may show up in the error. */
static const struct {
    const char *text, *want;
} bad[] = {
    {"[keyset a]\nkic = des:" K16 "\nkic_kvn = 1\n",
     "2: kic des needs a 8-octet key, this one has 16"},
    {"[keyset a]\nkic = 3des2:" K8 "\nkic_kvn = 1\n", "2: kic 3des2 needs a 16-octet key"},
    {"[keyset a]\nkic = 3des3:" K16 "\nkic_kvn = 1\n", "2: kic 3des3 needs a 24-octet key"},
    {"[keyset a]\nkic = aes128:" K24 "\nkic_kvn = 1\n", "2: kic aes128 needs a 16-octet key"},
    {"[keyset a]\nkic = aes256:" K16 "\nkic_kvn = 1\n", "2: kic aes256 needs a 32-octet key"},
    {"[keyset a]\nkid = aes:" K8 "\nkid_kvn = 1\n", "2: kid aes needs a 16, 24 or 32-octet key"},
    {"[keyset a]\nkid = des:" K16 "\nkid_kvn = 1\n", "2: kid des needs a 8-octet key"},
    {"[keyset a]\nkid = crc16:" K8 "\n", "2: kid crc16 takes no key"},
    {"[keyset a]\nkic = rc4:" K8 "\n", "2: kic must be ALG:HEX"},
    {"[keyset a]\nkic = " K8 "\n", "2: kic must be ALG:HEX"},
    {"[keyset a]\nkid = sha1:" K8 "\n", "2: kid must be ALG:HEX"},
    {"[keyset a]\nkic = des:0123456789abcdeg\n", "2: kic key: not hexadecimal"},
    {"[keyset a]\nkic = des:0123456789abcde\n", "2: kic key: odd number of hex digits"},
    {"[keyset a]\nkic = aes256:" K32 "00\n", "2: kic key: longer than 32 octets"},
    {"[keyset a]\nkic_kvn = 0\n", "2: kic_kvn must be a key version 1..15"},
    {"[keyset a]\nkid_kvn = 16\n", "2: kid_kvn must be a key version 1..15"},
    {"[keyset a]\nspi = 162\n", "2: spi must be 4 hex digits"},
    {"[keyset a]\nspi = 16211\n", "2: spi must be 4 hex digits"},
    {"[keyset a]\nspi = 0000\nspi = 0000\n", "3: duplicate key 'spi' (first on line 2)"},
    {"[keyset a]\nkey = 1\n", "2: unknown key 'key' in [keyset a]"},
    {"[keyset a]\nspi = 0000\n[keyset a]\n", "3: duplicate keyset 'a' (first on line 1)"},
    {"[keyset]\n", "1: unknown section [keyset]"},
    {"[keys a]\n", "1: unknown section [keys a]"},
    {"spi = 1621\n", "1: key 'spi' before any [keyset NAME]"},
    {"# nothing\n", " no [keyset NAME] section"},
    /* SPI against keys (TS 102 225 §5.1.1) */
    {"[keyset a]\nkic = 3des2:" K16 "\nkic_kvn = 1\nkid = crc16\n",
     "1: [keyset a] spi 1621 asks for a cryptographic checksum on the command but kid is crc16"},
    {"[keyset a]\nspi = 1221\n",
     "1: [keyset a] spi 1221 asks for a cryptographic checksum on the command but kid is none"},
    {"[keyset a]\nspi = 1125\nkid = 3des2:" K16 "\nkid_kvn = 1\n",
     "1: [keyset a] spi 1125 asks for a redundancy check on the command but kid is 3des2"},
    {"[keyset a]\nspi = 1625\nkic = 3des2:" K16 "\nkic_kvn = 1\nkid = 3des2:" K16 "\nkid_kvn = 1\n",
     "1: [keyset a] spi 1625 asks for a redundancy check on the PoR but kid is 3des2"},
    {"[keyset a]\nspi = 1621\nkid = 3des2:" K16 "\nkid_kvn = 1\n",
     "1: [keyset a] spi 1621 asks for ciphering but there is no kic"},
    {"[keyset a]\nspi = 0031\n",
     "1: [keyset a] spi 0031 asks for ciphering of the PoR but there is no kic"},
    {"[keyset a]\nspi = 0300\n", "1: [keyset a] spi 0300 asks for a digital signature"},
    {"[keyset a]\nspi = 000C\n", "1: [keyset a] spi 000c asks for a digital signature"},
    {"[keyset a]\nspi = 2000\n", "1: [keyset a] spi 2000 sets reserved bits"},
    {"[keyset a]\nspi = 0040\n", "1: [keyset a] spi 0040 sets reserved bits"},
    {"[keyset a]\nspi = 0003\n", "1: [keyset a] spi 0003: SPI2 b2b1 = 11 is reserved"},
    {"[keyset a]\nkic = des:" K8 "\nkid = des:" K8 "\nkid_kvn = 1\n",
     "1: [keyset a] needs kic_kvn"},
    {"[keyset a]\nkic = des:" K8 "\nkic_kvn = 1\nkid = des:" K8 "\n",
     "1: [keyset a] needs kid_kvn"},
    {"[keyset a]\nspi = 0000\nkic_kvn = 1\n",
     "1: [keyset a] has a key version for a key it does not have"},
};

static void test_keystore_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "", want[256];
        struct gw_keystore *ks = (struct gw_keystore *)1;
        int r = gw_keystore_load(write_ks(bad[i].text, 0600), &ks, err, sizeof err);
        snprintf(want, sizeof want, "%s:%s", path, bad[i].want);
        if (bad[i].want[0] == ' ')
            snprintf(want, sizeof want, "%s:%s", path, bad[i].want);
        if (r != -1 || ks != NULL || strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: got '%s'\n  want '%s'", i, err, want);
        assert_null(strstr(err, "0123456789"));
        assert_null(strstr(err, "fedcba"));
    }
}

static void test_keystore_example(void **state)
{
    (void)state;
    /* The shipped example, through a private copy (git keeps no 0600). */
    FILE *in = fopen("conf/keystore.example", "r");
    assert_non_null(in);
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = '\0';
    char err[512];
    struct gw_keystore *ks = NULL;
    if (gw_keystore_load(write_ks(text, 0600), &ks, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(gw_keystore_count(ks) >= 2);
    gw_keystore_free(ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keystore_octets),  cmocka_unit_test(test_keystore_keys_and_lookup),
        cmocka_unit_test(test_keystore_mode),    cmocka_unit_test(test_keystore_errors),
        cmocka_unit_test(test_keystore_example),
    };
    return cmocka_run_group_tests_name("keystore", tests, setup, teardown);
}
