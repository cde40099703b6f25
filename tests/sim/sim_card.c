/* sim_card.c — the simulated card: file system, RFM, multi-IMSI applet,
 * eUICC ISD-R, 03.48 verification and the PoR (see sim_card.h).
 *
 * Order of the checks on a command packet follows what a card does (TS 102
 * 225 §5.1, and the card side of onomondo-uicc read for the order only):
 * header lengths, TAR known, SPI against the TAR's minimum security level,
 * key versions and algorithms, decipher, RC/CC, then the counter, which is
 * updated only once the checksum has passed; only then is the script run. */
#include "tests/sim/sim_card.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* ---- the world: cards, keysets, lookup ---------------------------------- */

void sim_world_init(struct sim_world *w)
{
    memset(w, 0, sizeof *w);
    for (unsigned i = 0; i < SIM_MAX_CONCAT; i++)
        w->concat[i].card = -1;
}

void sim_world_free(struct sim_world *w)
{
    if (!w)
        return;
    if (w->keysets)
        OPENSSL_cleanse(w->keysets, sizeof *w->keysets * w->keysets_cap);
    free(w->keysets);
    free(w->cards);
    free(w->by_msisdn);
    free(w->by_iccid);
    sim_world_init(w);
}

static uint32_t str_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

static int index_put(int *tab, unsigned cap, const char *key, int idx, const struct sim_world *w,
                     int msisdn)
{
    for (uint32_t i = str_hash(key) & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (tab[i] < 0) {
            tab[i] = idx;
            return 0;
        }
        const struct sim_card *o = &w->cards[tab[i]];
        if (strcmp(msisdn ? o->msisdn : o->iccid, key) == 0)
            return -EEXIST;
    }
}

int sim_world_index(struct sim_world *w)
{
    unsigned cap = 16;
    while (cap < 2 * w->ncards + 2)
        cap *= 2;
    int *m = malloc(sizeof *m * cap), *i = malloc(sizeof *i * cap);
    if (!m || !i) {
        free(m);
        free(i);
        return -ENOMEM;
    }
    for (unsigned k = 0; k < cap; k++)
        m[k] = i[k] = -1;
    free(w->by_msisdn);
    free(w->by_iccid);
    w->by_msisdn = m;
    w->by_iccid = i;
    w->hcap = cap;
    for (unsigned k = 0; k < w->ncards; k++) {
        if (index_put(m, cap, w->cards[k].msisdn, (int)k, w, 1) < 0 ||
            index_put(i, cap, w->cards[k].iccid, (int)k, w, 0) < 0)
            return -EEXIST;
    }
    return 0;
}

static struct sim_card *index_get(const struct sim_world *w, const int *tab, const char *key,
                                  int msisdn)
{
    if (!tab || !key)
        return NULL;
    if (msisdn && *key == '+')
        key++;
    for (uint32_t i = str_hash(key) & (w->hcap - 1); tab[i] >= 0; i = (i + 1) & (w->hcap - 1)) {
        struct sim_card *c = &w->cards[tab[i]];
        if (strcmp(msisdn ? c->msisdn : c->iccid, key) == 0)
            return c;
    }
    return NULL;
}

struct sim_card *sim_world_by_msisdn(const struct sim_world *w, const char *msisdn)
{
    return index_get(w, w->by_msisdn, msisdn, 1);
}

struct sim_card *sim_world_by_iccid(const struct sim_world *w, const char *iccid)
{
    return index_get(w, w->by_iccid, iccid, 0);
}

/* ---- file system ---------------------------------------------------------- */

static int add_file(struct sim_card *c, uint16_t fid, int parent, enum sim_ftype type,
                    uint16_t size, uint8_t rec_len, uint8_t sfi)
{
    if (c->nfiles >= SIM_MAX_FILES)
        return -1;
    struct sim_file *f = &c->files[c->nfiles];
    memset(f, 0, sizeof *f);
    f->fid = fid;
    f->parent = (int8_t)parent;
    f->type = (uint8_t)type;
    f->sfi = sfi;
    f->rec_len = rec_len;
    f->nrec = rec_len ? (uint8_t)(size / rec_len) : 0;
    f->size = size;
    memset(f->data, 0xff, sizeof f->data);
    return (int)c->nfiles++;
}

void sim_card_default_fs(struct sim_card *c)
{
    /* TS 31.102 §4.2 (USIM) / TS 51.011 §10.3 (DF GSM) sizes; SFIs from
     * TS 31.102 (FACTS.md §9). EF_EPSLOCI exists on a USIM only. */
    static const struct {
        uint16_t fid, size;
        uint8_t rec_len, sfi, uicc_only;
    } efs[] = {
        {0x6f07, 9, 0, 0x07, 0},  {0x6f60, 40, 0, 0x0a, 0}, {0x6f61, 40, 0, 0x11, 0},
        {0x6f62, 10, 0, 0x13, 0}, {0x6f7b, 12, 0, 0x0d, 0}, {0x6f7e, 11, 0, 0x0b, 0},
        {0x6f73, 14, 0, 0x0c, 0}, {0x6fe3, 18, 0, 0x1e, 1}, {0x6f42, 28, 28, 0, 0},
        {0x6f78, 2, 0, 0x06, 0},
    };
    c->nfiles = 0;
    int mf = add_file(c, 0x3f00, -1, SIM_F_MF, 0, 0, 0);
    int df = c->cls == SIM_CLASS_UICC ? add_file(c, 0x7fff, mf, SIM_F_ADF, 0, 0, 0)
                                      : add_file(c, 0x7f20, mf, SIM_F_DF, 0, 0, 0);
    for (size_t i = 0; i < sizeof efs / sizeof efs[0]; i++) {
        if (efs[i].uicc_only && c->cls != SIM_CLASS_UICC)
            continue;
        int k = add_file(c, efs[i].fid, df, efs[i].rec_len ? SIM_F_LINEAR : SIM_F_TRANSPARENT,
                         efs[i].size, efs[i].rec_len, c->cls == SIM_CLASS_UICC ? efs[i].sfi : 0);
        struct sim_file *f = &c->files[k];
        if (f->fid == 0x6f60 || f->fid == 0x6f61 || f->fid == 0x6f62) /* PLMN + AcT 0000 */
            for (unsigned e = 0; e + 5 <= f->size; e += 5)
                f->data[e + 3] = f->data[e + 4] = 0;
        if (f->fid == 0x6f78) /* access class 0 */
            f->data[0] = 0x00, f->data[1] = 0x01;
        if (f->fid == 0x6f7e) { /* TMSI FF.., LAI 00F110 FFFE, time FF, not updated */
            static const uint8_t loci[11] = {0xff, 0xff, 0xff, 0xff, 0x00, 0xf1,
                                             0x10, 0xff, 0xfe, 0xff, 0x01};
            memcpy(f->data, loci, sizeof loci);
        }
    }
}

