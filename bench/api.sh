#!/usr/bin/env bash
# bench/api.sh - the API read against its limit (SPEC §11): an authenticated
# GET /api/v1/rmas/{number} through nginx (wrk, 32 connections) against
# bench/fcgi_min, a libfcgi responder doing one prepared PostgreSQL query
# that builds the same document, behind the same nginx, on the same
# database, with as many workers.  For reference it also measures
# fcgi_min building the case alone (rma_json, a smaller document).
# Prints the rates and p99 latencies and, last, the ratio (target >= 0.7).
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
    for p in $min_pids; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    stack_stop 2>/dev/null
    stack_pg_destroy 2>/dev/null
    [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"
}
trap cleanup EXIT
HTTP_PORT=$(stack_free_port)
SIM_PORT=$(stack_free_port)
STACK_TEST_MODE=true STACK_LOG_LEVEL=warn STACK_WORKERS=$WORKERS
STACK_EXTRA_CONFIG='supervisor_review = never
rate_limit_sessions_per_address = 1000'
export HTTP_PORT SIM_PORT STACK_TEST_MODE STACK_LOG_LEVEL STACK_WORKERS STACK_EXTRA_CONFIG
( stack_start ) >/dev/null
export PATH="$top_builddir:$PATH" RMA_CONFIG="$RUN/rma.conf"
base="http://127.0.0.1:$HTTP_PORT"

# A case the customer can see, and the customer's session.
AGENT=$(rmactl token create --role agent --name bench | tail -n 1)
email=bench@example.com
number=$(curl -sS -H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json' \
    --data "{\"customer\":{\"email\":\"$email\",\"name\":\"Bench\"},\"order\":{\"order_number\":\"SO-BENCH\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"replacement\",\"problem\":\"Bench.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-BENCH-1\"}],\"replacement_value\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}" \
    "$base/api/v1/staff/rmas" | python3 -c 'import json,sys; print(json.load(sys.stdin)["number"])')
curl -sS -o /dev/null -X POST -H "Authorization: Bearer $AGENT" "$base/api/v1/staff/rmas/$number/submit"
curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' -H 'X-Requested-With: rma-portal' \
    --data "{\"email\":\"$email\"}" "$base/api/v1/auth/code"
sleep 0.5
code=$(grep -h -o 'Code: [0-9]\{6\}' "$RUN"/mail/*.eml | tail -n 1 | cut -d' ' -f2)
cookie=$(curl -sS -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H 'X-Requested-With: rma-portal' --data "{\"email\":\"$email\",\"code\":\"$code\"}" \
    "$base/api/v1/auth/session" | sed -n 's/^[Ss]et-[Cc]ookie: \(rma_session=[^;]*\).*/\1/p')
[ -n "$cookie" ] || { echo "login failed" >&2; exit 1; }
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/api/v1/rmas/$number")
[ "$status" = 200 ] || { echo "the API read answers $status" >&2; exit 1; }

# The limit: the same nginx, a location for each minimal responder.
conninfo="host=$(readlink -f "$RUN/pg") dbname=rma user=rma_admin"
"$top_builddir/bench/fcgi_min" "$RUN/min.sock" "$conninfo" "$WORKERS" \
    >>"$RUN/log/fcgi_min.log" 2>&1 &
min_pids="$!"
"$top_builddir/bench/fcgi_min" "$RUN/case.sock" "$conninfo" "$WORKERS" case \
    >>"$RUN/log/fcgi_min.log" 2>&1 &
min_pids="$min_pids $!"
locations=
for l in min case; do
    locations="$locations        location /bench-$l/ {\n            include $RUN/nginx/fastcgi_params;\n            fastcgi_pass unix:$RUN/$l.sock;\n        }\n\n"
done
sed -i "s|        location /api/ {|$locations        location /api/ {|" "$RUN/nginx/nginx.conf"
nginx -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -s reload
sleep 1
for l in min case; do
    status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/bench-$l/$number")
    [ "$status" = 200 ] || { echo "fcgi_min ($l) answers $status" >&2; exit 1; }
done
# The same document: the API's answer adds only what C adds (actions,
# agreement, upload limits) to the limit's.
python3 - "$base" "$number" "$cookie" <<'PY' || exit 1
import json, sys, urllib.request
base, number, cookie = sys.argv[1:]
get = lambda path, h={}: json.load(urllib.request.urlopen(urllib.request.Request(base + path, headers=h)))
api = get("/api/v1/rmas/" + number, {"Cookie": cookie})
limit = get("/bench-min/" + number)
for k in ("actions", "upload_limits", "preauthorization"):
    api.pop(k, None)
if api != limit:
    sys.exit("the limit's document differs from the API's")
PY

measure() { # url [header]
    wrk -t2 -c32 -d"${SECONDS_RUN}s" --latency ${2:+-H "$2"} "$1" >"$RUN/wrk.out"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$RUN/wrk.out")
    p99=$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$RUN/wrk.out")
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$RUN/wrk.out")
    echo "$rps ${p99:-?} ${non2xx:-0}"
}
# The limit and the API alternate (limit, API, limit, API) so that a change
# in the machine's load weighs on both; each figure is the mean of its two
# runs and its p99 the worse one.
read -r case_rps case_p99 case_bad < <(measure "$base/bench-case/$number")
read -r min1_rps min1_p99 min1_bad < <(measure "$base/bench-min/$number")
read -r api1_rps api1_p99 api1_bad < <(measure "$base/api/v1/rmas/$number" "Cookie: $cookie")
read -r min2_rps min2_p99 min2_bad < <(measure "$base/bench-min/$number")
read -r api2_rps api2_p99 api2_bad < <(measure "$base/api/v1/rmas/$number" "Cookie: $cookie")
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
echo "machine: $(nproc) cores, $(uname -r); workers $WORKERS; wrk -t2 -c32 -d${SECONDS_RUN}s"
echo "runs: limit $min1_rps, api $api1_rps, limit $min2_rps, api $api2_rps req/s"
echo "reference fcgi_min, the case alone (rma_json): $case_rps req/s, p99 $case_p99, non-2xx $case_bad"
echo "limit  fcgi_min, the same document:  $min_rps req/s, p99 $min_p99, non-2xx $min_bad"
echo "api    GET /api/v1/rmas/{number}:     $api_rps req/s, p99 $api_p99, non-2xx $api_bad"
python3 -c "print(f'ratio: {$api_rps / $min_rps:.2f} (target >= 0.7)')"
