#!/usr/bin/env bash
# manpages.sh - the manual pages (man/*.in, made into the build tree by
# make): each renders with `groff -ww -mdoc` (and `man -l` where man-db is
# installed) without a single warning, and rma.conf(5) documents exactly
# the keys of src/config.c, each with its RMA_<KEY> variable and, for the
# secrets, <key>_file and RMA_<KEY>_FILE, so that the page and the code
# cannot drift apart.  Run by tests/run-suite before the stack starts.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "not ok: $*"; fails=$((fails + 1)); }

command -v groff >/dev/null 2>&1 \
    || { echo "manpages: groff is not installed (apt-get install groff-base)" >&2; exit 1; }
export LC_ALL=C.UTF-8 MANWIDTH=80

pages=(man/paypal-sim.1 man/rma.conf.5 man/rma-fcgi.8 man/rmactl.8)
for p in "${pages[@]}"; do
    f="$top_builddir/$p"
    if [ ! -s "$f" ]; then bad "$p is not built (make)"; continue; fi
    out=$(groff -ww -mdoc -Tutf8 -z "$f" 2>&1)
    [ -z "$out" ] && ok "$p renders without warnings (groff -ww -mdoc)" \
        || { echo "$out"; bad "$p: groff warns"; }
    grep -q '@[A-Z]*@' "$f" && bad "$p still has @NAMES@ in it"
    if command -v man >/dev/null 2>&1; then
        out=$(man --warnings -l "$f" 2>&1 >/dev/null)
        [ -z "$out" ] && ok "$p: man -l --warnings is silent" \
            || { echo "$out"; bad "$p: man -l warns"; }
    fi
done

# The keys of src/config.c: {"name", S(field), default, secret, min, max}.
conf="$top_builddir/man/rma.conf.5"
keys=$(sed -n '/^static const struct key keys\[\] = {/,/^};/p' "$top_srcdir/src/config.c" \
    | tr -d '\n' | tr -s ' ' \
    | grep -oE '\{"[a-z_]+", [SLB]\([a-z_]+\), ("[^"]*"|[A-Z_]+), (true|false)' \
    | sed -E 's/^\{"([a-z_]+)".*, (true|false)$/\1 \2/')
n_struct=$(grep -cE '^ *\{"[a-z_]+", [SLB]\(' "$top_srcdir/src/config.c")
[ "$(wc -l <<<"$keys")" = "$n_struct" ] || bad "could not read the keys of src/config.c (found: $keys)"
missing=()
while read -r key secret; do
    [ -n "$key" ] || continue
    env="RMA_$(tr a-z A-Z <<<"$key")"
    grep -qx "\.It Cm $key .*" "$conf" || grep -qx "\.It Cm $key" "$conf" || missing+=("$key (entry)")
    grep -qw "$env" "$conf" || missing+=("$env")
    if [ "$secret" = true ]; then
        grep -qw "${key}_file" "$conf" || missing+=("${key}_file")
        grep -qw "${env}_FILE" "$conf" || missing+=("${env}_FILE")
    fi
done <<<"$keys"
[ "${#missing[@]}" = 0 ] && ok "rma.conf(5) documents the $(wc -l <<<"$keys") keys of src/config.c" \
    || bad "rma.conf(5) lacks: ${missing[*]}"
extra=()
for k in $(sed -n '/^\.Sh KEYS/,/^\.Sh /s/^\.It Cm \([a-z_]*\).*/\1/p' "$conf"); do
    grep -q "^$k " <<<"$keys" || extra+=("$k")
done
[ "${#extra[@]}" = 0 ] && ok "rma.conf(5) documents no key that src/config.c does not know" \
    || bad "rma.conf(5) documents keys src/config.c does not know: ${extra[*]}"
[ "$fails" = 0 ]
