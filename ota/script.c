/* script.c — a job becomes a remote command script; a PoR becomes a result.
 *
 * RFM (ETSI TS 102 226 §5, 3GPP TS 31.116): the script SELECTs down from
 * the MF (3F00), then UPDATEs; a 2G SIM gets CLA A0 and DF_GSM 7F20 (TS
 * 51.011 §9.2), a UICC CLA 00 and the USIM ADF through its reserved FID 7FFF
 * ("current application", TS 102 221 §8.3). A SELECT is only sent when the
 * path changes, so a script is as short as the job allows.
 *
 * `imsi` order: the location files are invalidated first and EF_IMSI is
 * written last. RFM stops at the first failing command (TS 102 226 §5.1.1),
 * and an SMS can be lost half way through a concatenated script; in every
 * prefix of this order the card stays consistent: old IMSI with no stored
 * TMSI/P-TMSI/GUTI only costs a fresh attach, whereas new IMSI with the old
 * temporary identities would present another subscriber's TMSI to the
 * network.
 *
 * `profile`: GSMA SGP.02 ES5 over SCP80, expanded format, to the ISD-R:
 * STORE DATA 80 E2 88 00 with '3A 03' (enable), '3A 04' (disable) or
 * '3A 05' (set fall-back attribute) wrapping '4F' <ISD-P AID> (coding as in
 * bagyenda/njiwa, which cites SGP.03 v3.0 §4.1.1.2; see profile_actions).
 * For enable/disable the PoR only says the ISD-R accepted the command: the
 * eUICC then REFRESHes and the new profile reports the outcome, so the
 * result is marked provisional. */
#include "ota/script.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/c348.h"
#include "codec/hex.h"
#include "codec/udh.h"

