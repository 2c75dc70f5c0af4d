#!/usr/bin/env bash
# faults.sh - the stack under faults (SPEC §12), run by tests/run-suite
# against its stack:
#   1. PostgreSQL stopped: /healthz is 503 within a second; restarted: 200
#      again, served by the same workers (none restarted); the mail sender
#      too reconnects by itself (the same process) and delivers mail queued
#      after the restart within seconds;
#   2. a worker killed with SIGKILL under wrk load: the supervisor replaces
#      it and apart from requests in flight nothing fails.
set -u
: "${RUN:?}" "${HTTP_PORT:?}" "${top_srcdir:?}" "${RMA_TEST_PSQL:?}" "${RMA_TEST_ADMIN_URL:?}"
. "$top_srcdir/scripts/stack.sh"
base="http://127.0.0.1:$HTTP_PORT"
fail=0
check() { # description, condition status
    if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
workers() { pgrep -P "$(cat "$RUN/rma-fcgi.pid")" | sort | tr '\n' ' '; }
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz"; }
now_ms() { date +%s%3N; }

before=$(workers)
[ "$(status)" = 200 ]; check "healthz is 200 with the database up" $?

stack_pg_stop
t0=$(now_ms)
code=$(status)
while [ "$code" != 503 ] && [ $(( $(now_ms) - t0 )) -lt 3000 ]; do
    sleep 0.05; code=$(status)
done
elapsed=$(( $(now_ms) - t0 ))
[ "$code" = 503 ] && [ "$elapsed" -lt 1000 ]
check "healthz is 503 within a second of PostgreSQL stopping (${elapsed} ms)" $?
body=$(curl -s "$base/healthz")
case $body in *'"database_unavailable"'*) r=0 ;; *) r=1 ;; esac
check "the 503 has a JSON body naming the database: $body" $r

( stack_pg_start ) >/dev/null
t0=$(now_ms)
code=$(status)
while [ "$code" != 200 ] && [ $(( $(now_ms) - t0 )) -lt 10000 ]; do
    sleep 0.1; code=$(status)
done
[ "$code" = 200 ]; check "healthz is 200 again after PostgreSQL restarts ($(( $(now_ms) - t0 )) ms)" $?
# Every worker reconnects by itself: ask enough times to reach them all.
bad=0
for _ in $(seq 1 40); do [ "$(status)" = 200 ] || bad=$((bad + 1)); done
[ "$bad" = 0 ]; check "40 requests after the restart all answered 200 ($bad failed)" $?
after=$(workers)
[ "$before" = "$after" ]; check "no worker was restarted ($before / $after)" $?

# The mail sender lost its connection (and its LISTEN) with the restart:
# the same process reconnects, listens again and delivers.
sender=$(cat "$RUN/rma-mail-sender.pid")
kill -0 "$sender" 2>/dev/null; check "the mail sender $sender outlived the restart" $?
tag="faults-restart-$$-$RANDOM"
t0=$(now_ms)
"$RMA_TEST_PSQL" "$RMA_TEST_ADMIN_URL" -Xq -c "INSERT INTO mail_outbox
    (kind, to_addr, subject, body, message_id)
    VALUES ('notice', 'faults@example.com', 'After the restart', 'Hello.', '$tag')"
found=
while [ -z "$found" ] && [ $(( $(now_ms) - t0 )) -lt 15000 ]; do
    found=$(grep -l -F "Message-ID: <$tag@" "$RUN"/mail/*.eml 2>/dev/null | head -n 1)
    [ -n "$found" ] || sleep 0.1
done
elapsed=$(( $(now_ms) - t0 ))
# At most 5 s between reconnection attempts, then a sweep at once.
[ -n "$found" ] && [ "$elapsed" -lt 8000 ]
check "mail queued after the restart reached the spool in ${elapsed} ms" $?
listening=$(grep -c "\"pid\":$sender,.*\"event\":\"mail_sender_listening\"" \
    "$RUN/log/rma-mail-sender.log")
[ "$listening" -ge 2 ]; check "the sender listened again after reconnecting ($listening times)" $?

if command -v wrk >/dev/null 2>&1; then
    out=$(mktemp)
    wrk -t2 -c16 -d4s "$base/healthz" > "$out" 2>&1 &
    wrk_pid=$!
    sleep 1
    victim=$(pgrep -P "$(cat "$RUN/rma-fcgi.pid")" | head -n 1)
    kill -9 "$victim"
    wait "$wrk_pid"
    cat "$out"
    non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: \([0-9]*\).*/\1/p' "$out")
    non2xx=${non2xx:-0}
    total=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$out")
    [ "${total:-0}" -gt 1000 ]; check "wrk completed ${total:-0} requests" $?
    [ "$non2xx" -le 16 ]
    check "at most the 16 requests in flight failed ($non2xx did)" $?
    rm -f "$out"
    sleep 0.5
    now=$(workers)
    n_before=$(wc -w <<<"$before")
    n_now=$(wc -w <<<"$now")
    case " $now " in *" $victim "*) gone=1 ;; *) gone=0 ;; esac
    [ "$n_now" = "$n_before" ] && [ "$gone" = 0 ]
    check "the killed worker $victim was replaced ($n_now of $n_before running)" $?
    [ "$(status)" = 200 ]; check "healthz is 200 after the kill" $?
else
    echo "FAIL: wrk is not installed (scripts/bootstrap installs it)"
    fail=1
fi
# 3. SIGHUP: a new generation of workers replaces the old one while
#    requests keep being answered.
before=$(workers)
bad=0
( for _ in $(seq 1 200); do [ "$(status)" = 200 ] || echo bad; done ) > "$RUN/hup.out" &
loop=$!
sleep 0.2
kill -HUP "$(cat "$RUN/rma-fcgi.pid")"
wait "$loop"
bad=$(grep -c bad "$RUN/hup.out")
sleep 1
after=$(workers)
[ "$bad" = 0 ]; check "no request failed across a reload ($bad of 200 did)" $?
common=$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort) | grep -c .)
[ "$common" = 0 ] && [ "$(wc -w <<<"$after")" = "$(wc -w <<<"$before")" ]
check "SIGHUP replaced every worker ($before -> $after)" $?
exit $fail
