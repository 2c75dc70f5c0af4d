-- 0023_case_mail.sql - the customer hears of every change (SPEC §14).
--
-- A week before an RMA number's validity ends, `rmactl run-jobs` warns the
-- customer once for that end: the end it warned of is kept, so a validity
-- extension (a later end) warns again and a second runner does not.
ALTER TABLE rma ADD COLUMN expiry_warned_for timestamptz;
