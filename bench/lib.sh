# Shared by bench/run.sh and every bench/scenarios/*.sh; sourced, never run.
#
# run.sh exports MODE (quick|full), RAW (the JSON-lines file every scenario appends to), ROOT,
# BUILD_DIR, BENCH_BUILD, PORT, HOLDFAST and LOAD, and builds everything before any scenario runs.
# A scenario is a script that appends one JSON object per measurement to $RAW, each with at least
# "scenario", "server" and "exit" (0 when the run passed its checks), and exits non-zero when any
# of its runs failed. bench/reports/<same name>.py turns those records into its section.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
MODE=${MODE:-quick}
PORT=${PORT:-18700}
BUILD_DIR=${BUILD_DIR:-build}
BENCH_BUILD=${BENCH_BUILD:-$ROOT/build-bench}
HOLDFAST=${HOLDFAST:-$ROOT/$BUILD_DIR/holdfast}
LOAD=${LOAD:-$BENCH_BUILD/hf-load}

# The server on core 0 and the load generator on core 1, when there are two cores to pin to.
SRV_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  SRV_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

BENCH_TMP=$(mktemp -d)
SERVER_PID=
EXTRA_PIDS=()     # other processes a scenario started (echo services, more instances)
STARTED_BUSES=()  # buses a scenario started; ones already running are left alone
bench_cleanup() {
  stop_server
  local p b
  for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${EXTRA_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for b in "${STARTED_BUSES[@]}"; do "$ROOT/scripts/$b.sh" stop >&2 || true; done
  rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT

start_buses() {  # kafka|redis...
  local b
  for b in "$@"; do
    if ! "$ROOT/scripts/$b.sh" status >/dev/null 2>&1; then STARTED_BUSES+=("$b"); fi
    "$ROOT/scripts/$b.sh" start >&2
  done
}

# A holdfast config whose route /fanout joins every connection to channel "bench", with replies
# through Redis at $1. Prints the file's path.
fanout_config() {  # redis-address
  local f=$BENCH_TMP/fanout-$RANDOM.yaml
  cat >"$f" <<YAML
instance: bench
workers: 1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "redis://$1" }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: fanout
        path: /fanout
        subscribe: ["bench"]
        upstream: { echo: {} }
        replies: { redis: {} }
YAML
  echo "$f"
}

# A Centrifugo config: WebSocket clients on /connection/websocket and the HTTP API (key "bench")
# on $PORT, anonymous clients allowed to subscribe to channels without a namespace. Prints the
# file's path.
centrifugo_config() {
  local f=$BENCH_TMP/centrifugo-$RANDOM.json
  cat >"$f" <<JSON
{
  "http_server": { "address": "127.0.0.1", "port": "$PORT" },
  "log": { "level": "error" },
  "usage_stats": { "disabled": true },
  "client": { "allow_anonymous_connect_without_token": true, "allowed_origins": ["*"] },
  "channel": { "without_namespace": { "allow_subscribe_for_client": true,
                                      "allow_subscribe_for_anonymous": true } },
  "http_api": { "key": "bench" }
}
JSON
  echo "$f"
}

# A holdfast config with only the echo route on /echo; extra YAML lines (already indented for the
# top level) may follow as $2, and lines for the listener as $3. Prints the file's path.
holdfast_config() {  # workers [extra-top-level-yaml] [extra-listener-yaml]
  local f=$BENCH_TMP/holdfast-$1-$RANDOM.yaml
  cat >"$f" <<YAML
instance: bench
workers: $1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:$PORT
${3:-}
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
${2:-}
YAML
  echo "$f"
}

wait_port() {  # port name
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then sleep 0.3; return 0; fi
    if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "bench: $2 did not start listening on $1" >&2
  cat "$BENCH_TMP/$2.log" >&2 2>/dev/null || true
  return 1
}

# Starts one server pinned to the server core and waits for $PORT (or $WAIT_PORT).
start_server() {  # name command...
  local name=$1
  shift
  "${SRV_PIN[@]}" "$@" 2>"$BENCH_TMP/$name.log" &
  SERVER_PID=$!
  wait_port "${WAIT_PORT:-$PORT}" "$name"
}

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    sleep 0.3
  fi
  SERVER_PID=
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
now_ms() { date -u +%s%3N; }
# The local broker's GC pauses that overlap [start, end] (epoch ms), from the log
# scripts/kafka.sh has the JVM write: {"pauses":N,"longest_ms":X,"total_ms":Y}, or {} without one.
gc_pauses() {  # start-ms end-ms
  /usr/bin/python3 - "$1" "$2" "$ROOT/var/kafka/logs" <<'PY'
import glob, json, re, sys
start, end, logs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
files = glob.glob(logs + "/gc.log*")
pauses = []
for f in files:
    for line in open(f, errors="replace"):
        m = re.match(r"\[(\d+)ms\].* Pause .* ([0-9.]+)ms$", line.strip())
        if m:
            t, d = int(m.group(1)), float(m.group(2))
            if t >= start and t - d <= end:
                pauses.append(d)
print(json.dumps({"pauses": len(pauses), "longest_ms": round(max(pauses, default=0), 1),
                  "total_ms": round(sum(pauses), 1)}) if files else "{}")
PY
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
slab_kb() { awk '/^Slab:/ {print $2}' /proc/meminfo; }
# A process's private memory: its RSS less the pages of files it maps (code of its libraries
# among them, shared with every process that maps them and paged in as first used).
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
# A server's RSS and private memory and the machine's Slab, in KiB: "rss anon slab".
mem_kb() { echo "$(rss_kb "$1") $(anon_kb "$1") $(slab_kb)"; }
# The JSON fields of a before and an after of mem_kb.
mem_json() {  # before after
  local b a
  read -ra b <<<"$1"
  read -ra a <<<"$2"
  echo "\"rss0_kb\":${b[0]},\"rss1_kb\":${a[0]},\"anon0_kb\":${b[1]},\"anon1_kb\":${a[1]},\"slab0_kb\":${b[2]},\"slab1_kb\":${a[2]}"
}
record() { echo "$1" >>"$RAW"; }
# Waits until `file` exists: while process `pid` runs when one is given, else for at most a minute.
wait_file() {  # file [pid]
  local polls=0
  while [[ ! -e $1 ]]; do
    if [[ -n ${2:-} ]]; then
      kill -0 "$2" 2>/dev/null || return 1
    elif ((++polls > 3000)); then
      return 1
    fi
    sleep 0.02
  done
}

# One hf-load run against the running server; records its output with the server's CPU and RSS.
measure() {  # scenario server hf-load-args...
  local scenario=$1 server=$2
  shift 2
  local t0 t1 out rc=0
  t0=$(cpu_ticks "$SERVER_PID")
  out=$("${LOAD_PIN[@]}" "$LOAD" --port "$PORT" "$@") || rc=$?
  t1=$(cpu_ticks "$SERVER_PID")
  [[ -n "$out" ]] || out='{}'
  record "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"exit\":$rc,\"cpu_ticks\":$((t1 - t0)),\"rss_kb\":$(rss_kb "$SERVER_PID"),\"load\":$out}"
  echo "  $scenario $server: $out" >&2
  if [[ $rc -ne 0 ]]; then
    echo "bench: hf-load failed against $server; no figure is reported for it" >&2
    return 1
  fi
}

# Starts the named baseline or holdfast echo server on $PORT.
start_echo() {  # holdfast-w1|holdfast-w1-clientping|holdfast-w1-rx<N>[k]|holdfast-w1-ping|holdfast-w2|lws-echo|floor|centrifugo
  local rx
  case "$1" in
    holdfast-w1 | holdfast-w1-clientping) start_server "$1" "$HOLDFAST" -c "$(holdfast_config 1)" ;;
    holdfast-w1-ping)
      start_server "$1" "$HOLDFAST" -c "$(holdfast_config 1 "        keepalive: { ping_interval: 1s }")" ;;
    holdfast-w1-rx*)  # receive_buffer: N bytes, or NKiB for a name ending in k
      rx=${1#holdfast-w1-rx}
      start_server "$1" "$HOLDFAST" -c "$(holdfast_config 1 "" "    receive_buffer: ${rx/%k/KiB}")" ;;
    holdfast-w2) start_server "$1" "$HOLDFAST" -c "$(holdfast_config 2)" ;;
    lws-echo) start_server "$1" "$BENCH_BUILD/hf-lws-echo" --port "$PORT" ;;
    floor) start_server "$1" "$BENCH_BUILD/hf-floor" --port "$PORT" ;;
    centrifugo) start_server "$1" "$CENTRIFUGO" -c "$(centrifugo_config)" ;;
  esac
}

