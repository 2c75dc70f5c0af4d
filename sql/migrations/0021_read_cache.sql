-- 0021_read_cache.sql - the rendered documents of the read paths, kept
-- correct by the database itself (SPEC §11, issue 18).
--
-- Building a case's detail (rma_detail_json) costs about 0.9 ms of the
-- database's CPU; an API read should cost about one indexed row fetch.
-- rma_document holds each case's rendered documents (the customer's
-- detail, the staff detail with its timeline).  A read fetches the row by
-- its key; when the document is missing it renders it and stores it
-- (src/db_rma.c).
--
-- The customer's list is not stored: its row would be one per customer,
-- and every transaction changing any of a customer's cases would hold that
-- row's lock to its end, so two jobs settling holds of one customer's
-- cases in different orders deadlocked (bench/capture.sh: 38 deadlocks in
-- one run).  The list is one query on rma's customer index instead.
--
-- Correctness does not depend on any write path remembering the cache:
-- a trigger on every table the documents are built from marks the
-- documents stale, in the same transaction as the change, by bumping the
-- row's revision and clearing them.  A reader stores what it rendered
-- only if the revision is still the one it saw before rendering
-- (INSERT ... ON CONFLICT DO UPDATE ... WHERE revision = seen), in one
-- statement whose snapshot rendered the document:
--   - a change committed before that statement's snapshot has bumped the
--     revision, so the store does nothing;
--   - a change not yet committed holds the row's lock from its trigger:
--     the store waits for it, then sees the new revision and does nothing;
--   - a change whose trigger runs after the store clears what was stored.
-- The documents hold nothing that depends on the time of reading (they
-- are built from stored timestamps only); what depends on the viewer or
-- the request (actions, the hold's agreement, upload limits) is added in
-- C per request, as before.

-- One row per case once it has been created or read.
CREATE TABLE rma_document (
    rma_id               bigint PRIMARY KEY REFERENCES rma (id) ON DELETE CASCADE,
    revision             bigint NOT NULL DEFAULT 1,
    customer_doc         text,   -- rma_detail_json(id, false); NULL: stale
    makeup_latest_id     bigint, -- the customer's actions depend on these
    makeup_latest_status text,
    staff_doc            text    -- rma_staff_document(id); NULL: stale
);


-- The timeline of a case ($2: as staff see it), oldest first.
CREATE FUNCTION rma_events_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
        'at', iso_utc(e.at), 'action', e.action,
        'from_status', e.from_status, 'to_status', e.to_status,
        'actor', CASE WHEN p_staff THEN jsonb_build_object('kind', e.actor_kind,
            'name', e.actor_name, 'role', e.actor_role)
            ELSE jsonb_build_object('kind', e.actor_kind, 'name',
            CASE e.actor_kind WHEN 'customer' THEN 'You'
            WHEN 'staff' THEN 'RMA team' ELSE 'System' END) END,
        'on_behalf', e.on_behalf, 'comment', e.detail ->> 'comment',
        'reason', e.detail ->> 'reason')) ORDER BY e.id), '[]')
        FROM audit_event e WHERE e.rma_id = p_rma AND (p_staff OR NOT (
            coalesce(e.to_status, '') IN ('draft', 'pending_review')
            OR e.action IN ('create', 'edit'))));
END
$$;

-- The staff detail: the case's detail and its timeline.
CREATE FUNCTION rma_staff_document(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN jsonb_build_object('events', rma_events_json(p_rma, true))
        || rma_detail_json(p_rma, true);
END
$$;

-- The customer's list: cases they can see, open ones first, newest first.
CREATE FUNCTION rma_list_json(p_customer bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'number', r.number, 'kind', r.kind, 'status', r.status,
        'in_progress', r.status NOT IN ('completed', 'cancelled', 'expired'),
        'updated_at', iso_utc(r.updated_at),
        'devices', (SELECT coalesce(jsonb_agg(d.model ORDER BY d.id), '[]')
                    FROM rma_device d WHERE d.rma_id = r.id))
        ORDER BY r.status IN ('completed', 'cancelled', 'expired'),
        r.updated_at DESC, r.id DESC), '[]')
        FROM rma r WHERE r.customer_id = p_customer
        AND r.status NOT IN ('draft', 'pending_review'));
END
$$;

-- ---- marking documents stale ----

