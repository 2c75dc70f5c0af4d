/* test_http_json.c - strict request bodies: every refusal names its field. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/http_json.h"

static const char *const methods[] = {"standard", "advanced", NULL};
static const struct field item[] = {
    {.name = "model", .type = FT_STRING, .required = true, .min = 1, .max = 8},
    {.name = "price", .type = FT_MONEY, .required = true, .max = 100000},
};
static const struct field spec[] = {
    {.name = "email", .type = FT_EMAIL, .required = true},
    {.name = "comment",
     .type = FT_STRING,
     .min = 1,
     .max = 10,
     .flags = F_MULTILINE},
    {.name = "name", .type = FT_STRING, .min = 1, .max = 5},
    {.name = "count", .type = FT_INTEGER, .min = 1, .max = 5},
    {.name = "accept", .type = FT_BOOLEAN},
    {.name = "method", .type = FT_ENUM, .values = methods},
    {.name = "items",
     .type = FT_ARRAY,
     .min = 1,
     .max = 2,
     .sub = item,
     .nsub = 2},
    {.name = "day", .type = FT_DATE},
    {.name = "country", .type = FT_COUNTRY},
};
#define NSPEC (sizeof(spec) / sizeof(spec[0]))

static struct arena arena;
static struct http_response res;

static void
setup(void)
{
    arena_init(&arena, 1024);
    memset(&res, 0, sizeof(res));
}

static void
teardown(void)
{
    arena_free(&arena);
}

TestSuite(http_json, .init = setup, .fini = teardown);

static enum rma_err
parse(const char *body)
{
    json_t *out = NULL;
    memset(&res, 0, sizeof(res));
    enum rma_err err =
        http_json_parse(body, strlen(body), &arena, &res, spec, NSPEC, &out);
    if (err == RMA_OK)
        cr_assert_not_null(out);
    else
        cr_assert_null(out);
    json_decref(out);
    return err;
}

Test(http_json, accepts_a_valid_body)
{
    cr_assert_eq(
        parse("{\"email\":\"A@Example.com\",\"comment\":\"two\\nlines\","
              "\"count\":5,\"accept\":true,\"method\":\"advanced\"}"),
        RMA_OK);
}

Test(http_json, malformed_json_is_400)
{
    cr_assert_eq(parse("{\"email\":"), RMA_EINVAL);
    cr_assert_str_eq(res.error_code, "malformed_json");
    cr_assert_eq(parse(""), RMA_EINVAL);
    cr_assert_eq(parse("[1]"), RMA_EINVAL);
    cr_assert_str_eq(res.error_code, "expected_object");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"email\":\"c@d.co\"}"),
                 RMA_EINVAL, "duplicate keys are refused");
    cr_assert_eq(parse("{\"email\":\"\xff\"}"), RMA_EINVAL, "invalid UTF-8");
}

Test(http_json, an_unknown_field_is_400_naming_it)
{
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"colour\":1}"), RMA_EINVAL);
    cr_assert_str_eq(res.error_code, "unknown_field");
    cr_assert_str_eq(res.error_field, "colour");
    cr_assert_not_null(strstr(res.error_message, "colour"));
}

Test(http_json, wrong_types_are_400)
{
    cr_assert_eq(parse("{\"email\":5}"), RMA_EINVAL);
    cr_assert_str_eq(res.error_field, "email");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"count\":\"5\"}"), RMA_EINVAL);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"accept\":1}"), RMA_EINVAL);
}

Test(http_json, rules_are_422_at_their_boundaries)
{
    cr_assert_eq(parse("{}"), RMA_ERULE);
    cr_assert_str_eq(res.error_code, "required");
    cr_assert_str_eq(res.error_field, "email");
    cr_assert_eq(parse("{\"email\":\"nope\"}"), RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"12345\"}"), RMA_OK,
                 "exactly the limit");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"123456\"}"), RMA_ERULE,
                 "one past the limit");
    cr_assert_str_eq(res.error_code, "too_long");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"\xc3\xa9\xc3\xa9\xc3"
                       "\xa9\xc3\xa9\xc3\xa9\"}"),
                 RMA_OK, "five characters, ten bytes");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"\"}"), RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"a\\nb\"}"), RMA_ERULE,
                 "no newline in a one-line field");
    cr_assert_str_eq(res.error_code, "invalid_characters");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"name\":\"a\\u0000b\"}"),
                 RMA_EINVAL, "NUL refused by the parser");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"count\":6}"), RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"count\":0}"), RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"method\":\"express\"}"),
                 RMA_ERULE);
    cr_assert_str_eq(res.error_code, "invalid_value");
}

Test(email, normalizes_and_refuses)
{
    char out[255];
    cr_assert(email_normalize("  Demo@Example.COM ", out));
    cr_assert_str_eq(out, "demo@example.com");
    const char *bad[] = {"", "a", "a@b", "@b.co", "a@@b.co", "a b@c.co",
                         "a@b..co", "a@.b.co", "a@b.co.", "<a@b.co>",
                         /* One rule from creation to delivery: what mail
                          * refuses is refused here (ASCII only). */
                         "j\xc3\xbcrgen@example.com",
                         "jurgen@exampl\xc3\xa9.com", ".a@b.co", "a.@b.co",
                         "a@b_c.co", "a\x7f@b.co"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(email_normalize(bad[i], out), "%s", bad[i]);
}

