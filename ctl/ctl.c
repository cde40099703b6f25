/* ctl.c — otactl's shared helpers (see ctl.h). */
#include "ctl/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/c348.h"
#include "codec/hex.h"

void ctl_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "otactl %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int ctl_parse(const char *cmd, int argc, char **argv, const struct ctl_opt *opts, size_t nopts,
              char **pos, int maxpos)
{
    int npos = 0, only_pos = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (!only_pos && strcmp(a, "--") == 0) {
                only_pos = 1;
                continue;
            }
            if (npos >= maxpos) {
                ctl_err(cmd, "unexpected argument '%s'", a);
                return -1;
            }
            pos[npos++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const struct ctl_opt *o = NULL;
        for (size_t k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == nl && strncmp(opts[k].name, name, nl) == 0)
                o = &opts[k];
        if (o == NULL) {
            ctl_err(cmd, "unknown option '--%.*s'", (int)nl, name);
            return -1;
        }
        if (o->flag) {
            if (eq != NULL) {
                ctl_err(cmd, "option '--%s' takes no value", o->name);
                return -1;
            }
            *o->val = "1";
        } else if (eq != NULL) {
            *o->val = eq + 1;
        } else if (i + 1 < argc) {
            *o->val = argv[++i];
        } else {
            ctl_err(cmd, "option '--%s' needs a value", o->name);
            return -1;
        }
    }
    return npos;
}

long ctl_hex(const char *cmd, const char *what, const char *s, uint8_t *out, size_t cap,
             size_t exact)
{
    size_t n;
    long got;

    if (s == NULL) {
        ctl_err(cmd, "%s is required", what);
        return -1;
    }
    n = strlen(s);
    if (n % 2 != 0) {
        ctl_err(cmd, "%s: odd number of hex digits", what);
        return -1;
    }
    if (exact > 0 && n / 2 != exact) {
        ctl_err(cmd, "%s: want %zu octets (%zu hex digits), got %zu", what, exact, 2 * exact,
                n / 2);
        return -1;
    }
    if (n / 2 > cap) {
        ctl_err(cmd, "%s: too long (at most %zu octets)", what, cap);
        return -1;
    }
    if ((got = hex_decode(s, out, cap)) < 0) {
        ctl_err(cmd, "%s: not hexadecimal", what);
        return -1;
    }
    return got;
}

void ctl_print_hex(const char *prefix, const uint8_t *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    fputs(prefix, stdout);
    for (size_t i = 0; i < n; i++) {
        putchar(digits[d[i] >> 4]);
        putchar(digits[d[i] & 0x0f]);
    }
    putchar('\n');
}

int ctl_c348_params(const char *cmd, const char *spi, const char *kic, const char *kid,
                    const char *kic_key, const char *kid_key, struct c348_params *p)
{
    uint8_t b[2];
    long n;
    int rc;

    memset(p, 0, sizeof *p);
    if (ctl_hex(cmd, "--spi", spi, b, 2, 2) < 0)
        return -1;
    p->spi = (uint16_t)(b[0] << 8 | b[1]);
    if (ctl_hex(cmd, "--kic", kic, &p->kic, 1, 1) < 0 ||
        ctl_hex(cmd, "--kid", kid, &p->kid, 1, 1) < 0)
        return -1;
    if (kic_key != NULL) {
        if ((n = ctl_hex(cmd, "--kic-key", kic_key, p->kic_key, C348_KEY_MAX, 0)) < 0)
            return -1;
        p->kic_key_len = (size_t)n;
    }
    if (kid_key != NULL) {
        if ((n = ctl_hex(cmd, "--kid-key", kid_key, p->kid_key, C348_KEY_MAX, 0)) < 0)
            return -1;
        p->kid_key_len = (size_t)n;
    }
    if ((rc = c348_params_check(p)) != 0) {
        ctl_err(cmd, "SPI %04x KIc %02x KID %02x (keys %zu/%zu octets): %s", p->spi, p->kic, p->kid,
                p->kic_key_len, p->kid_key_len, c348_strerror(rc));
        return -1;
    }
    return 0;
}
