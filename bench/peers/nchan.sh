#!/usr/bin/env bash
# Prints the paths of an nginx binary and its nchan module (nchan: pub/sub for nginx, with
# WebSocket subscribers), one per line, getting them first when they are not cached:
# Debian's `nginx` and `libnginx-mod-nchan` packages, fetched with `apt-get download` and
# unpacked with `dpkg -x` under ${HOLDFAST_CACHE:-~/.cache/holdfast}/nchan. Nothing is installed
# and no service is started. Debian's nginx wants /var/lib/nginx to exist; it is made when
# missing. Progress and errors go to stderr; exits 1 when nchan cannot be had.
set -euo pipefail
DIR=${HOLDFAST_CACHE:-$HOME/.cache/holdfast}/nchan
NGINX=$DIR/root/usr/sbin/nginx
MODULE=$DIR/root/usr/lib/nginx/modules/ngx_nchan_module.so
if [[ ! -x "$NGINX" || ! -f "$MODULE" ]]; then
  mkdir -p "$DIR/debs"
  echo "nchan.sh: fetching nginx and libnginx-mod-nchan from Debian" >&2
  (cd "$DIR/debs" && apt-get download nginx libnginx-mod-nchan >&2) || {
    echo "nchan.sh: apt-get download failed" >&2
    exit 1
  }
  for deb in "$DIR"/debs/*.deb; do dpkg -x "$deb" "$DIR/root"; done
fi
mkdir -p /var/lib/nginx 2>/dev/null || true
if [[ ! -d /var/lib/nginx ]] || ! "$NGINX" -v 2>/dev/null; then
  echo "nchan.sh: nginx from $DIR does not run here" >&2
  exit 1
fi
echo "$NGINX"
echo "$MODULE"
