/* bench_smpp.c — SMs/s through one bind, CPU per SM, window efficiency and
 * throttle accuracy, against a minimal SMSC forked from this program.
 *
 * The SMSC child is a poll() loop built on codec/smppf: it answers binds,
 * enquire_link and unbind, answers each submit_sm (header-checked and fully
 * decoded) with a submit_sm_resp after an optional fixed delay, and writes
 * the arrival time of every submit_sm into shared memory, so the parent can
 * check the throttle in every one-second window at the receiving end.
 * Prints figures; asserts nothing about timings (Makefile: `make bench`). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "codec/smppf.h"
#include "gateway/bind.h"

#define MAX_TS 200000

struct shared {
    volatile unsigned long submits;
    volatile unsigned max_outstanding;
    volatile double hold_sum; /* SMSC: sum of (resp written - submit read) */
    volatile unsigned long hold_n;
    volatile unsigned long rx_batches; /* SMSC wakeups that read a submit */
    double ts[MAX_TS];                 /* SMSC: when its read() returned each submit_sm */
    double kts[MAX_TS];                /* exact mode: the kernel's receive timestamp */
};

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the SMSC child ------------------------------------------------------ */

struct pend {
    double due, rx;
    uint32_t seq;
    unsigned long id;
};

struct conn {
    int fd;
    uint8_t in[65536];
    size_t in_len;
    uint8_t out[1 << 20];
    size_t out_len;
    struct pend *pq; /* delayed resps, FIFO (equal delays keep order) */
    size_t ph, pt, pcap;
};

static void c_out(struct conn *c, const uint8_t *p, size_t n)
{
    if (c->out_len + n > sizeof c->out)
        return;
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Exact mode (throttle runs): reads no further than the end of the next
 * PDU, so the kernel's receive timestamp (SO_TIMESTAMPNS: when the
 * segment holding its last octet arrived) is that PDU's own. */
static ssize_t recv_pdu(struct conn *c, double *kts)
{
    size_t want = 16 - c->in_len;
    if (c->in_len >= 16) {
        struct smppf_hdr h;
        if (smppf_header_check(c->in, c->in_len, &h) != SMPPF_OK)
            _exit(2);
        want = h.command_length - c->in_len;
    }
    char cbuf[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {c->in + c->in_len, want};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t r = recvmsg(c->fd, &m, MSG_DONTWAIT);
    for (struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec t;
            memcpy(&t, CMSG_DATA(cm), sizeof t);
            *kts = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
        }
    return r;
}

static void smsc_run(int lfd, double delay, int exact, struct shared *sh)
{
    struct conn *cs[8] = {0};
    unsigned long next_id = 1;
    for (;;) {
        struct pollfd pf[9];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        double now = mono(), next_due = 1e18;
        for (int i = 0; i < 8; i++) {
            if (!cs[i])
                continue;
            if (cs[i]->ph != cs[i]->pt && cs[i]->pq[cs[i]->ph % cs[i]->pcap].due < next_due)
                next_due = cs[i]->pq[cs[i]->ph % cs[i]->pcap].due;
            pf[n++] = (struct pollfd){.fd = cs[i]->fd, .events = POLLIN};
        }
        int to = next_due < 1e17 ? (int)((next_due - now) * 1000) : 1000;
        if (to < 0)
            to = 0;
        if (poll(pf, (nfds_t)n, to) < 0 && errno != EINTR)
            _exit(1);
        if (pf[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            for (int i = 0; i < 8 && fd >= 0; i++)
                if (!cs[i]) {
                    cs[i] = calloc(1, sizeof *cs[i]);
                    cs[i]->fd = fd;
                    cs[i]->pcap = 1 << 16;
                    cs[i]->pq = calloc(cs[i]->pcap, sizeof *cs[i]->pq);
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (exact)
                        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
                    fd = -1;
                }
        }
        now = mono();
        for (int i = 0; i < 8; i++) {
            struct conn *c = cs[i];
            if (!c)
                continue;
            ssize_t r;
            int got_submit = 0;
            double kts = 0;
        again:
            r = exact ? recv_pdu(c, &kts)
                      : recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN)) {
                close(c->fd);
                free(c->pq);
                free(c);
                cs[i] = NULL;
                continue;
            }
            if (r > 0)
                c->in_len += (size_t)r;
            if (exact)
                now = mono();
            size_t off = 0;
            while (c->in_len - off >= 16) {
                struct smppf_hdr h;
                if (smppf_header_check(c->in + off, c->in_len - off, &h) != SMPPF_OK)
                    _exit(2);
                if (c->in_len - off < h.command_length)
                    break;
                struct smppf_pdu p;
                if (smppf_decode(c->in + off, h.command_length, &p) != SMPPF_OK)
                    _exit(3);
                uint8_t o[128];
                size_t ol = 0;
                switch (h.command_id) {
                case SMPPF_BIND_TRANSCEIVER:
                case SMPPF_BIND_TRANSMITTER:
                case SMPPF_BIND_RECEIVER: {
                    struct smppf_pdu rp = {.hdr = {.command_id = h.command_id | 0x80000000u,
                                                   .sequence_number = h.sequence_number}};
                    strcpy(rp.u.bind_resp.system_id, "benchsmsc");
                    if (smppf_encode(&rp, o, sizeof o, &ol) != SMPPF_OK)
                        _exit(4);
                    break;
                }
                case SMPPF_SUBMIT_SM: {
                    unsigned long k = sh->submits;
                    if (k < MAX_TS)
                        sh->ts[k] = now, sh->kts[k] = kts;
                    sh->submits = k + 1;
                    size_t outst = c->pt - c->ph + 1;
                    if (outst > sh->max_outstanding)
                        sh->max_outstanding = (unsigned)outst;
                    c->pq[c->pt++ % c->pcap] =
                        (struct pend){now + delay, now, h.sequence_number, next_id++};
                    got_submit = 1;
                    break;
                }
                case SMPPF_ENQUIRE_LINK:
                    ol = smppf_encode_empty(SMPPF_ENQUIRE_LINK_RESP, 0, h.sequence_number, o,
                                            sizeof o);
                    break;
                case SMPPF_UNBIND:
                    ol = smppf_encode_empty(SMPPF_UNBIND_RESP, 0, h.sequence_number, o, sizeof o);
                    break;
                default:
                    break;
                }
                if (ol)
                    c_out(c, o, ol);
                off += h.command_length;
            }
            memmove(c->in, c->in + off, c->in_len - off);
            c->in_len -= off;
            if (exact && r > 0)
                goto again;
            sh->rx_batches += (unsigned long)got_submit;
            double tnow = mono();
            while (c->ph != c->pt && c->pq[c->ph % c->pcap].due <= tnow) {
                struct pend *pe = &c->pq[c->ph++ % c->pcap];
                char id[24];
                snprintf(id, sizeof id, "%lX", pe->id);
                uint8_t o[128];
                size_t ol = smppf_encode_sm_resp(SMPPF_SUBMIT_SM_RESP, 0, pe->seq, id, o, sizeof o);
                c_out(c, o, ol);
                sh->hold_sum += tnow - pe->rx;
                sh->hold_n++;
            }
            size_t w = 0;
            while (w < c->out_len) {
                ssize_t s = send(c->fd, c->out + w, c->out_len - w, MSG_NOSIGNAL);
                if (s <= 0)
                    break;
                w += (size_t)s;
            }
            memmove(c->out, c->out + w, c->out_len - w);
            c->out_len -= w;
        }
    }
}

