-- 0004_mail_outbox.sql - outgoing mail, written in the same transaction as
-- its cause and delivered later by mail_deliver_due (src/mail_send.c).
--
-- A message is due while sent_at and failed_at are NULL and next_attempt_at
-- has passed.  A sender claims it with FOR UPDATE SKIP LOCKED and a lease
-- (claimed_until), so several senders never deliver one message twice and a
-- sender that dies mid-send only delays it until the lease runs out.  Failed
-- messages are kept (failed_at set) for an operator to look at.

CREATE TABLE mail_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- 'login_code', 'action_required', 'hold_released', 'hold_captured',
    -- 'reminder', ...: new kinds need no migration.
    kind             text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{0,31}$'),
    rma_id           bigint,
    to_addr          text NOT NULL
                     CHECK (length(to_addr) BETWEEN 3 AND 254
                            AND position('@' IN to_addr) > 1
                            AND to_addr !~ '[[:space:][:cntrl:]<>,;]'),
    subject          text NOT NULL
                     CHECK (length(subject) BETWEEN 1 AND 500
                            AND subject !~ '[\r\n]'),
    body             text NOT NULL CHECK (octet_length(body) <= 65536),
    -- The left part of the Message-ID header (its domain is mail_from's);
    -- the same on every attempt, so a receiver can drop a duplicate.
    message_id       text NOT NULL UNIQUE
                     CHECK (message_id ~ '^[A-Za-z0-9.-]{16,64}$'),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    failed_at        timestamptz,
    last_error       text CHECK (length(last_error) <= 1000),
    claimed_until    timestamptz,
    CHECK (sent_at IS NULL OR failed_at IS NULL)
);

-- The senders' queue: only messages still to deliver.
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX mail_outbox_rma ON mail_outbox (rma_id) WHERE rma_id IS NOT NULL;

-- The service enqueues, claims and marks; it never deletes.
GRANT SELECT, INSERT, UPDATE ON mail_outbox TO rma_app;