struct builder {
    struct ota_script *s;
    enum ota_card_class cls;
    uint16_t df[8]; /* current DF path from MF, as last selected */
    unsigned ndf;
    uint16_t ef; /* current EF, 0 none */
    int raw;     /* parts are an applet's raw payload, not C-APDUs */
    char *err;
    size_t errlen;
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int add_apdu(struct builder *b, const uint8_t *a, size_t len, const char *target,
                    const char *text, const struct ota_ef *readback)
{
    struct ota_script *s = b->s;
    if (s->napdu >= OTA_SCRIPT_MAX_APDU || s->apdu_used + len > sizeof s->apdu_buf)
        return fail(b->err, b->errlen, -E2BIG, "script: more than %d commands or %zu octets",
                    OTA_SCRIPT_MAX_APDU, sizeof s->apdu_buf);
    char why[96];
    if (!b->raw && ota_apdu_check(a, len, why, sizeof why))
        return fail(b->err, b->errlen, -EINVAL, "%s: internal: built a bad C-APDU: %s", target,
                    why);
    struct ota_script_apdu *x = &s->apdu[s->napdu++];
    memset(x, 0, sizeof *x);
    x->off = (uint16_t)s->apdu_used;
    x->len = (uint16_t)len;
    memcpy(s->apdu_buf + s->apdu_used, a, len);
    s->apdu_used += len;
    snprintf(x->target, sizeof x->target, "%s", target);
    snprintf(x->text, sizeof x->text, "%s", text);
    if (readback) {
        x->ef = *readback;
        x->readback = 1;
    }
    return 0;
}

static uint8_t cla(const struct builder *b)
{
    return b->cls == OTA_CLASS_SIM ? 0xA0 : 0x00;
}

static const char *fid_name(uint16_t fid)
{
    switch (fid) {
    case 0x3F00:
        return "MF";
    case 0x7F20:
        return "DF_GSM";
    case 0x7F10:
        return "DF_TELECOM";
    case 0x7FFF:
        return "ADF_USIM";
    default:
        return NULL;
    }
}

static int select_fid(struct builder *b, uint16_t fid, const char *target)
{
    /* TS 51.011 §9.2.1: A0 A4 00 00 02; TS 102 221 §11.1.1: P1 00 select by
     * FID, P2 04 return FCP (as osmocom/pysim's vectors: 00A40004023F00). */
    uint8_t a[7] = {cla(b),      0xA4,
                    0x00,        (uint8_t)(b->cls == OTA_CLASS_SIM ? 0x00 : 0x04),
                    0x02,        (uint8_t)(fid >> 8),
                    (uint8_t)fid};
    char text[96];
    const char *n = fid_name(fid);
    snprintf(text, sizeof text, "SELECT %04X (%s)", fid, n ? n : target);
    return add_apdu(b, a, sizeof a, n ? n : target, text, NULL);
}

/* Selects path[0..n) (MF first, EF last), skipping what is already current. */
static int select_path(struct builder *b, const uint16_t *path, unsigned n, const char *label)
{
    unsigned ndf = n - 1;
    int same_df = ndf == b->ndf && !memcmp(path, b->df, ndf * sizeof *path);
    if (same_df && b->ef == path[n - 1])
        return 0;
    if (!same_df) {
        for (unsigned i = 0; i < ndf; i++) {
            int rc = select_fid(b, path[i], "DF");
            if (rc)
                return rc;
        }
        memcpy(b->df, path, ndf * sizeof *path);
        b->ndf = ndf;
    }
    b->ef = path[n - 1];
    return select_fid(b, path[n - 1], label);
}

static int update(struct builder *b, int record, unsigned recno, unsigned offset, const uint8_t *d,
                  size_t len, const char *label, uint16_t fid)
{
    /* UPDATE BINARY (D6, P1P2 = offset, TS 102 221 §11.1.4) in chunks of at
     * most 255 octets; UPDATE RECORD (DC, P2 04 absolute, §11.1.6). */
    size_t done = 0;
    do {
        size_t chunk = len - done > 255 ? 255 : len - done;
        uint8_t a[5 + 255];
        unsigned off = offset + (unsigned)done;
        char text[96];
        if (record) {
            if (chunk != len)
                return fail(b->err, b->errlen, -EINVAL,
                            "value: a record holds at most 255 octets, %zu given", len);
            a[0] = cla(b), a[1] = 0xDC, a[2] = (uint8_t)recno, a[3] = 0x04;
            snprintf(text, sizeof text, "UPDATE RECORD %s (%04X) record %u, %zu octets", label, fid,
                     recno, chunk);
        } else {
            if (off > 0x7FFF)
                return fail(b->err, b->errlen, -EINVAL, "value: offset %u beyond 32767", off);
            a[0] = cla(b), a[1] = 0xD6, a[2] = (uint8_t)(off >> 8), a[3] = (uint8_t)off;
            snprintf(text, sizeof text, "UPDATE BINARY %s (%04X) offset %u, %zu octets", label, fid,
                     off, chunk);
        }
        a[4] = (uint8_t)chunk;
        memcpy(a + 5, d + done, chunk);
        int rc = add_apdu(b, a, 5 + chunk, label, text, NULL);
        if (rc)
            return rc;
        done += chunk;
    } while (done < len);
    return 0;
}

static int read_back(struct builder *b, const struct ota_ef *ef, int record, unsigned recno,
                     size_t size, const char *label, uint16_t fid)
{
    /* READ BINARY B0 / READ RECORD B2 04, Le = the size we wrote (the compact
     * response carries only the last command's data: the read goes last). */
    uint8_t le = size >= 256 ? 0x00 : (uint8_t)size;
    uint8_t a[5] = {cla(b), (uint8_t)(record ? 0xB2 : 0xB0), (uint8_t)(record ? recno : 0),
                    (uint8_t)(record ? 0x04 : 0x00), le};
    char text[96];
    snprintf(text, sizeof text, "READ %s %s (%04X), %u octets", record ? "RECORD" : "BINARY", label,
             fid, le ? le : 256);
    return add_apdu(b, a, sizeof a, label, text, ef);
}

static int parse_tar(const char *t, uint8_t tar[3], char *err, size_t errlen)
{
    if (!t || strlen(t) != 6 || hex_decode(t, tar, 3) != 3)
        return fail(err, errlen, -EINVAL, "tar: '%s' is not 6 hex digits", t ? t : "");
    return 0;
}

static void put_tar(uint8_t tar[3], uint32_t v)
{
    tar[0] = (uint8_t)(v >> 16), tar[1] = (uint8_t)(v >> 8), tar[2] = (uint8_t)v;
}

static int has(const char *s)
{
    return s && *s;
}

/* The path of a named EF for the card class. */
static int ef_path(const struct ota_ef *ef, enum ota_card_class cls, uint16_t path[3],
                   uint16_t *fid, char *err, size_t errlen)
{
    if (cls == OTA_CLASS_SIM) {
        if (!ef->fid_sim)
            return fail(err, errlen, -EINVAL, "file: %s does not exist on a 2G SIM (class sim)",
                        ef->label);
        path[0] = 0x3F00, path[1] = ef->df_sim, path[2] = ef->fid_sim;
    } else {
        path[0] = 0x3F00, path[1] = 0x7FFF, path[2] = ef->fid_uicc;
    }
    *fid = path[2];
    return 0;
}

/* Value options after ';': size=N, record=N, offset=N (decimal). */
struct value_opts {
    char content[512];
    size_t size;
    unsigned record, offset;
    int has_record;
};

static int parse_value(const char *v, struct value_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    const char *semi = strchr(v, ';');
    size_t cl = semi ? (size_t)(semi - v) : strlen(v);
    if (cl >= sizeof o->content)
        return fail(err, errlen, -EINVAL, "value: longer than %zu characters",
                    sizeof o->content - 1);
    memcpy(o->content, v, cl);
    o->content[cl] = 0;
    while (semi) {
        const char *opt = semi + 1;
        semi = strchr(opt, ';');
        size_t l = semi ? (size_t)(semi - opt) : strlen(opt);
        const char *eq = memchr(opt, '=', l);
        if (!eq)
            return fail(err, errlen, -EINVAL, "value: option '%.*s' is not name=number", (int)l,
                        opt);
        size_t nl = (size_t)(eq - opt), vl = l - nl - 1;
        char num[12];
        if (vl == 0 || vl >= sizeof num)
            return fail(err, errlen, -EINVAL, "value: option '%.*s' needs a number", (int)l, opt);
        memcpy(num, eq + 1, vl);
        num[vl] = 0;
        char *end;
        unsigned long n = strtoul(num, &end, 10);
        if (*end || !isdigit((unsigned char)num[0]) || n > 65535)
            return fail(err, errlen, -EINVAL, "value: option '%.*s': not a number 0..65535", (int)l,
                        opt);
        if (nl == 4 && !strncmp(opt, "size", 4)) {
            if (n == 0 || n > 1024)
                return fail(err, errlen, -EINVAL, "value: size=%lu, expected 1..1024", n);
            o->size = n;
        } else if (nl == 6 && !strncmp(opt, "record", 6)) {
            if (n < 1 || n > 254)
                return fail(err, errlen, -EINVAL, "value: record=%lu, records are 1..254", n);
            o->record = (unsigned)n;
            o->has_record = 1;
        } else if (nl == 6 && !strncmp(opt, "offset", 6)) {
            o->offset = (unsigned)n;
        } else {
            return fail(err, errlen, -EINVAL,
                        "value: unknown option '%.*s' (known: size, record, offset)", (int)nl, opt);
        }
    }
    return 0;
}

static int parse_fid_path(const char *f, uint16_t *path, unsigned *n)
{
    unsigned k = 0;
    const char *s = f;
    while (*s) {
        uint8_t b[2];
        if (k >= 6 || strlen(s) < 4 || hex_decode_n(s, 4, b, 2) != 2)
            return -1;
        path[k++] = (uint16_t)(b[0] << 8 | b[1]);
        s += 4;
        if (*s == '/')
            s++;
        else if (*s)
            return -1;
    }
    if (k < 2 || path[0] != 0x3F00)
        return -1;
    *n = k;
    return 0;
}

static int build_imsi_switch(struct builder *b, const char *imsi, int rb)
{
    uint8_t enc[9];
    char why[128];
    if (!has(imsi))
        return fail(b->err, b->errlen, -EINVAL, "imsi: missing (method imsi needs the new IMSI)");
    if (ota_imsi_encode(imsi, enc, why, sizeof why))
        return fail(b->err, b->errlen, -EINVAL, "imsi: %s", why);
    /* Location files first, EF_IMSI last (see the file comment). EF_EPSLOCI
     * exists on a USIM only. */
    static const enum ota_ef_id order[] = {OTA_EF_LOCI, OTA_EF_PSLOCI, OTA_EF_EPSLOCI};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const struct ota_ef *ef = NULL;
        static const char *const names[] = {"loci", "psloci", "epsloci"};
        ef = ota_ef_find(names[i]);
        if (!ef || ef->id != order[i])
            return -EINVAL;
        if (b->cls == OTA_CLASS_SIM && !ef->fid_sim)
            continue;
        uint16_t path[3], fid = 0;
        uint8_t d[32];
        int rc = ef_path(ef, b->cls, path, &fid, b->err, b->errlen);
        if (rc)
            return rc;
        long n = ota_ef_encode(ef, "invalidate", 0, d, sizeof d, why, sizeof why);
        if (n < 0)
            return fail(b->err, b->errlen, -EINVAL, "file: %s", why);
        if ((rc = select_path(b, path, 3, ef->label)) ||
            (rc = update(b, 0, 0, 0, d, (size_t)n, ef->label, fid)))
            return rc;
    }
    const struct ota_ef *ef = ota_ef_find("imsi");
    uint16_t path[3], fid = 0;
    int rc = ef_path(ef, b->cls, path, &fid, b->err, b->errlen);
    if (rc || (rc = select_path(b, path, 3, ef->label)) ||
        (rc = update(b, 0, 0, 0, enc, sizeof enc, ef->label, fid)))
        return rc;
    if (rb)
        return read_back(b, ef, 0, 0, sizeof enc, ef->label, fid);
    return 0;
}

