/* bench_metrics.c — what the hot path pays: ns per counter increment, per
 * histogram observation, and per render (prints, never asserts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/metrics.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    struct gw_config *c = calloc(1, sizeof *c);
    if (!c)
        return 1;
    c->ncarriers = 4;
    for (unsigned i = 0; i < c->ncarriers; i++) {
        snprintf(c->carriers[i].name, sizeof c->carriers[i].name, "carrier%u", i);
        c->carriers[i].binds = 4;
    }
    static const char *cc[] = {"DE", "FR", "IT", "ES", "BR", "CN", "US", "GB", "IN", "MX"};
    c->nroutes = sizeof cc / sizeof cc[0];
    for (unsigned i = 0; i < c->nroutes; i++) {
        memcpy(c->routes[i].country, cc[i], 3);
        c->routes[i].ncarriers = 1;
        c->routes[i].carriers[0] = i % c->ncarriers;
    }
    struct gw_metrics *m = gw_metrics_new(c);
    if (!m)
        return 1;
    const long n = 20000000;

    double t0 = now();
    for (long i = 0; i < n; i++)
        gw_metrics_submit(m, (unsigned)i & 3, (unsigned)(i >> 2) & 3, (unsigned)i % 10);
    double t1 = now();
    printf("counter increment (submit: pair + bind): %.2f ns\n", (t1 - t0) * 1e9 / (double)n);

    t0 = now();
    for (long i = 0; i < n; i++)
        gw_metrics_observe(m, GW_STAGE_SUBMIT_RECEIPT, (unsigned)i & 3, (unsigned)i % 10,
                           (double)(i % 4000) * 0.25);
    t1 = now();
    printf("histogram observe (17 buckets):          %.2f ns\n", (t1 - t0) * 1e9 / (double)n);

    int reps = 200;
    size_t len = 0;
    t0 = now();
    for (int i = 0; i < reps; i++) {
        char *t;
        if (gw_metrics_render(m, &t, &len) != 0)
            return 1;
        free(t);
    }
    t1 = now();
    printf("render (%zu bytes):                      %.1f us\n", len, (t1 - t0) * 1e6 / reps);
    gw_metrics_free(m);
    free(c);
    return 0;
}
