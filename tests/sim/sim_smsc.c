/* sim_smsc.c — the simulated SMSC (see sim_smsc.h, docs/simulator.md).
 *
 * One libev loop. Each link is a connection with a fixed read buffer and a
 * growable write buffer reused for its life; PDUs are framed with
 * smppf_header_check() (length checked before waiting for the body) and
 * decoded with smppf_decode(). Delayed work (held responses, receipts,
 * PoRs) sits in one binary heap of pooled events driven by one ev_timer:
 * no allocation per PDU once the pools have grown to the traffic.
 *
 * What the SMSC checks for tests: every received PDU goes to the log file
 * with the link's outstanding window at that moment, and the highest
 * window each link reached is in the state dump. */
#include "tests/sim/sim_smsc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "codec/hex.h"
#include "codec/smppf.h"
#include "tests/sim/sim_cards.h"

#define RBUF_CAP  (2 * SMPPF_PDU_MAX)
#define RESP_RING 4096 /* held responses per link */
#define DLV_OPEN  256  /* deliver_sm awaiting their resp per link (beyond: not redelivered) */

enum bind_type { BT_NONE = 0, BT_TX = 1, BT_RX = 2, BT_TRX = 3 };
static const char *const bt_name[] = {"open", "tx", "rx", "trx"};

struct held {
    uint64_t due;
    uint32_t seq, status;
    char msgid[24];
};

struct event;

/* A deliver_sm sent and not yet answered: what to send again. */
struct dlv_open {
    uint32_t seq;
    struct event *e;
};

struct conn {
    struct sim_smsc *s;
    struct dlv_open *dlv; /* DLV_OPEN slots, allocated on first use */
    unsigned ndlv;
    struct conn *next;
    ev_io rio, wio;
    ev_timer el_timer;
    int fd;
    SSL *ssl;
    int tls_done;
    unsigned id;
    int account; /* -1 until bound (or the listener's) */
    int listen_account;
    enum bind_type bt;
    int closing; /* 1: close once the write buffer is empty */
    int dead;
    uint32_t out_seq;
    unsigned outstanding, max_outstanding, window_exceeded;
    uint64_t submits, pdus_in, pdus_out, last_rx_ms;
    unsigned hhead, hcount; /* held response ring */
    struct held *held;
    ev_timer held_timer;
    size_t rlen;
    uint8_t *wbuf;
    size_t wlen, woff, wcap;
    uint8_t rbuf[RBUF_CAP + 1]; /* +1: a zero after the PDU (LIBSMPP34.md) */
};

enum ev_kind { EV_RECEIPT, EV_MO };

struct event {
    uint64_t due;
    int kind;
    int account;
    unsigned from; /* id of the link the submit came on (--deliver-on) */
    struct smppf_sm sm;
};

struct listener {
    ev_io io;
    int fd;
    int account;
    uint16_t port;
    struct sim_smsc *s;
};

struct ctl {
    ev_io io;
    int fd;
    struct sim_smsc *s;
    struct ctl *next;
    size_t len;
    char buf[512];
};

struct acct_state {
    double tokens;
    uint64_t last_ms;
    unsigned rr;
    uint64_t submits, throttled, receipts, mo, unknown_dst;
    uint64_t redelivered, dlv_refused; /* deliver_sm resps: temporary / permanent errors */
};

struct sim_smsc {
    struct ev_loop *loop;
    struct sim_world *w;
    struct sim_opts o;
    struct acct_state acct[SIM_MAX_ACCOUNTS];
    unsigned nlisteners;
    struct listener listeners[SIM_MAX_LISTENERS];
    struct listener control;
    struct ctl *ctls;
    struct conn *conns;
    unsigned next_conn_id;
    SSL_CTX *tls;
    FILE *log, *journal;
    ev_timer flush_timer, heap_timer;
    uint64_t start_ms, reject_until_ms;
    uint64_t msgid;
    uint64_t rng;
    uint64_t pdus_sent, malformed_sent, binds, binds_refused, window_violations;
    uint64_t deliver_fallback; /* --deliver-on same|other found no such link */
    uint8_t concat_ref;
    /* event heap and pool */
    struct event **heap;
    size_t nheap, heapcap;
    struct event **pool;
    size_t npool, poolcap;
};

/* ---- small helpers ---- */

static uint64_t now_ms(struct sim_smsc *s)
{
    return (uint64_t)(ev_now(s->loop) * 1000.0);
}

static double rnd(struct sim_smsc *s)
{
    /* xorshift64*: reproducible from --seed. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (double)((s->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static void wall_ts(char *out, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, n, "%lld.%03ld", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
}

__attribute__((format(printf, 2, 3))) static void slog(struct sim_smsc *s, const char *fmt, ...)
{
    if (!s->o.verbose)
        return;
    char ts[32];
    wall_ts(ts, sizeof ts);
    fprintf(stderr, "%s otasim: ", ts);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *acct_name(const struct sim_smsc *s, int a)
{
    return a >= 0 ? s->o.accounts[a].name : "-";
}

/* ---- the event heap ---- */

static struct event *ev_get(struct sim_smsc *s)
{
    if (s->npool)
        return s->pool[--s->npool];
    return malloc(sizeof(struct event));
}

static void ev_put(struct sim_smsc *s, struct event *e)
{
    if (s->npool == s->poolcap) {
        size_t nc = s->poolcap ? s->poolcap * 2 : 256;
        struct event **np = realloc(s->pool, nc * sizeof *np);
        if (!np) {
            free(e);
            return;
        }
        s->pool = np;
        s->poolcap = nc;
    }
    s->pool[s->npool++] = e;
}

static void heap_arm(struct sim_smsc *s)
{
    ev_timer_stop(s->loop, &s->heap_timer);
    if (!s->nheap)
        return;
    uint64_t n = now_ms(s), due = s->heap[0]->due;
    ev_timer_set(&s->heap_timer, due > n ? (double)(due - n) / 1000.0 : 0.0, 0.0);
    ev_timer_start(s->loop, &s->heap_timer);
}

static int heap_push(struct sim_smsc *s, struct event *e)
{
    if (s->nheap == s->heapcap) {
        size_t nc = s->heapcap ? s->heapcap * 2 : 1024;
        struct event **nh = realloc(s->heap, nc * sizeof *nh);
        if (!nh)
            return -ENOMEM;
        s->heap = nh;
        s->heapcap = nc;
    }
    size_t i = s->nheap++;
    while (i && s->heap[(i - 1) / 2]->due > e->due) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
    if (i == 0)
        heap_arm(s);
    return 0;
}

static struct event *heap_pop(struct sim_smsc *s)
{
    struct event *top = s->heap[0], *last = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct event *mv = last;
        if (l < s->nheap && s->heap[l]->due < mv->due)
            m = l, mv = s->heap[l];
        if (r < s->nheap && s->heap[r]->due < mv->due)
            m = r;
        if (m == i)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (s->nheap)
        s->heap[i] = last;
    return top;
}

/* ---- connections: output ---- */

static void conn_close(struct conn *c, const char *why);

static uint8_t *wreserve(struct conn *c, size_t n)
{
    if (c->wlen + n > c->wcap) {
        if (c->woff) {
            memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
            c->wlen -= c->woff;
            c->woff = 0;
        }
        if (c->wlen + n > c->wcap) {
            size_t nc = c->wcap ? c->wcap : 65536;
            while (nc < c->wlen + n)
                nc *= 2;
            if (nc > (64u << 20))
                return NULL; /* the peer does not read: give up on it */
            uint8_t *nb = realloc(c->wbuf, nc);
            if (!nb)
                return NULL;
            c->wbuf = nb;
            c->wcap = nc;
        }
    }
    return c->wbuf + c->wlen;
}

/* One read or write on the connection, TLS or plain: the only place that tells
 * "try again on the next event" (EAGAIN, SSL_ERROR_WANT_*) from an error or the
 * peer's close. Returns the bytes moved, 0 when the socket would block, or -1
 * once the connection is closed (the reason logged names the direction). */
static ssize_t conn_io(struct conn *c, int writing, uint8_t *buf, size_t len)
{
    if (c->ssl) {
        ERR_clear_error();
        int r = writing ? SSL_write(c->ssl, buf, (int)len) : SSL_read(c->ssl, buf, (int)len);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return 0;
        conn_close(c, writing                      ? "tls write error"
                      : e == SSL_ERROR_ZERO_RETURN ? "peer closed"
                                                   : "tls read error");
        return -1;
    }
    ssize_t n = writing ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);
    if (n > 0)
        return n;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    conn_close(c, writing ? "write error" : n == 0 ? "peer closed" : "read error");
    return -1;
}

