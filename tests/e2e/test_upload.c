/* test_upload.c - through nginx: attachments (the type decided by content,
 * the 10 MiB and 5-picture limits at their boundaries, nothing stored on a
 * refusal, served back by X-Accel-Redirect to their owner and staff only,
 * deleted while open), the return shipment, the packing slip and the
 * warehouse inspection.  SPEC §5.4, §7. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../harness.h"
#include "rma/crypto.h"

#ifndef IMAGE_FIXTURES
#define IMAGE_FIXTURES "tests/fixtures/images"
#endif

#define MIB10 (10L * 1024 * 1024)

struct file {
    unsigned char *data;
    size_t len;
};

static struct file
load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", IMAGE_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    struct file out = {malloc(1 << 16), 0};
    out.len = fread(out.data, 1, 1 << 16, f);
    fclose(f);
    return out;
}

/* A JPEG of exactly size bytes: tiny.jpg with comment segments of random
 * bytes after its SOI (so every one is new to the store). */
static struct file
jpeg_of_size(size_t size)
{
    struct file t = load("tiny.jpg");
    cr_assert_geq(size, t.len + 4);
    struct file out = {malloc(size), size};
    memcpy(out.data, t.data, 2);
    size_t o = 2, pad = size - t.len;
    while (pad > 0) {
        size_t seg = pad > 65537 ? 65537 : pad; /* marker + length + data */
        if (pad - seg > 0 && pad - seg < 4)
            seg = pad - 4;
        size_t len = seg - 2;
        out.data[o] = 0xFF;
        out.data[o + 1] = 0xFE;
        out.data[o + 2] = (unsigned char)(len >> 8);
        out.data[o + 3] = (unsigned char)(len & 0xFF);
        crypto_random(out.data + o + 4, seg - 4);
        o += seg;
        pad -= seg;
    }
    memcpy(out.data + o, t.data + 2, t.len - 2);
    cr_assert_eq(o + t.len - 2, size);
    free(t.data);
    return out;
}

static struct file
unique_jpeg(void)
{
    return jpeg_of_size(800);
}

static void
sha256_hex(const struct file *f, char out[SHA256_HEX_LEN])
{
    unsigned char h[SHA256_LEN];
    crypto_sha256(f->data, f->len, h);
    crypto_hex(h, SHA256_LEN, out);
}

/* Whether the store holds a file for these bytes. */
static bool
stored(const struct file *f)
{
    char hex[SHA256_HEX_LEN], path[1024];
    sha256_hex(f, hex);
    snprintf(path, sizeof(path), "%s/uploads/%.2s/%s",
             harness_env("RMA_TEST_RUN"), hex, hex);
    struct stat st;
    return stat(path, &st) == 0;
}

static char *
token_for(const char *role)
{
    char *name = harness_unique_email(role);
    char *token = harness_staff_token(role, name);
    free(name);
    return token;
}

static struct http_result
staff(const char *method, const char *path, const char *token, const char *body)
{
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    const char *h[] = {auth, "Content-Type: application/json", NULL};
    return harness_http(method, path, h, body, body ? strlen(body) : 0);
}

static struct http_result
customer(const char *method, const char *path, const char *cookie,
         const char *body)
{
    return harness_http(method, path, harness_portal_headers(cookie, NULL),
                        body, body ? strlen(body) : 0);
}

/* A customer with one case of kind for model, agreed to (so waiting for
 * the return), signed in. */
struct fixture {
    char *agent;
    char *email;
    char *cookie;
    char *number;
};

