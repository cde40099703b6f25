/* test_ota_ef.c — file encoders/decoders: public vectors, round trips and
 * every rejection. Sources per vector: "pySim" = osmocom/pysim at 597f1e0,
 * the _test_de_encode tables of pySim/ts_51_011.py and pySim/ts_31_102.py
 * (facts only, no code). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codec/hex.h"
#include "ota/ef.h"

static void unhex(const char *h, uint8_t *out, size_t *n)
{
    long l = hex_decode(h, out, 512);
    assert_true(l >= 0);
    *n = (size_t)l;
}

static void enc_eq(const char *file, const char *value, size_t size, const char *want_hex)
{
    const struct ota_ef *ef = ota_ef_find(file);
    assert_non_null(ef);
    uint8_t out[512], want[512];
    size_t wn;
    char err[200] = "";
    long n = ota_ef_encode(ef, value, size, out, sizeof out, err, sizeof err);
    if (n < 0)
        fail_msg("%s '%s': %s", file, value, err);
    unhex(want_hex, want, &wn);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);
}

static void dec_eq(const char *file, const char *hx, const char *want)
{
    const struct ota_ef *ef = ota_ef_find(file);
    assert_non_null(ef);
    uint8_t in[512];
    size_t n;
    char out[512];
    unhex(hx, in, &n);
    assert_int_equal(ota_ef_decode(ef, in, n, out, sizeof out), 0);
    assert_string_equal(out, want);
}

static void enc_err(const char *file, const char *value, size_t size, const char *needle)
{
    const struct ota_ef *ef = ota_ef_find(file);
    assert_non_null(ef);
    uint8_t out[512];
    char err[200] = "";
    assert_true(ota_ef_encode(ef, value, size, out, sizeof out, err, sizeof err) < 0);
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_imsi_vectors(void **state)
{
    (void)state;
    /* pySim EF_IMSI._test_de_encode (TS 51.011 §10.3.2) */
    enc_eq("imsi", "228062800000208", 0, "082982608200002080");
    enc_eq("imsi", "262011106487504", 0, "082926101160845740");
    dec_eq("imsi", "082982608200002080", "228062800000208");
    dec_eq("EF_IMSI", "082926101160845740", "262011106487504");
    /* even count: parity nibble 1, F filler (TS 24.008 §10.5.1.4) */
    enc_eq("imsi", "262011106487", 0, "07212610116084f7ff");
    dec_eq("imsi", "07212610116084f7ff", "262011106487");
    /* round trips over every length */
    const char *digits = "001010123456789";
    for (size_t l = 6; l <= 15; l++) {
        char in[16], out[32];
        uint8_t b[9];
        char err[100];
        memcpy(in, digits, l);
        in[l] = 0;
        assert_int_equal(ota_imsi_encode(in, b, err, sizeof err), 0);
        assert_int_equal(ota_imsi_decode(b, 9, out, sizeof out), 0);
        assert_string_equal(in, out);
    }
}

static void test_imsi_rejects(void **state)
{
    (void)state;
    enc_err("imsi", "22806280000020a", 0, "'a' at position 15 is not a digit");
    enc_err("imsi", "12345", 0, "5 digits, an IMSI has 6..15");
    enc_err("imsi", "1234567890123456", 0, "16 digits");
    enc_err("imsi", "", 0, "0 digits");
    char out[64];
    /* wrong identity type, parity lie, length octet beyond the file */
    uint8_t bad1[9] = {0x08, 0x2A, 0x82, 0x60, 0x82, 0, 0, 0x20, 0x80};
    uint8_t bad2[9] = {0x08, 0x21, 0x82, 0x60, 0x82, 0, 0, 0x20, 0x80};
    uint8_t bad3[3] = {0x08, 0x29, 0x82};
    assert_int_equal(ota_imsi_decode(bad1, 9, out, sizeof out), -1);
    assert_int_equal(ota_imsi_decode(bad2, 9, out, sizeof out), -1);
    assert_int_equal(ota_imsi_decode(bad3, 3, out, sizeof out), -1);
}

