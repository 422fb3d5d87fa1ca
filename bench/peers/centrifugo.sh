#!/usr/bin/env bash
# Prints the path of a Centrifugo server binary, building it first when it is not cached:
# `go install github.com/centrifugal/centrifugo/v6@$CENTRIFUGO_VERSION` from the Go module proxy
# (static, -trimpath, the version stamped in), kept under
# ${HOLDFAST_CACHE:-~/.cache/holdfast}/centrifugo/<version>/centrifugo. The first build takes
# about 3 minutes on 2 cores. Nothing is installed system-wide and no service is started.
# Progress and errors go to stderr; exits 1 when Centrifugo cannot be had.
set -euo pipefail
VERSION=${CENTRIFUGO_VERSION:-v6.9.1}
DIR=${HOLDFAST_CACHE:-$HOME/.cache/holdfast}/centrifugo
BIN=$DIR/$VERSION/centrifugo
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
if [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
if ! command -v "$GO" >/dev/null; then
  echo "centrifugo.sh: no go command (set GO=/path/to/go)" >&2
  exit 1
fi
mkdir -p "$DIR"
TMP=$(mktemp -d "$DIR/.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
echo "centrifugo.sh: building github.com/centrifugal/centrifugo/v6@$VERSION with $("$GO" version)" >&2
start=$(date +%s)
if ! (cd "$TMP" && CGO_ENABLED=0 GOBIN="$TMP/bin" "$GO" install -trimpath \
  -ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${VERSION#v}" \
  "github.com/centrifugal/centrifugo/v6@$VERSION" >&2); then
  echo "centrifugo.sh: go install failed" >&2
  exit 1
fi
mkdir -p "$DIR/$VERSION"
mv "$TMP/bin/centrifugo" "$BIN"
echo "centrifugo.sh: built in $(($(date +%s) - start)) s: $("$BIN" version)" >&2
echo "$BIN"
