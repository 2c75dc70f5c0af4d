-- 0007_attachments.sql - customer uploads (SPEC §5.4), the return submission
-- (carrier, tracking number, shipping-label photo, postage receipt, the data
-- erasure acknowledgement for recording devices) and the warehouse's
-- inspection of a received unit.
--
-- The files themselves are stored by the service under upload_dir, named by
-- their SHA-256 (content-addressed: two uploads of the same bytes share one
-- file); these rows are their metadata and who may see them.

-- Which submission an attachment belongs to: at most 5 pictures are open
-- (uploaded, not yet submitted) per case and submission.
CREATE FUNCTION attachment_submission(p_kind text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE p_kind
        WHEN 'shipping_label' THEN 'return'
        WHEN 'postage_receipt' THEN 'return'
        WHEN 'product_photo' THEN 'return'
        WHEN 'payment_receipt' THEN 'makeup_payment'
        WHEN 'proof_of_purchase' THEN 'proof_of_purchase'
    END
$$;

CREATE TABLE attachment (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id        bigint NOT NULL REFERENCES rma (id),
    kind          text NOT NULL CHECK (kind IN ('shipping_label', 'postage_receipt',
                      'payment_receipt', 'product_photo', 'proof_of_purchase')),
    submission    text NOT NULL GENERATED ALWAYS AS (attachment_submission(kind)) STORED,
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes         bigint NOT NULL CHECK (bytes BETWEEN 1 AND 10485760),
    media_type    text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    width         integer NOT NULL CHECK (width BETWEEN 1 AND 30000),
    height        integer NOT NULL CHECK (height BETWEEN 1 AND 30000),
    uploaded_by   text NOT NULL CHECK (length(uploaded_by) BETWEEN 1 AND 254),
    created_at    timestamptz NOT NULL,
    -- Set when the submission it belongs to is made; it cannot be deleted
    -- after that.
    submitted_at  timestamptz,
    UNIQUE (id, rma_id, kind)
);
CREATE INDEX attachment_rma ON attachment (rma_id, id);
CREATE INDEX attachment_sha256 ON attachment (sha256);

-- The customer's return information; one per case.  The composite foreign
-- keys make the database itself refuse a label or receipt of another case
-- or of the wrong kind.
CREATE TABLE return_submission (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id               bigint NOT NULL UNIQUE REFERENCES rma (id),
    carrier              text NOT NULL CHECK (length(carrier) BETWEEN 2 AND 40),
    tracking_number      text NOT NULL CHECK (tracking_number ~ '^[A-Z0-9]{6,40}$'),
    shipping_label_id    bigint NOT NULL,
    shipping_label_kind  text NOT NULL DEFAULT 'shipping_label'
                         CHECK (shipping_label_kind = 'shipping_label'),
    postage_receipt_id   bigint NOT NULL,
    postage_receipt_kind text NOT NULL DEFAULT 'postage_receipt'
                         CHECK (postage_receipt_kind = 'postage_receipt'),
    -- For recording devices (product_model.recording_device) the customer
    -- acknowledged that data on the device may be erased.
    data_erasure_required     boolean NOT NULL,
    data_erasure_acknowledged boolean NOT NULL,
    submitted_by         text NOT NULL CHECK (length(submitted_by) BETWEEN 1 AND 254),
    submitted_at         timestamptz NOT NULL,
    FOREIGN KEY (shipping_label_id, rma_id, shipping_label_kind)
        REFERENCES attachment (id, rma_id, kind),
    FOREIGN KEY (postage_receipt_id, rma_id, postage_receipt_kind)
        REFERENCES attachment (id, rma_id, kind),
    CHECK (NOT data_erasure_required OR data_erasure_acknowledged)
);

-- The warehouse's finding on a received unit; one per case.
CREATE TABLE inspection (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id        bigint NOT NULL UNIQUE REFERENCES rma (id),
    outcome       text NOT NULL CHECK (outcome IN ('as_described', 'damaged_in_transit',
                      'not_faulty', 'out_of_warranty')),
    notes         text CHECK (length(notes) BETWEEN 1 AND 2000),
    inspected_by  text NOT NULL CHECK (length(inspected_by) BETWEEN 1 AND 254),
    inspected_at  timestamptz NOT NULL
);

-- What the detail API shows about the return: the attachments, what is
-- required and still missing, the submission and the inspection.  Staff
-- also see who did what and the warehouse's notes.
CREATE FUNCTION rma_return_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    WITH c AS (
        SELECT r.id, r.kind,
               EXISTS (SELECT 1 FROM rma_device d
                       JOIN product_model m ON m.model = d.model
                       WHERE d.rma_id = r.id AND m.recording_device) AS recording,
               EXISTS (SELECT 1 FROM attachment a
                       WHERE a.rma_id = r.id AND a.kind = 'shipping_label') AS has_label,
               EXISTS (SELECT 1 FROM attachment a
                       WHERE a.rma_id = r.id AND a.kind = 'postage_receipt') AS has_receipt
        FROM rma r WHERE r.id = p_rma
    ), req AS (
        SELECT c.*, ARRAY['carrier', 'tracking_number', 'shipping_label', 'postage_receipt']
                    || CASE WHEN c.recording THEN ARRAY['data_erasure_acknowledgement']
                            ELSE '{}'::text[] END AS items
        FROM c
    )
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'attachments', (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                            'id', a.id, 'kind', a.kind, 'media_type', a.media_type,
                            'bytes', a.bytes, 'sha256', a.sha256,
                            'width', a.width, 'height', a.height,
                            'created_at', iso_utc(a.created_at),
                            'submitted_at', iso_utc(a.submitted_at),
                            'uploaded_by', CASE WHEN p_staff THEN a.uploaded_by END))
                            ORDER BY a.id), '[]')
                        FROM attachment a WHERE a.rma_id = req.id),
        'return', CASE WHEN req.kind = 'resend' THEN NULL ELSE jsonb_strip_nulls(jsonb_build_object(
            'required', to_jsonb(req.items),
            'missing', CASE WHEN s.id IS NOT NULL THEN '[]'::jsonb ELSE
                           (SELECT coalesce(jsonb_agg(i ORDER BY o), '[]')
                            FROM unnest(req.items) WITH ORDINALITY AS u (i, o)
                            WHERE NOT (i = 'shipping_label' AND req.has_label)
                              AND NOT (i = 'postage_receipt' AND req.has_receipt)) END,
            'data_erasure_acknowledgement_required', req.recording,
            'submission', CASE WHEN s.id IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
                'carrier', s.carrier, 'tracking_number', s.tracking_number,
                'shipping_label_id', s.shipping_label_id,
                'postage_receipt_id', s.postage_receipt_id,
                'data_erasure_acknowledged', s.data_erasure_acknowledged,
                'submitted_at', iso_utc(s.submitted_at),
                'submitted_by', CASE WHEN p_staff THEN s.submitted_by END)) END,
            'inspection', CASE WHEN i.id IS NOT NULL THEN jsonb_strip_nulls(jsonb_build_object(
                'outcome', i.outcome, 'inspected_at', iso_utc(i.inspected_at),
                'notes', CASE WHEN p_staff THEN i.notes END,
                'inspected_by', CASE WHEN p_staff THEN i.inspected_by END)) END)) END))
    FROM req
    LEFT JOIN return_submission s ON s.rma_id = req.id
    LEFT JOIN inspection i ON i.rma_id = req.id
$$;

GRANT SELECT, INSERT, DELETE ON attachment TO rma_app;
GRANT UPDATE (submitted_at) ON attachment TO rma_app;
GRANT SELECT, INSERT ON return_submission, inspection TO rma_app;
GRANT EXECUTE ON FUNCTION attachment_submission(text), rma_return_json(bigint, boolean) TO rma_app;
