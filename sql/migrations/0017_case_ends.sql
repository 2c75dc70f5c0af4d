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

-- 4. Outbound shipments are visible (SPEC §14): in the customer's and the
--    staff detail, with a link to the carrier's tracking page; the refund
--    and, for staff, the order's payment.
CREATE FUNCTION tracking_url(p_carrier text, p_number text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE upper(regexp_replace(p_carrier, '[^A-Za-z]', '', 'g'))
        WHEN 'UPS' THEN 'https://www.ups.com/track?tracknum=' || p_number
        WHEN 'USPS' THEN
            'https://tools.usps.com/go/TrackConfirmAction?tLabels=' || p_number
        WHEN 'FEDEX' THEN 'https://www.fedex.com/fedextrack/?trknbr=' || p_number
        WHEN 'DHL' THEN
            'https://www.dhl.com/global-en/home/tracking.html?tracking-id='
            || p_number
        WHEN 'DHLEXPRESS' THEN
            'https://www.dhl.com/global-en/home/tracking.html?tracking-id='
            || p_number
        END
$$;

CREATE FUNCTION rma_shipments_json(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'kind', s.kind, 'carrier', s.carrier,
                   'tracking_number', s.tracking_number,
                   'tracking_url', tracking_url(s.carrier, s.tracking_number),
                   'shipped_at', iso_utc(s.shipped_at))) ORDER BY s.id), '[]')
        FROM shipment s WHERE s.rma_id = p_rma);
END
$$;

CREATE FUNCTION rma_refund_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_strip_nulls(jsonb_build_object(
                   'status', p.status, 'method', p.method,
                   'amount', money_json(p.amount_minor, p.currency),
                   'paid_at', iso_utc(p.paid_at),
                   'capture_id', CASE WHEN p_staff THEN p.capture_id END,
                   'paypal_refund_id', CASE WHEN p_staff THEN p.paypal_refund_id END,
                   'reference', CASE WHEN p_staff THEN p.reference END,
                   'failure', CASE WHEN p_staff THEN p.failure END))
        FROM refund_payment p WHERE p.rma_id = p_rma);
END
$$;

CREATE FUNCTION order_payment_json(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT CASE WHEN o.payment_method IS NOT NULL THEN jsonb_strip_nulls(
                   jsonb_build_object('method', o.payment_method,
                                      'capture_id', o.payment_capture_id,
                                      'reference', o.payment_reference)) END
        FROM rma r JOIN original_order o ON o.id = r.order_id WHERE r.id = p_rma);
END
$$;

CREATE OR REPLACE FUNCTION rma_detail_json(p_rma bigint, p_staff boolean)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN rma_json(p_rma, p_staff)
        || jsonb_strip_nulls(jsonb_build_object(
               'hold', hold_json(p_rma, p_staff),
               'makeup_payment', (SELECT makeup_claim_json(m.id, p_staff)
                                  FROM makeup_claim m WHERE m.rma_id = p_rma
                                  ORDER BY m.id DESC LIMIT 1),
               'policy', rma_policy_json(p_rma, p_staff),
               'shipments', rma_shipments_json(p_rma),
               'refund', rma_refund_json(p_rma, p_staff),
               'order_payment', CASE WHEN p_staff
                                THEN order_payment_json(p_rma) END))
        || coalesce(rma_return_json(p_rma, p_staff), '{}');
END
$$;

GRANT EXECUTE ON FUNCTION tracking_url(text, text),
    rma_shipments_json(bigint), rma_refund_json(bigint, boolean),
    order_payment_json(bigint) TO rma_app;

-- 5. Exceptions are one list, each resolvable by finance (SPEC §14): its
--    outcome, and the money that moved outside PayPal booked against
--    bank:other (collected from or paid to the customer by other means).
ALTER TABLE finance_exception
    ADD COLUMN outcome text CHECK (outcome IN ('closed', 'collected', 'paid_out')),
    ADD COLUMN outcome_amount_minor bigint
        CHECK (outcome_amount_minor > 0 AND outcome_amount_minor <= 1000000000000),
    ADD CONSTRAINT finance_exception_outcome_resolved
        CHECK (outcome IS NULL OR resolved_at IS NOT NULL),
    ADD CONSTRAINT finance_exception_outcome_amount_check
        CHECK ((outcome_amount_minor IS NOT NULL)
               = (outcome IS NOT NULL AND outcome IN ('collected', 'paid_out')));
GRANT UPDATE (outcome, outcome_amount_minor) ON finance_exception TO rma_app;

INSERT INTO ledger_account (code, kind, description) VALUES
    ('bank:other', 'asset',
     'money collected from or paid to customers outside PayPal'),
    ('expense:adjustments', 'expense',
     'corrections finance books when resolving a ledger finding');