static void conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = conn_io(c, 1, c->wbuf + c->woff, c->wlen - c->woff);
        if (n < 0)
            return;
        if (n == 0)
            break;
        c->woff += (size_t)n;
    }
    if (c->woff == c->wlen) {
        c->woff = c->wlen = 0;
        ev_io_stop(c->s->loop, &c->wio);
        if (c->closing)
            conn_close(c, "closed after flush");
    } else {
        ev_io_start(c->s->loop, &c->wio);
    }
}

static void send_raw(struct conn *c, const uint8_t *p, size_t n)
{
    uint8_t *w = wreserve(c, n);
    if (!w) {
        conn_close(c, "write buffer full");
        return;
    }
    memcpy(w, p, n);
    c->wlen += n;
    c->pdus_out++;
    c->s->pdus_sent++;
}

/* Every Nth PDU sent is preceded by a malformed one, alternately an
 * unknown command_id (the peer must generic_nack it) and a deliver_sm
 * whose fields run unterminated to its end (decode error, framing kept). */
static void maybe_malformed(struct conn *c)
{
    struct sim_smsc *s = c->s;
    if (!s->o.malformed_every || (s->pdus_sent + 1) % s->o.malformed_every != 0)
        return;
    uint8_t p[32];
    uint32_t seq = ++c->out_seq;
    uint32_t cmd = s->malformed_sent % 2 ? SMPPF_DELIVER_SM : 0x00000111u;
    size_t n = s->malformed_sent % 2 ? 24 : 16;
    uint32_t hdr[4] = {htonl((uint32_t)n), htonl(cmd), 0, htonl(seq)};
    memcpy(p, hdr, 16);
    memset(p + 16, 'A', n - 16); /* service_type with no NUL */
    s->malformed_sent++;
    send_raw(c, p, n);
}

static void send_pdu(struct conn *c, struct smppf_pdu *pdu)
{
    if (c->dead)
        return;
    maybe_malformed(c);
    uint8_t *w = wreserve(c, SMPPF_PDU_MAX);
    if (!w) {
        conn_close(c, "write buffer full");
        return;
    }
    size_t n;
    if (smppf_encode(pdu, w, SMPPF_PDU_MAX, &n) != SMPPF_OK) {
        slog(c->s, "[conn=%u] cannot encode %s", c->id, smppf_cmd_name(pdu->hdr.command_id));
        return;
    }
    c->wlen += n;
    c->pdus_out++;
    c->s->pdus_sent++;
}

static void send_empty(struct conn *c, uint32_t cmd, uint32_t status, uint32_t seq)
{
    uint8_t p[16];
    if (c->dead)
        return;
    maybe_malformed(c);
    size_t n = smppf_encode_empty(cmd, status, seq, p, sizeof p);
    send_raw(c, p, n);
}

static void send_sm_resp(struct conn *c, uint32_t status, uint32_t seq, const char *msgid)
{
    uint8_t p[16 + 65];
    if (c->dead)
        return;
    maybe_malformed(c);
    size_t n = smppf_encode_sm_resp(SMPPF_SUBMIT_SM_RESP, status, seq, msgid, p, sizeof p);
    send_raw(c, p, n);
}

/* ---- logging of received PDUs ---- */

static void log_pdu(struct conn *c, const struct smppf_pdu *p, const char *extra)
{
    struct sim_smsc *s = c->s;
    if (!s->log)
        return;
    char ts[32];
    wall_ts(ts, sizeof ts);
    fprintf(s->log, "%s %s c%u:%s %s seq=%u status=%u", ts, acct_name(s, c->account), c->id,
            bt_name[c->bt], smppf_cmd_name(p->hdr.command_id), p->hdr.sequence_number,
            p->hdr.command_status);
    uint32_t cmd = p->hdr.command_id;
    if (cmd == SMPPF_SUBMIT_SM || cmd == SMPPF_DELIVER_SM) {
        const struct smppf_sm *m = &p->u.sm;
        const uint8_t *ud = m->tlv.message_payload ? m->tlv.message_payload : m->short_message;
        size_t ul = m->tlv.message_payload ? m->tlv.message_payload_len : m->sm_length;
        char hex[2 * SMPPF_PAYLOAD_MAX + 1];
        fprintf(s->log, " src=%s dst=%s esm=%02x pid=%02x dcs=%02x rd=%u ud=%s", m->source_addr,
                m->destination_addr, m->esm_class, m->protocol_id, m->data_coding,
                m->registered_delivery, hex_encode(ud, ul, hex, sizeof hex) ? hex : "-");
    } else if (cmd == SMPPF_BIND_TRANSCEIVER || cmd == SMPPF_BIND_TRANSMITTER ||
               cmd == SMPPF_BIND_RECEIVER) {
        fprintf(s->log, " system_id=%s", p->u.bind.system_id);
    }
    fprintf(s->log, " window=%u%s%s\n", c->outstanding, extra ? " " : "", extra ? extra : "");
}

/* ---- binds ---- */

static int can_receive(const struct conn *c)
{
    return !c->dead && !c->closing && (c->bt == BT_RX || c->bt == BT_TRX);
}

