/* job.h — a job of the stream ota:jobs, validated (docs/DESIGN.md "Jobs").
 *
 * Owned by queue/job.c: a pure function from the field/value pairs of one
 * stream entry to a struct jobq_job, or to a reason that names the field and
 * says what is wrong with it. No I/O, no allocation, no clock: the same
 * function serves the daemon's intake, `otactl enqueue` and the fuzz target
 * tests/fuzz/fuzz_job.c.
 *
 * Rules (docs/queue.md explains each):
 *   - names and values are printable ASCII (tag: also UTF-8), no NUL, bounded;
 *   - every field at most once; unknown fields are refused, except `x-*`
 *     (client extensions: allowed, ignored, not stored);
 *   - a field that does not apply to the job's type/method is refused
 *     ("slot: does not apply to type=config") rather than ignored. */
#ifndef OTAGW_QUEUE_JOB_H
#define OTAGW_QUEUE_JOB_H

#include <stddef.h>
#include <stdint.h>

#define JOBQ_ID_MAX       64   /* id: [A-Za-z0-9._:-], part of Redis key names */
#define JOBQ_NAME_MAX     32   /* carrier, keyset names */
#define JOBQ_TAG_MAX      256  /* opaque client text */
#define JOBQ_VALUE_MAX    1024 /* config value text */
#define JOBQ_APDUS_MAX    4096 /* apdus text: hex C-APDUs joined by commas */
#define JOBQ_APDU_COUNT   32   /* C-APDUs in one apdu job */
#define JOBQ_APDU_BYTES   1200 /* their octets together (a packet spans <= ~9 SMs) */
#define JOBQ_VALIDITY_MAX (30u * 86400u)
#define JOBQ_FIELDS_MAX   64 /* pairs in one entry, x-* included */

enum jobq_type { JOBQ_SWITCH = 1, JOBQ_CONFIG, JOBQ_APDU };
enum jobq_method {
    JOBQ_METHOD_NONE = 0,
    JOBQ_METHOD_APPLET,
    JOBQ_METHOD_IMSI,
    JOBQ_METHOD_PROFILE
};
enum jobq_por { JOBQ_POR_ALWAYS = 0, JOBQ_POR_ERROR, JOBQ_POR_NONE };
/* switch/profile: what the ISD-R is asked to do (SGP.02 ES5). */
enum jobq_action {
    JOBQ_ACTION_NONE = 0, /* not given: enable */
    JOBQ_ACTION_ENABLE,
    JOBQ_ACTION_DISABLE,
    JOBQ_ACTION_FALLBACK
};
/* Remote command format (TS 102 226 §5): config and switch/imsi only. */
enum jobq_format { JOBQ_FORMAT_DEFAULT = 0, JOBQ_FORMAT_COMPACT, JOBQ_FORMAT_EXPANDED };

/* One field/value pair as it came from Redis (not NUL-terminated). */
struct jobq_kv {
    const char *k;
    size_t klen;
    const char *v;
    size_t vlen;
};

/* A validated job. Strings are NUL-terminated and checked; "" = absent.
 * The last block (attempt .. entry) is filled by queue/jobq.c when the job
 * is handed to the daemon; the validator leaves it zero. */
struct jobq_job {
    char id[JOBQ_ID_MAX + 1]; /* the `id` field, or "" (jobq then uses the entry id) */
    enum jobq_type type;
    char iccid[21];  /* 18..20 digits (ITU-T E.118) */
    char msisdn[16]; /* E.164 digits, the leading '+' removed */
    enum jobq_method method;
    unsigned slot;              /* method=applet: 0..255 */
    char imsi[16];              /* method=imsi: 6..15 digits */
    char aid[33];               /* method=profile: ISD-P AID, 5..16 octets in hex */
    enum jobq_action action;    /* method=profile: enable (default), disable, fallback */
    char applet[JOBQ_NAME_MAX]; /* method=applet: the [applet NAME] profile, "" = the default */
    char file[64];              /* config: a name (imsi, fplmn, ...) or a FID path 3F00/7FFF/6F07 */
    char value[JOBQ_VALUE_MAX + 1]; /* config: new content (ota/ gives it meaning) */
    char tar[7];                    /* apdu: 3 octets in hex */
    char apdus[JOBQ_APDUS_MAX + 1]; /* apdu: hex C-APDUs joined by commas, each checked */
    int readback;            /* config, switch/imsi: 1 = read the file back (`readback=yes`) */
    enum jobq_format format; /* config, switch/imsi: compact or expanded; default = ota's */
    enum jobq_por por;
    unsigned validity;           /* seconds; 0 = the configured default */
    char carrier[JOBQ_NAME_MAX]; /* forced carrier, or "" */
    char keyset[JOBQ_NAME_MAX];  /* keyset named by the job (else the card's), or "" */
    char tag[JOBQ_TAG_MAX + 1];