static pid_t smsc_start(double delay, int exact, struct shared *sh, uint16_t *port)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 16) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &al) < 0) {
        perror("smsc");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        smsc_run(lfd, delay, exact, sh);
        _exit(0);
    }
    close(lfd);
    return pid;
}

/* ---- the gateway side ----------------------------------------------------- */

struct run {
    struct gw_link *l;
    struct ev_loop *loop;
    unsigned long want, answered, queued;
    int bound;
    double t0, t1;
    ev_timer stop;
};

static void top_up(struct run *r)
{
    struct gw_sm sm = {.dest = "491701234567", .ud_len = 140, .udhi = 1};
    sm.ud[0] = 2, sm.ud[1] = 0x70, sm.ud[2] = 0;
    struct gw_link_stats st;
    gw_link_stats(r->l, &st);
    while (r->queued < r->want && st.queue_depth < 2000) {
        if (gw_link_submit(r->l, &sm) != 0)
            break;
        r->queued++;
        st.queue_depth++;
    }
}

static void on_resp(void *owner, void *ctx, uint64_t id, uint32_t status, enum gw_verdict v,
                    const char *msgid, unsigned nkeys, char keys[DLR_KEYS][DLR_KEY_MAX])
{
    (void)ctx, (void)id, (void)status, (void)v, (void)msgid, (void)nkeys, (void)keys;
    struct run *r = owner;
    r->answered++;
    if (r->answered == r->want) {
        r->t1 = ev_now(r->loop);
        ev_break(r->loop, EVBREAK_ALL);
        return;
    }
    if ((r->answered & 255) == 0)
        top_up(r);
}