int sim_card_find_file(const struct sim_card *c, uint16_t fid)
{
    for (unsigned i = 0; i < c->nfiles; i++)
        if (c->files[i].fid == fid)
            return (int)i;
    return -1;
}

static int is_df(const struct sim_file *f)
{
    return f->type == SIM_F_MF || f->type == SIM_F_DF || f->type == SIM_F_ADF;
}

/* ---- IMSI coding ---------------------------------------------------------- */

int sim_imsi_encode(const char *digits, uint8_t out[9])
{
    size_t n = strlen(digits);
    if (n < 6 || n > 15)
        return -EINVAL;
    uint8_t nib[16];
    nib[0] = n % 2 ? 9 : 1; /* parity + identity type IMSI, TS 24.008 §10.5.1.4 */
    for (size_t i = 0; i < n; i++) {
        if (digits[i] < '0' || digits[i] > '9')
            return -EINVAL;
        nib[i + 1] = (uint8_t)(digits[i] - '0');
    }
    size_t nn = n + 1;
    if (nn % 2)
        nib[nn++] = 0xf;
    memset(out, 0xff, 9);
    out[0] = (uint8_t)(nn / 2);
    for (size_t i = 0; i < nn; i += 2)
        out[1 + i / 2] = (uint8_t)(nib[i] | nib[i + 1] << 4);
    return 0;
}

int sim_imsi_decode(const uint8_t in[9], char out[16])
{
    if (in[0] < 1 || in[0] > 8)
        return -EINVAL;
    size_t k = 0;
    for (size_t i = 0; i < (size_t)in[0] * 2; i++) {
        uint8_t v = i % 2 ? in[1 + i / 2] >> 4 : in[1 + i / 2] & 0xf;
        if (i == 0)
            continue; /* parity nibble */
        if (v == 0xf && i == (size_t)in[0] * 2 - 1)
            break;
        if (v > 9)
            return -EINVAL;
        out[k++] = (char)('0' + v);
    }
    out[k] = 0;
    return k >= 6 ? 0 : -EINVAL;
}

/* ---- APDUs -------------------------------------------------------------- */

/* Status words per card class: TS 102 221 §10.2.1 for a UICC, TS 51.011
 * §9.4 for a 2G SIM (which has its own codes for most errors). */
enum sw_kind {
    SW_NOT_FOUND,
    SW_SECURITY,
    SW_RANGE,
    SW_NO_EF,
    SW_STRUCTURE,
    SW_RECORD,
    SW_LENGTH,
    SW_P1P2,
    SW_INS,
    SW_CLA,
};

static uint16_t sw(const struct sim_card *c, enum sw_kind k)
{
    static const uint16_t uicc[] = {0x6a82, 0x6982, 0x6b00, 0x6986, 0x6981,
                                    0x6a83, 0x6700, 0x6b00, 0x6d00, 0x6e00};
    static const uint16_t gsm[] = {0x9404, 0x9804, 0x9402, 0x9400, 0x9408,
                                   0x9402, 0x6700, 0x6b00, 0x6d00, 0x6e00};
    return c->cls == SIM_CLASS_UICC ? uicc[k] : gsm[k];
}

void sim_rfm_start(const struct sim_card *c, const struct sim_tar *t, struct sim_rfm *r)
{
    memset(r, 0, sizeof *r);
    r->ef = -1;
    r->df = 0; /* the MF is always files[0] */
    /* USIM RFM (TS 101 220 Annex D: B0 00 10..1F on a UICC) starts in ADF
     * USIM, the UICC shared file system RFM and 2G SIM RFM in the MF. */
    if (t && c->cls == SIM_CLASS_UICC && t->tar[0] == 0xb0 && t->tar[1] == 0x00 &&
        (t->tar[2] & 0xf0) == 0x10) {
        int adf = sim_card_find_file(c, 0x7fff);
        if (adf >= 0)
            r->df = adf;
    }
}

/* SELECT by FID from the current DF (TS 102 221 §8.4.1): the MF, the current
 * DF, its children, its parent, the parent's children; and ADF USIM by 7FFF. */
static int select_fid(const struct sim_card *c, const struct sim_rfm *r, uint16_t fid)
{
    int cur = r->df;
    int parent = c->files[cur].parent;
    if (fid == 0x3f00)
        return 0;
    if (c->files[cur].fid == fid)
        return cur;
    for (unsigned i = 0; i < c->nfiles; i++)
        if (c->files[i].fid == fid && c->files[i].parent == cur)
            return (int)i;
    if (parent >= 0) {
        if (c->files[parent].fid == fid)
            return parent;
        for (unsigned i = 0; i < c->nfiles; i++)
            if (c->files[i].fid == fid && c->files[i].parent == parent && is_df(&c->files[i]))
                return (int)i;
    }
    if (fid == 0x7fff && c->cls == SIM_CLASS_UICC)
        return sim_card_find_file(c, 0x7fff);
    return -1;
}