    /* Filled by jobq when the job is handed out to be sent. */
    char key[JOBQ_ID_MAX + 1]; /* the job's id in Redis: id, or the entry id */
    char entry[32];            /* stream entry id, "" when it came from the retry set */
    unsigned attempt;          /* 1, 2, ... */
    uint64_t counter;          /* CNTR for this attempt (TS 102 225 §5.1.1), < 0xFFFFFFFFFF */
    char card_class[8];        /* "sim" or "uicc" */
    int64_t deadline_ms;       /* Unix ms (Redis server clock) */
};

enum jobq_err {
    JOBQ_OK = 0,
    JOBQ_E_MISSING,        /* a required field is absent */
    JOBQ_E_UNKNOWN_FIELD,  /* a field name the contract does not have */
    JOBQ_E_DUP_FIELD,      /* the same field twice */
    JOBQ_E_BAD_CHAR,       /* a byte outside the allowed set (binary, control, NUL) */
    JOBQ_E_TOO_LONG,       /* longer than its bound */
    JOBQ_E_BAD_VALUE,      /* well-formed text, wrong value */
    JOBQ_E_NOT_APPLICABLE, /* a field the job's type/method does not take */
    JOBQ_E_TOO_MANY,       /* more than JOBQ_FIELDS_MAX pairs */
};

/* Validates the n pairs into *out (zeroed first). On error returns the
 * error and writes into reason (when non-NULL) one line that starts with
 * the field's name: "msisdn: must be E.164 digits (5..15), got '12ab'".
 * Offending text is echoed only as printable ASCII, truncated. */
__attribute__((warn_unused_result)) enum jobq_err
jobq_job_parse(const struct jobq_kv *kv, size_t n, struct jobq_job *out, char *reason, size_t rlen);

/* For an entry that failed validation: copies its `id` and `tag` values
 * into id (JOBQ_ID_MAX+1) and tag (JOBQ_TAG_MAX+1) when each one is valid
 * on its own (given once, right characters, within bounds), else "". The
 * rejected job is then known by its client id when it has a usable one. */
void jobq_job_salvage(const struct jobq_kv *kv, size_t n, char *id, char *tag);

/* The same for `msisdn`: its digits (16 octets, the '+' removed) when the
 * field is given once and is valid E.164, else "". A rejected job is then
 * counted under its destination's country (docs/queue.md "Intake"). */
void jobq_job_salvage_msisdn(const struct jobq_kv *kv, size_t n, char *msisdn);

/* The class of a refusal for a metric label: the contract's field that
 * jobq_job_parse's reason names ("msisdn", "iccid", "type", ...: the text
 * before its first ':'), or "other" for an unknown field name (rc
 * JOBQ_E_UNKNOWN_FIELD: its name is the client's text), a malformed field
 * name, too many fields, or a reason that names no field. Always a static
 * string of the contract, never text from the entry, so a label built from
 * it has at most JOBQ_REASON_CLASSES values. */
#define JOBQ_REASON_CLASSES 22 /* the 21 fields + "other" */
const char *jobq_reason_class(enum jobq_err rc, const char *reason);

/* 1 when name (len bytes) is a field of the job contract (not x-*). */
int jobq_field_known(const char *name, size_t len);

/* Strict check of one apdus text; the same rules jobq_job_parse applies.
 * Returns the number of C-APDUs, or -1 with reason filled. */
int jobq_apdus_check(const char *s, size_t len, char *reason, size_t rlen);

const char *jobq_type_name(enum jobq_type t);
const char *jobq_por_name(enum jobq_por p);
/* "enable", "disable", "fallback"; "" for JOBQ_ACTION_NONE. */
const char *jobq_action_name(enum jobq_action a);
/* "compact", "expanded"; "" for JOBQ_FORMAT_DEFAULT. */
const char *jobq_format_name(enum jobq_format f);

#endif
