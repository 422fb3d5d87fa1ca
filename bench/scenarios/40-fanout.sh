#!/usr/bin/env bash
# fanout: subscribers on one channel of a holdfast route (`subscribe: ["bench"]`), records
# PUBLISHed to holdfast:channel:bench in Redis at fixed rates, as a service replies to a channel.
# hf-fanout checks that every subscriber gets every record in order and measures delivery
# latency; holdfast's CPU over the run gives deliveries per second per core.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) SUBS=2000 DUR=3 WARM=1 RATES="25 100" ;;
  *) SUBS=10000 DUR=10 WARM=2 RATES="10 50 100" ;;
esac
REDIS=127.0.0.1:6379
STARTED_REDIS=0
if ! "$ROOT/scripts/redis.sh" status >/dev/null 2>&1; then STARTED_REDIS=1; fi
"$ROOT/scripts/redis.sh" start >&2
stop_all() {
  bench_cleanup
  if [[ $STARTED_REDIS -eq 1 ]]; then "$ROOT/scripts/redis.sh" stop >&2 || true; fi
}
trap stop_all EXIT

CONFIG=$BENCH_TMP/fanout.yaml
cat >"$CONFIG" <<YAML
instance: bench
workers: 1
log: { level: warn }
drain_timeout: 1s
admin: { address: 127.0.0.1:0 }
buses:
  redis: { url: "redis://$REDIS" }
listeners:
  - address: 127.0.0.1:$PORT
    routes:
      - name: fanout
        path: /fanout
        subscribe: ["bench"]
        upstream: { echo: {} }
        replies: { redis: {} }
YAML

FAILED=0
for rate in $RATES; do
  # A fresh server for each rate, so every run starts from the same state.
  start_server holdfast-w1 "$HOLDFAST" -c "$CONFIG"
  t0=$(cpu_ticks "$SERVER_PID")
  rc=0
  out=$("${LOAD_PIN[@]}" "$BENCH_BUILD/hf-fanout" --port "$PORT" --path /fanout \
    --subscribers "$SUBS" --procs 2 --rate "$rate" --duration "$DUR" --warmup "$WARM" \
    --redis "$REDIS") || rc=$?
  t1=$(cpu_ticks "$SERVER_PID")
  [[ -n "$out" ]] || out='{}'
  record "{\"scenario\":\"fanout-$rate\",\"server\":\"holdfast-w1\",\"exit\":$rc,\"cpu_ticks\":$((t1 - t0)),\"rss_kb\":$(rss_kb "$SERVER_PID"),\"load\":$out}"
  echo "  fanout-$rate holdfast-w1: $out" >&2
  [[ $rc -eq 0 ]] || FAILED=1
  stop_server
done
record "{\"scenario\":\"fanout-settings\",\"server\":\"-\",\"exit\":0,\"subscribers\":$SUBS,\"duration\":$DUR,\"warmup\":$WARM,\"rates\":\"$RATES\"}"
exit $FAILED
