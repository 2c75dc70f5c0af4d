-- 0008_makeup.sql - make-up payment claims and their reconciliation with
-- PayPal's Transaction Search (SPEC §5.5, src/makeup.c).
--
-- A case may carry an amount due (rma.makeup_due_minor, with its reason).
-- The customer pays the vendor's PayPal account and claims it: the PayPal
-- transaction id they were shown and a screenshot (a payment_receipt
-- attachment of the same case).  The service looks the payment up, at once
-- and then from `rmactl run-jobs` with a doubling backoff while PayPal's
-- reporting lags, and settles the claim once: matched, underpaid, overpaid
-- (the payment booked in the ledger), unmatched or duplicate.  What is not
-- matched raises a finance exception (0005_holds.sql), which finance
-- resolves with a note.

CREATE TABLE makeup_claim (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id                 bigint NOT NULL REFERENCES rma (id),
    -- As the customer claimed it (upper case): the buyer's or the seller's id.
    transaction_id         text NOT NULL CHECK (transaction_id ~ '^[A-Z0-9]{17}$'),
    payment_receipt_id     bigint NOT NULL,
    payment_receipt_kind   text NOT NULL DEFAULT 'payment_receipt'
                           CHECK (payment_receipt_kind = 'payment_receipt'),
    -- The amount due when the claim was made, and why.
    currency               text NOT NULL REFERENCES currency (code),
    amount_due_minor       bigint NOT NULL CHECK (amount_due_minor > 0),
    reason                 text NOT NULL CHECK (reason IN ('shipping_fee',
                               'replacement_fee', 'repair_fee', 'restocking_fee')),
    submitted_by           text NOT NULL CHECK (length(submitted_by) BETWEEN 1 AND 254),
    submitted_at           timestamptz NOT NULL,
    status                 text NOT NULL DEFAULT 'pending' CHECK (status IN (
                               'pending', 'matched', 'underpaid', 'overpaid',
                               'unmatched', 'duplicate')),
    -- Why it is pending, unmatched or a duplicate (src/makeup.c).
    outcome_reason         text CHECK (outcome_reason IN ('not_found',
                               'not_completed', 'reversed', 'denied',
                               'not_a_credit', 'wrong_currency',
                               'already_claimed', 'search_failed')),
    -- The seller-side transaction the reconciliation found, and how.
    matched_transaction_id text CHECK (matched_transaction_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    match_method           text CHECK (match_method IN ('transaction_id',
                               'fallback_amount_email_date')),
    paid_minor             bigint CHECK (paid_minor > 0),  -- in currency
    fee_minor              bigint CHECK (fee_minor >= 0),
    transaction_at         timestamptz, -- PayPal's initiation date
    -- Reconciliation attempts (the first is made when the claim arrives).
    attempts               integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at        timestamptz,
    next_attempt_at        timestamptz,
    reconciled_at          timestamptz, -- when it left pending
    -- Finance's word on a claim that raised an exception.
    resolved_at            timestamptz,
    resolved_by            text CHECK (length(resolved_by) BETWEEN 1 AND 254),
    resolution             text CHECK (length(resolution) BETWEEN 1 AND 2000),
    -- The screenshot must be of this case and of the right kind.
    FOREIGN KEY (payment_receipt_id, rma_id, payment_receipt_kind)
        REFERENCES attachment (id, rma_id, kind),
    CHECK ((status = 'pending') = (reconciled_at IS NULL)),
    CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL),
    CHECK (status NOT IN ('matched', 'underpaid', 'overpaid')
           OR (matched_transaction_id IS NOT NULL AND match_method IS NOT NULL
               AND paid_minor IS NOT NULL AND fee_minor IS NOT NULL
               AND fee_minor <= paid_minor)),
    CHECK (status <> 'matched' OR paid_minor = amount_due_minor),
    CHECK (status <> 'underpaid' OR paid_minor < amount_due_minor),
    CHECK (status <> 'overpaid' OR paid_minor > amount_due_minor),
    CHECK ((match_method IS NULL) = (matched_transaction_id IS NULL)),
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),
    CHECK ((resolved_at IS NULL) = (resolution IS NULL)),
    CHECK (resolved_at IS NULL OR status IN ('underpaid', 'overpaid',
                                             'unmatched', 'duplicate'))
);
-- One payment is claimed by one case only, once.
CREATE UNIQUE INDEX makeup_claim_paid_transaction ON makeup_claim (matched_transaction_id)
    WHERE status IN ('matched', 'underpaid', 'overpaid');
