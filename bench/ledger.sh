#!/usr/bin/env bash
# bench/ledger.sh - the ledger against its limit (SPEC §11): journal entries
# per second at 8 clients against pgbench TPC-B at 8 clients on the same
# throwaway cluster, for the same duration.  The ledger load
# (bench/ledger_load.c) posts what a capture posts, in one transaction per
# capture as the capture path does: the hold's release (2 postings) and the
# capture (3 postings), the two entries in one statement
# (ledger_capture_with_release), each capture on a hold of its own.  For
# reference it then posts capture entries alone, one per transaction.
# Prints entries/s, tps and, last, the ratio (target >= 1.0, issue 18).
#
#   cd build && ../bench/ledger.sh [SECONDS=30] [CLIENTS=8]
#
# Run it from a build WITHOUT sanitizers (./configure; make).  It starts its
# own PostgreSQL cluster (scripts/stack.sh, as user postgres under a
# temporary directory) and removes it afterwards.  pgbench runs at scale 8
# (one branch per client, so TPC-B's branch row is not one hot spot) in a
# database of its own.
set -eu
SECONDS_RUN=${1:-30}
CLIENTS=${2:-8}
SCALE=8
# A hold per capture, in two rounds: enough for 6,000 entries/s.
HOLDS=$((6000 * SECONDS_RUN))
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
[ -x "$top_builddir/rmactl" ] || { echo "run from the build directory" >&2; exit 2; }
make -s -C "$top_builddir" bench/ledger_load >/dev/null
# shellcheck source=../scripts/stack.sh
. "$top_srcdir/scripts/stack.sh"
RUN=$(mktemp -d /tmp/rma-bench.XXXXXX)
chmod 0755 "$RUN"
export RUN
trap 'stack_pg_stop 2>/dev/null; stack_pg_destroy 2>/dev/null; [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"' EXIT
mkdir -p "$RUN/log" "$RUN/mail" "$RUN/uploads"
HTTP_PORT=$(stack_free_port) SIM_PORT=$(stack_free_port)
STACK_TEST_MODE=true STACK_LOG_LEVEL=warn
export HTTP_PORT SIM_PORT STACK_TEST_MODE STACK_LOG_LEVEL
stack_pg_start
stack_write_config
bindir=$(stack_pg_bindir)
PGDIR=$(readlink -f "$RUN/pg")
"$top_builddir/rmactl" --config "$RUN/rma.conf" migrate >"$RUN/log/migrate.log" 2>&1 \
    || { cat "$RUN/log/migrate.log" >&2; exit 1; }
psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -U rma_admin "$@"; }

# Holds 1..HOLDS, each of its own case with the same id, for the entries to
# name (foreign keys and the hold index are part of the work).
psql -d rma >/dev/null <<SQL
INSERT INTO customer (email, name)
    SELECT 'bench-' || g || '@example.com', 'Bench' FROM generate_series(1, $HOLDS) g;
INSERT INTO original_order (order_number, sales_channel, customer_id,
        shipping_country, currency, purchase_date)
    SELECT 'B-' || id, 'bench', id, 'US', 'USD', current_date FROM customer ORDER BY id;
INSERT INTO rma (number, customer_id, order_id, kind, status, problem, currency,
        replacement_minor, warehouse_region, replacement_method, created_by)
    SELECT 'RMA-2026-' || lpad(id::text, 6, '0'), customer_id, id, 'replacement',
        'awaiting_preauth', 'bench', 'USD', 12999, 'US', 'advanced', 'bench'
    FROM original_order ORDER BY id;
INSERT INTO preauth_acceptance (rma_id, customer_id, terms_version, terms_text,
        amount_minor, currency, accepted_at)
    SELECT id, customer_id, 'v1', 'bench', 12999, 'USD', now() FROM rma ORDER BY id;
INSERT INTO hold (rma_id, acceptance_id, status, currency, amount_minor,
        created_at, updated_at)
    SELECT rma_id, id, 'pending_approval', 'USD', 12999, now(), now()
    FROM preauth_acceptance ORDER BY id;