static void test_plmn_lists(void **state)
{
    (void)state;
    /* pySim EF_xPLMNwAcT._test_de_encode */
    enc_eq("plmnwact", "26201:eutran", 5, "62f2104000");
    enc_eq("plmnwact", "26201:utran", 5, "62f2108000");
    enc_eq("oplmnwact", "26202:eutran+ngran+gsm+ecgsm", 5, "62f220488c");
    dec_eq("plmnwact", "62f2104000", "26201:eutran");
    dec_eq("plmnwact", "62f2108000", "26201:utran");
    dec_eq("hplmnwact", "62f220488c", "26202:eutran+ngran+gsm+ecgsm");
    /* FPLMN (3 octets, FF padded to the file size; 262/01 -> 62F210 pySim) */
    enc_eq("fplmn", "23415,26201", 0, "32f45162f210ffffffffffff");
    dec_eq("fplmn", "32f45162f210ffffffffffff", "23415,26201");
    /* 3-digit MNC (TS 24.008 §10.5.1.3: MNC3 in the high nibble of octet 2) */
    enc_eq("fplmn", "310410", 3, "130014");
    dec_eq("fplmn", "130014", "310410");
    /* default AcT, per-entry AcT, clearing, padding with AcT 0000 */
    enc_eq("plmnwact", "23415,26201:eutran+utran", 15, "32f451c08462f210c000ffffff0000");
    dec_eq("plmnwact", "32f451c08462f210c000ffffff0000",
           "23415:utran+eutran+gsm,26201:utran+eutran");
    enc_eq("fplmn", "", 0, "ffffffffffffffffffffffff");
    enc_eq("fplmn", "none", 6, "ffffffffffff");
    dec_eq("fplmn", "ffffffffffff", "none");
}

static void test_plmn_rejects(void **state)
{
    (void)state;
    enc_err("fplmn", "23415,26201,20801,20810,21401", 0, "5 PLMNs do not fit in a file of 12");
    enc_err("fplmn", "2341", 0, "entry 1 '2341' is not MCC+MNC");
    enc_err("fplmn", "23415,2620A", 0, "entry 2 '2620A'");
    enc_err("fplmn", "23415:eutran", 0, "holds no access technology");
    enc_err("plmnwact", "23415:lte", 0, "access technology 'lte'");
    enc_err("plmnwact", "23415:eutran+", 0, "access technology 'eutran+'");
    enc_err("plmnwact", "23415,", 0, "entry 2 ''");
    enc_err("plmnwact", "23415", 12, "not a multiple of 5");
}

static void test_loci(void **state)
{
    (void)state;
    /* pySim EF_LOCI (TS 31.102 §4.2.17) vector */
    dec_eq("loci", "47d1264a62f21037211e00", "tmsi=47d1264a lai=26201/3721 status=updated");
    enc_eq("loci", "invalidate", 0, "fffffffffffffffffeff01");
    enc_eq("psloci", "", 0, "fffffffffffffffffffffffeff01");
    enc_eq("epsloci", "invalidate", 0, "fffffffffffffffffffffffffffffffffe01");
    dec_eq("loci", "fffffffffffffffffeff01", "tmsi=ffffffff lai=fffff/fffe status=not updated");
    dec_eq("epsloci", "fffffffffffffffffffffffffffffffffe01",
           "guti=ffffffffffffffffffffffff tai=fffff/fffe status=not updated");
    enc_err("loci", "0011", 0, "the only value is 'invalidate'");
}