Test(http_json, nested_objects_and_arrays_are_checked_too)
{
    cr_assert_eq(
        parse("{\"email\":\"a@b.co\",\"items\":[{\"model\":\"X1\","
              "\"price\":{\"currency_code\":\"USD\",\"value\":\"9.99\"}}]}"),
        RMA_OK);
    cr_assert_eq(
        parse("{\"email\":\"a@b.co\",\"items\":[{\"model\":\"X1\","
              "\"price\":{\"currency_code\":\"JPY\",\"value\":\"9.5\"}}]}"),
        RMA_ERULE, "a JPY decimal");
    cr_assert_str_eq(res.error_field, "price");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"items\":[{\"model\":\"X1\","
                       "\"colour\":1,\"price\":{\"currency_code\":\"USD\","
                       "\"value\":\"1\"}}]}"),
                 RMA_EINVAL);
    cr_assert_str_eq(res.error_field, "colour");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"items\":[]}"), RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"items\":[{},{},{}]}"),
                 RMA_ERULE, "three items, two allowed");
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"day\":\"2026-02-28\"}"),
                 RMA_OK);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"day\":\"2026-02-30\"}"),
                 RMA_ERULE);
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"country\":\"us\"}"), RMA_ERULE);
}

/* Regression (tests/fuzz/regressions/json_body/date_with_blank): strptime
 * alone took blanks and short numbers. */
Test(http_json, dates_are_exactly_yyyy_mm_dd)
{
    const char *bad[] = {"2025- 3-28", "2025-03- 8", " 999-01-01",
                         "2025-3-028", "+025-03-28", "2025-03-2x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[80];
        snprintf(body, sizeof(body), "{\"email\":\"a@b.co\",\"day\":\"%s\"}",
                 bad[i]);
        cr_assert_eq(parse(body), RMA_ERULE, "%s", bad[i]);
        cr_assert_str_eq(res.error_code, "invalid_date");
    }
    cr_assert_eq(parse("{\"email\":\"a@b.co\",\"day\":\"2024-02-29\"}"),
                 RMA_OK);
}

/* Regression (tests/fuzz/regressions/json_body/
 * unknown_key_cut_in_a_character): a field name is cut to 64 bytes for the
 * error, and cutting inside a character made the envelope invalid UTF-8, so
 * the client got no body at all. */
Test(http_json, a_long_unknown_field_still_gets_an_envelope)
{
    char key[80], body[120];
    memset(key, 'a', 63);
    memcpy(key + 63, "\xc3\xa9z", 4); /* 'é' straddles byte 64 */
    snprintf(body, sizeof(body), "{\"email\":\"a@b.co\",\"%s\":1}", key);
    cr_assert_eq(parse(body), RMA_EINVAL);
    cr_assert_str_eq(res.error_code, "unknown_field");
    cr_assert_eq(strlen(res.error_field), 63, "cut before the character");
    char *text = http_render_body(&res, RMA_EINVAL);
    cr_assert_not_null(text, "an error envelope is rendered");
    json_t *doc = json_loads(text, 0, NULL);
    cr_assert_not_null(doc);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(doc, "error"), "field")),
                     res.error_field);
    json_decref(doc);
    free(text);
}
