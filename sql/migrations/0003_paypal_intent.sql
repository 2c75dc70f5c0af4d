-- 0003_paypal_intent.sql - durable intents of PayPal operations (SPEC §5.7).
--
-- A row is written BEFORE the call to PayPal, with the PayPal-Request-Id the
-- call will carry; the outcome is recorded after it.  A rerun after a crash,
-- a timeout or a 5xx finds the row and replays the same request id, so
-- PayPal does the operation once.  case_id and hold_id name the owner; they
-- become foreign keys once those tables exist.

CREATE TABLE paypal_intent (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation    text NOT NULL CHECK (operation IN (
                     'order_create', 'order_authorize',
                     'authorization_capture', 'authorization_reauthorize',
                     'authorization_void', 'capture_refund')),
    request_id   text NOT NULL UNIQUE
                 CHECK (request_id ~ '^[!-~]{1,108}$'),
    case_id      bigint CHECK (case_id > 0),
    hold_id      bigint CHECK (hold_id > 0),
    sequence     integer NOT NULL DEFAULT 1 CHECK (sequence >= 1),
    request      jsonb NOT NULL DEFAULT '{}'::jsonb,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
    http_status  integer CHECK (http_status IS NULL OR http_status BETWEEN 100 AND 599),
    paypal_id    text CHECK (length(paypal_id) BETWEEN 1 AND 64),
    response     jsonb,
    error_name   text CHECK (length(error_name) <= 64),
    error_issue  text CHECK (length(error_issue) <= 96),
    debug_id     text CHECK (length(debug_id) <= 64),
    attempts     integer NOT NULL DEFAULT 1 CHECK (attempts >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    CHECK (case_id IS NOT NULL OR hold_id IS NOT NULL),
    CHECK ((status IN ('succeeded', 'failed')) = (finished_at IS NOT NULL)),
    CHECK (updated_at >= created_at)
);

-- The job looks for intents whose outcome is still open.
CREATE INDEX paypal_intent_open ON paypal_intent (updated_at)
    WHERE status IN ('pending', 'unknown');
CREATE INDEX paypal_intent_case ON paypal_intent (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX paypal_intent_hold ON paypal_intent (hold_id) WHERE hold_id IS NOT NULL;

-- The service records and reads intents and their outcomes; it never changes
-- what an intent is (operation, request id, owner) and never deletes one.
GRANT SELECT, INSERT ON paypal_intent TO rma_app;
GRANT UPDATE (status, http_status, paypal_id, response, error_name,
              error_issue, debug_id, attempts, updated_at, finished_at)
    ON paypal_intent TO rma_app;
