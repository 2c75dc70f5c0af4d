#!/usr/bin/env bash
# bench/export.sh - the export benchmark of SPEC §11: rows per second of
# `rmactl export ledger` against `psql -c "\copy (...) to stdout csv"` over
# the same rows (the same joins, filter and order; psql writes the raw
# values, rmactl formats amounts and times and neutralizes text), and the
# peak memory of rmactl at 10k and at 1M rows.  Target: ratio >= 0.5, memory
# flat.  The ratio is the last line.
#
#   bench/export.sh [ROWS]        (ROWS postings, default 1000000)
#
# Run it from a build directory (top_builddir, default .) built without
# sanitizers: it starts its own throwaway PostgreSQL cluster under a
# temporary directory (scripts/stack.sh), never the demo's, and removes it.
# Each tool runs RUNS times (default 3) after a warm-up, the two taking
# turns; the best run of each counts.
# Peak memory comes from tests/peak_rss when built (make check builds it),
# else from GNU time.
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
export top_srcdir top_builddir PG_BINDIR="${PG_BINDIR:-}"
ROWS=${1:-1000000}
RUNS=${RUNS:-3}
[ -x "$top_builddir/rmactl" ] || { echo "export bench: no rmactl in $top_builddir (build first, or set top_builddir)" >&2; exit 2; }
[ "$ROWS" -ge 20000 ] || { echo "export bench: ROWS must be at least 20000" >&2; exit 2; }
# shellcheck source=../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"

RUN=$(mktemp -d /tmp/rma-bench-export.XXXXXX)
chmod 0755 "$RUN"
export RUN
cleanup() { set +e; stack_pg_stop; stack_pg_destroy; rm -rf "$RUN"; }
trap cleanup EXIT
mkdir -p "$RUN/log"
# Only PostgreSQL runs; the configuration names ports nothing listens on.
HTTP_PORT=1 SIM_PORT=1 STACK_TEST_MODE=true STACK_LOG_LEVEL=warn
export HTTP_PORT SIM_PORT STACK_TEST_MODE STACK_LOG_LEVEL
stack_pg_start
stack_write_config
export RMA_CONFIG="$RUN/rma.conf"
rmactl=$top_builddir/rmactl
"$rmactl" migrate >/dev/null
psql_bin="$(stack_pg_bindir)/psql"
app_url="host=$PGDIR dbname=rma user=rma_web"
admin_url="host=$PGDIR dbname=rma user=rma_admin"

# ROWS postings: ROWS/2 balanced entries one second apart from 2030-01-01,
# a memo with quotes and commas on every tenth.
entries=$((ROWS / 2))
t0=$(date +%s.%N)
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$admin_url" <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO journal_entry (idempotency_key, kind, memo, effective_at, created_at)
SELECT 'bench:' || g, 'adjustment',
       CASE WHEN g % 10 = 0 THEN 'memo "' || g || '", with a comma' END,
       timestamptz '2030-01-01' + g * interval '1 second',
       timestamptz '2030-01-01' + g * interval '1 second'
FROM generate_series(1, $entries) g;
INSERT INTO posting (entry_id, account, currency, amount_minor)
SELECT e.id, l.account, 'USD', l.sign * (e.id % 100000 + 1)
FROM journal_entry e
CROSS JOIN (VALUES ('paypal:balance', 1), ('income:makeup_payments', -1)) l(account, sign);
COMMIT;
ANALYZE journal_entry;
ANALYZE posting;
SQL
t1=$(date +%s.%N)
from=2030-01-01
to=$(date -u -d "2030-01-01 + $((entries + 1)) seconds" +%Y-%m-%dT%H:%M:%SZ)
to_10k=2030-01-01T01:23:21Z   # 5,000 entries: 10,000 postings

# The same rows as db_export.c's ledger query, as psql's CSV of raw values.
query="SELECT e.effective_at, e.id, e.kind, p.id, p.account, a.kind,
 p.currency, p.amount_minor, r.number, e.hold_id, e.paypal_id, e.makeup_id,
 e.idempotency_key, e.memo, e.created_at
 FROM posting p JOIN journal_entry e ON e.id = p.entry_id
 JOIN ledger_account a ON a.code = p.account
 LEFT JOIN rma r ON r.id = e.rma_id
 WHERE e.effective_at >= '$from' AND e.effective_at < '$to'
 ORDER BY e.effective_at, e.id, p.id"
