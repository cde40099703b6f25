/* sim_cards.c — the card file parser and the state dump (see sim_cards.h,
 * format in docs/simulator.md). */
#include "tests/sim/sim_cards.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec/hex.h"
#include "gateway/file.h"

struct parser {
    struct sim_world *w;
    const char *name;
    unsigned line;
    char *err;
    size_t errlen;
    enum { SEC_NONE, SEC_KEYSET, SEC_CARD } sec;
    int cur; /* index of the current keyset or card */
};

__attribute__((format(printf, 2, 3))) static int perr(struct parser *p, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
    return -EINVAL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s)
        return -1;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return -1;
    }
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && isxdigit((unsigned char)*s))
            d = (tolower((unsigned char)*s) - 'a') + 10;
        else
            return -1;
        if (v > (max - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

static int digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int grow(void **arr, unsigned *cap, unsigned need, size_t elem)
{
    if (need <= *cap)
        return 0;
    unsigned nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    if (nc > 1u << 22)
        return -ENOMEM;
    void *n = realloc(*arr, (size_t)nc * elem);
    if (!n)
        return -ENOMEM;
    memset((char *)n + (size_t)*cap * elem, 0, (size_t)(nc - *cap) * elem);
    *arr = n;
    *cap = nc;
    return 0;
}

static int open_section(struct parser *p, char *s)
{
    struct sim_world *w = p->w;
    char *sp = strchr(s, ' ');
    if (!sp)
        return perr(p, "section [%s]: expected [keyset NAME] or [card ICCID]", s);
    *sp = 0;
    char *arg = trim(sp + 1);
    if (strcmp(s, "keyset") == 0) {
        if (!*arg || strlen(arg) >= SIM_NAME_MAX || strchr(arg, ' '))
            return perr(p, "keyset name must be 1..%d characters, no spaces", SIM_NAME_MAX - 1);
        for (unsigned i = 0; i < w->nkeysets; i++)
            if (strcmp(w->keysets[i].name, arg) == 0)
                return perr(p, "keyset %s defined twice", arg);
        if (grow((void **)&w->keysets, &w->keysets_cap, w->nkeysets + 1, sizeof *w->keysets))
            return perr(p, "out of memory");
        struct sim_keyset *k = &w->keysets[w->nkeysets];
        memset(k, 0, sizeof *k);
        strcpy(k->name, arg);
        k->kic_kvn = k->kid_kvn = 1;
        p->cur = (int)w->nkeysets++;
        p->sec = SEC_KEYSET;
        return 0;
    }
    if (strcmp(s, "card") == 0) {
        if (!digits(arg, 6, SIM_ICCID_MAX) && !(strlen(arg) <= SIM_ICCID_MAX && strlen(arg) >= 6))
            return perr(p, "ICCID must be 6..%d characters", SIM_ICCID_MAX);
        for (const char *q = arg; *q; q++)
            if (!isalnum((unsigned char)*q))
                return perr(p, "ICCID must be digits (a trailing F or check letter allowed)");
        if (grow((void **)&w->cards, &w->cards_cap, w->ncards + 1, sizeof *w->cards))
            return perr(p, "out of memory");
        struct sim_card *c = &w->cards[w->ncards];
        memset(c, 0, sizeof *c);
        strcpy(c->iccid, arg);
        c->cls = SIM_CLASS_UICC;
        c->line = p->line;
        sim_card_default_fs(c);
        p->cur = (int)w->ncards++;
        p->sec = SEC_CARD;
        return 0;
    }
    return perr(p, "unknown section [%s %s]", s, arg);
}

static int keyset_kv(struct parser *p, const char *k, const char *v)
{
    struct sim_keyset *ks = &p->w->keysets[p->cur];
    uint64_t n;
    if (strcmp(k, "kic") == 0 || strcmp(k, "kid") == 0) {
        int is_kic = k[2] == 'c';
        if (sim_key_parse(is_kic ? &ks->kic : &ks->kid, v, is_kic) < 0)
            return perr(p, "%s: expected ALG:HEX with a key of the algorithm's length", k);
        return 0;
    }
    if (strcmp(k, "kic_kvn") == 0 || strcmp(k, "kid_kvn") == 0) {
        if (parse_u64(v, 15, &n) < 0 || n < 1)
            return perr(p, "%s: a key version 1..15", k);
        *(k[2] == 'c' ? &ks->kic_kvn : &ks->kid_kvn) = (uint8_t)n;
        return 0;
    }
    if (strcmp(k, "spi") == 0) {
        uint8_t b[2];
        if (hex_decode(v, b, 2) != 2)
            return perr(p, "spi: 4 hex digits");
        return 0; /* the gateway's choice; a card goes by the TAR's MSL */
    }
    p->w->warnings++;
    return 0;
}

static int parse_fid(const char *s, uint16_t *fid)
{
    uint8_t b[2];
    if (strlen(s) != 4 || hex_decode(s, b, 2) != 2)
        return -1;
    *fid = (uint16_t)(b[0] << 8 | b[1]);
    return 0;
}

static int card_tar(struct parser *p, struct sim_card *c, char *v)
{
    if (c->ntars >= SIM_MAX_TARS)
        return perr(p, "more than %d TARs", SIM_MAX_TARS);
    struct sim_tar t = {.msl = 0x12};
    char *save = NULL, *tok = strtok_r(v, " \t", &save);
    if (!tok || strlen(tok) != 6 || hex_decode(tok, t.tar, 3) != 3)
        return perr(p, "tar: 6 hex digits first");
    tok = strtok_r(NULL, " \t", &save);
    if (!tok)
        return perr(p, "tar: kind rfm, applet or isdr after the TAR");
    if (strcmp(tok, "rfm") == 0)
        t.kind = SIM_TAR_RFM;
    else if (strcmp(tok, "applet") == 0)
        t.kind = SIM_TAR_APPLET;
    else if (strcmp(tok, "isdr") == 0)
        t.kind = SIM_TAR_ISDR, t.expanded = 1, t.msl = 0x16;
    else
        return perr(p, "tar: unknown kind '%s' (rfm, applet, isdr)", tok);
    while ((tok = strtok_r(NULL, " \t", &save))) {
        if (strcmp(tok, "expanded") == 0)
            t.expanded = 1;
        else if (strcmp(tok, "compact") == 0)
            t.expanded = 0;
        else if (strncmp(tok, "msl=", 4) == 0 && strlen(tok) == 6 &&
                 hex_decode(tok + 4, &t.msl, 1) == 1)
            ;
        else
            return perr(p, "tar: unknown option '%s' (compact, expanded, msl=HH)", tok);
    }
    for (unsigned i = 0; i < c->ntars; i++)
        if (memcmp(c->tars[i].tar, t.tar, 3) == 0)
            return perr(p, "tar %02X%02X%02X listed twice", t.tar[0], t.tar[1], t.tar[2]);
    c->tars[c->ntars++] = t;
    return 0;
}

static int card_file(struct parser *p, struct sim_card *c, const char *fidtxt, const char *v,
                     int records)
{
    uint16_t fid;
    if (parse_fid(fidtxt, &fid) < 0)
        return perr(p, "'%s': a file id of 4 hex digits", fidtxt);
    int k = sim_card_find_file(c, fid);
    if (k < 0 || c->files[k].type < SIM_F_TRANSPARENT)
        return perr(p, "no EF %04X on a card of this class", fid);
    struct sim_file *f = &c->files[k];
    uint8_t buf[SIM_FILE_DATA_MAX];
    if (!records) {
        if (f->type != SIM_F_TRANSPARENT)
            return perr(p, "EF %04X is linear fixed: use rec.%04X", fid, fid);
        long n = hex_decode(v, buf, sizeof buf);
        if (n <= 0)
            return perr(p, "ef.%04X: 1..%d octets of hex", fid, SIM_FILE_DATA_MAX);
        memcpy(f->data, buf, (size_t)n);
        f->size = (uint16_t)n;
    } else {
        if (f->type != SIM_F_LINEAR)
            return perr(p, "EF %04X is transparent: use ef.%04X", fid, fid);
        size_t total = 0, rl = 0;
        unsigned nrec = 0;
        const char *s = v;
        for (;;) {
            const char *comma = strchr(s, ',');
            size_t sl = comma ? (size_t)(comma - s) : strlen(s);
            while (sl && (*s == ' '))
                s++, sl--;
            while (sl && s[sl - 1] == ' ')
                sl--;
            long n = hex_decode_n(s, sl, buf + total, sizeof buf - total);
            if (n <= 0 || n > 255 || (rl && (size_t)n != rl))
                return perr(p, "rec.%04X: records of one length, hex, comma-separated", fid);
            rl = (size_t)n;
            total += (size_t)n;
            if (++nrec > 254)
                return perr(p, "rec.%04X: too many records", fid);
            if (!comma)
                break;
            s = comma + 1;
        }
        memcpy(f->data, buf, total);
        f->rec_len = (uint8_t)rl;
        f->nrec = (uint8_t)nrec;
        f->size = (uint16_t)total;
    }
    c->fs_set = 1;
    return 0;
}

static int card_kv(struct parser *p, const char *k, char *v)
{
    struct sim_card *c = &p->w->cards[p->cur];
    uint64_t n;
    if (strcmp(k, "msisdn") == 0) {
        if (*v == '+')
            v++;
        if (!digits(v, 3, SIM_MSISDN_MAX))
            return perr(p, "msisdn: 3..%d digits, optional leading +", SIM_MSISDN_MAX);
        strcpy(c->msisdn, v);
        return 0;
    }
    if (strcmp(k, "class") == 0) {
        int cls;
        if (strcmp(v, "uicc") == 0)
            cls = SIM_CLASS_UICC;
        else if (strcmp(v, "sim") == 0)
            cls = SIM_CLASS_SIM;
        else
            return perr(p, "class: sim or uicc");
        if (c->fs_set && cls != c->cls)
            return perr(p, "class must come before imsi, ef., rec. and ro");
        c->cls = (uint8_t)cls;
        sim_card_default_fs(c);
        return 0;
    }
    if (strcmp(k, "imsi") == 0) {
        uint8_t b[9];
        int f = sim_card_find_file(c, 0x6f07);
        if (!digits(v, 6, 15) || sim_imsi_encode(v, b) < 0 || f < 0)
            return perr(p, "imsi: 6..15 digits");
        memcpy(c->files[f].data, b, 9);
        c->fs_set = c->imsi_set = 1;
        return 0;
    }
    if (strcmp(k, "keyset") == 0) {
        char *save = NULL;
        for (char *t = strtok_r(v, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
            if (c->nkeys >= SIM_MAX_KEYSETS)
                return perr(p, "more than %d keysets", SIM_MAX_KEYSETS);
            if (strlen(t) >= SIM_NAME_MAX)
                return perr(p, "keyset name too long");
            for (unsigned i = 0; i < c->nkeys; i++)
                if (strcmp(c->keys[i].name, t) == 0)
                    return perr(p, "keyset %s listed twice", t);
            struct sim_card_key *ck = &c->keys[c->nkeys++];
            memset(ck, 0, sizeof *ck);
            ck->keyset = -1;
            strcpy(ck->name, t);
        }
        return 0;
    }
    if (strncmp(k, "counter.", 8) == 0) {
        for (unsigned i = 0; i < c->nkeys; i++)
            if (strcmp(c->keys[i].name, k + 8) == 0) {
                if (parse_u64(v, 0xffffffffffull, &n) < 0)
                    return perr(p, "%s: 0..0xFFFFFFFFFF (decimal or 0x hex)", k);
                c->keys[i].counter = n;
                return 0;
            }
        return perr(p, "%s: name a keyset listed before on this card", k);
    }
    if (strcmp(k, "counter_window") == 0) {
        if (parse_u64(v, 0xffffffffffull, &n) < 0)
            return perr(p, "counter_window: a number");
        c->counter_window = n;
        return 0;
    }
    if (strcmp(k, "tar") == 0)
        return card_tar(p, c, v);
    if (strncmp(k, "ef.", 3) == 0)
        return card_file(p, c, k + 3, v, 0);
    if (strncmp(k, "rec.", 4) == 0)
        return card_file(p, c, k + 4, v, 1);
    if (strcmp(k, "ro") == 0) {
        char *save = NULL;
        for (char *t = strtok_r(v, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
            uint16_t fid;
            int f;
            if (parse_fid(t, &fid) < 0 || (f = sim_card_find_file(c, fid)) < 0)
                return perr(p, "ro: '%s' is not a file of this card", t);
            c->files[f].readonly = 1;
        }
        c->fs_set = 1;
        return 0;
    }
    if (strncmp(k, "slot.", 5) == 0) {
        if (parse_u64(k + 5, SIM_MAX_SLOTS, &n) < 0 || n < 1)
            return perr(p, "%s: slots are numbered 1..%d", k, SIM_MAX_SLOTS);
        uint8_t b[9];
        if (!digits(v, 6, 15) || sim_imsi_encode(v, b) < 0)
            return perr(p, "%s: an IMSI of 6..15 digits", k);
        strcpy(c->slots[n - 1], v);
        if (n > c->nslots)
            c->nslots = (unsigned)n;
        return 0;
    }
    if (strcmp(k, "active_slot") == 0) {
        if (parse_u64(v, SIM_MAX_SLOTS, &n) < 0 || n < 1)
            return perr(p, "active_slot: 1..%d", SIM_MAX_SLOTS);
        c->active_slot = (unsigned)n;
        return 0;
    }
    if (strcmp(k, "applet_command") == 0) {
        /* Hex with the slot octet written SS or {slot} (the template syntax
         * of ota/'s [applet] profiles, conf/applets.example.conf), spaces
         * allowed. */
        char norm[2 * sizeof c->applet_cmd + 8];
        size_t nl = 0;
        for (const char *q = v; *q; q++) {
            if (*q == ' ' || *q == '\t')
                continue;
            if (strncmp(q, "{slot}", 6) == 0) {
                if (nl + 2 >= sizeof norm)
                    return perr(p, "applet_command: too long");
                norm[nl++] = 'S', norm[nl++] = 'S';
                q += 5;
                continue;
            }
            if (nl + 1 >= sizeof norm)
                return perr(p, "applet_command: too long");
            norm[nl++] = *q;
        }
        norm[nl] = 0;
        v = norm;
        const char *ss = strstr(v, "SS");
        size_t vl = strlen(v);
        if (!ss || (ss - v) % 2 || strstr(ss + 2, "SS") || vl > 2 * sizeof c->applet_cmd)
            return perr(p, "applet_command: hex with the slot octet written SS, once");
        char tmp[2 * sizeof c->applet_cmd + 1];
        memcpy(tmp, v, vl + 1);
        tmp[ss - v] = '0', tmp[ss - v + 1] = '0';
        long m = hex_decode(tmp, c->applet_cmd, sizeof c->applet_cmd);
        if (m < 5)
            return perr(p, "applet_command: a C-APDU of at least 5 octets, hex");
        c->applet_cmd_len = (uint8_t)m;
        c->applet_slot_pos = (uint8_t)((ss - v) / 2);
        return 0;
    }
    if (strcmp(k, "profile") == 0) {
        if (c->nprofiles >= SIM_MAX_PROFILES)
            return perr(p, "more than %d profiles", SIM_MAX_PROFILES);
        char *save = NULL, *aid = strtok_r(v, " \t", &save);
        long m = aid ? hex_decode(aid, c->profiles[c->nprofiles].aid, 16) : -1;
        if (m < 5)
            return perr(p, "profile: an ISD-P AID of 5..16 octets in hex [enabled] [fallback]");
        c->profiles[c->nprofiles].len = (uint8_t)m;
        c->nprofiles++;
        for (char *flag; (flag = strtok_r(NULL, " \t", &save));) {
            if (strcmp(flag, "enabled") == 0) {
                if (c->enabled_profile == c->nprofiles)
                    return perr(p, "profile: 'enabled' twice");
                if (c->enabled_profile)
                    return perr(p, "profile: only one may be enabled");
                c->enabled_profile = c->nprofiles;
            } else if (strcmp(flag, "fallback") == 0) {
                if (c->fallback_profile == c->nprofiles)
                    return perr(p, "profile: 'fallback' twice");
                if (c->fallback_profile)
                    return perr(p, "profile: only one may have the fall-back attribute");
                c->fallback_profile = c->nprofiles;
            } else {
                return perr(p, "profile: only 'enabled' and 'fallback' may follow the AID");
            }
        }
        return 0;
    }
    return perr(p, "unknown key '%s' in a card section", k);
}

/* Checks and completes the card just closed. */
static int close_card(struct parser *p)
{
    struct sim_card *c = &p->w->cards[p->cur];
    unsigned line = p->line;
    p->line = c->line;
    int rc = 0;
    if (!c->msisdn[0])
        rc = perr(p, "card %s has no msisdn", c->iccid);
    else if (c->active_slot > c->nslots || (c->active_slot && !c->slots[c->active_slot - 1][0]))
        rc = perr(p, "card %s: active_slot names no slot", c->iccid);
    if (rc == 0 && c->nslots && !c->active_slot)
        c->active_slot = 1;
    if (rc == 0 && c->active_slot && !c->imsi_set) {
        int f = sim_card_find_file(c, 0x6f07);
        if (f < 0 || sim_imsi_encode(c->slots[c->active_slot - 1], c->files[f].data) < 0)
            rc = perr(p, "card %s: no EF_IMSI", c->iccid);
    }
    if (rc == 0 && c->ntars == 0) {
        /* Defaults: TS 101 220 Annex D RFM TARs for the class (FACTS.md §6),
         * the ISD-R when the card has profiles. */
        static const struct sim_tar sim_rfm = {{0xb0, 0x00, 0x10}, SIM_TAR_RFM, 0, 0x12};
        static const struct sim_tar uicc_rfm = {{0xb0, 0x00, 0x00}, SIM_TAR_RFM, 0, 0x12};
        static const struct sim_tar usim_rfm = {{0xb0, 0x00, 0x11}, SIM_TAR_RFM, 0, 0x12};
        static const struct sim_tar isdr = {{0x00, 0x00, 0x01}, SIM_TAR_ISDR, 1, 0x16};
        if (c->cls == SIM_CLASS_SIM) {
            c->tars[c->ntars++] = sim_rfm;
        } else {
            c->tars[c->ntars++] = uicc_rfm;
            c->tars[c->ntars++] = usim_rfm;
        }
        if (c->nprofiles)
            c->tars[c->ntars++] = isdr;
    }
    p->line = line;
    p->sec = SEC_NONE;
    return rc;
}

int sim_cards_parse(struct sim_world *w, const char *text, size_t len, const char *name, char *err,
                    size_t errlen)
{
    struct parser p = {.w = w, .name = name ? name : "cards", .err = err, .errlen = errlen};
    char line[SIM_LINE_MAX + 1];
    size_t off = 0;
    int rc = 0;
    while (off < len && rc == 0) {
        const char *nl = memchr(text + off, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
        p.line++;
        if (ll > SIM_LINE_MAX) {
            rc = perr(&p, "line longer than %d characters", SIM_LINE_MAX);
            break;
        }
        memcpy(line, text + off, ll);
        line[ll] = 0;
        off += ll + (nl ? 1 : 0);
        if (memchr(line, 0, ll)) {
            rc = perr(&p, "NUL character");
            break;
        }
        char *s = trim(line);
        if (p.line == 1 && (uint8_t)s[0] == 0xef && (uint8_t)s[1] == 0xbb && (uint8_t)s[2] == 0xbf)
            s = trim(s + 3); /* UTF-8 BOM */
        if (!*s || *s == '#' || *s == ';')
            continue;
        /* Inline comments: " #" or " ;" (hex and names hold neither). */
        for (char *q = s + 1; *q; q++)
            if ((*q == '#' || *q == ';') && (q[-1] == ' ' || q[-1] == '\t')) {
                *q = 0;
                s = trim(s);
                break;
            }
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || e[1])
                rc = perr(&p, "a section header is [keyset NAME] or [card ICCID]");
            else if (p.sec == SEC_CARD && (rc = close_card(&p)) != 0)
                break;
            else {
                *e = 0;
                rc = open_section(&p, trim(s + 1));
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = perr(&p, "expected key = value");
            break;
        }
        *eq = 0;
        char *k = trim(s), *v = trim(eq + 1);
        if (!*k || !*v) {
            rc = perr(&p, "empty key or value");
            break;
        }
        for (char *q = k; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (p.sec == SEC_KEYSET)
            rc = keyset_kv(&p, k, v);
        else if (p.sec == SEC_CARD)
            rc = card_kv(&p, k, v);
        else
            rc = perr(&p, "key '%s' outside a section", k);
    }
    if (rc == 0 && p.sec == SEC_CARD)
        rc = close_card(&p);
    OPENSSL_cleanse(line, sizeof line);
    return rc;
}

int sim_cards_load(struct sim_world *w, const char *path, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc = gw_file_read(path, 1u << 30, &buf, &len);
    if (rc == 0)
        rc = sim_cards_parse(w, buf, len, path, err, errlen);
    else
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
    if (buf) {
        OPENSSL_cleanse(buf, len);
        free(buf);
    }
    return rc;
}

int sim_cards_finish(struct sim_world *w, char *err, size_t errlen)
{
    for (unsigned i = 0; i < w->ncards; i++) {
        struct sim_card *c = &w->cards[i];
        for (unsigned k = 0; k < c->nkeys; k++) {
            c->keys[k].keyset = -1;
            for (unsigned j = 0; j < w->nkeysets; j++)
                if (strcmp(w->keysets[j].name, c->keys[k].name) == 0)
                    c->keys[k].keyset = (int)j;
            if (c->keys[k].keyset < 0) {
                snprintf(err, errlen, "card %s (line %u): no [keyset %s]", c->iccid, c->line,
                         c->keys[k].name);
                return -EINVAL;
            }
        }
    }
    int rc = sim_world_index(w);
    if (rc == -EEXIST)
        snprintf(err, errlen, "two cards share an ICCID or an MSISDN");
    else if (rc < 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

static void dump_card(const struct sim_world *w, const struct sim_card *c, FILE *f)
{
    char hex[2 * SIM_FILE_DATA_MAX + 1], imsi[16];
    const char *id = c->iccid;
    fprintf(f, "%s.msisdn %s\n%s.class %s\n", id, c->msisdn, id,
            c->cls == SIM_CLASS_UICC ? "uicc" : "sim");
    int k = sim_card_find_file(c, 0x6f07);
    if (k >= 0 && sim_imsi_decode(c->files[k].data, imsi) == 0)
        fprintf(f, "%s.imsi %s\n", id, imsi);
    if (c->nslots)
        fprintf(f, "%s.active_slot %u\n", id, c->active_slot);
    if (c->nprofiles) {
        if (c->enabled_profile) {
            const uint8_t *a = c->profiles[c->enabled_profile - 1].aid;
            fprintf(f, "%s.profile %s\n", id,
                    hex_encode(a, c->profiles[c->enabled_profile - 1].len, hex, sizeof hex));
        } else {
            fprintf(f, "%s.profile none\n", id);
        }
        if (c->fallback_profile) {
            const uint8_t *a = c->profiles[c->fallback_profile - 1].aid;
            fprintf(f, "%s.fallback %s\n", id,
                    hex_encode(a, c->profiles[c->fallback_profile - 1].len, hex, sizeof hex));
        } else {
            fprintf(f, "%s.fallback none\n", id);
        }
    }
    for (unsigned i = 0; i < c->nkeys; i++) {
        const struct sim_card_key *ck = &c->keys[i];
        fprintf(f, "%s.counter.%s %llu\n%s.used.%s %llu\n", id, ck->name,
                (unsigned long long)ck->counter, id, ck->name, (unsigned long long)ck->used);
    }
    for (unsigned i = 0; i < c->nfiles; i++) {
        const struct sim_file *fl = &c->files[i];
        if (fl->type < SIM_F_TRANSPARENT)
            continue;
        fprintf(f, "%s.ef.%04x %s\n", id, fl->fid, hex_encode(fl->data, fl->size, hex, sizeof hex));
    }
    fprintf(f,
            "%s.packets %llu\n%s.executed %llu\n%s.rejected %llu\n%s.pors %llu\n%s.apdus "
            "%llu\n%s.switches %llu\n",
            id, (unsigned long long)c->packets, id, (unsigned long long)c->executed, id,
            (unsigned long long)c->rejected, id, (unsigned long long)c->pors, id,
            (unsigned long long)c->apdus, id, (unsigned long long)c->switches);
    (void)w;
}

int sim_cards_dump(const struct sim_world *w, const char *iccid, FILE *f)
{
    int n = 0;
    for (unsigned i = 0; i < w->ncards; i++) {
        if (iccid && strcmp(w->cards[i].iccid, iccid) != 0)
            continue;
        dump_card(w, &w->cards[i], f);
        n++;
    }
    return n;
}
