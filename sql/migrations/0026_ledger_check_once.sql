-- 0026_ledger_check_once.sql - each journal entry checked once (SPEC §11,
-- issue 18: ledger entries per second against pgbench TPC-B).
--
-- 0006 checked an entry at commit once for itself and once for each of its
-- postings: four runs of the full check for the usual entry of three
-- postings, most of what an entry cost PostgreSQL (bench/RESULTS.md:
-- 2,083 entries/s with them, 2,782 with the postings' runs disabled).
-- Now:
--   - the postings one statement adds are checked per entry they touch, at
--     the end of that statement (a statement trigger over its new rows,
--     posting_balanced): two or more postings, known accounts and
--     currencies, and per currency a zero sum of the memo postings and of
--     the others, as before;
--   - an entry still needs its postings at commit (journal_entry_balanced,
--     deferred, counting them).
-- So an entry's postings go in together, in one statement, as ledger_post
-- writes them (src/db_ledger.c: one statement inserts the entry and its
-- postings).  The guarantee is the same: postings are never changed or
-- removed (0006), so an entry that balanced after the last statement that
-- added to it balances at commit; a statement adding a balanced pair to an
-- old entry is still checked.  The errors are 0006's (SQLSTATE 23514, or
-- 23503 for an unknown account or currency), raised by the statement
-- instead of the COMMIT.

-- 0006's check, for one entry.
CREATE FUNCTION ledger_check(entry bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s           record;
    currency    text;     -- of the first unbalanced sum, if any
    memo        boolean;
    total       numeric;
BEGIN
    SELECT count(*) AS postings,
           count(*) FILTER (WHERE NOT p.account = ANY (ARRAY(
               SELECT code FROM ledger_account))) AS unknown_accounts,
           count(*) FILTER (WHERE NOT p.currency = ANY (ARRAY(
               SELECT code FROM currency))) AS unknown_currencies,
           min(p.currency) AS currency,
           min(p.currency) <> max(p.currency) AS several_currencies,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.account = ANY (ARRAY(
               SELECT code FROM ledger_account WHERE kind = 'memo'))), 0) AS memo,
           coalesce(sum(p.amount_minor), 0) AS total
        INTO s
        FROM posting p WHERE p.entry_id = entry;
    IF s.postings < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s), at least 2 needed',
            entry, s.postings USING ERRCODE = 'check_violation';
    END IF;
    IF s.unknown_accounts > 0 THEN
        RAISE EXCEPTION 'journal entry % names an unknown account', entry
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF s.unknown_currencies > 0 THEN
        RAISE EXCEPTION 'journal entry % names an unknown currency', entry
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF s.several_currencies THEN
        SELECT p.currency, a.kind = 'memo', sum(p.amount_minor)
            INTO currency, memo, total
            FROM posting p JOIN ledger_account a ON a.code = p.account
            WHERE p.entry_id = entry
            GROUP BY 1, 2 HAVING sum(p.amount_minor) <> 0
            ORDER BY 1, 2 LIMIT 1;
    ELSIF s.memo <> 0 THEN
        currency := s.currency; memo := true; total := s.memo;
    ELSIF s.total <> 0 THEN
        currency := s.currency; memo := false; total := s.total;
    END IF;
    IF currency IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % is unbalanced (% %: %)', entry,
            currency, CASE WHEN memo THEN 'memo' ELSE 'real' END, total
            USING ERRCODE = 'check_violation';
    END IF;
END
$$;

-- The entries a statement's new postings touch, each checked once.
CREATE FUNCTION ledger_check_postings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    e bigint;
BEGIN
    FOR e IN SELECT DISTINCT entry_id FROM added ORDER BY 1 LOOP
        PERFORM ledger_check(e);
    END LOOP;
    RETURN NULL;
END
$$;

-- An entry without its postings (at commit).
CREATE FUNCTION ledger_check_entry_postings() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM posting WHERE entry_id = NEW.id;
    IF n < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s), at least 2 needed',
            NEW.id, n USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER posting_balanced ON posting;
DROP TRIGGER journal_entry_balanced ON journal_entry;
DROP FUNCTION ledger_check_entry();

CREATE TRIGGER posting_balanced AFTER INSERT ON posting
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_postings();
CREATE CONSTRAINT TRIGGER journal_entry_balanced
    AFTER INSERT ON journal_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_postings();