/* The select response: an FCP template for a UICC (TS 102 221 §11.1.1.3),
 * the 51.011 §9.2.1 layout for a 2G SIM; kept for GET RESPONSE. */
static void select_response(const struct sim_card *c, const struct sim_file *f, struct sim_rfm *r)
{
    uint8_t *p = r->resp;
    if (c->cls == SIM_CLASS_UICC) {
        size_t n = 0;
        p[n++] = 0x62;
        p[n++] = 0;
        p[n++] = 0x82;
        if (is_df(f)) {
            p[n++] = 2, p[n++] = 0x78, p[n++] = 0x21;
        } else if (f->type == SIM_F_LINEAR) {
            p[n++] = 5, p[n++] = 0x42, p[n++] = 0x21, p[n++] = 0, p[n++] = f->rec_len,
            p[n++] = f->nrec;
        } else {
            p[n++] = 2, p[n++] = 0x41, p[n++] = 0x21;
        }
        p[n++] = 0x83, p[n++] = 2, p[n++] = (uint8_t)(f->fid >> 8), p[n++] = (uint8_t)f->fid;
        if (!is_df(f)) {
            p[n++] = 0x80, p[n++] = 2, p[n++] = (uint8_t)(f->size >> 8), p[n++] = (uint8_t)f->size;
            if (f->sfi)
                p[n++] = 0x88, p[n++] = 1, p[n++] = (uint8_t)(f->sfi << 3);
        }
        p[n++] = 0x8a, p[n++] = 1, p[n++] = 0x05; /* life cycle: operational, activated */
        p[1] = (uint8_t)(n - 2);
        r->resp_len = (uint8_t)n;
        return;
    }
    memset(p, 0, 22);
    p[2] = (uint8_t)(f->size >> 8), p[3] = (uint8_t)f->size;
    p[4] = (uint8_t)(f->fid >> 8), p[5] = (uint8_t)f->fid;
    p[6] = f->type == SIM_F_MF ? 1 : is_df(f) ? 2 : 4;
    if (is_df(f)) {
        p[12] = 10; /* length of the GSM specific data that follows */
        r->resp_len = 22;
    } else {
        p[13] = f->type == SIM_F_LINEAR ? 1 : 0;
        p[14] = f->rec_len;
        r->resp_len = 15;
    }
}

static int sw_ok(uint16_t s)
{
    uint8_t s1 = (uint8_t)(s >> 8);
    return s1 == 0x90 || s1 == 0x91 || s1 == 0x61 || s1 == 0x9f || s1 == 0x62 || s1 == 0x63;
}

/* Current EF for a binary/record command, or the EF named by an SFI in P1
 * (TS 102 221 §11.1.3: b8 of P1 set, SFI in b5..b1) which then becomes
 * the current EF; it must have the structure the command works on (type).
 * NULL with *st the status word to answer when there is no such EF (none
 * selected, no file with that SFI) or it is of another structure. */
static struct sim_file *ef_for(struct sim_card *c, struct sim_rfm *r, int sfi, enum sim_ftype type,
                               uint16_t *st)
{
    int e = r->ef;
    if (sfi) {
        e = -2;
        for (unsigned i = 0; i < c->nfiles; i++)
            if (c->files[i].sfi == sfi && c->files[i].parent == r->df) {
                r->ef = e = (int)i;
                break;
            }
    }
    if (e < 0) {
        *st = sw(c, e == -2 ? SW_NOT_FOUND : SW_NO_EF);
        return NULL;
    }
    if (c->files[e].type != type) {
        *st = sw(c, SW_STRUCTURE);
        return NULL;
    }
    return &c->files[e];
}

static uint16_t apdu_binary(struct sim_card *c, struct sim_rfm *r, const uint8_t *a, size_t lc,
                            const uint8_t *data, int update, uint8_t *rdata, size_t *rlen)
{
    int sfi = (a[2] & 0x80) && c->cls == SIM_CLASS_UICC ? a[2] & 0x1f : 0;
    unsigned off = sfi ? a[3] : (unsigned)((a[2] & 0x7f) << 8 | a[3]);
    uint16_t st;
    struct sim_file *f = ef_for(c, r, sfi, SIM_F_TRANSPARENT, &st);
    if (!f)
        return st;
    if (off >= f->size)
        return sw(c, SW_RANGE);
    if (update) {
        if (f->readonly)
            return sw(c, SW_SECURITY);
        if (lc == 0 || off + lc > f->size)
            return sw(c, SW_LENGTH);
        memcpy(f->data + off, data, lc);
        return 0x9000;
    }
    size_t n = lc ? lc : f->size - off; /* Le 00: up to the end */
    if (off + n > f->size) {
        if (c->cls != SIM_CLASS_UICC)
            return sw(c, SW_LENGTH);
        n = f->size - off;
        memcpy(rdata, f->data + off, n);
        *rlen = n;
        return 0x6282; /* end of file reached before Le octets */
    }
    memcpy(rdata, f->data + off, n);
    *rlen = n;
    return 0x9000;
}

static uint16_t apdu_record(struct sim_card *c, struct sim_rfm *r, const uint8_t *a, size_t lc,
                            const uint8_t *data, int update, uint8_t *rdata, size_t *rlen)
{
    int sfi = c->cls == SIM_CLASS_UICC ? a[3] >> 3 : 0;
    uint8_t mode = a[3] & 7;
    uint16_t st;
    struct sim_file *f = ef_for(c, r, sfi, SIM_F_LINEAR, &st);
    if (!f)
        return st;
    int rec;
    switch (mode) {
    case 4: /* absolute, or current when P1 = 0 */
        rec = a[2] ? a[2] : r->rec;
        break;
    case 2: /* next */
        rec = r->rec + 1;
        break;
    case 3: /* previous */
        rec = r->rec ? r->rec - 1 : f->nrec;
        break;
    default:
        return sw(c, SW_P1P2);
    }
    if (rec < 1 || rec > f->nrec)
        return sw(c, SW_RECORD);
    r->rec = rec;
    uint8_t *p = f->data + (size_t)(rec - 1) * f->rec_len;
    if (update) {
        if (f->readonly)
            return sw(c, SW_SECURITY);
        if (lc != f->rec_len)
            return sw(c, SW_LENGTH);
        memcpy(p, data, lc);
        return 0x9000;
    }
    if (lc && lc != f->rec_len)
        return sw(c, SW_LENGTH);
    memcpy(rdata, p, f->rec_len);
    *rlen = f->rec_len;
    return 0x9000;
}

