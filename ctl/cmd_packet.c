/* cmd_packet.c — `otactl packet`: builds a secured command packet (TS 102
 * 225 §5.1, TS 31.115 §4.2) and prints the TP-UD of each SM it takes, one
 * hex line per SM, nothing else; concatenated SMs use the 8-bit reference
 * IEI 00 with --concat-ref (default 0). For checking against other
 * implementations. */
#include <errno.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "codec/c348.h"
#include "codec/udh.h"
#include "ctl/ctl.h"

int cmd_packet(int argc, char **argv)
{
    const char *cmd = "packet";
    const char *spi = NULL, *kic = NULL, *kid = NULL, *tar = NULL, *counter = NULL, *kic_key = NULL,
               *kid_key = NULL, *data = NULL, *ref = "0";
    const struct ctl_opt opts[] = {
        {"spi", 0, &spi},         {"kic", 0, &kic},         {"kid", 0, &kid},
        {"tar", 0, &tar},         {"counter", 0, &counter}, {"kic-key", 0, &kic_key},
        {"kid-key", 0, &kid_key}, {"data", 0, &data},       {"concat-ref", 0, &ref},
    };
    static uint8_t payload[4096], pkt[C348_PKT_MAX];
    struct udh_sm sm[UDH_SM_MAX];
    struct c348_params p;
    uint8_t cntr[5];
    char *pos[1], *end;
    long n;
    int len, nsm;

    if (ctl_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0) < 0)
        return CTL_EXIT_USAGE;
    if (ctl_c348_params(cmd, spi, kic, kid, kic_key, kid_key, &p) < 0 ||
        ctl_hex(cmd, "--tar", tar, p.tar, 3, 3) < 0 ||
        ctl_hex(cmd, "--counter", counter, cntr, 5, 5) < 0 ||
        (n = ctl_hex(cmd, "--data", data, payload, sizeof payload, 0)) < 0)
        goto usage;
    for (int i = 0; i < 5; i++)
        p.cntr = p.cntr << 8 | cntr[i];
    errno = 0;
    unsigned long r = strtoul(ref, &end, 0);
    if (errno != 0 || *ref == '\0' || *end != '\0' || *ref == '-' || r > 255) {
        ctl_err(cmd, "--concat-ref: want 0..255, got '%s'", ref);
        goto usage;
    }
    if ((len = c348_cmd_build(&p, payload, (size_t)n, pkt, sizeof pkt)) < 0) {
        ctl_err(cmd, "%s (%ld octets of data; a packet holds at most %d octets, %d SMs)",
                c348_strerror(len), n, C348_PKT_MAX, UDH_SM_MAX);
        goto usage;
    }
    nsm = udh_split(UDH_IEI_CPI, pkt, (size_t)len, UDH_REF8, (uint16_t)r, sm, UDH_SM_MAX);
    if (nsm < 0) {
        ctl_err(cmd, "%s", udh_strerror(nsm));
        goto usage;
    }
    for (int i = 0; i < nsm; i++)
        ctl_print_hex("", sm[i].ud, sm[i].len);
    OPENSSL_cleanse(&p, sizeof p);
    return CTL_EXIT_OK;
usage:
    OPENSSL_cleanse(&p, sizeof p);
    return CTL_EXIT_USAGE;
}
