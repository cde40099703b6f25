/* cmd_report.c — `otactl report`: delivery figures per country and carrier
 * from the shared event stream, for people (table, HTML) and scripts (JSON,
 * CSV). The engine is queue/report.c; the layouts are ctl/report_*.c; the
 * exit statuses are ctl.h's.
 *
 *   otactl report [--since DURATION|all] [--by country|carrier|country,carrier]
 *                 [--format table|json|csv] [--html FILE]
 *                 [--redis HOST:PORT | -c FILE] [--stream NAME] [--page N] */
#include "ctl/ctl.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ctl/report_out.h"
#include "queue/report.h"

struct opts {
    const char *since;
    enum jobq_report_by by;
    enum { F_TABLE, F_JSON, F_CSV } format;
    int format_given;
    const char *html;
    char host[256];
    int port;
    char user[64];
    char password[128];
    unsigned db;
    char stream[64];
    unsigned page;
};

static void usage(FILE *f)
{
    fputs("usage: otactl report [--since DURATION|all] [--by country|carrier|country,carrier]\n"
          "                     [--format table|json|csv] [--html FILE]\n"
          "                     [--redis HOST:PORT | -c FILE] [--stream NAME] [--page N]\n"
          "  --since   how far back: 90s, 15m, 24h (default), 7d, 1h30m, or all\n"
          "  --by      grouping (default country)\n"
          "  --html    also write a self-contained HTML page to FILE\n"
          "  --redis   Redis to read (default 127.0.0.1:6379); -c reads [redis] from\n"
          "            the gateway's config file instead\n"
          "  --stream  events stream (default ota:events)\n"
          "  --page    entries per XRANGE round trip (default 10000)\n",
          f);
}

/* [redis] host, port, user, password, db, stream_events from the daemon's
 * config: the
 * report reads the same Redis the gateways write. Other sections are the
 * daemon's business and are not checked here. */
static int conf_key(void *user, const char *section, const char *name, const char *value)
{
    struct opts *o = user;
    if (strcmp(section, "redis") != 0)
        return 1;
    if (strcmp(name, "host") == 0)
        snprintf(o->host, sizeof o->host, "%s", value);
    else if (strcmp(name, "port") == 0)
        o->port = atoi(value);
    else if (strcmp(name, "user") == 0)
        snprintf(o->user, sizeof o->user, "%s", value);
    else if (strcmp(name, "password") == 0)
        snprintf(o->password, sizeof o->password, "%s", value);
    else if (strcmp(name, "db") == 0)
        o->db = (unsigned)strtoul(value, NULL, 10);
    else if (strcmp(name, "stream_events") == 0)
        snprintf(o->stream, sizeof o->stream, "%s", value);
    return 1;
}

