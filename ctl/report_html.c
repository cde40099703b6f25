/* report_html.c — `otactl report --html FILE`: one self-contained page.
 *
 * Inline CSS and inline SVG charts drawn here, no script, no external
 * asset: the file can be mailed, archived or opened on a laptop with no
 * network. What an ops lead looks for first comes first: headline figures,
 * outcome per country and per carrier as stacked bars (confirmed, delivered
 * only, still open, expired, failed, rejected), the latency distribution of
 * each stage with its p50/p95/p99, the failure mix, then the detail table. */
#include "ctl/report_out.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu "
    "Sans',sans-serif;color:#1d2733;background:#f3f5f8}"
    "header{background:#14213d;color:#fff;padding:22px 32px}"
    "header h1{margin:0;font-size:22px;font-weight:600}"
    "header p{margin:4px 0 0;color:#b8c4d6}"
    "main{max-width:1040px;margin:0 auto;padding:20px 24px 40px}"
    ".kpis{display:flex;gap:14px;flex-wrap:wrap;margin:4px 0 18px}"
    ".kpi{flex:1 1 150px;background:#fff;border-radius:8px;padding:14px 16px;"
    "box-shadow:0 1px 3px rgba(20,33,61,.12);border-top:4px solid #7a8aa3}"
    ".kpi .v{font-size:26px;font-weight:700}"
    ".kpi .l{color:#5b6b82;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".kpi.good{border-top-color:#2e7d32}.kpi.ok{border-top-color:#66bb6a}"
    ".kpi.bad{border-top-color:#e53935}.kpi.time{border-top-color:#1e88e5}"
    "section{background:#fff;border-radius:8px;padding:16px 20px;margin:0 0 18px;"
    "box-shadow:0 1px 3px rgba(20,33,61,.12)}"
    "h2{font-size:16px;margin:0 0 10px;color:#14213d}"
    ".grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 20px}"
    ".grid h3{font-size:13px;margin:6px 0 0;color:#33425a}"
    ".cap{font-size:12px;color:#5b6b82;margin:0 0 2px}"
    "svg{display:block;max-width:100%;height:auto}"
    "svg text{font-family:system-ui,'DejaVu Sans',sans-serif}"
    "table{border-collapse:collapse;width:100%;font-size:12px}"
    "th,td{padding:5px 6px;border-bottom:1px solid #e3e8ef;text-align:right;"
    "white-space:nowrap}th{white-space:normal;vertical-align:bottom}"
    "th{background:#eef2f7;color:#33425a;font-weight:600}"
    "td.k,th.k{text-align:left}td.r{text-align:left;white-space:normal;min-width:190px;color:#"
    "7f1d1d}"
    "tr.total td{font-weight:700;border-top:2px solid #14213d}"
    ".legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;color:#33425a;"
    "margin:0 0 6px}"
    ".legend i{display:inline-block;width:11px;height:11px;border-radius:2px;"
    "margin-right:5px;vertical-align:-1px}"
    "footer{color:#7a8aa3;font-size:12px;text-align:center;padding:0 0 20px}";

/* Outcome segments, in bar order. */
enum seg { SEG_CONFIRMED, SEG_DELIVERED, SEG_OPEN, SEG_EXPIRED, SEG_FAILED, SEG_REJECTED, SEG_N };
static const char *const seg_name[SEG_N] = {
    "confirmed", "delivered, no PoR", "open", "expired", "failed", "rejected",
};
static const char *const seg_color[SEG_N] = {
    "#2e7d32", "#9ccc65", "#b0bec5", "#ffa726", "#e53935", "#8e24aa",
};

static void seg_counts(const struct jobq_group *g, uint64_t c[SEG_N])
{
    c[SEG_CONFIRMED] = g->confirmed;
    /* Open jobs split by whether the receipt came: delivered and waiting
     * for the PoR (or por=none, done), or not delivered yet. */
    c[SEG_DELIVERED] = g->open_delivered;
    c[SEG_OPEN] = g->open - g->open_delivered;
    c[SEG_EXPIRED] = g->expired;
    c[SEG_FAILED] = g->failed;
    c[SEG_REJECTED] = g->rejected;
}

static void legend(FILE *f)
{
    fputs("<div class=\"legend\">", f);
    for (int i = 0; i < SEG_N; i++)
        fprintf(f, "<span><i style=\"background:%s\"></i>%s</span>", seg_color[i], seg_name[i]);
    fputs("</div>\n", f);
}

/* Stacked horizontal bars: one row per group, the share of each outcome. */
static void outcome_chart(FILE *f, const struct jobq_summary *s, const char *what)
{
    const int label_w = 150, bar_w = 500, right_w = 290, row_h = 30;
    int w = label_w + bar_w + right_w, h = (int)s->ngroups * row_h + 8;
    legend(f);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"outcome by %s\">\n",
            w, h, w, h, what);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct jobq_group *g = &s->groups[i];
        char name[96], dp[24], cp[24];
        ctl_group_name(g, name, sizeof name);
        ctl_fmt_pct(g->delivered, g->jobs, dp, sizeof dp);
        ctl_fmt_pct(g->confirmed, g->jobs, cp, sizeof cp);
        int y = 4 + (int)i * row_h;
        fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"13\" font-weight=\"600\">", y + 18);
        esc(f, name);
        fprintf(f,
                "<tspan font-weight=\"400\" fill=\"#5b6b82\" font-size=\"11\"> %" PRIu64
                " job%s</tspan></text>\n",
                g->jobs, g->jobs == 1 ? "" : "s");
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"22\" rx=\"3\" "
                "fill=\"#eef2f7\"/>\n",
                label_w, y + 3, bar_w);
        uint64_t c[SEG_N];
        seg_counts(g, c);
        double x = label_w;
        for (int k = 0; k < SEG_N; k++) {
            if (!c[k])
                continue;
            double sw = (double)bar_w * (double)c[k] / (double)g->jobs;
            char p[24];
            ctl_fmt_pct(c[k], g->jobs, p, sizeof p);
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"22\" fill=\"%s\">"
                    "<title>",
                    x, y + 3, sw, seg_color[k]);
            esc(f, name);
            fprintf(f, ": %s %" PRIu64 " (%s%%)</title></rect>\n", seg_name[k], c[k], p);
            x += sw;
        }
        fprintf(f,
                "<text x=\"%d\" y=\"%d\" font-size=\"13\"><tspan font-weight=\"700\" "
                "fill=\"#2e7d32\">%s%%</tspan> confirmed <tspan fill=\"#5b6b82\" "
                "font-size=\"11\">(%s%% deliv.)</tspan></text>\n",
                label_w + bar_w + 10, y + 18, cp, dp);
    }
    fputs("</svg>\n", f);
}

