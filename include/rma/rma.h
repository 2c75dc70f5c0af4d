/* rma.h - RMA solutions in the database: lookup, views as JSON, creation,
 * edits, transitions with their audit events, comments, search.
 *
 * Views are built by PostgreSQL (rma_json in 0002_cases.sql) and returned as
 * JSON text in the caller's arena.  Transitions are compare-and-set on the
 * status: the caller opens the transaction, so a transition and everything
 * it causes (audit, comment, mail) commit together or not at all. */
#ifndef RMA_RMA_H
#define RMA_RMA_H

#include <stdbool.h>
#include <stdint.h>

#include "rma/arena.h"
#include "rma/db.h"
#include "rma/err.h"
#include "rma/rma_state.h"

#define RMA_NUMBER_MAX 20 /* RMA-YYYY-NNNNNN */

struct rma_ref {
    int64_t id;
    int64_t customer_id;
    char number[RMA_NUMBER_MAX + 1];
    enum rma_status status;
    enum rma_kind kind;
    int revision;
    char currency[4];
    int64_t refund_minor;      /* -1 when not set */
    int64_t replacement_minor; /* -1 when not set */
    char order_country[3];
    char customer_email[255];
    char customer_name[201];
    char replacement_method[12]; /* "" when not chosen */
    int64_t order_total_minor;   /* sum of the order's items */
    bool address_confirmed;      /* a shipping address confirmed (§14) */
};

/* Who acts: written into every audit event. */
struct rma_actor_info {
    enum rma_actor kind;
    const char *name; /* customer email, staff token name, or job name */
    const char *role; /* staff role, or NULL */
    bool on_behalf;   /* staff acting for the customer */
};

/* True when s looks like an RMA number (RMA-YYYY-NNNNNN). */
bool rma_number_valid(const char *s);

/* The case with this number.  RMA_ENOTFOUND if none. */
enum rma_err db_rma_find(struct db *db, const char *number,
                         struct rma_ref *out);
enum rma_err db_rma_find_id(struct db *db, int64_t id, struct rma_ref *out);
/* The same, with the case row locked until the transaction ends: every
 * case operation starts here (case_ops.h). */
enum rma_err db_rma_lock_id(struct db *db, int64_t id, struct rma_ref *out);

/* A case with its whole detail (rma_detail_json) and what the customer's
 * actions depend on, from one query. */
struct rma_detail {
    /* id, customer_id, number, status, kind and replacement_method only */
    struct rma_ref ref;
    int64_t makeup_due;            /* 0 when none */
    int64_t makeup_latest_id;      /* the newest claim, 0 when none */
    char makeup_latest_status[16]; /* "" when none */
    char *json; /* in the arena; NULL when viewer may not see it */
};
/* The case with this number, or with this id when number is NULL.  The
 * document is given when viewer is 0 (staff) or the case's customer; staff
 * get the staff detail (the staff-only fields and "events", the timeline).
 * It is read from rma_document, rendered and stored there when stale
 * (0021_read_cache.sql; outside a transaction only).  RMA_ENOTFOUND if
 * none. */
enum rma_err db_rma_detail(struct db *db, const char *number, int64_t id,
                           int64_t viewer, bool staff, struct arena *a,
                           struct rma_detail *out);

struct customer_session;
/* The customer's API read in one query (SPEC §11): the live session whose
 * token has this SHA-256 hash (auth.h's rules: RMA_EUNAUTH when there is
 * none) into *who, and the case with this number into *out (in the arena;
 * NULL when there is none), its document given only when it is the
 * session's customer's, as db_rma_detail gives it.  who->email is left
 * empty (the read needs none; one join fewer).  A case whose document is
 * not stored takes a second query, which stores it. */
enum rma_err db_session_find_case(struct db *db, const unsigned char *hash,
                                  const char *now, int idle_minutes,
                                  const char *number,
                                  struct customer_session *who, struct arena *a,
                                  struct rma_detail **out);

/* JSON text of one case (rma_json), the customer's list ({"rmas": [...]}),
 * the timeline. */
enum rma_err db_rma_json(struct db *db, int64_t id, bool staff, struct arena *a,
                         char **json);
enum rma_err db_rma_list_json(struct db *db, int64_t customer_id,
                              struct arena *a, char **json);
enum rma_err db_rma_events_json(struct db *db, int64_t id, bool staff,
                                struct arena *a, char **json);
/* Staff search by status (may be NULL) and q (email, number, S/N or UID;
 * may be NULL), newest first, at most limit. */
enum rma_err db_rma_search_json(struct db *db, const char *status,
                                const char *q, int limit, struct arena *a,
                                char **json);

/* Creates a draft from a validated document; *id is the new case. */
enum rma_err db_rma_create(struct db *db, const char *doc_json,
                           const char *actor, const char *now, int64_t *id);
/* Applies an edit (revision + 1) and snapshots the new revision. */
enum rma_err db_rma_edit(struct db *db, int64_t id, const char *doc_json,
                         const char *now);
enum rma_err db_rma_snapshot(struct db *db, int64_t id, const char *actor,
                             const char *now);

/* Inside a transaction: locks case rma_id's row and tells whether the
 * staff member named staff_name created or edited it (its audit trail:
 * "create" or "edit" by that staff name), for the four-eyes rule
 * (SPEC §15).  RMA_ENOTFOUND if there is no such case. */
enum rma_err db_rma_lock_staff_touched(struct db *db, int64_t rma_id,
                                       const char *staff_name, bool *touched);

/* Moves r from r->status to `to`, or RMA_ECONFLICT if it is no longer in
 * r->status; writes the audit event.  detail_json may be NULL. */
enum rma_err db_rma_transition(struct db *db, const struct rma_ref *r,
                               enum rma_status to, enum rma_event ev,
                               const struct rma_actor_info *who,
                               const char *detail_json, const char *now);
/* An audit event that is not a transition (edits, address changes...). */
enum rma_err db_rma_audit(struct db *db, int64_t rma_id,
                          const struct rma_actor_info *who, const char *action,
                          const char *detail_json, const char *now);
enum rma_err db_rma_comment(struct db *db, int64_t rma_id,
                            const char *author_kind, const char *author_name,
                            const char *body, const char *now);
enum rma_err db_rma_set_method(struct db *db, int64_t id, const char *method,
                               const char *now);
enum rma_err db_rma_set_address(struct db *db, int64_t id,
                                const char *address_json, const char *now);
/* Records the agent's request for a proof of purchase (note: their words,
 * shown to the customer). */
enum rma_err db_rma_request_proof(struct db *db, int64_t id, const char *note,
                                  const char *now);
enum rma_err db_rma_set_cancel_reason(struct db *db, int64_t id,
                                      const char *reason);

#endif
