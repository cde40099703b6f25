/* daemon.h — the gateway's main job: one libev loop that takes jobs from
 * Redis, turns each into a secured command packet, sends it through the
 * carrier its destination routes to, and follows it to its end (docs/
 * DESIGN.md "The way a job travels"; docs/daemon.md for the wiring).
 *
 * Owned by gateway/daemon.c: the loop, the queue (queue/jobq.h), one link
 * per carrier (gateway/bind.h), the PoR reassembly table and index
 * (queue/porlookup.h), the metrics registry and endpoint, the signal
 * watchers and the graceful stop. The configuration, keystore and E.164
 * table are the caller's (otagw.c loads them) and must outlive the daemon;
 * the daemon never copies key material out of the keystore. */
#ifndef OTAGW_GATEWAY_DAEMON_H
#define OTAGW_GATEWAY_DAEMON_H

#include <stddef.h>

#include "gateway/config.h"
#include "gateway/e164.h"
#include "gateway/keystore.h"

struct ev_loop;
struct gw_daemon;

/* Builds the daemon on loop: checks Redis (blocking, once: a refused
 * password or an old server is an error here, not a retry loop), parses the
 * [applet] profiles, creates the queue, the links (they start connecting)
 * and, when metrics_port != 0, the /metrics endpoint. Returns NULL with a
 * one-line reason in err. */
struct gw_daemon *gw_daemon_new(struct ev_loop *loop, const struct gw_config *cfg,
                                const struct gw_keystore *keys, const struct gw_e164 *e164,
                                char *err, size_t errlen);

/* Runs the loop until a graceful stop completes (SIGTERM or SIGINT, or
 * gw_daemon_stop). SIGPIPE is ignored. Returns 0 when the stop drained
 * everything, 1 when the drain timed out (what was left is handed back to
 * Redis: nothing is lost, it is retried by this or another instance). */
int gw_daemon_run(struct gw_daemon *d);

/* Starts the graceful stop: stop taking jobs, drain every carrier (queued
 * SMs come back unsent and their jobs are released; SMs in flight get their
 * answers), wait for the queue to record every outcome, then leave the loop.
 * Bounded by the drain timeout. Idempotent. */
void gw_daemon_stop(struct gw_daemon *d);

/* Checks every [applet NAME] profile the way the daemon loads them
 * (ota_applet_from_kv). Returns 0, or -1 with "applet NAME: key ...: ..." in
 * err. For --check-config: a profile ota/ refuses stops the daemon. */
__attribute__((warn_unused_result)) int gw_daemon_check_applets(const struct gw_config *cfg,
                                                                char *err, size_t errlen);

/* Frees everything (the links close at once). NULL is a no-op. */
void gw_daemon_free(struct gw_daemon *d);

#endif