static int build_config(struct builder *b, const struct ota_job *j)
{
    struct ota_script *s = b->s;
    if (!has(j->file))
        return fail(b->err, b->errlen, -EINVAL, "file: missing (a config job names a file)");
    if (!j->value)
        return fail(b->err, b->errlen, -EINVAL, "value: missing (a config job gives the content)");
    struct value_opts vo;
    int rc = parse_value(j->value, &vo, b->err, b->errlen);
    if (rc)
        return rc;
    const struct ota_ef *ef = ota_ef_find(j->file);
    uint16_t path[6], fid = 0;
    unsigned npath;
    struct ota_ef raw;
    if (ef && ef->id == OTA_EF_IMSI) {
        /* Writing EF_IMSI alone would leave the old TMSI/GUTI in place: a
         * config job for the IMSI does what switch/imsi does. */
        if (vo.size || vo.has_record || vo.offset)
            return fail(b->err, b->errlen, -EINVAL, "value: EF_IMSI takes no options");
        snprintf(s->summary, sizeof s->summary, "config imsi: invalidate locations, write EF_IMSI");
        return build_imsi_switch(b, vo.content, j->read_back);
    }
    if (ef) {
        if ((rc = ef_path(ef, b->cls, path, &fid, b->err, b->errlen)))
            return rc;
        npath = 3;
        if (vo.has_record && !ef->record)
            return fail(b->err, b->errlen, -EINVAL, "value: %s is transparent, it has no records",
                        ef->label);
        if (vo.offset)
            return fail(b->err, b->errlen, -EINVAL,
                        "value: offset is for raw FID paths; %s is written whole", ef->label);
        if (vo.size && ef->unit > 1 && vo.size % ef->unit)
            return fail(b->err, b->errlen, -EINVAL, "value: size=%zu is not a multiple of %u",
                        vo.size, ef->unit);
    } else {
        if (parse_fid_path(j->file, path, &npath))
            return fail(b->err, b->errlen, -EINVAL,
                        "file: unknown file '%s' (known: imsi, fplmn, plmnwact, oplmnwact, "
                        "hplmnwact, loci, psloci, epsloci, smsp, acc; or a FID path such as "
                        "3F00/7F20/6F7B)",
                        j->file);
        memset(&raw, 0, sizeof raw);
        raw.id = OTA_EF_RAW;
        raw.name = "raw";
        raw.label = "EF";
        raw.record = vo.has_record;
        fid = path[npath - 1];
        ef = &raw;
        if (vo.size)
            return fail(b->err, b->errlen, -EINVAL,
                        "value: size is for named files; a raw value is written as given");
    }
    char label[32];
    if (ef->id == OTA_EF_RAW)
        snprintf(label, sizeof label, "EF %04X", fid);
    else
        snprintf(label, sizeof label, "%s", ef->label);
    uint8_t d[1024];
    char why[200];
    long n = ota_ef_encode(ef, vo.content, vo.size, d, sizeof d, why, sizeof why);
    if (n < 0)
        return fail(b->err, b->errlen, -EINVAL, "value: %s: %s", label, why);
    int record = ef->record;
    unsigned recno = vo.has_record ? vo.record : 1;
    if ((rc = select_path(b, path, npath, label)) ||
        (rc = update(b, record, recno, vo.offset, d, (size_t)n, label, fid)))
        return rc;
    snprintf(s->summary, sizeof s->summary, "config %s: %zu octets", label, (size_t)n);
    if (j->read_back) {
        if (!record && vo.offset)
            return fail(b->err, b->errlen, -EINVAL, "readback: not with an offset");
        return read_back(b, ef, record, recno, (size_t)n, label, fid);
    }
    return 0;
}

