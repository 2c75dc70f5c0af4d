#!/usr/bin/env python3
"""capture_setup.py - N advanced-replacement holds, authorized at the
simulator and due for capture, for bench/capture.sh.

Cases come from the staff API; each gets a real PayPal order approved and
authorized at paypal-sim; the case and its hold are then put straight into
awaiting_return with a deadline in the past (the states the customer's
journey would have produced: tests/e2e/test_hold.c proves that journey).
"""
import json
import os
import subprocess
import sys
import urllib.request
import base64

n = int(sys.argv[1])
base, sim, token, psql, admin = (os.environ[k] for k in (
    "BASE_URL", "SIM_URL", "AGENT_TOKEN", "PSQL", "ADMIN_URL"))


def call(method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else None


basic = base64.b64encode(b"rma-demo-client:sim-secret").decode()
req = urllib.request.Request(sim + "/v1/oauth2/token",
                             data=b"grant_type=client_credentials")
req.add_header("Authorization", "Basic " + basic)
with urllib.request.urlopen(req) as r:
    access = json.load(r)["access_token"]
pp = {"Authorization": "Bearer " + access,
      "Prefer": "return=representation"}
staff = {"Authorization": "Bearer " + token}

rows = []
for i in range(n):
    case = call("POST", base + "/api/v1/staff/rmas", {
        "customer": {"email": "bench%d@example.com" % (i % 50),
                     "name": "Bench Customer"},
        "order": {"order_number": "SO-B%06d" % i, "sales_channel": "web",
                  "shipping_country": "US", "currency": "USD",
                  "purchase_date": "2026-06-01",
                  "items": [{"model": "CAM-4K-OUT", "quantity": 1,
                             "unit_price": {"currency_code": "USD",
                                            "value": "129.99"}}]},
        "kind": "replacement", "problem": "Bench.",
        "devices": [{"model": "CAM-4K-OUT", "serial_number": "SN-B%06d" % i}],
        "replacement_value": {"currency_code": "USD", "value": "129.99"},
    }, staff)
    order = call("POST", sim + "/v2/checkout/orders", {
        "intent": "AUTHORIZE",
        "purchase_units": [{"amount": {"currency_code": "USD",
                                       "value": "129.99"}}],
    }, dict(pp, **{"PayPal-Request-Id": "bench-order-%d" % i}))
    call("POST", sim + "/sim/orders/%s/approve" % order["id"], {})
    auth = call("POST", sim + "/v2/checkout/orders/%s/authorize" % order["id"],
                {}, dict(pp, **{"PayPal-Request-Id": "bench-auth-%d" % i}))
    a = auth["purchase_units"][0]["payments"]["authorizations"][0]
    rows.append((case["number"], order["id"], a["id"]))

sql = ["BEGIN;"]
for number, order_id, auth_id in rows:
    sql.append(f"""
WITH r AS (UPDATE rma SET status = 'awaiting_return',
           replacement_method = 'advanced' WHERE number = '{number}'
           RETURNING id, customer_id),
a AS (INSERT INTO preauth_acceptance (rma_id, customer_id, terms_version,
      terms_text, amount_minor, currency, accepted_at)
      SELECT id, customer_id, 'bench', 'bench', 12999, 'USD',
             now() - interval '26 days' FROM r RETURNING id, rma_id)
INSERT INTO hold (rma_id, acceptance_id, status, currency, amount_minor,
    order_id, authorization_id, authorized_at, expires_at, honor_until,
    deadline, created_at, updated_at)
SELECT a.rma_id, a.id, 'authorized', 'USD', 12999, '{order_id}', '{auth_id}',
    now() - interval '26 days', now() + interval '3 days',
    now() - interval '23 days', now() - interval '1 day', now(), now()
FROM a;""")
sql.append("COMMIT;")
subprocess.run([psql, admin, "-Xq", "-v", "ON_ERROR_STOP=1"],
               input="\n".join(sql).encode(), check=True)
print(n)
