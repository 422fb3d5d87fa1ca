#!/usr/bin/env bash
# Runs the benchmark scenarios and writes bench/results/<UTC date>.md.
#
#   bench/run.sh quick   echo 10 s per server, open loop 4 s, idle 1k and 10k (under 2 minutes)
#   bench/run.sh full    echo 30 s per server, open loop 30 s, idle 1k and 10k (about 6 minutes)
#
# Every server listens on 127.0.0.1 only and is stopped before the script ends. The server is
# pinned to core 0 and the load generator to core 1 when taskset is there and there are two cores.
set -euo pipefail

MODE=${1:-quick}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
PORT=${BENCH_PORT:-18700}
case "$MODE" in
  quick) DUR=10 WARM=1 OPEN_DUR=4 OPEN_WARM=1 IDLE_HOLD=1 ;;
  full) DUR=30 WARM=5 OPEN_DUR=30 OPEN_WARM=5 IDLE_HOLD=5 ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
CONNS=100 INFLIGHT=10 SIZE=32

cd "$ROOT"
if [[ ! -x "$BUILD_DIR/holdfast" && ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  scripts/build.sh holdfast
fi
cmake --build "$BUILD_DIR" --target holdfast >/dev/null
cmake -S bench -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BENCH_BUILD" >/dev/null
HOLDFAST=$ROOT/$BUILD_DIR/holdfast
LOAD=$BENCH_BUILD/hf-load

SRV_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  SRV_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

TMP=$(mktemp -d)
RAW=$TMP/raw.jsonl
SERVER_PID=
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

holdfast_config() {  # workers
  cat >"$TMP/holdfast-$1.yaml" <<YAML
instance: bench
workers: $1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
YAML
  echo "$TMP/holdfast-$1.yaml"
}

start_server() {  # name
  case "$1" in
    holdfast-w1) "${SRV_PIN[@]}" "$HOLDFAST" -c "$(holdfast_config 1)" 2>"$TMP/$1.log" & ;;
    holdfast-w2) "${SRV_PIN[@]}" "$HOLDFAST" -c "$(holdfast_config 2)" 2>"$TMP/$1.log" & ;;
    lws-echo) "${SRV_PIN[@]}" "$BENCH_BUILD/hf-lws-echo" --port "$PORT" 2>"$TMP/$1.log" & ;;
    floor) "${SRV_PIN[@]}" "$BENCH_BUILD/hf-floor" --port "$PORT" 2>"$TMP/$1.log" & ;;
  esac
  SERVER_PID=$!
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then sleep 0.3; return 0; fi
    sleep 0.1
  done
  echo "run.sh: $1 did not start listening on $PORT" >&2
  cat "$TMP/$1.log" >&2
  exit 1
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
  sleep 0.3
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }

# One hf-load run against the running server; appends a JSON line with the server's CPU and RSS.
measure() {  # scenario server hf-load-args...
  local scenario=$1 server=$2
  shift 2
  local t0 t1 out rc=0
  t0=$(cpu_ticks "$SERVER_PID")
  out=$("${LOAD_PIN[@]}" "$LOAD" --port "$PORT" --path /echo --size "$SIZE" "$@") || rc=$?
  t1=$(cpu_ticks "$SERVER_PID")
  echo "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"exit\":$rc,\"cpu_ticks\":$((t1 - t0)),\"rss_kb\":$(rss_kb "$SERVER_PID"),\"load\":$out}" >>"$RAW"
  echo "  $scenario $server: $out" >&2
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: hf-load failed against $server; no figure is reported for it" >&2
    return 1
  fi
}

idle() {  # server connections
  local server=$1 n=$2 rss0 slab0 rss1 slab1 rc=0
  start_server "$server"
  sleep 0.5
  rss0=$(rss_kb "$SERVER_PID") slab0=$(slab_kb)
  rm -f "$TMP/ready.0"
  "${LOAD_PIN[@]}" "$LOAD" --port "$PORT" --path /echo --idle --connections "$n" \
    --duration "$IDLE_HOLD" --ready-file "$TMP/ready" >"$TMP/idle.json" &
  local lpid=$!
  for _ in $(seq 600); do [[ -e "$TMP/ready.0" ]] && break; sleep 0.05; done
  sleep 0.5
  rss1=$(rss_kb "$SERVER_PID") slab1=$(slab_kb)
  wait "$lpid" || rc=$?
  echo "{\"scenario\":\"idle-$n\",\"server\":\"$server\",\"exit\":$rc,\"rss0_kb\":$rss0,\"rss1_kb\":$rss1,\"slab0_kb\":$slab0,\"slab1_kb\":$slab1,\"load\":$(cat "$TMP/idle.json")}" >>"$RAW"
  echo "  idle-$n $server: rss $rss0 -> $rss1 KiB, slab $slab0 -> $slab1 KiB" >&2
  stop_server
  [[ $rc -eq 0 ]]
}

echo "run.sh: $MODE run, server pinned: ${SRV_PIN[*]:-no}, load pinned: ${LOAD_PIN[*]:-no}" >&2
FAILED=0
CLOSED=(--connections "$CONNS" --closed "$INFLIGHT" --duration "$DUR" --warmup "$WARM")
SERVERS=(holdfast-w1 holdfast-w2 lws-echo floor)
for s in "${SERVERS[@]}"; do
  start_server "$s"
  measure echo-closed "$s" "${CLOSED[@]}" || FAILED=1
  stop_server
done

# Open loop at half of what holdfast (one worker) sustained in the closed loop.
SAT=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r["server"]=="holdfast-w1" and r["scenario"]=="echo-closed":
        print(int(r["load"].get("msgs_per_s",0)))' "$RAW")
RATE=$((SAT / 2))
if [[ $RATE -gt 0 ]]; then
  for s in "${SERVERS[@]}"; do
    start_server "$s"
    measure echo-open "$s" --connections "$CONNS" --rate "$RATE" --duration "$OPEN_DUR" \
      --warmup "$OPEN_WARM" || FAILED=1
    stop_server
  done
fi

for s in holdfast-w1 lws-echo; do
  for n in 1000 10000; do idle "$s" "$n" || FAILED=1; done
done

OUT=bench/results/$(date -u +%Y-%m-%d).md
HOLDFAST_VERSION=$("$HOLDFAST" --version) LWS_VERSION=$(pkg-config --modversion libwebsockets) \
  PIN="${SRV_PIN[*]:-none} / ${LOAD_PIN[*]:-none}" python3 bench/report.py "$RAW" "$MODE" \
  "size=$SIZE connections=$CONNS inflight=$INFLIGHT duration=$DUR warmup=$WARM open_duration=$OPEN_DUR open_warmup=$OPEN_WARM open_rate=$RATE idle_hold=$IDLE_HOLD" \
  >"$OUT"
echo "run.sh: wrote $OUT" >&2
if [[ $FAILED -ne 0 ]]; then
  echo "run.sh: at least one run failed its integrity check; see $OUT" >&2
  exit 1
fi