static uint16_t apdu_select(struct sim_card *c, struct sim_rfm *r, const uint8_t *a, size_t lc,
                            const uint8_t *data)
{
    int k;
    if (a[2] == 0x04 && c->cls == SIM_CLASS_UICC) {
        /* By DF name: the USIM AID prefix A0000000871002 (TS 31.102 §1). */
        static const uint8_t usim[] = {0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02};
        if (lc < sizeof usim || memcmp(data, usim, sizeof usim) != 0)
            return sw(c, SW_NOT_FOUND);
        k = sim_card_find_file(c, 0x7fff);
    } else {
        if (a[2] != 0x00)
            return sw(c, SW_P1P2);
        if (lc != 2)
            return sw(c, SW_LENGTH);
        k = select_fid(c, r, (uint16_t)(data[0] << 8 | data[1]));
    }
    if (k < 0)
        return sw(c, SW_NOT_FOUND);
    struct sim_file *f = &c->files[k];
    if (is_df(f)) {
        r->df = k;
        r->ef = -1;
    } else {
        r->ef = k;
    }
    r->rec = 0;
    select_response(c, f, r);
    if (c->cls != SIM_CLASS_UICC)
        return (uint16_t)(0x9f00 | r->resp_len);
    if (a[3] == 0x0c) { /* no data returned */
        r->resp_len = 0;
        return 0x9000;
    }
    return (uint16_t)(0x6100 | r->resp_len);
}

/* Case 2 commands carry Le in P3, everything else Lc + data. */
static int ins_is_case2(uint8_t ins)
{
    return ins == 0xb0 || ins == 0xb2 || ins == 0xc0 || ins == 0xf2;
}

uint16_t sim_card_apdu(struct sim_card *c, const struct sim_tar *t, struct sim_rfm *r,
                       const uint8_t *a, size_t len, uint8_t *rdata, size_t *rlen)
{
    *rlen = 0;
    c->apdus++;
    (void)t;
    if (len < 4)
        return sw(c, SW_LENGTH);
    uint8_t p3 = len > 4 ? a[4] : 0;
    const uint8_t *data = a + 5;
    size_t lc = 0;
    if (ins_is_case2(a[1])) {
        lc = p3; /* Le */
        if (len > 5)
            return sw(c, SW_LENGTH);
    } else if (len > 4) {
        lc = p3;
        if (len < 5 + lc || len > 6 + lc) /* an optional trailing Le */
            return sw(c, SW_LENGTH);
    }
    uint8_t cla = a[0];
    if (c->cls == SIM_CLASS_SIM ? cla != 0xa0 : (cla & 0xfc) != 0x00)
        return sw(c, SW_CLA);
    switch (a[1]) {
    case 0xa4:
        return apdu_select(c, r, a, lc, data);
    case 0xd6:
        return apdu_binary(c, r, a, lc, data, 1, rdata, rlen);
    case 0xb0:
        return apdu_binary(c, r, a, lc, data, 0, rdata, rlen);
    case 0xdc:
        return apdu_record(c, r, a, lc, data, 1, rdata, rlen);
    case 0xb2:
        return apdu_record(c, r, a, lc, data, 0, rdata, rlen);
    case 0xc0: {
        if (!r->resp_len)
            return c->cls == SIM_CLASS_UICC ? 0x6985 : 0x9400;
        size_t n = lc && lc < r->resp_len ? lc : r->resp_len;
        memcpy(rdata, r->resp, n);
        *rlen = n;
        return 0x9000;
    }
    default:
        return sw(c, SW_INS);
    }
}

/* ---- the multi-IMSI applet and the ISD-R --------------------------------- */

/* The applet command: the card's template (sim_card.applet_cmd) with the
 * slot octet free. A switch writes the slot's IMSI into EF_IMSI and resets
 * EF_LOCI (TMSI FFFFFFFF, LAC FFFE, not updated: FACTS.md §9), as the
 * applets in the field do before their REFRESH. */
static uint16_t applet_apdu(struct sim_card *c, const uint8_t *a, size_t len)
{
    size_t n = c->applet_cmd_len, pos = c->applet_slot_pos;
    if (!n)
        return 0x6d00;
    if (len < 2 || a[1] != c->applet_cmd[1])
        return 0x6d00;
    if (a[0] != c->applet_cmd[0])
        return 0x6e00;
    if (len != n)
        return 0x6700;
    for (size_t i = 0; i < n; i++)
        if (i != pos && a[i] != c->applet_cmd[i])
            return 0x6a86;
    unsigned slot = a[pos];
    if (slot < 1 || slot > c->nslots || !c->slots[slot - 1][0])
        return 0x6a88; /* referenced data not found */
    int k = sim_card_find_file(c, 0x6f07);
    uint8_t imsi[9];
    if (k < 0 || sim_imsi_encode(c->slots[slot - 1], imsi) < 0)
        return 0x6f00;
    memcpy(c->files[k].data, imsi, 9);
    int l = sim_card_find_file(c, 0x6f7e);
    if (l >= 0) {
        memset(c->files[l].data, 0xff, 4);
        c->files[l].data[7] = 0xff, c->files[l].data[8] = 0xfe;
        c->files[l].data[10] = 0x01;
    }
    c->active_slot = slot;
    c->switches++;
    return 0x9000;
}