static char *
create_case(const char *agent, const char *email, const char *name,
            const char *model, const char *kind)
{
    unsigned char r[4];
    crypto_random(r, sizeof(r));
    char order[32];
    snprintf(order, sizeof(order), "SO-UP-%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3]);
    json_t *doc = json_pack(
        "{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:i, "
        "s:{s:s, s:s}}]}, s:s, s:s, s:[{s:s, s:s}]}",
        "customer", "email", email, "name", name, "order", "order_number",
        order, "sales_channel", "web", "shipping_country", "US", "currency",
        "USD", "purchase_date", "2026-06-01", "items", "model", model,
        "quantity", 1, "unit_price", "currency_code", "USD", "value", "99.00",
        "kind", kind, "problem", "It stopped working.", "devices", "model",
        model, "serial_number", "SN-UPLOAD-01");
    json_object_set_new(
        doc,
        strcmp(kind, "refund") == 0 ? "refund_amount" : "replacement_value",
        json_pack("{s:s, s:s}", "currency_code", "USD", "value", "99.00"));
    if (strcmp(kind, "refund") == 0) /* past the refund window (policy.h) */
        json_object_set_new(doc, "refund_override_reason",
                            json_string("Full refund for the test."));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct http_result res = staff("POST", "/api/v1/staff/rmas", agent, text);
    free(text);
    cr_assert_eq(res.status, 201, "create: %s", res.body);
    char *number =
        strdup(json_string_value(json_object_get(res.json, "number")));
    harness_http_free(&res);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/submit", number);
    res = staff("POST", path, agent, NULL);
    cr_assert_eq(res.status, 200, "submit: %s", res.body);
    harness_http_free(&res);
    return number;
}

static struct fixture
fixture_with(const char *name, const char *model, bool agree)
{
    struct fixture f;
    f.agent = token_for("agent");
    f.email = harness_unique_email("upload");
    f.number = create_case(f.agent, f.email, name, model, "refund");
    f.cookie = harness_login(f.email);
    if (agree) {
        char path[128];
        snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", f.number);
        struct http_result r = customer("POST", path, f.cookie, NULL);
        cr_assert_eq(r.status, 200, "%s", r.body);
        cr_assert_str_eq(json_string_value(json_object_get(r.json, "status")),
                         "awaiting_return");
        harness_http_free(&r);
    }
    return f;
}

static struct fixture
fixture_camera(void)
{
    return fixture_with("Test Customer", "CAM-4K-OUT", true);
}

static void
fixture_free(struct fixture *f)
{
    free(f->agent);
    free(f->email);
    free(f->cookie);
    free(f->number);
}

static struct http_result
upload(const struct fixture *f, const char *kind, const struct file *img,
       const char *content_type)
{
    char path[160], cookie[512], ct[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/%s", f->number,
             kind);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", f->cookie);
    snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
    const char *h[] = {"X-Requested-With: rma-portal", cookie, ct, NULL};
    return harness_http("PUT", path, h, (const char *)img->data, img->len);
}

/* Uploads img and returns the new attachment's id. */
static long long
upload_ok(const struct fixture *f, const char *kind, const struct file *img)
{
    struct http_result r = upload(f, kind, img, "application/octet-stream");
    cr_assert_eq(r.status, 201, "%s: %s", kind, r.body);
    long long id = json_integer_value(json_object_get(r.json, "id"));
    cr_assert_gt(id, 0);
    harness_http_free(&r);
    return id;
}

static struct http_result
get_attachment(const struct fixture *f, const char *number, long long id,
               const char *method)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/%lld", number,
             id);
    return customer(method, path, f->cookie, NULL);
}

static struct http_result
detail(const struct fixture *f)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s", f->number);
    struct http_result r = customer("GET", path, f->cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    return r;
}

static size_t
attachment_count(const struct fixture *f)
{
    struct http_result r = detail(f);
    size_t n = json_array_size(json_object_get(r.json, "attachments"));
    harness_http_free(&r);
    return n;
}

/* The body is exactly img, with its true type. */
static void
assert_served(const struct http_result *r, const struct file *img,
              const char *media_type)
{
    char value[128];
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_not_null(harness_header(r, "Content-Type", value, sizeof(value)));
    cr_assert_str_eq(value, media_type);
    cr_assert_null(harness_header(r, "X-Accel-Redirect", value, sizeof(value)),
                   "nginx consumes the redirect");
    cr_assert_eq(r->body_len, img->len);
    cr_assert_eq(memcmp(r->body, img->data, img->len), 0, "same bytes");
}

Test(upload, a_png_named_jpg_and_a_jpeg_sent_as_png_keep_their_true_type)
{
    struct fixture f = fixture_camera();
    struct file png = load("png-named.jpg");
    struct file jpg = load("jpeg-named.png");

    struct http_result r = upload(&f, "shipping_label", &png, "image/jpeg");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "media_type")),
                     "image/png");
    char hex[SHA256_HEX_LEN];
    sha256_hex(&png, hex);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "sha256")), hex);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "bytes")),
                 (json_int_t)png.len);
    long long png_id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);

    r = upload(&f, "postage_receipt", &jpg, "image/png");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "media_type")),
                     "image/jpeg");
    long long jpg_id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);
    cr_assert(stored(&png) && stored(&jpg), "content-addressed files");

    /* Back through nginx, bytes and true type. */
    r = get_attachment(&f, f.number, png_id, "GET");
    assert_served(&r, &png, "image/png");
    harness_http_free(&r);
    r = get_attachment(&f, f.number, jpg_id, "GET");
    assert_served(&r, &jpg, "image/jpeg");
    harness_http_free(&r);

    /* The detail lists both and what is still missing. */
    r = detail(&f);
    json_t *atts = json_object_get(r.json, "attachments");
    cr_assert_eq(json_array_size(atts), 2);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_array_get(atts, 0), "kind")),
        "shipping_label");
    json_t *missing =
        json_object_get(json_object_get(r.json, "return"), "missing");
    char *m = json_dumps(missing, JSON_COMPACT);
    cr_assert_str_eq(m, "[\"carrier\",\"tracking_number\","
                        "\"data_erasure_acknowledgement\"]");
    free(m);
    harness_http_free(&r);

    /* The internal location cannot be reached directly. */
    char path[160];
    snprintf(path, sizeof(path), "/_uploads/%.2s/%s", hex, hex);
    r = harness_http("GET", path, NULL, NULL, 0);
    cr_assert_eq(r.status, 404, "internal location reached: %ld", r.status);
    harness_http_free(&r);

    free(png.data);
    free(jpg.data);
    fixture_free(&f);
}

