# stack.sh - start and stop the local stack (PostgreSQL, paypal-sim when
# built, the mail sender, rma-fcgi, nginx) under one run directory.
# Sourced by scripts/demo and tests/run-suite; needs top_srcdir,
# top_builddir and PG_BINDIR.
#
# Everything lives under $RUN: pg/ (cluster and socket), nginx/, log/,
# uploads/, mail/, rma.conf, rma.sock, *.pid.  Nothing touches system
# services.  As root, PostgreSQL runs as the postgres user, and the
# programs that face the network (rma-fcgi, paypal-sim, nginx's workers)
# as an unprivileged one: STACK_USER, rma-demo by default (a system user
# without a home or a shell, created on first use).

stack_log() { printf '%s\n' "$*" >&2; }
stack_die() { stack_log "error: $*"; exit 1; }

stack_pg_bindir() {
    if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then
        printf '%s\n' "$PG_BINDIR"; return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir)
        [ -x "$d/pg_ctl" ] && { printf '%s\n' "$d"; return; }
    fi
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/pg_ctl" ] && { printf '%s\n' "$d"; return; }
    done
    stack_die "pg_ctl not found: install postgresql-15"
}

# Runs a command as the cluster's owner.
stack_as_pg() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Who the services run as: nothing when we are not root (ourselves).
stack_user() {
    [ "$(id -u)" = 0 ] && printf '%s\n' "${STACK_USER:-rma-demo}"
    return 0
}

# Runs a command as the services' user.
stack_as_user() {
    u=$(stack_user)
    if [ -n "$u" ]; then
        setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"
    else
        "$@"
    fi
}

stack_user_ensure() {
    u=$(stack_user)
    [ -n "$u" ] || return 0
    id -u "$u" >/dev/null 2>&1 && return 0
    if useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "rma demo and test services" "$u"; then
        stack_log "created the system user $u for the services (userdel $u removes it)"
    elif ! id -u "$u" >/dev/null 2>&1; then # not created meanwhile by another run
        stack_die "cannot create the user $u (STACK_USER names another, unprivileged one)"
    fi
}

# What the services' user runs and reads from the trees: the programs,
# the portal, the sanitizers' suppressions.  When it cannot reach them (a
# clone under /root), copies in $RUN/share, taken at each start; restart
# to see a change.
stack_share() {
    rm -rf "$RUN/share"
    [ -n "$(stack_user)" ] || return 0
    if stack_as_user test -x "$top_builddir/rma-fcgi" &&
        stack_as_user test -r "$top_srcdir/web/index.html" &&
        stack_as_user test -r "$top_srcdir/tests/lsan.supp"; then
        return 0
    fi
    mkdir -p "$RUN/share/bin"
    cp "$top_builddir/rma-fcgi" "$RUN/share/bin/"
    [ -x "$top_builddir/paypal-sim" ] && cp "$top_builddir/paypal-sim" "$RUN/share/bin/"
    cp -R "$top_srcdir/web" "$RUN/share/web"
    cp "$top_srcdir/tests/lsan.supp" "$RUN/share/"
    chmod -R a+rX "$RUN/share"
    stack_log "note: $(stack_user) cannot read $top_srcdir: it runs copies in $RUN/share"
}