static int parse_hostport(struct opts *o, const char *s)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof o->host)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return -1;
    snprintf(o->host, sizeof o->host, "%.*s", (int)(colon - s), s);
    o->port = (int)p;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (!v) {
            fprintf(stderr, "otactl report: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "--since") == 0) {
            if (strcmp(v, "all") != 0 && jobq_report_parse_duration(v) < 0) {
                fprintf(stderr, "otactl report: --since '%s': want e.g. 90s, 15m, 24h, 7d or all\n",
                        v);
                return -1;
            }
            o->since = v;
        } else if (strcmp(a, "--by") == 0) {
            if (strcmp(v, "country") == 0)
                o->by = JOBQ_BY_COUNTRY;
            else if (strcmp(v, "carrier") == 0)
                o->by = JOBQ_BY_CARRIER;
            else if (strcmp(v, "country,carrier") == 0 || strcmp(v, "carrier,country") == 0)
                o->by = JOBQ_BY_BOTH;
            else {
                fprintf(stderr,
                        "otactl report: --by '%s': want country, carrier or "
                        "country,carrier\n",
                        v);
                return -1;
            }
        } else if (strcmp(a, "--format") == 0) {
            o->format_given = 1;
            if (strcmp(v, "table") == 0)
                o->format = F_TABLE;
            else if (strcmp(v, "json") == 0)
                o->format = F_JSON;
            else if (strcmp(v, "csv") == 0)
                o->format = F_CSV;
            else {
                fprintf(stderr, "otactl report: --format '%s': want table, json or csv\n", v);
                return -1;
            }
        } else if (strcmp(a, "--html") == 0) {
            o->html = v;
        } else if (strcmp(a, "--redis") == 0) {
            if (parse_hostport(o, v) != 0) {
                fprintf(stderr, "otactl report: --redis '%s': want HOST:PORT\n", v);
                return -1;
            }
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            int rc = ini_parse(v, conf_key, o);
            if (rc != 0) {
                if (rc < 0)
                    fprintf(stderr, "otactl report: %s: cannot read it\n", v);
                else
                    fprintf(stderr, "otactl report: %s:%d: syntax error\n", v, rc);
                return -1;
            }
        } else if (strcmp(a, "--page") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end || n < 1 || n > 1000000) {
                fprintf(stderr, "otactl report: --page '%s': want 1..1000000\n", v);
                return -1;
            }
            o->page = (unsigned)n;
        } else if (strcmp(a, "--stream") == 0) {
            snprintf(o->stream, sizeof o->stream, "%s", v);
        } else {
            fprintf(stderr, "otactl report: unknown option '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int write_html(const char *path, const struct jobq_report *r,
                      const struct jobq_summary *by_country, const struct ctl_report_meta *m)
{
    struct jobq_summary *car = NULL, *both = NULL;
    if (jobq_report_summarize(r, JOBQ_BY_CARRIER, &car) != 0 ||
        jobq_report_summarize(r, JOBQ_BY_BOTH, &both) != 0) {
        jobq_summary_free(car);
        fprintf(stderr, "otactl report: out of memory\n");
        return -ENOMEM;
    }
    FILE *f = fopen(path, "w");
    int rc = f ? ctl_report_html(f, by_country, car, both, m) : -errno;
    if (f && fclose(f) != 0 && rc == 0)
        rc = -EIO;
    if (rc != 0)
        fprintf(stderr, "otactl report: %s: %s\n", path, strerror(-rc));
    jobq_summary_free(car);
    jobq_summary_free(both);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    struct opts o = {.since = "24h", .by = JOBQ_BY_COUNTRY, .port = 6379};
    snprintf(o.host, sizeof o.host, "127.0.0.1");
    snprintf(o.stream, sizeof o.stream, "ota:events");
    int rc = parse_args(&o, argc, argv);
    if (rc != 0)
        return rc > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;

    int64_t since = 0;
    if (strcmp(o.since, "all") != 0)
        since = now_ms() - jobq_report_parse_duration(o.since);
    struct jobq_report *r = jobq_report_new();
    if (!r) {
        fprintf(stderr, "otactl report: out of memory\n");
        return CTL_EXIT_FAIL;
    }
    char err[512];
    struct jobq_report_src src = {.host = o.host,
                                  .port = o.port,
                                  .user = o.user,
                                  .password = o.password,
                                  .db = o.db,
                                  .stream = o.stream,
                                  .page = o.page};
    if (jobq_report_load(r, &src, since, err, sizeof err) != 0) {
        fprintf(stderr, "otactl report: %s\n", err);
        jobq_report_free(r);
        return CTL_EXIT_FAIL;
    }
    if (jobq_report_skipped(r))
        fprintf(stderr, "otactl report: %llu malformed events skipped\n",
                (unsigned long long)jobq_report_skipped(r));
    struct ctl_report_meta m = {.stream = o.stream, .since = o.since};
    struct jobq_summary *s = NULL;
    rc = 0;
    if (jobq_report_summarize(r, o.html ? JOBQ_BY_COUNTRY : o.by, &s) != 0) {
        fprintf(stderr, "otactl report: out of memory\n");
        rc = CTL_EXIT_FAIL;
    } else if (o.html) {
        if (write_html(o.html, r, s, &m) != 0)
            rc = CTL_EXIT_FAIL;
        else if (!o.format_given)
            printf("wrote %s: %llu jobs from %llu events\n", o.html,
                   (unsigned long long)s->total.jobs, (unsigned long long)s->events);
    }
    if (rc == 0 && (!o.html || o.format_given)) {
        if (o.html && o.by != JOBQ_BY_COUNTRY) {
            jobq_summary_free(s);
            s = NULL;
            if (jobq_report_summarize(r, o.by, &s) != 0) {
                fprintf(stderr, "otactl report: out of memory\n");
                jobq_report_free(r);
                return CTL_EXIT_FAIL;
            }
        }
        if (o.format == F_JSON)
            ctl_report_json(stdout, s, &m);
        else if (o.format == F_CSV)
            ctl_report_csv(stdout, s, &m);
        else
            ctl_report_table(stdout, s, &m);
        if (fflush(stdout) != 0)
            rc = CTL_EXIT_FAIL;
    }
    jobq_summary_free(s);
    jobq_report_free(r);
    return rc;
}
