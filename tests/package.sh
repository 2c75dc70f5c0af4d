#!/usr/bin/env bash
# package.sh - the Debian packages end to end (debian/README.source), run by
# .ci/run after the suite, as root on a Debian 12 machine:
#
#  1. builds rma and rma-paypal-sim with `dpkg-buildpackage -us -uc -b` from
#     `git archive` of the checkout (uncommitted changes to tracked files
#     included) in a temporary directory, so the developer's tree and its
#     sanitizer build are left alone; lintian;
#  2. installs them with apt-get and checks what the package set up (user,
#     directories, modes, units present and none enabled);
#  3. configures the installed /etc/rma/rma.conf as README.Debian says,
#     against a throwaway PostgreSQL cluster (run as postgres), runs
#     `rmactl migrate`, starts the installed rma-fcgi the way its units do
#     (the socket of rma-fcgi.socket passed by systemd-socket-activate, the
#     ExecStart, user and environment of rma-fcgi.service: no systemd runs
#     in CI), the mail sender as rma-mail-sender.service runs it, nginx
#     with the installed example adapted (no TLS, a free loopback port, its
#     workers as www-data) and the installed paypal-sim;
#  4. a smoke journey through nginx: healthz, staff tokens, a case created,
#     submitted and approved, a customer's sign-in code from the mail
#     spool (written by the sender, as rma), lists of cases, a picture
#     uploaded and read back, the PayPal hold approved at the simulator,
#     `run-jobs` as the timer runs it, `ledger verify`;
#  5. purges both packages (and again after a reinstall with no uploads)
#     and checks that what policy says goes is gone.
#
# Prints "package: built", "package: installed", "package: smoke journey
# passed", "package: removed"; exits non-zero on the first failure, after
# stopping what it started and purging what it installed.  KEEP=1 keeps the
# temporary directory (logs, packages); --build-only stops after lintian and
# keeps it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export top_srcdir=$top top_builddir=$top
# shellcheck source=../scripts/stack.sh
. "$top/scripts/stack.sh" # stack_free_port, stack_pg_bindir

log() { printf 'package: %s\n' "$*"; }
fail() {
    printf 'package: FAILED: %s\n' "$*" >&2
    exit 1
}
build_only=
case ${1:-} in
    --build-only) build_only=1 ;;
    "") ;;
    *) fail "usage: tests/package.sh [--build-only]" ;;
esac
[ "$(id -u)" = 0 ] || fail "run as root: it installs and removes packages"

