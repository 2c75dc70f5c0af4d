/* err.c - names of the application's error codes. */
#include "rma/err.h"

const char *
rma_err_code(enum rma_err err)
{
    switch (err) {
    case RMA_OK: return "ok";
    case RMA_EINVAL: return "invalid_request";
    case RMA_EUNAUTH: return "unauthenticated";
    case RMA_EFORBIDDEN: return "forbidden";
    case RMA_ENOTFOUND: return "not_found";
    case RMA_EMETHOD: return "method_not_allowed";
    case RMA_ECONFLICT: return "conflict";
    case RMA_ETOOLARGE: return "too_large";
    case RMA_EMEDIA: return "unsupported_media_type";
    case RMA_ERULE: return "rule_violated";
    case RMA_ERATE: return "rate_limited";
    case RMA_EUPSTREAM: return "upstream_unavailable";
    case RMA_EDB: return "database_unavailable";
    case RMA_EINTERNAL: return "internal_error";
    }
    return "internal_error";
}
