#!/usr/bin/env bash
# idle: 1,000 and 10,000 idle plaintext connections to holdfast (one worker) and hf-lws-echo, each
# on a fresh server: the server's RSS increase and the machine's Slab increase per connection.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) IDLE_HOLD=1 ;;
  *) IDLE_HOLD=5 ;;
esac

idle() {  # server connections
  local server=$1 n=$2 rss0 slab0 rss1 slab1 rc=0
  start_echo "$server"
  sleep 0.5
  rss0=$(rss_kb "$SERVER_PID") slab0=$(slab_kb)
  rm -f "$BENCH_TMP/ready.0"
  "${LOAD_PIN[@]}" "$LOAD" --port "$PORT" --path /echo --idle --connections "$n" \
    --duration "$IDLE_HOLD" --ready-file "$BENCH_TMP/ready" >"$BENCH_TMP/idle.json" &
  local lpid=$!
  for _ in $(seq 600); do [[ -e "$BENCH_TMP/ready.0" ]] && break; sleep 0.05; done
  sleep 0.5
  rss1=$(rss_kb "$SERVER_PID") slab1=$(slab_kb)
  wait "$lpid" || rc=$?
  record "{\"scenario\":\"idle-$n\",\"server\":\"$server\",\"exit\":$rc,\"rss0_kb\":$rss0,\"rss1_kb\":$rss1,\"slab0_kb\":$slab0,\"slab1_kb\":$slab1,\"hold_s\":$IDLE_HOLD,\"load\":$(cat "$BENCH_TMP/idle.json")}"
  echo "  idle-$n $server: rss $rss0 -> $rss1 KiB, slab $slab0 -> $slab1 KiB" >&2
  stop_server
  [[ $rc -eq 0 ]]
}

FAILED=0
for s in holdfast-w1 lws-echo; do
  for n in 1000 10000; do idle "$s" "$n" || FAILED=1; done
done
exit $FAILED
