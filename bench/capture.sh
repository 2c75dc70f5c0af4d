#!/usr/bin/env bash
# bench/capture.sh - the capture job against its limit (SPEC §11): N due
# holds at paypal-sim answering after L ms, `rmactl run-jobs --concurrency
# C`; the limit is C/L holds per second (C calls in flight, each taking L).
# Prints holds/s, the limit, the duplicate count and, last, the ratio
# (target >= 0.9 since issue 18, zero duplicates).
#
#   cd build && ../bench/capture.sh [N=400] [L_ms=50] [C=16]
#
# Run it from a build WITHOUT sanitizers (./configure; make).  It starts its
# own throwaway stack (scripts/stack.sh) and removes it afterwards.  The
# ledger entries are not skipped: the measured run does all the work a
# production run does (intents, ledger, case transitions, mail).  The
# ratio is taken over the capture step (from the job's own log: the start
# of the first capture call to the last outcome committed); the whole pass,
# which then delivers one mail per capture, is printed too.
set -eu
N=${1:-400}
L=${2:-50}
C=${3:-16}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
[ -x "$top_builddir/rmactl" ] || { echo "run from the build directory" >&2; exit 2; }
# shellcheck source=../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"
RUN=$(mktemp -d /tmp/rma-bench.XXXXXX)
chmod 0755 "$RUN"
export RUN
trap 'stack_stop 2>/dev/null; stack_pg_destroy 2>/dev/null; [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"' EXIT
HTTP_PORT=$(stack_free_port)
SIM_PORT=$(stack_free_port)
# The job delivers the mail itself: no mail sender (the stack would wait
# for its "listening", an info event, which warn does not log).
STACK_TEST_MODE=true STACK_LOG_LEVEL=warn STACK_WORKERS=2 STACK_MAIL_SENDER=false
STACK_EXTRA_CONFIG='supervisor_review = never'
export HTTP_PORT SIM_PORT STACK_TEST_MODE STACK_LOG_LEVEL STACK_WORKERS STACK_EXTRA_CONFIG STACK_MAIL_SENDER
( stack_start ) >/dev/null
export PATH="$top_builddir:$PATH" RMA_CONFIG="$RUN/rma.conf"
export BASE_URL="http://127.0.0.1:$HTTP_PORT" SIM_URL="http://127.0.0.1:$SIM_PORT"
export PSQL="$(stack_pg_bindir)/psql"
export ADMIN_URL="host=$(readlink -f "$RUN/pg") dbname=rma user=rma_admin"
AGENT_TOKEN=$(rmactl token create --role agent --name bench | tail -n 1)
export AGENT_TOKEN
echo "setting up $N due holds..."
python3 "$top_srcdir/bench/capture_setup.py" "$N" >/dev/null
curl -sS -X POST -H 'Content-Type: application/json' \
    --data "{\"ms\":$L}" "$SIM_URL/sim/latency" >/dev/null

start=$(date +%s.%N)
RMA_LOG_LEVEL=info rmactl run-jobs --concurrency "$C" >"$RUN/job.out" 2>"$RUN/job.err" || true
end=$(date +%s.%N)
cat "$RUN/job.out"

captured=$("$PSQL" "$ADMIN_URL" -XAtc "SELECT count(*) FROM hold WHERE status = 'captured'")
dups=$(curl -sS "$SIM_URL/sim/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
per = {}
for c in s["captures"].values():
    per[c["authorization_id"]] = per.get(c["authorization_id"], 0) + 1
print(sum(v - 1 for v in per.values()))')
python3 - "$N" "$L" "$C" "$start" "$end" "$captured" "$dups" "$RUN/job.err" <<'PY'
import json, sys
from datetime import datetime
n, l, c, start, end, captured, dups, log = sys.argv[1:]
def t(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
begin, finish = None, None
for line in open(log):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("event") == "paypal_call" and j.get("op") == "authorizations_capture":
        b = t(j["time"]) - j["ms"] / 1000
        begin = b if begin is None else min(begin, b)
    if j.get("event") == "hold_settled":
        finish = t(j["time"])
whole = float(end) - float(start)
step = finish - begin
limit = int(c) / (int(l) / 1000)
print(f"holds: {n}, captured: {captured}, duplicates at PayPal: {dups}")
print(f"whole pass (captures, then {captured} mails to the spool): {whole:.2f} s")
print(f"capture step: first call to last outcome committed: {step:.2f} s, "
      f"{int(captured) / step:.1f} holds/s; limit C/L = {limit:.1f} holds/s")
print(f"ratio: {int(captured) / step / limit:.2f} (target >= 0.9)")
PY
