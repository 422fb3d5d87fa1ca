#!/usr/bin/env bash
# scale: 100,000 subscribers across holdfast instances on one machine, sharing one port
# (SO_REUSEPORT spreads the connections), each instance under its own file limit, and one record
# a second PUBLISHed through Redis reaching every subscriber on every instance. Full mode only.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
SUBS=100000 INSTANCES=6 RATE=1 DUR=10 WARM=2
if [[ "$MODE" != full ]]; then
  record "{\"scenario\":\"scale-skipped\",\"server\":\"-\",\"exit\":0}"
  exit 0
fi
REDIS=127.0.0.1:6379
STARTED_REDIS=0
if ! "$ROOT/scripts/redis.sh" status >/dev/null 2>&1; then STARTED_REDIS=1; fi
"$ROOT/scripts/redis.sh" start >&2
PIDS=()
stop_all() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_cleanup
  if [[ $STARTED_REDIS -eq 1 ]]; then "$ROOT/scripts/redis.sh" stop >&2 || true; fi
}
trap stop_all EXIT

CONFIG=$BENCH_TMP/scale.yaml
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
for i in $(seq "$INSTANCES"); do
  "$HOLDFAST" -c "$CONFIG" 2>"$BENCH_TMP/holdfast-$i.log" &
  PIDS+=($!)
done
wait_port "$PORT" holdfast-1
rss_total() { local t=0 p; for p in "${PIDS[@]}"; do t=$((t + $(rss_kb "$p"))); done; echo $t; }
rss0=$(rss_total)
"${LOAD_PIN[@]}" "$BENCH_BUILD/hf-fanout" --port "$PORT" --path /fanout --subscribers "$SUBS" \
  --procs 6 --src-count 16 --rate "$RATE" --duration "$DUR" --warmup "$WARM" --drain 10 \
  --redis "$REDIS" >"$BENCH_TMP/scale.json" &
LOADER=$!
# While it runs: the most memory, and each instance's most open files (its connections).
rss1=$rss0
declare -a fds
while kill -0 "$LOADER" 2>/dev/null; do
  r=$(rss_total)
  ((r > rss1)) && rss1=$r
  for i in "${!PIDS[@]}"; do
    n=$(ls "/proc/${PIDS[$i]}/fd" | wc -l)
    ((n > ${fds[$i]:-0})) && fds[$i]=$n
  done
  sleep 1
done
rc=0
wait "$LOADER" || rc=$?
out=$(cat "$BENCH_TMP/scale.json")
[[ -n "$out" ]] || out='{}'
record "{\"scenario\":\"scale\",\"server\":\"holdfast-x$INSTANCES\",\"exit\":$rc,\"instances\":$INSTANCES,\"rss0_kb\":$rss0,\"rss1_kb\":$rss1,\"fds_per_instance\":\"${fds[*]}\",\"load\":$out}"
echo "  scale: $out" >&2
exit $rc