/* A receiver-capable link of the account, round robin, the one with id
 * `skip` left out (0: none). */
static struct conn *rr_rx(struct sim_smsc *s, int account, unsigned skip)
{
    unsigned n = 0;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->account == account && can_receive(c) && c->id != skip)
            n++;
    if (!n)
        return NULL;
    unsigned k = s->acct[account].rr++ % n;
    for (struct conn *c = s->conns; c; c = c->next)
        if (c->account == account && can_receive(c) && c->id != skip && k-- == 0)
            return c;
    return NULL;
}

/* The link a receipt or MO goes out on (--deliver-on): any receiver of the
 * account, round robin (the default: a receipt may come on another bind
 * than the submit's, as carriers do); the submit's own link; or a link
 * other than the submit's. When same or other finds none (the submit's
 * link is gone or cannot receive, or it is the only receiver), any
 * receiver takes it and smsc.deliver_fallback counts it. */
static struct conn *pick_rx(struct sim_smsc *s, const struct event *e)
{
    if (s->o.deliver_on == SIM_DELIVER_SAME) {
        for (struct conn *c = s->conns; c; c = c->next)
            if (c->id == e->from && c->account == e->account && can_receive(c))
                return c;
    } else if (s->o.deliver_on == SIM_DELIVER_OTHER) {
        struct conn *c = rr_rx(s, e->account, e->from);
        if (c)
            return c;
    } else {
        return rr_rx(s, e->account, 0);
    }
    struct conn *c = rr_rx(s, e->account, 0);
    if (c)
        s->deliver_fallback++;
    return c;
}

static void on_bind(struct conn *c, struct smppf_pdu *p)
{
    struct sim_smsc *s = c->s;
    uint32_t cmd = p->hdr.command_id, seq = p->hdr.sequence_number;
    struct smppf_pdu r;
    memset(&r, 0, sizeof r);
    r.hdr.command_id = cmd | 0x80000000u;
    r.hdr.sequence_number = seq;
    snprintf(r.u.bind_resp.system_id, sizeof r.u.bind_resp.system_id, "otasim");
    uint32_t st = SMPPF_ESME_ROK;
    int acc = -1;
    if (c->bt != BT_NONE) {
        st = SMPPF_ESME_RALYBND;
    } else if (now_ms(s) < s->reject_until_ms) {
        st = SMPPF_ESME_RBINDFAIL;
    } else {
        for (unsigned i = 0; i < s->o.naccounts; i++)
            if ((c->listen_account < 0 || c->listen_account == (int)i) &&
                strcmp(s->o.accounts[i].system_id, p->u.bind.system_id) == 0)
                acc = (int)i;
        if (acc < 0)
            st = SMPPF_ESME_RINVSYSID;
        else if (strcmp(s->o.accounts[acc].password, p->u.bind.password) != 0)
            st = SMPPF_ESME_RINVPASWD;
    }
    r.hdr.command_status = st;
    if (st == SMPPF_ESME_ROK) {
        c->account = acc;
        c->bt = cmd == SMPPF_BIND_TRANSMITTER ? BT_TX : cmd == SMPPF_BIND_RECEIVER ? BT_RX : BT_TRX;
        s->binds++;
        slog(s, "[account=%s conn=%u] bound %s", acct_name(s, acc), c->id, bt_name[c->bt]);
        send_pdu(c, &r);
    } else {
        s->binds_refused++;
        slog(s, "[conn=%u] bind refused: %s", c->id, smppf_status_name(st));
        /* SMPP 3.4 §4.1: a failed bind answers with the resp header only. */
        send_empty(c, r.hdr.command_id, st, seq);
        if (st != SMPPF_ESME_RALYBND)
            c->closing = 1;
    }
}

/* ---- receipts and PoRs ---- */

static const char *const outcome_name[] = {"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"};
static const uint8_t outcome_state[] = {2, 5, 3, 8}; /* §5.3.2.35 message_state */

static void fmt_msgid(enum sim_msgid f, uint64_t id, char *out, size_t n)
{
    if (f == SIM_MSGID_HEX)
        snprintf(out, n, "%llX", (unsigned long long)id);
    else
        snprintf(out, n, "%llu", (unsigned long long)id);
}

static int pick_outcome(struct sim_smsc *s)
{
    unsigned total = 0;
    for (int i = 0; i < SIM_NOUTCOMES; i++)
        total += s->o.outcome[i];
    if (!total)
        return SIM_DELIVRD;
    double r = rnd(s) * total;
    for (int i = 0; i < SIM_NOUTCOMES; i++) {
        if (r < s->o.outcome[i])
            return i;
        r -= s->o.outcome[i];
    }
    return SIM_DELIVRD;
}

static void date10(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    /* YYMMDDhhmm, SMPP 3.4 Appendix B. */
    snprintf(out, n, "%02u%02u%02u%02u%02u", (unsigned)tm.tm_year % 100u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u);
}

/* SMPP 3.4 Appendix B text and/or the §5.3.2 TLVs. */
static void schedule_receipt(struct sim_smsc *s, int account, unsigned from,
                             const struct smppf_sm *sub, uint64_t id, int outcome, int early)
{
    if (!(sub->registered_delivery & 0x03))
        return;
    if ((sub->registered_delivery & 0x03) == 0x02 && outcome == SIM_DELIVRD)
        return; /* receipt on failure only */
    struct event *e = ev_get(s);
    if (!e)
        return;
    memset(&e->sm, 0, offsetof(struct smppf_sm, short_message));
    memset(&e->sm.tlv, 0, sizeof e->sm.tlv);
    e->kind = EV_RECEIPT;
    e->account = account;
    e->from = from;
    e->due = now_ms(s) + (early ? 0 : s->o.receipt_delay_ms);
    struct smppf_sm *m = &e->sm;
    m->source_addr_ton = sub->dest_addr_ton;
    m->source_addr_npi = sub->dest_addr_npi;
    memcpy(m->source_addr, sub->destination_addr, sizeof m->source_addr);
    m->dest_addr_ton = sub->source_addr_ton;
    m->dest_addr_npi = sub->source_addr_npi;
    memcpy(m->destination_addr, sub->source_addr, sizeof m->destination_addr);
    m->esm_class = SMPPF_ESM_TYPE_RECEIPT;
    char rid[24], d[16];
    fmt_msgid(s->o.msgid_receipt, id, rid, sizeof rid);
    if (s->o.receipt & SIM_RCPT_TEXT) {
        date10(d, sizeof d);
        int n = snprintf((char *)m->short_message, sizeof m->short_message,
                         "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%03d "
                         "text:",
                         rid, outcome == SIM_DELIVRD ? "001" : "000", d, d, outcome_name[outcome],
                         outcome == SIM_DELIVRD   ? 0
                         : outcome == SIM_UNDELIV ? 1
                                                  : 69);
        m->sm_length = (uint8_t)(n < (int)sizeof m->short_message ? n : 0);
    }
    if (s->o.receipt & SIM_RCPT_TLV) {
        m->tlv.has_receipted_message_id = 1;
        snprintf(m->tlv.receipted_message_id, sizeof m->tlv.receipted_message_id, "%s", rid);
        m->tlv.has_message_state = 1;
        m->tlv.message_state = outcome_state[outcome];
        if (outcome != SIM_DELIVRD) {
            m->tlv.has_network_error_code = 1;
            m->tlv.network_type = 3; /* GSM */
            m->tlv.network_error = outcome == SIM_UNDELIV ? 1 : 69;
        }
    }
    if (heap_push(s, e) < 0)
        ev_put(s, e);
}

