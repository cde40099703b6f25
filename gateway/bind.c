/* bind.c — a carrier's SMPP binds on a libev loop (see bind.h).
 *
 * Reading order: logging shim, state table, queue, throttle, connection
 * I/O (plain or TLS), the reader, PDU handlers, the pump that turns queued
 * SMs into submit_sm within window and TPS, timers, close path, public API.
 *
 * One loop iteration of a busy bind: the reader takes every whole PDU out
 * of one recv() (submit_sm_resp frees window slots), and the link's
 * ev_prepare watcher, which runs once before the loop blocks again, refills
 * the windows from the queue and writes each bind's output with one send().
 * So a burst of 100 responses costs one read, 100 encodes and one write.
 *
 * Nothing here allocates per SM: the queue is a ring of struct gw_sm, each
 * bind's window an array of slots indexed by sequence number, and each bind
 * owns one input and one output buffer sized at creation. */
/* getaddrinfo_a (glibc; in libc itself since 2.34) */
#define _GNU_SOURCE
#include "gateway/bind.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "codec/smppf.h"
#include "gateway/log.h"

#define IN_CAP         (4 * SMPPF_PDU_MAX)
#define OUT_CAP        (256 * 1024)
#define OUT_HIGH       (OUT_CAP - 2 * SMPPF_PDU_MAX) /* stop encoding above this */
#define QUEUE_DEFAULT  4096
#define SEQ_MAX        0x7FFFFFFFu /* §5.1.4: 0x00000001 .. 0x7FFFFFFF */
#define THROTTLE_MIN_S 0.1         /* first pause after ESME_RTHROTTLED */
#define THROTTLE_MAX_S 5.0
#define STABLE_BOUND_S 10.0 /* bound this long: the back-off starts over */
/* The send log's window is this much over one second, for the jitter
 * between our clock and the SMSC's reading of the wire. */
#define TPS_MARGIN_S 0.004

/* The link hands conf->msgid_format to codec/dlr as enum dlr_idfmt. */
_Static_assert((int)GW_MSGID_AUTO == (int)DLR_ID_AUTO && (int)GW_MSGID_HEX == (int)DLR_ID_HEX &&
                   (int)GW_MSGID_DEC == (int)DLR_ID_DEC &&
                   (int)GW_MSGID_STRING == (int)DLR_ID_STRING &&
                   (int)GW_MSGID_HEX_DEC == (int)DLR_ID_HEX_DEC &&
                   (int)GW_MSGID_DEC_HEX == (int)DLR_ID_DEC_HEX,
               "enum gw_msgid_format and enum dlr_idfmt must keep one order");

/* ---- logging (gateway/log.h, subsystem "bind") --------------------------- */

void gw_link_log_level(int level)
{
    struct gw_log_opts o = {.level = level};
    gw_log_setup(&o);
}

