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

#endif
