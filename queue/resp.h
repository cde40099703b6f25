/* resp.h — queue-internal: Redis commands written as RESP text by hand.
 *
 * Owned by queue/resp.c. hiredis's redisAsyncCommandArgv formats every
 * argument with sdscatfmt and snprintf is a microsecond a number: together
 * a quarter of otagw's CPU per job went on turning the script calls into
 * text. jobq and porlookup append their arguments here as they queue them
 * and hand the finished text to redisAsyncFormattedCommand. */
#ifndef OTAGW_QUEUE_RESP_H
#define OTAGW_QUEUE_RESP_H

#include <stddef.h>
#include <stdint.h>

/* Room kept at the front of the text for "*<argc>\r\n". */
#define JOBQ_RESP_HEAD 16

/* One command being written: text after JOBQ_RESP_HEAD octets of room,
 * and the number of arguments so far. oom: an allocation failed (the
 * command is then unusable; jobq_resp_reset clears it). */
struct jobq_resp {
    char *buf;
    size_t len, cap;
    unsigned argc;
    int oom;
};

/* Appends one bulk string argument. */
void jobq_resp_arg(struct jobq_resp *r, const char *s, size_t len);
/* Appends a NUL-terminated argument. */
void jobq_resp_str(struct jobq_resp *r, const char *s);
/* Appends an unsigned number as a decimal argument. */
void jobq_resp_u64(struct jobq_resp *r, uint64_t v);

/* The whole command: writes "*<argc>\r\n" in front of the arguments and
 * sets *len. NULL when nothing was appended or an allocation failed. */
const char *jobq_resp_command(struct jobq_resp *r, size_t *len);

/* Empties r for the next command, keeping its memory. */
void jobq_resp_reset(struct jobq_resp *r);
void jobq_resp_free(struct jobq_resp *r);

/* v in decimal into out (at least 21 octets), NUL-terminated; returns the
 * number of digits. */
size_t jobq_u64(char *out, uint64_t v);

#endif