static void on_state(void *owner, const char *carrier, unsigned bind, enum gw_bind_role role,
                     enum gw_bind_state from, enum gw_bind_state to, const char *reason)
{
    (void)carrier, (void)bind, (void)role, (void)from, (void)reason;
    struct run *r = owner;
    if (to == GW_BIND_BOUND) {
        r->bound = 1;
        r->t0 = ev_now(r->loop);
        top_up(r);
    }
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static double cpu_now(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static unsigned long worst_window(const double *t, unsigned long k)
{
    unsigned long j = 0, worst = 0;
    for (unsigned long i = 0; i < k; i++) {
        while (t[i] - t[j] >= 1.0)
            j++;
        if (i - j + 1 > worst)
            worst = i - j + 1;
    }
    return worst;
}

/* One run: n SMs (or until max_s) at window, tps, SMSC delay. */
static void run_one(const char *what, unsigned window, unsigned tps, double delay, unsigned long n,
                    double max_s)
{
    struct shared *sh =
        mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        exit(1);
    memset((void *)sh, 0, sizeof *sh);
    uint16_t port;
    pid_t pid = smsc_start(delay, tps != 0, sh, &port);
    struct gw_carrier c = {.name = "bench",
                           .host = "127.0.0.1",
                           .port = port,
                           .system_id = "bench",
                           .password = "pw",
                           .binds = 1,
                           .bind_mode = GW_BIND_TRX,
                           .window = window,
                           .tps = tps,
                           .src_ton = 1,
                           .src_npi = 1,
                           .dst_ton = 1,
                           .dst_npi = 1,
                           .source_addr = "4930",
                           .response_timeout_ms = 10000,
                           .reconnect_min_ms = 100,
                           .reconnect_max_ms = 1000,
                           .protocol_id = 0x7F,
                           .data_coding = 0xF6,
                           .msgid_format = GW_MSGID_HEX};
    struct run r = {.want = n, .loop = ev_loop_new(EVFLAG_AUTO)};
    struct gw_link_cbs cbs = {.submit_resp = on_resp, .state = on_state};
    r.l = gw_link_new(r.loop, &c, &cbs, &r, 8192);
    if (!r.l) {
        perror("gw_link_new");
        exit(1);
    }
    ev_timer_init(&r.stop, stop_cb, max_s, 0.);
    ev_timer_start(r.loop, &r.stop);
    double cpu0 = cpu_now();
    ev_run(r.loop, 0);
    double cpu1 = cpu_now();
    if (!r.t1)
        r.t1 = ev_now(r.loop);
    double secs = r.t1 - r.t0;
    double rate = (double)r.answered / secs;
    printf("%-34s window %3u: %8lu SMs in %6.3f s = %8.0f SMs/s, gateway CPU %.2f us/SM", what,
           window, r.answered, secs, rate, (cpu1 - cpu0) / (double)r.answered * 1e6);
    static double rtt; /* measured at window 1 with the same delay */
    if (delay > 0 && window == 1)
        rtt = secs / (double)r.answered;
    if (delay > 0 && window > 1 && rtt > 0)
        printf(", %.1f%% of window/RTT (RTT %.2f ms at window 1), SMSC saw <= %u outstanding",
               100.0 * rate / (window / rtt), rtt * 1e3, sh->max_outstanding);
    if (delay > 0 && sh->hold_n) {
        double hold = sh->hold_sum / (double)sh->hold_n;
        printf(", SMSC held %.3f ms mean: %.1f%% of window/hold, %.1f submits per SMSC read",
               hold * 1e3, 100.0 * rate / (window / hold),
               (double)sh->submits / (double)(sh->rx_batches ? sh->rx_batches : 1));
    }
    if (tps) {
        /* At the receiving end: the most submits in any one-second window
         * (sliding: every window that starts at a submit), by the kernel's
         * arrival stamps and by the SMSC's read times, and the mean rate
         * from the first arrival to the last. */
        unsigned long k = sh->submits < MAX_TS ? sh->submits : MAX_TS;
        unsigned long wk = worst_window(sh->kts, k), wu = worst_window(sh->ts, k);
        double mean = k > 1 ? (double)(k - 1) / (sh->kts[k - 1] - sh->kts[0]) : 0;
        printf(", tps %u: mean %.2f/s (%+.2f%%), max in any 1 s window %lu at arrival, %lu as "
               "read",
               tps, mean, 100.0 * (mean - tps) / tps, wk, wu);
    }
    printf("\n");
    gw_link_free(r.l);
    ev_loop_destroy(r.loop);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    munmap(sh, sizeof *sh);
}

int main(int argc, char **argv)
{
    /* "quick": short runs while developing; "case=N": only the Nth line. */
    int quick = 0, only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "quick"))
            quick = 1;
        else if (!strncmp(argv[i], "case=", 5))
            only = atoi(argv[i] + 5);
    }
    gw_link_log_level(4);
    const struct {
        const char *what;
        unsigned window, tps;
        double delay;
        unsigned long n, nq;
        double max_s;
    } cases[] = {
        {"no delay, TPS off", 1, 0, 0, 30000, 5000, 20},
        {"no delay, TPS off", 10, 0, 0, 200000, 20000, 20},
        {"no delay, TPS off", 100, 0, 0, 200000, 20000, 20},
        {"SMSC answers after 20 ms", 1, 0, 0.020, 250, 100, 20},
        {"SMSC answers after 20 ms", 10, 0, 0.020, 4000, 2000, 20},
        {"SMSC answers after 20 ms", 100, 0, 0.020, 40000, 20000, 20},
        {"SMSC answers after 10 ms", 1, 0, 0.010, 500, 200, 20},
        {"SMSC answers after 10 ms", 10, 0, 0.010, 8000, 4000, 20},
        {"SMSC answers after 10 ms", 100, 0, 0.010, 80000, 40000, 20},
        {"throttle", 100, 50, 0, 500, 100, 15},
        {"throttle", 100, 500, 0, 5000, 1000, 15},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!only || (size_t)only == i + 1)
            run_one(cases[i].what, cases[i].window, cases[i].tps, cases[i].delay,
                    quick ? cases[i].nq : cases[i].n, cases[i].max_s);
    return 0;
}
