/* api_attachment.c - attachments of a case (SPEC §5.4, §7): the customer
 * uploads pictures as raw request bodies, gets them back through nginx, and
 * deletes them while their submission is open; staff read them too.
 *
 * An upload streams from the FastCGI body (nginx has already buffered it,
 * so a slow client never holds a worker) into a temporary file in
 * upload_dir, at most ATTACHMENT_MAX_BYTES; its type is then decided by its
 * content alone (image.h), and only an accepted picture is renamed to its
 * content address and recorded, in one transaction with its audit event.
 * Any refusal leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/api.h"
#include "rma/case_ops.h"
#include "rma/image.h"
#include "rma/returns.h"
#include "rma/upload.h"

#define CHUNK (64 * 1024)

static const char *const kinds[] = {"shipping_label", "postage_receipt",
                                    "payment_receipt", "product_photo",
                                    "proof_of_purchase"};

static bool
known_kind(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

static struct rma_actor_info
customer_actor(const struct api_ctx *ctx)
{
    struct rma_actor_info who = {ACTOR_CUSTOMER, ctx->customer.email, NULL,
                                 false};
    return who;
}

static enum rma_err
no_attachment(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_ENOTFOUND, NULL, "no such attachment", NULL);
}

/* The attachment id of the path (its second parameter) if it belongs to
 * case rma_id; RMA_ENOTFOUND (answered) otherwise. */
static enum rma_err
attachment_of(struct api_ctx *ctx, int64_t rma_id, struct attachment *a)
{
    const char *s = ctx->req->params[1];
    if (*s < '1' || *s > '9' || strlen(s) > 18) /* digits, no sign, fits */
        return no_attachment(ctx);
    char *end;
    long long id = strtoll(s, &end, 10);
    if (*end != '\0')
        return no_attachment(ctx);
    enum rma_err err = db_attachment_get(&ctx->app->db, id, a);
    if (err == RMA_ENOTFOUND || (err == RMA_OK && a->rma_id != rma_id))
        return no_attachment(ctx);
    return err;
}

static enum rma_err
too_many(struct api_ctx *ctx)
{
    return http_fail(ctx->res, RMA_ERULE, "too_many_pictures",
                     "at most 5 pictures per submission: delete one first",
                     NULL);
}

/* Receives the body into t: RMA_ETOOLARGE past the limit, RMA_EINVAL when
 * empty (both answered). */
static enum rma_err
receive(struct api_ctx *ctx, struct upload_tmp *t)
{
    struct http_request *req = ctx->req;
    if (req->content_length > ATTACHMENT_MAX_BYTES)
        return http_fail(ctx->res, RMA_ETOOLARGE, "file_too_large",
                         "a picture may have at most 10 MiB", NULL);
    char *chunk = arena_alloc(ctx->arena, CHUNK);
    for (;;) {
        long got = http_body_read(req, chunk, CHUNK);
        if (got < 0)
            return http_fail(ctx->res, RMA_EINVAL, "incomplete_body",
                             "the request body ended early", NULL);
        size_t n = (size_t)got;
        if (n == 0)
            break;
        if (t->bytes + n > (size_t)ATTACHMENT_MAX_BYTES)
            return http_fail(ctx->res, RMA_ETOOLARGE, "file_too_large",
                             "a picture may have at most 10 MiB", NULL);
        enum rma_err err = upload_tmp_write(t, chunk, n);
        if (err != RMA_OK)
            return err;
        if (n < CHUNK)
            break;
    }
    if (t->bytes == 0)
        return http_fail(ctx->res, RMA_EINVAL, "empty_body",
                         "the request body is empty: send the picture", NULL);
    return RMA_OK;
}

/* Whether a picture of kind may be added to r now: 409 or 422 (answered)
 * when not.  Decided again under the case's lock by case_attach. */
static enum rma_err
may_add(struct api_ctx *ctx, const struct rma_ref *r, const char *kind)
{
    if (!case_upload_open(r->status, r->kind, kind))
        return http_fail(ctx->res, RMA_ECONFLICT, "invalid_state",
                         arena_printf(ctx->arena,
                                      "%s pictures cannot be added while "
                                      "the RMA is %s",
                                      kind, rma_status_name(r->status)),
                         NULL);
    int open = 0;
    enum rma_err err =
        db_attachment_count_open(&ctx->app->db, r->id, kind, &open);
    if (err != RMA_OK)
        return err;
    if (open >= ATTACHMENT_MAX_PER_SUBMISSION)
        return too_many(ctx);
    return RMA_OK;
}

