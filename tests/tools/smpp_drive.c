/* smpp_drive.c — drives gateway/bind.c on a libev loop against an SMSC over
 * real TCP (tests/integration/smpp_peer.sh runs it against the npm `smpp`
 * package). It plays the job layer: submits N SMs, resubmits what comes
 * back unanswered, matches receipts to submits with a small in-memory
 * matcher (keys from dlr_msgid_keys, receipts that come before their
 * submit_sm_resp parked until it does), and prints what happened as
 * key=value lines for the script to check.
 *
 *   smpp_drive port=2775 n=100 window=5 [mode=trx|txrx] [binds=1] [tps=0]
 *              [msgid=auto|hex|dec|string|hexdec|dechex] [receipts=N]
 *              [drain_after=K] [enquire=S] [tls=1 tls_ca=F tls_name=N]
 *              [expect_fail=1] [run_s=20] [password=P] [timeout_ms=MS]
 *              [hold_s=S: run at least this long] [log=LEVEL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "gateway/bind.h"

#define MAXN 20000

struct sub {
    int done, resp;
    unsigned nkeys;
    char keys[DLR_KEYS][DLR_KEY_MAX];
};

static struct {
    struct ev_loop *loop;
    struct gw_link *l;
    unsigned n, want_receipts, drain_after, expect_fail;
    int started;
    struct sub *subs;
    unsigned outcomes, resp_ok, resp_err, unknown, b_unans, b_unsent, b_drain, b_exp;
    unsigned receipts, matched, early, resubmits, mo_por, bound_max, drained, draining;
    unsigned parked_n;
    double t0, hold_s;
    char parked[256][DLR_KEYS][DLR_KEY_MAX];
    unsigned parked_k[256];
    char last_reason[256], fail_reason[256];
} g;

static void submit_idx(unsigned i)
{
    struct gw_sm sm = {.udhi = 1, .ctx_id = i, .deadline = time(NULL) + 3600};
    snprintf(sm.dest, sizeof sm.dest, "49170%07u", i);
    static const uint8_t ud[] = {0x02, 0x70, 0x00, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55};
    memcpy(sm.ud, ud, sizeof ud);
    sm.ud[3] = (uint8_t)(i >> 24), sm.ud[4] = (uint8_t)(i >> 16);
    sm.ud[5] = (uint8_t)(i >> 8), sm.ud[6] = (uint8_t)i;
    sm.ud_len = sizeof ud;
    int rc = gw_link_submit(g.l, &sm);
    if (rc != 0) {
        fprintf(stderr, "submit %u refused: %d\n", i, rc);
        g.subs[i].done = 1;
        g.outcomes++;
    }
}

static int keys_meet(unsigned na, char a[][DLR_KEY_MAX], unsigned nb, char b[][DLR_KEY_MAX])
{
    for (unsigned i = 0; i < na; i++)
        for (unsigned j = 0; j < nb; j++)
            if (!strcmp(a[i], b[j]))
                return 1;
    return 0;
}

static void check_done(void)
{
    if (ev_time() - g.t0 < g.hold_s)
        return;
    int all = g.outcomes >= g.n && g.matched >= g.want_receipts;
    if (g.draining) {
        if (g.drained)
            ev_break(g.loop, EVBREAK_ALL);
        return;
    }
    if (all)
        ev_break(g.loop, EVBREAK_ALL);
}

static void on_resp(void *owner, void *ctx, uint64_t id, uint32_t status, enum gw_verdict v,
                    const char *msgid, unsigned nkeys, char keys[DLR_KEYS][DLR_KEY_MAX])
{
    (void)owner, (void)ctx, (void)v, (void)msgid;
    struct sub *s = &g.subs[id];
    if (s->done)
        fprintf(stderr, "SM %llu answered twice\n", (unsigned long long)id);
    s->done = 1;
    g.outcomes++;
    if (status) {
        g.resp_err++;
    } else {
        g.resp_ok++;
        s->resp = 1;
        s->nkeys = nkeys;
        memcpy(s->keys, keys, sizeof s->keys);
        /* receipts that came first */
        for (unsigned p = 0; p < g.parked_n; p++) {
            if (g.parked_k[p] && keys_meet(nkeys, keys, g.parked_k[p], g.parked[p])) {
                g.parked_k[p] = 0;
                g.matched++;
                g.early++;
            }
        }
    }
    if (g.drain_after && g.resp_ok == g.drain_after && !g.draining) {
        g.draining = 1;
        gw_link_drain(g.l);
    }
    check_done();
}