/* A mobile-originated SM from card's MSISDN (international, E.164) back to
 * the address that submitted sub, for the account's link `from`, due at
 * due: the event with its addresses set and the rest of the SM zeroed, for
 * the caller to fill and push; NULL when no event is free. */
static struct event *mo_event(struct sim_smsc *s, int account, unsigned from,
                              const struct smppf_sm *sub, const struct sim_card *card, uint64_t due)
{
    struct event *e = ev_get(s);
    if (!e)
        return NULL;
    memset(&e->sm, 0, sizeof e->sm);
    e->kind = EV_MO;
    e->account = account;
    e->from = from;
    e->due = due;
    struct smppf_sm *m = &e->sm;
    m->source_addr_ton = 1;
    m->source_addr_npi = 1;
    snprintf(m->source_addr, sizeof m->source_addr, "%s", card->msisdn);
    m->dest_addr_ton = sub->source_addr_ton;
    m->dest_addr_npi = sub->source_addr_npi;
    memcpy(m->destination_addr, sub->source_addr, sizeof m->destination_addr);
    return e;
}

/* MO SMs for the PoR (TS 31.115 §4.3): UDHI, PID 7F, DCS F6, from the
 * card's MSISDN to the submit's source; concatenated when over 140
 * octets, IE 71 in the first segment. */
static void schedule_por(struct sim_smsc *s, int account, unsigned from, const struct smppf_sm *sub,
                         const struct sim_card *card, const struct sim_result *r)
{
    const uint8_t *body = r->por + 3; /* after 02 71 00 */
    size_t blen = r->por_len - 3;
    unsigned nseg = r->por_len <= 140 ? 1 : (unsigned)((blen + 126) / 127 + 1);
    if (nseg > 1) /* first: 132 after UDH 07 00 03 rr nn 01 71 00; then 134 */
        nseg = blen <= 132 ? 1 : 1 + (unsigned)((blen - 132 + 133) / 134);
    uint8_t ref = ++s->concat_ref;
    size_t off = 0;
    for (unsigned i = 0; i < nseg; i++) {
        struct event *e = mo_event(s, account, from, sub, card, now_ms(s) + s->o.por_delay_ms + i);
        if (!e)
            return;
        struct smppf_sm *m = &e->sm;
        m->esm_class = SMPPF_ESM_UDHI;
        m->protocol_id = 0x7f;
        m->data_coding = 0xf6;
        uint8_t *u = m->short_message;
        size_t h, room;
        if (nseg == 1) {
            memcpy(u, r->por, r->por_len);
            m->sm_length = (uint8_t)r->por_len;
        } else {
            if (i == 0) {
                static const uint8_t u0[] = {0x07, 0x00, 0x03, 0, 0, 1, 0x71, 0x00};
                memcpy(u, u0, sizeof u0);
                h = sizeof u0;
            } else {
                static const uint8_t un[] = {0x05, 0x00, 0x03, 0, 0, 0};
                memcpy(u, un, sizeof un);
                h = sizeof un;
            }
            u[3] = ref;
            u[4] = (uint8_t)nseg;
            u[5] = (uint8_t)(i + 1);
            room = 140 - h;
            size_t take = blen - off < room ? blen - off : room;
            memcpy(u + h, body + off, take);
            off += take;
            m->sm_length = (uint8_t)(h + take);
        }
        if (heap_push(s, e) < 0)
            ev_put(s, e);
    }
}

/* After an enable, the eUICC refreshes and later reports from its new
 * profile (SGP.02 §3.2 notifications; FACTS.md §10: the SM-SR takes that
 * notification, not the PoR, as the confirmation). Real notifications are
 * an HTTPS/SMS exchange of their own; the simulator sends one plain MO SM
 * from the card's MSISDN, documented in docs/simulator.md:
 * "otasim-notify iccid=... event=enable|disable profile=AID|none". */
static void schedule_notify(struct sim_smsc *s, int account, unsigned from,
                            const struct smppf_sm *sub, const struct sim_card *card, int event)
{
    struct event *e = mo_event(s, account, from, sub, card, now_ms(s) + 3 * s->o.por_delay_ms + 10);
    if (!e)
        return;
    struct smppf_sm *m = &e->sm;
    m->data_coding = 0x04; /* 8-bit data */
    char aid[33] = "none";
    if (card->enabled_profile)
        hex_encode(card->profiles[card->enabled_profile - 1].aid,
                   card->profiles[card->enabled_profile - 1].len, aid, sizeof aid);
    int n = snprintf((char *)m->short_message, sizeof m->short_message,
                     "otasim-notify iccid=%s event=%s profile=%s", card->iccid,
                     event == 1 ? "enable" : "disable", aid);
    m->sm_length = (uint8_t)(n > 0 && n < (int)sizeof m->short_message ? n : 0);
    if (heap_push(s, e) < 0)
        ev_put(s, e);
}

/* Redelivery, as an SMSC does: a deliver_sm answered with a temporary
 * error (ESME_RX_T_APPN and every status but the permanent ones, SMPP 3.4
 * §5.1.3) or left unanswered when its link closes goes out again after
 * redeliver_ms; ESME_RX_P_APPN / ESME_RX_R_APPN drop it. */
static void dlv_keep(struct conn *c, uint32_t seq, struct event *e)
{
    if (!c->dlv)
        c->dlv = calloc(DLV_OPEN, sizeof *c->dlv);
    if (!c->dlv || c->ndlv == DLV_OPEN) {
        ev_put(c->s, e);
        return;
    }
    c->dlv[c->ndlv++] = (struct dlv_open){seq, e};
}

static void dlv_again(struct sim_smsc *s, struct event *e)
{
    e->due = now_ms(s) + s->o.redeliver_ms;
    s->acct[e->account].redelivered++;
    if (heap_push(s, e) < 0)
        ev_put(s, e);
}

