/* route.h — which carriers may take a message to a destination, in order.
 *
 * Owned by gateway/route.c; pure (no I/O, no clock): the caller says which
 * carriers are up through a predicate, so the same function serves the
 * daemon, otactl and the tests.
 *
 * Semantics (docs/config.md, "Routing and policy"):
 *  1. The destination's country comes from the E.164 table (or is given).
 *  2. The route list is [route] XX if there is one, else [route] default.
 *  3. If [policy] XX = local-only, only carriers whose `countries` list XX
 *     may be used: the route list is filtered to them; if that leaves none,
 *     every configured carrier serving XX is used, in configuration order
 *     (a local-only country needs no route of its own). If no configured
 *     carrier serves XX at all, the job is rejected: it is never sent
 *     through a roaming route.
 *  4. A forced carrier (the job's `carrier` field) replaces the route list,
 *     but the policy still applies to it.
 *  5. Carriers that are not up are dropped; the first left is used, the
 *     next ones are the failover order. If none is left the answer is
 *     "retry later", distinct from "reject". */
#ifndef OTAGW_GATEWAY_ROUTE_H
#define OTAGW_GATEWAY_ROUTE_H

#include <stddef.h>

#include "gateway/config.h"
#include "gateway/e164.h"

enum gw_route_status {
    GW_ROUTE_OK = 0,     /* plan.carriers[0..n) usable now, in order */
    GW_ROUTE_REJECT = 1, /* never deliverable with this configuration */
    GW_ROUTE_RETRY = 2,  /* compliant carriers exist, none is up now */
};

/* 1 when carrier `index` (into cfg->carriers) is bound and may take
 * traffic now. */
typedef int (*gw_carrier_up_fn)(void *arg, unsigned index);

struct gw_route_plan {
    char country[3];
    unsigned n; /* usable carriers, in order */
    unsigned carriers[GW_MAX_CARRIERS];
    unsigned ncompliant; /* carriers allowed before the up filter */
    char reason[192];    /* why, for REJECT and RETRY (an event's detail) */
};

/* Routes to an ISO 3166-1 alpha-2 country. forced: a carrier name, or NULL
 * or "" for none. up: NULL means every carrier is up. Fills plan (always,
 * also its reason) and returns its status. */
enum gw_route_status gw_route_country(const struct gw_config *cfg, const char *country,
                                      const char *forced, gw_carrier_up_fn up, void *arg,
                                      struct gw_route_plan *plan);

/* The same for an MSISDN, through the E.164 table. A number that is not
 * E.164 or has no country in the table is a REJECT. */
enum gw_route_status gw_route_msisdn(const struct gw_config *cfg, const struct gw_e164 *table,
                                     const char *msisdn, const char *forced, gw_carrier_up_fn up,
                                     void *arg, struct gw_route_plan *plan);

const char *gw_route_status_name(enum gw_route_status s);

#endif