/* STORE DATA to the ISD-R (SGP.02 §4.1.1 ES5 / SGP.03 §4.1.1.2): 80 E2 88
 * 00 Lc 3A 03|04|05 L 4F L <ISD-P AID>; 3A 03 enables (and so disables the
 * enabled one), 3A 04 disables, 3A 05 sets the fall-back attribute (which
 * one profile holds at a time, so it moves from the previous holder). The
 * 3A05 tag is from SGP.02's DO list (SIMSHELL gsma.h transcription); its
 * '4F' content and setting it twice answering 9000 are [M]. */
static uint16_t isdr_apdu(struct sim_card *c, const uint8_t *a, size_t len, int *event)
{
    if (len < 5 || a[1] != 0xe2)
        return 0x6d00;
    if (a[0] != 0x80)
        return 0x6e00;
    if (a[2] != 0x88 && a[2] != 0x89 && a[2] != 0x90 && a[2] != 0x91)
        return 0x6a86;
    size_t lc = a[4];
    if (len < 5 + lc || len > 6 + lc)
        return 0x6700;
    const uint8_t *d = a + 5;
    if (lc < 4 || d[0] != 0x3a || d[1] < 0x03 || d[1] > 0x05 || d[2] != lc - 3 || d[3] != 0x4f ||
        d[4] > lc - 5 || d[4] > 16 || d[4] == 0)
        return 0x6a80; /* incorrect data */
    const uint8_t *aid = d + 5;
    unsigned alen = d[4];
    unsigned p = 0;
    for (unsigned i = 0; i < c->nprofiles; i++)
        if (c->profiles[i].len == alen && memcmp(c->profiles[i].aid, aid, alen) == 0)
            p = i + 1;
    if (!p)
        return 0x6a88;
    if (d[1] == 0x03) {
        if (c->enabled_profile == p)
            return 0x6985; /* conditions of use not satisfied: already enabled */
        c->enabled_profile = p;
        *event = 1;
    } else if (d[1] == 0x04) {
        if (c->enabled_profile != p)
            return 0x6985;
        c->enabled_profile = 0;
        *event = 2;
    } else {
        c->fallback_profile = p; /* no profile change: no notification */
    }
    c->switches++;
    return 0x9000;
}

static uint16_t run_apdu(struct sim_card *c, const struct sim_tar *t, struct sim_rfm *r,
                         const uint8_t *a, size_t len, uint8_t *rd, size_t *rl, int *event)
{
    switch (t->kind) {
    case SIM_TAR_APPLET:
        *rl = 0;
        c->apdus++;
        return applet_apdu(c, a, len);
    case SIM_TAR_ISDR:
        *rl = 0;
        c->apdus++;
        return isdr_apdu(c, a, len, event);
    default:
        return sim_card_apdu(c, t, r, a, len, rd, rl);
    }
}

/* ---- script formats (TS 102 226 §5) --------------------------------------- */

/* Compact: a chain of C-APDUs; stop at the first error; answer #executed,
 * SW of the last, its data (§5.1). */
static size_t run_compact(struct sim_card *c, const struct sim_tar *t, const uint8_t *p, size_t n,
                          uint8_t *out, int *event, int *err)
{
    struct sim_rfm r;
    sim_rfm_start(c, t, &r);
    uint8_t rd[SIM_RESP_MAX];
    size_t rl = 0, off = 0;
    unsigned count = 0;
    uint16_t s = 0x9000;
    while (off < n) {
        size_t alen;
        if (n - off < 4) {
            s = sw(c, SW_LENGTH); /* a truncated C-APDU */
            count++;
            rl = 0;
            break;
        }
        if (n - off == 4)
            alen = 4;
        else if (ins_is_case2(p[off + 1]))
            alen = 5;
        else
            alen = 5 + (size_t)p[off + 4];
        if (alen > n - off)
            alen = n - off; /* sim_card_apdu answers the wrong length */
        s = run_apdu(c, t, &r, p + off, alen, rd, &rl, event);
        count++;
        off += alen;
        if (!sw_ok(s))
            break;
    }
    out[0] = (uint8_t)count;
    out[1] = (uint8_t)(s >> 8);
    out[2] = (uint8_t)s;
    if (rl > SIM_RESP_MAX - 3)
        rl = SIM_RESP_MAX - 3;
    memcpy(out + 3, rd, rl);
    *err = !sw_ok(s);
    return 3 + rl;
}

/* BER length at p (1, 2 or 3 octets). Returns octets used, 0 when bad. */
static size_t ber_len(const uint8_t *p, size_t n, size_t *len)
{
    if (n < 1)
        return 0;
    if (p[0] < 0x80) {
        *len = p[0];
        return 1;
    }
    if (p[0] == 0x81 && n >= 2) {
        *len = p[1];
        return 2;
    }
    if (p[0] == 0x82 && n >= 3) {
        *len = (size_t)p[1] << 8 | p[2];
        return 3;
    }
    return 0;
}

