/* cmd_script.c — `otactl script`: the dry run of a job. Builds the command
 * script ota/ would send for switch|config|apdu options that mirror the job
 * fields, prints every C-APDU with a readable line, the script in hex, the
 * secured-packet size and the number of SMs it becomes under the given (or
 * default) SPI/KIc/KID — and sends nothing. With --response it also decodes
 * a PoR's response data against that script, as the gateway would report it.
 *
 * Exit: 0 the job is sendable; 1 it would be rejected (more SMs than
 * --max-sms, security the target refuses, a failed --response); 2 bad input
 * (a job field is wrong: the message names it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/hex.h"
#include "ctl/ctl.h"
#include "ota/script.h"

/* Reads the [applet NAME] section of an INI file (the main config or
 * conf/applets.example.conf) into key/value pointers into `store`. */
static int load_applet(const char *cmd, const char *file, const char *name, struct ota_applet *a)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        ctl_err(cmd, "--applet-conf %s: %s", file, strerror(errno));
        return -1;
    }
    static char store[64][2][512];
    const char *keys[64], *vals[64];
    unsigned n = 0, lineno = 0;
    int in = 0, found = 0;
    char line[512], want[64];
    snprintf(want, sizeof want, "[applet %s]", name);
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            in = !strcmp(s, want);
            found |= in;
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(s, '=');
        if (!eq || n >= 64) {
            ctl_err(cmd, "%s:%u: expected key = value", file, lineno);
            fclose(f);
            return -1;
        }
        char *k = s, *v = eq + 1, *e = eq;
        while (e > k && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        *e = 0;
        while (*v == ' ' || *v == '\t')
            v++;
        snprintf(store[n][0], sizeof store[n][0], "%s", k);
        snprintf(store[n][1], sizeof store[n][1], "%s", v);
        keys[n] = store[n][0];
        vals[n] = store[n][1];
        n++;
    }
    fclose(f);
    if (!found) {
        ctl_err(cmd, "applet: profile '%s' is not configured in %s", name, file);
        return -1;
    }
    char err[256];
    if (ota_applet_from_kv(a, name, keys, vals, n, err, sizeof err)) {
        ctl_err(cmd, "%s: %s", file, err);
        return -1;
    }
    return 0;
}

