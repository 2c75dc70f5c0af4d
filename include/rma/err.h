/* err.h - the application's one error vocabulary.
 *
 * Every layer speaks rma_err.  Each boundary translates once: SQLSTATEs in
 * db*.c, curl codes and PayPal bodies in paypal*.c, HTTP status codes only in
 * http_*.c (http_status_for_err). */
#ifndef RMA_ERR_H
#define RMA_ERR_H

enum rma_err {
    RMA_OK = 0,
    RMA_EINVAL,     /* malformed input (400) */
    RMA_EUNAUTH,    /* no or bad credentials (401) */
    RMA_EFORBIDDEN, /* authenticated, not allowed (403) */
    RMA_ENOTFOUND,  /* unknown, or not yours (404) */
    RMA_EMETHOD,    /* path exists, method does not (405) */
    RMA_ECONFLICT,  /* state conflict (409) */
    RMA_ETOOLARGE,  /* body or field over its limit (413) */
    RMA_EMEDIA,     /* wrong media type (415) */
    RMA_ERULE,      /* well-formed but violates a rule (422) */
    RMA_ERATE,      /* rate limited (429) */
    RMA_EUPSTREAM,  /* PayPal or SMTP unavailable (503) */
    RMA_EDB,        /* database unavailable (503) */
    RMA_EINTERNAL,  /* a bug or an impossible state (500) */
};

/* The default snake_case code for an error, e.g. "not_found".  Static. */
const char *rma_err_code(enum rma_err err);

#endif
