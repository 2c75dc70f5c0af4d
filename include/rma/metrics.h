/* metrics.h - Prometheus counters shared by all workers of one pool, and
 * the gauges read from the database at each scrape.
 *
 * The supervisor maps the counters (MAP_SHARED) before it forks, so any
 * worker answering /metrics reports the whole pool.  Updates are atomic.
 * What other processes do (the scheduled job, other pools) is read from
 * PostgreSQL instead (struct metrics_db), with one cheap statement. */
#ifndef RMA_METRICS_H
#define RMA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rma/buf.h"
#include "rma/err.h"

/* Maps counters for nroutes routes (plus one for unmatched paths). */
enum rma_err metrics_init(size_t nroutes);
/* route is an index into the route table, or -1 for unmatched. */
void metrics_observe(int route, int status, double seconds);
void metrics_count_db_error(void);
void metrics_count_worker_restart(void);
/* A PayPal call's final outcome (ok, rejected, unavailable, network) by
 * operation (paypal.c's names); counted in the worker that made it. */
void metrics_count_paypal(const char *op, const char *outcome);
/* A webhook whose signature could not be verified (api_webhook.c). */
void metrics_count_webhook_rejected(void);

#define METRICS_MAX_KINDS 16

/* The database's part of the metrics: db_metrics.h. */
struct metrics_db;

/* Appends the exposition text; route_names[i] labels route i; db (may be
 * NULL) is the database's part. */
enum rma_err metrics_render(struct buf *out, const char *const *route_names,
                            const char *const *route_methods,
                            const struct metrics_db *db);

#endif