Test(upload, html_pdf_gif_and_truncated_files_are_415_and_nothing_is_stored)
{
    struct fixture f = fixture_camera();
    const struct {
        const char *name, *type;
    } files[] = {{"html-named.png", "image/png"},
                 {"pdf-named.jpg", "image/jpeg"},
                 {"gif-named.webp", "image/webp"}};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct file bad = load(files[i].name);
        struct http_result r = upload(&f, "product_photo", &bad, files[i].type);
        cr_assert_eq(r.status, 415, "%s: %s", files[i].name, r.body);
        cr_assert_str_eq(harness_error_code(&r), "not_an_image");
        cr_assert_not(stored(&bad), "%s stored", files[i].name);
        harness_http_free(&r);
        free(bad.data);
    }
    /* A real PNG cut inside its header, and a real WEBP cut short. */
    struct file png = load("tiny.png");
    png.len = 30;
    struct file webp = load("tiny-alpha.webp");
    webp.len -= 1;
    struct file *cut[] = {&png, &webp};
    for (size_t i = 0; i < 2; i++) {
        struct http_result r = upload(&f, "product_photo", cut[i], "image/png");
        cr_assert_eq(r.status, 415, "%s", r.body);
        cr_assert_not(stored(cut[i]));
        harness_http_free(&r);
    }
    free(png.data);
    free(webp.data);

    struct file empty = {NULL, 0};
    struct http_result r = upload(&f, "product_photo", &empty, "image/png");
    cr_assert_eq(r.status, 400, "%s", r.body);
    harness_http_free(&r);

    cr_assert_eq(attachment_count(&f), 0, "no metadata either");
    fixture_free(&f);
}

Test(upload, exactly_10_mib_is_accepted_and_one_byte_more_is_413,
     .timeout = 120)
{
    struct fixture f = fixture_camera();
    struct file at = jpeg_of_size(MIB10);
    struct http_result r = upload(&f, "product_photo", &at, "image/jpeg");
    cr_assert_eq(r.status, 201, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(r.json, "bytes")), MIB10);
    cr_assert_str_eq(json_string_value(json_object_get(r.json, "media_type")),
                     "image/jpeg");
    long long id = json_integer_value(json_object_get(r.json, "id"));
    harness_http_free(&r);
    cr_assert(stored(&at));
    r = get_attachment(&f, f.number, id, "GET");
    assert_served(&r, &at, "image/jpeg");
    harness_http_free(&r);
    free(at.data);

    struct file over = jpeg_of_size(MIB10 + 1);
    r = upload(&f, "product_photo", &over, "image/jpeg");
    cr_assert_eq(r.status, 413, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "file_too_large");
    harness_http_free(&r);
    cr_assert_not(stored(&over));

    /* The same sent chunked, without a Content-Length from the client. */
    char path[160], cookie[512];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/product_photo",
             f.number);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", f.cookie);
    const char *h[] = {"X-Requested-With: rma-portal", cookie,
                       "Content-Type: image/jpeg", "Transfer-Encoding: chunked",
                       NULL};
    r = harness_http("PUT", path, h, (const char *)over.data, over.len);
    cr_assert_eq(r.status, 413, "%s", r.body);
    harness_http_free(&r);
    cr_assert_not(stored(&over));
    free(over.data);

    cr_assert_eq(attachment_count(&f), 1);
    fixture_free(&f);
}

/* ---- FastCGI straight to the workers, without nginx ---- */

static void
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        cr_assert_gt(w, 0, "write to the worker socket");
        c += w;
        n -= (size_t)w;
    }
}

static void
fcgi_record(int fd, int type, const void *data, size_t n)
{
    unsigned char h[8] = {1,
                          (unsigned char)type,
                          0,
                          1,
                          (unsigned char)(n >> 8),
                          (unsigned char)(n & 0xFF),
                          0,
                          0};
    write_all(fd, h, 8);
    if (n > 0)
        write_all(fd, data, n);
}

static size_t
fcgi_pair(unsigned char *out, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), o = 0;
    const size_t lens[2] = {nl, vl};
    for (int i = 0; i < 2; i++) {
        if (lens[i] < 128) {
            out[o++] = (unsigned char)lens[i];
        } else {
            out[o++] = (unsigned char)(0x80 | (lens[i] >> 24));
            out[o++] = (unsigned char)(lens[i] >> 16);
            out[o++] = (unsigned char)(lens[i] >> 8);
            out[o++] = (unsigned char)lens[i];
        }
    }
    memcpy(out + o, name, nl);
    memcpy(out + o + nl, value, vl);
    return o + nl + vl;
}

/* PUT of body to path as f's customer, straight to a worker and without a
 * CONTENT_LENGTH, as a misconfigured proxy might: the service must bound
 * the body itself.  Returns the status. */
