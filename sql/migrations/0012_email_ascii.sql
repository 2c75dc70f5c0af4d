-- 0012_email_ascii.sql - one rule for e-mail addresses from a case's
-- creation to the message's delivery: printable ASCII only (SPEC §12).
--
-- Mail goes out without SMTPUTF8, so a non-ASCII address could be stored
-- with a case but never be sent a sign-in code: /auth/code answered 400
-- for it (and 202 for an unknown one: an existence leak) and the customer
-- could never sign in.  The service now refuses such an address at the
-- edge (422 invalid_email, for creation and for /auth/code alike); these
-- constraints hold the same rule in the database.  NOT VALID: a customer
-- stored before stays readable (and still cannot sign in: change the
-- address).

ALTER TABLE customer
    ADD CONSTRAINT customer_email_ascii CHECK (email ~ '^[!-~]+$') NOT VALID;

ALTER TABLE mail_outbox
    ADD CONSTRAINT mail_outbox_to_addr_ascii CHECK (to_addr ~ '^[!-~]+$') NOT VALID;
