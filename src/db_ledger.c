/* db_ledger.c - SQL of the double-entry ledger (sql/migrations/0006_ledger.sql)
 * and of `rmactl ledger verify`.
 *
 * Entries and their postings are written by one statement, one entry or
 * several (a capture's release of the hold and the capture itself): each
 * entry is inserted unless its idempotency key exists (ON CONFLICT DO
 * NOTHING, so a duplicate does not abort the caller's transaction), and its
 * postings only when it was.  A duplicate is then compared with what is
 * stored.  The entries travel as one JSON array (jansson quotes the memo
 * and keys); the statement trigger (0026, its query 0027) checks every
 * entry the statement touched, once. */
#include "rma/db_ledger.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "rma/buf.h"
#include "rma/log.h"

/* The parameters of ledger_same, in this order. */
#define ENTRY_PARAMS 12

/* Per currency, memo and real accounts apart, the non-zero sums: entry id,
 * currency, memo (t/f), sum in minor units. */
#define Q_UNBALANCED                                                           \
    "SELECT p.entry_id, p.currency, coalesce(a.kind = 'memo', false),"         \
    " sum(p.amount_minor)"                                                     \
    " FROM posting p LEFT JOIN ledger_account a ON a.code = p.account"         \
    " GROUP BY p.entry_id, p.currency, coalesce(a.kind = 'memo', false)"       \
    " HAVING sum(p.amount_minor) <> 0 ORDER BY 1, 2, 3"

/* Entries with fewer than two postings: entry id, postings. */
#define Q_FEW_POSTINGS                                                         \
    "SELECT e.id, count(p.id) FROM journal_entry e"                            \
    " LEFT JOIN posting p ON p.entry_id = e.id"                                \
    " GROUP BY e.id HAVING count(p.id) < 2 ORDER BY e.id"

/* Postings whose entry, account or currency does not exist: posting id,
 * entry id, account, currency, no entry, no account, no currency (t/f). */
#define Q_ORPHANS                                                              \
    "SELECT p.id, p.entry_id, p.account, p.currency, e.id IS NULL,"            \
    " a.code IS NULL, c.code IS NULL FROM posting p"                           \
    " LEFT JOIN journal_entry e ON e.id = p.entry_id"                          \
    " LEFT JOIN ledger_account a ON a.code = p.account"                        \
    " LEFT JOIN currency c ON c.code = p.currency"                             \
    " WHERE e.id IS NULL OR a.code IS NULL OR c.code IS NULL ORDER BY p.id"

/* Keys held by several entries: key, count, entry ids. */
#define Q_DUPLICATE_KEYS                                                       \
    "SELECT idempotency_key, count(*), string_agg(id::text, ', ' ORDER BY id)" \
    " FROM journal_entry GROUP BY idempotency_key HAVING count(*) > 1"         \
    " ORDER BY 1"

/* Entries whose cause does not hold together: entry id, hold id, the
 * entry's case, the hold's case, hold missing (t/f), memo posting without a
 * hold (t/f). */
#define Q_CAUSES                                                               \
    "SELECT e.id, e.hold_id, e.rma_id, h.rma_id,"                              \
    " e.hold_id IS NOT NULL AND h.id IS NULL,"                                 \
    " e.hold_id IS NULL FROM journal_entry e"                                  \
    " LEFT JOIN hold h ON h.id = e.hold_id"                                    \
    " WHERE (e.hold_id IS NOT NULL"                                            \
    " AND (h.id IS NULL OR e.rma_id IS DISTINCT FROM h.rma_id))"               \
    " OR (e.hold_id IS NULL AND EXISTS (SELECT 1 FROM posting p"               \
    " JOIN ledger_account a ON a.code = p.account"                             \
    " WHERE p.entry_id = e.id AND a.kind = 'memo'))"                           \
    " ORDER BY e.id"

/* Holds whose memo balance (holds:authorized postings of their entries, per
 * currency) differs from their state: hold id, status, currency, expected,
 * balance. */
/* SPEC §16, the business state: an authorized hold kept (no release asked
 * for) on a case that cannot have one; a captured hold whose case is
 * neither charged, nor received late and waiting for the supervisor's
 * refund decision, nor having the capture refunded (or decided not to
 * be).
 * hold id, case number, case status, method. */