static size_t put_len(uint8_t *o, size_t len)
{
    if (len < 0x80) {
        o[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        o[0] = 0x81, o[1] = (uint8_t)len;
        return 2;
    }
    o[0] = 0x82, o[1] = (uint8_t)(len >> 8), o[2] = (uint8_t)len;
    return 3;
}

/* Expanded: Command Scripting Template AA (definite) or AE (indefinite,
 * closed by 00 00) of C-APDU TLVs 22 (plus 81/82/83 actions, skipped);
 * answer the Response Scripting Template AB/AF: 80 01 <#executed>, then one
 * R-APDU TLV 23 per executed C-APDU, or a Bad Format TLV 90 (§5.2). */
static size_t run_expanded(struct sim_card *c, const struct sim_tar *t, const uint8_t *p, size_t n,
                           uint8_t *out, int *event, int *err)
{
    struct sim_rfm r;
    sim_rfm_start(c, t, &r);
    uint8_t body[SIM_RESP_MAX];
    size_t bl = 3; /* 80 01 nn first */
    unsigned count = 0;
    int indefinite = 0, bad = 0;
    size_t clen = 0, off = 0;
    *err = 0;
    if (n >= 2 && p[0] == 0xaa) {
        size_t l = ber_len(p + 1, n - 1, &clen);
        if (!l || clen > n - 1 - l)
            bad = 2;
        else
            off = 1 + l;
    } else if (n >= 2 && p[0] == 0xae && p[1] == 0x80) {
        indefinite = 1;
        off = 2;
        clen = n - 2;
    } else {
        bad = 1;
    }
    size_t end = off + clen;
    while (!bad && off < end) {
        if (indefinite && end - off >= 2 && p[off] == 0 && p[off + 1] == 0)
            break;
        uint8_t tag = p[off];
        size_t vl, l = ber_len(p + off + 1, end - off - 1, &vl);
        if (!l || vl > end - off - 1 - l) {
            bad = 2;
            break;
        }
        const uint8_t *v = p + off + 1 + l;
        off += 1 + l + vl;
        if (tag == 0x81 || tag == 0x82 || tag == 0x83)
            continue;
        if (tag != 0x22) {
            bad = 1;
            break;
        }
        uint8_t rd[SIM_RESP_MAX];
        size_t rl;
        uint16_t s = run_apdu(c, t, &r, v, vl, rd, &rl, event);
        count++;
        if (bl + 4 + rl + 2 > sizeof body)
            rl = 0;
        body[bl++] = 0x23;
        bl += put_len(body + bl, rl + 2);
        memcpy(body + bl, rd, rl);
        bl += rl;
        body[bl++] = (uint8_t)(s >> 8);
        body[bl++] = (uint8_t)s;
        if (!sw_ok(s)) {
            *err = 1;
            break;
        }
    }
    body[0] = 0x80, body[1] = 1, body[2] = (uint8_t)count;
    if (bad) {
        body[bl++] = 0x90, body[bl++] = 1, body[bl++] = (uint8_t)bad;
        *err = 1;
    }
    size_t o = 0;
    if (indefinite) {
        out[o++] = 0xaf, out[o++] = 0x80;
        memcpy(out + o, body, bl);
        o += bl;
        out[o++] = 0, out[o++] = 0;
    } else {
        out[o++] = 0xab;
        o += put_len(out + o, bl);
        memcpy(out + o, body, bl);
        o += bl;
    }
    return o;
}

/* ---- secured packets ---------------------------------------------------- */

static const struct sim_tar *find_tar(const struct sim_card *c, const uint8_t tar[3])
{
    for (unsigned i = 0; i < c->ntars; i++)
        if (memcmp(c->tars[i].tar, tar, 3) == 0)
            return &c->tars[i];
    return NULL;
}

/* SPI1 against the TAR's MSL (TS 102 226 §8.2.1.3.2.4): integrity at least
 * as strong (none < RC < CC < DS), ciphering when asked for, a counter mode
 * at least as strict (no counter < counter < counter higher < counter +1). */
static int level_ok(uint8_t spi1, uint8_t msl)
{
    if ((spi1 & 3) < (msl & 3))
        return 0;
    if ((msl & 4) && !(spi1 & 4))
        return 0;
    return ((spi1 >> 3) & 3) >= ((msl >> 3) & 3);
}

static uint64_t be40(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 5; i++)
        v = v << 8 | p[i];
    return v;
}

/* The PoR (TS 102 225 §5.2, TS 31.115 §4.3): 02 71 00 | RPL RHL TAR CNTR
 * PCNTR RSC [RC/CC] data [pad]; the checksum covers the UDH's three octets
 * too and excludes its own field, then CNTR..pad is ciphered. ks NULL: sent
 * without security (errors found before the keys were proven). */
static void build_por(struct sim_result *res, const struct sim_keyset *ks, uint8_t spi2,
                      const uint8_t tar[3], const uint8_t cntr[5], uint8_t rsc, const uint8_t *data,
                      size_t dlen)
{
    uint8_t *u = res->por;
    int integ = ks ? (spi2 >> 2) & 3 : 0;
    int cipher = ks && (spi2 & 0x10);
    size_t ilen = 0;
    if (integ == 1 && (ks->kid.alg == SIM_ALG_CRC16 || ks->kid.alg == SIM_ALG_CRC32))
        ilen = ks->kid.alg == SIM_ALG_CRC16 ? 2 : 4;
    else if (integ == 2 && sim_block(&ks->kid))
        ilen = 8;
    /* A checksum kind the keyset cannot give (CC on an RC key, DS) goes
     * without: FACTS.md §2 leaves it undefined. */
    size_t bs = cipher ? sim_block(&ks->kic) : 0;
    if (dlen > SIM_RESP_MAX)
        dlen = SIM_RESP_MAX;
    size_t clear = 5 + 1 + 1 + ilen + dlen;
    size_t pad = bs ? (bs - clear % bs) % bs : 0;
    size_t rhl = 10 + ilen, rpl = 1 + rhl + dlen + pad;
    u[0] = 0x02, u[1] = 0x71, u[2] = 0x00;
    u[3] = (uint8_t)(rpl >> 8), u[4] = (uint8_t)rpl, u[5] = (uint8_t)rhl;
    memcpy(u + 6, tar, 3);
    memcpy(u + 9, cntr, 5);
    u[14] = (uint8_t)pad;
    u[15] = rsc;
    uint8_t *ic = u + 16, *d = u + 16 + ilen;
    memcpy(d, data, dlen);
    memset(d + dlen, 0, pad);
    if (ilen) {
        uint8_t tmp[SIM_POR_MAX], mac[8];
        memcpy(tmp, u, 16);
        memcpy(tmp + 16, d, dlen + pad);
        if (sim_integrity(&ks->kid, tmp, 16 + dlen + pad, mac) != (int)ilen)
            memset(mac, 0, sizeof mac);
        memcpy(ic, mac, ilen);
    }
    if (bs && sim_cbc(&ks->kic, 1, u + 9, clear + pad) < 0)
        u[15] = SIM_RSC_CIPHER;
    res->por_len = 16 + ilen + dlen + pad;
}