# Opens `connections` idle connections to the server on PORT with hf-load --idle over `procs`
# processes, held for `seconds`, and returns once all are open. The load runs on in the
# background as IDLE_PID, writing its report to `out` when it ends.
hold_idle() {  # connections procs seconds out client-args...
  local n=$1 procs=$2 seconds=$3 out=$4 p
  shift 4
  rm -f "$BENCH_TMP"/ready.*
  "${LOAD_PIN[@]}" "$LOAD" --port "$PORT" "$@" --idle --connections "$n" --procs "$procs" \
    --src-count 16 --duration "$seconds" --ready-file "$BENCH_TMP/ready" >"$out" &
  IDLE_PID=$!
  for ((p = 0; p < procs; ++p)); do
    wait_file "$BENCH_TMP/ready.$p" || true
  done
}

# A throwaway self-signed P-256 certificate in $BENCH_TMP and a holdfast config serving /echo
# over TLS with it, at $TLS_CONFIG. Idempotent.
tls_setup() {
  [[ -e "$BENCH_TMP/cert.pem" ]] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -keyout "$BENCH_TMP/key.pem" -out "$BENCH_TMP/cert.pem" 2>/dev/null
  TLS_CONFIG=$BENCH_TMP/holdfast-tls.yaml
  cat >"$TLS_CONFIG" <<YAML
instance: bench
workers: 1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
listeners:
  - address: 127.0.0.1:$PORT
    tls: { cert: "$BENCH_TMP/cert.pem", key: "$BENCH_TMP/key.pem" }
    routes:
      - name: echo
        path: /echo
        upstream: { echo: {} }
YAML
}

