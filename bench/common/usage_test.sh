#!/usr/bin/env bash
# Shows that the benchmark tools refuse a command line they cannot read, rather than run a
# benchmark other than the one asked for: each case must exit 2 and name what was wrong.
#
#   bench/common/usage_test.sh BUILD_DIR
#
# BUILD_DIR holds the tools (the test suite passes its own). Exits 1 when any case does not.
set -uo pipefail

DIR=${1:?usage: usage_test.sh BUILD_DIR}
FAILED=0

# expect TEXT TOOL ARGS...: TOOL ARGS must exit 2 with TEXT in what it prints on stderr.
expect() {
  local text=$1 tool=$2 err rc
  shift 2
  # A tool that took the line would start a benchmark or a server: it gets 10 s, then fails.
  err=$(timeout 10 "$DIR/$tool" "$@" 2>&1 >/dev/null)
  rc=$?
  if [[ $rc -ne 2 || "$err" != *"$text"* ]]; then
    echo "FAIL: $tool $* exited $rc, wanted 2 and \"$text\"; it said: ${err%%$'\n'*}"
    FAILED=1
  else
    echo "ok: $tool $* -> ${err%%$'\n'*}"
  fi
}

expect "--rate does not take 'fast'" hf-load --rate fast
expect "--connections does not take '1e3'" hf-load --connections 1e3
expect "--size does not take '64B'" hf-fanout --size 64B
expect "--port does not take '-'" hf-churn --port -
expect "--duration wants a value" hf-flood --duration
expect "unknown option --connection" hf-vus --connection 5
expect "unknown option --feed" hf-floor --feed 127.0.0.1:6379
expect "unknown option --crt" hf-lws-echo --crt cert.pem
expect "usage" hf-openssl-heap --cert cert.pem
# Read whole, a value is checked against the tool's range as before.
expect "usage" hf-load --connections 0
expect "usage" hf-churn --slots 10001

if [[ $FAILED -ne 0 ]]; then
  echo "usage_test.sh: a tool ran with a command line it should have refused"
  exit 1
fi
echo "usage_test.sh: every bad command line was refused"