/* The card's keyset for the KIc/KID of the packet: key versions and
 * algorithm codings must both match what the card holds. */
static int find_key(const struct sim_world *w, const struct sim_card *c, uint8_t spi1, uint8_t spi2,
                    uint8_t kic, uint8_t kid)
{
    int need_c = (spi1 & 4) || (spi2 & 0x10);
    int in = spi1 & 3, out = (spi2 >> 2) & 3;
    int need_i = in || out;
    int rc_mode = in == 1 || (!in && out == 1);
    for (unsigned i = 0; i < c->nkeys; i++) {
        const struct sim_keyset *ks = &w->keysets[c->keys[i].keyset];
        if (need_c && (ks->kic_kvn != kic >> 4 || sim_key_coding(&ks->kic, 1) != (kic & 0x0f) ||
                       !sim_block(&ks->kic)))
            continue;
        if (need_i) {
            int is_crc = ks->kid.alg == SIM_ALG_CRC16 || ks->kid.alg == SIM_ALG_CRC32;
            if (ks->kid_kvn != kid >> 4 || sim_key_coding(&ks->kid, 0) != (kid & 0x0f) ||
                is_crc != rc_mode)
                continue;
        }
        if (!need_c && !need_i && (kid >> 4) && ks->kid_kvn != kid >> 4)
            continue;
        return (int)i;
    }
    return -1;
}

void sim_card_process(struct sim_world *w, struct sim_card *c, const uint8_t *pkt, size_t len,
                      struct sim_result *res)
{
    res->dropped = res->executed = res->send_por = res->profile_event = 0;
    res->keyset = -1;
    res->cntr = 0;
    res->por_len = 0;
    res->rsc = SIM_RSC_OK;
    c->packets++;
    /* CPL CHL SPI KIc KID TAR CNTR PCNTR at least, CPL exact. */
    if (len < 16 || ((size_t)pkt[0] << 8 | pkt[1]) != len - 2 || pkt[2] < 13 ||
        (size_t)pkt[2] + 3 > len) {
        res->dropped = 1;
        c->rejected++;
        return;
    }
    uint8_t chl = pkt[2], spi1 = pkt[3], spi2 = pkt[4], kic = pkt[5], kid = pkt[6];
    const uint8_t *tar = pkt + 7;
    memcpy(res->tar, tar, 3);
    res->spi2 = spi2;
    size_t ilen = (size_t)chl - 13;
    int cipher = spi1 & 4, integ = spi1 & 3, cmode = (spi1 >> 3) & 3;
    uint8_t buf[SIM_PACKET_MAX];
    size_t blen = len - 10;
    memcpy(buf, pkt + 10, blen);
    uint8_t zero[5] = {0};
    const uint8_t *cntr = cipher ? zero : buf; /* plain CNTR for an early PoR */
    const struct sim_keyset *ks = NULL;
    struct sim_card_key *ck = NULL;
    uint8_t resp[SIM_RESP_MAX];
    size_t rlen = 0;
    int err = 0;

    const struct sim_tar *t = find_tar(c, tar);
    if (!t) {
        res->rsc = SIM_RSC_TAR_UNKNOWN;
        goto por;
    }
    if (!level_ok(spi1, t->msl)) {
        res->rsc = SIM_RSC_LEVEL;
        if (t->kind == SIM_TAR_ISDR) /* SGP.02 §2.4.3: no PoR at all */
            goto rejected;
        goto por;
    }
    int k = find_key(w, c, spi1, spi2, kic, kid);
    if (k < 0 || integ == 3 || (integ && ilen != (integ == 2 ? 8u : 0u) && integ != 1)) {
        res->rsc = SIM_RSC_SECURITY;
        goto por;
    }
    ck = &c->keys[k];
    const struct sim_keyset *cand = &w->keysets[ck->keyset];
    if (integ == 1 && ilen != (cand->kid.alg == SIM_ALG_CRC16 ? 2u : 4u)) {
        res->rsc = SIM_RSC_SECURITY;
        goto por;
    }
    if (!integ && ilen != 0) {
        res->rsc = SIM_RSC_SECURITY;
        goto por;
    }
    if (cipher) {
        if (blen % sim_block(&cand->kic) != 0 || sim_cbc(&cand->kic, 0, buf, blen) < 0) {
            res->rsc = SIM_RSC_CIPHER;
            goto por;
        }
        cntr = buf;
    }
    if (blen < 6 + ilen) {
        res->rsc = SIM_RSC_SECURITY;
        goto por;
    }
    if (integ) {
        /* RC/CC over CPL..TAR, CNTR, PCNTR, data+padding (TS 102 225 §5.1). */
        uint8_t tmp[SIM_PACKET_MAX], mac[8];
        memcpy(tmp, pkt, 10);
        memcpy(tmp + 10, buf, 6);
        memcpy(tmp + 16, buf + 6 + ilen, blen - 6 - ilen);
        int m = sim_integrity(&cand->kid, tmp, 16 + blen - 6 - ilen, mac);
        if (m != (int)ilen || CRYPTO_memcmp(mac, buf + 6, ilen) != 0) {
            res->rsc = SIM_RSC_CC_FAIL;
            goto por;
        }
    }
    ks = cand; /* proven: from here on the PoR is secured as asked */
    res->keyset = ck->keyset;
    uint64_t cv = be40(buf);
    res->cntr = cv;
    uint8_t pcntr = buf[5];
    size_t dlen = blen - 6 - ilen;
    if (pcntr > dlen || (!cipher && pcntr)) {
        res->rsc = SIM_RSC_SECURITY;
        goto por;
    }
    dlen -= pcntr;
    /* Counter rules, TS 102 225 §5.1.1 (FACTS.md §3). */
    if (cmode >= 2) {
        const uint64_t max = 0xffffffffffull;
        if (ck->counter == max)
            res->rsc = SIM_RSC_CNTR_BLOCKED;
        else if (cv <= ck->counter)
            res->rsc = SIM_RSC_CNTR_LOW;
        else if (cmode == 3 && cv != ck->counter + 1)
            res->rsc = SIM_RSC_CNTR_HIGH;
        else if (cmode == 2 && c->counter_window && cv - ck->counter > c->counter_window)
            res->rsc = SIM_RSC_CNTR_HIGH;
        if (res->rsc != SIM_RSC_OK)
            goto por;
        ck->counter = cv;
    }
    ck->used++;
    c->executed++;
    res->executed = 1;
    {
        const uint8_t *script = buf + 6 + ilen;
        int ev = 0;
        if (t->expanded)
            rlen = run_expanded(c, t, script, dlen, resp, &ev, &err);
        else
            rlen = run_compact(c, t, script, dlen, resp, &ev, &err);
        res->profile_event = ev;
    }
por:
    if (res->rsc != SIM_RSC_OK)
        c->rejected++;
    switch (spi2 & 3) {
    case 1:
        break;
    case 2: /* on error only: a security error or a failed command */
        if (res->rsc == SIM_RSC_OK && !err)
            return;
        break;
    default:
        return;
    }
    build_por(res, ks, spi2, tar, cntr, res->rsc, resp, rlen);
    res->send_por = 1;
    c->pors++;
    return;
rejected:
    c->rejected++;
}