static void dlv_resp(struct conn *c, uint32_t seq, uint32_t status)
{
    struct sim_smsc *s = c->s;
    for (unsigned i = 0; i < c->ndlv; i++) {
        if (c->dlv[i].seq != seq)
            continue;
        struct event *e = c->dlv[i].e;
        c->dlv[i] = c->dlv[--c->ndlv];
        if (status == SMPPF_ESME_ROK) {
            ev_put(s, e);
        } else if (status == SMPPF_ESME_RX_P_APPN || status == SMPPF_ESME_RX_R_APPN) {
            s->acct[e->account].dlv_refused++;
            slog(s, "[account=%s conn=%u] deliver_sm seq=%u refused for good (0x%x)",
                 acct_name(s, c->account), c->id, seq, status);
            ev_put(s, e);
        } else {
            slog(
                s,
                "[account=%s conn=%u] deliver_sm seq=%u: temporary error 0x%x, redelivery in %u ms",
                acct_name(s, c->account), c->id, seq, status, s->o.redeliver_ms);
            dlv_again(s, e);
        }
        return;
    }
}

static void on_heap_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct sim_smsc *s = t->data;
    uint64_t n = now_ms(s);
    unsigned budget = 20000; /* per loop iteration, to keep reading */
    while (s->nheap && s->heap[0]->due <= n && budget--) {
        struct event *e = heap_pop(s);
        struct conn *c = pick_rx(s, e);
        if (!c) {
            /* No receiver bound: keep it a little, as an SMSC queues. */
            if (n - e->due < 60000) {
                e->due = n + 200;
                if (heap_push(s, e) == 0)
                    continue;
            }
            ev_put(s, e);
            continue;
        }
        struct smppf_pdu p;
        p.hdr.command_id = SMPPF_DELIVER_SM;
        p.hdr.command_status = 0;
        p.hdr.sequence_number = ++c->out_seq;
        p.u.sm = e->sm;
        send_pdu(c, &p);
        if (e->kind == EV_RECEIPT)
            s->acct[e->account].receipts++;
        else
            s->acct[e->account].mo++;
        dlv_keep(c, p.hdr.sequence_number, e);
    }
    for (struct conn *c = s->conns; c; c = c->next)
        if (!c->dead && c->wlen > c->woff)
            conn_flush(c);
    heap_arm(s);
}

/* ---- submit_sm ---- */

static void journal(struct sim_smsc *s, const struct sim_card *card, const struct sim_result *r)
{
    if (!s->journal)
        return;
    char ts[32];
    wall_ts(ts, sizeof ts);
    fprintf(s->journal, "%s iccid=%s keyset=%s cntr=%llu tar=%02x%02x%02x rsc=%02x executed=%d\n",
            ts, card->iccid, r->keyset >= 0 ? s->w->keysets[r->keyset].name : "-",
            (unsigned long long)r->cntr, r->tar[0], r->tar[1], r->tar[2], r->rsc, r->executed);
}

/* The SM reached the handset: the card gets its TP-UD. */
static void to_card(struct sim_smsc *s, int account, unsigned from, const struct smppf_sm *m,
                    struct sim_card *card)
{
    static struct sim_result r; /* big; one at a time on this loop */
    const uint8_t *ud = m->tlv.message_payload ? m->tlv.message_payload : m->short_message;
    size_t ul = m->tlv.message_payload ? m->tlv.message_payload_len : m->sm_length;
    int rc = sim_card_deliver(s->w, card, ud, ul, (m->esm_class & SMPPF_ESM_UDHI) != 0, &r);
    if (rc != 1)
        return;
    journal(s, card, &r);
    if (r.send_por)
        schedule_por(s, account, from, m, card, &r);
    if (r.profile_event)
        schedule_notify(s, account, from, m, card, r.profile_event);
}

static void hold_or_send(struct conn *c, uint32_t status, uint32_t seq, const char *msgid)
{
    struct sim_smsc *s = c->s;
    if (!s->o.stall_ms || status != SMPPF_ESME_ROK) {
        send_sm_resp(c, status, seq, msgid);
        return;
    }
    if (!c->held) {
        c->held = calloc(RESP_RING, sizeof *c->held);
        if (!c->held) {
            send_sm_resp(c, status, seq, msgid);
            return;
        }
    }
    if (c->hcount == RESP_RING) {
        send_sm_resp(c, SMPPF_ESME_RMSGQFUL, seq, "");
        return;
    }
    struct held *h = &c->held[(c->hhead + c->hcount++) % RESP_RING];
    h->due = now_ms(s) + s->o.stall_ms;
    h->seq = seq;
    h->status = status;
    snprintf(h->msgid, sizeof h->msgid, "%s", msgid);
    c->outstanding++;
    if (c->outstanding > c->max_outstanding)
        c->max_outstanding = c->outstanding;
    if (!ev_is_active(&c->held_timer)) {
        ev_timer_set(&c->held_timer, s->o.stall_ms / 1000.0, 0.0);
        ev_timer_start(s->loop, &c->held_timer);
    }
}

static void on_held_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)revents;
    struct conn *c = t->data;
    struct sim_smsc *s = c->s;
    uint64_t n = now_ms(s);
    while (c->hcount && c->held[c->hhead].due <= n) {
        struct held *h = &c->held[c->hhead];
        send_sm_resp(c, h->status, h->seq, h->msgid);
        c->hhead = (c->hhead + 1) % RESP_RING;
        c->hcount--;
        c->outstanding--;
    }
    if (c->hcount) {
        uint64_t due = c->held[c->hhead].due;
        ev_timer_set(t, due > n ? (double)(due - n) / 1000.0 : 0.0, 0.0);
        ev_timer_start(loop, t);
    }
    conn_flush(c);
}

static int tps_take(struct sim_smsc *s, int account)
{
    if (!s->o.tps)
        return 1;
    struct acct_state *a = &s->acct[account];
    uint64_t n = now_ms(s);
    if (!a->last_ms) {
        a->tokens = s->o.tps;
        a->last_ms = n;
    }
    a->tokens += (double)(n - a->last_ms) * s->o.tps / 1000.0;
    a->last_ms = n;
    if (a->tokens > s->o.tps)
        a->tokens = s->o.tps; /* a burst of one second at most */
    if (a->tokens < 1.0)
        return 0;
    a->tokens -= 1.0;
    return 1;
}

