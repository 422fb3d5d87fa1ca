#!/usr/bin/env bash
# fanout: subscribers on one channel of a holdfast route (`subscribe: ["bench"]`), records
# PUBLISHed to holdfast:channel:bench in Redis at fixed rates, as a service replies to a channel.
# hf-fanout checks that every subscriber gets every record in order and measures delivery
# latency; holdfast's CPU over the run gives deliveries per second per core. The same runs go
# against nchan (nginx with WebSocket subscribers, published to with HTTP POST), when Debian's
# packages can be had (bench/peers/nchan.sh), and against Centrifugo (built from the Go module
# proxy by bench/peers/centrifugo.sh; subscribers speak its JSON protocol, records go through its
# HTTP API). hf-floor, the machine's floor, takes the same records from Redis and writes them to
# its subscribers with nothing else to do: what the kernel costs per delivery here.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) SUBS=2000 DUR=1 WARM=1 RATES="50" PEER_RATES="50" FLOOR_RATES="50" ;;
  # The peers stop at 10 records/s (100,000 deliveries/s): there nchan and Centrifugo already
  # take most of a core. holdfast goes on to 500,000 deliveries/s. The floor runs at the rate the
  # peers are compared at and at the target's.
  *) SUBS=10000 DUR=8 WARM=2 RATES="2 5 10 50" PEER_RATES="2 10" FLOOR_RATES="10 50" ;;
esac
REDIS=127.0.0.1:6379
start_buses redis
CONFIG=$(fanout_config "$REDIS")

NCHAN=()
if mapfile -t NCHAN < <("$ROOT/bench/peers/nchan.sh") && [[ ${#NCHAN[@]} -eq 2 ]]; then
  NGINX_DIR=$BENCH_TMP/nginx
  mkdir -p "$NGINX_DIR"/{logs,body,proxy,fcgi,uwsgi,scgi}
  cat >"$NGINX_DIR/nginx.conf" <<NGINX
load_module ${NCHAN[1]};
worker_processes 1;
daemon off;
master_process off;
error_log $NGINX_DIR/logs/error.log warn;
pid $NGINX_DIR/nginx.pid;
events { worker_connections 20000; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$PORT;
    location = /fanout { nchan_subscriber websocket; nchan_channel_id bench; }
    location = /pub { nchan_publisher; nchan_channel_id bench; nchan_message_buffer_length 0; }
  }
}
NGINX
else
  NCHAN=()
  record "{\"scenario\":\"fanout-nchan-missing\",\"server\":\"nchan\",\"exit\":0}"
fi

CENTRIFUGO=
if CENTRIFUGO=$("$ROOT/bench/peers/centrifugo.sh"); then
  CENTRIFUGO_CONFIG=$(centrifugo_config)
  record "{\"scenario\":\"fanout-centrifugo-version\",\"server\":\"centrifugo\",\"exit\":0,\"version\":\"$("$CENTRIFUGO" version | awk '{print $2}')\"}"
else
  CENTRIFUGO=
  record "{\"scenario\":\"fanout-centrifugo-missing\",\"server\":\"centrifugo\",\"exit\":0}"
fi

# The server's CPU ticks once `file` exists, or once `pid` has ended.
ticks_when() {  # file pid
  wait_file "$1" "$2" || true
  cpu_ticks "$SERVER_PID"
}

# One hf-fanout run. Its CPU figure is the server's over the deliveries, from just before the
# first record to the end of the drain; connecting and closing 10,000 subscribers, which the
# churn scenario measures, are left out (the whole run's ticks are recorded too).
fanout() {  # server rate hf-fanout-args...
  local server=$1 rate=$2 r0 t0 t1 r1 out rc=0 win=$BENCH_TMP/fanout-window
  shift 2
  rm -f "$win".start "$win".end
  r0=$(cpu_ticks "$SERVER_PID")
  "${LOAD_PIN[@]}" "$BENCH_BUILD/hf-fanout" --port "$PORT" --subscribers "$SUBS" --procs 2 \
    --rate "$rate" --duration "$DUR" --warmup "$WARM" --window-file "$win" "$@" \
    >"$BENCH_TMP/fanout.json" &
  local lpid=$!
  t0=$(ticks_when "$win.start" "$lpid")
  t1=$(ticks_when "$win.end" "$lpid")
  wait "$lpid" || rc=$?
  r1=$(cpu_ticks "$SERVER_PID")
  out=$(cat "$BENCH_TMP/fanout.json")
  [[ -n "$out" ]] || out='{}'
  record "{\"scenario\":\"fanout-$rate\",\"server\":\"$server\",\"exit\":$rc,\"cpu_ticks\":$((t1 - t0)),\"cpu_ticks_run\":$((r1 - r0)),\"rss_kb\":$(rss_kb "$SERVER_PID"),\"load\":$out}"
  echo "  fanout-$rate $server: $out" >&2
  [[ $rc -eq 0 ]]
}

FAILED=0
for rate in $RATES; do
  # A fresh server for each run, so every run starts from the same state.
  start_server holdfast-w1 "$HOLDFAST" -c "$CONFIG"
  fanout holdfast-w1 "$rate" --path /fanout --redis "$REDIS" || FAILED=1
  stop_server
  if [[ " $FLOOR_RATES " == *" $rate "* ]]; then
    start_server hf-floor "$BENCH_BUILD/hf-floor" --port "$PORT" --feed-redis "$REDIS"
    fanout hf-floor "$rate" --path /fanout --redis "$REDIS" || FAILED=1
    stop_server
  fi
  [[ " $PEER_RATES " == *" $rate "* ]] || continue
  if [[ ${#NCHAN[@]} -eq 2 ]]; then
    start_server nchan "${NCHAN[0]}" -p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" \
      -e "$NGINX_DIR/logs/error.log"
    fanout nchan "$rate" --path /fanout --http "127.0.0.1:$PORT/pub" || FAILED=1
    stop_server
  fi
  if [[ -n "$CENTRIFUGO" ]]; then
    start_server centrifugo "$CENTRIFUGO" -c "$CENTRIFUGO_CONFIG"
    fanout centrifugo "$rate" --path /connection/websocket --channel bench \
      --centrifugo "127.0.0.1:$PORT" || FAILED=1
    stop_server
  fi
done
record "{\"scenario\":\"fanout-settings\",\"server\":\"-\",\"exit\":0,\"subscribers\":$SUBS,\"duration\":$DUR,\"warmup\":$WARM,\"rates\":\"$RATES\",\"peer_rates\":\"$PEER_RATES\",\"floor_rates\":\"$FLOOR_RATES\"}"
exit $FAILED