static int
fcgi_put_without_length(const struct fixture *f, const char *path,
                        const struct file *body)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/rma.sock",
                     harness_env("RMA_TEST_RUN"));
    cr_assert(n > 0 && (size_t)n < sizeof(sa.sun_path));
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
                 "connect %s", sa.sun_path);
    const unsigned char begin[8] = {0, 1, 0, 0, 0, 0, 0, 0}; /* responder */
    fcgi_record(fd, 1, begin, 8);
    unsigned char params[4096];
    size_t np = 0;
    np += fcgi_pair(params + np, "REQUEST_METHOD", "PUT");
    np += fcgi_pair(params + np, "DOCUMENT_URI", path);
    np += fcgi_pair(params + np, "QUERY_STRING", "");
    np += fcgi_pair(params + np, "CONTENT_TYPE", "image/jpeg");
    np += fcgi_pair(params + np, "REMOTE_ADDR", "127.0.0.1");
    np += fcgi_pair(params + np, "HTTP_X_REQUESTED_WITH", "rma-portal");
    np += fcgi_pair(params + np, "HTTP_COOKIE", f->cookie);
    fcgi_record(fd, 4, params, np);
    fcgi_record(fd, 4, NULL, 0);
    for (size_t o = 0; o < body->len; o += 65535) {
        size_t chunk = body->len - o < 65535 ? body->len - o : 65535;
        fcgi_record(fd, 5, body->data + o, chunk);
    }
    fcgi_record(fd, 5, NULL, 0);
    /* The first STDOUT record starts with the Status line. */
    char out[4096] = "";
    size_t got = 0;
    for (;;) {
        unsigned char h[8];
        if (read(fd, h, 8) != 8)
            break;
        size_t len = (size_t)h[4] << 8 | h[5], pad = h[6];
        char data[65536 + 256];
        size_t r = 0;
        while (r < len + pad) {
            ssize_t k = read(fd, data + r, len + pad - r);
            cr_assert_gt(k, 0);
            r += (size_t)k;
        }
        if (h[1] == 6 && got + len < sizeof(out)) {
            memcpy(out + got, data, len);
            got += len;
        }
        if (h[1] == 3) /* END_REQUEST */
            break;
    }
    close(fd);
    out[got < sizeof(out) ? got : sizeof(out) - 1] = '\0';
    int status = 0;
    cr_assert_eq(sscanf(out, "Status: %d", &status), 1, "answer: %s", out);
    return status;
}

Test(upload, without_a_content_length_the_service_still_stops_at_10_mib,
     .timeout = 120)
{
    struct fixture f = fixture_camera();
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/product_photo",
             f.number);
    struct file over = jpeg_of_size(MIB10 + 1);
    cr_assert_eq(fcgi_put_without_length(&f, path, &over), 413);
    cr_assert_not(stored(&over));
    free(over.data);
    struct file at = jpeg_of_size(MIB10);
    cr_assert_eq(fcgi_put_without_length(&f, path, &at), 201);
    cr_assert(stored(&at));
    free(at.data);
    cr_assert_eq(attachment_count(&f), 1);
    fixture_free(&f);
}

Test(upload, a_sixth_picture_is_422_until_one_is_deleted)
{
    struct fixture f = fixture_camera();
    const char *kinds[] = {"shipping_label", "postage_receipt", "product_photo",
                           "product_photo", "product_photo"};
    long long ids[5];
    for (int i = 0; i < 5; i++) {
        struct file img = unique_jpeg();
        ids[i] = upload_ok(&f, kinds[i], &img);
        free(img.data);
    }
    struct file sixth = unique_jpeg();
    struct http_result r = upload(&f, "product_photo", &sixth, "image/jpeg");
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "too_many_pictures");
    harness_http_free(&r);
    cr_assert_not(stored(&sixth));
    cr_assert_eq(attachment_count(&f), 5);

    /* Another submission (proof of purchase) has its own five. */
    struct file proof = unique_jpeg();
    upload_ok(&f, "proof_of_purchase", &proof);
    free(proof.data);

    r = get_attachment(&f, f.number, ids[4], "DELETE");
    cr_assert_eq(r.status, 204, "%s", r.body);
    harness_http_free(&r);
    upload_ok(&f, "product_photo", &sixth);
    free(sixth.data);
    fixture_free(&f);
}

Test(upload, delete_removes_the_row_and_the_unused_file)
{
    struct fixture f = fixture_camera();
    struct file img = unique_jpeg();
    long long id = upload_ok(&f, "product_photo", &img);
    cr_assert(stored(&img));
    struct http_result r = get_attachment(&f, f.number, id, "DELETE");
    cr_assert_eq(r.status, 204, "%s", r.body);
    harness_http_free(&r);
    cr_assert_not(stored(&img), "no attachment uses it any more");
    r = get_attachment(&f, f.number, id, "GET");
    cr_assert_eq(r.status, 404);
    harness_http_free(&r);
    r = get_attachment(&f, f.number, id, "DELETE");
    cr_assert_eq(r.status, 404);
    harness_http_free(&r);

    /* A file two attachments share stays until the last one goes. */
    long long a = upload_ok(&f, "product_photo", &img);
    long long b = upload_ok(&f, "shipping_label", &img);
    r = get_attachment(&f, f.number, a, "DELETE");
    cr_assert_eq(r.status, 204);
    harness_http_free(&r);
    cr_assert(stored(&img));
    r = get_attachment(&f, f.number, b, "GET");
    assert_served(&r, &img, "image/jpeg");
    harness_http_free(&r);
    r = get_attachment(&f, f.number, b, "DELETE");
    cr_assert_eq(r.status, 204);
    harness_http_free(&r);
    cr_assert_not(stored(&img));
    free(img.data);
    fixture_free(&f);
}

