#!/usr/bin/env bash
# flood: does a client flooding one connection move a well-behaved client's latency? holdfast
# (one worker) serves an echo route with a per-connection message limit. hf-load sends at a
# fixed, modest rate on 100 connections, within the limit, and measures p50/p99; hf-flood
# writes frames as fast as holdfast reads them on a few other connections, over the limit, so
# nearly all of them are dropped and answered with an error frame. Phases alternate, without and
# with the flood, on one server, and each pair gives a ratio: the target is p99 with the flood
# within 1.20 of p99 without.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
case "$MODE" in
  quick) DUR=1 WARM=0.5 PAIRS=1 ;;
  *) DUR=8 WARM=2 PAIRS=3 ;;
esac
CONNS=100 RATE=2000 SIZE=32 FLOODERS=${FLOODERS:-4}
LIMIT="{ rate: 100/s, burst: 100 }"
CONFIG=$(holdfast_config 1 "")
cat >>"$CONFIG" <<YAML
      - name: limited
        path: /limited
        filters:
          - rate_limit: { messages: $LIMIT }
        upstream: { echo: {} }
YAML

FAILED=0
start_server holdfast-w1 "$HOLDFAST" -c "$CONFIG"
for pair in $(seq "$PAIRS"); do
  for phase in quiet flood; do
    FLOOD_PID=
    if [[ $phase == flood ]]; then
      "${LOAD_PIN[@]}" "$BENCH_BUILD/hf-flood" --port "$PORT" --path /limited \
        --connections "$FLOODERS" --duration "$(echo "$DUR + $WARM + 2" | bc)" \
        >"$BENCH_TMP/flood.json" &
      FLOOD_PID=$!
      sleep 1
    fi
    measure "flood-$phase" holdfast-w1 --path /limited --size $SIZE --connections $CONNS \
      --rate $RATE --duration "$DUR" --warmup "$WARM" || FAILED=1
    if [[ -n "$FLOOD_PID" ]]; then
      wait "$FLOOD_PID" || FAILED=1
      record "{\"scenario\":\"flood-flooder\",\"server\":\"hf-flood\",\"exit\":0,\"pair\":$pair,\"flood\":$(cat "$BENCH_TMP/flood.json")}"
    fi
  done
done
stop_server
record "{\"scenario\":\"flood-settings\",\"server\":\"-\",\"exit\":0,\"connections\":$CONNS,\"rate\":$RATE,\"size\":$SIZE,\"duration\":$DUR,\"warmup\":$WARM,\"pairs\":$PAIRS,\"flooders\":$FLOODERS,\"limit\":\"$LIMIT\"}"
exit $FAILED
