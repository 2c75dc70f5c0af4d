/* staff_notify.c - mail to the console's people (staff_notify.h): the
 * daily digest of their queues, run by `rmactl run-jobs`, and the message
 * to a case's creator when the customer disagrees. */
#include "rma/staff_notify.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/console.h"
#include "rma/log.h"
#include "rma/staff_account.h"

#define MAIL_KIND_DIGEST "staff_digest"
#define MAIL_KIND_DISAGREED "staff_disagreed"

/* The lines of role's digest from the queue counts (a person's own
 * queues; an admin's digest is empty: admins see the console). */
static size_t
digest_lines(enum staff_role role, const struct console_count *counts,
             size_t ncounts, time_t now, struct staff_digest_line *out)
{
    size_t n = 0;
    for (size_t i = 0; i < console_nqueues; i++) {
        const struct console_queue *q = &console_queues[i];
        if ((q->roles & (unsigned)role) == 0)
            continue;
        for (size_t k = 0; k < ncounts; k++) {
            if (strcmp(counts[k].name, q->name) != 0 || counts[k].count <= 0)
                continue;
            long days = 0;
            struct tm tm;
            memset(&tm, 0, sizeof(tm));
            const char *end =
                strptime(counts[k].oldest, "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (end != NULL && *end == '\0')
                days = (long)((now - timegm(&tm)) / 86400);
            out[n++] = (struct staff_digest_line){q->title, counts[k].count,
                                                  days > 0 ? days : 0};
        }
    }
    return n;
}

enum rma_err
staff_digest_run(struct db *db, const struct rma_config *cfg, time_t now,
                 bool dry_run, int *sent)
{
    *sent = 0;
    struct tm tm;
    gmtime_r(&now, &tm);
    if (cfg->staff_digest_hour < 0 || tm.tm_hour < cfg->staff_digest_hour)
        return RMA_OK;
    char day[16], iso[32];
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct staff_account *people = NULL;
    size_t npeople = 0;
    enum rma_err err = db_staff_digest_due(db, day, &people, &npeople);
    if (err != RMA_OK || npeople == 0) {
        free(people);
        return err;
    }
    struct console_count counts[32];
    size_t ncounts = 0;
    err = db_console_counts(db, iso, counts, 32, &ncounts);
    for (size_t i = 0; err == RMA_OK && i < npeople; i++) {
        struct staff_digest_line lines[32];
        size_t n = digest_lines(people[i].role, counts, ncounts, now, lines);
        if (n == 0)
            continue; /* nothing waits: nothing sent, maybe later today */
        if (dry_run) {
            (*sent)++;
            continue;
        }
        struct mail_text text = {0};
        enum rma_err e = mail_text_staff_digest(
            cfg->public_base_url, people[i].name, lines, n, &text);
        if (e == RMA_OK)
            e = db_begin(db);
        if (e == RMA_OK) {
            e = db_staff_digest_claim(db, people[i].id, day);
            if (e == RMA_OK)
                e = mail_enqueue(db, MAIL_KIND_DIGEST, 0, people[i].email,
                                 text.subject, text.body);
            if (e == RMA_OK)
                e = db_commit(db);
            else
                db_rollback(db);
        }
        mail_text_free(&text);
        if (e == RMA_OK)
            (*sent)++;
        else if (e == RMA_EDB)
            err = e;
        else if (e != RMA_ECONFLICT) /* ECONFLICT: another runner sent it */
            log_event(LOG_WARN, "staff_digest_failed", "{s:I, s:s}", "staff",
                      (json_int_t)people[i].id, "error", rma_err_code(e));
    }
    free(people);
    return err;
}

enum rma_err
staff_notify_disagreed(struct db *db, const struct rma_config *cfg,
                       int64_t rma_id, const char *comment)
{
    struct staff_account creator;
    char number[32];
    enum rma_err err =
        db_staff_creator_of(db, rma_id, &creator, number, sizeof(number));
    if (err == RMA_ENOTFOUND)
        return RMA_OK; /* created by a token or a departed person */
    if (err != RMA_OK)
        return err;
    struct mail_text text = {0};
    err = mail_text_staff_disagreed(cfg->public_base_url, creator.name, number,
                                    comment, &text);
    if (err == RMA_OK)
        err = mail_enqueue(db, MAIL_KIND_DISAGREED, rma_id, creator.email,
                           text.subject, text.body);
    mail_text_free(&text);
    return err;
}
