-- 0025_read_rows.sql - a case's read in one index fetch, and the
-- customer's list and the console's case queues from stored items (SPEC
-- §11, issue 18).
--
-- After 0021 the customer's read joined four relations (the session, its
-- customer, the case, its documents) and the staff detail two: PostgreSQL
-- spent about three times the CPU of the §11 limit's one primary-key
-- fetch, mostly starting and stopping the join's executor nodes (perf:
-- ExecInitNode, AllocSetContextCreate, expression setup).  Now what the
-- answer's C part needs from the case (its id, customer, number, status,
-- kind, replacement method, make-up amount due) is stored in the
-- documents' row, and the row is found by the case's number: the read is
-- the session's row and this one (src/db_rma.c).
--
-- These columns are written only with a document, by the statement that
-- rendered it (DETAIL_STORE), from the same snapshot and under the same
-- revision check; every change clears the documents (0021's triggers)
-- without touching them.  So they are current exactly when the document
-- they are read with is there (not NULL), and a read that finds no
-- document falls back to the case's tables and renders it, as before.

ALTER TABLE rma_document
    ADD COLUMN number             text,
    ADD COLUMN customer_id        bigint,
    ADD COLUMN status             text,
    ADD COLUMN kind               text,
    ADD COLUMN replacement_method text,
    ADD COLUMN makeup_due_minor   bigint,
    -- the case's item in its customer's list (rma_list_item); NULL: stale
    ADD COLUMN list_item          text,
    -- its item in the console's queues (rma_queue_item) and since when it
    -- is in its status (rma_status_since); NULL: stale
    ADD COLUMN queue_item         text,
    ADD COLUMN queue_since        timestamptz;

-- The documents stay in the row, uncompressed, up to a page: a read then
-- neither follows a TOAST pointer nor decompresses (pglz_decompress was
-- in the profile of every read).
ALTER TABLE rma_document SET (toast_tuple_target = 8160);

-- ---- the customer's list ----
--
-- 0021 rendered the list on every read (rma_list_json): its items are
-- stored now, each in its case's row, and cleared with its documents.
-- The list read (src/db_rma.c) takes the cases, their order and which are
-- listed from rma (its customer index), and each item from rma_document;
-- the items it had to render it stores, only where the revision is still
-- the one it read and without waiting for any writer's lock.  Nothing is
-- stored per customer, so a change locks no more than its own case's row
-- (0021 says why that matters).

-- A case's item in its customer's list (plpgsql: tests/db/test_db.c).
CREATE FUNCTION rma_list_item(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
        'number', r.number, 'kind', r.kind, 'status', r.status,
        'in_progress', r.status NOT IN ('completed', 'cancelled', 'expired'),
        'updated_at', iso_utc(r.updated_at),
        'devices', (SELECT coalesce(jsonb_agg(d.model ORDER BY d.id), '[]')
                    FROM rma_device d WHERE d.rma_id = r.id))
        FROM rma r WHERE r.id = p_rma);
END
$$;

-- The list rendered from the tables (what the stored items must equal).
CREATE OR REPLACE FUNCTION rma_list_json(p_customer bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(jsonb_agg(rma_list_item(r.id)
        ORDER BY r.status IN ('completed', 'cancelled', 'expired'),
        r.updated_at DESC, r.id DESC), '[]')
        FROM rma r WHERE r.customer_id = p_customer
        AND r.status NOT IN ('draft', 'pending_review'));
END
$$;

-- ---- the console's case queues ----
--
-- The same for a case's item in a queue (src/db_console.c, CASE_QUEUE):
-- which cases, in which order, from the queue's condition; each item
-- stored, and rendered and stored when it is not.  Its age is the
-- reading's (age_seconds), added to the stored text when it is read.

-- When the case entered its current status (its last transition there).
CREATE FUNCTION rma_status_since(p_rma bigint) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce((SELECT max(e.at) FROM audit_event e
                             WHERE e.rma_id = r.id AND e.to_status = r.status),
                            r.updated_at)
            FROM rma r WHERE r.id = p_rma);
END
$$;

-- A case's item in a queue, without its age.
CREATE FUNCTION rma_queue_item(p_rma bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_strip_nulls(jsonb_build_object(
        'number', r.number, 'kind', r.kind, 'status', r.status,
        'customer_email', c.email, 'customer_name', c.name,
        'created_by', r.created_by, 'since', iso_utc(rma_status_since(r.id)),
        'devices', (SELECT coalesce(jsonb_agg(d.model ORDER BY d.id), '[]')
                    FROM rma_device d WHERE d.rma_id = r.id),
        'note', (SELECT coalesce(e.detail ->> 'comment', e.detail ->> 'reason')
                 FROM audit_event e WHERE e.rma_id = r.id
                 AND e.to_status = r.status ORDER BY e.id DESC LIMIT 1),
        'deadline', iso_utc((SELECT h.deadline FROM hold h
                             WHERE h.rma_id = r.id AND h.status = 'authorized'
                             ORDER BY h.id DESC LIMIT 1)),
        'amount', money_json(coalesce(r.refund_minor, r.replacement_minor),
                             r.currency)))
        FROM rma r JOIN customer c ON c.id = r.customer_id
        WHERE r.id = p_rma);
END
$$;

-- ---- marking stale ----

-- Marking stale clears the stored items with the documents.
CREATE OR REPLACE FUNCTION rma_document_stale(p_rma bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_rma IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO rma_document AS d (rma_id) VALUES (p_rma)
    ON CONFLICT (rma_id) DO UPDATE SET revision = d.revision + 1,
        customer_doc = NULL, makeup_latest_id = NULL,
        makeup_latest_status = NULL, staff_doc = NULL, list_item = NULL,
        queue_item = NULL, queue_since = NULL;
END
$$;

CREATE OR REPLACE FUNCTION rma_document_stale_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE rma_document SET revision = revision + 1, customer_doc = NULL,
        makeup_latest_id = NULL, makeup_latest_status = NULL, staff_doc = NULL,
        list_item = NULL, queue_item = NULL, queue_since = NULL;
    RETURN NULL;
END
$$;

GRANT EXECUTE ON FUNCTION rma_list_item(bigint), rma_status_since(bigint),
    rma_queue_item(bigint) TO rma_app;

-- Every stored document goes stale once; the next read stores it with
-- its case's columns, and the next list or queue read its items.
UPDATE rma_document SET revision = revision + 1, customer_doc = NULL,
    makeup_latest_id = NULL, makeup_latest_status = NULL, staff_doc = NULL,
    list_item = NULL, queue_item = NULL, queue_since = NULL;

CREATE UNIQUE INDEX rma_document_number ON rma_document (number);