static void on_submit(struct conn *c, struct smppf_pdu *p)
{
    struct sim_smsc *s = c->s;
    uint32_t seq = p->hdr.sequence_number;
    struct smppf_sm *m = &p->u.sm;
    if (c->bt != BT_TX && c->bt != BT_TRX) {
        log_pdu(c, p, "refused=RINVBNDSTS");
        send_sm_resp(c, SMPPF_ESME_RINVBNDSTS, seq, "");
        return;
    }
    c->submits++;
    struct acct_state *a = &s->acct[c->account];
    a->submits++;
    if (s->o.drop_after && c->submits % s->o.drop_after == 0) {
        log_pdu(c, p, "fault=drop");
        conn_close(c, "fault: drop after N submits");
        return;
    }
    const char *why = NULL;
    uint32_t st = SMPPF_ESME_ROK;
    if (s->o.window && c->outstanding >= s->o.window) {
        st = SMPPF_ESME_RTHROTTLED;
        why = "refused=window";
        c->window_exceeded++;
        s->window_violations++;
    } else if (!tps_take(s, c->account)) {
        st = SMPPF_ESME_RTHROTTLED;
        why = "refused=tps";
    } else if (s->o.throttle_rate > 0 && rnd(s) < s->o.throttle_rate) {
        st = SMPPF_ESME_RTHROTTLED;
        why = "refused=fault";
    }
    log_pdu(c, p, why);
    if (st != SMPPF_ESME_ROK) {
        a->throttled++;
        send_sm_resp(c, st, seq, "");
        return;
    }
    uint64_t id = ++s->msgid;
    char mid[24];
    fmt_msgid(s->o.msgid_resp, id, mid, sizeof mid);
    struct sim_card *card = sim_world_by_msisdn(s->w, m->destination_addr);
    int outcome = card ? pick_outcome(s) : SIM_UNDELIV;
    if (!card)
        a->unknown_dst++;
    if (s->o.receipt_early)
        schedule_receipt(s, c->account, c->id, m, id, outcome, 1);
    hold_or_send(c, st, seq, mid);
    if (!s->o.receipt_early)
        schedule_receipt(s, c->account, c->id, m, id, outcome, 0);
    if (card && outcome == SIM_DELIVRD)
        to_card(s, c->account, c->id, m, card);
}

/* ---- connections: input ---- */

static void on_pdu(struct conn *c, const uint8_t *buf, size_t len)
{
    struct sim_smsc *s = c->s;
    static struct smppf_pdu p;
    c->pdus_in++;
    enum smppf_err e = smppf_decode(buf, len, &p);
    if (e != SMPPF_OK) {
        if (s->log) {
            char ts[32];
            wall_ts(ts, sizeof ts);
            fprintf(s->log, "%s %s c%u:%s malformed cmd=%08x seq=%u err=%s window=%u\n", ts,
                    acct_name(s, c->account), c->id, bt_name[c->bt], p.hdr.command_id,
                    p.hdr.sequence_number, smppf_strerror(e), c->outstanding);
        }
        uint32_t cmd = p.hdr.command_id;
        if (smppf_cmd_is_resp(cmd))
            return;
        if (e == SMPPF_ERR_CMD || !smppf_cmd_known(cmd))
            send_empty(c, SMPPF_GENERIC_NACK, SMPPF_ESME_RINVCMDID, p.hdr.sequence_number);
        else if (cmd == SMPPF_SUBMIT_SM)
            send_sm_resp(c, SMPPF_ESME_RSYSERR, p.hdr.sequence_number, "");
        else
            send_empty(c, SMPPF_GENERIC_NACK, SMPPF_ESME_RINVCMDLEN, p.hdr.sequence_number);
        return;
    }
    uint32_t cmd = p.hdr.command_id, seq = p.hdr.sequence_number;
    if (cmd == SMPPF_SUBMIT_SM) {
        on_submit(c, &p);
        return;
    }
    log_pdu(c, &p, NULL);
    switch (cmd) {
    case SMPPF_BIND_TRANSMITTER:
    case SMPPF_BIND_RECEIVER:
    case SMPPF_BIND_TRANSCEIVER:
        on_bind(c, &p);
        break;
    case SMPPF_ENQUIRE_LINK:
        send_empty(c, SMPPF_ENQUIRE_LINK_RESP, 0, seq);
        break;
    case SMPPF_UNBIND:
        send_empty(c, SMPPF_UNBIND_RESP, 0, seq);
        c->bt = BT_NONE;
        c->closing = 1;
        break;
    case SMPPF_DELIVER_SM_RESP:
        dlv_resp(c, seq, p.hdr.command_status);
        break;
    case SMPPF_ENQUIRE_LINK_RESP:
    case SMPPF_UNBIND_RESP:
    case SMPPF_GENERIC_NACK:
        break;
    default:
        if (!smppf_cmd_is_resp(cmd))
            send_empty(c, SMPPF_GENERIC_NACK, SMPPF_ESME_RINVCMDID, seq);
    }
}

static void conn_parse(struct conn *c)
{
    size_t off = 0;
    while (!c->dead && c->rlen - off >= SMPPF_HDR_LEN) {
        struct smppf_hdr h;
        enum smppf_err e = smppf_header_check(c->rbuf + off, c->rlen - off, &h);
        if (e == SMPPF_ERR_LEN) {
            conn_close(c, "bad command_length: stream not framed");
            return;
        }
        if (c->rlen - off < h.command_length)
            break;
        /* smppf may read a NUL past the PDU: give it one (LIBSMPP34.md). */
        uint8_t save = c->rbuf[off + h.command_length];
        c->rbuf[off + h.command_length] = 0;
        on_pdu(c, c->rbuf + off, h.command_length);
        if (c->dead)
            return;
        c->rbuf[off + h.command_length] = save;
        off += h.command_length;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static void on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = w->data;
    struct sim_smsc *s = c->s;
    for (int rounds = 0; rounds < 16 && !c->dead; rounds++) {
        if (c->ssl && !c->tls_done) {
            ERR_clear_error();
            int r = SSL_accept(c->ssl);
            if (r == 1) {
                c->tls_done = 1;
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                break;
            conn_close(c, "tls handshake failed");
            return;
        }
        ssize_t n = conn_io(c, 0, c->rbuf + c->rlen, RBUF_CAP - c->rlen);
        if (n < 0)
            return;
        if (n == 0)
            break;
        c->rlen += (size_t)n;
        c->last_rx_ms = now_ms(s);
        conn_parse(c);
        if (c->rlen == RBUF_CAP) {
            conn_close(c, "read buffer full");
            return;
        }
    }
    if (!c->dead)
        conn_flush(c);
}

static void on_write(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    conn_flush(w->data);
}

/* The SMSC's own enquire_link (SMPP 3.4 §4.11) after enquire_s idle. */
static void on_el_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct conn *c = t->data;
    if (c->bt != BT_NONE) {
        send_empty(c, SMPPF_ENQUIRE_LINK, 0, ++c->out_seq);
        conn_flush(c);
    }
}

static void conn_free(struct conn *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    free(c->held);
    for (unsigned i = 0; i < c->ndlv; i++)
        free(c->dlv[i].e);
    free(c->dlv);
    free(c->wbuf);
    free(c);
}

static void conn_close(struct conn *c, const char *why)
{
    struct sim_smsc *s = c->s;
    if (c->dead)
        return;
    c->dead = 1;
    slog(s, "[account=%s conn=%u] closed: %s", acct_name(s, c->account), c->id, why);
    if (s->log) {
        char ts[32];
        wall_ts(ts, sizeof ts);
        fprintf(s->log, "%s %s c%u:%s closed reason=%s window=%u\n", ts, acct_name(s, c->account),
                c->id, bt_name[c->bt], why, c->outstanding);
    }
    ev_io_stop(s->loop, &c->rio);
    ev_io_stop(s->loop, &c->wio);
    ev_timer_stop(s->loop, &c->el_timer);
    ev_timer_stop(s->loop, &c->held_timer);
    close(c->fd);
    c->fd = -1;
    c->bt = BT_NONE;
    for (unsigned i = 0; i < c->ndlv; i++) /* unanswered: the SMSC tries again */
        dlv_again(s, c->dlv[i].e);
    c->ndlv = 0;
    /* Freed at the next flush tick: callers up the stack still hold c. */
}

static void reap(struct sim_smsc *s)
{
    struct conn **pp = &s->conns;
    while (*pp) {
        struct conn *c = *pp;
        if (c->dead) {
            *pp = c->next;
            conn_free(c);
        } else {
            pp = &c->next;
        }
    }
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct listener *l = w->data;
    struct sim_smsc *s = l->s;
    for (;;) {
        int fd = accept(l->fd, NULL, NULL);
        if (fd < 0)
            return;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        c->id = ++s->next_conn_id;
        c->account = l->account;
        c->listen_account = l->account;
        if (s->tls) {
            c->ssl = SSL_new(s->tls);
            if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
                conn_free(c);
                close(fd);
                continue;
            }
        }
        ev_io_init(&c->rio, on_read, fd, EV_READ);
        ev_io_init(&c->wio, on_write, fd, EV_WRITE);
        c->rio.data = c->wio.data = c;
        ev_timer_init(&c->el_timer, on_el_timer, s->o.enquire_s, s->o.enquire_s);
        c->el_timer.data = c;
        ev_timer_init(&c->held_timer, on_held_timer, 0, 0);
        c->held_timer.data = c;
        ev_io_start(loop, &c->rio);
        if (s->o.enquire_s)
            ev_timer_start(loop, &c->el_timer);
        c->next = s->conns;
        s->conns = c;
        slog(s, "[conn=%u] accepted on port %u", c->id, l->port);
    }
}

