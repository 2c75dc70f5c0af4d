-- 0014_case_ops.sql - SPEC §16: a hold exists only on a case in advanced
-- replacement awaiting it, enforced here as well as by the case
-- operations (src/case_ops.c), which lock the case row before they create
-- or authorize a hold.
--
-- 1. A new hold (pending_approval) needs its case in awaiting_preauth with
--    the advanced method; a hold becomes authorized without a release
--    requested only on such a case.  An authorization PayPal made for a
--    case that left the path meanwhile is recorded with its void requested
--    (void_reason 'stray'), so that the job releases it.
-- 2. An order's creation time: PayPal drops an unapproved order after 3
--    hours, so a customer who continues later gets a new one.
-- 3. Finance exceptions for a stray hold (the job's sweep), a PayPal
--    void refused for a reason other than an ended authorization, and an
--    answer of PayPal's about another resource than the one asked for.

ALTER TABLE hold ADD COLUMN order_created_at timestamptz;

ALTER TABLE hold DROP CONSTRAINT hold_void_reason_check;
ALTER TABLE hold ADD CONSTRAINT hold_void_reason_check
    CHECK (void_reason IN ('received', 'waived', 'cancelled', 'stray'));

ALTER TABLE finance_exception DROP CONSTRAINT finance_exception_kind_check;
ALTER TABLE finance_exception ADD CONSTRAINT finance_exception_kind_check
    CHECK (kind IN ('capture_failed', 'hold_expired', 'makeup_unmatched',
                    'makeup_underpaid', 'makeup_overpaid', 'makeup_duplicate',
                    'serial_mismatch', 'ledger_verify', 'stray_hold',
                    'void_refused', 'paypal_mismatch', 'refund_failed'));

CREATE FUNCTION hold_case_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s text;
    m text;
BEGIN
    IF NEW.status = 'pending_approval' AND TG_OP = 'INSERT'
       OR (NEW.status = 'authorized' AND TG_OP = 'UPDATE'
           AND OLD.status <> 'authorized' AND NEW.void_requested_at IS NULL)
    THEN
        SELECT status, replacement_method INTO s, m FROM rma
         WHERE id = NEW.rma_id;
        IF s IS DISTINCT FROM 'awaiting_preauth'
           OR m IS DISTINCT FROM 'advanced' THEN
            RAISE EXCEPTION 'a hold needs its case awaiting the pre-authorization'
                USING ERRCODE = 'check_violation',
                      DETAIL = format('case %s is %s, method %s',
                                      NEW.rma_id, s, coalesce(m, 'none'));
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER hold_case_check BEFORE INSERT OR UPDATE OF status ON hold
    FOR EACH ROW EXECUTE FUNCTION hold_case_check();

-- 4. Webhooks (SPEC §16): a transmission id is taken once, whatever the
--    body (PayPal's signature covers only a CRC32 of it).
ALTER TABLE paypal_webhook_event ADD COLUMN transmission_id text UNIQUE
    CHECK (length(transmission_id) BETWEEN 1 AND 128);

-- 5. PayPal's answers are believed only for what they say (SPEC §16): a
--    capture or refund answered PENDING is booked when PayPal completes it
--    (the job's GET, or a webhook's trigger), never before; a refund PayPal
--    failed is not asked again.
ALTER TABLE hold ADD COLUMN pending_capture_id text UNIQUE
    CHECK (length(pending_capture_id) BETWEEN 1 AND 64);
ALTER TABLE hold ADD COLUMN pending_refund_id text UNIQUE
    CHECK (length(pending_refund_id) BETWEEN 1 AND 64);
ALTER TABLE hold ADD COLUMN refund_failed_at timestamptz;
ALTER TABLE hold ADD CONSTRAINT hold_pending_capture_live
    CHECK (pending_capture_id IS NULL OR status = 'authorized');
ALTER TABLE hold ADD CONSTRAINT hold_pending_refund_captured
    CHECK (pending_refund_id IS NULL OR (status = 'captured' AND refund_id IS NULL));

-- 6. Make-up claims (SPEC §16): a payment from another PayPal account than
--    the customer's goes to finance.
ALTER TABLE makeup_claim DROP CONSTRAINT makeup_claim_outcome_reason_check;
ALTER TABLE makeup_claim ADD CONSTRAINT makeup_claim_outcome_reason_check
    CHECK (outcome_reason IN ('not_found', 'not_completed', 'reversed',
                              'denied', 'not_a_credit', 'wrong_currency',
                              'already_claimed', 'search_failed',
                              'payer_differs'));
