#!/usr/bin/env bash
# Prints the path of a promtool binary (Prometheus' rule and metrics checker), getting one first
# when none is at hand. Tried in order:
#
#   1. $PROMTOOL, when it names an executable;
#   2. promtool on PATH;
#   3. a copy cached earlier under $HOLDFAST_CACHE/promtool (default ~/.cache/holdfast);
#   4. Debian's `prometheus` package: fetched with `apt-get download` and unpacked with `dpkg -x`
#      into that cache. It is not installed, so no Prometheus server is registered or started;
#   5. a build from the Go module proxy with `go install` (PROMTOOL_GO_VERSION), into the cache.
#
# Only the path goes to stdout; progress and errors go to stderr. Exits 1 when no way works.
#
# Environment:
#   PROMTOOL              use this binary
#   HOLDFAST_CACHE        cache folder (~/.cache/holdfast)
#   PROMTOOL_GO_VERSION   version of the Go module github.com/prometheus/prometheus for step 5
#                         (v0.316.0; `go list -m -versions` lists them)
#   PROMTOOL_NO_INSTALL=1 do steps 1 to 3 only
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PROMTOOL_GO_VERSION="${PROMTOOL_GO_VERSION:-v0.316.0}"
DIR="$CACHE_DIR/promtool"
DEB_BIN="$DIR/deb/usr/bin/promtool"
GO_BIN="$DIR/go-$PROMTOOL_GO_VERSION/promtool"

works() { [[ -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

found() {
  printf '%s\n' "$1"
  exit 0
}

cached() {
  local b
  for b in "$DEB_BIN" "$GO_BIN"; do
    if works "$b"; then found "$b"; fi
  done
}

if [[ -n "${PROMTOOL:-}" ]]; then
  works "$PROMTOOL" || die "PROMTOOL=$PROMTOOL does not run"
  found "$PROMTOOL"
fi
if have promtool && works "$(command -v promtool)"; then
  found "$(command -v promtool)"
fi
cached
if [[ "${PROMTOOL_NO_INSTALL:-}" == 1 ]]; then
  die "no promtool found (PROMTOOL_NO_INSTALL=1)"
fi

# One download at a time; whoever waited finds the other's result.
with_lock "$DIR.lock"
cached

from_debian() {
  have apt-get && have dpkg-deb || return 1
  local tmp
  tmp="$(mktemp -d)"
  # apt's unprivileged download user must be able to write here.
  chmod 0777 "$tmp"
  if ! apt-cache show prometheus >/dev/null 2>&1; then
    if [[ "$(id -u)" -eq 0 ]] || have sudo; then
      say "refreshing the package lists" >&2
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
    fi
  fi
  say "downloading Debian's prometheus package for its promtool" >&2
  if ! (cd "$tmp" && apt-get download -q prometheus) >&2; then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$DIR/deb.tmp"
  mkdir -p "$DIR/deb.tmp"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$DIR/deb.tmp" >&2
  rm -rf "$tmp"
  # Keep promtool only; the server binary and its web assets are of no use here.
  rm -rf "$DIR/deb.tmp/usr/share" "$DIR/deb.tmp/etc" "$DIR/deb.tmp/lib" "$DIR/deb.tmp/var" \
    "$DIR/deb.tmp/usr/bin/prometheus"
  works "$DIR/deb.tmp/usr/bin/promtool" || return 1
  rm -rf "$DIR/deb"
  mv "$DIR/deb.tmp" "$DIR/deb"
}

from_go() {
  local go=go
  if ! have go; then
    [[ -x /usr/local/go/bin/go ]] || return 1
    go=/usr/local/go/bin/go
  fi
  local out="$DIR/go-$PROMTOOL_GO_VERSION"
  say "building promtool $PROMTOOL_GO_VERSION with $("$go" version | cut -d' ' -f3); this takes minutes" >&2
  mkdir -p "$out"
  GOBIN="$out" GOFLAGS=-mod=mod "$go" install \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_GO_VERSION" >&2 || return 1
}

mkdir -p "$DIR"
if from_debian && works "$DEB_BIN"; then found "$DEB_BIN"; fi
warn "Debian's prometheus package gave no promtool; trying the Go module proxy"
if from_go && works "$GO_BIN"; then found "$GO_BIN"; fi
die "could not get promtool: install Debian's prometheus package or set PROMTOOL"