struct gw_bind;
static void blog(const struct gw_bind *b, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- objects -------------------------------------------------------------- */

struct qent {
    struct gw_sm sm;
    uint64_t order; /* queue order, kept across requeues */
};

struct slot {
    struct qent e;
    uint32_t seq;     /* 0: free */
    uint64_t out_end; /* output stream offset just past its submit_sm */
    ev_timer t;       /* its response timer (STYLE.md §2) */
    struct gw_bind *b;
    int late;       /* unanswered past response_timeout, owner told "unknown" */
    void *late_tok; /* what the owner gave for the late answer (freed here) */
};

struct gw_bind {
    struct gw_link *l;
    unsigned num; /* 1-based, as logged */
    enum gw_bind_role role;
    enum gw_bind_state st;
    int fd;
    SSL *ssl;
    ev_io io;
    int io_events;
    ev_timer reconnect_t; /* back-off */
    ev_timer enq_t;       /* idle: send enquire_link */
    ev_timer ctl_t;       /* bind_resp / enquire_link_resp / unbind_resp deadline */
    unsigned attempts;
    ev_tstamp bound_at, last_rx, enq_sent;
    uint32_t ctl_seq; /* seq of the bind/enquire_link/unbind awaiting answer */
    uint32_t ctl_cmd; /* its command_id, 0 when none */
    /* reader */
    uint8_t *in;
    size_t in_len;
    /* writer */
    uint8_t *out;
    size_t out_off, out_len;
    uint64_t out_base; /* stream offset of out[0] */
    uint64_t written;  /* stream offset written to the socket */
    int ssl_want_write;
    /* window */
    struct slot *win;
    unsigned win_mask, win_used;
    unsigned win_late; /* of win_used: slots waiting for a late answer */
    /* with a TPS limit: stream offsets just past each submit not yet
     * taken by send(), oldest first (a ring of win_mask + 1) */
    uint64_t *pend_end;
    unsigned pend_head, pend_n;
    uint32_t next_seq;
    /* bumped each time the connection closes: a deferred deliver_sm_resp
     * names the session its sequence number belongs to */
    uint32_t session;
    /* name resolution off the loop (getaddrinfo_a, polled by gai_t) */
    struct gaicb gai;
    struct addrinfo gai_hints;
    char gai_port[8];
    int gai_busy;   /* a request is in flight (glibc's thread owns gai) */
    int gai_wanted; /* a connect attempt waits for it (0: abandoned) */
    double gai_poll;
    ev_timer gai_t;
    /* the addresses of this attempt, tried in order */
    struct addrinfo *ai_list, *ai_cur;
    /* deferred release (Redis freeClientAsync): closed in the callback,
     * released before the loop blocks again */
    int dead_fd;
    SSL *dead_ssl;
};

struct gw_link {
    struct ev_loop *loop;
    struct gw_carrier conf;
    enum dlr_idfmt idfmt;
    struct gw_link_cbs cbs;
    void *owner;
    SSL_CTX *ssl_ctx;
    struct gw_bind *binds;
    unsigned nbinds, window;
    /* queue: a ring used as a deque */
    struct qent *q;
    size_t qcap, qhead, qlen;
    uint64_t next_order;
    /* throttle: GCRA pacing at 1/tps plus a log of the last tps send times
     * so that no one-second window ever holds more than tps submits */
    double interval, tat, catchup;
    double *sendlog; /* departures, CLOCK_MONOTONIC, oldest at loghead */
    unsigned logcap, loghead, logn;
    unsigned tps_pending; /* submits encoded, not yet taken by send() */
    ev_timer tps_t;
    /* ESME_RTHROTTLED / ESME_RMSGQFUL back-off */
    ev_timer pause_t;
    int paused;
    double pause_s;
    ev_prepare prep;
    unsigned rr;
    int draining, drained_told, reap;
    uint64_t rnd;
    struct gw_link_stats st;
    /* The deliver_sm being handed to the owner: its resp status, which the
     * owner may set from its callback (gw_link_deliver_status). */
    int in_deliver;
    uint32_t dlv_status;
    int dlv_deferred;         /* the owner took gw_link_deliver_defer */
    struct gw_bind *dlv_bind; /* the deliver_sm being handed over */
    uint32_t dlv_seq;
};

/* ---- logging ------------------------------------------------------------- */

/* Level checked before formatting; the identity as log.h's key=value pairs. */
static void vlog_obj(int level, const char *obj, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    gw_log_write(level, "bind", obj, "%s", msg);
}

static void blog(const struct gw_bind *b, int level, const char *fmt, ...)
{
    if (level > gw_log_level)
        return;
    char obj[96];
    snprintf(obj, sizeof obj, "carrier=%s bind=%u role=%s", b->l->conf.name, b->num,
             gw_bind_role_name(b->role));
    va_list ap;
    va_start(ap, fmt);
    vlog_obj(level, obj, fmt, ap);
    va_end(ap);
}

static void llog(const struct gw_link *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void llog(const struct gw_link *l, int level, const char *fmt, ...)
{
    if (level > gw_log_level)
        return;
    char obj[64];
    snprintf(obj, sizeof obj, "carrier=%s", l->conf.name);
    va_list ap;
    va_start(ap, fmt);
    vlog_obj(level, obj, fmt, ap);
    va_end(ap);
}

/* ---- state table ---------------------------------------------------------- */

const char *gw_bind_state_name(enum gw_bind_state s)
{
    static const char *const n[GW_BIND_NSTATES] = {"DISCONNECTED", "CONNECTING", "TLS",
                                                   "BINDING",      "BOUND",      "UNBINDING"};
    return (unsigned)s < GW_BIND_NSTATES ? n[s] : "?";
}

const char *gw_bind_role_name(enum gw_bind_role r)
{
    return r == GW_ROLE_TRX ? "trx" : r == GW_ROLE_TX ? "tx" : "rx";
}

#define S(x) (1u << GW_BIND_##x)
/* docs/smpp.md "Bind states": the only transitions there are. */
static const unsigned transitions[GW_BIND_NSTATES] = {
    [GW_BIND_DISCONNECTED] = S(CONNECTING),
    [GW_BIND_CONNECTING] = S(TLS) | S(BINDING) | S(DISCONNECTED),
    [GW_BIND_TLS] = S(BINDING) | S(DISCONNECTED),
    [GW_BIND_BINDING] = S(BOUND) | S(DISCONNECTED),
    [GW_BIND_BOUND] = S(UNBINDING) | S(DISCONNECTED),
    [GW_BIND_UNBINDING] = S(DISCONNECTED),
};
#undef S

int gw_bind_transition_ok(enum gw_bind_state from, enum gw_bind_state to)
{
    if ((unsigned)from >= GW_BIND_NSTATES || (unsigned)to >= GW_BIND_NSTATES)
        return 0;
    return (transitions[from] >> to) & 1u;
}

/* The one place a bind's state changes. */
static int set_state(struct gw_bind *b, enum gw_bind_state to, const char *reason)
{
    enum gw_bind_state from = b->st;
    if (!gw_bind_transition_ok(from, to)) {
        blog(b, 3, "refused transition %s -> %s (%s)", gw_bind_state_name(from),
             gw_bind_state_name(to), reason);
        return -EINVAL;
    }
    b->st = to;
    blog(b, to == GW_BIND_DISCONNECTED && from == GW_BIND_BOUND ? 4 : 6, "%s -> %s (%s)",
         gw_bind_state_name(from), gw_bind_state_name(to), reason);
    if (b->l->cbs.state)
        b->l->cbs.state(b->l->owner, b->l->conf.name, b->num, b->role, from, to, reason);
    return 0;
}

/* ---- retry/fail table ----------------------------------------------------- */

/* docs/smpp.md "command_status: retry or fail". Transient: the SMSC or the
 * network may take the same SM later. Permanent: this SM (its address, its
 * content, our account) is wrong and will be wrong again. */
enum gw_verdict gw_bind_verdict(uint32_t status)
{
    switch (status) {
    case SMPPF_ESME_ROK:
        return GW_VERDICT_OK;
    case SMPPF_ESME_RTHROTTLED: /* handled by the link: pause + resend */
    case SMPPF_ESME_RMSGQFUL:
    case SMPPF_ESME_RSYSERR:
    case SMPPF_ESME_RSUBMITFAIL:
    case SMPPF_ESME_RX_T_APPN:
    case SMPPF_ESME_RINVBNDSTS: /* bind state raced: another bind will take it */
    case SMPPF_ESME_RUNKNOWNERR:
    case SMPPF_ESME_RDELIVERYFAILURE:
        return GW_VERDICT_RETRY;
    default:
        break;
    }
    /* Vendor codes (0x400-0x4FF) are unknown to us: retrying is cheaper
     * than losing a job, and max_attempts bounds it. */
    if (status >= 0x400 && status <= 0x4FF)
        return GW_VERDICT_RETRY;
    return GW_VERDICT_FAIL;
}

/* ---- queue ----------------------------------------------------------------- */

static struct qent *q_at(struct gw_link *l, size_t i)
{
    return &l->q[(l->qhead + i) % l->qcap];
}

static void q_push_back(struct gw_link *l, const struct qent *e)
{
    *q_at(l, l->qlen) = *e;
    l->qlen++;
}

/* Back at the head, in queue order among the others that came back. */
static int q_push_front_ordered(struct gw_link *l, const struct qent *e)
{
    if (l->qlen == l->qcap)
        return -ENOBUFS;
    l->qhead = (l->qhead + l->qcap - 1) % l->qcap;
    l->qlen++;
    size_t i = 0;
    *q_at(l, 0) = *e;
    while (i + 1 < l->qlen && q_at(l, i + 1)->order < q_at(l, i)->order) {
        struct qent t = *q_at(l, i);
        *q_at(l, i) = *q_at(l, i + 1);
        *q_at(l, i + 1) = t;
        i++;
    }
    return 0;
}

static void q_pop_front(struct gw_link *l, struct qent *e)
{
    *e = l->q[l->qhead];
    l->qhead = (l->qhead + 1) % l->qcap;
    l->qlen--;
}

/* ---- throttle --------------------------------------------------------- */

/* The send log runs on CLOCK_MONOTONIC: a wall-clock step must not open
 * or close the one-second windows. */
static double mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* How long until the next submit may go; 0 = now. now: ev_now (pacing),
 * mnow: mono_now() (the log).
 *
 * The guarantee, on departure times (the moment send() took a submit's
 * last octet; the log records them, see tps_departed): for any future
 * departure T of the candidate, the departures in (T - W, T] (W = 1 s +
 * TPS_MARGIN_S) are among the logged ones later than mnow - W, the
 * submits encoded but not yet departed (tps_pending) and the candidate.
 * Holding that sum to tps holds every window of W, so every one-second
 * window, to tps, whatever the pacing or the write buffering did. */
static double tps_wait(const struct gw_link *l, double now, double mnow)
{
    if (!l->conf.tps)
        return 0;
    double w = l->tat - now;
    long need = (long)l->logn + (long)l->tps_pending + 1 - (long)l->logcap;
    if (need > 0) {
        double w2;
        if ((unsigned long)need > l->logn)
            w2 = l->interval; /* tps submits not yet out: wait for writes */
        else                  /* the need-th oldest departure must leave the window */
            w2 = l->sendlog[(l->loghead + (unsigned)need - 1) % l->logcap] + 1.0 + TPS_MARGIN_S -
                 mnow;
        if (w2 > w)
            w = w2;
    }
    return w > 0 ? w : 0;
}

/* A submit was encoded into a bind's output (pacing); it counts as
 * pending until tps_departed() logs it. */
static void tps_take(struct gw_link *l, double now)
{
    if (!l->conf.tps)
        return;
    /* Late by less than the catch-up allowance (timer latency): advance
     * from the previous slot, not from now, or latency lowers the rate.
     * Later than that (idle): start afresh from now, no burst. The send
     * log still caps every one-second window at tps. */
    if (l->tat < now - l->catchup)
        l->tat = now;
    l->tat += l->interval;
}

static void tps_log(struct gw_link *l, double t)
{
    if (l->logn == l->logcap) {
        l->sendlog[l->loghead] = t;
        l->loghead = (l->loghead + 1) % l->logcap;
    } else {
        l->sendlog[(l->loghead + l->logn) % l->logcap] = t;
        l->logn++;
    }
}

/* After a write: log the departure of every submit whose last octet the
 * socket has now taken, stamped after send() returned (never earlier than
 * the real departure, so the log errs on the safe side). */
static void tps_departed(struct gw_bind *b)
{
    struct gw_link *l = b->l;
    double t = 0;
    while (b->pend_n && b->pend_end[b->pend_head] <= b->written) {
        if (!t)
            t = mono_now();
        tps_log(l, t);
        b->pend_head = (b->pend_head + 1) & b->win_mask;
        b->pend_n--;
        l->tps_pending--;
    }
}

/* ---- I/O ------------------------------------------------------------------ */

static void io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void set_events(struct gw_bind *b, int ev)
{
    if (b->fd < 0 || ev == b->io_events)
        return;
    ev_io_stop(b->l->loop, &b->io);
    ev_io_set(&b->io, b->fd, ev);
    if (ev)
        ev_io_start(b->l->loop, &b->io);
    b->io_events = ev;
}

static void update_events(struct gw_bind *b)
{
    int ev = EV_READ;
    if (b->st == GW_BIND_CONNECTING || b->out_len > b->out_off || b->ssl_want_write)
        ev |= EV_WRITE;
    set_events(b, ev);
}

/* The one close path (STYLE.md §2). */
static void gw_bind_close(struct gw_bind *b, const char *reason);

static const char *ssl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "no OpenSSL error";
    ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

/* Returns > 0 octets, 0 at EOF, -EAGAIN, or another -errno. */
static ssize_t b_recv(struct gw_bind *b, uint8_t *p, size_t n)
{
    if (b->ssl) {
        int r = SSL_read(b->ssl, p, (int)n);
        if (r > 0)
            return r;
        switch (SSL_get_error(b->ssl, r)) {
        case SSL_ERROR_WANT_READ:
            return -EAGAIN;
        case SSL_ERROR_WANT_WRITE:
            b->ssl_want_write = 1;
            return -EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        default:
            return -EIO;
        }
    }
    ssize_t r = recv(b->fd, p, n, 0);
    if (r >= 0)
        return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

static ssize_t b_send(struct gw_bind *b, const uint8_t *p, size_t n)
{
    if (b->ssl) {
        int r = SSL_write(b->ssl, p, (int)(n > INT32_MAX ? INT32_MAX : n));
        if (r > 0)
            return r;
        switch (SSL_get_error(b->ssl, r)) {
        case SSL_ERROR_WANT_WRITE:
        case SSL_ERROR_WANT_READ:
            return -EAGAIN;
        default:
            return -EIO;
        }
    }
    ssize_t r = send(b->fd, p, n, MSG_NOSIGNAL);
    if (r >= 0)
        return r;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

/* Writes what is buffered; 0 or -errno (the caller closes). */
static int flush(struct gw_bind *b)
{
    b->ssl_want_write = 0;
    while (b->out_len > b->out_off) {
        ssize_t r = b_send(b, b->out + b->out_off, b->out_len - b->out_off);
        if (r == -EAGAIN)
            break;
        if (r < 0)
            return (int)r;
        b->out_off += (size_t)r;
        b->written += (uint64_t)r;
    }
    if (b->pend_n)
        tps_departed(b);
    if (b->out_off == b->out_len) {
        b->out_base += b->out_len;
        b->out_off = b->out_len = 0;
    } else if (b->out_off > OUT_CAP / 2) {
        memmove(b->out, b->out + b->out_off, b->out_len - b->out_off);
        b->out_base += b->out_off;
        b->out_len -= b->out_off;
        b->out_off = 0;
    }
    update_events(b);
    return 0;
}

/* Room for one more PDU of at most n octets. */
static uint8_t *out_room(struct gw_bind *b, size_t n)
{
    if (OUT_CAP - b->out_len < n) {
        if (b->out_off) {
            memmove(b->out, b->out + b->out_off, b->out_len - b->out_off);
            b->out_base += b->out_off;
            b->out_len -= b->out_off;
            b->out_off = 0;
        }
        if (OUT_CAP - b->out_len < n)
            return NULL;
    }
    return b->out + b->out_len;
}

static int out_commit(struct gw_bind *b, size_t n)
{
    b->out_len += n;
    return 0;
}

static uint32_t next_seq(struct gw_bind *b)
{
    uint32_t s = b->next_seq;
    b->next_seq = s >= SEQ_MAX ? 1 : s + 1;
    return s;
}

/* Queues a PDU without a body (or the two message_id resps) for writing. */
static int send_simple(struct gw_bind *b, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t *p = out_room(b, SMPPF_HDR_LEN + 1);
    if (!p)
        return -ENOBUFS;
    size_t n = id == SMPPF_DELIVER_SM_RESP
                   ? smppf_encode_sm_resp(id, status, seq, "", p, SMPPF_HDR_LEN + 1)
                   : smppf_encode_empty(id, status, seq, p, SMPPF_HDR_LEN);
    if (id == SMPPF_DELIVER_SM_RESP && status)
        n = smppf_encode_empty(id, status, seq, p, SMPPF_HDR_LEN);
    return out_commit(b, n);
}

/* ---- connecting --------------------------------------------------------- */

static double rnd01(struct gw_link *l)
{
    /* xorshift64*: jitter only, not a secret */
    l->rnd ^= l->rnd >> 12, l->rnd ^= l->rnd << 25, l->rnd ^= l->rnd >> 27;
    return (double)((l->rnd * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

/* Exponential back-off with jitter, capped: min * 2^attempts, taken
 * uniformly in [d/2, d] ("equal jitter") so that many binds that dropped
 * together do not come back together. */
static void schedule_reconnect(struct gw_bind *b)
{
    struct gw_link *l = b->l;
    if (l->draining)
        return;
    double lo = (l->conf.reconnect_min_ms ? l->conf.reconnect_min_ms : 1000) / 1000.0;
    double hi = (l->conf.reconnect_max_ms ? l->conf.reconnect_max_ms : 60000) / 1000.0;
    if (hi < lo)
        hi = lo;
    double d = lo * ldexp(1.0, (int)(b->attempts > 30 ? 30 : b->attempts));
    if (d > hi)
        d = hi;
    d = d / 2 + d / 2 * rnd01(l);
    b->attempts++;
    ev_timer_stop(l->loop, &b->reconnect_t);
    ev_timer_set(&b->reconnect_t, d, 0.);
    ev_timer_start(l->loop, &b->reconnect_t);
    blog(b, 6, "reconnect in %.3f s (attempt %u)", d, b->attempts);
}

static int send_bind(struct gw_bind *b)
{
    const struct gw_carrier *c = &b->l->conf;
    struct smppf_pdu p;
    memset(&p, 0, sizeof p);
    p.hdr.command_id = b->role == GW_ROLE_TRX  ? SMPPF_BIND_TRANSCEIVER
                       : b->role == GW_ROLE_TX ? SMPPF_BIND_TRANSMITTER
                                               : SMPPF_BIND_RECEIVER;
    p.hdr.sequence_number = next_seq(b);
    memcpy(p.u.bind.system_id, c->system_id, sizeof p.u.bind.system_id);
    memcpy(p.u.bind.password, c->password, sizeof p.u.bind.password);
    memcpy(p.u.bind.system_type, c->system_type, sizeof p.u.bind.system_type);
    p.u.bind.interface_version = 0x34;
    p.u.bind.addr_ton = c->src_ton;
    p.u.bind.addr_npi = c->src_npi;
    uint8_t *o = out_room(b, 128);
    size_t n = 0;
    enum smppf_err e = o ? smppf_encode(&p, o, 128, &n) : SMPPF_ERR_SPACE;
    OPENSSL_cleanse(p.u.bind.password, sizeof p.u.bind.password);
    if (e != SMPPF_OK) {
        blog(b, 3, "cannot build bind: %s", smppf_strerror(e));
        return -EINVAL;
    }
    out_commit(b, n);
    b->ctl_seq = p.hdr.sequence_number;
    b->ctl_cmd = p.hdr.command_id;
    ev_timer_stop(b->l->loop, &b->ctl_t);
    ev_timer_set(&b->ctl_t, (c->response_timeout_ms ? c->response_timeout_ms : 10000) / 1000.0, 0.);
    ev_timer_start(b->l->loop, &b->ctl_t);
    return set_state(b, GW_BIND_BINDING, "bind sent");
}

static void tls_step(struct gw_bind *b)
{
    char eb[256];
    ERR_clear_error();
    int r = SSL_do_handshake(b->ssl);
    if (r == 1) {
        blog(b, 6, "TLS %s %s", SSL_get_version(b->ssl), SSL_get_cipher_name(b->ssl));
        if (send_bind(b) < 0)
            gw_bind_close(b, "bind not sent");
        else
            update_events(b);
        return;
    }
    int e = SSL_get_error(b->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        set_events(b, EV_READ);
        return;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        set_events(b, EV_READ | EV_WRITE);
        return;
    }
    long v = SSL_get_verify_result(b->ssl);
    char why[320];
    if (v != X509_V_OK)
        snprintf(why, sizeof why, "TLS handshake failed: certificate: %s",
                 X509_verify_cert_error_string(v));
    else
        snprintf(why, sizeof why, "TLS handshake failed: %s", ssl_reason(eb, sizeof eb));
    gw_bind_close(b, why);
}

static void connected(struct gw_bind *b)
{
    int one = 1;
    (void)setsockopt(b->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct gw_link *l = b->l;
    if (l->ssl_ctx) {
        set_state(b, GW_BIND_TLS, "TCP connected");
        b->ssl = SSL_new(l->ssl_ctx);
        if (!b->ssl) {
            gw_bind_close(b, "SSL_new failed");
            return;
        }
        const char *name = l->conf.tls_server_name[0] ? l->conf.tls_server_name : l->conf.host;
        SSL_set_fd(b->ssl, b->fd);
        SSL_set_connect_state(b->ssl);
        SSL_set_mode(b->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_set_tlsext_host_name(b->ssl, name);
        if (l->conf.tls_verify)
            SSL_set1_host(b->ssl, name); /* RFC 6125 name check */
        tls_step(b);
        return;
    }
    if (send_bind(b) < 0)
        gw_bind_close(b, "bind not sent");
    else
        update_events(b);
}

/* Connects to b->ai_cur, or to the next address after it that takes a
 * socket; closes the bind when none is left. */
static void connect_next(struct gw_bind *b, const char *last_err)
{
    struct gw_link *l = b->l;
    char why[300];
    for (; b->ai_cur; b->ai_cur = b->ai_cur->ai_next) {
        struct addrinfo *ai = b->ai_cur;
        b->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (b->fd < 0) {
            last_err = strerror(errno);
            continue;
        }
        if (connect(b->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
            last_err = strerror(errno);
            close(b->fd);
            b->fd = -1;
            continue;
        }
        b->io_events = 0;
        ev_io_init(&b->io, io_cb, b->fd, EV_WRITE);
        b->io.data = b;
        set_events(b, EV_READ | EV_WRITE);
        return;
    }
    snprintf(why, sizeof why, "connect %s:%u: %s", l->conf.host, l->conf.port,
             last_err ? last_err : "no address");
    gw_bind_close(b, why);
}

/* The addresses are known: try them in order (localhost is ::1 and
 * 127.0.0.1; an SMSC listening on one of them must still be reached). */
static void connect_list(struct gw_bind *b, struct addrinfo *ai)
{
    if (b->ai_list)
        freeaddrinfo(b->ai_list);
    b->ai_list = b->ai_cur = ai;
    connect_next(b, NULL);
}

static void gai_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct gw_bind *b = w->data;
    int e = gai_error(&b->gai);
    if (e == EAI_INPROGRESS) {
        b->gai_poll = b->gai_poll * 2 < 0.05 ? b->gai_poll * 2 : 0.05;
        ev_timer_set(w, b->gai_poll, 0.);
        ev_timer_start(loop, w);
        return;
    }
    b->gai_busy = 0;
    struct addrinfo *ai = e == 0 ? b->gai.ar_result : NULL;
    if (e == 0)
        b->gai.ar_result = NULL;
    if (!b->gai_wanted || b->st != GW_BIND_CONNECTING || b->fd >= 0) {
        if (ai)
            freeaddrinfo(ai); /* the attempt that asked is over */
        return;
    }
    b->gai_wanted = 0;
    if (!ai) {
        char why[300];
        snprintf(why, sizeof why, "resolve %s: %s", b->l->conf.host,
                 gai_strerror(e == 0 ? EAI_NONAME : e));
        gw_bind_close(b, why);
        return;
    }
    blog(b, 7, "%s resolved", b->l->conf.host);
    connect_list(b, ai);
}

/* Stops waiting for a lookup; glibc keeps gai until the request ends,
 * so an uncancellable one is left to gai_cb to collect. */
static void gai_abandon(struct gw_bind *b)
{
    b->gai_wanted = 0;
    if (b->gai_busy && gai_cancel(&b->gai) == EAI_CANCELED) {
        b->gai_busy = 0;
        ev_timer_stop(b->l->loop, &b->gai_t);
    }
}

static void start_connect(struct gw_bind *b)
{
    struct gw_link *l = b->l;
    char why[300];
    set_state(b, GW_BIND_CONNECTING, "connect");
    /* one deadline for resolve + connect (+ TLS: connected() keeps it) */
    ev_timer_stop(l->loop, &b->ctl_t);
    ev_timer_set(&b->ctl_t,
                 (l->conf.response_timeout_ms ? l->conf.response_timeout_ms : 10000) / 1000.0, 0.);
    ev_timer_start(l->loop, &b->ctl_t);
    b->ctl_cmd = 0;
    snprintf(b->gai_port, sizeof b->gai_port, "%u", l->conf.port);
    /* An address is read at once and never blocks. */
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(l->conf.host, b->gai_port, &hints, &ai);
    if (rc == 0) {
        connect_list(b, ai);
        return;
    }
    if (rc != EAI_NONAME) {
        snprintf(why, sizeof why, "resolve %s: %s", l->conf.host, gai_strerror(rc));
        gw_bind_close(b, why);
        return;
    }
    /* A name: resolved by glibc's resolver thread (getaddrinfo_a), never
     * on the loop; gai_cb polls for the answer, 1 ms doubling to 50 ms. A
     * lookup still running from an abandoned attempt is simply taken
     * over (same host, same port). */
    if (!b->gai_busy) {
        memset(&b->gai, 0, sizeof b->gai);
        b->gai_hints = (struct addrinfo){.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
        b->gai.ar_name = l->conf.host;
        b->gai.ar_service = b->gai_port;
        b->gai.ar_request = &b->gai_hints;
        struct gaicb *list[1] = {&b->gai};
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_NONE;
        rc = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev);
        if (rc != 0) {
            snprintf(why, sizeof why, "resolve %s: %s", l->conf.host, gai_strerror(rc));
            gw_bind_close(b, why);
            return;
        }
        b->gai_busy = 1;
    }
    b->gai_wanted = 1;
    b->gai_poll = 0.001;
    ev_timer_stop(l->loop, &b->gai_t);
    ev_timer_set(&b->gai_t, b->gai_poll, 0.);
    ev_timer_start(l->loop, &b->gai_t);
}

static void reconnect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_bind *b = w->data;
    if (b->st == GW_BIND_DISCONNECTED && !b->l->draining) {
        if (b->attempts)
            b->l->st.reconnects++;
        start_connect(b);
    }
}

/* ---- the close path -------------------------------------------------------- */

static void slot_free(struct gw_bind *b, struct slot *s)
{
    ev_timer_stop(b->l->loop, &s->t);
    s->seq = 0;
    b->win_used--;
    if (s->late) {
        s->late = 0;
        b->win_late--;
    }
    free(s->late_tok);
    s->late_tok = NULL;
}

/* The one way a connection ends. Hands every SM in its window back: those
 * whose octets never left us go back to the head of the queue (UNSENT);
 * those written and unanswered go to the owner (UNANSWERED: the SMSC may
 * have them). Releases the socket at the end of the loop iteration. */
static void gw_bind_close(struct gw_bind *b, const char *reason)
{
    struct gw_link *l = b->l;
    if (b->st == GW_BIND_DISCONNECTED && b->fd < 0)
        return;
    b->session++; /* deferred deliver_sm answers of this session are void */
    for (unsigned i = 0; i <= b->win_mask; i++) {
        struct slot *s = &b->win[i];
        if (!s->seq)
            continue;
        struct qent e = s->e;
        int sent = s->out_end <= b->written, late = s->late;
        slot_free(b, s);
        if (late)
            continue; /* its owner was told "outcome unknown" at the timeout */
        if (!sent && !l->draining && q_push_front_ordered(l, &e) == 0) {
            l->st.requeued++;
            if (l->cbs.bounce)
                l->cbs.bounce(l->owner, e.sm.ctx, e.sm.ctx_id, GW_BOUNCE_UNSENT, 1);
        } else if (l->cbs.bounce) {
            l->cbs.bounce(l->owner, e.sm.ctx, e.sm.ctx_id,
                          sent ? GW_BOUNCE_UNANSWERED : GW_BOUNCE_DRAIN, 0);
        }
    }
    ev_timer_stop(l->loop, &b->enq_t);
    ev_timer_stop(l->loop, &b->ctl_t);
    gai_abandon(b);
    if (b->ai_list) {
        freeaddrinfo(b->ai_list);
        b->ai_list = b->ai_cur = NULL;
    }
    if (b->fd >= 0) {
        ev_io_stop(l->loop, &b->io);
        b->io_events = 0;
        b->dead_fd = b->fd;
        b->dead_ssl = b->ssl;
        b->fd = -1;
        b->ssl = NULL;
        l->reap = 1;
    }
    l->tps_pending -= b->pend_n; /* never left: requeued or bounced above */
    b->pend_n = b->pend_head = 0;
    b->in_len = 0;
    b->out_off = b->out_len = 0;
    b->out_base = b->written = 0;
    b->ctl_cmd = 0;
    b->ssl_want_write = 0;
    int was_bound = b->st == GW_BIND_BOUND || b->st == GW_BIND_UNBINDING;
    if (was_bound && ev_now(l->loop) - b->bound_at >= STABLE_BOUND_S)
        b->attempts = 0;
    if (b->st != GW_BIND_DISCONNECTED)
        set_state(b, GW_BIND_DISCONNECTED, reason);
    schedule_reconnect(b);
}

static void reap(struct gw_link *l)
{
    l->reap = 0;
    for (unsigned i = 0; i < l->nbinds; i++) {
        struct gw_bind *b = &l->binds[i];
        if (b->dead_ssl)
            SSL_free(b->dead_ssl);
        if (b->dead_fd >= 0)
            close(b->dead_fd);
        b->dead_ssl = NULL;
        b->dead_fd = -1;
    }
}

/* ---- PDU handlers --------------------------------------------------------- */

static struct slot *slot_by_seq(struct gw_bind *b, uint32_t seq)
{
    struct slot *s = &b->win[seq & b->win_mask];
    return s->seq == seq && seq ? s : NULL;
}

static void throttle_pause(struct gw_link *l)
{
    l->pause_s = l->paused ? l->pause_s * 2 : (l->pause_s ? l->pause_s : THROTTLE_MIN_S);
    if (l->pause_s > THROTTLE_MAX_S)
        l->pause_s = THROTTLE_MAX_S;
    if (l->paused)
        return; /* already waiting: the next pause will be longer */
    l->paused = 1;
    ev_timer_set(&l->pause_t, l->pause_s, 0.);
    ev_timer_start(l->loop, &l->pause_t);
}

static void maybe_unbind(struct gw_bind *b);

static void on_submit_resp(struct gw_bind *b, const struct smppf_pdu *p)
{
    struct gw_link *l = b->l;
    uint32_t st = p->hdr.command_status;
    struct slot *s = slot_by_seq(b, p->hdr.sequence_number);
    if (!s) {
        blog(b, 4, "%s seq=%u status=%s for no SM in flight (late after timeout?)",
             smppf_cmd_name(p->hdr.command_id), p->hdr.sequence_number, smppf_status_name(st));
        return;
    }
    if (s->late) {
        /* Its owner was told "outcome unknown" at the timeout; the slot
         * was kept so that the SMSC's count and ours agree (§2.8: the
         * window counts SMs the SMSC has not answered). */
        blog(b, 4, "submit_sm seq=%u answered %s%s%s after the response timeout: window slot freed",
             p->hdr.sequence_number, smppf_status_name(st), st == 0 ? ", message id " : "",
             st == 0 ? p->u.sm_resp.message_id : "");
        void *tok = s->late_tok;
        s->late_tok = NULL;
        slot_free(b, s);
        if (tok && l->cbs.submit_late) {
            char keys[DLR_KEYS][DLR_KEY_MAX];
            int nk = 0;
            if (st == 0 && p->u.sm_resp.message_id[0])
                nk = dlr_msgid_keys(p->u.sm_resp.message_id, l->idfmt, DLR_ROLE_RESP, keys);
            l->cbs.submit_late(l->owner, tok, st, st == 0 ? p->u.sm_resp.message_id : "",
                               nk > 0 ? (unsigned)nk : 0, keys);
        }
        free(tok);
        maybe_unbind(b);
        return;
    }
    struct qent e = s->e;
    slot_free(b, s);
    if (st == SMPPF_ESME_RTHROTTLED || st == SMPPF_ESME_RMSGQFUL) {
        /* §5.1.3: "ESME has exceeded allowed message limits": the SM was
         * not taken. Same octets again, at the head, after a pause. */
        l->st.throttled++;
        if (!l->draining && q_push_front_ordered(l, &e) == 0) {
            throttle_pause(l);
            return;
        }
    }
    if (st == 0) {
        l->st.resp_ok++;
        if (l->pause_s && !l->paused)
            l->pause_s = 0; /* throttling is over */
        char keys[DLR_KEYS][DLR_KEY_MAX];
        int nk = 0;
        if (p->u.sm_resp.message_id[0])
            nk = dlr_msgid_keys(p->u.sm_resp.message_id, l->idfmt, DLR_ROLE_RESP, keys);
        if (nk < 0)
            nk = 0;
        if (l->cbs.submit_resp)
            l->cbs.submit_resp(l->owner, e.sm.ctx, e.sm.ctx_id, 0, GW_VERDICT_OK,
                               p->u.sm_resp.message_id, (unsigned)nk, keys);
        return;
    }
    l->st.resp_err++;
    enum gw_verdict v = gw_bind_verdict(st);
    blog(b, 5, "submit_sm seq=%u: %s (0x%x) -> %s", p->hdr.sequence_number, smppf_status_name(st),
         st, v == GW_VERDICT_RETRY ? "retry" : "fail");
    if (l->cbs.submit_resp)
        l->cbs.submit_resp(l->owner, e.sm.ctx, e.sm.ctx_id, st, v, "", 0, NULL);
}

static void deliver_dispatch(struct gw_bind *b, const struct smppf_pdu *p);

/* The owner's callbacks run synchronously and may choose the answer with
 * gw_link_deliver_status (ESME_RX_T_APPN when it cannot record the
 * receipt now: SMPP 3.4 §5.1.3, the SMSC redelivers), or take the answer
 * with them (gw_link_deliver_defer) and give it once the receipt is
 * recorded. Otherwise the resp is queued right after them, in the same loop
 * iteration: the SMSC's window waits for no I/O of ours. */
static void deliver_to_owner(struct gw_bind *b, const struct smppf_pdu *p)
{
    struct gw_link *l = b->l;
    l->in_deliver = 1;
    l->dlv_status = 0;
    l->dlv_deferred = 0;
    l->dlv_bind = b;
    l->dlv_seq = p->hdr.sequence_number;
    deliver_dispatch(b, p);
    l->in_deliver = 0;
    l->dlv_bind = NULL;
    if (l->dlv_deferred) {
        l->st.deliver_deferred++;
        return;
    }
    if (l->dlv_status)
        blog(b, 5, "deliver_sm seq=%u answered %s (0x%x) by the owner", p->hdr.sequence_number,
             smppf_status_name(l->dlv_status), l->dlv_status);
    send_simple(b, SMPPF_DELIVER_SM_RESP, l->dlv_status, p->hdr.sequence_number);
}

void gw_link_deliver_status(struct gw_link *l, uint32_t status)
{
    if (l && l->in_deliver)
        l->dlv_status = status;
}

/* Token: bind index + 1 (8 bits), session (24 bits), sequence_number. */
uint64_t gw_link_deliver_defer(struct gw_link *l)
{
    if (!l || !l->in_deliver || !l->dlv_bind)
        return 0;
    struct gw_bind *b = l->dlv_bind;
    l->dlv_deferred = 1;
    return (uint64_t)(b - l->binds + 1) << 56 | (uint64_t)(b->session & 0xFFFFFFu) << 32 |
           l->dlv_seq;
}

void gw_link_deliver_answer(struct gw_link *l, uint64_t token, uint32_t status)
{
    if (!l || !token)
        return;
    unsigned i = (unsigned)(token >> 56);
    uint32_t session = (uint32_t)(token >> 32) & 0xFFFFFFu, seq = (uint32_t)token;
    if (i == 0 || i > l->nbinds)
        return;
    struct gw_bind *b = &l->binds[i - 1];
    if ((b->session & 0xFFFFFFu) != session ||
        (b->st != GW_BIND_BOUND && b->st != GW_BIND_UNBINDING)) {
        /* §2.8: an unanswered deliver_sm is the SMSC's to deliver again. */
        l->st.deliver_void++;
        blog(b, 5,
             "deliver_sm seq=%u: its session ended before it was recorded; the SMSC "
             "delivers it again",
             seq);
        return;
    }
    if (status)
        blog(b, 5, "deliver_sm seq=%u answered %s (0x%x) by the owner", seq,
             smppf_status_name(status), status);
    send_simple(b, SMPPF_DELIVER_SM_RESP, status, seq);
}

static void deliver_dispatch(struct gw_bind *b, const struct smppf_pdu *p)
{
    struct gw_link *l = b->l;
    const struct smppf_sm *sm = &p->u.sm;
    if (dlr_is_receipt(sm->esm_class)) {
        struct dlr_receipt r;
        enum dlr_err e = dlr_parse(sm, l->idfmt, &r);
        if (e != DLR_OK) {
            l->st.malformed++;
            blog(b, 4, "receipt seq=%u unreadable: %s", p->hdr.sequence_number, dlr_strerror(e));
            return;
        }
        l->st.receipts++;
        if (l->cbs.receipt)
            l->cbs.receipt(l->owner, &r, l->conf.name);
        return;
    }
    struct gw_mo mo;
    memset(&mo, 0, sizeof mo);
    memcpy(mo.source_addr, sm->source_addr, sizeof mo.source_addr);
    memcpy(mo.dest_addr, sm->destination_addr, sizeof mo.dest_addr);
    mo.source_ton = sm->source_addr_ton;
    mo.source_npi = sm->source_addr_npi;
    mo.esm_class = sm->esm_class;
    mo.protocol_id = sm->protocol_id;
    mo.data_coding = sm->data_coding;
    mo.udhi = (sm->esm_class & SMPPF_ESM_UDHI) != 0;
    if (sm->sm_length) {
        mo.ud = sm->short_message;
        mo.ud_len = sm->sm_length;
    } else {
        mo.ud = sm->tlv.message_payload;
        mo.ud_len = sm->tlv.message_payload_len;
    }
    mo.has_sar = sm->tlv.has_sar;
    mo.sar_ref = sm->tlv.sar_msg_ref_num;
    mo.sar_total = sm->tlv.sar_total_segments;
    mo.sar_seq = sm->tlv.sar_segment_seqnum;
    l->st.mo++;
    if (l->cbs.mo)
        l->cbs.mo(l->owner, &mo, l->conf.name);
}

/* One whole, header-checked PDU. Returns -1 when the bind was closed. */
static int handle_pdu(struct gw_bind *b, const uint8_t *buf, size_t len)
{
    struct gw_link *l = b->l;
    struct smppf_pdu p;
    enum smppf_err e = smppf_decode(buf, len, &p);
    uint32_t id = p.hdr.command_id, seq = p.hdr.sequence_number;
    b->last_rx = ev_now(l->loop);
    if (e != SMPPF_OK) {
        l->st.malformed++;
        blog(b, 4, "malformed %s (0x%08x) seq=%u len=%zu: %s", smppf_cmd_name(id), id, seq, len,
             smppf_strerror(e));
        /* A request is answered (§4.3: generic_nack when we cannot even
         * tell the command; otherwise its own resp with the error). A bad
         * response is dropped: its SM times out to "unknown outcome". */
        if (!smppf_cmd_is_resp(id)) {
            uint32_t st = smppf_err_status(e);
            if (e == SMPPF_ERR_CMD || !smppf_cmd_known(id))
                send_simple(b, SMPPF_GENERIC_NACK, st, seq);
            else if (id == SMPPF_DELIVER_SM)
                send_simple(b, SMPPF_DELIVER_SM_RESP, st, seq);
            else
                send_simple(b, SMPPF_GENERIC_NACK, st, seq);
        }
        return 0;
    }
    blog(b, 7, "rx %s seq=%u status=%s", smppf_cmd_name(id), seq,
         smppf_status_name(p.hdr.command_status));
    switch (id) {
    case SMPPF_SUBMIT_SM_RESP:
        on_submit_resp(b, &p);
        maybe_unbind(b);
        return 0;
    case SMPPF_DELIVER_SM:
        if (b->st != GW_BIND_BOUND && b->st != GW_BIND_UNBINDING) {
            send_simple(b, SMPPF_DELIVER_SM_RESP, SMPPF_ESME_RINVBNDSTS, seq);
            return 0;
        }
        if (b->role == GW_ROLE_TX) { /* §2.2: a transmitter gets no deliver_sm */
            send_simple(b, SMPPF_DELIVER_SM_RESP, SMPPF_ESME_RINVBNDSTS, seq);
            return 0;
        }
        deliver_to_owner(b, &p);
        return 0;
    case SMPPF_ENQUIRE_LINK:
        send_simple(b, SMPPF_ENQUIRE_LINK_RESP, 0, seq);
        return 0;
    case SMPPF_ENQUIRE_LINK_RESP:
        if (b->ctl_cmd == SMPPF_ENQUIRE_LINK && b->ctl_seq == seq) {
            b->ctl_cmd = 0;
            ev_timer_stop(l->loop, &b->ctl_t);
        }
        return 0;
    case SMPPF_BIND_TRANSCEIVER_RESP:
    case SMPPF_BIND_TRANSMITTER_RESP:
    case SMPPF_BIND_RECEIVER_RESP:
        if (b->st != GW_BIND_BINDING || b->ctl_seq != seq || (b->ctl_cmd | 0x80000000u) != id) {
            blog(b, 4, "unexpected %s seq=%u", smppf_cmd_name(id), seq);
            return 0;
        }
        b->ctl_cmd = 0;
        ev_timer_stop(l->loop, &b->ctl_t);
        if (p.hdr.command_status != 0) {
            char why[96];
            snprintf(why, sizeof why, "bind refused: %s (0x%x)",
                     smppf_status_name(p.hdr.command_status), p.hdr.command_status);
            gw_bind_close(b, why);
            return -1;
        }
        b->bound_at = ev_now(l->loop);
        set_state(b, GW_BIND_BOUND,
                  p.u.bind_resp.system_id[0] ? p.u.bind_resp.system_id : "bind_resp");
        if (l->conf.enquire_link) {
            ev_timer_set(&b->enq_t, l->conf.enquire_link, 0.);
            ev_timer_start(l->loop, &b->enq_t);
        }
        if (l->draining)
            maybe_unbind(b);
        return 0;
    case SMPPF_UNBIND:
        send_simple(b, SMPPF_UNBIND_RESP, 0, seq);
        (void)flush(b);
        gw_bind_close(b, "SMSC sent unbind");
        return -1;
    case SMPPF_UNBIND_RESP:
        if (b->st == GW_BIND_UNBINDING) {
            gw_bind_close(b, "unbound");
            return -1;
        }
        return 0;
    case SMPPF_GENERIC_NACK: {
        /* §4.3: the SMSC could not read one of ours. If it names an SM in
         * flight, that SM's answer is this. */
        struct slot *s = slot_by_seq(b, seq);
        blog(b, 4, "generic_nack seq=%u %s", seq, smppf_status_name(p.hdr.command_status));
        if (s) {
            p.hdr.command_id = SMPPF_SUBMIT_SM_RESP;
            if (!p.hdr.command_status)
                p.hdr.command_status = SMPPF_ESME_RUNKNOWNERR;
            on_submit_resp(b, &p);
        } else if (b->st == GW_BIND_BINDING && seq == b->ctl_seq) {
            gw_bind_close(b, "bind answered with generic_nack");
            return -1;
        }
        return 0;
    }
    default:
        /* An ESME is sent no bind, submit_sm or resp to what it never sent. */
        if (!smppf_cmd_is_resp(id))
            send_simple(b, SMPPF_GENERIC_NACK, SMPPF_ESME_RINVCMDID, seq);
        return 0;
    }
}

/* The reader: header first (length checked against SMPPF_PDU_MAX before
 * anything waits for a body), then the body; both come out of one input
 * buffer, nothing is allocated per PDU. Returns -1 when the bind closed. */
static int parse_input(struct gw_bind *b)
{
    size_t off = 0;
    int rc = 0;
    while (b->in_len - off >= SMPPF_HDR_LEN) {
        struct smppf_hdr h;
        enum smppf_err e = smppf_header_check(b->in + off, b->in_len - off, &h);
        if (e == SMPPF_ERR_LEN) {
            char why[96];
            b->l->st.malformed++;
            snprintf(why, sizeof why, "unframed input: command_length %u", h.command_length);
            gw_bind_close(b, why);
            return -1;
        }
        if (b->in_len - off < h.command_length)
            break; /* step two: wait for the body */
        if (handle_pdu(b, b->in + off, h.command_length) < 0)
            return -1;
        off += h.command_length;
        if (b->fd < 0)
            return -1;
    }
    if (off) {
        memmove(b->in, b->in + off, b->in_len - off);
        b->in_len -= off;
    }
    return rc;
}

static void on_readable(struct gw_bind *b)
{
    /* A few reads per wakeup, then let the other binds have the loop. */
    for (int i = 0; i < 4; i++) {
        size_t want = IN_CAP - b->in_len;
        ssize_t r = b_recv(b, b->in + b->in_len, want);
        if (r == -EAGAIN)
            break;
        if (r <= 0) {
            char why[96];
            snprintf(why, sizeof why, "%s",
                     r == 0 ? "SMSC closed the connection" : strerror((int)-r));
            gw_bind_close(b, why);
            return;
        }
        b->in_len += (size_t)r;
        if (parse_input(b) < 0)
            return;
        if (!b->ssl && (size_t)r < want)
            break; /* drained the socket: save a syscall */
    }
    /* TLS may hold decrypted records epoll cannot see: come back for them. */
    if (b->ssl && SSL_pending(b->ssl) > 0)
        ev_feed_event(b->l->loop, &b->io, EV_READ);
    if (b->ssl_want_write)
        update_events(b);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)loop;
    struct gw_bind *b = w->data;
    if (b->st == GW_BIND_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        if (getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            err = errno;
        if (err) {
            /* this address refused: the next one, or close */
            ev_io_stop(loop, &b->io);
            b->io_events = 0;
            close(b->fd);
            b->fd = -1;
            if (b->ai_cur)
                b->ai_cur = b->ai_cur->ai_next;
            connect_next(b, strerror(err));
            return;
        }
        if (b->ai_list) {
            freeaddrinfo(b->ai_list);
            b->ai_list = b->ai_cur = NULL;
        }
        connected(b);
        return;
    }
    if (b->st == GW_BIND_TLS) {
        tls_step(b);
        return;
    }
    if (revents & EV_READ) {
        on_readable(b);
        if (b->fd < 0)
            return;
    }
    if ((revents & EV_WRITE) && b->ssl_want_write && b->ssl) {
        on_readable(b); /* SSL_read wanted to write (renegotiation) */
        if (b->fd < 0)
            return;
    }
    if (revents & EV_WRITE) {
        if (flush(b) < 0)
            gw_bind_close(b, "write failed");
    }
}

/* ---- sending -------------------------------------------------------------- */

/* SMPP 3.4 §7.1.1 relative time "YYMMDDhhmmss000R" from now to deadline. */
static void validity(time_t deadline, time_t now, char out[17])
{
    out[0] = 0;
    if (!deadline)
        return;
    long long rem = (long long)(deadline - now);
    if (rem < 60)
        rem = 60; /* let the SMSC try at least a minute */
    long long days = rem / 86400;
    if (days > 99)
        days = 99, rem = 99LL * 86400;
    int hh = (int)(rem % 86400 / 3600), mi = (int)(rem % 3600 / 60), ss = (int)(rem % 60);
    snprintf(out, 17, "0000%02d%02d%02d%02d000R", (int)days, hh, mi, ss);
}

static struct slot *slot_take(struct gw_bind *b, uint32_t *seqp)
{
    for (;;) {
        uint32_t seq = next_seq(b);
        struct slot *s = &b->win[seq & b->win_mask];
        if (!s->seq) {
            *seqp = seq;
            return s;
        }
    }
}

static void resp_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* Encodes e as a submit_sm into b's output. 0, or -ENOBUFS (no room). */
static int send_submit(struct gw_bind *b, const struct qent *e, time_t now)
{
    struct gw_link *l = b->l;
    const struct gw_carrier *c = &l->conf;
    uint8_t *o = out_room(b, 512);
    if (!o)
        return -ENOBUFS;
    uint32_t seq;
    struct slot *s = slot_take(b, &seq);
    struct smppf_pdu p;
    p.hdr.command_id = SMPPF_SUBMIT_SM;
    p.hdr.command_status = 0;
    p.hdr.sequence_number = seq;
    struct smppf_sm *sm = &p.u.sm;
    memset(sm, 0, offsetof(struct smppf_sm, short_message));
    memset(&sm->tlv, 0, sizeof sm->tlv);
    sm->source_addr_ton = c->src_ton;
    sm->source_addr_npi = c->src_npi;
    memcpy(sm->source_addr, c->source_addr, sizeof sm->source_addr);
    sm->dest_addr_ton = c->dst_ton;
    sm->dest_addr_npi = c->dst_npi;
    memcpy(sm->destination_addr, e->sm.dest, sizeof sm->destination_addr);
    sm->esm_class = e->sm.udhi ? SMPPF_ESM_UDHI : 0;
    sm->protocol_id = c->protocol_id;
    sm->data_coding = c->data_coding;
    validity(e->sm.deadline, now, sm->validity_period);
    sm->registered_delivery = e->sm.no_receipt ? 0 : 1; /* §5.2.17: SMSC receipt on final */
    sm->sm_length = e->sm.ud_len;
    memcpy(sm->short_message, e->sm.ud, e->sm.ud_len);
    size_t n = 0;
    enum smppf_err err = smppf_encode(&p, o, 512, &n);
    if (err != SMPPF_OK) {
        /* Only our own data can fail here: gw_link_submit checked it. */
        blog(b, 3, "submit_sm not built: %s", smppf_strerror(err));
        return -EINVAL;
    }
    out_commit(b, n);
    s->e = *e;
    s->seq = seq;
    s->b = b;
    s->out_end = b->out_base + b->out_len;
    b->win_used++;
    if (b->pend_end) {
        b->pend_end[(b->pend_head + b->pend_n) & b->win_mask] = s->out_end;
        b->pend_n++;
        l->tps_pending++;
    }
    ev_timer_set(&s->t, (c->response_timeout_ms ? c->response_timeout_ms : 10000) / 1000.0, 0.);
    ev_timer_start(l->loop, &s->t);
    l->st.submitted++;
    return 0;
}

static int can_submit(const struct gw_bind *b)
{
    return b->st == GW_BIND_BOUND && b->role != GW_ROLE_RX && b->win_used < b->l->window &&
           b->out_len < OUT_HIGH;
}

static void tps_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)w, (void)revents; /* waking up is all: the prepare pumps */
}

/* Moves queued SMs into windows, as far as window and TPS allow. */
static void pump(struct gw_link *l)
{
    if (l->paused || !l->qlen)
        return;
    /* ev_now is the time the loop last woke; the throttle needs the time
     * these submits really leave. */
    if (l->conf.tps)
        ev_now_update(l->loop);
    double now = ev_now(l->loop), mnow = l->conf.tps ? mono_now() : 0;
    time_t wall = (time_t)ev_time();
    unsigned nb = l->nbinds;
    while (l->qlen) {
        struct qent *head = q_at(l, 0);
        if (head->sm.deadline && head->sm.deadline <= wall) {
            struct qent e;
            q_pop_front(l, &e);
            if (l->cbs.bounce)
                l->cbs.bounce(l->owner, e.sm.ctx, e.sm.ctx_id, GW_BOUNCE_EXPIRED, 0);
            continue;
        }
        double w = tps_wait(l, now, mnow);
        if (w > 0) {
            if (!ev_is_active(&l->tps_t)) {
                ev_timer_set(&l->tps_t, w, 0.);
                ev_timer_start(l->loop, &l->tps_t);
            }
            return;
        }
        struct gw_bind *b = NULL;
        for (unsigned k = 0; k < nb; k++) {
            struct gw_bind *c = &l->binds[(l->rr + k) % nb];
            if (can_submit(c)) {
                b = c;
                l->rr = (l->rr + k) % nb; /* stay on it while it has room */
                break;
            }
        }
        if (!b)
            return;
        struct qent e;
        q_pop_front(l, &e);
        if (send_submit(b, &e, wall) < 0) {
            (void)q_push_front_ordered(l, &e);
            l->rr = (l->rr + 1) % nb;
            return;
        }
        tps_take(l, now);
        if (b->win_used >= l->window)
            l->rr = (l->rr + 1) % nb;
    }
}

static void check_drain(struct gw_link *l);

/* Before the loop blocks: free what closed, fill windows, write once. */
static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_link *l = w->data;
    if (l->reap)
        reap(l);
    pump(l);
    for (unsigned i = 0; i < l->nbinds; i++) {
        struct gw_bind *b = &l->binds[i];
        if (b->fd >= 0 && b->st >= GW_BIND_BINDING && b->out_len > b->out_off)
            if (flush(b) < 0)
                gw_bind_close(b, "write failed");
    }
    if (l->draining)
        check_drain(l);
    if (l->reap)
        reap(l);
}

/* ---- timers --------------------------------------------------------------- */

static void resp_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct slot *s = w->data;
    struct gw_bind *b = s->b;
    struct gw_link *l = b->l;
    struct qent e = s->e;
    /* The SMSC still counts this SM against our window (SMPP 3.4 §2.8)
     * until it answers: freeing the slot now would let us exceed its
     * window. The slot stays taken until the late submit_sm_resp or the
     * end of the connection; the owner learns "unknown" now. */
    blog(b, 4,
         "submit_sm seq=%u unanswered after %u ms: outcome unknown; slot kept until it is answered",
         s->seq, l->conf.response_timeout_ms);
    s->late = 1;
    b->win_late++;
    l->st.unknown++;
    if (l->cbs.submit_unknown)
        s->late_tok = l->cbs.submit_unknown(l->owner, e.sm.ctx, e.sm.ctx_id);
    /* Half the window (at least one slot) stuck: the SMSC is not
     * answering, and only a new session resets its count. Closing then
     * keeps at least half the window usable; waiting longer would starve
     * the bind (with window 1, one stuck slot blocks it). */
    unsigned limit = (l->window + 1) / 2;
    if (b->fd >= 0 && b->win_late >= limit) {
        char why[128];
        snprintf(why, sizeof why, "%u submit_sm unanswered past response_timeout: rebinding",
                 b->win_late);
        gw_bind_close(b, why);
        return;
    }
    maybe_unbind(b);
}

static void send_enquire(struct gw_bind *b)
{
    struct gw_link *l = b->l;
    uint32_t seq = next_seq(b);
    if (send_simple(b, SMPPF_ENQUIRE_LINK, 0, seq) < 0)
        return;
    b->ctl_cmd = SMPPF_ENQUIRE_LINK;
    b->ctl_seq = seq;
    b->enq_sent = ev_now(l->loop);
    ev_timer_stop(l->loop, &b->ctl_t);
    ev_timer_set(&b->ctl_t,
                 (l->conf.response_timeout_ms ? l->conf.response_timeout_ms : 10000) / 1000.0, 0.);
    ev_timer_start(l->loop, &b->ctl_t);
}

/* Idle timer, libev's "last activity" idiom: reading a PDU only stores
 * the time, the timer works out whether the link really was idle. */
static void enq_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)revents;
    struct gw_bind *b = w->data;
    double iv = b->l->conf.enquire_link;
    double idle_until = b->last_rx + iv;
    double now = ev_now(loop);
    if (idle_until > now + 0.001) {
        ev_timer_set(w, idle_until - now, 0.);
        ev_timer_start(loop, w);
        return;
    }
    if (b->st == GW_BIND_BOUND && b->ctl_cmd == 0)
        send_enquire(b);
    ev_timer_set(w, iv, 0.);
    ev_timer_start(loop, w);
}

static void ctl_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_bind *b = w->data;
    switch (b->st) {
    case GW_BIND_CONNECTING:
    case GW_BIND_TLS:
        gw_bind_close(b, b->st == GW_BIND_TLS ? "TLS handshake timeout" : "connect timeout");
        return;
    case GW_BIND_BINDING:
        gw_bind_close(b, "bind_resp timeout");
        return;
    case GW_BIND_UNBINDING:
        gw_bind_close(b, "unbind_resp timeout");
        return;
    case GW_BIND_BOUND:
        /* Anything read since the enquire_link proves the SMSC alive. */
        if (b->ctl_cmd == SMPPF_ENQUIRE_LINK && b->last_rx <= b->enq_sent)
            gw_bind_close(b, "enquire_link unanswered");
        else
            b->ctl_cmd = 0;
        return;
    case GW_BIND_DISCONNECTED:
        return;
    }
}

static void pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct gw_link *l = w->data;
    l->paused = 0;
    llog(l, 6, "throttle pause of %.2f s over, %zu queued", l->pause_s, l->qlen);
}