#define Q_STRAY_HOLDS                                                          \
    "SELECT h.id, r.number, r.status, coalesce(r.replacement_method, '')"      \
    " FROM hold h JOIN rma r ON r.id = h.rma_id"                               \
    " WHERE h.status = 'authorized' AND h.void_requested_at IS NULL"           \
    " AND (r.replacement_method IS DISTINCT FROM 'advanced'"                   \
    "  OR r.status NOT IN ('awaiting_shipment', 'awaiting_return',"            \
    "   'return_submitted', 'received'))"                                      \
    " ORDER BY h.id"
#define Q_CAPTURED_CASES                                                       \
    "SELECT h.id, r.number, r.status, coalesce(r.replacement_method, '')"      \
    " FROM hold h JOIN rma r ON r.id = h.rma_id"                               \
    " WHERE h.status = 'captured' AND r.status NOT IN ('charged', 'received')" \
    " AND h.refund_requested_minor IS NULL AND h.refund_id IS NULL"            \
    " AND h.refund_decided_at IS NULL"                                         \
    " ORDER BY h.id"

#define Q_MEMO                                                                 \
    "WITH memo AS (SELECT e.hold_id, p.currency,"                              \
    " sum(p.amount_minor) AS balance"                                          \
    " FROM journal_entry e JOIN posting p ON p.entry_id = e.id"                \
    " WHERE p.account = 'holds:authorized' AND e.hold_id IS NOT NULL"          \
    " GROUP BY e.hold_id, p.currency),"                                        \
    " expected AS (SELECT h.id AS hold_id, h.status, h.currency,"              \
    " CASE WHEN h.status = 'authorized' THEN h.amount_minor ELSE 0 END"        \
    " AS amount FROM hold h"                                                   \
    " UNION ALL SELECT m.hold_id, h.status, m.currency, 0 FROM memo m"         \
    " JOIN hold h ON h.id = m.hold_id AND h.currency <> m.currency)"           \
    " SELECT x.hold_id, x.status, x.currency, x.amount,"                       \
    " coalesce(m.balance, 0) FROM expected x"                                  \
    " LEFT JOIN memo m ON m.hold_id = x.hold_id AND m.currency = x.currency"   \
    " WHERE coalesce(m.balance, 0) <> x.amount ORDER BY 1, 3"

/* Entries of one kind summed per entry: the amount credited (capture) or
 * debited (refund) to revenue, and the fee. */
#define SETTLEMENTS(kind, sign)                                                \
    "WITH s AS (SELECT e.id, e.hold_id, e.paypal_id,"                          \
    " string_agg(DISTINCT p.currency, ',') AS currency,"                       \
    " " sign "coalesce(sum(p.amount_minor) FILTER"                             \
    " (WHERE p.account = 'revenue:unreturned_units'), 0) AS amount,"           \
    " -(" sign "coalesce(sum(p.amount_minor) FILTER"                           \
    " (WHERE p.account = 'expense:paypal_fees'), 0)) AS fee"                   \
    " FROM journal_entry e JOIN posting p ON p.entry_id = e.id"                \
    " WHERE e.kind = '" kind "' GROUP BY e.id)"

/* Each captured hold and each hold with a capture entry: hold id, status,
 * currency, capture id, capture_minor, fee_minor, entries, their ids, and
 * of the first entry: PayPal id, currencies, gross, fee. */
#define Q_CAPTURES                                                             \
    SETTLEMENTS("capture", "-")                                                \
    " SELECT h.id, h.status, h.currency, h.capture_id, h.capture_minor,"       \
    " coalesce(h.fee_minor, 0), count(s.id),"                                  \
    " string_agg(s.id::text, ', ' ORDER BY s.id),"                             \
    " (array_agg(s.paypal_id ORDER BY s.id))[1],"                              \
    " (array_agg(s.currency ORDER BY s.id))[1],"                               \
    " (array_agg(s.amount ORDER BY s.id))[1],"                                 \
    " (array_agg(s.fee ORDER BY s.id))[1]"                                     \
    " FROM hold h LEFT JOIN s ON s.hold_id = h.id"                             \
    " WHERE h.status = 'captured' OR s.id IS NOT NULL"                         \
    " GROUP BY h.id ORDER BY h.id"

/* Each refunded hold and each hold with a refund entry: hold id, status,
 * currency, refund id, refund_minor, 0, entries, their ids, and of the first
 * entry: PayPal id, currencies, amount, fee returned. */
