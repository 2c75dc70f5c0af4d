-- 0023_case_mail.sql - the customer hears of every change (SPEC §14).
--
-- A week before an RMA number's validity ends, `rmactl run-jobs` warns the
-- customer once for that end: the end it warned of is kept, so a validity
-- extension (a later end) warns again and a second runner does not.
ALTER TABLE rma ADD COLUMN expiry_warned_for timestamptz;

-- A return that arrives after its hold was captured (SPEC §5.3, §14): the
-- customer's agreement promises a refund of the capture per the inspection's
-- outcome, approved by a supervisor.  The decision (an amount, possibly
-- none) is kept on the hold; until it is made the case is not complete.
ALTER TABLE hold
    ADD COLUMN refund_decided_at timestamptz,
    ADD COLUMN refund_decided_by text
        CHECK (length(refund_decided_by) BETWEEN 1 AND 254),
    ADD CHECK ((refund_decided_at IS NULL) = (refund_decided_by IS NULL));

-- An agent may ask the customer for a proof of purchase (SPEC §14, the
-- vendor's FAQ): when, and the agent's words.  The customer's detail shows
-- the request until a proof of purchase is uploaded after it.
ALTER TABLE rma
    ADD COLUMN proof_requested_at timestamptz,
    ADD COLUMN proof_request_note text
        CHECK (length(proof_request_note) BETWEEN 1 AND 500),
    ADD CHECK (proof_request_note IS NULL OR proof_requested_at IS NOT NULL);

CREATE FUNCTION rma_proof_json(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_strip_nulls(jsonb_build_object(
                   'requested_at', iso_utc(r.proof_requested_at),
                   'note', r.proof_request_note,
                   'received_at', (SELECT iso_utc(min(a.created_at))
                                   FROM attachment a WHERE a.rma_id = r.id
                                   AND a.kind = 'proof_of_purchase'
                                   AND a.created_at >= r.proof_requested_at)))
        FROM rma r WHERE r.id = p_rma AND r.proof_requested_at IS NOT NULL);
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
               'proof_of_purchase', rma_proof_json(p_rma),
               'order_payment', CASE WHEN p_staff
                                THEN order_payment_json(p_rma) END))
        || coalesce(rma_return_json(p_rma, p_staff), '{}');
END
$$;

GRANT EXECUTE ON FUNCTION rma_proof_json(bigint) TO rma_app;

-- The documents stored before this migration lack proof_of_purchase: every
-- one is rendered again at its next read (0021_read_cache.sql).
UPDATE rma_document SET revision = revision + 1, customer_doc = NULL,
    makeup_latest_id = NULL, makeup_latest_status = NULL, staff_doc = NULL;
