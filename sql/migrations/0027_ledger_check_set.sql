-- 0027_ledger_check_set.sql - a statement's postings checked by one query
-- (SPEC §11, issue 18: ledger entries per second against pgbench TPC-B).
--
-- 0026 ran ledger_check once per entry a statement touched: a query for
-- the entries, then per entry a call whose query has three sub-plans, which
-- was most of the trigger's cost (pg_stat_statements during bench/capture.sh:
-- 0.126 ms per entry, 0.04 of it the check's own query).  Now one query
-- checks every touched entry at once, with the same rules: two or more
-- postings, known accounts and currencies, and per currency a zero sum of
-- the memo postings and of the others.  Only when it finds an entry that
-- breaks one does ledger_check run, on the first such entry, to raise its
-- error (SQLSTATE 23514, or 23503 for an unknown account or currency) as
-- before.
CREATE OR REPLACE FUNCTION ledger_check_postings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    e bigint;
BEGIN
    -- Per touched entry (its postings by index, never a scan of the
    -- table), per currency and memo or not: postings, those on known
    -- accounts and currencies, and the sum.
    SELECT t.entry_id INTO e
    FROM (SELECT DISTINCT entry_id FROM added) t,
    LATERAL (
        SELECT sum(g.postings) AS postings,
               sum(g.known_accounts) AS known_accounts,
               sum(g.known_currencies) AS known_currencies,
               bool_or(g.total <> 0) AS unbalanced
        FROM (SELECT count(*) AS postings, count(a.code) AS known_accounts,
                     count(c.code) AS known_currencies,
                     sum(p.amount_minor) AS total
              FROM posting p
              LEFT JOIN ledger_account a ON a.code = p.account
              LEFT JOIN currency c ON c.code = p.currency
              WHERE p.entry_id = t.entry_id
              GROUP BY p.currency, a.kind = 'memo') g) s
    WHERE s.postings < 2 OR s.known_accounts < s.postings
       OR s.known_currencies < s.postings OR s.unbalanced
    ORDER BY 1 LIMIT 1;
    IF e IS NOT NULL THEN
        PERFORM ledger_check(e);
        -- ledger_check finds what the query found; this is not reached.
        RAISE EXCEPTION 'journal entry % does not balance', e
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;
