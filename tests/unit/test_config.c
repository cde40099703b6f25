/* test_config.c — gateway/config.c: defaults, every error path naming
 * file:line, relative paths, lookups, and gw_config_print round-tripping
 * through gw_config_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/otagw-test-config.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char p[128];
    const char *names[] = {"t.conf", "round.conf"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}

static const char *write_conf(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define MINIMAL "[gateway]\nkeystore = keys\n[carrier a]\nhost = smsc.example\nsystem_id = sys\n"

static void test_config_defaults(void **state)
{
    (void)state;
    char err[512];
    struct gw_config *c = gw_config_load(write_conf("t.conf", MINIMAL), err, sizeof err);
    assert_non_null(c);
    char want[256];
    snprintf(want, sizeof want, "%s/keys", dir);
    /* realpath may differ from dir for /tmp symlinks; compare the tail. */
    assert_non_null(strstr(c->keystore, "/keys"));
    assert_true(c->keystore[0] == '/');
    assert_non_null(strstr(c->e164_table, "/e164.csv"));
    assert_string_equal(c->name, "otagw");
    assert_int_equal(c->log_level, 6);
    assert_int_equal(c->log_format, GW_LOG_TEXT);
    assert_int_equal(c->log_syslog, 0);
    assert_int_equal(c->mask_msisdn, 1);
    assert_int_equal(c->metrics_port, 0);
    assert_string_equal(c->metrics_bind, "127.0.0.1");
    assert_int_equal(c->default_validity, 86400);
    assert_int_equal(c->max_attempts, 3);
    assert_int_equal(c->retry_backoff_ms, 5000);
    assert_int_equal(c->retry_backoff_max_ms, 300000);
    assert_int_equal(c->reconcile_ms, 120000);
    assert_int_equal(c->batch, 64);
    assert_int_equal(c->max_inflight, 1000);
    assert_string_equal(c->default_card_class, "uicc");
    assert_string_equal(c->redis_host, "127.0.0.1");
    assert_int_equal(c->redis_port, 6379);
    assert_string_equal(c->redis_password, "");
    assert_int_equal(c->redis_db, 0);
    assert_string_equal(c->stream_jobs, "ota:jobs");
    assert_string_equal(c->stream_events, "ota:events");
    assert_string_equal(c->group, "otagw");
    assert_int_equal(c->lease_ms, 30000);
    assert_int_equal(c->claim_idle_ms, 35000);
    assert_int_equal(c->scan_ms, 1000);
    assert_int_equal(c->ncarriers, 1);
    const struct gw_carrier *a = &c->carriers[0];
    assert_string_equal(a->name, "a");
    assert_int_equal(a->port, 2775);
    assert_int_equal(a->bind_mode, GW_BIND_TRX);
    assert_int_equal(a->binds, 1);
    assert_int_equal(a->src_ton, 1);
    assert_int_equal(a->dst_npi, 1);
    assert_int_equal(a->window, 10);
    assert_int_equal(a->tps, 0);
    assert_int_equal(a->enquire_link, 30);
    assert_int_equal(a->response_timeout_ms, 10000);
    assert_int_equal(a->reconnect_min_ms, 1000);
    assert_int_equal(a->reconnect_max_ms, 60000);
    assert_int_equal(a->protocol_id, 0x7F);
    assert_int_equal(a->data_coding, 0xF6);
    assert_int_equal(a->msgid_format, GW_MSGID_AUTO);
    assert_int_equal(a->tls, 0);
    assert_int_equal(a->tls_verify, 1);
    assert_int_equal(a->max_sms, 5);
    assert_int_equal(a->ncountries, 0);
    assert_int_equal(c->default_route.ncarriers, 0);
    assert_int_equal(c->nroutes, 0);
    assert_null(gw_config_route(c, "default"));
    assert_int_equal(gw_config_policy(c, "BR"), GW_POLICY_ANY);
    gw_config_free(c);
}