CREATE FUNCTION rma_document_stale(p_rma bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_rma IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO rma_document AS d (rma_id) VALUES (p_rma)
    ON CONFLICT (rma_id) DO UPDATE SET revision = d.revision + 1,
        customer_doc = NULL, makeup_latest_id = NULL,
        makeup_latest_status = NULL, staff_doc = NULL;
END
$$;

-- Every document stale: a reference table changed (rare).
CREATE FUNCTION rma_document_stale_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rma_document SET revision = revision + 1, customer_doc = NULL,
        makeup_latest_id = NULL, makeup_latest_status = NULL, staff_doc = NULL;
    RETURN NULL;
END
$$;

-- The case itself (a deleted case's rma_document row goes with it).
CREATE FUNCTION rma_document_stale_case() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM rma_document_stale(NEW.id);
    END IF;
    RETURN NULL;
END
$$;

-- A row of a table with an rma_id column.
CREATE FUNCTION rma_document_stale_rma_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM rma_document_stale(OLD.rma_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
                            AND NEW.rma_id IS DISTINCT FROM OLD.rma_id) THEN
        PERFORM rma_document_stale(NEW.rma_id);
    END IF;
    RETURN NULL;
END
$$;

-- A finance exception: its make-up claim's case and its own.
CREATE FUNCTION rma_document_stale_exception() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_document_stale(m.rma_id) FROM makeup_claim m
    WHERE m.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.makeup_id END,
                   CASE WHEN TG_OP <> 'DELETE' THEN NEW.makeup_id END);
    IF TG_OP <> 'INSERT' THEN
        PERFORM rma_document_stale(OLD.rma_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM rma_document_stale(NEW.rma_id);
    END IF;
    RETURN NULL;
END
$$;

-- A customer (email, name): every case of theirs.
CREATE FUNCTION rma_document_stale_customer() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_document_stale(r.id) FROM rma r WHERE r.customer_id = OLD.id;
    RETURN NULL;
END
$$;

-- An order or its lines (order_id, or the order's own id): its cases.
CREATE FUNCTION rma_document_stale_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_old bigint;
    v_new bigint;
BEGIN
    IF TG_TABLE_NAME = 'original_order' THEN
        v_old := CASE WHEN TG_OP <> 'INSERT' THEN OLD.id END;
        v_new := CASE WHEN TG_OP <> 'DELETE' THEN NEW.id END;
    ELSE
        v_old := CASE WHEN TG_OP <> 'INSERT' THEN OLD.order_id END;
        v_new := CASE WHEN TG_OP <> 'DELETE' THEN NEW.order_id END;
    END IF;
    PERFORM rma_document_stale(r.id) FROM rma r
    WHERE r.order_id IN (v_old, v_new);
    RETURN NULL;
END
$$;

CREATE TRIGGER rma_document_stale AFTER INSERT OR UPDATE OR DELETE ON rma
    FOR EACH ROW EXECUTE FUNCTION rma_document_stale_case();
CREATE TRIGGER rma_document_stale AFTER INSERT OR UPDATE OR DELETE
    ON finance_exception
    FOR EACH ROW EXECUTE FUNCTION rma_document_stale_exception();
CREATE TRIGGER rma_document_stale AFTER UPDATE OR DELETE ON customer
    FOR EACH ROW EXECUTE FUNCTION rma_document_stale_customer();
CREATE TRIGGER rma_document_stale AFTER UPDATE OR DELETE ON original_order
    FOR EACH ROW EXECUTE FUNCTION rma_document_stale_order();
CREATE TRIGGER rma_document_stale AFTER INSERT OR UPDATE OR DELETE ON order_item
    FOR EACH ROW EXECUTE FUNCTION rma_document_stale_order();

DO $$
DECLARE
    t text;
BEGIN
    -- Tables with an rma_id that a document is built from.
    FOREACH t IN ARRAY ARRAY['rma_device', 'hold', 'makeup_claim',
                             'repair_quote', 'shipment', 'refund_payment', 'attachment',
                             'return_submission', 'inspection', 'audit_event']
    LOOP
        EXECUTE format('CREATE TRIGGER rma_document_stale AFTER INSERT OR UPDATE'
                       ' OR DELETE ON %I FOR EACH ROW'
                       ' EXECUTE FUNCTION rma_document_stale_rma_id()', t);
    END LOOP;
    -- Every table a document is built from, emptied; and the reference
    -- tables, changed.
    FOREACH t IN ARRAY ARRAY['rma', 'rma_device', 'finance_exception',
                             'customer', 'original_order', 'order_item',
                             'hold', 'makeup_claim', 'repair_quote',
                             'shipment', 'refund_payment', 'attachment',
                             'return_submission', 'inspection',
                             'product_model', 'warehouse', 'currency',
                             'product_line_policy']
    LOOP
        EXECUTE format('CREATE TRIGGER rma_document_stale_all AFTER TRUNCATE'
                       ' ON %I FOR EACH STATEMENT'
                       ' EXECUTE FUNCTION rma_document_stale_all()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['product_model', 'warehouse', 'currency',
                             'product_line_policy']
    LOOP
        EXECUTE format('CREATE TRIGGER rma_document_stale_any AFTER INSERT'
                       ' OR UPDATE OR DELETE ON %I FOR EACH STATEMENT'
                       ' EXECUTE FUNCTION rma_document_stale_all()', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON rma_document TO rma_app;
GRANT EXECUTE ON FUNCTION rma_events_json(bigint, boolean),
    rma_staff_document(bigint), rma_list_json(bigint),
    rma_document_stale(bigint) TO rma_app;
