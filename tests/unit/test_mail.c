/* test_mail.c - message rendering (CRLF, quoted-printable, encoded-words,
 * header injection), address checks and the texts of the messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rma/buf.h"
#include "rma/db.h"
#include "rma/mail.h"

/* ------------------------------------------------------------------ */
/* Decoders, to check what the encoders wrote. */

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes quoted-printable with CRLF line ends into LF text (owned). */
static char *
qp_decode(const char *s)
{
    struct buf b;
    buf_init(&b, 1024 * 1024);
    while (*s) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 3; /* soft line break */
        } else if (s[0] == '=') {
            int hi = hexval(s[1]), lo = hexval(s[2]);
            cr_assert(hi >= 0 && lo >= 0, "bad escape near %.10s", s);
            char c = (char)(hi * 16 + lo);
            buf_append(&b, &c, 1);
            s += 3;
        } else if (s[0] == '\r') {
            cr_assert_eq(s[1], '\n', "a CR without LF");
            buf_append(&b, "\n", 1);
            s += 2;
        } else {
            cr_assert_neq(s[0], '\n', "a bare LF");
            buf_append(&b, s, 1);
            s++;
        }
    }
    char *out = buf_steal(&b);
    return out ? out : strdup("");
}

static int
b64val(char c)
{
    const char *set =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(set, c) : NULL;
    return p ? (int)(p - set) : -1;
}

/* Decodes the "=?UTF-8?B?...?=" words of an unfolded header value and
 * appends their text to out; each word must hold whole characters. */
static void
words_decode(const char *v, struct buf *out)
{
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *end = strstr(p, "?=");
        cr_assert_not_null(end);
        size_t start = out->len;
        unsigned acc = 0;
        int bits = 0;
        for (; p < end; p++) {
            if (*p == '=')
                break;
            int v6 = b64val(*p);
            cr_assert(v6 >= 0, "bad base64 %c", *p);
            acc = (acc << 6) | (unsigned)v6;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                char c = (char)((acc >> bits) & 0xff);
                buf_append(out, &c, 1);
            }
        }
        /* A word ends on a character boundary: its last byte is ASCII or
         * completes a sequence. */
        if (out->len > start) {
            unsigned char last = (unsigned char)out->data[out->len - 1];
            unsigned char lead = (unsigned char)out->data[start];
            cr_assert(last < 0x80 || (last & 0xc0) == 0x80);
            cr_assert(lead < 0x80 || lead >= 0xc0, "word starts mid-char");
        }
        p = end + 2;
    }
}

/* The header block of a rendered message (owned, up to the blank line). */
static char *
headers_of(const char *msg)
{
    const char *end = strstr(msg, "\r\n\r\n");
    cr_assert_not_null(end);
    return strndup(msg, (size_t)(end - msg) + 2);
}

/* Every line ends in CRLF and is at most max characters long. */
static void
assert_crlf_lines(const char *s, size_t max)
{
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\r') {
            cr_assert_eq(p[1], '\n', "a CR without LF at %zu", (size_t)(p - s));
            p++;
            col = 0;
            continue;
        }
        cr_assert_neq(*p, '\n', "a bare LF at %zu", (size_t)(p - s));
        col++;
        cr_assert_leq(col, max, "a line longer than %zu: %.80s", max,
                      p - col + 1);
    }
    cr_assert(col == 0, "the last line does not end in CRLF");
}

static char *
render(const char *from, const char *to, const char *subject, const char *body,
       enum rma_err *err)
{
    struct mail_message m = {
        .from = from,
        .to = to,
        .subject = subject,
        .body = body,
        .message_id = "rma.0123456789abcdef0123456789abcdef",
        .date = 1751362200,
    };
    struct buf b;
    buf_init(&b, MAIL_RENDERED_MAX);
    *err = mail_render(&m, &b);
    char *s = buf_steal(&b);
    return s ? s : strdup("");
}

static char *
qp(const char *body)
{
    struct buf b;
    buf_init(&b, 1024 * 1024);
    cr_assert_eq(mail_qp_encode(body, &b), RMA_OK);
    char *s = buf_steal(&b);
    return s ? s : strdup("");
}