/* The ES5 commands the ISD-R takes as STORE DATA 80 E2 88 00 with one
 * '3A xx' DO wrapping '4F' <ISD-P AID>. DO tags: 3A03 enable, 3A04
 * disable, 3A05 set fall-back attribute (SGP.02 §4.1.1; the tag list is
 * transcribed in SIMSHELL gsma.h "SGP.02 M2M definitions", the 3A03/3A04
 * coding in bagyenda/njiwa citing SGP.03 v3.0 §4.1.1.2). That the 3A05 DO
 * holds the ISD-P AID in '4F' as 3A03/3A04 do is [M] (by analogy; the
 * clause text was not found): see docs/spec-notes.md. */
static const struct {
    const char *action;
    uint8_t tag2;
    int provisional; /* the profile change is reported by a notification */
    const char *verb;
} profile_actions[] = {
    {"enable", 0x03, 1, "enable"},
    {"disable", 0x04, 1, "disable"},
    {"fallback", 0x05, 0, "set fall-back attribute on"},
};

static int build_profile(struct builder *b, const struct ota_job *j)
{
    struct ota_script *s = b->s;
    uint8_t aid[16];
    unsigned act = 0; /* enable by default */
    if (has(j->action)) {
        for (act = 0; act < sizeof profile_actions / sizeof profile_actions[0]; act++)
            if (!strcmp(j->action, profile_actions[act].action))
                break;
        if (act == sizeof profile_actions / sizeof profile_actions[0])
            return fail(b->err, b->errlen, -EINVAL,
                        "action: '%s', expected enable, disable or fallback (SGP.02 ES5)",
                        j->action);
    }
    if (!has(j->aid))
        return fail(b->err, b->errlen, -EINVAL,
                    "aid: missing (method profile needs the ISD-P AID)");
    long n = hex_decode(j->aid, aid, sizeof aid);
    /* ISO/IEC 7816-4 §8.2.1.2: an AID is 5..16 octets (RID 5 + PIX). */
    if (n < 5)
        return fail(b->err, b->errlen, -EINVAL, "aid: '%s' is not an AID of 5..16 hex octets",
                    j->aid);
    uint8_t a[5 + 5 + 16]; /* header Lc | 3A 0x L | 4F L | AID */
    size_t l = 0;
    a[l++] = 0x80, a[l++] = 0xE2, a[l++] = 0x88, a[l++] = 0x00;
    a[l++] = (uint8_t)(5 + n); /* '3A 0x' L '4F' L AID */
    a[l++] = 0x3A, a[l++] = profile_actions[act].tag2;
    a[l++] = (uint8_t)(2 + n);
    a[l++] = 0x4F, a[l++] = (uint8_t)n;
    memcpy(a + l, aid, (size_t)n);
    l += (size_t)n;
    char text[96];
    snprintf(text, sizeof text, "STORE DATA %s ISD-P %s", profile_actions[act].verb, j->aid);
    int rc = add_apdu(b, a, l, "ISD-R", text, NULL);
    if (rc)
        return rc;
    s->need_cc_cipher_cntr = 1;
    /* Enable/disable: the PoR only says the ISD-R took the command; the
     * outcome comes with the SGP.02 notification from the new profile.
     * Setting the fall-back attribute changes no profile state the device
     * runs on, so its PoR is the result. */
    s->provisional = profile_actions[act].provisional;
    snprintf(s->summary, sizeof s->summary, "switch profile: %s ISD-P %s",
             profile_actions[act].verb, j->aid);
    return 0;
}

