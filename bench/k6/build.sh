#!/usr/bin/env bash
# Builds k6 from the Go module proxy once and caches the binary; prints the binary's path.
#
#   bench/k6/build.sh            k6 v1.8.1 (the version these scripts were checked with)
#   K6_VERSION=latest bench/k6/build.sh
#
# The binary goes to ${XDG_CACHE_HOME:-~/.cache}/holdfast/k6/<version>/k6 and is reused while it
# is there; delete that directory to build again. GO names the go command (default: go on PATH,
# else /usr/local/go/bin/go). Progress goes to stderr, the path alone to stdout.
set -euo pipefail

VERSION=${K6_VERSION:-v1.8.1}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/holdfast/k6
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

if [[ "$VERSION" == latest ]]; then
  VERSION=$(cd / && GOFLAGS=-mod=mod "$GO" list -m go.k6.io/k6@latest | awk '{print $2}')
fi
BIN=$CACHE/$VERSION/k6
if [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

if ! command -v "$GO" >/dev/null; then
  echo "build.sh: no go command (set GO=/path/to/go)" >&2
  exit 1
fi
mkdir -p "$CACHE"
TMP=$(mktemp -d "$CACHE/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "build.sh: building go.k6.io/k6@$VERSION with $("$GO" version)" >&2
start=$(date +%s)
# CGO off: a static binary that does not depend on this machine's C libraries.
(cd "$TMP" && CGO_ENABLED=0 GOBIN="$TMP/bin" "$GO" install -trimpath "go.k6.io/k6@$VERSION")
mkdir -p "$CACHE/$VERSION"
mv "$TMP/bin/k6" "$BIN"
echo "build.sh: built in $(($(date +%s) - start)) s: $("$BIN" version | head -1)" >&2
echo "$BIN"