/* ---- state and control ---- */

static void dump_smsc(struct sim_smsc *s, FILE *f)
{
    fprintf(f,
            "smsc.pdus_sent %llu\nsmsc.malformed_sent %llu\nsmsc.binds %llu\n"
            "smsc.binds_refused %llu\nsmsc.window_violations %llu\nsmsc.deliver_fallback %llu\n",
            (unsigned long long)s->pdus_sent, (unsigned long long)s->malformed_sent,
            (unsigned long long)s->binds, (unsigned long long)s->binds_refused,
            (unsigned long long)s->window_violations, (unsigned long long)s->deliver_fallback);
    for (unsigned i = 0; i < s->o.naccounts; i++) {
        const struct acct_state *a = &s->acct[i];
        const char *n = s->o.accounts[i].name;
        fprintf(f,
                "account.%s.submits %llu\naccount.%s.throttled %llu\naccount.%s.receipts "
                "%llu\naccount.%s.mo %llu\naccount.%s.unknown_dst %llu\n"
                "account.%s.redelivered %llu\naccount.%s.dlv_refused %llu\n",
                n, (unsigned long long)a->submits, n, (unsigned long long)a->throttled, n,
                (unsigned long long)a->receipts, n, (unsigned long long)a->mo, n,
                (unsigned long long)a->unknown_dst, n, (unsigned long long)a->redelivered, n,
                (unsigned long long)a->dlv_refused);
    }
    unsigned maxw = 0;
    for (struct conn *c = s->conns; c; c = c->next) {
        if (c->dead)
            continue;
        fprintf(f, "conn.%u.account %s\nconn.%u.bind %s\nconn.%u.max_window %u\n", c->id,
                acct_name(s, c->account), c->id, bt_name[c->bt], c->id, c->max_outstanding);
        if (c->max_outstanding > maxw)
            maxw = c->max_outstanding;
    }
    fprintf(f, "smsc.max_window %u\n", maxw);
}

void sim_smsc_dump_state(struct sim_smsc *s)
{
    if (!s->o.state_path)
        return;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->o.state_path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    sim_cards_dump(s->w, NULL, f);
    dump_smsc(s, f);
    if (fclose(f) == 0)
        rename(tmp, s->o.state_path);
}

static int set_fault(struct sim_smsc *s, const char *name, const char *val)
{
    char *end;
    double d = strtod(val, &end);
    if (end == val || *end || d < 0)
        return -1;
    unsigned u = (unsigned)d;
    if (strcmp(name, "drop-after") == 0)
        s->o.drop_after = u;
    else if (strcmp(name, "stall-ms") == 0)
        s->o.stall_ms = u;
    else if (strcmp(name, "reject-binds-for-ms") == 0)
        s->reject_until_ms = now_ms(s) + u;
    else if (strcmp(name, "throttle-rate") == 0 && d <= 1)
        s->o.throttle_rate = d;
    else if (strcmp(name, "malformed-every") == 0)
        s->o.malformed_every = u;
    else if (strcmp(name, "tps") == 0)
        s->o.tps = u;
    else if (strcmp(name, "window") == 0)
        s->o.window = u;
    else if (strcmp(name, "receipt-delay-ms") == 0)
        s->o.receipt_delay_ms = u;
    else if (strcmp(name, "por-delay-ms") == 0)
        s->o.por_delay_ms = u;
    else if (strcmp(name, "drop-all") == 0) {
        for (struct conn *c = s->conns; c; c = c->next)
            conn_close(c, "fault: drop-all");
    } else
        return -1;
    return 0;
}

static void ctl_close(struct ctl *k)
{
    struct sim_smsc *s = k->s;
    ev_io_stop(s->loop, &k->io);
    close(k->fd);
    for (struct ctl **pp = &s->ctls; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            break;
        }
    free(k);
}

/* One command line from the control port; the answer ends with "." alone
 * on a line (or "ok" / "error ..."). */