static int build_applet(struct builder *b, const struct ota_job *j)
{
    struct ota_script *s = b->s;
    const struct ota_applet *ap = j->applet;
    if (!ap)
        return fail(b->err, b->errlen, -ENOENT,
                    "applet: profile '%s' is not configured (add an [applet %s] section)",
                    has(j->applet_name) ? j->applet_name : "",
                    has(j->applet_name) ? j->applet_name : "NAME");
    uint8_t buf[OTA_APPLET_CMD_MAX];
    size_t lens[OTA_SCRIPT_MAX_APDU];
    unsigned n;
    int rc = ota_applet_fill(ap, j->slot, j->imsi, buf, sizeof buf, lens, OTA_SCRIPT_MAX_APDU, &n,
                             b->err, b->errlen);
    if (rc)
        return rc;
    char target[40];
    snprintf(target, sizeof target, "applet %s", ap->name);
    b->raw = ap->raw;
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        char text[96];
        if (ap->raw)
            snprintf(text, sizeof text, "applet %s payload, %zu octets", ap->name, lens[i]);
        else
            snprintf(text, sizeof text, "applet %s command %02X%02X, %zu octets", ap->name,
                     buf[off], buf[off + 1], lens[i]);
        if ((rc = add_apdu(b, buf + off, lens[i], target, text, NULL)))
            return rc;
        off += lens[i];
    }
    memcpy(s->tar, ap->tar, 3);
    s->format = ap->format;
    s->raw = ap->raw;
    s->has_spi = ap->has_spi, s->spi = ap->spi;
    s->has_kic = ap->has_kic, s->kic = ap->kic;
    s->has_kid = ap->has_kid, s->kid = ap->kid;
    snprintf(s->summary, sizeof s->summary, "switch applet %s%s%s%s%s", ap->name,
             has(j->slot) ? " slot " : "", has(j->slot) ? j->slot : "",
             has(j->imsi) ? " imsi " : "", has(j->imsi) ? j->imsi : "");
    return 0;
}

static int build_apdu(struct builder *b, const struct ota_job *j)
{
    if (!has(j->apdus))
        return fail(b->err, b->errlen, -EINVAL, "apdus: missing (hex C-APDUs joined by commas)");
    const char *p = j->apdus;
    unsigned k = 0;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        uint8_t a[OTA_APDU_MAX + 1];
        k++;
        long n = hex_decode_n(p, l, a, sizeof a);
        if (n <= 0)
            return fail(b->err, b->errlen, -EINVAL, "apdus: APDU %u '%.*s' is not hex octets", k,
                        (int)(l > 40 ? 40 : l), p);
        char why[96];
        if (ota_apdu_check(a, (size_t)n, why, sizeof why))
            return fail(b->err, b->errlen, -EINVAL, "apdus: APDU %u: %s", k, why);
        char text[96], target[32];
        snprintf(text, sizeof text, "C-APDU %02X %02X %02X %02X, %ld octets", a[0], a[1], a[2],
                 a[3], n);
        snprintf(target, sizeof target, "APDU %u", k);
        int rc = add_apdu(b, a, (size_t)n, target, text, NULL);
        if (rc)
            return rc;
        if (!c)
            break;
        p = c + 1;
    }
    snprintf(b->s->summary, sizeof b->s->summary, "apdu: %u C-APDUs to TAR %02X%02X%02X", k,
             b->s->tar[0], b->s->tar[1], b->s->tar[2]);
    return 0;
}