/* Latency bins, ms: a log-like scale from 100 ms to a day. */
static const int64_t bin_edge[] = {100,     250,     500,      1000,    2500,   5000,
                                   10000,   30000,   60000,    120000,  300000, 900000,
                                   1800000, 3600000, 14400000, 86400000};
#define NBIN (sizeof bin_edge / sizeof bin_edge[0] + 1)

/* Axis tick: "100ms", "2.5s", "10s", "5m", "4h". */
static void tick(int64_t ms, char *out, size_t outlen)
{
    if (ms >= 3600000 && ms % 3600000 == 0)
        snprintf(out, outlen, "%" PRId64 "h", ms / 3600000);
    else if (ms >= 60000 && ms % 60000 == 0)
        snprintf(out, outlen, "%" PRId64 "m", ms / 60000);
    else
        ctl_fmt_ms(ms, out, outlen);
}

static double bin_x(int64_t v, double x0, double bw)
{
    size_t i = 0;
    while (i < NBIN - 1 && v >= bin_edge[i])
        i++;
    int64_t lo = i ? bin_edge[i - 1] : 0;
    double frac = i < NBIN - 1 ? (double)(v - lo) / (double)(bin_edge[i] - lo) : 0.5;
    return x0 + ((double)i + frac) * bw;
}

