#!/usr/bin/env bash
# replica.sh - finance exports from a real streaming replica (SPEC §13,
# README "Replica"), run by tests/run-suite against its stack:
#
#  1. a hot standby of the suite's primary, made with `pg_basebackup -R`;
#  2. once it has replayed the primary's WAL, `rmactl export` of every kind
#     with RMA_EXPORT_DATABASE_URL pointing at it gives byte for byte the
#     primary's export (and waits by itself for the audit rows the primary's
#     exports just wrote);
#  3. replay paused and the primary written to: the export refuses after
#     export_max_lag_seconds (exit 1, the lag said); with the check off
#     (0) it shows the replica's older snapshot; replay resumed, equal again;
#  4. the replica stopped, or a server that accepts and never answers: a
#     clear error and exit 1 within seconds (libpq's connect_timeout).
# The API's export (a worker pool whose export_database_url is the replica)
# is checked caught up (equal) and lagging (503 replica_behind).
#
# The replica and the fake server are stopped and removed on every exit.
set -u
: "${RUN:?}" "${RMA_TEST_BASE_URL:?}" "${RMA_TEST_PSQL:?}" "${RMA_TEST_ADMIN_URL:?}" \
    "${RMA_CONFIG:?}" "${top_srcdir:?}"
# shellcheck source=../../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"
fails=0
ok() { echo "ok: $*"; }
bad() {
    echo "not ok: $*"
    fails=$((fails + 1))
}
bindir=$(stack_pg_bindir)
primary_dir=$(readlink -f "$RUN/pg")
R=$(mktemp -d /tmp/rma-replica.XXXXXX)
chmod 0755 "$R"
[ "$(id -u)" = 0 ] && chown postgres "$R"
hang_pid=
pool_pid=
cleanup() {
    [ -n "$hang_pid" ] && kill "$hang_pid" 2>/dev/null
    if [ -n "$pool_pid" ]; then
        kill -TERM "$pool_pid" 2>/dev/null
        wait "$pool_pid" 2>/dev/null
    fi
    if [ -f "$R/data/postmaster.pid" ]; then
        stack_as_pg "$bindir/pg_ctl" -D "$R/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$R"
}
trap cleanup EXIT
psql_at() { "$RMA_TEST_PSQL" "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }
primary=$RMA_TEST_ADMIN_URL
replica_admin="host=$R dbname=rma user=rma_admin"
replica_app="host=$R dbname=rma user=rma_web"

# The primary allows streaming replication (scripts/stack.sh).
[ "$(psql_at "$primary" 'SHOW wal_level')" = replica ] && ok "the primary's wal_level is replica" \
    || bad "wal_level is $(psql_at "$primary" 'SHOW wal_level')"
[ "$(psql_at "$primary" 'SHOW max_wal_senders')" -gt 0 ] && ok "max_wal_senders > 0" \
    || bad "max_wal_senders is 0"
[ "$(psql_at "$primary" "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)")" -gt 0 ] \
    && ok "pg_hba.conf has a replication entry" || bad "no replication entry in pg_hba.conf"

# 1. The standby: a base backup with -R (standby.signal, primary_conninfo),
#    its own socket directory.
if ! stack_as_pg "$bindir/pg_basebackup" -h "$primary_dir" -U rma_admin -D "$R/data" \
    -R -X stream -c fast >"$R/basebackup.log" 2>&1; then
    cat "$R/basebackup.log"
    bad "pg_basebackup failed"
    exit 1
fi
touch "$R/replica.log"
[ "$(id -u)" = 0 ] && chown postgres "$R/replica.log"
# A standby needs the primary's limits at least; the suite passes them on
# the command line, which the base backup does not carry.
limits=
for g in max_connections max_wal_senders max_worker_processes \
    max_locks_per_transaction max_prepared_transactions; do
    limits="$limits -c $g=$(psql_at "$primary" "SHOW $g")"
done
if ! stack_as_pg "$bindir/pg_ctl" -D "$R/data" -l "$R/replica.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$R' -c hot_standby=on$limits" \
    start >/dev/null; then
    cat "$R/replica.log"
    bad "the replica did not start"
    exit 1
