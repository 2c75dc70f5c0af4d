-- 0001_base.sql - the service role and staff tokens.
--
-- The service connects as a login role that is a member of rma_app
-- (CREATE ROLE rma_web LOGIN IN ROLE rma_app); rma_app holds exactly the
-- rights the service needs.  Migrations run as the schema owner.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rma_app') THEN
        CREATE ROLE rma_app NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO rma_app;

CREATE TABLE staff_token (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role        text NOT NULL
                CHECK (role IN ('agent', 'supervisor', 'warehouse', 'finance', 'admin')),
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);

-- One active token per name; revoked ones stay for the audit trail.
CREATE UNIQUE INDEX staff_token_active_name ON staff_token (name)
    WHERE revoked_at IS NULL;

-- The service only reads tokens; rmactl (as the owner) creates and revokes.
GRANT SELECT ON staff_token TO rma_app;
