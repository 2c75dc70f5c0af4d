#!/usr/bin/env bash
# restore.sh - the restore drill of README "Backups and restore", run by
# tests/run-suite with the suite's paypal-sim:
#
#  1. stack A (its own cluster, rma-fcgi and nginx under a temporary
#     directory; the suite's simulator): a held replacement captured at
#     PayPal (order, authorize, capture), `ledger verify` clean;
#  2. `pg_dump -Fc` of A; then more PayPal work on A, which the dump lacks
#     (the work lost when a restore goes back to the last backup);
#  3. stack B: a fresh cluster, `pg_restore` of the dump, README's step
#     after a restore (the ids that PayPal-Request-Ids are made of moved
#     past anything made since the backup), `rmactl migrate` (nothing to
#     apply), `ledger verify` clean against PayPal;
#  4. new PayPal work on B: none of its PayPal-Request-Ids was used by A,
#     before or after the dump, and the simulator executed each exactly
#     once (PayPal never saw one before).
set -u
: "${RUN:?}" "${RMA_TEST_SIM_URL:?}" "${RMA_TEST_PSQL:?}" "${RMA_CONFIG:?}" "${top_srcdir:?}" \
    "${top_builddir:?}"
# shellcheck source=../../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"
fails=0
ok() { echo "ok: $*"; }
bad() {
    echo "not ok: $*"
    fails=$((fails + 1))
}
die() {
    bad "$*"
    exit 1
}
bindir=$(stack_pg_bindir)
D=$(mktemp -d /tmp/rma-drill.XXXXXX)
chmod 0755 "$D"
SIM_PORT=${RMA_TEST_SIM_URL##*:}
export SIM_PORT
# The simulator is the suite's, which has seen the suite's own
# rma-order-h1-1 and so on: the drill's database (A, and B restored from
# it) is another environment sharing the PayPal account, so it gets its own
# paypal_request_id_prefix, as README's configuration says.
STACK_EXTRA_CONFIG="${STACK_EXTRA_CONFIG:-}
paypal_request_id_prefix = drill$RANDOM"
export STACK_EXTRA_CONFIG
# A stack without a simulator of its own, under $D/$1.
drill_start() {
    (
        RUN=$D/$1
        # shellcheck disable=SC2034 # read by stack.sh's functions
        HTTP_PORT=$2
        mkdir -p "$RUN/log" "$RUN/mail" "$RUN/uploads"
        cp "$(dirname "$RMA_CONFIG")/paypal-sim-ca.pem" "$RUN/"
        stack_user_ensure
        stack_pg_start
        if [ -n "${3:-}" ]; then
            "$bindir/pg_restore" --exit-on-error -h "$PGDIR" -U rma_admin -d rma "$3" \
                >"$RUN/log/restore.log" 2>&1 || stack_die "pg_restore: see $RUN/log/restore.log"
            # README "Backups and restore": after a restore, before the
            # service starts.
            "$bindir/psql" -XAtq -v ON_ERROR_STOP=1 -h "$PGDIR" -U rma_admin -d rma \
                -f "$top_srcdir/sql/after-restore.sql" >"$RUN/log/after-restore.log" 2>&1 \
                || stack_die "sql/after-restore.sql: see $RUN/log/after-restore.log"
        fi
        stack_write_config
        stack_user_files
        "$top_builddir/rmactl" --config "$RUN/rma.conf" migrate >"$RUN/log/migrate.log" 2>&1 \
            || stack_die "migrate: see $RUN/log/migrate.log"
        stack_share
        stack_sender_start # workers queue mail, the sender delivers it
        stack_fcgi_start
        stack_nginx_start
    )
}
drill_stop() {
    (
        RUN=$D/$1
        stack_stop
        stack_pg_destroy
    ) >/dev/null 2>&1
}
cleanup() {
    drill_stop a
    drill_stop b
    if [ "$fails" = 0 ]; then rm -rf "$D"; else echo "drill files kept in $D"; fi
}
trap cleanup EXIT

PORT_A=$(stack_free_port)
PORT_B=$(stack_free_port)
drill_start a "$PORT_A" || die "stack A did not start"
ok "stack A started (port $PORT_A)"

# ------------------------------------------------------------ the journey
J='Content-Type: application/json'
P='X-Requested-With: rma-portal'
body=$D/body
req() { # method url [curl args]: the status; the body in $body
    local m=$1 u=$2
    shift 2
    curl -sS -o "$body" -w '%{http_code}' -X "$m" "$@" "$base$u"
}
field() {
    python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$body" "$1" 2>/dev/null
}
use() { # a|b: where the journey goes
    stack=$1
    conf=$D/$1/rma.conf
    [ "$1" = a ] && base=http://127.0.0.1:$PORT_A || base=http://127.0.0.1:$PORT_B
}
ctl() { RMA_CONFIG=$conf "$top_builddir/rmactl" "$@"; }
sql_on() { "$RMA_TEST_PSQL" "host=$(readlink -f "$D/$1/pg") dbname=rma user=rma_admin" -XAtq -c "$2"; }
# A replacement held at PayPal, shipped, and captured at once by a
# supervisor: order, authorize and capture calls.  Prints the case number.
held_and_captured() {
    local tag=$1 email s number code jar=$D/jar-$1 order terms
    email="drill-$tag-$$@example.com"
    s=$(req POST /api/v1/staff/rmas -H "Authorization: Bearer $agent" -H "$J" --data \
        "{\"customer\":{\"email\":\"$email\",\"name\":\"Drill\"},\"order\":{\"order_number\":\"SO-DRILL-$tag-$$\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"replacement\",\"problem\":\"Drill.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-DRILL-1\"}],\"replacement_value\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}")
    [ "$s" = 201 ] || { echo "create: $s $(cat "$body")" >&2; return 1; }
    number=$(field number)
    s=$(req POST "/api/v1/staff/rmas/$number/submit" -H "Authorization: Bearer $agent")
    [ "$(field status)" = pending_confirm ] \
        || s=$(req POST "/api/v1/staff/rmas/$number/approve" -H "Authorization: Bearer $supervisor")
    [ "$(field status)" = pending_confirm ] || { echo "submit: $(cat "$body")" >&2; return 1; }
    req POST /api/v1/auth/code -H "$J" -H "$P" --data "{\"email\":\"$email\"}" >/dev/null
    code=
    for _ in $(seq 1 50); do
        code=$(grep -l -i -F "To: $email" "$D/$stack"/mail/*.eml 2>/dev/null \
            | xargs -r grep -h -o 'Code: [0-9]\{6\}' | tail -n 1 | cut -d' ' -f2)
        [ -n "$code" ] && break
        sleep 0.1
    done
    s=$(req POST /api/v1/auth/session -c "$jar" -H "$J" -H "$P" \
        --data "{\"email\":\"$email\",\"code\":\"$code\"}")
    [ "$s" = 200 ] || { echo "sign-in: $s" >&2; return 1; }
    req POST "/api/v1/rmas/$number/agree" -b "$jar" -H "$P" >/dev/null
    s=$(req PUT "/api/v1/rmas/$number/shipping-address" -b "$jar" -H "$P" -H "$J" \
        --data '{"name":"Drill Customer","line1":"1 Main Street","city":"Springfield","region":"IL","postal_code":"62701","country":"US","phone":"+1 217 555 0100"}')
    [ "$s" = 200 ] || { echo "address: $s $(cat "$body")" >&2; return 1; }
    req POST "/api/v1/rmas/$number/replacement-method" -b "$jar" -H "$P" -H "$J" \
        --data '{"method":"advanced"}' >/dev/null
    terms=$(field preauthorization.terms_version)
    s=$(req POST "/api/v1/rmas/$number/preauthorization" -b "$jar" -H "$P" -H "$J" \
        --data "{\"accept_terms\":true,\"terms_version\":\"$terms\"}")
    [ "$s" = 201 ] || { echo "preauthorization: $s $(cat "$body")" >&2; return 1; }
    order=$(field order_id)
    curl -sS -f -o /dev/null -X POST -H "$J" --data '{}' "$RMA_TEST_SIM_URL/sim/orders/$order/approve" \
        || return 1
    s=$(req GET "/api/v1/paypal/return?token=$order&PayerID=DRILL" -b "$jar")
    [ "$s" = 303 ] || { echo "return: $s $(cat "$body")" >&2; return 1; }
    s=$(req POST "/api/v1/staff/rmas/$number/shipments" -H "Authorization: Bearer $warehouse" \
        -H "$J" --data '{"carrier":"UPS","tracking_number":"1Z999AA10123456784"}')
    [ "$s" = 200 ] || { echo "shipment: $s $(cat "$body")" >&2; return 1; }
    s=$(req POST "/api/v1/staff/rmas/$number/capture-now" -H "Authorization: Bearer $supervisor" \
        -H "$J" --data '{"reason":"restore drill"}')
    [ "$s" = 200 ] && [ "$(field status)" = charged ] \
        || { echo "capture-now: $s $(cat "$body")" >&2; return 1; }
    echo "$number"
}
request_ids() { sql_on "$1" 'SELECT request_id FROM paypal_intent ORDER BY 1'; }

# 1. Work on A, clean.
use a
agent=$(ctl token create --role agent --name drill-agent 2>/dev/null | tail -n 1)
supervisor=$(ctl token create --role supervisor --name drill-supervisor 2>/dev/null | tail -n 1)
warehouse=$(ctl token create --role warehouse --name drill-warehouse 2>/dev/null | tail -n 1)
n1=$(held_and_captured a1) && ok "A: $n1 held and captured at PayPal" || die "A: the first case failed"
n2=$(held_and_captured a2) && ok "A: $n2 held and captured at PayPal" || die "A: the second case failed"
ctl ledger verify >"$D/verify-a.log" 2>&1 && ok "A: ledger verify clean ($(tail -n 1 "$D/verify-a.log"))" \
    || bad "A: ledger verify: $(cat "$D/verify-a.log")"

# 2. The backup, then work that it lacks.
"$bindir/pg_dump" -Fc -h "$(readlink -f "$D/a/pg")" -U rma_admin -d rma -f "$D/rma.dump" \
    && ok "pg_dump -Fc of A ($(stat -c %s "$D/rma.dump") bytes)" || die "pg_dump failed"
request_ids a >"$D/ids-dumped"
n3=$(held_and_captured a3) && ok "A after the dump: $n3 held and captured (lost by the restore)" \
    || die "A: the third case failed"
request_ids a >"$D/ids-a"
[ "$(wc -l <"$D/ids-a")" -gt "$(wc -l <"$D/ids-dumped")" ] \
    && ok "A used $(wc -l <"$D/ids-a") PayPal-Request-Ids, $(wc -l <"$D/ids-dumped") of them before the dump" \
    || bad "no PayPal work after the dump"
drill_stop a

# 3. The restore into a fresh cluster.
drill_start b "$PORT_B" "$D/rma.dump" || die "stack B (restored) did not start"
ok "stack B: fresh cluster, pg_restore, sql/after-restore.sql, migrate: $(tail -n 1 "$D/b/log/migrate.log")"
use b
[ "$(sql_on b "SELECT count(*) FROM rma WHERE number IN ('$n1', '$n2')")" = 2 ] \
    && ok "B has the dumped cases" || bad "B lacks the dumped cases"
[ "$(sql_on b "SELECT count(*) FROM rma WHERE number = '$n3'")" = 0 ] \
    && ok "B lacks the case made after the dump, as a restore does" || bad "B has $n3"
cmp -s <(request_ids b) "$D/ids-dumped" && ok "B's intents are the dump's" \
    || bad "B's intents differ from the dump's"
ctl ledger verify >"$D/verify-b.log" 2>&1 && ok "B: ledger verify clean, with PayPal ($(tail -n 1 "$D/verify-b.log"))" \
    || bad "B: ledger verify: $(cat "$D/verify-b.log")"

# Why sql/after-restore.sql: without it B's next hold would take the id of
# the one A made after the dump, and with it its PayPal-Request-Ids.
next=$(($(sql_on b 'SELECT max(id) FROM hold WHERE id < 100000') + 1))
comm -13 "$D/ids-dumped" "$D/ids-a" | grep -q -- "-h$next-" \
    && ok "without sql/after-restore.sql B's next hold would be h$next, whose ids A used after the dump" \
    || bad "the lost work's ids are not those of hold $next: $(comm -13 "$D/ids-dumped" "$D/ids-a" | tr '\n' ' ')"

# 4. New PayPal work on B (the tokens came with the dump).
n4=$(held_and_captured b1) && ok "B: $n4 held and captured at PayPal" || die "B: the new case failed"
[ "$n4" != "$n3" ] && ok "B's new case is not numbered like the lost one ($n3)" \
    || bad "B reused the case number $n3"
request_ids b | comm -23 - "$D/ids-dumped" >"$D/ids-b-new"
reused=$(comm -12 "$D/ids-b-new" "$D/ids-a")
if [ -s "$D/ids-b-new" ] && [ -z "$reused" ]; then
    ok "B's $(wc -l <"$D/ids-b-new") new PayPal-Request-Ids were never used by A ($(tr '\n' ' ' <"$D/ids-b-new"))"
else
    bad "B reused PayPal-Request-Ids of A: ${reused:-none new}"
fi
# The simulator's state is large after a whole suite: through a file, not
# an argument.
curl -sS -o "$D/sim-state.json" "$RMA_TEST_SIM_URL/sim/state"
once=$(python3 -c 'import json,sys
executed = json.load(open(sys.argv[1])).get("executed", {})
ids = [l.strip() for l in open(sys.argv[2]) if l.strip()]
bad = [i for i in ids if not any(k.endswith(i) and v == 1 for k, v in executed.items())
       or sum(v for k, v in executed.items() if k.endswith(i)) != 1]
print(" ".join(bad) if bad else "ok")' "$D/sim-state.json" "$D/ids-b-new")
[ "$once" = ok ] && ok "the simulator executed each new id exactly once" \
    || bad "ids PayPal saw before or never: $once"

echo "restore: $fails failed"
[ "$fails" = 0 ]
