#!/usr/bin/env python3
"""export_check.py - the finance exports end to end (SPEC §8), run by
tests/e2e/export.sh against the stack of tests/run-suite.

Python's csv module is the independent parser: every export is parsed back
and compared with the database rows, read by this test's own queries, whose
amounts and times PostgreSQL formats (money_text, iso_utc) and whose text
cells this file neutralizes, so that neither the C formatting nor the C
writer is compared with itself.

The stack's database gets rows in far-past periods only (1995, 1996), of
kinds that no invariant of `rmactl ledger verify` can object to (cases,
finance exceptions, balanced adjustments).  Holds, captures and refunds,
which verify checks against PayPal, and the million rows of the memory check
go to a database of their own, exported with rmactl (the same code path
as the API, which the byte-for-byte comparison shows), dropped at the end.
"""
import csv
import hashlib
import http.client
import io
import json
import os
import re
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import time

RUN = os.environ["RUN"]
PORT = int(os.environ["HTTP_PORT"])
ADMIN_URL = os.environ["RMA_TEST_ADMIN_URL"]
PSQL = os.environ.get("RMA_TEST_PSQL", "psql")
SRC = os.environ["top_srcdir"]
PID = os.getpid()

failures = []


def check(description, ok, detail=""):
    if ok:
        print("ok: " + description)
    else:
        print("FAIL: " + description + (": " + str(detail) if detail else ""))
        failures.append(description)
    return ok


# ---------------------------------------------------------------- helpers