fi
[ "$(psql_at "$replica_admin" 'SELECT pg_is_in_recovery()')" = t ] \
    && ok "the replica is a hot standby" || bad "the replica is not in recovery"
streaming=
for _ in $(seq 1 100); do
    streaming=$(psql_at "$primary" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
    [ "${streaming:-0}" -gt 0 ] && break
    sleep 0.1
done
[ "${streaming:-0}" -gt 0 ] && ok "the primary streams to it" || bad "no streaming replica"

# Waits until the replica has replayed the primary's current WAL.
catch_up() {
    local lsn
    lsn=$(psql_at "$primary" 'SELECT pg_current_wal_lsn()')
    for _ in $(seq 1 300); do
        [ "$(psql_at "$replica_admin" "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && return 0
        sleep 0.1
    done
    return 1
}

# Something in every export: a case through the API, balanced ledger
# adjustments (more than one FETCH of the export's cursor) in 1994.
tag="replica$$x$RANDOM"
agent=$(rmactl token create --role agent --name "replica-$$-$RANDOM" 2>/dev/null | tail -n 1)
curl -sS -o /dev/null -H "Authorization: Bearer $agent" -H 'Content-Type: application/json' \
    --data "{\"customer\":{\"email\":\"$tag@example.com\",\"name\":\"Replica\"},\"order\":{\"order_number\":\"SO-$tag\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"replacement\",\"problem\":\"Replica.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-REPLICA-1\"}],\"replacement_value\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}" \
    "$RMA_TEST_BASE_URL/api/v1/staff/rmas"
batch=0
adjust() { # count: balanced adjustments in 1994, written on the primary
    batch=$((batch + 1))
    psql_at "$primary" "BEGIN;
        SET LOCAL session_replication_role = replica;
        INSERT INTO journal_entry (idempotency_key, kind, memo, effective_at, created_at)
        SELECT '$tag:$batch:' || g, 'adjustment', 'replica ' || g,
               timestamptz '1994-01-01' + g * interval '1 minute', now()
        FROM generate_series(1, $1) g;
        INSERT INTO posting (entry_id, account, currency, amount_minor)
        SELECT e.id, l.account, 'USD', l.sign * (e.id % 1000 + 1)
        FROM journal_entry e
        CROSS JOIN (VALUES ('paypal:balance', 1), ('income:makeup_payments', -1)) l(account, sign)
        WHERE e.idempotency_key LIKE '$tag:%' AND NOT EXISTS
            (SELECT 1 FROM posting p WHERE p.entry_id = e.id);
        COMMIT;" >/dev/null
}
adjust 1500

kinds=(ledger holds captures-refunds makeup-payments exceptions rmas)
period=(--from 1970-01-01 --to 9999-01-01)
export_from() { # where kind file [extra env...]: rmactl export's status
    local where=$1 kind=$2 file=$3
    shift 3
    if [ "$where" = primary ]; then
        env "$@" rmactl export "$kind" "${period[@]}" --output "$file" 2>"$file.err"
    else
        env RMA_EXPORT_DATABASE_URL="$replica_app" "$@" \
            rmactl export "$kind" "${period[@]}" --output "$file" 2>"$file.err"
    fi
}

# 2. Byte-identical exports once the replica has caught up.
for k in "${kinds[@]}"; do
    export_from primary "$k" "$R/primary-$k.csv" || bad "export $k from the primary: $(cat "$R/primary-$k.csv.err")"
done
catch_up && ok "the replica caught up with the primary" || bad "the replica did not catch up in 30 s"
same=0
for k in "${kinds[@]}"; do
    if ! export_from replica "$k" "$R/replica-$k.csv"; then
        bad "export $k from the replica: $(cat "$R/replica-$k.csv.err")"
    elif cmp -s "$R/primary-$k.csv" "$R/replica-$k.csv"; then
        same=$((same + 1))
    else
        bad "export $k differs between the primary and the replica"
    fi
done
[ "$same" = ${#kinds[@]} ] && ok "all ${#kinds[@]} kinds byte-identical from the replica ($(($(wc -l <"$R/replica-ledger.csv") - 1)) ledger rows, $(($(wc -l <"$R/replica-rmas.csv") - 1)) cases)"
[ "$(wc -l <"$R/replica-ledger.csv")" -gt 3000 ] && ok "the ledger export is more than one FETCH" \
    || bad "the ledger export has only $(wc -l <"$R/replica-ledger.csv") lines"
# The primary's export just wrote an audit row: the replica export waited
# for it by itself (export_max_lag_seconds, default 10 s).
rows=$(psql_at "$primary" "SELECT count(*) FROM audit_event WHERE action = 'export'
    AND detail->>'outcome' = 'completed' AND at > now() - interval '5 minutes'")
[ "$rows" -ge 12 ] && ok "every export audited on the primary ($rows)" || bad "only $rows exports audited"

# The API's exports from the replica: a worker pool whose
# export_database_url is the replica, spoken to over FastCGI directly.
RMA_EXPORT_DATABASE_URL=$replica_app RMA_EXPORT_MAX_LAG_SECONDS=2 \
    rma-fcgi --config "$RMA_CONFIG" --socket "$R/pool.sock" --workers 1 \
    2>"$RUN/log/rma-fcgi-replica-pool.log" &
pool_pid=$!
for _ in $(seq 1 100); do [ -S "$R/pool.sock" ] && break; sleep 0.1; done
finance=$(rmactl token create --role finance --name "replica-fin-$$-$RANDOM" 2>/dev/null | tail -n 1)
fcgi_export() { # kind file: GET the export from the pool; prints the status
    python3 - "$R/pool.sock" "/api/v1/staff/exports/$1.csv" \
        "from=1970-01-01&to=9999-01-01" "Bearer $finance" "$2" <<'PY'
import socket, struct, sys
sock, path, query, auth, out = sys.argv[1:6]
def record(kind, content):
    return struct.pack(">BBHHBx", 1, kind, 1, len(content), 0) + content
def pair(k, v):
    k, v = k.encode(), v.encode()
    size = lambda n: bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)
    return size(len(k)) + size(len(v)) + k + v
params = b"".join(pair(k, v) for k, v in [
    ("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", path), ("QUERY_STRING", query),
    ("REQUEST_URI", path + "?" + query), ("REMOTE_ADDR", "127.0.0.1"),
    ("HTTP_AUTHORIZATION", auth), ("REQUEST_ID", "replica-test")])
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
s.sendall(record(1, struct.pack(">HB5x", 1, 0)) + record(4, params) + record(4, b"")
          + record(5, b""))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
stdout, i = b"", 0
while i + 8 <= len(data):
    _, kind, _, n, pad = struct.unpack(">BBHHB", data[i:i + 7])
    if kind == 6:
        stdout += data[i + 8:i + 8 + n]
    i += 8 + n + pad
head, _, body = stdout.partition(b"\r\n\r\n")
status = "200"
for line in head.split(b"\r\n"):
    if line.lower().startswith(b"status:"):
        status = line.split()[1].decode()
open(out, "wb").write(body)
print(status)
PY
}
[ -n "$(catch_up && echo yes)" ] || bad "the replica did not catch up"
s=$(fcgi_export ledger "$R/http-ledger.csv")
export_from primary ledger "$R/primary-ledger2.csv"
[ "$s" = 200 ] && cmp -s "$R/http-ledger.csv" "$R/primary-ledger2.csv" \
    && ok "the API's ledger export from the replica equals rmactl's from the primary" \
    || bad "API export from the replica: HTTP $s, $(head -c 300 "$R/http-ledger.csv")"

# 3. Lag: replay paused, then the primary moves on.
psql_at "$replica_admin" 'SELECT pg_wal_replay_pause()' >/dev/null
for _ in $(seq 1 50); do
    [ "$(psql_at "$replica_admin" 'SELECT pg_get_wal_replay_pause_state()')" = paused ] && break
    sleep 0.1
done
adjust 10
t0=$(date +%s%N)
export_from replica ledger "$R/lag.csv" RMA_EXPORT_MAX_LAG_SECONDS=2
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
err=$(tail -n 1 "$R/lag.csv.err") # after the log's JSON line
if [ "$rc" = 1 ] && [ "$ms" -ge 2000 ] && [ "$ms" -lt 8000 ]; then
    ok "a replica behind for more than export_max_lag_seconds=2: exit 1 after $ms ms"
else
    bad "lagging replica: exit $rc after $ms ms: $err"
fi
case $err in
    *"bytes of WAL behind the primary after 2 s (export_max_lag_seconds)"*) ok "it says so: $err" ;;
    *) bad "the error does not say the replica is behind: $err" ;;
esac
[ ! -e "$R/lag.csv" ] && ok "no output file is left by the refused export" || bad "a partial $R/lag.csv"
failed=$(psql_at "$primary" "SELECT detail->>'outcome' FROM audit_event WHERE action = 'export'
    ORDER BY id DESC LIMIT 1")
[ "$failed" = failed ] && ok "the refused export is audited as failed" || bad "audited as $failed"
s=$(fcgi_export ledger "$R/http-lag.csv")
grep -q '"replica_behind"' "$R/http-lag.csv" && [ "$s" = 503 ] \
    && ok "the API answers 503 replica_behind: $(cat "$R/http-lag.csv")" \
    || bad "the API's export from a lagging replica: HTTP $s $(head -c 300 "$R/http-lag.csv")"
if export_from replica ledger "$R/stale.csv" RMA_EXPORT_MAX_LAG_SECONDS=0; then
    export_from primary ledger "$R/now.csv"
    if cmp -s "$R/stale.csv" "$R/replica-ledger.csv" && ! cmp -s "$R/stale.csv" "$R/now.csv"; then
        ok "export_max_lag_seconds=0: the replica's snapshot, without the primary's newest rows"
    else
        bad "export_max_lag_seconds=0 did not give the replica's older snapshot"
    fi
else
    bad "export_max_lag_seconds=0 refused: $(cat "$R/stale.csv.err")"
fi
psql_at "$replica_admin" 'SELECT pg_wal_replay_resume()' >/dev/null
if export_from replica ledger "$R/resumed.csv" && export_from primary ledger "$R/now2.csv" \
    && cmp -s "$R/resumed.csv" "$R/now2.csv"; then
    ok "replay resumed: the replica's export waited and equals the primary's again"
else
    bad "after resuming, the replica's export differs or failed: $(cat "$R/resumed.csv.err")"
fi

# 4. Down: stopped; then a server that accepts connections and never
#    answers (connect_timeout bounds the wait).
stack_as_pg "$bindir/pg_ctl" -D "$R/data" -m fast -w stop >/dev/null
t0=$(date +%s%N)
export_from replica rmas "$R/down.csv"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
err=$(tail -n 1 "$R/down.csv.err") # after the log's JSON line
[ "$rc" = 1 ] && [ "$ms" -lt 5000 ] && ok "the replica stopped: exit 1 after $ms ms" \
    || bad "replica stopped: exit $rc after $ms ms"
[ "$err" = "export: the export database (export_database_url) is unavailable" ] \
    && ok "it says: $err" || bad "unclear error: $err"
mkdir "$R/hang"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + "/.s.PGSQL.5432"); s.listen(8)
time.sleep(120)' "$R/hang" &
hang_pid=$!
for _ in $(seq 1 50); do [ -S "$R/hang/.s.PGSQL.5432" ] && break; sleep 0.1; done
t0=$(date +%s%N)
env RMA_EXPORT_DATABASE_URL="host=$R/hang dbname=rma user=rma_web" \
    rmactl export rmas "${period[@]}" --output "$R/hang.csv" 2>"$R/hang.err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 1 ] && [ "$ms" -lt 10000 ] && ok "a replica that never answers: exit 1 after $ms ms" \
    || bad "a silent replica: exit $rc after $ms ms: $(cat "$R/hang.err")"

echo "replica: $fails failed"
[ "$fails" = 0 ]
