/* outcome.c — receipt stat and PoR status to a job outcome (pure). */
#include "queue/outcome.h"

#include <stdio.h>
#include <string.h>

const char *jobq_outcome_word(enum jobq_outcome o)
{
    switch (o) {
    case JOBQ_OUT_OK:
        return "ok";
    case JOBQ_OUT_INFO:
        return "info";
    case JOBQ_OUT_FAIL:
        return "fail";
    case JOBQ_OUT_RETRY:
        return "retry";
    case JOBQ_OUT_RESYNC:
        return "resync";
    case JOBQ_OUT_BLOCKED:
        return "blocked";
    }
    return "info";
}

enum jobq_outcome jobq_receipt_classify(const char *stat, const char *err, char *detail,
                                        size_t dlen)
{
    static const struct {
        const char *stat;
        enum jobq_outcome o;
    } t[] = {
        {"DELIVRD", JOBQ_OUT_OK},   {"ENROUTE", JOBQ_OUT_INFO}, {"ACCEPTD", JOBQ_OUT_INFO},
        {"UNDELIV", JOBQ_OUT_FAIL}, {"EXPIRED", JOBQ_OUT_FAIL}, {"DELETED", JOBQ_OUT_FAIL},
        {"REJECTD", JOBQ_OUT_FAIL}, {"UNKNOWN", JOBQ_OUT_FAIL},
    };
    enum jobq_outcome o = JOBQ_OUT_INFO;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (stat && strcmp(stat, t[i].stat) == 0)
            o = t[i].o;
    snprintf(detail, dlen, "receipt stat=%.16s err=%.8s", stat ? stat : "", err ? err : "");
    return o;
}

/* Last status word of a response, or -1 when there is none. */
static int last_sw(const uint8_t *d, size_t len)
{
    if (!d || len == 0)
        return -1;
    if (d[0] == 0xAB || d[0] == 0xAF) {
        /* Expanded: template tag, BER length, then TLVs (TS 102 226 §5.2.2). */
        size_t i = 1;
        size_t end = len;
        if (i >= len)
            return -1;
        if (d[0] == 0xAB) {
            size_t l = d[i++];
            if (l == 0x81 && i < len)
                l = d[i++];
            else if (l > 0x7f)
                return -1;
            if (i + l < end)
                end = i + l;
        }
        int sw = -1;
        while (i + 2 <= end) {
            uint8_t tag = d[i++];
            if (tag == 0x00)
                break; /* AF ... 00 00 */
            size_t l = d[i++];
            if (l == 0x81) {
                if (i >= end)
                    break;
                l = d[i++];
            } else if (l > 0x7f) {
                break;
            }
            if (i + l > end)
                break;
            if (tag == 0x23 && l >= 2)
                sw = d[i + l - 2] << 8 | d[i + l - 1];
            i += l;
        }
        return sw;
    }
    /* Compact: number of commands executed, SW1 SW2 of the last one. */
    if (len < 3)
        return -1;
    return d[1] << 8 | d[2];
}

