/* outcome.h — what a receipt or a Proof of Receipt means for a job.
 *
 * Owned by queue/outcome.c: pure classifiers (no I/O) that turn the SMSC's
 * receipt stat and the SIM's PoR status + response data into one of a few
 * outcomes the Redis state machine acts on, with a detail line an operator
 * can act on. Kept in C (not in the Lua script) so they are unit-tested. */
#ifndef OTAGW_QUEUE_OUTCOME_H
#define OTAGW_QUEUE_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

enum jobq_outcome {
    JOBQ_OUT_OK,      /* receipt: delivered; PoR: command executed */
    JOBQ_OUT_INFO,    /* not an end: ENROUTE, PoR 08 "more time", ... (history only) */
    JOBQ_OUT_FAIL,    /* permanent: the job fails */
    JOBQ_OUT_RETRY,   /* transient on the card (SW 9300 SIM busy): retry with back-off */
    JOBQ_OUT_RESYNC,  /* PoR 02/03 counter low/high: re-synchronise, retry once */
    JOBQ_OUT_BLOCKED, /* PoR 04 counter blocked: final */
};

/* The word the Lua script takes for an outcome ("ok", "info", ...). */
const char *jobq_outcome_word(enum jobq_outcome o);

/* SMPP 3.4 Appendix B receipt stat (DELIVRD, EXPIRED, DELETED, UNDELIV,
 * ACCEPTD, UNKNOWN, REJECTD; ENROUTE seen in the field). Unknown stats are
 * INFO: the deadline ends the job rather than a guess. */
enum jobq_outcome jobq_receipt_classify(const char *stat, const char *err, char *detail,
                                        size_t dlen);

/* PoR response status (TS 102 225 §5.2 table, TS 31.115 for 0B/0C) and
 * response data: for status 00 the last status word decides (compact format
 * TS 102 226 §5.1.2: count, SW1 SW2, data; expanded format: the last R-APDU
 * TLV '23' of the AB/AF template, §5.2.2). data may be NULL/empty. */
enum jobq_outcome jobq_por_classify(unsigned status, const uint8_t *data, size_t len, char *detail,
                                    size_t dlen);

/* A PoR's response data read against the script of the job it answers (the
 * daemon does it with ota/'s ota_result_decode; queue/ does not include
 * ota/). Strings are borrowed; NULL = "". */
struct jobq_por_decoded {
    int understood;       /* 0: the data did not parse against the script (detail says why) */
    int ok;               /* every command of the script completed */
    int provisional;      /* ok, but only what the card does next confirms it (SGP.02 profile
                             enable/disable: the ISD-R's answer is not the switch) */
    uint16_t sw;          /* the status word that decided, 0 when unknown */
    const char *what;     /* what was sent: "switch profile: enable ISD-P a000..." */
    const char *detail;   /* ota's reading: "EF_ACC: security status not satisfied (6982),
                             command 3 of 3", "ok: 2 commands executed (9000)" */
    const char *readback; /* decoded read-back ("EF_FPLMN: 234 15, ..."), or "" */
};

/* Like jobq_por_classify, with the decoded reading when there is one: for
 * status 00 and dec->understood, dec decides (ok -> OK, SW 9300 -> RETRY,
 * anything else -> FAIL) and the detail is ota's text ("PoR 00, EF_ACC:
 * security status not satisfied (6982), command 3 of 3"), the read-back
 * appended; a provisional ok says what the ISD-R accepted and what confirms
 * the switch (SGP.02 §3.2.1, §3.2.2, §4.1.1.11). Other statuses, dec NULL,
 * or a response not understood: jobq_por_classify (the latter with ota's
 * reason appended). */
enum jobq_outcome jobq_por_outcome(unsigned status, const uint8_t *data, size_t len,
                                   const struct jobq_por_decoded *dec, char *detail, size_t dlen);

#endif