static void test_smsp_acc(void **state)
{
    (void)state;
    /* pySim EF_SMSP vectors (TS 51.011 §10.5.6 / TS 31.102 §4.2.27): the
     * indicator octet e1 = SC, PID, DCS, VP present (b2..b5 = 0), TP-DA
     * absent (b1 = 1); VP a9 = 169 = 3 days (TS 23.040 §9.2.3.12.1). */
    dec_eq("smsp", "e1ffffffffffffffffffffffff0891945197109099f9ffffff0000a9",
           "sc=+4915790109999,pid=0,dcs=0,vp=3d");
    enc_eq("smsp", "+4915790109999,pid=0,dcs=0,vp=3d", 0,
           "e1ffffffffffffffffffffffff0891945197109099f9ffffff0000a9");
    enc_eq("smsp", "sc=+4915790109999,vp=169,dcs=0x00,pid=0", 0,
           "e1ffffffffffffffffffffffff0891945197109099f9ffffff0000a9");
    dec_eq(
        "smsp",
        "534d5343ffffffffffffffffffffffffe1ffffffffffffffffffffffff0891945197109099f9ffffff0000a9",
        "alpha=SMSC,sc=+4915790109999,pid=0,dcs=0,vp=3d");
    /* 44 octets in the vector: Y = 16 */
    enc_eq(
        "smsp", "alpha=SMSC,sc=+4915790109999,pid=0,dcs=0,vp=3d", 44,
        "534d5343ffffffffffffffffffffffffe1ffffffffffffffffffffffff0891945197109099f9ffffff0000a9");
    /* pySim vector 3: alpha "ENetworks" (Y = 16), SC absent, PID/DCS
     * present, VP absent (f1); its VP octet a7 is ignored. */
    dec_eq(
        "smsp",
        "454e6574776f726b73fffffffffffffff1ffffffffffffffffffffffffffffffffffffffffffffffff0000a7",
        "alpha=ENetworks,pid=0,dcs=0");
    /* pySim vector 4: SC only (fd), national TON. */
    dec_eq("smsp",
           "fffffffffffffffffffffffffffffffffffffffffffffffffdffffffffffffffffffffffff0791940321436"
           "5f7ffffffffffffff",
           "sc=+49301234567");
    /* SC alone: every other parameter marked absent, octets FF. */
    enc_eq("smsp", "+4915790109999", 0, "fdffffffffffffffffffffffff0891945197109099f9ffffffffffff");
    dec_eq("smsp", "fdffffffffffffffffffffffff0891945197109099f9ffffffffffff", "sc=+4915790109999");
    /* record with a 4-octet alpha identifier left empty */
    enc_eq("smsp", "4412", 32, "fffffffffdffffffffffffffffffffffff03814421ffffffffffffffffffffff");
    /* TP-DA counts digits (TS 23.040 §9.1.2.5), the SC address octets. */
    enc_eq("smsp", "+4412,da=+49123", 0,
           "fc05919421f3ffffffffffffff03914421ffffffffffffffffffffff");
    dec_eq("smsp", "fc05919421f3ffffffffffffff03914421ffffffffffffffffffffff",
           "sc=+4412,da=+49123");
    dec_eq("smsp", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "none");
    /* Validity periods: exact periods map to the relative octet. */
    enc_eq("smsp", "1,vp=5m", 0, "edffffffffffffffffffffffff0281f1ffffffffffffffffffffff00");
    enc_eq("smsp", "1,vp=12h", 0, "edffffffffffffffffffffffff0281f1ffffffffffffffffffffff8f");
    enc_eq("smsp", "1,vp=13h", 0, "edffffffffffffffffffffffff0281f1ffffffffffffffffffffff91");
    enc_eq("smsp", "1,vp=63w", 0, "edffffffffffffffffffffffff0281f1ffffffffffffffffffffffff");
    dec_eq("smsp", "edffffffffffffffffffffffff0281f1ffffffffffffffffffffff91", "sc=1,vp=13h");
    enc_err("smsp", "1,vp=7m", 0, "vp '7m'");
    enc_err("smsp", "1,vp=31d", 0, "vp '31d'");
    enc_eq("smsp", "1,vp=1w", 0,
           "edffffffffffffffffffffffff0281f1ffffffffffffffffffffffad"); /* 7 d */
    enc_err("smsp", "1,vp=256", 0, "vp '256'");
    enc_err("smsp", "1,pid=300", 0, "pid '300' is not an octet");
    enc_err("smsp", "1,foo=1", 0, "unknown parameter 'foo'");
    enc_err("smsp", "1,2", 0, "'2' is not name=value");
    enc_err("smsp", "1,sc=2", 0, "'sc' given twice");
    enc_err("smsp", "1,alpha=SMSC", 0, "needs a record of 32 octets (;size=32)");
    enc_err("smsp", "1,alpha=S_C", 32, "alpha: '_'");
    enc_err("smsp", "+49a", 0, "'a' is not a digit");
    enc_err("smsp", "+", 0, "0 digits");
    enc_err("smsp", "123456789012345678901", 0, "21 digits");
    enc_err("smsp", "1", 20, "record length 20");
    /* pySim EF_ACC vectors (TS 31.102 §4.2.15) */
    enc_eq("acc", "0,1,3,5,15", 0, "802b");
    enc_eq("acc", "8", 0, "0100");
    dec_eq("acc", "802b", "0,1,3,5,15");
    dec_eq("acc", "0000", "none");
    enc_err("acc", "16", 0, "access class 16");
    enc_err("acc", "1;2", 0, "where a comma was expected");
    enc_err("acc", "", 0, "empty");
}

static void test_find(void **state)
{
    (void)state;
    assert_null(ota_ef_find("fplmnx"));
    assert_null(ota_ef_find(NULL));
    const struct ota_ef *e = ota_ef_find("EPSLOCI");
    assert_non_null(e);
    assert_int_equal(e->fid_uicc, 0x6FE3);
    assert_int_equal(e->fid_sim, 0);
    assert_int_equal(ota_ef_find("psloci")->fid_sim, 0x6F53);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imsi_vectors), cmocka_unit_test(test_imsi_rejects),
        cmocka_unit_test(test_plmn_lists),   cmocka_unit_test(test_plmn_rejects),
        cmocka_unit_test(test_loci),         cmocka_unit_test(test_smsp_acc),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests_name("ota_ef", tests, NULL, NULL);
}
