/* test_bind.c — the bind state table and the command_status retry/fail
 * table of gateway/bind.c, both against docs/smpp.md written out here a
 * second time: every one of the 36 (from, to) pairs, and every status of
 * SMPP 3.4 §5.1.3 plus the vendor range and values around it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "codec/smppf.h"
#include "gateway/bind.h"

#define D GW_BIND_DISCONNECTED
#define C GW_BIND_CONNECTING
#define T GW_BIND_TLS
#define B GW_BIND_BINDING
#define O GW_BIND_BOUND
#define U GW_BIND_UNBINDING

/* docs/smpp.md "Bind states", row by row: the only allowed transitions. */
static const struct {
    enum gw_bind_state from, to;
} allowed[] = {
    {D, C},                 /* reconnect timer */
    {C, D}, {C, T}, {C, B}, /* connect failed / TLS / plain TCP up */
    {T, D}, {T, B},         /* handshake failed / done */
    {B, D}, {B, O},         /* refused, timeout, nack / bind_resp 0 */
    {O, D}, {O, U},         /* close / drain */
    {U, D},                 /* unbind_resp or timeout */
};

static int is_allowed(enum gw_bind_state f, enum gw_bind_state t)
{
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (allowed[i].from == f && allowed[i].to == t)
            return 1;
    return 0;
}

static void test_transitions(void **state)
{
    (void)state;
    unsigned yes = 0, no = 0;
    for (int f = 0; f < GW_BIND_NSTATES; f++)
        for (int t = 0; t < GW_BIND_NSTATES; t++) {
            int want = is_allowed((enum gw_bind_state)f, (enum gw_bind_state)t);
            int got = gw_bind_transition_ok((enum gw_bind_state)f, (enum gw_bind_state)t);
            if (want != got)
                fail_msg("%s -> %s: table says %d, code says %d",
                         gw_bind_state_name((enum gw_bind_state)f),
                         gw_bind_state_name((enum gw_bind_state)t), want, got);
            want ? yes++ : no++;
        }
    assert_int_equal(yes, 11);
    assert_int_equal(no, 25);
    /* no state goes to itself, nothing skips straight to BOUND */
    for (int s = 0; s < GW_BIND_NSTATES; s++)
        assert_false(gw_bind_transition_ok((enum gw_bind_state)s, (enum gw_bind_state)s));
    assert_false(gw_bind_transition_ok(D, O));
    assert_false(gw_bind_transition_ok(C, O));
    assert_false(gw_bind_transition_ok(T, O));
    assert_false(gw_bind_transition_ok(U, O)); /* an unbinding bind never comes back */
    /* out of range either side: refused, not read past the table */
    assert_false(gw_bind_transition_ok((enum gw_bind_state)GW_BIND_NSTATES, D));
    assert_false(gw_bind_transition_ok(D, (enum gw_bind_state)GW_BIND_NSTATES));
    assert_false(gw_bind_transition_ok((enum gw_bind_state) - 1, C));
    assert_string_equal(gw_bind_state_name(O), "BOUND");
    assert_string_equal(gw_bind_state_name((enum gw_bind_state)99), "?");
}

/* docs/smpp.md "command_status: retry or fail". */
static void test_verdicts(void **state)
{
    (void)state;
    assert_int_equal(gw_bind_verdict(SMPPF_ESME_ROK), GW_VERDICT_OK);
    const uint32_t retry[] = {
        SMPPF_ESME_RTHROTTLED,
        SMPPF_ESME_RMSGQFUL,
        SMPPF_ESME_RSYSERR,
        SMPPF_ESME_RSUBMITFAIL,
        SMPPF_ESME_RX_T_APPN,
        SMPPF_ESME_RINVBNDSTS,
        SMPPF_ESME_RUNKNOWNERR,
        SMPPF_ESME_RDELIVERYFAILURE,
        0x400,
        0x401,
        0x4AB,
        0x4FF, /* vendor range, §5.1.3: unknown meaning */
    };
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
        if (gw_bind_verdict(retry[i]) != GW_VERDICT_RETRY)
            fail_msg("0x%x (%s) should be retry", retry[i], smppf_status_name(retry[i]));
    const uint32_t fail[] = {
        SMPPF_ESME_RINVMSGLEN,
        SMPPF_ESME_RINVCMDLEN,
        SMPPF_ESME_RINVCMDID,
        SMPPF_ESME_RALYBND,
        SMPPF_ESME_RINVPRTFLG,
        SMPPF_ESME_RINVREGDLVFLG,
        SMPPF_ESME_RINVSRCADR,
        SMPPF_ESME_RINVDSTADR,
        SMPPF_ESME_RINVMSGID,
        SMPPF_ESME_RBINDFAIL,
        SMPPF_ESME_RINVPASWD,
        SMPPF_ESME_RINVSYSID,
        SMPPF_ESME_RCANCELFAIL,
        SMPPF_ESME_RREPLACEFAIL,
        SMPPF_ESME_RINVSERTYP,
        SMPPF_ESME_RINVNUMDESTS,
        SMPPF_ESME_RINVDLNAME,
        SMPPF_ESME_RINVDESTFLAG,
        SMPPF_ESME_RINVSUBREP,
        SMPPF_ESME_RINVESMCLASS,
        SMPPF_ESME_RCNTSUBDL,
        SMPPF_ESME_RINVSRCTON,
        SMPPF_ESME_RINVSRCNPI,
        SMPPF_ESME_RINVDSTTON,
        SMPPF_ESME_RINVDSTNPI,
        SMPPF_ESME_RINVSYSTYP,
        SMPPF_ESME_RINVREPFLAG,
        SMPPF_ESME_RINVNUMMSGS,
        SMPPF_ESME_RINVSCHED,
        SMPPF_ESME_RINVEXPIRY,
        SMPPF_ESME_RINVDFTMSGID,
        SMPPF_ESME_RX_P_APPN,
        SMPPF_ESME_RX_R_APPN,
        SMPPF_ESME_RQUERYFAIL,
        SMPPF_ESME_RINVOPTPARSTREAM,
        SMPPF_ESME_ROPTPARNOTALLWD,
        SMPPF_ESME_RINVPARLEN,
        SMPPF_ESME_RMISSINGOPTPARAM,
        SMPPF_ESME_RINVOPTPARAMVAL,
        0x3FF,
        0x500,
        0x10000,
        0xFFFFFFFF, /* around the vendor range and beyond */
    };
    for (size_t i = 0; i < sizeof fail / sizeof fail[0]; i++)
        if (gw_bind_verdict(fail[i]) != GW_VERDICT_FAIL)
            fail_msg("0x%x (%s) should be fail", fail[i], smppf_status_name(fail[i]));
    /* every value below 0x500 lands in one of the three, and only those
     * listed retry */
    unsigned nretry = 0;
    for (uint32_t st = 1; st < 0x500; st++)
        if (gw_bind_verdict(st) == GW_VERDICT_RETRY)
            nretry++;
    assert_int_equal(nretry, 8 + 0x100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests_name("bind", tests, NULL, NULL);
}