static void ctl_command(struct ctl *k, char *line)
{
    struct sim_smsc *s = k->s;
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f)
        return;
    char *save = NULL, *cmd = strtok_r(line, " \t\r", &save);
    char *a1 = strtok_r(NULL, " \t\r", &save), *a2 = strtok_r(NULL, " \t\r", &save);
    if (!cmd) {
        fclose(f);
        free(buf);
        return;
    } else if (strcmp(cmd, "dump") == 0) {
        sim_cards_dump(s->w, NULL, f);
        dump_smsc(s, f);
        fputs(".\n", f);
    } else if (strcmp(cmd, "card") == 0 && a1) {
        if (sim_cards_dump(s->w, a1, f) == 0)
            fputs("error unknown card\n", f);
        fputs(".\n", f);
    } else if (strcmp(cmd, "stats") == 0) {
        dump_smsc(s, f);
        fputs(".\n", f);
    } else if (strcmp(cmd, "fault") == 0 && a1 && a2) {
        fputs(set_fault(s, a1, a2) == 0 ? "ok\n" : "error unknown fault or value\n", f);
    } else if (strcmp(cmd, "flush") == 0) {
        if (s->log)
            fflush(s->log);
        if (s->journal)
            fflush(s->journal);
        sim_smsc_dump_state(s);
        fputs("ok\n", f);
    } else {
        fputs("error commands: dump | card ICCID | stats | fault NAME VALUE | flush\n", f);
    }
    fclose(f);
    /* Small answers to a test client on localhost: a blocking write is
     * fine, and keeps this path simple. */
    fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) & ~O_NONBLOCK);
    for (size_t off = 0; off < blen;) {
        ssize_t n = send(k->fd, buf + off, blen - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    fcntl(k->fd, F_SETFL, fcntl(k->fd, F_GETFL) | O_NONBLOCK);
    free(buf);
}

static void on_ctl_read(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    (void)revents;
    struct ctl *k = w->data;
    ssize_t n = recv(k->fd, k->buf + k->len, sizeof k->buf - 1 - k->len, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        ctl_close(k);
        return;
    }
    k->len += (size_t)n;
    k->buf[k->len] = 0;
    char *nl;
    while ((nl = strchr(k->buf, '\n'))) {
        *nl = 0;
        ctl_command(k, k->buf);
        size_t used = (size_t)(nl + 1 - k->buf);
        memmove(k->buf, nl + 1, k->len - used + 1);
        k->len -= used;
    }
    if (k->len == sizeof k->buf - 1)
        ctl_close(k); /* a line too long */
}

static void on_ctl_accept(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct listener *l = w->data;
    int fd = accept(l->fd, NULL, NULL);
    if (fd < 0)
        return;
    struct ctl *k = calloc(1, sizeof *k);
    if (!k) {
        close(fd);
        return;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    k->fd = fd;
    k->s = l->s;
    ev_io_init(&k->io, on_ctl_read, fd, EV_READ);
    k->io.data = k;
    ev_io_start(loop, &k->io);
    k->next = l->s->ctls;
    l->s->ctls = k;
}

static void on_flush(struct ev_loop *loop, ev_timer *t, int revents)
{
    (void)loop;
    (void)revents;
    struct sim_smsc *s = t->data;
    if (s->log)
        fflush(s->log);
    if (s->journal)
        fflush(s->journal);
    reap(s);
}

/* ---- setup ---- */

static int listen_on(const char *host, uint16_t port, uint16_t *bound)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
        return -EINVAL;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    socklen_t al = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &al);
    *bound = ntohs(a.sin_port);
    return fd;
}

struct sim_smsc *sim_smsc_new(struct ev_loop *loop, struct sim_world *w, const struct sim_opts *o,
                              char *err, size_t errlen)
{
    struct sim_smsc *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->loop = loop;
    s->w = w;
    s->o = *o;
    s->rng = o->seed ? o->seed : 0x9e3779b97f4a7c15ull;
    s->msgid = (o->seed % 1000) * 1000000 + 1000; /* distinct ids across --seed runs */
    if (o->msgid_start)
        s->msgid = o->msgid_start - 1;
    ev_timer_init(&s->heap_timer, on_heap_timer, 0, 0);
    s->heap_timer.data = s;
    ev_timer_init(&s->flush_timer, on_flush, 0.1, 0.1);
    s->flush_timer.data = s;
    ev_timer_start(loop, &s->flush_timer);
    s->start_ms = now_ms(s);
    s->reject_until_ms = s->start_ms + o->reject_binds_ms;
    if (o->tls_cert) {
        s->tls = SSL_CTX_new(TLS_server_method());
        if (!s->tls || SSL_CTX_use_certificate_chain_file(s->tls, o->tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(s->tls, o->tls_key, SSL_FILETYPE_PEM) != 1) {
            snprintf(err, errlen, "TLS: cannot load %s / %s", o->tls_cert, o->tls_key);
            goto fail;
        }
        SSL_CTX_set_mode(s->tls,
                         SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    if (o->log_path && !(s->log = fopen(o->log_path, "a"))) {
        snprintf(err, errlen, "%s: %s", o->log_path, strerror(errno));
        goto fail;
    }
    if (o->journal_path && !(s->journal = fopen(o->journal_path, "a"))) {
        snprintf(err, errlen, "%s: %s", o->journal_path, strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < o->nlisten; i++) {
        struct listener *l = &s->listeners[s->nlisteners];
        int fd = listen_on(o->listen[i].host, o->listen[i].port, &l->port);
        if (fd < 0) {
            snprintf(err, errlen, "listen %s:%u: %s", o->listen[i].host, o->listen[i].port,
                     strerror(-fd));
            goto fail;
        }
        l->fd = fd;
        l->account = o->listen[i].account;
        l->s = s;
        ev_io_init(&l->io, on_accept, fd, EV_READ);
        l->io.data = l;
        ev_io_start(loop, &l->io);
        s->nlisteners++;
    }
    s->control.fd = -1;
    if (o->control_port) {
        int fd = listen_on("127.0.0.1", o->control_port, &s->control.port);
        if (fd < 0) {
            snprintf(err, errlen, "control port %u: %s", o->control_port, strerror(-fd));
            goto fail;
        }
        s->control.fd = fd;
        s->control.s = s;
        ev_io_init(&s->control.io, on_ctl_accept, fd, EV_READ);
        s->control.io.data = &s->control;
        ev_io_start(loop, &s->control.io);
    }
    return s;
fail:
    sim_smsc_free(s);
    return NULL;
}

uint16_t sim_smsc_port(const struct sim_smsc *s, unsigned i)
{
    return i < s->nlisteners ? s->listeners[i].port : 0;
}

void sim_smsc_free(struct sim_smsc *s)
{
    if (!s)
        return;
    sim_smsc_dump_state(s);
    for (struct conn *c = s->conns; c; c = c->next) {
        conn_flush(c);
        conn_close(c, "shutdown");
    }
    reap(s);
    while (s->ctls)
        ctl_close(s->ctls);
    for (unsigned i = 0; i < s->nlisteners; i++) {
        ev_io_stop(s->loop, &s->listeners[i].io);
        close(s->listeners[i].fd);
    }
    if (s->control.fd >= 0 && s->o.control_port) {
        ev_io_stop(s->loop, &s->control.io);
        close(s->control.fd);
    }
    ev_timer_stop(s->loop, &s->heap_timer);
    ev_timer_stop(s->loop, &s->flush_timer);
    for (size_t i = 0; i < s->nheap; i++)
        free(s->heap[i]);
    for (size_t i = 0; i < s->npool; i++)
        free(s->pool[i]);
    free(s->heap);
    free(s->pool);
    if (s->log)
        fclose(s->log);
    if (s->journal)
        fclose(s->journal);
    if (s->tls)
        SSL_CTX_free(s->tls);
    free(s);
}
