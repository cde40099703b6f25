/* config.h — the daemon's configuration, as parsed from the INI file.
 *
 * Owned by gateway/config.c (parser, validation, --check-config printing).
 * Every other part reads it, never writes it. The file format is the stable
 * interface of docs/DESIGN.md ("Interfaces that stay stable"); each key is a
 * row in config.c's table {section, name, type, field, min, max, default}.
 *
 * Secrets: carrier and Redis passwords live here (not keys: those are in the
 * keystore, see gateway/keystore.h); gw_config_free() wipes them, and
 * --check-config prints them masked. */
#ifndef OTAGW_GATEWAY_CONFIG_H
#define OTAGW_GATEWAY_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GW_NAME_MAX              32 /* carrier, applet, gateway names */
#define GW_HOST_MAX              256
#define GW_PATH_MAX              1024
#define GW_MAX_CARRIERS          32
#define GW_MAX_ROUTES            256
#define GW_ROUTE_MAX_HOP         8 /* carriers per route */
#define GW_MAX_APPLETS           16
#define GW_APPLET_MAX_KV         16
#define GW_CARRIER_MAX_COUNTRIES 16 /* home countries per carrier */

enum gw_bind_mode {
    GW_BIND_TRX,   /* one transceiver per bind */
    GW_BIND_TX_RX, /* a transmitter and a receiver per bind */
};

/* How the SMSC writes message ids: in submit_sm_resp and in receipts
 * (SMPP 3.4 Appendix B says the receipt id is the submit_sm_resp id; many
 * SMSCs give one in hex and the other in decimal). AUTO tries both. */
enum gw_msgid_format {
    GW_MSGID_AUTO,
    GW_MSGID_HEX,
    GW_MSGID_DEC,
    GW_MSGID_STRING,  /* opaque: compared as text, case kept */
    GW_MSGID_HEX_DEC, /* submit_sm_resp hex, receipt decimal (Kannel msg-id-type 1) */
    GW_MSGID_DEC_HEX, /* submit_sm_resp decimal, receipt hex (Kannel msg-id-type 2) */
    /* Same order as enum dlr_idfmt (codec/dlr.h): gateway/bind.c hands
     * the value over as is and asserts the order. */
};

struct gw_carrier {
    char name[GW_NAME_MAX];
    char host[GW_HOST_MAX];
    uint16_t port;
    char system_id[16];   /* SMPP 3.4 §5.2.1: 15 octets + NUL */
    char password[9];     /* §5.2.2: 8 + NUL */
    char system_type[13]; /* §5.2.3: 12 + NUL */
    enum gw_bind_mode bind_mode;
    unsigned binds; /* number of binds (tx+rx pairs count as one) */
    uint8_t src_ton, src_npi, dst_ton, dst_npi;
    char source_addr[21];
    unsigned window;       /* outstanding submit_sm per bind */
    unsigned tps;          /* submits per second per carrier; 0 = no limit */
    unsigned enquire_link; /* seconds of idle before we send one */
    unsigned response_timeout_ms;
    unsigned reconnect_min_ms, reconnect_max_ms; /* exponential, jittered */
    uint8_t protocol_id;                         /* TP-PID, default 0x7F (SIM data download) */
    uint8_t data_coding;                         /* default 0xF6 (class 2, 8-bit) */
    enum gw_msgid_format msgid_format;
    int tls;        /* 1: SMPP over TLS */
    int tls_verify; /* 1 (default): verify the SMSC against tls_ca */
    char tls_ca[GW_PATH_MAX];
    char tls_cert[GW_PATH_MAX]; /* optional client certificate */
    char tls_key[GW_PATH_MAX];
    char tls_server_name[GW_HOST_MAX]; /* SNI and name check; default host */
    unsigned max_sms;                  /* most SMs one packet may take; default 5 */
    /* The ISO 3166-1 alpha-2 countries whose home network this carrier is
     * (key `countries`). Only these carriers may take traffic to a country
     * whose [policy] is local-only. */
    unsigned ncountries;
    char countries[GW_CARRIER_MAX_COUNTRIES][3];
    int line; /* line of its [carrier NAME] header, for messages */
};

/* One route: an ISO 3166 alpha-2 country (or "default") to ordered carriers,
 * indices into gw_config.carriers. */