#define Q_REFUNDS                                                              \
    SETTLEMENTS("refund", "")                                                  \
    " SELECT h.id, h.status, h.currency, h.refund_id, h.refund_minor, 0,"      \
    " count(s.id), string_agg(s.id::text, ', ' ORDER BY s.id),"                \
    " (array_agg(s.paypal_id ORDER BY s.id))[1],"                              \
    " (array_agg(s.currency ORDER BY s.id))[1],"                               \
    " (array_agg(s.amount ORDER BY s.id))[1],"                                 \
    " (array_agg(s.fee ORDER BY s.id))[1]"                                     \
    " FROM hold h LEFT JOIN s ON s.hold_id = h.id"                             \
    " WHERE h.refund_id IS NOT NULL OR s.id IS NOT NULL"                       \
    " GROUP BY h.id ORDER BY h.id"

/* Every capture and refund entry, to compare with PayPal: entry id, kind,
 * PayPal id, currency, amount (gross or refunded), fee (kept or returned),
 * hold id, its authorization, reauthorization and capture ids. */
#define Q_PAYPAL                                                               \
    "WITH s AS (SELECT e.id, e.kind, e.paypal_id, e.hold_id,"                  \
    " min(p.currency) FILTER (WHERE p.account = 'revenue:unreturned_units')"   \
    " AS currency,"                                                            \
    " coalesce(sum(p.amount_minor) FILTER"                                     \
    " (WHERE p.account = 'revenue:unreturned_units'), 0) AS revenue,"          \
    " coalesce(sum(p.amount_minor) FILTER"                                     \
    " (WHERE p.account = 'expense:paypal_fees'), 0) AS fees"                   \
    " FROM journal_entry e JOIN posting p ON p.entry_id = e.id"                \
    " WHERE e.kind IN ('capture', 'refund') GROUP BY e.id)"                    \
    " SELECT s.id, s.kind, s.paypal_id, s.currency,"                           \
    " CASE s.kind WHEN 'capture' THEN -s.revenue ELSE s.revenue END,"          \
    " CASE s.kind WHEN 'capture' THEN s.fees ELSE -s.fees END,"                \
    " s.hold_id, h.authorization_id, h.reauthorization_id, h.capture_id"       \
    " FROM s LEFT JOIN hold h ON h.id = s.hold_id ORDER BY s.id"

