/* test_route.c — gateway/route.c: default route, country route order,
 * failover to the next bound carrier, local-only policy (reject when no
 * compliant carrier is configured, retry when none is bound), forced
 * carrier, and MSISDNs through the shipped E.164 table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/route.h"

static struct gw_config *cfg;
static struct gw_e164 *table;
static char path[128];

/* Carriers: 0 hub, 1 hub2, 2 br1, 3 br2, 4 tr. */
static const char conf[] = "[gateway]\nkeystore = k\n"
                           "[carrier hub]\nhost = h\nsystem_id = s\n"
                           "[carrier hub2]\nhost = h\nsystem_id = s\n"
                           "[carrier br1]\nhost = h\nsystem_id = s\ncountries = BR\n"
                           "[carrier br2]\nhost = h\nsystem_id = s\ncountries = BR, PT\n"
                           "[carrier tr]\nhost = h\nsystem_id = s\ncountries = TR\n"
                           "[route]\n"
                           "default = hub, hub2\n"
                           "FR = hub2, hub\n"
                           "TR = hub, tr\n"
                           "PT = hub, br2\n"
                           "[policy]\nBR = local-only\nTR = local-only\nCN = local-only\n"
                           "PT = local-only\n";

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/otagw-test-route.XXXXXX", err[512];
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/t.conf", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(conf, f);
    fclose(f);
    cfg = gw_config_load(path, err, sizeof err);
    unlink(path);
    rmdir(dir);
    if (!cfg || gw_e164_load("conf/e164.csv", &table, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    gw_config_free(cfg);
    gw_e164_free(table);
    return 0;
}

/* The carriers that are up, as a bit mask passed through arg. */
static int up_mask(void *arg, unsigned index)
{
    return (*(unsigned *)arg >> index) & 1;
}

#define ALL  0x1Fu
#define HUB  0u
#define HUB2 1u
#define BR1  2u
#define BR2  3u
#define TR   4u

static void expect(enum gw_route_status got, enum gw_route_status want,
                   const struct gw_route_plan *p, unsigned n, const unsigned *order)
{
    if (got != want)
        fail_msg("status %s, want %s (%s)", gw_route_status_name(got), gw_route_status_name(want),
                 p->reason);
    assert_int_equal(p->n, n);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(p->carriers[i], order[i]);
}

static void test_route_default_and_country(void **state)
{
    (void)state;
    struct gw_route_plan p;
    unsigned up = ALL;
    expect(gw_route_country(cfg, "DE", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){HUB, HUB2});
    assert_string_equal(p.country, "DE");
    expect(gw_route_country(cfg, "FR", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){HUB2, HUB});
    /* NULL predicate: every carrier counts as up. */
    expect(gw_route_country(cfg, "FR", "", NULL, NULL, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){HUB2, HUB});
}

static void test_route_failover(void **state)
{
    (void)state;
    struct gw_route_plan p;
    unsigned up = ALL & ~(1u << HUB2);
    expect(gw_route_country(cfg, "FR", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){HUB});
    up = 0;
    expect(gw_route_country(cfg, "FR", NULL, up_mask, &up, &p), GW_ROUTE_RETRY, &p, 0, NULL);
    assert_string_equal(p.reason, "none of the 2 carriers for FR is bound now");
    assert_int_equal(p.ncompliant, 2);
}

static void test_route_local_only(void **state)
{
    (void)state;
    struct gw_route_plan p;
    unsigned up = ALL;
    /* BR has no route: the default (hubs) is not compliant, so the carriers
     * serving BR are used, in configuration order. */
    expect(gw_route_country(cfg, "BR", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){BR1, BR2});
    /* TR's route lists hub then tr: only tr is compliant. */
    expect(gw_route_country(cfg, "TR", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){TR});
    expect(gw_route_country(cfg, "PT", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){BR2});
    /* Failover inside the compliant set. */
    up = ALL & ~(1u << BR1);
    expect(gw_route_country(cfg, "BR", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){BR2});
    /* Compliant carriers exist but none is bound: retry later, never the hub. */
    up = ALL & ~(1u << BR1 | 1u << BR2);
    expect(gw_route_country(cfg, "BR", NULL, up_mask, &up, &p), GW_ROUTE_RETRY, &p, 0, NULL);
    assert_string_equal(p.reason, "none of the 2 carriers for BR is bound now");
    up = ALL & ~(1u << TR);
    expect(gw_route_country(cfg, "TR", NULL, up_mask, &up, &p), GW_ROUTE_RETRY, &p, 0, NULL);
    assert_string_equal(p.reason, "carrier tr for TR is not bound now");
    /* No compliant carrier configured at all: reject, with the reason. */
    up = ALL;
    expect(gw_route_country(cfg, "CN", NULL, up_mask, &up, &p), GW_ROUTE_REJECT, &p, 0, NULL);
    assert_string_equal(p.reason,
                        "country CN is local-carrier-only and no configured carrier serves CN");
}

static void test_route_forced(void **state)
{
    (void)state;
    struct gw_route_plan p;
    unsigned up = ALL;
    expect(gw_route_country(cfg, "FR", "hub", up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){HUB});
    expect(gw_route_country(cfg, "BR", "br2", up_mask, &up, &p), GW_ROUTE_OK, &p, 1,
           (unsigned[]){BR2});
    /* The policy holds against a forced carrier too. */
    expect(gw_route_country(cfg, "BR", "hub", up_mask, &up, &p), GW_ROUTE_REJECT, &p, 0, NULL);
    assert_string_equal(
        p.reason, "country BR is local-carrier-only and forced carrier hub does not serve BR");
    expect(gw_route_country(cfg, "FR", "nope", up_mask, &up, &p), GW_ROUTE_REJECT, &p, 0, NULL);
    assert_string_equal(p.reason, "forced carrier 'nope' is not configured");
    up = ALL & ~(1u << HUB);
    expect(gw_route_country(cfg, "FR", "hub", up_mask, &up, &p), GW_ROUTE_RETRY, &p, 0, NULL);
}

static void test_route_msisdn(void **state)
{
    (void)state;
    struct gw_route_plan p;
    unsigned up = ALL;
    expect(gw_route_msisdn(cfg, table, "+5511987654321", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p,
           2, (unsigned[]){BR1, BR2});
    assert_string_equal(p.country, "BR");
    expect(gw_route_msisdn(cfg, table, "33612345678", NULL, up_mask, &up, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){HUB2, HUB});
    expect(gw_route_msisdn(cfg, table, "+8613812345678", NULL, up_mask, &up, &p), GW_ROUTE_REJECT,
           &p, 0, NULL);
    expect(gw_route_msisdn(cfg, table, "+33 6 12", NULL, up_mask, &up, &p), GW_ROUTE_REJECT, &p, 0,
           NULL);
    assert_non_null(strstr(p.reason, "not an E.164 number"));
    assert_null(strstr(p.reason, "33")); /* the number is not echoed */
    expect(gw_route_msisdn(cfg, table, "+88212345678", NULL, up_mask, &up, &p), GW_ROUTE_REJECT, &p,
           0, NULL);
    assert_non_null(strstr(p.reason, "no country"));
}

static void test_route_no_default(void **state)
{
    (void)state;
    struct gw_config c = *cfg; /* a copy without the default route */
    memset(&c.default_route, 0, sizeof c.default_route);
    struct gw_route_plan p;
    expect(gw_route_country(&c, "DE", NULL, NULL, NULL, &p), GW_ROUTE_REJECT, &p, 0, NULL);
    assert_string_equal(p.reason, "no route for DE and no default route");
    expect(gw_route_country(&c, "FR", NULL, NULL, NULL, &p), GW_ROUTE_OK, &p, 2,
           (unsigned[]){HUB2, HUB});
    expect(gw_route_country(&c, "XX", NULL, NULL, NULL, &p), GW_ROUTE_REJECT, &p, 0, NULL);
    expect(gw_route_country(&c, NULL, NULL, NULL, NULL, &p), GW_ROUTE_REJECT, &p, 0, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_default_and_country),
        cmocka_unit_test(test_route_failover),
        cmocka_unit_test(test_route_local_only),
        cmocka_unit_test(test_route_forced),
        cmocka_unit_test(test_route_msisdn),
        cmocka_unit_test(test_route_no_default),
    };
    return cmocka_run_group_tests_name("route", tests, setup, teardown);
}
