#!/usr/bin/env bash
# Builds Centrifugo from the Go module proxy once and caches the binary; prints the binary's path.
#
#   bench/peers/centrifugo.sh       v6 at its latest, else the newest v5 release below
#   CENTRIFUGO_MODULE=github.com/centrifugal/centrifugo/v5 CENTRIFUGO_VERSION=v5.4.9 \
#     bench/peers/centrifugo.sh     one module version only
#
# Module versions are tried in order, and the first that the module proxy serves and that builds
# is used: github.com/centrifugal/centrifugo/v6@latest, then .../v5@v5.4.9. Each refusal is
# printed to stderr with the proxy's reason.
#
# The binary goes to ${XDG_CACHE_HOME:-~/.cache}/holdfast/centrifugo/<version>/centrifugo and is
# reused while it is there; delete that directory to build again. GO names the go command (default:
# go on PATH, else /usr/local/go/bin/go). Progress goes to stderr, the path alone to stdout; when
# it cannot be built, the reason goes to stderr and the exit status is 1.
set -euo pipefail

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/holdfast/centrifugo
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [[ -n "${CENTRIFUGO_MODULE:-}" ]]; then
  CANDIDATES=("$CENTRIFUGO_MODULE@${CENTRIFUGO_VERSION:-latest}")
else
  CANDIDATES=(github.com/centrifugal/centrifugo/v6@latest github.com/centrifugal/centrifugo/v5@v5.4.9)
fi

# A cached build of any candidate is used as it is, without asking the proxy.
for c in "${CANDIDATES[@]}"; do
  v=${c##*@}
  if [[ "$v" != latest && -x "$CACHE/$v/centrifugo" ]] && "$CACHE/$v/centrifugo" version >/dev/null 2>&1; then
    echo "$CACHE/$v/centrifugo"
    exit 0
  fi
done

if ! command -v "$GO" >/dev/null; then
  echo "centrifugo.sh: no go command (set GO=/path/to/go)" >&2
  exit 1
fi
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
for c in "${CANDIDATES[@]}"; do
  module=${c%@*}
  if ! version=$(cd / && GOFLAGS=-mod=mod "$GO" list -m "$c" 2>"$TMP/err" | awk '{print $2}') ||
    [[ -z "$version" ]]; then
    echo "centrifugo.sh: $c: the module proxy refused it: $(tr '\n' ' ' <"$TMP/err")" >&2
    continue
  fi
  BIN=$CACHE/$version/centrifugo
  if [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; then
    echo "$BIN"
    exit 0
  fi
  echo "centrifugo.sh: building $module@$version with $("$GO" version)" >&2
  start=$(date +%s)
  # CGO off: a static binary that does not depend on this machine's C libraries.
  if ! (cd "$TMP" && CGO_ENABLED=0 GOBIN="$TMP/bin" "$GO" install -trimpath "$module@$version"); then
    echo "centrifugo.sh: $module@$version did not build" >&2
    continue
  fi
  mkdir -p "$CACHE/$version"
  mv "$TMP/bin/centrifugo" "$BIN"
  echo "centrifugo.sh: built in $(($(date +%s) - start)) s: $("$BIN" version | head -1)" >&2
  echo "$BIN"
  exit 0
done
echo "centrifugo.sh: no candidate could be built: ${CANDIDATES[*]}" >&2
exit 1
