/* applet.c — multi-IMSI applet profiles from config text, and their
 * command templates filled with a slot or an IMSI. */
#include "ota/applet.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec/hex.h"
#include "ota/ef.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses "N" or "N-M" with 0 <= N <= M <= 255. */
static int parse_range(const char *s, unsigned *lo, unsigned *hi)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (end == s || !isdigit((unsigned char)*s))
        return -1;
    if (*end == '-') {
        const char *t = end + 1;
        if (!isdigit((unsigned char)*t))
            return -1;
        b = strtoul(t, &end, 10);
    }
    if (*end || a > 255 || b > 255 || a > b)
        return -1;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

/* Expands the template. With check_only, slot/imsi octets are dummies and
 * only the syntax is checked. Errors say where in the template. */
static int expand(const struct ota_applet *a, uint8_t slot, const uint8_t imsi[9], uint8_t *buf,
                  size_t cap, size_t *lens, unsigned maxn, unsigned *n, char *err, size_t errlen)
{
    const char *s = a->command;
    size_t o = 0, start = 0;
    unsigned k = 0;
    int hi = -1;
    for (size_t i = 0;; i++) {
        char c = s[i];
        if (c == ',' || c == 0) {
            if (hi >= 0) {
                snprintf(err, errlen, "odd number of hex digits in part %u", k + 1);
                return -1;
            }
            if (o == start) {
                snprintf(err, errlen, "part %u is empty", k + 1);
                return -1;
            }
            if (k >= maxn) {
                snprintf(err, errlen, "more than %u parts", maxn);
                return -1;
            }
            lens[k++] = o - start;
            start = o;
            if (!c)
                break;
            continue;
        }
        if (isspace((unsigned char)c))
            continue;
        if (c == '{') {
            const char *e = strchr(s + i, '}');
            if (hi >= 0 || !e) {
                snprintf(err, errlen, "placeholder at column %zu is not closed or splits an octet",
                         i + 1);
                return -1;
            }
            size_t l = (size_t)(e - (s + i)) + 1;
            const uint8_t *src;
            size_t sl;
            if (l == 6 && !strncmp(s + i, "{slot}", 6)) {
                src = &slot;
                sl = 1;
            } else if (l == 6 && !strncmp(s + i, "{imsi}", 6)) {
                src = imsi;
                sl = 9;
            } else {
                snprintf(err, errlen, "unknown placeholder '%.*s' (known: {slot}, {imsi})", (int)l,
                         s + i);
                return -1;
            }
            if (o + sl > cap) {
                snprintf(err, errlen, "command longer than %zu octets", cap);
                return -1;
            }
            memcpy(buf + o, src, sl);
            o += sl;
            i += l - 1;
            continue;
        }
        int v = hexval((unsigned char)c);
        if (v < 0) {
            snprintf(err, errlen, "'%c' at column %zu is not hex", c, i + 1);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            if (o >= cap) {
                snprintf(err, errlen, "command longer than %zu octets", cap);
                return -1;
            }
            buf[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    *n = k;
    if (!a->raw) {
        size_t off = 0;
        for (unsigned j = 0; j < k; j++) {
            char why[96];
            if (ota_apdu_check(buf + off, lens[j], why, sizeof why)) {
                snprintf(err, errlen, "part %u is not a C-APDU: %s", j + 1, why);
                return -1;
            }
            off += lens[j];
        }
    }
    return 0;
}

int ota_applet_from_kv(struct ota_applet *a, const char *name, const char *const *keys,
                       const char *const *values, unsigned n, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->slot_min = 1;
    a->slot_max = 255;
    if (!name || !*name || strlen(name) >= sizeof a->name) {
        snprintf(err, errlen, "applet: name must be 1..%zu characters", sizeof a->name - 1);
        return -EINVAL;
    }
    snprintf(a->name, sizeof a->name, "%s", name);
    int have_tar = 0;
    for (unsigned i = 0; i < n; i++) {
        const char *k = keys[i], *v = values[i];
        uint8_t b[2];
        if (!strcmp(k, "tar")) {
            if (strlen(v) != 6 || hex_decode(v, a->tar, 3) != 3)
                goto bad;
            have_tar = 1;
        } else if (!strcmp(k, "command")) {
            if (strlen(v) >= sizeof a->command) {
                snprintf(err, errlen, "applet %s: key 'command': longer than %zu characters", name,
                         sizeof a->command - 1);
                return -EINVAL;
            }
            snprintf(a->command, sizeof a->command, "%s", v);
        } else if (!strcmp(k, "payload")) {
            if (!strcmp(v, "apdu"))
                a->raw = 0;
            else if (!strcmp(v, "raw"))
                a->raw = 1;
            else
                goto bad;
        } else if (!strcmp(k, "format")) {
            if (!strcmp(v, "compact"))
                a->format = OTA_FMT_COMPACT;
            else if (!strcmp(v, "expanded"))
                a->format = OTA_FMT_EXPANDED;
            else if (!strcmp(v, "expanded-indefinite"))
                a->format = OTA_FMT_EXPANDED_INDEF;
            else
                goto bad;
        } else if (!strcmp(k, "spi")) {
            if (strlen(v) != 4 || hex_decode(v, b, 2) != 2)
                goto bad;
            a->spi = (uint16_t)(b[0] << 8 | b[1]);
            a->has_spi = 1;
        } else if (!strcmp(k, "kic") || !strcmp(k, "kid")) {
            if (strlen(v) != 2 || hex_decode(v, b, 1) != 1)
                goto bad;
            if (k[2] == 'c') {
                a->kic = b[0];
                a->has_kic = 1;
            } else {
                a->kid = b[0];
                a->has_kid = 1;
            }
        } else if (!strcmp(k, "slots")) {
            if (parse_range(v, &a->slot_min, &a->slot_max))
                goto bad;
        } else if (!strcmp(k, "description")) {
            snprintf(a->description, sizeof a->description, "%s", v);
        } else {
            snprintf(err, errlen,
                     "applet %s: unknown key '%s' (known: tar, command, payload, format, spi, kic, "
                     "kid, slots, description)",
                     name, k);
            return -EINVAL;
        }
        continue;
    bad:
        snprintf(err, errlen, "applet %s: key '%s': invalid value '%s'%s", name, k, v,
                 !strcmp(k, "tar")       ? " (6 hex digits)"
                 : !strcmp(k, "spi")     ? " (4 hex digits)"
                 : !strcmp(k, "slots")   ? " (N or N-M, 0..255)"
                 : !strcmp(k, "format")  ? " (compact, expanded, expanded-indefinite)"
                 : !strcmp(k, "payload") ? " (apdu or raw)"
                                         : " (2 hex digits)");
        return -EINVAL;
    }
    if (!have_tar) {
        snprintf(err, errlen, "applet %s: key 'tar' is missing", name);
        return -EINVAL;
    }
    if (!a->command[0]) {
        snprintf(err, errlen, "applet %s: key 'command' is missing", name);
        return -EINVAL;
    }
    a->uses_slot = strstr(a->command, "{slot}") != NULL;
    a->uses_imsi = strstr(a->command, "{imsi}") != NULL;
    uint8_t buf[OTA_APPLET_CMD_MAX], imsi[9];
    memset(imsi, 0, sizeof imsi);
    size_t lens[32];
    unsigned cnt;
    char why[160];
    if (expand(a, 0, imsi, buf, sizeof buf, lens, 32, &cnt, why, sizeof why)) {
        snprintf(err, errlen, "applet %s: key 'command': %s", name, why);
        return -EINVAL;
    }
    return 0;
}

int ota_applet_fill(const struct ota_applet *a, const char *slot, const char *imsi, uint8_t *buf,
                    size_t cap, size_t *lens, unsigned maxn, unsigned *n, char *err, size_t errlen)
{
    uint8_t s = 0, im[9];
    memset(im, 0xFF, sizeof im);
    if (a->uses_slot) {
        if (!slot || !*slot) {
            snprintf(err, errlen, "slot: missing (applet %s needs a slot %u-%u)", a->name,
                     a->slot_min, a->slot_max);
            return -EINVAL;
        }
        char *end;
        unsigned long v = strtoul(slot, &end, 10);
        if (!isdigit((unsigned char)*slot) || *end || strlen(slot) > 3) {
            snprintf(err, errlen, "slot: '%s' is not a number", slot);
            return -EINVAL;
        }
        if (v < a->slot_min || v > a->slot_max) {
            snprintf(err, errlen, "slot: %lu is outside %u-%u of applet %s", v, a->slot_min,
                     a->slot_max, a->name);
            return -EINVAL;
        }
        s = (uint8_t)v;
    } else if (slot && *slot) {
        snprintf(err, errlen, "slot: applet %s takes no slot (its command has no {slot})", a->name);
        return -EINVAL;
    }
    if (a->uses_imsi) {
        char why[96];
        if (!imsi || !*imsi) {
            snprintf(err, errlen, "imsi: missing (applet %s needs an IMSI)", a->name);
            return -EINVAL;
        }
        if (ota_imsi_encode(imsi, im, why, sizeof why)) {
            snprintf(err, errlen, "imsi: %s", why);
            return -EINVAL;
        }
    } else if (imsi && *imsi) {
        snprintf(err, errlen, "imsi: applet %s takes no IMSI (its command has no {imsi})", a->name);
        return -EINVAL;
    }
    char why[160];
    if (expand(a, s, im, buf, cap, lens, maxn, n, why, sizeof why)) {
        snprintf(err, errlen, "applet %s: %s", a->name, why);
        return -EINVAL;
    }
    return 0;
}
