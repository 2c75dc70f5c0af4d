-- 0006_ledger.sql - the double-entry ledger (SPEC §5.6, doc/ledger.md).
--
-- A journal entry is one business event (a hold authorized, a capture, a
-- refund, a make-up payment); its postings move amounts between accounts:
-- debits positive, credits negative.  What the database guarantees, whoever
-- writes:
--   - every entry has two or more postings on known accounts and
--     currencies, and in each currency the postings on memo accounts sum to
--     zero and so do the others (checked at commit by a deferred constraint
--     trigger, so an entry and its postings are written in one transaction);
--   - journal entries and postings are never updated or deleted (triggers,
--     and rma_app may only SELECT and INSERT them);
--   - one entry per idempotency key, so a retried operation cannot post
--     twice.
-- The C side (src/ledger.c) checks the same before it writes, and
-- `rmactl ledger verify` checks all of it again, with the holds' states.

-- The chart of accounts.  Memo accounts are off balance: they follow the
-- funds PayPal holds for us without those funds being ours.  src/ledger.c
-- lists the same codes (a test compares both).
CREATE TABLE ledger_account (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z_]*:[a-z][a-z_]*$'
                                        AND length(code) <= 64),
    kind        text NOT NULL
                CHECK (kind IN ('asset', 'liability', 'income', 'expense', 'memo')),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 200)
);
INSERT INTO ledger_account (code, kind, description) VALUES
    ('holds:authorized', 'memo',
     'funds held on customers'' PayPal accounts by authorizations'),
    ('holds:contra', 'memo',
     'counterpart of holds:authorized'),
    ('paypal:balance', 'asset',
     'the vendor''s PayPal balance'),
    ('revenue:unreturned_units', 'income',
     'captured holds: replacements whose faulty unit was not returned'),
    ('expense:paypal_fees', 'expense',
     'fees PayPal keeps on captures and payments (less fees it returns)'),
    ('income:makeup_payments', 'income',
     'make-up payments: shipping, replacement, repair, restocking fees'),
    ('liability:makeup_surplus', 'liability',
     'make-up payments above the amount due, owed back to the customer');

CREATE TABLE journal_entry (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- e.g. hold:42:authorized, capture:<capture id>: the same operation
    -- always derives the same key (doc/ledger.md lists them).
    idempotency_key  text NOT NULL UNIQUE CHECK (idempotency_key ~ '^[!-~]{1,200}$'),
    kind             text NOT NULL CHECK (kind IN (
                         'hold_authorized', 'hold_reauthorized', 'hold_voided',
                         'hold_expired', 'hold_captured', 'hold_failed',
                         'capture', 'refund', 'makeup_payment', 'adjustment')),
    -- The cause: the case, the hold, the PayPal operation.
    rma_id           bigint REFERENCES rma (id),
    hold_id          bigint REFERENCES hold (id),
    paypal_intent_id bigint REFERENCES paypal_intent (id),
    -- The make-up payment claim; becomes a foreign key with its table.
    makeup_id        bigint CHECK (makeup_id > 0),
    -- PayPal's authorization, capture, refund or transaction id.
    paypal_id        text CHECK (length(paypal_id) BETWEEN 1 AND 64),
    memo             text CHECK (length(memo) BETWEEN 1 AND 500),
    effective_at     timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (kind NOT IN ('hold_authorized', 'hold_reauthorized', 'hold_voided',
                        'hold_expired', 'hold_captured', 'hold_failed',
                        'capture', 'refund')
           OR hold_id IS NOT NULL),
    CHECK (kind NOT IN ('capture', 'refund', 'makeup_payment')
           OR paypal_id IS NOT NULL),
    CHECK (kind <> 'makeup_payment' OR makeup_id IS NOT NULL)
);
CREATE INDEX journal_entry_rma ON journal_entry (rma_id) WHERE rma_id IS NOT NULL;
CREATE INDEX journal_entry_hold ON journal_entry (hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX journal_entry_effective ON journal_entry (effective_at);

CREATE TABLE posting (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id     bigint NOT NULL REFERENCES journal_entry (id),
    -- account and currency are checked by ledger_check_entry below, not by
    -- foreign keys: every posting would lock the same few rows of
    -- ledger_account and currency FOR KEY SHARE, and concurrent writers
    -- would queue on them.  The chart is append-only (below); currencies
    -- are never removed.
    account      text NOT NULL,
    currency     text NOT NULL,
    amount_minor bigint NOT NULL CHECK (amount_minor <> 0) -- debit > 0
);
CREATE INDEX posting_entry ON posting (entry_id);

-- Refuses (at commit) an entry with fewer than two postings, with a posting
-- on an unknown account or currency, or whose postings do not sum to zero
-- per currency, memo and real accounts apart.  It runs for the entry and for
-- each of its postings (so a posting added later to an old entry is checked
-- too), hence one cheap query for the usual entry in one currency; the
-- chart and the currencies are read once per query (ARRAY(...)), not looked
-- up per posting.
CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry       bigint;
    s           record;
    currency    text;     -- of the first unbalanced sum, if any
    memo        boolean;
    total       numeric;
BEGIN
    IF TG_TABLE_NAME = 'journal_entry' THEN
        entry := NEW.id;
    ELSE
        entry := NEW.entry_id;
    END IF;
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
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entry_balanced
    AFTER INSERT ON journal_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();
CREATE CONSTRAINT TRIGGER posting_balanced
    AFTER INSERT ON posting DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();

-- Never changed, never removed: a mistake is corrected by a new entry.
CREATE TRIGGER journal_entry_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entry
    FOR EACH STATEMENT EXECUTE FUNCTION rma_refuse_change();
-- Accounts are added, never removed or renamed (postings name them).
CREATE TRIGGER ledger_account_append_only
    BEFORE UPDATE OF code, kind OR DELETE OR TRUNCATE ON ledger_account
    FOR EACH STATEMENT EXECUTE FUNCTION rma_refuse_change();
CREATE TRIGGER posting_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON posting
    FOR EACH STATEMENT EXECUTE FUNCTION rma_refuse_change();

GRANT SELECT ON ledger_account TO rma_app;
GRANT SELECT, INSERT ON journal_entry, posting TO rma_app;