Test(upload, another_customers_attachment_is_404_and_staff_may_read_it)
{
    struct fixture alice = fixture_camera();
    struct fixture bob = fixture_camera();
    struct file img = load("tiny.webp");
    long long id = upload_ok(&alice, "shipping_label", &img);

    /* Bob, through his own case or through Alice's number. */
    const char *numbers[] = {bob.number, alice.number};
    for (int i = 0; i < 2; i++) {
        struct http_result r = get_attachment(&bob, numbers[i], id, "GET");
        cr_assert_eq(r.status, 404, "%s", r.body);
        cr_assert_str_eq(harness_error_code(&r), "not_found");
        harness_http_free(&r);
        r = get_attachment(&bob, numbers[i], id, "DELETE");
        cr_assert_eq(r.status, 404, "%s", r.body);
        harness_http_free(&r);
    }
    /* Same answer as an id that does not exist. */
    struct http_result theirs = get_attachment(&bob, bob.number, id, "GET");
    struct http_result unknown =
        get_attachment(&bob, bob.number, 999999999999LL, "GET");
    cr_assert_str_eq(theirs.body, unknown.body);
    harness_http_free(&theirs);
    harness_http_free(&unknown);
    struct http_result junk = customer(
        "GET",
        "/api/v1/rmas/RMA-2099-000001/attachments/..%2f..%2fetc%2fpasswd",
        bob.cookie, NULL);
    cr_assert_eq(junk.status, 404);
    harness_http_free(&junk);

    /* Bob cannot name Alice's picture in his return either. */
    char path[160], body[512];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/return-shipment", bob.number);
    snprintf(body, sizeof(body),
             "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\","
             "\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld,"
             "\"acknowledge_data_erasure\":true}",
             id, id);
    struct http_result r = customer("POST", path, bob.cookie, body);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "unknown_attachment");
    harness_http_free(&r);

    /* Alice's still there; staff (any reader role) see it. */
    r = get_attachment(&alice, alice.number, id, "GET");
    assert_served(&r, &img, "image/webp");
    harness_http_free(&r);
    char *warehouse = token_for("warehouse");
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/attachments/%lld",
             alice.number, id);
    r = staff("GET", path, warehouse, NULL);
    assert_served(&r, &img, "image/webp");
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/attachments/%lld",
             bob.number, id);
    r = staff("GET", path, warehouse, NULL);
    cr_assert_eq(r.status, 404, "not an attachment of that case");
    harness_http_free(&r);
    free(warehouse);
    free(img.data);
    fixture_free(&alice);
    fixture_free(&bob);
}

Test(upload, refused_before_the_return_is_expected_and_for_unknown_kinds)
{
    struct fixture f = fixture_with("Test Customer", "CAM-4K-OUT", false);
    struct file img = load("tiny.png");
    struct http_result r = upload(&f, "shipping_label", &img, "image/png");
    cr_assert_eq(r.status, 409, "pending_confirm: %s", r.body);
    harness_http_free(&r);
    r = upload(&f, "selfie", &img, "image/png");
    cr_assert_eq(r.status, 404, "%s", r.body);
    harness_http_free(&r);
    /* Without the portal header: CSRF. */
    char path[160], cookie[512];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/attachments/shipping_label",
             f.number);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", f.cookie);
    const char *h[] = {cookie, "Content-Type: image/png", NULL};
    r = harness_http("PUT", path, h, (const char *)img.data, img.len);
    cr_assert_eq(r.status, 403, "%s", r.body);
    harness_http_free(&r);
    free(img.data);
    fixture_free(&f);
}

/* POST return-shipment with body; returns the result. */
static struct http_result
submit_return(const struct fixture *f, const char *body)
{
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/return-shipment", f->number);
    return customer("POST", path, f->cookie, body);
}

static const char *
status_of(const struct http_result *r)
{
    return json_string_value(json_object_get(r->json, "status"));
}

