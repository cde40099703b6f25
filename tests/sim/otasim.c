/* otasim.c — the carrier and SIM simulator's main: command line, card
 * file, the libev loop, signals (docs/simulator.md).
 *
 *   otasim --cards FILE [--listen 127.0.0.1:PORT[,account=NAME]] ...
 *   otasim --client HOST:PORT ...      (a test ESME, see sim_client.c)
 *
 * SIGUSR1 writes the state file; SIGTERM/SIGINT write it and exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <openssl/crypto.h>

#include "tests/sim/sim_cards.h"
#include "tests/sim/sim_client.h"
#include "tests/sim/sim_smsc.h"
#include "tests/sim/sim_tool.h"

static void usage(FILE *f)
{
    fputs("usage: otasim --cards FILE [options]     carrier SMSC + simulated SIM cards\n"
          "       otasim --client HOST:PORT [...]   a test ESME (otasim --client --help)\n"
          "       otasim --packet --keys F --keyset K --tar T --cntr N --data HEX [--spi S]\n"
          "       otasim --open-por --keys F --keyset K --tar T --cntr N [--spi S] HEXUD\n"
          "\n"
          "cards and keys\n"
          "  --cards FILE             card file (repeatable; docs/simulator.md)\n"
          "  --keys FILE              a gateway keystore: its [keyset] sections (repeatable)\n"
          "  --check                  load, print a summary, exit (0 when valid)\n"
          "SMSC\n"
          "  --listen ADDR:PORT[,account=NAME]  (repeatable; default 127.0.0.1:2775)\n"
          "  --account NAME:SYSTEM_ID:PASSWORD  (repeatable; default carrier:otagw:secret)\n"
          "  --accounts FILE          lines 'NAME SYSTEM_ID PASSWORD'\n"
          "  --msgid hex|dec[/hex|dec]  submit_sm_resp id format [/ receipt id format]\n"
          "  --receipt text|tlv|both  receipt form (default both)\n"
          "  --receipt-delay-ms N     (default 50)\n"
          "  --receipt-early          receipt sent before the submit_sm_resp\n"
          "  --deliver-on any|same|other  session of the account that gets a submit's\n"
          "                           receipt and its card's MOs (default any: round robin)\n"
          "  --outcome DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2   (default DELIVRD=100)\n"
          "  --por-delay-ms N         card answer delay (default 20)\n"
          "  --redeliver-ms N         deliver_sm answered with a temporary error (or\n"
          "                           unanswered when its link closes) is sent again\n"
          "                           after N ms (default 1000)\n"
          "  --window N               outstanding submits per bind (0: none); over: THROTTLED\n"
          "  --tps N                  submits per second per account (0: none)\n"
          "  --enquire-link-s N       idle seconds before the SMSC's enquire_link (default 30)\n"
          "faults (also at run time: control 'fault NAME VALUE')\n"
          "  --drop-after N           close a link at its Nth submit_sm\n"
          "  --stall-ms N             hold each submit_sm_resp N ms\n"
          "  --reject-binds-for-ms N  refuse binds (RBINDFAIL) for N ms from start\n"
          "  --throttle-rate P        answer a fraction P of submits ESME_RTHROTTLED\n"
          "  --malformed-every N      precede every Nth PDU sent with a malformed one\n"
          "output\n"
          "  --log FILE               one line per PDU received (and link closes)\n"
          "  --journal FILE           one line per command packet a card processed\n"
          "  --state FILE             state dump on SIGUSR1, 'flush' and at exit\n"
          "  --control PORT           line protocol on 127.0.0.1: dump | card ICCID | stats |\n"
          "                           fault NAME VALUE | flush\n"
          "  --tls-cert F --tls-key F serve SMPP over TLS\n"
          "  --seed N                 outcomes and throttling reproducible\n"
          "  --msgid-start N          first message id (default from the seed)\n"
          "  -v                       log links to stderr\n",
          f);
}

static int parse_listen(struct sim_opts *o, const char *v, char names[][32])
{
    if (o->nlisten >= SIM_MAX_LISTENERS)
        return -1;
    struct sim_listen *l = &o->listen[o->nlisten];
    char buf[160];
    snprintf(buf, sizeof buf, "%s", v);
    char *comma = strchr(buf, ',');
    names[o->nlisten][0] = 0;
    if (comma) {
        *comma = 0;
        if (strncmp(comma + 1, "account=", 8) != 0)
            return -1;
        snprintf(names[o->nlisten], 32, "%s", comma + 9);
    }
    char *colon = strrchr(buf, ':');
    const char *port = colon ? colon + 1 : buf;
    if (colon) {
        *colon = 0;
        if (strlen(buf) >= sizeof l->host)
            return -1;
        memcpy(l->host, buf, strlen(buf) + 1);
    } else {
        snprintf(l->host, sizeof l->host, "127.0.0.1");
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (*end || p < 0 || p > 65535)
        return -1;
    l->port = (uint16_t)p;
    l->account = -1;
    o->nlisten++;
    return 0;
}

static int add_account(struct sim_opts *o, const char *name, const char *sysid, const char *pw)
{
    if (o->naccounts >= SIM_MAX_ACCOUNTS || strlen(name) >= 32 || strlen(sysid) >= 16 ||
        strlen(pw) >= 9 || !*name || !*sysid)
        return -1;
    struct sim_account *a = &o->accounts[o->naccounts++];
    strcpy(a->name, name);
    strcpy(a->system_id, sysid);
    strcpy(a->password, pw);
    return 0;
}

static int load_accounts(struct sim_opts *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        char n[64], s[64], p[64];
        char *h = line + strspn(line, " \t");
        if (*h == '#' || *h == '\n' || !*h)
            continue;
        if (sscanf(h, "%63s %63s %63s", n, s, p) != 3 || add_account(o, n, s, p) < 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

static int parse_outcome(struct sim_opts *o, const char *v)
{
    static const char *const names[] = {"DELIVRD", "UNDELIV", "EXPIRED", "REJECTD"};
    memset(o->outcome, 0, sizeof o->outcome);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq)
            return -1;
        *eq = 0;
        int k = -1;
        for (int i = 0; i < SIM_NOUTCOMES; i++)
            if (strcmp(t, names[i]) == 0)
                k = i;
        char *end;
        long w = strtol(eq + 1, &end, 10);
        if (k < 0 || *end || w < 0 || w > 1000000)
            return -1;
        o->outcome[k] = (unsigned)w;
    }
    return 0;
}

static int parse_msgid(struct sim_opts *o, const char *v)
{
    char a[8] = "", b[8] = "";
    if (sscanf(v, "%7[a-z]/%7[a-z]", a, b) < 1)
        return -1;
    if (!*b)
        strcpy(b, a);
    for (int i = 0; i < 2; i++) {
        const char *x = i ? b : a;
        enum sim_msgid *f = i ? &o->msgid_receipt : &o->msgid_resp;
        if (strcmp(x, "hex") == 0)
            *f = SIM_MSGID_HEX;
        else if (strcmp(x, "dec") == 0)
            *f = SIM_MSGID_DEC;
        else
            return -1;
    }
    return 0;
}

static struct sim_smsc *SMSC;

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    (void)revents;
    if (w->signum == SIGUSR1) {
        sim_smsc_dump_state(SMSC);
        return;
    }
    ev_break(loop, EVBREAK_ALL);
}

static int num(const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || n > max || *v == '-')
        return -1;
    *out = n;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--client") == 0)
        return sim_client_main(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "--packet") == 0)
        return sim_tool_packet(argc - 2, argv + 2);
    if (argc > 1 && strcmp(argv[1], "--open-por") == 0)
        return sim_tool_open_por(argc - 2, argv + 2);
    static struct sim_opts o;
    static struct sim_world w;
    static char listen_acct[SIM_MAX_LISTENERS][32];
    const char *cards[16], *keys[16];
    unsigned ncards = 0, nkeys = 0;
    int check = 0;
    o.msgid_resp = o.msgid_receipt = SIM_MSGID_HEX;
    o.receipt = SIM_RCPT_BOTH;
    o.receipt_delay_ms = 50;
    o.por_delay_ms = 20;
    o.redeliver_ms = 1000;
    o.outcome[SIM_DELIVRD] = 100;
    o.enquire_s = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long n = 0;
        int bad = 0;
#define OPT(name) (strcmp(a, name) == 0 && (v ? (i++, 1) : (bad = 1, 0)))
#define NUM(field, max)                                                                            \
    do {                                                                                           \
        if (num(v, max, &n) < 0)                                                                   \
            bad = 1;                                                                               \
        else                                                                                       \
            o.field = (unsigned)n;                                                                 \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--check") == 0) {
            check = 1;
        } else if (strcmp(a, "-v") == 0) {
            o.verbose = 1;
        } else if (strcmp(a, "--receipt-early") == 0) {
            o.receipt_early = 1;
        } else if (OPT("--cards")) {
            if (ncards < 16)
                cards[ncards++] = v;
            else
                bad = 1;
        } else if (OPT("--keys")) {
            if (nkeys < 16)
                keys[nkeys++] = v;
            else
                bad = 1;
        } else if (OPT("--listen")) {
            bad = parse_listen(&o, v, listen_acct) < 0;
        } else if (OPT("--account")) {
            char buf[128], *p1, *p2;
            snprintf(buf, sizeof buf, "%s", v);
            p1 = strchr(buf, ':');
            p2 = p1 ? strchr(p1 + 1, ':') : NULL;
            if (!p2)
                bad = 1;
            else {
                *p1 = *p2 = 0;
                bad = add_account(&o, buf, p1 + 1, p2 + 1) < 0;
            }
        } else if (OPT("--accounts")) {
            bad = load_accounts(&o, v) < 0;
        } else if (OPT("--msgid")) {
            bad = parse_msgid(&o, v) < 0;
        } else if (OPT("--receipt")) {
            if (strcmp(v, "text") == 0)
                o.receipt = SIM_RCPT_TEXT;
            else if (strcmp(v, "tlv") == 0)
                o.receipt = SIM_RCPT_TLV;
            else if (strcmp(v, "both") == 0)
                o.receipt = SIM_RCPT_BOTH;
            else
                bad = 1;
        } else if (OPT("--deliver-on")) {
            if (strcmp(v, "any") == 0)
                o.deliver_on = SIM_DELIVER_ANY;
            else if (strcmp(v, "same") == 0)
                o.deliver_on = SIM_DELIVER_SAME;
            else if (strcmp(v, "other") == 0)
                o.deliver_on = SIM_DELIVER_OTHER;
            else
                bad = 1;
        } else if (OPT("--receipt-delay-ms")) {
            NUM(receipt_delay_ms, 3600000);
        } else if (OPT("--por-delay-ms")) {
            NUM(por_delay_ms, 3600000);
        } else if (OPT("--redeliver-ms")) {
            NUM(redeliver_ms, 3600000);
        } else if (OPT("--outcome")) {
            bad = parse_outcome(&o, v) < 0;
        } else if (OPT("--window")) {
            NUM(window, 1000000);
        } else if (OPT("--tps")) {
            NUM(tps, 10000000);
        } else if (OPT("--enquire-link-s")) {
            NUM(enquire_s, 86400);
        } else if (OPT("--drop-after")) {
            NUM(drop_after, 1000000000);
        } else if (OPT("--stall-ms")) {
            NUM(stall_ms, 3600000);
        } else if (OPT("--reject-binds-for-ms")) {
            NUM(reject_binds_ms, 3600000);
        } else if (OPT("--throttle-rate")) {
            char *end;
            o.throttle_rate = strtod(v, &end);
            bad = *end || o.throttle_rate < 0 || o.throttle_rate > 1;
        } else if (OPT("--malformed-every")) {
            NUM(malformed_every, 1000000000);
        } else if (OPT("--log")) {
            o.log_path = v;
        } else if (OPT("--journal")) {
            o.journal_path = v;
        } else if (OPT("--state")) {
            o.state_path = v;
        } else if (OPT("--control")) {
            if (num(v, 65535, &n) < 0)
                bad = 1;
            o.control_port = (uint16_t)n;
        } else if (OPT("--tls-cert")) {
            o.tls_cert = v;
        } else if (OPT("--tls-key")) {
            o.tls_key = v;
        } else if (OPT("--seed")) {
            char *end;
            o.seed = strtoull(v, &end, 10);
            bad = *end != 0;
        } else if (OPT("--msgid-start")) {
            char *end;
            o.msgid_start = strtoull(v, &end, 10);
            bad = *end != 0 || o.msgid_start == 0;
        } else {
            fprintf(stderr, "otasim: unknown option %s (try --help)\n", a);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "otasim: bad or missing value for %s (try --help)\n", a);
            return 2;
        }
    }
    if (!ncards) {
        usage(stderr);
        return 2;
    }
    if (!o.tls_cert != !o.tls_key) {
        fprintf(stderr, "otasim: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (!o.naccounts)
        add_account(&o, "carrier", "otagw", "secret");
    if (!o.nlisten)
        parse_listen(&o, "127.0.0.1:2775", listen_acct);
    for (unsigned i = 0; i < o.nlisten; i++) {
        if (!listen_acct[i][0])
            continue;
        for (unsigned k = 0; k < o.naccounts; k++)
            if (strcmp(o.accounts[k].name, listen_acct[i]) == 0)
                o.listen[i].account = (int)k;
        if (o.listen[i].account < 0) {
            fprintf(stderr, "otasim: --listen names unknown account %s\n", listen_acct[i]);
            return 2;
        }
    }
    sim_world_init(&w);
    char err[512];
    for (unsigned i = 0; i < nkeys; i++)
        if (sim_cards_load(&w, keys[i], err, sizeof err) < 0) {
            fprintf(stderr, "otasim: %s\n", err);
            return 2;
        }
    for (unsigned i = 0; i < ncards; i++)
        if (sim_cards_load(&w, cards[i], err, sizeof err) < 0) {
            fprintf(stderr, "otasim: %s\n", err);
            return 2;
        }
    if (sim_cards_finish(&w, err, sizeof err) < 0) {
        fprintf(stderr, "otasim: %s\n", err);
        return 2;
    }
    if (w.warnings)
        fprintf(stderr, "otasim: %u keystore keys not used by the cards (ignored)\n", w.warnings);
    if (check) {
        printf("%u cards, %u keysets\n", w.ncards, w.nkeysets);
        sim_world_free(&w);
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    struct ev_loop *loop = EV_DEFAULT;
    SMSC = sim_smsc_new(loop, &w, &o, err, sizeof err);
    if (!SMSC) {
        fprintf(stderr, "otasim: %s\n", err);
        sim_world_free(&w);
        return 1;
    }
    for (unsigned i = 0; i < o.nlisten; i++)
        fprintf(stderr, "otasim: SMPP on %s:%u%s%s%s\n", o.listen[i].host, sim_smsc_port(SMSC, i),
                o.tls_cert ? " (TLS)" : "", o.listen[i].account >= 0 ? " account=" : "",
                o.listen[i].account >= 0 ? o.accounts[o.listen[i].account].name : "");
    fprintf(stderr, "otasim: %u cards, %u accounts, ready\n", w.ncards, o.naccounts);
    ev_signal sig_usr1, sig_term, sig_int;
    ev_signal_init(&sig_usr1, on_signal, SIGUSR1);
    ev_signal_init(&sig_term, on_signal, SIGTERM);
    ev_signal_init(&sig_int, on_signal, SIGINT);
    ev_signal_start(loop, &sig_usr1);
    ev_signal_start(loop, &sig_term);
    ev_signal_start(loop, &sig_int);
    ev_run(loop, 0);
    sim_smsc_free(SMSC);
    sim_world_free(&w);
    return 0;
}