static void *on_unknown(void *owner, void *ctx, uint64_t id)
{
    (void)owner, (void)ctx;
    g.subs[id].done = 1;
    g.outcomes++;
    g.unknown++;
    check_done();
    return NULL; /* no late answer wanted */
}

static void on_bounce(void *owner, void *ctx, uint64_t id, enum gw_bounce why, int requeued)
{
    (void)owner, (void)ctx;
    switch (why) {
    case GW_BOUNCE_UNSENT:
        g.b_unsent++;
        break;
    case GW_BOUNCE_UNANSWERED:
        g.b_unans++;
        break;
    case GW_BOUNCE_DRAIN:
    case GW_BOUNCE_CANCELLED: /* never asked for here */
        g.b_drain++;
        break;
    case GW_BOUNCE_EXPIRED:
        g.b_exp++;
        break;
    }
    if (requeued)
        return;
    if (why == GW_BOUNCE_UNANSWERED && !g.draining) {
        /* what the job layer does: a new attempt */
        g.resubmits++;
        submit_idx((unsigned)id);
        return;
    }
    g.subs[id].done = 1;
    g.outcomes++;
    check_done();
}

static void on_receipt(void *owner, const struct dlr_receipt *r, const char *carrier)
{
    (void)owner, (void)carrier;
    g.receipts++;
    char keys[DLR_KEYS][DLR_KEY_MAX];
    memcpy(keys, r->keys, sizeof keys);
    for (unsigned i = 0; i < g.n; i++) {
        if (g.subs[i].resp && keys_meet(g.subs[i].nkeys, g.subs[i].keys, r->nkeys, keys)) {
            if (r->stat == DLR_STAT_DELIVRD)
                g.matched++;
            check_done();
            return;
        }
    }
    if (g.parked_n < 256) {
        memcpy(g.parked[g.parked_n], r->keys, sizeof keys);
        g.parked_k[g.parked_n++] = r->nkeys;
    }
}

static void on_mo(void *owner, const struct gw_mo *mo, const char *carrier)
{
    (void)owner, (void)carrier;
    if (mo->udhi && mo->ud_len > 2 && mo->ud[1] == 0x71 && !strcmp(mo->source_addr, "491701234567"))
        g.mo_por++;
}

static void on_state(void *owner, const char *carrier, unsigned bind, enum gw_bind_role role,
                     enum gw_bind_state from, enum gw_bind_state to, const char *reason)
{
    (void)owner, (void)carrier, (void)bind, (void)role, (void)from;
    snprintf(g.last_reason, sizeof g.last_reason, "%s", reason);
    if (strstr(reason, "TLS") || strstr(reason, "bind refused"))
        snprintf(g.fail_reason, sizeof g.fail_reason, "%s", reason);
    struct gw_link_stats st;
    gw_link_stats(g.l, &st);
    if (st.binds_up > g.bound_max)
        g.bound_max = st.binds_up;
    if (to == GW_BIND_BOUND && !g.started && st.tx_up && !g.expect_fail) {
        g.started = 1;
        for (unsigned i = 0; i < g.n; i++)
            submit_idx(i);
    }
}

static void on_drained(void *owner, const char *carrier)
{
    (void)owner, (void)carrier;
    g.drained = 1;
    check_done();
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents;
    check_done();
}

static const char *arg(int argc, char **argv, const char *k, const char *def)
{
    size_t kl = strlen(k);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], k, kl) && argv[i][kl] == '=')
            return argv[i] + kl + 1;
    return def;
}

