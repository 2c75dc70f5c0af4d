-- 0005_holds.sql - PayPal holds of advanced replacements (SPEC §5.3) and the
-- finance exceptions they (and make-up payments) raise.
--
-- A hold is created with its PayPal order when the customer accepts the
-- pre-authorization agreement; it is authorized after the buyer approves on
-- PayPal, and ends voided (return received, waived, cancelled), captured
-- (deadline passed), expired (PayPal let it lapse) or failed (capture
-- declined after its retries).  Pending work is written on the row itself
-- (void_requested_at, refund_requested_minor, next_capture_at) so that a
-- request recorded while PayPal is down is finished by `rmactl run-jobs`.

-- The agreement the customer accepted, word for word.
CREATE TABLE preauth_acceptance (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id        bigint NOT NULL REFERENCES rma (id),
    customer_id   bigint NOT NULL REFERENCES customer (id),
    terms_version text NOT NULL CHECK (terms_version ~ '^[A-Za-z0-9._-]{1,32}$'),
    terms_text    text NOT NULL CHECK (length(terms_text) BETWEEN 1 AND 20000),
    amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
    currency      text NOT NULL REFERENCES currency (code),
    client_addr   text,
    accepted_at   timestamptz NOT NULL
);
CREATE INDEX preauth_acceptance_rma ON preauth_acceptance (rma_id);

CREATE TABLE hold (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id                bigint NOT NULL REFERENCES rma (id),
    acceptance_id         bigint NOT NULL REFERENCES preauth_acceptance (id),
    status                text NOT NULL CHECK (status IN (
                              'pending_approval', -- order created, buyer not back
                              'abandoned',        -- buyer cancelled, or superseded
                              'authorized',       -- funds held
                              'voided',           -- released
                              'captured',         -- charged
                              'expired',          -- PayPal let it lapse
                              'failed')),         -- capture declined for good
    currency              text NOT NULL REFERENCES currency (code),
    amount_minor          bigint NOT NULL CHECK (amount_minor > 0),
    order_id              text UNIQUE CHECK (length(order_id) BETWEEN 1 AND 64),
    approve_url           text CHECK (length(approve_url) <= 1024),
    -- The original authorization (voids target it) ...
    authorization_id      text UNIQUE CHECK (length(authorization_id) BETWEEN 1 AND 64),
    authorized_at         timestamptz,
    expires_at            timestamptz, -- PayPal's expiration_time (29 days)
    honor_until           timestamptz, -- end of the 3-day honor period
    -- ... and the one reauthorization (captures target it when it exists).
    reauth_status         text NOT NULL DEFAULT 'none'
                          CHECK (reauth_status IN ('none', 'succeeded', 'refused')),
    reauthorization_id    text UNIQUE CHECK (length(reauthorization_id) BETWEEN 1 AND 64),
    reauthorized_at       timestamptz,
    reauth_honor_until    timestamptz,
    deadline              timestamptz, -- return deadline (authorized_at + window)
    extensions            integer NOT NULL DEFAULT 0 CHECK (extensions >= 0),
    -- A release asked for (receipt, waiver, cancellation), done when voided_at.
    void_requested_at     timestamptz,
    void_reason           text CHECK (void_reason IN ('received', 'waived', 'cancelled')),
    voided_at             timestamptz,
    -- Capture.
    capture_attempts      integer NOT NULL DEFAULT 0 CHECK (capture_attempts >= 0),
    next_capture_at       timestamptz,
    capture_id            text UNIQUE CHECK (length(capture_id) BETWEEN 1 AND 64),
    capture_minor         bigint CHECK (capture_minor > 0),
    fee_minor             bigint CHECK (fee_minor >= 0),
    captured_at           timestamptz,
    capture_reason        text CHECK (capture_reason IN ('deadline', 'expiry_policy', 'manual')),
    -- Refund of the capture after a late return.
    refund_requested_minor bigint CHECK (refund_requested_minor > 0),
    refund_reason         text CHECK (length(refund_reason) BETWEEN 1 AND 500),
    refund_id             text UNIQUE CHECK (length(refund_id) BETWEEN 1 AND 64),
    refund_minor          bigint CHECK (refund_minor > 0),
    refunded_at           timestamptz,
    -- Reminder mails sent, by days before the deadline.
    reminded_days         integer[] NOT NULL DEFAULT '{}',
    ended_at              timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    CHECK (status = 'pending_approval' OR status = 'abandoned'
           OR (authorization_id IS NOT NULL AND authorized_at IS NOT NULL
               AND deadline IS NOT NULL AND expires_at IS NOT NULL)),
    CHECK (deadline IS NULL OR deadline <= expires_at),
    CHECK ((status = 'captured') = (capture_id IS NOT NULL)),
    CHECK (status <> 'voided' OR voided_at IS NOT NULL),
    CHECK (refund_minor IS NULL OR refund_minor <= capture_minor),
    CHECK (refund_requested_minor IS NULL OR refund_requested_minor <= capture_minor),
    CHECK (refund_id IS NULL OR status = 'captured'),
    CHECK (reauth_status <> 'succeeded' OR reauthorization_id IS NOT NULL)
);
-- At most one live hold per case.
CREATE UNIQUE INDEX hold_one_live ON hold (rma_id)
    WHERE status IN ('pending_approval', 'authorized');
