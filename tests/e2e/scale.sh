#!/usr/bin/env bash
# scale.sh - scale-out (SPEC §13): a second rma-fcgi pool, as if on another
# host, joins the nginx upstream; a customer's session made on one pool is
# served by both, and two `rmactl run-jobs` and two `rmactl mail-sender`
# (the suite's and one more, as if on another host) at once against the one
# database do each piece of work once (the mail outbox here;
# tests/e2e/test_hold.c proves the same for 200 PayPal captures,
# tests/db/test_mail_outbox.c for senders killed at random).  Run by
# tests/run-suite with the suite's stack; restores nginx's configuration
# when done.
set -u
: "${RUN:?}" "${RMA_TEST_BASE_URL:?}" "${RMA_TEST_PSQL:?}" "${RMA_TEST_ADMIN_URL:?}"
: "${top_srcdir:?}" "${top_builddir:?}"
. "$top_srcdir/scripts/stack.sh"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "not ok: $*"; fails=$((fails + 1)); }
base=$RMA_TEST_BASE_URL
conf="$RUN/nginx/nginx.conf"
cp "$conf" "$RUN/nginx/nginx.conf.scale-backup"
pool2=
sender2=
cleanup() {
    cp "$RUN/nginx/nginx.conf.scale-backup" "$conf"
    nginx -p "$RUN/nginx" -c "$conf" -s reload 2>/dev/null
    for p in $pool2 $sender2; do
        kill -TERM "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
}
trap cleanup EXIT

# Pool B: its own supervisor, socket and log, the same configuration, the
# same user as pool A (nginx's workers must reach its socket).
RMA_LOG_LEVEL=debug stack_service rma-fcgi --config "$RMA_CONFIG" \
    --socket "$RUN/rma2.sock" --workers 2 2>"$RUN/log/rma-fcgi-pool2.log" &
pool2=$!
for _ in $(seq 1 50); do [ -S "$RUN/rma2.sock" ] && break; sleep 0.1; done
[ -S "$RUN/rma2.sock" ] || { bad "pool B did not start"; exit 1; }
sed -i "s|server unix:$RUN/rma.sock;|server unix:$RUN/rma.sock;\n        server unix:$RUN/rma2.sock;|" "$conf"
nginx -p "$RUN/nginx" -c "$conf" -s reload
sleep 1
grep -q "rma2.sock" "$conf" && ok "nginx's upstream has both pools" \
    || bad "the upstream was not extended"

# A customer signs in (on whichever pool), then reads their cases 60 times.
email="scale-$$-$RANDOM@example.com"
agent=$(rmactl token create --role agent --name "scale-$$-$RANDOM" 2>/dev/null | tail -n 1)
number=$(curl -sS -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
    --data "{\"customer\":{\"email\":\"$email\",\"name\":\"Scale\"},\"order\":{\"order_number\":\"SO-SCALE-$$\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"refund\",\"problem\":\"Scale.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-SCALE-1\"}],\"refund_amount\":{\"currency_code\":\"USD\",\"value\":\"129.99\"},\"refund_override_reason\":\"full refund agreed by the test\"}" \
    "$base/api/v1/staff/rmas" | sed -n 's/.*"number": *"\([^"]*\)".*/\1/p')
curl -sS -o /dev/null -X POST -H "Authorization: Bearer $agent" "$base/api/v1/staff/rmas/$number/submit"
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -H 'X-Requested-With: rma-portal' \
    --data "{\"email\":\"$email\"}" "$base/api/v1/auth/code"
code=
for _ in $(seq 1 50); do
    code=$(grep -l -i -F "To: $email" "$RUN"/mail/*.eml 2>/dev/null | xargs -r grep -h -o 'Code: [0-9]\{6\}' | tail -n 1 | cut -d' ' -f2)
    [ -n "$code" ] && break
    sleep 0.1
done
cookie=$(curl -sS -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H 'X-Requested-With: rma-portal' --data "{\"email\":\"$email\",\"code\":\"$code\"}" \
    "$base/api/v1/auth/session" | sed -n 's/^[Ss]et-[Cc]ookie: \(rma_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] && ok "signed in" || bad "sign-in failed"
before_b=$(grep -c '"event":"request"' "$RUN/log/rma-fcgi-pool2.log" 2>/dev/null || true)
failed=0
for _ in $(seq 1 60); do
    s=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/api/v1/rmas/$number")
    [ "$s" = 200 ] || failed=$((failed + 1))
done
after_b=$(grep -c '"event":"request"' "$RUN/log/rma-fcgi-pool2.log" 2>/dev/null || true)
served_b=$((after_b - before_b))
[ "$failed" = 0 ] && ok "60 reads with one session: all 200" || bad "$failed of 60 reads failed"
if [ "$served_b" -gt 0 ] && [ "$served_b" -lt 60 ]; then
    ok "both pools served the session (pool B: $served_b of 60)"
else
    bad "pool B served $served_b of 60 (expected some, not all)"
fi

# A second mail sender, then two job runners at once over 60 queued
# messages: each delivered once by one of the four.
rmactl mail-sender 2>"$RUN/log/rma-mail-sender-2.log" &
sender2=$!
for _ in $(seq 1 50); do
    grep -q '"mail_sender_listening"' "$RUN/log/rma-mail-sender-2.log" && break
    sleep 0.1
done
grep -q '"mail_sender_listening"' "$RUN/log/rma-mail-sender-2.log" \
    && ok "a second mail sender listens" || bad "the second mail sender does not listen"
tag="scale$$x$RANDOM"
"$RMA_TEST_PSQL" "$RMA_TEST_ADMIN_URL" -Xq -c "INSERT INTO mail_outbox
    (kind, to_addr, subject, body, message_id)
    SELECT 'notice', 'scale-' || g || '@example.com', 'Scale ' || g, 'Hello.',
           '$tag' || lpad(g::text, 8, '0') FROM generate_series(1, 60) g"
(rmactl run-jobs >/dev/null 2>&1 & rmactl run-jobs >/dev/null 2>&1 & wait)
# The runners are done; a sender may still be finishing its last message.
for _ in $(seq 1 50); do
    left=$("$RMA_TEST_PSQL" "$RMA_TEST_ADMIN_URL" -XAtc "SELECT count(*) FROM mail_outbox
        WHERE message_id LIKE '$tag%' AND sent_at IS NULL")
    [ "$left" = 0 ] && break
    sleep 0.1
done
[ "$left" = 0 ] && ok "two runners and two senders delivered all 60 messages" \
    || bad "$left messages left"
files=$(grep -l "Message-ID: <$tag" "$RUN"/mail/*.eml 2>/dev/null | wc -l)
[ "$files" = 60 ] && ok "each delivered exactly once (60 files)" \
    || bad "$files files for 60 messages"

echo "scale: $fails failed"
[ "$fails" = 0 ]
