/* sim_smsc.h — the simulated carrier: an SMPP 3.4 SMSC (server side) on one
 * libev loop, routing each submit_sm to the simulated card of its
 * destination MSISDN and sending back receipts and the cards' PoRs as
 * deliver_sm, with faults injected on demand (docs/simulator.md). */
#ifndef OTAGW_SIM_SMSC_H
#define OTAGW_SIM_SMSC_H

#include <stdint.h>
#include <stdio.h>

#include "tests/sim/sim_card.h"

#define SIM_MAX_ACCOUNTS  16
#define SIM_MAX_LISTENERS 16

enum sim_msgid { SIM_MSGID_HEX, SIM_MSGID_DEC };
enum sim_receipt { SIM_RCPT_TEXT = 1, SIM_RCPT_TLV = 2, SIM_RCPT_BOTH = 3 };
enum sim_outcome { SIM_DELIVRD, SIM_UNDELIV, SIM_EXPIRED, SIM_REJECTD, SIM_NOUTCOMES };
/* Which bound session of the account gets a submit's receipt and its card's
 * MOs (PoR, notification): any receiver (round robin), the submit's own
 * session, or another one (what an SMSC does to a fleet of ESMEs sharing
 * one account: the deliver_sm goes wherever a receiver is bound). */
enum sim_deliver { SIM_DELIVER_ANY, SIM_DELIVER_SAME, SIM_DELIVER_OTHER };

struct sim_account {
    char name[32];
    char system_id[16];
    char password[9];
};

struct sim_listen {
    char host[64];
    uint16_t port;
    int account; /* -1: any account, told apart by system_id */
};

/* Everything the command line sets; faults may change at run time
 * (control port "fault NAME VALUE"). */
struct sim_opts {
    unsigned naccounts, nlisten;
    struct sim_account accounts[SIM_MAX_ACCOUNTS];
    struct sim_listen listen[SIM_MAX_LISTENERS];
    enum sim_msgid msgid_resp, msgid_receipt;
    unsigned receipt; /* enum sim_receipt bits */
    unsigned receipt_delay_ms, por_delay_ms;
    unsigned redeliver_ms; /* a deliver_sm refused with a temporary error comes again after this */
    int receipt_early;     /* receipt before the submit_sm_resp */
    enum sim_deliver deliver_on;
    unsigned outcome[SIM_NOUTCOMES];
    unsigned window; /* 0: none */
    unsigned tps;    /* per account; 0: none */
    unsigned enquire_s;
    /* faults */
    unsigned drop_after;      /* close a link after its Nth submit_sm, 0 off */
    unsigned stall_ms;        /* hold every submit_sm_resp this long */
    unsigned reject_binds_ms; /* refuse binds during the first N ms */
    double throttle_rate;     /* answer this fraction ESME_RTHROTTLED */
    unsigned malformed_every; /* every Nth PDU sent is preceded by a malformed one */
    uint64_t seed;
    uint64_t msgid_start; /* first message id; 0: from the seed */
    const char *tls_cert, *tls_key;
    const char *log_path, *journal_path, *state_path;
    uint16_t control_port;
    int verbose;
};

struct sim_smsc;
struct ev_loop;

/* Creates the SMSC over a loaded world (kept, not owned) on loop. Opens
 * listeners, the log files and the control port. NULL with err filled. */
struct sim_smsc *sim_smsc_new(struct ev_loop *loop, struct sim_world *w, const struct sim_opts *o,
                              char *err, size_t errlen);
/* Closes everything, writes the state file. NULL is a no-op. */
void sim_smsc_free(struct sim_smsc *s);
/* Writes the state dump (cards + SMSC counters) to the state file. */
void sim_smsc_dump_state(struct sim_smsc *s);
/* The port a listener got (after binding port 0). */
uint16_t sim_smsc_port(const struct sim_smsc *s, unsigned i);

#endif