/* ---- SMS transport: UDH, concatenation -------------------------------------- */

/* Walks the UDH (TS 23.040 §9.2.3.24): finds concatenation (IEI 00, 8-bit
 * reference; IEI 08, 16-bit) and the command packet IE 70. Returns the UDH
 * length (UDHL + 1) or -1 when it does not hold together. */
static int parse_udh(const uint8_t *ud, size_t len, int *cpi, int *concat, uint16_t *ref,
                     uint8_t *total, uint8_t *seq)
{
    if (len < 1 || (size_t)ud[0] + 1 > len)
        return -1;
    size_t end = (size_t)ud[0] + 1, off = 1;
    *cpi = *concat = 0;
    while (off < end) {
        if (end - off < 2 || ud[off + 1] > end - off - 2)
            return -1;
        uint8_t iei = ud[off], l = ud[off + 1];
        const uint8_t *v = ud + off + 2;
        if (iei == 0x70)
            *cpi = 1;
        else if (iei == 0x00 && l == 3)
            *concat = 1, *ref = v[0], *total = v[1], *seq = v[2];
        else if (iei == 0x08 && l == 4)
            *concat = 1, *ref = (uint16_t)(v[0] << 8 | v[1]), *total = v[2], *seq = v[3];
        off += 2 + (size_t)l;
    }
    return (int)end;
}

int sim_card_deliver(struct sim_world *w, struct sim_card *c, const uint8_t *ud, size_t len,
                     int udhi, struct sim_result *res)
{
    res->dropped = 1;
    res->send_por = res->executed = 0;
    w->tick++;
    if (!udhi || len > 140)
        return 0; /* not a secured packet (TS 31.115 §4: UDHI set) */
    int cpi, concat;
    uint16_t ref = 0;
    uint8_t total = 0, seq = 0;
    int h = parse_udh(ud, len, &cpi, &concat, &ref, &total, &seq);
    if (h < 0)
        return 0;
    if (!concat) {
        if (!cpi)
            return 0;
        sim_card_process(w, c, ud + h, len - (size_t)h, res);
        return 1;
    }
    if (total < 1 || total > SIM_MAX_PARTS || seq < 1 || seq > total)
        return 0;
    int ci = (int)(c - w->cards);
    struct sim_concat *slot = NULL, *oldest = NULL;
    for (unsigned i = 0; i < SIM_MAX_CONCAT; i++) {
        struct sim_concat *s = &w->concat[i];
        if (s->card == ci && s->ref == ref && s->total == total) {
            slot = s;
            break;
        }
    }
    if (!slot) {
        for (unsigned i = 0; i < SIM_MAX_CONCAT && !slot; i++)
            if (w->concat[i].card < 0)
                slot = &w->concat[i];
        for (unsigned i = 0; i < SIM_MAX_CONCAT && !slot; i++)
            if (!oldest || w->concat[i].age < oldest->age)
                oldest = &w->concat[i];
        if (!slot)
            slot = oldest; /* the oldest incomplete one is given up */
        slot->card = ci;
        slot->ref = ref;
        slot->total = total;
        slot->have = 0;
        slot->age = w->tick;
        memset(slot->len, 0, sizeof slot->len);
    }
    size_t plen = len - (size_t)h;
    if (slot->len[seq - 1] == 0 && plen > 0) {
        memcpy(slot->part[seq - 1], ud + h, plen);
        slot->len[seq - 1] = (uint16_t)plen;
        slot->have++;
    }
    /* The first segment carries IE 70 (FACTS.md §5); it is not required on
     * the others. */
    if (seq == 1 && !cpi) {
        slot->card = -1;
        return 0;
    }
    if (slot->have < total)
        return 0;
    uint8_t pkt[SIM_PACKET_MAX];
    size_t n = 0;
    for (unsigned i = 0; i < total; i++) {
        memcpy(pkt + n, slot->part[i], slot->len[i]);
        n += slot->len[i];
    }
    slot->card = -1;
    sim_card_process(w, c, pkt, n, res);
    return 1;
}