CREATE INDEX hold_rma ON hold (rma_id);
-- The job's queries: authorized holds by deadline, pending releases/refunds.
CREATE INDEX hold_due ON hold (deadline) WHERE status = 'authorized';
CREATE INDEX hold_void_pending ON hold (void_requested_at)
    WHERE status = 'authorized' AND void_requested_at IS NOT NULL;
CREATE INDEX hold_refund_pending ON hold (id)
    WHERE refund_requested_minor IS NOT NULL AND refund_id IS NULL;

-- Outbound shipments (replacements, repaired units, resends).
CREATE TABLE shipment (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id          bigint NOT NULL REFERENCES rma (id),
    kind            text NOT NULL CHECK (kind IN ('replacement', 'repaired', 'resend')),
    carrier         text NOT NULL CHECK (length(carrier) BETWEEN 1 AND 40),
    tracking_number text NOT NULL CHECK (tracking_number ~ '^[A-Za-z0-9-]{6,40}$'),
    shipped_at      timestamptz NOT NULL,
    created_by      text NOT NULL
);
CREATE INDEX shipment_rma ON shipment (rma_id);

-- Returns received by the warehouse.  A unit whose S/N or UID does not match
-- the case is flagged: the hold is then not released automatically.
CREATE TABLE return_receipt (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id          bigint NOT NULL REFERENCES rma (id),
    condition       text NOT NULL CHECK (condition IN ('sealed', 'good', 'used', 'damaged', 'incomplete')),
    serial_number   text CHECK (serial_number ~ '^[A-Za-z0-9-]{4,40}$'),
    uid             text CHECK (uid ~ '^[A-Za-z0-9-]{4,64}$'),
    serial_match    boolean NOT NULL,
    notes           text CHECK (length(notes) <= 2000),
    received_at     timestamptz NOT NULL,
    created_by      text NOT NULL,
    CHECK (serial_number IS NOT NULL OR uid IS NOT NULL)
);
CREATE INDEX return_receipt_rma ON return_receipt (rma_id);

-- What finance must look at (SPEC §5.3.6, §5.5, §8): capture failures,
-- unmatched and short payments, ledger-verify findings.
CREATE TABLE finance_exception (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN (
                      'capture_failed', 'hold_expired', 'makeup_unmatched',
                      'makeup_underpaid', 'makeup_overpaid', 'makeup_duplicate',
                      'serial_mismatch', 'ledger_verify')),
    rma_id        bigint REFERENCES rma (id),
    hold_id       bigint REFERENCES hold (id),
    currency      text REFERENCES currency (code),
    amount_minor  bigint,
    detail        text NOT NULL CHECK (length(detail) BETWEEN 1 AND 2000),
    -- One exception per cause: a rerun of the job does not raise it twice.
    dedupe_key    text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL,
    resolved_at   timestamptz,
    resolved_by   text,
    resolution    text CHECK (length(resolution) BETWEEN 1 AND 2000),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX finance_exception_open ON finance_exception (created_at)
    WHERE resolved_at IS NULL;

-- Webhook events already processed (PayPal retries deliveries).
CREATE TABLE paypal_webhook_event (
    event_id      text PRIMARY KEY CHECK (length(event_id) BETWEEN 1 AND 64),
    event_type    text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
    resource_id   text CHECK (length(resource_id) <= 64),
    outcome       text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 200),
    received_at   timestamptz NOT NULL
);

GRANT SELECT, INSERT ON preauth_acceptance, shipment, return_receipt,
    paypal_webhook_event TO rma_app;
GRANT SELECT, INSERT, UPDATE ON hold TO rma_app;
GRANT SELECT, INSERT ON finance_exception TO rma_app;
GRANT UPDATE (resolved_at, resolved_by, resolution) ON finance_exception TO rma_app;
