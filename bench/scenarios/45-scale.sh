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
start_buses redis
CONFIG=$(fanout_config "$REDIS")
for i in $(seq "$INSTANCES"); do
  "$HOLDFAST" -c "$CONFIG" 2>"$BENCH_TMP/holdfast-$i.log" &
  EXTRA_PIDS+=($!)
done
wait_port "$PORT" holdfast-1
rss_total() { local t=0 p; for p in "${EXTRA_PIDS[@]}"; do t=$((t + $(rss_kb "$p"))); done; echo $t; }
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
  for i in "${!EXTRA_PIDS[@]}"; do
    n=$(ls "/proc/${EXTRA_PIDS[$i]}/fd" | wc -l)
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