Test(return_shipment, each_missing_item_is_422_naming_it)
{
    struct fixture f = fixture_camera();
    struct file a = unique_jpeg(), b = unique_jpeg();
    long long label = upload_ok(&f, "shipping_label", &a);
    long long receipt = upload_ok(&f, "postage_receipt", &b);
    free(a.data);
    free(b.data);

    const char *fields[] = {"carrier", "tracking_number", "shipping_label_id",
                            "postage_receipt_id"};
    for (int skip = 0; skip < 4; skip++) {
        json_t *body = json_pack("{s:s, s:s, s:I, s:I, s:b}", "carrier", "UPS",
                                 "tracking_number", "1Z999AA10123456784",
                                 "shipping_label_id", (json_int_t)label,
                                 "postage_receipt_id", (json_int_t)receipt,
                                 "acknowledge_data_erasure", 1);
        json_object_del(body, fields[skip]);
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        struct http_result r = submit_return(&f, text);
        free(text);
        cr_assert_eq(r.status, 422, "%s: %s", fields[skip], r.body);
        cr_assert_str_eq(harness_error_code(&r), "required");
        json_t *e = json_object_get(r.json, "error");
        cr_assert_str_eq(json_string_value(json_object_get(e, "field")),
                         fields[skip]);
        harness_http_free(&r);
    }

    char body[512];
    /* A camera records video: the acknowledgement is required. */
    snprintf(body, sizeof(body),
             "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\","
             "\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld}",
             label, receipt);
    struct http_result r = submit_return(&f, body);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(r.json, "error"), "field")),
                     "acknowledge_data_erasure");
    harness_http_free(&r);

    /* The label and the receipt swapped: wrong kinds. */
    snprintf(body, sizeof(body),
             "{\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\","
             "\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld,"
             "\"acknowledge_data_erasure\":true}",
             receipt, label);
    r = submit_return(&f, body);
    cr_assert_eq(r.status, 422, "%s", r.body);
    cr_assert_str_eq(harness_error_code(&r), "wrong_attachment_kind");
    harness_http_free(&r);

    /* Not a UPS number (check digit), and junk for another carrier. */
    const char *bad[][2] = {{"UPS", "1Z999AA10123456785"},
                            {"Royal Mail", "AB1<2>34"},
                            {"Royal Mail", "A1"}};
    for (int i = 0; i < 3; i++) {
        snprintf(body, sizeof(body),
                 "{\"carrier\":\"%s\",\"tracking_number\":\"%s\","
                 "\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld,"
                 "\"acknowledge_data_erasure\":true}",
                 bad[i][0], bad[i][1], label, receipt);
        r = submit_return(&f, body);
        cr_assert_eq(r.status, 422, "%s: %s", bad[i][1], r.body);
        cr_assert_str_eq(harness_error_code(&r), "invalid_tracking_number");
        harness_http_free(&r);
    }

    r = detail(&f);
    cr_assert_str_eq(status_of(&r), "awaiting_return", "nothing changed");
    harness_http_free(&r);
    fixture_free(&f);
}

Test(return_shipment, happy_path_moves_the_case_to_return_submitted)
{
    struct fixture f = fixture_camera();
    struct http_result r = detail(&f);
    json_t *ret = json_object_get(r.json, "return");
    char *req = json_dumps(json_object_get(ret, "required"), JSON_COMPACT);
    cr_assert_str_eq(req,
                     "[\"carrier\",\"tracking_number\",\"shipping_label\","
                     "\"postage_receipt\",\"data_erasure_acknowledgement\"]");
    free(req);
    cr_assert_eq(json_array_size(json_object_get(ret, "missing")), 5);
    cr_assert_eq(json_integer_value(json_object_get(
                     json_object_get(r.json, "upload_limits"), "max_bytes")),
                 MIB10);
    harness_http_free(&r);

    struct file a = unique_jpeg(), b = load("tiny-lossless.webp");
    long long label = upload_ok(&f, "shipping_label", &a);
    long long receipt = upload_ok(&f, "postage_receipt", &b);
    long long photo = upload_ok(&f, "product_photo", &a);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"carrier\":\"ups\",\"tracking_number\":\"1z 999 aa1 01 2345 "
             "6784\",\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld,"
             "\"acknowledge_data_erasure\":true}",
             label, receipt);
    r = submit_return(&f, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "return_submitted");
    ret = json_object_get(r.json, "return");
    cr_assert_eq(json_array_size(json_object_get(ret, "missing")), 0);
    json_t *sub = json_object_get(ret, "submission");
    cr_assert_str_eq(json_string_value(json_object_get(sub, "carrier")), "UPS");
    cr_assert_str_eq(json_string_value(json_object_get(sub, "tracking_number")),
                     "1Z999AA10123456784");
    cr_assert(json_is_true(json_object_get(sub, "data_erasure_acknowledged")));
    json_t *att;
    size_t i;
    json_array_foreach(json_object_get(r.json, "attachments"), i, att)
        cr_assert_not_null(json_object_get(att, "submitted_at"),
                           "attachment %zu submitted", i);
    harness_http_free(&r);

    /* Done once: no second submission, no more pictures, no deletes. */
    r = submit_return(&f, body);
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    r = upload(&f, "product_photo", &b, "image/webp");
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);
    r = get_attachment(&f, f.number, photo, "DELETE");
    cr_assert_eq(r.status, 409, "%s", r.body);
    harness_http_free(&r);

    /* The timeline has it, by the customer. */
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/events", f.number);
    r = customer("GET", path, f.cookie, NULL);
    bool seen = false;
    json_array_foreach(json_object_get(r.json, "events"), i, att)
    {
        const char *action = json_string_value(json_object_get(att, "action"));
        seen = seen || (action && strcmp(action, "submit_return") == 0);
    }
    cr_assert(seen, "%s", r.body);
    harness_http_free(&r);
    free(a.data);
    free(b.data);
    fixture_free(&f);
}