/* ---- drain ------------------------------------------------------------------ */

static int tx_windows_empty(const struct gw_link *l)
{
    for (unsigned i = 0; i < l->nbinds; i++)
        if (l->binds[i].win_used > l->binds[i].win_late) /* late: owner told already */
            return 0;
    return 1;
}

static void maybe_unbind(struct gw_bind *b)
{
    struct gw_link *l = b->l;
    if (!l->draining || b->st != GW_BIND_BOUND || b->win_used > b->win_late)
        return;
    /* Receivers stay until no transmitter waits for answers (receipts of
     * the last SMs may still come). */
    if (b->role == GW_ROLE_RX && !tx_windows_empty(l))
        return;
    uint32_t seq = next_seq(b);
    if (send_simple(b, SMPPF_UNBIND, 0, seq) < 0) {
        gw_bind_close(b, "drain");
        return;
    }
    b->ctl_cmd = SMPPF_UNBIND;
    b->ctl_seq = seq;
    ev_timer_stop(l->loop, &b->enq_t);
    ev_timer_stop(l->loop, &b->ctl_t);
    ev_timer_set(&b->ctl_t,
                 (l->conf.response_timeout_ms ? l->conf.response_timeout_ms : 10000) / 1000.0, 0.);
    ev_timer_start(l->loop, &b->ctl_t);
    set_state(b, GW_BIND_UNBINDING, "drain");
}