# The server's memory before and `settle` seconds after `opener...` has opened its idle
# connections, recorded as `scenario`; then the server stops. The opener starts its client in the
# background as IDLE_PID, writing its report to $BENCH_TMP/idle.json, and returns once all are
# open.
idle_record() {  # scenario server settle opener...
  local scenario=$1 server=$2 settle=$3 m0 m1 rc=0
  shift 3
  sleep 0.5
  m0=$(mem_kb "$SERVER_PID")
  "$@"
  sleep "$settle"
  m1=$(mem_kb "$SERVER_PID")
  wait "$IDLE_PID" || rc=$?
  record "{\"scenario\":\"$scenario\",\"server\":\"$server\",\"exit\":$rc,$(mem_json "$m0" "$m1"),\"hold_s\":$IDLE_HOLD,\"settle_s\":$settle,\"load\":$(cat "$BENCH_TMP/idle.json")}"
  echo "  $scenario $server: rss, private, slab KiB: $m0 -> $m1" >&2
  stop_server
  [[ $rc -eq 0 ]]
}

# Opens `connections` idle connections to a fresh echo server with hf-load --idle over `procs`
# processes, and records the server's RSS and the machine's Slab before and `settle` seconds
# (default 0.5, less than IDLE_HOLD) after the last one opened.
idle_measure() {  # scenario server connections procs [settle]
  local client=(--path /echo)
  # Centrifugo's clients connect with a command first; unanswered, it closes them.
  [[ $2 == centrifugo ]] && client=(--path /connection/websocket --hello '{"id":1,"connect":{}}')
  # The client pings once with a payload, as some client libraries do on their own.
  [[ $2 == holdfast-w1-clientping ]] && client+=(--ping-payload 4)
  start_echo "$2"
  idle_record "$1" "$2" "${5:-0.5}" hold_idle "$3" "$4" "$IDLE_HOLD" "$BENCH_TMP/idle.json" \
    "${client[@]}"
}

# hold_idle over TLS: `connections` idle wss connections to the server on PORT, opened by
# bench/tls_idle/hold.py (Python's asyncio and ssl, which only has to open and hold them) over
# `procs` processes and held for `seconds`; IDLE_PID and `out` as for hold_idle.
hold_idle_tls() {  # connections procs seconds out
  rm -f "$BENCH_TMP/ready"
  "${LOAD_PIN[@]}" /usr/bin/python3 "$ROOT/bench/tls_idle/hold.py" "$PORT" /echo "$1" \
    "$BENCH_TMP/ready" "$3" "$2" >"$4" &
  IDLE_PID=$!
  wait_file "$BENCH_TMP/ready" "$IDLE_PID" || true
}

# idle_measure over TLS, against a fresh holdfast-w1 or lws-echo serving the certificate of
# tls_setup.
idle_tls_measure() {  # scenario server connections procs
  tls_setup
  case "$2" in
    holdfast-w1) start_server "$2" "$HOLDFAST" -c "$TLS_CONFIG" ;;
    lws-echo) start_server "$2" "$BENCH_BUILD/hf-lws-echo" --port "$PORT" \
      --cert "$BENCH_TMP/cert.pem" --key "$BENCH_TMP/key.pem" ;;
  esac
  idle_record "$1" "$2" 0.5 hold_idle_tls "$3" "$4" "$IDLE_HOLD" "$BENCH_TMP/idle.json"
}
