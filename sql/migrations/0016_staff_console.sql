-- 0016_staff_console.sql - staff are people (SPEC §15): accounts with an
-- e-mail, a name and a role, signed in to the console by a one-time code
-- like customers, with sessions of their own; and the bits the console's
-- notifications and administration need.
--
-- A person's actions are audited under their e-mail address (the actor
-- name of audit_event), so four eyes (api_staff_rma.c) holds for people as
-- it does for token names.  An account is never deleted: deactivation
-- keeps it (and so the name behind every audit event), ends its sessions
-- and frees its address for a new account.

CREATE TABLE staff_account (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text NOT NULL
                    CHECK (email = lower(btrim(email))
                           AND length(email) BETWEEN 3 AND 254
                           AND position('@' IN email) > 1
                           AND email ~ '^[!-~]+$'),
    name            text NOT NULL
                    CHECK (length(name) BETWEEN 1 AND 100
                           AND name !~ '[[:cntrl:]]'),
    role            text NOT NULL
                    CHECK (role IN ('agent', 'supervisor', 'warehouse', 'finance', 'admin')),
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 254),
    deactivated_at  timestamptz,
    deactivated_by  text CHECK (length(deactivated_by) BETWEEN 1 AND 254),
    last_sign_in_at timestamptz,
    -- The UTC day of the last queue digest mailed (src/staff_notify.c).
    digest_sent_on  date,
    CHECK ((deactivated_at IS NULL) = (deactivated_by IS NULL)),
    CHECK (deactivated_at IS NULL OR deactivated_at >= created_at)
);
-- One active account per address; deactivated ones stay for the audit trail.
CREATE UNIQUE INDEX staff_account_active_email ON staff_account (email)
    WHERE deactivated_at IS NULL;

-- Staff sign-in codes: the customers' scheme (0002_cases.sql, login_code)
-- in a table of its own, so that a customer's code and a person's never
-- replace or stand for each other.
CREATE TABLE staff_login_code (
    email       text PRIMARY KEY,
    code_hmac   bytea NOT NULL CHECK (length(code_hmac) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    tries       integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    used_at     timestamptz
);

CREATE TABLE staff_session (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    staff_id      bigint NOT NULL REFERENCES staff_account (id),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX staff_session_staff ON staff_session (staff_id)
    WHERE revoked_at IS NULL;

-- The console's queues read cases by status and age, oldest first.
CREATE INDEX audit_event_rma_to_status ON audit_event (rma_id, to_status)
    WHERE to_status IS NOT NULL;

-- The warehouse scan box finds a parcel by its return tracking number.
CREATE INDEX return_submission_tracking ON return_submission (tracking_number);
CREATE INDEX shipment_tracking ON shipment (upper(tracking_number));

GRANT SELECT, INSERT ON staff_account TO rma_app;
GRANT UPDATE (deactivated_at, deactivated_by, last_sign_in_at, digest_sent_on)
    ON staff_account TO rma_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON staff_login_code, staff_session TO rma_app;

-- The admin page lists, creates and revokes bearer tokens (a token is shown
-- once; only its SHA-256 is stored), as `rmactl token` does as the owner.
-- The service may set revoked_at and nothing else, and a revoked token
-- stays revoked: not even the service brings one back.
GRANT INSERT ON staff_token TO rma_app;
GRANT UPDATE (revoked_at) ON staff_token TO rma_app;

CREATE FUNCTION staff_token_revoke_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'a revoked token stays revoked'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER staff_token_revoke_only BEFORE UPDATE OF revoked_at ON staff_token
    FOR EACH ROW EXECUTE FUNCTION staff_token_revoke_only();

-- Likewise a deactivated person stays deactivated (a new account is made
-- for their address if they come back).
CREATE FUNCTION staff_account_deactivate_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.deactivated_at IS NOT NULL
       AND (NEW.deactivated_at IS DISTINCT FROM OLD.deactivated_at
            OR NEW.deactivated_by IS DISTINCT FROM OLD.deactivated_by) THEN
        RAISE EXCEPTION 'a deactivated account stays deactivated'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER staff_account_deactivate_only
    BEFORE UPDATE OF deactivated_at, deactivated_by ON staff_account
    FOR EACH ROW EXECUTE FUNCTION staff_account_deactivate_only();