int cmd_script(int argc, char **argv)
{
    const char *cmd = "script";
    const char *iccid = NULL, *method = NULL, *slot = NULL, *imsi = NULL, *aid = NULL,
               *action = NULL, *file = NULL, *value = NULL, *tar = NULL, *apdus = NULL, *cls = NULL,
               *spi_s = NULL, *kic_s = NULL, *kid_s = NULL, *readback = NULL, *format = NULL,
               *applet = NULL, *applet_conf = NULL, *max_sms_s = NULL, *response = NULL;
    const struct ctl_opt opts[] = {
        {"iccid", 0, &iccid},       {"method", 0, &method},     {"slot", 0, &slot},
        {"imsi", 0, &imsi},         {"aid", 0, &aid},           {"action", 0, &action},
        {"file", 0, &file},         {"value", 0, &value},       {"tar", 0, &tar},
        {"apdus", 0, &apdus},       {"class", 0, &cls},         {"spi", 0, &spi_s},
        {"kic", 0, &kic_s},         {"kid", 0, &kid_s},         {"readback", 1, &readback},
        {"format", 0, &format},     {"applet", 0, &applet},     {"applet-conf", 0, &applet_conf},
        {"max-sms", 0, &max_sms_s}, {"response", 0, &response},
    };
    char *pos[1];
    int np = ctl_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1);
    if (np < 0)
        return CTL_EXIT_USAGE;
    if (np != 1) {
        ctl_err(cmd, "give the job type: switch, config or apdu");
        return CTL_EXIT_USAGE;
    }
    struct ota_job j;
    memset(&j, 0, sizeof j);
    char err[256];
    const struct {
        const char *field, *val;
    } fields[] = {
        {"type", pos[0]},   {"method", method}, {"slot", slot}, {"imsi", imsi},
        {"aid", aid},       {"action", action}, {"file", file}, {"value", value},
        {"tar", tar},       {"apdus", apdus},   {"class", cls}, {"readback", readback},
        {"format", format}, {"applet", applet},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].val && ota_job_set(&j, fields[i].field, fields[i].val, err, sizeof err)) {
            ctl_err(cmd, "%s", err);
            return CTL_EXIT_USAGE;
        }
    }
    static struct ota_applet ap;
    if (j.method == OTA_METHOD_APPLET && applet) {
        if (!applet_conf) {
            ctl_err(cmd, "--applet %s needs --applet-conf FILE (the config holding it)", applet);
            return CTL_EXIT_USAGE;
        }
        if (load_applet(cmd, applet_conf, applet, &ap))
            return CTL_EXIT_USAGE;
        j.applet = &ap;
    }
    static struct ota_script s;
    int rc = ota_script_build(&j, &s, err, sizeof err);
    if (rc) {
        ctl_err(cmd, "%s", err);
        return CTL_EXIT_USAGE;
    }
    /* Security: the target's own demands, else the keystore default 1621
     * with 3DES (2 keys) key version 1. */
    uint8_t b[2];
    uint16_t spi = s.has_spi ? s.spi : 0x1621;
    uint8_t kic = s.has_kic ? s.kic : 0x15, kid = s.has_kid ? s.kid : 0x15;
    if (spi_s) {
        if (ctl_hex(cmd, "--spi", spi_s, b, 2, 2) < 0)
            return CTL_EXIT_USAGE;
        spi = (uint16_t)(b[0] << 8 | b[1]);
    }
    if (kic_s) {
        if (ctl_hex(cmd, "--kic", kic_s, b, 1, 1) < 0)
            return CTL_EXIT_USAGE;
        kic = b[0];
    }
    if (kid_s) {
        if (ctl_hex(cmd, "--kid", kid_s, b, 1, 1) < 0)
            return CTL_EXIT_USAGE;
        kid = b[0];
    }
    unsigned max_sms = 5; /* the carrier default, gateway/config.h max_sms */
    if (max_sms_s) {
        char *end;
        unsigned long v = strtoul(max_sms_s, &end, 10);
        if (*end || !*max_sms_s || v < 1 || v > 255) {
            ctl_err(cmd, "--max-sms: '%s', expected 1..255", max_sms_s);
            return CTL_EXIT_USAGE;
        }
        max_sms = (unsigned)v;
    }
    static char listing[65536];
    if (iccid)
        printf("iccid %s\n", iccid);
    (void)ota_script_listing(&s, listing, sizeof listing);
    fputs(listing, stdout);
    int status = CTL_EXIT_OK;
    if (ota_script_check_security(&s, spi, kic, kid, err, sizeof err)) {
        ctl_err(cmd, "%s", err);
        status = CTL_EXIT_FAIL;
    }
    size_t pl = 0;
    unsigned nsms = 0;
    rc = ota_script_fit(&s, spi, kic, kid, max_sms, &pl, &nsms, err, sizeof err);
    if (rc == -EINVAL) {
        ctl_err(cmd, "%s", err);
        return CTL_EXIT_USAGE;
    }
    printf("secured packet %zu octets (SPI %04X KIc %02X KID %02X): %u SM%s, limit %u\n", pl, spi,
           kic, kid, nsms, nsms == 1 ? "" : "s", max_sms);
    if (rc) {
        ctl_err(cmd, "%s", err);
        status = CTL_EXIT_FAIL;
    }
    if (response) {
        static uint8_t d[4096];
        long n = ctl_hex(cmd, "--response", response, d, sizeof d, 0);
        if (n < 0)
            return CTL_EXIT_USAGE;
        struct ota_result r;
        rc = ota_result_decode(&s, d, (size_t)n, &r);
        printf("result %s: %s\n",
               rc     ? "malformed"
               : r.ok ? (r.provisional ? "provisional" : "ok")
                      : "failed",
               r.detail);
        if (r.readback[0])
            printf("readback %s\n", r.readback);
        if (rc || !r.ok)
            status = CTL_EXIT_FAIL;
    }
    return status;
}