static const struct db_stmt stmts[] = {
    /* $1: [{n, key, kind, rma_id, hold_id, intent_id, makeup_id, paypal_id,
     * memo, effective_at, currency, lines: [{k, account, amount}]}], the
     * keys distinct.  One row per entry written: its key. */
    {"ledger_post",
     "WITH l AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS l(n int,"
     " key text, kind text, rma_id bigint, hold_id bigint, intent_id bigint,"
     " makeup_id bigint, paypal_id text, memo text, effective_at timestamptz,"
     " currency text, lines jsonb)),"
     " e AS (INSERT INTO journal_entry (idempotency_key, kind, rma_id,"
     " hold_id, paypal_intent_id, makeup_id, paypal_id, memo, effective_at)"
     " SELECT key, kind, NULLIF(rma_id, 0), NULLIF(hold_id, 0),"
     " NULLIF(intent_id, 0), NULLIF(makeup_id, 0), paypal_id, memo,"
     " coalesce(effective_at, now()) FROM l ORDER BY n"
     " ON CONFLICT (idempotency_key) DO NOTHING"
     " RETURNING id, idempotency_key),"
     " p AS (INSERT INTO posting (entry_id, account, currency, amount_minor)"
     " SELECT e.id, x.account, l.currency, x.amount"
     " FROM l JOIN e ON e.idempotency_key = l.key,"
     " jsonb_to_recordset(l.lines) AS x(k int, account text, amount bigint)"
     " ORDER BY l.n, x.k RETURNING 1)"
     " SELECT e.idempotency_key, (SELECT count(*) FROM p) FROM e",
     1},
    /* The stored entry of the key against the proposal: id, same (t/f). */
    {"ledger_same",
     "SELECT e.id, e.kind = $2"
     " AND e.rma_id IS NOT DISTINCT FROM NULLIF($3::bigint, 0)"
     " AND e.hold_id IS NOT DISTINCT FROM NULLIF($4::bigint, 0)"
     " AND e.paypal_intent_id IS NOT DISTINCT FROM NULLIF($5::bigint, 0)"
     " AND e.makeup_id IS NOT DISTINCT FROM NULLIF($6::bigint, 0)"
     " AND e.paypal_id IS NOT DISTINCT FROM $7"
     " AND e.memo IS NOT DISTINCT FROM $8"
     " AND ($9::timestamptz IS NULL OR e.effective_at = $9::timestamptz)"
     " AND (SELECT array_agg(ROW(p.account, p.currency, p.amount_minor)::text"
     " ORDER BY p.account, p.currency, p.amount_minor)"
     " FROM posting p WHERE p.entry_id = e.id)"
     " = (SELECT array_agg(ROW(l.account, $10::text, l.amount)::text"
     " ORDER BY l.account, l.amount)"
     " FROM unnest($11::text[], $12::bigint[]) AS l(account, amount))"
     " FROM journal_entry e WHERE e.idempotency_key = $1",
     ENTRY_PARAMS},
    {"ledger_snapshot",
     "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0},
    {"ledger_q_unbalanced", Q_UNBALANCED, 0},
    {"ledger_q_few_postings", Q_FEW_POSTINGS, 0},
    {"ledger_q_orphans", Q_ORPHANS, 0},
    {"ledger_q_duplicate_keys", Q_DUPLICATE_KEYS, 0},
    {"ledger_q_causes", Q_CAUSES, 0},
    {"ledger_q_memo", Q_MEMO, 0},
    {"ledger_q_stray_holds", Q_STRAY_HOLDS, 0},
    {"ledger_q_captured_cases", Q_CAPTURED_CASES, 0},
    {"ledger_q_captures", Q_CAPTURES, 0},
    {"ledger_q_refunds", Q_REFUNDS, 0},
    {"ledger_q_paypal", Q_PAYPAL, 0},
};
const struct db_stmt_table db_ledger_stmts = {stmts,
                                              sizeof(stmts) / sizeof(stmts[0])};

/* By enum ledger_query. */
static const char *const query_names[] = {
    [LEDGER_Q_UNBALANCED] = "ledger_q_unbalanced",
    [LEDGER_Q_FEW_POSTINGS] = "ledger_q_few_postings",
    [LEDGER_Q_ORPHANS] = "ledger_q_orphans",
    [LEDGER_Q_DUPLICATE_KEYS] = "ledger_q_duplicate_keys",
    [LEDGER_Q_CAUSES] = "ledger_q_causes",
    [LEDGER_Q_MEMO] = "ledger_q_memo",
    [LEDGER_Q_STRAY_HOLDS] = "ledger_q_stray_holds",
    [LEDGER_Q_CAPTURED_CASES] = "ledger_q_captured_cases",
    [LEDGER_Q_CAPTURES] = "ledger_q_captures",
    [LEDGER_Q_REFUNDS] = "ledger_q_refunds",
    [LEDGER_Q_PAYPAL] = "ledger_q_paypal",
};

/* The lines as two array literals: {"paypal:balance","expense:paypal_fees"}
 * and {970,30}.  Account codes were checked (letters, '_' and ':'). */
static enum rma_err
line_arrays(const struct ledger_entry *e, struct buf *accounts,
            struct buf *amounts)
{
    enum rma_err err = RMA_OK;
    for (size_t i = 0; i < e->n && err == RMA_OK; i++) {
        const char *sep = i == 0 ? "{" : ",";
        err = buf_printf(accounts, "%s\"%s\"", sep, e->lines[i].account);
        if (err == RMA_OK)
            err = buf_printf(amounts, "%s%" PRId64, sep,
                             e->lines[i].amount_minor);
    }
    if (err == RMA_OK)
        err = buf_puts(accounts, "}");
    if (err == RMA_OK)
        err = buf_puts(amounts, "}");
    return err;
}

/* ledger_same's parameters for e: the numbers printed into t. */
struct entry_text {
    char rma[24], hold[24], intent[24], makeup[24];
    struct buf accounts, amounts;
};

/* A duplicate's key: RMA_OK when the stored entry has e's content, else
 * RMA_ECONFLICT. */
static enum rma_err
same_as_stored(struct db *db, const struct ledger_entry *e)
{
    struct entry_text t;
    snprintf(t.rma, sizeof(t.rma), "%" PRId64, e->rma_id);
    snprintf(t.hold, sizeof(t.hold), "%" PRId64, e->hold_id);
    snprintf(t.intent, sizeof(t.intent), "%" PRId64, e->intent_id);
    snprintf(t.makeup, sizeof(t.makeup), "%" PRId64, e->makeup_id);
    buf_init(&t.accounts, 64 * LEDGER_LINES_MAX);
    buf_init(&t.amounts, 24 * LEDGER_LINES_MAX);
    PGresult *r = NULL;
    enum rma_err err = line_arrays(e, &t.accounts, &t.amounts);
    if (err != RMA_OK)
        goto done;
    const char *params[ENTRY_PARAMS] = {
        e->key,          e->kind,     t.rma,           t.hold,
        t.intent,        t.makeup,    e->paypal_id,    e->memo,
        e->effective_at, e->currency, t.accounts.data, t.amounts.data,
    };
    r = db_run(db, "ledger_same", ENTRY_PARAMS, params, &err);
    if (r == NULL)
        goto done;
    if (PQntuples(r) != 1) {
        err = RMA_EINTERNAL; /* a conflict on a key that is not there */
    } else if (strcmp(PQgetvalue(r, 0, 1), "t") != 0) {
        log_event(LOG_ERROR, "ledger_key_conflict", "{s:s, s:s}", "key", e->key,
                  "entry", PQgetvalue(r, 0, 0));
        err = RMA_ECONFLICT;
    }
done:
    PQclear(r);
    buf_free(&t.accounts);
    buf_free(&t.amounts);
    return err;
}

/* ledger_post's parameter: the entries as a JSON array, or NULL (out of
 * memory). */
static char *
entries_json(const struct ledger_entry *const *e, size_t n)
{
    json_t *all = json_array();
    for (size_t i = 0; all != NULL && i < n; i++) {
        json_t *lines = json_array();
        for (size_t k = 0; lines != NULL && k < e[i]->n; k++) {
            const struct ledger_line *l = &e[i]->lines[k];
            if (json_array_append_new(
                    lines, json_pack("{s:I, s:s, s:I}", "k", (json_int_t)k,
                                     "account", l->account, "amount",
                                     (json_int_t)l->amount_minor)) != 0) {
                json_decref(lines);
                lines = NULL;
            }
        }
        json_t *o = json_pack(
            "{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s, s:o}",
            "n", (json_int_t)i, "key", e[i]->key, "kind", e[i]->kind, "rma_id",
            (json_int_t)e[i]->rma_id, "hold_id", (json_int_t)e[i]->hold_id,
            "intent_id", (json_int_t)e[i]->intent_id, "makeup_id",
            (json_int_t)e[i]->makeup_id, "paypal_id", e[i]->paypal_id, "memo",
            e[i]->memo, "effective_at", e[i]->effective_at, "currency",
            e[i]->currency, "lines", lines);
        if (json_array_append_new(all, o) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    char *text = all != NULL ? json_dumps(all, JSON_COMPACT) : NULL;
    json_decref(all);
    return text;
}

enum rma_err
db_ledger_post_many(struct db *db, const struct ledger_entry *const *e,
                    size_t n, bool *created)
{
    for (size_t i = 0; i < n; i++) {
        created[i] = false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(e[i]->key, e[j]->key) == 0)
                return RMA_EINTERNAL; /* one key, two entries */
    }
    char *entries = entries_json(e, n);
    if (entries == NULL)
        return RMA_EINTERNAL;
    enum rma_err err;
    const char *params[] = {entries};
    PGresult *r = db_run(db, "ledger_post", 1, params, &err);
    free(entries);
    if (r == NULL)
        return err;
    for (int row = 0; row < PQntuples(r); row++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(PQgetvalue(r, row, 0), e[i]->key) == 0)
                created[i] = true;
    PQclear(r);
    for (size_t i = 0; i < n && err == RMA_OK; i++)
        if (!created[i])
            err = same_as_stored(db, e[i]);
    return err;
}

enum rma_err
db_ledger_post(struct db *db, const struct ledger_entry *e, bool *created)
{
    return db_ledger_post_many(db, &e, 1, created);
}

enum rma_err
db_ledger_snapshot(struct db *db)
{
    enum rma_err err = db_begin(db);
    if (err != RMA_OK)
        return err;
    PGresult *r = db_run(db, "ledger_snapshot", 0, NULL, &err);
    if (r == NULL) {
        db_rollback(db);
        return err;
    }
    PQclear(r);
    return RMA_OK;
}

enum rma_err
db_ledger_query(struct db *db, enum ledger_query q, ledger_row_fn fn, void *ctx)
{
    if ((size_t)q >= sizeof(query_names) / sizeof(query_names[0]))
        return RMA_EINTERNAL;
    enum rma_err err;
    PGresult *r = db_run(db, query_names[q], 0, NULL, &err);
    if (r == NULL)
        return err;
    int ncol = PQnfields(r);
    const char *col[16];
    if (ncol > (int)(sizeof(col) / sizeof(col[0]))) {
        PQclear(r);
        return RMA_EINTERNAL;
    }
    for (int row = 0; row < PQntuples(r) && err == RMA_OK; row++) {
        for (int c = 0; c < ncol; c++)
            col[c] = db_get(r, row, c);
        err = fn(ctx, col, ncol);
    }
    PQclear(r);
    return err;
}