enum rma_err
api_attachment_put(struct api_ctx *ctx)
{
    struct rma_ref r;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err != RMA_OK)
        return err;
    const char *kind = ctx->req->params[1];
    if (!known_kind(kind))
        return http_fail(ctx->res, RMA_ENOTFOUND, "unknown_kind",
                         "attachment kinds are shipping_label, "
                         "postage_receipt, payment_receipt, product_photo "
                         "and proof_of_purchase",
                         NULL);
    /* Without an Idempotency-Key a refusal comes before the body is read.
     * With one, the body comes first: the key names this exact upload,
     * whose first answer is replayed whatever the case's state now, and
     * another file under the key is refused (api_idempotency_stream). */
    bool keyed = ctx->idem_key != NULL;
    if (!keyed) {
        err = may_add(ctx, &r, kind);
        if (err != RMA_OK)
            return err;
    }

    struct upload_tmp t;
    const unsigned char *data = NULL;
    struct image_info info;
    unsigned char hash[SHA256_LEN];
    char hex[SHA256_HEX_LEN];
    err = upload_tmp_open(ctx->app->cfg->upload_dir, &t);
    if (err == RMA_OK)
        err = receive(ctx, &t);
    if (err == RMA_OK)
        err = upload_tmp_map(&t, &data);
    if (err == RMA_OK) {
        crypto_sha256(data, t.bytes, hash);
        crypto_hex(hash, SHA256_LEN, hex);
        if (api_idempotency_stream(ctx, hash, &err)) {
            upload_tmp_discard(&t); /* replayed, or refused */
            return err;
        }
    }
    if (err == RMA_OK && keyed)
        err = may_add(ctx, &r, kind);
    if (err == RMA_OK && !image_sniff(data, t.bytes, &info))
        err = http_fail(ctx->res, RMA_EMEDIA, "not_an_image",
                        "only JPEG, PNG and WEBP pictures are accepted", NULL);
    int64_t id = 0;
    struct attachment_new a = {0};
    if (err == RMA_OK) {
        a = (struct attachment_new){r.id,
                                    kind,
                                    hex,
                                    (int64_t)t.bytes,
                                    image_media_type(info.type),
                                    info.width,
                                    info.height,
                                    ctx->customer.email};
        struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
        struct case_refusal no = {0};
        err = api_refused(ctx, case_attach(&env, &t, &a, &id, &no), &no);
    }
    upload_tmp_discard(&t);
    if (err != RMA_OK)
        return err;
    ctx->res->outcome = OUT_CREATED;
    ctx->res->body = json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:i, s:i}", "id", (json_int_t)id, "kind",
        kind, "sha256", hex, "bytes", (json_int_t)a.bytes, "media_type",
        a.media_type, "width", (int)info.width, "height", (int)info.height);
    return RMA_OK;
}

/* Answers with the stored file through nginx's internal location. */
static enum rma_err
serve(struct api_ctx *ctx, const struct rma_ref *r, const struct attachment *a)
{
    char rel[80];
    upload_relative_path(a->sha256, rel, sizeof(rel));
    const char *ext = strcmp(a->media_type, "image/png") == 0    ? "png"
                      : strcmp(a->media_type, "image/webp") == 0 ? "webp"
                                                                 : "jpg";
    http_add_header(ctx->res, ctx->arena, "X-Accel-Redirect",
                    arena_printf(ctx->arena, UPLOAD_ACCEL_PREFIX "%s", rel));
    http_add_header(ctx->res, ctx->arena, "Content-Disposition",
                    arena_printf(ctx->arena,
                                 "inline; filename=\"%s-%s-%lld.%s\"",
                                 r->number, a->kind, (long long)a->id, ext));
    ctx->res->outcome = OUT_TEXT;
    ctx->res->content_type = arena_strdup(ctx->arena, a->media_type);
    ctx->res->text_body = "";
    ctx->res->text_len = 0;
    return RMA_OK;
}

enum rma_err
api_attachment_get(struct api_ctx *ctx)
{
    struct rma_ref r;
    struct attachment a;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err == RMA_OK)
        err = attachment_of(ctx, r.id, &a);
    return err == RMA_OK ? serve(ctx, &r, &a) : err;
}

enum rma_err
api_staff_attachment_get(struct api_ctx *ctx)
{
    struct rma_ref r;
    struct attachment a;
    enum rma_err err = api_staff_case(ctx, &r);
    if (err == RMA_OK)
        err = attachment_of(ctx, r.id, &a);
    return err == RMA_OK ? serve(ctx, &r, &a) : err;
}

/* Deletes the picture (case_detach) while its submission is open. */
enum rma_err
api_attachment_delete(struct api_ctx *ctx)
{
    struct rma_ref r;
    struct attachment a;
    enum rma_err err = api_customer_case(ctx, &r);
    if (err == RMA_OK)
        err = attachment_of(ctx, r.id, &a);
    if (err != RMA_OK)
        return err;
    struct hold_env env = api_hold_env(ctx, customer_actor(ctx));
    struct case_refusal no = {0};
    err = api_refused(ctx, case_detach(&env, &a, &no), &no);
    if (err != RMA_OK)
        return err;
    ctx->res->outcome = OUT_NO_CONTENT;
    return RMA_OK;
}
