#!/usr/bin/env bash
# Shows that echo.js fails a run that loses or damages even one reply.
#
#   bench/k6/selftest.sh
#
# Runs a short echo.js (10 users, 2 connections of 4 messages each) against faulty_echo.py on
# 127.0.0.1:$K6_PORT (18730) once per mode: `none` must pass (k6 exit 0), and each fault (drop,
# corrupt, type, extra, extralast, reset, refuse) must fail (k6 exit non-zero). Exits 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PORT=${K6_PORT:-18730}
K6=${K6:-$(bench/k6/build.sh)}
SRV_PID=''
# shellcheck disable=SC2317  # runs from the trap
cleanup() { if [[ -n "$SRV_PID" ]]; then kill "$SRV_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if listening; then
  echo "selftest.sh: port $PORT on 127.0.0.1 is already in use; set K6_PORT" >&2
  exit 1
fi
FAILED=0
for mode in none drop corrupt type extra extralast reset refuse; do
  python3 bench/k6/faulty_echo.py "$PORT" "$mode" &
  SRV_PID=$!
  for _ in $(seq 50); do listening && break; sleep 0.1; done
  rc=0
  out=$(K6_NO_USAGE_REPORT=true timeout -k 10 60 "$K6" run --quiet --no-color -e WS_PORT="$PORT" \
    -e VUS=10 -e CONNECTIONS=2 -e MESSAGES=4 -e INTERVAL_MS=20 -e REPLY_TIMEOUT_MS=1000 \
    -e RAMP_S=0 -e MAX_DURATION=30s bench/k6/echo.js 2>&1) || rc=$?
  kill "$SRV_PID"
  wait "$SRV_PID" 2>/dev/null || true
  SRV_PID=''
  # The thresholds crossed (metric, then the expression) and the checks that failed.
  crossed=$(awk '/✗ \x27/ { sub(/^ *✗ /, ""); printf "%s%s %s", sep, name, $0; sep = "; "; next }
    /✗ / && !/↳/ { sub(/^ *✗ /, ""); printf "%scheck \"%s\"", sep, $0; sep = "; "; next }
    NF == 1 { name = $1 }' <<<"$out")
  if [[ "$mode" == none && $rc -eq 0 ]] || [[ "$mode" != none && $rc -ne 0 ]]; then
    echo "ok    $mode: k6 exit $rc${crossed:+; failed: $crossed}"
  else
    echo "WRONG $mode: k6 exit $rc${crossed:+; failed: $crossed}"
    echo "$out"
    FAILED=1
  fi
done
exit $FAILED
