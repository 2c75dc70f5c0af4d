/* db_hold_sql.h - SQL fragments shared by db_hold.c and db_hold_state.c;
 * never included elsewhere. */
#ifndef RMA_DB_HOLD_SQL_H
#define RMA_DB_HOLD_SQL_H

/* An open intent of op for the hold at the attempt about to be made. */
#define OPEN_INTENT(op, seq)                                                   \
    "EXISTS (SELECT 1 FROM paypal_intent i WHERE i.hold_id = h.id"             \
    " AND i.operation = '" op "' AND i.sequence = " seq                        \
    " AND i.status IN ('pending', 'unknown'))"

#endif
