/* bind.h — a carrier's SMPP binds on a libev loop: the gateway's network half.
 *
 * Owned by gateway/bind.c. One struct gw_link per configured carrier keeps
 * every bind of that carrier up (reconnecting with capped, jittered
 * exponential back-off), pushes submit_sm through them within the window and
 * TPS limit, and hands back everything the SMSC says through callbacks.
 * docs/smpp.md has the state machine table, the retry/fail table and the
 * message-id rules.
 *
 * Ownership: gw_link_new() copies the struct gw_carrier it is given; the
 * caller owns its callbacks' `owner` pointer. Callbacks run on the loop; a
 * callback may call gw_link_submit(), gw_link_drain() and the accessors,
 * but never gw_link_free() (free it after ev_run returns or from another
 * watcher). Message ids and receipts passed to callbacks live only for the
 * call. No SM costs a malloc: the queue and windows are fixed rings sized
 * at gw_link_new(). */
#ifndef OTAGW_GATEWAY_BIND_H
#define OTAGW_GATEWAY_BIND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "codec/dlr.h"
#include "gateway/config.h"

/* Per-bind states (docs/smpp.md has the transition table). */
enum gw_bind_state {
    GW_BIND_DISCONNECTED = 0,
    GW_BIND_CONNECTING, /* TCP connect in progress */
    GW_BIND_TLS,        /* TLS handshake */
    GW_BIND_BINDING,    /* bind_* sent, waiting for bind_*_resp */
    GW_BIND_BOUND,
    GW_BIND_UNBINDING, /* unbind sent (drain), waiting for unbind_resp */
};
#define GW_BIND_NSTATES 6

/* What one connection is: a transceiver, or half of a tx+rx pair. */
enum gw_bind_role { GW_ROLE_TRX, GW_ROLE_TX, GW_ROLE_RX };

/* One SM to submit. The caller fills it; gw_link_submit() copies it. */
struct gw_sm {
    char dest[21];   /* destination MSISDN, international digits, no '+' */
    uint8_t ud[140]; /* TP-UD as sent: UDH (when udhi) + data */
    uint8_t ud_len;  /* 1..140 */
    int udhi;        /* 1: ud starts with a UDH, esm_class gets UDHI (0x40) */
    time_t deadline; /* absolute, Unix seconds: validity_period is set
                        relative from it at send time; 0 = SMSC default */
    int no_receipt;  /* 1: registered_delivery 0 (default asks for one) */
    void *ctx;       /* caller's, handed back in every callback */
    uint64_t ctx_id; /* caller's, handed back too */
};

/* Why an SM comes back without a submit_sm_resp. */
enum gw_bounce {
    GW_BOUNCE_UNSENT = 1, /* bind dropped before the SM left us: requeued
                             by the link itself (requeued == 1) */
    GW_BOUNCE_UNANSWERED, /* written, bind dropped before any answer: the
                             SMSC may have it; the owner decides */
    GW_BOUNCE_EXPIRED,    /* its deadline passed while queued */
    GW_BOUNCE_DRAIN,      /* queued when gw_link_drain() ran: never sent */
    GW_BOUNCE_CANCELLED,  /* queued when gw_link_cancel() named its ctx:
                             never sent */
};

/* What the owner should do about a submit_sm_resp (docs/smpp.md table). */
enum gw_verdict {
    GW_VERDICT_OK = 0, /* accepted; message_id given */
    GW_VERDICT_RETRY,  /* transient: submit again later */
    GW_VERDICT_FAIL,   /* permanent for this SM */
};

/* An MO deliver_sm that is not a receipt (a PoR arrives this way). */
struct gw_mo {
    char source_addr[21]; /* originator (the SIM's MSISDN) */
    uint8_t source_ton, source_npi;
    char dest_addr[21];
    uint8_t esm_class, protocol_id, data_coding;
    int udhi;
    const uint8_t *ud; /* TP-UD (UDH included when udhi); short_message or
                          message_payload */
    size_t ud_len;
    int has_sar; /* SMPP-level concatenation (sar_* TLVs), when no UDH does it */
    uint16_t sar_ref;
    uint8_t sar_total, sar_seq;
};

