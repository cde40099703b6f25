/* applet.h — multi-IMSI applet profiles: a vendor is configuration, not code.
 *
 * Multi-IMSI applets are proprietary: each vendor has its own TAR, demands
 * its own security level and understands its own command. A profile says
 * all three; ota/ fills the slot or IMSI into the command template. The
 * profile comes from an `[applet NAME]` config section, handed over as plain
 * key/value strings (ota/ never includes gateway/ headers).
 *
 * Keys (docs/ota.md has examples):
 *   tar         6 hex digits, the applet's TAR (required)
 *   command     the command template (required): hex octets, C-APDUs
 *               separated by ',', placeholders {slot} (one octet) and
 *               {imsi} (the 9 octets of EF_IMSI, TS 31.102 §4.2.2)
 *   payload     apdu (default: each part must be a well-formed C-APDU) or
 *               raw (the template is the secured data as is)
 *   format      compact (default), expanded, expanded-indefinite
 *   spi, kic, kid   the security level the applet demands (4/2/2 hex);
 *               a job sent with anything else is refused
 *   slots       allowed slot numbers, "N" or "N-M" (default 1-255)
 *   description free text shown by otactl */
#ifndef OTAGW_OTA_APPLET_H
#define OTAGW_OTA_APPLET_H

#include <stddef.h>
#include <stdint.h>

#include "ota/apdu.h"

#define OTA_APPLET_NAME_MAX 32
#define OTA_APPLET_CMD_MAX  512

struct ota_applet {
    char name[OTA_APPLET_NAME_MAX];
    uint8_t tar[3];
    int has_spi, has_kic, has_kid;
    uint16_t spi;
    uint8_t kic, kid;
    enum ota_format format;
    int raw; /* payload = raw */
    unsigned slot_min, slot_max;
    int uses_slot, uses_imsi;
    char command[OTA_APPLET_CMD_MAX];
    char description[128];
};

/* Builds a profile from n key/value pairs (the order of the config file).
 * Returns 0, or -EINVAL with err "applet NAME: key 'tar': ..." (unknown
 * keys, missing tar/command, bad hex, unknown placeholder, bad range). */
__attribute__((warn_unused_result)) int ota_applet_from_kv(struct ota_applet *a, const char *name,
                                                           const char *const *keys,
                                                           const char *const *values, unsigned n,
                                                           char *err, size_t errlen);

/* Fills the template: slot (decimal text) and/or imsi (digits), either may
 * be NULL when the template does not use it. Writes the parts back to back
 * in buf, their lengths in lens[0..*n). Returns 0, or -EINVAL with an error
 * naming the job field ("slot: 9 is outside 1-4 of applet acme"). */
__attribute__((warn_unused_result)) int
ota_applet_fill(const struct ota_applet *a, const char *slot, const char *imsi, uint8_t *buf,
                size_t cap, size_t *lens, unsigned maxn, unsigned *n, char *err, size_t errlen);

#endif