T=$(mktemp -d /tmp/rma-pkg.XXXXXX)
chmod 0755 "$T"
mkdir -p "$T/log"
pids=()
cleanup() {
    rc=$?
    set +e
    [ -f "$T/nginx/nginx.pid" ] && kill -QUIT "$(cat "$T/nginx/nginx.pid")" 2>/dev/null
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    if [ -f "$T/pg/data/postmaster.pid" ]; then
        runuser -u postgres -- "$(stack_pg_bindir)/pg_ctl" -D "$T/pg/data" \
            -m fast -w stop >/dev/null 2>&1
    fi
    if [ "$rc" != 0 ]; then
        for f in "$T"/log/*.log "$T"/nginx/error.log; do
            [ -s "$f" ] || continue
            echo "--- $f (last 30 lines)"
            tail -n 30 "$f"
        done
        if dpkg-query -W -f='${Status}' rma 2>/dev/null | grep -q installed; then
            DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq rma rma-paypal-sim \
                >/dev/null 2>&1
        fi
    fi
    rm -rf /run/rma
    if [ -n "${KEEP:-}${build_only:-}" ] || [ "$rc" != 0 ]; then
        echo "package: files of this run in $T"
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ build
export DEBIAN_FRONTEND=noninteractive
# systemd: systemd-socket-activate starts rma-fcgi as its socket unit would.
tools=(debhelper dpkg-dev fakeroot lintian git systemd curl python3)
missing=()
for p in "${tools[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$T/log/apt-tools.log" 2>&1 \
        || fail "apt-get install ${missing[*]} (see $T/log/apt-tools.log)"
fi

commit=$(git -C "$top" -c user.name=package -c user.email=package@localhost \
    stash create 2>/dev/null || true)
git -C "$top" archive --prefix=src/ "${commit:-HEAD}" | tar -x -C "$T"
if ! (cd "$T/src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
    log "installing the build dependencies"
    apt-get build-dep -y -qq "$T/src" >"$T/log/apt-build-dep.log" 2>&1 \
        || fail "apt-get build-dep (see $T/log/apt-build-dep.log)"
fi
(cd "$T/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
    dpkg-buildpackage -us -uc -b) >"$T/log/build.log" 2>&1 \
    || { tail -n 40 "$T/log/build.log"; fail "dpkg-buildpackage (see $T/log/build.log)"; }
debs=$(cd "$T" && ls rma_*.deb rma-paypal-sim_*.deb)
log "built: ${debs//$'\n'/ }"

# lintian: clean, but for the tags debian/README.source explains (each
# override says why beside it).  The manual pages are in the packages
# (read from a file: grep -q closing a pipe would fail it under pipefail).
dpkg-deb -c "$T"/rma_*.deb >"$T/log/contents-rma.txt"
dpkg-deb -c "$T"/rma-paypal-sim_*.deb >"$T/log/contents-sim.txt"
for page in man5/rma.conf.5 man8/rma-fcgi.8 man8/rmactl.8; do
    grep -q "usr/share/man/$page" "$T/log/contents-rma.txt" \
        || fail "the rma package lacks its manual page $page"
done
grep -q 'usr/share/man/man1/paypal-sim.1' "$T/log/contents-sim.txt" \
    || fail "the rma-paypal-sim package lacks paypal-sim(1)"
lrc=0
lintian --fail-on error,warning "$T"/rma_*_*.changes \
    >"$T/log/lintian.raw" 2>&1 || lrc=$?
grep -v 'running with root privileges' "$T/log/lintian.raw" >"$T/log/lintian.log" || true
cat "$T/log/lintian.log"
[ "$lrc" = 0 ] || fail "lintian found problems"
log "lintian: $(grep -c . "$T/log/lintian.log" || true) tags; manual pages: rma.conf(5), rma-fcgi(8), rmactl(8), paypal-sim(1)"

if [ -n "$build_only" ]; then
    log "the packages are in $T"
    exit 0
fi

# ---------------------------------------------------------------- install
# shellcheck disable=SC2086
(cd "$T" && apt-get install -y -qq --no-install-recommends ./rma_*.deb ./rma-paypal-sim_*.deb) \
    >"$T/log/install.log" 2>&1 || fail "apt-get install (see $T/log/install.log)"
check() { # description, command...
    local what=$1
    shift
    "$@" || fail "$what"
}
mode_of() { stat -c '%U:%G %a' "$1"; }
check "the system user rma exists" getent passwd rma >/dev/null
[ "$(getent passwd rma | cut -d: -f7)" = /usr/sbin/nologin ] || fail "rma has a login shell"
[ "$(mode_of /etc/rma/rma.conf)" = "root:rma 640" ] || fail "/etc/rma/rma.conf: $(mode_of /etc/rma/rma.conf)"
[ "$(mode_of /var/lib/rma/uploads)" = "rma:www-data 2750" ] || fail "uploads: $(mode_of /var/lib/rma/uploads)"
[ "$(mode_of /var/spool/rma)" = "rma:rma 750" ] || fail "spool: $(mode_of /var/spool/rma)"
for u in rma-fcgi.socket rma-fcgi.service rma-jobs.service rma-jobs.timer \
    rma-mail-sender.service; do
    check "unit $u installed" test -f "/lib/systemd/system/$u"
done
if ls /etc/systemd/system/*.wants/rma-* >/dev/null 2>&1; then
    fail "a unit was enabled by the installation: $(ls /etc/systemd/system/*.wants/rma-*)"
fi
check "/usr/share/rma/web/index.html" test -f /usr/share/rma/web/index.html
check "the migrations in migrations_dir's default" test -f /usr/share/rma/migrations/0001_base.sql
log "installed: $(dpkg-query -W -f='${Package} ${Version}, ' rma rma-paypal-sim)user rma, nothing enabled or started"

# ---------------------------------------------------- database and config
pgbin=$(stack_pg_bindir)
install -d -o postgres -m 0755 "$T/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$T/pg/data" -U postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$T/log/initdb.log" 2>&1 || fail "initdb"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$T/pg/data" -l "$T/pg/postgresql.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$T/pg'" start >/dev/null \
    || fail "PostgreSQL did not start"
# README.Debian, step 1.
"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$T/pg" -U postgres -d postgres <<'SQL' \
    || fail "creating the roles and the database"
CREATE ROLE rma_admin LOGIN;
CREATE DATABASE rma OWNER rma_admin;
CREATE ROLE rma_app NOLOGIN;
CREATE ROLE rma LOGIN IN ROLE rma_app;
SQL

HTTP_PORT=$(stack_free_port)
SIM_PORT=$(stack_free_port)
base="http://127.0.0.1:$HTTP_PORT"
# README.Debian, step 2, on the installed file; the simulator instead of
# PayPal (plain HTTP: test_mode) and the spool instead of SMTP.
conf=/etc/rma/rma.conf
sed -i -e "s|^database_url = .*|database_url = host=$T/pg dbname=rma user=rma|" \
    -e "s|^admin_database_url = .*|admin_database_url = host=$T/pg dbname=rma user=rma_admin|" \
    -e "s|^public_base_url = .*|public_base_url = $base|" \
    -e "s|^paypal_base_url = .*|paypal_base_url = http://127.0.0.1:$SIM_PORT|" \
    -e "s|^paypal_client_id = .*|paypal_client_id = rma-pkg-client|" \
    -e "s|^smtp_url = |#smtp_url = |" -e "s|^#mail_spool_dir = |mail_spool_dir = |" "$conf"
cat >>"$conf" <<CONF
test_mode = true
paypal_webhook_ca_file = $T/paypal-sim-ca.pem
paypal_cert_hosts = http://127.0.0.1:$SIM_PORT
CONF
(
    cd /etc/rma && umask 027
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >secret_pepper
    printf 'sim-secret\n' >paypal_client_secret
    printf 'WHPKG\n' >paypal_webhook_id
    chgrp rma secret_pepper paypal_client_secret paypal_webhook_id
)
runuser -u rma -- rmactl --config "$conf" config check >"$T/log/config-check.log" 2>&1 \
    || { cat "$T/log/config-check.log"; fail "rmactl config check as rma"; }
rmactl --config "$conf" migrate >"$T/log/migrate.log" 2>&1 \
    || { cat "$T/log/migrate.log"; fail "rmactl migrate"; }
log "$(tail -n 1 "$T/log/migrate.log")"

# ---------------------------------------------------------------- services
paypal-sim --listen "127.0.0.1:$SIM_PORT" --client-id rma-pkg-client \
    --client-secret sim-secret --webhook-id WHPKG \
    --webhook-url "$base/api/v1/paypal/webhooks" \
    --ca-out "$T/paypal-sim-ca.pem" >"$T/log/paypal-sim.log" 2>&1 &
pids+=($!)

# rma-fcgi as its units say: the socket's path, owner and mode from
# rma-fcgi.socket; ExecStart, User, Group and Environment from
# rma-fcgi.service.
unit_value() { sed -n "s/^$2=//p" "/lib/systemd/system/$1" | tail -n 1; }
listen=$(unit_value rma-fcgi.socket ListenStream)
exec_start=$(unit_value rma-fcgi.service ExecStart)
user=$(unit_value rma-fcgi.service User)
group=$(unit_value rma-fcgi.service Group)
environment=$(unit_value rma-fcgi.service Environment)
install -d -m "$(unit_value rma-fcgi.socket DirectoryMode)" "$(dirname "$listen")"
# shellcheck disable=SC2086
systemd-socket-activate -l "$listen" -E "$environment" -- \
    setpriv --reuid "$user" --regid "$group" --init-groups $exec_start \
    >"$T/log/rma-fcgi.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$listen" ] && break; sleep 0.1; done
[ -S "$listen" ] || fail "no socket at $listen"
chown "$(unit_value rma-fcgi.socket SocketUser):$(unit_value rma-fcgi.socket SocketGroup)" "$listen"
chmod "$(unit_value rma-fcgi.socket SocketMode)" "$listen"

# The mail sender as rma-mail-sender.service runs it (ExecStart, User,
# Group, Environment): the workers only queue mail.
sender_exec=$(unit_value rma-mail-sender.service ExecStart)
# shellcheck disable=SC2086
env "$(unit_value rma-mail-sender.service Environment)" \
    setpriv --reuid "$(unit_value rma-mail-sender.service User)" \
    --regid "$(unit_value rma-mail-sender.service Group)" --init-groups $sender_exec \
    >"$T/log/rma-mail-sender.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q '"mail_sender_listening"' "$T/log/rma-mail-sender.log" && break
    sleep 0.1
done
grep -q '"mail_sender_listening"' "$T/log/rma-mail-sender.log" \
    || fail "the mail sender does not listen"

# nginx: the installed example without TLS (its redirecting server, its
# ssl_ lines), on a free loopback port, logs here.
ex=/usr/share/doc/rma/examples
mkdir -p "$T/nginx/tmp"
chown www-data "$T/nginx/tmp"
cp "$ex/fastcgi_params" "$T/nginx/rma_fastcgi_params"
cp "$ex/security_headers" "$T/nginx/rma_security_headers"
awk '
    /^server \{/ { block = $0 "\n"; inside = 1; next }
    inside { block = block $0 "\n"; if ($0 ~ /^\}/) { inside = 0;
             if (block !~ /return 301/) printf "%s", block }; next }
    { print }' "$ex/rma.conf.example" \
    | sed -e "s|^\( *\)listen 443 .*|\1listen 127.0.0.1:$HTTP_PORT;|" \
        -e '/listen \[::\]:443/d' -e '/^ *ssl_/d' \
        -e "s|/var/log/nginx/|$T/nginx/|g" \
        -e "s|/etc/nginx/rma_fastcgi_params|$T/nginx/rma_fastcgi_params|g" \
        -e "s|/etc/nginx/rma_security_headers|$T/nginx/rma_security_headers|g" \
        >"$T/nginx/site.conf"
cat >"$T/nginx/nginx.conf" <<CONF
user www-data;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $T/nginx/tmp/body;
    fastcgi_temp_path $T/nginx/tmp/fastcgi;
    proxy_temp_path $T/nginx/tmp/proxy;
    include $T/nginx/site.conf;
}
CONF
nginx -t -q -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" 2>&1 \
    || fail "nginx rejects the adapted example ($T/nginx/site.conf)"
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" || fail "nginx did not start"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && break
    sleep 0.1
done

# ---------------------------------------------------------- smoke journey
J='Content-Type: application/json'
P='X-Requested-With: rma-portal'
body=$T/body
req() { # method url [curl args...]: prints the status, the body in $body
    local m=$1 u=$2
    shift 2
    curl -sS -o "$body" -w '%{http_code}' -X "$m" "$@" "$base$u"
}
expect() { # status description
    [ "$1" = "$2" ] || fail "$3: HTTP $1, expected $2: $(head -c 400 "$body")"
}
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$body" "$1"; }

s=$(req GET /healthz)
for _ in $(seq 1 50); do
    [ "$s" = 200 ] && break
    sleep 0.2
    s=$(req GET /healthz)
done
expect "$s" 200 "healthz through nginx"
grep -q '"listening","from":"systemd"' "$T/log/rma-fcgi.log" \
    || fail "rma-fcgi did not take the socket from systemd"

agent=$(rmactl --config "$conf" token create --role agent --name pkg-agent 2>/dev/null | tail -n 1)
supervisor=$(rmactl --config "$conf" token create --role supervisor --name pkg-supervisor 2>/dev/null | tail -n 1)
warehouse=$(rmactl --config "$conf" token create --role warehouse --name pkg-warehouse 2>/dev/null | tail -n 1)
email="pkg-$$@example.com"
s=$(req POST /api/v1/staff/rmas -H "Authorization: Bearer $agent" -H "$J" --data \
    "{\"customer\":{\"email\":\"$email\",\"name\":\"Package Smoke\"},\"order\":{\"order_number\":\"SO-PKG-$$\",\"sales_channel\":\"web\",\"shipping_country\":\"US\",\"currency\":\"USD\",\"purchase_date\":\"2026-06-01\",\"items\":[{\"model\":\"CAM-4K-OUT\",\"quantity\":1,\"unit_price\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}]},\"kind\":\"replacement\",\"problem\":\"Does not power on.\",\"devices\":[{\"model\":\"CAM-4K-OUT\",\"serial_number\":\"SN-PKG-1\"}],\"replacement_value\":{\"currency_code\":\"USD\",\"value\":\"129.99\"}}")
expect "$s" 201 "an agent creates a case"
number=$(field number)
s=$(req POST "/api/v1/staff/rmas/$number/submit" -H "Authorization: Bearer $agent")
expect "$s" 200 "the agent submits it"
if [ "$(field status)" != pending_confirm ]; then # supervisor_review = always
    s=$(req POST "/api/v1/staff/rmas/$number/approve" -H "Authorization: Bearer $supervisor")
    expect "$s" 200 "a supervisor approves it"
fi
[ "$(field status)" = pending_confirm ] || fail "case $number is $(field status)"

s=$(req POST /api/v1/auth/code -H "$J" -H "$P" --data "{\"email\":\"$email\"}")
expect "$s" 202 "a sign-in code is asked for"
code=
for _ in $(seq 1 50); do
    code=$(grep -l -i -F "To: $email" /var/spool/rma/*.eml 2>/dev/null \
        | xargs -r grep -h -o 'Code: [0-9]\{6\}' | tail -n 1 | cut -d' ' -f2)
    [ -n "$code" ] && break
    sleep 0.1
done
[ -n "$code" ] || fail "no sign-in code in /var/spool/rma"
[ "$(stat -c %U /var/spool/rma/*.eml | sort -u)" = rma ] || fail "spool files not written by rma"
jar=$T/cookies
s=$(req POST /api/v1/auth/session -c "$jar" -H "$J" -H "$P" \
    --data "{\"email\":\"$email\",\"code\":\"$code\"}")
expect "$s" 200 "the customer signs in with the mailed code"
s=$(req GET /api/v1/rmas -b "$jar")
expect "$s" 200 "the customer lists their cases"
grep -q "\"$number\"" "$body" || fail "the customer's list lacks $number"
s=$(req GET '/api/v1/staff/rmas?status=pending_confirm' -H "Authorization: Bearer $agent")
expect "$s" 200 "the agent lists cases"
grep -q "\"$number\"" "$body" || fail "the staff list lacks $number"

# A picture: written by the service into upload_dir, read back by nginx
# (www-data) through X-Accel-Redirect.
picture=$top/tests/fixtures/images/tiny.png
s=$(req PUT "/api/v1/rmas/$number/attachments/proof_of_purchase" -b "$jar" -H "$P" \
    -H 'Content-Type: image/png' --data-binary "@$picture")
expect "$s" 201 "the customer uploads a proof of purchase"
id=$(field id)
s=$(req GET "/api/v1/rmas/$number/attachments/$id" -b "$jar")
expect "$s" 200 "nginx serves the uploaded picture"
cmp -s "$body" "$picture" || fail "the picture read back differs"

# The advanced replacement's PayPal hold, approved at the simulator.
s=$(req POST "/api/v1/rmas/$number/agree" -b "$jar" -H "$P")
expect "$s" 200 "the customer agrees"
s=$(req PUT "/api/v1/rmas/$number/shipping-address" -b "$jar" -H "$P" -H "$J" \
    --data '{"name":"Pkg Customer","line1":"1 Main Street","city":"Springfield","region":"IL","postal_code":"62701","country":"US","phone":"+1 217 555 0100"}')
expect "$s" 200 "the customer confirms the shipping address"
s=$(req POST "/api/v1/rmas/$number/replacement-method" -b "$jar" -H "$P" -H "$J" \
    --data '{"method":"advanced"}')
expect "$s" 200 "the customer chooses an advanced replacement"
terms=$(field preauthorization.terms_version)
s=$(req POST "/api/v1/rmas/$number/preauthorization" -b "$jar" -H "$P" -H "$J" \
    --data "{\"accept_terms\":true,\"terms_version\":\"$terms\"}")
expect "$s" 201 "the pre-authorization creates a PayPal order"
order=$(field order_id)
curl -sS -f -o /dev/null -X POST -H "$J" --data '{}' \
    "http://127.0.0.1:$SIM_PORT/sim/orders/$order/approve" || fail "approving at the simulator"
s=$(req GET "/api/v1/paypal/return?token=$order&PayerID=PKG1" -b "$jar")
expect "$s" 303 "PayPal's return authorizes the hold"
s=$(req GET "/api/v1/rmas/$number" -b "$jar")
[ "$(field hold.status)" = authorized ] || fail "the hold is $(field hold.status)"
s=$(req POST "/api/v1/staff/rmas/$number/shipments" -H "Authorization: Bearer $warehouse" \
    -H "$J" --data '{"carrier":"UPS","tracking_number":"1Z999AA10123456784"}')
expect "$s" 200 "the warehouse ships the replacement"

# The job as rma-jobs.service runs it, and the ledger.
jobs_exec=$(unit_value rma-jobs.service ExecStart)
# shellcheck disable=SC2086
env "$(unit_value rma-jobs.service Environment)" \
    setpriv --reuid "$(unit_value rma-jobs.service User)" \
    --regid "$(unit_value rma-jobs.service Group)" --init-groups $jobs_exec \
    >"$T/log/run-jobs.log" 2>&1 || { cat "$T/log/run-jobs.log"; fail "run-jobs as rma"; }
rmactl --config "$conf" ledger verify >"$T/log/ledger.log" 2>&1 \
    || { cat "$T/log/ledger.log"; fail "ledger verify"; }
log "smoke journey passed: $number held at PayPal, $(tail -n 1 "$T/log/run-jobs.log")"

# ------------------------------------------------------------------ purge
kill -QUIT "$(cat "$T/nginx/nginx.pid")"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
rm -rf /run/rma
purge() {
    apt-get purge -y -qq rma rma-paypal-sim >"$T/log/purge.log" 2>&1 \
        || { cat "$T/log/purge.log"; fail "apt-get purge"; }
    for f in /usr/bin/rma-fcgi /usr/bin/rmactl /usr/bin/paypal-sim /usr/share/rma \
        /usr/share/doc/rma /usr/share/doc/rma-paypal-sim /etc/rma /var/spool/rma \
        /lib/systemd/system/rma-fcgi.socket /lib/systemd/system/rma-fcgi.service \
        /lib/systemd/system/rma-jobs.service /lib/systemd/system/rma-jobs.timer \
        /lib/systemd/system/rma-mail-sender.service; do
        [ ! -e "$f" ] || fail "$f is left after purge"
    done
    ! dpkg-statoverride --list | grep -q ' /etc/rma/' || fail "a statoverride is left"
}
# With a customer's picture in upload_dir: kept, with its owner, and said.
purge
[ -d /var/lib/rma/uploads ] || fail "purge removed uploaded pictures"
getent passwd rma >/dev/null || fail "purge removed the owner of kept uploads"
grep -q '/var/lib/rma is not empty' "$T/log/purge.log" || fail "purge did not say what it kept"
# Once the operator has removed them: a reinstall (the user exists) and a
# purge leave nothing.
find /var/lib/rma/uploads -mindepth 1 -delete
(cd "$T" && apt-get install -y -qq --no-install-recommends ./rma_*.deb ./rma-paypal-sim_*.deb) \
    >"$T/log/reinstall.log" 2>&1 || fail "reinstalling"
purge
[ ! -e /var/lib/rma ] || fail "/var/lib/rma is left after purge"
! getent passwd rma >/dev/null || fail "the user rma is left after purge"
! getent group rma >/dev/null || fail "the group rma is left after purge"
log "removed: purge left no file, statoverride or user (uploads kept while not empty)"
