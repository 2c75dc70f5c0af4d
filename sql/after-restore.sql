-- after-restore.sql - run once on a database restored from a backup, as the
-- schema owner, before rma-fcgi and `rmactl run-jobs` start (README
-- "Backups and restore"; tests/e2e/restore.sh drills it):
--
--   psql -v ON_ERROR_STOP=1 -d rma -f /usr/share/rma/after-restore.sql
--
-- A PayPal-Request-Id is made of a case's or a hold's id (rma-order-c42-1,
-- rma-capture-h42-1), and PayPal answers a request id it has already seen
-- with its first answer.  A backup older than the last PayPal call lacks
-- the cases and holds made since; without this script new ones would take
-- their ids, and so their request ids, and PayPal would answer them with
-- the lost cases' orders and captures.  The id sequences (and the RMA
-- numbers, which mail and customers quote) move past anything the lost
-- period can have used: 100000 cases and holds, 10000 case numbers.  The
-- cases and holds in the backup keep their ids, so that the job's replay of
-- their pending calls gets PayPal's first answers, as it must.  Running it
-- again only leaves a gap.
BEGIN;
SELECT setval(pg_get_serial_sequence('rma', 'id'),
              nextval(pg_get_serial_sequence('rma', 'id')) + 100000);
SELECT setval(pg_get_serial_sequence('hold', 'id'),
              nextval(pg_get_serial_sequence('hold', 'id')) + 100000);
SELECT setval('rma_number_seq', nextval('rma_number_seq') + 10000);
COMMIT;