# Runs one of the services (rma-fcgi, paypal-sim) as the services' user,
# from $RUN/share when stack_share made copies.  It replaces the shell it
# runs in: start it with & so that $! is the service's pid.
stack_service() {
    prog=$1
    shift
    bin="$top_builddir/$prog"
    if [ -d "$RUN/share/bin" ]; then
        bin="$RUN/share/bin/$prog"
        lsan=${LSAN_OPTIONS:-}
        export LSAN_OPTIONS=${lsan//"$top_srcdir/tests/lsan.supp"/"$RUN/share/lsan.supp"}
    fi
    u=$(stack_user)
    if [ -n "$u" ]; then
        exec setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$bin" "$@"
    fi
    exec "$bin" "$@"
}

# Where nginx finds the portal.
stack_web_root() {
    if [ -d "$RUN/share/web" ]; then
        printf '%s\n' "$RUN/share/web"
    else
        printf '%s\n' "$top_srcdir/web"
    fi
}

# As root: the services' user owns what they write (the run directory for
# the socket, uploads/, mail/) and reads the configuration and secrets.
stack_user_files() {
    u=$(stack_user)
    [ -n "$u" ] || return 0
    stack_as_user test -x "$RUN" \
        || stack_die "$u cannot reach $RUN: use a run directory others may enter (RUN=...)"
    chown "$u:" "$RUN" "$RUN/rma.conf" "$RUN/secret_pepper" "$RUN/paypal_client_secret"
    chown -R "$u:" "$RUN/uploads" "$RUN/mail"
    [ -e "$RUN/paypal-sim-ca.pem" ] && chown "$u:" "$RUN/paypal-sim-ca.pem"
    return 0
}

stack_free_port() {
    for _ in $(seq 1 50); do
        # Below the kernel's ephemeral range (32768-60999), so that the
        # port is not taken by an outgoing connection meanwhile.
        p=$(( (RANDOM * 32768 + RANDOM) % 12000 + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            printf '%s\n' "$p"; return
        fi
    done
    stack_die "no free port found"
}

# Where the cluster lives.  As root, PostgreSQL runs as postgres, which must
# reach the directory: when $RUN is not traversable by it (a clone under
# /root), the cluster goes to /tmp and $RUN/pg links to it.
stack_pg_dir() {
    if [ -e "$RUN/pg" ]; then
        PGDIR=$(readlink -f "$RUN/pg"); return
    fi
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$RUN"; then
        PGDIR=$(mktemp -d /tmp/rma-pg.XXXXXX)
        ln -s "$PGDIR" "$RUN/pg"
    else
        mkdir -p "$RUN/pg"
        PGDIR="$RUN/pg"
    fi
    # Unix socket paths are limited to 107 bytes.
    if [ ${#PGDIR} -gt 80 ]; then
        rm -f "$RUN/pg"; rmdir "$PGDIR" 2>/dev/null
        PGDIR=$(mktemp -d /tmp/rma-pg.XXXXXX)
        ln -s "$PGDIR" "$RUN/pg"
    fi
}

stack_pg_start() {
    bindir=$(stack_pg_bindir)
    stack_pg_dir
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$PGDIR"; chmod 0755 "$PGDIR"
    fi
    if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
        stack_as_pg "$bindir/initdb" -D "$PGDIR/data" -U rma_admin \
            --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$RUN/log/initdb.log" 2>&1 \
            || stack_die "initdb failed: see $RUN/log/initdb.log"
        fresh=1
    else
        fresh=0
    fi
    touch "$RUN/log/postgresql.log"
    # Streaming replicas may be made of it (tests/e2e/replica.sh): WAL for
    # a standby and senders for it (PostgreSQL 15's defaults, said here);
    # initdb's pg_hba.conf lets local connections replicate.
    [ "$(id -u)" = 0 ] && chown postgres "$RUN/log/postgresql.log"
    stack_as_pg "$bindir/pg_ctl" -D "$PGDIR/data" -l "$RUN/log/postgresql.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$PGDIR' -c max_connections=200 -c wal_level=replica -c max_wal_senders=4 ${STACK_PG_OPTS:-}" \
        start >/dev/null || stack_die "PostgreSQL did not start: see $RUN/log/postgresql.log"
    PGHOST_DIR=$PGDIR
    if [ "$fresh" = 1 ]; then
        "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGDIR" -U rma_admin -d postgres <<'SQL' >/dev/null \
            || stack_die "creating the database failed"
CREATE DATABASE rma;
CREATE ROLE rma_app NOLOGIN;
CREATE ROLE rma_web LOGIN IN ROLE rma_app;
SQL
    fi
}

stack_pg_stop() {
    [ -e "$RUN/pg" ] || return 0
    bindir=$(stack_pg_bindir)
    PGDIR=$(readlink -f "$RUN/pg")
    if [ -f "$PGDIR/data/postmaster.pid" ]; then
        stack_as_pg "$bindir/pg_ctl" -D "$PGDIR/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
}

# Removes the cluster (tests only).
stack_pg_destroy() {
    [ -e "$RUN/pg" ] || return 0
    PGDIR=$(readlink -f "$RUN/pg")
    rm -rf "$PGDIR"
    rm -f "$RUN/pg"
}

stack_write_config() {
    pepper=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    umask 077
    printf '%s\n' "$pepper" > "$RUN/secret_pepper"
    printf 'sim-secret\n' > "$RUN/paypal_client_secret"
    cat > "$RUN/rma.conf" <<CONF
# Written by scripts/stack.sh for this run only.
database_url = host=$PGDIR dbname=rma user=rma_web
admin_database_url = host=$PGDIR dbname=rma user=rma_admin
migrations_dir = $top_srcdir/sql/migrations
public_base_url = http://127.0.0.1:$HTTP_PORT
paypal_base_url = http://127.0.0.1:$SIM_PORT
paypal_client_id = rma-demo-client
paypal_client_secret_file = $RUN/paypal_client_secret
paypal_webhook_id = WHRMADEMO
# The simulator signs webhooks with a certificate from its own test CA.
paypal_webhook_ca_file = $RUN/paypal-sim-ca.pem
paypal_cert_hosts = http://127.0.0.1:$SIM_PORT
mail_from = RMA Service <rma@example.com>
# Who the portal tells customers to pay make-up amounts to (SPEC §14).
makeup_payee = payments@vendor.example
makeup_invoice_url = https://vendor.example/rma-invoice
mail_spool_dir = $RUN/mail
upload_dir = $RUN/uploads
secret_pepper_file = $RUN/secret_pepper
log_level = ${STACK_LOG_LEVEL:-info}
test_mode = ${STACK_TEST_MODE:-false}
test_clock = ${STACK_TEST_CLOCK:-false}
${STACK_EXTRA_CONFIG:-}
CONF
    umask 022
}

stack_fcgi_start() {
    stack_service rma-fcgi --config "$RUN/rma.conf" --socket "$RUN/rma.sock" \
        --workers "${STACK_WORKERS:-4}" --socket-mode 0660 \
        >>"$RUN/log/rma-fcgi.log" 2>&1 &
    echo $! > "$RUN/rma-fcgi.pid"
    for _ in $(seq 1 300); do
        [ -S "$RUN/rma.sock" ] && return 0
        kill -0 "$(cat "$RUN/rma-fcgi.pid")" 2>/dev/null \
            || stack_die "rma-fcgi exited: see $RUN/log/rma-fcgi.log"
        sleep 0.1
    done
    stack_die "rma-fcgi did not open its socket"
}

# `rmactl mail-sender`: delivers the outbox into $RUN/mail as it fills.
# Returns once it listens for the outbox's notifications.
stack_sender_start() {
    sender_log="$RUN/log/rma-mail-sender.log"
    touch "$sender_log"
    sender_before=$(grep -c '"mail_sender_listening"' "$sender_log" || true) # 0 exits 1 (set -e in bench/)
    "$top_builddir/rmactl" --config "$RUN/rma.conf" mail-sender \
        >>"$sender_log" 2>&1 &
    echo $! > "$RUN/rma-mail-sender.pid"
    for _ in $(seq 1 300); do
        [ "$(grep -c '"mail_sender_listening"' "$sender_log")" -gt "$sender_before" ] && return 0
        kill -0 "$(cat "$RUN/rma-mail-sender.pid")" 2>/dev/null \
            || stack_die "rmactl mail-sender exited: see $sender_log"
        sleep 0.1
    done
    stack_die "rmactl mail-sender does not listen: see $sender_log"
}

stack_sender_stop() {
    stack_stop_pidfile "$RUN/rma-mail-sender.pid"
}

stack_stop_pidfile() {
    f=$1
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
}

# The user line of an nginx configuration: who its workers run as.
stack_nginx_user_line() {
    u=$(stack_user)
    if [ -n "$u" ]; then echo "user $u $(id -gn "$u");"; fi
}

stack_nginx_start() {
    mkdir -p "$RUN/nginx/tmp"
    user_line=$(stack_nginx_user_line)
    cp "$top_srcdir/nginx/fastcgi_params" "$top_srcdir/nginx/security_headers" \
        "$RUN/nginx/"
    sed -e "s|@USER_LINE@|$user_line|" -e "s|@RUN@|$RUN|g" \
        -e "s|@PORT@|$HTTP_PORT|g" -e "s|@SOCKET@|$RUN/rma.sock|g" \
        -e "s|@WEB@|$(stack_web_root)|g" -e "s|@UPLOAD_DIR@|$RUN/uploads|g" \
        "$top_srcdir/nginx/rma-local.conf.in" > "$RUN/nginx/nginx.conf"
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
    "$nginx_bin" -e "$RUN/nginx/error.log" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" \
        || stack_die "nginx did not start: see $RUN/nginx/error.log"
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    stack_die "nginx does not answer on port $HTTP_PORT"
}

stack_nginx_stop() {
    f="$RUN/nginx/nginx.pid"
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

stack_sim_start() {
    [ -x "$top_builddir/paypal-sim" ] || return 0
    # shellcheck disable=SC2086
    stack_service paypal-sim --listen "127.0.0.1:$SIM_PORT" \
        --client-id rma-demo-client --client-secret sim-secret \
        --webhook-id WHRMADEMO \
        --webhook-url "http://127.0.0.1:$HTTP_PORT/api/v1/paypal/webhooks" \
        --ca-out "$RUN/paypal-sim-ca.pem" \
        ${STACK_SIM_OPTS:-} >>"$RUN/log/paypal-sim.log" 2>&1 &
    echo $! > "$RUN/paypal-sim.pid"
    # A loaded machine (CI, sanitizers) can take its time: 30 s at most.
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SIM_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    stack_die "paypal-sim does not answer on port $SIM_PORT"
}

# Starts everything under $RUN with HTTP_PORT and SIM_PORT set; the mail
# sender too unless STACK_MAIL_SENDER=false (stack_sender_start later).
stack_start() {
    mkdir -p "$RUN/log" "$RUN/mail" "$RUN/uploads"
    stack_user_ensure
    stack_pg_start
    stack_write_config
    stack_user_files
    "$top_builddir/rmactl" --config "$RUN/rma.conf" migrate >"$RUN/log/migrate.log" 2>&1 \
        || { cat "$RUN/log/migrate.log" >&2; stack_die "migrations failed"; }
    stack_share
    stack_sim_start
    [ "${STACK_MAIL_SENDER:-true}" = false ] || stack_sender_start
    stack_fcgi_start
    stack_nginx_start
}

stack_stop() {
    stack_nginx_stop
    stack_stop_pidfile "$RUN/rma-fcgi.pid"
    stack_sender_stop
    stack_stop_pidfile "$RUN/paypal-sim.pid"
    stack_pg_stop
}
