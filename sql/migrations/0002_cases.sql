-- 0002_cases.sql - customers, orders, RMA solutions, the audit trail,
-- customer login (one-time codes, sessions, rate limits) and idempotency.

CREATE TABLE customer (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE
                CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254
                       AND position('@' IN email) > 1),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Warranty terms per model; product_line selects the refund/repair policy.
CREATE TABLE product_model (
    model            text PRIMARY KEY CHECK (length(model) BETWEEN 1 AND 64),
    description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    product_line     text NOT NULL CHECK (product_line IN ('camera', 'nvr', 'doorbell', 'kit', 'accessory')),
    warranty_months  integer NOT NULL CHECK (warranty_months BETWEEN 0 AND 120),
    recording_device boolean NOT NULL DEFAULT false
);

CREATE TABLE warehouse (
    region   text PRIMARY KEY CHECK (length(region) BETWEEN 2 AND 16),
    address  jsonb NOT NULL,
    countries text[] NOT NULL
);

CREATE TABLE original_order (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_number      text NOT NULL CHECK (length(order_number) BETWEEN 1 AND 64),
    sales_channel     text NOT NULL CHECK (length(sales_channel) BETWEEN 1 AND 64),
    customer_id       bigint NOT NULL REFERENCES customer (id),
    shipping_country  text NOT NULL CHECK (shipping_country ~ '^[A-Z]{2}$'),
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    purchase_date     date NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (sales_channel, order_number)
);

CREATE TABLE order_item (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL REFERENCES original_order (id),
    model             text NOT NULL REFERENCES product_model (model),
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_minor  bigint NOT NULL CHECK (unit_price_minor >= 0)
);

CREATE SEQUENCE rma_number_seq;

CREATE TABLE rma (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number              text NOT NULL UNIQUE CHECK (number ~ '^RMA-[0-9]{4}-[0-9]{6}$'),
    customer_id         bigint NOT NULL REFERENCES customer (id),
    order_id            bigint NOT NULL REFERENCES original_order (id),
    kind                text NOT NULL CHECK (kind IN ('refund', 'replacement', 'resend', 'repair')),
    status              text NOT NULL CHECK (status IN (
                            'draft', 'pending_review', 'pending_confirm', 'confirmed', 'rejected',
                            'awaiting_preauth', 'awaiting_shipment', 'awaiting_return',
                            'return_submitted', 'received', 'refund_due', 'replacement_shipped',
                            'quote_pending', 'repair_shipped', 'charged', 'capture_failed',
                            'completed', 'cancelled', 'expired')),
    revision            integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    problem             text NOT NULL CHECK (length(problem) BETWEEN 1 AND 2000),
    currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    refund_minor        bigint CHECK (refund_minor >= 0),
    replacement_minor   bigint CHECK (replacement_minor >= 0),
    makeup_due_minor    bigint CHECK (makeup_due_minor >= 0),
    makeup_reason       text CHECK (makeup_reason IN ('shipping_fee', 'replacement_fee', 'repair_fee', 'restocking_fee')),
    warranty_override   boolean,
    warranty_override_reason text CHECK (length(warranty_override_reason) BETWEEN 1 AND 500),
    warehouse_region    text NOT NULL REFERENCES warehouse (region),
    replacement_method  text CHECK (replacement_method IN ('standard', 'advanced')),
    shipping_address    jsonb,
    cancel_reason       text CHECK (length(cancel_reason) BETWEEN 1 AND 500),
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    visible_at          timestamptz,
    confirmed_at        timestamptz,
    closed_at           timestamptz,
    CHECK (warranty_override IS NULL OR warranty_override_reason IS NOT NULL),
    CHECK (makeup_due_minor IS NULL OR makeup_reason IS NOT NULL),
    CHECK (kind <> 'refund' OR refund_minor IS NOT NULL),
    CHECK (kind <> 'replacement' OR replacement_minor IS NOT NULL),
    CHECK (replacement_method IS NULL OR kind = 'replacement'),
    CHECK (status <> 'cancelled' OR cancel_reason IS NOT NULL)
);
CREATE INDEX rma_customer ON rma (customer_id);
CREATE INDEX rma_status ON rma (status);