SQL
mismatched=$(psql -d rma -At -c "SELECT count(*) FROM hold WHERE id <> rma_id OR id > $HOLDS")
[ "$mismatched" = 0 ] || { echo "holds and cases are not numbered alike" >&2; exit 1; }

# Settled before the measured runs: autovacuum would otherwise take the
# new rows in while pgbench runs.  Not the ledger's tables: analyzed empty,
# they would get the plans of empty tables (sequential scans) for good.
psql -d rma -c "VACUUM ANALYZE customer, original_order, rma, preauth_acceptance, hold" >/dev/null

echo "pgbench: initializing scale $SCALE..." >&2
psql -d postgres -c "CREATE DATABASE pgbench" >/dev/null
"$bindir/pgbench" -h "$PGDIR" -U rma_admin -i -q -s "$SCALE" pgbench >"$RUN/log/pgbench-init.log" 2>&1
psql -d rma -c "CHECKPOINT" >/dev/null

# Alternately, twice each (pgbench, ledger, pgbench, ledger): the VM's
# speed drifts by a third within minutes, and each side's mean is taken
# over the same stretch of time.  Each ledger round takes holds of its own.
tps_sum=0 eps_sum=0 errors=0 out=
for round in 1 2; do
    echo "pgbench TPC-B, round $round: $CLIENTS clients, $SECONDS_RUN s..." >&2
    "$bindir/pgbench" -h "$PGDIR" -U rma_admin -c "$CLIENTS" -j "$CLIENTS" \
        -T "$SECONDS_RUN" pgbench >"$RUN/log/pgbench-$round.log" 2>&1
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' \
        "$RUN/log/pgbench-$round.log")
    [ -n "$tps" ] || { cat "$RUN/log/pgbench-$round.log" >&2; exit 1; }
    psql -d rma -c "CHECKPOINT" >/dev/null

    echo "ledger, round $round: $CLIENTS clients, $SECONDS_RUN s..." >&2
    first=$(( (round - 1) * HOLDS / 2 + 1 ))
    o=$("$top_builddir/bench/ledger_load" "host=$PGDIR dbname=rma user=rma_web" \
        "$CLIENTS" "$SECONDS_RUN" "$(( round * HOLDS / 2 ))" pair "$first")
    eps=$(sed -n 's/.*entries_per_s=\([0-9.]*\).*/\1/p' <<<"$o")
    e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$o")
    psql -d rma -c "CHECKPOINT" >/dev/null
    out="$out
  round $round: pgbench $tps tps; ledger $o"
    tps_sum=$(awk -v a="$tps_sum" -v b="$tps" 'BEGIN { print a + b }')
    eps_sum=$(awk -v a="$eps_sum" -v b="$eps" 'BEGIN { print a + b }')
    errors=$((errors + e))
done
tps=$(awk -v s="$tps_sum" 'BEGIN { printf "%.1f", s / 2 }')
eps=$(awk -v s="$eps_sum" 'BEGIN { printf "%.1f", s / 2 }')

echo "reference, one capture entry per transaction: $CLIENTS clients, $SECONDS_RUN s..." >&2
single=$("$top_builddir/bench/ledger_load" "host=$PGDIR dbname=rma user=rma_web" \
    "$CLIENTS" "$SECONDS_RUN" 1000 single)
entries=$(psql -d rma -At -c "SELECT count(*) FROM journal_entry")
postings=$(psql -d rma -At -c "SELECT count(*) FROM posting")
unbalanced=$(psql -d rma -At -c "SELECT count(*) FROM (SELECT entry_id FROM posting GROUP BY entry_id HAVING sum(amount_minor) <> 0) u")

echo "ledger (captures, two entries in one statement), by round:$out"
echo "reference (capture entries alone, one per transaction): $single"
echo "ledger: $entries entries and $postings postings stored, $unbalanced unbalanced"
echo "pgbench TPC-B (scale $SCALE, $CLIENTS clients), mean of the rounds: $tps tps"
echo "ledger, mean of the rounds: $eps entries/s, $errors errors"
awk -v e="$eps" -v t="$tps" 'BEGIN { printf "ratio: %.2f (target >= 1.0)\n", e / t }'
[ "$errors" = 0 ] && [ "$unbalanced" = 0 ]
