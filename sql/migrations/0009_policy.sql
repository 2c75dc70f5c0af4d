-- 0009_policy.sql - the vendors' refund, repair and RMA-validity policies
-- per product line (SPEC §4.1, §5.5; src/policy.c holds the rules).
--
-- product_line_policy is the configuration: one row per product line,
-- changed with an UPDATE by the operator (README, Configuration).  A case
-- follows the line of its first device.

CREATE TABLE product_line_policy (
    product_line        text PRIMARY KEY CHECK (product_line IN ('camera', 'nvr',
                            'doorbell', 'kit', 'accessory')),
    -- A refund is proposed until this many days after purchase (inclusive).
    refund_window_days  integer NOT NULL CHECK (refund_window_days BETWEEN 0 AND 365),
    -- The restocking fee kept from a refund, in basis points of the price.
    restocking_fee_bp   integer NOT NULL CHECK (restocking_fee_bp BETWEEN 0 AND 10000),
    -- Handling fee when a repair quote is declined, in basis points of it.
    decline_fee_bp      integer NOT NULL CHECK (decline_fee_bp BETWEEN 0 AND 10000),
    -- RMA number validity from approval (visible to the customer).
    validity_days       integer NOT NULL CHECK (validity_days BETWEEN 1 AND 730)
);
INSERT INTO product_line_policy VALUES
    ('camera', 30, 2500, 1000, 90),
    ('doorbell', 30, 2500, 1000, 90),
    ('nvr', 30, 2500, 1000, 90),
    ('kit', 30, 2500, 1000, 90),
    ('accessory', 30, 2500, 0, 90);

-- What the refund policy proposed at creation, and an agent's override.
ALTER TABLE rma
    ADD COLUMN refund_price_minor bigint CHECK (refund_price_minor >= 0),
    ADD COLUMN restocking_fee_minor bigint CHECK (restocking_fee_minor >= 0),
    ADD COLUMN refund_policy_note text CHECK (length(refund_policy_note) BETWEEN 1 AND 500),
    ADD COLUMN refund_override_reason text
        CHECK (length(refund_override_reason) BETWEEN 1 AND 500),
    ADD COLUMN validity_extension_days integer NOT NULL DEFAULT 0
        CHECK (validity_extension_days BETWEEN 0 AND 365);

-- A repair quote: one per case, made by the warehouse, decided by the
-- customer.  The amount is the case's make-up payment due (repair_fee).
CREATE TABLE repair_quote (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id              bigint NOT NULL UNIQUE REFERENCES rma (id),
    currency            text NOT NULL REFERENCES currency (code),
    amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
    basis               text NOT NULL CHECK (basis IN ('out_of_warranty', 'packaging_damage')),
    notes               text NOT NULL CHECK (length(notes) BETWEEN 1 AND 2000),
    quoted_by           text NOT NULL CHECK (length(quoted_by) BETWEEN 1 AND 254),
    quoted_at           timestamptz NOT NULL,
    decision            text CHECK (decision IN ('approved', 'declined')),
    handling_fee_minor  bigint CHECK (handling_fee_minor >= 0),
    decided_by          text CHECK (length(decided_by) BETWEEN 1 AND 254),
    decided_at          timestamptz,
    CHECK ((decision IS NULL) = (decided_at IS NULL)),
    CHECK ((decision IS NULL) = (decided_by IS NULL)),
    CHECK ((decision = 'declined') = (handling_fee_minor IS NOT NULL))
);

-- The product line of a case: its first device's.
CREATE FUNCTION rma_product_line(p_rma bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT m.product_line FROM rma_device d
    JOIN product_model m ON m.model = d.model
    WHERE d.rma_id = p_rma ORDER BY d.id LIMIT 1
$$;

-- When the RMA number stops being valid (src/policy.c policy_valid_until):
-- approval (visible_at) + the line's validity + extensions, exact seconds.
CREATE FUNCTION rma_valid_until(p_rma bigint) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT r.visible_at + make_interval(secs => (p.validity_days
                                                 + r.validity_extension_days) * 86400)
    FROM rma r JOIN product_line_policy p ON p.product_line = rma_product_line(r.id)
    WHERE r.id = p_rma
$$;

-- The policy part of a case's detail: the refund's fee and why, the
-- RMA number's validity while it can expire, the repair quote.
CREATE FUNCTION rma_policy_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'product_line', p.product_line,
        'refund', CASE WHEN r.refund_price_minor IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
            'price', money_json(r.refund_price_minor, r.currency),
            'restocking_fee', money_json(r.restocking_fee_minor, r.currency),
            'restocking_fee_percent', trim_scale(round(p.restocking_fee_bp / 100.0, 2))::text,
            'window_days', p.refund_window_days,
            'why', r.refund_policy_note,
            'overridden', r.refund_override_reason IS NOT NULL,
            'override_reason', CASE WHEN p_staff THEN r.refund_override_reason END)) END,
        'validity', CASE WHEN r.visible_at IS NOT NULL THEN jsonb_build_object(
            'days', p.validity_days,
            'extended_days', r.validity_extension_days,
            'valid_until', iso_utc(rma_valid_until(r.id)),
            'applies', r.status IN ('pending_confirm', 'confirmed', 'awaiting_return')
                       AND NOT (r.status = 'awaiting_return'
                                AND r.replacement_method IS NOT DISTINCT FROM 'advanced')) END,
        'quote', (SELECT jsonb_strip_nulls(jsonb_build_object(
                      'amount', money_json(q.amount_minor, q.currency),
                      'basis', q.basis, 'notes', q.notes,
                      'status', coalesce(q.decision, 'pending'),
                      'handling_fee', money_json(q.handling_fee_minor, q.currency),
                      'handling_fee_percent', trim_scale(round(p.decline_fee_bp / 100.0, 2))::text,
                      'quoted_at', iso_utc(q.quoted_at),
                      'decided_at', iso_utc(q.decided_at),
                      'quoted_by', CASE WHEN p_staff THEN q.quoted_by END))
                  FROM repair_quote q WHERE q.rma_id = r.id)))
    FROM rma r
    LEFT JOIN product_line_policy p ON p.product_line = rma_product_line(r.id)
    WHERE r.id = p_rma
$$;

GRANT SELECT ON product_line_policy TO rma_app;
GRANT SELECT, INSERT ON repair_quote TO rma_app;
GRANT UPDATE (decision, handling_fee_minor, decided_by, decided_at) ON repair_quote TO rma_app;
GRANT EXECUTE ON FUNCTION rma_product_line(bigint), rma_valid_until(bigint),
    rma_policy_json(bigint, boolean) TO rma_app;
