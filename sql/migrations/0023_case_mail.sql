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