struct gw_link_cbs {
    /* A submit_sm_resp. message_id is "" unless status is 0. The verdict
     * comes from the retry/fail table; ESME_RTHROTTLED and ESME_RMSGQFUL
     * never reach here (the link pauses and resends them itself). keys are
     * the message-id keys (dlr_msgid_keys, role RESP) when status is 0. */
    void (*submit_resp)(void *owner, void *ctx, uint64_t ctx_id, uint32_t status,
                        enum gw_verdict verdict, const char *message_id, unsigned nkeys,
                        char keys[DLR_KEYS][DLR_KEY_MAX]);
    /* No answer before response_timeout_ms: the outcome is unknown, not a
     * failure; a blind resend could deliver twice. The owner may return a
     * token (malloc'ed, or NULL): the link keeps it with the SM's window
     * slot, which stays taken until the SMSC answers (SMPP 3.4 §2.8), and
     * hands it to submit_late if the answer comes in this session. The link
     * frees the token after submit_late returns, or when the session ends
     * first. */
    void *(*submit_unknown)(void *owner, void *ctx, uint64_t ctx_id);
    /* The answer, after all, of an SM whose owner was told "unknown": its
     * command_status, and when that is 0 the message id and its keys (as
     * submit_resp). The message id lets the owner match the SM's receipt
     * to its job, which settles the unknown outcome before any retry.
     * ESME_RTHROTTLED or any other error here means the SM was not taken. */
    void (*submit_late)(void *owner, void *tok, uint32_t status, const char *message_id,
                        unsigned nkeys, char keys[DLR_KEYS][DLR_KEY_MAX]);
    /* The SM comes back unanswered (see enum gw_bounce). requeued == 1 means
     * the link kept it and will send it; the call only informs. */
    void (*bounce)(void *owner, void *ctx, uint64_t ctx_id, enum gw_bounce why, int requeued);
    /* A delivery receipt, its id keyed by the carrier's msgid_format.
     * The deliver_sm_resp is sent when this returns: ESME_ROK unless the
     * callback called gw_link_deliver_status. */
    void (*receipt)(void *owner, const struct dlr_receipt *r, const char *carrier);
    /* A mobile-originated SM (not a receipt); answered as receipt is. */
    void (*mo)(void *owner, const struct gw_mo *mo, const char *carrier);
    /* A bind changed state; reason is a short text ("connect refused",
     * "bind_resp ESME_RINVPASWD", "enquire_link unanswered", ...). */
    void (*state)(void *owner, const char *carrier, unsigned bind, enum gw_bind_role role,
                  enum gw_bind_state from, enum gw_bind_state to, const char *reason);
    /* gw_link_drain() finished: every bind unbound and closed. */
    void (*drained)(void *owner, const char *carrier);
};

struct gw_link;

struct gw_link_stats {
    unsigned binds_total;  /* connections configured (tx+rx counts 2) */
    unsigned binds_up;     /* of which BOUND */
    unsigned tx_up;        /* BOUND and able to submit (trx or tx) */
    unsigned window_used;  /* submits in flight, all binds */
    unsigned window_total; /* window * submitting binds */
    size_t queue_depth;    /* accepted, not yet written */
    size_t queue_cap;
    uint64_t submitted, resp_ok, resp_err, throttled, unknown, requeued, receipts, mo;
    uint64_t reconnects, malformed;
    /* deliver_sm answered later by the owner (gw_link_deliver_defer), and
     * of those, answers dropped because the session had ended */
    uint64_t deliver_deferred, deliver_void;
    int paused; /* throttle back-off in force */
};