CREATE TABLE rma_device (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id         bigint NOT NULL REFERENCES rma (id),
    model          text NOT NULL REFERENCES product_model (model),
    serial_number  text CHECK (serial_number ~ '^[A-Za-z0-9-]{4,40}$'),
    uid            text CHECK (uid ~ '^[A-Za-z0-9-]{4,64}$'),
    whole_kit      boolean NOT NULL DEFAULT false,
    CHECK (serial_number IS NOT NULL OR uid IS NOT NULL)
);
CREATE INDEX rma_device_rma ON rma_device (rma_id);
CREATE INDEX rma_device_serial ON rma_device (upper(serial_number));
CREATE INDEX rma_device_uid ON rma_device (upper(uid));

-- Every revision as the customer saw it or will see it.
CREATE TABLE rma_revision (
    rma_id      bigint NOT NULL REFERENCES rma (id),
    revision    integer NOT NULL,
    snapshot    jsonb NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rma_id, revision)
);

CREATE TABLE rma_comment (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rma_id       bigint NOT NULL REFERENCES rma (id),
    author_kind  text NOT NULL CHECK (author_kind IN ('customer', 'staff', 'system')),
    author_name  text NOT NULL,
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The audit trail: append-only, enforced here and by privileges.
CREATE TABLE audit_event (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    rma_id       bigint REFERENCES rma (id),
    actor_kind   text NOT NULL CHECK (actor_kind IN ('customer', 'staff', 'system')),
    actor_name   text NOT NULL,
    actor_role   text,
    action       text NOT NULL,
    from_status  text,
    to_status    text,
    on_behalf    boolean NOT NULL DEFAULT false,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_event_rma ON audit_event (rma_id, id);

CREATE FUNCTION rma_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION rma_refuse_change();

-- Customer login: one live code per email, stored as an HMAC.
CREATE TABLE login_code (
    email       text PRIMARY KEY,
    code_hmac   bytea NOT NULL CHECK (length(code_hmac) = 32),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    tries       integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    used_at     timestamptz
);

CREATE TABLE customer_session (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    customer_id   bigint NOT NULL REFERENCES customer (id),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);

-- Fixed-window counters for rate limits, shared by every worker.
CREATE TABLE rate_limit (
    key           text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- A repeated Idempotency-Key returns the first answer.
CREATE TABLE idempotency_key (
    customer_id   bigint NOT NULL REFERENCES customer (id),
    key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    request_hash  bytea NOT NULL,
    status        integer NOT NULL,
    body          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, key)
);

GRANT SELECT, INSERT, UPDATE ON customer, original_order, order_item, rma, rma_device TO rma_app;
GRANT SELECT ON product_model, warehouse TO rma_app;
GRANT SELECT, INSERT ON rma_revision, rma_comment, audit_event TO rma_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_code, customer_session, rate_limit, idempotency_key TO rma_app;
GRANT USAGE ON SEQUENCE rma_number_seq TO rma_app;

INSERT INTO warehouse (region, address, countries) VALUES
    ('US', '{"name": "RMA Returns Center", "line1": "1200 Commerce Way", "city": "Reno", "region": "NV", "postal_code": "89502", "country": "US"}', '{US,CA,MX}'),
    ('EU', '{"name": "RMA Returns EU", "line1": "Industriestrasse 7", "city": "Venlo", "region": "", "postal_code": "5928 PH", "country": "NL"}', '{NL,DE,FR,BE,IT,ES,AT,IE,PL,SE,DK,FI,PT}'),
    ('UK', '{"name": "RMA Returns UK", "line1": "Unit 4, Axis Park", "city": "Peterborough", "region": "", "postal_code": "PE2 6FT", "country": "GB"}', '{GB}'),
    ('JP', '{"name": "RMA Returns Japan", "line1": "2-1-1 Shinkiba", "city": "Koto-ku", "region": "Tokyo", "postal_code": "136-0082", "country": "JP"}', '{JP}'),
    ('AU', '{"name": "RMA Returns Australia", "line1": "15 Fulcrum St", "city": "Richlands", "region": "QLD", "postal_code": "4077", "country": "AU"}', '{AU,NZ}');

INSERT INTO product_model (model, description, product_line, warranty_months, recording_device) VALUES
    ('CAM-4K-OUT', '4K outdoor camera', 'camera', 24, true),
    ('CAM-2K-IN', '2K indoor camera', 'camera', 12, true),
    ('DB-PRO', 'Video doorbell Pro', 'doorbell', 24, true),
    ('NVR-8CH', '8-channel NVR', 'nvr', 24, true),
    ('KIT-NVR-4CAM', 'NVR kit with four cameras', 'kit', 24, true),
    ('PSU-12V', '12 V power adapter', 'accessory', 12, false),
    ('MOUNT-WALL', 'Wall mount', 'accessory', 12, false);

-- Currencies and their exponents: the same table as src/money.c (a test
-- checks that both format every amount alike).
CREATE TABLE currency (
    code      text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    exponent  smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4)
);
INSERT INTO currency (code, exponent) VALUES
    ('AUD', 2), ('BRL', 2), ('CAD', 2), ('CHF', 2), ('CNY', 2), ('CZK', 2),
    ('DKK', 2), ('EUR', 2), ('GBP', 2), ('HKD', 2), ('HUF', 0), ('ILS', 2),
    ('JPY', 0), ('MXN', 2), ('MYR', 2), ('NOK', 2), ('NZD', 2), ('PHP', 2),
    ('PLN', 2), ('RUB', 2), ('SEK', 2), ('SGD', 2), ('THB', 2), ('TWD', 0),
    ('USD', 2);
ALTER TABLE original_order ADD FOREIGN KEY (currency) REFERENCES currency (code);
ALTER TABLE rma ADD FOREIGN KEY (currency) REFERENCES currency (code);
GRANT SELECT ON currency TO rma_app;

CREATE FUNCTION money_text(minor bigint, cur text) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
    SELECT round(minor::numeric / (10::numeric ^ c.exponent), c.exponent)::text
    FROM currency c WHERE c.code = cur
$$;

CREATE FUNCTION money_json(minor bigint, cur text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN minor IS NULL THEN NULL
           ELSE jsonb_build_object('currency_code', cur, 'value', money_text(minor, cur)) END
$$;

-- Minor units of a validated PayPal-style money object.
CREATE FUNCTION money_minor(m jsonb) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN m IS NULL OR m = 'null'::jsonb THEN NULL
           ELSE ((m ->> 'value')::numeric * (10::numeric ^ c.exponent))::bigint END
    FROM currency c WHERE c.code = m ->> 'currency_code'
$$;

CREATE FUNCTION iso_utc(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

-- Warranty: the shortest warranty among the case's devices, from purchase.
CREATE FUNCTION rma_warranty_until(p_rma bigint) RETURNS date
LANGUAGE sql STABLE AS $$
    SELECT (o.purchase_date + make_interval(months => min(m.warranty_months)))::date
    FROM rma r
    JOIN original_order o ON o.id = r.order_id
    JOIN rma_device d ON d.rma_id = r.id
    JOIN product_model m ON m.model = d.model
    WHERE r.id = p_rma
    GROUP BY o.purchase_date
$$;

-- The whole case as JSON: what the customer reviews, and for staff more.
CREATE FUNCTION rma_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'number', r.number,
        'kind', r.kind,
        'status', r.status,
        'revision', r.revision,
        'problem', r.problem,
        'created_at', iso_utc(r.created_at),
        'updated_at', iso_utc(r.updated_at),
        'visible_at', iso_utc(r.visible_at),
        'confirmed_at', iso_utc(r.confirmed_at),
        'customer', jsonb_build_object('email', c.email, 'name', c.name),
        'order', jsonb_build_object(
            'order_number', o.order_number,
            'sales_channel', o.sales_channel,
            'shipping_country', o.shipping_country,
            'currency', o.currency,
            'purchase_date', o.purchase_date::text,
            'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'model', i.model, 'description', pm.description,
                          'quantity', i.quantity,
                          'unit_price', money_json(i.unit_price_minor, o.currency))
                          ORDER BY i.id), '[]')
                      FROM order_item i JOIN product_model pm ON pm.model = i.model
                      WHERE i.order_id = o.id)),
        'devices', (SELECT coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                        'model', d.model, 'description', pm.description,
                        'serial_number', d.serial_number, 'uid', d.uid,
                        'whole_kit', d.whole_kit,
                        'recording_device', pm.recording_device)) ORDER BY d.id), '[]')
                    FROM rma_device d JOIN product_model pm ON pm.model = d.model
                    WHERE d.rma_id = r.id),
        'warranty', jsonb_build_object(
            'in_warranty', coalesce(r.warranty_override,
                                    rma_warranty_until(r.id) >= r.created_at::date),
            'until', rma_warranty_until(r.id)::text,
            'overridden', r.warranty_override IS NOT NULL,
            'override_reason', CASE WHEN p_staff THEN r.warranty_override_reason END),
        'amounts', jsonb_build_object(
            'refund', money_json(r.refund_minor, r.currency),
            'replacement_value', money_json(r.replacement_minor, r.currency),
            'makeup_due', money_json(r.makeup_due_minor, r.currency),
            'makeup_reason', r.makeup_reason),
        'warehouse', jsonb_build_object('region', w.region, 'address', w.address),
        'replacement_method', r.replacement_method,
        'shipping_address', r.shipping_address,
        'cancel_reason', r.cancel_reason,
        'created_by', CASE WHEN p_staff THEN r.created_by END))
    FROM rma r
    JOIN customer c ON c.id = r.customer_id
    JOIN original_order o ON o.id = r.order_id
    JOIN warehouse w ON w.region = r.warehouse_region
    WHERE r.id = p_rma
