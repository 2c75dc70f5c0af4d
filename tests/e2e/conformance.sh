#!/usr/bin/env bash
# conformance.sh - the PayPal conformance proof: a scripted client session
# (every operation, happy paths and error situations: the PayPal client
# tests) against a paypal-sim that records every exchange, then each
# recorded request and response validated against PayPal's OpenAPI
# documents (tests/conformance/validate.mjs, ajv).  Run by tests/run-suite;
# exits non-zero on any violation.  Never skips: without node or npm it fails.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
die() { echo "conformance: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not installed (apt-get install -y nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (apt-get install -y npm)"
sim="$top_builddir/paypal-sim"
client="$top_builddir/tests/e2e/test_paypal_client"
conf="$top_srcdir/tests/conformance"
[ -x "$sim" ] || die "$sim is not built"
[ -x "$client" ] || die "$client is not built"

# ajv goes beside package.json, or into the build tree (with a copy of the
# validator, which resolves its modules from where it lies) when the source
# tree is read-only (make distcheck).
if [ ! -w "$conf" ]; then
    mkdir -p "$top_builddir/tests/conformance"
    cp "$conf/package.json" "$conf/package-lock.json" "$conf/validate.mjs" \
        "$top_builddir/tests/conformance/"
    conf="$top_builddir/tests/conformance"
fi
if [ ! -d "$conf/node_modules/ajv" ] || [ ! -d "$conf/node_modules/ajv-formats" ]; then
    (cd "$conf" && npm ci --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed in $conf"
fi

work=$(mktemp -d /tmp/rma-conformance.XXXXXX)
record="$work/record.jsonl"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    if [ "${keep:-}" = 1 ]; then echo "conformance: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})") \
    || die "no free port"
"$sim" --listen "127.0.0.1:$port" --record "$record" >"$work/sim.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || die "paypal-sim did not start"

echo "== conformance: scripted PayPal client session"
RMA_TEST_SIM_URL="http://127.0.0.1:$port" RMA_TEST_SIM_RECORD="$record" \
    "$client" --jobs 2 --short-filename >"$work/session.log" 2>&1
rc=$?
grep -a 'Synthesis:\|\[FAIL\]' "$work/session.log"
if [ "$rc" != 0 ]; then
    keep=1
    die "the client session failed (log: $work/session.log)"
fi
[ -s "$record" ] || die "nothing was recorded"

echo "== conformance: $(wc -l <"$record") exchanges against the OpenAPI documents"
# PayPal's documents are part of the repository (third_party/, with their
# licence and provenance); PAYPAL_OPENAPI_DIR names other ones, e.g. a newer
# upstream checkout to try before updating the copy.
openapi=${PAYPAL_OPENAPI_DIR:-$top_srcdir/third_party/paypal-openapi}
[ -f "$openapi/checkout_orders_v2.json" ] || die "PayPal's OpenAPI documents are not in $openapi"
node "$conf/validate.mjs" "$record" "$openapi"
rc=$?
[ "$rc" = 0 ] || keep=1
exit "$rc"