static void latency_chart(FILE *f, const struct jobq_latency *l, const char *title)
{
    const int w = 480, h = 190, x0 = 34, top = 26, base = 150;
    const double bw = (double)(w - x0 - 6) / NBIN;
    char a[24], b[24], c[24];
    ctl_fmt_ms(l->p50, a, sizeof a);
    ctl_fmt_ms(l->p95, b, sizeof b);
    ctl_fmt_ms(l->p99, c, sizeof c);
    fprintf(f, "<div><h3>%s</h3>", title);
    if (!l->n) {
        fputs("<p class=\"cap\">no job reached this stage</p></div>\n", f);
        return;
    }
    fprintf(f,
            "<p class=\"cap\">%zu jobs &middot; p50 <b>%s</b> &middot; p95 <b>%s</b> "
            "&middot; p99 <b>%s</b></p>\n",
            l->n, a, b, c);
    uint64_t cnt[NBIN] = {0}, max = 1;
    for (size_t i = 0; i < l->n; i++) {
        size_t k = 0;
        while (k < NBIN - 1 && l->sorted[i] >= bin_edge[k])
            k++;
        cnt[k]++;
    }
    for (size_t k = 0; k < NBIN; k++)
        if (cnt[k] > max)
            max = cnt[k];
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s latency\">\n",
            w, h, w, h, title);
    fprintf(f,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#7a8aa3\"/>\n"
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#5b6b82\" "
            "text-anchor=\"end\">%" PRIu64 "</text>\n",
            x0, base, w - 4, base, x0 - 4, top + 4, max);
    for (size_t k = 0; k < NBIN; k++) {
        double bh = (double)(base - top) * (double)cnt[k] / (double)max;
        double x = x0 + (double)k * bw;
        if (cnt[k]) {
            char lo[24], hi[24];
            ctl_fmt_ms(k ? bin_edge[k - 1] : 0, lo, sizeof lo);
            if (k < NBIN - 1)
                ctl_fmt_ms(bin_edge[k], hi, sizeof hi);
            else
                snprintf(hi, sizeof hi, "more");
            fprintf(f,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\" "
                    "fill=\"#1e88e5\"><title>%s to %s: %" PRIu64 " jobs</title></rect>\n",
                    x + 1, base - bh, bw - 2, bh, lo, hi, cnt[k]);
        }
        if (k % 2 == 0 && k < NBIN - 1) {
            char lab[24];
            tick(bin_edge[k], lab, sizeof lab);
            fprintf(f,
                    "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" fill=\"#5b6b82\" "
                    "text-anchor=\"middle\">%s</text>\n",
                    x + bw, base + 13, lab);
        }
    }
    /* The percentiles as dashed markers on the same scale, named in a key
     * at the top right (labels on the lines would collide when equal). */
    static const char *const pn[] = {"p50", "p95", "p99"};
    static const char *const pc[] = {"#2e7d32", "#fb8c00", "#e53935"};
    static const char *const pd[] = {"6 3", "3 2", "1 2"};
    int64_t pv[] = {l->p50, l->p95, l->p99};
    for (int i = 0; i < 3; i++) {
        double x = bin_x(pv[i], x0, bw);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n"
                "<line x1=\"%d\" y1=\"10\" x2=\"%d\" y2=\"10\" stroke=\"%s\" "
                "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n"
                "<text x=\"%d\" y=\"14\" font-size=\"10\" fill=\"%s\">%s</text>\n",
                x, top - 6, x, base, pc[i], pd[i], w - 150 + i * 50, w - 132 + i * 50, pc[i], pd[i],
                w - 128 + i * 50, pc[i], pn[i]);
    }
    fprintf(f,
            "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#5b6b82\">time, log scale"
            "</text>\n</svg></div>\n",
            x0, h - 8);
}

static const char *reason_color(const char *text)
{
    if (strncmp(text, "rejected", 8) == 0)
        return seg_color[SEG_REJECTED];
    if (strncmp(text, "expired", 7) == 0)
        return seg_color[SEG_EXPIRED];
    return seg_color[SEG_FAILED];
}

static void failure_chart(FILE *f, const struct jobq_group *t)
{
    if (!t->nreasons) {
        fputs("<p class=\"cap\">No job failed.</p>\n", f);
        return;
    }
    size_t n = t->nreasons < 10 ? t->nreasons : 10;
    uint64_t nbad = t->rejected + t->failed + t->expired;
    const int text_w = 400, bar_w = 300, row_h = 26, w = text_w + bar_w + 200;
    int h = (int)n * row_h + 6;
    uint64_t max = t->reasons[0].jobs;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"failure mix\">\n",
            w, h, w, h);
    for (size_t i = 0; i < n; i++) {
        const struct jobq_reason *r = &t->reasons[i];
        int y = 3 + (int)i * row_h;
        double bw = (double)bar_w * (double)r->jobs / (double)max;
        char p[24];
        ctl_fmt_pct(r->jobs, nbad, p, sizeof p);
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">", text_w - 8,
                y + 15);
        char shown[64];
        size_t len = strlen(r->text);
        snprintf(shown, sizeof shown, "%.*s%s", len > 56 ? 54 : (int)len, r->text,
                 len > 56 ? "..." : "");
        esc(f, shown);
        fputs("<title>", f);
        esc(f, r->text);
        fprintf(f,
                "</title></text>\n<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"18\" "
                "rx=\"3\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%d\" font-size=\"12\">"
                "<tspan font-weight=\"700\">%" PRIu64 "</tspan> <tspan fill=\"#5b6b82\">"
                "(%s%% of failures)</tspan></text>\n",
                text_w, y + 2, bw, reason_color(r->text), text_w + bw + 6, y + 15, r->jobs, p);
    }
    fputs("</svg>\n", f);
}