$$;

-- Creates a case from a validated request document; returns its id.
CREATE FUNCTION rma_create(doc jsonb, p_actor text, p_now timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_customer bigint;
    v_order bigint;
    v_owner bigint;
    v_rma bigint;
    v_region text;
    o jsonb := doc -> 'order';
    item jsonb;
    dev jsonb;
BEGIN
    INSERT INTO customer (email, name)
    VALUES (lower(btrim(doc #>> '{customer,email}')), doc #>> '{customer,name}')
    ON CONFLICT (email) DO UPDATE SET name = customer.name
    RETURNING id INTO v_customer;

    SELECT id, customer_id INTO v_order, v_owner FROM original_order
    WHERE sales_channel = o ->> 'sales_channel' AND order_number = o ->> 'order_number';
    IF v_order IS NULL THEN
        INSERT INTO original_order (order_number, sales_channel, customer_id,
                                    shipping_country, currency, purchase_date)
        VALUES (o ->> 'order_number', o ->> 'sales_channel', v_customer,
                o ->> 'shipping_country', o ->> 'currency', (o ->> 'purchase_date')::date)
        RETURNING id INTO v_order;
        FOR item IN SELECT * FROM jsonb_array_elements(o -> 'items') LOOP
            INSERT INTO order_item (order_id, model, quantity, unit_price_minor)
            VALUES (v_order, item ->> 'model', (item ->> 'quantity')::int,
                    money_minor(item -> 'unit_price'));
        END LOOP;
    ELSIF v_owner <> v_customer THEN
        RAISE EXCEPTION 'order belongs to another customer' USING ERRCODE = 'check_violation';
    END IF;

    v_region := doc ->> 'warehouse_region';
    IF v_region IS NULL THEN
        SELECT region INTO v_region FROM warehouse
        WHERE (SELECT shipping_country FROM original_order WHERE id = v_order) = ANY (countries)
        ORDER BY region LIMIT 1;
        v_region := coalesce(v_region, 'US');
    END IF;

    INSERT INTO rma (number, customer_id, order_id, kind, status, problem, currency,
                     refund_minor, replacement_minor, makeup_due_minor, makeup_reason,
                     warranty_override, warranty_override_reason, warehouse_region,
                     created_by, created_at, updated_at)
    VALUES ('RMA-' || to_char(p_now AT TIME ZONE 'UTC', 'YYYY') || '-'
                || lpad(nextval('rma_number_seq')::text, 6, '0'),
            v_customer, v_order, doc ->> 'kind', 'draft', doc ->> 'problem',
            (SELECT currency FROM original_order WHERE id = v_order),
            money_minor(doc -> 'refund_amount'), money_minor(doc -> 'replacement_value'),
            money_minor(doc -> 'makeup_due'), doc ->> 'makeup_reason',
            (doc #>> '{warranty_override,in_warranty}')::boolean,
            doc #>> '{warranty_override,reason}', v_region, p_actor, p_now, p_now)
    RETURNING id INTO v_rma;

    FOR dev IN SELECT * FROM jsonb_array_elements(doc -> 'devices') LOOP
        INSERT INTO rma_device (rma_id, model, serial_number, uid, whole_kit)
        VALUES (v_rma, dev ->> 'model', dev ->> 'serial_number', dev ->> 'uid',
                coalesce((dev ->> 'whole_kit')::boolean, false));
    END LOOP;
    RETURN v_rma;
END
$$;

-- Applies an edit to a draft or rejected case (fields present in doc).
CREATE FUNCTION rma_edit(p_rma bigint, doc jsonb, p_now timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    dev jsonb;
BEGIN
    UPDATE rma SET
        problem = coalesce(doc ->> 'problem', problem),
        refund_minor = CASE WHEN doc ? 'refund_amount' THEN money_minor(doc -> 'refund_amount') ELSE refund_minor END,
        replacement_minor = CASE WHEN doc ? 'replacement_value' THEN money_minor(doc -> 'replacement_value') ELSE replacement_minor END,
        makeup_due_minor = CASE WHEN doc ? 'makeup_due' THEN money_minor(doc -> 'makeup_due') ELSE makeup_due_minor END,
        makeup_reason = CASE WHEN doc ? 'makeup_reason' THEN doc ->> 'makeup_reason' ELSE makeup_reason END,
        warranty_override = CASE WHEN doc ? 'warranty_override'
                                 THEN (doc #>> '{warranty_override,in_warranty}')::boolean
                                 ELSE warranty_override END,
        warranty_override_reason = CASE WHEN doc ? 'warranty_override'
                                        THEN doc #>> '{warranty_override,reason}'
                                        ELSE warranty_override_reason END,
        warehouse_region = coalesce(doc ->> 'warehouse_region', warehouse_region),
        revision = revision + 1,
        updated_at = p_now
    WHERE id = p_rma;
    IF doc ? 'devices' THEN
        DELETE FROM rma_device WHERE rma_id = p_rma;
        FOR dev IN SELECT * FROM jsonb_array_elements(doc -> 'devices') LOOP
            INSERT INTO rma_device (rma_id, model, serial_number, uid, whole_kit)
            VALUES (p_rma, dev ->> 'model', dev ->> 'serial_number', dev ->> 'uid',
                    coalesce((dev ->> 'whole_kit')::boolean, false));
        END LOOP;
    END IF;
END
$$;

GRANT DELETE ON rma_device TO rma_app;
GRANT EXECUTE ON FUNCTION rma_create(jsonb, text, timestamptz), rma_edit(bigint, jsonb, timestamptz),
    rma_json(bigint, boolean), money_json(bigint, text), money_text(bigint, text),
    money_minor(jsonb), iso_utc(timestamptz), rma_warranty_until(bigint) TO rma_app;