/* Creates the link for one carrier on loop and starts connecting every bind.
 * queue_cap: SMs it may hold (0 = default 4096). The link reads
 * conf->msgid_format as enum dlr_idfmt (same order; see codec/dlr.h).
 * Returns NULL with errno set (ENOMEM, EINVAL for a setting it cannot use,
 * EPROTO when the TLS context cannot be built: CA file unreadable, ...). */
struct gw_link *gw_link_new(struct ev_loop *loop, const struct gw_carrier *conf,
                            const struct gw_link_cbs *cbs, void *owner, size_t queue_cap);

/* Closes every bind at once (no unbind; see gw_link_drain for that) and
 * frees. Queued and in-flight SMs are not called back. NULL is a no-op. */
void gw_link_free(struct gw_link *l);

/* Queues one SM. Returns 0 (accepted: exactly one of submit_resp,
 * submit_unknown or bounce(requeued == 0) will follow), -ENOBUFS (queue
 * full), -ESHUTDOWN (draining), -EINVAL (bad SM), -ETIME (deadline already
 * passed). Order is kept: SMs leave in the order they were queued, also
 * after a throttle pause. */
__attribute__((warn_unused_result)) int gw_link_submit(struct gw_link *l, const struct gw_sm *sm);

/* Graceful stop (SIGTERM): refuse new SMs, bounce queued ones as DRAIN,
 * wait for every window to empty (answers or timeouts), unbind each bind,
 * close, then call cbs->drained. Idempotent. */
void gw_link_drain(struct gw_link *l);

/* Takes the SMs of ctx that are still queued (not written) out of the
 * queue, in order, each handed back with bounce(GW_BOUNCE_CANCELLED, 0);
 * SMs already written are not recalled (their answers follow as usual).
 * The owner must not rely on ctx after the last bounce. Returns how many
 * were cancelled. */
unsigned gw_link_cancel(struct gw_link *l, const void *ctx);

/* Called from the receipt or mo callback only (elsewhere a no-op): the
 * command_status of that deliver_sm's resp instead of ESME_ROK, e.g.
 * ESME_RX_T_APPN (0x64) when the owner cannot take it now (its store is
 * down) so that the SMSC delivers it again (SMPP 3.4 §5.1.3, §4.6.2). */
void gw_link_deliver_status(struct gw_link *l, uint32_t status);

/* Called from the receipt or mo callback only (elsewhere 0): no answer is
 * sent when the callback returns; the owner gives it later with
 * gw_link_deliver_answer(token, status), once the receipt or PoR is
 * durably recorded (or ESME_RX_T_APPN when recording failed). Until then
 * the SMSC keeps the message (SMPP 3.4 §2.8, §4.6.2): evidence answered OK
 * is never lost with the daemon or its store. When the session ends first
 * the answer is dropped and the SMSC delivers it again on a new session.
 * The owner must answer every token it took (the SMSC's window). */
__attribute__((warn_unused_result)) uint64_t gw_link_deliver_defer(struct gw_link *l);
void gw_link_deliver_answer(struct gw_link *l, uint64_t token, uint32_t status);

void gw_link_stats(const struct gw_link *l, struct gw_link_stats *st);
const char *gw_link_name(const struct gw_link *l);
/* 1 when at least one bind can submit now. */
int gw_link_can_send(const struct gw_link *l);

/* Shorthand for tests and benches: gw_log_setup() with this level and
 * defaults otherwise. The daemon calls gw_log_setup itself. Links log
 * through gateway/log.h, subsystem "bind", "carrier=x bind=2 role=trx". */
void gw_link_log_level(int level);

const char *gw_bind_state_name(enum gw_bind_state s);
const char *gw_bind_role_name(enum gw_bind_role r);
/* 1 when `from -> to` is in the state table (docs/smpp.md). */
int gw_bind_transition_ok(enum gw_bind_state from, enum gw_bind_state to);

/* The retry/fail table for a submit_sm_resp command_status. */
enum gw_verdict gw_bind_verdict(uint32_t status);

#endif
