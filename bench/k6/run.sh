#!/usr/bin/env bash
# Runs the k6 echo scenario checks against holdfast and prints k6's summary for each level.
#
#   bench/k6/run.sh [100|1000|5000|10000|all]     (default 100)
#
# For each level: starts holdfast ($BUILD_DIR/holdfast, built first) with a temporary config that
# holds only an `echo` route on 127.0.0.1:$K6_PORT, runs bench/k6/vus-<level>.js with k6 (built
# and cached by bench/k6/build.sh), stops holdfast, and prints k6's summary followed by what
# holdfast counted. A level passes when k6 exits 0, i.e. every check and threshold held.
# Exits 1 when any level failed.
#
# Environment:
#   BUILD_DIR      holdfast build directory, relative to the repository root or absolute (build)
#   NO_BUILD       when set, run $BUILD_DIR/holdfast as it is instead of building it first
#   K6_PORT        listener port on 127.0.0.1 (18720); the admin endpoint uses K6_PORT+1
#   K6_TIME_LIMIT  seconds after which a k6 run is interrupted (240)
#   K6             a k6 binary to use instead of building one
#   K6_ARGS        extra arguments for `k6 run`, e.g. "-e MESSAGES=20"
#   GOGC, GOMEMLIMIT  k6's garbage collector (off, and half the available memory up to 12 GiB)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
PORT=${K6_PORT:-18720}
ADMIN_PORT=$((PORT + 1))
TIME_LIMIT=${K6_TIME_LIMIT:-240}

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
fi
HOLDFAST=$BUILD_DIR/holdfast
K6=${K6:-$(bench/k6/build.sh)}

# Each connection is a file in k6 and another in holdfast; raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# k6 keeps about 0.5 MB per user alive, and Go's collector, at its default, spends a large share
# of k6's CPU scanning it again and again. Collect only near a memory limit instead: half of the
# available memory, at most 12 GiB. GOGC and GOMEMLIMIT in the environment take precedence.
avail_mib=$(awk '/^MemAvailable:/ {printf "%d", $2 / 1024}' /proc/meminfo)
limit_mib=$((avail_mib / 2 < 12288 ? avail_mib / 2 : 12288))
export GOGC=${GOGC:-off} GOMEMLIMIT=${GOMEMLIMIT:-${limit_mib}MiB}

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
instance: k6
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
k6_count() {  # name: the count of a k6 counter in the summary
  awk -v n="$1" '$1 ~ "^" n "\\.+:" { v = $2 } END { print v == "" ? "?" : v }' "$TMP/k6.out"
}

start_holdfast() {
  if listening "$PORT" || listening "$ADMIN_PORT"; then
    echo "run.sh: port $PORT or $ADMIN_PORT on 127.0.0.1 is already in use; set K6_PORT" >&2
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
  echo "=== k6: $vus virtual users against holdfast on 127.0.0.1:$PORT/echo ==="
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
  K6_NO_USAGE_REPORT=true "${TIME[@]}" \
    timeout -s INT -k 30 "$TIME_LIMIT" "$K6" run --no-color -e WS_PORT="$PORT" ${K6_ARGS:-} \
    "bench/k6/vus-$vus.js" >"$TMP/k6.out" 2>"$TMP/k6.err" || rc=$?
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

  # k6's output without its banner and its progress lines, then the last progress line: how many
  # iterations (connections) completed, and how many k6 cut off at the time limit.
  awk '/execution:/ { on = 1 } on && !/^(running \(|Init +\[|echo +.*\[ *[0-9]+% *\])/' "$TMP/k6.out" |
    cat -s
  grep -E '^running \(' "$TMP/k6.out" | tail -1 || true
  # k6's warnings (one per failed connection) can be many; show the first ones.
  if [[ -s "$TMP/k6.err" ]]; then
    echo "--- k6 log ($(wc -l <"$TMP/k6.err") lines; first 20) ---"
    head -20 "$TMP/k6.err"
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
    "(k6: sent $(k6_count echo_sent), received $(k6_count echo_received))"
  echo "disconnects with 1000: $normal, other: $((all - normal))"
  echo "peak RSS ${hf_hwm} KiB, CPU ${hf_cpu}"
  if [[ -s "$TMP/time" ]]; then
    # The last line; GNU time writes "Command exited with non-zero status N" before it.
    read -r k6_rss _ k6_user k6_sys < <(tail -1 "$TMP/time") || true
    echo "--- k6 ---"
    echo "peak RSS ${k6_rss} KiB, CPU ${k6_user} s user + ${k6_sys} s system"
  fi
  case $rc in
    0) echo "=== $vus users: PASS in ${wall} s ===" ;;
    99) echo "=== $vus users: FAIL, thresholds crossed (k6 exit 99) in ${wall} s ===" ;;
    124 | 130 | 137) echo "=== $vus users: FAIL, stopped at the ${TIME_LIMIT} s limit ===" ;;
    *) echo "=== $vus users: FAIL, k6 exit $rc in ${wall} s ===" ;;
  esac
  echo
  if [[ $rc -eq 0 && $hf_rc -eq 0 ]]; then
    RESULTS+=("$vus users: PASS in ${wall} s")
    return 0
  fi
  RESULTS+=("$vus users: FAIL (k6 exit $rc$([[ $hf_rc -eq 0 ]] || echo ', holdfast failed'))")
  return 1
}

echo "run.sh: $("$K6" version | head -1); $("$HOLDFAST" --version); ulimit -n $(ulimit -n);" \
  "k6 GOGC=$GOGC GOMEMLIMIT=$GOMEMLIMIT"
RESULTS=()
FAILED=0
for vus in "${LEVELS[@]}"; do
  run_level "$vus" || FAILED=1
done
printf '%s\n' "${RESULTS[@]}"
exit $FAILED
