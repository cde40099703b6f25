/* route.c — destination -> ordered candidate carriers, with the
 * local-only policy (see route.h for the rules). */
#include "gateway/route.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum gw_route_status done(struct gw_route_plan *p, enum gw_route_status s, const char *fmt,
                                 ...) __attribute__((format(printf, 3, 4)));
static enum gw_route_status done(struct gw_route_plan *p, enum gw_route_status s, const char *fmt,
                                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
    if (s != GW_ROUTE_OK)
        p->n = 0;
    return s;
}

static int serves(const struct gw_carrier *c, const char *country)
{
    for (unsigned i = 0; i < c->ncountries; i++)
        if (strcmp(c->countries[i], country) == 0)
            return 1;
    return 0;
}

const char *gw_route_status_name(enum gw_route_status s)
{
    switch (s) {
    case GW_ROUTE_OK:
        return "ok";
    case GW_ROUTE_REJECT:
        return "reject";
    case GW_ROUTE_RETRY:
        return "retry";
    }
    return "?";
}

enum gw_route_status gw_route_country(const struct gw_config *cfg, const char *country,
                                      const char *forced, gw_carrier_up_fn up, void *arg,
                                      struct gw_route_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (!country || !gw_iso3166_valid(country))
        return done(plan, GW_ROUTE_REJECT, "'%.8s' is not an ISO 3166-1 alpha-2 country",
                    country ? country : "");
    memcpy(plan->country, country, 3);
    int local_only = gw_config_policy(cfg, country) == GW_POLICY_LOCAL_ONLY;

    /* Candidates before the up filter. */
    unsigned cand[GW_MAX_CARRIERS], ncand = 0;
    if (forced && *forced) {
        int ci = gw_config_carrier_index(cfg, forced);
        if (ci < 0)
            return done(plan, GW_ROUTE_REJECT, "forced carrier '%.32s' is not configured", forced);
        if (local_only && !serves(&cfg->carriers[ci], country))
            return done(plan, GW_ROUTE_REJECT,
                        "country %s is local-carrier-only and forced carrier %s does not serve "
                        "%s",
                        country, cfg->carriers[ci].name, country);
        cand[ncand++] = (unsigned)ci;
    } else {
        const struct gw_route *r = gw_config_route(cfg, country);
        if (!r)
            r = gw_config_route(cfg, "default");
        if (r)
            for (unsigned i = 0; i < r->ncarriers; i++)
                if (!local_only || serves(&cfg->carriers[r->carriers[i]], country))
                    cand[ncand++] = r->carriers[i];
        if (local_only && ncand == 0) /* the home carriers, wherever the route points */
            for (unsigned i = 0; i < cfg->ncarriers; i++)
                if (serves(&cfg->carriers[i], country))
                    cand[ncand++] = i;
        if (ncand == 0) {
            if (local_only)
                return done(plan, GW_ROUTE_REJECT,
                            "country %s is local-carrier-only and no configured carrier serves %s",
                            country, country);
            return done(plan, GW_ROUTE_REJECT, "no route for %s and no default route", country);
        }
    }
    plan->ncompliant = ncand;
    for (unsigned i = 0; i < ncand; i++)
        if (!up || up(arg, cand[i]))
            plan->carriers[plan->n++] = cand[i];
    if (plan->n == 0) {
        if (ncand == 1)
            return done(plan, GW_ROUTE_RETRY, "carrier %s for %s is not bound now",
                        cfg->carriers[cand[0]].name, country);
        return done(plan, GW_ROUTE_RETRY, "none of the %u carriers for %s is bound now", ncand,
                    country);
    }
    return done(plan, GW_ROUTE_OK, "%s via %s", country, cfg->carriers[plan->carriers[0]].name);
}

enum gw_route_status gw_route_msisdn(const struct gw_config *cfg, const struct gw_e164 *table,
                                     const char *msisdn, const char *forced, gw_carrier_up_fn up,
                                     void *arg, struct gw_route_plan *plan)
{
    char cc[3];
    int r = gw_e164_lookup(table, msisdn, cc, NULL);
    if (r != GW_E164_OK) {
        memset(plan, 0, sizeof *plan);
        /* The number itself is not repeated: it may be personal data. */
        return done(plan, GW_ROUTE_REJECT, "msisdn: %s", gw_e164_strerror(r));
    }
    return gw_route_country(cfg, cc, forced, up, arg, plan);
}
