/* cmd_card.c — `otactl card add ICCID --keyset NAME --class uicc|sim
 * [--msisdn N]`: the card record of the contract (docs/DESIGN.md "Keys and
 * counters"), the hash ota:card:<iccid> the daemon reads its keyset and
 * class from. Values are checked with the job validator's rules (ICCID
 * 18..20 digits, names of letters, digits and . _ -, E.164 MSISDN). */
#include <hiredis.h>
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/rconn.h"

static int is_name(const char *s)
{
    if (!*s || strlen(s) > 31)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

static int digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int cmd_card(int argc, char **argv)
{
    const char *cmd = "card";
    const char *keyset = NULL, *cls = NULL, *msisdn = NULL;
    struct ctl_redis r = {0};
    const struct ctl_opt opts[] = {
        {"keyset", 0, &keyset},
        {"class", 0, &cls},
        {"msisdn", 0, &msisdn},
        CTL_REDIS_OPTS(&r),
    };
    char *av[argc > 0 ? argc : 1], *pos[2];
    ctl_redis_argv(argc, argv, av);
    int npos = ctl_parse(cmd, argc, av, opts, sizeof opts / sizeof opts[0], pos, 2);
    if (npos < 0)
        return CTL_EXIT_USAGE;
    if (npos != 2 || strcmp(pos[0], "add") != 0) {
        ctl_err(cmd, "usage: otactl card add ICCID --keyset NAME --class uicc|sim [--msisdn N]");
        return CTL_EXIT_USAGE;
    }
    const char *iccid = pos[1];
    if (!digits(iccid, 18, 20)) {
        ctl_err(cmd, "iccid: must be 18..20 digits, got '%.24s'", iccid);
        return CTL_EXIT_USAGE;
    }
    if (!keyset || !is_name(keyset)) {
        ctl_err(cmd, "keyset: %s", keyset ? "only letters, digits and . _ - (1..31)" : "required");
        return CTL_EXIT_USAGE;
    }
    if (!cls || (strcmp(cls, "uicc") != 0 && strcmp(cls, "sim") != 0)) {
        ctl_err(cmd, "class: must be uicc or sim");
        return CTL_EXIT_USAGE;
    }
    if (msisdn) {
        const char *m = msisdn[0] == '+' ? msisdn + 1 : msisdn;
        if (!digits(m, 5, 15) || m[0] == '0') {
            ctl_err(cmd, "msisdn: must be E.164 (optional +, 5..15 digits, no leading 0)");
            return CTL_EXIT_USAGE;
        }
        msisdn = m;
    }
    int rc;
    redisContext *c = ctl_redis_open(cmd, &r, &rc);
    if (!c)
        return rc;
    redisReply *rep =
        msisdn ? redisCommand(c, "HSET %scard:%s keyset %s class %s msisdn %s", r.prefix, iccid,
                              keyset, cls, msisdn)
               : redisCommand(c, "HSET %scard:%s keyset %s class %s", r.prefix, iccid, keyset, cls);
    if (rep && rep->type == REDIS_REPLY_INTEGER) {
        printf("%scard:%s keyset=%s class=%s%s%s\n", r.prefix, iccid, keyset, cls,
               msisdn ? " msisdn=" : "", msisdn ? msisdn : "");
        rc = CTL_EXIT_OK;
    } else {
        ctl_err(cmd, "HSET %scard:%s: %s", r.prefix, iccid, ctl_redis_why(c, rep));
        rc = CTL_EXIT_FAIL;
    }
    return ctl_redis_close(&r, c, rep, rc);
}
