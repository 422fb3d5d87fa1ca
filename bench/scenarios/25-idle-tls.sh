#!/usr/bin/env bash
# idle over TLS: 1,000 (and in full mode 10,000) idle wss connections to holdfast (one worker) and
# to hf-lws-echo with the same certificate (P-256, self-signed): the server's RSS increase and the
# machine's Slab increase per connection. The client is bench/tls_idle/hold.py (Python's asyncio
# and ssl): it only has to open and hold the connections, not to be fast.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) COUNTS="1000" HOLD=1 ;;
  *) COUNTS="1000 10000" HOLD=3 ;;
esac
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$BENCH_TMP/key.pem" -out "$BENCH_TMP/cert.pem" 2>/dev/null
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

idle_tls() {  # server connections
  local server=$1 n=$2 m0 m1 rc=0
  case "$server" in
    holdfast-w1) start_server "$server" "$HOLDFAST" -c "$TLS_CONFIG" ;;
    lws-echo) start_server "$server" "$BENCH_BUILD/hf-lws-echo" --port "$PORT" \
      --cert "$BENCH_TMP/cert.pem" --key "$BENCH_TMP/key.pem" ;;
  esac
  sleep 0.5
  m0=$(mem_kb "$SERVER_PID")
  rm -f "$BENCH_TMP/ready"
  "${LOAD_PIN[@]}" /usr/bin/python3 "$ROOT/bench/tls_idle/hold.py" "$PORT" /echo "$n" \
    "$BENCH_TMP/ready" "$HOLD" >"$BENCH_TMP/idle.json" &
  local lpid=$!
  wait_file "$BENCH_TMP/ready" || true
  sleep 0.5
  m1=$(mem_kb "$SERVER_PID")
  wait "$lpid" || rc=$?
  record "{\"scenario\":\"idle-tls-$n\",\"server\":\"$server\",\"exit\":$rc,$(mem_json "$m0" "$m1"),\"load\":$(cat "$BENCH_TMP/idle.json")}"
  echo "  idle-tls-$n $server: rss, private, slab KiB: $m0 -> $m1" >&2
  stop_server
  [[ $rc -eq 0 ]]
}

FAILED=0
for s in holdfast-w1 lws-echo; do
  for n in $COUNTS; do idle_tls "$s" "$n" || FAILED=1; done
done
exit $FAILED
