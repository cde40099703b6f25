/* sim_client.c — the test ESME of `otasim --client` (see sim_client.h).
 *
 * Blocking socket + poll(): a test driver, not a daemon; simplicity wins.
 * Output, one line per event, for shell tests to grep:
 *   bind status=N
 *   resp seq=N status=N id=ID
 *   deliver seq=N esm=HH src=A dst=B pid=HH dcs=HH ud=HEX [rid=ID state=N]
 *   enquire_link seq=N | generic_nack seq=N status=N | closed
 *   bench submits=N ok=N throttled=N secs=S rate=R */
#include "tests/sim/sim_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "codec/hex.h"
#include "codec/smppf.h"

#define MAX_SUBMITS 64

struct client {
    int fd;
    SSL *ssl;
    uint32_t seq;
    uint8_t rbuf[2 * SMPPF_PDU_MAX + 1];
    size_t rlen;
    unsigned outstanding, delivers, ok, throttled, other;
    int closed;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int xwrite(struct client *c, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, p, (int)n) : send(c->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            if (!c->ssl && w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_pdu(struct client *c, struct smppf_pdu *p)
{
    uint8_t buf[SMPPF_PDU_MAX];
    size_t n;
    if (smppf_encode(p, buf, sizeof buf, &n) != SMPPF_OK)
        return -1;
    return xwrite(c, buf, n);
}

static int send_empty(struct client *c, uint32_t cmd, uint32_t st, uint32_t seq)
{
    uint8_t buf[16];
    size_t n = smppf_encode_empty(cmd, st, seq, buf, sizeof buf);
    return xwrite(c, buf, n);
}

static void handle(struct client *c, const uint8_t *b, size_t n, int quiet)
{
    static struct smppf_pdu p;
    enum smppf_err e = smppf_decode(b, n, &p);
    uint32_t cmd = p.hdr.command_id, seq = p.hdr.sequence_number, st = p.hdr.command_status;
    if (e != SMPPF_OK) {
        printf("malformed cmd=%08x seq=%u err=%s\n", cmd, seq, smppf_strerror(e));
        if (!smppf_cmd_is_resp(cmd)) {
            if (cmd == SMPPF_DELIVER_SM)
                send_empty(c, SMPPF_DELIVER_SM_RESP, SMPPF_ESME_RSYSERR, seq);
            else
                send_empty(c, SMPPF_GENERIC_NACK, SMPPF_ESME_RINVCMDID, seq);
        }
        return;
    }
    switch (cmd) {
    case SMPPF_SUBMIT_SM_RESP:
        if (c->outstanding)
            c->outstanding--;
        if (st == SMPPF_ESME_ROK)
            c->ok++;
        else if (st == SMPPF_ESME_RTHROTTLED)
            c->throttled++;
        else
            c->other++;
        if (!quiet)
            printf("resp seq=%u status=%u id=%s\n", seq, st, st ? "" : p.u.sm_resp.message_id);
        break;
    case SMPPF_DELIVER_SM: {
        const struct smppf_sm *m = &p.u.sm;
        char hex[2 * SMPPF_PAYLOAD_MAX + 1];
        const uint8_t *ud = m->tlv.message_payload ? m->tlv.message_payload : m->short_message;
        size_t ul = m->tlv.message_payload ? m->tlv.message_payload_len : m->sm_length;
        c->delivers++;
        if (!quiet) {
            printf("deliver seq=%u esm=%02x src=%s dst=%s pid=%02x dcs=%02x ud=%s", seq,
                   m->esm_class, m->source_addr, m->destination_addr, m->protocol_id,
                   m->data_coding, hex_encode(ud, ul, hex, sizeof hex) ? hex : "-");
            if (m->tlv.has_receipted_message_id)
                printf(" rid=%s", m->tlv.receipted_message_id);
            if (m->tlv.has_message_state)
                printf(" state=%u", m->tlv.message_state);
            if ((m->esm_class & SMPPF_ESM_TYPE_MASK) == SMPPF_ESM_TYPE_RECEIPT && ul &&
                !m->tlv.message_payload)
                printf(" text=%.*s", (int)ul, (const char *)ud);
            printf("\n");
        }
        send_empty(c, SMPPF_DELIVER_SM_RESP, 0, seq);
        break;
    }
    case SMPPF_ENQUIRE_LINK:
        if (!quiet)
            printf("enquire_link seq=%u\n", seq);
        send_empty(c, SMPPF_ENQUIRE_LINK_RESP, 0, seq);
        break;
    case SMPPF_GENERIC_NACK:
        printf("generic_nack seq=%u status=%u\n", seq, st);
        break;
    default:
        if (!quiet)
            printf("%s seq=%u status=%u\n", smppf_cmd_name(cmd), seq, st);
    }
}

/* Reads and handles what arrives within timeout_ms. -1: link closed. */
static int pump(struct client *c, int timeout_ms, int quiet)
{
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    if (!(c->ssl && SSL_pending(c->ssl)) && poll(&pf, 1, timeout_ms) <= 0)
        return 0;
    ssize_t n = c->ssl ? SSL_read(c->ssl, c->rbuf + c->rlen, (int)(sizeof c->rbuf - 1 - c->rlen))
                       : recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - 1 - c->rlen, 0);
    if (n <= 0) {
        if (!c->closed)
            printf("closed\n");
        c->closed = 1;
        return -1;
    }
    c->rlen += (size_t)n;
    size_t off = 0;
    while (c->rlen - off >= SMPPF_HDR_LEN) {
        struct smppf_hdr h;
        if (smppf_header_check(c->rbuf + off, c->rlen - off, &h) == SMPPF_ERR_LEN) {
            printf("closed unframed\n");
            c->closed = 1;
            return -1;
        }
        if (c->rlen - off < h.command_length)
            break;
        uint8_t save = c->rbuf[off + h.command_length];
        c->rbuf[off + h.command_length] = 0;
        handle(c, c->rbuf + off, h.command_length, quiet);
        c->rbuf[off + h.command_length] = save;
        off += h.command_length;
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    return 1;
}

static void usage(void)
{
    fputs("usage: otasim --client HOST:PORT --system-id ID --password PW [--bind trx|tx|rx]\n"
          "         [--tls] [--src ADDR] [--submit DST:HEXUD]... [--repeat N] [--window N]\n"
          "         [--rd N] [--wait-ms N] [--expect N] [--bench N] [--quiet]\n",
          stderr);
}

int sim_client_main(int argc, char **argv)
{
    const char *hostport = NULL, *sysid = "otagw", *pw = "secret", *bindt = "trx", *src = "12345";
    struct {
        char dst[21];
        uint8_t ud[SMPPF_PAYLOAD_MAX];
        size_t len;
    } *subs = calloc(MAX_SUBMITS, sizeof *subs);
    unsigned nsubs = 0, repeat = 1, window = 1, rd = 1, wait_ms = 0, expect = 0, bench = 0;
    int tls = 0, quiet = 0;
    if (!subs)
        return 2;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
        if (i == 0 && a[0] != '-')
            hostport = a;
        else if (ARG("--system-id"))
            sysid = v;
        else if (ARG("--password"))
            pw = v;
        else if (ARG("--bind"))
            bindt = v;
        else if (ARG("--src"))
            src = v;
        else if (ARG("--repeat"))
            repeat = (unsigned)atoi(v);
        else if (ARG("--window"))
            window = (unsigned)atoi(v);
        else if (ARG("--rd"))
            rd = (unsigned)atoi(v);
        else if (ARG("--wait-ms"))
            wait_ms = (unsigned)atoi(v);
        else if (ARG("--expect"))
            expect = (unsigned)atoi(v);
        else if (ARG("--bench"))
            bench = (unsigned)atoi(v);
        else if (strcmp(a, "--tls") == 0)
            tls = 1;
        else if (strcmp(a, "--quiet") == 0)
            quiet = 1;
        else if (ARG("--submit")) {
            const char *colon = strchr(v, ':');
            long n;
            if (nsubs == MAX_SUBMITS || !colon || (size_t)(colon - v) >= 21 ||
                (n = hex_decode(colon + 1, subs[nsubs].ud, sizeof subs[nsubs].ud)) < 0) {
                fprintf(stderr, "otasim --client: bad --submit %s (DST:HEXUD)\n", v);
                return 2;
            }
            memcpy(subs[nsubs].dst, v, (size_t)(colon - v));
            subs[nsubs].len = (size_t)n;
            nsubs++;
        } else {
            usage();
            return 2;
        }
    }
    if (!hostport || (bench && !nsubs) || !window) {
        usage();
        return 2;
    }
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) {
        usage();
        return 2;
    }
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
        fprintf(stderr, "otasim --client: cannot resolve %s\n", hostport);
        return 2;
    }
    static struct client c;
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0 || connect(c.fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        fprintf(stderr, "otasim --client: connect %s: %s\n", hostport, strerror(errno));
        freeaddrinfo(ai);
        return 2;
    }
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL_CTX *ctx = NULL;
    if (tls) {
        ctx = SSL_CTX_new(TLS_client_method());
        c.ssl = ctx ? SSL_new(ctx) : NULL;
        if (!c.ssl || SSL_set_fd(c.ssl, c.fd) != 1 || SSL_connect(c.ssl) != 1) {
            fprintf(stderr, "otasim --client: TLS handshake failed\n");
            return 2;
        }
        printf("tls %s\n", SSL_get_version(c.ssl));
    }
    /* bind */
    struct smppf_pdu p;
    memset(&p, 0, sizeof p);
    p.hdr.command_id = strcmp(bindt, "tx") == 0   ? SMPPF_BIND_TRANSMITTER
                       : strcmp(bindt, "rx") == 0 ? SMPPF_BIND_RECEIVER
                                                  : SMPPF_BIND_TRANSCEIVER;
    p.hdr.sequence_number = ++c.seq;
    snprintf(p.u.bind.system_id, sizeof p.u.bind.system_id, "%s", sysid);
    snprintf(p.u.bind.password, sizeof p.u.bind.password, "%s", pw);
    p.u.bind.interface_version = 0x34;
    if (send_pdu(&c, &p) < 0)
        return 2;
    /* The bind answer comes first. */
    uint8_t hb[SMPPF_PDU_MAX + 1];
    size_t got = 0;
    struct smppf_hdr h = {0};
    while (got < SMPPF_HDR_LEN || got < h.command_length) {
        ssize_t n = c.ssl
                        ? SSL_read(c.ssl, hb + got, (int)((got < 16 ? 16 : h.command_length) - got))
                        : recv(c.fd, hb + got, (got < 16 ? 16 : h.command_length) - got, 0);
        if (n <= 0) {
            printf("bind closed\n");
            return 1;
        }
        got += (size_t)n;
        if (got >= 16 && smppf_header_check(hb, got, &h) == SMPPF_ERR_LEN) {
            printf("bind unframed\n");
            return 1;
        }
    }
    printf("bind status=%u\n", h.command_status);
    fflush(stdout);
    if (h.command_status != 0)
        return 1;
    /* submits, within the window */
    unsigned total = bench ? bench : nsubs * repeat, sent = 0;
    double t0 = mono();
    while (sent < total && !c.closed) {
        while (c.outstanding < window && sent < total) {
            unsigned k = sent % nsubs;
            memset(&p, 0, sizeof p);
            p.hdr.command_id = SMPPF_SUBMIT_SM;
            p.hdr.sequence_number = ++c.seq;
            struct smppf_sm *m = &p.u.sm;
            m->source_addr_ton = 1, m->source_addr_npi = 1;
            snprintf(m->source_addr, sizeof m->source_addr, "%s", src);
            m->dest_addr_ton = 1, m->dest_addr_npi = 1;
            memcpy(m->destination_addr, subs[k].dst, sizeof m->destination_addr);
            m->esm_class = SMPPF_ESM_UDHI;
            m->protocol_id = 0x7f;
            m->data_coding = 0xf6;
            m->registered_delivery = (uint8_t)rd;
            if (subs[k].len <= 140) {
                memcpy(m->short_message, subs[k].ud, subs[k].len);
                m->sm_length = (uint8_t)subs[k].len;
            } else {
                m->tlv.message_payload = subs[k].ud;
                m->tlv.message_payload_len = (uint16_t)subs[k].len;
            }
            if (send_pdu(&c, &p) < 0) {
                c.closed = 1;
                break;
            }
            c.outstanding++;
            sent++;
            if (!quiet && !bench)
                printf("submit seq=%u dst=%s\n", p.hdr.sequence_number, subs[k].dst);
        }
        if (pump(&c, 5000, quiet || bench) == 0 && c.outstanding >= window) {
            printf("timeout outstanding=%u\n", c.outstanding);
            break;
        }
    }
    while (c.outstanding && !c.closed)
        if (pump(&c, 5000, quiet || bench) == 0)
            break;
    double secs = mono() - t0;
    if (bench)
        printf("bench submits=%u ok=%u throttled=%u other=%u secs=%.3f rate=%.0f\n", sent, c.ok,
               c.throttled, c.other, secs, secs > 0 ? c.ok / secs : 0.0);
    fflush(stdout);
    double end = mono() + wait_ms / 1000.0;
    while (!c.closed && (expect ? c.delivers < expect : 1)) {
        double left = end - mono();
        if (left <= 0)
            break;
        pump(&c, (int)(left * 1000) + 1, quiet);
        fflush(stdout);
    }
    if (expect && c.delivers < expect)
        printf("expected %u deliver_sm, got %u\n", expect, c.delivers);
    if (!c.closed) {
        send_empty(&c, SMPPF_UNBIND, 0, ++c.seq);
        pump(&c, 500, 1);
    }
    if (c.ssl)
        SSL_free(c.ssl);
    if (ctx)
        SSL_CTX_free(ctx);
    close(c.fd);
    free(subs);
    fflush(stdout);
    return (expect && c.delivers < expect) ? 1 : 0;
}
