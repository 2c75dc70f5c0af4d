/* export_row.c - the export kinds' names (export_row.h), shared by the
 * exports (export.c) and their SQL (db_export.c). */
#include "rma/export_row.h"

#include <string.h>

static const char *const names[EXPORT_KINDS] = {
    [EXPORT_LEDGER] = "ledger",
    [EXPORT_HOLDS] = "holds",
    [EXPORT_CAPTURES_REFUNDS] = "captures-refunds",
    [EXPORT_MAKEUP_PAYMENTS] = "makeup-payments",
    [EXPORT_EXCEPTIONS] = "exceptions",
    [EXPORT_RMAS] = "rmas",
    [EXPORT_SHIPMENTS] = "shipments",
};

bool
export_kind_parse(const char *s, enum export_kind *out)
{
    for (int k = 0; s != NULL && k < EXPORT_KINDS; k++) {
        if (strcmp(s, names[k]) == 0) {
            *out = (enum export_kind)k;
            return true;
        }
    }
    return false;
}

const char *
export_kind_name(enum export_kind kind)
{
    return names[kind];
}
