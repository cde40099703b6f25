/* test_bind.c — the bind state table and the command_status retry/fail
 * table of gateway/bind.c, both against docs/smpp.md written out here a
 * second time: every one of the 36 (from, to) pairs, and every status of
 * SMPP 3.4 §5.1.3 plus the vendor range and values around it; and a
 * connect by host name (getaddrinfo_a, then each address in turn). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- a connection by name, resolved off the loop ------------------------ */

struct lh {
    struct ev_loop *loop;
    ev_io acc, rd;
    int lfd, cfd;
    uint8_t in[512];
    size_t in_len;
    enum gw_bind_state seen[16];
    unsigned nseen;
};

/* A one-PDU SMSC: answers the bind with bind_transceiver_resp. */
static void lh_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct lh *t = w->data;
    ssize_t r = recv(t->cfd, t->in + t->in_len, sizeof t->in - t->in_len, 0);
    if (r <= 0) {
        ev_io_stop(loop, w);
        return;
    }
    t->in_len += (size_t)r;
    struct smppf_hdr h;
    if (t->in_len < 16 || smppf_header_check(t->in, t->in_len, &h) != SMPPF_OK ||
        t->in_len < h.command_length)
        return;
    struct smppf_pdu p;
    assert_int_equal(smppf_decode(t->in, h.command_length, &p), SMPPF_OK);
    assert_int_equal(p.hdr.command_id, SMPPF_BIND_TRANSCEIVER);
    struct smppf_pdu rp = {.hdr = {.command_id = SMPPF_BIND_TRANSCEIVER_RESP,
                                   .sequence_number = p.hdr.sequence_number}};
    strcpy(rp.u.bind_resp.system_id, "lh");
    uint8_t o[64];
    size_t ol;
    assert_int_equal(smppf_encode(&rp, o, sizeof o, &ol), SMPPF_OK);
    assert_int_equal(send(t->cfd, o, ol, MSG_NOSIGNAL), (ssize_t)ol);
    t->in_len = 0;
}

static void lh_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct lh *t = w->data;
    t->cfd = accept(t->lfd, NULL, NULL);
    assert_true(t->cfd >= 0);
    ev_io_init(&t->rd, lh_read, t->cfd, EV_READ);
    t->rd.data = t;
    ev_io_start(loop, &t->rd);
    ev_io_stop(loop, w);
}

static void lh_state(void *owner, const char *carrier, unsigned bind, enum gw_bind_role role,
                     enum gw_bind_state from, enum gw_bind_state to, const char *reason)
{
    (void)carrier, (void)bind, (void)role, (void)from, (void)reason;
    struct lh *t = owner;
    if (t->nseen < 16)
        t->seen[t->nseen++] = to;
    if (to == GW_BIND_BOUND)
        ev_break(t->loop, EVBREAK_ALL);
}

static void lh_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

/* host = "localhost": a name, so it goes through getaddrinfo_a; it is ::1
 * and 127.0.0.1 on most hosts and the SMSC listens on 127.0.0.1 only, so
 * a refused first address must lead to the next one. */
static void test_connect_by_name(void **state)
{
    (void)state;
    struct lh t = {.loop = ev_loop_new(EVFLAG_AUTO), .cfd = -1};
    t.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_true(t.lfd >= 0);
    assert_int_equal(bind(t.lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(t.lfd, 4), 0);
    assert_int_equal(getsockname(t.lfd, (struct sockaddr *)&a, &al), 0);
    ev_io_init(&t.acc, lh_accept, t.lfd, EV_READ);
    t.acc.data = &t;
    ev_io_start(t.loop, &t.acc);
    struct gw_carrier c = {.name = "lh",
                           .host = "localhost",
                           .port = ntohs(a.sin_port),
                           .system_id = "t",
                           .password = "p",
                           .binds = 1,
                           .bind_mode = GW_BIND_TRX,
                           .window = 1,
                           .src_ton = 1,
                           .src_npi = 1,
                           .dst_ton = 1,
                           .dst_npi = 1,
                           .response_timeout_ms = 3000,
                           .reconnect_min_ms = 100,
                           .reconnect_max_ms = 1000};
    struct gw_link_cbs cbs = {.state = lh_state};
    gw_link_log_level(4);
    struct gw_link *l = gw_link_new(t.loop, &c, &cbs, &t, 16);
    assert_non_null(l);
    ev_timer dl;
    ev_timer_init(&dl, lh_deadline, 5., 0.);
    ev_timer_start(t.loop, &dl);
    ev_run(t.loop, 0);
    assert_true(t.nseen >= 3);
    assert_int_equal(t.seen[0], GW_BIND_CONNECTING);
    assert_int_equal(t.seen[t.nseen - 2], GW_BIND_BINDING);
    assert_int_equal(t.seen[t.nseen - 1], GW_BIND_BOUND);
    gw_link_free(l);
    if (t.cfd >= 0)
        close(t.cfd);
    close(t.lfd);
    ev_loop_destroy(t.loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_connect_by_name),
    };
    return cmocka_run_group_tests_name("bind", tests, NULL, NULL);
}
