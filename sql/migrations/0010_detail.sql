-- 0010_detail.sql - a case's whole detail in one query, and the JSON
-- functions' plans kept for the session (SPEC §7, §11).
--
-- 1. PostgreSQL plans the body of a LANGUAGE sql function that reads a
--    table anew for each statement that calls it (the plan lives in the
--    calling statement's executor state and is not inlined), so every API
--    read re-planned rma_json, its helpers and the detail's four other
--    parts.  A plpgsql function keeps its plans for the session.  The
--    functions below become plpgsql with their bodies unchanged (taken
--    from the catalogue, so that 0002, 0007, 0008 and 0009 stay the one
--    place they are written).  Measured with pgbench (one client, prepared,
--    bench/RESULTS.md): rma_json 670 -> 2,650 calls/s, the whole detail
--    210 -> 1,550.
-- 2. The detail answer used to be assembled from six queries (the case,
--    its JSON, the hold, the latest make-up payment, the policy, the
--    return); rma_detail_json builds the same document in one, so that an
--    API read is the session's query and this one.

DO $$
DECLARE
    f record;
    converted integer := 0;
BEGIN
    FOR f IN
        SELECT format('%I(%s)', p.proname, pg_get_function_arguments(p.oid)) AS signature,
               pg_get_function_result(p.oid) AS result,
               p.provolatile, p.proisstrict, p.prosrc
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'public'::regnamespace AND l.lanname = 'sql'
          AND p.proname IN ('money_text', 'money_minor', 'rma_warranty_until',
                            'rma_json', 'rma_return_json', 'makeup_claim_json',
                            'rma_product_line', 'rma_valid_until', 'rma_policy_json')
    LOOP
        EXECUTE format('CREATE OR REPLACE FUNCTION %s RETURNS %s LANGUAGE plpgsql %s %s'
                       ' AS %L',
                       f.signature, f.result,
                       CASE f.provolatile WHEN 'i' THEN 'IMMUTABLE'
                                          WHEN 's' THEN 'STABLE' ELSE 'VOLATILE' END,
                       CASE WHEN f.proisstrict THEN 'STRICT' ELSE '' END,
                       E'BEGIN\n    RETURN (' || rtrim(btrim(f.prosrc), E'; \n')
                           || E');\nEND\n');
        converted := converted + 1;
    END LOOP;
    IF converted <> 9 THEN
        RAISE EXCEPTION 'expected 9 sql functions to convert, found %', converted;
    END IF;
END
$$;

-- The case's current hold (the latest one not abandoned), or NULL.
CREATE FUNCTION hold_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_strip_nulls(jsonb_build_object(
        'status', h.status,
        'amount', money_json(h.amount_minor, h.currency),
        'authorized_at', iso_utc(h.authorized_at),
        'deadline', iso_utc(h.deadline),
        'expires_at', CASE WHEN p_staff THEN iso_utc(h.expires_at) END,
        'honor_until', CASE WHEN p_staff THEN iso_utc(h.honor_until) END,
        'order_id', CASE WHEN p_staff THEN h.order_id END,
        'authorization_id', CASE WHEN p_staff THEN h.authorization_id END,
        'reauthorization_id', CASE WHEN p_staff THEN h.reauthorization_id END,
        'reauthorization', CASE WHEN p_staff THEN h.reauth_status END,
        'extensions', CASE WHEN p_staff THEN h.extensions END,
        'release_pending', h.status = 'authorized' AND h.void_requested_at IS NOT NULL,
        'released_at', iso_utc(h.voided_at),
        'captured', CASE WHEN h.capture_minor IS NOT NULL
                         THEN money_json(h.capture_minor, h.currency) END,
        'captured_at', iso_utc(h.captured_at),
        'capture_attempts', CASE WHEN p_staff THEN h.capture_attempts END,
        'paypal_fee', CASE WHEN p_staff AND h.fee_minor IS NOT NULL
                           THEN money_json(h.fee_minor, h.currency) END,
        'refunded', CASE WHEN h.refund_minor IS NOT NULL
                         THEN money_json(h.refund_minor, h.currency) END,
        'refund_pending', h.refund_requested_minor IS NOT NULL AND h.refund_id IS NULL,
        'refunded_at', iso_utc(h.refunded_at)))
    FROM hold h WHERE h.rma_id = p_rma AND h.status <> 'abandoned'
    ORDER BY h.id DESC LIMIT 1);
END
$$;

-- The case (rma_json) with its hold, latest make-up payment and policy
-- (each key absent when there is none), and its attachments and return
-- (rma_return_json).
CREATE FUNCTION rma_detail_json(p_rma bigint, p_staff boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN rma_json(p_rma, p_staff)
        || jsonb_strip_nulls(jsonb_build_object(
               'hold', hold_json(p_rma, p_staff),
               'makeup_payment', (SELECT makeup_claim_json(m.id, p_staff)
                                  FROM makeup_claim m WHERE m.rma_id = p_rma
                                  ORDER BY m.id DESC LIMIT 1),
               'policy', rma_policy_json(p_rma, p_staff)))
        || coalesce(rma_return_json(p_rma, p_staff), '{}');
END
$$;

GRANT EXECUTE ON FUNCTION hold_json(bigint, boolean),
    rma_detail_json(bigint, boolean) TO rma_app;