static void check_drain(struct gw_link *l)
{
    int all_down = 1;
    for (unsigned i = 0; i < l->nbinds; i++) {
        struct gw_bind *b = &l->binds[i];
        maybe_unbind(b);
        if (b->st != GW_BIND_DISCONNECTED)
            all_down = 0;
    }
    if (all_down && !l->drained_told) {
        l->drained_told = 1;
        llog(l, 6, "drained");
        if (l->cbs.drained)
            l->cbs.drained(l->owner, l->conf.name);
    }
}

unsigned gw_link_cancel(struct gw_link *l, const void *ctx)
{
    if (!l || !ctx)
        return 0;
    /* Collect first, bounce after, in passes of CANCEL_BATCH: the queue
     * must be whole before the owner runs. ctx lives until its last SM is
     * answered, so it outlives every pass but the last. */
    enum { CANCEL_BATCH = 32 };
    unsigned total = 0, n;
    do {
        struct qent out[CANCEL_BATCH];
        size_t w = 0;
        n = 0;
        for (size_t i = 0; i < l->qlen; i++) {
            struct qent *e = q_at(l, i);
            if (e->sm.ctx == ctx && n < CANCEL_BATCH)
                out[n++] = *e;
            else if (w != i)
                *q_at(l, w++) = *e;
            else
                w++;
        }
        l->qlen = w;
        total += n;
        for (unsigned i = 0; i < n; i++)
            if (l->cbs.bounce)
                l->cbs.bounce(l->owner, out[i].sm.ctx, out[i].sm.ctx_id, GW_BOUNCE_CANCELLED, 0);
    } while (n == CANCEL_BATCH);
    if (total)
        llog(l, 6, "%u queued SM(s) cancelled by their owner", total);
    return total;
}