static void detail_table(FILE *f, const struct jobq_summary *s)
{
    fputs("<table><thead><tr><th class=\"k\">Country</th><th class=\"k\">Carrier</th>"
          "<th>Jobs</th><th>Delivered</th><th>Confirmed</th><th>Rejected</th>"
          "<th>Failed</th><th>Expired</th><th>Open</th><th>Submit p95</th>"
          "<th>Receipt p95</th><th>PoR p95</th><th class=\"k\">Top failure</th>"
          "</tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i <= s->ngroups; i++) {
        const struct jobq_group *g = i < s->ngroups ? &s->groups[i] : &s->total;
        char dp[24], cp[24];
        ctl_fmt_pct(g->delivered, g->jobs, dp, sizeof dp);
        ctl_fmt_pct(g->confirmed, g->jobs, cp, sizeof cp);
        fputs(i < s->ngroups ? "<tr><td class=\"k\">" : "<tr class=\"total\"><td class=\"k\">", f);
        esc(f, g->country ? g->country : "all");
        fputs("</td><td class=\"k\">", f);
        esc(f, g->carrier ? g->carrier : "");
        fprintf(f,
                "</td><td>%" PRIu64 "</td><td>%s%%</td><td>%s%%</td><td>%" PRIu64
                "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td>",
                g->jobs, dp, cp, g->rejected, g->failed, g->expired, g->open);
        for (int st = 0; st < JOBQ_STAGE_TOTAL; st++) {
            char v[24] = "-";
            if (g->lat[st].n)
                ctl_fmt_ms(g->lat[st].p95, v, sizeof v);
            fprintf(f, "<td>%s</td>", v);
        }
        fputs("<td class=\"r\">", f);
        if (g->nreasons) {
            esc(f, g->reasons[0].text);
            fprintf(f, " (%" PRIu64 ")", g->reasons[0].jobs);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

int ctl_report_html(FILE *f, const struct jobq_summary *by_country,
                    const struct jobq_summary *by_carrier, const struct jobq_summary *by_both,
                    const struct ctl_report_meta *m)
{
    const struct jobq_group *t = &by_country->total;
    char from[32], to[32], dp[24], cp[24];
    ctl_fmt_time(by_country->first_ms, from, sizeof from);
    ctl_fmt_time(by_country->last_ms, to, sizeof to);
    ctl_fmt_pct(t->delivered, t->jobs, dp, sizeof dp);
    ctl_fmt_pct(t->confirmed, t->jobs, cp, sizeof cp);

    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
            "<title>otagw delivery report</title>\n<style>%s</style></head>\n<body>\n",
            css);
    fputs("<header><h1>OTA delivery report</h1><p>Stream <b>", f);
    esc(f, m->stream);
    fputs("</b> &middot; since ", f);
    esc(f, m->since);
    if (by_country->events)
        fprintf(f, " &middot; events %s to %s", from, to);
    fprintf(f, " &middot; %" PRIu64 " events</p></header>\n<main>\n", by_country->events);

    uint64_t bad = t->rejected + t->failed + t->expired;
    char p95[24] = "-";
    if (t->lat[JOBQ_STAGE_TOTAL].n)
        ctl_fmt_ms(t->lat[JOBQ_STAGE_TOTAL].p95, p95, sizeof p95);
    fprintf(f,
            "<div class=\"kpis\">\n"
            "<div class=\"kpi\"><div class=\"v\">%" PRIu64 "</div><div class=\"l\">jobs</div>"
            "</div>\n"
            "<div class=\"kpi ok\"><div class=\"v\">%s%%</div><div class=\"l\">delivered "
            "(receipt)</div></div>\n"
            "<div class=\"kpi good\"><div class=\"v\">%s%%</div><div class=\"l\">confirmed "
            "by the SIM (PoR)</div></div>\n"
            "<div class=\"kpi bad\"><div class=\"v\">%" PRIu64 "</div><div class=\"l\">"
            "rejected, failed or expired</div></div>\n"
            "<div class=\"kpi time\"><div class=\"v\">%s</div><div class=\"l\">p95 intake to "
            "final</div></div>\n</div>\n",
            t->jobs, t->jobs ? dp : "-", t->jobs ? cp : "-", bad, p95);

    fputs("<section><h2>Outcome by country</h2>\n", f);
    outcome_chart(f, by_country, "country");
    fputs("</section>\n<section><h2>Outcome by carrier</h2>\n", f);
    outcome_chart(f, by_carrier, "carrier");
    fputs("</section>\n<section><h2>Latency per stage (all jobs)</h2><div class=\"grid\">\n", f);
    static const char *const titles[JOBQ_STAGE_N] = {
        "Intake to submit_sm",
        "submit_sm to delivery receipt",
        "Receipt to Proof of Receipt",
        "Intake to final state",
    };
    for (int st = 0; st < JOBQ_STAGE_N; st++)
        latency_chart(f, &t->lat[st], titles[st]);
    fputs("</div></section>\n<section><h2>Failure mix</h2>\n", f);
    failure_chart(f, t);
    fputs("</section>\n<section><h2>Country &times; carrier</h2>\n", f);
    detail_table(f, by_both);
    fputs("</section>\n</main>\n<footer>otactl report &middot; percentiles are exact "
          "(nearest rank) over every job in the window</footer>\n</body></html>\n",
          f);
    return ferror(f) ? -EIO : 0;
}
