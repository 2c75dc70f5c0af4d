-- 0020_paypal_token.sql - PayPal's OAuth access token, shared by the
-- processes that call PayPal (`rmactl run-jobs` is a new process each time
-- its timer fires, and would otherwise ask for a new token every run).
--
-- One row per PayPal account: client_id_hash is the SHA-256 (hex) of the
-- base URL and client id, so that another account or environment never
-- reuses a token.  expires_at is when the token stops being used (already
-- a margin before PayPal's expiry); a token PayPal rejects is replaced by
-- the one fetched instead.

CREATE TABLE paypal_token (
    client_id_hash text PRIMARY KEY CHECK (client_id_hash ~ '^[0-9a-f]{64}$'),
    access_token   text NOT NULL
                   CHECK (length(access_token) BETWEEN 1 AND 2048),
    expires_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON paypal_token TO rma_app;
