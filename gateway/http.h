/* http.h — the metrics endpoint: GET /metrics over HTTP/1.1.
 *
 * Owned here: the listening socket and the libmicrohttpd daemon. It runs on
 * libmicrohttpd's own polling thread, never on the libev loop, and only
 * calls gw_metrics_render() (which reads relaxed atomics: see metrics.h), so
 * a slow or stuck scraper cannot delay the loop. */
#ifndef OTAGW_GATEWAY_HTTP_H
#define OTAGW_GATEWAY_HTTP_H

struct gw_metrics;
struct gw_http;

/* Listens on addr (numeric IPv4 or IPv6, e.g. "127.0.0.1", "::") port
 * (0 = any free port: see gw_http_port) and serves m until gw_http_stop.
 * Returns 0 and *out, or -errno (-EADDRINUSE, -EINVAL for a bad address,
 * -ENOMEM, -EIO when the HTTP thread cannot start). */
__attribute__((warn_unused_result)) int gw_http_start(struct gw_metrics *m, const char *addr,
                                                      unsigned port, struct gw_http **out);

/* The port actually bound. */
unsigned gw_http_port(const struct gw_http *h);

/* Stops the HTTP thread (waits for it) and closes the socket. NULL is a
 * no-op. */
void gw_http_stop(struct gw_http *h);

#endif