static void test_config_values(void **state)
{
    (void)state;
    char err[512];
    const char *text = "[gateway]\n"
                       "name = gw-1\n"
                       "keystore = /etc/otagw/keys\n"
                       "e164_table = ../data/e164.csv\n"
                       "log_level = debug\n"
                       "log_format = json\n"
                       "mask_msisdn = off\n"
                       "default_validity = 2h\n"
                       "default_card_class = sim\n"
                       "[redis]\n"
                       "password = p;#x\n"
                       "port = 6380\n"
                       "lease = 2m\n"
                       "scan_interval = 250ms\n"
                       "[carrier a]\n"
                       "host = h\n"
                       "system_id = s\n"
                       "bind = tx+rx\n"
                       "data_coding = 0x16\n"
                       "protocol_id = 127\n"
                       "response_timeout = 1500ms\n"
                       "reconnect_max = 2m\n"
                       "enquire_link = 45\n"
                       "msgid_format = dec\n"
                       "countries = br, PT\n"
                       "tls = yes\n"
                       "tls_ca = ca.pem\n"
                       "[carrier b]\n"
                       "host = h2\n"
                       "system_id = s2\n"
                       "countries = BR\n"
                       "[route]\n"
                       "default = b\n"
                       "br = a , b\n"
                       "[policy]\n"
                       "BR = local-only\n"
                       "US = any\n"
                       "[applet multi]\n"
                       "tar = b20101\n"
                       "slots = 4\n";
    struct gw_config *c = gw_config_load(write_conf("t.conf", text), err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->name, "gw-1");
    assert_string_equal(c->keystore, "/etc/otagw/keys"); /* absolute: kept */
    assert_non_null(strstr(c->e164_table, "/../data/e164.csv"));
    assert_int_equal(c->log_level, 7);
    assert_int_equal(c->log_format, GW_LOG_JSON);
    assert_int_equal(c->mask_msisdn, 0);
    assert_int_equal(c->default_validity, 7200);
    assert_string_equal(c->default_card_class, "sim");
    assert_string_equal(c->redis_password, "p;#x"); /* no inline comments */
    assert_int_equal(c->redis_port, 6380);
    assert_int_equal(c->lease_ms, 120000);
    assert_int_equal(c->claim_idle_ms, 125000); /* left out: follows the lease */
    assert_int_equal(c->scan_ms, 250);
    const struct gw_carrier *a = gw_config_carrier(c, "a");
    assert_non_null(a);
    assert_int_equal(a->bind_mode, GW_BIND_TX_RX);
    assert_int_equal(a->data_coding, 0x16);
    assert_int_equal(a->protocol_id, 0x7F);
    assert_int_equal(a->response_timeout_ms, 1500);
    assert_int_equal(a->reconnect_max_ms, 120000);
    assert_int_equal(a->enquire_link, 45);
    assert_int_equal(a->msgid_format, GW_MSGID_DEC);
    assert_int_equal(a->ncountries, 2);
    assert_string_equal(a->countries[0], "BR");
    assert_string_equal(a->countries[1], "PT");
    assert_string_equal(a->tls_server_name, "h"); /* defaults to host with TLS */
    assert_true(a->tls_ca[0] == '/' && strstr(a->tls_ca, "/ca.pem"));
    assert_int_equal(gw_config_carrier_index(c, "b"), 1);
    assert_int_equal(gw_config_carrier_index(c, "zz"), -1);
    assert_null(gw_config_carrier(c, "zz"));
    const struct gw_route *r = gw_config_route(c, "BR");
    assert_non_null(r);
    assert_int_equal(r->ncarriers, 2);
    assert_int_equal(r->carriers[0], 0);
    assert_int_equal(r->carriers[1], 1);
    assert_non_null(gw_config_route(c, "default"));
    assert_null(gw_config_route(c, "FR"));
    assert_int_equal(gw_config_policy(c, "BR"), GW_POLICY_LOCAL_ONLY);
    assert_int_equal(gw_config_policy(c, "US"), GW_POLICY_ANY);
    const struct gw_applet_conf *ap = gw_config_applet(c, "multi");
    assert_non_null(ap);
    assert_int_equal(ap->nkv, 2);
    assert_string_equal(ap->kv[0].key, "tar");
    assert_string_equal(ap->kv[1].value, "4");
    assert_null(gw_config_applet(c, "other"));
    gw_config_free(c);
}

/* Each broken file and the start of the one-line error it must give. The
 * line number is part of what is checked. */