Test(return_shipment, a_device_that_records_nothing_needs_no_acknowledgement)
{
    struct fixture f = fixture_with("Test Customer", "PSU-12V", true);
    struct http_result r = detail(&f);
    char *req = json_dumps(
        json_object_get(json_object_get(r.json, "return"), "required"),
        JSON_COMPACT);
    cr_assert_str_eq(req, "[\"carrier\",\"tracking_number\",\"shipping_label\","
                          "\"postage_receipt\"]");
    free(req);
    harness_http_free(&r);
    struct file a = unique_jpeg(), b = unique_jpeg();
    long long label = upload_ok(&f, "shipping_label", &a);
    long long receipt = upload_ok(&f, "postage_receipt", &b);
    char body[512];
    snprintf(body, sizeof(body),
             "{\"carrier\":\"Royal Mail\",\"tracking_number\":\"RM-1234-5678\","
             "\"shipping_label_id\":%lld,\"postage_receipt_id\":%lld}",
             label, receipt);
    r = submit_return(&f, body);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(status_of(&r), "return_submitted");
    json_t *sub =
        json_object_get(json_object_get(r.json, "return"), "submission");
    cr_assert_str_eq(json_string_value(json_object_get(sub, "carrier")),
                     "Royal Mail");
    cr_assert_str_eq(json_string_value(json_object_get(sub, "tracking_number")),
                     "RM12345678");
    harness_http_free(&r);
    free(a.data);
    free(b.data);
    fixture_free(&f);
}

Test(packing_slip, shows_the_number_and_the_address_with_html_escaped)
{
    struct fixture f = fixture_with("Zoe <script>alert(\"x\")</script> & 'Co'",
                                    "CAM-4K-OUT", false);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/packing-slip", f.number);
    struct http_result r = customer("GET", path, f.cookie, NULL);
    cr_assert_eq(r.status, 409, "no return expected yet: %s", r.body);
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/rmas/%s/agree", f.number);
    r = customer("POST", path, f.cookie, NULL);
    cr_assert_eq(r.status, 200);
    harness_http_free(&r);

    snprintf(path, sizeof(path), "/api/v1/rmas/%s/packing-slip", f.number);
    r = customer("GET", path, f.cookie, NULL);
    cr_assert_eq(r.status, 200, "%s", r.body);
    char value[128];
    cr_assert_not_null(
        harness_header(&r, "Content-Type", value, sizeof(value)));
    cr_assert_str_eq(value, "text/html; charset=utf-8");
    char heading[128];
    snprintf(heading, sizeof(heading), "<h1 id=\"rma-number\">%s</h1>",
             f.number);
    cr_assert_not_null(strstr(r.body, heading), "%s", r.body);
    cr_assert_not_null(strstr(r.body, "1200 Commerce Way"), "%s", r.body);
    cr_assert_not_null(
        strstr(r.body, "Zoe &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
                       "&amp; &#39;Co&#39;"),
        "%s", r.body);
    cr_assert_null(strstr(r.body, "<script"), "unescaped: %s", r.body);
    cr_assert_not_null(strstr(r.body, "SN-UPLOAD-01"));
    harness_http_free(&r);

    /* The customer's only: no session is 401, another's is 404. */
    r = customer("GET", path, NULL, NULL);
    cr_assert_eq(r.status, 401);
    harness_http_free(&r);
    struct fixture other = fixture_camera();
    r = customer("GET", path, other.cookie, NULL);
    cr_assert_eq(r.status, 404);
    harness_http_free(&r);
    fixture_free(&other);
    fixture_free(&f);
}