enum jobq_outcome jobq_por_classify(unsigned status, const uint8_t *data, size_t len, char *detail,
                                    size_t dlen)
{
    static const char *const names[] = {
        [0x00] = "PoR OK",
        [0x01] = "RC/CC/DS failed (wrong keyset or key version?)",
        [0x02] = "counter low",
        [0x03] = "counter high",
        [0x04] = "counter blocked",
        [0x05] = "ciphering error (wrong KIc key?)",
        [0x06] = "unidentified security error",
        [0x07] = "insufficient memory to process the message",
        [0x08] = "more time needed",
        [0x09] = "TAR unknown (applet not installed?)",
        [0x0A] = "insufficient security level",
        [0x0B] = "response data sent by SMS-SUBMIT",
        [0x0C] = "response data sent by PROCESS USSD",
    };
    const char *name = status < sizeof names / sizeof *names ? names[status] : "reserved status";
    switch (status) {
    case 0x00: {
        int sw = last_sw(data, len);
        int sw1 = sw >> 8;
        /* ISO/IEC 7816-4 §5.6: 90 00, 91 xx (proactive), 61 xx / 9F xx (more data). */
        if (sw < 0 || sw1 == 0x90 || sw1 == 0x91 || sw1 == 0x61 || sw1 == 0x9F) {
            if (sw < 0)
                snprintf(detail, dlen, "PoR 00 %s", name);
            else
                snprintf(detail, dlen, "PoR 00 %s, SW %04X", name, (unsigned)sw);
            return JOBQ_OUT_OK;
        }
        if (sw == 0x9300) {
            snprintf(detail, dlen, "PoR 00, SW 9300 SIM Toolkit busy");
            return JOBQ_OUT_RETRY;
        }
        snprintf(detail, dlen, "PoR 00, card answered SW %04X", (unsigned)sw);
        return JOBQ_OUT_FAIL;
    }
    case 0x02:
    case 0x03:
        snprintf(detail, dlen, "PoR %02X %s", status, name);
        return JOBQ_OUT_RESYNC;
    case 0x04:
        snprintf(detail, dlen, "PoR 04 %s: the card refuses this keyset for good", name);
        return JOBQ_OUT_BLOCKED;
    case 0x08:
    case 0x0B:
    case 0x0C:
        snprintf(detail, dlen, "PoR %02X %s", status, name);
        return JOBQ_OUT_INFO;
    default:
        snprintf(detail, dlen, "PoR %02X %s", status & 0xff, name);
        return JOBQ_OUT_FAIL;
    }
}

/* The provisional note: what confirms an SGP.02 profile change. The ISD-R's
 * answer to ES5.EnableProfile/DisableProfile only says it took the command;
 * the eUICC then REFRESHes, the device attaches with the profile now
 * enabled and the eUICC sends its notification to the SM-SR (SGP.02 §3.2.1
 * steps "network attachment with the enabled profile" and "notification
 * procedure over SMS", §4.1.1.11); when the new profile cannot attach, the
 * eUICC falls back to the previous one and notifies that instead (§3.2.2,
 * connectivity failure case). */
static const char provisional_note[] =
    "provisional: the switch is confirmed only by the eUICC's notification to the SM-SR once "
    "the device has attached with the profile now enabled, or undone by its fall-back to the "
    "previous profile (SGP.02 3.2.1, 3.2.2, 4.1.1.11)";

enum jobq_outcome jobq_por_outcome(unsigned status, const uint8_t *data, size_t len,
                                   const struct jobq_por_decoded *dec, char *detail, size_t dlen)
{
    if (!dec || status != 0x00)
        return jobq_por_classify(status, data, len, detail, dlen);
    const char *what = dec->what ? dec->what : "";
    const char *text = dec->detail ? dec->detail : "";
    const char *rb = dec->readback ? dec->readback : "";
    if (!dec->understood) {
        enum jobq_outcome o = jobq_por_classify(status, data, len, detail, dlen);
        size_t n = strlen(detail);
        if (n < dlen)
            snprintf(detail + n, dlen - n, "; the response does not read against the script: %s",
                     text);
        return o;
    }
    if (dec->ok && dec->provisional) {
        char sw[8] = "";
        if (dec->sw)
            snprintf(sw, sizeof sw, " (%04X)", (unsigned)dec->sw);
        snprintf(detail, dlen, "PoR 00, %s: accepted by the ISD-R%s; %s", what, sw,
                 provisional_note);
        return JOBQ_OUT_OK;
    }
    snprintf(detail, dlen, "PoR 00, %s%s%.300s", text, rb[0] ? "; read back " : "", rb);
    if (dec->ok)
        return JOBQ_OUT_OK;
    /* TS 51.011 §9.4.1: SIM Application Toolkit busy, the command was not run. */
    return dec->sw == 0x9300 ? JOBQ_OUT_RETRY : JOBQ_OUT_FAIL;
}