static const struct {
    const char *text;
    const char *want;
} bad[] = {
    {MINIMAL "windw = 3\n", "t.conf:6: unknown key 'windw' in [carrier a]"},
    {"[gateway]\nkeystore = k\nfoo = 1\n", "t.conf:3: unknown key 'foo' in [gateway]"},
    {"[gatway]\n", "t.conf:1: unknown section [gatway]"},
    {"[carrier]\n", "t.conf:1: section [carrier] needs a name"},
    {"[carrier a b]\n", "t.conf:1: bad name in [carrier a b]"},
    {"keystore = k\n", "t.conf:1: key 'keystore' before any [section]"},
    {MINIMAL "[carrier a]\n", "t.conf:6: duplicate carrier 'a' (first on line 3)"},
    {MINIMAL "[gateway]\n", "t.conf:6: section [gateway] already given on line 1"},
    {MINIMAL "host = again\n", "t.conf:6: duplicate key 'host' in [carrier a] (first on line 4)"},
    {MINIMAL "window = 0\n", "t.conf:6: 'window' = 0 is out of range 1..1000"},
    {MINIMAL "window = 1001\n", "t.conf:6: 'window' = 1001 is out of range"},
    {MINIMAL "window = -1\n", "t.conf:6: 'window' must be a whole number"},
    {MINIMAL "window = 10x\n", "t.conf:6: 'window' must be a whole number"},
    {MINIMAL "port = 65536\n", "t.conf:6: 'port' = 65536 is out of range 1..65535"},
    {MINIMAL "src_ton = 7\n", "t.conf:6: 'src_ton' = 7 is out of range 0..6"},
    {MINIMAL "bind = rx\n", "t.conf:6: 'bind' must be one of trx, tx+rx, not 'rx'"},
    {MINIMAL "tls = maybe\n", "t.conf:6: 'tls' must be yes or no"},
    {MINIMAL "data_coding = 0x100\n", "t.conf:6: 'data_coding' = 0x100 is out of range"},
    {MINIMAL "data_coding = 0xg\n", "t.conf:6: 'data_coding' must be a number"},
    {MINIMAL "msgid_format = base64\n", "t.conf:6: 'msgid_format' must be one of auto, hex"},
    {MINIMAL "enquire_link = 1\n", "t.conf:6: 'enquire_link' = 1 is out of range 5s..3600s"},
    {MINIMAL "enquire_link = 1500ms\n", "t.conf:6: 'enquire_link' is counted in whole seconds"},
    {MINIMAL "response_timeout = 10 s\n", "t.conf:6: 'response_timeout' must be a duration"},
    {MINIMAL "response_timeout = 50ms\n",
     "t.conf:6: 'response_timeout' = 50ms is out of range 100ms..300s"},
    {MINIMAL "password = 123456789\n", "t.conf:6: value of 'password' longer than 8"},
    {"[carrier a]\nsystem_id = 0123456789abcdef\n",
     "t.conf:2: value of 'system_id' longer than 15"},
    {MINIMAL "countries = BR,XX\n", "t.conf:6: 'XX' is not an ISO 3166-1 alpha-2"},
    {MINIMAL "countries = BR,\n", "t.conf:6: empty country after ','"},
    {MINIMAL "countries = BR,br\n", "t.conf:6: country BR listed twice"},
    {MINIMAL "[gateway]\n", "t.conf:6: section [gateway] already given"},
    {"[gateway]\nlog_level = verbose\n", "t.conf:2: 'log_level' must be one of err, warning"},
    {"[gateway]\nlog_format = xml\n", "t.conf:2: 'log_format' must be one of text, json"},
    {"[gateway]\nname = a b\n", "t.conf:2: 'name' must be letters"},
    {"[gateway]\ndefault_card_class = usim\n", "t.conf:2: 'default_card_class' must be one of"},
    {"[gateway]\nmax_attempts = 0\n", "t.conf:2: 'max_attempts' = 0 is out of range 1..20"},
    {"[gateway]\nretry_backoff = 50ms\n",
     "t.conf:2: 'retry_backoff' = 50ms is out of range 100ms..3600s"},
    {"[gateway]\nreconcile = 2d\n", "t.conf:2: 'reconcile' must be a duration"},
    {"[gateway]\nkeystore = keys\nretry_backoff = 10s\nretry_backoff_max = 5s\n[carrier a]\n"
     "host = smsc.example\nsystem_id = sys\n",
     "t.conf: 'retry_backoff_max' is below 'retry_backoff'"},
    {"[redis]\ndb = 256\n", "t.conf:2: 'db' = 256 is out of range 0..255"},
    {"[redis]\nlease = 2s\n", "t.conf:2: 'lease' = 2s is out of range 3s..3600s"},
    {"[redis]\nlease = 2h\n", "t.conf:2: 'lease' = 2h is out of range 3s..3600s"},
    {"[redis]\nclaim_idle = 1s\n", "t.conf:2: 'claim_idle' = 1s is out of range 3s..7200s"},
    {"[redis]\nscan_interval = 50ms\n",
     "t.conf:2: 'scan_interval' = 50ms is out of range 100ms..60s"},
    {"[redis]\nscan_interval = soon\n", "t.conf:2: 'scan_interval' must be a duration"},
    {MINIMAL "[redis]\nlease = 60s\nclaim_idle = 40s\n",
     "t.conf:8: 'claim_idle' = 40s is below 'lease' = 60s: a pending job is taken over only once "
     "its lease has run out, so claim_idle must be at least the lease"},
    {MINIMAL "[redis]\nclaim_idle = 20s\n", "t.conf:7: 'claim_idle' = 20s is below 'lease' = 30s"},
    {MINIMAL "[route]\ndefault = a\nBR = a, nope\n",
     "t.conf:8: route BR names unknown carrier 'nope'"},
    {MINIMAL "[route]\nZZ = a\n", "t.conf:7: 'ZZ' is not an ISO 3166-1 alpha-2"},
    {MINIMAL "[route]\nBRA = a\n", "t.conf:7: 'BRA' is not an ISO 3166-1 alpha-2"},
    {MINIMAL "[route]\nBR = a\nbr = a\n", "t.conf:8: route for BR already given on line 7"},
    {MINIMAL "[route]\ndefault = a\ndefault = a\n", "t.conf:8: default route already given"},
    {MINIMAL "[route]\nBR = a,,a\n", "t.conf:7: route 'BR': empty carrier name"},
    {MINIMAL "[route]\nBR = a,a\n", "t.conf:7: route 'BR': carrier 'a' listed twice"},
    {MINIMAL "[route]\nBR =\n", "t.conf:7: route 'BR': empty carrier name"},
    {MINIMAL "[policy]\nBR = local\n", "t.conf:7: policy for BR must be local-only or any"},
    {MINIMAL "[policy]\nUK = local-only\n", "t.conf:7: 'UK' is not an ISO 3166-1 alpha-2"},
    {MINIMAL "[policy]\nBR = any\nBR = any\n", "t.conf:8: policy for BR already given on line 7"},
    {MINIMAL "[applet x]\nk = 1\nk = 2\n", "t.conf:8: duplicate key 'k' in [applet x]"},
    {MINIMAL "[applet x]\n[applet x]\n", "t.conf:7: duplicate applet 'x' (first on line 6)"},
    {MINIMAL "  continued\n", "t.conf:6: syntax error"},
    {MINIMAL "no equals sign\n", "t.conf:6: syntax error"},
    {MINIMAL "[carrier b\n", "t.conf:6: section header without ']'"},
    {"[carrier a]\nhost = h\nsystem_id = s\n",
     "t.conf: no [gateway] section; it needs at least 'keystore'"},
    {"[gateway]\nname = x\n[carrier a]\nhost = h\nsystem_id = s\n",
     "t.conf:1: [gateway] needs 'keystore'"},
    {"[gateway]\nkeystore = k\n", "t.conf: no [carrier NAME] section"},
    {"[gateway]\nkeystore = k\n[carrier a]\nsystem_id = s\n", "t.conf:3: [carrier a] needs 'host'"},
    {"[gateway]\nkeystore = k\n[carrier a]\nhost = h\n", "t.conf:3: [carrier a] needs 'system_id'"},
    {MINIMAL "reconnect_min = 2m\nreconnect_max = 1m\n",
     "t.conf:3: [carrier a] reconnect_min is above reconnect_max"},
    {MINIMAL "tls_cert = c.pem\n", "t.conf:3: [carrier a] tls_cert and tls_key go together"},
};

