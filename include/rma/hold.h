/* hold.h - the PayPal hold of an advanced replacement (SPEC §5.3).
 *
 * A hold is born when the customer accepts the pre-authorization agreement
 * (a PayPal order of intent AUTHORIZE), becomes `authorized` when the buyer
 * comes back from PayPal, and ends voided (return received, waived,
 * cancelled), captured (deadline passed), expired or failed.  Work that
 * needs PayPal is first written on the row (void_requested_at,
 * refund_requested_minor, next_capture_at) and then done, by the request
 * when PayPal answers or by `rmactl run-jobs` otherwise.
 *
 * The rules that need no I/O (deadlines, what is due, extension bounds) are
 * pure functions here, unit-tested on their own. */
#ifndef RMA_HOLD_H
#define RMA_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "rma/arena.h"
#include "rma/err.h"
#include "rma/rma_state.h"

#define HOLD_ID_MAX 64    /* PayPal ids, with the NUL */
#define HOLD_URL_MAX 1024 /* approval links, with the NUL */
#define HOLD_DAY (24L * 60 * 60)
#define HOLD_HONOR_DAYS 3 /* PayPal honors the funds this long */
#define HOLD_VALIDITY_DAYS 29
#define HOLD_REAUTH_LEAD_DAYS                                                  \
    2 /* reauthorize this long before the deadline                             \
       */

/* The agreement the customer accepts (its text is in hold.c). */
#define HOLD_TERMS_VERSION "2026-11"
const char *hold_terms_text(void);

enum hold_status {
    HOLD_PENDING_APPROVAL,
    HOLD_ABANDONED,
    HOLD_AUTHORIZED,
    HOLD_VOIDED,
    HOLD_CAPTURED,
    HOLD_EXPIRED,
    HOLD_FAILED,
};

enum hold_reauth {
    REAUTH_NONE,
    REAUTH_SUCCEEDED,
    REAUTH_REFUSED,
};

struct hold {
    int64_t id;
    int64_t rma_id;
    enum hold_status status;
    char currency[4];
    int64_t amount_minor;
    char order_id[HOLD_ID_MAX];
    char approve_url[HOLD_URL_MAX];
    char authorization_id[HOLD_ID_MAX];
    time_t authorized_at; /* 0 when not authorized */
    time_t expires_at;
    time_t honor_until;
    enum hold_reauth reauth;
    char reauthorization_id[HOLD_ID_MAX];
    time_t reauth_honor_until;
    time_t deadline;
    int extensions;
    time_t void_requested_at; /* 0: no release asked for */
    char void_reason[16];     /* received | waived | cancelled | stray */
    int capture_attempts;
    time_t next_capture_at;  /* 0: no retry scheduled */
    char capture_reason[16]; /* deadline | expiry_policy | manual, or "" */
    char capture_id[HOLD_ID_MAX];
    int64_t capture_minor;
    int64_t fee_minor;
    int64_t refund_requested_minor; /* 0: none */
    char refund_id[HOLD_ID_MAX];
    unsigned reminded; /* bit d set: the reminder d days before was sent */
    time_t order_created_at;              /* 0 when no PayPal order yet */
    char pending_capture_id[HOLD_ID_MAX]; /* a capture PayPal left PENDING */
    char pending_refund_id[HOLD_ID_MAX];  /* a refund PayPal left PENDING */
    bool refund_failed;                   /* PayPal failed the refund */
};

/* The knobs of the policy, from the configuration. */
struct hold_policy {
    long return_window_days;    /* 25 */
    bool capture_before_expiry; /* also capture one day before the
                                   authorization expires if no return was
                                   received (stricter policy, §5.3.6) */
    int capture_max_attempts;   /* declined captures tried this often */
    long capture_retry_s;       /* between declined attempts */
};

const char *hold_status_name(enum hold_status s);
int hold_status_parse(const char *s); /* -1 when unknown */

/* authorized_at + the return window. */
time_t hold_deadline(time_t authorized_at, long window_days);

/* The authorization a capture uses: the reauthorization when there is one,
 * else the original.  A void always targets the original (§5.3.7). */
const char *hold_capture_target(const struct hold *h);

/* Due now: reauthorize (2 days before the deadline, never within the first
 * honor period, once). */
bool hold_reauth_due(const struct hold *h, enum rma_status case_status,
                     time_t now);
/* Due now: capture.  Manual captures (capture_reason "manual") are due at
 * once; otherwise the deadline passed with the case still awaiting its
 * return, or (stricter policy) a day before expiry with nothing received.
 * *why receives deadline | expiry_policy | manual. */
bool hold_capture_due(const struct hold *h, enum rma_status case_status,
                      time_t now, const struct hold_policy *p,
                      const char **why);
/* Why a deadline extension to new_deadline is refused, or NULL: it must be
 * later than the current deadline and leave a day before the
 * authorization's expiry for the capture. */
const char *hold_extension_refusal(const struct hold *h, time_t new_deadline);
/* The reminder due now (days before the deadline, from the list in
 * reminder_days), or 0. */
int hold_reminder_due(const struct hold *h, enum rma_status case_status,
                      time_t now, const int *days, int ndays);

#endif
