-- 0015_mail_notify.sql - wakes the mail sender (`rmactl mail-sender`) when
-- mail is queued, so that it goes out within seconds of its cause (SPEC
-- §14) instead of at the next `run-jobs`.
--
-- Every statement that inserts into mail_outbox sends a notification on
-- the channel rma_mail_outbox, which the senders LISTEN on.  PostgreSQL
-- delivers it when the inserting transaction commits (never for one rolled
-- back), so a woken sender finds the message committed; notifications of
-- one transaction with the same payload are folded into one.  The payload
-- is empty: a sender claims whatever is due (db_mail.c), exactly as
-- before, so a lost notification only delays a message until the sender's
-- next sweep.  One per statement, not per row: a bulk INSERT wakes the
-- senders once.

CREATE FUNCTION mail_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rma_mail_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER mail_outbox_notify AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION mail_outbox_notify();