static void test_config_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        const char *path = write_conf("t.conf", bad[i].text);
        struct gw_config *c = gw_config_load(path, err, sizeof err);
        /* The error starts with the path as given, then :line: */
        size_t dl = strlen(dir) + 1;
        if (c || strncmp(err, path, dl) != 0 ||
            strncmp(err + dl, bad[i].want, strlen(bad[i].want)) != 0) {
            gw_config_free(c);
            fail_msg("case %zu: got '%s'\n  want '%s/%s...'", i, err, dir, bad[i].want);
        }
        assert_null(strchr(err, '\n'));
    }
}

static void test_config_missing_file(void **state)
{
    (void)state;
    char err[512];
    assert_null(gw_config_load("/nonexistent/otagw.conf", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/otagw.conf: cannot open"));
}

static void test_config_long_line(void **state)
{
    (void)state;
    char err[512];
    size_t n = 5000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "[gateway]\nname = ");
    size_t l = strlen(text);
    memset(text + l, 'a', n);
    strcpy(text + l + n, "\n");
    struct gw_config *c = gw_config_load(write_conf("t.conf", text), err, sizeof err);
    free(text);
    assert_null(c);
    assert_non_null(strstr(err, "t.conf:2: line longer than"));
}

static char *print_to_string(const struct gw_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    gw_config_print(c, f);
    fclose(f);
    /* Drop the first line: it names the file printed. */
    char *nl = strchr(buf, '\n');
    memmove(buf, nl + 1, strlen(nl + 1) + 1);
    return buf;
}

static void round_trip(const char *path)
{
    char err[512];
    struct gw_config *c1 = gw_config_load(path, err, sizeof err);
    if (!c1)
        fail_msg("%s", err);
    char *p1 = print_to_string(c1);
    assert_null(strstr(p1, "= secret")); /* passwords never printed */
    const char *rpath = write_conf("round.conf", p1);
    struct gw_config *c2 = gw_config_load(rpath, err, sizeof err);
    if (!c2)
        fail_msg("reloading the printed configuration: %s", err);
    char *p2 = print_to_string(c2);
    assert_string_equal(p1, p2);
    /* Field by field too, once passwords (masked) and lines are set aside. */
    assert_int_equal(c1->ncarriers, c2->ncarriers);
    for (unsigned i = 0; i < c1->ncarriers; i++) {
        struct gw_carrier a = c1->carriers[i], b = c2->carriers[i];
        if (a.password[0])
            assert_string_equal(b.password, "********");
        memset(a.password, 0, sizeof a.password);
        memset(b.password, 0, sizeof b.password);
        a.line = b.line = 0;
        assert_memory_equal(&a, &b, sizeof a);
    }
    assert_memory_equal(&c1->default_route, &c2->default_route, sizeof c1->default_route);
    assert_int_equal(c1->nroutes, c2->nroutes);
    assert_memory_equal(c1->routes, c2->routes, c1->nroutes * sizeof c1->routes[0]);
    assert_int_equal(c1->npolicies, c2->npolicies);
    assert_memory_equal(c1->policies, c2->policies, c1->npolicies * sizeof c1->policies[0]);
    assert_int_equal(c1->napplets, c2->napplets);
    assert_memory_equal(c1->applets, c2->applets, c1->napplets * sizeof c1->applets[0]);
    assert_string_equal(c1->keystore, c2->keystore);
    assert_int_equal(c1->default_validity, c2->default_validity);
    free(p1);
    free(p2);
    gw_config_free(c1);
    gw_config_free(c2);
}

/* The two mixed message-id forms (docs/smpp.md), and the names of all. */
static void test_config_msgid_formats(void **state)
{
    (void)state;
    const struct {
        const char *name;
        enum gw_msgid_format v;
    } f[] = {{"auto", GW_MSGID_AUTO},      {"hex", GW_MSGID_HEX},
             {"dec", GW_MSGID_DEC},        {"string", GW_MSGID_STRING},
             {"hexdec", GW_MSGID_HEX_DEC}, {"dechex", GW_MSGID_DEC_HEX}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        char text[256], err[512];
        snprintf(text, sizeof text, MINIMAL "msgid_format = %s\n", f[i].name);
        struct gw_config *c = gw_config_load(write_conf("t.conf", text), err, sizeof err);
        if (!c)
            fail_msg("%s: %s", f[i].name, err);
        assert_int_equal(gw_config_carrier(c, "a")->msgid_format, f[i].v);
        gw_config_free(c);
    }
    char err[512];
    assert_null(
        gw_config_load(write_conf("t.conf", MINIMAL "msgid_format = hex_dec\n"), err, sizeof err));
    assert_non_null(strstr(err, "hexdec, dechex"));
}

static void test_config_print_round_trip(void **state)
{
    (void)state;
    const char *text = MINIMAL "password = secret\nresponse_timeout = 1500ms\n"
                               "countries = BR, PT\ndata_coding = 4\n"
                               "[redis]\npassword = secret\n"
                               "[carrier b]\nhost = h\nsystem_id = s\nbind = tx+rx\n"
                               "[route]\ndefault = b, a\nBR = a\n"
                               "[policy]\nBR = local-only\nCN = any\n"
                               "[applet m]\ntar = b20101\nnote = any text: here\n";
    round_trip(write_conf("t.conf", text));
    round_trip("conf/otagw.conf"); /* the shipped example */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),      cmocka_unit_test(test_config_values),
        cmocka_unit_test(test_config_errors),        cmocka_unit_test(test_config_missing_file),
        cmocka_unit_test(test_config_long_line),     cmocka_unit_test(test_config_print_round_trip),
        cmocka_unit_test(test_config_msgid_formats),
    };
    return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