/* ------------------------------------------------------------------ */
/* Rendering */

Test(mail, a_message_has_its_headers_and_every_line_ends_in_crlf)
{
    enum rma_err err;
    char *msg = render("RMA Service <rma@example.com>", "ada@example.com",
                       "Hello there", "line one\nline two\r\nlast", &err);
    cr_assert_eq(err, RMA_OK);
    assert_crlf_lines(msg, 998);
    cr_assert_str_eq(msg, "From: RMA Service <rma@example.com>\r\n"
                          "To: ada@example.com\r\n"
                          "Subject: Hello there\r\n"
                          "Date: Tue, 01 Jul 2025 09:30:00 +0000\r\n"
                          "Message-ID: "
                          "<rma.0123456789abcdef0123456789abcdef@example.com>"
                          "\r\n"
                          "Auto-Submitted: auto-generated\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=UTF-8\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "\r\n"
                          "line one\r\n"
                          "line two\r\n"
                          "last\r\n");
    free(msg);
}

Test(mail, the_date_is_rfc5322_in_utc)
{
    char d[32];
    mail_format_date(0, d);
    cr_assert_str_eq(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    mail_format_date(1751362200, d);
    cr_assert_str_eq(d, "Tue, 01 Jul 2025 09:30:00 +0000");
}

Test(mail, quoted_printable_escapes_utf8_equals_and_controls)
{
    char *s = qp("Grüße — 1+1=2\n");
    cr_assert_str_eq(s, "Gr=C3=BC=C3=9Fe =E2=80=94 1+1=3D2\r\n");
    free(s);
    s = qp("a\x01"
           "b\x7f\n");
    cr_assert_str_eq(s, "a=01b=7F\r\n");
    free(s);
}

Test(mail, quoted_printable_encodes_trailing_blanks_and_leading_dots)
{
    char *s = qp("end  \nx\t\n  \n.\n..x\n");
    cr_assert_str_eq(s, "end =20\r\nx=09\r\n =20\r\n=2E\r\n=2E.x\r\n");
    free(s);
}

Test(mail, quoted_printable_keeps_lines_within_76_with_soft_breaks)
{
    /* Lengths around the limit, with escapes and blanks at the boundary. */
    struct buf in;
    buf_init(&in, 64 * 1024);
    for (int n = 70; n <= 80; n++) {
        for (int i = 0; i < n; i++)
            buf_append(&in, "x", 1);
        buf_append(&in, "\n", 1);
        for (int i = 0; i < n - 1; i++)
            buf_append(&in, i % 7 == 6 ? "=" : "y", 1);
        buf_append(&in, " \n", 2);
        for (int i = 0; i < n / 2; i++)
            buf_append(&in, "é", strlen("é"));
        buf_append(&in, "\n", 1);
    }
    for (int i = 0; i < 500; i++)
        buf_append(&in, i % 3 ? "a" : " ", 1);
    buf_append(&in, "\n", 1);

    char *enc = qp(in.data);
    assert_crlf_lines(enc, 76);
    /* A soft break never splits an escape: every '=' is followed by a
     * line end or two hex digits, which qp_decode checks. */
    char *dec = qp_decode(enc);
    cr_assert_str_eq(dec, in.data, "decoding gives back the text");
    cr_assert_not_null(strstr(enc, "=\r\n"), "long lines are soft-broken");
    /* No line of the encoding ends in a blank. */
    cr_assert_null(strstr(enc, " \r\n"));
    cr_assert_null(strstr(enc, "\t\r\n"));
    free(dec);
    free(enc);
    buf_free(&in);
}

Test(mail, quoted_printable_turns_lf_cr_and_crlf_into_crlf)
{
    char *s = qp("a\rb\r\nc\nd");
    cr_assert_str_eq(s, "a\r\nb\r\nc\r\nd\r\n");
    free(s);
}

Test(mail, an_ascii_subject_stays_as_written)
{
    struct buf b;
    buf_init(&b, 4096);
    cr_assert_eq(mail_header_subject("Action Required: Please Confirm Your "
                                     "RMA Solution Promptly",
                                     &b),
                 RMA_OK);
    cr_assert_str_eq(b.data, "Subject: Action Required: Please Confirm Your "
                             "RMA Solution Promptly\r\n");
    buf_free(&b);
}

Test(mail, a_long_ascii_subject_is_folded_at_spaces)
{
    char subject[400] = "";
    for (int i = 0; i < 30; i++)
        snprintf(subject + strlen(subject), sizeof(subject) - strlen(subject),
                 "%sword%02d", i ? " " : "", i);
    struct buf b;
    buf_init(&b, 4096);
    cr_assert_eq(mail_header_subject(subject, &b), RMA_OK);
    assert_crlf_lines(b.data, 78);
    /* Unfolding (removing CRLF before a blank) gives back the subject. */
    struct buf u;
    buf_init(&u, 4096);
    for (const char *p = b.data + 9; *p; p++)
        if (!(p[0] == '\r' && p[1] == '\n'))
            buf_append(&u, p, 1);
        else
            p++;
    cr_assert_str_eq(u.data, subject);
    buf_free(&u);
    buf_free(&b);
}

Test(mail, a_non_ascii_subject_becomes_encoded_words)
{
    const char *subject = "Bestätigung für RMA-2025-000001 ✓";
    struct buf b, dec;
    buf_init(&b, 4096);
    buf_init(&dec, 4096);
    cr_assert_eq(mail_header_subject(subject, &b), RMA_OK);
    cr_assert_eq(strncmp(b.data, "Subject: =?UTF-8?B?", 19), 0, "%s", b.data);
    assert_crlf_lines(b.data, 76);
    for (const char *p = b.data; *p; p++)
        cr_assert((unsigned char)*p < 0x80, "the header is ASCII");
    words_decode(b.data, &dec);
    cr_assert_str_eq(dec.data, subject);
    buf_free(&dec);
    buf_free(&b);
}

Test(mail, a_long_non_ascii_subject_folds_on_character_boundaries)
{
    char subject[MAIL_SUBJECT_MAX + 1] = "";
    while (strlen(subject) + strlen("€é") <= MAIL_SUBJECT_MAX)
        memcpy(subject + strlen(subject), "€é", strlen("€é") + 1);
    struct buf b, dec;
    buf_init(&b, 8192);
    buf_init(&dec, 8192);
    cr_assert_eq(mail_header_subject(subject, &b), RMA_OK);
    assert_crlf_lines(b.data, 76);
    cr_assert_not_null(strstr(b.data, "?=\r\n =?UTF-8?B?"), "folded");
    words_decode(b.data, &dec); /* checks each word's boundaries */
    cr_assert_str_eq(dec.data, subject);
    buf_free(&dec);
    buf_free(&b);
}

Test(mail, text_that_looks_like_an_encoded_word_is_encoded)
{
    struct buf b, dec;
    buf_init(&b, 4096);
    buf_init(&dec, 4096);
    cr_assert_eq(mail_header_subject("=?UTF-8?B?SGk=?=", &b), RMA_OK);
    words_decode(b.data, &dec);
    cr_assert_str_eq(dec.data, "=?UTF-8?B?SGk=?=");
    buf_free(&dec);
    buf_free(&b);
}

Test(mail, header_injection_is_refused)
{
    enum rma_err err;
    const char *from = "RMA <rma@example.com>";
    char *msg = render(from, "ada@example.com", "Hi\r\nBcc: eve@example.com",
                       "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    cr_assert_str_eq(msg, "", "nothing is written");
    free(msg);
    msg =
        render(from, "ada@example.com", "Hi\nBcc: eve@example.com", "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
    msg = render(from, "ada@example.com", "Hi\rthere", "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
    msg = render(from, "ada@example.com\r\nBcc: eve@example.com", "Hi", "x",
                 &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
    msg = render("Eve\r\nBcc: eve@example.com <rma@example.com>",
                 "ada@example.com", "Hi", "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);

    struct buf b;
    buf_init(&b, 4096);
    buf_puts(&b, "kept");
    cr_assert_eq(mail_header_subject("a\r\nb", &b), RMA_EINVAL);
    cr_assert_str_eq(b.data, "kept", "the buffer is left as it was");
    buf_free(&b);
}

Test(mail, enqueue_refuses_bad_input_before_touching_the_database)
{
    struct db db;
    db_init(&db, "host=/nonexistent dbname=none", "test_mail");
    cr_assert_eq(mail_enqueue(&db, "reminder", 1, "ada@example.com",
                              "Hi\r\nBcc: eve@example.com", "x"),
                 RMA_EINVAL);
    cr_assert_eq(
        mail_enqueue(&db, "reminder", 1, "ada@example.com, eve@x.y", "Hi", "x"),
        RMA_EINVAL);
    cr_assert_eq(mail_enqueue(&db, "Bad Kind", 1, "ada@example.com", "Hi", "x"),
                 RMA_EINVAL);
    cr_assert_eq(mail_enqueue(&db, "reminder", 1, "ada@example.com", "", "x"),
                 RMA_EINVAL);
    cr_assert_eq(mail_enqueue(&db, "reminder", 1, "ada@example.com", "Hi",
                              "bad \xff utf-8"),
                 RMA_EINVAL);
    cr_assert_null(db.conn, "no connection was attempted");
    /* Valid input reaches the database, which is not there. */
    cr_assert_eq(mail_enqueue(&db, "reminder", 0, "ada@example.com", "Hi", "x"),
                 RMA_EDB);
    db_close(&db);
}

Test(mail, text_that_is_not_utf8_is_refused)
{
    enum rma_err err;
    const char *from = "rma@example.com";
    char *msg = render(from, "ada@example.com", "Hi", "caf\xe9", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
    msg = render(from, "ada@example.com", "caf\xc3", "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
    msg = render(from, "ada@example.com", "\xed\xa0\x80", "x", &err);
    cr_assert_eq(err, RMA_EINVAL, "a surrogate");
    free(msg);
    msg = render(from, "ada@example.com", "\xc0\xaf", "x", &err);
    cr_assert_eq(err, RMA_EINVAL, "an overlong form");
    free(msg);
}

Test(mail, the_sender_name_is_kept_quoted_or_encoded)
{
    enum rma_err err;
    char *msg = render("rma@example.com", "ada@example.com", "Hi", "x", &err);
    cr_assert_eq(err, RMA_OK);
    cr_assert_eq(strncmp(msg, "From: rma@example.com\r\n", 23), 0, "%s", msg);
    free(msg);

    msg = render("\"A. Smith, Support\" <rma@example.com>", "ada@example.com",
                 "Hi", "x", &err);
    cr_assert_eq(err, RMA_OK);
    cr_assert_eq(
        strncmp(msg, "From: \"A. Smith, Support\" <rma@example.com>\r\n", 45),
        0, "%s", msg);
    free(msg);

    msg = render("Kundendienst Müller <rma@example.de>", "ada@example.com",
                 "Hi", "x", &err);
    cr_assert_eq(err, RMA_OK);
    char *h = headers_of(msg);
    cr_assert_eq(strncmp(h, "From: =?UTF-8?B?", 16), 0, "%s", h);
    cr_assert_not_null(strstr(h, "?= <rma@example.de>\r\n"), "%s", h);
    struct buf dec;
    buf_init(&dec, 1024);
    words_decode(h, &dec);
    cr_assert_str_eq(dec.data, "Kundendienst Müller");
    cr_assert_not_null(strstr(h, "@example.de>\r\n"));
    buf_free(&dec);
    free(h);
    free(msg);

    msg = render("RMA <not an address>", "ada@example.com", "Hi", "x", &err);
    cr_assert_eq(err, RMA_EINVAL);
    free(msg);
}

Test(mail, addresses_are_checked)
{
    const char *good[] = {"ada@example.com", "a.b+tag@mail.example.co.uk",
                          "x_y@localhost", "o'neil@example.com"};
    const char *bad[] = {"",
                         "ada",
                         "@example.com",
                         "ada@",
                         "ada@@example.com",
                         "a@b@c",
                         "ada @example.com",
                         "ada@exa mple.com",
                         ".ada@example.com",
                         "ada.@example.com",
                         "a..b@example.com",
                         "ada@example..com",
                         "ada@example.com,eve@example.com",
                         "<ada@example.com>",
                         "ada@example.com\r\n",
                         "ad\"a@example.com",
                         "ädä@example.com"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_assert(mail_address_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_not(mail_address_ok(bad[i]), "%s", bad[i]);
}

Test(mail, new_message_ids_are_well_formed_and_distinct)
{
    char a[MAIL_ID_LEN + 1], b[MAIL_ID_LEN + 1];
    cr_assert_eq(mail_new_id(a), RMA_OK);
    cr_assert_eq(mail_new_id(b), RMA_OK);
    cr_assert_eq(strlen(a), MAIL_ID_LEN);
    cr_assert_eq(strncmp(a, "rma.", 4), 0);
    cr_assert_eq(strspn(a + 4, "0123456789abcdef"), 32);
    cr_assert_str_neq(a, b);
}

/* ------------------------------------------------------------------ */
/* Texts */

#define BASE "https://rma.example.com"

Test(mail_text, the_login_code_is_on_a_line_of_its_own)
{
    struct mail_text t;
    cr_assert_eq(mail_text_login_code("012345", &t), RMA_OK);
    cr_assert_str_eq(t.subject, "Your RMA portal sign-in code");
    cr_assert_not_null(strstr(t.body, "\nCode: 012345\n"), "%s", t.body);
    cr_assert_not_null(strstr(t.body, "15 minutes"));

    /* And so it stays once rendered. */
    enum rma_err err;
    char *msg =
        render("rma@example.com", "ada@example.com", t.subject, t.body, &err);
    cr_assert_eq(err, RMA_OK);
    cr_assert_not_null(strstr(msg, "\r\nCode: 012345\r\n"));
    free(msg);
    mail_text_free(&t);

    cr_assert_eq(mail_text_login_code("12345", &t), RMA_EINVAL);
    cr_assert_eq(mail_text_login_code("1234567", &t), RMA_EINVAL);
    cr_assert_eq(mail_text_login_code("12345a", &t), RMA_EINVAL);
    cr_assert_eq(mail_text_login_code(NULL, &t), RMA_EINVAL);
    cr_assert_null(t.body);
}

Test(mail_text, action_required_has_its_exact_subject_and_the_portal_link)
{
    struct mail_text t;
    cr_assert_eq(
        mail_text_action_required(BASE, "Ada Lovelace", "RMA-2025-000123", &t),
        RMA_OK);
    cr_assert_str_eq(t.subject,
                     "Action Required: Please Confirm Your RMA Solution "
                     "Promptly");
    cr_assert_eq(strncmp(t.body, "Hello Ada Lovelace,\n", 20), 0, "%s", t.body);
    cr_assert_not_null(strstr(t.body, "RMA-2025-000123"));
    cr_assert_not_null(strstr(t.body, "\n" BASE "/#/rmas/RMA-2025-000123\n"),
                       "%s", t.body);
    mail_text_free(&t);

    cr_assert_eq(mail_text_action_required(BASE, NULL, "RMA-2025-000123", &t),
                 RMA_OK);
    cr_assert_eq(strncmp(t.body, "Hello,\n", 7), 0);
    mail_text_free(&t);
}

Test(mail_text, the_reminder_gives_the_days_left_and_a_utc_iso_deadline)
{
    struct mail_text t;
    time_t deadline = 1753531200; /* 2025-07-26T12:00:00Z */
    cr_assert_eq(mail_text_return_reminder(BASE, "Ada", "RMA-2025-000123", 7,
                                           deadline, &t),
                 RMA_OK);
    cr_assert_not_null(strstr(t.subject, "7 days"), "%s", t.subject);
    cr_assert_not_null(strstr(t.subject, "RMA-2025-000123"));
    cr_assert_not_null(strstr(t.body, "Deadline: 2025-07-26T12:00:00Z"), "%s",
                       t.body);
    cr_assert_not_null(strstr(t.body, BASE "/#/rmas/RMA-2025-000123"));
    mail_text_free(&t);
    cr_assert_eq(mail_text_return_reminder(BASE, "Ada", "RMA-2025-000123", 1,
                                           deadline, &t),
                 RMA_OK);
    cr_assert_not_null(strstr(t.subject, "1 day "), "%s", t.subject);
    mail_text_free(&t);
    cr_assert_eq(mail_text_return_reminder(BASE, "Ada", "RMA-2025-000123", 0,
                                           deadline, &t),
                 RMA_EINVAL);
}

Test(mail_text, hold_notices_name_the_case_and_the_amount)
{
    struct mail_text t;
    cr_assert_eq(mail_text_hold_released(BASE, "Ada", "RMA-2025-000123",
                                         "129.99 USD", &t),
                 RMA_OK);
    cr_assert_not_null(strstr(t.subject, "released"));
    cr_assert_not_null(strstr(t.subject, "RMA-2025-000123"));
    cr_assert_not_null(strstr(t.body, "129.99 USD"));
    cr_assert_not_null(strstr(t.body, BASE "/#/rmas/RMA-2025-000123"));
    mail_text_free(&t);
    cr_assert_eq(
        mail_text_hold_captured(BASE, "Ada", "RMA-2025-000123", "1500 JPY", &t),
        RMA_OK);
    cr_assert_not_null(strstr(t.subject, "captured"));
    cr_assert_not_null(strstr(t.body, "1500 JPY"));
    cr_assert_not_null(strstr(t.body, BASE "/#/rmas/RMA-2025-000123"));
    mail_text_free(&t);
}

Test(mail_text, a_name_or_number_that_could_forge_lines_is_refused)
{
    struct mail_text t;
    cr_assert_eq(mail_text_action_required(BASE, "Ada\nClick evil.example",
                                           "RMA-2025-000123", &t),
                 RMA_EINVAL);
    cr_assert_eq(mail_text_action_required(BASE, "Ada", "RMA-1/../x", &t),
                 RMA_EINVAL);
    cr_assert_eq(
        mail_text_hold_released(BASE, "Ada", "RMA-2025-000123", "", &t),
        RMA_EINVAL);
    cr_assert_eq(mail_text_action_required("", "Ada", "RMA-2025-000123", &t),
                 RMA_EINVAL);
    cr_assert_null(t.subject);
}

Test(mail_text, every_text_renders_as_a_valid_message)
{
    struct mail_text t[5];
    cr_assert_eq(mail_text_login_code("999999", &t[0]), RMA_OK);
    cr_assert_eq(
        mail_text_action_required(BASE, "Zoë", "RMA-2025-000001", &t[1]),
        RMA_OK);
    cr_assert_eq(mail_text_hold_released(BASE, "Zoë", "RMA-2025-000001",
                                         "10.00 EUR", &t[2]),
                 RMA_OK);
    cr_assert_eq(mail_text_return_reminder(BASE, "Zoë", "RMA-2025-000001", 2,
                                           1753531200, &t[3]),
                 RMA_OK);
    cr_assert_eq(mail_text_hold_captured(BASE, "Zoë", "RMA-2025-000001",
                                         "10.00 EUR", &t[4]),
                 RMA_OK);
    for (int i = 0; i < 5; i++) {
        enum rma_err err;
        char *msg = render("RMA Service <rma@example.com>", "zoe@example.com",
                           t[i].subject, t[i].body, &err);
        cr_assert_eq(err, RMA_OK, "text %d", i);
        assert_crlf_lines(msg, 78);
        char *body = qp_decode(strstr(msg, "\r\n\r\n") + 4);
        cr_assert_str_eq(body, t[i].body, "text %d", i);
        free(body);
        free(msg);
        mail_text_free(&t[i]);
    }
}

/* SPEC §14: each change of a case has its own subject and text, with its
 * facts (amounts, a deadline in UTC, the staff member's words, the link). */
Test(mail_text, every_case_mail_has_its_own_subject_and_its_facts)
{
    struct case_mail_facts f = {
        .base_url = BASE,
        .name = "Zoë",
        .rma_number = "RMA-2025-000001",
        .amount = "129.99 USD",
        .when = 1753531200, /* 2025-07-26T12:00:00Z */
        .reason = "The customer found the missing part.",
    };
    const char *subjects[CASE_MAIL_COUNT] = {0};
    for (int k = 0; k < CASE_MAIL_COUNT; k++) {
        struct mail_text t;
        cr_assert_eq(mail_text_case((enum case_mail)k, &f, &t), RMA_OK, "%s",
                     mail_case_kind((enum case_mail)k));
        cr_assert(strstr(t.subject, "RMA-2025-000001") != NULL, "%s",
                  t.subject);
        cr_assert(strstr(t.body, BASE "/#/rmas/RMA-2025-000001") != NULL, "%s",
                  t.body);
        cr_assert(strncmp(t.body, "Hello Zoë,\n\n", 13) == 0, "%s", t.body);
        cr_assert_null(strchr(t.body, '{'), "a blank left: %s", t.body);
        for (int j = 0; j < k; j++)
            cr_assert_str_neq(subjects[j], t.subject);
        subjects[k] = strdup(t.subject);
        enum rma_err err;
        char *msg = render("RMA Service <rma@example.com>", "zoe@example.com",
                           t.subject, t.body, &err);
        cr_assert_eq(err, RMA_OK, "%s", t.subject);
        assert_crlf_lines(msg, 78);
        free(msg);
        mail_text_free(&t);
    }
    struct mail_text t;
    cr_assert_eq(mail_text_case(CASE_MAIL_HOLD_PLACED, &f, &t), RMA_OK);
    cr_assert(strstr(t.body, "129.99 USD") &&
                  strstr(t.body, "2025-07-26T12:00:00Z (UTC)"),
              "%s", t.body);
    mail_text_free(&t);
    cr_assert_eq(mail_text_case(CASE_MAIL_CANCELLED, &f, &t), RMA_OK);
    cr_assert(strstr(t.body, "Reason: The customer found the missing part."),
              "%s", t.body);
    mail_text_free(&t);
    cr_assert_eq(mail_text_case(CASE_MAIL_REPAIR_QUOTE, &f, &t), RMA_OK);
    cr_assert(strstr(t.subject, "129.99 USD") != NULL, "%s", t.subject);
    mail_text_free(&t);
    for (int k = 0; k < CASE_MAIL_COUNT; k++)
        free((char *)subjects[k]);
}

Test(mail_text, a_case_mail_without_the_facts_it_needs_is_refused)
{
    struct case_mail_facts f = {
        .base_url = BASE, .name = "Ada", .rma_number = "RMA-2025-000001"};
    struct mail_text t;
    cr_assert_eq(mail_text_case(CASE_MAIL_HOLD_PLACED, &f, &t), RMA_EINVAL,
                 "no amount, no deadline");
    cr_assert_null(t.subject);
    cr_assert_eq(mail_text_case(CASE_MAIL_CANCELLED, &f, &t), RMA_EINVAL,
                 "no reason");
    cr_assert_eq(mail_text_case(CASE_MAIL_RETURN_RECEIVED, &f, &t), RMA_OK);
    mail_text_free(&t);
    f.rma_number = "RMA-1\r\nBcc: x@example.com";
    cr_assert_eq(mail_text_case(CASE_MAIL_RETURN_RECEIVED, &f, &t), RMA_EINVAL);
    f.rma_number = "RMA-2025-000001";
    f.amount = "1.00 USD\r\nX: y";
    cr_assert_eq(mail_text_case(CASE_MAIL_REPAIR_QUOTE, &f, &t), RMA_EINVAL);
    cr_assert_eq(mail_text_case(CASE_MAIL_COUNT, &f, &t), RMA_EINVAL);
}