int main(int argc, char **argv)
{
    struct gw_carrier c = {.name = "peer",
                           .host = "127.0.0.1",
                           .system_id = "otagw",
                           .password = "secret",
                           .src_ton = 1,
                           .src_npi = 1,
                           .dst_ton = 1,
                           .dst_npi = 1,
                           .source_addr = "4930",
                           .protocol_id = 0x7F,
                           .data_coding = 0xF6,
                           .reconnect_min_ms = 200,
                           .reconnect_max_ms = 2000,
                           .tls_verify = 1};
#define U(k, d) ((unsigned)strtoul(arg(argc, argv, k, d), NULL, 10))
    c.port = (uint16_t)U("port", "2775");
    c.binds = U("binds", "1");
    c.window = U("window", "10");
    c.tps = U("tps", "0");
    c.enquire_link = U("enquire", "30");
    c.response_timeout_ms = U("timeout_ms", "5000");
    c.bind_mode = strcmp(arg(argc, argv, "mode", "trx"), "txrx") ? GW_BIND_TRX : GW_BIND_TX_RX;
    snprintf(c.password, sizeof c.password, "%s", arg(argc, argv, "password", "secret"));
    const char *mf = arg(argc, argv, "msgid", "auto");
    c.msgid_format = !strcmp(mf, "hex")      ? (enum gw_msgid_format)DLR_ID_HEX
                     : !strcmp(mf, "dec")    ? (enum gw_msgid_format)DLR_ID_DEC
                     : !strcmp(mf, "string") ? (enum gw_msgid_format)DLR_ID_STRING
                     : !strcmp(mf, "hexdec") ? (enum gw_msgid_format)DLR_ID_HEX_DEC
                     : !strcmp(mf, "dechex") ? (enum gw_msgid_format)DLR_ID_DEC_HEX
                                             : (enum gw_msgid_format)DLR_ID_AUTO;
    c.tls = (int)U("tls", "0");
    c.tls_verify = (int)U("tls_verify", "1");
    snprintf(c.tls_ca, sizeof c.tls_ca, "%s", arg(argc, argv, "tls_ca", ""));
    snprintf(c.tls_server_name, sizeof c.tls_server_name, "%s", arg(argc, argv, "tls_name", ""));
    g.n = U("n", "10");
    g.want_receipts = U("receipts", "0");
    g.drain_after = U("drain_after", "0");
    g.expect_fail = U("expect_fail", "0");
    if (g.n > MAXN)
        return 2;
    g.subs = calloc(g.n + 1, sizeof *g.subs);
    gw_link_log_level((int)U("log", "6"));
    g.loop = ev_default_loop(0);
    struct gw_link_cbs cbs = {.submit_resp = on_resp,
                              .submit_unknown = on_unknown,
                              .bounce = on_bounce,
                              .receipt = on_receipt,
                              .mo = on_mo,
                              .state = on_state,
                              .drained = on_drained};
    g.l = gw_link_new(g.loop, &c, &cbs, NULL, 0);
    if (!g.l) {
        perror("gw_link_new");
        return 1;
    }
    ev_timer stop;
    ev_timer_init(&stop, stop_cb, strtod(arg(argc, argv, "run_s", "20"), NULL), 0.);
    ev_timer_start(g.loop, &stop);
    g.t0 = ev_time();
    g.hold_s = strtod(arg(argc, argv, "hold_s", "0"), NULL);
    ev_timer hold;
    ev_timer_init(&hold, hold_cb, g.hold_s + 0.01, 0.);
    ev_timer_start(g.loop, &hold);
    ev_run(g.loop, 0);
    struct gw_link_stats st;
    gw_link_stats(g.l, &st);
    printf("elapsed=%.3f\n", ev_time() - g.t0);
    printf("outcomes=%u\nresp_ok=%u\nresp_err=%u\nunknown=%u\n", g.outcomes, g.resp_ok, g.resp_err,
           g.unknown);
    printf("bounce_unanswered=%u\nbounce_unsent=%u\nbounce_drain=%u\nbounce_expired=%u\n",
           g.b_unans, g.b_unsent, g.b_drain, g.b_exp);
    printf("resubmits=%u\nreceipts=%u\nmatched=%u\nearly=%u\nmo_por=%u\n", g.resubmits, g.receipts,
           g.matched, g.early, g.mo_por);
    printf("bound_max=%u\nbinds_total=%u\nthrottled=%llu\nrequeued=%llu\nreconnects=%llu\n",
           g.bound_max, st.binds_total, (unsigned long long)st.throttled,
           (unsigned long long)st.requeued, (unsigned long long)st.reconnects);
    printf("malformed=%llu\ndrained=%u\nqueue_depth=%zu\nwindow_used=%u\n",
           (unsigned long long)st.malformed, g.drained, st.queue_depth, st.window_used);
    printf("fail_reason=%s\n", g.fail_reason);
    gw_link_free(g.l);
    free(g.subs);
    return 0;
}
