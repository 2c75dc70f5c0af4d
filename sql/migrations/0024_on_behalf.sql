-- 0024_on_behalf.sql - staff submit for the customer what the vendor's FAQ
-- says agents may (SPEC §14): the return's information and a make-up
-- payment's transaction, told on the phone or by mail.  Such submissions
-- are marked on_behalf and may come without the customer's pictures (the
-- shipping label, the postage receipt, the payment's screenshot); the
-- customer's own always have them.
ALTER TABLE return_submission
    ALTER COLUMN shipping_label_id DROP NOT NULL,
    ALTER COLUMN postage_receipt_id DROP NOT NULL,
    ADD COLUMN on_behalf boolean NOT NULL DEFAULT false,
    ADD CHECK (on_behalf OR (shipping_label_id IS NOT NULL
                             AND postage_receipt_id IS NOT NULL));

ALTER TABLE makeup_claim
    ALTER COLUMN payment_receipt_id DROP NOT NULL,
    ADD COLUMN on_behalf boolean NOT NULL DEFAULT false,
    ADD CHECK (on_behalf OR payment_receipt_id IS NOT NULL);
