-- 0011_money_bounds.sql - every stored amount is at most 10^12 minor units
-- (ten billion in a two-decimal currency), the bound the service applies
-- to every money input and every sum (money.h, MONEY_MAX_MINOR; SPEC §16).
--
-- A unit price near 2^63 times a quantity used to overflow: undefined
-- behaviour in C, and "bigint out of range" on every later read of the
-- case.  The service now refuses such input with 422 amount_out_of_range;
-- these constraints are the last line of defence.  They are added NOT
-- VALID: every row written or updated from now on is checked, and a
-- database that stored an out-of-range amount before this migration still
-- upgrades (find such rows with ALTER TABLE ... VALIDATE CONSTRAINT).

ALTER TABLE order_item
    ADD CONSTRAINT order_item_unit_price_bounded
        CHECK (unit_price_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT order_item_line_total_bounded
        CHECK (quantity * unit_price_minor <= 1000000000000) NOT VALID;

ALTER TABLE rma
    ADD CONSTRAINT rma_refund_bounded
        CHECK (refund_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT rma_replacement_bounded
        CHECK (replacement_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT rma_makeup_due_bounded
        CHECK (makeup_due_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT rma_refund_price_bounded
        CHECK (refund_price_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT rma_restocking_fee_bounded
        CHECK (restocking_fee_minor <= 1000000000000) NOT VALID;

ALTER TABLE preauth_acceptance
    ADD CONSTRAINT preauth_acceptance_amount_bounded
        CHECK (amount_minor <= 1000000000000) NOT VALID;

ALTER TABLE hold
    ADD CONSTRAINT hold_amount_bounded
        CHECK (amount_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT hold_capture_bounded
        CHECK (capture_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT hold_fee_bounded
        CHECK (fee_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT hold_refund_requested_bounded
        CHECK (refund_requested_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT hold_refund_bounded
        CHECK (refund_minor <= 1000000000000) NOT VALID;

ALTER TABLE finance_exception
    ADD CONSTRAINT finance_exception_amount_bounded
        CHECK (amount_minor BETWEEN -1000000000000 AND 1000000000000) NOT VALID;

ALTER TABLE posting
    ADD CONSTRAINT posting_amount_bounded
        CHECK (amount_minor BETWEEN -1000000000000 AND 1000000000000) NOT VALID;

ALTER TABLE makeup_claim
    ADD CONSTRAINT makeup_claim_amount_due_bounded
        CHECK (amount_due_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT makeup_claim_paid_bounded
        CHECK (paid_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT makeup_claim_fee_bounded
        CHECK (fee_minor <= 1000000000000) NOT VALID;

ALTER TABLE repair_quote
    ADD CONSTRAINT repair_quote_amount_bounded
        CHECK (amount_minor <= 1000000000000) NOT VALID,
    ADD CONSTRAINT repair_quote_handling_fee_bounded
        CHECK (handling_fee_minor <= 1000000000000) NOT VALID;