void gw_link_drain(struct gw_link *l)
{
    if (!l || l->draining)
        return;
    l->draining = 1;
    llog(l, 6, "draining: %zu queued SMs handed back, %u in flight", l->qlen, l->st.window_used);
    while (l->qlen) {
        struct qent e;
        q_pop_front(l, &e);
        if (l->cbs.bounce)
            l->cbs.bounce(l->owner, e.sm.ctx, e.sm.ctx_id, GW_BOUNCE_DRAIN, 0);
    }
    for (unsigned i = 0; i < l->nbinds; i++) {
        struct gw_bind *b = &l->binds[i];
        ev_timer_stop(l->loop, &b->reconnect_t);
        if (b->st == GW_BIND_CONNECTING || b->st == GW_BIND_TLS || b->st == GW_BIND_BINDING)
            gw_bind_close(b, "drain");
    }
    /* The rest happens in prepare_cb: unbind as windows empty. */
}

/* ---- TLS context ---------------------------------------------------------- */

static SSL_CTX *tls_ctx(const struct gw_carrier *c)
{
    char eb[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (c->tls_verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        int ok = c->tls_ca[0] ? SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL)
                              : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1) {
            GW_LOG(GW_LOG_ERR, "bind", "", "carrier %s: TLS CA %s: %s", c->name,
                   c->tls_ca[0] ? c->tls_ca : "(system)", ssl_reason(eb, sizeof eb));
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        GW_LOG(GW_LOG_WARNING, "bind", "", "carrier %s: tls_verify=0: SMSC not authenticated",
               c->name);
    }
    if (c->tls_cert[0]) {
        if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, c->tls_key[0] ? c->tls_key : c->tls_cert,
                                        SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(ctx) != 1) {
            GW_LOG(GW_LOG_ERR, "bind", "", "carrier %s: TLS client certificate: %s", c->name,
                   ssl_reason(eb, sizeof eb));
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

/* ---- public ----------------------------------------------------------------- */

static unsigned pow2_at_least(unsigned n)
{
    unsigned p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

struct gw_link *gw_link_new(struct ev_loop *loop, const struct gw_carrier *conf,
                            const struct gw_link_cbs *cbs, void *owner, size_t queue_cap)
{
    if (!loop || !conf || !cbs || !conf->binds || !conf->port || !conf->host[0] ||
        conf->binds > 64 || conf->window > 65536 || (unsigned)conf->msgid_format > DLR_ID_DEC_HEX) {
        errno = EINVAL;
        return NULL;
    }
    /* A write to a peer that closed must be an error, not a signal: send()
     * has MSG_NOSIGNAL, but OpenSSL writes with write(). */
    signal(SIGPIPE, SIG_IGN);
    struct gw_link *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->loop = loop;
    l->conf = *conf;
    l->idfmt = (enum dlr_idfmt)conf->msgid_format;
    l->cbs = *cbs;
    l->owner = owner;
    l->window = conf->window ? conf->window : 10;
    l->qcap = queue_cap ? queue_cap : QUEUE_DEFAULT;
    l->rnd = (uint64_t)(uintptr_t)l ^ (uint64_t)(ev_time() * 1e6) ^ 0x9E3779B97F4A7C15ull;
    l->nbinds = conf->binds * (conf->bind_mode == GW_BIND_TX_RX ? 2 : 1);
    l->q = calloc(l->qcap, sizeof *l->q);
    l->binds = calloc(l->nbinds, sizeof *l->binds);
    if (conf->tps) {
        /* Paced to fill exactly the log's window: the rate stays within
         * TPS_MARGIN_S (0.4%) under tps and the log rarely has to step in. */
        l->interval = (1.0 + TPS_MARGIN_S) / conf->tps;
        l->catchup = 10 * l->interval < 0.05 ? 10 * l->interval : 0.05;
        l->logcap = conf->tps;
        l->sendlog = calloc(l->logcap, sizeof *l->sendlog);
    }
    if (!l->q || !l->binds || (conf->tps && !l->sendlog))
        goto fail;
    if (conf->tls) {
        l->ssl_ctx = tls_ctx(conf);
        if (!l->ssl_ctx) {
            free(l->q), free(l->binds), free(l->sendlog), free(l);
            errno = EPROTO;
            return NULL;
        }
    }
    unsigned wcap = pow2_at_least(2 * l->window);
    for (unsigned i = 0; i < l->nbinds; i++) {
        struct gw_bind *b = &l->binds[i];
        b->l = l;
        b->fd = b->dead_fd = -1;
        if (conf->bind_mode == GW_BIND_TX_RX) {
            b->num = i / 2 + 1;
            b->role = i % 2 ? GW_ROLE_RX : GW_ROLE_TX;
        } else {
            b->num = i + 1;
            b->role = GW_ROLE_TRX;
        }
        b->next_seq = 1;
        b->in = malloc(IN_CAP + 16);
        b->out = malloc(OUT_CAP);
        b->win = calloc(wcap, sizeof *b->win);
        if (conf->tps)
            b->pend_end = calloc(wcap, sizeof *b->pend_end);
        if (!b->in || !b->out || !b->win || (conf->tps && !b->pend_end))
            goto fail;
        b->win_mask = wcap - 1;
        for (unsigned k = 0; k < wcap; k++) {
            ev_timer_init(&b->win[k].t, resp_timeout_cb, 1., 0.);
            b->win[k].t.data = &b->win[k];
            b->win[k].b = b;
        }
        ev_init(&b->io, io_cb);
        b->io.data = b;
        ev_timer_init(&b->reconnect_t, reconnect_cb, 0., 0.);
        b->reconnect_t.data = b;
        ev_timer_init(&b->enq_t, enq_cb, 1., 0.);
        b->enq_t.data = b;
        ev_timer_init(&b->ctl_t, ctl_cb, 1., 0.);
        b->ctl_t.data = b;
        ev_timer_init(&b->gai_t, gai_cb, 1., 0.);
        b->gai_t.data = b;
        /* First connect: spread over the first back-off step. */
        double lo = (conf->reconnect_min_ms ? conf->reconnect_min_ms : 1000) / 1000.0;
        ev_timer_set(&b->reconnect_t, i ? lo * 0.1 * rnd01(l) : 0., 0.);
        ev_timer_start(loop, &b->reconnect_t);
    }
    ev_timer_init(&l->tps_t, tps_cb, 1., 0.);
    l->tps_t.data = l;
    ev_timer_init(&l->pause_t, pause_cb, 1., 0.);
    l->pause_t.data = l;
    ev_prepare_init(&l->prep, prepare_cb);
    l->prep.data = l;
    ev_prepare_start(loop, &l->prep);
    return l;
fail:
    gw_link_free(l);
    errno = ENOMEM;
    return NULL;
}

void gw_link_free(struct gw_link *l)
{
    if (!l)
        return;
    l->draining = 1; /* no reconnects, no requeues */
    if (l->binds) {
        for (unsigned i = 0; i < l->nbinds; i++) {
            struct gw_bind *b = &l->binds[i];
            if (!b->l)
                continue;
            if (b->win)
                for (unsigned k = 0; k <= b->win_mask; k++)
                    ev_timer_stop(l->loop, &b->win[k].t);
            if (b->fd >= 0) {
                ev_io_stop(l->loop, &b->io);
                if (b->ssl)
                    SSL_free(b->ssl);
                close(b->fd);
            }
            ev_timer_stop(l->loop, &b->reconnect_t);
            ev_timer_stop(l->loop, &b->enq_t);
            ev_timer_stop(l->loop, &b->ctl_t);
            ev_timer_stop(l->loop, &b->gai_t);
            if (b->gai_busy && gai_cancel(&b->gai) != EAI_CANCELED) {
                /* glibc's thread still writes into b->gai: wait for it
                 * (only at free, bounded by the resolver's timeout) */
                const struct gaicb *list[1] = {&b->gai};
                while (gai_error(&b->gai) == EAI_INPROGRESS)
                    (void)gai_suspend(list, 1, NULL);
                if (b->gai.ar_result)
                    freeaddrinfo(b->gai.ar_result);
            }
            if (b->ai_list)
                freeaddrinfo(b->ai_list);
            free(b->in);
            free(b->out);
            free(b->win);
            free(b->pend_end);
        }
        reap(l);
    }
    ev_timer_stop(l->loop, &l->tps_t);
    ev_timer_stop(l->loop, &l->pause_t);
    ev_prepare_stop(l->loop, &l->prep);
    if (l->ssl_ctx)
        SSL_CTX_free(l->ssl_ctx);
    OPENSSL_cleanse(l->conf.password, sizeof l->conf.password);
    free(l->binds);
    free(l->q);
    free(l->sendlog);
    free(l);
}

int gw_link_submit(struct gw_link *l, const struct gw_sm *sm)
{
    if (l->draining)
        return -ESHUTDOWN;
    if (!sm->ud_len || sm->ud_len > sizeof sm->ud || !memchr(sm->dest, 0, sizeof sm->dest) ||
        !sm->dest[0])
        return -EINVAL;
    if (sm->udhi && sm->ud[0] >= sm->ud_len)
        return -EINVAL; /* TS 23.040 §9.2.3.24: UDHL within TP-UD */
    if (sm->deadline && sm->deadline <= (time_t)ev_time())
        return -ETIME;
    if (l->qlen == l->qcap)
        return -ENOBUFS;
    struct qent e = {.sm = *sm, .order = l->next_order++};
    q_push_back(l, &e);
    return 0;
}

void gw_link_stats(const struct gw_link *l, struct gw_link_stats *st)
{
    *st = l->st;
    st->binds_total = l->nbinds;
    st->binds_up = st->tx_up = st->window_used = st->window_total = 0;
    for (unsigned i = 0; i < l->nbinds; i++) {
        const struct gw_bind *b = &l->binds[i];
        st->window_used += b->win_used;
        if (b->role != GW_ROLE_RX)
            st->window_total += l->window;
        if (b->st == GW_BIND_BOUND) {
            st->binds_up++;
            if (b->role != GW_ROLE_RX)
                st->tx_up++;
        }
    }
    st->queue_depth = l->qlen;
    st->queue_cap = l->qcap;
    st->paused = l->paused;
}

const char *gw_link_name(const struct gw_link *l)
{
    return l->conf.name;
}

int gw_link_can_send(const struct gw_link *l)
{
    if (l->draining)
        return 0;
    for (unsigned i = 0; i < l->nbinds; i++)
        if (l->binds[i].st == GW_BIND_BOUND && l->binds[i].role != GW_ROLE_RX)
            return 1;
    return 0;
}
