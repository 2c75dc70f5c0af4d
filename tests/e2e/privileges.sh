#!/usr/bin/env bash
# privileges.sh - nothing that faces the network runs as root: nginx's
# workers, rma-fcgi's supervisor and workers and paypal-sim run as the
# services' user (scripts/stack.sh: rma-demo when the stack is started by
# root), nginx's master alone keeps root to bind and open its logs.  The
# demo starts the same stack.  Run by tests/run-suite with its stack.
set -u
: "${RUN:?}" "${top_srcdir:?}" "${top_builddir:?}"
. "$top_srcdir/scripts/stack.sh"
fails=0
ok() { echo "ok: $*"; }
bad() { echo "not ok: $*"; fails=$((fails + 1)); }

uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
user_of() { ps -o user= -p "$1" 2>/dev/null | tr -d ' '; }
want=$(stack_user)
[ -n "$want" ] || want=$(id -un)

check() { # what pid
    u=$(uid_of "$2")
    if [ -z "$u" ]; then
        bad "$1 (pid $2) is not running"
    elif [ "$u" = 0 ]; then
        bad "$1 (pid $2) runs as root"
    elif [ "$(user_of "$2")" != "$want" ]; then
        bad "$1 (pid $2) runs as $(user_of "$2"), not $want"
    else
        ok "$1 (pid $2) runs as $want"
    fi
}

fcgi=$(cat "$RUN/rma-fcgi.pid")
check "rma-fcgi's supervisor" "$fcgi"
n=0
for w in $(pgrep -P "$fcgi"); do check "an rma-fcgi worker" "$w"; n=$((n + 1)); done
[ "$n" -gt 0 ] || bad "rma-fcgi has no workers"
[ -f "$RUN/paypal-sim.pid" ] && check "paypal-sim" "$(cat "$RUN/paypal-sim.pid")"
master=$(cat "$RUN/nginx/nginx.pid")
n=0
for w in $(pgrep -P "$master"); do check "an nginx worker" "$w"; n=$((n + 1)); done
[ "$n" -gt 0 ] || bad "nginx has no workers"

# What they write is theirs: the socket.
if [ -n "$(stack_user)" ]; then
    [ "$(stat -c %U "$RUN/rma.sock")" = "$want" ] \
        && ok "the socket belongs to $want" || bad "the socket belongs to $(stat -c %U "$RUN/rma.sock")"
else
    echo "(the suite does not run as root: the services run as $want, as the suite does)"
fi
[ "$fails" = 0 ]