int ota_script_build(const struct ota_job *j, struct ota_script *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    struct builder b = {.s = s, .cls = j->card_class, .err = err, .errlen = errlen};
    s->type = j->type;
    s->method = j->method;
    int rc;
    if (j->card_class != OTA_CLASS_UICC && j->card_class != OTA_CLASS_SIM)
        return fail(err, errlen, -EINVAL, "class: expected sim or uicc");
    switch (j->type) {
    case OTA_JOB_APDU:
        if (!has(j->tar))
            return fail(err, errlen, -EINVAL, "tar: missing (an apdu job names its TAR)");
        if ((rc = parse_tar(j->tar, s->tar, err, errlen)))
            return rc;
        if (j->format_set && j->format != OTA_FMT_COMPACT)
            return fail(err, errlen, -EINVAL,
                        "format: an apdu job is sent as one compact script, byte for byte");
        s->format = OTA_FMT_COMPACT;
        rc = build_apdu(&b, j);
        break;
    case OTA_JOB_CONFIG:
        put_tar(s->tar, j->card_class == OTA_CLASS_SIM ? OTA_TAR_RFM_SIM : OTA_TAR_RFM_USIM);
        rc = build_config(&b, j);
        break;
    case OTA_JOB_SWITCH:
        switch (j->method) {
        case OTA_METHOD_IMSI:
            put_tar(s->tar, j->card_class == OTA_CLASS_SIM ? OTA_TAR_RFM_SIM : OTA_TAR_RFM_USIM);
            snprintf(s->summary, sizeof s->summary, "switch imsi %s", has(j->imsi) ? j->imsi : "");
            rc = build_imsi_switch(&b, j->imsi, j->read_back);
            break;
        case OTA_METHOD_PROFILE:
            if (j->card_class == OTA_CLASS_SIM)
                return fail(err, errlen, -EINVAL,
                            "method: profile needs an eUICC (class uicc), not a 2G SIM");
            put_tar(s->tar, OTA_TAR_ISDR);
            /* SGP.02 ES5 over SMS: expanded remote APDU format (as
             * bagyenda/njiwa's SM-SR sends it; definite length AA, since
             * njiwa notes SGP.11 Annex H rejects the indefinite form). */
            s->format = OTA_FMT_EXPANDED;
            rc = build_profile(&b, j);
            break;
        case OTA_METHOD_APPLET:
            if (has(j->tar))
                return fail(err, errlen, -EINVAL,
                            "tar: an applet profile names its own TAR; do not give one");
            rc = build_applet(&b, j);
            break;
        default:
            return fail(err, errlen, -EINVAL, "method: expected applet, imsi or profile");
        }
        break;
    default:
        return fail(err, errlen, -EINVAL, "type: expected switch, config or apdu");
    }
    if (rc)
        return rc;
    if (j->type != OTA_JOB_APDU && has(j->tar) && (rc = parse_tar(j->tar, s->tar, err, errlen)))
        return rc;
    if (j->format_set && j->type != OTA_JOB_APDU) {
        if (j->method == OTA_METHOD_APPLET && j->format != s->format)
            return fail(err, errlen, -EINVAL, "format: applet %s fixes its own format",
                        j->applet ? j->applet->name : "");
        if (j->card_class == OTA_CLASS_SIM && j->format != OTA_FMT_COMPACT)
            return fail(err, errlen, -EINVAL,
                        "format: a 2G SIM (GSM 03.48) takes the compact format only");
        s->format = j->format;
    }
    if (s->raw) {
        if (s->apdu_used > sizeof s->data)
            return fail(err, errlen, -E2BIG, "script: longer than %d octets", OTA_SCRIPT_MAX);
        memcpy(s->data, s->apdu_buf, s->apdu_used);
        s->len = s->apdu_used;
        return 0;
    }
    const uint8_t *ptrs[OTA_SCRIPT_MAX_APDU];
    size_t lens[OTA_SCRIPT_MAX_APDU];
    for (unsigned i = 0; i < s->napdu; i++) {
        ptrs[i] = s->apdu_buf + s->apdu[i].off;
        lens[i] = s->apdu[i].len;
    }
    long n = ota_script_wrap(s->format, ptrs, lens, s->napdu, s->data, sizeof s->data);
    if (n < 0)
        return fail(err, errlen, -E2BIG, "script: longer than %d octets", OTA_SCRIPT_MAX);
    s->len = (size_t)n;
    return 0;
}

int ota_script_check_security(const struct ota_script *s, uint16_t spi, uint8_t kic, uint8_t kid,
                              char *err, size_t errlen)
{
    if (s->has_spi && spi != s->spi)
        return fail(err, errlen, -EPERM, "spi: %04X, the target demands %04X", spi, s->spi);
    if (s->has_kic && kic != s->kic)
        return fail(err, errlen, -EPERM, "kic: %02X, the target demands %02X", kic, s->kic);
    if (s->has_kid && kid != s->kid)
        return fail(err, errlen, -EPERM, "kid: %02X, the target demands %02X", kid, s->kid);
    if (s->need_cc_cipher_cntr) {
        uint8_t spi1 = (uint8_t)(spi >> 8);
        /* TS 102 225 §5.1.1: b2b1 10 CC (11 DS), b3 ciphering, b5b4 >= 10 a
         * counter the card checks. */
        if ((spi1 & 0x03) < 0x02 || !(spi1 & 0x04) || (spi1 & 0x18) < 0x10)
            return fail(err, errlen, -EPERM,
                        "spi: %04X, the ISD-R demands cryptographic checksum, ciphering and a "
                        "checked counter (e.g. 16xx)",
                        spi);
    }
    return 0;
}