Test(inspection, warehouse_records_it_after_the_receipt)
{
    struct fixture f = fixture_camera();
    char *warehouse = token_for("warehouse");
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s/inspection", f.number);
    const char *body = "{\"outcome\":\"damaged_in_transit\","
                       "\"notes\":\"Box crushed, lens cracked.\"}";
    struct http_result r = staff("POST", path, warehouse, body);
    cr_assert_eq(r.status, 409, "before the receipt: %s", r.body);
    harness_http_free(&r);
    r = staff("POST", path, f.agent, body);
    cr_assert_eq(r.status, 403, "agents do not inspect: %s", r.body);
    harness_http_free(&r);

    char receipt_path[160];
    snprintf(receipt_path, sizeof(receipt_path),
             "/api/v1/staff/rmas/%s/receipt", f.number);
    r = staff("POST", receipt_path, warehouse,
              "{\"condition\":\"damaged\",\"serial_number\":\"SN-UPLOAD-01\"}");
    cr_assert_eq(r.status, 200, "receipt: %s", r.body);
    harness_http_free(&r);

    r = staff("POST", path, warehouse, "{\"outcome\":\"broken\"}");
    cr_assert_eq(r.status, 422, "%s", r.body);
    harness_http_free(&r);
    r = staff("POST", path, warehouse, body);
    cr_assert_eq(r.status, 201, "%s", r.body);
    json_t *insp =
        json_object_get(json_object_get(r.json, "return"), "inspection");
    cr_assert_str_eq(json_string_value(json_object_get(insp, "outcome")),
                     "damaged_in_transit");
    cr_assert_str_eq(json_string_value(json_object_get(insp, "notes")),
                     "Box crushed, lens cracked.");
    harness_http_free(&r);
    r = staff("POST", path, warehouse, body);
    cr_assert_eq(r.status, 409, "once: %s", r.body);
    harness_http_free(&r);

    /* The customer sees the outcome, not the warehouse's notes; the
     * timeline has the inspection. */
    r = detail(&f);
    insp = json_object_get(json_object_get(r.json, "return"), "inspection");
    cr_assert_str_eq(json_string_value(json_object_get(insp, "outcome")),
                     "damaged_in_transit");
    cr_assert_null(json_object_get(insp, "notes"));
    harness_http_free(&r);
    snprintf(path, sizeof(path), "/api/v1/staff/rmas/%s", f.number);
    r = staff("GET", path, warehouse, NULL);
    bool seen = false;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "events"), i, e)
    {
        const char *action = json_string_value(json_object_get(e, "action"));
        seen = seen || (action && strcmp(action, "inspection") == 0);
    }
    cr_assert(seen, "audited: %s", r.body);
    harness_http_free(&r);
    free(warehouse);
    fixture_free(&f);
}

/* psql as the service's role; returns its exit status and output. */
static int
psql_as_service(const char *sql, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "'%s' -X -q -At -v ON_ERROR_STOP=1 -h '%s/pg' -U rma_web -d rma "
             "-c \"%s\" 2>&1",
             harness_env("RMA_TEST_PSQL"), harness_env("RMA_TEST_RUN"), sql);
    return harness_run(cmd, out);
}

Test(upload, the_database_refuses_pictures_of_another_case_or_kind)
{
    struct fixture a = fixture_camera(), b = fixture_camera();
    struct file x = unique_jpeg(), y = unique_jpeg();
    long long label = upload_ok(&a, "shipping_label", &x);
    long long receipt = upload_ok(&a, "postage_receipt", &y);
    const struct {
        const char *number;
        long long label, receipt;
    } bad[] = {{b.number, label, receipt}, {a.number, receipt, label}};
    for (int i = 0; i < 2; i++) {
        char sql[1024], *out;
        snprintf(sql, sizeof(sql),
                 "INSERT INTO return_submission (rma_id, carrier,"
                 " tracking_number, shipping_label_id, postage_receipt_id,"
                 " data_erasure_required, data_erasure_acknowledged,"
                 " submitted_by, submitted_at) SELECT id, 'UPS', 'AB1234',"
                 " %lld, %lld, false, false, 'test', now() FROM rma"
                 " WHERE number = '%s'",
                 bad[i].label, bad[i].receipt, bad[i].number);
        cr_assert_neq(psql_as_service(sql, &out), 0, "accepted: %s", sql);
        cr_assert_not_null(strstr(out, "foreign key"), "%s", out);
        free(out);
    }
    /* The service's role may mark a picture submitted, nothing else. */
    char *out;
    cr_assert_neq(psql_as_service("UPDATE attachment SET kind = kind", &out),
                  0);
    cr_assert_not_null(strstr(out, "permission denied"), "%s", out);
    free(out);
    free(x.data);
    free(y.data);
    fixture_free(&a);
    fixture_free(&b);
}

static size_t
discard(char *p, size_t size, size_t n, void *user)
{
    (void)p;
    (void)user;
    return size * n;
}

Test(upload, concurrent_uploads_never_pass_five)
{
    struct fixture f = fixture_camera();
    enum { N = 8 };
    struct file imgs[N];
    CURL *easy[N];
    struct curl_slist *headers = NULL;
    char url[512], cookie[512];
    snprintf(url, sizeof(url), "%s/api/v1/rmas/%s/attachments/product_photo",
             harness_env("RMA_TEST_BASE_URL"), f.number);
    snprintf(cookie, sizeof(cookie), "Cookie: %s", f.cookie);
    headers = curl_slist_append(headers, "X-Requested-With: rma-portal");
    headers = curl_slist_append(headers, cookie);
    headers = curl_slist_append(headers, "Content-Type: image/jpeg");
    CURLM *multi = curl_multi_init();
    for (int i = 0; i < N; i++) {
        imgs[i] = unique_jpeg();
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, imgs[i].data);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDSIZE, (long)imgs[i].len);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running > 0) {
        cr_assert_eq(curl_multi_perform(multi, &running), CURLM_OK);
        if (running > 0)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    int created = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        long status = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        created += status == 201;
        refused += status == 422;
        if (status == 422)
            cr_assert_not(stored(&imgs[i]), "a refused picture was stored");
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        free(imgs[i].data);
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    cr_assert_eq(created, 5, "%d created", created);
    cr_assert_eq(refused, N - 5, "%d refused", refused);
    cr_assert_eq(attachment_count(&f), 5);
    fixture_free(&f);
}
