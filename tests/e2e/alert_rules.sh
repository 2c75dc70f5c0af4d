#!/usr/bin/env bash
# alert_rules.sh - contrib/prometheus/rma-alerts.yml against promtool and
# against the service: `promtool check rules`, the cases of
# rma-alerts.test.yml (`promtool test rules`), the suite's GET /metrics
# through `promtool check metrics`, and every metric the rules name (in
# their expressions and the queries of their annotations) among the
# families /metrics exports, so that the rules and the service cannot
# drift apart.  Run by tests/run-suite with its stack; promtool comes with
# Debian's prometheus package (scripts/bootstrap --sanitizers installs it).
set -u
: "${top_srcdir:?}" "${RMA_TEST_BASE_URL:?}"
rules="$top_srcdir/contrib/prometheus/rma-alerts.yml"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "not ok: $*"; fails=$((fails + 1)); }

if ! command -v promtool >/dev/null 2>&1; then
    echo "alert_rules: promtool is not installed (apt-get install prometheus, or scripts/bootstrap --sanitizers)" >&2
    exit 1
fi

out=$(promtool check rules "$rules" 2>&1) && ok "promtool check rules: $(tail -n 1 <<<"$out" | sed 's/^ *//')" \
    || { echo "$out"; bad "promtool check rules"; }
out=$(cd "$top_srcdir/contrib/prometheus" && promtool test rules rma-alerts.test.yml 2>&1) \
    && ok "promtool test rules: every alert fires on its case and not on a healthy service" \
    || { echo "$out"; bad "promtool test rules"; }

metrics=$(curl -fsS "$RMA_TEST_BASE_URL/metrics") || { bad "GET /metrics failed"; exit 1; }
out=$(promtool check metrics <<<"$metrics" 2>&1) && ok "promtool check metrics: /metrics is well-formed" \
    || { echo "$out"; bad "promtool check metrics"; }

# A family is exported when /metrics has its TYPE line (also when it has no
# sample yet, e.g. no exception is open); a histogram's series carry
# suffixes.
exported() {
    grep -qE "^# TYPE $1 " <<<"$metrics" && return 0
    base=$(sed -E 's/_(bucket|sum|count)$//' <<<"$1")
    grep -qE "^# TYPE $base histogram$" <<<"$metrics"
}
names=$(grep -v '^ *#' "$rules" | grep -oE '\brma_[a-z0-9_]+' | sort -u)
[ -n "$names" ] || bad "no metric found in $rules"
missing=()
for n in $names; do exported "$n" || missing+=("$n"); done
if [ "${#missing[@]}" = 0 ]; then
    ok "the rules' $(wc -w <<<"$names") metrics are all exported by /metrics"
else
    bad "metrics the rules use but /metrics does not export: ${missing[*]}"
fi
[ "$fails" = 0 ]
