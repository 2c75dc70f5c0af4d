/* sim_reply.c - paypal-sim's answers (sim_http.h): JSON and text bodies,
 * extra headers, and PayPal's error bodies with its names, messages and
 * issue descriptions (sim_issues.inc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_http.h"
#include "sim/sim_util.h"

void
sim_reply_json(struct sim_response *rs, int status, json_t *body)
{
    json_decref(rs->json);
    rs->json = body;
    rs->status = status;
    rs->content_type = "application/json";
}

void
sim_reply_text(struct sim_response *rs, int status, const char *type,
               const char *text)
{
    free(rs->text);
    rs->text = strdup(text);
    rs->status = status;
    rs->content_type = type;
}

void
sim_reply_header(struct sim_response *rs, const char *name, const char *value)
{
    if (rs->headers == NULL)
        rs->headers = json_object();
    json_object_set_new(rs->headers, name, json_string(value));
}

static void
status_name(int status, const char **name, const char **message)
{
    switch (status) {
    case 400:
        *name = "INVALID_REQUEST";
        *message = "Request is not well-formed, syntactically incorrect, or "
                   "violates schema.";
        break;
    case 401:
        *name = "AUTHENTICATION_FAILURE";
        *message = "Authentication failed due to missing authorization "
                   "header, or invalid authentication credentials.";
        break;
    case 403:
        *name = "NOT_AUTHORIZED";
        *message = "Authorization failed due to insufficient permissions.";
        break;
    case 404:
        *name = "RESOURCE_NOT_FOUND";
        *message = "The specified resource does not exist.";
        break;
    case 409:
        *name = "RESOURCE_CONFLICT";
        *message = "The server has detected a conflict while processing "
                   "this request.";
        break;
    case 415:
        *name = "UNSUPPORTED_MEDIA_TYPE";
        *message = "The server does not support the request payload's media "
                   "type.";
        break;
    case 422:
        *name = "UNPROCESSABLE_ENTITY";
        *message = "The requested action could not be performed, "
                   "semantically incorrect, or failed business validation.";
        break;
    case 429:
        *name = "RATE_LIMIT_REACHED";
        *message = "Too many requests. Blocked due to rate limiting.";
        break;
    case 503:
        *name = "SERVICE_UNAVAILABLE";
        *message = "Service Unavailable.";
        break;
    default:
        *name = "INTERNAL_SERVER_ERROR";
        *message = "An internal server error occurred.";
        break;
    }
}

struct issue_text {
    const char *issue;
    const char *text;
};

#include "sim/sim_issues.inc"

/* PayPal's own description of issue for this API, or NULL. */
static const char *
issue_description(const struct sim_response *rs, const char *issue)
{
    const struct issue_text *t =
        rs->payments_api ? payments_issues : orders_issues;
    size_t n = rs->payments_api
                   ? sizeof(payments_issues) / sizeof(payments_issues[0])
                   : sizeof(orders_issues) / sizeof(orders_issues[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].issue, issue) == 0)
            return t[i].text;
    return NULL;
}

void
sim_reply_error(struct sim_response *rs, int status, const char *issue,
                const char *description, const char *field, const char *value,
                const char *location)
{
    const char *name, *message;
    status_name(status, &name, &message);
    json_t *body = json_pack("{s:s, s:s, s:s}", "name", name, "message",
                             message, "debug_id", rs->debug_id);
    if (issue != NULL) {
        json_t *detail = json_pack("{s:s}", "issue", issue);
        const char *known = issue_description(rs, issue);
        if (known != NULL)
            description = known;
        if (field != NULL)
            sim_set_str(detail, "field", field);
        if (value != NULL)
            sim_set_str(detail, "value", value);
        if (location != NULL)
            sim_set_str(detail, "location", location);
        if (description != NULL)
            sim_set_str(detail, "description", description);
        json_object_set_new(body, "details", json_pack("[o]", detail));
    }
    char href[256];
    snprintf(href, sizeof(href),
             "https://developer.paypal.com/api/rest/reference/orders/v2/"
             "errors/#%s",
             issue != NULL ? issue : name);
    json_object_set_new(body, "links",
                        json_pack("[{s:s, s:s, s:s}]", "href", href, "rel",
                                  "information_link", "method", "GET"));
    sim_reply_json(rs, status, body);
}

void
sim_reply_not_found(struct sim_response *rs, const char *id)
{
    sim_reply_error(rs, 404, "INVALID_RESOURCE_ID",
                    "Specified resource ID does not exist. Please check the "
                    "resource ID and try again.",
                    NULL, id, "path");
}

void
sim_reply_sim_error(struct sim_response *rs, int status, const char *msg)
{
    sim_reply_json(rs, status, json_pack("{s:s}", "error", msg));
}
