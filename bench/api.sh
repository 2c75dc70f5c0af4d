#!/usr/bin/env bash
# bench/api.sh - the API read against its limit (SPEC §11): an authenticated
# GET /api/v1/rmas/{number} through nginx (wrk, 32 connections) against
# bench/fcgi_min, a libfcgi responder doing ONE prepared primary-key query
# on one table (SELECT number, status FROM rma WHERE id = $1), behind the
# same nginx, on the same database, with as many workers.
# For reference it also measures fcgi_min building the same document as
# the API with rma_detail_json (what a read cost before 0021_read_cache),
# and the other read paths against the same limit: the customer's list,
# the staff detail and a staff queue (the agent's drafts).
# Prints each rate with its p99 and, last, the ratio API / limit (target
# >= 0.7, p99 <= 10 ms).
#
#   cd build && ../bench/api.sh [SECONDS=15] [WORKERS=4]
#
# Run it from a build WITHOUT sanitizers (./configure; make).  It starts its
# own throwaway stack (scripts/stack.sh) and removes it afterwards.
set -eu
SECONDS_RUN=${1:-15}
WORKERS=${2:-4}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
[ -x "$top_builddir/rmactl" ] || { echo "run from the build directory" >&2; exit 2; }
make -s -C "$top_builddir" bench/fcgi_min
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
# shellcheck source=../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"
RUN=$(mktemp -d /tmp/rma-bench.XXXXXX)
chmod 0755 "$RUN"
export RUN
min_pids=
cleanup() {
    set +e # a responder already gone must not fail the run (set -e)
    for p in $min_pids; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    stack_stop 2>/dev/null
    stack_pg_destroy 2>/dev/null
    [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"
}
trap cleanup EXIT
HTTP_PORT=$(stack_free_port)
SIM_PORT=$(stack_free_port)
# info: the stack waits for the mail sender's "listening" (an info event);
# a request is logged at debug, so reads log nothing.
STACK_TEST_MODE=true STACK_LOG_LEVEL=info STACK_WORKERS=$WORKERS
STACK_EXTRA_CONFIG='supervisor_review = never
rate_limit_sessions_per_address = 1000'
export HTTP_PORT SIM_PORT STACK_TEST_MODE STACK_LOG_LEVEL STACK_WORKERS STACK_EXTRA_CONFIG
( stack_start ) >/dev/null
export PATH="$top_builddir:$PATH" RMA_CONFIG="$RUN/rma.conf"
base="http://127.0.0.1:$HTTP_PORT"

# Cases the customer can see (the list shows five), the customer's
# session, and drafts for the agent's queue.
AGENT=$(rmactl token create --role agent --name bench | tail -n 1)
email=bench@example.com
create() { # n
    curl -sS -H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json' \
    --data "{\"customer\":{\"email\":\"$email\",\"name\":\"Bench\"},\"order\":{\"order_number\":\"SO-BENCH-$1\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"replacement\",\"problem\":\"Bench.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-BENCH-$1\"}],\"replacement_value\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}" \
    "$base/api/v1/staff/rmas" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])'
}
for i in 1 2 3 4 5; do
    number=$(create "$i")
    curl -sS -o /dev/null -X POST -H "Authorization: Bearer $AGENT" "$base/api/v1/staff/rmas/$number/submit"
done
for i in 6 7 8 9 10; do create "$i" >/dev/null; done
conninfo="host=$(readlink -f "$RUN/pg") dbname=rma user=rma_admin"
id=$(psql -XAtq "$conninfo" -c "SELECT id FROM rma WHERE number = '$number'")
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -H 'X-Requested-With: rma-portal' \
    --data "{\"email\":\"$email\"}" "$base/api/v1/auth/code"
sleep 0.5
code=$(grep -h -o 'Code: [0-9]\{6\}' "$RUN"/mail/*.eml | tail -n 1 | cut -d' ' -f2)
cookie=$(curl -sS -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H 'X-Requested-With: rma-portal' --data "{\"email\":\"$email\",\"code\":\"$code\"}" \
    "$base/api/v1/auth/session" | sed -n 's/^[Ss]et-[Cc]ookie: \(rma_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
for path in "/api/v1/rmas/$number" /api/v1/rmas; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
    [ "$status" = 200 ] || { echo "the API read $path answers $status" >&2; exit 1; }
done
for path in "/api/v1/staff/rmas/$number" /api/v1/staff/queues/drafts; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AGENT" "$base$path")
    [ "$status" = 200 ] || { echo "the API read $path answers $status" >&2; exit 1; }
done

# The limit: the same nginx, a location for each minimal responder.
"$top_builddir/bench/fcgi_min" "$RUN/pk.sock" "$conninfo" "$WORKERS" pk \
    >>"$RUN/log/fcgi_min.log" 2>&1 &
min_pids="$!"
"$top_builddir/bench/fcgi_min" "$RUN/detail.sock" "$conninfo" "$WORKERS" detail \
    >>"$RUN/log/fcgi_min.log" 2>&1 &
min_pids="$min_pids $!"
locations=
"$top_builddir/bench/fcgi_min" "$RUN/stored.sock" "$conninfo" "$WORKERS" stored \
    >>"$RUN/log/fcgi_min.log" 2>&1 &
min_pids="$min_pids $!"
for l in pk stored detail; do
    locations="$locations        location /bench-$l/ {\n            include $RUN/nginx/fastcgi_params;\n            fastcgi_pass unix:$RUN/$l.sock;\n        }\n\n"
done
sed -i "s|        location /api/ {|$locations        location /api/ {|" "$RUN/nginx/nginx.conf"
nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -s reload
sleep 1
for u in "bench-pk/$id" "bench-stored/$id" "bench-detail/$number"; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/$u")
    [ "$status" = 200 ] || { echo "fcgi_min ($u) answers $status" >&2; exit 1; }
done
# The same document: the API's answer adds only what C adds (actions,
# agreement, upload limits) to the one rma_detail_json builds.
python3 - "$base" "$number" "$cookie" <<'PY' || exit 1
import json, sys, urllib.request
base, number, cookie = sys.argv[1:]
get = lambda path, h={}: json.load(urllib.request.urlopen(urllib.request.Request(base + path, headers=h)))
api = get("/api/v1/rmas/" + number, {"Cookie": cookie})
limit = get("/bench-detail/" + number)
for k in ("actions", "upload_limits", "preauthorization"):
    api.pop(k, None)
if api != limit:
    sys.exit("the API's document differs from rma_detail_json's")
PY

# The set-up's rows settled before anything is measured: otherwise
# autovacuum (a minute's nap) and the first checkpoint come during the
# runs, and whichever side runs then pays for them.
psql -XAtq "$conninfo" -c "VACUUM ANALYZE customer, customer_session, rma, rma_document, staff_token" >/dev/null
psql -XAtq "$conninfo" -c "CHECKPOINT" >/dev/null

# The service's processes' resident memory (SPEC §11: idle worker RSS):
# the supervisor and its workers, largest first, in KiB.
rss() {
    ps -o rss= -p "$(pgrep -d, -f -- "--socket $RUN/rma.sock")" | sort -rn | tr -s ' \n' ' '
}
rss_idle=$(rss)

measure() { # url [header]
    wrk -t2 -c32 -d"${SECONDS_RUN}s" --latency ${2:+-H "$2"} "$1" >"$RUN/wrk.out"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$RUN/wrk.out")
    p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$RUN/wrk.out")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$RUN/wrk.out")
    echo "$rps ${p99:-?} ${non2xx:-0}"
}
# The limit and the API alternate (limit, API, limit, API) so that a change
# in the machine's load weighs on both; each figure is the mean of its two
# runs and its p99 the worse one.  The other paths run once each.
read -r min1_rps min1_p99 min1_bad < <(measure "$base/bench-pk/$id")
read -r api1_rps api1_p99 api1_bad < <(measure "$base/api/v1/rmas/$number" "Cookie: $cookie")
read -r min2_rps min2_p99 min2_bad < <(measure "$base/bench-pk/$id")
read -r api2_rps api2_p99 api2_bad < <(measure "$base/api/v1/rmas/$number" "Cookie: $cookie")
read -r doc_rps doc_p99 doc_bad < <(measure "$base/bench-detail/$number")
read -r st_rps st_p99 st_bad < <(measure "$base/bench-stored/$id")
read -r list_rps list_p99 list_bad < <(measure "$base/api/v1/rmas" "Cookie: $cookie")
read -r sd_rps sd_p99 sd_bad < <(measure "$base/api/v1/staff/rmas/$number" "Authorization: Bearer $AGENT")
read -r q_rps q_p99 q_bad < <(measure "$base/api/v1/staff/queues/drafts" "Authorization: Bearer $AGENT")
read -r min_rps min_p99 min_bad api_rps api_p99 api_bad < <(python3 - \
    "$min1_rps" "$min1_p99" "$min1_bad" "$min2_rps" "$min2_p99" "$min2_bad" \
    "$api1_rps" "$api1_p99" "$api1_bad" "$api2_rps" "$api2_p99" "$api2_bad" <<'PY'
import re, sys
a = sys.argv[1:]
def ms(t):
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", t)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else 0
out = []
for r1, p1, b1, r2, p2, b2 in (a[0:6], a[6:12]):
    out += [f"{(float(r1) + float(r2)) / 2:.2f}", max(p1, p2, key=ms), str(int(b1) + int(b2))]
print(" ".join(out))
PY
)
ratio() { python3 -c "print(f'{$1 / $min_rps:.2f}')"; }
echo "machine: $(nproc) cores, $(uname -r); workers $WORKERS; wrk -t2 -c32 -d${SECONDS_RUN}s"
echo "rma-fcgi RSS (KiB, supervisor and workers): idle $rss_idle; after the runs $(rss)"
echo "runs: limit $min1_rps, api $api1_rps, limit $min2_rps, api $api2_rps req/s"
echo "reference fcgi_min, the same document by rma_detail_json: $doc_rps req/s, p99 $doc_p99, non-2xx $doc_bad ($(ratio "$doc_rps") of the limit)"
echo "reference fcgi_min, the stored document by primary key:    $st_rps req/s, p99 $st_p99, non-2xx $st_bad ($(ratio "$st_rps") of the limit)"
echo "list   GET /api/v1/rmas (5 cases):          $list_rps req/s, p99 $list_p99, non-2xx $list_bad ($(ratio "$list_rps") of the limit)"
echo "staff  GET /api/v1/staff/rmas/{number}:     $sd_rps req/s, p99 $sd_p99, non-2xx $sd_bad ($(ratio "$sd_rps") of the limit)"
echo "queue  GET /api/v1/staff/queues/drafts (5): $q_rps req/s, p99 $q_p99, non-2xx $q_bad ($(ratio "$q_rps") of the limit)"
echo "limit  fcgi_min, one primary-key fetch:     $min_rps req/s, p99 $min_p99, non-2xx $min_bad"
echo "api    GET /api/v1/rmas/{number}:           $api_rps req/s, p99 $api_p99, non-2xx $api_bad"
python3 -c "print(f'ratio: {$api_rps / $min_rps:.2f} (target >= 0.7, p99 <= 10 ms)')"