-- A case pays once, and has at most one claim being checked.
CREATE UNIQUE INDEX makeup_claim_paid_case ON makeup_claim (rma_id)
    WHERE status IN ('matched', 'underpaid', 'overpaid');
CREATE UNIQUE INDEX makeup_claim_one_pending ON makeup_claim (rma_id)
    WHERE status = 'pending';
CREATE INDEX makeup_claim_rma ON makeup_claim (rma_id, id);
CREATE INDEX makeup_claim_due ON makeup_claim (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX makeup_claim_status ON makeup_claim (status, id);

-- The ledger's make-up payment entries name their claim (0006_ledger.sql).
ALTER TABLE journal_entry ADD CONSTRAINT journal_entry_makeup_fkey
    FOREIGN KEY (makeup_id) REFERENCES makeup_claim (id);

-- Make-up payment exceptions name their claim.
ALTER TABLE finance_exception ADD COLUMN makeup_id bigint REFERENCES makeup_claim (id);
CREATE INDEX finance_exception_makeup ON finance_exception (makeup_id)
    WHERE makeup_id IS NOT NULL;

-- One claim as JSON, for the customer (what the portal shows) or staff.
CREATE FUNCTION makeup_claim_json(p_claim bigint, p_staff boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', CASE WHEN p_staff THEN m.id END,
        'rma_number', CASE WHEN p_staff THEN r.number END,
        'status', m.status,
        'transaction_id', m.transaction_id,
        'submitted_at', iso_utc(m.submitted_at),
        'amount_due', money_json(m.amount_due_minor, m.currency),
        'reason', m.reason,
        'amount_paid', money_json(m.paid_minor, m.currency),
        'surplus', CASE WHEN m.status = 'overpaid'
                        THEN money_json(m.paid_minor - m.amount_due_minor, m.currency) END,
        'shortfall', CASE WHEN m.status = 'underpaid'
                          THEN money_json(m.amount_due_minor - m.paid_minor, m.currency) END,
        'reconciled_at', iso_utc(m.reconciled_at),
        'payment_receipt_id', m.payment_receipt_id,
        'outcome_reason', CASE WHEN p_staff THEN m.outcome_reason END,
        'matched_transaction_id', CASE WHEN p_staff THEN m.matched_transaction_id END,
        'match_method', CASE WHEN p_staff THEN m.match_method END,
        'fee', CASE WHEN p_staff THEN money_json(m.fee_minor, m.currency) END,
        'transaction_at', CASE WHEN p_staff THEN iso_utc(m.transaction_at) END,
        'attempts', CASE WHEN p_staff THEN m.attempts END,
        'next_attempt_at', CASE WHEN p_staff AND m.status = 'pending'
                                THEN iso_utc(m.next_attempt_at) END,
        'submitted_by', CASE WHEN p_staff THEN m.submitted_by END,
        'exception', CASE WHEN p_staff THEN (
            SELECT jsonb_strip_nulls(jsonb_build_object(
                'id', f.id, 'kind', f.kind, 'detail', f.detail,
                'created_at', iso_utc(f.created_at),
                'resolved_at', iso_utc(f.resolved_at),
                'resolved_by', f.resolved_by, 'resolution', f.resolution))
            FROM finance_exception f WHERE f.makeup_id = m.id
            ORDER BY f.id DESC LIMIT 1) END))
    FROM makeup_claim m JOIN rma r ON r.id = m.rma_id
    WHERE m.id = p_claim
$$;

GRANT SELECT, INSERT ON makeup_claim TO rma_app;
GRANT UPDATE (status, outcome_reason, matched_transaction_id, match_method,
    paid_minor, fee_minor, transaction_at, attempts, last_attempt_at,
    next_attempt_at, reconciled_at, resolved_at, resolved_by, resolution)
    ON makeup_claim TO rma_app;
GRANT EXECUTE ON FUNCTION makeup_claim_json(bigint, boolean) TO rma_app;