int ota_script_fit(const struct ota_script *s, uint16_t spi, uint8_t kic, uint8_t kid,
                   unsigned max_sms, size_t *pkt_len, unsigned *nsms, char *err, size_t errlen)
{
    size_t pl = 0;
    int rc = c348_cmd_size(spi, kic, kid, s->len, &pl);
    if (rc < 0)
        return fail(err, errlen, -EINVAL, "spi/kic/kid: %04X/%02X/%02X: %s", spi, kic, kid,
                    c348_strerror(rc));
    unsigned n = udh_cmd_sm_count(pl);
    *pkt_len = pl;
    *nsms = n;
    if (n == 0)
        return fail(err, errlen, -EMSGSIZE,
                    "script: %zu octets of script make a %zu-octet packet, beyond what "
                    "concatenated SMS can carry",
                    s->len, pl);
    if (max_sms && n > max_sms)
        return fail(err, errlen, -EMSGSIZE,
                    "script: %zu octets of script make a %zu-octet packet in %u SMs, the card "
                    "profile allows %u",
                    s->len, pl, n, max_sms);
    return 0;
}

long ota_script_listing(const struct ota_script *s, char *out, size_t outlen)
{
    size_t o = 0;
    int trunc = 0;
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int w_ = snprintf(out + o, outlen - o, __VA_ARGS__);                                       \
        if (w_ < 0 || (size_t)w_ >= outlen - o) {                                                  \
            trunc = 1;                                                                             \
            o = outlen - 1;                                                                        \
        } else {                                                                                   \
            o += (size_t)w_;                                                                       \
        }                                                                                          \
    } while (0)
    if (!outlen)
        return -1;
    out[0] = 0;
    static const char *const fmts[] = {"compact", "expanded (definite)", "expanded (indefinite)"};
    PUT("%s\nTAR %02X%02X%02X, %s format, %u command%s, %zu octets\n", s->summary, s->tar[0],
        s->tar[1], s->tar[2], s->raw ? "raw" : fmts[s->format], s->napdu, s->napdu == 1 ? "" : "s",
        s->len);
    for (unsigned i = 0; i < s->napdu && !trunc; i++) {
        const struct ota_script_apdu *a = &s->apdu[i];
        char hx[2 * 300 + 1];
        if (!hex_encode(s->apdu_buf + a->off, a->len, hx, sizeof hx))
            hx[0] = 0;
        PUT("%3u  %-60s %s\n", i + 1, a->text, hx);
    }
    if (!trunc) {
        PUT("script ");
        for (size_t i = 0; i < s->len && !trunc; i++)
            PUT("%02x", s->data[i]);
        PUT("\n");
    }
#undef PUT
    return trunc ? -1 : (long)o;
}

static void readback_decode(const struct ota_script_apdu *a, const struct ota_rapdu *r,
                            struct ota_result *res)
{
    char txt[400];
    if (ota_ef_decode(&a->ef, r->data, r->len, txt, sizeof txt) == 0)
        snprintf(res->readback, sizeof res->readback, "%s: %s", a->target, txt);
    else {
        char hx[2 * 200 + 1];
        size_t n = r->len > 200 ? 200 : r->len;
        if (!hex_encode(r->data, n, hx, sizeof hx))
            hx[0] = 0;
        snprintf(res->readback, sizeof res->readback, "%s: %s (undecodable: %s)", a->target, hx,
                 txt);
    }
}

