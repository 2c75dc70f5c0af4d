-- 0018_monitoring.sql - what GET /metrics reads for the alert rules of
-- contrib/prometheus/rma-alerts.yml, each cheaply (src/db_metrics.c).
--
-- 1. The scheduled job is a process of its own (`rmactl run-jobs`, from a
--    timer, on one host or several): each pass records its end here, so
--    that any worker can say when the job last ran and last succeeded.
--    One row per job; a pass updates it, nothing grows.
-- 2. Partial indexes for the counts that would otherwise scan a table
--    that only grows: mail given up on, and captures PayPal refused.  Both
--    stay small (they are what should not happen).

CREATE TABLE job_run (
    job               text PRIMARY KEY CHECK (job IN ('run-jobs')),
    runs              bigint NOT NULL DEFAULT 0 CHECK (runs >= 0),
    failed_runs       bigint NOT NULL DEFAULT 0
                      CHECK (failed_runs BETWEEN 0 AND runs),
    last_started_at   timestamptz NOT NULL,
    last_finished_at  timestamptz NOT NULL,
    last_succeeded_at timestamptz,
    CHECK (last_finished_at >= last_started_at)
);

CREATE INDEX mail_outbox_failed ON mail_outbox (failed_at)
    WHERE failed_at IS NOT NULL;
CREATE INDEX paypal_intent_capture_failed ON paypal_intent (finished_at)
    WHERE operation = 'authorization_capture' AND status = 'failed';

GRANT SELECT, INSERT, UPDATE ON job_run TO rma_app;
