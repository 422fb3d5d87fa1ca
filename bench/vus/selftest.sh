#!/usr/bin/env bash
# Shows that hf-vus fails a run that loses or damages even one reply.
#
#   bench/vus/selftest.sh
#
# Runs a short hf-vus (10 users, 2 connections of 4 messages each) against faulty_echo.py on
# 127.0.0.1:$VUS_PORT (18730) once per mode: `none` must pass (exit 0), and each fault (drop,
# corrupt, type, extra, extralast, reset, refuse) must fail (exit non-zero). Exits 1 otherwise.
# HF_VUS names an hf-vus to check (the test suite's); without it, hf-vus is built first in
# BENCH_BUILD, the benchmark tools' build directory (build-bench).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
PORT=${VUS_PORT:-18730}
if [[ -z "${HF_VUS:-}" ]]; then
  BENCH_BUILD=${BENCH_BUILD:-build-bench}
  cmake -S bench -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BENCH_BUILD" --target hf-vus >/dev/null
  HF_VUS=$BENCH_BUILD/hf-vus
fi
SRV_PID=''
# shellcheck disable=SC2317  # runs from the trap
cleanup() { if [[ -n "$SRV_PID" ]]; then kill "$SRV_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

if listening; then
  echo "selftest.sh: port $PORT on 127.0.0.1 is already in use; set VUS_PORT" >&2
  exit 1
fi
FAILED=0
for mode in none drop corrupt type extra extralast reset refuse; do
  python3 bench/vus/faulty_echo.py "$PORT" "$mode" &
  SRV_PID=$!
  for _ in $(seq 50); do listening && break; sleep 0.1; done
  rc=0
  out=$(timeout -k 10 60 "$HF_VUS" --port "$PORT" --vus 10 --connections 2 \
    --messages 4 --interval-ms 20 --reply-timeout-ms 1000 --ramp 0 --max-duration 30 2>&1) ||
    rc=$?
  kill "$SRV_PID"
  wait "$SRV_PID" 2>/dev/null || true
  SRV_PID=''
  # The thresholds crossed and the first problem seen.
  why=$(grep -E '^hf-vus: (FAIL|first problem)' <<<"$out" | sed 's/^hf-vus: //' | paste -sd' ' -) || true
  if [[ "$mode" == none && $rc -eq 0 ]] || [[ "$mode" != none && $rc -ne 0 ]]; then
    echo "ok    $mode: hf-vus exit $rc${why:+; $why}"
  else
    echo "WRONG $mode: hf-vus exit $rc${why:+; $why}"
    echo "$out"
    FAILED=1
  fi
done
exit $FAILED
