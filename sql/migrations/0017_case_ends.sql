-- 0017_case_ends.sql - SPEC §14: a refund case is paid, and the ledger
-- books it.
--
-- 1. The original order records how it was paid: a PayPal capture (the
--    refund is a PayPal refund of it) or another method with a reference
--    (finance pays it out and records the payout).
-- 2. One refund payment per refund case, opened when the refund is due
--    (on receipt): due -> pending (PayPal still deciding) -> paid, or
--    failed (finance pays by other means).
-- 3. Two accounts and two kinds of entry: a sale refunded through PayPal
--    (sale_refund) or paid out by other means (refund_payout).

ALTER TABLE original_order
    ADD COLUMN payment_method text CHECK (payment_method IN ('paypal', 'other')),
    ADD COLUMN payment_capture_id text
        CHECK (payment_capture_id ~ '^[A-Za-z0-9-]{1,64}$'),
    ADD COLUMN payment_reference text
        CHECK (length(payment_reference) BETWEEN 1 AND 200),
    ADD CONSTRAINT original_order_payment_check CHECK (
        (payment_method IS NULL AND payment_capture_id IS NULL
         AND payment_reference IS NULL)
        OR (payment_method = 'paypal' AND payment_capture_id IS NOT NULL
            AND payment_reference IS NULL)
        OR (payment_method = 'other' AND payment_reference IS NOT NULL
            AND payment_capture_id IS NULL));

CREATE TABLE refund_payment (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id           bigint NOT NULL UNIQUE REFERENCES rma (id),
    method           text NOT NULL CHECK (method IN ('paypal', 'other')),
    currency         text NOT NULL REFERENCES currency (code),
    amount_minor     bigint NOT NULL
                     CHECK (amount_minor > 0 AND amount_minor <= 1000000000000),
    capture_id       text CHECK (capture_id ~ '^[A-Za-z0-9-]{1,64}$'),
    paypal_refund_id text UNIQUE CHECK (length(paypal_refund_id) BETWEEN 1 AND 64),
    reference        text CHECK (length(reference) BETWEEN 1 AND 200),
    status           text NOT NULL
                     CHECK (status IN ('due', 'pending', 'paid', 'failed')),
    failure          text CHECK (length(failure) BETWEEN 1 AND 500),
    requested_at     timestamptz NOT NULL,
    paid_at          timestamptz,
    paid_by          text CHECK (length(paid_by) BETWEEN 1 AND 254),
    updated_at       timestamptz NOT NULL,
    CHECK (method <> 'paypal' OR capture_id IS NOT NULL),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
    CHECK (status <> 'pending' OR paypal_refund_id IS NOT NULL),
    CHECK (status <> 'paid' OR paypal_refund_id IS NOT NULL
           OR reference IS NOT NULL)
);
CREATE INDEX refund_payment_open ON refund_payment (id)
    WHERE status IN ('due', 'pending');
GRANT SELECT, INSERT, UPDATE ON refund_payment TO rma_app;

INSERT INTO ledger_account (code, kind, description) VALUES
    ('revenue:sales_refunds', 'income',
     'refund cases: sales paid back to customers (a contra-revenue)'),
    ('bank:refund_payouts', 'asset',
     'refunds paid out by other means than PayPal (bank transfer, card)');

ALTER TABLE journal_entry DROP CONSTRAINT journal_entry_kind_check;
ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_kind_check
    CHECK (kind IN ('hold_authorized', 'hold_reauthorized', 'hold_voided',
                    'hold_expired', 'hold_captured', 'hold_failed',
                    'capture', 'refund', 'makeup_payment', 'adjustment',
                    'sale_refund', 'refund_payout'));
ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_sale_refund_check
    CHECK (kind <> 'sale_refund' OR paypal_id IS NOT NULL);