struct gw_route {
    char country[3];
    unsigned ncarriers;
    unsigned carriers[GW_ROUTE_MAX_HOP];
};

enum gw_policy {
    GW_POLICY_ANY = 0,
    GW_POLICY_LOCAL_ONLY, /* permanent roaming restricted: home carrier only */
};

struct gw_country_policy {
    char country[3];
    enum gw_policy policy;
};

/* [applet NAME] kept as ordered key/value text: ota/ turns it into a
 * multi-IMSI applet profile (ota owns its meaning, the config its syntax). */
struct gw_applet_conf {
    char name[GW_NAME_MAX];
    unsigned nkv;
    struct {
        char key[32];
        char value[256];
    } kv[GW_APPLET_MAX_KV];
};

enum gw_log_format { GW_LOG_TEXT, GW_LOG_JSON };

struct gw_config {
    char path[GW_PATH_MAX]; /* the file it came from */
    char dir[GW_PATH_MAX];  /* its folder: relative paths resolve here */

    /* [gateway] */
    char name[GW_NAME_MAX];
    char keystore[GW_PATH_MAX];
    char e164_table[GW_PATH_MAX]; /* default: e164.csv in the config file's folder */
    int log_level;                /* syslog levels: 3 err .. 7 debug; default 6 */
    enum gw_log_format log_format;
    int log_syslog;
    int mask_msisdn;
    unsigned metrics_port;      /* 0 = off (default) */
    char metrics_bind[64];      /* default 127.0.0.1 */
    unsigned default_validity;  /* seconds, default 86400 */
    unsigned max_attempts;      /* per job, default 3 */
    unsigned batch;             /* XREADGROUP COUNT, default 64 */
    unsigned max_inflight;      /* jobs in flight per instance before back-pressure */
    char default_card_class[8]; /* "uicc" or "sim" when a card record says nothing */

    /* [redis] */
    char redis_host[GW_HOST_MAX];
    uint16_t redis_port;
    char redis_user[64];
    char redis_password[128];
    unsigned redis_db;
    char stream_jobs[64];   /* default ota:jobs */
    char stream_events[64]; /* default ota:events */
    char group[64];         /* default otagw */
    /* Sharing the stream between instances (docs/queue.md "Leases"). */
    unsigned lease_ms;      /* a job taken is reserved this long; renewed every third of it */
    unsigned claim_idle_ms; /* XAUTOCLAIM min-idle: a dead instance's entries; >= lease_ms */
    unsigned scan_ms;       /* expiry / retry / reclaim scan period */
    /* Retries (docs/queue.md "Retries"): the back-off of attempt n is
     * retry_backoff * 2^(n-1), at most retry_backoff_max, +-20 %; after an
     * unknown outcome a por=always job waits reconcile for its PoR. */
    unsigned retry_backoff_ms, retry_backoff_max_ms, reconcile_ms;

    unsigned ncarriers;
    struct gw_carrier carriers[GW_MAX_CARRIERS];

    /* [route]: default_route is ncarriers==0 when none is set */
    struct gw_route default_route;
    unsigned nroutes;
    struct gw_route routes[GW_MAX_ROUTES];

    /* [policy] */
    unsigned npolicies;
    struct gw_country_policy policies[GW_MAX_ROUTES];

    unsigned napplets;
    struct gw_applet_conf applets[GW_MAX_APPLETS];
};

/* Parses FILE into a new configuration. On error returns NULL and writes a
 * one-line reason naming the file and line ("otagw.conf:12: unknown key
 * 'windw' in [carrier a]") into err. */
struct gw_config *gw_config_load(const char *file, char *err, size_t errlen);

/* Wipes passwords, frees. NULL is a no-op. */
void gw_config_free(struct gw_config *c);

/* Writes the effective configuration, every key with its value, passwords
 * masked, as an INI file that gw_config_load accepts. */
void gw_config_print(const struct gw_config *c, FILE *out);

/* Lookups; NULL or -1 when absent. */
const struct gw_carrier *gw_config_carrier(const struct gw_config *c, const char *name);
int gw_config_carrier_index(const struct gw_config *c, const char *name);
const struct gw_route *gw_config_route(const struct gw_config *c, const char *country);
enum gw_policy gw_config_policy(const struct gw_config *c, const char *country);
const struct gw_applet_conf *gw_config_applet(const struct gw_config *c, const char *name);

#endif
