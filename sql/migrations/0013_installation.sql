-- 0013_installation.sql - this installation's random identity, made once
-- by the database when this migration runs (SPEC §16).
--
-- PayPal-Request-Ids were "rma-<op>-h<hold id>-<attempt>": the same in
-- every installation sharing a PayPal account, and again after a backup
-- was restored (the hold ids repeat), so PayPal, which answers a request
-- id it has seen with its first answer, would have replayed another hold's
-- capture.  Every request id now carries request_id_prefix
-- ("rma-<prefix>-capture-h42-1"), read once per connection by the service
-- (db_paypal.c).  Intents recorded before keep their request ids: a rerun
-- replays them as PayPal first saw them.
--
-- The value is random (PostgreSQL 15's built-in gen_random_uuid, with the
-- clock, through md5: 64 bits as 16 hex digits).  A restored backup brings
-- its prefix with it: after restoring one into another installation, or
-- an older one over this installation, give it a new prefix as the schema
-- owner before the service starts (README, Backups).

CREATE TABLE installation (
    -- One row: the key can only be true.
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    request_id_prefix  text NOT NULL UNIQUE CHECK (request_id_prefix ~ '^[0-9a-f]{16}$'),
    created_at         timestamptz NOT NULL DEFAULT now()
);

INSERT INTO installation (request_id_prefix)
VALUES (left(md5(gen_random_uuid()::text || clock_timestamp()::text
                 || random()::text), 16));

-- The service reads it; only the schema owner changes it.
GRANT SELECT ON installation TO rma_app;