def sql(query, url=ADMIN_URL):
    """Runs SQL as the schema owner; returns psql's unaligned output."""
    p = subprocess.run(
        [PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url],
        input=query, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("psql failed: " + p.stderr + "\n" + query[:2000])
    return p.stdout


def sql_rows(query, url=ADMIN_URL):
    """The rows of query (each a JSON array built by the query)."""
    out = sql("SELECT coalesce(json_agg(r ORDER BY n), '[]') FROM ("
              " SELECT row_number() OVER () AS n, q.r FROM (" + query +
              ") q(r)) t", url)
    return json.loads(out)


def lit(s):
    """An SQL literal for any text (E'' with escapes), or NULL."""
    if s is None:
        return "NULL"
    e = (s.replace("\\", "\\\\").replace("'", "\\'").replace("\r", "\\r")
         .replace("\n", "\\n").replace("\t", "\\t"))
    return "E'" + e + "'"


def rmactl(*args, env=None, output=subprocess.PIPE):
    return subprocess.run(["rmactl"] + list(args), capture_output=False,
                          stdout=output, stderr=subprocess.PIPE, env=env)


def token(role):
    p = rmactl("token", "create", "--role", role,
               "--name", "export-%s-%d" % (role, PID))
    assert p.returncode == 0, p.stderr
    return p.stdout.decode().strip()


def http_get(path, headers=None, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def parse_csv(body):
    """Python's csv module on the UTF-8 text (newline='' keeps CR and LF
    inside quoted cells)."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def neutral(v):
    """A text cell as SPEC §8 wants it: a formula opener gets a quote."""
    if v is None:
        return ""
    return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v


# The documented columns (doc/exports.md), and which hold amounts.
COLUMNS = {
    "ledger": ["effective_at", "entry_id", "entry_kind", "posting_id",
               "account", "account_kind", "currency", "amount", "rma_number",
               "hold_id", "paypal_id", "makeup_id", "idempotency_key", "memo",
               "created_at"],
    "holds": ["authorized_at", "hold_id", "rma_number", "status", "currency",
              "amount", "authorization_id", "honor_until", "expires_at",
              "deadline", "extensions", "reauth_status",
              "reauthorization_id", "reauthorized_at", "void_reason",
              "voided_at", "capture_id", "captured_amount", "capture_fee",
              "captured_at", "capture_reason", "capture_attempts",
              "refund_id", "refunded_amount", "refunded_at", "refund_reason",
              "ended_at"],
    "captures-refunds": ["at", "type", "hold_id", "rma_number", "paypal_id",
                         "related_paypal_id", "currency", "gross", "fee",
                         "net", "reason"],
    "makeup-payments": ["claimed_at", "claim_id", "rma_number", "reason",
                        "currency", "amount_due", "transaction_id", "outcome",
                        "matched_by", "paid_amount", "surplus",
                        "reconciled_at", "resolved_at", "resolved_by",
                        "resolution"],
    "exceptions": ["created_at", "exception_id", "kind", "rma_number",
                   "hold_id", "currency", "amount", "detail", "status",
                   "resolved_at", "resolved_by", "resolution"],
    "rmas": ["created_at", "rma_number", "kind", "status", "revision",
             "customer_email", "customer_name", "order_number",
             "sales_channel", "shipping_country", "currency",
             "refund_amount", "replacement_value", "makeup_due",
             "makeup_reason", "replacement_method", "warehouse_region",
             "problem", "cancel_reason", "created_by", "updated_at",
             "confirmed_at", "closed_at"],
    "shipments": ["shipped_at", "shipment_id", "rma_number", "rma_kind",
                  "shipment_kind", "carrier", "tracking_number",
                  "tracking_url", "shipped_by"],
}
AMOUNTS = {
    "ledger": {"amount"},
    "holds": {"amount", "captured_amount", "capture_fee", "refunded_amount"},
    "captures-refunds": {"gross", "fee", "net"},
    "makeup-payments": {"amount_due", "paid_amount", "surplus"},
    "exceptions": {"amount"},
    "rmas": {"refund_amount", "replacement_value", "makeup_due"},
    "shipments": set(),
}

# The database rows of each kind over [$from, $to), formatted by
# PostgreSQL: one JSON array per row, in the documented column order.
WINDOW = "%s >= {f}::timestamptz AND %s < {t}::timestamptz"
EXPECTED = {
    "ledger": """
        SELECT json_build_array(iso_utc(e.effective_at), e.id::text, e.kind,
            p.id::text, p.account, a.kind, p.currency,
            money_text(p.amount_minor, p.currency), r.number,
            e.hold_id::text, e.paypal_id, e.makeup_id::text,
            e.idempotency_key, e.memo, iso_utc(e.created_at))
        FROM posting p JOIN journal_entry e ON e.id = p.entry_id
        JOIN ledger_account a ON a.code = p.account
        LEFT JOIN rma r ON r.id = e.rma_id
        WHERE """ + WINDOW % ("e.effective_at", "e.effective_at") + """
        ORDER BY e.effective_at, e.id, p.id""",
    "holds": """
        SELECT json_build_array(iso_utc(h.authorized_at), h.id::text,
            r.number, h.status, h.currency,
            money_text(h.amount_minor, h.currency), h.authorization_id,
            iso_utc(h.honor_until), iso_utc(h.expires_at),
            iso_utc(h.deadline), h.extensions::text, h.reauth_status,
            h.reauthorization_id, iso_utc(h.reauthorized_at), h.void_reason,
            iso_utc(h.voided_at), h.capture_id,
            money_text(h.capture_minor, h.currency),
            money_text(h.fee_minor, h.currency), iso_utc(h.captured_at),
            h.capture_reason, h.capture_attempts::text, h.refund_id,
            money_text(h.refund_minor, h.currency), iso_utc(h.refunded_at),
            h.refund_reason, iso_utc(h.ended_at))
        FROM hold h JOIN rma r ON r.id = h.rma_id
        WHERE """ + WINDOW % ("h.authorized_at", "h.authorized_at") + """
        ORDER BY h.authorized_at, h.id""",
    "captures-refunds": """
        SELECT a FROM (
          SELECT h.captured_at AS at, h.id AS id, 1 AS k,
            json_build_array(iso_utc(h.captured_at), 'capture', h.id::text,
              r.number, h.capture_id,
              CASE WHEN h.reauth_status = 'succeeded'
                   THEN h.reauthorization_id ELSE h.authorization_id END,
              h.currency, money_text(h.capture_minor, h.currency),
              money_text(h.fee_minor, h.currency),
              money_text(h.capture_minor - h.fee_minor, h.currency),
              h.capture_reason) AS a
          FROM hold h JOIN rma r ON r.id = h.rma_id
          WHERE h.capture_id IS NOT NULL
            AND """ + WINDOW % ("h.captured_at", "h.captured_at") + """
          UNION ALL
          SELECT h.refunded_at, h.id, 2,
            json_build_array(iso_utc(h.refunded_at), 'refund', h.id::text,
              r.number, h.refund_id, h.capture_id, h.currency,
              money_text(-h.refund_minor, h.currency), NULL,
              money_text(-h.refund_minor, h.currency), h.refund_reason)
          FROM hold h JOIN rma r ON r.id = h.rma_id
          WHERE h.refund_id IS NOT NULL
            AND """ + WINDOW % ("h.refunded_at", "h.refunded_at") + """
          UNION ALL
          SELECT p.paid_at, NULL, 2 + p.id,
            json_build_array(iso_utc(p.paid_at), 'sale_refund', NULL,
              r.number, p.paypal_refund_id, p.capture_id, p.currency,
              money_text(-p.amount_minor, p.currency), NULL,
              money_text(-p.amount_minor, p.currency),
              'refund of the original order')
          FROM refund_payment p JOIN rma r ON r.id = p.rma_id
          WHERE p.method = 'paypal' AND p.status = 'paid'
            AND """ + WINDOW % ("p.paid_at", "p.paid_at") + """
        ) x ORDER BY at, id, k""",
    "makeup-payments": """
        SELECT json_build_array(iso_utc(m.submitted_at), m.id::text,
            r.number, m.reason, m.currency,
            money_text(m.amount_due_minor, m.currency), m.transaction_id,
            m.status, m.match_method, money_text(m.paid_minor, m.currency),
            money_text(CASE WHEN m.status = 'overpaid'
                THEN m.paid_minor - m.amount_due_minor END, m.currency),
            iso_utc(m.reconciled_at), iso_utc(m.resolved_at), m.resolved_by,
            m.resolution)
        FROM makeup_claim m JOIN rma r ON r.id = m.rma_id
        WHERE """ + WINDOW % ("m.submitted_at", "m.submitted_at") + """
        ORDER BY m.submitted_at, m.id""",
    "exceptions": """
        SELECT json_build_array(iso_utc(f.created_at), f.id::text, f.kind,
            r.number, f.hold_id::text, f.currency,
            money_text(f.amount_minor, f.currency), f.detail,
            CASE WHEN f.resolved_at IS NULL THEN 'open' ELSE 'resolved' END,
            iso_utc(f.resolved_at), f.resolved_by, f.resolution)
        FROM finance_exception f LEFT JOIN rma r ON r.id = f.rma_id
        WHERE """ + WINDOW % ("f.created_at", "f.created_at") + """
        ORDER BY f.created_at, f.id""",
    "rmas": """
        SELECT json_build_array(iso_utc(r.created_at), r.number, r.kind,
            r.status, r.revision::text, c.email, c.name, o.order_number,
            o.sales_channel, o.shipping_country, r.currency,
            money_text(r.refund_minor, r.currency),
            money_text(r.replacement_minor, r.currency),
            money_text(r.makeup_due_minor, r.currency), r.makeup_reason,
            r.replacement_method, r.warehouse_region, r.problem,
            r.cancel_reason, r.created_by, iso_utc(r.updated_at),
            iso_utc(r.confirmed_at), iso_utc(r.closed_at))
        FROM rma r JOIN customer c ON c.id = r.customer_id
        JOIN original_order o ON o.id = r.order_id
        WHERE """ + WINDOW % ("r.created_at", "r.created_at") + """
        ORDER BY r.created_at, r.id""",
    "shipments": """
        SELECT json_build_array(iso_utc(s.shipped_at), s.id::text, r.number,
            r.kind, s.kind, s.carrier, s.tracking_number,
            tracking_url(s.carrier, s.tracking_number), s.created_by)
        FROM shipment s JOIN rma r ON r.id = s.rma_id
        WHERE """ + WINDOW % ("s.shipped_at", "s.shipped_at") + """
        ORDER BY s.shipped_at, s.id""",
}


def expected_rows(kind, f, t, url=ADMIN_URL):
    rows = sql_rows(EXPECTED[kind].format(f=lit(f), t=lit(t)), url)
    amounts = AMOUNTS[kind]
    return [["" if v is None else v if col in amounts else neutral(v)
             for col, v in zip(COLUMNS[kind], row)] for row in rows]


def compare_export(label, kind, body, f, t, url=ADMIN_URL):
    """The parsed export equals the header and the database rows."""
    rows = parse_csv(body)
    check("%s: %s header is the documented columns" % (label, kind),
          rows[:1] == [COLUMNS[kind]], rows[:1])
    want = expected_rows(kind, f, t, url)
    got = rows[1:]
    same = got == want
    detail = ""
    if not same:
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                detail = "row %d: got %r, want %r" % (i, g, w)
                break
        else:
            detail = "%d rows, want %d" % (len(got), len(want))
    check("%s: %s parsed back equals the database's %d rows"
          % (label, kind, len(want)), same, detail)
    return got


def column(kind, rows, name):
    i = COLUMNS[kind].index(name)
    return [r[i] for r in rows]


def row_with(kind, rows, name, value):
    for r in rows:
        if r[COLUMNS[kind].index(name)] == value:
            return dict(zip(COLUMNS[kind], r))
    return None


# --------------------------------------------------------- a FastCGI client
# To see what rma-fcgi itself sends (nginx removes X-Accel-* headers and
# hides how the body arrives), and to hang up or stall as a client can.

FCGI_STDOUT, FCGI_END_REQUEST, FCGI_ABORT_REQUEST = 6, 3, 2


def fcgi_record(kind, content):
    return struct.pack(">BBHHBB", 1, kind, 1, len(content), 0, 0) + content


def fcgi_pair(name, value):
    def n(x):
        return bytes([x]) if x < 128 else struct.pack(">I", x | 0x80000000)
    return n(len(name)) + n(len(value)) + name + value


class FcgiRequest:
    def __init__(self, path, query, tok):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.path.join(RUN, "rma.sock"))
        params = {"REQUEST_METHOD": "GET", "DOCUMENT_URI": path,
                  "REQUEST_URI": path + "?" + query, "QUERY_STRING": query,
                  "HTTP_AUTHORIZATION": "Bearer " + tok,
                  "REMOTE_ADDR": "127.0.0.1", "REQUEST_ID": "export-fcgi"}
        body = b"".join(fcgi_pair(k.encode(), v.encode())
                        for k, v in params.items())
        self.sock.sendall(fcgi_record(1, struct.pack(">HB5x", 1, 0)) +
                          fcgi_record(4, body) + fcgi_record(4, b"") +
                          fcgi_record(5, b""))
        self.buf = b""

    def next_record(self):
        """(type, content), or None at the end of the connection."""
        while True:
            if len(self.buf) >= 8:
                _, kind, _, n, pad, _ = struct.unpack(">BBHHBB",
                                                      self.buf[:8])
                if len(self.buf) >= 8 + n + pad:
                    rec = (kind, self.buf[8:8 + n])
                    self.buf = self.buf[8 + n + pad:]
                    return rec
            d = self.sock.recv(65536)
            if not d:
                return None
            self.buf += d

    def close(self):
        self.sock.close()


def wait_for(fn, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def audit_rows(actor, since_id):
    return sql_rows("SELECT json_build_array(actor_kind, actor_name,"
                    " actor_role, detail, rma_id) FROM audit_event"
                    " WHERE action = 'export' AND actor_name = " + lit(actor) +
                    " AND id > %d ORDER BY id" % since_id)


def last_audit_id():
    return int(sql("SELECT coalesce(max(id), 0) FROM audit_event").strip())


# ------------------------------------------------------------------ seeds

MEMO = ('Broken "lens", won\'t focus;\r\nsecond line, "quoted"\nthird\r'
        ' and a tab\there')
F1, T1 = "1995-03-01", "1995-04-01"          # the seeded period
F1_TS, T1_TS = F1 + "T00:00:00Z", T1 + "T00:00:00Z"
F2, T2 = "1996-01-01", "1996-02-01"          # the large period
LARGE_ENTRIES = 40000                          # 80,000 postings, ~12 MB


def number(i):
    return "RMA-1995-%06d" % (100000 + (PID % 9000) * 10 + i)


def seed_cases():
    """Cases, exceptions and ledger adjustments in [F1, T1): the values a
    spreadsheet would run as formulas, memos, three currencies, and rows at
    both bounds of the period."""
    email1 = "export-%d@example.com" % PID
    email2 = "export-%d-b@example.com" % PID
    s = ["BEGIN;",
         "INSERT INTO customer (email, name) VALUES (%s, %s), (%s, %s);"
         % (lit(email1), lit('=HYPERLINK("http://evil.example","x")'),
            lit(email2), lit("Zoë Müller — 東京 ✓"))]
    orders = [("+1-555-0100", "@shop", "US", "USD", email1),
              ("-42", "web", "JP", "JPY", email1),
              ("E-%d" % PID, "\tTabbed", "DE", "EUR", email2)]
    for num, chan, country, cur, email in orders:
        s.append("INSERT INTO original_order (order_number, sales_channel,"
                 " customer_id, shipping_country, currency, purchase_date)"
                 " SELECT %s, %s, id, %s, %s, '1995-01-10' FROM customer"
                 " WHERE email = %s;" % (lit(num + "-%d" % PID), lit(chan),
                                         lit(country), lit(cur), lit(email)))
    cases = [  # i, order, kind, status, amounts, region, problem, cancel, at
        (1, 0, "refund", "pending_confirm", (9999, None, None), "US", MEMO,
         None, "1995-03-01 00:00:00+00"),
        (2, 1, "replacement", "cancelled", (None, 1500, None), "JP",
         "@mention, =1+2", '-cancelled by "ops"', "1995-03-15 12:34:56.789+00"),
        (3, 2, "repair", "awaiting_return", (None, None, 1250), "EU",
         "\rCR first", None, "1995-03-31 23:59:59+00"),
        (4, 0, "resend", "draft", (None, None, None), "US",
         "at the end of the period: not in it", None,
         "1995-04-01 00:00:00+00"),
        (5, 0, "resend", "draft", (None, None, None), "US",
         "before the period", None, "1995-02-28 23:59:59+00"),
    ]
    for i, o, kind, status, (refund, repl, makeup), region, problem, \
            cancel, at in cases:
        num, _, _, cur, email = orders[o]
        s.append(
            "INSERT INTO rma (number, customer_id, order_id, kind, status,"
            " problem, currency, refund_minor, replacement_minor,"
            " makeup_due_minor, makeup_reason, warehouse_region, cancel_reason,"
            " created_by, created_at, updated_at, confirmed_at)"
            " SELECT %s, o.customer_id, o.id, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, '+agent', %s, %s::timestamptz + interval '1 hour',"
            " CASE WHEN %d = 3 THEN %s::timestamptz + interval '2 days' END"
            " FROM original_order o WHERE o.order_number = %s;"
            % (lit(number(i)), lit(kind), lit(status), lit(problem), lit(cur),
               refund or "NULL", repl or "NULL", makeup or "NULL",
               "'shipping_fee'" if makeup else "NULL", lit(region),
               lit(cancel), lit(at), lit(at), i, lit(at),
               lit(num + "-%d" % PID)))
    exceptions = [  # n, kind, case, currency, amount, detail, resolution, at
        (1, "makeup_overpaid", 1, "EUR", -1250,
         'short by "12.50", see\nnote', None, "1995-03-02 08:00:00+00"),
        (2, "ledger_verify", None, None, None, "=SUM(A1:A9)",
         ("@finance", "+ok"), "1995-03-03 09:00:00+00"),
        (3, "capture_failed", 2, "JPY", 1500, "at the end: not in it", None,
         "1995-04-01 00:00:00+00"),
    ]
    for n, kind, case, cur, amount, detail, res, at in exceptions:
        s.append(
            "INSERT INTO finance_exception (kind, rma_id, currency,"
            " amount_minor, detail, dedupe_key, created_at, resolved_at,"
            " resolved_by, resolution) VALUES (%s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s);"
            % (lit(kind), "(SELECT id FROM rma WHERE number = %s)"
               % lit(number(case)) if case else "NULL", lit(cur),
               amount if amount is not None else "NULL", lit(detail),
               lit("export-test:%d:%d" % (PID, n)), lit(at),
               lit(at) + "::timestamptz + interval '1 day'" if res else "NULL",
               lit(res[0]) if res else "NULL", lit(res[1]) if res else "NULL"))
    entries = [  # n, currency, debit account, credit account, amount, memo
        (1, "USD", "paypal:balance", "income:makeup_payments", 9999, MEMO, 1,
         "1995-03-05 10:00:00+00"),
        (2, "JPY", "paypal:balance", "income:makeup_payments", 1500,
         "@import", None, "1995-03-06 10:00:00.5+00"),
        (3, "EUR", "expense:paypal_fees", "paypal:balance", 1250, None, 3,
         "1995-03-31 23:59:59+00"),
        (4, "USD", "paypal:balance", "income:makeup_payments", 1, "at to",
         None, "1995-04-01 00:00:00+00"),
    ]
    for n, cur, dr, cr, amount, memo, case, at in entries:
        key = "export-test:%d:%d" % (PID, n)
        s.append(
            "INSERT INTO journal_entry (idempotency_key, kind, rma_id, memo,"
            " effective_at, created_at) VALUES (%s, 'adjustment', %s, %s, %s,"
            " %s);" % (lit(key), "(SELECT id FROM rma WHERE number = %s)"
                       % lit(number(case)) if case else "NULL", lit(memo),
                       lit(at), lit(at)))
        s.append(
            "INSERT INTO posting (entry_id, account, currency, amount_minor)"
            " SELECT e.id, l.account, %s, l.amount FROM journal_entry e,"
            " (VALUES (%s, %d), (%s, %d)) l(account, amount)"
            " WHERE e.idempotency_key = %s;"
            % (lit(cur), lit(dr), amount, lit(cr), -amount, lit(key)))
    s.append("COMMIT;")
    sql("\n".join(s))


def seed_large():
    """LARGE_ENTRIES balanced adjustments in [F2, T2): an export larger than
    every buffer between rma-fcgi and a client.  Written without the
    per-row balance triggers (the schema owner may), balanced all the
    same."""
    sql("""
        BEGIN;
        SET LOCAL session_replication_role = replica;
        INSERT INTO journal_entry (idempotency_key, kind, memo, effective_at,
                                   created_at)
        SELECT 'export-large:%d:' || g, 'adjustment', 'large ' || g,
               timestamptz '1996-01-01' + g * interval '1 second',
               timestamptz '1996-01-01' + g * interval '1 second'
        FROM generate_series(1, %d) g;
        INSERT INTO posting (entry_id, account, currency, amount_minor)
        SELECT e.id, l.account, 'USD', l.sign * (e.id %% 1000 + 1)
        FROM journal_entry e
        CROSS JOIN (VALUES ('paypal:balance', 1),
                           ('income:makeup_payments', -1)) l(account, sign)
        WHERE e.idempotency_key LIKE 'export-large:%d:%%';
        COMMIT;""" % (PID, LARGE_ENTRIES, PID))


# ------------------------------------------------------------ the checks


def test_every_kind_through_nginx(fin, admin):
    q = "?from=%s&to=%s" % (F1, T1)
    bodies = {}
    for kind in COLUMNS:
        path = "/api/v1/staff/exports/%s.csv%s" % (kind, q)
        status, headers, body = http_get(path, bearer(fin))
        check("GET %s.csv as finance is 200" % kind, status == 200,
              (status, body[:200]))
        check("%s: Content-Type is text/csv; charset=utf-8" % kind,
              headers.get("content-type") == "text/csv; charset=utf-8",
              headers.get("content-type"))
        want = 'attachment; filename="rma-%s-1995-03-01_1995-04-01.csv"' % kind
        check("%s: Content-Disposition names kind and period" % kind,
              headers.get("content-disposition") == want,
              headers.get("content-disposition"))
        check("%s: streamed (chunked, no Content-Length)" % kind,
              headers.get("transfer-encoding") == "chunked" and
              "content-length" not in headers, headers)
        check("%s: Cache-Control no-store" % kind,
              headers.get("cache-control") == "no-store",
              headers.get("cache-control"))
        check("%s: UTF-8 without BOM, every line ends CRLF" % kind,
              not body.startswith(b"\xef\xbb\xbf") and body.endswith(b"\r\n")
              and body.split(b"\r\n", 1)[0] ==
              ",".join(COLUMNS[kind]).encode(), body[:100])
        compare_export("http", kind, body, F1_TS, T1_TS)
        bodies[kind] = body
        s2, _, body2 = http_get(path, bearer(admin))
        check("%s as admin: 200 and the same bytes" % kind,
              s2 == 200 and body2 == body, s2)
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "x.csv")
            p = rmactl("export", kind, "--from", F1, "--to", T1,
                       "--output", out)
            data = open(out, "rb").read() if p.returncode == 0 else b""
            check("rmactl export %s --output: exit 0, byte-identical to "
                  "HTTP" % kind, p.returncode == 0 and data == body,
                  (p.returncode, p.stderr, len(data), len(body)))
            check("rmactl export %s --output leaves only the file" % kind,
                  os.listdir(d) == ["x.csv"], os.listdir(d))
        p = rmactl("export", kind, "--from", F1_TS, "--to", T1_TS)
        check("rmactl export %s to stdout: byte-identical" % kind,
              p.returncode == 0 and p.stdout == body, p.stderr)
    return bodies


def test_seeded_values(bodies):
    rmas = parse_csv(bodies["rmas"])[1:]
    numbers = column("rmas", rmas, "rma_number")
    check("the period includes a case created at `from`",
          number(1) in numbers, numbers)
    check("the period includes a case one second before `to`",
          number(3) in numbers, numbers)
    check("the period excludes a case created at `to`",
          number(4) not in numbers, numbers)
    check("the period excludes a case one second before `from`",
          number(5) not in numbers, numbers)
    r1 = row_with("rmas", rmas, "rma_number", number(1)) or {}
    r2 = row_with("rmas", rmas, "rma_number", number(2)) or {}
    r3 = row_with("rmas", rmas, "rma_number", number(3)) or {}
    check("99.99 USD is written 99.99", r1.get("refund_amount") == "99.99"
          and r1.get("currency") == "USD", r1)
    check("1500 JPY is written 1500",
          r2.get("replacement_value") == "1500" and r2.get("currency") ==
          "JPY", r2)
    check("12.50 EUR is written 12.50", r3.get("makeup_due") == "12.50", r3)
    check("a memo with quotes, commas, CR, LF and a tab round-trips",
          r1.get("problem") == MEMO, repr(r1.get("problem")))
    check("'=' neutralized (customer name)", r1.get("customer_name") ==
          '\'=HYPERLINK("http://evil.example","x")', r1.get("customer_name"))
    check("'+' neutralized (order number)",
          r1.get("order_number") == "'+1-555-0100-%d" % PID,
          r1.get("order_number"))
    check("'@' neutralized (sales channel)",
          r1.get("sales_channel") == "'@shop", r1.get("sales_channel"))
    check("'-' neutralized (order number, cancel reason)",
          r2.get("order_number") == "'-42-%d" % PID and
          r2.get("cancel_reason") == '\'-cancelled by "ops"', r2)
    check("TAB neutralized (sales channel)",
          r3.get("sales_channel") == "'\tTabbed", r3.get("sales_channel"))
    check("CR neutralized (problem)", r3.get("problem") == "'\rCR first",
          repr(r3.get("problem")))
    check("UTF-8 passes through (customer name)",
          r3.get("customer_name") == "Zoë Müller — 東京 ✓",
          r3.get("customer_name"))
    check("only the first character counts; other text is left alone",
          r2.get("problem") == "'@mention, =1+2" and
          r1.get("created_by") == "'+agent" and r1.get("kind") == "refund",
          r2.get("problem"))
    check("times are ISO 8601 UTC to the second",
          r1.get("created_at") == "1995-03-01T00:00:00Z" and
          r2.get("created_at") == "1995-03-15T12:34:56Z" and
          r3.get("confirmed_at") == "1995-04-02T23:59:59Z",
          (r1.get("created_at"), r2.get("created_at"),
           r3.get("confirmed_at")))

    ledger = parse_csv(bodies["ledger"])[1:]
    mine = [r for r in ledger if column("ledger", [r], "idempotency_key")[0]
            .startswith("export-test:%d:" % PID)]
    amounts = sorted(column("ledger", mine, "amount"))
    check("ledger amounts: 99.99, -99.99, 1500, -1500, 12.50, -12.50, never "
          "neutralized", amounts == sorted(["99.99", "-99.99", "1500",
                                            "-1500", "12.50", "-12.50"]),
          amounts)
    check("the ledger excludes the entry effective at `to`",
          len(mine) == 6, len(mine))
    memos = column("ledger", mine, "memo")
    check("ledger memo round-trips; '@' memo neutralized",
          memos.count(MEMO) == 2 and memos.count("'@import") == 2, memos)
    e1 = row_with("ledger", mine, "memo", MEMO) or {}
    check("ledger rows name their case", e1.get("rma_number") == number(1),
          e1)

    exc = parse_csv(bodies["exceptions"])[1:]
    x1 = row_with("exceptions", exc, "detail", 'short by "12.50", see\nnote')
    x2 = row_with("exceptions", exc, "detail", "'=SUM(A1:A9)")
    check("exception amount -12.50 EUR is written -12.50",
          x1 is not None and x1["amount"] == "-12.50" and
          x1["currency"] == "EUR" and x1["status"] == "open", x1)
    check("exception without amount: empty amount and currency; resolution "
          "neutralized", x2 is not None and x2["amount"] == "" and
          x2["currency"] == "" and x2["status"] == "resolved" and
          x2["resolved_by"] == "'@finance" and x2["resolution"] == "'+ok", x2)
    check("exceptions exclude the one raised at `to`",
          row_with("exceptions", exc, "detail", "at the end: not in it")
          is None)


def test_all_rows_of_the_stack(fin):
    """Every kind over every time, against whatever the other tests left
    (real holds, captures and refunds made through paypal-sim)."""
    f, t = "1970-01-01T00:00:00Z", "9999-01-01T00:00:00Z"
    for kind in COLUMNS:
        status, _, body = http_get("/api/v1/staff/exports/%s.csv?from=%s&to=%s"
                                   % (kind, f, t), bearer(fin))
        check("all time, %s: 200" % kind, status == 200, status)
        compare_export("all time", kind, body, f, t)


def test_documentation():
    doc = open(os.path.join(SRC, "doc", "exports.md"), encoding="utf-8").read()
    for kind, cols in COLUMNS.items():
        m = re.search(r"^### `%s`(.*?)(?=^### |\Z)" % re.escape(kind), doc,
                      re.S | re.M)
        section = m.group(1) if m else ""
        missing = [c for c in cols if "`%s`" % c not in section]
        check("doc/exports.md documents every column of %s" % kind,
              m is not None and not missing, missing)


def test_access(fin, tokens):
    path = "/api/v1/staff/exports/ledger.csv?from=%s&to=%s" % (F1, T1)
    for role, tok in tokens.items():
        status, _, body = http_get(path, bearer(tok))
        check("role %s gets 403" % role, status == 403 and
              b'"forbidden"' in body, (status, body))
    status, _, _ = http_get(path)
    check("no token: 401", status == 401, status)
    status, _, _ = http_get(path, bearer("rma_st_" + "0" * 43))
    check("an unknown token: 401", status == 401, status)
    # A real customer session, signed in as the portal would be.
    cookie = secrets.token_urlsafe(32)
    sql("INSERT INTO customer_session (token_hash, customer_id, created_at,"
        " last_seen_at, expires_at) SELECT decode(%s, 'hex'), id, now(),"
        " now(), now() + interval '1 hour' FROM customer WHERE email = %s"
        % (lit(hashlib.sha256(cookie.encode()).hexdigest()),
           lit("export-%d@example.com" % PID)))
    session = {"Cookie": "rma_session=" + cookie}
    status, _, _ = http_get("/api/v1/rmas", session)
    check("the customer's session works on the portal's API", status == 200,
          status)
    status, _, body = http_get(path, session)
    check("a customer (session cookie) gets 401", status == 401 and
          b'"error"' in body, (status, body))
    for bad in ("payroll.csv", "ledger.json", ".csv", "ledger.csv/x",
                "LEDGER.csv"):
        status, _, body = http_get("/api/v1/staff/exports/%s?from=%s&to=%s"
                                   % (bad, F1, T1), bearer(fin))
        check("unknown export %s: 404 with the error envelope" % bad,
              status == 404 and json.loads(body).get("error"), (status, body))


def test_periods(fin):
    base = "/api/v1/staff/exports/rmas.csv?"
    cases = [  # query, status, code, field
        ("from=%s" % F1, 400, "missing_parameter", "to"),
        ("to=%s" % T1, 400, "missing_parameter", "from"),
        ("from=1995-13-01&to=%s" % T1, 400, "bad_time", "from"),
        ("from=1995-02-29&to=%s" % T1, 400, "bad_time", "from"),
        ("from=1996-02-30&to=1996-03-01", 400, "bad_time", "from"),
        ("from=1969-12-31&to=%s" % T1, 400, "bad_time", "from"),
        ("from=%s&to=1995-04-01T24:00:00Z" % F1, 400, "bad_time", "to"),
        ("from=%s&to=1995-04-01T10:00:00" % F1, 400, "bad_time", "to"),
        ("from=%s&to=1995-04-01T10:00:00.5Z" % F1, 400, "bad_time", "to"),
        ("from=%s&to=04/01/1995" % F1, 400, "bad_time", "to"),
        ("from=%s&to=%s" % (F1, F1), 422, "empty_period", "to"),
        ("from=%s&to=1995-02-28T23:59:59Z" % F1, 422, "empty_period", "to"),
        ("from=%%zz&to=%s" % T1, 400, "bad_query", None),
    ]
    for query, want, code, field in cases:
        status, _, body = http_get(base + query, bearer(fin))
        try:
            err = json.loads(body).get("error", {})
        except ValueError:
            err = {}
        check("%s: %d %s" % (query, want, code), status == want and
              err.get("code") == code and err.get("field") == field,
              (status, body))
    status, headers, body = http_get(
        base + "from=1996-02-29&to=1996-02-29T00:00:01Z", bearer(fin))
    check("a one-second period on 29 February is valid: 200, header alone",
          status == 200 and len(parse_csv(body)) == 1, (status, body))
    check("a bound that is not midnight is named to the second",
          'filename="rma-rmas-1996-02-29_1996-02-29T000001Z.csv"' in
          headers.get("content-disposition", ""),
          headers.get("content-disposition"))
    status, headers, body = http_get(
        base + "from=1995-03-01T02:00:00%2B02:00&to=1995-04-01T01:00:00+01:00",
        bearer(fin))
    _, _, plain = http_get(base + "from=%s&to=%s" % (F1, T1), bearer(fin))
    check("offsets are converted to UTC ('+' encoded, or as a space)",
          status == 200 and body == plain and "1995-03-01_1995-04-01" in
          headers.get("content-disposition", ""), (status, body[:200]))
    status, headers, body = http_get(base + "from=%s&to=%s" % (F1, T1),
                                     bearer(fin), method="HEAD")
    check("HEAD: 200 with the CSV headers and no body",
          status == 200 and body == b"" and
          headers.get("content-type") == "text/csv; charset=utf-8", status)


def test_rmactl_errors():
    def run(*args, env=None):
        p = rmactl("export", *args, env=env)
        return p.returncode
    check("rmactl export: unknown kind exits 2",
          run("payroll", "--from", F1, "--to", T1) == 2)
    check("rmactl export: a malformed --from exits 2",
          run("ledger", "--from", "1995-3-1", "--to", T1) == 2)
    check("rmactl export: a missing --to exits 2",
          run("ledger", "--from", F1) == 2)
    check("rmactl export: --to equal to --from exits 2",
          run("ledger", "--from", F1, "--to", F1) == 2)
    check("rmactl export: two kinds exit 2",
          run("ledger", "holds", "--from", F1, "--to", T1) == 2)
    check("rmactl export: no kind exits 2", run("--from", F1, "--to", T1) == 2)
    env = dict(os.environ)
    url = re.sub(r"dbname=\S+", "dbname=rma_no_such_db", ADMIN_URL)
    env["RMA_DATABASE_URL"] = env["RMA_EXPORT_DATABASE_URL"] = url
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "x.csv")
        code = run("ledger", "--from", F1, "--to", T1, "--output", out,
                   env=env)
        check("rmactl export: database unavailable exits 1, writes nothing",
              code == 1 and os.listdir(d) == [], (code, os.listdir(d)))
        code = run("ledger", "--from", F1, "--to", T1, "--output",
                   os.path.join(d, "no", "such", "dir.csv"))
        check("rmactl export: an unwritable --output exits 1", code == 1,
              code)


def test_audit(fin_name, fin):
    since = last_audit_id()
    _, _, body = http_get("/api/v1/staff/exports/rmas.csv?from=%s&to=%s"
                          % (F1, T1), bearer(fin))
    rows = len(parse_csv(body)) - 1
    a = audit_rows(fin_name, since)
    want = {"kind": "rmas", "from": F1_TS, "to": T1_TS, "rows": rows,
            "outcome": "completed", "via": "http"}
    check("an HTTP export is audited: who, role, kind, period, rows",
          len(a) == 1 and a[0][0] == "staff" and a[0][2] == "finance" and
          a[0][3] == want and a[0][4] is None, a)
    user = subprocess.run(["id", "-un"], capture_output=True,
                          text=True).stdout.strip()
    since = last_audit_id()
    rmactl("export", "exceptions", "--from", F1, "--to", T1)
    a = audit_rows(user, since)
    check("an rmactl export is audited as the system user",
          len(a) == 1 and a[0][0] == "system" and a[0][3]["via"] == "rmactl"
          and a[0][3]["kind"] == "exceptions" and
          a[0][3]["outcome"] == "completed", a)


def test_streaming(fin, fin_name):
    """What rma-fcgi sends, seen on its socket: the CSV in pieces as it is
    produced, X-Accel-Buffering: no; a client that hangs up; a database
    that fails in the middle."""
    query = "from=%s&to=%s" % (F2, T2)
    path = "/api/v1/staff/exports/ledger.csv"
    req = FcgiRequest(path, query, fin)
    pieces, first, end = [], None, None
    while True:
        rec = req.next_record()
        if rec is None:
            break
        if rec[0] == FCGI_STDOUT and rec[1]:
            pieces.append(len(rec[1]))
            if first is None:
                first = rec[1]
        if rec[0] == FCGI_END_REQUEST:
            end = rec
    req.close()
    head = (first or b"").split(b"\r\n\r\n", 1)[0].decode("latin-1")
    check("rma-fcgi sends X-Accel-Buffering: no and no Content-Length",
          "X-Accel-Buffering: no" in head and "Content-Length" not in head,
          head)
    total = sum(pieces)
    check("rma-fcgi sends %d bytes in %d pieces of at most 16 KiB"
          % (total, len(pieces)),
          total > 8 * 1024 * 1024 and len(pieces) > 500 and
          max(pieces) <= 16384 + 1024, (total, len(pieces), max(pieces or
                                                                 [0])))
    check("and ends with FCGI_END_REQUEST", end is not None)

    # A client that goes away after the first piece.
    since = last_audit_id()
    req = FcgiRequest(path, query, fin)
    req.next_record()
    req.close()
    a = wait_for(lambda: audit_rows(fin_name, since))
    check("a client that hangs up: audited as output_failed with the rows "
          "sent so far", len(a) == 1 and a[0][3]["outcome"] ==
          "output_failed" and 0 < a[0][3]["rows"] < 2 * LARGE_ENTRIES, a)

    # The database fails in the middle, on the socket ...
    since = last_audit_id()
    req = FcgiRequest(path, query, fin)
    req.next_record()
    time.sleep(0.5)  # the worker fills the socket and waits
    killed = sql("SELECT count(pg_terminate_backend(pid)) FROM"
                 " pg_stat_activity WHERE query LIKE 'FETCH%export_rows'")
    kinds = []
    while True:
        rec = req.next_record()
        if rec is None:
            break
        kinds.append(rec[0])
    req.close()
    check("database killed mid-export: no FCGI_END_REQUEST, an "
          "FCGI_ABORT_REQUEST instead (%s backend)" % killed.strip(),
          killed.strip() == "1" and FCGI_END_REQUEST not in kinds and
          kinds[-1:] == [FCGI_ABORT_REQUEST], (killed, kinds[-3:]))
    a = wait_for(lambda: audit_rows(fin_name, since))
    check("and it is audited as failed", len(a) == 1 and
          a[0][3]["outcome"] == "failed", a)

    # ... and through nginx: the download fails instead of looking whole.
    since = last_audit_id()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", PORT))
    s.sendall(("GET %s?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
               % (path, query, fin)).encode())
    got = s.recv(4096)
    time.sleep(1)
    killed = sql("SELECT count(pg_terminate_backend(pid)) FROM"
                 " pg_stat_activity WHERE query LIKE 'FETCH%export_rows'")
    s.settimeout(30)
    while True:
        try:
            d = s.recv(65536)
        except OSError:
            break
        if not d:
            break
        got += d
    s.close()
    check("through nginx: 200, chunked, and cut off without the last chunk "
          "(%d bytes)" % len(got),
          killed.strip() == "1" and got.startswith(b"HTTP/1.1 200") and
          b"Transfer-Encoding: chunked" in got and
          not got.endswith(b"\r\n0\r\n\r\n"), (killed, got[-40:]))
    a = wait_for(lambda: audit_rows(fin_name, since))
    check("and audited as failed", len(a) == 1 and
          a[0][3]["outcome"] == "failed", a)
    status, _, body = http_get(path + "?" + query, bearer(fin))
    want = int(sql("SELECT count(*) FROM posting p JOIN journal_entry e"
                   " ON e.id = p.entry_id WHERE e.effective_at >= %s AND"
                   " e.effective_at < %s" % (lit(F2), lit(T2))))
    check("the next export works again (the worker reconnected)",
          status == 200 and len(parse_csv(body)) == want + 1,
          (status, want))


# --------------------------------------------- a database of its own


def own_database():
    name = "rma_export_%d" % PID
    admin = re.sub(r"dbname=\S+", "dbname=" + name, ADMIN_URL)
    app = re.sub(r"user=\S+", "user=rma_web", admin)
    sql("CREATE DATABASE %s" % name)
    env = dict(os.environ)
    env["RMA_ADMIN_DATABASE_URL"] = admin
    env["RMA_DATABASE_URL"] = env["RMA_EXPORT_DATABASE_URL"] = app
    p = rmactl("migrate", env=env)
    assert p.returncode == 0, p.stderr
    return name, admin, env


def seed_holds(url):
    """Cases with holds in every state, captures with and without a
    reauthorization, a refund with a memo, and capture/refund ledger
    entries, in [F1, T1) and at its bounds."""
    s = ["BEGIN;",
         "INSERT INTO customer (email, name) VALUES ('h@example.com', 'H');",
         "INSERT INTO original_order (order_number, sales_channel,"
         " customer_id, shipping_country, currency, purchase_date)"
         " SELECT 'H-' || c, 'web', u.id, 'US', c, '1995-01-01'"
         " FROM unnest(ARRAY['USD', 'JPY', 'EUR']) c, customer u;"]
    holds = [  # i, currency, amount, status, authorized at, extra
        (1, "USD", 9999, "authorized", "1995-03-01 00:00:00+00", {}),
        (2, "JPY", 1500, "captured", "1995-03-02 10:00:00+00",
         {"reauth_status": "succeeded", "reauthorization_id": "REAUTH-2",
          "reauthorized_at": "1995-03-20 10:00:00+00",
          "capture_id": "CAP-2", "capture_minor": 1500, "fee_minor": 45,
          "captured_at": "1995-03-28 10:00:00+00",
          "capture_reason": "deadline", "capture_attempts": 1}),
        (3, "EUR", 1250, "captured", "1995-03-03 10:00:00.25+00",
         {"capture_id": "CAP-3", "capture_minor": 1250, "fee_minor": 0,
          "captured_at": "1995-03-10 10:00:00+00",
          "capture_reason": "manual", "capture_attempts": 2,
          "refund_id": "REF-3", "refund_minor": 1250,
          "refund_requested_minor": 1250,
          "refund_reason": '-late return, "boxed", see\r\nnote',
          "refunded_at": "1995-03-12 10:00:00+00"}),
        (4, "USD", 500, "voided", "1995-03-04 10:00:00+00",
         {"void_reason": "received", "void_requested_at":
          "1995-03-09 10:00:00+00", "voided_at": "1995-03-09 10:00:00+00",
          "ended_at": "1995-03-09 10:00:00+00"}),
        (5, "USD", 700, "pending_approval", None, {}),
        (6, "USD", 800, "expired", "1995-04-01 00:00:00+00",
         {"ended_at": "1995-04-29 00:00:00+00"}),
        (7, "USD", 900, "failed", "1995-02-28 23:59:59+00",
         {"capture_attempts": 3, "ended_at": "1995-03-28 00:00:00+00"}),
    ]
    for i, cur, amount, status, at, extra in holds:
        s.append(
            "INSERT INTO rma (number, customer_id, order_id, kind, status,"
            " problem, currency, replacement_minor, warehouse_region,"
            " replacement_method, created_by, created_at, updated_at)"
            " SELECT %s, o.customer_id, o.id, 'replacement',"
            " %s, 'p', %s, %d, 'US', 'advanced', 'a',"
            " '1995-01-05 00:00:00+00', '1995-01-05 00:00:00+00'"
            " FROM original_order o WHERE o.order_number = %s;"
            % (lit("RMA-1995-00000%d" % i),
               # a hold waiting for approval only on a case awaiting it
               lit("awaiting_preauth" if status == "pending_approval"
                   else "awaiting_return"),
               lit(cur), amount, lit("H-" + cur)))
        s.append(
            "INSERT INTO preauth_acceptance (rma_id, customer_id,"
            " terms_version, terms_text, amount_minor, currency, accepted_at)"
            " SELECT id, customer_id, 'v1', 'terms', %d, %s,"
            " '1995-01-06 00:00:00+00' FROM rma"
            " WHERE number = %s;" % (amount, lit(cur),
                                     lit("RMA-1995-00000%d" % i)))
        cols = {"status": lit(status), "currency": lit(cur),
                "amount_minor": str(amount), "order_id": lit("ORDER-%d" % i),
                "created_at": "'1995-01-06 00:00:00+00'",
                "updated_at": "'1995-01-06 00:00:00+00'"}
        if at:
            cols.update({
                "authorization_id": lit("AUTH-%d" % i),
                "authorized_at": lit(at),
                "honor_until": lit(at) + "::timestamptz + interval '3 days'",
                "expires_at": lit(at) + "::timestamptz + interval '29 days'",
                "deadline": lit(at) + "::timestamptz + interval '25 days'"})
        for k, v in extra.items():
            cols[k] = lit(v) if isinstance(v, str) else str(v)
        s.append("INSERT INTO hold (rma_id, acceptance_id, %s)"
                 " SELECT r.id, a.id, %s FROM rma r JOIN preauth_acceptance a"
                 " ON a.rma_id = r.id WHERE r.number = %s;"
                 % (", ".join(cols), ", ".join(cols.values()),
                    lit("RMA-1995-00000%d" % i)))
    s.append(
        "INSERT INTO finance_exception (kind, rma_id, hold_id, currency,"
        " amount_minor, detail, dedupe_key, created_at) SELECT"
        " 'capture_failed', h.rma_id, h.id, h.currency, h.amount_minor,"
        " '+3 declines', 'x:7', '1995-03-28 00:00:00+00' FROM hold h"
        " WHERE h.status = 'failed';")
    for key, kind, hold, paypal, cur, lines, at in [
            ("capture:CAP-2", "capture", 2, "CAP-2", "JPY",
             [("paypal:balance", 1455), ("expense:paypal_fees", 45),
              ("revenue:unreturned_units", -1500)],
             "1995-03-28 10:00:00+00"),
            ("refund:REF-3", "refund", 3, "REF-3", "EUR",
             [("revenue:unreturned_units", 1250), ("paypal:balance", -1250)],
             "1995-03-12 10:00:00+00")]:
        s.append("INSERT INTO journal_entry (idempotency_key, kind, rma_id,"
                 " hold_id, paypal_id, memo, effective_at) SELECT %s, %s,"
                 " rma_id, id, %s, %s, %s FROM hold WHERE order_id = %s;"
                 % (lit(key), lit(kind), lit(paypal), lit("=" + key),
                    lit(at), lit("ORDER-%d" % hold)))
        # an entry's postings in one statement (0026_ledger_check_once.sql)
        s.append("INSERT INTO posting (entry_id, account, currency,"
                 " amount_minor) SELECT e.id, l.account, %s, l.amount"
                 " FROM journal_entry e, (VALUES %s) l(account, amount)"
                 " WHERE e.idempotency_key = %s;"
                 % (lit(cur), ", ".join("(%s, %d)" % (lit(account), amount)
                                        for account, amount in lines),
                    lit(key)))
    s.append("COMMIT;")
    sql("\n".join(s), url)


def test_holds_and_captures(admin, env):
    """Exports read from export_database_url, as from a replica, while the
    audit goes to database_url: here the rows come from the test's own
    database and the audit rows land in the stack's."""
    replica = dict(env)
    replica["RMA_DATABASE_URL"] = os.environ.get(
        "RMA_TEST_APP_URL", re.sub(r"user=\S+", "user=rma_web", ADMIN_URL))
    user = subprocess.run(["id", "-un"], capture_output=True,
                          text=True).stdout.strip()
    since = last_audit_id()
    bodies = {}
    for kind in ("holds", "captures-refunds", "ledger", "exceptions"):
        p = rmactl("export", kind, "--from", F1, "--to", T1, env=replica)
        check("own database: rmactl export %s exits 0" % kind,
              p.returncode == 0, p.stderr)
        bodies[kind] = p.stdout
        compare_export("own database", kind, p.stdout, F1_TS, T1_TS, admin)
    a = audit_rows(user, since)
    check("exports read from export_database_url are audited through "
          "database_url", [x[3]["kind"] for x in a] ==
          ["holds", "captures-refunds", "ledger", "exceptions"] and
          a[0][3]["rows"] == 4, a)
    holds = parse_csv(bodies["holds"])[1:]
    ids = column("holds", holds, "authorization_id")
    check("holds: authorized ones in the period, by authorization time "
          "(not the unapproved, not those at `to` or before `from`)",
          ids == ["AUTH-1", "AUTH-2", "AUTH-3", "AUTH-4"], ids)
    h3 = row_with("holds", holds, "authorization_id", "AUTH-3") or {}
    check("holds: amounts in the currency's exponent, never neutralized",
          column("holds", holds, "amount") == ["99.99", "1500", "12.50",
                                               "5.00"] and
          h3.get("refunded_amount") == "12.50" and
          h3.get("capture_fee") == "0.00", holds)
    check("holds: a refund reason with quotes and CRLF round-trips, "
          "neutralized", h3.get("refund_reason") ==
          '\'-late return, "boxed", see\r\nnote', h3.get("refund_reason"))
    cr = parse_csv(bodies["captures-refunds"])[1:]
    want = [
        ["1995-03-10T10:00:00Z", "capture", "CAP-3", "AUTH-3", "EUR",
         "12.50", "0.00", "12.50", "manual"],
        ["1995-03-12T10:00:00Z", "refund", "REF-3", "CAP-3", "EUR",
         "-12.50", "", "-12.50", '\'-late return, "boxed", see\r\nnote'],
        ["1995-03-28T10:00:00Z", "capture", "CAP-2", "REAUTH-2", "JPY",
         "1500", "45", "1455", "deadline"]]
    got = [[r[0], r[1], r[4], r[5], r[6], r[7], r[8], r[9], r[10]]
           for r in cr]
    check("captures-refunds: each at its time, the reauthorization "
          "captured, refunds negative", got == want, got)
    ledger = parse_csv(bodies["ledger"])[1:]
    check("ledger: capture and refund postings name their case, hold and "
          "PayPal id; '=' memo neutralized",
          sorted(column("ledger", ledger, "amount")) ==
          sorted(["1455", "45", "-1500", "12.50", "-12.50"])
          and set(column("ledger", ledger, "paypal_id")) == {"CAP-2", "REF-3"}
          and set(column("ledger", ledger, "memo")) ==
          {"'=capture:CAP-2", "'=refund:REF-3"} and
          set(column("ledger", ledger, "rma_number")) ==
          {"RMA-1995-000002", "RMA-1995-000003"}, ledger)


def test_memory(admin, env):
    """Peak RSS of rmactl export ledger over 1M rows against 10k rows."""
    t0 = time.time()
    sql("""
        BEGIN;
        SET LOCAL session_replication_role = replica;
        INSERT INTO journal_entry (idempotency_key, kind, memo, effective_at,
                                   created_at)
        SELECT 'mem:' || g, 'adjustment',
               CASE WHEN g %% 10 = 0 THEN '=memo "' || g || '", a, b' END,
               timestamptz '2001-01-01' + g * interval '1 second',
               timestamptz '2001-01-01' + g * interval '1 second'
        FROM generate_series(1, %d) g;
        INSERT INTO posting (entry_id, account, currency, amount_minor)
        SELECT e.id, l.account, 'USD', l.sign * (e.id %% 100000 + 1)
        FROM journal_entry e
        CROSS JOIN (VALUES ('paypal:balance', 1),
                           ('income:makeup_payments', -1)) l(account, sign)
        WHERE e.idempotency_key LIKE 'mem:%%';
        COMMIT;
        ANALYZE journal_entry;
        ANALYZE posting;""" % 500000, admin)
    print("note: 1M postings written in %.1f s" % (time.time() - t0))
    menv = dict(env)
    # ASan's quarantine keeps freed memory on purpose (up to 256 MB):
    # measure the program, not the sanitizer's bookkeeping.
    menv["ASAN_OPTIONS"] = (menv.get("ASAN_OPTIONS", "") +
                            ":quarantine_size_mb=0").lstrip(":")

    peak_rss = os.path.join(os.environ.get("top_builddir", "."), "tests",
                            "peak_rss")

    def measure(to):
        with tempfile.TemporaryFile() as out, \
                tempfile.NamedTemporaryFile("r") as report:
            t = time.time()
            p = subprocess.run([peak_rss, report.name, "rmactl", "export",
                                "ledger", "--from", "2001-01-01", "--to", to],
                               stdout=out, stderr=subprocess.PIPE, env=menv)
            secs = time.time() - t
            rss = int(report.read() or "0")
            out.seek(0)
            lines = size = 0
            for chunk in iter(lambda: out.read(1 << 20), b""):
                lines += chunk.count(b"\n")
                size += len(chunk)
            return p.returncode, rss, lines, size, secs
    rc1, rss1, lines1, size1, s1 = measure("2001-01-01T01:23:20Z")
    rc2, rss2, lines2, size2, s2 = measure("2001-01-07")
    print("note: 10k rows: %d KiB peak, %.2f s; 1M rows: %d KiB peak, "
          "%d MB, %.2f s (%.0f rows/s)" % (rss1, s1, rss2, size2 >> 20, s2,
                                           1e6 / s2))
    check("rmactl export ledger over 10k and 1M rows exits 0",
          rc1 == 0 and rc2 == 0, (rc1, rc2))
    # Entries come one a second from 00:00:01: 4,999 of them before
    # 01:23:20 (the one at `to` is out), two postings each.
    check("10k: 9,998 rows, 1M: 1,000,000 rows (and the headers)",
          lines1 == 9998 + 1 and lines2 == 1000000 + 1, (lines1, lines2))
    check("peak RSS for 1M rows (%d KiB) within 4 MiB of 10k rows (%d KiB), "
          "for %d MB of CSV" % (rss2, rss1, size2 >> 20),
          rss2 - rss1 <= 4096, rss2 - rss1)


def main():
    tokens = {r: token(r) for r in ("finance", "admin", "agent",
                                    "supervisor", "warehouse")}
    fin, admin = tokens.pop("finance"), tokens.pop("admin")
    fin_name = "export-finance-%d" % PID
    seed_cases()
    seed_large()
    bodies = test_every_kind_through_nginx(fin, admin)
    test_seeded_values(bodies)
    test_all_rows_of_the_stack(fin)
    test_documentation()
    test_access(fin, tokens)
    test_periods(fin)
    test_rmactl_errors()
    test_audit(fin_name, fin)
    test_streaming(fin, fin_name)
    name, own_admin, env = own_database()
    try:
        seed_holds(own_admin)
        test_holds_and_captures(own_admin, env)
        test_memory(own_admin, env)
    finally:
        sql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
    print("export: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
