#!/usr/bin/env bash
# Runs the virtual-user echo scenario checks against holdfast and prints hf-vus's summary for
# each level.
#
#   bench/vus/run.sh [100|1000|5000|10000|all]     (default 100)
#
# For each level: starts holdfast ($BUILD_DIR/holdfast, built first) with a temporary config that
# holds only an `echo` route on 127.0.0.1:$VUS_PORT, runs hf-vus (built into $BENCH_BUILD) with
# that many users, stops holdfast, and prints hf-vus's summary followed by what holdfast counted.
# A level passes when hf-vus exits 0, i.e. every check and threshold held. Exits 1 when any level
# failed.
#
# Environment:
#   BUILD_DIR       holdfast build directory, relative to the repository root or absolute (build)
#   BENCH_BUILD     benchmark tools' build directory (build-bench)
#   NO_BUILD        when set, run the binaries as they are instead of building them first
#   VUS_PORT        listener port on 127.0.0.1 (18720); the admin endpoint uses VUS_PORT+1
#   VUS_TIME_LIMIT  seconds after which an hf-vus run is interrupted (240)
#   VUS_ARGS        extra hf-vus arguments, e.g. "--messages 10 --interval-ms 1000"
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
BENCH_BUILD=${BENCH_BUILD:-build-bench}
[[ "$BENCH_BUILD" = /* ]] || BENCH_BUILD=$ROOT/$BENCH_BUILD
PORT=${VUS_PORT:-18720}
ADMIN_PORT=$((PORT + 1))
TIME_LIMIT=${VUS_TIME_LIMIT:-240}

LEVEL=${1:-100}
case "$LEVEL" in
  100 | 1000 | 5000 | 10000) LEVELS=("$LEVEL") ;;
  all) LEVELS=(100 1000 5000 10000) ;;
  *) echo "usage: $0 [100|1000|5000|10000|all]" >&2; exit 2 ;;
esac

if [[ -z "${NO_BUILD:-}" ]]; then
  if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    BUILD_DIR=$BUILD_DIR scripts/build.sh holdfast
  fi
  if ! out=$(cmake --build "$BUILD_DIR" --target holdfast 2>&1); then
    echo "$out" >&2
    echo "run.sh: building holdfast failed (NO_BUILD=1 runs $BUILD_DIR/holdfast as it is)" >&2
    exit 1
  fi
  if ! out=$( (cmake -S bench -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$BENCH_BUILD" --target hf-vus) 2>&1); then
    echo "$out" >&2
    echo "run.sh: building hf-vus failed" >&2
    exit 1
  fi
fi
HOLDFAST=$BUILD_DIR/holdfast
VUS=$BENCH_BUILD/hf-vus

# Each connection is a file in hf-vus and another in holdfast; raise the soft limit to the hard
# one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TMP=$(mktemp -d)
TIME=()
[[ -x /usr/bin/time ]] && TIME=(/usr/bin/time -f '%M %e %U %S' -o "$TMP/time")
HF_PID='' SAMPLER_PID=''
# shellcheck disable=SC2317  # runs from the trap
cleanup() {
  if [[ -n "$SAMPLER_PID" ]]; then kill "$SAMPLER_PID" 2>/dev/null || true; fi
  if [[ -n "$HF_PID" ]] && kill -0 "$HF_PID" 2>/dev/null; then
    kill -TERM "$HF_PID" 2>/dev/null || true
    wait "$HF_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/holdfast.yaml" <<YAML
instance: vus
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:$ADMIN_PORT }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
YAML

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
metric() {  # name label-filter: the sum of the matching samples in $TMP/metrics
  awk -v n="$1" -v f="$2" '$1 ~ "^" n "[{ ]" && index($1, f) { s += $NF } END { printf "%d", s }' \
    "$TMP/metrics"
}
vus_count() {  # name: the count of an hf-vus counter in its summary
  awk -v n="$1" '$1 == n { v = $2 } END { print v == "" ? "?" : v }' "$TMP/vus.out"
}

start_holdfast() {
  if listening "$PORT" || listening "$ADMIN_PORT"; then
    echo "run.sh: port $PORT or $ADMIN_PORT on 127.0.0.1 is already in use; set VUS_PORT" >&2
    return 1
  fi
  "$HOLDFAST" -c "$TMP/holdfast.yaml" 2>"$TMP/holdfast.log" &
  HF_PID=$!
  for _ in $(seq 100); do
    if listening "$PORT"; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: holdfast did not start listening on $PORT" >&2
  cat "$TMP/holdfast.log" >&2
  return 1
}

stop_holdfast() {
  local rc=0
  kill -TERM "$HF_PID" 2>/dev/null || true
  wait "$HF_PID" || rc=$?
  HF_PID=
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: holdfast exited with $rc" >&2
    cat "$TMP/holdfast.log" >&2
    return 1
  fi
}

# Samples holdfast's open connections once a second; the largest goes to $TMP/peak.
sample_connections() {
  local peak=0 n
  while sleep 1; do
    n=$(curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/metrics" |
      awk '/^holdfast_connections_active/ { s += $NF } END { printf "%d", s }') || continue
    if [[ -n "$n" && $n -gt $peak ]]; then peak=$n; echo "$peak" >"$TMP/peak"; fi
  done
}

run_level() {  # vus
  local vus=$1 need=$(($1 + 512)) rc=0 hf_rc=0
  echo "=== hf-vus: $vus virtual users against holdfast on 127.0.0.1:$PORT/echo ==="
  if [[ $(ulimit -n) -lt $need ]]; then
    echo "run.sh: $vus users need about $need open files per process; ulimit -n is $(ulimit -n)" >&2
    return 1
  fi
  start_holdfast || return 1
  echo 0 >"$TMP/peak"
  sample_connections &
  SAMPLER_PID=$!
  local start=$SECONDS
  rm -f "$TMP/time"
  # shellcheck disable=SC2086
  "${TIME[@]}" timeout -s INT -k 30 "$TIME_LIMIT" "$VUS" --port "$PORT" --vus "$vus" \
    ${VUS_ARGS:-} >"$TMP/vus.out" 2>"$TMP/vus.err" || rc=$?
  local wall=$((SECONDS - start))
  kill "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=
  curl -s --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || true
  local hf_hwm hf_cpu
  hf_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$HF_PID/status" 2>/dev/null || echo '?')
  hf_cpu=$(awk -v hz="$(getconf CLK_TCK)" \
    '{printf "%.2f s user + %.2f s system", $14 / hz, $15 / hz}' "/proc/$HF_PID/stat" 2>/dev/null ||
    echo '?')
  stop_holdfast || hf_rc=1

  cat "$TMP/vus.out"
  # One line per failed connection, at most 20 per process.
  if [[ -s "$TMP/vus.err" ]]; then
    echo "--- hf-vus log ($(wc -l <"$TMP/vus.err") lines; first 20) ---"
    head -20 "$TMP/vus.err"
  fi
  echo "--- holdfast ---"
  local accepted msgs_in msgs_out normal all
  accepted=$(metric holdfast_connections_total 'result="accepted"')
  msgs_in=$(metric holdfast_messages_total 'direction="in"')
  msgs_out=$(metric holdfast_messages_total 'direction="out"')
  normal=$(metric holdfast_disconnects_total 'code="1000"')
  all=$(metric holdfast_disconnects_total '')
  echo "connections accepted $accepted, peak open $(cat "$TMP/peak") (sampled each second)"
  echo "messages in $msgs_in, out $msgs_out" \
    "(hf-vus: sent $(vus_count vus_sent), received $(vus_count vus_received))"
  echo "disconnects with 1000: $normal, other: $((all - normal))"
  echo "peak RSS ${hf_hwm} KiB, CPU ${hf_cpu}"
  if [[ -s "$TMP/time" ]]; then
    # The last line; GNU time writes "Command exited with non-zero status N" before it.
    read -r vus_rss _ vus_user vus_sys < <(tail -1 "$TMP/time") || true
    echo "--- hf-vus ---"
    echo "peak RSS ${vus_rss} KiB, CPU ${vus_user} s user + ${vus_sys} s system"
  fi
  case $rc in
    0) echo "=== $vus users: PASS in ${wall} s ===" ;;
    99) echo "=== $vus users: FAIL, thresholds crossed (hf-vus exit 99) in ${wall} s ===" ;;
    124 | 130 | 137) echo "=== $vus users: FAIL, stopped at the ${TIME_LIMIT} s limit ===" ;;
    *) echo "=== $vus users: FAIL, hf-vus exit $rc in ${wall} s ===" ;;
  esac
  echo
  if [[ $rc -eq 0 && $hf_rc -eq 0 ]]; then
    RESULTS+=("$vus users: PASS in ${wall} s")
    return 0
  fi
  RESULTS+=("$vus users: FAIL (hf-vus exit $rc$([[ $hf_rc -eq 0 ]] || echo ', holdfast failed'))")
  return 1
}

echo "run.sh: $("$HOLDFAST" --version); ulimit -n $(ulimit -n)"
RESULTS=()
FAILED=0
for vus in "${LEVELS[@]}"; do
  run_level "$vus" || FAILED=1
done
printf '%s\n' "${RESULTS[@]}"
exit $FAILED
