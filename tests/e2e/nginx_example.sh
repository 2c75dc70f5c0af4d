#!/usr/bin/env bash
# nginx_example.sh - the production example (nginx/rma.conf.example) in
# front of the suite's workers: rendered for loopback (plain HTTP on free
# ports, no certificates, the suite's socket, uploads and portal, its own
# logs), checked with `nginx -t`, started, and put through tests/e2e/
# test_web (headers on every kind of answer, uploaded files included,
# nginx's own 405s, the web root) and the HTTP-to-HTTPS redirect.  Run by
# tests/run-suite; the nginx it starts is stopped on every exit.
set -u
: "${top_srcdir:?}" "${top_builddir:?}" "${RUN:?}"
. "$top_srcdir/scripts/stack.sh"
die() { echo "nginx_example: $*" >&2; exit 1; }

dir="$RUN/nginx-example"
rm -rf "$dir"
mkdir -p "$dir/tmp"
port=$(stack_free_port)
redirect_port=$(stack_free_port)
cp "$top_srcdir/nginx/fastcgi_params" "$dir/rma_fastcgi_params"
cp "$top_srcdir/nginx/security_headers" "$dir/rma_security_headers"

# Only what ties the example to a real host changes: addresses, TLS,
# paths.  Every absolute path must have been replaced.
sed -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$redirect_port;|" \
    -e "s|^\( *\)listen 443 ssl http2;|\1listen 127.0.0.1:$port;|" \
    -e '/^ *listen \[::\]/d' -e '/^ *ssl_/d' \
    -e "s|/run/rma/rma.sock|$RUN/rma.sock|g" \
    -e "s|/var/lib/rma/uploads/|$RUN/uploads/|g" \
    -e "s|/usr/share/rma/web|$top_srcdir/web|g" \
    -e "s|/var/log/nginx/rma\.|$dir/|g" \
    -e "s|/etc/nginx/rma_|$dir/rma_|g" \
    "$top_srcdir/nginx/rma.conf.example" > "$dir/rma.conf"
left=$(grep -v '^ *#' "$dir/rma.conf" | grep -oE '(^|[ "])/(etc|var|run|usr)/[^ ;"]*' | sort -u)
[ -z "$left" ] || die "paths of the example left unrendered: $left"

cat > "$dir/nginx.conf" <<CONF
$(stack_nginx_user_line)
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
daemon on;
events {
    worker_connections 256;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/rma.conf;
}
CONF

nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx_bin" -t -q -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
    || die "nginx -t refuses the rendered example ($dir/rma.conf)"
cleanup() {
    [ -f "$dir/nginx.pid" ] && kill -QUIT "$(cat "$dir/nginx.pid")" 2>/dev/null
}
trap cleanup EXIT
"$nginx_bin" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
    || die "nginx did not start with the rendered example"
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

failed=0
echo "== nginx_example: the production example on 127.0.0.1:$port"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
    -H 'Host: rma.example.com' "http://127.0.0.1:$redirect_port/x?y=1")
if [ "$loc" = "301 https://rma.example.com/x?y=1" ]; then
    echo "ok: plain HTTP is redirected to HTTPS"
else
    echo "FAIL: plain HTTP answered '$loc', not a 301 to https"; failed=1
fi
RMA_TEST_BASE_URL="http://127.0.0.1:$port" RMA_TEST_HSTS=1 \
    "$top_builddir/tests/e2e/test_web" --jobs 2 --short-filename || failed=1
exit "$failed"