int ota_result_decode(const struct ota_script *s, const uint8_t *data, size_t len,
                      struct ota_result *r)
{
    memset(r, 0, sizeof *r);
    r->failed = -1;
    r->total = s->napdu;
    if (s->raw) {
        /* An applet's own answer: the PoR status (checked by the codec)
         * already said it was accepted; show the data. */
        char hx[2 * 100 + 1];
        size_t n = len > 100 ? 100 : len;
        if (!hex_encode(data, n, hx, sizeof hx))
            hx[0] = 0;
        r->ok = 1;
        r->executed = s->napdu;
        snprintf(r->detail, sizeof r->detail, "applet answered %zu octets%s%s%s", len,
                 len ? ": " : "", hx, len > n ? "..." : "");
        return 0;
    }
    static struct ota_resp zero;
    struct ota_resp resp = zero;
    int rc;
    if (s->format == OTA_FMT_COMPACT)
        rc = ota_resp_parse_compact(data, len, &resp);
    else
        rc = ota_resp_parse_expanded(data, len, &resp);
    if (rc) {
        snprintf(r->detail, sizeof r->detail, "malformed %s response (%zu octets): %s",
                 s->format == OTA_FMT_COMPACT ? "compact" : "expanded", len,
                 rc == OTA_RESP_ERR_TRUNC     ? "truncated"
                 : rc == OTA_RESP_ERR_TOOMANY ? "too many R-APDUs"
                                              : "bad format");
        return rc;
    }
    r->executed = resp.executed;
    r->bad_format = resp.bad_format;
    if (resp.nrapdu)
        r->sw = resp.rapdu[resp.nrapdu - 1].sw;
    if (resp.bad_format) {
        static const char *const bf[] = {"", "unknown tag", "wrong length", "length not found"};
        snprintf(r->detail, sizeof r->detail, "card rejected the script: bad format (%s)",
                 resp.bad_format >= 1 && resp.bad_format <= 3 ? bf[resp.bad_format] : "unknown");
        r->failed = (int)resp.executed;
        return 0;
    }
    if (resp.executed > s->napdu) {
        snprintf(r->detail, sizeof r->detail, "card reports %u commands executed, %u were sent",
                 resp.executed, s->napdu);
        return 0;
    }
    /* Which R-APDU belongs to which command: expanded gives one per executed
     * command in order; compact only the last executed one. */
    unsigned first = resp.fmt == OTA_FMT_COMPACT ? (resp.executed ? resp.executed - 1 : 0) : 0;
    for (unsigned i = 0; i < resp.nrapdu; i++) {
        unsigned idx = first + i;
        if (idx >= s->napdu)
            break;
        const struct ota_rapdu *ra = &resp.rapdu[i];
        if (!ota_sw_ok(ra->sw)) {
            const struct ota_script_apdu *a = &s->apdu[idx];
            r->failed = (int)idx;
            r->sw = ra->sw;
            r->executed = idx + 1;
            snprintf(r->detail, sizeof r->detail, "%s: %s (%04X), command %u of %u", a->target,
                     ota_sw_name(ra->sw), ra->sw, idx + 1, s->napdu);
            return 0;
        }
        if (s->apdu[idx].readback)
            readback_decode(&s->apdu[idx], ra, r);
    }
    if (resp.executed == 0) {
        snprintf(r->detail, sizeof r->detail, "no command executed");
        return 0;
    }
    if (resp.executed < s->napdu) {
        snprintf(r->detail, sizeof r->detail, "stopped after %u of %u commands (last %04X)",
                 resp.executed, s->napdu, r->sw);
        return 0;
    }
    r->ok = 1;
    if (s->provisional) {
        r->provisional = 1;
        snprintf(r->detail, sizeof r->detail,
                 "ISD-R accepted the command (%04X); provisional: the profile change is confirmed "
                 "only when the eUICC reports it from the new profile",
                 r->sw);
    } else {
        snprintf(r->detail, sizeof r->detail, "ok: %u command%s executed (%04X)", resp.executed,
                 resp.executed == 1 ? "" : "s", r->sw);
    }
    return 0;
}

/* ---- job fields from text ---------------------------------------------- */

int ota_job_set(struct ota_job *j, const char *field, const char *v, char *err, size_t errlen)
{
    if (!strcmp(field, "type")) {
        if (!strcmp(v, "switch"))
            j->type = OTA_JOB_SWITCH;
        else if (!strcmp(v, "config"))
            j->type = OTA_JOB_CONFIG;
        else if (!strcmp(v, "apdu"))
            j->type = OTA_JOB_APDU;
        else
            return fail(err, errlen, -EINVAL, "type: '%s', expected switch, config or apdu", v);
    } else if (!strcmp(field, "method")) {
        if (!strcmp(v, "applet"))
            j->method = OTA_METHOD_APPLET;
        else if (!strcmp(v, "imsi"))
            j->method = OTA_METHOD_IMSI;
        else if (!strcmp(v, "profile"))
            j->method = OTA_METHOD_PROFILE;
        else
            return fail(err, errlen, -EINVAL, "method: '%s', expected applet, imsi or profile", v);
    } else if (!strcmp(field, "class")) {
        if (!strcmp(v, "uicc"))
            j->card_class = OTA_CLASS_UICC;
        else if (!strcmp(v, "sim"))
            j->card_class = OTA_CLASS_SIM;
        else
            return fail(err, errlen, -EINVAL, "class: '%s', expected sim or uicc", v);
    } else if (!strcmp(field, "format")) {
        if (!strcmp(v, "compact"))
            j->format = OTA_FMT_COMPACT;
        else if (!strcmp(v, "expanded"))
            j->format = OTA_FMT_EXPANDED;
        else if (!strcmp(v, "expanded-indefinite"))
            j->format = OTA_FMT_EXPANDED_INDEF;
        else
            return fail(err, errlen, -EINVAL,
                        "format: '%s', expected compact, expanded or expanded-indefinite", v);
        j->format_set = 1;
    } else if (!strcmp(field, "readback")) {
        if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true"))
            j->read_back = 1;
        else if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false"))
            j->read_back = 0;
        else
            return fail(err, errlen, -EINVAL, "readback: '%s', expected yes or no", v);
    } else if (!strcmp(field, "slot")) {
        j->slot = v;
    } else if (!strcmp(field, "imsi")) {
        j->imsi = v;
    } else if (!strcmp(field, "aid")) {
        j->aid = v;
    } else if (!strcmp(field, "action")) {
        j->action = v;
    } else if (!strcmp(field, "file")) {
        j->file = v;
    } else if (!strcmp(field, "value")) {
        j->value = v;
    } else if (!strcmp(field, "tar")) {
        j->tar = v;
    } else if (!strcmp(field, "apdus")) {
        j->apdus = v;
    } else if (!strcmp(field, "applet")) {
        j->applet_name = v;
    } else {
        return -ENOENT;
    }
    return 0;
}