query=$(tr '\n' ' ' <<<"$query")

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; } # format, expression
timed() { # command...: its wall time in seconds
    s=$(now); "$@" >/dev/null 2>"$RUN/err" || { cat "$RUN/err" >&2; exit 1; }; e=$(now)
    calc %.6f "$e - $s"
}
lesser() { # a b: the smaller, a may be empty
    if [ -z "$1" ] || [ "$(calc %d "$2 < $1")" = 1 ]; then echo "$2"; else echo "$1"; fi
}
export_ledger() { RMA_DATABASE_URL=$app_url "$rmactl" export ledger --from "$1" --to "$2"; }
psql_copy() { "$psql_bin" -X -q -d "$app_url" -c "\\copy ($query) to stdout csv"; }
peak_kib() { # to: peak RSS in KiB of rmactl export ledger over [from, to)
    if [ -x "$top_builddir/tests/peak_rss" ]; then
        "$top_builddir/tests/peak_rss" "$RUN/rss" env RMA_DATABASE_URL="$app_url" \
            "$rmactl" export ledger --from "$from" --to "$1" >/dev/null 2>&1
        cat "$RUN/rss"
    else
        RMA_DATABASE_URL=$app_url /usr/bin/time -f %M -o "$RUN/rss" \
            "$rmactl" export ledger --from "$from" --to "$1" >/dev/null 2>&1
        tail -n 1 "$RUN/rss"
    fi
}

rows_rmactl=$(export_ledger "$from" "$to" 2>/dev/null | tail -n +2 | wc -l)
rows_psql=$(psql_copy | wc -l)
[ "$rows_rmactl" = "$ROWS" ] && [ "$rows_psql" = "$ROWS" ] \
    || { echo "export bench: row counts differ: rmactl $rows_rmactl, psql $rows_psql, want $ROWS" >&2; exit 1; }
# The best of RUNS runs of each, the two taking turns (the VM's speed
# drifts within minutes), after one run of each to warm the caches.
export_ledger "$from" "$to" >/dev/null 2>&1
psql_copy >/dev/null 2>&1
t_rmactl="" t_psql=""
for _ in $(seq 1 "$RUNS"); do
    t_rmactl=$(lesser "$t_rmactl" "$(timed export_ledger "$from" "$to")")
    t_psql=$(lesser "$t_psql" "$(timed psql_copy)")
done
rss_10k=$(peak_kib "$to_10k")
rss_all=$(peak_kib "$to")

sanitizers=no
if nm -D "$rmactl" 2>/dev/null | grep -q __asan_init || ldd "$rmactl" | grep -q asan; then
    sanitizers="YES (numbers not representative: rebuild without --enable-sanitizers)"
fi
cat <<EOF
export benchmark (SPEC §11) - $(date -u +%Y-%m-%dT%H:%M:%SZ)
machine:    $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
postgresql: $("$psql_bin" -X -At -d "$app_url" -c 'SHOW server_version')
sanitizers: $sanitizers
command:    bench/export.sh $ROWS (RUNS=$RUNS, best run)
rows:       $ROWS postings ($entries entries), written in $(calc %.1f "$t1 - $t0") s
rmactl export ledger:    $(calc %.2f "$t_rmactl") s  $(calc %.0f "$ROWS / $t_rmactl") rows/s  $(export_ledger "$from" "$to" 2>/dev/null | wc -c) bytes
psql \\copy ... csv:      $(calc %.2f "$t_psql") s  $(calc %.0f "$ROWS / $t_psql") rows/s  $(psql_copy | wc -c) bytes
peak RSS of rmactl:      $rss_10k KiB at 10000 rows, $rss_all KiB at $ROWS rows
ratio (rmactl / psql rows per second, target >= 0.8, issue 18): $(calc %.2f "$t_psql / $t_rmactl")
EOF
