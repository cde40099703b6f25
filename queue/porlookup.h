/* porlookup.h — which keyset(s) can open a Proof of Receipt from a card.
 *
 * Owned by queue/porlookup.c. A PoR's TAR is always clear, but its CNTR
 * (and everything after it) is ciphered when SPI2 b5 asks for it (TS 102
 * 225 §5.2): the daemon needs the card's keyset before it can read the
 * counter that jobq_por() looks the job up by (ota:por:<msisdn>:<tar>:<cntr>).
 * The MO carries only the card's MSISDN. Scanning ota:por:<msisdn>:<tar>:*
 * would cost a walk of the whole keyspace per PoR; instead the daemon notes,
 * just before it sends a command packet, the keyset and counter it used for
 * (msisdn, tar) in one small hash next to jobq's keys:
 *
 *   <prefix>porix:<msisdn>:<tar>   field = keyset name, value = the latest
 *                                  CNTR sent with it (decimal)
 *
 * with a TTL no shorter than the job's deadline + map_ttl_s, the same life
 * as jobq's por map. Every instance writes it, so a PoR that reaches any
 * instance finds its candidates. The counter lets the daemon place an
 * unsecured error PoR (TS 102 225 §5.2: statuses found before the keys
 * were proven go without security, CNTR zeroed) on the latest command.
 *
 * The same lookup brings, for each candidate, the job that counter was sent
 * for (jobq's por map <prefix>por:<msisdn>:<tar>:<cntr> = "id\tattempt")
 * and the fields of its record that its command script was built from, so
 * that the daemon can read the PoR's response against that script
 * (ota_result_decode) without another round trip: one FCALL of jobq's
 * function library per PoR (its "find" operation: HGETALL of the index,
 * then a GET and an HMGET per candidate, inside Redis). A PoR answering an older command than the
 * latest noted one is looked up again by its counter (jobq_porlookup_find_job).
 *
 * One hiredis async connection on the daemon's libev loop (only queue/
 * includes hiredis), reconnected with back-off. Key names and prefixes come
 * from struct jobq_settings, so the hash sits next to the jobq keys. */
#ifndef OTAGW_QUEUE_PORLOOKUP_H
#define OTAGW_QUEUE_PORLOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "queue/jobq.h"

struct ev_loop;
struct jobq_porlookup;

#define JOBQ_POR_CANDIDATES 8 /* keysets per (msisdn, tar) reported at most */

struct jobq_por_candidate {
    char keyset[JOBQ_NAME_MAX];
    uint64_t cntr; /* the latest CNTR sent under this keyset */
    /* The job (msisdn, tar, cntr) is mapped to, as a validated record: the
     * script fields (type, method, slot, imsi, aid, action, applet, file,
     * value, tar for type=apdu, apdus, readback, format) plus key (the
     * job's id), attempt (the one sent with cntr), counter (= cntr),
     * card_class and keyset. NULL when there is no map (yet: a PoR that
     * overtook its submit_sm_resp; or any more), or the record no longer
     * validates. Lives for the callback only. */
    const struct jobq_job *job;
};

/* err 0 or -errno (-ENOTCONN: Redis unreachable; -EPROTO: an error reply).
 * c[0..n) live for the call only. */
typedef void jobq_porlookup_fn(void *cbud, int err, const struct jobq_por_candidate *c, unsigned n);

/* Starts connecting (asynchronously) with s's host/port/user/password/db/
 * prefix (the defaults of jobq_settings_defaults fill what is unset).
 * NULL on allocation failure or a prefix outside [A-Za-z0-9:_.{}-]. */
struct jobq_porlookup *jobq_porlookup_new(struct ev_loop *loop, const struct jobq_settings *s);

/* Closes the connection; pending finds are called back with -ENOTCONN
 * before it returns. NULL is a no-op. */
void jobq_porlookup_free(struct jobq_porlookup *pl);

/* 1 when the connection is ready. */
int jobq_porlookup_is_up(const struct jobq_porlookup *pl);

/* Records that a command for (msisdn, tar) goes out with keyset and cntr,
 * keeping the hash at least ttl_ms. Fire and forget: returns 0 when queued
 * on the connection, -ENOTCONN when Redis is not reachable (the PoR will
 * then be opened by trying the keystore's keysets), -EINVAL on bad input.
 * Sent before the packet, and on the same connection as every find, so a
 * PoR can never be looked up before its note. */
__attribute__((warn_unused_result)) int jobq_porlookup_note(struct jobq_porlookup *pl,
                                                            const char *msisdn, const char *tar,
                                                            const char *keyset, uint64_t cntr,
                                                            uint64_t ttl_ms);

/* The keysets noted for (msisdn, tar), the highest counter first, each with
 * the job its counter was sent for. fn runs exactly once, never before this
 * returns 0; on a non-zero return (-ENOTCONN, -EINVAL, -ENOMEM) it does not
 * run. */
__attribute__((warn_unused_result)) int jobq_porlookup_find(struct jobq_porlookup *pl,
                                                            const char *msisdn, const char *tar,
                                                            jobq_porlookup_fn *fn, void *cbud);

/* The job that (msisdn, tar, cntr) is mapped to, for a PoR whose counter
 * is not the latest one noted: fn gets one candidate (keyset = the job's,
 * cntr, job or NULL). Same contract as jobq_porlookup_find. */
__attribute__((warn_unused_result)) int jobq_porlookup_find_job(struct jobq_porlookup *pl,
                                                                const char *msisdn, const char *tar,
                                                                uint64_t cntr,
                                                                jobq_porlookup_fn *fn, void *cbud);

/* The record fields the lookup reads from <prefix>job:<id>, in order (the
 * fields a command script is built from, plus class and keyset), and the
 * pure step that turns their values into a job: vals[i] (len[i]) is the
 * value of jobq_porlookup_fields[i], NULL when the record lacks it. Fills
 * *out like jobq_job_parse (the `tar` of a type other than apdu is the
 * correlation TAR jobq stored, not a job field: ignored), then card_class
 * (default_class when absent) and keyset. Returns 0, or -EINVAL with
 * reason filled when the record does not validate. */
#define JOBQ_PORLOOKUP_NFIELDS 17
/* "local FIND = {config = {'type', ...}, ...}\n": the fields the library's
 * find operation reads per job type, in the order jobq_porlookup_job_from
 * is handed them; part of the library's prologue (queue/jobq.c). 0, or -1
 * when it does not fit in cap. */
int jobq_porlookup_lua_fields(char *out, size_t cap);
extern const char *const jobq_porlookup_fields[JOBQ_PORLOOKUP_NFIELDS];
__attribute__((warn_unused_result)) int
jobq_porlookup_job_from(const char *const *vals, const size_t *len, const char *default_class,
                        struct jobq_job *out, char *reason, size_t rlen);

#endif
