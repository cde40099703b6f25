/* cmd_por.c — `otactl por`: verifies and decodes a PoR TP-UD (TS 102 225
 * §5.2, TS 31.115 §4.3) for the keys and SPI of its command. Prints tar=,
 * counter=, status=, data= lines; a PoR that does not verify is exit 1 with
 * a one-line reason and nothing on stdout. With --tar and --counter the PoR
 * must also answer that command. */
#include <stdio.h>

#include <openssl/crypto.h>

#include "codec/c348.h"
#include "ctl/ctl.h"

int cmd_por(int argc, char **argv)
{
    const char *cmd = "por";
    const char *spi = NULL, *kic = NULL, *kid = NULL, *kic_key = NULL, *kid_key = NULL, *tar = NULL,
               *counter = NULL;
    const struct ctl_opt opts[] = {
        {"spi", 0, &spi},         {"kic", 0, &kic},         {"kid", 0, &kid},
        {"kic-key", 0, &kic_key}, {"kid-key", 0, &kid_key}, {"tar", 0, &tar},
        {"counter", 0, &counter},
    };
    static uint8_t ud[C348_PKT_MAX + C348_POR_UDH + 1], buf[sizeof ud];
    struct c348_params p;
    struct c348_por r;
    uint8_t cntr[5];
    char *pos[1];
    long n;
    int rc, check = 0;

    rc = ctl_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1);
    if (rc < 0)
        return CTL_EXIT_USAGE;
    if (rc != 1) {
        ctl_err(cmd, "the PoR TP-UD (hex) is required");
        return CTL_EXIT_USAGE;
    }
    if (ctl_c348_params(cmd, spi, kic, kid, kic_key, kid_key, &p) < 0 ||
        (n = ctl_hex(cmd, "TP-UD", pos[0], ud, sizeof ud, 0)) < 0)
        goto usage;
    if (tar != NULL || counter != NULL) {
        if (ctl_hex(cmd, "--tar", tar, p.tar, 3, 3) < 0 ||
            ctl_hex(cmd, "--counter", counter, cntr, 5, 5) < 0)
            goto usage;
        for (int i = 0; i < 5; i++)
            p.cntr = p.cntr << 8 | cntr[i];
        check = 1;
    }
    rc = c348_por_open(&p, ud, (size_t)n, check, buf, sizeof buf, &r);
    uint16_t spiv = p.spi;
    OPENSSL_cleanse(&p, sizeof p);
    if (rc != 0) {
        ctl_err(cmd, "PoR does not verify: %s", c348_strerror(rc));
        return CTL_EXIT_FAIL;
    }
    if (!r.verified && (spiv & C348_SPI2_POR_INTEGRITY) != 0)
        ctl_err(cmd, "warning: status %02x PoR came without RC/CC (not verified)", r.status);
    ctl_print_hex("tar=", r.tar, 3);
    printf("counter=%010llx\n", (unsigned long long)r.cntr);
    printf("status=%02x\n", r.status);
    ctl_print_hex("data=", r.data, r.data_len);
    return CTL_EXIT_OK;
usage:
    OPENSSL_cleanse(&p, sizeof p);
    return CTL_EXIT_USAGE;
}
